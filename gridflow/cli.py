"""The ``gridflow`` command line."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path



def _fmt(v) -> str:
    from engine.values import to_display   # imported lazily: `gridflow serve` should not load the engine
    v = to_display(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return str(v)


def _json_value(v):
    from engine.eval.vector import Vec
    from engine.values import Array, to_display
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


class ProgressBar:
    """A one-line progress bar with an ETA on stderr (only on a terminal, or
    every 10% otherwise so logs stay short)."""

    def __init__(self, label: str = "simulating"):
        self.label = label
        self.tty = sys.stderr.isatty()
        self.last_decile = -1

    def __call__(self, done: int, total: int, elapsed: float) -> None:
        frac = done / total if total else 1.0
        eta = elapsed / frac - elapsed if frac > 0 else 0.0
        rate = done / elapsed if elapsed > 0 else 0.0
        line = (f"{self.label} [{'#' * int(frac * 30):<30}] {done:,}/{total:,} {frac * 100:5.1f}% "
                f"{elapsed:6.1f}s elapsed, ETA {eta:5.1f}s, {rate:,.0f} it/s")
        if self.tty:
            print("\r" + line, end="" if done < total else "\n", file=sys.stderr, flush=True)
        else:
            decile = int(frac * 10)
            if decile != self.last_decile:
                self.last_decile = decile
                print(line, file=sys.stderr, flush=True)


def cmd_simulate(args) -> int:
    import engine
    from engine.montecarlo import SimulationError
    from engine.xlsx.model import WorkbookError
    try:
        model = engine.load(args.book)
    except (WorkbookError, FileNotFoundError) as exc:
        print(f"gridflow: {exc}", file=sys.stderr)
        return 2
    from engine.montecarlo import count_simulations
    sims = count_simulations(model)
    if sims > 1:
        return _simulate_table(model, sims, args)
    bar = None if args.quiet else ProgressBar()
    try:
        result = model.simulate(args.iterations, seed=args.seed, sampling=args.sampling, outputs=args.outputs,
                                chunk_size=args.chunk, progress=bar, converge=args.converge,
                                backend=args.backend, cluster=args.cluster)
    except SimulationError as exc:
        print(f"gridflow: {exc}", file=sys.stderr)
        return 2
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if result.interrupted:
        print(f"gridflow: interrupted: keeping the {result.iterations:,} iterations done", file=sys.stderr)
    if result.converged:
        print(f"converged after {result.iterations:,} iterations (tolerance {args.converge})", file=sys.stderr)
    if args.parquet:
        result.to_parquet(args.parquet)
    if args.out:
        from engine.report import write_report
        write_report(result, args.out, png=not args.no_png)
    if args.sip:
        from engine.montecarlo.sipmath import export_library
        export_library(result, args.sip, version=args.sip_version)
    if args.json:
        json.dump({"iterations": result.iterations, "seed": result.seed, "sampling": result.sampling,
                   "seconds": result.seconds, "backend": getattr(result, "backend", "interpreter"), "interrupted": result.interrupted,
                   "statistics": result.statistics(),
                   "sensitivity": {o.name: result.sensitivity(o.name) for o in result.outputs},
                   "statistic_cells": {k: _json_value(v) for k, v in result.statistic_cells.items()}},
                  sys.stdout, indent=1, default=float)
        print()
        return 0
    print(f"{result.path}: {result.iterations:,} iterations ({result.sampling}, seed {result.seed}) "
          f"in {result.seconds:.2f}s, {len(result.inputs)} random inputs, {len(result.outputs)} outputs, "
          f"backend {getattr(result, 'backend', 'interpreter')}")
    print(result.summary_table())
    for o in result.outputs[:6]:
        sens = result.sensitivity(o.name)[:5]
        if sens:
            print(f"\nsensitivity of {o.name} (rank correlation / regression / contribution to variance):")
            for r in sens:
                print(f"  {r['input'][:34]:34} {r['rank_correlation']:+.3f}  {r['regression']:+.3f}  "
                      f"{r['contribution'] * 100:5.1f}%")
    if result.statistic_cells:
        print("\nstatistics cells:")
        for k, v in result.statistic_cells.items():
            print(f"  {k} = {_fmt(v)}")
    if args.parquet:
        print(f"\nper-iteration values: {args.parquet}")
    if args.out:
        print(f"report: {args.out}")
    return 0 if not result.interrupted else 130


def _simulate_table(model, sims: int, args) -> int:
    """GF.SIMTABLE workbooks: one simulation per table value, same seed."""
    import os
    from engine.montecarlo import SimulationError
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    for k in range(sims):
        bar = None if args.quiet else ProgressBar(f"simulation {k + 1}/{sims}")
        try:
            result = model.simulate(args.iterations, seed=seed, sampling=args.sampling, outputs=args.outputs,
                                    chunk_size=args.chunk, progress=bar, simulation_index=k,
                                    backend=args.backend, cluster=args.cluster)
        except SimulationError as exc:
            print(f"gridflow: {exc}", file=sys.stderr)
            return 2
        print(f"\nsimulation {k + 1} of {sims}: {result.iterations:,} iterations (seed {seed})")
        print(result.summary_table())
        if args.out:
            from engine.report import write_report
            stem, dot, ext = args.out.rpartition(".")
            write_report(result, f"{stem}_sim{k + 1}.{ext}" if dot else f"{args.out}_sim{k + 1}",
                         png=not args.no_png)
        if args.parquet:
            stem, dot, ext = args.parquet.rpartition(".")
            result.to_parquet(f"{stem}_sim{k + 1}.{ext}" if dot else f"{args.parquet}_sim{k + 1}")
        if result.interrupted:
            return 130
    return 0


def cmd_static(args) -> int:
    from engine.static import write_static_copy
    from engine.xlsx.model import WorkbookError
    try:
        n = write_static_copy(args.book, args.out, percentile=args.percentile)
    except (WorkbookError, FileNotFoundError, ValueError) as exc:
        print(f"gridflow: {exc}", file=sys.stderr)
        return 2
    print(f"{args.out}: {n} random or GridFlow function calls replaced by their base values")
    return 0


def cmd_sip(args) -> int:
    from engine.montecarlo.results import describe
    from engine.montecarlo.sipmath import SIPmathError, load_library
    try:
        sips = load_library(args.library, trials=args.trials)
    except SIPmathError as exc:
        print(f"gridflow: {exc}", file=sys.stderr)
        return 2
    for name, x in sips.items():
        d = describe(x)
        if d.get("count"):
            p = d["percentiles"]
            print(f"{name[:30]:30} n={d['count']:<8} mean={d['mean']:.6g} sd={d['sd']:.6g} "
                  f"P5={p['P5']:.6g} P50={p['P50']:.6g} P95={p['P95']:.6g}")
    return 0


def cmd_serve(args) -> int:
    from server import Settings, run
    kw = {}
    if args.data:
        kw["data_dir"] = args.data
    if args.token:
        kw["token"] = args.token
    if args.max_jobs:
        kw["max_jobs"] = args.max_jobs
    if args.max_upload_mb:
        kw["max_upload_bytes"] = args.max_upload_mb * 1024 * 1024
    if args.addin_origin:
        kw["addin_origins"] = tuple(args.addin_origin)
    settings = Settings(**kw)
    if args.host not in ("127.0.0.1", "localhost", "::1") and not settings.token:
        print(f"gridflow: warning: serving on {args.host} without --token: anyone who can reach this port "
              f"can upload workbooks and run jobs", file=sys.stderr)
    ssl = {}
    scheme = "http"
    if args.https or args.cert or args.key:
        if bool(args.cert) != bool(args.key):
            print("gridflow: --cert and --key go together", file=sys.stderr)
            return 2
        if args.cert:
            ssl = {"ssl_certfile": args.cert, "ssl_keyfile": args.key}
        else:
            from server.certs import ensure_certificates
            paths, done = ensure_certificates(args.certs_dir)
            for line in done:
                if not line.startswith("the localhost certificate is valid"):
                    print(f"gridflow: {line}", file=sys.stderr)
            ssl = {"ssl_certfile": str(paths.cert), "ssl_keyfile": str(paths.key)}
        for f in ssl.values():
            if not Path(f).is_file():
                print(f"gridflow: no such file: {f}", file=sys.stderr)
                return 2
        scheme = "https"
    host_shown = "localhost" if scheme == "https" and args.host in ("127.0.0.1", "::1") else args.host
    print(f"GridFlow server on {scheme}://{host_shown}:{args.port}/ (data in {settings.data_dir}, "
          f"{settings.max_jobs} job(s) at once; API docs at /docs)", file=sys.stderr, flush=True)
    run(settings, host=args.host, port=args.port, log_level=args.log_level, **ssl)
    return 0


def cmd_certs(args) -> int:
    from server.certs import ensure_certificates, trust_instructions
    try:
        paths, done = ensure_certificates(args.dir, renew=args.renew)
    except (ValueError, OSError) as exc:
        print(f"gridflow: {exc}", file=sys.stderr)
        return 2
    for line in done:
        print(line)
    print()
    print(trust_instructions(paths))
    return 0


def cmd_templates(args) -> int:
    from workbooks.build import build_all
    for path in build_all(args.dir):
        print(path)
    return 0


def cmd_waterfall(args) -> int:
    from engine.finance.cli import main as finance_main
    return finance_main(args)


def cmd_addin(args) -> int:
    from udfs.generate import main as generate_main
    argv = ["--base-url", args.base_url] + (["--check"] if args.action == "check" else [])
    return generate_main(argv)


def cmd_solve(args) -> int:
    from engine.optimize.cli import run_solve
    return run_solve(args)


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

    m = sub.add_parser("simulate", help="Monte Carlo simulation of a workbook")
    m.add_argument("book")
    m.add_argument("-n", "--iterations", type=int, default=10_000)
    m.add_argument("--seed", type=int, default=None, help="makes the run exactly reproducible")
    m.add_argument("--sampling", choices=["mc", "lhs", "sobol", "hdr"], default="lhs")
    m.add_argument("--outputs", nargs="+", metavar="RANGE", help="output cells besides GF.OUTPUT/RiskOutput ones")
    m.add_argument("--out", metavar="REPORT.xlsx", help="write a report workbook with charts (and PNG)")
    m.add_argument("--parquet", metavar="FILE", help="per-iteration values of inputs and outputs")
    m.add_argument("--sip", metavar="LIB.json", help="export a SIPmath library of the inputs and outputs")
    m.add_argument("--sip-version", choices=["2.0", "3.0"], default="3.0",
                   help="2.0 stores the trials, 3.0 Metalog coefficients + HDR seeds (default)")
    m.add_argument("--chunk", type=int, default=None, help="iterations evaluated at once")
    m.add_argument("--converge", type=float, default=None, metavar="TOL",
                   help="stop once every output mean is within TOL (relative, 95%% confidence); -n is the maximum")
    m.add_argument("--backend", choices=["auto", "numpy", "numba", "cupy", "interpreter"], default="auto",
                   help="compiled backend (auto: GPU if present, else Numba/NumPy; interpreter: no compilation)")
    m.add_argument("--cluster", metavar="ADDR", default=None,
                   help="Dask scheduler (tcp://host:8786) that runs the chunks")
    m.add_argument("--json", action="store_true")
    m.add_argument("--no-png", action="store_true", help="skip the PNG charts next to the report")
    m.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    m.set_defaults(func=cmd_simulate)

    st = sub.add_parser("static", help="copy with random/GridFlow functions replaced by base values")
    st.add_argument("book")
    st.add_argument("--out", required=True)
    st.add_argument("--percentile", type=float, default=None,
                    help="use this percentile of each input instead of its mean (0-1)")
    st.set_defaults(func=cmd_static)

    sp = sub.add_parser("sip", help="regenerate and summarise the SIPs of a SIPmath 2.0/3.0 JSON library")
    sp.add_argument("library")
    sp.add_argument("-n", "--trials", type=int, default=None)
    sp.set_defaults(func=cmd_sip)

    sv = sub.add_parser("serve", help="run the local server (web page, HTTP API, jobs)")
    sv.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument("--data", metavar="DIR", default=None,
                    help="data folder for jobs and results (default: $GRIDFLOW_DATA or ~/.local/share/gridflow)")
    sv.add_argument("--token", default=None, help="require 'Authorization: Bearer TOKEN' (or $GRIDFLOW_TOKEN)")
    sv.add_argument("--max-jobs", type=int, default=None, help="simulations running at once (the rest queue)")
    sv.add_argument("--max-upload-mb", type=int, default=None, help="upload size limit in MB (default 50)")
    sv.add_argument("--addin-origin", action="append", metavar="ORIGIN",
                    help="origin allowed by CORS (the Office add-in's; repeatable; default https://localhost:3000)")
    sv.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    sv.add_argument("--https", action="store_true",
                    help="serve HTTPS with the localhost certificate of 'gridflow certs' (made when missing)")
    sv.add_argument("--certs-dir", default=None, help="folder of the local CA and certificate "
                                                      "(default: DATA/certs of $GRIDFLOW_DATA or ~/.local/share/gridflow)")
    sv.add_argument("--cert", default=None, help="your own certificate (PEM) instead; with --key")
    sv.add_argument("--key", default=None, help="the private key (PEM) of --cert")
    sv.set_defaults(func=cmd_serve)

    ce = sub.add_parser("certs", help="make a local CA and a localhost HTTPS certificate for the Excel add-in")
    ce.add_argument("--dir", default=None, help="where to keep them (default: ~/.local/share/gridflow/certs)")
    ce.add_argument("--renew", action="store_true", help="re-issue the localhost certificate now (the CA is kept)")
    ce.set_defaults(func=cmd_certs)

    t = sub.add_parser("templates", help="(re)build the template workbooks")
    t.add_argument("--dir", default=None, help="output folder (default: workbooks/)")
    t.set_defaults(func=cmd_templates)

    wf = sub.add_parser("waterfall", help="equity/film waterfalls, film incentives and capital stacks (JSON specs)")
    wf.add_argument("kind", choices=["re", "film", "incentives", "stacks", "policies"])
    wf.add_argument("spec", nargs="?", help="JSON spec file or literal (engine/finance/jobs.py); default: a reference example")
    wf.add_argument("-n", "--iterations", type=int, default=None, help="Monte Carlo scenarios")
    wf.add_argument("--seed", type=int, default=None)
    wf.add_argument("--as-of", default=None, help="date of the incentive records to use (YYYY-MM-DD)")
    wf.add_argument("--budget", type=float, default=None, help="stacks: the production budget")
    wf.add_argument("--frontier", metavar="X,Y", default=None, help="stacks: Pareto frontier of two criteria")
    wf.add_argument("--optimize", metavar="PERSPECTIVE", default=None, help="stacks: search the best allocation")
    wf.add_argument("--json", action="store_true")
    wf.set_defaults(func=cmd_waterfall)

    so = sub.add_parser("solve", help="solve the workbook's Excel Solver model (or a real-estate module)")
    so.add_argument("book", nargs="?", help="workbook (.xlsx/.xlsm) holding a Solver model or GF.DECISION cells")
    so.add_argument("--sheet", default=None, help="the sheet whose model to solve (default: the first with one)")
    so.add_argument("--all", action="store_true", help="solve every sheet's model")
    so.add_argument("--out", metavar="SOLVED.xlsx", help="copy with the solution and Answer/Sensitivity reports")
    so.add_argument("--engine", choices=["highs", "ortools", "scipy"], default="highs", help="LP/MILP solver")
    so.add_argument("--method", choices=["simplex", "grg", "evolutionary"], default=None,
                    help="force a solving method (default: the model's; linear models go to the LP solver)")
    so.add_argument("--model", metavar="MODEL.json", default=None, help="declare the model in JSON")
    so.add_argument("--module", default=None,
                    help="run a module instead: deal_picker, debt_stack, capex_phasing or leasing_mix")
    so.add_argument("--input", metavar="FILE", help="module data: JSON (or a CSV of deals for deal_picker)")
    so.add_argument("--what-if", nargs="+", metavar="FIELD=VALUE", help="re-solve with these inputs and diff")
    so.add_argument("--json", action="store_true")
    so.set_defaults(func=cmd_solve)

    f = sub.add_parser("functions", help="the function coverage report")
    f.add_argument("--json", action="store_true")
    f.set_defaults(func=cmd_functions)

    a = sub.add_parser("addin", help="generate the Excel add-in files from the function registry")
    a.add_argument("action", choices=["build", "check"], help="build: write addin/ and udfs/xlwings_udfs.py; "
                                                              "check: fail when they are stale")
    a.add_argument("--base-url", default="https://localhost:8000", help="HTTPS address serving the add-in")
    a.set_defaults(func=cmd_addin)
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
