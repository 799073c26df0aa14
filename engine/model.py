"""A loaded workbook as a program: parsed formulas, the dependency graph, and
the calculation that evaluates it (scalar, or vectorized over scenarios)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Iterator

from . import graph as G
from .eval.context import SPECIAL_FORMS, EvalContext, evaluate
from .eval.refs import LambdaValue, MultiRef, RangeRef
from .eval.vector import Vec
from .functions import registry
from .parser import ast as A
from .parser import parse_or_failure
from .parser.printer import col_letters
from .values import (BLANK, CALC, CIRC, MISSING, NA, NAME, REF, SPILL, VALUE, Array, XLError)
from .xlsx.model import WorkbookData
from .xlsx.refs import col_to_index, parse_range_ref

# Functions whose value changes between recalculations: cells using them (and
# their dependents) are not comparable with cached values.
NONDETERMINISTIC = frozenset({"NOW", "TODAY", "RAND", "RANDBETWEEN", "RANDARRAY"})


@dataclass(slots=True)
class Formula:
    text: str
    node: A.Node
    array_ref: tuple[int, int, int, int] | None = None   # r1, c1, r2, c2 of a CSE/dynamic array
    dynamic: bool = False


_ADDR_RE = re.compile(r"^(?:(?:'((?:[^']|'')+)'|([^!]+))!)?\$?([A-Za-z]{1,3})\$?([0-9]+)"
                      r"(?::\$?([A-Za-z]{1,3})\$?([0-9]+))?$")




class Model:
    """``engine.load(path)`` returns one of these."""

    def __init__(self, wb: WorkbookData):
        self.wb = wb
        self.path = wb.path
        self.sheet_names = [s.name for s in wb.sheets]
        self._sheet_idx = {n.lower(): i for i, n in enumerate(self.sheet_names)}
        self.used = [(max(s.max_row, 1), max(s.max_col, 1)) for s in wb.sheets]
        self.constants: dict[tuple[int, int, int], Any] = {}
        self.formulas: dict[tuple[int, int, int], Formula] = {}
        self.cached: dict[tuple[int, int, int], Any] = {}     # Excel's cached formula results
        self.array_owner: dict[tuple[int, int, int], tuple[int, int, int]] = {}
        self.parse_errors: list[tuple[str, str, str]] = []
        self.internal_errors: list[tuple[str, str, str]] = []
        self.unsupported: dict[str, int] = {}
        self.n_scenarios = 1
        self.simulation = None            # SimulationState while a simulation runs
        self.simulation_results = None    # the last SimulationResult (GF.MEAN... read it)
        self.simulation_index = 0         # which GF.SIMTABLE value is in force
        self.date1904 = wb.calc.date1904
        self._lambda_depth = 0
        self._name_depth = 0
        self._current: tuple[int, int, int] | None = None
        self._circ_hit = False
        self._read_cells()
        self._read_names()
        self._read_tables()
        self.graph: G.Graph | None = None
        self.values: dict[tuple[int, int, int], Any] = {}
        self.spill_extent: dict[tuple[int, int, int], tuple[int, int]] = {}
        self.spilled_by: dict[tuple[int, int, int], tuple[int, int, int]] = {}
        self._state: dict[tuple[int, int, int], int] = {}
        self._range_cache: dict[tuple, Array] = {}
        self._cache_ranges = True
        # cell -> value (or Vec) read instead of the cell's constant or formula:
        # decision variables during optimization (engine.optimize)
        self.overrides: dict[tuple[int, int, int], Any] = {}

    # --- reading ---------------------------------------------------------------

    def _read_cells(self) -> None:
        master_nodes: dict[tuple[int, int, int], A.Node] = {}
        for si, sheet in enumerate(self.wb.sheets):
            for (r, c), rec in sheet.cells.items():
                key = (si, r, c)
                if rec.array_member:
                    self.cached[key] = rec.value
                    continue
                if rec.formula is None and rec.shared_master is None:
                    if rec.value is not BLANK:
                        self.constants[key] = rec.value
                    continue
                self.cached[key] = rec.value
                if rec.formula is not None:
                    text = rec.formula
                    node = parse_or_failure(text)
                    master_nodes[key] = node
                else:
                    mr, mc = rec.shared_master
                    mkey = (si, mr, mc)
                    mrec = sheet.cells.get((mr, mc))
                    if mkey not in master_nodes:
                        if mrec is None or mrec.formula is None:
                            node = A.ParseFailure(f"shared formula master {col_letters(mc)}{mr} missing")
                            self.formulas[key] = Formula("", node)
                            continue
                        master_nodes[mkey] = parse_or_failure(mrec.formula)
                    node = A.shift_refs(master_nodes[mkey], r - mr, c - mc)
                    text = ""  # printed lazily (formula_text)
                if isinstance(node, A.ParseFailure):
                    addr = f"{sheet.name}!{col_letters(c)}{r}"
                    node = A.ParseFailure(f"{addr}: cannot parse formula ={rec.formula}: {node.message}")
                    self.parse_errors.append((addr, rec.formula or "", node.message))
                f = Formula(text, node)
                if rec.array_ref:
                    r1, c1, r2, c2 = _parse_area(rec.array_ref)
                    f.array_ref = (r1, c1, r2, c2)
                    f.dynamic = rec.dynamic
                    for rr in range(r1, r2 + 1):
                        for cc in range(c1, c2 + 1):
                            if (rr, cc) != (r, c):
                                self.array_owner[(si, rr, cc)] = key
                self.formulas[key] = f

    def _read_names(self) -> None:
        self.names: dict[tuple[int | None, str], A.Node] = {}
        self.name_text: dict[tuple[int | None, str], str] = {}
        for dn in self.wb.defined_names:
            key = (dn.sheet_index, dn.name.upper())
            self.names[key] = parse_or_failure(dn.text)
            self.name_text[key] = dn.text

    def _read_tables(self) -> None:
        self.tables: dict[str, Any] = {}
        for t in self.wb.tables:
            si = self._sheet_idx.get(t.sheet.lower())
            if si is None:
                continue
            r1, c1, r2, c2 = _parse_area(t.ref)
            self.tables[t.name.upper()] = (si, r1, c1, r2, c2, t)

    def formula_text(self, key: tuple[int, int, int]) -> str:
        f = self.formulas[key]
        if not f.text:
            from .parser import to_text
            f.text = to_text(f.node)
        return f.text

    # --- addresses ---------------------------------------------------------------

    def sheet_index(self, name: str) -> int:
        i = self._sheet_idx.get(name.lower())
        if i is None:
            raise KeyError(f"no sheet named {name!r} in {self.path}")
        return i

    def parse_address(self, addr: str, default_sheet: int = 0) -> tuple[int, int, int, int, int]:
        m = _ADDR_RE.match(addr.strip())
        if not m:
            raise ValueError(f"not a cell address: {addr!r}")
        sheet = m.group(1).replace("''", "'") if m.group(1) else m.group(2)
        si = self.sheet_index(sheet) if sheet else default_sheet
        r1, c1 = int(m.group(4)), col_to_index(m.group(3))
        if m.group(5):
            r2, c2 = int(m.group(6)), col_to_index(m.group(5))
        else:
            r2, c2 = r1, c1
        return si, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)

    def address(self, key: tuple[int, int, int]) -> str:
        s, r, c = key
        name = self.sheet_names[s]
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
            name = "'" + name.replace("'", "''") + "'"
        return f"{name}!{col_letters(c)}{r}"

    # --- the graph -------------------------------------------------------------------

    def build_graph(self) -> G.Graph:
        if self.graph is not None:
            return self.graph
        deps: dict[tuple[int, int, int], list] = {}
        for key, f in self.formulas.items():
            acc: list = []
            self._collect_deps(f.node, key, acc, 0)
            deps[key] = acc
        index = G.FormulaIndex(list(self.formulas) + list(self.array_owner))
        g = G.build(deps, _OwnerIndex(index, self.array_owner))
        self.graph = g
        return g

    def _collect_deps(self, node: A.Node, key, acc: list, depth: int) -> None:
        s = key[0]
        for n in A.walk(node):
            if isinstance(n, A.Ref):
                if n.book is not None:
                    continue
                si = s if n.sheet is None else self._sheet_idx.get(n.sheet.lower())
                if si is None:
                    continue
                sheets = [si]
                if n.sheet2 is not None:
                    s2 = self._sheet_idx.get(n.sheet2.lower())
                    if s2 is None:
                        continue
                    sheets = list(range(min(si, s2), max(si, s2) + 1))
                for sj in sheets:
                    r1, c1, r2, c2 = self._clamp(sj, n)
                    if r1 == r2 and c1 == c2:
                        k = (sj, r1, c1)
                        acc.append(self.array_owner.get(k, k))
                    else:
                        acc.append((sj, r1, c1, r2, c2))
            elif isinstance(n, A.Name) and depth < 20:
                target = self._name_node(n, s)
                if target is not None:
                    self._collect_deps(target, key, acc, depth + 1)
            elif isinstance(n, A.StructRef):
                ref = self._struct_area(n, key[0], key[1], key[2])
                if isinstance(ref, tuple):
                    acc.append(ref)
            elif isinstance(n, A.Call) and n.name not in SPECIAL_FORMS and registry.get(n.name) is None \
                    and depth < 20:
                target = self._name_node(A.Name(n.name), s)
                if target is not None:
                    self._collect_deps(target, key, acc, depth + 1)

    def _clamp(self, si: int, n: A.Ref) -> tuple[int, int, int, int]:
        max_row, max_col = self.used[si]
        if n.r1 is None:
            return 1, n.c1, max_row, n.c2
        if n.c1 is None:
            return n.r1, 1, n.r2, max_col
        return n.r1, n.c1, n.r2, n.c2

    # --- calculation -------------------------------------------------------------------

    def calculate(self, n_scenarios: int = 1) -> "Model":
        """Evaluate every formula from the constants (cached values are never read)."""
        self.n_scenarios = n_scenarios
        g = self.build_graph()
        self.values = {}
        self.spill_extent = {}
        self.spilled_by = {}
        self._state = {}
        self._range_cache = {}
        done_cycles: set[int] = set()
        for key in g.order:
            ci = g.cycle_of.get(key)
            if ci is not None:
                if ci not in done_cycles:
                    done_cycles.add(ci)
                    self._eval_cycle(g.cycles[ci])
                continue
            if self._state.get(key) != 2:
                self._eval_cell(key)
        return self

    def _eval_cell(self, key: tuple[int, int, int]) -> None:
        f = self.formulas[key]
        self._state[key] = 1
        s, r, c = key
        ctx = EvalContext(self, s, r, c, array_mode=f.array_ref is not None)
        prev = self._current
        self._current = key
        try:
            v = evaluate(f.node, ctx)
        except RecursionError:
            v = XLError("#NUM!", "formula nests too deeply")
        except XLError as e:
            v = e
        except Exception as exc:  # an engine bug: keep the rest of the workbook evaluating
            self.report_internal_error(ctx, "evaluator", exc)
            v = VALUE.with_message(f"internal error: {exc!r}")
        finally:
            self._current = prev
        self._store(key, f, v, ctx)
        self._state[key] = 2

    def _store(self, key, f: Formula, v: Any, ctx: EvalContext) -> None:
        s, r, c = key
        if f.array_ref is None:
            self.values[key] = _cell_result(v, ctx)
            return
        arr = v
        if isinstance(arr, RangeRef):
            arr = arr.to_array()
        elif isinstance(arr, (MultiRef, LambdaValue)):
            arr = VALUE if isinstance(arr, MultiRef) else CALC
        if not isinstance(arr, Array):
            arr = Array([[arr]])
        if not f.dynamic:
            r1, c1, r2, c2 = f.array_ref
            for rr in range(r1, r2 + 1):
                for cc in range(c1, c2 + 1):
                    val = _blank_to_zero(arr.get(rr - r1, cc - c1))
                    self.values[(s, rr, cc)] = val
            return
        rows, cols = arr.shape
        if rows * cols == 1:
            self.values[key] = _blank_to_zero(arr.data[0][0])
            self.spill_extent[key] = (1, 1)
            return
        # a dynamic array spills unless something occupies the target cells
        targets = [(s, r + i, c + j) for i in range(rows) for j in range(cols)]
        if r + rows - 1 > 1_048_576 or c + cols - 1 > 16_384:
            self.values[key] = SPILL.with_message("spill range runs off the sheet")
            return
        for t in targets[1:]:
            if t in self.constants or t in self.formulas or (t in self.spilled_by and self.spilled_by[t] != key):
                self.values[key] = SPILL.with_message(f"spill range blocked at {self.address(t)}")
                return
        for i in range(rows):
            for j in range(cols):
                t = (s, r + i, c + j)
                self.values[t] = _blank_to_zero(arr.data[i][j])
                if t != key:
                    self.spilled_by[t] = key
        self.spill_extent[key] = (rows, cols)
        self._pad_clamped_spill(key, f, rows, cols)
        if rows > 1 or cols > 1:
            self._range_cache.clear()

    def _pad_clamped_spill(self, key, f: Formula, rows: int, cols: int) -> None:
        """Whole-row/column references are clamped to the used range, so a
        formula like =Sheet1!1:1 spills fewer cells than Excel's 16,384; the
        cells Excel recorded beyond the used range are blanks shown as 0."""
        s, r, c = key
        r1, c1, r2, c2 = f.array_ref
        if (r2 - r1 + 1 <= rows and c2 - c1 + 1 <= cols) or not any(
                isinstance(n, A.Ref) and (n.r1 is None or n.c1 is None) for n in A.walk(f.node)):
            return
        for (sh, rr, cc), owner in self.array_owner.items():
            if owner == key and (rr - r >= rows or cc - c >= cols) and (sh, rr, cc) not in self.values:
                self.values[(sh, rr, cc)] = 0.0
                self.spilled_by[(sh, rr, cc)] = key

    def _eval_cycle(self, comp: list[tuple[int, int, int]]) -> None:
        calc = self.wb.calc
        names = ", ".join(self.address(k) for k in comp[:6]) + (" ..." if len(comp) > 6 else "")
        if not calc.iterate:
            # A cycle in the graph may not be one when evaluated (the self-reference
            # sits in an IF/CHOOSE branch not taken): evaluate, and only mark the
            # whole cycle #CIRC! when some cell really read itself.
            self._circ_hit = False
            for k in comp:
                if self._state.get(k) != 2:
                    self._eval_cell(k)
            if not self._circ_hit:
                return
            err = CIRC.with_message(f"circular reference: {names}")
            for k in comp:
                self.values[k] = err
                self._state[k] = 2
            return
        # Excel's iterative calculation: start from zero, sweep until the
        # largest change is below the workbook's delta or the count runs out.
        self._cache_ranges = False
        for k in comp:
            self.values[k] = 0.0
            self._state[k] = 2
        for _ in range(max(1, calc.iterate_count)):
            change = 0.0
            for k in comp:
                old = self.values.get(k)
                self._eval_cell(k)
                change = max(change, _change(old, self.values.get(k)))
            if change < calc.iterate_delta:
                break
        self._cache_ranges = True
        self._range_cache.clear()

    # --- reading values during evaluation -------------------------------------------

    def cell_value(self, s: int, r: int, c: int) -> Any:
        key = (s, r, c)
        if self.overrides:
            ov = self.overrides.get(key)
            if ov is not None:
                return ov
        f = self.formulas.get(key)
        if f is not None:
            st = self._state.get(key)
            if st == 2:
                return self.values[key]
            if st == 1:
                self._circ_hit = True
                return CIRC.with_message(f"circular reference through {self.address(key)}")
            self._eval_cell(key)
            return self.values[key]
        owner = self.array_owner.get(key)
        if owner is not None and self._state.get(owner) != 2 and owner in self.formulas:
            self.cell_value(*owner)
        v = self.values.get(key)
        if v is not None:
            return v
        return self.constants.get(key, BLANK)

    def range_array(self, s: int, r1: int, c1: int, r2: int, c2: int) -> Array:
        key = (s, r1, c1, r2, c2)
        if self._cache_ranges:
            hit = self._range_cache.get(key)
            if hit is not None:
                return hit
        cv = self.cell_value
        arr = Array([[cv(s, r, c) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)])
        if self._cache_ranges:
            self._range_cache[key] = arr
        return arr

    def range_has_vec(self, ref: RangeRef) -> bool:
        if self.n_scenarios <= 1:
            return False
        return any(isinstance(v, Vec) for v in ref.to_array())

    def resolve_ref(self, n: A.Ref, ctx: EvalContext) -> Any:
        if n.book is not None:
            return REF.with_message(f"external reference [{n.book}] is not followed")
        if n.sheet is None:
            si = ctx.sheet
        else:
            si = self._sheet_idx.get(n.sheet.lower())
            if si is None:
                return REF.with_message(f"no sheet named {n.sheet!r}")
        if n.sheet2 is not None:
            s2 = self._sheet_idx.get(n.sheet2.lower())
            if s2 is None:
                return REF.with_message(f"no sheet named {n.sheet2!r}")
            areas = []
            for sj in range(min(si, s2), max(si, s2) + 1):
                r1, c1, r2, c2 = self._clamp(sj, n)
                areas.append(RangeRef(self, sj, r1, c1, r2, c2))
            return MultiRef(areas)
        r1, c1, r2, c2 = self._clamp(si, n)
        whole = "cols" if n.r1 is None else ("rows" if n.c1 is None else None)
        return RangeRef(self, si, r1, c1, r2, c2, whole)

    def range_op(self, a: Any, b: Any) -> Any:
        if isinstance(a, XLError):
            return a
        if isinstance(b, XLError):
            return b
        if isinstance(a, RangeRef) and isinstance(b, RangeRef) and a.sheet == b.sheet:
            return RangeRef(self, a.sheet, min(a.r1, b.r1), min(a.c1, b.c1), max(a.r2, b.r2), max(a.c2, b.c2))
        return VALUE

    def _name_node(self, n: A.Name, sheet: int) -> A.Node | None:
        up = n.name.upper()
        if n.sheet is not None:
            si = self._sheet_idx.get(n.sheet.lower())
            node = self.names.get((si, up))
            return node if node is not None else self.names.get((None, up))
        node = self.names.get((sheet, up))
        if node is None:
            node = self.names.get((None, up))
        return node

    def resolve_name(self, n: A.Name, ctx: EvalContext) -> Any:
        node = self._name_node(n, ctx.sheet)
        if node is None:
            up = n.name.upper()
            if up in ("TRUE", "FALSE"):
                return up == "TRUE"
            return NAME.with_message(f"unknown name {n.name}")
        if self._name_depth > 50:
            return NAME.with_message(f"name {n.name} refers to itself")
        self._name_depth += 1
        try:
            return evaluate(node, EvalContext(self, ctx.sheet, ctx.row, ctx.col, ctx.array_mode))
        finally:
            self._name_depth -= 1

    def named_lambda(self, name: str, ctx: EvalContext) -> LambdaValue | None:
        node = self._name_node(A.Name(name), ctx.sheet)
        if node is None:
            return None
        v = evaluate(node, EvalContext(self, ctx.sheet, ctx.row, ctx.col, ctx.array_mode))
        return v if isinstance(v, LambdaValue) else None

    def _struct_area(self, n: A.StructRef, s: int, row: int, col: int):
        if n.table is None:
            tinfo = None
            for t in self.tables.values():
                if t[0] == s and t[1] <= row <= t[3] and t[2] <= col <= t[4]:
                    tinfo = t
                    break
        else:
            tinfo = self.tables.get(n.table.upper())
        if tinfo is None:
            return REF.with_message(f"no table {n.table!r}")
        si, r1, c1, r2, c2, t = tinfo
        data_r1 = r1 + t.header_row_count
        data_r2 = r2 - t.totals_row_count
        items = set(n.items) or {"#Data"}
        spans = []
        if "#All" in items:
            spans.append((r1, r2))
        if "#Headers" in items and t.header_row_count:
            spans.append((r1, r1))
        if "#Data" in items:
            spans.append((data_r1, data_r2))
        if "#Totals" in items and t.totals_row_count:
            spans.append((r2, r2))
        if "#This Row" in items:
            if not data_r1 <= row <= data_r2:
                return VALUE.with_message("#This Row outside the table's data rows")
            spans.append((row, row))
        if not spans:
            return REF
        ra, rb = min(a for a, _ in spans), max(b for _, b in spans)
        ca, cb = c1, c2
        if n.col1 is not None:
            names = [col.name.strip().upper() for col in t.columns]  # the parser strips spaces
            try:
                i1 = names.index(n.col1.upper())
                i2 = names.index((n.col2 or n.col1).upper())
            except ValueError:
                return REF.with_message(f"table {t.name} has no column {n.col1!r}")
            ca, cb = c1 + min(i1, i2), c1 + max(i1, i2)
        return (si, ra, ca, rb, cb)

    def resolve_struct(self, n: A.StructRef, ctx: EvalContext) -> Any:
        area = self._struct_area(n, ctx.sheet, ctx.row, ctx.col)
        if isinstance(area, XLError):
            return area
        si, r1, c1, r2, c2 = area
        return RangeRef(self, si, r1, c1, r2, c2)

    def resolve_spill(self, v: Any) -> Any:
        if isinstance(v, XLError):
            return v
        if not isinstance(v, RangeRef) or not v.is_cell:
            return REF
        key = (v.sheet, v.r1, v.c1)
        f = self.formulas.get(key)
        if f is None or f.array_ref is None:
            return REF.with_message(f"{self.address(key)} is not a spilling formula")
        self.cell_value(*key)
        rows, cols = self.spill_extent.get(key) or (f.array_ref[2] - f.array_ref[0] + 1,
                                                     f.array_ref[3] - f.array_ref[1] + 1)
        return RangeRef(self, v.sheet, v.r1, v.c1, v.r1 + rows - 1, v.c1 + cols - 1)

    # --- reporting ----------------------------------------------------------------------

    def report_internal_error(self, ctx: EvalContext, name: str, exc: Exception) -> None:
        self.internal_errors.append((self.address((ctx.sheet, ctx.row, ctx.col)), name, repr(exc)))

    def report_unsupported(self, name: str) -> None:
        self.unsupported[name] = self.unsupported.get(name, 0) + 1

    def functions_used(self, key: tuple[int, int, int]) -> set[str]:
        return {n.name for n in A.walk(self.formulas[key].node) if isinstance(n, A.Call)}

    def is_supported(self, name: str, key) -> bool:
        if name in SPECIAL_FORMS or registry.get(name) is not None:
            return True
        return self._name_node(A.Name(name), key[0]) is not None or _is_lambda_param(name, self.formulas[key].node)

    # --- public API -------------------------------------------------------------------

    def value(self, addr: str) -> Any:
        """Value of one cell ("Sheet1!B7"), or an Array for a range."""
        if self._state == {} and self.formulas:
            self.calculate()
        s, r1, c1, r2, c2 = self.parse_address(addr)
        if r1 == r2 and c1 == c2:
            return self.cell_value(s, r1, c1)
        return self.range_array(s, r1, c1, r2, c2)

    def set_value(self, addr: str, value: Any) -> None:
        """Replace a constant (or a formula) by a value; call calculate() after."""
        s, r, c, _, _ = self.parse_address(addr)
        key = (s, r, c)
        if key in self.formulas:
            del self.formulas[key]
            self.graph = None
        if isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if value is None or value is BLANK:
            self.constants.pop(key, None)
        else:
            self.constants[key] = value
        self._state = {}
        self._range_cache = {}

    def precedents(self, addr: str) -> list[str]:
        """Cells and ranges the formula at ``addr`` reads directly."""
        s, r, c, _, _ = self.parse_address(addr)
        out = []
        for d in self.build_graph().precedents((s, r, c)):
            if len(d) == 3:
                out.append(self.address(d))
            else:
                sh, r1, c1, r2, c2 = d
                out.append(f"{self.address((sh, r1, c1))}:{col_letters(c2)}{r2}")
        return out

    def dependents(self, addr: str) -> list[str]:
        """Formula cells that read ``addr`` directly (or through a range)."""
        s, r, c, _, _ = self.parse_address(addr)
        return [self.address(k) for k in self.build_graph().dependents((s, r, c))]

    def simulate(self, n: int = 10_000, **kw):
        """Monte Carlo simulation; see engine.montecarlo.simulate."""
        from .montecarlo.simulate import simulate
        return simulate(self, n, **kw)

    def solve(self, sheet: str | None = None, **kw):
        """Solve the sheet's Excel Solver model (or a declared one); see engine.optimize.solve."""
        from .optimize import solve
        return solve(self, sheet, **kw)

    def cells(self) -> Iterator[tuple[str, Any]]:
        """(address, value) of every non-empty cell, sheet by sheet, row-major."""
        keys = set(self.constants) | set(self.formulas) | set(self.values)
        for key in sorted(keys):
            v = self.cell_value(*key)
            if v is BLANK:
                continue
            yield self.address(key), v


