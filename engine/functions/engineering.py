"""Engineering functions: number bases, bit operations, complex numbers,
CONVERT, Bessel functions, ERF/ERFC, DELTA and GESTEP.

Most of these come from Excel's old Analysis ToolPak and share its habits:
logical values are not numbers (#VALUE!), numeric text is accepted.
Complex numbers travel as text ("3+4i", "1.5-2j") and every result is
written back as text with 15 significant digits.

The Bessel functions follow the classic polynomial/rational approximations
(Abramowitz & Stegun, Hart) with upward and Miller downward recurrences,
which is what Excel computes: its results carry the same ~1e-8 deviations
from the exact functions (BESSELJ(0,0) is 1.00000000283141 in Excel).
"""
from __future__ import annotations

import cmath
import math
import re
from decimal import Decimal
from typing import Any

from ..values import BLANK, MISSING, NA, NUM, VALUE, XLError, number_to_text
from . import coerce, helpers
from .registry import function


def _number(v: Any) -> float:
    """An Analysis ToolPak number: logicals are #VALUE!, text is parsed."""
    if isinstance(v, bool):
        raise VALUE
    if v is MISSING:
        return 0.0
    return coerce.to_number(v)


def _opt_number(v: Any, default: float) -> float:
    return default if v is None else _number(v)


# --- number bases ----------------------------------------------------------------

# base -> (digits, bits of the 10-character two's complement)
_BASES = {2: ("01", 10), 8: ("01234567", 30), 16: ("0123456789ABCDEF", 40)}
# largest magnitude each DEC2x accepts: -2^(bits-1) .. 2^(bits-1)-1
_RANGE = {b: (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) for b, (_, bits) in _BASES.items()}


def _parse_base(v: Any, base: int) -> int:
    """A BIN/OCT/HEX argument: at most 10 digits, the 10th-digit high bit
    meaning negative (two's complement)."""
    if isinstance(v, bool):
        raise VALUE
    if v is BLANK or v is MISSING:
        return 0
    text = coerce.to_text(v).upper() if not isinstance(v, str) else v.upper()
    if text == "":
        return 0
    digits, bits = _BASES[base]
    if len(text) > 10 or any(ch not in digits for ch in text):
        raise NUM
    n = int(text, base)
    if len(text) == 10 and n >= 1 << (bits - 1):
        n -= 1 << bits
    return n


def _places(v: Any) -> int | None:
    if v is None:
        return None
    p = math.trunc(_number(v))
    if p < 1 or p > 10:
        raise NUM
    return p


def _format_base(n: int, base: int, places: int | None) -> str:
    """``n`` written in ``base``: negatives as 10-digit two's complement
    (places ignored), positives padded to ``places``."""
    lo, hi = _RANGE[base]
    if n < lo or n > hi:
        raise NUM
    _, bits = _BASES[base]
    if n < 0:
        n += 1 << bits
        return _digits(n, base)
    s = _digits(n, base)
    if places is not None:
        if len(s) > places:
            raise NUM
        s = s.rjust(places, "0")
    return s


def _digits(n: int, base: int) -> str:
    if base == 2:
        return format(n, "b")
    if base == 8:
        return format(n, "o")
    return format(n, "X")


def _dec_arg(v: Any) -> int:
    return math.trunc(_number(v))


def _register_base(name: str, src: int | None, dst: int | None) -> None:
    what = "a decimal number" if src is None else f"a base-{src} number"
    if dst is None:
        @function(name, "any", category="engineering", description=f"{what} as a decimal")
        def to_decimal(number):
            return float(_parse_base(number, src))
        return

    @function(name, "any, any?", category="engineering", description=f"{what} in base {dst}")
    def convert(number, places=None):
        p = _places(places)       # Excel checks places before the number
        n = _dec_arg(number) if src is None else _parse_base(number, src)
        return _format_base(n, dst, p)


for _name, _src, _dst in [
        ("BIN2DEC", 2, None), ("OCT2DEC", 8, None), ("HEX2DEC", 16, None),
        ("BIN2OCT", 2, 8), ("BIN2HEX", 2, 16), ("OCT2BIN", 8, 2), ("OCT2HEX", 8, 16),
        ("HEX2BIN", 16, 2), ("HEX2OCT", 16, 8),
        ("DEC2BIN", None, 2), ("DEC2OCT", None, 8), ("DEC2HEX", None, 16)]:
    _register_base(_name, _src, _dst)


# --- bit operations ------------------------------------------------------------

_BIT_LIMIT = 1 << 48


