"""Excel's financial functions: time value of money (PV, FV, PMT, NPER, RATE,
IPMT...), cash-flow analysis (NPV, IRR, XNPV, XIRR, MIRR), depreciation (SLN,
SYD, DB, DDB, VDB, AMORLINC, AMORDEGRC) and small conversions (EFFECT,
NOMINAL, DOLLARDE...).  Bonds and other securities live in ``securities.py``.

Conventions shared by the annuity functions: cash paid out is negative,
``type`` is 0 for payments at the end of a period and any other value for
payments at the start (Excel treats every non-zero type as 1 there).
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from scipy.optimize import brentq

from ..values import BLANK, DIV0, NUM, VALUE, XLError
from . import coerce, helpers
from .registry import function
from .securities import atp_numbers, strict_number

CAT = "financial"


# --- small numeric helpers ------------------------------------------------------

def _pow(base: float, exp: float) -> float:
    """base**exp with Excel's POWER errors: 0 to a negative power is #DIV/0!,
    a negative base to a fractional power is #NUM!."""
    if base == 0.0 and exp < 0:
        raise DIV0
    if base < 0 and exp != math.floor(exp):
        raise NUM
    try:
        return math.pow(base, exp)
    except (OverflowError, ValueError):
        raise NUM


def _finite(x: float) -> float:
    if math.isnan(x) or math.isinf(x):
        raise NUM
    return x


def _when(t: float) -> int:
    return 0 if t == 0 else 1


# --- time value of money ----------------------------------------------------------

def _fv(rate: float, nper: float, pmt: float, pv: float, t: int) -> float:
    if rate == 0:
        return -(pv + pmt * nper)
    g = _pow(1.0 + rate, nper)
    return -(pv * g + pmt * (1.0 + rate * t) * (g - 1.0) / rate)


def _pmt(rate: float, nper: float, pv: float, fv: float, t: int) -> float:
    if nper == 0:
        raise NUM
    if rate == 0:
        return -(pv + fv) / nper
    if rate <= -1:
        raise NUM  # Excel: PMT is #NUM! for rate <= -1 even where the power exists
    g = math.pow(1.0 + rate, nper)
    if g == 1.0:  # rate too small to register over nper periods
        return -(pv + fv) / nper
    return _finite(-rate * (fv + pv * g) / ((1.0 + rate * t) * (g - 1.0)))


def _pv(rate: float, nper: float, pmt: float, fv: float, t: int) -> float:
    if rate == 0:
        return -(fv + pmt * nper)
    g = _pow(1.0 + rate, nper)
    if g == 0:
        raise DIV0
    return -(fv + pmt * (1.0 + rate * t) * (g - 1.0) / rate) / g


def _ipmt(rate: float, per: float, nper: float, pv: float, fv: float, t: int) -> float:
    if per < 1 or per >= nper + 1:  # a fractional period past nper still counts
        raise NUM
    pmt = _pmt(rate, nper, pv, fv, t)
    if t == 1:
        # a payment due at the start of a period carries the interest of the
        # previous period; the first one carries none
        if per == 1:
            return 0.0
        return (_fv(rate, per - 2, pmt, pv, 1) - pmt) * rate
    return _fv(rate, per - 1, pmt, pv, 0) * rate


@function("FV", "number, number, number, number?, number?", category=CAT,
          vector=lambda r, n, p, pv=0.0, t=0.0: _fv_vec(r, n, p, pv, t))
def FV(rate, nper, pmt, pv=0.0, type_=0.0):
    """Future value of an investment with periodic constant payments."""
    return _fv(rate, nper, pmt, pv, _when(type_))


@function("PV", "number, number, number, number?, number?", category=CAT,
          vector=lambda r, n, p, fv=0.0, t=0.0: _pv_vec(r, n, p, fv, t))
def PV(rate, nper, pmt, fv=0.0, type_=0.0):
    """Present value of an investment with periodic constant payments."""
    return _pv(rate, nper, pmt, fv, _when(type_))


@function("PMT", "number, number, number, number?, number?", category=CAT,
          vector=lambda r, n, pv, fv=0.0, t=0.0: _pmt_vec(r, n, pv, fv, t))
def PMT(rate, nper, pv, fv=0.0, type_=0.0):
    """Periodic payment of a loan or annuity."""
    return _pmt(rate, nper, pv, fv, _when(type_))


