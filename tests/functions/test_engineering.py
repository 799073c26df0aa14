"""Engineering functions (engine/functions/engineering.py)."""
import math

import pytest

from engine.values import Array, XLError
from tests.formula_helpers import evaluate_array, evaluate_formula


def ev(formula, cells=None, **kw):
    return evaluate_formula(formula, cells, **kw)


def err(code):
    return XLError(code)


# --- bases ----------------------------------------------------------------------

@pytest.mark.parametrize("formula, expected", [
    ("BIN2DEC(1100100)", 100.0),
    ('BIN2DEC("1110111011")', -69.0),
    ("BIN2DEC(2.3)", err("#NUM!")),
    ("BIN2DEC(10000000000)", err("#NUM!")),      # 11 digits
    ("BIN2DEC(-1)", err("#NUM!")),
    ("BIN2DEC(TRUE)", err("#VALUE!")),
    ('BIN2DEC("")', 0.0),
    ("BIN2HEX(1100100,3)", "064"),
    ("BIN2HEX(1111111111)", "FFFFFFFFFF"),
    ("BIN2HEX(1100011011,1)", "FFFFFFFF1B"),    # places ignored for negatives...
    ("BIN2HEX(1100011011,0)", err("#NUM!")),    # ...but still checked
    ("BIN2HEX(1100011011,11)", err("#NUM!")),
    ("BIN2HEX(1100011011,TRUE)", err("#VALUE!")),
    ("BIN2OCT(111111111,4)", "0777"),
    ("DEC2BIN(2.7)", "10"),
    ("DEC2BIN(-512.8)", "1000000000"),          # truncated toward zero
    ("DEC2BIN(-513)", err("#NUM!")),
    ("DEC2BIN(512)", err("#NUM!")),
    ("DEC2BIN(243,3)", err("#NUM!")),
    ("DEC2BIN(3,5)", "00011"),
    ('DEC2BIN("12")', "1100"),
    ("DEC2BIN(TRUE)", err("#VALUE!")),
    ('DEC2BIN("E",0)', err("#NUM!")),           # places are checked first
    ('DEC2BIN("E",1)', err("#VALUE!")),
    ("DEC2HEX(-1213)", "FFFFFFFB43"),
    ("DEC2HEX(549755813887)", "7FFFFFFFFF"),
    ("DEC2HEX(549755813888)", err("#NUM!")),
    ("DEC2OCT(536870911)", "3777777777"),
    ("DEC2OCT(536870912)", err("#NUM!")),
    ('HEX2DEC("FFFFFFFFFF")', -1.0),
    ('HEX2DEC("01fffffff")', 536870911.0),
    ("HEX2DEC(8000000000)", -549755813888.0),
    ('HEX2DEC("QWERTY")', err("#NUM!")),
    ('HEX2BIN("FE",9)', "011111110"),
    ('HEX2BIN("FFEF")', err("#NUM!")),
    ('HEX2OCT("FFE0000000")', "4000000000"),
    ("OCT2BIN(776)", "111111110"),
    ("OCT2DEC(4000000000)", -536870912.0),
    ("OCT2HEX(4000000000)", "FFE0000000"),
    ("OCT2HEX(34,10)", "000000001C"),
])
def test_bases(formula, expected):
    assert ev(formula) == expected


# --- bits ---------------------------------------------------------------------------

@pytest.mark.parametrize("formula, expected", [
    ("BITAND(13,25)", 9.0), ("BITOR(13,25)", 29.0), ("BITXOR(13,25)", 20.0),
    ("BITAND(TRUE,5)", 1.0), ('BITOR("123",456)', 507.0),
    ("BITAND(-1,2)", err("#NUM!")), ("BITAND(12.5,3)", err("#NUM!")),
    ("BITAND(2^48,1)", err("#NUM!")), ("BITOR(2^48-1,1)", 281474976710655.0),
    ("BITLSHIFT(12,44)", 211106232532992.0), ("BITLSHIFT(12,45)", err("#NUM!")),
    ("BITLSHIFT(12,-2)", 3.0), ("BITLSHIFT(12,34.67)", 206158430208.0),
    ("BITLSHIFT(12,54)", err("#NUM!")), ("BITLSHIFT(12,-53)", 0.0),
    ("BITRSHIFT(100,4)", 6.0), ("BITRSHIFT(145,-3)", 1160.0), ("BITRSHIFT(12,50)", 0.0),
    ("BITRSHIFT(1/0,1)", err("#DIV/0!")),
])
def test_bits(formula, expected):
    assert ev(formula) == expected


