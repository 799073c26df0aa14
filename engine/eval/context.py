"""The evaluation context handed to functions that ask for it, and the
tree-walking evaluator of one formula."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..functions import registry
from ..parser import ast as A
from ..values import (BLANK, MISSING, NAME, NULL, REF, VALUE, Array, XLError, error_from_code)
from . import operators as ops
from .refs import LambdaValue, MultiRef, RangeRef
from .vector import Vec


class EvalContext:
    """Where a formula is being evaluated: the model, the cell, whether the
    formula is an array formula, and LET/LAMBDA bindings in scope."""

    __slots__ = ("model", "sheet", "row", "col", "array_mode", "env")

    def __init__(self, model, sheet: int, row: int, col: int, array_mode: bool = False,
                 env: dict | None = None):
        self.model = model
        self.sheet = sheet
        self.row = row
        self.col = col
        self.array_mode = array_mode
        self.env = env or {}

    def child(self, env: dict) -> "EvalContext":
        merged = dict(self.env)
        merged.update(env)
        return EvalContext(self.model, self.sheet, self.row, self.col, self.array_mode, merged)

    @property
    def n_scenarios(self) -> int:
        return self.model.n_scenarios

    # -- used by the registry ------------------------------------------------

    def is_ref(self, v: Any) -> bool:
        return isinstance(v, (RangeRef, MultiRef))

    def to_scalar_or_array(self, v: Any) -> Any:
        """A reference in a scalar position: one cell gives its value; a range
        gives an Array in an array formula, its implicit intersection with the
        formula's row or column otherwise."""
        if isinstance(v, RangeRef):
            if v.is_cell:
                return v.value()
            if self.array_mode:
                return v.to_array()
            return self.implicit_intersection(v)
        if isinstance(v, MultiRef):
            return VALUE
        if isinstance(v, LambdaValue):
            return XLError("#CALC!", "a LAMBDA must be called")
        if v is MISSING:
            return MISSING
        return v

    def implicit_intersection(self, v: RangeRef) -> Any:
        if v.is_cell:
            return v.value()
        if v.sheet == self.sheet or True:
            r1, c1, r2, c2 = v.full_bounds()   # A:A reaches rows past the used area
            if c1 == c2 and r1 <= self.row <= r2:
                return v.value(self.row - v.r1, 0)
            if r1 == r2 and c1 <= self.col <= c2:
                return v.value(0, self.col - v.c1)
        return VALUE

    def to_array(self, v: Any) -> Array:
        if isinstance(v, RangeRef):
            return v.to_array()
        if isinstance(v, Array):
            return v
        if isinstance(v, MultiRef):
            raise VALUE
        if isinstance(v, XLError):
            return Array([[v]])
        return Array([[v]])

    def contains_vec(self, v: Any) -> bool:
        if isinstance(v, Vec):
            return True
        if isinstance(v, Array):
            return any(isinstance(x, Vec) for x in v)
        if isinstance(v, RangeRef):
            return self.model.range_has_vec(v)
        if isinstance(v, MultiRef):
            return any(self.model.range_has_vec(a) for a in v.areas)
        return False

    def project(self, v: Any, i: int, kind: str) -> Any:
        """The value seen by scenario ``i``."""
        if isinstance(v, Vec):
            return v.item(i)
        if isinstance(v, Array):
            if any(isinstance(x, Vec) for x in v):
                return v.map(lambda x: x.item(i) if isinstance(x, Vec) else x)
            return v
        if isinstance(v, RangeRef) and kind in ("array", "raw") and self.model.range_has_vec(v):
            return self.project(v.to_array(), i, kind)
        if isinstance(v, MultiRef) and kind in ("array", "raw"):
            return v  # TODO(montecarlo): per-scenario projection of unions
        return v

    def report_internal_error(self, name: str, exc: Exception) -> None:
        self.model.report_internal_error(self, name, exc)

    def evaluate(self, node: A.Node) -> Any:
        return evaluate(node, self)

    def scalar(self, node: A.Node) -> Any:
        """Evaluate to a plain value (references dereferenced)."""
        return self.to_scalar_or_array(evaluate(node, self))


# --- the evaluator ----------------------------------------------------------------

