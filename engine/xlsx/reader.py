"""Read .xlsx / .xlsm workbooks into the plain data model of ``model.py``.

The file is untrusted input.  It is read straight from the zip with
defusedxml's expat parser, which refuses entity declarations and external
entities; every part is streamed (no element tree is built for sheets or
shared strings), so big sheets load fast and in bounded memory.  Anything
corrupt or hostile -- not a zip, a zip bomb, entity expansion, cells beyond
Excel's grid, more cells than ``max_cells`` -- raises ``WorkbookError`` with a
message naming the file and the part.

Relationships are followed as OPC says: ``_rels/.rels`` -> workbook part ->
its sheets, shared strings, styles, metadata and external links; each sheet's
own rels -> its tables.
"""
from __future__ import annotations

import datetime as _dt
import gc
import math
import os
import posixpath
import re
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Callable, Iterator
from urllib.parse import unquote
from xml.parsers.expat import ExpatError, ErrorString

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from ..values import BLANK, XLError, error_from_code
from .model import (CalcSettings, CellRecord, DefinedName, SheetData, Table, TableColumn, WorkbookData,
                    WorkbookError)
from .refs import MAX_COLS, MAX_ROWS, format_range_ref, index_to_col, parse_cell_ref, parse_range_ref

__all__ = ["read_workbook", "decode_escapes", "iso_to_serial", "BUILTIN_NUMBER_FORMATS"]

# --- limits ------------------------------------------------------------------

MAX_TOTAL_UNCOMPRESSED = 2 * 1024 ** 3   # all parts together, declared and actually inflated
MAX_RATIO = 200                          # a part inflating more than this ...
RATIO_MIN_SIZE = 50 * 1024 ** 2          # ... and to more than 50 MB is taken for a bomb
MAX_MEMBERS = 100_000                    # real workbooks hold a few hundred parts
MAX_NAMES = 1_000_000                    # defined names in a workbook
MAX_MERGED = 1_000_000                   # merged ranges in a sheet
MAX_WARNINGS = 1000
MIN_STRINGS_LIMIT = 1_000_000            # shared strings allowed: max(max_cells, this)
_CHUNK = 1 << 20                         # bytes fed to the XML parser at a time

# --- namespaces --------------------------------------------------------------

# expat (as set up by ElementTree) reports names as "namespace}local".
_MAIN_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",              # ISO strict
)
_PLAIN_NAMESPACES = _MAIN_NAMESPACES + (
    "http://schemas.openxmlformats.org/package/2006/relationships",
)


def _local_name(tag: str) -> str:
    """"main-ns}c" -> "c"; names of other namespaces (extensions) keep theirs,
    so that an extension's <xm:f> is never taken for a cell's <f>."""
    ns, sep, local = tag.rpartition("}")
    if not sep or ns in _PLAIN_NAMESPACES:
        return local
    return tag


class _LocalNames(dict):
    """Memo of _local_name: one dict lookup per element on the hot path."""

    def __missing__(self, tag: str) -> str:
        local = self[tag] = _local_name(tag)
        return local


# --- value helpers -----------------------------------------------------------

# Built-in number formats (ECMA-376 Part 1, 18.8.30) as Excel shows them in the
# en-US locale; ids 5-8 and 41-44 are the usual currency/accounting formats.
# Ids 23-36 and 50+ are locale-specific (East Asian) and read as General.
BUILTIN_NUMBER_FORMATS: dict[int, str] = {
    1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00",
    5: '"$"#,##0_);\\("$"#,##0\\)', 6: '"$"#,##0_);[Red]\\("$"#,##0\\)',
    7: '"$"#,##0.00_);\\("$"#,##0.00\\)', 8: '"$"#,##0.00_);[Red]\\("$"#,##0.00\\)',
    9: "0%", 10: "0.00%", 11: "0.00E+00", 12: "# ?/?", 13: "# ??/??",
    14: "m/d/yyyy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy",
    18: "h:mm AM/PM", 19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yyyy h:mm",
    37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)",
    39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)",
    41: '_(* #,##0_);_(* \\(#,##0\\);_(* "-"_);_(@_)',
    42: '_("$"* #,##0_);_("$"* \\(#,##0\\);_("$"* "-"_);_(@_)',
    43: '_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)',
    44: '_("$"* #,##0.00_);_("$"* \\(#,##0.00\\);_("$"* "-"??_);_(@_)',
    45: "mm:ss", 46: "[h]:mm:ss", 47: "mmss.0", 48: "##0.0E+0", 49: "@",
}

_ESCAPE_RE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def decode_escapes(text: str) -> str:
    """Undo OOXML's ``_xHHHH_`` escapes (characters XML cannot carry, such as
    _x000a_; a literal "_x" is itself written _x005F_x)."""
    if "_x" not in text:
        return text
    out = _ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)
    if any("\ud800" <= ch <= "\udfff" for ch in out):
        # Characters beyond the BMP arrive as escaped UTF-16 surrogate pairs.
        out = out.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return out


def _is_true(text: str | None) -> bool:
    return text is not None and text.strip().lower() in ("1", "true")


_EPOCH_1900 = _dt.datetime(1899, 12, 31)   # serial 1 = 1900-01-01
_EPOCH_1904 = _dt.datetime(1904, 1, 1)     # serial 0 = 1904-01-01


