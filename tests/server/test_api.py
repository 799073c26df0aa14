"""The HTTP API over a real uvicorn process: upload, inspect, simulate with
Server-Sent-Event progress, results in every format, concurrency, cancel."""
from __future__ import annotations

import io
import time

import numpy as np
import openpyxl
import pyarrow.parquet as pq
import pytest

from .helpers import Server, sse_events, start_job, wait_status

API = "/api/v1"


def test_health_page_and_docs(client):
    h = client.get("/health")
    assert h.status_code == 200 and h.json()["status"] == "ok"
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/app.js").status_code == 200
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert "cdn." not in docs.text                       # works offline
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    schema = client.get("/openapi.json").json()
    for path in ("/api/v1/workbooks", "/api/v1/jobs", "/api/v1/jobs/{job_id}/events",
                 "/api/v1/jobs/{job_id}/results", "/api/v1/jobs/{job_id}/results/report.xlsx"):
        assert path in schema["paths"], path


def test_upload_and_inspect(client, workbook, dcf_path):
    insp = workbook["inspection"]
    assert workbook["format"] == "xlsx" and workbook["filename"] == "montecarlo_dcf.xlsx"
    assert [s["name"] for s in insp["sheets"]] == ["Inputs", "CashFlow"]
    assert insp["formula_count"] > 100
    assert {i["name"] for i in insp["random_inputs"]} == {"Rent growth", "Vacancy", "Opex ratio", "Exit cap rate",
                                                           "Interest rate"}
    assert [o["name"] for o in insp["outputs"]] == ["Levered IRR", "Levered NPV", "Equity multiple"]
    assert insp["unsupported"] == [] and insp["simulation_ready"] is True
    assert isinstance(insp["outputs"][0]["value"], float)
    # listing, detail and the file itself
    listed = client.get(f"{API}/workbooks").json()
    assert workbook["id"] in [w["id"] for w in listed["workbooks"]]
    detail = client.get(f"{API}/workbooks/{workbook['id']}").json()
    assert detail["inspection"] == insp
    f = client.get(f"{API}/workbooks/{workbook['id']}/file")
    assert f.status_code == 200 and f.content == dcf_path.read_bytes()
    assert "montecarlo_dcf.xlsx" in f.headers["content-disposition"]


def test_simulation_progress_and_results(client, workbook, dcf_path):
    job = start_job(client, workbook["id"], iterations=8000, seed=11, chunk_size=1000)
    assert job["status"] in ("queued", "running")
    assert job["links"]["events"].endswith("/events")
    events = sse_events(client, job["links"]["events"])
    names = [e for e, _ in events]
    assert names[-1] == "done", names
    progress = [d for e, d in events if e == "progress"]
    assert progress and all(p["total"] == 8000 for p in progress)
    dones = [p["done"] for p in progress]
    assert dones == sorted(dones) and max(dones) > 0
    assert any(p["rate"] for p in progress if p["done"])
    final = events[-1][1]
    assert final["job"]["status"] == "done" and final["summary"]["iterations"] == 8000
    assert {o["name"] for o in final["summary"]["outputs"]} == {"Levered IRR", "Levered NPV", "Equity multiple"}

    status = client.get(f"{API}/jobs/{job['id']}").json()
    assert status["status"] == "done" and status["progress"]["fraction"] == 1.0
    res = client.get(f"{API}/jobs/{job['id']}/results").json()
    assert res["iterations"] == 8000 and res["seed"] == 11
    irr = res["outputs"][0]
    assert irr["name"] == "Levered IRR"
    st = irr["statistics"]
    assert sum(irr["histogram"]["counts"]) == st["count"]
    assert len(irr["cumulative"]["values"]) == 101
    assert {s["input"] for s in irr["sensitivity"]} == {i["name"] for i in workbook["inspection"]["random_inputs"]}
    assert irr["convergence"][-1]["iterations"] == 8000
    # the same numbers as the engine itself with the same seed
    import engine
    direct = engine.load(dcf_path).simulate(8000, seed=11, chunk_size=1000)
    assert st["mean"] == pytest.approx(direct.statistics()["Levered IRR"]["mean"], rel=1e-12)

    # per-iteration data: Parquet and CSV
    pqr = client.get(res["links"]["parquet"])
    assert pqr.status_code == 200
    table = pq.read_table(io.BytesIO(pqr.content))
    assert table.num_rows == 8000 and "Levered IRR" in table.column_names and "Rent growth" in table.column_names
    assert np.nanmean(table.column("Levered IRR").to_numpy()) == pytest.approx(st["mean"], rel=1e-12)
    csv = client.get(res["links"]["csv"])
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert len(lines) == 8001 and "Levered IRR" in lines[0]
    # the report and a chart
    rep = client.get(res["links"]["report"])
    assert rep.status_code == 200 and "attachment" in rep.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(rep.content))
    assert book.sheetnames[:2] == ["Summary", "Iterations"]
    png = client.get(irr["chart"])
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(f"{API}/jobs/{job['id']}/results/charts/99.png").status_code == 404


