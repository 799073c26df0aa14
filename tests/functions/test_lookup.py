"""Lookup & reference functions (engine/functions/lookup.py)."""
import pytest

from engine.values import BLANK, Array, XLError
from tests.formula_helpers import evaluate_array, evaluate_formula, make_model


def ev(formula, cells=None, **kw):
    return evaluate_formula(formula, cells, **kw)


def err(code):
    return XLError(code)


CITIES = {"A1": "Albacete", "A2": "Aranda", "A3": "Berlin", "A4": "Madrid", "A5": "Zimbawe",
          "B1": 1, "B2": 2, "B3": 3, "B4": 4, "B5": 5,
          "C1": "banana", "C2": "alca", "C3": "apple", "C4": "orange", "C5": "done"}

ORDERED = {"A1": "Alpha", "A2": "Beta", "A3": "Delta", "A4": "Delta", "A5": "Gamma", "A6": "Omega"}


# --- VLOOKUP / HLOOKUP -----------------------------------------------------------

@pytest.mark.parametrize("formula, expected", [
    ('VLOOKUP("Berlin",A1:C5,3)', "apple"),
    ('VLOOKUP("Cuenca",A1:C5,3)', "apple"),          # approximate: last <= lookup
    ('VLOOKUP("cuenca",A1:C5,2,FALSE)', err("#N/A")),
    ('VLOOKUP("madrid",A1:C5,2,FALSE)', 4.0),       # case-insensitive
    ('VLOOKUP("*mba*",A1:C5,3,FALSE)', "done"),      # wildcards in exact mode
    ('VLOOKUP("?erlin",A1:C5,2,0)', 3.0),
    ('VLOOKUP(23,A1:C5,1)', err("#N/A")),             # numbers never match text
    ('VLOOKUP("Berlin",A1:C5,10)', err("#REF!")),
    ('VLOOKUP("Berlin",A1:C5,0)', err("#VALUE!")),
    ('VLOOKUP("Berlin",A1:C5,1/0)', err("#DIV/0!")),
    ('VLOOKUP(1/0,A1:C5,1)', err("#DIV/0!")),
    ('VLOOKUP("Aranda","Nothing",1)', err("#VALUE!")),
    ('VLOOKUP("Aranda",3,1)', err("#N/A")),
    ('VLOOKUP(2,{1,"a";2,"b";3,"c"},2,FALSE)', "b"),
])
def test_vlookup(formula, expected):
    assert ev(formula, CITIES) == expected


def test_hlookup():
    cells = {"A1": 1, "B1": 2, "C1": 3, "A2": "a", "B2": "b", "C2": "c"}
    assert ev("HLOOKUP(2,A1:C2,2,FALSE)", cells) == "b"
    assert ev("HLOOKUP(2.5,A1:C2,2)", cells) == "b"
    assert ev("HLOOKUP(0.5,A1:C2,2)", cells) == err("#N/A")
    assert ev("HLOOKUP(2,A1:C2,3)", cells) == err("#REF!")
    assert ev('HLOOKUP(3,SEQUENCE(2,3),2)') == 6.0


def test_vlookup_blank_result_and_lifting():
    cells = {"A1": "x", "A2": "y", "B1": 1}
    assert ev('VLOOKUP("y",A1:B2,2,FALSE)', cells) == 0.0    # a blank cell reads as 0
    assert evaluate_array('VLOOKUP({"x";"y"},A1:B2,1,FALSE)', cells) == Array([["x"], ["y"]])


# --- MATCH / LOOKUP ---------------------------------------------------------------

@pytest.mark.parametrize("formula, expected", [
    ('MATCH("alpha",A1:A6)', 1.0),
    ('MATCH("delta",A1:A6)', 4.0),     # approximate: the last of equal values
    ('MATCH("delta",A1:A6,0)', 3.0),   # exact: the first
    ('MATCH("a",A1:A6)', err("#N/A")),
    ('MATCH(0,A1:A6)', err("#N/A")),
    ('MATCH("zz",A1:A6)', 6.0),
    ('MATCH("g*",A1:A6,0)', 5.0),
    ('MATCH("?eta",A1:A6,0)', 2.0),
    ('MATCH("omega",A1:A6,-1)', err("#N/A")),
    ('MATCH("b",A1:B2)', err("#N/A")),   # not a vector
])
def test_match(formula, expected):
    assert ev(formula, ORDERED) == expected


