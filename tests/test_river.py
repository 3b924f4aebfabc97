"""River channel (situation 1): travel time, attenuation, direction, interception, mass."""

import numpy as np
import pytest

from sim.hazards.river import RiverChannel
from sim.model import RiskModel
from sim.params import resolve
from sim.regions import Region, RiverEdge
from sim.regions.synthetic import river_chain as _chain


def river_chain(n, reach_hours, attenuation, population_m, gdp_tn_cny):
    p = resolve({"region.n_cities": n, "region.reach_hours": reach_hours,
                 "region.attenuation": attenuation, "region.population_m": population_m,
                 "region.gdp_tn_cny": gdp_tn_cny})
    return _chain(p, None)


def _run(channel: RiverChannel, inflow_at: int, mass: float, steps: int) -> np.ndarray:
    passing = np.zeros((steps, channel.n))
    for t in range(steps):
        inflow = np.zeros(channel.n)
        if t == 0:
            inflow[inflow_at] = mass
        passing[t] = channel.step(inflow)
    return passing


def test_slug_arrives_after_summed_travel_time_attenuated_by_product():
    region = river_chain(5, reach_hours=18.0, attenuation=0.8, population_m=1, gdp_tn_cny=0.1)
    ch = RiverChannel(region, step_hours=6.0)
    passing = _run(ch, 0, 100.0, 30)
    for j in range(5):
        arrival = np.flatnonzero(passing[:, j])
        assert list(arrival) == [3 * j], "slug reaches city j after j reaches of 3 steps"
        assert passing[3 * j, j] == pytest.approx(100.0 * 0.8**j)


def test_nothing_flows_upstream():
    region = river_chain(5, 12.0, 0.9, 1, 0.1)
    passing = _run(RiverChannel(region, 6.0), 2, 50.0, 20)
    assert passing[:, :2].sum() == 0.0
    assert passing[:, 2:].sum() > 0.0


def test_interception_removes_the_stated_share():
    region = river_chain(3, 6.0, 1.0, 1, 0.1)
    intercept = np.array([0.3, 0.0, 0.0])
    passing = _run(RiverChannel(region, 6.0, interception=intercept), 0, 10.0, 5)
    assert passing[1, 1] == pytest.approx(7.0)
    assert passing[2, 2] == pytest.approx(7.0)


def test_confluence_adds_both_tributaries():
    region = Region("y", ("a", "b", "c"), ("A", "B", "C"), ("甲", "乙", "丙"), np.zeros(3),
                    np.zeros(3), np.ones(3), np.ones(3),
                    (RiverEdge(0, 2, 6.0, 0.5), RiverEdge(1, 2, 12.0, 1.0)))
    ch = RiverChannel(region, 6.0)
    out = []
    for t in range(4):
        out.append(ch.step(np.array([10.0, 10.0, 0.0]) if t == 0 else np.zeros(3)))
    assert out[1][2] == pytest.approx(5.0)
    assert out[2][2] == pytest.approx(10.0)


def test_model_conserves_mass_and_never_loses_negative():
    for regime in ("territorial", "coordinated"):
        m = RiskModel(regime=regime, rng=3, **{"time.horizon_days": 30})
        m.run()
        spill = m.incidents[0].hazard
        spilled = spill.magnitude - spill.remaining
        assert spilled == pytest.approx(spill.captured + spill.released)
        river = spill.river
        assert spill.released == pytest.approx(river.degraded + river.exported
                                               + river.in_transit)
        assert (m.incidents[0].loss >= 0).all()


def test_fork_divides_the_water_and_conserves_mass():
    region = Region("fork", ("a", "b", "c"), ("A", "B", "C"), ("甲", "乙", "丙"), np.zeros(3),
                    np.zeros(3), np.ones(3), np.ones(3),
                    (RiverEdge(0, 1, 6.0, 1.0), RiverEdge(0, 2, 6.0, 1.0)))
    passing = _run(RiverChannel(region, 6.0), 0, 10.0, 3)
    assert passing[1, 1] == pytest.approx(5.0) and passing[1, 2] == pytest.approx(5.0)
