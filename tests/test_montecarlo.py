"""Monte Carlo: distributions against SciPy, sampling, correlation,
reproducibility, @RISK/Psi/Vose names and statistics cells."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from engine.montecarlo.correlation import iman_conover, rank_correlation, repair_correlation
from engine.montecarlo.distributions import DISTRIBUTIONS, metalog_fit, metalog_quantile, trigen_to_triangular
from engine.montecarlo.sampling import BLOCK, UniformSource, hdr_uniform
from tests.formula_helpers import make_model

N = 20_000

# (distribution, parameters) checked against SciPy's frozen distributions
CASES = [
    ("NORMAL", [10.0, 2.0]), ("TRUNCNORMAL", [0.0, 1.0, -1.0, 2.0]), ("LOGNORMAL", [10.0, 3.0]),
    ("LOGNORMAL2", [1.0, 0.4]), ("UNIFORM", [2.0, 5.0]), ("TRIANGULAR", [1.0, 2.0, 6.0]),
    ("PERT", [1.0, 2.0, 6.0, 4.0]), ("BETA", [2.0, 5.0]), ("BETAGENERAL", [2.0, 3.0, 10.0, 20.0]),
    ("GAMMA", [2.0, 3.0]), ("EXPON", [4.0]), ("WEIBULL", [1.5, 2.0]), ("LOGISTIC", [1.0, 0.5]),
    ("STUDENT", [5.0]), ("CHISQ", [4.0]), ("PARETO", [3.0, 2.0]), ("BERNOULLI", [0.3]),
    ("BINOMIAL", [10.0, 0.3]), ("POISSON", [4.0]), ("NEGBIN", [3.0, 0.4]), ("GEOMETRIC", [0.25]),
    ("INTUNIFORM", [1.0, 6.0]),
]


@pytest.mark.parametrize("name, params", CASES)
def test_distribution_moments_and_quantiles_match_scipy(name, params):
    d = DISTRIBUTIONS[name]
    rng = np.random.default_rng(42)
    u = (rng.permutation(N) + rng.random(N)) / N      # LHS
    x = d.ppf(u, *params)
    ref = d.scipy(*params)
    assert math.isclose(d.mean(*params), ref.mean(), rel_tol=1e-9, abs_tol=1e-12)
    sd = ref.std()
    assert abs(x.mean() - ref.mean()) < 4 * sd / math.sqrt(N) + 1e-9
    if np.isfinite(ref.var()) and name not in ("PARETO",):
        assert abs(x.std() - sd) / sd < 0.03
    for q in (0.1, 0.5, 0.9):
        assert abs(np.quantile(x, q) - ref.ppf(q)) <= 0.02 * (abs(ref.ppf(q)) + sd) + (1.0 if d.discrete else 0)
    if not d.discrete:
        assert stats.kstest(x, ref.cdf).pvalue > 0.01


def test_table_distributions():
    u = (np.arange(N) + 0.5) / N
    x = DISTRIBUTIONS["DISCRETE"].ppf(u, np.array([1.0, 2.0, 5.0]), np.array([0.2, 0.5, 0.3]))
    assert abs(np.mean(x == 2.0) - 0.5) < 1e-3 and abs(np.mean(x == 5.0) - 0.3) < 1e-3
    x = DISTRIBUTIONS["CUMUL"].ppf(u, 0.0, 10.0, np.array([5.0]), np.array([0.8]))
    assert abs(np.mean(x <= 5.0) - 0.8) < 1e-3
    x = DISTRIBUTIONS["HISTOGRAM"].ppf(u, 0.0, 3.0, np.array([1.0, 2.0, 1.0]))
    assert abs(np.mean((x > 1) & (x < 2)) - 0.5) < 1e-3
    gen = DISTRIBUTIONS["GENERAL"]
    x = gen.ppf(u, 0.0, 2.0, np.array([1.0]), np.array([1.0]))   # a symmetric triangle on [0, 2]
    assert abs(x.mean() - 1.0) < 1e-3 and abs(gen.mean(0.0, 2.0, np.array([1.0]), np.array([1.0])) - 1) < 1e-12
    a, b = trigen_to_triangular(10, 20, 40, 10, 90)
    tri = stats.triang((20 - a) / (b - a), a, b - a)
    assert abs(tri.ppf(0.1) - 10) < 1e-8 and abs(tri.ppf(0.9) - 40) < 1e-8


def test_metalog_fits_its_quantiles_and_uses_keelins_bounded_form():
    xs, ps = np.array([10.0, 20.0, 35.0]), np.array([0.1, 0.5, 0.9])
    a = metalog_fit(xs, ps)
    assert np.allclose(metalog_quantile(ps, a), xs, atol=1e-9)
    a = metalog_fit(xs, ps, lower=0.0, upper=100.0)
    assert np.allclose(metalog_quantile(ps, a, 0.0, 100.0), xs, atol=1e-9)
    # Keelin: Q = (bl + bu e^M) / (1 + e^M); with bl != 0 this differs from bl + bu e^M/(1+e^M)
    q = metalog_quantile(np.array([0.5]), np.array([0.0]), 5.0, 15.0)
    assert q[0] == pytest.approx(10.0)


def test_hdr_generator_matches_the_standards_test_vectors():
    cases = [((1, 1, 1, 0, 0), 0.9097355402773246), ((2, 1, 1, 0, 0), 0.7586898015579209),
             ((3, 1, 1, 0, 0), 0.07985927711706609), ((1, 2, 1, 0, 0), 0.7737086588749662),
             ((1, 1, 9039920, 0, 0), 0.871714549488388), ((1, 2, 1, 3, 4), 0.7263179625151679),
             ((2, 2, 1, 3, 4), 0.6267787964316085)]
    for args, expected in cases:
        assert float(hdr_uniform(*args)) == expected


def test_lhs_hits_every_stratum_exactly_once():
    src = UniformSource("lhs", 7, 10_000, [1, 2, 3])
    u = src.draws(0, 10_000)
    for j in range(3):
        strata = np.floor(u[:, j] * 10_000).astype(int)
        assert np.array_equal(np.sort(strata), np.arange(10_000))


@pytest.mark.parametrize("method", ["mc", "lhs", "sobol", "hdr"])
def test_draws_do_not_depend_on_chunking(method):
    n = BLOCK + 5000
    src = UniformSource(method, 11, n, [5, 9])
    whole = src.draws(0, n)
    parts = np.vstack([UniformSource(method, 11, n, [5, 9]).draws(a, min(n, a + 7777)) for a in range(0, n, 7777)])
    assert np.array_equal(whole, parts)


def test_iman_conover_reaches_target_rank_correlation():
    target = np.array([[1.0, 0.7, -0.4], [0.7, 1.0, -0.2], [-0.4, -0.2, 1.0]])
    u = UniformSource("lhs", 3, 10_000, [1, 2, 3]).draws(0, 10_000)
    out = iman_conover(u, target)
    assert np.abs(rank_correlation(out) - target).max() < 0.02
    for j in range(3):   # marginals untouched
        assert np.array_equal(np.sort(out[:, j]), np.sort(u[:, j]))


def test_non_psd_matrix_is_repaired_with_a_warning():
    bad = np.array([[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]])
    fixed, warning = repair_correlation(bad, "Inputs!E4:G6")
    assert warning and "Inputs!E4:G6" in warning
    assert np.linalg.eigvalsh(fixed).min() > -1e-10 and np.allclose(np.diag(fixed), 1)


def _risk_model():
    return make_model({
        "A1": "=RiskNormal(100,10,RiskCorrmat(E1:F2,1),RiskName(\"Price\"))",
        "A2": "=RiskTriang(50,60,90,RiskCorrmat(E1:F2,2))",
        "A3": "=RiskPert(0.1,0.2,0.5)",
        "A4": "=RiskDiscrete({1,2,3},{0.2,0.5,0.3})",
        "B1": "=RiskOutput(\"Profit\")+A1*A4-A2*A3",
        "C1": "=RiskMean(B1)", "C2": "=RiskPercentile(B1,0.9)", "C3": "=RiskCorrel(A1,A2)",
        "E1": 1, "F1": 0.6, "E2": 0.6, "F2": 1,
    })


def test_risk_workbook_matches_a_hand_written_numpy_simulation():
    m = _risk_model()
    r = m.simulate(20_000, seed=5)
    profit = r.output("Profit").values
    rng = np.random.default_rng(0)
    n = 200_000
    z = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], n)  # close enough to rank 0.6 for the mean
    a1 = 100 + 10 * z[:, 0]
    a2 = stats.triang((60 - 50) / 40, 50, 40).ppf(stats.norm.cdf(z[:, 1]))
    a3 = stats.beta(1 + 4 * 0.1 / 0.4, 1 + 4 * 0.3 / 0.4, 0.1, 0.4).rvs(n, random_state=rng)
    a4 = rng.choice([1, 2, 3], n, p=[0.2, 0.5, 0.3])
    ref = a1 * a4 - a2 * a3
    se = ref.std() / math.sqrt(20_000)
    assert abs(profit.mean() - ref.mean()) < 4 * se
    assert abs(profit.std() - ref.std()) / ref.std() < 0.03
    assert abs(np.quantile(profit, 0.9) - np.quantile(ref, 0.9)) < 0.03 * ref.std() * 3
    assert r.statistic_cells["Sheet1!C1"] == pytest.approx(profit.mean())
    assert r.statistic_cells["Sheet1!C2"] == pytest.approx(np.quantile(profit, 0.9))
    assert abs(r.statistic_cells["Sheet1!C3"] - 0.6) < 0.02
    assert r.output("Profit").name == "Profit" and r.inputs[0].name == "Price"


def test_same_seed_same_results_any_chunk_size():
    a = _risk_model().simulate(3000, seed=9, chunk_size=3000).output("Profit").values
    b = _risk_model().simulate(3000, seed=9, chunk_size=700).output("Profit").values
    c = _risk_model().simulate(3000, seed=10, chunk_size=3000).output("Profit").values
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_plain_recalculation_uses_means():
    m = _risk_model()
    m.calculate()
    assert m.value("A1") == 100.0
    assert m.value("A2") == pytest.approx(200 / 3)
    assert m.value("C1").code == "#N/A"


def test_gf_names_properties_and_errors_per_iteration():
    m = make_model({
        "A1": "=GF.NORMAL(0,1,GF.TRUNCATE(-1,1))", "A2": "=GF_UNIFORM(0,2)",
        "B1": "=GF.OUTPUT(A1,\"Trunc\")", "B2": "=GF.OUTPUT(1/(A2-1),\"Recip\")",
        "A3": "=GF.NORMAL(5,1,GF.LOCK())", "B3": "=GF.OUTPUT(A3)",
    })
    r = m.simulate(5000, seed=1)
    t = r.output("Trunc").values
    assert t.min() >= -1 and t.max() <= 1
    assert np.all(r.output("Sheet1!B3").values == 5.0)


def test_rand_is_a_random_input_in_simulation():
    m = make_model({"A1": "=RAND()", "B1": "=GF.OUTPUT(A1*2)"})
    r = m.simulate(4000, seed=2, sampling="lhs")
    x = r.output("Sheet1!B1").values
    assert 0 <= x.min() and x.max() <= 2 and abs(x.mean() - 1) < 0.01


def test_sipmath_libraries_round_trip(tmp_path):
    from engine.montecarlo.sipmath import export_library, load_library
    m = _risk_model()
    r = m.simulate(4000, seed=12)
    p2 = export_library(r, tmp_path / "lib2.json", version="2.0")
    back = load_library(p2)
    assert np.array_equal(back["Profit"], r.output("Profit").values)
    p3 = export_library(r, tmp_path / "lib3.json", version="3.0")
    lib = load_library(p3, trials=20_000)
    x, ref = lib["Profit"], r.output("Profit").values
    assert abs(np.median(x) - np.median(ref)) < 0.05 * ref.std()
    assert abs(np.quantile(x, 0.9) - np.quantile(ref, 0.9)) < 0.05 * ref.std()
    # the Gaussian copula keeps the inputs' dependence (rank 0.6 between Price and Sheet1!A2)
    assert abs(stats.spearmanr(lib["Price"], lib["Sheet1!A2"])[0] - 0.6) < 0.05
    # virtual SIPs are regenerated identically: trials depend only on the counter
    again = load_library(p3, trials=100, start=51)
    assert np.allclose(again["Profit"], lib["Profit"][50:150], rtol=1e-12)


def test_sipmath_hdr_metalog_by_hand(tmp_path):
    import json
    from engine.montecarlo.sipmath import load_library
    lib = {"objectType": "sipModel", "U01": {"rng": [{"name": "HDR1", "function": "HDR_2_0", "arguments": {
        "counter": "PM_Index", "entity": 1, "varId": 2, "seed3": 3, "seed4": 4}}]},
        "sips": [{"name": "X", "ref": {"source": "rng", "name": "HDR1"}, "function": "Metalog_1_0",
                  "arguments": {"lowerBound": 10, "aCoefficients": [1.0, 0.5]}}]}
    (tmp_path / "l.json").write_text(json.dumps(lib))
    x = load_library(tmp_path / "l.json", trials=2)["X"]
    u = 0.7263179625151679
    assert x[0] == pytest.approx(10 + math.exp(1.0 + 0.5 * math.log(u / (1 - u))), rel=1e-12)


def test_simtable_runs_one_simulation_per_value():
    from engine.montecarlo import count_simulations, simulate_table
    m = make_model({"A1": "=GF.SIMTABLE({10,20,30})", "A2": "=GF.NORMAL(0,1)", "B1": "=GF.OUTPUT(A1+A2,\"Y\")"})
    assert count_simulations(m) == 3
    results = simulate_table(m, 2000, seed=4)
    means = [r.output("Y").values.mean() for r in results]
    assert [round(x) for x in means] == [10, 20, 30]
    # common random numbers: the same draws in every simulation
    assert np.allclose(results[1].output("Y").values - results[0].output("Y").values, 10)


def test_stops_when_converged():
    m = make_model({"A1": "=GF.NORMAL(100,10)", "B1": "=GF.OUTPUT(A1)"})
    r = m.simulate(1_000_000, seed=1, converge=0.001, chunk_size=1000)
    assert r.converged and r.iterations < 1_000_000
    x = r.output("Sheet1!B1").values
    assert 1.96 * x.std() / np.sqrt(x.size) <= 0.001 * abs(x.mean())
