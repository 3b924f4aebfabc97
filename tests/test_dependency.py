"""Dependency cascades: chains, isolation, bounds, cycles and buffers."""

from __future__ import annotations

import numpy as np
import pytest

from sim.hazards.dependency import cascade, dependency_matrix

A, B, C, D = range(4)


def test_chain_halves_each_hop():
    W = dependency_matrix(4, [(A, B, 0.5), (B, C, 0.5)])
    loss = cascade([0.8, 0.0, 0.0, 0.0], W)
    assert loss == pytest.approx([0.8, 0.4, 0.2, 0.0])


def test_independent_city_untouched():
    W = dependency_matrix(4, [(A, B, 0.5), (B, C, 0.5)])
    loss = cascade([1.0, 0.0, 0.0, 0.3], W)
    assert loss[D] == 0.3  # D depends on nothing: direct damage only
    assert loss[A] == 1.0  # A depends on nothing either
    assert cascade(np.zeros(4), W) == pytest.approx(np.zeros(4))


def test_results_bounded():
    rng = np.random.default_rng(7)
    n = 30
    for _ in range(20):
        raw = rng.uniform(0, 1, (n, n)) * (rng.uniform(size=(n, n)) < 0.2)
        np.fill_diagonal(raw, 0.0)
        W = raw / np.maximum(1.0, raw.sum(axis=0))  # column sums <= 1
        direct = rng.uniform(-0.5, 1.5, n)  # out-of-range input is clipped
        loss = cascade(direct, W)
        assert np.all((loss >= 0) & (loss <= 1))
        assert np.all(loss >= np.clip(direct, 0, 1))
        # fixed point of the propagation map
        assert loss == pytest.approx(np.minimum(1, np.clip(direct, 0, 1) + loss @ W), abs=1e-9)


def test_cycle_converges_to_analytic_fixed_point():
    s = 0.5
    W = dependency_matrix(3, [(A, B, s), (B, C, s), (C, A, s)])
    d = np.array([0.4, 0.0, 0.0])
    loss = cascade(d, W)
    a = d[A] / (1 - s**3)  # A's loss comes back around the loop, geometric series
    assert loss == pytest.approx([a, s * a, s * s * a], abs=1e-10)
    # fully mutual dependence: any loss saturates both cities
    W2 = dependency_matrix(2, [(A, B, 1.0), (B, A, 1.0)])
    assert cascade([0.05, 0.0], W2) == pytest.approx([1.0, 1.0])


def test_max_rounds_limits_hops():
    W = dependency_matrix(4, [(A, B, 0.5), (B, C, 0.5), (C, D, 0.5)])
    assert cascade([1.0, 0, 0, 0], W, max_rounds=1) == pytest.approx([1.0, 0.5, 0.0, 0.0])
    assert cascade([1.0, 0, 0, 0], W, max_rounds=3) == pytest.approx([1.0, 0.5, 0.25, 0.125])


def test_threshold_buffers_small_losses():
    W = dependency_matrix(3, [(A, B, 0.5), (B, C, 0.5)])
    # B's induced loss 0.15 is within its 0.2 buffer: it does not pass anything on to C
    assert cascade([0.3, 0, 0], W, threshold=0.2) == pytest.approx([0.3, 0.15, 0.0])
    # A itself below the buffer: nothing propagates at all
    assert cascade([0.1, 0, 0], W, threshold=0.2) == pytest.approx([0.1, 0.0, 0.0])


def test_compound_sources_add_up_and_cap():
    # 叠加性: two damaged suppliers hit one dependent; capped at total loss
    W = dependency_matrix(3, [(A, C, 0.6), (B, C, 0.4), (A, C, 0.0)])
    assert cascade([1.0, 0.5, 0.0], W)[C] == pytest.approx(0.8)
    assert cascade([1.0, 1.0, 0.5], W)[C] == 1.0


def test_validation():
    with pytest.raises(ValueError, match="column sums"):
        dependency_matrix(3, [(A, C, 0.7), (B, C, 0.4)])  # C relies on others for 110%
    with pytest.raises(ValueError, match="self-dependency"):
        dependency_matrix(3, [(A, A, 0.1)])
    with pytest.raises(ValueError, match="not in"):
        dependency_matrix(3, [(A, B, 1.5)])
    with pytest.raises(IndexError):
        dependency_matrix(3, [(A, 3, 0.1)])
    with pytest.raises(ValueError, match="column sums"):
        cascade([0.1, 0.2], np.array([[0.0, 1.2], [0.0, 0.0]]))


def test_one_supplier_per_city_gathers_the_same_numbers_as_the_matrix():
    from sim.hazards.dependency import single_suppliers

    rng = np.random.default_rng(3)
    n = 40
    edges = [(int(rng.integers(j)), j, float(rng.uniform(0.2, 0.9))) for j in range(1, n)]
    W = dependency_matrix(n, edges)
    links = single_suppliers(W)
    assert links is not None
    for _ in range(20):
        direct = np.where(rng.random(n) < 0.2, rng.random(n), 0.0)
        for threshold in (0.0, 0.1):
            dense = cascade(direct, W, threshold)
            assert np.array_equal(cascade(direct, W, threshold, links=links), dense)
    # two suppliers of one city: the matrix product is needed
    assert single_suppliers(dependency_matrix(3, [(0, 2, 0.3), (1, 2, 0.3)])) is None
