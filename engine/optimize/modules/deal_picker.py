"""Deal Picker: choose acquisitions under a budget, sector and city share
caps, cardinality limits and a linear risk penalty (MILP; finance_modules.md §1.1).

    max  Σ (v_i − λ ρ_i p_i) s_i
    s.t. Σ p_i s_i ≤ B
         Σ_{i∈sector} p_i s_i − κ_sector Σ_i p_i s_i ≤ 0      (same for cities)
         n_min ≤ Σ x_i ≤ n_max,  Σ_{i∈sector} x_i ≥ k_sector
         s_i = x_i ∈ {0,1}, or with partial stakes ℓ_i x_i ≤ s_i ≤ x_i

Shadow prices are those of the LP relaxation (pure binary model), labelled so:
the marginal value of $1 of budget, and of one share point of each cap."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field

from .common import Builder, ModuleResult, collect


@dataclass
class Deal:
    name: str
    sector: str
    city: str
    equity: float              # p_i: equity / cost
    value: float               # v_i: expected NPV (or yield x equity)
    risk: float = 0.0          # ρ_i: risk score
    min_stake: float | None = None   # ℓ_i: smallest partial stake (fraction) when partial stakes are allowed


@dataclass
class DealPickerInput:
    deals: list[Deal]
    budget: float
    risk_penalty: float = 0.0                          # λ
    sector_caps: dict[str, float] = field(default_factory=dict)   # share of the portfolio's equity
    city_caps: dict[str, float] = field(default_factory=dict)
    min_deals: int | None = None
    max_deals: int | None = None
    min_per_sector: dict[str, int] = field(default_factory=dict)
    partial: bool = False


def load_deals_csv(path: str) -> list[Deal]:
    """Columns: name, sector, city, equity, value (or npv), risk, min_stake (the last two optional)."""
    deals = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            r = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            value = r.get("value") or r.get("npv") or r.get("expected_value")
            deals.append(Deal(r["name"], r.get("sector", ""), r.get("city", ""), float(r["equity"]), float(value),
                              float(r.get("risk") or 0.0),
                              float(r["min_stake"]) if r.get("min_stake") else None))
    return deals


def score(d: Deal, risk_penalty: float) -> float:
    return d.value - risk_penalty * d.risk * d.equity


def pick_deals(inp: DealPickerInput, **solve_kw) -> ModuleResult:
    b = Builder("max")
    xs, ss = [], []
    for d in inp.deals:
        if inp.partial:
            x = b.binary(f"pick {d.name}")
            s = b.var(f"stake {d.name}", 0.0, 1.0, cost=score(d, inp.risk_penalty))
            b.row(f"stake {d.name} <= pick", {s: 1.0, x: -1.0}, "<=", 0.0)
            b.row(f"stake {d.name} >= min stake", {s: 1.0, x: -(d.min_stake or 0.0)}, ">=", 0.0)
        else:
            x = b.binary(f"pick {d.name}", cost=score(d, inp.risk_penalty))
            s = x
        xs.append(x)
        ss.append(s)
    shown = [b.row("budget", {s: d.equity for s, d in zip(ss, inp.deals)}, "<=", inp.budget)]
    for label, caps, attr in (("sector", inp.sector_caps, "sector"), ("city", inp.city_caps, "city")):
        for group, kappa in caps.items():
            coefs = {}
            for s, d in zip(ss, inp.deals):
                coefs[s] = d.equity * ((1.0 if getattr(d, attr) == group else 0.0) - kappa)
            shown.append(b.row(f"{label} cap {group}", coefs, "<=", 0.0))
    if inp.min_deals is not None:
        shown.append(b.row("minimum deal count", {x: 1.0 for x in xs}, ">=", inp.min_deals))
    if inp.max_deals is not None:
        shown.append(b.row("maximum deal count", {x: 1.0 for x in xs}, "<=", inp.max_deals))
    for sector, k in inp.min_per_sector.items():
        shown.append(b.row(f"minimum deals in {sector}",
                           {x: 1.0 for x, d in zip(xs, inp.deals) if d.sector == sector}, ">=", k))
    lp, res = b.solve(**solve_kw)
    out = collect("deal_picker", lp, res, shown)
    if res.x is None:
        return out
    total = 0.0
    for x, s, d in zip(xs, ss, inp.deals):
        stake = float(res.x[s])
        if res.x[x] > 0.5:
            total += d.equity * stake
            out.plan.append({"deal": d.name, "sector": d.sector, "city": d.city, "stake": stake,
                             "equity": d.equity * stake, "value": d.value * stake,
                             "risk_adjusted_value": score(d, inp.risk_penalty) * stake})
    out.metrics = {"budget_used": total, "budget": inp.budget, "deals_chosen": len(out.plan),
                   "value": sum(p["value"] for p in out.plan)}
    # one share point of a cap is worth shadow × (portfolio equity) / 100
    out.extra["value_per_cap_point"] = {k: v * total / 100.0 for k, v in out.shadow_prices.items()
                                        if k.startswith(("sector cap", "city cap"))}
    out.extra["value_per_budget_dollar"] = out.shadow_prices.get("budget")
    return out


def example_input() -> DealPickerInput:
    """The template workbook's data (workbooks/deal_picker.xlsx)."""
    rows = [
        ("Harbor Office", "Office", "Boston", 12.0, 2.6, 3), ("Elm Street Flats", "Residential", "Boston", 8.0, 1.5, 2),
        ("Lakeside Logistics", "Industrial", "Chicago", 15.0, 3.1, 2), ("Loop Tower", "Office", "Chicago", 20.0, 3.9, 4),
        ("Riverside Retail", "Retail", "Chicago", 6.0, 0.9, 4), ("Midtown Lofts", "Residential", "New York", 18.0, 3.0, 2),
        ("Hudson Yards Suite", "Office", "New York", 25.0, 4.6, 5), ("Bronx Depot", "Industrial", "New York", 9.0, 1.9, 2),
        ("Peachtree Center", "Office", "Atlanta", 11.0, 2.0, 3), ("Buckhead Homes", "Residential", "Atlanta", 7.0, 1.3, 1),
        ("Airport Sheds", "Industrial", "Atlanta", 10.0, 2.2, 2), ("Mission Mall", "Retail", "Dallas", 9.0, 1.2, 5),
        ("Uptown Apartments", "Residential", "Dallas", 13.0, 2.4, 2), ("Trinity Warehouse", "Industrial", "Dallas", 8.0, 1.6, 2),
        ("Galleria Offices", "Office", "Dallas", 14.0, 2.5, 3), ("Seaport Retail", "Retail", "Boston", 5.0, 0.8, 3),
    ]
    deals = [Deal(n, s, c, e * 1e6, v * 1e6, r) for n, s, c, e, v, r in rows]
    return DealPickerInput(deals=deals, budget=80e6, risk_penalty=0.01,
                           sector_caps={"Office": 0.40, "Residential": 0.40, "Industrial": 0.40, "Retail": 0.20},
                           city_caps={"Boston": 0.35, "Chicago": 0.35, "New York": 0.35, "Atlanta": 0.35,
                                      "Dallas": 0.35},
                           min_deals=3, max_deals=8)
