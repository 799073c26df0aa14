"""Streaming OOXML reader for .xlsx/.xlsm workbooks.

Reads the zip parts directly (no openpyxl) with defusedxml, streaming each
sheet with iterparse so big workbooks load fast and in bounded memory.
Hostile files are refused with WorkbookError: zip bombs (declared and actual
sizes and ratios), entity expansion, cell addresses beyond Excel's grid.
"""
from __future__ import annotations

import datetime as _dt
import io
import os
import posixpath
import re
import zipfile
from typing import Iterator

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse as safe_iterparse
from defusedxml.ElementTree import fromstring as safe_fromstring
from xml.etree.ElementTree import ParseError

from ..values import BLANK, VALUE, error_from_code
from .model import (CalcSettings, CellRecord, DefinedName, SheetData, Table, TableColumn, WorkbookData,
                    WorkbookError)
from .refs import parse_cell_ref, parse_range_ref

MAX_ROW = 1_048_576
MAX_COL = 16_384
MAX_TOTAL_UNCOMPRESSED = 2 * 1024 ** 3      # 2 GiB across all parts
MAX_PART_UNCOMPRESSED = 1024 ** 3           # 1 GiB for one part
MAX_RATIO = 200                             # compression ratio that marks a bomb ...
RATIO_MIN_SIZE = 50 * 1024 ** 2             # ... for parts bigger than 50 MB

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_M = "{%s}" % NS_MAIN
_R = "{%s}" % NS_REL

# Built-in number formats (ECMA-376 18.8.30) that matter for dates and display.
BUILTIN_FORMATS = {
    0: None, 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 11: "0.00E+00",
    12: "# ?/?", 13: "# ??/??", 14: "m/d/yyyy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy",
    18: "h:mm AM/PM", 19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yyyy h:mm",
    37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)",
    45: "mm:ss", 46: "[h]:mm:ss", 47: "mmss.0", 48: "##0.0E+0", 49: "@",
}

_ESCAPE_RE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def decode_escapes(text: str) -> str:
    """OOXML's _xHHHH_ escapes for characters XML cannot hold."""
    if "_x" not in text:
        return text
    return _ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)


class _Zip:
    """A zip archive with bomb checks on every part read."""

    def __init__(self, path: str):
        self.path = path
        try:
            self.zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise WorkbookError(f"{path}: not an .xlsx/.xlsm workbook (not a zip archive: {exc})")
        except OSError as exc:
            raise WorkbookError(f"{path}: cannot open: {exc}")
        infos = self.zf.infolist()
        total = sum(i.file_size for i in infos)
        if total > MAX_TOTAL_UNCOMPRESSED:
            raise WorkbookError(f"{path}: refused: parts expand to {total / 1024 ** 3:.1f} GiB "
                                f"(limit {MAX_TOTAL_UNCOMPRESSED / 1024 ** 3:.0f} GiB); a zip bomb?")
        self.names = {}
        for i in infos:
            if i.file_size > MAX_PART_UNCOMPRESSED or (
                    i.file_size > RATIO_MIN_SIZE and i.file_size > MAX_RATIO * max(i.compress_size, 1)):
                raise WorkbookError(f"{path}: refused: part {i.filename} expands {i.compress_size:,} bytes to "
                                    f"{i.file_size:,} (a zip bomb?)")
            self.names[i.filename.lstrip("/")] = i

    def has(self, name: str) -> bool:
        return name in self.names

    def open(self, name: str):
        info = self.names.get(name)
        if info is None:
            raise WorkbookError(f"{self.path}: part {name} is missing")
        return _CappedReader(self.zf.open(info), info.file_size, name, self.path)

    def read(self, name: str) -> bytes:
        with self.open(name) as f:
            return f.read()


