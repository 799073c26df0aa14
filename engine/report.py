"""Simulation reports: an .xlsx workbook with native Excel charts
(histogram, cumulative curve and tornado per output), a sheet of
per-iteration values, and PNG images of the same charts."""
from __future__ import annotations

import math
import os
import posixpath
import re
import shutil
import zipfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from .montecarlo.results import PERCENTILES, SimulationResult

MAX_ITERATION_ROWS = 100_000   # beyond this the Iterations sheet keeps the first rows only
HEAD = Font(bold=True, color="FFFFFF")
HEAD_FILL = PatternFill("solid", fgColor="1F4E78")


def _safe_sheet_title(name: str, used: set[str]) -> str:
    base = "".join(ch for ch in name if ch not in '[]:*?/\\')[:25] or "Output"
    title, i = base, 2
    while title.lower() in used:
        title = f"{base[:22]} {i}"
        i += 1
    used.add(title.lower())
    return title


def _header(ws, row: int, values: list[str]) -> None:
    for j, v in enumerate(values, start=1):
        c = ws.cell(row, j, v)
        c.font = HEAD
        c.fill = HEAD_FILL


def write_report(result: SimulationResult, path: str | Path, png: bool = True, bins: int = 30) -> list[Path]:
    """Write the report workbook (and PNGs beside it); returns the files written."""
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    ws["A1"] = "GridFlow simulation report"
    ws["A1"].font = Font(bold=True, size=14)
    meta = [("Workbook", result.path), ("Iterations", result.iterations), ("Sampling", result.sampling),
            ("Seed", result.seed), ("Seconds", round(result.seconds, 3)),
            ("Status", "interrupted: partial results" if result.interrupted else "complete")]
    for i, (k, v) in enumerate(meta, start=2):
        ws.cell(i, 1, k).font = Font(bold=True)
        ws.cell(i, 2, v)
    row = len(meta) + 3
    stats = result.statistics()
    cols = ["Output", "Cell", "Count", "Errors", "Mean", "Std dev", "Min", "Max", "Skewness", "Kurtosis"] + \
           [f"P{p}" for p in PERCENTILES]
    _header(ws, row, cols)
    for o in result.outputs:
        row += 1
        d = stats[o.name]
        vals = [o.name, o.address, d.get("count", 0), d.get("errors", 0)]
        if d.get("count"):
            vals += [d["mean"], d["sd"], d["min"], d["max"], d["skewness"], d["kurtosis"]]
            vals += [d["percentiles"][f"P{p}"] for p in PERCENTILES]
        for j, v in enumerate(vals, start=1):
            ws.cell(row, j, v)
    row += 2
    ws.cell(row, 1, "Random inputs").font = Font(bold=True)
    row += 1
    _header(ws, row, ["Input", "Cell", "Function", "Mean", "Std dev", "Min", "Max"])
    for inp in result.inputs:
        row += 1
        x = inp.values[np.isfinite(inp.values)]
        vals = [inp.name, inp.address, inp.function]
        if x.size:
            vals += [float(x.mean()), float(x.std(ddof=1)) if x.size > 1 else 0.0, float(x.min()), float(x.max())]
        for j, v in enumerate(vals, start=1):
            ws.cell(row, j, v)
    for w in result.warnings:
        row += 2
        ws.cell(row, 1, f"Warning: {w}")
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 18

    iteration_rows = _iterations_sheet(wb, result)
    used = {"summary", "iterations"}
    for o in result.outputs:
        _output_sheet(wb, result, o.name, _safe_sheet_title(o.name, used), bins)

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    wb.save(tmp)
    _stream_rows_into(tmp, "Iterations", *iteration_rows)
    shutil.move(tmp, path)
    written = [path]
    if png:
        written += write_pngs(result, path.with_suffix(""), bins)
    return written


def _iterations_sheet(wb: Workbook, result: SimulationResult) -> tuple[int, np.ndarray]:
    """The sheet with its note and header; the values (first row number,
    matrix of iteration number and columns) are streamed into the saved
    file by :func:`_stream_rows_into`: openpyxl's cell objects cost about
    30 s for 100,000 rows of 8 columns, the direct XML well under one."""
    ws = wb.create_sheet("Iterations")
    cols = result.columns()
    n = min(result.iterations, MAX_ITERATION_ROWS)
    start = 1
    if result.iterations > MAX_ITERATION_ROWS:
        ws.cell(1, 1, f"Note: the run has {result.iterations:,} iterations; this sheet keeps the first "
                      f"{MAX_ITERATION_ROWS:,}. Use --parquet for all of them.")
        start = 3
    _header(ws, start, ["Iteration"] + list(cols))
    data = np.empty((n, len(cols) + 1))
    data[:, 0] = np.arange(1, n + 1)
    for j, v in enumerate(cols.values(), start=1):
        data[:, j] = np.asarray(v[:n], dtype=float)
    return start + 1, data


