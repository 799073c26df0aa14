"""Leasing Mix Optimizer: one lease package per vacant unit, maximizing the
12-month net cash flow under an incentive budget, an occupancy target and a
WAULT floor (MILP; finance_modules.md §1.4).

    max  Σ NCF12_{u,k} y_{u,k}
    s.t. Σ_k y_{u,k} ≤ 1
         Σ A_u I_k y_{u,k} ≤ Budget
         Σ_e A_e + Σ A_u y_{u,k} ≥ occ_min · GLA
         Σ_e R_e (T_e − W) + Σ R_{u,k} (T_k − W) y_{u,k} ≥ 0      (WAULT ≥ W, exact)

NCF12 = rent received in months 1–12 (after fit-out and free months) less
the incentive (paid up front).  The WAULT row's dual is not "$ per year of
WAULT": ``wault_sensitivity`` re-solves at W ± ΔW instead.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .common import Builder, ModuleResult, collect


@dataclass
class Unit:
    name: str
    area: float


@dataclass
class Package:
    name: str
    term_years: float
    rent: float                  # annual face rent per area unit
    free_months: int = 0
    incentive: float = 0.0       # TI/LC per area unit, paid up front
    fitout_months: int = 0       # months before the lease starts


@dataclass
class ExistingLease:
    name: str
    area: float
    rent: float                  # annual rent (total)
    remaining_years: float


@dataclass
class LeasingInput:
    units: list[Unit]
    packages: list[Package]
    existing: list[ExistingLease] = field(default_factory=list)
    budget: float = float("inf")
    occupancy_min: float = 0.0   # fraction of GLA
    wault_min: float | None = None
    gla: float | None = None     # default: existing + vacant area
    weighting: str = "income"    # income | area


def ncf12(u: Unit, k: Package) -> float:
    paying = max(0, 12 - k.fitout_months - k.free_months)
    return k.rent * u.area / 12.0 * paying - k.incentive * u.area


def lease_weight(u: Unit, k: Package, weighting: str) -> float:
    return u.area if weighting == "area" else k.rent * u.area


def optimize_leasing(inp: LeasingInput, **solve_kw) -> ModuleResult:
    b = Builder("max")
    y = {}
    for u in inp.units:
        for k in inp.packages:
            y[u.name, k.name] = b.binary(f"{u.name} <- {k.name}", cost=ncf12(u, k))
    for u in inp.units:
        b.row(f"one package for {u.name}", {y[u.name, k.name]: 1.0 for k in inp.packages}, "<=", 1.0)
    shown = []
    if inp.budget != float("inf"):
        shown.append(b.row("incentive budget", {y[u.name, k.name]: u.area * k.incentive
                                                for u in inp.units for k in inp.packages}, "<=", inp.budget))
    gla = inp.gla or (sum(e.area for e in inp.existing) + sum(u.area for u in inp.units))
    if inp.occupancy_min:
        shown.append(b.row("occupancy", {y[u.name, k.name]: u.area for u in inp.units for k in inp.packages}, ">=",
                           inp.occupancy_min * gla - sum(e.area for e in inp.existing)))
    if inp.wault_min is not None:
        W = inp.wault_min
        ew = [(e.area if inp.weighting == "area" else e.rent) for e in inp.existing]
        const = sum(w * (e.remaining_years - W) for w, e in zip(ew, inp.existing))
        shown.append(b.row("WAULT floor", {y[u.name, k.name]: lease_weight(u, k, inp.weighting) * (k.term_years - W)
                                           for u in inp.units for k in inp.packages}, ">=", -const))
    lp, res = b.solve(**solve_kw)
    out = collect("leasing_mix", lp, res, shown)
    if res.x is None:
        return out
    num = sum((e.area if inp.weighting == "area" else e.rent) * e.remaining_years for e in inp.existing)
    den = sum((e.area if inp.weighting == "area" else e.rent) for e in inp.existing)
    spent = 0.0
    leased = 0.0
    for u in inp.units:
        for k in inp.packages:
            if res.x[y[u.name, k.name]] > 0.5:
                w = lease_weight(u, k, inp.weighting)
                num += w * k.term_years
                den += w
                spent += u.area * k.incentive
                leased += u.area
                out.plan.append({"unit": u.name, "package": k.name, "area": u.area, "ncf12": ncf12(u, k),
                                 "annual_rent": k.rent * u.area, "term_years": k.term_years,
                                 "incentive": u.area * k.incentive})
    out.metrics = {"ncf12": res.objective, "wault": num / den if den else None, "incentives": spent,
                   "occupancy": (sum(e.area for e in inp.existing) + leased) / gla}
    return out


def wault_sensitivity(inp: LeasingInput, delta: float = 0.25, **solve_kw) -> dict:
    """ΔObjective/ΔW by re-solving at W − Δ and W + Δ (the dual of the
    linearised row is not a price per year of WAULT)."""
    if inp.wault_min is None:
        raise ValueError("no WAULT floor to vary")
    base = optimize_leasing(inp, **solve_kw)
    lo = optimize_leasing(dataclasses.replace(inp, wault_min=inp.wault_min - delta), **solve_kw)
    hi = optimize_leasing(dataclasses.replace(inp, wault_min=inp.wault_min + delta), **solve_kw)
    out = {"wault_min": inp.wault_min, "delta": delta, "objective": base.objective,
           "objective_down": lo.objective, "objective_up": hi.objective}
    out["per_year_down"] = None if lo.objective is None or base.objective is None else \
        (base.objective - lo.objective) / delta
    out["per_year_up"] = None if hi.objective is None or base.objective is None else \
        (hi.objective - base.objective) / delta
    return out


def example_input() -> LeasingInput:
    """The template workbook's data (workbooks/leasing_mix.xlsx)."""
    units = [Unit("L1-A", 850), Unit("L1-B", 600), Unit("L2-A", 1200), Unit("L2-B", 400), Unit("L3", 1500),
             Unit("L4-A", 700), Unit("L4-B", 950), Unit("L5", 1100)]
    packages = [Package("3y no incentive", 3, 420, 0, 0, 1), Package("5y standard", 5, 440, 3, 60, 2),
                Package("7y long", 7, 455, 6, 120, 2), Package("10y anchor", 10, 470, 9, 200, 3)]
    existing = [ExistingLease("Tenant A", 3000, 1.26e6, 2.5), ExistingLease("Tenant B", 2200, 0.95e6, 6.0),
                ExistingLease("Tenant C", 1800, 0.74e6, 1.2)]
    return LeasingInput(units, packages, existing, budget=450e3, occupancy_min=0.85, wault_min=4.0)
