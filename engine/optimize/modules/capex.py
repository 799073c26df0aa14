"""Capex Phasing Planner: a time-indexed MILP of project start months
(finance_modules.md §1.3).

s_{p,t} ∈ {0,1} starts project p in month t (t = 0..T−1; it must finish by
the horizon, its deadline and start no earlier than its earliest month).

    max  Σ a_{p,t} s_{p,t}
    s.t. Σ_t s_{p,t} ≤ 1   (= 1 when mandatory)
         Σ_p Σ_k c_{p,k} s_{p,t−k} ≤ C_t (+ carried-forward cash when enabled)
         Σ_p Σ_{k<d_p} s_{p,t−k} ≤ K_t
         Σ_{t'≤t} s_{q,t'} ≤ Σ_{t'≤t−d_p} s_{p,t'}   (q starts only after p is complete)

a_{p,t}: PV of the rent uplift from month t+d_p to the horizon (plus a
terminal value uplift·12/cap rate at the horizon), less the PV of the cost
profile and of the rent lost while the works run.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .common import Builder, ModuleResult, collect


@dataclass
class Project:
    name: str
    costs: list[float]                   # monthly cost profile; its length is the duration
    uplift: float                        # monthly rent uplift after completion
    downtime_loss: float = 0.0           # monthly rent lost while the works run
    earliest: int = 0                    # first possible start month
    deadline: int | None = None          # latest completion month (exclusive end)
    mandatory: bool = False
    after: list[str] = field(default_factory=list)   # projects that must be complete first

    @property
    def duration(self) -> int:
        return len(self.costs)


@dataclass
class CapexInput:
    projects: list[Project]
    horizon: int                         # months
    cash_limit: float | list[float]
    capacity: int | list[int] = 2
    discount_rate: float = 0.08          # annual
    exit_cap_rate: float | None = None   # terminal value of the uplift at the horizon
    carry_forward: bool = False          # unspent cash rolls into later months


def _per_month(v, T) -> list[float]:
    if isinstance(v, (list, tuple)):
        if len(v) < T:
            raise ValueError(f"a monthly list needs {T} values")
        return [float(x) for x in v[:T]]
    return [float(v)] * T


def start_value(p: Project, t: int, inp: CapexInput) -> float:
    """a_{p,t}: PV of the uplift and terminal value less the PV of costs and downtime."""
    T = inp.horizon
    disc = lambda m: (1 + inp.discount_rate) ** (-m / 12.0)   # noqa: E731
    v = sum(p.uplift * disc(m) for m in range(t + p.duration, T))
    if inp.exit_cap_rate:
        v += p.uplift * 12.0 / inp.exit_cap_rate * disc(T)
    v -= sum(c * disc(t + k) for k, c in enumerate(p.costs))
    v -= sum(p.downtime_loss * disc(t + k) for k in range(p.duration))
    return v


def starts(p: Project, inp: CapexInput) -> list[int]:
    end = inp.horizon if p.deadline is None else min(inp.horizon, p.deadline)
    return list(range(p.earliest, end - p.duration + 1))


def plan_capex(inp: CapexInput, **solve_kw) -> ModuleResult:
    T = inp.horizon
    cash = _per_month(inp.cash_limit, T)
    cap = _per_month(inp.capacity, T)
    b = Builder("max")
    s: dict[tuple[str, int], int] = {}
    for p in inp.projects:
        for t in starts(p, inp):
            s[p.name, t] = b.binary(f"start {p.name} month {t}", cost=start_value(p, t, inp))
    names = {p.name: p for p in inp.projects}
    for p in inp.projects:
        js = {s[p.name, t]: 1.0 for t in starts(p, inp)}
        if not js and p.mandatory:
            raise ValueError(f"project {p.name} cannot fit between month {p.earliest} and its deadline")
        b.row(f"{p.name} once", js, "=" if p.mandatory else "<=", 1.0)
    shown = []
    bal_prev = None
    for t in range(T):
        spend: dict[int, float] = {}
        busy: dict[int, float] = {}
        for p in inp.projects:
            for k in range(p.duration):
                j = s.get((p.name, t - k))
                if j is not None:
                    spend[j] = spend.get(j, 0.0) + p.costs[k]
                    busy[j] = busy.get(j, 0.0) + 1.0
        if inp.carry_forward:
            bal = b.var(f"cash carried out of month {t}")
            coefs = dict(spend)
            coefs[bal] = 1.0
            if bal_prev is not None:
                coefs[bal_prev] = -1.0
            shown.append(b.row(f"cash month {t}", coefs, "<=", cash[t]))
            bal_prev = bal
        else:
            shown.append(b.row(f"cash month {t}", spend, "<=", cash[t]))
        shown.append(b.row(f"capacity month {t}", busy, "<=", cap[t]))
    for q in inp.projects:
        for pname in q.after:
            p = names[pname]
            for t in range(T):
                coefs = {s[q.name, u]: 1.0 for u in starts(q, inp) if u <= t}
                for u in starts(p, inp):
                    if u <= t - p.duration:
                        coefs[s[p.name, u]] = coefs.get(s[p.name, u], 0.0) - 1.0
                if any(v > 0 for v in coefs.values()):
                    b.row(f"{q.name} after {p.name} by month {t}", coefs, "<=", 0.0)
    lp, res = b.solve(**solve_kw)
    out = collect("capex_phasing", lp, res, shown)
    if res.x is None:
        return out
    gantt = {}
    spend = np.zeros(T)
    for p in inp.projects:
        chosen = [t for t in starts(p, inp) if res.x[s[p.name, t]] > 0.5]
        row = [0] * T
        if chosen:
            t0 = chosen[0]
            for k in range(p.duration):
                row[t0 + k] = 1
                spend[t0 + k] += p.costs[k]
            out.plan.append({"project": p.name, "start": t0, "end": t0 + p.duration, "value": start_value(p, t0, inp)})
        gantt[p.name] = row
    out.extra["gantt"] = gantt
    out.extra["monthly_spend"] = spend.tolist()
    out.metrics = {"projects_started": len(out.plan), "npv": res.objective}
    return out


def example_input() -> CapexInput:
    """The template workbook's data (workbooks/capex_phasing.xlsx)."""
    projects = [
        Project("Lobby refit", [120e3, 120e3], 9e3, 2e3, deadline=10, mandatory=True),
        Project("HVAC upgrade", [200e3, 150e3, 150e3], 14e3, 0.0),
        Project("Roof solar", [180e3, 90e3], 7e3, 0.0, earliest=2),
        Project("Floor 3 spec suite", [90e3, 90e3, 60e3], 12e3, 5e3, after=["HVAC upgrade"]),
        Project("Amenity deck", [110e3, 60e3], 6e3, 1e3),
        Project("EV charging", [70e3], 2.5e3, 0.0),
    ]
    return CapexInput(projects=projects, horizon=12, cash_limit=250e3, capacity=2, discount_rate=0.08,
                      exit_cap_rate=0.065)
