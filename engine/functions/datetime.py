"""Excel's Date and Time functions.

Dates are serial numbers of the workbook's date system (``ctx.model.date1904``);
the calendar arithmetic lives in ``dates.py``.  Date arguments are declared
``any`` and read by ``_date_num`` so that date text is read in the workbook's
date system, and so that the functions Excel inherited from the Analysis
ToolPak (EDATE, EOMONTH, YEARFRAC, WEEKNUM, WORKDAY, NETWORKDAYS...) can
refuse logical values with #VALUE! as Excel does.

Excel breaks a date-time serial into its parts after rounding it to the
nearest second (``dates.split_serial``): HOUR/MINUTE/SECOND, YEAR/MONTH/DAY,
WEEKDAY, DAYS360, EDATE... see that rounding; DAYS, WORKDAY and NETWORKDAYS
just truncate.
"""
from __future__ import annotations

import bisect
import datetime as _dt
import math
from typing import Any

from ..values import BLANK, MISSING, NUM, VALUE, XLError
from . import coerce, dates, helpers
from .registry import function

CAT = "datetime"


# --- argument helpers ------------------------------------------------------------------

def _d1904(ctx) -> bool:
    return bool(getattr(ctx.model, "date1904", False))


def _date_num(ctx, v: Any, *, atp: bool = False) -> float:
    """A date (or number) argument.  Date text is read in the workbook's date
    system.  ``atp``: Analysis ToolPak rules -- logical values are #VALUE!
    and empty text counts as 0."""
    if isinstance(v, bool):
        if atp:
            raise VALUE
        return 1.0 if v else 0.0
    if isinstance(v, str):
        if atp and v == "":
            return 0.0
        if _d1904(ctx):
            r = dates.parse_datetime_text(v)
            if r is not None and r[0] is not None:
                return r[0] - dates.OFFSET_1904 + r[1]
    return coerce.to_number(v)


def _day_arg(ctx, v: Any, *, atp: bool = False) -> int:
    """A date argument as a whole day, rounded the way Excel's date breakdown
    rounds (to the second); #NUM! outside the calendar."""
    return dates.day_of(_date_num(ctx, v, atp=atp), _d1904(ctx))


def _trunc_day(ctx, x: float) -> int:
    """A date argument truncated to its day; #NUM! outside the calendar."""
    if not (x >= 0) or x >= dates.max_serial(_d1904(ctx)) + 1:
        raise NUM
    return int(x)


def _int_arg(x: float) -> int:
    return dates.approx_trunc(x)


# --- building dates and times ------------------------------------------------------------

@function("DATE", "number, number, number", category=CAT, context=True)
def DATE(ctx, year, month, day):
    """Serial number of a date; months and days outside their range roll over."""
    return dates.ymd_to_serial(_int_arg(year), _int_arg(month), _int_arg(day), _d1904(ctx))


@function("TIME", "number, number, number", category=CAT)
def TIME(hour, minute, second):
    """Fraction of a day of a time; overflowing parts roll over, whole days drop."""
    h, m, s = _int_arg(hour), _int_arg(minute), _int_arg(second)
    if h > 32767 or m > 32767 or s > 32767:
        raise NUM
    total = h * 3600 + m * 60 + s
    if total < 0:
        raise NUM
    return (total % 86400) / 86400.0


@function("DATEVALUE", "any", category=CAT, context=True)
def DATEVALUE(ctx, text):
    """Serial number of a date written as text (its time part ignored)."""
    if not isinstance(text, str):
        raise VALUE
    r = dates.parse_datetime_text(text)
    if r is None:
        raise VALUE
    day, t = r
    if day is None:
        return 0.0          # time-only text has no date part
    if _d1904(ctx):
        day -= dates.OFFSET_1904
        if day < 0:
            raise VALUE
    # a time of 24:00 or more moves the date on (DATEVALUE("2026-01-01 25:00"))
    serial = math.floor(day + t)
    if serial > dates.max_serial(_d1904(ctx)):
        raise VALUE
    return serial


@function("TIMEVALUE", "any", category=CAT)
def TIMEVALUE(text):
    """Fraction of a day of a time written as text (its date part ignored)."""
    if not isinstance(text, str):
        raise VALUE
    r = dates.parse_datetime_text(text)
    if r is None:
        raise VALUE
    t = r[1]
    return t - math.floor(t)


@function("NOW", "", category=CAT, context=True, volatile=True)
def NOW(ctx):
    """The current date and time (local clock)."""
    now = _dt.datetime.now()
    day = dates.date_serial(now.year, now.month, now.day)
    if _d1904(ctx):
        day -= dates.OFFSET_1904
    secs = now.hour * 3600 + now.minute * 60 + now.second + now.microsecond / 1e6
    return day + secs / 86400.0


