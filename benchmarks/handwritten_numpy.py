"""The benchmark portfolio DCF (benchmarks/portfolio.py) written by hand in
NumPy: what a developer would write instead of a workbook.

Per property: rent grows by a random rate each year, NOI is 65% of rent,
each year's NOI is discounted at the property's rate, the exit value is the
year-11 NOI capitalised at a random cap rate; the output is the sum of the
properties' NPVs.  Discount factors do not depend on the random inputs, so
they are computed once (as any hand-written model would).
"""
from __future__ import annotations

import numpy as np

from benchmarks.portfolio import YEARS, formulas_per_property


def portfolio_params(n_formulas: int) -> dict[str, np.ndarray]:
    """The constants of the generated workbook of about ``n_formulas`` formulas."""
    n = max(1, n_formulas // formulas_per_property())
    i = np.arange(n)
    price = 1_000_000.0 + 10_000.0 * (i % 50)
    rent = price * 0.08
    disc = np.full(n, 0.08)
    df = 1.0 / (1.0 + disc[:, None]) ** np.arange(1, YEARS + 1)[None, :]     # (props, years)
    return {"price": price, "rent": rent, "disc": disc, "df": df}


def portfolio_npv(p: dict, growth: np.ndarray, cap: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """Total NPV per scenario; ``growth`` and ``cap`` are (properties, scenarios)."""
    n = growth.shape[1]
    out = np.empty(n)
    price, rent0, df = p["price"][:, None], p["rent"][:, None], p["df"]
    for s in range(0, n, chunk):
        g = growth[:, s:s + chunk]
        c = cap[:, s:s + chunk]
        rent = np.broadcast_to(rent0, g.shape)
        pv = rent * 0.65 * df[:, 0:1]
        growth1 = 1.0 + g
        for y in range(1, YEARS):
            rent = rent * growth1
            pv = pv + rent * 0.65 * df[:, y:y + 1]
        sale = rent * 0.65 * growth1 / c
        npv = pv + sale * df[:, YEARS - 1:YEARS] - price
        out[s:s + chunk] = npv.sum(axis=0)
    return out


def simulate(n_formulas: int, n: int, seed: int = 1) -> np.ndarray:
    """End to end: draw the inputs (plain Monte Carlo) and evaluate."""
    p = portfolio_params(n_formulas)
    rng = np.random.default_rng(seed)
    props = p["price"].shape[0]
    growth = rng.normal(0.03, 0.01, (props, n))
    cap = rng.normal(0.065, 0.005, (props, n))
    return portfolio_npv(p, growth, cap)