def evaluate(node: A.Node, ctx: EvalContext) -> Any:
    t = type(node)
    if t is A.Number:
        return node.value
    if t is A.Ref:
        return ctx.model.resolve_ref(node, ctx)
    if t is A.Binary:
        op = node.op
        if op == ":":
            return ctx.model.range_op(evaluate(node.left, ctx), evaluate(node.right, ctx))
        if op == " ":
            return intersect(evaluate(node.left, ctx), evaluate(node.right, ctx))
        a = ctx.to_scalar_or_array(evaluate(node.left, ctx))
        b = ctx.to_scalar_or_array(evaluate(node.right, ctx))
        return ops.binary(op, a, b)
    if t is A.Call:
        return call(node, ctx)
    if t is A.Text:
        return node.value
    if t is A.Bool:
        return node.value
    if t is A.Name:
        return resolve_name(node, ctx)
    if t is A.Unary:
        v = evaluate(node.operand, ctx)
        if node.op == "@":
            if isinstance(v, RangeRef):
                return ctx.implicit_intersection(v)
            if isinstance(v, Array):
                return v.data[0][0]
            return v
        v = ctx.to_scalar_or_array(v)
        if node.op == "+":
            return v
        return ops.unary("-", v)
    if t is A.Percent:
        return ops.percent(ctx.to_scalar_or_array(evaluate(node.operand, ctx)))
    if t is A.ErrorLit:
        return error_from_code(node.code) or VALUE
    if t is A.MissingArg:
        return MISSING
    if t is A.ArrayLit:
        return Array([[evaluate(x, ctx) for x in row] for row in node.rows])
    if t is A.StructRef:
        return ctx.model.resolve_struct(node, ctx)
    if t is A.Spill:
        return ctx.model.resolve_spill(evaluate(node.operand, ctx))
    if t is A.Union:
        areas = []
        for item in node.items:
            v = evaluate(item, ctx)
            if isinstance(v, RangeRef):
                areas.append(v)
            elif isinstance(v, MultiRef):
                areas.extend(v.areas)
            elif isinstance(v, XLError):
                return v
            else:
                return VALUE
        return MultiRef(areas)
    if t is A.RefError:
        return REF
    if t is A.CallExpr:
        callee = evaluate(node.callee, ctx)
        return call_lambda(callee, [evaluate(a, ctx) for a in node.args], ctx)
    if t is A.ParseFailure:
        return XLError(node.code, node.message)
    raise TypeError(f"cannot evaluate {node!r}")


def intersect(a: Any, b: Any) -> Any:
    if isinstance(a, XLError):
        return a
    if isinstance(b, XLError):
        return b
    if not isinstance(a, RangeRef) or not isinstance(b, RangeRef) or a.sheet != b.sheet:
        return VALUE
    r1, c1 = max(a.r1, b.r1), max(a.c1, b.c1)
    r2, c2 = min(a.r2, b.r2), min(a.c2, b.c2)
    if r1 > r2 or c1 > c2:
        return NULL
    return RangeRef(a.model, a.sheet, r1, c1, r2, c2)


def resolve_name(node: A.Name, ctx: EvalContext) -> Any:
    key = node.name.upper()
    if node.sheet is None and key in ctx.env:
        return ctx.env[key]
    v = ctx.model.resolve_name(node, ctx)
    if isinstance(v, XLError) and v.code == "#NAME?" and node.sheet is None and registry.get(key) is not None:
        # a function named without a call, as in BYROW(A1:C3, SUM): an "eta"
        # LAMBDA whose parameters are made when it is called (lambda_arity)
        return LambdaValue([], A.Call(key, []), {}, origin="eta")
    return v


def call(node: A.Call, ctx: EvalContext) -> Any:
    name = node.name
    special = SPECIAL_FORMS.get(name)
    if special is not None:
        return special(node, ctx)
    # A LET/LAMBDA-bound name used as a function: f(x)
    if name in ctx.env and isinstance(ctx.env[name], LambdaValue):
        return call_lambda(ctx.env[name], [evaluate(a, ctx) for a in node.args], ctx)
    spec = registry.get(name)
    if spec is None:
        lam = ctx.model.named_lambda(name, ctx)
        if lam is not None:
            return call_lambda(lam, [evaluate(a, ctx) for a in node.args], ctx)
        ctx.model.report_unsupported(name)
        return XLError("#NAME?", f"unknown function {name}")
    args = []
    arr_ctx = None
    for i, a in enumerate(node.args):
        kind = spec.kind_at(i)
        if kind == "lazy":
            args.append(_thunk(a, ctx))
        elif not ctx.array_mode and (kind == "array" or spec.array_args == "all" or i in spec.array_args):
            # Excel evaluates array-type parameters as arrays even in an ordinary
            # formula: SUMPRODUCT((A1:A9>0)*B1:B9), INDEX(A1:A9*2, 3)
            if arr_ctx is None:
                arr_ctx = EvalContext(ctx.model, ctx.sheet, ctx.row, ctx.col, True, ctx.env)
            args.append(evaluate(a, arr_ctx))
        else:
            args.append(evaluate(a, ctx))
    return registry.invoke(spec, args, ctx)


