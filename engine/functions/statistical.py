"""Excel's descriptive statistics and regression: counting (COUNT, COUNTA,
COUNTBLANK, COUNTIF(S)), averages and extremes (AVERAGE(A/IF/IFS), MIN/MAX
(A/IFS), MEDIAN, MODE), spread (STDEV*, VAR*, AVEDEV, DEVSQ, KURT, SKEW),
order statistics (PERCENTILE, QUARTILE, PERCENTRANK, RANK, LARGE, SMALL,
TRIMMEAN, FREQUENCY), two-sample measures (CORREL, COVARIANCE, SLOPE,
FORECAST...) and least-squares fits (LINEST, LOGEST, TREND, GROWTH).
Probability distributions live in ``distributions.py``.

Argument rules shared by the aggregates (``helpers.numbers``): values inside
ranges and arrays count only when numeric, values typed directly are coerced
("3" -> 3, TRUE -> 1) and an error anywhere propagates.  The A-variants
(AVERAGEA, STDEVA...) also count text in ranges as 0 and logicals as 0/1.
"""
from __future__ import annotations

import bisect
import math
from collections import Counter
from typing import Any

import numpy as np

from ..eval.refs import MultiRef, RangeRef
from ..values import BLANK, DIV0, MISSING, NA, NUM, REF, VALUE, Array, XLError
from . import coerce, helpers
from .registry import function

CAT = "statistical"


# --- argument helpers -----------------------------------------------------------------

def _nums(args, a_mode: bool = False) -> list[float]:
    """Numbers of aggregate arguments; ``a_mode`` for the A-variants."""
    mode = "count" if a_mode else "skip"
    return helpers.numbers(args, text_in_ranges=mode, bools_in_ranges=mode)


def _data(arg) -> list[float]:
    """Numbers of one array-type argument (LARGE's array, PERCENTILE's...)."""
    return helpers.numbers([arg])


def _mean(xs: list[float]) -> float:
    return math.fsum(xs) / len(xs)


def _ss(xs: list[float]) -> float:
    """Sum of squared deviations from the mean (two passes, for accuracy)."""
    m = _mean(xs)
    return math.fsum((x - m) ** 2 for x in xs)


def _var(xs: list[float], sample: bool) -> float:
    n = len(xs)
    if n == 0 or (sample and n < 2):
        raise DIV0
    return _ss(xs) / (n - 1 if sample else n)


def _full_shape(arg) -> tuple[int, int]:
    """Shape of a criteria/value range as Excel sees it (whole columns reach
    the sheet's last row even though the model clamps them)."""
    if isinstance(arg, RangeRef):
        r1, c1, r2, c2 = arg.full_bounds()
        return r2 - r1 + 1, c2 - c1 + 1
    if isinstance(arg, Array):
        return arg.shape
    if isinstance(arg, MultiRef):
        raise VALUE
    if isinstance(arg, XLError):
        raise arg
    return 1, 1


def _areas(args: list) -> tuple[list[Array], list[RangeRef | None], int]:
    """Values of same-shaped ranges (else #VALUE!) over a common evaluated
    area, the references they were read from, and the number of cells
    outside that area: blank in every range, beyond the used area of
    whole-column/row references."""
    shapes = [_full_shape(a) for a in args]
    shape = shapes[0]
    if any(s != shape for s in shapes):
        raise VALUE
    rows, cols = shape
    er = ec = 0
    for a in args:
        if isinstance(a, RangeRef):
            er, ec = max(er, a.rows), max(ec, a.cols)
        else:
            er, ec = rows, cols
    er, ec = min(er, rows), min(ec, cols)
    out, srcs = [], []
    for a in args:
        if isinstance(a, RangeRef):
            ref = RangeRef(a.model, a.sheet, a.r1, a.c1, a.r1 + er - 1, a.c1 + ec - 1)
            out.append(ref.to_array())
            srcs.append(ref)
            continue
        if isinstance(a, Array):
            out.append(Array([[a.get(r, c) if r < a.rows and c < a.cols else BLANK
                               for c in range(ec)] for r in range(er)]))
        else:
            out.append(Array([[a if (r, c) == (0, 0) else BLANK for c in range(ec)] for r in range(er)]))
        srcs.append(None)
    return out, srcs, rows * cols - er * ec


# Criteria are tested once per distinct value of a range: an index maps each
# (type, value) to its row-major positions.  Indexes of ranges the model's
# range cache holds are kept (keyed by the array object, kept alive so its id
# stays unique) for the many COUNTIF($A$1:$A$5000, A1) of a column.
_INDEX_MIN = 16


def _build_index(arr: Array) -> dict:
    idx: dict = {}
    for pos, v in enumerate(arr):
        key = (v.__class__, v)
        hit = idx.get(key)
        if hit is None:
            idx[key] = [pos]
        else:
            hit.append(pos)
    return idx