def test_two_jobs_at_once_and_a_queue(client, workbook):
    a = start_job(client, workbook["id"], iterations=120_000, chunk_size=2000)
    b = start_job(client, workbook["id"], iterations=120_000, chunk_size=2000)
    c = start_job(client, workbook["id"], iterations=1000)
    seen_both = seen_queued = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        jobs = {j["id"]: j for j in client.get(f"{API}/jobs", params={"workbook_id": workbook["id"]}).json()["jobs"]}
        ja, jb, jc = jobs[a["id"]], jobs[b["id"]], jobs[c["id"]]
        if ja["status"] == jb["status"] == "running" and ja["progress"]["done"] > 0 and jb["progress"]["done"] > 0:
            seen_both = True
            seen_queued = seen_queued or jc["status"] == "queued"
        if seen_both or "done" in (ja["status"], jb["status"]):
            break
        time.sleep(0.05)
    assert seen_both, "the two jobs never ran at the same time"
    assert seen_queued, "the third job did not wait in the queue"
    # the API stays responsive while both run
    t0 = time.perf_counter()
    assert client.get("/health").status_code == 200
    assert time.perf_counter() - t0 < 1.0
    fa, fb, fc = (wait_status(client, j["id"], ("done", "failed")) for j in (a, b, c))
    assert fa["status"] == fb["status"] == fc["status"] == "done", (fa["error"], fb["error"], fc["error"])
    assert fa["started_at"] < fb["finished_at"] and fb["started_at"] < fa["finished_at"]
    assert fc["started_at"] >= min(fa["finished_at"], fb["finished_at"])


