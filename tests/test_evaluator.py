"""Graph order, cycles, arrays/spills, coercion and per-scenario errors."""
from __future__ import annotations

import numpy as np
import pytest

from engine.eval.operators import binary
from engine.eval.vector import Vec
from engine.values import BLANK, XLError
from tests.formula_helpers import evaluate_formula, make_model


def test_long_chain_evaluates_without_recursion():
    cells = {"A1": 1}
    for r in range(2, 20001):
        cells[f"A{r}"] = f"=A{r - 1}+1"
    m = make_model(cells)
    m.calculate()
    assert m.value("A20000") == 20000.0


def test_cycle_without_iteration_names_the_cycle():
    m = make_model({"A1": "=B1+1", "B1": "=A1*2", "C1": "=5"})
    m.calculate()
    v = m.value("A1")
    assert isinstance(v, XLError) and v.code == "#CIRC!"
    assert "Sheet1!A1" in v.message and "Sheet1!B1" in v.message
    assert m.value("C1") == 5.0
    assert len(m.graph.cycles) == 1


def test_iterative_calculation_converges():
    # x = x/2 + 1 converges to 2
    m = make_model({"A1": "=B1/2+1", "B1": "=A1"}, iterate=True)
    m.calculate()
    assert abs(m.value("A1") - 2.0) < 0.01


def test_precedents_and_dependents():
    m = make_model({"A1": 1, "A2": 2, "B1": "=SUM(A1:A2)", "C1": "=B1*2"})
    g = m.build_graph()
    assert (0, 1, 1, 2, 1) in g.precedents((0, 1, 2))
    assert (0, 1, 3) in g.dependents((0, 1, 2))
    assert (0, 1, 2) in g.dependents((0, 2, 1))


@pytest.mark.parametrize("formula, expected", [
    ('="3"+1', 4.0),
    ("=TRUE+1", 2.0),
    ('="a"<"B"', True),
    ("=1<\"a\"", True),          # numbers sort before text
    ('="z"<TRUE', True),          # text before booleans
    ("=A9=0", True),              # blank equals 0
    ('=A9=""', True),             # and equals ""
    ('="x"+1', XLError("#VALUE!")),
    ("=1/0", XLError("#DIV/0!")),
    ("=#N/A+1", XLError("#N/A")),
    ('="1,000"*2', 2000.0),
    ('="50%"*2', 1.0),
])
def test_coercion_rules(formula, expected):
    assert evaluate_formula(formula) == expected


def test_implicit_intersection_in_plain_formula():
    m = make_model({"A1": 1, "A2": 2, "A3": 3, "B2": "=A1:A3*10"})
    m.calculate()
    assert m.value("B2") == 20.0


def test_cse_array_formula_fills_its_range():
    m = make_model({"A1": 1, "A2": 2, "A3": 3, "B1:B4": "{=A1:A3*10}"})
    m.calculate()
    assert [m.value(f"B{r}") for r in range(1, 5)] == [10.0, 20.0, 30.0, XLError("#N/A")]


def test_dynamic_array_spills_and_blocks():
    m = make_model({"A1": 1, "A2": 2, "B1": "#=A1:A2*2", "C1": "=SUM(B1#)" if False else "=B2+1"})
    m.calculate()
    assert m.value("B2") == 4.0 and m.value("C1") == 5.0
    m = make_model({"A1": 1, "A2": 2, "B1": "#=A1:A2*2", "B2": "x"})
    m.calculate()
    assert m.value("B1").code == "#SPILL!"


def test_errors_travel_per_scenario():
    a = Vec(np.array([1.0, 2.0, 3.0]))
    b = Vec(np.array([1.0, 0.0, 2.0]))
    r = binary("/", a, b)
    assert r.item(0) == 1.0 and r.item(1).code == "#DIV/0!" and r.item(2) == 1.5
    s = binary("+", r, 1.0)
    assert s.item(0) == 2.0 and s.item(1).code == "#DIV/0!"


def test_iferror_per_scenario():
    from engine.eval.context import EvalContext, evaluate
    from engine.parser import parse_formula
    m = make_model({})
    m.n_scenarios = 3
    ctx = EvalContext(m, 0, 1, 1)
    ctx.env["X"] = Vec(np.array([1.0, 0.0, 4.0]))
    v = evaluate(parse_formula("IFERROR(1/X, -1)"), ctx)
    assert list(v.data) == [1.0, -1.0, 0.25]
    v = evaluate(parse_formula("IF(X>0, X*2, 99)"), ctx)
    assert list(v.data) == [2.0, 99.0, 8.0]


def test_set_value_and_recalculate():
    m = make_model({"A1": 1, "B1": "=A1*3"})
    m.calculate()
    assert m.value("B1") == 3.0
    m.set_value("A1", 5)
    m.calculate()
    assert m.value("B1") == 15.0
    assert dict(m.cells())["Sheet1!B1"] == 15.0


def test_let_and_lambda():
    assert evaluate_formula("=LET(x,2,y,x*3,x+y)") == 8.0
    assert evaluate_formula("=LAMBDA(a,b,a*b)(3,4)") == 12.0
    assert evaluate_formula("=LET(f,LAMBDA(n,n+1),f(1))") == 2.0


def test_named_lambda_and_names():
    m = make_model({"A1": 10, "B1": "=Double(A1)+Rate"},
                   names={"Double": "LAMBDA(x,x*2)", "Rate": "Sheet1!$A$1/100"})
    m.calculate()
    assert m.value("B1") == 20.1


def test_blank_reference_is_zero():
    assert evaluate_formula("=A5") == 0.0
    m = make_model({"A1": "=A5"})
    m.calculate()
    assert m.value("A1") == 0.0 and m.value("A5") is BLANK


def test_model_precedents_and_dependents_by_address():
    m = make_model({"A1": 1, "A2": 2, "B1": "=SUM(A1:A2)", "C1": "=B1*2"})
    assert m.precedents("C1") == ["Sheet1!B1"]
    assert m.precedents("B1") == ["Sheet1!A1:A2"]
    assert m.dependents("A2") == ["Sheet1!B1"]
