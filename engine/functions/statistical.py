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

import math
from collections import Counter
from typing import Any, Callable

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


def _areas(args: list) -> tuple[list[Array], int]:
    """Values of same-shaped ranges (else #VALUE!) over a common evaluated
    area, and the number of cells outside it: blank in every range, beyond
    the used area of whole-column/row references."""
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
    out = []
    for a in args:
        if isinstance(a, RangeRef):
            out.append(RangeRef(a.model, a.sheet, a.r1, a.c1, a.r1 + er - 1, a.c1 + ec - 1).to_array())
        elif isinstance(a, Array):
            out.append(Array([[a.get(r, c) if r < a.rows and c < a.cols else BLANK
                               for c in range(ec)] for r in range(er)]))
        else:
            out.append(Array([[a if (r, c) == (0, 0) else BLANK for c in range(ec)] for r in range(er)]))
    return out, rows * cols - er * ec


def _criteria_mask(pairs: list[tuple[Any, Any]]):
    """Cells matching every (range, criteria) pair: (flat match list over the
    evaluated area, areas, count of matching cells beyond it)."""
    ranges = [r for r, _ in pairs]
    preds = [helpers.make_criteria(c) for _, c in pairs]
    areas, extra = _areas(ranges)
    flat = [list(a) for a in areas]
    n = len(flat[0]) if flat else 0
    mask = [all(p(f[i]) for p, f in zip(preds, flat)) for i in range(n)]
    extra_hits = extra if extra and all(p(BLANK) for p in preds) else 0
    return mask, areas, extra_hits


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
    if isinstance(rng, MultiRef):
        raise VALUE
    (area,), extra = _areas([rng])
    return float(extra + sum(1 for v in area if v is BLANK or v == ""))


@function("COUNTIF", "raw, anyerr", category=CAT)
def COUNTIF(rng, criteria):
    """Count of the cells meeting a criteria."""
    mask, _, extra = _criteria_mask([(rng, criteria)])
    return float(sum(mask) + extra)


@function("COUNTIFS", "raw, anyerr, raw*, anyerr*", category=CAT)
def COUNTIFS(*args):
    """Count of the cells meeting every (range, criteria) pair."""
    mask, _, extra = _criteria_mask(_group(args))
    return float(sum(mask) + extra)


def _matched_numbers(values: Array, mask: list[bool]) -> list[float]:
    """Numbers of the matched cells of a value range; an error in a matched
    cell propagates, text and logicals are ignored."""
    out = []
    for v, hit in zip(values, mask):
        if not hit:
            continue
        if isinstance(v, XLError):
            raise v
        if _is_num(v):
            out.append(v)
    return out


@function("AVERAGEIF", "raw, anyerr, raw?", category=CAT)
def AVERAGEIF(rng, criteria, average_range=None):
    """Average of the cells meeting a criteria (average_range takes the
    shape of range, from its top-left cell)."""
    mask, areas, _ = _criteria_mask([(rng, criteria)])
    if average_range is None or average_range is MISSING:
        vals = areas[0]
    else:
        vals = _resized(average_range, areas[0].shape)
    xs = _matched_numbers(vals, mask)
    if not xs:
        raise DIV0
    return _mean(xs)


def _resized(arg, shape: tuple[int, int]) -> Array:
    """Values of the area of ``shape`` starting at the top-left of ``arg``."""
    rows, cols = shape
    if isinstance(arg, MultiRef):
        raise VALUE
    if isinstance(arg, RangeRef):
        return RangeRef(arg.model, arg.sheet, arg.r1, arg.c1, arg.r1 + rows - 1, arg.c1 + cols - 1).to_array()
    a = arg if isinstance(arg, Array) else Array([[arg]])
    return Array([[a.data[r][c] if r < a.rows and c < a.cols else BLANK for c in range(cols)]
                  for r in range(rows)])


def _value_ifs(value_range, args) -> list[float]:
    pairs = _group(args)
    ranges = [value_range] + [r for r, _ in pairs]
    areas, _ = _areas(ranges)   # #VALUE! unless every range has the same shape
    preds = [helpers.make_criteria(c) for _, c in pairs]
    flat = [list(a) for a in areas[1:]]
    mask = [all(p(f[i]) for p, f in zip(preds, flat)) for i in range(len(flat[0]))]
    return _matched_numbers(areas[0], mask)


@function("AVERAGEIFS", "raw, raw, anyerr, raw*, anyerr*", category=CAT)
def AVERAGEIFS(average_range, *args):
    """Average of the cells meeting every (range, criteria) pair."""
    xs = _value_ifs(average_range, args)
    if not xs:
        raise DIV0
    return _mean(xs)


