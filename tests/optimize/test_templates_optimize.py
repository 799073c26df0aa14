"""Every template's Solver model solves, agrees with its module's Python
API, and the solution, recalculated by GridFlow and by LibreOffice,
satisfies every constraint."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

import engine
from engine import optimize as O
from engine.optimize import modules as M
from engine.optimize.evaluate import Problem
from workbooks.optimize_templates import TEMPLATES

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
MODULE_OF = {"deal_picker.xlsx": "deal_picker", "debt_stack.xlsx": "debt_stack",
             "capex_phasing.xlsx": "capex_phasing", "leasing_mix.xlsx": "leasing_mix"}


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("opt_templates")
    out = {}
    for name, build in TEMPLATES.items():
        src = build(folder / name)
        model = engine.load(src)
        res = O.solve(model, out=str(folder / f"solved_{name}"))
        out[name] = (src, folder / f"solved_{name}", res, model)
    return out


def _satisfied(lhs: float, rel: str, rhs: float, tol: float = 1e-6) -> bool:
    scale = tol * max(1.0, abs(rhs))
    return (rel == "<=" and lhs <= rhs + scale) or (rel == ">=" and lhs >= rhs - scale) or \
        (rel == "=" and abs(lhs - rhs) <= scale)


def test_templates_solve_like_the_python_api(solved):
    assert set(solved) == set(MODULE_OF)
    for name, (_src, _out, res, model) in solved.items():
        assert res.code == 0, (name, res.message, res.nonlinear_items)
        _tp, fn, example = M.MODULES[MODULE_OF[name]]
        api = fn(example())
        assert res.objective == pytest.approx(api.objective, rel=1e-9), name
        # GridFlow's recalculation at the solution satisfies every constraint
        for c in res.constraints:
            if c["relation"] in ("<=", ">=", "="):
                assert _satisfied(c["value"], c["relation"], c["rhs"]), (name, c)
        for v in res.variables:
            if v["integer"] != "Contin":
                assert v["final"] == pytest.approx(round(v["final"]), abs=1e-6)


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_confirms_the_solutions(solved, tmp_path):
    files = [str(out) for _src, out, _r, _m in solved.values()]
    subprocess.run([SOFFICE, "--headless", "--calc", "--convert-to", "xlsx", "--outdir", str(tmp_path), *files],
                   check=True, capture_output=True, timeout=240)
    for name, (_src, out, res, _model) in solved.items():
        gf = engine.load(out)                        # the solved copy: its Solver model and cells
        problem = Problem(gf, O.find_spec(gf))
        lo = engine.load(tmp_path / out.name)         # LibreOffice's recalculated values
        for row in problem.all_rows():
            lhs = lo.cached.get(row.lhs_key, lo.constants.get(row.lhs_key))
            if row.rhs_key is not None:
                rhs = lo.cached.get(row.rhs_key, lo.constants.get(row.rhs_key))
            else:
                rhs = float(problem.spec.constraints[row.con].rhs.text)
            assert isinstance(lhs, float) and isinstance(rhs, float), (name, row)
            assert _satisfied(lhs, row.rel, rhs), (name, problem.row_formula(row), lhs, rhs)
        obj = lo.cached.get(problem.obj_key)
        assert obj == pytest.approx(res.objective, rel=1e-9), name
        x = np.array([lo.constants.get(k, 0.0) for k in problem.var_keys])
        assert x == pytest.approx(res.x)
