"""Dynamic arrays, LAMBDA helpers and spilling (engine/functions/dynamic.py)."""
import pytest

from engine.values import BLANK, Array, XLError
from tests.formula_helpers import evaluate_array, evaluate_formula, make_model

NA = XLError("#N/A")
CALC = XLError("#CALC!")
VALUE = XLError("#VALUE!")


def arr(formula, cells=None, **kw):
    return evaluate_array(formula, cells, **kw)


def col(*vals):
    return Array([[v] for v in vals])


def row(*vals):
    return Array([list(vals)])


# --- FILTER / SORT / SORTBY / UNIQUE ---------------------------------------------

def test_filter():
    cells = {"A1": 1, "A2": 2, "A3": 3, "A4": 4, "B1": "a", "B2": "b", "B3": "c", "B4": "d"}
    assert arr("FILTER(A1:A4,A1:A4>2)", cells) == col(3.0, 4.0)
    assert arr("FILTER(A1:B4,A1:A4>3)", cells) == Array([[4.0, "d"]])
    assert arr("FILTER(A1:A4,A1:A4>10)", cells) == CALC
    assert arr('FILTER(A1:A4,A1:A4>10,"none")', cells) == "none"
    assert arr("FILTER({1,2,3},{TRUE,FALSE,TRUE})") == row(1.0, 3.0)
    assert arr('FILTER(A1:A3,{"yes";1;1})', cells) == VALUE
    assert arr("FILTER(A1:A4,{1;2})", cells) == VALUE
    assert arr("FILTER(A1:A3,{1;#N/A;1})", cells) == NA


def test_sort_order_of_types():
    cells = {"A1": 1, "A2": "b", "A3": True, "A4": -2, "A5": "A", "A7": 5}
    # numbers, text (without case), logicals; blanks stay last both ways
    assert arr("SORT(A1:A7)", cells) == col(-2.0, 1.0, 5.0, "A", "b", True, BLANK)
    assert arr("SORT(A1:A7,1,-1)", cells) == col(True, "b", "A", 5.0, 1.0, -2.0, BLANK)
    assert arr("SORT({3,1,2},1,1,TRUE)") == row(1.0, 2.0, 3.0)
    assert arr('SORT({"b",2;"a",1;"c",3},2,-1)') == Array([["c", 3.0], ["b", 2.0], ["a", 1.0]])
    assert arr("SORT({1;2},2)") == VALUE
    assert arr("SORT({1;2},1,0)") == VALUE
    # stable on equal keys
    assert arr('SORT({"Hola",1;"HOLA",2;"ab",3})') == Array([["ab", 3.0], ["Hola", 1.0], ["HOLA", 2.0]])


def test_sortby():
    assert arr('SORTBY({"a";"b";"c"},{3;1;2})') == col("b", "c", "a")
    assert arr('SORTBY({"a";"b";"c"},{3;1;2},-1)') == col("a", "c", "b")
    assert arr('SORTBY({"a";"b";"c"},{1;1;2},-1,{1;2;3},1)') == col("c", "a", "b")
    assert arr('SORTBY({"a";"b";"c"},{1;2})') == VALUE


def test_unique():
    assert arr('UNIQUE({"Marie";"Random";"marie";"Elisa"})') == col("Marie", "Random", "Elisa")
    assert arr("UNIQUE({1;2;1;3},,TRUE)") == col(2.0, 3.0)
    assert arr("UNIQUE({1,1,2},TRUE)") == row(1.0, 2.0)
    assert arr("UNIQUE({1;1},,TRUE)") == CALC


# --- SEQUENCE / RANDARRAY -----------------------------------------------------------

def test_sequence():
    assert arr("SEQUENCE(2,3,10,5)") == Array([[10.0, 15.0, 20.0], [25.0, 30.0, 35.0]])
    assert arr("SEQUENCE(3,,10)") == col(10.0, 11.0, 12.0)
    assert arr("SEQUENCE(,3,,2.5)") == row(1.0, 3.5, 6.0)
    assert arr('SEQUENCE("2")') == col(1.0, 2.0)
    assert arr("SEQUENCE(2.7)") == col(1.0, 2.0)
    assert arr("SEQUENCE(0)") == CALC
    assert arr("SEQUENCE(0.3)") == CALC
    assert arr("SEQUENCE(-1)") == VALUE
    assert arr("SEQUENCE(1/0)") == XLError("#DIV/0!")


