"""Lookup & reference functions: VLOOKUP/HLOOKUP/LOOKUP/MATCH, XLOOKUP/XMATCH,
and the functions that work on references themselves (INDEX, OFFSET,
INDIRECT, ROW, COLUMN, ...).

Two orderings are in play.  The classic lookups (MATCH/VLOOKUP/HLOOKUP/LOOKUP)
only ever compare the lookup value with values of its own type: a number is
never "between" two texts, and blanks or errors in the lookup vector are
skipped.  XLOOKUP/XMATCH order all values as numbers < text < logicals,
with blank cells and errors after everything (so trailing blanks of a
whole-column reference stay at the end of a binary search).

Functions that can give back a reference (INDEX, OFFSET, INDIRECT, XLOOKUP)
take ``raw`` arguments and lift themselves over array arguments, because
the registry's element-wise lifting would put references inside arrays.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from ..eval.refs import LambdaValue, MultiRef, RangeRef
from ..parser import ast as A
from ..parser.printer import col_letters
from ..values import BLANK, CALC, MISSING, NA, REF, VALUE, Array, XLError, is_number
from . import coerce, helpers
from .registry import function

MAX_ROW = 1_048_576
MAX_COL = 16_384

_OMIT = object()   # an argument not written at all (as opposed to an empty one)


# --- shared argument handling ---------------------------------------------------

def _scalar(ctx, v: Any) -> Any:
    """A raw argument in a scalar position: references dereferenced (implicit
    intersection outside array formulas), a 1x1 array unwrapped."""
    v = ctx.to_scalar_or_array(v)
    if isinstance(v, Array) and v.rows == 1 and v.cols == 1:
        v = v.data[0][0]
    return v


def _int_arg(v: Any) -> int:
    """An index argument: errors raise, blank/missing are 0, truncated."""
    if isinstance(v, XLError):
        raise v
    if v is MISSING or v is BLANK:
        return 0
    return coerce.to_int(v)


def _first_value(v: Any) -> Any:
    """One cell's worth of a result (used when lifting over an array)."""
    if isinstance(v, RangeRef):
        return v.value()
    if isinstance(v, Array):
        return v.data[0][0]
    if isinstance(v, MultiRef):
        return VALUE
    return v


def _lift(ctx, args: list[Any], scalar_positions: tuple[int, ...], fn: Callable) -> Any:
    """Call ``fn(*args)`` with the scalar positions dereferenced; when one of
    them is a multi-cell array, call it per element and return an Array."""
    args = list(args)
    shape = None
    for i in scalar_positions:
        if i < len(args) and args[i] is not _OMIT:
            args[i] = _scalar(ctx, args[i])
            if isinstance(args[i], Array):
                a = args[i]
                shape = (max(shape[0], a.rows), max(shape[1], a.cols)) if shape else a.shape
    if shape is None:
        return fn(*args)
    out = []
    for r in range(shape[0]):
        row = []
        for c in range(shape[1]):
            elem = [a.get(r, c) if (i in scalar_positions and isinstance(a, Array)) else a
                    for i, a in enumerate(args)]
            try:
                v = fn(*elem)
            except XLError as e:
                v = e
            row.append(_first_value(v))
        out.append(row)
    return Array(out)


def _grid(ctx, v: Any) -> Array:
    """Values of a table/vector argument."""
    if isinstance(v, XLError):
        raise v
    return helpers.as_grid(v)


def _dims(v: Any) -> tuple[int, int]:
    if isinstance(v, RangeRef):
        r1, c1, r2, c2 = v.full_bounds()
        return r2 - r1 + 1, c2 - c1 + 1
    if isinstance(v, Array):
        return v.shape
    return 1, 1


def _vector(arr: Array) -> list[Any] | None:
    """A one-row or one-column array as a list; None for a 2-D array."""
    if arr.rows == 1:
        return list(arr.data[0])
    if arr.cols == 1:
        return [row[0] for row in arr.data]
    return None


def _slice(v: Any, r1: int, c1: int, r2: int, c2: int) -> Any:
    """Rows r1..r2, cols c1..c2 (0-based, inclusive) of a reference or array."""
    if isinstance(v, RangeRef):
        return RangeRef(v.model, v.sheet, v.r1 + r1, v.c1 + c1, v.r1 + r2, v.c1 + c2)
    arr = v if isinstance(v, Array) else Array([[v]])
    if r1 == r2 and c1 == c2:
        return arr.data[r1][c1]
    return Array([row[c1:c2 + 1] for row in arr.data[r1:r2 + 1]])


# --- comparisons --------------------------------------------------------------------

