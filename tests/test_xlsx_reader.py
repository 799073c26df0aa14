"""The OOXML reader: every feature it maps into the data model, and hostile or
corrupt files refused with a WorkbookError naming the file and the part."""
from __future__ import annotations

import datetime as dt
import io
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from engine.values import BLANK, XLError
from engine.xlsx import WorkbookError, read_workbook
from engine.xlsx import reader as reader_module
from engine.xlsx.refs import MAX_COLS, col_to_index, index_to_col, parse_cell_ref, parse_range_ref
from tests.xlsx_fixtures import (MAIN_NS, R_NS, XML_DECL, build_workbook, patch_declared_size,
                                 relationships, workbook_parts, worksheet, write_package)

from tests.corpus_path import CORPUS  # noqa: E402


def rows(*row_xml: str) -> str:
    return f"<sheetData>{''.join(row_xml)}</sheetData>"


def one_sheet(tmp_path: Path, body: str, name: str = "book.xlsx", **options) -> Path:
    return build_workbook(tmp_path / name, {"Sheet1": body}, **options)


# --- references -----------------------------------------------------------------

def test_cell_and_range_references():
    assert parse_cell_ref("B12") == (12, 2)
    assert parse_cell_ref("$B$12") == (12, 2)
    assert parse_cell_ref("xfd1048576") == (1_048_576, 16_384)
    assert col_to_index("XFD") == 16_384 and col_to_index("A") == 1 and col_to_index("AA") == 27
    assert index_to_col(16_384) == "XFD" and index_to_col(1) == "A" and index_to_col(702) == "ZZ"
    assert parse_range_ref("A1:C3") == (1, 1, 3, 3)
    assert parse_range_ref("$C$3:$A$1") == (1, 1, 3, 3)
    assert parse_range_ref("B2") == (2, 2, 2, 2)
    assert parse_range_ref("B:C") == (1, 2, 1_048_576, 3)
    assert parse_range_ref("2:5") == (2, 1, 5, 16_384)
    for bad in ("A0", "XFE1", "A1048577", "1A", "", "A1:", "A1:B", "A" + "9" * 40):
        with pytest.raises(ValueError):
            parse_range_ref(bad)


@given(st.integers(min_value=1, max_value=MAX_COLS), st.integers(min_value=1, max_value=1_048_576))
def test_reference_round_trip(col, row):
    assert col_to_index(index_to_col(col)) == col
    assert parse_cell_ref(f"{index_to_col(col)}{row}") == (row, col)


# --- values ----------------------------------------------------------------------

def test_constants_of_every_type(tmp_path):
    strings = ["plain", "line_x000a_break and _x005F_x0041_ literal",
               "<r><t>rich </t></r><r><rPr><b/></rPr><t>text</t></r><rPh sb=\"0\" eb=\"1\"><t>PHONETIC</t></rPh>"]
    body = rows(
        '<row r="1"><c r="A1"><v>3.5</v></c><c r="B1"><v>1E+3</v></c><c r="C1" t="n"><v>-7</v></c>'
        '<c r="D1" t="s"><v>0</v></c><c r="E1" t="s"><v>1</v></c><c r="F1" t="s"><v>2</v></c></row>',
        '<row r="2"><c r="A2" t="b"><v>1</v></c><c r="B2" t="b"><v>0</v></c>'
        '<c r="C2" t="e"><v>#DIV/0!</v></c><c r="D2" t="e"><v>#N/A</v></c>'
        '<c r="E2" t="inlineStr"><is><r><t>in</t></r><r><t>line</t></r></is></c>'
        '<c r="F2" t="str"><v>tab_x0009_</v></c></row>',
        '<row r="3"><c r="A3" t="d"><v>2024-01-15T12:00:00</v></c><c r="B3" t="d"><v>1900-02-28</v></c>'
        '<c r="C3" t="d"><v>1900-03-01</v></c><c r="D3" t="d"><v>06:00:00</v></c></row>',
        # formula cells: no cached value -> BLANK; an empty string result -> ""
        '<row r="4"><c r="A4"><f>1+1</f></c><c r="B4" t="str"><f>""&amp;""</f><v></v></c>'
        '<c r="C4"><f>=A1*2</f><v>7</v></c></row>',
        # styled empty cells are not content and do not widen the used range
        '<row r="5"><c r="A5" s="1"/><c r="Z5" s="2"></c></row><row r="900"><c r="AZ900" s="1"/></row>')
    wb = read_workbook(one_sheet(tmp_path, body, strings=strings))
    sheet = wb.sheets[0]
    value = {(r, c): rec.value for (r, c), rec in sheet.cells.items()}
    assert value[(1, 1)] == 3.5 and value[(1, 2)] == 1000.0 and value[(1, 3)] == -7.0
    assert all(isinstance(value[(1, c)], float) for c in (1, 2, 3))
    assert value[(1, 4)] == "plain"
    assert value[(1, 5)] == "line\nbreak and _x0041_ literal"
    assert value[(1, 6)] == "rich text"            # phonetic guide left out
    assert value[(2, 1)] is True and value[(2, 2)] is False
    assert value[(2, 3)] == XLError("#DIV/0!") and value[(2, 4)] == XLError("#N/A")
    assert value[(2, 5)] == "inline" and value[(2, 6)] == "tab\t"
    assert value[(3, 1)] == 45306.5                 # Excel's serial for 2024-01-15 12:00
    assert value[(3, 2)] == 59.0 and value[(3, 3)] == 61.0   # around the phantom 1900-02-29
    assert value[(3, 4)] == 0.25
    assert value[(4, 1)] is BLANK and sheet.cells[(4, 1)].formula == "1+1"
    assert value[(4, 2)] == ""
    assert sheet.cells[(4, 3)].formula == "A1*2" and value[(4, 3)] == 7.0   # leading '=' stripped
    assert (5, 1) not in sheet.cells and (900, 52) not in sheet.cells
    assert (sheet.max_row, sheet.max_col) == (4, 6)
    assert not sheet.cells[(1, 1)].is_formula
    assert wb.warnings == []


