"""What GridFlow's worksheet functions return outside a simulation.

Both front ends call this module: the local server (for the Office.js
add-in's custom functions) and the classic xlwings module (in-process).

* **Distributions, GF.OUTPUT, GF.SIMTABLE, GF.HDR** are evaluated by the
  engine itself: the call is written back as a formula with constant
  arguments (``GF.NORMAL(0.03,0.01,GF.TRUNCATE(0,1))``) and calculated, so a
  cell shows exactly what ``gridflow calc`` computes for it: the mean (or
  the static value, the truncated mean, plus any shift).
* **Property functions** (``GF.NAME``, ``GF.TRUNCATE``...) return a *token*,
  the text ``GF.TRUNCATE[0,1]``: a distribution that receives it turns it
  back into the property.  The add-in's JavaScript builds the same token
  without a round trip to the server.
* **Statistics** (``GF.MEAN(cell)``...) read the cell's series in the last
  simulation from a :class:`ResultsSource` (the server's job results, or the
  classic module's results folder).

Argument checking is strict and explains itself: an argument of the wrong
type gives ``#VALUE!`` with a message naming the function and parameter.
"""
from __future__ import annotations

import json
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol, Sequence

import numpy as np

from .registry import UDF, Param, lookup

ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#SPILL!", "#CALC!",
               "#GETTING_DATA", "#CIRC!")
TOKEN_RE = re.compile(r"^GF\.([A-Z]+)(\[.*\])$", re.S)
MAX_ARRAY_CELLS = 100_000


