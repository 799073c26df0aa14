"""Film capital-stack scenarios: the five templates, evaluation through the
film waterfall under a revenue Monte Carlo, weighted ranking by
stakeholder perspective, Pareto frontiers and an optimized stack.

Templates (targets as shares of the budget; finance reference §5):

==================== ====== ==== === ====== ========= ==========
template             senior mezz gap equity pre-sales incentives
==================== ====== ==== === ====== ========= ==========
debt_heavy             50    20   -    20       5          5
equity_heavy           20     -   -    60      10         10
balanced               30     -  15    35      10         10
presale_focused        25     -   5    25      35         10
incentive_maximized    30     -   5    30      10         25
==================== ====== ==== === ====== ========= ==========

Incentive financing is capped at what the project's incentives actually
give (``FilmProject.incentive_amount``, e.g. from
:func:`engine.finance.incentives.compute_incentives`, correctly stacked);
any shortfall is filled with equity.

Model of a stack (stated, deliberately simple):

* pre-sales are minimum guarantees paid by distributors; their territories'
  revenue first recoups them, so the collection account receives
  ``max(revenue - presales, 0)`` spread by the revenue profile;
* the tax-credit loan is repaid by the credit itself (outside the
  waterfall); its cost is the monetization cost;
* the collection account pays the CAM fee, the sales agent's commission and
  capped expenses, then senior, mezzanine and gap debt (flat interest over
  ``term_years`` plus fees), equity at 100% + premium, deferments, and splits
  net profits between equity and the producers' pool.

Criteria (per stack, from the Monte Carlo): ``equity_irr`` (P50),
``equity_moic`` (mean), ``p_recoup`` (equity), ``wacc`` (weighted cost of
the sources), ``soft_money`` (pre-sales + incentives share of budget),
``producer_backend`` (mean producers' net profits / budget), ``debt_risk``
(P(some debt not repaid in full)), ``debt_share``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from .film import Expense, Fee, FilmWaterfall, PariPassu, Recoupment, Split
from .scenarios import RevenueModel

SOURCES = ("senior", "mezz", "gap", "equity", "presales", "incentives")
DEBT = ("senior", "mezz", "gap")

CRITERIA: dict[str, str] = {
    "equity_irr": "max", "equity_moic": "max", "p_recoup": "max", "wacc": "min",
    "soft_money": "max", "producer_backend": "max", "debt_risk": "min", "debt_share": "min",
}

PERSPECTIVES: dict[str, dict[str, float]] = {
    "equity": {"equity_irr": 0.35, "p_recoup": 0.30, "equity_moic": 0.20, "soft_money": 0.15},
    "producer": {"producer_backend": 0.35, "soft_money": 0.25, "wacc": 0.20, "p_recoup": 0.10, "debt_risk": 0.10},
    "lender": {"debt_risk": 0.50, "debt_share": 0.20, "soft_money": 0.20, "p_recoup": 0.10},
    "balanced": {c: 1.0 / len(CRITERIA) for c in CRITERIA},
}


@dataclass
class StackTemplate:
    name: str
    senior: float
    mezz: float
    gap: float
    equity: float
    presales: float
    incentives: float
    senior_rate: float = 0.08
    senior_fee: float = 0.02
    mezz_rate: float = 0.12
    mezz_fee: float = 0.05          # the 5% kicker, as a fee on principal
    gap_rate: float = 0.12
    gap_fee: float = 0.05
    equity_premium: float = 0.20
    min_equity: float = 0.0
    max_debt: float = 1.0
    min_presales: float = 0.0
    min_incentives: float = 0.0
    gap_needs_presales: float = 0.30   # gap debt needs this share of the sales estimates pre-sold
    min_dscr: float | None = None
    notes: str = ""

    def shares(self) -> dict[str, float]:
        return {k: float(getattr(self, k)) for k in SOURCES}


TEMPLATES: dict[str, StackTemplate] = {
    "debt_heavy": StackTemplate("debt_heavy", 0.50, 0.20, 0.0, 0.20, 0.05, 0.05, equity_premium=0.25,
                                min_dscr=1.25, notes="senior 8%/24m/2% fee; mezz 12% + 5% kicker; equity premium 25%"),
    "equity_heavy": StackTemplate("equity_heavy", 0.20, 0.0, 0.0, 0.60, 0.10, 0.10, equity_premium=0.20,
                                  min_equity=0.50, max_debt=0.35, notes="min equity 50%; max debt 35%"),
    "balanced": StackTemplate("balanced", 0.30, 0.0, 0.15, 0.35, 0.10, 0.10, gap_rate=0.10, max_debt=0.55,
                              gap_needs_presales=0.30,
                              notes="gap priced at 10%; max debt 55%; gap needs >= 30% of the sales estimates pre-sold"),
    "presale_focused": StackTemplate("presale_focused", 0.25, 0.0, 0.05, 0.25, 0.35, 0.10, min_presales=0.30,
                                     max_debt=0.40, notes="min pre-sales 30%; max debt 40%"),
    "incentive_maximized": StackTemplate("incentive_maximized", 0.30, 0.0, 0.05, 0.30, 0.10, 0.25,
                                         min_incentives=0.20, max_debt=0.45,
                                         notes="incentives stacked correctly (e.g. Quebec PSTC + federal PSTC "
                                               "on the net base); min incentives 20%; max debt 45%"),
}


@dataclass
class FilmProject:
    budget: float
    revenue: RevenueModel = field(default_factory=RevenueModel)
    incentive_amount: float | None = None    # available incentive cash (None: the template's share)
    incentive_cost: float = 0.05             # monetization cost as an annual rate (for WACC)
    presale_cost: float = 0.10               # discount of pre-sale MGs vs value (for WACC)
    cost_of_equity: float = 0.20
    cam_fee: float = 0.01
    cam_cap: float | None = 50_000.0
    sales_fee: float = 0.15
    sales_expenses: float = 350_000.0
    sales_expense_cap: float | None = 300_000.0
    residuals: float = 0.0
    deferments: Mapping[str, float] = field(default_factory=dict)
    investor_backend: float = 0.50
    term_years: float = 2.0                 # funding to repayment, for flat interest
    discount_rate: float = 0.10
    sales_estimates: float | None = None    # value of all territories (for the gap pre-sold test)


@dataclass
class Stack:
    """A concrete allocation (amounts) with the loan terms of its template."""
    name: str
    amounts: dict[str, float]
    template: StackTemplate
    violations: list[str] = field(default_factory=list)

    def shares(self, budget: float) -> dict[str, float]:
        return {k: v / budget for k, v in self.amounts.items()}


def make_stack(project: FilmProject, template: StackTemplate | str, shares: Mapping[str, float] | None = None,
               name: str | None = None) -> Stack:
    """Amounts from a template (or explicit shares with the template's
    terms), with the incentive share capped at what is available and the
    shortfall moved to equity; constraint violations are listed."""
    tpl = TEMPLATES[template] if isinstance(template, str) else template
    sh = dict(tpl.shares() if shares is None else shares)
    for k in SOURCES:
        sh.setdefault(k, 0.0)
    if any(v < -1e-12 for v in sh.values()):
        raise ValueError("shares must be non-negative")
    total = sum(sh.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"shares must add to 1 (got {total:.6f})")
    b = project.budget
    amt = {k: sh[k] * b for k in SOURCES}
    if project.incentive_amount is not None and amt["incentives"] > project.incentive_amount:
        amt["equity"] += amt["incentives"] - project.incentive_amount
        amt["incentives"] = float(project.incentive_amount)
    st = Stack(name or tpl.name, amt, tpl)
    fr = {k: v / b for k, v in amt.items()}
    debt = sum(fr[k] for k in DEBT)
    if fr["equity"] < tpl.min_equity - 1e-9:
        st.violations.append(f"equity {fr['equity']:.0%} < min {tpl.min_equity:.0%}")
    if debt > tpl.max_debt + 1e-9:
        st.violations.append(f"debt {debt:.0%} > max {tpl.max_debt:.0%}")
    if fr["presales"] < tpl.min_presales - 1e-9:
        st.violations.append(f"pre-sales {fr['presales']:.0%} < min {tpl.min_presales:.0%}")
    if fr["incentives"] < tpl.min_incentives - 1e-9:
        st.violations.append(f"incentives {fr['incentives']:.0%} < min {tpl.min_incentives:.0%}")
    if fr["gap"] > 0 and project.sales_estimates:
        presold = amt["presales"] / project.sales_estimates
        if presold < tpl.gap_needs_presales - 1e-9:
            st.violations.append(f"gap debt with {presold:.0%} of sales estimates pre-sold "
                                 f"(needs {tpl.gap_needs_presales:.0%})")
    return st


def stack_waterfall(project: FilmProject, stack: Stack) -> FilmWaterfall:
    """The film waterfall of a stack."""
    tpl, a, term = stack.template, stack.amounts, project.term_years
    tiers: list = [Fee("CAM fee", "CAM", project.cam_fee, basis="gross", cap=project.cam_cap),
                   Fee("Sales agent commission", "Sales agent", project.sales_fee),
                   Expense("Sales agent expenses", "Sales agent", project.sales_expenses, cap=project.sales_expense_cap)]
    if project.residuals:
        tiers.append(Fee("Residuals", "Guilds", project.residuals, basis="gross"))
    if a["senior"] > 0:
        tiers.append(Recoupment("Senior debt", "Senior lender", a["senior"], rate=tpl.senior_rate, term_years=term,
                                fee=tpl.senior_fee))
    if a["mezz"] > 0:
        tiers.append(Recoupment("Mezzanine debt", "Mezz lender", a["mezz"], rate=tpl.mezz_rate, term_years=term,
                                fee=tpl.mezz_fee))
    if a["gap"] > 0:
        tiers.append(Recoupment("Gap debt", "Gap lender", a["gap"], rate=tpl.gap_rate, term_years=term,
                                fee=tpl.gap_fee))
    if a["equity"] > 0:
        tiers.append(Recoupment("Equity recoupment", "Equity", a["equity"], premium=tpl.equity_premium))
    if project.deferments:
        tiers.append(PariPassu("Deferments", [Recoupment(f"Deferment: {k}", k, v, invested=False)
                                              for k, v in project.deferments.items()]))
    tiers.append(Split("Net profits", {"Equity": project.investor_backend,
                                        "Producers": 1.0 - project.investor_backend}))
    rates = {"Equity": project.discount_rate}
    return FilmWaterfall(tiers, rates)


@dataclass
class StackEvaluation:
    stack: Stack
    criteria: dict[str, float]
    result: Any = None          # FilmResult (kept when asked)
    violations: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.stack.name


def evaluate_stack(project: FilmProject, stack: Stack, revenue: np.ndarray, keep_result: bool = False,
                   timeline=None) -> StackEvaluation:
    """Run ``revenue`` (scenarios, periods) gross receipts through the stack."""
    rev = np.asarray(revenue, dtype=float)
    a, b = stack.amounts, project.budget
    total = rev.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        keep = np.where(total > 0, np.maximum(total - a["presales"], 0.0) / np.where(total > 0, total, 1.0), 0.0)
    receipts = rev * keep
    wf = stack_waterfall(project, stack)
    res = wf.run(receipts, dates=project.revenue.dates, periods_per_year=project.revenue.periods_per_year,
                 timeline=timeline)
    eq = res.stakeholders.get("Equity")
    crit: dict[str, float] = {}
    if eq is not None and a["equity"] > 0:
        irr = eq.irr
        crit["equity_irr"] = float(np.nanpercentile(irr, 50)) if np.isfinite(irr).any() else float("nan")
        crit["equity_moic"] = float(np.nanmean(eq.multiple))
        crit["p_recoup"] = float(np.mean(eq.recouped))
    else:
        crit.update(equity_irr=float("nan"), equity_moic=float("nan"), p_recoup=1.0)
    tpl = stack.template
    cost = {"senior": tpl.senior_rate + tpl.senior_fee / project.term_years,
            "mezz": tpl.mezz_rate + tpl.mezz_fee / project.term_years,
            "gap": tpl.gap_rate + tpl.gap_fee / project.term_years,
            "equity": project.cost_of_equity, "presales": project.presale_cost,
            "incentives": project.incentive_cost}
    crit["wacc"] = sum(a[k] / b * cost[k] for k in SOURCES)
    crit["soft_money"] = (a["presales"] + a["incentives"]) / b
    prod = res.stakeholders.get("Producers")
    crit["producer_backend"] = float(prod.total_distributed.mean() / b) if prod is not None else 0.0
    debt_claims = [k for k in ("Senior debt", "Mezzanine debt", "Gap debt") if k in res.claims]
    if debt_claims:
        unpaid = np.zeros(rev.shape[0], dtype=bool)
        for k in debt_claims:
            unpaid |= ~res.claims[k]["fully_paid"]
        crit["debt_risk"] = float(unpaid.mean())
    else:
        crit["debt_risk"] = 0.0
    crit["debt_share"] = sum(a[k] for k in DEBT) / b
    # coverage: receipts left after the off-the-tops over what the lenders are owed (median scenario)
    owed = sum(a[k] * (1 + getattr(tpl, f"{k}_rate") * project.term_years + getattr(tpl, f"{k}_fee"))
               for k in DEBT)
    off = sum(v.sum(axis=1) for (t, _p), v in res.payments.items()
              if t in ("CAM fee", "Sales agent commission", "Sales agent expenses", "Residuals"))
    crit["debt_coverage"] = float(np.median((res.receipts.sum(axis=1) - off) / owed)) if owed > 0 else float("inf")
    viol = list(stack.violations)
    if tpl.min_dscr is not None and crit["debt_coverage"] < tpl.min_dscr:
        viol.append(f"median debt coverage {crit['debt_coverage']:.2f} < {tpl.min_dscr:.2f}")
    return StackEvaluation(stack, crit, res if keep_result else None, viol)


def evaluate_templates(project: FilmProject, n: int = 10_000, seed: int = 1, templates: Sequence[str] | None = None,
                       revenue: np.ndarray | None = None, keep_results: bool = False) -> list[StackEvaluation]:
    """The templates evaluated on one set of revenue draws (common random
    numbers, so differences come from the stacks, not from sampling)."""
    rev = project.revenue.sample(n, seed) if revenue is None else revenue
    names = list(templates or TEMPLATES)
    return [evaluate_stack(project, make_stack(project, t), rev, keep_results) for t in names]


# --- ranking and Pareto -----------------------------------------------------------------

def normalize(values: np.ndarray, sense: str, lo: float | None = None, hi: float | None = None,
              clip: bool = True) -> np.ndarray:
    """Min-max normalisation to [0, 1] where 1 is best; a criterion that does
    not vary scores 1 for everyone.  ``clip=False`` extrapolates linearly
    beyond [lo, hi] (for searching outside the range of a reference set)."""
    v = np.asarray(values, dtype=float)
    lo = np.nanmin(v) if lo is None else lo
    hi = np.nanmax(v) if hi is None else hi
    if not np.isfinite(lo) or not np.isfinite(hi) or hi - lo <= 1e-15:
        return np.ones_like(v)
    x = (v - lo) / (hi - lo) if sense == "max" else (hi - v) / (hi - lo)
    return np.nan_to_num(np.clip(x, 0.0, 1.0) if clip else x, nan=0.0)


def weights_for(perspective: str | Mapping[str, float]) -> dict[str, float]:
    if isinstance(perspective, str):
        if perspective not in PERSPECTIVES:
            raise ValueError(f"unknown perspective {perspective!r}; use one of {', '.join(PERSPECTIVES)}")
        w = dict(PERSPECTIVES[perspective])
    else:
        w = {k: float(v) for k, v in perspective.items()}
    bad = set(w) - set(CRITERIA)
    if bad:
        raise ValueError(f"unknown criteria {sorted(bad)}; use {', '.join(CRITERIA)}")
    tot = sum(w.values())
    if tot <= 0:
        raise ValueError("weights must add to a positive number")
    return {k: v / tot for k, v in w.items()}


def rank(evaluations: Sequence, perspective: str | Mapping[str, float] = "balanced",
         bounds: Mapping[str, tuple[float, float]] | None = None) -> list[dict]:
    """Weighted-sum scores (criteria min-max normalised over the set, or
    over ``bounds``), best first: [{"name", "score", "rank", "criteria",
    "normalized"}].  ``evaluations``: StackEvaluation objects or
    ``(name, {criterion: value})`` pairs."""
    w = weights_for(perspective)
    items = [(e.name, e.criteria) if isinstance(e, StackEvaluation) else (e[0], e[1]) for e in evaluations]
    norm: dict[str, np.ndarray] = {}
    for c in w:
        vals = np.array([crit.get(c, np.nan) for _n, crit in items], dtype=float)
        lo, hi = (bounds or {}).get(c, (None, None))
        norm[c] = normalize(vals, CRITERIA[c], lo, hi)
    scores = sum(w[c] * norm[c] for c in w)
    order = sorted(range(len(items)), key=lambda i: (-scores[i], i))
    out = []
    for r, i in enumerate(order, start=1):
        out.append({"name": items[i][0], "score": float(scores[i]), "rank": r, "criteria": dict(items[i][1]),
                    "normalized": {c: float(norm[c][i]) for c in w}})
    return out


def pareto_front(values, senses: Sequence[str]) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``values`` (N, k): a row is
    dominated when another is at least as good on every objective and
    strictly better on one (``senses``: "max"/"min" per column).  NaN rows
    are dominated."""
    v = np.asarray(values, dtype=float)
    if v.ndim != 2 or v.shape[1] != len(senses):
        raise ValueError("values must be (N, k) with one sense per column")
    sign = np.array([1.0 if s == "max" else -1.0 if s == "min" else np.nan for s in senses])
    if np.isnan(sign).any():
        raise ValueError("senses must be 'max' or 'min'")
    x = v * sign
    bad = ~np.isfinite(x).all(axis=1)
    n = x.shape[0]
    keep = ~bad
    for i in range(n):
        if bad[i]:
            continue
        ge = np.all(x >= x[i], axis=1) & ~bad
        gt = np.any(x > x[i], axis=1)
        if np.any(ge & gt):
            keep[i] = False
    return keep


