"""Uniform draws for random inputs: Monte Carlo, Latin hypercube, Sobol, HDR.

Draws are generated in fixed blocks of iterations (``BLOCK``), each from its
own stream keyed by (seed, input id, block number).  Evaluation chunks only
slice these blocks, so a seed gives identical draws whatever the chunk size,
backend or machine; and because an input's stream depends on its own id (a
hash of its cell and position), adding an input elsewhere does not change the
draws of the others.  Latin hypercube strata are complete within each block.  Plain and Latin
hypercube streams are SplitMix64 keyed per (seed, input, block), generated
by the compiled kernels of :mod:`.fastdraw`.
"""
from __future__ import annotations

import zlib

import numpy as np
from scipy.stats import qmc

from .fastdraw import block_key, stratified_uniforms

BLOCK = 65536
METHODS = ("mc", "lhs", "sobol", "hdr")


def stable_id(text: str) -> int:
    """A stable 31-bit id for an input (its address and position)."""
    return zlib.crc32(text.encode("utf-8")) & 0x7FFFFFFF


def hdr_uniform(counter, var_id, entity=1, seed3=0, seed4=0) -> np.ndarray:
    """Hubbard's HDR 2.0 generator (SIPmath standard), exact in int64: every
    intermediate stays below 2**53, as in Excel's doubles."""
    c = np.asarray(counter, dtype=np.int64)
    v, e, s3, s4 = (np.int64(x) for x in (var_id, entity, seed3, seed4))
    a = (((999999999999989 % (((c * 2499997 + v * 1800451 + e * 2000371 + s3 * 1796777 + s4 * 2299603)
                                % 7450589) * 4658 + 7450581)) * 383) % 99991)
    b = (((999999999999989 % (((c * 2246527 + v * 2399993 + e * 2100869 + s3 * 1918303 + s4 * 1624729)
                                % 7450987) * 7580 + 7560584)) * 17669) % 7440893)
    return (((a * 7440893 + b) * 1343) % 4294967296 + 0.5) / 4294967296


class UniformSource:
    """Uniform draws for ``n`` iterations of a list of inputs."""

    def __init__(self, method: str, seed: int, n: int, input_ids: list[int],
                 input_seeds: list[int | None] | None = None, hdr_entity: int = 1,
                 block_transform=None):
        if method not in METHODS:
            raise ValueError(f"unknown sampling method {method!r}; use one of {', '.join(METHODS)}")
        self.method = method
        self.seed = int(seed)
        self.n = int(n)
        self.ids = list(input_ids)
        self.input_seeds = list(input_seeds or [None] * len(self.ids))
        self.hdr_entity = hdr_entity
        # applied to each whole block (Iman-Conover needs all of a block's draws)
        self.block_transform = block_transform
        self._cache: dict[int, np.ndarray] = {}

    def _block_size(self, b: int) -> int:
        return min(BLOCK, self.n - b * BLOCK)

    def _block(self, b: int) -> np.ndarray:
        hit = self._cache.get(b)
        if hit is not None:
            return hit
        m = self._block_size(b)
        k = len(self.ids)
        out = np.empty((m, k))
        if self.method == "sobol":
            eng = qmc.Sobol(d=max(k, 1), scramble=True, seed=np.random.default_rng(self.seed))
            if b:
                eng.fast_forward(b * BLOCK)
            pts = eng.random(m)
            out[:, :] = pts[:, :k]
        else:
            for j, (iid, own_seed) in enumerate(zip(self.ids, self.input_seeds)):
                if self.method == "hdr":
                    counter = np.arange(b * BLOCK + 1, b * BLOCK + m + 1, dtype=np.int64)
                    out[:, j] = hdr_uniform(counter, iid if own_seed is None else own_seed, self.hdr_entity,
                                            self.seed, 0)
                    continue
                entropy = self.seed if own_seed is None else int(own_seed)
                out[:, j] = stratified_uniforms(block_key(entropy, iid, b), m, self.method == "lhs")
        if self.block_transform is not None and m > 0:
            out = self.block_transform(out, b)
        self._cache = {b: out}   # keep one block: memory bounded by BLOCK x inputs
        return out

    def block_index(self, start: int) -> int:
        return start // BLOCK

    def draws(self, start: int, stop: int) -> np.ndarray:
        """Uniforms for iterations [start, stop), shape (stop-start, inputs)."""
        parts = []
        i = start
        while i < stop:
            b = i // BLOCK
            blk = self._block(b)
            lo = i - b * BLOCK
            hi = min(stop - b * BLOCK, blk.shape[0])
            parts.append(blk[lo:hi])
            i = b * BLOCK + hi
        if not parts:
            return np.empty((0, len(self.ids)))
        return parts[0] if len(parts) == 1 else np.vstack(parts)
