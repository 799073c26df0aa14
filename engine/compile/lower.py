"""Lowering: formulas of the stochastic cone -> IR instructions.

Cells of the cone are grouped by (level, R1C1 form): copied formulas that do
not depend on each other.  A group's formulas have the same syntax tree up
to their references, so the lowering walks all members' trees in lockstep
and emits one instruction per operation for the whole group; references
resolve per member (a cone cell's slot, or a folded constant).  Any
sub-expression that does not depend on a random input is evaluated once per
member by the interpreter and becomes a constant, so the IR only needs the
operations that carry randomness.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..eval.context import SPECIAL_FORMS, EvalContext
from ..eval.refs import LambdaValue, MultiRef, RangeRef
from ..eval import operators as ops
from ..functions import coerce, registry
from ..montecarlo import functions as F
from ..parser import ast as A
from ..values import BLANK, MISSING, Array, XLError
from . import cone as C
from . import ir

DYNAMIC_REFS = ("INDIRECT", "OFFSET")


class CompileError(Exception):
    """The workbook (or one cone cell) cannot be compiled; the message says why."""


class _Split(Exception):
    """Members of a group do not lower alike: lower them one by one."""


@dataclass
class Val:
    slots: np.ndarray          # (M,) tagged slots
    typ: str                   # num | bool | blank | text | mixed
    py: list | None = None     # per-member Python values when constant


def _typ_of(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (float, int)):
        return "num"
    if v is BLANK or v is MISSING:
        return "blank"
    if isinstance(v, str):
        return "text"
    return "num"          # errors: NaN, behave like numbers in every operation


def _num_of(v: Any) -> float:
    if isinstance(v, XLError):
        return math.nan
    try:
        x = coerce.to_number(v)
    except XLError:
        return math.nan
    return x if math.isfinite(x) else math.nan


def _merge_typ(types) -> str:
    s = set(types)
    if len(s) == 1:
        return s.pop()
    if s <= {"num", "blank"}:
        return "num"
    if s <= {"num", "blank", "bool", "mixed"}:
        return "mixed"
    raise _Split()


def _same_shape(nodes: list) -> None:
    t = type(nodes[0])
    for n in nodes[1:]:
        if type(n) is not t:
            raise _Split()


class Lowerer:
    def __init__(self, model, cone: set, builder: ir.Builder, inputs_by_node: dict,
                 array_inputs: dict | None = None):
        self.model = model
        self.array_inputs = array_inputs or {}   # RANDARRAY: id(call node) -> its element inputs (row-major)
        self.g = model.graph
        self.cone = cone
        self.b = builder
        self.inputs_by_node = inputs_by_node   # id(call node) -> RandomInput
        self.slot_of: dict[tuple, int] = {}
        self.typ_of: dict[tuple, str] = {}
        self._flags: dict[tuple, bool] = {}
        self._keep: list = []
        self.where = ""

    # --- does a sub-expression depend on a random input? -----------------------------
    def _dep_in_cone(self, d) -> bool:
        if len(d) == 3:
            return d in self.cone
        members = self.g.range_members.get(d)
        if members is None:
            s, r1, c1, r2, c2 = d
            return any(k[0] == s and r1 <= k[1] <= r2 and c1 <= k[2] <= c2 for k in self.cone)
        return any(m in self.cone for m in members)

    def flag(self, node: A.Node, cell: tuple) -> bool:
        key = (id(node), cell)
        hit = self._flags.get(key)
        if hit is not None:
            return hit
        t = type(node)
        f = False
        for ch in A.children(node):
            if self.flag(ch, cell):
                f = True
        if t is A.Call and F.is_random_call(node):
            inp = self.inputs_by_node.get(id(node))
            f = f or inp is None or not inp.lock
        elif t in (A.Ref, A.Name, A.StructRef) or (t is A.Call and node.name not in SPECIAL_FORMS
                                                     and registry.get(node.name) is None):
            acc: list = []
            self.model._collect_deps(node, cell, acc, 0)
            f = f or any(self._dep_in_cone(d) for d in acc)
        self._flags[key] = f
        return f

    # --- constants ---------------------------------------------------------------------
    def const_val(self, values: list) -> Val:
        vals = []
        for v in values:
            if isinstance(v, Array):
                if v.rows == 1 and v.cols == 1:
                    v = v.data[0][0]
                else:
                    raise CompileError(f"{self.where}: an array where one value is expected")
            if isinstance(v, (RangeRef, MultiRef, LambdaValue)):
                raise CompileError(f"{self.where}: a reference or LAMBDA where one value is expected")
            vals.append(v)
        typ = _merge_typ(_typ_of(v) for v in vals)
        slots = self.b.consts_of([_num_of(v) for v in vals])
        return Val(slots, typ, vals)

    def fold(self, nodes: list, cells: list) -> Val:
        out = []
        for n, (s, r, c) in zip(nodes, cells):
            ctx = EvalContext(self.model, s, r, c)
            try:
                v = ctx.scalar(n)
            except XLError as e:
                v = e
            except Exception as exc:     # an evaluator problem: let the interpreter run it
                raise CompileError(f"{self.where}: cannot fold a constant part ({exc!r})")
            out.append(v)
        return self.const_val(out)

    def rewrite(self, nodes: list) -> list:
        """Keep rewritten syntax trees alive (flags are keyed by node identity)."""
        self._keep.append(nodes)
        return nodes

    def cell_leaf(self, key: tuple) -> tuple[int, str, Any]:
        """(slot, type, constant value or None) of one cell."""
        key = self.model.array_owner.get(key, key) if key not in self.model.formulas else key
        if key in self.cone:
            slot = self.slot_of.get(key)
            if slot is None:
                raise CompileError(f"{self.where}: {self.model.address(key)} is not compiled before its use")
            return slot, self.typ_of[key], None
        v = self.model.cell_value(*key)
        return self.b.const(_num_of(v)), _typ_of(v), v

    # --- references ----------------------------------------------------------------------
    def _area(self, node: A.Node, cell: tuple):
        s = cell[0]
        if isinstance(node, A.Ref):
            if node.book is not None or node.sheet2 is not None:
                raise CompileError(f"{self.where}: 3-D or external reference")
            si = s if node.sheet is None else self.model._sheet_idx.get(node.sheet.lower())
            if si is None:
                raise CompileError(f"{self.where}: unknown sheet {node.sheet}")
            r1, c1, r2, c2 = self.model._clamp(si, node)
            return si, r1, c1, r2, c2
        if isinstance(node, A.StructRef):
            area = self.model._struct_area(node, *cell)
            if isinstance(area, XLError):
                raise CompileError(f"{self.where}: {area}")
            return area
        raise CompileError(f"{self.where}: not a reference")

    def _name_targets(self, nodes: list, cells: list) -> list:
        out = []
        for n, cell in zip(nodes, cells):
            t = self.model._name_node(n, cell[0])
            if t is None:
                raise CompileError(f"{self.where}: unknown name {n.name}")
            out.append(t)
        for t in out[1:]:
            if t != out[0]:
                raise _Split()
        return out

    def is_reference(self, node: A.Node, cell: tuple, depth: int = 0) -> bool:
        if isinstance(node, (A.Ref, A.StructRef)):
            return True
        if isinstance(node, A.Name) and depth < 20:
            t = self.model._name_node(node, cell[0])
            return t is not None and self.is_reference(t, cell, depth + 1)
        return False

    def range_entries(self, nodes: list, cells: list) -> list[list[tuple[int, str, Any]]]:
        """Per member, the cells of a reference argument in row-major order."""
        if isinstance(nodes[0], A.Name):
            return self.range_entries(self._name_targets(nodes, cells), cells)
        out = []
        for n, cell in zip(nodes, cells):
            si, r1, c1, r2, c2 = self._area(n, cell)
            if (r2 - r1 + 1) * (c2 - c1 + 1) > 2_000_000:
                raise CompileError(f"{self.where}: range too large to compile")
            out.append([self.cell_leaf((si, r, c)) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)])
        return out

    # --- scalar expressions --------------------------------------------------------------
    def scalar(self, nodes: list, cells: list) -> Val:
        _same_shape(nodes)
        if not any(self.flag(n, c) for n, c in zip(nodes, cells)):
            return self.fold(nodes, cells)
        n0 = nodes[0]
        t = type(n0)
        if t is A.Ref or t is A.StructRef:
            leaves = []
            for n, cell in zip(nodes, cells):
                si, r1, c1, r2, c2 = self._area(n, cell)
                if r1 != r2 or c1 != c2:
                    # implicit intersection with the formula's row or column
                    if t is A.Ref and n.r1 is None:
                        r2 = 1_048_576
                    if t is A.Ref and n.c1 is None:
                        c2 = 16_384
                    if c1 == c2 and r1 <= cell[1] <= r2:
                        r1 = cell[1]
                    elif r1 == r2 and c1 <= cell[2] <= c2:
                        c1 = cell[2]
                    else:
                        leaves.append((self.b.const(math.nan), "num", XLError("#VALUE!")))
                        continue
                leaves.append(self.cell_leaf((si, r1, c1)))
            return self._leaves_val(leaves)
        if t is A.Name:
            return self.scalar(self._name_targets(nodes, cells), cells)
        if t is A.Unary:
            if any(n.op != n0.op for n in nodes):
                raise _Split()
            if n0.op == "@":
                return self.scalar([n.operand for n in nodes], cells)
            x = self.scalar([n.operand for n in nodes], cells)
            if n0.op == "+":
                return x
            return self.op(ir.NEG, [self.num(x)])
        if t is A.Percent:
            x = self.num(self.scalar([n.operand for n in nodes], cells))
            return self.op(ir.DIV, [x, self.k(100.0, len(nodes))])
        if t is A.Binary:
            if any(n.op != n0.op for n in nodes):
                raise _Split()
            return self.binary(n0.op, nodes, cells)
        if t is A.Call:
            if any(n.name != n0.name or len(n.args) != len(n0.args) for n in nodes):
                raise _Split()
            return self.call(nodes, cells)
        raise CompileError(f"{self.where}: {t.__name__} over random values is not compiled")

    def _leaves_val(self, leaves) -> Val:
        typ = _merge_typ(t for _, t, _ in leaves)
        slots = np.fromiter((s for s, _, _ in leaves), dtype=np.int64, count=len(leaves))
        py = [v for _, _, v in leaves] if ir.Builder.is_const(slots) else None
        return Val(slots, typ, py)

    def k(self, x: float, m: int) -> Val:
        s = self.b.const(x)
        return Val(np.full(m, s, dtype=np.int64), "num", [x] * m)

    def num(self, v: Val) -> Val:
        """A value used as a number (text was coerced when folded; blanks are 0)."""
        if v.typ in ("num", "bool", "mixed", "blank"):
            return v
        if v.typ == "text" and v.py is not None:
            return v       # its slots already hold the coerced numbers (NaN for #VALUE!)
        raise CompileError(f"{self.where}: text over random values is not compiled")

    def op(self, code: int, args: list[Val], typ: str = "num") -> Val:
        out = self.b.emit(code, [a.slots for a in args])
        return Val(out, typ)

    def binary(self, op: str, nodes: list, cells: list) -> Val:
        if op in (":", " ", "&"):
            raise CompileError(f"{self.where}: operator {op!r} over random values is not compiled")
        a = self.scalar([n.left for n in nodes], cells)
        b = self.scalar([n.right for n in nodes], cells)
        if a.py is not None and b.py is not None:
            return self.const_val([ops.scalar_binary(op, x, y) for x, y in zip(a.py, b.py)])
        if op in ir.ARITH:
            return self.op(ir.ARITH[op], [self.num(a), self.num(b)])
        # comparison
        ta, tb = a.typ, b.typ
        if ta == "blank":
            ta = "bool" if tb == "bool" else "num"
        if tb == "blank":
            tb = "bool" if ta == "bool" else "num"
        if ta != tb or ta not in ("num", "bool"):
            raise CompileError(f"{self.where}: comparison of {a.typ} with {b.typ} over random values")
        return self.op(ir.CMP[op], [a, b], "bool")

    # --- functions -----------------------------------------------------------------------
    def _arg(self, nodes: list, i: int) -> list | None:
        if i >= len(nodes[0].args):
            return None
        args = [n.args[i] for n in nodes]
        if isinstance(args[0], A.MissingArg):
            _same_shape(args)
            return None
        return args

    def _opt(self, nodes, i, cells, default: float) -> Val:
        """An optional number: ``default`` when left out, 0 when given empty."""
        if i >= len(nodes[0].args):
            return self.k(default, len(nodes))
        a = self._arg(nodes, i)
        if a is None:
            return self.k(0.0, len(nodes))
        return self.num(self.scalar(a, cells))

    def entries(self, nodes: list, cells: list, start: int, *, keep_bool_in_ranges: bool = False,
                direct_text: bool = False) -> list[list[int]]:
        """Slots of the values an aggregate counts (Excel's SUM rules: in
        references only numbers (and errors) count; typed values are coerced)."""
        m = len(nodes)
        lists: list[list[int]] = [[] for _ in range(m)]
        for i in range(start, len(nodes[0].args)):
            args = [n.args[i] for n in nodes]
            _same_shape(args)
            if isinstance(args[0], A.MissingArg):
                raise CompileError(f"{self.where}: empty argument in an aggregate")
            if self.is_reference(args[0], cells[0]):
                if not all(self.is_reference(a, c) for a, c in zip(args, cells)):
                    raise _Split()
                for j, ent in enumerate(self.range_entries(args, cells)):
                    for slot, typ, _v in ent:
                        if typ == "num" or (keep_bool_in_ranges and typ == "bool"):
                            lists[j].append(slot)
                        elif typ == "mixed":
                            raise CompileError(f"{self.where}: a range mixing numbers and logicals "
                                               f"over random values")
                continue
            if isinstance(args[0], A.Call) and args[0].name == "RANDARRAY":
                if not all(isinstance(a, A.Call) and a.name == "RANDARRAY" for a in args):
                    raise _Split()
                for j, slots in enumerate(self.randarray_slots(args)):
                    lists[j].extend(slots)
                continue
            v = self.scalar(args, cells)
            if v.typ == "text" and not direct_text:
                v = self.num(v)
            elif v.typ not in ("num", "bool", "mixed"):
                if v.typ == "blank":
                    v = self.k(0.0, m)
                else:
                    raise CompileError(f"{self.where}: text argument over random values")
            for j in range(m):
                lists[j].append(int(v.slots[j]))
        return lists

    def randarray_slots(self, nodes: list) -> list[list[int]]:
        """Per member, the input slots of a RANDARRAY call's elements (row-major)."""
        out = []
        for n in nodes:
            elems = self.array_inputs.get(id(n))
            if not elems:
                raise CompileError(f"{self.where}: RANDARRAY not in the simulation plan")
            out.append([self.b.input(inp.index) for inp in elems])
        return out

    def listop(self, code: int, lists: list[list[int]], args: list[Val] | None = None,
               typ: str = "num") -> Val:
        out = self.b.emit(code, [a.slots for a in (args or [])], lists=lists, m=len(lists))
        return Val(out, typ)

    def call(self, nodes: list, cells: list) -> Val:
        n0 = nodes[0]
        name = n0.name
        m = len(nodes)
        if n0.name == "RANDARRAY":
            # one value: a 1x1 RANDARRAY (several values are compiled in aggregates, see entries)
            lists = self.randarray_slots(nodes)
            if any(len(x) != 1 for x in lists):
                raise CompileError(f"{self.where}: RANDARRAY of several values is compiled only as a direct "
                                   f"argument of an aggregate (SUM, AVERAGE, MIN, MAX...)")
            return Val(np.array([x[0] for x in lists], dtype=np.int64), "num")
        if F.is_random_call(n0):
            slots = []
            for n in nodes:
                inp = self.inputs_by_node.get(id(n))
                if inp is None:
                    raise CompileError(f"{self.where}: random input {n.name} not in the simulation plan")
                slots.append(self.b.input(inp.index))
            return Val(np.array(slots, dtype=np.int64), "num")
        canon = F.canonical(name)
        if F.is_output(name):
            if canon == "GF.OUTPUT":
                a = self._arg(nodes, 0)
                if a is None:
                    raise CompileError(f"{self.where}: GF.OUTPUT without a value")
                v = self.scalar(a, cells)
                return v if v.typ != "blank" else self.k(0.0, m)
            return self.k(0.0, m)
        if F.statistic_of(name):
            return self.k(math.nan, m)       # #N/A while the simulation runs
        spec = _FUNCS.get(name)
        if spec is None:
            raise CompileError(f"{self.where}: {name}() over random values is not compiled")
        return spec(self, nodes, cells)