def _nper(rate: float, pmt: float, pv: float, fv: float, t: int) -> float:
    if rate == 0:
        if pmt == 0:
            raise NUM
        return -(pv + fv) / pmt
    if rate <= -1:
        raise NUM
    a = pmt * (1.0 + rate * t)
    num = a - fv * rate
    den = a + pv * rate
    if den == 0 or num / den <= 0:
        raise NUM
    return math.log(num / den) / math.log1p(rate)


@function("NPER", "number, number, number, number?, number?", category=CAT,
          vector=lambda r, p, pv, fv=0.0, t=0.0: _nper_vec(r, p, pv, fv, t))
def NPER(rate, pmt, pv, fv=0.0, type_=0.0):
    """Number of periods of an investment with constant payments."""
    return _nper(rate, pmt, pv, fv, _when(type_))


@function("IPMT", "number, number, number, number, number?, number?", category=CAT,
          vector=lambda r, per, n, pv, fv=0.0, t=0.0: _ipmt_vec(r, per, n, pv, fv, t))
def IPMT(rate, per, nper, pv, fv=0.0, type_=0.0):
    """Interest part of the payment of period ``per``."""
    return _ipmt(rate, per, nper, pv, fv, _when(type_))


@function("PPMT", "number, number, number, number, number?, number?", category=CAT,
          vector=lambda r, per, n, pv, fv=0.0, t=0.0: _ppmt_vec(r, per, n, pv, fv, t))
def PPMT(rate, per, nper, pv, fv=0.0, type_=0.0):
    """Principal part of the payment of period ``per``."""
    t = _when(type_)
    ipmt = _ipmt(rate, per, nper, pv, fv, t)
    return _pmt(rate, nper, pv, fv, t) - ipmt


def _cum_args(rate, nper, pv, start, end, type_):
    # nper, start, end are used as whole numbers; type must be exactly 0 or 1
    if type_ not in (0, 1):
        raise NUM
    start, end = math.ceil(start), math.floor(end)
    if rate <= 0 or nper <= 0 or pv <= 0 or start < 1 or end < start or end > nper:
        raise NUM
    return start, end, int(type_)


@function("CUMIPMT", "any, any, any, any, any, any", category=CAT)
@atp_numbers
def CUMIPMT(rate, nper, pv, start, end, type_):
    """Cumulative interest paid between two periods (inclusive)."""
    start, end, t = _cum_args(rate, nper, pv, start, end, type_)
    return math.fsum(_ipmt(rate, p, nper, pv, 0.0, t) for p in range(start, end + 1))


@function("CUMPRINC", "any, any, any, any, any, any", category=CAT)
@atp_numbers
def CUMPRINC(rate, nper, pv, start, end, type_):
    """Cumulative principal paid between two periods (inclusive)."""
    start, end, t = _cum_args(rate, nper, pv, start, end, type_)
    pmt = _pmt(rate, nper, pv, 0.0, t)
    return math.fsum(pmt - _ipmt(rate, p, nper, pv, 0.0, t) for p in range(start, end + 1))


@function("ISPMT", "number, number, number, number", category=CAT)
def ISPMT(rate, per, nper, pv):
    """Interest of period ``per`` of a loan with even principal payments."""
    return pv * rate * (per / nper - 1.0)


# --- NumPy versions for scenario vectors (errors become #NUM!) ---------------------

def _type_vec(t):
    return np.where(np.asarray(t) != 0, 1.0, 0.0)


def _fv_vec(rate, nper, pmt, pv, t):
    rate, nper, pmt, pv, t = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64)
                                                    for x in (rate, nper, pmt, pv, t)))
    t = _type_vec(t)
    g = np.power(1.0 + rate, nper)
    safe = np.where(rate == 0, 1.0, rate)
    out = -(pv * g + pmt * (1.0 + rate * t) * (g - 1.0) / safe)
    return np.where(rate == 0, -(pv + pmt * nper), out)


def _pv_vec(rate, nper, pmt, fv, t):
    rate, nper, pmt, fv, t = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64)
                                                    for x in (rate, nper, pmt, fv, t)))
    t = _type_vec(t)
    g = np.power(1.0 + rate, nper)
    safe = np.where(rate == 0, 1.0, rate)
    out = -(fv + pmt * (1.0 + rate * t) * (g - 1.0) / safe) / g
    return np.where(rate == 0, -(fv + pmt * nper), out)


