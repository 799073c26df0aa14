"""Capital-stack templates, ranking and Pareto sets (checked on cases
computed by hand), frontiers and the optimized stack."""
from __future__ import annotations

import numpy as np
import pytest

from engine.finance import (CRITERIA, TEMPLATES, FilmProject, RevenueModel, compare_templates, evaluate_templates,
                            frontier, make_stack, optimize_stack, pareto_front, rank)
from engine.finance.capital_stack import SOURCES, normalize

PROJECT = FilmProject(10_000_000, RevenueModel("LOGNORMAL", (14_000_000, 8_000_000)), incentive_amount=2_000_000)


def test_rank_by_hand():
    items = [("A", {"equity_irr": 0.10, "wacc": 0.12}), ("B", {"equity_irr": 0.20, "wacc": 0.15}),
             ("C", {"equity_irr": 0.15, "wacc": 0.10})]
    # normalised: IRR A 0, B 1, C 0.5; WACC (lower is better) A 0.6, B 0, C 1
    r = rank(items, {"equity_irr": 0.5, "wacc": 0.5})
    assert [x["name"] for x in r] == ["C", "B", "A"]
    assert [x["score"] for x in r] == pytest.approx([0.75, 0.5, 0.3])
    assert r[2]["normalized"] == pytest.approx({"equity_irr": 0.0, "wacc": 0.6})
    r = rank(items, {"equity_irr": 4, "wacc": 1})                # weights are normalised to 0.8 / 0.2
    assert [x["name"] for x in r] == ["B", "C", "A"]
    assert [x["score"] for x in r] == pytest.approx([0.8, 0.6, 0.12])
    assert [x["rank"] for x in r] == [1, 2, 3]
    with pytest.raises(ValueError):
        rank(items, {"nonsense": 1})
    assert normalize(np.array([3.0, 3.0]), "max").tolist() == [1.0, 1.0]   # a criterion that does not vary


def test_pareto_by_hand():
    pts = np.array([[0.10, 0.90], [0.20, 0.60], [0.15, 0.70], [0.12, 0.65], [0.20, 0.60], [0.05, 0.90],
                    [np.nan, 1.0]])
    assert pareto_front(pts, ["max", "max"]).tolist() == [True, True, True, False, True, False, False]
    # IRR up, debt risk down
    pts = np.array([[0.10, 0.2], [0.20, 0.3], [0.15, 0.3], [0.05, 0.1]])
    assert pareto_front(pts, ["max", "min"]).tolist() == [True, True, False, True]


def test_templates_and_stack_construction():
    for t in TEMPLATES.values():
        assert sum(t.shares().values()) == pytest.approx(1.0)
    st = make_stack(PROJECT, "incentive_maximized")          # 25% incentives wanted, 20% available
    assert st.amounts["incentives"] == pytest.approx(2_000_000)
    assert st.amounts["equity"] == pytest.approx(3_500_000)
    assert sum(st.amounts.values()) == pytest.approx(10_000_000)
    assert any("incentives" in v for v in make_stack(FilmProject(1e7, incentive_amount=1e6),
                                                     "incentive_maximized").violations)
    with pytest.raises(ValueError):
        make_stack(PROJECT, "balanced", {"senior": 0.5, "equity": 0.2})


def test_evaluate_and_compare_templates():
    evals = evaluate_templates(PROJECT, n=4000, seed=2)
    assert [e.name for e in evals] == list(TEMPLATES)
    for e in evals:
        assert set(CRITERIA) <= set(e.criteria)
        assert 0 <= e.criteria["p_recoup"] <= 1 and 0 <= e.criteria["debt_risk"] <= 1
    crit = {e.name: e.criteria for e in evals}
    assert crit["equity_heavy"]["debt_risk"] < crit["debt_heavy"]["debt_risk"]
    assert crit["presale_focused"]["soft_money"] == pytest.approx(0.45)
    out = compare_templates(PROJECT, n=4000, seed=2)
    for p in ("equity", "producer", "lender", "balanced"):
        assert sorted(x["name"] for x in out["rankings"][p]) == sorted(TEMPLATES)
        scores = [x["score"] for x in out["rankings"][p]]
        assert scores == sorted(scores, reverse=True)
    # the Pareto flags agree with pareto_front on the same criteria
    pts = np.array([[t["criteria"]["equity_irr"], t["criteria"]["p_recoup"]] for t in out["templates"]])
    assert [t["pareto_irr_vs_recoup"] for t in out["templates"]] == pareto_front(pts, ["max", "max"]).tolist()


def test_frontier_marks_the_non_dominated_set():
    f = frontier(PROJECT, "equity_irr", "debt_risk", n_candidates=40, n=2000, seed=3)
    pts = np.array([[p["equity_irr"], p["debt_risk"]] for p in f["points"]])
    mask = pareto_front(pts, ["max", "min"])
    assert [p["pareto"] for p in f["points"]] == mask.tolist()
    assert len(f["frontier"]) >= 2
    xs = [p["equity_irr"] for p in f["frontier"]]
    assert xs == sorted(xs)
    for p in f["points"]:
        assert sum(p["shares"].values()) == pytest.approx(1.0)


def test_optimized_stack_beats_or_matches_templates():
    o = optimize_stack(PROJECT, "equity", n=1500, n_candidates=30, seed=4, max_debt=0.6)
    assert o["score"] >= max(o["template_scores"].values()) - 1e-12
    sh = o["shares"]
    assert sum(sh.values()) == pytest.approx(1.0)
    assert sh["equity"] >= 0.15 - 1e-9
    assert sh["senior"] + sh["mezz"] + sh["gap"] <= 0.6 + 1e-9
    assert set(sh) == set(SOURCES)