# --- the function table -------------------------------------------------------------------

def _unary(code, typ="num"):
    def f(lw: Lowerer, nodes, cells):
        if len(nodes[0].args) != 1:
            raise CompileError(f"{lw.where}: {nodes[0].name} takes one argument")
        x = lw.num(lw.scalar(lw._arg(nodes, 0) or _missing(lw, nodes), cells))
        return lw.op(code, [x], typ)
    return f


def _binary(code, default=None):
    def f(lw: Lowerer, nodes, cells):
        na = len(nodes[0].args)
        if na < 1 or na > 2 or (na == 1 and default is None):
            raise CompileError(f"{lw.where}: {nodes[0].name} takes two arguments")
        x = lw.num(lw.scalar(lw._arg(nodes, 0) or _missing(lw, nodes), cells))
        y = lw._opt(nodes, 1, cells, default if default is not None else 0.0)
        return lw.op(code, [x, y])
    return f


def _missing(lw, nodes):
    raise CompileError(f"{lw.where}: {nodes[0].name} with an empty argument")


def _tvm(code):
    def f(lw: Lowerer, nodes, cells):
        na = len(nodes[0].args)
        if not 3 <= na <= 5:
            raise CompileError(f"{lw.where}: {nodes[0].name} takes 3 to 5 arguments")
        args = [lw._opt(nodes, i, cells, 0.0) for i in range(5)]
        return lw.op(code, args)
    return f