def _pmt_vec(rate, nper, pv, fv, t):
    rate, nper, pv, fv, t = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64)
                                                   for x in (rate, nper, pv, fv, t)))
    t = _type_vec(t)
    g = np.power(1.0 + rate, nper)
    flat = (rate == 0) | ((g == 1.0) & (rate > -1))
    out = -rate * (fv + pv * g) / ((1.0 + rate * t) * np.where(flat, 1.0, g - 1.0))
    out = np.where(flat, -(pv + fv) / nper, out)
    return np.where((nper == 0) | (rate <= -1), np.nan, out)


def _nper_vec(rate, pmt, pv, fv, t):
    rate, pmt, pv, fv, t = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64)
                                                  for x in (rate, pmt, pv, fv, t)))
    t = _type_vec(t)
    a = pmt * (1.0 + rate * t)
    x = (a - fv * rate) / (a + pv * rate)
    out = np.log(np.where(x > 0, x, np.nan)) / np.log1p(np.where(rate > -1, rate, np.nan))
    flat = np.where(pmt == 0, np.nan, -(pv + fv) / np.where(pmt == 0, 1.0, pmt))
    return np.where(rate == 0, flat, out)


def _ipmt_vec(rate, per, nper, pv, fv, t):
    rate, per, nper, pv, fv, t = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64)
                                                        for x in (rate, per, nper, pv, fv, t)))
    t = _type_vec(t)
    pmt = _pmt_vec(rate, nper, pv, fv, t)
    end = _fv_vec(rate, per - 1, pmt, pv, 0.0) * rate
    start = (_fv_vec(rate, per - 2, pmt, pv, 1.0) - pmt) * rate
    out = np.where(t == 1, np.where(per == 1, 0.0, start), end)
    return np.where((per < 1) | (per >= nper + 1) | np.isnan(pmt), np.nan, out)


def _ppmt_vec(rate, per, nper, pv, fv, t):
    return _pmt_vec(rate, nper, pv, fv, t) - _ipmt_vec(rate, per, nper, pv, fv, t)


# --- RATE ---------------------------------------------------------------------------

def _annuity_eq(rate: float, nper: float, pmt: float, pv: float, fv: float, t: int):
    """The annuity equation f(rate) = 0 solved by RATE, and its derivative."""
    if abs(rate) < 1e-10:
        # first-order expansion around 0 keeps the iteration smooth there
        f = pv + pmt * nper + fv + rate * (pv * nper + pmt * (nper * (nper - 1) / 2 + t * nper))
        d = pv * nper + pmt * (nper * (nper - 1) / 2 + t * nper)
        return f, d
    g = math.pow(1.0 + rate, nper)
    gd = nper * math.pow(1.0 + rate, nper - 1.0)
    a = (g - 1.0) / rate
    ad = (gd * rate - (g - 1.0)) / (rate * rate)
    f = pv * g + pmt * (1.0 + rate * t) * a + fv
    d = pv * gd + pmt * (t * a + (1.0 + rate * t) * ad)
    return f, d


@function("RATE", "number, number, number, number?, number?, number?", category=CAT)
def RATE(nper, pmt, pv, fv=0.0, type_=0.0, guess=0.1):
    """Interest rate per period of an annuity, by Newton's method from
    ``guess``.  Like Excel there is no fallback search: where Newton does not
    converge, or wanders to a rate <= -1, the result is #NUM! even if a root
    exists elsewhere."""
    t = _when(type_)
    if nper <= 0:
        raise NUM

    def f(r):
        try:
            return _annuity_eq(r, nper, pmt, pv, fv, t)
        except (OverflowError, ValueError, ZeroDivisionError):
            return math.nan, math.nan

    r = _newton(f, guess, lo=-1.0, max_iter=100, tol=1e-7)
    if r is None:
        raise NUM
    return r


# --- root finding shared by RATE, IRR and XIRR --------------------------------------

