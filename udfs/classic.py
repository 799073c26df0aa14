"""Classic desktop Excel through xlwings (the BSD-licensed open-source part only).

* ``udfs/xlwings_udfs.py`` (generated from the registry) holds the worksheet
  functions ``GF_NORMAL``, ``GF_PERCENTILE``...; xlwings' "Import Functions"
  turns them into VBA wrappers.  They call :func:`call` and
  :func:`statistic` here, which run the engine in-process.
* RunPython entry points for ribbon or sheet buttons (``addin/xlwings.conf``
  shows the configuration)::

      RunPython "import udfs.classic as gf; gf.simulate(10000)"
      RunPython "import udfs.classic as gf; gf.static_copy()"
      RunPython "import udfs.classic as gf; gf.solve()"
      RunPython "import udfs.classic as gf; gf.waterfall('film')"

  ``simulate`` saves a copy of the calling workbook, simulates it, writes the
  'GridFlow Results' sheet and keeps the per-iteration values in a results
  folder, where ``GF_MEAN(B20)``, ``GF_PERCENTILE(B20, 0.9)``... read them.

xlwings is imported through its dispatching ``import xlwings`` (classic COM
decorators on Windows, no-ops elsewhere) and never through
``xlwings.server``/``xlwings.pro``.  When xlwings is not installed the
decorators are no-ops too, so the module imports anywhere (tests, Linux).
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from . import core
from .registry import lookup
from .results_sheet import SHEET_NAME, block, summary_from_result

try:  # the dispatching import: COM decorators on Windows, no-ops elsewhere
    import xlwings as xw  # noqa: F401
except ImportError:  # pragma: no cover - exercised where xlwings is missing
    class _NoXlwings:
        """Stand-in decorators when xlwings is not installed."""

        @staticmethod
        def func(f=None, **kwargs):
            return f if f is not None else (lambda g: g)

        @staticmethod
        def sub(f=None, **kwargs):
            return f if f is not None else (lambda g: g)

        @staticmethod
        def arg(*args, **kwargs):
            return lambda g: g

        @staticmethod
        def ret(*args, **kwargs):
            return lambda g: g

        Book = None

    xw = _NoXlwings()  # type: ignore[assignment]

GridFlowError = core.CallError


def results_dir(workbook: str) -> Path:
    """Where the classic Simulate macro keeps a workbook's last results."""
    base = os.environ.get("GRIDFLOW_CLASSIC_RESULTS")
    root = Path(base) if base else Path.home() / ".gridflow" / "classic"
    stem = re.sub(r"[^\w.-]+", "_", Path(workbook).name).strip("._") or "workbook"
    return root / stem


# --- worksheet functions ------------------------------------------------------------------------

def _plain(v: Any) -> Any:
    """xlwings gives tuples/lists, numpy values and datetimes; keep JSON-like values."""
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    if hasattr(v, "timestamp") and hasattr(v, "toordinal"):      # datetime → Excel serial
        import datetime as dt
        base = dt.datetime(1899, 12, 30)
        if isinstance(v, dt.datetime):
            return (v.replace(tzinfo=None) - base).total_seconds() / 86400
        return float((v - base.date()).days)
    return v


def call(name: str, args: Sequence[Any], more: Sequence[Any] = ()) -> Any:
    """A GF_ function: ``args`` in parameter order; ``more`` the values of a
    ``*args`` tail (xlwings cannot mix optional parameters and ``*args``, so
    optional parameters and property functions share it: leading values fill
    the optional parameters, property tokens go to ``properties``)."""
    udf = lookup(name)
    if udf is None:
        raise GridFlowError("#NAME?", f"{name} is not a GridFlow function")
    values = [_plain(a) for a in args]
    more = [_plain(m) for m in more if m is not None]
    if more or (udf.params and udf.params[-1].repeating and len(values) < len(udf.params)):
        head = list(values)
        n_fixed = len(udf.params) - 1
        tokens = []
        for m in more:
            if isinstance(m, str) and core.parse_token(m) is not None:
                tokens.append(m)
            elif not tokens and len(head) < n_fixed:
                head.append(m)
            else:
                raise GridFlowError("#VALUE!", f"{udf.classic_name}: {m!r} is not a property function")
        head += [None] * (n_fixed - len(head))
        values = head + [tokens]
    return core.call(udf.name, *values)


