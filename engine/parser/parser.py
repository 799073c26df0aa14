"""Excel formula text -> syntax tree.

A hand-written scanner and a precedence-climbing parser.  Precedence, from
loosest to tightest, is Excel's: comparison, ``&``, ``+ -``, ``* /``, ``^``,
``%``, unary ``- +``, intersection (space), range ``:``, and the postfix
spill ``#``.  Note Excel binds unary minus tighter than ``^`` (-2^2 = 4) and
``^`` is left-associative (2^3^2 = 64).
"""
from __future__ import annotations

import re

from . import ast as A
from .ast import MAX_COL, MAX_ROW

PREFIXES = ("_xlfn._xlws.", "_xlfn.", "_xlws.", "_xll.", "_xludf.", "_xlpm.", "_xldudf_")
ERROR_LITERALS = ["#GETTING_DATA", "#DIV/0!", "#VALUE!", "#SPILL!", "#CALC!", "#NULL!",
                  "#NAME?", "#NUM!", "#REF!", "#N/A"]


class FormulaSyntaxError(Exception):
    pass


# --- tokens ---------------------------------------------------------------

class Tok:
    __slots__ = ("kind", "value", "pos", "space_before")

    def __init__(self, kind: str, value, pos: int, space_before: bool = False):
        self.kind = kind          # num str bool err ref name func struct op ( ) { } , ; eof
        self.value = value
        self.pos = pos
        self.space_before = space_before

    def __repr__(self):
        return f"Tok({self.kind},{self.value!r})"


_SHEET_UNQUOTED = r"[A-Za-z0-9_.\\\u00a1-\uffff]+"
_RE_SHEET_PREFIX = re.compile(
    r"(?:\[(?P<book>[^\]]+)\])?(?:(?P<s1>" + _SHEET_UNQUOTED + r")(?::(?P<s2>" + _SHEET_UNQUOTED + r"))?)?!")
_RE_QUOTED_SHEET = re.compile(r"'((?:[^']|'')+)'!")
_RE_COLRANGE = re.compile(r"(\$?)([A-Za-z]{1,3}):(\$?)([A-Za-z]{1,3})(?![A-Za-z0-9_.(\[!])")
_RE_ROWRANGE = re.compile(r"(\$?)([0-9]{1,7}):(\$?)([0-9]{1,7})(?![A-Za-z0-9_.(\[!])")
_RE_CELL = re.compile(r"(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})(?![A-Za-z0-9_.(\[\\?])")
_RE_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_RE_IDENT = re.compile(r"[A-Za-z_\\\u00a1-\uffff][A-Za-z0-9_.\\?\u00a1-\uffff]*")
_IDENT_START = re.compile(r"[A-Za-z_\\\u00a1-\uffff$]")


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


