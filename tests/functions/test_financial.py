"""Excel's financial functions (engine/functions/financial.py and
securities.py): worked examples from Excel's documentation, corner cases
Excel's cached values pin down, error behaviour, and property tests tying
the functions to each other (IRR/NPV, XIRR/XNPV, PV/FV/PMT/NPER/RATE)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine.functions import registry
from engine.functions.securities import to_serial, ymd, year_frac
from engine.values import XLError
from tests.formula_helpers import evaluate_formula

NUM, VALUE, DIV0, NA = (XLError(c) for c in ("#NUM!", "#VALUE!", "#DIV/0!", "#N/A"))


def ev(formula: str, cells: dict | None = None):
    return evaluate_formula(formula, cells)


def D(y: int, m: int, d: int) -> int:
    return to_serial(y, m, d)


def approx(x, rel=1e-9, abs_=1e-9):
    return pytest.approx(x, rel=rel, abs=abs_)


# --- calendar --------------------------------------------------------------------

def test_serial_round_trip_and_1900_leap_day():
    assert to_serial(1900, 1, 1) == 1
    assert to_serial(1900, 2, 28) == 59
    assert ymd(60) == (1900, 2, 29)
    assert to_serial(1900, 3, 1) == 61
    assert to_serial(2008, 1, 1) == 39448
    for s in (1, 59, 61, 39448, 45000, 2958465):
        assert to_serial(*ymd(s)) == s


def test_year_frac_bases():
    assert year_frac(D(2012, 1, 1), D(2012, 7, 30), 0) == approx(0.58055556, rel=1e-7)
    assert year_frac(D(2012, 1, 1), D(2012, 7, 30), 1) == approx(0.57650273, rel=1e-7)
    assert year_frac(D(2012, 1, 1), D(2012, 7, 30), 3) == approx(0.57808219, rel=1e-7)


# --- time value of money ------------------------------------------------------------

@pytest.mark.parametrize("formula, expected", [
    ("PMT(0.08/12,10,10000)", -1037.0320893591522),
    ("PMT(0.06/12,18*12,0,50000)", -129.08116086799092),
    ("PMT(1,3,100,300,1)", -78.57142857142858),
    ("PMT(0.2,3,-200,10,5)", 76.83150183150182),          # any non-zero type is 1
    ("PMT(0,3,100,300,1)", -133.33333333333334),
    ("FV(0.06/12,10,-200,-500,1)", 2581.4033740601362),
    ("FV(0.5,12,-100)", 25749.267578125),
    ("PV(0.08/12,12*20,500,,0)", -59777.14585118777),
    ("NPER(0.01,-100,-1000,10000,1)", 59.67386567429462),
    ("NPER(0.01,-100,-1000)", -9.57859403981317),
    ("NPER(0,-3,123)", 41.0),
    ("IPMT(0.1/12,1,3*12,8000)", -66.66666666666667),
    ("IPMT(0.1,3,3,8000)", -292.4471299093658),
    ("IPMT(0.1,3.9,3,8000,10,1)", -26.866364667656377),    # per may run up to nper+1
    ("IPMT(0.1,1,3,8000,0,1)", 0.0),
    ("PPMT(0.08,10,10,200000)", -27598.053462421365),
    ("RATE(48,-200,8000)", 0.007701472488201368),
    ("RATE(2,-200,8000,0,1)", -0.9743589743570107),
    ("RATE(300,-200,8000,0,1)", 0.025627751816686105),
    ("CUMIPMT(0.0075,360,125000,13,24,0)", -11135.232130750845),
    ("CUMPRINC(0.0075,360,125000,13,24,0)", -934.1071234208764),
    ("CUMIPMT(0.0083,36,8000,1,10,1)", -520.1181191021385),
    ("ISPMT(0.1,1,3,8000000)", -533333.3333333334),
])
def test_tvm_values(formula, expected):
    assert ev(formula) == approx(expected)


@pytest.mark.parametrize("formula, expected", [
    ("PMT(-3,5,100)", NUM),              # rate <= -1
    ("PMT(-1,1,-100,300,1)", NUM),
    ("PMT(0.02,0,100)", NUM),            # no periods
    ("FV(-1,-2,1)", DIV0),               # 0 to a negative power
    ("FV(-3,-3.5,1)", NUM),              # negative base, fractional power
    ("NPER(0.1,100,-2000)", NUM),        # log of a negative number
    ("IPMT(0.1,4,3,8000)", NUM),         # per >= nper + 1
    ("IPMT(0.1,0.5,3,8000)", NUM),
    ("RATE(10,-1200,2000,0,1)", NUM),    # Newton runs off to -1 (Excel has no fallback)
    ("RATE(3300,-200,8000,0,1)", NUM),   # too slow to converge
    ("RATE(0,-200,8000)", NUM),
    ("CUMIPMT(0.01,36,8000,3,10,0.7)", NUM),   # type must be 0 or 1
    ("CUMIPMT(0.01,36,8000,11,10,0)", NUM),
    ("CUMIPMT(0,36,8000,1,10,0)", NUM),
    ("ISPMT(0.1,1,0,100)", DIV0),
    ("PMT(\"x\",3,100)", VALUE),
    ("PMT(NA(),3,100)", NA),
])
def test_tvm_errors(formula, expected):
    if "NA()" in formula and registry.get("NA") is None:
        pytest.skip("NA() not registered yet")
    assert ev(formula) == expected


def test_analysis_toolpak_functions_refuse_logical_values():
    # core functions take TRUE as 1; the Analysis ToolPak ones do not
    assert ev("ISPMT(A1,7,A1,4)", {"A1": True}) == approx(24.0)
    assert ev("EFFECT(10,A1)", {"A1": True}) == VALUE
    assert ev("CUMIPMT(0.01,36,8000,A1,10,0)", {"A1": True}) == VALUE
    assert ev("TBILLEQ(45366,45731,A1)", {"A1": True}) == VALUE
    # numeric text is still accepted
    assert ev('TBILLEQ("45366","45731","0.5")') == approx(0.8482759796652481)


# --- cash flows ---------------------------------------------------------------------

def test_npv_rules():
    assert ev("NPV(0.1,-10000,3000,4200,6800)") == approx(1188.4434123352207)
    cells = {"A1": 100, "A2": "text", "A3": True, "A4": 25}
    # text and logical values in ranges are skipped, typed ones are coerced
    assert ev("NPV(0.05,A1:A4)", cells) == approx(100 / 1.05 + 25 / 1.05 ** 2)
    # logical values count when typed, not when referenced
    assert ev("NPV(0.07,TRUE,FALSE,7)") == approx(1 / 1.07 + 7 / 1.07 ** 3)
    assert ev("NPV(0.07,B1,B2,7)", {"B1": True, "B2": False}) == approx(6.5420560747663545)
    assert ev("NPV(-1,5)") == DIV0
    assert ev("NPV(0.1,A1:A2)", {"A1": 1, "A2": "=1/0"}) == DIV0


def test_irr():
    flows = "{-70000,12000,15000,18000,21000,26000}"
    assert ev(f"IRR({flows})") == approx(0.0866309480365222)
    assert ev("IRR({-70000,12000,15000,18000,21000})") == approx(-0.0212448482734109)
    assert ev("IRR({-70000,12000,15000},-0.1)") == approx(-0.44350694133432755)
    assert ev("IRR({-20,5,5,5,5,5},17)") == approx(0.07930826116414913)   # far guess
    assert ev("IRR({-400,1,1,1,1,1})") == approx(-0.6737366751808405)
    assert ev("IRR({-20,100,10,5,6,5})") == approx(4.110035568323814)
    # blanks, text and logicals in ranges are skipped (positions close up)
    cells = {"A1": -20, "A2": 5, "A3": 5, "A4": None, "A5": "x", "A6": 7}
    assert ev("IRR(A1:A6)", cells) == approx(-0.0730084383401457)
    assert ev("IRR({20,5,5})") == NUM            # no sign change
    assert ev("IRR(A1)", {"A1": -5}) == NUM
    assert ev("IRR({-1000,230,200,125,200,10},-10)") == VALUE   # guess <= -1


def test_xnpv_xirr():
    cells = {"A1": -10000, "A2": 2750, "A3": 4250, "A4": 3250, "A5": 2750,
             "B1": D(2008, 1, 1), "B2": D(2008, 3, 1), "B3": D(2008, 10, 30),
             "B4": D(2009, 2, 15), "B5": D(2009, 4, 1)}
    assert ev("XNPV(0.09,A1:A5,B1:B5)", cells) == approx(2086.6476020315363)
    r = ev("XIRR(A1:A5,B1:B5)", cells)
    assert r == approx(0.373362535, rel=1e-8)
    assert ev(f"XNPV({r!r},A1:A5,B1:B5)", cells) == approx(0.0, abs_=1e-7)


def test_xnpv_xirr_errors():
    base = {"A1": -20, "A2": 5, "A3": 5, "B1": 100, "B2": 120, "B3": 300}
    assert ev("XNPV(0.1,A1:A3,B1:B2)", base) == NUM           # sizes differ
    assert ev("XNPV(-0.3,A1:A3,B1:B3)", base) == NUM          # rates must be positive
    assert ev("XNPV(0,A1:A3,B1:B3)", base) == NUM
    assert ev("XNPV(0.1,A1:A3,B1:B3)", {**base, "B2": 50}) == NUM   # before the first date
    assert ev("XNPV(0.1,A1:A3,B1:B3)", {**base, "A2": "x"}) == NUM
    assert ev("XIRR(A1:A3,B1:B3)", {**base, "A2": "x"}) == VALUE
    assert ev("XIRR(A1:A3,B1:B3)", {**base, "A2": True}) == VALUE
    assert ev("XIRR(A1:A3,B1:B3)", {**base, "A1": 20}) == NUM  # no sign change
    assert ev("XIRR(A1:A3,B1:B3)", {**base, "A2": "=1/0"}) == DIV0
    # XIRR reads a blank value as 0; XNPV refuses it
    blank = {**base, "A4": None, "A5": 5, "B4": 310, "B5": 320}
    zero = {**blank, "A4": 0}
    assert ev("XIRR(A1:A5,B1:B5)", blank) == approx(ev("XIRR(A1:A5,B1:B5)", zero))
    assert ev("XNPV(0.1,A1:A5,B1:B5)", blank) == NUM
    # a root at -1 + 1e-11 is out of Excel's reach
    near = {"A1": -1000, "A2": 230, "A3": 200, "A4": 125, "A5": 200, "A6": 10,
            "B1": 1, "B2": 2, "B3": 3, "B4": 4, "B5": 5, "B6": 6}
    assert ev("XIRR(A1:A6,B1:B6)", near) == NUM


def test_mirr():
    cells = {"A1": -120000, "A2": 39000, "A3": 30000, "A4": 21000, "A5": 37000, "A6": 46000}
    assert ev("MIRR(A1:A6,0.1,0.12)", cells) == approx(0.1260941303659051)
    assert ev("MIRR({-5,4},-1,0.2)") == approx(-0.2)          # finance rate unused at t=0
    assert ev("MIRR({-5,-3},0.1,0.2)") == approx(-1.0)        # no inflows
    assert ev("MIRR({5,6},0.1,0.2)") == DIV0                  # no outflows


def test_fvschedule_rates():
    assert ev("FVSCHEDULE(1,{0.09,0.11,0.1})") == approx(1.3308900000000004)
    assert ev("FVSCHEDULE(1000,-1.5)") == approx(-500.0)
    assert ev("RRI(96,10000,11000)") == approx(0.0009933073762913303)
    assert ev("PDURATION(0.025,2000,2200)") == approx(3.859866162622655)
    assert ev("PDURATION(0,2000,2200)") == NUM
    assert ev("EFFECT(0.0525,4)") == approx(0.05354266737075819)
    assert ev("NOMINAL(9,2.4)") == approx(4.324555320336759)   # npery truncated
    assert ev("EFFECT(0.05,0.5)") == NUM


# --- depreciation -------------------------------------------------------------------

@pytest.mark.parametrize("formula, expected", [
    ("SLN(30000,7500,10)", 2250.0),
    ("SYD(30000,7500,10,1)", 4090.909090909091),
    ("DB(1000000,100000,6,1,7)", 186083.33333333334),
    ("DB(1000000,100000,6,7,7)", 15845.098473848071),
    ("DB(575000,5000,10,2)", 135191.7),
    ("DDB(2400,300,10,2,1.5)", 306.0),
    ("DDB(2400,300,10,10)", 22.122547200000156),
    ("VDB(2400,300,120,6,18)", 396.30605326475086),
    ("VDB(2400,300,10,0,0.875,1.5)", 315.0),
    ("VDB(575000,5000,10,3,5,1.5,FALSE)", 102160.546875),
    # fractional periods: Excel lays its period grid through the start
    ("VDB(1,0,14,2.5,3.5,1.25,FALSE)", 0.07074765193864536),
    ("VDB(1,0,14,3.5,4.5,1.25,FALSE)", 0.06872629045468406),
    ("VDB(1,0,14,13.5,14,1.25,FALSE)", 0.03436314522734203),
    ("VDB(1,0,14,13,14,1.25,FALSE)", 0.06866789938377948),
    ("AMORDEGRC(2400,39679,39813,300,1,0.15,1)", 776.0),
    ("AMORLINC(2400,39679,39813,300,1,0.15,1)", 360.0),
    ("DOLLARDE(1.02,16)", 1.125),
    ("DOLLARFR(1.125,32)", 1.04),
])
def test_depreciation_and_dollars(formula, expected):
    assert ev(formula) == approx(expected)


@pytest.mark.parametrize("formula, expected", [
    ("SLN(1,0,0)", DIV0),
    ("SYD(100,10,5,6)", NUM),
    ("DB(100,10,5,7)", NUM),
    ("DDB(100,10,5,0)", NUM),
    ("VDB(100,10,5,3,2)", NUM),
    ("AMORDEGRC(2400,39679,39813,300,1,0.4,1)", NUM),   # a 2.5-year life has no coefficient
    ("AMORLINC(2400,39679,39813,300,1,0.15,2)", NUM),
    ("DOLLARDE(1.02,0.5)", DIV0),
    ("DOLLARDE(1.02,-1)", NUM),
])
def test_depreciation_errors(formula, expected):
    assert ev(formula) == expected


# --- securities -----------------------------------------------------------------------

@pytest.mark.parametrize("formula, expected", [
    (f"PRICE({D(2008, 2, 15)},{D(2017, 11, 15)},0.0575,0.065,100,2,0)", 94.63436162132213),
    # actual/360 and actual/365 price with DSC = E - A, not COUPDAYSNC
    (f"PRICE({D(2020, 3, 1)},{D(2030, 3, 1)},0.04,0.05,155,1,2)", 126.04349401555694),
    (f"PRICE({D(2020, 3, 1)},{D(2030, 3, 1)},0.06,0.07,23,2,3)", 54.196225247785335),
    (f"DURATION({D(2018, 7, 1)},{D(2048, 1, 1)},0.08,0.09,2,1)", 10.919145281591925),
    (f"MDURATION({D(2008, 1, 1)},{D(2016, 1, 1)},0.08,0.09,2,1)", 5.735669813918838),
    (f"COUPDAYBS({D(2011, 1, 25)},{D(2011, 11, 15)},2,1)", 71.0),
    (f"COUPDAYS({D(2011, 1, 25)},{D(2011, 11, 15)},2,1)", 181.0),
    (f"COUPDAYSNC({D(2011, 1, 25)},{D(2011, 11, 15)},2,1)", 110.0),
    (f"COUPNCD({D(2011, 1, 25)},{D(2011, 11, 15)},2,1)", float(D(2011, 5, 15))),
    (f"COUPPCD({D(2011, 1, 25)},{D(2011, 11, 15)},2,1)", float(D(2010, 11, 15))),
    (f"COUPNUM({D(2007, 1, 25)},{D(2008, 11, 15)},2,1)", 4.0),
    (f"COUPDAYS({D(2020, 1, 1)},{D(2021, 1, 1)},2,3)", 182.5),
    (f"ACCRINTM({D(2008, 4, 1)},{D(2008, 6, 15)},0.1,1000,3)", 20.54794520547945),
    (f"ACCRINT({D(2007, 3, 1)},{D(2008, 8, 31)},{D(2008, 5, 1)},0.1,1000,2,0)", 116.94444444444446),
    (f"ACCRINT({D(2007, 3, 1)},{D(2008, 8, 31)},{D(2008, 5, 1)},0.1,1000,2,0,FALSE)", 66.94444444444446),
    # Excel measures the settlement slice against the period ending at first_interest
    (f"ACCRINT({D(2017, 6, 1)},{D(2017, 12, 1)},{D(2017, 7, 1)},0.33,3000,4,1)", 78.87362637362637),
    (f"DISC({D(2018, 7, 1)},{D(2048, 1, 1)},97.975,100,1)",
     0.02025 / year_frac(D(2018, 7, 1), D(2048, 1, 1), 1)),
    (f"INTRATE({D(2008, 2, 15)},{D(2008, 5, 15)},1000000,1014420,2)", 0.05768),
    (f"RECEIVED({D(2008, 2, 15)},{D(2008, 5, 15)},1000000,0.0575,2)", 1014584.6544071021),
    (f"PRICEDISC({D(2008, 2, 16)},{D(2008, 3, 1)},0.0525,100,2)", 99.79583333333333),
    (f"YIELDDISC({D(2008, 2, 16)},{D(2008, 3, 1)},99.795,100,2)", 0.05282257198685834),
    (f"PRICEMAT({D(2008, 2, 15)},{D(2008, 4, 13)},{D(2007, 11, 11)},0.061,0.061,0)", 99.98449887555694),
    (f"YIELDMAT({D(2008, 3, 15)},{D(2008, 11, 3)},{D(2007, 11, 8)},0.0625,100.0123,0)", 0.06095433369153868),
    (f"TBILLPRICE({D(2008, 3, 31)},{D(2008, 6, 1)},0.09)", 98.45),
    (f"TBILLYIELD({D(2008, 3, 31)},{D(2008, 6, 1)},98.45)", 0.09141696292534264),
    (f"TBILLEQ({D(2008, 3, 31)},{D(2008, 6, 1)},0.0914)", 0.09415149356594302),
    ("TBILLEQ(2040,2400,0.8)", 2.5066048253748145),     # beyond half a year
    ("TBILLEQ(14640,15006,0.5)", 0.8522961312491701),   # a 366-day bill
    (f"ODDFPRICE({D(2008, 11, 11)},{D(2021, 3, 1)},{D(2008, 10, 15)},{D(2009, 3, 1)},0.0785,0.0625,100,2,1)",
     113.59771747407883),
    (f"ODDFPRICE({D(2020, 3, 1)},{D(2030, 3, 1)},{D(2020, 1, 15)},{D(2021, 3, 1)},0.075,0.067,120,1,2)",
     115.98854775223758),
    (f"ODDLPRICE({D(2008, 2, 7)},{D(2008, 6, 15)},{D(2007, 10, 15)},0.0375,0.0405,100,2,0)",
     99.87828601472134),
    (f"ODDLPRICE({D(2020, 3, 1)},{D(2030, 3, 1)},{D(2020, 1, 15)},0.075,0.0589,120,2,2)",
     122.36705839417525),
    (f"ODDLYIELD({D(2008, 4, 20)},{D(2008, 6, 15)},{D(2007, 12, 24)},0.0375,99.875,100,2,0)",
     0.04519223562916916),
])
def test_securities_values(formula, expected):
    assert ev(formula) == approx(expected)


@pytest.mark.parametrize("formula, expected", [
    (f"PRICE({D(2020, 1, 1)},{D(2020, 1, 1)},0.05,0.05,100,2)", NUM),   # settlement >= maturity
    (f"PRICE({D(2020, 1, 1)},{D(2025, 1, 1)},0.05,0.05,100,3)", NUM),   # frequency
    (f"PRICE({D(2020, 1, 1)},{D(2025, 1, 1)},0.05,0.05,100,2,5)", NUM),  # basis
    (f"YIELD({D(2020, 1, 1)},{D(2025, 1, 1)},0.05,0,100,2)", NUM),
    (f"ACCRINT({D(2008, 3, 1)},{D(2008, 9, 1)},{D(2008, 5, 1)},0,1000,2,0)", NUM),
    (f"ACCRINT({D(2008, 5, 1)},{D(2008, 9, 1)},{D(2008, 5, 1)},0.1,1000,2,0)", NUM),
    ("TBILLEQ(1000,1366,0.5)", NUM),      # more than a year
    ("TBILLEQ(45332,45650,1.19)", NUM),   # negative price
    ("TBILLYIELD(14640,15005,0)", NUM),
    (f"ODDFPRICE({D(2020, 3, 1)},{D(2040, 3, 15)},{D(2020, 1, 15)},{D(2021, 3, 1)},0.075,0.06,120,1,5)", NUM),
    (f"ODDLPRICE({D(2020, 3, 1)},{D(2030, 3, 1)},{D(2020, 4, 1)},0.075,0.06,120,2,0)", NUM),
])
def test_securities_errors(formula, expected):
    assert ev(formula) == expected


def test_yield_inverts_price():
    for basis in range(5):
        for freq in (1, 2, 4):
            s, m = D(2021, 4, 17), D(2031, 8, 31)
            p = ev(f"PRICE({s},{m},0.057,0.043,103,{freq},{basis})")
            assert ev(f"YIELD({s},{m},0.057,{p!r},103,{freq},{basis})") == approx(0.043)
            p = ev(f"ODDFPRICE({s},{m},{D(2021, 1, 3)},{D(2022, 2, 28)},0.06,0.05,100,{freq},{basis})")
            y = ev(f"ODDFYIELD({s},{m},{D(2021, 1, 3)},{D(2022, 2, 28)},0.06,{p!r},100,{freq},{basis})")
            assert y == approx(0.05)


# --- properties ------------------------------------------------------------------------

# (1+rate)^nper stays within e^±6.2: the relations below are well conditioned
rates = st.floats(min_value=-0.05, max_value=0.05).filter(lambda r: abs(r) > 1e-6)
periods = st.integers(min_value=1, max_value=120)
money = st.floats(min_value=-1e6, max_value=1e6).filter(lambda x: abs(x) > 1e-2)


@settings(max_examples=150, deadline=None)
@given(rates, periods, money, money, st.sampled_from([0, 1]))
def test_tvm_consistency(rate, nper, pv, fv, type_):
    fin = registry.get("PMT").impl
    pmt = fin(rate, float(nper), pv, fv, float(type_))
    # pv, pmt and fv balance: FV(rate, nper, pmt, pv) == fv and PV(...) == pv
    assert registry.get("FV").impl(rate, float(nper), pmt, pv, float(type_)) == approx(
        fv, rel=1e-6, abs_=1e-6 * max(1.0, abs(pv), abs(fv)))
    got_pv = registry.get("PV").impl(rate, float(nper), pmt, fv, float(type_))
    assert got_pv == approx(pv, rel=1e-6, abs_=1e-6 * max(1.0, abs(pv), abs(fv)))
    # the interest and principal parts add up to the payment
    per = 1 + nper // 2
    ipmt = registry.get("IPMT").impl(rate, float(per), float(nper), pv, fv, float(type_))
    ppmt = registry.get("PPMT").impl(rate, float(per), float(nper), pv, fv, float(type_))
    assert ipmt + ppmt == approx(pmt, rel=1e-9, abs_=1e-6)


@settings(max_examples=100, deadline=None)
@given(rates, periods, st.floats(min_value=100, max_value=1e6))
def test_rate_and_nper_invert_pmt(rate, nper, pv):
    assume(abs(rate) > 1e-4)
    pmt = registry.get("PMT").impl(rate, float(nper), pv, 0.0, 0.0)
    assert registry.get("NPER").impl(rate, pmt, pv, 0.0, 0.0) == approx(nper, rel=1e-7)
    try:
        r = registry.get("RATE").impl(float(nper), pmt, pv, 0.0, 0.0, rate)
    except XLError:
        return
    assert r == approx(rate, rel=1e-7, abs_=1e-9)


cash = st.lists(st.floats(min_value=-1e4, max_value=1e4), min_size=2, max_size=25)


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=1, max_value=1e5), cash)
def test_irr_zeroes_npv(outlay, flows):
    values = [-outlay] + flows
    assume(any(v > 0 for v in flows))
    from engine.values import Array
    try:
        r = registry.get("IRR").impl(Array([values]), 0.1)
    except XLError as e:
        assert e.code == "#NUM!"
        return
    npv = sum(v / (1 + r) ** i for i, v in enumerate(values))
    scale = sum(abs(v) / (1 + r) ** i for i, v in enumerate(values))
    assert abs(npv) <= 1e-9 * scale


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=1, max_value=1e5), cash,
       st.lists(st.integers(min_value=0, max_value=4000), min_size=25, max_size=25))
def test_xirr_zeroes_xnpv(outlay, flows, offsets):
    values = [-outlay] + flows
    assume(any(v > 0 for v in flows))
    dates = [40000.0] + [40000.0 + o for o in offsets[:len(flows)]]
    from engine.values import Array
    try:
        r = registry.get("XIRR").impl(Array([values]), Array([dates]), 0.1)
    except XLError as e:
        assert e.code == "#NUM!"
        return
    years = [(d - dates[0]) / 365 for d in dates]
    xnpv = sum(v * (1 + r) ** -t for v, t in zip(values, years))
    scale = sum(abs(v) * (1 + r) ** -t for v, t in zip(values, years))
    assert abs(xnpv) <= 1e-9 * scale


def test_irr_matches_xirr_on_yearly_dates():
    flows = [-1000, 300, 400, 500, 200]
    dates = [D(2001, 1, 1) + 365 * i for i in range(5)]  # no leap day inside: 365-day years
    cells = {f"A{i + 1}": v for i, v in enumerate(flows)}
    cells.update({f"B{i + 1}": d for i, d in enumerate(dates)})
    assert ev("XIRR(A1:A5,B1:B5)", cells) == approx(ev("IRR(A1:A5)", cells))


# --- NumPy versions for scenario vectors ---------------------------------------------------

@pytest.mark.parametrize("name, arity", [("PMT", 5), ("PV", 5), ("FV", 5), ("NPER", 5),
                                         ("IPMT", 6), ("PPMT", 6)])
def test_vector_versions_match_scalar(name, arity):
    spec = registry.get(name)
    rng = np.random.default_rng(7)
    n = 400
    choices = {
        "rate": [0.0, 0.05, -0.5, 0.1, -1.0, -2.0, 1e-12],
        "n": [0.0, 1.0, 12.0, 360.0, 2.5, -3.0],
        "per": [0.0, 1.0, 2.0, 3.0, 12.0, 13.5],
        "type": [0.0, 1.0, 2.0],
    }
    if arity == 5:
        kinds = ["rate", "n", "money", "money", "type"] if name != "NPER" else \
            ["rate", "money", "money", "money", "type"]
    else:
        kinds = ["rate", "per", "n", "money", "money", "type"]
    args = [rng.normal(0, 1000, n) if k == "money" else rng.choice(choices[k], n) for k in kinds]
    with np.errstate(all="ignore"):
        vec = np.asarray(spec.vector(*args), dtype=float)
    for i in range(n):
        try:
            s = spec.impl(*(float(a[i]) for a in args))
        except (XLError, ZeroDivisionError, ValueError, OverflowError):
            s = math.nan
        if not math.isfinite(s):
            assert not math.isfinite(vec[i])
        else:
            assert vec[i] == approx(s)
