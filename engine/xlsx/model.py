"""The workbook as read from disk: cells, names, tables and settings.

This is a plain data model; it knows nothing of formulas' meaning.  Rows and
columns are 1-based, as in Excel.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class WorkbookError(Exception):
    """A workbook that cannot be read: corrupt, hostile or unsupported.  The
    message names the part (``xl/worksheets/sheet2.xml``) or the limit."""


@dataclass(slots=True)
class CellRecord:
    # Constant value, or the value Excel cached for a formula cell.
    # float | str | bool | XLError | BLANK
    value: Any
    # Formula text without the leading '=', exactly as stored in the file
    # (so it may carry _xlfn. prefixes).  For a shared-formula child this is
    # None and ``shared_master`` says where the text lives.
    formula: str | None = None
    # For a shared-formula child: (row, col) of the cell holding the text.
    shared_master: tuple[int, int] | None = None
    # For the anchor of a legacy (CSE) or dynamic array formula: "A1:C3".
    array_ref: str | None = None
    # True when the array formula is a dynamic-array (spilling) formula.
    dynamic: bool = False
    # True for a cell inside an array formula's range other than its anchor:
    # its value is produced by the anchor, never a constant.
    array_member: bool = False
    # Number format code (for TEXT/CELL-like needs); None = General.
    number_format: str | None = None

    @property
    def is_formula(self) -> bool:
        return self.formula is not None or self.shared_master is not None


@dataclass(slots=True)
class SheetData:
    name: str
    cells: dict[tuple[int, int], CellRecord] = field(default_factory=dict)
    max_row: int = 0          # used range, from the cells actually present
    max_col: int = 0
    merged: list[str] = field(default_factory=list)     # "A1:B2"
    state: str = "visible"    # visible | hidden | veryHidden
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    # hidden rows inside an AutoFilter that filters: SUBTOTAL ignores them for 1-11 too
    filtered_rows: set[int] = field(default_factory=set)


@dataclass(slots=True)
class DefinedName:
    name: str
    text: str                       # the formula text, without '='
    sheet_index: int | None = None  # localSheetId: None for workbook scope
    hidden: bool = False


@dataclass(slots=True)
class TableColumn:
    name: str
    totals_formula: str | None = None
    calculated_formula: str | None = None


@dataclass(slots=True)
class Table:
    name: str          # displayName, used in structured references
    sheet: str
    ref: str           # "A1:D10" including header and totals rows
    columns: list[TableColumn] = field(default_factory=list)
    header_row_count: int = 1
    totals_row_count: int = 0
    filter_ref: str | None = None   # the table's AutoFilter range when it filters rows


@dataclass(slots=True)
class CalcSettings:
    iterate: bool = False
    iterate_count: int = 100
    iterate_delta: float = 0.001
    date1904: bool = False
    full_calc_on_load: bool = False


@dataclass(slots=True)
class WorkbookData:
    path: str
    sheets: list[SheetData] = field(default_factory=list)
    defined_names: list[DefinedName] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    calc: CalcSettings = field(default_factory=CalcSettings)
    # Targets of external workbook links (xl/externalLinks), reported only.
    external_links: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def sheet(self, name: str) -> SheetData:
        low = name.lower()
        for s in self.sheets:
            if s.name.lower() == low:
                return s
        raise KeyError(name)

    def solver_names(self) -> dict[int | None, dict[str, str]]:
        """Excel Solver's hidden names (solver_opt, solver_adj, solver_lhs1...)
        grouped by sheet index (None = workbook scope)."""
        out: dict[int | None, dict[str, str]] = {}
        for dn in self.defined_names:
            if dn.name.lower().startswith("solver_"):
                out.setdefault(dn.sheet_index, {})[dn.name.lower()] = dn.text
        return out
