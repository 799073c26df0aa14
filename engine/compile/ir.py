"""The backend-neutral plan: a register machine over scenario lanes.

Every value the plan touches lives in a *slot*: one float64 per scenario.
The register file holds, in this order:

* constants -- folded values from outside the stochastic cone and literals
               (errors are NaN), the same in every scenario;
* inputs    -- the draws of the random inputs, one slot per input;
* values    -- cone cells and intermediate results.  While building, every
               value gets a slot of its own (single assignment, so equal
               operations are shared and a cell is just the slot of its
               formula's result); ``Builder.finish`` then packs them by
               liveness, so a slot is reused once its value is dead.

An instruction applies one operation to ``M`` members at once (a formula
group: copied formulas with the same R1C1 form): ``out[m] = op(args[k][m]...)``
for every member ``m`` and every scenario.  List operations (SUM, NPV, IRR...)
take, per member, a list of slots.  Errors are NaN, per scenario; every
operation maps overflow (inf) to NaN too, so a value is an error exactly when
it is NaN.  Booleans are 1.0/0.0; the static type of each value is tracked at
compile time, not stored.
"""
from __future__ import annotations

import bisect
import math
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# --- opcodes --------------------------------------------------------------------------
# unary
COPY, NEG, ABS, EXP, LN, LOG10, SQRT, INT, NOT, ISERR, ISNUM, SIGN = range(0, 12)
# binary
ADD, SUB, MUL, DIV, POW, MOD, LOG, ROUND, ROUNDUP, ROUNDDOWN, IFERROR = range(20, 31)
EQ, NE, LT, GT, LE, GE = range(31, 37)
# ternary
IF = 40
# five operands (rate, nper, x, y, type)
PMT, PV, FV = 50, 51, 52
# list operations
SUM, PRODUCT, MIN, MAX, AVERAGE, AND, OR = range(60, 67)
NPV = 70          # args: rate; list: flows
IRR = 71          # args: guess; list: flows

NAMES = {v: k for k, v in dict(globals()).items() if k.isupper() and isinstance(v, int)}
UNARY = frozenset({COPY, NEG, ABS, EXP, LN, LOG10, SQRT, INT, NOT, ISERR, ISNUM, SIGN})
BINARY = frozenset({ADD, SUB, MUL, DIV, POW, MOD, LOG, ROUND, ROUNDUP, ROUNDDOWN, IFERROR, EQ, NE, LT, GT, LE,
                    GE})
LISTS = frozenset({SUM, PRODUCT, MIN, MAX, AVERAGE, AND, OR, NPV, IRR})
CMP = {"=": EQ, "<>": NE, "<": LT, ">": GT, "<=": LE, ">=": GE}
ARITH = {"+": ADD, "-": SUB, "*": MUL, "/": DIV, "^": POW}

# slot tags while building: constants, inputs, values (CELL and SCRATCH are
# both values); final slot numbers are assigned by ``Builder.finish``
CONST, INPUT, CELL, SCRATCH = 0, 1, 2, 3


def tag(pool: int, index: int) -> int:
    return (index << 2) | pool


@dataclass
class Instr:
    op: int
    out: np.ndarray                       # (M,) slots
    args: list[np.ndarray]                # each (M,) slots
    offsets: np.ndarray | None = None     # (M+1,) into ``flat`` for list operations
    flat: np.ndarray | None = None        # list entries (slots)

    @property
    def m(self) -> int:
        return int(self.out.shape[0])

    def __repr__(self) -> str:
        return f"{NAMES.get(self.op, self.op)}[{self.m}]"


@dataclass
class InputSpec:
    """How one random input of the simulation plan is drawn."""
    index: int
    kind: str                   # "dist", "rand", "randbetween", "uniform" (RANDARRAY), "nan" (locked/erroneous)
    dist: str | None = None     # DISTRIBUTIONS key
    params: list = field(default_factory=list)
    truncate: tuple | None = None
    truncatep: tuple | None = None
    shift: float = 0.0
    lo: float = 0.0
    hi: float = 0.0