# --- complex numbers --------------------------------------------------------------

@pytest.mark.parametrize("formula, expected", [
    ("COMPLEX(12,6)", "12+6i"),
    ('COMPLEX(1,-2,"j")', "1-2j"),
    ("COMPLEX(1,1)", "1+i"),
    ("COMPLEX(0,-1)", "-i"),
    ("COMPLEX(0,5)", "5i"),
    ("COMPLEX(0,0)", "0"),
    ('COMPLEX(1,2,"")', "1+2i"),
    ("COMPLEX(1,2,0)", err("#VALUE!")),
    ('COMPLEX(1,2,"I")', err("#VALUE!")),
    ("COMPLEX(1E-16,0)", "0.0000000000000001"),
    ("COMPLEX(1E-20,0)", "1E-20"),
    ("COMPLEX(1.2E-45,-3)", "1.2E-45-3i"),
    ("COMPLEX(0.00012,1.23456789)", "0.00012+1.23456789i"),
    ("IMCONJUGATE(\"3+4i\")", "3-4i"),
    ("IMSUM(\"3+4i\",\"-4+5i\")", "-1+9i"),
    ("IMSUB(\"3+4i\",\"-4+5i\")", "7-i"),
    ("IMPRODUCT(\"3+4i\",\"-4+5i\")", "-32-i"),
    ("IMPRODUCT(\"i\",\"i\")", "-1"),
    ("IMPRODUCT(7,Z1)", "0"),                     # a blank cell is 0
    ("IMDIV(\"1+i\",0)", err("#NUM!")),
    ("IMSUM(\"1+i\",\"1+j\")", err("#VALUE!")),    # mixed suffixes
    ("IMREAL(\"1.2E-45-3i\")", 1.2e-45),
    ("IMAGINARY(\"-j\")", -1.0),
    ("IMABS(\"3+4i\")", 5.0),
    ("IMARGUMENT(0)", err("#DIV/0!")),
    ("IMLN(0)", err("#NUM!")),
    ("IMCOT(0)", err("#NUM!")),
    ("IMREAL(\"1 + 2i\")", err("#NUM!")),
    ("IMREAL(TRUE)", err("#VALUE!")),
    ("IMREAL(\"=COMPLEX(1,2)\")", err("#NUM!")),
    ("IMSQRT(\"j\")", "0.707106781186548+0.707106781186547j"),
    ("IMPOWER(\"2+i\",0)", "1"),
    ("IMPOWER(0,-1)", err("#NUM!")),
    ("IMEXP(0)", "1"),
    ("IMLOG2(\"1+i\")", "0.5+1.1330900354568i"),
])
def test_complex(formula, expected):
    assert ev(formula) == expected


def test_complex_transcendental_parts():
    assert ev('IMREAL(IMCOS("12+6i"))') == pytest.approx(170.218538080177, rel=1e-12)
    assert ev('IMAGINARY(IMSIN("1-2j"))') == pytest.approx(-1.95960104142161, rel=1e-12)
    assert ev('IMREAL(IMTAN("12+6i"))') == pytest.approx(-1.11280735120837e-5, rel=1e-9)
    assert ev('IMREAL(IMLOG10("12+6i"))') == pytest.approx(1.12763625255165, rel=1e-12)


# --- CONVERT -----------------------------------------------------------------------

