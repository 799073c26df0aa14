"""The classic desktop module (udfs/xlwings_udfs.py) on Linux: its functions
compute the engine's values, the Simulate macro runs on a workbook opened
through a stand-in xlwings Book, and xlwings' "Import Functions" (with the
Windows COM layer stubbed) writes the expected VBA wrappers."""
from __future__ import annotations

import math
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import udfs.xlwings_udfs as gf
from udfs import classic, registry
from udfs.core import CallError

ROOT = Path(__file__).resolve().parents[2]


def test_distributions_return_their_means():
    from tests.formula_helpers import evaluate_formula
    assert gf.GF_NORMAL(0.03, 0.01) == pytest.approx(0.03)
    assert gf.GF_PERT(0.03, 0.05, 0.12) == pytest.approx(evaluate_formula("GF.PERT(0.03,0.05,0.12)"))
    assert gf.GF_PERT(0.0, 1.0, 3.0, 2.0) == pytest.approx((0 + 2 * 1 + 3) / 4)         # optional shape
    name = gf.GF_NAME("Vacancy")
    assert name == 'GF.NAME["Vacancy"]'
    assert gf.GF_PERT(0.03, 0.05, 0.12, name) == pytest.approx(evaluate_formula("GF.PERT(0.03,0.05,0.12)"))
    assert gf.GF_NORMAL(100.0, 10.0, gf.GF_TRUNCATE(90.0, 130.0), gf.GF_NAME("x")) == pytest.approx(
        evaluate_formula("GF.NORMAL(100,10,GF.TRUNCATE(90,130))"))
    assert gf.GF_DISCRETE([[1.0, 2.0, 3.0]], [[0.2, 0.3, 0.5]]) == pytest.approx(2.3)
    assert gf.GF_EMPIRICAL([[1.0], [2.0], [None], [6.0]]) == pytest.approx(3.0)
    assert gf.GF_POISSON(4.0) == 4.0
    assert gf.GF_LOGNORMAL(10.0, 2.0, gf.GF_SHIFT(1.0)) == pytest.approx(11.0)
    assert gf.GF_OUTPUT(42.0, "answer") == 42.0
    assert gf.GF_SIMTABLE([[5.0, 6.0]]) == 5.0


def test_wrong_arguments_raise_with_the_excel_error():
    with pytest.raises(CallError) as e:
        gf.GF_NORMAL("abc", 1.0)
    assert e.value.code == "#VALUE!" and "mean must be a number" in e.value.message
    with pytest.raises(CallError) as e:
        gf.GF_NORMAL(1.0, -1.0)
    assert e.value.code == "#NUM!"
    with pytest.raises(CallError):
        gf.GF_NORMAL(1.0, 1.0, "not a property")


def test_every_classic_function_has_xlwings_decorations_shape():
    # the Python signatures VBA will see: required, optional (=None) and *args parameters
    import inspect
    for f in registry.functions():
        if f.stream:
            assert not hasattr(gf, f.classic_name)
            continue
        fn = getattr(gf, f.classic_name)
        sig = inspect.signature(fn)
        kinds = [p.kind for p in sig.parameters.values()]
        assert kinds.count(inspect.Parameter.VAR_POSITIONAL) == (1 if f.params and f.params[-1].repeating else 0)
        has_default = any(p.default is not inspect.Parameter.empty for p in sig.parameters.values())
        assert not (has_default and inspect.Parameter.VAR_POSITIONAL in kinds), f.classic_name


# --- a stand-in for xlwings' Book/Sheet/Range, as the COM layer would give them ----------------------

class FakeRange:
    def __init__(self, sheet, address="$A$1"):
        self.sheet = sheet
        self.address = address

    @property
    def value(self):
        return self.sheet.cells.get(self.address)

    @value.setter
    def value(self, v):
        self.sheet.cells[self.address] = v


class FakeSheet:
    def __init__(self, book, name):
        self.book, self.name, self.cells, self.cleared = book, name, {}, 0

    def range(self, address):
        return FakeRange(self, address)

    def clear(self):
        self.cells.clear()
        self.cleared += 1


