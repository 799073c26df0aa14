"""Dynamic-array functions (FILTER, SORT, UNIQUE, SEQUENCE, the shaping
functions TAKE/DROP/VSTACK/TOCOL/WRAPROWS...) and the LAMBDA helpers (MAP,
REDUCE, SCAN, BYROW, BYCOL, MAKEARRAY, ISOMITTED).

They return whole arrays that spill from the formula's cell.  An empty
result is Excel's #CALC! error.
"""
from __future__ import annotations

import functools
import random
from typing import Any

from ..eval.refs import LambdaValue, MultiRef, RangeRef
from ..values import (BLANK, CALC, ERROR_TYPE_NUMBER, MISSING, NA, NUM, VALUE, Array, XLError,
                      is_number)
from . import coerce, helpers
from .registry import function

_OMIT = object()   # an argument not written at all

MAX_CELLS = 1_048_576 * 16    # a guard against absurd array sizes


# --- shared helpers ---------------------------------------------------------------

def _given(v: Any) -> bool:
    return v is not _OMIT and v is not MISSING


def _scalar(ctx, v: Any) -> Any:
    v = ctx.to_scalar_or_array(v)
    if isinstance(v, Array):
        v = v.data[0][0]
    if isinstance(v, XLError):
        raise v
    return v


def _opt_int(ctx, v: Any, default: int) -> int:
    if not _given(v):
        return default
    return coerce.to_int(_scalar(ctx, v))


def _opt_bool(ctx, v: Any, default: bool) -> bool:
    if not _given(v):
        return default
    return coerce.to_bool(_scalar(ctx, v))


def _arr(ctx, v: Any) -> Array:
    """Any argument as an Array (a 3-D/union reference is not one)."""
    return helpers.as_grid(v)


def _vector_or_none(arr: Array) -> list[Any] | None:
    if arr.cols == 1:
        return [r[0] for r in arr.data]
    if arr.rows == 1:
        return list(arr.data[0])
    return None


def _empty() -> XLError:
    return CALC.with_message("empty array")


def _check_size(rows: int, cols: int) -> None:
    if rows * cols > MAX_CELLS:
        raise NUM


# --- sort order -------------------------------------------------------------------

def _class(v: Any) -> int:
    """SORT's order of types: numbers, text, logicals, errors; blanks last."""
    if v is BLANK or v is MISSING:
        return 4
    if isinstance(v, bool):
        return 2
    if isinstance(v, str):
        return 1
    if isinstance(v, XLError):
        return 3
    return 0


def _compare(a: Any, b: Any, descending: bool) -> int:
    ca, cb = _class(a), _class(b)
    if ca == 4 or cb == 4:
        return (ca == 4) - (cb == 4)     # blanks stay at the end either way
    if ca != cb:
        c = -1 if ca < cb else 1
    elif ca == 1:
        x, y = a.lower(), b.lower()
        c = (x > y) - (x < y)
    elif ca == 3:
        x, y = ERROR_TYPE_NUMBER.get(a.code, 99), ERROR_TYPE_NUMBER.get(b.code, 99)
        c = (x > y) - (x < y)
    else:
        c = (a > b) - (a < b)
    return -c if descending else c


def _sort_lines(lines: list[list[Any]], keys: list[tuple[int, bool]]) -> list[list[Any]]:
    """Stable sort of rows by (column index, descending) keys."""
    def cmp(x, y):
        for k, desc in keys:
            c = _compare(x[k], y[k], desc)
            if c:
                return c
        return 0
    return sorted(lines, key=functools.cmp_to_key(cmp))


def _orders(ctx, v: Any, count: int) -> list[bool]:
    """sort_order argument(s) -> descending flags (1 ascending, -1 descending)."""
    if not _given(v):
        return [False] * count
    vals = [x for x in _arr(ctx, v)]
    out = []
    for x in vals:
        if isinstance(x, XLError):
            raise x
        o = coerce.to_int(x) if x is not BLANK else 0
        if o not in (1, -1):
            raise VALUE
        out.append(o == -1)
    if len(out) == 1:
        out = out * count
    if len(out) != count:
        raise VALUE
    return out


