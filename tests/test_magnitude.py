"""Size behaves as a reader expects: a vanishing hazard costs nothing, and a larger one never
costs less, whatever the kind and the regime (issue 11 item 7).

Control costs grow with the source's size (sim.mechanisms.responsibility.control_cost_scale), so
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


# --- orders of magnitude against real figures (issue 12 item 2; docs/calibration.md) -------
def test_flagship_magnitudes_sit_beside_their_anchors_as_the_docs_say():
    """Every regime of the flagship loses 0.01-0.5% of the region's GDP a year to non-epidemic
    hazards; the funds pay within an order of magnitude of the Xin'an pool; the largest
    accident under territorial management is of the Tianjin explosion's order; the Songhua
    replay costs Harbin what cutting the water of 4 million people for 4.75 days would. And
    docs/calibration.md quotes exactly this table."""
    import re

    from sim import magnitudes
    from tests.conftest import ROOT

    fs = magnitudes.flagship()
    lo, hi = magnitudes.NON_EPIDEMIC_SHARE
    for regime in fs.per_kind:
        assert lo <= fs.non_epidemic_share(regime) <= hi, regime
    for regime in ("coordinated", "superior_led"):
        assert magnitudes.FUND_RANGE[0] <= fs.fund[regime] <= magnitudes.FUND_RANGE[1], regime
    assert fs.fund["territorial"] == 0.0  # no pool without a platform
    low, high = magnitudes.TIANJIN_RANGE
    assert low <= fs.largest_accident["territorial"] <= high
    harbin = magnitudes.harbin_days()
    assert magnitudes.HARBIN_DAYS[0] <= harbin <= magnitudes.HARBIN_DAYS[1]
    text = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    quoted = re.search(r"<!-- magnitudes:start -->\n(.*?)\n<!-- magnitudes:end -->", text, re.S)
    assert quoted, "docs/calibration.md lacks the magnitudes block"
    assert quoted.group(1).strip() == magnitudes.table(fs, harbin), \
        "docs/calibration.md is stale: paste the output of python -m sim.magnitudes"
