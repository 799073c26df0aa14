"""Excel's calendar: serial numbers <-> (year, month, day), weekdays, day counts
and the parsing of date/time text.  Shared by the date/time, financial and
text families; nothing here knows about the registry.

Serial numbers
--------------
* 1900 system (Windows default): serial 1 is 1900-01-01, serial 0 is the
  fictitious "1900-01-00" and serial 60 the fictitious 1900-02-29 that Excel
  inherited from Lotus 1-2-3; from serial 61 (1900-03-01) on, serials count
  real days.  The last date is 9999-12-31 = 2958465.
* 1904 system (old Mac workbooks): serial 0 is 1904-01-01; the last date is
  9999-12-31 = 2957003.

Every function taking ``date1904`` works in either system.  Functions raise
``XLError`` (``#NUM!``) for serials/dates outside Excel's calendar, so that a
function implementation can simply let it propagate.

The text parser (``parse_datetime_text``) follows Excel's en-US rules for
what a typed date or time looks like; ``coerce.parse_date_text`` (used for all
text -> number coercion) delegates to it.
"""
from __future__ import annotations

import datetime as _dt
import math
import re

from ..values import NUM

__all__ = [
    "MAX_SERIAL", "MAX_SERIAL_1904", "OFFSET_1904", "max_serial", "is_leap", "days_in_month",
    "serial_to_ymd", "ymd_to_serial", "date_serial", "serial_of", "split_serial", "day_of", "approx_trunc",
    "weekday", "year_length", "add_months", "days360", "days_30_360_us", "days_30_360_eu",
    "yearfrac", "parse_datetime_text", "parse_time_text",
]

MAX_SERIAL = 2958465          # 9999-12-31 in the 1900 system
MAX_SERIAL_1904 = 2957003     # 9999-12-31 in the 1904 system
OFFSET_1904 = 1462            # serial(1900 system) - serial(1904 system) of the same day

_ORD_1899_12_31 = _dt.date(1899, 12, 31).toordinal()
_ORD_1904_01_01 = _dt.date(1904, 1, 1).toordinal()
_ORD_1900_03_01 = _dt.date(1900, 3, 1).toordinal()
_SECONDS_PER_DAY = 86400


def max_serial(date1904: bool = False) -> int:
    return MAX_SERIAL_1904 if date1904 else MAX_SERIAL


def is_leap(year: int) -> bool:
    """Gregorian leap year (Excel's 1900 quirk is handled by the serial
    functions, not here)."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int, date1904: bool = False) -> int:
    """Length of a month in Excel's calendar: February 1900 has 29 days in the
    1900 system."""
    if month == 2:
        return 29 if is_leap(year) or (year == 1900 and not date1904) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def serial_to_ymd(serial: float, date1904: bool = False) -> tuple[int, int, int]:
    """(year, month, day) of a serial (its whole part, floored).

    1900 system: 0 -> (1900, 1, 0), 60 -> (1900, 2, 29).  Raises #NUM! for a
    negative serial or one after 9999-12-31."""
    n = math.floor(serial)
    if n < 0 or n > max_serial(date1904):
        raise NUM
    if date1904:
        d = _dt.date.fromordinal(_ORD_1904_01_01 + n)
        return d.year, d.month, d.day
    if n == 0:
        return 1900, 1, 0
    if n == 60:
        return 1900, 2, 29
    d = _dt.date.fromordinal(_ORD_1899_12_31 + (n if n < 60 else n - 1))
    return d.year, d.month, d.day


def serial_of(date: _dt.date, date1904: bool = False) -> int:
    """Serial of a Python date, counting on past the calendar's ends
    (negative before its first day; 1900-02-29 does not exist in Python)."""
    o = date.toordinal()
    if date1904:
        return o - _ORD_1904_01_01
    return o - _ORD_1899_12_31 + (1 if o >= _ORD_1900_03_01 else 0)


def _first_of_month(year: int, month: int, date1904: bool) -> int:
    """Serial of day 1 of a (valid) month; may be negative in the 1904 system."""
    return serial_of(_dt.date(year, month, 1), date1904)


def ymd_to_serial(year: int, month: int, day: int, date1904: bool = False) -> int:
    """Serial number the way DATE builds it.

    A year 0..1899 means 1900+year; months outside 1..12 roll into other
    years and days outside the month roll into other months (DATE(2008,14,2)
    is 2009-02-02, DATE(2008,1,-1) is 2007-12-30).  #NUM! when the year,
    once months are rolled in, is outside 1900..9999 or the serial falls
    before the first or after the last date."""
    year, month, day = int(year), int(month), int(day)
    if year < 0 or year > 9999:
        raise NUM
    if year < 1900:
        year += 1900
    y, m0 = divmod(year * 12 + (month - 1), 12)
    if y < 1900 or y > 9999:
        raise NUM
    serial = _first_of_month(y, m0 + 1, date1904) + day - 1
    if serial < 0 or serial > max_serial(date1904):
        raise NUM
    return serial


def date_serial(year: int, month: int, day: int, date1904: bool = False) -> int | None:
    """Serial of a real (already valid) calendar date, or None when the date
    does not exist or is outside the calendar.  1900-02-29 is valid in the
    1900 system."""
    if not (1 <= month <= 12) or day < 1 or day > days_in_month(year, month, date1904):
        return None
    if year < 1900 or year > 9999:
        return None
    s = _first_of_month(year, month, date1904) + day - 1
    return s if s >= 0 else None


def split_serial(x: float, date1904: bool = False) -> tuple[int, int]:
    """(day serial, second of the day) of a date-time serial, rounded to the
    nearest second as Excel's YEAR/DAY/HOUR/SECOND... do (SECOND(0.999) is 34,
    DAY(40000.9999999) is the 7th).  #NUM! outside the calendar."""
    if not (x >= 0) or x > max_serial(date1904) + 1:
        raise NUM
    day = math.floor(x)
    sec = math.floor((x - day) * _SECONDS_PER_DAY + 0.5)
    if sec >= _SECONDS_PER_DAY:
        day, sec = day + 1, sec - _SECONDS_PER_DAY
    if day > max_serial(date1904):
        raise NUM
    return day, sec


