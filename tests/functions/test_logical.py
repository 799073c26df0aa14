"""Logical functions (engine/functions/logical.py) and the IF-family
special forms they sit beside."""
import pytest

from engine.values import Array, XLError
from tests.formula_helpers import evaluate_array, evaluate_formula


def ev(formula, cells=None, **kw):
    return evaluate_formula(formula, cells, **kw)


def err(code):
    return XLError(code)


CELLS = {"A1": True, "B1": 1, "A2": False, "B2": 0, "A3": "TRUE", "A4": "text", "A5": "=1/0",
         "A6": '=""'}


@pytest.mark.parametrize("formula, expected", [
    ("AND(TRUE,1,-0.5)", True),
    ("AND(TRUE,0)", False),
    ("OR(FALSE,0)", False),
    ("OR(0,2)", True),
    ("XOR(TRUE,TRUE)", False),
    ("XOR(TRUE,TRUE,TRUE)", True),
    ('AND("TRUE")', True),                 # typed text converts when it is a logical
    ('OR("false")', False),
    ('AND("0")', err("#VALUE!")),          # other typed text is #VALUE!
    ('AND("x",TRUE)', err("#VALUE!")),
    ('OR("",TRUE)', True),                 # an empty string is skipped
    ('OR("")', err("#VALUE!")),
    ("AND(A1:B1)", True),
    ("AND(A1:B2)", False),
    ("XOR(A1:B1,TRUE)", True),             # TRUE, 1, TRUE: odd count
    ("OR(A3:A4)", err("#VALUE!")),         # text in a range is ignored: nothing left
    ("OR(A3:A4,FALSE)", False),
    ("AND(Z99)", err("#VALUE!")),          # a blank cell holds no logical
    ("AND(Z99,TRUE)", True),
    ("OR(A5)", err("#DIV/0!")),
    ("OR(A1,A5)", err("#DIV/0!")),
    ("AND(A6,TRUE)", True),
    ("AND({1,0})", False),
    ('OR({"a","b"})', err("#VALUE!")),
    ("AND(TRUE,)", False),                 # an empty argument counts as FALSE
    ("OR(1/0)", err("#DIV/0!")),
])
def test_and_or_xor(formula, expected):
    assert ev(formula, CELLS) == expected


def test_not_true_false():
    assert ev("NOT(TRUE)") is False
    assert ev("NOT(0)") is True
    assert ev("NOT(Z1)") is True
    assert ev('NOT("a")') == err("#VALUE!")
    assert ev("NOT(1/0)") == err("#DIV/0!")
    assert ev("TRUE()") is True
    assert ev("FALSE()") is False
    assert evaluate_array("NOT({TRUE,0})") == Array([[False, True]])


def test_and_over_array_expression():
    cells = {"A1": 1, "A2": 2, "A3": 3}
    assert evaluate_array("AND(A1:A3>0)", cells) is True
    assert evaluate_array("OR(A1:A3>2)", cells) is True
    assert evaluate_array("AND(A1:A3>1)", cells) is False


def test_iferror_ifna_ifs():
    cells = {"A1": "=NA()", "A2": "=1/0", "B1": 5}
    assert ev("IFERROR(A2,B1)", cells) == 5.0
    assert ev("IFNA(A1,B1)", cells) == 5.0
    assert ev("IFNA(A2,B1)", cells) == err("#DIV/0!")
    assert ev("IFERROR(Z9,1)", cells) == 0.0
    assert ev("IFS(FALSE,1,TRUE,2)") == 2.0
    assert ev("IFS(FALSE,1)") == err("#N/A")
    assert ev('IFS("1",1)') == err("#VALUE!")
    assert ev("IFS(A1,1,TRUE,2)", cells) == err("#N/A")
    assert ev("IFS(TRUE,1,1/0,2)") == 1.0      # later conditions are not evaluated
    assert evaluate_array("IFERROR({1,0}/{1,0},\"x\")") == Array([[1.0, "x"]])
    # IFERROR gives values, so a blank cell inside an array reads as 0
    assert evaluate_array("IFERROR(A1:A3,9)", {"A1": 1, "A3": "=1/0"}) == Array([[1.0], [0.0], [9.0]])