@function("TODAY", "", category=CAT, context=True, volatile=True)
def TODAY(ctx):
    """The current date (local clock)."""
    today = _dt.date.today()
    day = dates.date_serial(today.year, today.month, today.day)
    return day - dates.OFFSET_1904 if _d1904(ctx) else day


# --- taking dates and times apart --------------------------------------------------------

def _ymd(ctx, v: Any) -> tuple[int, int, int]:
    return dates.serial_to_ymd(_day_arg(ctx, v), _d1904(ctx))


@function("YEAR", "any", category=CAT, context=True)
def YEAR(ctx, serial):
    """Year of a date."""
    return _ymd(ctx, serial)[0]


@function("MONTH", "any", category=CAT, context=True)
def MONTH(ctx, serial):
    """Month (1-12) of a date."""
    return _ymd(ctx, serial)[1]


@function("DAY", "any", category=CAT, context=True)
def DAY(ctx, serial):
    """Day of the month of a date."""
    return _ymd(ctx, serial)[2]


def _second_of_day(ctx, v: Any) -> int:
    return dates.split_serial(_date_num(ctx, v), _d1904(ctx))[1]


@function("HOUR", "any", category=CAT, context=True)
def HOUR(ctx, serial):
    """Hour (0-23) of a time, rounded to the second first."""
    return _second_of_day(ctx, serial) // 3600


@function("MINUTE", "any", category=CAT, context=True)
def MINUTE(ctx, serial):
    """Minute (0-59) of a time, rounded to the second first."""
    return _second_of_day(ctx, serial) // 60 % 60


@function("SECOND", "any", category=CAT, context=True)
def SECOND(ctx, serial):
    """Second (0-59) of a time, rounded to the nearest second."""
    return _second_of_day(ctx, serial) % 60


# WEEKDAY return types: the weekday (1 = Sunday) numbered from ``first``,
# starting at ``base``.
_WEEKDAY_TYPES = {1: (1, 1), 2: (2, 1), 3: (2, 0), 11: (2, 1), 12: (3, 1), 13: (4, 1),
                  14: (5, 1), 15: (6, 1), 16: (7, 1), 17: (1, 1)}


@function("WEEKDAY", "any, number?", category=CAT, context=True)
def WEEKDAY(ctx, serial, return_type=1.0):
    """Day of the week of a date, numbered as return_type says."""
    day = _day_arg(ctx, serial)
    kind = _WEEKDAY_TYPES.get(int(return_type) if math.isfinite(return_type) else 0)
    if kind is None:
        raise NUM
    first, base = kind
    return (dates.weekday(day, _d1904(ctx)) - first) % 7 + base


# WEEKNUM return types -> the weekday (1 = Sunday) weeks start on; 21 is ISO.
_WEEKNUM_TYPES = {1: 1, 2: 2, 11: 2, 12: 3, 13: 4, 14: 5, 15: 6, 16: 7, 17: 1, 21: None}


def _iso_week(day: int, date1904: bool) -> int:
    monday_based = (dates.weekday(day, date1904) + 5) % 7 + 1   # 1 = Monday
    thursday = day - monday_based + 4                          # decides the ISO year
    year = dates.serial_to_ymd(thursday, date1904)[0]
    return (thursday - dates.ymd_to_serial(year, 1, 1, date1904)) // 7 + 1


@function("WEEKNUM", "any, any?", category=CAT, context=True)
def WEEKNUM(ctx, serial, return_type=1.0):
    """Week of the year of a date: week 1 contains January 1 (type 21: ISO weeks)."""
    day = _day_arg(ctx, serial, atp=True)
    rt = _date_num(ctx, return_type, atp=True)
    if not math.isfinite(rt) or int(rt) not in _WEEKNUM_TYPES:
        raise NUM
    d1904 = _d1904(ctx)
    start = _WEEKNUM_TYPES[int(rt)]
    if start is None:
        return _iso_week(day, d1904)
    year = dates.serial_to_ymd(day, d1904)[0]
    jan1 = dates.ymd_to_serial(year, 1, 1, d1904)
    offset = (dates.weekday(jan1, d1904) - start) % 7
    return (day - jan1 + offset) // 7 + 1


@function("ISOWEEKNUM", "any", category=CAT, context=True)
def ISOWEEKNUM(ctx, serial):
    """ISO 8601 week number of a date (weeks start on Monday; week 1 holds the
    year's first Thursday)."""
    return _iso_week(_day_arg(ctx, serial), _d1904(ctx))


