"""The event log (事件日志): what it holds, that it changes nothing, and how a study keeps it;
and Mesa's conventions: a DataCollector row per step, outcomes once at the end."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

import sim
from sim import events, runner
from sim.model import RiskModel
from sim.regimes import REGIMES
from tests.conftest import write_yaml

MIXED = {"region.kind": "yangtze_delta", "time.horizon_days": 365, "hazard.kind": "none",
         "compensation.bilateral": True,
         "hazard.rates": {"river_spill": 0.2, "plume": 0.2, "accident": 0.5, "cascade": 0.2,
                          "epidemic": {"megacity": 0.1}}}


def fingerprint(m: RiskModel) -> tuple:
    out = {k: repr(v) for k, v in m.outcomes().items()}
    books = {k: np.asarray(v).tobytes() for k, v in m.city_accounts().items()}
    return out, books, m.series.tobytes(), m.trust.tobytes()


@pytest.mark.parametrize("regime", list(REGIMES))
def test_recording_events_changes_nothing(regime):
    off = RiskModel(regime, params=MIXED, rng=5)
    off.run()
    on = RiskModel(regime, params=MIXED, rng=5, record_events=True)
    on.run()
    assert off.events == [] and len(on.events) > 100
    assert fingerprint(on) == fingerprint(off)


def test_every_event_has_the_documented_fields_and_words():
    m = RiskModel("coordinated", params=MIXED, rng=5, record_events=True)
    m.run()
    seen = set()
    for e in m.events:
        assert tuple(e) == events.FIELDS
        assert e["event"] in events.VOCABULARY
        seen.add(e["event"])
        assert isinstance(e["step"], int) and 0 <= e["step"] < m.n_steps + 400
        assert e["hour"] == e["step"] * m.step_hours
        assert e["actor"] in ("body", "centre") or (isinstance(e["actor"], int)
                                                    and 0 <= e["actor"] < m.n)
        assert e["target"] is None or (isinstance(e["target"], int) and 0 <= e["target"] < m.n)
        assert e["incident"] is None or 0 <= e["incident"] < len(m.incidents)
        assert e["amount"] is None or isinstance(e["amount"], float)
        assert isinstance(e["detail"], str)
    assert {"started", "detected", "reported", "relayed", "warned", "activated",
            "source_control_set", "assistance_asked", "fund_paid", "evaluation",
            "trust_change", "ended", "bilateral_paid"} <= seen
    # one warning and one activation per city and incident; the log agrees with the model
    for inc in m.incidents:
        warned = [e for e in m.events if e["event"] == "warned" and e["incident"] == inc.index]
        assert sorted(e["target"] for e in warned) == sorted(np.flatnonzero(inc.informed >= 0))
        for e in warned:
            assert e["step"] == inc.informed[e["target"]]


def test_a_late_report_and_its_sanction_are_logged():
    params = {"region.n_cities": 6, "time.horizon_days": 20, "hazard.origin": 0,
              "info.report_delay_hours": 48.0, "reporting.disclosure_cost": 100.0,
              "accountability.audit_prob": 1.0, "accountability.penalty": 3.0}
    m = RiskModel("coordinated", params=params, rng=1, record_events=True)
    m.run()
    inc = m.incidents[0]
    kinds = [e["event"] for e in m.events if e["incident"] == 0]
    assert "held_back" in kinds and "silent" not in kinds
    late = next(e for e in m.events if e["event"] == "reported")
    assert late["detail"] == "late" and late["amount"] == 48.0
    assert late["step"] == inc.report_step == inc.detected_step + 8
    sanction = next(e for e in m.events if e["event"] == "sanction")
    assert sanction["actor"] == "centre" and sanction["target"] == 0
    assert sanction["amount"] == 3.0 == m.sanctions_by_city()[0]


def test_escalation_and_central_command_are_logged_in_order():
    m = RiskModel("superior_led", params={"hazard.magnitude": 400}, rng=0, record_events=True)
    m.run()
    up = next(e for e in m.events if e["event"] == "escalation")
    command = next(e for e in m.events if e["event"] == "central_command")
    inc = m.incidents[0]
    assert (up["step"], command["step"]) == (inc.escalated_step, inc.central_step)
    assert up["actor"] == "body" and command["actor"] == "centre"


@pytest.mark.parametrize("max_steps, period, per_run", [(40, 1, 40), (40, -1, 1), (1000, -1, 1),
                                                       (1000, 1, 80)])
def test_mesa_batch_run_gives_the_rows_a_mesa_user_expects(max_steps, period, per_run):
    rows = mesa.batch_run(RiskModel, parameters={"regime": ["territorial", "coordinated"]},
                          rng=[1], max_steps=max_steps, data_collection_period=period,
                          number_processes=1, display_progress=False)
    frame = pd.DataFrame(rows)
    assert frame.groupby("regime").size().to_dict() == {"territorial": per_run,
                                                        "coordinated": per_run}
    assert {"loss_step", "cities_warned", "mean_trust", "total_loss"} <= set(frame)
    finished = max_steps >= 80  # 20 days of 6 h steps
    last = frame.groupby("regime").tail(1)
    assert last["total_loss"].notna().all() == finished
    if finished:  # the outcome at the end is the run's outcome
        for _, row in last.iterrows():
            assert row["total_loss"] == RiskModel(row["regime"], rng=1).run()["total_loss"]
    if period == 1:
        assert frame["total_loss"].notna().sum() == (2 if finished else 0)
        losses = frame.groupby("regime")["loss_step"].sum()
        assert (losses > 0).all()
        if finished:
            assert losses.to_dict() == pytest.approx(
                last.set_index("regime")["total_loss"].to_dict())


def test_a_study_keeps_the_event_log_and_the_report_summarises_it(tmp_path):
    study = {"name": "logged", "seed": 3, "replications": 2,
             "regimes": ["territorial", {"name": "c2", "regime": "coordinated",
                                         "label": "<b>Co</b> & \"ops\""}],
             "params": {"region.n_cities": 5, "time.horizon_days": 12},
             "record": {"events": True}, "charts": ["incident_timeline"]}
    res = sim.run_study(write_yaml(tmp_path / "s.yaml", study), out=tmp_path / "o")
    log = res.events
    assert set(log["run_id"]) == set(res.runs.loc[res.runs["replication"] == 0, "run_id"])
    assert list(log.columns[:11]) == ["run_id", "regime", "point", "step", "hour", "event",
                                      "actor", "target", "incident", "amount", "detail"]
    assert log.groupby("run_id")["step"].apply(lambda s: s.is_monotonic_increasing).all()
    assert set(log["event"]) <= set(events.VOCABULARY)
    assert (log.loc[log["event"] == "relayed", "actor"].isin(["body", "centre"])).all()
    # the chunk files are verified like every other
    record = runner.record_path(res.path, 0).read_text()
    assert "events/chunk-000000.parquet" in record
    page = (res.path / "report.html").read_text(encoding="utf-8")
    assert "Event log of one incident" in page and "held_back" in page
    assert "<b>Co</b>" not in page and "&lt;b&gt;Co&lt;/b&gt; &amp;" in page
    # a study without record: events keeps none
    plain = sim.run_study({**study, "name": "plain", "record": {}}, out=tmp_path / "p",
                          charts=False)
    assert plain.events is None and not (plain.path / "events").exists()


def test_networkx_is_a_declared_dependency():
    """`import mesa` needs networkx on Mesa 3.5.x: a fresh install must bring it."""
    import tomllib

    from tests.conftest import ROOT

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "dependencies"]
    assert any(d.replace(" ", "").startswith("networkx") for d in deps)
