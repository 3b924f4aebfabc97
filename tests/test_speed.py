"""The fast paths of a run give the numbers of the plain ones, to the bit.

Per-city decisions are taken for many cities at once (warnings, assistance, the duties settled
when an incident closes) and `RiskModel.run` steps the model without Mesa's event list when
nothing else is scheduled. Each test runs the vectorised path against the city-by-city
arithmetic it replaces (or `run` against stepping through Mesa) and asks for equality, not
closeness: same seed, same results bit for bit is a promise of the model.
"""

import math

import numpy as np
import pytest

from sim.hazards.kinds import Plume
from sim.mechanisms import (
    accountability,
    communication,
    evaluation,
    learning,
    preparedness,
    responsibility,
    trust,
)
from sim.model import RiskModel

RATES = {"plume": 0.3, "accident": 0.5, "cascade": 0.3, "river_spill": 0.3,
         "epidemic": {"megacity": 0.3, "supercity": 0.3}}


def _mixed(regime: str = "coordinated", seed: int = 3, days: float = 120, **params):
    return RiskModel(regime, rng=seed, params={
        "region.kind": "yangtze_delta", "time.horizon_days": days, "hazard.kind": "none",
        "hazard.rates": RATES, **params})


def _same(outcomes: dict) -> dict:
    """Outcomes with NaN (no such incident) made comparable."""
    return {k: None if v != v else v for k, v in outcomes.items()}


def _played(m: RiskModel, steps: int) -> RiskModel:
    """A model part-way through a run: hit history, trust and help are no longer uniform."""
    for _ in range(steps):
        m.step()
    assert m.incidents
    return m


def test_run_gives_what_stepping_through_mesa_gives():
    fast, slow = _mixed(days=200), _mixed(days=200)
    assert fast._direct_steps() is not None  # the direct path is the one under test
    out = fast.run()
    while slow.running:
        slow.step()
    assert _same(out) == _same(slow.outcomes())
    assert np.array_equal(fast.series, slow.series)
    assert (fast.time, fast.steps) == (slow.time, slow.steps)
    frames = [m.datacollector.get_model_vars_dataframe() for m in (fast, slow)]
    assert frames[0].equals(frames[1]) and len(frames[0]) == fast.n_steps
    # the event list is left as Mesa leaves it: the next step one time unit on
    assert fast._default_schedule.next_scheduled_time == slow._default_schedule.next_scheduled_time
    assert fast._default_schedule.execution_count == slow._default_schedule.execution_count


def test_run_leaves_other_scheduled_events_to_mesa():
    m = _mixed(days=30)
    seen = []

    def note() -> None:
        seen.append(m.steps)

    m.schedule_event(note, at=10.5)
    assert m._direct_steps() is None
    m.run()
    assert seen == [10]  # Mesa ran it between steps 10 and 11


def test_complacency_uses_the_scalar_exponential_city_by_city():
    """numpy's vectorised exp can differ from math.exp in the last bit (it does on AVX-512
    machines), so the factors are built from math.exp, per distinct value for many cities."""
    m = RiskModel("coordinated", rng=0, params={"region.kind": "random", "region.n_cities": 300,
                                                "complacency.strength": 1.0})
    rng = np.random.default_rng(1)
    m.last_hit[:] = rng.integers(-400, 50, m.n).astype(float)
    m.last_hit[::7] = -np.inf
    cities = np.arange(m.n)
    p = m.p
    expected = [1.0 + p["complacency.strength"] * (1.0 - math.exp(
        -((60 - m.last_hit[i]) * m.step_hours / 24.0) / p["complacency.memory_days"]))
        for i in cities]
    assert preparedness.complacency_factors(m, cities, 60).tolist() == expected
    assert preparedness.complacency_factors(m, cities[:20], 60).tolist() == expected[:20]
    assert [m.complacency_factor(i, 60) for i in range(5)] == expected[:5]


def test_warnings_for_many_cities_equal_warnings_one_by_one():
    a, b = _played(_mixed(), 150), _played(_mixed(), 150)
    inc_a, inc_b = a.incidents[-1], b.incidents[-1]
    for inc in (inc_a, inc_b):
        inc.informed[:] = -1
        inc.informed[::3] = 500  # told later than now: an earlier warning replaces it
    communication.receive_warnings(a, inc_a, np.arange(a.n), 160)
    for i in range(b.n):
        b.cities[i].receive_warning(inc_b, 160)
    assert np.array_equal(inc_a.informed, inc_b.informed)
    assert np.array_equal(inc_a.ready, inc_b.ready)
    assert (inc_a.ready > 160).any()


