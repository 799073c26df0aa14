"""Nonlinear models: SciPy's SLSQP with gradients from batched finite
differences (GRG Nonlinear), integers by branch and bound on top of it, and
differential evolution evaluating whole populations in one vectorized pass
(Evolutionary)."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .evaluate import Problem
from .lp import MESSAGES


@dataclass
class NLPResult:
    status: str
    code: int
    message: str
    x: np.ndarray | None = None
    objective: float | None = None
    lagrange: np.ndarray | None = None        # per row, Excel's sign (objective per +1 of the RHS)
    reduced_gradient: np.ndarray | None = None
    iterations: int = 0
    evaluations: int = 0                      # batched workbook passes
    seconds: float = 0.0
    backend: str = ""
    notes: list[str] = field(default_factory=list)


class _Oracle:
    """Objective, constraint values and their Jacobians, one batched pass per point."""

    def __init__(self, problem: Problem, central: bool = False, evaluator=None):
        self.p = problem
        self.ev = evaluator or _plain(problem)
        self.central = central
        self.cache: dict[bytes, tuple] = {}
        self.passes = 0
        spec = problem.spec
        self.sign = -1.0 if spec.sense == "max" else 1.0
        self.value_of = spec.sense == "value"
        self.target = spec.target
        self.h_scale = 1e-7

    def _point(self, x: np.ndarray):
        key = np.asarray(x, float).tobytes()
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        n = len(x)
        h = self.h_scale * np.maximum(1.0, np.abs(x))
        if self.central:
            X = np.vstack([x[None, :], x[None, :] + np.diag(h), x[None, :] - np.diag(h)])
        else:
            X = np.vstack([x[None, :], x[None, :] + np.diag(h)])
        obj, g = self.ev(X)
        self.passes += 1
        if self.central:
            dobj = (obj[1:n + 1] - obj[n + 1:]) / (2 * h)
            dg = (g[1:n + 1] - g[n + 1:]) / (2 * h)[:, None]
        else:
            dobj = (obj[1:n + 1] - obj[0]) / h
            dg = (g[1:n + 1] - g[0][None, :]) / h[:, None]
        out = (obj[0], g[0], dobj, dg.T)
        if len(self.cache) > 64:
            self.cache.clear()
        self.cache[key] = out
        return out

    def f(self, x):
        o = self._point(x)[0]
        return 0.0 if self.value_of else self.sign * o

    def df(self, x):
        return np.zeros(len(x)) if self.value_of else self.sign * self._point(x)[2]

    def ineq(self, x):          # >= 0
        _o, g, _d, _J = self._point(x)
        return np.concatenate([self._side(g, "<="), self._side(g, ">=")])

    def _side(self, g, rel):
        idx = [i for i, r in enumerate(self.p.rows) if r.rel == rel]
        return -g[idx] if rel == "<=" else g[idx]

    def dineq(self, x):
        _o, _g, _d, J = self._point(x)
        le = [i for i, r in enumerate(self.p.rows) if r.rel == "<="]
        ge = [i for i, r in enumerate(self.p.rows) if r.rel == ">="]
        return np.vstack([-J[le], J[ge]]) if (le or ge) else np.zeros((0, len(x)))

    def eq(self, x):
        o, g, _d, _J = self._point(x)
        idx = [i for i, r in enumerate(self.p.rows) if r.rel == "="]
        out = g[idx]
        if self.value_of:
            out = np.append(out, o - self.target)
        return out

    def deq(self, x):
        _o, _g, d, J = self._point(x)
        idx = [i for i, r in enumerate(self.p.rows) if r.rel == "="]
        out = J[idx]
        if self.value_of:
            out = np.vstack([out, d[None, :]])
        return out


def _slsqp(problem: Problem, oracle: _Oracle, x0, lb, ub, opts):
    from scipy.optimize import minimize
    cons = []
    if any(r.rel != "=" for r in problem.rows):
        cons.append({"type": "ineq", "fun": oracle.ineq, "jac": oracle.dineq})
    if any(r.rel == "=" for r in problem.rows) or oracle.value_of:
        cons.append({"type": "eq", "fun": oracle.eq, "jac": oracle.deq})
    bounds = [(None if not np.isfinite(a) else a, None if not np.isfinite(b) else b) for a, b in zip(lb, ub)]
    x0 = np.clip(x0, np.where(np.isfinite(lb), lb, -np.inf), np.where(np.isfinite(ub), ub, np.inf))
    r = minimize(oracle.f, x0, jac=oracle.df, bounds=bounds, constraints=cons, method="SLSQP",
                 options={"maxiter": opts.max_iterations or 500, "ftol": min(1e-9, opts.convergence * 1e-4)})
    return r


def _feasible(problem: Problem, oracle: _Oracle, x, lb, ub, tol) -> bool:
    if np.any(x < lb - tol * np.maximum(1, np.abs(lb))) or np.any(x > ub + tol * np.maximum(1, np.abs(ub))):
        return False
    _o, g, _d, _J = oracle._point(x)
    scale = tol * (1 + np.abs(g))
    for i, r in enumerate(problem.rows):
        if r.rel == "<=" and g[i] > scale[i]:
            return False
        if r.rel == ">=" and g[i] < -scale[i]:
            return False
        if r.rel == "=" and abs(g[i]) > max(scale[i], 1e-6):
            return False
    if oracle.value_of and abs(_o - oracle.target) > 1e-6 * (1 + abs(oracle.target)):
        return False
    return True


def _plain(problem: Problem):
    def ev(X):
        v = problem.evaluate(X)
        return v.obj, v.g
    return ev


def solve_grg(problem: Problem, opts, x0: np.ndarray | None = None, evaluator=None) -> NLPResult:
    t0 = time.perf_counter()
    oracle = _Oracle(problem, central=opts.central_differences, evaluator=evaluator)
    if evaluator is not None:
        oracle.h_scale = 1e-4
    x0 = problem.x_initial.copy() if x0 is None else x0
    tol = max(opts.precision, 1e-7) * 10
    integer = problem.integer.copy() if not opts.relax_integers else np.zeros(problem.n, bool)
    starts = [x0]
    if opts.multistart:
        rng = np.random.default_rng(opts.seed or 0)
        lo = np.where(np.isfinite(problem.lb), problem.lb, x0 - 10 * np.maximum(1, np.abs(x0)))
        hi = np.where(np.isfinite(problem.ub), problem.ub, x0 + 10 * np.maximum(1, np.abs(x0)))
        starts += [lo + rng.random(problem.n) * (hi - lo) for _ in range(9)]
    best = None
    iters = 0
    if problem.alldiff:
        return NLPResult("error", 13, "AllDifferent constraints need the Simplex LP or Evolutionary engine.")
    deadline = t0 + (opts.time_limit or 1e9)
    for xs in starts:
        if not integer.any():
            r = _slsqp(problem, oracle, xs, problem.lb, problem.ub, opts)
            iters += r.nit
            cand = (r.x, r.fun, r.success)
        else:
            cand, it = _branch_and_bound(problem, oracle, xs, integer, opts, tol, deadline)
            iters += it
            if cand is None:
                continue
        x, fval, success = cand
        if _feasible(problem, oracle, x, problem.lb, problem.ub, tol) and (best is None or fval < best[1] - 1e-12):
            best = (x, fval, success)
    res = NLPResult("infeasible", 5, MESSAGES[5], iterations=iters, backend="scipy-slsqp")
    if best is not None:
        x, fval, success = best
        res.x = x
        res.objective = float(oracle._point(x)[0])
        res.status, res.code = "optimal", (0 if success else 2)
        res.message = MESSAGES[res.code]
        _multipliers(problem, oracle, x, res, tol)
    res.evaluations = oracle.passes
    res.seconds = time.perf_counter() - t0
    return res


def _branch_and_bound(problem, oracle, x0, integer, opts, tol, deadline):
    """Depth-first branch and bound over SLSQP relaxations."""
    limit = opts.max_subproblems or 2000
    best = None
    iters = 0
    stack = [(problem.lb.copy(), problem.ub.copy(), x0)]
    nodes = 0
    while stack and nodes < limit and time.perf_counter() < deadline:
        lb, ub, xs = stack.pop()
        nodes += 1
        r = _slsqp(problem, oracle, xs, lb, ub, opts)
        iters += r.nit
        x = r.x
        if not _feasible(problem, oracle, x, lb, ub, tol):
            continue
        if best is not None and r.fun >= best[1] - 1e-9 * (1 + abs(best[1])):
            continue
        frac = np.abs(x - np.round(x)) * integer
        j = int(np.argmax(frac))
        if frac[j] <= 1e-6:
            xr = np.where(integer, np.round(x), x)
            if _feasible(problem, oracle, xr, problem.lb, problem.ub, tol):
                best = (xr, oracle.f(xr), True)
            continue
        lo_ub = ub.copy(); lo_ub[j] = math.floor(x[j])
        hi_lb = lb.copy(); hi_lb[j] = math.ceil(x[j])
        # explore the nearer branch first
        first, second = ((lb, lo_ub), (hi_lb, ub)) if x[j] - math.floor(x[j]) < 0.5 else ((hi_lb, ub), (lb, lo_ub))
        stack.append((second[0], second[1], x))
        stack.append((first[0], first[1], x))
    return best, iters


def _multipliers(problem: Problem, oracle: _Oracle, x, res: NLPResult, tol) -> None:
    """Lagrange multipliers of the active rows (least squares on the KKT
    conditions) and the reduced gradient, in Excel's sign."""
    o, g, d, J = oracle._point(x)
    active = [i for i, r in enumerate(problem.rows)
              if r.rel == "=" or abs(g[i]) <= tol * (1 + abs(g[i]) + 1e-9) * 10]
    lam = np.zeros(len(problem.rows))
    if active:
        sol, *_ = np.linalg.lstsq(J[active].T, d, rcond=None)
        # d obj = sum lam_i d g_i;  g = lhs - rhs, so +1 on the RHS changes the objective by -lam_i
        lam[active] = -sol
    res.lagrange = lam
    res.reduced_gradient = d + (J.T @ lam if len(lam) else 0.0)