def _cached(ctx, arr: Array, src: RangeRef | None, kind: str, build):
    """``build()`` for the values ``arr`` of the range ``src``, kept while the
    model's range cache holds that very array (it is kept alive here, so its
    id stays unique)."""
    model = ctx.model
    cache = getattr(model, "_range_cache", None)
    if (src is None or cache is None or arr.rows * arr.cols < _INDEX_MIN
            or cache.get((src.sheet, src.r1, src.c1, src.r2, src.c2)) is not arr):
        return build()
    store = getattr(model, "_statistical_cache", None)
    # the model replaces its range cache on every calculate(): start afresh then
    if store is None or store[0] is not cache or len(store[1]) > 1024:
        store = (cache, {})
        model._statistical_cache = store
    key = (id(arr), kind)
    hit = store[1].get(key)
    if hit is not None and hit[0] is arr:
        return hit[1]
    value = build()
    store[1][key] = (arr, value)
    return value


def _index(ctx, arr: Array, src: RangeRef | None) -> dict:
    return _cached(ctx, arr, src, "index", lambda: _build_index(arr))


def _match(ctx, areas: list[Array], srcs: list, preds: list, counting: bool = False):
    """Row-major positions (sorted) of the cells of the evaluated area that
    meet every predicate, or just their number when ``counting``."""
    if counting and len(preds) == 1:
        p = preds[0]
        return sum(len(pos) for key, pos in _index(ctx, areas[0], srcs[0]).items() if p(key[1]))
    selected: set | None = None
    for arr, src, p in zip(areas, srcs, preds):
        hits: set = set()
        for key, pos in _index(ctx, arr, src).items():
            if p(key[1]):
                hits.update(pos)
        selected = hits if selected is None else selected & hits
        if not selected:
            break
    return len(selected) if counting else sorted(selected)


def _count_ifs(ctx, pairs: list[tuple[Any, Any]]) -> float:
    preds = [helpers.make_criteria(c) for _, c in pairs]
    areas, srcs, extra = _areas([r for r, _ in pairs])
    n = _match(ctx, areas, srcs, preds, counting=True)
    if extra and all(p(BLANK) for p in preds):
        n += extra
    return float(n)


def _group(args: tuple) -> list[tuple[Any, Any]]:
    if len(args) % 2:
        raise VALUE
    return [(args[i], args[i + 1]) for i in range(0, len(args), 2)]


def _is_num(v) -> bool:
    return isinstance(v, float) and not isinstance(v, bool)


# --- counting ---------------------------------------------------------------------------

@function("COUNT", "raw+", category=CAT)
def COUNT(*args):
    """Count of the numbers among the arguments (errors are not counted)."""
    n = 0
    for v, from_range in helpers.iter_values(args):
        if _is_num(v):
            n += 1
        elif not from_range:
            # typed directly: logicals, numeric text and empty arguments count
            if isinstance(v, bool) or v is BLANK:
                n += 1
            elif isinstance(v, str) and coerce.parse_number_text(v) is not None:
                n += 1
    return float(n)


@function("COUNTA", "raw+", category=CAT)
def COUNTA(*args):
    """Count of non-empty values (errors and "" included)."""
    n = 0
    for v, from_range in helpers.iter_values(args):
        if not (from_range and v is BLANK):
            n += 1
    return float(n)


@function("COUNTBLANK", "raw", category=CAT)
def COUNTBLANK(rng):
    """Count of empty cells and cells holding ""."""
    (area,), _, extra = _areas([rng])
    return float(extra + sum(1 for v in area if v is BLANK or v == ""))


@function("COUNTIF", "raw, anyerr", category=CAT, context=True)
def COUNTIF(ctx, rng, criteria):
    """Count of the cells meeting a criteria."""
    return _count_ifs(ctx, [(rng, criteria)])


@function("COUNTIFS", "raw, anyerr, raw*, anyerr*", category=CAT, context=True)
def COUNTIFS(ctx, *args):
    """Count of the cells meeting every (range, criteria) pair."""
    return _count_ifs(ctx, _group(args))


def _matched_numbers(values: Array, positions: list[int]) -> list[float]:
    """Numbers at the matched positions of a value range; an error there
    propagates, text and logicals are ignored."""
    cols = values.cols
    data = values.data
    out = []
    for pos in positions:
        r, c = divmod(pos, cols)
        v = data[r][c]
        if isinstance(v, XLError):
            raise v
        if _is_num(v):
            out.append(v)
    return out


@function("AVERAGEIF", "raw, anyerr, raw?", category=CAT, context=True)
def AVERAGEIF(ctx, rng, criteria, average_range=None):
    """Average of the cells meeting a criteria (average_range takes the
    shape of range, from its top-left cell)."""
    areas, srcs, _ = _areas([rng])
    hits = _match(ctx, areas, srcs, [helpers.make_criteria(criteria)])
    if average_range is None or average_range is MISSING:
        vals = areas[0]
    else:
        vals = _resized(average_range, areas[0].shape)
    xs = _matched_numbers(vals, hits)
    if not xs:
        raise DIV0
    return _mean(xs)


def _resized(arg, shape: tuple[int, int]) -> Array:
    """Values of the area of ``shape`` starting at the top-left of ``arg``."""
    rows, cols = shape
    if isinstance(arg, MultiRef):
        raise VALUE
    if isinstance(arg, XLError):
        raise arg
    if isinstance(arg, RangeRef):
        return RangeRef(arg.model, arg.sheet, arg.r1, arg.c1, arg.r1 + rows - 1, arg.c1 + cols - 1).to_array()
    a = arg if isinstance(arg, Array) else Array([[arg]])
    return Array([[a.data[r][c] if r < a.rows and c < a.cols else BLANK for c in range(cols)]
                  for r in range(rows)])


