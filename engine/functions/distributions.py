"""Excel's probability distributions and statistical tests: normal,
lognormal, Student t, chi-squared, F, beta, gamma, binomial, negative
binomial, hypergeometric, Poisson, exponential and Weibull (densities,
cumulative and inverse functions), confidence intervals and the Z/T/F/
chi-squared tests.

The numerics come from ``scipy.special``; the argument checks and error codes
are Excel's (mostly #NUM! for a value outside a parameter's domain).  Degrees
of freedom and counts are truncated to whole numbers, as Excel does.  The
elementwise functions also register NumPy versions (``vector=``) used for
Monte Carlo scenario vectors, where an invalid argument gives #NUM!.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import special as sp
from scipy import stats

from ..values import DIV0, NA, NUM
from . import helpers
from .registry import function

CAT = "statistical"
_SQRT2PI = math.sqrt(2 * math.pi)


def _need(ok: bool) -> None:
    """#NUM! unless a domain condition holds."""
    if not ok:
        raise NUM


def _f(x) -> float:
    x = float(x)
    if math.isnan(x):
        raise NUM
    return x


def _nan_unless(ok, value):
    """Vector form of the domain checks: NaN (-> #NUM!) where ``ok`` fails."""
    return np.where(ok, value, np.nan)


def _arr(*xs):
    return np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in xs))


# --- normal -----------------------------------------------------------------------------

def _norm(x, mean, sd, cumulative):
    _need(sd > 0)
    z = (x - mean) / sd
    if cumulative:
        return _f(sp.ndtr(z))
    return math.exp(-0.5 * z * z) / (_SQRT2PI * sd)


def _norm_vec(x, mean, sd, cumulative=True):
    x, mean, sd = _arr(x, mean, sd)
    safe = np.where(sd > 0, sd, 1.0)
    z = (x - mean) / safe
    v = sp.ndtr(z) if cumulative else np.exp(-0.5 * z * z) / (_SQRT2PI * safe)
    return _nan_unless(sd > 0, v)


@function("NORM.DIST", "number, number, number, bool", category=CAT, aliases=("NORMDIST",), vector=_norm_vec)
def NORM_DIST(x, mean, sd, cumulative):
    """Normal distribution (density or cumulative)."""
    return _norm(x, mean, sd, cumulative)


def _norm_inv(p, mean, sd):
    _need(0 < p < 1 and sd > 0)
    return mean + sd * _f(sp.ndtri(p))


def _norm_inv_vec(p, mean, sd):
    p, mean, sd = _arr(p, mean, sd)
    ok = (p > 0) & (p < 1) & (sd > 0)
    return _nan_unless(ok, mean + sd * sp.ndtri(np.where(ok, p, 0.5)))


@function("NORM.INV", "number, number, number", category=CAT, aliases=("NORMINV",), vector=_norm_inv_vec)
def NORM_INV(p, mean, sd):
    """Inverse of the normal cumulative distribution."""
    return _norm_inv(p, mean, sd)


@function("NORM.S.DIST", "number, bool", category=CAT,
          vector=lambda z, cumulative: _norm_vec(z, 0.0, 1.0, cumulative))
def NORM_S_DIST(z, cumulative):
    """Standard normal distribution (density or cumulative)."""
    return _norm(z, 0.0, 1.0, cumulative)


@function("NORMSDIST", "number", category=CAT, vector=lambda z: _norm_vec(z, 0.0, 1.0, True))
def NORMSDIST(z):
    """Standard normal cumulative distribution."""
    return _norm(z, 0.0, 1.0, True)


@function("NORM.S.INV", "number", category=CAT, aliases=("NORMSINV",),
          vector=lambda p: _norm_inv_vec(p, 0.0, 1.0))
def NORM_S_INV(p):
    """Inverse of the standard normal cumulative distribution."""
    return _norm_inv(p, 0.0, 1.0)


@function("PHI", "number", category=CAT, vector=lambda x: _norm_vec(x, 0.0, 1.0, False))
def PHI(x):
    """Standard normal density."""
    return _norm(x, 0.0, 1.0, False)