# --- FILTER / SORT / SORTBY / UNIQUE ----------------------------------------------------

def _truthy(v: Any) -> bool:
    if isinstance(v, XLError):
        raise v
    if isinstance(v, bool):
        return v
    if is_number(v):
        return v != 0
    if v is BLANK:
        return False
    raise VALUE


@function("FILTER", "array, array, raw?", category="dynamic", array_result=True)
def FILTER(arr, include, if_empty=_OMIT):
    """The rows (or columns) of an array where ``include`` is true."""
    if include.cols == 1 and include.rows == arr.rows:
        keep = [_truthy(v) for v in include]
        out = [row for row, k in zip(arr.data, keep) if k]
        result = Array(out) if out else None
    elif include.rows == 1 and include.cols == arr.cols:
        keep = [_truthy(v) for v in include]
        idx = [j for j, k in enumerate(keep) if k]
        result = Array([[row[j] for j in idx] for row in arr.data]) if idx else None
    else:
        return VALUE
    if result is None:
        if if_empty is _OMIT:
            return _empty()
        return BLANK if if_empty is MISSING else if_empty
    return result


@function("SORT", "array, raw?, raw?, raw?", category="dynamic", array_result=True, context=True)
def SORT(ctx, arr, sort_index=_OMIT, sort_order=_OMIT, by_col=_OMIT):
    """The array sorted by one or more of its columns (or rows)."""
    cols_mode = _opt_bool(ctx, by_col, False)
    data = arr.transpose().data if cols_mode else arr.data
    width = len(data[0])
    if _given(sort_index):
        idx = []
        for x in _arr(ctx, sort_index):
            if isinstance(x, XLError):
                raise x
            idx.append(coerce.to_int(x))
    else:
        idx = [1]
    if any(not 1 <= i <= width for i in idx):
        return VALUE
    desc = _orders(ctx, sort_order, len(idx))
    out = _sort_lines(data, [(i - 1, d) for i, d in zip(idx, desc)])
    res = Array(out)
    return res.transpose() if cols_mode else res


@function("SORTBY", "array, raw+", category="dynamic", array_result=True, context=True, array_args="all")
def SORTBY(ctx, arr, *pairs):
    """The array sorted by other arrays (each with its own order)."""
    keys: list[list[Any]] = []
    desc: list[bool] = []
    mode = None
    for i in range(0, len(pairs), 2):
        by = _arr(ctx, pairs[i])
        order = pairs[i + 1] if i + 1 < len(pairs) else _OMIT
        if by.cols == 1 and by.rows == arr.rows and (by.rows > 1 or mode != "cols"):
            m = "rows"
            vec = [r[0] for r in by.data]
        elif by.rows == 1 and by.cols == arr.cols:
            m = "cols"
            vec = list(by.data[0])
        else:
            return VALUE
        if mode is not None and m != mode:
            return VALUE
        mode = m
        keys.append(vec)
        desc.extend(_orders(ctx, order, 1))
    lines = arr.data if mode == "rows" else arr.transpose().data
    tagged = [list(k) + [j] for j, k in enumerate(zip(*keys))]
    order_ = _sort_lines(tagged, [(k, d) for k, d in enumerate(desc)])
    out = [lines[t[-1]] for t in order_]
    res = Array(out)
    return res if mode == "rows" else res.transpose()


def _key(v: Any) -> tuple:
    """Identity of a value for UNIQUE: text without regard to case."""
    if isinstance(v, str):
        return (1, v.lower())
    if isinstance(v, bool):
        return (2, v)
    if isinstance(v, XLError):
        return (3, v.code)
    if v is BLANK or v is MISSING:
        return (4,)
    return (0, v)


@function("UNIQUE", "array, raw?, raw?", category="dynamic", array_result=True, context=True)
def UNIQUE(ctx, arr, by_col=_OMIT, exactly_once=_OMIT):
    """The distinct rows (or columns) of an array, in first-seen order."""
    cols_mode = _opt_bool(ctx, by_col, False)
    once = _opt_bool(ctx, exactly_once, False)
    lines = arr.transpose().data if cols_mode else arr.data
    counts: dict[tuple, int] = {}
    first: dict[tuple, list] = {}
    for line in lines:
        k = tuple(_key(v) for v in line)
        counts[k] = counts.get(k, 0) + 1
        first.setdefault(k, line)
    out = [first[k] for k in first if not once or counts[k] == 1]
    if not out:
        return _empty()
    res = Array(out)
    return res.transpose() if cols_mode else res


