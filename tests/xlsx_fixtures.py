"""Build small .xlsx packages from raw XML, for tests that need parts openpyxl
cannot write (shared and dynamic-array formulas, metadata, hostile files).

    path = build_workbook(tmp_path / "a.xlsx", {
        "Sheet1": '<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>',
    })

``build_workbook`` writes a minimal valid package (content types, package and
workbook relationships, workbook.xml) around the sheets and whatever optional
parts are given; ``write_package`` writes exactly the parts it is handed.
"""
from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_TYPE = R_NS + "/"          # + "worksheet", "table", "externalLink", ...
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES = {
    "workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "worksheets/": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
    "sharedStrings.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml",
    "styles.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml",
    "metadata.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml",
    "tables/": "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml",
    "externalLinks/": "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml",
}


def worksheet(body: str) -> str:
    """A worksheet part around ``body`` (e.g. "<sheetData>...</sheetData>")."""
    return f'{XML_DECL}<worksheet xmlns="{MAIN_NS}" xmlns:r="{R_NS}">{body}</worksheet>'


def relationships(rels: Sequence[tuple[str, str, str]]) -> str:
    """A .rels part from (id, type, target) triples; a type given without a
    URI gets the officeDocument prefix; a target starting with "external:"
    gets TargetMode="External"."""
    items = []
    for rel_id, rel_type, target in rels:
        if "://" not in rel_type:
            rel_type = REL_TYPE + rel_type
        mode = ""
        if target.startswith("external:"):
            target, mode = target[len("external:"):], ' TargetMode="External"'
        items.append(f'<Relationship Id={quoteattr(rel_id)} Type={quoteattr(rel_type)} '
                     f'Target={quoteattr(target)}{mode}/>')
    return f'{XML_DECL}<Relationships xmlns="{PKG_REL_NS}">{"".join(items)}</Relationships>'


def shared_strings(strings: Sequence[str]) -> str:
    """Plain strings are escaped; an item starting with "<" is taken as the
    raw content of its <si> (rich text runs, phonetic guides)."""
    items = "".join(f"<si>{s}</si>" if s.startswith("<") else f"<si><t xml:space=\"preserve\">{escape(s)}</t></si>"
                    for s in strings)
    return f'{XML_DECL}<sst xmlns="{MAIN_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'


