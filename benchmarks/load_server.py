"""Load test of the local server: N concurrent clients each upload a workbook,
start a small simulation and poll its status until it finishes; prints
latency percentiles per request kind.

Bounded and self-stopping: a fixed number of clients and polls, an overall
deadline, and only loopback addresses.  Without --url it starts its own
`gridflow serve` on a free loopback port with a temporary data folder and
stops it afterwards.

    .venv/bin/python benchmarks/load_server.py                  # 50 clients
    .venv/bin/python benchmarks/load_server.py --clients 20 --iterations 5000
"""
from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def timed(self, kind: str, fn, ok=(200, 201, 202)):
        t0 = time.perf_counter()
        try:
            r = fn()
        except httpx.HTTPError as exc:
            with self.lock:
                self.errors[kind].append(f"{type(exc).__name__}: {exc}")
            return None
        dt = time.perf_counter() - t0
        with self.lock:
            self.latencies[kind].append(dt)
            if r.status_code not in ok:
                self.errors[kind].append(f"HTTP {r.status_code}: {r.text[:200]}")
                return None
        return r


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def client_run(i: int, url: str, data: bytes, args, rec: Recorder, start: threading.Barrier, deadline: float,
               headers: dict) -> str:
    with httpx.Client(base_url=url, timeout=args.request_timeout, headers=headers) as c:
        start.wait(timeout=60)
        r = rec.timed("upload", lambda: c.post("/api/v1/workbooks",
                                               files={"file": (f"load-{i}.xlsx", data)}))
        if r is None:
            return "upload failed"
        wid = r.json()["id"]
        r = rec.timed("start job", lambda: c.post("/api/v1/jobs", json={
            "workbook_id": wid, "iterations": args.iterations, "seed": i}))
        if r is None:
            return "start failed"
        jid = r.json()["id"]
        for _ in range(args.polls):
            if time.monotonic() > deadline:
                return "deadline"
            r = rec.timed("status poll", lambda: c.get(f"/api/v1/jobs/{jid}"))
            if r is not None and r.json()["status"] in ("done", "failed", "cancelled", "interrupted"):
                status = r.json()["status"]
                if status != "done":
                    with rec.lock:
                        rec.errors["job"].append(f"job {jid} {status}: {r.json().get('error')}")
                    return status
                rec.timed("results", lambda: c.get(f"/api/v1/jobs/{jid}/results"))
                return "done"
            time.sleep(args.poll_interval)
        return "still running after the last poll"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running server on a loopback address (default: start one)")
    ap.add_argument("--token", default=None)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--iterations", type=int, default=2000, help="iterations of each client's simulation")
    ap.add_argument("--polls", type=int, default=400, help="status polls per client at most")
    ap.add_argument("--poll-interval", type=float, default=0.1)
    ap.add_argument("--max-jobs", type=int, default=2, help="--max-jobs of the server this script starts")
    ap.add_argument("--deadline", type=float, default=180, help="seconds before every client stops")
    ap.add_argument("--request-timeout", type=float, default=60)
    ap.add_argument("--workbook", default=str(ROOT / "workbooks" / "montecarlo_dcf.xlsx"))
    args = ap.parse_args(argv)
    args.clients = max(1, min(args.clients, 500))
    args.polls = max(1, min(args.polls, 10_000))

    wb = Path(args.workbook)
    if not wb.exists():
        from workbooks.build import build_montecarlo_dcf
        wb = build_montecarlo_dcf(Path(tempfile.mkdtemp()) / "montecarlo_dcf.xlsx")
    data = wb.read_bytes()
    proc = None
    tmp = None
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    if args.url:
        if not _loopback(args.url):
            print("load_server: refusing a non-loopback address; this test only targets 127.0.0.0/8 or ::1",
                  file=sys.stderr)
            return 2
        url = args.url.rstrip("/")
    else:
        tmp = tempfile.TemporaryDirectory(prefix="gridflow-load-")
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen([sys.executable, "-m", "gridflow", "serve", "--port", str(port), "--data",
                                 os.path.join(tmp.name, "data"), "--max-jobs", str(args.max_jobs),
                                 "--log-level", "warning"], cwd=ROOT)
    try:
        t_wait = time.monotonic() + 60
        while True:
            try:
                h = httpx.get(url + "/health", headers=headers, timeout=2)
                if h.status_code == 200 and h.json().get("workers_ready"):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > t_wait or (proc is not None and proc.poll() is not None):
                print("load_server: the server did not become ready", file=sys.stderr)
                return 2
            time.sleep(0.2)
        rec = Recorder()
        barrier = threading.Barrier(args.clients)
        t0 = time.monotonic()
        deadline = t0 + args.deadline
        with ThreadPoolExecutor(args.clients) as pool:
            futures = [pool.submit(client_run, i, url, data, args, rec, barrier, deadline, headers)
                       for i in range(args.clients)]
            outcomes = [f.result() for f in futures]
        wall = time.monotonic() - t0
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        if tmp is not None:
            tmp.cleanup()

    print(f"{args.clients} concurrent clients against {url}: upload, start a {args.iterations:,}-iteration "
          f"simulation, poll its status every {args.poll_interval:g}s until done; {wall:.1f}s in all")
    print(f"{'request':14} {'count':>6} {'errors':>6} {'p50 ms':>9} {'p90 ms':>9} {'p95 ms':>9} {'p99 ms':>9} "
          f"{'max ms':>9} {'mean ms':>9}")
    for kind in ("upload", "start job", "status poll", "results"):
        xs = rec.latencies.get(kind, [])
        if not xs and not rec.errors.get(kind):
            continue
        ms = [x * 1000 for x in xs]
        print(f"{kind:14} {len(xs):6} {len(rec.errors.get(kind, [])):6} {_pct(ms, 50):9.1f} {_pct(ms, 90):9.1f} "
              f"{_pct(ms, 95):9.1f} {_pct(ms, 99):9.1f} {max(ms) if ms else float('nan'):9.1f} "
              f"{statistics.fmean(ms) if ms else float('nan'):9.1f}")
    done = outcomes.count("done")
    print(f"jobs finished: {done}/{args.clients}")
    errors = [e for errs in rec.errors.values() for e in errs]
    for e in errors[:10]:
        print("error:", e)
    ok = not errors and done == args.clients
    print("result:", "no errors" if ok else f"{len(errors)} error(s), {args.clients - done} job(s) not done")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
