"""From a loaded model and its simulation plan to an IR program."""
from __future__ import annotations

import math
import time

import numpy as np

from ..eval.context import EvalContext
from ..montecarlo import functions as F
from ..parser import ast as A
from ..values import XLError
from . import cone as C
from . import ir
from .lower import DYNAMIC_REFS, CompileError, Lowerer, _Split


def compile_plan(model, plan) -> ir.Program:
    """Compile the cone of ``plan``'s random inputs that its outputs need.
    Raises CompileError naming the cell and the reason when it cannot."""
    t0 = time.perf_counter()
    g = model.build_graph()
    _check_static_references(model)
    inputs_by_node = {id(inp.node): inp for inp in plan.inputs}
    array_inputs: dict[int, list] = {}      # RANDARRAY: one input per element
    for inp in plan.inputs:
        if getattr(inp, "element", None) is not None:
            array_inputs.setdefault(id(inp.node), []).append(inp)
    sources = {inp.key for inp in plan.inputs if not inp.lock}
    cone = C.stochastic_cone(g, sources)
    out_keys = [k for k, _ in plan.outputs]
    need = C.needed_cells(g, out_keys, cone)
    for k in sorted(need):
        if k in g.cycle_of:
            raise CompileError(f"{model.address(k)}: part of a circular reference")
        f = model.formulas[k]
        if f.array_ref is not None:
            raise CompileError(f"{model.address(k)}: array formulas over random values are not compiled")
    lev = C.levels(g, need)
    groups: dict[tuple, list] = {}
    for k in need:
        f = model.formulas[k]
        rk = group_key(f.node, k[1], k[2])
        groups.setdefault((lev[k], rk), []).append(k)
    b = ir.Builder(len(plan.inputs))
    lw = Lowerer(model, cone, b, inputs_by_node, array_inputs)
    for (level, _rk), keys in sorted(groups.items(), key=lambda kv: (kv[0][0], min(kv[1]))):
        keys.sort()
        _lower_group(model, lw, keys)
    outputs = []
    for key, name in plan.outputs:
        if key in need:
            outputs.append(ir.OutputSpec(name, key, lw.slot_of[key]))
        else:
            outputs.append(ir.OutputSpec(name, key, None, model.cell_value(*key)))
    inputs = [_input_spec(model, lw, inp) for inp in plan.inputs]
    stats = {"cone": len(cone), "compiled": len(need), "folded": len(model.formulas) - len(need),
             "groups": len(groups), "levels": (max(lev.values()) + 1) if lev else 0,
             "formulas": len(model.formulas)}
    prog = b.finish(outputs, inputs, stats)
    prog.stats["compile_seconds"] = time.perf_counter() - t0
    return prog


def _check_static_references(model) -> None:
    """INDIRECT and OFFSET read cells the dependency graph does not know, so
    the cone could miss some: such workbooks run on the interpreter.  (A
    shared formula's copies call what its master calls, and only masters
    keep their text, so the text of the formulas that have one is enough to
    rule the functions out quickly.)"""
    texts = [f.text.upper() for f in model.formulas.values() if f.text]
    texts += [t.upper() for t in getattr(model, "name_text", {}).values()]
    if not any(name in t for t in texts for name in DYNAMIC_REFS):
        return
    for key, f in model.formulas.items():
        for n in A.walk(f.node):
            if isinstance(n, A.Call) and n.name in DYNAMIC_REFS:
                raise CompileError(f"{model.address(key)}: {n.name} makes dependencies dynamic")
    raise CompileError(f"a defined name uses {' or '.join(DYNAMIC_REFS)}: dependencies are dynamic")


