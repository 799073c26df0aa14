"""Running work off the event loop.

* ``Workers`` owns the multiprocessing context: a fork server that has the
  engine imported, so a child process starts in milliseconds.  Short tasks
  (inspecting an upload, writing a report) run in a child each, killed when
  they pass their time limit.
* ``Scheduler`` runs jobs (simulation, optimization, waterfall): at most ``max_jobs`` child processes at
  once, the rest wait in a FIFO queue.  A thread follows the children's pipes
  and exit sentinels, keeps live progress in memory (throttled into SQLite)
  and tells Server-Sent-Event listeners through ``Hub``.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing as mp
import multiprocessing.connection as mpc
import os
import shutil
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from .store import ACTIVE, FINAL, Store

log = logging.getLogger("gridflow.server")

DB_PROGRESS_INTERVAL = 1.0   # seconds between progress writes to SQLite per job


class Hub:
    """Wakes asyncio listeners (SSE streams) from the scheduler thread."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.waiters: dict[str, set[asyncio.Event]] = defaultdict(set)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def publish(self, job_id: str) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._notify, job_id)
            except RuntimeError:   # loop closed meanwhile
                pass

    def _notify(self, job_id: str) -> None:
        for ev in list(self.waiters.get(job_id, ())):
            ev.set()

    def subscribe(self, job_id: str) -> asyncio.Event:
        ev = asyncio.Event()
        self.waiters[job_id].add(ev)
        return ev

    def unsubscribe(self, job_id: str, ev: asyncio.Event) -> None:
        s = self.waiters.get(job_id)
        if s is not None:
            s.discard(ev)
            if not s:
                self.waiters.pop(job_id, None)


class Workers:
    def __init__(self) -> None:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")   # one core per job: the concurrency limit decides
        if "forkserver" in mp.get_all_start_methods():
            self.ctx = mp.get_context("forkserver")
            self.ctx.set_forkserver_preload(["server.worker"])
        else:  # Windows: every child imports the engine itself
            self.ctx = mp.get_context("spawn")
        self.ready = threading.Event()

    def warm_up(self) -> None:
        """Start the fork server (it imports the engine once) in the background."""
        def run() -> None:
            try:
                from . import worker_stub
                p = self.ctx.Process(target=worker_stub.noop, daemon=True)
                p.start()
                p.join(120)
            except Exception:  # pragma: no cover
                log.exception("could not start the worker fork server")
            finally:
                self.ready.set()
        threading.Thread(target=run, name="gridflow-warmup", daemon=True).start()

    def run_task(self, name: str, args: tuple, timeout: float) -> tuple:
        """Blocking: run worker.TASKS[name](*args) in a child process.
        Returns ("ok", value) or ("error", code, message, details)."""
        from . import worker_stub
        recv, send = self.ctx.Pipe(duplex=False)
        p = self.ctx.Process(target=worker_stub.task_entry, args=(send, name, args), daemon=True)
        try:
            p.start()
        except Exception as exc:
            recv.close()
            send.close()
            return ("error", "worker_unavailable", f"could not start a worker process: {exc}", None)
        send.close()
        try:
            if recv.poll(timeout):
                try:
                    msg = recv.recv()
                except (EOFError, OSError):
                    p.join(5)
                    msg = ("error", "worker_died", f"the worker process ended unexpectedly "
                                                   f"(exit code {p.exitcode})", None)
            else:
                msg = ("error", "timeout", f"the task took longer than {timeout:g} seconds and was stopped", None)
        finally:
            recv.close()
            if p.is_alive():
                p.join(2)
            if p.is_alive():
                p.terminate()
                p.join(5)
            if p.is_alive():  # pragma: no cover
                p.kill()
                p.join(5)
        return msg


@dataclass
class Running:
    proc: Any
    conn: Any
    started: float
    cancelled: bool = False
    interrupted: bool = False
    finished: bool = False       # a final message (done/error) was handled
    eof: bool = False


@dataclass
class Live:
    status: str
    done: int = 0
    total: int = 0
    elapsed: float = 0.0
    phase: str | None = None
    version: int = 0
    db_written: float = field(default_factory=time.monotonic)