def _thunk(node: A.Node, ctx: EvalContext):
    if isinstance(node, A.MissingArg):
        return lambda: MISSING
    return lambda: evaluate(node, ctx)


def lambda_arity(lam: LambdaValue, n: int) -> LambdaValue:
    """``lam`` taking ``n`` parameters: an eta LAMBDA (a bare function name)
    gets them now; other LAMBDAs are returned as they are."""
    if lam.origin != "eta":
        return lam
    params = [f"_ETA{i}" for i in range(n)]
    return LambdaValue(params, A.Call(lam.body.name, [A.Name(p) for p in params]), {})


def call_lambda(lam: Any, args: list[Any], ctx: EvalContext) -> Any:
    if isinstance(lam, XLError):
        return lam
    if not isinstance(lam, LambdaValue):
        return VALUE
    lam = lambda_arity(lam, len(args))
    if len(args) > len(lam.params):
        return VALUE.with_message("too many arguments for LAMBDA")
    env = dict(lam.env)
    for i, p in enumerate(lam.params):
        env[p] = args[i] if i < len(args) else MISSING
    inner = EvalContext(ctx.model, ctx.sheet, ctx.row, ctx.col, ctx.array_mode, env)
    depth = ctx.model._lambda_depth
    if depth > 200:
        return XLError("#NUM!", "LAMBDA recursion too deep")
    ctx.model._lambda_depth = depth + 1
    try:
        return evaluate(lam.body, inner)
    finally:
        ctx.model._lambda_depth = depth


# --- special forms: arguments evaluated lazily or bound as names ------------------

def _sf_let(node: A.Call, ctx: EvalContext) -> Any:
    args = node.args
    if len(args) < 3 or len(args) % 2 == 0:
        return VALUE.with_message("LET needs name/value pairs and a result")
    env: dict = {}
    inner = ctx
    for i in range(0, len(args) - 1, 2):
        nm = args[i]
        if not isinstance(nm, A.Name) or nm.sheet is not None:
            return NAME.with_message("LET names must be plain names")
        inner = inner.child(env)
        env = {nm.name.upper(): evaluate(args[i + 1], inner)}
    inner = inner.child(env)
    return evaluate(args[-1], inner)


def _sf_lambda(node: A.Call, ctx: EvalContext) -> Any:
    args = node.args
    if not args:
        return VALUE
    params = []
    for p in args[:-1]:
        if not isinstance(p, A.Name):
            return VALUE.with_message("LAMBDA parameters must be names")
        params.append(p.name.upper())
    return LambdaValue(params, args[-1], dict(ctx.env))


def _truthy_lift(cond: Any, pick) -> Any:
    """Apply ``pick(bool)`` per element / per scenario of a condition."""
    from ..functions.coerce import to_bool
    if isinstance(cond, XLError):
        return cond
    if isinstance(cond, Array):
        return Array([[_truthy_lift(v, pick) for v in row] for row in cond.data])
    try:
        return pick(to_bool(cond))
    except XLError as e:
        return e