def test_missing_cell_and_row_references_follow_the_previous_ones(tmp_path):
    body = rows('<row r="2"><c r="B2"><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>',
                '<row><c><v>4</v></c><c r="E3"><v>5</v></c><c><v>6</v></c></row>')
    cells = read_workbook(one_sheet(tmp_path, body)).sheets[0].cells
    assert {k: r.value for k, r in cells.items()} == {
        (2, 2): 1.0, (2, 3): 2.0, (2, 4): 3.0, (3, 1): 4.0, (3, 5): 5.0, (3, 6): 6.0}


def test_bad_values_become_warnings_not_crashes(tmp_path):
    body = rows('<row r="1"><c r="A1"><v>abc</v></c><c r="B1" t="s"><v>99</v></c>'
                '<c r="C1" t="e"><v>#WHAT?</v></c><c r="D1" t="d"><v>not a date</v></c>'
                '<c r="E1" t="zz"><v>x</v></c><c r="F1"><v>inf</v></c></row>')
    wb = read_workbook(one_sheet(tmp_path, body, strings=["only"]))
    cells = wb.sheets[0].cells
    assert cells[(1, 1)].value == "abc" and (1, 2) not in cells
    assert isinstance(cells[(1, 3)].value, XLError) and cells[(1, 6)].value == XLError("#NUM!")
    assert len(wb.warnings) == 6 and all(w.startswith("Sheet1: ") for w in wb.warnings)


def test_number_formats_from_styles(tmp_path):
    styles = (f'{XML_DECL}<styleSheet xmlns="{MAIN_NS}">'
              '<numFmts count="1"><numFmt numFmtId="164" formatCode="0.000"/></numFmts>'
              '<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>'
              '<xf numFmtId="164"/><xf numFmtId="10"/><xf numFmtId="49"/></cellXfs>'
              # a differential format's numFmt must not replace the cell format 164
              '<dxfs count="1"><dxf><numFmt numFmtId="164" formatCode="yyyy"/></dxf></dxfs>'
              '</styleSheet>')
    body = rows('<row r="1">' + "".join(f'<c r="{c}1" s="{i}"><v>1</v></c>' for i, c in enumerate("ABCDE"))
                + '<c r="F1" s="77"><v>1</v></c><c r="G1"><v>1</v></c></row>')
    cells = read_workbook(one_sheet(tmp_path, body, styles=styles)).sheets[0].cells
    formats = [cells[(1, c)].number_format for c in range(1, 8)]
    assert formats == [None, "m/d/yyyy", "0.000", "0.00%", "@", None, None]


# --- formulas --------------------------------------------------------------------

def test_shared_formulas(tmp_path):
    body = rows(
        '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="shared" ref="B1:B3" si="0">A1*10</f><v>10</v></c>'
        '<c r="C1"><f t="shared" ref="C1:D1" si="1">_xlfn.CONCAT(A1,"x")</f><v>0</v></c>'
        '<c r="D1"><f t="shared" si="1"/><v>0</v></c></row>',
        '<row r="2"><c r="B2"><f t="shared" si="0"/><v>20</v></c></row>',
        '<row r="3"><c r="B3"><f t="shared" si="0"/></c></row>')
    cells = read_workbook(one_sheet(tmp_path, body)).sheets[0].cells
    assert cells[(1, 2)].formula == "A1*10" and cells[(1, 2)].shared_master is None
    assert cells[(2, 2)].formula is None and cells[(2, 2)].shared_master == (1, 2)
    assert cells[(2, 2)].value == 20.0 and cells[(2, 2)].is_formula
    assert cells[(3, 2)].shared_master == (1, 2) and cells[(3, 2)].value is BLANK
    assert cells[(1, 3)].formula == '_xlfn.CONCAT(A1,"x")' and cells[(1, 4)].shared_master == (1, 3)