class _OwnerIndex:
    """A FormulaIndex whose array-member cells report their anchor instead."""

    def __init__(self, index: G.FormulaIndex, owner: dict):
        self.index = index
        self.owner = owner

    def inside(self, key):
        out = []
        seen = set()
        for k in self.index.inside(key):
            k = self.owner.get(k, k)
            if k not in seen:
                seen.add(k)
                out.append(k)
        return out


def _parse_area(ref: str) -> tuple[int, int, int, int]:
    return parse_range_ref(ref.replace("$", ""))


def _blank_to_zero(v: Any) -> Any:
    return 0.0 if v is BLANK or v is MISSING else v


def _cell_result(v: Any, ctx: EvalContext) -> Any:
    if isinstance(v, RangeRef):
        v = ctx.implicit_intersection(v)
    elif isinstance(v, MultiRef):
        return VALUE
    elif isinstance(v, LambdaValue):
        if v.origin == "eta":   # a bare function name left uncalled
            return NAME.with_message(f"unknown name {v.body.name}")
        return CALC.with_message("a LAMBDA must be called")
    if isinstance(v, Array):
        v = v.data[0][0]
        if isinstance(v, Array):
            v = v.data[0][0]
    return _blank_to_zero(v)


def _change(old: Any, new: Any) -> float:
    if isinstance(old, float) and isinstance(new, float):
        return abs(new - old)
    if isinstance(old, Vec) or isinstance(new, Vec):
        try:
            import numpy as np
            return float(np.nanmax(np.abs(np.asarray(new.data, float) - np.asarray(old.data, float))))
        except Exception:
            return math.inf
    return 0.0 if old == new else math.inf


def _is_lambda_param(name: str, node: A.Node) -> bool:
    for n in A.walk(node):
        if isinstance(n, A.Call) and n.name in ("LAMBDA", "LET"):
            for a in n.args:
                if isinstance(a, A.Name) and a.name.upper() == name:
                    return True
    return False