def _bit_arg(v: Any) -> int:
    """A BIT* operand: a whole number in 0 .. 2^48-1 (logicals count as 0/1)."""
    x = coerce.to_number(v)
    if x < 0 or x != math.floor(x) or x >= _BIT_LIMIT:
        raise NUM
    return int(x)


@function("BITAND", "any, any", category="engineering")
def BITAND(a, b):
    """Bitwise AND of two 48-bit non-negative integers."""
    return float(_bit_arg(a) & _bit_arg(b))


@function("BITOR", "any, any", category="engineering")
def BITOR(a, b):
    """Bitwise OR of two 48-bit non-negative integers."""
    return float(_bit_arg(a) | _bit_arg(b))


@function("BITXOR", "any, any", category="engineering")
def BITXOR(a, b):
    """Bitwise exclusive OR of two 48-bit non-negative integers."""
    return float(_bit_arg(a) ^ _bit_arg(b))


def _shift(number: Any, amount: Any, direction: int) -> float:
    n = _bit_arg(number)
    s = math.trunc(coerce.to_number(amount)) * direction
    if abs(s) > 53:
        raise NUM
    r = n << s if s >= 0 else n >> -s
    if r >= _BIT_LIMIT:
        raise NUM
    return float(r)


@function("BITLSHIFT", "any, any", category="engineering")
def BITLSHIFT(number, shift):
    """A number shifted left by ``shift`` bits (right when negative)."""
    return _shift(number, shift, 1)


@function("BITRSHIFT", "any, any", category="engineering")
def BITRSHIFT(number, shift):
    """A number shifted right by ``shift`` bits (left when negative)."""
    return _shift(number, shift, -1)


# --- complex numbers --------------------------------------------------------------

_NUM_RE = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_RE_FULL = re.compile(rf"([+-]?{_NUM_RE})([+-])({_NUM_RE})?([ij])")
_RE_IMAG = re.compile(rf"([+-]?)({_NUM_RE})?([ij])")
_RE_REAL = re.compile(rf"[+-]?{_NUM_RE}")


def _parse_complex(v: Any) -> tuple[complex, str | None]:
    """A complex argument: text "a+bi" / "bj" / "a", or a number; the suffix
    is None for a plain real number."""
    if isinstance(v, bool):
        raise VALUE
    if v is BLANK or v is MISSING:
        return 0j, None
    if isinstance(v, (int, float)):
        return complex(float(v), 0.0), None
    if not isinstance(v, str):
        raise VALUE
    if v == "":
        return 0j, None
    m = _RE_REAL.fullmatch(v)
    if m:
        return complex(float(v), 0.0), None
    m = _RE_IMAG.fullmatch(v)
    if m:
        sign, mag, suffix = m.groups()
        y = float(mag) if mag else 1.0
        return complex(0.0, -y if sign == "-" else y), suffix
    m = _RE_FULL.fullmatch(v)
    if m:
        re_part, sign, mag, suffix = m.groups()
        y = float(mag) if mag else 1.0
        return complex(float(re_part), -y if sign == "-" else y), suffix
    raise NUM.with_message(f"{v!r} is not a complex number")


def _suffix(*suffixes: str | None) -> str:
    """The common suffix of several operands; mixing i and j is #VALUE!."""
    found = {s for s in suffixes if s}
    if len(found) > 1:
        raise VALUE
    return found.pop() if found else "i"


def _round15(x: float) -> float:
    if x == 0 or math.isnan(x) or math.isinf(x):
        return x
    return float(f"{x:.15g}")


def _part_text(x: float) -> str:
    """One part of a complex result: 15 significant digits, positional
    notation for small magnitudes while it stays within 20 characters (Excel
    writes 1E-16 as 0.0000000000000001 here), scientific beyond."""
    if abs(x) >= 1:
        return number_to_text(x)
    plain = format(Decimal(f"{x:.15g}"), "f")
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    if len(plain.lstrip("-")) <= 20:
        return plain
    return number_to_text(x)


def _complex_text(z: complex, suffix: str) -> str:
    x, y = _round15(z.real), _round15(z.imag)
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or math.isinf(y):
        raise NUM
    if x == 0 and y == 0:
        return "0"
    if y == 0:
        return _part_text(x)
    ys = "" if y == 1 else "-" if y == -1 else _part_text(y)
    if x == 0:
        return ys + suffix
    return _part_text(x) + ("+" if y > 0 else "") + ys + suffix


