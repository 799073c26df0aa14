"""Linear and mixed-integer programs: HiGHS (highspy; SciPy as a fallback)
and OR-Tools, with Excel-style sensitivity and conflict (IIS) reporting.

Sign conventions follow Excel's Sensitivity Report: a shadow price is the
change of the objective per +1 of a constraint's right-hand side, in the
model's own sense (positive for a binding <= in a max problem); a reduced
cost is the change of the objective per +1 of a variable at its bound.
Infinite ranges are ``inf`` here and ``1E+30`` in reports.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

INF = np.inf

# Excel SolverSolve result codes and messages (finance_modules.md §2.1)
MESSAGES = {
    0: "Solver found a solution. All Constraints and optimality conditions are satisfied.",
    1: "Solver has converged to the current solution. All Constraints are satisfied.",
    2: "Solver cannot improve the current solution. All Constraints are satisfied.",
    3: "Stop chosen when the maximum iteration limit was reached.",
    4: "The Objective Cell values do not converge.",
    5: "Solver could not find a feasible solution.",
    7: "The linearity conditions required by this LP Solver are not satisfied.",
    9: "Solver encountered an error value in the Objective Cell or a Constraint cell.",
    10: "Stop chosen when the maximum time limit was reached.",
    13: "There is an error in the model. Please verify that all cells and constraints are valid.",
    14: "Solver found an integer solution within tolerance. All Constraints are satisfied.",
    18: "All variables must have both upper and lower bounds.",
    19: "Variable bounds conflict in binary or alldifferent constraint.",
}


@dataclass
class LinearProgram:
    """max/min c·x + c0 subject to rows A x (<=|>=|=) b, lb <= x <= ub, x_j integer where flagged."""
    c: np.ndarray
    A: np.ndarray                       # (m, n) dense
    rel: list[str]                      # per row: <=, >=, =
    b: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    sense: str = "max"
    c0: float = 0.0
    integer: np.ndarray | None = None
    alldiff: list[list[int]] = field(default_factory=list)
    var_names: list[str] = field(default_factory=list)
    row_names: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.c)

    @property
    def m(self) -> int:
        return len(self.b)

    def has_integers(self) -> bool:
        return bool(self.alldiff) or (self.integer is not None and bool(np.any(self.integer)))

    def copy(self, **changes) -> "LinearProgram":
        d = dict(c=self.c.copy(), A=self.A.copy(), rel=list(self.rel), b=self.b.copy(), lb=self.lb.copy(),
                 ub=self.ub.copy(), sense=self.sense, c0=self.c0,
                 integer=None if self.integer is None else self.integer.copy(),
                 alldiff=[list(g) for g in self.alldiff], var_names=list(self.var_names),
                 row_names=list(self.row_names))
        d.update(changes)
        return LinearProgram(**d)


@dataclass
class LPResult:
    status: str                         # optimal | infeasible | unbounded | time_limit | iteration_limit | error
    code: int                           # Excel's result code
    message: str
    x: np.ndarray | None = None
    objective: float | None = None
    activity: np.ndarray | None = None  # A x per row
    slack: np.ndarray | None = None     # b - Ax for <=, Ax - b for >=, |Ax - b| for =
    binding: np.ndarray | None = None
    shadow: np.ndarray | None = None
    reduced: np.ndarray | None = None
    cost_inc: np.ndarray | None = None
    cost_dec: np.ndarray | None = None
    rhs_inc: np.ndarray | None = None
    rhs_dec: np.ndarray | None = None
    conditional: bool = False           # MILP: duals of a related LP (see dual_basis), not of the MILP
    dual_basis: str = "LP"
    iis_rows: list[int] = field(default_factory=list)
    iis_bounds: list[tuple[int, str]] = field(default_factory=list)   # (var, "lower"|"upper")
    backend: str = ""
    seconds: float = 0.0
    mip_gap: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == "optimal"


# --- HiGHS ---------------------------------------------------------------------------------

def _expand_alldiff(lp: LinearProgram) -> LinearProgram:
    """AllDifferent groups as assignment constraints: x_i = sum_k k z_ik, each
    row and column of z sums to 1 (Excel: values 1..N)."""
    if not lp.alldiff:
        return lp
    n0 = lp.n
    extra = sum(len(g) ** 2 for g in lp.alldiff)
    A = np.hstack([lp.A, np.zeros((lp.m, extra))])
    rows, rel, b, names = [], [], [], []
    col = n0
    for g in lp.alldiff:
        N = len(g)
        base = col
        for i, j in enumerate(g):
            r = np.zeros(n0 + extra)
            r[j] = 1.0
            for k in range(N):
                r[base + i * N + k] = -(k + 1)
            rows.append(r); rel.append("="); b.append(0.0); names.append(f"alldiff {lp.var_names[j] if lp.var_names else j}")
            r = np.zeros(n0 + extra)
            r[base + i * N: base + (i + 1) * N] = 1.0
            rows.append(r); rel.append("="); b.append(1.0); names.append("alldiff assignment")
        for k in range(N):
            r = np.zeros(n0 + extra)
            r[[base + i * N + k for i in range(N)]] = 1.0
            rows.append(r); rel.append("="); b.append(1.0); names.append("alldiff assignment")
        col += N * N
    integer = np.concatenate([lp.integer if lp.integer is not None else np.zeros(n0, bool), np.ones(extra, bool)])
    return LinearProgram(c=np.concatenate([lp.c, np.zeros(extra)]), A=np.vstack([A] + [np.array(rows)]),
                         rel=lp.rel + rel, b=np.concatenate([lp.b, b]),
                         lb=np.concatenate([lp.lb, np.zeros(extra)]), ub=np.concatenate([lp.ub, np.ones(extra)]),
                         sense=lp.sense, c0=lp.c0, integer=integer, var_names=lp.var_names, row_names=lp.row_names)


def _row_bounds(lp: LinearProgram) -> tuple[np.ndarray, np.ndarray]:
    lo = np.where([r in (">=", "=") for r in lp.rel], lp.b, -INF) if lp.m else np.zeros(0)
    hi = np.where([r in ("<=", "=") for r in lp.rel], lp.b, INF) if lp.m else np.zeros(0)
    return lo.astype(float), hi.astype(float)


_HIGHS_BANNER_SHOWN = False


def new_highs():
    """A quiet HiGHS instance.  The library prints its banner on the C-level
    stdout when the first instance is made, before any option can turn output
    off; that would corrupt ``--json`` output, so the first construction runs
    with file descriptor 1 pointed at /dev/null."""
    global _HIGHS_BANNER_SHOWN
    import os
    import sys
    import highspy
    if _HIGHS_BANNER_SHOWN:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _HIGHS_BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


def _highs(lp: LinearProgram, time_limit=None, mip_gap=None, relax=False, iteration_limit=None):
    import highspy
    h = new_highs()
    if time_limit:
        h.setOptionValue("time_limit", float(time_limit))
    if mip_gap is not None:
        h.setOptionValue("mip_rel_gap", float(mip_gap))
    if iteration_limit:
        h.setOptionValue("simplex_iteration_limit", int(iteration_limit))
    inf = highspy.kHighsInf
    model = highspy.HighsLp()
    model.num_col_ = lp.n
    model.num_row_ = lp.m
    sign = -1.0 if lp.sense == "max" else 1.0
    model.col_cost_ = sign * np.asarray(lp.c, float)
    model.col_lower_ = np.where(np.isfinite(lp.lb), lp.lb, -inf)
    model.col_upper_ = np.where(np.isfinite(lp.ub), lp.ub, inf)
    lo, hi = _row_bounds(lp)
    model.row_lower_ = np.where(np.isfinite(lo), lo, -inf)
    model.row_upper_ = np.where(np.isfinite(hi), hi, inf)
    from scipy import sparse
    M = sparse.csc_matrix(np.asarray(lp.A, float).reshape(lp.m, lp.n))
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = M.indptr
    model.a_matrix_.index_ = M.indices
    model.a_matrix_.value_ = M.data
    if lp.integer is not None and np.any(lp.integer) and not relax:
        model.integrality_ = [highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
                              for f in lp.integer]
    h.passModel(model)
    h.run()
    return h, highspy


def _status_of(h, highspy) -> str:
    st = h.getModelStatus()
    S = highspy.HighsModelStatus
    if st == S.kOptimal:
        return "optimal"
    if st in (S.kInfeasible,):
        return "infeasible"
    if st in (S.kUnbounded,):
        return "unbounded"
    if st == S.kUnboundedOrInfeasible:
        return "unbounded_or_infeasible"
    if st == S.kTimeLimit:
        return "time_limit"
    if st == S.kIterationLimit:
        return "iteration_limit"
    return "error"


_CODE = {"optimal": 0, "infeasible": 5, "unbounded": 4, "time_limit": 10, "iteration_limit": 3, "error": 13}


def _finish(lp: LinearProgram, res: LPResult, tol: float) -> LPResult:
    x = res.x
    act = lp.A @ x if lp.m else np.zeros(0)
    res.activity = act
    slack = np.zeros(lp.m)
    for i, r in enumerate(lp.rel):
        slack[i] = lp.b[i] - act[i] if r == "<=" else (act[i] - lp.b[i] if r == ">=" else abs(act[i] - lp.b[i]))
    res.slack = slack
    res.binding = np.abs(slack) <= tol * np.maximum(1.0, np.abs(lp.b))
    res.objective = float(lp.c @ x + lp.c0)
    return res


def _sensitivity_highs(lp: LinearProgram, h, highspy, res: LPResult) -> None:
    sol = h.getSolution()
    sign = -1.0 if lp.sense == "max" else 1.0
    res.shadow = sign * np.array(sol.row_dual[:lp.m], float)
    res.reduced = sign * np.array(sol.col_dual[:lp.n], float)
    try:
        status, rg = h.getRanging()
        if status != highspy.HighsStatus.kOk:
            return
    except Exception:
        return
    up = np.array(rg.col_cost_up.value_[:lp.n], float)
    dn = np.array(rg.col_cost_dn.value_[:lp.n], float)
    c = np.asarray(lp.c, float)
    if lp.sense == "max":       # HiGHS ranged the costs of min -c·x
        res.cost_inc, res.cost_dec = -dn - c, c + up
    else:
        res.cost_inc, res.cost_dec = up - c, c - dn
    res.cost_inc = np.where(np.abs(res.cost_inc) > 1e29, INF, np.maximum(res.cost_inc, 0.0))
    res.cost_dec = np.where(np.abs(res.cost_dec) > 1e29, INF, np.maximum(res.cost_dec, 0.0))
    basis = h.getBasis()
    rup = np.array(rg.row_bound_up.value_[:lp.m], float)
    rdn = np.array(rg.row_bound_dn.value_[:lp.m], float)
    inc = np.zeros(lp.m)
    dec = np.zeros(lp.m)
    B = highspy.HighsBasisStatus.kBasic
    for i in range(lp.m):
        b, a = lp.b[i], res.activity[i]
        if basis.row_status[i] == B:          # not binding: the RHS moves freely up to the activity
            if lp.rel[i] == "<=":
                inc[i], dec[i] = INF, max(b - a, 0.0)
            elif lp.rel[i] == ">=":
                inc[i], dec[i] = max(a - b, 0.0), INF
            else:
                inc[i], dec[i] = 0.0, 0.0
        else:
            inc[i] = INF if not np.isfinite(rup[i]) or abs(rup[i]) > 1e29 else max(rup[i] - b, 0.0)
            dec[i] = INF if not np.isfinite(rdn[i]) or abs(rdn[i]) > 1e29 else max(b - rdn[i], 0.0)
    res.rhs_inc, res.rhs_dec = inc, dec


def solve_lp(lp: LinearProgram, *, backend: str = "highs", time_limit: float | None = None,
             mip_gap: float | None = None, relax_integers: bool = False, tol: float = 1e-6,
             sensitivity: bool = True, find_conflicts: bool = True,
             iteration_limit: int | None = None) -> LPResult:
    """Solve ``lp``; for a MILP, the duals come from the LP with the integer
    variables fixed at their optimum (``result.conditional``)."""
    t0 = time.perf_counter()
    if backend == "ortools":
        from .ortools_backend import solve_ortools
        res = solve_ortools(lp, time_limit=time_limit, mip_gap=mip_gap, relax=relax_integers)
    elif backend == "scipy":
        res = _solve_scipy(lp, time_limit, mip_gap, relax_integers)
    else:
        try:
            import highspy  # noqa: F401
        except ImportError:
            res = _solve_scipy(lp, time_limit, mip_gap, relax_integers)
        else:
            res = _solve_highs(lp, time_limit, mip_gap, relax_integers, iteration_limit)
    if res.x is not None and res.status in ("optimal", "time_limit", "iteration_limit"):
        _finish(lp, res, tol)
        if sensitivity and res.status == "optimal":
            integral = lp.has_integers() and not relax_integers
            if integral or res.shadow is None or res.cost_inc is None:
                fixed = lp
                if integral:
                    xi = np.round(res.x)
                    integer = lp.integer if lp.integer is not None else np.zeros(lp.n, bool)
                    mask = integer.copy()
                    for g in lp.alldiff:
                        mask[g] = True
                    lb, ub = lp.lb.copy(), lp.ub.copy()
                    if mask.all():
                        # nothing continuous is left once the integers are fixed: the
                        # duals of the LP relaxation are the informative ones
                        res.dual_basis = "LP relaxation"
                    else:
                        lb[mask] = xi[mask]
                        ub[mask] = xi[mask]
                        res.dual_basis = "LP with the integer variables fixed at their optimum"
                    fixed = lp.copy(lb=lb, ub=ub, integer=None, alldiff=[])
                try:
                    h, hs = _highs(fixed)
                    if _status_of(h, hs) == "optimal":
                        tmp = LPResult("optimal", 0, "", x=np.array(h.getSolution().col_value[:lp.n]))
                        _finish(fixed, tmp, tol)
                        _sensitivity_highs(fixed, h, hs, tmp)
                        res.shadow, res.reduced = tmp.shadow, tmp.reduced
                        res.cost_inc, res.cost_dec = tmp.cost_inc, tmp.cost_dec
                        res.rhs_inc, res.rhs_dec = tmp.rhs_inc, tmp.rhs_dec
                        res.conditional = integral
                except ImportError:
                    pass
    if res.status == "unbounded_or_infeasible":
        # tell them apart: the feasibility problem decides
        feas = _feasible(lp.copy(c=np.zeros(lp.n)), relax_integers)
        res.status = "unbounded" if feas else "infeasible"
        res.code = _CODE[res.status]
        res.message = MESSAGES[res.code]
    if res.status == "infeasible" and find_conflicts:
        res.iis_rows, res.iis_bounds = conflict_set(lp, relax_integers)
    res.seconds = time.perf_counter() - t0
    return res


def _solve_highs(lp, time_limit, mip_gap, relax, iteration_limit) -> LPResult:
    lpx = _expand_alldiff(lp) if not relax else lp
    h, hs = _highs(lpx, time_limit, mip_gap, relax, iteration_limit)
    status = _status_of(h, hs)
    code = _CODE.get(status, 13)
    res = LPResult(status, code, MESSAGES.get(code, ""), backend="highs")
    if status in ("optimal", "time_limit", "iteration_limit"):
        sol = h.getSolution()
        if sol.value_valid:
            res.x = np.array(sol.col_value[:lp.n], float)
        elif status != "optimal":
            res.x = None
        integral = lp.has_integers() and not relax
        if integral:
            info = h.getInfo()
            res.mip_gap = float(info.mip_gap)
            if status == "optimal" and res.mip_gap > 1e-9:
                res.code, res.message = 14, MESSAGES[14]
        if status == "optimal" and not integral and not lp.alldiff:
            _finish(lp, res, 1e-6)
            _sensitivity_highs(lp, h, hs, res)
    return res


def _solve_scipy(lp, time_limit, mip_gap, relax) -> LPResult:
    from scipy.optimize import Bounds, LinearConstraint, milp
    lpx = _expand_alldiff(lp) if not relax else lp
    sign = -1.0 if lp.sense == "max" else 1.0
    lo, hi = _row_bounds(lpx)
    cons = [LinearConstraint(lpx.A, lo, hi)] if lpx.m else []
    integ = None
    if lpx.integer is not None and not relax:
        integ = lpx.integer.astype(int)
    opts = {}
    if time_limit:
        opts["time_limit"] = float(time_limit)
    if mip_gap is not None:
        opts["mip_rel_gap"] = float(mip_gap)
    r = milp(sign * lpx.c, constraints=cons, integrality=integ, bounds=Bounds(lpx.lb, lpx.ub), options=opts)
    status = {0: "optimal", 1: "iteration_limit", 2: "infeasible", 3: "unbounded"}.get(r.status, "error")
    code = _CODE.get(status, 13)
    res = LPResult(status, code, MESSAGES.get(code, ""), backend="scipy")
    if r.x is not None:
        res.x = np.asarray(r.x[:lp.n], float)
    return res


def _feasible(lp: LinearProgram, relax: bool) -> bool:
    try:
        import highspy  # noqa: F401
        h, hs = _highs(_expand_alldiff(lp) if not relax else lp, relax=relax)
        return _status_of(h, hs) == "optimal"
    except ImportError:
        return _solve_scipy(lp, None, None, relax).status == "optimal"


def conflict_set(lp: LinearProgram, relax: bool = False, limit: int = 3000) -> tuple[list[int], list[tuple[int, str]]]:
    """An irreducible infeasible subset by the deletion filter: drop each
    row and finite bound in turn; keep it only if the rest becomes feasible."""
    items: list[tuple[str, int]] = [("row", i) for i in range(lp.m)]
    items += [("lower", j) for j in range(lp.n) if np.isfinite(lp.lb[j]) and lp.lb[j] != 0]
    items += [("upper", j) for j in range(lp.n) if np.isfinite(lp.ub[j])]
    if len(items) > limit:
        return [], []
    zero = lp.copy(c=np.zeros(lp.n))
    if not relax and lp.has_integers() and _feasible(zero, True):
        relax = False          # the LP relaxation is feasible: the conflict involves integrality
    elif lp.has_integers():
        relax = True           # cheaper, and already infeasible without integrality

    def feasible_with(active: list[tuple[str, int]]) -> bool:
        rows = [i for k, i in active if k == "row"]
        lb = np.where(lp.lb == 0, 0.0, -INF)       # non-negativity (solver_neg) always applies
        ub = np.full(lp.n, INF)
        for k, j in active:
            if k == "lower":
                lb[j] = lp.lb[j]
            elif k == "upper":
                ub[j] = lp.ub[j]
        sub = zero.copy(A=lp.A[rows], rel=[lp.rel[i] for i in rows], b=lp.b[rows], lb=lb, ub=ub)
        return _feasible(sub, relax)

    if feasible_with(items):
        return [], []
    keep = list(items)
    for it in list(items):
        trial = [x for x in keep if x != it]
        if not feasible_with(trial):
            keep = trial
    return [i for k, i in keep if k == "row"], [(j, k) for k, j in keep if k != "row"]
