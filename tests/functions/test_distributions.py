"""Excel's probability distributions and tests (engine/functions/distributions.py):
documented values, Excel's argument checks (truncated degrees of freedom and
counts, #NUM! outside a domain), and agreement of the NumPy ``vector=``
implementations with the scalar ones, which Monte Carlo runs rely on."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine.functions import registry
from engine.values import XLError
from tests.formula_helpers import evaluate_formula, make_model

NUM, VALUE, DIV0, NA = (XLError(c) for c in ("#NUM!", "#VALUE!", "#DIV/0!", "#N/A"))


def ev(formula: str, cells: dict | None = None):
    return evaluate_formula(formula, cells)


def approx(x, rel=1e-9):
    return pytest.approx(x, rel=rel, abs=1e-15)


# (formula, Excel's value) from Excel's documentation and cached workbook values
DOCUMENTED = [
    ("NORM.DIST(42,40,1.5,TRUE)", 0.9087887802741321),
    ("NORM.DIST(42,40,1.5,FALSE)", 0.10934004978399575),
    ("NORM.INV(0.9087887802741321,40,1.5)", 42.0),
    ("NORM.S.DIST(1,TRUE)", 0.841344746068543),
    ("NORMSINV(0.908789)", 1.3333346),
    ("PHI(3.45)", 0.0010382812956614103),
    ("GAUSS(2)", 0.47725),
    ("LOGNORM.DIST(4,3.5,1.2,TRUE)", 0.0390836),
    ("LOGNORM.INV(0.039084,3.5,1.2)", 4.000025),
    ("T.DIST(3,5.2,TRUE)", 0.9849503760512687),          # df truncated to 5
    ("T.DIST(-2,5.2,FALSE)", 0.0650903103262165),
    ("T.DIST.2T(3,5.2)", 0.030099247897462586),
    ("T.DIST.RT(2.3,5.2)", 0.034886234666018645),
    ("T.INV(0.9651137653339814,5.2)", 2.3),
    ("T.INV.2T(0.06977246933203729,5.2)", 2.3),
    ("TDIST(1.959999998,60,2)", 0.054644930),
    ("CHISQ.DIST(12.3,4,TRUE)", 0.9847456053442304),
    ("CHISQ.DIST(12.3,7.2,FALSE)", 0.030107210682426052),
    ("CHISQ.DIST.RT(8,3.34)", 0.04601170568923137),
    ("CHISQ.INV(0.93,1)", 3.283020287),
    ("CHISQ.INV.RT(0.015254394655769613,4)", 12.3),
    ("F.DIST(0.8,2.4,3,TRUE)", 0.4733220523344033),
    ("F.DIST(0.7,4,2.4,FALSE)", 0.40509259259259256),
    ("F.DIST.RT(0.8,2.4,3)", 0.5266779476655967),
    ("F.INV(0.4733220523344033,2.4,3)", 0.8),
    ("F.INV.RT(0.6597222222222223,4,2.4)", 0.7),
    ("BETA.DIST(2,8,10,TRUE,1,3)", 0.6854705810546873),
    ("BETA.DIST(2,8,10,FALSE,1,3)", 1.4837646484375),
    ("BETA.INV(0.6854705810546873,8,10,1,3)", 2.0),
    ("BETADIST(3,2,3,1,10)", 0.21582075903063558),
    ("GAMMA(-3.2)", 0.6890564120059791),
    ("GAMMALN(23.4)", 49.720154482211285),
    ("GAMMA.DIST(10,9,2,TRUE)", 0.06809363472184855),
    ("GAMMA.DIST(10,9,2,FALSE)", 0.032639019674079374),
    ("GAMMA.INV(0.06809363472184855,9,2)", 10.0),
    ("BINOM.DIST(7,8,0.7,TRUE)", 0.94235199),
    ("BINOM.DIST(2.99,10,0.5,TRUE)", 0.0546875),
    ("BINOM.DIST(3,17,0.2,FALSE)", 0.23925373020405763),
    ("BINOM.DIST.RANGE(17,0.2,3,10)", 0.6903019185006181),
    ("BINOM.DIST.RANGE(10,0.000001,2,3)", 4.499976000042004e-11),
    ("BINOM.INV(100000,0.7,0.8)", 70122),
    ("NEGBINOM.DIST(10,2,0.3,TRUE)", 0.914974950051),
    ("NEGBINOM.DIST(3,17,0.2,FALSE)", 6.50284892159999e-10),
    ("HYPGEOM.DIST(1.8,4.2,8.2,22,TRUE)", 0.5349282296650714),
    ("HYPGEOMDIST(1,4,8,18.34)", 0.31372549019607815),
    ("POISSON.DIST(0.999999,5,TRUE)", 0.006737946999085467),
    ("POISSON(2,5,FALSE)", 0.084224),
    ("EXPON.DIST(1,2,TRUE)", 0.8646647167633873),
    ("EXPONDIST(1,2,FALSE)", 0.2706705664732254),
    ("WEIBULL.DIST(0.8,1,9,TRUE)", 0.08505277126996899),
    ("WEIBULL(0.4,1,9,FALSE)", 0.10628097101144768),
    ("CONFIDENCE.NORM(0.05,2.5,50)", 0.692951912),
    ("CONFIDENCE.T(0.05,1,50)", 0.284196855),
    ("T.TEST({3,4,5,8,9,1,2,4,5},{6,19,3,2,14,4,5,17,1},2,1)", 0.196016),
    ("F.TEST({6,7,9,15,21},{20,28,31,38,40})", 0.64831785),
    ("Z.TEST({3,6,7,8,6,5,4,2,1,9},4)", 0.090574),
    ("CHISQ.TEST({58,35;11,25;10,23},{45.35,47.65;17.56,18.44;16.09,16.91})", 0.0003082),
]


@pytest.mark.parametrize("formula, want", DOCUMENTED)
def test_documented_values(formula, want):
    # documentation values are rounded: compare to the digits they give
    assert ev(formula) == approx(want, 1e-9 if len(repr(want)) > 14 else 5e-5)


@pytest.mark.parametrize("formula, err", [
    ("NORM.DIST(1,0,0,TRUE)", NUM), ("NORM.INV(0,0,1)", NUM), ("NORM.S.INV(1)", NUM),
    ("LOGNORM.DIST(0,0,1,TRUE)", NUM), ("T.DIST(1,0.5,TRUE)", NUM), ("T.DIST.2T(-2,5)", NUM),
    ("TDIST(1,5,3)", NUM), ("T.INV.2T(0,5)", NUM), ("CHISQ.DIST(-1,3,TRUE)", NUM),
    ("F.DIST(1,0,3,TRUE)", NUM), ("BETA.DIST(0.5,2,3,TRUE,1,1)", NUM), ("BETA.INV(1,2,3)", NUM),
    ("GAMMA(0)", NUM), ("GAMMA(-2)", NUM), ("GAMMALN(-3.2)", NUM), ("GAMMA.INV(1,9,2)", NUM),
    ("BINOM.DIST(11,10,0.5,TRUE)", NUM), ("BINOM.DIST(2,10,1.5,TRUE)", NUM),
    ("BINOM.DIST.RANGE(10,0.3,5,3)", NUM), ("BINOM.INV(10,0.7,1)", NUM),
    ("NEGBINOM.DIST(2,10,1,TRUE)", NUM), ("HYPGEOM.DIST(5,4,8,20,TRUE)", NUM),
    ("POISSON.DIST(-0.000001,5,TRUE)", NUM), ("EXPON.DIST(1,0,TRUE)", NUM),
    ("WEIBULL.DIST(-1,1,1,TRUE)", NUM), ("CONFIDENCE.T(0.05,1,1)", DIV0), ("CONFIDENCE(1,1,10)", NUM),
    ("T.TEST({1,2,3},{1,2,3},3,1)", NUM), ("F.TEST({1},{1,2})", DIV0), ("Z.TEST(A1:A3,1)", NA),
    ('NORM.DIST(1,0,1,"maybe")', VALUE), ("NORM.DIST(1/0,0,1,TRUE)", DIV0),
])
def test_argument_errors(formula, err):
    assert ev(formula) == err


def test_flags_and_typed_arguments():
    cells = {"A1": "TRUE", "A2": "2", "B1": True}
    assert ev("BINOM.DIST(7,8,0.7,A1)", cells) == approx(0.94235199)   # text "TRUE" is a flag
    assert ev("BINOM.DIST(A2,10,0.3,TRUE)", cells) == approx(0.3827827864)
    assert ev("BINOM.DIST(B1,8,0.7,TRUE)", cells) == approx(0.0012903300000000034)
    assert ev("BINOM.DIST(7,8,0.7,6)", cells) == approx(0.94235199)    # any non-zero number is TRUE


# --- NumPy implementations agree with the scalar ones ------------------------------------------

def _grid(n_args: int):
    rng = np.random.default_rng(7)
    pool = np.array([-2.5, -1.0, -1e-7, 0.0, 0.3, 0.5, 0.97, 1.0, 1.7, 2.0, 3.2, 7.0, 12.5])
    return [rng.choice(pool, 300) for _ in range(n_args)]


VECTORIZED = ["NORM.DIST", "NORM.INV", "NORM.S.DIST", "NORM.S.INV", "NORMSDIST", "PHI", "GAUSS",
              "LOGNORM.DIST", "LOGNORM.INV", "LOGNORMDIST", "T.DIST", "T.DIST.RT", "T.DIST.2T", "T.INV",
              "T.INV.2T", "CHISQ.DIST", "CHISQ.DIST.RT", "F.DIST", "F.DIST.RT", "BETA.DIST", "BETADIST",
              "BETA.INV", "GAMMA", "GAMMALN", "GAMMA.DIST", "GAMMA.INV", "BINOM.DIST", "POISSON.DIST",
              "EXPON.DIST", "WEIBULL.DIST", "CONFIDENCE.NORM", "STANDARDIZE", "FISHER", "FISHERINV"]


@pytest.mark.parametrize("name", VECTORIZED)
@pytest.mark.parametrize("cumulative", [True, False])
def test_vector_matches_scalar(name, cumulative):
    spec = registry.get(name)
    assert spec.vector is not None
    kinds = spec.kinds
    numeric = [k for k in kinds if k != "bool"]
    cols = _grid(len(numeric))
    args = []
    it = iter(cols)
    for k in kinds:
        args.append(cumulative if k == "bool" else next(it))
    with np.errstate(all="ignore"):
        vec = np.asarray(spec.vector(*args), dtype=float)
    for i in range(len(cols[0])):
        scalar_args = [a if isinstance(a, bool) else float(a[i]) for a in args]
        try:
            want = spec.impl(*scalar_args)
        except XLError:
            want = None
        except (ValueError, OverflowError, ZeroDivisionError):
            want = None
        if isinstance(want, float) and not math.isfinite(want):
            want = None
        got = vec[i]
        if want is None:
            assert not math.isfinite(got), (name, scalar_args, got)
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-300), (name, scalar_args)


def test_monte_carlo_scenarios_use_the_vector_path():
    m = make_model({"A1": "=RiskNormal(0,1)", "B1": "=RiskOutput()+NORM.DIST(A1,0,1,TRUE)"})
    r = m.simulate(2000, seed=3)
    x = r.inputs[0].values
    y = r.outputs[0].values
    from scipy.special import ndtr
    assert np.allclose(y, ndtr(x), rtol=1e-12)
