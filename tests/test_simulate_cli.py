"""The main job end to end: an @RISK workbook file simulated unchanged, the
template's report with native charts, progress, and Ctrl-C keeping work."""
from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow.parquet as pq
import pytest
from scipy import stats

import engine
from workbooks.build import build_montecarlo_dcf

GRIDFLOW = [sys.executable, "-m", "gridflow"]
ROOT = Path(__file__).resolve().parents[1]


def write_risk_workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Model"
    ws["A1"], ws["B1"] = "Price", "=RiskNormal(100,10,RiskCorrmat(Corr!A1:B2,1),RiskName(\"Price\"))"
    ws["A2"], ws["B2"] = "Unit cost", "=RiskTriang(50,60,90,RiskCorrmat(Corr!A1:B2,2))"
    ws["A3"], ws["B3"] = "Overhead", "=RiskPert(1000,2000,5000)"
    ws["A4"], ws["B4"] = "Volume", "=RiskDiscrete({100,200,300},{0.2,0.5,0.3})"
    ws["A6"], ws["B6"] = "Profit", "=RiskOutput(\"Profit\")+(B1-B2)*B4-B3"
    ws["A8"], ws["B8"] = "Mean profit", "=RiskMean(B6)"
    ws["A9"], ws["B9"] = "P90 profit", "=RiskPercentile(B6,0.9)"
    c = wb.create_sheet("Corr")
    c["A1"], c["B1"], c["A2"], c["B2"] = 1, 0.8, 0.8, 1
    wb.save(path)
    return path


def test_risk_workbook_file_runs_unchanged_and_matches_numpy(tmp_path):
    p = write_risk_workbook(tmp_path / "risk.xlsx")
    m = engine.load(p)
    r = m.simulate(20_000, seed=3)
    profit = r.output("Profit").values
    # hand-written NumPy simulation of the same model (correlation by a Gaussian copula
    # at the Pearson value matching rank correlation 0.8)
    rng = np.random.default_rng(1)
    n = 400_000
    rho = 2 * math.sin(math.pi * 0.8 / 6)
    z = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], n)
    price = 100 + 10 * z[:, 0]
    cost = stats.triang(10 / 40, 50, 40).ppf(stats.norm.cdf(z[:, 1]))
    over = stats.beta(1 + 4 * 1000 / 4000, 1 + 4 * 3000 / 4000, 1000, 4000).rvs(n, random_state=rng)
    vol = rng.choice([100, 200, 300], n, p=[0.2, 0.5, 0.3])
    ref = (price - cost) * vol - over
    se = ref.std() / math.sqrt(len(profit))
    assert abs(profit.mean() - ref.mean()) < 4 * se
    assert abs(profit.std() - ref.std()) / ref.std() < 0.03
    assert abs(np.quantile(profit, 0.9) - np.quantile(ref, 0.9)) < 0.05 * ref.std()
    assert r.statistic_cells["Model!B8"] == pytest.approx(profit.mean())
    assert r.statistic_cells["Model!B9"] == pytest.approx(np.quantile(profit, 0.9))


def test_simulate_cli_report_with_charts_and_parquet(tmp_path):
    book = build_montecarlo_dcf(tmp_path / "dcf.xlsx")
    out = tmp_path / "report.xlsx"
    pq_path = tmp_path / "runs.parquet"
    proc = subprocess.run(GRIDFLOW + ["simulate", str(book), "-n", "3000", "--seed", "4", "--out", str(out),
                                      "--parquet", str(pq_path)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Levered IRR" in proc.stdout and "3,000 iterations" in proc.stdout
    assert "simulating" in proc.stderr          # progress went to stderr
    wb = openpyxl.load_workbook(out)
    assert {"Summary", "Iterations", "Levered IRR", "Levered NPV", "Equity multiple"} <= set(wb.sheetnames)
    charts = wb["Levered IRR"]._charts
    assert len(charts) >= 3                      # histogram, cumulative, tornado (and spider)
    table = pq.read_table(pq_path)
    assert table.num_rows == 3000 and "Levered IRR" in table.column_names and "Rent growth" in table.column_names
    # the Iterations sheet holds every iteration, the same values as the Parquet file
    it = wb["Iterations"]
    header = [c.value for c in it[1]]
    assert header[0] == "Iteration" and it.max_row == 3001
    irr_col = header.index("Levered IRR") + 1
    sheet_irr = [it.cell(r, irr_col).value for r in range(2, 3002)]
    parquet_irr = table.column("Levered IRR").to_pylist()
    assert [it.cell(r, 1).value for r in (2, 3001)] == [1, 3000]
    assert all((a is None and (b is None or b != b)) or a == b for a, b in zip(sheet_irr, parquet_irr))
    pngs = list(tmp_path.glob("report_*.png"))
    assert len(pngs) == 3 and all(p.stat().st_size > 5000 for p in pngs)
    soffice = shutil.which("soffice")
    if soffice:
        res = subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                             capture_output=True, timeout=180)
        assert res.returncode == 0 and (tmp_path / "report.pdf").exists()


def test_same_seed_reproduces_the_cli_run(tmp_path):
    book = build_montecarlo_dcf(tmp_path / "dcf.xlsx")
    a = engine.load(book).simulate(2000, seed=8, chunk_size=2000).output("Levered NPV").values
    b = engine.load(book).simulate(2000, seed=8, chunk_size=333).output("Levered NPV").values
    assert np.array_equal(a, b)


@pytest.mark.skipif(os.name != "posix", reason="needs SIGINT")
def test_ctrl_c_stops_cleanly_and_keeps_the_iterations_done(tmp_path):
    book = build_montecarlo_dcf(tmp_path / "dcf.xlsx")
    pq_path = tmp_path / "partial.parquet"
    proc = subprocess.Popen(GRIDFLOW + ["simulate", str(book), "-n", "5000000", "--chunk", "2000", "--seed", "1",
                                        "--parquet", str(pq_path)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    # wait for the first progress line, then interrupt
    deadline = time.time() + 120
    line = ""
    while time.time() < deadline:
        line = proc.stderr.readline()
        if "simulating" in line:
            break
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted: keeping the" in err
    table = pq.read_table(pq_path)
    assert 0 < table.num_rows < 5_000_000 and table.num_rows % 2000 == 0
