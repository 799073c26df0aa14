"""Fixtures: one shared server process for most tests (see helpers.Server)."""
from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import serving, template_dcf, upload


@pytest.fixture(scope="session")
def dcf_path(tmp_path_factory) -> Path:
    return template_dcf(tmp_path_factory)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The shared server: two jobs at once, a 2 MB upload limit."""
    yield from serving(tmp_path_factory, "gf-server", "--max-jobs", "2", "--max-upload-mb", "2")


@pytest.fixture(scope="session")
def client(server):
    with server.client() as c:
        yield c


@pytest.fixture(scope="session")
def workbook(client, dcf_path) -> dict:
    return upload(client, dcf_path)
