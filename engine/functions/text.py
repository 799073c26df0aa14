"""Text functions: slicing and searching (LEFT, MID, FIND, SEARCH...),
building (CONCAT, TEXTJOIN, REPT, SUBSTITUTE...), splitting (TEXTBEFORE,
TEXTAFTER, TEXTSPLIT), conversions between numbers and text (TEXT, FIXED,
DOLLAR, VALUE, NUMBERVALUE, VALUETOTEXT, ARRAYTOTEXT), character codes and
regular expressions.

Excel strings are UTF-16: lengths and positions count UTF-16 code units, so
a character outside the Basic Multilingual Plane counts twice.  A text
result longer than 32,767 characters is #VALUE!.
"""
from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import quote

from ..values import BLANK, MISSING, NA, VALUE, Array, XLError
from . import coerce, helpers, numfmt
from .registry import function

MAX_TEXT = 32767
_OMIT = object()        # an optional argument not written at all


def _checked(s: str) -> str:
    if len(s) > MAX_TEXT:
        raise VALUE
    return s


def _given(v: Any) -> bool:
    return v is not _OMIT and v is not MISSING


# --- UTF-16 code units ------------------------------------------------------------

def _units(s: str) -> str:
    """``s`` with characters beyond U+FFFF split into surrogate pairs, so that
    Python indexing counts what Excel counts."""
    if s.isascii() or max(s) <= "\uffff":
        return s
    b = s.encode("utf-16-le", "surrogatepass")
    return "".join(chr(int.from_bytes(b[i:i + 2], "little")) for i in range(0, len(b), 2))


def _text(u: str) -> str:
    """Back from code units (pairs recombined; a split pair stays a lone surrogate)."""
    if u.isascii():
        return u
    return u.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


# --- length, slicing ----------------------------------------------------------------

@function("LEN", "text", category="text", aliases=("LENB",))
def LEN(s):
    """Number of characters (UTF-16 code units) in a text."""
    return len(_units(s))


def _count(n: float) -> int:
    n = int(n)
    if n < 0:
        raise VALUE
    return n


@function("LEFT", "text, number?", category="text", aliases=("LEFTB",))
def LEFT(s, n=1.0):
    """First characters of a text."""
    return _text(_units(s)[:_count(n)])


@function("RIGHT", "text, number?", category="text", aliases=("RIGHTB",))
def RIGHT(s, n=1.0):
    """Last characters of a text."""
    n = _count(n)
    u = _units(s)
    return _text(u[len(u) - n:]) if n else ""


@function("MID", "text, number, number", category="text", aliases=("MIDB",))
def MID(s, start, n):
    """Characters from a position of a text."""
    if start < 1:
        raise VALUE
    n = _count(n)
    start = int(start)
    return _text(_units(s)[start - 1:start - 1 + n])


@function("REPLACE", "text, number, number, text", category="text", aliases=("REPLACEB",))
def REPLACE(old, start, n, new):
    """Replace characters at a position of a text."""
    if start < 1:
        raise VALUE
    n = _count(n)
    start = int(start)
    u = _units(old)
    return _checked(_text(u[:start - 1]) + new + _text(u[start - 1 + n:]))


# --- searching -------------------------------------------------------------------

def _start(within: str, start: float) -> int:
    """A 1-based start position inside ``within`` (1 allowed in an empty text)."""
    start = int(start)
    if start < 1 or start > len(within) + (1 if within == "" else 0):
        raise VALUE
    return start


@function("FIND", "text, text, number?", category="text", aliases=("FINDB",))
def FIND(find, within, start=1.0):
    """Position of a text inside another, case-sensitive."""
    u = _units(within)
    st = _start(u, start)
    i = u.find(_units(find), st - 1)
    if i < 0:
        raise VALUE
    return i + 1


