"""The books close, and source control is worth what it costs (docs/model.md §6.1).

Every yuan is booked to someone: losses and source control (whoever paid it) equal what the
cities carry in their net burden plus what the centre carried plus the fund's outside money.
At the regional optimum no incident's source control costs more than the loss it spares.
"""

from __future__ import annotations

import pytest

from sim import metrics
from sim.model import RiskModel
from sim.regimes import REGIMES
from tests.patterns.helpers import NEUTRAL

MIXED = {"region.kind": "yangtze_delta", "time.horizon_days": 365, "hazard.kind": "none",
         "compensation.bilateral": True,
         "hazard.rates": {"river_spill": 0.2, "plume": 0.2, "accident": 0.5, "cascade": 0.2,
                          "epidemic": {"megacity": 0.1, "supercity": 0.05}}}


@pytest.mark.parametrize("regime", list(REGIMES))
def test_the_books_close_for_every_regime(regime):
    m = RiskModel(regime, params=MIXED, rng=2)
    out = m.run()
    spent = out["total_loss"] + out["source_control_cost"]
    carried = (m.city_accounts()["net_burden"].sum() + metrics.centre_account(m)
               + out["outside_money"])
    assert spent > 0
    assert carried == pytest.approx(spent, rel=1e-9)
    assert out["social_cost"] == pytest.approx(spent)
    # source control is split between the origins, the assisting cities and the centre
    split = m.cost_paid.sum() + m.assist_paid.sum() + out["central_cost"]
    assert split == pytest.approx(out["source_control_cost"], rel=1e-9)


def test_the_centre_pays_its_share_under_unified_command():
    m = RiskModel("superior_led", params=MIXED, rng=2)
    out = m.run()
    commanded = [inc for inc in m.incidents if inc.central_command]
    assert commanded and out["central_cost"] > 0
    assert out["central_cost"] == pytest.approx(sum(inc.central_cost for inc in commanded))
    share = m.p["escalation.central_share"]
    for inc in m.incidents:  # the centre paid its share of what was paid while it commanded
        assert inc.central_cost <= share * inc.control_cost + 1e-12
        if not inc.central_command:
            assert inc.central_cost == 0.0


ONE = {**NEUTRAL, "region.kind": "river_chain", "region.n_cities": 6, "hazard.origin": 0,
       "time.horizon_days": 365, "responsibility.external_weight": 1.0,
       "epidemic.stochastic": False, "epidemic.mobility_rate": 0.01,
       "accident.magnitude": 30.0,
       # measures that only slow an epidemic, so containment at the origin is worth something
       "epidemic.measure_effect": 0.3}


@pytest.mark.parametrize("kind", ["river_spill", "river_flood", "plume", "accident",
                                  "cascade", "epidemic"])
def test_at_the_regional_optimum_control_costs_less_than_the_loss_it_spares(kind):
    """The origin answers for the region (w = 1): the loss its control spares, measured against
    the same incident with no control at all (same seed), covers what the control cost."""
    params = {**ONE, "hazard.kind": kind}
    controlled = RiskModel("coordinated", params=params, rng=0)
    controlled.run()
    free = RiskModel("coordinated", params={**params, "source_control.cost": 1e9}, rng=0)
    free.run()
    inc, ref = controlled.incidents[0], free.incidents[0]
    assert ref.control_cost == pytest.approx(0.0, abs=1e-6)
    assert inc.control_cost > 0, "the optimum must control something for this to mean anything"
    spared = ref.loss.sum() - inc.loss.sum()
    assert spared >= inc.control_cost, (spared, inc.control_cost)
    assert controlled.outcomes()["source_control_ratio"] == pytest.approx(1.0)
