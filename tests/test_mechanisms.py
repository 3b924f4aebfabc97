"""Mechanisms of the article: each moves its outcome the right way when switched on alone."""

import math

import numpy as np
import pytest

from sim.metrics import gini
from sim.model import RiskModel


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


def test_escalation_hands_over_the_largest_incidents_past_capacity_after_the_delay():
    """上报中央 by current severity: once a day the body weighs the expected loss still to
    come of the reported incidents; past its capacity it hands over the largest, not all."""
    events = [{"kind": "river_spill", "origin": 0, "start_day": 1.0, "magnitude": 400.0},
              {"kind": "river_spill", "origin": 1, "start_day": 1.0, "magnitude": 40.0}]
    kw = dict(regime="coordinated", rng=3, escalation__delay_hours=36.0,
              hazard__kind="none", hazard__events=events, region__n_cities=8,
              river_spill__release_hours=120.0)  # still leaking when the centre comes
    probe = RiskModel(escalation__body_capacity=1e9, **kw)
    stakes = {}
    for _ in range(12):  # a day and a half: both reported, both still leaking
        probe.step()
        for inc in probe.incidents:
            if inc.report_step >= 0:
                stakes.setdefault(inc.origin, inc.hazard.at_stake())
    big, small = stakes[0], stakes[1]
    assert big > small > 0
    never = RiskModel(escalation__body_capacity=1e9, **kw)
    never.run()
    assert never.outcomes()["escalations"] == 0
    # Capacity between the small one and the pair: only the big one goes to the centre.
    one = RiskModel(escalation__body_capacity=(big + small) * 0.9, **kw)
    one.run()
    handed = {inc.origin: inc for inc in one.incidents if inc.escalated_step >= 0}
    assert set(handed) == {0}
    inc = handed[0]
    assert inc.central_step - inc.escalated_step == 36 / 6
    assert inc.central_command and inc.central_cost > 0
    assert one.outcomes()["central_cost"] == pytest.approx(inc.central_cost)


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


# --- evaluation (评估机制): it disciplines what it measures, and only that -----------------
LATE_PRONE = dict(regime="territorial", info__report_threshold=0.0,
                  info__report_delay_hours=24.0, reporting__disclosure_cost=2.0)
YEARS = {"time.horizon_days": 1825, "hazard.rates": {"river_spill": 0.5}, "region.n_cities": 6}
NO_ENFORCEMENT = {"compensation.payout_share": 0.0, "accountability.duty_penalty": 0.0,
                  "accountability.audit_prob": 0.0, "accountability.peer_audit_prob": 0.0,
                  "accountability.penalty": 0.0, "evaluation.assessor": "none"}


def _late_share(**evaluation) -> float:
    return float(np.mean([RiskModel(rng=s, **LATE_PRONE, **evaluation).run()["concealment_rate"]
                          for s in range(30)]))


def _long_run(seeds=range(5), **params) -> dict[str, float]:
    runs = [RiskModel("coordinated", params={**YEARS, **NO_ENFORCEMENT, **params}, rng=s).run()
            for s in seeds]
    return {k: float(np.mean([r[k] for r in runs]))
            for k in ("cooperation_propensity", "concealment_rate", "cooperation_rate")}


def test_assessing_timeliness_cuts_late_reports_and_self_assessment_less_so():
    only_time = dict(evaluation__timeliness=True, evaluation__honesty=False,
                     evaluation__cooperation=False, evaluation__reward=1.5)
    none = _late_share()
    third = _late_share(evaluation__assessor="third_party", **only_time)
    own = _late_share(evaluation__assessor="self", **only_time)
    assert none == 1.0
    assert third < 0.3
    assert third < own < none


def test_assessing_cooperation_raises_cooperation_but_not_timely_reporting():
    base = _long_run()
    measured = _long_run(**{"evaluation.assessor": "third_party", "evaluation.reward": 1.0,
                            "evaluation.timeliness": False, "evaluation.honesty": False})
    # it closes most of the gap to full cooperation
    gap = 1.0 - base["cooperation_propensity"]
    assert measured["cooperation_propensity"] - base["cooperation_propensity"] > 0.6 * gap > 0.1
    assert measured["concealment_rate"] == pytest.approx(base["concealment_rate"], abs=0.02)


def test_compensation_at_the_preset_share_raises_cooperation():
    """Refunding the coordinated preset's 30% of duty costs makes keeping duties pay more
    often; (a full refund with 30% assistance leaves the origin nothing to sacrifice, so the
    effect is not monotone beyond the preset: see docs/model.md)."""
    without = _long_run(seeds=range(8), **{"responsibility.assist_share": 0.3})
    refunded = _long_run(seeds=range(8), **{"responsibility.assist_share": 0.3,
                                            "compensation.payout_share": 0.3})
    assert refunded["cooperation_propensity"] > without["cooperation_propensity"] + 0.15
    assert refunded["cooperation_rate"] > without["cooperation_rate"] + 0.03


