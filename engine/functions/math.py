"""Math & trigonometry functions: sums and products, rounding, the
CEILING/FLOOR family, powers and logarithms, trigonometry, combinatorics,
number systems (ROMAN, BASE...), matrices, SUBTOTAL and AGGREGATE.

Excel details worth knowing here:

* Excel keeps 15 significant digits: ROUND/ROUNDUP/ROUNDDOWN/TRUNC work on
  the number's 15-digit decimal form (ROUND(2.675, 2) = 2.68), and the
  quotient in FLOOR/CEILING/MROUND is taken to 15 digits before it is made
  an integer (FLOOR(7.1, 0.1) = 7.1).
* The old Analysis ToolPak functions (QUOTIENT, MROUND, GCD, LCM,
  MULTINOMIAL, SERIESSUM, SQRTPI, FACTDOUBLE) refuse booleans with #VALUE!
  and an omitted argument with #N/A.
"""
from __future__ import annotations

import math
import random
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Context, Decimal
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from ..eval.refs import LambdaValue, MultiRef, RangeRef
from ..eval.vector import Vec
from ..parser import ast as A
from ..values import BLANK, DIV0, MISSING, NA, NUM, VALUE, Array, XLError
from . import coerce, helpers
from .registry import function

CAT = "math"
TWO53 = 2.0 ** 53
TRIG_LIMIT = 2.0 ** 27          # SIN/COS/TAN... give #NUM! from this magnitude on
MAX_CELLS = 1_048_576 * 16


# --- shared helpers ---------------------------------------------------------------

def _atp_number(v: Any) -> float:
    """An Analysis ToolPak argument: no booleans, no omitted arguments."""
    if v is MISSING:
        raise NA
    if isinstance(v, bool):
        raise VALUE
    return coerce.to_number(v)


def _digits15(x: float) -> Decimal:
    """The number as Excel holds it: 15 significant decimal digits."""
    return Decimal(f"{x:.14e}")


def _q15(x: float) -> float:
    """A quotient taken to 15 significant digits, so that 7.1/0.1 is 71."""
    if not math.isfinite(x):
        return x
    return float(f"{x:.14e}")


_DEC = Context(prec=800, Emin=-99999, Emax=99999)


def _round_decimal(x: float, digits: int, mode: str) -> float:
    """ROUND/ROUNDUP/ROUNDDOWN on the 15-digit decimal form of ``x``."""
    if x == 0 or not math.isfinite(x):
        return x
    digits = max(-400, min(400, int(digits)))
    d = _digits15(x)
    if d.as_tuple().exponent >= -digits:
        return float(d) or 0.0
    q = d.quantize(Decimal((0, (1,), -digits)), rounding=mode, context=_DEC)
    return float(q) or 0.0


def _sum(xs) -> float:
    # Excel adds left to right in double precision
    s = 0.0
    for x in xs:
        s += x
    return s


def _np(*xs):
    return [np.asarray(x, dtype=np.float64) for x in xs]


# --- aggregates -------------------------------------------------------------------

def _block_sum(*mats):
    return sum(m.sum(axis=0) for m in mats)


@function("SUM", "raw+", category=CAT, block=_block_sum)
def SUM(*args):
    """Adds its arguments."""
    return _sum(helpers.numbers(args))


def _block_product(*mats):
    n = sum(m.shape[0] for m in mats)
    if n == 0:
        return 0.0
    out = 1.0
    for m in mats:
        out = out * m.prod(axis=0)
    return out


@function("PRODUCT", "raw+", category=CAT, block=_block_product)
def PRODUCT(*args):
    """Multiplies its arguments (0 when there is no number at all)."""
    xs = helpers.numbers(args)
    if not xs:
        return 0.0
    p = 1.0
    for x in xs:
        p *= x
    return p


def _block_sumsq(*mats):
    return sum((m * m).sum(axis=0) for m in mats)


@function("SUMSQ", "raw+", category=CAT, block=_block_sumsq)
def SUMSQ(*args):
    """Sum of the squares of the arguments."""
    return _sum(x * x for x in helpers.numbers(args))


@function("SUMPRODUCT", "array+", category=CAT)
def SUMPRODUCT(*arrays):
    """Sum of the products of corresponding entries; non-numbers count as 0."""
    shape = arrays[0].shape
    for a in arrays:
        if a.shape != shape:
            raise VALUE
    for a in arrays:
        e = helpers.first_error(a)
        if e is not None:
            raise e
    flats = [list(a) for a in arrays]
    total = 0.0
    for i in range(len(flats[0])):
        p = 1.0
        for f in flats:
            v = f[i]
            p *= v if (isinstance(v, float) and not isinstance(v, bool)) else 0.0
        total += p
    return total


def _pairs(xs: Array, ys: Array) -> list[tuple[float, float]]:
    """SUMX2MY2 & co: entries paired in row-major order; pairs with a
    non-number on either side are skipped."""
    a, b = list(xs), list(ys)
    if len(a) != len(b):
        raise NA
    for v in a + b:
        if isinstance(v, XLError):
            raise v
    return [(x, y) for x, y in zip(a, b)
            if isinstance(x, float) and not isinstance(x, bool) and isinstance(y, float) and not isinstance(y, bool)]


