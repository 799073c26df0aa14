"""Workbooks with Excel Solver models, written the way Excel stores them."""
from __future__ import annotations

from pathlib import Path

import openpyxl

import engine
from engine.optimize.excel import add_solver_model


def sens1_book(path: Path, **kw) -> Path:
    """SENS-1 (finance_modules.md §2.4): max x1 + 9x2 + x3 s.t. x1+2x2+3x3 <= 9, 3x1+2x2+2x3 <= 15, x >= 0."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Model"
    ws["B1"], ws["C1"], ws["D1"] = "x1", "x2", "x3"
    ws["A2"] = "Decision"
    for c in "BCD":
        ws[f"{c}2"] = 0
    ws["A3"] = "Profit"
    ws["B3"], ws["C3"], ws["D3"] = 1, 9, 1
    ws["E4"], ws["F4"] = "Used", "Available"
    ws["A5"], ws["B5"], ws["C5"], ws["D5"], ws["E5"], ws["F5"] = "Resource 1", 1, 2, 3, "=SUMPRODUCT(B5:D5,$B$2:$D$2)", 9
    ws["A6"], ws["B6"], ws["C6"], ws["D6"], ws["E6"], ws["F6"] = "Resource 2", 3, 2, 2, "=SUMPRODUCT(B6:D6,$B$2:$D$2)", 15
    ws["A8"], ws["E8"] = "Total profit", "=SUMPRODUCT(B3:D3,B2:D2)"
    add_solver_model(ws, "E8", "B2:D2", [("E5:E6", "<=", "F5:F6")], **kw)
    wb.save(path)
    return path


def book(path: Path, cells: dict, objective, variables, constraints=(), **kw) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "M"
    for addr, v in cells.items():
        ws[addr] = v
    add_solver_model(ws, objective, variables, constraints, **kw)
    wb.save(path)
    return path


def load(path: Path):
    return engine.load(path)
