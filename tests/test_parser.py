"""Formula grammar: precedence, references, round trips (property-based)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.parser import FormulaSyntaxError, ast as A, parse_formula, parse_or_failure, to_text
from tests.formula_helpers import evaluate_formula


def p(text):
    return parse_formula(text)


@pytest.mark.parametrize("formula, expected", [
    ("=1+2*3", 7.0),
    ("=-2^2", 4.0),            # Excel: negation binds tighter than ^
    ("=2^3^2", 64.0),          # ^ is left-associative
    ("=10-2-3", 5.0),
    ("=2*50%", 1.0),
    ("=1+2&3", "33"),          # & is looser than +
    ("=1+1=2", True),          # comparison loosest
    ("=\"a\"&\"b\"=\"AB\"", True),
    ("=-(-3)", 3.0),
    ("=+-+2", -2.0),
    ("=(1+2)*3", 9.0),
    ("=5%%", 0.0005),
])
def test_precedence_matches_excel(formula, expected):
    assert evaluate_formula(formula) == expected


def test_references_and_sheets():
    n = p("'My Sheet'!$A$1")
    assert n == A.Ref("My Sheet", 1, 1, 1, 1, True, True, True, True)
    assert p("Sheet1!B:C") == A.Ref("Sheet1", None, 2, None, 3)
    assert p("3:5") == A.Ref(None, 3, None, 5, None)
    n = p("Sheet1:Sheet3!A1")
    assert n.sheet == "Sheet1" and n.sheet2 == "Sheet3"
    assert p("[1]Data!A1").book == "1"
    assert p("A1:B2") == A.Ref(None, 1, 1, 2, 2)
    assert isinstance(p("A1:INDEX(B:B,3)"), A.Binary)


def test_names_functions_and_prefixes():
    n = p("_xlfn.XLOOKUP(1,A:A,B:B)")
    assert isinstance(n, A.Call) and n.name == "XLOOKUP" and n.prefix == "_xlfn."
    assert p("_xlfn._xlws.SORT(A1:A3)").name == "SORT"
    assert p("LOG10(100)").name == "LOG10"       # looks like a cell, is a function
    assert p("XFE2019") == A.Name("XFE2019")     # beyond column XFD: a name
    assert p("Rate") == A.Name("Rate")
    assert p("Sheet1!Rate") == A.Name("Rate", "Sheet1")
    assert p("TRUE") == A.Bool(True)


def test_structured_references():
    assert p("Table1[Col]") == A.StructRef("Table1", (), "Col")
    assert p("[@Price]") == A.StructRef(None, ("#This Row",), "Price")
    assert p("Table1[[#Totals],[Amount]]") == A.StructRef("Table1", ("#Totals",), "Amount")
    assert p("T[[Jan]:[Mar]]") == A.StructRef("T", (), "Jan", "Mar")
    assert p("T[#All]") == A.StructRef("T", ("#All",))
    assert p("T[[#This Row],[a'[b']]]").col1 == "a[b]"


def test_operators_unions_intersections_spill():
    assert isinstance(p("SUM((A1,B2))").args[0], A.Union)
    n = p("A1:C3 B2:D4")
    assert isinstance(n, A.Binary) and n.op == " "
    assert isinstance(p("A1#"), A.Spill)
    assert isinstance(p("@A1:A3"), A.Unary)
    assert p("{1,2;3,-4}") == A.ArrayLit([[A.Number(1), A.Number(2)], [A.Number(3), A.Number(-4)]])
    assert p("IF(A1,,2)").args[1] == A.MissingArg()
    assert p("#N/A") == A.ErrorLit("#N/A")
    assert p("Sheet1!#REF!") == A.RefError("Sheet1")
    assert isinstance(p("LAMBDA(x,x+1)(2)"), A.CallExpr)


@pytest.mark.parametrize("bad", ["=1+", "=SUM(1", "=(1", "=\"abc", "=1 +* 2", "={1,2;3}", "=#FOO!", ""])
def test_bad_formulas_raise_syntax_error(bad):
    with pytest.raises(FormulaSyntaxError):
        parse_formula(bad)
    assert isinstance(parse_or_failure(bad), A.ParseFailure)


def test_bad_formula_becomes_error_value_naming_the_cell():
    from tests.formula_helpers import make_model
    m = make_model({"A1": "=1+", "A2": 5, "A3": "=A2*2"})
    m.calculate()
    v = m.value("A1")
    assert v.code == "#NAME?" and "Sheet1!A1" in v.message
    assert m.value("A3") == 10.0      # the rest still evaluates


def test_shift_refs_moves_relative_parts_only():
    n = A.shift_refs(p("A1+$B$2+C$3+$D4"), 2, 1)
    assert to_text(n) == "B3+$B$2+D$3+$D6"
    assert isinstance(A.shift_refs(p("A1"), -1, 0), A.RefError)


def test_relative_key_groups_copied_formulas():
    k1 = A.relative_key(p("B1*2+$A$1"), 1, 3)
    k2 = A.relative_key(p("B2*2+$A$1"), 2, 3)
    assert k1 == k2
    assert k1 != A.relative_key(p("B3*2+$A$1"), 2, 3)


# --- property-based round trips --------------------------------------------------

cols = st.integers(1, 16384)
rows = st.integers(1, 1048576)
sheet_names = st.sampled_from([None, "Sheet1", "My Sheet", "Data's", "2019"])


@st.composite
def refs(draw):
    sheet = draw(sheet_names)
    kind = draw(st.sampled_from(["cell", "range", "cols", "rows"]))
    flags = [draw(st.booleans()) for _ in range(4)]
    if kind == "cell":
        r, c = draw(rows), draw(cols)
        return A.Ref(sheet, r, c, r, c, flags[0], flags[1], flags[0], flags[1])
    if kind == "range":
        r1, r2 = sorted((draw(rows), draw(rows)))
        c1, c2 = sorted((draw(cols), draw(cols)))
        if (r1, c1) == (r2, c2):
            r2 += 1 if r2 < 1048576 else -1
            r1, r2 = sorted((r1, r2))
        return A.Ref(sheet, r1, c1, r2, c2, *flags)
    if kind == "cols":
        c1, c2 = sorted((draw(cols), draw(cols)))
        return A.Ref(sheet, None, c1, None, c2, False, flags[1], False, flags[3])
    r1, r2 = sorted((draw(rows), draw(rows)))
    return A.Ref(sheet, r1, None, r2, None, flags[0], False, flags[2], False)


leaves = st.one_of(
    st.floats(0, 1e12, allow_nan=False).map(lambda x: A.Number(float(x))),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8).map(A.Text),
    st.booleans().map(A.Bool),
    st.sampled_from(["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]).map(A.ErrorLit),
    refs(),
    st.sampled_from(["Rate", "growth_1", "_x", "Tax.Rate"]).map(A.Name),
)


def exprs():
    return st.recursive(leaves, lambda inner: st.one_of(
        st.tuples(st.sampled_from(["+", "-", "*", "/", "^", "&", "=", "<>", "<", ">", "<=", ">="]),
                  inner, inner).map(lambda t: A.Binary(*t)),
        st.tuples(st.sampled_from(["-", "+"]), inner).map(lambda t: A.Unary(*t)),
        inner.map(A.Percent),
        st.tuples(st.sampled_from(["SUM", "IF", "NPV", "XLOOKUP"]), st.lists(inner, max_size=3))
        .map(lambda t: A.Call(t[0], t[1])),
    ), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(exprs())
def test_print_parse_round_trip(node):
    text = to_text(node)
    again = parse_formula(text)
    assert to_text(again) == text
    assert parse_formula(to_text(again)) == again


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_parser_never_crashes(text):
    n = parse_or_failure(text)
    assert isinstance(n, A.Node)
