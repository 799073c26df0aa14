"""Text functions (engine/functions/text.py)."""
import pytest

from engine.values import Array, XLError
from tests.formula_helpers import evaluate_array, evaluate_formula


def ev(formula, cells=None, **kw):
    return evaluate_formula(formula, cells, **kw)


def err(code):
    return XLError(code)


WORLD = {"A1": "A Wonderful World", "A2": "Hello     ", "A3": 123.0, "A4": "=1/0", "A5": "園田 直子  "}


@pytest.mark.parametrize("formula, expected", [
    ("LEN(A1)", 17.0),
    ("LEN(A3)", 3.0),
    ("LEN(B9)", 0.0),
    ("LEN(A4)", err("#DIV/0!")),
    ("LEN(1/3)", 17.0),
    ("LENB(A1)", 17.0),
    ("LEN(UNICHAR(128512))", 2.0),           # UTF-16 code units, as Excel counts
    ("LEFT(A1)", "A"),
    ("LEFT(A1,3)", "A W"),
    ("LEFT(A1,100)", "A Wonderful World"),
    ("LEFT(A1,-1)", err("#VALUE!")),
    ("LEFT(A1,3.7)", "A W"),
    ("LEFT(A3,2)", "12"),
    ("LEFT(A4,-1)", err("#DIV/0!")),
    ("RIGHT(A1)", "d"),
    ("RIGHT(A1,3)", "rld"),
    ("RIGHT(A2,3)", "   "),
    ("RIGHT(A1,0)", ""),
    ("RIGHT(A1,-2)", err("#VALUE!")),
    ("MID(A1,3,100)", "Wonderful World"),
    ("MID(A1,1.3,7.3)", "A Wonde"),
    ("MID(A1,0,3)", err("#VALUE!")),
    ("MID(A1,2,-3)", err("#VALUE!")),
    ("MID(A1,20,5)", ""),
    ("MID(A1,B9,B9)", err("#VALUE!")),
    ("REPLACE(\"abcdefghijk\",6,5,\"*\")", "abcde*k"),
    ("REPLACE(\"2009\",3,2,\"10\")", "2010"),
    ("REPLACE(\"abc\",0,1,\"x\")", err("#VALUE!")),
    ("TRIM(A2)", "Hello"),
    ("TRIM(\"  a   b  \")", "a b"),
    ("TRIM(A5)", "園田 直子"),
    ("CLEAN(CHAR(9)&\"Monthly\"&CHAR(10))", "Monthly"),
    ("UPPER(\"abc ß\")", "ABC ß"),
    ("LOWER(\"#DIV/0!\")", "#div/0!"),
    ("PROPER(\"democracy dies in the shadows\")", "Democracy Dies In The Shadows"),
    ("PROPER(\"don't 2nd\")", "Don'T 2Nd"),
    ("PROPER(\"三体\")", "三体"),
])
def test_slicing_and_case(formula, expected):
    assert ev(formula, WORLD) == expected


@pytest.mark.parametrize("formula, expected", [
    ('FIND("M","Miriam McGovern")', 1.0),
    ('FIND("m","Miriam McGovern")', 6.0),
    ('FIND("M","Miriam McGovern",3)', 8.0),
    ('FIND("Ana","Banana")', err("#VALUE!")),
    ('FIND("ana","ana",2)', err("#VALUE!")),
    ('FIND("Jude","Hey Jude",17)', err("#VALUE!")),
    ('FIND("Hey","Hey Jude",0)', err("#VALUE!")),
    ('FIND(TRUE,TRUE)', 1.0),
    ('FIND(TRUE,3214)', err("#VALUE!")),
    ('FIND("~","Hi ~Bang!")', 4.0),
    ('FIND("国","中国香港")', 2.0),
    ('SEARCH("Ana","Banana")', 2.0),
    ('SEARCH("ns??i","Einstein")', 3.0),
    ('SEARCH("ns*i","Einstein")', 3.0),
    ('SEARCH("ns?i","Einstein")', err("#VALUE!")),
    ('SEARCH("*~?","Late?")', 1.0),
    ('SEARCH("~?","Late?")', 5.0),
    ('SEARCH("~*","Ho*la")', 3.0),
    ('SEARCH("~~","Hi ~Bang!")', 4.0),
    ('SEARCH("~","Hello")', 1.0),           # a lone ~ escapes nothing
    ('SEARCH("~d","My dear")', 4.0),
    ('SEARCH("~~*","Ho*la")', err("#VALUE!")),
    ('SEARCH("Lat???","Late")', err("#VALUE!")),
    ('SEARCHB("a","bab")', 2.0),
])
def test_find_search(formula, expected):
    assert ev(formula) == expected


