"""Reading workbooks: features of the format, and hostile or corrupt files
refused with a clear message naming the part."""
from __future__ import annotations

import struct
import time
import zipfile

import pytest

import engine
from engine.values import BLANK, XLError
from engine.xlsx import WorkbookError, read_workbook
from tests.xlsx_raw import build_xlsx, sheet_xml


def test_constants_shared_array_and_dynamic_formulas(tmp_path):
    rows = ('<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="shared" ref="B1:B3" si="0">A1*10</f><v>10</v></c>'
            '<c r="C1" t="s"><v>0</v></c><c r="D1" t="b"><v>1</v></c><c r="E1" t="e"><v>#N/A</v></c></row>'
            '<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f t="shared" si="0"/><v>20</v></c>'
            '<c r="C2" t="inlineStr"><is><t>inline</t></is></c></row>'
            '<row r="3"><c r="A3"><v>3</v></c><c r="B3"><f t="shared" si="0"/><v>30</v></c></row>'
            '<row r="5"><c r="A5"><f t="array" ref="A5:A7">A1:A3*2</f><v>2</v></c></row>'
            '<row r="6"><c r="A6"><v>4</v></c></row>')
    sst = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><r><t>rich </t></r>'
           '<r><t>text</t></r></si></sst>')
    rels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            '</Relationships>')
    p = build_xlsx(tmp_path / "f.xlsx", sheet_xml(rows, '<mergeCells count="1"><mergeCell ref="C5:D6"/></mergeCells>'),
                   names='<definedNames><definedName name="Rate">0.05</definedName>'
                         '<definedName name="Local" localSheetId="0">Sheet1!$A$1</definedName>'
                         '<definedName name="solver_opt" localSheetId="0" hidden="1">Sheet1!$B$1</definedName>'
                         '</definedNames>',
                   calc='<calcPr calcId="191029" iterate="1" iterateCount="50" iterateDelta="0.0001"/>',
                   extra_parts={"xl/sharedStrings.xml": sst, "xl/_rels/workbook.xml.rels": rels})
    wb = read_workbook(p)
    cells = wb.sheets[0].cells
    assert cells[(1, 3)].value == "rich text" and cells[(1, 4)].value is True
    assert cells[(1, 5)].value == XLError("#N/A") and cells[(2, 3)].value == "inline"
    assert cells[(2, 2)].shared_master == (1, 2) and cells[(2, 2)].formula is None
    assert cells[(5, 1)].array_ref == "A5:A7" and cells[(6, 1)].array_member and cells[(7, 1)].array_member
    assert wb.calc.iterate and wb.calc.iterate_count == 50 and wb.calc.iterate_delta == 0.0001
    assert wb.sheets[0].merged == ["C5:D6"]
    assert wb.solver_names()[0]["solver_opt"] == "Sheet1!$B$1"
    m = engine.load(p)
    m.calculate()
    assert m.value("B3") == 30.0 and m.value("A7") == 6.0
    assert m.value("A6") == 4.0   # computed by the array formula, not read from the file
    assert m.cached[(0, 6, 1)] == 4.0


def test_openpyxl_written_workbook_round_trip(tmp_path):
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["A3"] = 2, 3, "=A1^A2"
    ws2 = wb.create_sheet("Other Sheet")
    ws2["B2"] = "='Sheet'!A3+1"
    wb.save(tmp_path / "o.xlsx")
    m = engine.load(tmp_path / "o.xlsx").calculate()
    assert m.value("'Other Sheet'!B2") == 9.0


def test_zip_bomb_refused_quickly(tmp_path):
    p = tmp_path / "bomb.xlsx"
    build_xlsx(p)
    with zipfile.ZipFile(p, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/zeros.bin", b"\0" * (60 * 1024 * 1024))
    t0 = time.perf_counter()
    with pytest.raises(WorkbookError, match="zip bomb"):
        read_workbook(p)
    assert time.perf_counter() - t0 < 5


def test_part_larger_than_its_header_says_is_refused(tmp_path):
    p = tmp_path / "liar.xlsx"
    big = sheet_xml("".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 20000)))
    build_xlsx(p, big)
    data = bytearray(p.read_bytes())
    # shrink the declared uncompressed size of the sheet in the central directory
    name = b"xl/worksheets/sheet1.xml"
    i = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
    struct.pack_into("<I", data, i + 24, 100)
    p.write_bytes(bytes(data))
    with pytest.raises(WorkbookError):
        read_workbook(p)


def test_billion_laughs_refused(tmp_path):
    evil = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
            '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>')
    p = build_xlsx(tmp_path / "laughs.xlsx", evil)
    with pytest.raises(WorkbookError, match="xl/worksheets/sheet1.xml.*entit"):
        read_workbook(p)


@pytest.mark.parametrize("rows", [
    '<row r="1"><c r="A1000000000"><v>1</v></c></row>',
    '<row r="1000000000"><c><v>1</v></c></row>',
    '<row r="1"><c r="ZZZZ1"><v>1</v></c></row>',
])
def test_absurd_dimensions_refused(tmp_path, rows):
    p = build_xlsx(tmp_path / "huge.xlsx", sheet_xml(rows))
    with pytest.raises(WorkbookError, match="sheet1.xml"):
        read_workbook(p)


