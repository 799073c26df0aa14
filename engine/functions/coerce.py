"""Excel's type coercion rules, in one place.

Every function argument goes through these; function code never re-does
coercion.  Each ``to_*`` raises ``XLError`` for a value that cannot convert,
and the dispatcher turns the raise into the function's result.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any

from ..values import BLANK, MISSING, VALUE, XLError, number_to_text
from . import dates

_NUM_RE = re.compile(r"^\s*([+-]?)\s*(\$?)\s*([0-9][0-9,]*\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*(%?)\s*$")
_PAREN_NEG_RE = re.compile(r"^\s*\(\s*(.*?)\s*\)\s*$")


def date_to_serial(y: int, m: int, d: int) -> float:
    """Serial number of a real calendar date in Excel's 1900 system (which
    counts the fictitious 1900-02-29 as day 60); ValueError for a date that
    does not exist."""
    if (y, m, d) == (1900, 2, 29):
        return 60.0
    return float(dates.serial_of(_dt.date(y, m, d)))


def parse_date_text(text: str) -> float | None:
    """Date and/or time text as Excel's en-US locale reads it ("2008-1-1",
    "1/1/2008", "1-Jan-2008", "Jan 1, 2008", "6:00 PM", "2008-01-01 06:00"):
    the serial (1900 system) plus the time fraction; None otherwise.  The
    rules live in ``dates.parse_datetime_text``."""
    r = dates.parse_datetime_text(text)
    if r is None:
        return None
    day, t = r
    return (day or 0) + t


def parse_number_text(text: str) -> float | None:
    """Text that Excel would accept as a number ("1,000", "3%", "$5", "(2)",
    "1e3", dates and times); None otherwise."""
    m = _NUM_RE.match(text)
    if m:
        sign, _cur, digits, exp, pct = m.groups()
        if "," in digits:
            # thousands separators must be in groups of three
            whole = digits.split(".")[0]
            if not re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})*", whole):
                return None
            digits = digits.replace(",", "")
        try:
            v = float(digits + (exp or ""))
        except ValueError:
            return None
        if sign == "-":
            v = -v
        if pct:
            v /= 100.0
        return v
    m = _PAREN_NEG_RE.match(text)
    if m and m.group(1) and not m.group(1).startswith(("-", "+")):
        v = parse_number_text(m.group(1))
        return None if v is None else -v
    # Excel turns " 10 " into a number but not " 2024-01-10 " (EXP, FLOOR... give #VALUE!)
    if text != text.strip():
        return None
    return parse_date_text(text)


def to_number(v: Any) -> float:
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, float):
        return v
    if isinstance(v, int):
        return float(v)
    if v is BLANK or v is MISSING:
        return 0.0
    if isinstance(v, str):
        x = parse_number_text(v)
        if x is None:
            raise VALUE
        return x
    if isinstance(v, XLError):
        raise v
    raise VALUE


def to_int(v: Any) -> int:
    """Numbers truncated toward zero, as Excel does for counts and indexes."""
    x = to_number(v)
    if math.isnan(x) or math.isinf(x):
        raise XLError("#NUM!")
    return int(x)


def to_text(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (float, int)):
        return number_to_text(float(v))
    if v is BLANK or v is MISSING:
        return ""
    if isinstance(v, XLError):
        raise v
    raise VALUE


def to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, (float, int)):
        return v != 0
    if v is BLANK or v is MISSING:
        return False
    if isinstance(v, str):
        u = v.strip().upper()
        if u == "TRUE":
            return True
        if u == "FALSE":
            return False
        raise VALUE
    if isinstance(v, XLError):
        raise v
    raise VALUE


def compare(a: Any, b: Any) -> int:
    """Excel's ordering for the comparison operators: numbers < text <
    booleans; text case-insensitive; blank takes the other side's empty value."""
    if a is BLANK or a is MISSING:
        a = "" if isinstance(b, str) else (False if isinstance(b, bool) else 0.0)
    if b is BLANK or b is MISSING:
        b = "" if isinstance(a, str) else (False if isinstance(a, bool) else 0.0)
    ra, rb = _rank(a), _rank(b)
    if ra != rb:
        return -1 if ra < rb else 1
    if ra == 1:
        a, b = a.lower(), b.lower()
    if a < b:
        return -1
    if a > b:
        return 1
    return 0


def _rank(v: Any) -> int:
    if isinstance(v, bool):
        return 2
    if isinstance(v, str):
        return 1
    return 0
