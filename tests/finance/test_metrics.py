"""Vectorized IRR/XIRR, NPV, multiple, payback against Excel's definitions."""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from engine.finance.metrics import cash_on_cash, irr, multiple, npv, payback, summarize
from engine.finance.timeline import Timeline, to_serial

from .conftest import excel_irr, excel_xirr


def test_xirr_ms_example():
    # XIRR-1 / XNPV-1 of the reference (Microsoft's documentation example)
    dates = ["2008-01-01", "2008-03-01", "2008-10-30", "2009-02-15", "2009-04-01"]
    flows = [-10000, 2750, 4250, 3250, 2750]
    tl = Timeline.from_dates(dates)
    r = irr(flows, tl.t)[0]
    assert r == pytest.approx(0.373362535, abs=1e-8)
    assert npv(flows, tl.t, 0.09)[0] == pytest.approx(2086.6476, abs=1e-4)


def test_periodic_irr_examples():
    assert irr([-70000, 12000, 15000, 18000, 21000], np.arange(5))[0] == pytest.approx(-0.021245, abs=1e-6)
    assert irr([-70000, 12000, 15000, 18000, 21000, 26000], np.arange(6))[0] == pytest.approx(0.086631, abs=1e-6)
    assert irr([-1000, 0, 0, 2000], np.arange(4))[0] == pytest.approx(0.2599, abs=1e-4)
    assert math.isnan(irr([100, 200], np.arange(2), total_loss=None)[0])   # all positive: #NUM!
    assert irr([-100, 0, 0], np.arange(3))[0] == -1.0                      # total loss convention
    assert math.isnan(irr([-100, 0, 0], np.arange(3), total_loss=None)[0])


def test_vectorized_irr_matches_excel_scalar_on_random_flows():
    rng = np.random.default_rng(5)
    s, n = 400, 8
    flows = np.zeros((s, n))
    flows[:, 0] = -rng.uniform(50, 150, s)
    flows[:, 1:] = rng.uniform(-10, 60, (s, n - 1))
    flows[:20, 1:] = rng.uniform(0, 5, (20, n - 1))           # deep losses: IRR near -100%
    dates = [dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in np.cumsum([0] + list(rng.integers(30, 400, n - 1)))]
    tl = Timeline.from_dates(dates)
    serials = [to_serial(d) for d in dates]
    got = irr(flows, tl.t)
    for i in range(s):
        ref = excel_xirr(flows[i], serials)
        if math.isnan(ref):
            continue
        assert got[i] == pytest.approx(ref, rel=1e-9, abs=1e-10), i
    per = irr(flows, np.arange(n))
    for i in range(0, s, 7):
        ref = excel_irr(flows[i])
        if not math.isnan(ref):
            assert per[i] == pytest.approx(ref, rel=1e-9, abs=1e-10)


def test_multiple_cash_on_cash_payback():
    c = np.array([[100.0, 0, 0, 0]])
    d = np.array([[0.0, 10, 20, 120]])
    assert multiple(c, d)[0] == pytest.approx(1.5)
    assert cash_on_cash(c, d)[0].tolist()[1:] == pytest.approx([0.1, 0.2, 1.2])
    # cumulative -100, -90, -70, +50: paid back 70/120 into the last year
    assert payback(d - c, np.arange(4))[0] == pytest.approx(2 + 70 / 120)
    assert math.isnan(payback(np.array([[-100.0, 10, 10]]), np.arange(3))[0])


def test_summarize_ignores_nan():
    s = summarize(np.array([1.0, 2.0, 3.0, np.nan]))
    assert s["count"] == 3 and s["undefined"] == 1 and s["P50"] == 2.0
