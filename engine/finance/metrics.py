"""Stakeholder metrics over scenarios: IRR (XIRR), NPV (XNPV), equity
multiple, cash-on-cash, payback and recoupment, each computed on arrays of
shape ``(scenarios, periods)`` at once.

Conventions (§8 of the finance reference):

* **IRR** is the rate ``r`` with ``sum CF_k (1+r)**-t_k = 0``, ``t`` in years
  from the first point (actual/365 on dated timelines, as Excel's XIRR; k/ppy
  on periodic ones, as IRR on annual periods).  Newton's method from 10% on
  every scenario at once; scenarios it does not settle are bracketed and
  bisected on ``log(1+r)``.  Flows without a sign change have no IRR (Excel's
  #NUM!): NaN, except a total loss (money in, nothing back), which is -100%
  by default so that IRR distributions include the scenarios where a
  stakeholder loses everything (``total_loss=None`` gives NaN there too).
  With several sign changes the root found may differ from Excel's (the one
  nearest the guess).
* **NPV** ``sum CF_k / (1+rate)**t_k`` at the first point (XNPV).
* **Multiple** = total distributions / total contributions (MOIC).
* **Cash-on-cash** per period = that period's distribution / equity
  contributed up to then.
* **Payback** = years from the first contribution until cumulative cash flow
  first reaches zero, interpolated linearly inside the period (NaN: never).
* **Recouped**: total distributions >= total contributions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .timeline import Timeline

DEFAULT_PERCENTILES = (10, 50, 90)


def _2d(x) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise ValueError(f"cash flows must be (periods,) or (scenarios, periods), got shape {a.shape}")
    return a


def npv(flows, t, rate) -> np.ndarray:
    """Value at t=0 of flows at times ``t`` (years): XNPV over scenarios."""
    f = _2d(flows)
    t = np.asarray(t, dtype=float)
    rate = np.asarray(rate, dtype=float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        disc = (1.0 + rate[..., None]) ** (-t) if rate.ndim else (1.0 + rate) ** (-t)
        return np.sum(f * disc, axis=1)


def _g(flows: np.ndarray, t: np.ndarray, x: np.ndarray) -> np.ndarray:
    """sum CF exp(-x (t - c)) with a per-scenario shift c that avoids overflow
    (same sign as NPV at r = exp(x) - 1)."""
    c = np.where(x < 0, t[-1], 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.sum(flows * np.exp(-x[:, None] * (t[None, :] - c[:, None])), axis=1)


def irr(flows, t, guess: float = 0.1, total_loss: float | None = -1.0, tol: float = 1e-12) -> np.ndarray:
    """Internal rate of return of each scenario's flows (XIRR when ``t``
    comes from dates).  See the module notes for the conventions."""
    f = _2d(flows)
    t = np.asarray(t, dtype=float)
    s = f.shape[0]
    out = np.full(s, np.nan)
    has_pos = np.any(f > 0, axis=1)
    has_neg = np.any(f < 0, axis=1)
    ok = has_pos & has_neg
    if total_loss is not None:
        out[has_neg & ~has_pos] = total_loss
    idx = np.nonzero(ok)[0]
    if idx.size == 0:
        return out
    ff = f[idx]
    # scale each scenario so tolerances are relative
    scale = np.max(np.abs(ff), axis=1, keepdims=True)
    ff = ff / scale
    r = np.full(idx.size, float(guess))
    done = np.zeros(idx.size, dtype=bool)
    active = np.arange(idx.size)          # scenarios still iterating
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(50):
            ra = r[active]
            fa = ff[active]
            base = 1.0 + ra
            disc = base[:, None] ** (-t[None, :])
            val = np.sum(fa * disc, axis=1)
            der = np.sum(-t[None, :] * fa * disc, axis=1) / base
            step = val / der
            nr = ra - step
            good = np.isfinite(nr) & (nr > -1.0)
            conv = good & (np.abs(step) <= tol * np.maximum(1.0, np.abs(nr)))
            r[active[good]] = nr[good]
            done[active[conv]] = True
            active = active[good & ~conv]   # a step leaving the domain goes to bisection
            if active.size == 0:
                break
        done &= np.isfinite(r) & (r > -1.0)
    out[idx[done]] = r[done]
    rest = np.nonzero(~done)[0]
    if rest.size:
        out[idx[rest]] = _bisect_irr(ff[rest], t, float(guess))
    return out


def _bisect_irr(ff: np.ndarray, t: np.ndarray, guess: float = 0.1) -> np.ndarray:
    """Scan x = log(1+r) over [-15, 5] (r from -0.9999997 to 147) for sign
    changes, keep the one nearest the guess (as Excel's fallback does) and
    bisect it."""
    n = ff.shape[0]
    grid = np.linspace(-15.0, 5.0, 401)
    vals = np.column_stack([_g(ff, t, np.full(n, x)) for x in grid])       # (n, G)
    ok = np.isfinite(vals[:, :-1]) & np.isfinite(vals[:, 1:])
    change = ok & ((np.sign(vals[:, :-1]) != np.sign(vals[:, 1:])) | (vals[:, :-1] == 0))
    valid = change.any(axis=1)
    mids = np.expm1(0.5 * (grid[:-1] + grid[1:]))
    dist = np.where(change, np.abs(mids[None, :] - guess), np.inf)
    j = np.argmin(dist, axis=1)
    lo = grid[j]
    hi = grid[j + 1]
    glo = vals[np.arange(n), j]
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        gm = _g(ff, t, mid)
        same = np.sign(gm) == np.sign(glo)
        lo = np.where(same, mid, lo)
        glo = np.where(same, gm, glo)
        hi = np.where(same, hi, mid)
    x = 0.5 * (lo + hi)
    return np.where(valid, np.expm1(x), np.nan)


def multiple(contributions, distributions) -> np.ndarray:
    c = np.sum(_2d(contributions), axis=1)
    d = np.sum(_2d(distributions), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(c > 0, d / np.where(c > 0, c, 1.0), np.nan)


def cash_on_cash(contributions, distributions) -> np.ndarray:
    """Per period: distribution / equity contributed up to that period."""
    c = np.cumsum(_2d(contributions), axis=1)
    d = _2d(distributions)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(c > 0, d / np.where(c > 0, c, 1.0), np.nan)


def payback(flows, t) -> np.ndarray:
    """Years from the first negative flow until the cumulative cash flow first
    reaches zero (linear inside the period); NaN when it never does."""
    f = _2d(flows)
    t = np.asarray(t, dtype=float)
    s, n = f.shape
    cum = np.cumsum(f, axis=1)
    neg = f < 0
    has = neg.any(axis=1)
    first = np.argmax(neg, axis=1)
    k_idx = np.arange(n)[None, :]
    # first k after the first contribution where cumulative >= 0
    reached = (cum >= -1e-9 * np.maximum(1.0, np.abs(cum).max(axis=1, keepdims=True))) & (k_idx > first[:, None])
    any_r = reached.any(axis=1) & has
    k = np.argmax(reached, axis=1)
    rows = np.arange(s)
    prev_cum = cum[rows, np.maximum(k - 1, 0)]
    cf = f[rows, k]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(cf > 0, -prev_cum / np.where(cf > 0, cf, 1.0), 1.0)
    frac = np.clip(frac, 0.0, 1.0)
    tk = t[k]
    tp = t[np.maximum(k - 1, 0)]
    years = tp + frac * (tk - tp) - t[first]
    return np.where(any_r, years, np.nan)


def summarize(x, percentiles: Sequence[int] = DEFAULT_PERCENTILES) -> dict[str, Any]:
    """Mean, sd, min, max and percentiles of the finite values (NaN
    excluded and counted)."""
    a = np.asarray(x, dtype=float).ravel()
    ok = a[np.isfinite(a)]
    d: dict[str, Any] = {"count": int(ok.size), "undefined": int(a.size - ok.size)}
    if ok.size:
        d["mean"] = float(ok.mean())
        d["sd"] = float(ok.std(ddof=1)) if ok.size > 1 else 0.0
        d["min"] = float(ok.min())
        d["max"] = float(ok.max())
        for p, v in zip(percentiles, np.percentile(ok, list(percentiles))):
            d[f"P{p}"] = float(v)
    return d


@dataclass
class Party:
    """One stakeholder's cash flows over scenarios, with its metrics.

    ``contributions`` and ``distributions`` are non-negative ``(S, T)``
    arrays; ``by_tier`` holds the distributions received in each tier."""
    name: str
    contributions: np.ndarray
    distributions: np.ndarray
    timeline: Timeline
    discount_rate: float = 0.10
    by_tier: dict[str, np.ndarray] = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_scenarios(self) -> int:
        return self.distributions.shape[0]

    @property
    def net(self) -> np.ndarray:
        return self.distributions - self.contributions

    def _memo(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    @property
    def irr(self) -> np.ndarray:
        return self._memo("irr", lambda: irr(self.net, self.timeline.t))

    @property
    def npv(self) -> np.ndarray:
        return self._memo("npv", lambda: npv(self.net, self.timeline.t, self.discount_rate))

    @property
    def multiple(self) -> np.ndarray:
        return self._memo("multiple", lambda: multiple(self.contributions, self.distributions))

    @property
    def cash_on_cash(self) -> np.ndarray:
        return self._memo("coc", lambda: cash_on_cash(self.contributions, self.distributions))

    @property
    def payback(self) -> np.ndarray:
        return self._memo("payback", lambda: payback(self.net, self.timeline.t))

    @property
    def total_contributed(self) -> np.ndarray:
        return self.contributions.sum(axis=1)

    @property
    def total_distributed(self) -> np.ndarray:
        return self.distributions.sum(axis=1)

    @property
    def recouped(self) -> np.ndarray:
        c = self.total_contributed
        return (self.total_distributed >= c * (1 - 1e-12) - 1e-9) & (c > 0)

    def prob_irr_at_least(self, hurdle: float) -> float:
        return float(np.mean(np.nan_to_num(self.irr, nan=-np.inf) >= hurdle - 1e-12))

    def summary(self, percentiles: Sequence[int] = DEFAULT_PERCENTILES) -> dict[str, Any]:
        """Distributions of IRR, NPV, multiple, payback and total received,
        with the probability of recoupment."""
        invested = bool(np.any(self.contributions > 0))
        d: dict[str, Any] = {
            "scenarios": self.n_scenarios,
            "received": summarize(self.total_distributed, percentiles),
            "invested": summarize(self.total_contributed, percentiles),
        }
        if invested:
            d["irr"] = summarize(self.irr, percentiles)
            d["npv"] = summarize(self.npv, percentiles)
            d["multiple"] = summarize(self.multiple, percentiles)
            d["payback_years"] = summarize(self.payback, percentiles)
            d["prob_recoup"] = float(np.mean(self.recouped))
            d["discount_rate"] = self.discount_rate
        return d

    def scenario_table(self, s: int = 0) -> dict[str, list[float]]:
        """One scenario's per-period flows (for printing)."""
        out = {"contributions": self.contributions[s].tolist(), "distributions": self.distributions[s].tolist()}
        for k, v in self.by_tier.items():
            out[k] = v[s].tolist()
        return out
