"""The stochastic cone: formula cells reachable from a random input.

Everything outside the cone has one value whatever the scenario, so the
compiled plan reads it as a constant from a plain (scalar) calculation.
Inside the cone only the cells some output depends on are compiled, and
each gets a *level* (longest path from a random input), so cells of one
level never depend on each other and a level can run as one block.
"""
from __future__ import annotations

from collections import defaultdict

CellKey = tuple[int, int, int]


def _reverse_edges(graph):
    """cell -> formula cells reading it directly; cell -> ranges holding it;
    range -> formula cells reading it."""
    readers: dict[CellKey, list[CellKey]] = defaultdict(list)
    range_readers: dict[tuple, list[CellKey]] = defaultdict(list)
    for f, deps in graph.cell_deps.items():
        for d in deps:
            if len(d) == 3:
                readers[d].append(f)
            else:
                range_readers[d].append(f)
    in_ranges: dict[CellKey, list[tuple]] = defaultdict(list)
    for rng in range_readers:
        for m in graph.range_members.get(rng, ()):
            in_ranges[m].append(rng)
    return readers, range_readers, in_ranges


def stochastic_cone(graph, sources) -> set[CellKey]:
    """Formula cells downstream of ``sources`` (the sources included)."""
    readers, range_readers, in_ranges = _reverse_edges(graph)
    cone: set[CellKey] = set()
    seen_ranges: set[tuple] = set()
    stack = [s for s in sources if s in graph.cell_deps]
    while stack:
        x = stack.pop()
        if x in cone:
            continue
        cone.add(x)
        for f in readers.get(x, ()):
            if f not in cone:
                stack.append(f)
        for rng in in_ranges.get(x, ()):
            if rng in seen_ranges:
                continue
            seen_ranges.add(rng)
            for f in range_readers[rng]:
                if f not in cone:
                    stack.append(f)
    return cone


def cone_deps(graph, key: CellKey, cone: set[CellKey]) -> list[CellKey]:
    """The cone cells ``key`` reads, directly or through ranges."""
    out = []
    for d in graph.cell_deps.get(key, ()):
        if len(d) == 3:
            if d in cone:
                out.append(d)
        else:
            out.extend(m for m in graph.range_members.get(d, ()) if m in cone)
    return out


def needed_cells(graph, targets, cone: set[CellKey]) -> set[CellKey]:
    """Cone cells that some target depends on (the targets in the cone included)."""
    need: set[CellKey] = set()
    stack = [t for t in targets if t in cone]
    while stack:
        x = stack.pop()
        if x in need:
            continue
        need.add(x)
        stack.extend(d for d in cone_deps(graph, x, cone) if d not in need)
    return need


def levels(graph, cells: set[CellKey]) -> dict[CellKey, int]:
    """Level of each cell: 0 without dependencies among ``cells``, else one
    more than the deepest of them.  ``graph.order`` is a topological order."""
    lev: dict[CellKey, int] = {}
    for key in graph.order:
        if key not in cells:
            continue
        deps = cone_deps(graph, key, cells)
        lev[key] = 1 + max((lev.get(d, 0) for d in deps), default=-1)
    return lev