def test_shared_formula_child_before_its_master_and_orphans(tmp_path):
    # Rows out of order: the child is read before the master that defines si 0.
    body = rows('<row r="2"><c r="A2"><f t="shared" si="0"/><v>2</v></c>'
                '<c r="B2"><f t="shared" si="9"/><v>5</v></c></row>',
                '<row r="1"><c r="A1"><f t="shared" ref="A1:A2" si="0">ROW()</f><v>1</v></c></row>')
    wb = read_workbook(one_sheet(tmp_path, body))
    cells = wb.sheets[0].cells
    assert cells[(2, 1)].shared_master == (1, 1)
    assert not cells[(2, 2)].is_formula and cells[(2, 2)].value == 5.0   # si 9 has no master
    assert any("no master" in w for w in wb.warnings)


def test_cse_array_formula_marks_members(tmp_path):
    body = rows('<row r="5"><c r="A5"><f t="array" ref="$A$5:$B$6">A1:B2*2</f><v>2</v></c></row>',
                '<row r="6"><c r="A6"><v>4</v></c></row>')
    sheet = read_workbook(one_sheet(tmp_path, body)).sheets[0]
    anchor = sheet.cells[(5, 1)]
    assert anchor.array_ref == "A5:B6" and anchor.formula == "A1:B2*2" and not anchor.dynamic
    assert not anchor.array_member
    assert sheet.cells[(6, 1)].array_member and sheet.cells[(6, 1)].value == 4.0
    # members the file left out are created, blank
    assert sheet.cells[(5, 2)].array_member and sheet.cells[(5, 2)].value is BLANK
    assert sheet.cells[(6, 2)].array_member
    assert (sheet.max_row, sheet.max_col) == (6, 2)


DYNAMIC_METADATA = (
    f'{XML_DECL}<metadata xmlns="{MAIN_NS}" '
    'xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray">'
    '<metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion="120000" copy="1" '
    'pasteAll="1" pasteValues="1" merge="1" splitFirst="1" rowColShift="1" clearFormats="1" '
    'clearComments="1" assign="1" coerce="1" cellMeta="1"/></metadataTypes>'
    '<futureMetadata name="XLDAPR" count="2">'
    '<bk><extLst><ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}">'
    '<xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/></ext></extLst></bk>'
    '<bk><extLst><ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}">'
    '<xda:dynamicArrayProperties fDynamic="0" fCollapsed="0"/></ext></extLst></bk>'
    '</futureMetadata>'
    '<cellMetadata count="2"><bk><rc t="1" v="0"/></bk><bk><rc t="1" v="1"/></bk></cellMetadata>'
    '</metadata>')


def test_dynamic_array_formula_via_cell_metadata(tmp_path):
    body = rows('<row r="1"><c r="A1" cm="1"><f t="array" ref="A1:A3">_xlfn._xlws.SORT(C1:C3)</f><v>1</v></c>'
                '<c r="B1" cm="2"><f t="array" ref="B1">SUM(C1:C3)</f><v>6</v></c>'
                '<c r="C1"><v>3</v></c><c r="D1"><f t="array" ref="D1:D2">C1:C2</f><v>3</v></c></row>',
                '<row r="2"><c r="A2"><v>2</v></c><c r="C2"><v>2</v></c></row>',
                '<row r="3"><c r="A3"><v>3</v></c><c r="C3"><v>1</v></c></row>')
    cells = read_workbook(one_sheet(tmp_path, body, metadata=DYNAMIC_METADATA)).sheets[0].cells
    anchor = cells[(1, 1)]
    assert anchor.dynamic and anchor.array_ref == "A1:A3" and anchor.formula == "_xlfn._xlws.SORT(C1:C3)"
    assert cells[(2, 1)].array_member and cells[(2, 1)].value == 2.0
    assert cells[(3, 1)].array_member and cells[(3, 1)].value == 3.0
    assert not cells[(1, 2)].dynamic and cells[(1, 2)].array_ref == "B1"     # fDynamic="0"
    assert not cells[(1, 4)].dynamic and cells[(2, 4)].array_member          # legacy CSE, no cm
    assert not cells[(2, 3)].array_member


def test_data_table_formula_kept_as_constant(tmp_path):
    body = rows('<row r="2"><c r="B2"><f t="dataTable" ref="B2:B4" dt2D="0" dtr="0" r1="A1"/><v>42</v></c>'
                '</row>', '<row r="3"><c r="B3"><v>43</v></c></row>')
    wb = read_workbook(one_sheet(tmp_path, body))
    cells = wb.sheets[0].cells
    assert not cells[(2, 2)].is_formula and cells[(2, 2)].value == 42.0
    assert not cells[(3, 2)].array_member
    assert any("data table" in w for w in wb.warnings)


def test_extension_formulas_are_not_cell_formulas(tmp_path):
    # <xm:f> inside an x14 extension must not be taken for the cell's <f>.
    body = (rows('<row r="1"><c r="A1"><v>1</v></c></row>')
            + '<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" '
              'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
              '<x14:conditionalFormattings><x14:conditionalFormatting '
              'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:cfRule type="expression">'
              '<xm:f>A1&gt;0</xm:f></x14:cfRule><xm:sqref>A1</xm:sqref></x14:conditionalFormatting>'
              '</x14:conditionalFormattings></ext></extLst>')
    cells = read_workbook(one_sheet(tmp_path, body)).sheets[0].cells
    assert not cells[(1, 1)].is_formula and len(cells) == 1