@function("SUMX2MY2", "array, array", category=CAT)
def SUMX2MY2(xs, ys):
    """Sum of x^2 - y^2."""
    return _sum(x * x - y * y for x, y in _pairs(xs, ys))


@function("SUMX2PY2", "array, array", category=CAT)
def SUMX2PY2(xs, ys):
    """Sum of x^2 + y^2."""
    return _sum(x * x + y * y for x, y in _pairs(xs, ys))


@function("SUMXMY2", "array, array", category=CAT)
def SUMXMY2(xs, ys):
    """Sum of (x - y)^2."""
    return _sum((x - y) ** 2 for x, y in _pairs(xs, ys))


def _range_values(ref: Any) -> Array:
    if isinstance(ref, RangeRef):
        return ref.to_array()
    raise VALUE


class _PerScenario(Exception):
    """Raised when per-scenario values need the scenario-by-scenario path."""


def _has_vec(arr: Array) -> bool:
    return any(isinstance(v, Vec) for v in arr)


def _sum_matching(values: Array, mask: list[list[bool]]) -> Any:
    """Sum of the numbers at the masked cells; a matched error propagates.
    Cells holding per-scenario numbers add up to a per-scenario total."""
    total: Any = 0.0
    for r, row in enumerate(values.data):
        for c, v in enumerate(row):
            if not mask[r][c]:
                continue
            if isinstance(v, XLError):
                raise v
            if isinstance(v, float) and not isinstance(v, bool):
                total = total + v
            elif isinstance(v, Vec):
                if v.data.dtype != np.float64:
                    raise _PerScenario
                total = total + v.data
    return Vec(total) if isinstance(total, np.ndarray) else total


def _conditional_sum(ctx, target: Array, conditions: list[tuple[Array, Any]]) -> Any:
    """SUMIF/SUMIFS: the mask from (values, criteria) pairs, then the sum.
    In a simulation, ranges holding per-scenario values are handled by one
    NumPy sum when only the summed cells vary, scenario by scenario otherwise."""
    preds = [(vals, helpers.make_criteria(crit)) for vals, crit in conditions]

    def compute(tgt: Array, crit_arrays: list[Array]) -> Any:
        mask = [[True] * tgt.cols for _ in range(tgt.rows)]
        for vals, (_, pred) in zip(crit_arrays, preds):
            for r, row in enumerate(vals.data):
                m = mask[r]
                for c, v in enumerate(row):
                    if m[c] and not pred(v):
                        m[c] = False
        return _sum_matching(tgt, mask)

    crit_arrays = [vals for vals, _ in preds]
    if ctx.n_scenarios <= 1 or not (_has_vec(target) or any(_has_vec(a) for a in crit_arrays)):
        return compute(target, crit_arrays)
    if not any(_has_vec(a) for a in crit_arrays):
        try:
            return compute(target, crit_arrays)
        except _PerScenario:
            pass
    from ..eval.vector import from_values
    out = []
    for i in range(ctx.n_scenarios):
        def proj(a: Array) -> Array:
            return a.map(lambda v: v.item(i) if isinstance(v, Vec) else v)
        try:
            out.append(compute(proj(target), [proj(a) for a in crit_arrays]))
        except XLError as e:
            out.append(e)
    return from_values(out)


@function("SUMIF", "ref, anyerr, ref?", category=CAT, context=True)
def SUMIF(ctx, rng, criteria, sum_range=None):
    """Adds the cells of sum_range whose partner in range meets the criteria."""
    crit_vals = _range_values(rng)
    if sum_range is None:
        target = crit_vals
    else:
        if not isinstance(sum_range, RangeRef):
            raise VALUE
        # sum_range takes the shape of range, from its own top-left cell
        target = sum_range.offset(0, 0, rng.rows, rng.cols).to_array()
    return _conditional_sum(ctx, target, [(crit_vals, criteria)])


@function("SUMIFS", "ref, ref+, anyerr+", category=CAT, context=True)
def SUMIFS(ctx, sum_range, *pairs):
    """Adds the cells of sum_range meeting every (range, criteria) pair."""
    if len(pairs) % 2:
        raise VALUE
    target = _range_values(sum_range)
    conditions = []
    for i in range(0, len(pairs), 2):
        vals = _range_values(pairs[i])
        if vals.shape != target.shape:
            raise VALUE
        conditions.append((vals, pairs[i + 1]))
    return _conditional_sum(ctx, target, conditions)


# --- sign, integer parts and rounding ----------------------------------------------

@function("ABS", "number", category=CAT, vector=np.abs)
def ABS(x):
    """Absolute value."""
    return abs(x)


@function("SIGN", "number", category=CAT, vector=np.sign)
def SIGN(x):
    """-1, 0 or 1."""
    return (x > 0) - (x < 0)


@function("INT", "number", category=CAT, vector=np.floor)
def INT(x):
    """Rounds down to the nearest integer."""
    return float(math.floor(x)) if math.isfinite(x) else x


