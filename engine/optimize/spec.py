"""What an optimization model is, and the three ways to declare one.

* **Excel Solver's hidden names** on a sheet (``solver_opt``, ``solver_adj``,
  ``solver_lhsN``/``solver_relN``/``solver_rhsN``...): :func:`from_solver_names`.
* **A model section** in Python or JSON (:func:`from_dict`)::

      {"objective": "Model!E10", "sense": "max",
       "variables": ["Model!B2:D2"],
       "constraints": [{"lhs": "Model!E5:E6", "rel": "<=", "rhs": "Model!G5:G6"},
                       {"lhs": "Model!B2:D2", "rel": "int"}],
       "engine": "simplex", "nonneg": true, "options": {"time_limit": 60}}

* **Cells**: ``=GF.DECISION(initial, [lower], [upper], ["int"|"bin"])``,
  ``=GF.OBJECTIVE(value, ["max"|"min"|target])`` and
  ``=GF.CONSTRAINT(lhs, "<=", rhs)`` (:func:`from_cells`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..parser import ast as A
from ..parser import parse_or_failure


class ModelError(Exception):
    """A model that cannot be built; the message names the name or cell."""


RELATIONS = {"1": "<=", "2": "=", "3": ">=", "4": "int", "5": "bin", "6": "dif"}
_REL_ALIASES = {"<=": "<=", "=<": "<=", "le": "<=", "=": "=", "==": "=", "eq": "=", ">=": ">=", "=>": ">=",
                "ge": ">=", "int": "int", "integer": "int", "bin": "bin", "binary": "bin", "dif": "dif",
                "alldiff": "dif", "alldifferent": "dif", "all different": "dif"}
ENGINES = {"1": "grg", "2": "simplex", "3": "evolutionary"}
_ENGINE_ALIASES = {"grg": "grg", "grg nonlinear": "grg", "nonlinear": "grg", "nlp": "grg", "simplex": "simplex",
                   "simplex lp": "simplex", "lp": "simplex", "milp": "simplex", "evolutionary": "evolutionary",
                   "de": "evolutionary", "auto": None, None: None}


def relation(text: Any) -> str:
    key = str(text).strip().lower()
    if key in RELATIONS:
        return RELATIONS[key]
    if key in _REL_ALIASES:
        return _REL_ALIASES[key]
    raise ModelError(f"unknown constraint relation {text!r} (use <=, =, >=, int, bin or dif)")


def engine_name(text: Any) -> str | None:
    key = None if text is None else str(text).strip().lower()
    if key in ENGINES:
        return ENGINES[key]
    if key in _ENGINE_ALIASES:
        return _ENGINE_ALIASES[key]
    raise ModelError(f"unknown solving method {text!r} (simplex, grg or evolutionary)")


@dataclass
class Side:
    """An expression evaluated in the context of a cell: a reference
    (``Sheet1!$B$2:$D$2``), a constant (``9``) or a formula (``Sheet1!B2*2``)."""
    text: str
    node: A.Node
    sheet: int
    row: int = 1
    col: int = 1

    @classmethod
    def parse(cls, text: Any, sheet: int, where: str) -> "Side":
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            return cls(repr(float(text)), A.Number(float(text)), sheet)
        s = str(text).strip()
        if s.startswith("="):
            s = s[1:]
        node = parse_or_failure(s)
        if isinstance(node, A.ParseFailure):
            raise ModelError(f"{where}: cannot parse {text!r}: {node.message}")
        return cls(s, node, sheet)


@dataclass
class Constraint:
    lhs: Side
    rel: str                     # <=, =, >=, int, bin, dif
    rhs: Side | None = None
    label: str = ""              # e.g. "solver_lhs3" or the GF.CONSTRAINT cell


@dataclass
class Decision:
    """Decision cells (one area) with optional bounds/type from GF.DECISION."""
    side: Side
    lower: float | None = None
    upper: float | None = None
    kind: str | None = None      # None, "int" or "bin"


@dataclass
class Options:
    time_limit: float | None = None        # s (solver_tim)
    max_iterations: int | None = None      # solver_itr
    mip_gap: float | None = None           # relative (solver_tol)
    relax_integers: bool = False           # solver_rlx
    precision: float = 1e-6                # solver_pre: constraint precision
    convergence: float = 1e-4              # solver_cvg
    central_differences: bool = False      # solver_drv = 2
    population: int | None = None          # solver_ssz
    seed: int | None = None                # solver_rsd
    mutation: float | None = None          # solver_mrt
    multistart: bool = False               # solver_msl
    max_subproblems: int | None = None     # solver_nod
    backend: str = "highs"                 # highs | ortools | scipy

    @classmethod
    def from_dict(cls, d: dict | None) -> "Options":
        o = cls()
        for k, v in (d or {}).items():
            if not hasattr(o, k):
                raise ModelError(f"unknown option {k!r}")
            setattr(o, k, v)
        return o


@dataclass
class OptSpec:
    sheet: int                               # sheet whose context resolves unqualified references
    objective: Side | None
    sense: str = "max"                       # max | min | value
    target: float = 0.0                      # for sense "value"
    decisions: list[Decision] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    engine: str | None = None                # simplex | grg | evolutionary | None (auto)
    nonneg: bool = True                      # solver_neg
    options: Options = field(default_factory=Options)
    source: str = "declared"                 # solver | declared | cells
    # stochastic objective (sample average approximation): {"statistic": "mean"|"percentile"|"prob",
    # "p": 0.05, "target": 0, "scenarios": 1000, "seed": 1}
    stochastic: dict | None = None


# --- Excel Solver's hidden names -------------------------------------------------------

def _flag(names: dict[str, str], key: str, default: bool) -> bool:
    v = names.get(key)
    if v is None:
        return default
    try:
        return float(str(v).lstrip("=")) == 1
    except ValueError:
        return str(v).strip().upper() in ("TRUE", "1")


def _num(names: dict[str, str], key: str) -> float | None:
    v = names.get(key)
    if v is None:
        return None
    try:
        return float(str(v).lstrip("=").strip().strip('"'))
    except ValueError:
        return None


def split_areas(text: str) -> list[str]:
    """``Sheet1!$A$1:$B$2,Sheet1!$D$4`` -> its areas (commas outside quotes/parens)."""
    out, depth, quote, cur = [], 0, False, []
    for ch in text:
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        if ch == "," and depth == 0 and not quote:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if cur:
        out.append("".join(cur).strip())
    return [a.strip("()") if a.startswith("(") and a.endswith(")") else a for a in out if a]


def sheets_with_models(model) -> list[int]:
    return sorted(s for s, names in model.wb.solver_names().items()
                  if s is not None and ("solver_opt" in names or "solver_adj" in names))


def from_solver_names(model, sheet: int | str | None = None) -> OptSpec:
    """Read the Excel Solver model stored on ``sheet`` (index or name; the
    first sheet holding one when omitted)."""
    groups = model.wb.solver_names()
    if sheet is None:
        found = sheets_with_models(model)
        if not found:
            raise ModelError(f"{model.path}: no Excel Solver model (no solver_adj/solver_opt names on any sheet)")
        si = found[0]
    else:
        si = sheet if isinstance(sheet, int) else model.sheet_index(sheet)
    names = groups.get(si) or {}
    if "solver_adj" not in names:
        raise ModelError(f"sheet {model.sheet_names[si]!r} has no Excel Solver model (no solver_adj name)")
    where = f"{model.sheet_names[si]}!solver_"
    typ = int(_num(names, "solver_typ") or 1)
    sense = {1: "max", 2: "min", 3: "value"}.get(typ)
    if sense is None:
        raise ModelError(f"{where}typ = {names.get('solver_typ')!r}: expected 1 (max), 2 (min) or 3 (value of)")
    obj = Side.parse(names["solver_opt"], si, where + "opt") if names.get("solver_opt") else None
    decisions = [Decision(Side.parse(a, si, where + "adj")) for a in split_areas(names["solver_adj"].lstrip("="))]
    n = int(_num(names, "solver_num") or 0)
    cons = []
    for k in range(1, n + 1):
        lhs = names.get(f"solver_lhs{k}")
        rel = names.get(f"solver_rel{k}")
        if lhs is None or rel is None:
            raise ModelError(f"{where}lhs{k}/rel{k} missing (solver_num = {n})")
        r = relation(str(rel).lstrip("=").strip())
        rhs = None
        if r in ("<=", "=", ">="):
            rtext = names.get(f"solver_rhs{k}")
            if rtext is None:
                raise ModelError(f"{where}rhs{k} missing")
            rhs = Side.parse(rtext, si, where + f"rhs{k}")
        cons.append(Constraint(Side.parse(lhs, si, where + f"lhs{k}"), r, rhs, f"solver_lhs{k}"))
    opts = Options()
    tim = _num(names, "solver_tim")
    if tim is not None and tim < 2147483647:
        opts.time_limit = tim
    itr = _num(names, "solver_itr")
    if itr is not None and itr < 2147483647:
        opts.max_iterations = int(itr)
    nod = _num(names, "solver_nod")
    if nod is not None and nod < 2147483647:
        opts.max_subproblems = int(nod)
    tol = _num(names, "solver_tol")
    if tol is not None:
        opts.mip_gap = tol
    opts.relax_integers = _flag(names, "solver_rlx", False)
    pre = _num(names, "solver_pre")
    if pre:
        opts.precision = pre
    cvg = _num(names, "solver_cvg")
    if cvg:
        opts.convergence = cvg
    opts.central_differences = _num(names, "solver_drv") == 2
    ssz = _num(names, "solver_ssz")
    if ssz:
        opts.population = int(ssz)
    rsd = _num(names, "solver_rsd")
    if rsd:
        opts.seed = int(rsd)
    mrt = _num(names, "solver_mrt")
    if mrt:
        opts.mutation = mrt
    opts.multistart = _flag(names, "solver_msl", False)
    eng = names.get("solver_eng")
    engine = engine_name(eng.lstrip("=").strip()) if eng else ("simplex" if _flag(names, "solver_lin", False)
                                                              else None)
    return OptSpec(sheet=si, objective=obj, sense=sense, target=_num(names, "solver_val") or 0.0,
                   decisions=decisions, constraints=cons, engine=engine,
                   nonneg=_flag(names, "solver_neg", True), options=opts, source="solver")


# --- a model section (Python / JSON) ----------------------------------------------------

def from_dict(model, d: dict | str) -> OptSpec:
    """Build a model from a dict (or a JSON text/path)."""
    if isinstance(d, str):
        text = d
        if not d.lstrip().startswith("{"):
            with open(d, encoding="utf-8") as fh:
                text = fh.read()
        d = json.loads(text)
    sheet = d.get("sheet")
    si = 0 if sheet is None else (sheet if isinstance(sheet, int) else model.sheet_index(sheet))
    sense = str(d.get("sense", "max")).lower()
    if sense in ("value", "value of", "valueof", "target"):
        sense = "value"
    if sense not in ("max", "min", "value"):
        raise ModelError(f"sense {d.get('sense')!r}: use max, min or value")
    obj = d.get("objective")
    variables = d.get("variables") or d.get("decisions")
    if not variables:
        raise ModelError("the model declares no variables")
    if isinstance(variables, str):
        variables = split_areas(variables)
    decisions = []
    for v in variables:
        if isinstance(v, dict):
            decisions.append(Decision(Side.parse(v["cells"], si, "variables"), v.get("lower"), v.get("upper"),
                                      v.get("type")))
        else:
            decisions.append(Decision(Side.parse(v, si, "variables")))
    cons = []
    for i, c in enumerate(d.get("constraints") or [], start=1):
        if isinstance(c, (list, tuple)):
            c = {"lhs": c[0], "rel": c[1], "rhs": c[2] if len(c) > 2 else None}
        r = relation(c.get("rel") or c.get("type"))
        lhs = Side.parse(c.get("lhs") or c.get("cells"), si, f"constraint {i}")
        rhs = None
        if r in ("<=", "=", ">="):
            if c.get("rhs") is None:
                raise ModelError(f"constraint {i} has no rhs")
            rhs = Side.parse(c["rhs"], si, f"constraint {i}")
        cons.append(Constraint(lhs, r, rhs, c.get("name") or f"constraint {i}"))
    return OptSpec(sheet=si, objective=Side.parse(obj, si, "objective") if obj is not None else None,
                   sense=sense, target=float(d.get("target", 0.0)), decisions=decisions, constraints=cons,
                   engine=engine_name(d.get("engine")), nonneg=bool(d.get("nonneg", True)),
                   options=Options.from_dict(d.get("options")), source="declared",
                   stochastic=d.get("stochastic"))


# --- GF.DECISION / GF.OBJECTIVE / GF.CONSTRAINT cells -------------------------------------

DECISION_NAMES = ("GF.DECISION", "GF_DECISION")
OBJECTIVE_NAMES = ("GF.OBJECTIVE", "GF_OBJECTIVE")
CONSTRAINT_NAMES = ("GF.CONSTRAINT", "GF_CONSTRAINT")


def _gf_calls(model, names: tuple[str, ...]):
    for key in sorted(model.formulas):
        node = model.formulas[key].node
        for n in A.walk(node):
            if isinstance(n, A.Call) and n.name.upper() in names:
                yield key, n
                break


def has_gf_model(model) -> bool:
    return any(True for _ in _gf_calls(model, DECISION_NAMES))


def from_cells(model, sheet: int | str | None = None) -> OptSpec:
    """A model declared with GF.DECISION / GF.OBJECTIVE / GF.CONSTRAINT cells."""
    from ..eval.context import EvalContext
    from ..values import BLANK, MISSING, XLError
    si_filter = None if sheet is None else (sheet if isinstance(sheet, int) else model.sheet_index(sheet))
    model.calculate()
    decisions = []
    for key, call in _gf_calls(model, DECISION_NAMES):
        if si_filter is not None and key[0] != si_filter:
            continue
        ctx = EvalContext(model, *key)
        vals = [ctx.scalar(a) for a in call.args]
        addr = model.address(key)

        def num(i):
            v = vals[i] if len(vals) > i else None
            if v is None or v is BLANK or v is MISSING or isinstance(v, (str, XLError)):
                return None
            try:
                return float(v)
            except (TypeError, ValueError):
                return None
        kind = None
        if len(vals) > 3 and isinstance(vals[3], str) and vals[3].strip():
            kind = relation(vals[3])
            if kind not in ("int", "bin"):
                raise ModelError(f"{addr}: GF.DECISION type must be \"int\" or \"bin\"")
        decisions.append(Decision(Side(addr, parse_or_failure(addr), key[0]), num(1), num(2), kind))
    if not decisions:
        raise ModelError(f"{model.path}: no GF.DECISION cells")
    objs = [(k, c) for k, c in _gf_calls(model, OBJECTIVE_NAMES) if si_filter is None or k[0] == si_filter]
    if len(objs) > 1:
        raise ModelError("more than one GF.OBJECTIVE cell: " + ", ".join(model.address(k) for k, _ in objs))
    obj, sense, target = None, "max", 0.0
    if objs:
        key, call = objs[0]
        obj = Side(model.address(key), parse_or_failure(model.address(key)), key[0])
        if len(call.args) > 1:
            v = EvalContext(model, *key).scalar(call.args[1])
            if isinstance(v, str):
                sense = v.strip().lower()
                if sense not in ("max", "min"):
                    raise ModelError(f"{model.address(key)}: GF.OBJECTIVE sense must be \"max\", \"min\" or a target")
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                sense, target = "value", float(v)
    cons = []
    for key, call in _gf_calls(model, CONSTRAINT_NAMES):
        if si_filter is not None and key[0] != si_filter:
            continue
        if len(call.args) < 3:
            raise ModelError(f"{model.address(key)}: GF.CONSTRAINT(lhs, relation, rhs) needs three arguments")
        rel_v = EvalContext(model, *key).scalar(call.args[1])
        r = relation(rel_v)
        s, row, col = key
        cons.append(Constraint(Side(model.address(key), call.args[0], s, row, col), r,
                               Side(model.address(key), call.args[2], s, row, col), model.address(key)))
    first = decisions[0].side.sheet
    return OptSpec(sheet=si_filter if si_filter is not None else first, objective=obj, sense=sense, target=target,
                   decisions=decisions, constraints=cons, source="cells")
