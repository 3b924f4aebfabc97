"""Pattern: the mobility invasion threshold (docs/sources.md §A.3).

Source: Colizza & Vespignani (2007, Phys. Rev. Lett. 99:148701), "Invasion threshold in
heterogeneous metapopulation networks": an outbreak with R0 > 1 spreads from city to city only
if the number of cities that one infected city goes on to invade, R*, exceeds 1; R* grows with
the mobility between cities, so there is a critical mobility below which contagion stays local
even though it grows in its own city.

R* in the model's commuting SEIR (small mobility, linear in it): an outbreak that runs its
course in origin o (final size z) seeds in city j on average
λ_j = R0·z·(N_o·P[o, j] + N_j·P[j, o]) infections — residents of o spend the share P[o, j] of
their infectious time in j, and residents of j spend P[j, o] of theirs in o, where each meets a
cumulative infection hazard R0·z — and each seed escapes early extinction with probability
1 − 1/R0. So R* = Σ_j λ_j·(1 − 1/R0), and another city is invaded with probability
1 − exp(−R*) (Poisson seeding). The test sets the mobility from R* and checks the stochastic
model against that prediction below, at and above the threshold, and that contagion becomes
regional only above it.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.hazards.epidemic import MetapopSEIR, gravity_flows
from tests.patterns.helpers import final_size, ring, run_out

N_CITIES, POP, R0, INDEX_CASES, RUNS = 10, 5e4, 2.0, 5, 80


def invasion_number(P: np.ndarray) -> float:
    """R* of an outbreak in city 0 (see the module docstring)."""
    z = final_size(R0)
    seeds = R0 * z * POP * (P[0, 1:] + P[1:, 0])
    return float(seeds.sum() * (1.0 - 1.0 / R0))


@pytest.mark.parametrize("r_star", [0.1, 1.0, 10.0])
def test_invasion_follows_the_threshold_parameter(r_star):
    pop = np.full(N_CITIES, POP)
    unit = gravity_flows(pop, ring(N_CITIES, 300.0), 1e-3)
    mobility = 1e-3 * r_star / invasion_number(unit)  # R* is linear in the mobility rate
    P = gravity_flows(pop, ring(N_CITIES, 300.0), mobility)
    assert invasion_number(P) == pytest.approx(r_star)
    invaded = []
    for seq in np.random.SeedSequence([20070148701, int(100 * r_star)]).spawn(RUNS):
        rng = np.random.default_rng(seq)
        model = MetapopSEIR(pop, R0, 3, 5, dt_days=1.0, P=P, stochastic=True)
        model.seed(0, INDEX_CASES)
        run_out(model, rng)
        invaded.append(int(np.sum(model.attack_rate[1:] > 0.01)))
    invaded = np.array(invaded)
    # the origin's own outbreak takes off with 1 − R0^−k; then another city is invaded
    predicted = (1.0 - R0**-INDEX_CASES) * (1.0 - np.exp(-r_star))
    assert np.mean(invaded > 0) == pytest.approx(predicted, abs=0.15)
    regional = np.mean(invaded >= (N_CITIES - 1) / 2)  # at least half the other cities
    if r_star < 1:
        assert regional <= 0.05, "below the threshold contagion must stay (almost) local"
    if r_star > 5:
        assert regional >= 0.9, "well above the threshold contagion must become regional"
