"""The add-in's JavaScript in headless Chromium (Debian's `chromium` driven by
Playwright), served by a real GridFlow server, with a stand-in for Microsoft's
office.js (Office / Excel / CustomFunctions): custom-function calls reach the
server and return values, property functions build the same tokens as
Python, and the ribbon's Simulate command uploads the workbook, runs the job
and writes the 'GridFlow Results' sheet through the stand-in's Excel API; Solve
writes 'GridFlow Solve' and the decision cells' values, Waterfall writes
'GridFlow Waterfall'."""
from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import pytest

from udfs import core, registry

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("GRIDFLOW_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]
OFFICE_CDN = "https://appsforoffice.microsoft.com/**"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (Debian package 'chromium')")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the 'playwright' Python package is missing")
    with sync_api.sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        except Exception as exc:
            pytest.skip(f"Chromium at {CHROMIUM} could not be started by Playwright: {exc}")
        yield b
        b.close()


@pytest.fixture
def pane(browser, addin_server):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    standin = (HERE / "office_standin.js").read_text(encoding="utf-8")
    page.route(OFFICE_CDN, lambda route: route.fulfill(status=200, content_type="text/javascript", body=standin))
    page.goto(addin_server.url + "/addin/taskpane.html")
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    yield page, errors
    context.close()


CALL_FN = """async ([id, args]) => {
    const fn = window.__office.functions[id];
    try { return {value: await fn(...args)}; }
    catch (e) { return {error: {code: e.code, message: e.message}}; }
}"""


def test_custom_functions_reach_the_server(pane):
    page, errors = pane
    n = page.evaluate("Object.keys(window.__office.functions).length")
    assert n == len(registry.functions())
    got = page.evaluate(CALL_FN, ["NORMAL", [0.03, 0.01, [], {"address": "Sheet1!B2"}]])
    assert got == {"value": 0.03}
    got = page.evaluate(CALL_FN, ["PERT", [0.03, 0.05, 0.12, None, [], {"address": "Sheet1!B3"}]])
    assert got["value"] == pytest.approx((0.03 + 4 * 0.05 + 0.12) / 6)
    # many cells recalculating at once: one batch, every promise answered
    many = page.evaluate("""async () => {
        const f = window.__office.functions["UNIFORM"];
        const ps = []; for (let i = 0; i < 300; i++) ps.push(f(i, i + 2, [], {address: "Sheet1!C" + (i + 1)}));
        return await Promise.all(ps);
    }""")
    assert many == [i + 1 for i in range(300)]
    # large ranges: the batch is split under the server's 1 MB body limit
    big = page.evaluate("""async () => {
        const f = window.__office.functions["EMPIRICAL"];
        const col = []; for (let i = 0; i < 8000; i++) col.push([i % 100 + 0.123456789]);
        const ps = []; for (let k = 0; k < 24; k++) ps.push(f(col, [], {address: "Sheet1!D" + (k + 1)}));
        return await Promise.all(ps);
    }""")
    assert big == [pytest.approx(49.5 + 0.123456789)] * 24
    # an argument of the wrong type: a #VALUE! error with the server's message
    got = page.evaluate(CALL_FN, ["NORMAL", ["abc", 0.01, [], {"address": "Sheet1!B4"}]])
    assert got["error"]["code"] == "#VALUE!"
    assert "mean must be a number" in got["error"]["message"]
    assert not [e for e in errors if "favicon" not in e], errors


def test_property_functions_match_python_tokens(pane):
    page, _ = pane
    js = page.evaluate("""() => [window.__office.functions["TRUNCATE"](80, 120, {}),
                                  window.__office.functions["TRUNCATE"](null, 0.5, {}),
                                  window.__office.functions["NAME"]('Rent "growth"', {}),
                                  window.__office.functions["CORRMAT"]([[1, 0.5], [0.5, 1]], 2, null, {})]""")
    py = [core.property_token(registry.lookup("TRUNCATE"), [80.0, 120.0]),
          core.property_token(registry.lookup("TRUNCATE"), [None, 0.5]),
          core.property_token(registry.lookup("NAME"), ['Rent "growth"']),
          core.property_token(registry.lookup("CORRMAT"), [[[1.0, 0.5], [0.5, 1.0]], 2.0, None])]
    assert js == py
    # and a distribution given the token evaluates it
    got = page.evaluate(CALL_FN, ["NORMAL", [100, 2, [js[0], "GF.SHIFT[5]"], {"address": "Sheet1!B2"}]])
    assert got["value"] == pytest.approx(105.0)


