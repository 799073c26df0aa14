"""Debt Stack Mixer: size tranches under cumulative LTV, DSCR in every rate
scenario (rate caps as optional hedges), debt yield and sources = uses
(MILP; finance_modules.md §1.2).

Decisions: tranche amounts L_j ≥ 0, ticket switches z_j ∈ {0,1}
(m_j z_j ≤ L_j ≤ M_j z_j), equity E ≥ 0 and, for a floating tranche with a
cap offered, a hedge switch h_j: the tranche splits exactly into an
unhedged part (≤ M_j (1−h_j)) and a hedged part (≤ M_j h_j) whose scenario
rate is min(index, strike) + spread, so the model stays linear.

    min  Σ_j (E_s[r_js] + fee_j/term_j) L_j + premium_j L_j^hedged + cost_of_equity · E
    s.t. Σ_{j'≤j} L_j' ≤ LTV_j · Value                 (cumulative LTV per attachment point)
         Σ_j k_js L_j ≤ NOI / DSCR_min   ∀ s           (or the probability-weighted k)
         Σ_j L_j ≤ NOI / DY_min
         Σ_j L_j + E = Total cost

with k the annual debt constant ppy·i/(1−(1+i)^−n), i = r/ppy (r for interest-only).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .common import Builder, ModuleResult, collect


def debt_constant(rate: float, amort_years: float | None, ppy: int = 12) -> float:
    """Annual debt constant: ppy·i/(1−(1+i)^−n) with i = rate/ppy; ``rate`` when interest-only."""
    if not amort_years:
        return rate
    i = rate / ppy
    n = amort_years * ppy
    if i == 0:
        return 1.0 / amort_years
    return ppy * i / (1 - (1 + i) ** -n)


@dataclass
class Tranche:
    name: str
    max_size: float
    rate: float = 0.0                    # fixed rate, or the spread over the index when floating
    floating: bool = False
    amort_years: float | None = 30.0     # None: interest-only
    ltv_limit: float = 1.0               # cumulative LTV at this tranche's attachment point
    min_size: float = 0.0                # minimum ticket if used
    fee: float = 0.0                     # upfront fee, fraction of the amount
    term_years: float = 10.0
    ppy: int = 12
    cap_strike: float | None = None      # rate cap on the index (floating only)
    cap_premium: float = 0.0             # annual premium, fraction of the hedged amount


@dataclass
class RateScenario:
    name: str
    index: float
    probability: float = 1.0


@dataclass
class DebtStackInput:
    value: float
    noi: float
    total_cost: float
    tranches: list[Tranche]
    scenarios: list[RateScenario] = field(default_factory=list)
    dscr_min: float = 1.25
    debt_yield_min: float | None = None
    cost_of_equity: float = 0.15
    dscr_mode: str = "robust"            # robust: every scenario; expected: probability-weighted


def _rates(t: Tranche, inp: DebtStackInput, hedged: bool) -> list[float]:
    if not t.floating:
        return [t.rate] * max(1, len(inp.scenarios))
    if not inp.scenarios:
        raise ValueError(f"tranche {t.name} floats but no rate scenarios are given")
    out = []
    for s in inp.scenarios:
        idx = min(s.index, t.cap_strike) if hedged and t.cap_strike is not None else s.index
        out.append(idx + t.rate)
    return out


def mix_debt(inp: DebtStackInput, **solve_kw) -> ModuleResult:
    b = Builder("min")
    probs = np.array([s.probability for s in inp.scenarios] or [1.0], float)
    probs = probs / probs.sum()
    parts: list[tuple[int, Tranche, list[float]]] = []      # (variable, tranche, scenario rates)
    amount: dict[str, list[int]] = {}
    z = {}
    for t in inp.tranches:
        z[t.name] = b.binary(f"use {t.name}")
        hedge_options = [False, True] if (t.floating and t.cap_strike is not None) else [False]
        h = b.binary(f"hedge {t.name}") if len(hedge_options) == 2 else None
        amount[t.name] = []
        for hedged in hedge_options:
            r = _rates(t, inp, hedged)
            cost = float(np.dot(probs, r)) + t.fee / max(t.term_years, 1e-9) + (t.cap_premium if hedged else 0.0)
            j = b.var(f"{t.name}{' hedged' if hedged else ''} amount", cost=cost)
            parts.append((j, t, r))
            amount[t.name].append(j)
            if h is not None:
                b.row(f"{t.name} {'hedged' if hedged else 'unhedged'} part",
                      {j: 1.0, h: (-t.max_size if hedged else t.max_size)}, "<=", 0.0 if hedged else t.max_size)
        b.row(f"{t.name} maximum", {**{j: 1.0 for j in amount[t.name]}, z[t.name]: -t.max_size}, "<=", 0.0)
        b.row(f"{t.name} minimum ticket", {**{j: 1.0 for j in amount[t.name]}, z[t.name]: -t.min_size}, ">=", 0.0)
    E = b.var("equity", cost=inp.cost_of_equity)
    shown = []
    cum: dict[int, float] = {}
    for t in inp.tranches:
        for j in amount[t.name]:
            cum[j] = 1.0
        shown.append(b.row(f"LTV through {t.name}", dict(cum), "<=", t.ltv_limit * inp.value))
    cap = inp.noi / inp.dscr_min
    n_s = max(1, len(inp.scenarios))
    if inp.dscr_mode == "expected":
        coefs = {j: float(np.dot(probs, [debt_constant(r, t.amort_years, t.ppy) for r in rates]))
                 for j, t, rates in parts}
        shown.append(b.row("DSCR (expected)", coefs, "<=", cap))
    else:
        for s in range(n_s):
            label = inp.scenarios[s].name if inp.scenarios else "base"
            coefs = {j: debt_constant(rates[s], t.amort_years, t.ppy) for j, t, rates in parts}
            shown.append(b.row(f"DSCR {label}", coefs, "<=", cap))
    if inp.debt_yield_min:
        shown.append(b.row("debt yield", {j: 1.0 for j, _t, _r in parts}, "<=", inp.noi / inp.debt_yield_min))
    shown.append(b.row("sources = uses", {**{j: 1.0 for j, _t, _r in parts}, E: 1.0}, "=", inp.total_cost))
    lp, res = b.solve(**solve_kw)
    out = collect("debt_stack", lp, res, shown)
    if res.x is None:
        return out
    total_debt = 0.0
    for t in inp.tranches:
        amt = float(sum(res.x[j] for j in amount[t.name]))
        hedged = [j for j in amount[t.name] if "hedged" in lp.var_names[j]]
        total_debt += amt
        rates = [r for j, tt, r in parts if tt is t][-1 if hedged and res.x[hedged[0]] > 0.5 else 0]
        exp_rate = float(np.dot(probs, rates)) if t.floating else t.rate
        out.plan.append({"tranche": t.name, "amount": amt, "hedged": bool(hedged and res.x[hedged[0]] > 1e-6),
                         "expected_rate": exp_rate,
                         "debt_constant": debt_constant(exp_rate, t.amort_years, t.ppy),
                         "annual_debt_service": amt * debt_constant(exp_rate, t.amort_years, t.ppy)})
    ds = sum(p["annual_debt_service"] for p in out.plan)
    out.metrics = {"total_debt": total_debt, "equity": float(res.x[E]), "ltv": total_debt / inp.value,
                   "dscr_expected": inp.noi / ds if ds else None,
                   "debt_yield": inp.noi / total_debt if total_debt else None,
                   "annual_cost": res.objective}
    out.extra["amortization"] = {p["tranche"]: amortization_schedule(p["amount"], p["expected_rate"],
                                                                       t.amort_years, t.term_years, t.ppy)
                                 for p, t in zip(out.plan, inp.tranches) if p["amount"] > 0}
    return out


def amortization_schedule(amount: float, rate: float, amort_years: float | None, term_years: float,
                          ppy: int = 12) -> list[dict]:
    """Per period: I_t = B_{t−1}·r/ppy, P_t = PMT − I_t (0 when interest-only), B_t = B_{t−1} − P_t;
    the balloon B_T is repaid at maturity."""
    i = rate / ppy
    n_amort = (amort_years or 0) * ppy
    pmt = amount * i / (1 - (1 + i) ** -n_amort) if n_amort and i else (amount / n_amort if n_amort else 0.0)
    bal = amount
    rows = []
    T = int(round(term_years * ppy))
    for t in range(1, T + 1):
        interest = bal * i
        principal = (pmt - interest) if n_amort else 0.0
        closing = bal - principal
        balloon = closing if t == T else 0.0
        rows.append({"period": t, "opening": bal, "interest": interest, "principal": principal,
                     "balloon": balloon, "closing": closing - balloon})
        bal = closing
    return rows


def sizing_loan(noi: float, value: float, ltv: float, dscr: float, rate: float, amort_years: float | None,
                debt_yield: float | None = None, ppy: int = 12) -> dict:
    """Closed-form single-loan sizing: min(LTV·V, NOI/(DSCR·k), NOI/DY)."""
    k = debt_constant(rate, amort_years, ppy)
    out = {"constant": k, "ltv": ltv * value, "dscr": noi / (dscr * k)}
    if debt_yield:
        out["debt_yield"] = noi / debt_yield
    binding = min((v, key) for key, v in out.items() if key != "constant")
    out["max_loan"], out["binding"] = binding
    return out


def example_input() -> DebtStackInput:
    """The template workbook's data (workbooks/debt_stack.xlsx)."""
    return DebtStackInput(
        value=50e6, noi=3.2e6, total_cost=52e6,
        tranches=[Tranche("Senior", 32e6, rate=0.062, amort_years=30, ltv_limit=0.60, min_size=5e6, fee=0.01),
                  Tranche("Floating senior", 10e6, rate=0.025, floating=True, amort_years=None, ltv_limit=0.65,
                          min_size=2e6, fee=0.0075, cap_strike=0.045, cap_premium=0.004),
                  Tranche("Mezzanine", 8e6, rate=0.11, amort_years=None, ltv_limit=0.75, min_size=2e6, fee=0.02)],
        scenarios=[RateScenario("Low", 0.030, 0.3), RateScenario("Base", 0.042, 0.5), RateScenario("High", 0.060, 0.2)],
        dscr_min=1.25, debt_yield_min=0.075, cost_of_equity=0.14)
