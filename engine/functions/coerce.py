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

_NUM_RE = re.compile(r"^\s*([+-]?)\s*(\$?)\s*([0-9][0-9,]*\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*(%?)\s*$")
_PAREN_NEG_RE = re.compile(r"^\s*\(\s*(.*?)\s*\)\s*$")

_MONTHS = {m.lower(): i + 1 for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"])}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9

EXCEL_EPOCH = _dt.date(1899, 12, 30)


def date_to_serial(y: int, m: int, d: int) -> float:
    """Serial number of a real calendar date in Excel's 1900 system (which
    counts the fictitious 1900-02-29 as day 60)."""
    serial = (_dt.date(y, m, d) - EXCEL_EPOCH).days
    if serial < 61:
        serial -= 1
    return float(serial)


def _parse_time(text: str) -> float | None:
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{1,2})(?::(\d{1,2}(?:\.\d*)?))?\s*([AaPp][Mm])?\s*", text)
    if not m:
        m2 = re.fullmatch(r"\s*(\d{1,2})\s*([AaPp][Mm])\s*", text)
        if not m2:
            return None
        h, mi, s, ap = int(m2.group(1)), 0, 0.0, m2.group(2)
    else:
        h, mi = int(m.group(1)), int(m.group(2))
        s = float(m.group(3)) if m.group(3) else 0.0
        ap = m.group(4)
    if ap:
        if h > 12 or h == 0 and False:
            return None
        h = h % 12 + (12 if ap.lower() == "pm" else 0)
    if mi >= 60 or s >= 60:
        return None
    return (h * 3600 + mi * 60 + s) / 86400.0


def _valid_date(y: int, m: int, d: int) -> float | None:
    if y < 100:
        y += 2000 if y < 30 else 1900
    if not (1 <= m <= 12) or y > 9999 or y < 1900:
        return None
    if y == 1900 and m == 2 and d == 29:
        return 60.0
    try:
        return date_to_serial(y, m, d)
    except ValueError:
        return None


def parse_date_text(text: str) -> float | None:
    """DATEVALUE/TIMEVALUE-style parsing of the common US/ISO forms."""
    t = text.strip()
    if not t:
        return None
    time_part = 0.0
    # split off a trailing time
    m = re.fullmatch(r"(.*?)[\sT]+(\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d*)?)?(?:\s*[AaPp][Mm])?)", t)
    if m and re.search(r"[/\-a-zA-Z]", m.group(1)):
        tp = _parse_time(m.group(2))
        if tp is None:
            return None
        t, time_part = m.group(1).strip(), tp
    else:
        tp = _parse_time(t)
        if tp is not None:
            return tp
    m = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", t)
    if m:
        v = _valid_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return None if v is None else v + time_part
    m = re.fullmatch(r"(\d{1,2})[-/](\d{1,2})[-/](\d{2,4})", t)
    if m:
        v = _valid_date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
        return None if v is None else v + time_part
    m = re.fullmatch(r"(\d{1,2})[-/](\d{1,2})", t)
    if m:
        v = _valid_date(_dt.date.today().year, int(m.group(1)), int(m.group(2)))
        return None if v is None else v + time_part
    m = re.fullmatch(r"(\d{1,2})[-\s/]+([A-Za-z]+)\.?[-\s/,]+(\d{2,4})", t)
    if m and m.group(2).lower() in _MONTHS:
        v = _valid_date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
        return None if v is None else v + time_part
    m = re.fullmatch(r"([A-Za-z]+)\.?[-\s/]+(\d{1,2})(?:st|nd|rd|th)?,?[-\s/]+(\d{2,4})", t)
    if m and m.group(1).lower() in _MONTHS:
        v = _valid_date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
        return None if v is None else v + time_part
    m = re.fullmatch(r"([A-Za-z]+)[-\s/]+(\d{4})", t)
    if m and m.group(1).lower() in _MONTHS:
        v = _valid_date(int(m.group(2)), _MONTHS[m.group(1).lower()], 1)
        return None if v is None else v + time_part
    m = re.fullmatch(r"(\d{1,2})[-\s/]+([A-Za-z]+)", t)
    if m and m.group(2).lower() in _MONTHS:
        v = _valid_date(_dt.date.today().year, _MONTHS[m.group(2).lower()], int(m.group(1)))
        return None if v is None else v + time_part
    return None


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