def test_match_numbers_and_types():
    cells = {"B2": 25, "B3": 28, "B4": 40, "B5": 41}
    assert ev("MATCH(39,B2:B5,1)", cells) == 2.0
    assert ev("MATCH(41,B2:B5,0)", cells) == 4.0
    assert ev("MATCH(40,B2:B5,-1)", cells) == err("#N/A")
    assert ev("MATCH(45,{50,40,30},-1)") == 1.0
    assert ev("MATCH(35,{50,40,30},-1)") == 2.0
    # exact matches respect types: "13" is not 13, TRUE is not "TRUE", "" is no blank
    assert ev('MATCH(13,{"13",1},0)') == err("#N/A")
    assert ev('MATCH("TRUE",{TRUE,1},0)') == err("#N/A")
    assert ev('MATCH("",A1:A2,0)', {"A2": 1}) == err("#N/A")
    assert ev('MATCH("*~?",{"a","Q?","b"},0)') == 2.0
    assert ev("MATCH(7,SEQUENCE(10),0)") == 7.0


def test_lookup_forms():
    assert ev("LOOKUP(3,{1,2,3,4,5},{10,20,30,40,50})") == 30.0
    assert ev("LOOKUP(7.5,SEQUENCE(10))") == 7.0
    assert ev('LOOKUP("b",{"a","b","c";1,2,3})') == 2.0      # wide: first row, last row
    assert ev("LOOKUP(0,{1,2,3})") == err("#N/A")
    # the classic LOOKUP(2,1/(cond),values) idiom evaluates its vectors as arrays
    cells = {"A1": "x", "A2": "y", "A3": "x", "B1": 1, "B2": 2, "B3": 3}
    assert ev('LOOKUP(2,1/(A1:A3="x"),B1:B3)', cells) == 3.0


# --- XLOOKUP / XMATCH -------------------------------------------------------------

XL = {"A1": 2, "A2": 5, "A3": 4, "A4": 5, "A5": 3, "A6": True, "A7": "ala",
      "B1": "a", "B2": "b", "B3": "c", "B4": "d", "B5": "e", "B6": "f", "B7": "g"}


@pytest.mark.parametrize("formula, expected", [
    ("XLOOKUP(5,A1:A7,B1:B7)", "b"),
    ("XLOOKUP(5,A1:A7,B1:B7,,,-1)", "d"),
    ('XLOOKUP(10,A1:A7,B1:B7,"none")', "none"),
    ("XLOOKUP(10,A1:A7,B1:B7)", err("#N/A")),
    ("XLOOKUP(4.8,A1:A7,B1:B7,,-1)", "c"),           # next smaller
    ("XLOOKUP(1.8,A1:A7,B1:B7,,-1)", err("#N/A")),
    ("XLOOKUP(4.8,A1:A7,B1:B7,,1)", "b"),            # next larger
    ("XLOOKUP(4.8,A1:A7,B1:B7,,1,-1)", "d"),
    ("XLOOKUP(10,A1:A7,B1:B7,,1)", "g"),             # text sorts after numbers
    ('XLOOKUP("qwerty",A1:A7,B1:B7,,1)', "f"),       # logicals after text
    ("XLOOKUP(FALSE,A1:A7,B1:B7,,-1)", "g"),
    ('XLOOKUP("a*",A1:A7,B1:B7,,2)', "g"),
    ('XLOOKUP("a*",A1:A7,B1:B7)', err("#N/A")),      # no wildcards in exact mode
    ("XLOOKUP(5,A1:A7,B1:B7,,0,3)", err("#VALUE!")),
    ("XLOOKUP(5,A1:A7,B1:B7,,5)", err("#VALUE!")),
    ("XLOOKUP(5,A1:A7,B1:B5)", err("#VALUE!")),      # sizes differ
    ("XLOOKUP(5,A1:A7,TRUE)", err("#VALUE!")),
    ("XLOOKUP(1/0,A1:A7,B1:B7)", err("#DIV/0!")),
])
def test_xlookup(formula, expected):
    assert ev(formula, XL) == expected


