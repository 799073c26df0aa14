"""Scalar semantics of the IR operations that are more than one machine op.

Plain Python over floats, written in the subset Numba compiles, so the Numba
backend jit-compiles these very functions and the NumPy backend uses them for
the few scenarios its vectorized code hands back (an IRR that Newton's method
does not settle).  NaN is an error; results that overflow become NaN.
"""
from __future__ import annotations

import math

NAN = math.nan


def fin(x: float) -> float:
    return x if x - x == 0.0 else NAN


def xl_pow(x: float, y: float) -> float:
    """Excel's ^ (engine.eval.operators.power): 0^0 #NUM!, 0^-n #DIV/0!,
    odd roots of negative numbers allowed."""
    if x != x or y != y:
        return NAN
    if x == 0.0 and y == 0.0:
        return NAN
    if x == 0.0 and y < 0.0:
        return NAN
    if x < 0.0 and math.floor(y) != y:
        inv = 1.0 / y
        k = math.floor(inv + 0.5)
        if abs(inv - k) < 1e-12 and k % 2.0 == 1.0:
            return fin(-((-x) ** y))
        return NAN
    return fin(x ** y)


def fin_pow(base: float, e: float) -> float:
    """The financial functions' power: 0 to a negative power and a negative
    base to a fractional power are errors."""
    if base == 0.0 and e < 0.0:
        return NAN
    if base < 0.0 and e != math.floor(e):
        return NAN
    return fin(base ** e)


def xl_round(x: float, d: float, mode: int) -> float:
    """ROUND (mode 0), ROUNDUP (1), ROUNDDOWN (2) on the 15-significant-digit
    decimal form of x, as engine.functions.math._round_decimal does."""
    if x != x or d != d or d - d != 0.0:
        return NAN
    if x == 0.0 or x - x != 0.0:
        return x
    di = float(math.trunc(d))
    if di > 400.0:
        di = 400.0
    if di < -400.0:
        di = -400.0
    ax = abs(x)
    e = math.floor(math.log10(ax))
    # the 15-digit mantissa K: x ~= K * 10^(e-14), 10^14 <= K < 10^15
    if 14.0 - e > 300.0 or 14.0 - e < -300.0:
        return x
    kk = ax * 10.0 ** (14.0 - e) if 14.0 - e >= 0.0 else ax / 10.0 ** (e - 14.0)
    K = math.floor(kk + 0.5)
    if K >= 1e15:          # log10 landed one decade low
        e += 1.0
        kk = ax * 10.0 ** (14.0 - e) if 14.0 - e >= 0.0 else ax / 10.0 ** (e - 14.0)
        K = math.floor(kk + 0.5)
    if K < 1e14:           # ...or one decade high
        e -= 1.0
        kk = ax * 10.0 ** (14.0 - e) if 14.0 - e >= 0.0 else ax / 10.0 ** (e - 14.0)
        K = math.floor(kk + 0.5)
    sign = -1.0 if x < 0.0 else 1.0
    s = (e - 14.0) + di                 # x * 10^di = K * 10^s
    if s >= 0.0:                        # nothing to round away: the 15-digit value
        p = 14.0 - e
        v = K / 10.0 ** p if p >= 0.0 else K * 10.0 ** (-p)
        return sign * v
    q = -s
    if q > 15.0:                        # every digit is below the rounding position
        if mode == 1:
            kq = 1.0
        else:
            kq = 0.0
    else:
        div = 10.0 ** q
        kq = math.floor(K / div)
        rem = K - kq * div
        if mode == 0:
            if 2.0 * rem >= div:
                kq += 1.0
        elif mode == 1:
            if rem > 0.0:
                kq += 1.0
    if kq == 0.0:
        return 0.0
    v = kq / 10.0 ** di if di >= 0.0 else kq * 10.0 ** (-di)
    return sign * v


def xl_mod(n: float, d: float) -> float:
    if n != n or d != d or d == 0.0:
        return NAN
    return fin(n % d)


def xl_log(x: float, base: float) -> float:
    if x != x or base != base or x <= 0.0 or base <= 0.0 or base == 1.0:
        return NAN
    if base == 10.0:
        return math.log10(x)
    return fin(math.log(x) / math.log(base))


def _when(t: float) -> float:
    return 0.0 if t == 0.0 else 1.0


def xl_pmt(rate: float, nper: float, pv: float, fv: float, t: float) -> float:
    if rate != rate or nper != nper or pv != pv or fv != fv or t != t:
        return NAN
    t = _when(t)
    if nper == 0.0:
        return NAN
    if rate == 0.0:
        return fin(-(pv + fv) / nper)
    if rate <= -1.0:
        return NAN
    g = (1.0 + rate) ** nper
    if g - g != 0.0:
        return NAN
    if g == 1.0:
        return fin(-(pv + fv) / nper)
    return fin(-rate * (fv + pv * g) / ((1.0 + rate * t) * (g - 1.0)))


