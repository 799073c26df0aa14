"""A1-style cell and range addresses (1-based rows and columns)."""
from __future__ import annotations

import re

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]+)$")


def col_to_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            raise ValueError(f"bad column {letters!r}")
        n = n * 26 + ord(ch) - 64
    return n


def index_to_col(n: int) -> str:
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def parse_cell_ref(ref: str) -> tuple[int, int]:
    """'B12' -> (12, 2)."""
    m = _CELL.match(ref)
    if not m:
        raise ValueError(f"bad cell reference {ref!r}")
    return int(m.group(2)), col_to_index(m.group(1))


def parse_range_ref(ref: str) -> tuple[int, int, int, int]:
    """'A1:C3' -> (1, 1, 3, 3), normalised so r1 <= r2 and c1 <= c2."""
    parts = ref.split(":")
    r1, c1 = parse_cell_ref(parts[0])
    r2, c2 = parse_cell_ref(parts[-1])
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)