def content_types(part_names: Sequence[str]) -> str:
    overrides = []
    for name in part_names:
        for key, ctype in _CONTENT_TYPES.items():
            if f"/{key}" in f"/{name}" and name.endswith(".xml"):
                overrides.append(f'<Override PartName="/{name}" ContentType="{ctype}"/>')
                break
    return (f'{XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'{"".join(overrides)}</Types>')


def write_package(path: str | Path, parts: Mapping[str, str | bytes]) -> Path:
    """Zip exactly ``parts`` (adding [Content_Types].xml when absent)."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if "[Content_Types].xml" not in parts:
            zf.writestr("[Content_Types].xml", content_types(list(parts)))
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def workbook_parts(sheets: Mapping[str, str], *,
                   defined_names: str = "",
                   workbook_pr: str = "",
                   calc_pr: str = "",
                   sheet_states: Mapping[str, str] | None = None,
                   strings: Sequence[str] | None = None,
                   styles: str | None = None,
                   metadata: str | None = None,
                   sheet_rels: Mapping[str, Sequence[tuple[str, str, str]]] | None = None,
                   workbook_rels: Sequence[tuple[str, str, str]] = (),
                   extra_parts: Mapping[str, str | bytes] | None = None) -> dict[str, str | bytes]:
    """The parts of a minimal valid workbook.

    sheets: name -> sheet body (wrapped by ``worksheet``) or a whole part
    (starting with "<?xml" or "<worksheet").  Sheet N is written to
    xl/worksheets/sheetN.xml.  defined_names: the <definedName> elements;
    workbook_pr / calc_pr: attributes for <workbookPr> / <calcPr>.
    sheet_rels: sheet name -> relationships of its part (tables...);
    workbook_rels: extra relationships of workbook.xml (externalLink...).
    """
    parts: dict[str, str | bytes] = {}
    wb_rels: list[tuple[str, str, str]] = []
    sheet_elems = []
    for n, (name, body) in enumerate(sheets.items(), start=1):
        part = f"xl/worksheets/sheet{n}.xml"
        parts[part] = body if body.lstrip().startswith(("<?xml", "<worksheet")) else worksheet(body)
        wb_rels.append((f"rId{n}", "worksheet", f"worksheets/sheet{n}.xml"))
        state = (sheet_states or {}).get(name)
        state_attr = f' state="{state}"' if state else ""
        sheet_elems.append(f'<sheet name={quoteattr(name)} sheetId="{n}"{state_attr} r:id="rId{n}"/>')
        if sheet_rels and name in sheet_rels:
            parts[f"xl/worksheets/_rels/sheet{n}.xml.rels"] = relationships(sheet_rels[name])
    if strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings(strings)
        wb_rels.append(("rIdStrings", "sharedStrings", "sharedStrings.xml"))
    if styles is not None:
        parts["xl/styles.xml"] = styles
        wb_rels.append(("rIdStyles", "styles", "styles.xml"))
    if metadata is not None:
        parts["xl/metadata.xml"] = metadata
        wb_rels.append(("rIdMeta", "sheetMetadata", "metadata.xml"))
    wb_rels.extend(workbook_rels)
    names = f"<definedNames>{defined_names}</definedNames>" if defined_names else ""
    parts["xl/workbook.xml"] = (
        f'{XML_DECL}<workbook xmlns="{MAIN_NS}" xmlns:r="{R_NS}">'
        f"<workbookPr {workbook_pr}/><sheets>{''.join(sheet_elems)}</sheets>{names}"
        f"<calcPr calcId=\"191029\" {calc_pr}/></workbook>")
    parts["xl/_rels/workbook.xml.rels"] = relationships(wb_rels)
    parts["_rels/.rels"] = relationships([("rId1", "officeDocument", "xl/workbook.xml")])
    parts.update(extra_parts or {})
    return parts


def build_workbook(path: str | Path, sheets: Mapping[str, str], **options) -> Path:
    """Write a minimal valid workbook; options as for ``workbook_parts``."""
    return write_package(path, workbook_parts(sheets, **options))


# --- one-sheet shorthand (used by tests/test_workbook_reading.py) ------------

def sheet_xml(rows: str, tail: str = "") -> str:
    """A worksheet part: ``rows`` inside <sheetData>, then ``tail``
    (mergeCells, autoFilter...)."""
    return worksheet(f"<sheetData>{rows}</sheetData>{tail}")


_DEFAULT_SHEET = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')


def build_xlsx(path: str | Path, sheet: str | None = None, *, names: str = "", calc: str = "",
               extra_parts: Mapping[str, str | bytes] | None = None,
               drop: Sequence[str] = ()) -> Path:
    """A one-sheet workbook ("Sheet1", relationship rId1).  ``sheet`` is the
    whole sheet part (default: A1 = 1); ``names`` a whole <definedNames>
    element and ``calc`` a whole <calcPr> element; ``extra_parts`` add or
    replace parts; ``drop`` leaves parts out."""
    workbook = (f'{XML_DECL}<workbook xmlns="{MAIN_NS}" xmlns:r="{R_NS}"><sheets>'
                f'<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>{names}{calc}</workbook>')
    parts: dict[str, str | bytes] = {
        "_rels/.rels": relationships([("rId1", "officeDocument", "xl/workbook.xml")]),
        "xl/workbook.xml": workbook,
        "xl/_rels/workbook.xml.rels": relationships([("rId1", "worksheet", "worksheets/sheet1.xml")]),
        "xl/worksheets/sheet1.xml": sheet if sheet is not None else _DEFAULT_SHEET,
    }
    parts.update(extra_parts or {})
    for name in drop:
        parts.pop(name, None)
    return write_package(path, parts)


def patch_declared_size(path: str | Path, member: str, size: int) -> None:
    """Rewrite the uncompressed size that the zip headers (central directory
    and local header) declare for ``member`` -- a fake zip bomb, or a header
    that lies, without compressing gigabytes.  ``size`` must fit 32 bits."""
    data = bytearray(Path(path).read_bytes())
    name = member.encode()
    central = data.find(b"PK\x01\x02")
    patched = False
    while central != -1:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46:central + 46 + name_len] == name:
            struct.pack_into("<I", data, central + 24, size)
            local = struct.unpack_from("<I", data, central + 42)[0]
            struct.pack_into("<I", data, local + 22, size)
            patched = True
        central = data.find(b"PK\x01\x02", central + 4)
    if not patched:
        raise KeyError(member)
    Path(path).write_bytes(bytes(data))
