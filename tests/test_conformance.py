"""Conformance against Excel: every workbook in ../shared/corpus is
recalculated from its constants and compared with Excel's cached values.

The match counts may only go up: ``tests/conformance_baseline.json`` is a
ratchet raised as the engine improves.  Set GRIDFLOW_CONFORMANCE_TABLE=1 to
print the per-workbook table (or run ``gridflow check ../shared/corpus --table``).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine.check import check_path, workbook_paths
from engine.parser import ast as A

ROOT = Path(__file__).resolve().parents[1]
from tests.corpus_path import CORPUS  # noqa: E402
BASELINE = Path(__file__).with_name("conformance_baseline.json")

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")


@pytest.fixture(scope="module")
def results():
    return [check_path(p) for p in workbook_paths(CORPUS)]


def test_conformance_ratchet(results):
    matched = sum(r.matched for r in results)
    mismatched = sum(r.mismatched for r in results)
    unsupported = sum(r.unsupported for r in results)
    comparable = matched + mismatched + unsupported
    if os.environ.get("GRIDFLOW_CONFORMANCE_TABLE"):
        for r in results:
            print(f"{r.path[-70:]:70} {r.matched:6} {r.mismatched:5} {r.unsupported:5}")
    print(f"\nconformance: {matched} matched, {mismatched} mismatched, {unsupported} unsupported "
          f"({matched / comparable:.4%} of {comparable})")
    base = json.loads(BASELINE.read_text())
    assert matched >= base["matched"], f"matched cells fell from {base['matched']} to {matched}"
    assert matched / comparable >= base["match_rate"] - 1e-12, \
        f"match rate fell from {base['match_rate']:.4%} to {matched / comparable:.4%}"
    supported = matched + mismatched
    assert matched / supported >= base["match_rate_supported"] - 1e-12


def test_no_python_exceptions_and_every_workbook_reads(results):
    exceptions = [e for r in results for e in r.exceptions]
    unreadable = [f"{r.path}: {r.error}" for r in results if r.error]
    assert not exceptions, "\n".join(exceptions[:20])
    assert not unreadable, "\n".join(unreadable)


def test_every_corpus_formula_parses():
    import engine
    failures = []
    for p in workbook_paths(CORPUS):
        m = engine.load(p)
        for key, f in m.formulas.items():
            if isinstance(f.node, A.ParseFailure):
                failures.append(f"{p.name} {m.address(key)}: {f.node.message}")
    assert not failures, "\n".join(failures[:30])