def test_assistance_for_many_cities_equals_city_by_city():
    m = _played(_mixed(), 150)
    m.trust[:, 0] = np.linspace(0.3, 0.9, m.n)
    draws = np.random.default_rng(2).random(m.n)
    cities = np.arange(m.n)
    together = responsibility.willing_to_assist(m, cities, draws, 0)
    assert together.tolist() == [m.cities[j].will_assist(draws[j], 0) for j in cities]
    assert together.any() and not together.all()


def test_duties_settled_together_equal_duties_settled_one_by_one():
    """Sanctions, assessment and the Bush-Mosteller update for every duty of an incident at
    once, against the per-city functions they vectorise."""
    a = _played(_mixed(**{"evaluation.assessor": "superior"}), 200)
    rng = np.random.default_rng(4)
    a.gave[:] = rng.random((a.n, a.n)) * (rng.random((a.n, a.n)) < 0.4)
    a.duty_costs[:] = rng.random(a.n)
    a.trust[:] = rng.random((a.n, a.n))
    inc = a.incidents[-1]
    cities = np.array([1, 4, 5, 9, 12, 20])
    kept = np.array([True, False, True, False, False, True])
    cost = np.array([0.3, 0.0, 2.5, 1e-12, 0.7, 0.05])
    p = a.p
    peer = a.in_supervision[cities]
    sanctions = accountability.duty_sanctions(p, inc, cities, kept, cost, peer)
    assert sanctions.tolist() == [accountability.duty_sanction(p, inc, j, k, c, bool(s))
                                  for j, k, c, s in zip(cities, kept, cost, peer, strict=True)]
    assessed = evaluation.duty_assessments(p, inc, cities, kept)
    assert assessed.tolist() == [evaluation.duty_assessment(p, inc, j, k)
                                 for j, k in zip(cities, kept, strict=True)]
    refund = cost * 0.25
    before = a.cooperation.copy()
    learning.update_propensities(a, cities, cost, refund, assessed, sanctions)
    together = a.cooperation.copy()
    a.cooperation[:] = before
    for k, j in enumerate(cities):
        learning.update_propensity(a, int(j), cost[k], refund[k], assessed[k], sanctions[k])
    assert together.tolist() == a.cooperation.tolist()
    assert (together != before).sum() >= 3


@pytest.mark.parametrize("model", ["exponential", "beta"])
def test_trust_in_many_targets_equals_trust_target_by_target(model):
    a, b = (_played(_mixed(**{"trust.model": model}), 150) for _ in range(2))
    targets = np.array([2, 3, 7, 11, 19])
    kept = np.array([True, False, False, True, False])
    trust.update_trust_in(a, 0, targets, kept)
    for j, k in zip(targets, kept, strict=True):
        trust.update_trust(b, np.array([0]), int(j), bool(k))
    assert np.array_equal(a.trust, b.trust)
    assert np.array_equal(a.kept, b.kept) and np.array_equal(a.broken, b.broken)


def test_a_plume_is_done_exactly_when_its_ring_is_empty():
    m = _mixed(**{"hazard.rates": {"plume": 2.0}}, days=60)
    plumes = 0
    while m.running:
        m.step()
        for inc in m._live:
            if isinstance(inc.hazard, Plume):
                hz = inc.hazard
                plumes += 1
                assert hz.done == (hz.source == 0.0 and not hz.buffer.any())
    assert plumes > 100


def test_a_run_multiplies_matrices_on_one_blas_thread_whatever_the_caller_set(monkeypatch):
    """BLAS split over threads adds in another order (at 500+ cities the last bits of the
    epidemic's products then depend on the machine's cores), so run() holds BLAS to one
    thread; the caller's setting comes back afterwards."""
    from threadpoolctl import threadpool_info, threadpool_limits

    import sim.model as model_module

    seen = []
    step = model_module.RiskModel.step

    def watched(self):
        seen.append({lib["num_threads"] for lib in threadpool_info()
                     if lib["user_api"] == "blas"})
        return step(self)

    monkeypatch.setattr(model_module.RiskModel, "step", watched)
    with threadpool_limits(limits=2, user_api="blas"):
        m = RiskModel("coordinated", params={"region.n_cities": 4, "time.horizon_days": 2},
                      rng=1)
        m.run()
        after = {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}
    assert seen and all(s == {1} for s in seen if s)
    assert after == {2} or not after


def test_the_batching_ceiling_benchmark_steps_the_models_own_accident():
    """benchmarks/batching.py times a stacked copy of the accident hazard against the model's
    own objects: its numbers must stay the model's, or its ceiling says nothing."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "batching.py"
    spec = importlib.util.spec_from_file_location("kuayu_batching_benchmark", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    model, world = bench._world()
    controls = np.array([0.0, 0.2, 0.55, 1.0])
    for alone, together in zip(bench.one_at_a_time(model, world, controls, 60),
                               bench.stacked(model, world, controls, 60), strict=True):
        np.testing.assert_allclose(together, alone, rtol=1e-12, atol=0.0)
