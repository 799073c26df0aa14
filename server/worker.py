"""Work done in child processes: reading and inspecting an upload, running a
simulation job, writing reports, CSV and chart images.

The server process never imports the engine; this module is preloaded by the
multiprocessing fork server so each child starts with the engine imported.
Each child talks to the server over its own one-way pipe, so a child that is
killed (cancel, timeout) can only break its own pipe.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

import engine
from engine.montecarlo import SimulationError, count_simulations
from engine.montecarlo.results import InputSeries, OutputSeries, SimulationResult, describe
from engine.montecarlo.simulate import plan_simulation
from engine.values import XLError, to_display
from engine.xlsx import WorkbookError, read_workbook

try:  # charts are drawn off-screen; import here so children start with it loaded
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
except Exception:  # pragma: no cover - matplotlib is a dependency
    pass

RESULTS_JSON = "results.json"
DATA_PARQUET = "data.parquet"
HIST_BINS = 30
CUM_POINTS = 101
MAX_LISTED_CELLS = 50


class TaskError(Exception):
    """An expected failure with an error code for the API."""

    def __init__(self, code: str, message: str, details: Any = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def noop() -> None:
    """Started once at server start so the fork server is warm."""


# --- process entry points --------------------------------------------------------------

def task_entry(conn, name: str, args: tuple) -> None:
    """Run one short task and send ("ok", value) or ("error", code, message, details)."""
    try:
        fn = TASKS[name]
        value = fn(*args)
        conn.send(("ok", value))
    except TaskError as exc:
        conn.send(("error", exc.code, exc.message, exc.details))
    except MemoryError:
        conn.send(("error", "out_of_memory", "the task ran out of memory", None))
    except Exception as exc:  # engine bug: report, never crash the server
        conn.send(("error", "internal_error", f"{type(exc).__name__}: {exc}",
                   {"traceback": traceback.format_exc(limit=6)}))
    finally:
        conn.close()


def simulation_entry(conn, job_id: str, path: str, params: dict, out_dir: str, display_name: str) -> None:
    """A simulation job: messages ("phase", name), ("progress", done, total,
    elapsed), then ("done", summary) or ("error", code, message, details)."""
    try:
        summary = run_simulation(conn, path, params, Path(out_dir), display_name)
        conn.send(("done", summary))
    except (BrokenPipeError, ConnectionResetError, EOFError):
        # The server went away: stop and leave nothing behind.
        shutil.rmtree(out_dir, ignore_errors=True)
        os._exit(3)
    except TaskError as exc:
        _try_send(conn, ("error", exc.code, exc.message, exc.details))
    except SimulationError as exc:
        _try_send(conn, ("error", "simulation_error", str(exc).replace(path, display_name), None))
    except MemoryError:
        _try_send(conn, ("error", "out_of_memory",
                         "the simulation ran out of memory; use fewer iterations or a smaller chunk_size", None))
    except Exception as exc:
        _try_send(conn, ("error", "internal_error", f"{type(exc).__name__}: {exc}",
                         {"traceback": traceback.format_exc(limit=8)}))
    finally:
        try:
            conn.close()
        except OSError:
            pass


def job_entry(conn, job_type: str, job_id: str, path: str | None, params: dict, out_dir: str,
              display_name: str) -> None:
    """An optimization or waterfall job: the same messages as a simulation."""
    try:
        if job_type == "optimization":
            summary = run_optimization(conn, path, params, Path(out_dir), display_name)
        elif job_type == "waterfall":
            summary = run_waterfall(conn, params, Path(out_dir))
        else:
            raise TaskError("validation_error", f"unknown job type {job_type!r}", {"field": "body.type"})
        conn.send(("done", summary))
    except (BrokenPipeError, ConnectionResetError, EOFError):
        shutil.rmtree(out_dir, ignore_errors=True)
        os._exit(3)
    except TaskError as exc:
        _try_send(conn, ("error", exc.code, exc.message, exc.details))
    except MemoryError:
        _try_send(conn, ("error", "out_of_memory", f"the {job_type} job ran out of memory", None))
    except Exception as exc:
        msg = f"{type(exc).__name__}: {exc}"
        if path:
            msg = msg.replace(path, display_name)
        _try_send(conn, ("error", "internal_error", msg, {"traceback": traceback.format_exc(limit=8)}))
    finally:
        try:
            conn.close()
        except OSError:
            pass


def _try_send(conn, msg) -> None:
    try:
        conn.send(msg)
    except (OSError, EOFError):
        pass


# --- inspection ---------------------------------------------------------------------------

SOLVER_RELATIONS = {"1": "<=", "2": "=", "3": ">=", "4": "int", "5": "bin", "6": "dif"}
SOLVER_SENSE = {"1": "max", "2": "min", "3": "value"}
SOLVER_ENGINES = {"1": "GRG Nonlinear", "2": "Simplex LP", "3": "Evolutionary"}


def _json_value(v: Any) -> Any:
    v = to_display(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (str, bool, int, float)) or v is None:
        return v
    return str(v)


def inspect_workbook(path: str, display_name: str, max_cells: int) -> dict:
    """What GridFlow finds in a workbook: sheets, formulas, random inputs,
    outputs, Solver models, unsupported functions with their cells."""
    try:
        wb = read_workbook(path, max_cells=max_cells)
    except WorkbookError as exc:
        raise TaskError("workbook_refused", str(exc).replace(path, display_name)) from None
    model = engine.Model(wb)
    per_sheet = [0] * len(model.sheet_names)
    for (s, _r, _c) in model.formulas:
        per_sheet[s] += 1
    sheets = [{"name": sh.name, "rows": sh.max_row, "columns": sh.max_col, "formulas": per_sheet[i],
               "state": sh.state} for i, sh in enumerate(wb.sheets)]
    problems: list[str] = []
    warnings = list(wb.warnings)
    try:
        model.calculate()
    except Exception as exc:  # the evaluator is meant never to raise: report it
        problems.append(f"the workbook could not be calculated: {type(exc).__name__}: {exc}")
    unsupported: dict[str, list[str]] = {}
    for key in sorted(model.formulas):
        try:
            missing = [n for n in model.functions_used(key) if not model.is_supported(n, key)]
        except Exception:
            missing = []
        for n in missing:
            unsupported.setdefault(n, []).append(model.address(key))
    inputs, outputs = [], []
    try:
        plan = plan_simulation(model)
        for inp in plan.inputs:
            inputs.append({"name": inp.name, "address": inp.address, "function": inp.function,
                           "formula": "=" + model.formula_text(inp.key)})
        for key, name in plan.outputs:
            try:
                val = _json_value(model.cell_value(*key))
            except Exception:
                val = None
            outputs.append({"name": name, "address": model.address(key), "value": val})
        warnings += plan.warnings
    except SimulationError as exc:
        problems.append(str(exc).replace(path, display_name))
    except Exception as exc:
        problems.append(f"random inputs could not be listed: {type(exc).__name__}: {exc}")
    if not inputs:
        problems.append("no random inputs found (use GF.NORMAL(...), RiskNormal(...), RAND()...)")
    if not outputs:
        problems.append("no outputs marked (GF.OUTPUT(...) or RiskOutput()); give output cells when "
                        "starting a simulation")
    try:
        simulations = count_simulations(model)
    except Exception:
        simulations = 1
    return {
        "sheets": sheets,
        "formula_count": len(model.formulas),
        "random_inputs": inputs,
        "outputs": outputs,
        "solver_models": _solver_models(model),
        "gf_decision_model": _has_gf_model(model),
        "unsupported": [{"function": n, "count": len(cells), "cells": cells[:MAX_LISTED_CELLS]}
                        for n, cells in sorted(unsupported.items(), key=lambda kv: (-len(kv[1]), kv[0]))],
        "parse_errors": [{"cell": a, "formula": "=" + t, "message": m}
                         for a, t, m in model.parse_errors[:MAX_LISTED_CELLS]],
        "external_links": list(wb.external_links),
        "defined_names": len(wb.defined_names),
        "tables": [t.name for t in wb.tables],
        "simulations": simulations,
        "warnings": warnings,
        "problems": problems,
        "simulation_ready": bool(inputs) and bool(outputs),
    }


def _has_gf_model(model) -> bool:
    """Whether the workbook declares a model with GF.DECISION cells."""
    try:
        from engine.optimize.spec import has_gf_model
        return bool(has_gf_model(model))
    except Exception:
        return False


def _solver_models(model) -> list[dict]:
    out = []
    for si, names in model.wb.solver_names().items():
        if "solver_opt" not in names and "solver_adj" not in names:
            continue
        cons = []
        try:
            n = int(float(names.get("solver_num", "0")))
        except ValueError:
            n = 0
        for i in range(1, n + 1):
            lhs = names.get(f"solver_lhs{i}")
            if lhs is None:
                continue
            rel = names.get(f"solver_rel{i}", "")
            cons.append({"left": lhs, "relation": SOLVER_RELATIONS.get(rel.strip(), rel),
                         "right": names.get(f"solver_rhs{i}")})
        out.append({
            "sheet": model.sheet_names[si] if si is not None and si < len(model.sheet_names) else None,
            "objective": names.get("solver_opt"),
            "sense": SOLVER_SENSE.get((names.get("solver_typ") or "").strip(), names.get("solver_typ")),
            "target_value": names.get("solver_val"),
            "variables": names.get("solver_adj"),
            "constraints": cons,
            "engine": SOLVER_ENGINES.get((names.get("solver_eng") or "").strip(), names.get("solver_eng")),
        })
    return out


# --- simulation -------------------------------------------------------------------------------

def run_simulation(conn, path: str, params: dict, out_dir: Path, display_name: str = "workbook") -> dict:
    conn.send(("phase", "loading"))
    try:
        model = engine.load(path)
    except WorkbookError as exc:
        raise TaskError("workbook_refused", str(exc).replace(path, display_name)) from None
    sim_index = int(params.get("simulation") or 1) - 1
    if sim_index > 0:
        n_sims = count_simulations(model)
        if sim_index >= n_sims:
            raise TaskError("validation_error", f"simulation {sim_index + 1}: the workbook's GF.SIMTABLE "
                                                f"defines {n_sims}", {"field": "body.simulation"})
    conn.send(("phase", "simulating"))
    last = [0.0]

    def progress(done: int, total: int, elapsed: float) -> None:
        now = time.perf_counter()
        if done >= total or now - last[0] >= 0.1:
            last[0] = now
            conn.send(("progress", done, total, elapsed))

    result = model.simulate(int(params["iterations"]), seed=params.get("seed"), sampling=params.get("sampling", "lhs"),
                            outputs=params.get("outputs") or None, chunk_size=params.get("chunk_size"),
                            progress=progress, converge=params.get("converge"), simulation_index=sim_index)
    result.path = display_name
    conn.send(("phase", "writing results"))
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".{DATA_PARQUET}.tmp"
    result.to_parquet(str(tmp))
    os.replace(tmp, out_dir / DATA_PARQUET)
    summary = summarize(result)
    write_json(out_dir / RESULTS_JSON, summary)
    return {"iterations": result.iterations, "seconds": result.seconds, "interrupted": result.interrupted,
            "converged": result.converged,
            "outputs": [{"name": o["name"], "address": o["address"],
                         **{k: o["statistics"].get(k) for k in ("mean", "sd", "min", "max")},
                         **{k: (o["statistics"].get("percentiles") or {}).get(k) for k in ("P5", "P50", "P95")}}
                        for o in summary["outputs"]]}


# --- optimization ------------------------------------------------------------------------------

SOLVED_STEM = "solved"


def solved_file(out_dir: Path) -> Path | None:
    for ext in ("xlsx", "xlsm"):
        p = Path(out_dir) / f"{SOLVED_STEM}.{ext}"
        if p.exists():
            return p
    return None


def run_optimization(conn, path: str, params: dict, out_dir: Path, display_name: str = "workbook") -> dict:
    """Solve the workbook's model; results.json holds the Answer/Sensitivity
    report contents, solved.xlsx (or .xlsm) the solved copy with the report sheets."""
    from engine import optimize
    from engine.optimize.spec import ModelError
    t0 = time.perf_counter()

    def step(done: int, phase: str) -> None:
        conn.send(("phase", phase))
        conn.send(("progress", done, 3, time.perf_counter() - t0))

    step(0, "loading")
    try:
        model = engine.load(path)
    except WorkbookError as exc:
        raise TaskError("workbook_refused", str(exc).replace(path, display_name)) from None
    sheet = params.get("sheet")
    if sheet:
        match = [n for n in model.sheet_names if n.lower() == str(sheet).lower()]
        if not match:
            raise TaskError("validation_error", f"body.sheet: {display_name} has no sheet named {sheet!r}",
                            {"field": "body.sheet"})
        sheet = match[0]
    method = params.get("method")
    options = {"time_limit": float(params["time_limit"])} if params.get("time_limit") else None
    out_dir.mkdir(parents=True, exist_ok=True)
    ext = "xlsm" if path.lower().endswith(".xlsm") else "xlsx"
    tmp = out_dir / f".{SOLVED_STEM}.tmp.{ext}"
    step(1, "solving")
    try:
        res = optimize.solve(model, sheet, engine=None if method in (None, "auto") else method,
                             backend=params.get("engine") or None, options=options, out=str(tmp))
    except ModelError as exc:
        raise TaskError("model_error", str(exc).replace(path, display_name),
                        {"field": "body.sheet" if sheet else "body.workbook_id"}) from None
    step(2, "writing results")
    if tmp.exists():
        os.replace(tmp, out_dir / f"{SOLVED_STEM}.{ext}")
    data = res.to_dict()
    data["workbook"] = display_name
    data["values"] = {v["address"]: v["final"] for v in data["variables"]} if res.x is not None else {}
    data["solved_file"] = f"{SOLVED_STEM}.{ext}" if solved_file(out_dir) else None
    data = clean_json(data)
    write_json(out_dir / RESULTS_JSON, data)
    conn.send(("progress", 3, 3, time.perf_counter() - t0))
    return {"sheet": res.sheet, "status": res.status, "code": res.code, "message": res.message,
            "objective": clean_json(res.objective), "engine": res.engine, "backend": res.backend,
            "variables": len(res.variables), "binding": len(res.binding()), "conflicts": len(res.conflicts),
            "seconds": time.perf_counter() - t0}


# --- waterfalls ------------------------------------------------------------------------------------

WATERFALL_KINDS = {"re": "run_re_job", "film": "run_film_job", "incentives": "run_incentive_job",
                   "stacks": "run_stack_job"}


def run_waterfall(conn, params: dict, out_dir: Path) -> dict:
    from engine.finance import jobs as finance_jobs
    kind = params["kind"]
    fn = getattr(finance_jobs, WATERFALL_KINDS[kind])
    t0 = time.perf_counter()
    conn.send(("phase", "computing"))

    def progress(done: int, total: int) -> None:
        conn.send(("progress", int(done), int(total), time.perf_counter() - t0))

    try:
        out = fn(params["spec"], progress)
    except KeyError as exc:
        key = exc.args[0] if exc.args else "?"
        raise TaskError("invalid_spec", f"body.spec: {key!r} is missing or unknown",
                        {"field": f"body.spec.{key}"}) from None
    except (ValueError, TypeError, IndexError, ZeroDivisionError, AttributeError) as exc:
        raise TaskError("invalid_spec", f"body.spec: {type(exc).__name__}: {exc}"[:800],
                        {"field": "body.spec"}) from None
    conn.send(("phase", "writing results"))
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / RESULTS_JSON, clean_json(out))
    seconds = time.perf_counter() - t0
    return {"kind": kind, "keys": sorted(out)[:20] if isinstance(out, dict) else [], "seconds": seconds}


# --- the real-estate optimization modules (short tasks) --------------------------------------------

MODULE_TITLES = {"deal_picker": ("Deal Picker", "Choose the deals (or partial stakes) that maximize risk-adjusted "
                                 "value within the equity budget, sector/city caps and deal counts (MILP)."),
                 "debt_stack": ("Debt Stack Mixer", "Size senior/mezzanine/preferred tranches to minimize the cost "
                                "of capital under LTV, DSCR (rate scenarios) and debt-yield limits (MILP)."),
                 "capex_phasing": ("Capex Phasing Planner", "Schedule capital projects month by month to "
                                   "maximize the NPV of rent uplift within cash limits, crews and precedence "
                                   "(time-indexed MILP)."),
                 "leasing_mix": ("Leasing Mix Optimizer", "Pick a lease package per vacant unit to maximize "
                                 "income within the incentive budget, occupancy and WAULT targets (MILP).")}

_forbid_set = False


def _module_adapter(name: str):
    """A pydantic validator of the module's input dataclass (unknown fields refused)."""
    global _forbid_set
    import dataclasses
    import typing
    from pydantic import ConfigDict, TypeAdapter
    from engine.optimize.modules import MODULES
    tp = MODULES[name][0]
    if not _forbid_set:
        seen, todo = set(), [t for t, _f, _e in MODULES.values()]
        while todo:
            t = todo.pop()
            if t in seen or not dataclasses.is_dataclass(t):
                continue
            seen.add(t)
            t.__pydantic_config__ = ConfigDict(extra="forbid")   # read by pydantic for stdlib dataclasses
            for hint in typing.get_type_hints(t).values():
                todo.extend(a for a in _type_args(hint) if dataclasses.is_dataclass(a))
        _forbid_set = True
    return TypeAdapter(tp)


