"""Reference values: what a reference expression evaluates to before a
function decides whether it wants the reference itself (ROW, OFFSET, ISREF)
or the values in it (SUM, VLOOKUP)."""
from __future__ import annotations

from typing import Any, Iterator

from ..values import Array, BLANK


class RangeRef:
    """A rectangle on one sheet of a model.  Rows/cols are 1-based inclusive."""

    __slots__ = ("model", "sheet", "r1", "c1", "r2", "c2", "whole")

    def __init__(self, model, sheet: int, r1: int, c1: int, r2: int, c2: int, whole: str | None = None):
        self.model = model
        self.sheet = sheet
        self.r1, self.c1, self.r2, self.c2 = r1, c1, r2, c2
        # 'cols' for A:C, 'rows' for 1:3: the range is clamped to the used
        # area, but ROWS/INDEX/OFFSET need its true extent (full_bounds).
        self.whole = whole

    def full_bounds(self) -> tuple[int, int, int, int]:
        """(r1, c1, r2, c2) with whole columns/rows extended to the sheet edge."""
        r2 = 1_048_576 if self.whole == "cols" else self.r2
        c2 = 16_384 if self.whole == "rows" else self.c2
        return self.r1, self.c1, r2, c2

    @property
    def rows(self) -> int:
        return self.r2 - self.r1 + 1

    @property
    def cols(self) -> int:
        return self.c2 - self.c1 + 1

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows, self.cols)

    @property
    def is_cell(self) -> bool:
        return self.r1 == self.r2 and self.c1 == self.c2

    @property
    def sheet_name(self) -> str:
        return self.model.sheet_names[self.sheet]

    def value(self, r: int = 0, c: int = 0) -> Any:
        """Value at offset (r, c) inside the range."""
        return self.model.cell_value(self.sheet, self.r1 + r, self.c1 + c)

    def to_array(self) -> Array:
        return self.model.range_array(self.sheet, self.r1, self.c1, self.r2, self.c2)

    def iter_values(self) -> Iterator[Any]:
        """Row-major values, skipping the empty tail cheaply for big ranges."""
        return iter(self.to_array())

    def offset(self, dr: int, dc: int, rows: int | None = None, cols: int | None = None) -> "RangeRef":
        rows = self.rows if rows is None else rows
        cols = self.cols if cols is None else cols
        r1, c1 = self.r1 + dr, self.c1 + dc
        return RangeRef(self.model, self.sheet, r1, c1, r1 + rows - 1, c1 + cols - 1)

    def address(self) -> str:
        from ..parser.printer import col_letters
        a = f"{col_letters(self.c1)}{self.r1}"
        if not self.is_cell:
            a += f":{col_letters(self.c2)}{self.r2}"
        return a

    def __repr__(self) -> str:
        return f"RangeRef({self.sheet_name}!{self.address()})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RangeRef) and (self.sheet, self.r1, self.c1, self.r2, self.c2) == (
            other.sheet, other.r1, other.c1, other.r2, other.c2)

    def __hash__(self) -> int:
        return hash((self.sheet, self.r1, self.c1, self.r2, self.c2))


class MultiRef:
    """Several areas: a union ``(A1:B2,D4)`` or a 3-D reference."""

    __slots__ = ("areas",)

    def __init__(self, areas: list[RangeRef]):
        self.areas = areas

    def iter_values(self) -> Iterator[Any]:
        for a in self.areas:
            yield from a.iter_values()

    def __repr__(self) -> str:
        return f"MultiRef({self.areas!r})"


class LambdaValue:
    """A LAMBDA closure: parameter names, body node and captured bindings."""

    __slots__ = ("params", "body", "env", "origin")

    def __init__(self, params: list[str], body, env: dict, origin=None):
        self.params = params
        self.body = body
        self.env = env
        self.origin = origin

    def __repr__(self) -> str:
        return f"LAMBDA({', '.join(self.params)})"


def empty_array_like(rows: int, cols: int) -> Array:
    return Array.filled(rows, cols, BLANK)
