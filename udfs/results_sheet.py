"""The 'GridFlow Results' sheet: a simulation summary as one block of cells.

The add-in's Simulate and Results buttons (through the server) and the
classic xlwings Simulate macro write the same layout: a header, a table of
output statistics, a table of input statistics, and per output the
histogram and sensitivity (tornado) data, with the ranges Excel charts are
drawn from.

``block(summary)`` takes the summary in the server's ``results.json`` form
(``server/worker.py``'s ``summarize``); ``summary_from_result`` builds that
form from an engine ``SimulationResult`` for the classic module.
"""
from __future__ import annotations

import math
from typing import Any

SHEET_NAME = "GridFlow Results"
OUTPUT_COLUMNS = ("Output", "Address", "Mean", "SD", "Min", "P5", "P50", "P95", "Max", "Errors")
INPUT_COLUMNS = ("Input", "Address", "Function", "Mean", "SD", "P5", "P50", "P95")
HIST_BINS = 30


def _num(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f if math.isfinite(f) else ""


def _col(n: int) -> str:
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _addr(r0: int, c0: int, r1: int, c1: int) -> str:
    return f"{_col(c0)}{r0 + 1}:{_col(c1)}{r1 + 1}"


def block(summary: dict, job_id: str | None = None) -> dict:
    """{"sheet", "values" (rectangular rows, "" for empty), "charts": [{"title",
    "type", "range", "output"}], "tables": {name: range}}."""
    rows: list[list[Any]] = []
    charts: list[dict] = []
    tables: dict[str, str] = {}
    stats_of = lambda o: o.get("statistics") or {}  # noqa: E731
    pct = lambda s, k: (s.get("percentiles") or {}).get(k)  # noqa: E731

    rows.append(["GridFlow simulation results"])
    rows.append(["Workbook", summary.get("workbook") or ""])
    if job_id:
        rows.append(["Job", job_id])
    rows.append(["Iterations", _num(summary.get("iterations"))])
    rows.append(["Seed", _num(summary.get("seed"))])
    rows.append(["Sampling", summary.get("sampling") or ""])
    rows.append(["Seconds", _num(summary.get("seconds"))])
    for w in summary.get("warnings") or []:
        rows.append(["Warning", str(w)])
    rows.append([])

    outputs = summary.get("outputs") or []
    start = len(rows)
    rows.append(list(OUTPUT_COLUMNS))
    for o in outputs:
        s = stats_of(o)
        rows.append([o.get("name") or "", o.get("address") or "", _num(s.get("mean")), _num(s.get("sd")),
                     _num(s.get("min")), _num(pct(s, "P5")), _num(pct(s, "P50")), _num(pct(s, "P95")),
                     _num(s.get("max")), _num(o.get("errors", s.get("errors", 0)))])
    tables["outputs"] = _addr(start, 0, len(rows) - 1, len(OUTPUT_COLUMNS) - 1)
    rows.append([])

    inputs = summary.get("inputs") or []
    if inputs:
        start = len(rows)
        rows.append(list(INPUT_COLUMNS))
        for i in inputs:
            s = stats_of(i)
            rows.append([i.get("name") or "", i.get("address") or "", i.get("function") or "",
                         _num(s.get("mean")), _num(s.get("sd")), _num(pct(s, "P5")), _num(pct(s, "P50")),
                         _num(pct(s, "P95"))])
        tables["inputs"] = _addr(start, 0, len(rows) - 1, len(INPUT_COLUMNS) - 1)
        rows.append([])

    for k, o in enumerate(outputs):
        name = o.get("name") or o.get("address") or f"output {k + 1}"
        hist = o.get("histogram") or {}
        counts, edges = hist.get("counts") or [], hist.get("edges") or []
        if counts and len(edges) == len(counts) + 1:
            rows.append([f"Histogram: {name}"])
            start = len(rows)
            rows.append(["Bin from", "Bin to", "Bin middle", "Count"])
            for j, c in enumerate(counts):
                lo, hi = edges[j], edges[j + 1]
                rows.append([_num(lo), _num(hi), _num((lo + hi) / 2), _num(c)])
            end = len(rows) - 1
            tables[f"histogram {k}"] = _addr(start, 0, end, 3)
            charts.append({"title": f"{name}: histogram", "type": "ColumnClustered", "output": k,
                           "range": _addr(start, 3, end, 3), "categories": _addr(start + 1, 2, end, 2)})
            rows.append([])
        sens = o.get("sensitivity") or []
        if sens:
            rows.append([f"Sensitivity: {name}"])
            start = len(rows)
            rows.append(["Input", "Address", "Rank correlation", "Regression", "Contribution to variance"])
            for r in sens:
                rows.append([r.get("input") or "", r.get("address") or "", _num(r.get("rank_correlation")),
                             _num(r.get("regression")), _num(r.get("contribution"))])
            end = len(rows) - 1
            tables[f"sensitivity {k}"] = _addr(start, 0, end, 4)
            charts.append({"title": f"{name}: sensitivity (rank correlation)", "type": "BarClustered", "output": k,
                           "range": _addr(start, 2, end, 2), "categories": _addr(start + 1, 0, end, 0)})
            rows.append([])

    width = max(len(r) for r in rows)
    values = [list(r) + [""] * (width - len(r)) for r in rows]
    return {"sheet": SHEET_NAME, "values": values, "address": _addr(0, 0, len(values) - 1, width - 1),
            "charts": charts, "tables": tables}


def summary_from_result(result, workbook: str | None = None) -> dict:
    """The results.json form of an engine SimulationResult (statistics,
    histogram and sensitivity per output; statistics per input)."""
    import numpy as np
    from engine.montecarlo.results import describe

    outputs = []
    for o in result.outputs:
        entry: dict[str, Any] = {"name": o.name, "address": o.address, "errors": int(o.errors),
                                 "statistics": describe(o.values)}
        if np.isfinite(o.values).any():
            counts, edges = result.histogram(o.name, HIST_BINS)
            entry["histogram"] = {"counts": [int(c) for c in counts], "edges": [float(e) for e in edges]}
            entry["sensitivity"] = [{k: r.get(k) for k in ("input", "address", "rank_correlation", "regression",
                                                            "contribution")} for r in result.sensitivity(o.name)]
        outputs.append(entry)
    inputs = [{"name": i.name, "address": i.address, "function": i.function,
               "statistics": describe(i.values, percentiles=[5, 50, 95])} for i in result.inputs]
    return {"workbook": workbook or result.path, "iterations": result.iterations, "seed": result.seed,
            "sampling": result.sampling, "seconds": result.seconds, "warnings": list(result.warnings),
            "outputs": outputs, "inputs": inputs}