def _type_args(tp) -> list:
    import typing
    out, todo = [], [tp]
    while todo:
        t = todo.pop()
        out.append(t)
        todo.extend(typing.get_args(t))
    return out


def _loc(prefix: str, loc) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _validate_module(name: str, data: dict, prefix: str, changes: dict | None = None):
    from pydantic import ValidationError
    ta = _module_adapter(name)
    try:
        return ta.validate_python(data)
    except ValidationError as exc:
        details = []
        for e in exc.errors(include_url=False):
            loc = tuple(e.get("loc", ()))
            pre = "body.what_if" if changes and loc and loc[0] in changes else prefix
            details.append({"field": _loc(pre, loc), "message": e.get("msg", "invalid"), "type": e.get("type")})
        first = details[0] if details else {"field": prefix, "message": "invalid"}
        raise TaskError("validation_error", f"{first['field']}: {first['message']}", details) from None


def _example_json(inp) -> dict:
    import dataclasses

    def strip(v):      # non-finite numbers (an unlimited budget) are left out: the default applies
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if not (isinstance(x, float) and not math.isfinite(x))}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    return clean_json(strip(dataclasses.asdict(inp)))


def module_catalog() -> list[dict]:
    from engine.optimize.modules import MODULES
    out = []
    for name, (_tp, _fn, example) in MODULES.items():
        title, description = MODULE_TITLES.get(name, (name, ""))
        try:
            schema = _module_adapter(name).json_schema()
        except Exception:   # pragma: no cover - a type pydantic cannot describe
            schema = {"type": "object"}
        out.append({"name": name, "title": title, "description": description,
                    "example": _example_json(example()), "input_schema": clean_json(schema)})
    return out


