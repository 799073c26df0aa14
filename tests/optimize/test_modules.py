"""The four real-estate modules: worked examples and what-if differences
computed by hand."""
from __future__ import annotations

import pytest

from engine.optimize import modules as M
from gridflow.cli import main


def test_debt1_closed_form_sizing():
    # DEBT-1 (finance_modules.md §1.2): LTV binds at 10,400,000
    s = M.sizing_loan(1_000_000, 16_000_000, 0.65, 1.25, 0.065, 30, 0.09)
    assert s["constant"] == pytest.approx(0.075848, abs=1e-6)
    assert s["ltv"] == pytest.approx(10_400_000) and s["dscr"] == pytest.approx(10_547_388, abs=1)
    assert s["debt_yield"] == pytest.approx(11_111_111, abs=1)
    assert s["binding"] == "ltv" and s["max_loan"] == pytest.approx(10_400_000)
    s = M.sizing_loan(1_000_000, 16_000_000, 0.65, 1.40, 0.065, 30, 0.09)
    assert s["binding"] == "dscr" and s["max_loan"] == pytest.approx(9_417_311, abs=1)


def _debt1():
    return M.DebtStackInput(value=16e6, noi=1e6, total_cost=16e6, dscr_min=1.25, debt_yield_min=0.09,
                            cost_of_equity=0.15, tranches=[M.Tranche("Loan", 1e9, 0.065, amort_years=30,
                                                                     ltv_limit=0.65)])


def test_debt_stack_mixer_debt1_and_what_if():
    base = M.mix_debt(_debt1())
    assert base.ok and base.plan[0]["amount"] == pytest.approx(10_400_000)
    assert "LTV through Loan" in base.binding
    # +$1 of LTV capacity saves the spread between equity and debt cost: 0.15 - 0.065
    assert base.shadow_prices["LTV through Loan"] == pytest.approx(-0.085)
    w = M.what_if(M.mix_debt, _debt1(), base=base, dscr_min=1.40)
    loan = 1_000_000 / (1.40 * M.debt_constant(0.065, 30))
    assert w.new.plan[0]["amount"] == pytest.approx(loan) and loan == pytest.approx(9_417_311, abs=1)
    assert w.objective_delta == pytest.approx((0.15 - 0.065) * (10_400_000 - loan))
    assert w.binding_added == ["DSCR base"] and w.binding_removed == ["LTV through Loan"]
    sched = base.extra["amortization"]["Loan"]
    assert len(sched) == 120 and sched[0]["interest"] == pytest.approx(10_400_000 * 0.065 / 12)
    assert sched[-1]["balloon"] > 0 and sched[-1]["closing"] == 0


def test_debt_stack_hedge_and_scenarios():
    inp = M.DebtStackInput(value=10e6, noi=1e6, total_cost=10e6, dscr_min=1.0, cost_of_equity=0.2,
                           tranches=[M.Tranche("Float", 9e6, 0.02, floating=True, amort_years=None, ltv_limit=0.9,
                                               cap_strike=0.03, cap_premium=0.001)],
                           scenarios=[M.RateScenario("low", 0.02, 0.5), M.RateScenario("high", 0.10, 0.5)])
    r = M.mix_debt(inp)
    # unhedged: DSCR in the high scenario caps the loan at 1e6 / 0.12; hedged: 1e6 / 0.05 > 9e6 LTV cap
    assert r.plan[0]["hedged"] and r.plan[0]["amount"] == pytest.approx(9e6)


def _deals(budget):
    deals = [M.Deal("A", "Office", "X", 10, 3.0), M.Deal("B", "Retail", "X", 6, 2.0), M.Deal("C", "Office", "Y", 5, 1.6)]
    return M.DealPickerInput(deals=deals, budget=budget)


