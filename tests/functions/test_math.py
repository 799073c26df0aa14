"""Math & trigonometry functions (engine/functions/math.py)."""
import math

import numpy as np
import pytest

from engine.values import Array, XLError
from tests.formula_helpers import evaluate_array, evaluate_formula, make_model


def ev(formula, cells=None, **kw):
    return evaluate_formula(formula, cells, **kw)


def err(code):
    return XLError(code)


def check(formula, expected, cells=None):
    got = ev(formula, cells)
    if isinstance(expected, float) and not isinstance(expected, bool):
        assert isinstance(got, float), (formula, got)
        assert math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-15), (formula, got, expected)
    else:
        assert got == expected, (formula, got, expected)


MIXED = {"A1": 1.0, "A2": "2", "A3": True, "A4": 4.0, "A5": None}


# --- aggregates --------------------------------------------------------------------

@pytest.mark.parametrize("formula, expected", [
    ("SUM(A1:A5)", 5.0),                 # text and booleans in ranges are skipped
    ('SUM(A1,"2",TRUE)', 4.0),           # typed arguments are coerced
    ('SUM("x")', err("#VALUE!")),
    ("SUM(1/0,2)", err("#DIV/0!")),
    ("SUM(0.1,0.2)", 0.30000000000000004),
    ("PRODUCT(A1:A5)", 4.0),
    ("PRODUCT(A2:A3)", 0.0),             # no number at all
    ("SUMSQ(A1:A5,3)", 26.0),
    ("SUMSQ(2E+154)", err("#NUM!")),
])
def test_sum_product_sumsq(formula, expected):
    check(formula, expected, MIXED)


def test_sumproduct():
    cells = {"A1": 1, "A2": 2, "A3": "x", "B1": 3, "B2": 4, "B3": 5}
    check("SUMPRODUCT(A1:A3,B1:B3)", 11.0, cells)
    check("SUMPRODUCT({1,2,3},{4,-2,-4})", -12.0)
    check("SUMPRODUCT((A1:A3>1)*B1:B3)", 9.0, cells)          # array-evaluated argument
    check("SUMPRODUCT(A1:A3,B1:B2)", err("#VALUE!"), cells)
    check("SUMPRODUCT(A1:A2,{1;#N/A})", err("#N/A"), cells)


def test_sumx_family():
    cells = {"A1": 1, "A2": 3, "A3": 3, "B1": 4.4, "B2": 5, "B3": 6}
    check("SUMX2MY2(A1:A3,B1:B3)", 1 + 9 + 9 - 4.4 ** 2 - 25 - 36, cells)
    check("SUMX2PY2(A1:A3,B1:B3)", 1 + 9 + 9 + 4.4 ** 2 + 25 + 36, cells)
    check("SUMXMY2(A1:A3,B1:B3)", 3.4 ** 2 + 4 + 9, cells)
    check("SUMX2MY2(A1:A3,{1,2,3})", 5.0, cells)               # paired in row-major order
    check("SUMX2MY2(A1:A3,{1,2})", err("#N/A"), cells)


SALES = {"A1": "red", "A2": "BLUE", "A3": "dark blue", "A4": "blue", "A5": 7,
         "B1": 13, "B2": 17, "B3": 5, "B4": "n/a", "B5": "=1/0"}


@pytest.mark.parametrize("formula, expected", [
    ('SUMIF(A1:A5,"blue",B1:B5)', 17.0),          # case-insensitive; text in sum range ignored
    ('SUMIF(A1:A5,"*blue",B1:B5)', 22.0),
    ('SUMIF(A1:A5,"red",B1)', 13.0),               # sum_range resized from its top-left
    ('SUMIF(A1:A5,7,B1:B5)', err("#DIV/0!")),      # a matched error propagates
    ('SUMIF(B1:B3,">10")', 30.0),
    ('SUMIFS(B1:B5,A1:A5,"*blue*",B1:B5,">10")', 17.0),
    ('SUMIFS(B1:B4,A1:A5,"red")', err("#VALUE!")), # ranges of different shapes
    ('SUMIFS(B1:B5,A1:A5,"green")', 0.0),
])
def test_sumif_sumifs(formula, expected):
    check(formula, expected, SALES)


def test_sumif_array_criteria_spills():
    got = evaluate_array('SUMIF(A1:A5,{"red";"blue"},B1:B5)', SALES)
    assert got == Array([[13.0], [17.0]])


# --- rounding ------------------------------------------------------------------------