@function("COMPLEX", "any, any, any?", category="engineering")
def COMPLEX(real, imaginary, suffix=None):
    """The complex number real + imaginary·i (or ·j) as text."""
    x, y = _number(real), _number(imaginary)
    if suffix is None or suffix is BLANK or suffix is MISSING:
        sfx = "i"
    elif isinstance(suffix, str) and suffix in ("i", "j", ""):
        sfx = suffix or "i"
    else:
        raise VALUE
    return _complex_text(complex(x, y), sfx)


@function("IMREAL", "any", category="engineering")
def IMREAL(z):
    """The real part of a complex number."""
    return _parse_complex(z)[0].real


@function("IMAGINARY", "any", category="engineering")
def IMAGINARY(z):
    """The imaginary part of a complex number."""
    return _parse_complex(z)[0].imag


@function("IMABS", "any", category="engineering")
def IMABS(z):
    """The modulus of a complex number."""
    return abs(_parse_complex(z)[0])


@function("IMARGUMENT", "any", category="engineering")
def IMARGUMENT(z):
    """The angle of a complex number, in radians (#DIV/0! for 0)."""
    c = _parse_complex(z)[0]
    if c == 0:
        raise ZeroDivisionError
    return math.atan2(c.imag, c.real)


@function("IMCONJUGATE", "any", category="engineering")
def IMCONJUGATE(z):
    """The complex conjugate."""
    c, s = _parse_complex(z)
    return _complex_text(c.conjugate(), _suffix(s))


def _unary(name: str, fn, doc: str, zero_is_error: bool = False) -> None:
    @function(name, "any", category="engineering", description=doc)
    def impl(z):
        c, s = _parse_complex(z)
        if zero_is_error and c == 0:
            raise NUM
        try:
            r = fn(c)
        except (ZeroDivisionError, OverflowError, ValueError):
            raise NUM
        return _complex_text(r, _suffix(s))


def _polar_sqrt(c: complex) -> complex:
    # Excel takes the root in polar form: IMSQRT("j") gives 0.707106781186548+0.707106781186547j
    if c == 0:
        return 0j
    r, t = abs(c), math.atan2(c.imag, c.real)
    s = math.sqrt(r)
    return complex(s * math.cos(t / 2), s * math.sin(t / 2))


def _ln(c: complex) -> complex:
    return complex(math.log(abs(c)), math.atan2(c.imag, c.real))


_LN10 = math.log(10.0)
_LN2 = math.log(2.0)

_unary("IMEXP", cmath.exp, "e raised to a complex power.")
_unary("IMLN", _ln, "The natural logarithm of a complex number.", zero_is_error=True)
_unary("IMLOG10", lambda c: _ln(c) / _LN10, "The base-10 logarithm of a complex number.", zero_is_error=True)
_unary("IMLOG2", lambda c: _ln(c) / _LN2, "The base-2 logarithm of a complex number.", zero_is_error=True)
_unary("IMSQRT", _polar_sqrt, "The square root of a complex number.")
_unary("IMSIN", cmath.sin, "The sine of a complex number.")
_unary("IMCOS", cmath.cos, "The cosine of a complex number.")
_unary("IMTAN", cmath.tan, "The tangent of a complex number.")
_unary("IMSINH", cmath.sinh, "The hyperbolic sine of a complex number.")
_unary("IMCOSH", cmath.cosh, "The hyperbolic cosine of a complex number.")
_unary("IMCOT", lambda c: cmath.cos(c) / cmath.sin(c), "The cotangent of a complex number.",
       zero_is_error=True)
_unary("IMCSC", lambda c: 1 / cmath.sin(c), "The cosecant of a complex number.", zero_is_error=True)
_unary("IMCSCH", lambda c: 1 / cmath.sinh(c), "The hyperbolic cosecant of a complex number.",
       zero_is_error=True)
_unary("IMSEC", lambda c: 1 / cmath.cos(c), "The secant of a complex number.")
_unary("IMSECH", lambda c: 1 / cmath.cosh(c), "The hyperbolic secant of a complex number.")


@function("IMPOWER", "any, any", category="engineering")
def IMPOWER(z, n):
    """A complex number raised to a real power (computed in polar form)."""
    c, s = _parse_complex(z)
    p = _number(n)
    if c == 0:
        if p > 0:
            return "0"
        raise NUM
    r, t = abs(c), math.atan2(c.imag, c.real)
    rp = r ** p
    return _complex_text(complex(rp * math.cos(p * t), rp * math.sin(p * t)), _suffix(s))


@function("IMDIV", "any, any", category="engineering")
def IMDIV(a, b):
    """The quotient of two complex numbers."""
    x, s1 = _parse_complex(a)
    y, s2 = _parse_complex(b)
    sfx = _suffix(s1, s2)
    if y == 0:
        raise NUM
    return _complex_text(x / y, sfx)


