"""Excel's bond and security functions: coupon schedules (COUP*), prices and
yields (PRICE, YIELD, the odd-period ODD* functions, discounted and
at-maturity securities, treasury bills), accrued interest and durations.

Dates are Excel serial numbers (1900 system, serial 60 being the fictitious
1900-02-29); they are truncated to whole days as Excel does.  ``basis``
selects the day count: 0 US (NASD) 30/360, 1 actual/actual, 2 actual/360,
3 actual/365, 4 European 30/360.
"""
from __future__ import annotations

import datetime as _dt
import functools
import math

from ..values import NUM, VALUE
from . import coerce
from .registry import function

CAT = "financial"

_EPOCH = _dt.date(1899, 12, 30)
_MAX_SERIAL = 2958465  # 9999-12-31


def atp_numbers(impl=None, *, count: int | None = None):
    """Argument coercion of the functions Excel inherited from the Analysis
    ToolPak: their numeric parameters are declared ``any`` and converted here
    (the first ``count`` of them, default all), because unlike the core
    functions they refuse logical values (#VALUE!) while accepting numeric text."""
    if impl is None:
        return lambda f: atp_numbers(f, count=count)

    @functools.wraps(impl)
    def wrapper(*args):
        n = len(args) if count is None else count
        return impl(*(strict_number(a) if i < n else a for i, a in enumerate(args)))
    return wrapper


def strict_number(v):
    if isinstance(v, bool):
        raise VALUE
    return coerce.to_number(v)


# --- calendar -------------------------------------------------------------------------

def ymd(serial: int) -> tuple[int, int, int]:
    """(year, month, day) of a whole serial number (serial 60 = 1900-02-29)."""
    if serial == 60:
        return 1900, 2, 29
    if serial < 60:
        d = _EPOCH + _dt.timedelta(days=serial + 1)
    else:
        d = _EPOCH + _dt.timedelta(days=serial)
    return d.year, d.month, d.day


def to_serial(y: int, m: int, d: int) -> int:
    if (y, m, d) == (1900, 2, 29):
        return 60
    s = (_dt.date(y, m, d) - _EPOCH).days
    return s - 1 if s < 61 else s


def is_leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def days_in_month(y: int, m: int) -> int:
    if m == 2:
        return 29 if is_leap(y) or y == 1900 else 28
    return 31 if m in (1, 3, 5, 7, 8, 10, 12) else 30


def add_months(serial: int, months: int, eom: bool = False) -> int:
    """Serial ``months`` later (or earlier), the day clamped to the month's
    length, or the month's last day when ``eom``."""
    y, m, d = ymd(serial)
    total = y * 12 + (m - 1) + months
    ny, nm = divmod(total, 12)
    nm += 1
    if ny < 1900 or ny > 9999:
        raise NUM
    last = days_in_month(ny, nm)
    return to_serial(ny, nm, last if eom else min(d, last))


def _date_arg(x: float) -> int:
    """A date argument: truncated, and #NUM! outside Excel's calendar."""
    if x < 0 or x > _MAX_SERIAL:
        raise NUM
    return int(math.floor(x))


def _basis_arg(b: float) -> int:
    b = math.trunc(b)
    if b not in (0, 1, 2, 3, 4):
        raise NUM
    return b


def _freq_arg(f: float) -> int:
    f = math.trunc(f)
    if f not in (1, 2, 4):
        raise NUM
    return f


# --- day counts -------------------------------------------------------------------------

def _last_of_feb(y: int, m: int, d: int) -> bool:
    return m == 2 and d == days_in_month(y, m)


def days_30_360_us(d1: int, d2: int, modify_both: bool = False) -> int:
    """US (NASD) 30/360 day count between two serials as Excel counts it:
    a 31st, or February's last day, at the start counts as the 30th; at the
    end a 31st becomes the 30th only when the start is a 30th/31st, and
    February's last day only when the start is one too.  ``modify_both``
    adjusts the end date unconditionally (Excel's odd-last-period lengths)."""
    y1, m1, a = ymd(d1)
    y2, m2, b = ymd(d2)
    if _last_of_feb(y2, m2, b) and (_last_of_feb(y1, m1, a) or modify_both):
        b = 30
    if b == 31 and (a >= 30 or modify_both):
        b = 30
    if a == 31 or _last_of_feb(y1, m1, a):
        a = 30
    return (y2 - y1) * 360 + (m2 - m1) * 30 + (b - a)


