"""Date and Time functions and the shared calendar (engine/functions/dates.py).
Expected values are Excel's (documentation examples and workbooks it computed)."""
import pytest

from engine.functions import coerce, dates
from engine.values import XLError
from tests.formula_helpers import evaluate_formula, make_model


def ev(formula, cells=None):
    return evaluate_formula(formula, cells)


def ev1904(formula, cells=None):
    cells = dict(cells or {})
    cells["Z1000"] = "=" + formula
    m = make_model(cells)
    m.date1904 = True
    m.calculate()
    return m.value("Z1000")


def is_err(v, code):
    return isinstance(v, XLError) and v.code == code


# --- dates.py ---------------------------------------------------------------------

@pytest.mark.parametrize("serial, ymd", [
    (0, (1900, 1, 0)), (1, (1900, 1, 1)), (59, (1900, 2, 28)), (60, (1900, 2, 29)),
    (61, (1900, 3, 1)), (36526, (2000, 1, 1)), (2958465, (9999, 12, 31)), (39508.75, (2008, 3, 1)),
])
def test_serial_to_ymd_1900(serial, ymd):
    assert dates.serial_to_ymd(serial) == ymd


def test_serial_to_ymd_1904_and_range():
    assert dates.serial_to_ymd(0, date1904=True) == (1904, 1, 1)
    assert dates.serial_to_ymd(2957003, date1904=True) == (9999, 12, 31)
    for bad in (-1, 2958466):
        with pytest.raises(XLError):
            dates.serial_to_ymd(bad)


@pytest.mark.parametrize("ymd, serial", [
    ((2008, 1, 1), 39448), ((108, 1, 2), 39449), ((2008, 14, 2), 39846), ((2008, 1, -1), 39446),
    ((1900, 2, 29), 60), ((1900, 3, 0), 60), ((1900, 1, 0), 0), ((1, 1, 1), 367), ((2009, 1, 400), 40213),
])
def test_ymd_to_serial_normalises_like_date(ymd, serial):
    assert dates.ymd_to_serial(*ymd) == serial


def test_ymd_to_serial_errors_and_1904():
    for bad in ((1900, 1, -1), (10000, 1, 1), (-1, 1, 1), (9999, 13, -1), (0, 0, 1)):
        with pytest.raises(XLError):
            dates.ymd_to_serial(*bad)
    assert dates.ymd_to_serial(1904, 1, 1, date1904=True) == 0
    assert dates.ymd_to_serial(2008, 1, 1, date1904=True) == 39448 - 1462


def test_weekday_leap_and_days360():
    assert dates.weekday(1) == 1 and dates.weekday(0) == 7          # Excel's Sunday 1900-01-01
    assert dates.weekday(39492) == 5                                  # 2008-02-14 Thursday
    assert dates.weekday(0, date1904=True) == 6                       # 1904-01-01 Friday
    assert dates.is_leap(2000) and not dates.is_leap(1900) and dates.is_leap(2024)
    assert dates.days360(40573, 40908) == 330                         # 30-Jan-11 .. 31-Dec-11
    assert dates.days360(45351, 45716) == 358                         # 29-Feb-24 .. 28-Feb-25
    assert dates.days360(45658, 45688, european=True) == 29


def test_split_serial_rounds_to_second():
    assert dates.split_serial(0.999) == (0, 86314)
    assert dates.split_serial(40000.9999999) == (40001, 0)


def test_parse_datetime_text():
    p = coerce.parse_date_text
    assert p("2008-1-1") == p("1/1/2008") == p("1-Jan-2008") == p("Jan 1, 2008") == 39448
    assert p("January 1 2008") == p("1 January 2008") == p("2008/01/01") == 39448
    assert p("29-Feb-1900") == 60 and p("1-Mar-1900") == 61
    assert p("2026 - 01 - 01") == 46023 and p("4 Feb 2026") == p("4/Feb/2026") == 46057
    assert p("Jan-2008") == 39448 and p("1/1/08") == 39448 and p("1/1/30") == 10959
    assert p("2024-02-29 06:00") == 45351.25
    assert p("6:00 PM") == 0.75 and p("4 pm") == pytest.approx(16 / 24)
    assert p("12:00 AM") == 0 and p(" 1:30 ") == 0.0625 and p("4 : 35") == pytest.approx(275 / 1440)
    assert p("25:00") == pytest.approx(25 / 24) and p("4:65") == pytest.approx(305 / 1440)
    assert p("4:35:00.5") == pytest.approx(0.19097800925925926)
    for bad in ("qwerty", "7/5/1800", "7/5/10000", "2/30/2008", "13:00 PM", "", "1.2.3", "abc 1"):
        assert p(bad) is None, bad