def test_deal_picker_and_what_if():
    base = M.pick_deals(_deals(11))
    assert base.objective == pytest.approx(3.6) and {p["deal"] for p in base.plan} == {"B", "C"}
    w = M.what_if(M.pick_deals, _deals(11), base=base, budget=16)
    assert w.objective_delta == pytest.approx(1.4)            # A + B = 5.0 against B + C = 3.6
    assert w.decision_changes == {"pick A": (0.0, 1.0), "pick C": (1.0, 0.0)}
    assert base.dual_basis == "LP relaxation" and base.shadow_prices["budget"] > 0
    # a sector cap: offices at most 50% of the equity chosen
    capped = M.pick_deals(M.DealPickerInput(deals=_deals(16).deals, budget=16, sector_caps={"Office": 0.5}))
    assert {p["deal"] for p in capped.plan} == {"B", "C"}


def test_deal_picker_csv(tmp_path):
    p = tmp_path / "deals.csv"
    p.write_text("name,sector,city,equity,npv,risk\nA,Office,X,10,3,0\nB,Retail,X,6,2,0\nC,Office,Y,5,1.6,1\n")
    deals = M.load_deals_csv(str(p))
    assert [d.name for d in deals] == ["A", "B", "C"] and deals[2].risk == 1
    r = M.pick_deals(M.DealPickerInput(deals=deals, budget=11, risk_penalty=0.02))
    assert r.objective == pytest.approx(3.5)                   # C costs 0.02*1*5 = 0.1: B + C = 3.5 > A = 3


def _capex(capacity):
    return M.CapexInput(projects=[M.Project("P1", [100.0], 30.0), M.Project("P2", [100.0], 26.0)],
                        horizon=6, cash_limit=1000.0, capacity=capacity, discount_rate=0.0)


def test_capex_phasing_and_what_if():
    # no discounting: a(p, t) = uplift (T - t - d) - cost.  Capacity 1: P1 at 0 (50) then P2 at 1 (4).
    base = M.plan_capex(_capex(1))
    assert base.objective == pytest.approx(54)
    assert [(p["project"], p["start"]) for p in base.plan] == [("P1", 0), ("P2", 1)]
    assert base.extra["gantt"]["P2"] == [0, 1, 0, 0, 0, 0]
    w = M.what_if(M.plan_capex, _capex(1), base=base, capacity=2)
    assert w.objective_delta == pytest.approx(26)              # P2 at 0: 30 instead of 4
    assert "capacity month 0" in base.binding


def _leasing(w):
    return M.LeasingInput(units=[M.Unit("U", 100)],
                          packages=[M.Package("short", 3, 120), M.Package("long", 10, 120, free_months=3, incentive=10)],
                          existing=[M.ExistingLease("E", 500, 10_000, 2)], wault_min=w)


def test_leasing_mix_wault_and_what_if():
    # short: NCF 12,000, WAULT (20,000 + 36,000)/22,000 = 2.55; long: NCF 9,000 - 1,000 = 8,000, WAULT 6.36
    base = M.optimize_leasing(_leasing(4.0))
    assert base.objective == pytest.approx(8000) and base.plan[0]["package"] == "long"
    assert base.metrics["wault"] == pytest.approx(140_000 / 22_000)
    w = M.what_if(M.optimize_leasing, _leasing(4.0), base=base, wault_min=2.5)
    assert w.objective_delta == pytest.approx(4000)
    assert w.decision_changes == {"U <- short": (0.0, 1.0), "U <- long": (1.0, 0.0)}
    s = M.wault_sensitivity(_leasing(4.0), delta=0.5)
    assert s["objective_up"] == pytest.approx(8000) and s["objective_down"] == pytest.approx(8000)


def test_run_module_json_and_cli(capsys):
    out = M.run_module("leasing", {"units": [{"name": "U", "area": 100}],
                                   "packages": [{"name": "short", "term_years": 3, "rent": 120}],
                                   "budget": 1e9}, what_if_changes={"occupancy_min": 0.0})
    assert out["result"]["objective"] == pytest.approx(12000) and out["what_if"]["objective_delta"] == 0
    assert main(["solve", "--module", "debt_stack", "--what-if", "dscr_min=1.4"]) == 0
    text = capsys.readouterr().out
    assert "what-if" in text and "binding" in text