def group_key(node: A.Node, row: int, col: int):
    """The formula's R1C1 form as a tuple (relative references as offsets
    from the cell): copied formulas share it.  Faster than
    ``ast.relative_key``; a collision would only make the lowering lower the
    members one by one."""
    t = type(node)
    if t is A.Ref:
        return (0, node.sheet, node.sheet2, node.book,
                None if node.r1 is None else (node.r1 if node.r1_abs else node.r1 - row), node.r1_abs,
                None if node.c1 is None else (node.c1 if node.c1_abs else node.c1 - col), node.c1_abs,
                None if node.r2 is None else (node.r2 if node.r2_abs else node.r2 - row), node.r2_abs,
                None if node.c2 is None else (node.c2 if node.c2_abs else node.c2 - col), node.c2_abs)
    if t is A.Binary:
        return (1, node.op, group_key(node.left, row, col), group_key(node.right, row, col))
    if t is A.Call:
        return (2, node.name, tuple(group_key(a, row, col) for a in node.args))
    if t is A.Number:
        return (3, node.value)
    if t is A.Unary:
        return (4, node.op, group_key(node.operand, row, col))
    if t is A.Percent:
        return (5, group_key(node.operand, row, col))
    if t is A.Text or t is A.Bool:
        return (6, t.__name__, node.value)
    return (7, A.relative_key(node, row, col))


def _lower_group(model, lw: Lowerer, keys: list) -> None:
    b = lw.b
    mark = b.begin_group()
    addr = model.address(keys[0])
    lw.where = addr if len(keys) == 1 else f"{addr} (and {len(keys) - 1} copies)"
    nodes = [model.formulas[k].node for k in keys]
    try:
        v = lw.scalar(nodes, keys)
    except _Split:
        b.rollback(mark)
        if len(keys) == 1:
            raise CompileError(f"{addr}: cannot be compiled")
        for k in keys:
            _lower_group(model, lw, [k])
        return
    if v.typ == "text":
        raise CompileError(f"{lw.where}: a text result over random values is not compiled")
    if v.typ == "blank":
        v = lw.k(0.0, len(keys))
    typ = v.typ
    for k, s in zip(keys, v.slots.tolist()):     # a cell is the slot of its formula's result
        lw.slot_of[k] = s
        lw.typ_of[k] = typ


def _input_spec(model, lw: Lowerer, inp) -> ir.InputSpec:
    spec = ir.InputSpec(inp.index, "nan")
    if inp.lock:
        return spec
    call = inp.node
    ctx = EvalContext(model, *inp.key)
    if call.name == "RANDARRAY":
        if any(lw.flag(a, inp.key) for a in call.args):
            raise CompileError(f"{inp.address}: RANDARRAY arguments depend on random cells")
        try:
            lo, hi, whole = F.randarray_bounds(call, ctx)
        except XLError:
            return spec     # #VALUE! in every scenario
        spec.kind, spec.lo, spec.hi = ("randbetween" if whole else "uniform"), float(lo), float(hi)
        return spec
    if call.name in ("RAND", "RANDBETWEEN"):
        if call.name == "RAND":
            spec.kind = "rand"
            return spec
        if len(call.args) != 2:
            return spec
        if any(lw.flag(a, inp.key) for a in call.args):
            raise CompileError(f"{inp.address}: RANDBETWEEN bounds depend on random cells")
        from ..functions import coerce
        try:
            lo = coerce.to_number(ctx.scalar(call.args[0]))
            hi = coerce.to_number(ctx.scalar(call.args[1]))
        except XLError:
            return spec
        lo, hi = math.ceil(lo), math.floor(hi)
        if lo > hi:
            return spec
        spec.kind, spec.lo, spec.hi = "randbetween", float(lo), float(hi)
        return spec
    dist = F.distribution_of(call.name)
    params, prop_nodes = F.split_args(call)
    for p in list(params) + list(prop_nodes):
        if lw.flag(p, inp.key):
            raise CompileError(f"{inp.address}: parameters of {call.name} depend on random cells")
    try:
        props = F.eval_props(prop_nodes, ctx)
        vals = F.eval_params(dist, params, ctx)
    except XLError:
        return spec
    if props.lock:
        return spec
    spec.kind = "dist"
    spec.dist = dist.name
    spec.params = [np.asarray(v, dtype=float) if isinstance(v, np.ndarray) else float(v) for v in vals]
    spec.truncate = props.truncate
    spec.truncatep = props.extra.get("truncatep")
    spec.shift = float(props.shift or 0.0)
    return spec