class Scanner:
    def __init__(self, text: str):
        self.s = text
        self.i = 0
        self.toks: list[Tok] = []

    def error(self, msg: str):
        raise FormulaSyntaxError(f"{msg} at position {self.i + 1}")

    def prev_is_operand(self) -> bool:
        if not self.toks:
            return False
        k = self.toks[-1].kind
        return k in ("num", "str", "bool", "err", "ref", "name", "struct", ")", "}", "spill", "percent")

    def run(self) -> list[Tok]:
        s = self.s
        n = len(s)
        while self.i < n:
            ch = s[self.i]
            space = False
            if ch in " \n\r\t":
                while self.i < n and s[self.i] in " \n\r\t":
                    self.i += 1
                if self.i >= n:
                    break
                space = True
                ch = s[self.i]
                # a space between two operands is the intersection operator
                if self.prev_is_operand() and self.toks[-1].kind in ("ref", "name", "struct", ")") \
                        and (ch in "($'" or _IDENT_START.match(ch) or ch.isdigit()):
                    self.toks.append(Tok("op", " ", self.i))
                    space = False
            start = self.i
            tok = self.scan_one(ch)
            tok.pos = start
            tok.space_before = space
            self.toks.append(tok)
        self.toks.append(Tok("eof", None, n))
        return self.toks

    def scan_one(self, ch: str) -> Tok:
        s, i = self.s, self.i
        if ch == '"':
            j = i + 1
            out = []
            while True:
                k = s.find('"', j)
                if k < 0:
                    self.error("unterminated text")
                out.append(s[j:k])
                if k + 1 < len(s) and s[k + 1] == '"':
                    out.append('"')
                    j = k + 2
                    continue
                self.i = k + 1
                return Tok("str", "".join(out), i)
        if ch == "#":
            up = s[i:i + 14].upper()
            for e in ERROR_LITERALS:
                if up.startswith(e):
                    self.i = i + len(e)
                    return Tok("err", e, i)
            if self.prev_is_operand():
                self.i = i + 1
                return Tok("spill", "#", i)
            self.error("unknown error literal")
        if ch == "'":
            m = _RE_QUOTED_SHEET.match(s, i)
            if not m:
                self.error("bad quoted sheet name")
            sheet = m.group(1).replace("''", "'")
            book = None
            bm = re.match(r"\[([^\]]+)\](.*)", sheet)
            if bm:
                book, sheet = bm.group(1), bm.group(2)
            sheet2 = None
            if ":" in sheet:
                sheet, sheet2 = sheet.split(":", 1)
            self.i = m.end()
            return self.scan_reference(sheet, sheet2, book)
        if ch.isdigit() or ch == ".":
            m = _RE_ROWRANGE.match(s, i)
            if m and self._row_ok(m.group(2)) and self._row_ok(m.group(4)):
                self.i = m.end()
                return self._rowrange(None, None, None, m)
            m = _RE_NUMBER.match(s, i)
            if not m:
                self.error("bad number")
            # a sheet named like 2019!A1
            end = m.end()
            if end < len(s) and s[end] in "!:" and _RE_SHEET_PREFIX.match(s, i):
                return self.try_sheet_prefix()
            self.i = end
            return Tok("num", float(m.group(0)), i)
        if ch == "[":
            # external book prefix [1]Sheet!A1, or a table-less structured ref [@Col]
            if re.match(r"\[[0-9]+\]", s[i:]) or re.match(r"\[[^\]\[]+\][^!\[\](),]*!", s[i:]):
                return self.try_sheet_prefix()
            return Tok("struct", A.StructRef(None, *self.scan_struct_spec()), i)
        if ch == "$" or _IDENT_START.match(ch):
            return self.scan_word()
        two = s[i:i + 2]
        if two in ("<>", "<=", ">="):
            self.i += 2
            return Tok("op", two, i)
        if ch in "+-*/^&=<>:@":
            self.i += 1
            return Tok("op", ch, i)
        if ch == "%":
            self.i += 1
            return Tok("percent", "%", i)
        if ch in "(){},;":
            self.i += 1
            return Tok(ch, ch, i)
        self.error(f"unexpected character {ch!r}")

    @staticmethod
    def _row_ok(digits: str) -> bool:
        return 1 <= int(digits) <= MAX_ROW

    @staticmethod
    def _col_ok(letters: str) -> bool:
        return 1 <= col_index(letters) <= MAX_COL

    def _rowrange(self, sheet, sheet2, book, m) -> Tok:
        r1, r2 = int(m.group(2)), int(m.group(4))
        ref = A.Ref(sheet, min(r1, r2), None, max(r1, r2), None,
                    r1_abs=bool(m.group(1)), r2_abs=bool(m.group(3)), sheet2=sheet2, book=book)
        return Tok("ref", ref, self.i)

    def try_sheet_prefix(self) -> Tok:
        m = _RE_SHEET_PREFIX.match(self.s, self.i)
        if not m:
            self.error("bad reference prefix")
        self.i = m.end()
        return self.scan_reference(m.group("s1"), m.group("s2"), m.group("book"))

    def scan_reference(self, sheet, sheet2, book) -> Tok:
        """What follows ``Sheet!``: a cell, a row/column range, #REF! or a name."""
        s, i = self.s, self.i
        if s[i:i + 5].upper() == "#REF!":
            self.i = i + 5
            return Tok("ref", A.RefError(sheet), i)
        m = _RE_COLRANGE.match(s, i)
        if m and self._col_ok(m.group(2)) and self._col_ok(m.group(4)):
            self.i = m.end()
            c1, c2 = col_index(m.group(2)), col_index(m.group(4))
            return Tok("ref", A.Ref(sheet, None, min(c1, c2), None, max(c1, c2), c1_abs=bool(m.group(1)),
                                    c2_abs=bool(m.group(3)), sheet2=sheet2, book=book), i)
        m = _RE_ROWRANGE.match(s, i)
        if m and self._row_ok(m.group(2)) and self._row_ok(m.group(4)):
            self.i = m.end()
            return self._rowrange(sheet, sheet2, book, m)
        m = _RE_CELL.match(s, i)
        if m and self._col_ok(m.group(2)) and self._row_ok(m.group(4)):
            self.i = m.end()
            r, c = int(m.group(4)), col_index(m.group(2))
            return Tok("ref", A.Ref(sheet, r, c, r, c, bool(m.group(3)), bool(m.group(1)),
                                    bool(m.group(3)), bool(m.group(1)), sheet2, book), i)
        m = _RE_IDENT.match(s, i)
        if m:
            self.i = m.end()
            return Tok("name", A.Name(m.group(0), sheet, book), i)
        self.error("bad reference after sheet name")

    def scan_word(self) -> Tok:
        s, i = self.s, self.i
        # sheet-qualified reference?  Word followed by '!' (or Sheet1:Sheet3!)
        m = _RE_SHEET_PREFIX.match(s, i)
        if m and m.group("s1") and not s[i] == "$":
            return self.try_sheet_prefix()
        m = _RE_COLRANGE.match(s, i)
        if m and self._col_ok(m.group(2)) and self._col_ok(m.group(4)):
            return self.scan_reference(None, None, None)
        m = _RE_ROWRANGE.match(s, i)   # $7:$8 (a row range starting with '$')
        if m and self._row_ok(m.group(2)) and self._row_ok(m.group(4)):
            return self.scan_reference(None, None, None)
        m = _RE_CELL.match(s, i)
        if m and self._col_ok(m.group(2)) and self._row_ok(m.group(4)):
            return self.scan_reference(None, None, None)
        m = _RE_IDENT.match(s, i)
        if not m:
            self.error("unexpected '$'")
        word = m.group(0)
        j = m.end()
        if j < len(s) and s[j] == "(":
            self.i = j
            return Tok("func", word, i)
        if j < len(s) and s[j] == "[":
            self.i = j
            return Tok("struct", A.StructRef(word, *self.scan_struct_spec()), i)
        self.i = j
        up = word.upper()
        if up in ("TRUE", "FALSE"):
            return Tok("bool", up == "TRUE", i)
        if up.startswith(("_XLPM.", "_XLOP.")):
            word = word[6:]   # LET/LAMBDA parameter names are stored as _xlpm.name (_xlop. optional)
        return Tok("name", A.Name(word), i)

    def scan_struct_spec(self) -> tuple[tuple[str, ...], str | None, str | None]:
        """Scan ``[...]`` after a table name; return (items, col1, col2)."""
        s = self.s
        depth = 0
        j = self.i
        start = j
        while j < len(s):
            ch = s[j]
            if ch == "'":
                j += 2
                continue
            if ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        else:
            self.error("unterminated structured reference")
        body = s[start + 1:j]
        self.i = j + 1
        return parse_struct_body(body)


