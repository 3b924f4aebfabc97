"""Pattern: free riding across borders and its Pigouvian fix (docs/sources.md §A.1, §A.6).

Sources: the public-goods analysis of transboundary pollution — a city that bears the share
s_i of the damage its source control prevents, at cost γa²/2, chooses a_i = s_i·b/γ against the
regional optimum a* = b/γ (Nash under-provision, ratio s_i, 1/n for n symmetric cities), seen in
the field as pollution concentrated just upstream of borders (Sigman 2002, AER 92(4):1152; Cai,
Chen & Gong 2016, JEEM 76:86). A side payment of the external share 1 − s_i of the cost
(Pigou 1920; Coase 1960) restores a*; in river differential games compensation beats Nash
(Water 2024 16:3239). Damage is made linear (huge half-damage) so the analysis is exact; s_i is
computed from the river: city j downstream of the origin gets attenuation^(j − origin) of the
pollutant, weighted by its output (GDP).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from sim.model import RiskModel
from tests.patterns.helpers import NEUTRAL

# No protection and no warning discount: the analysis is about shares of the damage.
LINEAR = {**NEUTRAL, "hazard.kind": "river_spill", "river_spill.half_damage": 1e5,
          "source_control.cost": 0.002, "protection.reduction": 0.0,
          "warning.reduction_at_24h": 0.0}
CHAINS = {  # attenuation, cities, origin, size heterogeneity
    "symmetric, s = 1/n": (1.0, 4, 0, 0.0),
    "attenuating river": (0.8, 6, 0, 0.0),
    "origin mid-river": (0.9, 7, 3, 0.0),
    "unequal cities": (0.85, 5, 1, 0.6),
}


def origin_share(model: RiskModel, attenuation: float, origin: int) -> float:
    """s_origin: the origin's share of the damage its effort prevents (linear damage)."""
    gdp = model.region.gdp_tn_cny
    hops = np.arange(model.n) - origin
    reach = np.where(hops >= 0, attenuation ** np.maximum(hops, 0), 0.0)
    return float(gdp[origin] / (gdp * reach).sum())


def first_effort(params: dict) -> tuple[float, float, RiskModel]:
    """The origin's first effort and the regional optimum recorded beside it."""
    m = RiskModel(regime="territorial", params={**LINEAR, **params}, rng=0)
    m.run()
    return m.incidents[0].efforts[0], m.incidents[0].optima[0], m


@pytest.mark.parametrize("chain", CHAINS.values(), ids=CHAINS.keys())
def test_nash_under_provision_and_the_pigouvian_refund(chain):
    attenuation, n, origin, sigma = chain
    region = {"region.attenuation": attenuation, "region.n_cities": n, "hazard.origin": origin,
              "region.size_sigma": sigma, "responsibility.external_weight": 0.0}
    nash, optimum, model = first_effort(region)
    s = origin_share(model, attenuation, origin)
    assert 0.15 < optimum < 0.98, "the optimum must be interior for the ratio to mean anything"
    assert nash == pytest.approx(s * optimum, abs=0.015)  # a_Nash = s_origin · a*
    if sigma == 0 and attenuation == 1.0:
        assert s == pytest.approx(1.0 / n)
    refunded, optimum_again, _ = first_effort({**region,
                                               "compensation.payout_share": 1.0 - s})
    assert optimum_again == optimum
    assert refunded == pytest.approx(optimum, abs=0.015)  # Pigou: the refund restores a*


def test_an_origin_answering_for_the_region_is_not_pushed_past_the_optimum_by_refunds():
    """The fix must not overshoot: an origin that already weighs the whole region (发生地为主)
    and is refunded, and assisted, still chooses the regional optimum."""
    a, optimum, _ = first_effort({"responsibility.external_weight": 1.0,
                                  "region.attenuation": 0.8,
                                  "compensation.payout_share": 0.5,
                                  "responsibility.assist_share": 0.3})
    assert a == pytest.approx(optimum, abs=0.01)


def test_compensation_ranks_between_nash_and_full_collaboration():
    """§A.6 (Water 2024 16:3239): cost compensation improves on Nash and is second to full
    collaboration. On the default river chain at the calibrated (saturating) damage, 20
    paired runs: realised loss plus source-control cost falls from Nash (w = 0) to a 30% and a
    60% refund to the origin answering for the region (w = 1), never rising along the way, and
    the full duty is clearly better than Nash."""
    cases = [{"responsibility.external_weight": 0.0},
             {"responsibility.external_weight": 0.0, "compensation.payout_share": 0.3},
             {"responsibility.external_weight": 0.0, "compensation.payout_share": 0.6},
             {"responsibility.external_weight": 1.0}]
    cost = []
    for case in cases:
        runs = [RiskModel("territorial", rng=seed,
                          params={**NEUTRAL, "info.route": "platform", **case}).run()
                for seed in range(20)]
        cost.append(np.mean([r["total_loss"] + r["source_control_cost"] for r in runs]))
    assert all(b <= a * (1 + 1e-9) for a, b in pairwise(cost)), cost
    assert cost[-1] < 0.9 * cost[0], cost