def _same_type(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str)
    return is_number(a) and is_number(b)


def _cmp_same(a: Any, b: Any) -> int:
    """Compare two values of the same type (text case-insensitively)."""
    if isinstance(a, str):
        a, b = a.lower(), b.lower()
    return (a > b) - (a < b)


def _exact_predicate(x: Any, wildcards: bool) -> Callable[[Any], bool]:
    """Equality as the lookup functions see it: same type only, text without
    regard to case, Excel wildcards in text when ``wildcards``."""
    if isinstance(x, str):
        if wildcards and helpers.has_wildcard(x):
            rx = helpers.wildcard_regex(x)
            return lambda v: isinstance(v, str) and rx.fullmatch(v) is not None
        low = x.lower()
        return lambda v: isinstance(v, str) and v.lower() == low
    if isinstance(x, bool):
        return lambda v: isinstance(v, bool) and v == x
    if is_number(x):
        return lambda v: is_number(v) and v == x
    return lambda v: False


def _classic_key(x: Any) -> Any:
    """The classic lookups see a blank lookup value as 0."""
    if x is BLANK or x is MISSING:
        return 0.0
    return x


def _type_class(v: Any) -> int | None:
    if isinstance(v, bool):
        return 2
    if isinstance(v, str):
        return 1
    if is_number(v):
        return 0
    return None


def _ikey(v: Any) -> tuple | None:
    """Hashable identity of a value for exact lookups (text without case)."""
    if isinstance(v, bool):
        return (2, v)
    if isinstance(v, str):
        return (1, v.lower())
    if is_number(v):
        return (0, float(v))
    if v is BLANK or v is MISSING:
        return (4,)
    return None


class _Keys:
    """A lookup vector with indexes built on demand and kept (per array
    object, for the calculation) so repeated lookups into one range are
    dictionary probes and binary searches instead of scans."""

    __slots__ = ("values", "_first", "_last", "_typed")

    def __init__(self, values: list[Any]):
        self.values = values
        self._first: dict | None = None
        self._last: dict | None = None
        self._typed: dict[int, list[int]] = {}

    def _build(self) -> None:
        first: dict = {}
        last: dict = {}
        for i, v in enumerate(self.values):
            k = _ikey(v)
            if k is not None:
                first.setdefault(k, i)
                last[k] = i
        self._first, self._last = first, last

    def find(self, x: Any, from_end: bool = False) -> int:
        """Exact position of x (no wildcards), first or last; -1 if absent."""
        k = _ikey(x)
        if k is None:
            return -1
        if self._first is None:
            self._build()
        return (self._last if from_end else self._first).get(k, -1)

    def typed(self, cls: int) -> list[int]:
        """Positions of the values of one type class."""
        idx = self._typed.get(cls)
        if idx is None:
            idx = [i for i, v in enumerate(self.values) if _type_class(v) == cls]
            self._typed[cls] = idx
        return idx


_CACHE_MIN = 8       # shorter vectors are searched directly


def _keys(ctx, arr: Array, axis: str = "v", k: int = 0, src: Any = None) -> _Keys | None:
    """The lookup vector of ``arr``: the whole one-row/column array (axis 'v';
    None if 2-D), column k ('c') or row k ('r').  Indexes are kept only for
    the values of a range ``src`` that the model's range cache holds (so the
    same array object comes back for every lookup into that range)."""
    if axis == "v":
        make = lambda: _vector(arr)  # noqa: E731
    elif axis == "c":
        make = lambda: [row[k] for row in arr.data]  # noqa: E731
    else:
        make = lambda: list(arr.data[k])  # noqa: E731
    model = ctx.model if ctx is not None else None
    if (model is None or not isinstance(src, RangeRef) or arr.rows * arr.cols < _CACHE_MIN
            or model._range_cache.get((src.sheet, src.r1, src.c1, src.r2, src.c2)) is not arr):
        vals = make()
        return None if vals is None else _Keys(vals)
    store = getattr(model, "_lookup_cache", None)
    # the model replaces its range cache on every calculate(): start afresh then
    if store is None or store[0] is not model._range_cache or len(store[1]) > 4096:
        store = (model._range_cache, {})
        model._lookup_cache = store
    key = (id(arr), axis, k)
    hit = store[1].get(key)
    if hit is not None and hit[0] is arr:
        return hit[1]
    vals = make()
    keys = None if vals is None else _Keys(vals)
    store[1][key] = (arr, keys)     # the array is kept alive, so its id stays unique
    return keys