def _unescape_col(name: str) -> str:
    return re.sub(r"'(.)", r"\1", name).strip() if "'" in name else name.strip()


def parse_struct_body(body: str) -> tuple[tuple[str, ...], str | None, str | None]:
    items: list[str] = []
    cols: list[str] = []
    body = body.strip()
    if not body:
        return ((), None, None)
    if body.startswith("@"):
        items.append("#This Row")
        body = body[1:].strip()
        if not body:
            return (tuple(items), None, None)
    if not body.startswith("["):
        # simple form: Table1[Col] or [@Col]
        if body.startswith("#"):
            items.append(_norm_item(body))
            return (tuple(items), None, None)
        return (tuple(items), _unescape_col(body), None)
    # bracketed list: [#Totals],[Col1]:[Col2]
    parts = re.findall(r"\[((?:[^\]']|'.)*)\]|(:)", body)
    span = False
    for inner, colon in parts:
        if colon:
            span = True
            continue
        inner_s = inner.strip()
        if inner_s.startswith("#"):
            items.append(_norm_item(inner_s))
        else:
            cols.append(_unescape_col(inner))
    col1 = cols[0] if cols else None
    col2 = cols[1] if span and len(cols) > 1 else None
    return (tuple(items), col1, col2)


def _norm_item(item: str) -> str:
    low = item.lower().replace(" ", "")
    return {"#all": "#All", "#data": "#Data", "#headers": "#Headers", "#totals": "#Totals",
            "#thisrow": "#This Row"}.get(low, item)


