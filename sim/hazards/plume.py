"""Airborne spillover (situation 2: hazard in one city, wide exposure carried by the wind).

A toxic release, fire smoke or dust plume is modelled as a city × city transfer operator built
once per wind state: which cities lie downwind of each source, how much of the source intensity
reaches them, and after how many hours. It is a screening kernel (Gaussian in angle, exponential
in distance), not a dispersion model: it only has to rank who is exposed, how strongly and when,
which is what the governance questions (warning lead time, who must be told) depend on.

Conventions the model must respect:

* Angles in **degrees**; ``lat``/``lon`` in decimal degrees (WGS84); distances in **km**.
* Wind direction is meteorological: ``wind_from_deg`` is where the wind blows FROM
  (0 = from the north, 90 = from the east); the plume travels toward ``wind_from + 180``.
* Wind speed in **km/h**, so ``lag_hours`` is in **hours** (divide by ``step_hours`` for steps).
* Row = source, column = receptor: ``A[i, j]`` is the share of the intensity at source i that
  reaches city j. The exposure of every city to intensities ``x`` (per source) is
  ``x @ A`` (i.e. ``A.T @ x``), each term arriving ``lag_hours[i, j]`` after release.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius

__all__ = ["EARTH_RADIUS_KM", "bearing_deg", "haversine_km", "plume_operator"]


def _coords(lat: ArrayLike, lon: ArrayLike) -> tuple[FloatArray, FloatArray]:
    phi = np.radians(np.atleast_1d(np.asarray(lat, dtype=float)))
    lam = np.radians(np.atleast_1d(np.asarray(lon, dtype=float)))
    if phi.ndim != 1 or phi.shape != lam.shape:
        raise ValueError(f"lat and lon must be 1-d of equal length; got {phi.shape}, {lam.shape}")
    return phi, lam


def haversine_km(lat: ArrayLike, lon: ArrayLike) -> FloatArray:
    """Great-circle distance between every pair of cities (n × n, km, symmetric, zero diagonal).

    Haversine rather than planar distance so presets spanning a province or a whole country
    (thousands of km, varying latitude) get consistent distances from raw coordinates.
    """
    phi, lam = _coords(lat, lon)
    dphi = phi[None, :] - phi[:, None]
    dlam = lam[None, :] - lam[:, None]
    a = np.sin(dphi / 2) ** 2 + np.cos(phi)[:, None] * np.cos(phi)[None, :] * np.sin(dlam / 2) ** 2
    d = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    np.fill_diagonal(d, 0.0)
    return d


def bearing_deg(lat: ArrayLike, lon: ArrayLike) -> FloatArray:
    """Initial great-circle bearing from city i to city j (n × n, degrees clockwise from north).

    Values lie in [0, 360); the diagonal (no direction to oneself) is set to 0.
    """
    phi, lam = _coords(lat, lon)
    dlam = lam[None, :] - lam[:, None]
    y = np.sin(dlam) * np.cos(phi)[None, :]
    cos_i, sin_i = np.cos(phi)[:, None], np.sin(phi)[:, None]
    x = cos_i * np.sin(phi)[None, :] - sin_i * np.cos(phi)[None, :] * np.cos(dlam)
    b = np.mod(np.degrees(np.arctan2(y, x)), 360.0)
    np.fill_diagonal(b, 0.0)
    return b


def plume_operator(
    lat: ArrayLike,
    lon: ArrayLike,
    wind_from_deg: float | ArrayLike,
    wind_speed_kmh: float | ArrayLike,
    decay_km: float = 100.0,
    spread_deg: float = 30.0,
    max_range_km: float | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Transfer shares ``A`` and travel times ``lag_hours`` of a wind-borne plume (both n × n).

    ``A[i, j] = exp(−½ (δ_ij / spread_deg)²) · exp(−d_ij / decay_km)`` where δ_ij is the angle
    between the downwind bearing at source i and the bearing i → j. ``A[i, i] = 1``, and
    ``A[i, j] = 0`` when j lies outside the plume cone (``|δ| > 3·spread_deg`` or ``|δ| >= 90°``:
    nothing upwind or crosswind is ever reached), beyond ``max_range_km``, or in calm air.
    ``lag_hours[i, j] = d_ij / wind_speed`` (``inf`` in calm air, 0 on the diagonal), defined for
    every pair so the model can also time non-reached pairs if the wind later changes.

    ``wind_from_deg`` and ``wind_speed_kmh`` may be scalars (one regional wind) or per-source
    arrays (the wind at each source city), which is why row i uses the wind at i.
    """
    if decay_km <= 0 or spread_deg <= 0:
        raise ValueError("decay_km and spread_deg must be positive")
    dist = haversine_km(lat, lon)
    n = dist.shape[0]
    wind_from = np.broadcast_to(np.asarray(wind_from_deg, dtype=float), (n,))
    speed = np.broadcast_to(np.asarray(wind_speed_kmh, dtype=float), (n,))
    if np.any(speed < 0):
        raise ValueError("wind_speed_kmh must be non-negative")

    downwind = np.mod(wind_from + 180.0, 360.0)
    delta = np.mod(bearing_deg(lat, lon) - downwind[:, None] + 180.0, 360.0) - 180.0
    inside = (np.abs(delta) <= 3.0 * spread_deg) & (np.abs(delta) < 90.0) & (speed[:, None] > 0)
    if max_range_km is not None:
        inside &= dist <= max_range_km
    share = np.exp(-0.5 * (delta / spread_deg) ** 2 - dist / decay_km)
    A = np.where(inside, share, 0.0)
    np.fill_diagonal(A, 1.0)

    with np.errstate(divide="ignore", invalid="ignore"):
        lag = np.where(speed[:, None] > 0, dist / speed[:, None], np.inf)
    np.fill_diagonal(lag, 0.0)
    return A, lag