def _aggregate(code, keep_bool=False, typ="num"):
    def f(lw: Lowerer, nodes, cells):
        if not nodes[0].args:
            raise CompileError(f"{lw.where}: {nodes[0].name} without arguments")
        return lw.listop(code, lw.entries(nodes, cells, 0, keep_bool_in_ranges=keep_bool), typ=typ)
    return f


def _if(lw: Lowerer, nodes, cells):
    na = len(nodes[0].args)
    if not 2 <= na <= 3:
        raise CompileError(f"{lw.where}: IF with {na} arguments")
    c_nodes = lw._arg(nodes, 0)
    if c_nodes is None:
        raise CompileError(f"{lw.where}: IF without a condition")
    cond = lw.num(lw.scalar(c_nodes, cells))
    m = len(nodes)

    def branch(i: int) -> Val:
        if i >= na:
            return Val(lw.b.consts_of([0.0] * m), "bool", [False] * m)
        a = lw._arg(nodes, i)
        if a is None:
            return lw.k(0.0, m)
        v = lw.scalar(a, cells)
        if v.typ == "text":
            raise CompileError(f"{lw.where}: IF choosing text over random values")
        return v if v.typ != "blank" else lw.k(0.0, m)

    t, e = branch(1), branch(2)
    if cond.py is not None:            # a constant condition: pick per member
        picks = [coerce.to_bool(v) if not isinstance(v, XLError) else None for v in cond.py]
        if all(p is True for p in picks):
            return t
        if all(p is False for p in picks):
            return e
    typ = t.typ if t.typ == e.typ else _merge_typ([t.typ, e.typ])
    return lw.op(ir.IF, [cond, t, e], typ)


