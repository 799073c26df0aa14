"""Excel number formats (engine/functions/numfmt.py) and the General format of
numbers turned into text (engine/values.number_to_text)."""
import pytest

from engine.functions.numfmt import format_value, general
from engine.values import XLError, number_to_text


def fmt(value, code, **kw):
    try:
        return format_value(value, code, **kw)
    except XLError as e:
        return e.code


# --- number_to_text: numbers coerced to text (A1&"", CONCAT, LEN...) ---------------

@pytest.mark.parametrize("x, text", [
    (0.0, "0"),
    (-0.0, "0"),
    (12.0, "12"),
    (-12.5, "-12.5"),
    (1 / 3, "0.333333333333333"),
    (0.1 + 0.2, "0.3"),
    (123456789012345.0, "123456789012345"),
    (1e15, "1E+15"),
    (1234567890123456.0, "1.23456789012346E+15"),
    (2.0 ** 53, "9.00719925474099E+15"),
    (0.0001, "0.0001"),
    (7.123456e-9, "0.000000007123456"),        # digits end within 18 decimals: plain
    (1e-18, "0.000000000000000001"),
    (1e-20, "1E-20"),
    (0.00266009278646834, "0.00266009278646834"),
    (-1.11280735120837e-05, "-1.11280735120837E-05"),
    (1.2e-45, "1.2E-45"),
    (1e300, "1E+300"),
])
def test_number_to_text(x, text):
    assert number_to_text(x) == text


# --- TEXT's General (11 characters) ----------------------------------------------------

@pytest.mark.parametrize("x, text", [
    (12.0, "12"),
    (1 / 3, "0.333333333"),
    (-1 / 3, "-0.333333333"),
    (12345.6789, "12345.6789"),
    (25000000000.0, "25000000000"),
    (123456789012.0, "1.23457E+11"),
    (250000000000.0, "2.5E+11"),
    (1e16, "1E+16"),
    (-1e-8, "-0.00000001"),
    (-2.5e-9, "-2.5E-09"),
    (1.2e-16, "1.2E-16"),
    (0.0000123456789, "1.23457E-05"),
    (99999999999.7, "1E+11"),
])
def test_general(x, text):
    assert general(x) == text


# --- numbers -----------------------------------------------------------------------------

@pytest.mark.parametrize("x, code, text", [
    (12345.6789, "0", "12346"),
    (12345.6789, "0.00", "12345.68"),
    (12345.6789, "#,##0", "12,346"),
    (-12345.6789, "#,##0_);(#,##0)", "(12,346)"),
    (12.0, "$#,##0_);($#,##0)", "$12 "),
    (-1 / 3, "0", "0"),                          # no minus sign on a zero display
    (-1 / 3, "0.00", "-0.33"),
    (-1 / 3, "#,##0_);(#,##0)", "(0)"),           # section still chosen by the sign
    (12345.6789, "00-00-00-00", "00-01-23-46"),
    (123456789012.0, "00-00-00-00", "123456-78-90-12"),
    (-12.0, "00-00-00-00", "-00-00-00-12"),
    (12.0, "[Red]#.#", "12."),
    (0.0, "[Red]#.#", "."),
    (1 / 3, "[Red]#.#", ".3"),
    (12345.6789, '#,#.00 "Millions!"', "12,345.68 Millions!"),
    (123456789012.0, '#,##,, "Millions"', "123,457 Millions"),
    (12345678.0, '#,##0,,"M"', "12M"),
    (1 / 3, "0.00%", "33.33%"),
    (0.123, "0.0%", "12.3%"),
    (1.005, "0.00", "1.01"),                     # 15 digits first, then half up
    (2.5, "0", "3"),
    (12.5, ".00", "12.50"),
    (5.0, "000", "005"),
    (1234.5, "0.0#", "1234.5"),
    (0.5, "0.0?", "0.5 "),
    (1234.5, "#,##0.00 €", "1,234.50 €"),
    (100.0, "[$€-407] #,##0.00", "€ 100.00"),
    (1.23456e19, "0", "12345600000000000000"),
])
def test_decimal_formats(x, code, text):
    assert fmt(x, code) == text


