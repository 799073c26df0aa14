"""Recalculate a workbook from its constants and compare with the values
Excel cached in the file: GridFlow's conformance harness."""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import NONDETERMINISTIC, Model
from .values import BLANK, XLError, to_display
from .xlsx.model import WorkbookError

REL_TOL = 1e-9
ABS_TOL = 1e-9


@dataclass
class Mismatch:
    cell: str
    formula: str
    expected: Any
    got: Any
    message: str = ""

    def as_dict(self) -> dict:
        return {"cell": self.cell, "formula": self.formula, "expected": to_display(self.expected),
                "got": to_display(self.got), "message": self.message}


@dataclass
class CheckResult:
    path: str
    matched: int = 0
    mismatched: int = 0
    unsupported: int = 0            # cells using functions GridFlow lacks
    volatile: int = 0               # skipped: NOW/RAND... and their dependents
    no_cached: int = 0              # skipped: no cached value in the file
    mismatches: list[Mismatch] = field(default_factory=list)
    unsupported_functions: dict[str, int] = field(default_factory=dict)
    exceptions: list[str] = field(default_factory=list)   # Python exceptions (engine bugs)
    error: str | None = None        # the workbook could not be read
    seconds: float = 0.0

    @property
    def comparable(self) -> int:
        return self.matched + self.mismatched + self.unsupported

    def as_dict(self) -> dict:
        return {"path": self.path, "matched": self.matched, "mismatched": self.mismatched,
                "unsupported": self.unsupported, "volatile": self.volatile, "no_cached": self.no_cached,
                "mismatches": [m.as_dict() for m in self.mismatches],
                "unsupported_functions": self.unsupported_functions, "exceptions": self.exceptions,
                "error": self.error, "seconds": round(self.seconds, 3)}


def values_match(expected: Any, got: Any) -> bool:
    if isinstance(expected, XLError):
        return isinstance(got, XLError) and got.code == expected.code
    if isinstance(expected, bool):
        return isinstance(got, bool) and got == expected
    if isinstance(expected, float):
        if isinstance(got, bool) or not isinstance(got, float):
            return False
        if math.isclose(expected, got, rel_tol=REL_TOL, abs_tol=ABS_TOL):
            return True
        return False
    if isinstance(expected, str):
        return isinstance(got, str) and got == expected
    if expected is BLANK:
        return got is BLANK or got == "" or got == 0.0
    return expected == got


def check_model(model: Model) -> CheckResult:
    res = CheckResult(model.path)
    model.calculate()
    g = model.graph
    # cells depending on nondeterministic functions, in evaluation order
    tainted: set = set()
    for key in g.order:
        used = model.functions_used(key)
        if used & NONDETERMINISTIC:
            tainted.add(key)
            continue
        for d in g.cell_deps.get(key, ()):
            if len(d) == 3:
                if d in tainted:
                    tainted.add(key)
                    break
            elif any(m in tainted for m in g.range_members.get(d, ())):
                tainted.add(key)
                break
    unsupported_cells: set = set()
    for key in model.formulas:
        missing = [n for n in model.functions_used(key) if not model.is_supported(n, key)]
        if missing:
            unsupported_cells.add(key)
            for n in missing:
                res.unsupported_functions[n] = res.unsupported_functions.get(n, 0) + 1
    for key, expected in model.cached.items():
        owner = model.array_owner.get(key, key)
        if owner not in model.formulas:
            continue
        if owner in tainted:
            res.volatile += 1
            continue
        if expected is BLANK and key == owner:
            res.no_cached += 1
            continue
        got = model.cell_value(*key)
        if owner in unsupported_cells:
            res.unsupported += 1
            continue
        if values_match(expected, got):
            res.matched += 1
        else:
            res.mismatched += 1
            msg = got.message if isinstance(got, XLError) else ""
            res.mismatches.append(Mismatch(model.address(key), "=" + model.formula_text(owner),
                                           expected, got, msg))
    res.exceptions = [f"{cell}: {name}: {exc}" for cell, name, exc in model.internal_errors]
    return res


def check_path(path: str | os.PathLike) -> CheckResult:
    from . import load
    t0 = time.perf_counter()
    try:
        model = load(path)
    except WorkbookError as exc:
        return CheckResult(str(path), error=str(exc))
    try:
        res = check_model(model)
    except Exception as exc:  # engine bug: report, continue with other files
        import traceback
        res = CheckResult(str(path), exceptions=[f"{type(exc).__name__}: {exc}",
                                                 traceback.format_exc(limit=5)])
    res.seconds = time.perf_counter() - t0
    return res


def workbook_paths(target: str | os.PathLike) -> list[Path]:
    p = Path(target)
    if p.is_dir():
        return sorted(q for q in p.rglob("*") if q.suffix.lower() in (".xlsx", ".xlsm")
                      and not q.name.startswith("~$"))
    return [p]
