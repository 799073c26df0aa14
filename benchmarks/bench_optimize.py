"""Optimization benchmark: the linear model of a 1,000-decision workbook.

Generates an allocation workbook (N deals; a stake in [0, 1] of each is a
decision cell; cost and return formulas per deal; a budget, ten sector caps
and a cardinality-like cap on the total stake; an Excel Solver model on the
sheet) and reports, in one run on the same machine:

* GridFlow: load, model build (one vectorized evaluation of the base point,
  the N perturbations and the linearity-check points), and the HiGHS solve;
* a hand-built HiGHS model of the same LP (highspy, matrix written by hand),
  its build and solve time, and the difference of the two objectives.

    .venv/bin/python benchmarks/bench_optimize.py               # 1,000 decisions
    .venv/bin/python benchmarks/bench_optimize.py --decisions 3000

Plain script, not a test: timings on shared machines are noisy.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECTORS = 10


def deal_data(n: int, seed: int = 7) -> dict[str, np.ndarray | float]:
    rng = np.random.default_rng(seed)
    cost = np.round(rng.uniform(1e6, 2e7, n), -3)
    ret = np.round(cost * rng.normal(0.08, 0.03, n), 0)
    sector = rng.integers(1, SECTORS + 1, n)
    budget = float(np.round(cost.sum() * 0.15, -3))
    cap = float(np.round(budget * 0.2, -3))
    return {"cost": cost, "ret": ret, "sector": sector, "budget": budget, "cap": cap, "max_stake": n * 0.2}


def write_workbook(path: Path, d: dict) -> Path:
    from openpyxl import Workbook
    from engine.optimize.excel import add_solver_model
    n = len(d["cost"])
    wb = Workbook()
    ws = wb.active
    ws.title = "Deals"
    ws.append(["deal", "cost", "return", "sector", "stake", "cost used", "return earned"])
    for i in range(n):
        r = i + 2
        ws.append([f"D{i + 1}", float(d["cost"][i]), float(d["ret"][i]), int(d["sector"][i]), 0,
                   f"=B{r}*E{r}", f"=C{r}*E{r}"])
    last = n + 1
    ws["I1"], ws["J1"] = "Total return", f"=SUM(G2:G{last})"
    ws["I2"], ws["J2"], ws["K2"] = "Budget used", f"=SUM(F2:F{last})", d["budget"]
    ws["I3"], ws["J3"], ws["K3"] = "Total stake", f"=SUM(E2:E{last})", d["max_stake"]
    for k in range(1, SECTORS + 1):
        r = 4 + k
        ws[f"I{r}"], ws[f"J{r}"], ws[f"K{r}"] = k, f"=SUMIF($D$2:$D${last},I{r},$F$2:$F${last})", d["cap"]
    add_solver_model(ws, "J1", f"E2:E{last}",
                     [("J2", "<=", "K2"), ("J3", "<=", "K3"), (f"J5:J{4 + SECTORS}", "<=", f"K5:K{4 + SECTORS}"),
                      (f"E2:E{last}", "<=", 1)], sense="max", engine="simplex")
    wb.save(path)
    return path


def hand_built_highs(d: dict) -> tuple[float, float, float]:
    """The same LP written directly for HiGHS: (build s, solve s, objective)."""
    import highspy
    from engine.optimize.lp import new_highs
    t = time.perf_counter()
    cost, ret, sector = d["cost"], d["ret"], d["sector"]
    n = len(cost)
    h = new_highs()
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.col_cost_ = -ret                       # HiGHS minimizes
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.ones(n)
    rows = [cost, np.ones(n)] + [np.where(sector == k, cost, 0.0) for k in range(1, SECTORS + 1)]
    A = np.vstack(rows)
    lp.num_row_ = A.shape[0]
    lp.row_lower_ = np.full(A.shape[0], -inf)
    lp.row_upper_ = np.array([d["budget"], d["max_stake"]] + [d["cap"]] * SECTORS)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    starts, index, value = [0], [], []
    for j in range(n):
        nz = np.nonzero(A[:, j])[0]
        index.extend(nz.tolist())
        value.extend(A[nz, j].tolist())
        starts.append(len(index))
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    h.passModel(lp)
    t_build = time.perf_counter() - t
    t = time.perf_counter()
    h.run()
    t_solve = time.perf_counter() - t
    return t_build, t_solve, -h.getInfo().objective_function_value


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--decisions", type=int, default=1000)
    ap.add_argument("--keep", help="folder to keep the generated workbook in")
    args = ap.parse_args()
    import engine
    d = deal_data(args.decisions)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="gf-bench-opt-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = write_workbook(folder / f"allocation_{args.decisions}.xlsx", d)
    t = time.perf_counter()
    model = engine.load(path)
    model.calculate()
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    res = model.solve("Deals", keep=False)
    t_total = time.perf_counter() - t
    hb, hs, hobj = hand_built_highs(d)
    solve_only = max(t_total - res.build_seconds, 1e-9)
    print(f"workbook: {path.name}, {args.decisions:,} decision cells, {len(model.formulas):,} formulas")
    print(f"GridFlow   load+calc {t_load:7.3f}s   model build (perturbation pass) {res.build_seconds:7.3f}s   "
          f"solve {solve_only:7.3f}s   [{res.engine}/{res.backend}] {res.message}")
    print(f"hand HiGHS                     model build (by hand)           {hb:7.3f}s   solve {hs:7.3f}s")
    print(f"objective  GridFlow {res.objective:,.2f}   hand-built {hobj:,.2f}   "
          f"relative difference {abs(res.objective - hobj) / abs(hobj):.2e}")
    print(f"ratio      GridFlow build+solve / hand-built build+solve = {res.build_seconds + solve_only:.3f}s / "
          f"{hb + hs:.3f}s = {(res.build_seconds + solve_only) / (hb + hs):.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