@function("IMSUB", "any, any", category="engineering")
def IMSUB(a, b):
    """The difference of two complex numbers."""
    x, s1 = _parse_complex(a)
    y, s2 = _parse_complex(b)
    return _complex_text(x - y, _suffix(s1, s2))


def _complex_items(args) -> list[tuple[complex, str | None]]:
    out = []
    for v, _ in helpers.iter_values(args):
        if isinstance(v, XLError):
            raise v
        out.append(_parse_complex(v))
    return out


@function("IMSUM", "raw+", category="engineering")
def IMSUM(*args):
    """The sum of complex numbers (ranges allowed)."""
    items = _complex_items(args)
    sfx = _suffix(*(s for _, s in items))
    return _complex_text(sum((c for c, _ in items), 0j), sfx)


@function("IMPRODUCT", "raw+", category="engineering")
def IMPRODUCT(*args):
    """The product of complex numbers (ranges allowed)."""
    items = _complex_items(args)
    sfx = _suffix(*(s for _, s in items))
    p = 1 + 0j
    for c, _ in items:
        p *= c
    return _complex_text(p, sfx)


# --- CONVERT ---------------------------------------------------------------------

_PREFIXES = {
    "Y": 1e24, "Z": 1e21, "E": 1e18, "P": 1e15, "T": 1e12, "G": 1e9, "M": 1e6, "k": 1e3,
    "h": 1e2, "da": 1e1, "e": 1e1, "d": 1e-1, "c": 1e-2, "m": 1e-3, "u": 1e-6, "n": 1e-9,
    "p": 1e-12, "f": 1e-15, "a": 1e-18, "z": 1e-21, "y": 1e-24,
}
_BINARY_PREFIXES = {
    "ki": 2.0 ** 10, "Mi": 2.0 ** 20, "Gi": 2.0 ** 30, "Ti": 2.0 ** 40, "Pi": 2.0 ** 50,
    "Ei": 2.0 ** 60, "Zi": 2.0 ** 70, "Yi": 2.0 ** 80,
}

_IN = 0.0254
_FT = 0.3048
_YD = 0.9144
_MI = 1609.344
_NMI = 1852.0
_ANG = 1e-10
_LY = 9460730472580800.0
_PICA_PT = _IN / 72
_LBF = 4.4482216152605
_HP = 550 * _FT * _LBF

# unit -> (category, factor to the category's base unit, metric prefixes allowed,
#          power applied to a prefix: 2 for m2, 3 for m3)
_UNITS: dict[str, tuple[str, float, bool, int]] = {}


def _add(category: str, names: str, factor: float, prefix: bool = False, power: int = 1) -> None:
    for n in names.split():
        _UNITS[n] = (category, factor, prefix, power)