def _approx_search(keys: _Keys, x: Any, descending: bool = False) -> int:
    """Excel's binary search of MATCH type 1 / -1, VLOOKUP/HLOOKUP/LOOKUP with
    approximate match: only values of the lookup value's type take part.
    Type 1 gives the last position whose value is <= x (so the last of equal
    values); type -1 (descending data) the last position whose value is >= x.
    -1 when there is none."""
    cls = _type_class(x)
    if cls is None:
        return -1
    idx = keys.typed(cls)
    values = keys.values
    lo, hi = 0, len(idx) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        c = _cmp_same(values[idx[mid]], x)
        if (c >= 0) if descending else (c <= 0):
            lo = mid + 1
        else:
            hi = mid - 1
    return idx[hi] if hi >= 0 else -1


def _classic_find(keys: _Keys, x: Any, match_type: int) -> int:
    """0-based position for MATCH/VLOOKUP/HLOOKUP/LOOKUP, or -1."""
    x = _classic_key(x)
    if match_type == 0:
        if isinstance(x, str) and helpers.has_wildcard(x):
            pred = _exact_predicate(x, wildcards=True)
            for i, v in enumerate(keys.values):
                if pred(v):
                    return i
            return -1
        return keys.find(x)
    return _approx_search(keys, x, descending=match_type < 0)


# XLOOKUP/XMATCH ordering: numbers < text < logicals < errors/blanks.
def _xrank(v: Any) -> int:
    if isinstance(v, bool):
        return 2
    if isinstance(v, str):
        return 1
    if is_number(v):
        return 0
    return 3


def _xcmp(a: Any, b: Any) -> int:
    ra, rb = _xrank(a), _xrank(b)
    if ra != rb:
        return -1 if ra < rb else 1
    if ra == 3:
        return 0
    return _cmp_same(a, b)


def _x_equal(x: Any) -> Callable[[Any], bool]:
    if x is BLANK or x is MISSING:
        # XLOOKUP finds an empty lookup value in empty cells
        return lambda v: v is BLANK
    return _exact_predicate(x, wildcards=False)


def _x_find(keys: _Keys, x: Any, match_mode: int, search_mode: int) -> int:
    """0-based position for XLOOKUP/XMATCH, or -1."""
    values = keys.values
    n = len(values)
    if search_mode in (2, -2):
        if match_mode == 2:
            raise VALUE          # wildcards cannot be binary searched
        if match_mode == 3:
            raise VALUE
        if x is MISSING:
            x = BLANK
        seq = values if search_mode == 2 else values[::-1]
        lo, hi = 0, n
        while lo < hi:           # first position not below x
            mid = (lo + hi) // 2
            if _xcmp(seq[mid], x) < 0:
                lo = mid + 1
            else:
                hi = mid
        pos = -1
        if lo < n and _xcmp(seq[lo], x) == 0 and (x is not BLANK or seq[lo] is BLANK):
            pos = lo
        elif match_mode == -1:
            pos = lo - 1
        elif match_mode == 1:
            pos = lo if lo < n else -1
        if pos < 0:
            return -1
        return pos if search_mode == 2 else n - 1 - pos
    order = range(n) if search_mode == 1 else range(n - 1, -1, -1)
    if match_mode in (0, -1, 1) or (match_mode == 2 and not (isinstance(x, str) and helpers.has_wildcard(x))):
        i = keys.find(x, from_end=search_mode == -1)
        if i >= 0 or match_mode in (0, 2):
            return i
    if match_mode == 2:
        if isinstance(x, str):
            pred = _exact_predicate(x, wildcards=True)
        else:
            pred = _x_equal(x)
    elif match_mode == 3:
        pattern = x if isinstance(x, str) else coerce.to_text(x)
        try:
            rx = re.compile(pattern)
        except re.error:
            raise VALUE
        pred = lambda v: isinstance(v, str) and rx.search(v) is not None  # noqa: E731
    if match_mode in (2, 3):
        for i in order:
            if pred(values[i]):
                return i
    if match_mode not in (-1, 1) or x is BLANK or x is MISSING:
        return -1
    # next smaller / next larger: the closest value on the right side of x,
    # the first such in search order on ties
    best = -1
    for i in order:
        v = values[i]
        if v is BLANK or isinstance(v, XLError):
            continue
        c = _xcmp(v, x)
        if (c < 0 and match_mode == -1) or (c > 0 and match_mode == 1):
            if best < 0:
                best = i
            else:
                d = _xcmp(v, values[best])
                if (d > 0 and match_mode == -1) or (d < 0 and match_mode == 1):
                    best = i
    return best


