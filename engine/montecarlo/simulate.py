"""Running a Monte Carlo simulation of a workbook.

The model is evaluated once per chunk of iterations with every random input
returning a vector of draws; cells that do not depend on any random input
stay scalars, so they cost one evaluation whatever the iteration count.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..eval.refs import RangeRef
from ..eval.vector import Vec
from ..parser import ast as A
from ..values import Array, XLError
from . import functions as F
from .correlation import gaussian_copula, iman_conover, repair_correlation
from .results import InputSeries, OutputSeries, SimulationResult
from .sampling import UniformSource, stable_id


class SimulationError(Exception):
    """A simulation that cannot start: the message names the cell or setting."""


@dataclass
class RandomInput:
    index: int
    key: tuple[int, int, int]       # cell holding the call
    node: A.Call
    address: str
    name: str
    function: str
    seed: int | None = None
    lock: bool = False
    corr: tuple[Any, int, str] | None = None   # (matrix key, position, method)
    element: tuple[int, int] | None = None     # RANDARRAY: (row, col) of the element, from 0
    shape: tuple[int, int] | None = None       # RANDARRAY: the array's rows x cols


# RANDARRAY makes one random input per element: bigger arrays are refused
MAX_RANDARRAY_INPUTS = 10_000


@dataclass
class Plan:
    inputs: list[RandomInput] = field(default_factory=list)
    outputs: list[tuple[tuple[int, int, int], str]] = field(default_factory=list)   # (cell, name)
    corr_groups: list[tuple[np.ndarray, list[int], str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class SimulationState:
    """What the evaluator sees while a chunk of iterations runs."""

    def __init__(self, plan: Plan, uniforms: np.ndarray):
        self.plan = plan
        self.u = uniforms
        self.by_node = {id(inp.node): inp.index for inp in plan.inputs if inp.element is None}
        self.arrays: dict[int, tuple[int, int, list[int]]] = {}   # RANDARRAY: id(node) -> rows, cols, inputs
        for inp in plan.inputs:
            if inp.element is not None:
                rows, cols = inp.shape
                self.arrays.setdefault(id(inp.node), (rows, cols, []))[2].append(inp.index)
        self.captured: dict[int, np.ndarray] = {}

    def array_inputs(self, node: A.Node) -> tuple[int, int, list[int]] | None:
        """RANDARRAY: its planned rows, cols and input indices (row-major)."""
        return self.arrays.get(id(node))

    def record(self, i: int, x: np.ndarray) -> None:
        self.captured[i] = np.broadcast_to(x, (self.u.shape[0],))

    def uniforms_for(self, node: A.Node) -> np.ndarray | None:
        i = self.by_node.get(id(node))
        if i is None or self.plan.inputs[i].lock:
            return None
        return self.u[:, i]

    def record_input(self, node: A.Node, x: np.ndarray) -> None:
        i = self.by_node.get(id(node))
        if i is not None:
            self.captured[i] = np.broadcast_to(x, (self.u.shape[0],))


def _walk_calls(node: A.Node):
    for n in A.walk(node):
        if isinstance(n, A.Call):
            yield n


def _calls_of(model, key) -> tuple:
    """The function calls in one formula, remembered per formula object (a
    simulation walks every formula several times: inputs, statistics
    cells, tables)."""
    memo = model.__dict__.setdefault("_calls_memo", {})
    f = model.formulas[key]
    hit = memo.get(key)
    if hit is None or hit[0] is not f:
        hit = (f, tuple(_walk_calls(f.node)))
        memo[key] = hit
    return hit[1]


def plan_simulation(model, outputs: list[str] | None = None) -> Plan:
    """Find the random inputs, outputs and correlation groups of a model
    (after a plain calculation, so property arguments can be evaluated)."""
    from ..eval.context import EvalContext
    plan = Plan()
    corr_mats: dict[Any, tuple[np.ndarray, str]] = {}
    stat_targets: set[tuple[int, int, int]] = set()
    randarrays: list[tuple[tuple[int, int, int], A.Call, str]] = []
    for key in sorted(model.formulas):
        addr = model.address(key)
        k = 0
        for call in _calls_of(model, key):
            if F.is_random_call(call) and call.name == "RANDARRAY":
                randarrays.append((key, call, addr))
                try:
                    rows, cols = F.randarray_size(call, EvalContext(model, *key))
                except XLError as e:
                    plan.warnings.append(f"{addr}: the size of RANDARRAY could not be evaluated ({e}); "
                                         f"it is not a random input")
                    continue
                if rows * cols > MAX_RANDARRAY_INPUTS:
                    raise SimulationError(f"{addr}: RANDARRAY({rows}, {cols}) would make {rows * cols:,} random "
                                          f"inputs; a simulation takes at most {MAX_RANDARRAY_INPUTS:,} per call")
                base = addr if k == 0 else f"{addr}#{k + 1}"
                for r in range(rows):
                    for c in range(cols):
                        plan.inputs.append(RandomInput(len(plan.inputs), key, call, addr, f"{base}[{r + 1},{c + 1}]",
                                                       "RANDARRAY", element=(r, c), shape=(rows, cols)))
                k += 1
            elif F.is_random_call(call):
                ctx = EvalContext(model, *key)
                name = addr if k == 0 else f"{addr}#{k + 1}"
                inp = RandomInput(len(plan.inputs), key, call, addr, name, call.name)
                if call.name not in ("RAND", "RANDBETWEEN"):
                    _params, prop_nodes = F.split_args(call)
                    try:
                        props = F.eval_props(prop_nodes, ctx)
                    except XLError as e:
                        raise SimulationError(f"{addr}: bad property in ={model.formula_text(key)}: {e}")
                    if props.name:
                        inp.name = props.name
                    inp.seed = props.seed
                    inp.lock = props.lock
                    if props.corrmat is not None:
                        mat, pos = props.corrmat
                        mkey, values = _matrix(mat, addr)
                        corr_mats.setdefault(mkey, (values, props.copula))
                        inp.corr = (mkey, pos, props.copula)
                plan.inputs.append(inp)
                k += 1
            elif F.is_output(call.name):
                oname = addr
                args = call.args
                if F.canonical(call.name) == "GF.OUTPUT":
                    args = args[1:]
                if args and isinstance(args[0], (A.Text, A.Ref, A.Name)):
                    from ..eval.context import EvalContext as _C
                    v = _C(model, *key).scalar(args[0])
                    if isinstance(v, str) and v:
                        oname = v
                if all(o[0] != key for o in plan.outputs):
                    plan.outputs.append((key, oname))
            elif F.statistic_of(call.name) and call.args and isinstance(call.args[0], A.Ref):
                ref = model.resolve_ref(call.args[0], EvalContext(model, *key))
                if isinstance(ref, RangeRef) and ref.is_cell:
                    stat_targets.add((ref.sheet, ref.r1, ref.c1))
    if randarrays:
        _check_randarray_sizes(model, plan, randarrays)
    for text in outputs or []:
        try:
            s, r1, c1, r2, c2 = model.parse_address(text)
        except (ValueError, KeyError) as exc:
            raise SimulationError(f"output {text!r}: {exc}")
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                key = (s, r, c)
                if all(o[0] != key for o in plan.outputs):
                    plan.outputs.append((key, model.address(key)))
    for key in sorted(stat_targets):
        if all(o[0] != key for o in plan.outputs):
            plan.outputs.append((key, model.address(key)))
    # correlation groups: one per matrix
    for mkey, (values, method) in corr_mats.items():
        members = [inp for inp in plan.inputs if inp.corr and inp.corr[0] == mkey]
        members.sort(key=lambda i: i.corr[1])
        n = values.shape[0]
        positions = [m.corr[1] for m in members]
        bad = [p for p in positions if not 1 <= p <= n]
        if bad:
            raise SimulationError(f"correlation matrix {mkey[1]}: position {bad[0]} is outside its {n}x{n} size")
        if len(set(positions)) != len(positions):
            raise SimulationError(f"correlation matrix {mkey[1]}: two inputs share one position")
        sub = values[np.ix_([p - 1 for p in positions], [p - 1 for p in positions])]
        try:
            fixed, warning = repair_correlation(sub, f"correlation matrix {mkey[1]}")
        except ValueError as exc:
            raise SimulationError(str(exc))
        if warning:
            plan.warnings.append(warning)
        plan.corr_groups.append((fixed, [m.index for m in members], method, mkey[1]))
    return plan


def _check_randarray_sizes(model, plan: Plan, calls) -> None:
    """A RANDARRAY's rows and columns fix how many random inputs it is, so
    they may not depend on random values."""
    from ..compile.cone import stochastic_cone
    g = model.build_graph()
    cone = stochastic_cone(g, {inp.key for inp in plan.inputs if not inp.lock})

    def in_cone(d) -> bool:
        if len(d) == 3:
            return d in cone
        members = g.range_members.get(d)
        if members is None:
            s, r1, c1, r2, c2 = d
            return any(k[0] == s and r1 <= k[1] <= r2 and c1 <= k[2] <= c2 for k in cone)
        return any(m in cone for m in members)

    for key, call, addr in calls:
        for a in call.args[:2]:
            acc: list = []
            model._collect_deps(a, key, acc, 0)
            if any(F.is_random_call(n) for n in _walk_calls(a)) or any(in_cone(d) for d in acc):
                raise SimulationError(f"{addr}: the rows/columns of RANDARRAY in ={model.formula_text(key)} "
                                      f"depend on random cells; its size must be fixed for a simulation")


def _matrix(mat: Any, where: str) -> tuple[Any, np.ndarray]:
    if isinstance(mat, RangeRef):
        arr = mat.to_array()
        key = ("range", f"{mat.sheet_name}!{mat.address()}")
    elif isinstance(mat, Array):
        arr = mat
        key = ("array", repr(mat.data))
    else:
        raise SimulationError(f"{where}: the correlation matrix must be a range or an array")
    vals = np.array([[x if isinstance(x, float) else (np.nan if not isinstance(x, (int,)) else float(x))
                      for x in row] for row in arr.data], dtype=float)
    # a matrix with only its lower or upper triangle filled in is completed
    if np.isnan(vals).any():
        upper = np.where(np.isnan(vals), vals.T, vals)
        vals = np.where(np.isnan(upper), 0.0, upper)
        np.fill_diagonal(vals, 1.0)
    return key, vals


def _correlator(plan: Plan):
    if not plan.corr_groups:
        return None

    def transform(block: np.ndarray, _b: int) -> np.ndarray:
        out = block.copy()
        for matrix, cols, method, _name in plan.corr_groups:
            if method == "gaussian":
                out[:, cols] = gaussian_copula(out[:, cols], matrix)
            else:
                out[:, cols] = iman_conover(out[:, cols], matrix)
        return out
    return transform


def _as_float_series(v: Any, n: int) -> tuple[np.ndarray, int]:
    """Per-iteration float values of a cell (errors and text become NaN)."""
    if isinstance(v, Array):
        v = v.data[0][0]
    if isinstance(v, Vec):
        if v.data.dtype == np.float64:
            return v.data, 0
        if v.data.dtype == np.bool_:
            return v.data.astype(float), 0
        out = np.array([x if isinstance(x, float) else (float(x) if isinstance(x, bool) else np.nan)
                        for x in v.data], dtype=float)
        return out, int(sum(isinstance(x, XLError) for x in v.data))
    if isinstance(v, bool):
        return np.full(n, float(v)), 0
    if isinstance(v, float):
        return np.full(n, v), 0
    if isinstance(v, XLError):
        return np.full(n, np.nan), n
    return np.full(n, np.nan), 0


def default_chunk(model, n: int) -> int:
    cells = max(1, len(model.formulas))
    # keep roughly 2e7 cell-values per chunk in memory
    return int(max(1000, min(n, 100_000, 20_000_000 // cells)))


def simulate(model, n: int = 10_000, *, seed: int | None = None, sampling: str = "lhs",
             outputs: list[str] | None = None, chunk_size: int | None = None,
             progress: Callable[[int, int, float], None] | None = None,
             simulation_index: int = 0, hdr_entity: int = 1,
             converge: float | None = None, backend: str = "auto", keep_inputs: bool = True,
             cluster: Any = None) -> SimulationResult:
    """Run ``n`` iterations; returns the per-iteration inputs and outputs and
    their statistics.  Ctrl-C stops between chunks and keeps what was done.

    ``backend``: "numpy", "numba" or "cupy" run the compiled plan
    (engine.compile); "interpreter" evaluates the model itself per chunk;
    "auto" compiles when it can (GPU, else Numba for large runs, else NumPy)
    and falls back to the interpreter, saying why in ``warnings``.
    ``keep_inputs=False`` keeps only the outputs (memory for very long runs).
    ``cluster``: a Dask scheduler address ("tcp://host:8786") or Client that
    runs the chunks (compiled plans only).

    ``converge``: stop early once every output's mean is known within this
    relative tolerance (half-width of its 95% confidence interval divided by
    |mean|), checked after each chunk; ``n`` is then the maximum."""
    if n < 1:
        raise SimulationError("the iteration count must be at least 1")
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "little")
    model.simulation = None
    model.simulation_results = None
    model.simulation_index = simulation_index
    model.calculate()
    plan = plan_simulation(model, outputs)
    if not plan.inputs:
        raise SimulationError(f"{model.path}: no random inputs found (use GF.NORMAL(...), RiskNormal(...), RAND()...)")
    if not plan.outputs:
        raise SimulationError(f"{model.path}: no outputs: mark cells with GF.OUTPUT(...)/RiskOutput() "
                              f"or give output addresses")
    ids = [stable_id(f"{inp.address}|{inp.name}|{inp.index if inp.name == inp.address else ''}")
           for inp in plan.inputs]
    source = UniformSource(sampling, seed, n, ids, [inp.seed for inp in plan.inputs], hdr_entity,
                           block_transform=_correlator(plan))
    from ..compile.runner import default_chunk as compiled_chunk, prepare
    compiled, notes = prepare(model, plan, source, "auto" if cluster is not None and backend == "interpreter"
                              else backend, n)
    plan.warnings.extend(notes)
    chunk = chunk_size or (compiled_chunk(compiled.program, n, compiled.backend) if compiled
                           else default_chunk(model, n))
    if converge and not chunk_size:
        chunk = max(1000, min(chunk, n // 20 or 1))
    converged = False
    in_parts: list[list[np.ndarray]] = [[] for _ in plan.inputs]
    out_parts: list[list[np.ndarray]] = [[] for _ in plan.outputs]
    errors = [0] * len(plan.outputs)
    t0 = time.perf_counter()
    done = 0
    interrupted = False
    try:
        if cluster is not None and compiled is not None and not converge:
            from ..compile.cluster import run_on_cluster
            for _s, stop, xs, series in run_on_cluster(cluster, compiled, n, chunk, keep_inputs, progress):
                for i in range(len(plan.inputs) if keep_inputs else 0):
                    in_parts[i].append(xs[i])
                for j, (y, nerr) in enumerate(series):
                    out_parts[j].append(y)
                    errors[j] += nerr
                done = stop
        elif cluster is not None:
            plan.warnings.append("--cluster needs a compiled plan without --converge: ran on this machine")
        while done < n:
            stop = min(n, done + chunk)
            m = stop - done
            if compiled is not None:
                xs, series = compiled.run(done, stop)
                for i in range(len(plan.inputs) if keep_inputs else 0):
                    in_parts[i].append(xs[i])
                for j, (y, nerr) in enumerate(series):
                    out_parts[j].append(y)
                    errors[j] += nerr
            else:
                u = source.draws(done, stop)
                state = SimulationState(plan, u)
                model.simulation = state
                model.calculate(n_scenarios=stop - done)
                for i, inp in enumerate(plan.inputs if keep_inputs else []):
                    x = state.captured.get(i)
                    if x is None:   # input not evaluated (e.g. an IF branch not taken)
                        x = np.full(m, np.nan)
                    in_parts[i].append(np.array(x, dtype=float))
                for j, (key, _name) in enumerate(plan.outputs):
                    series, nerr = _as_float_series(model.cell_value(*key), m)
                    out_parts[j].append(np.array(series, dtype=float))
                    errors[j] += nerr
            done = stop
            if progress:
                progress(done, n, time.perf_counter() - t0)
            if converge and done < n and _converged(out_parts, converge):
                converged = True
                break
    except KeyboardInterrupt:
        interrupted = True
    finally:
        model.simulation = None
        if compiled is not None:
            compiled.close()
    elapsed = time.perf_counter() - t0
    result = SimulationResult(
        path=str(model.path), iterations=done, requested=n, seed=seed, sampling=sampling, seconds=elapsed,
        interrupted=interrupted, warnings=list(plan.warnings),
        inputs=[InputSeries(inp.name, inp.address, inp.function,
                            np.concatenate(in_parts[i]) if in_parts[i] else np.empty(0))
                for i, inp in enumerate(plan.inputs)],
        outputs=[OutputSeries(name, model.address(key), np.concatenate(out_parts[j]) if out_parts[j] else np.empty(0),
                              errors[j], key)
                 for j, (key, name) in enumerate(plan.outputs)],
        input_keys=[inp.key for inp in plan.inputs], converged=converged)
    result.backend = compiled.backend_name if compiled is not None else "interpreter"
    result.compiled = compiled.program.describe() if compiled is not None else None
    # statistics cells (GF.MEAN, RiskMean...) now read the results; the
    # interpreter left scenario vectors in the cells.  A compiled run
    # without statistics cells changed no cell: no recalculation.
    model.simulation_results = result
    stat_keys = _statistic_keys(model)
    if stat_keys or compiled is None:
        model.calculate()
    result.statistic_cells = {model.address(key): model.cell_value(*key) for key in stat_keys}
    return result


def _converged(out_parts: list[list[np.ndarray]], tol: float) -> bool:
    for parts in out_parts:
        x = np.concatenate(parts)
        x = x[np.isfinite(x)]
        if x.size < 100:
            return False
        half = 1.96 * x.std(ddof=1) / np.sqrt(x.size)
        if half > tol * max(abs(x.mean()), 1e-12):
            return False
    return True


def count_simulations(model) -> int:
    """How many simulations GF.SIMTABLE/RiskSimtable tables ask for (1 if none)."""
    from ..eval.context import EvalContext, evaluate
    n = 1
    for key in model.formulas:
        for c in _calls_of(model, key):
            if F.canonical(c.name) in ("GF.SIMTABLE", "RISKSIMTABLE", "PSISIMTABLE") and c.args:
                ctx = EvalContext(model, *key)
                arr = ctx.to_array(evaluate(c.args[0], ctx))
                n = max(n, arr.rows * arr.cols)
    return n


def simulate_table(model, n: int = 10_000, **kw) -> list[SimulationResult]:
    """One simulation per GF.SIMTABLE value, all with the same seed (common
    random numbers, so differences come from the table, not from noise)."""
    if kw.get("seed") is None:
        kw["seed"] = int.from_bytes(os.urandom(4), "little")
    return [simulate(model, n, simulation_index=k, **kw) for k in range(count_simulations(model))]


def _statistic_keys(model) -> list:
    return [key for key in model.formulas if any(F.statistic_of(c.name) for c in _calls_of(model, key))]