class _CappedReader(io.RawIOBase):
    """Stops reading when more bytes come out than the header declared
    (headers of a crafted zip can lie about sizes)."""

    def __init__(self, raw, declared: int, name: str, path: str):
        self.raw = raw
        self.left = declared + 1024
        self.name_ = name
        self.path = path

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self.raw.read(min(len(b), 1 << 20))
        self.left -= len(data)
        if self.left < 0:
            raise WorkbookError(f"{self.path}: refused: part {self.name_} is larger than its header says")
        n = len(data)
        b[:n] = data
        return n

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while True:
                c = self.raw.read(1 << 20)
                if not c:
                    break
                self.left -= len(c)
                if self.left < 0:
                    raise WorkbookError(f"{self.path}: refused: part {self.name_} is larger than its header says")
                chunks.append(c)
            return b"".join(chunks)
        return super().read(size)

    def close(self) -> None:
        self.raw.close()
        super().close()


def _xml(z: _Zip, name: str):
    try:
        return safe_fromstring(z.read(name))
    except DefusedXmlException as exc:
        raise WorkbookError(f"{z.path}: refused: {name}: {type(exc).__name__} "
                            f"(entity declarations are not allowed)")
    except ParseError as exc:
        raise WorkbookError(f"{z.path}: {name}: not well-formed XML ({exc})")
    except zipfile.BadZipFile as exc:
        raise WorkbookError(f"{z.path}: {name}: corrupt zip data ({exc})")
    except (EOFError, zlib_error()) as exc:
        raise WorkbookError(f"{z.path}: {name}: corrupt compressed data ({exc})")


def zlib_error():
    import zlib
    return zlib.error


def _rels(z: _Zip, part: str) -> dict[str, tuple[str, str, str]]:
    """Relationships of ``part``: id -> (type suffix, resolved target, mode)."""
    folder, base = posixpath.split(part)
    rel_name = posixpath.join(folder, "_rels", base + ".rels")
    if not z.has(rel_name):
        return {}
    root = _xml(z, rel_name)
    out = {}
    for rel in root:
        rid = rel.get("Id")
        target = rel.get("Target") or ""
        mode = rel.get("TargetMode") or ""
        rtype = (rel.get("Type") or "").rsplit("/", 1)[-1]
        if mode != "External":
            if target.startswith("/"):
                target = target.lstrip("/")
            else:
                target = posixpath.normpath(posixpath.join(folder, target))
        out[rid] = (rtype, target, mode)
    return out


def _text_of(el) -> str:
    """Text of a <si>/<is> element: plain <t> or rich-text runs <r><t>."""
    parts = []
    for t in el.iter(_M + "t"):
        parts.append(t.text or "")
    # phonetic runs (<rPh>) are not part of the value
    for rph in el.iter(_M + "rPh"):
        for t in rph.iter(_M + "t"):
            if t.text:
                parts.remove(t.text) if t.text in parts else None
    return decode_escapes("".join(parts))


def _shared_strings(z: _Zip, target: str | None) -> list[str]:
    if not target or not z.has(target):
        return []
    out = []
    try:
        for ev, el in safe_iterparse(z.open(target), events=("end",)):
            if el.tag == _M + "si":
                out.append(_text_of(el))
                el.clear()
    except DefusedXmlException as exc:
        raise WorkbookError(f"{z.path}: refused: {target}: {type(exc).__name__} (entity declarations are not allowed)")
    except ParseError as exc:
        raise WorkbookError(f"{z.path}: {target}: not well-formed XML ({exc})")
    return out


def _styles(z: _Zip, target: str | None) -> list[str | None]:
    """Number format code per cell style index (None = General)."""
    if not target or not z.has(target):
        return []
    root = _xml(z, target)
    custom = {}
    nf = root.find(_M + "numFmts")
    if nf is not None:
        for f in nf:
            custom[int(f.get("numFmtId", "0"))] = f.get("formatCode")
    out = []
    xfs = root.find(_M + "cellXfs")
    if xfs is not None:
        for xf in xfs:
            fid = int(xf.get("numFmtId", "0"))
            out.append(custom.get(fid, BUILTIN_FORMATS.get(fid)))
    return out