@pytest.mark.parametrize("formula, expected", [
    ('SUBSTITUTE("My old, very old fears","old","new")', "My new, very new fears"),
    ('SUBSTITUTE("My old, very old fears","old","new",2)', "My old, very new fears"),
    ('SUBSTITUTE("My old, very old fears","old","new",3)', "My old, very old fears"),
    ('SUBSTITUTE("My old, very old fears","old","new",0)', err("#VALUE!")),
    ('SUBSTITUTE("My old, very old fears","","new")', "My old, very old fears"),
    ('SUBSTITUTE("aaa","aa","b",2)', "aaa"),
    ('SUBSTITUTE(123,2,"x")', "1x3"),
    ('REPT("Qwery",2.3)', "QweryQwery"),
    ('REPT("Qwery",-1)', err("#VALUE!")),
    ('REPT("Qwery",TRUE)', "Qwery"),
    ('REPT("Hwllo",123456789)', err("#VALUE!")),
    ('REPT(123,2)', "123123"),
    ('EXACT("Word","word")', False),
    ('EXACT(1,"1")', True),
    ('EXACT(TRUE,"TRUE")', True),
    ('EXACT(1/3,0.333333333333333)', True),
])
def test_substitute_rept_exact(formula, expected):
    assert ev(formula) == expected


JOIN = {"A1": "Hello", "B1": " ", "C1": "World", "A2": 123.0, "C2": "NEXT", "A3": True,
        "A4": "=1/0", "D1": ",", "D2": "-"}


@pytest.mark.parametrize("formula, expected", [
    ("CONCAT(A1:C1)", "Hello World"),
    ("CONCAT(A2:C2)", "123NEXT"),
    ("CONCAT(A1,B1,C1,A3)", "Hello WorldTRUE"),
    ("CONCAT(A1:A4)", err("#DIV/0!")),
    ("CONCAT({1,2;3,4},\"x\")", "1234x"),
    ("CONCATENATE(A1,,C1)", "HelloWorld"),
    ("CONCATENATE(A2,\"/mile\")", "123/mile"),
    ("CONCATENATE(A4,A1)", err("#DIV/0!")),
    ("TEXTJOIN(\",\",TRUE,A1:C2)", "Hello, ,World,123,NEXT"),
    ("TEXTJOIN(\",\",FALSE,A2:C2)", "123,,NEXT"),
    ("TEXTJOIN(D1:D2,TRUE,\"a\",\"b\",\"c\",\"d\")", "a,b-c,d"),   # delimiters in turn
    ("TEXTJOIN(A4,TRUE,\"a\")", err("#DIV/0!")),
    ("TEXTJOIN(0,TRUE,\"a\",\"b\")", "a0b"),
    ("TEXTJOIN(\",\",,\"a\",\"\",\"b\")", "a,,b"),
    ("TEXTJOIN(\",\",TRUE,\"a\",A4)", err("#DIV/0!")),
])
def test_joining(formula, expected):
    assert ev(formula, JOIN) == expected


def test_concatenate_implicit_intersection():
    cells = {"A1": "Hello", "A2": " ", "A3": "World", "B2": "=CONCATENATE(A1:A3,\"!\")"}
    from tests.formula_helpers import make_model
    m = make_model(cells)
    m.calculate()
    assert m.value("B2") == " !"