def _value_ifs(ctx, value_range, args) -> list[float]:
    """Numbers of value_range where every (range, criteria) pair is met; all
    ranges must have the same shape (#VALUE!)."""
    pairs = _group(args)
    preds = [helpers.make_criteria(c) for _, c in pairs]
    areas, srcs, _ = _areas([value_range] + [r for r, _ in pairs])
    return _matched_numbers(areas[0], _match(ctx, areas[1:], srcs[1:], preds))


@function("AVERAGEIFS", "raw, raw, anyerr, raw*, anyerr*", category=CAT, context=True)
def AVERAGEIFS(ctx, average_range, *args):
    """Average of the cells meeting every (range, criteria) pair."""
    xs = _value_ifs(ctx, average_range, args)
    if not xs:
        raise DIV0
    return _mean(xs)


@function("MINIFS", "raw, raw, anyerr, raw*, anyerr*", category=CAT, context=True)
def MINIFS(ctx, min_range, *args):
    """Smallest of the cells meeting every (range, criteria) pair; 0 if none."""
    xs = _value_ifs(ctx, min_range, args)
    return min(xs) if xs else 0.0


@function("MAXIFS", "raw, raw, anyerr, raw*, anyerr*", category=CAT, context=True)
def MAXIFS(ctx, max_range, *args):
    """Largest of the cells meeting every (range, criteria) pair; 0 if none."""
    xs = _value_ifs(ctx, max_range, args)
    return max(xs) if xs else 0.0


# --- averages and extremes ----------------------------------------------------------------

def _block_mean(*ms):
    m = np.vstack(ms)
    return None if m.shape[0] == 0 else m.mean(axis=0)


@function("AVERAGE", "raw+", category=CAT, block=_block_mean)
def AVERAGE(*args):
    """Arithmetic mean of the numbers."""
    xs = _nums(args)
    if not xs:
        raise DIV0
    return _mean(xs)


@function("AVERAGEA", "raw+", category=CAT)
def AVERAGEA(*args):
    """Mean counting text in ranges as 0 and logicals as 0/1."""
    xs = _nums(args, a_mode=True)
    if not xs:
        raise DIV0
    return _mean(xs)


def _block_ext(fn):
    def block(*ms):
        m = np.vstack(ms)
        if m.shape[0] == 0:
            return None
        return fn(m, axis=0)
    return block


@function("MIN", "raw+", category=CAT, block=_block_ext(np.min))
def MIN(*args):
    """Smallest number; 0 when there is none."""
    xs = _nums(args)
    return min(xs) if xs else 0.0


@function("MAX", "raw+", category=CAT, block=_block_ext(np.max))
def MAX(*args):
    """Largest number; 0 when there is none."""
    xs = _nums(args)
    return max(xs) if xs else 0.0


@function("MINA", "raw+", category=CAT)
def MINA(*args):
    """Smallest value counting text in ranges as 0 and logicals as 0/1."""
    xs = _nums(args, a_mode=True)
    return min(xs) if xs else 0.0


@function("MAXA", "raw+", category=CAT)
def MAXA(*args):
    """Largest value counting text in ranges as 0 and logicals as 0/1."""
    xs = _nums(args, a_mode=True)
    return max(xs) if xs else 0.0


def _median(xs: list[float]) -> float:
    if not xs:
        raise NUM
    s = sorted(xs)
    n = len(s)
    h = n // 2
    return s[h] if n % 2 else (s[h - 1] + s[h]) / 2


@function("MEDIAN", "raw+", category=CAT, block=_block_ext(np.median))
def MEDIAN(*args):
    """Median of the numbers."""
    return _median(_nums(args))


def _modes(xs: list[float]) -> list[float]:
    """Values occurring most often (at least twice), in order of first
    appearance; #N/A when no value repeats."""
    if not xs:
        raise NA
    counts = Counter(xs)
    top = max(counts.values())
    if top < 2:
        raise NA
    seen, out = set(), []
    for x in xs:
        if counts[x] == top and x not in seen:
            seen.add(x)
            out.append(x)
    return out


@function("MODE.SNGL", "raw+", category=CAT, aliases=("MODE",))
def MODE_SNGL(*args):
    """Most frequent number (the first one reached in case of a tie)."""
    return _modes(_nums(args))[0]


@function("MODE.MULT", "raw+", category=CAT, array_result=True)
def MODE_MULT(*args):
    """Vertical array of the most frequent numbers."""
    return Array([[x] for x in _modes(_nums(args))])


# --- spread ---------------------------------------------------------------------------------

def _block_var(ddof, root=False):
    def block(*ms):
        m = np.vstack(ms)
        if m.shape[0] <= ddof:
            return None
        v = m.var(axis=0, ddof=ddof)
        return np.sqrt(v) if root else v
    return block


@function("VAR.S", "raw+", category=CAT, aliases=("VAR",), block=_block_var(1))
def VAR_S(*args):
    """Sample variance."""
    return _var(_nums(args), True)