# --- workbook-level settings ---------------------------------------------------------

def test_defined_names_with_scope_and_solver_names(tmp_path):
    names = ('<definedName name="Rate">0.05</definedName>'
             '<definedName name="Local" localSheetId="1">Second!$A$1</definedName>'
             '<definedName name="_xlnm.Print_Area" localSheetId="0">Sheet1!$A$1:$B$2</definedName>'
             '<definedName name="solver_opt" localSheetId="1" hidden="1">Second!$B$1</definedName>'
             '<definedName name="solver_typ" localSheetId="1" hidden="1">1</definedName>'
             '<definedName name="solver_adj" hidden="1">=Sheet1!$A$1:$A$3</definedName>')
    wb = build_workbook(tmp_path / "n.xlsx", {"Sheet1": rows(), "Second": rows()}, defined_names=names)
    wb = read_workbook(wb)
    by_name = {(d.name, d.sheet_index): d for d in wb.defined_names}
    assert by_name[("Rate", None)].text == "0.05" and not by_name[("Rate", None)].hidden
    assert by_name[("Local", 1)].text == "Second!$A$1"
    assert by_name[("solver_opt", 1)].hidden
    assert by_name[("solver_adj", None)].text == "Sheet1!$A$1:$A$3"     # '=' stripped
    assert wb.solver_names() == {1: {"solver_opt": "Second!$B$1", "solver_typ": "1"},
                                 None: {"solver_adj": "Sheet1!$A$1:$A$3"}}
    assert [s.name for s in wb.sheets] == ["Sheet1", "Second"]


def test_calc_settings_and_1904_dates(tmp_path):
    body = rows('<row r="1"><c r="A1" t="d"><v>1904-01-02T00:00:00Z</v></c></row>')
    wb = read_workbook(one_sheet(tmp_path, body, workbook_pr='date1904="true"',
                                 calc_pr='iterate="true" iterateCount="7" iterateDelta="0.5" fullCalcOnLoad="1"'))
    assert wb.calc.date1904 and wb.calc.iterate and wb.calc.full_calc_on_load
    assert wb.calc.iterate_count == 7 and wb.calc.iterate_delta == 0.5
    assert wb.sheets[0].cells[(1, 1)].value == 1.0
    plain = read_workbook(one_sheet(tmp_path, rows(), name="plain.xlsx"))
    assert not plain.calc.iterate and plain.calc.iterate_count == 100 and not plain.calc.date1904


def test_sheet_states_merges_hidden_rows_and_columns(tmp_path):
    body = ('<dimension ref="A1:XFD1048576"/><cols><col min="2" max="3" width="0" hidden="1"/>'
            '<col min="16000" max="20000" hidden="true"/><col min="5" max="5" width="9"/></cols>'
            + rows('<row r="1"><c r="A1"><v>1</v></c></row>', '<row r="4" hidden="1"/>')
            + '<mergeCells count="2"><mergeCell ref="A1:B2"/><mergeCell ref="$C$3:$D$4"/></mergeCells>')
    wb = build_workbook(tmp_path / "s.xlsx", {"Visible": body, "Hid": rows(), "VeryHid": rows()},
                        sheet_states={"Hid": "hidden", "VeryHid": "veryHidden"})
    wb = read_workbook(wb)
    sheet = wb.sheets[0]
    assert [s.state for s in wb.sheets] == ["visible", "hidden", "veryHidden"]
    assert sheet.merged == ["A1:B2", "C3:D4"]
    assert sheet.hidden_rows == {4}
    assert sheet.hidden_cols == {2, 3} | set(range(16000, MAX_COLS + 1))
    assert (sheet.max_row, sheet.max_col) == (1, 1)    # <dimension> is not trusted


def test_auto_filter_marks_filtered_rows(tmp_path):
    hidden = ' hidden="1"'
    body = (rows(*(f'<row r="{r}"{hidden if r in (3, 5, 9) else ""}><c r="A{r}"><v>{r}</v></c></row>'
                   for r in range(1, 10)))
            + '<autoFilter ref="A1:A6"><filterColumn colId="0"><filters><filter val="2"/></filters>'
              '</filterColumn></autoFilter>')
    sheet = read_workbook(one_sheet(tmp_path, body)).sheets[0]
    assert sheet.hidden_rows == {3, 5, 9} and sheet.filtered_rows == {3, 5}
    idle = rows('<row r="2" hidden="1"><c r="A2"><v>1</v></c></row>') + '<autoFilter ref="A1:A6"/>'
    assert read_workbook(one_sheet(tmp_path, idle, name="idle.xlsx")).sheets[0].filtered_rows == set()


