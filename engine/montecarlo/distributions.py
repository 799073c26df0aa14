"""Probability distributions for random inputs, all sampled by inverse CDF.

Every distribution turns uniforms ``u`` in (0, 1) into draws through its
quantile function, so Latin hypercube, Sobol, HDR and copula correlation all
work the same way: they only shape the uniforms.  Parameters may be scalars
or per-scenario arrays (NumPy broadcasting).

Parameterisations follow the vendors' published definitions:
LOGNORMAL takes the mean and standard deviation of the variable itself
(@RISK RiskLognorm), LOGNORMAL2 those of its logarithm; PERT's default shape
is 4; GAMMA is (shape, scale); EXPON takes the mean; WEIBULL is (shape,
scale); PARETO is (shape theta, minimum alpha); NEGBIN and GEOMETRIC count
failures before the s-th / first success.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy import special, stats

from .fastdraw import normal_ppf

EPS = 1e-12


class DistributionError(ValueError):
    """Bad parameters: the message names the distribution and the parameter."""


@dataclass
class Dist:
    name: str
    params: list[str]
    ppf: Callable                     # (u, *params) -> draws
    mean: Callable                    # (*params) -> float
    cdf: Callable | None = None       # (x, *params) -> F(x), for truncation
    discrete: bool = False
    check: Callable | None = None     # (*params) -> message or None
    optional: dict = field(default_factory=dict)   # param name -> default
    scipy: Callable | None = None     # (*params) -> frozen scipy distribution (tests)
    array_params: tuple[int, ...] = ()   # indexes of parameters that are value lists

    @property
    def min_args(self) -> int:
        return len(self.params) - len(self.optional)


DISTRIBUTIONS: dict[str, Dist] = {}


def _register(d: Dist) -> Dist:
    DISTRIBUTIONS[d.name] = d
    return d


def _clip(u):
    return np.clip(u, EPS, 1 - EPS)


def _need(cond: bool, msg: str):
    return None if cond else msg


# --- continuous, closed form or scipy ------------------------------------------------

_register(Dist("NORMAL", ["mean", "sd"],
               ppf=lambda u, m, s: normal_ppf(u, m, s, EPS),
               mean=lambda m, s: m,
               cdf=lambda x, m, s: special.ndtr((x - m) / s),
               check=lambda m, s: _need(np.all(np.asarray(s) >= 0), "sd must be >= 0"),
               scipy=lambda m, s: stats.norm(m, s)))


def _truncnorm_ppf(u, m, s, lo, hi):
    a, b = special.ndtr((lo - m) / s), special.ndtr((hi - m) / s)
    return m + s * special.ndtri(_clip(a + u * (b - a)))


_register(Dist("TRUNCNORMAL", ["mean", "sd", "min", "max"],
               ppf=_truncnorm_ppf,
               mean=lambda m, s, lo, hi: float(stats.truncnorm((lo - m) / s, (hi - m) / s, m, s).mean()),
               cdf=lambda x, m, s, lo, hi: np.clip((special.ndtr((x - m) / s) - special.ndtr((lo - m) / s))
                                                   / (special.ndtr((hi - m) / s) - special.ndtr((lo - m) / s)), 0, 1),
               check=lambda m, s, lo, hi: _need(np.all(np.asarray(s) > 0) and np.all(np.asarray(lo) < np.asarray(hi)),
                                                "needs sd > 0 and min < max"),
               optional={"min": -np.inf, "max": np.inf},
               scipy=lambda m, s, lo, hi: stats.truncnorm((lo - m) / s, (hi - m) / s, m, s)))


def _lognorm_musigma(mean, sd):
    mean, sd = np.asarray(mean, float), np.asarray(sd, float)
    sigma2 = np.log1p((sd / mean) ** 2)
    return np.log(mean) - sigma2 / 2, np.sqrt(sigma2)


def _lognormal_ppf(u, mean, sd):
    mu, sigma = _lognorm_musigma(mean, sd)
    return np.exp(normal_ppf(u, mu, sigma, EPS))


def _lognormal_cdf(x, mean, sd):
    mu, sigma = _lognorm_musigma(mean, sd)
    with np.errstate(divide="ignore"):
        return special.ndtr((np.log(np.maximum(x, 1e-300)) - mu) / sigma) * (np.asarray(x) > 0)


_register(Dist("LOGNORMAL", ["mean", "sd"], ppf=_lognormal_ppf, mean=lambda m, s: m, cdf=_lognormal_cdf,
               check=lambda m, s: _need(np.all(np.asarray(m) > 0) and np.all(np.asarray(s) > 0),
                                        "needs mean > 0 and sd > 0"),
               scipy=lambda m, s: stats.lognorm(_lognorm_musigma(m, s)[1], scale=np.exp(_lognorm_musigma(m, s)[0]))))

_register(Dist("LOGNORMAL2", ["mu", "sigma"],
               ppf=lambda u, mu, sg: np.exp(normal_ppf(u, mu, sg, EPS)),
               mean=lambda mu, sg: math.exp(mu + sg * sg / 2),
               cdf=lambda x, mu, sg: special.ndtr((np.log(np.maximum(x, 1e-300)) - mu) / sg) * (np.asarray(x) > 0),
               check=lambda mu, sg: _need(np.all(np.asarray(sg) > 0), "sigma must be > 0"),
               scipy=lambda mu, sg: stats.lognorm(sg, scale=math.exp(mu))))

_register(Dist("UNIFORM", ["min", "max"],
               ppf=lambda u, a, b: a + (b - a) * u,
               mean=lambda a, b: (a + b) / 2,
               cdf=lambda x, a, b: np.clip((x - a) / (b - a), 0, 1),
               check=lambda a, b: _need(np.all(np.asarray(a) <= np.asarray(b)), "min must be <= max"),
               scipy=lambda a, b: stats.uniform(a, b - a)))


def _triang_ppf(u, a, c, b):
    a, c, b = (np.asarray(x, float) for x in (a, c, b))
    width = np.where(b > a, b - a, 1.0)
    fc = (c - a) / width
    left = a + np.sqrt(np.maximum(u * width * (c - a), 0))
    right = b - np.sqrt(np.maximum((1 - u) * width * (b - c), 0))
    return np.where(u < fc, left, right)


def _triang_cdf(x, a, c, b):
    x = np.asarray(x, float)
    w = b - a
    left = np.where(c > a, (x - a) ** 2 / (w * max(c - a, 1e-300)), 1.0)
    right = np.where(b > c, 1 - (b - x) ** 2 / (w * max(b - c, 1e-300)), 1.0)
    return np.clip(np.where(x <= a, 0, np.where(x <= c, left, np.where(x < b, right, 1))), 0, 1)


_register(Dist("TRIANGULAR", ["min", "mode", "max"], ppf=_triang_ppf,
               mean=lambda a, c, b: (a + c + b) / 3, cdf=_triang_cdf,
               check=lambda a, c, b: _need(np.all(np.asarray(a) <= np.asarray(c)) and np.all(np.asarray(c) <= np.asarray(b))
                                           and np.all(np.asarray(a) < np.asarray(b)), "needs min <= mode <= max, min < max"),
               scipy=lambda a, c, b: stats.triang((c - a) / (b - a), a, b - a)))


def trigen_to_triangular(bottom: float, mode: float, top: float, p_bottom: float, p_top: float):
    """Min and max of the triangle whose p_bottom and p_top percentiles are
    ``bottom`` and ``top`` (@RISK's RiskTrigen; percentages may be 10 or 0.1)."""
    pb = p_bottom / 100 if p_bottom > 1 else p_bottom
    pt = p_top / 100 if p_top > 1 else p_top
    if not (0 <= pb < pt <= 1) or not (bottom <= mode <= top):
        raise DistributionError("TRIGEN needs bottom <= mode <= top and 0 <= bottom% < top% <= 100")
    a, b = bottom - (top - bottom), top + (top - bottom)
    for _ in range(200):  # fixed point: a, b from the two percentile equations
        w = b - a
        a_new = bottom - math.sqrt(pb * w * (mode - a)) if pb > 0 else bottom
        b_new = top + math.sqrt((1 - pt) * w * (b - mode)) if pt < 1 else top
        if abs(a_new - a) < 1e-13 * max(1, abs(a)) and abs(b_new - b) < 1e-13 * max(1, abs(b)):
            a, b = a_new, b_new
            break
        a, b = a_new, b_new
    return a, b


def _trigen_ppf(u, bottom, mode, top, pb, pt):
    a, b = trigen_to_triangular(float(bottom), float(mode), float(top), float(pb), float(pt))
    return _triang_ppf(u, a, mode, b)


def _trigen_mean(bottom, mode, top, pb, pt):
    a, b = trigen_to_triangular(bottom, mode, top, pb, pt)
    return (a + mode + b) / 3


_register(Dist("TRIGEN", ["bottom", "mode", "top", "bottom_pct", "top_pct"], ppf=_trigen_ppf, mean=_trigen_mean,
               cdf=lambda x, bo, m, t, pb, pt: _triang_cdf(x, *_tri_ab(bo, m, t, pb, pt)),
               optional={"bottom_pct": 10.0, "top_pct": 90.0}))


def _tri_ab(bo, m, t, pb, pt):
    a, b = trigen_to_triangular(float(bo), float(m), float(t), float(pb), float(pt))
    return a, m, b


def _pert_ab(a, c, b, shape):
    w = b - a
    return 1 + shape * (c - a) / w, 1 + shape * (b - c) / w


_register(Dist("PERT", ["min", "mode", "max", "shape"],
               ppf=lambda u, a, c, b, g: a + (b - a) * special.betaincinv(*_pert_ab(a, c, b, g), _clip(u)),
               mean=lambda a, c, b, g: (a + g * c + b) / (g + 2),
               cdf=lambda x, a, c, b, g: special.betainc(*_pert_ab(a, c, b, g), np.clip((x - a) / (b - a), 0, 1)),
               check=lambda a, c, b, g: _need(np.all(np.asarray(a) <= np.asarray(c)) and np.all(np.asarray(c) <= np.asarray(b))
                                              and np.all(np.asarray(a) < np.asarray(b)), "needs min <= mode <= max, min < max"),
               optional={"shape": 4.0},
               scipy=lambda a, c, b, g: stats.beta(*_pert_ab(a, c, b, g), loc=a, scale=b - a)))

_register(Dist("BETA", ["alpha1", "alpha2"],
               ppf=lambda u, a1, a2: special.betaincinv(a1, a2, _clip(u)),
               mean=lambda a1, a2: a1 / (a1 + a2),
               cdf=lambda x, a1, a2: special.betainc(a1, a2, np.clip(x, 0, 1)),
               check=lambda a1, a2: _need(np.all(np.asarray(a1) > 0) and np.all(np.asarray(a2) > 0), "alphas must be > 0"),
               scipy=lambda a1, a2: stats.beta(a1, a2)))

_register(Dist("BETAGENERAL", ["alpha1", "alpha2", "min", "max"],
               ppf=lambda u, a1, a2, lo, hi: lo + (hi - lo) * special.betaincinv(a1, a2, _clip(u)),
               mean=lambda a1, a2, lo, hi: lo + (hi - lo) * a1 / (a1 + a2),
               cdf=lambda x, a1, a2, lo, hi: special.betainc(a1, a2, np.clip((x - lo) / (hi - lo), 0, 1)),
               check=lambda a1, a2, lo, hi: _need(np.all(np.asarray(a1) > 0) and np.all(np.asarray(a2) > 0)
                                                  and np.all(np.asarray(lo) < np.asarray(hi)), "alphas > 0 and min < max"),
               scipy=lambda a1, a2, lo, hi: stats.beta(a1, a2, loc=lo, scale=hi - lo)))

_register(Dist("GAMMA", ["alpha", "beta"],
               ppf=lambda u, a, b: b * special.gammaincinv(a, _clip(u)),
               mean=lambda a, b: a * b,
               cdf=lambda x, a, b: special.gammainc(a, np.maximum(x, 0) / b),
               check=lambda a, b: _need(np.all(np.asarray(a) > 0) and np.all(np.asarray(b) > 0), "alpha, beta must be > 0"),
               scipy=lambda a, b: stats.gamma(a, scale=b)))

_register(Dist("EXPON", ["mean"],
               ppf=lambda u, b: -b * np.log1p(-_clip(u)),
               mean=lambda b: b,
               cdf=lambda x, b: -np.expm1(-np.maximum(x, 0) / b),
               check=lambda b: _need(np.all(np.asarray(b) > 0), "mean must be > 0"),
               scipy=lambda b: stats.expon(scale=b)))

_register(Dist("WEIBULL", ["alpha", "beta"],
               ppf=lambda u, a, b: b * (-np.log1p(-_clip(u))) ** (1 / a),
               mean=lambda a, b: b * math.gamma(1 + 1 / a),
               cdf=lambda x, a, b: -np.expm1(-(np.maximum(x, 0) / b) ** a),
               check=lambda a, b: _need(np.all(np.asarray(a) > 0) and np.all(np.asarray(b) > 0), "alpha, beta must be > 0"),
               scipy=lambda a, b: stats.weibull_min(a, scale=b)))

_register(Dist("LOGISTIC", ["alpha", "beta"],
               ppf=lambda u, a, b: a + b * special.logit(_clip(u)),
               mean=lambda a, b: a,
               cdf=lambda x, a, b: special.expit((x - a) / b),
               check=lambda a, b: _need(np.all(np.asarray(b) > 0), "beta must be > 0"),
               scipy=lambda a, b: stats.logistic(a, b)))

_register(Dist("STUDENT", ["nu"],
               ppf=lambda u, nu: special.stdtrit(nu, _clip(u)),
               mean=lambda nu: 0.0,
               cdf=lambda x, nu: special.stdtr(nu, x),
               check=lambda nu: _need(np.all(np.asarray(nu) > 0), "nu must be > 0"),
               scipy=lambda nu: stats.t(nu)))

_register(Dist("CHISQ", ["nu"],
               ppf=lambda u, nu: special.chdtri(nu, 1 - _clip(u)),
               mean=lambda nu: nu,
               cdf=lambda x, nu: special.chdtr(nu, np.maximum(x, 0)),
               check=lambda nu: _need(np.all(np.asarray(nu) > 0), "nu must be > 0"),
               scipy=lambda nu: stats.chi2(nu)))

_register(Dist("PARETO", ["theta", "alpha"],
               ppf=lambda u, th, a: a * (1 - _clip(u)) ** (-1 / th),
               mean=lambda th, a: th * a / (th - 1) if th > 1 else math.inf,
               cdf=lambda x, th, a: np.where(np.asarray(x) < a, 0.0, 1 - (a / np.maximum(x, a)) ** th),
               check=lambda th, a: _need(np.all(np.asarray(th) > 0) and np.all(np.asarray(a) > 0), "theta, alpha must be > 0"),
               scipy=lambda th, a: stats.pareto(th, scale=a)))

# --- discrete ------------------------------------------------------------------------------


def _discrete_scipy(rv_ppf):
    def ppf(u, *params):
        return rv_ppf(_clip(u), *params).astype(float)
    return ppf


_register(Dist("BERNOULLI", ["p"], ppf=lambda u, p: (u > 1 - np.asarray(p)).astype(float) if True else None,
               mean=lambda p: p, cdf=lambda x, p: np.where(np.asarray(x) < 0, 0, np.where(np.asarray(x) < 1, 1 - p, 1.0)),
               discrete=True, check=lambda p: _need(np.all((np.asarray(p) >= 0) & (np.asarray(p) <= 1)), "p must be in [0, 1]"),
               scipy=lambda p: stats.bernoulli(p)))

_register(Dist("BINOMIAL", ["n", "p"], ppf=_discrete_scipy(lambda u, n, p: stats.binom.ppf(u, n, p)),
               mean=lambda n, p: n * p, cdf=lambda x, n, p: stats.binom.cdf(x, n, p), discrete=True,
               check=lambda n, p: _need(np.all(np.asarray(n) >= 0) and np.all((np.asarray(p) >= 0) & (np.asarray(p) <= 1)),
                                        "needs n >= 0 and p in [0, 1]"),
               scipy=lambda n, p: stats.binom(n, p)))

_register(Dist("POISSON", ["lambda"], ppf=_discrete_scipy(lambda u, lam: stats.poisson.ppf(u, lam)),
               mean=lambda lam: lam, cdf=lambda x, lam: stats.poisson.cdf(x, lam), discrete=True,
               check=lambda lam: _need(np.all(np.asarray(lam) > 0), "lambda must be > 0"),
               scipy=lambda lam: stats.poisson(lam)))

_register(Dist("NEGBIN", ["s", "p"], ppf=_discrete_scipy(lambda u, s, p: stats.nbinom.ppf(u, s, p)),
               mean=lambda s, p: s * (1 - p) / p, cdf=lambda x, s, p: stats.nbinom.cdf(x, s, p), discrete=True,
               check=lambda s, p: _need(np.all(np.asarray(s) > 0) and np.all((np.asarray(p) > 0) & (np.asarray(p) <= 1)),
                                        "needs s > 0 and p in (0, 1]"),
               scipy=lambda s, p: stats.nbinom(s, p)))

_register(Dist("GEOMETRIC", ["p"], ppf=_discrete_scipy(lambda u, p: stats.geom.ppf(u, p) - 1),
               mean=lambda p: (1 - p) / p, cdf=lambda x, p: stats.geom.cdf(np.asarray(x) + 1, p), discrete=True,
               check=lambda p: _need(np.all((np.asarray(p) > 0) & (np.asarray(p) <= 1)), "p must be in (0, 1]"),
               scipy=lambda p: stats.geom(p, loc=-1)))


def _intuniform_ppf(u, a, b):
    a, b = np.ceil(a), np.floor(b)
    return np.minimum(a + np.floor(u * (b - a + 1)), b)


_register(Dist("INTUNIFORM", ["min", "max"], ppf=_intuniform_ppf, mean=lambda a, b: (math.ceil(a) + math.floor(b)) / 2,
               cdf=lambda x, a, b: np.clip((np.floor(x) - a + 1) / (b - a + 1), 0, 1), discrete=True,
               check=lambda a, b: _need(np.all(np.asarray(a) <= np.asarray(b)), "min must be <= max"),
               scipy=lambda a, b: stats.randint(int(math.ceil(a)), int(math.floor(b)) + 1)))

# --- table-based distributions -----------------------------------------------------------


def _as_list(values) -> np.ndarray:
    return np.asarray(values, dtype=float).ravel()


def _discrete_table(values, probs):
    x = _as_list(values)
    p = _as_list(probs)
    if len(x) != len(p) or len(x) == 0:
        raise DistributionError("DISCRETE needs as many probabilities as values")
    if np.any(p < 0) or p.sum() <= 0:
        raise DistributionError("DISCRETE probabilities must be >= 0 and not all 0")
    order = np.argsort(x, kind="stable")
    x, p = x[order], p[order] / p.sum()
    return x, np.cumsum(p)


def _discrete_ppf(u, values, probs):
    x, cum = _discrete_table(values, probs)
    idx = np.searchsorted(cum, u, side="right")
    return x[np.minimum(idx, len(x) - 1)]


def _discrete_mean(values, probs):
    x, cum = _discrete_table(values, probs)
    return float(np.dot(x, np.diff(np.concatenate([[0.0], cum]))))


def _discrete_cdf(xq, values, probs):
    x, cum = _discrete_table(values, probs)
    idx = np.searchsorted(x, xq, side="right")
    return np.where(idx == 0, 0.0, cum[np.maximum(idx - 1, 0)])


_register(Dist("DISCRETE", ["values", "probabilities"], ppf=_discrete_ppf, mean=_discrete_mean, cdf=_discrete_cdf,
               discrete=True, array_params=(0, 1)))


def _duniform_ppf(u, values):
    x = np.sort(_as_list(values))
    return x[np.minimum((u * len(x)).astype(int), len(x) - 1)]


_register(Dist("DUNIFORM", ["values"], ppf=_duniform_ppf, mean=lambda v: float(np.mean(_as_list(v))),
               cdf=lambda xq, v: np.searchsorted(np.sort(_as_list(v)), xq, side="right") / len(_as_list(v)),
               discrete=True, array_params=(0,)))


def _cumul_points(lo, hi, xs, ps):
    x = np.concatenate([[lo], _as_list(xs), [hi]])
    p = np.concatenate([[0.0], _as_list(ps), [1.0]])
    if len(_as_list(xs)) != len(_as_list(ps)) or np.any(np.diff(x) < 0) or np.any(np.diff(p) < 0):
        raise DistributionError("CUMUL needs increasing values and cumulative probabilities between min and max")
    return x, p


def _cumul_ppf(u, lo, hi, xs, ps):
    x, p = _cumul_points(lo, hi, xs, ps)
    return np.interp(u, p, x)


def _cumul_mean(lo, hi, xs, ps):
    x, p = _cumul_points(lo, hi, xs, ps)
    return float(np.sum(np.diff(p) * (x[1:] + x[:-1]) / 2))


_register(Dist("CUMUL", ["min", "max", "values", "cumulative_probabilities"], ppf=_cumul_ppf, mean=_cumul_mean,
               cdf=lambda xq, lo, hi, xs, ps: np.interp(xq, *_cumul_points(lo, hi, xs, ps)), array_params=(2, 3)))


def _general_table(lo, hi, xs, dens):
    x = np.concatenate([[lo], _as_list(xs), [hi]])
    f = np.concatenate([[0.0], _as_list(dens), [0.0]])
    if len(_as_list(xs)) != len(_as_list(dens)) or np.any(np.diff(x) < 0) or np.any(f < 0):
        raise DistributionError("GENERAL needs increasing values and densities >= 0 between min and max")
    seg = np.diff(x) * (f[1:] + f[:-1]) / 2          # area of each trapezoid
    total = seg.sum()
    if total <= 0:
        raise DistributionError("GENERAL densities are all zero")
    return x, f / total, np.concatenate([[0.0], np.cumsum(seg / total)])


def _general_ppf(u, lo, hi, xs, dens):
    x, f, cum = _general_table(lo, hi, xs, dens)
    u = np.asarray(u, float)
    i = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, len(x) - 2)
    x0, f0, f1, w = x[i], f[i], f[i + 1], x[i + 1] - x[i]
    r = u - cum[i]                          # area still to cover inside the segment
    slope = np.where(w > 0, (f1 - f0) / np.where(w > 0, w, 1), 0.0)
    # solve f0*t + slope*t^2/2 = r for t in [0, w]
    with np.errstate(invalid="ignore", divide="ignore"):
        quad = (-f0 + np.sqrt(np.maximum(f0 * f0 + 2 * slope * r, 0))) / slope
        lin = np.where(f0 > 0, r / np.where(f0 > 0, f0, 1), 0.0)
    t = np.where(np.abs(slope) > 1e-300, quad, lin)
    return x0 + np.clip(np.nan_to_num(t), 0, w)