@pytest.mark.parametrize("formula, expected", [
    ("CHAR(65)", "A"),
    ("CHAR(128)", "€"),
    ("CHAR(129)", "\x81"),
    ("CHAR(255)", "ÿ"),
    ("CHAR(256)", err("#VALUE!")),
    ("CHAR(0)", err("#VALUE!")),
    ("CODE(\"A\")", 65.0),
    ("CODE(\"€uro\")", 128.0),
    ("CODE(\"\")", err("#VALUE!")),
    ("UNICHAR(12398)", "の"),
    ("UNICHAR(0)", err("#VALUE!")),
    ("UNICHAR(55296)", err("#N/A")),
    ("UNICODE(\"صش \")", 1589.0),
    ("UNICODE(TRUE)", 84.0),
    ("UNICODE(160)", 49.0),
    ("UNICODE(\"\")", err("#VALUE!")),
    ("ASC(\"ＡＢＣ　１\")", "ABC 1"),
    ("DBCS(\"AB 1\")", "ＡＢ　１"),
    ("ENCODEURL(\"http://a.b/c d.xlsx\")", "http%3A%2F%2Fa.b%2Fc%20d.xlsx"),
    ("BAHTTEXT(1234)", "หนึ่งพันสองร้อยสามสิบสี่บาทถ้วน"),
    ("BAHTTEXT(21.5)", "ยี่สิบเอ็ดบาทห้าสิบสตางค์"),
    ("BAHTTEXT(0)", "ศูนย์บาทถ้วน"),
])
def test_characters(formula, expected):
    assert ev(formula) == expected


@pytest.mark.parametrize("formula, expected", [
    ("T(\"abc\")", "abc"),
    ("T(123)", ""),
    ("T(TRUE)", ""),
    ("T(1/0)", err("#DIV/0!")),
    ("VALUE(\"40%\")", 0.4),
    ("VALUE(\"123,456.67\")", 123456.67),
    ("VALUE(\"1e-5\")", 1e-5),
    ("VALUE(\"12,34\")", err("#VALUE!")),
    ("VALUE(\"\")", err("#VALUE!")),
    ("VALUE(TRUE)", err("#VALUE!")),
    ("VALUE(B9)", 0.0),
    ("VALUE(12)", 12.0),
    ("VALUE(\"2-Feb-2026\")", 46055.0),
    ("NUMBERVALUE(\"2.500,27\",\",\",\".\")", 2500.27),
    ("NUMBERVALUE(\"3.5%\")", 0.035),
    ("NUMBERVALUE(\"9%%\")", 0.0009),
    ("NUMBERVALUE(\" 3 000 \")", 3000.0),
    ("NUMBERVALUE(\"\")", 0.0),
    ("NUMBERVALUE(\"1.2.3\")", err("#VALUE!")),
    ("NUMBERVALUE(\"1.234,5\")", err("#VALUE!")),   # group separator after the decimal
    ("VALUETOTEXT(123)", "123"),
    ("VALUETOTEXT(\"a\"\"b\",1)", "\"a\"\"b\""),
    ("VALUETOTEXT(1/0)", "#DIV/0!"),
    ("VALUETOTEXT(TRUE,1)", "TRUE"),
    ("VALUETOTEXT(1,2)", err("#VALUE!")),
    ("VALUETOTEXT(7.123456E-9)", "0.000000007123456"),
    ("ARRAYTOTEXT({1,\"a\";TRUE,2})", "1, a, TRUE, 2"),
    ("ARRAYTOTEXT({1,\"a\";TRUE,2},1)", "{1,\"a\";TRUE,2}"),
    ("ARRAYTOTEXT({1},3)", err("#VALUE!")),
])
def test_value_conversions(formula, expected):
    assert ev(formula) == expected


def test_arraytotext_range():
    cells = {"A1": 12.0, "B1": 0.1, "A2": "=1/0", "A3": "x"}
    assert ev("ARRAYTOTEXT(A1:B3)", cells) == "12, 0.1, #DIV/0!, , x, "
    assert ev("ARRAYTOTEXT(A1:B3,1)", cells) == '{12,0.1;#DIV/0!,;"x",}'


