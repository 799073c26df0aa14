"""Database functions (engine/functions/database.py)."""
import pytest

from engine.values import XLError
from tests.formula_helpers import evaluate_formula


def err(code):
    return XLError(code)


# Excel's own example (DAVERAGE help page), database in A4:E10; the criteria
# texts "=Apple" are written as formulas because the helper reads "=..." as one
TREES = {
    "A1": "Tree", "B1": "Height", "C1": "Age", "D1": "Yield", "E1": "Profit", "F1": "Height",
    "A2": '="=Apple"', "B2": ">10", "F2": "<16",
    "A3": '="=Pear"',
    "A4": "Tree", "B4": "Height", "C4": "Age", "D4": "Yield", "E4": "Profit",
    "A5": "Apple", "B5": 18, "C5": 20, "D5": 14, "E5": 105,
    "A6": "Pear", "B6": 12, "C6": 12, "D6": 10, "E6": 96,
    "A7": "Cherry", "B7": 13, "C7": 14, "D7": 9, "E7": 105,
    "A8": "Apple", "B8": 14, "C8": 15, "D8": 10, "E8": 75,
    "A9": "Pear", "B9": 9, "C9": 8, "D9": 8, "E9": 76.8,
    "A10": "Apple", "B10": 8, "C10": 9, "D10": 6, "E10": 45,
    "H1": "Tree", "H2": "*pp*", "I1": "Tree", "I2": "Ch", "J1": "Nothing", "J2": "x",
    "K1": "Tree",
}


def ev(formula, cells=TREES):
    return evaluate_formula(formula, cells)


@pytest.mark.parametrize("formula, expected", [
    ('DAVERAGE(A4:E10,"Yield",A1:B2)', 12.0),
    ("DAVERAGE(A4:E10,3,A4:E10)", 13.0),
    ('DAVERAGE(A4:E10,"Yield",F1:F2)', 8.6),
    ("DAVERAGE(A4:E10,D4,H1:H2)", 10.0),
    ('DCOUNT(A4:E10,"Age",A1:F2)', 1.0),
    ('DCOUNTA(A4:E10,"Profit",A1:F2)', 1.0),
    ('DGET(A4:E10,"Yield",A1:A3)', err("#NUM!")),        # several records
    ('DGET(A4:E10,"Yield",A1:F2)', 10.0),
    ('DGET(A4:E10,"Yield",J1:J2)', err("#VALUE!")),      # no record
    ('DMAX(A4:E10,"Profit",A1:A3)', 105.0),
    ('DMIN(A4:E10,"Profit",A1:A3)', 45.0),
    ('DPRODUCT(A4:E10,"Yield",A1:F2)', 10.0),
    ('DSUM(A4:E10,"Profit",A1:A2)', 225.0),
    ('DSUM(A4:E10,"Profit",A1:F3)', 247.8),             # OR across rows
    ('DSTDEV(A4:E10,"Yield",A1:A3)', 2.96647939483827),
    ('DSTDEVP(A4:E10,"Yield",A1:A3)', 2.65329983228432),
    ('DVAR(A4:E10,"Yield",A1:A3)', 8.8),
    ('DVARP(A4:E10,"Yield",A1:A3)', 7.04),
    ('DSUM(A4:E10,"Profit",I1:I2)', 105.0),              # plain text matches the beginning
    ('DSUM(A4:E10,"profit",K1:K2)', 502.8),              # a blank condition accepts all
    ('DSUM(A4:E10,"Profit",J1:J2)', 0.0),                # unknown criteria field: nothing
    ('DMAX(A4:E10,"Profit",J1:J2)', 0.0),
    ('DAVERAGE(A4:E10,"Profit",J1:J2)', err("#DIV/0!")),
    ('DVAR(A4:E10,"Profit",I1:I2)', err("#DIV/0!")),
    ('DSUM(A4:E10,"Nope",A1:A2)', err("#VALUE!")),
    ("DSUM(A4:E10,0,A1:A2)", err("#VALUE!")),
    ("DSUM(A4:E10,6,A1:A2)", err("#VALUE!")),
    ("DSUM(A4:E10,5.9,A1:A2)", 225.0),
    ("DSUM(A4:E10,Z1,A1:A2)", err("#VALUE!")),           # an empty field cell
    ('DSUM(A4:E4,"Profit",A1:A2)', err("#VALUE!")),      # header only
    ("DCOUNT(A4:E10,,A1:A3)", 5.0),                      # no field: count records
    ('DSUM(A4:E10,"Profit",1/0)', err("#DIV/0!")),
])
def test_database_functions(formula, expected):
    got = ev(formula)
    if isinstance(expected, float):
        assert got == pytest.approx(expected, rel=1e-12)
    else:
        assert got == expected


def test_criteria_types():
    cells = {"A1": "Name", "B1": "Flag", "C1": "N",
             "A2": "Ann", "B2": True, "C2": 1,
             "A3": "Bob", "B3": False, "C3": "=1/0",
             "A4": "Bea", "B4": True, "C4": 3,
             "E1": "Flag", "E2": True, "F1": "Name", "F2": "<>Bob", "G1": "name", "G2": '="=b*"',
             "H1": "N", "H2": ">=2"}
    assert evaluate_formula('DCOUNTA(A1:C4,"Name",E1:E2)', cells) == 2.0
    assert evaluate_formula('DSUM(A1:C4,"N",F1:F2)', cells) == 4.0
    assert evaluate_formula('DSUM(A1:C4,"N",G1:G2)', cells) == err("#DIV/0!")   # errors propagate
    assert evaluate_formula('DCOUNT(A1:C4,"N",G1:G2)', cells) == 1.0
    assert evaluate_formula('DCOUNTA(A1:C4,"N",G1:G2)', cells) == 2.0
    assert evaluate_formula('DGET(A1:C4,"Name",H1:H2)', cells) == "Bea"