# weight and mass (grams)
_add("mass", "g", 1.0, True)
_add("mass", "sg", _LBF / _FT * 1000)
_add("mass", "lbm", 453.59237)
_add("mass", "u", 1.660538782e-24, True)
_add("mass", "ozm", 453.59237 / 16)
_add("mass", "grain", 0.06479891)
_add("mass", "cwt shweight", 45359.237)
_add("mass", "uk_cwt lcwt hweight", 50802.34544)
_add("mass", "stone", 6350.29318)
_add("mass", "ton", 907184.74)
_add("mass", "uk_ton LTON brton", 1016046.9088)
# distance (meters)
_add("distance", "m", 1.0, True)
_add("distance", "mi", _MI)
_add("distance", "Nmi", _NMI)
_add("distance", "in", _IN)
_add("distance", "ft", _FT)
_add("distance", "yd", _YD)
_add("distance", "ang", _ANG, True)
_add("distance", "ell", 1.143)
_add("distance", "ly", _LY, True)
_add("distance", "parsec pc", 3.0856775812815532e16, True)
_add("distance", "Picapt Pica", _PICA_PT)
_add("distance", "pica", _IN / 6)
_add("distance", "survey_mi", 6336000 / 3937)
# time (seconds)
_add("time", "yr", 365.25 * 86400)
_add("time", "day d", 86400.0)
_add("time", "hr", 3600.0)
_add("time", "mn min", 60.0)
_add("time", "sec s", 1.0, True)
# pressure (pascals)
_add("pressure", "Pa p", 1.0, True)
_add("pressure", "atm at", 101325.0, True)
_add("pressure", "mmHg", 133.322, True)
_add("pressure", "psi", _LBF / _IN ** 2)
_add("pressure", "Torr", 101325.0 / 760)
# force (newtons)
_add("force", "N", 1.0, True)
_add("force", "dyn dy", 1e-5, True)
_add("force", "lbf", _LBF)
_add("force", "pond", 9.80665e-3, True)
# energy (joules)
_add("energy", "J", 1.0, True)
_add("energy", "e", 1e-7, True)
_add("energy", "c", 4.184, True)
_add("energy", "cal", 4.1868, True)
_add("energy", "eV ev", 1.602176487e-19, True)
_add("energy", "HPh hh", _HP * 3600)
_add("energy", "Wh wh", 3600.0, True)
_add("energy", "flb", _FT * _LBF)
_add("energy", "BTU btu", 1055.05585262)
# power (watts)
_add("power", "HP h", _HP)
_add("power", "PS", 735.49875)
_add("power", "W w", 1.0, True)
# magnetism (teslas)
_add("magnetism", "T", 1.0, True)
_add("magnetism", "ga", 1e-4, True)
# volume (cubic meters)
_add("volume", "tsp", 4.92892159375e-6)
_add("volume", "tspm", 5e-6)
_add("volume", "tbs", 1.478676478125e-5)
_add("volume", "oz", 2.95735295625e-5)
_add("volume", "cup", 2.365882365e-4)
_add("volume", "pt us_pt", 4.73176473e-4)
_add("volume", "uk_pt", 5.6826125e-4, True)
_add("volume", "qt", 9.46352946e-4)
_add("volume", "uk_qt", 1.1365225e-3)
_add("volume", "gal", 3.785411784e-3)
_add("volume", "uk_gal", 4.54609e-3)
_add("volume", "l L lt", 1e-3, True)
_add("volume", "ang3 ang^3", _ANG ** 3, True, 3)
_add("volume", "barrel", 0.158987294928)
_add("volume", "bushel", 0.03523907016688)
_add("volume", "ft3 ft^3", _FT ** 3)
_add("volume", "in3 in^3", _IN ** 3)
_add("volume", "ly3 ly^3", _LY ** 3)
_add("volume", "m3 m^3", 1.0, True, 3)
_add("volume", "mi3 mi^3", _MI ** 3)
_add("volume", "yd3 yd^3", _YD ** 3)
_add("volume", "Nmi3 Nmi^3", _NMI ** 3)
_add("volume", "Picapt3 Picapt^3 Pica3 Pica^3", _PICA_PT ** 3)
_add("volume", "GRT regton", 100 * _FT ** 3)
_add("volume", "MTON", 40 * _FT ** 3)
# area (square meters)
_add("area", "uk_acre", 4046.8564224)
_add("area", "us_acre", 4046.8564224 * (1200 / 3937 / _FT) ** 2)
_add("area", "ang2 ang^2", _ANG ** 2, True, 2)
_add("area", "ar", 100.0, True)
_add("area", "ft2 ft^2", _FT ** 2)
_add("area", "ha", 1e4)
_add("area", "in2 in^2", _IN ** 2)
_add("area", "ly2 ly^2", _LY ** 2)
_add("area", "m2 m^2", 1.0, True, 2)
_add("area", "Morgen", 2500.0)
_add("area", "mi2 mi^2", _MI ** 2)
_add("area", "Nmi2 Nmi^2", _NMI ** 2)
_add("area", "Picapt2 Pica2 Pica^2 Picapt^2", _PICA_PT ** 2)
_add("area", "yd2 yd^2", _YD ** 2)
# information (bits)
_add("information", "bit", 1.0, True)
_add("information", "byte", 8.0, True)
# speed (meters per second)
_add("speed", "admkn", 6080 * _FT / 3600)
_add("speed", "kn", _NMI / 3600)
_add("speed", "m/h m/hr", 1 / 3600, True)
_add("speed", "m/s m/sec", 1.0, True)
_add("speed", "mph", _MI / 3600, True)
# temperature: the factor is used for metric prefixes (mK) only; the scales
# convert through Celsius below
_add("temperature", "C cel", 1.0)
_add("temperature", "F fah", 1.0)
_add("temperature", "K kel", 1.0, True)
_add("temperature", "Rank", 1.0)
_add("temperature", "Reau", 1.0)

_TO_CELSIUS = {"C": lambda t: t, "F": lambda t: (t - 32) / 1.8, "K": lambda t: t - 273.15,
               "Rank": lambda t: (t - 491.67) / 1.8, "Reau": lambda t: t * 1.25}