class Scheduler:
    def __init__(self, store: Store, workers: Workers, hub: Hub, max_jobs: int, max_queue: int = 1000):
        self.store = store
        self.workers = workers
        self.hub = hub
        self.max_jobs = max_jobs
        self.max_queue = max_queue
        self.lock = threading.RLock()
        self.queue: deque[str] = deque()
        self.running: dict[str, Running] = {}
        self.live: dict[str, Live] = {}
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._stop = False
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------

    def start(self, requeue: list[str]) -> None:
        with self.lock:
            for jid in requeue:
                self.queue.append(jid)
        self._thread = threading.Thread(target=self._loop, name="gridflow-scheduler", daemon=True)
        self._thread.start()
        self._wake()

    def stop(self) -> None:
        """Server shutdown: running jobs are stopped and marked interrupted;
        queued ones stay queued in the database and run after a restart."""
        with self.lock:
            self._stop = True
            for jid, r in self.running.items():
                r.interrupted = True
                if r.proc.is_alive():
                    r.proc.terminate()
            now = time.time()
            for jid, r in list(self.running.items()):
                r.proc.join(5)
                if r.proc.is_alive():
                    r.proc.kill()
                    r.proc.join(5)
                self._close(r)
                if not r.finished:
                    self.store.update_job(jid, status="interrupted", finished_at=now, phase=None,
                                          error={"code": "interrupted",
                                                 "message": "the server was stopped while this job was running; "
                                                            "resume or rerun it", "details": None})
                    shutil.rmtree(self.store.job_partial_dir(jid), ignore_errors=True)
                self._set_live(jid, "interrupted")
            self.running.clear()
        self._wake()
        if self._thread is not None:
            self._thread.join(5)
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    # --- requests from the API (any thread) ------------------------------------------------------

    def submit(self, job_id: str) -> bool:
        with self.lock:
            if len(self.queue) >= self.max_queue:
                return False
            self.queue.append(job_id)
            self._set_live(job_id, "queued")
        self._wake()
        return True

    def queue_full(self) -> bool:
        return len(self.queue) >= self.max_queue

    def cancel(self, job_id: str, status: str = "cancelled", message: str = "cancelled by request") -> bool:
        """Stop a queued or running job; returns False if it was not active."""
        with self.lock:
            now = time.time()
            err = {"code": status, "message": message, "details": None}
            if job_id in self.queue:
                self.queue.remove(job_id)
                self.store.update_job(job_id, status=status, finished_at=now, phase=None, error=err)
                self._set_live(job_id, status)
                return True
            r = self.running.get(job_id)
            if r is None or r.finished:
                return False
            r.cancelled = True
            if r.proc.is_alive():
                r.proc.terminate()
            lv = self.live.get(job_id)
            fields: dict[str, Any] = dict(status=status, finished_at=now, phase=None, error=err)
            if lv is not None:
                fields.update(done=lv.done, total=lv.total, elapsed=lv.elapsed)
            self.store.update_job(job_id, **fields)
            self._set_live(job_id, status)
        self._wake()
        return True

    def snapshot(self, job_id: str) -> Live | None:
        with self.lock:
            lv = self.live.get(job_id)
            if lv is None:
                return None
            return Live(lv.status, lv.done, lv.total, lv.elapsed, lv.phase, lv.version)

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {"running": len(self.running), "queued": len(self.queue), "max_jobs": self.max_jobs}

    # --- the thread --------------------------------------------------------------------------------

    def _set_live(self, job_id: str, status: str, **kw: Any) -> Live:
        lv = self.live.get(job_id)
        if lv is None:
            lv = self.live[job_id] = Live(status)
        lv.status = status
        for k, v in kw.items():
            setattr(lv, k, v)
        lv.version += 1
        if status in FINAL:
            # finished jobs are read from the database; keep the entry briefly for listeners
            pass
        self.hub.publish(job_id)
        return lv

    def _loop(self) -> None:
        while True:
            with self.lock:
                if self._stop:
                    return
                objs: list[Any] = [self._wake_r]
                for r in self.running.values():
                    if not r.eof:
                        objs.append(r.conn)
                    objs.append(r.proc.sentinel)
            try:
                mpc.wait(objs, timeout=1.0)
            except OSError:
                time.sleep(0.05)
            try:
                while os.read(self._wake_r, 4096):
                    pass
            except (BlockingIOError, OSError):
                pass
            with self.lock:
                if self._stop:
                    return
                try:
                    for jid, r in list(self.running.items()):
                        self._drain(jid, r)
                        if not r.proc.is_alive():
                            self._drain(jid, r)
                            self._reap(jid, r)
                    self._start_queued()
                    self._prune_live()
                except Exception:  # pragma: no cover - keep scheduling whatever happens
                    log.exception("scheduler error")

    def _drain(self, jid: str, r: Running) -> None:
        while not r.eof:
            try:
                if not r.conn.poll():
                    return
                msg = r.conn.recv()
            except (EOFError, OSError):
                r.eof = True
                return
            try:
                self._handle(jid, r, msg)
            except Exception:  # pragma: no cover
                log.exception("bad message from job %s", jid)

    def _handle(self, jid: str, r: Running, msg: tuple) -> None:
        if r.cancelled or r.interrupted or r.finished:
            return
        kind = msg[0]
        lv = self.live.get(jid) or self._set_live(jid, "running")
        if kind == "phase":
            self._set_live(jid, "running", phase=msg[1])
            self.store.update_job(jid, phase=msg[1])
        elif kind == "progress":
            _, done, total, elapsed = msg
            self._set_live(jid, "running", done=int(done), total=int(total), elapsed=float(elapsed))
            now = time.monotonic()
            if now - lv.db_written >= DB_PROGRESS_INTERVAL or done >= total:
                lv.db_written = now
                self.store.update_job(jid, done=int(done), total=int(total), elapsed=float(elapsed))
        elif kind == "done":
            summary = msg[1]
            final = self.store.job_dir(jid)
            shutil.rmtree(final, ignore_errors=True)
            os.replace(self.store.job_partial_dir(jid), final)
            r.finished = True
            done = int(summary.get("iterations", lv.done))
            self.store.update_job(jid, status="done", finished_at=time.time(), phase=None, summary=summary,
                                  done=done, total=max(lv.total, done), elapsed=float(summary.get("seconds", lv.elapsed)))
            self._set_live(jid, "done", done=done, phase=None)
        elif kind == "error":
            _, code, message, details = msg
            r.finished = True
            shutil.rmtree(self.store.job_partial_dir(jid), ignore_errors=True)
            self.store.update_job(jid, status="failed", finished_at=time.time(), phase=None,
                                  error={"code": code, "message": message, "details": details},
                                  done=lv.done, elapsed=lv.elapsed)
            self._set_live(jid, "failed", phase=None)

    def _reap(self, jid: str, r: Running) -> None:
        r.proc.join(1)
        self._close(r)
        self.running.pop(jid, None)
        if r.cancelled or r.interrupted:
            shutil.rmtree(self.store.job_partial_dir(jid), ignore_errors=True)
            return
        if not r.finished:
            shutil.rmtree(self.store.job_partial_dir(jid), ignore_errors=True)
            lv = self.live.get(jid)
            self.store.update_job(jid, status="failed", finished_at=time.time(), phase=None,
                                  error={"code": "worker_died",
                                         "message": f"the worker process ended unexpectedly (exit code "
                                                    f"{r.proc.exitcode}); the workbook may need more memory "
                                                    f"than is available", "details": None},
                                  done=lv.done if lv else 0)
            self._set_live(jid, "failed", phase=None)

    @staticmethod
    def _close(r: Running) -> None:
        try:
            r.conn.close()
        except OSError:
            pass

    def _start_queued(self) -> None:
        from . import worker_stub
        while self.queue and len(self.running) < self.max_jobs and not self._stop:
            jid = self.queue.popleft()
            job = self.store.get_job(jid)
            if job is None or job["status"] != "queued":
                continue
            jtype = job["type"]
            wb = self.store.get_workbook(job["workbook_id"]) if job["workbook_id"] else None
            if wb is None and jtype != "waterfall":
                self.store.update_job(jid, status="failed", finished_at=time.time(),
                                      error={"code": "not_found", "message": "the workbook was deleted",
                                             "details": None})
                self._set_live(jid, "failed")
                continue
            path = str(self.store.workbook_path(wb["id"], wb["format"])) if wb else None
            partial = self.store.job_partial_dir(jid)
            self.store.remove_job_files(jid)
            recv, send = self.workers.ctx.Pipe(duplex=False)
            if jtype == "simulation":
                target, args = worker_stub.simulation_entry, (send, jid, path, job["params"], str(partial),
                                                              wb["filename"])
            else:   # optimization, waterfall
                target, args = worker_stub.job_entry, (send, jtype, jid, path, job["params"], str(partial),
                                                       wb["filename"] if wb else "")
            p = self.workers.ctx.Process(target=target, args=args, name=f"gridflow-job-{jid[:8]}", daemon=True)
            try:
                p.start()
            except Exception as exc:
                recv.close()
                send.close()
                self.store.update_job(jid, status="failed", finished_at=time.time(),
                                      error={"code": "worker_unavailable",
                                             "message": f"could not start a worker process: {exc}", "details": None})
                self._set_live(jid, "failed")
                continue
            send.close()
            now = time.time()
            self.running[jid] = Running(p, recv, now)
            total = int(job["params"].get("iterations", 0) or 0) if jtype == "simulation" else 0
            self.store.update_job(jid, status="running", started_at=now, done=0, total=total, elapsed=0.0,
                                  phase="starting", error=None, summary=None, finished_at=None)
            self._set_live(jid, "running", done=0, total=total, elapsed=0.0, phase="starting")

    def _prune_live(self) -> None:
        if len(self.live) < 2000:
            return
        for jid in [j for j, lv in self.live.items() if lv.status in FINAL][:1000]:
            self.live.pop(jid, None)


def is_active(status: str) -> bool:
    return status in ACTIVE