@pytest.mark.parametrize("formula, expected", [
    ("ROUND(2.675,2)", 2.68),            # 15-digit decimal, not the binary value
    ("ROUND(1.005,2)", 1.01),
    ("ROUND(-2.5,0)", -3.0),
    ("ROUND(1234567,-3)", 1235000.0),
    ("ROUND(1.745,2.7)", 1.75),          # digits truncated
    ("ROUND(1.1234E-07,3)", 0.0),
    ("ROUNDUP(0.1+0.2,1)", 0.3),
    ("ROUNDUP(-2.345,1)", -2.4),
    ("ROUNDUP(1.745,-10)", 1e10),
    ("ROUNDDOWN(1.745,2)", 1.74),
    ("ROUNDDOWN(-123456,-3)", -123000.0),
    ("TRUNC(-7.99)", -7.0),
    ("TRUNC(PI(),1)", 3.1),
    ('ROUND(1.745,"x")', err("#VALUE!")),
    ("INT(-7.2)", -8.0),
    ("INT(-8.00001)", -9.0),
    ("MROUND(10,3)", 9.0),
    ("MROUND(2.675,0.01)", 2.68),
    ("MROUND(-7.5,-5)", -10.0),
    ("MROUND(-7.5,5)", err("#NUM!")),
    ("MROUND(5,0)", 0.0),
    ("MROUND(TRUE,2)", err("#VALUE!")),  # Analysis ToolPak: no booleans
    ("MROUND(,5)", err("#N/A")),
    ("EVEN(-2.1)", -4.0), ("EVEN(0)", 0.0), ("ODD(0)", 1.0), ("ODD(-1.2)", -3.0), ("ODD(6.4)", 7.0),
])
def test_rounding(formula, expected):
    check(formula, expected)


@pytest.mark.parametrize("formula, expected", [
    ("FLOOR(7.1,0.1)", 7.1000000000000005),   # quotient taken to 15 digits first
    ("FLOOR(-10,7)", -14.0),
    ("FLOOR(-7.1,-1)", -7.0),
    ("FLOOR(10,-1)", err("#NUM!")),
    ("FLOOR(10,0)", err("#DIV/0!")),
    ("FLOOR(0,0)", 0.0),
    ("CEILING(-10,PI())", -3 * math.pi),
    ("CEILING(-2.5,-2)", -4.0),
    ("CEILING(10,0)", 0.0),
    ("CEILING(10,-1)", err("#NUM!")),
    ("FLOOR.PRECISE(-7.1,-1)", -8.0),
    ("CEILING.PRECISE(-7.1,-1)", -7.0),
    ("ISO.CEILING(7.1)", 8.0),
    ("FLOOR.MATH(-7.1)", -8.0),
    ("FLOOR.MATH(-7.1,1,1)", -7.0),
    ("CEILING.MATH(-7.1)", -7.0),
    ("CEILING.MATH(-7.1,2,1)", -8.0),
    ("CEILING.MATH(7.1,0)", 0.0),
])
def test_floor_ceiling(formula, expected):
    check(formula, expected)


# --- arithmetic ------------------------------------------------------------------------

@pytest.mark.parametrize("formula, expected", [
    ("ABS(-1E-08)", 1e-08), ('ABS("x")', err("#VALUE!")), ("SIGN(-0.5)", -1.0), ("SIGN(0)", 0.0),
    ("MOD(-5,2)", 1.0), ("MOD(5,-2)", -1.0), ("MOD(10.2,10)", 0.1999999999999993),
    ("MOD(3,0)", err("#DIV/0!")), ("MOD(TRUE,TRUE)", 0.0),
    ("QUOTIENT(-5,2)", -2.0), ("QUOTIENT(5,0)", err("#DIV/0!")), ("QUOTIENT(TRUE,1)", err("#VALUE!")),
    ("GCD(24,36,12.9)", 12.0), ("LCM(4,6)", 12.0), ("GCD(0,0)", 0.0), ("LCM(4,0)", 0.0),
    ("GCD(-1,2)", err("#NUM!")), ('GCD({4,"8",12})', 4.0), ("GCD({4,TRUE})", err("#VALUE!")),
    ("LCM(,5)", err("#N/A")), ("LCM(2^31-1,2^30-1)", err("#NUM!")), ("GCD(1E+100,5)", err("#NUM!")),
    ("POWER(2,10)", 1024.0), ("POWER(0,0)", err("#NUM!")), ("POWER(0,-1)", err("#DIV/0!")),
    ("POWER(-2,0.5)", err("#NUM!")), ("POWER(-8,1/3)", -2.0), ("POWER(10,400)", err("#NUM!")),
    ("SQRT(-1)", err("#NUM!")), ("SQRTPI(25)", math.sqrt(25 * math.pi)), ("SQRTPI(TRUE)", err("#VALUE!")),
    ("EXP(1)", math.e), ("EXP(1000)", err("#NUM!")), ("LN(0)", err("#NUM!")), ("LOG10(1000)", 3.0),
    ("LOG(8,2)", 3.0), ("LOG(10,1)", err("#DIV/0!")), ("LOG(10,0)", err("#NUM!")), ("LOG(-1)", err("#NUM!")),
    ("PI()", math.pi),
])
def test_arithmetic(formula, expected):
    check(formula, expected)


