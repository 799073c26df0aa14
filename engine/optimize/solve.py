"""Solving a workbook's model: pick the method, solve, and collect Excel's
Answer and Sensitivity report contents."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import spec as S
from .evaluate import Problem
from .linear import extract, verify_at
from .lp import MESSAGES, LPResult, solve_lp
from .nlp import NLPResult, solve_evolutionary, solve_grg

ENGINE_TITLES = {"simplex": "Simplex LP", "grg": "GRG Nonlinear", "evolutionary": "Evolutionary"}


@dataclass
class SolveResult:
    sheet: str
    code: int
    message: str
    status: str
    engine: str                         # simplex | grg | evolutionary (what ran)
    backend: str = ""                   # highs | ortools-... | scipy-slsqp | scipy-de
    sense: str = "max"
    objective_cell: str | None = None
    objective_name: str = ""
    objective_original: float | None = None
    objective: float | None = None
    variables: list[dict] = field(default_factory=list)
    constraints: list[dict] = field(default_factory=list)
    sensitivity: dict | None = None
    nonlinear_items: list[str] = field(default_factory=list)
    nonlinear_cells: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    build_seconds: float = 0.0
    evaluations: int = 0
    iterations: int = 0
    mip_gap: float | None = None
    x: np.ndarray | None = None
    source: str = ""
    workbook: str = ""

    @property
    def ok(self) -> bool:
        return self.code in (0, 1, 2, 14)

    def values(self) -> dict[str, float]:
        """Final value of each decision cell."""
        return {v["address"]: v["final"] for v in self.variables}

    def binding(self) -> list[str]:
        return [c["cell"] for c in self.constraints
                if c["status"] == "Binding" and c["relation"] in ("<=", "=", ">=")]

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("sheet", "code", "message", "status", "engine", "backend", "sense",
                                            "objective_cell", "objective_name", "objective_original", "objective",
                                            "variables", "constraints", "sensitivity", "nonlinear_items",
                                            "nonlinear_cells", "conflicts", "notes", "seconds", "build_seconds",
                                            "evaluations", "iterations", "mip_gap", "source", "workbook")}
        return _jsonable(d)

    def write(self, src: str, dst: str) -> None:
        """A copy of ``src`` with the solution in its decision cells and the
        Answer (and Sensitivity) report sheets."""
        from .report import write_solution
        write_solution(self, src, dst)


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return f if np.isfinite(f) else (1e30 if f > 0 else -1e30)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def find_spec(model, sheet: int | str | None = None) -> S.OptSpec:
    """The model on ``sheet``: Excel Solver names first, then GF.DECISION cells."""
    si = None if sheet is None else (sheet if isinstance(sheet, int) else model.sheet_index(sheet))
    with_names = S.sheets_with_models(model)
    if (si is None and with_names) or (si is not None and si in with_names):
        return S.from_solver_names(model, si)
    if S.has_gf_model(model):
        return S.from_cells(model, si)
    where = f"sheet {model.sheet_names[si]!r}" if si is not None else str(model.path)
    raise S.ModelError(f"{where}: no optimization model (no Excel Solver names, no GF.DECISION cells)")


def solve(model, sheet: int | str | None = None, *, spec: S.OptSpec | dict | str | None = None,
          engine: str | None = None, backend: str | None = None, keep: bool = True,
          out: str | None = None, options: dict | None = None) -> SolveResult:
    """Solve a model of ``model`` (an engine Model).

    ``spec``: an OptSpec, a dict / JSON text / JSON path declaring the model;
    by default the sheet's Excel Solver model (or GF.DECISION cells).
    ``engine``: force ``simplex``, ``grg`` or ``evolutionary`` (default: the
    model's; a linear model is solved by the LP solver whatever it asks).
    ``backend``: ``highs`` (default), ``ortools`` or ``scipy`` for LP/MILP.
    ``keep``: leave the solution in the model (as Excel's "Keep Solver
    Solution"); ``out``: write a solved copy with report sheets."""
    t0 = time.perf_counter()
    if spec is None:
        spec = find_spec(model, sheet)
    elif not isinstance(spec, S.OptSpec):
        spec = S.from_dict(model, spec)
    if options:
        for k, v in options.items():
            if not hasattr(spec.options, k):
                raise S.ModelError(f"unknown option {k!r}")
            setattr(spec.options, k, v)
    if backend:
        spec.options.backend = backend
    forced = S.engine_name(engine) if engine else None
    problem = Problem(model, spec)
    sheet_name = model.sheet_names[spec.sheet]
    res = SolveResult(sheet=sheet_name, code=13, message=MESSAGES[13], status="error",
                      engine=forced or spec.engine or "simplex", sense=spec.sense, source=spec.source,
                      workbook=str(model.path))
    if problem.obj_key is not None:
        res.objective_cell = problem.short_address(problem.obj_key)
        res.objective_name = problem.cell_name(problem.obj_key)
        res.objective_original = _num(model.cell_value(*problem.obj_key))
    x = None
    lpres: LPResult | None = None
    nlres: NLPResult | None = None
    lf = None
    eng = forced or spec.engine
    try:
        if spec.stochastic:
            from .stochastic import solve_stochastic
            nlres = solve_stochastic(problem, spec, eng or "grg")
            res.engine = eng or "grg"
        elif eng in (None, "simplex") or (not forced and eng in ("grg", "evolutionary")):
            lf = extract(problem)
            res.evaluations += 1
            res.build_seconds = time.perf_counter() - t0
            if lf.errors:
                res.code, res.message, res.status = 9, MESSAGES[9] + " (" + ", ".join(lf.errors[:8]) + ")", "error"
                return _finish(res, problem, None, keep, out, t0)
            if lf.linear:
                res.engine = "simplex"
                if eng not in (None, "simplex"):
                    res.notes.append(f"the model is linear: solved by the LP solver instead of {ENGINE_TITLES[eng]}")
                lpres = _solve_linear(problem, spec, lf)
                x = lpres.x
                if x is not None and lpres.status == "optimal":
                    off = verify_at(problem, lf, x)
                    if off:
                        lf.linear = False
                        lf.nonlinear_items = off
                        res.notes.append("the workbook's values at the LP solution differ from the linear model")
                        lpres = None
                        x = None
            if not lf.linear:
                res.nonlinear_items = lf.nonlinear_items
                res.nonlinear_cells = lf.nonlinear_cells
                if eng == "simplex":
                    res.code, res.status = 7, "not_linear"
                    res.message = MESSAGES[7]
                    res.engine = "simplex"
                    return _finish(res, problem, None, keep, out, t0)
                eng = eng or "grg"
        if lpres is None and nlres is None:
            res.engine = eng
            nlres = solve_evolutionary(problem, spec.options) if eng == "evolutionary" else \
                solve_grg(problem, spec.options)
    except S.ModelError:
        problem.release()
        raise
    if lpres is not None:
        res.code, res.message, res.status = lpres.code, lpres.message, lpres.status
        res.backend = lpres.backend
        res.mip_gap = lpres.mip_gap
        x = lpres.x
        if lpres.status == "infeasible":
            res.conflicts = _conflicts(problem, lpres)
        if lpres.status == "unbounded":
            x = None
    elif nlres is not None:
        res.code, res.message, res.status = nlres.code, nlres.message, nlres.status
        res.backend = nlres.backend
        res.iterations = nlres.iterations
        res.evaluations += nlres.evaluations
        res.notes += nlres.notes
        x = nlres.x if nlres.status in ("optimal", "time_limit") else None
    res.x = x
    _finish(res, problem, x, keep, out, t0, lpres=lpres, nlres=nlres, lf=lf)
    return res


def _solve_linear(problem: Problem, spec: S.OptSpec, lf) -> LPResult:
    o = spec.options
    lp = lf.program(problem)
    return solve_lp(lp, backend=o.backend or "highs", time_limit=o.time_limit, mip_gap=o.mip_gap,
                    relax_integers=o.relax_integers, tol=max(o.precision, 1e-9), iteration_limit=o.max_iterations)


def _conflicts(problem: Problem, r: LPResult) -> list[str]:
    out = []
    rows = problem.rows
    for i in r.iis_rows:
        if i < len(rows):
            out.append(problem.row_formula(rows[i]))
        else:
            out.append(f"{problem.spec.objective.text if problem.spec.objective else 'objective'} = "
                       f"{problem.spec.target:g} (Value Of)")
    by_var = {}
    for row in problem.bound_rows:
        by_var.setdefault(row.bound_var, []).append(row)
    for j, kind in r.iis_bounds:
        rel = ">=" if kind == "lower" else "<="
        cands = [b for b in by_var.get(j, []) if b.rel in (rel, "=")]
        if cands:
            out.append(problem.row_formula(cands[0]))
        else:
            bound = problem.lb[j] if kind == "lower" else problem.ub[j]
            out.append(f"{problem.var_address(j)}{rel}{bound:g}")
    return out


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    return None


def _finish(res: SolveResult, problem: Problem, x, keep: bool, out: str | None, t0: float,
            lpres: LPResult | None = None, nlres: NLPResult | None = None, lf=None) -> SolveResult:
    model = problem.model
    tol = max(problem.spec.options.precision, 1e-9)
    final = x if x is not None else problem.x_initial
    if x is not None:
        problem.apply(x)
    else:
        problem.release()
    cv = model.cell_value
    if problem.obj_key is not None:
        res.objective = _num(cv(*problem.obj_key))
    if problem.spec.stochastic and nlres is not None and nlres.objective is not None:
        res.objective = nlres.objective          # the statistic over the sample, not the base case
    kinds = np.where(problem.binary, "Binary", np.where(problem.integer, "Integer", "Contin"))
    res.variables = [{"cell": problem.var_address(j), "address": model.address(problem.var_keys[j]),
                      "name": problem.cell_name(problem.var_keys[j]), "original": float(problem.x_initial[j]),
                      "final": float(final[j]), "integer": str(kinds[j])} for j in range(problem.n)]
    rows = problem.all_rows()
    vals = problem.evaluate_rows(rows, final[None, :]) if rows else None
    res.constraints = []
    for i, row in enumerate(rows):
        lhs, rhs = float(vals.lhs[0, i]), float(vals.rhs[0, i])
        slack = rhs - lhs if row.rel == "<=" else (lhs - rhs if row.rel == ">=" else abs(lhs - rhs))
        binding = abs(slack) <= tol * 10 * max(1.0, abs(rhs))
        res.constraints.append({"cell": problem.row_label(row), "name": problem.cell_name(row.lhs_key),
                                "value": lhs, "rhs": rhs, "formula": problem.row_formula(row), "relation": row.rel,
                                "status": "Binding" if binding else "Not Binding", "slack": abs(slack) if binding else slack,
                                "bound": row.bound_var is not None})
    for con in problem.spec.constraints:
        if con.rel in ("int", "bin", "dif"):
            txt = {"int": "integer", "bin": "binary", "dif": "AllDifferent"}[con.rel]
            res.constraints.append({"cell": con.lhs.text, "name": "", "value": None, "rhs": None,
                                    "formula": f"{con.lhs.text}={txt}", "relation": con.rel, "status": "Binding",
                                    "slack": 0.0, "bound": False})
    if lpres is not None and lpres.status == "optimal" and lpres.shadow is not None:
        res.sensitivity = _lp_sensitivity(problem, lpres, final, None if lf is None else lf.c)
    elif nlres is not None and nlres.lagrange is not None:
        res.sensitivity = _grg_sensitivity(problem, nlres, final)
    if not keep or x is None:
        problem.release()
    else:
        # as Excel's "Keep Solver Solution": constant decision cells take the
        # values; GF.DECISION formula cells keep their formula, overridden
        model.overrides.clear()
        for j, key in enumerate(problem.var_keys):
            if key in model.formulas:
                model.overrides[key] = float(x[j])
            else:
                model.constants[key] = float(x[j])
        model.calculate()
    res.seconds = time.perf_counter() - t0
    if out:
        res.write(str(model.path), out)
    return res


def _lp_sensitivity(problem: Problem, r: LPResult, x, coef) -> dict:
    lp_rows = problem.rows
    c = r.reduced
    vars_ = []
    for j in range(problem.n):
        vars_.append({"cell": problem.var_address(j), "name": problem.cell_name(problem.var_keys[j]),
                      "final": float(x[j]), "reduced_cost": float(c[j]) if c is not None else None,
                      "objective_coefficient": None if coef is None else float(coef[j]),
                      "allowable_increase": None if r.cost_inc is None else float(r.cost_inc[j]),
                      "allowable_decrease": None if r.cost_dec is None else float(r.cost_dec[j])})
    cons = []
    vals = problem.evaluate_rows(lp_rows, np.asarray(x)[None, :]) if lp_rows else None
    for i, row in enumerate(lp_rows):
        cons.append({"cell": problem.row_label(row), "name": problem.cell_name(row.lhs_key),
                     "final": float(vals.lhs[0, i]), "shadow_price": float(r.shadow[i]),
                     "rhs": float(vals.rhs[0, i]),
                     "allowable_increase": None if r.rhs_inc is None else float(r.rhs_inc[i]),
                     "allowable_decrease": None if r.rhs_dec is None else float(r.rhs_dec[i])})
    note = ""
    if r.conditional:
        note = f"Integer model: Excel gives no Sensitivity Report; these are the duals of the {r.dual_basis} " \
               f"(conditional on the integer solution found)."
    return {"kind": "lp", "variables": vars_, "constraints": cons, "note": note, "conditional": r.conditional}


def _grg_sensitivity(problem: Problem, r: NLPResult, x) -> dict:
    vars_ = [{"cell": problem.var_address(j), "name": problem.cell_name(problem.var_keys[j]), "final": float(x[j]),
              "reduced_gradient": float(r.reduced_gradient[j])} for j in range(problem.n)]
    vals = problem.evaluate_rows(problem.rows, np.asarray(x)[None, :]) if problem.rows else None
    cons = [{"cell": problem.row_label(row), "name": problem.cell_name(row.lhs_key), "final": float(vals.lhs[0, i]),
             "lagrange_multiplier": float(r.lagrange[i])} for i, row in enumerate(problem.rows)]
    return {"kind": "grg", "variables": vars_, "constraints": cons, "note": ""}