def day_of(x: float, date1904: bool = False) -> int:
    """Whole day of a date-time serial as Excel's date breakdown sees it
    (rounded to the second, see ``split_serial``)."""
    return split_serial(x, date1904)[0]


def approx_trunc(x: float) -> int:
    """Truncation toward zero of an integer argument, except that a value
    within a hair of the next integer counts as that integer (Excel:
    DATE(2025.9999999,6,15) is in 2026, TIME(1,1,0.9999999) has 1 second,
    while 0.999999 still truncates to 0)."""
    if math.isnan(x) or math.isinf(x):
        raise NUM
    r = round(x)
    if abs(x - r) < 5e-7:
        return int(r)
    return int(x)


def weekday(serial: int, date1904: bool = False) -> int:
    """Day of the week, 1 = Sunday .. 7 = Saturday.  In the 1900 system Excel
    counts from serial 1 being a Sunday (so days before 1900-03-01 are off by
    one from the real calendar, as in Excel)."""
    n = int(serial) + (OFFSET_1904 if date1904 else 0)
    return (n + 6) % 7 + 1


def year_length(year: int, date1904: bool = False) -> int:
    """Days in a year of Excel's calendar (1900 has 366 in the 1900 system)."""
    return 366 if is_leap(year) or (year == 1900 and not date1904) else 365


def add_months(serial: int, months: int, date1904: bool = False, end_of_month: bool = False) -> int:
    """EDATE/EOMONTH: the same day ``months`` later, clamped to the length of
    the target month, or that month's last day.  #NUM! outside the calendar."""
    y, m, d = serial_to_ymd(serial, date1904)
    total = y * 12 + (m - 1) + int(months)
    ny, nm0 = divmod(total, 12)
    if ny < 1900 or ny > 9999:
        raise NUM
    last = days_in_month(ny, nm0 + 1, date1904)
    day = last if end_of_month else min(max(d, 1), last)
    s = _first_of_month(ny, nm0 + 1, date1904) + day - 1
    if s < 0 or s > max_serial(date1904):
        raise NUM
    return s


# --- day counts ----------------------------------------------------------------------

def _is_last_of_feb(y: int, m: int, d: int, date1904: bool) -> bool:
    return m == 2 and d == days_in_month(y, m, date1904)


def days360(start: int, end: int, european: bool = False, date1904: bool = False) -> int:
    """DAYS360 between two day serials (negative when end < start).

    US method as Excel computes it: a start on the 31st or on the last day
    of February counts as the 30th; an end on the 31st counts as the 30th
    only when the start is (now) the 30th or 31st.  European: every 31st is
    the 30th."""
    y1, m1, d1 = serial_to_ymd(start, date1904)
    y2, m2, d2 = serial_to_ymd(end, date1904)
    if european:
        d1, d2 = min(d1, 30), min(d2, 30)
    else:
        if d1 == 31 or _is_last_of_feb(y1, m1, d1, date1904):
            d1 = 30
        if d2 == 31 and d1 >= 30:
            d2 = 30
    return (y2 - y1) * 360 + (m2 - m1) * 30 + (d2 - d1)