def _iferror(lw: Lowerer, nodes, cells):
    if len(nodes[0].args) != 2:
        raise CompileError(f"{lw.where}: IFERROR takes two arguments")
    a = lw._arg(nodes, 0)
    if a is None:
        return lw.k(0.0, len(nodes))
    v = lw.scalar(a, cells)
    if v.typ == "text":
        raise CompileError(f"{lw.where}: IFERROR over text")
    if v.typ == "blank":
        v = lw.k(0.0, len(nodes))
    fb = lw._arg(nodes, 1)
    f = lw.k(0.0, len(nodes)) if fb is None else lw.scalar(fb, cells)
    if f.typ == "text":
        raise CompileError(f"{lw.where}: IFERROR falling back to text over random values")
    if f.typ == "blank":
        f = lw.k(0.0, len(nodes))
    typ = v.typ if v.typ == f.typ else _merge_typ([v.typ, f.typ])
    return lw.op(ir.IFERROR, [v, f], typ)


def _logical(code):
    def f(lw: Lowerer, nodes, cells):
        if not nodes[0].args:
            raise CompileError(f"{lw.where}: {nodes[0].name} without arguments")
        return lw.listop(code, lw.entries(nodes, cells, 0, keep_bool_in_ranges=True), typ="bool")
    return f