def test_simulate_ribbon_command_writes_results(pane, dcf_file):
    page, errors = pane
    page.evaluate("b64 => window.__setFile(b64)", base64.b64encode(dcf_file.read_bytes()).decode())
    page.fill("#iterations", "1500")          # the task pane's settings
    page.fill("#seed", "9")
    page.evaluate("""() => new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("the command never completed")), 90000);
        window.__office.actions["gridflowSimulate"]({completed: () => { clearTimeout(t); resolve(); }});
    })""")
    log = page.evaluate("window.__office")
    status = page.text_content("#status")
    assert "Results written" in status, status
    sheet = log["sheets"]["GridFlow Results"]
    (address, values), = sheet["values"].items()
    assert address.startswith("A1:")
    assert values[0][0] == "GridFlow simulation results"
    first_output = values[[r[0] for r in values].index("Output") + 1]     # name, address, mean, ...
    assert first_output[0] and "!" in first_output[1] and isinstance(first_output[2], float)
    assert ["Iterations", 1500] == values[[r[0] for r in values].index("Iterations")][:2]
    assert len(sheet["charts"]) >= 3 and all(c["title"]["text"] for c in sheet["charts"])
    assert sheet["activated"] == 1 and log["calculations"] == ["Full"]
    job_id = page.evaluate("localStorage.getItem('gridflow:lastJob:montecarlo_dcf.xlsx')")
    assert job_id
    # the statistics functions now read that simulation
    got = page.evaluate(CALL_FN, ["MEAN", [0.1, {"address": "Sheet1!Z1", "parameterAddresses": [first_output[1]]}]])
    assert got["value"][0][0] == pytest.approx(first_output[2], rel=1e-12)
    # Results button: written again; Static copy opens a new workbook; Solve explains itself
    for action in ("gridflowResults", "gridflowStaticCopy", "gridflowSolve"):
        page.evaluate("""name => new Promise(resolve => window.__office.actions[name]({completed: resolve}))""", action)
    log = page.evaluate("window.__office")
    assert log["sheets"]["GridFlow Results"]["cleared"] == 1
    assert len(log["created"]) == 1 and base64.b64decode(log["created"][0])[:2] == b"PK"
    assert "optimization" in page.text_content("#status") and log["shown"] == 1
    assert not [e for e in errors if "favicon" not in e], errors


def test_progress_streams_a_jobs_state(pane, simulated):
    page, _ = pane
    job_id = simulated["job"]["id"]
    results = page.evaluate("""id => new Promise(resolve => {
        const seen = [];
        const inv = {setResult: v => { seen.push(v); if (String(v).startsWith("done")) resolve(seen); }};
        window.__office.functions["PROGRESS"](id, inv);
        setTimeout(() => resolve(seen), 10000);
    })""", job_id)
    assert results and results[-1].startswith("done: 3,000 iterations")


RUN_ACTION = """name => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("the command never completed")), 60000);
    window.__office.actions[name]({completed: () => { clearTimeout(t); resolve(); }});
})"""


def test_solve_ribbon_command_writes_the_answer_and_the_values(pane):
    page, errors = pane
    book = Path(__file__).resolve().parents[2] / "workbooks" / "deal_picker.xlsx"
    page.evaluate("b64 => window.__setFile(b64)", base64.b64encode(book.read_bytes()).decode())
    page.evaluate("() => { Office.context.document.url = '/deals/deal_picker.xlsx'; }")
    page.evaluate(RUN_ACTION, "gridflowSolve")
    status = page.text_content("#status")
    assert "Results written to the 'GridFlow Solve' sheet" in status or "Solve:" in status, status
    log = page.evaluate("window.__office")
    sheet = log["sheets"]["GridFlow Solve"]
    (address, values), = sheet["values"].items()
    assert address.startswith("A1:") and values[0][0] == "GridFlow Solve"
    col0 = [r[0] for r in values]
    assert values[col0.index("Status")][1] == "optimal"
    assert values[col0.index("Objective")][1] == pytest.approx(13_980_000.0)
    assert "Constraint cell" in col0 and "Variable cell" in col0
    # the decision cells got their final values (0/1 picks) on the model's sheet
    written = log["sheets"]["Deals"]["values"]
    assert len(written) == 16 and all(v[0][0] in (0, 1) for v in written.values())
    assert sum(v[0][0] for v in written.values()) >= 3
    assert "Full" in log["calculations"]
    assert not [e for e in errors if "favicon" not in e], errors


def test_waterfall_ribbon_command_writes_the_waterfall_sheet(pane):
    page, errors = pane
    page.select_option("#waterfall-kind", "film")
    page.fill("#waterfall-spec", '{"template": "film1", "iterations": 2000, "seed": 3}')
    page.dispatch_event("#waterfall-spec", "change")
    page.evaluate(RUN_ACTION, "gridflowWaterfall")
    assert "GridFlow Waterfall" in page.text_content("#status")
    sheet = page.evaluate("window.__office")["sheets"]["GridFlow Waterfall"]
    (address, values), = sheet["values"].items()
    assert values[0][0].startswith("GridFlow Waterfall: film")
    rows = {r[0]: r[1] for r in values}
    assert rows["summary.scenarios"] == 2000
    # a spec that is not JSON: a message in the pane, which is shown
    page.fill("#waterfall-spec", "{oops")
    page.dispatch_event("#waterfall-spec", "change")
    page.evaluate(RUN_ACTION, "gridflowWaterfall")
    assert "not JSON" in page.text_content("#status")
    assert page.evaluate("window.__office.shown") == 1
    assert not [e for e in errors if "favicon" not in e and "JSON" not in e], errors
