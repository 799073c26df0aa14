"""Film tax incentives from dated policy records.

Policy records are JSON files (``engine/finance/data/incentives/*.json``,
plus any folder named by ``$GRIDFLOW_INCENTIVES`` or passed to
:meth:`PolicyStore.load`, or records added with :meth:`PolicyStore.add`).
One record is one *version* of a program, in force from ``effective_from``
(to ``effective_to``).  Fields::

    program          stable id shared by the versions ("qc_pstc")
    name, jurisdiction ("CA", "CA-QC", "GB", "US-GA"...), currency
    effective_from, effective_to (ISO dates), date_precision (how sure)
    conditions       eligibility: [{"attr", "op", "value"}], "any"/"all" groups
    components       [{"name", "rate", "base", "limits", "conditions",
                       "labour_base", "net_of_assistance", "disputed"}]
    credit_cap       absolute cap on the credit; max_rate: cap as a rate of spend
    refundable, transferable, taxable (+ tax_rate)
    exclusive_group  one program per group and project (best one unless chosen)
    incompatible_with, requires_any   stacking rules between programs
    stack_order      lower first (provincial before federal: the federal base
                     is net of provincial assistance)
    timing_months    months from the start of production to the cash
    monetization     {"method": "loan"|"transfer"|"direct", ...}
    source_url, source, source_year, notes

A project gives its total budget, attributes (``kind``: "domestic" or
"service", ``format``: "feature", "tv_series", "animation"...) and its spend
per jurisdiction, by category: ``spend`` (all qualifying spend),
``labour``, ``vfx_labour``, ``core_costs`` (UK), ``vfx_spend``,
``pdv_spend``, ``rural_spend``, ``nonresident_labour``, ``uplift_spend``.
A federal jurisdiction ("CA") without its own entry uses the sum of its
provinces ("CA-QC", "CA-ON").

Condition operators: eq, ne, lt, le, gt, ge, in, not_in, true, false and
``ge_pct_of`` (attr >= value x of).  An attribute is looked up in the
jurisdiction's spend, then the project's numbers (``budget``,
``total_core_costs``...), then its attributes; ``qualifying_base`` is the
component's base after its limits.

The calculator returns per program the gross credit, its components, the
labour-attributable part (assistance for the federal base), tax, the cost of
monetizing it (tax-credit loan: advance x (interest x months/12 + fee);
transfer: (1 - price) x credit), the net benefit and its present value at
the discount rate, effective rates and the cash-flow timing.
"""
from __future__ import annotations

import copy
import datetime as _dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

DATA_DIR = Path(__file__).resolve().parent / "data" / "incentives"
SPEND_CATEGORIES = ("spend", "labour", "vfx_labour", "core_costs", "vfx_spend", "pdv_spend", "rural_spend",
                    "nonresident_labour", "uplift_spend")
_OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "true", "false", "ge_pct_of")
_MISSING = object()


class PolicyError(ValueError):
    """A malformed policy record or an impossible request."""


def _date(d) -> _dt.date:
    if d is None:
        return _dt.date.today()
    if isinstance(d, _dt.datetime):
        return d.date()
    if isinstance(d, _dt.date):
        return d
    if isinstance(d, (int, float)):
        from .timeline import serial_to_date
        return serial_to_date(int(d))
    return _dt.date.fromisoformat(str(d).strip()[:10])


def _check_conditions(conds, where: str) -> None:
    if not isinstance(conds, list):
        raise PolicyError(f"{where}: conditions must be a list")
    for c in conds:
        if not isinstance(c, Mapping):
            raise PolicyError(f"{where}: a condition must be an object")
        if "any" in c or "all" in c:
            _check_conditions(c.get("any", c.get("all")), where)
            continue
        if "attr" not in c or c.get("op") not in _OPS:
            raise PolicyError(f"{where}: condition {c} needs attr and op (one of {', '.join(_OPS)})")
        if c["op"] == "ge_pct_of" and "of" not in c:
            raise PolicyError(f"{where}: ge_pct_of needs 'of'")


