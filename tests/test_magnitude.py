"""Size behaves as a reader expects: a vanishing hazard costs nothing, and a larger one never
costs less, whatever the kind and the regime (issue 11 item 7).

Control costs grow with the source's size (sim.mechanisms.escalation.control_cost_scale), so
calling in the centre for a larger incident cannot make it cheaper than a smaller one.
Epidemics are run as expected values (the stochastic model is monotone only on average).
"""

import pytest

from sim.model import RiskModel
from sim.regimes import REGIMES

REGION = {"river_spill": "river_chain", "river_flood": "river_chain", "plume": "grid",
          "epidemic": "grid", "cascade": "grid", "accident": "grid"}
FACTORS = (1e-9, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


def _loss(kind: str, regime: str, factor: float) -> float:
    typical = RiskModel(regime, params={"hazard.kind": kind}).p[f"{kind}.magnitude"]
    params = {"hazard.kind": kind, "region.kind": REGION[kind], "time.horizon_days": 120,
              "hazard.magnitude": factor * typical, "epidemic.stochastic": False}
    return RiskModel(regime, params=params, rng=0).run()["total_loss"]


@pytest.mark.parametrize("kind", sorted(REGION))
@pytest.mark.parametrize("regime", sorted(REGIMES))
def test_loss_grows_with_magnitude_and_vanishes_with_it(kind, regime):
    losses = [_loss(kind, regime, f) for f in FACTORS]
    assert losses[0] < 1e-6, f"a hazard of 1e-9 x typical costs {losses[0]:.3g}"
    for k in range(1, len(FACTORS)):
        a, b = losses[k - 1], losses[k]
        assert b >= a - 1e-9, (f"{kind}/{regime}: {FACTORS[k]} x typical loses {b:.4g} < "
                               f"{a:.4g} at {FACTORS[k - 1]}")


def test_a_vanishing_stochastic_epidemic_dies_out():
    params = {"hazard.kind": "epidemic", "region.kind": "grid", "time.horizon_days": 60,
              "hazard.magnitude": 1e-9}
    for seed in range(5):
        out = RiskModel("coordinated", params=params, rng=seed).run()
        assert out["total_loss"] == 0.0
