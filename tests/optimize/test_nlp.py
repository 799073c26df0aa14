"""Nonlinear, integer-nonlinear, Evolutionary, linearity check, models
declared without Solver names (JSON / GF.DECISION cells) and stochastic
objectives (sample average approximation)."""
from __future__ import annotations

import openpyxl
import pytest

from engine import optimize as O

from .helpers import book, load


def _sphere(tmp_path, engine, extra=()):
    cells = {"A1": "x", "B1": 0, "A2": "y", "B2": 0, "A3": "obj", "B3": "=(B1-3)^2+(B2+1)^2", "A4": "sum",
             "B4": "=B1+B2"}
    return load(book(tmp_path / f"{engine}.xlsx", cells, "B3", "B1:B2", [("B4", "<=", 1), *extra],
                     sense="min", engine=engine, nonneg=False))


def test_grg_nonlinear_known_optimum(tmp_path):
    # projection of (3, -1) on x + y <= 1: (2.5, -1.5), objective 0.5, multiplier 1
    res = O.solve(_sphere(tmp_path, "grg"))
    assert res.code == 0 and res.engine == "grg"
    assert [v["final"] for v in res.variables] == pytest.approx([2.5, -1.5], abs=1e-5)
    assert res.objective == pytest.approx(0.5, abs=1e-6)
    assert res.sensitivity["kind"] == "grg"
    assert res.sensitivity["constraints"][0]["lagrange_multiplier"] == pytest.approx(1.0, abs=1e-3)
    assert res.constraints[0]["status"] == "Binding"


def test_simplex_refuses_nonlinear_and_names_the_cell(tmp_path):
    res = O.solve(_sphere(tmp_path, "simplex"))
    assert res.code == 7 and res.message == O.MESSAGES[7]
    assert res.nonlinear_items == ["objective"]
    assert res.nonlinear_cells == ["M!B3 (=(B1-3)^2+(B2+1)^2)"]


def test_abs_is_flagged_and_sumproduct_passes(tmp_path):
    cells = {"A1": 1, "B3": "=ABS(A1-3)", "C3": "=B3+2*A1"}
    res = O.solve(load(book(tmp_path / "abs.xlsx", cells, "C3", "A1", [("A1", "<=", 10)], sense="min")))
    assert res.code == 7 and res.nonlinear_cells == ["M!B3 (=ABS(A1-3))"]
    cells = {"A1": 1, "B1": 2, "A2": 3, "B2": 4, "C3": "=SUMPRODUCT(A1:B1,A2:B2)"}
    res = O.solve(load(book(tmp_path / "sp.xlsx", cells, "C3", "A1:B1", [("A1:B1", "<=", 10)])))
    assert res.code == 0 and res.objective == pytest.approx(70)


def test_integer_nonlinear_branch_and_bound(tmp_path):
    cells = {"B1": 0, "B2": 0, "B3": "=(B1-2.6)^2+(B2-1.4)^2+B1*B2*0.1", "B4": "=B1+B2"}
    res = O.solve(load(book(tmp_path / "minlp.xlsx", cells, "B3", "B1:B2",
                            [("B4", "<=", 3.5), ("B1:B2", "int", None)], sense="min", engine="grg")))
    assert res.ok and [v["final"] for v in res.variables] == pytest.approx([2, 1])
    assert res.objective == pytest.approx(0.72)


def test_evolutionary_population_in_one_pass(tmp_path):
    m = _sphere(tmp_path, "evolutionary", [("B1:B2", "<=", 10), ("B1:B2", ">=", -10)])
    res = O.solve(m)
    assert res.ok and res.engine == "evolutionary"
    assert [v["final"] for v in res.variables] == pytest.approx([2.5, -1.5], abs=0.02)
    # one workbook pass per generation, not per member
    assert res.evaluations < 400


def test_evolutionary_needs_bounds(tmp_path):
    res = O.solve(_sphere(tmp_path, "evolutionary"))
    assert res.code == 18


def test_json_model_and_gf_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "M"
    ws["A1"], ws["B1"] = 0, 0
    ws["A3"] = "=3*A1+2*B1"
    ws["A4"] = "=A1+B1"
    ws["A5"] = "=A1+3*B1"
    wb.save(tmp_path / "plain.xlsx")
    spec = {"objective": "M!A3", "sense": "max", "variables": ["M!A1:B1"],
            "constraints": [{"lhs": "M!A4", "rel": "<=", "rhs": 4}, ["M!A5", "<=", 6]]}
    res = O.solve(load(tmp_path / "plain.xlsx"), spec=spec)
    assert res.ok and res.objective == pytest.approx(12) and res.source == "declared"
    ws["A1"] = "=GF.DECISION(0, 0, 3)"
    ws["B1"] = '=GF.DECISION(0, 0, , "int")'
    ws["A3"] = '=GF.OBJECTIVE(3*A1+2*B1, "max")'
    ws["A4"] = '=GF.CONSTRAINT(A1+B1, "<=", 4)'
    wb.save(tmp_path / "cells.xlsx")
    out = tmp_path / "cells_solved.xlsx"
    res = O.solve(load(tmp_path / "cells.xlsx"), out=str(out))
    assert res.ok and res.source == "cells"
    assert [v["final"] for v in res.variables] == pytest.approx([3, 1]) and res.objective == pytest.approx(11)
    assert openpyxl.load_workbook(out)["M"]["A1"].value.upper().startswith("=GF.DECISION(3")


def test_stochastic_newsvendor(tmp_path):
    # profit = 5 min(q, D) - 3 q, D ~ N(100, 20): the critical fractile gives q* = 100 + 20 z(0.4) = 94.93
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "M"
    ws["B1"], ws["B2"], ws["B3"] = 50, "=GF.NORMAL(100,20)", "=5*MIN(B1,B2)-3*B1"
    wb.save(tmp_path / "nv.xlsx")
    spec = {"objective": "M!B3", "sense": "max", "variables": ["M!B1"], "engine": "evolutionary",
            "constraints": [{"lhs": "M!B1", "rel": "<=", "rhs": 300}],
            "stochastic": {"statistic": "mean", "scenarios": 2000, "seed": 3}}
    res = O.solve(load(tmp_path / "nv.xlsx"), spec=spec)
    assert res.ok and res.values()["M!B1"] == pytest.approx(94.93, abs=1.0)
    # expected profit at q*: 5 (mu - sigma L(z)) - 3 q*, L(z) = phi(z) - z (1 - Phi(z)), z = -0.2533
    from scipy.stats import norm
    z = norm.ppf(0.4)
    q = 100 + 20 * z
    expected = 5 * (100 - 20 * (norm.pdf(z) - z * (1 - norm.cdf(z)))) - 3 * q
    assert res.objective == pytest.approx(expected, rel=0.01)
