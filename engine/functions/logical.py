"""Logical functions: AND, OR, XOR, NOT, TRUE, FALSE.

IF, IFERROR, IFNA, IFS, SWITCH, LET and LAMBDA evaluate their arguments
lazily and live in the evaluator (``engine.eval.context``).

AND/OR/XOR aggregate like Excel: inside references and arrays only logicals
and numbers count (text and blanks are skipped); a value typed directly must
be a logical, a number or the text "TRUE"/"FALSE" (other text is #VALUE!,
an empty string is skipped).  With nothing to test the result is #VALUE!.
"""
from __future__ import annotations

from typing import Any, Iterator

from ..eval.refs import LambdaValue
from ..values import BLANK, MISSING, VALUE, XLError
from . import helpers
from .registry import function


def _logicals(args: list[Any]) -> Iterator[bool]:
    """The logical values of AND/OR/XOR arguments; raises the first error."""
    for arg in args:
        if isinstance(arg, LambdaValue):
            raise XLError("#CALC!")
        if arg is MISSING:
            yield False          # an empty argument counts as FALSE
            continue
        for v, from_range in helpers.iter_arg(arg):
            if isinstance(v, XLError):
                raise v
            if isinstance(v, bool):
                yield v
            elif isinstance(v, (int, float)):
                yield v != 0
            elif isinstance(v, str) and not from_range:
                u = v.upper()
                if u == "TRUE" or u == "FALSE":
                    yield u == "TRUE"
                elif v != "":
                    raise VALUE
            # text and blanks inside references/arrays are ignored
            elif v is BLANK:
                continue


def _no_logicals() -> XLError:
    return VALUE.with_message("no logical values among the arguments")


@function("AND", "raw+", category="logical")
def AND(*args):
    """TRUE when every logical value among the arguments is TRUE."""
    seen = False
    result = True
    for b in _logicals(args):
        seen = True
        result = result and b
    return result if seen else _no_logicals()


@function("OR", "raw+", category="logical")
def OR(*args):
    """TRUE when any logical value among the arguments is TRUE."""
    seen = False
    result = False
    for b in _logicals(args):
        seen = True
        result = result or b
    return result if seen else _no_logicals()


@function("XOR", "raw+", category="logical")
def XOR(*args):
    """TRUE when an odd number of the logical values are TRUE."""
    seen = False
    count = 0
    for b in _logicals(args):
        seen = True
        count += b
    return (count % 2 == 1) if seen else _no_logicals()


@function("NOT", "bool", category="logical")
def NOT(b):
    """The opposite of a logical value."""
    return not b


@function("TRUE", "", category="logical")
def TRUE():
    """The logical value TRUE."""
    return True


@function("FALSE", "", category="logical")
def FALSE():
    """The logical value FALSE."""
    return False
