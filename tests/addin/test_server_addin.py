"""Contract tests over real HTTP (uvicorn on loopback): the exact JSON the
add-in's custom functions and ribbon commands send, and the answers,
errors included."""
from __future__ import annotations

import base64
import io
import re
import time
import zipfile
from pathlib import Path

import pytest

from udfs import manifest, registry

CALL = "/api/v1/addin/functions/call"


def body(*calls, workbook="Book1.xlsx", job_id=None):
    """What addin/functions.js posts for one recalculation burst."""
    return {"client": "Office.js", "version": "0.1.0", "workbook": workbook, "job_id": job_id,
            "calls": [{"function": f, "args": a, "address": addr, "parameter_addresses": pa}
                      for f, a, addr, pa in calls]}


def test_distributions_return_their_means(http):
    r = http.post(CALL, json=body(("NORMAL", [0.03, 0.01, []], "Sheet1!B2", None),
                                  ("PERT", [0.03, 0.05, 0.12, None, ['GF.NAME["Vacancy"]']], "Sheet1!B3", None),
                                  ("NORMAL", [0.0625, 0.005, ["GF.TRUNCATE[0.045,0.09]", 'GF.NAME["Exit"]']],
                                   "Sheet1!B4", None),
                                  ("DISCRETE", [[[1, 2, 3]], [[0.2, 0.3, 0.5]], []], "Sheet1!B5", None),
                                  ("TRUNCATE", [0.045, 0.09], "Sheet1!B6", None),
                                  ("OUTPUT", [12.5, "IRR"], "Sheet1!B7", None)))
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert res[0] == {"value": 0.03, "error": None}
    assert res[1]["value"] == pytest.approx((0.03 + 4 * 0.05 + 0.12) / 6)
    assert res[2]["value"] == pytest.approx(0.0625, rel=1e-3)
    assert res[3]["value"] == pytest.approx(2.3)
    assert res[4]["value"] == "GF.TRUNCATE[0.045,0.09]"
    assert res[5]["value"] == 12.5


def test_wrong_arguments_are_excel_errors_not_http_errors(http):
    r = http.post(CALL, json=body(("NORMAL", ["abc", 0.01, []], "Sheet1!B2", None),
                                  ("NORMAL", [0.03], "Sheet1!B3", None),
                                  ("NORMAL", [0.03, -1, []], "Sheet1!B4", None),
                                  ("NOSUCH", [1], "Sheet1!B5", None),
                                  ("NORMAL", [0.03, 0.01, [17]], "Sheet1!B6", None),
                                  ("NORMAL", [{"type": "Entity"}, 1, []], "Sheet1!B7", None),
                                  ("PROGRESS", [None], None, None)))
    assert r.status_code == 200
    errs = [x["error"] for x in r.json()["results"]]
    assert [e["code"] for e in errs] == ["#VALUE!", "#VALUE!", "#NUM!", "#NAME?", "#VALUE!", "#VALUE!", "#VALUE!"]
    assert errs[0]["message"] == "GF.NORMAL: mean must be a number, got the text 'abc'"
    assert "sd is missing" in errs[1]["message"]
    assert "not a property function" in errs[4]["message"]


@pytest.mark.parametrize("bad", [
    {"calls": "nope"},
    {"calls": [{"args": [1]}]},
    {"calls": [{"function": "NORMAL", "args": "x"}]},
    {"calls": [{"function": "NORMAL", "args": []}] * 2001},
])
def test_malformed_bodies_get_422_with_the_error_shape(http, bad):
    r = http.post(CALL, json=bad)
    assert r.status_code == 422
    assert set(r.json()["error"]) == {"code", "message", "details"}