class ClassicResults:
    """The last classic simulation of a workbook, from its results folder."""

    def __init__(self, workbook: str):
        self.workbook = workbook
        self.dir = results_dir(workbook)
        index = self.dir / "index.json"
        if not index.exists():
            raise GridFlowError("#N/A", f"no GridFlow simulation of {workbook} yet: run Simulate first")
        self.index = json.loads(index.read_text(encoding="utf-8"))
        self._table = None

    def series(self, address: str, c: core.Call) -> np.ndarray:
        try:
            key = core.cell_key(address)
        except ValueError as exc:
            raise GridFlowError("#VALUE!", str(exc)) from None
        for col, addr in self.index["columns"].items():
            if core.cell_key(addr) == key:
                if self._table is None:
                    import pyarrow.parquet as pq
                    self._table = pq.read_table(self.dir / "data.parquet")
                return self._table.column(col).to_numpy(zero_copy_only=False).astype(float)
        raise GridFlowError("#N/A", f"{address} was not an input or output of the last simulation of "
                                    f"{self.workbook}")


def _range_address(rng: Any) -> tuple[str, str]:
    """(workbook name, 'Sheet!A1') of an xlwings Range (or a stand-in with the same attributes)."""
    if isinstance(rng, str):
        return "", rng
    sheet = rng.sheet
    book = getattr(sheet, "book", None)
    sheet_name = sheet.name
    quoted = f"'{sheet_name}'" if re.search(r"[^A-Za-z0-9_.]", sheet_name) else sheet_name
    return (getattr(book, "name", "") or ""), f"{quoted}!{rng.address}"


def statistic(name: str, cell: Any, *rest: Any, other: Any = None) -> float:
    """GF_MEAN(cell)...: ``cell`` (and ``other`` for GF_CORREL) are ranges."""
    udf = lookup(name)
    book, addr = _range_address(cell)
    addrs = [addr]
    args: list[Any] = [0.0]
    if other is not None:
        book2, addr2 = _range_address(other)
        addrs.append(addr2)
        args.append(0.0)
    args += [_plain(r) for r in rest]
    source = ClassicResults(book or "workbook")
    value = core.call(udf.name, *args, source=source, parameter_addresses=addrs)
    return value[0][0] if isinstance(value, list) else value


# --- RunPython entry points ------------------------------------------------------------------------

def _caller(book=None):
    if book is not None:
        return book
    if getattr(xw, "Book", None) is None:
        raise RuntimeError("xlwings is not installed: pip install xlwings")
    return xw.Book.caller()


def _saved_copy(book, folder: Path) -> Path:
    """A copy of the workbook as it is now (unsaved edits included), without
    changing the user's file or its path."""
    suffix = Path(book.name).suffix.lower()
    if suffix not in (".xlsx", ".xlsm"):
        suffix = ".xlsx"
    target = folder / ("model" + suffix)
    api = getattr(book, "api", None)
    if api is not None and hasattr(api, "SaveCopyAs"):
        api.SaveCopyAs(str(target))
        return target
    full = Path(getattr(book, "fullname", "") or "")
    if full.is_file():
        return full
    raise RuntimeError(f"{book.name}: save the workbook first (.xlsx or .xlsm)")


def _results_sheet(book):
    names = [s.name for s in book.sheets]
    if SHEET_NAME in names:
        sheet = book.sheets[SHEET_NAME]
        sheet.clear()
    else:
        sheet = book.sheets.add(SHEET_NAME, after=book.sheets[len(names) - 1])
    return sheet


def simulate(iterations: int = 10_000, seed: int | None = None, sampling: str = "lhs",
             outputs: Sequence[str] | None = None, book=None) -> dict:
    """Simulate the calling workbook and write the 'GridFlow Results' sheet."""
    import engine
    book = _caller(book)
    app = getattr(book, "app", None)
    with tempfile.TemporaryDirectory(prefix="gridflow-") as tmp:
        path = _saved_copy(book, Path(tmp))
        if app is not None and hasattr(app, "status_bar"):
            app.status_bar = "GridFlow: simulating..."

        def progress(done, total, elapsed):
            if app is not None and hasattr(app, "status_bar"):
                app.status_bar = f"GridFlow: {done:,}/{total:,} iterations ({elapsed:.1f} s)"

        model = engine.load(path)
        result = model.simulate(int(iterations), seed=seed, sampling=sampling, outputs=list(outputs or []) or None,
                                progress=progress)
    summary = summary_from_result(result, workbook=book.name)
    out = results_dir(book.name)
    out.mkdir(parents=True, exist_ok=True)
    result.to_parquet(str(out / "data.parquet"))
    columns = list(result.columns())
    series = list(result.inputs) + list(result.outputs)
    index = {"workbook": book.name, "iterations": result.iterations, "seed": result.seed,
             "columns": {col: s.address for col, s in zip(columns, series)}}
    (out / "index.json").write_text(json.dumps(index), encoding="utf-8")
    sheet_block = block(summary)
    sheet = _results_sheet(book)
    sheet.range("A1").value = sheet_block["values"]
    if app is not None and hasattr(app, "status_bar"):
        app.status_bar = False
    if app is not None and hasattr(app, "calculate"):
        app.calculate()                      # GF_MEAN(...) cells read the new results
    return summary