# --- parser ----------------------------------------------------------------

_BINARY_BP = {
    "=": 10, "<>": 10, "<": 10, ">": 10, "<=": 10, ">=": 10,
    "&": 20,
    "+": 30, "-": 30,
    "*": 40, "/": 40,
    "^": 50,
    " ": 80,
    ":": 90,
}
_PERCENT_BP = 60
_PREFIX_BP = 70
_SPILL_BP = 95


class Parser:
    def __init__(self, toks: list[Tok]):
        self.toks = toks
        self.k = 0

    def peek(self) -> Tok:
        return self.toks[self.k]

    def next(self) -> Tok:
        t = self.toks[self.k]
        self.k += 1
        return t

    def expect(self, kind: str) -> Tok:
        t = self.next()
        if t.kind != kind:
            raise FormulaSyntaxError(f"expected {kind!r} at position {t.pos + 1}, found {t.value!r}")
        return t

    def parse(self) -> A.Node:
        if self.peek().kind == "eof":
            raise FormulaSyntaxError("empty formula")
        node = self.expr(0)
        t = self.peek()
        if t.kind != "eof":
            raise FormulaSyntaxError(f"unexpected {t.value!r} at position {t.pos + 1}")
        return node

    def expr(self, min_bp: int) -> A.Node:
        left = self.prefix()
        while True:
            t = self.peek()
            if t.kind == "percent":
                if _PERCENT_BP < min_bp:
                    break
                self.next()
                left = A.Percent(left)
                continue
            if t.kind == "spill":
                self.next()
                left = A.Spill(left)
                continue
            if t.kind == "(" and isinstance(left, (A.Call, A.CallExpr)) and left_callable(left):
                # LAMBDA(...)(args)
                self.next()
                left = A.CallExpr(left, self.arguments())
                continue
            if t.kind != "op" or t.value not in _BINARY_BP:
                break
            bp = _BINARY_BP[t.value]
            if bp <= min_bp:
                break
            self.next()
            right = self.expr(bp)
            left = make_binary(t.value, left, right)
        return left

    def prefix(self) -> A.Node:
        t = self.next()
        k = t.kind
        if k == "num":
            return A.Number(t.value)
        if k == "str":
            return A.Text(t.value)
        if k == "bool":
            return A.Bool(t.value)
        if k == "err":
            return A.ErrorLit(t.value)
        if k in ("ref", "name", "struct"):
            return t.value
        if k == "op" and t.value in ("-", "+", "@"):
            return A.Unary(t.value, self.expr(_PREFIX_BP))
        if k == "func":
            name = t.value
            self.expect("(")
            args = self.arguments()
            prefix = ""
            low = name.lower()
            for p in PREFIXES:
                if low.startswith(p):
                    prefix = name[:len(p)]
                    name = name[len(p):]
                    break
            return A.Call(name.upper(), args, prefix)
        if k == "(":
            items = [self.expr(0)]
            while self.peek().kind == ",":
                self.next()
                items.append(self.expr(0))
            self.expect(")")
            return items[0] if len(items) == 1 else A.Union(items)
        if k == "{":
            return self.array()
        raise FormulaSyntaxError(f"unexpected {t.value!r} at position {t.pos + 1}")

    def arguments(self) -> list[A.Node]:
        args: list[A.Node] = []
        if self.peek().kind == ")":
            self.next()
            return args
        while True:
            t = self.peek()
            if t.kind in (",", ")"):
                args.append(A.MissingArg())
            else:
                args.append(self.expr(0))
            t = self.next()
            if t.kind == ")":
                return args
            if t.kind != ",":
                raise FormulaSyntaxError(f"expected ',' or ')' at position {t.pos + 1}")

    def array(self) -> A.Node:
        rows: list[list[A.Node]] = [[]]
        while True:
            t = self.next()
            sign = 1.0
            while t.kind == "op" and t.value in "+-":
                sign = -sign if t.value == "-" else sign
                t = self.next()
            if t.kind == "num":
                rows[-1].append(A.Number(sign * t.value))
            elif t.kind == "str" and sign == 1:
                rows[-1].append(A.Text(t.value))
            elif t.kind == "bool" and sign == 1:
                rows[-1].append(A.Bool(t.value))
            elif t.kind == "err" and sign == 1:
                rows[-1].append(A.ErrorLit(t.value))
            else:
                raise FormulaSyntaxError(f"bad array constant item at position {t.pos + 1}")
            t = self.next()
            if t.kind == "}":
                break
            if t.kind == ";":
                rows.append([])
            elif t.kind != ",":
                raise FormulaSyntaxError(f"bad array constant at position {t.pos + 1}")
        if len({len(r) for r in rows}) != 1:
            raise FormulaSyntaxError("array constant rows differ in length")
        return A.ArrayLit(rows)


