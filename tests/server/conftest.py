"""Fixtures: one shared server process for most tests (see helpers.Server)."""
from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import ROOT, Server


@pytest.fixture(scope="session")
def dcf_path(tmp_path_factory) -> Path:
    p = ROOT / "workbooks" / "montecarlo_dcf.xlsx"
    if p.exists():
        return p
    from workbooks.build import build_montecarlo_dcf
    return build_montecarlo_dcf(tmp_path_factory.mktemp("wb") / "montecarlo_dcf.xlsx")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The shared server: two jobs at once, a 2 MB upload limit."""
    srv = Server(tmp_path_factory.mktemp("gf-server") / "data", "--max-jobs", "2", "--max-upload-mb", "2")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def client(server):
    with server.client() as c:
        yield c


@pytest.fixture(scope="session")
def workbook(client, dcf_path) -> dict:
    with open(dcf_path, "rb") as f:
        r = client.post("/api/v1/workbooks", files={"file": ("montecarlo_dcf.xlsx", f)})
    assert r.status_code == 201, r.text
    return r.json()