def test_randarray():
    a = arr("RANDARRAY(3,2,5,10,TRUE)")
    assert a.shape == (3, 2) and all(5 <= v <= 10 and v == int(v) for v in a)
    assert arr("RANDARRAY(2,2,10,5)") == VALUE
    assert arr("RANDARRAY(1,1,1.5,3,TRUE)") == VALUE


# --- shaping -------------------------------------------------------------------------

def test_take_drop():
    days = {f"A{i + 1}": d for i, d in enumerate(["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"])}
    assert arr("TAKE(A1:A7,2)", days) == col("Mo", "Tu")
    assert arr("TAKE(A1:A7,-3)", days) == col("Fr", "Sa", "Su")
    assert arr("TAKE(A1:A7,0)", days) == CALC
    assert arr("DROP(A1:A7,3.4)", days) == col("Th", "Fr", "Sa", "Su")
    assert arr("DROP(A1:A7,-5)", days) == col("Mo", "Tu")
    assert arr("DROP(A1:A7,7)", days) == CALC
    assert arr("DROP(A1:A7,1,1)", days) == CALC
    assert arr("TAKE({1,2,3;4,5,6},,-1)") == col(3.0, 6.0)


def test_chooserows_choosecols():
    a = "{1,2,3;4,5,6;7,8,9}"
    assert arr(f"CHOOSEROWS({a},1,-1)") == Array([[1.0, 2.0, 3.0], [7.0, 8.0, 9.0]])
    assert arr(f"CHOOSECOLS({a},{{3,1}})") == Array([[3.0, 1.0], [6.0, 4.0], [9.0, 7.0]])
    assert arr(f"CHOOSECOLS({a},4)") == VALUE
    assert arr(f"CHOOSEROWS({a},0)") == VALUE


def test_stack_expand_wrap_tocol():
    assert arr("VSTACK({1,2},{3})") == Array([[1.0, 2.0], [3.0, NA]])
    assert arr('HSTACK({"one";"two"},{1;2;3})') == Array([["one", 1.0], ["two", 2.0], [NA, 3.0]])
    assert arr('EXPAND({1,2},2,3,"x")') == Array([[1.0, 2.0, "x"], ["x", "x", "x"]])
    assert arr("EXPAND({1,2},2)") == Array([[1.0, 2.0], [NA, NA]])
    assert arr("EXPAND({1,2},1,1)") == VALUE
    assert arr("WRAPROWS({1,2,3,4,5},2)") == Array([[1.0, 2.0], [3.0, 4.0], [5.0, NA]])
    assert arr("WRAPCOLS({1,2,3,4,5},2,0)") == Array([[1.0, 3.0, 5.0], [2.0, 4.0, 0.0]])
    assert arr("WRAPROWS({1,2;3,4},2)") == VALUE
    assert arr("WRAPROWS({1,2},0)") == XLError("#NUM!")
    assert arr("WRAPCOLS(IF(1=0,{1,2,3}),2)") == Array([[False]])
    cells = {"A1": "a", "B1": 1, "A2": "b", "B2": "=NA()"}
    assert arr("TOCOL({1,2;3,4})") == col(1.0, 2.0, 3.0, 4.0)
    assert arr("TOCOL({1,2;3,4},,TRUE)") == col(1.0, 3.0, 2.0, 4.0)
    assert arr("TOROW(A1:C1,1)", cells) == row("a", 1.0)
    assert arr("TOROW(A1:C1)", cells) == row("a", 1.0, BLANK)
    assert arr("TOCOL(A1:A3,1)", cells) == col("a", "b")
    assert arr("TOCOL(A1:A3,4)", cells) == VALUE


# --- LAMBDA helpers ---------------------------------------------------------------------