def days_30_360_us(start: int, end: int, date1904: bool = False) -> int:
    """The US (NASD) 30/360 count YEARFRAC basis 0 uses (start <= end): both
    ends on February's last day count as 30ths, a February-end start alone
    too, and an end on the 31st is the 30th when the start is the 30th/31st."""
    y1, m1, d1 = serial_to_ymd(start, date1904)
    y2, m2, d2 = serial_to_ymd(end, date1904)
    feb1 = _is_last_of_feb(y1, m1, d1, date1904)
    feb2 = _is_last_of_feb(y2, m2, d2, date1904)
    if d1 == 31 and d2 == 31:
        d1 = d2 = 30
    elif d1 == 31:
        d1 = 30
    elif d1 == 30 and d2 == 31:
        d2 = 30
    elif feb1 and feb2:
        d1 = d2 = 30
    elif feb1:
        d1 = 30
    return (y2 - y1) * 360 + (m2 - m1) * 30 + (d2 - d1)


def days_30_360_eu(start: int, end: int, date1904: bool = False) -> int:
    y1, m1, d1 = serial_to_ymd(start, date1904)
    y2, m2, d2 = serial_to_ymd(end, date1904)
    return (y2 - y1) * 360 + (m2 - m1) * 30 + (min(d2, 30) - min(d1, 30))


def _feb29_between(start: int, end: int, date1904: bool) -> bool:
    """Whether a February 29 lies in [start, end] (dates at most a year apart)."""
    y1 = serial_to_ymd(start, date1904)[0]
    y2 = serial_to_ymd(end, date1904)[0]
    for y in range(y1, y2 + 1):
        s = date_serial(y, 2, 29, date1904)
        if s is not None and start <= s <= end:
            return True
    return False


def yearfrac(start: int, end: int, basis: int = 0, date1904: bool = False) -> float:
    """YEARFRAC between two day serials (order-insensitive).

    Basis 1 (actual/actual) as Excel computes it: for dates at most a year
    apart the days are divided by 366 when the period is within one leap year
    or contains a February 29, else 365; over longer periods by the average
    length of the calendar years the period touches."""
    if start > end:
        start, end = end, start
    if basis == 0:
        return days_30_360_us(start, end, date1904) / 360.0
    if basis == 4:
        return days_30_360_eu(start, end, date1904) / 360.0
    if basis == 2:
        return (end - start) / 360.0
    if basis == 3:
        return (end - start) / 365.0
    if basis != 1:
        raise NUM
    if start == end:
        return 0.0
    y1, m1, d1 = serial_to_ymd(start, date1904)
    y2, m2, d2 = serial_to_ymd(end, date1904)
    if y1 == y2 or (y2 == y1 + 1 and (m1 > m2 or (m1 == m2 and d1 >= d2))):
        if y1 == y2:
            length = year_length(y1, date1904)
        elif _feb29_between(start, end, date1904):
            length = 366
        else:
            length = 365
        return (end - start) / length
    total = sum(year_length(y, date1904) for y in range(y1, y2 + 1))
    return (end - start) / (total / (y2 - y1 + 1))


# --- text -> date/time ---------------------------------------------------------------

