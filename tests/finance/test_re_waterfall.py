"""Real-estate equity waterfall: the reference's worked examples (RE-1..RE-4),
conventions, and vectorized-vs-scalar agreement."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from engine.finance import (CatchUp, EquityWaterfall, Hurdle, PreferredReturn, ReturnOfCapital, Split,
                            catch_up_amount, promoted_split, re_waterfall, split_to_promote)
from engine.finance.timeline import Accounts, Timeline, to_serial

from .conftest import excel_irr, excel_xirr

PREF_CARRY = [ReturnOfCapital(), PreferredReturn(0.08), CatchUp(1.0), Split((0.8, 0.2))]
RE2_FLOWS = [-10_000_000, 500_000, 600_000, 700_000, 800_000, 15_000_000]
RE2_TIERS = [Hurdle(0.08, promote=0.0), Hurdle(0.15, promote=0.20), Split(promote=0.30)]


def test_re1_published_pref_catchup_8020():
    r = re_waterfall([-1_000_000, 1_450_000], PREF_CARRY)
    t = r.tier_totals(0)
    assert t["Return of capital"]["LP"] == pytest.approx(1_000_000)
    assert t["Preferred return"]["LP"] == pytest.approx(80_000)
    assert t["GP catch-up"]["GP"] == pytest.approx(20_000)
    assert t["Residual split"]["LP"] == pytest.approx(280_000)
    assert t["Residual split"]["GP"] == pytest.approx(70_000)
    assert r.lp.distributions.sum() - 1_000_000 == pytest.approx(360_000)      # LP profit (published)
    assert r.gp.distributions.sum() == pytest.approx(90_000)                   # GP profit (published)
    assert catch_up_amount(80_000, 0.20) == pytest.approx(20_000)


def test_re2_irr_hurdles_co_invest_promotes():
    r = re_waterfall(RE2_FLOWS, RE2_TIERS, lp_share=0.9)
    assert r.project.irr[0] == pytest.approx(0.130735, abs=5e-7)
    assert r.project.multiple[0] == pytest.approx(1.76)
    assert np.round(r.lp.net[0]).tolist() == [-9_000_000, 450_000, 540_000, 630_000, 720_000, 12_883_811]
    assert np.round(r.gp.net[0]).tolist() == [-1_000_000, 50_000, 60_000, 70_000, 80_000, 2_116_189]
    assert r.lp.irr[0] == pytest.approx(0.121340, abs=5e-7)
    assert r.lp.multiple[0] == pytest.approx(1.6915, abs=5e-5)
    assert r.lp.npv[0] == pytest.approx(820_303, abs=0.5)
    assert r.lp.payback[0] == pytest.approx(4.517, abs=5e-4)
    assert r.gp.irr[0] == pytest.approx(0.203347, abs=5e-7)
    assert r.gp.multiple[0] == pytest.approx(2.3762, abs=5e-5)
    assert r.lp.distributions.sum() == pytest.approx(15_223_811, abs=0.5)
    assert r.gp.distributions.sum() == pytest.approx(2_376_189, abs=0.5)
    t = r.tier_totals(0)
    last = r.tiers[2]
    assert t[last]["LP"] == 0 and t[last]["GP"] == 0          # tier 3 is not reached
    # the metrics agree with Excel's IRR on the partners' own flows
    assert r.lp.irr[0] == pytest.approx(excel_irr(r.lp.net[0]), rel=1e-10)
    assert r.gp.irr[0] == pytest.approx(excel_irr(r.gp.net[0]), rel=1e-10)
    assert r.conservation_error() < 1e-6


def test_re3_american_vs_european_clawback():
    deals = [[-100, 0, 60], [-100, 0, 200]]
    am = re_waterfall(None, PREF_CARRY, structure="american", deals=deals, clawback=False)
    assert am.gp.distributions.sum() == pytest.approx(20.0)
    assert am.lp.distributions.sum() == pytest.approx(240.0)
    eu = re_waterfall(None, PREF_CARRY, deals=deals)
    assert eu.gp.distributions.sum() == pytest.approx(12.0)
    assert eu.lp.distributions.sum() == pytest.approx(248.0)
    cb = re_waterfall(None, PREF_CARRY, structure="american", deals=deals)
    assert cb.clawback[0] == pytest.approx(8.0)
    assert cb.gp.distributions.sum() == pytest.approx(12.0)      # after the true-up
    assert cb.lp.distributions.sum() == pytest.approx(248.0)
    assert cb.gp.by_tier["Clawback"][0, -1] == pytest.approx(-8.0)
    assert cb.conservation_error() < 1e-9


def test_re4_straight_split_as_promote():
    promote = split_to_promote(0.60, 0.90)
    assert promote == pytest.approx(1 / 3)
    assert promoted_split(promote, 0.10)[1] == pytest.approx(0.40)
    r = re_waterfall([-1_000_000, 1_000_000 + 1_000_000], [ReturnOfCapital(), Split(promote=promote)], lp_share=0.9)
    assert r.tier_totals(0)["Residual split"]["GP"] == pytest.approx(400_000)
    r2 = re_waterfall([-1_000_000, 2_000_000], [ReturnOfCapital(), Split((0.6, 0.4))], lp_share=0.9)
    assert r2.gp.distributions.sum() == pytest.approx(100_000 + 400_000)
    # WSO: a 10% promote at 90/10 gives 81/19; 20% -> 72/28; 30% -> 63/37
    assert promoted_split(0.10, 0.10) == pytest.approx((0.81, 0.19))
    assert promoted_split(0.20, 0.10) == pytest.approx((0.72, 0.28))
    assert promoted_split(0.30, 0.10) == pytest.approx((0.63, 0.37))


def test_partial_catch_up_and_co_invest_target():
    # 50% catch-up: CU total = pref * carry / (c - carry) = 80,000 * 0.2 / 0.3
    r = re_waterfall([-1_000_000, 2_000_000], [ReturnOfCapital(), PreferredReturn(0.08), CatchUp(0.5), Split((0.8, 0.2))])
    cu = r.tier_totals(0)["GP catch-up"]
    assert cu["GP"] + cu["LP"] == pytest.approx(80_000 * 0.2 / 0.3)
    assert r.gp.distributions.sum() == pytest.approx(0.2 * 1_000_000)    # GP holds 20% of all profit after catch-up
    # co-investment: after a full catch-up the profit splits 72/28 overall
    r = re_waterfall([-1_000_000, 2_000_000], [ReturnOfCapital(), PreferredReturn(0.08), CatchUp(1.0),
                                                Split(promote=0.2)], lp_share=0.9)
    gp_profit = r.gp.distributions.sum() - 100_000
    assert gp_profit == pytest.approx(0.28 * 1_000_000)


def test_lp_first_return_of_capital_and_shortfall():
    r = re_waterfall([-1_000_000, 950_000], [ReturnOfCapital(order="lp_first"), PreferredReturn(0.08), Split()],
                     lp_share=0.9)
    assert r.lp.distributions.sum() == pytest.approx(900_000)
    assert r.gp.distributions.sum() == pytest.approx(50_000)
    r = re_waterfall([-1_000_000, 950_000], [ReturnOfCapital(), PreferredReturn(0.08), Split()], lp_share=0.9)
    assert r.lp.distributions.sum() == pytest.approx(855_000)
    assert not r.lp.recouped[0]


def test_multiple_hurdle():
    r = re_waterfall([-1_000, 0, 3_000], [Hurdle(1.5, kind="multiple", split=(0.9, 0.1)), Split((0.5, 0.5))],
                     lp_share=1.0)
    t = r.tier_totals(0)
    assert t[r.tiers[0]]["LP"] == pytest.approx(1_500)           # LP reaches 1.5x
    assert t[r.tiers[0]]["GP"] == pytest.approx(1_500 / 0.9 * 0.1)
    assert r.lp.multiple[0] == pytest.approx(1.5 + (3_000 - 1_500 / 0.9) * 0.5 / 1_000)


def test_compounding_conventions_100m_8pct_5y():
    # finance reference §3.1: 146.93 annual, 148.98 monthly, 140.00 simple
    for conv, ppy, expect in (("annual", 1, 146.93), ("monthly", 12, 148.98), ("simple", 4, 140.00),
                              ("annual", 4, 146.93), ("daily", 1, 146.93)):
        tl = Timeline.periodic(5 * ppy + 1, ppy)
        acc = Accounts(1, [0.08], [conv], tl)
        acc.add(0, np.array([100.0]))
        for k in range(1, len(tl)):
            acc.accrue(k)
        assert acc.balance(0)[0] == pytest.approx(expect, abs=0.005), (conv, ppy)
    # dated: monthly anniversaries, annual anniversaries, actual/365
    dates = [dt.date(2020, 1, 1), dt.date(2021, 3, 15), dt.date(2025, 1, 1)]
    tl = Timeline.from_dates(dates)
    for conv, expect in (("monthly", 100 * (1 + 0.08 / 12) ** 60), ("annual", 100 * 1.08 ** 5),
                         ("daily", 100 * 1.08 ** ((to_serial(dates[-1]) - to_serial(dates[0])) / 365)),
                         ("simple", 100 * (1 + 0.08 * (to_serial(dates[-1]) - to_serial(dates[0])) / 365))):
        acc = Accounts(1, [0.08], [conv], tl)
        acc.add(0, np.array([100.0]))
        for k in range(1, len(tl)):
            acc.accrue(k)
        assert acc.balance(0)[0] == pytest.approx(expect, rel=1e-12), conv


def test_daily_compounding_is_xirr_consistent():
    # the LP gets exactly its 8% (XIRR) when the project returns less than tier 1 needs
    dates = [dt.date(2024, 1, 1), dt.date(2024, 7, 9), dt.date(2025, 11, 20), dt.date(2026, 12, 31)]
    cf = [-1_000_000, 100_000, 50_000, 2_000_000]
    r = re_waterfall(cf, [Hurdle(0.08, split=(0.9, 0.1)), Hurdle(0.12, split=(0.8, 0.2)), Split((0.7, 0.3))],
                     dates=dates, compounding="daily", lp_share=1.0)
    serials = [to_serial(d) for d in dates]
    lp = r.lp.net[0]
    assert r.lp.irr[0] == pytest.approx(excel_xirr(lp, serials), rel=1e-10)
    # tiers 1 and 2 were fully paid: the LP's IRR sits above 12%; the amount of tier 2 brings it exactly to 12%
    t1 = r.parties["LP"].by_tier[r.tiers[0]][0] + r.parties["LP"].by_tier[r.tiers[1]][0]
    flows_to_12 = -np.array([1_000_000, 0, 0, 0]) + t1
    assert excel_xirr(flows_to_12, serials) == pytest.approx(0.12, abs=1e-9)


def test_vectorized_equals_scalar_runs_and_conserves():
    rng = np.random.default_rng(11)
    s, n = 300, 7
    cf = np.zeros((s, n))
    cf[:, 0] = -1_000_000
    cf[:, 1] = -rng.uniform(0, 300_000, s)                      # second capital call
    cf[:, 2:] = rng.uniform(-50_000, 600_000, (s, n - 2))
    tiers = [ReturnOfCapital(), PreferredReturn(0.08), CatchUp(0.8), Hurdle(0.15, promote=0.2),
             Hurdle(2.0, kind="multiple", promote=0.3), Split(promote=0.4)]
    dates = [dt.date(2024, 1, 1) + dt.timedelta(days=200 * k + (k * k) % 17) for k in range(n)]
    for conv in ("annual", "daily", "monthly", "simple"):
        wf = EquityWaterfall(tiers, lp_share=0.85, compounding=conv)
        vec = wf.run(cf, dates=dates)
        assert vec.conservation_error() < 1e-6
        for i in range(0, s, 23):
            one = wf.run(cf[i], dates=dates)
            np.testing.assert_allclose(vec.lp.distributions[i], one.lp.distributions[0], rtol=1e-12, atol=1e-6)
            np.testing.assert_allclose(vec.gp.distributions[i], one.gp.distributions[0], rtol=1e-12, atol=1e-6)
            assert vec.lp.irr[i] == pytest.approx(one.lp.irr[0], rel=1e-12, abs=1e-12, nan_ok=True)


def test_american_vectorized_with_scenarios():
    rng = np.random.default_rng(3)
    a = np.column_stack([np.full(50, -100.0), np.zeros(50), rng.uniform(40, 220, 50)])
    b = np.column_stack([np.full(50, -100.0), np.zeros(50), rng.uniform(40, 220, 50)])
    am = re_waterfall(None, PREF_CARRY, structure="american", deals=[a, b])
    eu = re_waterfall(a + b, PREF_CARRY)
    # after the clawback the GP never keeps more than the whole-fund result
    assert np.all(am.gp.distributions.sum(axis=1) <= eu.gp.distributions.sum(axis=1) + 1e-9)
    assert am.conservation_error() < 1e-9
    for i in range(0, 50, 9):
        one = re_waterfall(None, PREF_CARRY, structure="american", deals=[a[i], b[i]])
        assert one.clawback[0] == pytest.approx(am.clawback[i], abs=1e-9)


def test_bad_inputs():
    with pytest.raises(ValueError):
        re_waterfall([-1, 2], [Split((0.5, 0.6))])
    with pytest.raises(ValueError):
        re_waterfall([-1, 2], [CatchUp(0.2), Split((0.8, 0.2))])       # catch-up rate must exceed the carry
    with pytest.raises(ValueError):
        re_waterfall([-1, np.nan], [Split()])
    with pytest.raises(ValueError):
        re_waterfall([-1, 2], [Split()], dates=["2024-01-01"])