# --- building dates and times -------------------------------------------------------

def test_date():
    assert ev("DATE(2008,1,1)") == 39448
    assert ev("DATE(2009,14,1)") == 40210
    assert ev("DATE(2009,-1,1)") == 39753
    assert ev("DATE(1,1,1)") == 367
    assert ev('DATE("2016",1,"1")') == 42370
    assert ev("DATE(1976,1,60)") == 27819
    assert ev("DATE(2025.9,6,15)") == 45823
    assert ev("DATE(2025.9999999,6,15)") == 46188
    assert ev("DATE(2025,-0.0000001,1)") == 45627
    for f in ("DATE(1900,1,-1)", "DATE(10000,1,1)", "DATE(-1,1,1)", "DATE(9999,13,-1)", "DATE(0,0,1)"):
        assert is_err(ev(f), "#NUM!"), f
    assert is_err(ev('DATE("x",1,1)'), "#VALUE!")
    assert is_err(ev("DATE(1/0,1,1)"), "#DIV/0!")


def test_time():
    assert ev("TIME(12,0,0)") == 0.5
    assert ev("TIME(23,59,60)") == 0
    assert ev("TIME(23,120,0)") == pytest.approx(1 / 24)
    assert ev("TIME(12,-2,10)") == pytest.approx(0.49872685185185184)
    assert ev("TIME(3.1,20.7,0.9)") == pytest.approx(0.1388888888888889)
    assert ev("TIME(32767,32767,32767)") == pytest.approx(0.42577546296297442)
    assert ev("TIME(1,1,0.9999999)") == pytest.approx(3661 / 86400)
    assert ev("TIME(1,1,0.999999)") == pytest.approx(3660 / 86400)
    assert ev("TIME(TRUE,FALSE,TRUE)") == pytest.approx(3601 / 86400)
    for f in ("TIME(0,0,-1)", "TIME(-1,1,1)", "TIME(32768,0,0)"):
        assert is_err(ev(f), "#NUM!"), f


def test_datevalue_timevalue():
    assert ev('DATEVALUE("8/22/2011")') == 40777
    assert ev('DATEVALUE("22-MAY-2011")') == 40685
    assert ev('DATEVALUE("2011/02/23")') == 40597
    assert ev('DATEVALUE("29-Feb-1900")') == 60
    assert ev('DATEVALUE("2024-02-29 06:00")') == 45351
    assert ev('DATEVALUE("2026-01-01 25:00:00")') == 46024
    assert is_err(ev("DATEVALUE(40000)"), "#VALUE!")
    assert is_err(ev('DATEVALUE("1/1/1899")'), "#VALUE!")
    assert is_err(ev("DATEVALUE(A1)"), "#VALUE!")
    assert ev('TIMEVALUE("2:24 AM")') == pytest.approx(0.1)
    assert ev('TIMEVALUE("22-Aug-2011 6:35 AM")') == pytest.approx(0.2743055555555556)
    assert ev('TIMEVALUE("24:00")') == 0
    assert ev('TIMEVALUE("12:00 PM")') == 0.5
    assert ev('DATEVALUE("2024-02-29")+TIMEVALUE("6:00")') == 45351.25
    assert is_err(ev('TIMEVALUE("noon")'), "#VALUE!")
    assert is_err(ev("TIMEVALUE(0.5)"), "#VALUE!")


def test_now_today():
    today = ev("TODAY()")
    now = ev("NOW()")
    assert today > 45000 and today == int(today)
    assert today <= now < today + 1.0001


# --- taking dates apart -------------------------------------------------------------

def test_year_month_day():
    assert [ev(f"{f}(32111)") for f in ("YEAR", "MONTH", "DAY")] == [1987, 11, 30]
    assert [ev(f"{f}(61)") for f in ("YEAR", "MONTH", "DAY")] == [1900, 3, 1]
    assert [ev(f"{f}(60)") for f in ("YEAR", "MONTH", "DAY")] == [1900, 2, 29]
    assert [ev(f"{f}(0)") for f in ("YEAR", "MONTH", "DAY")] == [1900, 1, 0]
    assert ev("DAY(32112.5)") == 1
    assert ev("DAY(40000.9999999)") == 7                    # rounds to the second
    assert ev('YEAR("2008-07-05")') == 2008
    assert is_err(ev("YEAR(-1)"), "#NUM!")
    assert is_err(ev("DAY(2958466)"), "#NUM!")
    assert is_err(ev('YEAR("7/5/1800")'), "#VALUE!")
    assert is_err(ev('MONTH("qwerty")'), "#VALUE!")