_MONTHS = {m.lower(): i + 1 for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"])}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9

_AMPM = r"(?:\s*(?P<ap>[AaPp])(?:\.?\s*[Mm]\.?)?)"
# h:mm[:ss[.fff]] [AM|PM], h AM, mm:ss.f (a fraction on the second field with
# only two fields means minutes:seconds)
_TIME_RE = re.compile(
    r"(?P<h>\d{1,5})\s*:\s*(?P<m>\d{1,5})(?:\s*:\s*(?P<s>\d{1,5}(?:\.\d*)?))?" + _AMPM + r"?"
    r"|(?P<h2>\d{1,2})" + _AMPM.replace("(?P<ap>", "(?P<ap2>")
    + r"|(?P<mm>\d{1,5})\s*:\s*(?P<ss>\d{1,2}\.\d*)")


def parse_time_text(text: str) -> float | None:
    """Time of day text as a fraction of a day (may be >= 1 for "25:00"), or
    None.  Accepts "6:00", "6:00:30", "6:00:30.5", "6:00 PM", "6 pm", "4 : 35",
    "12:34.5" (minutes:seconds); minutes and seconds may overflow ("4:65")."""
    m = _TIME_RE.fullmatch(text.strip())
    if not m:
        return None
    if m.group("h2") is not None:
        h, mi, s, ap = int(m.group("h2")), 0, 0.0, m.group("ap2")
    elif m.group("mm") is not None:
        h, mi, s, ap = 0, int(m.group("mm")), float(m.group("ss")), None
    else:
        h, mi = int(m.group("h")), int(m.group("m"))
        s = float(m.group("s")) if m.group("s") else 0.0
        ap = m.group("ap")
    if ap:
        if h > 12:
            return None
        h = h % 12 + (12 if ap in "Pp" else 0)
    # bound the fields (Excel reads longer digit runs as text)
    if h > 9999 or mi > 9999 or s >= 10000:
        return None
    return (h * 3600 + mi * 60 + s) / _SECONDS_PER_DAY


_SEP = r"\s*[-/]\s*"
_NUM_DATE_RE = re.compile(r"(\d{1,4})(?:" + _SEP + r")(\d{1,4})(?:(?:" + _SEP + r")(\d{1,4}))?")
_MONTH_FIRST_RE = re.compile(
    r"([A-Za-z]+)\.?(?:\s*[-/,]\s*|\s+)(\d{1,4})(?:st|nd|rd|th)?(?:(?:\s*[-/,]\s*|\s+|\s*,\s*)(\d{1,4}))?")
_DAY_FIRST_RE = re.compile(
    r"(\d{1,4})(?:st|nd|rd|th)?(?:\s*[-/]\s*|\s+)([A-Za-z]+)\.?(?:(?:\s*[-/,]\s*|\s+)(\d{1,4}))?")


def _year(text: str) -> int | None:
    y = int(text)
    if len(text) <= 2:
        return y + (2000 if y < 30 else 1900)
    if len(text) == 3:
        return None
    return y


def _today_year() -> int:
    return _dt.date.today().year


def _ymd(y: int | None, m: int, d: int) -> int | None:
    if y is None:
        return None
    return date_serial(y, m, d)


def _parse_date_part(t: str) -> int | None:
    """Serial (1900 system) of date text in one of Excel's en-US forms."""
    m = _NUM_DATE_RE.fullmatch(t)
    if m:
        a, b, c = m.group(1), m.group(2), m.group(3)
        if c is not None:
            if len(a) >= 3:                          # y-m-d (ISO and friends)
                return _ymd(_year(a), int(b), int(c))
            if len(b) > 2:
                return None
            return _ymd(_year(c), int(a), int(b))      # m/d/y
        # two numbers: m/d of this year, else m/y (1/32 is January 1932)
        if len(a) <= 2 and len(b) <= 2:
            s = _ymd(_today_year(), int(a), int(b))
            if s is not None:
                return s
        if len(a) <= 2 and len(b) != 3:
            return _ymd(_year(b), int(a), 1)
        if len(a) == 4 and len(b) <= 2:             # yyyy-m
            return _ymd(int(a), int(b), 1)
        return None
    m = _MONTH_FIRST_RE.fullmatch(t)
    if m and m.group(1).lower() in _MONTHS:
        mon = _MONTHS[m.group(1).lower()]
        b, c = m.group(2), m.group(3)
        if c is not None:
            if len(b) > 2:
                return None
            return _ymd(_year(c), mon, int(b))
        # "Jan 15" is this year's; "Jan 2015" / "Jan 32" is a month of a year
        if len(b) <= 2:
            s = _ymd(_today_year(), mon, int(b))
            if s is not None:
                return s
        return _ymd(_year(b), mon, 1)
    m = _DAY_FIRST_RE.fullmatch(t)
    if m and m.group(2).lower() in _MONTHS:
        mon = _MONTHS[m.group(2).lower()]
        a, c = m.group(1), m.group(3)
        if c is not None:
            if len(a) > 2:
                return None
            return _ymd(_year(c), mon, int(a))
        if len(a) <= 2:
            s = _ymd(_today_year(), mon, int(a))
            if s is not None:
                return s
        return _ymd(_year(a), mon, 1)
    return None


_DATE_TIME_SPLIT_RE = re.compile(
    r"(?P<date>.*?[A-Za-z0-9])(?:\s+|\s*T\s*)(?P<time>\d{1,5}\s*:.*|\d{1,2}\s*[AaPp]\.?\s*[Mm]?\.?)")


def parse_datetime_text(text: str) -> tuple[int | None, float] | None:
    """Parse date and/or time text as Excel's en-US locale reads a typed
    value.  Returns (day serial in the 1900 system or None when there is no
    date part, time as a fraction of a day), or None when the text is not a
    date or time."""
    t = text.strip()
    if not t:
        return None
    tv = parse_time_text(t)
    if tv is not None:
        return None, tv
    d = _parse_date_part(t)
    if d is not None:
        return d, 0.0
    m = _DATE_TIME_SPLIT_RE.fullmatch(t)
    if m:
        d = _parse_date_part(m.group("date").strip())
        tv = parse_time_text(m.group("time"))
        if d is not None and tv is not None:
            return d, tv
    return None