# --- SEQUENCE / RANDARRAY ----------------------------------------------------------------

def _num_or(ctx, v: Any, default: float) -> float:
    if not _given(v):
        return default
    return coerce.to_number(_scalar(ctx, v))


def _dim(ctx, v: Any) -> int:
    n = int(_num_or(ctx, v, 1.0))
    if n < 0:
        raise VALUE
    if n == 0:
        raise _empty()
    return n


@function("SEQUENCE", "raw, raw?, raw?, raw?", category="dynamic", array_result=True, context=True)
def SEQUENCE(ctx, rows, cols=_OMIT, start=_OMIT, step=_OMIT):
    """A rows x cols array of evenly spaced numbers."""
    r, c = _dim(ctx, rows), _dim(ctx, cols)
    s, d = _num_or(ctx, start, 1.0), _num_or(ctx, step, 1.0)
    _check_size(r, c)
    return Array([[s + (i * c + j) * d for j in range(c)] for i in range(r)])


def randarray_shape(ctx, rows: Any = _OMIT, cols: Any = _OMIT) -> tuple[int, int]:
    """RANDARRAY's rows x cols from its evaluated arguments (raises XLError)."""
    r, c = _dim(ctx, rows), _dim(ctx, cols)
    _check_size(r, c)
    return r, c


def randarray_bounds(ctx, lo: Any = _OMIT, hi: Any = _OMIT, integer: Any = _OMIT) -> tuple[float, float, bool]:
    """RANDARRAY's (min, max, whole) from its evaluated arguments; #VALUE!
    (raised) when min > max or, for whole numbers, a bound is not whole."""
    a, b = _num_or(ctx, lo, 0.0), _num_or(ctx, hi, 1.0)
    whole = _opt_bool(ctx, integer, False)
    if a > b:
        raise VALUE.with_message("RANDARRAY: min is greater than max")
    if whole and (a != int(a) or b != int(b)):
        raise VALUE.with_message("RANDARRAY: whole numbers need whole bounds")
    return a, b, whole


@function("RANDARRAY", "raw?, raw?, raw?, raw?, raw?", category="dynamic", array_result=True,
          context=True, volatile=True)
def RANDARRAY(ctx, rows=_OMIT, cols=_OMIT, lo=_OMIT, hi=_OMIT, integer=_OMIT):
    """An array of random numbers (optionally whole numbers) in [lo, hi].
    (In a Monte Carlo simulation each element is a random input instead:
    engine.montecarlo.functions.)"""
    r, c = _dim(ctx, rows), _dim(ctx, cols)
    a, b, whole = randarray_bounds(ctx, lo, hi, integer)
    _check_size(r, c)
    if whole:
        return Array([[float(random.randint(int(a), int(b))) for _ in range(c)] for _ in range(r)])
    return Array([[a + random.random() * (b - a) for _ in range(c)] for _ in range(r)])


# --- TAKE / DROP / CHOOSEROWS / CHOOSECOLS / EXPAND --------------------------------------

def _take_span(n: int, k: int | None) -> tuple[int, int]:
    if k is None:
        return 0, n
    if k >= 0:
        return 0, min(k, n)
    return max(n + k, 0), n


def _drop_span(n: int, k: int | None) -> tuple[int, int]:
    if k is None:
        return 0, n
    if k >= 0:
        return min(k, n), n
    return 0, max(n + k, 0)


def _opt_count(ctx, v: Any) -> int | None:
    if not _given(v):
        return None
    x = _scalar(ctx, v)
    return coerce.to_int(x)