def test_gcd_lcm_blank_cells():
    cells = {"B1": 5, "G1": None}
    check("LCM(A1,B1,C1)", 5.0, cells)            # referenced empty cells are skipped
    check("LCM(A1,C1)", err("#VALUE!"), cells)    # ... and nothing left is #VALUE!
    check("LCM(A1:B1)", 0.0, cells)               # inside a range an empty cell is 0
    check("GCD(A1:B1)", 5.0, cells)


# --- trigonometry ----------------------------------------------------------------------

@pytest.mark.parametrize("formula, expected", [
    ("SIN(PI())", 1.22514845490862e-16),      # Excel's x87 argument reduction
    ("COS(0)", 1.0), ("TAN(1)", math.tan(1)), ("SIN(2^27)", err("#NUM!")),
    ("COT(PI()-1E-12)", -999788629259.2037), ("SEC(PI()/2-1E-12)", 999849864538.9548),
    ("CSC(0)", err("#DIV/0!")), ("COT(0)", err("#DIV/0!")), ("SEC(0)", 1.0),
    ("ASIN(2)", err("#NUM!")), ("ACOS(-0.5)", 2 * math.pi / 3), ("ATAN(1)", math.pi / 4),
    ("ATAN2(-1,1)", 3 * math.pi / 4), ("ATAN2(0,0)", err("#DIV/0!")),
    ("ACOT(-1)", 3 * math.pi / 4), ("ACOTH(2)", 0.5493061443340549), ("ACOTH(0.5)", err("#NUM!")),
    ("SINH(1)", math.sinh(1)), ("COSH(1000)", err("#NUM!")), ("TANH(100)", 1.0),
    ("COTH(0)", err("#DIV/0!")), ("CSCH(1E+13)", 0.0), ("SECH(-10)", 1 / math.cosh(10)),
    ("ASINH(5)", math.asinh(5)), ("ACOSH(0.5)", err("#NUM!")), ("ATANH(1)", err("#NUM!")),
    ("DEGREES(PI())", 180.0), ("RADIANS(180)", math.pi),
])
def test_trigonometry(formula, expected):
    check(formula, expected)


# --- combinatorics and series --------------------------------------------------------

@pytest.mark.parametrize("formula, expected", [
    ("FACT(4.5)", 24.0), ("FACT(-1)", err("#NUM!")), ("FACT(171)", err("#NUM!")),
    ("FACTDOUBLE(7)", 105.0), ("FACTDOUBLE(-1)", err("#NUM!")),
    ("COMBIN(5,2)", 10.0), ("COMBIN(3,10)", err("#NUM!")), ("COMBIN(1000,200)", 6.617155560659313e+215),
    ("COMBIN(1E+15,5E+14)", err("#NUM!")),
    ("COMBINA(3,10)", 66.0), ("COMBINA(0,0)", 1.0), ("COMBINA(0,5)", err("#NUM!")),
    ("MULTINOMIAL(1,2,3)", 60.0), ("MULTINOMIAL({2,5,7})", 72072.0), ("MULTINOMIAL(-1,2)", err("#NUM!")),
    ("MULTINOMIAL(TRUE,1)", err("#VALUE!")),
    ("SERIESSUM(2,0,1,{1,2,3})", 17.0), ("SERIESSUM(0.5,1,2,{2,2,2})", 1.3125),
    ("SERIESSUM(0,0,2,{1,2,3})", err("#NUM!")), ("SERIESSUM(TRUE,0,1,{1})", err("#VALUE!")),
])
def test_combinatorics(formula, expected):
    check(formula, expected)


# --- number systems ----------------------------------------------------------------------

