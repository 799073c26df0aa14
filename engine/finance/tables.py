"""Tier tables: waterfalls written as rows of a worksheet range, a CSV or a
JSON list, turned into tier objects.  The same layouts are read by the
worksheet functions (GF.WATERFALL, GF.FILMWATERFALL), the template
workbooks and ``gridflow waterfall``.

Real-estate tier table — columns ``Type, Name, Rate, LP split, GP split,
Promote`` (a header row is optional; blank cells are "not given"):

=========== =============================================================
Type        Rate column means
=========== =============================================================
ROC         (nothing; Promote column "lp_first" for LP-first order)
PREF        preferred return rate
CATCHUP     GP share of the cash in the catch-up (1 = full); GP split
            column: target GP share of profit (default: next split's)
IRR         LP IRR hurdle; split columns or Promote
MULTIPLE    LP equity-multiple hurdle; split columns or Promote
SPLIT       residual split; split columns or Promote
=========== =============================================================

Film tier table — columns ``Tier, Payee, Rule, Rate, Amount, Cap, Term,
Fee, Premium, Group``:

=========== =============================================================
Rule        meaning
=========== =============================================================
FEE         Rate x what reaches the tier, cumulative, capped at Cap
FEE_GROSS   Rate x gross receipts, capped at Cap
EXPENSE     Amount recouped up to Cap
PAYMENT     fixed Amount (residuals, deferments)
LOAN        Amount + Rate x Term (flat interest) + Fee x Amount; with a
            Group, claims of the same group are paid pari passu
EQUITY      Amount x (1 + Premium) (+ Rate x Term if given)
DEFERMENT   a PAYMENT that counts as recoupment (not invested cash)
SPLIT       share Rate of what remains; consecutive SPLIT rows with the
            same Tier name form one split
=========== =============================================================
"""
from __future__ import annotations

from typing import Any, Sequence

from . import film as F
from . import realestate as R

RE_TYPES = {"ROC": "roc", "RETURN OF CAPITAL": "roc", "PREF": "pref", "PREFERRED": "pref",
            "PREFERRED RETURN": "pref", "CATCHUP": "catchup", "CATCH-UP": "catchup", "CATCH UP": "catchup",
            "IRR": "irr", "HURDLE": "irr", "IRR HURDLE": "irr", "MULTIPLE": "multiple", "EM": "multiple",
            "MOIC": "multiple", "SPLIT": "split", "RESIDUAL": "split", "PROMOTE": "split"}
FILM_RULES = ("FEE", "FEE_GROSS", "EXPENSE", "PAYMENT", "LOAN", "EQUITY", "DEFERMENT", "SPLIT")


class TableError(ValueError):
    """A tier table row that cannot be understood (the message names it)."""


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _num(v, what: str, row: int, default=None):
    if _blank(v):
        return default
    if isinstance(v, bool):
        raise TableError(f"row {row}: {what} must be a number")
    if isinstance(v, (int, float)):
        return float(v)
    try:
        s = str(v).strip()
        if s.endswith("%"):
            return float(s[:-1]) / 100.0
        return float(s.replace(",", ""))
    except ValueError:
        raise TableError(f"row {row}: {what} {v!r} is not a number")


def _rows(table: Sequence[Sequence[Any]], first_keys) -> list[tuple[int, list]]:
    rows = [list(r) for r in table]
    out = []
    for i, r in enumerate(rows, start=1):
        if all(_blank(x) for x in r):
            continue
        out.append((i, r))
    # a header row: first cell text that is not a known type/rule
    if out and isinstance(out[0][1][0], str) and not first_keys(out[0][1]):
        out = out[1:]
    return out