_FROM_CELSIUS = {"C": lambda c: c, "F": lambda c: c * 1.8 + 32, "K": lambda c: c + 273.15,
                 "Rank": lambda c: (c + 273.15) * 1.8, "Reau": lambda c: c / 1.25}
_SCALE = {"cel": "C", "fah": "F", "kel": "K"}


def _temperature(x: float, a: tuple[str, float, str], b: tuple[str, float, str]) -> float:
    sa, sb = _SCALE.get(a[2], a[2]), _SCALE.get(b[2], b[2])
    x *= a[1]
    if sa == sb or {sa, sb} == {"K", "Rank"}:
        # same or both absolute scales: a plain ratio, no offsets to round
        ratio = {"K": 1.0, "Rank": 1 / 1.8}
        return x * ratio.get(sa, 1.0) / ratio.get(sb, 1.0) / b[1]
    return _FROM_CELSIUS[sb](_TO_CELSIUS[sa](x)) / b[1]


def _unit(name: str) -> tuple[str, float, str] | None:
    """(category, factor, base unit name) of a unit, metric or binary prefix
    included; None when Excel does not know it."""
    u = _UNITS.get(name)
    if u is not None:
        return u[0], u[1], name
    for table in (_PREFIXES, _BINARY_PREFIXES):
        for p, mult in table.items():
            if name.startswith(p) and len(name) > len(p):
                base = name[len(p):]
                u = _UNITS.get(base)
                if u is None or not u[2]:
                    continue
                if table is _BINARY_PREFIXES and u[0] != "information":
                    continue
                return u[0], u[1] * mult ** u[3], base
    return None


@function("CONVERT", "any, any, any", category="engineering")
def CONVERT(number, from_unit, to_unit):
    """A number converted from one measurement unit to another."""
    x = _number(number)
    if not isinstance(from_unit, str) or not isinstance(to_unit, str):
        raise NA
    a, b = _unit(from_unit), _unit(to_unit)
    if a is None or b is None or a[0] != b[0]:
        raise NA.with_message(f"cannot convert {from_unit!r} to {to_unit!r}")
    if a[0] == "temperature":
        return _temperature(x, a, b)
    if from_unit == to_unit:
        return x
    return x * a[1] / b[1]


# --- DELTA, GESTEP, ERF -----------------------------------------------------------

@function("DELTA", "any, any?", category="engineering")
def DELTA(number1, number2=None):
    """1 when the two numbers are equal, else 0."""
    return 1.0 if _number(number1) == _opt_number(number2, 0.0) else 0.0


@function("GESTEP", "any, any?", category="engineering")
def GESTEP(number, step=None):
    """1 when number >= step, else 0."""
    return 1.0 if _number(number) >= _opt_number(step, 0.0) else 0.0


@function("ERF", "any, any?", category="engineering")
def ERF(lower, upper=None):
    """The error function integrated from 0 to ``lower`` (or between the bounds)."""
    a = _number(lower)
    if upper is None:
        return math.erf(a)
    return math.erf(_number(upper)) - math.erf(a)


@function("ERF.PRECISE", "any", category="engineering")
def ERF_PRECISE(x):
    """The error function."""
    return math.erf(_number(x))


@function("ERFC", "any", category="engineering", aliases=("ERFC.PRECISE",))
def ERFC(x):
    """The complementary error function."""
    return math.erfc(_number(x))


# --- Bessel functions ---------------------------------------------------------------
# Rational/polynomial approximations (Hart; Abramowitz & Stegun 9.4, 9.8), the
# forms Excel evaluates.  0.636619772 and 0.785398164 are the truncated 2/pi and
# pi/4 of those approximations.

def _poly(y: float, coeffs: tuple[float, ...]) -> float:
    r = 0.0
    for c in reversed(coeffs):
        r = r * y + c
    return r