def _not(lw: Lowerer, nodes, cells):
    if len(nodes[0].args) != 1:
        raise CompileError(f"{lw.where}: NOT takes one argument")
    x = lw.num(lw.scalar(lw._arg(nodes, 0) or _missing(lw, nodes), cells))
    return lw.op(ir.NOT, [x], "bool")


def _iserror(lw: Lowerer, nodes, cells):
    a = lw._arg(nodes, 0)
    if a is None or len(nodes[0].args) != 1:
        raise CompileError(f"{lw.where}: ISERROR takes one argument")
    v = lw.scalar(a, cells)
    return lw.op(ir.ISERR, [v if v.typ != "text" else lw.num(v)], "bool")


def _isnumber(lw: Lowerer, nodes, cells):
    a = lw._arg(nodes, 0)
    if a is None or len(nodes[0].args) != 1:
        raise CompileError(f"{lw.where}: ISNUMBER takes one argument")
    v = lw.scalar(a, cells)
    if v.typ == "num":
        return lw.op(ir.ISNUM, [v], "bool")
    if v.typ in ("bool", "blank", "text"):
        return Val(lw.b.consts_of([0.0] * len(nodes)), "bool", [False] * len(nodes))
    raise CompileError(f"{lw.where}: ISNUMBER of a value that may be a number or a logical")


