"""Running a simulation plan through a compiled program, chunk by chunk.

Draws come from the simulation's ``UniformSource`` (so a seed gives the same
numbers whatever the backend, chunking or machine), turned into input
values by the same inverse-CDF sampling the interpreter uses; the backend
evaluates the plan over the chunk and only the outputs (and, unless told
otherwise, the inputs) are kept.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..montecarlo import fastdraw as FD
from ..montecarlo import functions as F
from ..montecarlo.distributions import DISTRIBUTIONS, EPS, DistributionError
from ..montecarlo.fastdraw import block_key
from ..montecarlo.sampling import BLOCK, UniformSource
from ..values import XLError
from . import ir

BACKENDS = ("numpy", "numba", "cupy")


def draw(spec: ir.InputSpec, u: np.ndarray) -> np.ndarray:
    """Values of one input from its uniforms (as the interpreter samples them)."""
    if spec.kind == "rand":
        return u.copy()
    if spec.kind == "uniform":          # RANDARRAY's elements: min + u * (max - min)
        return spec.lo + u * (spec.hi - spec.lo)
    if spec.kind == "randbetween":
        return np.minimum(spec.lo + np.floor(u * (spec.hi - spec.lo + 1)), spec.hi)
    if spec.kind != "dist":
        return np.full(u.shape, np.nan)
    props = F.Props(truncate=spec.truncate, shift=spec.shift)
    if spec.truncatep is not None:
        props.extra["truncatep"] = spec.truncatep
    try:
        x = F.sample(DISTRIBUTIONS[spec.dist], spec.params, props, u)
    except (XLError, DistributionError, ValueError, ZeroDivisionError):
        return np.full(u.shape, np.nan)
    return np.broadcast_to(np.asarray(x, dtype=np.float64), u.shape)


@dataclass
class SourceSpec:
    """Everything needed to rebuild the simulation's UniformSource elsewhere
    (a Dask worker)."""
    method: str
    seed: int
    n: int
    ids: list
    seeds: list
    hdr_entity: int
    corr_groups: list

    @classmethod
    def of(cls, source: UniformSource, corr_groups) -> "SourceSpec":
        return cls(source.method, source.seed, source.n, list(source.ids), list(source.input_seeds),
                   source.hdr_entity, list(corr_groups or []))

    def build(self) -> UniformSource:
        transform = None
        if self.corr_groups:
            from types import SimpleNamespace
            from ..montecarlo.simulate import _correlator
            transform = _correlator(SimpleNamespace(corr_groups=self.corr_groups))
        return UniformSource(self.method, self.seed, self.n, self.ids, self.seeds, self.hdr_entity,
                             block_transform=transform)


def fused_draw(spec: ir.InputSpec) -> tuple[int, float, float] | None:
    """(kind, a, b) when the input can be drawn by :func:`fastdraw.fill_blocks`
    with the same values :func:`draw` gives (RAND, RANDARRAY's uniforms,
    untruncated unshifted normals with scalar parameters), else None."""
    if spec.kind == "rand":
        return FD.AFFINE, 0.0, 1.0
    if spec.kind == "uniform":
        return FD.AFFINE, float(spec.lo), float(spec.hi - spec.lo)
    if (spec.kind == "dist" and spec.dist == "NORMAL" and spec.truncate is None and spec.truncatep is None
            and not spec.shift and len(spec.params) == 2
            and all(isinstance(v, (float, int)) and not isinstance(v, bool) for v in spec.params)):
        mean, sd = (float(v) for v in spec.params)
        if np.isfinite(mean) and np.isfinite(sd) and sd >= 0:
            return FD.NORMAL, mean, sd
    return None


class InputDraws:
    """Input values for a range of iterations, shape (inputs, iterations).

    Uncorrelated inputs (not Sobol or HDR) draw from one stream each.  The
    common ones (normals, RAND, uniforms) are drawn by one compiled call,
    parallel over inputs, straight into the chunk (chunks that are whole
    sampling blocks waste nothing); the rest each get a one-column
    UniformSource, sampled in parallel threads (NumPy and SciPy release
    the GIL).  Either way the values are those the interpreter draws."""

    def __init__(self, source: UniformSource, specs: list[ir.InputSpec], threads: int | None = None):
        self.source = source
        self.specs = specs
        self.split = source.block_transform is None and source.method != "sobol" and len(specs) > 1
        self.fused: list[int] = []
        self.generic = list(range(len(specs)))
        if self.split and source.method in ("mc", "lhs"):
            fused = [(j, fused_draw(s)) for j, s in enumerate(specs)]
            self.fused = [j for j, f in fused if f is not None]
            self.generic = [j for j, f in fused if f is None]
            self._kinds = np.array([f[0] for _, f in fused if f is not None], dtype=np.int64)
            self._a = np.array([f[1] for _, f in fused if f is not None], dtype=np.float64)
            self._b = np.array([f[2] for _, f in fused if f is not None], dtype=np.float64)
        if self.split:
            self.subs = {j: UniformSource(source.method, source.seed, source.n, [source.ids[j]],
                                          [source.input_seeds[j]], source.hdr_entity)
                         for j in self.generic}
        self.threads = threads or min(8, os.cpu_count() or 1)
        self._pool = (ThreadPoolExecutor(self.threads)
                      if self.threads > 1 and len(self.generic) > 1 else None)

    def _fill_fused(self, b: int, lo: int, hi: int, out: np.ndarray) -> None:
        src = self.source
        keys = np.array([block_key(src.seed if src.input_seeds[j] is None else int(src.input_seeds[j]),
                                   src.ids[j], b) for j in self.fused], dtype=np.uint64)
        FD.fill_blocks(keys, self._kinds, self._a, self._b, src._block_size(b), src.method == "lhs", EPS,
                       lo, hi, out)

    def __call__(self, start: int, stop: int) -> np.ndarray:
        k = len(self.specs)
        X = np.empty((k, stop - start))
        if self.fused:
            rows = np.asarray(self.fused)
            i = start
            while i < stop:
                b = i // BLOCK
                lo, hi = i - b * BLOCK, min(stop - b * BLOCK, self.source._block_size(b))
                if len(self.fused) == k and hi - lo == stop - start:
                    self._fill_fused(b, lo, hi, X)     # the chunk lies in one block: straight into X
                else:
                    part = np.empty((len(self.fused), hi - lo))
                    self._fill_fused(b, lo, hi, part)
                    X[rows, i - start:i - start + hi - lo] = part
                i = b * BLOCK + hi
        if not self.generic:
            return X
        if not self.split:
            U = self.source.draws(start, stop)

            def one(j: int) -> None:
                X[j] = draw(self.specs[j], np.ascontiguousarray(U[:, j]))
        else:
            def one(j: int) -> None:
                X[j] = draw(self.specs[j], self.subs[j].draws(start, stop)[:, 0])
        if self._pool is None:
            for j in self.generic:
                one(j)
        else:
            list(self._pool.map(one, self.generic))
        return X

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None


def gpu_available() -> bool:
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def numba_available() -> bool:
    try:
        import numba  # noqa: F401
        return True
    except ImportError:
        return False


def choose_backend(requested: str, program: ir.Program, n: int) -> str:
    """'auto': the GPU when there is one, Numba for real work, NumPy for
    small runs (where loading the compiled kernel costs more than it saves)."""
    if requested != "auto":
        return requested
    if gpu_available():
        return "cupy"
    work = n * max(1, program.stats.get("compiled", 1))
    if numba_available() and work >= 2_000_000:
        return "numba"
    return "numpy"


def make_backend(name: str, program: ir.Program):
    if name == "numpy":
        from .backend_numpy import NumpyBackend
        return NumpyBackend(program)
    if name == "numba":
        from .backend_numba import NumbaBackend
        return NumbaBackend(program)
    if name == "cupy":
        from .backend_cupy import CupyBackend
        return CupyBackend(program)
    raise ValueError(f"unknown backend {name!r}; use one of {', '.join(BACKENDS)}, interpreter or auto")


DRAWS_BUDGET = 256 << 20      # bytes of input draws (and outputs) held for one chunk


def default_chunk(program: ir.Program, n: int, backend) -> int:
    """Chunks bounded by memory (the draws of all inputs for a chunk stay
    under ``DRAWS_BUDGET``) and aligned to the sampling blocks: a whole
    block when it fits, else an equal share of one, so no chunk straddles
    two blocks and a Latin-hypercube block's permutation is drawn as few
    times as memory allows."""
    per = 8 * max(1, program.n_inputs + len(program.outputs))
    shares = -(-BLOCK * per // DRAWS_BUDGET)               # ceil
    chunk = max(1024, -(-BLOCK // shares))
    return int(max(1, min(n, chunk, backend.chunk_limit() * 8)))


class CompiledRun:
    """One simulation's compiled evaluation: ``run(start, stop)`` gives the
    input draws and the output series of those iterations."""

    def __init__(self, program: ir.Program, backend_name: str, source: UniformSource):
        self.program = program
        self.backend_name = backend_name
        self.backend = make_backend(backend_name, program)
        self.draws = InputDraws(source, program.inputs)
        self.corr_groups = None      # the plan's correlation groups (to rebuild the source elsewhere)

    def run(self, start: int, stop: int):
        X = self.draws(start, stop)
        Y = self.backend.run(X) if len(self.program.instrs) or self.backend_needed() else None
        return X, self.series(Y, stop - start)

    def backend_needed(self) -> bool:
        return any(o.slot is not None for o in self.program.outputs)

    def series(self, Y, m: int) -> list[tuple[np.ndarray, int]]:
        from ..montecarlo.simulate import _as_float_series
        out = []
        j = 0
        for o in self.program.outputs:
            if o.slot is None:
                s, nerr = _as_float_series(o.series_value, m)
                out.append((np.array(s, dtype=float), nerr))
            else:
                y = np.array(Y[j], dtype=float)
                j += 1
                out.append((y, int(np.count_nonzero(np.isnan(y)))))
        return out

    def close(self) -> None:
        self.draws.close()


def prepare(model, plan, source: UniformSource, backend: str, n: int) -> tuple[CompiledRun | None, list[str]]:
    """The compiled evaluation of a simulation, or None (with the reason in
    the notes) when the interpreter must run it."""
    from .lower import CompileError
    from .program import compile_plan
    notes: list[str] = []
    if backend == "interpreter":
        return None, notes
    if backend not in ("auto", *BACKENDS):
        raise ValueError(f"unknown backend {backend!r}; use auto, interpreter, {', '.join(BACKENDS)}")
    try:
        program = compile_plan(model, plan)
    except CompileError as exc:
        notes.append(f"not compiled, the interpreter ran the simulation: {exc}")
        return None, notes
    name = choose_backend(backend, program, n)
    order = [name] + [b for b in ("numba", "numpy") if b != name]
    for cand in order:
        try:
            run = CompiledRun(program, cand, source)
            run.corr_groups = plan.corr_groups
            return run, notes
        except RuntimeError as exc:
            notes.append(f"backend {cand} unavailable ({exc}); trying the next one")
    return None, notes