def _sf_if(node: A.Call, ctx: EvalContext) -> Any:
    args = node.args
    if not 1 <= len(args) <= 3:
        return VALUE.with_message("IF takes 1 to 3 arguments")
    cond = ctx.scalar(args[0])

    def branch(i: int) -> Any:
        if i < len(args):
            if isinstance(args[i], A.MissingArg):
                return 0.0
            return evaluate(args[i], ctx)
        return i == 1  # IF(c) with no true-branch: TRUE; missing false-branch: FALSE

    if isinstance(cond, Vec):
        return _vec_select(ctx, cond, lambda: branch(1), lambda: branch(2))
    if isinstance(cond, Array):
        t = ctx.to_scalar_or_array(branch(1)) if len(args) > 1 else True
        f = ctx.to_scalar_or_array(branch(2))
        rows = max(cond.rows, t.rows if isinstance(t, Array) else 1, f.rows if isinstance(f, Array) else 1)
        cols = max(cond.cols, t.cols if isinstance(t, Array) else 1, f.cols if isinstance(f, Array) else 1)
        from ..functions.coerce import to_bool
        out = []
        for r in range(rows):
            row = []
            for c in range(cols):
                cv = cond.get(r, c)
                if isinstance(cv, XLError):
                    row.append(cv)
                    continue
                try:
                    b = to_bool(cv)
                except XLError as e:
                    row.append(e)
                    continue
                src = t if b else f
                row.append(src.get(r, c) if isinstance(src, Array) else src)
            out.append(row)
        return Array(out)
    if isinstance(cond, XLError):
        return cond
    from ..functions.coerce import to_bool
    try:
        b = to_bool(cond)
    except XLError as e:
        return e
    return branch(1) if b else branch(2)


def _vec_select(ctx: EvalContext, cond: Vec, on_true, on_false) -> Any:
    """IF over scenarios: evaluate both branches once, pick per scenario."""
    from ..functions.coerce import to_bool
    from .vector import from_values
    n = cond.n
    if cond.data.dtype in (np.bool_, np.float64):
        mask = cond.data.astype(bool)
        t = ctx.to_scalar_or_array(on_true()) if mask.any() else 0.0
        f = ctx.to_scalar_or_array(on_false()) if (~mask).any() else 0.0
        if not isinstance(t, Array) and not isinstance(f, Array):
            tf = ops._as_float_operand(t)
            ff = ops._as_float_operand(f)
            if tf is not None and ff is not None and not isinstance(t, bool) and not isinstance(f, bool):
                return Vec(np.where(mask, tf, ff).astype(np.float64))
        vals = []
        for i in range(n):
            src = t if mask[i] else f
            vals.append(_item(src, i))
        return from_values(vals)
    t = ctx.to_scalar_or_array(on_true())
    f = ctx.to_scalar_or_array(on_false())
    vals = []
    for i, c in enumerate(cond.to_objects()):
        if isinstance(c, XLError):
            vals.append(c)
            continue
        try:
            b = to_bool(c)
        except XLError as e:
            vals.append(e)
            continue
        vals.append(_item(t if b else f, i))
    return from_values(vals)


def _item(v: Any, i: int) -> Any:
    if isinstance(v, Vec):
        return v.item(i)
    if isinstance(v, Array):
        return v.data[0][0] if not isinstance(v.data[0][0], Vec) else v.data[0][0].item(i)
    return v


def _sf_iferror(node: A.Call, ctx: EvalContext, only_na: bool = False) -> Any:
    if len(node.args) != 2:
        return VALUE
    v = ctx.scalar(node.args[0])

    def is_hit(x: Any) -> bool:
        return isinstance(x, XLError) and (not only_na or x.code == "#N/A")

    def fallback() -> Any:
        a = node.args[1]
        if isinstance(a, A.MissingArg):
            return 0.0
        return ctx.scalar(a)

    if isinstance(v, Vec):
        if v.data.dtype != object:
            return v
        hits = [is_hit(x) for x in v.data]
        if not any(hits):
            return v
        fb = fallback()
        from .vector import from_values
        return from_values([_item(fb, i) if h else x for i, (x, h) in enumerate(zip(v.data, hits))])
    if isinstance(v, Array):
        if any(x is BLANK for x in v):   # IFERROR gives values: a blank cell reads as 0
            v = v.map(lambda x: 0.0 if x is BLANK else x)
        if not any(is_hit(x) for x in v):
            return v
        fb = fallback()
        if isinstance(fb, Array) and (fb.rows > v.rows or fb.cols > v.cols):
            # both arguments are lifted: the result takes the larger shape
            rows, cols = max(v.rows, fb.rows), max(v.cols, fb.cols)
            return Array([[fb.get(r, c) if is_hit(v.get(r, c)) else v.get(r, c) for c in range(cols)]
                          for r in range(rows)])
        return Array([[(fb.get(r, c) if isinstance(fb, Array) else fb) if is_hit(x) else x
                       for c, x in enumerate(row)] for r, row in enumerate(v.data)])
    if is_hit(v):
        return fallback()
    if v is BLANK:
        return 0.0
    return v


