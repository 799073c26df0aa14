"""Database functions: DSUM, DAVERAGE, DCOUNT, DCOUNTA, DGET, DMAX, DMIN,
DPRODUCT, DSTDEV, DSTDEVP, DVAR, DVARP.

A database is a range whose first row holds the field names; the criteria
range has field names in its first row and conditions below.  Conditions
in one row must all hold (AND), rows are alternatives (OR).  A blank
condition accepts anything; a condition under a name the database does
not have accepts nothing.  Conditions follow the COUNTIF rules of
``helpers.make_criteria`` except that plain text matches values *beginning*
with it (Excel's filter semantics: "Dav" finds "David").
"""
from __future__ import annotations

import math
from typing import Any, Callable

from ..eval.refs import RangeRef
from ..values import BLANK, MISSING, NUM, VALUE, Array, XLError, error_from_code
from . import coerce, helpers
from .registry import function


def _table(v: Any) -> Array:
    """The values of a database or criteria range (references or arrays)."""
    if isinstance(v, XLError):
        raise v
    if isinstance(v, RangeRef):
        return v.to_array()
    if isinstance(v, Array):
        return v
    raise VALUE   # a union, a scalar or a LAMBDA is not a table


def _label(v: Any) -> str | None:
    """A header cell as the text it is matched by (case-insensitive)."""
    if v is BLANK or v is MISSING or isinstance(v, XLError):
        return None
    try:
        return coerce.to_text(v).lower()
    except XLError:
        return None


def _column(headers: list[Any], name: str) -> int | None:
    low = name.lower()
    for i, h in enumerate(headers):
        if _label(h) == low:
            return i
    return None


def _field_index(ctx, field: Any, headers: list[Any], optional: bool) -> int | None:
    """The 0-based column named or numbered by ``field``; None when omitted
    (DCOUNT/DCOUNTA then count records)."""
    if field is MISSING:
        if optional:
            return None
        raise VALUE
    v = ctx.to_scalar_or_array(field)
    if isinstance(v, Array):
        if v.shape != (1, 1):
            raise VALUE
        v = v.data[0][0]
    if isinstance(v, XLError):
        raise v
    if isinstance(v, str):
        i = _column(headers, v)
        if i is None:
            raise VALUE.with_message(f"no field named {v!r}")
        return i
    if isinstance(v, (bool, int, float)):
        n = math.trunc(float(v))
        if 1 <= n <= len(headers):
            return n - 1
    raise VALUE


_OPERATORS = ("<=", ">=", "<>", "<", ">", "=")


def _condition(c: Any) -> Callable[[Any], bool] | None:
    """A predicate for one criteria cell; None for a blank (accept all)."""
    if c is BLANK or c is MISSING or c == "":
        return None
    if isinstance(c, str) and not c.startswith(_OPERATORS):
        u = c.strip().upper()
        plain_text = (coerce.parse_number_text(c) is None and u not in ("TRUE", "FALSE")
                      and error_from_code(c.strip()) is None)
        if plain_text:
            return helpers.make_criteria(c + "*")   # begins-with
    return helpers.make_criteria(c)


def _criteria_rows(crit: Array, headers: list[Any]) -> list[list[tuple[int | None, Callable]]]:
    """Each criteria row as a list of (database column or None, predicate)."""
    if crit.rows < 2:
        raise VALUE.with_message("the criteria range needs a row of conditions")
    names = crit.data[0]
    cols = []
    for h in names:
        label = _label(h)
        cols.append(_column(headers, label) if label is not None else None)
    rows = []
    for r in range(1, crit.rows):
        conds = []
        for j, c in enumerate(crit.data[r]):
            pred = _condition(c)
            if pred is not None:
                conds.append((cols[j], pred))
        rows.append(conds)
    return rows


def _matching_records(db: Array, rows) -> list[list[Any]]:
    out = []
    for r in range(1, db.rows):
        rec = db.data[r]
        for conds in rows:
            if all(col is not None and pred(rec[col]) for col, pred in conds):
                out.append(rec)
                break
    return out


def _select(ctx, database: Any, field: Any, criteria: Any, optional_field: bool = False):
    """(matching records, field column or None) of a D-function call."""
    db = _table(database)
    if db.rows < 2:
        raise VALUE.with_message("the database needs a header row and at least one record")
    headers = db.data[0]
    col = _field_index(ctx, field, headers, optional_field)
    rows = _criteria_rows(_table(criteria), headers)
    return _matching_records(db, rows), col


