"""The finance template workbooks agree with engine.finance (LibreOffice's
agreement with GridFlow on the same cells is tests/test_templates.py)."""
from __future__ import annotations

import numpy as np
import openpyxl
import pytest

import engine
from engine.finance import (FilmWaterfall, compute_incentives, film_tiers, film1_tiers, rank, re_tiers,
                            re_waterfall)
from engine.finance import capital_stack as CS
from workbooks import finance_templates as FT


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    d = tmp_path_factory.mktemp("fin")
    return {name: fn(d / name) for name, fn in FT.FINANCE_TEMPLATES.items()}


def _row(m, sheet, r, c1, c2):
    return [m.value(f"{sheet}!{FT.col(c)}{r}") for c in range(c1, c2 + 1)]


def test_re_template_matches_engine(books):
    m = engine.load(books["re_waterfall.xlsx"]).calculate()
    assert not m.internal_errors
    res = re_waterfall(FT.RE_FLOWS, re_tiers(FT.RE_TIERS), lp_share=0.9)
    np.testing.assert_allclose(_row(m, "Waterfall", 32, 2, 7), res.lp.net[0], rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(_row(m, "Waterfall", 33, 2, 7), res.gp.net[0], rtol=1e-12, atol=1e-6)
    assert _row(m, "Waterfall", 34, 2, 7) == pytest.approx([0.0] * 6, abs=1e-6)        # conservation
    assert m.value("Waterfall!B45") == pytest.approx(res.lp.irr[0], rel=1e-10)
    assert m.value("Waterfall!C45") == pytest.approx(res.gp.irr[0], rel=1e-10)
    assert m.value("Waterfall!D45") == pytest.approx(res.project.irr[0], rel=1e-10)
    assert m.value("Waterfall!B47") == pytest.approx(res.lp.npv[0], rel=1e-10)
    assert m.value("Waterfall!B49") == pytest.approx(res.lp.multiple[0], rel=1e-12)
    assert m.value("Waterfall!B50") == pytest.approx(res.lp.payback[0], rel=1e-12)
    assert m.value("Waterfall!C50") == pytest.approx(res.gp.payback[0], rel=1e-12)
    # daily compounding on the dates: the sheet's switch and the engine's convention agree
    m.set_value("Inputs!B5", "daily")
    m.calculate()
    dres = re_waterfall(FT.RE_FLOWS, re_tiers(FT.RE_TIERS), lp_share=0.9, dates=FT.RE_DATES, compounding="daily")
    np.testing.assert_allclose(_row(m, "Waterfall", 32, 2, 7), dres.lp.net[0], rtol=1e-12, atol=1e-6)
    assert m.value("Waterfall!B46") == pytest.approx(dres.lp.irr[0], rel=1e-9)      # XIRR
    assert m.value("Waterfall!B48") == pytest.approx(dres.lp.npv[0], rel=1e-9)      # XNPV
    # the reference examples on the Examples sheet
    assert m.value("Examples!B14") == pytest.approx(360_000)
    assert m.value("Examples!B15") == pytest.approx(90_000)
    assert (m.value("Examples!B31"), m.value("Examples!B32"), m.value("Examples!B33")) == pytest.approx((20, 12, 8))
    assert m.value("Examples!B34") == pytest.approx(240)
    assert m.value("Examples!B43") == pytest.approx(400_000)


def test_re_template_tier_table_runs_in_gf_waterfall(books, tmp_path):
    wb = openpyxl.load_workbook(books["re_waterfall.xlsx"])
    ws = wb.create_sheet("GF")
    for r in range(5):
        for c in range(4):
            ws.cell(1 + r, 1 + c, f"=INDEX(GF.WATERFALL(Tiers,CashFlows,,Inputs!$B$3),{r + 1},{c + 1})")
    p = tmp_path / "gf.xlsx"
    wb.save(p)
    m = engine.load(p).calculate()
    assert m.value("GF!B5") == pytest.approx(m.value("Waterfall!H30"), rel=1e-12)
    assert m.value("GF!C5") == pytest.approx(m.value("Waterfall!H31"), rel=1e-12)


def test_film_template_matches_engine(books):
    m = engine.load(books["film_waterfall.xlsx"]).calculate()
    assert not m.internal_errors
    receipts = 16_000_000 * np.array(FT.FILM_PROFILE)
    res = FilmWaterfall(film1_tiers()).run(receipts, dates=FT.FILM_DATES)
    assert film_tiers(FT.FILM_TABLE) is not None
    # the summary table under the waterfall: Tier | Payee | Amount
    start = next(r for r in range(1, 200) if m.value(f"Waterfall!A{r}") == "Tier")
    amounts = res.tier_amounts(0)
    for i, (_t, payee, a) in enumerate(amounts, start=start + 1):
        assert m.value(f"Waterfall!B{i}") == payee
        assert m.value(f"Waterfall!C{i}") == pytest.approx(a, rel=1e-12, abs=1e-6)
    tot = start + len(amounts) + 1
    assert m.value(f"Waterfall!C{tot}") == pytest.approx(16_000_000)
    metrics = next(r for r in range(start, 300) if m.value(f"Waterfall!B{r}") == "XIRR")
    for i, name in enumerate(("Senior lender", "Gap lender", "Equity"), start=metrics + 1):
        party = res.stakeholders[name]
        assert m.value(f"Waterfall!B{i}") == pytest.approx(party.irr[0], rel=1e-9)
        assert m.value(f"Waterfall!C{i}") == pytest.approx(party.multiple[0], rel=1e-12)
        assert m.value(f"Waterfall!D{i}") is bool(party.recouped[0])
    # per period: the senior lender's payments
    srow = next(r for r in range(1, 200) if m.value(f"Waterfall!A{r}") == "  paid to Senior lender")
    np.testing.assert_allclose(_row(m, "Waterfall", srow, 3, 8), res.payments[("Senior loan", "Senior lender")][0],
                               atol=1e-6)


def test_incentives_template_matches_engine(books):
    m = engine.load(books["film_incentives.xlsx"]).calculate()
    assert not m.internal_errors
    as_of = "2025-01-01"
    checks = {
        8: {"budget": 10e6, "spend": {"IE": {"spend": 4e6}}},
        9: {"budget": 1e6, "spend": {"IE": {"spend": 1e6}}},
        10: {"budget": 150e6, "spend": {"IE": {"spend": 80e6}}},
        11: {"budget": 10e6, "attributes": {"kind": "domestic"}, "spend": {"CA": {"labour": 8e6, "spend": 10e6}}},
        12: {"budget": 10e6, "total_core_costs": 10e6, "spend": {"GB": {"core_costs": 9e6}}},
        13: {"budget": 30e6, "attributes": {"shoot_days": 20}, "spend": {"FR": {"spend": 20e6, "vfx_spend": 3e6}}},
        14: {"budget": 10e6, "attributes": {"georgia_logo": True}, "spend": {"US-GA": {"spend": 10e6}}},
        15: {"budget": 10e6, "spend": {"US-NM": {"spend": 10e6}}},
        16: {"budget": 10e6, "attributes": {"kind": "service"}, "spend": {"CA-ON": {"spend": 8e6, "labour": 4e6}}},
        17: {"budget": 25e6, "spend": {"AU": {"spend": 20e6}}},
    }
    for row, proj in checks.items():
        r = compute_incentives(dict(proj, as_of=as_of))
        prog = m.value(f"Calculator!B{row}")
        assert m.value(f"Calculator!I{row}") == pytest.approx(r.program(prog).gross), row
    assert m.value("Calculator!B27") == pytest.approx(2_820_000)
    assert m.value("Calculator!B30") == pytest.approx(668_800)
    assert m.value("Calculator!B31") == pytest.approx(3_488_800)
    assert [m.value(f"Calculator!B{r}") for r in range(35, 39)] == pytest.approx([2.72e6, 2.04e6, 3.12e6, 2.34e6])


def test_capital_stack_template_matches_engine(books):
    m = engine.load(books["film_capital_stack.xlsx"]).calculate()
    assert not m.internal_errors
    proj = CS.FilmProject(10e6, CS.RevenueModel("LOGNORMAL", (14e6, 8e6)), incentive_amount=2_385_764.0)
    evals = CS.evaluate_templates(proj, n=20_000, seed=1)
    names = [m.value(f"Stacks!{FT.col(c)}17") for c in range(3, 8)]
    assert names == list(CS.TEMPLATES)
    labels: dict[str, int] = {}
    for r in range(1, 200):      # first occurrence of each label (the weights table repeats the criteria)
        if isinstance(m.value(f"Stacks!A{r}"), str):
            labels.setdefault(m.value(f"Stacks!A{r}"), r)
    for j, e in enumerate(evals):
        C = FT.col(3 + j)
        for key in ("wacc", "soft_money", "debt_share", "equity_irr", "p_recoup"):
            assert m.value(f"Stacks!{C}{labels[key]}") == pytest.approx(e.criteria[key], rel=1e-8, abs=1e-9)
        # base case: one scenario of the base revenue through the engine's stack waterfall
        one = CS.evaluate_stack(proj, e.stack, np.array([[0, 14e6]]), keep_result=True).result
        eq = one.stakeholders["Equity"]
        assert m.value(f"Stacks!{C}{labels['Equity multiple (base case)']}") == pytest.approx(eq.multiple[0], rel=1e-12)
    for p in CS.PERSPECTIVES:
        ranking = {x["name"]: x for x in rank(evals, p)}
        for j, nm in enumerate(names):
            C = FT.col(3 + j)
            assert m.value(f"Stacks!{C}{labels['score: ' + p]}") == pytest.approx(ranking[nm]["score"], abs=1e-8)
            assert m.value(f"Stacks!{C}{labels['rank: ' + p]}") == ranking[nm]["rank"]
    flags = CS.compare_templates(proj, n=20_000, seed=1)["templates"]
    row = labels["On the Pareto front of equity IRR vs P(recoup)"]
    assert [m.value(f"Stacks!{FT.col(3 + j)}{row}") for j in range(5)] == [t["pareto_irr_vs_recoup"] for t in flags]
