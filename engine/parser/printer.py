"""Syntax tree -> canonical formula text (without the leading '=')."""
from __future__ import annotations

import re

from . import ast as A

_BP = {"=": 10, "<>": 10, "<": 10, ">": 10, "<=": 10, ">=": 10, "&": 20, "+": 30, "-": 30,
       "*": 40, "/": 40, "^": 50, " ": 80, ":": 90}


def col_letters(c: int) -> str:
    out = ""
    while c > 0:
        c, rem = divmod(c - 1, 26)
        out = chr(65 + rem) + out
    return out


_PLAIN_SHEET = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*$")


def sheet_prefix(sheet: str | None, sheet2: str | None = None, book: str | None = None) -> str:
    if sheet is None and book is None:
        return ""
    name = sheet or ""
    if sheet2:
        name = f"{name}:{sheet2}"
    full = f"[{book}]{name}" if book else name
    looks_like_cell = re.fullmatch(r"[A-Za-z]{1,3}[0-9]+|R[0-9]*C[0-9]*", name or "", re.I)
    if name and _PLAIN_SHEET.match(name) and not looks_like_cell:
        return f"{full}!"
    return "'" + full.replace("'", "''") + "'!"


def ref_text(n: A.Ref) -> str:
    pre = sheet_prefix(n.sheet, n.sheet2, n.book)
    d = lambda b: "$" if b else ""  # noqa: E731
    if n.r1 is None:
        return f"{pre}{d(n.c1_abs)}{col_letters(n.c1)}:{d(n.c2_abs)}{col_letters(n.c2)}"
    if n.c1 is None:
        return f"{pre}{d(n.r1_abs)}{n.r1}:{d(n.r2_abs)}{n.r2}"
    first = f"{d(n.c1_abs)}{col_letters(n.c1)}{d(n.r1_abs)}{n.r1}"
    if n.is_cell:
        return pre + first
    return f"{pre}{first}:{d(n.c2_abs)}{col_letters(n.c2)}{d(n.r2_abs)}{n.r2}"


def number_text(v: float) -> str:
    if v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return repr(v)


def _struct_col(name: str) -> str:
    return re.sub(r"([\[\]#'])", r"'\1", name)


def struct_text(n: A.StructRef) -> str:
    parts = [f"[{i}]" for i in n.items]
    if n.col1 is not None:
        col = f"[{_struct_col(n.col1)}]"
        if n.col2 is not None:
            col += f":[{_struct_col(n.col2)}]"
        parts.append(col)
    body = ",".join(parts)
    return f"{n.table or ''}[{body}]"


def to_text(n: A.Node) -> str:
    return _p(n, 0)


def _p(n: A.Node, ctx_bp: int) -> str:
    if isinstance(n, A.Number):
        return number_text(n.value)
    if isinstance(n, A.Text):
        return '"' + n.value.replace('"', '""') + '"'
    if isinstance(n, A.Bool):
        return "TRUE" if n.value else "FALSE"
    if isinstance(n, A.ErrorLit):
        return n.code
    if isinstance(n, A.MissingArg):
        return ""
    if isinstance(n, A.Ref):
        return ref_text(n)
    if isinstance(n, A.RefError):
        return sheet_prefix(n.sheet) + "#REF!"
    if isinstance(n, A.Name):
        return sheet_prefix(n.sheet, None, n.book) + n.name
    if isinstance(n, A.StructRef):
        return struct_text(n)
    if isinstance(n, A.ArrayLit):
        return "{" + ";".join(",".join(_p(x, 0) for x in row) for row in n.rows) + "}"
    if isinstance(n, A.Unary):
        s = n.op + _p(n.operand, 70)
        return f"({s})" if ctx_bp > 70 else s
    if isinstance(n, A.Percent):
        s = _p(n.operand, 60) + "%"
        return f"({s})" if ctx_bp > 60 else s
    if isinstance(n, A.Spill):
        return _p(n.operand, 95) + "#"
    if isinstance(n, A.Binary):
        bp = _BP[n.op]
        # left-associative: the right operand needs parentheses at equal power
        s = _p(n.left, bp) + n.op + _p(n.right, bp + 1)
        return f"({s})" if ctx_bp > bp else s
    if isinstance(n, A.Union):
        return "(" + ",".join(_p(x, 0) for x in n.items) + ")"
    if isinstance(n, A.Call):
        return f"{n.prefix}{n.name}(" + ",".join(_p(a, 0) for a in n.args) + ")"
    if isinstance(n, A.CallExpr):
        return _p(n.callee, 100) + "(" + ",".join(_p(a, 0) for a in n.args) + ")"
    if isinstance(n, A.ParseFailure):
        return f"#PARSE({n.message})"
    raise TypeError(f"cannot print {n!r}")