@function("VAR.P", "raw+", category=CAT, aliases=("VARP",), block=_block_var(0))
def VAR_P(*args):
    """Population variance."""
    return _var(_nums(args), False)


@function("VARA", "raw+", category=CAT)
def VARA(*args):
    """Sample variance counting text in ranges as 0 and logicals as 0/1."""
    return _var(_nums(args, True), True)


@function("VARPA", "raw+", category=CAT)
def VARPA(*args):
    """Population variance counting text in ranges as 0 and logicals as 0/1."""
    return _var(_nums(args, True), False)


@function("STDEV.S", "raw+", category=CAT, aliases=("STDEV",), block=_block_var(1, True))
def STDEV_S(*args):
    """Sample standard deviation."""
    return math.sqrt(_var(_nums(args), True))


@function("STDEV.P", "raw+", category=CAT, aliases=("STDEVP",), block=_block_var(0, True))
def STDEV_P(*args):
    """Population standard deviation."""
    return math.sqrt(_var(_nums(args), False))


@function("STDEVA", "raw+", category=CAT)
def STDEVA(*args):
    """Sample standard deviation counting text in ranges as 0, logicals as 0/1."""
    return math.sqrt(_var(_nums(args, True), True))


@function("STDEVPA", "raw+", category=CAT)
def STDEVPA(*args):
    """Population standard deviation counting text in ranges as 0, logicals as 0/1."""
    return math.sqrt(_var(_nums(args, True), False))


@function("AVEDEV", "raw+", category=CAT)
def AVEDEV(*args):
    """Mean absolute deviation from the mean."""
    xs = _nums(args)
    if not xs:
        raise NUM
    m = _mean(xs)
    return math.fsum(abs(x - m) for x in xs) / len(xs)


@function("DEVSQ", "raw+", category=CAT)
def DEVSQ(*args):
    """Sum of squared deviations from the mean."""
    xs = _nums(args)
    if not xs:
        raise NUM
    return _ss(xs)


@function("GEOMEAN", "raw+", category=CAT)
def GEOMEAN(*args):
    """Geometric mean of positive numbers."""
    xs = _nums(args)
    if not xs or any(x <= 0 for x in xs):
        raise NUM
    return math.exp(math.fsum(math.log(x) for x in xs) / len(xs))


@function("HARMEAN", "raw+", category=CAT)
def HARMEAN(*args):
    """Harmonic mean of positive numbers."""
    xs = _nums(args)
    if not xs or any(x <= 0 for x in xs):
        raise NUM
    return len(xs) / math.fsum(1.0 / x for x in xs)


@function("KURT", "raw+", category=CAT)
def KURT(*args):
    """Sample excess kurtosis (at least 4 numbers)."""
    xs = _nums(args)
    n = len(xs)
    if n < 4:
        raise DIV0
    s = math.sqrt(_var(xs, True))
    if s == 0:
        raise DIV0
    m = _mean(xs)
    q = math.fsum(((x - m) / s) ** 4 for x in xs)
    return n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * q - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))


@function("SKEW", "raw+", category=CAT)
def SKEW(*args):
    """Sample skewness (at least 3 numbers)."""
    xs = _nums(args)
    n = len(xs)
    if n < 3:
        raise DIV0
    s = math.sqrt(_var(xs, True))
    if s == 0:
        raise DIV0
    m = _mean(xs)
    return n / ((n - 1) * (n - 2)) * math.fsum(((x - m) / s) ** 3 for x in xs)


@function("SKEW.P", "raw+", category=CAT)
def SKEW_P(*args):
    """Population skewness (at least 3 numbers)."""
    xs = _nums(args)
    n = len(xs)
    if n < 3:
        raise DIV0
    s = math.sqrt(_var(xs, False))
    if s == 0:
        raise DIV0
    m = _mean(xs)
    return math.fsum(((x - m) / s) ** 3 for x in xs) / n


def _standardize_vec(x, mean, sd):
    x, mean, sd = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, mean, sd)))
    return np.where(sd > 0, (x - mean) / np.where(sd > 0, sd, 1.0), np.nan)


@function("STANDARDIZE", "number, number, number", category=CAT, vector=_standardize_vec)
def STANDARDIZE(x, mean, sd):
    """(x - mean) / sd."""
    if sd <= 0:
        raise NUM
    return (x - mean) / sd


@function("FISHER", "number", category=CAT, vector=lambda x: np.arctanh(np.where(np.abs(x) < 1, x, np.nan)))
def FISHER(x):
    """Fisher transformation, atanh(x) for -1 < x < 1."""
    if not -1 < x < 1:
        raise NUM
    return math.atanh(x)


@function("FISHERINV", "number", category=CAT, vector=np.tanh)
def FISHERINV(y):
    """Inverse Fisher transformation, tanh(y)."""
    return math.tanh(y)


@function("PERMUT", "number, number", category=CAT)
def PERMUT(n, k):
    """Number of ordered selections of k among n (both truncated)."""
    n, k = math.trunc(n), math.trunc(k)
    if n < 0 or k < 0 or n < k:
        raise NUM
    return float(math.perm(n, k))


@function("PERMUTATIONA", "number, number", category=CAT)
def PERMUTATIONA(n, k):
    """Number of ordered selections of k among n with repetitions: n^k."""
    n, k = math.trunc(n), math.trunc(k)
    if n < 0 or k < 0:
        raise NUM
    return float(n) ** k


