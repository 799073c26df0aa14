"""The linear model of a workbook by batched finite differences.

One vectorized evaluation holds the base point, the base point plus a step
on each decision variable in turn (OpenSolver's method, all perturbations
at once) and a few random points: the perturbations give the objective and
constraint coefficients, the random points check that the model really is
linear (Excel's "linearity conditions").  When it is not, every formula cell
whose value depends on the decisions is checked the same way, and the cells
where the nonlinearity starts (nonlinear cells whose precedents are all
linear) are named.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..eval.vector import Vec
from .evaluate import Problem, _as_float
from .lp import LinearProgram


@dataclass
class LinearForm:
    c: np.ndarray                 # objective gradient
    c0: float
    P: np.ndarray                 # lhs = P x + p0 (rows x vars)
    p0: np.ndarray
    Q: np.ndarray                 # rhs = Q x + q0
    q0: np.ndarray
    linear: bool = True
    nonlinear_items: list[str] = field(default_factory=list)   # "objective" / row labels
    nonlinear_cells: list[str] = field(default_factory=list)   # where the nonlinearity starts
    errors: list[str] = field(default_factory=list)
    x0: np.ndarray | None = None
    steps: np.ndarray | None = None

    def program(self, problem: Problem) -> LinearProgram:
        A = self.P - self.Q
        b = self.q0 - self.p0
        sense = problem.spec.sense
        rel = [r.rel for r in problem.rows]
        c = self.c
        if sense == "value":   # Excel: "Value Of" is a constraint objective = target
            A = np.vstack([A, self.c[None, :]]) if len(self.c) else A
            b = np.append(b, problem.spec.target - self.c0)
            rel = rel + ["="]
            c = np.zeros_like(self.c)
        names = [problem.row_label(r) for r in problem.rows] + (["objective = target"] if sense == "value" else [])
        return LinearProgram(c=c, A=A, rel=rel, b=b, lb=problem.lb.copy(), ub=problem.ub.copy(),
                             sense="min" if sense == "value" else sense, c0=self.c0 if sense != "value" else 0.0,
                             integer=problem.integer.copy(), alldiff=[list(g) for g in problem.alldiff],
                             var_names=[problem.var_address(j) for j in range(problem.n)], row_names=names)


def _steps(x0: np.ndarray) -> np.ndarray:
    return np.maximum(1.0, 1e-4 * np.abs(x0))


def base_point(problem: Problem) -> np.ndarray:
    x0 = problem.x_initial.copy()
    x0 = np.where(np.isfinite(x0), x0, 0.0)
    lo = np.where(np.isfinite(problem.lb), problem.lb, -np.inf)
    hi = np.where(np.isfinite(problem.ub), problem.ub, np.inf)
    return np.clip(x0, lo, hi)


def check_points(problem: Problem, x0: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` points spread over the variables' box (bounds where finite, ten
    times the base point's scale otherwise) and as many near the base point,
    so that kinks such as ABS(x−3) away from the start are seen."""
    scale = np.maximum(1.0, np.abs(x0))
    lo = np.where(np.isfinite(problem.lb), problem.lb, x0 - 10 * scale)
    hi = np.where(np.isfinite(problem.ub), problem.ub, x0 + 10 * scale)
    lo = np.maximum(lo, x0 - 1e3 * scale)
    hi = np.minimum(hi, x0 + 1e3 * scale)
    wide = lo + rng.random((k, len(x0))) * (hi - lo)
    near = np.clip(x0 + (2 * rng.random((k, len(x0))) - 1) * scale, lo, hi)
    return np.vstack([wide, near])


def _tolerance(actual: np.ndarray, pred: np.ndarray, base: np.ndarray, spread: np.ndarray) -> np.ndarray:
    return 1e-7 * (1.0 + np.abs(actual) + np.abs(base) + spread) + 1e-9 * np.abs(pred)


