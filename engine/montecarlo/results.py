"""Simulation results: per-iteration series and their statistics,
sensitivity (tornado and spider data), convergence, and Parquet output."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

PERCENTILES = [1, 5, 10, 25, 50, 75, 90, 95, 99]


@dataclass
class InputSeries:
    name: str
    address: str
    function: str
    values: np.ndarray


@dataclass
class OutputSeries:
    name: str
    address: str
    values: np.ndarray       # NaN where the iteration gave an error or text
    errors: int = 0
    key: tuple[int, int, int] | None = None


def describe(x: np.ndarray, percentiles=PERCENTILES, targets: list[float] | None = None) -> dict:
    """count, mean, sd, min, max, skewness, kurtosis, percentiles, P(X>t)."""
    ok = x[np.isfinite(x)]
    n = int(ok.size)
    d: dict[str, Any] = {"count": n, "errors": int(x.size - n)}
    if n == 0:
        return d
    d["mean"] = float(ok.mean())
    d["sd"] = float(ok.std(ddof=1)) if n > 1 else 0.0
    d["min"] = float(ok.min())
    d["max"] = float(ok.max())
    d["skewness"] = float(stats.skew(ok)) if n > 2 and d["sd"] > 0 else 0.0
    d["kurtosis"] = float(stats.kurtosis(ok, fisher=False)) if n > 3 and d["sd"] > 0 else 0.0
    d["mean_se"] = d["sd"] / math.sqrt(n)
    q = np.quantile(ok, [p / 100 for p in percentiles])
    d["percentiles"] = {f"P{p}": float(v) for p, v in zip(percentiles, q)}
    if targets:
        d["prob_above"] = {str(t): float(np.mean(ok > t)) for t in targets}
        d["prob_below"] = {str(t): float(np.mean(ok <= t)) for t in targets}
    return d


def _ranks(x: np.ndarray) -> np.ndarray:
    return stats.rankdata(x)


@dataclass
class SimulationResult:
    path: str
    iterations: int
    requested: int
    seed: int
    sampling: str
    seconds: float
    inputs: list[InputSeries]
    outputs: list[OutputSeries]
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)
    input_keys: list = field(default_factory=list)
    statistic_cells: dict = field(default_factory=dict)
    converged: bool = False          # stopped early: the convergence tolerance was met

    # --- lookups -----------------------------------------------------------------------

    def output(self, name_or_address: str) -> OutputSeries:
        for o in self.outputs:
            if name_or_address in (o.name, o.address):
                return o
        raise KeyError(f"no output named {name_or_address!r}; outputs: {[o.name for o in self.outputs]}")

    def series_for(self, target: Any, model) -> np.ndarray | None:
        """The per-iteration values of a cell reference or output name."""
        from ..eval.refs import RangeRef
        if isinstance(target, RangeRef) and target.is_cell:
            key = (target.sheet, target.r1, target.c1)
            for o in self.outputs:
                if o.key == key:
                    return o.values
            for k, inp in zip(self.input_keys, self.inputs):
                if k == key:
                    return inp.values
            return None
        if isinstance(target, str):
            for o in self.outputs:
                if o.name == target:
                    return o.values
            for inp in self.inputs:
                if inp.name == target:
                    return inp.values
        return None

    # --- statistics ----------------------------------------------------------------------

    def statistics(self, targets: list[float] | None = None) -> dict[str, dict]:
        return {o.name: describe(o.values, targets=targets) for o in self.outputs}

    def histogram(self, output: str, bins: int = 30) -> tuple[np.ndarray, np.ndarray]:
        x = self.output(output).values
        x = x[np.isfinite(x)]
        counts, edges = np.histogram(x, bins=bins)
        return counts, edges

    def cumulative(self, output: str, points: int = 101) -> tuple[np.ndarray, np.ndarray]:
        x = self.output(output).values
        x = x[np.isfinite(x)]
        p = np.linspace(0, 1, points)
        return np.quantile(x, p), p

    def convergence(self, output: str, steps: int = 20) -> list[dict]:
        """Mean and P5/P50/P95 as the iteration count grows."""
        x = self.output(output).values
        out = []
        for k in np.unique(np.linspace(max(10, len(x) // steps), len(x), steps).astype(int)):
            s = x[:k]
            s = s[np.isfinite(s)]
            if s.size == 0:
                continue
            q = np.quantile(s, [0.05, 0.5, 0.95])
            out.append({"iterations": int(k), "mean": float(s.mean()), "P5": float(q[0]), "P50": float(q[1]),
                        "P95": float(q[2])})
        return out

    def sensitivity(self, output: str) -> list[dict]:
        """Per input: rank correlation, standardized regression coefficient,
        contribution to variance (squared rank correlations, normalised), and
        the output mean by input decile (spider data); sorted by influence."""
        y = self.output(output).values
        cols = [inp for inp in self.inputs if inp.values.size == y.size and np.nanstd(inp.values) > 0]
        ok = np.isfinite(y)
        for inp in cols:
            ok &= np.isfinite(inp.values)
        if ok.sum() < 3 or not cols:
            return []
        yv = y[ok]
        X = np.column_stack([inp.values[ok] for inp in cols])
        ry = _ranks(yv)
        rank_corr = [float(np.corrcoef(_ranks(X[:, j]), ry)[0, 1]) if np.std(yv) > 0 else 0.0
                     for j in range(X.shape[1])]
        # standardized regression coefficients
        if np.std(yv) > 0:
            Xs = (X - X.mean(0)) / X.std(0)
            ys = (yv - yv.mean()) / yv.std()
            src, *_ = np.linalg.lstsq(Xs, ys, rcond=None)
        else:
            src = np.zeros(X.shape[1])
        sq = np.array(rank_corr) ** 2
        contrib = sq / sq.sum() if sq.sum() > 0 else sq
        rows = []
        base = float(yv.mean())
        for j, inp in enumerate(cols):
            order = np.argsort(X[:, j], kind="stable")
            bins = np.array_split(order, 10)
            spider = [float(yv[b].mean()) for b in bins if b.size]
            rows.append({"input": inp.name, "address": inp.address, "rank_correlation": rank_corr[j],
                         "regression": float(src[j]), "contribution": float(contrib[j]),
                         "spider_bin_means": spider,
                         "low_mean": spider[0] if spider else base, "high_mean": spider[-1] if spider else base})
        rows.sort(key=lambda r: -abs(r["rank_correlation"]))
        return rows

    # --- export ------------------------------------------------------------------------------

    def columns(self) -> dict[str, np.ndarray]:
        cols: dict[str, np.ndarray] = {}
        for inp in self.inputs:
            cols[_unique(cols, inp.name)] = inp.values
        for o in self.outputs:
            cols[_unique(cols, o.name)] = o.values
        return cols

    def to_parquet(self, path: str) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq
        cols = self.columns()
        table = pa.table({"iteration": np.arange(1, self.iterations + 1), **cols})
        meta = {b"gridflow": str({"seed": self.seed, "sampling": self.sampling, "path": self.path,
                                  "iterations": self.iterations}).encode()}
        table = table.replace_schema_metadata(meta)
        pq.write_table(table, path)

    def summary_table(self) -> str:
        head = f"{'output':28} {'mean':>14} {'sd':>12} {'P5':>14} {'P50':>14} {'P95':>14} {'min':>14} {'max':>14}"
        lines = [head, "-" * len(head)]
        for name, d in self.statistics().items():
            if d.get("count", 0) == 0:
                lines.append(f"{name[:28]:28} (no numeric values; {d.get('errors', 0)} errors)")
                continue
            p = d["percentiles"]
            lines.append(f"{name[:28]:28} {_g(d['mean']):>14} {_g(d['sd']):>12} {_g(p['P5']):>14} "
                         f"{_g(p['P50']):>14} {_g(p['P95']):>14} {_g(d['min']):>14} {_g(d['max']):>14}"
                         + (f"  ({d['errors']} errors)" if d["errors"] else ""))
        return "\n".join(lines)


def _g(x: float) -> str:
    if x == 0 or 1e-3 <= abs(x) < 1e9:
        return f"{x:,.4f}" if abs(x) < 10 else f"{x:,.2f}"
    return f"{x:.4e}"


def _unique(existing: dict, name: str) -> str:
    if name not in existing:
        return name
    i = 2
    while f"{name} ({i})" in existing:
        i += 1
    return f"{name} ({i})"
