"""The reference backend: each IR instruction is one vectorized NumPy
operation over a (members x scenarios) block.

Written against an array module ``xp`` so that the CuPy backend runs this
very code on a GPU.  The register file holds every slot for every scenario of
a chunk, so the chunk size bounds the memory.
"""
from __future__ import annotations

import numpy as np

from . import ir
from . import scalar as S

# bytes of register file a chunk may use
REGISTER_BUDGET = 256 * 1024 * 1024


def _rate_grid() -> np.ndarray:
    from ..functions.financial import _rate_grid as grid
    return np.array(grid(-1.0), dtype=np.float64)


class _Access:
    """How an instruction reads/writes a vector of slots: a slice of
    consecutive slots, one slot broadcast to every member, or a gather."""
    __slots__ = ("kind", "a", "b", "idx")

    def __init__(self, slots: np.ndarray, xp):
        m = slots.shape[0]
        self.idx = None
        if m and int(slots[-1]) - int(slots[0]) == m - 1 and (m == 1 or bool(np.all(np.diff(slots) == 1))):
            self.kind, self.a, self.b = 0, int(slots[0]), int(slots[0]) + m
        elif m and bool(np.all(slots == slots[0])):
            self.kind, self.a, self.b = 1, int(slots[0]), int(slots[0]) + 1
        else:
            self.kind, self.a, self.b = 2, 0, 0
            self.idx = xp.asarray(slots)

    def get(self, R):
        if self.kind == 2:
            return R[self.idx]
        return R[self.a:self.b]

    def put(self, R, v) -> None:
        if self.kind == 2:
            R[self.idx] = v
        else:
            R[self.a:self.b] = v


class _Step:
    __slots__ = ("op", "m", "out", "args", "lists", "lens", "equal", "flat_np", "offsets_np")

    def __init__(self, ins: ir.Instr, xp):
        self.op = ins.op
        self.m = ins.m
        self.out = _Access(ins.out, xp)
        self.args = [_Access(a, xp) for a in ins.args]
        self.lists = None
        if ins.offsets is not None:
            lens = np.diff(ins.offsets)
            L = int(lens.max()) if lens.size else 0
            pos = []   # per list position: (access over the members having it, member mask or None)
            for j in range(L):
                has = lens > j
                slots = np.where(has, ins.flat[np.minimum(ins.offsets[:-1] + j, max(len(ins.flat) - 1, 0))]
                                 if len(ins.flat) else 0, 0)
                mask = None if bool(has.all()) else xp.asarray(has[:, None])
                pos.append((_Access(slots.astype(np.int64), xp), mask))
            self.lists = pos
            self.lens = xp.asarray(lens.astype(np.float64)[:, None])
            self.equal = bool(lens.size == 0 or np.all(lens == lens[0]))
            self.flat_np = ins.flat
            self.offsets_np = ins.offsets