def days_30_360_eu(d1: int, d2: int) -> int:
    y1, m1, a = ymd(d1)
    y2, m2, b = ymd(d2)
    return (y2 - y1) * 360 + (m2 - m1) * 30 + (min(b, 30) - min(a, 30))


def day_count(d1: int, d2: int, basis: int) -> int:
    """Days from d1 to d2 under a basis (30/360 for 0 and 4, actual otherwise)."""
    if basis == 0:
        return days_30_360_us(d1, d2)
    if basis == 4:
        return days_30_360_eu(d1, d2)
    return d2 - d1


def year_frac(d1: int, d2: int, basis: int) -> float:
    """Excel's YEARFRAC between two whole serials (order-insensitive)."""
    if d1 > d2:
        d1, d2 = d2, d1
    if basis == 0:
        return days_30_360_us(d1, d2) / 360.0
    if basis == 4:
        return days_30_360_eu(d1, d2) / 360.0
    if basis == 2:
        return (d2 - d1) / 360.0
    if basis == 3:
        return (d2 - d1) / 365.0
    # actual/actual: within a year, the length of that year (366 when a
    # February 29 is inside the period); over several years, their average
    y1, m1, a = ymd(d1)
    y2, m2, b = ymd(d2)
    if y1 == y2 or (y2 == y1 + 1 and (m1, a) >= (m2, b)):
        if y1 == y2:
            length = 366 if is_leap(y1) else 365
        elif _has_feb29(d1, d2) or (m2 == 2 and b == 29):
            length = 366
        else:
            length = 365
        return (d2 - d1) / length
    years = y2 - y1 + 1
    total = sum(366 if is_leap(y) else 365 for y in range(y1, y2 + 1))
    return (d2 - d1) / (total / years)


def _has_feb29(d1: int, d2: int) -> bool:
    y1 = ymd(d1)[0]
    y2 = ymd(d2)[0]
    for y in range(y1, y2 + 1):
        if is_leap(y) and d1 <= to_serial(y, 2, 29) <= d2:
            return True
    return False


# --- coupon schedule ----------------------------------------------------------------------