class FakeSheets(list):
    def __init__(self, book, names):
        super().__init__(FakeSheet(book, n) for n in names)
        self.book = book

    def __getitem__(self, key):
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return list.__getitem__(self, key)

    def add(self, name, after=None):
        s = FakeSheet(self.book, name)
        self.append(s)
        return s


class FakeApi:
    def __init__(self, src):
        self.src = src
        self.saved = []

    def SaveCopyAs(self, target):                  # noqa: N802  (Excel's COM name)
        shutil.copyfile(self.src, target)
        self.saved.append(target)


class FakeApp:
    def __init__(self):
        self.status_bar = None
        self.calculated = 0

    def calculate(self):
        self.calculated += 1


class FakeBook:
    def __init__(self, path: Path):
        self.name = path.name
        self.fullname = str(path)
        self.api = FakeApi(path)
        self.app = FakeApp()
        import engine
        self.sheets = FakeSheets(self, engine.load(path).sheet_names)


def test_simulate_macro_and_statistics_on_a_stand_in_book(tmp_path, monkeypatch, dcf_file):
    monkeypatch.setenv("GRIDFLOW_CLASSIC_RESULTS", str(tmp_path / "results"))
    book_path = tmp_path / "montecarlo_dcf.xlsx"
    shutil.copyfile(dcf_file, book_path)
    book = FakeBook(book_path)
    summary = classic.simulate(2000, seed=4, book=book)
    assert book.api.saved and book.app.calculated == 1 and book.app.status_bar is False
    sheet = book.sheets["GridFlow Results"]
    values = sheet.cells["A1"]
    assert values[0][0] == "GridFlow simulation results"
    out = summary["outputs"][0]                                    # e.g. the levered IRR in CashFlow!B18
    assert any(row[0] == out["name"] for row in values)
    assert len({len(r) for r in values}) == 1                      # rectangular block

    def rng(address):
        sheet, cell = address.split("!")
        col = cell.rstrip("0123456789")
        return FakeRange(book.sheets[sheet], f"${col}${cell[len(col):]}")

    mean = gf.GF_MEAN(rng(out["address"]))
    assert mean == pytest.approx(out["statistics"]["mean"], rel=1e-12)
    p5 = gf.GF_PERCENTILE(rng(out["address"]), 0.05)
    assert p5 == pytest.approx(out["statistics"]["percentiles"]["P5"], rel=1e-12)
    assert 0 <= gf.GF_PROB(rng(out["address"]), out["statistics"]["mean"]) <= 1
    corr = gf.GF_CORREL(rng(summary["inputs"][0]["address"]), rng(out["address"]))
    assert -1 <= corr <= 1
    lo, hi = gf.GF_MEANCI(rng(out["address"])), gf.GF_MEANCI(rng(out["address"]), 0.95, True)
    assert lo < mean < hi
    with pytest.raises(CallError) as e:
        gf.GF_MEAN(FakeRange(book.sheets[0], "$XFD$1"))
    assert e.value.code == "#N/A"
    # the same numbers as the engine run directly with that seed
    import engine
    direct = engine.load(book_path).simulate(2000, seed=4)
    assert math.isclose(direct.statistics()[out["name"]]["mean"], mean, rel_tol=1e-12)


def test_static_copy_macro(tmp_path, dcf_file):
    book_path = tmp_path / "montecarlo_dcf.xlsx"
    shutil.copyfile(dcf_file, book_path)
    out = Path(classic.static_copy(book=FakeBook(book_path)))
    assert out.name == "montecarlo_dcf (static).xlsx" and out.exists()
    import engine
    m = engine.load(out)
    text = " ".join(m.formula_text(k) for k in m.formulas)
    assert "GF.NORMAL" not in text