def extract(problem: Problem, n_checks: int = 3, seed: int = 12345, diagnose: bool = True) -> LinearForm:
    """Coefficients of objective and rows, and whether they are linear."""
    n = problem.n
    x0 = base_point(problem)
    h = _steps(x0)
    rng = np.random.default_rng(seed)
    Xc = check_points(problem, x0, n_checks, rng)
    X = np.vstack([x0[None, :], x0[None, :] + np.diag(h), Xc])
    vals = problem.evaluate(X)
    F = np.column_stack([vals.obj, vals.lhs, vals.rhs])          # (S, 1 + 2m)
    m = len(problem.rows)
    form = _fit(F, x0, h, Xc, n)
    grad, const, bad, errors = form
    lf = LinearForm(c=grad[:, 0], c0=float(const[0]), P=grad[:, 1:1 + m].T.copy(), p0=const[1:1 + m].copy(),
                    Q=grad[:, 1 + m:].T.copy(), q0=const[1 + m:].copy(), x0=x0, steps=h)
    labels = ["objective"] + [problem.row_label(r) for r in problem.rows] + \
             [f"{problem.row_label(r)} (right side)" for r in problem.rows]
    if errors.any():
        lf.errors = [labels[i] for i in np.nonzero(errors)[0]]
    if bad.any():
        lf.linear = False
        seen = []
        for i in np.nonzero(bad)[0]:
            lab = labels[i].replace(" (right side)", "")
            if lab not in seen:
                seen.append(lab)
        lf.nonlinear_items = seen
        if diagnose and n <= 5000:
            lf.nonlinear_cells = nonlinear_cells(problem, X, x0, h, Xc)
    return lf


def _fit(F: np.ndarray, x0, h, Xc, n):
    base = F[0]
    errors = ~np.isfinite(base)
    grad = (F[1:n + 1] - base[None, :]) / h[:, None]               # (n, k)
    const = base - x0 @ grad
    dX = Xc - x0[None, :]
    pred = base[None, :] + dX @ grad
    actual = F[n + 1:]
    spread = np.abs(dX) @ np.abs(grad)
    ok_pts = np.isfinite(actual)
    diff = np.abs(actual - pred)
    bad = np.any(ok_pts & ~(diff <= _tolerance(actual, pred, base[None, :], spread)), axis=0)
    bad |= ~np.all(np.isfinite(grad), axis=0) & ~errors
    return grad, const, bad, errors


def nonlinear_cells(problem: Problem, X: np.ndarray, x0, h, Xc) -> list[str]:
    """Formula cells whose values are not linear in the decisions, keeping
    those where the nonlinearity starts."""
    model = problem.model
    n = problem.n
    problem._run(X)
    S = X.shape[0]
    keys = [k for k, v in model.values.items() if isinstance(v, Vec)]
    if not keys:
        return []
    F = np.column_stack([_as_float(model.values[k], S) for k in keys])
    _g, _c, bad, _e = _fit(F, x0, h, Xc, n)
    nonlin = {keys[i] for i in np.nonzero(bad)[0]}
    g = model.build_graph()
    roots = []
    for key in sorted(nonlin):
        parents = g.precedents(key)
        hit = False
        for p in parents:
            if len(p) == 3:
                hit = p in nonlin
            else:
                s, r1, c1, r2, c2 = p
                hit = any(k[0] == s and r1 <= k[1] <= r2 and c1 <= k[2] <= c2 for k in nonlin)
            if hit:
                break
        if not hit:
            roots.append(key)
    out = []
    for key in roots:
        out.append(f"{model.address(key)} (={model.formula_text(key)})" if key in model.formulas
                   else model.address(key))
    return out


def verify_at(problem: Problem, lf: LinearForm, x: np.ndarray) -> list[str]:
    """OpenSolver's check after the solve: the sheet's values at the solution
    must match the linear model's prediction."""
    vals = problem.evaluate(x[None, :])
    pred_obj = lf.c @ x + lf.c0
    pred_l = lf.P @ x + lf.p0
    pred_r = lf.Q @ x + lf.q0
    out = []

    def off(a, p):
        return not (abs(a - p) <= 1e-6 * (1 + abs(a) + abs(p)))
    if problem.obj_key is not None and off(vals.obj[0], pred_obj):
        out.append("objective")
    for i, r in enumerate(problem.rows):
        if off(vals.lhs[0, i], pred_l[i]) or off(vals.rhs[0, i], pred_r[i]):
            out.append(problem.row_label(r))
    return out