class Coupons:
    """The regular coupon schedule of a bond seen from a settlement date:
    coupon dates fall every 12/frequency months back from maturity (on the
    month's last day when maturity is a month end)."""

    __slots__ = ("settle", "mat", "freq", "basis", "pcd", "ncd", "num")

    def __init__(self, settle: float, mat: float, freq: float, basis: float):
        self.settle = _date_arg(settle)
        self.mat = _date_arg(mat)
        self.freq = _freq_arg(freq)
        self.basis = _basis_arg(basis)
        if self.settle >= self.mat:
            raise NUM
        self.num = _periods_before(self.mat, self.settle, 12 // self.freq)
        self.pcd = coupon_date(self.mat, -self.num * (12 // self.freq))
        self.ncd = coupon_date(self.mat, -(self.num - 1) * (12 // self.freq))

    @property
    def days(self) -> float:
        """COUPDAYS: length of the coupon period holding the settlement."""
        if self.basis == 1:
            return float(self.ncd - self.pcd)
        if self.basis == 3:
            return 365.0 / self.freq
        return 360.0 / self.freq

    @property
    def days_before(self) -> float:
        """COUPDAYBS: days from the period's start to the settlement."""
        return float(day_count(self.pcd, self.settle, self.basis))

    @property
    def days_next(self) -> float:
        """COUPDAYSNC: days from the settlement to the next coupon."""
        if self.basis in (0, 4):
            return self.days - self.days_before
        return float(self.ncd - self.settle)

    @property
    def frac_to_next(self) -> float:
        """Fraction of the coupon period left after the settlement, as the
        pricing functions count it: (COUPDAYS - COUPDAYBS) / COUPDAYS, which
        differs from COUPDAYSNC / COUPDAYS for the actual/360 and
        actual/365 bases."""
        e = self.days
        return (e - self.days_before) / e


def coupon_date(anchor: int, months: int) -> int:
    """The coupon date ``months`` from ``anchor`` under the end-of-month rule."""
    y, m, d = ymd(anchor)
    return add_months(anchor, months, eom=(d == days_in_month(y, m)))


def _periods_before(mat: int, settle: int, step: int) -> int:
    """Number of coupon dates after ``settle`` up to and including ``mat``."""
    ym, mm, _ = ymd(mat)
    ys, ms, _ = ymd(settle)
    k = max(1, ((ym * 12 + mm) - (ys * 12 + ms)) // step)
    while coupon_date(mat, -k * step) > settle:
        k += 1
    while k > 1 and coupon_date(mat, -(k - 1) * step) <= settle:
        k -= 1
    return k


_COUP = "any, any, any, any?"


@function("COUPDAYS", _COUP, category=CAT)
@atp_numbers
def COUPDAYS(settlement, maturity, frequency, basis=0.0):
    """Days in the coupon period that contains the settlement date."""
    return Coupons(settlement, maturity, frequency, basis).days


@function("COUPDAYBS", _COUP, category=CAT)
@atp_numbers
def COUPDAYBS(settlement, maturity, frequency, basis=0.0):
    """Days from the start of the coupon period to the settlement date."""
    return Coupons(settlement, maturity, frequency, basis).days_before


@function("COUPDAYSNC", _COUP, category=CAT)
@atp_numbers
def COUPDAYSNC(settlement, maturity, frequency, basis=0.0):
    """Days from the settlement date to the next coupon date."""
    return Coupons(settlement, maturity, frequency, basis).days_next


@function("COUPNCD", _COUP, category=CAT)
@atp_numbers
def COUPNCD(settlement, maturity, frequency, basis=0.0):
    """Next coupon date after the settlement date."""
    return float(Coupons(settlement, maturity, frequency, basis).ncd)


@function("COUPPCD", _COUP, category=CAT)
@atp_numbers
def COUPPCD(settlement, maturity, frequency, basis=0.0):
    """Coupon date on or before the settlement date."""
    return float(Coupons(settlement, maturity, frequency, basis).pcd)


@function("COUPNUM", _COUP, category=CAT)
@atp_numbers
def COUPNUM(settlement, maturity, frequency, basis=0.0):
    """Number of coupons payable between settlement and maturity."""
    return float(Coupons(settlement, maturity, frequency, basis).num)


# --- regular coupon bonds -----------------------------------------------------------------

def _price(c: Coupons, rate: float, yld: float, redemption: float) -> float:
    f = c.freq
    e = c.days
    a = c.days_before
    frac = c.frac_to_next
    coupon = 100.0 * rate / f
    if c.num == 1:
        return (redemption + coupon) / (1.0 + frac * yld / f) - coupon * a / e
    base = 1.0 + yld / f
    if base <= 0:
        raise NUM
    total = redemption / math.pow(base, c.num - 1.0 + frac)
    for k in range(1, c.num + 1):
        total += coupon / math.pow(base, k - 1.0 + frac)
    return total - coupon * a / e


@function("PRICE", "any, any, any, any, any, any, any?", category=CAT)
@atp_numbers
def PRICE(settlement, maturity, rate, yld, redemption, frequency, basis=0.0):
    """Price per 100 face value of a bond paying periodic interest."""
    c = Coupons(settlement, maturity, frequency, basis)
    if rate < 0 or yld < 0 or redemption <= 0:
        raise NUM
    return _price(c, rate, yld, redemption)


@function("YIELD", "any, any, any, any, any, any, any?", category=CAT)
@atp_numbers
def YIELD(settlement, maturity, rate, pr, redemption, frequency, basis=0.0):
    """Yield of a bond paying periodic interest."""
    c = Coupons(settlement, maturity, frequency, basis)
    if rate < 0 or pr <= 0 or redemption <= 0:
        raise NUM
    f = c.freq
    if c.num == 1:
        e, a = c.days, c.days_before
        coupon = rate / f
        dirty = pr / 100.0 + a / e * coupon
        return (redemption / 100.0 + coupon - dirty) / dirty * f / c.frac_to_next
    return _solve_yield(lambda y: _price(c, rate, y, redemption) - pr, f)


def _solve_yield(g, freq: float) -> float:
    """The yield y > -freq at which g(y) = price(y) - target is 0.  Prices
    fall as yields rise, so each evaluation narrows a bracket; Newton steps
    (central-difference slope) are taken inside it, bisection otherwise."""
    lo, hi = -float(freq), math.inf
    y = 0.1
    for _ in range(400):
        try:
            v = g(y)
        except (OverflowError, ZeroDivisionError, ValueError):
            v = math.inf          # only near -freq, where prices blow up
        if v == 0:
            return y
        if v > 0 or v != v:
            lo = y
        else:
            hi = y
        h = 1e-7 * max(1.0, abs(y))
        try:
            slope = (g(y + h) - g(y - h)) / (2 * h)
            ny = y - v / slope
        except (OverflowError, ZeroDivisionError, ValueError):
            ny = math.nan
        if not (lo < ny < hi):
            ny = (lo + hi) / 2 if math.isfinite(hi) else max(2 * y, y + 1.0)
        if abs(ny - y) <= 4e-16 * max(1.0, abs(y)) or hi - lo <= 4e-16 * max(1.0, abs(y)):
            return ny
        y = ny
    raise NUM


@function("DURATION", "any, any, any, any, any, any?", category=CAT)
@atp_numbers
def DURATION(settlement, maturity, coupon, yld, frequency, basis=0.0):
    """Macaulay duration (years) of a bond with periodic interest."""
    c = Coupons(settlement, maturity, frequency, basis)
    if coupon < 0 or yld < 0:
        raise NUM
    return _duration(c, coupon, yld)


@function("MDURATION", "any, any, any, any, any, any?", category=CAT)
@atp_numbers
def MDURATION(settlement, maturity, coupon, yld, frequency, basis=0.0):
    """Modified duration of a bond with periodic interest."""
    c = Coupons(settlement, maturity, frequency, basis)
    if coupon < 0 or yld < 0:
        raise NUM
    return _duration(c, coupon, yld) / (1.0 + yld / c.freq)


def _duration(c: Coupons, coupon: float, yld: float) -> float:
    f = c.freq
    frac = c.frac_to_next
    cf = 100.0 * coupon / f
    base = 1.0 + yld / f
    num = den = 0.0
    for k in range(1, c.num + 1):
        t = k - 1.0 + frac
        flow = cf + (100.0 if k == c.num else 0.0)
        pv = flow / math.pow(base, t)
        num += t * pv
        den += pv
    return num / den / f


# --- accrued interest -------------------------------------------------------------------------
#
# ACCRINT follows Excel's own (quirky) walk over the quasi-coupon periods
# dated from first_interest, as documented by the ExcelFinancialFunctions
# project's validation against Excel: the slice up to the settlement is
# always measured against the regular period that ends at first_interest,
# and whole periods between the issue and that slice count as one each.

def _accr_days(start: int, end: int, basis: int, numerator: bool) -> float:
    if basis == 0:
        return float(days_30_360_us(start, end))
    if basis == 4:
        return float(days_30_360_eu(start, end))
    if basis == 2 and not numerator:
        return float(days_30_360_us(start, end))
    return float(end - start)


@function("ACCRINT", "any, any, any, any, any, any, any?, bool?", category=CAT)
@atp_numbers(count=7)
def ACCRINT(issue, first_interest, settlement, rate, par, frequency, basis=0.0, calc_method=True):
    """Accrued interest of a security paying periodic interest."""
    issue = _date_arg(issue)
    first = _date_arg(first_interest)
    settle = _date_arg(settlement)
    freq = _freq_arg(frequency)
    basis = _basis_arg(basis)
    if rate <= 0 or par <= 0 or issue >= settle:
        raise NUM
    step = 12 // freq
    y, m, d = ymd(first)
    eom = d == days_in_month(y, m)
    reg_pcd = add_months(first, -step, eom=eom)
    pcd = reg_pcd
    if settle > first and calc_method:
        # the coupon date before the settlement, walking on from first_interest
        front = first
        while front < settle:
            pcd = front
            front = add_months(front, step, eom=eom)
    if basis == 1:
        period = float(first - reg_pcd)
    elif basis == 3:
        period = 365.0 / freq
    else:
        period = 360.0 / freq
    acc = _accr_days(max(issue, pcd), settle, basis, True) / period
    front = pcd
    while front > issue:
        end = front
        front = add_months(front, -step, eom=eom)
        if issue <= front:
            acc += 1.0 if calc_method else 0.0
        else:
            # the stub period in which the security was issued
            if basis == 0:
                num = float(days_30_360_us(issue, end))
                den = float(days_30_360_us(front, end, modify_both=True))
            else:
                num = _accr_days(issue, end, basis, True)
                den = 365.0 / freq if basis == 3 else _accr_days(front, end, basis, False)
            acc += num / den
    return par * rate / freq * acc


@function("ACCRINTM", "any, any, any, any?, any?", category=CAT)
@atp_numbers
def ACCRINTM(issue, settlement, rate, par=1000.0, basis=0.0):
    """Accrued interest of a security paying interest at maturity."""
    issue = _date_arg(issue)
    settle = _date_arg(settlement)
    basis = _basis_arg(basis)
    if rate <= 0 or par <= 0 or issue >= settle:
        raise NUM
    return par * rate * year_frac(issue, settle, basis)


# --- discounted and at-maturity securities ------------------------------------------------------

def _span(settlement: float, maturity: float, basis: float) -> tuple[int, int, int, float]:
    s = _date_arg(settlement)
    m = _date_arg(maturity)
    b = _basis_arg(basis)
    if s >= m:
        raise NUM
    return s, m, b, year_frac(s, m, b)


@function("DISC", "any, any, any, any, any?", category=CAT)
@atp_numbers
def DISC(settlement, maturity, pr, redemption, basis=0.0):
    """Discount rate of a security."""
    s, m, b, yf = _span(settlement, maturity, basis)
    if pr <= 0 or redemption <= 0:
        raise NUM
    return (redemption - pr) / redemption / yf


@function("INTRATE", "any, any, any, any, any?", category=CAT)
@atp_numbers
def INTRATE(settlement, maturity, investment, redemption, basis=0.0):
    """Interest rate of a fully invested security."""
    s, m, b, yf = _span(settlement, maturity, basis)
    if investment <= 0 or redemption <= 0:
        raise NUM
    return (redemption - investment) / investment / yf


@function("RECEIVED", "any, any, any, any, any?", category=CAT)
@atp_numbers
def RECEIVED(settlement, maturity, investment, discount, basis=0.0):
    """Amount received at maturity for a fully invested security."""
    s, m, b, yf = _span(settlement, maturity, basis)
    if investment <= 0 or discount <= 0:
        raise NUM
    d = 1.0 - discount * yf
    if d <= 0:
        raise NUM
    return investment / d


@function("PRICEDISC", "any, any, any, any, any?", category=CAT)
@atp_numbers
def PRICEDISC(settlement, maturity, discount, redemption, basis=0.0):
    """Price per 100 face value of a discounted security."""
    s, m, b, yf = _span(settlement, maturity, basis)
    if discount <= 0 or redemption <= 0:
        raise NUM
    return redemption * (1.0 - discount * yf)


@function("YIELDDISC", "any, any, any, any, any?", category=CAT)
@atp_numbers
def YIELDDISC(settlement, maturity, pr, redemption, basis=0.0):
    """Annual yield of a discounted security."""
    s, m, b, yf = _span(settlement, maturity, basis)
    if pr <= 0 or redemption <= 0:
        raise NUM
    return (redemption - pr) / pr / yf


def _mat_fracs(settlement, maturity, issue, basis):
    s, m, b, dsm = _span(settlement, maturity, basis)
    i = _date_arg(issue)
    if i > s:
        raise NUM
    return year_frac(i, m, b), dsm, year_frac(i, s, b)


@function("PRICEMAT", "any, any, any, any, any, any?", category=CAT)
@atp_numbers
def PRICEMAT(settlement, maturity, issue, rate, yld, basis=0.0):
    """Price per 100 face value of a security paying interest at maturity."""
    dim, dsm, a = _mat_fracs(settlement, maturity, issue, basis)
    if rate < 0 or yld < 0:
        raise NUM
    return (100.0 + dim * rate * 100.0) / (1.0 + dsm * yld) - a * rate * 100.0


@function("YIELDMAT", "any, any, any, any, any, any?", category=CAT)
@atp_numbers
def YIELDMAT(settlement, maturity, issue, rate, pr, basis=0.0):
    """Annual yield of a security paying interest at maturity."""
    dim, dsm, a = _mat_fracs(settlement, maturity, issue, basis)
    if rate < 0 or pr <= 0:
        raise NUM
    paid = pr / 100.0 + a * rate
    return ((1.0 + dim * rate) - paid) / paid / dsm


# --- treasury bills --------------------------------------------------------------------------------

def _tbill_days(settlement: float, maturity: float) -> int:
    s = _date_arg(settlement)
    m = _date_arg(maturity)
    if s >= m or m > add_months(s, 12):
        raise NUM
    return m - s


@function("TBILLPRICE", "any, any, any", category=CAT)
@atp_numbers
def TBILLPRICE(settlement, maturity, discount):
    """Price per 100 face value of a treasury bill."""
    dsm = _tbill_days(settlement, maturity)
    if discount <= 0:
        raise NUM
    price = 100.0 * (1.0 - discount * dsm / 360.0)
    if price <= 0:
        raise NUM
    return price


@function("TBILLYIELD", "any, any, any", category=CAT)
@atp_numbers
def TBILLYIELD(settlement, maturity, pr):
    """Yield of a treasury bill."""
    dsm = _tbill_days(settlement, maturity)
    if pr <= 0:
        raise NUM
    return (100.0 - pr) / pr * 360.0 / dsm


@function("TBILLEQ", "any, any, any", category=CAT)
@atp_numbers
def TBILLEQ(settlement, maturity, discount):
    """Bond-equivalent yield of a treasury bill."""
    dsm = _tbill_days(settlement, maturity)
    if discount <= 0:
        raise NUM
    if dsm <= 182:
        return 365.0 * discount / (360.0 - discount * dsm)
    # beyond half a year the equivalent yield compounds once (semiannual bond)
    price = 100.0 * (1.0 - discount * dsm / 360.0)
    if price <= 0:
        raise NUM
    t = min(dsm / 365.0, 1.0)  # a 366-day bill (leap year) counts as one year
    disc = t * t - (2.0 * t - 1.0) * (1.0 - 100.0 / price)
    return (-t + math.sqrt(disc)) / (t - 0.5)


# --- odd first / last coupon periods -------------------------------------------------------------------
#
# The odd period is cut into quasi-coupon periods (regular periods dated back
# from the first coupon, or on from the last interest date).  Excel's
# conventions, as reproduced by the ExcelFinancialFunctions project: for an
# odd first period, whole quasi periods count as one normal length each and
# only the issue's period is counted in days; for an odd last period the
# normal length is the period's own day count (30/360 with both ends
# adjusted for basis 0, actual days for bases 1-3).

def _basis_days(a: int, b: int, basis: int) -> float:
    """Days from a to b (0 when b <= a): 30/360 for bases 0 and 4, else actual."""
    return float(day_count(a, b, basis)) if b > a else 0.0


def _oddl_length(a: int, b: int, basis: int) -> float:
    if basis == 0:
        return float(max(days_30_360_us(a, b, modify_both=True), 0))
    return _basis_days(a, b, basis)


def _period_len(lo: int, hi: int, freq: int, basis: int) -> float:
    if basis == 1:
        return float(hi - lo)
    if basis == 3:
        return 365.0 / freq
    return 360.0 / freq


def _oddf_price(settle: int, mat: int, issue: int, first: int, rate: float, yld: float,
                redemption: float, freq: int, basis: int) -> float:
    step = 12 // freq
    coupon = 100.0 * rate / freq
    x = 1.0 + yld / freq
    if x <= 0:
        raise NUM
    # quasi-coupon period holding the settlement, dated from the first coupon
    k = _periods_before(first, settle, step)
    pcd = coupon_date(first, -k * step)
    ncd = coupon_date(first, -(k - 1) * step)
    e = _period_len(pcd, ncd, freq, basis)
    dfc = _basis_days(issue, first, basis)
    if dfc < e:
        # short first period: one odd coupon, then regular ones
        n = Coupons(settle, mat, freq, basis).num
        t = _basis_days(settle, first, basis) / e
        price = redemption / math.pow(x, n - 1 + t) + coupon * dfc / e / math.pow(x, t)
        for j in range(2, n + 1):
            price += coupon / math.pow(x, j - 1 + t)
        return price - coupon * _basis_days(issue, settle, basis) / e
    # long first period spanning several quasi-coupon periods
    dates = [first]
    while dates[-1] > issue:
        dates.append(coupon_date(first, -len(dates) * step))
    dates.reverse()                      # dates[0] <= issue < ... < dates[-1] = first
    dc = acc = 0.0
    for i, (lo, hi) in enumerate(zip(dates, dates[1:])):
        nl = float(hi - lo) if basis == 1 else e
        dc += (_basis_days(issue, hi, basis) if i == 0 else nl) / nl
        acc += _basis_days(max(issue, lo), min(settle, hi), basis) / nl
    if basis in (2, 3):
        dsc = _basis_days(settle, ncd, basis)
    else:
        dsc = e - _basis_days(pcd, settle, basis)
    nq = k - 1                           # whole quasi periods after the settlement's
    n = _periods_before(mat, first, step)
    t = nq + dsc / e
    price = redemption / math.pow(x, n + t) + coupon * dc / math.pow(x, t)
    for j in range(1, n + 1):
        price += coupon / math.pow(x, j + t)
    return price - coupon * acc


def _oddf_args(settlement, maturity, issue, first_coupon, frequency, basis):
    s, m = _date_arg(settlement), _date_arg(maturity)
    i, f = _date_arg(issue), _date_arg(first_coupon)
    freq, basis = _freq_arg(frequency), _basis_arg(basis)
    if not (m > f > s > i):
        raise NUM
    return s, m, i, f, freq, basis


@function("ODDFPRICE", "any, any, any, any, any, any, any, any, any?", category=CAT)
@atp_numbers
def ODDFPRICE(settlement, maturity, issue, first_coupon, rate, yld, redemption, frequency, basis=0.0):
    """Price per 100 face value of a security with an odd first period."""
    s, m, i, f, freq, basis = _oddf_args(settlement, maturity, issue, first_coupon, frequency, basis)
    if rate < 0 or yld < 0 or redemption <= 0:
        raise NUM
    return _oddf_price(s, m, i, f, rate, yld, redemption, freq, basis)


@function("ODDFYIELD", "any, any, any, any, any, any, any, any, any?", category=CAT)
@atp_numbers
def ODDFYIELD(settlement, maturity, issue, first_coupon, rate, pr, redemption, frequency, basis=0.0):
    """Yield of a security with an odd first period."""
    s, m, i, f, freq, basis = _oddf_args(settlement, maturity, issue, first_coupon, frequency, basis)
    if rate < 0 or pr <= 0 or redemption <= 0:
        raise NUM
    return _solve_yield(lambda y: _oddf_price(s, m, i, f, rate, y, redemption, freq, basis) - pr, freq)


def _oddl_sums(settle: int, mat: int, last: int, freq: int, basis: int):
    """Sums over the quasi-coupon periods after the last interest date of the
    days counted (DC), accrued (A) and left after settlement (DSC), each as a
    fraction of its period's normal length."""
    step = 12 // freq
    dc = acc = dsc = 0.0
    lo = last
    k = 1
    while lo < mat:
        hi = coupon_date(last, k * step)
        nl = _oddl_length(lo, hi, basis)
        dci = nl if hi < mat else _oddl_length(lo, mat, basis)
        if hi < settle:
            ai = dci
        else:
            ai = _basis_days(lo, settle, basis)
        dc += dci / nl
        acc += ai / nl
        dsc += _basis_days(max(settle, lo), min(mat, hi), basis) / nl
        lo = hi
        k += 1
    return dc, acc, dsc


def _oddl_args(settlement, maturity, last_interest, frequency, basis):
    s, m, last = _date_arg(settlement), _date_arg(maturity), _date_arg(last_interest)
    freq, basis = _freq_arg(frequency), _basis_arg(basis)
    if not (m > s > last):
        raise NUM
    return s, m, last, freq, basis


@function("ODDLPRICE", "any, any, any, any, any, any, any, any?", category=CAT)
@atp_numbers
def ODDLPRICE(settlement, maturity, last_interest, rate, yld, redemption, frequency, basis=0.0):
    """Price per 100 face value of a security with an odd last period."""
    s, m, last, freq, basis = _oddl_args(settlement, maturity, last_interest, frequency, basis)
    if rate < 0 or yld < 0 or redemption <= 0:
        raise NUM
    dc, acc, dsc = _oddl_sums(s, m, last, freq, basis)
    coupon = 100.0 * rate / freq
    return (redemption + dc * coupon) / (1.0 + dsc * yld / freq) - acc * coupon


@function("ODDLYIELD", "any, any, any, any, any, any, any, any?", category=CAT)
@atp_numbers
def ODDLYIELD(settlement, maturity, last_interest, rate, pr, redemption, frequency, basis=0.0):
    """Yield of a security with an odd last period."""
    s, m, last, freq, basis = _oddl_args(settlement, maturity, last_interest, frequency, basis)
    if rate < 0 or pr <= 0 or redemption <= 0:
        raise NUM
    dc, acc, dsc = _oddl_sums(s, m, last, freq, basis)
    coupon = 100.0 * rate / freq
    paid = pr + acc * coupon
    return (redemption + dc * coupon - paid) / paid * freq / dsc
