"""OR-Tools: CP-SAT for pure-integer models whose coefficients scale to
integers (and whose variables are bounded), GLOP for LPs (duals), SCIP (or
CBC) for other MILPs.

OR-Tools' shared library carries its own copy of HiGHS, whose symbols clash
with highspy's when both load into one process; so OR-Tools always runs in a
child process (``python -m engine.optimize.ortools_backend``), the model and
the result passing through pipes.
"""
from __future__ import annotations

import math
import pickle
import subprocess
import sys

import numpy as np

from .lp import _CODE, MESSAGES, LinearProgram, LPResult


def _integer_scale(values: np.ndarray, max_digits: int = 6) -> int | None:
    vals = values[np.abs(values) > 0]
    for d in range(max_digits + 1):
        s = 10 ** d
        if np.all(np.abs(vals * s - np.round(vals * s)) <= 1e-9 * np.maximum(1, np.abs(vals * s))):
            return s
    return None


def _cp_sat(lp: LinearProgram, time_limit) -> LPResult | None:
    integer = lp.integer if lp.integer is not None else np.zeros(lp.n, bool)
    if not np.all(integer) or not (np.all(np.isfinite(lp.lb)) and np.all(np.isfinite(lp.ub))):
        return None
    from ortools.sat.python import cp_model
    m = cp_model.CpModel()
    xs = [m.NewIntVar(int(math.ceil(lp.lb[j] - 1e-9)), int(math.floor(lp.ub[j] + 1e-9)), f"x{j}") for j in range(lp.n)]
    for i in range(lp.m):
        row = lp.A[i]
        s = _integer_scale(np.append(row, lp.b[i]))
        if s is None:
            return None
        coef = np.round(row * s).astype(np.int64)
        expr = sum(int(coef[j]) * xs[j] for j in np.nonzero(coef)[0])
        rhs = int(round(lp.b[i] * s))
        if lp.rel[i] == "<=":
            m.Add(expr <= rhs)
        elif lp.rel[i] == ">=":
            m.Add(expr >= rhs)
        else:
            m.Add(expr == rhs)
    for g in lp.alldiff:
        m.AddAllDifferent([xs[j] for j in g])
    s = _integer_scale(np.asarray(lp.c, float))
    if s is None:
        return None
    cc = np.round(np.asarray(lp.c) * s).astype(np.int64)
    obj = sum(int(cc[j]) * xs[j] for j in np.nonzero(cc)[0]) if np.any(cc) else 0
    if lp.sense == "max":
        m.Maximize(obj)
    else:
        m.Minimize(obj)
    solver = cp_model.CpSolver()
    if time_limit:
        solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = 2
    st = solver.Solve(m)
    if st == cp_model.OPTIMAL:
        status = "optimal"
    elif st == cp_model.FEASIBLE:
        status = "time_limit"
    elif st == cp_model.INFEASIBLE:
        status = "infeasible"
    else:
        status = "error"
    code = _CODE.get(status, 13)
    res = LPResult(status, code, MESSAGES.get(code, ""), backend="ortools-cpsat")
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        res.x = np.array([float(solver.Value(v)) for v in xs])
    return res


def solve_ortools(lp: LinearProgram, time_limit=None, mip_gap=None, relax=False) -> LPResult:
    """Solve with OR-Tools in a child process."""
    payload = pickle.dumps((lp, time_limit, mip_gap, relax))
    timeout = None if not time_limit else float(time_limit) + 60
    p = subprocess.run([sys.executable, "-m", "engine.optimize.ortools_backend"], input=payload,
                       capture_output=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("OR-Tools failed: " + p.stderr.decode(errors="replace")[-2000:])
    return pickle.loads(p.stdout)


def _solve_here(lp: LinearProgram, time_limit=None, mip_gap=None, relax=False) -> LPResult:
    integral = lp.has_integers() and not relax
    n0 = lp.n
    if integral:
        r = _cp_sat(lp, time_limit)
        if r is not None:
            return r
        if lp.alldiff:
            from .lp import _expand_alldiff
            lp = _expand_alldiff(lp)
    from ortools.linear_solver import pywraplp
    name = "SCIP" if integral else "GLOP"
    s = pywraplp.Solver.CreateSolver(name) or (pywraplp.Solver.CreateSolver("CBC") if integral else None)
    if s is None:
        raise RuntimeError(f"OR-Tools has no {name} solver in this build")
    inf = s.infinity()
    xs = []
    for j in range(lp.n):
        lo = lp.lb[j] if np.isfinite(lp.lb[j]) else -inf
        hi = lp.ub[j] if np.isfinite(lp.ub[j]) else inf
        if integral and lp.integer is not None and lp.integer[j]:
            xs.append(s.IntVar(lo, hi, f"x{j}"))
        else:
            xs.append(s.NumVar(lo, hi, f"x{j}"))
    cts = []
    for i in range(lp.m):
        lo = lp.b[i] if lp.rel[i] in (">=", "=") else -inf
        hi = lp.b[i] if lp.rel[i] in ("<=", "=") else inf
        ct = s.Constraint(lo, hi)
        for j in np.nonzero(lp.A[i])[0]:
            ct.SetCoefficient(xs[j], float(lp.A[i, j]))
        cts.append(ct)
    obj = s.Objective()
    for j in range(lp.n):
        obj.SetCoefficient(xs[j], float(lp.c[j]))
    if lp.sense == "max":
        obj.SetMaximization()
    else:
        obj.SetMinimization()
    if time_limit:
        s.SetTimeLimit(int(time_limit * 1000))
    if integral and mip_gap is not None:
        p = pywraplp.MPSolverParameters()
        p.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, float(mip_gap))
        st = s.Solve(p)
    else:
        st = s.Solve()
    status = {pywraplp.Solver.OPTIMAL: "optimal", pywraplp.Solver.FEASIBLE: "time_limit",
              pywraplp.Solver.INFEASIBLE: "infeasible", pywraplp.Solver.UNBOUNDED: "unbounded"}.get(st, "error")
    code = _CODE.get(status, 13)
    res = LPResult(status, code, MESSAGES.get(code, ""), backend=f"ortools-{name.lower()}")
    if status in ("optimal", "time_limit"):
        res.x = np.array([v.solution_value() for v in xs[:n0]], float)
        if not integral:
            # OR-Tools reports duals of the model as stated (max or min): Excel's sign already
            res.shadow = np.array([ct.dual_value() for ct in cts], float)
            res.reduced = np.array([v.reduced_cost() for v in xs], float)
    return res


if __name__ == "__main__":
    _lp, _tl, _gap, _relax = pickle.loads(sys.stdin.buffer.read())
    _res = _solve_here(_lp, _tl, _gap, _relax)
    sys.stdout.buffer.write(pickle.dumps(_res))
