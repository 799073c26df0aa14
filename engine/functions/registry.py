"""The function registry and the one place where arguments are coerced,
errors propagated and functions lifted over arrays and scenarios.

A function family module declares each function beside its code::

    @function("ROUND", "number, number?", category="math")
    def ROUND(x, digits=0.0):
        ...

The signature string lists one *kind* per parameter:

==========  ================================================================
number      float (Excel coercion: "3" -> 3, TRUE -> 1, blank -> 0)
int         number truncated toward zero
text        str (numbers formatted as Excel's General format)
bool        bool
any         any scalar; errors propagate (the function is not called)
anyerr      any scalar, errors passed in as values (ISERROR, IFERROR)
array       an ``Array`` of the values (ranges and scalars become arrays)
ref         the reference itself (``RangeRef``/``MultiRef``), else #VALUE!
raw         whatever the argument evaluated to: scalar, Array, RangeRef,
            MultiRef, LambdaValue (aggregates use ``helpers.iter_*``)
lazy        a zero-argument callable that evaluates the argument on demand
==========  ================================================================

Suffixes: ``?`` optional (the Python default applies when omitted; an
explicitly empty argument arrives as ``MISSING`` for any/anyerr/raw and as
blank-coerced for the others), ``*`` repeat zero or more times, ``+`` one or
more.  Starred kinds form a repeating group (``"array, raw+, any+"``).

Scalar kinds *lift*: an array argument makes the function run per element
(Excel's array behaviour), a per-scenario ``Vec`` makes it run per scenario
unless a ``vector=`` implementation over NumPy arrays is registered.
The implementation returns a scalar or an ``Array``, or raises ``XLError``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..values import (BLANK, MISSING, NA, NUM, VALUE, Array, XLError)
from . import coerce

SCALAR_KINDS = frozenset({"number", "int", "text", "bool", "any", "anyerr"})


@dataclass
class FunctionSpec:
    name: str
    impl: Callable
    kinds: list[str]                 # fixed parameter kinds
    optional_from: int               # index of the first optional fixed parameter
    repeat: list[str] = field(default_factory=list)  # repeating group kinds
    repeat_min: int = 0              # 0 for '*', 1 for '+'
    max_repeat: int | None = None
    category: str = "other"
    volatile: bool = False
    context: bool = False            # impl takes the evaluation context first
    vector: Callable | None = None   # NumPy implementation for scenario vectors
    # NumPy implementation over whole blocks: range/array arguments arrive as a
    # (cells, scenarios) float matrix of their numeric cells, number arguments
    # as floats or (scenarios,) arrays; returns a (scenarios,) array or None
    block: Callable | None = None
    array_result: bool = False       # may return an Array that spills
    # positions of parameters Excel evaluates as arrays even outside array
    # formulas (INDEX's array, LOOKUP's vectors); "all" for every one.  Arguments
    # of kind ``array`` always are.
    array_args: tuple[int, ...] | str = ()
    description: str = ""

    @property
    def min_args(self) -> int:
        return self.optional_from + self.repeat_min * len(self.repeat)

    @property
    def max_args(self) -> int | None:
        if self.repeat:
            if self.max_repeat is None:
                return 255
            return len(self.kinds) + self.max_repeat * len(self.repeat)
        return len(self.kinds)

    def kind_at(self, i: int) -> str:
        if i < len(self.kinds):
            return self.kinds[i]
        return self.repeat[(i - len(self.kinds)) % len(self.repeat)]

    @property
    def lifts(self) -> bool:
        return any(k in SCALAR_KINDS for k in self.kinds + self.repeat)


REGISTRY: dict[str, FunctionSpec] = {}


def parse_signature(sig: str) -> tuple[list[str], int, list[str], int]:
    kinds: list[str] = []
    repeat: list[str] = []
    optional_from = None
    repeat_min = 0
    for i, part in enumerate(p.strip() for p in sig.split(",") if p.strip()):
        if part.endswith(("*", "+")):
            repeat.append(part[:-1])
            if part.endswith("+"):
                repeat_min = 1
            continue
        if repeat:
            raise ValueError(f"fixed parameter after a repeating group in {sig!r}")
        if part.endswith("?"):
            part = part[:-1]
            if optional_from is None:
                optional_from = len(kinds)
        elif optional_from is not None:
            raise ValueError(f"required parameter after an optional one in {sig!r}")
        kinds.append(part)
    for k in kinds + repeat:
        if k not in SCALAR_KINDS | {"array", "ref", "raw", "lazy"}:
            raise ValueError(f"unknown parameter kind {k!r} in {sig!r}")
    return kinds, (len(kinds) if optional_from is None else optional_from), repeat, repeat_min


def function(name: str, signature: str = "", *, category: str = "other", volatile: bool = False,
             context: bool = False, vector: Callable | None = None, array_result: bool = False,
             aliases: tuple[str, ...] = (), max_repeat: int | None = None, description: str = "",
             block: Callable | None = None, array_args: tuple[int, ...] | str = ()):
    """Register an Excel function.  ``name`` is the Excel name without any
    _xlfn. prefix; aliases (legacy names) share the implementation."""
    kinds, optional_from, repeat, repeat_min = parse_signature(signature)

    def deco(impl: Callable) -> Callable:
        for n in (name, *aliases):
            REGISTRY[n.upper()] = FunctionSpec(
                name=n.upper(), impl=impl, kinds=kinds, optional_from=optional_from, repeat=repeat,
                repeat_min=repeat_min, max_repeat=max_repeat, category=category, volatile=volatile,
                context=context, vector=vector, array_result=array_result, block=block,
                array_args=array_args,
                description=description or (impl.__doc__ or "").strip().split("\n")[0])
        return impl

    return deco


def get(name: str) -> FunctionSpec | None:
    return REGISTRY.get(name.upper())


# --- calling ------------------------------------------------------------------

class InternalError(Exception):
    """A bug inside a function implementation (not an Excel error)."""


def _clean_result(v: Any) -> Any:
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return NUM
        return v
    if isinstance(v, bool) or v is None:
        return BLANK if v is None else v
    if isinstance(v, (int, np.integer)):
        return float(v)
    if isinstance(v, np.floating):
        return _clean_result(float(v))
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def invoke(spec: FunctionSpec, args: list[Any], ctx) -> Any:
    """Call ``spec`` with argument values already evaluated (thunks for lazy
    kinds).  Applies coercion, error propagation and lifting."""
    n = len(args)
    if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
        return VALUE.with_message(f"{spec.name} takes {spec.min_args}..{spec.max_args} arguments, got {n}")
    kinds = [spec.kind_at(i) for i in range(n)]
    # Resolve references in scalar positions; find what needs lifting.
    lift_array = None
    lift_vec = False
    prepared: list[Any] = []
    for a, k in zip(args, kinds):
        if k in SCALAR_KINDS:
            a = ctx.to_scalar_or_array(a)
            if isinstance(a, Array):
                if a.rows == 1 and a.cols == 1:
                    a = a.data[0][0]
                else:
                    lift_array = a if lift_array is None else lift_array
            if _is_vec(a):
                lift_vec = True
        elif k in ("array", "raw") and ctx.n_scenarios > 1 and ctx.contains_vec(a):
            lift_vec = True
        prepared.append(a)
    if lift_vec:
        if spec.block is not None and lift_array is None:
            bres = _try_block(spec, prepared, kinds, ctx)
            if bres is not None:
                return bres
        if spec.vector is not None and lift_array is None:
            vres = _try_vector(spec, prepared, kinds, ctx)
            if vres is not None:
                return vres
        return _lift_scenarios(spec, prepared, kinds, ctx)
    if lift_array is not None:
        return _lift_arrays(spec, prepared, kinds, ctx)
    return _call_scalar(spec, prepared, kinds, ctx)


def _is_vec(v: Any) -> bool:
    return type(v).__name__ == "Vec"


def _convert(v: Any, kind: str, ctx) -> Any:
    if kind == "number":
        return coerce.to_number(v)
    if kind == "int":
        return coerce.to_int(v)
    if kind == "text":
        return coerce.to_text(v)
    if kind == "bool":
        return coerce.to_bool(v)
    if kind == "any":
        if isinstance(v, XLError):
            raise v
        return v
    if kind == "anyerr":
        return v
    if kind == "array":
        return ctx.to_array(v)
    if kind == "ref":
        if not ctx.is_ref(v):
            if isinstance(v, XLError):
                raise v
            raise VALUE
        return v
    return v  # raw, lazy


def _call_scalar(spec: FunctionSpec, args: list[Any], kinds: list[str], ctx) -> Any:
    try:
        conv = [_convert(a, k, ctx) for a, k in zip(args, kinds)]
        res = spec.impl(ctx, *conv) if spec.context else spec.impl(*conv)
    except XLError as e:
        return e
    except ZeroDivisionError:
        return XLError("#DIV/0!")
    except (OverflowError, ValueError):
        return NUM
    except RecursionError:
        return XLError("#NUM!", "recursion too deep")
    except Exception as exc:  # a bug in the implementation: report it, keep going
        ctx.report_internal_error(spec.name, exc)
        return VALUE.with_message(f"internal error in {spec.name}: {exc!r}")
    if isinstance(res, Array):
        if res.rows == 0 or res.cols == 0:
            return XLError("#CALC!", "empty array")
        return Array([[_clean_result(v) for v in row] for row in res.data])
    return _clean_result(res)


def _lift_arrays(spec: FunctionSpec, args: list[Any], kinds: list[str], ctx) -> Any:
    rows = cols = 1
    for a, k in zip(args, kinds):
        if k in SCALAR_KINDS and isinstance(a, Array):
            rows, cols = max(rows, a.rows), max(cols, a.cols)
    out = []
    for r in range(rows):
        row = []
        for c in range(cols):
            elem = [a.get(r, c) if (k in SCALAR_KINDS and isinstance(a, Array)) else a
                    for a, k in zip(args, kinds)]
            v = _call_scalar(spec, elem, kinds, ctx)
            if isinstance(v, Array):
                v = v.data[0][0]
            row.append(v)
        out.append(row)
    return Array(out)


def _lift_scenarios(spec: FunctionSpec, args: list[Any], kinds: list[str], ctx) -> Any:
    from ..eval.vector import from_values
    n = ctx.n_scenarios
    results = []
    for i in range(n):
        proj = [ctx.project(a, i, k) for a, k in zip(args, kinds)]
        if any(isinstance(a, Array) and a.shape != (1, 1) and k in SCALAR_KINDS for a, k in zip(proj, kinds)):
            v = _lift_arrays(spec, proj, kinds, ctx)
        else:
            proj = [a.data[0][0] if (isinstance(a, Array) and a.shape == (1, 1) and k in SCALAR_KINDS) else a
                    for a, k in zip(proj, kinds)]
            v = _call_scalar(spec, proj, kinds, ctx)
        results.append(v)
    if any(isinstance(v, Array) for v in results):
        # an array per scenario: keep an Array whose elements are Vecs
        shape = next(v.shape for v in results if isinstance(v, Array))
        out = []
        for r in range(shape[0]):
            row = []
            for c in range(shape[1]):
                row.append(from_values([v.get(r, c) if isinstance(v, Array) else v for v in results]))
            out.append(row)
        return Array(out)
    return from_values(results)


def _try_vector(spec: FunctionSpec, args: list[Any], kinds: list[str], ctx) -> Any:
    """Run the NumPy implementation when every scalar argument is numeric."""
    from ..eval.vector import Vec
    arrays = []
    for a, k in zip(args, kinds):
        if k == "bool" and not _is_vec(a):
            # a fixed flag (NORM.DIST's cumulative) reaches the vector code as a bool
            try:
                arrays.append(coerce.to_bool(a))
            except XLError as e:
                return e
            continue
        if k not in ("number", "int"):
            return None
        if _is_vec(a):
            if a.data.dtype == np.bool_:
                arrays.append(a.data.astype(np.float64))
            elif a.data.dtype != np.float64:
                return None
            else:
                arrays.append(a.data)
        else:
            try:
                arrays.append(coerce.to_number(a))
            except XLError as e:
                return e
    with np.errstate(all="ignore"):
        res = spec.vector(*arrays)
    if res is None:     # the NumPy version declines: lift scenario by scenario
        return None
    res = np.asarray(res, dtype=np.float64)
    bad = ~np.isfinite(res)
    if bad.any():
        obj = res.astype(object)
        obj[bad] = NUM
        return Vec(obj)
    return Vec(res)


def _block_matrix(v: Any, ctx, n: int) -> np.ndarray | None:
    """Numeric cells of a range/array as a (cells, n) matrix; None when a
    cell holds an error or a non-numeric per-scenario value."""
    from ..eval.refs import MultiRef, RangeRef
    if isinstance(v, RangeRef):
        v = v.to_array()
    if isinstance(v, MultiRef):
        return None
    items = list(v) if isinstance(v, Array) else [v]
    rows = []
    for x in items:
        if _is_vec(x):
            if x.data.dtype != np.float64:
                return None
            rows.append(x.data)
        elif isinstance(x, float) and not isinstance(x, bool):
            rows.append(np.full(n, x))
        elif isinstance(x, XLError):
            return None
    if not rows:
        return np.empty((0, n))
    return np.vstack(rows)


def _try_block(spec: FunctionSpec, args: list[Any], kinds: list[str], ctx) -> Any:
    from ..eval.vector import Vec
    n = ctx.n_scenarios
    conv = []
    for a, k in zip(args, kinds):
        if k in ("array", "raw"):
            m = _block_matrix(a, ctx, n)
            if m is None:
                return None
            conv.append(m)
        elif k in ("number", "int"):
            if _is_vec(a):
                if a.data.dtype != np.float64:
                    return None
                conv.append(a.data)
            else:
                try:
                    conv.append(coerce.to_number(a))
                except XLError as e:
                    return e
        else:
            return None
    with np.errstate(all="ignore"):
        res = spec.block(*conv)
    if res is None:
        return None
    res = np.broadcast_to(np.asarray(res, dtype=np.float64), (n,))
    bad = ~np.isfinite(res)
    if bad.any():
        obj = res.astype(object)
        obj[bad] = NUM
        return Vec(obj)
    return Vec(np.array(res))


def coverage() -> list[FunctionSpec]:
    return sorted({id(s): s for s in REGISTRY.values()}.values(), key=lambda s: s.name)


__all__ = ["function", "get", "invoke", "REGISTRY", "FunctionSpec", "MISSING", "BLANK", "NA"]
