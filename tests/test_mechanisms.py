"""Mechanisms of the article: each moves its outcome the right way when switched on alone."""

import numpy as np
import pytest

from sim.metrics import gini
from sim.model import RiskModel

LINEAR = {"river_spill.half_damage": 1e5, "source_control.cost": 0.00045,
          "region.attenuation": 0.8}


def _first_effort(regime: str, **kw) -> tuple[float, float]:
    m = RiskModel(regime=regime, rng=0, **LINEAR, **kw)
    m.run()
    return m.incidents[0].efforts[0], m.incidents[0].optima[0]


def test_pigouvian_refund_of_the_external_share_restores_the_optimum():
    s_origin = 1.0 / (0.8 ** np.arange(6)).sum()
    nash, optimum = _first_effort("territorial")
    assert nash == pytest.approx(s_origin * optimum, abs=0.02)
    fixed, optimum = _first_effort("territorial", compensation__payout_share=1 - s_origin)
    assert fixed == pytest.approx(optimum, abs=0.02)


def test_an_origin_answering_for_the_region_is_not_pushed_past_the_optimum_by_refunds():
    a, optimum = _first_effort("coordinated", compensation__payout_share=0.5,
                               responsibility__assist_share=0.3)
    assert a == pytest.approx(optimum, abs=0.01)


def _concealment(audit: float, penalty: float) -> float:
    rates = [RiskModel(regime="territorial", rng=s, info__report_threshold=0.0,
                       accountability__audit_prob=audit, accountability__penalty=penalty)
             .run()["concealment_rate"] for s in range(40)]
    return float(np.mean(rates))


def test_accountability_with_supervision_lowers_concealment():
    none, weak, strong = _concealment(0, 0), _concealment(0.3, 5), _concealment(0.9, 10)
    assert none == 1.0
    assert strong < weak < none
    assert strong < 0.1


def test_platform_shortens_warning_and_cuts_downstream_loss_on_its_own():
    base = dict(regime="territorial", region__reach_hours=24.0)
    off = [RiskModel(rng=s, **base).run() for s in range(20)]
    on = [RiskModel(rng=s, info__route="platform", info__relay_hours=2.0, **base).run()
          for s in range(20)]
    assert np.mean([r["warning_lead_time"] for r in on]) > \
        np.mean([r["warning_lead_time"] for r in off])
    assert np.mean([r["spillover_loss"] for r in on]) < \
        0.95 * np.mean([r["spillover_loss"] for r in off])


def test_the_compensation_fund_balances_its_books():
    for funding in ("gdp", "benefit"):
        m = RiskModel(regime="coordinated", rng=1, compensation__funding=funding,
                      compensation__outside_share=0.25, region__kind="jingjinji",
                      hazard__kind="plume", hazard__origin="tangshan")
        m.run()
        assert m.fund_out.sum() > 0
        assert m.fund_out.sum() == pytest.approx(m.fund_in.sum() + m.fund_outside)
        assert m.fund_outside == pytest.approx(0.25 * m.fund_out.sum())


def test_assistance_is_carried_by_the_cities_the_effort_spares():
    m = RiskModel(regime="coordinated", rng=2, responsibility__assist_share=0.4)
    m.run()
    assert m.assist_paid[m.incidents[0].origin] == 0.0
    assert m.assist_paid[1:].sum() > 0
    assert m.assist_paid[1] > m.assist_paid[5]  # nearer downstream cities are spared more


def test_gini_is_zero_for_equal_and_near_one_for_one_payer():
    assert gini(np.ones(5)) == 0.0
    assert gini(np.array([0, 0, 0, 0, 10.0])) == pytest.approx(0.8)


def test_escalation_happens_exactly_past_capacity_after_the_configured_delay():
    kw = dict(regime="coordinated", rng=3, escalation__delay_hours=36.0)
    below = RiskModel(escalation__body_capacity=1.5, **kw)  # one typical spill = severity 1
    below.run()
    assert below.incidents[0].escalated_step == -1
    above = RiskModel(escalation__body_capacity=0.5, **kw)
    above.run()
    inc = above.incidents[0]
    assert inc.escalated_step == inc.detected_step
    assert inc.central_step - inc.escalated_step == 36 / 6
    assert above.outcomes()["escalations"] == 1


def test_concealment_breaks_trust_and_honesty_keeps_it():
    liar = RiskModel(regime="territorial", rng=0, info__report_threshold=0.0)
    honest = RiskModel(regime="coordinated", rng=0)
    liar.run()
    honest.run()
    origin = liar.incidents[0].origin
    assert liar.trust[1, origin] < 0.6 < honest.trust[1, origin]
    assert liar.outcomes()["min_trust"] < honest.outcomes()["min_trust"]


def test_distrust_slows_acting_on_a_warning():
    fast = RiskModel(regime="coordinated", rng=0, trust__initial=1.0)
    slow = RiskModel(regime="coordinated", rng=0, trust__initial=0.0, trust__delay_hours=24.0)
    fast.run()
    slow.run()
    assert (slow.incidents[0].ready[1:] - fast.incidents[0].ready[1:] == 4).all()