@function("GAUSS", "number", category=CAT,
          vector=lambda z: 0.5 * sp.erf(np.asarray(z, dtype=np.float64) / math.sqrt(2)))
def GAUSS(z):
    """Probability that a standard normal value lies between the mean and z
    standard deviations from it: NORM.S.DIST(z, TRUE) - 0.5."""
    # erf keeps the digits near z = 0 that ndtr(z) - 0.5 would cancel away
    return 0.5 * math.erf(z / math.sqrt(2))


# --- lognormal ----------------------------------------------------------------------------

def _lognorm(x, mean, sd, cumulative):
    _need(x > 0 and sd > 0)
    z = (math.log(x) - mean) / sd
    if cumulative:
        return _f(sp.ndtr(z))
    return math.exp(-0.5 * z * z) / (_SQRT2PI * sd * x)


def _lognorm_vec(x, mean, sd, cumulative=True):
    x, mean, sd = _arr(x, mean, sd)
    ok = (x > 0) & (sd > 0)
    sx = np.where(ok, x, 1.0)
    ss = np.where(ok, sd, 1.0)
    z = (np.log(sx) - mean) / ss
    v = sp.ndtr(z) if cumulative else np.exp(-0.5 * z * z) / (_SQRT2PI * ss * sx)
    return _nan_unless(ok, v)


@function("LOGNORM.DIST", "number, number, number, bool", category=CAT, vector=_lognorm_vec)
def LOGNORM_DIST(x, mean, sd, cumulative):
    """Lognormal distribution of x, ln(x) being normal(mean, sd)."""
    return _lognorm(x, mean, sd, cumulative)


@function("LOGNORMDIST", "number, number, number", category=CAT,
          vector=lambda x, m, s: _lognorm_vec(x, m, s, True))
def LOGNORMDIST(x, mean, sd):
    """Lognormal cumulative distribution."""
    return _lognorm(x, mean, sd, True)


def _lognorm_inv_vec(p, mean, sd):
    return np.exp(_norm_inv_vec(p, mean, sd))


@function("LOGNORM.INV", "number, number, number", category=CAT, aliases=("LOGINV",), vector=_lognorm_inv_vec)
def LOGNORM_INV(p, mean, sd):
    """Inverse of the lognormal cumulative distribution."""
    return math.exp(_norm_inv(p, mean, sd))


# --- Student's t --------------------------------------------------------------------------

def _df(df, lo=1.0):
    d = math.trunc(df)
    _need(d >= lo)
    return d


def _t_pdf(x, d):
    return math.exp(sp.gammaln((d + 1) / 2) - sp.gammaln(d / 2) - 0.5 * math.log(d * math.pi)
                    - (d + 1) / 2 * math.log1p(x * x / d))


def _t_vec(x, df, cumulative=True):
    x, df = _arr(x, df)
    d = np.trunc(df)
    ok = d >= 1
    d = np.where(ok, d, 1.0)
    if cumulative:
        v = sp.stdtr(d, x)
    else:
        v = np.exp(sp.gammaln((d + 1) / 2) - sp.gammaln(d / 2) - 0.5 * np.log(d * np.pi)
                   - (d + 1) / 2 * np.log1p(x * x / d))
    return _nan_unless(ok, v)


@function("T.DIST", "number, number, bool", category=CAT, vector=_t_vec)
def T_DIST(x, df, cumulative):
    """Student's t distribution (left tail or density)."""
    d = _df(df)
    return _f(sp.stdtr(d, x)) if cumulative else _t_pdf(x, d)


@function("T.DIST.RT", "number, number", category=CAT, vector=lambda x, df: _t_vec(-np.asarray(x), df))
def T_DIST_RT(x, df):
    """Right tail of Student's t distribution."""
    return _f(sp.stdtr(_df(df), -x))


@function("T.DIST.2T", "number, number", category=CAT,
          vector=lambda x, df: _nan_unless(np.asarray(x) >= 0, 2 * _t_vec(-np.abs(x), df)))
def T_DIST_2T(x, df):
    """Two-tailed Student's t distribution (x >= 0)."""
    _need(x >= 0)
    return 2 * _f(sp.stdtr(_df(df), -x))