@function("TAKE", "array, raw?, raw?", category="dynamic", array_result=True, context=True)
def TAKE(ctx, arr, rows=_OMIT, cols=_OMIT):
    """The first (or, negative, last) rows and columns of an array."""
    kr, kc = _opt_count(ctx, rows), _opt_count(ctx, cols)
    if kr == 0 or kc == 0:
        return _empty()
    r1, r2 = _take_span(arr.rows, kr)
    c1, c2 = _take_span(arr.cols, kc)
    return Array([row[c1:c2] for row in arr.data[r1:r2]])


@function("DROP", "array, raw?, raw?", category="dynamic", array_result=True, context=True)
def DROP(ctx, arr, rows=_OMIT, cols=_OMIT):
    """The array without its first (or, negative, last) rows and columns."""
    kr, kc = _opt_count(ctx, rows), _opt_count(ctx, cols)
    r1, r2 = _drop_span(arr.rows, kr)
    c1, c2 = _drop_span(arr.cols, kc)
    if r1 >= r2 or c1 >= c2:
        return _empty()
    return Array([row[c1:c2] for row in arr.data[r1:r2]])


def _picks(ctx, nums: tuple, n: int) -> list[int]:
    out = []
    for a in nums:
        for x in _arr(ctx, a):
            if isinstance(x, XLError):
                raise x
            k = coerce.to_int(x)
            if k < 0:
                k = n + k + 1
            if not 1 <= k <= n:
                raise VALUE
            out.append(k - 1)
    return out


@function("CHOOSEROWS", "array, raw+", category="dynamic", array_result=True, context=True)
def CHOOSEROWS(ctx, arr, *nums):
    """The given rows of an array (negative numbers count from the end)."""
    return Array([list(arr.data[i]) for i in _picks(ctx, nums, arr.rows)])


@function("CHOOSECOLS", "array, raw+", category="dynamic", array_result=True, context=True)
def CHOOSECOLS(ctx, arr, *nums):
    """The given columns of an array (negative numbers count from the end)."""
    idx = _picks(ctx, nums, arr.cols)
    return Array([[row[j] for j in idx] for row in arr.data])


@function("EXPAND", "array, raw?, raw?, raw?", category="dynamic", array_result=True, context=True)
def EXPAND(ctx, arr, rows=_OMIT, cols=_OMIT, pad=_OMIT):
    """The array grown to rows x cols, padded (with #N/A by default)."""
    r = _opt_count(ctx, rows)
    c = _opt_count(ctx, cols)
    r = arr.rows if r is None else r
    c = arr.cols if c is None else c
    if r < arr.rows or c < arr.cols:
        return VALUE
    _check_size(r, c)
    fill = NA if not _given(pad) else ctx.to_scalar_or_array(pad)
    if isinstance(fill, Array):
        fill = fill.data[0][0]
    out = []
    for i in range(r):
        if i < arr.rows:
            out.append(list(arr.data[i]) + [fill] * (c - arr.cols))
        else:
            out.append([fill] * c)
    return Array(out)


# --- VSTACK / HSTACK / TOCOL / TOROW / WRAPROWS / WRAPCOLS --------------------------------

def _pieces(ctx, args: tuple) -> list[Array]:
    out = []
    for a in args:
        if isinstance(a, MultiRef):
            out.extend(x.to_array() for x in a.areas)
        else:
            out.append(_arr(ctx, a))
    return out


@function("VSTACK", "raw+", category="dynamic", array_result=True, context=True, array_args="all")
def VSTACK(ctx, *arrays):
    """Arrays stacked one below the other (short rows padded with #N/A)."""
    parts = _pieces(ctx, arrays)
    width = max(p.cols for p in parts)
    out = []
    for p in parts:
        for row in p.data:
            out.append(list(row) + [NA] * (width - len(row)))
    return Array(out)


@function("HSTACK", "raw+", category="dynamic", array_result=True, context=True, array_args="all")
def HSTACK(ctx, *arrays):
    """Arrays side by side (short columns padded with #N/A)."""
    parts = _pieces(ctx, arrays)
    height = max(p.rows for p in parts)
    out = []
    for i in range(height):
        row = []
        for p in parts:
            row.extend(p.data[i] if i < p.rows else [NA] * p.cols)
        out.append(row)
    return Array(out)