@pytest.mark.parametrize("formula, expected", [
    ('TEXT(12345.6789,"#,##0.00")', "12,345.68"),
    ('TEXT(-12,"$#,##0_);($#,##0)")', "($12)"),
    ('TEXT("12","0.00")', "12.00"),                 # numeric text is a number
    ('TEXT("abc","0.00")', "abc"),
    ('TEXT(TRUE,"0")', "TRUE"),
    ('TEXT(41181,"dddd, mmmm d, yyyy")', "Saturday, September 29, 2012"),
    ('TEXT(-1,"m/d/y")', err("#VALUE!")),
    ('TEXT(41181,"mm###")', err("#VALUE!")),
    ('TEXT(1/0,"0")', err("#DIV/0!")),
    ('TEXT(1/3,"General")', "0.333333333"),
    ('TEXT(5,0)', "5"),
    ('FIXED(1234.567)', "1,234.57"),
    ('FIXED(1234.567,1)', "1,234.6"),
    ('FIXED(1234.567,-1)', "1,230"),
    ('FIXED(-1234.567,-1,TRUE)', "-1230"),
    ('FIXED(44.332)', "44.33"),
    ('FIXED(1,128)', err("#VALUE!")),
    ('DOLLAR(1234.567)', "$1,234.57"),
    ('DOLLAR(1234.567,-2)', "$1,200"),
    ('DOLLAR(-1234.567,-2)', "($1,200)"),
    ('DOLLAR(-0.123,4)', "($0.1230)"),
    ('DOLLAR(99.888)', "$99.89"),
])
def test_text_fixed_dollar(formula, expected):
    assert ev(formula) == expected


def test_text_1904():
    from tests.formula_helpers import make_model
    m = make_model({"A1": '=TEXT(0,"yyyy-mm-dd")'})
    m.date1904 = True
    m.calculate()
    assert m.value("A1") == "1904-01-01"


@pytest.mark.parametrize("formula, expected", [
    ('TEXTAFTER("A day in the woods","the")', " woods"),
    ('TEXTBEFORE("A day in the woods","the")', "A day in "),
    ('TEXTAFTER("123 the 456 the 891","the",2)', " 891"),
    ('TEXTBEFORE("123 the 456 the 891","the",2)', "123 the 456 "),
    ('TEXTAFTER("123 the 456 the 891","the",-1)', " 891"),
    ('TEXTAFTER("123 the 456 the 891","the",-1.2)', " 456 the 891"),   # floored
    ('TEXTAFTER("123 the 456 the 891","the",1.6)', " 456 the 891"),
    ('TEXTAFTER("123 the 456 the 891","THE")', err("#N/A")),
    ('TEXTAFTER("123 the 456 the 891","THE",2,1)', " 891"),
    ('TEXTAFTER("123 the 456 the 891","THE",2,0,0,"@")', "@"),
    ('TEXTAFTER("123 the 456 the 891","the",5,1,0,"Not found")', "Not found"),
    ('TEXTAFTER("A day in the woods","the",0)', err("#VALUE!")),
    ('TEXTAFTER("del","deli")', err("#N/A")),
    ('TEXTAFTER("del","deli",1)', err("#VALUE!")),
    ('TEXTAFTER("del","deli",1/0)', err("#DIV/0!")),
    ('TEXTAFTER("123 the 456","Hello",1,1,1,"Failed")', ""),        # the end is a delimiter
    ('TEXTBEFORE("123 the 456","Hello",1,1,1,"Failed")', "123 the 456"),
    ('TEXTAFTER("123 the 456","Hello",-1,1,1,"Failed")', "123 the 456"),
    ('TEXTBEFORE("123 the 456","Hello",-1,1,1,"Failed")', ""),
    ('TEXTAFTER("123 the 456","Hello",2,1,1,"Failed")', "Failed"),
    ('TEXTAFTER("123 the 456","Hello",-1,1,2,"Failed")', err("#VALUE!")),
    ('TEXTAFTER("Email - me@example.com","- ",-1,,1)', "me@example.com"),
    ('TEXTBEFORE("you@example.com","- ",-1,,1)', ""),
    ('TEXTAFTER(123,1)', "23"),
    ('TEXTBEFORE(TRUE,"R")', "T"),
    ('TEXTAFTER("a-b_c",{"_","-"})', "b_c"),
    ('TEXTAFTER("abc","")', "abc"),
    ('TEXTBEFORE("abc","")', ""),
    ('TEXTAFTER("abc","",-1)', ""),
    ('TEXTAFTER("a1b","x",1,0,0,1/0)', err("#DIV/0!")),
    ('TEXTAFTER("a1b","1",1,0,0,1/0)', "b"),             # if_not_found unused
    ('TEXTAFTER("一条漫长而曲折的道路而曲折","而曲",2)', "折"),
])
def test_textbefore_textafter(formula, expected):
    assert ev(formula) == expected