def _dynamic_cm_indexes(z: _Zip, wb_rels) -> set[int]:
    """1-based cell-metadata indexes (the ``cm`` attribute) that mark
    dynamic-array formulas (XLDAPR with fDynamic=1)."""
    target = next((t for typ, t, _m in wb_rels.values() if typ in ("sheetMetadata", "metadata")), None)
    if target is None and z.has("xl/metadata.xml"):
        target = "xl/metadata.xml"
    if target is None or not z.has(target):
        return set()
    root = _xml(z, target)
    types = {}
    mt = root.find(_M + "metadataTypes")
    if mt is not None:
        for i, t in enumerate(mt, start=1):
            types[i] = t.get("name")
    # futureMetadata blocks named XLDAPR with fDynamic
    dyn_future: list[bool] = []
    for fm in root.findall(_M + "futureMetadata"):
        if fm.get("name") == "XLDAPR":
            for bk in fm.findall(_M + "bk"):
                dyn = any(el.tag.endswith("dynamicArrayProperties") and el.get("fDynamic") in ("1", "true")
                          for el in bk.iter())
                dyn_future.append(dyn)
    out = set()
    cm = root.find(_M + "cellMetadata")
    if cm is not None:
        for i, bk in enumerate(cm.findall(_M + "bk"), start=1):
            rc = bk.find(_M + "rc")
            if rc is None:
                continue
            t = int(rc.get("t", "0"))
            v = int(rc.get("v", "0"))
            if types.get(t) == "XLDAPR" and (v < len(dyn_future) and dyn_future[v] or not dyn_future):
                out.add(i)
    return out


_EPOCH = _dt.datetime(1899, 12, 30)


def _iso_to_serial(text: str) -> float:
    try:
        d = _dt.datetime.fromisoformat(text.replace("Z", ""))
    except ValueError:
        return VALUE  # type: ignore[return-value]
    delta = d - _EPOCH
    serial = delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6
    if serial < 61:
        serial -= 1
    return float(serial)


