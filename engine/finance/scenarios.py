"""Monte Carlo scenarios for waterfalls: revenue and property cash flows
drawn with the engine's own distributions and samplers (Latin hypercube by
default; a seed reproduces a run exactly), or taken from a workbook
simulation."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..montecarlo.distributions import DISTRIBUTIONS
from ..montecarlo.sampling import UniformSource, stable_id


def uniforms(n: int, names: Sequence[str], seed: int = 1, sampling: str = "lhs") -> np.ndarray:
    """(n, len(names)) independent uniforms, one stream per name."""
    src = UniformSource(sampling, seed, n, [stable_id(f"finance|{k}") for k in names])
    return src.draws(0, n)


def draw(dist: str, params: Sequence, u: np.ndarray) -> np.ndarray:
    """Draws of a GridFlow distribution (``"LOGNORMAL"``, ``"TRIANGULAR"``,
    ``"PERT"``, ``"NORMAL"``... with the same parameters as GF.*) from uniforms."""
    d = DISTRIBUTIONS.get(dist.upper())
    if d is None:
        raise ValueError(f"unknown distribution {dist!r}; use one of {', '.join(sorted(DISTRIBUTIONS))}")
    if d.check is not None:
        msg = d.check(*params)
        if msg:
            raise ValueError(f"{dist}: {msg}")
    return np.asarray(d.ppf(u, *params), dtype=float)


@dataclass
class RevenueModel:
    """Total receipts over a film's life drawn from a distribution, spread
    over the periods by ``profile`` (shares adding to 1)."""
    dist: str = "LOGNORMAL"
    params: tuple = (15_000_000.0, 8_000_000.0)
    profile: tuple = (0.0, 0.45, 0.30, 0.15, 0.10)
    periods_per_year: int = 1
    dates: Sequence | None = None
    floor: float = 0.0

    def sample(self, n: int, seed: int = 1, sampling: str = "lhs") -> np.ndarray:
        """(n, periods) receipts."""
        prof = np.asarray(self.profile, dtype=float)
        if np.any(prof < 0) or abs(prof.sum() - 1.0) > 1e-9:
            raise ValueError("the receipts profile must be non-negative shares adding to 1")
        u = uniforms(n, ["revenue"], seed, sampling)[:, 0]
        total = np.maximum(draw(self.dist, self.params, u), self.floor)
        return total[:, None] * prof[None, :]


def property_scenarios(n: int, *, equity: float = 10_000_000.0, years: int = 5, yield0: float = 0.06,
                       growth: tuple = ("NORMAL", (0.02, 0.015)), exit_multiple: tuple = ("TRIANGULAR", (1.0, 1.35, 1.6)),
                       seed: int = 1, sampling: str = "lhs") -> np.ndarray:
    """Simple levered-equity scenarios for an RE waterfall: -equity at t0,
    a cash yield growing at a random rate, and a random exit value as a
    multiple of equity in the last year.  Returns (n, years + 1) signed flows."""
    u = uniforms(n, ["growth", "exit"], seed, sampling)
    g = draw(growth[0], growth[1], u[:, 0])
    x = draw(exit_multiple[0], exit_multiple[1], u[:, 1])
    t = np.arange(1, years + 1)
    cf = np.zeros((n, years + 1))
    cf[:, 0] = -equity
    cf[:, 1:] = equity * yield0 * (1.0 + g[:, None]) ** (t[None, :] - 1)
    cf[:, -1] += equity * x
    return cf


def cash_flows_from_simulation(result, addresses: Sequence[str]) -> np.ndarray:
    """(iterations, len(addresses)) per-iteration values of workbook cells
    recorded by ``model.simulate(..., outputs=addresses)``."""
    cols = []
    by_addr = {o.address: o for o in result.outputs}
    by_name = {o.name: o for o in result.outputs}
    for a in addresses:
        o = by_addr.get(a) or by_name.get(a)
        if o is None:
            raise KeyError(f"{a} was not recorded in the simulation (pass it in outputs=)")
        cols.append(np.asarray(o.values, dtype=float))
    return np.column_stack(cols)