def test_not_json_is_refused_cleanly(http):
    r = http.post(CALL, content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_statistics_read_the_last_simulation(http, simulated):
    job_id = simulated["job"]["id"]
    out = simulated["results"]["outputs"][0]                  # e.g. CashFlow!B18, the levered IRR
    stats = out["statistics"]
    sheet, cell = out["address"].split("!")
    calls = [("MEAN", [0.1], f"[montecarlo_dcf.xlsx]{sheet}!Z1", [out["address"]]),
             ("PERCENTILE", [0.1, 0.05], f"[montecarlo_dcf.xlsx]{sheet}!Z2", [cell, f"{sheet}!Y2"]),
             ("STDEV", [0.1], f"{sheet}!Z3", [f"{sheet}!${cell[0]}${cell[1:]}"])]
    for job in (job_id, None):                            # by job id, and by workbook name
        r = http.post(CALL, json=body(*calls, workbook="montecarlo_dcf.xlsx", job_id=job))
        res = r.json()["results"]
        assert res[0]["value"] == [[pytest.approx(stats["mean"], rel=1e-12)]], res
        assert res[1]["value"] == [[pytest.approx(stats["percentiles"]["P5"], rel=1e-12)]], res
        assert res[2]["value"] == [[pytest.approx(stats["sd"], rel=1e-12)]], res
    # an input, a correlation, a cell that was not simulated, no address, a workbook never simulated
    inp = simulated["results"]["inputs"][0]
    r = http.post(CALL, json=body(("MEAN", [0], "Inputs!Z7", [inp["address"]]),
                                  ("CORREL", [0, 0, None], "Inputs!Z8", [inp["address"], out["address"]]),
                                  ("MEAN", [0], "Inputs!Z9", ["Inputs!XFD1"]),
                                  ("MEAN", [0], "Inputs!Z9", None),
                                  workbook="montecarlo_dcf.xlsx", job_id=job_id))
    res = r.json()["results"]
    assert res[0]["value"] == [[pytest.approx(inp["statistics"]["mean"], rel=1e-12)]]
    assert -1 <= res[1]["value"][0][0] <= 1
    assert res[2]["error"]["code"] == "#N/A" and "Inputs!XFD1" in res[2]["error"]["message"]
    assert res[3]["error"]["code"] == "#VALUE!"
    r = http.post(CALL, json=body(("MEAN", [0], "Sheet1!B1", ["Sheet1!A1"]), workbook="Other.xlsx"))
    assert r.json()["results"][0]["error"]["code"] == "#N/A"
    assert "Other.xlsx" in r.json()["results"][0]["error"]["message"]


def test_statistics_agree_with_the_engines_statistic_cells(http, simulated, dcf_file):
    """Where the workbook itself holds GF.MEAN(...)-style cells, the add-in's
    answer for the same call equals the engine's value after the run."""
    import engine
    cells = simulated["results"].get("statistic_cells") or {}
    model = engine.load(dcf_file)
    checked = 0
    for addr, expected in cells.items():
        if not isinstance(expected, (int, float)):
            continue
        sheet = addr.split("!")[0]
        formula = model.formula_text(model.parse_address(addr)[:3])
        m = re.fullmatch(r"GF\.(MEAN|PERCENTILE|PROB|STDEV)\((\$?[A-Z]+\$?\d+)(?:,([-0-9.eE]+))?\)", formula)
        if not m:
            continue
        name, target, extra = m.group(1), m.group(2), m.group(3)
        args = [0.0] + ([float(extra)] if extra is not None else [])
        r = http.post(CALL, json=body((name, args, addr, [f"{sheet}!{target}"]), workbook="montecarlo_dcf.xlsx",
                                      job_id=simulated["job"]["id"]))
        got = r.json()["results"][0]
        assert got["value"] == [[pytest.approx(expected, rel=1e-12)]], (addr, formula, got)
        checked += 1
    if not checked:
        pytest.skip("the template has no GF.MEAN/PERCENTILE/PROB cells")


def test_results_sheet_for_the_simulate_button(http, simulated):
    job_id = simulated["job"]["id"]
    r = http.get(f"/api/v1/addin/results/{job_id}/sheet")
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["sheet"] == "GridFlow Results" and data["job_id"] == job_id
    values = data["values"]
    assert len({len(row) for row in values}) == 1
    assert all(v is not None for row in values for v in row)
    names = [row[0] for row in values]
    assert {"Levered IRR", "Levered NPV", "Equity multiple", "Rent growth"} <= set(names)
    assert sum(1 for c in data["charts"] if c["type"] == "ColumnClustered") == 3
    first, last = data["address"].split(":")
    assert first == "A1" and last.endswith(str(len(values)))
    assert http.get("/api/v1/addin/results/nope/sheet").status_code == 404
    latest = http.get("/api/v1/addin/jobs/latest", params={"workbook": "montecarlo_dcf.xlsx", "status": "done"})
    assert latest.json()["job_id"] is not None
    assert http.get("/api/v1/addin/jobs/latest", params={"workbook": "none.xlsx"}).json()["job_id"] is None


def test_static_copy_command(http, simulated):
    r = http.post("/api/v1/addin/commands/static-copy", json={"workbook_id": simulated["workbook"]["id"]})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["filename"] == "montecarlo_dcf (static).xlsx" and data["replaced"] >= 5
    raw = base64.b64decode(data["content_base64"])
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        sheets = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "GF.NORMAL" not in sheets
    assert http.post("/api/v1/addin/commands/static-copy", json={"workbook_id": "nope"}).status_code == 404
    assert http.post("/api/v1/addin/commands/static-copy", json={}).status_code == 422


DEALS = Path(__file__).resolve().parents[2] / "workbooks" / "deal_picker.xlsx"


def _wait(http, job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        j = http.get(f"/api/v1/jobs/{job_id}").json()
        if j["status"] in ("done", "failed", "cancelled", "interrupted"):
            return j
        time.sleep(0.05)
    raise TimeoutError(job_id)


def test_solve_command_starts_an_optimization_job(http, simulated):
    with open(DEALS, "rb") as f:
        wb = http.post("/api/v1/workbooks", files={"file": ("deal_picker.xlsx", f)}).json()
    r = http.post("/api/v1/addin/commands/solve", json={"workbook_id": wb["id"]})
    assert r.status_code == 202, r.text
    started = r.json()
    assert started["command"] == "solve" and started["workbook_id"] == wb["id"]
    job = _wait(http, started["job_id"])
    assert job["type"] == "optimization" and job["status"] == "done", job
    sheet = http.get(started["links"]["sheet"]).json()
    assert sheet["sheet"] == "GridFlow Solve" and sheet["job_id"] == job["id"]
    assert len({len(row) for row in sheet["values"]}) == 1
    col0 = [row[0] for row in sheet["values"]]
    assert sheet["values"][col0.index("Status")][1] == "optimal"
    assert {"variables", "constraints", "sensitivity constraints"} <= set(sheet["tables"])
    assert len(sheet["writes"]) == 16 and {w["sheet"] for w in sheet["writes"]} == {"Deals"}
    # by job id: the job's workbook is solved again
    r = http.post("/api/v1/addin/commands/solve", json={"job_id": job["id"], "sheet": "Deals"})
    assert r.status_code == 202 and r.json()["workbook_id"] == wb["id"]
    assert _wait(http, r.json()["job_id"])["status"] == "done"
    # a workbook without a Solver model, nothing named, both named, unknown ids
    r = http.post("/api/v1/addin/commands/solve", json={"workbook_id": simulated["workbook"]["id"]})
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "body.workbook_id"
    assert "optimization model" in r.json()["error"]["message"]
    for body in ({}, {"workbook_id": wb["id"], "job_id": job["id"]}):
        r = http.post("/api/v1/addin/commands/solve", json=body)
        assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "body.workbook_id"
    assert http.post("/api/v1/addin/commands/solve", json={"workbook_id": "nope"}).status_code == 404
    r = http.post("/api/v1/addin/commands/solve", json={"job_id": "0" * 32})
    assert r.status_code == 404 and r.json()["error"]["details"]["field"] == "body.job_id"
    r = http.post("/api/v1/addin/commands/solve", json={"workbook_id": wb["id"], "sheet": "Nope"})
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "body.sheet"


def test_waterfall_command_starts_a_waterfall_job(http):
    r = http.post("/api/v1/addin/commands/waterfall",
                  json={"kind": "film", "spec": {"template": "film1", "iterations": 1000, "seed": 2}})
    assert r.status_code == 202, r.text
    started = r.json()
    assert started["command"] == "waterfall" and started["workbook_id"] is None
    job = _wait(http, started["job_id"])
    assert job["type"] == "waterfall" and job["status"] == "done", job
    sheet = http.get(started["links"]["sheet"]).json()
    assert sheet["sheet"] == "GridFlow Waterfall" and sheet["writes"] == []
    rows = {row[0]: row[1] for row in sheet["values"]}
    assert rows["summary.scenarios"] == 1000
    r = http.post("/api/v1/addin/commands/waterfall", json={"kind": "re", "spec": {"cash_flows": [-1, 2]}})
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "body.spec.tiers"
    r = http.post("/api/v1/addin/commands/waterfall", json={"kind": "opera", "spec": {}})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "body.kind"
    assert http.post("/api/v1/addin/commands/format-disk", json={}).status_code == 404


def test_addin_files_are_served(http):
    for name, ctype in [("manifest.xml", "application/xml"), ("functions.json", "application/json"),
                        ("functions.js", "text/javascript"), ("taskpane.html", "text/html"),
                        ("taskpane.js", "text/javascript"), ("taskpane.css", "text/css"),
                        ("icon-16.png", "image/png"), ("icon-32.png", "image/png"), ("icon-64.png", "image/png"),
                        ("icon-80.png", "image/png")]:
        r = http.get(f"/addin/{name}")
        assert r.status_code == 200, name
        assert r.headers["content-type"].startswith(ctype), (name, r.headers["content-type"])
    meta = http.get("/addin/functions.json").json()
    assert len(meta["functions"]) == len(registry.functions())
    # every URL in the manifest is one of these files (or the API docs)
    text = http.get("/addin/manifest.xml").text
    assert manifest.check(text) == []
    served = manifest.render("https://localhost:8443")
    r = http.get("/addin/manifest.xml", params={"base": "https://localhost:8443"})
    assert r.text == served
    for url in set(re.findall(r'https://localhost:8443(/addin/[^"<]+)', served)):
        assert http.get(url).status_code == 200, url
    assert http.get("/addin/manifest.xml", params={"base": "javascript:alert(1)"}).status_code == 422
    assert http.get("/addin/..%2Fserver%2Fapp.py").status_code == 404
    assert http.get("/addin/nothing.js").status_code == 404
    assert http.get("/addin/", follow_redirects=False).status_code == 307
    status = http.get("/api/v1/addin/status").json()
    assert status["functions"] == len(registry.functions())
