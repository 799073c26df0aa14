"""RANDARRAY in Monte Carlo simulations: one random input per element, each
element a per-scenario vector (spills, and works inside SUM/INDEX...)."""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.montecarlo.simulate import SimulationError
from engine.values import Array
from tests.formula_helpers import make_model
from tests.xlsx_fixtures import MAIN_NS, XML_DECL, build_workbook

N = 20_000

# cell metadata marking a formula as a dynamic (spilling) array, as Excel writes it
_DYNAMIC_METADATA = (
    f'{XML_DECL}<metadata xmlns="{MAIN_NS}" '
    'xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray">'
    '<metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion="120000" copy="1" '
    'pasteAll="1" pasteValues="1" merge="1" splitFirst="1" rowColShift="1" clearFormats="1" '
    'clearComments="1" assign="1" coerce="1" cellMeta="1"/></metadataTypes>'
    '<futureMetadata name="XLDAPR" count="1">'
    '<bk><extLst><ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}">'
    '<xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/></ext></extLst></bk>'
    '</futureMetadata>'
    '<cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata>'
    '</metadata>')

SPILL = ["Sheet1!D1", "Sheet1!E1", "Sheet1!D2", "Sheet1!E2"]


def _workbook(tmp_path):
    """A1: =GF_OUTPUT(SUM(RANDARRAY(1,4)),"Sum4"); D1:E2: =RANDARRAY(2,2,10,20,TRUE)
    spilled; B1: =INDEX(RANDARRAY(3),2); B2: =AVERAGE(D1#)."""
    body = ('<sheetData>'
            '<row r="1"><c r="A1"><f>GF_OUTPUT(SUM(_xlfn.RANDARRAY(1,4)),"Sum4")</f><v>2</v></c>'
            '<c r="B1"><f>INDEX(_xlfn.RANDARRAY(3),2)</f><v>0.5</v></c>'
            '<c r="D1" cm="1"><f t="array" ref="D1:E2">_xlfn.RANDARRAY(2,2,10,20,TRUE)</f><v>15</v></c>'
            '<c r="E1"><v>15</v></c></row>'
            '<row r="2"><c r="B2"><f>AVERAGE(_xlfn.ANCHORARRAY(D1))</f><v>15</v></c>'
            '<c r="D2"><v>15</v></c><c r="E2"><v>15</v></c></row>'
            '</sheetData>')
    return build_workbook(tmp_path / "randarray.xlsx", {"Sheet1": body}, metadata=_DYNAMIC_METADATA)


def _run(path, n=N, **kw):
    m = engine.load(path)
    return m.simulate(n, outputs=SPILL + ["Sheet1!B1", "Sheet1!B2"], **kw)


def test_randarray_elements_are_random_inputs(tmp_path):
    r = _run(_workbook(tmp_path), seed=11)
    names = [i.name for i in r.inputs]
    assert names[:4] == [f"Sheet1!A1[1,{c}]" for c in range(1, 5)]
    assert [x for x in names if x.startswith("Sheet1!D1")] == \
        ["Sheet1!D1[1,1]", "Sheet1!D1[1,2]", "Sheet1!D1[2,1]", "Sheet1!D1[2,2]"]
    assert sum(x.startswith("Sheet1!B1") for x in names) == 3
    assert all(i.function == "RANDARRAY" for i in r.inputs)
    # the spilled array is not compiled: the interpreter ran it, saying why
    assert r.backend == "interpreter" and any("D1" in w and "not compiled" in w for w in r.warnings)

    s = r.output("Sum4").values
    assert s.size == N and np.unique(s).size > N * 0.99      # a different array in every scenario
    assert abs(s.mean() - 2.0) < 4 * np.sqrt(4 / 12 / N)
    assert abs(s.var() - 4 / 12) < 0.04 * (4 / 12)
    ins = {i.name: i.values for i in r.inputs}
    assert np.allclose(s, sum(ins[f"Sheet1!A1[1,{c}]"] for c in range(1, 5)))
    for c in range(1, 5):
        u = ins[f"Sheet1!A1[1,{c}]"]
        assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    # independent streams: the elements are uncorrelated
    corr = np.corrcoef([ins[f"Sheet1!A1[1,{c}]"] for c in range(1, 5)])
    assert np.abs(corr - np.eye(4)).max() < 0.05

    for addr, name in zip(SPILL, ["Sheet1!D1[1,1]", "Sheet1!D1[1,2]", "Sheet1!D1[2,1]", "Sheet1!D1[2,2]"]):
        x = r.output(addr).values
        assert r.output(addr).errors == 0
        assert np.array_equal(x, ins[name])
        assert x.min() >= 10 and x.max() <= 20 and np.all(x == np.floor(x))
        freq = np.array([np.mean(x == v) for v in range(10, 21)])
        assert np.abs(freq - 1 / 11).max() < 0.01
    # INDEX(RANDARRAY(3),2) is the second element; AVERAGE(D1#) the spill's mean
    assert np.array_equal(r.output("Sheet1!B1").values, ins["Sheet1!B1[2,1]"])
    spill_mean = np.mean([r.output(a).values for a in SPILL], axis=0)
    assert np.allclose(r.output("Sheet1!B2").values, spill_mean)


