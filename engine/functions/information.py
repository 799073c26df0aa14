"""Information functions: the IS* tests, N, TYPE, ERROR.TYPE, NA, CELL, INFO.

The IS* functions take their argument with errors passed in (kind
``anyerr``), so they lift element-wise over arrays by themselves.  ISREF
and TYPE look at what the argument evaluated to (reference, array,
LAMBDA) before any dereferencing.
"""
from __future__ import annotations

import math
import os
import re
from typing import Any

from ..eval.refs import LambdaValue, MultiRef, RangeRef
from ..parser.printer import col_letters
from ..values import BLANK, ERROR_TYPE_NUMBER, MISSING, NA, VALUE, Array, XLError
from . import coerce
from .registry import function


# --- IS* ------------------------------------------------------------------------

@function("ISBLANK", "anyerr", category="information")
def ISBLANK(v):
    """TRUE for an empty cell (a formula returning "" is not blank)."""
    return v is BLANK or v is MISSING


@function("ISERR", "anyerr", category="information")
def ISERR(v):
    """TRUE for any error except #N/A."""
    return isinstance(v, XLError) and v.code != "#N/A"


@function("ISERROR", "anyerr", category="information")
def ISERROR(v):
    """TRUE for any error value."""
    return isinstance(v, XLError)


@function("ISNA", "anyerr", category="information")
def ISNA(v):
    """TRUE for the #N/A error."""
    return isinstance(v, XLError) and v.code == "#N/A"


@function("ISNUMBER", "anyerr", category="information")
def ISNUMBER(v):
    """TRUE for a number (numeric text is not a number)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@function("ISTEXT", "anyerr", category="information")
def ISTEXT(v):
    """TRUE for text."""
    return isinstance(v, str)


@function("ISNONTEXT", "anyerr", category="information")
def ISNONTEXT(v):
    """TRUE for anything that is not text (blanks and errors included)."""
    return not isinstance(v, str)


@function("ISLOGICAL", "anyerr", category="information")
def ISLOGICAL(v):
    """TRUE for TRUE or FALSE."""
    return isinstance(v, bool)


@function("ISREF", "raw", category="information")
def ISREF(v):
    """TRUE when the argument is a reference (or evaluates to one)."""
    return isinstance(v, (RangeRef, MultiRef))


@function("ISFORMULA", "ref", category="information", context=True)
def ISFORMULA(ctx, ref):
    """TRUE when the (top-left) referenced cell holds a formula."""
    if isinstance(ref, MultiRef):
        ref = ref.areas[0]
    key = (ref.sheet, ref.r1, ref.c1)
    m = ctx.model
    # cells of an array formula's range and of a spill show the formula too
    return key in m.formulas or key in m.array_owner or key in m.spilled_by


def _parity_number(v: Any) -> int:
    """ISEVEN/ISODD's argument: numbers (and numeric text) truncated;
    logicals are #VALUE!."""
    if isinstance(v, bool):
        raise VALUE
    return math.trunc(coerce.to_number(v))


@function("ISEVEN", "any", category="information")
def ISEVEN(v):
    """TRUE when the number, truncated, is even."""
    return _parity_number(v) % 2 == 0


@function("ISODD", "any", category="information")
def ISODD(v):
    """TRUE when the number, truncated, is odd."""
    return _parity_number(v) % 2 == 1


# --- values ---------------------------------------------------------------------

@function("N", "any", category="information")
def N(v):
    """A value as a number: numbers as they are, TRUE 1, anything else 0."""
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    return 0.0


@function("TYPE", "raw", category="information", context=True)
def TYPE(ctx, v):
    """1 number, 2 text, 4 logical, 16 error, 64 array, 128 LAMBDA."""
    if isinstance(v, LambdaValue):
        return 128.0
    if isinstance(v, MultiRef):
        return 16.0
    if isinstance(v, RangeRef):
        if not v.is_cell:
            return 64.0
        v = v.value()
    if isinstance(v, Array):
        return 64.0 if (v.rows, v.cols) != (1, 1) else TYPE(ctx, v.data[0][0])
    if isinstance(v, XLError):
        return 16.0
    if isinstance(v, bool):
        return 4.0
    if isinstance(v, str):
        return 2.0
    return 1.0


@function("ERROR.TYPE", "anyerr", category="information")
def ERROR_TYPE(v):
    """The number of an error value (1 #NULL! ... 7 #N/A); #N/A otherwise."""
    if isinstance(v, XLError):
        n = ERROR_TYPE_NUMBER.get(v.code)
        if n is not None:
            return float(n)
    return NA


@function("NA", "", category="information")
def NA_():
    """The #N/A error value."""
    return NA


# --- CELL -----------------------------------------------------------------------

def _book_name(model) -> str:
    path = getattr(model, "path", None) or ""
    if not path or path.startswith("<"):
        return ""
    return os.path.basename(str(path))


