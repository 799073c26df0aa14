"""Excel's descriptive statistics and regression (engine/functions/statistical.py):
values from Excel's documentation and from cached values of real workbooks,
the counting rules that differ between functions, criteria functions over
whole columns, and Excel's error behaviour."""
from __future__ import annotations

import pytest

from engine.values import Array, XLError
from tests.formula_helpers import evaluate_array, evaluate_formula

NUM, VALUE, DIV0, NA, REF = (XLError(c) for c in ("#NUM!", "#VALUE!", "#DIV/0!", "#N/A", "#REF!"))


def ev(formula: str, cells: dict | None = None):
    return evaluate_formula(formula, cells)


def arr(formula: str, cells: dict | None = None):
    v = evaluate_array(formula, cells)
    return v.data if isinstance(v, Array) else v


def approx(x, rel=1e-9):
    return pytest.approx(x, rel=rel, abs=1e-12)


# a column mixing every kind of value (COUNT.xlsx, AVERAGE.xlsx)
MIXED = {"B2": 1, "B3": False, "B4": 0, "B5": True, "B6": "Hola", "B8": 3, "B9": "23", "B10": 12}


# --- counting ------------------------------------------------------------------------

def test_count_counts_numbers_in_ranges_but_coerces_typed_arguments():
    assert ev("COUNT(B2:B10)", MIXED) == 4
    assert ev('COUNT(1, TRUE, "23", "Hola")') == 3
    assert ev("COUNT(B3, B9)", MIXED) == 0          # single-cell references count like ranges
    assert ev("COUNT(#N/A, 1)") == 1                 # errors are not counted, not propagated


def test_counta_and_countblank():
    cells = {"A1": 1, "A2": '=""', "A3": "=1/0", "A5": "x"}
    assert ev("COUNTA(A1:A5)", cells) == 4           # "" and errors count, the empty cell does not
    assert ev("COUNTA(#N/A, 0)") == 2
    assert ev("COUNTBLANK(A1:A5)", cells) == 2       # the empty cell and ""


def test_countif_criteria_forms():
    cells = {"A1": 23, "A2": "23", "A3": True, "A4": 1, "A5": -23, "A6": "hey", "A7": False}
    assert ev("COUNTIF(A1:A7, 23)", cells) == 2      # numeric text equals the number
    assert ev('COUNTIF(A1:A7, "<>23")', cells) == 6  # ... but "<>" only excludes the number
    assert ev('COUNTIF(A1:A7, ">0")', cells) == 2
    assert ev('COUNTIF(A1:A7, "<=")', cells) == 0    # an ordering with nothing to compare
    assert ev('COUNTIF(A1:A7, "h*")', cells) == 1
    assert ev("COUNTIF(A1:A7, TRUE)", cells) == 1


def test_countif_whole_column_counts_the_blank_rows_below_the_used_area():
    cells = {"A1": 1, "A2": 2, "A3": "x"}
    assert ev('COUNTIF(A:A, "<>1")', cells) == 1_048_575
    assert ev('COUNTIF(A:A, "")', cells) == 1_048_573
    assert ev("COUNTBLANK(A:A)", cells) == 1_048_573
    assert ev('COUNTIFS(A:A, "<>1", B:B, "")', cells) == 1_048_575


def test_countifs_needs_same_shapes_and_even_pairs():
    cells = {"A1": 1, "A2": 2, "B1": "a", "B2": "b"}
    assert ev('COUNTIFS(A1:A2, ">0", B1:B2, "b")', cells) == 1
    assert ev('COUNTIFS(A1:A2, ">0", B1:B3, "b")', cells) == VALUE


def test_countif_with_an_array_of_criteria_lifts():
    cells = {"A1": "a", "A2": "b", "A3": "a"}
    assert arr('COUNTIF(A1:A3, {"a","b","c"})', cells) == [[2.0, 1.0, 0.0]]


# --- conditional averages and extremes -------------------------------------------------

def test_averageif_average_range_takes_the_shape_of_range():
    cells = {"A1": 1, "A2": 5, "A3": 9, "B1": 10, "B2": 20, "B3": 30}
    assert ev('AVERAGEIF(A1:A3, ">2", B1)', cells) == 25
    assert ev('AVERAGEIF(A1:A3, ">2")', cells) == 7
    assert ev('AVERAGEIF(A1:A3, ">100")', cells) == DIV0