def _flatten(ctx, arr: Array, ignore: Any, by_col: Any) -> list[Any]:
    mode = _opt_int(ctx, ignore, 0)
    if mode not in (0, 1, 2, 3):
        raise VALUE
    cols_first = _opt_bool(ctx, by_col, False)
    vals = list(arr.transpose()) if cols_first else list(arr)
    if mode in (1, 3):
        vals = [v for v in vals if v is not BLANK]
    if mode in (2, 3):
        vals = [v for v in vals if not isinstance(v, XLError)]
    if not vals:
        raise _empty()
    return vals


@function("TOCOL", "array, raw?, raw?", category="dynamic", array_result=True, context=True)
def TOCOL(ctx, arr, ignore=_OMIT, by_col=_OMIT):
    """The array's values in one column."""
    return Array([[v] for v in _flatten(ctx, arr, ignore, by_col)])


@function("TOROW", "array, raw?, raw?", category="dynamic", array_result=True, context=True)
def TOROW(ctx, arr, ignore=_OMIT, by_col=_OMIT):
    """The array's values in one row."""
    return Array([_flatten(ctx, arr, ignore, by_col)])


def _wrap(ctx, arr: Array, count: Any, pad: Any) -> list[list[Any]]:
    vec = _vector_or_none(arr)
    if vec is None:
        raise VALUE
    n = coerce.to_int(_scalar(ctx, count))
    if n < 1:
        raise NUM
    fill = NA if not _given(pad) else ctx.to_scalar_or_array(pad)
    if isinstance(fill, Array):
        fill = fill.data[0][0]
    n = min(n, len(vec))     # a vector shorter than the count makes one short line
    lines = [vec[i:i + n] for i in range(0, len(vec), n)]
    lines[-1] = lines[-1] + [fill] * (n - len(lines[-1]))
    return lines


@function("WRAPROWS", "array, raw, raw?", category="dynamic", array_result=True, context=True)
def WRAPROWS(ctx, arr, count, pad=_OMIT):
    """A vector cut into rows of ``count`` values."""
    return Array(_wrap(ctx, arr, count, pad))


@function("WRAPCOLS", "array, raw, raw?", category="dynamic", array_result=True, context=True)
def WRAPCOLS(ctx, arr, count, pad=_OMIT):
    """A vector cut into columns of ``count`` values."""
    return Array(_wrap(ctx, arr, count, pad)).transpose()


# --- LAMBDA helpers -----------------------------------------------------------------------

def _lambda(v: Any, n_params: int) -> LambdaValue:
    from ..eval.context import lambda_arity
    if isinstance(v, XLError):
        raise v
    if isinstance(v, LambdaValue):
        v = lambda_arity(v, n_params)      # BYROW(A1:C3, SUM)
    if not isinstance(v, LambdaValue) or len(v.params) != n_params:
        raise VALUE
    return v


def _call(ctx, lam: LambdaValue, args: list[Any]) -> Any:
    from ..eval.context import call_lambda
    return call_lambda(lam, args, ctx)


def _one_value(v: Any) -> Any:
    """A LAMBDA's result that must be a single value (one array cell)."""
    if isinstance(v, RangeRef):
        if not v.is_cell:
            return CALC.with_message("a LAMBDA result is an array")
        v = v.value()
    elif isinstance(v, Array):
        if v.rows != 1 or v.cols != 1:
            return CALC.with_message("a LAMBDA result is an array")
        v = v.data[0][0]
    elif isinstance(v, (MultiRef, LambdaValue)):
        return CALC
    if v is MISSING:
        return BLANK
    return v


def _acc_value(v: Any) -> Any:
    """An accumulator value kept between REDUCE steps."""
    if isinstance(v, RangeRef):
        return v.value() if v.is_cell else v.to_array()
    return v