def _search_pattern(pattern: str) -> re.Pattern:
    """SEARCH's wildcards: ~ makes the next character literal (a ~ before an
    ordinary character or at the end simply vanishes)."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "~":
            if i + 1 < len(pattern):
                nxt = pattern[i + 1]
                out.append("~" + nxt if nxt in "*?~" else nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return helpers.wildcard_regex("".join(out))


@function("SEARCH", "text, text, number?", category="text", aliases=("SEARCHB",))
def SEARCH(find, within, start=1.0):
    """Position of a text inside another, case-insensitive, with wildcards."""
    u = _units(within)
    st = _start(u, start)
    m = _search_pattern(_units(find)).search(u, st - 1)
    if m is None:
        raise VALUE
    return m.start() + 1


@function("SUBSTITUTE", "text, text, text, number?", category="text")
def SUBSTITUTE(s, old, new, instance=None):
    """Replace occurrences (or the n-th) of a text by another."""
    if instance is not None:
        k = int(instance)
        if k < 1:
            raise VALUE
    if old == "":
        return s
    if instance is None:
        return _checked(s.replace(old, new))
    pos = -1
    for _ in range(k):
        pos = s.find(old, pos + (len(old) if pos >= 0 else 1))
        if pos < 0:
            return s
    return _checked(s[:pos] + new + s[pos + len(old):])


@function("EXACT", "text, text", category="text")
def EXACT(a, b):
    """Whether two texts are identical (case-sensitive)."""
    return a == b


# --- building -----------------------------------------------------------------------

def _piece(v: Any) -> str:
    if isinstance(v, XLError):
        raise v
    return coerce.to_text(v)


@function("CONCAT", "raw+", category="text")
def CONCAT(*args):
    """Join texts, ranges and arrays included."""
    return _checked("".join(_piece(v) for v, _ in helpers.iter_values(args)))


@function("CONCATENATE", "text+", category="text")
def CONCATENATE(*parts):
    """Join texts (ranges give their value in the formula's row/column)."""
    return _checked("".join(parts))


@function("TEXTJOIN", "raw, bool, raw+", category="text")
def TEXTJOIN(delimiter, ignore_empty, *args):
    """Join texts with a delimiter (a range of delimiters is used in turn)."""
    delims = [_piece(v) for v, _ in helpers.iter_values([delimiter])]
    items = [_piece(v) for v, _ in helpers.iter_values(args)]
    if ignore_empty:
        items = [s for s in items if s != ""]
    out = []
    for i, s in enumerate(items):
        if i and delims:
            out.append(delims[(i - 1) % len(delims)])
        out.append(s)
        if sum(len(p) for p in out[-2:]) > MAX_TEXT:
            raise VALUE
    return _checked("".join(out))


@function("REPT", "text, number", category="text")
def REPT(s, n):
    """A text repeated."""
    n = _count(n)
    if len(s) * n > MAX_TEXT:
        raise VALUE
    return s * n


# --- cleaning and case ------------------------------------------------------------

@function("TRIM", "text", category="text")
def TRIM(s):
    """Remove leading/trailing spaces and runs of inner spaces (ASCII space only)."""
    return re.sub(" {2,}", " ", s).strip(" ")


@function("CLEAN", "text", category="text")
def CLEAN(s):
    """Remove the non-printing characters 0-31."""
    return "".join(ch for ch in s if ord(ch) >= 32)


def _upper(s: str) -> str:
    u = s.upper()
    if len(u) == len(s):
        return u
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in s)   # keep ß as ß


def _lower(s: str) -> str:
    u = s.lower()
    if len(u) == len(s):
        return u
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in s)


@function("UPPER", "text", category="text")
def UPPER(s):
    """Text in capitals."""
    return _upper(s)


@function("LOWER", "text", category="text")
def LOWER(s):
    """Text in lower case."""
    return _lower(s)


@function("PROPER", "text", category="text")
def PROPER(s):
    """Capitalize every letter that follows a non-letter ("don't" -> "Don'T")."""
    out = []
    prev_alpha = False
    for ch in s:
        if ch.isalpha():
            out.append(_lower(ch) if prev_alpha else _upper(ch))
            prev_alpha = True
        else:
            out.append(ch)
            prev_alpha = False
    return "".join(out)