@function("MINIFS", "raw, raw, anyerr, raw*, anyerr*", category=CAT)
def MINIFS(min_range, *args):
    """Smallest of the cells meeting every (range, criteria) pair; 0 if none."""
    xs = _value_ifs(min_range, args)
    return min(xs) if xs else 0.0


@function("MAXIFS", "raw, raw, anyerr, raw*, anyerr*", category=CAT)
def MAXIFS(max_range, *args):
    """Largest of the cells meeting every (range, criteria) pair; 0 if none."""
    xs = _value_ifs(max_range, args)
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

def _kth(arg, k: float, largest: bool) -> float:
    xs = _data(arg)
    k = math.ceil(k)  # a fractional k rounds up
    if not xs or k < 1 or k > len(xs):
        raise NUM
    xs.sort(reverse=largest)
    return xs[k - 1]


@function("LARGE", "raw, number", category=CAT, array_args=(0,))
def LARGE(array, k):
    """k-th largest number."""
    return _kth(array, k, True)


@function("SMALL", "raw, number", category=CAT, array_args=(0,))
def SMALL(array, k):
    """k-th smallest number."""
    return _kth(array, k, False)


def _pct_inc(xs: list[float], p: float) -> float:
    if not xs or p < 0 or p > 1:
        raise NUM
    s = sorted(xs)
    h = (len(s) - 1) * p
    i = math.floor(h)
    if i + 1 >= len(s):
        return s[-1]
    return s[i] + (h - i) * (s[i + 1] - s[i])


def _pct_exc(xs: list[float], p: float) -> float:
    n = len(xs)
    if not xs or p <= 0 or p >= 1:
        raise NUM
    h = (n + 1) * p
    if h < 1 or h > n:
        raise NUM
    s = sorted(xs)
    i = math.floor(h)
    if i >= n:
        return s[-1]
    return s[i - 1] + (h - i) * (s[i] - s[i - 1])


@function("PERCENTILE.INC", "raw, number", category=CAT, aliases=("PERCENTILE",), array_args=(0,))
def PERCENTILE_INC(array, k):
    """k-th percentile, 0 <= k <= 1, interpolating between ranks."""
    return _pct_inc(_data(array), k)


@function("PERCENTILE.EXC", "raw, number", category=CAT, array_args=(0,))
def PERCENTILE_EXC(array, k):
    """k-th percentile with k strictly between 0 and 1 (rank k*(n+1))."""
    return _pct_exc(_data(array), k)


@function("QUARTILE.INC", "raw, number", category=CAT, aliases=("QUARTILE",), array_args=(0,))
def QUARTILE_INC(array, quart):
    """Quartile 0..4 (truncated) of the numbers."""
    q = math.trunc(quart)
    if q < 0 or q > 4:
        raise NUM
    return _pct_inc(_data(array), q / 4)


@function("QUARTILE.EXC", "raw, number", category=CAT, array_args=(0,))
def QUARTILE_EXC(array, quart):
    """Quartile 1..3 (truncated), exclusive method."""
    q = math.trunc(quart)
    if q < 1 or q > 3:
        raise NUM
    return _pct_exc(_data(array), q / 4)


def _percentrank(array, x: float, sig: float, exclusive: bool) -> float:
    xs = sorted(_data(array))
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

    lo = sum(1 for v in xs if v < x)
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
          array_args=(0,))
def PERCENTRANK_INC(array, x, significance=3.0):
    """Rank of x as a fraction 0..1 of the data, truncated to significance digits."""
    return _percentrank(array, x, significance, False)


@function("PERCENTRANK.EXC", "raw, number, number?", category=CAT, array_args=(0,))
def PERCENTRANK_EXC(array, x, significance=3.0):
    """Rank of x as a fraction strictly between 0 and 1, exclusive method."""
    return _percentrank(array, x, significance, True)


def _rank(x: float, ref, order: float, average: bool) -> float:
    if isinstance(ref, (RangeRef, MultiRef, Array)):
        xs = _data(ref)
    else:
        raise VALUE  # Excel wants a reference
    if x not in xs:
        raise NA
    if order == 0:
        better = sum(1 for v in xs if v > x)
    else:
        better = sum(1 for v in xs if v < x)
    if not average:
        return float(better + 1)
    ties = sum(1 for v in xs if v == x)
    return better + (ties + 1) / 2


@function("RANK.EQ", "number, raw, number?", category=CAT, aliases=("RANK",))
def RANK_EQ(number, ref, order=0.0):
    """Rank of a number in a list (1 = largest unless order is non-zero);
    ties share the best rank."""
    return _rank(number, ref, order, False)


@function("RANK.AVG", "number, raw, number?", category=CAT)
def RANK_AVG(number, ref, order=0.0):
    """Rank of a number in a list; ties get their average rank."""
    return _rank(number, ref, order, True)


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
    import bisect
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
