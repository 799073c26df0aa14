"""Shared helpers for the finance tests."""
from __future__ import annotations

import math

import pytest

from engine.functions import registry
from engine.values import Array, XLError


def excel_xirr(values, serials):
    """Excel's XIRR through GridFlow's scalar worksheet implementation
    (an independent code path from engine.finance.metrics)."""
    spec = registry.get("XIRR")
    try:
        v = spec.impl(Array([[float(x)] for x in values]), Array([[float(d)] for d in serials]))
    except XLError:
        return math.nan
    return v if isinstance(v, float) else math.nan


def excel_irr(values):
    spec = registry.get("IRR")
    try:
        v = spec.impl(Array([[float(x)] for x in values]))
    except XLError:
        return math.nan
    return v if isinstance(v, float) else math.nan


@pytest.fixture
def approx():
    return lambda x, rel=1e-9, abs=1e-6: pytest.approx(x, rel=rel, abs=abs)
