"""Fixtures for the add-in tests: a real `gridflow serve` on a loopback port
(the server tests' helper), the template DCF workbook, and one finished
simulation of it."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.server.helpers import serving, start_job, template_dcf, upload, wait_status


@pytest.fixture(scope="session")
def dcf_file(tmp_path_factory) -> Path:
    return template_dcf(tmp_path_factory)


@pytest.fixture(scope="session")
def addin_server(tmp_path_factory):
    yield from serving(tmp_path_factory, "gf-addin", "--max-jobs", "2")


@pytest.fixture(scope="session")
def http(addin_server):
    with addin_server.client() as c:
        yield c


@pytest.fixture(scope="session")
def simulated(http, dcf_file) -> dict:
    """The DCF template uploaded and simulated (3,000 iterations, seed 11)."""
    wb = upload(http, dcf_file)
    job = start_job(http, wb["id"], iterations=3000, seed=11)
    done = wait_status(http, job["id"], ("done", "failed"), timeout=120)
    assert done["status"] == "done", done
    results = http.get(f"/api/v1/jobs/{job['id']}/results").json()
    return {"workbook": wb, "job": done, "results": results}