def validate_record(rec: Mapping) -> dict:
    """Check a record's fields; returns a normalised copy."""
    r = copy.deepcopy(dict(rec))
    for k in ("program", "name", "jurisdiction", "effective_from", "components", "source_url"):
        if k not in r or r[k] in (None, ""):
            raise PolicyError(f"policy record {r.get('program', '?')}: missing {k!r}")
    where = f"{r['program']}@{r['effective_from']}"
    try:
        r["_from"] = _date(r["effective_from"])
        r["_to"] = _date(r["effective_to"]) if r.get("effective_to") else None
    except ValueError as exc:
        raise PolicyError(f"{where}: bad date: {exc}")
    if not r["components"]:
        raise PolicyError(f"{where}: needs at least one component")
    _check_conditions(r.setdefault("conditions", []), where)
    for c in r["components"]:
        if not isinstance(c.get("rate"), (int, float)) or not 0 <= c["rate"] <= 1:
            raise PolicyError(f"{where}: component {c.get('name')!r} needs a rate between 0 and 1")
        if not c.get("base"):
            raise PolicyError(f"{where}: component {c.get('name')!r} needs a base")
        _check_conditions(c.setdefault("conditions", []), where)
        for lim in c.setdefault("limits", []):
            if not ("amount" in lim or ("pct" in lim and "of" in lim)):
                raise PolicyError(f"{where}: a limit needs amount, or pct and of")
    m = r.setdefault("monetization", {"method": "direct"})
    if m.get("method", "direct") not in ("loan", "transfer", "direct"):
        raise PolicyError(f"{where}: monetization method must be loan, transfer or direct")
    r.setdefault("stack_order", 10)
    r.setdefault("timing_months", 12)
    for k in ("refundable", "transferable", "taxable"):
        r.setdefault(k, False)
    return r


