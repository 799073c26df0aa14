"""The compiled simulation path (engine.compile): stochastic cone, formula
groups, the IR's operations against the interpreter, the NumPy / Numba /
CuPy backends against each other, the fallback, and memory-bounded runs."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import engine
from engine.compile import CompileError, compile_plan, gpu_available, make_backend
from engine.compile import cone as C
from engine.compile import ir
from engine.montecarlo.simulate import plan_simulation
from tests.formula_helpers import make_model

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbooks" / "montecarlo_dcf.xlsx"

# random inputs (column A), constants (C), a cash-flow row (E) and a mixed range (D)
BASE = {
    "A1": "=GF.UNIFORM(-2,2)", "A2": "=GF.NORMAL(0.05,0.02)", "A3": "=RANDBETWEEN(-1,1)", "A4": "=GF.UNIFORM(0,1)",
    "C1": 1.5, "C2": -2.0, "C3": 0.5, "C4": "3", "C6": "text",
    "D1": "=A1*2", "D2": "x", "D3": True,
    "E1": -100.0, "E2": "=30+A1*10", "E3": "=40*(1+A2)", "E4": "=A4*50", "E5": 20.0,
}

# one formula per operation the IR knows (and their Excel edge cases)
FORMULAS = [
    "=A1+1", "=A1-C1", "=A1*C2", "=C1/A1", "=A1/A3", "=A1^2", "=A1^C3", "=A1^(1/3)", "=0^A3", "=-A1", "=A1%",
    "=ABS(A1)", "=EXP(A1*400)", "=LN(A1)", "=LOG10(A1)", "=LOG(A1,2)", "=LOG(A4+1)", "=SQRT(A1)", "=INT(A1*3)",
    "=MOD(A1*10,3)", "=MOD(A1,A3)", "=SIGN(A1)", "=ROUND(A1*1000,2)", "=ROUND(A1,0)", "=ROUNDUP(A1*100,-1)",
    "=ROUNDDOWN(A1,1)", "=TRUNC(A1*7)", "=ROUND(A3*2.5,0)", "=POWER(A4,3)",
    "=IF(A1>0,A1,-A1)", "=IF(A1>0,1)", "=IF(A3,A1,A2)", "=IF(C1>0,A1,1/0)", "=IFERROR(1/A3,-1)",
    "=IFERROR(LN(A1),0)", "=AND(A1>0,A4<0.5)", "=OR(A1>1,A3=0)", "=NOT(A1>0)", "=AND(D1:D3)",
    "=ISERROR(LN(A1))", "=ISNUMBER(LN(A1))", "=SUM(A1:A4)", "=SUM(A1,2,TRUE)", "=SUM(D1:D3)",
    "=AVERAGE(A1:A4,5)", "=MIN(A1,A2,A4)", "=MAX(A1:A4)", "=MAX(A1,A3/0)", "=PRODUCT(A1:A2,3)",
    "=A1>A2", "=A1=A3", "=A1<>0", "=(A1>0)+(A2>0)", "=A3<=0", "=A4>=0.5", "=NPV(A2,100,200,A1*100)",
    "=NPV(0.1,E1:E5)", "=IRR(E1:E5)", "=IRR(E1:E5,0.2)", "=PMT(A2/12,360,100000)", "=PV(A2,10,-1000,0,1)",
    "=FV(A2,10,-100,-1000)", "=PMT(A2,12,1000,,1)", "=SUM(C1:C3)*A1", "=A1*C4", "=A1+C5", "=IF(A1>0,C1,C2)",
    "=GF.OUTPUT(A1*2,\"twice\")", "=A1*GF.MEAN(A1)", "=(A1+A2)*(A1-A2)/(1+A4)",
    "=IFS(A1>1,1,A1>0,2,A3=0,A4)", "=SWITCH(A3,-1,A1,0,A2,99)", "=SWITCH(A3,1,A4)", "=CHOOSE(A3+2,A1,A2,A4)",
    "=CHOOSE(A3+1.5,A1,A2)", "=SUMPRODUCT(E1:E5,E1:E5)", "=SUMPRODUCT(D1:D3)", "=SUMPRODUCT(A1:A2,C1:C2)",
]


def _ops_model():
    cells = dict(BASE)
    for i, f in enumerate(FORMULAS, start=1):
        cells[f"B{i}"] = f
    return make_model(cells)


def _outputs():
    return [f"B1:B{len(FORMULAS)}"]


def _same(a: np.ndarray, b: np.ndarray, rel: float) -> bool:
    """Same errors (NaN) scenario by scenario, values within ``rel``."""
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return False
    ok = ~np.isnan(a)
    scale = np.maximum(np.abs(a[ok]), 1e-9)
    return bool(np.all(np.abs(a[ok] - b[ok]) <= rel * scale))


@pytest.fixture(scope="module")
def runs():
    m = _ops_model()
    out = {}
    for be in ("interpreter", "numpy", "numba"):
        out[be] = m.simulate(3000, seed=11, sampling="mc", outputs=_outputs(), backend=be)
    return out


def test_every_operation_compiles(runs):
    assert runs["numpy"].backend == "numpy" and runs["numba"].backend == "numba"
    assert not [w for w in runs["numpy"].warnings if "interpreter" in w]


# where the interpreter's NumPy fast path and Excel disagree, the compiled
# path follows Excel (and the interpreter's scalar path): 0^0 is #NUM! (the
# vector path gives 1); a logical typed into SUM counts (the block kernel
# drops it)
EXCEL_NOT_INTERPRETER = {"=0^A3", "=SUM(A1,2,TRUE)"}


@pytest.mark.parametrize("i", range(len(FORMULAS)))
def test_operation_matches_the_interpreter_per_scenario(runs, i):
    if FORMULAS[i] in EXCEL_NOT_INTERPRETER:
        pytest.skip("the interpreter's vector path differs from Excel here")
    addr = f"Sheet1!B{i + 1}"
    ref = runs["interpreter"].output(addr)
    for be in ("numpy", "numba"):
        got = runs[be].output(addr)
        assert _same(ref.values, got.values, 1e-9), (FORMULAS[i], be, ref.values[:5], got.values[:5])
        assert got.errors == ref.errors, (FORMULAS[i], be)


def test_zero_to_the_zero_is_an_error_per_scenario(runs):
    a3 = runs["numba"].inputs[2].values
    for be in ("numpy", "numba"):
        y = runs[be].output(f"Sheet1!B{FORMULAS.index('=0^A3') + 1}").values
        assert np.all(np.isnan(y[a3 <= 0])) and np.all(y[a3 == 1] == 0.0)
        y = runs[be].output(f"Sheet1!B{FORMULAS.index('=SUM(A1,2,TRUE)') + 1}").values
        assert np.array_equal(y, runs[be].inputs[0].values + 2.0 + 1.0)


def test_backends_agree_to_1e_12(runs):
    for a, b in zip(runs["numpy"].outputs, runs["numba"].outputs):
        assert _same(a.values, b.values, 1e-12), a.address


def test_inputs_are_recorded_like_the_interpreter(runs):
    for a, b in zip(runs["interpreter"].inputs, runs["numba"].inputs):
        assert np.array_equal(a.values, b.values)


# --- cone, groups, levels -----------------------------------------------------------------

def test_stochastic_cone_and_folding():
    m = make_model({"A1": "=GF.NORMAL(0,1)", "B1": "=A1*2", "C1": "=5*3", "D1": "=B1+C1", "E1": "=C1+1",
                    "F1": "=A1+1"})
    m.calculate()
    plan = plan_simulation(m, ["D1"])
    g = m.build_graph()
    cone = C.stochastic_cone(g, {(0, 1, 1)})
    assert cone == {(0, 1, 1), (0, 1, 2), (0, 1, 4), (0, 1, 6)}
    assert C.needed_cells(g, [(0, 1, 4)], cone) == {(0, 1, 1), (0, 1, 2), (0, 1, 4)}   # F1 is not needed
    prog = compile_plan(m, plan)
    assert prog.stats["compiled"] == 3 and prog.stats["folded"] == 3
    assert 15.0 in prog.const_values      # C1 folded once


def test_copied_formulas_are_one_block_and_a_running_balance_keeps_its_order():
    cells = {"A1": "=GF.NORMAL(0.05,0.01)"}
    rows = 50
    for r in range(2, rows + 2):
        cells[f"A{r}"] = 100.0 + r
        for c in "BCDEFGHIJK":
            prev = chr(ord(c) - 1)
            cells[f"{c}{r}"] = f"={prev}{r}*(1+$A$1)"
    cells["L1"] = f"=SUM(K2:K{rows + 1})"
    m = make_model(cells)
    m.calculate()
    plan = plan_simulation(m, ["L1"])
    prog = compile_plan(m, plan)
    assert prog.stats["levels"] == 12           # the input, ten dependent columns, the total
    assert prog.stats["groups"] == 12
    blocks = [ins for ins in prog.instrs if ins.m == rows]
    assert len(blocks) == 10                   # one multiply per column over all rows
    res = {be: m.simulate(500, seed=2, outputs=["L1"], backend=be) for be in ("interpreter", "numpy", "numba")}
    ref = res["interpreter"].outputs[0].values
    assert _same(ref, res["numpy"].outputs[0].values, 1e-12)
    assert _same(ref, res["numba"].outputs[0].values, 1e-12)


def test_group_splits_when_members_differ_in_type():
    # the same R1C1 formula reads a number in one row and a logical in the other
    m = make_model({"A1": "=GF.UNIFORM(0,1)", "C1": 2.0, "C2": True, "B1": "=$A$1=C1", "B2": "=$A$1=C2",
                    "D1": "=SUM(B1:B2)+B1+B2"})
    r = m.simulate(200, seed=1, outputs=["D1", "B1", "B2"], backend="numpy")
    ref = m.simulate(200, seed=1, outputs=["D1", "B1", "B2"], backend="interpreter")
    assert r.backend == "numpy" or any("comparison" in w for w in r.warnings)
    for a, b in zip(ref.outputs, r.outputs):
        assert _same(a.values, b.values, 1e-12)


# --- fallback -------------------------------------------------------------------------------

def test_unsupported_cone_cell_falls_back_to_the_interpreter_and_says_why():
    m = make_model({"A1": "=GF.NORMAL(0,1)", "B1": '=IF(A1>0,"up","down")', "C1": '=IF(B1="up",1,0)'})
    r = m.simulate(300, seed=1, outputs=["C1"], backend="numba")
    assert r.backend == "interpreter"
    assert any("Sheet1!B1" in w and "interpreter" in w for w in r.warnings)
    assert 0.3 < np.mean(r.outputs[0].values) < 0.7


def test_implicit_intersection_of_a_column_range():
    m = make_model({"A1": "=GF.UNIFORM(0,1)", "A2": "=GF.UNIFORM(0,1)", "A3": 5.0,
                    "F1": "=A$1:A$3*2", "F2": "=A$1:A$3*2", "F3": "=A$1:A$3*2", "F5": "=A$1:A$3*2"})
    ref = m.simulate(200, seed=1, outputs=["F1:F3", "F5"], backend="interpreter")
    r = m.simulate(200, seed=1, outputs=["F1:F3", "F5"], backend="numpy")
    assert r.backend == "numpy"
    for a, b in zip(ref.outputs, r.outputs):
        assert _same(a.values, b.values, 1e-12) and a.errors == b.errors


def test_compile_error_names_the_cell():
    m = make_model({"A1": "=GF.NORMAL(0,1)", "B1": "=VLOOKUP(A1,C1:D2,2)", "C1": 0.0, "D1": 1.0, "C2": 1.0,
                    "D2": 2.0})
    m.calculate()
    with pytest.raises(CompileError, match=r"Sheet1!B1.*VLOOKUP"):
        compile_plan(m, plan_simulation(m, ["B1"]))


def test_unsupported_cell_that_no_output_needs_does_not_block_compilation():
    m = make_model({"A1": "=GF.NORMAL(0,1)", "B1": "=A1*2", "C1": '=TEXT(A1,"0.00")'})
    r = m.simulate(300, seed=1, outputs=["B1"], backend="numpy")
    assert r.backend == "numpy"


def test_locked_input_is_a_constant():
    m = make_model({"A1": "=GF.NORMAL(10,1,GF.LOCK())", "A2": "=GF.NORMAL(0,1)", "B1": "=A1+A2"})
    ref = m.simulate(300, seed=4, outputs=["B1"], backend="interpreter")
    r = m.simulate(300, seed=4, outputs=["B1"], backend="numba")
    assert r.backend == "numba"
    assert _same(ref.outputs[0].values, r.outputs[0].values, 1e-12)
    assert np.array_equal(np.isnan(ref.inputs[0].values), np.isnan(r.inputs[0].values))


# --- whole workbooks, chunking, memory ------------------------------------------------------

def test_template_workbook_same_statistics_on_every_backend():
    m = engine.load(TEMPLATE)
    res = {be: m.simulate(4000, seed=7, backend=be) for be in ("interpreter", "numpy", "numba")}
    assert res["numba"].backend == "numba" and res["numpy"].backend == "numpy"
    for name, d in res["interpreter"].statistics().items():
        for be in ("numpy", "numba"):
            e = res[be].statistics()[name]
            assert e["count"] == d["count"]
            assert abs(e["mean"] - d["mean"]) <= 1e-9 * abs(d["mean"])
            assert abs(e["percentiles"]["P5"] - d["percentiles"]["P5"]) <= 1e-9 * abs(d["percentiles"]["P5"])
    a, b = res["numpy"], res["numba"]
    for x, y in zip(a.outputs, b.outputs):
        ok = np.isfinite(x.values)
        assert np.array_equal(ok, np.isfinite(y.values))
        assert np.max(np.abs(x.values[ok] - y.values[ok])) <= 1e-12 * np.max(np.abs(x.values[ok]))
    # statistics cells read the compiled run's results
    assert isinstance(b.statistic_cells["CashFlow!B25"], float)


def test_chunking_does_not_change_any_iteration():
    m = engine.load(TEMPLATE)
    a = m.simulate(3000, seed=9, backend="numba")
    b = m.simulate(3000, seed=9, backend="numba", chunk_size=701)
    for x, y in zip(a.outputs, b.outputs):
        assert np.array_equal(x.values, y.values, equal_nan=True)


@pytest.mark.parametrize("method", ["lhs", "mc"])
def test_fused_block_draws_equal_drawing_each_input_alone(method):
    """Normals, RAND and uniforms are drawn a block at a time by one compiled
    call; the values must be those of the one-input path, across a block
    boundary and whatever the chunking, with other kinds mixed in."""
    from engine.compile.runner import InputDraws, draw, fused_draw
    from engine.montecarlo.sampling import BLOCK, UniformSource
    specs = [ir.InputSpec(0, "dist", "NORMAL", [0.03, 0.01]), ir.InputSpec(1, "rand"),
             ir.InputSpec(2, "uniform", lo=-2.0, hi=5.0), ir.InputSpec(3, "dist", "TRIANGULAR", [0.0, 1.0, 3.0]),
             ir.InputSpec(4, "dist", "NORMAL", [1.0, 0.5], truncate=(0.0, 2.0)), ir.InputSpec(5, "randbetween", lo=1, hi=6),
             ir.InputSpec(6, "dist", "NORMAL", [-4.0, 0.0])]
    assert [fused_draw(s) is not None for s in specs] == [True, True, True, False, False, False, True]
    n = BLOCK + 5000
    ids, seeds = [101, 202, 303, 404, 505, 606, 707], [None, None, 9, None, None, None, None]
    src = UniformSource(method, 42, n, ids, seeds)
    draws = InputDraws(src, specs)
    assert len(draws.fused) == 4
    pieces = [draws(a, b) for a, b in ((0, 1000), (1000, BLOCK - 7), (BLOCK - 7, BLOCK + 3), (BLOCK + 3, n))]
    got = np.concatenate(pieces, axis=1)
    for j, spec in enumerate(specs):
        alone = UniformSource(method, 42, n, [ids[j]], [seeds[j]])
        want = draw(spec, alone.draws(0, n)[:, 0])
        assert np.array_equal(got[j], want), spec
    draws.close()


def test_keep_inputs_false_keeps_only_the_outputs():
    m = engine.load(TEMPLATE)
    r = m.simulate(2000, seed=1, backend="numba", keep_inputs=False)
    assert all(inp.values.size == 0 for inp in r.inputs)
    assert all(o.values.size == 2000 for o in r.outputs)


def test_numba_kernel_is_cached_on_disk():
    """A second process compiles nothing: every kernel comes from the cache."""
    engine.load(TEMPLATE).simulate(500, seed=1, backend="numba")     # make sure the cache is written
    code = ("import engine, engine.compile.backend_numba as B\n"
            "engine.load(%r).simulate(500, seed=1, backend='numba')\n"
            "fs=[B._run_tiles,B._exec,B._unary,B._binary,B._five,B._lists,B.irr_scalar]\n"
            "print(sum(sum(f.stats.cache_misses.values()) for f in fs),"
            "sum(sum(f.stats.cache_hits.values()) for f in fs))" % str(TEMPLATE))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    misses, hits = map(int, out.stdout.split())
    assert misses == 0 and hits >= 1, out.stderr


@pytest.mark.skipif(not gpu_available(), reason="no CUDA GPU / CuPy here")
def test_cupy_backend_matches_numpy():
    m = engine.load(TEMPLATE)
    a = m.simulate(5000, seed=3, backend="numpy")
    b = m.simulate(5000, seed=3, backend="cupy")
    assert b.backend == "cupy"
    for x, y in zip(a.outputs, b.outputs):
        ok = np.isfinite(x.values)
        assert np.max(np.abs(x.values[ok] - y.values[ok])) <= 1e-12 * np.max(np.abs(x.values[ok]))


def test_cupy_request_without_gpu_falls_back_cleanly():
    if gpu_available():
        pytest.skip("a GPU is present")
    m = engine.load(TEMPLATE)
    r = m.simulate(500, seed=3, backend="cupy")
    assert r.backend in ("numba", "numpy")
    assert any("cupy" in w for w in r.warnings)


def test_program_layout_reuses_dead_slots():
    m = make_model({"A1": "=GF.NORMAL(1,0.1)", **{f"B{i}": f"=B{i - 1}*A1" for i in range(2, 200)},
                    "B1": "=A1"})
    m.calculate()
    prog = compile_plan(m, plan_simulation(m, ["B199"]))
    assert prog.n_slots < 20                   # 198 chained products in a handful of registers
    X = np.full((1, 4), 1.01)
    assert np.allclose(make_backend("numpy", prog).run(X)[0], 1.01 ** 199)
    assert np.allclose(make_backend("numba", prog).run(X)[0], 1.01 ** 199)


def test_cli_backend_option(tmp_path, capsys):
    from gridflow.cli import main
    rc = main(["simulate", str(TEMPLATE), "-n", "1500", "--seed", "2", "--backend", "numpy", "--json", "-q"])
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert data["backend"] == "numpy"
    rc = main(["simulate", str(TEMPLATE), "-n", "1500", "--seed", "2", "--backend", "interpreter", "--json", "-q"])
    ref = json.loads(capsys.readouterr().out)
    assert ref["backend"] == "interpreter"
    for name, d in ref["statistics"].items():
        assert abs(data["statistics"][name]["mean"] - d["mean"]) <= 1e-9 * abs(d["mean"])


def test_ir_opcodes_are_distinct():
    codes = [v for k, v in vars(ir).items() if k.isupper() and isinstance(v, int) and k not in
             ("CONST", "INPUT", "CELL", "SCRATCH")]
    assert len(codes) == len(set(codes))


def test_dynamic_references_fall_back_to_the_interpreter():
    m = make_model({"A1": "=GF.NORMAL(0,1)", "B1": '=INDIRECT("A1")*2', "C1": "=B1+1"})
    r = m.simulate(200, seed=1, outputs=["C1"], backend="numpy")
    assert r.backend == "interpreter" and any("INDIRECT" in w for w in r.warnings)
    ref = m.simulate(200, seed=1, outputs=["C1"], backend="interpreter")
    assert np.array_equal(r.outputs[0].values, ref.outputs[0].values)