def _check_modes(match_mode: Any, search_mode: Any) -> tuple[int, int]:
    mm = coerce.to_int(match_mode) if match_mode not in (MISSING, _OMIT) else 0
    sm = coerce.to_int(search_mode) if search_mode not in (MISSING, _OMIT) else 1
    if mm not in (0, -1, 1, 2, 3) or sm not in (1, -1, 2, -2):
        raise VALUE
    return mm, sm


# --- MATCH / VLOOKUP / HLOOKUP / LOOKUP ------------------------------------------

@function("MATCH", "any, raw, number?", category="lookup", context=True)
def MATCH(ctx, x, lookup, match_type=1.0):
    """Position of a value in a one-row or one-column range."""
    keys = _keys(ctx, _grid(ctx, lookup), src=lookup)
    if keys is None:
        return NA
    mt = 0 if match_type == 0 else (1 if match_type > 0 else -1)
    i = _classic_find(keys, x, mt)
    return NA if i < 0 else float(i + 1)


def _table_arg(table: Any) -> Array:
    if isinstance(table, str):
        raise VALUE              # a text is no table
    return _grid(None, table)


@function("VLOOKUP", "any, raw, int, bool?", category="lookup", context=True)
def VLOOKUP(ctx, x, table, col, approx=True):
    """Look down the first column of a table, return from column ``col``."""
    arr = _table_arg(table)
    if col < 1:
        return VALUE
    if col > arr.cols:
        return REF
    i = _classic_find(_keys(ctx, arr, "c", 0, table), x, 1 if approx else 0)
    return NA if i < 0 else arr.data[i][col - 1]


@function("HLOOKUP", "any, raw, int, bool?", category="lookup", context=True)
def HLOOKUP(ctx, x, table, row, approx=True):
    """Look along the first row of a table, return from row ``row``."""
    arr = _table_arg(table)
    if row < 1:
        return VALUE
    if row > arr.rows:
        return REF
    i = _classic_find(_keys(ctx, arr, "r", 0, table), x, 1 if approx else 0)
    return NA if i < 0 else arr.data[row - 1][i]


@function("LOOKUP", "any, raw, raw?", category="lookup", context=True, array_args=(1, 2))
def LOOKUP(ctx, x, lookup, result=_OMIT):
    """Vector form (lookup vector, result vector) or array form (search the
    first row or column of a table, return from the last)."""
    arr = _grid(ctx, lookup)
    if result is _OMIT or result is MISSING:
        if arr.cols > arr.rows:
            i = _classic_find(_keys(ctx, arr, "r", 0, lookup), x, 1)
            return NA if i < 0 else arr.data[-1][i]
        i = _classic_find(_keys(ctx, arr, "c", 0, lookup), x, 1)
        return NA if i < 0 else arr.data[i][-1]
    keys = _keys(ctx, arr, src=lookup)
    if keys is None:
        return NA
    i = _classic_find(keys, x, 1)
    if i < 0:
        return NA
    if isinstance(result, XLError):
        return result
    if isinstance(result, RangeRef):
        # a result range shorter than the lookup vector extends along its direction
        if result.rows == 1 and result.cols > 1 or (result.is_cell and arr.rows == 1 and arr.cols > 1):
            return result.model.cell_value(result.sheet, result.r1, result.c1 + i)
        return result.model.cell_value(result.sheet, result.r1 + i, result.c1)
    res = _vector(_grid(ctx, result))
    if res is None:
        return NA
    return res[i] if i < len(res) else NA


# --- XLOOKUP / XMATCH --------------------------------------------------------------

@function("XMATCH", "raw, raw, raw?, raw?", category="lookup", context=True, array_args=(1,))
def XMATCH(ctx, x, lookup, match_mode=_OMIT, search_mode=_OMIT):
    """Position of a value, with XLOOKUP's match and search modes."""
    keys = _keys(ctx, _grid(ctx, lookup), src=lookup)
    if keys is None:
        return VALUE

    def one(x, mm, sm):
        if isinstance(x, XLError):
            return x
        if isinstance(mm, XLError):
            return mm
        if isinstance(sm, XLError):
            return sm
        mm, sm = _check_modes(mm, sm)
        i = _x_find(keys, x, mm, sm)
        return NA if i < 0 else float(i + 1)

    return _lift(ctx, [x, match_mode, search_mode], (0, 1, 2), one)


@function("XLOOKUP", "raw, raw, raw, raw?, raw?, raw?", category="lookup", context=True, array_result=True,
          array_args=(1, 2))