def _vec_round(kind: str) -> Callable:
    """NumPy ROUND/ROUNDUP/ROUNDDOWN; declines (None) when some scenario sits
    so close to a rounding boundary that the 15-digit rule could matter."""
    def vec(x, digits=0.0):
        x, d = _np(x, digits)
        d = np.trunc(d)
        if np.any(np.abs(d) > 15):
            return None
        scale = 10.0 ** np.abs(d)
        y = np.where(d >= 0, x * scale, x / scale)
        ay = np.abs(y)
        if np.any(ay >= 1e14):
            return None
        frac = ay - np.floor(ay)
        edge = 0.5 if kind == "round" else 0.0
        if np.any(np.abs(frac - edge) < 1e-6) or (kind != "round" and np.any(np.abs(frac - 1.0) < 1e-6)):
            return None
        if kind == "round":
            k = np.floor(ay + 0.5)
        elif kind == "up":
            k = np.ceil(ay)
        else:
            k = np.floor(ay)
        k = np.copysign(k, y)
        return np.where(d >= 0, k / scale, k * scale) + 0.0
    return vec


@function("ROUND", "number, int", category=CAT, vector=_vec_round("round"))
def ROUND(x, digits):
    """Rounds half away from zero to a number of digits."""
    return _round_decimal(x, digits, ROUND_HALF_UP)


@function("ROUNDUP", "number, int", category=CAT, vector=_vec_round("up"))
def ROUNDUP(x, digits):
    """Rounds away from zero."""
    return _round_decimal(x, digits, ROUND_UP)


@function("ROUNDDOWN", "number, int", category=CAT, vector=_vec_round("down"))
def ROUNDDOWN(x, digits):
    """Rounds toward zero."""
    return _round_decimal(x, digits, ROUND_DOWN)


@function("TRUNC", "number, int?", category=CAT, vector=_vec_round("down"))
def TRUNC(x, digits=0):
    """Truncates to a number of digits."""
    return _round_decimal(x, digits, ROUND_DOWN)


@function("MROUND", "any, any", category=CAT)
def MROUND(x, multiple):
    """Rounds to the nearest multiple (half away from zero)."""
    x, m = _atp_number(x), _atp_number(multiple)
    if m == 0 or x == 0:
        return 0.0
    if (x > 0) != (m > 0):
        raise NUM
    q = _q15(x / m)
    return math.floor(q + 0.5) * m


def _floor_q(x: float, s: float) -> float:
    return math.floor(_q15(x / s)) * s


def _ceil_q(x: float, s: float) -> float:
    return math.ceil(_q15(x / s)) * s


@function("FLOOR", "number, number", category=CAT)
def FLOOR(x, s):
    """Rounds toward -infinity to a multiple (toward zero when both are negative)."""
    if s == 0:
        if x == 0:
            return 0.0
        raise DIV0
    if x > 0 and s < 0:
        raise NUM
    return _floor_q(x, s)


@function("CEILING", "number, number", category=CAT)
def CEILING(x, s):
    """Rounds toward +infinity to a multiple (away from zero when both are negative)."""
    if s == 0:
        return 0.0
    if x > 0 and s < 0:
        raise NUM
    return _ceil_q(x, s)


@function("FLOOR.PRECISE", "number, number?", category=CAT)
def FLOOR_PRECISE(x, s=1.0):
    """Rounds toward -infinity to a multiple of |significance|."""
    if s == 0:
        return 0.0
    return _floor_q(x, abs(s))


@function("CEILING.PRECISE", "number, number?", category=CAT, aliases=("ISO.CEILING",))
def CEILING_PRECISE(x, s=1.0):
    """Rounds toward +infinity to a multiple of |significance|."""
    if s == 0:
        return 0.0
    return _ceil_q(x, abs(s))


@function("FLOOR.MATH", "number, number?, number?", category=CAT)
def FLOOR_MATH(x, s=1.0, mode=0.0):
    """Rounds down; a nonzero mode rounds negative numbers toward zero."""
    if s == 0:
        return 0.0
    s = abs(s)
    if x < 0 and mode != 0:
        return _ceil_q(x, s)
    return _floor_q(x, s)


@function("CEILING.MATH", "number, number?, number?", category=CAT)
def CEILING_MATH(x, s=1.0, mode=0.0):
    """Rounds up; a nonzero mode rounds negative numbers away from zero."""
    if s == 0:
        return 0.0
    s = abs(s)
    if x < 0 and mode != 0:
        return _floor_q(x, s)
    return _ceil_q(x, s)


def _vec_even(x):
    x = np.asarray(x, dtype=np.float64)
    return np.sign(x) * np.ceil(np.abs(x) / 2.0) * 2.0


def _vec_odd(x):
    x = np.asarray(x, dtype=np.float64)
    k = np.ceil(np.abs(x))
    k = np.where(np.mod(k, 2.0) == 0, k + 1.0, k)
    return np.where(x < 0, -k, k)


@function("EVEN", "number", category=CAT, vector=_vec_even)
def EVEN(x):
    """Rounds away from zero to an even integer."""
    k = math.ceil(abs(x) / 2.0) * 2
    return float(k) if x >= 0 else -float(k)


@function("ODD", "number", category=CAT, vector=_vec_odd)
def ODD(x):
    """Rounds away from zero to an odd integer."""
    k = math.ceil(abs(x))
    if k % 2 == 0:
        k += 1
    return float(k) if x >= 0 else -float(k)


def _vec_mod(n, d):
    n, d = _np(n, d)
    if np.any(d == 0):
        return None          # #DIV/0!: the scalar path says so per scenario
    return np.mod(n, d)


@function("MOD", "number, number", category=CAT, vector=_vec_mod)
def MOD(n, d):
    """Remainder with the sign of the divisor."""
    if d == 0:
        raise DIV0
    return n % d


