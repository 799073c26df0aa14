"""Scale-out over Dask: a LocalCluster of two workers gives exactly the
iterations (hence the statistics) of a one-machine run with the same seed."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import engine

distributed = pytest.importorskip("distributed")

TEMPLATE = Path(__file__).resolve().parents[1] / "workbooks" / "montecarlo_dcf.xlsx"


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_cluster_run_matches_the_local_run(client, backend):
    m = engine.load(TEMPLATE)
    n = 100_000          # tasks of three 20,000-iteration chunks: two tasks, one per worker
    local = m.simulate(n, seed=21, backend=backend, chunk_size=20_000)
    seen = []
    remote = m.simulate(n, seed=21, backend=backend, chunk_size=20_000, cluster=client,
                        progress=lambda done, total, _t: seen.append(done))
    assert remote.iterations == local.iterations == n
    assert seen and seen[-1] == n
    for a, b in zip(local.outputs, remote.outputs):
        assert np.array_equal(a.values, b.values, equal_nan=True)
        assert a.errors == b.errors
    for a, b in zip(local.inputs, remote.inputs):
        assert np.array_equal(a.values, b.values, equal_nan=True)
    assert local.statistics() == remote.statistics()
    workers = {w for w in client.scheduler_info()["workers"]}
    assert len(workers) == 2


def test_cluster_without_inputs_keeps_outputs_only(client):
    m = engine.load(TEMPLATE)
    r = m.simulate(30_000, seed=3, backend="numba", cluster=client, keep_inputs=False, chunk_size=10_000)
    assert all(i.values.size == 0 for i in r.inputs)
    assert all(o.values.size == 30_000 for o in r.outputs)
