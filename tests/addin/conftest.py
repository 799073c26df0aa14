"""Fixtures for the add-in tests: a real `gridflow serve` on a loopback port
(the server tests' helper), the template DCF workbook, and one finished
simulation of it."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.server.helpers import ROOT, Server, start_job, wait_status


@pytest.fixture(scope="session")
def dcf_file(tmp_path_factory) -> Path:
    p = ROOT / "workbooks" / "montecarlo_dcf.xlsx"
    if p.exists():
        return p
    from workbooks.build import build_montecarlo_dcf
    return build_montecarlo_dcf(tmp_path_factory.mktemp("wb") / "montecarlo_dcf.xlsx")


@pytest.fixture(scope="session")
def addin_server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("gf-addin") / "data", "--max-jobs", "2")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def http(addin_server):
    with addin_server.client() as c:
        yield c


@pytest.fixture(scope="session")
def simulated(http, dcf_file) -> dict:
    """The DCF template uploaded and simulated (3,000 iterations, seed 11)."""
    with open(dcf_file, "rb") as f:
        r = http.post("/api/v1/workbooks", files={"file": ("montecarlo_dcf.xlsx", f)})
    assert r.status_code == 201, r.text
    wb = r.json()
    job = start_job(http, wb["id"], iterations=3000, seed=11)
    done = wait_status(http, job["id"], ("done", "failed"), timeout=120)
    assert done["status"] == "done", done
    results = http.get(f"/api/v1/jobs/{job['id']}/results").json()
    return {"workbook": wb, "job": done, "results": results}