def test_averageifs_minifs_maxifs():
    cells = {"A1": 1, "A2": 5, "A3": 9, "A4": "x", "B1": "a", "B2": "b", "B3": "a", "B4": "a"}
    assert ev('AVERAGEIFS(A1:A4, B1:B4, "a")', cells) == 5
    assert ev('MINIFS(A1:A4, B1:B4, "a", A1:A4, ">1")', cells) == 9
    assert ev('MAXIFS(A1:A4, B1:B4, "a")', cells) == 9
    assert ev('MAXIFS(A1:A4, B1:B4, "zzz")', cells) == 0
    assert ev('MAXIFS(A1:A4, B1:B3, "a")', cells) == VALUE
    assert ev('AVERAGEIFS(A1:A4, B1:B4, "zzz")', cells) == DIV0


# --- averages, extremes, spread ------------------------------------------------------------

def test_average_and_averagea_rules():
    assert ev("AVERAGE(B2:B10)", MIXED) == 4
    assert ev("AVERAGEA(B2:B10)", MIXED) == 2.125     # text 0, logicals 0/1
    assert ev('AVERAGE(1, 2, "5", TRUE)') == 2.25
    assert ev('AVERAGE(1, "CASE")') == VALUE
    assert ev("AVERAGE(A1:A3)") == DIV0
    assert ev("AVERAGE(A1:A2)", {"A1": 1, "A2": "=NA()"}) == NA


def test_min_max_and_a_variants():
    cells = {"A1": 1, "A2": 2, "A3": 3, "A4": "13", "A5": True}
    assert ev("MIN(A1:A4)", cells) == 1
    assert ev('MIN(A1:A3, "-13")', cells) == -13
    assert ev("MINA(A1:A4)", cells) == 0              # the text cell counts as 0
    assert ev("MAXA(A1:A5)", cells) == 3
    assert ev("MAX(A7:A9)", cells) == 0
    assert ev('MINA(1, "Hola")') == VALUE


def test_median_mode():
    assert ev("MEDIAN(1, 2, 3, 4)") == 2.5
    assert ev("MEDIAN(A1:A2)") == NUM
    assert ev("MODE.SNGL({1,2,3,2,2,3})") == 2
    assert ev("MODE({1,2,3})") == NA
    assert arr("MODE.MULT({1,2,3,4,3,2,1,2,3,5,6,1})") == [[1.0], [2.0], [3.0]]


def test_variance_family():
    cells = {"A1": 1, "A2": 2, "A3": True, "A4": "Hola", "A5": 5}
    assert ev("VAR.P(A1:A3, A4, A5)", cells) == approx(2.888888888888889)
    assert ev("VAR.S(1, {1,2,3}, A5)", cells) == approx(2.8)
    assert ev("VARA(A1:A5)", cells) == approx(3.7)
    assert ev("VARPA(A1:A5)", cells) == approx(2.96)
    assert ev("STDEV.P(1, 1.2, 1.3, 0.7)") == approx(0.22912878474779197)
    assert ev("STDEV(1)") == DIV0
    assert ev("STDEVP(4)") == 0


def test_shape_statistics():
    data = "3,4,5,2,3,4,5,6,4,7"
    assert ev(f"KURT({data})") == approx(-0.151799637, 1e-8)
    assert ev(f"SKEW({data})") == approx(0.359543071, 1e-8)
    assert ev(f"SKEW.P({data})") == approx(0.303193339, 1e-8)
    assert ev("KURT(1,2,3)") == DIV0
    assert ev("SKEW(1,1,1)") == DIV0
    assert ev("HARMEAN(4,5,8,7,11,4,3)") == approx(5.028375962, 1e-8)
    assert ev("GEOMEAN(4,5,8,7,11,4,3)") == approx(5.476986969, 1e-8)
    assert ev("GEOMEAN(1, 0)") == NUM
    assert ev("AVEDEV(4,5,6,7,5,4,3)") == approx(1.020408163, 1e-8)
    assert ev("DEVSQ(4,5,8,7,11,4,3)") == 48


def test_standardize_fisher_permut():
    assert ev("STANDARDIZE(42, 40, 1.5)") == approx(4 / 3)
    assert ev("STANDARDIZE(1, 2, 0)") == NUM
    assert ev("FISHER(0.75)") == approx(0.9729550745276566)
    assert ev("FISHER(1)") == NUM
    assert ev("FISHERINV(0)") == 0
    assert ev("PERMUT(12.7, 4.6)") == 11880
    assert ev("PERMUT(1, 2)") == NUM
    assert ev("PERMUTATIONA(12, 6)") == 2985984
    assert ev("PERMUTATIONA(-1, 2)") == NUM


# --- order statistics ------------------------------------------------------------------------