@function("TDIST", "number, number, number", category=CAT)
def TDIST(x, df, tails):
    """Student's t tail probability, one- or two-tailed (legacy)."""
    t = math.trunc(tails)
    _need(x >= 0 and t in (1, 2))
    return t * _f(sp.stdtr(_df(df), -x))


def _t_inv_vec(p, df):
    p, df = _arr(p, df)
    d = np.trunc(df)
    ok = (p > 0) & (p < 1) & (d >= 1)
    return _nan_unless(ok, sp.stdtrit(np.where(ok, d, 1.0), np.where(ok, p, 0.5)))


@function("T.INV", "number, number", category=CAT, vector=_t_inv_vec)
def T_INV(p, df):
    """Inverse of the left-tailed Student's t distribution."""
    _need(0 < p < 1)
    return _f(sp.stdtrit(_df(df), p))


@function("T.INV.2T", "number, number", category=CAT, aliases=("TINV",),
          vector=lambda p, df: _nan_unless(np.asarray(p) <= 1, -_t_inv_vec(np.asarray(p) / 2, df)))
def T_INV_2T(p, df):
    """Inverse of the two-tailed Student's t distribution."""
    _need(0 < p <= 1)
    return abs(_f(sp.stdtrit(_df(df), p / 2)))


# --- chi-squared -------------------------------------------------------------------------

def _chi_df(df):
    d = math.trunc(df)
    _need(1 <= d <= 1e10)
    return d


def _chi_vec(x, df, cumulative=True, right=False):
    x, df = _arr(x, df)
    d = np.trunc(df)
    ok = (x >= 0) & (d >= 1) & (d <= 1e10)
    d = np.where(ok, d, 1.0)
    xs = np.where(ok, x, 1.0)
    if right:
        v = sp.chdtrc(d, xs)
    elif cumulative:
        v = sp.chdtr(d, xs)
    else:
        v = stats.chi2.pdf(xs, d)
    return _nan_unless(ok, v)


@function("CHISQ.DIST", "number, number, bool", category=CAT, vector=_chi_vec)
def CHISQ_DIST(x, df, cumulative):
    """Chi-squared distribution (left tail or density)."""
    d = _chi_df(df)
    _need(x >= 0)
    if cumulative:
        return _f(sp.chdtr(d, x))
    return _f(stats.chi2.pdf(x, d))


@function("CHISQ.DIST.RT", "number, number", category=CAT, aliases=("CHIDIST",),
          vector=lambda x, df: _chi_vec(x, df, right=True))
def CHISQ_DIST_RT(x, df):
    """Right tail of the chi-squared distribution."""
    d = _chi_df(df)
    _need(x >= 0)
    return _f(sp.chdtrc(d, x))


@function("CHISQ.INV", "number, number", category=CAT)
def CHISQ_INV(p, df):
    """Inverse of the left-tailed chi-squared distribution."""
    d = _chi_df(df)
    _need(0 <= p < 1)
    return 2 * _f(sp.gammaincinv(d / 2, p))


@function("CHISQ.INV.RT", "number, number", category=CAT, aliases=("CHIINV",))
def CHISQ_INV_RT(p, df):
    """Inverse of the right-tailed chi-squared distribution."""
    d = _chi_df(df)
    _need(0 < p <= 1)
    return 2 * _f(sp.gammainccinv(d / 2, p))


# --- F -------------------------------------------------------------------------------------

def _f_dfs(d1, d2):
    a, b = math.trunc(d1), math.trunc(d2)
    _need(1 <= a < 1e10 and 1 <= b < 1e10)
    return a, b


def _f_vec(x, d1, d2, cumulative=True, right=False):
    x, d1, d2 = _arr(x, d1, d2)
    a, b = np.trunc(d1), np.trunc(d2)
    ok = (x >= 0) & (a >= 1) & (b >= 1)
    a, b, xs = np.where(ok, a, 1.0), np.where(ok, b, 1.0), np.where(ok, x, 1.0)
    if right:
        v = sp.fdtrc(a, b, xs)
    elif cumulative:
        v = sp.fdtr(a, b, xs)
    else:
        v = stats.f.pdf(xs, a, b)
    return _nan_unless(ok, v)