def _table_xml(table_id: int, name: str, ref: str, columns: str, extra_attrs: str = "") -> str:
    return (f'{XML_DECL}<table xmlns="{MAIN_NS}" id="{table_id}" name="{name}_internal" displayName="{name}" '
            f'ref="{ref}" {extra_attrs}><autoFilter ref="{ref}"/>{columns}'
            '<tableStyleInfo name="TableStyleMedium2" showRowStripes="1"/></table>')


def test_tables_from_sheet_relationships(tmp_path):
    sales = _table_xml(1, "Sales", "A1:C4", (
        '<tableColumns count="3"><tableColumn id="1" name="Item" totalsRowLabel="Total"/>'
        '<tableColumn id="2" name="Unit_x000a_Price" totalsRowFunction="custom">'
        '<totalsRowFormula>SUBTOTAL(109,[Unit_x000a_Price])</totalsRowFormula></tableColumn>'
        '<tableColumn id="3" name="Total"><calculatedColumnFormula>Sales[[#This Row],[Unit_x000a_Price]]*2'
        '</calculatedColumnFormula></tableColumn></tableColumns>'), 'totalsRowCount="1"')
    shown = _table_xml(2, "Plain", "E1:E3", '<tableColumns count="1"><tableColumn id="1" name="X"/></tableColumns>',
                       'totalsRowShown="1" headerRowCount="0"')
    body = rows('<row r="1"><c r="A1" t="inlineStr"><is><t>Item</t></is></c></row>')
    path = build_workbook(tmp_path / "t.xlsx", {"Data": body},
                          sheet_rels={"Data": [("rId1", "table", "/xl/tables/table1.xml"),       # absolute
                                               ("rId2", "table", "../tables/table2.xml")]},     # relative
                          extra_parts={"xl/tables/table1.xml": sales, "xl/tables/table2.xml": shown})
    tables = {t.name: t for t in read_workbook(path).tables}
    sales_t, plain_t = tables["Sales"], tables["Plain"]
    assert (sales_t.sheet, sales_t.ref, sales_t.header_row_count, sales_t.totals_row_count) == ("Data", "A1:C4", 1, 1)
    assert [c.name for c in sales_t.columns] == ["Item", "Unit\nPrice", "Total"]
    assert sales_t.columns[1].totals_formula == "SUBTOTAL(109,[Unit_x000a_Price])"
    assert sales_t.columns[2].calculated_formula == "Sales[[#This Row],[Unit_x000a_Price]]*2"
    assert sales_t.columns[0].totals_formula is None and sales_t.columns[0].calculated_formula is None
    # totalsRowShown is not totalsRowCount
    assert (plain_t.header_row_count, plain_t.totals_row_count) == (0, 0)


def test_external_links_reported_not_followed(tmp_path):
    ext_rels = relationships([("rId1", "externalLinkPath", "external:file:///C:/models/other%20book.xlsx")])
    path = one_sheet(tmp_path, rows('<row r="1"><c r="A1"><f>[1]Data!A1*2</f><v>4</v></c></row>'),
                     workbook_rels=[("rIdExt", "externalLink", "externalLinks/externalLink1.xml")],
                     extra_parts={"xl/externalLinks/externalLink1.xml": f'<externalLink xmlns="{MAIN_NS}"/>',
                                  "xl/externalLinks/_rels/externalLink1.xml.rels": ext_rels})
    wb = read_workbook(path)
    assert wb.external_links == ["file:///C:/models/other%20book.xlsx"]
    assert wb.sheets[0].cells[(1, 1)].formula == "[1]Data!A1*2"


def test_relationships_are_followed_not_guessed(tmp_path):
    # The workbook lives at /book/main.xml, parts are named with odd case and
    # relationship targets mix absolute and relative forms.
    workbook = (f'{XML_DECL}<workbook xmlns="{MAIN_NS}" xmlns:r="{R_NS}"><sheets>'
                '<sheet name="Only" sheetId="1" r:id="rIdS"/></sheets></workbook>')
    parts = {
        "_rels/.rels": relationships([("rId1", "officeDocument", "/book/main.xml")]),
        "book/main.xml": workbook,
        "book/_rels/main.xml.rels": relationships([("rIdS", "worksheet", "/book/Sheets/First.xml"),
                                                    ("rIdT", "sharedStrings", "text/strings.xml")]),
        "book/sheets/first.xml": worksheet(rows('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')),
        "book/text/strings.xml": f'<sst xmlns="{MAIN_NS}"><si><t>found</t></si></sst>',
    }
    wb = read_workbook(write_package(tmp_path / "odd.xlsx", parts))
    assert wb.sheets[0].name == "Only" and wb.sheets[0].cells[(1, 1)].value == "found"


