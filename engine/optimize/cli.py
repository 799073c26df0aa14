"""``gridflow solve``: a workbook's Solver model, or one of the modules.

    gridflow solve BOOK.xlsx [--sheet NAME] [--out solved.xlsx] [--engine highs|ortools|scipy]
                   [--method simplex|grg|evolutionary] [--model MODEL.json] [--json]
    gridflow solve --module deal_picker [--input deals.csv|data.json] [--what-if budget=90e6] [--json]
"""
from __future__ import annotations

import json
import sys

from ..xlsx.model import WorkbookError
from . import ModelError, solve
from .spec import sheets_with_models


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if abs(v) >= 1e30:
            return "1E+30" if v > 0 else "-1E+30"
        if v == 0:
            v = 0.0        # no "-0" for a solver's negative zero
        return f"{v:,.6g}" if abs(v) < 1e6 else f"{v:,.2f}"
    return str(v)


def _parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _print_result(res) -> None:
    print(f"{res.workbook} [{res.sheet}]: {res.message} (code {res.code}; {res.engine}"
          f"{', ' + res.backend if res.backend else ''}; {res.seconds:.2f} s)")
    for n in res.notes:
        print(f"  note: {n}")
    if res.nonlinear_items:
        print("  not linear: " + ", ".join(res.nonlinear_items))
        for c in res.nonlinear_cells[:20]:
            print(f"    {c}")
    if res.conflicts:
        print("  constraints in conflict:")
        for c in res.conflicts:
            print(f"    {c}")
    if res.objective_cell:
        print(f"  objective {res.objective_cell} ({res.sense}): {_fmt(res.objective_original)} -> {_fmt(res.objective)}")
    if res.x is not None:
        for v in res.variables[:200]:
            print(f"  {v['cell']:>10} {v['name'][:40]:40} {_fmt(v['final'])}")
        if len(res.variables) > 200:
            print(f"  ... {len(res.variables) - 200} more variables")
        bind = res.binding()
        print(f"  binding: {', '.join(bind[:30])}{' ...' if len(bind) > 30 else ''}")
    sens = res.sensitivity
    if sens and sens["kind"] == "lp":
        if sens.get("note"):
            print(f"  {sens['note']}")
        print("  constraint        final   shadow price        rhs   allow. increase  allow. decrease")
        for c in sens["constraints"][:60]:
            print(f"  {c['cell']:>10} {_fmt(c['final']):>12} {_fmt(c['shadow_price']):>14} {_fmt(c['rhs']):>10} "
                  f"{_fmt(c['allowable_increase']):>16} {_fmt(c['allowable_decrease']):>16}")


def _run_module(args) -> int:
    from . import modules as M
    name = M.ALIASES.get(args.module, args.module)
    if name not in M.MODULES:
        print(f"gridflow: unknown module {args.module!r} (one of {', '.join(M.MODULES)})", file=sys.stderr)
        return 2
    data = None
    overrides = {}
    if args.input:
        if args.input.lower().endswith(".csv"):
            if name != "deal_picker":
                print("gridflow: CSV input is for the deal picker's deals; use JSON for the others", file=sys.stderr)
                return 2
            overrides["deals"] = M.load_deals_csv(args.input)
        else:
            with open(args.input, encoding="utf-8") as fh:
                data = json.load(fh)
    changes = {}
    for item in args.what_if or []:
        key, _, val = item.partition("=")
        if not _:
            print(f"gridflow: --what-if {item!r}: use FIELD=VALUE", file=sys.stderr)
            return 2
        changes[key.strip()] = _parse_value(val)
    inp = M.module_input(name, data, **overrides)
    fn = M.MODULES[name][1]
    res = fn(inp, backend=args.engine)
    out = {"module": name, "result": res.to_dict()}
    if changes:
        import dataclasses
        out["what_if"] = M.diff(res, fn(dataclasses.replace(inp, **changes), backend=args.engine),
                                changes).to_dict()
    if args.json:
        json.dump(out, sys.stdout, indent=1)
        print()
    else:
        r = out["result"]
        print(f"{name}: {r['message']} objective {_fmt(r['objective'])}")
        for p in r["plan"]:
            print("  " + ", ".join(f"{k}={_fmt(v)}" for k, v in p.items()))
        print("  binding: " + ", ".join(r["binding"]))
        shadow = {k: v for k, v in r["shadow_prices"].items() if abs(v) > 1e-12}
        if shadow:
            print(f"  shadow prices ({r['dual_basis']}):")
            for k, v in shadow.items():
                print(f"    {k}: {_fmt(v)}")
        for k, v in r["metrics"].items():
            print(f"  {k}: {_fmt(v)}")
        if "what_if" in out:
            w = out["what_if"]
            print(f"  what-if {w['changes']}: objective {_fmt(w['objective_base'])} -> {_fmt(w['objective_new'])} "
                  f"(delta {_fmt(w['objective_delta'])})")
            for k, (a, b) in w["decision_changes"].items():
                print(f"    {k}: {_fmt(a)} -> {_fmt(b)}")
            if w["binding_added"]:
                print("    now binding: " + ", ".join(w["binding_added"]))
            if w["binding_removed"]:
                print("    no longer binding: " + ", ".join(w["binding_removed"]))
    return 0 if res.ok else 1


def run_solve(args) -> int:
    if args.module:
        return _run_module(args)
    if not args.book:
        print("gridflow: solve needs a workbook (or --module NAME)", file=sys.stderr)
        return 2
    import engine
    try:
        model = engine.load(args.book)
    except (WorkbookError, FileNotFoundError) as exc:
        print(f"gridflow: {args.book}: {exc}", file=sys.stderr)
        return 2
    sheets = [args.sheet]
    if args.all:
        sheets = [model.sheet_names[i] for i in sheets_with_models(model)] or [None]
    results = []
    status = 0
    out_path = args.out
    for k, sheet in enumerate(sheets):
        try:
            res = solve(model, sheet, spec=args.model, engine=args.method, backend=args.engine)
        except (ModelError, KeyError, ValueError) as exc:
            print(f"gridflow: {args.book}: {exc}", file=sys.stderr)
            return 2
        results.append(res)
        if not res.ok:
            status = 1
    if out_path:
        src = args.book
        for k, res in enumerate(results):
            res.write(src, out_path)
            src = out_path          # several sheets: the reports accumulate in one copy
    if args.json:
        payload = [r.to_dict() for r in results]
        json.dump(payload[0] if len(payload) == 1 else payload, sys.stdout, indent=1)
        print()
    else:
        for r in results:
            _print_result(r)
        if out_path:
            print(f"wrote {out_path}")
    return status
