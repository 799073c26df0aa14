"""Helpers for the server tests: a real `gridflow serve` process on a free
loopback port, and small HTTP/SSE clients."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `gridflow serve` process with its own data folder."""

    def __init__(self, data: Path, *extra: str, port: int | None = None, token: str | None = None):
        self.data = Path(data)
        self.extra = list(extra)
        self.port = port or free_port()
        self.token = token
        self.proc: subprocess.Popen | None = None
        self.log = self.data.parent / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "Server":
        cmd = [sys.executable, "-m", "gridflow", "serve", "--port", str(self.port), "--data", str(self.data),
               "--log-level", "warning", *self.extra]
        if self.token:
            cmd += ["--token", self.token]
        env = dict(os.environ)
        env.pop("GRIDFLOW_TOKEN", None)
        self._logf = open(self.log, "ab")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self._logf, stderr=subprocess.STDOUT, env=env)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                r = httpx.get(self.url + "/health", headers=headers, timeout=2)
                if r.status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not answer within {timeout}s:\n{self.log.read_text()}")

    def wait_workers(self, timeout: float = 90) -> None:
        """Wait until the worker fork server has the engine imported."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if httpx.get(self.url + "/health", headers=headers, timeout=5).json().get("workers_ready"):
                return
            time.sleep(0.2)
        raise RuntimeError("workers never became ready")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        self._logf.close()

    def client(self, **kw) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=kw.pop("timeout", 60), **kw)


# --- helpers ------------------------------------------------------------------------------------------

def sse_events(client: httpx.Client, path: str, timeout: float = 120):
    """Read a Server-Sent-Event stream to its end: list of (event, data)."""
    events = []
    deadline = time.monotonic() + timeout
    with client.stream("GET", path, headers={"Accept": "text/event-stream"}, timeout=timeout) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        name, data = "message", []
        for line in r.iter_lines():
            if time.monotonic() > deadline:
                raise TimeoutError("event stream did not end")
            if line == "":
                if data:
                    events.append((name, json.loads("\n".join(data))))
                name, data = "message", []
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
    return events


def wait_status(client: httpx.Client, job_id: str, statuses, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        j = client.get(f"/api/v1/jobs/{job_id}").json()
        if j["status"] in statuses:
            return j
        time.sleep(0.05)
    raise TimeoutError(f"job {job_id} still {j['status']} (wanted {statuses})")


def start_job(client: httpx.Client, workbook_id: str, **params) -> dict:
    body = {"workbook_id": workbook_id, "iterations": 2000, "seed": 7, **params}
    r = client.post("/api/v1/jobs", json=body)
    assert r.status_code == 202, r.text
    return r.json()


def template_dcf(tmp_path_factory) -> Path:
    """The Monte Carlo DCF template, built into a temporary folder when the
    checkout lacks it."""
    p = ROOT / "workbooks" / "montecarlo_dcf.xlsx"
    if p.exists():
        return p
    from workbooks.build import build_montecarlo_dcf
    return build_montecarlo_dcf(tmp_path_factory.mktemp("wb") / "montecarlo_dcf.xlsx")


def serving(tmp_path_factory, name: str, *extra: str):
    """A started server for a session fixture to yield; stopped afterwards."""
    srv = Server(tmp_path_factory.mktemp(name) / "data", *extra)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def upload(client: httpx.Client, path: Path) -> dict:
    """Upload a workbook; the server's description of it."""
    with open(path, "rb") as f:
        r = client.post("/api/v1/workbooks", files={"file": (Path(path).name, f)})
    assert r.status_code == 201, r.text
    return r.json()
