"""Pattern: the final size of an epidemic (docs/sources.md §A.3).

Source: Kermack & McKendrick (1927, Proc. R. Soc. A 115:700): in a single well-mixed population
an outbreak with basic reproduction number R0 > 1 infects the share z that solves
z = 1 − exp(−R0·z), whatever the latent and infectious periods (so SEIR and SIR agree; Ma &
Earn 2006, Bull. Math. Biol. 68:679), and with R0 < 1 a branching process seeded by k cases
infects k / (1 − R0) people in expectation. The model's metapopulation SEIR, reduced to one
city, must hit these numbers at any step length, deterministic or stochastic.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.hazards.epidemic import MetapopSEIR
from tests.patterns.helpers import final_size, run_out


@pytest.mark.parametrize("r0", [1.5, 2.0, 3.0])
def test_final_size_deterministic(r0):
    model = MetapopSEIR([1e7], r0, incubation_days=3, infectious_days=5, dt_days=0.25)
    model.seed(0, 10)
    run_out(model)
    assert model.attack_rate[0] == pytest.approx(final_size(r0), rel=0.01)


@pytest.mark.parametrize("dt_days", [0.1, 1.0, 2.0])
def test_final_size_does_not_depend_on_step_length(dt_days):
    model = MetapopSEIR([1e7], 2.0, incubation_days=2, infectious_days=4, dt_days=dt_days)
    model.seed(0, 10)
    run_out(model)
    assert model.attack_rate[0] == pytest.approx(final_size(2.0), rel=0.01)


@pytest.mark.parametrize("r0", [1.5, 2.0, 3.0])
def test_final_size_stochastic(r0):
    rng = np.random.default_rng(np.random.SeedSequence([2013, int(10 * r0)]))
    rates = []
    for _ in range(5):
        model = MetapopSEIR([1e6], r0, 3, 5, dt_days=0.5, stochastic=True)
        model.seed(0, 100)  # enough index cases that early extinction is negligible
        run_out(model, rng)
        rates.append(model.attack_rate[0])
    assert np.all(np.abs(np.array(rates) / final_size(r0) - 1.0) < 0.02)


def test_subcritical_stays_small():
    model = MetapopSEIR([1e6], 0.5, 3, 5, dt_days=0.5)
    model.seed(0, 100)
    run_out(model)
    # expected total = seeds / (1 − R0) in a branching process
    assert model.cumulative_infections[0] == pytest.approx(200, rel=0.05)
