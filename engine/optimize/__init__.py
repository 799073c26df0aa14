"""Optimization from the workbook (issue 8).

Excel Solver models run as they are: the hidden ``solver_*`` names of a
sheet are read (:mod:`.spec`), the model is built from the compiled graph by
one vectorized pass over perturbed decision vectors (:mod:`.linear`), checked
for linearity (the nonlinear cells are named), and solved by HiGHS (LP/MILP,
with Excel's sensitivity ranges), OR-Tools (CP-SAT / GLOP / SCIP, in a child
process), SciPy SLSQP with batched finite differences (GRG Nonlinear) or
differential evolution over whole populations at once (Evolutionary).

Python API (stable; the server and the Excel add-in call these)::

    import engine
    from engine import optimize
    model = engine.load("book.xlsx")
    res = optimize.solve(model, "Sheet1")              # or model.solve("Sheet1")
    res.code, res.message, res.objective, res.values(), res.binding()
    res.sensitivity          # {"kind": "lp", "variables": [...], "constraints": [...]}
    res.to_dict()            # JSON-ready
    optimize.solve_workbook("book.xlsx", out="solved.xlsx")   # + Answer/Sensitivity sheets

    # a model without Excel Solver names
    optimize.solve(model, spec={"objective": "Sheet1!E10", "sense": "max",
                                "variables": ["Sheet1!B2:D2"],
                                "constraints": [{"lhs": "Sheet1!E5:E6", "rel": "<=", "rhs": "Sheet1!G5:G6"}]})
    # or cells: =GF.DECISION(0, 0, 10, "int"), =GF.OBJECTIVE(E10, "max"), =GF.CONSTRAINT(E5, "<=", G5)

    # a plain LP/MILP in matrix form (HiGHS, Excel-style duals and ranges)
    optimize.solve_lp(optimize.LinearProgram(c=..., A=..., rel=[...], b=..., lb=..., ub=...))

The four real-estate modules (typed inputs, plan, binding constraints,
shadow prices and what-if diffs; each also has a template workbook built by
``workbooks/optimize_templates.py``)::

    optimize.pick_deals(DealPickerInput(...))          # Deal Picker (MILP)
    optimize.mix_debt(DebtStackInput(...))             # Debt Stack Mixer (MILP)
    optimize.plan_capex(CapexInput(...))               # Capex Phasing Planner (time-indexed MILP)
    optimize.optimize_leasing(LeasingInput(...))       # Leasing Mix Optimizer (MILP, exact WAULT row)
    optimize.what_if(module_function, inputs, field=value, ...)   # re-solve and diff
    optimize.run_module("deal_picker", json_dict)      # JSON in, JSON-ready dict out (for HTTP)

Stochastic optimization: a model whose ``stochastic`` section names a
statistic (``mean``, ``percentile`` or ``prob``) of the simulated objective
cell is solved over a fixed sample of the workbook's random inputs (sample
average approximation, all candidates x scenarios in one vectorized pass).
"""
from __future__ import annotations

from . import functions  # noqa: F401  (registers GF.DECISION / GF.OBJECTIVE / GF.CONSTRAINT)
from .lp import LinearProgram, LPResult, MESSAGES, solve_lp
from .solve import SolveResult, find_spec, solve
from .spec import ModelError, OptSpec, from_cells, from_dict, from_solver_names, sheets_with_models


def solve_workbook(path: str, sheet: str | None = None, *, out: str | None = None, **kw) -> SolveResult:
    """Load ``path``, solve its model and optionally write a solved copy."""
    import engine
    model = engine.load(path)
    return solve(model, sheet, out=out, **kw)


def __getattr__(name: str):
    # the real-estate modules are imported on first use
    import importlib
    modules = importlib.import_module(__name__ + ".modules")
    if name == "modules":
        return modules
    if name in modules.__all__:
        return getattr(modules, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["solve", "solve_workbook", "solve_lp", "LinearProgram", "LPResult", "SolveResult", "OptSpec",
           "ModelError", "MESSAGES", "find_spec", "from_cells", "from_dict", "from_solver_names",
           "sheets_with_models"]