@function("F.DIST", "number, number, number, bool", category=CAT, vector=_f_vec)
def F_DIST(x, d1, d2, cumulative):
    """F distribution (left tail or density)."""
    a, b = _f_dfs(d1, d2)
    _need(x >= 0)
    if cumulative:
        return _f(sp.fdtr(a, b, x))
    return _f(stats.f.pdf(x, a, b))


@function("F.DIST.RT", "number, number, number", category=CAT, aliases=("FDIST",),
          vector=lambda x, a, b: _f_vec(x, a, b, right=True))
def F_DIST_RT(x, d1, d2):
    """Right tail of the F distribution."""
    a, b = _f_dfs(d1, d2)
    _need(x >= 0)
    return _f(sp.fdtrc(a, b, x))


@function("F.INV", "number, number, number", category=CAT)
def F_INV(p, d1, d2):
    """Inverse of the left-tailed F distribution."""
    a, b = _f_dfs(d1, d2)
    _need(0 <= p < 1)
    y = _f(sp.betaincinv(a / 2, b / 2, p))
    return b * y / (a * (1 - y)) if y < 1 else _f(math.inf)


@function("F.INV.RT", "number, number, number", category=CAT, aliases=("FINV",))
def F_INV_RT(p, d1, d2):
    """Inverse of the right-tailed F distribution."""
    a, b = _f_dfs(d1, d2)
    _need(0 < p <= 1)
    # the right tail at x is I_{b/(b+a x)}(b/2, a/2): invert that directly
    y = _f(sp.betaincinv(b / 2, a / 2, p))
    _need(y > 0)
    return b * (1 - y) / (a * y)


# --- beta --------------------------------------------------------------------------------

def _beta(x, alpha, beta, cumulative, lo, hi):
    _need(alpha > 0 and beta > 0 and lo < hi and lo <= x <= hi)
    t = (x - lo) / (hi - lo)
    if cumulative:
        return _f(sp.betainc(alpha, beta, t))
    return _f(stats.beta.pdf(t, alpha, beta)) / (hi - lo)


def _beta_vec(x, a, b, cumulative=True, lo=0.0, hi=1.0):
    x, a, b, lo, hi = _arr(x, a, b, lo, hi)
    ok = (a > 0) & (b > 0) & (lo < hi) & (x >= lo) & (x <= hi)
    a, b = np.where(ok, a, 1.0), np.where(ok, b, 1.0)
    w = np.where(ok, hi - lo, 1.0)
    t = np.where(ok, (x - lo) / w, 0.5)
    v = sp.betainc(a, b, t) if cumulative else stats.beta.pdf(t, a, b) / w
    return _nan_unless(ok, v)


@function("BETA.DIST", "number, number, number, bool, number?, number?", category=CAT, vector=_beta_vec)
def BETA_DIST(x, alpha, beta, cumulative, lo=0.0, hi=1.0):
    """Beta distribution on [lo, hi] (density or cumulative)."""
    return _beta(x, alpha, beta, cumulative, lo, hi)


@function("BETADIST", "number, number, number, number?, number?", category=CAT,
          vector=lambda x, a, b, lo=0.0, hi=1.0: _beta_vec(x, a, b, True, lo, hi))
def BETADIST(x, alpha, beta, lo=0.0, hi=1.0):
    """Beta cumulative distribution on [lo, hi] (legacy)."""
    return _beta(x, alpha, beta, True, lo, hi)


def _beta_inv_vec(p, a, b, lo=0.0, hi=1.0):
    p, a, b, lo, hi = _arr(p, a, b, lo, hi)
    ok = (p > 0) & (p < 1) & (a > 0) & (b > 0) & (lo < hi)
    t = sp.betaincinv(np.where(ok, a, 1.0), np.where(ok, b, 1.0), np.where(ok, p, 0.5))
    return _nan_unless(ok, lo + (hi - lo) * t)


@function("BETA.INV", "number, number, number, number?, number?", category=CAT, aliases=("BETAINV",),
          vector=_beta_inv_vec)
