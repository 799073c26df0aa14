"""The four real-estate optimization modules (finance_modules.md §1).

Each has typed inputs, a solver function returning a :class:`ModuleResult`
(plan, binding constraints, shadow prices, metrics), an ``example_input()``
(the data of its template workbook) and what-if re-solves via
:func:`what_if`.  :func:`run_module` is the JSON-in / JSON-out entry point
for the server and the add-in."""
from __future__ import annotations

import dataclasses
import typing
from typing import Any

from .capex import CapexInput, Project, plan_capex
from .common import Builder, ModuleResult, WhatIf, diff, what_if
from .deal_picker import Deal, DealPickerInput, load_deals_csv, pick_deals
from .debt_stack import (DebtStackInput, RateScenario, Tranche, amortization_schedule, debt_constant,
                         mix_debt, sizing_loan)
from .leasing import ExistingLease, LeasingInput, Package, Unit, optimize_leasing, wault_sensitivity
from . import capex, deal_picker, debt_stack, leasing

MODULES = {
    "deal_picker": (DealPickerInput, pick_deals, deal_picker.example_input),
    "debt_stack": (DebtStackInput, mix_debt, debt_stack.example_input),
    "capex_phasing": (CapexInput, plan_capex, capex.example_input),
    "leasing_mix": (LeasingInput, optimize_leasing, leasing.example_input),
}
ALIASES = {"deal-picker": "deal_picker", "deals": "deal_picker", "debt-stack": "debt_stack", "debt": "debt_stack",
           "capex": "capex_phasing", "capex-phasing": "capex_phasing", "leasing": "leasing_mix",
           "leasing-mix": "leasing_mix"}


def _build(tp: Any, value: Any) -> Any:
    """A dataclass (or list/dict of them) from JSON-like data."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp) and isinstance(value, dict):
        hints = typing.get_type_hints(tp)
        kw = {}
        names = {f.name for f in dataclasses.fields(tp)}
        for k, v in value.items():
            if k not in names:
                raise ValueError(f"{tp.__name__} has no field {k!r}")
            kw[k] = _build(hints[k], v)
        return tp(**kw)
    if origin in (list, tuple) and args:
        return [_build(args[0], v) for v in value]
    if origin is typing.Union or str(origin) == "types.UnionType":
        for a in args:
            if a is type(None) and value is None:
                return None
        for a in args:
            if a is not type(None):
                try:
                    return _build(a, value)
                except (TypeError, ValueError):
                    continue
        return value
    return value


def module_input(name: str, data: dict | None = None, **overrides) -> Any:
    key = ALIASES.get(name, name)
    if key not in MODULES:
        raise ValueError(f"unknown module {name!r} (one of {', '.join(MODULES)})")
    tp, _fn, example = MODULES[key]
    inp = example() if data is None else _build(tp, data)
    if overrides:
        inp = dataclasses.replace(inp, **overrides)
    return inp


def run_module(name: str, data: dict | None = None, what_if_changes: dict | None = None, **solve_kw) -> dict:
    """Solve a module from JSON-like data (the example data when ``data`` is
    None); with ``what_if_changes``, also re-solve with those fields changed
    and return the diff.  The result is JSON-ready."""
    key = ALIASES.get(name, name)
    inp = module_input(key, data)
    fn = MODULES[key][1]
    res = fn(inp, **solve_kw)
    out = {"module": key, "result": res.to_dict()}
    if what_if_changes:
        out["what_if"] = diff(res, fn(dataclasses.replace(inp, **what_if_changes), **solve_kw),
                              what_if_changes).to_dict()
    return out


__all__ = ["Builder", "ModuleResult", "WhatIf", "what_if", "diff", "run_module", "module_input", "MODULES",
           "Deal", "DealPickerInput", "pick_deals", "load_deals_csv",
           "Tranche", "RateScenario", "DebtStackInput", "mix_debt", "debt_constant", "amortization_schedule",
           "sizing_loan", "Project", "CapexInput", "plan_capex",
           "Unit", "Package", "ExistingLease", "LeasingInput", "optimize_leasing", "wault_sensitivity"]
