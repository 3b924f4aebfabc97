"""Metapopulation SEIR: flows, effective distance, conservation and control levers.

The published patterns (final size, invasion threshold, arrival order; docs/sources.md
§A.3) are in tests/patterns/."""

from __future__ import annotations

import numpy as np
import pytest

from sim.hazards.epidemic import (
    MetapopSEIR,
    effective_distance,
    gravity_flows,
    shortest_effective_distance,
)
from tests.patterns.helpers import planar_distances, ring


# --------------------------------------------------------------------------- gravity flows
def test_gravity_rows_and_attraction():
    pop = np.array([1e6, 4e6, 1e6, 2e5])
    dist = planar_distances(np.array([[0, 0], [100, 0], [0, 100], [300, 300]], dtype=float))
    rate = np.array([0.01, 0.02, 0.0, 0.05])
    P = gravity_flows(pop, dist, rate)
    assert np.allclose(P.sum(axis=1), 1.0)
    assert np.allclose(1.0 - np.diag(P), rate)
    assert np.all(P >= 0)
    assert np.all(P[2, [0, 1, 3]] == 0)  # rate 0: nobody leaves
    # from city 0, the big city 1 and the small city 2 are equally far: ratio = pop ratio
    assert P[0, 1] / P[0, 2] == pytest.approx(4.0)
    # exponent 2: twice the distance, a quarter of the attraction (same population)
    P2 = gravity_flows([1.0, 1.0, 1.0], [[0, 10, 20], [10, 0, 10], [20, 10, 0]], 0.1)
    assert P2[0, 1] / P2[0, 2] == pytest.approx(4.0)


def test_single_city_keeps_everyone_home():
    assert np.array_equal(gravity_flows([5e4], [[0.0]], 0.3), [[1.0]])