def test_lambda_helpers():
    cells = {"A1": 1, "B1": 2, "C1": 3, "A2": 4, "B2": 5, "C2": 6}
    assert arr("MAP(A1:C2,LAMBDA(x,x*2))", cells) == Array([[2.0, 4.0, 6.0], [8.0, 10.0, 12.0]])
    assert arr("MAP(A1:C1,A2:C2,LAMBDA(x,y,x*y))", cells) == row(4.0, 10.0, 18.0)
    assert arr("MAP(A1:A2,LAMBDA(x,ROW(x)))", cells) == col(1.0, 2.0)
    assert arr("MAP(A1:A2,LAMBDA(x,y,x))", cells) == VALUE
    assert arr("REDUCE(0,A1:C2,LAMBDA(a,v,a+v))", cells) == 21.0
    assert arr("REDUCE(,A1:C1,LAMBDA(a,v,a&v))", cells) == "123"
    assert arr("SCAN(1,A1:C2,LAMBDA(a,v,a+8*v))", cells) == Array([[9.0, 25.0, 49.0], [81.0, 121.0, 169.0]])
    assert arr('SCAN("",{"a","b"},LAMBDA(a,v,a&v))') == row("a", "ab")
    assert arr("BYROW(A1:C2,LAMBDA(r,r))", cells) == col(CALC, CALC)
    assert arr("MAKEARRAY(2,3,LAMBDA(r,c,r*c))") == Array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
    assert arr("MAKEARRAY(0,3,LAMBDA(r,c,r*c))") == VALUE
    assert arr("LAMBDA(a,b,IF(ISOMITTED(b),a/2,a*b))(6)") == 3.0
    assert arr("LAMBDA(a,b,IF(ISOMITTED(b),a/2,a*b))(6,6)") == 36.0
    # a bare function name stands for a LAMBDA (eta reduction)
    assert arr("BYROW({1,2,3;4,5,6},COLUMNS)") == col(3.0, 3.0)
    assert evaluate_formula("COLUMNS") == XLError("#NAME?")


# --- spilling end to end ------------------------------------------------------------------

def test_spill_and_spill_reference():
    m = make_model({"A1:A3": "#=SEQUENCE(3)", "B1": "=ROWS(A1#)", "C1": "=INDEX(A1#,3)",
                    "D1": "=ANCHORARRAY(A1)", "H1:J1": "#=TRANSPOSE(ANCHORARRAY(A1))",
                    "F1": "=A3*10"})
    m.calculate()
    assert [m.value(a) for a in ("A1", "A2", "A3")] == [1.0, 2.0, 3.0]
    assert m.value("B1") == 3.0
    assert m.value("C1") == 3.0
    assert m.value("D1") == 1.0
    assert [m.value(a) for a in ("H1", "I1", "J1")] == [1.0, 2.0, 3.0]
    assert m.value("F1") == 30.0


def test_spill_blocked():
    m = make_model({"A1:A3": "#=SEQUENCE(3)", "A2": "x", "B1": "=A1#"})
    m.calculate()
    assert m.value("A1") == XLError("#SPILL!")
    assert m.value("A2") == "x"


def test_spill_ref_errors():
    m = make_model({"A1": 5, "B1:B2": "#=SEQUENCE(2)", "C1": "=ANCHORARRAY(A1)", "C2": "=ANCHORARRAY(B2)"})
    m.calculate()
    assert m.value("C1") == XLError("#REF!")
    assert m.value("C2") == XLError("#REF!")


def test_dynamic_inside_scalar_formula():
    cells = {"A1": 3, "A2": 1, "A3": 2}
    assert evaluate_formula("INDEX(SORT(A1:A3),1)", cells) == 1.0
    assert evaluate_formula("ROWS(UNIQUE({1;1;2}))") == 2.0
    assert evaluate_formula('MATCH("banana",UNIQUE({"apple";"banana";"apple"}),0)') == 2.0


@pytest.mark.parametrize("formula", ["SORT(5)", "UNIQUE(5)", "TOCOL(5)", "TRANSPOSE(5)", "WRAPROWS(5,3)"])
def test_scalars_are_one_by_one(formula):
    assert arr(formula) == Array([[5.0]])
