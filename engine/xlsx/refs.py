"""A1-style cell and range references: "B12" <-> (12, 2).

Rows and columns are 1-based.  ``$`` signs are accepted and ignored.  Every
parser raises ``ValueError`` with a message fit to show a user.
"""
from __future__ import annotations

import re

MAX_ROWS = 1_048_576
MAX_COLS = 16_384          # XFD

# Digits and letters are bounded so that garbage such as a 5,000-digit row
# fails as "invalid" instead of making int() work hard.
_CELL_RE = re.compile(r"\$?([A-Za-z]{1,7})\$?([0-9]{1,15})")
_COL_RE = re.compile(r"\$?([A-Za-z]{1,7})")
_ROW_RE = re.compile(r"\$?([0-9]{1,15})")

# Letters -> index for the columns Excel allows; filled on first use.
_COL_CACHE: dict[str, int] = {}


def col_to_index(letters: str) -> int:
    """"A" -> 1, "XFD" -> 16384.  Case-insensitive; no limit is enforced here."""
    cached = _COL_CACHE.get(letters)
    if cached is not None:
        return cached
    if not letters or not letters.isascii() or not letters.isalpha():
        raise ValueError(f"invalid column letters {letters!r}")
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ord(ch) - 64)
    if index <= MAX_COLS:
        _COL_CACHE[letters] = index
    return index


def index_to_col(index: int) -> str:
    """1 -> "A", 16384 -> "XFD"."""
    if index < 1:
        raise ValueError(f"column index must be >= 1, got {index}")
    out = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _check_limits(row: int, col: int, ref: str) -> None:
    if row < 1 or row > MAX_ROWS:
        raise ValueError(f"cell {ref}: row {row} is outside Excel's 1..{MAX_ROWS:,}")
    if col > MAX_COLS:
        raise ValueError(f"cell {ref}: column {col} is beyond Excel's last column XFD ({MAX_COLS:,})")


def parse_cell_ref(ref: str) -> tuple[int, int]:
    """"B12" or "$B$12" -> (12, 2); refuses references beyond XFD1048576."""
    m = _CELL_RE.fullmatch(ref)
    if m is None:
        raise ValueError(f"invalid cell reference {ref!r}")
    letters, digits = m.groups()
    row, col = int(digits), col_to_index(letters)
    _check_limits(row, col, ref)
    return row, col


def parse_range_ref(ref: str) -> tuple[int, int, int, int]:
    """"A1:C3" -> (1, 1, 3, 3), normalised so that r1 <= r2 and c1 <= c2.

    A single cell "B2" gives (2, 2, 2, 2); whole columns "A:C" and whole rows
    "2:5" span the full sheet in the other direction.
    """
    first, sep, second = ref.partition(":")
    if not sep:
        row, col = parse_cell_ref(first)
        return row, col, row, col
    if _CELL_RE.fullmatch(first) and _CELL_RE.fullmatch(second):
        r1, c1 = parse_cell_ref(first)
        r2, c2 = parse_cell_ref(second)
    elif _COL_RE.fullmatch(first) and _COL_RE.fullmatch(second):
        c1, c2 = col_to_index(first.lstrip("$")), col_to_index(second.lstrip("$"))
        _check_limits(1, max(c1, c2), ref)
        r1, r2 = 1, MAX_ROWS
    elif _ROW_RE.fullmatch(first) and _ROW_RE.fullmatch(second):
        r1, r2 = int(first.lstrip("$")), int(second.lstrip("$"))
        _check_limits(min(r1, r2), 1, ref)
        _check_limits(max(r1, r2), 1, ref)
        c1, c2 = 1, MAX_COLS
    else:
        raise ValueError(f"invalid range reference {ref!r}")
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def format_range_ref(r1: int, c1: int, r2: int, c2: int) -> str:
    """(1, 1, 3, 3) -> "A1:C3"; a single cell gives "A1"."""
    start = f"{index_to_col(c1)}{r1}"
    if (r1, c1) == (r2, c2):
        return start
    return f"{start}:{index_to_col(c2)}{r2}"