def _general_mean(lo, hi, xs, dens):
    x, f, _ = _general_table(lo, hi, xs, dens)
    w = np.diff(x)
    # integral of x*f(x) over each linear segment
    return float(np.sum(w * (f[:-1] * (2 * x[:-1] + x[1:]) + f[1:] * (x[:-1] + 2 * x[1:])) / 6))


_register(Dist("GENERAL", ["min", "max", "values", "densities"], ppf=_general_ppf, mean=_general_mean,
               array_params=(2, 3)))


def _histogram_ppf(u, lo, hi, probs):
    p = _as_list(probs)
    if np.any(p < 0) or p.sum() <= 0:
        raise DistributionError("HISTOGRAM probabilities must be >= 0 and not all 0")
    cum = np.concatenate([[0.0], np.cumsum(p / p.sum())])
    edges = np.linspace(lo, hi, len(p) + 1)
    return np.interp(u, cum, edges)


def _histogram_mean(lo, hi, probs):
    p = _as_list(probs)
    edges = np.linspace(lo, hi, len(p) + 1)
    return float(np.dot(p / p.sum(), (edges[1:] + edges[:-1]) / 2))


_register(Dist("HISTOGRAM", ["min", "max", "probabilities"], ppf=_histogram_ppf, mean=_histogram_mean,
               array_params=(2,)))