def _quoted_sheet(name: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
        return name
    return "'" + name.replace("'", "''") + "'"


def _cell_record(model, sheet: int, row: int, col: int):
    try:
        return model.wb.sheets[sheet].cells.get((row, col))
    except (AttributeError, IndexError):
        return None


_QUOTED = re.compile(r'"[^"]*"|\\.|_.|\*.')


def _format_sections(fmt: str) -> list[str]:
    """The ';'-separated sections of a number format, quoted text and
    escaped characters removed."""
    return _QUOTED.sub("", fmt).split(";")


def _format_code(fmt: str | None) -> str:
    """CELL("format"): Excel's short code for a number format."""
    if fmt is None or fmt.strip().lower() in ("", "general", "@"):
        return "G"
    sections = _format_sections(fmt)
    first = sections[0]
    body = re.sub(r"\[[^\]]*\]", "", first)       # colours, conditions, locale tags
    low = body.lower()
    negative_colour = len(sections) > 1 and re.search(r"\[[a-z]+\d*\]", sections[1], re.I) is not None
    suffix = ("-" if negative_colour else "") + ("()" if "(" in body else "")
    if re.search(r"[ymdhs]", low) and not re.search(r"[0#?]", low):
        ampm = "am/pm" in low or "a/p" in low
        if "h" in low or ("s" in low and "d" not in low and "y" not in low):
            return ("D6" if "s" in low else "D7") if ampm else ("D8" if "s" in low else "D9")
        has_y, has_d = "y" in low, "d" in low
        named_month = "mmm" in low
        if has_y and has_d:
            return "D1" if named_month else "D4"
        if has_d and named_month:
            return "D2"
        if has_y:
            return "D3"
        if has_d:
            return "D5"
        return "D4"
    if "?/" in body or "/?" in body:
        return "G"
    m = re.search(r"\.([0#?]+)", body)
    decimals = len(m.group(1)) if m else 0
    if "%" in body:
        kind = "P"
    elif re.search(r"e[+-]", low):
        kind = "S"
    elif re.search(r"[$€£¥]", first) or "[$" in first:
        kind = "C"
    elif re.search(r"[0#?],[0#?]", body):
        kind = ","
    elif re.search(r"[0#?]", body):
        kind = "F"
    else:
        return "G"
    return f"{kind}{decimals}{suffix}"


@function("CELL", "text, ref?", category="information", context=True)
def CELL(ctx, info_type, ref=None):
    """Information about the top-left cell of a reference (the formula's own
    cell when omitted): address, col, row, contents, type, filename,
    format, parentheses, color."""
    info = info_type.strip().lower()
    model = ctx.model
    if ref is None:
        sheet, row, col = ctx.sheet, ctx.row, ctx.col
    else:
        area = ref.areas[0] if isinstance(ref, MultiRef) else ref
        sheet, row, col = area.sheet, area.r1, area.c1
    if info == "address":
        addr = f"${col_letters(col)}${row}"
        if sheet != ctx.sheet:
            book = _book_name(model)
            addr = f"{f'[{book}]' if book else ''}{_quoted_sheet(model.sheet_names[sheet])}!{addr}"
        return addr
    if info == "col":
        return float(col)
    if info == "row":
        return float(row)
    own_cell = (sheet, row, col) == (ctx.sheet, ctx.row, ctx.col)
    if info == "contents":
        if own_cell:    # Excel's "last changed cell"; never read the formula's own value
            return VALUE.with_message("CELL(\"contents\") of its own cell")
        return model.cell_value(sheet, row, col)
    if info == "type":
        if own_cell:
            return "v"
        v = model.cell_value(sheet, row, col)
        if v is BLANK:
            return "b"
        return "l" if isinstance(v, str) else "v"
    if info == "filename":
        book = _book_name(model)
        if not book:
            return ""
        folder = os.path.dirname(os.path.abspath(str(model.path)))
        return f"{folder}{os.sep}[{book}]{model.sheet_names[sheet]}"
    if info in ("format", "parentheses", "color"):
        rec = _cell_record(model, sheet, row, col)
        fmt = rec.number_format if rec is not None else None
        code = _format_code(fmt)
        if info == "format":
            return code
        if info == "parentheses":
            return 1.0 if code.endswith("()") else 0.0
        return 1.0 if "-" in code else 0.0
    # prefix, protect, width need alignment/protection/column data the model lacks
    return VALUE.with_message(f"CELL info_type {info_type!r} is not supported")


# --- INFO -----------------------------------------------------------------------

@function("INFO", "text", category="information", context=True)
def INFO(ctx, type_text):
    """Information about the operating environment."""
    t = type_text.strip().lower()
    model = ctx.model
    if t == "directory":
        book = _book_name(model)
        if not book:
            return ""
        return os.path.dirname(os.path.abspath(str(model.path))) + os.sep
    if t == "numfile":
        return float(len(model.sheet_names))
    if t == "origin":
        return "$A:$A$1"
    if t == "osversion":
        return "Windows (64-bit) NT 10.00"
    if t == "recalc":
        return "Automatic"
    if t == "release":
        return "16.0"
    if t == "system":
        return "pcdos"
    return VALUE.with_message(f"INFO type {type_text!r} is not known")