def iso_to_serial(text: str, date1904: bool = False) -> float:
    """ISO 8601 date/time (a ``t="d"`` cell) -> Excel serial number in the
    workbook's date system.  Raises ValueError when it is not ISO 8601."""
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1]
    try:
        stamp = _dt.datetime.fromisoformat(s)
    except ValueError:
        clock = _dt.time.fromisoformat(s.lstrip("Tt"))   # a time of day alone
        return (clock.hour * 3600 + clock.minute * 60 + clock.second + clock.microsecond / 1e6) / 86400
    stamp = stamp.replace(tzinfo=None)   # wall-clock time as written
    delta = stamp - (_EPOCH_1904 if date1904 else _EPOCH_1900)
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    if not date1904 and serial >= 60:
        serial += 1    # Excel counts the nonexistent 1900-02-29 as serial 60
    return float(serial)


# --- the zip package ---------------------------------------------------------

@dataclass(slots=True)
class _Rel:
    id: str
    type: str        # last segment of the relationship type URI: "worksheet", "table"...
    target: str      # resolved part name, or the raw target when external
    external: bool


class _BoundedStream:
    """Reads one zip member in chunks, refusing to inflate more bytes than the
    member declared or than the package's remaining budget -- a crafted zip
    can lie in its headers."""

    def __init__(self, pkg: "_Package", part: str, info: zipfile.ZipInfo):
        self.pkg, self.part = pkg, part
        self.left = info.file_size
        try:
            self.raw = pkg.zip.open(info)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise pkg.error(part, f"corrupt zip entry ({exc})") from None
        except (RuntimeError, NotImplementedError) as exc:  # encrypted, unknown compression method
            raise pkg.error(part, f"cannot be read ({exc})") from None

    def read(self, size: int = _CHUNK) -> bytes:
        try:
            data = self.raw.read(min(size, _CHUNK))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise self.pkg.error(self.part, f"corrupt compressed data ({exc})") from None
        self.left -= len(data)
        self.pkg.budget -= len(data)
        if self.left < 0:
            raise self.pkg.error(self.part, "refused: inflates to more bytes than its zip header declares")
        if self.pkg.budget < 0:
            raise self.pkg.error(self.part, f"refused: the parts inflate to more than "
                                            f"{MAX_TOTAL_UNCOMPRESSED / 1024 ** 3:.0f} GiB (a zip bomb?)")
        return data

    def close(self) -> None:
        self.raw.close()


class _Package:
    """The OPC package: parts looked up case-insensitively, read through size
    guards, parsed through defusedxml's expat parser."""

    def __init__(self, path: str):
        self.path = path
        self.budget = MAX_TOTAL_UNCOMPRESSED
        try:
            with open(path, "rb") as fh:
                head = fh.read(8)
        except FileNotFoundError:
            raise   # an OS problem, not a workbook problem: callers report it as such
        except OSError as exc:
            raise WorkbookError(f"{path}: cannot open: {exc.strerror or exc}") from None
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
            raise WorkbookError(f"{path}: {self._not_a_zip_reason(head, exc)}") from None
        try:
            self.members = self._check_members()
        except BaseException:
            self.zip.close()
            raise

    @staticmethod
    def _not_a_zip_reason(head: bytes, exc: Exception) -> str:
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            return ("not an .xlsx/.xlsm package: an OLE2 compound file "
                    "(a password-encrypted workbook or a legacy .xls), which is not supported")
        if head.startswith(b"PK"):
            return f"corrupt or truncated zip file ({exc})"
        return f"not an .xlsx/.xlsm workbook: not a zip file ({exc})"

    def _check_members(self) -> dict[str, zipfile.ZipInfo]:
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise WorkbookError(f"{self.path}: refused: the zip holds {len(infos):,} members "
                                f"(limit {MAX_MEMBERS:,})")
        members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            size = info.file_size
            total += size
            if size > RATIO_MIN_SIZE and size > MAX_RATIO * max(info.compress_size, 1):
                raise WorkbookError(
                    f"{self.path}: refused: {info.filename} would inflate {info.compress_size:,} bytes "
                    f"to {size:,} (ratio over {MAX_RATIO}; a zip bomb?)")
            members.setdefault(info.filename.replace("\\", "/").lstrip("/").lower(), info)
        if total > MAX_TOTAL_UNCOMPRESSED:
            raise WorkbookError(f"{self.path}: refused: the parts would inflate to {total:,} bytes "
                                f"(limit {MAX_TOTAL_UNCOMPRESSED / 1024 ** 3:.0f} GiB; a zip bomb?)")
        return members

    def close(self) -> None:
        self.zip.close()

    def error(self, part: str, message: str) -> WorkbookError:
        return WorkbookError(f"{self.path}: {part}: {message}")

    def has(self, part: str) -> bool:
        return part.lower() in self.members

    def open(self, part: str) -> _BoundedStream:
        info = self.members.get(part.lower())
        if info is None:
            raise WorkbookError(f"{self.path}: {part} is missing")
        return _BoundedStream(self, part, info)

    # -- XML ------------------------------------------------------------------

    def parse(self, part: str, start: Callable | None, end: Callable | None,
              data: Callable | None) -> Iterator[None]:
        """Feed ``part`` through a defused expat parser calling the given
        handlers; yields after each chunk so callers can hand events on.

        The handlers are set directly on the expat parser that defusedxml
        configured (its entity/DTD guards stay in place): no element objects
        are built, which makes sheets several times faster to read than
        iterparse does.  ``start`` gets (tag, attribute dict), ``end`` (tag),
        ``data`` (text); tags are "namespace}local".
        """
        holder = DefusedXMLParser(target=_NoTree())
        expat = holder.parser
        expat.ordered_attributes = False   # attributes as a dict
        expat.StartElementHandler = start
        expat.EndElementHandler = end
        expat.CharacterDataHandler = data
        stream = self.open(part)
        try:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                expat.Parse(chunk, False)
                yield
            expat.Parse(b"", True)
            yield
        except ExpatError as exc:
            raise self.error(part, f"not well-formed XML at line {exc.lineno}, column {exc.offset} "
                                   f"({ErrorString(exc.code) if exc.code else exc})") from None
        except EntitiesForbidden:
            raise self.error(part, "refused: entity declarations are not allowed "
                                   "(entity expansion attack?)") from None
        except ExternalReferenceForbidden:
            raise self.error(part, "refused: external entity references are not allowed") from None
        except (DTDForbidden, DefusedXmlException) as exc:
            raise self.error(part, f"refused: {type(exc).__name__}") from None
        finally:
            stream.close()

    def events(self, part: str) -> Iterator[tuple[bool, str, Any]]:
        """(True, local name, attributes) at each start tag and (False, local
        name, text) at each end tag -- for the small parts.  The text is only
        meaningful for elements without children."""
        names = _LocalNames()
        pending: list[tuple[bool, str, Any]] = []
        text: list[str] = []

        def start(tag: str, attrs: dict[str, str]) -> None:
            text.clear()
            pending.append((True, names[tag], attrs))

        def end(tag: str) -> None:
            pending.append((False, names[tag], "".join(text)))
            text.clear()

        for _ in self.parse(part, start, end, text.append):
            yield from pending
            pending.clear()

    def rels(self, source: str) -> list[_Rel]:
        """Relationships of part ``source`` ("" for the package itself)."""
        folder, base = posixpath.split(source)
        rels_part = posixpath.join(folder, "_rels", base + ".rels")
        if not self.has(rels_part):
            return []
        out = []
        for is_start, name, attrs in self.events(rels_part):
            if not is_start or name != "Relationship":
                continue
            target = attrs.get("Target") or ""
            external = (attrs.get("TargetMode") or "").lower() == "external"
            if not external:
                target = _resolve_target(folder, target)
            rel_type = (attrs.get("Type") or "").rstrip("/").rsplit("/", 1)[-1]
            out.append(_Rel(attrs.get("Id") or "", rel_type, target, external))
        return out