def xl_fv(rate: float, nper: float, pmt: float, pv: float, t: float) -> float:
    if rate != rate or nper != nper or pmt != pmt or pv != pv or t != t:
        return NAN
    t = _when(t)
    if rate == 0.0:
        return fin(-(pv + pmt * nper))
    g = fin_pow(1.0 + rate, nper)
    return fin(-(pv * g + pmt * (1.0 + rate * t) * (g - 1.0) / rate))


def xl_pv(rate: float, nper: float, pmt: float, fv: float, t: float) -> float:
    if rate != rate or nper != nper or pmt != pmt or fv != fv or t != t:
        return NAN
    t = _when(t)
    if rate == 0.0:
        return fin(-(fv + pmt * nper))
    g = fin_pow(1.0 + rate, nper)
    if g == 0.0:
        return NAN
    return fin(-(fv + pmt * (1.0 + rate * t) * (g - 1.0) / rate) / g)


# --- IRR: Newton's method from the guess, then a bracketing search -------------------------

def npv0(rate: float, flows, n: int):
    """Value at t=0 of flows[0..n) at t=0,1,2... and its derivative in rate."""
    if rate == -1.0:
        return NAN, NAN
    d = 1.0 / (1.0 + rate)
    f = 0.0
    df = 0.0
    x = 1.0
    for i in range(n):
        v = flows[i]
        f += v * x
        df -= i * v * x * d
        x *= d
    return f, df


def irr_newton(flows, n: int, guess: float) -> float:
    """Newton from ``guess`` (engine.functions.financial._newton + _polish);
    NaN when it fails."""
    x = guess
    for _ in range(100):
        fx, dx = npv0(x, flows, n)
        if fx - fx != 0.0 or dx - dx != 0.0:
            return NAN
        if fx == 0.0:
            return x
        if dx == 0.0:
            return NAN
        nx = x - fx / dx
        if nx - nx != 0.0 or nx <= -1.0:
            return NAN
        if abs(nx - x) < 1e-10:
            return irr_polish(flows, n, nx)
        x = nx
    return NAN


def irr_polish(flows, n: int, x: float) -> float:
    for _ in range(8):
        fx, dx = npv0(x, flows, n)
        if fx - fx != 0.0 or dx - dx != 0.0 or dx == 0.0 or fx == 0.0:
            break
        nx = x - fx / dx
        if nx - nx != 0.0 or nx <= -1.0:
            break
        fn, _d = npv0(nx, flows, n)
        if fn - fn != 0.0 or abs(fn) > abs(fx):
            break
        if nx == x:
            break
        x = nx
    return x


def _bisect(flows, n: int, a: float, b: float, fa: float) -> float:
    for _ in range(300):
        mid = 0.5 * (a + b)
        if mid <= a or mid >= b:
            break
        fm, _d = npv0(mid, flows, n)
        if fm - fm != 0.0:
            return NAN
        if fm == 0.0:
            return mid
        if (fm < 0.0) == (fa < 0.0):
            a = mid
            fa = fm
        else:
            b = mid
    return 0.5 * (a + b)


def irr_bracket(flows, n: int, guess: float, grid) -> float:
    """Every sign change of the NPV on ``grid``, refined; the root nearest the guess."""
    best = NAN
    fa, _d = npv0(grid[0], flows, n)
    for j in range(grid.shape[0] - 1):
        a = grid[j]
        b = grid[j + 1]
        fb, _d = npv0(b, flows, n)
        if fa - fa == 0.0 and fb - fb == 0.0:
            root = NAN
            if fa == 0.0:
                root = a
            elif (fa < 0.0) != (fb < 0.0):
                root = _bisect(flows, n, a, b, fa)
            if root == root and (best != best or abs(root - guess) < abs(best - guess)):
                best = root
        fa = fb
    return best


def irr_checks(flows, n: int, guess: float) -> bool:
    """Whether IRR is defined at all: no error among the flows, a guess above
    -1, and flows of both signs."""
    if guess != guess or guess <= -1.0:
        return False
    pos = False
    neg = False
    for i in range(n):
        v = flows[i]
        if v != v:
            return False
        if v > 0.0:
            pos = True
        elif v < 0.0:
            neg = True
    return pos and neg


def irr(flows, n: int, guess: float, grid) -> float:
    if not irr_checks(flows, n, guess):
        return NAN
    r = irr_newton(flows, n, guess)
    if r != r:
        r = irr_bracket(flows, n, guess, grid)
    return r