def test_claimed_dimension_alone_is_harmless(tmp_path):
    p = build_xlsx(tmp_path / "dim.xlsx", '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   '<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1"><v>5</v></c></row>'
                   '</sheetData></worksheet>')
    assert read_workbook(p).sheets[0].max_row == 1


def test_cell_budget_refuses_oversized_sheets(tmp_path):
    p = build_xlsx(tmp_path / "many.xlsx", sheet_xml("".join(
        f'<row r="{r}"><c r="A{r}"><v>1</v></c></row>' for r in range(1, 2001))))
    with pytest.raises(WorkbookError, match="more than"):
        read_workbook(p, max_cells=1000)


def test_corrupt_files_name_the_failing_part(tmp_path):
    p = tmp_path / "notzip.xlsx"
    p.write_text("hello, I am a CSV file renamed")
    with pytest.raises(WorkbookError, match="not a zip"):
        read_workbook(p)
    p = build_xlsx(tmp_path / "nosheet.xlsx", drop=("xl/worksheets/sheet1.xml",))
    with pytest.raises(WorkbookError, match="xl/worksheets/sheet1.xml"):
        read_workbook(p)
    p = build_xlsx(tmp_path / "badxml.xlsx", "<worksheet><sheetData><row>")
    with pytest.raises(WorkbookError, match="sheet1.xml.*not well-formed"):
        read_workbook(p)
    p = build_xlsx(tmp_path / "ok.xlsx")
    data = p.read_bytes()
    (tmp_path / "trunc.xlsx").write_bytes(data[: len(data) // 2])
    with pytest.raises(WorkbookError):
        read_workbook(tmp_path / "trunc.xlsx")


def test_external_links_are_reported_not_followed(tmp_path):
    rels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink" Target="externalLinks/externalLink1.xml"/>'
            '</Relationships>')
    ext_rels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLinkPath" '
                'Target="file:///C:/models/other.xlsx" TargetMode="External"/></Relationships>')
    sheet = sheet_xml('<row r="1"><c r="A1"><f>[1]Data!A1*2</f><v>4</v></c></row>')
    p = build_xlsx(tmp_path / "ext.xlsx", sheet, extra_parts={
        "xl/_rels/workbook.xml.rels": rels,
        "xl/externalLinks/externalLink1.xml": '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>',
        "xl/externalLinks/_rels/externalLink1.xml.rels": ext_rels})
    wb = read_workbook(p)
    assert wb.external_links == ["file:///C:/models/other.xlsx"]
    v = engine.load(p).calculate().value("A1")
    assert v.code == "#REF!" and "external" in v.message


def test_tables_and_structured_references(tmp_path):
    import openpyxl
    from openpyxl.worksheet.table import Table
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Item", "Price", "Qty"])
    ws.append(["a", 2, 3])
    ws.append(["b", 5, 4])
    ws.add_table(Table(displayName="Sales", ref="A1:C3"))
    ws["E1"] = "=SUM(Sales[Price])"
    ws["E2"] = "=SUMPRODUCT(Sales[Price],Sales[Qty])"
    ws["D2"] = "=Sales[[#This Row],[Price]]*2"
    wb.save(tmp_path / "t.xlsx")
    m = engine.load(tmp_path / "t.xlsx").calculate()
    assert m.value("E1") == 7.0
    assert m.value("D2") == 4.0
    if m.value("E2") != BLANK and not isinstance(m.value("E2"), XLError):
        assert m.value("E2") == 26.0


def test_rich_value_errors_are_read_as_the_error_excel_shows(tmp_path):
    meta = ('<metadata xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:xlrd="http://schemas.microsoft.com/office/spreadsheetml/2017/richdata">'
            '<metadataTypes count="1"><metadataType name="XLRICHVALUE"/></metadataTypes>'
            '<futureMetadata name="XLRICHVALUE" count="2"><bk><extLst><ext uri="x"><xlrd:rvb i="0"/></ext></extLst></bk>'
            '<bk><extLst><ext uri="x"><xlrd:rvb i="1"/></ext></extLst></bk></futureMetadata>'
            '<valueMetadata count="2"><bk><rc t="1" v="0"/></bk><bk><rc t="1" v="1"/></bk></valueMetadata></metadata>')
    rd = "http://schemas.microsoft.com/office/spreadsheetml/2017/richdata"
    values = f'<rvData xmlns="{rd}" count="2"><rv s="0"><v>13</v><v>0</v></rv><rv s="0"><v>8</v><v>0</v></rv></rvData>'
    structs = f'<rvStructures xmlns="{rd}" count="1"><s t="_error"><k n="errorType" t="i"/><k n="subType" t="i"/></s></rvStructures>'
    sheet = sheet_xml('<row r="1"><c r="A1" t="e" vm="1"><v>#VALUE!</v></c><c r="B1" t="e" vm="2"><v>#VALUE!</v></c>'
                      '<c r="C1" t="e"><v>#VALUE!</v></c></row>')
    p = build_xlsx(tmp_path / "rich.xlsx", sheet, extra_parts={
        "xl/metadata.xml": meta, "xl/richData/rdrichvalue.xml": values,
        "xl/richData/rdrichvaluestructure.xml": structs})
    cells = read_workbook(p).sheets[0].cells
    assert [cells[(1, c)].value.code for c in (1, 2, 3)] == ["#CALC!", "#SPILL!", "#VALUE!"]