def test_textafter_blank_if_not_found():
    assert ev('TEXTAFTER("TRUE","r",1,0,0,B1)') == ""


@pytest.mark.parametrize("formula, expected", [
    ('TEXTSPLIT("Orange,Banana,Pear",",")', Array([["Orange", "Banana", "Pear"]])),
    ('TEXTSPLIT("1,2,3;4,5,6",",",";")', Array([["1", "2", "3"], ["4", "5", "6"]])),
    ('TEXTSPLIT("1,,2",",",,TRUE)', Array([["1", "2"]])),
    ('TEXTSPLIT("1,,2",",")', Array([["1", "", "2"]])),
    ('TEXTSPLIT("1,2.3-4",{",",".","-"})', Array([["1", "2", "3", "4"]])),
    ('TEXTSPLIT("1,2.3-4",,{",","."})', Array([["1"], ["2"], ["3-4"]])),
    ('TEXTSPLIT("1,2,3;2,3",",",";")', Array([["1", "2", "3"], ["2", "3", err("#N/A")]])),
    ('TEXTSPLIT("1,2,3;2,3",",",";",TRUE,0,"-")', Array([["1", "2", "3"], ["2", "3", "-"]])),
    ('TEXTSPLIT("aXbxc","x",,,1)', Array([["a", "b", "c"]])),
    ('TEXTSPLIT("Hello","")', err("#VALUE!")),
    ('TEXTSPLIT("Hello",)', err("#VALUE!")),
    ('TEXTSPLIT("Hello",,"")', err("#VALUE!")),
])
def test_textsplit(formula, expected):
    assert evaluate_array(formula) == expected


@pytest.mark.parametrize("formula, expected", [
    ('REGEXTEST("Mr. Sherlock Holmes","[A-Z]her")', True),
    ('REGEXTEST("Mr. Sherlock Holmes","[0-9]+")', False),
    ('REGEXTEST("abc","ABC",1)', True),
    ('REGEXTEST("abc","(")', err("#VALUE!")),
    ('REGEXEXTRACT("LonelyPlanet","[A-Z][a-z]+")', "Lonely"),
    ('REGEXEXTRACT("LonelyPlanet","[0-9]")', err("#N/A")),
    ('REGEXREPLACE("JamesBond","([A-Z][a-z]+)([A-Z][a-z]+)","$2, $1 $2")', "Bond, James Bond"),
    ('REGEXREPLACE("a1b2c3","[0-9]","#")', "a#b#c#"),
    ('REGEXREPLACE("a1b2c3","[0-9]","#",2)', "a1b#c3"),
    ('REGEXREPLACE("a1b2c3","[0-9]","#",-1)', "a1b2c#"),
    ('REGEXREPLACE("cost 5","(\\d)","$$$1")', "cost $5"),
])
def test_regex(formula, expected):
    assert ev(formula) == expected


def test_regexextract_arrays():
    assert evaluate_array('REGEXEXTRACT("LonelyPlanet","[A-Z][a-z]+",1)') == Array([["Lonely", "Planet"]])
    assert evaluate_array('REGEXEXTRACT("ab-12","([a-z]+)-(\\d+)",2)') == Array([["ab", "12"]])


def test_lifting_over_arrays():
    assert evaluate_array('UPPER({"a","b";"c","d"})') == Array([["A", "B"], ["C", "D"]])
    assert evaluate_array('LEN({"ab","abc"})') == Array([[2.0, 3.0]])


def test_text_length_limit():
    assert ev('REPT("a",32767)') == "a" * 32767
    assert ev('REPT("a",32768)') == err("#VALUE!")
    assert ev('CONCAT(REPT("a",32767),"b")') == err("#VALUE!")
