"""The FastAPI application: workbooks, jobs, progress, results, web page."""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import random
import re
import time
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, Union

from fastapi import APIRouter, FastAPI, File, Path as PathParam, Query, UploadFile
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from . import errors
from .config import Settings
from .errors import ApiError
from .jobs import Hub, Live, Scheduler, Workers
from .schemas import (MAX_SPEC_ITERATIONS, ErrorResponse, Health, Job, JobList, JobRequest, JobStatus,
                      ModuleAnswer, ModuleList, ModuleRequest, OptimizationRequest, OptimizationResults, Results,
                      SimulationRequest, WaterfallRequest, WaterfallResults, WorkbookDetail, WorkbookList)
from .security import BodyLimit, TokenAuth, check_filename, check_ooxml
from .store import ACTIVE, FINAL, Store, new_id

log = logging.getLogger("gridflow.server")

STATIC_DIR = Path(__file__).parent / "static"
API = "/api/v1"

try:
    from gridflow import __version__ as VERSION
except Exception:  # pragma: no cover
    VERSION = "0"


def _err(*statuses: int) -> dict:
    return {s: {"model": ErrorResponse} for s in statuses}


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SecurityHeaders:
    """Adds nosniff / no-referrer to every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_headers(message):
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + [
                    (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
            await send(message)
        return await self.app(scope, receive, send_headers)


# --- output address check (without loading the workbook) -----------------------------------------

_ADDR = re.compile(r"^(?:(?:'((?:[^']|'')+)'|([^!'\[\]:]+))!)?\$?([A-Za-z]{1,3})\$?([0-9]{1,7})"
                   r"(?::\$?([A-Za-z]{1,3})\$?([0-9]{1,7}))?$")


def _col(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def check_output_address(text: str, sheets: list[str]) -> str | None:
    """None when fine, else what is wrong."""
    m = _ADDR.match(text.strip())
    if not m:
        return f"{text!r} is not a cell or range address (e.g. Sheet1!B7 or 'My sheet'!C3:C5)"
    sheet = m.group(1).replace("''", "'") if m.group(1) else m.group(2)
    if sheet is not None and sheet.lower() not in {s.lower() for s in sheets}:
        return f"{text!r}: the workbook has no sheet named {sheet!r}"
    r1, c1 = int(m.group(4)), _col(m.group(3))
    r2, c2 = (int(m.group(6)), _col(m.group(5))) if m.group(5) else (r1, c1)
    if not (1 <= r1 <= 1_048_576 and 1 <= r2 <= 1_048_576 and 1 <= c1 <= 16_384 and 1 <= c2 <= 16_384):
        return f"{text!r} is outside Excel's grid"
    if (abs(r2 - r1) + 1) * (abs(c2 - c1) + 1) > 10_000:
        return f"{text!r} covers more than 10,000 cells"
    return None


# --- views ----------------------------------------------------------------------------------------------

def workbook_view(rec: dict, detail: bool = False) -> dict:
    insp = rec["inspection"]
    wid = rec["id"]
    out = {
        "id": wid, "filename": rec["filename"], "format": rec["format"], "size": rec["size"],
        "sha256": rec["sha256"], "uploaded_at": iso(rec["uploaded_at"]),
        "summary": {"sheets": len(insp.get("sheets", [])), "formulas": insp.get("formula_count", 0),
                    "random_inputs": len(insp.get("random_inputs", [])), "outputs": len(insp.get("outputs", [])),
                    "unsupported_functions": len(insp.get("unsupported", [])),
                    "simulation_ready": bool(insp.get("simulation_ready"))},
        "links": {"self": f"{API}/workbooks/{wid}", "file": f"{API}/workbooks/{wid}/file",
                  "jobs": f"{API}/jobs?workbook_id={wid}"},
    }
    if detail:
        out["inspection"] = insp
    return out


def job_view(rec: dict, live: Live | None) -> dict:
    status = rec["status"]
    done, total, elapsed, phase = rec["done"], rec["total"], rec["elapsed"], rec["phase"]
    if live is not None and status in ACTIVE and live.status == status:
        done, total, elapsed, phase = live.done, live.total or total, live.elapsed, live.phase
    total = total or int(rec["params"].get("iterations", 0))
    rate = done / elapsed if elapsed > 0 and done > 0 else None
    eta = (total - done) / rate if rate and status == "running" else (0.0 if status == "done" else None)
    jid = rec["id"]
    links = {"self": f"{API}/jobs/{jid}", "events": f"{API}/jobs/{jid}/events"}
    if rec["workbook_id"]:
        links["workbook"] = f"{API}/workbooks/{rec['workbook_id']}"
    if status in ACTIVE:
        links["cancel"] = f"{API}/jobs/{jid}/cancel"
    else:
        links["rerun"] = f"{API}/jobs/{jid}/rerun"
        if status != "done":
            links["resume"] = f"{API}/jobs/{jid}/resume"
    if status == "done":
        base = f"{API}/jobs/{jid}/results"
        links["results"] = base
        if rec["type"] == "simulation":
            links.update(csv=f"{base}/data.csv", parquet=f"{base}/data.parquet",
                         report=f"{base}/report.xlsx", charts=f"{base}/charts/{{index}}.png")
        elif rec["type"] == "optimization":
            links["solved"] = f"{base}/solved.xlsx"
    return {
        "id": jid, "type": rec["type"], "workbook_id": rec["workbook_id"], "status": status,
        "params": rec["params"],
        "progress": {"done": int(done), "total": int(total), "fraction": (done / total) if total else 0.0,
                     "rate": rate, "elapsed_s": float(elapsed), "eta_s": eta, "phase": phase},
        "created_at": iso(rec["created_at"]), "started_at": iso(rec["started_at"]),
        "finished_at": iso(rec["finished_at"]), "error": rec["error"], "summary": rec["summary"],
        "links": links,
    }


def _sse(event: str, data: Any, seq: int) -> str:
    return f"id: {seq}\nevent: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _download_name(workbook_name: str, job_id: str, suffix: str) -> str:
    stem = Path(workbook_name).stem
    stem = re.sub(r"[^\w.-]+", "_", stem, flags=re.UNICODE).strip("._") or "workbook"
    return f"{stem[:60]}_{job_id[:8]}_{suffix}"


# --- the application -------------------------------------------------------------------------------------

def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    store = Store(settings.data_dir)
    hub = Hub()
    workers = Workers()
    scheduler = Scheduler(store, workers, hub, settings.max_jobs, settings.max_queue)
    state: dict[str, Any] = {"shutting_down": False}
    render_locks: dict[tuple, asyncio.Lock] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        hub.bind(asyncio.get_running_loop())
        state["sem"] = asyncio.Semaphore(max(1, settings.inspect_workers))
        interrupted, queued = store.recover()
        if interrupted:
            log.warning("marked %d job(s) interrupted by the last shutdown", len(interrupted))
        workers.warm_up()
        scheduler.start(queued)
        try:
            yield
        finally:
            state["shutting_down"] = True
            await run_in_threadpool(scheduler.stop)
            store.close()

    app = FastAPI(
        title="GridFlow local server",
        version=VERSION,
        description="Upload Excel workbooks, run Monte Carlo simulations, Excel Solver optimizations and "
                    "distribution waterfalls as jobs with live progress (Server-Sent Events), and fetch results "
                    "as JSON, CSV, Parquet, an XLSX report, PNG charts or the solved workbook; solve the four "
                    "real-estate optimization modules (`/modules`) synchronously. Every error is "
                    '`{"error": {"code", "message", "details"}}`. When the server runs with a token, send '
                    "`Authorization: Bearer <token>`.",
        lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.store = store
    app.state.scheduler = scheduler
    errors.install(app)
    # middleware: the last added is the outermost
    app.add_middleware(BodyLimit, upload_limit=settings.max_upload_bytes, other_limit=settings.max_body_bytes)
    app.add_middleware(TokenAuth, token=settings.token)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(CORSMiddleware, allow_origins=list(settings.addin_origins), allow_credentials=False,
                       allow_methods=["GET", "POST", "DELETE"],
                       allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
                       expose_headers=["Content-Disposition"], max_age=600)

    _install_docs(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
                                       "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'"})

    @app.get("/health", response_model=Health, tags=["server"], summary="Liveness and job counts")
    async def health() -> dict:
        return {"status": "ok", "version": VERSION, "workers_ready": workers.ready.is_set(),
                "jobs": scheduler.counts()}

    api = APIRouter(prefix=API)

    # --- workbooks -----------------------------------------------------------------------------------

    def get_workbook(wid: str) -> dict:
        rec = store.get_workbook(wid)
        if rec is None:
            raise ApiError(404, "not_found", f"no workbook with id {wid!r}", {"field": "path.workbook_id"})
        return rec

    @api.post("/workbooks", status_code=201, response_model=WorkbookDetail, tags=["workbooks"],
              summary="Upload a workbook (.xlsx/.xlsm)",
              responses=_err(400, 401, 413, 415, 422, 503))
    async def upload_workbook(file: UploadFile = File(..., description="the workbook, as multipart/form-data")
                              ) -> JSONResponse:
        """The content must be an Office Open XML spreadsheet (checked by content, not by extension);
        the engine's reader refuses zip bombs, XML bombs and absurd sizes. The answer includes what
        GridFlow found: sheets, formulas, random inputs, outputs, Solver models and unsupported cells."""
        name = check_filename(file.filename)
        tmp = store.tmp_path(".upload")
        try:
            size, digest = await run_in_threadpool(_save_upload, file.file, tmp, settings.max_upload_bytes)
            if size == 0:
                raise ApiError(415, "not_a_workbook", f"{name} is empty", {"field": "body.file"})
            fmt = await run_in_threadpool(check_ooxml, tmp, name)
            async with state["sem"]:
                res = await run_in_threadpool(workers.run_task, "inspect", (str(tmp), name, settings.max_cells),
                                              settings.inspect_timeout)
            if res[0] != "ok":
                _, code, message, details = res
                if code == "worker_unavailable":
                    raise ApiError(503, code, message)
                if code == "timeout":
                    raise ApiError(422, "workbook_refused", f"{name}: reading and inspecting the workbook took "
                                                            f"too long ({message})", {"field": "body.file"})
                if code == "out_of_memory" or code == "worker_died":
                    raise ApiError(422, "workbook_refused", f"{name}: refused: {message}", {"field": "body.file"})
                if code == "internal_error":
                    log.error("inspection of %s failed: %s %s", name, message, details)
                    raise ApiError(422, "inspection_failed", f"{name} could not be inspected: {message}",
                                   {"field": "body.file"})
                raise ApiError(422, code, message, {"field": "body.file"})
            wid = new_id()
            dest = store.workbook_path(wid, fmt)
            os.replace(tmp, dest)
            rec = {"id": wid, "filename": name, "format": fmt, "size": size, "sha256": digest,
                   "uploaded_at": time.time(), "inspection": res[1]}
            try:
                store.add_workbook(rec)
            except Exception:
                dest.unlink(missing_ok=True)
                raise
        finally:
            tmp.unlink(missing_ok=True)
            await file.close()
        return JSONResponse(workbook_view(rec, detail=True), status_code=201,
                            headers={"Location": f"{API}/workbooks/{wid}"})

    @api.get("/workbooks", response_model=WorkbookList, tags=["workbooks"], summary="List uploaded workbooks",
             responses=_err(401, 422))
    async def list_workbooks(limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=10**9)) -> dict:
        rows, total = store.list_workbooks(limit, offset)
        return {"workbooks": [workbook_view(r) for r in rows], "total": total, "limit": limit, "offset": offset}

    @api.get("/workbooks/{workbook_id}", response_model=WorkbookDetail, tags=["workbooks"],
             summary="Inspect a workbook", responses=_err(401, 404))
    async def inspect_workbook(workbook_id: str) -> dict:
        return workbook_view(get_workbook(workbook_id), detail=True)

    @api.get("/workbooks/{workbook_id}/file", tags=["workbooks"], summary="Download the uploaded workbook",
             response_class=FileResponse, responses={200: {"content": {
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                 "application/vnd.ms-excel.sheet.macroEnabled.12": {}}}, **_err(401, 404)})
    async def download_workbook(workbook_id: str) -> FileResponse:
        rec = get_workbook(workbook_id)
        media = ("application/vnd.ms-excel.sheet.macroEnabled.12" if rec["format"] == "xlsm"
                 else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return FileResponse(store.workbook_path(rec["id"], rec["format"]), media_type=media,
                            filename=rec["filename"])

    @api.delete("/workbooks/{workbook_id}", status_code=204, tags=["workbooks"],
                summary="Delete a workbook, its jobs and their results", responses=_err(401, 404))
    async def delete_workbook(workbook_id: str) -> Response:
        rec = get_workbook(workbook_id)
        jobs, _ = store.list_jobs(rec["id"], None, 1_000_000, 0)
        for j in jobs:
            if j["status"] in ACTIVE:
                scheduler.cancel(j["id"], message="its workbook was deleted")
        store.delete_workbook(rec["id"])
        return Response(status_code=204)

    # --- jobs -------------------------------------------------------------------------------------------

    def get_job(jid: str) -> dict:
        rec = store.get_job(jid)
        if rec is None:
            raise ApiError(404, "not_found", f"no job with id {jid!r}", {"field": "path.job_id"})
        return rec

    def view(rec: dict) -> dict:
        return job_view(rec, scheduler.snapshot(rec["id"]))

    def queue_job(workbook_id: str | None, jtype: str, params: dict, total: int = 0) -> dict:
        if scheduler.queue_full():
            raise ApiError(429, "queue_full", "too many jobs are waiting; try again later")
        jid = new_id()
        rec = {"id": jid, "workbook_id": workbook_id, "type": jtype, "status": "queued", "params": params,
               "created_at": time.time(), "total": total}
        store.add_job(rec)
        if not scheduler.submit(jid):
            store.delete_job(jid)
            raise ApiError(429, "queue_full", "too many jobs are waiting; try again later")
        return view(get_job(jid))

    def body_workbook(wid: str) -> dict:
        wb = store.get_workbook(wid)
        if wb is None:
            raise ApiError(404, "not_found", f"no workbook with id {wid!r}", {"field": "body.workbook_id"})
        return wb

    def start_simulation(req: SimulationRequest) -> dict:
        wb = body_workbook(req.workbook_id)
        if req.iterations > settings.max_iterations:
            raise ApiError(422, "validation_error", f"body.iterations: at most {settings.max_iterations:,} "
                                                    f"iterations on this server", {"field": "body.iterations"})
        insp = wb["inspection"]
        sheets = [s["name"] for s in insp.get("sheets", [])]
        for i, text in enumerate(req.outputs):
            problem = check_output_address(text, sheets)
            if problem:
                raise ApiError(422, "validation_error", f"body.outputs[{i}]: {problem}",
                               {"field": f"body.outputs[{i}]"})
        if not insp.get("random_inputs"):
            raise ApiError(422, "not_simulatable", f"{wb['filename']}: no random inputs found (use "
                                                   f"GF.NORMAL(...), RiskNormal(...), RAND()...)",
                           {"field": "body.workbook_id"})
        if not req.outputs and not insp.get("outputs"):
            raise ApiError(422, "validation_error", f"{wb['filename']} marks no outputs (GF.OUTPUT/RiskOutput): "
                                                    f"list output cells in body.outputs", {"field": "body.outputs"})
        if req.simulation > max(1, int(insp.get("simulations", 1))):
            raise ApiError(422, "validation_error", f"body.simulation: the workbook defines "
                                                    f"{insp.get('simulations', 1)} simulation(s)",
                           {"field": "body.simulation"})
        params = req.model_dump(exclude={"type", "workbook_id"})
        params["outputs"] = [o.strip() for o in req.outputs]
        if params["seed"] is None:
            params["seed"] = random.SystemRandom().randrange(2**32)
        return queue_job(wb["id"], "simulation", params, req.iterations)

    def start_optimization(req: OptimizationRequest) -> dict:
        wb = body_workbook(req.workbook_id)
        insp = wb["inspection"]
        sheets = [s["name"] for s in insp.get("sheets", [])]
        models = insp.get("solver_models") or []
        gf_model = insp.get("gf_decision_model")          # None: inspected before this was recorded
        if not models and gf_model is False:
            raise ApiError(422, "no_model", f"{wb['filename']} has no optimization model (no Excel Solver model "
                                            f"on any sheet, no GF.DECISION cells)", {"field": "body.workbook_id"})
        sheet = req.sheet
        if sheet is not None:
            match = [n for n in sheets if n.lower() == sheet.lower()]
            if not match:
                raise ApiError(422, "validation_error", f"body.sheet: {wb['filename']} has no sheet named "
                                                        f"{sheet!r}", {"field": "body.sheet"})
            sheet = match[0]
            on_sheet = [m for m in models if (m.get("sheet") or "").lower() == sheet.lower()]
            if not on_sheet and gf_model is False:
                where = ", ".join(repr(m.get("sheet")) for m in models)
                raise ApiError(422, "no_model", f"body.sheet: sheet {sheet!r} has no Excel Solver model (the "
                                                f"workbook's: {where})", {"field": "body.sheet"})
        params = {"sheet": sheet, "engine": req.engine, "method": req.method, "time_limit": req.time_limit}
        return queue_job(wb["id"], "optimization", params, 3)

    def _spec_limits(kind: str, spec: dict) -> None:
        def check(value: Any, field: str, limit: int) -> None:
            if value is None:
                return
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (1 <= value <= limit):
                raise ApiError(422, "validation_error", f"{field}: must be a number from 1 to {limit:,}",
                               {"field": field})
        check(spec.get("iterations"), "body.spec.iterations", MAX_SPEC_ITERATIONS)
        for sub in ("property", "frontier", "optimize", "revenue"):
            part = spec.get(sub)
            if part is not None and not isinstance(part, dict):
                raise ApiError(422, "validation_error", f"body.spec.{sub}: must be an object",
                               {"field": f"body.spec.{sub}"})
            if part:
                check(part.get("iterations"), f"body.spec.{sub}.iterations", MAX_SPEC_ITERATIONS)
        if isinstance(spec.get("frontier"), dict):
            check(spec["frontier"].get("candidates"), "body.spec.frontier.candidates", 5000)
        required = {"re": [("tiers",), ("cash_flows", "property", "deals")], "stacks": [("budget",)],
                    "film": [], "incentives": []}[kind]
        for names in required:
            if not any(n in spec for n in names):
                raise ApiError(422, "validation_error", f"body.spec.{names[0]}: required for a {kind} waterfall"
                               + (f" (or {', '.join(names[1:])})" if len(names) > 1 else ""),
                               {"field": f"body.spec.{names[0]}"})

    def start_waterfall(req: WaterfallRequest) -> dict:
        _spec_limits(req.kind, req.spec)
        return queue_job(None, "waterfall", {"kind": req.kind, "spec": req.spec}, 0)

    def start_job(req) -> dict:
        if isinstance(req, OptimizationRequest):
            return start_optimization(req)
        if isinstance(req, WaterfallRequest):
            return start_waterfall(req)
        return start_simulation(req)

    app.state.start_job = start_job

    @api.post("/jobs", status_code=202, response_model=Job, tags=["jobs"],
              summary="Start a simulation, optimization or waterfall job",
              responses=_err(401, 404, 413, 422, 429))
    async def create_job(req: JobRequest) -> JSONResponse:
        """Queues a job; at most `--max-jobs` run at once, each in a worker process. `type` picks it:

        * `simulation` (the default): a Monte Carlo simulation of an uploaded workbook;
        * `optimization`: solve the workbook's Excel Solver model (results: Answer/Sensitivity report
          contents; `results/solved.xlsx`: the solved copy). An infeasible model is an answer: the job is
          done and its results give Excel's message and the conflicting constraints;
        * `waterfall`: `kind` re, film, incentives or stacks, with a JSON `spec` (no workbook).

        Follow it with `GET /jobs/{id}/events` (Server-Sent Events) or poll `GET /jobs/{id}`."""
        v = start_job(req)
        return JSONResponse(v, status_code=202, headers={"Location": f"{API}/jobs/{v['id']}"})

    @api.get("/jobs", response_model=JobList, tags=["jobs"], summary="List jobs", responses=_err(401, 422))
    async def list_jobs(workbook_id: Optional[str] = Query(None, max_length=64),
                        status: Optional[JobStatus] = Query(None),
                        limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=10**9)) -> dict:
        rows, total = store.list_jobs(workbook_id, status, limit, offset)
        return {"jobs": [view(r) for r in rows], "total": total, "limit": limit, "offset": offset}

    @api.get("/jobs/{job_id}", response_model=Job, tags=["jobs"], summary="Job status and progress",
             responses=_err(401, 404))
    async def job_status(job_id: str) -> dict:
        return view(get_job(job_id))

    @api.post("/jobs/{job_id}/cancel", response_model=Job, tags=["jobs"], summary="Cancel a queued or running job",
              responses=_err(401, 404, 409))
    async def cancel_job(job_id: str) -> dict:
        rec = get_job(job_id)
        if rec["status"] not in ACTIVE or not scheduler.cancel(rec["id"]):
            rec = get_job(job_id)
            if rec["status"] in FINAL:
                raise ApiError(409, "job_finished", f"job {job_id} is already {rec['status']}",
                               {"status": rec["status"]})
            # a record the scheduler does not know (should not happen): just mark it
            store.update_job(rec["id"], status="cancelled", finished_at=time.time(), phase=None,
                             error={"code": "cancelled", "message": "cancelled by request", "details": None})
        return view(get_job(job_id))

    @api.post("/jobs/{job_id}/resume", status_code=202, response_model=Job, tags=["jobs"],
              summary="Run an interrupted, failed or cancelled job again (same id, same seed)",
              responses=_err(401, 404, 409, 429))
    async def resume_job(job_id: str) -> JSONResponse:
        rec = get_job(job_id)
        if rec["status"] not in ("interrupted", "failed", "cancelled"):
            raise ApiError(409, "conflict", f"job {job_id} is {rec['status']}: only interrupted, failed or "
                                            f"cancelled jobs resume (use rerun for a finished one)",
                           {"status": rec["status"]})
        if scheduler.queue_full():
            raise ApiError(429, "queue_full", "too many jobs are waiting; try again later")
        store.remove_job_files(rec["id"])
        store.update_job(rec["id"], status="queued", done=0, elapsed=0.0, phase=None, error=None, summary=None,
                         started_at=None, finished_at=None)
        scheduler.submit(rec["id"])
        return JSONResponse(view(get_job(job_id)), status_code=202)

    @api.post("/jobs/{job_id}/rerun", status_code=202, response_model=Job, tags=["jobs"],
              summary="Start a new job with the same workbook and parameters", responses=_err(401, 404, 429))
    async def rerun_job(job_id: str) -> JSONResponse:
        rec = get_job(job_id)
        if scheduler.queue_full():
            raise ApiError(429, "queue_full", "too many jobs are waiting; try again later")
        jid = new_id()
        store.add_job({"id": jid, "workbook_id": rec["workbook_id"], "type": rec["type"], "status": "queued",
                       "params": rec["params"], "created_at": time.time(),
                       "total": int(rec["params"].get("iterations", 0) or 0)})
        scheduler.submit(jid)
        return JSONResponse(view(get_job(jid)), status_code=202, headers={"Location": f"{API}/jobs/{jid}"})

    @api.delete("/jobs/{job_id}", status_code=204, tags=["jobs"], summary="Delete a job and its results "
                "(cancelling it if it runs)", responses=_err(401, 404))
    async def delete_job(job_id: str) -> Response:
        rec = get_job(job_id)
        if rec["status"] in ACTIVE:
            scheduler.cancel(rec["id"])
        store.delete_job(rec["id"])
        return Response(status_code=204)

    @api.get("/jobs/{job_id}/events", tags=["jobs"], summary="Progress as Server-Sent Events",
             response_class=StreamingResponse,
             responses={200: {"description": "`text/event-stream`: `progress` events (done, total, rate, "
                                             "eta_s, phase) then one final event named `done` (with the "
                                             "summary), `failed`, `cancelled` or `interrupted`",
                              "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                        **_err(401, 404)})
    async def job_events(job_id: str) -> StreamingResponse:
        get_job(job_id)
        return StreamingResponse(_event_stream(job_id), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def _event_stream(job_id: str):
        ev = hub.subscribe(job_id)
        seq = 0
        last_key = None
        last_sent = time.monotonic()
        try:
            yield "retry: 3000\n\n"
            while True:
                rec = store.get_job(job_id)
                if rec is None:
                    seq += 1
                    yield _sse("failed", {"job": None, "error": {"code": "not_found",
                                                                  "message": "the job was deleted",
                                                                  "details": None}}, seq)
                    return
                v = view(rec)
                if v["status"] in FINAL:
                    seq += 1
                    payload = {"job": v}
                    if v["status"] == "done":
                        payload["summary"] = rec["summary"]
                    else:
                        payload["error"] = v["error"]
                    yield _sse(v["status"], payload, seq)
                    return
                p = v["progress"]
                key = (v["status"], p["done"], p["phase"])
                now = time.monotonic()
                if key != last_key:
                    seq += 1
                    last_key = key
                    last_sent = now
                    yield _sse("progress", {"job_id": job_id, "status": v["status"], **p}, seq)
                elif now - last_sent >= 15:
                    last_sent = now
                    yield ": keep-alive\n\n"
                if state["shutting_down"]:
                    return
                try:
                    await asyncio.wait_for(ev.wait(), 1.0)
                except asyncio.TimeoutError:
                    pass
                ev.clear()
        finally:
            hub.unsubscribe(job_id, ev)

    # --- results ------------------------------------------------------------------------------------

    def finished_job(jid: str, kind: str | None = None) -> dict:
        rec = get_job(jid)
        if kind is not None and rec["type"] != kind:
            what = {"simulation": "simulation", "optimization": "optimization"}.get(kind, kind)
            raise ApiError(404, "not_found", f"job {jid} is a{'n' if rec['type'][0] in 'aeiou' else ''} "
                                             f"{rec['type']} job: this file exists for {what} jobs only",
                           {"field": "path.job_id", "type": rec["type"]})
        if rec["status"] != "done":
            raise ApiError(409, "job_not_done", f"job {jid} is {rec['status']}: results exist once it is done",
                           {"status": rec["status"]})
        d = store.job_dir(rec["id"])
        if not (d / "results.json").exists():
            raise ApiError(404, "not_found", f"the results of job {jid} are missing from the data folder")
        return rec

    @api.get("/jobs/{job_id}/results", response_model=Union[Results, OptimizationResults, WaterfallResults],
             tags=["results"],
             summary="A finished job's results: simulation statistics, optimization answer, or waterfall output",
             responses=_err(401, 404, 409))
    async def results(job_id: str) -> Any:
        """* simulation: statistics, histogram, cumulative curve, tornado and convergence per output;
        * optimization: status/message, objective, `values` (final value per decision cell), `variables`,
          `constraints` (Binding / Not Binding, slack), `sensitivity` (LP: shadow prices, reduced costs,
          allowable increase/decrease), `conflicts` (infeasible models);
        * waterfall: exactly what the `engine/finance/jobs.py` entry point returned."""
        rec = finished_job(job_id)
        data = await run_in_threadpool(
            lambda: json.loads((store.job_dir(rec["id"]) / "results.json").read_text(encoding="utf-8")))
        base = f"{API}/jobs/{rec['id']}/results"
        if rec["type"] == "waterfall":
            return JSONResponse(data)
        if rec["type"] == "optimization":
            data["job_id"] = rec["id"]
            data["links"] = {"solved": f"{base}/solved.xlsx" if data.get("solved_file") else None}
            return JSONResponse(data)
        for o in data.get("outputs", []):
            o["chart"] = f"{base}/charts/{o['index']}.png"
        data.pop("output_keys", None)
        data["job_id"] = rec["id"]
        data["links"] = {"csv": f"{base}/data.csv", "parquet": f"{base}/data.parquet",
                         "report": f"{base}/report.xlsx"}
        return data

    async def ensure_file(rec: dict, kind: str, target: Path, args: tuple) -> None:
        if target.exists():
            return
        key = (rec["id"], str(target))
        lock = render_locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                if target.exists():
                    return
                async with state["sem"]:
                    res = await run_in_threadpool(workers.run_task, kind, args, settings.render_timeout)
                if res[0] != "ok":
                    _, code, message, details = res
                    if code in ("not_found", "no_values"):
                        raise ApiError(404 if code == "not_found" else 422, code, message)
                    log.error("%s for job %s failed: %s %s", kind, rec["id"], message, details)
                    raise ApiError(500, "render_failed", f"could not write the {kind}: {message}")
        finally:
            if not lock.locked():
                render_locks.pop(key, None)

    @api.get("/jobs/{job_id}/results/data.parquet", tags=["results"], summary="Per-iteration values (Parquet)",
             response_class=FileResponse, responses={200: {"content": {"application/vnd.apache.parquet": {}}},
                                                     **_err(401, 404, 409)})
    async def results_parquet(job_id: str) -> FileResponse:
        rec = finished_job(job_id, "simulation")
        wb = store.get_workbook(rec["workbook_id"])
        return FileResponse(store.job_dir(rec["id"]) / "data.parquet", media_type="application/vnd.apache.parquet",
                            filename=_download_name(wb["filename"] if wb else "workbook", rec["id"], "data.parquet"))

    @api.get("/jobs/{job_id}/results/data.csv", tags=["results"], summary="Per-iteration values (CSV)",
             response_class=FileResponse, responses={200: {"content": {"text/csv": {}}}, **_err(401, 404, 409, 500)})
    async def results_csv(job_id: str) -> FileResponse:
        rec = finished_job(job_id, "simulation")
        d = store.job_dir(rec["id"])
        target = d / "data.csv"
        await ensure_file(rec, "csv", target, (str(d), str(target)))
        wb = store.get_workbook(rec["workbook_id"])
        return FileResponse(target, media_type="text/csv",
                            filename=_download_name(wb["filename"] if wb else "workbook", rec["id"], "data.csv"))

    @api.get("/jobs/{job_id}/results/report.xlsx", tags=["results"],
             summary="Report workbook with native Excel charts", response_class=FileResponse,
             responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}},
                        **_err(401, 404, 409, 500)})
    async def results_report(job_id: str) -> FileResponse:
        rec = finished_job(job_id, "simulation")
        d = store.job_dir(rec["id"])
        target = d / "report.xlsx"
        wb = store.get_workbook(rec["workbook_id"])
        name = wb["filename"] if wb else "workbook"
        await ensure_file(rec, "report", target, (str(d), name, str(target)))
        return FileResponse(target, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            filename=_download_name(name, rec["id"], "report.xlsx"))

    @api.get("/jobs/{job_id}/results/charts/{index}.png", tags=["results"],
             summary="Histogram, cumulative curve and tornado of one output (PNG)", response_class=FileResponse,
             responses={200: {"content": {"image/png": {}}}, **_err(401, 404, 409, 422, 500)})
    async def results_chart(job_id: str, index: int = PathParam(..., ge=0, le=100_000,
                                                                 description="the output's index in the results")
                            ) -> FileResponse:
        rec = finished_job(job_id, "simulation")
        d = store.job_dir(rec["id"])
        summary = rec["summary"] or {}
        n_out = len(summary.get("outputs", []))
        if index >= n_out:
            raise ApiError(404, "not_found", f"job {job_id} has {n_out} output(s); no output number {index}",
                           {"field": "path.index"})
        (d / "charts").mkdir(exist_ok=True)
        target = d / "charts" / f"{index}.png"
        await ensure_file(rec, "chart", target, (str(d), index, str(target)))
        return FileResponse(target, media_type="image/png")

    @api.get("/jobs/{job_id}/results/solved.xlsx", tags=["results"],
             summary="The solved workbook: decision cells at their final values, Answer and Sensitivity "
                     "report sheets", response_class=FileResponse,
             responses={200: {"content": {
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                 "application/vnd.ms-excel.sheet.macroEnabled.12": {}}}, **_err(401, 404, 409)})
    async def results_solved(job_id: str) -> FileResponse:
        """An .xlsm upload gives an .xlsm copy (named so in Content-Disposition)."""
        rec = finished_job(job_id, "optimization")
        d = store.job_dir(rec["id"])
        path = next((p for p in (d / "solved.xlsx", d / "solved.xlsm") if p.exists()), None)
        if path is None:
            raise ApiError(404, "not_found", f"job {job_id} wrote no solved copy")
        wb = store.get_workbook(rec["workbook_id"]) if rec["workbook_id"] else None
        media = ("application/vnd.ms-excel.sheet.macroEnabled.12" if path.suffix == ".xlsm"
                 else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return FileResponse(path, media_type=media, filename=_download_name(
            wb["filename"] if wb else "workbook", rec["id"], "solved" + path.suffix))

    # --- the real-estate optimization modules --------------------------------------------------------

    async def module_task(name: str, args: tuple) -> Any:
        async with state["sem"]:
            res = await run_in_threadpool(workers.run_task, name, args, settings.module_timeout)
        if res[0] == "ok":
            return res[1]
        _, code, message, details = res
        if code == "worker_unavailable":
            raise ApiError(503, code, message)
        if code == "timeout":
            raise ApiError(422, "too_slow", f"the model took too long to solve ({message})", {"field": "body.input"})
        if code in ("validation_error", "invalid_input"):
            raise ApiError(422, code, message, details)
        log.error("module task %s failed: %s %s", args[:1], message, details)
        raise ApiError(422, "module_failed", f"the module could not be solved: {message}"[:800],
                       {"field": "body.input"})

    @api.get("/modules", response_model=ModuleList, tags=["modules"],
             summary="The real-estate optimization modules, each with an example input",
             responses=_err(401, 503))
    async def list_modules() -> dict:
        if "modules" not in state:
            state["modules"] = await module_task("modules", ())
        items = state["modules"]
        return {"modules": [{**m, "links": {"solve": f"{API}/modules/{m['name']}"}} for m in items]}

    @api.post("/modules/{module}", response_model=ModuleAnswer, tags=["modules"],
              summary="Solve a module synchronously (in a worker process, at most 60 s): "
                      "plan, binding constraints, shadow prices, what-if diff",
              responses=_err(401, 404, 422, 503))
    async def solve_module(module: str = PathParam(..., max_length=40,
                                                   description="deal_picker, debt_stack, capex_phasing or "
                                                               "leasing_mix"),
                           req: Optional[ModuleRequest] = None) -> dict:
        """Synchronous: these MILPs solve in well under a second, so the answer comes in the response (no
        job). `input` is the module's JSON input (`GET /modules` gives an example each; omitted: that
        example); `what_if` changes top-level input fields, re-solves and diffs (objective delta, changed
        decisions, binding constraints added/removed). A field that is wrong gives 422 naming it
        (`body.input.deals[0].equity`, `body.what_if.budget`)."""
        names = ("deal_picker", "debt_stack", "capex_phasing", "leasing_mix")
        if module not in names:
            raise ApiError(404, "not_found", f"no module {module!r} (modules: {', '.join(names)})",
                           {"field": "path.module"})
        req = req or ModuleRequest()
        return await module_task("module", (module, req.input, req.what_if or None))

    app.include_router(api)
    from .addin_routes import router as addin_router; app.include_router(addin_router)  # noqa: E702 (Excel add-in)
    return app


def _save_upload(src, dest: Path, limit: int) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    src.seek(0)
    with open(dest, "wb") as out:
        while True:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise ApiError(413, "payload_too_large",
                               f"the upload is larger than this server's limit of {limit / 1024 / 1024:.0f} MB",
                               {"field": "body.file", "limit_bytes": limit})
            h.update(chunk)
            out.write(chunk)
    return size, h.hexdigest()


def _install_docs(app: FastAPI) -> None:
    """Swagger UI and ReDoc from files shipped in a Python package, so /docs works offline."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    try:
        import fastapi_offline
        assets = Path(fastapi_offline.__file__).parent / "static"
        if not (assets / "swagger-ui-bundle.js").exists():
            raise ImportError
    except ImportError:  # fall back to FastAPI's CDN pages
        @app.get("/docs", include_in_schema=False)
        async def docs_cdn():
            return get_swagger_ui_html(openapi_url="/openapi.json", title=app.title + " - API")
        return
    app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs():
        return get_swagger_ui_html(openapi_url="/openapi.json", title=app.title + " - API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon.png")

    @app.get("/redoc", include_in_schema=False)
    async def redoc():
        return get_redoc_html(openapi_url="/openapi.json", title=app.title + " - API",
                              redoc_js_url="/docs-assets/redoc.standalone.js",
                              redoc_favicon_url="/docs-assets/favicon.png", with_google_fonts=False)