class _NoTree:
    """Target for DefusedXMLParser when we install our own handlers.  Its data
    method keeps ElementTree's error for an undefined entity reference."""

    def data(self, text: str) -> None:
        pass

    def close(self) -> None:
        return None


def _resolve_target(folder: str, target: str) -> str:
    """A relationship target -> zip part name (absolute or relative to the
    folder of the source part; percent-escapes undone)."""
    target = unquote(target.replace("\\", "/")).split("#", 1)[0]
    joined = target if target.startswith("/") else posixpath.join("/", folder, target)
    return posixpath.normpath(joined).lstrip("/")


# --- workbook-level parts ----------------------------------------------------

@dataclass(slots=True)
class _SheetEntry:
    name: str
    rel_id: str
    state: str


def _read_workbook_part(pkg: _Package, part: str, book: WorkbookData) -> list[_SheetEntry]:
    """What workbook.xml says: the sheets in order (returned), defined names
    and calculation settings (stored in ``book``)."""
    sheets: list[_SheetEntry] = []
    name_attrs: dict[str, str] = {}
    first = True
    for is_start, name, value in pkg.events(part):
        if first:
            if name != "workbook":
                raise pkg.error(part, f"is not a spreadsheet workbook part (root element <{name}>)")
            first = False
        if not is_start:
            if name == "definedName":
                if len(book.defined_names) >= MAX_NAMES:
                    raise pkg.error(part, f"refused: more than {MAX_NAMES:,} defined names")
                book.defined_names.append(_defined_name(name_attrs, value, part, book))
        elif name == "sheet":
            rel_id = next((v for k, v in value.items() if k.endswith("}id")), "")
            sheets.append(_SheetEntry(value.get("name") or "", rel_id, value.get("state") or "visible"))
        elif name == "definedName":
            name_attrs = value
        elif name == "workbookPr":
            book.calc.date1904 = _is_true(value.get("date1904"))
        elif name == "calcPr":
            _read_calc_settings(value, book)
    return sheets


def _read_calc_settings(attrs: dict[str, str], book: WorkbookData) -> None:
    calc: CalcSettings = book.calc
    calc.iterate = _is_true(attrs.get("iterate"))
    calc.full_calc_on_load = _is_true(attrs.get("fullCalcOnLoad"))
    try:
        if attrs.get("iterateCount"):
            calc.iterate_count = int(attrs["iterateCount"])
        if attrs.get("iterateDelta"):
            calc.iterate_delta = float(attrs["iterateDelta"])
    except ValueError:
        _warn(book, f"calcPr: unreadable iteration settings {attrs!r}; defaults used")


def _defined_name(attrs: dict[str, str], text: str, part: str, book: WorkbookData) -> DefinedName:
    local = attrs.get("localSheetId")
    sheet_index = None
    if local is not None:
        try:
            sheet_index = int(local)
        except ValueError:
            _warn(book, f"{part}: name {attrs.get('name')!r} has a bad localSheetId {local!r}")
    return DefinedName(name=attrs.get("name") or "", text=_strip_equals(text),
                       sheet_index=sheet_index, hidden=_is_true(attrs.get("hidden")))


def _warn(book: WorkbookData, message: str) -> None:
    """Record a warning; a hostile file cannot make the list grow without end."""
    if len(book.warnings) < MAX_WARNINGS:
        book.warnings.append(message)
    elif len(book.warnings) == MAX_WARNINGS:
        book.warnings.append(f"more than {MAX_WARNINGS} warnings; the rest are not listed")