def BETA_INV(p, alpha, beta, lo=0.0, hi=1.0):
    """Inverse of the beta cumulative distribution on [lo, hi]."""
    _need(0 < p < 1 and alpha > 0 and beta > 0 and lo < hi)
    return lo + (hi - lo) * _f(sp.betaincinv(alpha, beta, p))


# --- gamma ---------------------------------------------------------------------------------

def _gamma_fn_vec(x):
    x = np.asarray(x, dtype=np.float64)
    bad = (x <= 0) & (x == np.floor(x))
    return _nan_unless(~bad, sp.gamma(np.where(bad, 1.0, x)))


@function("GAMMA", "number", category=CAT, vector=_gamma_fn_vec)
def GAMMA(x):
    """The gamma function (not defined at 0 and negative integers)."""
    _need(not (x <= 0 and x == math.floor(x)))
    return _f(sp.gamma(x))


def _gammaln_vec(x):
    x = np.asarray(x, dtype=np.float64)
    return _nan_unless(x > 0, sp.gammaln(np.where(x > 0, x, 1.0)))


@function("GAMMALN", "number", category=CAT, aliases=("GAMMALN.PRECISE",), vector=_gammaln_vec)
def GAMMALN(x):
    """Natural logarithm of the gamma function, x > 0."""
    _need(x > 0)
    return _f(sp.gammaln(x))


def _gamma_dist(x, alpha, beta, cumulative):
    _need(x >= 0 and alpha > 0 and beta > 0)
    if cumulative:
        return _f(sp.gammainc(alpha, x / beta))
    return _f(stats.gamma.pdf(x, alpha, scale=beta))


def _gamma_vec(x, a, b, cumulative=True):
    x, a, b = _arr(x, a, b)
    ok = (x >= 0) & (a > 0) & (b > 0)
    a, b, xs = np.where(ok, a, 1.0), np.where(ok, b, 1.0), np.where(ok, x, 1.0)
    v = sp.gammainc(a, xs / b) if cumulative else stats.gamma.pdf(xs, a, scale=b)
    return _nan_unless(ok, v)


@function("GAMMA.DIST", "number, number, number, bool", category=CAT, aliases=("GAMMADIST",), vector=_gamma_vec)
def GAMMA_DIST(x, alpha, beta, cumulative):
    """Gamma distribution with shape alpha and scale beta."""
    return _gamma_dist(x, alpha, beta, cumulative)


def _gamma_inv_vec(p, a, b):
    p, a, b = _arr(p, a, b)
    ok = (p >= 0) & (p < 1) & (a > 0) & (b > 0)
    v = sp.gammaincinv(np.where(ok, a, 1.0), np.where(ok, p, 0.5)) * b
    return _nan_unless(ok, v)


@function("GAMMA.INV", "number, number, number", category=CAT, aliases=("GAMMAINV",), vector=_gamma_inv_vec)
def GAMMA_INV(p, alpha, beta):
    """Inverse of the gamma cumulative distribution."""
    _need(0 <= p < 1 and alpha > 0 and beta > 0)
    return beta * _f(sp.gammaincinv(alpha, p))


# --- binomial family -----------------------------------------------------------------------

def _whole(x: float) -> int:
    """A count: negative values are #NUM! before fractions are truncated."""
    _need(x >= 0)
    return math.trunc(x)


def _binom_pmf(k: int, n: int, p: float) -> float:
    if p == 0:
        return 1.0 if k == 0 else 0.0
    if p == 1:
        return 1.0 if k == n else 0.0
    return _f(stats.binom.pmf(k, n, p))


def _binom_cdf(k: int, n: int, p: float) -> float:
    if k >= n:
        return 1.0
    if p == 0:
        return 1.0
    if p == 1:
        return 0.0
    return _f(sp.bdtr(k, n, p))


def _binom_vec(s, n, p, cumulative=True):
    s, n, p = _arr(s, n, p)
    ok = (s >= 0) & (n >= 0) & (np.trunc(s) <= np.trunc(n)) & (p >= 0) & (p <= 1)
    s, n = np.trunc(s), np.trunc(n)
    v = stats.binom.cdf(s, n, p) if cumulative else stats.binom.pmf(s, n, p)
    return _nan_unless(ok, v)


