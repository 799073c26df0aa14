"""Dependency graph: formula cells and ranges as nodes, strongly connected
components for cycles, and an evaluation order."""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

CellKey = tuple[int, int, int]          # (sheet, row, col)
RangeKey = tuple[int, int, int, int, int]  # (sheet, r1, c1, r2, c2)


@dataclass
class Graph:
    """Nodes are formula cells and ranges.  A formula cell points to what it
    reads (cells and range nodes); a range node points to the formula cells
    inside it.  One edge per range, however large, rather than one per cell."""
    cell_deps: dict[CellKey, list] = field(default_factory=dict)   # cell -> [CellKey | RangeKey]
    range_members: dict[RangeKey, list[CellKey]] = field(default_factory=dict)
    order: list[CellKey] = field(default_factory=list)             # evaluation order
    cycles: list[list[CellKey]] = field(default_factory=list)      # SCCs that are cycles
    cycle_of: dict[CellKey, int] = field(default_factory=dict)

    def precedents(self, cell: CellKey) -> list:
        """Direct precedents: cells and ranges the formula reads."""
        return list(self.cell_deps.get(cell, []))

    def dependents(self, cell: CellKey) -> list[CellKey]:
        """Formula cells that read ``cell`` directly or through a range."""
        out = []
        s, r, c = cell
        for f, deps in self.cell_deps.items():
            for d in deps:
                if len(d) == 3 and d == cell:
                    out.append(f)
                    break
                if len(d) == 5 and d[0] == s and d[1] <= r <= d[3] and d[2] <= c <= d[4]:
                    out.append(f)
                    break
        return out


class FormulaIndex:
    """Formula cells per sheet and column, sorted by row, to find the formula
    cells inside a range without visiting empty cells."""

    def __init__(self, cells):
        cols: dict[tuple[int, int], list[int]] = {}
        for (s, r, c) in cells:
            cols.setdefault((s, c), []).append(r)
        for rows in cols.values():
            rows.sort()
        self.cols = cols
        self.by_sheet: dict[int, list[int]] = {}
        for (s, c) in cols:
            self.by_sheet.setdefault(s, []).append(c)
        for lst in self.by_sheet.values():
            lst.sort()

    def inside(self, key: RangeKey) -> list[CellKey]:
        s, r1, c1, r2, c2 = key
        out = []
        scols = self.by_sheet.get(s, [])
        lo, hi = bisect_left(scols, c1), bisect_right(scols, c2)
        for c in scols[lo:hi]:
            rows = self.cols[(s, c)]
            a, b = bisect_left(rows, r1), bisect_right(rows, r2)
            out.extend((s, r, c) for r in rows[a:b])
        return out


def build(cell_deps: dict[CellKey, list], index: FormulaIndex) -> Graph:
    g = Graph(cell_deps=cell_deps)
    for deps in cell_deps.values():
        for d in deps:
            if len(d) == 5 and d not in g.range_members:
                g.range_members[d] = index.inside(d)
    _order(g)
    return g


def _order(g: Graph) -> None:
    """Iterative Tarjan SCC over cells (range nodes are expanded inline).
    Tarjan emits a component only after everything it depends on, which is
    exactly the evaluation order."""
    formula_cells = g.cell_deps

    def successors(v: CellKey) -> list[CellKey]:
        out = []
        for d in formula_cells.get(v, ()):
            if len(d) == 3:
                if d in formula_cells:
                    out.append(d)
            else:
                out.extend(g.range_members.get(d, ()))
        return out

    index: dict[CellKey, int] = {}
    low: dict[CellKey, int] = {}
    on_stack: set[CellKey] = set()
    stack: list[CellKey] = []
    counter = 0
    for root in formula_cells:
        if root in index:
            continue
        work = [(root, iter(successors(root)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(successors(w))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or v in successors(v):
                    comp.sort()
                    g.cycle_of.update({c: len(g.cycles) for c in comp})
                    g.cycles.append(comp)
                g.order.extend(sorted(comp) if len(comp) > 1 else comp)