def test_strict_ooxml_namespace(tmp_path):
    strict = "http://purl.oclc.org/ooxml/spreadsheetml/main"
    strict_r = "http://purl.oclc.org/ooxml/officeDocument/relationships"
    parts = workbook_parts({"S": "x"})
    parts["xl/workbook.xml"] = (f'<workbook xmlns="{strict}" xmlns:r="{strict_r}"><sheets>'
                                '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
    parts["xl/worksheets/sheet1.xml"] = (f'<worksheet xmlns="{strict}"><sheetData><row r="1">'
                                         '<c r="A1"><f>1+2</f><v>3</v></c></row></sheetData></worksheet>')
    wb = read_workbook(write_package(tmp_path / "strict.xlsx", parts))
    assert wb.sheets[0].cells[(1, 1)].formula == "1+2"


def test_openpyxl_written_workbook(tmp_path):
    import openpyxl
    from openpyxl.workbook.defined_name import DefinedName as OxName
    from openpyxl.worksheet.formula import ArrayFormula
    from openpyxl.worksheet.table import Table as OxTable

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Model"
    ws.append(["Name", "Qty", "Price"])
    ws.append(["a", 2, 1.5])
    ws.append(["b", 3, 2.25])
    ws["E1"] = True
    ws["E2"] = "#N/A"
    ws["E3"] = dt.datetime(2024, 1, 15, 12, 0)
    ws["F1"] = "=SUM(B2:B3)"
    ws["F2"] = ArrayFormula("F2:F3", "=B2:B3*C2:C3")
    ws.merge_cells("H1:I2")
    ws.row_dimensions[7].hidden = True
    ws.column_dimensions["J"].hidden = True
    ws["A7"] = "hidden row"
    ws.add_table(OxTable(displayName="Items", ref="A1:C3"))
    ws.defined_names["LocalQty"] = OxName("LocalQty", attr_text="Model!$B$2:$B$3")
    book.defined_names["Rate"] = OxName("Rate", attr_text="0.05")
    hidden = book.create_sheet("Secret")
    hidden.sheet_state = "hidden"
    hidden["A1"] = 1
    book.calculation.iterate = True
    book.calculation.iterateCount = 10
    book.calculation.iterateDelta = 0.01
    book.save(tmp_path / "ox.xlsx")

    wb = read_workbook(tmp_path / "ox.xlsx")
    sheet = wb.sheet("model")
    cells = sheet.cells
    assert cells[(1, 1)].value == "Name" and cells[(2, 2)].value == 2.0 and cells[(3, 3)].value == 2.25
    assert cells[(1, 5)].value is True and cells[(2, 5)].value == XLError("#N/A")
    assert cells[(3, 5)].value == 45306.5 and cells[(3, 5)].number_format is not None
    assert cells[(1, 6)].formula == "SUM(B2:B3)" and cells[(1, 6)].value is BLANK
    assert cells[(2, 6)].array_ref == "F2:F3" and cells[(3, 6)].array_member
    assert sheet.merged == ["H1:I2"] and 7 in sheet.hidden_rows and 10 in sheet.hidden_cols
    assert [(t.name, t.ref, t.sheet) for t in wb.tables] == [("Items", "A1:C3", "Model")]
    assert [c.name for c in wb.tables[0].columns] == ["Name", "Qty", "Price"]
    names = {(d.name, d.sheet_index): d.text for d in wb.defined_names}
    assert names[("LocalQty", 0)] == "Model!$B$2:$B$3" and names[("Rate", None)] == "0.05"
    assert wb.sheet("Secret").state == "hidden"
    assert wb.calc.iterate and wb.calc.iterate_count == 10 and wb.calc.iterate_delta == 0.01
    assert (sheet.max_row, sheet.max_col) == (7, 6)


# --- hostile and corrupt files -------------------------------------------------------

def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_workbook(tmp_path / "nowhere.xlsx")


def test_not_a_zip(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_text("name,value\na,1\n")
    with pytest.raises(WorkbookError, match=r"data\.xlsx: not an \.xlsx/\.xlsm workbook: not a zip"):
        read_workbook(path)
    ole = tmp_path / "encrypted.xlsx"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.raises(WorkbookError, match="OLE2 compound file"):
        read_workbook(ole)


def test_truncated_zip(tmp_path):
    data = one_sheet(tmp_path, rows('<row r="1"><c r="A1"><v>1</v></c></row>')).read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(WorkbookError, match="truncated.xlsx: corrupt or truncated zip"):
        read_workbook(path)


def test_missing_parts(tmp_path):
    parts = workbook_parts({"Sheet1": rows(), "Sheet2": rows()})
    del parts["xl/worksheets/sheet2.xml"]
    with pytest.raises(WorkbookError, match=r"xl/worksheets/sheet2\.xml is missing \(sheet 'Sheet2'\)"):
        read_workbook(write_package(tmp_path / "nosheet.xlsx", parts))
    parts = workbook_parts({"Sheet1": rows()})
    del parts["xl/workbook.xml"]
    with pytest.raises(WorkbookError, match=r"nowb\.xlsx: not a workbook: xl/workbook\.xml is missing"):
        read_workbook(write_package(tmp_path / "nowb.xlsx", parts))
    with pytest.raises(WorkbookError, match="xl/workbook.xml is missing"):
        read_workbook(write_package(tmp_path / "empty.xlsx", {"hello.txt": "hi"}))


def test_not_a_spreadsheet_package(tmp_path):
    parts = {"_rels/.rels": relationships([("rId1", "officeDocument", "word/document.xml")]),
             "word/document.xml": '<w:document xmlns:w="http://schemas.openxmlformats.org/'
                                  'wordprocessingml/2006/main"/>'}
    with pytest.raises(WorkbookError, match="word/document.xml: is not a spreadsheet workbook part"):
        read_workbook(write_package(tmp_path / "doc.xlsx", parts))
    parts = {"_rels/.rels": relationships([("rId1", "officeDocument", "xl/workbook.bin")]),
             "xl/workbook.bin": b"\x83\x01\x00"}
    with pytest.raises(WorkbookError, match=r"\.xlsb"):
        read_workbook(write_package(tmp_path / "binary.xlsx", parts))


def test_malformed_xml_names_part_and_line(tmp_path):
    path = one_sheet(tmp_path, worksheet("<sheetData>\n<row r=\"1\">\n<c r=\"A1\"><v>1</v></row>"))
    expected = r"xl/worksheets/sheet1\.xml: not well-formed XML at line 4, column 20 \(mismatched tag\)"
    with pytest.raises(WorkbookError, match=expected):
        read_workbook(path)


def test_zip_bomb_refused_from_declared_sizes(tmp_path):
    path = one_sheet(tmp_path, rows('<row r="1"><c r="A1"><v>1</v></c></row>'),
                     extra_parts={"xl/media/zeros.bin": bytes(4096)})
    patch_declared_size(path, "xl/media/zeros.bin", 300 * 1024 * 1024)   # "300 MB of zeros"
    started = time.perf_counter()
    with pytest.raises(WorkbookError, match=r"xl/media/zeros\.bin would inflate .* zip bomb"):
        read_workbook(path)
    assert time.perf_counter() - started < 2


def test_total_uncompressed_size_is_capped(tmp_path, monkeypatch):
    path = one_sheet(tmp_path, rows('<row r="1"><c r="A1"><v>1</v></c></row>'))
    monkeypatch.setattr(reader_module, "MAX_TOTAL_UNCOMPRESSED", 1000)
    with pytest.raises(WorkbookError, match="would inflate to .* bytes"):
        read_workbook(path)


def test_part_larger_than_declared_is_refused(tmp_path):
    sheet_rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 5000))
    path = one_sheet(tmp_path, rows(sheet_rows))
    patch_declared_size(path, "xl/worksheets/sheet1.xml", 200)
    with pytest.raises(WorkbookError, match=r"xl/worksheets/sheet1\.xml"):
        read_workbook(path)