# --- order statistics -----------------------------------------------------------------------

def _sorted_data(ctx, arg) -> list[float]:
    """The numbers of an array-type argument, sorted.  For a range the model's
    range cache holds, the result is kept (like the criteria indexes), so the
    RANK(A1, $A$1:$A$5000) of a whole column sorts the data once."""
    if isinstance(arg, RangeRef) and arg.rows * arg.cols >= _INDEX_MIN:
        arr = arg.to_array()
        hit = _cached(ctx, arr, arg, "sorted", lambda: _sorted_or_error(arr))
        if isinstance(hit, XLError):
            raise hit
        return hit
    return sorted(_data(arg))


def _sorted_or_error(arr: Array):
    try:
        return sorted(_data(arr))
    except XLError as e:
        return e


def _kth(ctx, arg, k: float, largest: bool) -> float:
    s = _sorted_data(ctx, arg)
    k = math.ceil(k)  # a fractional k rounds up
    if not s or k < 1 or k > len(s):
        raise NUM
    return s[-k] if largest else s[k - 1]


@function("LARGE", "raw, number", category=CAT, array_args=(0,), context=True)
def LARGE(ctx, array, k):
    """k-th largest number."""
    return _kth(ctx, array, k, True)


@function("SMALL", "raw, number", category=CAT, array_args=(0,), context=True)
def SMALL(ctx, array, k):
    """k-th smallest number."""
    return _kth(ctx, array, k, False)


def _pct_inc(s: list[float], p: float) -> float:
    """Percentile of sorted data, rank p*(n-1) interpolated."""
    if not s or p < 0 or p > 1:
        raise NUM
    h = (len(s) - 1) * p
    i = math.floor(h)
    if i + 1 >= len(s):
        return s[-1]
    return s[i] + (h - i) * (s[i + 1] - s[i])


def _pct_exc(s: list[float], p: float) -> float:
    """Percentile of sorted data, rank p*(n+1) interpolated."""
    n = len(s)
    if not s or p <= 0 or p >= 1:
        raise NUM
    h = (n + 1) * p
    if h < 1 or h > n:
        raise NUM
    i = math.floor(h)
    if i >= n:
        return s[-1]
    return s[i - 1] + (h - i) * (s[i] - s[i - 1])


@function("PERCENTILE.INC", "raw, number", category=CAT, aliases=("PERCENTILE",), array_args=(0,),
          context=True)
def PERCENTILE_INC(ctx, array, k):
    """k-th percentile, 0 <= k <= 1, interpolating between ranks."""
    return _pct_inc(_sorted_data(ctx, array), k)


@function("PERCENTILE.EXC", "raw, number", category=CAT, array_args=(0,), context=True)
def PERCENTILE_EXC(ctx, array, k):
    """k-th percentile with k strictly between 0 and 1 (rank k*(n+1))."""
    return _pct_exc(_sorted_data(ctx, array), k)


@function("QUARTILE.INC", "raw, number", category=CAT, aliases=("QUARTILE",), array_args=(0,), context=True)
def QUARTILE_INC(ctx, array, quart):
    """Quartile 0..4 (truncated) of the numbers."""
    q = math.trunc(quart)
    if q < 0 or q > 4:
        raise NUM
    return _pct_inc(_sorted_data(ctx, array), q / 4)


@function("QUARTILE.EXC", "raw, number", category=CAT, array_args=(0,), context=True)
def QUARTILE_EXC(ctx, array, quart):
    """Quartile 1..3 (truncated), exclusive method."""
    q = math.trunc(quart)
    if q < 1 or q > 3:
        raise NUM
    return _pct_exc(_sorted_data(ctx, array), q / 4)


def _percentrank(ctx, array, x: float, sig: float, exclusive: bool) -> float:
    xs = _sorted_data(ctx, array)
    sig = math.trunc(sig)
    if sig < 1:
        raise NUM
    n = len(xs)
    if n == 0:
        raise NUM
    if x < xs[0] or x > xs[-1]:
        raise NA

    def rank(i: int) -> float:
        # position i (0-based, first occurrence) as a fraction
        return (i + 1) / (n + 1) if exclusive else (i / (n - 1) if n > 1 else 1.0)

    lo = bisect.bisect_left(xs, x)
    if xs[lo] == x:
        r = rank(lo)
    else:
        # x lies between xs[lo-1] and xs[lo]: interpolate linearly
        a, b = xs[lo - 1], xs[lo]
        r = rank(lo - 1) + (x - a) / (b - a) * (rank(lo) - rank(lo - 1))
    f = 10.0 ** sig
    # truncate (not round) to sig digits; the nudge absorbs binary noise
    return math.floor(r * f * (1 + 1e-13)) / f


@function("PERCENTRANK.INC", "raw, number, number?", category=CAT, aliases=("PERCENTRANK",),
          array_args=(0,), context=True)
def PERCENTRANK_INC(ctx, array, x, significance=3.0):
    """Rank of x as a fraction 0..1 of the data, truncated to significance digits."""
    return _percentrank(ctx, array, x, significance, False)