@pytest.mark.parametrize("n, forms", [
    (499, ["CDXCIX", "LDVLIV", "XDIX", "VDIV", "ID"]),
    (99, ["XCIX", "VCIV", "IC", "IC", "IC"]),
    (2596, ["MMDXCVI", "MMDVCI", "MMDVCI", "MMDVCI", "MMDVCI"]),
    (3999, ["MMMCMXCIX", "MMMLMVLIV", "MMMXMIX", "MMMVMIV", "MMMIM"]),
])
def test_roman_forms(n, forms):
    for f, expected in enumerate(forms):
        assert ev(f"ROMAN({n},{f})") == expected
    assert ev(f"ROMAN({n},TRUE)") == forms[0] and ev(f"ROMAN({n},FALSE)") == forms[4]


@pytest.mark.parametrize("formula, expected", [
    ("ROMAN(0)", ""), ("ROMAN(4000)", err("#VALUE!")), ("ROMAN(-1)", err("#VALUE!")),
    ("ROMAN(5,5)", err("#VALUE!")), ('ROMAN(16,"2")', "XVI"),
    ('ARABIC("mcmxcix")', 1999.0), ('ARABIC("IM")', 999.0), ('ARABIC("XIXI")', 20.0),
    ('ARABIC("-X")', -10.0), ('ARABIC("")', 0.0), ('ARABIC("A")', err("#VALUE!")), ("ARABIC(TRUE)", err("#VALUE!")),
    ("BASE(255,16)", "FF"), ("BASE(16,7,20)", "00000000000000000022"), ("BASE(12.567,2)", "1100"),
    ("BASE(-1,2)", err("#NUM!")), ("BASE(10,37)", err("#NUM!")), ("BASE(10,2,256)", err("#NUM!")),
    ('DECIMAL("21i3v9",36)', 123456789.0), ('DECIMAL("12",2)', err("#NUM!")), ('DECIMAL("1",37)', err("#NUM!")),
])
def test_number_systems(formula, expected):
    check(formula, expected)


# --- matrices ------------------------------------------------------------------------------

def test_matrices():
    assert evaluate_array("MMULT({1,2;3,4},{5,6;7,8})") == Array([[19.0, 22.0], [43.0, 50.0]])
    assert ev("MMULT({1,2},{1,2})") == err("#VALUE!")                  # 1x2 by 1x2
    assert evaluate_array("MMULT(A1:B1,A1:A2)", {"A1": 1, "B1": 2, "A2": "x"}) == err("#VALUE!")
    assert evaluate_array("MMULT(A1:B1,{1;2})", {"A1": "=NA()", "B1": 2}) == err("#N/A")
    check("MDETERM({1,2,3;3,4,-2;2,3.5,6})", -5.5)
    assert ev("MDETERM({1,2})") == err("#VALUE!")
    inv = evaluate_array("MINVERSE({4,7;2,6})")
    assert np.allclose(np.array(inv.data), [[0.6, -0.7], [-0.2, 0.4]])
    assert evaluate_array("MINVERSE({1,2;2,4})") == err("#NUM!")
    assert evaluate_array("MUNIT(2)") == Array([[1.0, 0.0], [0.0, 1.0]])
    assert evaluate_array("MUNIT(0.5)") == err("#VALUE!")


# --- SUBTOTAL and AGGREGATE --------------------------------------------------------------

def _hidden_model(cells, hidden_rows):
    m = make_model(cells)
    m.wb.sheets[0].hidden_rows.update(hidden_rows)
    m.calculate()
    return m


def test_subtotal_hidden_rows_and_nested():
    m = _hidden_model({
        "A1": 1, "A2": 2, "A3": "=SUBTOTAL(9,A1:A2)", "A4": 10,
        "B1": "=SUBTOTAL(9,A1:A4)", "B2": "=SUBTOTAL(109,A1:A4)", "B3": "=SUBTOTAL(1,A1:A4)",
        "B4": "=SUBTOTAL(2,A1:A4)", "B5": "=SUBTOTAL(4,A1:A4)", "B6": "=SUBTOTAL(12,A1:A4)",
        "B7": "=SUBTOTAL(103,A1:A4)",
    }, {2})
    assert m.value("A3") == 3.0               # 1-11 keep hidden rows
    assert m.value("B1") == 13.0              # the nested SUBTOTAL in A3 is left out
    assert m.value("B2") == 11.0              # 109 also skips hidden row 2
    assert m.value("B3") == pytest.approx(13 / 3)
    assert m.value("B4") == 3.0 and m.value("B5") == 10.0 and m.value("B7") == 2.0
    assert m.value("B6") == err("#VALUE!")


