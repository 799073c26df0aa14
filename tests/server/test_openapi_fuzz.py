"""Schemathesis generates requests for every operation of the OpenAPI schema
against the live server: valid and invalid parameters and bodies, multipart
uploads, random ids and real ones (a workbook and a finished job made for
the purpose).  No response may be a 5xx, and every JSON error has the
``{"error": {"code", "message", "details"}}`` shape.  Bounded: a dozen
examples per operation and mode, under a minute."""
from __future__ import annotations

import time

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from .helpers import start_job, wait_status  # noqa: E402

MAX_EXAMPLES = 12
BUDGET_S = 50
API = "/api/v1"


def _strategies(op, real: dict[str, str]):
    out = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        try:
            out.append(op.as_strategy(generation_mode=mode))
        except Exception:   # an operation with nothing to negate
            pass
    names = {p.name for p in op.path_parameters} if hasattr(op, "path_parameters") else set()
    fixed = {k: v for k, v in real.items() if k in names}
    if fixed:
        out.append(op.as_strategy(path_parameters=fixed))
    return st.one_of(out)


def test_no_server_errors_on_any_operation(server, client, dcf_path):
    # a workbook and a finished job of its own, so real ids are exercised too
    with open(dcf_path, "rb") as f:
        wb = client.post(f"{API}/workbooks", files={"file": ("fuzz.xlsx", f)}).json()
    job = start_job(client, wb["id"], iterations=1000)
    assert wait_status(client, job["id"], ("done",))["status"] == "done"
    real = {"workbook_id": wb["id"], "job_id": job["id"]}

    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 15
    operations.sort(key=lambda op: op.method.lower() == "delete")   # deletions last
    started = time.monotonic()
    failures: list[str] = []
    statuses: dict[str, set[int]] = {}

    for op in operations:
        if time.monotonic() - started > BUDGET_S:
            break
        label = f"{op.method.upper()} {op.path}"

        @settings(max_examples=MAX_EXAMPLES * 2, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=_strategies(op, real), use_real=st.booleans())
        def run(case, use_real):
            if use_real and isinstance(case.body, dict) and "workbook_id" in case.body:
                case.body["workbook_id"] = real["workbook_id"]
                if isinstance(case.body.get("iterations"), int):
                    case.body["iterations"] = max(1, min(case.body["iterations"], 2000))
            response = case.call(base_url=server.url, timeout=30)
            statuses.setdefault(label, set()).add(response.status_code)
            try:
                case.validate_response(response, checks=[not_a_server_error])
            except Exception as exc:  # collect, so one run reports every failing operation
                failures.append(f"{label}: {exc}")
                return
            ctype = response.headers.get("content-type") or [""]
            ctype = ctype[0] if isinstance(ctype, list) else ctype
            if response.status_code >= 400 and ctype.startswith("application/json"):
                body = response.json()
                if set(body.get("error", {})) != {"code", "message", "details"}:
                    failures.append(f"{label}: error body {body}")
        run()

    # stop whatever the fuzzing started, then check the server still serves
    for j in client.get(f"{API}/jobs", params={"workbook_id": wb["id"], "limit": 1000}).json()["jobs"]:
        if j["status"] in ("queued", "running"):
            client.post(f"{API}/jobs/{j['id']}/cancel")
    client.delete(f"{API}/workbooks/{wb['id']}")
    assert not failures, "\n".join(failures[:10])
    assert client.get("/health").status_code == 200
    # the real ids reached past the 404s
    assert any(s < 400 for s in statuses.get(f"GET {API}/jobs/{{job_id}}/results", ())), statuses
    assert any(s < 300 for s in statuses.get(f"POST {API}/jobs", ())), statuses
