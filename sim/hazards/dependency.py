"""Dependency spillover (situation 3: hazard and exposed objects sit in different cities).

A hazard that damages water sources, power plants, data centres or logistics hubs in one city
cuts services that other cities rely on; those cities may in turn supply others (cascades,
the article's 复合性、联动性、叠加性). The layer is a weighted directed graph:
``W[i, j]`` = share of city j's critical services that rely on assets in city i (row i = what
i supplies, column j = what j depends on). Losses are shares in [0, 1] of a city's service level.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

__all__ = ["cascade", "dependency_matrix", "single_suppliers"]

_TOL = 1e-9


def dependency_matrix(n: int, edges: Iterable[tuple[int, int, float]]) -> FloatArray:
    """Build ``W`` (n × n) from ``(supplier, dependent, share)`` triples and validate it.

    Repeated pairs add up (e.g. one city supplies both water and power to another). Shares must
    be in [0, 1], a city cannot depend on itself (that is direct damage, not spillover), and
    every column sum must stay <= 1: a city cannot rely on others for more than all its services.
    """
    W = np.zeros((n, n))
    for supplier, dependent, share in edges:
        if not (0 <= supplier < n and 0 <= dependent < n):
            raise IndexError(f"edge ({supplier}, {dependent}) out of range for {n} cities")
        if supplier == dependent:
            raise ValueError(f"self-dependency of city {supplier} is not a spillover")
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"share {share} of edge ({supplier}, {dependent}) not in [0, 1]")
        W[supplier, dependent] += share
    _check_columns(W)
    return W


def _check_columns(W: FloatArray) -> None:
    col = W.sum(axis=0)
    if np.any(W < 0) or np.any(col > 1.0 + _TOL):
        bad = np.flatnonzero(col > 1.0 + _TOL).tolist()
        raise ValueError(f"W must be non-negative with column sums <= 1 (columns {bad} exceed)")


def single_suppliers(W: FloatArray) -> tuple[NDArray[np.int64], FloatArray] | None:
    """(supplier, share) per city when every city relies on at most one other (the synthetic
    layers: each city on its nearest larger neighbour), else None. A city with no supplier
    gets supplier 0 and share 0. With one term per column, ``L @ W`` is that term alone
    whatever order a BLAS adds its zeros in, so a gather gives the same numbers as the dense
    product, in O(n) instead of O(n²)."""
    W = np.asarray(W, dtype=float)
    nonzero = W != 0.0
    if np.any(nonzero.sum(axis=0) > 1):
        return None
    supplier = np.argmax(nonzero, axis=0)
    return supplier, W[supplier, np.arange(W.shape[1])]


def cascade(
    direct_damage: ArrayLike,
    W: ArrayLike,
    threshold: float = 0.0,
    max_rounds: int | None = None,
    tol: float = 1e-12,
    links: tuple[NDArray[np.int64], FloatArray] | None = None,
) -> FloatArray:
    """Total service loss per city after losses propagate along the dependency layer.

    Iterates ``L_j ← min(1, d_j + Σ_i W[i, j] · L_i·[L_i > threshold])`` from ``L = d``. The map is
    monotone and bounded, so the iterates rise to the least fixed point: acyclic chains settle
    exactly after at most n − 1 rounds, cycles (A needs B's water, B needs A's power) converge
    geometrically. ``threshold`` models buffers (storage, backup generators, stock): a city whose
    loss is at or below it keeps supplying others in full, so small shocks do not cascade.

    ``max_rounds=None`` iterates until the largest change is <= ``tol`` (safety cap 100·n + 100
    rounds); an integer caps the number of propagation hops, e.g. 1 round per model step for a
    cascade that unfolds over time. Each round is one vectorised matrix-vector product, or a
    gather when ``links`` (``single_suppliers(W)``, worked out once for a W that has already
    been checked) says every city has at most one supplier.
    """
    d = np.clip(np.asarray(direct_damage, dtype=float), 0.0, 1.0)
    W = np.asarray(W, dtype=float)
    n = d.shape[0]
    if d.ndim != 1 or W.shape != (n, n):
        raise ValueError(f"direct_damage must be (n,) and W (n, n); got {d.shape}, {W.shape}")
    if links is None:
        _check_columns(W)
    rounds = 100 * n + 100 if max_rounds is None else int(max_rounds)

    loss = d.copy()
    for _ in range(rounds):
        spreading = np.where(loss > threshold, loss, 0.0)
        inflow = spreading @ W if links is None else spreading[links[0]] * links[1]
        new = np.minimum(1.0, d + inflow)
        change = float(np.max(np.abs(new - loss), initial=0.0))
        loss = new
        if change <= tol:
            break
    return loss
