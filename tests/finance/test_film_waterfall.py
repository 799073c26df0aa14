"""Film revenue waterfall: FILM-1 and its variants, caps, cumulative state
over periods, pari passu, corridors, territories, external repayment."""
from __future__ import annotations

import numpy as np
import pytest

from engine.finance import (Expense, Fee, FilmSplit, PariPassu, Payment, Recoupment, Shared, film1_tiers,
                            film_waterfall)

FILM1 = [("CAM fee", "CAM", 50_000), ("Sales agent commission", "Sales agent", 2_392_500),
         ("Sales agent expenses", "Sales agent", 300_000), ("Guild residuals", "Guilds", 200_000),
         ("Senior loan", "Senior lender", 3_420_000), ("Gap loan", "Gap lender", 1_845_000),
         ("Equity recoupment", "Equity", 4_200_000), ("Deferments", "Producer", 250_000),
         ("Deferments", "Talent", 150_000), ("Net profits", "Equity", 1_596_250),
         ("Net profits", "Producers' pool", 1_596_250)]


def test_film1_every_tier_and_total():
    res = film_waterfall([0, 16_000_000], film1_tiers())
    got = res.tier_amounts(0)
    assert [(t, p) for t, p, _ in got] == [(t, p) for t, p, _ in FILM1]
    for (t, p, a), (_t, _p, want) in zip(got, FILM1):
        assert a == pytest.approx(want, abs=1e-6), t
    assert sum(a for _, _, a in got) == pytest.approx(16_000_000, abs=1e-6)
    assert res.conservation_error() < 1e-6
    assert float(res.unallocated.sum()) == 0.0
    assert all(v == 1.0 for v in res.prob_recoup().values())


def test_film1_receipts_over_time_reach_the_same_totals():
    profile = np.array([0, 0.4, 0.3, 0.15, 0.1, 0.05])
    res = film_waterfall(16_000_000 * profile, film1_tiers())
    for (t, p, a), (_t, _p, want) in zip(res.tier_amounts(0), FILM1):
        assert a == pytest.approx(want, abs=1e-6), t
    # the CAM cap binds cumulatively: nothing more once 50k are paid
    cam = res.payments[("CAM fee", "CAM")][0]
    assert cam.sum() == pytest.approx(50_000) and cam[2:].sum() == 0


def test_variant_gross_10m_partial_equity_no_backend():
    res = film_waterfall([0, 10_000_000], film1_tiers())
    amt = {(t, p): a for t, p, a in res.tier_amounts(0)}
    assert amt[("Sales agent commission", "Sales agent")] == pytest.approx(0.15 * 9_950_000)
    assert amt[("Senior loan", "Senior lender")] == pytest.approx(3_420_000)
    assert amt[("Gap loan", "Gap lender")] == pytest.approx(1_845_000)
    assert amt[("Equity recoupment", "Equity")] == pytest.approx(10_000_000 - 50_000 - 1_492_500 - 300_000
                                                                  - 200_000 - 3_420_000 - 1_845_000)
    assert amt[("Net profits", "Equity")] == 0 and amt[("Net profits", "Producers' pool")] == 0
    assert res.claims["Equity recoupment"]["recouped"][0] == False  # noqa: E712
    assert res.conservation_error() < 1e-6


def test_variant_sales_commission_on_gross_before_cam():
    res = film_waterfall([0, 16_000_000], film1_tiers(sa_on_gross=True))
    amt = {t: a for t, _p, a in res.tier_amounts(0)}
    assert amt["Sales agent commission"] == pytest.approx(2_400_000)
    assert amt["CAM fee"] == pytest.approx(50_000)
    assert res.conservation_error() < 1e-6


def test_variant_equity_premium_accruing_per_year():
    # funded at t0, paid at year 2: 3.5M + 20% x 2 years simple = 4.9M
    res = film_waterfall([0, 0, 16_000_000], film1_tiers(equity_accrual="simple"))
    amt = {(t, p): a for t, p, a in res.tier_amounts(0)}
    assert amt[("Equity recoupment", "Equity")] == pytest.approx(4_900_000)
    res = film_waterfall([0, 0, 16_000_000], film1_tiers(equity_accrual="compound"))
    amt = {(t, p): a for t, p, a in res.tier_amounts(0)}
    assert amt[("Equity recoupment", "Equity")] == pytest.approx(3_500_000 * 1.2 ** 2)