def test_aggregate_options():
    m = _hidden_model({
        "A1": 1, "A2": "=1/0", "A3": 3, "A4": 7, "A5": "=AGGREGATE(9,6,A1:A4)",
        "B1": "=AGGREGATE(9,0,A1:A5)", "B2": "=AGGREGATE(9,6,A1:A5)", "B3": "=AGGREGATE(9,7,A1:A5)",
        "B4": "=AGGREGATE(14,6,A1:A4,2)", "B5": "=AGGREGATE(15,6,A1:A4,4)", "B6": "=AGGREGATE(12,3,A1:A5)",
        "B7": "=AGGREGATE(16,6,A1:A4,0.5)", "B8": "=AGGREGATE(4,2,A1:A5)", "B9": "=AGGREGATE(20,0,A1)",
    }, {3})
    assert m.value("A5") == 11.0
    assert m.value("B1") == err("#DIV/0!")
    assert m.value("B2") == 22.0                   # errors skipped, nested AGGREGATE counted
    assert m.value("B3") == 19.0                   # ... and hidden row 3 skipped
    assert m.value("B4") == 3.0
    assert m.value("B5") == err("#NUM!")
    assert m.value("B6") == 4.0                    # median of 1 and 7
    assert m.value("B7") == 3.0
    assert m.value("B8") == 7.0
    assert m.value("B9") == err("#VALUE!")


# --- random and Monte Carlo vectors ----------------------------------------------------------

def test_randbetween():
    for _ in range(20):
        v = ev("RANDBETWEEN(1.5,3.5)")
        assert v in (2.0, 3.0)
    assert ev("RANDBETWEEN(5,1)") == err("#NUM!")
    assert 0 <= ev("RAND()") < 1


def test_vector_implementations_match_scalar():
    formulas = ["ROUND(A1,1)", "ROUNDUP(A1,-1)", "TRUNC(A1)", "MOD(A1,A2)", "SQRT(A1)", "POWER(A2,1.5)",
                "EVEN(A1)", "ODD(A1)", "INT(A1)", "SIN(A1)", "ATAN2(A1,A2)", "SUM(A1:A2,5)",
                "PRODUCT(A1:A2)", "SUMSQ(A1:A2)", "MOD(A1,0)"]
    cells = {"A1": "=GF.UNIFORM(-10,10)", "A2": "=GF.UNIFORM(0,3)",
             "D1": "=GF.OUTPUT(A1)", "D2": "=GF.OUTPUT(A2)"}
    for i, f in enumerate(formulas, 1):
        cells[f"B{i}"] = "=" + f
        cells[f"C{i}"] = f"=GF.OUTPUT(B{i})"
    r = make_model(cells).simulate(300, seed=4)
    a1, a2 = r.output("Sheet1!D1").values, r.output("Sheet1!D2").values
    for i, f in enumerate(formulas, 1):
        got = r.output(f"Sheet1!C{i}").values
        for j in range(0, 300, 37):
            want = ev(f, {"A1": float(a1[j]), "A2": float(a2[j])})
            if isinstance(want, XLError):
                assert not np.isfinite(got[j]), (f, j)
            else:
                assert math.isclose(got[j], want, rel_tol=1e-9, abs_tol=1e-12), (f, a1[j], a2[j], got[j], want)


def test_conditional_sums_and_subtotal_over_scenario_values():
    m = make_model({
        "A1": "a", "A2": "b", "A3": "a",
        "B1": "=GF.UNIFORM(0,1)", "B2": "=GF.UNIFORM(0,1)", "B3": 5, "B4": "=SUBTOTAL(9,B1:B3)",
        "C1": '=SUMIF(A1:A3,"a",B1:B3)', "C2": '=SUMIFS(B1:B3,B1:B3,">0.5")', "C3": "=SUBTOTAL(9,B1:B4)",
        "C4": "=SUBTOTAL(4,B1:B4)",
        "D1": "=GF.OUTPUT(C1)", "D2": "=GF.OUTPUT(C2)", "D3": "=GF.OUTPUT(C3)", "D4": "=GF.OUTPUT(C4)",
        "E1": "=GF.OUTPUT(B1)", "E2": "=GF.OUTPUT(B2)",
    })
    r = m.simulate(500, seed=1)
    b1, b2 = r.output("Sheet1!E1").values, r.output("Sheet1!E2").values
    assert np.allclose(r.output("Sheet1!D1").values, b1 + 5)
    assert np.allclose(r.output("Sheet1!D2").values, np.where(b1 > 0.5, b1, 0) + np.where(b2 > 0.5, b2, 0) + 5)
    assert np.allclose(r.output("Sheet1!D3").values, b1 + b2 + 5)     # nested SUBTOTAL left out
    assert np.allclose(r.output("Sheet1!D4").values, 5.0)