def test_hour_minute_second():
    assert [ev(f"{f}(0.12640046296296295)") for f in ("HOUR", "MINUTE", "SECOND")] == [3, 2, 1]
    assert ev("SECOND(0.999)") == 34
    assert ev("HOUR(0.999999999)") == 0
    assert ev('HOUR("2:30 PM")') == 14
    assert ev('HOUR("25:00:00")') == 1
    assert ev("HOUR(45351.75)") == 18
    assert is_err(ev("HOUR(-0.5)"), "#NUM!")
    assert is_err(ev("MINUTE(1E15)"), "#NUM!")


def test_weekday():
    assert ev('WEEKDAY("2/14/2008")') == 5
    assert ev('WEEKDAY("2/14/2008",2)') == 4
    assert ev('WEEKDAY("2/14/2008",3)') == 3
    assert [ev(f'WEEKDAY("2/14/2008",{t})') for t in range(11, 18)] == [4, 3, 2, 1, 7, 6, 5]
    assert ev("WEEKDAY(0)") == 7
    assert is_err(ev("WEEKDAY(40000,0)"), "#NUM!")
    assert is_err(ev("WEEKDAY(40000,4)"), "#NUM!")
    assert is_err(ev('WEEKDAY(-1,"abc")'), "#VALUE!")
    assert is_err(ev("WEEKDAY(-1,1/0)"), "#DIV/0!")
    assert is_err(ev("WEEKDAY(-1)"), "#NUM!")


def test_weeknum_isoweeknum():
    assert ev('WEEKNUM("3/9/2012")') == 10
    assert ev('WEEKNUM("3/9/2012",2)') == 11
    assert ev('WEEKNUM("2021-01-01",16)') == 1
    assert ev('WEEKNUM("2021-01-02",16)') == 2               # weeks start on Saturday
    assert ev('WEEKNUM("2021-01-01",21)') == 53
    assert ev('ISOWEEKNUM("3/9/2012")') == 10
    assert ev('ISOWEEKNUM("2022-01-01")') == 52
    assert ev('ISOWEEKNUM("2020-12-31")') == 53
    assert ev('ISOWEEKNUM("2019-12-30")') == 1
    assert is_err(ev("WEEKNUM(40000,3)"), "#NUM!")
    assert is_err(ev("WEEKNUM(TRUE)"), "#VALUE!")


# --- date arithmetic ----------------------------------------------------------------

def test_edate_eomonth():
    assert ev("EDATE(DATE(2011,1,15),1)") == 40589
    assert ev("EDATE(DATE(2011,1,15),-1)") == 40527
    assert ev("EDATE(DATE(2011,1,31),1)") == 40602                # clamped to Feb 28
    assert ev("EDATE(DATE(1987,12,1),-235.5)") == 24959           # months truncated
    assert is_err(ev("EDATE(61,-7)"), "#NUM!")
    assert is_err(ev("EDATE(-1,0)"), "#NUM!")
    assert ev("EOMONTH(DATE(2011,1,1),1)") == 40602
    assert ev("EOMONTH(DATE(2011,1,1),-3)") == 40482
    assert ev("EOMONTH(DATE(2023,3,2),-4.7)") == 44895
    assert ev('EOMONTH(DATE(2023,3,2),"2")') == 45077
    assert ev("EOMONTH(DATE(2023,3,2),A1)") == 45016
    assert ev("EOMONTH(DATE(1900,1,15),1)") == 60
    assert is_err(ev("EOMONTH(DATE(2023,3,2),TRUE)"), "#VALUE!")
    assert is_err(ev("EOMONTH(2958465,1)"), "#NUM!")
    assert is_err(ev("EDATE(1/0,1)"), "#DIV/0!")