def _sheet_part(zf: zipfile.ZipFile, title: str) -> str:
    """The zip member holding the worksheet called ``title``."""
    book = zf.read("xl/workbook.xml").decode("utf-8")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    m = re.search(r"<sheet\b[^>]*\bname=" + re.escape(quoteattr(title)) + r"[^>]*/>", book)
    if m is None:
        raise ValueError(f"report: no sheet {title!r} in the saved workbook")
    rid = re.search(r'\br:id="([^"]+)"', m.group(0)) or re.search(r'\bid="([^"]+)"', m.group(0))
    rel = re.search(r"<Relationship\b[^>]*\bId=\"" + re.escape(rid.group(1)) + r"\"[^>]*/>", rels)
    target = re.search(r'\bTarget="([^"]+)"', rel.group(0)).group(1)
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def _rows_xml(first_row: int, data: np.ndarray) -> str:
    letters = [get_column_letter(j + 1) for j in range(data.shape[1])]
    parts = []
    for i, row in enumerate(data.tolist()):
        r = first_row + i
        cells = "".join(f'<c r="{col}{r}"><v>{x!r}</v></c>' for col, x in zip(letters, row) if math.isfinite(x))
        parts.append(f'<row r="{r}">{cells}</row>')
    return "".join(parts)


def _stream_rows_into(path: Path, title: str, first_row: int, data: np.ndarray) -> None:
    """Append ``data`` as rows from ``first_row`` to sheet ``title`` of the
    saved workbook ``path`` (numbers only; NaN and infinities left blank)."""
    if data.size == 0:
        return
    out = path.with_name(path.name + ".rows")
    with zipfile.ZipFile(path) as zin:
        part = _sheet_part(zin, title)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for item in zin.infolist():
                raw = zin.read(item.filename)
                if item.filename == part:
                    xml = raw.decode("utf-8")
                    last = first_row + data.shape[0] - 1
                    ref = f"A1:{get_column_letter(data.shape[1])}{last}"
                    xml = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml, count=1)
                    body = _rows_xml(first_row, data)
                    if "</sheetData>" in xml:
                        xml = xml.replace("</sheetData>", body + "</sheetData>", 1)
                    else:
                        xml = xml.replace("<sheetData/>", f"<sheetData>{body}</sheetData>", 1)
                    raw = xml.encode("utf-8")
                zout.writestr(item, raw)
    os.replace(out, path)


