"""Template workbooks: rebuilt by code, and their numbers confirmed by an
independent spreadsheet (LibreOffice recalculates a static copy; GridFlow's
check then compares its own results with LibreOffice's cached values)."""
from __future__ import annotations

import shutil
import subprocess

import pytest

import engine
from engine.check import check_path
from engine.static import write_static_copy
from workbooks.build import TEMPLATES, build_all

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    return build_all(tmp_path_factory.mktemp("templates"))


def test_templates_build_and_calculate(templates):
    assert {p.name for p in templates} == set(TEMPLATES)
    for p in templates:
        m = engine.load(p).calculate()
        assert not m.parse_errors and not m.internal_errors
        assert all(not isinstance(v, engine.XLError) or v.code == "#N/A" for _, v in m.cells())


def test_dcf_template_base_case_is_sane(templates):
    p = next(p for p in templates if p.name == "montecarlo_dcf.xlsx")
    m = engine.load(p).calculate()
    irr = m.value("CashFlow!B18")
    assert 0.05 < irr < 0.15
    assert m.value("CashFlow!B20") > 1


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_confirms_template_numbers(templates, tmp_path):
    for p in templates:
        static = tmp_path / p.name
        write_static_copy(p, static)
        out = tmp_path / "lo"
        subprocess.run([SOFFICE, "--headless", "--calc", "--convert-to", "xlsx", "--outdir", str(out), str(static)],
                       check=True, capture_output=True, timeout=180)
        res = check_path(out / p.name)      # LibreOffice's cached values vs GridFlow
        assert res.error is None and not res.exceptions
        assert res.mismatched == 0, [(m.cell, m.expected, m.got) for m in res.mismatches[:10]]
        assert res.matched >= 100