def test_inflated_bytes_are_counted_while_reading(tmp_path, monkeypatch):
    """Even if the zip layer handed out more than a member declares, the
    reader stops: it counts the bytes it actually gets."""
    path = one_sheet(tmp_path, rows('<row r="1"><c r="A1"><v>1</v></c></row>'))
    real_open = zipfile.ZipFile.open

    def lying_open(self, member, *args, **kwargs):
        name = member.filename if isinstance(member, zipfile.ZipInfo) else member
        if name == "xl/worksheets/sheet1.xml":
            return io.BytesIO(b" " * (4 << 20))       # far more than the header says
        return real_open(self, member, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", lying_open)
    with pytest.raises(WorkbookError, match="more bytes than its zip header declares"):
        read_workbook(path)


def test_too_many_zip_members(tmp_path, monkeypatch):
    monkeypatch.setattr(reader_module, "MAX_MEMBERS", 3)
    with pytest.raises(WorkbookError, match="members"):
        read_workbook(one_sheet(tmp_path, rows()))


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
    + ']>')


def test_billion_laughs_in_a_sheet(tmp_path):
    evil = (BILLION_LAUGHS + f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
            '<is><t>&lol9;</t></is></c></row></sheetData></worksheet>')
    started = time.perf_counter()
    with pytest.raises(WorkbookError, match=r"xl/worksheets/sheet1\.xml: refused: entity declarations"):
        read_workbook(one_sheet(tmp_path, evil))
    assert time.perf_counter() - started < 2


def test_entities_refused_in_every_part(tmp_path):
    evil_strings = BILLION_LAUGHS + f'<sst xmlns="{MAIN_NS}"><si><t>&lol9;</t></si></sst>'
    path = one_sheet(tmp_path, rows(), extra_parts={"xl/sharedStrings.xml": evil_strings},
                     workbook_rels=[("rIdS", "sharedStrings", "sharedStrings.xml")])
    with pytest.raises(WorkbookError, match=r"xl/sharedStrings\.xml: refused: entity"):
        read_workbook(path)
    xxe = ('<?xml version="1.0"?><!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
           f'<workbook xmlns="{MAIN_NS}"><sheets/><definedNames><definedName name="x">&xxe;</definedName>'
           '</definedNames></workbook>')
    path = one_sheet(tmp_path, rows(), name="xxe.xlsx", extra_parts={"xl/workbook.xml": xxe})
    with pytest.raises(WorkbookError, match=r"xl/workbook\.xml: refused: entity"):
        read_workbook(path)