def _newton(f, x0: float, lo: float, max_iter: int = 100, tol: float = 1e-10) -> float | None:
    """Newton's method from Excel's guess.  Converged once a step is below
    ``tol`` (Excel's criterion, which decides between a result and #NUM!),
    then polished to full precision.  None when an iterate leaves the domain
    (rates must stay above ``lo``), the derivative vanishes or it does not
    converge in ``max_iter`` steps."""
    x = x0
    for _ in range(max_iter):
        fx, dx = f(x)
        if not (math.isfinite(fx) and math.isfinite(dx)):
            return None
        if fx == 0:
            return x
        if dx == 0:
            return None
        nx = x - fx / dx
        if not math.isfinite(nx) or nx <= lo:
            return None
        if abs(nx - x) < tol:
            return _polish(f, nx, lo)
        x = nx
    return None


def _polish(f, x: float, lo: float) -> float:
    """A few more Newton steps, stopping when they no longer improve."""
    for _ in range(8):
        fx, dx = f(x)
        if not (math.isfinite(fx) and math.isfinite(dx)) or dx == 0 or fx == 0:
            break
        nx = x - fx / dx
        if not math.isfinite(nx) or nx <= lo:
            break
        fn = f(nx)[0]
        if not math.isfinite(fn) or abs(fn) > abs(fx):
            break
        if nx == x:
            break
        x = nx
    return x


def _rate_grid(lo: float) -> list[float]:
    """Candidate rates from just above ``lo`` (= -1) to very large ones:
    dense near -1 and in the usual range, logarithmic beyond."""
    pts = [lo + 10.0 ** float(k) for k in np.linspace(-6, 0, 121)]   # -0.999999 .. 0
    pts += [float(x) for x in np.linspace(-0.5, 1.0, 151)]
    pts += [10.0 ** float(k) for k in np.linspace(-4, 7, 221)]        # 1e-4 .. 1e7
    return sorted(set(pts))


def _bracket_root(fn, guess: float, lo: float) -> float | None:
    """Fallback for when Newton fails: bracket every sign change on a grid
    and refine the one whose root lies nearest the guess."""
    grid = _rate_grid(lo)
    vals = []
    for x in grid:
        try:
            v = fn(x)
        except (OverflowError, ValueError, ZeroDivisionError):
            v = math.nan
        vals.append(v)
    best = None
    for (a, fa), (b, fb) in zip(zip(grid, vals), zip(grid[1:], vals[1:])):
        if not (math.isfinite(fa) and math.isfinite(fb)):
            continue
        if fa == 0:
            root = a
        elif (fa < 0) != (fb < 0):
            root = _bisect(fn, a, b, fa)
        else:
            continue
        if root is not None and (best is None or abs(root - guess) < abs(best - guess)):
            best = root
    return best


def _bisect(fn, a: float, b: float, fa: float) -> float | None:
    """Brent's method (bisection + secant) to full precision."""
    try:
        return brentq(fn, a, b, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)
    except (ValueError, RuntimeError):
        return None


# --- cash flows -----------------------------------------------------------------------

@function("NPV", "number, raw+", category=CAT)
def NPV(rate, *values):
    """Net present value of periodic cash flows, the first one period from now."""
    flows = helpers.numbers(values)
    if rate == -1:
        raise DIV0
    total = 0.0
    f = 1.0
    for v in flows:
        f *= (1.0 + rate)
        total += v / f
    return total


def _npv0(rate: float, flows: list[float]):
    """Value at t=0 of flows at t=0,1,2... and its derivative in rate."""
    d = 1.0 / (1.0 + rate)
    f = 0.0
    df = 0.0
    x = 1.0
    for i, v in enumerate(flows):
        f += v * x
        df -= i * v * x * d
        x *= d
    return f, df


def _has_both_signs(flows: list[float]) -> bool:
    return any(v > 0 for v in flows) and any(v < 0 for v in flows)


@function("IRR", "raw, number?", category=CAT)
def IRR(values, guess=0.1):
    """Internal rate of return of periodic cash flows (text and logical
    values in ranges are skipped)."""
    flows = helpers.numbers([values])
    if guess <= -1:
        raise VALUE
    if not _has_both_signs(flows):
        raise NUM

    def f(r):
        try:
            return _npv0(r, flows)
        except (OverflowError, ZeroDivisionError):
            return math.nan, math.nan

    r = _newton(f, guess, lo=-1.0)
    if r is None:
        r = _bracket_root(lambda x: f(x)[0], guess, lo=-1.0)
    if r is None:
        raise NUM
    return r


