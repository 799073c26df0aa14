"""Load, parse and evaluate a large generated workbook once; print the time
of each stage and the peak memory.  Run:

    .venv/bin/python benchmarks/bench_load.py --formulas 100000

(Plain script, not a test: timings on shared machines are noisy.)
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.portfolio import load_in_stages, write_portfolio  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--formulas", type=int, default=100_000)
    ap.add_argument("--keep", help="write the workbook here instead of a temporary folder")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(a.keep or Path(tmp) / f"portfolio_{a.formulas}.xlsx")
        t0 = time.perf_counter()
        write_portfolio(path, a.formulas, random_inputs=False)
        t_gen = time.perf_counter() - t0
        model, times = load_in_stages(path)
        t_read, t_parse, t_graph, t_calc = (times[k] for k in ("read", "parse", "graph", "calc"))
        wb = model.wb
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        n = len(model.formulas)
        total = t_read + t_parse + t_graph + t_calc
        print(f"workbook: {path.name}, {n:,} formula cells, {path.stat().st_size / 1e6:.1f} MB "
              f"(generated in {t_gen:.1f}s)")
        print(f"read   {t_read:7.2f}s")
        print(f"parse  {t_parse:7.2f}s")
        print(f"graph  {t_graph:7.2f}s")
        print(f"calc   {t_calc:7.2f}s  ({n / t_calc:,.0f} formulas/s)")
        print(f"total  {total:7.2f}s  load+parse+evaluate once; peak memory {peak_mb:,.0f} MB")
        print(f"check: {model.value('Portfolio!' + 'B' + str(len(wb.sheets[0].cells) and wb.sheets[0].max_row))}")


if __name__ == "__main__":
    main()
