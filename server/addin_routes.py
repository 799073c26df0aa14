"""What the Excel add-in calls: custom-function calls, ribbon commands, the
results sheet, and the add-in's static files (manifest, custom-functions
metadata and JavaScript, task pane, icons) under ``/addin/``.

The custom functions are GridFlow's own thin Office.js layer (no xlwings
server/PRO code): ``addin/functions.js`` batches the calls of a recalculation
and posts them to ``POST /api/v1/addin/functions/call``; each answer is a
value or an Excel error with a message, never an HTTP error, because in Excel
an error is a cell value.  Distributions return their mean (evaluated by the
engine, in a thread, the engine imported on first use); statistics read the
workbook's last finished simulation on this server.
"""
from __future__ import annotations

import base64
import json
import logging
import math
import re
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Literal, Optional

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from .errors import ApiError

log = logging.getLogger("gridflow.server")

API = "/api/v1/addin"
ADDIN_DIR = Path(__file__).resolve().parents[1] / "addin"
STATIC_TYPES = {".xml": "application/xml", ".json": "application/json", ".js": "text/javascript",
                ".html": "text/html", ".css": "text/css", ".png": "image/png", ".conf": "text/plain",
                ".txt": "text/plain", ".md": "text/markdown"}
MAX_CALLS = 2000

router = APIRouter()


# --- request and response shapes --------------------------------------------------------------------

class FunctionCall(BaseModel):
    model_config = ConfigDict(extra="ignore")
    function: str = Field(min_length=1, max_length=64, description="NORMAL, GF.NORMAL or GF_NORMAL")
    args: list[Any] = Field(default_factory=list, max_length=64,
                            description="one entry per parameter: a value, a 2-D array for a range, null when "
                                        "omitted, a list for a repeating parameter")
    address: Optional[str] = Field(None, max_length=600, description="the calling cell, e.g. [Book1.xlsx]Sheet1!B2")
    parameter_addresses: Optional[list[Any]] = Field(None, max_length=64,
                                                     description="the arguments' addresses (statistics)")


class FunctionCallBatch(BaseModel):
    """What addin/functions.js posts: the calls of one recalculation burst."""
    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [
        {"client": "Office.js", "version": "0.1.0", "workbook": "Book1.xlsx", "job_id": None,
         "calls": [{"function": "NORMAL", "args": [0.03, 0.01, []], "address": "Sheet1!B2"},
                   {"function": "PERCENTILE", "args": [0.1, 0.9], "address": "Sheet1!C2",
                    "parameter_addresses": ["CashFlow!B18", "Sheet1!D2"]}]}]})
    client: Optional[str] = Field(None, max_length=64)
    version: Optional[str] = Field(None, max_length=64)
    workbook: Optional[str] = Field(None, max_length=300, description="the workbook's file name")
    job_id: Optional[str] = Field(None, max_length=64, description="the simulation statistics read "
                                                                    "(default: the workbook's latest)")
    calls: list[FunctionCall] = Field(max_length=MAX_CALLS)


class ExcelErrorValue(BaseModel):
    code: str = Field(description="#VALUE!, #N/A, #NUM!, #NAME?, #DIV/0!...")
    message: str


class FunctionResult(BaseModel):
    value: Any = Field(None, description="the cell value (a 2-D array for matrix results)")
    error: Optional[ExcelErrorValue] = None


class FunctionResults(BaseModel):
    results: list[FunctionResult]


class StaticCopyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    workbook_id: str = Field(max_length=64)
    percentile: Optional[float] = Field(None, ge=0, le=1, description="use this percentile of each input "
                                                                      "instead of its mean")


class StaticCopy(BaseModel):
    filename: str
    replaced: int = Field(description="random or GridFlow function calls replaced by their base values")
    content_base64: str = Field(description="the .xlsx/.xlsm file (for Excel.createWorkbook)")