@function("QUOTIENT", "any, any", category=CAT)
def QUOTIENT(n, d):
    """Integer part of a division."""
    n, d = _atp_number(n), _atp_number(d)
    if d == 0:
        raise DIV0
    return float(math.trunc(n / d))


def _int_list(args, *, allow_negative=False) -> list[int]:
    """Arguments of GCD/LCM/MULTINOMIAL as integers.  A reference to an empty
    cell is skipped, empty cells inside ranges count as 0, text converts,
    booleans are #VALUE!, negatives #NUM!, an omitted argument #N/A."""
    out: list[int] = []

    def take(v, skip_blank):
        if isinstance(v, XLError):
            raise v
        if v is BLANK:
            if skip_blank:
                return
            v = 0.0
        if isinstance(v, bool) or isinstance(v, LambdaValue):
            raise VALUE
        x = coerce.to_number(v)
        if x < 0 and not allow_negative:
            raise NUM
        if abs(x) >= TWO53:
            raise NUM
        out.append(math.trunc(x))

    for a in args:
        if a is MISSING:
            raise NA
        if isinstance(a, RangeRef) and a.is_cell:
            take(a.value(), True)
        elif isinstance(a, (RangeRef, MultiRef, Array)):
            for v in helpers.flat_values(a):
                take(v, False)
        else:
            take(a, True)
    return out


@function("GCD", "raw+", category=CAT)
def GCD(*args):
    """Greatest common divisor."""
    xs = _int_list(args)
    if not xs:
        raise VALUE
    g = 0
    for x in xs:
        g = math.gcd(g, x)
    return float(g)


@function("LCM", "raw+", category=CAT)
def LCM(*args):
    """Least common multiple."""
    xs = _int_list(args)
    if not xs:
        raise VALUE
    m = 1
    for x in xs:
        if x == 0:
            return 0.0
        m = m * x // math.gcd(m, x)
    if m > TWO53:
        raise NUM
    return float(m)


# --- powers and logarithms ------------------------------------------------------------

def _power(b: float, e: float) -> float:
    if b == 0:
        if e == 0:
            raise NUM
        if e < 0:
            raise DIV0
        return 0.0
    if b < 0 and not float(e).is_integer():
        # Excel takes odd roots of negative numbers: (-8)^(1/3) = -2
        inv = 1.0 / e
        r = round(inv)
        if abs(inv - r) < 1e-10 and r % 2 == 1:
            return -math.pow(-b, e)
        raise NUM
    return math.pow(b, e)


def _vec_power(b, e):
    b, e = _np(b, e)
    if np.any((b == 0) & (e < 0)) or np.any((b < 0) & (e != np.floor(e))):
        return None
    r = np.power(b, e)
    return np.where((b == 0) & (e == 0), np.nan, r)


@function("POWER", "number, number", category=CAT, vector=_vec_power)
def POWER(b, e):
    """b raised to the power e."""
    return _power(b, e)


@function("SQRT", "number", category=CAT, vector=np.sqrt)
def SQRT(x):
    """Square root."""
    return math.sqrt(x)


@function("SQRTPI", "any", category=CAT)
def SQRTPI(x):
    """Square root of x * pi."""
    x = _atp_number(x)
    return math.sqrt(x * math.pi)


@function("EXP", "number", category=CAT, vector=np.exp)
def EXP(x):
    """e raised to a power."""
    return math.exp(x)


@function("LN", "number", category=CAT, vector=np.log)
def LN(x):
    """Natural logarithm."""
    return math.log(x)


@function("LOG10", "number", category=CAT, vector=np.log10)
def LOG10(x):
    """Base-10 logarithm."""
    return math.log10(x)


@function("LOG", "number, number?", category=CAT)
def LOG(x, base=10.0):
    """Logarithm in a base (10 by default)."""
    if x <= 0 or base <= 0:
        raise NUM
    if base == 1:
        raise DIV0
    if base == 10:
        return math.log10(x)
    return math.log(x) / math.log(base)


@function("PI", "", category=CAT)
def PI():
    """The number pi."""
    return math.pi


# --- trigonometry ----------------------------------------------------------------------

# Excel's SIN/COS/TAN... reduce the argument with pi rounded to a 64-bit
# mantissa (the x87 constant), which shows near multiples of pi/2:
# SIN(PI()) = 1.22515E-16, COT(PI()-1E-12) = -999788629259.2037.
_PI64_HALF = Fraction(0xC90FDAA22168C235, 2 ** 63)


def _sincos(x: float) -> tuple[float, float]:
    if abs(x) >= TRIG_LIMIT:
        raise NUM
    if abs(x) <= 0.78:
        return math.sin(x), math.cos(x)
    fx = Fraction(x)
    k = round(fx / _PI64_HALF)
    r = float(fx - k * _PI64_HALF)
    s, c = math.sin(r), math.cos(r)
    return ((s, c), (c, -s), (-s, -c), (-c, s))[k % 4]


def _vec_trig(f):
    def vec(x):
        x = np.asarray(x, dtype=np.float64)
        return np.where(np.abs(x) >= TRIG_LIMIT, np.nan, f(x))
    return vec


@function("SIN", "number", category=CAT, vector=_vec_trig(np.sin))
def SIN(x):
    """Sine."""
    return _sincos(x)[0]