def run_module_task(name: str, data: dict | None, changes: dict | None) -> dict:
    """Validate, solve and (with changes) re-solve and diff one module."""
    import dataclasses
    from engine.optimize.modules import MODULES, diff
    _tp, fn, example = MODULES[name]
    base_data = _example_json(example()) if data is None else data
    inp = _validate_module(name, base_data, "body.input")
    fields = {f.name for f in dataclasses.fields(inp)}
    for k in changes or {}:
        if k not in fields:
            raise TaskError("validation_error", f"body.what_if.{k}: {type(inp).__name__} has no field {k!r} "
                                                f"(fields: {', '.join(sorted(fields))})",
                            [{"field": f"body.what_if.{k}", "message": "unknown field", "type": "extra_forbidden"}])
    new_inp = None
    if changes:
        merged = {**(base_data if isinstance(base_data, dict) else {}), **changes}
        new_inp = _validate_module(name, merged, "body.input", changes)
    try:
        res = fn(inp)
        out = {"module": name, "result": res.to_dict()}
        if new_inp is not None:
            out["what_if"] = diff(res, fn(new_inp), changes).to_dict()
    except (ValueError, TypeError, KeyError, IndexError, ZeroDivisionError) as exc:
        raise TaskError("invalid_input", f"body.input: the {name} model could not be built: "
                                         f"{type(exc).__name__}: {exc}"[:800], {"field": "body.input"}) from None
    return clean_json(out)