def XLOOKUP(ctx, x, lookup, result, if_not_found=_OMIT, match_mode=_OMIT, search_mode=_OMIT):
    """Find a value in one vector and return the matching item (or row or
    column) of another; a reference when the return array is a range."""
    for a in (lookup, result):
        if isinstance(a, XLError):
            return a
    larr = _grid(ctx, lookup)
    keys = _keys(ctx, larr, src=lookup)
    if keys is None:
        return VALUE
    # sizes as written (A:A has 1048576 rows), values only up to the used area
    lrows, lcols = _dims(lookup) if isinstance(lookup, RangeRef) else larr.shape
    rrows, rcols = _dims(result)
    if lcols == 1 and rrows == lrows:
        by_rows = True
    elif lrows == 1 and rcols == lcols:
        by_rows = False
    else:
        return VALUE
    if not isinstance(result, (RangeRef, Array)):
        if isinstance(result, (MultiRef, LambdaValue)):
            return VALUE
        result = Array([[result]])

    def one(x, mm, sm):
        if isinstance(x, XLError):
            return x
        for m in (mm, sm):
            if isinstance(m, XLError):
                return m
        mm, sm = _check_modes(mm, sm)
        i = _x_find(keys, x, mm, sm)
        if i < 0:
            if if_not_found is _OMIT or if_not_found is MISSING:
                return NA
            return if_not_found
        if by_rows:
            return _slice(result, i, 0, i, rcols - 1)
        return _slice(result, 0, i, rrows - 1, i)

    return _lift(ctx, [x, match_mode, search_mode], (0, 1, 2), one)


# --- INDEX / OFFSET / INDIRECT ----------------------------------------------------------

@function("INDEX", "raw, raw?, raw?, raw?", category="lookup", context=True, array_result=True,
          array_args=(0,))
def INDEX(ctx, ref, row=_OMIT, col=_OMIT, area=_OMIT):
    """The cell (or whole row/column) at a position of a range or array; a
    reference when given a reference."""
    if isinstance(ref, XLError):
        return ref
    if isinstance(ref, LambdaValue):
        return VALUE
    if area is not _OMIT:
        k = _int_arg(_scalar(ctx, area)) if area is not MISSING else 1
        if isinstance(ref, MultiRef):
            if not 1 <= k <= len(ref.areas):
                return REF
            ref = ref.areas[k - 1]
        elif k != 1:
            return REF
    elif isinstance(ref, MultiRef):
        ref = ref.areas[0]          # area_num defaults to the first area
    if not isinstance(ref, (RangeRef, Array)):
        ref = Array([[ref]])
    rows, cols = _dims(ref)

    def one(row, col):
        r = None if row is _OMIT else _int_arg(row)
        c = None if col is _OMIT else _int_arg(col)
        if (r is not None and r < 0) or (c is not None and c < 0):
            return VALUE
        if c is None:
            if rows == 1 and cols > 1:
                r, c = 0, (r or 0)       # a single row: the one index counts columns
            else:
                c = 0
        r = r or 0
        if r > rows or c > cols:
            return REF
        if r == 0 and c == 0:
            return ref
        if r == 0:
            if isinstance(ref, RangeRef) and ref.whole == "cols":
                return RangeRef(ref.model, ref.sheet, ref.r1, ref.c1 + c - 1, ref.r2, ref.c1 + c - 1, "cols")
            return _slice(ref, 0, c - 1, ref.rows - 1 if isinstance(ref, RangeRef) else rows - 1, c - 1)
        if c == 0:
            if isinstance(ref, RangeRef) and ref.whole == "rows":
                return RangeRef(ref.model, ref.sheet, ref.r1 + r - 1, ref.c1, ref.r1 + r - 1, ref.c2, "rows")
            return _slice(ref, r - 1, 0, r - 1, ref.cols - 1 if isinstance(ref, RangeRef) else cols - 1)
        return _slice(ref, r - 1, c - 1, r - 1, c - 1)

    return _lift(ctx, [row, col], (0, 1), one)


def _extent(x: Any) -> int:
    """OFFSET's height/width: truncated, but a fraction below one still
    counts as one row/column."""
    x = coerce.to_number(x)
    n = int(x)
    if n == 0 and x != 0:
        n = 1 if x > 0 else -1
    return n