def static_copy(percentile: float | None = None, book=None) -> str:
    """Write '<name> (static).xlsx' next to the workbook: every random or
    GridFlow function replaced by its base value."""
    from engine.static import write_static_copy
    book = _caller(book)
    with tempfile.TemporaryDirectory(prefix="gridflow-") as tmp:
        path = _saved_copy(book, Path(tmp))
        full = Path(getattr(book, "fullname", "") or "")
        folder = full.parent if full.parent.is_dir() and str(full.parent) not in ("", ".") else Path.cwd()
        target = folder / f"{Path(book.name).stem} (static){path.suffix}"
        write_static_copy(str(path), str(target), percentile=percentile)
    return str(target)


def _block_sheet(book, name: str):
    names = [s.name for s in book.sheets]
    if name in names:
        sheet = book.sheets[name]
        sheet.clear()
    else:
        sheet = book.sheets.add(name, after=book.sheets[len(names) - 1])
    return sheet


def solve(sheet: str | None = None, engine_name: str | None = None, keep: bool = True, book=None) -> dict:
    """Solve the calling workbook's Excel Solver model (the active sheet's, or
    ``sheet``'s), write the 'GridFlow Solve' sheet (answer, constraints,
    sensitivity) and, with ``keep``, the final decision values into the
    workbook, as Excel's "Keep Solver Solution"."""
    import engine
    from .model_sheets import SOLVE_SHEET, solve_block
    book = _caller(book)
    app = getattr(book, "app", None)
    with tempfile.TemporaryDirectory(prefix="gridflow-") as tmp:
        path = _saved_copy(book, Path(tmp))
        if app is not None and hasattr(app, "status_bar"):
            app.status_bar = "GridFlow: solving..."
        model = engine.load(path)
        if sheet is None:           # the active sheet's model, else the first sheet that has one
            from engine.optimize.spec import sheets_with_models
            active = getattr(getattr(getattr(book, "sheets", None), "active", None), "name", None)
            if active in model.sheet_names and model.sheet_index(active) in sheets_with_models(model):
                sheet = active
        res = model.solve(sheet, backend=engine_name, keep=False)
    results = res.to_dict()
    results["values"] = res.values()
    out = solve_block(results)
    target = _block_sheet(book, SOLVE_SHEET)
    target.range("A1").value = out["values"]
    if keep and res.ok:
        for w in out["writes"]:
            book.sheets[w["sheet"]].range(w["address"]).value = w["value"]
    if app is not None and hasattr(app, "status_bar"):
        app.status_bar = False
    if app is not None and hasattr(app, "calculate"):
        app.calculate()
    return results


def waterfall(kind: str = "film", spec: dict | str | None = None, book=None) -> dict:
    """Run a waterfall (``re`` or ``film``), incentive or capital-stack
    evaluation from a JSON spec (engine/finance/jobs.py; a dict, JSON text or a
    path; None runs the reference example) and write the 'GridFlow Waterfall'
    sheet."""
    from engine.finance import jobs
    from engine.finance.cli import _load_spec
    from .model_sheets import WATERFALL_SHEET, waterfall_block
    runners = {"re": jobs.run_re_job, "film": jobs.run_film_job, "incentives": jobs.run_incentive_job,
               "stacks": jobs.run_stack_job}
    if kind not in runners:
        raise ValueError(f"waterfall kind {kind!r}: use one of {', '.join(runners)}")
    if not isinstance(spec, dict):
        spec = _load_spec(spec, kind)       # None: the reference example; else JSON text or a file
    book = _caller(book)
    results = runners[kind](spec)
    out = waterfall_block(kind, results)
    target = _block_sheet(book, WATERFALL_SHEET)
    target.range("A1").value = out["values"]
    return results