def summarize(result: SimulationResult) -> dict:
    outputs = []
    for i, o in enumerate(result.outputs):
        x = o.values[np.isfinite(o.values)]
        entry: dict[str, Any] = {"index": i, "name": o.name, "address": o.address, "errors": int(o.errors),
                                 "statistics": describe(o.values)}
        if x.size:
            counts, edges = result.histogram(o.name, HIST_BINS)
            xs, ps = result.cumulative(o.name, CUM_POINTS)
            entry["histogram"] = {"counts": counts.tolist(), "edges": edges.tolist()}
            entry["cumulative"] = {"values": xs.tolist(), "probabilities": ps.tolist()}
            sens = result.sensitivity(o.name)
            entry["sensitivity"] = [{k: r[k] for k in ("input", "address", "rank_correlation", "regression",
                                                       "contribution", "low_mean", "high_mean")} for r in sens]
            entry["convergence"] = result.convergence(o.name)
        else:
            entry.update(histogram=None, cumulative=None, sensitivity=[], convergence=[])
        outputs.append(entry)
    inputs = [{"name": inp.name, "address": inp.address, "function": inp.function,
               "statistics": describe(inp.values, percentiles=[5, 50, 95])} for inp in result.inputs]
    columns = list(result.columns())
    return clean_json({
        "workbook": result.path, "iterations": result.iterations, "requested": result.requested, "seed": result.seed,
        "sampling": result.sampling, "seconds": result.seconds, "interrupted": result.interrupted,
        "converged": result.converged, "warnings": result.warnings,
        "outputs": outputs, "inputs": inputs,
        "statistic_cells": {k: _json_value(v) for k, v in result.statistic_cells.items()},
        "columns": {"iteration": "iteration", "inputs": columns[:len(result.inputs)],
                    "outputs": columns[len(result.inputs):]},
        "output_keys": [list(o.key) if o.key else None for o in result.outputs],
    })


