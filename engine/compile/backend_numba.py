"""The Numba backend: one interpreter over the compiled op table, fused over
all instructions and parallel over scenarios.

The plan is encoded as two integer arrays (``code``: one row per
instruction; ``idx``: the slot lists), so the machine code is the same for
every workbook: it is compiled once per machine and cached on disk
(``cache=True``), and a workbook of a million formulas is a longer table,
not a larger function.  Scenarios are processed in tiles of ``T`` lanes; each
thread keeps a register file of (slots x T) in cache and runs every
instruction over its tile, so no intermediate is ever materialised for all
scenarios of a chunk.

Parallelism: the kernel is compiled ``nogil`` and each of ``os.cpu_count()``
threads runs every k-th tile.  (A ``prange`` driver gives the same speed but
costs about 11 s more of first-time compilation on a 2-core machine.)
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import ir
from . import scalar as S

try:
    import numba
    from numba import njit
    HAVE_NUMBA = True
except ImportError:       # pragma: no cover - numba is a dependency
    HAVE_NUMBA = False

# per-thread register file budget (bytes); measured on the 10,000-formula
# portfolio, 64-128 lanes beat 8-32 even past the L2 size
TILE_BUDGET = int(os.environ.get("GRIDFLOW_TILE_BYTES", 4 << 20))

# columns of a ``code`` row
C_OP, C_M, C_OUT, C_A, C_B, C_C, C_D, C_E, C_LIST = range(9)
NCOL = 9


def encode(program: ir.Program) -> tuple[np.ndarray, np.ndarray]:
    rows = []
    idx: list[np.ndarray] = []
    pos = 0

    def put(arr: np.ndarray) -> int:
        nonlocal pos
        at = pos
        idx.append(np.asarray(arr, dtype=np.int64))
        pos += len(arr)
        return at

    for ins in program.instrs:
        row = [ins.op, ins.m, put(ins.out), -1, -1, -1, -1, -1, -1]
        for k, a in enumerate(ins.args):
            row[C_A + k] = put(a)
        if ins.offsets is not None:
            # member m's list: idx[idx[L + m] : idx[L + m + 1]]
            head = pos + len(ins.offsets)
            row[C_LIST] = put(ins.offsets + head)
            put(ins.flat)
        rows.append(row)
    code = np.array(rows, dtype=np.int64).reshape(-1, NCOL)
    flat = np.concatenate(idx) if idx else np.zeros(0, dtype=np.int64)
    return code, flat


if HAVE_NUMBA:
    _jit = dict(cache=True, nogil=True, error_model="numpy")
    fin = njit(inline="always", **_jit)(S.fin)

    def _rebind(fn, **names):
        """``fn`` compiled with the helpers it calls replaced by their compiled versions."""
        import types
        g = dict(fn.__globals__)
        g.update(names)
        return njit(**_jit)(types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__))

    _when = _rebind(S._when)
    xl_pow = _rebind(S.xl_pow, fin=fin)
    fin_pow = _rebind(S.fin_pow, fin=fin)
    xl_round = _rebind(S.xl_round)
    xl_mod = _rebind(S.xl_mod, fin=fin)
    xl_log = _rebind(S.xl_log, fin=fin)
    xl_pmt = _rebind(S.xl_pmt, fin=fin, _when=_when)
    xl_fv = _rebind(S.xl_fv, fin=fin, _when=_when, fin_pow=fin_pow)
    xl_pv = _rebind(S.xl_pv, fin=fin, _when=_when, fin_pow=fin_pow)
    npv0 = _rebind(S.npv0)
    irr_polish = _rebind(S.irr_polish, npv0=npv0)
    irr_newton = _rebind(S.irr_newton, npv0=npv0, irr_polish=irr_polish)
    _bisect = _rebind(S._bisect, npv0=npv0)
    irr_bracket = _rebind(S.irr_bracket, npv0=npv0, _bisect=_bisect)
    irr_checks = _rebind(S.irr_checks)
    irr_scalar = _rebind(S.irr, irr_checks=irr_checks, irr_newton=irr_newton, irr_bracket=irr_bracket)

    @njit(**_jit)
    def _unary(op, R, idx, M, o, a, T):
        nan = np.nan
        for m in range(M):
            ro = idx[o + m]
            ra = idx[a + m]
            if op == 0:      # COPY
                for t in range(T):
                    R[ro, t] = R[ra, t]
            elif op == 1:    # NEG
                for t in range(T):
                    R[ro, t] = -R[ra, t]
            elif op == 2:    # ABS
                for t in range(T):
                    R[ro, t] = abs(R[ra, t])
            elif op == 3:    # EXP
                for t in range(T):
                    x = math.exp(R[ra, t])
                    R[ro, t] = x if x - x == 0.0 else nan
            elif op == 4:    # LN
                for t in range(T):
                    x = R[ra, t]
                    R[ro, t] = math.log(x) if x > 0.0 else nan
            elif op == 5:    # LOG10
                for t in range(T):
                    x = R[ra, t]
                    R[ro, t] = math.log10(x) if x > 0.0 else nan
            elif op == 6:    # SQRT
                for t in range(T):
                    x = R[ra, t]
                    R[ro, t] = math.sqrt(x) if x >= 0.0 else nan
            elif op == 7:    # INT
                for t in range(T):
                    R[ro, t] = math.floor(R[ra, t])
            elif op == 8:    # NOT
                for t in range(T):
                    x = R[ra, t]
                    R[ro, t] = nan if x != x else (1.0 if x == 0.0 else 0.0)
            elif op == 9:    # ISERR
                for t in range(T):
                    x = R[ra, t]
                    R[ro, t] = 1.0 if x != x else 0.0
            elif op == 10:   # ISNUM
                for t in range(T):
                    x = R[ra, t]
                    R[ro, t] = 0.0 if x != x else 1.0
            elif op == 11:   # SIGN
                for t in range(T):
                    x = R[ra, t]
                    R[ro, t] = nan if x != x else (1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0))

    @njit(**_jit)
    def _binary(op, R, idx, M, o, a, b, T):
        nan = np.nan
        for m in range(M):
            ro = idx[o + m]
            ra = idx[a + m]
            rb = idx[b + m]
            if op == 20:     # ADD
                for t in range(T):
                    x = R[ra, t] + R[rb, t]
                    R[ro, t] = x if x - x == 0.0 else nan
            elif op == 21:   # SUB
                for t in range(T):
                    x = R[ra, t] - R[rb, t]
                    R[ro, t] = x if x - x == 0.0 else nan
            elif op == 22:   # MUL
                for t in range(T):
                    x = R[ra, t] * R[rb, t]
                    R[ro, t] = x if x - x == 0.0 else nan
            elif op == 23:   # DIV
                for t in range(T):
                    y = R[rb, t]
                    x = R[ra, t] / y
                    R[ro, t] = nan if y == 0.0 or x - x != 0.0 else x
            elif op == 24:   # POW
                for t in range(T):
                    R[ro, t] = xl_pow(R[ra, t], R[rb, t])
            elif op == 25:   # MOD
                for t in range(T):
                    R[ro, t] = xl_mod(R[ra, t], R[rb, t])
            elif op == 26:   # LOG
                for t in range(T):
                    R[ro, t] = xl_log(R[ra, t], R[rb, t])
            elif op == 27 or op == 28 or op == 29:   # ROUND, ROUNDUP, ROUNDDOWN
                mode = op - 27
                for t in range(T):
                    R[ro, t] = xl_round(R[ra, t], R[rb, t], mode)
            elif op == 30:   # IFERROR
                for t in range(T):
                    x = R[ra, t]
                    R[ro, t] = R[rb, t] if x != x else x
            else:            # comparisons 31..36
                for t in range(T):
                    x = R[ra, t]
                    y = R[rb, t]
                    if x != x or y != y:
                        R[ro, t] = nan
                    else:
                        if op == 31:
                            c = x == y
                        elif op == 32:
                            c = x != y
                        elif op == 33:
                            c = x < y
                        elif op == 34:
                            c = x > y
                        elif op == 35:
                            c = x <= y
                        else:
                            c = x >= y
                        R[ro, t] = 1.0 if c else 0.0

    @njit(**_jit)
    def _five(op, R, idx, M, o, a, b, c, d, e, T):
        for m in range(M):
            ro = idx[o + m]
            ra = idx[a + m]
            rb = idx[b + m]
            rc = idx[c + m]
            rd = idx[d + m]
            re = idx[e + m]
            for t in range(T):
                if op == 50:
                    R[ro, t] = xl_pmt(R[ra, t], R[rb, t], R[rc, t], R[rd, t], R[re, t])
                elif op == 51:
                    R[ro, t] = xl_pv(R[ra, t], R[rb, t], R[rc, t], R[rd, t], R[re, t])
                else:
                    R[ro, t] = xl_fv(R[ra, t], R[rb, t], R[rc, t], R[rd, t], R[re, t])

    @njit(**_jit)
    def _lists(op, R, idx, M, o, a, lst, T, grid, buf):
        nan = np.nan
        for m in range(M):
            ro = idx[o + m]
            lo = idx[lst + m]
            hi = idx[lst + m + 1]
            cnt = hi - lo
            if op == 60 or op == 64:     # SUM, AVERAGE
                for t in range(T):
                    buf[t] = 0.0
                for k in range(lo, hi):
                    rs = idx[k]
                    for t in range(T):
                        buf[t] += R[rs, t]
                for t in range(T):
                    x = buf[t]
                    if op == 64:
                        x = x / cnt if cnt > 0 else nan
                    R[ro, t] = x if x - x == 0.0 else nan
            elif op == 61:               # PRODUCT
                for t in range(T):
                    buf[t] = 1.0
                for k in range(lo, hi):
                    rs = idx[k]
                    for t in range(T):
                        buf[t] *= R[rs, t]
                for t in range(T):
                    x = buf[t]
                    if cnt == 0:
                        x = 0.0
                    R[ro, t] = x if x - x == 0.0 else nan
            elif op == 62 or op == 63:   # MIN, MAX
                if cnt == 0:
                    for t in range(T):
                        R[ro, t] = 0.0
                    continue
                rs = idx[lo]
                for t in range(T):
                    buf[t] = R[rs, t]
                for k in range(lo + 1, hi):
                    rs = idx[k]
                    for t in range(T):
                        x = R[rs, t]
                        y = buf[t]
                        if x != x or y != y:
                            buf[t] = nan
                        elif (op == 62 and x < y) or (op == 63 and x > y):
                            buf[t] = x
                for t in range(T):
                    R[ro, t] = buf[t]
            elif op == 65 or op == 66:   # AND, OR
                for t in range(T):
                    buf[t] = 1.0 if op == 65 else 0.0
                for k in range(lo, hi):
                    rs = idx[k]
                    for t in range(T):
                        x = R[rs, t]
                        y = buf[t]
                        if x != x or y != y:
                            buf[t] = nan
                        elif op == 65:
                            if x == 0.0:
                                buf[t] = 0.0
                        else:
                            if x != 0.0:
                                buf[t] = 1.0
                for t in range(T):
                    R[ro, t] = buf[t] if cnt > 0 else nan
            elif op == 70:               # NPV
                ra = idx[a + m]
                for t in range(T):
                    rate = R[ra, t]
                    if rate == -1.0:
                        R[ro, t] = nan
                        continue
                    f = 1.0
                    total = 0.0
                    for k in range(lo, hi):
                        f *= (1.0 + rate)
                        total += R[idx[k], t] / f
                    R[ro, t] = total if total - total == 0.0 else nan
            elif op == 71:               # IRR
                ra = idx[a + m]
                flows = np.empty(cnt)
                for t in range(T):
                    for k in range(cnt):
                        flows[k] = R[idx[lo + k], t]
                    R[ro, t] = irr_scalar(flows, cnt, R[ra, t], grid)

    @njit(**_jit)
    def _exec(R, code, idx, T, grid, buf):
        for pc in range(code.shape[0]):
            op = code[pc, 0]
            M = code[pc, 1]
            o = code[pc, 2]
            a = code[pc, 3]
            if op < 20:
                _unary(op, R, idx, M, o, a, T)
            elif op < 40:
                _binary(op, R, idx, M, o, a, code[pc, 4], T)
            elif op == 40:   # IF
                b = code[pc, 4]
                c = code[pc, 5]
                for m in range(M):
                    ro = idx[o + m]
                    ra = idx[a + m]
                    rb = idx[b + m]
                    rc = idx[c + m]
                    for t in range(T):
                        x = R[ra, t]
                        R[ro, t] = np.nan if x != x else (R[rb, t] if x != 0.0 else R[rc, t])
            elif op < 60:
                _five(op, R, idx, M, o, a, code[pc, 4], code[pc, 5], code[pc, 6], code[pc, 7], T)
            else:
                _lists(op, R, idx, M, o, a, code[pc, 8], T, grid, buf)

    @njit(**_jit)
    def _run_tiles(w, nthreads, code, idx, consts, n_slots, X, in_base, out_slots, Y, T, grid):
        """Thread ``w``'s share of the tiles: every ``nthreads``-th one."""
        ni = X.shape[0]
        n = X.shape[1]
        nc = consts.shape[0]
        ntiles = (n + T - 1) // T
        R = np.empty((n_slots, T))
        buf = np.empty(T)
        for i in range(nc):
            for t in range(T):
                R[i, t] = consts[i]
        for tile in range(w, ntiles, nthreads):
            t0 = tile * T
            L = min(T, n - t0)
            for i in range(ni):
                for t in range(T):
                    x = X[i, t0 + t] if t < L else X[i, t0]
                    R[in_base + i, t] = x if x - x == 0.0 else np.nan
            _exec(R, code, idx, T, grid, buf)
            for j in range(out_slots.shape[0]):
                rs = out_slots[j]
                for t in range(L):
                    Y[j, t0 + t] = R[rs, t]