def test_large_small():
    cells = {"A1": 3, "A2": 4, "A3": 2, "A4": 4, "A5": -5, "A6": 3, "I9": True}
    assert ev("SMALL(A1:A6, 1)", cells) == -5
    assert ev("LARGE(A1:A6, 2)", cells) == 4
    assert ev("SMALL(A1:A6, 3.4)", cells) == 3
    assert ev("SMALL(A1:A6, 0)", cells) == NUM
    assert ev("SMALL(A1:A6, 7)", cells) == NUM
    assert ev('SMALL("3.4", 1)') == 3.4               # a typed value is coerced...
    assert ev("SMALL(I9, 1)", cells) == NUM           # ... a referenced logical is not a number
    assert ev('SMALL("Hello", 1)') == VALUE
    assert arr("LARGE(A1:A6, {1,2,3})", cells) == [[4.0, 4.0, 3.0]]


def test_percentile_quartile():
    cells = {f"A{i}": i for i in range(1, 11)}
    assert ev("PERCENTILE.INC(A1:A10, 0.4)", cells) == approx(4.6)
    assert ev("PERCENTILE.EXC(A1:A10, 0.4)", cells) == approx(4.4)
    assert ev("PERCENTILE.EXC(A1:A10, 0.05)", cells) == NUM
    assert ev("PERCENTILE(A1:A10, 1.5)", cells) == NUM
    assert ev("QUARTILE.INC(A1:A10, 1.3)", cells) == approx(3.25)
    assert ev("QUARTILE.EXC(A1:A10, 3)", cells) == approx(8.25)
    assert ev("QUARTILE.EXC(A1:A10, 4)", cells) == NUM


def test_percentrank_truncates_to_significance():
    data = "{13,12,11,8,4,3,2,1,1,1}"
    assert ev(f"PERCENTRANK.INC({data}, 4)") == approx(0.555)
    assert ev(f"PERCENTRANK.INC({data}, 5)") == approx(0.583)
    assert ev(f"PERCENTRANK({data}, 8)") == approx(0.666)
    assert ev("PERCENTRANK.EXC({1,2,3,6,6,6,7,8,9}, 5.43)") == approx(0.381)
    assert ev("PERCENTRANK.EXC({1,2,3,6,6,6,7,8,9}, 5.43, 1)") == approx(0.3)
    assert ev(f"PERCENTRANK.INC({data}, 14)") == NA
    assert ev(f"PERCENTRANK.INC({data}, 4, 0)") == NUM


def test_rank():
    cells = {f"A{i + 1}": v for i, v in enumerate([65, 70, 66, 65, 72, 37, 89, 70])}
    assert ev("RANK.EQ(70, A1:A8)", cells) == 3
    assert ev("RANK.EQ(70, A1:A8, 1)", cells) == 5
    assert ev("RANK.AVG(70, A1:A8)", cells) == 3.5
    assert ev("RANK.AVG(65, A1:A8, 1)", cells) == 2.5
    assert ev("RANK(70.5, A1:A8)", cells) == NA


def test_trimmean_frequency_prob():
    cells = {f"A{i + 1}": v for i, v in enumerate([12.4, 5, 7.3, -4, 0, 2.3, 4.3, 7, -2])}
    assert ev("TRIMMEAN(A1:A9, 0.5)", cells) == approx(3.72)
    assert ev("TRIMMEAN(A1:A9, 1)", cells) == NUM
    assert arr("FREQUENCY({79,85,78,85,50,81,95,88,97}, {70,79,89})") == [[1.0], [2.0], [4.0], [2.0]]
    # bins are counted in sorted order but reported in their own order
    assert arr("FREQUENCY({1,7,12,16,30}, {10,20,5})") == [[1.0], [2.0], [1.0], [1.0]]
    assert ev("PROB({0,1,2,3}, {0.2,0.3,0.1,0.4}, 1, 3)") == approx(0.8)
    assert ev("PROB({0,1,2,3}, {0.2,0.3,0.1,0.3}, 1)") == NUM   # probabilities must add to 1
    assert ev("PROB({0,1,2}, {0.5,0.5}, 1)") == NA


# --- two samples and regression -----------------------------------------------------------------