class CallError(Exception):
    """An Excel error value with a message (what the cell shows)."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


@dataclass
class Call:
    function: str                              # any spelling: NORMAL, GF.NORMAL, GF_NORMAL
    args: Sequence[Any] = ()
    address: str | None = None                 # the calling cell, "[Book1.xlsx]Sheet1!B2" or "Sheet1!B2"
    parameter_addresses: Sequence[Any] | None = None


# --- argument binding ----------------------------------------------------------------------

def _what(v: Any) -> str:
    if isinstance(v, str):
        return f"the text {v[:40]!r}"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, list):
        return "a range"
    if isinstance(v, dict):
        return "a data-type value"
    if isinstance(v, (int, float)):
        return f"the number {_num_text(float(v))}"
    return repr(v)


def _unwrap_single(udf: UDF, p: Param, v: Any) -> Any:
    """[[x]] → x (a one-cell range given where one value is expected)."""
    while isinstance(v, list):
        if len(v) == 1:
            v = v[0]
            continue
        cells = sum(len(r) if isinstance(r, list) else 1 for r in v)
        raise CallError("#VALUE!", f"{udf.excel_name}: {p.name} expects one value, got a range of {cells} cells")
    return v


def _finite(udf: UDF, p: Param, v: Any) -> float:
    try:
        f = float(v)
    except (OverflowError, ValueError):
        f = math.inf
    if not math.isfinite(f):
        raise CallError("#NUM!", f"{udf.excel_name}: {p.name} must be a finite number")
    return f


def _scalar(udf: UDF, p: Param, v: Any) -> Any:
    v = _unwrap_single(udf, p, v)
    if v is None:
        return None
    if isinstance(v, dict):
        raise CallError("#VALUE!", f"{udf.excel_name}: {p.name} cannot be a data-type value")
    if isinstance(v, str) and v in ERROR_CODES:
        raise CallError(v, f"{udf.excel_name}: {p.name} is the error {v}")
    if p.type == "number":
        if isinstance(v, bool):
            return 1.0 if v else 0.0
        if isinstance(v, (int, float)):
            return _finite(udf, p, v)
        raise CallError("#VALUE!", f"{udf.excel_name}: {p.name} must be a number, got {_what(v)}")
    if p.type == "string":
        if isinstance(v, str):
            return v
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, (int, float)):
            return _num_text(float(v))
        raise CallError("#VALUE!", f"{udf.excel_name}: {p.name} must be text, got {_what(v)}")
    if p.type == "boolean":
        if isinstance(v, bool):
            return v
        if isinstance(v, (int, float)):
            return float(v) != 0
        if isinstance(v, str) and v.strip().upper() in ("TRUE", "FALSE"):
            return v.strip().upper() == "TRUE"
        raise CallError("#VALUE!", f"{udf.excel_name}: {p.name} must be TRUE or FALSE, got {_what(v)}")
    # any
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return _finite(udf, p, v)
    if isinstance(v, (str, bool)):
        return v
    raise CallError("#VALUE!", f"{udf.excel_name}: {p.name} cannot take {_what(v)}")


def _matrix(udf: UDF, p: Param, v: Any) -> list[list[Any]] | None:
    if v is None:
        return None
    if not isinstance(v, list):
        v = [[v]]
    elif v and not all(isinstance(r, list) for r in v):
        if any(isinstance(r, list) for r in v):
            raise CallError("#VALUE!", f"{udf.excel_name}: {p.name} must be a range (rows of values)")
        v = [v]                                  # one row given as a flat list
    width = len(v[0]) if v else 0
    if not v or width == 0:
        raise CallError("#VALUE!", f"{udf.excel_name}: {p.name} is an empty range")
    if any(len(r) != width for r in v):
        raise CallError("#VALUE!", f"{udf.excel_name}: {p.name} must be a rectangular range")
    if len(v) * width > MAX_ARRAY_CELLS:
        raise CallError("#VALUE!", f"{udf.excel_name}: {p.name} has more than {MAX_ARRAY_CELLS:,} cells")
    out = []
    for row in v:
        new = []
        for x in row:
            if x is None or isinstance(x, (str, bool)):
                if isinstance(x, str) and x in ERROR_CODES:
                    raise CallError(x, f"{udf.excel_name}: {p.name} contains the error {x}")
                new.append(x)
            elif isinstance(x, (int, float)):
                new.append(_finite(udf, p, x))
            else:
                raise CallError("#VALUE!", f"{udf.excel_name}: {p.name} contains {_what(x)}")
        out.append(new)
    return out


def bind(udf: UDF, args: Sequence[Any]) -> list[Any]:
    """Check and convert the arguments Excel sent: one per parameter (a
    repeating parameter's values as a list); omitted optional ones as None."""
    if not isinstance(args, (list, tuple)):
        raise CallError("#VALUE!", f"{udf.excel_name}: the arguments must be a list")
    params = udf.params
    args = list(args)
    if len(args) > len(params):
        if params and params[-1].repeating:      # extra values fold into the repeating parameter
            head, tail = args[:len(params) - 1], args[len(params) - 1:]
            rep = [x for a in tail for x in (a if isinstance(a, list) else [a])]
            args = head + [rep]
        else:
            raise CallError("#VALUE!", f"{udf.excel_name} takes at most {len(params)} argument(s), "
                                       f"got {len(args)}: {udf.signature}")
    args += [None] * (len(params) - len(args))
    out: list[Any] = []
    for p, v in zip(params, args):
        if p.repeating:
            items = [] if v is None else (v if isinstance(v, list) else [v])
            vals = []
            for x in items:
                if p.dimensionality == "matrix":
                    m = _matrix(udf, p, x)
                    if m is not None:
                        vals.append(m)
                else:
                    s = _scalar(udf, p, x)
                    if s is not None and s != "":
                        vals.append(s)
            out.append(vals)
            continue
        if p.dimensionality == "matrix":
            m = _matrix(udf, p, v)
            if m is None and not p.optional:
                raise CallError("#VALUE!", f"{udf.excel_name}: argument {p.name} is missing ({udf.signature})")
            out.append(m)
            continue
        s = _scalar(udf, p, v)
        if s is None and not p.optional:
            raise CallError("#VALUE!", f"{udf.excel_name}: argument {p.name} is missing ({udf.signature})")
        out.append(s)
    return out


# --- property tokens ---------------------------------------------------------------------------

def _json_num(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return int(v)
    if isinstance(v, list):
        return [_json_num(x) for x in v]
    return v


def property_token(udf: UDF, bound: list[Any]) -> str:
    """GF.TRUNCATE[0,1]: what a property function shows, and what a
    distribution reads back.  Trailing omitted arguments are dropped."""
    vals = list(bound)
    while vals and vals[-1] is None:
        vals.pop()
    return f"GF.{udf.name}" + json.dumps([_json_num(v) for v in vals], separators=(",", ":"), allow_nan=False)


def parse_token(text: str) -> tuple[UDF, list[Any]] | None:
    m = TOKEN_RE.match(text.strip()) if isinstance(text, str) else None
    if not m:
        return None
    udf = lookup(m.group(1))
    if udf is None or udf.kind != "property":
        return None
    try:
        args = json.loads(m.group(2))
    except ValueError:
        return None
    return (udf, args) if isinstance(args, list) else None


# --- formulas for the engine -----------------------------------------------------------------------

def _num_text(f: float) -> str:
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return format(f, ".17g")


def literal(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return _num_text(float(v))
    if isinstance(v, str):
        return '"' + v.replace('"', '""') + '"'
    if isinstance(v, list):                     # a matrix → array constant
        rows = v if v and isinstance(v[0], list) else [v]
        return "{" + ";".join(",".join(literal(x) if x is not None else '""' for x in r) for r in rows) + "}"
    raise CallError("#VALUE!", f"cannot use {_what(v)} in a formula")


def _property_formula(item: Any, owner: UDF) -> str:
    parsed = parse_token(item) if isinstance(item, str) else None
    if parsed is None:
        raise CallError("#VALUE!", f"{owner.excel_name}: {_what(item)} is not a property function; the extra "
                                   f"arguments of a distribution are GF.NAME(...), GF.TRUNCATE(...), "
                                   f"GF.CORRMAT(...) and the like")
    prop, args = parsed
    bound = bind(prop, args)
    return _call_text(prop, bound)


def _call_text(udf: UDF, bound: list[Any]) -> str:
    parts: list[str] = []
    for p, v in zip(udf.params, bound):
        if p.repeating:
            parts.extend(_property_formula(x, udf) for x in v)
        else:
            parts.append(literal(v))
    while parts and parts[-1] == "":
        parts.pop()
    return f"{udf.excel_name}({','.join(parts)})"


def formula_for(udf: UDF, bound: list[Any]) -> str:
    """The engine formula (without '=') for a bound call."""
    return _call_text(udf, bound)


# --- statistics -------------------------------------------------------------------------------------

class ResultsSource(Protocol):
    def series(self, address: str, call: Call) -> np.ndarray:
        """The cell's per-iteration values in the last simulation, or raise CallError."""


_ADDR_RE = re.compile(r"^(?:\[(?P<book>[^\]]+)\])?(?:(?:'(?P<qs>(?:[^']|'')+)'|(?P<s>[^!'\[\]]+))!)?"
                      r"\$?(?P<col>[A-Za-z]{1,3})\$?(?P<row>[0-9]{1,7})"
                      r"(?::\$?(?P<col2>[A-Za-z]{1,3})\$?(?P<row2>[0-9]{1,7}))?$")


def split_address(text: str) -> tuple[str | None, str | None, str, str | None]:
    """'[Book1.xlsx]'My sheet'!$B$2' → (book, sheet, 'B2', second corner or None).
    Raises ValueError when it is not a cell address."""
    t = text.strip()
    if t.startswith("'[") and "]" in t:          # '[Book1.xlsx]My sheet'!B2
        close = t.index("]")
        book = t[2:close]
        rest = "'" + t[close + 1:]
        m = _ADDR_RE.match(rest)
    else:
        m = _ADDR_RE.match(t)
        book = m.group("book") if m else None
    if not m:
        raise ValueError(f"{text!r} is not a cell address")
    sheet = m.group("qs").replace("''", "'") if m.group("qs") else m.group("s")
    cell = f"{m.group('col').upper()}{int(m.group('row'))}"
    second = f"{m.group('col2').upper()}{int(m.group('row2'))}" if m.group("col2") else None
    return book, sheet, cell, second


def cell_key(text: str, default_sheet: str | None = None) -> tuple[str, str]:
    """A comparable (sheet lower-case, 'B2') key of a one-cell address."""
    _book, sheet, cell, second = split_address(text)
    if second is not None and second != cell:
        raise ValueError(f"{text!r} is a range: give one cell")
    sheet = sheet if sheet is not None else default_sheet
    return ((sheet or "").lower(), cell)


def book_of(address: str | None) -> str | None:
    if not address:
        return None
    try:
        return split_address(address)[0]
    except ValueError:
        return None


def compute_statistic(stat: str, x: np.ndarray, rest: list[Any], other: np.ndarray | None = None) -> float:
    """The statistic over a series (same definitions as the engine's GF.MEAN...)."""
    series = np.asarray(x, dtype=float)
    ok = series[np.isfinite(series)]
    if ok.size == 0:
        raise CallError("#NUM!", f"GF.{stat}: the cell has no numeric values in the last simulation")
    if stat == "MEAN":
        return float(np.mean(ok))
    if stat in ("STDEV", "STDDEV"):
        return float(np.std(ok, ddof=1)) if ok.size > 1 else 0.0
    if stat == "VARIANCE":
        return float(np.var(ok, ddof=1)) if ok.size > 1 else 0.0
    if stat == "MIN":
        return float(np.min(ok))
    if stat == "MAX":
        return float(np.max(ok))
    if stat == "MEDIAN":
        return float(np.median(ok))
    if stat == "SKEWNESS":
        from scipy.stats import skew
        return float(skew(ok))
    if stat == "KURTOSIS":
        from scipy.stats import kurtosis
        return float(kurtosis(ok, fisher=False))
    if stat in ("PERCENTILE", "PTOX"):
        p = float(rest[0])
        if p > 1:
            p /= 100.0
        if not 0 <= p <= 1:
            raise CallError("#NUM!", f"GF.{stat}: the percentile must be between 0 and 1 (or 0 and 100)")
        return float(np.quantile(ok, p))
    if stat in ("PROB", "TARGET", "XTOP"):
        return float(np.mean(ok <= float(rest[0])))
    if stat == "MEANCI":
        from scipy.stats import t as student
        level = 0.95 if rest[0] is None else float(rest[0])
        if not 0 < level < 1:
            raise CallError("#NUM!", "GF.MEANCI: the confidence level must be between 0 and 1")
        if ok.size < 2:
            raise CallError("#DIV/0!", "GF.MEANCI needs at least two iterations")
        half = student.ppf(0.5 + level / 2, ok.size - 1) * np.std(ok, ddof=1) / math.sqrt(ok.size)
        return float(np.mean(ok) + half) if rest[1] else float(np.mean(ok) - half)
    if stat == "DATA":
        i = int(rest[0])
        if not 1 <= i <= series.size:
            raise CallError("#N/A", f"GF.DATA: iteration {i} is outside 1..{series.size}")
        v = float(series[i - 1])
        if not math.isfinite(v):
            raise CallError("#VALUE!", f"GF.DATA: iteration {i} gave an error")
        return v
    if stat == "CORREL":
        if other is None or other.size != series.size:
            raise CallError("#N/A", "GF.CORREL: the other cell was not recorded in the same simulation")
        both = np.isfinite(series) & np.isfinite(other)
        a, b = series[both], np.asarray(other, float)[both]
        method = 2 if rest[1] is None else int(rest[1])
        if method == 2:
            from scipy.stats import rankdata
            a, b = rankdata(a), rankdata(b)
        if a.size < 2 or np.std(a) == 0 or np.std(b) == 0:
            raise CallError("#DIV/0!", "GF.CORREL: a cell does not vary")
        return float(np.corrcoef(a, b)[0, 1])
    raise CallError("#VALUE!", f"GF.{stat} is not a statistic")


def _parameter_address(udf: UDF, call: Call, index: int) -> str:
    addrs = call.parameter_addresses or []
    a = addrs[index] if index < len(addrs) else None
    while isinstance(a, list) and a:
        a = a[0]
    if not isinstance(a, str) or not a.strip():
        raise CallError("#VALUE!", f"{udf.excel_name}: give a cell reference (e.g. {udf.excel_name}(B20)); "
                                   f"Excel did not send the argument's address")
    return a


def _statistic(udf: UDF, bound: list[Any], call: Call, source: ResultsSource | None) -> float:
    if source is None:
        raise CallError("#N/A", f"{udf.excel_name}: no simulation has run yet")
    addr = _parameter_address(udf, call, 0)
    series = source.series(addr, call)
    other = None
    if udf.engine_name == "CORREL":
        other = source.series(_parameter_address(udf, call, 1), call)
    rest = bound[1:]
    if udf.engine_name in ("PERCENTILE", "PTOX", "PROB", "TARGET", "XTOP", "DATA") and rest[0] is None:
        raise CallError("#VALUE!", f"{udf.excel_name}: argument {udf.params[1].name} is missing")
    if udf.engine_name == "CORREL":
        rest = [None, bound[2]]
    return compute_statistic(udf.engine_name, series, rest, other)


# --- evaluation -------------------------------------------------------------------------------------

_cache: "OrderedDict[str, Any]" = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 20_000


def _engine_values(formulas: list[str]) -> list[Any]:
    """Evaluate formulas with constant arguments in one throwaway model."""
    from engine.model import Model
    from engine.values import BLANK
    from engine.xlsx.model import CellRecord, SheetData, WorkbookData

    wb = WorkbookData(path="<gridflow add-in>")
    sheet = SheetData("GridFlow")
    wb.sheets.append(sheet)
    for i, f in enumerate(formulas):
        sheet.cells[(i + 1, 1)] = CellRecord(BLANK, formula=f)
    sheet.max_row, sheet.max_col = len(formulas), 1
    model = Model(wb)
    model.calculate()
    return [model.cell_value(0, i + 1, 1) for i in range(len(formulas))]


def _to_result(v: Any) -> Any:
    from engine.values import BLANK, MISSING, Array, XLError
    if isinstance(v, Array):
        v = v.data[0][0] if v.data and v.data[0] else BLANK
    if isinstance(v, XLError):
        return CallError(v.code, v.message or f"the engine returned {v.code}")
    if v is BLANK or v is MISSING or v is None:
        return 0.0
    if isinstance(v, (bool, str)):
        return v
    if isinstance(v, (int, float, np.floating, np.integer)):
        f = float(v)
        if not math.isfinite(f):
            return CallError("#NUM!", "the result is not a finite number")
        return f
    return CallError("#VALUE!", f"unexpected result {type(v).__name__}")


def _shape(udf: UDF, value: Any) -> Any:
    return [[value]] if udf.result_dimensionality == "matrix" else value


def evaluate(calls: Sequence[Call], source: ResultsSource | None = None) -> list[dict]:
    """Evaluate a batch of calls: one ``{"value": v}`` or
    ``{"error": {"code", "message"}}`` per call, in order."""
    out: list[dict | None] = [None] * len(calls)
    pending: dict[str, list[int]] = {}
    shapes: dict[int, UDF] = {}
    for i, call in enumerate(calls):
        udf = lookup(call.function) if isinstance(call.function, str) else None
        try:
            if udf is None:
                raise CallError("#NAME?", f"{call.function!r} is not a GridFlow function")
            if udf.kind == "progress":
                raise CallError("#VALUE!", f"{udf.excel_name} streams from the add-in; the server has no value "
                                           f"for it (see GET /api/v1/jobs/{{id}})")
            bound = bind(udf, call.args)
            if udf.kind == "property":
                out[i] = {"value": _shape(udf, property_token(udf, bound))}
            elif udf.kind == "statistic":
                out[i] = {"value": _shape(udf, _statistic(udf, bound, call, source))}
            else:
                text = formula_for(udf, bound)
                with _cache_lock:
                    hit = _cache.get(text)
                    if hit is not None:
                        _cache.move_to_end(text)
                if hit is not None:
                    out[i] = _finish(udf, hit)
                else:
                    pending.setdefault(text, []).append(i)
                    shapes[i] = udf
        except CallError as e:
            out[i] = {"error": e.as_dict()}
        except Exception as exc:  # never let one odd call break the batch
            out[i] = {"error": {"code": "#VALUE!", "message": f"{call.function}: internal error "
                                                              f"({type(exc).__name__}: {exc})"[:255]}}
    if pending:
        texts = list(pending)
        try:
            raw = _engine_values(texts)
        except Exception:
            raw = []
            for t in texts:          # isolate the formula that upsets the engine
                try:
                    raw.extend(_engine_values([t]))
                except Exception as exc:
                    raw.append(CallError("#VALUE!", f"internal error ({type(exc).__name__})"))
        values = [v if isinstance(v, CallError) else _to_result(v) for v in raw]
        with _cache_lock:
            for t, v in zip(texts, values):
                _cache[t] = v
                while len(_cache) > CACHE_SIZE:
                    _cache.popitem(last=False)
        for t, v in zip(texts, values):
            for i in pending[t]:
                out[i] = _finish(shapes[i], v)
    return [o if o is not None else {"error": {"code": "#VALUE!", "message": "not evaluated"}} for o in out]


def _finish(udf: UDF, v: Any) -> dict:
    if isinstance(v, CallError):
        msg = v.message
        if not msg.startswith(udf.excel_name) and not msg.startswith("GF."):
            msg = f"{udf.excel_name}: {msg}"
        return {"error": {"code": v.code, "message": msg}}
    return {"value": _shape(udf, v)}


def call(name: str, *args: Any, source: ResultsSource | None = None, address: str | None = None,
         parameter_addresses: Sequence[Any] | None = None) -> Any:
    """One call, for Python callers: the value, or raise CallError."""
    res = evaluate([Call(name, list(args), address, parameter_addresses)], source)[0]
    if "error" in res:
        raise CallError(res["error"]["code"], res["error"]["message"])
    return res["value"]