@pytest.mark.parametrize("formula, expected", [
    ('CONVERT(1,"lbm","kg")', 0.45359237),
    ('CONVERT(0.05,"Mg","g")', 50000.0),
    ('CONVERT(4,"mi","m")', 6437.376),
    ('CONVERT(1,"yr","day")', 365.25),
    ('CONVERT(1,"ft2","m2")', 0.09290304),
    ('CONVERT(0.05,"Mm2","m2")', 5e10),          # the prefix is squared
    ('CONVERT(0.0002,"Mm3","m3")', 2e14),
    ('CONVERT(1,"kibyte","bit")', 8192.0),
    ('CONVERT(1,"Mbit","bit")', 1e6),
    ('CONVERT(100,"C","F")', 212.0),
    ('CONVERT(1,"F","K")', 255.92777777777775),
    ('CONVERT(1,"Rank","K")', 5 / 9),
    ('CONVERT(1,"HP","W")', 745.69987158227025),
    ('CONVERT(1,"atm","mmHg")', 101325 / 133.322),
    ('CONVERT(1,"m","sec")', err("#N/A")),         # different quantities
    ('CONVERT(1,"Mft","m")', err("#N/A")),         # no prefixes on imperial units
    ('CONVERT(1,"kim","m")', err("#N/A")),         # binary prefixes only for bits/bytes
    ('CONVERT(1,"xyz","m")', err("#N/A")),
    ('CONVERT(TRUE,"m","m")', err("#VALUE!")),
    ('CONVERT("2","m","cm")', 200.0),
])
def test_convert(formula, expected):
    got = ev(formula)
    if isinstance(expected, float):
        assert got == pytest.approx(expected, rel=1e-12)
    else:
        assert got == expected


# --- DELTA, GESTEP, ERF ----------------------------------------------------------------

def test_delta_gestep():
    assert ev("DELTA(3,3)") == 1.0
    assert ev("DELTA(3)") == 0.0
    assert ev("DELTA(0)") == 1.0
    assert ev('DELTA("2","2")') == 1.0
    assert ev("DELTA(TRUE,1)") == err("#VALUE!")
    assert ev("GESTEP(-2,-7)") == 1.0
    assert ev("GESTEP(-1)") == 0.0
    assert ev("GESTEP(1/0)") == err("#DIV/0!")


def test_erf():
    assert ev("ERF(1)") == pytest.approx(0.8427007929497149, rel=1e-14)
    assert ev("ERF(0,5)") == pytest.approx(0.9999999999984626, rel=1e-14)
    assert ev("ERF(5,4)") == pytest.approx(-1.5415720477918171e-8, rel=1e-9)
    assert ev("ERF(7,Z1)") == -1.0                    # a blank upper bound is 0
    assert ev("ERFC(7)") == pytest.approx(4.1838256077794166e-23, rel=1e-12)
    assert ev("ERF.PRECISE(-2)") == pytest.approx(-0.9953222650189527, rel=1e-14)
    assert ev("ERFC.PRECISE(0)") == 1.0
    assert ev("ERF(TRUE)") == err("#VALUE!")


# --- Bessel ---------------------------------------------------------------------------------

@pytest.mark.parametrize("formula, expected", [
    ("BESSELJ(0,0)", 1.00000000283141),            # Excel's approximation, not exactly 1
    ("BESSELJ(1E-10,1)", 5.0000000007600609e-11),
    ("BESSELJ(2,30)", 3.6502562664740967e-33),
    ("BESSELJ(-1,3)", -1.9563353982687996e-2),
    ("BESSELI(0.2,0)", 1.0100250221205638),
    ("BESSELI(1.5,12)", 6.9049551170033401e-11),
    ("BESSELI(-10,7)", -238.02558784759299),
    ("BESSELK(1E-10,0)", 23.141782450500401),
    ("BESSELK(1.5,12)", 598740569.41565168),
    ("BESSELY(1E-10,1)", -6366197720.0),
    ("BESSELY(1.5,12)", -422217415.93450242),
])
def test_bessel_values(formula, expected):
    assert ev(formula) == pytest.approx(expected, rel=1e-9)


def test_bessel_errors():
    assert ev("BESSELJ(1,-1)") == err("#NUM!")
    assert ev("BESSELK(0,1)") == err("#NUM!")
    assert ev("BESSELY(-1,1)") == err("#NUM!")
    assert ev("BESSELI(TRUE,1)") == err("#VALUE!")
    assert ev("BESSELJ(1,1.999)") == ev("BESSELJ(1,1)")    # order truncated
    assert ev("BESSELI(100000,5)") == err("#NUM!")          # overflow


def test_engineering_lifts_over_arrays():
    assert evaluate_array("DEC2BIN({1,2,3})") == Array([["1", "10", "11"]])
    assert evaluate_array('IMREAL({"1+i";"2"})') == Array([[1.0], [2.0]])