class SolveCommand(BaseModel):
    """The Solve button: the add-in uploads the open workbook (`POST /api/v1/workbooks`) and names it here;
    or name an earlier job of the workbook (its workbook is solved)."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"workbook_id": "3f0c9a1e5b7d4c2a9e8f6d4b2a0c1e3f"}]})
    workbook_id: Optional[str] = Field(None, max_length=64, description="an uploaded workbook")
    job_id: Optional[str] = Field(None, max_length=64, description="or a job whose workbook to solve")
    sheet: Optional[str] = Field(None, min_length=1, max_length=31, description="default: the first sheet "
                                                                                "with a Solver model")
    engine: Optional[Literal["highs", "ortools", "scipy"]] = None
    method: Optional[Literal["auto", "simplex", "grg", "evolutionary"]] = None


class WaterfallCommand(BaseModel):
    """The Waterfall button: a spec as engine/finance/jobs.py documents it."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"kind": "film", "spec": {"template": "film1", "iterations": 10000, "seed": 1}}]})
    kind: Literal["re", "film", "incentives", "stacks"] = "film"
    spec: dict[str, Any] = Field(default_factory=dict)


class CommandStarted(BaseModel):
    command: str
    job_id: str
    status: str
    workbook_id: Optional[str]
    links: dict[str, str] = Field(description="job (poll), events (SSE), results (JSON once done), sheet (the "
                                              "cells the add-in writes)")


class ResultsSheet(BaseModel):
    sheet: str = Field(description="GridFlow Results, GridFlow Solve or GridFlow Waterfall")
    address: str
    values: list[list[Any]]
    charts: list[dict[str, Any]]
    tables: dict[str, str]
    writes: list[dict[str, Any]] = Field(default_factory=list, description="cells to set in the workbook: "
                                         "the decision cells' final values of a solved model")
    job_id: str


class AddinStatus(BaseModel):
    version: str
    functions: int
    engine_ready: bool
    manifest: str
    metadata: str
    script: str
    taskpane: str


class LatestJob(BaseModel):
    job_id: Optional[str]
    status: Optional[str]
    workbook_id: Optional[str]


# --- the engine, imported in the background on first use --------------------------------------------

_engine_lock = threading.Lock()
_engine_ready = threading.Event()


def _load_engine() -> None:
    with _engine_lock:
        if _engine_ready.is_set():
            return
        from udfs import core, registry  # noqa: F401  (imports the engine)
        registry.functions()
        _engine_ready.set()


def _warm_up_in_background() -> None:
    if not _engine_ready.is_set() and not _engine_lock.locked():
        threading.Thread(target=_load_engine, name="gridflow-addin-warmup", daemon=True).start()


# --- statistics: the last simulation of the workbook ---------------------------------------------------

class _JobSeries:
    """results.json and the Parquet columns of one finished job."""

    def __init__(self, job_dir: Path):
        self.dir = job_dir
        summary = json.loads((job_dir / "results.json").read_text(encoding="utf-8"))
        cols = summary.get("columns") or {}
        self.columns: dict[tuple[str, str], str] = {}
        from udfs.core import cell_key
        for meta, col in list(zip(summary.get("inputs", []), cols.get("inputs", []))) + \
                list(zip(summary.get("outputs", []), cols.get("outputs", []))):
            try:
                self.columns.setdefault(cell_key(meta["address"]), col)
            except (ValueError, KeyError, TypeError):
                continue
        self._data: dict[str, Any] = {}
        self._lock = threading.Lock()

    def series(self, key: tuple[str, str]):
        col = self.columns.get(key)
        if col is None:
            return None
        with self._lock:
            if col not in self._data:
                import pyarrow.parquet as pq
                table = pq.read_table(self.dir / "data.parquet", columns=[col])
                self._data[col] = table.column(0).to_numpy(zero_copy_only=False).astype(float)
            return self._data[col]


_series_cache: "OrderedDict[str, _JobSeries]" = OrderedDict()
_series_lock = threading.Lock()


def _job_series(store, job_id: str) -> _JobSeries:
    with _series_lock:
        hit = _series_cache.get(job_id)
        if hit is not None:
            _series_cache.move_to_end(job_id)
            return hit
    js = _JobSeries(store.job_dir(job_id))
    with _series_lock:
        _series_cache[job_id] = js
        while len(_series_cache) > 16:
            _series_cache.popitem(last=False)
    return js