@dataclass
class OutputSpec:
    name: str
    key: tuple
    slot: int | None            # None: the output is outside the cone
    series_value: Any = None    # its constant value then


@dataclass
class Program:
    n_slots: int
    const_values: np.ndarray            # slots [0, n_const)
    n_inputs: int                       # slots [n_const, n_const + n_inputs)
    instrs: list[Instr]
    outputs: list[OutputSpec]
    inputs: list[InputSpec]
    n_values: int = 0
    stats: dict = field(default_factory=dict)

    @property
    def n_const(self) -> int:
        return int(self.const_values.shape[0])

    @property
    def input_base(self) -> int:
        return self.n_const

    def describe(self) -> str:
        s = self.stats
        return (f"{s.get('cone', 0):,} cone cells ({s.get('compiled', 0):,} compiled, "
                f"{s.get('folded', 0):,} formula cells folded to constants), {s.get('groups', 0):,} formula "
                f"groups in {s.get('levels', 0):,} levels, {len(self.instrs):,} block instructions, "
                f"{self.n_slots:,} slots")


def _fkey(x: float) -> bytes:
    if math.isnan(x):
        return b"nan"
    return struct.pack("<d", x)


class Builder:
    """Collects instructions with tagged slots; ``finish`` lays out the register file."""

    def __init__(self, n_inputs: int):
        self.n_inputs = n_inputs
        self.consts: list[float] = []
        self._const_ix: dict[bytes, int] = {}
        self.n_scratch = 0
        self.instrs: list[Instr] = []
        self._cse: dict = {}

    # --- slots ---------------------------------------------------------------------
    def const(self, x: float) -> int:
        k = _fkey(float(x))
        i = self._const_ix.get(k)
        if i is None:
            i = len(self.consts)
            self.consts.append(float(x) if not math.isnan(x) else math.nan)
            self._const_ix[k] = i
        return tag(CONST, i)

    def consts_of(self, values) -> np.ndarray:
        return np.fromiter((self.const(v) for v in values), dtype=np.int64)

    def input(self, i: int) -> int:
        return tag(INPUT, i)

    def scratch(self, m: int) -> np.ndarray:
        base = self.n_scratch
        self.n_scratch += m
        return (np.arange(base, base + m, dtype=np.int64) << 2) | SCRATCH

    def begin_group(self) -> int:
        return len(self.instrs)

    def rollback(self, mark: int) -> None:
        dropped = {id(i.out) for i in self.instrs[mark:]}
        del self.instrs[mark:]
        self._cse = {k: v for k, v in self._cse.items() if id(v) not in dropped}

    @staticmethod
    def is_const(slots: np.ndarray) -> bool:
        return bool(np.all((slots & 3) == CONST))

    def const_values(self, slots: np.ndarray) -> np.ndarray:
        return np.array([self.consts[s >> 2] for s in slots.tolist()], dtype=np.float64)

    # --- instructions --------------------------------------------------------------
    def emit(self, op: int, args: list[np.ndarray], lists: list[list[int]] | None = None,
             m: int | None = None) -> np.ndarray:
        """Append ``op`` over M members; returns its output slots.  The same
        operation on the same slots (1+growth in every year of a row) is
        computed once: values are never overwritten, so it is reused."""
        m = m if m is not None else (args[0].shape[0] if args else len(lists))
        args = [np.asarray(a, dtype=np.int64) for a in args]
        if m > 1 and lists is None and args and all(bool(np.all(a == a[0])) for a in args):
            # every member computes the same value ((1+$B$1) copied down): once, broadcast
            one = self.emit(op, [a[:1] for a in args])
            return np.full(m, one[0], dtype=np.int64)
        offsets = flat = None
        if lists is not None:
            lens = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
            offsets = np.zeros(len(lists) + 1, dtype=np.int64)
            np.cumsum(lens, out=offsets[1:])
            flat = np.fromiter((s for x in lists for s in x), dtype=np.int64, count=int(offsets[-1]))
        key = (op, m, tuple(a.tobytes() for a in args),
               None if flat is None else (offsets.tobytes(), flat.tobytes()))
        hit = self._cse.get(key)
        if hit is not None:
            return hit
        out = self.scratch(m)
        self.instrs.append(Instr(op, out, args, offsets, flat))
        self._cse[key] = out
        return out

    # --- layout --------------------------------------------------------------------
    def finish(self, outputs: list[OutputSpec], inputs: list[InputSpec], stats: dict) -> Program:
        """Assign physical slots: constants, then inputs, then the values
        (cells and scratch), which share slots once dead (linear-scan
        allocation over the instruction list, first fit, keeping each
        instruction's outputs consecutive)."""
        nc = len(self.consts)
        ni = self.n_inputs
        vbase = nc + ni
        pinned = {int(o.slot) for o in outputs if o.slot is not None and (o.slot & 3) >= CELL}
        last: dict[int, int] = {}
        for i, ins in enumerate(self.instrs):
            for a in ins.args:
                for s in a.tolist():
                    if s & 3 >= CELL:
                        last[s] = i
            if ins.flat is not None:
                for s in ins.flat.tolist():
                    if s & 3 >= CELL:
                        last[s] = i
        dying: dict[int, list[int]] = {}
        for s, i in last.items():
            if s not in pinned:
                dying.setdefault(i, []).append(s)
        alloc = _Intervals()
        phys: dict[int, int] = {}
        for i, ins in enumerate(self.instrs):
            m = ins.out.shape[0]
            start = alloc.take(m)
            outs = ins.out.tolist()
            for j, s in enumerate(outs):
                if s in phys:
                    raise AssertionError("a slot written twice")
                phys[s] = start + j
            for j, s in enumerate(outs):           # never read: free at once
                if s not in last and s not in pinned:
                    alloc.give(start + j)
            for s in dying.get(i, ()):
                alloc.give(phys[s])
        n_values = alloc.high

        def fix(a: np.ndarray | None) -> np.ndarray | None:
            if a is None:
                return None
            pool = a & 3
            out = np.where(pool == CONST, a >> 2, nc + (a >> 2))
            vals = pool >= CELL
            if vals.any():
                out = out.copy()
                out[vals] = [vbase + phys[int(s)] for s in a[vals].tolist()]
            return out.astype(np.int64)

        for ins in self.instrs:
            ins.out = fix(ins.out)
            ins.args = [fix(a) for a in ins.args]
            ins.flat = fix(ins.flat)
        for o in outputs:
            if o.slot is not None:
                o.slot = int(fix(np.array([o.slot], dtype=np.int64))[0])
        n_slots = vbase + n_values
        return Program(n_slots=n_slots, const_values=np.array(self.consts, dtype=np.float64),
                       n_inputs=ni, instrs=self.instrs, outputs=outputs, inputs=inputs,
                       n_values=n_values, stats=stats)


class _Intervals:
    """Free physical slots as sorted disjoint intervals; first-fit allocation
    of runs of consecutive slots."""

    def __init__(self):
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.high = 0

    def take(self, m: int) -> int:
        for k, (a, b) in enumerate(zip(self.starts, self.ends)):
            if b - a >= m:
                if b - a == m:
                    del self.starts[k]
                    del self.ends[k]
                else:
                    self.starts[k] = a + m
                return a
        # grow, reusing a free run that ends at the top
        if self.ends and self.ends[-1] == self.high:
            a = self.starts.pop()
            self.ends.pop()
            self.high = a + m
            return a
        a = self.high
        self.high += m
        return a

    def give(self, s: int) -> None:
        k = bisect.bisect_left(self.starts, s)
        # merge with the interval before and/or after
        if k > 0 and self.ends[k - 1] == s:
            self.ends[k - 1] = s + 1
            if k < len(self.starts) and self.starts[k] == s + 1:
                self.ends[k - 1] = self.ends[k]
                del self.starts[k]
                del self.ends[k]
            return
        if k < len(self.starts) and self.starts[k] == s + 1:
            self.starts[k] = s
            return
        self.starts.insert(k, s)
        self.ends.insert(k, s + 1)