@pytest.mark.parametrize("sheet_rows, message", [
    ('<row r="1"><c r="A1000000000"><v>1</v></c></row>', r"A1000000000: row 1000000000 is outside"),
    ('<row r="1000000000"><c><v>1</v></c></row>', r"row 1,000,000,000 is outside"),
    ('<row r="1"><c r="XFE1"><v>1</v></c></row>', r"XFE1: column 16385 is beyond"),
    ('<row r="1"><c r="A123456789012345678901234567890"><v>1</v></c></row>', r"invalid cell reference"),
    ('<row r="1">' + "<c><v>1</v></c>" * (MAX_COLS + 1) + "</row>", r"more cells than Excel's 16,384 columns"),
    ('<row r="abc"/>', r"bad row number"),
])
def test_absurd_dimensions_refused(tmp_path, sheet_rows, message):
    started = time.perf_counter()
    with pytest.raises(WorkbookError, match=r"xl/worksheets/sheet1\.xml \(sheet 'Sheet1'\): .*" + message):
        read_workbook(one_sheet(tmp_path, rows(sheet_rows)))
    assert time.perf_counter() - started < 5


def test_claimed_dimension_alone_is_harmless(tmp_path):
    body = '<dimension ref="A1:XFD1048576"/>' + rows('<row r="1048576"><c r="XFD1048576"><v>5</v></c></row>')
    sheet = read_workbook(one_sheet(tmp_path, body)).sheets[0]
    assert (sheet.max_row, sheet.max_col) == (1_048_576, 16_384) and len(sheet.cells) == 1


def test_cell_limit(tmp_path):
    body = rows(*(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}" s="3"/></row>' for r in range(1, 101)))
    path = build_workbook(tmp_path / "many.xlsx", {"One": body, "Two": body})
    assert sum(len(s.cells) for s in read_workbook(path, max_cells=200).sheets) == 200
    with pytest.raises(WorkbookError, match=r"sheet 'Two'\): refused: more than 150 cells"):
        read_workbook(path, max_cells=150)


def test_array_formula_over_the_whole_sheet_refused_quickly(tmp_path):
    body = rows('<row r="1"><c r="A1"><f t="array" ref="A1:XFD1048576">1</f><v>1</v></c></row>')
    started = time.perf_counter()
    with pytest.raises(WorkbookError, match="array formula at A1 spans A1:XFD1048576"):
        read_workbook(one_sheet(tmp_path, body))
    assert time.perf_counter() - started < 2


def test_warnings_merges_names_and_strings_are_bounded(tmp_path, monkeypatch):
    bad_cells = "".join(f'<c r="{index_to_col(c)}1"><v>x</v></c>' for c in range(1, 1201))
    wb = read_workbook(one_sheet(tmp_path, rows(f'<row r="1">{bad_cells}</row>')))
    assert len(wb.warnings) == reader_module.MAX_WARNINGS + 1 and "not listed" in wb.warnings[-1]

    monkeypatch.setattr(reader_module, "MAX_MERGED", 2)
    merges = '<mergeCells>' + '<mergeCell ref="A1:B1"/>' * 3 + '</mergeCells>'
    with pytest.raises(WorkbookError, match="more than 2 merged ranges"):
        read_workbook(one_sheet(tmp_path, rows() + merges, name="merges.xlsx"))

    monkeypatch.setattr(reader_module, "MAX_NAMES", 2)
    names = '<definedName name="a">1</definedName>' * 3
    with pytest.raises(WorkbookError, match=r"xl/workbook\.xml: refused: more than 2 defined names"):
        read_workbook(one_sheet(tmp_path, rows(), name="names.xlsx", defined_names=names))

    monkeypatch.setattr(reader_module, "MIN_STRINGS_LIMIT", 2)
    path = one_sheet(tmp_path, rows(), name="strings.xlsx", strings=["a", "b", "c"])
    with pytest.raises(WorkbookError, match=r"xl/sharedStrings\.xml: refused: more than 2 shared strings"):
        read_workbook(path, max_cells=2)


# --- real files ---------------------------------------------------------------------

# Corpus files that are not workbooks at all, with the reason: none so far.
NOT_WORKBOOKS: dict[str, str] = {}


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")
def test_reads_every_corpus_workbook():
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm"))
    assert files
    refused = {}
    for path in files:
        try:
            wb = read_workbook(path)
        except WorkbookError as exc:
            refused[str(path.relative_to(CORPUS))] = str(exc)
            continue
        for sheet in wb.sheets:
            if sheet.cells:
                assert sheet.max_row == max(r for r, _ in sheet.cells), path
                assert sheet.max_col == max(c for _, c in sheet.cells), path
            for (r, c), rec in sheet.cells.items():
                if rec.shared_master is not None:
                    assert sheet.cells[rec.shared_master].formula is not None, (path, r, c)
                if rec.array_ref:
                    r1, c1, r2, c2 = parse_range_ref(rec.array_ref)
                    assert all(sheet.cells[(rr, cc)].array_member
                               for rr in range(r1, r2 + 1) for cc in range(c1, c2 + 1) if (rr, cc) != (r, c))
    assert set(refused) == set(NOT_WORKBOOKS), refused