@function("BINOM.DIST", "number, number, number, bool", category=CAT, aliases=("BINOMDIST",), vector=_binom_vec)
def BINOM_DIST(s, n, p, cumulative):
    """Binomial distribution: probability of s successes in n trials."""
    s, n = _whole(s), _whole(n)
    _need(s <= n and n < 1e15 and 0 <= p <= 1)
    return _binom_cdf(s, n, p) if cumulative else _binom_pmf(s, n, p)


@function("BINOM.DIST.RANGE", "number, number, number, number?", category=CAT)
def BINOM_DIST_RANGE(n, p, s, s2=None):
    """Probability of between s and s2 successes in n trials."""
    n, s = _whole(n), _whole(s)
    s2 = s if s2 is None else _whole(s2)
    _need(0 <= p <= 1 and 0 <= s <= n and s <= s2 <= n)
    if p in (0.0, 1.0):
        k = 0 if p == 0 else n
        return 1.0 if s <= k <= s2 else 0.0
    if s2 - s <= 100_000:
        ks = np.arange(s, s2 + 1)
        return math.fsum(stats.binom.pmf(ks, n, p))
    return _binom_cdf(s2, n, p) - (_binom_cdf(s - 1, n, p) if s > 0 else 0.0)


@function("BINOM.INV", "number, number, number", category=CAT, aliases=("CRITBINOM",))
def BINOM_INV(n, p, alpha):
    """Smallest number of successes whose cumulative binomial probability
    reaches alpha."""
    n = _whole(n)
    _need(n >= 0 and 0 < p < 1 and 0 < alpha < 1)
    k = int(stats.binom.ppf(alpha, n, p))
    k = min(max(k, 0), n)
    while k > 0 and _binom_cdf(k - 1, n, p) >= alpha:
        k -= 1
    while k < n and _binom_cdf(k, n, p) < alpha:
        k += 1
    return float(k)


def _negbinom(f, s, p, cumulative):
    f, s = _whole(f), _whole(s)
    _need(f >= 0 and s >= 1 and 0 < p < 1)
    if cumulative:
        return _f(sp.betainc(s, f + 1, p))
    return _f(stats.nbinom.pmf(f, s, p))


@function("NEGBINOM.DIST", "number, number, number, bool", category=CAT)
def NEGBINOM_DIST(f, s, p, cumulative):
    """Negative binomial: probability of f failures before the s-th success."""
    return _negbinom(f, s, p, cumulative)


@function("NEGBINOMDIST", "number, number, number", category=CAT)
def NEGBINOMDIST(f, s, p):
    """Negative binomial probability (legacy, density only)."""
    return _negbinom(f, s, p, False)


def _hypgeom(s, n, big_m, big_n, cumulative):
    s, n, big_m, big_n = (_whole(v) for v in (s, n, big_m, big_n))
    _need(0 < big_n and 0 < n <= big_n and 0 < big_m <= big_n)
    _need(max(0, n - big_n + big_m) <= s <= min(n, big_m))
    if cumulative:
        return _f(stats.hypergeom.cdf(s, big_n, big_m, n))
    return _f(stats.hypergeom.pmf(s, big_n, big_m, n))


@function("HYPGEOM.DIST", "number, number, number, number, bool", category=CAT)
def HYPGEOM_DIST(s, n, pop_s, pop_n, cumulative):
    """Hypergeometric distribution: s successes in a sample of n drawn from a
    population of pop_n holding pop_s successes."""
    return _hypgeom(s, n, pop_s, pop_n, cumulative)


@function("HYPGEOMDIST", "number, number, number, number", category=CAT)
def HYPGEOMDIST(s, n, pop_s, pop_n):
    """Hypergeometric probability (legacy, density only)."""
    return _hypgeom(s, n, pop_s, pop_n, False)


# --- Poisson, exponential, Weibull -------------------------------------------------------------