@pytest.mark.parametrize("x, code, text", [
    (12.0, "0.00E+0", "1.20E+1"),
    (0.0, "0.00E+0", "0.00E+0"),
    (-2.5e-9, "0.00E+0", "-2.50E-9"),
    (1.2e-16, "0.00E+0", "1.20E-16"),
    (0.00012, "0.0E+00", "1.2E-04"),
    (9.9999, "0.00E+0", "1.00E+1"),
    (1234.5, "0.00e-00", "1.23e03"),
    (12345.0, "##0.0E+0", "12.3E+3"),          # engineering: exponent multiple of 3
    (12345.0, "00.00E+00", "12.35E+03"),
])
def test_scientific(x, code, text):
    assert fmt(x, code) == text


@pytest.mark.parametrize("x, code, text", [
    (0.5, "# ?/?", " 1/2"),
    (1.25, "# ?/?", "1 1/4"),
    (-1.25, "# ?/?", "-1 1/4"),
    (3.0, "# ?/?", "3    "),
    (1.5, "?/?", "3/2"),
    (0.3333, "?/?", "1/3"),
    (3.14159, "# ??/??", "3 14/99"),
    (0.5, "# ?/8", " 4/8"),
    (2.5, "# ??/100", "2 50/100"),
])
def test_fractions(x, code, text):
    assert fmt(x, code) == text


@pytest.mark.parametrize("x, code, text", [
    (0.0, '0;-0;"zero"', "zero"),
    (-5.0, "0;0", "5"),
    (-3.0, "General;(General)", "(3)"),
    (150.0, '[>100]"big";"small"', "big"),
    (50.0, '[>100]"big";"small"', "small"),
    (5551234.0, "[<=9999999]###-####;(###) ###-####", "555-1234"),
    (8005551234.0, "[<=9999999]###-####;(###) ###-####", "(800) 555-1234"),
    (5.0, "0;-0;", "5"),
    (0.0, "0;-0;", ""),
    (1.0, "", ""),
    (5.0, "@", "5"),
    (0.5, "General", "0.5"),
])
def test_sections(x, code, text):
    assert fmt(x, code) == text


def test_text_values():
    assert fmt("abc", '0;0;0;"t:"@') == "t:abc"
    assert fmt("abc", "0.00") == "abc"            # no text section: unchanged
    assert fmt("x", "[$-409]mmmm d, yyyy;@") == "x"
    assert fmt(True, "0.00") == "TRUE"


# --- dates and times -------------------------------------------------------------------

@pytest.mark.parametrize("x, code, text", [
    (41181.0, "m/d/y", "9/29/12"),
    (41181.0, "dd/mm--yy", "29/09--12"),
    (41181.0, "ddd--/--mmm--/++yyy", "Sat--/--Sep--/++2012"),
    (41181.0, "dddd/mmmm/yyyyy", "Saturday/September/2012"),
    (41181.0, "ddddd/mmmmm/yyyyy", "Saturday/S/2012"),
    (100.0, "dddd m/d/yyyy", "Monday 4/9/1900"),
    (0.0, "m/d/yyyy", "1/0/1900"),
    (60.0, "m/d/yyyy", "2/29/1900"),               # Excel's fictitious leap day
    (61.0, "dddd m/d/yyyy", "Thursday 3/1/1900"),
    (2958465.0, "m/d/yyyy", "12/31/9999"),
    (2958466.0, "m/d/y", "#VALUE!"),
    (-1.0, "m/d/y", "#VALUE!"),
    (41181.0, "mm###", "#VALUE!"),                  # dates mixed with digits
    (0.75, "h:mm AM/PM", "6:00 PM"),
    (0.75, "hh:mm:ss", "18:00:00"),
    (0.5, "h:mm a/p", "12:00 p"),
    (1.5, "[h]:mm", "36:00"),
    (0.5, "[ss]", "43200"),
    (45000.123456, "yyyy-mm-dd hh:mm:ss.000", "2023-03-15 02:57:46.598"),
    (0.99999999, "d hh:mm", "1 00:00"),             # rounds to the second first
    (44927.75, "m/d/yy h:mm AM/PM", "1/1/23 6:00 PM"),
    (44927.0, "[$-409]mmmm d, yyyy;@", "January 1, 2023"),
    (0.0, "mm:ss", "00:00"),
])
def test_dates(x, code, text):
    assert fmt(x, code) == text


def test_date1904():
    assert fmt(0.0, "yyyy-mm-dd dddd", date1904=True) == "1904-01-01 Friday"


def test_bad_codes():
    assert fmt(1.0, '"unterminated') == "#VALUE!"
    assert fmt(1.0, "0;0;0;@;0") == "#VALUE!"