def test_xlookup_binary_search():
    asc = {f"A{i + 1}": v for i, v in enumerate([1, 2, 3, 4, 5, 5, 5, 6, 7, 7, 7, 8, 9])}
    asc.update({f"B{i + 1}": chr(97 + i) for i in range(13)})
    assert ev("XLOOKUP(5,A1:A13,B1:B13,,0,2)", asc) == "e"        # first of the equal values
    assert ev("XLOOKUP(7.1,A1:A13,B1:B13,,-1,2)", asc) == "k"     # last value below
    assert ev("XLOOKUP(7.1,A1:A13,B1:B13,,1,2)", asc) == "l"
    assert ev("XLOOKUP(10,A1:A13,B1:B13,,1,2)", asc) == err("#N/A")
    assert ev('XLOOKUP("a",A1:A13,B1:B13,,-1,2)', asc) == "m"     # text after numbers
    desc = {f"A{i + 1}": v for i, v in enumerate([9, 8, 7, 7, 7, 6, 5, 5, 5, 4, 3, 2, 1])}
    desc.update({f"B{i + 1}": chr(97 + i) for i in range(13)})
    assert ev("XLOOKUP(5,A1:A13,B1:B13,,0,-2)", desc) == "i"      # last of the equal values
    assert ev("XLOOKUP(7.1,A1:A13,B1:B13,,-1,-2)", desc) == "c"
    assert ev("XLOOKUP(7.1,A1:A13,B1:B13,,1,-2)", desc) == "b"
    assert ev('XLOOKUP("a*",A1:A13,B1:B13,,2,2)', desc) == err("#VALUE!")


def test_xlookup_returns_references_and_rows():
    cells = {"A1": 1, "A2": 2, "A3": 3, "B1": 10, "B2": 20, "B3": 30, "C1": 100, "C2": 200, "C3": 300}
    assert ev("SUMPRODUCT(XLOOKUP(1,A1:A3,B1:B3):XLOOKUP(3,A1:A3,B1:B3))", cells) in (60.0, err("#NAME?"))
    assert ev("ROW(XLOOKUP(2,A1:A3,B1:B3))", cells) == 2.0
    assert evaluate_array("XLOOKUP(2,A1:A3,B1:C3)", cells) == Array([[20.0, 200.0]])
    assert evaluate_array("XLOOKUP(20,B1:C1,B2:C3)", {"B1": 10, "C1": 20, "B2": 1, "C2": 2,
                                                     "B3": 3, "C3": 4}) == Array([[2.0], [4.0]])
    # an empty lookup value finds an empty cell
    assert ev('XLOOKUP(D1,A1:A4,B1:B4,"none")', {"A1": 1, "A2": 2, "A3": 3, "B1": 5, "B4": 7}) == 7.0


def test_xmatch():
    assert ev('XMATCH("banana",{"apple","banana","cherry"})') == 2.0
    assert ev("XMATCH(35,{10,20,30,40,50},1)") == 4.0
    assert ev("XMATCH(35,{10,20,30,40,50},-1)") == 3.0
    assert ev("XMATCH(20,{10,20,20,30},0,-1)") == 3.0
    assert ev("XMATCH(25,{50,40,30,20,10},-1,-2)") == 4.0
    assert ev("XMATCH(2,{1,2;3,4})") == err("#VALUE!")
    assert ev("XMATCH(99,{10,20,30})") == err("#N/A")
    cells = {"A1": "Germany", "A2": "Italy"}
    assert ev('XMATCH("[A-Z][a-z]+y",A1:A2,3,-1)', cells) == 2.0


# --- INDEX / OFFSET / INDIRECT -------------------------------------------------------

def test_index_arrays():
    assert ev("INDEX({1,2,3},2)") == 2.0
    assert ev('INDEX({1,2,3,4,5;"a","b","c","d","e"},2,2)') == "b"
    assert evaluate_array("INDEX({1,2,3;4,5,6},1)") == Array([[1.0, 2.0, 3.0]])
    assert evaluate_array("INDEX({1,2,3;4,5,6},0,1)") == Array([[1.0], [4.0]])
    assert evaluate_array("INDEX({1,2;3,4},,1)") == Array([[1.0], [3.0]])
    assert evaluate_array("INDEX({1,2,3,4},,)") == Array([[1.0, 2.0, 3.0, 4.0]])
    assert ev("INDEX({1,2,3;4,5,6},-1,1)") == err("#VALUE!")
    assert ev("INDEX({1,2,3},1,4)") == err("#REF!")
    assert ev("INDEX({1,2,3},1,0,2)") == err("#REF!")
    assert evaluate_array("INDEX({1,2,3;4,5,6},{1;2},2)") == Array([[2.0], [5.0]])