def test_caps_honoured_over_scenarios():
    rng = np.random.default_rng(2)
    rec = rng.lognormal(np.log(12e6), 0.8, (2000, 1)) * np.array([[0, 0.5, 0.3, 0.2]])
    res = film_waterfall(rec, film1_tiers())
    assert res.payments[("CAM fee", "CAM")].sum(axis=1).max() <= 50_000 + 1e-6
    assert res.payments[("Sales agent expenses", "Sales agent")].sum(axis=1).max() <= 300_000 + 1e-6
    assert res.payments[("Senior loan", "Senior lender")].sum(axis=1).max() <= 3_420_000 + 1e-6
    assert res.conservation_error() < 1e-5
    # seniority: no gap dollar while the senior loan is owed
    senior_short = res.claims["Senior loan"]["outstanding"] > 1e-6
    assert np.all(res.payments[("Gap loan", "Gap lender")].sum(axis=1)[senior_short] == 0)


def test_pari_passu_and_shared_corridor():
    tiers = [PariPassu("Debt", [Recoupment("A", "Lender A", 300), Recoupment("B", "Lender B", 100)]),
             Shared("Equity with corridor", [(Recoupment("Eq", "Equity", 500), 0.9), ("Producer", 0.1)]),
             FilmSplit("Backend", {"Equity": 0.5, "Producer": 0.5})]
    res = film_waterfall([0, 200], tiers)
    amt = {(t, p): a for t, p, a in res.tier_amounts(0)}
    assert amt[("Debt", "Lender A")] == pytest.approx(150) and amt[("Debt", "Lender B")] == pytest.approx(50)
    res = film_waterfall([0, 1000], tiers)
    amt = {(t, p): a for t, p, a in res.tier_amounts(0)}
    assert amt[("Equity with corridor", "Equity")] == pytest.approx(500)
    assert amt[("Equity with corridor", "Producer")] == pytest.approx(500 / 0.9 * 0.1)
    left = 1000 - 400 - 500 / 0.9
    assert amt[("Backend", "Producer")] == pytest.approx(left / 2)
    assert res.conservation_error() < 1e-9


def test_territories_and_cross_collateralisation():
    receipts = {"domestic": np.array([0, 1000.0]), "foreign": np.array([0, 100.0])}
    tiers = [Fee("Commission", "Sales agent", {"domestic": 0.10, "foreign": 0.20}),
             Expense("Expenses", "Sales agent", {"domestic": 50, "foreign": 200}, cross_collateralized=False),
             FilmSplit("Rest", {"Producer": 1.0})]
    res = film_waterfall(receipts, tiers)
    amt = {t: a for t, _p, a in res.tier_amounts(0)}
    assert amt["Commission"] == pytest.approx(100 + 20)
    assert amt["Expenses"] == pytest.approx(50 + 80)        # foreign expenses recouped from foreign receipts only
    tiers[1] = Expense("Expenses", "Sales agent", {"domestic": 50, "foreign": 200}, cross_collateralized=True)
    res = film_waterfall(receipts, tiers)
    amt = {t: a for t, _p, a in res.tier_amounts(0)}
    assert amt["Expenses"] == pytest.approx(250)
    assert res.conservation_error() < 1e-9


def test_tax_credit_loan_repaid_outside_the_waterfall():
    tiers = [Recoupment("Senior", "Senior lender", 1000, rate=0.1, term_years=1),
             Recoupment("Tax credit loan", "TC lender", 800, rate=0.1, term_years=1, external=[0, 0, 700]),
             Payment("Deferment", "Producer", 100), FilmSplit("Rest", {"Producer": 1.0})]
    res = film_waterfall([0, 1200, 500], tiers)
    amt = {(t, p): a for t, p, a in res.tier_amounts(0)}
    assert amt[("Senior", "Senior lender")] == pytest.approx(1100)
    tc = res.stakeholders["TC lender"]
    assert tc.total_distributed[0] == pytest.approx(880)              # 100 from the waterfall + 700 credit + 80
    assert res.claims["Tax credit loan"]["fully_paid"][0]
    assert res.conservation_error() < 1e-9


def test_fixed_payment_and_percent_cap_of_gross():
    tiers = [Fee("Fee", "Agent", 0.5, cap_pct_of_gross=0.1), Payment("Fixed", "X", 30),
             FilmSplit("Rest", {"Y": 0.6})]
    res = film_waterfall([100.0], tiers)
    amt = {t: a for t, _p, a in res.tier_amounts(0)}
    assert amt["Fee"] == pytest.approx(10) and amt["Fixed"] == pytest.approx(30)
    assert amt["Rest"] == pytest.approx(36)
    assert res.unallocated.sum() == pytest.approx(24)
    assert res.conservation_error() < 1e-9