@function("COS", "number", category=CAT, vector=_vec_trig(np.cos))
def COS(x):
    """Cosine."""
    return _sincos(x)[1]


@function("TAN", "number", category=CAT, vector=_vec_trig(np.tan))
def TAN(x):
    """Tangent."""
    s, c = _sincos(x)
    return s / c


@function("COT", "number", category=CAT)
def COT(x):
    """Cotangent."""
    s, c = _sincos(x)
    if x == 0:
        raise DIV0
    return c / s


@function("CSC", "number", category=CAT)
def CSC(x):
    """Cosecant."""
    s, _ = _sincos(x)
    if x == 0:
        raise DIV0
    return 1.0 / s


@function("SEC", "number", category=CAT)
def SEC(x):
    """Secant."""
    return 1.0 / _sincos(x)[1]


@function("ASIN", "number", category=CAT, vector=np.arcsin)
def ASIN(x):
    """Arcsine."""
    return math.asin(x)


@function("ACOS", "number", category=CAT, vector=np.arccos)
def ACOS(x):
    """Arccosine."""
    return math.acos(x)


@function("ATAN", "number", category=CAT, vector=np.arctan)
def ATAN(x):
    """Arctangent."""
    return math.atan(x)


def _vec_atan2(x, y):
    x, y = _np(x, y)
    if np.any((x == 0) & (y == 0)):
        return None          # #DIV/0!: the scalar path says so per scenario
    return np.arctan2(y, x)


@function("ATAN2", "number, number", category=CAT, vector=_vec_atan2)
def ATAN2(x, y):
    """Angle of the point (x, y)."""
    if x == 0 and y == 0:
        raise DIV0
    return math.atan2(y, x)


@function("ACOT", "number", category=CAT)
def ACOT(x):
    """Arccotangent, in (0, pi)."""
    return math.pi / 2 - math.atan(x)


@function("SINH", "number", category=CAT, vector=np.sinh)
def SINH(x):
    """Hyperbolic sine."""
    return math.sinh(x)


@function("COSH", "number", category=CAT, vector=np.cosh)
def COSH(x):
    """Hyperbolic cosine."""
    return math.cosh(x)


@function("TANH", "number", category=CAT, vector=np.tanh)
def TANH(x):
    """Hyperbolic tangent."""
    return math.tanh(x)


@function("COTH", "number", category=CAT)
def COTH(x):
    """Hyperbolic cotangent."""
    if x == 0:
        raise DIV0
    return 1.0 / math.tanh(x)


@function("CSCH", "number", category=CAT)
def CSCH(x):
    """Hyperbolic cosecant (0 where sinh overflows)."""
    if x == 0:
        raise DIV0
    if abs(x) > 700:
        return 0.0
    return 1.0 / math.sinh(x)


@function("SECH", "number", category=CAT)
def SECH(x):
    """Hyperbolic secant (0 where cosh overflows)."""
    if abs(x) > 700:
        return 0.0
    return 1.0 / math.cosh(x)


@function("ASINH", "number", category=CAT, vector=np.arcsinh)
def ASINH(x):
    """Inverse hyperbolic sine."""
    return math.asinh(x)


@function("ACOSH", "number", category=CAT, vector=np.arccosh)
def ACOSH(x):
    """Inverse hyperbolic cosine."""
    return math.acosh(x)


@function("ATANH", "number", category=CAT)
def ATANH(x):
    """Inverse hyperbolic tangent."""
    return math.atanh(x)


@function("ACOTH", "number", category=CAT)
def ACOTH(x):
    """Inverse hyperbolic cotangent (|x| > 1)."""
    if abs(x) <= 1:
        raise NUM
    return 0.5 * math.log((x + 1) / (x - 1))


@function("DEGREES", "number", category=CAT, vector=lambda x: np.asarray(x) * 180.0 / math.pi)
def DEGREES(x):
    """Radians to degrees."""
    return x * 180.0 / math.pi


@function("RADIANS", "number", category=CAT, vector=lambda x: np.asarray(x) * math.pi / 180.0)
def RADIANS(x):
    """Degrees to radians."""
    return x * math.pi / 180.0


# --- combinatorics ---------------------------------------------------------------------

@function("FACT", "number", category=CAT)
def FACT(x):
    """Factorial of the integer part."""
    if x < 0:
        raise NUM
    n = math.trunc(x)
    if n > 170:
        raise NUM
    return float(math.factorial(n))


@function("FACTDOUBLE", "any", category=CAT)
def FACTDOUBLE(x):
    """Double factorial n!! of the integer part."""
    x = _atp_number(x)
    if x < 0:
        raise NUM
    n = math.trunc(x)
    if n > 400:
        raise NUM
    p = 1
    for k in range(n, 1, -2):
        p *= k
    return float(p)


def _comb(n: int, k: int) -> float:
    # too large for a double: #NUM! without building a huge integer first
    if math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) > 710:
        raise NUM
    return float(math.comb(n, k))


@function("COMBIN", "number, number", category=CAT)
def COMBIN(n, k):
    """Number of combinations without repetition."""
    n, k = math.trunc(n), math.trunc(k)
    if n < 0 or k < 0 or k > n:
        raise NUM
    return _comb(n, k)