def _strip_equals(formula: str) -> str:
    return formula[1:] if formula.startswith("=") else formula


def _read_number_formats(pkg: _Package, part: str) -> list[str | None]:
    """Number format code per cell style index (cellXfs order); None = General."""
    custom: dict[int, str] = {}
    style_format_ids: list[int] = []
    in_cell_xfs = in_num_fmts = False   # <xf>/<numFmt> also occur in other lists (dxfs...)
    for is_start, name, attrs in pkg.events(part):
        if name == "cellXfs":
            in_cell_xfs = is_start
        elif name == "numFmts":
            in_num_fmts = is_start
        elif not is_start:
            continue
        elif name == "numFmt" and in_num_fmts:
            try:
                custom[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode") or ""
            except ValueError:
                pass
        elif name == "xf" and in_cell_xfs:
            try:
                style_format_ids.append(int(attrs.get("numFmtId") or 0))
            except ValueError:
                style_format_ids.append(0)
    formats: list[str | None] = []
    for fmt_id in style_format_ids:
        code = custom.get(fmt_id) or BUILTIN_NUMBER_FORMATS.get(fmt_id)
        formats.append(None if not code or code.lower() == "general" else code)
    return formats


def _read_shared_strings(pkg: _Package, part: str, limit: int) -> list[str]:
    """Each <si>: its <t>, or its rich-text runs' <t>s joined; phonetic
    guides (<rPh>) are not part of the value.  More than ``limit`` strings
    are refused."""
    strings: list[str] = []
    pieces: list[str] = []
    in_phonetic = 0
    for is_start, name, text in pkg.events(part):
        if name == "t":
            if not is_start and not in_phonetic:
                pieces.append(text)
        elif name == "si":
            if is_start:
                pieces.clear()
            elif len(strings) < limit:
                strings.append(decode_escapes("".join(pieces)))
            else:
                raise pkg.error(part, f"refused: more than {limit:,} shared strings")
        elif name == "rPh":
            in_phonetic += 1 if is_start else -1
    return strings


def _read_dynamic_cell_metadata(pkg: _Package, part: str) -> set[int]:
    """1-based indexes into cellMetadata (a cell's ``cm``) that mark a
    dynamic-array formula: the block's record points, through metadataTypes,
    at a futureMetadata block carrying xda:dynamicArrayProperties fDynamic=1."""
    type_names: list[str] = []
    future: dict[str, list[bool]] = {}
    cell_records: list[list[tuple[int, int]]] = []
    section = None            # "future:NAME" or "cell" while inside one
    for is_start, name, attrs in pkg.events(part):
        if not is_start:
            if name in ("futureMetadata", "cellMetadata"):
                section = None
            continue
        if name == "metadataType":
            type_names.append(attrs.get("name") or "")
        elif name == "futureMetadata":
            section = "future:" + (attrs.get("name") or "")
            future.setdefault(section[7:], [])
        elif name == "cellMetadata":
            section = "cell"
        elif name == "bk":
            if section == "cell":
                cell_records.append([])
            elif section is not None:
                future[section[7:]].append(False)
        elif name == "rc" and section == "cell" and cell_records:
            try:
                cell_records[-1].append((int(attrs.get("t", "")), int(attrs.get("v", ""))))
            except ValueError:
                pass
        elif name.endswith("}dynamicArrayProperties") and section and section.startswith("future:"):
            blocks = future[section[7:]]
            if blocks and _is_true(attrs.get("fDynamic")):
                blocks[-1] = True
    dynamic: set[int] = set()
    for index, records in enumerate(cell_records, start=1):
        for type_index, value_index in records:
            if 1 <= type_index <= len(type_names):
                blocks = future.get(type_names[type_index - 1], [])
                if 0 <= value_index < len(blocks) and blocks[value_index]:
                    dynamic.add(index)
    return dynamic


# Rich-value error types (the "_error" structure's errorType) as error codes.
# Excel writes errors newer than the file format (#CALC!, #SPILL!) as #VALUE!
# with a ``vm`` pointer to a rich value that holds the real one.
_RICH_ERROR_TYPES = {0: "#NULL!", 1: "#DIV/0!", 2: "#VALUE!", 3: "#REF!", 4: "#NAME?", 5: "#NUM!",
                     6: "#N/A", 7: "#GETTING_DATA", 8: "#SPILL!", 13: "#CALC!"}


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _read_rich_errors(pkg: _Package, metadata_part: str) -> dict[int, XLError]:
    """1-based value-metadata indexes (a cell's ``vm``) whose rich value is an
    error, mapped to that error."""
    type_names: list[str] = []
    rich_blocks: list[int] = []          # XLRICHVALUE future blocks -> rich value index
    value_records: list[tuple[int, int]] = []
    section = None
    for is_start, name, attrs in pkg.events(metadata_part):
        local = _local(name)
        if not is_start:
            if local in ("futureMetadata", "valueMetadata"):
                section = None
            continue
        if local == "metadataType":
            type_names.append(attrs.get("name") or "")
        elif local == "futureMetadata":
            section = "rich" if attrs.get("name") == "XLRICHVALUE" else "other"
        elif local == "valueMetadata":
            section = "value"
        elif local == "rvb" and section == "rich":
            rich_blocks.append(int(attrs.get("i", "-1")) if (attrs.get("i") or "").isdigit() else -1)
        elif local == "rc" and section == "value":
            try:
                value_records.append((int(attrs.get("t", "")), int(attrs.get("v", ""))))
            except ValueError:
                value_records.append((0, 0))
    folder = posixpath.dirname(metadata_part)
    values_part = posixpath.join(folder, "richData", "rdrichvalue.xml")
    structures_part = posixpath.join(folder, "richData", "rdrichvaluestructure.xml")
    if not value_records or not pkg.has(values_part) or not pkg.has(structures_part):
        return {}
    structures: list[tuple[str, list[str]]] = []
    for is_start, name, attrs in pkg.events(structures_part):
        local = _local(name)
        if is_start and local == "s":
            structures.append((attrs.get("t") or "", []))
        elif is_start and local == "k" and structures:
            structures[-1][1].append(attrs.get("n") or "")
    rich_values: list[tuple[int, list[str]]] = []
    for is_start, name, payload in pkg.events(values_part):
        local = _local(name)
        if is_start and local == "rv":
            s_attr = payload.get("s") or ""
            rich_values.append((int(s_attr) if s_attr.isdigit() else -1, []))
        elif not is_start and local == "v" and rich_values:
            rich_values[-1][1].append(payload)
    out: dict[int, XLError] = {}
    for vm, (t, v) in enumerate(value_records, start=1):
        if not (1 <= t <= len(type_names)) or type_names[t - 1] != "XLRICHVALUE" or not 0 <= v < len(rich_blocks):
            continue
        i = rich_blocks[v]
        if not 0 <= i < len(rich_values):
            continue
        s_index, vals = rich_values[i]
        if not 0 <= s_index < len(structures) or structures[s_index][0] != "_error":
            continue
        keys = structures[s_index][1]
        if "errorType" in keys and keys.index("errorType") < len(vals):
            try:
                code = _RICH_ERROR_TYPES.get(int(vals[keys.index("errorType")]))
            except ValueError:
                code = None
            err = error_from_code(code) if code else None
            if err is not None:
                out[vm] = err
    return out


def _mark_filtered_rows(sheet: SheetData, ref: str) -> None:
    """Hidden rows below the header of an AutoFilter that filters are taken
    as filtered out (the file cannot tell them from rows hidden by hand)."""
    try:
        first, _, last, _ = parse_range_ref(ref.replace("$", ""))
    except ValueError:
        return
    sheet.filtered_rows.update(r for r in sheet.hidden_rows if first < r <= last)


def _read_table(pkg: _Package, part: str, sheet: SheetData) -> Table | None:
    """A table part.  A table's AutoFilter that filters also marks the
    sheet's filtered rows."""
    table: Table | None = None
    column: TableColumn | None = None
    filter_ref: str | None = None
    filtering = False
    for is_start, name, value in pkg.events(part):
        if is_start:
            if name == "table":
                table = _new_table(value, sheet.name)
            elif table is None:
                continue
            elif name == "tableColumn":
                column = TableColumn(name=decode_escapes(value.get("name") or ""))
                table.columns.append(column)
            elif name == "autoFilter":
                filter_ref = value.get("ref") or table.ref
            elif name == "filterColumn":
                filtering = True
        elif name == "tableColumn":
            column = None
        elif column is not None:
            if name == "calculatedColumnFormula":
                column.calculated_formula = _strip_equals(value)
            elif name == "totalsRowFormula":
                column.totals_formula = _strip_equals(value)
    if filtering and filter_ref:
        _mark_filtered_rows(sheet, filter_ref)
    return table


def _new_table(attrs: dict[str, str], sheet_name: str) -> Table:
    try:
        header_rows = int(attrs.get("headerRowCount") or 1)
        totals_rows = int(attrs.get("totalsRowCount") or 0)   # totalsRowShown is another thing
    except ValueError:
        header_rows, totals_rows = 1, 0
    return Table(name=decode_escapes(attrs.get("displayName") or attrs.get("name") or ""),
                 sheet=sheet_name, ref=(attrs.get("ref") or "").replace("$", ""),
                 header_row_count=header_rows, totals_row_count=totals_rows)


# --- sheets ------------------------------------------------------------------

_UNSET: Any = object()


class _SheetReader:
    """Streams one worksheet part into a SheetData.

    The expat handlers below run once per XML element, so they are written for
    speed: tag dispatch through one dict, attributes as dicts, text collected
    into a list that the parser appends to directly.
    """

    def __init__(self, pkg: _Package, part: str, sheet: SheetData, book: WorkbookData,
                 strings: list[str], formats: list[str | None], dynamic_cm: set[int],
                 cell_budget: int, max_cells: int):
        self.pkg, self.part, self.sheet, self.book = pkg, part, sheet, book
        self.strings, self.formats, self.dynamic_cm = strings, formats, dynamic_cm
        self.rich_errors: dict[int, XLError] = {}   # vm index -> the error Excel really shows
        self.date1904 = book.calc.date1904
        self.cell_budget = cell_budget     # cells this sheet may still add
        self.max_cells = max_cells
        self.cells = sheet.cells
        self.count = 0
        self.text: list[str] = []
        self.row = 0                       # current row number
        self.col = 0                       # column of the previous cell in the row
        self.cell_attrs: dict[str, str] = {}
        self.value_text: str | None = None
        self.formula_attrs: dict[str, str] | None = None
        self.formula_text: str | None = None
        self.inline_pieces: list[str] | None = None
        self.inline_text: str | None = None
        self.in_phonetic = 0
        self.shared_masters: dict[str, tuple[int, int]] = {}
        self.orphans: list[tuple[tuple[int, int], str]] = []   # shared children read before a master
        self.arrays: list[tuple[int, int, str]] = []
        self.auto_filters: list[list] = []     # [ref, has filter columns]
        self.format_cache: dict[str, str | None] = {}
        self.start_kinds = _SheetTags(_SheetTags.START)
        self.end_kinds = _SheetTags(_SheetTags.END)

    def where(self) -> str:
        return f"{self.pkg.path}: {self.part} (sheet {self.sheet.name!r})"

    def fail(self, message: str) -> WorkbookError:
        return WorkbookError(f"{self.where()}: {message}")

    def warn(self, message: str) -> None:
        _warn(self.book, f"{self.sheet.name}: {message}")

    def read(self) -> int:
        for _ in self.pkg.parse(self.part, self.start, self.end, self.text.append):
            pass
        self._resolve_orphans()
        self._mark_array_members()
        for ref, active in self.auto_filters:
            if active:
                _mark_filtered_rows(self.sheet, ref)
        if self.cells:
            self.sheet.max_row = max(self.cells)[0]
            self.sheet.max_col = max(map(itemgetter(1), self.cells))
        return self.count

    # -- expat handlers --------------------------------------------------------

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.text.clear()
        kind = self.start_kinds[tag]
        if not kind:
            return
        if kind == "c":
            self.cell_attrs = attrs
            self.value_text = self.formula_attrs = self.formula_text = self.inline_text = None
        elif kind == "f":
            self.formula_attrs = attrs
        elif kind == "row":
            self._start_row(attrs)
        elif kind == "is":
            self.inline_pieces = []
        elif kind == "rPh":
            self.in_phonetic += 1
        elif kind == "col":
            self._hidden_columns(attrs)
        elif kind == "mergeCell":
            ref = attrs.get("ref")
            if ref:
                if len(self.sheet.merged) >= MAX_MERGED:
                    raise self.fail(f"refused: more than {MAX_MERGED:,} merged ranges")
                self.sheet.merged.append(ref.replace("$", ""))
        elif kind == "autoFilter":
            self.auto_filters.append([attrs.get("ref") or "", False])
        elif kind == "filterColumn" and self.auto_filters:
            self.auto_filters[-1][1] = True    # the filter filters: its hidden rows are filtered out

    def end(self, tag: str) -> None:
        kind = self.end_kinds[tag]
        if kind == "v":
            self.value_text = "".join(self.text)
        elif kind == "c":
            self._end_cell()
        elif kind == "f":
            self.formula_text = "".join(self.text)
        elif kind == "t":
            if self.inline_pieces is not None and not self.in_phonetic:
                self.inline_pieces.append("".join(self.text))
        elif kind == "is":
            if self.inline_pieces is not None:
                self.inline_text = "".join(self.inline_pieces)
                self.inline_pieces = None
        elif kind == "rPh":
            self.in_phonetic -= 1

    # -- rows, columns ---------------------------------------------------------

    def _start_row(self, attrs: dict[str, str]) -> None:
        ref = attrs.get("r")
        if ref is None:
            row = self.row + 1
        else:
            try:
                row = int(ref)
            except ValueError:
                raise self.fail(f"bad row number {ref[:40]!r}") from None
        if row < 1 or row > MAX_ROWS:
            raise self.fail(f"row {row:,} is outside Excel's 1..{MAX_ROWS:,}")
        self.row = row
        self.col = 0
        if _is_true(attrs.get("hidden")):
            self.sheet.hidden_rows.add(row)

    def _hidden_columns(self, attrs: dict[str, str]) -> None:
        if not _is_true(attrs.get("hidden")):
            return
        try:
            first, last = int(attrs.get("min") or 0), int(attrs.get("max") or 0)
        except ValueError:
            self.warn(f"unreadable <col> {attrs!r}")
            return
        self.sheet.hidden_cols.update(range(max(first, 1), min(last, MAX_COLS) + 1))

    # -- cells -----------------------------------------------------------------

    def _end_cell(self) -> None:
        attrs = self.cell_attrs
        ref = attrs.get("r")
        # Fast path for the usual "B12"; anything else goes through _locate.
        if ref is not None:
            letters = ref.rstrip(_DIGITS)
            col = _COLUMNS.get(letters)
            digits = ref[len(letters):]
            row = int(digits) if col is not None and 0 < len(digits) < 8 else 0
            if not 0 < row <= MAX_ROWS:
                row, col = self._locate(ref)
        else:
            row, col = self._locate(ref)
        self.col = col
        cell_type = attrs.get("t")
        text = self.value_text
        if cell_type is None and text:
            try:
                value = float(text)
            except ValueError:
                value = self._cell_value(cell_type, row, col)
            else:
                if value - value != 0.0:   # inf or nan
                    value = self._cell_value(cell_type, row, col)
        else:
            value = self._cell_value(cell_type, row, col)
        if cell_type == "e" and self.rich_errors:
            vm = attrs.get("vm")
            if vm is not None and vm.isdigit() and int(vm) in self.rich_errors:
                value = self.rich_errors[int(vm)]
        formula = shared_master = array_ref = None
        dynamic = False
        f_attrs = self.formula_attrs
        if f_attrs is not None:
            formula_type = f_attrs.get("t")
            text = self.formula_text
            if formula_type is None or formula_type == "normal":
                if text:
                    formula = text[1:] if text[0] == "=" else text
            elif formula_type == "shared":
                si = f_attrs.get("si") or ""
                masters = self.shared_masters
                if text and (f_attrs.get("ref") or si not in masters):
                    formula = _strip_equals(text)
                    masters[si] = (row, col)
                elif si in masters:
                    shared_master = masters[si]
                else:
                    self.orphans.append(((row, col), si))
            elif formula_type == "array":
                formula = _strip_equals(text or "")
                array_ref = (f_attrs.get("ref") or f"{index_to_col(col)}{row}").replace("$", "").upper()
                cm = attrs.get("cm")
                dynamic = cm is not None and cm.isdigit() and int(cm) in self.dynamic_cm
                self.arrays.append((row, col, array_ref))
            elif formula_type == "dataTable":
                self.warn(f"{index_to_col(col)}{row}: data table formula {{=TABLE()}} over "
                          f"{f_attrs.get('ref', '?')} kept as its cached values")
            else:
                self.warn(f"{index_to_col(col)}{row}: unknown formula type {formula_type!r}; cached value kept")
        if value is BLANK and formula is None and shared_master is None and not self._orphan_at(row, col):
            return   # a styled empty cell: not content, not part of the used range
        style = attrs.get("s")
        number_format = None
        if style is not None and self.formats:
            number_format = self.format_cache.get(style, _UNSET)
            if number_format is _UNSET:
                number_format = self._format_of(style)
        key = (row, col)
        cells = self.cells
        if key not in cells:
            self.count += 1
            if self.count > self.cell_budget:
                raise self.fail(f"refused: more than {self.max_cells:,} cells (the max_cells limit)")
        cells[key] = CellRecord(value, formula, shared_master, array_ref, dynamic, False, number_format)

    def _locate(self, ref: str | None) -> tuple[int, int]:
        """Row and column of a cell whose reference is missing or unusual."""
        if ref is None:
            if self.row == 0:
                raise self.fail("a cell without a reference outside any row")
            row, col = self.row, self.col + 1
            if col > MAX_COLS:
                raise self.fail(f"row {row}: more cells than Excel's {MAX_COLS:,} columns")
            return row, col
        try:
            return parse_cell_ref(ref)
        except ValueError as exc:
            raise self.fail(str(exc) if len(ref) < 40 else f"invalid cell reference {ref[:40]!r}...") from None

    def _orphan_at(self, row: int, col: int) -> bool:
        return bool(self.orphans) and self.orphans[-1][0] == (row, col)

    def _format_of(self, style: str) -> str | None:
        try:
            code = self.formats[int(style)]
        except (ValueError, IndexError):
            code = None
        self.format_cache[style] = code
        return code

    def _cell_value(self, cell_type: str | None, row: int, col: int) -> Any:
        text = self.value_text
        if cell_type is None or cell_type == "n":
            if not text:
                return BLANK
            try:
                number = float(text)
            except ValueError:
                self._bad_value(row, col, "a number", text)
                return text
            if not math.isfinite(number):
                self._bad_value(row, col, "a finite number", text)
                return XLError("#NUM!")
            return number
        if cell_type == "s":
            if not text:
                return BLANK
            try:
                return self.strings[int(text)]
            except (ValueError, IndexError):
                self._bad_value(row, col, f"a shared string index (of {len(self.strings)})", text)
                return BLANK
        if cell_type == "str":
            if text is None:
                return BLANK
            return decode_escapes(text)
        if cell_type == "inlineStr":
            inline = self.inline_text
            if inline is None:
                return BLANK if text is None else decode_escapes(text)
            return decode_escapes(inline)
        if not text:
            return BLANK
        if cell_type == "b":
            return _is_true(text)
        if cell_type == "e":
            error = error_from_code(text.strip())
            if error is None:
                self._bad_value(row, col, "an Excel error", text)
                return XLError(text.strip()[:20])
            return error
        if cell_type == "d":
            try:
                return iso_to_serial(text, self.date1904)
            except ValueError:
                self._bad_value(row, col, "an ISO 8601 date", text)
                return text
        self.warn(f"{index_to_col(col)}{row}: unknown cell type {cell_type!r}; kept as text")
        return text

    def _bad_value(self, row: int, col: int, expected: str, text: str) -> None:
        self.warn(f"{index_to_col(col)}{row}: {text[:40]!r} is not {expected}")

    # -- after the last element ---------------------------------------------------

    def _resolve_orphans(self) -> None:
        """Shared-formula children that came before their master (rows out of
        order): point them at it now, or keep their cached value."""
        for key, si in self.orphans:
            master = self.shared_masters.get(si)
            rec = self.cells.get(key)
            if rec is None:
                continue
            if master is not None:
                rec.shared_master = master
            else:
                self.warn(f"{index_to_col(key[1])}{key[0]}: shared formula {si!r} has no master cell; "
                          f"cached value kept")
                if rec.value is BLANK and not rec.is_formula:
                    del self.cells[key]
                    self.count -= 1

    def _mark_array_members(self) -> None:
        """Every cell of an array formula's range but the anchor is produced by
        it; create the cells the file left out."""
        cells = self.cells
        for row, col, ref in self.arrays:
            try:
                r1, c1, r2, c2 = parse_range_ref(ref)
            except ValueError as exc:
                self.warn(f"{index_to_col(col)}{row}: array formula range {ref!r} ignored ({exc})")
                cells[(row, col)].array_ref = f"{index_to_col(col)}{row}"
                continue
            area = (r2 - r1 + 1) * (c2 - c1 + 1)
            # Refuse absurd ranges before looping over them.
            if area - len(cells) > self.cell_budget - self.count:
                raise self.fail(f"refused: array formula at {index_to_col(col)}{row} spans {ref} "
                                f"({area:,} cells; more than the max_cells limit of {self.max_cells:,})")
            cells[(row, col)].array_ref = format_range_ref(r1, c1, r2, c2)
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    if r == row and c == col:
                        continue
                    rec = cells.get((r, c))
                    if rec is None:
                        self.count += 1
                        if self.count > self.cell_budget:
                            raise self.fail(f"refused: more than {self.max_cells:,} cells "
                                            f"(the max_cells limit)")
                        cells[(r, c)] = CellRecord(BLANK, array_member=True)
                    elif rec.is_formula:
                        self.warn(f"{index_to_col(c)}{r}: holds its own formula inside the array "
                                  f"formula range {ref}; left as a formula")
                    else:
                        rec.array_member = True


class _SheetTags(dict):
    """Full tag -> local name for the worksheet elements a handler acts on;
    anything else (including extensions' namespaces) -> ""."""

    START = frozenset({"c", "f", "row", "is", "rPh", "col", "mergeCell", "autoFilter", "filterColumn"})
    END = frozenset({"c", "v", "f", "t", "is", "rPh"})

    def __init__(self, kinds: frozenset[str]):
        super().__init__()
        self.kinds = kinds

    def __missing__(self, tag: str) -> str:
        local = _local_name(tag)
        kind = self[tag] = local if local in self.kinds else ""
        return kind


# Every valid column's letters -> index, for the hot path of cell references.
_COLUMNS: dict[str, int] = {index_to_col(i): i for i in range(1, MAX_COLS + 1)}
_DIGITS = "0123456789"


# --- the whole workbook --------------------------------------------------------

def read_workbook(path: str | os.PathLike, *, max_cells: int = 20_000_000) -> WorkbookData:
    """Read an .xlsx/.xlsm workbook.

    Raises WorkbookError, with a message naming the file and the part or
    limit, when the file is not a workbook or is corrupt or hostile, and
    FileNotFoundError when there is no such file.  ``max_cells`` caps the
    cells stored over the whole workbook (array-formula members included).
    """
    pkg = _Package(os.fspath(path))
    try:
        with _cyclic_gc_paused():
            return _read(pkg, max_cells)
    finally:
        pkg.close()


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Reading creates millions of acyclic records; the cycle collector would
    rescan them over and over (about 15% of the read time) and find nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _workbook_part(pkg: _Package) -> str:
    for rel in pkg.rels(""):
        if rel.type == "officeDocument" and not rel.external:
            part = rel.target
            break
    else:
        part = "xl/workbook.xml"
    if not pkg.has(part):
        raise WorkbookError(f"{pkg.path}: not a workbook: {part} is missing")
    if part.lower().endswith(".bin"):
        raise WorkbookError(f"{pkg.path}: {part}: binary workbooks (.xlsb) are not supported")
    return part


def _read(pkg: _Package, max_cells: int) -> WorkbookData:
    book = WorkbookData(path=pkg.path)
    workbook_part = _workbook_part(pkg)
    sheet_entries = _read_workbook_part(pkg, workbook_part, book)
    rels = pkg.rels(workbook_part)
    by_id = {rel.id: rel for rel in rels}

    def single(rel_type: str, fallback: str | None = None) -> str | None:
        for rel in rels:
            if rel.type == rel_type and not rel.external:
                return rel.target if pkg.has(rel.target) else None
        return fallback if fallback and pkg.has(fallback) else None

    styles = single("styles")
    formats = _read_number_formats(pkg, styles) if styles else []
    strings_part = single("sharedStrings")
    strings = _read_shared_strings(pkg, strings_part, max(max_cells, MIN_STRINGS_LIMIT)) if strings_part else []
    metadata = single("sheetMetadata", fallback=posixpath.join(posixpath.dirname(workbook_part), "metadata.xml"))
    dynamic_cm = _read_dynamic_cell_metadata(pkg, metadata) if metadata else set()
    rich_errors = _read_rich_errors(pkg, metadata) if metadata else {}

    stored = 0
    for entry in sheet_entries:
        sheet = SheetData(name=entry.name, state=entry.state)
        book.sheets.append(sheet)   # every sheet, so that localSheetId indexes stay right
        rel = by_id.get(entry.rel_id)
        if rel is None or rel.external:
            raise WorkbookError(f"{pkg.path}: {workbook_part}: sheet {entry.name!r} points at "
                                f"relationship {entry.rel_id!r}, which {workbook_part}'s rels lack")
        if rel.type != "worksheet":
            if rel.type in ("xlMacrosheet", "xlIntlMacrosheet", "dialogsheet"):
                _warn(book, f"{entry.name}: a {rel.type} (Excel 4 macros / dialog); its cells are not read")
            continue   # chartsheets hold no cells
        if not pkg.has(rel.target):
            raise WorkbookError(f"{pkg.path}: {rel.target} is missing (sheet {entry.name!r})")
        reader = _SheetReader(pkg, rel.target, sheet, book, strings, formats, dynamic_cm,
                              max_cells - stored, max_cells)
        reader.rich_errors = rich_errors
        stored += reader.read()
        for sheet_rel in pkg.rels(rel.target):
            if sheet_rel.type != "table" or sheet_rel.external:
                continue
            if not pkg.has(sheet_rel.target):
                _warn(book, f"{entry.name}: table part {sheet_rel.target} is missing")
                continue
            table = _read_table(pkg, sheet_rel.target, sheet)
            if table is not None:
                book.tables.append(table)

    for rel in rels:
        if rel.type != "externalLink" or rel.external or not pkg.has(rel.target):
            continue
        targets = [r.target for r in pkg.rels(rel.target) if r.external]
        if targets:
            book.external_links.extend(targets)
        else:
            _warn(book, f"{rel.target}: external link without an external target (DDE/OLE?)")
    return book