@function("PERCENTRANK.EXC", "raw, number, number?", category=CAT, array_args=(0,), context=True)
def PERCENTRANK_EXC(ctx, array, x, significance=3.0):
    """Rank of x as a fraction strictly between 0 and 1, exclusive method."""
    return _percentrank(ctx, array, x, significance, True)


def _rank(ctx, x: float, ref, order: float, average: bool) -> float:
    if not isinstance(ref, (RangeRef, MultiRef, Array)):
        if isinstance(ref, XLError):
            raise ref
        raise VALUE  # Excel wants a reference
    s = _sorted_data(ctx, ref)
    lo, hi = bisect.bisect_left(s, x), bisect.bisect_right(s, x)
    if lo == hi:
        raise NA
    better = len(s) - hi if order == 0 else lo
    if not average:
        return float(better + 1)
    return better + (hi - lo + 1) / 2


@function("RANK.EQ", "number, raw, number?", category=CAT, aliases=("RANK",), context=True)
def RANK_EQ(ctx, number, ref, order=0.0):
    """Rank of a number in a list (1 = largest unless order is non-zero);
    ties share the best rank."""
    return _rank(ctx, number, ref, order, False)


@function("RANK.AVG", "number, raw, number?", category=CAT, context=True)
def RANK_AVG(ctx, number, ref, order=0.0):
    """Rank of a number in a list; ties get their average rank."""
    return _rank(ctx, number, ref, order, True)


@function("TRIMMEAN", "raw, number", category=CAT, array_args=(0,))
def TRIMMEAN(array, percent):
    """Mean after dropping percent of the points, half from each end
    (the count dropped is rounded down to an even number)."""
    xs = _data(array)
    if percent < 0 or percent >= 1:
        raise NUM
    n = len(xs)
    if n == 0:
        raise NUM
    cut = math.floor(n * percent / 2 * (1 + 1e-14))
    s = sorted(xs)[cut:n - cut]
    if not s:
        raise NUM
    return _mean(s)


@function("FREQUENCY", "raw, raw", category=CAT, array_args="all", array_result=True)
def FREQUENCY(data, bins):
    """Vertical array: how many numbers fall in each bin (values above the
    previous bin up to this one, bins taken in sorted order but reported in
    their own order), plus one count for values above the last bin."""
    xs = _data(data)
    bs = _data(bins)
    if not bs:
        return Array([[float(len(xs))]])
    order = sorted(range(len(bs)), key=lambda i: bs[i])
    counts = [0] * (len(bs) + 1)
    sorted_bins = [bs[i] for i in order]
    for x in xs:
        j = bisect.bisect_left(sorted_bins, x)
        counts[order[j] if j < len(order) else len(bs)] += 1
    return Array([[float(c)] for c in counts])


@function("PROB", "raw, raw, number, number?", category=CAT, array_args=(0, 1))
def PROB(x_range, prob_range, lower, upper=None):
    """Probability that a value lies between lower and upper (or equals lower)."""
    xv = helpers.flat_values(x_range)
    pv = helpers.flat_values(prob_range)
    if len(xv) != len(pv):
        raise NA
    for v in xv + pv:
        if isinstance(v, XLError):
            raise v
    pairs = [(x, p) for x, p in zip(xv, pv) if _is_num(x) and _is_num(p)]
    if not pairs:
        raise DIV0
    if any(p < 0 or p > 1 for _, p in pairs):
        raise NUM
    if abs(math.fsum(p for _, p in pairs) - 1.0) > 1e-7:
        raise NUM
    hi = lower if upper is None else upper
    return math.fsum(p for x, p in pairs if lower <= x <= hi)


# --- two-sample measures --------------------------------------------------------------------

def _pairs(a, b) -> tuple[list[float], list[float]]:
    """Paired numbers of two same-size arrays: a pair counts only when both
    values are numbers; sizes differ -> #N/A; an error propagates."""
    av = helpers.flat_values(a)
    bv = helpers.flat_values(b)
    if len(av) != len(bv):
        raise NA
    xs, ys = [], []
    for x, y in zip(av, bv):
        if isinstance(x, XLError):
            raise x
        if isinstance(y, XLError):
            raise y
        if _is_num(x) and _is_num(y):
            xs.append(x)
            ys.append(y)
    return xs, ys


def _cov_sums(xs, ys):
    mx, my = _mean(xs), _mean(ys)
    sxy = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    syy = math.fsum((y - my) ** 2 for y in ys)
    return mx, my, sxx, syy, sxy


def _correl(a, b) -> float:
    xs, ys = _pairs(a, b)
    if len(xs) < 1:
        raise DIV0
    _, _, sxx, syy, sxy = _cov_sums(xs, ys)
    if sxx == 0 or syy == 0:
        raise DIV0
    return sxy / math.sqrt(sxx * syy)


@function("CORREL", "raw, raw", category=CAT, array_args="all")
def CORREL(array1, array2):
    """Pearson correlation coefficient."""
    return _correl(array1, array2)


@function("PEARSON", "raw, raw", category=CAT, array_args="all")
def PEARSON(array1, array2):
    """Pearson correlation coefficient (same as CORREL)."""
    return _correl(array1, array2)


@function("RSQ", "raw, raw", category=CAT, array_args="all")
def RSQ(known_y, known_x):
    """Square of the Pearson correlation."""
    return _correl(known_y, known_x) ** 2


