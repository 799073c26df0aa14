"""The compiled sampling kernels: AS 241 normal quantile against SciPy, and
the SplitMix64 plain / Latin-hypercube streams."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from engine.montecarlo import fastdraw as FD


def test_normal_quantile_matches_scipy_to_double_precision():
    u = np.concatenate([np.linspace(1e-15, 1 - 1e-15, 200_001), 10.0 ** -np.linspace(1, 15, 500),
                        1 - 10.0 ** -np.linspace(1, 15, 500), [0.075, 0.925, 0.5]])
    got = FD.normal_ppf(u, 0.0, 1.0, 1e-16)
    want = special.ndtri(u)
    rel = np.abs(got - want) / np.maximum(np.abs(want), 1e-300)
    assert rel.max() < 5e-15
    assert got[-1] == 0.0


def test_location_scale_clipping_nan_and_broadcasting():
    u = np.array([np.nan, 0.0, 1.0, 0.3, 0.9])
    got = FD.normal_ppf(u, 10.0, 2.0, 1e-12)
    assert np.isnan(got[0])
    assert got[1] == pytest.approx(10 + 2 * special.ndtri(1e-12), rel=1e-14)
    assert got[2] == pytest.approx(10 + 2 * special.ndtri(1 - 1e-12), rel=1e-14)
    means = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    per_element = FD.normal_ppf(u, means, 2.0, 1e-12)
    for i in range(1, 5):
        assert per_element[i] == FD.normal_ppf(u[i:i + 1], means[i], 2.0, 1e-12)[0]
    assert isinstance(FD.normal_ppf(0.5, 1.0, 1.0, 1e-12), float)


def test_latin_hypercube_hits_every_stratum_once_and_is_uniform():
    m = 10_000
    u = FD.stratified_uniforms(FD.block_key(7, 123, 0), m, True)
    assert np.array_equal(np.sort(np.floor(u * m)), np.arange(m))
    assert stats.kstest(u, "uniform").pvalue > 0.01
    assert u.min() > 0 and u.max() < 1


def test_plain_stream_is_uniform_independent_and_reproducible():
    a = FD.stratified_uniforms(FD.block_key(1, 5, 0), 200_000, False)
    b = FD.stratified_uniforms(FD.block_key(1, 6, 0), 200_000, False)
    assert np.array_equal(a, FD.stratified_uniforms(FD.block_key(1, 5, 0), 200_000, False))
    assert stats.kstest(a, "uniform").pvalue > 0.01
    assert abs(a.mean() - 0.5) < 0.003 and abs(a.var() - 1 / 12) < 0.001
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.01                 # different inputs: independent streams
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 0.01        # no serial correlation
    assert not np.array_equal(a, FD.stratified_uniforms(FD.block_key(1, 5, 1), 200_000, False))