def test_days_days360():
    assert ev("DAYS(DATE(2026,1,1),DATE(2025,1,1))") == 365
    assert ev("DAYS(46000.999999,45992.000001)") == 8
    assert ev("DAYS(A1,B1)", {"A1": True, "B1": False}) == 1
    assert ev('DAYS("2021-03-15","2021-02-01")') == 42
    assert is_err(ev("DAYS(-5,-10)"), "#NUM!")
    assert is_err(ev('DAYS("abc","def")'), "#VALUE!")
    assert ev("DAYS360(DATE(2025,1,1),DATE(2025,1,31))") == 30
    assert ev("DAYS360(DATE(2025,1,1),DATE(2025,1,31),TRUE)") == 29
    assert ev('DAYS360(DATE(2025,1,1),DATE(2025,1,31),"TRUE")') == 29
    assert ev("DAYS360(DATE(2024,2,29),DATE(2025,2,28))") == 358
    assert ev("DAYS360(DATE(2025,2,28),DATE(2025,3,1))") == 1
    assert ev("DAYS360(DATE(2024,1,31),DATE(2024,2,28))") == 28
    assert ev("DAYS360(45992.000001,46000.999999)") == 9        # date breakdown rounds
    assert ev("DAYS360(DATE(2025,1,10),DATE(2025,1,1))") == -9
    assert is_err(ev("DAYS360(-10,-5)"), "#NUM!")
    assert is_err(ev('DAYS360(1,2,"abc")'), "#VALUE!")


def test_yearfrac():
    assert ev("YEARFRAC(39508,39691,0)") == 0.5
    assert ev("YEARFRAC(39508,39691,1)") == 0.5
    assert ev("YEARFRAC(39508,39691,2)") == pytest.approx(0.5083333333333333, rel=1e-12)
    assert ev("YEARFRAC(39508,39691,3)") == pytest.approx(0.50136986301369868, rel=1e-12)
    assert ev("YEARFRAC(39508,39691,4)") == pytest.approx(0.49722222222222223, rel=1e-12)
    assert ev("YEARFRAC(39142,39325,1)") == pytest.approx(0.50136986301369868, rel=1e-12)
    assert ev("YEARFRAC(34824,46179,1)") == pytest.approx(31.088295687885012, rel=1e-12)
    assert ev("YEARFRAC(36015,45386,1)") == pytest.approx(25.655749340904482, rel=1e-12)
    assert ev("YEARFRAC(44594,45351,1)") == pytest.approx(2.0720802919708032, rel=1e-12)
    assert ev("YEARFRAC(44988,45350,1)") == pytest.approx(0.99178082191780825, rel=1e-12)
    assert ev("YEARFRAC(DATE(2012,1,1),DATE(2012,7,30),1)") == pytest.approx(0.57650273224043713)
    assert ev("YEARFRAC(46179,46084,0)") == pytest.approx(0.25833333333333336)
    assert ev("YEARFRAC(DATE(2011,2,28),DATE(2012,2,29),0)") == 1
    assert ev("YEARFRAC(44921,44561,2)") == 1
    assert ev("YEARFRAC(0,0)") == 0
    for f in ("YEARFRAC(1,2,5)", "YEARFRAC(-1,2)", "YEARFRAC(1,2,-1)"):
        assert is_err(ev(f), "#NUM!"), f
    assert is_err(ev("YEARFRAC(1,2,TRUE)"), "#VALUE!")


def test_datedif():
    assert ev('DATEDIF(40544,40908,"Y")') == 0
    assert ev('DATEDIF(40544,40908,"M")') == 11
    assert ev('DATEDIF(37043,37483,"D")') == 440
    assert ev('DATEDIF(40544,40908,"MD")') == 30
    assert ev('DATEDIF(40544,40908,"YM")') == 11
    assert ev('DATEDIF(37043,37483,"yd")') == 75
    assert ev('DATEDIF("6/1/2001","8/15/2002","MD")') == 14
    assert ev('DATEDIF("2000-02-02","2001-02-01","Y")') == 0
    assert ev('DATEDIF("2001-05-04","2020-05-03","YM")') == 11
    assert ev('DATEDIF(DATE(2011,1,31),DATE(2011,3,1),"MD")') == -2
    assert ev('DATEDIF(0,0,"D")') == 0
    for f in ('DATEDIF(2,1,"D")', 'DATEDIF(1,2,"x")', 'DATEDIF(1,2,5)', 'DATEDIF(1,2,"")'):
        assert is_err(ev(f), "#NUM!"), f


# --- working days -------------------------------------------------------------------