class NumpyBackend:
    name = "numpy"

    def __init__(self, program: ir.Program, xp=np):
        self.p = program
        self.xp = xp
        self.steps = [_Step(ins, xp) for ins in program.instrs]
        self.out_slots = np.array([o.slot for o in program.outputs if o.slot is not None], dtype=np.int64)
        self.grid = _rate_grid()
        self._R = None

    def chunk_limit(self) -> int:
        return max(64, REGISTER_BUDGET // (8 * max(1, self.p.n_slots)))

    def _registers(self, n: int):
        xp = self.xp
        if self._R is None or self._R.shape[1] != n:
            self._R = None
            R = xp.empty((self.p.n_slots, n), dtype=xp.float64)
            R[:self.p.n_const] = xp.asarray(self.p.const_values)[:, None]
            self._R = R
        return self._R

    def run(self, X: np.ndarray) -> np.ndarray:
        """X: (inputs, scenarios) draws -> (compiled outputs, scenarios)."""
        xp = self.xp
        n = X.shape[1]
        limit = self.chunk_limit()
        if n > limit:
            return np.concatenate([self.run(X[:, i:i + limit]) for i in range(0, n, limit)], axis=1)
        R = self._registers(n)
        base = self.p.input_base
        if self.p.n_inputs:
            Xd = xp.asarray(X)
            R[base:base + self.p.n_inputs] = xp.where(xp.isfinite(Xd), Xd, xp.nan)
        with np.errstate(all="ignore"):
            for st in self.steps:
                st.out.put(R, self._exec(st, R))
        if self.out_slots.size == 0:
            return np.empty((0, n))
        Y = R[xp.asarray(self.out_slots)]
        return Y if xp is np else xp.asnumpy(Y)

    # --- one instruction ------------------------------------------------------------------
    def _exec(self, st: _Step, R):
        xp = self.xp
        op = st.op
        nan = xp.nan
        if op in ir.LISTS:
            return self._list(st, R)
        a = st.args[0].get(R)
        if op == ir.COPY:
            return a
        if op == ir.NEG:
            return -a
        if op == ir.ABS:
            return xp.abs(a)
        if op == ir.EXP:
            return _fin(xp, xp.exp(a))
        if op == ir.LN:
            return xp.where(a > 0, xp.log(xp.where(a > 0, a, 1.0)), nan)
        if op == ir.LOG10:
            return xp.where(a > 0, xp.log10(xp.where(a > 0, a, 1.0)), nan)
        if op == ir.SQRT:
            return xp.where(a >= 0, xp.sqrt(xp.where(a >= 0, a, 0.0)), nan)
        if op == ir.INT:
            return xp.floor(a)
        if op == ir.SIGN:
            return xp.sign(a)
        if op == ir.NOT:
            return xp.where(xp.isnan(a), nan, xp.where(a == 0, 1.0, 0.0))
        if op == ir.ISERR:
            return xp.where(xp.isnan(a), 1.0, 0.0)
        if op == ir.ISNUM:
            return xp.where(xp.isnan(a), 0.0, 1.0)
        b = st.args[1].get(R)
        if op == ir.ADD:
            return _fin(xp, a + b)
        if op == ir.SUB:
            return _fin(xp, a - b)
        if op == ir.MUL:
            return _fin(xp, a * b)
        if op == ir.DIV:
            return xp.where(b == 0, nan, _fin(xp, a / b))
        if op == ir.POW:
            return _pow(xp, a, b)
        if op == ir.MOD:
            return xp.where((b == 0) | xp.isnan(a) | xp.isnan(b), nan, _fin(xp, xp.mod(a, xp.where(b == 0, 1.0, b))))
        if op == ir.LOG:
            ok = (a > 0) & (b > 0) & (b != 1)
            aa = xp.where(ok, a, 1.0)
            bb = xp.where(ok, b, 2.0)
            r = xp.where(bb == 10, xp.log10(aa), _fin(xp, xp.log(aa) / xp.log(bb)))
            return xp.where(ok, r, nan)
        if op in (ir.ROUND, ir.ROUNDUP, ir.ROUNDDOWN):
            return _round(xp, a, b, op - ir.ROUND)
        if op == ir.IFERROR:
            return xp.where(xp.isnan(a), b, a)
        if op in _CMP:
            r = _CMP[op](a, b)
            return xp.where(xp.isnan(a) | xp.isnan(b), nan, xp.where(r, 1.0, 0.0))
        c = st.args[2].get(R)
        if op == ir.IF:
            return xp.where(xp.isnan(a), nan, xp.where(a != 0, b, c))
        d = st.args[3].get(R)
        e = st.args[4].get(R)
        if op == ir.PMT:
            return _pmt(xp, a, b, c, d, e)
        if op == ir.PV:
            return _pv(xp, a, b, c, d, e)
        if op == ir.FV:
            return _fv(xp, a, b, c, d, e)
        raise ValueError(f"unknown IR operation {op}")

    def _list(self, st: _Step, R):
        xp = self.xp
        op = st.op
        m = st.m
        n = R.shape[1]
        nan = xp.nan
        if op == ir.IRR:
            return self._irr(st, R)
        pos = st.lists

        def take(j):
            acc, mask = pos[j]
            return acc.get(R), mask

        count = st.lens
        if op in (ir.SUM, ir.AVERAGE, ir.NPV):
            total = xp.zeros((m, n))
            if op == ir.NPV:
                rate = st.args[0].get(R)
                f = xp.ones((m, n))
            for j in range(len(pos)):
                x, mask = take(j)
                if op == ir.NPV:
                    nf = f * (1.0 + rate)
                    nt = total + x / nf
                else:
                    nt = total + x
                if mask is None:
                    total = nt
                    if op == ir.NPV:
                        f = nf
                else:
                    total = xp.where(mask, nt, total)
                    if op == ir.NPV:
                        f = xp.where(mask, nf, f)
            if op == ir.NPV:
                return xp.where(rate == -1, nan, _fin(xp, total))
            if op == ir.AVERAGE:
                return xp.where(count == 0, nan, _fin(xp, total / xp.where(count == 0, 1.0, count)))
            return _fin(xp, total)
        if op == ir.PRODUCT:
            p = xp.ones((m, n))
            for j in range(len(pos)):
                x, mask = take(j)
                p = p * x if mask is None else xp.where(mask, p * x, p)
            return xp.where(count == 0, 0.0, _fin(xp, p))
        if op in (ir.MIN, ir.MAX):
            fn = xp.minimum if op == ir.MIN else xp.maximum
            acc = None
            for j in range(len(pos)):
                x, mask = take(j)
                if acc is None:
                    acc = xp.broadcast_to(x, (m, n))   # every member has its first entry
                    acc = xp.where(count == 0, 0.0, acc)
                    continue
                acc = fn(acc, x) if mask is None else xp.where(mask, fn(acc, x), acc)
            return xp.zeros((m, n)) if acc is None else acc + 0.0
        if op in (ir.AND, ir.OR):
            err = xp.zeros((m, n), dtype=bool)
            res = xp.full((m, n), op == ir.AND)
            for j in range(len(pos)):
                x, mask = take(j)
                e = xp.isnan(x)
                t = x != 0
                if mask is not None:
                    e = e & mask
                    t = (t & mask) if op == ir.OR else (t | ~mask)
                err = err | e
                res = (res & t) if op == ir.AND else (res | t)
            return xp.where(err | (count == 0), nan, xp.where(res, 1.0, 0.0))
        raise ValueError(f"unknown list operation {op}")

    def _irr(self, st: _Step, R):
        """Newton's method on every scenario at once, step for step the same
        iteration as scalar.irr; the scenarios it leaves go to the scalar
        bracketing search."""
        xp = self.xp
        m = st.m
        n = R.shape[1]
        guess_all = xp.broadcast_to(st.args[0].get(R), (m, n))
        out = xp.full((m, n), xp.nan)
        offs = st.offsets_np
        for k in range(m):
            slots = st.flat_np[offs[k]:offs[k + 1]]
            L = len(slots)
            if L == 0:
                continue
            flows = R[xp.asarray(slots)]             # (L, n)
            guess = guess_all[k]
            ok = ~xp.isnan(guess) & (guess > -1) & ~xp.any(xp.isnan(flows), axis=0)
            ok &= xp.any(flows > 0, axis=0) & xp.any(flows < 0, axis=0)
            r = _newton_vec(xp, flows, xp.where(ok, guess, 0.1), ok)
            todo = ok & xp.isnan(r)
            if bool(todo.any()):
                idx = np.nonzero(_host(xp, todo))[0]
                fl = _host(xp, flows[:, xp.asarray(idx)])
                gs = _host(xp, guess[xp.asarray(idx)])
                vals = np.array([S.irr_bracket(fl[:, i], L, float(gs[i]), self.grid) for i in range(idx.size)])
                r[xp.asarray(idx)] = xp.asarray(vals)
            out[k] = r
        return out


def _host(xp, a):
    return a if xp is np else xp.asnumpy(a)


def _fin(xp, x):
    return xp.where(xp.isfinite(x), x, xp.nan)


_CMP = {ir.EQ: lambda a, b: a == b, ir.NE: lambda a, b: a != b, ir.LT: lambda a, b: a < b,
        ir.GT: lambda a, b: a > b, ir.LE: lambda a, b: a <= b, ir.GE: lambda a, b: a >= b}


def _pow(xp, x, y):
    nan = xp.nan
    x, y = xp.broadcast_arrays(x, y)
    r = _fin(xp, xp.power(x, y))
    neg = x < 0
    frac = xp.floor(y) != y
    odd = neg & frac
    if bool(xp.any(odd)):
        inv = 1.0 / xp.where(odd, y, 1.0)
        k = xp.floor(inv + 0.5)
        root = odd & (xp.abs(inv - k) < 1e-12) & (xp.mod(k, 2.0) == 1.0)
        r = xp.where(root, _fin(xp, -xp.power(-x, y)), xp.where(odd, nan, r))
    bad = xp.isnan(x) | xp.isnan(y) | ((x == 0) & (y <= 0))
    return xp.where(bad, nan, r)


def _fin_pow(xp, base, e):
    r = _fin(xp, xp.power(base, e))
    return xp.where(((base == 0) & (e < 0)) | ((base < 0) & (e != xp.floor(e))), xp.nan, r)


def _when(xp, t):
    return xp.where(t == 0, 0.0, 1.0)


def _anynan(xp, *xs):
    m = xp.isnan(xs[0])
    for x in xs[1:]:
        m = m | xp.isnan(x)
    return m


def _pmt(xp, rate, nper, pv, fv, t):
    rate, nper, pv, fv, t = xp.broadcast_arrays(rate, nper, pv, fv, t)
    bad = _anynan(xp, rate, nper, pv, fv, t)
    t = _when(xp, t)
    g = xp.power(1.0 + rate, nper)
    flat = -(pv + fv) / xp.where(nper == 0, 1.0, nper)
    gen = -rate * (fv + pv * g) / ((1.0 + rate * t) * (g - 1.0))
    r = xp.where((rate == 0) | (g == 1.0), flat, gen)
    r = xp.where((rate != 0) & ((rate <= -1) | ~xp.isfinite(g)), xp.nan, r)
    return xp.where(bad | (nper == 0), xp.nan, _fin(xp, r))


def _fv(xp, rate, nper, pmt, pv, t):
    rate, nper, pmt, pv, t = xp.broadcast_arrays(rate, nper, pmt, pv, t)
    bad = _anynan(xp, rate, nper, pmt, pv, t)
    t = _when(xp, t)
    g = _fin_pow(xp, 1.0 + rate, nper)
    gen = -(pv * g + pmt * (1.0 + rate * t) * (g - 1.0) / rate)
    r = xp.where(rate == 0, -(pv + pmt * nper), gen)
    return xp.where(bad, xp.nan, _fin(xp, r))


def _pv(xp, rate, nper, pmt, fv, t):
    rate, nper, pmt, fv, t = xp.broadcast_arrays(rate, nper, pmt, fv, t)
    bad = _anynan(xp, rate, nper, pmt, fv, t)
    t = _when(xp, t)
    g = _fin_pow(xp, 1.0 + rate, nper)
    gen = -(fv + pmt * (1.0 + rate * t) * (g - 1.0) / rate) / g
    r = xp.where(rate == 0, -(fv + pmt * nper), xp.where(g == 0, xp.nan, gen))
    return xp.where(bad, xp.nan, _fin(xp, r))


def _round(xp, x, d, mode: int):
    """scalar.xl_round, vectorized."""
    nan = xp.nan
    x, d = xp.broadcast_arrays(x, d)
    bad = xp.isnan(x) | ~xp.isfinite(d)
    keep = (x == 0) | ~xp.isfinite(x)
    di = xp.clip(xp.trunc(xp.where(bad, 0.0, d)), -400.0, 400.0)
    ax = xp.abs(xp.where(keep | bad, 1.0, x))
    e = xp.floor(xp.log10(ax))

    def mant(e):
        p = 14.0 - e
        return xp.floor(xp.where(p >= 0, ax * 10.0 ** xp.maximum(p, 0.0), ax / 10.0 ** xp.maximum(-p, 0.0)) + 0.5)

    K = mant(e)
    hi = K >= 1e15
    e = xp.where(hi, e + 1.0, e)
    K = xp.where(hi, mant(e), K)
    lo = K < 1e14
    e = xp.where(lo, e - 1.0, e)
    K = xp.where(lo, mant(e), K)
    extreme = (14.0 - e > 300.0) | (14.0 - e < -300.0)
    sign = xp.where(x < 0, -1.0, 1.0)
    s = (e - 14.0) + di
    p = 14.0 - e
    exact = xp.where(p >= 0, K / 10.0 ** xp.maximum(p, 0.0), K * 10.0 ** xp.maximum(-p, 0.0))
    q = -s
    div = 10.0 ** xp.clip(q, 0.0, 15.0)
    kq = xp.floor(K / div)
    rem = K - kq * div
    if mode == 0:
        kq = xp.where(2.0 * rem >= div, kq + 1.0, kq)
    elif mode == 1:
        kq = xp.where(rem > 0, kq + 1.0, kq)
    kq = xp.where(q > 15.0, 1.0 if mode == 1 else 0.0, kq)
    v = xp.where(di >= 0, kq / 10.0 ** xp.maximum(di, 0.0), kq * 10.0 ** xp.maximum(-di, 0.0))
    v = xp.where(kq == 0, 0.0, sign * v)
    r = xp.where(s >= 0, sign * exact, v)
    r = xp.where(extreme, x, r)
    r = xp.where(keep, x, r)
    return xp.where(bad, nan, r)


def _npv0_vec(xp, rate, flows):
    d = 1.0 / (1.0 + xp.where(rate == -1, 0.0, rate))
    f = xp.zeros_like(rate)
    df = xp.zeros_like(rate)
    x = xp.ones_like(rate)
    for i in range(flows.shape[0]):
        v = flows[i]
        f = f + v * x
        df = df - i * v * x * d
        x = x * d
    bad = rate == -1
    return xp.where(bad, xp.nan, f), xp.where(bad, xp.nan, df)


def _newton_vec(xp, flows, guess, active):
    """scalar.irr_newton + irr_polish for every scenario (NaN where they
    fail), iterating only on the scenarios still running."""
    nan = xp.nan
    res = xp.full(guess.shape, nan)
    idx = xp.nonzero(active)[0]
    x = guess[idx]
    F = flows[:, idx]
    done_idx, done_x = [], []
    for _ in range(100):
        if idx.shape[0] == 0:
            break
        fx, dx = _npv0_vec(xp, x, F)
        fail = ~(xp.isfinite(fx) & xp.isfinite(dx))
        zero = ~fail & (fx == 0)
        res[idx[zero]] = x[zero]
        fail = fail | (~zero & (dx == 0))
        nx = x - fx / xp.where(dx == 0, 1.0, dx)
        fail = fail | ~xp.isfinite(nx) | (nx <= -1.0)
        keep = ~fail & ~zero
        conv = keep & (xp.abs(nx - x) < 1e-10)
        done_idx.append(idx[conv])
        done_x.append(nx[conv])
        go = keep & ~conv
        idx, x, F = idx[go], nx[go], F[:, go]
    if not done_idx:
        return res
    idx = xp.concatenate(done_idx)
    x = xp.concatenate(done_x)
    F = flows[:, idx]
    for _ in range(8):            # polish: more steps while they improve
        if idx.shape[0] == 0:
            break
        fx, dx = _npv0_vec(xp, x, F)
        stop = ~(xp.isfinite(fx) & xp.isfinite(dx)) | (dx == 0) | (fx == 0)
        nx = x - fx / xp.where(dx == 0, 1.0, dx)
        stop = stop | ~xp.isfinite(nx) | (nx <= -1.0)
        fn, _ = _npv0_vec(xp, xp.where(stop, x, nx), F)
        stop = stop | ~xp.isfinite(fn) | (xp.abs(fn) > xp.abs(fx)) | (nx == x)
        res[idx[stop]] = x[stop]
        go = ~stop
        idx, x, F = idx[go], nx[go], F[:, go]
    res[idx] = x
    return res

