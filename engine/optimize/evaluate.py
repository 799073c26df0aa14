"""A model compiled for optimization: its decision cells, objective and
scalar constraint rows, and a batched evaluator.

``Problem.evaluate(X)`` takes a matrix of decision vectors (one row per
candidate) and evaluates the whole workbook once over all of them: each
decision cell is overridden by a per-scenario ``Vec`` (one scenario per
candidate), so a batch of perturbations, a population of differential
evolution or a finite-difference stencil is one vectorized pass.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..eval.context import EvalContext, evaluate
from ..eval.refs import MultiRef, RangeRef
from ..eval.vector import Vec
from ..parser import ast as A
from ..parser.printer import col_letters
from ..values import BLANK, Array
from .spec import ModelError, OptSpec, Side

INF = np.inf


@dataclass
class Row:
    """One scalar constraint: element ``k`` of constraint ``con``."""
    con: int                      # index into spec.constraints
    k: int                        # element inside the constraint
    rel: str                      # <=, =, >=
    lhs_key: tuple | None         # cell of the left side, when it is a cell
    rhs_key: tuple | None
    rhs_const: bool               # the right side does not depend on anything variable
    bound_var: int | None = None  # a simple bound on this variable (Excel keeps those out of the LP rows)


@dataclass
class Values:
    obj: np.ndarray               # (S,)
    lhs: np.ndarray               # (S, m)
    rhs: np.ndarray               # (S, m)

    @property
    def g(self) -> np.ndarray:
        """lhs - rhs"""
        return self.lhs - self.rhs


def _as_float(v: Any, S: int) -> np.ndarray:
    if isinstance(v, Array):
        v = v.data[0][0]
    if isinstance(v, Vec):
        d = v.data
        if d.dtype == np.float64:
            return d
        if d.dtype == np.bool_:
            return d.astype(float)
        return np.array([x if isinstance(x, float) else (float(x) if isinstance(x, (bool, int)) else
                                                          (0.0 if x is BLANK else np.nan)) for x in d], float)
    if isinstance(v, bool):
        return np.full(S, float(v))
    if isinstance(v, (int, float)):
        return np.full(S, float(v))
    if v is BLANK or v is None:
        return np.zeros(S)
    return np.full(S, np.nan)     # text or error


def _cells_of(v: Any) -> list[tuple[int, int, int]] | None:
    if isinstance(v, RangeRef):
        return [(v.sheet, r, c) for r in range(v.r1, v.r2 + 1) for c in range(v.c1, v.c2 + 1)]
    if isinstance(v, MultiRef):
        out = []
        for a in v.areas:
            out.extend(_cells_of(a))
        return out
    return None


def _shape(v: Any) -> tuple[int, int]:
    if isinstance(v, RangeRef):
        return v.shape
    if isinstance(v, Array):
        return v.shape
    return (1, 1)


def _elements(model, v: Any) -> list[Any]:
    if isinstance(v, RangeRef):
        return [model.cell_value(v.sheet, r, c) for r in range(v.r1, v.r2 + 1) for c in range(v.c1, v.c2 + 1)]
    if isinstance(v, MultiRef):
        out = []
        for a in v.areas:
            out.extend(_elements(model, a))
        return out
    if isinstance(v, Array):
        return [x for row in v.data for x in row]
    return [v]


def _has_refs(node: A.Node) -> bool:
    return any(isinstance(n, (A.Ref, A.Name, A.StructRef)) or
               (isinstance(n, A.Call) and n.name.upper() in ("INDIRECT", "OFFSET", "RAND", "RANDBETWEEN", "RANDARRAY"))
               for n in A.walk(node))


class Problem:
    """``spec`` resolved against ``model``: variables, bounds, rows."""

    def __init__(self, model, spec: OptSpec):
        self.model = model
        self.spec = spec
        model.overrides.clear()
        model.calculate()
        # --- variables
        keys: list[tuple[int, int, int]] = []
        seen: set = set()
        lower: dict[int, float] = {}
        upper: dict[int, float] = {}
        kinds: dict[int, str] = {}
        for d in spec.decisions:
            cells = _cells_of(self._eval(d.side))
            if cells is None:
                raise ModelError(f"decision cells {d.side.text!r} are not a reference")
            for key in cells:
                if key not in seen:            # overlapping areas count once (as OpenSolver does)
                    seen.add(key)
                    keys.append(key)
                j = keys.index(key)
                if d.lower is not None:
                    lower[j] = d.lower
                if d.upper is not None:
                    upper[j] = d.upper
                if d.kind:
                    kinds[j] = d.kind
        if not keys:
            raise ModelError("the model has no decision cells")
        self.var_keys = keys
        self.var_index = {k: j for j, k in enumerate(keys)}
        n = len(keys)
        self.n = n
        self.x_initial = np.array([_scalar_float(model.cell_value(*k)) for k in keys])
        self.lb = np.full(n, -INF)
        self.ub = np.full(n, INF)
        self.integer = np.zeros(n, bool)
        self.binary = np.zeros(n, bool)
        self.alldiff: list[list[int]] = []
        explicit_lb = np.zeros(n, bool)
        for j, v in lower.items():
            self.lb[j] = v
            explicit_lb[j] = True
        for j, v in upper.items():
            self.ub[j] = v
        for j, kd in kinds.items():
            self.integer[j] = True
            if kd == "bin":
                self.binary[j] = True
        # --- objective
        self.obj_key = None
        if spec.objective is not None:
            cells = _cells_of(self._eval(spec.objective))
            if cells is not None and len(cells) != 1:
                raise ModelError(f"the objective {spec.objective.text!r} must be one cell")
            self.obj_key = cells[0] if cells else None
        # --- constraints
        self.rows: list[Row] = []
        self.bound_rows: list[Row] = []
        for ci, con in enumerate(spec.constraints):
            lv = self._eval(con.lhs)
            lcells = _cells_of(lv)
            if con.rel in ("int", "bin", "dif"):
                if lcells is None or any(c not in self.var_index for c in lcells):
                    bad = [model.address(c) for c in (lcells or []) if c not in self.var_index]
                    raise ModelError(f"{con.label}: {con.rel} constraints apply to decision cells only"
                                     + (f" ({', '.join(bad[:5])} is not one)" if bad else ""))
                idx = [self.var_index[c] for c in lcells]
                if con.rel == "dif":
                    self.alldiff.append(idx)
                for j in idx:
                    self.integer[j] = True
                    if con.rel == "bin":
                        self.binary[j] = True
                continue
            rv = self._eval(con.rhs)
            ls, rs = _shape(lv), _shape(rv)
            m = ls[0] * ls[1]
            if rs == ls:
                rmap = list(range(m))
            elif rs == (ls[1], ls[0]):                # transposed right side
                rmap = [c * ls[0] + r for r in range(ls[0]) for c in range(ls[1])]
            elif rs == (1, 1):
                rmap = [0] * m
            else:
                raise ModelError(f"{con.label}: left side {con.lhs.text} ({ls[0]}x{ls[1]}) and right side "
                                 f"{con.rhs.text} ({rs[0]}x{rs[1]}) have different shapes")
            rcells = _cells_of(rv)
            for k in range(m):
                lkey = lcells[k] if lcells else None
                rkey = rcells[rmap[k]] if rcells else None
                if rkey is not None:
                    rconst = rkey not in model.formulas and rkey not in self.var_index
                else:
                    rconst = not _has_refs(con.rhs.node)
                row = Row(ci, k, con.rel, lkey, rkey, rconst)
                row.rmap = rmap[k]
                if lkey in self.var_index and rconst:
                    row.bound_var = self.var_index[lkey]
                    self.bound_rows.append(row)
                else:
                    self.rows.append(row)
        # simple bounds from constraints (Excel: they are bounds, not rows)
        if self.bound_rows:
            vals = self.evaluate_rows(self.bound_rows, np.atleast_2d(self.x_initial))
            for i, row in enumerate(self.bound_rows):
                j = row.bound_var
                b = float(vals.rhs[0, i])
                if not np.isfinite(b):
                    raise ModelError(f"{self.row_label(row)}: the bound is not a number")
                if row.rel in (">=", "="):
                    self.lb[j] = b if not explicit_lb[j] else max(self.lb[j], b)
                    explicit_lb[j] = True
                if row.rel in ("<=", "="):
                    self.ub[j] = min(self.ub[j], b)
        if spec.nonneg:
            self.lb[~explicit_lb] = 0.0
        self.lb[self.binary] = np.maximum(self.lb[self.binary], 0.0)
        self.ub[self.binary] = np.minimum(self.ub[self.binary], 1.0)
        for group in self.alldiff:           # Excel: AllDifferent cells take the values 1..N
            for j in group:
                self.lb[j] = max(self.lb[j], 1.0)
                self.ub[j] = min(self.ub[j], float(len(group)))
        model.calculate()

    # --- names -----------------------------------------------------------------------

    def _eval(self, side: Side) -> Any:
        return evaluate(side.node, EvalContext(self.model, side.sheet, side.row, side.col))

    def short_address(self, key) -> str:
        s, r, c = key
        a = f"${col_letters(c)}${r}"
        if s != self.spec.sheet:
            return f"{self.model.address(key).split('!')[0]}!{a}"
        return a

    def cell_name(self, key) -> str:
        """Excel's report name: the nearest text to the left, then the nearest text above."""
        if key is None:
            return ""
        s, r, c = key
        cv = self.model.cell_value
        left = next((v for cc in range(c - 1, 0, -1) if isinstance(v := cv(s, r, cc), str) and v.strip()), "")
        above = next((v for rr in range(r - 1, 0, -1) if isinstance(v := cv(s, rr, c), str) and v.strip()), "")
        return " ".join(x.strip() for x in (left, above) if x)

    def var_address(self, j: int) -> str:
        return self.short_address(self.var_keys[j])

    def row_label(self, row: Row) -> str:
        con = self.spec.constraints[row.con]
        if row.lhs_key is not None:
            return self.short_address(row.lhs_key)
        return f"{con.label}[{row.k + 1}]"

    def row_formula(self, row: Row) -> str:
        con = self.spec.constraints[row.con]
        lhs = self.short_address(row.lhs_key) if row.lhs_key is not None else con.lhs.text
        if row.rhs_key is not None:
            rhs = self.short_address(row.rhs_key)
        else:
            rhs = con.rhs.text if con.rhs is not None else ""
        return f"{lhs}{row.rel}{rhs}"

    # --- evaluation --------------------------------------------------------------------

    def _chunk(self) -> int:
        return int(max(64, 20_000_000 // max(1, len(self.model.formulas))))

    def _run(self, X: np.ndarray) -> None:
        model = self.model
        S = X.shape[0]
        model.overrides.clear()
        for j, key in enumerate(self.var_keys):
            col = X[:, j]
            model.overrides[key] = float(col[0]) if S == 1 else Vec(np.ascontiguousarray(col, dtype=float))
        model.calculate(n_scenarios=S)

    def side_values(self, side: Side, S: int) -> list[np.ndarray]:
        return [_as_float(v, S) for v in _elements(self.model, self._eval(side))]

    def evaluate_rows(self, rows: list[Row], X: np.ndarray, objective: bool = False) -> Values:
        X = np.atleast_2d(np.asarray(X, float))
        S = X.shape[0]
        chunk = self._chunk()
        if S > chunk:
            parts = [self.evaluate_rows(rows, X[i:i + chunk], objective) for i in range(0, S, chunk)]
            return Values(np.concatenate([p.obj for p in parts]), np.vstack([p.lhs for p in parts]),
                          np.vstack([p.rhs for p in parts]))
        self._run(X)
        obj = np.zeros(S)
        if objective and self.obj_key is not None:
            obj = _as_float(self.model.cell_value(*self.obj_key), S)
        m = len(rows)
        lhs = np.zeros((S, m))
        rhs = np.zeros((S, m))
        cache: dict[int, tuple[list, list]] = {}
        for i, row in enumerate(rows):
            if row.con not in cache:
                con = self.spec.constraints[row.con]
                cache[row.con] = (self.side_values(con.lhs, S), self.side_values(con.rhs, S))
            lv, rv = cache[row.con]
            lhs[:, i] = lv[row.k]
            rhs[:, i] = rv[row.rmap]
        return Values(obj, lhs, rhs)

    def evaluate(self, X: np.ndarray) -> Values:
        """Objective and constraint rows (LP rows, not simple bounds) for each row of X."""
        return self.evaluate_rows(self.rows, X, objective=True)

    def all_rows(self) -> list[Row]:
        return sorted(self.rows + self.bound_rows, key=lambda r: (r.con, r.k))

    def apply(self, x: np.ndarray) -> None:
        """Set the decision cells to ``x`` and recalculate (scalar)."""
        self._run(np.atleast_2d(np.asarray(x, float)))

    def release(self) -> None:
        self.model.overrides.clear()
        self.model.calculate()


def _scalar_float(v: Any) -> float:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    return 0.0