def test_solve_macro_writes_the_answer_and_keeps_the_solution(tmp_path):
    import engine
    src = Path(__file__).resolve().parents[2] / "workbooks" / "deal_picker.xlsx"
    if not src.exists():
        from workbooks.optimize_templates import build_deal_picker
        build_deal_picker(src)
    book_path = tmp_path / "deal_picker.xlsx"
    shutil.copyfile(src, book_path)
    book = FakeBook(book_path)
    results = classic.solve(book=book)
    direct = engine.load(book_path).solve(keep=False)
    assert results["code"] == 0 and results["objective"] == pytest.approx(direct.objective, rel=1e-9)
    block = book.sheets["GridFlow Solve"].cells["A1"]
    assert block[0][0] == "GridFlow Solve" and len({len(r) for r in block}) == 1
    assert any(row[0] == "Objective" and row[1] == pytest.approx(direct.objective) for row in block)
    # Keep Solver Solution: every decision cell now holds its final value
    for address, value in direct.values().items():
        sheet, cell = address.rsplit("!", 1)
        assert book.sheets[sheet.strip("'")].cells[cell.replace("$", "")] == pytest.approx(value, abs=1e-9)
    assert book.app.status_bar is False and book.app.calculated == 1


def test_waterfall_macro_writes_the_reference_example():
    book = FakeBook(Path(__file__).resolve().parents[2] / "workbooks" / "montecarlo_dcf.xlsx")
    results = classic.waterfall("re", book=book)
    block = book.sheets["GridFlow Waterfall"].cells["A1"]
    assert block[0][0].startswith("GridFlow Waterfall")
    # RE-2: LP IRR 12.134%, GP IRR 20.335%
    assert results["summary"]["LP"]["irr"]["mean"] == pytest.approx(0.12134, abs=5e-6)
    assert results["summary"]["GP"]["irr"]["mean"] == pytest.approx(0.20335, abs=5e-6)
    with pytest.raises(ValueError, match="kind"):
        classic.waterfall("nope", book=book)


VBA_SCRIPT = textwrap.dedent("""
    import io, sys, types
    # stand-ins for pywin32, so xlwings' classic (Windows) UDF layer imports on Linux
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.CoInitialize = lambda: None
    pythoncom.IID_IDispatch = None
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.com_error = type("com_error", (Exception,), {})
    win32com = types.ModuleType("win32com")
    client = types.ModuleType("win32com.client")
    client.Dispatch = lambda *a, **k: None
    win32com.client = client
    sys.modules.update({"pythoncom": pythoncom, "pywintypes": pywintypes, "win32com": win32com,
                        "win32com.client": client})
    import xlwings
    import xlwings.udfs as classic
    xlwings.func, xlwings.arg, xlwings.ret, xlwings.sub = classic.xlfunc, classic.xlarg, classic.xlret, classic.xlsub
    import udfs.xlwings_udfs as mod
    class Workbook:
        Name = "Model.xlsm"
    buf = io.StringIO()
    classic.generate_vba_wrapper("udfs.xlwings_udfs", mod, buf, Workbook())
    sys.stdout.write(buf.getvalue())
    sys.stdout.write("\\n#XLFUNC " + repr(mod.GF_MEAN.__xlfunc__["args"][0]["options"]))
    sys.stdout.write("\\n#CATEGORY " + mod.GF_NORMAL.__xlfunc__["category"])
""")


def test_import_functions_writes_the_vba_wrappers():
    pytest.importorskip("xlwings", reason="xlwings is not installed (pip install xlwings)")
    r = subprocess.run([sys.executable, "-c", VBA_SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    vba = r.stdout
    names = re.findall(r"^Function (\w+)\(", vba, re.M)
    expected = sorted(f.classic_name for f in registry.functions() if not f.stream)
    assert sorted(names) == expected
    assert "Function GF_NORMAL(mean, sd, ParamArray properties())" in vba
    assert "Function GF_PERT(min, mode, max, ParamArray shape_and_properties())" in vba
    assert "Function GF_MEANCI(cell, Optional level, Optional upper)" in vba
    assert "Function GF_POISSON(lambda_, ParamArray properties())" in vba
    assert 'GF_MEAN = XLPy.CallUDF("udfs.xlwings_udfs", "GF_MEAN", Array(cell), ThisWorkbook, Application.Caller)' \
        in vba
    assert "#XLFUNC {'convert': 'range'}" in vba
    assert "#CATEGORY GridFlow" in vba