def _numbers(ctx, database, field, criteria) -> list[float]:
    """The numbers of the field in matching records; errors propagate,
    text, logicals and blanks are skipped (as SUM does in a range)."""
    records, col = _select(ctx, database, field, criteria)
    out = []
    for rec in records:
        v = rec[col]
        if isinstance(v, XLError):
            raise v
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(float(v))
    return out


_SIG = "raw, raw, raw"


@function("DSUM", _SIG, category="database", context=True)
def DSUM(ctx, database, field, criteria):
    """Sum of a field over the records that match the criteria."""
    return math.fsum(_numbers(ctx, database, field, criteria))


@function("DAVERAGE", _SIG, category="database", context=True)
def DAVERAGE(ctx, database, field, criteria):
    """Average of a field over the matching records."""
    xs = _numbers(ctx, database, field, criteria)
    if not xs:
        raise ZeroDivisionError
    return math.fsum(xs) / len(xs)


@function("DMAX", _SIG, category="database", context=True)
def DMAX(ctx, database, field, criteria):
    """Largest number of a field over the matching records (0 if none)."""
    xs = _numbers(ctx, database, field, criteria)
    return max(xs) if xs else 0.0


@function("DMIN", _SIG, category="database", context=True)
def DMIN(ctx, database, field, criteria):
    """Smallest number of a field over the matching records (0 if none)."""
    xs = _numbers(ctx, database, field, criteria)
    return min(xs) if xs else 0.0


@function("DPRODUCT", _SIG, category="database", context=True)
def DPRODUCT(ctx, database, field, criteria):
    """Product of a field over the matching records (0 if none)."""
    xs = _numbers(ctx, database, field, criteria)
    if not xs:
        return 0.0
    return math.prod(xs)


def _variance(xs: list[float], sample: bool) -> float:
    n = len(xs)
    if n < (2 if sample else 1):
        raise ZeroDivisionError
    mean = math.fsum(xs) / n
    return math.fsum((x - mean) ** 2 for x in xs) / (n - 1 if sample else n)


@function("DVAR", _SIG, category="database", context=True)
def DVAR(ctx, database, field, criteria):
    """Sample variance of a field over the matching records."""
    return _variance(_numbers(ctx, database, field, criteria), True)


@function("DVARP", _SIG, category="database", context=True)
def DVARP(ctx, database, field, criteria):
    """Population variance of a field over the matching records."""
    return _variance(_numbers(ctx, database, field, criteria), False)


@function("DSTDEV", _SIG, category="database", context=True)
def DSTDEV(ctx, database, field, criteria):
    """Sample standard deviation of a field over the matching records."""
    return math.sqrt(_variance(_numbers(ctx, database, field, criteria), True))


@function("DSTDEVP", _SIG, category="database", context=True)
def DSTDEVP(ctx, database, field, criteria):
    """Population standard deviation of a field over the matching records."""
    return math.sqrt(_variance(_numbers(ctx, database, field, criteria), False))


@function("DCOUNT", _SIG, category="database", context=True)
def DCOUNT(ctx, database, field, criteria):
    """Count of numbers in a field over the matching records (of the
    records themselves when the field is left empty)."""
    records, col = _select(ctx, database, field, criteria, optional_field=True)
    if col is None:
        return float(len(records))
    return float(sum(1 for rec in records
                     if isinstance(rec[col], (int, float)) and not isinstance(rec[col], bool)))


@function("DCOUNTA", _SIG, category="database", context=True)
def DCOUNTA(ctx, database, field, criteria):
    """Count of non-blank values in a field over the matching records."""
    records, col = _select(ctx, database, field, criteria, optional_field=True)
    if col is None:
        return float(len(records))
    return float(sum(1 for rec in records if rec[col] is not BLANK))


@function("DGET", _SIG, category="database", context=True)
def DGET(ctx, database, field, criteria):
    """The field of the single matching record: #VALUE! when none matches,
    #NUM! when several do."""
    records, col = _select(ctx, database, field, criteria)
    if not records:
        raise VALUE.with_message("no record matches the criteria")
    if len(records) > 1:
        raise NUM.with_message("more than one record matches the criteria")
    return records[0][col]