def left_callable(node) -> bool:
    return (isinstance(node, A.Call) and node.name == "LAMBDA") or isinstance(node, A.CallExpr)


def make_binary(op: str, left: A.Node, right: A.Node) -> A.Node:
    # Fold A1:B2 (two plain cells on one sheet) into one range node.
    if op == ":" and isinstance(left, A.Ref) and isinstance(right, A.Ref) and right.sheet is None \
            and right.book is None and left.r1 is not None and left.c1 is not None and right.is_cell \
            and left.is_cell:
        r1, r2 = sorted((left.r1, right.r1))
        c1, c2 = sorted((left.c1, right.c1))
        r1a = left.r1_abs if left.r1 <= right.r1 else right.r1_abs
        r2a = right.r1_abs if left.r1 <= right.r1 else left.r1_abs
        c1a = left.c1_abs if left.c1 <= right.c1 else right.c1_abs
        c2a = right.c1_abs if left.c1 <= right.c1 else left.c1_abs
        return A.Ref(left.sheet, r1, c1, r2, c2, r1a, c1a, r2a, c2a, left.sheet2, left.book)
    return A.Binary(op, left, right)


def parse_formula(text: str) -> A.Node:
    """Parse formula text (with or without the leading '=').  Raises
    FormulaSyntaxError with a position on bad input."""
    if text.startswith("="):
        text = text[1:]
    return Parser(Scanner(text).run()).parse()


def parse_or_failure(text: str) -> A.Node:
    try:
        return parse_formula(text)
    except FormulaSyntaxError as exc:
        return A.ParseFailure(str(exc))
    except (RecursionError, ValueError, IndexError) as exc:  # pathological input
        return A.ParseFailure(f"cannot parse: {exc}")