def _output_sheet(wb: Workbook, result: SimulationResult, name: str, title: str, bins: int) -> None:
    ws = wb.create_sheet(title)
    ws["A1"] = f"Output: {name}"
    ws["A1"].font = Font(bold=True, size=13)
    counts, edges = result.histogram(name, bins)
    # histogram data
    _header(ws, 3, ["Bin from", "Bin to", "Midpoint", "Frequency"])
    for i, c in enumerate(counts):
        ws.cell(4 + i, 1, float(edges[i]))
        ws.cell(4 + i, 2, float(edges[i + 1]))
        ws.cell(4 + i, 3, float((edges[i] + edges[i + 1]) / 2))
        ws.cell(4 + i, 4, int(c))
    last = 3 + len(counts)
    hist = BarChart()
    hist.type = "col"
    hist.gapWidth = 0
    hist.title = f"{name}: distribution"
    hist.y_axis.title = "Iterations"
    hist.x_axis.title = name
    hist.add_data(Reference(ws, min_col=4, min_row=3, max_row=last), titles_from_data=True)
    hist.set_categories(Reference(ws, min_col=3, min_row=4, max_row=last))
    hist.legend = None
    hist.width, hist.height = 18, 9
    ws.add_chart(hist, "G3")
    # cumulative curve
    xs, ps = result.cumulative(name, 51)
    base = 3
    ws.cell(base, 9 + 10, "Value").font = Font(bold=True)
    ws.cell(base, 9 + 11, "Cumulative probability").font = Font(bold=True)
    for i, (x, p) in enumerate(zip(xs, ps)):
        ws.cell(base + 1 + i, 19, float(x))
        ws.cell(base + 1 + i, 20, float(p))
    cum = ScatterChart()
    cum.title = f"{name}: cumulative probability"
    cum.style = 13
    cum.x_axis.title = name
    cum.y_axis.title = "P(X <= x)"
    s = Series(Reference(ws, min_col=20, min_row=base + 1, max_row=base + len(xs)),
               Reference(ws, min_col=19, min_row=base + 1, max_row=base + len(xs)), title="Cumulative")
    s.marker.symbol = "none"
    cum.series.append(s)
    cum.legend = None
    cum.width, cum.height = 18, 9
    ws.add_chart(cum, "G22")
    # tornado (rank correlation) and spider data
    sens = result.sensitivity(name)
    trow = max(last, base + len(xs)) + 3
    _header(ws, trow, ["Input", "Rank correlation", "Regression coefficient", "Contribution to variance",
                       "Output mean, lowest decile", "Output mean, highest decile"])
    top = sens[:12]
    for i, r in enumerate(reversed(top)):   # largest bar on top in Excel's bar chart
        vals = [r["input"], r["rank_correlation"], r["regression"], r["contribution"], r["low_mean"],
                r["high_mean"]]
        for j, v in enumerate(vals, start=1):
            ws.cell(trow + 1 + i, j, v)
    if top:
        tor = BarChart()
        tor.type = "bar"
        tor.title = f"{name}: tornado (rank correlation)"
        tor.add_data(Reference(ws, min_col=2, min_row=trow, max_row=trow + len(top)), titles_from_data=True)
        tor.set_categories(Reference(ws, min_col=1, min_row=trow + 1, max_row=trow + len(top)))
        tor.legend = None
        tor.width, tor.height = 18, 9
        ws.add_chart(tor, "G41")
    # spider: output mean by input decile
    srow = trow + len(top) + 3
    if top:
        _header(ws, srow, ["Decile"] + [r["input"] for r in top])
        for d in range(10):
            ws.cell(srow + 1 + d, 1, d + 1)
            for j, r in enumerate(top):
                if d < len(r["spider_bin_means"]):
                    ws.cell(srow + 1 + d, 2 + j, r["spider_bin_means"][d])
        spider = LineChart()
        spider.title = f"{name}: mean by input decile (spider)"
        spider.add_data(Reference(ws, min_col=2, max_col=1 + len(top), min_row=srow, max_row=srow + 10),
                        titles_from_data=True)
        spider.set_categories(Reference(ws, min_col=1, min_row=srow + 1, max_row=srow + 10))
        spider.width, spider.height = 18, 9
        ws.add_chart(spider, "G60")
    # convergence of the mean and percentiles as iterations grow
    crow = (srow + 13) if top else (trow + 3)
    conv = result.convergence(name)
    if conv:
        _header(ws, crow, ["Iterations", "Mean", "P5", "P50", "P95"])
        for i, row in enumerate(conv):
            for j, key in enumerate(["iterations", "mean", "P5", "P50", "P95"], start=1):
                ws.cell(crow + 1 + i, j, row[key])
        line = LineChart()
        line.title = f"{name}: convergence"
        line.x_axis.title = "Iterations"
        line.add_data(Reference(ws, min_col=2, max_col=5, min_row=crow, max_row=crow + len(conv)),
                      titles_from_data=True)
        line.set_categories(Reference(ws, min_col=1, min_row=crow + 1, max_row=crow + len(conv)))
        line.width, line.height = 18, 9
        ws.add_chart(line, "G79")
    for c in range(1, 7):
        ws.column_dimensions[get_column_letter(c)].width = 22


def write_pngs(result: SimulationResult, stem: Path, bins: int = 30) -> list[Path]:
    """One PNG per output: histogram, cumulative curve and tornado side by side."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    out = []
    for i, o in enumerate(result.outputs):
        x = o.values[np.isfinite(o.values)]
        if x.size == 0:
            continue
        fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
        axes[0].hist(x, bins=bins, color="#2E75B6", edgecolor="white")
        axes[0].set_title(f"{o.name}: distribution")
        xs, ps = result.cumulative(o.name, 101)
        axes[1].plot(xs, ps, color="#2E75B6")
        axes[1].set_title("cumulative probability")
        axes[1].grid(alpha=0.3)
        sens = result.sensitivity(o.name)[:10]
        if sens:
            names = [r["input"] for r in reversed(sens)]
            vals = [r["rank_correlation"] for r in reversed(sens)]
            axes[2].barh(names, vals, color=["#C00000" if v < 0 else "#2E75B6" for v in vals])
            axes[2].axvline(0, color="black", lw=0.8)
        axes[2].set_title("tornado: rank correlation")
        fig.tight_layout()
        safe = "".join(ch if ch.isalnum() else "_" for ch in o.name)[:40] or f"output{i + 1}"
        p = Path(f"{stem}_{safe}.png")
        fig.savefig(p, dpi=90)
        plt.close(fig)
        out.append(p)
    return out
