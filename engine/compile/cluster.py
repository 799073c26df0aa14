"""Scale-out: iterations sharded by chunk over a Dask distributed cluster.

The compiled program and the sampling settings go to the workers once;
each task draws its own iterations (the draws depend only on the seed, the
input and the iteration number, never on which worker runs them) and sends
back its outputs (and inputs unless told not to).  The parts are put back in
iteration order, so every statistic is exactly that of a one-machine run
with the same seed.
"""
from __future__ import annotations

import threading

import numpy as np

from ..montecarlo.sampling import BLOCK

_WORKER_CACHE: dict = {}
_LOCK = threading.Lock()


def _work(payload, start: int, stop: int, chunk: int, keep_inputs: bool):
    """Runs on a worker: iterations [start, stop) in chunks."""
    from .runner import CompiledRun
    program, backend_name, spec = payload
    # one evaluator per worker thread: sources and register files are not shared
    key = (id(payload), backend_name, threading.get_ident())
    with _LOCK:
        run = _WORKER_CACHE.get(key)
        if run is None:
            if len(_WORKER_CACHE) > 8:
                _WORKER_CACHE.clear()
            run = CompiledRun(program, backend_name, spec.build())
            _WORKER_CACHE[key] = run
    xs, outs = [], []
    i = start
    while i < stop:
        j = min(stop, i + chunk)
        X, series = run.run(i, j)
        if keep_inputs:
            xs.append(X)
        outs.append(series)
        i = j
    X = np.concatenate(xs, axis=1) if xs else None
    series = [(np.concatenate([o[k][0] for o in outs]), sum(o[k][1] for o in outs))
              for k in range(len(outs[0]))] if outs else []
    return start, stop, X, series


def client_for(cluster):
    """A dask.distributed Client for an address ('tcp://host:8786'), a
    LocalCluster, or a Client given as is.  Returns (client, owned)."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise RuntimeError("--cluster needs Dask: pip install 'dask[distributed]'") from exc
    if isinstance(cluster, Client):
        return cluster, False
    return Client(cluster), True


def run_on_cluster(cluster, run, n: int, chunk: int, keep_inputs: bool, progress=None):
    """Evaluate all ``n`` iterations on the cluster.  Returns the per-task
    results in iteration order: [(start, stop, X or None, series)]."""
    import time
    from distributed import as_completed
    from .runner import SourceSpec
    client, owned = client_for(cluster)
    try:
        spec = SourceSpec.of(run.draws.source, getattr(run, "corr_groups", None))
        [payload] = client.scatter([(run.program, run.backend_name, spec)], broadcast=True)
        # tasks of whole chunks, about one sampling block each (fewer blocks drawn twice)
        task = chunk * max(1, round(BLOCK / chunk))
        bounds = [(s, min(n, s + task)) for s in range(0, n, task)]
        futures = [client.submit(_work, payload, s, e, chunk, keep_inputs, pure=False) for s, e in bounds]
        parts = {}
        done = 0
        t0 = time.perf_counter()
        for fut in as_completed(futures):
            s, e, X, series = fut.result()
            parts[s] = (s, e, X, series)
            done += e - s
            if progress:
                progress(done, n, time.perf_counter() - t0)
        return [parts[s] for s, _ in bounds]
    finally:
        if owned:
            client.close()