@function("OFFSET", "raw, raw, raw, raw?, raw?", category="lookup", context=True, array_result=True)
def OFFSET(ctx, ref, rows, cols, height=_OMIT, width=_OMIT):
    """A reference moved by rows/cols from ``ref``, optionally resized."""
    if isinstance(ref, XLError):
        return ref
    if not isinstance(ref, RangeRef):
        return VALUE
    fr1, fc1, fr2, fc2 = ref.full_bounds()

    def one(dr, dc, h, w):
        for a in (dr, dc, h, w):
            if isinstance(a, XLError):
                return a
        dr, dc = _int_arg(dr), _int_arg(dc)
        h = (fr2 - fr1 + 1) if h in (_OMIT, MISSING) else _extent(h)
        w = (fc2 - fc1 + 1) if w in (_OMIT, MISSING) else _extent(w)
        if h == 0 or w == 0:
            return REF
        r1, c1 = fr1 + dr, fc1 + dc
        r2, c2 = r1 + h - 1, c1 + w - 1
        if h < 0:
            r1, r2 = r1 + h + 1, r1
        if w < 0:
            c1, c2 = c1 + w + 1, c1
        if r1 < 1 or c1 < 1 or r2 > MAX_ROW or c2 > MAX_COL:
            return REF
        whole = None
        if r1 == 1 and r2 == MAX_ROW:
            whole = "cols"
            r2 = min(r2, ref.model.used[ref.sheet][0])
        elif c1 == 1 and c2 == MAX_COL:
            whole = "rows"
            c2 = min(c2, ref.model.used[ref.sheet][1])
        return RangeRef(ref.model, ref.sheet, r1, c1, r2, c2, whole)

    return _lift(ctx, [rows, cols, height, width], (0, 1, 2, 3), one)


_R1C1_SIDE = re.compile(r"(?:R(\[-?\d+\]|\d+)?)?(?:C(\[-?\d+\]|\d+)?)?", re.IGNORECASE)
_SHEET_RE = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!(.*)$")


def _r1c1_coord(tok: str | None, base: int) -> int | None:
    if tok is None:
        return None
    if tok.startswith("["):
        return base + int(tok[1:-1])
    return int(tok)


def _parse_r1c1(text: str, ctx) -> tuple[int | None, int | None, int | None, int | None] | None:
    """(r1, c1, r2, c2) of an R1C1 reference (R2C3, R[1]C[-1], R2:R4, C3,
    R1C1:R2C2); None sides mean whole rows/columns; None if not R1C1."""
    sides = []
    for part in text.split(":"):
        up = part.upper()
        m = _R1C1_SIDE.fullmatch(part)
        if not part or not m:
            return None
        has_r, has_c = up.startswith("R"), "C" in up
        r = _r1c1_coord(m.group(1), ctx.row) if has_r else None
        c = _r1c1_coord(m.group(2), ctx.col) if has_c else None
        if has_r and r is None:
            r = ctx.row          # a bare R means the formula's own row
        if has_c and c is None:
            c = ctx.col
        sides.append((r, c, has_r, has_c))
    if len(sides) > 2 or (len(sides) == 2 and sides[0][2:] != sides[1][2:]):
        return None
    a, b = sides[0], sides[-1]
    return a[0], a[1], b[0], b[1]


def _indirect_r1c1(ctx, text: str) -> Any:
    sheet = None
    m = _SHEET_RE.match(text)
    if m:
        sheet = (m.group(1).replace("''", "'") if m.group(1) else m.group(2))
        text = m.group(3)
    p = _parse_r1c1(text, ctx)
    if p is None:
        return REF
    r1, c1, r2, c2 = p
    for v, hi in ((r1, MAX_ROW), (r2, MAX_ROW), (c1, MAX_COL), (c2, MAX_COL)):
        if v is not None and not 1 <= v <= hi:
            return REF
    node = A.Ref(sheet, None if r1 is None else min(r1, r2), None if c1 is None else min(c1, c2),
                 None if r2 is None else max(r1, r2), None if c2 is None else max(c1, c2))
    return ctx.model.resolve_ref(node, ctx)


def _ref_node_ok(node: A.Node) -> bool:
    if isinstance(node, A.Ref):
        return node.book is None
    if isinstance(node, A.Name):
        return node.book is None
    if isinstance(node, A.StructRef):
        return True
    if isinstance(node, A.Spill):
        return _ref_node_ok(node.operand)
    if isinstance(node, A.Binary) and node.op in (":", " "):
        return _ref_node_ok(node.left) and _ref_node_ok(node.right)
    if isinstance(node, A.Union):
        return all(_ref_node_ok(i) for i in node.items)
    return False