def _empirical_ppf(u, values):
    x = _as_list(values)
    return x[np.minimum((np.asarray(u) * len(x)).astype(int), len(x) - 1)]


_register(Dist("EMPIRICAL", ["values"], ppf=_empirical_ppf, mean=lambda v: float(np.mean(_as_list(v))),
               discrete=True, array_params=(0,)))


# --- metalog ------------------------------------------------------------------------------------

def metalog_basis(y: np.ndarray, k: int) -> np.ndarray:
    """Keelin's metalog basis functions (columns 1..k) at probabilities y."""
    y = np.asarray(y, float)
    L = np.log(y / (1 - y))
    c = y - 0.5
    cols = [np.ones_like(y), L]
    for j in range(3, k + 1):
        if j == 3:
            cols.append(c * L)
        elif j == 4:
            cols.append(c)
        elif j % 2 == 1:
            cols.append(c ** ((j - 1) // 2))
        else:
            cols.append(c ** (j // 2 - 1) * L)
    return np.stack(cols[:k], axis=-1)


def metalog_quantile(y, a, lower=None, upper=None) -> np.ndarray:
    """Q(y) for coefficients ``a``; bounds by Keelin's transforms (the bounded
    form is (bl + bu*e^M) / (1 + e^M))."""
    a = np.asarray(a, float)
    y = _clip(np.asarray(y, float))
    m = metalog_basis(y, len(a)) @ a
    lo = None if lower is None or (isinstance(lower, float) and math.isnan(lower)) else float(lower)
    hi = None if upper is None or (isinstance(upper, float) and math.isnan(upper)) else float(upper)
    if lo is not None and hi is not None:
        e = np.exp(np.clip(m, -700, 700))
        return (lo + hi * e) / (1 + e)
    if lo is not None:
        return lo + np.exp(m)
    if hi is not None:
        return hi - np.exp(-m)
    return m


def metalog_fit(values, probs, lower=None, upper=None, terms: int | None = None) -> np.ndarray:
    """Least-squares metalog coefficients through (value, probability) pairs."""
    x = _as_list(values)
    y = _as_list(probs)
    if len(x) != len(y) or len(x) < 2:
        raise DistributionError("METALOG needs at least two (value, probability) pairs")
    if np.any((y <= 0) | (y >= 1)):
        raise DistributionError("METALOG probabilities must be strictly between 0 and 1")
    k = min(terms or len(x), len(x), 16)
    if lower is not None and upper is not None:
        if np.any(x <= lower) or np.any(x >= upper):
            raise DistributionError("METALOG values must lie strictly inside the bounds")
        z = np.log((x - lower) / (upper - x))
    elif lower is not None:
        z = np.log(x - lower)
    elif upper is not None:
        z = -np.log(upper - x)
    else:
        z = x
    basis = metalog_basis(y, k)
    a, *_ = np.linalg.lstsq(basis, z, rcond=None)
    return a


def _metalog_args(values, probs, lower, upper, terms):
    lo = None if lower is None or _is_missing(lower) else float(lower)
    hi = None if upper is None or _is_missing(upper) else float(upper)
    t = None if terms is None or _is_missing(terms) else int(terms)
    return metalog_fit(values, probs, lo, hi, t), lo, hi


def _is_missing(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _metalog_ppf(u, values, probs, lower, upper, terms):
    a, lo, hi = _metalog_args(values, probs, lower, upper, terms)
    return metalog_quantile(u, a, lo, hi)


def _metalog_mean(values, probs, lower, upper, terms):
    a, lo, hi = _metalog_args(values, probs, lower, upper, terms)
    grid = (np.arange(20000) + 0.5) / 20000
    return float(np.mean(metalog_quantile(grid, a, lo, hi)))


_register(Dist("METALOG", ["values", "probabilities", "lower", "upper", "terms"], ppf=_metalog_ppf,
               mean=_metalog_mean, optional={"lower": math.nan, "upper": math.nan, "terms": math.nan},
               array_params=(0, 1)))


def _metalog_coef_ppf(u, lower, upper, *coefs):
    return metalog_quantile(u, [c for c in coefs if not _is_missing(c)], None if _is_missing(lower) else lower,
                            None if _is_missing(upper) else upper)


def dist_mean(d: Dist, params: list) -> float:
    return float(d.mean(*params))