def _xflows(values, dates, *, for_xirr: bool):
    """Cash flows and day offsets of XNPV/XIRR.  Errors propagate; a value
    that is not a number is #VALUE! for XIRR and #NUM! for XNPV (XIRR takes a
    blank as 0); dates are truncated and must not precede the first one."""
    vals, days = [], []
    for v, from_range in helpers.iter_arg(values):
        if isinstance(v, XLError):
            raise v
        if isinstance(v, float) and not isinstance(v, bool):
            vals.append(v)
        elif v is BLANK and for_xirr:
            vals.append(0.0)
        elif not from_range and isinstance(v, (str, bool)):
            vals.append(coerce.to_number(v))
        else:
            raise VALUE if for_xirr else NUM
    for v, from_range in helpers.iter_arg(dates):
        if isinstance(v, XLError):
            raise v
        if isinstance(v, float) and not isinstance(v, bool):
            days.append(v)
        elif not from_range and isinstance(v, str):
            days.append(coerce.to_number(v))
        else:
            raise VALUE
    if len(vals) != len(days) or not vals:
        raise NUM
    days = [math.floor(d) for d in days]
    if any(d < 0 for d in days) or any(d < days[0] for d in days):
        raise NUM
    return vals, [(d - days[0]) / 365.0 for d in days]


def _xnpv(rate: float, vals: list[float], years: list[float]):
    base = 1.0 + rate
    f = 0.0
    df = 0.0
    for v, y in zip(vals, years):
        p = math.pow(base, -y)
        f += v * p
        df -= y * v * p / base
    return f, df


@function("XNPV", "any, raw, raw", category=CAT)
@atp_numbers(count=1)
def XNPV(rate, values, dates):
    """Net present value of cash flows at given dates (actual/365)."""
    vals, years = _xflows(values, dates, for_xirr=False)
    if rate <= 0:
        raise NUM  # Excel's XNPV takes positive rates only
    return _xnpv(rate, vals, years)[0]


@function("XIRR", "raw, raw, any?", category=CAT)
def XIRR(values, dates, guess=0.1):
    """Internal rate of return of cash flows at given dates."""
    guess = strict_number(guess)
    vals, years = _xflows(values, dates, for_xirr=True)
    if not _has_both_signs(vals):
        raise NUM
    if guess <= -1:
        raise NUM

    def f(r):
        try:
            return _xnpv(r, vals, years)
        except (OverflowError, ZeroDivisionError, ValueError):
            return math.nan, math.nan

    r = _newton(f, guess, lo=-1.0)
    if r is None:
        r = _bracket_root(lambda x: f(x)[0], guess, lo=-1.0)
    if r is None:
        raise NUM
    return r


@function("MIRR", "raw, number, number", category=CAT)
def MIRR(values, finance_rate, reinvest_rate):
    """Modified IRR: outflows financed at finance_rate, inflows reinvested
    at reinvest_rate."""
    flows = helpers.numbers([values])
    n = len(flows)
    pv_neg = 0.0
    fv_pos = 0.0
    for i, v in enumerate(flows):
        if v < 0:
            pv_neg += v / _pow(1.0 + finance_rate, i)
        elif v > 0:
            fv_pos += v * _pow(1.0 + reinvest_rate, n - 1 - i)
    if pv_neg == 0 or n < 2:
        raise DIV0
    return _pow(fv_pos / -pv_neg, 1.0 / (n - 1)) - 1.0


@function("FVSCHEDULE", "any, raw", category=CAT)
@atp_numbers(count=1)
def FVSCHEDULE(principal, schedule):
    """Future value of a principal after a series of compound rates."""
    out = principal
    for v, from_range in helpers.iter_arg(schedule):
        if isinstance(v, XLError):
            raise v
        if v is BLANK:
            continue
        if isinstance(v, bool) or isinstance(v, str):
            if from_range:
                raise VALUE
            v = coerce.to_number(v)
        out *= 1.0 + v
    return out


# --- rates --------------------------------------------------------------------------

@function("RRI", "number, number, number", category=CAT)
def RRI(nper, pv, fv):
    """Equivalent interest rate for the growth of an investment."""
    if nper <= 0 or pv == 0:
        raise NUM
    return _pow(fv / pv, 1.0 / nper) - 1.0


