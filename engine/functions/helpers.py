"""Shared argument helpers for function families: flattening aggregate
arguments by Excel's rules, criteria strings (SUMIF/COUNTIFS), wildcard
matching.  Functions call these instead of re-implementing the rules."""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Iterator

from ..eval.refs import LambdaValue, MultiRef, RangeRef
from ..values import BLANK, CALC, MISSING, VALUE, Array, XLError
from . import coerce


def is_reference(v: Any) -> bool:
    return isinstance(v, (RangeRef, MultiRef))


def iter_arg(arg: Any) -> Iterator[tuple[Any, bool]]:
    """Yield (value, came_from_range_or_array) for one aggregate argument."""
    if isinstance(arg, RangeRef):
        for v in arg.to_array():
            yield v, True
    elif isinstance(arg, MultiRef):
        for a in arg.areas:
            for v in a.to_array():
                yield v, True
    elif isinstance(arg, Array):
        for v in arg:
            yield v, True
    else:
        yield arg, False


def iter_values(args: Iterable[Any]) -> Iterator[tuple[Any, bool]]:
    for a in args:
        if a is MISSING:
            yield BLANK, False
            continue
        yield from iter_arg(a)


def numbers(args: Iterable[Any], *, text_in_ranges: str = "skip", bools_in_ranges: str = "skip",
            errors: str = "raise", skip_direct_text: bool = False) -> list[float]:
    """Numbers of an aggregate's arguments, by Excel's SUM/AVERAGE rules:
    values from ranges and arrays count only when numeric; values typed
    directly are coerced ("3" -> 3, TRUE -> 1) and bad text is #VALUE!.

    text_in_ranges / bools_in_ranges: 'skip' or 'count' (as 0 / 1, the A-variants).
    errors: 'raise' (propagate the first error) or 'skip'.
    """
    out: list[float] = []
    for v, from_range in iter_values(args):
        if isinstance(v, XLError):
            if errors == "raise":
                raise v
            continue
        if isinstance(v, bool):
            if from_range:
                if bools_in_ranges == "count":
                    out.append(1.0 if v else 0.0)
                continue
            out.append(1.0 if v else 0.0)
        elif isinstance(v, float):
            out.append(v)
        elif isinstance(v, int):
            out.append(float(v))
        elif isinstance(v, str):
            if from_range:
                if text_in_ranges == "count":
                    out.append(0.0)
                continue
            if skip_direct_text:
                continue
            out.append(coerce.to_number(v))
        elif v is BLANK:
            if not from_range:
                out.append(0.0)
    return out


def flat_values(arg: Any) -> list[Any]:
    return [v for v, _ in iter_arg(arg)]


def first_error(values: Iterable[Any]) -> XLError | None:
    for v in values:
        if isinstance(v, XLError):
            return v
    return None


# --- wildcards and criteria ---------------------------------------------------

def wildcard_regex(pattern: str) -> re.Pattern:
    """Excel wildcards: * any run, ? one char, ~ escapes; case-insensitive."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "~" and i + 1 < len(pattern) and pattern[i + 1] in "*?~":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def has_wildcard(s: str) -> bool:
    return bool(re.search(r"(?<!~)[*?]", s)) or "~" in s


_OPS = ("<=", ">=", "<>", "<", ">", "=")


def make_criteria(crit: Any) -> Callable[[Any], bool]:
    """Predicate for a SUMIF/COUNTIF criteria value, parsed as Excel does."""
    if isinstance(crit, XLError):
        return lambda v: isinstance(v, XLError) and v.code == crit.code
    if crit is BLANK or crit is MISSING:
        # an empty criteria cell matches cells equal to 0?  Excel: matches blank-as-zero numerics
        return lambda v: (isinstance(v, float) and v == 0.0 and not isinstance(v, bool))
    if isinstance(crit, bool):
        return lambda v: isinstance(v, bool) and v == crit
    if isinstance(crit, (int, float)):
        x = float(crit)
        return lambda v: _num_equal(v, x)
    s = str(crit)
    op = "="
    for o in _OPS:
        if s.startswith(o):
            op, s = o, s[len(o):]
            break
    explicit = s != str(crit)
    num = coerce.parse_number_text(s) if s.strip() != "" else None
    low = s.lower()
    if op in ("=", "<>"):
        if s == "":
            if op == "=":
                # "=" matches empty cells only; "" (no operator) matches blank and ""
                if explicit:
                    pred = lambda v: v is BLANK  # noqa: E731
                else:
                    pred = lambda v: v is BLANK or v == ""  # noqa: E731
            else:
                pred = lambda v: not (v is BLANK)  # noqa: E731
            return pred
        if num is not None:
            base = lambda v: _num_equal(v, num)  # noqa: E731
        elif low in ("true", "false"):
            b = low == "true"
            base = lambda v: isinstance(v, bool) and v == b  # noqa: E731
        elif low in _ERROR_TEXT:
            base = lambda v: isinstance(v, XLError) and v.code.lower() == low  # noqa: E731
        elif has_wildcard(s):
            rx = wildcard_regex(s)
            base = lambda v: isinstance(v, str) and rx.fullmatch(v) is not None  # noqa: E731
        else:
            base = lambda v: isinstance(v, str) and v.lower() == low  # noqa: E731
        if op == "=":
            return base
        if num is not None:
            # "<>23" excludes only the number 23: numeric text stays unequal
            return lambda v: not (isinstance(v, (int, float)) and not isinstance(v, bool) and float(v) == num)
        return lambda v: not base(v)
    if s == "":
        return lambda v: False  # "<", ">=" ... with nothing to compare match no cell
    # ordering comparisons: numbers against numbers, text against text
    if num is not None:
        def pred(v, num=num, op=op):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return False
            return _cmp(float(v), num, op)
        return pred

    def tpred(v, op=op, low=low):
        if not isinstance(v, str):
            return False
        return _cmp(v.lower(), low, op)
    return tpred


_ERROR_TEXT = {"#null!", "#div/0!", "#value!", "#ref!", "#name?", "#num!", "#n/a", "#spill!", "#calc!"}


def _num_equal(v: Any, x: float) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return float(v) == x
    if isinstance(v, str):
        y = coerce.parse_number_text(v)
        return y is not None and y == x
    return False


def _cmp(a, b, op: str) -> bool:
    if op == "<":
        return a < b
    if op == ">":
        return a > b
    if op == "<=":
        return a <= b
    if op == ">=":
        return a >= b
    raise VALUE


def as_2d(arg: Any) -> Array:
    """Values of a range, array or scalar as an Array."""
    if isinstance(arg, RangeRef):
        return arg.to_array()
    if isinstance(arg, Array):
        return arg
    if isinstance(arg, MultiRef):
        raise VALUE
    return Array([[arg]])


def as_grid(arg: Any) -> Array:
    """A table or vector argument as an Array: like :func:`as_2d`, and an
    omitted argument is one blank cell, a LAMBDA is #CALC!."""
    if isinstance(arg, LambdaValue):
        raise CALC
    if arg is MISSING:
        return Array([[BLANK]])
    return as_2d(arg)