class PolicyStore:
    """The versioned policy records (built-in plus the user's)."""

    def __init__(self, records: Iterable[Mapping] = ()):
        self.records: list[dict] = []
        for r in records:
            self.add(r)

    @classmethod
    def default(cls) -> "PolicyStore":
        """Built-in records plus the JSON files under ``$GRIDFLOW_INCENTIVES``."""
        store = cls()
        store.load(DATA_DIR)
        extra = os.environ.get("GRIDFLOW_INCENTIVES")
        if extra:
            for p in extra.split(os.pathsep):
                if p:
                    store.load(p)
        return store

    def load(self, path: str | os.PathLike) -> "PolicyStore":
        """Add the records of a JSON file (``{"records": [...]}`` or a list)
        or of every ``*.json`` in a folder."""
        p = Path(path)
        files = sorted(p.glob("*.json")) if p.is_dir() else [p]
        for f in files:
            try:
                data = json.loads(f.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise PolicyError(f"{f}: {exc}")
            for r in data["records"] if isinstance(data, dict) else data:
                self.add(r)
        return self

    def add(self, record: Mapping) -> dict:
        r = validate_record(record)
        for o in self.records:
            if o["program"] == r["program"] and o["_from"] == r["_from"]:
                self.records.remove(o)   # a later record replaces the same version
                break
        self.records.append(r)
        return r

    def programs(self) -> list[str]:
        return sorted({r["program"] for r in self.records})

    def versions(self, program: str) -> list[dict]:
        return sorted((r for r in self.records if r["program"] == program), key=lambda r: r["_from"])

    def in_force(self, program: str, as_of=None) -> dict | None:
        d = _date(as_of)
        best = None
        for r in self.versions(program):
            if r["_from"] <= d and (r["_to"] is None or d <= r["_to"]):
                best = r
        return best

    def for_jurisdiction(self, jurisdiction: str, as_of=None) -> list[dict]:
        out = []
        for prog in self.programs():
            r = self.in_force(prog, as_of)
            if r is not None and r["jurisdiction"] == jurisdiction:
                out.append(r)
        return out

    def table(self, as_of=None) -> list[dict]:
        """One row per program in force: id, jurisdiction, headline rates, dates, source."""
        rows = []
        for prog in self.programs():
            r = self.in_force(prog, as_of)
            if r is None:
                continue
            rows.append({"program": prog, "name": r["name"], "jurisdiction": r["jurisdiction"],
                         "rates": [c["rate"] for c in r["components"]],
                         "effective_from": r["_from"].isoformat(),
                         "effective_to": r["_to"].isoformat() if r["_to"] else None,
                         "refundable": r["refundable"], "transferable": r["transferable"],
                         "source_url": r["source_url"]})
        return rows


_DEFAULT: PolicyStore | None = None


def default_store() -> PolicyStore:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = PolicyStore.default()
    return _DEFAULT


# --- the calculator ---------------------------------------------------------------------

@dataclass
class ProgramResult:
    program: str
    name: str
    jurisdiction: str
    version: str                          # effective_from of the record used
    eligible: bool
    gross: float = 0.0
    components: list[dict] = field(default_factory=list)
    labour_attributable: float = 0.0
    tax: float = 0.0
    monetization_cost: float = 0.0
    net: float = 0.0                      # gross - tax - monetization cost
    net_pv: float = 0.0                   # present value of the cash flows at the discount rate
    cash_flows: list[tuple[float, float]] = field(default_factory=list)   # (months, amount)
    effective_rate: float = 0.0           # gross / jurisdiction spend
    reasons: list[str] = field(default_factory=list)    # why not eligible / not applied
    warnings: list[str] = field(default_factory=list)
    source_url: str = ""
    applied: bool = False

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class IncentiveResult:
    programs: list[ProgramResult]
    budget: float
    discount_rate: float

    @property
    def applied(self) -> list[ProgramResult]:
        return [p for p in self.programs if p.applied]

    @property
    def gross(self) -> float:
        return sum(p.gross for p in self.applied)

    @property
    def net(self) -> float:
        return sum(p.net for p in self.applied)

    @property
    def net_pv(self) -> float:
        return sum(p.net_pv for p in self.applied)

    @property
    def effective_rate(self) -> float:
        """Gross credits / total budget."""
        return self.gross / self.budget if self.budget else 0.0

    @property
    def net_effective_rate(self) -> float:
        return self.net_pv / self.budget if self.budget else 0.0

    def cash_flows(self) -> list[tuple[float, float]]:
        agg: dict[float, float] = {}
        for p in self.applied:
            for m, a in p.cash_flows:
                agg[m] = agg.get(m, 0.0) + a
        return sorted(agg.items())

    def program(self, pid: str) -> ProgramResult:
        for p in self.programs:
            if p.program == pid:
                return p
        raise KeyError(pid)

    def as_dict(self) -> dict:
        return {"budget": self.budget, "gross": self.gross, "net": self.net, "net_pv": self.net_pv,
                "effective_rate": self.effective_rate, "net_effective_rate": self.net_effective_rate,
                "discount_rate": self.discount_rate, "cash_flows": self.cash_flows(),
                "programs": [p.as_dict() for p in self.programs]}


def _country(j: str) -> str:
    return j.split("-")[0]


def _spend_for(project: Mapping, jurisdiction: str) -> dict:
    spend = project.get("spend", {})
    if jurisdiction in spend:
        return dict(spend[jurisdiction])
    subs = [v for k, v in spend.items() if k.startswith(jurisdiction + "-")]
    agg: dict[str, float] = {}
    for v in subs:
        for cat, amt in v.items():
            if isinstance(amt, (int, float)):
                agg[cat] = agg.get(cat, 0.0) + float(amt)
    return agg


def _lookup(attr: str, ctx: Mapping) -> Any:
    for layer in ("_local", "spend", "numbers", "attributes"):
        d = ctx.get(layer, {})
        if attr in d:
            return d[attr]
    return _MISSING


def _num(v, ctx) -> float | None:
    if isinstance(v, str):
        v = _lookup(v, ctx)
    if v is _MISSING or v is None or isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _holds(conds: list, ctx: Mapping, mode: str = "all") -> tuple[bool, list[str]]:
    fails = []
    results = []
    for c in conds:
        if "any" in c:
            ok, why = _holds(c["any"], ctx, "any")
        elif "all" in c:
            ok, why = _holds(c["all"], ctx, "all")
        else:
            ok, why = _holds_one(c, ctx), [f"{c['attr']} {c['op']} {c.get('value')}" +
                                            (f" of {c['of']}" if "of" in c else "")]
        results.append(ok)
        if not ok:
            fails.extend(why)
    if mode == "any":
        return (any(results) if results else True), ([] if any(results) or not results else fails)
    return all(results), fails


def _holds_one(c: Mapping, ctx: Mapping) -> bool:
    v = _lookup(c["attr"], ctx)
    op, want = c["op"], c.get("value")
    if op == "true":
        return v is True
    if op == "false":
        return v is False
    if op == "eq":
        return v is not _MISSING and v == want
    if op == "ne":
        return v is _MISSING or v != want
    if op == "in":
        return v is not _MISSING and v in want
    if op == "not_in":
        return v is _MISSING or v not in want
    x = _num(v, ctx) if v is not _MISSING else None
    if x is None:
        return False
    if op == "ge_pct_of":
        of = _num(c["of"], ctx)
        return of is not None and x >= float(want) * of - 1e-9
    y = float(want)
    return {"lt": x < y, "le": x <= y, "gt": x > y, "ge": x >= y}[op]


def _evaluate(rec: dict, project: Mapping, assistance: dict, budget: float) -> ProgramResult:
    j = rec["jurisdiction"]
    spend = _spend_for(project, j)
    numbers = {k: float(v) for k, v in project.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    country = _country(j)
    numbers["budget_net_of_assistance"] = budget - assistance.get(country, {}).get("total", 0.0)
    ctx = {"spend": spend, "numbers": numbers, "attributes": dict(project.get("attributes", {}))}
    res = ProgramResult(rec["program"], rec["name"], j, rec["_from"].isoformat(), False,
                        source_url=rec["source_url"])
    if not spend:
        res.reasons.append(f"no spend in {j}")
        return res
    ok, fails = _holds(rec["conditions"], ctx)
    if not ok:
        res.reasons.extend(f"condition not met: {f}" for f in fails)
        return res
    res.eligible = True
    gross = 0.0
    labour_attr = 0.0
    for comp in rec["components"]:
        base = float(spend.get(comp["base"], 0.0))
        if comp.get("net_of_assistance") and "-" not in j:
            base = max(base - assistance.get(country, {}).get("labour", 0.0), 0.0)
        limited = base
        for lim in comp["limits"]:
            if "amount" in lim:
                limited = min(limited, float(lim["amount"]))
            else:
                of = _num(lim["of"], ctx)
                if of is not None:
                    limited = min(limited, float(lim["pct"]) * of)
        limited = max(limited, 0.0)
        ctx["_local"] = {"qualifying_base": limited}
        cok, _ = _holds(comp["conditions"], ctx)
        ctx["_local"] = {}
        if not cok:
            continue
        credit = comp["rate"] * limited
        la = 0.0
        if comp.get("labour_base"):
            la = comp["rate"] * min(float(spend.get(comp["labour_base"], 0.0)), limited)
        res.components.append({"name": comp["name"], "rate": comp["rate"], "base": comp["base"],
                               "base_amount": base, "qualifying": limited, "credit": credit,
                               "labour_attributable": la})
        if comp.get("disputed") and credit:
            res.warnings.append(f"{comp['name']}: {comp['disputed']}")
        gross += credit
        labour_attr += la
    caps = []
    if rec.get("credit_cap") is not None:
        caps.append(float(rec["credit_cap"]))
    if rec.get("max_rate") is not None:
        caps.append(float(rec["max_rate"]) * float(spend.get("spend", 0.0)))
    if caps and gross > min(caps):
        scale = min(caps) / gross if gross else 0.0
        gross = min(caps)
        labour_attr *= scale
        res.warnings.append(f"credit capped at {min(caps):,.0f}")
    if rec.get("disputed"):
        res.warnings.append(str(rec["disputed"]))
    res.gross = gross
    res.labour_attributable = labour_attr
    sp = float(spend.get("spend", 0.0)) or float(spend.get("core_costs", 0.0)) or float(spend.get("labour", 0.0))
    res.effective_rate = gross / sp if sp else 0.0
    return res


def _monetize(res: ProgramResult, rec: dict, overrides: Mapping | None, discount_rate: float) -> None:
    m = dict(rec.get("monetization", {}))
    if overrides:
        m.update(overrides.get(rec["program"], overrides.get("*", {})))
    months = float(m.get("months", rec.get("timing_months", 12)))
    tax = res.gross * float(rec.get("tax_rate", 0.0)) if rec.get("taxable") else 0.0
    after_tax = res.gross - tax
    method = m.get("method", "direct")
    if method == "loan":
        adv = float(m.get("advance_rate", 0.85)) * after_tax
        cost = adv * (float(m.get("interest", 0.0)) * months / 12.0 + float(m.get("fee", 0.0)))
        flows = [(0.0, adv), (months, after_tax - adv - cost)]
    elif method == "transfer":
        cost = (1.0 - float(m.get("price", 1.0))) * after_tax
        flows = [(months, after_tax - cost)]
    else:
        cost = 0.0
        flows = [(months, after_tax)]
    res.tax = tax
    res.monetization_cost = cost
    res.net = after_tax - cost
    res.cash_flows = [(mo, a) for mo, a in flows if a]
    res.net_pv = sum(a / (1.0 + discount_rate) ** (mo / 12.0) for mo, a in res.cash_flows)


def compute_incentives(project: Mapping, *, programs: Sequence[str] | None = None, as_of=None,
                       store: PolicyStore | None = None, discount_rate: float = 0.08,
                       monetization: Mapping | None = None) -> IncentiveResult:
    """Incentives of a project across its jurisdictions.

    ``project``: ``{"budget": ..., "attributes": {...}, "spend": {"CA-QC":
    {"spend": ..., "labour": ...}, ...}}`` (other numbers such as
    ``total_core_costs`` at the top level).  ``programs``: the programs to
    apply (default: every eligible one, the best of each exclusive group);
    naming two programs that cannot be stacked raises :class:`PolicyError`.
    ``monetization``: per-program (or ``"*"``) overrides of the record's
    monetization terms."""
    store = store or default_store()
    as_of = project.get("as_of", as_of)
    budget = float(project.get("budget", 0.0))
    jurs = set(project.get("spend", {}))
    jurs |= {_country(j) for j in jurs}
    if programs is not None:
        recs = []
        for pid in programs:
            r = store.in_force(pid, as_of)
            if r is None:
                known = store.versions(pid)
                raise PolicyError(f"no version of {pid!r} in force on {_date(as_of)}" if known
                                  else f"unknown incentive program {pid!r}")
            recs.append(r)
        ids = {r["program"] for r in recs}
        for r in recs:
            bad = ids & set(r.get("incompatible_with", []))
            if bad:
                raise PolicyError(f"{r['program']} cannot be combined with {', '.join(sorted(bad))}")
        groups: dict[str, str] = {}
        for r in recs:
            g = r.get("exclusive_group")
            if g and g in groups:
                raise PolicyError(f"{groups[g]} and {r['program']} are mutually exclusive ({g})")
            if g:
                groups[g] = r["program"]
    else:
        recs = [r for j in sorted(jurs) for r in store.for_jurisdiction(j, as_of)]
    assistance: dict[str, dict[str, float]] = {}
    results: list[ProgramResult] = []
    applied_ids: set[str] = set()
    for level in sorted({r["stack_order"] for r in recs}):
        batch = [r for r in recs if r["stack_order"] == level]
        evals = [(r, _evaluate(r, project, assistance, budget)) for r in batch]
        # exclusive groups: keep the best eligible program of each group
        best: dict[str, tuple[dict, ProgramResult]] = {}
        for r, res in evals:
            g = r.get("exclusive_group")
            if g and res.eligible:
                if g not in best or res.gross > best[g][1].gross:
                    best[g] = (r, res)
        for r, res in evals:
            g = r.get("exclusive_group")
            if not res.eligible:
                results.append(res)
                continue
            if g and best[g][0] is not r:
                res.reasons.append(f"{best[g][0]['program']} gives more in the exclusive group {g}")
                results.append(res)
                continue
            clash = applied_ids & set(r.get("incompatible_with", []))
            if clash:
                res.reasons.append(f"cannot be combined with {', '.join(sorted(clash))}")
                results.append(res)
                continue
            req = r.get("requires_any")
            if req and not applied_ids & set(req):
                res.reasons.append(f"requires one of {', '.join(req)}")
                results.append(res)
                continue
            _monetize(res, r, monetization, discount_rate)
            res.applied = True
            applied_ids.add(r["program"])
            a = assistance.setdefault(_country(r["jurisdiction"]), {"labour": 0.0, "total": 0.0})
            if "-" in r["jurisdiction"]:    # provincial/state assistance reduces the federal base
                a["labour"] += res.labour_attributable
                a["total"] += res.gross
            results.append(res)
    return IncentiveResult(results, budget, discount_rate)


def program_credit(program: str, spend: Mapping[str, float], *, budget: float | None = None,
                   attributes: Mapping | None = None, as_of=None, store: PolicyStore | None = None,
                   assistance_labour: float = 0.0, **numbers) -> ProgramResult:
    """The credit of one program for one jurisdiction's spend (no stacking
    beyond ``assistance_labour``, the labour-attributable provincial credits
    that reduce a federal base)."""
    store = store or default_store()
    rec = store.in_force(program, as_of)
    if rec is None:
        raise PolicyError(f"no version of {program!r} in force on {_date(as_of)}")
    budget = float(budget if budget is not None else spend.get("spend", 0.0))
    attrs = dict(attributes or {})
    if "kind" not in attrs:
        # naming a domestic-only or service-only program declares the production's kind
        for c in rec["conditions"]:
            if c.get("attr") == "kind" and c.get("op") == "eq":
                attrs["kind"] = c["value"]
    project = {"budget": budget, "attributes": attrs, "spend": {rec["jurisdiction"]: dict(spend)},
               **numbers}
    country = _country(rec["jurisdiction"])
    res = _evaluate(rec, project, {country: {"labour": assistance_labour, "total": assistance_labour}}, budget)
    if res.eligible:
        _monetize(res, rec, None, 0.08)
        res.applied = True
    return res