@function("COMBINA", "number, number", category=CAT)
def COMBINA(n, k):
    """Number of combinations with repetition."""
    n, k = math.trunc(n), math.trunc(k)
    if n < 0 or k < 0:
        raise NUM
    if k == 0:
        return 1.0
    if n == 0:
        raise NUM
    return _comb(n + k - 1, k)


@function("MULTINOMIAL", "raw+", category=CAT)
def MULTINOMIAL(*args):
    """(a+b+...)! / (a! b! ...)."""
    xs = _int_list(args)
    total = sum(xs)
    if math.lgamma(total + 1) - sum(math.lgamma(x + 1) for x in xs) > 710:
        raise NUM
    num = math.factorial(total)
    for x in xs:
        num //= math.factorial(x)
    return float(num)


@function("SERIESSUM", "any, any, any, array", category=CAT)
def SERIESSUM(x, n, m, coefficients):
    """Sum of a_i * x^(n + i*m)."""
    x, n, m = _atp_number(x), _atp_number(n), _atp_number(m)
    coefs = list(coefficients)
    e = helpers.first_error(coefs)
    if e is not None:
        raise e
    total = 0.0
    for i, a in enumerate(coefs):
        if isinstance(a, bool) or not isinstance(a, float):
            raise VALUE
        total += a * _power(x, n + i * m)
    return total


# --- number systems --------------------------------------------------------------------

_ROMAN = [("M", 1000), ("D", 500), ("C", 100), ("L", 50), ("X", 10), ("V", 5), ("I", 1)]


def _roman(n: int, form: int) -> str:
    """Roman numeral; form 0 is classic, 1..4 allow ever longer subtractive
    jumps (499: CDXCIX, LDVLIV, XDIX, VDIV, ID)."""
    out = []
    rest = n
    for pos in range(0, len(_ROMAN), 2):          # M, C, X, I: the powers of ten
        unit_sym, unit = _ROMAN[pos]
        digit = rest // unit
        if digit % 5 == 4:
            # 4 or 9: a subtractive pair before the 5- or 10-symbol
            big = pos - 1 if digit == 4 else pos - 2
            big_sym, big_val = _ROMAN[big]
            sub = pos
            for _ in range(form):
                if sub + 1 < len(_ROMAN) and big_val - _ROMAN[sub + 1][1] <= rest:
                    sub += 1
                else:
                    break
            out.append(_ROMAN[sub][0] + big_sym)
            rest -= big_val - _ROMAN[sub][1]
        else:
            if digit >= 5:
                out.append(_ROMAN[pos - 1][0])
            out.append(unit_sym * (digit % 5))
            rest %= unit
    return "".join(out)


@function("ROMAN", "number, any?", category=CAT)
def ROMAN(x, form=0.0):
    """Arabic number as a Roman numeral (forms 0..4, TRUE = 0, FALSE = 4)."""
    if form is MISSING:
        f = 0
    elif isinstance(form, bool):
        f = 0 if form else 4
    else:
        f = math.trunc(coerce.to_number(form))
    if not 0 <= f <= 4:
        raise VALUE
    if x < 0:
        raise VALUE
    n = math.trunc(x)
    if n > 3999:
        raise VALUE
    return _roman(n, f)


_ROMAN_VALUE = {s: v for s, v in _ROMAN}


@function("ARABIC", "text", category=CAT)
def ARABIC(text):
    """Roman numeral (any case, non-canonical forms too) as a number."""
    s = text.strip()
    if len(s) > 255:
        raise VALUE
    sign = 1.0
    if s.startswith("-"):
        sign, s = -1.0, s[1:]
    vals = []
    for ch in s.upper():
        v = _ROMAN_VALUE.get(ch)
        if v is None:
            raise VALUE
        vals.append(v)
    total = 0
    for i, v in enumerate(vals):
        total += -v if i + 1 < len(vals) and v < vals[i + 1] else v
    return sign * total


_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@function("BASE", "number, number, number?", category=CAT)
def BASE(x, radix, min_length=0.0):
    """A number written in another base (2..36)."""
    radix, min_length = math.trunc(radix), math.trunc(min_length)
    if x < 0 or x >= TWO53 or not 2 <= radix <= 36 or not 0 <= min_length <= 255:
        raise NUM
    n = math.trunc(x)
    digits = []
    while n:
        n, d = divmod(n, radix)
        digits.append(_DIGITS[d])
    s = "".join(reversed(digits)) or "0"
    return s.rjust(min_length, "0")


@function("DECIMAL", "text, number", category=CAT)
def DECIMAL(text, radix):
    """Text in a base (2..36) as a number."""
    radix = math.trunc(radix)
    if not 2 <= radix <= 36 or len(text) > 255:
        raise NUM
    total = 0
    for ch in text.upper():
        d = _DIGITS.find(ch)
        if d < 0 or d >= radix:
            raise NUM
        total = total * radix + d
    return float(total)


# --- matrices --------------------------------------------------------------------------

def _matrix(arr: Array) -> list[list[float]]:
    """A numeric matrix: the first error propagates, anything else non-numeric is #VALUE!."""
    e = helpers.first_error(arr)
    if e is not None:
        raise e
    for v in arr:
        if isinstance(v, bool) or not isinstance(v, float):
            raise VALUE
    return [list(row) for row in arr.data]


