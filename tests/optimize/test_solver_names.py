"""Reading Excel Solver's hidden names (finance_modules.md §2.2)."""
from __future__ import annotations

import numpy as np
import pytest

from engine import optimize as O
from engine.optimize.evaluate import Problem
from engine.optimize.spec import from_solver_names, split_areas

from .helpers import book, load, sens1_book


def test_sens1_names_are_read(tmp_path):
    m = load(sens1_book(tmp_path / "s.xlsx"))
    spec = from_solver_names(m)
    assert spec.sense == "max" and spec.engine == "simplex" and spec.nonneg and spec.source == "solver"
    assert [c.rel for c in spec.constraints] == ["<="]
    p = Problem(m, spec)
    assert [m.address(k) for k in p.var_keys] == ["Model!B2", "Model!C2", "Model!D2"]
    assert len(p.rows) == 2 and np.all(p.lb == 0) and np.all(np.isinf(p.ub))


def test_split_areas():
    assert split_areas("Sheet1!$A$1:$B$2,'My Sheet'!$D$4") == ["Sheet1!$A$1:$B$2", "'My Sheet'!$D$4"]


def test_options_int_bin_neg_and_transposed_rhs(tmp_path):
    cells = {"A1": 0, "B1": 0, "C1": 0, "D1": 0,                  # decisions A1:B1 and D1 (multi-area, overlap)
             "A3": "=A1+B1", "B3": "=A1-B1", "A5": 4, "A6": 1}     # rhs A5:A6 is a column: transposed
    p = book(tmp_path / "b.xlsx", cells, "A3", ["A1:B1", "B1:D1"],
             [("A3:B3", "<=", "A5:A6"), ("A1", "int", None), ("C1", "bin", None), ("D1", ">=", -5)],
             sense="min", nonneg=False, options={"solver_tim": 30, "solver_tol": 0.02, "solver_rlx": 2})
    m = load(p)
    spec = from_solver_names(m, "M")
    assert not spec.nonneg and spec.sense == "min"
    assert spec.options.time_limit == 30 and spec.options.mip_gap == 0.02 and not spec.options.relax_integers
    prob = Problem(m, spec)
    assert [m.address(k) for k in prob.var_keys] == ["M!A1", "M!B1", "M!C1", "M!D1"]
    assert list(prob.integer) == [True, False, True, False] and list(prob.binary) == [False, False, True, False]
    assert prob.lb[3] == -5 and np.isinf(prob.lb[0])            # solver_neg = 2: free unless bounded
    assert prob.ub[2] == 1 and prob.lb[2] == 0
    assert len(prob.rows) == 2 and len(prob.bound_rows) == 1     # D1 >= -5 is a bound, as in Excel


def test_value_of_sense(tmp_path):
    cells = {"A1": 0, "B1": 0, "A3": "=2*A1+B1", "A4": "=A1+B1"}
    m = load(book(tmp_path / "v.xlsx", cells, "A3", "A1:B1", [("A4", "<=", 4), ("B1", ">=", 1)],
                  sense="value", target=7))
    res = O.solve(m)
    assert res.ok and abs(res.objective - 7) < 1e-9


def test_missing_model_is_a_clear_error(tmp_path):
    import openpyxl
    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    wb.save(tmp_path / "none.xlsx")
    with pytest.raises(O.ModelError, match="no optimization model"):
        O.solve(load(tmp_path / "none.xlsx"))


def test_model_on_a_quoted_sheet_with_a_formula_rhs(tmp_path):
    import openpyxl
    from engine.optimize.excel import add_solver_model
    wb = openpyxl.Workbook()
    wb.active.title = "Data"
    wb.active["A1"] = 4
    ws = wb.create_sheet("My Model")
    ws["A1"], ws["B1"], ws["A3"], ws["A4"] = 0, 0, "=A1+2*B1", "=A1+B1"
    add_solver_model(ws, "A3", ["A1", "B1"], [("A4", "<=", "=Data!$A$1*1"), ("B1", "<=", 3)])
    wb.save(tmp_path / "q.xlsx")
    m = load(tmp_path / "q.xlsx")
    assert O.sheets_with_models(m) == [1]
    res = O.solve(m)
    assert res.sheet == "My Model" and res.objective == pytest.approx(7)
    assert [c["bound"] for c in res.constraints] == [False, True]
    assert m.value("'My Model'!B1") == 3          # the solution is kept in the model