def _poisson_vec(x, mean, cumulative=True):
    x, mean = _arr(x, mean)
    k = np.trunc(x)
    ok = (x >= 0) & (mean >= 0)
    v = stats.poisson.cdf(k, mean) if cumulative else stats.poisson.pmf(k, mean)
    return _nan_unless(ok, v)


@function("POISSON.DIST", "number, number, bool", category=CAT, aliases=("POISSON",), vector=_poisson_vec)
def POISSON_DIST(x, mean, cumulative):
    """Poisson distribution: probability of x events when mean are expected."""
    x = _whole(x)
    _need(mean >= 0)
    if mean == 0:
        return 1.0 if (cumulative or x == 0) else 0.0
    if cumulative:
        return _f(sp.pdtr(x, mean))
    return _f(stats.poisson.pmf(x, mean))


def _expon_vec(x, lam, cumulative=True):
    x, lam = _arr(x, lam)
    ok = (x >= 0) & (lam > 0)
    v = -np.expm1(-lam * x) if cumulative else lam * np.exp(-lam * x)
    return _nan_unless(ok, v)


@function("EXPON.DIST", "number, number, bool", category=CAT, aliases=("EXPONDIST",), vector=_expon_vec)
def EXPON_DIST(x, lam, cumulative):
    """Exponential distribution with rate lambda."""
    _need(x >= 0 and lam > 0)
    return -math.expm1(-lam * x) if cumulative else lam * math.exp(-lam * x)


def _weibull_vec(x, a, b, cumulative=True):
    x, a, b = _arr(x, a, b)
    ok = (x >= 0) & (a > 0) & (b > 0)
    a, b = np.where(ok, a, 1.0), np.where(ok, b, 1.0)
    t = np.power(np.where(ok, x, 0.0) / b, a)
    v = -np.expm1(-t) if cumulative else a / b * np.power(np.where(ok, x, 1.0) / b, a - 1) * np.exp(-t)
    return _nan_unless(ok, v)


@function("WEIBULL.DIST", "number, number, number, bool", category=CAT, aliases=("WEIBULL",),
          vector=_weibull_vec)
def WEIBULL_DIST(x, alpha, beta, cumulative):
    """Weibull distribution with shape alpha and scale beta."""
    _need(x >= 0 and alpha > 0 and beta > 0)
    t = (x / beta) ** alpha
    if cumulative:
        return -math.expm1(-t)
    return alpha / beta * (x / beta) ** (alpha - 1) * math.exp(-t)


# --- confidence intervals and tests --------------------------------------------------------

def _conf_norm_vec(alpha, sd, size):
    alpha, sd, size = _arr(alpha, sd, size)
    n = np.trunc(size)
    ok = (alpha > 0) & (alpha < 1) & (sd > 0) & (n >= 1)
    v = sp.ndtri(1 - np.where(ok, alpha, 0.5) / 2) * sd / np.sqrt(np.where(ok, n, 1.0))
    return _nan_unless(ok, v)


@function("CONFIDENCE.NORM", "number, number, number", category=CAT, aliases=("CONFIDENCE",),
          vector=_conf_norm_vec)
def CONFIDENCE_NORM(alpha, sd, size):
    """Half-width of the normal confidence interval for a mean."""
    n = math.trunc(size)
    _need(0 < alpha < 1 and sd > 0 and n >= 1)
    return -_f(sp.ndtri(alpha / 2)) * sd / math.sqrt(n)


@function("CONFIDENCE.T", "number, number, number", category=CAT)
def CONFIDENCE_T(alpha, sd, size):
    """Half-width of the Student's t confidence interval for a mean."""
    n = math.trunc(size)
    _need(0 < alpha < 1 and sd > 0 and n >= 1)
    if n == 1:
        raise DIV0
    return -_f(sp.stdtrit(n - 1, alpha / 2)) * sd / math.sqrt(n)


