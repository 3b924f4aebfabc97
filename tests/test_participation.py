"""Per-city participation (参与): a city outside the platform is not warned by it, a city
outside the fund neither pays in nor draws from it, duties to and from cities off the list
follow territorial rules, and the books still close. With everyone in, nothing changes."""

from __future__ import annotations

import numpy as np
import pytest

from sim import metrics
from sim.model import RiskModel
from sim.regimes import REGIMES

CHAIN = {"region.kind": "river_chain", "region.n_cities": 6, "hazard.kind": "river_spill",
         "hazard.origin": 0, "time.horizon_days": 20}
YEAR = {"region.kind": "jingjinji", "time.horizon_days": 365, "hazard.kind": "none",
        "hazard.rates": {"plume": 0.4, "accident": 0.6, "cascade": 0.2}}


def same(a: dict, b: dict) -> bool:
    """Equal bit for bit (NaN equal to NaN)."""
    return {k: repr(v) for k, v in a.items()} == {k: repr(v) for k, v in b.items()}


def run(regime: str = "coordinated", rng: int = 3, events: bool = True, **params):
    m = RiskModel(regime, params={**CHAIN, **params}, rng=rng, record_events=events)
    m.run()
    return m


def test_a_city_outside_the_platform_is_not_warned_by_it():
    m = run(**{"participation.platform": {"exclude": ["c3"]}})
    inc = m.incidents[0]
    warned = {e["target"]: e for e in m.events if e["event"] == "warned"}
    by_body = {t for t, e in warned.items() if e["actor"] == "body"}
    assert by_body == {1, 2, 4, 5}, "every member but the origin hears through the platform"
    assert warned[3]["actor"] != "body"
    # it hears through the hierarchy a day later, or sees the hazard arrive, whichever first
    hierarchy = inc.report_step + m.hours_to_steps(m.p["participation.outside_relay_hours"])
    assert inc.informed[3] == min(hierarchy, inc.arrival[3] if inc.arrival[3] >= 0 else 10**9)
    assert inc.informed[3] > inc.informed[4], "a member further downstream is warned sooner"
    everyone = run()
    assert everyone.incidents[0].informed[3] < inc.informed[3]


def test_a_report_from_outside_the_platform_goes_up_the_hierarchy():
    m = run(**{"participation.platform": {"exclude": ["c0"]}})
    relays = [e for e in m.events if e["event"] == "relayed"]
    assert [e["actor"] for e in relays] == ["centre"]
    assert not any(e["event"] == "warned" and e["actor"] == "body" for e in m.events)
    inc = m.incidents[0]
    delay = m.hours_to_steps(m.p["participation.outside_relay_hours"])
    others = inc.informed[1:]
    assert (others <= inc.report_step + delay).all() and (others > inc.report_step).all()


def test_a_city_outside_the_fund_neither_pays_in_nor_draws_from_it():
    params = {**YEAR, "participation.fund": {"exclude": ["beijing", "chengde"]}}
    m = RiskModel("coordinated", params=params, rng=4, record_events=True)
    out = m.run()
    outside = [m.region.index("beijing"), m.region.index("chengde")]
    assert out["compensation_paid"] > 0
    assert (m.fund_in[outside] == 0).all() and (m.fund_out[outside] == 0).all()
    members = np.setdiff1d(np.arange(m.n), outside)
    assert (m.fund_in[members] > 0).all() and m.fund_out[members].sum() > 0
    # Beijing paid for source control in its own incidents and was refunded nothing
    assert m.cost_paid[outside[0]] > 0
    paid = {e["target"] for e in m.events if e["event"] == "fund_paid"}
    assert paid and not paid & set(outside)
    # what the fund paid out, the members and the outside money paid in
    assert m.fund_out.sum() == pytest.approx(m.fund_in.sum() + m.fund_outside, rel=1e-9)


def test_the_fund_grouped_by_name():
    """A named group stands for its cities in every list."""
    hebei = ["shijiazhuang", "tangshan", "baoding"]
    params = {**YEAR, "participation.groups": {"hebei3": hebei},
              "participation.fund": {"only": ["hebei3", "tianjin"]}}
    m = RiskModel("coordinated", params=params, rng=4)
    m.run()
    members = {m.region.index(c) for c in [*hebei, "tianjin"]}
    assert set(np.flatnonzero(m.in_fund)) == members
    assert set(np.flatnonzero(m.fund_in)) <= members


