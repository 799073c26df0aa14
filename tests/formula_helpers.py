"""Build in-memory models from a few cells, for unit tests of formulas.

    >>> evaluate_formula("SUM(A1:A2)", {"A1": 1, "A2": 2})
    3.0
"""
from __future__ import annotations

import re
from typing import Any

from engine.model import Model
from engine.values import BLANK
from engine.xlsx.model import CellRecord, SheetData, WorkbookData, DefinedName, CalcSettings

_ADDR = re.compile(r"^(?:([^!]+)!)?([A-Z]{1,3})([0-9]+)$")


def _rc(addr: str) -> tuple[str | None, int, int]:
    m = _ADDR.match(addr.replace("$", ""))
    if not m:
        raise ValueError(addr)
    col = 0
    for ch in m.group(2):
        col = col * 26 + ord(ch) - 64
    return m.group(1), int(m.group(3)), col


def make_model(cells: dict[str, Any], names: dict[str, str] | None = None,
               iterate: bool = False, sheets: tuple[str, ...] = ("Sheet1",)) -> Model:
    """cells: {"A1": 1.5, "B1": "=A1*2", "Sheet2!A1": "text", "C1:C3": "{=...}" }.
    A string starting with '=' is a formula; '{=...}' on a range is a CSE array
    formula; '#=...' on a range is a dynamic-array (spilling) formula anchored at
    the range's first cell."""
    wb = WorkbookData(path="<memory>", calc=CalcSettings(iterate=iterate))
    by_name = {}
    for s in sheets:
        sd = SheetData(s)
        wb.sheets.append(sd)
        by_name[s.lower()] = sd
    for addr, v in cells.items():
        array_ref = None
        dynamic = False
        if ":" in addr:
            first, last = addr.split(":")
            sheet, r, c = _rc(first)
            array_ref = f"{first.split('!')[-1]}:{last}"
        else:
            sheet, r, c = _rc(addr)
        sd = by_name[(sheet or sheets[0]).lower()]
        if isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        if isinstance(v, str) and v.startswith("{="):
            rec = CellRecord(BLANK, formula=v[2:].rstrip("}"), array_ref=array_ref)
        elif isinstance(v, str) and v.startswith("#="):
            rec = CellRecord(BLANK, formula=v[2:], array_ref=array_ref or f"{addr}:{addr}", dynamic=True)
        elif isinstance(v, str) and v.startswith("="):
            rec = CellRecord(BLANK, formula=v[1:])
        else:
            rec = CellRecord(BLANK if v is None else v)
        sd.cells[(r, c)] = rec
        sd.max_row = max(sd.max_row, r)
        sd.max_col = max(sd.max_col, c)
    for n, text in (names or {}).items():
        wb.defined_names.append(DefinedName(n, text))
    return Model(wb)


def evaluate_formula(formula: str, cells: dict[str, Any] | None = None, **kw) -> Any:
    """Value of one formula placed in a free cell (Z1000) next to ``cells``."""
    cells = dict(cells or {})
    cells["Z1000"] = formula if formula.startswith("=") else "=" + formula
    m = make_model(cells, **kw)
    m.calculate()
    return m.value("Z1000")


def evaluate_array(formula: str, cells: dict[str, Any] | None = None, **kw):
    """Evaluate a formula in array mode and return the raw result (Array or scalar)."""
    from engine.eval.context import EvalContext, evaluate
    from engine.parser import parse_formula
    m = make_model(dict(cells or {}), **kw)
    m.calculate()
    ctx = EvalContext(m, 0, 1000, 26, array_mode=True)
    v = evaluate(parse_formula(formula.lstrip("=")), ctx)
    return ctx.to_scalar_or_array(v)