@function("COVARIANCE.P", "raw, raw", category=CAT, aliases=("COVAR",), array_args="all")
def COVARIANCE_P(array1, array2):
    """Population covariance."""
    xs, ys = _pairs(array1, array2)
    if not xs:
        raise DIV0
    return _cov_sums(xs, ys)[4] / len(xs)


@function("COVARIANCE.S", "raw, raw", category=CAT, array_args="all")
def COVARIANCE_S(array1, array2):
    """Sample covariance."""
    xs, ys = _pairs(array1, array2)
    if len(xs) < 2:
        raise DIV0
    return _cov_sums(xs, ys)[4] / (len(xs) - 1)


def _line(known_y, known_x) -> tuple[float, float, list[float], list[float]]:
    ys, xs = _pairs(known_y, known_x)
    if not xs:
        raise DIV0
    mx, my, sxx, _, sxy = _cov_sums(xs, ys)
    if sxx == 0:
        raise DIV0
    slope = sxy / sxx
    return slope, my - slope * mx, xs, ys


@function("SLOPE", "raw, raw", category=CAT, array_args="all")
def SLOPE(known_y, known_x):
    """Slope of the least-squares line through the points."""
    return _line(known_y, known_x)[0]


@function("INTERCEPT", "raw, raw", category=CAT, array_args="all")
def INTERCEPT(known_y, known_x):
    """Intercept of the least-squares line through the points."""
    return _line(known_y, known_x)[1]


@function("STEYX", "raw, raw", category=CAT, array_args="all")
def STEYX(known_y, known_x):
    """Standard error of the predicted y of the regression line."""
    ys, xs = _pairs(known_y, known_x)
    n = len(xs)
    if n < 3:
        raise DIV0
    _, _, sxx, syy, sxy = _cov_sums(xs, ys)
    if sxx == 0:
        raise DIV0
    return math.sqrt(max(syy - sxy * sxy / sxx, 0.0) / (n - 2))


@function("FORECAST.LINEAR", "number, raw, raw", category=CAT, aliases=("FORECAST",), array_args=(1, 2))
def FORECAST_LINEAR(x, known_y, known_x):
    """Value at x of the least-squares line through the points."""
    slope, intercept, _, _ = _line(known_y, known_x)
    return intercept + slope * x


# --- least-squares fits (LINEST family) -----------------------------------------------------

def _numeric_matrix(arg) -> np.ndarray:
    """A range/array of numbers as a float matrix; any other value is #VALUE!."""
    a = helpers.as_2d(arg)
    out = np.empty(a.shape)
    for r, row in enumerate(a.data):
        for c, v in enumerate(row):
            if isinstance(v, XLError):
                raise v
            if not _is_num(v):
                raise VALUE
            out[r, c] = v
    return out


def _given(v) -> bool:
    return v is not None and v is not MISSING


def _design(known_y, known_x):
    """(y vector, X matrix with one column per variable, layout) where layout
    says how new x values are laid out: 'col' (variables are columns), 'row'
    (variables are rows) or 'flat' (one variable, any shape)."""
    Y = _numeric_matrix(known_y)
    ny_r, ny_c = Y.shape
    y = Y.ravel()
    n = y.size
    if not _given(known_x):
        X = np.arange(1, n + 1, dtype=float).reshape(-1, 1)
        return y, X, "flat"
    Xm = _numeric_matrix(known_x)
    if ny_c == 1 and ny_r > 1:
        if Xm.shape[0] != ny_r:
            raise REF
        return y, Xm, "col"
    if ny_r == 1 and ny_c > 1:
        if Xm.shape[1] != ny_c:
            raise REF
        return y, Xm.T, "row"
    if Xm.shape != Y.shape:
        raise REF
    return y, Xm.reshape(-1, 1), "flat"


def _fit(y: np.ndarray, X: np.ndarray, const: bool):
    """Least squares: (coefficients per variable, intercept, kept columns mask,
    fitted values, (X'X)^-1 over the kept columns incl. the constant)."""
    n, k = X.shape
    cols = [X[:, j] for j in range(k)]
    # drop columns that are (numerically) combinations of earlier ones, as
    # Excel does for collinear x's (their coefficient is reported as 0)
    kept: list[int] = []
    basis = [np.ones(n)] if const else []
    for j, c in enumerate(cols):
        B = np.column_stack(basis) if basis else np.zeros((n, 0))
        if B.shape[1]:
            resid = c - B @ np.linalg.lstsq(B, c, rcond=None)[0]
        else:
            resid = c
        norm = np.linalg.norm(c)
        if norm > 0 and np.linalg.norm(resid) > 1e-10 * norm:
            kept.append(j)
            basis.append(c)
    Xk = X[:, kept]
    if const:
        # centring first keeps simple fits exact (slope 1, intercept 0)
        xm, ym = Xk.mean(axis=0), float(y.mean())
        Xc, yc = Xk - xm, y - ym
        if len(kept) == 1:   # closed form, exact on exact data
            coef = np.array([math.fsum(Xc[:, 0] * yc) / math.fsum(Xc[:, 0] ** 2)])
        else:
            coef = np.linalg.lstsq(Xc, yc, rcond=None)[0] if kept else np.zeros(0)
        b = ym - float(xm @ coef)
    else:
        coef = np.linalg.lstsq(Xk, y, rcond=None)[0] if kept else np.zeros(0)
        b = 0.0
    m = np.zeros(k)
    m[kept] = coef
    fitted = Xk @ coef + b
    A = np.column_stack([Xk] + ([np.ones(n)] if const else []))
    inv = np.linalg.pinv(A.T @ A) if A.shape[1] else np.zeros((0, 0))
    return m, b, kept, fitted, inv