@function("MMULT", "array, array", category=CAT, array_result=True)
def MMULT(a, b):
    """Matrix product."""
    for arr in (a, b):
        e = helpers.first_error(arr)
        if e is not None:
            raise e
    x, y = _matrix(a), _matrix(b)
    if len(x[0]) != len(y):
        raise VALUE
    cols = list(zip(*y))
    out = []
    for row in x:
        out.append([_sum(p * q for p, q in zip(row, col)) for col in cols])
    return Array(out)


def _square(arr: Array) -> np.ndarray:
    m = _matrix(arr)
    if len(m) != len(m[0]):
        raise VALUE
    return np.array(m, dtype=np.float64)


@function("MDETERM", "array", category=CAT)
def MDETERM(a):
    """Determinant of a square matrix."""
    return float(np.linalg.det(_square(a)))


@function("MINVERSE", "array", category=CAT, array_result=True)
def MINVERSE(a):
    """Inverse of a square matrix (#NUM! when singular)."""
    m = _square(a)
    if np.linalg.det(m) == 0:
        raise NUM
    try:
        inv = np.linalg.inv(m)
    except np.linalg.LinAlgError:
        raise NUM
    return Array([[float(v) for v in row] for row in inv])


@function("MUNIT", "number", category=CAT, array_result=True)
def MUNIT(n):
    """Identity matrix of size n."""
    n = math.trunc(n)
    if n < 1 or n * n > MAX_CELLS:
        raise VALUE
    return Array([[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)])


# --- random numbers -------------------------------------------------------------------

@function("RAND", "", category=CAT, volatile=True)
def RAND():
    """Uniform random number in [0, 1)."""
    return random.random()


@function("RANDBETWEEN", "number, number", category=CAT, volatile=True)
def RANDBETWEEN(lo, hi):
    """Random integer between two bounds."""
    lo_i, hi_i = math.ceil(lo), math.floor(hi)
    if lo_i > hi_i:
        raise NUM
    return float(random.randint(lo_i, hi_i))


# --- SUBTOTAL and AGGREGATE -----------------------------------------------------------

def _mean(xs):
    if not xs:
        raise DIV0
    return _sum(xs) / len(xs)


def _var(xs, sample: bool):
    n = len(xs)
    if n < (2 if sample else 1):
        raise DIV0
    m = _sum(xs) / n
    return _sum((x - m) ** 2 for x in xs) / (n - 1 if sample else n)


def _product(xs):
    if not xs:
        return 0.0
    p = 1.0
    for x in xs:
        p *= x
    return p


def _median(xs):
    if not xs:
        raise NUM
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def _mode(xs):
    counts: dict[float, int] = {}
    for x in xs:
        counts[x] = counts.get(x, 0) + 1
    best, best_n = None, 1
    for x in xs:                          # first value reaching the top count wins
        if counts[x] > best_n:
            best, best_n = x, counts[x]
    if best is None:
        raise NA
    return best


def _kth(xs, k, largest: bool):
    k = math.ceil(k)         # LARGE/SMALL round a fractional k up
    if k < 1 or k > len(xs):
        raise NUM
    s = sorted(xs, reverse=largest)
    return s[k - 1]


def _interp(s, h):
    lo = math.floor(h)
    if lo + 1 >= len(s):
        return s[lo]
    return s[lo] + (h - lo) * (s[lo + 1] - s[lo])


def _percentile_inc(xs, p):
    if not xs or p < 0 or p > 1:
        raise NUM
    return _interp(sorted(xs), (len(xs) - 1) * p)


def _percentile_exc(xs, p):
    n = len(xs)
    if not xs or p <= 0 or p >= 1:
        raise NUM
    h = (n + 1) * p - 1
    if h < 0 or h > n - 1:
        raise NUM
    return _interp(sorted(xs), h)


def _quartile_inc(xs, q):
    q = math.trunc(q)
    if not 0 <= q <= 4:
        raise NUM
    return _percentile_inc(xs, q / 4)


def _quartile_exc(xs, q):
    q = math.trunc(q)
    if not 1 <= q <= 3:
        raise NUM
    return _percentile_exc(xs, q / 4)


# function number -> implementation over the numbers (2 COUNT and 3 COUNTA work on the cells)
_AGG: dict[int, Callable] = {
    1: _mean,
    4: lambda xs: max(xs) if xs else 0.0,
    5: lambda xs: min(xs) if xs else 0.0,
    6: _product,
    7: lambda xs: math.sqrt(_var(xs, True)),
    8: lambda xs: math.sqrt(_var(xs, False)),
    9: _sum,
    10: lambda xs: _var(xs, True),
    11: lambda xs: _var(xs, False),
    12: _median,
    13: _mode,
}
_AGG_K: dict[int, Callable] = {
    14: lambda xs, k: _kth(xs, k, True),
    15: lambda xs, k: _kth(xs, k, False),
    16: _percentile_inc,
    17: _quartile_inc,
    18: _percentile_exc,
    19: _quartile_exc,
}


def _is_subtotal_cell(model, key) -> bool:
    owner = model.array_owner.get(key) or model.spilled_by.get(key) or key
    f = model.formulas.get(owner)
    if f is None:
        return False
    return any(isinstance(n, A.Call) and n.name in ("SUBTOTAL", "AGGREGATE") for n in A.walk(f.node))


