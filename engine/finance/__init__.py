"""Finance: distribution waterfalls, film tax incentives and capital-stack
scenarios, vectorized over Monte Carlo scenarios.

Every waterfall takes cash flows of shape ``(periods,)`` or ``(scenarios,
periods)`` and computes all scenarios at once; each stakeholder's result is
a :class:`~engine.finance.metrics.Party` whose ``irr``, ``npv``,
``multiple``, ``payback`` and ``recouped`` are arrays of shape
``(scenarios,)`` (``summary()`` gives mean, P10/P50/P90 and the probability
of recoupment).  Conventions are stated in the module docstrings:
:mod:`.timeline` (dates, compounding), :mod:`.metrics` (IRR/XIRR, NPV,
payback).

Python API (the functions the server and the CLI call)
-------------------------------------------------------

Real-estate equity waterfall (:mod:`.realestate`)::

    from engine.finance import re_waterfall, ReturnOfCapital, PreferredReturn, CatchUp, Hurdle, Split
    r = re_waterfall([-1_000_000, 1_450_000],
                     [ReturnOfCapital(), PreferredReturn(0.08), CatchUp(1.0), Split((0.8, 0.2))])
    r.lp.distributions, r.gp.irr, r.tier_totals(0), r.summary()
    # IRR hurdles with co-investment and promotes, dated flows, daily compounding
    re_waterfall(flows, [Hurdle(0.08), Hurdle(0.15, promote=0.2), Split(promote=0.3)],
                 lp_share=0.9, dates=[...], compounding="daily")
    # American (deal by deal) with clawback
    re_waterfall(None, tiers, structure="american", deals=[deal_a, deal_b])

Film revenue waterfall (:mod:`.film`)::

    from engine.finance import film_waterfall, film1_tiers, Fee, Expense, Payment, Recoupment, PariPassu, Split
    res = film_waterfall(receipts, film1_tiers())        # receipts (S, T)
    res.tier_amounts(0), res.stakeholders["Equity"].summary(), res.prob_recoup()

Film tax incentives (:mod:`.incentives`)::

    from engine.finance import compute_incentives, PolicyStore
    compute_incentives({"budget": 10e6, "attributes": {"kind": "service"},
                        "spend": {"CA-QC": {"spend": 10e6, "labour": 6e6, "vfx_labour": 2e6}}},
                       as_of="2025-01-01").gross       # 3,488,800

Capital stacks (:mod:`.capital_stack`)::

    from engine.finance import FilmProject, RevenueModel, compare_templates, frontier, optimize_stack
    proj = FilmProject(10e6, RevenueModel("LOGNORMAL", (15e6, 8e6)), incentive_amount=2.4e6)
    compare_templates(proj, n=20_000)          # criteria, rankings per perspective, Pareto flags
    frontier(proj, "equity_irr", "p_recoup")   # non-dominated set over perturbed allocations
    optimize_stack(proj, "equity")             # best allocation under a perspective's weights

Monte Carlo inputs (:mod:`.scenarios`): ``RevenueModel.sample(n, seed)``,
``property_scenarios(n, ...)``, ``cash_flows_from_simulation(result, cells)``
(per-iteration cash-flow cells of a workbook simulation).

Job-style entry points for the server (plain JSON in, JSON-able dict out):
:func:`run_re_job`, :func:`run_film_job`, :func:`run_incentive_job`,
:func:`run_stack_job` in :mod:`.jobs`; each takes an optional
``progress(done, total)`` callback.
"""
from __future__ import annotations

from .capital_stack import (CRITERIA, PERSPECTIVES, TEMPLATES, FilmProject, StackTemplate, compare_templates,
                            evaluate_stack, evaluate_templates, frontier, make_stack, optimize_stack, pareto_front,
                            rank)
from .film import (Expense, Fee, FilmResult, FilmWaterfall, PariPassu, Payment, Recoupment, Shared, film1_tiers,
                   film_waterfall)
from .film import Split as FilmSplit
from .incentives import IncentiveResult, PolicyError, PolicyStore, compute_incentives, default_store, program_credit
from .jobs import run_film_job, run_incentive_job, run_re_job, run_stack_job
from .metrics import Party, irr, multiple, npv, payback, summarize
from .realestate import (CatchUp, EquityWaterfall, Hurdle, PreferredReturn, ReturnOfCapital, Split,
                         WaterfallResult, catch_up_amount, promoted_split, re_waterfall, split_to_promote)
from .scenarios import RevenueModel, cash_flows_from_simulation, property_scenarios
from .tables import TableError, film_tiers, re_tiers
from .timeline import Timeline

__all__ = [
    "re_waterfall", "EquityWaterfall", "WaterfallResult", "ReturnOfCapital", "PreferredReturn", "CatchUp", "Hurdle",
    "Split", "promoted_split", "split_to_promote", "catch_up_amount",
    "film_waterfall", "FilmWaterfall", "FilmResult", "Fee", "Expense", "Payment", "Recoupment", "PariPassu",
    "Shared", "FilmSplit", "film1_tiers",
    "compute_incentives", "program_credit", "PolicyStore", "PolicyError", "IncentiveResult", "default_store",
    "FilmProject", "StackTemplate", "TEMPLATES", "CRITERIA", "PERSPECTIVES", "make_stack", "evaluate_stack",
    "evaluate_templates", "compare_templates", "rank", "pareto_front", "frontier", "optimize_stack",
    "RevenueModel", "property_scenarios", "cash_flows_from_simulation",
    "Party", "irr", "npv", "multiple", "payback", "summarize", "Timeline",
    "re_tiers", "film_tiers", "TableError",
    "run_re_job", "run_film_job", "run_incentive_job", "run_stack_job",
]