# --- Evolutionary ---------------------------------------------------------------------------

def solve_evolutionary(problem: Problem, opts, evaluator=None) -> NLPResult:
    from scipy.optimize import NonlinearConstraint, differential_evolution
    t0 = time.perf_counter()
    lb, ub = problem.lb, problem.ub
    if not (np.all(np.isfinite(lb)) and np.all(np.isfinite(ub))):
        missing = [problem.var_address(j) for j in range(problem.n) if not (np.isfinite(lb[j]) and np.isfinite(ub[j]))]
        return NLPResult("error", 18, MESSAGES[18] + " (" + ", ".join(missing[:8]) + ")")
    spec = problem.spec
    sign = -1.0 if spec.sense == "max" else 1.0
    cache: dict[bytes, tuple] = {}
    passes = [0]
    ev = evaluator or _plain(problem)

    def values(X):               # X: (n, S) as SciPy passes a population
        X = np.atleast_2d(X.T if X.ndim == 2 else X[None, :])
        key = X.tobytes()
        hit = cache.get(key)
        if hit is None:
            hit = ev(X)
            passes[0] += 1
            cache.clear()
            cache[key] = hit
        return hit

    def fobj(X):
        obj, _g = values(X)
        if spec.sense == "value":
            out = np.abs(obj - spec.target)
        else:
            out = sign * obj
        out = np.where(np.isfinite(out), out, 1e300)
        return out if X.ndim == 2 else out[0]

    def fcons(X):
        _obj, g = values(X)
        g = np.where(np.isfinite(g), g, 1e300)
        Xs = np.atleast_2d(X.T if X.ndim == 2 else X[None, :])
        for grp in problem.alldiff:      # repeated values in an AllDifferent group
            srt = np.sort(np.round(Xs[:, grp]), axis=1)
            g = np.column_stack([g, np.sum(np.diff(srt, axis=1) == 0, axis=1).astype(float)])
        return g.T if X.ndim == 2 else g[0]

    lo = np.array([-np.inf if r.rel == "<=" else 0.0 for r in problem.rows])
    hi = np.array([0.0 if r.rel in ("<=", "=") else np.inf for r in problem.rows])
    tol_eq = max(opts.precision, 1e-9)
    lo = np.where(np.array([r.rel == "=" for r in problem.rows], bool), -tol_eq, lo) if problem.rows else lo
    hi = np.where(np.array([r.rel == "=" for r in problem.rows], bool), tol_eq, hi) if problem.rows else hi
    lo = np.concatenate([lo, np.zeros(len(problem.alldiff))])
    hi = np.concatenate([hi, np.zeros(len(problem.alldiff))])
    constraints = (NonlinearConstraint(fcons, lo, hi),) if len(lo) else ()
    integrality = problem.integer.copy() if not opts.relax_integers else None
    pop = opts.population or 100
    popsize = max(5, int(math.ceil(pop / max(1, problem.n))))
    r = differential_evolution(fobj, list(zip(lb, ub)), constraints=constraints, integrality=integrality,
                               vectorized=True, updating="deferred", seed=opts.seed if opts.seed else 0,
                               popsize=popsize, maxiter=opts.max_iterations or 1000, tol=opts.convergence,
                               mutation=(0.5, 1.0), polish=False, init="sobol" if problem.n > 1 else "latinhypercube")
    x = np.asarray(r.x, float)
    if problem.alldiff:
        x = np.round(x)
    feasible = getattr(r, "constr_violation", 0.0) <= max(1e-6, tol_eq)
    res = NLPResult("optimal" if feasible else "infeasible", 1 if feasible else 5,
                    MESSAGES[1] if feasible else MESSAGES[5], x=x, iterations=int(r.nit), backend="scipy-de")
    if problem.alldiff:
        for g in problem.alldiff:
            if len(set(np.round(x[g]))) != len(g):
                res.status, res.code, res.message = "infeasible", 5, MESSAGES[5] + " (AllDifferent not met)"
    res.objective = float(ev(x[None, :])[0][0])
    res.evaluations = passes[0] + 1
    res.seconds = time.perf_counter() - t0
    return res