@function("PDURATION", "number, number, number", category=CAT)
def PDURATION(rate, pv, fv):
    """Periods needed for an investment to reach a value."""
    if rate <= 0 or pv <= 0 or fv <= 0:
        raise NUM
    return (math.log(fv) - math.log(pv)) / math.log(1.0 + rate)


@function("EFFECT", "any, any", category=CAT)
@atp_numbers
def EFFECT(nominal_rate, npery):
    """Effective annual rate from a nominal rate compounded npery times."""
    n = math.trunc(npery)
    if nominal_rate <= 0 or n < 1:
        raise NUM
    return math.pow(1.0 + nominal_rate / n, n) - 1.0


@function("NOMINAL", "any, any", category=CAT)
@atp_numbers
def NOMINAL(effect_rate, npery):
    """Nominal annual rate from an effective rate."""
    n = math.trunc(npery)
    if effect_rate <= 0 or n < 1:
        raise NUM
    return (math.pow(effect_rate + 1.0, 1.0 / n) - 1.0) * n


# --- depreciation -------------------------------------------------------------------

@function("SLN", "number, number, number", category=CAT)
def SLN(cost, salvage, life):
    """Straight-line depreciation for one period."""
    return (cost - salvage) / life


@function("SYD", "number, number, number, number", category=CAT)
def SYD(cost, salvage, life, per):
    """Sum-of-years'-digits depreciation for period ``per``."""
    if life <= 0 or per <= 0 or per > life:
        raise NUM
    return (cost - salvage) * (life - per + 1.0) * 2.0 / (life * (life + 1.0))


@function("DB", "number, number, number, number, number?", category=CAT)
def DB(cost, salvage, life, period, month=12.0):
    """Fixed-declining-balance depreciation (rate rounded to 3 decimals)."""
    month = math.trunc(month)
    period = math.trunc(period)
    if cost < 0 or salvage < 0 or life <= 0 or period <= 0 or month < 1 or month > 12:
        raise NUM
    if period > life + 1 or (month == 12 and period > life):
        raise NUM
    if cost == 0:
        return 0.0
    rate = _excel_round(1.0 - math.pow(salvage / cost, 1.0 / life), 3)
    first = cost * rate * month / 12.0
    if period == 1:
        return first
    if period > 10000:
        # far into the schedule: closed form of the balance recursion below
        left = (cost - first) * math.pow(1.0 - rate, period - 2)
        return left * rate * ((12 - month) / 12.0 if period == life + 1 else 1.0)
    total = dep = first
    for p in range(2, period + 1):
        if p == life + 1:
            dep = (cost - total) * rate * (12 - month) / 12.0
        else:
            dep = (cost - total) * rate
        total += dep
    return dep


def _ddb(cost: float, salvage: float, life: float, period: float, factor: float) -> float:
    """Double-declining balance in closed form (valid for fractional periods)."""
    rate = factor / life
    if rate >= 1.0:
        rate = 1.0
        before = cost if period == 1 else 0.0
    else:
        before = cost * math.pow(1.0 - rate, period - 1.0)
    after = cost * math.pow(1.0 - rate, period)
    dep = before - salvage if after < salvage else before - after
    return max(dep, 0.0)


@function("DDB", "number, number, number, number, number?", category=CAT)
def DDB(cost, salvage, life, period, factor=2.0):
    """Double-declining-balance (or ``factor``) depreciation for a period."""
    if cost < 0 or salvage < 0 or life <= 0 or period <= 0 or factor <= 0 or period > life:
        raise NUM
    return _ddb(cost, salvage, life, period, factor)


@function("VDB", "number, number, number, number, number, number?, bool?", category=CAT)
def VDB(cost, salvage, life, start, end, factor=2.0, no_switch=False):
    """Declining-balance depreciation between two (possibly fractional)
    periods, switching to straight line when that is larger (unless
    no_switch)."""
    if (cost < 0 or salvage < 0 or life <= 0 or start < 0 or end < start or end > life
            or factor < 0):
        raise NUM
    rate = factor / life
    # Excel steps through whole periods laid on a grid passing through
    # ``start`` (so a first partial period [0, frac(start)] when start is
    # fractional); a period's amount is rate * book value, or the straight
    # line over the remaining life when that is larger, pro rata for the
    # parts of periods inside [start, end].
    lead = start - math.floor(start)
    book = cost
    total = 0.0
    a = 0.0
    while a < end:
        b = lead if (a == 0 and lead > 0) else a + 1.0
        amount = min(book * rate, max(book - salvage, 0.0))
        if not no_switch:
            sl = (book - salvage) / (life - a)
            if sl > amount:
                amount = sl
        if amount <= 0 and a >= start:
            break  # fully depreciated: later periods add nothing
        lo, hi = max(a, start), min(b, end)
        if hi > lo:
            total += amount * (hi - lo)
        book -= amount * (b - a)
        a = b
    return total


