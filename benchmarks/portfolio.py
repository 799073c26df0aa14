"""Generates portfolio DCF workbooks of a chosen size for the benchmarks.

One row per property: inputs (price, rent, growth, cap rate) then ten years
of rent, NOI and discounted cash flow, a sale value and the property's NPV,
and a portfolio total.  About 40 formulas per property; growth and exit cap
rate are random inputs (GF.NORMAL) when ``random_inputs`` is set.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter as L

YEARS = 10


def load_in_stages(path: str | Path):
    """GridFlow's load of ``path`` stage by stage: the model and the seconds
    of each stage (read, parse, graph, calc: one full evaluation)."""
    import time
    from engine.model import Model
    from engine.xlsx import read_workbook
    times = {}
    t = time.perf_counter()
    wb = read_workbook(path)
    times["read"] = time.perf_counter() - t
    t = time.perf_counter()
    model = Model(wb)
    times["parse"] = time.perf_counter() - t
    t = time.perf_counter()
    model.build_graph()
    times["graph"] = time.perf_counter() - t
    t = time.perf_counter()
    model.calculate()
    times["calc"] = time.perf_counter() - t
    return model, times


def formulas_per_property() -> int:
    return 4 * YEARS + 3


def write_portfolio(path: str | Path, n_formulas: int, random_inputs: bool = True) -> Path:
    """Write a workbook with about ``n_formulas`` formula cells."""
    n_props = max(1, n_formulas // formulas_per_property())
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Portfolio")
    header = ["Property", "Price", "Rent", "Growth", "Exit cap", "Discount"]
    header += [f"Rent Y{y}" for y in range(1, YEARS + 1)]
    header += [f"NOI Y{y}" for y in range(1, YEARS + 1)]
    header += [f"DF Y{y}" for y in range(1, YEARS + 1)]
    header += [f"PV Y{y}" for y in range(1, YEARS + 1)]
    header += ["Sale value", "PV sale", "NPV"]
    ws.append(header)
    c_rent0 = 7
    c_noi0 = c_rent0 + YEARS
    c_df0 = c_noi0 + YEARS
    c_pv0 = c_df0 + YEARS
    c_sale = c_pv0 + YEARS
    for i in range(n_props):
        r = i + 2
        price = 1_000_000 + 10_000 * (i % 50)
        rent = price * 0.08
        growth = f"=GF.NORMAL(0.03,0.01)" if random_inputs else 0.03
        cap = f"=GF.NORMAL(0.065,0.005)" if random_inputs else 0.065
        row = [f"P{i + 1}", price, rent, growth, cap, 0.08]
        for y in range(1, YEARS + 1):
            prev = f"{L(c_rent0 + y - 2)}{r}" if y > 1 else f"$C{r}"
            row.append(f"={prev}*(1+$D{r})" if y > 1 else f"=$C{r}")
        for y in range(1, YEARS + 1):
            row.append(f"={L(c_rent0 + y - 1)}{r}*0.65")
        for y in range(1, YEARS + 1):
            row.append(f"=1/(1+$F{r})^{y}")
        for y in range(1, YEARS + 1):
            row.append(f"={L(c_noi0 + y - 1)}{r}*{L(c_df0 + y - 1)}{r}")
        row.append(f"={L(c_noi0 + YEARS - 1)}{r}*(1+$D{r})/$E{r}")
        row.append(f"={L(c_sale)}{r}*{L(c_df0 + YEARS - 1)}{r}")
        row.append(f"=SUM({L(c_pv0)}{r}:{L(c_pv0 + YEARS - 1)}{r})+{L(c_sale + 1)}{r}-$B{r}")
        ws.append(row)
    last = n_props + 1
    ws.append([])
    npv_col = L(c_sale + 2)
    ws.append(["Total NPV", f"=GF.OUTPUT(SUM({npv_col}2:{npv_col}{last}),\"Portfolio NPV\")"
               if random_inputs else f"=SUM({npv_col}2:{npv_col}{last})"])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out")
    ap.add_argument("--formulas", type=int, default=10_000)
    ap.add_argument("--static", action="store_true", help="no random inputs")
    a = ap.parse_args()
    print(write_portfolio(a.out, a.formulas, not a.static))
