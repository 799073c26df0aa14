"""GridFlow's finance worksheet functions: waterfalls, incentives, Pareto.

``=GF.WATERFALL(tiers, cash_flows, [dates], [lp_share], [compounding], [output], [discount_rate])``
    Real-estate equity waterfall over a tier table (``engine.finance.tables``:
    Type, Name, Rate, LP split, GP split, Promote) and a row or column of
    signed project cash flows (negative = capital call).  Without dates the
    periods are years.  ``output``: "tiers" (default: Tier | LP | GP | Total
    per tier, then a total row), "metrics" (IRR, NPV, multiple, payback for
    LP, GP and the project), "lp" / "gp" / "project" (net flows per period),
    "lp_tiers" / "gp_tiers" (tier x period).
``=GF.FILMWATERFALL(tiers, receipts, [dates], [output])``
    Film waterfall over a film tier table (Tier, Payee, Rule, Rate, Amount,
    Cap, Term, Fee, Premium, Group).  ``output``: "tiers" (default: Tier |
    Payee | Amount, then a total row), "periods" (one row per tier and payee,
    one column per period), "stakeholders" (Received | Invested | IRR |
    Multiple | Recouped).
``=GF.INCENTIVE(program, spend, [labour], [budget], [vfx_labour], [as_of], [output], [attributes])``
    One incentive program's credit from the dated policy records in force on
    ``as_of`` (default today).  ``spend`` is the jurisdiction's qualifying
    spend (UK: UK core costs; ``budget`` is then the total core costs).
    ``output``: "gross" (default), "net" (after tax and monetization), "pv",
    "rate" (gross / spend), "tax".  ``attributes``: a two-column range of
    name / value (format, kind...).
``=GF.PARETOFRONT(values, [senses])`` (GF.PARETO is the Pareto distribution)
    TRUE for the non-dominated rows of ``values``; ``senses`` a row of "max"
    / "min" per column (default all "max").
``=GF.PROMOTE(lp_split, lp_share)``, ``=GF.PROMOTEDSPLIT(promote, gp_share)``,
``=GF.CATCHUP(pref, carry, [rate])``
    The promote/split conversions and the catch-up amount of the finance
    reference §8.

Inside a simulation, ranges holding per-scenario values make these
functions run scenario by scenario (correct; for large runs use
``engine.finance`` directly, which is vectorized).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..values import BLANK, MISSING, NA, NUM, VALUE, Array, XLError
from . import coerce
from .registry import function

CAT = "finance"


def _given(a) -> bool:
    if a is None or a is MISSING or a is BLANK:
        return False
    if isinstance(a, Array) and a.rows == 1 and a.cols == 1 and a.data[0][0] in (BLANK, MISSING):
        return False
    return True


def _cells(arr: Array) -> list[list[Any]]:
    """Rows of plain Python values; an error inside propagates."""
    out = []
    for row in arr.data:
        r = []
        for v in row:
            if isinstance(v, XLError):
                raise v
            r.append(None if v is BLANK or v is MISSING else v)
        out.append(r)
    return out


def _vector(arr: Array, what: str) -> list[float]:
    if arr.rows != 1 and arr.cols != 1:
        raise VALUE.with_message(f"{what} must be one row or one column")
    vals = []
    for v in arr:
        if isinstance(v, XLError):
            raise v
        if v is BLANK or v is MISSING:
            vals.append(0.0)
        elif isinstance(v, bool):
            raise VALUE.with_message(f"{what}: logical value")
        elif isinstance(v, str):
            try:
                vals.append(coerce.to_number(v))
            except XLError:
                raise VALUE.with_message(f"{what}: text {v!r} is not a number")
        else:
            vals.append(float(v))
    return vals


def _num_out(x) -> Any:
    if x is None:
        return NUM
    x = float(x)
    return x if math.isfinite(x) else NUM


def _table_error(exc: Exception) -> XLError:
    return VALUE.with_message(str(exc))


def _dates(dates, n: int):
    if not _given(dates):
        return None
    d = _vector(dates if isinstance(dates, Array) else Array([[dates]]), "dates")
    if len(d) != n:
        raise NUM.with_message(f"{len(d)} dates for {n} cash flows")
    return d


@function("GF.WATERFALL", "array, array, array?, number?, text?, text?, number?", category=CAT,
          array_result=True, aliases=("GF_WATERFALL",))
def GF_WATERFALL(tiers, cash_flows, dates=None, lp_share=1.0, compounding="annual", output="tiers",
                 discount_rate=0.10):
    """Real-estate equity waterfall: distribution table of a tier table and a cash-flow range."""
    from ..finance import realestate as R
    from ..finance.tables import TableError, re_tiers
    try:
        tl = re_tiers(_cells(tiers))
    except TableError as exc:
        return _table_error(exc)
    flows = _vector(cash_flows, "cash flows")
    if not flows:
        return VALUE
    d = _dates(dates, len(flows))
    if not 0 <= lp_share <= 1:
        return NUM.with_message("lp_share must be between 0 and 1")
    try:
        res = R.re_waterfall(np.array(flows), tl, dates=d, lp_share=lp_share,
                             compounding=compounding or "annual", discount_rate=discount_rate)
    except ValueError as exc:
        return VALUE.with_message(str(exc))
    out = (output or "tiers").strip().lower()
    if out == "tiers":
        rows = [["Tier", "LP", "GP", "Total"]]
        lp_t = gp_t = 0.0
        for name, v in res.tier_totals(0).items():
            rows.append([name, v["LP"], v["GP"], v["LP"] + v["GP"]])
            lp_t += v["LP"]
            gp_t += v["GP"]
        rows.append(["Total", lp_t, gp_t, lp_t + gp_t])
        return Array(rows)
    if out == "metrics":
        parties = (res.lp, res.gp, res.project)
        rows = [["Metric", "LP", "GP", "Project"]]
        for label, attr in (("IRR", "irr"), ("NPV", "npv"), ("Multiple", "multiple"), ("Payback (years)", "payback")):
            rows.append([label] + [_num_out(getattr(p, attr)[0]) for p in parties])
        return Array(rows)
    if out in ("lp", "gp", "project"):
        p = {"lp": res.lp, "gp": res.gp, "project": res.project}[out]
        return Array([[float(x) for x in p.net[0]]])
    if out in ("lp_tiers", "gp_tiers"):
        p = res.lp if out == "lp_tiers" else res.gp
        return Array([[name] + [float(x) for x in p.by_tier[name][0]] for name in res.tiers])
    return VALUE.with_message(f"unknown output {output!r}")


@function("GF.FILMWATERFALL", "array, array, array?, text?", category=CAT, array_result=True,
          aliases=("GF_FILMWATERFALL",))
def GF_FILMWATERFALL(tiers, receipts, dates=None, output="tiers"):
    """Film revenue waterfall: amounts per tier and payee for a tier table and receipts."""
    from ..finance.film import FilmWaterfall
    from ..finance.tables import TableError, film_tiers
    try:
        tl = film_tiers(_cells(tiers))
        wf = FilmWaterfall(tl)
    except (TableError, ValueError) as exc:
        return _table_error(exc)
    rec = _vector(receipts, "receipts")
    if not rec:
        return VALUE
    if any(x < 0 for x in rec):
        return NUM.with_message("receipts must be non-negative")
    d = _dates(dates, len(rec))
    try:
        res = wf.run(np.array(rec), dates=d)
    except ValueError as exc:
        return VALUE.with_message(str(exc))
    out = (output or "tiers").strip().lower()
    if out == "tiers":
        rows = [["Tier", "Payee", "Amount"]]
        rows += [[t, p, a] for t, p, a in res.tier_amounts(0)]
        left = float(res.unallocated[0].sum())
        if left:
            rows.append(["Unallocated", "", left])
        rows.append(["Total", "", float(res.receipts[0].sum())])
        return Array(rows)
    if out == "periods":
        return Array([[t, p] + [float(x) for x in res.payments[(t, p)][0]] for t, p in res.order])
    if out == "stakeholders":
        rows = [["Stakeholder", "Received", "Invested", "IRR", "Multiple", "Recouped"]]
        for name, party in res.stakeholders.items():
            inv = float(party.total_contributed[0])
            rows.append([name, float(party.total_distributed[0]), inv,
                         _num_out(party.irr[0]) if inv else NA, _num_out(party.multiple[0]) if inv else NA,
                         bool(party.recouped[0]) if inv else NA])
        return Array(rows)
    return VALUE.with_message(f"unknown output {output!r}")


def _attributes(arr) -> dict:
    if not _given(arr):
        return {}
    if not isinstance(arr, Array) or arr.cols < 2:
        raise VALUE.with_message("attributes must be a two-column range of name and value")
    out = {}
    for row in _cells(arr):
        if row[0] is None:
            continue
        v = row[1]
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, str) and v.upper() in ("TRUE", "FALSE"):
            v = v.upper() == "TRUE"
        out[str(row[0]).strip()] = v
    return out


@function("GF.INCENTIVE", "text, number, number?, number?, number?, any?, text?, array?", category=CAT,
          aliases=("GF_INCENTIVE",))
def GF_INCENTIVE(program, spend, labour=None, budget=None, vfx_labour=None, as_of=None, output="gross",
                 attributes=None):
    """Film tax credit of one program from the dated policy records."""
    from ..finance.incentives import PolicyError, program_credit
    sp = {"spend": spend, "core_costs": spend}
    if labour is not None:
        sp["labour"] = labour
    if vfx_labour is not None:
        sp["vfx_labour"] = vfx_labour
    day = None
    if as_of not in (None, MISSING, BLANK, ""):
        day = as_of if isinstance(as_of, str) else float(as_of)
    try:
        attrs = _attributes(attributes)
        b = budget if budget is not None else None
        extra = {"total_core_costs": b} if b is not None else {}
        res = program_credit(program.strip().lower(), sp, budget=b, attributes=attrs, as_of=day, **extra)
    except PolicyError as exc:
        return NA.with_message(str(exc))
    except ValueError as exc:
        return VALUE.with_message(str(exc))
    if not res.eligible:
        return NA.with_message("; ".join(res.reasons) or "not eligible")
    out = (output or "gross").strip().lower()
    if out == "gross":
        return res.gross
    if out == "net":
        return res.net
    if out == "pv":
        return res.net_pv
    if out == "rate":
        return res.effective_rate
    if out == "tax":
        return res.tax
    return VALUE.with_message(f"unknown output {output!r}")


@function("GF.PARETOFRONT", "array, array?", category=CAT, array_result=True, aliases=("GF_PARETOFRONT",))
def GF_PARETOFRONT(values, senses=None):
    """TRUE for the non-dominated rows of a table of objectives."""
    from ..finance.capital_stack import pareto_front
    rows = _cells(values)
    try:
        v = np.array([[float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else np.nan for x in r]
                      for r in rows])
    except (TypeError, ValueError):
        return VALUE
    k = v.shape[1]
    if _given(senses):
        s = [str(x).strip().lower() for x in senses]
        if len(s) != k or any(x not in ("max", "min") for x in s):
            return VALUE.with_message("senses must give max or min for each column")
    else:
        s = ["max"] * k
    mask = pareto_front(v, s)
    return Array([[bool(m)] for m in mask])


@function("GF.PROMOTE", "number, number", category=CAT, aliases=("GF_PROMOTE",))
def GF_PROMOTE(lp_split, lp_share):
    """The promote equivalent to a straight split: 1 - LP split / LP share."""
    if lp_share <= 0:
        raise ZeroDivisionError
    return 1.0 - lp_split / lp_share


@function("GF.PROMOTEDSPLIT", "number, number", category=CAT, aliases=("GF_PROMOTEDSPLIT",))
def GF_PROMOTEDSPLIT(promote, gp_share):
    """GP share of a promoted tier: GP share + promote x LP share."""
    return gp_share + promote * (1.0 - gp_share)


@function("GF.CATCHUP", "number, number, number?", category=CAT, aliases=("GF_CATCHUP",))
def GF_CATCHUP(pref, carry, rate=1.0):
    """GP catch-up after a preferred return: pref x carry / (rate - carry)."""
    if rate <= carry:
        raise NUM
    return pref * carry / (rate - carry)