@function("INDIRECT", "raw, raw?", category="lookup", context=True, array_result=True)
def INDIRECT(ctx, text, a1=_OMIT):
    """The reference written in a text (A1 or R1C1 style, sheet-qualified,
    or a defined name)."""
    from ..eval.context import evaluate
    from ..parser import parse_formula

    def one(text, a1):
        if isinstance(text, XLError):
            return text
        if isinstance(a1, XLError):
            return a1
        style_a1 = True if a1 in (_OMIT, MISSING) else coerce.to_bool(a1)
        if not isinstance(text, str):
            return REF
        t = text.strip()
        if not t:
            return REF
        if not style_a1:
            return _indirect_r1c1(ctx, t)
        try:
            node = parse_formula(t)
        except Exception:
            return REF
        if not _ref_node_ok(node):
            return REF
        v = evaluate(node, ctx)
        if isinstance(v, (RangeRef, MultiRef)):
            return v
        return REF

    return _lift(ctx, [text, a1], (0, 1), one)


# --- references as values: ROW, COLUMN, ROWS, COLUMNS, AREAS ...---------------------------

@function("ROW", "raw?", category="lookup", context=True, array_result=True)
def ROW(ctx, ref=_OMIT):
    """Row number of the formula's cell, or the row numbers of a reference."""
    if ref is _OMIT or ref is MISSING:
        return float(ctx.row)
    if isinstance(ref, XLError):
        return ref
    if isinstance(ref, MultiRef):
        return REF if len(ref.areas) != 1 else ROW(ctx, ref.areas[0])
    if not isinstance(ref, RangeRef):
        return VALUE
    if ref.rows == 1:
        return float(ref.r1)
    return Array([[float(r)] for r in range(ref.r1, ref.r2 + 1)])


@function("COLUMN", "raw?", category="lookup", context=True, array_result=True)
def COLUMN(ctx, ref=_OMIT):
    """Column number of the formula's cell, or the column numbers of a reference."""
    if ref is _OMIT or ref is MISSING:
        return float(ctx.col)
    if isinstance(ref, XLError):
        return ref
    if isinstance(ref, MultiRef):
        return REF if len(ref.areas) != 1 else COLUMN(ctx, ref.areas[0])
    if not isinstance(ref, RangeRef):
        return VALUE
    if ref.cols == 1:
        return float(ref.c1)
    return Array([[float(c) for c in range(ref.c1, ref.c2 + 1)]])


def _count_dims(ref: Any, which: int) -> Any:
    if isinstance(ref, XLError):
        return ref
    if isinstance(ref, MultiRef):
        return REF if len(ref.areas) != 1 else _count_dims(ref.areas[0], which)
    if isinstance(ref, LambdaValue):
        return VALUE
    if ref is MISSING:
        return VALUE
    return float(_dims(ref)[which])


@function("ROWS", "raw", category="lookup")
def ROWS(ref):
    """Number of rows of a reference or array."""
    return _count_dims(ref, 0)


@function("COLUMNS", "raw", category="lookup")
def COLUMNS(ref):
    """Number of columns of a reference or array."""
    return _count_dims(ref, 1)


@function("AREAS", "raw", category="lookup")
def AREAS(ref):
    """Number of areas of a reference."""
    if isinstance(ref, XLError):
        return ref
    if isinstance(ref, MultiRef):
        return float(len(ref.areas))
    if isinstance(ref, RangeRef):
        return 1.0
    return VALUE


@function("ADDRESS", "int, int, int?, bool?, raw?", category="lookup")
def ADDRESS(row, col, abs_num=1, a1=True, sheet=_OMIT):
    """A cell address as text."""
    if not 1 <= row <= MAX_ROW or not 1 <= col <= MAX_COL or abs_num not in (1, 2, 3, 4):
        return VALUE
    row_abs = abs_num in (1, 2)
    col_abs = abs_num in (1, 3)
    if a1:
        addr = ("$" if col_abs else "") + col_letters(col) + ("$" if row_abs else "") + str(row)
    else:
        addr = ("R" + str(row) if row_abs else f"R[{row}]") + ("C" + str(col) if col_abs else f"C[{col}]")
    if sheet is _OMIT or sheet is MISSING:
        return addr
    if isinstance(sheet, XLError):
        return sheet
    name = coerce.to_text(sheet if not isinstance(sheet, (RangeRef, Array)) else _first_value(sheet))
    return _sheet_ref_text(name) + addr


def _sheet_ref_text(name: str) -> str:
    if name == "":
        return "!"
    plain = re.fullmatch(r"[A-Za-z_\u00a1-\uffff][A-Za-z0-9_.\u00a1-\uffff]*", name)
    looks_like_ref = re.fullmatch(r"[A-Za-z]{1,3}[0-9]+|[Rr][0-9]*([Cc][0-9]*)?|[Cc][0-9]*", name)
    if plain and not looks_like_ref:
        return name + "!"
    return "'" + name.replace("'", "''") + "'!"