class NumbaBackend:
    name = "numba"

    def __init__(self, program: ir.Program, tile: int | None = None, threads: int | None = None):
        if not HAVE_NUMBA:
            raise RuntimeError("numba is not installed")
        from .backend_numpy import _rate_grid
        self.p = program
        self.code, self.idx = encode(program)
        self.consts = np.ascontiguousarray(program.const_values)
        self.out_slots = np.array([o.slot for o in program.outputs if o.slot is not None], dtype=np.int64)
        self.grid = _rate_grid()
        self.threads = threads or int(os.environ.get("GRIDFLOW_THREADS", 0)) or (os.cpu_count() or 1)
        self._pool = None
        if tile is None:
            # lanes per tile: long enough for SIMD and to amortise the dispatch,
            # short enough that a thread's registers stay in L2/L3
            t = TILE_BUDGET // (8 * max(1, program.n_slots))
            tile = 32
            while tile * 2 <= min(t, 256):
                tile *= 2
        self.tile = int(tile)

    def chunk_limit(self) -> int:
        return 1 << 30

    def run(self, X: np.ndarray) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float64)
        n = X.shape[1]
        if X.shape[0] == 0:             # no inputs (all locked): one column of nothing
            X = np.zeros((0, n))
        Y = np.empty((self.out_slots.shape[0], n))
        if n == 0:
            return Y
        k = max(1, min(self.threads, (n + self.tile - 1) // self.tile))
        args = (self.code, self.idx, self.consts, self.p.n_slots, X, self.p.input_base, self.out_slots, Y,
                self.tile, self.grid)
        if k == 1:
            _run_tiles(0, 1, *args)
        else:
            # the kernel releases the GIL: one thread per core, each with its own tiles
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads)
            list(self._pool.map(lambda w: _run_tiles(w, k, *args), range(k)))
        return Y