def _const_flag(const) -> bool:
    # omitted (or an empty argument) means TRUE; an empty cell means FALSE
    return True if not _given(const) else coerce.to_bool(const)


def _linest(known_y, known_x, const, stats, log: bool) -> Array:
    y, X, _ = _design(known_y, known_x)
    if log:
        if np.any(y <= 0):
            raise NUM
        y = np.log(y)
    c = _const_flag(const)
    want_stats = coerce.to_bool(stats) if _given(stats) else False
    n, k = X.shape
    m, b, kept, fitted, inv = _fit(y, X, c)
    coefs = [float(v) for v in m[::-1]] + [b]
    if log:
        coefs = [math.exp(v) for v in coefs]
    if not want_stats:
        return Array([coefs])
    p = len(kept) + (1 if c else 0)     # parameters estimated
    df = n - p
    resid = y - fitted
    ss_resid = float(np.sum(resid ** 2))
    if c:
        ss_reg = float(np.sum((fitted - y.mean()) ** 2))
    else:
        ss_reg = float(np.sum(fitted ** 2))
    tot = ss_reg + ss_resid
    r2 = ss_reg / tot if tot else 1.0
    if df > 0:
        sey = math.sqrt(ss_resid / df)
        se = np.sqrt(np.maximum(np.diag(inv), 0.0)) * sey
        f_stat = (ss_reg / len(kept)) / (ss_resid / df) if kept and ss_resid else NUM
    else:
        sey = NUM
        se = np.zeros(p)
        f_stat = NUM
    se_m = np.zeros(k)
    for i, j in enumerate(kept):
        se_m[j] = se[i] if df > 0 else 0.0
    se_row: list[Any] = [float(v) for v in se_m[::-1]]
    se_row.append(float(se[-1]) if c and df > 0 else (0.0 if c else NA))
    if df <= 0:
        se_row = [NUM if isinstance(v, float) else v for v in se_row]
    width = k + 1
    pad = [NA] * (width - 2)
    rows = [coefs, se_row,
            [r2, sey] + pad,
            [f_stat, float(df)] + pad,
            [ss_reg, ss_resid] + pad]
    if width == 1:
        rows = [r[:1] for r in rows]
    return Array(rows)


@function("LINEST", "raw, raw?, any?, any?", category=CAT, array_args=(0, 1), array_result=True)
def LINEST(known_y, known_x=None, const=None, stats=None):
    """Least-squares line (or hyperplane) coefficients m_k..m_1, b, and with
    stats=TRUE the standard errors, r2, sey, F, df, ssreg and ssresid."""
    return _linest(known_y, known_x, const, stats, False)


@function("LOGEST", "raw, raw?, any?, any?", category=CAT, array_args=(0, 1), array_result=True)
def LOGEST(known_y, known_x=None, const=None, stats=None):
    """Exponential curve y = b*m1^x1*...: LINEST on ln(y), coefficients exponentiated."""
    return _linest(known_y, known_x, const, stats, True)


def _predict(known_y, known_x, new_x, const, log: bool) -> Array:
    y, X, layout = _design(known_y, known_x)
    if log:
        if np.any(y <= 0):
            raise NUM
        y = np.log(y)
    c = _const_flag(const)
    m, b, _, _, _ = _fit(y, X, c)
    k = X.shape[1]
    if _given(new_x):
        N = _numeric_matrix(new_x)
    elif _given(known_x):
        N = _numeric_matrix(known_x)
    else:
        N = np.arange(1, y.size + 1, dtype=float).reshape(helpers.as_2d(known_y).shape)
    if k == 1:
        out = b + m[0] * N            # one variable: a value per new x, same shape
    elif layout == "row":
        if N.shape[0] != k:
            raise REF
        out = (b + m @ N).reshape(1, -1)
    else:
        if N.shape[1] != k:
            raise REF
        out = (b + N @ m).reshape(-1, 1)
    shape = out.shape
    out = np.asarray(out, dtype=float).reshape(shape)
    if log:
        out = np.exp(out)
    return Array([[float(v) for v in row] for row in out])


@function("TREND", "raw, raw?, raw?, any?", category=CAT, array_args=(0, 1, 2), array_result=True)
def TREND(known_y, known_x=None, new_x=None, const=None):
    """Values of the least-squares line at new x's."""
    return _predict(known_y, known_x, new_x, const, False)


@function("GROWTH", "raw, raw?, raw?, any?", category=CAT, array_args=(0, 1, 2), array_result=True)
def GROWTH(known_y, known_x=None, new_x=None, const=None):
    """Values of the fitted exponential curve at new x's."""
    return _predict(known_y, known_x, new_x, const, True)
