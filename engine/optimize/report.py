"""Writing a solved copy of a workbook with Excel-style report sheets.

The decision cells get their final values (a ``GF.DECISION`` cell keeps its
formula with the value as its new initial argument); an "Answer Report N"
sheet lists the objective, variables and constraints (Binding / Not
Binding, slack) and, when the solve has them, a "Sensitivity Report N"
sheet gives Excel's columns (1E+30 for an infinite range).
"""
from __future__ import annotations

import datetime as _dt
import math
import shutil
from pathlib import Path

from openpyxl.styles import Font

from ..parser import ast as A
from ..parser import parse_or_failure, to_text
from ..xlsx.refs import parse_range_ref
from .solve import ENGINE_TITLES, SolveResult

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=12)


def _excel_num(v):
    if v is None:
        return None
    if isinstance(v, float) and math.isinf(v):
        return 1e30 if v > 0 else -1e30
    return v


def _free_title(wb, base: str) -> str:
    k = 1
    while f"{base} {k}" in wb.sheetnames:
        k += 1
    return f"{base} {k}"


def _split(address: str) -> tuple[str, int, int]:
    sheet, _, cell = address.rpartition("!")
    if sheet.startswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    r, c, _r2, _c2 = parse_range_ref(cell.replace("$", ""))
    return sheet, r, c


def write_solution(res: SolveResult, src: str, dst: str) -> Path:
    import openpyxl
    keep_vba = str(src).lower().endswith(".xlsm")
    wb = openpyxl.load_workbook(src, keep_vba=keep_vba)
    if res.x is not None:
        for v in res.variables:
            sheet, r, c = _split(v["address"])
            cell = wb[sheet].cell(r, c)
            old = cell.value
            if isinstance(old, str) and old.startswith("=") and "DECISION" in old.upper():
                node = parse_or_failure(old[1:])
                if isinstance(node, A.Call) and node.name.upper() in ("GF.DECISION", "GF_DECISION"):
                    args = [A.Number(float(v["final"]))] + list(node.args[1:])
                    cell.value = "=" + to_text(A.Call(node.name, args))
                    continue
            cell.value = float(v["final"])
    _answer_sheet(wb, res, src)
    if res.sensitivity:
        _sensitivity_sheet(wb, res, src)
    tmp = Path(str(dst) + ".tmp")
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    wb.save(tmp)
    shutil.move(tmp, dst)
    return Path(dst)


def _header(ws, row: int, labels: list[str]) -> None:
    for j, lab in enumerate(labels, start=2):
        ws.cell(row, j, lab).font = BOLD


def _answer_sheet(wb, res: SolveResult, src: str) -> None:
    ws = wb.create_sheet(_free_title(wb, "Answer Report"))
    ws["A1"] = "GridFlow Answer Report"
    ws["A1"].font = TITLE
    ws["A2"] = f"Worksheet: [{Path(src).name}]{res.sheet}"
    ws["A3"] = f"Report Created: {_dt.datetime.now():%Y-%m-%d %H:%M:%S}"
    ws["A4"] = f"Result: {res.message}"
    ws["A5"] = "Solver Engine"
    ws["B6"] = f"Engine: {ENGINE_TITLES.get(res.engine, res.engine)} ({res.backend or 'n/a'})"
    ws["B7"] = f"Solution Time: {res.seconds:.3f} Seconds."
    ws["B8"] = f"Iterations: {res.iterations}  Workbook passes (batched): {res.evaluations}"
    ws["A9"] = f"Result code: {res.code}"
    row = 10
    for note in res.notes:
        ws.cell(row, 1, note)
        row += 1
    if res.conflicts:
        ws.cell(row, 1, "Constraints in conflict (an irreducible infeasible set):").font = BOLD
        row += 1
        for c in res.conflicts:
            ws.cell(row, 2, c)
            row += 1
    if res.nonlinear_items:
        ws.cell(row, 1, "Not linear: " + ", ".join(res.nonlinear_items)).font = BOLD
        row += 1
        for c in res.nonlinear_cells:
            ws.cell(row, 2, c)
            row += 1
    row += 1
    sense = {"max": "Max", "min": "Min", "value": "Value Of"}[res.sense]
    ws.cell(row, 1, f"Objective Cell ({sense})").font = BOLD
    row += 1
    _header(ws, row, ["Cell", "Name", "Original Value", "Final Value"])
    row += 1
    if res.objective_cell:
        for j, v in enumerate([res.objective_cell, res.objective_name, res.objective_original, res.objective],
                              start=2):
            ws.cell(row, j, v)
        row += 1
    row += 1
    ws.cell(row, 1, "Variable Cells").font = BOLD
    row += 1
    _header(ws, row, ["Cell", "Name", "Original Value", "Final Value", "Integer"])
    row += 1
    for v in res.variables:
        for j, x in enumerate([v["cell"], v["name"], v["original"], v["final"], v["integer"]], start=2):
            ws.cell(row, j, x)
        row += 1
    row += 1
    ws.cell(row, 1, "Constraints").font = BOLD
    row += 1
    _header(ws, row, ["Cell", "Name", "Cell Value", "Formula", "Status", "Slack"])
    row += 1
    for c in res.constraints:
        for j, x in enumerate([c["cell"], c["name"], c["value"], c["formula"], c["status"], c["slack"]], start=2):
            ws.cell(row, j, _excel_num(x))
        row += 1
    for col, w in zip("ABCDEFG", (4, 16, 30, 16, 24, 14, 14)):
        ws.column_dimensions[col].width = w


