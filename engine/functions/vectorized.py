"""NumPy block kernels for aggregate functions over per-scenario ranges.

When a range holds Monte Carlo vectors (a cash-flow row downstream of random
inputs), these kernels evaluate every scenario at once on a (cells x
scenarios) matrix instead of calling the scalar implementation per scenario.
Scenarios a kernel cannot settle (an IRR that does not converge) fall back to
the scalar implementation, so results agree exactly with a plain
recalculation.  Each kernel is attached to the function registered by its
family module.
"""
from __future__ import annotations

import numpy as np

from . import registry


def _attach(name: str, kernel) -> None:
    spec = registry.get(name)
    if spec is not None and spec.block is None:
        spec.block = kernel


def _sum(*mats):
    return sum(np.sum(m, axis=0) if np.ndim(m) == 2 else m for m in mats)


def _min(*mats):
    parts = [np.min(m, axis=0) for m in mats if np.ndim(m) == 2 and m.shape[0]]
    return np.min(np.vstack(parts), axis=0) if parts else 0.0


def _max(*mats):
    parts = [np.max(m, axis=0) for m in mats if np.ndim(m) == 2 and m.shape[0]]
    return np.max(np.vstack(parts), axis=0) if parts else 0.0


def _average(*mats):
    rows = np.vstack([m for m in mats if np.ndim(m) == 2 and m.shape[0]])
    if rows.shape[0] == 0:
        return None   # #DIV/0!: let the scalar path say so
    return rows.mean(axis=0)


def _product(*mats):
    out = 1.0
    for m in mats:
        out = out * np.prod(m, axis=0)
    return out


def _npv(rate, *mats):
    flows = np.vstack([m for m in mats if m.shape[0]]) if any(m.shape[0] for m in mats) else None
    if flows is None:
        return 0.0
    rate = np.asarray(rate, float)
    if np.any(rate == -1):
        return None
    t = np.arange(1, flows.shape[0] + 1)[:, None]
    return np.sum(flows / (1.0 + rate) ** t, axis=0)


def _irr(flows, guess=0.1):
    """Newton's method on all scenarios at once; scenarios that do not
    settle go to the scalar IRR."""
    if flows.shape[0] < 2:
        return None
    spec = registry.get("IRR")
    n = flows.shape[1]
    r = np.full(n, float(guess) if np.ndim(guess) == 0 else 0.1)
    t = np.arange(flows.shape[0])[:, None]
    done = np.zeros(n, dtype=bool)
    for _ in range(60):
        d = 1.0 / (1.0 + r)
        disc = d[None, :] ** t
        f = np.sum(flows * disc, axis=0)
        df = np.sum(-t * flows * disc * d[None, :], axis=0)
        step = f / df
        r_new = r - step
        ok = np.isfinite(r_new) & (r_new > -1)
        r = np.where(ok & ~done, r_new, r)
        done |= ok & (np.abs(step) <= 1e-12 * np.maximum(1.0, np.abs(r)))
        if done.all():
            break
    sign_change = (flows.max(axis=0) > 0) & (flows.min(axis=0) < 0)
    out = np.where(done & sign_change, r, np.nan)
    redo = np.nonzero(~(done & sign_change))[0]
    if spec is not None and redo.size:
        from ..values import Array, XLError
        for i in redo:   # exact scalar semantics for the hard scenarios (#NUM! included)
            g = float(guess) if np.ndim(guess) == 0 else float(guess[i])
            try:
                v = spec.impl(Array([[float(x)] for x in flows[:, i]]), g)
            except (XLError, ArithmeticError, ValueError):
                v = None
            out[i] = v if isinstance(v, float) else np.nan
    return out


def _irr_safe(flows, guess=0.1):
    try:
        return _irr(flows, guess)
    except Exception:
        return None


def _sumproduct(*mats):
    if any(m.shape != mats[0].shape for m in mats):
        return None
    prod = mats[0].copy()
    for m in mats[1:]:
        prod = prod * m
    return prod.sum(axis=0)


_attach("SUM", _sum)
_attach("MIN", _min)
_attach("MAX", _max)
_attach("AVERAGE", _average)
_attach("PRODUCT", _product)
_attach("NPV", _npv)
_attach("IRR", _irr_safe)