@function("Z.TEST", "raw, number, number?", category=CAT, aliases=("ZTEST",), array_args=(0,))
def Z_TEST(array, x, sigma=None):
    """One-tailed p-value of a z-test of the mean of the data against x."""
    xs = helpers.numbers([array])
    n = len(xs)
    if n == 0:
        raise NA
    mean = math.fsum(xs) / n
    if sigma is None:
        if n < 2:
            raise DIV0
        sigma = math.sqrt(math.fsum((v - mean) ** 2 for v in xs) / (n - 1))
    elif sigma <= 0:
        raise NUM
    if sigma == 0:
        raise DIV0
    return _f(sp.ndtr(-(mean - x) / (sigma / math.sqrt(n))))


def _paired(a, b):
    av, bv = helpers.flat_values(a), helpers.flat_values(b)
    if len(av) != len(bv):
        raise NA
    err = helpers.first_error(av) or helpers.first_error(bv)
    if err:
        raise err
    return [(x, y) for x, y in zip(av, bv) if _num(x) and _num(y)]


def _num(v) -> bool:
    return isinstance(v, float) and not isinstance(v, bool)


def _sample(arg) -> list[float]:
    vals = helpers.flat_values(arg)
    err = helpers.first_error(vals)
    if err:
        raise err
    return [v for v in vals if _num(v)]


def _mv(xs):
    n = len(xs)
    m = math.fsum(xs) / n
    return m, math.fsum((v - m) ** 2 for v in xs) / (n - 1)


@function("T.TEST", "raw, raw, number, number", category=CAT, aliases=("TTEST",), array_args=(0, 1))
def T_TEST(array1, array2, tails, type_):
    """p-value of Student's t-test: paired (type 1), equal variances (2) or
    unequal variances (3), one- or two-tailed."""
    tails, type_ = math.trunc(tails), math.trunc(type_)
    _need(tails in (1, 2) and type_ in (1, 2, 3))
    if type_ == 1:
        pairs = _paired(array1, array2)
        d = [x - y for x, y in pairs]
        n = len(d)
        if n < 2:
            raise DIV0
        m, v = _mv(d)
        if v == 0:
            raise DIV0
        t = m / math.sqrt(v / n)
        df = n - 1
    else:
        xs, ys = _sample(array1), _sample(array2)
        n1, n2 = len(xs), len(ys)
        if n1 < 2 or n2 < 2:
            raise DIV0
        m1, v1 = _mv(xs)
        m2, v2 = _mv(ys)
        if type_ == 2:
            df = n1 + n2 - 2
            pooled = ((n1 - 1) * v1 + (n2 - 1) * v2) / df
            se = math.sqrt(pooled * (1 / n1 + 1 / n2))
        else:
            a, b = v1 / n1, v2 / n2
            se = math.sqrt(a + b)
            if a + b == 0:
                raise DIV0
            df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
        if se == 0:
            raise DIV0
        t = (m1 - m2) / se
    return tails * _f(sp.stdtr(df, -abs(t)))


@function("F.TEST", "raw, raw", category=CAT, aliases=("FTEST",), array_args="all")
def F_TEST(array1, array2):
    """Two-tailed p-value of the F-test that two samples have equal variances."""
    xs, ys = _sample(array1), _sample(array2)
    if len(xs) < 2 or len(ys) < 2:
        raise DIV0
    _, v1 = _mv(xs)
    _, v2 = _mv(ys)
    if v1 == 0 or v2 == 0:
        raise DIV0
    f = v1 / v2
    d1, d2 = len(xs) - 1, len(ys) - 1
    p = sp.fdtr(d1, d2, f)
    return _f(2 * min(p, 1 - p))


@function("CHISQ.TEST", "raw, raw", category=CAT, aliases=("CHITEST",), array_args="all")
def CHISQ_TEST(actual, expected):
    """p-value of the chi-squared independence test of observed against
    expected frequencies."""
    a, e = helpers.as_2d(actual), helpers.as_2d(expected)
    if a.shape != e.shape:
        raise NA
    pairs = _paired(a, e)
    rows, cols = a.shape
    df = (rows - 1) * (cols - 1) if rows > 1 and cols > 1 else rows * cols - 1
    if df < 1 or not pairs:
        raise NA
    chi = 0.0
    for o, ex in pairs:
        if ex <= 0:
            raise DIV0 if ex == 0 else NUM
        chi += (o - ex) ** 2 / ex
    return _f(sp.chdtrc(df, chi))