def _sensitivity_sheet(wb, res: SolveResult, src: str) -> None:
    sens = res.sensitivity
    ws = wb.create_sheet(_free_title(wb, "Sensitivity Report"))
    ws["A1"] = "GridFlow Sensitivity Report"
    ws["A1"].font = TITLE
    ws["A2"] = f"Worksheet: [{Path(src).name}]{res.sheet}"
    ws["A3"] = f"Report Created: {_dt.datetime.now():%Y-%m-%d %H:%M:%S}"
    row = 4
    if sens.get("note"):
        ws.cell(row, 1, sens["note"])
        row += 1
    row += 1
    ws.cell(row, 1, "Variable Cells").font = BOLD
    row += 1
    if sens["kind"] == "lp":
        _header(ws, row, ["Cell", "Name", "Final Value", "Reduced Cost", "Objective Coefficient",
                          "Allowable Increase", "Allowable Decrease"])
        keys = ["cell", "name", "final", "reduced_cost", "objective_coefficient", "allowable_increase",
                "allowable_decrease"]
    else:
        _header(ws, row, ["Cell", "Name", "Final Value", "Reduced Gradient"])
        keys = ["cell", "name", "final", "reduced_gradient"]
    row += 1
    for v in sens["variables"]:
        for j, k in enumerate(keys, start=2):
            ws.cell(row, j, _excel_num(v.get(k)))
        row += 1
    row += 1
    ws.cell(row, 1, "Constraints").font = BOLD
    row += 1
    if sens["kind"] == "lp":
        _header(ws, row, ["Cell", "Name", "Final Value", "Shadow Price", "Constraint R.H. Side",
                          "Allowable Increase", "Allowable Decrease"])
        keys = ["cell", "name", "final", "shadow_price", "rhs", "allowable_increase", "allowable_decrease"]
    else:
        _header(ws, row, ["Cell", "Name", "Final Value", "Lagrange Multiplier"])
        keys = ["cell", "name", "final", "lagrange_multiplier"]
    row += 1
    for c in sens["constraints"]:
        for j, k in enumerate(keys, start=2):
            ws.cell(row, j, _excel_num(c.get(k)))
        row += 1
    for col, w in zip("ABCDEFGH", (4, 16, 30, 14, 14, 20, 18, 18)):
        ws.column_dimensions[col].width = w


def read_report(path: str, kind: str = "Sensitivity") -> dict:
    """Read back a report sheet written here: {"variables": [...], "constraints": [...]}
    as lists of dicts keyed by the header labels (for tests and clients)."""
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    name = next(n for n in wb.sheetnames if n.startswith(kind + " Report"))
    rows = [list(r) for r in wb[name].iter_rows(values_only=True)]
    out: dict = {}
    section = None
    header = None
    for r in rows:
        first = r[0] if r else None
        if first in ("Variable Cells", "Constraints", "Objective Cell (Max)", "Objective Cell (Min)",
                     "Objective Cell (Value Of)"):
            section = {"Variable Cells": "variables", "Constraints": "constraints"}.get(first, "objective")
            out[section] = []
            header = None
            continue
        if section and header is None and len(r) > 1 and r[1] == "Cell":
            header = [str(x) if x is not None else "" for x in r]
            continue
        if section and header and len(r) > 1 and r[1] is not None:
            out[section].append({h: v for h, v in zip(header, r) if h})
        elif section and header and (len(r) < 2 or r[1] is None):
            section, header = None, None
    return out