def test_cancel_running_and_queued(client, workbook, server):
    long = start_job(client, workbook["id"], iterations=3_000_000, chunk_size=2000)
    wait_status(client, long["id"], ("running",))
    deadline = time.monotonic() + 30
    while client.get(f"{API}/jobs/{long['id']}").json()["progress"]["done"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    r = client.post(f"{API}/jobs/{long['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    events = sse_events(client, f"{API}/jobs/{long['id']}/events", timeout=10)
    assert events[-1][0] == "cancelled"
    again = client.post(f"{API}/jobs/{long['id']}/cancel")
    assert again.status_code == 409 and again.json()["error"]["code"] == "job_finished"
    res = client.get(f"{API}/jobs/{long['id']}/results")
    assert res.status_code == 409 and res.json()["error"]["code"] == "job_not_done"
    time.sleep(0.5)
    assert not (server.data / "jobs" / f"{long['id']}.partial").exists()
    assert client.get(f"{API}/jobs/{long['id']}").json()["status"] == "cancelled"
    # a queued job: fill both slots first
    blockers = [start_job(client, workbook["id"], iterations=3_000_000, chunk_size=2000) for _ in range(2)]
    queued = start_job(client, workbook["id"], iterations=1000)
    assert client.get(f"{API}/jobs/{queued['id']}").json()["status"] == "queued"
    r = client.post(f"{API}/jobs/{queued['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    for j in blockers:
        assert client.post(f"{API}/jobs/{j['id']}/cancel").status_code == 200
    # a cancelled job can be resumed (same id, same seed) and deleted
    r = client.post(f"{API}/jobs/{queued['id']}/resume")
    assert r.status_code == 202 and r.json()["status"] in ("queued", "running")
    assert wait_status(client, queued["id"], ("done", "failed"))["status"] == "done"
    assert client.delete(f"{API}/jobs/{queued['id']}").status_code == 204
    assert client.get(f"{API}/jobs/{queued['id']}").status_code == 404
    assert not (server.data / "jobs" / queued["id"]).exists()


def test_errors_are_json_and_name_the_field(client, workbook):
    def err(r, status, code=None):
        assert r.status_code == status, r.text
        body = r.json()["error"]
        assert set(body) == {"code", "message", "details"} and body["message"]
        if code:
            assert body["code"] == code
        return body
    e = err(client.post(f"{API}/jobs", json={"workbook_id": workbook["id"], "iterations": 0}), 422,
            "validation_error")
    assert "iterations" in e["message"] and e["details"][0]["field"] == "body.iterations"
    e = err(client.post(f"{API}/jobs", json={"workbook_id": "0" * 32}), 404, "not_found")
    assert e["details"]["field"] == "body.workbook_id"
    e = err(client.post(f"{API}/jobs", json={"workbook_id": workbook["id"], "outputs": ["CashFlow!B18", "Nope!A1"]}),
            422, "validation_error")
    assert e["details"]["field"] == "body.outputs[1]" and "Nope" in e["message"]
    err(client.post(f"{API}/jobs", json={"workbook_id": workbook["id"], "outputs": ["B18:"]}), 422)
    err(client.post(f"{API}/jobs", json={"workbook_id": workbook["id"], "colour": "red"}), 422)
    err(client.post(f"{API}/jobs", json={"workbook_id": workbook["id"], "sampling": "magic"}), 422)
    err(client.post(f"{API}/jobs", content=b"{not json", headers={"content-type": "application/json"}), 422)
    err(client.get(f"{API}/jobs/not-an-id"), 404, "not_found")
    err(client.get(f"{API}/workbooks/{'f' * 32}"), 404, "not_found")
    err(client.get(f"{API}/nothing-here"), 404, "not_found")
    err(client.put(f"{API}/jobs"), 405, "method_not_allowed")
    err(client.post(f"{API}/workbooks"), 422, "validation_error")   # no file part


def test_extra_outputs_and_listing(client, workbook):
    job = start_job(client, workbook["id"], iterations=3000, outputs=["CashFlow!B19", "Inputs!B7"])
    done = wait_status(client, job["id"], ("done", "failed"))
    assert done["status"] == "done", done["error"]
    res = client.get(f"{API}/jobs/{job['id']}/results").json()
    assert [o["address"] for o in res["outputs"]] == ["CashFlow!B18", "CashFlow!B19", "CashFlow!B20", "Inputs!B7"]
    listed = client.get(f"{API}/jobs", params={"workbook_id": workbook["id"], "status": "done", "limit": 500}).json()
    assert job["id"] in [j["id"] for j in listed["jobs"]]
    assert all(j["status"] == "done" for j in listed["jobs"])
    assert client.get(f"{API}/jobs", params={"status": "sleeping"}).status_code == 422


def test_deleting_a_workbook_deletes_its_results(client, server, dcf_path):
    with open(dcf_path, "rb") as f:
        wb = client.post(f"{API}/workbooks", files={"file": ("copy.xlsx", f)}).json()
    job = start_job(client, wb["id"], iterations=2000)
    assert wait_status(client, job["id"], ("done", "failed"))["status"] == "done"
    assert (server.data / "jobs" / job["id"] / "data.parquet").exists()
    assert client.delete(f"{API}/workbooks/{wb['id']}").status_code == 204
    assert client.get(f"{API}/jobs/{job['id']}").status_code == 404
    assert client.get(f"{API}/workbooks/{wb['id']}").status_code == 404
    assert not (server.data / "jobs" / job["id"]).exists()
    assert not (server.data / "workbooks" / f"{wb['id']}.xlsx").exists()


def test_token_and_cors(tmp_path, dcf_path):
    srv = Server(tmp_path / "data", token="s3cret-token").start()
    try:
        import httpx
        url = srv.url
        r = httpx.get(url + "/health")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.json()["error"]["code"] == "unauthorized"
        assert httpx.get(url + "/api/v1/workbooks", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(url + "/", headers={}).status_code == 401
        assert httpx.get(url + "/api/v1/workbooks", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        # the web page's first visit: ?token= sets an HttpOnly cookie that later requests carry
        with httpx.Client(base_url=url) as c:
            first = c.get("/?token=s3cret-token")
            assert first.status_code == 200 and "HttpOnly" in first.headers["set-cookie"]
            assert c.get("/api/v1/jobs").status_code == 200
        # CORS: only the add-in's origin
        pre = httpx.options(url + "/api/v1/workbooks", headers={
            "Origin": "https://localhost:3000", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization"})
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == "https://localhost:3000"
        bad = httpx.options(url + "/api/v1/workbooks", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in bad.headers
        simple = httpx.get(url + "/health", headers={"Origin": "https://evil.example",
                                                     "Authorization": "Bearer s3cret-token"})
        assert simple.status_code == 200 and "access-control-allow-origin" not in simple.headers
    finally:
        srv.stop()
