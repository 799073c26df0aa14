"""LP/MILP from workbooks: SENS-1 with Excel's sensitivity numbers, reports
written back and readable by openpyxl, MILP, infeasible and unbounded models."""
from __future__ import annotations

import numpy as np
import openpyxl
import pytest

from engine import optimize as O
from engine.optimize.report import read_report
from gridflow.cli import main

from .helpers import book, load, sens1_book


def test_sens1_from_workbook_matches_reference(tmp_path):
    m = load(sens1_book(tmp_path / "s.xlsx"))
    out = tmp_path / "solved.xlsx"
    res = m.solve(out=str(out))
    assert res.code == 0 and res.engine == "simplex"
    assert res.objective == pytest.approx(40.5)
    assert [v["final"] for v in res.variables] == pytest.approx([0, 4.5, 0])
    sens = res.sensitivity
    assert [c["shadow_price"] for c in sens["constraints"]] == pytest.approx([4.5, 0])
    assert [v["reduced_cost"] for v in sens["variables"]] == pytest.approx([-3.5, 0, -12.5])
    assert [v["allowable_increase"] for v in sens["variables"]] == pytest.approx([3.5, np.inf, 12.5])
    assert [v["allowable_decrease"] for v in sens["variables"]] == pytest.approx([np.inf, 7, np.inf])
    assert [c["allowable_increase"] for c in sens["constraints"]] == pytest.approx([6, np.inf])
    assert [c["allowable_decrease"] for c in sens["constraints"]] == pytest.approx([9, 6])
    assert res.binding() == ["$E$5"]
    # the model keeps the solution (Keep Solver Solution)
    assert m.value("Model!E8") == pytest.approx(40.5)
    # reports, read back by openpyxl: 1E+30 for infinity
    rep = read_report(str(out))
    assert [r["Shadow Price"] for r in rep["constraints"]] == pytest.approx([4.5, 0])
    assert rep["variables"][0]["Allowable Decrease"] == 1e30
    assert rep["constraints"][1]["Allowable Increase"] == 1e30
    ans = read_report(str(out), "Answer")
    assert [c["Status"] for c in ans["constraints"]] == ["Binding", "Not Binding"]
    assert [c["Slack"] for c in ans["constraints"]] == pytest.approx([0, 6])
    wb = openpyxl.load_workbook(out)
    assert wb["Model"]["C2"].value == pytest.approx(4.5)
    assert wb["Model"].defined_names["solver_adj"].hidden      # the Solver model survives


def test_min_problem_signs(tmp_path):
    # min 2x + 3y s.t. x + y >= 4, x + 3y >= 6: x = 3, y = 1; shadow prices 1.5, 0.5
    cells = {"A1": 0, "B1": 0, "A3": "=2*A1+3*B1", "A4": "=A1+B1", "A5": "=A1+3*B1"}
    m = load(book(tmp_path / "m.xlsx", cells, "A3", "A1:B1", [("A4", ">=", 4), ("A5", ">=", 6)], sense="min"))
    res = O.solve(m)
    assert res.objective == pytest.approx(9)
    s = res.sensitivity["constraints"]
    assert [c["shadow_price"] for c in s] == pytest.approx([1.5, 0.5])
    assert [c["allowable_increase"] for c in s] == pytest.approx([2, 6])
    assert [c["allowable_decrease"] for c in s] == pytest.approx([2, 2])


def test_milp_knapsack_and_conditional_duals(tmp_path):
    # max 5x + 4y s.t. 6x + 4y <= 24, x + 2y <= 6, integer: (4, 0), 20
    cells = {"A1": 0, "B1": 0, "A3": "=5*A1+4*B1", "A4": "=6*A1+4*B1", "A5": "=A1+2*B1"}
    p = book(tmp_path / "k.xlsx", cells, "A3", "A1:B1", [("A4", "<=", 24), ("A5", "<=", 6), ("A1:B1", "int", None)])
    for backend in ("highs", "ortools"):
        res = O.solve(load(p), backend=backend)
        assert res.ok and res.objective == pytest.approx(20), backend
        assert [v["final"] for v in res.variables] == pytest.approx([4, 0])
        assert res.sensitivity["conditional"] and "Integer model" in res.sensitivity["note"]


def test_alldifferent(tmp_path):
    # assign 1..3 to three cells maximizing 1*a + 5*b + 3*c: b=3, c=2, a=1 -> 22
    cells = {"A1": 1, "B1": 1, "C1": 1, "A3": "=A1+5*B1+3*C1"}
    res = O.solve(load(book(tmp_path / "d.xlsx", cells, "A3", "A1:C1", [("A1:C1", "dif", None)])))
    assert res.ok and res.objective == pytest.approx(22)
    assert [v["final"] for v in res.variables] == pytest.approx([1, 3, 2])


def test_infeasible_names_conflicting_constraints(tmp_path):
    cells = {"A1": 0, "B1": 0, "A3": "=A1+B1", "A4": "=A1+B1", "A5": "=A1", "A6": "=B1", "A7": "=A1-B1"}
    m = load(book(tmp_path / "i.xlsx", cells, "A3", "A1:B1",
                  [("A4", "<=", 1), ("A5", ">=", 1), ("A6", ">=", 1), ("A7", "<=", 100)]))
    res = O.solve(m)
    assert res.code == 5 and res.message == O.MESSAGES[5]
    assert sorted(res.conflicts) == ["$A$4<=1", "$A$5>=1", "$A$6>=1"]


def test_unbounded(tmp_path):
    m = load(book(tmp_path / "u.xlsx", {"A1": 0, "A3": "=2*A1"}, "A3", "A1", []))
    res = O.solve(m)
    assert res.code == 4 and "do not converge" in res.message


def test_cli_solve_writes_reports(tmp_path, capsys):
    p = sens1_book(tmp_path / "s.xlsx")
    out = tmp_path / "solved.xlsx"
    assert main(["solve", str(p), "--sheet", "Model", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Solver found a solution" in text and "40.5" in text
    wb = openpyxl.load_workbook(out)
    assert "Answer Report 1" in wb.sheetnames and "Sensitivity Report 1" in wb.sheetnames
    assert main(["solve", str(p), "--json"]) == 0
    import json
    d = json.loads(capsys.readouterr().out)
    assert d["objective"] == pytest.approx(40.5) and d["sensitivity"]["variables"][0]["allowable_decrease"] == 1e30
