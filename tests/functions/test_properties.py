"""Property tests of numerical functions against SciPy/NumPy references and
their own inverses (hypothesis)."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from engine.values import XLError
from tests.formula_helpers import evaluate_formula

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
prob = st.floats(1e-6, 1 - 1e-6)


def ev(f: str):
    return evaluate_formula(f)


@settings(max_examples=60, deadline=None)
@given(x=st.floats(-8, 8), mu=st.floats(-100, 100), sd=st.floats(0.01, 50))
def test_norm_inv_inverts_norm_dist(x, mu, sd):
    value = mu + x * sd
    p = ev(f"NORM.DIST({value!r},{mu!r},{sd!r},TRUE)")
    assert math.isclose(p, stats.norm.cdf(value, mu, sd), rel_tol=1e-9, abs_tol=1e-15)
    assume(1e-12 < p < 1 - 1e-12)
    back = ev(f"NORM.INV({p!r},{mu!r},{sd!r})")
    assert math.isclose(back, value, rel_tol=1e-6, abs_tol=1e-6 * sd)


@settings(max_examples=40, deadline=None)
@given(p=prob, df=st.integers(1, 200))
def test_t_and_chisq_inverses_match_scipy(p, df):
    assert math.isclose(ev(f"T.INV({p!r},{df})"), stats.t.ppf(p, df), rel_tol=1e-7, abs_tol=1e-9)
    assert math.isclose(ev(f"CHISQ.INV({p!r},{df})"), stats.chi2.ppf(p, df), rel_tol=1e-7, abs_tol=1e-9)


@settings(max_examples=40, deadline=None)
@given(k=st.integers(0, 50), n=st.integers(1, 50), p=st.floats(0.01, 0.99))
def test_binom_dist_matches_scipy(k, n, p):
    assume(k <= n)
    assert math.isclose(ev(f"BINOM.DIST({k},{n},{p!r},FALSE)"), stats.binom.pmf(k, n, p), rel_tol=1e-9,
                        abs_tol=1e-300)
    assert math.isclose(ev(f"BINOM.DIST({k},{n},{p!r},TRUE)"), stats.binom.cdf(k, n, p), rel_tol=1e-9)


@settings(max_examples=40, deadline=None)
@given(flows=st.lists(st.floats(1, 1e6), min_size=2, max_size=12), invest=st.floats(1e3, 1e7))
def test_irr_is_a_root_of_npv(flows, invest):
    cells = {"A1": -invest}
    for i, f in enumerate(flows, start=2):
        cells[f"A{i}"] = f
    last = len(flows) + 1
    r = evaluate_formula(f"IRR(A1:A{last})", cells)
    if isinstance(r, XLError):
        # Excel gives #NUM! when Newton cannot find a root; then the root is far out
        return
    npv = sum(v / (1 + r) ** i for i, v in enumerate([-invest] + flows))
    assert abs(npv) <= 1e-6 * (invest + sum(flows))


@settings(max_examples=30, deadline=None)
@given(flows=st.lists(st.floats(10, 1e5), min_size=2, max_size=8), gaps=st.lists(st.integers(1, 400),
                                                                                  min_size=8, max_size=8))
def test_xirr_returns_a_rate_whose_xnpv_is_zero(flows, gaps):
    cells = {"A1": -sum(flows) * 0.8, "B1": 43831}
    d = 43831
    for i, f in enumerate(flows, start=2):
        d += gaps[i - 2]
        cells[f"A{i}"] = f
        cells[f"B{i}"] = d
    last = len(flows) + 1
    r = evaluate_formula(f"XIRR(A1:A{last},B1:B{last})", cells)
    assume(not isinstance(r, XLError))
    x = evaluate_formula(f"XNPV({r!r},A1:A{last},B1:B{last})", cells)
    assert abs(x) <= 1e-6 * sum(flows)


@settings(max_examples=40, deadline=None)
@given(rate=st.floats(0.001, 0.3), nper=st.integers(1, 480), pv=st.floats(1, 1e7))
def test_pmt_pv_fv_nper_are_consistent(rate, nper, pv):
    assume((1 + rate) ** -nper > 1e-6)   # beyond that NPER is ill-conditioned in any engine
    pmt = ev(f"PMT({rate!r},{nper},{pv!r})")
    ref = -pv * rate / (1 - (1 + rate) ** -nper)
    assert math.isclose(pmt, ref, rel_tol=1e-9)
    assert math.isclose(ev(f"PV({rate!r},{nper},{pmt!r})"), pv, rel_tol=1e-9)
    assert math.isclose(ev(f"NPER({rate!r},{pmt!r},{pv!r})"), nper, rel_tol=1e-7)
    assert abs(ev(f"FV({rate!r},{nper},{pmt!r},{pv!r})")) <= 1e-6 * pv


@settings(max_examples=60, deadline=None)
@given(serial=st.integers(61, 2958465))
def test_date_parts_round_trip(serial):
    y, m, d = ev(f"YEAR({serial})"), ev(f"MONTH({serial})"), ev(f"DAY({serial})")
    assert ev(f"DATE({int(y)},{int(m)},{int(d)})") == serial
    assert ev(f"EOMONTH({serial},0)") >= serial


@settings(max_examples=60, deadline=None)
@given(x=finite)
def test_value_of_text_round_trips(x):
    # Excel keeps 15 significant digits: 1 + 14 decimals in scientific form
    assert ev(f'VALUE(TEXT({x!r},"0.00000000000000E+00"))') == float(f"{x:.14e}")


@settings(max_examples=40, deadline=None)
@given(values=st.lists(finite, min_size=2, max_size=30))
def test_descriptive_statistics_match_numpy(values):
    cells = {f"A{i + 1}": v for i, v in enumerate(values)}
    rng = f"A1:A{len(values)}"
    arr = np.array(values)
    assert math.isclose(evaluate_formula(f"AVERAGE({rng})", cells), arr.mean(), rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(evaluate_formula(f"STDEV.S({rng})", cells), arr.std(ddof=1), rel_tol=1e-6, abs_tol=1e-6)
    assert math.isclose(evaluate_formula(f"MEDIAN({rng})", cells), np.median(arr), rel_tol=1e-12, abs_tol=1e-9)
    assert math.isclose(evaluate_formula(f"PERCENTILE.INC({rng},0.3)", cells), np.percentile(arr, 30),
                        rel_tol=1e-9, abs_tol=1e-6)
