"""Formula syntax tree.  Nodes are small immutable-ish dataclasses; equality is
structural so the parse -> print -> parse round trip can be checked."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_ROW = 1_048_576
MAX_COL = 16_384


class Node:
    __slots__ = ()


@dataclass(slots=True, eq=True)
class Number(Node):
    value: float


@dataclass(slots=True, eq=True)
class Text(Node):
    value: str


@dataclass(slots=True, eq=True)
class Bool(Node):
    value: bool


@dataclass(slots=True, eq=True)
class ErrorLit(Node):
    code: str


@dataclass(slots=True, eq=True)
class MissingArg(Node):
    """An omitted argument: the gap in ``IF(A1,,2)``."""


@dataclass(slots=True, eq=True)
class ArrayLit(Node):
    rows: list[list[Node]]


@dataclass(slots=True, eq=True)
class Ref(Node):
    """A cell or rectangular range.  ``r1 is None`` marks a whole-column range
    (A:C), ``c1 is None`` a whole-row range (1:3).  ``sheet2`` is set for 3-D
    references (Sheet1:Sheet3!A1); ``book`` for external references ([1]).
    The ``*_abs`` flags remember the $ signs (they matter when shifting)."""
    sheet: str | None
    r1: int | None
    c1: int | None
    r2: int | None
    c2: int | None
    r1_abs: bool = False
    c1_abs: bool = False
    r2_abs: bool = False
    c2_abs: bool = False
    sheet2: str | None = None
    book: str | None = None

    @property
    def is_cell(self) -> bool:
        return self.r1 is not None and self.c1 is not None and self.r1 == self.r2 and self.c1 == self.c2


@dataclass(slots=True, eq=True)
class RefError(Node):
    """A reference that became invalid (``Sheet1!#REF!``)."""
    sheet: str | None = None


@dataclass(slots=True, eq=True)
class Name(Node):
    """A defined name, possibly sheet-qualified (Sheet1!Rate)."""
    name: str
    sheet: str | None = None
    book: str | None = None


@dataclass(slots=True, eq=True)
class StructRef(Node):
    """Structured table reference.  ``table`` None means the enclosing table
    (``[@Col]``).  ``items`` are the special specifiers (#All, #Data,
    #Headers, #Totals, #This Row); ``col1``/``col2`` a column or column span."""
    table: str | None
    items: tuple[str, ...] = ()
    col1: str | None = None
    col2: str | None = None


@dataclass(slots=True, eq=True)
class Unary(Node):
    op: str          # '-', '+', '@'
    operand: Node


@dataclass(slots=True, eq=True)
class Percent(Node):
    operand: Node


@dataclass(slots=True, eq=True)
class Spill(Node):
    """The spilled-range operator: ``A1#``."""
    operand: Node


@dataclass(slots=True, eq=True)
class Binary(Node):
    op: str          # + - * / ^ & = <> < > <= >= : (range) ' ' (intersection)
    left: Node
    right: Node


@dataclass(slots=True, eq=True)
class Union(Node):
    items: list[Node]


@dataclass(slots=True, eq=True)
class Call(Node):
    name: str                      # upper case, prefixes (_xlfn. ...) removed
    args: list[Node] = field(default_factory=list)
    prefix: str = ""               # original prefix, kept for printing


@dataclass(slots=True, eq=True)
class CallExpr(Node):
    """Calling the result of an expression: ``LAMBDA(x, x+1)(3)``."""
    callee: Node
    args: list[Node] = field(default_factory=list)


@dataclass(slots=True, eq=True)
class ParseFailure(Node):
    """A formula that did not parse; evaluates to an error with this message."""
    message: str
    code: str = "#NAME?"


def walk(node: Node):
    """Pre-order traversal of every node."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(children(n)))


def children(n: Node) -> list[Node]:
    if isinstance(n, (Unary, Percent, Spill)):
        return [n.operand]
    if isinstance(n, Binary):
        return [n.left, n.right]
    if isinstance(n, (Call,)):
        return list(n.args)
    if isinstance(n, CallExpr):
        return [n.callee, *n.args]
    if isinstance(n, Union):
        return list(n.items)
    if isinstance(n, ArrayLit):
        return [x for row in n.rows for x in row]
    return []


def transform(node: Node, fn) -> Node:
    """Rebuild ``node`` bottom-up, replacing each node by ``fn(node)``."""
    if isinstance(node, Unary):
        node = Unary(node.op, transform(node.operand, fn))
    elif isinstance(node, Percent):
        node = Percent(transform(node.operand, fn))
    elif isinstance(node, Spill):
        node = Spill(transform(node.operand, fn))
    elif isinstance(node, Binary):
        node = Binary(node.op, transform(node.left, fn), transform(node.right, fn))
    elif isinstance(node, Call):
        node = Call(node.name, [transform(a, fn) for a in node.args], node.prefix)
    elif isinstance(node, CallExpr):
        node = CallExpr(transform(node.callee, fn), [transform(a, fn) for a in node.args])
    elif isinstance(node, Union):
        node = Union([transform(a, fn) for a in node.items])
    return fn(node)


def shift_refs(node: Node, drow: int, dcol: int) -> Node:
    """Move relative references by (drow, dcol), as Excel does when a formula
    is copied.  References pushed off the sheet become #REF!."""
    if drow == 0 and dcol == 0:
        return node

    def move(n: Node) -> Node:
        if not isinstance(n, Ref):
            return n
        r1 = n.r1 if (n.r1 is None or n.r1_abs) else n.r1 + drow
        r2 = n.r2 if (n.r2 is None or n.r2_abs) else n.r2 + drow
        c1 = n.c1 if (n.c1 is None or n.c1_abs) else n.c1 + dcol
        c2 = n.c2 if (n.c2 is None or n.c2_abs) else n.c2 + dcol
        for v, hi in ((r1, MAX_ROW), (r2, MAX_ROW), (c1, MAX_COL), (c2, MAX_COL)):
            if v is not None and not (1 <= v <= hi):
                return RefError(n.sheet)
        return Ref(n.sheet, r1, c1, r2, c2, n.r1_abs, n.c1_abs, n.r2_abs, n.c2_abs, n.sheet2, n.book)

    return transform(node, move)


def relative_key(node: Node, row: int, col: int) -> Any:
    """A hashable form of the formula with relative references written as
    offsets from (row, col), i.e. its R1C1 form: copied formulas share it."""
    def rel(n: Node) -> Node:
        if not isinstance(n, Ref):
            return n
        return Ref(n.sheet,
                   None if n.r1 is None else (n.r1 if n.r1_abs else n.r1 - row),
                   None if n.c1 is None else (n.c1 if n.c1_abs else n.c1 - col),
                   None if n.r2 is None else (n.r2 if n.r2_abs else n.r2 - row),
                   None if n.c2 is None else (n.c2 if n.c2_abs else n.c2 - col),
                   n.r1_abs, n.c1_abs, n.r2_abs, n.c2_abs, n.sheet2, n.book)
    return repr(transform(node, rel))