def clean_json(v: Any) -> Any:
    """NaN and infinities become null; numpy scalars become Python numbers."""
    if isinstance(v, dict):
        return {str(k): clean_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean_json(x) for x in v]
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return f if math.isfinite(f) else None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, XLError):
        return v.code
    return v


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, allow_nan=False, separators=(",", ":"))
    os.replace(tmp, path)


# --- results files (made on first request) -------------------------------------------------------

def load_result(job_dir: Path) -> SimulationResult:
    import pyarrow.parquet as pq
    summary = json.loads((job_dir / RESULTS_JSON).read_text(encoding="utf-8"))
    table = pq.read_table(job_dir / DATA_PARQUET)
    cols = summary["columns"]
    inputs = [InputSeries(meta["name"], meta["address"], meta["function"],
                          table.column(col).to_numpy(zero_copy_only=False).astype(float))
              for meta, col in zip(summary["inputs"], cols["inputs"])]
    outputs = []
    for meta, col, key in zip(summary["outputs"], cols["outputs"], summary.get("output_keys") or []):
        outputs.append(OutputSeries(meta["name"], meta["address"],
                                    table.column(col).to_numpy(zero_copy_only=False).astype(float),
                                    meta.get("errors", 0), tuple(key) if key else None))
    return SimulationResult(path=summary.get("workbook", "workbook"), iterations=summary["iterations"],
                            requested=summary["requested"], seed=summary["seed"], sampling=summary["sampling"],
                            seconds=summary["seconds"], inputs=inputs, outputs=outputs,
                            interrupted=summary["interrupted"], warnings=summary.get("warnings", []),
                            converged=summary.get("converged", False))