def _skipped_rows(ref: RangeRef, skip_hidden: bool, skip_filtered: bool) -> set[int]:
    sheet = ref.model.wb.sheets[ref.sheet]
    rows: set[int] = set()
    if skip_hidden:
        rows |= sheet.hidden_rows
    if skip_filtered:
        # rows hidden by an active AutoFilter, where the reader records them
        rows |= getattr(sheet, "filtered_rows", set())
    return rows


def _area_values(ref: RangeRef, skip: tuple[bool, bool, bool]) -> list[Any]:
    skip_hidden, skip_filtered, skip_nested = skip
    model = ref.model
    hidden = _skipped_rows(ref, skip_hidden, skip_filtered)
    arr = ref.to_array()
    out = []
    for i, row in enumerate(arr.data):
        r = ref.r1 + i
        if r in hidden:
            continue
        for j, v in enumerate(row):
            if skip_nested and v is not BLANK and _is_subtotal_cell(model, (ref.sheet, r, ref.c1 + j)):
                continue
            out.append(v)
    return out


def _cells(args, skip: tuple[bool, bool, bool]) -> list[Any]:
    """The cells SUBTOTAL/AGGREGATE look at; ``skip`` says whether hidden
    rows, filtered-out rows and SUBTOTAL/AGGREGATE results are left out."""
    vals: list[Any] = []
    for a in args:
        if isinstance(a, RangeRef):
            vals.extend(_area_values(a, skip))
        elif isinstance(a, MultiRef):
            for area in a.areas:
                vals.extend(_area_values(area, skip))
        elif isinstance(a, XLError):
            raise a
        elif isinstance(a, LambdaValue):
            raise VALUE
        elif isinstance(a, Array):
            vals.extend(a)
        elif a is not MISSING:
            vals.append(a)
    return vals


def _aggregate_cells(fn: int, vals: list[Any], skip_errors: bool) -> float:
    if fn == 2:
        return float(sum(1 for v in vals if isinstance(v, float) and not isinstance(v, bool)))
    if fn == 3:
        return float(sum(1 for v in vals if v is not BLANK and not (skip_errors and isinstance(v, XLError))))
    nums = []
    for v in vals:
        if isinstance(v, XLError):
            if not skip_errors:
                raise v
        elif isinstance(v, float) and not isinstance(v, bool):
            nums.append(v)
    return _AGG[fn](nums)


def _aggregate_by_scenario(ctx, fn: int, vals: list[Any], skip_errors: bool) -> Any:
    """SUBTOTAL over cells holding per-scenario values: a sum of numeric
    vectors in one go, anything else scenario by scenario."""
    if ctx.n_scenarios <= 1 or not any(isinstance(v, Vec) for v in vals):
        return _aggregate_cells(fn, vals, skip_errors)
    if fn == 9 and all(not isinstance(v, Vec) or v.data.dtype == np.float64 for v in vals):
        rest = [v for v in vals if not isinstance(v, Vec)]
        vecs = [v.data for v in vals if isinstance(v, Vec)]
        return Vec(_aggregate_cells(9, rest, skip_errors) + np.sum(vecs, axis=0))
    from ..eval.vector import from_values
    out = []
    for i in range(ctx.n_scenarios):
        try:
            out.append(_aggregate_cells(fn, [v.item(i) if isinstance(v, Vec) else v for v in vals], skip_errors))
        except XLError as e:
            out.append(e)
    return from_values(out)


# References, not values: the cells' rows and formulas matter (and per-scenario
# values are handled here, where those still are known)
@function("SUBTOTAL", "int, ref+", category=CAT, context=True)
def SUBTOTAL(ctx, fn, *refs):
    """Aggregate (1-11; 101-111 also skip hidden rows) that ignores rows
    filtered out and nested SUBTOTAL/AGGREGATE cells."""
    skip_hidden = fn > 100
    base = fn - 100 if skip_hidden else fn
    if not 1 <= base <= 11:
        raise VALUE
    return _aggregate_by_scenario(ctx, base, _cells(refs, (skip_hidden, True, True)), False)


@function("AGGREGATE", "int, int, raw+", category=CAT, context=True, array_args=(2,))
def AGGREGATE(ctx, fn, options, *args):
    """Aggregate (1-19) with options to ignore hidden rows, errors and
    nested SUBTOTAL/AGGREGATE cells."""
    if not 0 <= options <= 7:
        raise VALUE
    skip_hidden = options in (1, 3, 5, 7)
    skip = (skip_hidden, skip_hidden, options <= 3)
    skip_errors = options in (2, 3, 6, 7)
    if 1 <= fn <= 13:
        return _aggregate_cells(fn, _cells(args, skip), skip_errors)
    if not 14 <= fn <= 19:
        raise VALUE
    if len(args) != 2:
        raise VALUE
    vals = _cells(args[:1], skip)
    nums = []
    for v in vals:
        if isinstance(v, XLError):
            if not skip_errors:
                raise v
        elif isinstance(v, float) and not isinstance(v, bool):
            nums.append(v)
    impl = _AGG_K[fn]
    k = ctx.to_scalar_or_array(args[1])

    def one(kv):
        try:
            return impl(nums, coerce.to_number(kv))
        except XLError as e:
            return e

    if isinstance(k, Array):
        return Array([[one(v) for v in row] for row in k.data])
    if isinstance(k, XLError):
        raise k
    return impl(nums, coerce.to_number(k))