def test_index_references():
    cells = {"A1": 1, "A2": 2, "A3": 3, "B1": 10, "B2": 20, "B3": 30}
    assert ev("INDEX(A1:B3,3,2)", cells) == 30.0
    assert ev("ROW(INDEX(A1:B3,3,2))", cells) == 3.0
    assert ev("COLUMN(INDEX(A1:B3,1,2))", cells) == 2.0
    assert ev("ROWS(INDEX(A1:B3,0,2))", cells) == 3.0
    assert ev("COLUMNS(INDEX(A1:B3,2,0))", cells) == 2.0
    assert ev("INDEX((A1:A3,B1:B3),2,1,2)", cells) == 20.0
    assert ev("INDEX((A1:A3,B1:B3),2,1,3)", cells) == err("#REF!")
    assert ev("INDEX(A:A,2)", cells) == 2.0
    assert ev("INDEX(A:A,5000)", cells) == 0.0           # past the used area, still a cell
    assert ev("INDEX(A1:A3*2,3)", cells) == 6.0           # the array argument is array-evaluated


def test_index_range_operator():
    cells = {"A1": 1, "A2": 2, "A3": 3, "A4": 4}
    m = make_model({**cells, "C1": "=ROWS(INDEX(A1:A4,2):INDEX(A1:A4,4))"})
    m.calculate()
    assert m.value("C1") == 3.0


def test_offset():
    cells = {"A1": 5, "D4": 88, "C3": 77, "B2": 1, "A3": 7, "A4": 5, "A5": -3, "B5": 2}
    assert ev("OFFSET(A1,3,3)", cells) == 88.0
    assert ev("OFFSET(D4,-2.3,-2.8)", cells) == 1.0           # truncated toward zero
    assert ev("ROWS(OFFSET(A1,5,5,13,30))", cells) == 13.0
    assert ev("COLUMNS(OFFSET(A1,0,0,2.3,3.9))", cells) == 3.0
    assert ev("ROW(OFFSET(A5,0,0,-3,1))", cells) == 3.0        # a negative height reaches up
    assert ev("OFFSET(A1,0,0,0,1)", cells) == err("#REF!")
    assert ev("OFFSET(A1,-2,0)", cells) == err("#REF!")
    assert ev("OFFSET(5,1,1)", cells) == err("#VALUE!")
    assert ev("OFFSET(A1,1/0,1)", cells) == err("#DIV/0!")
    assert ev("OFFSET(A1,0,0,1,3)", cells) == err("#VALUE!")   # a range in a single cell
    assert ev("ROW(OFFSET(A1,0,0,0.5,1))", cells) == 1.0


def test_indirect():
    cells = {"A1": "Cell", "B3": 3, "Sheet2!C2": "other", "D1": "B3", "D2": "Sheet2!C2"}
    kw = {"sheets": ("Sheet1", "Sheet2")}
    assert ev("INDIRECT(D1)", cells, **kw) == 3.0
    assert ev("INDIRECT(D2)", cells, **kw) == "other"
    assert ev('INDIRECT("\'Sheet2\'!C2")', cells, **kw) == "other"
    assert ev('INDIRECT("R3C2",FALSE)', cells, **kw) == 3.0
    assert ev('INDIRECT("R[-997]C[-24]",FALSE)', cells, **kw) == 3.0
    assert ev('ROW(INDIRECT("$7:8"))', cells, **kw) == 7.0
    assert ev('COLUMN(INDIRECT("s:s"))', cells, **kw) == 19.0
    assert ev('ROW(INDIRECT("A01"))', cells, **kw) == 1.0
    assert ev('INDIRECT("XFE:XFE")', cells, **kw) == err("#REF!")
    assert ev('INDIRECT("hola")', cells, **kw) == err("#REF!")
    assert ev('INDIRECT("Nope!A1")', cells, **kw) == err("#REF!")
    assert ev("INDIRECT(5)", cells, **kw) == err("#REF!")
    assert ev('SUM(INDIRECT("A1"):INDIRECT("B3"))', cells, **kw) in (3.0, err("#NAME?"))
    assert ev('INDIRECT("rate")', cells, names={"rate": "Sheet1!$B$3"}, **kw) == 3.0