# --- date arithmetic ------------------------------------------------------------------

@function("EDATE", "any, any", category=CAT, context=True)
def EDATE(ctx, start_date, months):
    """The date a number of months before or after a date (day clamped to the month)."""
    day = _day_arg(ctx, start_date, atp=True)
    n = _int_arg(_date_num(ctx, months, atp=True))
    return dates.add_months(day, n, _d1904(ctx))


@function("EOMONTH", "any, any", category=CAT, context=True)
def EOMONTH(ctx, start_date, months):
    """The last day of the month a number of months before or after a date."""
    day = _day_arg(ctx, start_date, atp=True)
    n = _int_arg(_date_num(ctx, months, atp=True))
    return dates.add_months(day, n, _d1904(ctx), end_of_month=True)


@function("DAYS", "any, any", category=CAT, context=True)
def DAYS(ctx, end_date, start_date):
    """Days between two dates (end - start, each truncated to its day)."""
    end = _trunc_day(ctx, _date_num(ctx, end_date))
    start = _trunc_day(ctx, _date_num(ctx, start_date))
    return end - start


@function("DAYS360", "any, any, bool?", category=CAT, context=True)
def DAYS360(ctx, start_date, end_date, method=False):
    """Days between two dates on a 360-day year (US method, or European when method is TRUE)."""
    start = _day_arg(ctx, start_date)
    end = _day_arg(ctx, end_date)
    return dates.days360(start, end, european=method, date1904=_d1904(ctx))


@function("YEARFRAC", "any, any, any?", category=CAT, context=True)
def YEARFRAC(ctx, start_date, end_date, basis=0.0):
    """Fraction of a year between two dates under a day-count basis (0-4)."""
    start = _day_arg(ctx, start_date, atp=True)
    end = _day_arg(ctx, end_date, atp=True)
    b = _date_num(ctx, basis, atp=True)
    if not math.isfinite(b):
        raise NUM
    b = int(b)
    if b not in (0, 1, 2, 3, 4):
        raise NUM
    return dates.yearfrac(start, end, b, _d1904(ctx))


@function("DATEDIF", "any, any, text", category=CAT, context=True)
def DATEDIF(ctx, start_date, end_date, unit):
    """Whole years/months/days between two dates ("Y", "M", "D", "MD", "YM", "YD")."""
    d1904 = _d1904(ctx)
    start = _day_arg(ctx, start_date, atp=True)
    end = _day_arg(ctx, end_date, atp=True)
    if start > end:
        raise NUM
    u = unit.upper()
    y1, m1, d1 = dates.serial_to_ymd(start, d1904)
    y2, m2, d2 = dates.serial_to_ymd(end, d1904)
    if u == "D":
        return end - start
    if u == "Y":
        return y2 - y1 - (1 if (m2, d2) < (m1, d1) else 0)
    if u == "M":
        return (y2 - y1) * 12 + (m2 - m1) - (1 if d2 < d1 else 0)
    if u == "YM":
        return ((m2 - m1) - (1 if d2 < d1 else 0)) % 12
    if u == "MD":
        if d2 >= d1:
            return d2 - d1
        # Excel counts from the start's day in the month before the end, with
        # DATE's overflow (so 31-Jan to 1-Mar gives -2, as Excel does)
        return end - dates.ymd_to_serial(y2, m2 - 1, d1, d1904)
    if u == "YD":
        anchor = dates.ymd_to_serial(y2, m1, d1, d1904)
        if anchor > end:
            anchor = dates.ymd_to_serial(y2 - 1, m1, d1, d1904)
        return end - anchor
    raise NUM


# --- working days ---------------------------------------------------------------------

# weekend codes -> weekend days as Monday=0 .. Sunday=6
_WEEKEND_CODES = {1: (5, 6), 2: (6, 0), 3: (0, 1), 4: (1, 2), 5: (2, 3), 6: (3, 4), 7: (4, 5),
                  11: (6,), 12: (0,), 13: (1,), 14: (2,), 15: (3,), 16: (4,), 17: (5,)}