def read_workbook(path: str | os.PathLike, *, max_cells: int = 20_000_000) -> WorkbookData:
    """Read a workbook; raises WorkbookError with a message naming the part
    or limit when the file is corrupt, hostile or not a workbook."""
    path = str(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    z = _Zip(path)
    try:
        return _read(z, path, max_cells)
    except zipfile.BadZipFile as exc:
        raise WorkbookError(f"{path}: corrupt zip data ({exc})")
    except (EOFError, zlib_error()) as exc:
        raise WorkbookError(f"{path}: corrupt compressed data ({exc})")
    finally:
        z.zf.close()


def _read(z: _Zip, path: str, max_cells: int) -> WorkbookData:
    root_rels = _rels(z, "")
    wb_part = next((t for typ, t, _m in root_rels.values() if typ == "officeDocument"), None)
    if wb_part is None:
        wb_part = "xl/workbook.xml"
    if not z.has(wb_part):
        raise WorkbookError(f"{path}: not an Excel workbook ({wb_part} is missing)")
    wb_xml = _xml(z, wb_part)
    wb_rels = _rels(z, wb_part)
    data = WorkbookData(path=path)
    pr = wb_xml.find(_M + "workbookPr")
    if pr is not None and pr.get("date1904") in ("1", "true"):
        data.calc.date1904 = True
    cp = wb_xml.find(_M + "calcPr")
    if cp is not None:
        data.calc.iterate = cp.get("iterate") in ("1", "true")
        if cp.get("iterateCount"):
            data.calc.iterate_count = int(cp.get("iterateCount"))
        if cp.get("iterateDelta"):
            data.calc.iterate_delta = float(cp.get("iterateDelta"))
        data.calc.full_calc_on_load = cp.get("fullCalcOnLoad") in ("1", "true")
    sst_target = next((t for typ, t, _m in wb_rels.values() if typ == "sharedStrings"), None)
    styles_target = next((t for typ, t, _m in wb_rels.values() if typ == "styles"), None)
    strings = _shared_strings(z, sst_target)
    formats = _styles(z, styles_target)
    dynamic_cms = _dynamic_cm_indexes(z, wb_rels)
    for typ, target, mode in wb_rels.values():
        if typ == "externalLink" and z.has(target):
            for _t, ext_target, ext_mode in _rels(z, target).values():
                data.external_links.append(ext_target)
    sheets_el = wb_xml.find(_M + "sheets")
    if sheets_el is None:
        raise WorkbookError(f"{path}: {wb_part} lists no sheets")
    sheet_parts = []
    for s in sheets_el:
        rid = s.get(_R + "id")
        name = s.get("name")
        rel = wb_rels.get(rid)
        if rel is None:
            raise WorkbookError(f"{path}: sheet {name!r} has no part ({wb_part} relationship {rid} missing)")
        sd = SheetData(name=name, state=s.get("state") or "visible")
        data.sheets.append(sd)
        sheet_parts.append((sd, rel))
    dn_el = wb_xml.find(_M + "definedNames")
    if dn_el is not None:
        for dn in dn_el:
            local = dn.get("localSheetId")
            data.defined_names.append(DefinedName(
                name=dn.get("name"), text=(dn.text or "").lstrip("="),
                sheet_index=int(local) if local is not None else None,
                hidden=dn.get("hidden") in ("1", "true")))
    total = 0
    for sd, (typ, target, _mode) in sheet_parts:
        if typ != "worksheet":
            # chartsheets, dialog and macro sheets hold no cells we evaluate
            data.warnings.append(f"sheet {sd.name!r} is a {typ}; skipped")
            continue
        total += _read_sheet(z, target, sd, strings, formats, dynamic_cms, max_cells - total, data)
        for _t, ttarget, _m in _rels(z, target).values():
            if _t == "table" and z.has(ttarget):
                data.tables.append(_read_table(z, ttarget, sd.name))
    return data


def _read_table(z: _Zip, target: str, sheet: str) -> Table:
    root = _xml(z, target)
    t = Table(name=root.get("displayName") or root.get("name"), sheet=sheet, ref=root.get("ref"),
              header_row_count=int(root.get("headerRowCount", "1")),
              totals_row_count=int(root.get("totalsRowCount", "0")))
    cols = root.find(_M + "tableColumns")
    if cols is not None:
        for c in cols:
            calc = c.find(_M + "calculatedColumnFormula")
            t.columns.append(TableColumn(name=decode_escapes(c.get("name") or ""),
                                         totals_formula=c.findtext(_M + "totalsRowFormula"),
                                         calculated_formula=calc.text if calc is not None else None))
    return t


def _read_sheet(z: _Zip, target: str, sd: SheetData, strings: list[str], formats: list,
                dynamic_cms: set[int], budget: int, data: WorkbookData) -> int:
    cells = sd.cells
    shared_masters: dict[str, tuple[int, int]] = {}
    arrays: list[tuple[int, int, str]] = []
    count = 0
    row = 0
    col = 0
    max_row = max_col = 0
    where = f"{z.path}: {target} (sheet {sd.name!r})"
    C, V, F, IS, ROW, MERGE, COL = (_M + "c", _M + "v", _M + "f", _M + "is", _M + "row", _M + "mergeCell", _M + "col")
    try:
        for ev, el in safe_iterparse(z.open(target), events=("start", "end")):
            tag = el.tag
            if ev == "start":
                if tag == ROW:
                    r = el.get("r")
                    row = int(r) if r else row + 1
                    if row > MAX_ROW or row < 1:
                        raise WorkbookError(f"{where}: row {row:,} is beyond Excel's {MAX_ROW:,} rows")
                    col = 0
                    if el.get("hidden") in ("1", "true"):
                        sd.hidden_rows.add(row)
                continue
            if tag == C:
                ref = el.get("r")
                if ref:
                    try:
                        rr, cc = parse_cell_ref(ref)
                    except ValueError:
                        raise WorkbookError(f"{where}: bad cell reference {ref!r}")
                    if rr > MAX_ROW or cc > MAX_COL:
                        raise WorkbookError(f"{where}: cell {ref} is beyond Excel's grid "
                                            f"({MAX_ROW:,} rows x {MAX_COL:,} columns)")
                    row, col = rr, cc
                else:
                    col += 1
                t = el.get("t", "n")
                f_el = el.find(F)
                v_el = el.find(V)
                value = BLANK
                vtext = v_el.text if v_el is not None else None
                if t == "inlineStr":
                    is_el = el.find(IS)
                    value = _text_of(is_el) if is_el is not None else ""
                elif vtext is not None:
                    if t == "n":
                        try:
                            value = float(vtext)
                        except ValueError:
                            raise WorkbookError(f"{where}: cell {ref or (row, col)} holds {vtext!r}, not a number")
                    elif t == "s":
                        try:
                            value = strings[int(vtext)]
                        except (ValueError, IndexError):
                            raise WorkbookError(f"{where}: cell {ref} refers to shared string {vtext} "
                                                f"of {len(strings)}")
                    elif t == "str":
                        value = decode_escapes(vtext)
                    elif t == "b":
                        value = vtext.strip() in ("1", "true")
                    elif t == "e":
                        value = error_from_code(vtext.strip()) or VALUE
                    elif t == "d":
                        value = _iso_to_serial(vtext)
                    else:
                        value = vtext
                elif t == "str":
                    value = ""
                rec = None
                if f_el is not None:
                    ftype = f_el.get("t", "normal")
                    ftext = f_el.text
                    if ftype == "shared":
                        si = f_el.get("si")
                        if ftext:
                            shared_masters[si] = (row, col)
                            rec = CellRecord(value, formula=ftext.lstrip("="))
                        elif si in shared_masters:
                            rec = CellRecord(value, shared_master=shared_masters[si])
                        else:
                            rec = CellRecord(value)
                            data.warnings.append(f"{sd.name}!{ref}: shared formula {si} has no master")
                    elif ftype == "array":
                        aref = f_el.get("ref") or ref
                        cm = el.get("cm")
                        rec = CellRecord(value, formula=(ftext or "").lstrip("="), array_ref=aref,
                                         dynamic=bool(cm) and int(cm) in dynamic_cms)
                        arrays.append((row, col, aref))
                    elif ftype == "dataTable":
                        rec = CellRecord(value)
                        data.warnings.append(f"{sd.name}!{ref}: data table (TABLE()) kept as its cached value")
                    elif ftext:
                        rec = CellRecord(value, formula=ftext.lstrip("="))
                    else:
                        rec = CellRecord(value)
                elif value is not BLANK:
                    rec = CellRecord(value)
                if rec is not None:
                    s_idx = el.get("s")
                    if s_idx and formats:
                        i = int(s_idx)
                        if i < len(formats):
                            rec.number_format = formats[i]
                    cells[(row, col)] = rec
                    count += 1
                    if count > budget:
                        raise WorkbookError(f"{where}: refused: more than {budget + count - count:,} cells")
                    if row > max_row:
                        max_row = row
                    if col > max_col:
                        max_col = col
                el.clear()
            elif tag == ROW:
                el.clear()
            elif tag == MERGE:
                if el.get("ref"):
                    sd.merged.append(el.get("ref"))
            elif tag == COL:
                if el.get("hidden") in ("1", "true"):
                    lo, hi = int(el.get("min", "1")), int(el.get("max", "1"))
                    sd.hidden_cols.update(range(lo, min(hi, MAX_COL) + 1))
    except DefusedXmlException as exc:
        raise WorkbookError(f"{where}: refused: {type(exc).__name__} (entity declarations are not allowed)")
    except ParseError as exc:
        raise WorkbookError(f"{where}: not well-formed XML ({exc})")
    # cells covered by array formulas belong to their anchor
    for r, c, aref in arrays:
        try:
            r1, c1, r2, c2 = parse_range_ref(aref)
        except ValueError:
            continue
        if (r2 - r1 + 1) * (c2 - c1 + 1) > budget:
            raise WorkbookError(f"{where}: array formula at {aref} is too large")
        for rr in range(r1, r2 + 1):
            for cc in range(c1, c2 + 1):
                if (rr, cc) == (r, c):
                    continue
                rec = cells.get((rr, cc))
                if rec is None:
                    cells[(rr, cc)] = CellRecord(BLANK, array_member=True)
                else:
                    rec.array_member = True
                    rec.formula = None
                    rec.shared_master = None
        max_row, max_col = max(max_row, r2), max(max_col, c2)
    sd.max_row, sd.max_col = max_row, max_col
    return count


def iter_corpus(folder: str) -> Iterator[str]:
    for dirpath, _dirs, files in os.walk(folder):
        for f in sorted(files):
            if f.lower().endswith((".xlsx", ".xlsm")):
                yield os.path.join(dirpath, f)