# --- French depreciation (AMORLINC, AMORDEGRC) --------------------------------------

def _amor_args(cost, purchased, first, salvage, period, rate, basis):
    from .securities import year_frac
    basis = math.trunc(basis)
    # the French functions know bases 0, 1, 3 and 4 only
    if (cost < 0 or salvage < 0 or salvage > cost or period < 0 or rate <= 0
            or basis not in (0, 1, 3, 4) or first < purchased or purchased < 0):
        raise NUM
    return year_frac(math.floor(purchased), math.floor(first), basis), math.trunc(period), basis


@function("AMORLINC", "any, any, any, any, any, any, any?", category=CAT)
@atp_numbers
def AMORLINC(cost, date_purchased, first_period, salvage, period, rate, basis=0.0):
    """French linear depreciation, the first period pro rata temporis."""
    frac, period, basis = _amor_args(cost, date_purchased, first_period, salvage, period, rate, basis)
    one = cost * rate
    first = frac * rate * cost
    if period == 0:
        return min(first, cost - salvage)
    full = math.floor((cost - salvage - first) / one) if one else 0
    if period <= full:
        return one
    if period == full + 1:
        return max(cost - salvage - one * full - first, 0.0)
    return 0.0


@function("AMORDEGRC", "any, any, any, any, any, any, any?", category=CAT)
@atp_numbers
def AMORDEGRC(cost, date_purchased, first_period, salvage, period, rate, basis=0.0):
    """French degressive depreciation with the asset-life coefficient."""
    frac, period, basis = _amor_args(cost, date_purchased, first_period, salvage, period, rate, basis)
    life = 1.0 / rate
    if 0 < life < 3 and life not in (1.0, 2.0) or 4 < life < 5:
        raise NUM  # Excel: no coefficient for these asset lives
    if life < 3:
        coeff = 1.0
    elif life < 5:
        coeff = 1.5
    elif life <= 6:
        coeff = 2.0
    else:
        coeff = 2.5
    rate *= coeff
    dep = _round_half_up(frac * rate * cost)
    cost -= dep
    rest = cost - salvage
    for n in range(period):
        dep = _round_half_up(rate * cost)
        if dep == 0:
            return 0.0  # nothing left to depreciate in this or later periods
        rest -= dep
        if rest < 0:
            # the last two periods share what is left
            if period - n in (0, 1):
                return _round_half_up(cost * 0.5)
            return 0.0
        cost -= dep
    return dep


def _round_half_up(x: float) -> float:
    return _excel_round(x, 0)


def _excel_round(x: float, digits: int) -> float:
    """ROUND as Excel does it: halves away from zero, on the decimal value
    shown to 15 significant digits."""
    d = Decimal(repr(x)) if abs(x) < 1e15 else Decimal(x)
    d = Decimal(f"{d:.15g}") if d else d
    return float(d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


# --- fractional dollar prices ---------------------------------------------------------

def _fraction_scale(fraction: float) -> tuple[int, float]:
    f = math.trunc(fraction)
    if f < 0:
        raise NUM
    if f == 0:
        raise DIV0
    return f, 10.0 ** math.ceil(math.log10(f))


@function("DOLLARDE", "any, any", category=CAT)
@atp_numbers
def DOLLARDE(fractional_dollar, fraction):
    """A price written as integer part and fraction (1.02 = 1 2/16) as a decimal."""
    f, scale = _fraction_scale(fraction)
    whole = math.trunc(fractional_dollar)
    return whole + (fractional_dollar - whole) * scale / f


@function("DOLLARFR", "any, any", category=CAT)
@atp_numbers
def DOLLARFR(decimal_dollar, fraction):
    """A decimal price written as integer part and fraction."""
    f, scale = _fraction_scale(fraction)
    whole = math.trunc(decimal_dollar)
    return whole + (decimal_dollar - whole) * f / scale