_J0_NUM = (57568490574.0, -13362590354.0, 651619640.7, -11214424.18, 77392.33017, -184.9052456)
_J0_DEN = (57568490411.0, 1029532985.0, 9494680.718, 59272.64853, 267.8532712, 1.0)
_J1_NUM = (72362614232.0, -7895059235.0, 242396853.1, -2972611.439, 15704.48260, -30.16036606)
_J1_DEN = (144725228442.0, 2300535178.0, 18583304.74, 99447.43394, 376.9991397, 1.0)
_P0 = (1.0, -0.1098628627e-2, 0.2734510407e-4, -0.2073370639e-5, 0.2093887211e-6)
_Q0_J = (-0.1562499995e-1, 0.1430488765e-3, -0.6911147651e-5, 0.7621095161e-6, -0.934935152e-7)
_Q0_Y = (-0.1562499995e-1, 0.1430488765e-3, -0.6911147651e-5, 0.7621095161e-6, -0.934945152e-7)
_P1 = (1.0, 0.183105e-2, -0.3516396496e-4, 0.2457520174e-5, -0.240337019e-6)
_Q1 = (0.04687499995, -0.2002690873e-3, 0.8449199096e-5, -0.88228987e-6, 0.105787412e-6)
_Y0_NUM = (-2957821389.0, 7062834065.0, -512359803.6, 10879881.29, -86327.92757, 228.4622733)
_Y0_DEN = (40076544269.0, 745249964.8, 7189466.438, 47447.26470, 226.1030244, 1.0)
_Y1_NUM = (-0.4900604943e13, 0.1275274390e13, -0.5153438139e11, 0.7349264551e9,
           -0.4237922726e7, 0.8511937935e4)
_Y1_DEN = (0.2499580570e14, 0.4244419664e12, 0.3733650367e10, 0.2245904002e8,
           0.1020426050e6, 0.3549632885e3, 1.0)
_TWO_OVER_PI = 0.636619772


def _j0(x: float) -> float:
    ax = abs(x)
    if ax < 8.0:
        y = x * x
        return _poly(y, _J0_NUM) / _poly(y, _J0_DEN)
    z = 8.0 / ax
    y = z * z
    xx = ax - 0.785398164
    return math.sqrt(_TWO_OVER_PI / ax) * (math.cos(xx) * _poly(y, _P0) - z * math.sin(xx) * _poly(y, _Q0_J))


def _j1(x: float) -> float:
    ax = abs(x)
    if ax < 8.0:
        y = x * x
        return x * _poly(y, _J1_NUM) / _poly(y, _J1_DEN)
    z = 8.0 / ax
    y = z * z
    xx = ax - 2.356194491
    r = math.sqrt(_TWO_OVER_PI / ax) * (math.cos(xx) * _poly(y, _P1) - z * math.sin(xx) * _poly(y, _Q1))
    return -r if x < 0 else r


def _y0(x: float) -> float:
    if x < 8.0:
        y = x * x
        return _poly(y, _Y0_NUM) / _poly(y, _Y0_DEN) + _TWO_OVER_PI * _j0(x) * math.log(x)
    z = 8.0 / x
    y = z * z
    xx = x - 0.785398164
    return math.sqrt(_TWO_OVER_PI / x) * (math.sin(xx) * _poly(y, _P0) + z * math.cos(xx) * _poly(y, _Q0_Y))


def _y1(x: float) -> float:
    if x < 8.0:
        y = x * x
        return (x * _poly(y, _Y1_NUM) / _poly(y, _Y1_DEN)
                + _TWO_OVER_PI * (_j1(x) * math.log(x) - 1.0 / x))
    z = 8.0 / x
    y = z * z
    xx = x - 2.356194491
    return math.sqrt(_TWO_OVER_PI / x) * (math.sin(xx) * _poly(y, _P1) + z * math.cos(xx) * _poly(y, _Q1))


_I0_SMALL = (1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2)
_I0_LARGE = (0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2, -0.2057706e-1,
             0.2635537e-1, -0.1647633e-1, 0.392377e-2)
_I1_SMALL = (0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2, 0.32411e-3)
_I1_LARGE = (0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1, 0.2282967e-1,
             -0.2895312e-1, 0.1787654e-1, -0.420059e-2)
_K0_SMALL = (-0.57721566, 0.42278420, 0.23069756, 0.3488590e-1, 0.262698e-2, 0.10750e-3, 0.74e-5)
_K0_LARGE = (1.25331414, -0.7832358e-1, 0.2189568e-1, -0.1062446e-1, 0.587872e-2, -0.251540e-2,
             0.53208e-3)
_K1_SMALL = (1.0, 0.15443144, -0.67278579, -0.18156897, -0.1919402e-1, -0.110404e-2, -0.4686e-4)
_K1_LARGE = (1.25331414, 0.23498619, -0.3655620e-1, 0.1504268e-1, -0.780353e-2, 0.325614e-2,
             -0.68245e-3)


def _i0(x: float) -> float:
    ax = abs(x)
    if ax < 3.75:
        y = (x / 3.75) ** 2
        return _poly(y, _I0_SMALL)
    return math.exp(ax) / math.sqrt(ax) * _poly(3.75 / ax, _I0_LARGE)