def test_networkdays():
    assert ev("NETWORKDAYS(DATE(2012,10,1),DATE(2013,3,1))") == 110
    assert ev("NETWORKDAYS(DATE(2012,10,1),DATE(2013,3,1),DATE(2012,11,22))") == 109
    cells = {"A1": 41235.0, "A2": 41247.0, "A3": 41295.0}
    assert ev("NETWORKDAYS(DATE(2012,10,1),DATE(2013,3,1),A1:A3)", cells) == 107
    assert ev("NETWORKDAYS(DATE(2013,3,1),DATE(2012,10,1))") == -110
    assert ev("NETWORKDAYS.INTL(DATE(2006,1,1),DATE(2006,1,31))") == 22
    assert ev("NETWORKDAYS.INTL(DATE(2006,2,28),DATE(2006,1,31))") == -21
    assert ev('NETWORKDAYS.INTL(DATE(2006,1,1),DATE(2006,2,1),7,{"2006/1/2","2006/1/16"})') == 22
    assert ev('NETWORKDAYS.INTL(DATE(2006,1,1),DATE(2006,2,1),"0010001",{"2006/1/2","2006/1/16"})') == 20
    assert ev("NETWORKDAYS.INTL(DATE(2025,1,1),DATE(2026,1,1),)") == 262
    assert is_err(ev("NETWORKDAYS.INTL(DATE(2025,1,1),DATE(2026,1,1),A1)"), "#NUM!")
    assert is_err(ev("NETWORKDAYS.INTL(1,100,8)"), "#NUM!")
    assert is_err(ev('NETWORKDAYS.INTL(1,100,"1111111")'), "#VALUE!")
    assert is_err(ev('NETWORKDAYS.INTL(1,100,"000001")'), "#VALUE!")
    assert is_err(ev("NETWORKDAYS(TRUE,100)"), "#VALUE!")
    assert is_err(ev("NETWORKDAYS(-1,100)"), "#NUM!")
    assert is_err(ev("NETWORKDAYS(1,100,A1:A2)", {"A1": 10.0, "A2": "=1/0"}), "#DIV/0!")


def test_workday():
    assert ev("WORKDAY(DATE(2008,10,1),151)") == 39933
    assert ev('WORKDAY(DATE(2008,10,1),151,{"2008-11-26","2008-12-4","2009-1-21"})') == 39938
    assert ev("WORKDAY(DATE(2025,1,10),-7)") == 45658
    assert ev("WORKDAY(DATE(2025,1,10),-1.5)") == ev("WORKDAY(DATE(2025,1,10),-1)")
    assert ev("WORKDAY(0,10)") == 13
    assert ev("WORKDAY(0,0)") == 0
    assert ev("WORKDAY.INTL(DATE(2012,1,1),90,11)") == 41013
    assert ev("WORKDAY.INTL(DATE(2012,1,1),30,17)") == 40944
    assert ev("WORKDAY.INTL(DATE(2025,1,10),10,TRUE)") == 45681
    assert ev("WORKDAY.INTL(DATE(2025,1,10),10,1.9999)") == 45681
    assert is_err(ev("WORKDAY.INTL(DATE(2012,1,1),30,0)"), "#NUM!")
    assert is_err(ev("WORKDAY(2958465,1)"), "#NUM!")
    assert is_err(ev("WORKDAY(TRUE,FALSE)"), "#VALUE!")
    assert is_err(ev('WORKDAY("",1/0)'), "#DIV/0!")
    cells = {"A1": 45671.0, "A2": "=1/0", "A3": "=NA()"}
    assert is_err(ev("WORKDAY(DATE(2025,1,10),3,A1:A3)", cells), "#DIV/0!")


# --- the 1904 date system -------------------------------------------------------------

def test_1904_system():
    assert ev1904("DATE(1904,1,1)") == 0
    assert ev1904("DATE(2008,1,1)") == 39448 - 1462
    assert is_err(ev1904("DATE(1903,12,31)"), "#NUM!")
    assert ev1904("YEAR(0)") == 1904
    assert ev1904('DATEVALUE("2008-01-01")') == 39448 - 1462
    assert ev1904('YEAR("2008-01-01")') == 2008
    assert ev1904("WEEKDAY(0)") == 6
    assert ev1904("EOMONTH(0,1)") == 59
    assert ev1904("TODAY()") == ev("TODAY()") - 1462