def _npv(lw: Lowerer, nodes, cells):
    if len(nodes[0].args) < 2:
        raise CompileError(f"{lw.where}: NPV needs a rate and values")
    rate = lw.num(lw.scalar(lw._arg(nodes, 0) or _missing(lw, nodes), cells))
    return lw.listop(ir.NPV, lw.entries(nodes, cells, 1), [rate])


def _irr(lw: Lowerer, nodes, cells):
    na = len(nodes[0].args)
    if not 1 <= na <= 2:
        raise CompileError(f"{lw.where}: IRR takes 1 or 2 arguments")
    vals = [n.args[0] for n in nodes]
    if not all(lw.is_reference(a, c) for a, c in zip(vals, cells)):
        raise CompileError(f"{lw.where}: IRR of an array expression over random values")
    lists = [[slot for slot, typ, _ in ent if typ == "num"] for ent in lw.range_entries(vals, cells)]
    for ent in lw.range_entries(vals, cells):
        if any(typ == "mixed" for _, typ, _ in ent):
            raise CompileError(f"{lw.where}: IRR over values that may be logicals")
    guess = lw._opt(nodes, 1, cells, 0.1)
    return lw.listop(ir.IRR, lists, [guess])


def _ifs(lw: Lowerer, nodes, cells):
    """IFS(c1, v1, c2, v2...) = IF(c1, v1, IF(c2, v2, ... #N/A)), as the interpreter does."""
    if len(nodes[0].args) < 2 or len(nodes[0].args) % 2:
        raise CompileError(f"{lw.where}: IFS needs condition/value pairs")
    out = []
    for n in nodes:
        expr: A.Node = A.ErrorLit("#N/A")
        for i in range(len(n.args) - 2, -1, -2):
            expr = A.Call("IF", [n.args[i], n.args[i + 1], expr])
        out.append(expr)
    return lw.scalar(lw.rewrite(out), cells)


def _switch(lw: Lowerer, nodes, cells):
    """SWITCH(x, a1, r1, ..., [default]) as nested IF(x=a1, r1, ...)."""
    if len(nodes[0].args) < 3:
        raise CompileError(f"{lw.where}: SWITCH needs a value and value/result pairs")
    out = []
    for n in nodes:
        target, pairs = n.args[0], n.args[1:]
        expr = pairs[-1] if len(pairs) % 2 == 1 else A.ErrorLit("#N/A")
        for i in range(len(pairs) - (2 if len(pairs) % 2 == 0 else 3), -1, -2):
            expr = A.Call("IF", [A.Binary("=", target, pairs[i]), pairs[i + 1], expr])
        out.append(expr)
    return lw.scalar(lw.rewrite(out), cells)


def _choose(lw: Lowerer, nodes, cells):
    """CHOOSE(i, v1..vk): the value whose number is i (truncated); #VALUE! outside 1..k."""
    k = len(nodes[0].args) - 1
    if k < 1:
        raise CompileError(f"{lw.where}: CHOOSE needs an index and values")
    m = len(nodes)
    idx = lw.op(ir.INT, [lw.num(lw.scalar(lw._arg(nodes, 0) or _missing(lw, nodes), cells))])
    vals = []
    for i in range(1, k + 1):
        a = lw._arg(nodes, i)
        v = lw.k(0.0, m) if a is None else lw.scalar(a, cells)
        if v.typ == "text":
            raise CompileError(f"{lw.where}: CHOOSE of text over random values")
        vals.append(v if v.typ != "blank" else lw.k(0.0, m))
    acc = lw.k(math.nan, m)
    typ = _merge_typ([v.typ for v in vals])
    for j in range(k, 0, -1):
        hit = lw.op(ir.EQ, [idx, lw.k(float(j), m)], "bool")
        acc = lw.op(ir.IF, [hit, vals[j - 1], acc], typ)
    return acc