# --------------------------------------------------------------------------- effective distance
def test_effective_distance_direction_convention():
    # 3 cities; from 0, 90% of travellers go to 1 and 10% to 2. Nobody leaves 1 or 2.
    P = np.array([[0.9, 0.09, 0.01], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    D = effective_distance(P)
    assert D[1, 0] == pytest.approx(1 - np.log(0.9))  # hop 0 -> 1 (column = origin)
    assert D[2, 0] == pytest.approx(1 - np.log(0.1))
    assert np.isinf(D[0, 1])  # no flux back
    assert np.isinf(D[0, 2])
    assert np.all(np.diag(D) == 0)
    raw = effective_distance(P, outflow_normalised=False)
    assert raw[1, 0] == pytest.approx(1 - np.log(0.09))
    assert np.array_equal(
        shortest_effective_distance(P, 0), [0.0, 1 - np.log(0.9), 1 - np.log(0.1)]
    )
    assert np.all(np.isinf(shortest_effective_distance(P, 1)[[0, 2]]))


def test_shortest_path_prefers_two_strong_hops():
    # direct 0 -> 2 is rare, 0 -> 1 -> 2 is the main route
    P = np.array([[0.0, 0.999, 0.001], [0.0005, 0.0, 0.9995], [0.5, 0.5, 0.0]])
    P[np.diag_indices(3)] = 0.0
    P = 0.01 * P / P.sum(axis=1, keepdims=True)
    P[np.diag_indices(3)] = 0.99
    D = effective_distance(P)
    best = shortest_effective_distance(P, 0)
    assert best[2] == pytest.approx(D[1, 0] + D[2, 1])
    assert best[2] < D[2, 0]


# --------------------------------------------------------------------------- conservation
def test_conservation_deterministic():
    pop = np.array([5e4, 2e5, 1.3e6, 7e3, 9e5])
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 500, (5, 2))
    P = gravity_flows(pop, planar_distances(xy), 0.02)
    model = MetapopSEIR(pop, 2.5, 2, 4, 0.25, P)
    model.seed(2, 30)
    for t in range(800):
        tf = rng.uniform(0.3, 1.0, 5) if t % 2 else 1.0
        model.step(None, transmission_factor=tf, travel_factor=rng.uniform(0, 1, 5))
        total = model.S + model.E + model.I + model.R
        np.testing.assert_allclose(total, pop, rtol=1e-12, atol=0)
        assert min(model.S.min(), model.E.min(), model.I.min(), model.R.min()) >= 0
    assert np.all(model.attack_rate > 0.5)


def test_conservation_stochastic_exact():
    pop = np.array([5e4, 2e5, 1.3e6, 7e3, 9e5])
    rng = np.random.default_rng(2)
    P = gravity_flows(pop, planar_distances(rng.uniform(0, 500, (5, 2))), 0.02)
    model = MetapopSEIR(pop, 2.5, 2, 4, 0.5, P, stochastic=True)
    model.seed(2, 30)
    for _ in range(600):
        new = model.step(rng, transmission_factor=0.9, travel_factor=0.5)
        assert np.array_equal(new, np.round(new))
        assert np.array_equal(model.S + model.E + model.I + model.R, pop)
        for x in (model.S, model.E, model.I, model.R):
            assert np.array_equal(x, np.round(x))
            assert x.min() >= 0
    assert np.array_equal(model.cumulative_infections, pop - model.S)


def test_deterministic_outbreak_ends():
    model = MetapopSEIR(
        [1e5, 1e5], 2.0, 3, 5, 0.5, gravity_flows([1e5, 1e5], [[0, 50], [50, 0]], 0.01)
    )
    model.seed(0, 10)
    for _ in range(20_000):
        if not model.active:
            break
        model.step()
    assert not model.active
    assert np.array_equal(model.step(), [0.0, 0.0])
    np.testing.assert_allclose(model.S + model.R, model.population, rtol=1e-12)


def test_stochastic_requires_rng_and_quiet_step_is_free():
    model = MetapopSEIR([1000, 1000], 2.0, 3, 5, 0.25, stochastic=True)
    assert np.array_equal(model.step(None), [0.0, 0.0])  # nothing seeded: no draws needed
    model.seed(0, 1)
    with pytest.raises(ValueError, match="rng"):
        model.step(None)


# --------------------------------------------------------------------------- control levers
def test_transmission_factor_acts_where_contacts_happen():
    pop = np.array([1e5, 1e5])
    P = np.array([[0.8, 0.2], [0.0, 1.0]])  # residents of 0 commute into 1; nobody goes to 0
    base = MetapopSEIR(pop, 2.0, 3, 5, 0.25, P)
    base.seed(1, 100)  # the epidemic is in city 1
    p = base.infection_probability()
    assert p[0] > 0
    assert p[1] > p[0]
    # measures in city 0 do nothing for city-0 commuters infected in city 1 ...
    p_home = base.infection_probability(transmission_factor=np.array([0.0, 1.0]))
    assert np.allclose(p_home, p)
    # ... measures in city 1 protect everyone present there, commuters included
    p_away = base.infection_probability(transmission_factor=np.array([1.0, 0.0]))
    assert np.all(p_away == 0)
    # closing city 0's outflow cuts its residents' exposure entirely
    assert base.infection_probability(travel_factor=np.array([0.0, 1.0]))[0] == 0


def test_travel_factor_validation():
    P = np.array([[0.5, 0.5], [0.1, 0.9]])
    model = MetapopSEIR([100, 100], 2.0, 3, 5, 0.25, P)
    mixed = model.mixing_matrix(np.array([1.5, 2.0]))
    assert np.allclose(mixed.sum(axis=1), 1.0)
    assert mixed[0, 0] == pytest.approx(0.25)
    with pytest.raises(ValueError, match="travel_factor"):
        model.mixing_matrix(np.array([3.0, 1.0]))  # would send 150% of city 0 abroad


# --------------------------------------------------------------------------- fast path
def three_draw_step(model: MetapopSEIR, rng, transmission, travel) -> np.ndarray:
    """The stochastic step written out plainly: three binomial calls, one per transition."""
    p_inf = model.infection_probability(transmission, travel)
    new_e = rng.binomial(model.S.astype(np.int64), p_inf).astype(float)
    new_i = rng.binomial(model.E.astype(np.int64), model.p_onset).astype(float)
    new_r = rng.binomial(model.I.astype(np.int64), model.p_recover).astype(float)
    model.S -= new_e
    model.E += new_e - new_i
    model.I += new_i - new_r
    model.R += new_r
    model.cumulative_infections += new_e
    return new_e


def test_one_binomial_call_draws_what_three_calls_would():
    """Same seed, same draws: stacking S→E, E→I, I→R into one call must not change results."""
    pop = np.array([3e6, 8e5, 1.2e6, 4e4])
    P = gravity_flows(pop, ring(4, 200.0), 0.01)
    fast = MetapopSEIR(pop, 2.5, 3, 5, 0.25, P, stochastic=True)
    plain = MetapopSEIR(pop, 2.5, 3, 5, 0.25, P, stochastic=True)
    for model in (fast, plain):
        model.seed(1, 20)
    rng_fast, rng_plain = np.random.default_rng(7), np.random.default_rng(7)
    factors = np.random.default_rng(8)
    for _ in range(400):
        transmission, travel = factors.uniform(0.4, 1.0, 4), factors.uniform(0.0, 1.0, 4)
        assert np.array_equal(fast.step(rng_fast, transmission, travel),
                              three_draw_step(plain, rng_plain, transmission, travel))
    for a, b in zip((fast.S, fast.E, fast.I, fast.R), (plain.S, plain.E, plain.I, plain.R),
                    strict=True):
        assert np.array_equal(a, b)
    assert fast.I.sum() > 0  # the comparison covered a live outbreak


def test_mixing_is_rebuilt_when_travel_factors_change():
    pop = np.array([1e5, 2e5, 5e4])
    P = gravity_flows(pop, ring(3, 100.0), 0.05)
    model = MetapopSEIR(pop, 2.0, 3, 5, 0.25, P)
    model.seed(0, 100)
    for travel in (1.0, np.array([0.2, 1.0, 1.0]), np.array([1.0, 0.0, 0.5]), 1.0, 0.3):
        fresh = MetapopSEIR(pop, 2.0, 3, 5, 0.25, P)
        fresh.seed(0, 100)
        assert np.array_equal(model.infection_probability(0.7, travel),
                              fresh.infection_probability(0.7, travel))
    shared = model.mixing_matrix(np.array([0.5, 1.0, 1.0]))
    with pytest.raises(ValueError, match="read-only"):
        shared[0, 0] = 0.0


def test_compartments_are_rows_of_one_state():
    model = MetapopSEIR([100, 200], 2.0, 3, 5, 0.25)
    model.I = [5, 0]
    model.S -= [5, 0]
    model.R += 1.0
    assert np.array_equal(model.S + model.E + model.I + model.R, [101, 201])
    assert model.active


def test_epidemic_levers_follow_control_and_measures():
    """The hazard rebuilds transmission and travel cuts only when they change; a run with
    measures and control switching mid-course must match levers worked out every step."""
    from sim.hazards.kinds import Epidemic
    from sim.model import RiskModel

    world = RiskModel(hazard__kind="none", region__kind="jingjinji").world
    p = world.p
    hazard = Epidemic(world, 0, 20, np.random.default_rng(5))
    plain = MetapopSEIR(world.region.population_m * 1e6, p["epidemic.r0"],
                        p["epidemic.incubation_days"], p["epidemic.infectious_days"],
                        world.step_hours / 24.0, world.mobility, stochastic=True)
    plain.seed(0, 20)
    rng = np.random.default_rng(5)
    in_force = 0
    for t in range(300):
        hazard.control = [0.0, 1.0, 0.4][t // 100]
        ready = np.arange(world.n) < t // 30  # as the model does: cities in emergency mode
        hazard.ready = ready
        hazard.step()
        measures = ready & (plain.E + plain.I >= 1.0)  # while the city has people infected
        transmission = np.where(measures, 1.0 - p["epidemic.measure_effect"], 1.0)
        transmission[0] *= 1.0 - hazard.control * p["epidemic.containment_effect"]
        travel = np.ones(world.n)
        travel[0] = 1.0 - p["epidemic.travel_cut"] * hazard.control \
            * p["responsibility.external_weight"]
        assert np.array_equal(hazard.new_cases, plain.step(rng, transmission, travel))
        assert np.array_equal(hazard.extra_loss, np.where(
            measures, p["epidemic.measure_cost_share"], 0.0) * world.loss_rate)
        in_force += hazard.measures.any()
    # in force for a while, then lifted once the outbreak had died out everywhere
    assert in_force > 0 and not hazard.measures.any() and hazard.seir.I.sum() == 0


def test_expected_value_measures_do_not_flicker(monkeypatch):
    """In expected-value mode a contained outbreak leaves fractions of a person; a city that
    brought its outbreak under one person infected has none left, so its measures are not
    switched off and on again every few steps (which cost output for a whole year)."""
    from sim.hazards import kinds
    from sim.model import RiskModel

    seen = []
    step = kinds.Epidemic.step

    def spy(self):
        step(self)
        seen.append(self.measures.copy())

    monkeypatch.setattr(kinds.Epidemic, "step", spy)
    out = RiskModel("coordinated", rng=1, params={
        "hazard.kind": "epidemic", "region.kind": "grid", "epidemic.stochastic": False,
        "time.horizon_days": 365}).run()
    history = np.array(seen)
    switches = int((history[1:] != history[:-1]).any(axis=1).sum())
    assert history.any() and switches < 0.1 * len(history), switches
    assert not history[-1].any()  # contained everywhere by the end
    assert out["total_loss"] < 100  # not a year of measures for a handful of cases
