"""JSON-spec entry points: a plain dict in (what an HTTP body or a JSON
file holds), a JSON-able dict out.  Used by ``gridflow waterfall`` and meant
for the server's waterfall/scenario jobs.  Each accepts ``progress(done,
total)``, called between stages.

RE spec::

    {"tiers": [["PREF", "", 0.08], ["CATCHUP", "", 1.0], ["SPLIT", "", null, 0.8, 0.2]]
              or [{"type": "PREF", "rate": 0.08}, ...],
     "cash_flows": [-1000000, 1450000]          # or (S, T) nested lists
     "deals": [[...], [...]],                    # per-deal flows (American)
     "property": {"iterations": 10000, "equity": 1e7, "years": 5, "seed": 1},
     "dates": [...], "periods_per_year": 1, "lp_share": 1.0, "compounding": "annual",
     "structure": "european", "clawback": true, "discount_rate": 0.10,
     "percentiles": [10, 50, 90]}

Film spec::

    {"tiers": [[tier, payee, rule, rate, amount, cap, term, fee, premium, group], ...]
              or "template": "film1",
     "receipts": [...] or (S, T),
     "revenue": {"dist": "LOGNORMAL", "params": [15e6, 8e6], "profile": [0, .45, .3, .15, .1]},
     "iterations": 100000, "seed": 1, "dates": [...], "periods_per_year": 1}

Incentive spec: a project (see :func:`compute_incentives`) plus optional
``programs``, ``as_of``, ``discount_rate``, ``monetization``.

Stack spec::

    {"budget": 1e7, "revenue": {...}, "incentive_amount": 2.4e6 or "incentives": {project},
     "iterations": 10000, "seed": 1, "perspectives": ["equity", "producer", "lender", "balanced"],
     "frontier": {"x": "equity_irr", "y": "p_recoup", "candidates": 200},
     "optimize": {"perspective": "equity"}}
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

import numpy as np

from . import capital_stack as CS
from .film import FilmWaterfall, film1_tiers
from .incentives import compute_incentives
from .realestate import re_waterfall
from .scenarios import RevenueModel, property_scenarios
from .tables import film_tiers, re_tiers

Progress = Callable[[int, int], None] | None


def jsonable(x: Any) -> Any:
    """numpy and NaN-free copy of a result (NaN/inf become None)."""
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, (np.floating, float)):
        f = float(x)
        return f if math.isfinite(f) else None
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _tick(progress: Progress, done: int, total: int) -> None:
    if progress:
        progress(done, total)


def _re_rows(tiers) -> list:
    rows = []
    for t in tiers:
        if isinstance(t, Mapping):
            rows.append([t.get("type"), t.get("name"), t.get("rate"), t.get("lp"), t.get("gp"),
                         t.get("promote", t.get("option"))])
        else:
            rows.append(list(t))
    return rows


def _revenue_model(spec: Mapping) -> RevenueModel:
    kw = {}
    if "dist" in spec:
        kw["dist"] = spec["dist"]
    if "params" in spec:
        kw["params"] = tuple(spec["params"])
    if "profile" in spec:
        kw["profile"] = tuple(spec["profile"])
    if "periods_per_year" in spec:
        kw["periods_per_year"] = int(spec["periods_per_year"])
    if "dates" in spec:
        kw["dates"] = spec["dates"]
    return RevenueModel(**kw)


def run_re_job(spec: Mapping, progress: Progress = None) -> dict:
    _tick(progress, 0, 2)
    tiers = re_tiers(_re_rows(spec["tiers"]))
    cf = spec.get("cash_flows")
    if "property" in spec:
        p = dict(spec["property"])
        n = int(p.pop("iterations", spec.get("iterations", 10_000)))
        cf = property_scenarios(n, **p)
    res = re_waterfall(cf, tiers, dates=spec.get("dates"), periods_per_year=int(spec.get("periods_per_year", 1)),
                       lp_share=float(spec.get("lp_share", 1.0)), compounding=spec.get("compounding", "annual"),
                       structure=spec.get("structure", "european"), deals=spec.get("deals"),
                       clawback=bool(spec.get("clawback", True)), discount_rate=spec.get("discount_rate", 0.10))
    _tick(progress, 1, 2)
    pct = tuple(spec.get("percentiles", (10, 50, 90)))
    out = {"summary": res.summary(pct), "tiers": res.tiers}
    if res.lp.n_scenarios == 1:
        out["periods"] = {p: {"net": party.net[0], "by_tier": {k: v[0] for k, v in party.by_tier.items()},
                              "irr": party.irr[0], "npv": party.npv[0], "multiple": party.multiple[0],
                              "payback": party.payback[0], "cash_on_cash": party.cash_on_cash[0]}
                          for p, party in (("LP", res.lp), ("GP", res.gp), ("project", res.project))}
    _tick(progress, 2, 2)
    return jsonable(out)


def run_film_job(spec: Mapping, progress: Progress = None) -> dict:
    _tick(progress, 0, 3)
    if spec.get("template") == "film1" or "tiers" not in spec:
        tiers = film1_tiers()
    else:
        tiers = film_tiers(spec["tiers"])
    if "receipts" in spec:
        receipts = np.asarray(spec["receipts"], dtype=float)
        model = None
    else:
        model = _revenue_model(spec.get("revenue", {}))
        receipts = model.sample(int(spec.get("iterations", 10_000)), int(spec.get("seed", 1)),
                                spec.get("sampling", "lhs"))
    _tick(progress, 1, 3)
    wf = FilmWaterfall(tiers, dict(spec.get("discount_rates", {})))
    dates = spec.get("dates", model.dates if model else None)
    ppy = int(spec.get("periods_per_year", model.periods_per_year if model else 1))
    res = wf.run(receipts, dates=dates, periods_per_year=ppy)
    _tick(progress, 2, 3)
    pct = tuple(spec.get("percentiles", (10, 50, 90)))
    out = {"summary": res.summary(pct)}
    if res.receipts.shape[0] == 1:
        out["tiers"] = [{"tier": t, "payee": p, "amount": a} for t, p, a in res.tier_amounts(0)]
        out["periods"] = [{"tier": t, "payee": p, "amounts": res.payments[(t, p)][0]} for t, p in res.order]
    _tick(progress, 3, 3)
    return jsonable(out)


def run_incentive_job(spec: Mapping, progress: Progress = None) -> dict:
    _tick(progress, 0, 1)
    project = {k: v for k, v in spec.items() if k not in ("programs", "discount_rate", "monetization")}
    res = compute_incentives(project, programs=spec.get("programs"), as_of=spec.get("as_of"),
                             discount_rate=float(spec.get("discount_rate", 0.08)),
                             monetization=spec.get("monetization"))
    _tick(progress, 1, 1)
    return jsonable(res.as_dict())


def run_stack_job(spec: Mapping, progress: Progress = None) -> dict:
    steps = 1 + bool(spec.get("frontier")) + bool(spec.get("optimize"))
    _tick(progress, 0, steps)
    budget = float(spec["budget"])
    inc = spec.get("incentive_amount")
    inc_detail = None
    if inc is None and "incentives" in spec:
        r = compute_incentives({"budget": budget, **spec["incentives"]})
        inc = r.net
        inc_detail = r.as_dict()
    fields = {k: spec[k] for k in ("cost_of_equity", "presale_cost", "incentive_cost", "cam_fee", "cam_cap",
                                   "sales_fee", "sales_expenses", "sales_expense_cap", "residuals",
                                   "investor_backend", "term_years", "discount_rate", "sales_estimates",
                                   "deferments") if k in spec}
    proj = CS.FilmProject(budget, _revenue_model(spec.get("revenue", {})),
                          incentive_amount=None if inc is None else float(inc), **fields)
    n = int(spec.get("iterations", 10_000))
    seed = int(spec.get("seed", 1))
    out: dict[str, Any] = {"incentive_amount": inc, "incentives": inc_detail}
    out.update(CS.compare_templates(proj, tuple(spec.get("perspectives", ("equity", "producer", "lender", "balanced"))),
                                    n, seed))
    done = 1
    _tick(progress, done, steps)
    if spec.get("frontier"):
        f = spec["frontier"]
        out["frontier"] = CS.frontier(proj, f.get("x", "equity_irr"), f.get("y", "p_recoup"),
                                      n_candidates=int(f.get("candidates", 200)), n=min(n, int(f.get("iterations", n))),
                                      seed=seed)
        done += 1
        _tick(progress, done, steps)
    if spec.get("optimize"):
        o = spec["optimize"]
        out["optimized"] = CS.optimize_stack(proj, o.get("perspective", o.get("weights", "balanced")),
                                             n=min(n, int(o.get("iterations", 3000))), seed=seed,
                                             max_debt=o.get("max_debt"))
        done += 1
        _tick(progress, done, steps)
    return jsonable(out)
