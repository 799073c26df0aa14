"""Monte Carlo throughput of GridFlow's backends against peers and hand-written code.

Generates portfolio DCF workbooks (benchmarks/portfolio.py: ~43 formulas per
property, every growth and exit-cap rate a GF.NORMAL input) of about 1,000,
10,000 and 100,000 formulas and reports, each measurement in its own
process (so peak memory is its own):

* GridFlow per backend: iterations/s and cell evaluations/s (formula cells x
  iterations / seconds) of ``simulate()`` (sampling included), and of the
  compiled kernel alone on the same draws;
* the hand-written NumPy and Numba versions of the model
  (benchmarks/handwritten_*.py) on the same number of iterations;
* pycel and ``formulas``: load time, first evaluation, and the cost of one
  scenario (inputs set, output recomputed), measured on a few scenarios and
  extrapolated;
* load + compile time, peak memory;
* optionally 10,000,000 iterations of the 10,000-formula model keeping only
  the outputs (--big) and a 1,000,000-formula load + one recalculation
  (--million).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/bench_montecarlo.py                 # ~15-30 min on 2 cores
    .venv/bin/python benchmarks/bench_montecarlo.py --sizes 1000 10000 --no-peers
    .venv/bin/python benchmarks/bench_montecarlo.py --big 10000000 --million 1000000

Plain script, not a test: timings on shared machines are noisy.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _emit(d: dict) -> None:
    d["peak_mb"] = _peak_mb()
    print("RESULT " + json.dumps(d), flush=True)


# --- measurements (each runs in a child process) ---------------------------------------------

def task_gridflow(path: str, backend: str, n: int, seed: int, sampling: str) -> None:
    import numpy as np
    import engine
    from engine.compile import compile_plan, make_backend
    from engine.compile.runner import InputDraws
    from engine.montecarlo.sampling import UniformSource, stable_id
    from engine.montecarlo.simulate import plan_simulation
    t = time.perf_counter()
    model = engine.load(path)
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    model.calculate()
    plan = plan_simulation(model)
    t_calc = time.perf_counter() - t
    out = {"task": "gridflow", "backend": backend, "formulas": len(model.formulas), "inputs": len(plan.inputs),
           "load": t_load, "calc": t_calc}
    if backend != "interpreter":
        t = time.perf_counter()
        prog = compile_plan(model, plan)
        out["compile"] = time.perf_counter() - t
        out["program"] = prog.describe()
        t = time.perf_counter()
        be = make_backend(backend, prog)
        be.run(np.full((prog.n_inputs, 8), 0.05))       # kernel: JIT or load from the disk cache
        out["kernel_load"] = time.perf_counter() - t
    t = time.perf_counter()
    r = model.simulate(n, seed=seed, backend=backend, sampling=sampling, keep_inputs=False)
    out["simulate_wall"] = time.perf_counter() - t
    out["simulate_loop"] = r.seconds
    out["n"] = r.iterations
    out["ran_on"] = r.backend
    out["mean"] = r.statistics()["Portfolio NPV"]["mean"]
    if backend != "interpreter":
        ids = [stable_id(f"{inp.address}|{inp.name}|{inp.index if inp.name == inp.address else ''}")
               for inp in plan.inputs]
        m = min(n, 65536)
        src = UniformSource(sampling, seed, n, ids, [i.seed for i in plan.inputs], 1)
        t = time.perf_counter()
        X = InputDraws(src, prog.inputs)(0, m)
        out["draws_per_iteration"] = (time.perf_counter() - t) / m
        best = 1e99
        for _ in range(2):
            t = time.perf_counter()
            Y = be.run(X)
            best = min(best, time.perf_counter() - t)
        out["kernel_per_iteration"] = best / m
        # the hand-written model on the same draws gives the same numbers
        from benchmarks.handwritten_numpy import portfolio_npv, portfolio_params
        from benchmarks.portfolio import formulas_per_property
        props = len(plan.inputs) // 2
        p = portfolio_params(props * formulas_per_property())
        rows = {inp.address: i for i, inp in enumerate(plan.inputs)}
        g = np.stack([X[rows[f"Portfolio!D{r}"]] for r in range(2, props + 2)])
        c = np.stack([X[rows[f"Portfolio!E{r}"]] for r in range(2, props + 2)])
        ref = portfolio_npv(p, g, c)
        out["max_rel_diff_vs_handwritten"] = float(np.max(np.abs(Y[0] - ref) / np.abs(ref)))
    _emit(out)


def task_hand(size: int, n: int, seed: int) -> None:
    import numpy as np
    from benchmarks import handwritten_numba as HB
    from benchmarks import handwritten_numpy as HN
    p = HN.portfolio_params(size)
    props = p["price"].shape[0]
    rng = np.random.default_rng(seed)
    t = time.perf_counter()
    growth = rng.normal(0.03, 0.01, (props, n))
    cap = rng.normal(0.065, 0.005, (props, n))
    t_draw = time.perf_counter() - t
    t = time.perf_counter()
    a = HN.portfolio_npv(p, growth, cap)
    t_np = time.perf_counter() - t
    HB.portfolio_npv(p, growth[:, :64], cap[:, :64])          # JIT / cache load
    best = 1e99
    for _ in range(2):
        t = time.perf_counter()
        b = HB.portfolio_npv(p, growth, cap)
        best = min(best, time.perf_counter() - t)
    HB.simulate(size, 64, seed)
    t = time.perf_counter()
    HB.simulate(size, n, seed)
    t_nb_e2e = time.perf_counter() - t
    _emit({"task": "hand", "formulas": props * 43 + 1, "n": n, "numpy_draws": t_draw, "numpy_eval": t_np,
           "numba_eval": best, "numba_end_to_end": t_nb_e2e,
           "agree": float(np.max(np.abs(a - b) / np.abs(a)))})


def _static_inputs(path: str) -> tuple[list[str], str]:
    from openpyxl import load_workbook
    ws = load_workbook(path, read_only=True)["Portfolio"]
    rows = [r for r in ws.iter_rows(min_col=1, max_col=2, values_only=True)]
    props = sum(1 for r in rows[1:] if r[0] and str(r[0]).startswith("P"))
    total_row = next(i + 1 for i, r in enumerate(rows) if r[0] == "Total NPV")
    inputs = [f"D{r}" for r in range(2, props + 2)] + [f"E{r}" for r in range(2, props + 2)]
    return inputs, f"B{total_row}"


def task_pycel(path: str, reps: int) -> None:
    import numpy as np
    from pycel import ExcelCompiler
    inputs, out_cell = _static_inputs(path)
    t = time.perf_counter()
    xl = ExcelCompiler(filename=path)
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    xl.evaluate(f"Portfolio!{out_cell}")
    t_first = time.perf_counter() - t
    rng = np.random.default_rng(0)
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        for a in inputs:
            xl.set_value(f"Portfolio!{a}", float(rng.normal(0.03 if a[0] == "D" else 0.065, 0.005)))
        xl.evaluate(f"Portfolio!{out_cell}")
        times.append(time.perf_counter() - t)
    _emit({"task": "pycel", "load": t_load, "first": t_first, "per_scenario": float(np.mean(times)),
           "reps": reps})


def task_formulas(path: str, reps: int) -> None:
    import numpy as np
    import formulas
    inputs, out_cell = _static_inputs(path)
    t = time.perf_counter()
    xl = formulas.ExcelModel().loads(path).finish()
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    sol = xl.calculate()
    t_first = time.perf_counter() - t
    key = next(k for k in sol if k.upper().endswith(f"PORTFOLIO'!{out_cell}"))
    prefix = key[: key.rindex("!") + 1]
    rng = np.random.default_rng(0)
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        vals = {prefix + a: float(rng.normal(0.03 if a[0] == "D" else 0.065, 0.005)) for a in inputs}
        xl.calculate(inputs=vals, outputs=[key])
        times.append(time.perf_counter() - t)
    _emit({"task": "formulas", "load": t_load, "first": t_first, "per_scenario": float(np.mean(times)),
           "reps": reps})


def task_big(path: str, n: int, sampling: str) -> None:
    import engine
    model = engine.load(path)
    t = time.perf_counter()
    r = model.simulate(n, seed=1, backend="numba", sampling=sampling, keep_inputs=False)
    _emit({"task": "big", "n": r.iterations, "formulas": len(model.formulas), "seconds": time.perf_counter() - t,
           "loop": r.seconds, "mean": r.statistics()["Portfolio NPV"]["mean"]})


def task_million(size: int, keep: str | None) -> None:
    from benchmarks.portfolio import load_in_stages, write_portfolio
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(keep or Path(tmp) / f"portfolio_{size}.xlsx")
        t = time.perf_counter()
        if not path.exists():
            write_portfolio(path, size, random_inputs=False)
        t_gen = time.perf_counter() - t
        model, times = load_in_stages(path)
        _emit({"task": "million", "formulas": len(model.formulas), "generate": t_gen, **times})


# --- the driver -------------------------------------------------------------------------------

def _child(args: list[str], timeout: float) -> dict | None:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--task", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"error": (proc.stderr or proc.stdout)[-400:]}


def _fmt_rate(x: float) -> str:
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= div:
            return f"{x / div:.2f}{unit}"
    return f"{x:.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--scenarios", type=int, default=100_000,
                    help="iterations per run (capped at 2e9 cell evaluations per run)")
    ap.add_argument("--backends", nargs="+", default=["numpy", "numba", "cupy", "interpreter"])
    ap.add_argument("--sampling", default="lhs")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--peer-reps", type=int, default=3, help="scenarios measured per peer")
    ap.add_argument("--peer-timeout", type=float, default=1800)
    ap.add_argument("--big", type=int, default=0, help="iterations of the 10,000-formula model, outputs only")
    ap.add_argument("--big-sampling", default="mc")
    ap.add_argument("--million", type=int, default=0, help="formulas of the load + recalculation benchmark")
    ap.add_argument("--keep", help="folder to keep the generated workbooks in")
    ap.add_argument("--json", help="write all measurements here")
    ap.add_argument("--task", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.task:
        kind, *rest = a.task
        if kind == "gridflow":
            task_gridflow(rest[0], rest[1], int(rest[2]), int(rest[3]), rest[4])
        elif kind == "hand":
            task_hand(int(rest[0]), int(rest[1]), int(rest[2]))
        elif kind == "pycel":
            task_pycel(rest[0], int(rest[1]))
        elif kind == "formulas":
            task_formulas(rest[0], int(rest[1]))
        elif kind == "big":
            task_big(rest[0], int(rest[1]), rest[2])
        elif kind == "million":
            task_million(int(rest[0]), rest[1] if len(rest) > 1 else None)
        return

    from benchmarks.portfolio import write_portfolio
    from engine.compile import gpu_available
    print(f"machine: {os.cpu_count()} CPUs, {_cpu_name()}; load average {os.getloadavg()[0]:.2f} "
          f"(shared machines make every figure noisy)", flush=True)
    backends = [b for b in a.backends if b != "cupy" or gpu_available()]
    if "cupy" in a.backends and "cupy" not in backends:
        print("cupy: no GPU here, skipped", flush=True)
    tmpdir = tempfile.TemporaryDirectory()
    folder = Path(a.keep or tmpdir.name)
    folder.mkdir(parents=True, exist_ok=True)
    results: dict = {"sizes": {}}
    for size in a.sizes:
        rnd = folder / f"portfolio_{size}.xlsx"
        static = folder / f"portfolio_{size}_static.xlsx"
        if not rnd.exists():
            write_portfolio(rnd, size, random_inputs=True)
        if not static.exists():
            write_portfolio(static, size, random_inputs=False)
        n = int(min(a.scenarios, max(1000, 2e9 // size)))
        res: dict = {"n": n, "gridflow": {}}
        print(f"\n== {size:,} formulas, {n:,} iterations ==", flush=True)
        for be in backends:
            m = n if be != "interpreter" else int(max(200, min(n, 2e7 // size)))
            r = _child(["gridflow", str(rnd), be, str(m), "1", a.sampling], 3600)
            res["gridflow"][be] = r
            print(f"  gridflow {be}: {json.dumps(r)}", flush=True)
        r = _child(["hand", str(size), str(n), "1"], 3600)
        res["hand"] = r
        print(f"  hand-written: {json.dumps(r)}", flush=True)
        if not a.no_peers:
            for peer in ("pycel", "formulas"):
                r = _child([peer, str(static), str(a.peer_reps)], a.peer_timeout)
                res[peer] = r
                print(f"  {peer}: {json.dumps(r)}", flush=True)
        results["sizes"][size] = res
    if a.big:
        path = folder / "portfolio_10000.xlsx"
        if not path.exists():
            write_portfolio(path, 10_000, random_inputs=True)
        r = _child(["big", str(path), str(a.big), a.big_sampling], 7200)
        results["big"] = r
        print(f"\n== {a.big:,} iterations of the 10,000-formula model (outputs only) ==\n  {json.dumps(r)}",
              flush=True)
    if a.million:
        r = _child(["million", str(a.million)] + ([str(folder / f"portfolio_{a.million}_static.xlsx")]
                                                  if a.keep else []), 7200)
        results["million"] = r
        print(f"\n== {a.million:,}-formula load + one recalculation ==\n  {json.dumps(r)}", flush=True)
    report(results)
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))


def _cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def report(results: dict) -> None:
    print("\n\nGridFlow throughput (simulate(): sampling + evaluation; kernel: evaluation only, same draws)")
    head = (f"{'formulas':>9} {'backend':>11} {'iterations':>10} {'sim s':>7} {'iter/s':>8} {'cell-evals/s':>12} "
            f"{'kernel cell-evals/s':>19} {'peak MB':>8}")
    print(head)
    print("-" * len(head))
    for size, res in results["sizes"].items():
        for be, r in res["gridflow"].items():
            if not r or "error" in r or "timeout" in r:
                print(f"{size:>9,} {be:>11}  {r}")
                continue
            cells = r["formulas"]
            rate = r["n"] / r["simulate_loop"]
            kern = (cells / r["kernel_per_iteration"]) if r.get("kernel_per_iteration") else None
            extra = "  (extrapolated from %d iterations)" % r["n"] if be == "interpreter" else ""
            print(f"{cells:>9,} {be:>11} {r['n']:>10,} {r['simulate_loop']:>7.2f} {_fmt_rate(rate):>8} "
                  f"{_fmt_rate(rate * cells):>12} {(_fmt_rate(kern) if kern else '-'):>19} "
                  f"{r['peak_mb']:>8,.0f}{extra}")
    print("\nAgainst hand-written code (same model, same iteration count)")
    head = (f"{'formulas':>9} {'iterations':>10} {'GF numba sim':>12} {'GF kernel':>9} {'hand numba':>10} "
            f"{'hand nb e2e':>11} {'hand numpy':>10} {'sim/hand-nb-e2e':>15} {'kernel/hand-nb':>14} "
            f"{'numpy/hand-np':>13}")
    print(head)
    print("-" * len(head))
    for size, res in results["sizes"].items():
        h = res.get("hand") or {}
        g = res["gridflow"].get("numba") or {}
        gn = res["gridflow"].get("numpy") or {}
        if "numba_eval" not in h or "simulate_loop" not in g:
            continue
        n = res["n"]
        kern = g["kernel_per_iteration"] * n
        np_kern = gn.get("kernel_per_iteration", float("nan")) * n
        print(f"{g['formulas']:>9,} {n:>10,} {g['simulate_loop']:>11.2f}s {kern:>8.2f}s {h['numba_eval']:>9.2f}s "
              f"{h['numba_end_to_end']:>10.2f}s {h['numpy_eval']:>9.2f}s "
              f"{g['simulate_loop'] / h['numba_end_to_end']:>15.2f} {kern / h['numba_eval']:>14.2f} "
              f"{np_kern / h['numpy_eval']:>13.2f}")
    print("\nAgainst pycel and formulas (per-scenario cost measured on a few scenarios, extrapolated)")
    head = (f"{'formulas':>9} {'peer':>9} {'load s':>8} {'1st eval s':>10} {'per scen. s':>11} "
            f"{'GF numba per scen.':>18} {'GF faster by':>12} {'GF load+compile s':>17} "
            f"{'peer load+1st / GF':>18}")
    print(head)
    print("-" * len(head))
    for size, res in results["sizes"].items():
        g = res["gridflow"].get("numba") or {}
        if "simulate_loop" not in g:
            continue
        gf_per = g["simulate_loop"] / g["n"]
        gf_lc = g["load"] + g["calc"] + g["compile"] + g["kernel_load"]
        for peer in ("pycel", "formulas"):
            r = res.get(peer)
            if not r:
                continue
            if "per_scenario" not in r:
                print(f"{g['formulas']:>9,} {peer:>9}  {r}")
                continue
            print(f"{g['formulas']:>9,} {peer:>9} {r['load']:>8.2f} {r['first']:>10.2f} {r['per_scenario']:>11.4f} "
                  f"{gf_per:>18.2e} {r['per_scenario'] / gf_per:>11,.0f}x {gf_lc:>17.2f} "
                  f"{(r['load'] + r['first']) / gf_lc:>17.1f}x")
    print("\nGridFlow load + compile (s): read+parse, base calculation+plan, compile, kernel load")
    for size, res in results["sizes"].items():
        g = res["gridflow"].get("numba") or {}
        if "compile" in g:
            print(f"  {g['formulas']:>9,} formulas: load {g['load']:.2f}, calc+plan {g['calc']:.2f}, "
                  f"compile {g['compile']:.2f}, kernel {g['kernel_load']:.2f}  [{g['program']}]  "
                  f"max rel. diff vs hand-written on the same draws {g['max_rel_diff_vs_handwritten']:.1e}")
    if results.get("big"):
        r = results["big"]
        if "n" in r:
            print(f"\n{r['n']:,} iterations of the {r['formulas']:,}-formula model, outputs only: "
                  f"{r['seconds']:.1f}s, peak memory {r['peak_mb']:,.0f} MB")
        else:
            print(f"\nbig run: {r}")
    if results.get("million"):
        r = results["million"]
        if "calc" in r:
            print(f"\n{r['formulas']:,}-formula workbook: read {r['read']:.1f}s, parse {r['parse']:.1f}s, graph "
                  f"{r['graph']:.1f}s, one recalculation {r['calc']:.1f}s; peak memory {r['peak_mb']:,.0f} MB")
        else:
            print(f"\nmillion: {r}")


if __name__ == "__main__":
    main()