# --- characters -----------------------------------------------------------------------

def _cp1252(code: int) -> str:
    try:
        return bytes([code]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(code)          # 0x81, 0x8D, 0x8F, 0x90, 0x9D map to themselves


@function("CHAR", "number", category="text")
def CHAR(n):
    """Character of a code 1..255 (Windows-1252)."""
    n = int(n)
    if not 1 <= n <= 255:
        raise VALUE
    return _cp1252(n)


@function("CODE", "text", category="text")
def CODE(s):
    """Windows-1252 code of a text's first character (63 for '?' when none)."""
    if s == "":
        raise VALUE
    ch = s[0]
    try:
        return s[0].encode("cp1252")[0]
    except UnicodeEncodeError:
        return ord(ch) if ord(ch) < 256 else 63


@function("UNICHAR", "number", category="text")
def UNICHAR(n):
    """Character of a Unicode code point."""
    n = int(n)
    if not 1 <= n <= 0x10FFFF:
        raise VALUE
    if 0xD800 <= n <= 0xDFFF:
        raise NA
    return chr(n)


@function("UNICODE", "text", category="text")
def UNICODE(s):
    """Code point of a text's first character."""
    if s == "":
        raise VALUE
    return ord(s[0])


_FULL_OFFSET = 0xFEE0


@function("ASC", "text", category="text")
def ASC(s):
    """Full-width (double-byte) ASCII letters and spaces to half-width."""
    out = []
    for ch in s:
        o = ord(ch)
        if 0xFF01 <= o <= 0xFF5E:
            out.append(chr(o - _FULL_OFFSET))
        elif o == 0x3000:
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


@function("DBCS", "text", category="text")
def DBCS(s):
    """Half-width ASCII letters and spaces to full-width (double-byte)."""
    out = []
    for ch in s:
        o = ord(ch)
        if 0x21 <= o <= 0x7E:
            out.append(chr(o + _FULL_OFFSET))
        elif o == 0x20:
            out.append("\u3000")
        else:
            out.append(ch)
    return "".join(out)


@function("ENCODEURL", "text", category="text")
def ENCODEURL(s):
    """URL-encode a text (UTF-8, unreserved characters kept)."""
    return quote(s, safe="-_.~")


# --- values <-> text --------------------------------------------------------------------

@function("T", "any", category="text")
def T(v):
    """The value if it is text, else empty text."""
    return v if isinstance(v, str) else ""


@function("VALUE", "any", category="text")
def VALUE_(v):
    """Number in a text ("1,000", "15%", "$5", dates and times)."""
    if isinstance(v, bool):          # VALUE(TRUE) is #VALUE!, unlike TRUE+0
        raise VALUE
    return coerce.to_number(v)


@function("NUMBERVALUE", "text, text?, text?", category="text")
def NUMBERVALUE(s, decimal_sep=".", group_sep=","):
    """Number in a text with the given decimal and group separators."""
    if decimal_sep == "" or group_sep == "":
        raise VALUE
    dec, grp = decimal_sep[0], group_sep[0]
    if dec == grp:
        raise VALUE
    t = re.sub(r"\s+", "", s)
    if t == "":
        return 0.0
    pct = len(t) - len(t.rstrip("%"))
    t = t[:len(t) - pct]
    if t.count(dec) > 1:
        raise VALUE
    head, point, tail = t.partition(dec)
    if grp in tail:
        raise VALUE
    t = head.replace(grp, "") + ("." if point else "") + tail
    if t in ("", "."):
        raise VALUE
    x = coerce.parse_number_text(t)
    if x is None:
        raise VALUE
    return x / (100.0 ** pct)


def _value_text(v: Any, strict: bool) -> str:
    if isinstance(v, XLError):
        return v.code
    if isinstance(v, str):
        return '"' + v.replace('"', '""') + '"' if strict else v
    if v is BLANK or v is MISSING:
        return ""
    return coerce.to_text(v)


def _format_flag(f: float) -> bool:
    f = int(f)
    if f not in (0, 1):
        raise VALUE
    return f == 1


@function("VALUETOTEXT", "anyerr, number?", category="text")
def VALUETOTEXT(v, fmt=0.0):
    """A value as text; format 1 quotes text (errors become their text)."""
    return _checked(_value_text(v, _format_flag(fmt)))


@function("ARRAYTOTEXT", "array, number?", category="text")
def ARRAYTOTEXT(arr, fmt=0.0):
    """An array as text: "a, b, c" or, strict, {"a",1;"b",2}."""
    strict = _format_flag(fmt)
    if strict:
        body = ";".join(",".join(_value_text(v, True) for v in row) for row in arr.data)
        return _checked("{" + body + "}")
    return _checked(", ".join(_value_text(v, False) for v in arr))


@function("TEXT", "any, text", category="text", context=True)
def TEXT(ctx, v, fmt):
    """A value formatted with a number format code."""
    if v is BLANK or v is MISSING:
        v = 0.0
    elif isinstance(v, str):
        x = coerce.parse_number_text(v)
        if x is not None:
            v = x
    return _checked(numfmt.format_value(v, fmt, ctx.model.date1904))


def _round_places(x: float, places: int) -> float:
    """x rounded half away from zero to ``places`` decimals (negative: tens...)."""
    q = numfmt.dec15(x).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return float(q) if x >= 0 else -float(q)


def _decimals(d: float) -> int:
    d = int(d)
    if d > 127:
        raise VALUE
    return d


@function("FIXED", "number, number?, bool?", category="text")
def FIXED(x, decimals=2.0, no_commas=False):
    """A number rounded and written with a fixed number of decimals."""
    d = _decimals(decimals)
    if d < 0:
        x, d = _round_places(x, d), 0
    code = ("0" if no_commas else "#,##0") + ("." + "0" * d if d > 0 else "")
    return numfmt.format_number(x, code)


@function("DOLLAR", "number, number?", category="text")
def DOLLAR(x, decimals=2.0):
    """A number in currency format: $1,234.57, ($1,234.57) when negative."""
    d = _decimals(decimals)
    if d < 0:
        x, d = _round_places(x, d), 0
    body = "$#,##0" + ("." + "0" * d if d > 0 else "")
    return numfmt.format_number(x, f"{body};({body})")


# --- TEXTBEFORE / TEXTAFTER / TEXTSPLIT ---------------------------------------------------

def _delimiters(arg: Any) -> list[str]:
    out = []
    for v, _ in helpers.iter_values([arg]):
        out.append(_piece(v))
    return out


def _matcher(delims: list[str], ignore_case: bool):
    """match(text, i, end) -> length of the longest delimiter at i ending by end, or -1."""
    ds = sorted(set(delims), key=len, reverse=True)
    if ignore_case:
        ds = [d.lower() for d in ds]

    def match(text: str, i: int, end: int) -> int:
        for d in ds:
            if i + len(d) <= end and text.startswith(d, i, i + len(d)):
                return len(d)
        return -1
    return match


def _forward(text: str, match) -> list[tuple[int, int]]:
    occ = []
    i = 0
    n = len(text)
    while i <= n:
        L = match(text, i, n)
        if L >= 0:
            occ.append((i, i + L))
            i += max(L, 1)
        else:
            i += 1
    return occ


def _backward(text: str, match) -> list[tuple[int, int]]:
    occ = []
    end = len(text)
    s = end
    while s >= 0:
        L = match(text, s, end)
        if L >= 0:
            occ.append((s, s + L))
            end = s
        s -= 1
    return occ


def _mode(v: float) -> bool:
    v = int(v)
    if v not in (0, 1):
        raise VALUE
    return v == 1


def _text_around(text, delimiter, instance, match_mode, match_end, if_not_found, after: bool):
    delims = _delimiters(delimiter)
    ignore_case = _mode(match_mode)
    end_is_delim = _mode(match_end)
    explicit = _given(instance)
    # instance_num is floored (-1.2 counts as -2), not truncated
    n = math.floor(coerce.to_number(instance)) if explicit else 1
    if n == 0:
        raise VALUE
    if explicit and abs(n) > len(text) - min(len(d) for d in delims) + 1:
        raise VALUE
    hay = _lower(text) if ignore_case else text
    match = _matcher(delims, ignore_case)
    if n > 0:
        occ = _forward(hay, match)
        if end_is_delim:
            occ.append((len(text), len(text)))
    else:
        occ = _backward(hay, match)
        if end_is_delim:
            occ.append((0, 0))
    k = abs(n)
    if len(occ) < k:
        if not _given(if_not_found):
            raise NA
        return "" if if_not_found is BLANK else if_not_found
    s, e = occ[k - 1]
    return text[e:] if after else text[:s]


@function("TEXTBEFORE", "text, raw, any?, number?, number?, anyerr?", category="text")
def TEXTBEFORE(text, delimiter, instance=_OMIT, match_mode=0.0, match_end=0.0, if_not_found=_OMIT):
    """Text before the n-th delimiter (counted from the end when n < 0)."""
    return _text_around(text, delimiter, instance, match_mode, match_end, if_not_found, False)


@function("TEXTAFTER", "text, raw, any?, number?, number?, anyerr?", category="text")
def TEXTAFTER(text, delimiter, instance=_OMIT, match_mode=0.0, match_end=0.0, if_not_found=_OMIT):
    """Text after the n-th delimiter (counted from the end when n < 0)."""
    return _text_around(text, delimiter, instance, match_mode, match_end, if_not_found, True)


def _split(text: str, delims: list[str], ignore_case: bool) -> list[str]:
    hay = _lower(text) if ignore_case else text
    pieces = []
    last = 0
    for s, e in _forward(hay, _matcher(delims, ignore_case)):
        pieces.append(text[last:s])
        last = e
    pieces.append(text[last:])
    return pieces


@function("TEXTSPLIT", "text, raw, raw?, bool?, number?, anyerr?", category="text", array_result=True)
def TEXTSPLIT(text, col_delimiter, row_delimiter=_OMIT, ignore_empty=False, match_mode=0.0, pad_with=_OMIT):
    """Split a text into columns (and rows) at delimiters."""
    cols = _delimiters(col_delimiter) if _given(col_delimiter) else None
    rows = _delimiters(row_delimiter) if _given(row_delimiter) else None
    if cols is None and rows is None:
        raise VALUE
    if any(d == "" for d in (cols or []) + (rows or [])):
        raise VALUE
    ignore_case = _mode(match_mode)
    lines = _split(text, rows, ignore_case) if rows else [text]
    if ignore_empty:
        lines = [ln for ln in lines if ln != ""]
    grid = []
    for ln in lines:
        cells = _split(ln, cols, ignore_case) if cols else [ln]
        if ignore_empty:
            cells = [c for c in cells if c != ""]
        grid.append(cells)
    if not grid:
        grid = [[""]]
    width = max(len(r) for r in grid) or 1
    pad = pad_with if _given(pad_with) else NA
    if pad is BLANK:
        pad = ""
    return Array([r + [pad] * (width - len(r)) for r in grid])


# --- regular expressions -----------------------------------------------------------------

def _regex(pattern: str, case_flag: float) -> re.Pattern:
    flags = re.IGNORECASE if _mode(case_flag) else 0
    try:
        return re.compile(pattern, flags)
    except (re.error, OverflowError, RecursionError):
        raise VALUE from None


@function("REGEXTEST", "text, text, number?", category="text")
def REGEXTEST(text, pattern, case_insensitive=0.0):
    """Whether a regular expression matches part of a text."""
    return _regex(pattern, case_insensitive).search(text) is not None


@function("REGEXEXTRACT", "text, text, number?, number?", category="text", array_result=True)
def REGEXEXTRACT(text, pattern, return_mode=0.0, case_insensitive=0.0):
    """First match, all matches (1) or the first match's groups (2)."""
    rx = _regex(pattern, case_insensitive)
    mode = int(return_mode)
    if mode not in (0, 1, 2):
        raise VALUE
    if mode == 1:
        found = [m.group(0) for m in rx.finditer(text)]
        if not found:
            raise NA
        return Array([found])
    m = rx.search(text)
    if m is None:
        raise NA
    if mode == 0:
        return m.group(0)
    if not m.groups():
        raise NA
    return Array([[g if g is not None else "" for g in m.groups()]])


_REPL_RE = re.compile(r"\$(?:\$|(\d{1,2})|\{(\w+)\})")


def _expand(m: re.Match, repl: str) -> str:
    def sub(r: re.Match) -> str:
        if r.group(0) == "$$":
            return "$"
        key = r.group(1) or r.group(2)
        try:
            g = m.group(int(key) if key.isdigit() else key)
        except IndexError:          # no such group
            raise VALUE from None
        return g or ""
    return _REPL_RE.sub(sub, repl)


@function("REGEXREPLACE", "text, text, text, number?, number?", category="text")
def REGEXREPLACE(text, pattern, replacement, occurrence=0.0, case_insensitive=0.0):
    """Replace matches of a regular expression ($1, ${name} refer to groups)."""
    rx = _regex(pattern, case_insensitive)
    k = int(occurrence)
    matches = list(rx.finditer(text))
    if k == 0:
        chosen = matches
    else:
        idx = k - 1 if k > 0 else len(matches) + k
        chosen = [matches[idx]] if 0 <= idx < len(matches) else []
    out = []
    last = 0
    for m in chosen:
        out.append(text[last:m.start()])
        out.append(_expand(m, replacement))
        last = m.end()
    out.append(text[last:])
    return _checked("".join(out))


# --- BAHTTEXT -------------------------------------------------------------------------------

_TH_DIGITS = ["ศูนย์", "หนึ่ง", "สอง", "สาม", "สี่", "ห้า", "หก", "เจ็ด", "แปด", "เก้า"]
_TH_PLACES = ["", "สิบ", "ร้อย", "พัน", "หมื่น", "แสน"]


def _th_group(n: int, has_higher: bool) -> str:
    """Words for 0 < n < 1,000,000; a final 1 after higher digits is เอ็ด."""
    out = []
    s = str(n)
    for i, ch in enumerate(s):
        d = int(ch)
        p = len(s) - 1 - i
        if d == 0:
            continue
        if p == 1:
            out.append("สิบ" if d == 1 else ("ยี่สิบ" if d == 2 else _TH_DIGITS[d] + "สิบ"))
        elif p == 0:
            out.append("เอ็ด" if d == 1 and (has_higher or n > 9) else _TH_DIGITS[d])
        else:
            out.append(_TH_DIGITS[d] + _TH_PLACES[p])
    return "".join(out)


def _th_words(n: int) -> str:
    hi, lo = divmod(n, 1_000_000)
    s = _th_words(hi) + "ล้าน" if hi else ""
    if lo:
        s += _th_group(lo, hi > 0)
    return s


@function("BAHTTEXT", "number", category="text")
def BAHTTEXT(x):
    """A number as Thai words with Baht and Satang."""
    q = numfmt.dec15(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    baht, satang = divmod(int(q * 100), 100)
    if baht == 0 and satang == 0:
        return "ศูนย์บาทถ้วน"
    s = "ลบ" if x < 0 else ""
    if baht:
        s += _th_words(baht) + "บาท"
    s += "ถ้วน" if satang == 0 else _th_words(satang) + "สตางค์"
    return s
