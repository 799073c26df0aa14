"""Job and workbook records in SQLite (WAL mode), files beside it.

Layout of the data folder::

    gridflow.db                 records (SQLite, write-ahead log)
    workbooks/<id>.xlsx|.xlsm   uploaded workbooks, named by id only
    jobs/<id>/                  results of a finished job
    jobs/<id>.partial/          results being written (renamed when complete)
    tmp/                        uploads being received

File names given by users are stored as text in the database and never used
to build a path.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ID_RE = re.compile(r"^[0-9a-f]{32}$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS workbooks (
    id TEXT PRIMARY KEY,
    filename TEXT NOT NULL,
    format TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_at REAL NOT NULL,
    inspection TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    workbook_id TEXT REFERENCES workbooks(id) ON DELETE CASCADE,    -- NULL: a waterfall job
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    params TEXT NOT NULL,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    elapsed REAL NOT NULL DEFAULT 0,
    phase TEXT,
    error TEXT,
    summary TEXT,
    seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_workbook ON jobs(workbook_id);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status);
"""

FINAL = ("done", "failed", "cancelled", "interrupted")
ACTIVE = ("queued", "running")


def new_id() -> str:
    return uuid.uuid4().hex


def valid_id(s: str) -> bool:
    return bool(ID_RE.match(s or ""))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so that a reader sees either the old or the whole new one."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Store:
    def __init__(self, data_dir: Path):
        self.dir = Path(data_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        for sub in ("workbooks", "jobs", "tmp"):
            (self.dir / sub).mkdir(exist_ok=True)
        self._lock = threading.RLock()
        self.db = sqlite3.connect(self.dir / "gridflow.db", check_same_thread=False, isolation_level=None,
                                  timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Data folders made before waterfall jobs (which have no workbook) had
        ``jobs.workbook_id NOT NULL``: rebuild the table without it (SQLite
        cannot drop a NOT NULL constraint in place)."""
        cols = {r["name"]: r for r in self.db.execute("PRAGMA table_info(jobs)")}
        if not cols.get("workbook_id") or not cols["workbook_id"]["notnull"]:
            return
        create = SCHEMA.split("CREATE TABLE IF NOT EXISTS jobs", 1)[1].split(";", 1)[0]
        with self._lock:
            self.db.execute("PRAGMA foreign_keys=OFF")     # SQLite's recipe for rebuilding a table
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute("CREATE TABLE jobs_new" + create)
                names = ", ".join(cols)
                self.db.execute(f"INSERT INTO jobs_new ({names}) SELECT {names} FROM jobs")
                self.db.execute("DROP TABLE jobs")
                self.db.execute("ALTER TABLE jobs_new RENAME TO jobs")
                self.db.execute("CREATE INDEX IF NOT EXISTS jobs_workbook ON jobs(workbook_id)")
                self.db.execute("CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status)")
                self.db.execute("COMMIT")
            except Exception:
                self.db.execute("ROLLBACK")
                raise
            finally:
                self.db.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # --- paths (ids only) ------------------------------------------------------------

    def workbook_path(self, wb_id: str, fmt: str) -> Path:
        assert valid_id(wb_id) and fmt in ("xlsx", "xlsm")
        return self.dir / "workbooks" / f"{wb_id}.{fmt}"

    def job_dir(self, job_id: str) -> Path:
        assert valid_id(job_id)
        return self.dir / "jobs" / job_id

    def job_partial_dir(self, job_id: str) -> Path:
        assert valid_id(job_id)
        return self.dir / "jobs" / f"{job_id}.partial"

    def tmp_path(self, suffix: str = "") -> Path:
        return self.dir / "tmp" / f"{uuid.uuid4().hex}{suffix}"

    # --- startup recovery -------------------------------------------------------------

    def recover(self) -> tuple[list[str], list[str]]:
        """After a (re)start: jobs that were running are marked interrupted,
        queued ones are returned to be queued again; half-written files go."""
        now = time.time()
        with self._lock:
            running = [r["id"] for r in self.db.execute("SELECT id FROM jobs WHERE status='running'")]
            queued = [r["id"] for r in self.db.execute(
                "SELECT id FROM jobs WHERE status='queued' ORDER BY created_at, seq")]
            err = json.dumps({"code": "interrupted",
                              "message": "the server stopped while this job was running; "
                                         "resume or rerun it", "details": None})
            self.db.execute("UPDATE jobs SET status='interrupted', finished_at=?, error=?, phase=NULL "
                            "WHERE status='running'", (now, err))
        for p in (self.dir / "jobs").iterdir():
            if p.name.endswith(".partial"):
                shutil.rmtree(p, ignore_errors=True)
        for p in (self.dir / "tmp").iterdir():
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
        for jid in running:
            shutil.rmtree(self.job_dir(jid), ignore_errors=True)
        # workbook files without a record (a crash between rename and insert)
        known = {r["id"] for r in self.db.execute("SELECT id FROM workbooks")}
        for p in (self.dir / "workbooks").iterdir():
            if p.stem not in known or p.name.startswith("."):
                p.unlink(missing_ok=True)
        return running, queued

    # --- workbooks ---------------------------------------------------------------------

    def add_workbook(self, rec: dict) -> None:
        with self._lock:
            self.db.execute(
                "INSERT INTO workbooks (id, filename, format, size, sha256, uploaded_at, inspection) "
                "VALUES (?,?,?,?,?,?,?)",
                (rec["id"], rec["filename"], rec["format"], rec["size"], rec["sha256"], rec["uploaded_at"],
                 json.dumps(rec["inspection"])))

    def get_workbook(self, wb_id: str) -> dict | None:
        if not valid_id(wb_id):
            return None
        with self._lock:
            row = self.db.execute("SELECT * FROM workbooks WHERE id=?", (wb_id,)).fetchone()
        return _wb_row(row) if row else None

    def list_workbooks(self, limit: int, offset: int) -> tuple[list[dict], int]:
        with self._lock:
            rows = self.db.execute("SELECT * FROM workbooks ORDER BY uploaded_at DESC, id LIMIT ? OFFSET ?",
                                   (limit, offset)).fetchall()
            total = self.db.execute("SELECT COUNT(*) FROM workbooks").fetchone()[0]
        return [_wb_row(r) for r in rows], total

    def delete_workbook(self, wb_id: str) -> list[str]:
        """Delete the record, its jobs' records and all their files; returns the job ids."""
        with self._lock:
            row = self.db.execute("SELECT format FROM workbooks WHERE id=?", (wb_id,)).fetchone()
            if row is None:
                return []
            jobs = [r["id"] for r in self.db.execute("SELECT id FROM jobs WHERE workbook_id=?", (wb_id,))]
            self.db.execute("DELETE FROM jobs WHERE workbook_id=?", (wb_id,))
            self.db.execute("DELETE FROM workbooks WHERE id=?", (wb_id,))
        for jid in jobs:
            self.remove_job_files(jid)
        self.workbook_path(wb_id, row["format"]).unlink(missing_ok=True)
        return jobs

    # --- jobs -----------------------------------------------------------------------------

    def add_job(self, rec: dict) -> None:
        with self._lock:
            seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs").fetchone()[0]
            self.db.execute(
                "INSERT INTO jobs (id, workbook_id, type, status, params, created_at, total, seq) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (rec["id"], rec["workbook_id"], rec["type"], rec["status"], json.dumps(rec["params"]),
                 rec["created_at"], rec.get("total", 0), seq))

    def get_job(self, job_id: str) -> dict | None:
        if not valid_id(job_id):
            return None
        with self._lock:
            row = self.db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        return _job_row(row) if row else None

    def list_jobs(self, workbook_id: str | None, status: str | None, limit: int, offset: int
                  ) -> tuple[list[dict], int]:
        where, args = [], []
        if workbook_id is not None:
            where.append("workbook_id=?")
            args.append(workbook_id)
        if status is not None:
            where.append("status=?")
            args.append(status)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        with self._lock:
            rows = self.db.execute(f"SELECT * FROM jobs {clause} ORDER BY created_at DESC, seq DESC "
                                   f"LIMIT ? OFFSET ?", (*args, limit, offset)).fetchall()
            total = self.db.execute(f"SELECT COUNT(*) FROM jobs {clause}", args).fetchone()[0]
        return [_job_row(r) for r in rows], total

    def update_job(self, job_id: str, **fields: Any) -> None:
        if not fields:
            return
        cols, args = [], []
        for k, v in fields.items():
            if k in ("error", "summary", "params") and v is not None:
                v = json.dumps(v)
            cols.append(f"{k}=?")
            args.append(v)
        with self._lock:
            self.db.execute(f"UPDATE jobs SET {', '.join(cols)} WHERE id=?", (*args, job_id))

    def delete_job(self, job_id: str) -> None:
        with self._lock:
            self.db.execute("DELETE FROM jobs WHERE id=?", (job_id,))
        self.remove_job_files(job_id)

    def remove_job_files(self, job_id: str) -> None:
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)
        shutil.rmtree(self.job_partial_dir(job_id), ignore_errors=True)

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self.db.execute("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status").fetchall()
        return {r["status"]: r["n"] for r in rows}


def _wb_row(row: sqlite3.Row) -> dict:
    d = dict(row)
    d["inspection"] = json.loads(d["inspection"])
    return d


def _job_row(row: sqlite3.Row) -> dict:
    d = dict(row)
    d["params"] = json.loads(d["params"])
    d["error"] = json.loads(d["error"]) if d["error"] else None
    d["summary"] = json.loads(d["summary"]) if d["summary"] else None
    return d