# --- reference information ------------------------------------------------------------

def test_row_column_rows_columns():
    assert ev("ROW()") == 1000.0
    assert ev("COLUMN()") == 26.0
    assert ev("ROW(L3:Q8)") == 3.0
    assert evaluate_array("ROW(A2:A4)") == Array([[2.0], [3.0], [4.0]])
    assert evaluate_array("COLUMN(B1:D1)") == Array([[2.0, 3.0, 4.0]])
    assert ev("ROWS(C:C)") == 1048576.0
    assert ev("COLUMNS(14:14)") == 16384.0
    assert ev("COLUMNS($AB:$AAA)") == 676.0
    assert ev("ROWS({1,2;3,4;5,6})") == 3.0
    assert ev("ROWS(5)") == 1.0
    assert ev("AREAS((A1:B2,C3,D4:E5))") == 3.0
    assert ev("AREAS(A1)") == 1.0
    assert ev("ROW(1/0)") == err("#DIV/0!")


@pytest.mark.parametrize("formula, expected", [
    ("ADDRESS(2,3)", "$C$2"),
    ("ADDRESS(3,5,4)", "E3"),
    ("ADDRESS(23,45,2)", "AS$23"),
    ("ADDRESS(23,45,3)", "$AS23"),
    ("ADDRESS(23,45,2,0)", "R23C[45]"),
    ("ADDRESS(23,45,3,FALSE)", "R[23]C45"),
    ("ADDRESS(23.4,34.7,2)", "AH$23"),
    ('ADDRESS(2,3,1,1,"Sheet2")', "Sheet2!$C$2"),
    ('ADDRESS(1,1,1,1,"A Wird One$")', "'A Wird One$'!$A$1"),
    ("ADDRESS(0,3)", err("#VALUE!")),
    ("ADDRESS(1,3,5)", err("#VALUE!")),
    ("ADDRESS(1,16385)", err("#VALUE!")),
])
def test_address(formula, expected):
    assert ev(formula) == expected


def test_transpose_and_trimrange():
    assert evaluate_array("TRANSPOSE({1,2,3;4,5,6})") == Array([[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]])
    cells = {"B2": 1, "C3": 2}
    assert evaluate_array("TRIMRANGE(A1:E9)", cells) == Array([[1.0, BLANK], [BLANK, 2.0]])
    assert evaluate_array("TRIMRANGE(A1:E9,0,2)", cells) == Array([[BLANK] * 3, [BLANK, 1.0, BLANK],
                                                                    [BLANK, BLANK, 2.0]] + [[BLANK] * 3] * 6)


def test_formulatext_hyperlink_sheet():
    m = make_model({"A1": 1, "B1": "=A1+_xlfn.XLOOKUP(1,A1,A1)", "C1": "=FORMULATEXT(B1)",
                    "D1": "=FORMULATEXT(A1)", "E1": '=HYPERLINK("http://x.y","site")',
                    "F1": '=HYPERLINK("http://x.y")', "G1": "=SHEET()", "H1": "=SHEET(Two!A1)",
                    "I1": "=SHEETS()", "J1": '=SHEET("Two")', "K1": '=SHEET("Nope")'},
                   sheets=("One", "Two"))
    m.calculate()
    assert m.value("C1") == "=A1+XLOOKUP(1,A1,A1)"
    assert m.value("D1") == err("#N/A")
    assert m.value("E1") == "site"
    assert m.value("F1") == "http://x.y"
    assert [m.value(a) for a in ("G1", "H1", "I1", "J1")] == [1.0, 2.0, 2.0, 2.0]
    assert m.value("K1") == err("#N/A")


def test_lookup_cache_many_lookups():
    n = 200
    cells = {f"A{i}": f"k{i}" for i in range(1, n + 1)}
    cells.update({f"B{i}": float(i) for i in range(1, n + 1)})
    cells.update({f"C{i}": f'=VLOOKUP("k{n + 1 - i}",$A$1:$B${n},2,FALSE)' for i in range(1, n + 1)})
    m = make_model(cells)
    m.calculate()
    assert [m.value(f"C{i}") for i in (1, 50, n)] == [float(n), float(n - 49), 1.0]