def test_pairwise_measures_skip_incomplete_pairs():
    cells = {"A1": 1, "A2": 2, "A3": 3, "A4": "x", "B1": 2, "B2": 4, "B3": 7, "B4": 9}
    assert ev("SLOPE(B1:B4, A1:A4)", cells) == approx(2.5)
    assert ev("INTERCEPT(B1:B4, A1:A4)", cells) == approx(-2 / 3)
    assert ev("CORREL({3,2,4,5,6},{9,7,12,15,17})") == approx(0.9970544855015816)
    assert ev("PEARSON({1,2,3},{1,2,4})") == ev("CORREL({1,2,3},{1,2,4})")
    assert ev("RSQ({2,3,9,1,8,7,5},{6,5,11,7,5,4,4})") == approx(0.05795019157088122)
    assert ev("STEYX({2,3,9,1,8,7,5},{6,5,11,7,5,4,4})") == approx(3.305718950210041)
    assert ev("FORECAST(30, {6,7,9,15,21}, {20,28,31,38,40})") == approx(10.607253086419755)
    assert ev("COVARIANCE.S({2,4,8},{5,11,12})") == approx(9.666666666666666)
    assert ev("COVAR({1,2,3},{1,2})") == NA
    assert ev('COVARIANCE.P({"a","b"},{1,2})') == DIV0
    assert ev("COVARIANCE.S({5},{10})") == DIV0
    assert ev("SLOPE({1,2,3},{2,2,2})") == DIV0


def test_linest_with_statistics_matches_excel_documentation():
    y = [142000, 144000, 151000, 150000, 139000, 169000, 126000, 142900, 163000, 169000, 149000]
    xs = [[2310, 2333, 2356, 2379, 2402, 2425, 2448, 2471, 2494, 2517, 2540],
          [2, 2, 3, 3, 2, 4, 2, 2, 3, 4, 2],
          [2, 2, 1.5, 2, 3, 2, 1.5, 2, 3, 4, 3],
          [20, 12, 33, 43, 53, 23, 99, 34, 23, 55, 22]]
    cells = {}
    for i in range(11):
        cells[f"E{i + 1}"] = y[i]
        for j, col in enumerate("ABCD"):
            cells[f"{col}{i + 1}"] = xs[j][i]
    r = arr("LINEST(E1:E11, A1:D11, TRUE, TRUE)", cells)
    assert r[0] == [approx(v, 1e-8) for v in (-234.2371645, 2553.21066, 12529.76817, 27.64138737, 52317.83051)]
    assert r[1][0] == approx(13.26801148, 1e-8)
    assert r[2][:2] == [approx(0.996747993, 1e-8), approx(970.5784629, 1e-8)]
    assert r[3][:2] == [approx(459.7536742, 1e-8), 6.0]
    assert r[4][:2] == [approx(1732393319, 1e-8), approx(5652135.316, 1e-8)]
    assert r[2][2] == NA


def test_linest_logest_trend_growth_simple():
    cells = {"A1": 0.2, "A2": 0.41, "A3": 0.62, "A4": 0.8, "A5": 1.1,
             "B1": 1.1, "B2": 1.9, "B3": 3.1, "B4": 4.05, "B5": 5, "C1": 8, "C2": 9, "C3": 11}
    assert arr("LINEST(A1:A5, B1:B5)", cells)[0][1] == approx(-0.03844530620467368)
    assert arr("LINEST(A1:A5)", cells)[0][1] == approx(-0.031)
    assert arr("LINEST(A1:A5, B1:B5, FALSE)", cells)[0][1] == 0
    assert arr("LOGEST(A1:A5, B1:B5)", cells)[0][1] == approx(0.15653044951525133)
    trend = {"A1": 0.2, "A2": 0.31, "A3": 0.4, "A4": 0.51, "A5": 0.7,
             "B1": 1.1, "B2": 2.1, "B3": 3, "B4": 5.2, "B5": 7, "C1": 8, "C2": 9, "C3": 11}
    assert arr("TREND(A1:A5, B1:B5, C1:C3)", trend)[1] == [approx(0.846252396723026)]
    assert arr("TREND(A1:A5, B1:B5, C1:C3, FALSE)", trend)[2] == [approx(1.167582175159938)]
    assert arr("TREND(A1:A5)", trend)[4] == [approx(0.664)]
    assert arr("GROWTH(A1:A5, B1:B5, C1:C3)", trend)[1] == [approx(1.0820857720306072)]
    g = arr("GROWTH({33100,47300,69000,102000,150000,220000}, {11,12,13,14,15,16}, {17,18})")
    assert g == [[approx(320196.7183634704, 1e-8), approx(468536.0541840455, 1e-8)]]
    assert arr("LOGEST({1,-2,3})") == NUM
    assert arr('LINEST({1,"a",3})') == VALUE
    assert arr("LINEST({1,2,3},{1,2})") == REF
