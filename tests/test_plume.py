"""Wind-borne plume operator: geometry, direction convention and lags."""

from __future__ import annotations

import numpy as np
import pytest

from sim.hazards.plume import EARTH_RADIUS_KM, bearing_deg, haversine_km, plume_operator
from sim.model import RiskModel

# A source at (30N, 120E) with cities due east, due west, due north and further east.
LAT = np.array([30.0, 30.0, 30.0, 31.0, 30.0])
LON = np.array([120.0, 121.0, 119.0, 120.0, 122.0])
SOURCE, EAST, WEST, NORTH, FAR_EAST = range(5)


def test_haversine_known_values():
    d = haversine_km(LAT, LON)
    assert d.shape == (5, 5)
    assert np.allclose(d, d.T)
    assert np.all(np.diag(d) == 0)
    one_degree = np.pi * EARTH_RADIUS_KM / 180.0
    assert d[SOURCE, NORTH] == pytest.approx(one_degree)  # along a meridian
    assert d[SOURCE, EAST] == pytest.approx(one_degree * np.cos(np.radians(30.0)), rel=1e-3)
    # Beijing (39.9042N, 116.4074E) to Shanghai (31.2304N, 121.4737E): ≈ 1067 km
    assert haversine_km([39.9042, 31.2304], [116.4074, 121.4737])[0, 1] == pytest.approx(
        1067, abs=5
    )


def test_bearings():
    b = bearing_deg(LAT, LON)
    assert b[SOURCE, NORTH] == pytest.approx(0.0, abs=1e-9)
    assert b[NORTH, SOURCE] == pytest.approx(180.0)
    assert b[SOURCE, EAST] == pytest.approx(90.0, abs=0.3)  # great circle leaves slightly north
    assert b[SOURCE, WEST] == pytest.approx(270.0, abs=0.3)
    assert np.all((b >= 0) & (b < 360))


def test_downwind_reached_upwind_not():
    # wind FROM the west (270°) blows toward the east
    A, _ = plume_operator(LAT, LON, wind_from_deg=270.0, wind_speed_kmh=20.0)
    assert A[SOURCE, EAST] > 0
    assert A[SOURCE, WEST] == 0.0
    assert A[SOURCE, NORTH] == 0.0  # crosswind
    assert np.all(np.diag(A) == 1.0)
    assert np.all((A >= 0) & (A <= 1))


def test_decays_with_distance_on_same_bearing():
    A, _ = plume_operator(LAT, LON, 270.0, 20.0, decay_km=100.0)
    assert 0 < A[SOURCE, FAR_EAST] < A[SOURCE, EAST]
    d = haversine_km(LAT, LON)
    ratio = A[SOURCE, FAR_EAST] / A[SOURCE, EAST]
    # same latitude => near-identical bearings, so the ratio is the distance kernel (to ~1e-3)
    assert ratio == pytest.approx(np.exp(-(d[SOURCE, FAR_EAST] - d[SOURCE, EAST]) / 100), rel=1e-2)


def test_angular_spread_and_range():
    wide, _ = plume_operator(LAT, LON, 260.0, 20.0, spread_deg=30.0)  # downwind bearing 80°
    narrow, _ = plume_operator(LAT, LON, 260.0, 20.0, spread_deg=2.0)
    assert wide[SOURCE, EAST] > 0
    assert narrow[SOURCE, EAST] == 0.0  # 10° off-axis is beyond 3 × 2°
    capped, _ = plume_operator(LAT, LON, 270.0, 20.0, max_range_km=150.0)
    assert capped[SOURCE, EAST] > 0
    assert capped[SOURCE, FAR_EAST] == 0.0


def test_lag_is_distance_over_speed():
    _, lag = plume_operator(LAT, LON, 270.0, 25.0)
    d = haversine_km(LAT, LON)
    assert np.allclose(lag, d / 25.0)
    assert lag[SOURCE, EAST] == pytest.approx(d[SOURCE, EAST] / 25.0)
    calm_A, calm_lag = plume_operator(LAT, LON, 270.0, 0.0)
    assert np.array_equal(calm_A, np.eye(5))
    assert np.all(np.isinf(calm_lag[~np.eye(5, dtype=bool)]))


def test_rotating_wind_swaps_reached_cities():
    A, _ = plume_operator(LAT, LON, 270.0, 20.0)
    B, _ = plume_operator(LAT, LON, 90.0, 20.0)  # from the east: blows toward the west
    off = ~np.eye(5, dtype=bool)
    reached_a, reached_b = (A > 0) & off, (B > 0) & off
    assert reached_a[SOURCE, EAST]
    assert not reached_b[SOURCE, EAST]
    assert reached_b[SOURCE, WEST]
    assert not reached_a[SOURCE, WEST]
    assert not np.any(reached_a & reached_b)  # 30° spread: nothing is reached both ways
    # mirror layout (west <-> east of the source): reversing the wind mirrors the whole row
    lat, lon = np.full(5, 30.0), np.array([120.0, 121.0, 119.0, 122.0, 118.0])
    mirror = [0, 2, 1, 4, 3]
    A, _ = plume_operator(lat, lon, 270.0, 20.0)
    B, _ = plume_operator(lat, lon, 90.0, 20.0)
    assert np.count_nonzero(A[0]) == 3  # the source itself and the two cities to the east
    assert np.allclose(B[0], A[0][mirror])


def test_per_source_wind():
    # each source has its own wind; row i must follow the wind at i
    wind_from = np.array([270.0, 90.0, 270.0, 0.0, 90.0])
    A, lag = plume_operator(LAT, LON, wind_from, [20, 10, 20, 5, 10])
    assert A[SOURCE, EAST] > 0
    assert A[EAST, SOURCE] > 0  # the wind at EAST blows back west toward the source
    assert A[NORTH, SOURCE] > 0  # from the north: toward the south
    assert lag[EAST, SOURCE] == pytest.approx(haversine_km(LAT, LON)[EAST, SOURCE] / 10)


def test_a_plume_burns_out_and_its_incident_closes():
    """A decaying source must stop: a tail that keeps emitting would keep every plume live
    (escalated, never assessed, never learned from) for years."""
    m = RiskModel("coordinated", rng=0, region__kind="jingjinji", hazard__kind="plume",
                  hazard__origin="tangshan", time__horizon_days=60.0)
    m.run()
    assert not m.incidents[0].live
