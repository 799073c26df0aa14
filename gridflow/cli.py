"""The ``gridflow`` command line."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.values import Array, XLError, to_display


def _fmt(v) -> str:
    v = to_display(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return str(v)


def _json_value(v):
    from engine.eval.vector import Vec
    if isinstance(v, Vec):
        return [to_display(v.item(i)) for i in range(v.n)]
    if isinstance(v, Array):
        return [[to_display(x) for x in row] for row in v.data]
    return to_display(v)


def cmd_calc(args) -> int:
    import engine
    from engine.check import workbook_paths
    from engine.xlsx.model import WorkbookError
    paths = workbook_paths(args.book)
    if not paths:
        print(f"gridflow: no .xlsx/.xlsm files under {args.book}", file=sys.stderr)
        return 2
    out: dict = {}
    status = 0
    for p in paths:
        try:
            model = engine.load(p)
        except (WorkbookError, FileNotFoundError) as exc:
            print(f"gridflow: {p}: {exc}", file=sys.stderr)
            status = 1
            continue
        model.calculate()
        prefix = f"{p}:" if len(paths) > 1 else ""
        if args.cells:
            items = []
            for rng in args.cells:
                s, r1, c1, r2, c2 = model.parse_address(rng)
                for r in range(r1, r2 + 1):
                    for c in range(c1, c2 + 1):
                        items.append((model.address((s, r, c)), model.cell_value(s, r, c)))
        else:
            items = list(model.cells())
        for addr, v in items:
            out[prefix + addr] = v
        for addr, text, msg in model.parse_errors:
            print(f"gridflow: {p}: {addr}: cannot parse ={text}: {msg}", file=sys.stderr)
    if args.json:
        json.dump({k: _json_value(v) for k, v in out.items()}, sys.stdout, indent=None)
        print()
    else:
        for k, v in out.items():
            print(f"{k}\t{_fmt(v)}")
    return status


def cmd_check(args) -> int:
    from engine.check import check_path, workbook_paths
    paths = workbook_paths(args.book)
    if not paths:
        print(f"gridflow: no .xlsx/.xlsm files under {args.book}", file=sys.stderr)
        return 2
    results = []
    for i, p in enumerate(paths):
        if not args.json and len(paths) > 1 and sys.stderr.isatty():
            print(f"\r[{i + 1}/{len(paths)}] {p.name[:60]:60}", end="", file=sys.stderr, flush=True)
        results.append(check_path(p))
    if not args.json and len(paths) > 1 and sys.stderr.isatty():
        print("\r" + " " * 75 + "\r", end="", file=sys.stderr)
    tot = {k: sum(getattr(r, k) for r in results) for k in ("matched", "mismatched", "unsupported",
                                                            "volatile", "no_cached")}
    unsupported: dict[str, int] = {}
    for r in results:
        for n, c in r.unsupported_functions.items():
            unsupported[n] = unsupported.get(n, 0) + c
    exceptions = [f"{r.path}: {e}" for r in results for e in r.exceptions]
    errors = [f"{r.path}: {r.error}" for r in results if r.error]
    comparable = tot["matched"] + tot["mismatched"] + tot["unsupported"]
    supported = tot["matched"] + tot["mismatched"]
    if args.json:
        json.dump({"summary": {**tot, "workbooks": len(results), "exceptions": len(exceptions),
                               "unreadable": len(errors),
                               "match_rate": tot["matched"] / comparable if comparable else 1.0,
                               "match_rate_supported": tot["matched"] / supported if supported else 1.0},
                   "unsupported_functions": unsupported,
                   "workbooks": [r.as_dict() for r in results]}, sys.stdout, indent=1)
        print()
    else:
        if args.table:
            print(f"{'workbook':70} {'match':>6} {'mism':>5} {'unsup':>5} {'vol':>4}")
            for r in results:
                name = str(r.path)[-70:]
                print(f"{name:70} {r.matched:6} {r.mismatched:5} {r.unsupported:5} {r.volatile:4}"
                      + (f"  ERROR {r.error}" if r.error else ""))
        for r in results:
            for m in r.mismatches[: args.max_mismatches]:
                where = f"{r.path}: " if len(results) > 1 else ""
                extra = f"  ({m.message})" if m.message else ""
                print(f"MISMATCH {where}{m.cell} {m.formula} expected {_fmt(m.expected)!s} got {_fmt(m.got)!s}{extra}")
        for e in errors:
            print(f"UNREADABLE {e}")
        for e in exceptions:
            print(f"EXCEPTION {e}")
        if unsupported:
            print("UNSUPPORTED " + ", ".join(f"{n} ({c})" for n, c in sorted(unsupported.items(),
                                                                                key=lambda x: -x[1])))
        rate = 100.0 * tot["matched"] / comparable if comparable else 100.0
        srate = 100.0 * tot["matched"] / supported if supported else 100.0
        print(f"{tot['matched']} matched, {tot['mismatched']} mismatched, {tot['unsupported']} unsupported"
              f"  ({rate:.2f}% of {comparable} comparable cells; {srate:.2f}% of cells using implemented"
              f" functions; {tot['volatile']} volatile and {tot['no_cached']} uncached cells skipped;"
              f" {len(results)} workbooks, {len(exceptions)} exceptions)")
    return 0 if not errors and not exceptions else 1


def cmd_functions(args) -> int:
    from engine.functions.catalog import coverage_report
    report = coverage_report()
    if args.json:
        json.dump(report, sys.stdout, indent=1)
        print()
        return 0
    for row in report["functions"]:
        print(f"{row['name']:24} {row['category']:14} {row['status']}")
    s = report["summary"]
    print(f"{s['implemented']} implemented ({s['vectorized']} vectorized over scenarios), "
          f"{s['missing']} of Excel's catalogue not implemented")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gridflow", description="Spreadsheet-native finance engine.")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("calc", help="recalculate every formula from the constants and print the values")
    c.add_argument("book", help="workbook (.xlsx/.xlsm) or a folder of them")
    c.add_argument("--json", action="store_true", help='print {"Sheet!A1": value, ...}')
    c.add_argument("--cells", nargs="+", metavar="RANGE", help="only these cells (Sheet1!A1:B5)")
    c.set_defaults(func=cmd_calc)

    k = sub.add_parser("check", help="recalculate and compare with the values Excel cached")
    k.add_argument("book", help="workbook or folder (searched recursively)")
    k.add_argument("--json", action="store_true")
    k.add_argument("--table", action="store_true", help="print the per-workbook table")
    k.add_argument("--max-mismatches", type=int, default=50, help="mismatches listed per workbook")
    k.set_defaults(func=cmd_check)

    f = sub.add_parser("functions", help="the function coverage report")
    f.add_argument("--json", action="store_true")
    f.set_defaults(func=cmd_functions)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("\ngridflow: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