def _sf_ifs(node: A.Call, ctx: EvalContext) -> Any:
    args = node.args
    if len(args) < 2 or len(args) % 2:
        return VALUE
    from ..functions.coerce import to_bool
    for i in range(0, len(args), 2):
        c = ctx.scalar(args[i])
        if isinstance(c, (Vec, Array)):
            return _ifs_general(node, ctx)
        if isinstance(c, XLError):
            return c
        try:
            if to_bool(c):
                return evaluate(args[i + 1], ctx)
        except XLError as e:
            return e
    return XLError("#N/A", "no IFS condition was TRUE")


def _ifs_general(node: A.Call, ctx: EvalContext) -> Any:
    """IFS over arrays/scenarios: nest as IF(c1, v1, IF(c2, v2, ... #N/A))."""
    args = node.args
    expr: A.Node = A.ErrorLit("#N/A")
    for i in range(len(args) - 2, -1, -2):
        expr = A.Call("IF", [args[i], args[i + 1], expr])
    return evaluate(expr, ctx)


def _sf_switch(node: A.Call, ctx: EvalContext) -> Any:
    args = node.args
    if len(args) < 3:
        return VALUE
    # rewrite as nested IFs so arrays and scenarios lift through _sf_if
    target = args[0]
    pairs = args[1:]
    default: A.Node = pairs[-1] if len(pairs) % 2 == 1 else A.ErrorLit("#N/A")
    tv = ctx.scalar(target)
    if isinstance(tv, XLError):
        return tv
    if not isinstance(tv, (Vec, Array)):
        for i in range(0, len(pairs) - 1, 2):
            cand = ctx.scalar(pairs[i])
            if isinstance(cand, XLError):
                return cand
            if isinstance(cand, (Vec, Array)):
                break
            r = ops.scalar_binary("=", tv, cand)
            if r is True:
                return evaluate(pairs[i + 1], ctx)
        else:
            return evaluate(default, ctx)
    expr = default
    for i in range(len(pairs) - (2 if len(pairs) % 2 == 0 else 3), -1, -2):
        expr = A.Call("IF", [A.Binary("=", target, pairs[i]), pairs[i + 1], expr])
    return evaluate(expr, ctx)


def _sf_choose(node: A.Call, ctx: EvalContext) -> Any:
    args = node.args
    if len(args) < 2:
        return VALUE
    idx = ctx.scalar(args[0])
    from ..functions.coerce import to_int
    if isinstance(idx, Array):
        vals = []
        for v in idx:
            vals.append(v)
        return Array([[_choose_one(v, args, ctx) for v in row] for row in idx.data])
    if isinstance(idx, Vec):
        from .vector import from_values
        cache: dict[int, Any] = {}
        out = []
        for i, v in enumerate(idx.to_objects()):
            try:
                k = to_int(v)
            except XLError as e:
                out.append(e)
                continue
            if not 1 <= k < len(args):
                out.append(VALUE)
                continue
            if k not in cache:
                cache[k] = ctx.to_scalar_or_array(evaluate(args[k], ctx))
            out.append(_item(cache[k], i))
        return from_values(out)
    if isinstance(idx, XLError):
        return idx
    try:
        k = to_int(idx)
    except XLError as e:
        return e
    if not 1 <= k < len(args):
        return VALUE
    return evaluate(args[k], ctx)


def _choose_one(v: Any, args, ctx) -> Any:
    from ..functions.coerce import to_int
    try:
        k = to_int(v)
    except XLError as e:
        return e
    if not 1 <= k < len(args):
        return VALUE
    r = ctx.to_scalar_or_array(evaluate(args[k], ctx))
    return r.data[0][0] if isinstance(r, Array) else r


SPECIAL_FORMS = {
    "LET": _sf_let,
    "LAMBDA": _sf_lambda,
    "IF": _sf_if,
    "IFERROR": _sf_iferror,
    "IFNA": lambda n, c: _sf_iferror(n, c, only_na=True),
    "IFS": _sf_ifs,
    "SWITCH": _sf_switch,
    "CHOOSE": _sf_choose,
}
# Metadata for the coverage report (these are evaluated by the evaluator itself).
SPECIAL_FORM_CATEGORY = {"LET": "logical", "LAMBDA": "logical", "IF": "logical", "IFERROR": "logical",
                         "IFNA": "logical", "IFS": "logical", "SWITCH": "logical", "CHOOSE": "lookup"}
