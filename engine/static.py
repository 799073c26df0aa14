"""``gridflow static``: a copy of a workbook that opens anywhere.

Every random-input call (GF.*, Risk*, Psi*, Vose*) is replaced by its base
value (its mean, static value or a chosen percentile), output markers by
their value expression, and post-run statistics by their last value, so
people without GridFlow see numbers instead of #NAME?.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from .eval.context import EvalContext
from .montecarlo import functions as F
from .parser import ast as A
from .parser.printer import to_text
from .values import XLError


def _replacement(node: A.Call, model, key, percentile: float | None) -> A.Node | None:
    ctx = EvalContext(model, *key)
    dist = F.distribution_of(node.name)
    if dist is not None:
        params, props = F.split_args(node)
        try:
            p = F.eval_props(props, ctx)
            vals = F.eval_params(dist, params, ctx)
            if percentile is not None and not p.lock:
                v = float(F.sample(dist, vals, p, np.array([percentile]))[0])
            else:
                v = F.base_value(dist, vals, p)
        except XLError as e:
            return A.ErrorLit(e.code)
        return A.Number(v)
    canon = F.canonical(node.name)
    if canon == "GF.OUTPUT":
        return node.args[0] if node.args else A.Number(0.0)
    if F.is_output(node.name):
        return A.Number(0.0)
    if F.statistic_of(node.name) or canon in ("GF.SIMTABLE", "RISKSIMTABLE", "PSISIMTABLE", "GF.HDR"):
        v = ctx.scalar(node)
        if isinstance(v, float):
            return A.Number(v)
        if isinstance(v, XLError):
            return A.ErrorLit(v.code)
        return A.Text(str(v))
    return None


def static_formulas(model, percentile: float | None = None) -> dict[tuple[int, int, int], str]:
    """New formula text for every cell that uses a GridFlow function."""
    model.calculate()
    out = {}
    for key, f in model.formulas.items():
        changed = False

        def swap(n: A.Node) -> A.Node:
            nonlocal changed
            if isinstance(n, A.Call):
                r = _replacement(n, model, key, percentile)
                if r is not None:
                    changed = True
                    return r
            return n
        new = A.transform(f.node, swap)
        if changed:
            out[key] = to_text(new)
    return out


def write_static_copy(src: str | Path, dst: str | Path, percentile: float | None = None) -> int:
    """Write ``dst``; returns the number of formulas rewritten."""
    import openpyxl

    import engine
    if percentile is not None and not 0 < percentile < 1:
        raise ValueError("--percentile must be between 0 and 1")
    model = engine.load(src)
    changes = static_formulas(model, percentile)
    keep_vba = str(src).lower().endswith(".xlsm")
    wb = openpyxl.load_workbook(src, keep_vba=keep_vba)
    for (s, r, c), text in changes.items():
        wb.worksheets[s].cell(r, c).value = "=" + text
    tmp = Path(str(dst) + ".tmp")
    wb.save(tmp)
    shutil.move(tmp, dst)   # never leave a half-written copy behind
    return len(changes)