# --- frontier and optimization ----------------------------------------------------------

_BOUNDS = {"senior": (0.0, 0.55), "mezz": (0.0, 0.20), "gap": (0.0, 0.20), "presales": (0.0, 0.40),
           "incentives": (0.0, 0.30)}


def random_allocations(n: int, seed: int = 0, min_equity: float = 0.15,
                       bounds: Mapping[str, tuple[float, float]] | None = None,
                       incentive_limit: float | None = None) -> list[dict[str, float]]:
    """Perturbed allocations: each source uniform within its bounds, equity
    the remainder (at least ``min_equity``)."""
    b = dict(_BOUNDS, **(bounds or {}))
    if incentive_limit is not None:
        lo, hi = b["incentives"]
        b["incentives"] = (lo, min(hi, incentive_limit))
    rng = np.random.default_rng(seed)
    out = []
    tries = 0
    keys = ["senior", "mezz", "gap", "presales", "incentives"]
    while len(out) < n and tries < 200 * n:
        tries += 1
        sh = {k: float(rng.uniform(*b[k])) for k in keys}
        eq = 1.0 - sum(sh.values())
        if eq < min_equity:
            continue
        sh["equity"] = eq
        out.append(sh)
    return out


def frontier(project: FilmProject, x: str = "equity_irr", y: str = "p_recoup", *, n_candidates: int = 200,
             n: int = 5_000, seed: int = 1, include_templates: bool = True,
             base_template: str = "balanced") -> dict:
    """Evaluate templates plus perturbed allocations on common revenue draws;
    return every point with its criteria and the non-dominated set for
    objectives ``x`` and ``y``."""
    for c in (x, y):
        if c not in CRITERIA:
            raise ValueError(f"unknown criterion {c!r}")
    rev = project.revenue.sample(n, seed)
    evals: list[StackEvaluation] = []
    if include_templates:
        evals += [evaluate_stack(project, make_stack(project, t), rev) for t in TEMPLATES]
    lim = project.incentive_amount / project.budget if project.incentive_amount is not None else None
    tpl = TEMPLATES[base_template]
    for i, sh in enumerate(random_allocations(n_candidates, seed, incentive_limit=lim)):
        evals.append(evaluate_stack(project, make_stack(project, tpl, sh, name=f"candidate {i + 1}"), rev))
    pts = np.array([[e.criteria[x], e.criteria[y]] for e in evals])
    mask = pareto_front(pts, [CRITERIA[x], CRITERIA[y]])
    points = [{"name": e.name, "shares": e.stack.shares(project.budget), x: e.criteria[x], y: e.criteria[y],
               "criteria": e.criteria, "pareto": bool(m)} for e, m in zip(evals, mask)]
    front = sorted((p for p in points if p["pareto"]), key=lambda p: p[x])
    return {"x": x, "y": y, "points": points, "frontier": front}