def _weekend_mask(weekend: Any) -> tuple[bool, ...]:
    """Seven flags, Monday first, True for a weekend day.  A number is one of
    the codes 1-7 / 11-17 (#NUM! otherwise); text is seven 0/1 characters from
    Monday (#VALUE! otherwise, or when every day is a weekend)."""
    if weekend is MISSING:
        weekend = 1.0
    if isinstance(weekend, str):
        if len(weekend) != 7 or any(ch not in "01" for ch in weekend) or weekend == "1111111":
            raise VALUE
        return tuple(ch == "1" for ch in weekend)
    if weekend is BLANK:
        raise NUM              # an empty cell is not the default weekend
    code = coerce.to_number(weekend)
    if not math.isfinite(code):
        raise NUM
    days = _WEEKEND_CODES.get(int(code))
    if days is None:
        raise NUM
    return tuple(i in days for i in range(7))


class _Calendar:
    """Working days under a weekend mask and a set of holidays."""

    def __init__(self, ctx, mask: tuple[bool, ...], holidays: Any):
        self.d1904 = _d1904(ctx)
        self.mask = mask
        self.per_week = 7 - sum(mask)
        hols = set()
        if holidays is not None and holidays is not MISSING:
            for v, _ in helpers.iter_arg(holidays):
                if isinstance(v, XLError):
                    raise v
                if v is BLANK:
                    continue
                d = _trunc_day(ctx, _date_num(ctx, v, atp=True))
                if self.is_workday_ignoring_holidays(d):
                    hols.add(d)
        self.holidays = sorted(hols)

    def is_workday_ignoring_holidays(self, d: int) -> bool:
        return not self.mask[(dates.weekday(d, self.d1904) + 5) % 7]

    def count(self, a: int, b: int) -> int:
        """Working days in [a, b] (0 when b < a)."""
        if b < a:
            return 0
        full, rem = divmod(b - a + 1, 7)
        n = full * self.per_week
        first = a + full * 7
        n += sum(1 for d in range(first, first + rem) if self.is_workday_ignoring_holidays(d))
        return n - (bisect.bisect_right(self.holidays, b) - bisect.bisect_left(self.holidays, a))

    def networkdays(self, start: int, end: int) -> int:
        if start <= end:
            return self.count(start, end)
        return -self.count(end, start)

    def workday(self, start: int, n: int) -> int:
        """The n-th working day after (n < 0: before) start."""
        if n == 0:
            return start
        last = dates.max_serial(self.d1904)
        if n > 0:
            if self.count(start + 1, last) < n:
                raise NUM
            lo, hi = start + 1, last
            while lo < hi:      # smallest d with count(start+1, d) >= n
                mid = (lo + hi) // 2
                if self.count(start + 1, mid) >= n:
                    hi = mid
                else:
                    lo = mid + 1
            return lo
        n = -n
        if self.count(0, start - 1) < n:
            raise NUM
        lo, hi = 0, start - 1
        while lo < hi:          # largest d with count(d, start-1) >= n
            mid = (lo + hi + 1) // 2
            if self.count(mid, start - 1) >= n:
                lo = mid
            else:
                hi = mid - 1
        return lo


def _networkdays(ctx, start_date, end_date, weekend, holidays):
    start = _trunc_day(ctx, _date_num(ctx, start_date, atp=True))
    end = _trunc_day(ctx, _date_num(ctx, end_date, atp=True))
    return _Calendar(ctx, _weekend_mask(weekend), holidays).networkdays(start, end)


def _workday(ctx, start_date, days, weekend, holidays):
    start = _trunc_day(ctx, _date_num(ctx, start_date, atp=True))
    n = _int_arg(_date_num(ctx, days, atp=True))
    return _Calendar(ctx, _weekend_mask(weekend), holidays).workday(start, n)


@function("NETWORKDAYS", "any, any, raw?", category=CAT, context=True)
def NETWORKDAYS(ctx, start_date, end_date, holidays=None):
    """Working days (Monday-Friday, not holidays) from start to end, both included."""
    return _networkdays(ctx, start_date, end_date, 1.0, holidays)


@function("NETWORKDAYS.INTL", "any, any, any?, raw?", category=CAT, context=True)
def NETWORKDAYS_INTL(ctx, start_date, end_date, weekend=MISSING, holidays=None):
    """Working days between two dates with a chosen weekend."""
    return _networkdays(ctx, start_date, end_date, weekend, holidays)


@function("WORKDAY", "any, any, raw?", category=CAT, context=True)
def WORKDAY(ctx, start_date, days, holidays=None):
    """The date a number of working days (Monday-Friday, not holidays) from a date."""
    return _workday(ctx, start_date, days, 1.0, holidays)


@function("WORKDAY.INTL", "any, any, any?, raw?", category=CAT, context=True)
def WORKDAY_INTL(ctx, start_date, days, weekend=MISSING, holidays=None):
    """The date a number of working days from a date, with a chosen weekend."""
    return _workday(ctx, start_date, days, weekend, holidays)