def _sumproduct(lw: Lowerer, nodes, cells):
    """SUMPRODUCT of references of one shape: products position by position
    (non-numbers count as 0, errors propagate), then their sum."""
    na = len(nodes[0].args)
    if na < 1:
        raise CompileError(f"{lw.where}: SUMPRODUCT without arguments")
    arrays = []
    for i in range(na):
        args = [n.args[i] for n in nodes]
        if not all(lw.is_reference(a, c) for a, c in zip(args, cells)):
            raise CompileError(f"{lw.where}: SUMPRODUCT of array expressions over random values")
        arrays.append(lw.range_entries(args, cells))
    m = len(nodes)
    zero = lw.b.const(0.0)
    size = len(arrays[0][0])
    for arr in arrays:
        if any(len(e) != size for e in arr) or any(len(e) != len(arrays[0][j]) for j, e in enumerate(arr)):
            raise CompileError(f"{lw.where}: SUMPRODUCT of ranges of different shapes")
    products = []
    for pos in range(size):
        cols = []
        for arr in arrays:
            slots = []
            for j in range(m):
                slot, typ, _v = arr[j][pos]
                if typ == "mixed":
                    raise CompileError(f"{lw.where}: SUMPRODUCT over values that may be logicals")
                slots.append(slot if typ == "num" else zero)
            cols.append(Val(np.array(slots, dtype=np.int64), "num"))
        p = cols[0]
        for c in cols[1:]:
            p = lw.op(ir.MUL, [p, c])
        products.append(p)
    return lw.listop(ir.SUM, [[int(p.slots[j]) for p in products] for j in range(m)])


def _round(code):
    def f(lw: Lowerer, nodes, cells):
        na = len(nodes[0].args)
        if na != 2:
            raise CompileError(f"{lw.where}: {nodes[0].name} takes two arguments")
        x = lw.num(lw.scalar(lw._arg(nodes, 0) or _missing(lw, nodes), cells))
        d = lw._opt(nodes, 1, cells, 0.0)
        return lw.op(code, [x, d])
    return f


def _trunc(lw: Lowerer, nodes, cells):
    na = len(nodes[0].args)
    if not 1 <= na <= 2:
        raise CompileError(f"{lw.where}: TRUNC takes 1 or 2 arguments")
    x = lw.num(lw.scalar(lw._arg(nodes, 0) or _missing(lw, nodes), cells))
    d = lw._opt(nodes, 1, cells, 0.0)
    return lw.op(ir.ROUNDDOWN, [x, d])


_FUNCS = {
    "IF": _if, "IFERROR": _iferror, "AND": _logical(ir.AND), "OR": _logical(ir.OR), "NOT": _not,
    "ISERROR": _iserror, "ISNUMBER": _isnumber,
    "SUM": _aggregate(ir.SUM), "PRODUCT": _aggregate(ir.PRODUCT), "MIN": _aggregate(ir.MIN),
    "MAX": _aggregate(ir.MAX), "AVERAGE": _aggregate(ir.AVERAGE),
    "ABS": _unary(ir.ABS), "EXP": _unary(ir.EXP), "LN": _unary(ir.LN), "LOG10": _unary(ir.LOG10),
    "SQRT": _unary(ir.SQRT), "INT": _unary(ir.INT), "SIGN": _unary(ir.SIGN),
    "LOG": _binary(ir.LOG, default=10.0), "MOD": _binary(ir.MOD), "POWER": _binary(ir.POW),
    "ROUND": _round(ir.ROUND), "ROUNDUP": _round(ir.ROUNDUP), "ROUNDDOWN": _round(ir.ROUNDDOWN),
    "TRUNC": _trunc,
    "IFS": _ifs, "SWITCH": _switch, "CHOOSE": _choose, "SUMPRODUCT": _sumproduct,
    "NPV": _npv, "IRR": _irr, "PMT": _tvm(ir.PMT), "PV": _tvm(ir.PV), "FV": _tvm(ir.FV),
}

COMPILED_FUNCTIONS = tuple(sorted(_FUNCS))
