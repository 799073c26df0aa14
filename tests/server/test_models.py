"""Optimization jobs (Excel Solver models of uploaded workbooks), the
real-estate module endpoints and waterfall jobs, over real HTTP against the
shared `gridflow serve` process: results agree with calling the engine
directly, an infeasible model is an answer (job done, conflicting
constraints named), bad input is a 4xx naming the field."""
from __future__ import annotations

import io
import json
import math

import pytest

from .helpers import ROOT, sse_events, wait_status

API = "/api/v1"
DEALS = ROOT / "workbooks" / "deal_picker.xlsx"


def _upload(client, path, name=None) -> dict:
    with open(path, "rb") as f:
        r = client.post(f"{API}/workbooks", files={"file": (name or path.name, f)})
    assert r.status_code == 201, r.text
    return r.json()


def _error(r, status: int, field: str | None = None) -> dict:
    assert r.status_code == status, r.text
    e = r.json()["error"]
    assert set(e) == {"code", "message", "details"}
    if field is not None:
        d = e["details"]
        got = d[0]["field"] if isinstance(d, list) else d["field"]
        assert got == field, e
    return e


def _close(a, b, rel=1e-9) -> bool:
    """Nested JSON equality, numbers to a relative tolerance."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], rel) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, rel) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)
    return a == b


def _lp_workbook(path, infeasible: bool = False):
    """max 3x + 2y  s.t.  x + y <= 4,  x + 3y <= 6  (x, y >= 0): x=4, y=0, objective 12;
    with x + y >= 10 as well it is infeasible."""
    import openpyxl
    from engine.optimize.excel import add_solver_model
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "LP"
    ws["A1"], ws["B1"], ws["C1"] = "x", "y", "objective"
    ws["A2"], ws["B2"], ws["C2"] = 0, 0, "=3*A2+2*B2"
    ws["A4"], ws["B4"] = "=A2+B2", 4
    ws["A5"], ws["B5"] = "=A2+3*B2", 6
    cons = [("A4", "<=", "B4"), ("A5", "<=", "B5")]
    if infeasible:
        ws["A6"], ws["B6"] = "=A2+B2", 10
        cons.append(("A6", ">=", "B6"))
    add_solver_model(ws, "C2", "A2:B2", cons, sense="max", engine="simplex")
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def deals(client) -> dict:
    return _upload(client, DEALS)


def test_optimization_job_matches_model_solve(client, deals, tmp_path):
    import engine
    expected = engine.load(str(DEALS)).solve()
    assert deals["inspection"]["solver_models"][0]["sheet"] == "Deals"
    r = client.post(f"{API}/jobs", json={"type": "optimization", "workbook_id": deals["id"], "engine": "highs"})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["type"] == "optimization" and job["params"]["engine"] == "highs"
    events = sse_events(client, f"{API}/jobs/{job['id']}/events", timeout=60)
    assert events[-1][0] == "done", events[-1]
    assert any(name == "progress" for name, _ in events)
    summary = events[-1][1]["summary"]
    assert summary["status"] == "optimal" and summary["objective"] == pytest.approx(expected.objective, rel=1e-9)
    res = client.get(f"{API}/jobs/{job['id']}/results").json()
    assert res["job_id"] == job["id"] and res["code"] == expected.code and res["message"] == expected.message
    assert res["objective"] == pytest.approx(expected.objective, rel=1e-9)
    assert res["values"] == pytest.approx(expected.values())
    assert res["workbook"] == "deal_picker.xlsx"
    assert {c["status"] for c in res["constraints"]} <= {"Binding", "Not Binding"}
    assert all("slack" in c for c in res["constraints"])
    assert any(c["status"] == "Binding" for c in res["constraints"])
    assert res["sensitivity"]["kind"] == "lp"
    assert all("shadow_price" in c for c in res["sensitivity"]["constraints"])
    # the solved copy: decision values and Excel's report sheets
    r = client.get(res["links"]["solved"])
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert "solved.xlsx" in r.headers["content-disposition"]
    import openpyxl
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert {"Deals", "Answer Report 1", "Sensitivity Report 1"} <= set(book.sheetnames)
    # simulation-only files are not there for an optimization job
    _error(client.get(f"{API}/jobs/{job['id']}/results/data.csv"), 404, "path.job_id")
    _error(client.get(f"{API}/jobs/{job['id']}/results/report.xlsx"), 404, "path.job_id")


def test_lp_workbook_sensitivity_and_infeasible_model(client, tmp_path):
    lp = _upload(client, _lp_workbook(tmp_path / "lp.xlsx"))
    bad = _upload(client, _lp_workbook(tmp_path / "infeasible.xlsx", infeasible=True))
    j1 = client.post(f"{API}/jobs", json={"type": "optimization", "workbook_id": lp["id"], "sheet": "lp"}).json()
    j2 = client.post(f"{API}/jobs", json={"type": "optimization", "workbook_id": bad["id"]}).json()
    done = wait_status(client, j1["id"], ("done", "failed"), timeout=60)
    assert done["status"] == "done", done
    assert done["params"]["sheet"] == "LP"
    res = client.get(f"{API}/jobs/{j1['id']}/results").json()
    assert res["status"] == "optimal" and res["objective"] == pytest.approx(12.0)
    assert res["values"] == pytest.approx({"LP!A2": 4.0, "LP!B2": 0.0})
    shadow = {c["cell"]: c["shadow_price"] for c in res["sensitivity"]["constraints"]}
    assert shadow["$A$4"] == pytest.approx(3.0) and shadow["$A$5"] == pytest.approx(0.0)
    status = {c["cell"]: c["status"] for c in res["constraints"]}
    assert status["$A$4"] == "Binding" and status["$A$5"] == "Not Binding"
    # infeasible: an answer, not a crash
    done = wait_status(client, j2["id"], ("done", "failed"), timeout=60)
    assert done["status"] == "done" and done["summary"]["status"] == "infeasible", done
    res = client.get(f"{API}/jobs/{j2['id']}/results").json()
    assert res["status"] == "infeasible" and "feasible" in res["message"]
    assert res["values"] == {}
    # an irreducible set: x + y >= 10 against one of the <= rows
    text = " ".join(res["conflicts"])
    assert len(res["conflicts"]) >= 2 and "$A$6>=$B$6" in text and ("$A$4" in text or "$A$5" in text), text


def test_bad_optimization_and_waterfall_requests_name_the_field(client, deals, workbook):
    post = lambda body: client.post(f"{API}/jobs", json=body)  # noqa: E731
    _error(post({"type": "optimization"}), 422, "body.workbook_id")
    _error(post({"type": "optimization", "workbook_id": "nope"}), 404, "body.workbook_id")
    _error(post({"type": "optimization", "workbook_id": deals["id"], "sheet": "Nope"}), 422, "body.sheet")
    _error(post({"type": "optimization", "workbook_id": deals["id"], "engine": "cplex"}), 422, "body.engine")
    _error(post({"type": "optimization", "workbook_id": deals["id"], "iterations": 5}), 422, "body.iterations")
    e = _error(post({"type": "optimization", "workbook_id": workbook["id"]}), 422, "body.workbook_id")
    assert e["code"] == "no_model"
    _error(post({"type": "annealing", "workbook_id": deals["id"]}), 422, "body.type")
    _error(post({"type": "waterfall", "kind": "opera", "spec": {}}), 422, "body.kind")
    _error(post({"type": "waterfall", "kind": "film"}), 422, "body.spec")
    _error(post({"type": "waterfall", "kind": "re", "spec": {"cash_flows": [-1, 2]}}), 422, "body.spec.tiers")
    _error(post({"type": "waterfall", "kind": "stacks", "spec": {}}), 422, "body.spec.budget")
    _error(post({"type": "waterfall", "kind": "film", "spec": {"iterations": 10**9}}), 422,
           "body.spec.iterations")
    # a spec the engine refuses: the job fails with the reason
    r = post({"type": "waterfall", "kind": "re", "spec": {"tiers": [["NOPE", "", 1]], "cash_flows": [-1, 2]}})
    assert r.status_code == 202
    j = wait_status(client, r.json()["id"], ("done", "failed"), timeout=60)
    assert j["status"] == "failed" and j["error"]["code"] in ("invalid_spec", "internal_error"), j
    # the simulation shape is unchanged (no type: a simulation)
    e = _error(post({"workbook_id": workbook["id"], "iterations": 0}), 422, "body.iterations")
    assert "iterations" in e["message"]


def test_waterfall_job_matches_the_finance_entry_point(client):
    from engine.finance import jobs as finance_jobs
    spec = {"template": "film1", "iterations": 3000, "seed": 5}
    r = client.post(f"{API}/jobs", json={"type": "waterfall", "kind": "film", "spec": spec})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["workbook_id"] is None and "workbook" not in job["links"]
    events = sse_events(client, f"{API}/jobs/{job['id']}/events", timeout=60)
    assert events[-1][0] == "done", events[-1]
    progress = [d for name, d in events if name == "progress"]
    assert progress and progress[-1]["total"] in (0, 3)
    got = client.get(f"{API}/jobs/{job['id']}/results").json()
    expected = json.loads(json.dumps(finance_jobs.run_film_job(spec)))
    assert _close(got, expected), (list(got), list(expected))
    # listed, rerun as a new job with the same spec
    assert any(j["id"] == job["id"] for j in client.get(f"{API}/jobs", params={"limit": 1000}).json()["jobs"])
    r = client.post(f"{API}/jobs/{job['id']}/rerun")
    assert r.status_code == 202 and r.json()["params"]["spec"] == spec
    assert wait_status(client, r.json()["id"], ("done", "failed"), timeout=60)["status"] == "done"
    # a real-estate waterfall with per-period detail
    re_spec = {"tiers": [["PREF", "", 0.08], ["CATCHUP", "", 1.0], ["SPLIT", "", None, 0.8, 0.2]],
               "cash_flows": [-1000000, 200000, 1450000]}
    r = client.post(f"{API}/jobs", json={"type": "waterfall", "kind": "re", "spec": re_spec})
    j = wait_status(client, r.json()["id"], ("done", "failed"), timeout=60)
    assert j["status"] == "done", j
    got = client.get(f"{API}/jobs/{j['id']}/results").json()
    assert _close(got, json.loads(json.dumps(finance_jobs.run_re_job(re_spec))))


def test_modules_list_and_solve_with_what_if(client):
    from engine.optimize import run_module
    r = client.get(f"{API}/modules")
    assert r.status_code == 200, r.text
    mods = {m["name"]: m for m in r.json()["modules"]}
    assert set(mods) == {"deal_picker", "debt_stack", "capex_phasing", "leasing_mix"}
    assert all(m["example"] and m["input_schema"] and m["title"] for m in mods.values())
    example = mods["deal_picker"]["example"]
    r = client.post(f"{API}/modules/deal_picker", json={"input": example, "what_if": {"budget": 90e6}})
    assert r.status_code == 200, r.text
    got = r.json()
    expected = run_module("deal_picker", None, {"budget": 90e6})
    assert got["result"]["objective"] == pytest.approx(expected["result"]["objective"], rel=1e-9)
    assert got["result"]["binding"] == expected["result"]["binding"]
    assert got["result"]["shadow_prices"].keys() == expected["result"]["shadow_prices"].keys()
    wi = got["what_if"]
    assert wi["objective_delta"] == pytest.approx(expected["what_if"]["objective_delta"], rel=1e-9)
    assert wi["decision_changes"] and wi["changes"] == {"budget": 90e6}
    # every module's example solves as posted
    for name in ("debt_stack", "capex_phasing", "leasing_mix"):
        r = client.post(f"{API}/modules/{name}", json={"input": mods[name]["example"]})
        assert r.status_code == 200 and r.json()["result"]["status"] == "optimal", (name, r.text[:300])
    # no body: the example input
    assert client.post(f"{API}/modules/leasing_mix").json()["result"]["status"] == "optimal"
    # bad input names the field
    bad = dict(example, deals=[dict(example["deals"][0], equity="lots")] + example["deals"][1:])
    _error(client.post(f"{API}/modules/deal_picker", json={"input": bad}), 422, "body.input.deals[0].equity")
    _error(client.post(f"{API}/modules/deal_picker", json={"input": {"deals": []}}), 422, "body.input.budget")
    _error(client.post(f"{API}/modules/deal_picker", json={"what_if": {"budgett": 1}}), 422, "body.what_if.budgett")
    _error(client.post(f"{API}/modules/deal_picker", json={"what_if": {"budget": "x"}}), 422, "body.what_if.budget")
    _error(client.post(f"{API}/modules/deal_picker", json={"inputs": {}}), 422, "body.inputs")
    _error(client.post(f"{API}/modules/tower_builder", json={}), 404, "path.module")


def test_old_data_folders_are_migrated(tmp_path):
    """A data folder from before waterfall jobs (jobs.workbook_id NOT NULL) opens, keeps its jobs
    and accepts jobs without a workbook."""
    import sqlite3
    from server.store import SCHEMA, Store
    old = SCHEMA.replace("workbook_id TEXT REFERENCES", "workbook_id TEXT NOT NULL REFERENCES")
    assert old != SCHEMA
    (tmp_path / "d").mkdir()
    db = sqlite3.connect(tmp_path / "d" / "gridflow.db")
    db.executescript(old)
    db.execute("INSERT INTO workbooks VALUES (?,?,?,?,?,?,?)", ("a" * 32, "f.xlsx", "xlsx", 1, "x", 1.0, "{}"))
    db.execute("INSERT INTO jobs (id, workbook_id, type, status, params, created_at, total, seq) "
               "VALUES (?,?,?,?,?,?,?,?)", ("b" * 32, "a" * 32, "simulation", "done", "{}", 1.0, 0, 1))
    db.commit()
    db.close()
    st = Store(tmp_path / "d")
    try:
        assert st.get_job("b" * 32)["workbook_id"] == "a" * 32
        st.add_job({"id": "c" * 32, "workbook_id": None, "type": "waterfall", "status": "queued", "params": {},
                    "created_at": 2.0})
        assert st.get_job("c" * 32)["workbook_id"] is None
        assert st.delete_workbook("a" * 32) == ["b" * 32]
        assert st.get_job("b" * 32) is None and st.get_job("c" * 32) is not None
    finally:
        st.close()