def re_tiers(table: Sequence[Sequence[Any]]) -> list:
    """Tier objects from a real-estate tier table (rows of cells)."""
    tiers = []

    def known(r):
        return str(r[0]).strip().upper() in RE_TYPES

    for i, r in _rows(table, known):
        r = r + [None] * (6 - len(r))
        kind = RE_TYPES.get(str(r[0]).strip().upper()) if not _blank(r[0]) else None
        if kind is None:
            raise TableError(f"row {i}: unknown tier type {r[0]!r} (use ROC, PREF, CATCHUP, IRR, MULTIPLE, SPLIT)")
        name = None if _blank(r[1]) else str(r[1]).strip()
        rate = _num(r[2], "rate", i)
        lp, gp = _num(r[3], "LP split", i), _num(r[4], "GP split", i)
        promote_cell = r[5]
        promote = None
        option = None
        if isinstance(promote_cell, str) and not _blank(promote_cell) and not promote_cell.strip().rstrip("%").replace(".", "", 1).isdigit():
            option = promote_cell.strip().lower()
        else:
            promote = _num(promote_cell, "promote", i)
        split = None
        if lp is not None or gp is not None:
            if lp is None:
                lp = 1.0 - gp
            if gp is None:
                gp = 1.0 - lp
            split = (lp, gp)
        kw = {"name": name} if name else {}
        if kind == "roc":
            tiers.append(R.ReturnOfCapital(order="lp_first" if option in ("lp_first", "lp first") else "pro_rata", **kw))
        elif kind == "pref":
            if rate is None:
                raise TableError(f"row {i}: PREF needs a rate")
            tiers.append(R.PreferredReturn(rate, compounding=option, **kw))
        elif kind == "catchup":
            tiers.append(R.CatchUp(rate if rate is not None else 1.0, target=gp if gp is not None else None, **kw))
        elif kind in ("irr", "multiple"):
            if rate is None:
                raise TableError(f"row {i}: {kind.upper()} needs a hurdle in the rate column")
            measured = option if option in ("lp", "gp", "all") else "lp"
            comp = option if option not in (None, "lp", "gp", "all") else None
            tiers.append(R.Hurdle(rate, kind=kind, split=split, promote=promote, measured=measured,
                                  compounding=comp, **kw))
        else:
            tiers.append(R.Split(split=split, promote=promote, **kw))
    if not tiers:
        raise TableError("the tier table is empty")
    return tiers


def film_tiers(table: Sequence[Sequence[Any]]) -> list:
    """Tier objects from a film tier table (rows of cells)."""

    def known(r):
        return len(r) > 2 and str(r[2]).strip().upper() in FILM_RULES

    tiers: list = []
    pending_group: tuple[str, list] | None = None
    pending_split: tuple[str, dict] | None = None

    def flush():
        nonlocal pending_group, pending_split
        if pending_group is not None:
            g, claims = pending_group
            tiers.append(F.PariPassu(g, claims) if len(claims) > 1 else claims[0])
            pending_group = None
        if pending_split is not None:
            tiers.append(F.Split(*pending_split))
            pending_split = None

    for i, r in _rows(table, known):
        r = r + [None] * (10 - len(r))
        tier = None if _blank(r[0]) else str(r[0]).strip()
        payee = None if _blank(r[1]) else str(r[1]).strip()
        rule = "" if _blank(r[2]) else str(r[2]).strip().upper()
        if rule not in FILM_RULES:
            raise TableError(f"row {i}: unknown rule {r[2]!r} (use {', '.join(FILM_RULES)})")
        if not tier or not payee:
            raise TableError(f"row {i}: needs a tier name and a payee")
        rate = _num(r[3], "rate", i, 0.0)
        amount = _num(r[4], "amount", i)
        cap = _num(r[5], "cap", i)
        term = _num(r[6], "term", i)
        fee = _num(r[7], "fee", i, 0.0)
        premium = _num(r[8], "premium", i, 0.0)
        group = None if _blank(r[9]) else str(r[9]).strip()
        if rule == "SPLIT":
            if pending_split is not None and pending_split[0] == tier:
                pending_split[1][payee] = pending_split[1].get(payee, 0.0) + rate
                continue
            flush()
            pending_split = (tier, {payee: rate})
            continue
        if rule in ("FEE", "FEE_GROSS"):
            flush()
            tiers.append(F.Fee(tier, payee, rate, basis="gross" if rule == "FEE_GROSS" else "remaining", cap=cap))
            continue
        if amount is None:
            raise TableError(f"row {i}: {rule} needs an amount")
        if rule == "EXPENSE":
            claim = F.Expense(tier, payee, amount, cap=cap)
        elif rule in ("PAYMENT",):
            claim = F.Payment(tier, payee, amount)
        elif rule == "DEFERMENT":
            claim = F.Recoupment(tier, payee, amount, invested=False)
        else:
            if rate and term is None:
                raise TableError(f"row {i}: {rule} with an interest rate needs a term in years")
            claim = F.Recoupment(tier, payee, amount, rate=rate, term_years=term, fee=fee, premium=premium)
        if group:
            if pending_group is not None and pending_group[0] == group:
                pending_group[1].append(claim)
                continue
            flush()
            pending_group = (group, [claim])
            continue
        flush()
        tiers.append(claim)
    flush()
    if not tiers:
        raise TableError("the tier table is empty")
    return tiers


RE_HEADER = ["Type", "Name", "Rate", "LP split", "GP split", "Promote"]
FILM_HEADER = ["Tier", "Payee", "Rule", "Rate", "Amount", "Cap", "Term", "Fee", "Premium", "Group"]