def _i1(x: float) -> float:
    ax = abs(x)
    if ax < 3.75:
        y = (x / 3.75) ** 2
        r = ax * _poly(y, _I1_SMALL)
    else:
        r = math.exp(ax) / math.sqrt(ax) * _poly(3.75 / ax, _I1_LARGE)
    return -r if x < 0 else r


def _k0(x: float) -> float:
    if x <= 2.0:
        y = x * x / 4.0
        return -math.log(x / 2.0) * _i0(x) + _poly(y, _K0_SMALL)
    return math.exp(-x) / math.sqrt(x) * _poly(2.0 / x, _K0_LARGE)


def _k1(x: float) -> float:
    if x <= 2.0:
        y = x * x / 4.0
        return math.log(x / 2.0) * _i1(x) + (1.0 / x) * _poly(y, _K1_SMALL)
    return math.exp(-x) / math.sqrt(x) * _poly(2.0 / x, _K1_LARGE)


_BIGNO = 1e10
_BIGNI = 1e-10


def _jn(n: int, x: float) -> float:
    if n == 0:
        return _j0(x)
    if n == 1:
        return _j1(x)
    ax = abs(x)
    if ax == 0.0:
        return 0.0
    tox = 2.0 / ax
    if ax > n:
        # upward recurrence is stable above the order
        bjm, bj = _j0(ax), _j1(ax)
        for j in range(1, n):
            bjm, bj = bj, j * tox * bj - bjm
        ans = bj
    else:
        # Miller's downward recurrence, normalised by J0 + 2(J2 + J4 + ...) = 1
        m = 2 * ((n + int(math.sqrt(40.0 * n))) // 2)
        jsum = False
        bjp = ans = total = 0.0
        bj = 1.0
        for j in range(m, 0, -1):
            bjm = j * tox * bj - bjp
            bjp, bj = bj, bjm
            if abs(bj) > _BIGNO:
                bj *= _BIGNI
                bjp *= _BIGNI
                ans *= _BIGNI
                total *= _BIGNI
            if jsum:
                total += bj
            jsum = not jsum
            if j == n:
                ans = bjp
        total = 2.0 * total - bj
        ans /= total
    return -ans if x < 0 and n % 2 else ans


def _in(n: int, x: float) -> float:
    if n == 0:
        return _i0(x)
    if n == 1:
        return _i1(x)
    if x == 0.0:
        return 0.0
    tox = 2.0 / abs(x)
    bip = ans = 0.0
    bi = 1.0
    for j in range(2 * (n + int(math.sqrt(40.0 * n))), 0, -1):
        bim = bip + j * tox * bi
        bip, bi = bi, bim
        if abs(bi) > _BIGNO:
            ans *= _BIGNI
            bi *= _BIGNI
            bip *= _BIGNI
        if j == n:
            ans = bip
    ans *= _i0(x) / bi
    return -ans if x < 0 and n % 2 else ans


def _yn(n: int, x: float) -> float:
    if n == 0:
        return _y0(x)
    by_m, by = _y0(x), _y1(x)
    tox = 2.0 / x
    for j in range(1, n):
        by_m, by = by, j * tox * by - by_m
    return by


def _kn(n: int, x: float) -> float:
    if n == 0:
        return _k0(x)
    bkm, bk = _k0(x), _k1(x)
    tox = 2.0 / x
    for j in range(1, n):
        bkm, bk = bk, bkm + j * tox * bk
    return bk


_MAX_ORDER = 100_000   # the recurrences run ~2n steps; keep a call bounded


def _bessel_args(x: Any, n: Any) -> tuple[float, int]:
    xv = _number(x)
    nv = math.trunc(_number(n))
    if nv < 0 or nv > _MAX_ORDER:
        raise NUM
    return xv, nv


@function("BESSELJ", "any, any", category="engineering")
def BESSELJ(x, n):
    """The Bessel function Jn(x)."""
    xv, nv = _bessel_args(x, n)
    return _jn(nv, xv)


@function("BESSELI", "any, any", category="engineering")
def BESSELI(x, n):
    """The modified Bessel function In(x)."""
    xv, nv = _bessel_args(x, n)
    return _in(nv, xv)


@function("BESSELY", "any, any", category="engineering")
def BESSELY(x, n):
    """The Bessel function Yn(x) (Weber's function), x > 0."""
    xv, nv = _bessel_args(x, n)
    if xv <= 0:
        raise NUM
    return _yn(nv, xv)


@function("BESSELK", "any, any", category="engineering")
def BESSELK(x, n):
    """The modified Bessel function Kn(x), x > 0."""
    xv, nv = _bessel_args(x, n)
    if xv <= 0:
        raise NUM
    return _kn(nv, xv)
