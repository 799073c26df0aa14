"""Jobs survive a server restart: finished results stay intact, a job that was
running is marked interrupted (after a crash and after a clean stop) and can
be resumed; no worker outlives its server."""
from __future__ import annotations

import signal
import time

from .helpers import Server, start_job, wait_status

API = "/api/v1"


def _running_with_progress(c, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        j = c.get(f"{API}/jobs/{job_id}").json()
        if j["status"] == "running" and j["progress"]["done"] > 0:
            return j
        time.sleep(0.05)
    raise TimeoutError(f"job {job_id} did not make progress")


def test_restart_mid_job(tmp_path, dcf_path):
    data = tmp_path / "data"
    srv = Server(data, "--max-jobs", "1").start()
    try:
        with srv.client() as c:
            with open(dcf_path, "rb") as f:
                wb = c.post(f"{API}/workbooks", files={"file": ("dcf.xlsx", f)}).json()
            finished = start_job(c, wb["id"], iterations=4000, seed=5)
            assert wait_status(c, finished["id"], ("done", "failed"))["status"] == "done"
            before = c.get(f"{API}/jobs/{finished['id']}/results").json()
            parquet_before = c.get(f"{API}/jobs/{finished['id']}/results/data.parquet").content
            long = start_job(c, wb["id"], iterations=5_000_000, chunk_size=2000)
            queued = start_job(c, wb["id"], iterations=1000)      # waits behind the long one
            _running_with_progress(c, long["id"])
            assert c.get(f"{API}/jobs/{queued['id']}").json()["status"] == "queued"
        # a crash: no shutdown code runs
        srv.stop(signal.SIGKILL)
        time.sleep(0.5)
        srv = Server(data, "--max-jobs", "1", port=srv.port).start()
        with srv.client() as c:
            j = c.get(f"{API}/jobs/{long['id']}").json()
            assert j["status"] == "interrupted"
            assert j["error"]["code"] == "interrupted" and "resume" in j["error"]["message"]
            assert "resume" in j["links"]
            # finished results are intact
            assert c.get(f"{API}/jobs/{finished['id']}").json()["status"] == "done"
            assert c.get(f"{API}/jobs/{finished['id']}/results").json() == before
            assert c.get(f"{API}/jobs/{finished['id']}/results/data.parquet").content == parquet_before
            # the job that was still queued runs after the restart
            assert wait_status(c, queued["id"], ("done", "failed"))["status"] == "done"
            # no orphan worker wrote results for the interrupted job
            assert not (data / "jobs" / long["id"]).exists()
            assert not (data / "jobs" / f"{long['id']}.partial").exists()
            # resume it (same id, same seed), then stop the server cleanly while it runs
            r = c.post(f"{API}/jobs/{long['id']}/resume")
            assert r.status_code == 202
            assert r.json()["params"]["seed"] == long["params"]["seed"]
            _running_with_progress(c, long["id"])
        srv.stop(signal.SIGTERM)
        srv = Server(data, "--max-jobs", "1", port=srv.port).start()
        with srv.client() as c:
            j = c.get(f"{API}/jobs/{long['id']}").json()
            assert j["status"] == "interrupted", j
            assert c.get(f"{API}/jobs/{finished['id']}/results").json() == before
            # a rerun is a new job with the same parameters
            r = c.post(f"{API}/jobs/{finished['id']}/rerun")
            assert r.status_code == 202 and r.json()["id"] != finished["id"]
            again = wait_status(c, r.json()["id"], ("done", "failed"))
            assert again["status"] == "done"
            assert c.get(f"{API}/jobs/{again['id']}/results").json()["outputs"][0]["statistics"] == \
                before["outputs"][0]["statistics"]
    finally:
        srv.stop()