def test_same_seed_reproduces_randarray_across_chunk_sizes(tmp_path):
    p = _workbook(tmp_path)
    a = _run(p, 3000, seed=5, chunk_size=3000)
    b = _run(p, 3000, seed=5, chunk_size=700)
    c = _run(p, 3000, seed=6, chunk_size=3000)
    for oa, ob, oc in zip(a.outputs, b.outputs, c.outputs):
        assert np.array_equal(oa.values, ob.values) and not np.array_equal(oa.values, oc.values)
    for ia, ib in zip(a.inputs, b.inputs):
        assert ia.name == ib.name and np.array_equal(ia.values, ib.values)


@pytest.mark.parametrize("sampling", ["lhs", "mc", "sobol", "hdr"])
def test_compiled_randarray_in_aggregates_matches_the_interpreter(sampling):
    cells = {"A1": "=GF.OUTPUT(SUM(RANDARRAY(1,4)),\"S\")",
             "A2": "=GF.OUTPUT(MAX(RANDARRAY(2,1,5,6))+RANDARRAY(1,1,0,10,TRUE),\"M\")"}
    comp = make_model(cells).simulate(4096, seed=3, sampling=sampling, backend="numpy")
    interp = make_model(cells).simulate(4096, seed=3, sampling=sampling, backend="interpreter")
    assert comp.backend == "numpy" and interp.backend == "interpreter"
    for o1, o2 in zip(comp.outputs, interp.outputs):
        assert np.allclose(o1.values, o2.values, rtol=0, atol=1e-12)
    assert len(comp.inputs) == 7 and [i.name for i in comp.inputs] == [i.name for i in interp.inputs]
    s = comp.output("S").values
    assert abs(s.mean() - 2) < 0.05 and abs(s.var() - 4 / 12) < 0.05


def test_randarray_size_must_be_fixed_and_bounded():
    with pytest.raises(SimulationError, match=r"Sheet1!B1.*RANDARRAY.*depend on random"):
        make_model({"A1": "=RAND()*3+1", "B1": "=GF.OUTPUT(SUM(RANDARRAY(A1)))"}).simulate(100, seed=1)
    with pytest.raises(SimulationError, match=r"Sheet1!B1.*depend on random"):
        make_model({"B1": "=GF.OUTPUT(SUM(RANDARRAY(2,RANDBETWEEN(1,3))))"}).simulate(100, seed=1)
    with pytest.raises(SimulationError, match=r"Sheet1!B1: RANDARRAY\(200, 200\).*40,000"):
        make_model({"B1": "=GF.OUTPUT(SUM(RANDARRAY(200,200)))"}).simulate(100, seed=1)


def test_randarray_bounds_errors_and_random_bounds():
    m = make_model({"A1": "=GF.NORMAL(0,1)", "B1": "=GF.OUTPUT(SUM(RANDARRAY(2,1,5,3))+A1)",
                    "B2": "=GF.OUTPUT(SUM(RANDARRAY(2,1,1.5,3,TRUE))+A1)",
                    "B3": "=GF.OUTPUT(SUM(RANDARRAY(2,1,A1,A1+1)))"})
    r = m.simulate(2000, seed=1)
    assert r.output("Sheet1!B1").errors == 2000 and r.output("Sheet1!B2").errors == 2000
    # bounds that depend on random cells: not compiled, mapped per scenario
    assert r.backend == "interpreter"
    a1 = r.inputs[0].values
    b3 = r.output("Sheet1!B3").values
    lo = [i.values for i in r.inputs if i.name.startswith("Sheet1!B3")]
    assert len(lo) == 2 and np.all((lo[0] >= a1) & (lo[0] <= a1 + 1))
    assert np.allclose(b3, lo[0] + lo[1])


def test_outside_a_simulation_randarray_is_a_volatile_array():
    m = make_model({"D1:E2": "#=RANDARRAY(2,2,10,20,TRUE)", "A1": "=SUM(RANDARRAY(1,4))"})
    m.calculate()
    vals = [m.value(a) for a in ("D1", "E1", "D2", "E2")]
    assert all(isinstance(v, float) and 10 <= v <= 20 and v == int(v) for v in vals)
    assert 0 <= m.value("A1") <= 4
    r = m.simulate(500, seed=2, outputs=["A1"])
    assert len(r.inputs) == 8 and np.unique(r.output("Sheet1!A1").values).size == 500
    m.calculate()        # after the run: plain values again
    assert isinstance(m.value("A1"), float) and 10 <= m.value("D1") <= 20