@function("TRANSPOSE", "array", category="lookup", array_result=True)
def TRANSPOSE(arr):
    """Rows become columns."""
    return arr.transpose()


@function("FORMULATEXT", "raw", category="lookup", context=True)
def FORMULATEXT(ctx, ref):
    """The formula of a cell as text."""
    if isinstance(ref, XLError):
        return ref
    if isinstance(ref, MultiRef):
        ref = ref.areas[0]
    if not isinstance(ref, RangeRef):
        return VALUE if ref is not MISSING else NA
    key = (ref.sheet, ref.r1, ref.c1)
    model = ctx.model
    if key not in model.formulas:
        owner = model.array_owner.get(key)
        f = model.formulas.get(owner) if owner else None
        if f is None or f.dynamic:
            return NA
        key = owner
    f = model.formulas[key]
    text = _strip_prefixes(model.formula_text(key))
    if f.array_ref is not None and not f.dynamic:
        return "{=" + text + "}"
    return "=" + text


def _strip_prefixes(text: str) -> str:
    """Drop the file format's _xlfn./_xlws./_xlpm. prefixes outside strings."""
    parts = re.split(r'("(?:[^"]|"")*")', text)
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r"(?i)_xlfn\._xlws\.|_xlfn\.|_xlws\.|_xlpm\.", "", parts[i])
    return "".join(parts)


@function("HYPERLINK", "any, any?", category="lookup")
def HYPERLINK(link, friendly=_OMIT):
    """The friendly name (or the link) shown by a hyperlink cell."""
    if friendly is _OMIT or friendly is MISSING:
        return link
    return friendly


@function("SHEET", "raw?", category="lookup", context=True)
def SHEET(ctx, v=_OMIT):
    """Sheet number of the formula's sheet, a reference or a sheet name."""
    if v is _OMIT or v is MISSING:
        return float(ctx.sheet + 1)
    if isinstance(v, XLError):
        return v
    if isinstance(v, RangeRef):
        return float(v.sheet + 1)
    if isinstance(v, MultiRef):
        return float(v.areas[0].sheet + 1)
    if isinstance(v, str):
        i = ctx.model._sheet_idx.get(v.lower())
        return NA if i is None else float(i + 1)
    return NA


@function("SHEETS", "raw?", category="lookup", context=True)
def SHEETS(ctx, v=_OMIT):
    """Number of sheets in the workbook or in a (3-D) reference."""
    if v is _OMIT or v is MISSING:
        return float(len(ctx.model.sheet_names))
    if isinstance(v, XLError):
        return v
    if isinstance(v, RangeRef):
        return 1.0
    if isinstance(v, MultiRef):
        return float(len({a.sheet for a in v.areas}))
    return NA


@function("TRIMRANGE", "raw, int?, int?", category="lookup", context=True, array_result=True)
def TRIMRANGE(ctx, ref, trim_rows=3, trim_cols=3):
    """A range or array without its empty outer rows and/or columns."""
    if isinstance(ref, XLError):
        return ref
    if trim_rows not in (0, 1, 2, 3) or trim_cols not in (0, 1, 2, 3):
        return VALUE
    arr = _grid(ctx, ref)
    rows, cols = arr.shape
    filled_rows = [r for r in range(rows) if any(v is not BLANK for v in arr.data[r])]
    filled_cols = [c for c in range(cols) if any(arr.data[r][c] is not BLANK for r in range(rows))]
    if not filled_rows:
        return REF if isinstance(ref, RangeRef) else CALC
    r1, r2 = 0, rows - 1
    c1, c2 = 0, cols - 1
    if trim_rows in (1, 3):
        r1 = filled_rows[0]
    if trim_rows in (2, 3):
        r2 = filled_rows[-1]
    if trim_cols in (1, 3):
        c1 = filled_cols[0]
    if trim_cols in (2, 3):
        c2 = filled_cols[-1]
    if isinstance(ref, RangeRef):
        return RangeRef(ref.model, ref.sheet, ref.r1 + r1, ref.c1 + c1, ref.r1 + r2, ref.c1 + c2)
    return Array([row[c1:c2 + 1] for row in arr.data[r1:r2 + 1]])


__all__ = ["MATCH", "VLOOKUP", "HLOOKUP", "LOOKUP", "XLOOKUP", "XMATCH", "INDEX", "OFFSET",
           "INDIRECT", "ROW", "COLUMN", "ROWS", "COLUMNS", "AREAS", "ADDRESS", "TRANSPOSE",
           "FORMULATEXT", "HYPERLINK", "SHEET", "SHEETS", "TRIMRANGE"]
