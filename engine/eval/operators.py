"""Excel's operators over scalars, arrays and per-scenario vectors."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..functions import coerce
from ..values import BLANK, DIV0, NUM, Array, XLError
from .vector import Vec, from_values


def _num_result(x: float) -> Any:
    if math.isnan(x) or math.isinf(x):
        return NUM
    return x


def scalar_binary(op: str, a: Any, b: Any) -> Any:
    if op == "&":
        if isinstance(a, XLError):
            return a
        if isinstance(b, XLError):
            return b
        return coerce.to_text(a) + coerce.to_text(b)
    if op in ("=", "<>", "<", ">", "<=", ">="):
        if isinstance(a, XLError):
            return a
        if isinstance(b, XLError):
            return b
        c = coerce.compare(a, b)
        return {"=": c == 0, "<>": c != 0, "<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[op]
    try:
        x = coerce.to_number(a)
        y = coerce.to_number(b)
    except XLError as e:
        return e
    if op == "+":
        return _num_result(x + y)
    if op == "-":
        return _num_result(x - y)
    if op == "*":
        return _num_result(x * y)
    if op == "/":
        if y == 0:
            return DIV0
        return _num_result(x / y)
    if op == "^":
        return power(x, y)
    raise ValueError(op)


def power(x: float, y: float) -> Any:
    if x == 0 and y == 0:
        return NUM
    if x == 0 and y < 0:
        return DIV0
    if x < 0 and not float(y).is_integer():
        # Excel allows odd roots of negatives: (-8)^(1/3) = -2
        inv = 1.0 / y if y != 0 else 0
        if inv and abs(inv - round(inv)) < 1e-12 and int(round(inv)) % 2 == 1:
            return _num_result(-((-x) ** y))
        return NUM
    try:
        return _num_result(math.pow(x, y))
    except OverflowError:
        return NUM


def scalar_unary(op: str, a: Any) -> Any:
    if isinstance(a, XLError):
        return a
    try:
        x = coerce.to_number(a)
    except XLError as e:
        return e
    return -x if op == "-" else x


def scalar_percent(a: Any) -> Any:
    if isinstance(a, XLError):
        return a
    try:
        return coerce.to_number(a) / 100.0
    except XLError as e:
        return e


# --- lifting -------------------------------------------------------------------

def binary(op: str, a: Any, b: Any) -> Any:
    if isinstance(a, Array) or isinstance(b, Array):
        return _array_binary(op, a, b)
    if isinstance(a, Vec) or isinstance(b, Vec):
        return vec_binary(op, a, b)
    return scalar_binary(op, a, b)


def _array_binary(op: str, a: Any, b: Any) -> Any:
    ar = a if isinstance(a, Array) else None
    br = b if isinstance(b, Array) else None
    rows = max(ar.rows if ar else 1, br.rows if br else 1)
    cols = max(ar.cols if ar else 1, br.cols if br else 1)
    out = []
    for r in range(rows):
        row = []
        for c in range(cols):
            x = ar.get(r, c) if ar else a
            y = br.get(r, c) if br else b
            row.append(binary(op, x, y))
        out.append(row)
    return Array(out)


_NP_OPS = {"+": np.add, "-": np.subtract, "*": np.multiply}
_NP_CMP = {"=": np.equal, "<>": np.not_equal, "<": np.less, ">": np.greater, "<=": np.less_equal,
           ">=": np.greater_equal}


def _as_float_operand(v: Any):
    """float64 array or float for the fast path, else None."""
    if isinstance(v, Vec):
        if v.data.dtype == np.float64:
            return v.data
        if v.data.dtype == np.bool_ and True:
            return v.data.astype(np.float64)
        return None
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, float):
        return v
    if v is BLANK:
        return 0.0   # a blank cell next to a numeric vector counts as 0
    return None


def vec_binary(op: str, a: Any, b: Any) -> Any:
    n = a.n if isinstance(a, Vec) else b.n
    if op in _NP_OPS or op in ("/", "^"):
        x, y = _as_float_operand(a), _as_float_operand(b)
        if x is not None and y is not None:
            with np.errstate(all="ignore"):
                if op in _NP_OPS:
                    res = _NP_OPS[op](x, y)
                elif op == "/":
                    res = np.divide(x, y)
                else:
                    res = np.power(x, y)
            res = np.broadcast_to(np.asarray(res, dtype=np.float64), (n,))
            if op == "/":
                zero = np.broadcast_to(np.asarray(y) == 0, (n,))
            else:
                zero = None
            bad = ~np.isfinite(res)
            if zero is not None and zero.any() or bad.any():
                obj = res.astype(object)
                if op == "^":
                    # redo the odd cases exactly (0^0, negative bases)
                    for i in np.nonzero(bad)[0]:
                        obj[i] = power(float(np.broadcast_to(x, (n,))[i]), float(np.broadcast_to(y, (n,))[i]))
                else:
                    obj[bad] = NUM
                    if zero is not None:
                        obj[zero] = DIV0
                return Vec(obj)
            return Vec(np.array(res))
    if op in _NP_CMP:
        x, y = _as_float_operand(a), _as_float_operand(b)
        # booleans compare as booleans, not numbers: only take the fast path for real numbers
        if x is not None and y is not None and not _boolish(a) and not _boolish(b):
            return Vec(np.broadcast_to(_NP_CMP[op](x, y), (n,)).copy())
    # general path: scenario by scenario
    av = a.to_objects() if isinstance(a, Vec) else None
    bv = b.to_objects() if isinstance(b, Vec) else None
    return from_values([scalar_binary(op, av[i] if av is not None else a, bv[i] if bv is not None else b)
                        for i in range(n)])


def _boolish(v: Any) -> bool:
    return isinstance(v, bool) or (isinstance(v, Vec) and v.data.dtype == np.bool_)


def unary(op: str, a: Any) -> Any:
    if isinstance(a, Array):
        return a.map(lambda v: unary(op, v))
    if isinstance(a, Vec):
        x = _as_float_operand(a)
        if x is not None:
            return Vec(-x if op == "-" else x.copy())
        return from_values([scalar_unary(op, v) for v in a.to_objects()])
    return scalar_unary(op, a)


def percent(a: Any) -> Any:
    if isinstance(a, Array):
        return a.map(percent)
    if isinstance(a, Vec):
        x = _as_float_operand(a)
        if x is not None:
            return Vec(x / 100.0)
        return from_values([scalar_percent(v) for v in a.to_objects()])
    return scalar_percent(a)