@pytest.mark.parametrize("regime", list(REGIMES))
def test_the_books_close_with_cities_outside(regime):
    params = {**YEAR, "compensation.bilateral": False,
              "participation.coordination": {"exclude": ["langfang"]},
              "participation.fund": {"exclude": ["beijing"]},
              "participation.platform": {"exclude": ["chengde"]},
              "participation.responsibility": {"exclude": ["tianjin"]},
              "participation.supervision": {"exclude": ["hengshui"]}}
    m = RiskModel(regime, params=params, rng=2)
    out = m.run()
    spent = out["total_loss"] + out["source_control_cost"]
    carried = (m.city_accounts()["net_burden"].sum() + metrics.centre_account(m)
               + out["outside_money"])
    assert spent > 0
    assert carried == pytest.approx(spent, rel=1e-9)
    split = m.cost_paid.sum() + m.assist_paid.sum() + out["central_cost"]
    assert split == pytest.approx(out["source_control_cost"], rel=1e-9)


def test_duties_to_and_from_cities_off_the_list_follow_territorial_rules():
    off = run(**{"participation.responsibility": {"exclude": ["c0"]}, "rng": 3})
    inc = off.incidents[0]  # the origin, c0, is off the list: no duty to the region
    assert not inc.origin_duty and inc.external_weight == 0.0
    assert not inc.assist_asked.any(), "nobody assists an origin off the list"
    on = run(**{"participation.responsibility": {"exclude": ["c2", "c4"]}})
    inc = on.incidents[0]
    assert inc.origin_duty and inc.assist_asked.sum() > 0
    assert inc.assist_asked[[2, 4]].sum() == 0, "cities off the list owe no assistance"
    assert (inc.assist_asked[[1, 3, 5]] > 0).all()
    # the origin weighs only members' losses: it controls less than for the whole region
    everyone = run()
    assert np.mean(inc.efforts) <= np.mean(everyone.incidents[0].efforts)


def test_partnerships_need_both_cities_in():
    m = run("spontaneous", **{"participation.partners": {"exclude": ["c1"]}})
    assert not m.partners[1].any() and not m.partners[:, 1].any()
    assert m.partners[0, 2] or m.partners[2, 3]
    full = run("spontaneous")
    assert full.partners[0, 1]


def test_outside_peer_supervision_only_the_superior_can_find_out():
    m = RiskModel("coordinated", params={**CHAIN, "participation.supervision": {
        "only": ["c1", "c2"]}}, rng=0)
    inside, outside = m.audit_belief[1], m.audit_belief[0]
    p = m.p
    assert outside == pytest.approx(p["accountability.audit_prob"])
    assert inside == pytest.approx(1 - (1 - p["accountability.audit_prob"])
                                   * (1 - p["accountability.peer_audit_prob"]))
    assert outside < inside


def test_everyone_in_said_out_loud_changes_nothing():
    """all, a list of every city and an empty exclude are the default, bit for bit."""
    default = run(events=False)
    spelled = run(events=False, **{"participation.platform": "all",
                                   "participation.fund": {"exclude": []},
                                   "participation.coordination": [f"c{i}" for i in range(6)]})
    assert same(spelled.outcomes(), default.outcomes())
    for name, values in default.city_accounts().items():
        assert np.array_equal(values, spelled.city_accounts()[name]), name


def test_an_unknown_city_is_refused_with_a_suggestion():
    with pytest.raises(ValueError, match=r"participation.fund.exclude\[0\]: unknown city or "
                                         r"group 'bejing'.*did you mean 'beijing'"):
        RiskModel(params={**YEAR, "participation.fund": {"exclude": ["bejing"]}})
    with pytest.raises(ValueError, match="give only or exclude, not both"):
        RiskModel(params={"participation.fund": {"exclude": ["c1"], "only": ["c2"]}})


def test_a_study_reports_what_staying_out_costs(tmp_path):
    import sim

    study = {"name": "optout", "seed": 2, "replications": 3, "baseline": "coordinated",
             "regimes": ["coordinated",
                         {"name": "out", "regime": "coordinated", "label": "C1 <out>",
                          "set": {"participation": {"platform": {"exclude": ["c1"]},
                                                    "fund": {"exclude": ["c1"]}}}}],
             "params": {"region.n_cities": 5, "time.horizon_days": 12}, "charts": []}
    res = sim.run_study(study, out=tmp_path / "o")
    accounts = res.accounts.merge(res.runs[["run_id", "regime"]], on="run_id")
    outside = accounts[(accounts["regime"] == "out") & (accounts["city"] == 1)]
    assert not outside["in_platform"].any() and not outside["in_fund"].any()
    assert (outside[["fund_in", "fund_out"]] == 0).all().all()
    assert accounts.loc[accounts["regime"] == "coordinated", "in_fund"].all()
    from sim.report import build, to_html, to_markdown

    doc = build(res, "en")
    md = to_markdown(doc)
    assert "What staying out costs, against Coordinated" in md
    assert "| City 1 | " in md and " † |" in md
    assert "C1 &lt;out&gt;" in to_html(doc) and "C1 <out>" not in to_html(doc)
    zh = to_markdown(build(res, "zh"))
    assert "不参与的代价" in zh and "信息平台、补偿基金" in zh
