"""The benchmark portfolio DCF written by hand as a Numba kernel: one pass
per scenario over every property and year, parallel over scenarios, nothing
materialised but the output.  ``simulate`` draws its normals inside the
kernel (Numba's generator), the fastest a hand-written Monte Carlo gets.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from benchmarks.handwritten_numpy import portfolio_params
from benchmarks.portfolio import YEARS


@njit(parallel=True, cache=True)
def _npv_kernel(price, rent0, df, growth, cap, out):
    # growth, cap: (scenarios, properties)
    n, props = growth.shape
    for s in prange(n):
        total = 0.0
        for p in range(props):
            g1 = 1.0 + growth[s, p]
            rent = rent0[p]
            pv = rent * 0.65 * df[p, 0]
            for y in range(1, YEARS):
                rent = rent * g1
                pv += rent * 0.65 * df[p, y]
            sale = rent * 0.65 * g1 / cap[s, p]
            total += pv + sale * df[p, YEARS - 1] - price[p]
        out[s] = total


@njit(parallel=True, cache=True)
def _simulate_kernel(price, rent0, df, out, seed):
    n = out.shape[0]
    props = price.shape[0]
    block = 4096
    for b in prange((n + block - 1) // block):
        np.random.seed(seed + b)   # one stream per block of scenarios: reproducible in parallel
        for s in range(b * block, min(n, (b + 1) * block)):
            total = 0.0
            for p in range(props):
                g1 = 1.0 + np.random.normal(0.03, 0.01)
                cap = np.random.normal(0.065, 0.005)
                rent = rent0[p]
                pv = rent * 0.65 * df[p, 0]
                for y in range(1, YEARS):
                    rent = rent * g1
                    pv += rent * 0.65 * df[p, y]
                sale = rent * 0.65 * g1 / cap
                total += pv + sale * df[p, YEARS - 1] - price[p]
            out[s] = total


def portfolio_npv(p: dict, growth: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Total NPV per scenario from (properties, scenarios) draws."""
    out = np.empty(growth.shape[1])
    _npv_kernel(p["price"], p["rent"], np.ascontiguousarray(p["df"]), np.ascontiguousarray(growth.T),
                np.ascontiguousarray(cap.T), out)
    return out


def simulate(n_formulas: int, n: int, seed: int = 1) -> np.ndarray:
    """End to end, sampling inside the kernel."""
    p = portfolio_params(n_formulas)
    out = np.empty(n)
    _simulate_kernel(p["price"], p["rent"], np.ascontiguousarray(p["df"]), out, seed)
    return out