# --- trust (信任机制) -------------------------------------------------------------------------
def test_beta_reputation_follows_its_formula():
    m = RiskModel("coordinated", rng=0, trust__model="beta", trust__initial=0.6,
                  trust__prior_weight=4.0)
    observers = np.array([1, 2])
    for kept in (False, False, True):
        m.update_trust(observers, 0, kept)
    assert m.trust[1, 0] == pytest.approx((1 + 0.6 * 4) / (3 + 4))
    assert m.trust[3, 0] == 0.6  # not an observer
    assert m.trust[0, 0] == 1.0


def test_exponential_trust_follows_its_formula():
    m = RiskModel("coordinated", rng=0, trust__initial=0.6, trust__learning_rate=0.3)
    m.update_trust(np.arange(m.n), 0, False)
    assert m.trust[1, 0] == pytest.approx(0.7 * 0.6)
    assert m.trust[0, 0] == 1.0


def test_distrusted_origins_get_no_assistance():
    trusting = RiskModel("coordinated", rng=2, responsibility__assist_share=0.4,
                         learning__initial_cooperation=1.0)
    wary = RiskModel("coordinated", rng=2, responsibility__assist_share=0.4,
                     learning__initial_cooperation=1.0, trust__assist_threshold=0.7)
    trusting.run()
    wary.run()
    assert trusting.assist_paid.sum() > 0
    assert wary.assist_paid.sum() == 0.0  # trust 0.6 < 0.7: no city helps
    inc = wary.incidents[0]
    assert (inc.assist_asked[1:] > 0).all() and (inc.assist_given == 0).all()


def test_partnerships_break_below_the_trust_threshold():
    kw = dict(regime="spontaneous", rng=0, trust__initial=0.4, info__report_delay_hours=0.0)
    held = RiskModel(trust__partner_threshold=0.3, **kw)
    broken = RiskModel(trust__partner_threshold=0.5, **kw)
    held.run()
    broken.run()
    inc_held, inc_broken = held.incidents[0], broken.incidents[0]
    warned = (inc_held.informed[1:] >= 0) & (inc_held.informed[1:] <= inc_held.report_step + 1)
    assert warned[0]  # the neighbour downstream is a partner
    assert inc_broken.informed[1] > inc_held.informed[1]  # learns only when the slug arrives


# --- responsibility list, reserve, complacency, goals -------------------------------------
def test_an_unclear_responsibility_list_delays_the_duty_to_the_region():
    clear = RiskModel("coordinated", rng=0, learning__initial_cooperation=1.0)
    vague = RiskModel("coordinated", rng=0, learning__initial_cooperation=1.0,
                      responsibility__list_clarity=0.0, responsibility__negotiation_hours=48.0)
    clear.run()
    vague.run()
    c, v = clear.incidents[0], vague.incidents[0]
    assert c.duty_from == c.ready[c.origin]
    assert v.duty_from == v.ready[v.origin] + 48 / 6
    assert v.efforts[0] < c.efforts[0]  # before the duty applies the origin acts selfishly
    assert vague.outcomes()["spillover_loss"] > clear.outcomes()["spillover_loss"]


def test_the_pooled_reserve_cuts_losses_and_goes_where_the_stake_is_with_shared_information():
    def loss(**kw):
        return np.mean([RiskModel("coordinated", rng=s, **kw).run()["total_loss"]
                        for s in range(10)])
    assert loss(reserve__teams=3) < 0.97 * loss(reserve__teams=0)
    plume = dict(region__kind="jingjinji", hazard__kind="plume", hazard__origin="tangshan",
                 reserve__teams=2)
    near = RiskModel("coordinated", rng=0, info__share_resources=False, **plume)
    shared = RiskModel("coordinated", rng=0, info__share_resources=True, **plume)
    near.run()
    shared.run()
    ids = near.region.ids
    assert sorted(ids[i] for i in near.incidents[0].teams) == ["tangshan", "tianjin"]
    # Downwind Qinhuangdao has more at stake than Tianjin, the nearest city.
    assert sorted(ids[i] for i in shared.incidents[0].teams) == ["qinhuangdao", "tangshan"]
    assert shared.outcomes()["total_loss"] < near.outcomes()["total_loss"]
    busy = RiskModel("coordinated", rng=0, time__horizon_days=2.0, **plume)
    busy.run()
    assert busy.incidents[0].live and busy.teams_free == 0  # still at work
    assert not near.incidents[0].live and near.teams_free == 2  # teams come home