@function("MAP", "raw+", category="dynamic", array_result=True, context=True, array_args="all")
def MAP(ctx, *args):
    """A LAMBDA applied to the elements of one or more arrays."""
    if len(args) < 2:
        return VALUE
    lam = _lambda(args[-1], len(args) - 1)
    sources = []
    for a in args[:-1]:
        if isinstance(a, MultiRef):
            return VALUE
        sources.append(a if isinstance(a, RangeRef) else _arr(ctx, a))
    rows = max(s.rows for s in sources)
    cols = max(s.cols for s in sources)
    _check_size(rows, cols)

    def elem(s, r, c):
        if isinstance(s, RangeRef):
            rr = 0 if s.rows == 1 else r
            cc = 0 if s.cols == 1 else c
            if rr >= s.rows or cc >= s.cols:
                return NA
            # a range's element goes in as a one-cell reference (ROW(x) works)
            return RangeRef(s.model, s.sheet, s.r1 + rr, s.c1 + cc, s.r1 + rr, s.c1 + cc)
        return s.get(r, c)

    return Array([[_one_value(_call(ctx, lam, [elem(s, r, c) for s in sources])) for c in range(cols)]
                  for r in range(rows)])


@function("REDUCE", "raw, raw, raw", category="dynamic", array_result=True, context=True, array_args=(1,))
def REDUCE(ctx, initial, arr, lam):
    """An array reduced to one value by a LAMBDA(accumulator, value)."""
    lam = _lambda(lam, 2)
    acc = BLANK if initial is MISSING else _acc_value(initial)
    for v in _arr(ctx, arr):
        acc = _acc_value(_call(ctx, lam, [acc, v]))
    return acc


@function("SCAN", "raw, raw, raw", category="dynamic", array_result=True, context=True, array_args=(1,))
def SCAN(ctx, initial, arr, lam):
    """The running results of a LAMBDA(accumulator, value) over an array."""
    lam = _lambda(lam, 2)
    a = _arr(ctx, arr)
    acc = BLANK if initial is MISSING else _acc_value(initial)
    out = []
    for row in a.data:
        line = []
        for v in row:
            acc = _one_value(_call(ctx, lam, [acc, v]))
            line.append(acc)
        out.append(line)
    return Array(out)


@function("BYROW", "raw, raw", category="dynamic", array_result=True, context=True, array_args=(0,))
def BYROW(ctx, arr, lam):
    """A LAMBDA applied to each row of an array: one value per row."""
    lam = _lambda(lam, 1)
    a = _arr(ctx, arr)
    return Array([[_one_value(_call(ctx, lam, [Array([list(row)])]))] for row in a.data])


@function("BYCOL", "raw, raw", category="dynamic", array_result=True, context=True, array_args=(0,))
def BYCOL(ctx, arr, lam):
    """A LAMBDA applied to each column of an array: one value per column."""
    lam = _lambda(lam, 1)
    a = _arr(ctx, arr)
    return Array([[_one_value(_call(ctx, lam, [Array([[row[j]] for row in a.data])]))
                   for j in range(a.cols)]])


@function("MAKEARRAY", "raw, raw, raw", category="dynamic", array_result=True, context=True)
def MAKEARRAY(ctx, rows, cols, lam):
    """A rows x cols array whose elements are LAMBDA(row, column)."""
    r = coerce.to_int(_scalar(ctx, rows))
    c = coerce.to_int(_scalar(ctx, cols))
    if r < 1 or c < 1:
        return VALUE
    lam = _lambda(lam, 2)
    _check_size(r, c)
    return Array([[_one_value(_call(ctx, lam, [float(i + 1), float(j + 1)])) for j in range(c)]
                  for i in range(r)])


@function("ISOMITTED", "raw", category="dynamic")
def ISOMITTED(v):
    """TRUE when a LAMBDA parameter was not given."""
    return v is MISSING


@function("ANCHORARRAY", "ref", category="dynamic", array_result=True, context=True)
def ANCHORARRAY(ctx, ref):
    """The spilled range of a dynamic-array formula (the A1# operator).  (A
    reference parameter: the range is never lifted over scenarios, so A1# of
    a per-scenario spill is the range itself, as for the # operator.)"""
    return ctx.model.resolve_spill(ref)


@function("SINGLE", "raw", category="dynamic", context=True)
def SINGLE(ctx, v):
    """The @ operator as files store it (_xlfn.SINGLE): implicit intersection."""
    if isinstance(v, RangeRef):
        return ctx.implicit_intersection(v)
    if isinstance(v, Array):
        return v.data[0][0]
    if isinstance(v, MultiRef):
        return VALUE
    return v
