"""Information functions (engine/functions/information.py)."""
import pytest

from engine.values import Array, XLError
from tests.formula_helpers import evaluate_array, evaluate_formula, make_model


def ev(formula, cells=None, **kw):
    return evaluate_formula(formula, cells, **kw)


def err(code):
    return XLError(code)


CELLS = {"A1": 1, "A2": "Hello", "A3": "=NA()", "A4": "12", "A5": True, "A6": "=1/0",
         "A7": '=""', "A8": "=1+1"}


@pytest.mark.parametrize("formula, expected", [
    ("ISNUMBER(A1)", True), ("ISNUMBER(A4)", False), ("ISNUMBER(A5)", False),
    ("ISTEXT(A2)", True), ("ISTEXT(A4)", True), ("ISTEXT(A9)", False),
    ("ISNONTEXT(A2)", False), ("ISNONTEXT(A3)", True), ("ISNONTEXT(A9)", True),
    ("ISLOGICAL(A5)", True), ("ISLOGICAL(A1)", False),
    ("ISBLANK(A9)", True), ("ISBLANK(A7)", False), ("ISBLANK(A1)", False),
    ("ISERR(A3)", False), ("ISERR(A6)", True), ("ISERROR(A3)", True), ("ISERROR(A1)", False),
    ("ISNA(A3)", True), ("ISNA(A6)", False),
    ("ISREF(A1)", True), ("ISREF(A1:B2)", True), ("ISREF(1)", False), ("ISREF(1/0)", False),
    ("ISFORMULA(A8)", True), ("ISFORMULA(A1)", False), ("ISFORMULA(A9)", False),
    ("ISFORMULA(1)", err("#VALUE!")),
])
def test_is_functions(formula, expected):
    assert ev(formula, CELLS) == expected


@pytest.mark.parametrize("value, even", [
    (2, True), (3, False), (2.3, True), (3.4, False), (-4.5, True), (-5.5, False),
    ("12", True), (None, True), (0.001, True),
])
def test_iseven_isodd(value, even):
    cells = {"A1": value} if value is not None else {}
    assert ev("ISEVEN(A1)", cells) is even
    assert ev("ISODD(A1)", cells) is (not even)


def test_iseven_errors():
    assert ev("ISEVEN(TRUE)") == err("#VALUE!")
    assert ev('ISODD("x")') == err("#VALUE!")
    assert ev("ISODD(NA())") == err("#N/A")


def test_is_functions_lift_over_arrays():
    assert evaluate_array("ISERROR({1,#N/A})") == Array([[False, True]])
    assert evaluate_array("ISNUMBER(A1:A2)", CELLS) == Array([[True], [False]])
    assert evaluate_array("ISBLANK(A8:A9)", CELLS) == Array([[False], [True]])


def test_n_type_error_type_na():
    assert ev("N(A1)", CELLS) == 1.0
    assert ev("N(A2)", CELLS) == 0.0
    assert ev("N(A4)", CELLS) == 0.0
    assert ev("N(A5)", CELLS) == 1.0
    assert ev("N(A6)", CELLS) == err("#DIV/0!")
    assert ev("TYPE(A1)", CELLS) == 1.0
    assert ev("TYPE(A9)", CELLS) == 1.0
    assert ev("TYPE(A2)", CELLS) == 2.0
    assert ev("TYPE(A5)", CELLS) == 4.0
    assert ev("TYPE(A6)", CELLS) == 16.0
    assert ev("TYPE({1,2})") == 64.0
    assert ev("TYPE(A1:A2)", CELLS) == 64.0
    assert ev("ERROR.TYPE(A6)", CELLS) == 2.0
    assert ev("ERROR.TYPE(A3)", CELLS) == 7.0
    assert ev("ERROR.TYPE(#NULL!)") == 1.0
    assert ev("ERROR.TYPE(A1)", CELLS) == err("#N/A")
    assert ev("NA()") == err("#N/A")


def test_cell():
    cells = {"A1": 3.4, "A2": "hola", "A3": True, "B5": "=CELL(\"address\",Sheet2!C3)"}
    assert ev('CELL("address",A2)', cells) == "$A$2"
    assert ev('CELL("address",B2:D4)', cells) == "$B$2"
    assert ev('CELL("col",C7:E8)', cells) == 3.0
    assert ev('CELL("ROW",A11:A21)', cells) == 11.0
    assert ev('CELL("contents",A1)', cells) == 3.4
    assert ev('CELL("contents",A1:A3)', cells) == 3.4
    assert ev('CELL("type",A1)', cells) == "v"
    assert ev('CELL("type",A2)', cells) == "l"
    assert ev('CELL("type",A3)', cells) == "v"
    assert ev('CELL("type",A9)', cells) == "b"
    assert ev('CELL("hello",A1)', cells) == err("#VALUE!")
    assert ev("CELL(2,A1)", cells) == err("#VALUE!")
    assert ev('CELL("address",1)', cells) == err("#VALUE!")
    m = make_model(cells, sheets=("Sheet1", "Sheet2"))
    m.calculate()
    assert m.value("B5") == "Sheet2!$C$3"    # an in-memory workbook has no file name


def test_cell_format_codes():
    from engine.functions.information import _format_code
    assert _format_code(None) == "G"
    assert _format_code("General") == "G"
    assert _format_code("0") == "F0"
    assert _format_code("0.00") == "F2"
    assert _format_code("#,##0") == ",0"
    assert _format_code("#,##0.00") == ",2"
    assert _format_code("$#,##0_);($#,##0)") == "C0"
    assert _format_code("$#,##0.00_);[Red]($#,##0.00)") == "C2-"
    assert _format_code("0%") == "P0"
    assert _format_code("0.00E+00") == "S2"
    assert _format_code("m/d/yy") == "D4"
    assert _format_code("d-mmm-yy") == "D1"
    assert _format_code("d-mmm") == "D2"
    assert _format_code("mmm-yy") == "D3"
    assert _format_code("mm/dd") == "D5"
    assert _format_code("h:mm AM/PM") == "D7"
    assert _format_code("h:mm:ss") == "D8"


def test_info():
    assert ev('INFO("numfile")') == 1.0
    assert ev('INFO("system")') == "pcdos"
    assert ev('INFO("nonsense")') == err("#VALUE!")