def render_report(job_dir: str, workbook_name: str, target: str) -> str:
    from engine.report import write_report
    result = load_result(Path(job_dir))
    result.path = workbook_name
    tmp = Path(job_dir) / f".report.{os.getpid()}.xlsx"
    write_report(result, tmp, png=False)
    os.replace(tmp, target)
    return target


def render_chart(job_dir: str, index: int, target: str) -> str:
    from engine.report import write_pngs
    result = load_result(Path(job_dir))
    if not 0 <= index < len(result.outputs):
        raise TaskError("not_found", f"no output number {index}")
    tmpdir = Path(job_dir) / f".chart.{os.getpid()}"
    tmpdir.mkdir(exist_ok=True)
    try:
        files = write_pngs(replace(result, outputs=[result.outputs[index]]), tmpdir / "chart")
        if not files:
            raise TaskError("no_values", f"output {result.outputs[index].name!r} has no numeric values to chart")
        os.replace(files[0], target)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return target


def render_csv(job_dir: str, target: str) -> str:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    table = pq.read_table(Path(job_dir) / DATA_PARQUET)
    tmp = Path(job_dir) / f".data.{os.getpid()}.csv"
    pacsv.write_csv(table, tmp)
    os.replace(tmp, target)
    return target


TASKS = {
    "inspect": inspect_workbook,
    "report": render_report,
    "chart": render_chart,
    "csv": render_csv,
    "module": run_module_task,
    "modules": module_catalog,
}