def optimize_stack(project: FilmProject, perspective: str | Mapping[str, float] = "balanced", *, n: int = 3_000,
                   seed: int = 1, n_candidates: int = 150, min_equity: float = 0.15,
                   max_debt: float | None = None, base_template: str = "balanced", refine: bool = True) -> dict:
    """Search allocations for the best weighted score under ``perspective``
    (criteria normalised to the range the templates span, extrapolated
    beyond it, so the score is comparable with theirs): the templates
    themselves, a random search over the allocation bounds with the loan
    terms of ``base_template`` (``terms_of`` in the result names the terms
    of the answer), then a Powell refinement (SciPy) of the best, all on
    common revenue draws.
    Allocations keep equity >= ``min_equity`` and debt <= ``max_debt``."""
    from scipy.optimize import minimize

    w = weights_for(perspective)
    rev = project.revenue.sample(n, seed)
    tpl = TEMPLATES[base_template]
    tevals = [evaluate_stack(project, make_stack(project, t), rev) for t in TEMPLATES]
    bounds = {}
    for c in w:
        vals = np.array([e.criteria[c] for e in tevals], dtype=float)
        bounds[c] = (float(np.nanmin(vals)), float(np.nanmax(vals)))

    def score(crit: Mapping[str, float]) -> float:
        return float(sum(w[c] * normalize(np.array([crit[c]]), CRITERIA[c], *bounds[c], clip=False)[0] for c in w))

    lim = project.incentive_amount / project.budget if project.incentive_amount is not None else None
    cands = random_allocations(n_candidates, seed, min_equity, incentive_limit=lim)
    if max_debt is not None:
        cands = [sh for sh in cands if sum(sh[k] for k in DEBT) <= max_debt]
    def allowed(sh: Mapping[str, float]) -> bool:
        return sh["equity"] >= min_equity - 1e-9 and (max_debt is None or sum(sh[k] for k in DEBT) <= max_debt + 1e-9)

    # the templates themselves (with their own terms) are candidates too, so the
    # result never scores below the best admissible template
    best_sh, best_s, best_crit, terms = None, -np.inf, None, base_template
    for e in tevals:
        sh = e.stack.shares(project.budget)
        if allowed(sh) and score(e.criteria) > best_s:
            best_sh, best_s, best_crit, terms = sh, score(e.criteria), e.criteria, e.name
        if allowed(sh):
            cands.append(sh)
    start = None
    start_s = -np.inf
    for sh in cands:
        e = evaluate_stack(project, make_stack(project, tpl, sh), rev)
        s = score(e.criteria)
        if s > start_s:
            start, start_s = sh, s
        if s > best_s:
            best_sh, best_s, best_crit, terms = sh, s, e.criteria, base_template
    keys = ["senior", "mezz", "gap", "presales", "incentives"]
    b = dict(_BOUNDS)
    if lim is not None:
        b["incentives"] = (0.0, min(b["incentives"][1], lim))

    def to_shares(z) -> dict[str, float]:
        sh = {k: float(np.clip(v, *b[k])) for k, v in zip(keys, z)}
        sh["equity"] = 1.0 - sum(sh.values())
        return sh

    def objective(z) -> float:
        sh = to_shares(z)
        if sh["equity"] < min_equity:
            return 10.0 + (min_equity - sh["equity"]) * 100
        over = sum(sh[k] for k in DEBT) - max_debt if max_debt is not None else 0.0
        if over > 0:
            return 10.0 + over * 100
        return -score(evaluate_stack(project, make_stack(project, tpl, sh), rev).criteria)

    if refine and start is not None:
        z0 = np.array([min(max(start[k], b[k][0]), b[k][1]) for k in keys])
        res = minimize(objective, z0, method="Powell", bounds=[b[k] for k in keys],
                       options={"maxfev": 400, "xtol": 1e-3, "ftol": 1e-6})
        if -res.fun > best_s:
            best_sh = to_shares(res.x)
            best_s = -float(res.fun)
            best_crit = evaluate_stack(project, make_stack(project, tpl, best_sh), rev).criteria
            terms = base_template
    template_scores = {e.name: score(e.criteria) for e in tevals}
    return {"perspective": perspective if isinstance(perspective, str) else "custom", "weights": w,
            "shares": best_sh, "score": best_s, "criteria": best_crit, "terms_of": terms,
            "template_scores": template_scores, "bounds": bounds}


def compare_templates(project: FilmProject, perspectives: Sequence[str] = ("equity", "producer", "lender", "balanced"),
                      n: int = 10_000, seed: int = 1) -> dict:
    """Evaluate the five templates once and rank them from each perspective,
    with the Pareto set for equity IRR vs probability of recoupment."""
    evals = evaluate_templates(project, n, seed)
    pts = np.array([[e.criteria["equity_irr"], e.criteria["p_recoup"]] for e in evals])
    mask = pareto_front(pts, ["max", "max"])
    return {"templates": [{"name": e.name, "shares": e.stack.shares(project.budget), "criteria": e.criteria,
                           "violations": e.violations, "pareto_irr_vs_recoup": bool(m)}
                          for e, m in zip(evals, mask)],
            "rankings": {p: rank(evals, p) for p in perspectives}}
