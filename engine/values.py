"""Excel's value model, shared by every part of the engine.

Scalars are plain Python objects so that function code stays readable:

* numbers  -> ``float`` (Excel has no integers; readers convert)
* text     -> ``str``
* booleans -> ``bool``
* blank    -> ``BLANK`` (a singleton; blank is 0 or "" depending on context)
* errors   -> ``XLError`` instances (compare by ``code``; use the constants below)

Two containers exist on top of scalars:

* ``Array`` -- a 2-D rectangle of scalars (range values, array constants,
  array results).  ``Array.data`` is a list of row lists.
* ``Vec`` (in ``engine.eval.vector``) -- one scalar per Monte Carlo scenario.
"""
from __future__ import annotations

import math
from typing import Any, Iterator


class XLError(Exception):
    """An Excel error value.  Also raisable: helpers raise it to short-circuit a
    function, and the dispatcher turns the raise into the returned value."""

    __slots__ = ("code", "message")

    def __init__(self, code: str, message: str = ""):
        self.code = code
        self.message = message

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XLError) and other.code == self.code

    def __hash__(self) -> int:
        return hash(self.code)

    def __repr__(self) -> str:
        return self.code if not self.message else f"{self.code} ({self.message})"

    __str__ = __repr__

    def with_message(self, message: str) -> "XLError":
        return XLError(self.code, message)


NULL = XLError("#NULL!")
DIV0 = XLError("#DIV/0!")
VALUE = XLError("#VALUE!")
REF = XLError("#REF!")
NAME = XLError("#NAME?")
NUM = XLError("#NUM!")
NA = XLError("#N/A")
SPILL = XLError("#SPILL!")
CALC = XLError("#CALC!")
CIRC = XLError("#CIRC!")
GETTING_DATA = XLError("#GETTING_DATA")

ERROR_CODES = ["#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
               "#GETTING_DATA", "#SPILL!", "#CALC!", "#CIRC!"]
# ERROR.TYPE numbers (Excel: 1..8, 9 spill, 14 calc); CIRC is ours.
ERROR_TYPE_NUMBER = {"#NULL!": 1, "#DIV/0!": 2, "#VALUE!": 3, "#REF!": 4, "#NAME?": 5,
                     "#NUM!": 6, "#N/A": 7, "#GETTING_DATA": 8, "#SPILL!": 9,
                     "#CALC!": 14, "#CIRC!": 15}
_BY_CODE = {c: XLError(c) for c in ERROR_CODES}


def error_from_code(code: str) -> XLError | None:
    return _BY_CODE.get(code.upper())


class _Blank:
    """An empty cell.  Falsy, and distinct from 0 and ""."""

    __slots__ = ()
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "BLANK"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self):
        return (_Blank, ())


BLANK = _Blank()


class Missing:
    """An omitted argument, as in ``=IF(A1,,2)`` or ``=PMT(r,n,pv,)``."""

    __slots__ = ()
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING = Missing()


class Array:
    """A rectangle of scalar values (rows x cols)."""

    __slots__ = ("data",)

    def __init__(self, data: list[list[Any]]):
        self.data = data

    @classmethod
    def filled(cls, rows: int, cols: int, value: Any) -> "Array":
        return cls([[value] * cols for _ in range(rows)])

    @property
    def rows(self) -> int:
        return len(self.data)

    @property
    def cols(self) -> int:
        return len(self.data[0]) if self.data else 0

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows, self.cols)

    def __iter__(self) -> Iterator[Any]:
        """Row-major iteration over the values."""
        for row in self.data:
            yield from row

    def get(self, r: int, c: int) -> Any:
        """Value at (r, c) with Excel's broadcasting of single rows/columns;
        #N/A outside the array (as when an array fills a larger range)."""
        rows, cols = self.rows, self.cols
        if rows == 1:
            r = 0
        if cols == 1:
            c = 0
        if r >= rows or c >= cols:
            return NA
        return self.data[r][c]

    def transpose(self) -> "Array":
        return Array([list(col) for col in zip(*self.data)])

    def map(self, fn) -> "Array":
        return Array([[fn(v) for v in row] for row in self.data])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Array) and other.data == self.data

    def __repr__(self) -> str:
        return f"Array({self.data!r})"


def is_number(v: Any) -> bool:
    return isinstance(v, float) or (isinstance(v, int) and not isinstance(v, bool))


def type_rank(v: Any) -> int:
    """Excel's sort/comparison order across types: numbers < text < booleans.
    Blank compares as the other side's empty value (handled by callers)."""
    if isinstance(v, bool):
        return 2
    if isinstance(v, str):
        return 1
    return 0


def number_to_text(x: float) -> str:
    """Excel's General format for a number turned into text: up to 15
    significant digits, no trailing zeros, scientific for very large or
    very small magnitudes."""
    if x == 0:
        return "0"
    if math.isnan(x) or math.isinf(x):
        return "#NUM!"
    # 15 significant digits, then Excel's choice of notation: plain for
    # magnitudes below 1E+15 and for small numbers whose digits end within
    # 18 decimals (0.000000007123456, 1E-18 as 0.000000000000000001);
    # scientific otherwise (1E+15, 1.11280735120837E-05, 1E-20).
    s = f"{abs(x):.14e}"
    digits = (s[0] + s[2:16]).rstrip("0")
    e = int(s[17:])
    sign = "-" if x < 0 else ""
    k = len(digits)
    if e >= 15 or (e < 0 and k - e - 1 > 18):
        mant = digits[0] + ("." + digits[1:] if k > 1 else "")
        return f"{sign}{mant}E{'+' if e >= 0 else '-'}{abs(e):02d}"
    if e < 0:
        return f"{sign}0.{'0' * (-e - 1)}{digits}"
    if k <= e + 1:
        return sign + digits + "0" * (e + 1 - k)
    return f"{sign}{digits[:e + 1]}.{digits[e + 1:]}"


def to_display(v: Any) -> Any:
    """JSON-friendly form: errors become their code strings, blanks None."""
    if isinstance(v, XLError):
        return v.code
    if v is BLANK or v is MISSING:
        return None
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return int(v)
    return v