def test_complacency_slows_cities_that_have_not_been_hit():
    m = RiskModel("coordinated", rng=0, complacency__strength=1.0,
                  complacency__memory_days=365.0)
    assert m.complacency_factor(1, 0) == 2.0  # never hit: fully complacent
    m.last_hit[1] = 0
    assert m.complacency_factor(1, 0) == 1.0
    assert m.complacency_factor(1, 365 * 4) == pytest.approx(2.0 - math.exp(-1.0))
    alert = RiskModel("coordinated", rng=0, complacency__strength=0.0)
    slow = RiskModel("coordinated", rng=0, complacency__strength=1.0)
    alert.run()
    slow.run()
    assert (slow.incidents[0].ready[1:] - alert.incidents[0].ready[1:] == 1).all()  # +6 h


def test_growth_first_goals_cut_source_control():
    # an accident, whose control is a matter of degree (a river spill of the default size
    # is worth full control whatever the goals)
    kw = dict(rng=0, learning__initial_cooperation=1.0, hazard__kind="accident",
              region__kind="grid")
    safe = RiskModel("coordinated", **kw)
    growth = RiskModel("coordinated", goals__safety_weight=0.5, **kw)
    safe.run()
    growth.run()
    assert growth.incidents[0].efforts[0] < safe.incidents[0].efforts[0]


# --- money: Xin'an rule and conservation ---------------------------------------------------
def test_xinan_rule_makes_the_polluter_pay_and_conserves_money():
    kw = dict(regime="coordinated", rng=0, compensation__bilateral=True,
              compensation__bilateral_amount=1.0, time__horizon_days=365.0)
    spill = RiskModel(**kw)
    clean = RiskModel(hazard__kind="none", **kw)
    spill.run()
    clean.run()
    assert spill.bilateral.sum() == pytest.approx(0.0)
    assert clean.bilateral.sum() == pytest.approx(0.0)
    # No pollution crossed any border: each downstream city pays its upstream neighbour.
    assert clean.bilateral[0] == pytest.approx(-1.0)  # the source only receives
    assert clean.bilateral[-1] == pytest.approx(1.0)  # the mouth only pays
    # The spill at city 0 crossed its borders: city 0 pays its downstream neighbour instead.
    assert spill.bilateral[0] == pytest.approx(1.0)
    assert spill.outcomes()["bilateral_transfers"] > 0


def test_net_burden_is_the_sum_of_a_citys_accounts():
    m = RiskModel("coordinated", rng=1, responsibility__assist_share=0.3,
                  compensation__bilateral=True, evaluation__assessor="self")
    m.run()
    acc = m.city_accounts()
    parts = (acc["loss"] + acc["source_control_cost"] + acc["assist_cost"] + acc["fund_in"]
             - acc["fund_out"] + acc["sanctions"] - acc["evaluation"] + acc["bilateral"])
    np.testing.assert_allclose(acc["net_burden"], parts)
    assert acc["fund_out"].sum() == pytest.approx(acc["fund_in"].sum() + m.fund_outside)


def test_spontaneous_cooperation_falls_further_behind_in_a_megacity_cluster():
    """A megacity ringed by eight satellites against three close, similar neighbours, a year
    of plumes, accidents and cascades: spontaneous cooperation (partners only, bilateral
    goodwill) loses more ground to the coordinated regime in the large cluster."""
    mix = {"time.horizon_days": 365, "hazard.kind": "none",
           "hazard.rates": {"plume": 0.5, "accident": 0.5, "cascade": 0.3}}

    def gap(region: dict) -> float:
        loss = {r: np.mean([RiskModel(r, params={**mix, **region}, rng=s).run()["total_loss"]
                            for s in range(8)]) for r in ("spontaneous", "coordinated")}
        return loss["spontaneous"] / loss["coordinated"]

    cluster = gap({"region.kind": "core_periphery", "region.n_cities": 9,
                   "region.core_ratio": 20})
    neighbours = gap({"region.kind": "grid", "region.n_cities": 3, "region.spacing_km": 60})
    assert cluster > neighbours + 0.1
    assert 1.0 < neighbours < 1.4


def test_peer_supervision_alone_deters_late_reports_where_the_superior_does_not_audit():
    """Horizontal supervision (横向监督) finds breaches the superior's audit would miss."""
    unsupervised = _late_share(accountability__penalty=10.0)
    supervised = _late_share(accountability__penalty=10.0, accountability__peer_audit_prob=0.5)
    assert unsupervised > 0.9
    assert supervised < unsupervised - 0.5
