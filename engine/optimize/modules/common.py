"""What the four real-estate modules share: an algebraic LP builder, the
result type (plan, binding constraints, shadow prices) and what-if diffs."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..lp import LinearProgram, LPResult, solve_lp


class Builder:
    """Variables by name, rows as {variable: coefficient}."""

    def __init__(self, sense: str = "max"):
        self.sense = sense
        self.names: list[str] = []
        self.index: dict[str, int] = {}
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.integer: list[bool] = []
        self.cost: dict[int, float] = {}
        self.rows: list[tuple[str, dict[int, float], str, float]] = []

    def var(self, name: str, lb: float = 0.0, ub: float = np.inf, integer: bool = False, cost: float = 0.0) -> int:
        j = len(self.names)
        self.names.append(name)
        self.index[name] = j
        self.lb.append(lb)
        self.ub.append(ub)
        self.integer.append(integer)
        if cost:
            self.cost[j] = cost
        return j

    def binary(self, name: str, cost: float = 0.0) -> int:
        return self.var(name, 0.0, 1.0, True, cost)

    def row(self, name: str, coefs: dict[int, float], rel: str, rhs: float) -> int:
        self.rows.append((name, {j: a for j, a in coefs.items() if a != 0}, rel, float(rhs)))
        return len(self.rows) - 1

    def program(self) -> LinearProgram:
        n, m = len(self.names), len(self.rows)
        A = np.zeros((m, n))
        for i, (_nm, coefs, _r, _b) in enumerate(self.rows):
            for j, a in coefs.items():
                A[i, j] += a
        c = np.zeros(n)
        for j, a in self.cost.items():
            c[j] = a
        return LinearProgram(c=c, A=A, rel=[r[2] for r in self.rows], b=np.array([r[3] for r in self.rows]),
                             lb=np.array(self.lb, float), ub=np.array(self.ub, float), sense=self.sense,
                             integer=np.array(self.integer, bool), var_names=list(self.names),
                             row_names=[r[0] for r in self.rows])

    def solve(self, **kw) -> tuple[LinearProgram, LPResult]:
        lp = self.program()
        return lp, solve_lp(lp, **kw)


@dataclass
class ModuleResult:
    module: str
    status: str
    code: int
    message: str
    objective: float | None
    plan: list[dict] = field(default_factory=list)
    decisions: dict[str, float] = field(default_factory=dict)      # name -> value, for diffs
    binding: list[str] = field(default_factory=list)
    shadow_prices: dict[str, float] = field(default_factory=dict)
    dual_basis: str = ""
    conflicts: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "optimal"

    def to_dict(self) -> dict:
        from ..solve import _jsonable
        return _jsonable(dataclasses.asdict(self))


def collect(module: str, lp: LinearProgram, res: LPResult, shown_rows: list[int] | None = None,
            tol: float = 1e-6) -> ModuleResult:
    out = ModuleResult(module, res.status, res.code, res.message, res.objective)
    if res.status == "infeasible":
        out.conflicts = [lp.row_names[i] for i in res.iis_rows] + \
                        [f"{lp.var_names[j]} {kind} bound" for j, kind in res.iis_bounds]
    if res.x is None:
        return out
    out.decisions = {nm: float(v) for nm, v in zip(lp.var_names, res.x)}
    rows = range(lp.m) if shown_rows is None else shown_rows
    for i in rows:
        if res.binding is not None and res.binding[i]:
            out.binding.append(lp.row_names[i])
        if res.shadow is not None:
            out.shadow_prices[lp.row_names[i]] = float(res.shadow[i]) + 0.0
    out.dual_basis = res.dual_basis if res.conditional else "LP"
    return out


@dataclass
class WhatIf:
    changes: dict[str, Any]
    base: ModuleResult
    new: ModuleResult
    objective_delta: float | None
    decision_changes: dict[str, tuple[float, float]]
    binding_added: list[str]
    binding_removed: list[str]

    def to_dict(self) -> dict:
        from ..solve import _jsonable
        return _jsonable({"changes": self.changes, "objective_base": self.base.objective,
                          "objective_new": self.new.objective, "objective_delta": self.objective_delta,
                          "decision_changes": {k: list(v) for k, v in self.decision_changes.items()},
                          "binding_added": self.binding_added, "binding_removed": self.binding_removed,
                          "status_new": self.new.status})


def diff(base: ModuleResult, new: ModuleResult, changes: dict[str, Any], tol: float = 1e-6) -> WhatIf:
    delta = None if base.objective is None or new.objective is None else new.objective - base.objective
    keys = list(dict.fromkeys(list(base.decisions) + list(new.decisions)))
    dec = {}
    for k in keys:
        a, b = base.decisions.get(k, 0.0), new.decisions.get(k, 0.0)
        if abs(a - b) > tol * max(1.0, abs(a), abs(b)):
            dec[k] = (a, b)
    return WhatIf(changes, base, new, delta, dec, [b for b in new.binding if b not in base.binding],
                  [b for b in base.binding if b not in new.binding])


def what_if(fn: Callable[[Any], ModuleResult], inputs: Any, base: ModuleResult | None = None,
            **changes) -> WhatIf:
    """Re-solve ``fn(inputs)`` with some fields of ``inputs`` changed and diff
    the objective, decisions and binding set."""
    base = base or fn(inputs)
    new_inputs = dataclasses.replace(inputs, **changes)
    return diff(base, fn(new_inputs), changes)
