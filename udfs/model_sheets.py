"""The 'GridFlow Solve' and 'GridFlow Waterfall' sheets the add-in writes.

Like :mod:`udfs.results_sheet`, each is one rectangular block of cells
(``values``, "" for empty) at ``address`` on ``sheet``; the Solve block also
lists ``writes``: the decision cells and their final values, which the
add-in writes back into the workbook (as Excel's "Keep Solver Solution").

``solve_block(results)`` takes an optimization job's results (the server's
``results.json``: ``SolveResult.to_dict()`` plus ``values``);
``waterfall_block(kind, results)`` a waterfall job's results (what the
``engine/finance/jobs.py`` entry point returned), flattened to rows of
``path | value``.
"""
from __future__ import annotations

from typing import Any

from .results_sheet import _addr, _num

SOLVE_SHEET = "GridFlow Solve"
WATERFALL_SHEET = "GridFlow Waterfall"
MAX_ROWS = 5000
MAX_LIST = 60        # values of a list shown on one row


def _finish(sheet: str, rows: list[list[Any]], tables: dict[str, str], writes: list[dict] | None = None) -> dict:
    rows = rows[:MAX_ROWS]
    width = max(len(r) for r in rows)
    values = [[_cell(v) for v in r] + [""] * (width - len(r)) for r in rows]
    return {"sheet": sheet, "values": values, "address": _addr(0, 0, len(values) - 1, width - 1),
            "charts": [], "tables": tables, "writes": writes or []}


def _cell(v: Any) -> Any:
    if isinstance(v, str):
        return "'" + v if v[:1] in ("=", "+", "-", "@") and len(v) > 1 else v   # text, not a formula
    return _num(v)


def _split_address(address: str) -> tuple[str, str]:
    sheet, _, cell = address.rpartition("!")
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, cell.replace("$", "")


def solve_block(results: dict, job_id: str | None = None) -> dict:
    rows: list[list[Any]] = []
    tables: dict[str, str] = {}
    rows.append(["GridFlow Solve"])
    rows.append(["Workbook", results.get("workbook") or ""])
    if job_id:
        rows.append(["Job", job_id])
    rows.append(["Sheet", results.get("sheet") or ""])
    rows.append(["Result", results.get("message") or ""])
    rows.append(["Status", results.get("status") or "", "code", results.get("code")])
    rows.append(["Engine", results.get("engine") or "", results.get("backend") or ""])
    rows.append(["Objective cell", results.get("objective_cell") or "", results.get("objective_name") or ""])
    rows.append(["Objective", results.get("objective"), "original", results.get("objective_original")])
    rows.append(["Seconds", results.get("seconds")])
    for n in results.get("notes") or []:
        rows.append(["Note", str(n)])
    rows.append([])

    conflicts = results.get("conflicts") or []
    if conflicts:
        start = len(rows)
        rows.append(["Conflicting constraints"])
        for c in conflicts:
            rows.append([str(c)])
        tables["conflicts"] = _addr(start, 0, len(rows) - 1, 0)
        rows.append([])

    variables = results.get("variables") or []
    if variables:
        start = len(rows)
        rows.append(["Variable cell", "Name", "Original value", "Final value", "Integer"])
        for v in variables:
            rows.append([v.get("cell") or "", v.get("name") or "", v.get("original"), v.get("final"),
                         v.get("integer") or ""])
        tables["variables"] = _addr(start, 0, len(rows) - 1, 4)
        rows.append([])

    constraints = results.get("constraints") or []
    if constraints:
        start = len(rows)
        rows.append(["Constraint cell", "Name", "Cell value", "Formula", "Status", "Slack"])
        for c in constraints:
            rows.append([c.get("cell") or "", c.get("name") or "", c.get("value"), c.get("formula") or "",
                         c.get("status") or "", c.get("slack")])
        tables["constraints"] = _addr(start, 0, len(rows) - 1, 5)
        rows.append([])

    sens = results.get("sensitivity") or {}
    if sens.get("kind") == "lp":
        if sens.get("note"):
            rows.append(["Sensitivity", sens["note"]])
        start = len(rows)
        rows.append(["Variable cell", "Name", "Final value", "Reduced cost", "Objective coefficient",
                     "Allowable increase", "Allowable decrease"])
        for v in sens.get("variables") or []:
            rows.append([v.get("cell") or "", v.get("name") or "", v.get("final"), v.get("reduced_cost"),
                         v.get("objective_coefficient"), v.get("allowable_increase"), v.get("allowable_decrease")])
        tables["sensitivity variables"] = _addr(start, 0, len(rows) - 1, 6)
        rows.append([])
        start = len(rows)
        rows.append(["Constraint cell", "Name", "Final value", "Shadow price", "Constraint R.H. side",
                     "Allowable increase", "Allowable decrease"])
        for c in sens.get("constraints") or []:
            rows.append([c.get("cell") or "", c.get("name") or "", c.get("final"), c.get("shadow_price"),
                         c.get("rhs"), c.get("allowable_increase"), c.get("allowable_decrease")])
        tables["sensitivity constraints"] = _addr(start, 0, len(rows) - 1, 6)
    elif sens.get("kind") == "grg":
        start = len(rows)
        rows.append(["Constraint cell", "Name", "Final value", "Lagrange multiplier"])
        for c in sens.get("constraints") or []:
            rows.append([c.get("cell") or "", c.get("name") or "", c.get("final"), c.get("lagrange_multiplier")])
        tables["sensitivity constraints"] = _addr(start, 0, len(rows) - 1, 3)

    writes = []
    for address, value in (results.get("values") or {}).items():
        sheet, cell = _split_address(address)
        if sheet and cell and isinstance(value, (int, float)):
            writes.append({"sheet": sheet, "address": cell, "value": value})
    return _finish(SOLVE_SHEET, rows, tables, writes)


def _flatten(prefix: str, v: Any, rows: list[list[Any]]) -> None:
    if len(rows) >= MAX_ROWS:
        return
    if isinstance(v, dict):
        if not v:
            rows.append([prefix, ""])
        for k, x in v.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), x, rows)
    elif isinstance(v, (list, tuple)):
        if all(not isinstance(x, (dict, list, tuple)) for x in v):
            rows.append([prefix, *list(v)[:MAX_LIST]] + (["…"] if len(v) > MAX_LIST else []))
        else:
            for i, x in enumerate(v[:MAX_ROWS]):
                _flatten(f"{prefix}[{i}]", x, rows)
    else:
        rows.append([prefix, v if v is not None else ""])


def waterfall_block(kind: str, results: dict, job_id: str | None = None) -> dict:
    titles = {"re": "real-estate equity waterfall", "film": "film revenue waterfall",
              "incentives": "film tax incentives", "stacks": "film capital stacks"}
    rows: list[list[Any]] = [[f"GridFlow Waterfall: {titles.get(kind, kind)}"]]
    if job_id:
        rows.append(["Job", job_id])
    rows.append([])
    start = len(rows)
    rows.append(["Item", "Value"])
    _flatten("", results, rows)
    return _finish(WATERFALL_SHEET, rows, {"results": _addr(start, 0, len(rows) - 1, 1)})