def _same_book(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    a, b = a.strip().lower(), b.strip().lower()
    stem = lambda s: re.sub(r"\.(xlsx|xlsm|xlsb|xls)$", "", s)  # noqa: E731
    return a == b or stem(a) == stem(b)


def latest_job(store, workbook: str | None, status: str | None = "done") -> dict | None:
    """The newest job (of that status) whose workbook has this file name."""
    jobs, _ = store.list_jobs(None, status, 200, 0)
    names: dict[str, str | None] = {}
    for j in jobs:
        if j["type"] != "simulation":
            continue
        wid = j["workbook_id"]
        if wid not in names:
            wb = store.get_workbook(wid)
            names[wid] = wb["filename"] if wb else None
        if _same_book(names[wid], workbook):
            return j
    return None


class ServerResults:
    """udfs.core.ResultsSource over this server's finished jobs."""

    def __init__(self, store, workbook: str | None, job_id: str | None):
        self.store = store
        self.workbook = workbook
        self.job_id = job_id
        self._resolved: dict[str | None, tuple[str | None, str]] = {}

    def _job_for(self, book: str | None) -> str:
        from udfs.core import CallError
        key = book or self.workbook
        if key in self._resolved:
            jid, problem = self._resolved[key]
        else:
            jid, problem = None, ""
            if self.job_id:
                rec = self.store.get_job(self.job_id)
                if rec is None:
                    problem = f"job {self.job_id} is not on this server (deleted?): run Simulate again"
                elif rec["status"] != "done":
                    problem = f"the simulation {self.job_id} is {rec['status']}"
                else:
                    jid = rec["id"]
            else:
                rec = latest_job(self.store, key) if key else None
                if rec is not None:
                    jid = rec["id"]
                else:
                    problem = (f"no finished GridFlow simulation of {key} on this server: press Simulate"
                               if key else "no GridFlow simulation yet: press Simulate")
            self._resolved[key] = (jid, problem)
        if jid is None:
            raise CallError("#N/A", problem)
        return jid

    def series(self, address: str, call):
        from udfs.core import CallError, book_of, cell_key, split_address
        caller_sheet = None
        if call.address:
            try:
                caller_sheet = split_address(call.address)[1]
            except ValueError:
                caller_sheet = None
        try:
            key = cell_key(address, caller_sheet)
        except ValueError as exc:
            raise CallError("#VALUE!", str(exc)) from None
        jid = self._job_for(book_of(address) or book_of(call.address))
        try:
            js = _job_series(self.store, jid)
        except (OSError, ValueError) as exc:
            raise CallError("#N/A", f"the results of job {jid} cannot be read ({type(exc).__name__})") from None
        x = js.series(key)
        if x is None:
            raise CallError("#N/A", f"{address} was not an input or output of the last simulation (job {jid}): "
                                    f"mark it with GF.OUTPUT or choose it as an output in the task pane")
        return x


# --- custom functions ------------------------------------------------------------------------------------

@router.post(f"{API}/functions/call", response_model=FunctionResults, tags=["add-in"],
             summary="Evaluate a batch of GF.* custom-function calls",
             responses={422: {"description": "the body is not a batch of calls"}})
async def call_functions(batch: FunctionCallBatch, request: Request) -> dict:
    """What the add-in's custom functions post during a recalculation. Each result is the cell's value
    or an Excel error with a message (an argument of the wrong type gives `#VALUE!`); distributions
    return their mean, statistics read the workbook's last finished simulation."""
    from udfs import core
    if not _engine_ready.is_set():
        await run_in_threadpool(_load_engine)
    source = ServerResults(request.app.state.store, batch.workbook, batch.job_id)
    calls = [core.Call(c.function, c.args, c.address, c.parameter_addresses) for c in batch.calls]
    results = await run_in_threadpool(core.evaluate, calls, source)
    return {"results": results}


@router.get(f"{API}/status", response_model=AddinStatus, tags=["add-in"], summary="The add-in's server side")
async def addin_status(request: Request) -> dict:
    _warm_up_in_background()
    try:
        from gridflow import __version__ as version
    except Exception:  # pragma: no cover
        version = "0"
    try:
        n = len(json.loads((ADDIN_DIR / "functions.json").read_text(encoding="utf-8"))["functions"])
    except (OSError, ValueError, KeyError):
        n = 0
    return {"version": str(version), "functions": n, "engine_ready": _engine_ready.is_set(),
            "manifest": "/addin/manifest.xml", "metadata": "/addin/functions.json",
            "script": "/addin/functions.js", "taskpane": "/addin/taskpane.html"}


# --- ribbon commands -----------------------------------------------------------------------------------------

@router.get(f"{API}/jobs/latest", response_model=LatestJob, tags=["add-in"],
            summary="The latest simulation job of a workbook (by file name)")
async def latest(request: Request, workbook: str = Query(..., min_length=1, max_length=300),
                 status: Optional[str] = Query(None, pattern="^(queued|running|done|failed|cancelled|interrupted)$")
                 ) -> dict:
    rec = latest_job(request.app.state.store, workbook, status)
    if rec is None:
        return {"job_id": None, "status": None, "workbook_id": None}
    return {"job_id": rec["id"], "status": rec["status"], "workbook_id": rec["workbook_id"]}


@router.get(f"{API}/results/{{job_id}}/sheet", response_model=ResultsSheet, tags=["add-in"],
            summary="A finished job as the cells of the 'GridFlow Results' (simulation), 'GridFlow Solve' "
                    "(optimization) or 'GridFlow Waterfall' sheet",
            responses={404: {"description": "no such job"}, 409: {"description": "the job is not done"}})
async def results_sheet(job_id: str, request: Request) -> dict:
    from udfs.results_sheet import block
    store = request.app.state.store
    rec = store.get_job(job_id)
    if rec is None:
        raise ApiError(404, "not_found", f"no job with id {job_id!r}", {"field": "path.job_id"})
    if rec["status"] != "done":
        raise ApiError(409, "job_not_done", f"job {job_id} is {rec['status']}: results exist once it is done",
                       {"status": rec["status"]})
    path = store.job_dir(rec["id"]) / "results.json"
    try:
        summary = await run_in_threadpool(lambda: json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        raise ApiError(404, "not_found", f"the results of job {job_id} are missing from the data folder") from None
    wb = store.get_workbook(rec["workbook_id"]) if rec["workbook_id"] else None
    if rec["type"] == "optimization":
        from udfs.model_sheets import solve_block
        out = solve_block(summary, job_id=rec["id"])
    elif rec["type"] == "waterfall":
        from udfs.model_sheets import waterfall_block
        out = waterfall_block(rec["params"].get("kind", ""), summary, job_id=rec["id"])
    else:
        if wb:
            summary["workbook"] = wb["filename"]
        out = block(summary, job_id=rec["id"])
    out["job_id"] = rec["id"]
    return out


def _static_copy(src: Path, name: str, percentile: float | None) -> dict:
    from engine.static import write_static_copy
    with tempfile.TemporaryDirectory(prefix="gridflow-static-") as tmp:
        target = Path(tmp) / ("static" + src.suffix)
        n = write_static_copy(str(src), str(target), percentile=percentile)
        data = target.read_bytes()
    stem = Path(name).stem or "workbook"
    return {"filename": f"{stem} (static){src.suffix}", "replaced": int(n),
            "content_base64": base64.b64encode(data).decode("ascii")}


@router.post(f"{API}/commands/static-copy", response_model=StaticCopy, tags=["add-in"],
             summary="A copy of an uploaded workbook with every random or GridFlow function replaced by its "
                     "base value", responses={404: {"description": "no such workbook"},
                                              422: {"description": "the copy could not be made"}})
async def static_copy(req: StaticCopyRequest, request: Request) -> dict:
    """The ribbon's Static copy button uploads the open workbook (`POST /api/v1/workbooks`), calls this,
    and opens the answer with `Excel.createWorkbook`."""
    store = request.app.state.store
    wb = store.get_workbook(req.workbook_id)
    if wb is None:
        raise ApiError(404, "not_found", f"no workbook with id {req.workbook_id!r}", {"field": "body.workbook_id"})
    src = store.workbook_path(wb["id"], wb["format"])
    if req.percentile is not None and not math.isfinite(req.percentile):
        raise ApiError(422, "validation_error", "body.percentile must be between 0 and 1")
    try:
        return await run_in_threadpool(_static_copy, src, wb["filename"], req.percentile)
    except Exception as exc:  # the engine refused the file: a client-side problem, never a 500
        log.warning("static copy of %s failed: %s", wb["id"], exc)
        raise ApiError(422, "static_copy_failed", f"{wb['filename']}: the static copy could not be made: "
                                                  f"{type(exc).__name__}: {exc}"[:500]) from None


def _started(command: str, job: dict) -> JSONResponse:
    jid = job["id"]
    return JSONResponse({"command": command, "job_id": jid, "status": job["status"],
                         "workbook_id": job["workbook_id"],
                         "links": {"job": f"/api/v1/jobs/{jid}", "events": f"/api/v1/jobs/{jid}/events",
                                   "results": f"/api/v1/jobs/{jid}/results", "sheet": f"{API}/results/{jid}/sheet"}},
                        status_code=202)


@router.post(f"{API}/commands/solve", status_code=202, response_model=CommandStarted, tags=["add-in"],
             summary="The Solve button: start an optimization job of an uploaded workbook",
             responses={404: {"description": "no such workbook or job"},
                        422: {"description": "no workbook named, or the workbook has no Solver model"}})
async def solve_command(req: SolveCommand, request: Request) -> JSONResponse:
    """Starts the same job as `POST /api/v1/jobs` with `type: optimization`; follow it, then
    `GET /api/v1/addin/results/{job_id}/sheet` gives the 'GridFlow Solve' sheet and the decision cells'
    final values to write back."""
    from .schemas import OptimizationRequest
    store = request.app.state.store
    if (req.workbook_id is None) == (req.job_id is None):
        raise ApiError(422, "validation_error", "body.workbook_id: name the uploaded workbook (workbook_id) or "
                                                "one of its jobs (job_id), not both", {"field": "body.workbook_id"})
    wid = req.workbook_id
    if req.job_id is not None:
        job = store.get_job(req.job_id)
        if job is None:
            raise ApiError(404, "not_found", f"no job with id {req.job_id!r}", {"field": "body.job_id"})
        if not job["workbook_id"]:
            raise ApiError(422, "validation_error", f"body.job_id: job {req.job_id} is a {job['type']} job "
                                                    f"without a workbook", {"field": "body.job_id"})
        wid = job["workbook_id"]
    opt = OptimizationRequest(type="optimization", workbook_id=wid, sheet=req.sheet, engine=req.engine,
                              method=req.method)
    return _started("solve", request.app.state.start_job(opt))


@router.post(f"{API}/commands/waterfall", status_code=202, response_model=CommandStarted, tags=["add-in"],
             summary="The Waterfall button: start a waterfall job from a spec",
             responses={422: {"description": "the spec is not acceptable"}})
async def waterfall_command(req: WaterfallCommand, request: Request) -> JSONResponse:
    """Starts the same job as `POST /api/v1/jobs` with `type: waterfall`; follow it, then
    `GET /api/v1/addin/results/{job_id}/sheet` gives the 'GridFlow Waterfall' sheet."""
    from .schemas import WaterfallRequest
    wf = WaterfallRequest(type="waterfall", kind=req.kind, spec=req.spec)
    return _started("waterfall", request.app.state.start_job(wf))


# --- static files ----------------------------------------------------------------------------------------------

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")
_BASE_RE = re.compile(r"^https://[A-Za-z0-9.-]{1,200}(:[0-9]{1,5})?$")


@router.get("/addin", include_in_schema=False)
@router.get("/addin/", include_in_schema=False)
async def addin_index() -> Response:
    return RedirectResponse("/addin/taskpane.html", status_code=307)


@router.get("/addin/{name}", include_in_schema=False)
async def addin_file(name: str, request: Request, base: Optional[str] = None) -> Response:
    """The add-in's files. ``manifest.xml`` is rendered for this server's
    HTTPS address (or ``?base=https://host:port``)."""
    if not _NAME_RE.match(name) or ".." in name:
        raise ApiError(404, "not_found", f"no add-in file {name!r}")
    path = ADDIN_DIR / name
    media = STATIC_TYPES.get(path.suffix.lower())
    if media is None or not path.is_file():
        raise ApiError(404, "not_found", f"no add-in file {name!r}")
    headers = {"Cache-Control": "no-cache"}
    if name == "manifest.xml":
        origin = base or (str(request.base_url).rstrip("/") if request.url.scheme == "https" else None)
        if origin:
            if not _BASE_RE.match(origin):
                raise ApiError(422, "validation_error", "base must be an https://host[:port] address",
                               {"field": "query.base"})
            from udfs.manifest import render
            return Response(render(origin), media_type="application/xml", headers=headers)
    if name.endswith(".html"):
        _warm_up_in_background()
    return FileResponse(path, media_type=media, headers=headers)
