"""Scenario discovery (sim/discovery.py): PRIM recovers a box known by construction, regret is
computed as by hand, the discovery block is validated like every other key, and the shipped
study writes its boxes and its report section in both languages."""

import copy
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from sim import discovery
from sim.cli import main
from sim.scenario import ScenarioError, load
from sim.study import open_results, run_study
from tests.conftest import ROOT

SPEC = {"conditions": [{"name": "fails", "regime": "coordinated", "versus": "territorial",
                        "outcome": "spillover_loss", "holds": "not_lower", "threshold": 0}],
        "inputs": ["info.report_delay_hours", "compensation.payout_share", "trust.initial"],
        "per": "draw", "min_density": 0.8, "max_qp": 0.05, "mass_min": 0.05,
        "peel_alpha": 0.05, "boxes": 2,
        "regret": {"outcome": "total_loss", "regimes": ["territorial", "coordinated"]}}
DELAY, SHARE = 36.0, 0.2  # the box: report delay above 36 h and payout share below 0.2


def synthetic_runs(seed: int = 3, points: int = 150, reps: int = 3) -> pd.DataFrame:
    """A results table where coordination fails (its spillover loss is not lower than
    territorial's) exactly when info.report_delay_hours > 36 and payout_share < 0.2, and cuts
    it everywhere else; noise in the level, none in the sign."""
    rng = np.random.default_rng(seed)
    u = (rng.permuted(np.tile(np.arange(points), (3, 1)), axis=1).T
         + rng.random((points, 3))) / points  # a Latin hypercube, as sweep.lhs draws it
    x = pd.DataFrame({"info.report_delay_hours": 96 * u[:, 0],
                      "compensation.payout_share": 0.5 * u[:, 1],
                      "trust.initial": 0.2 + 0.7 * u[:, 2]})
    rows = []
    for point, values in x.iterrows():
        inside = values["info.report_delay_hours"] > DELAY and \
            values["compensation.payout_share"] < SHARE
        for rep in range(reps):
            level = 10 + 5 * rng.random()
            effect = rng.uniform(0.1, 2) * (1 if inside else -1)
            for regime, loss in (("territorial", level), ("coordinated", level + effect)):
                rows.append({"run_id": len(rows), "regime": regime, "point": point,
                             "replication": rep, **values, "spillover_loss": loss,
                             "total_loss": loss + 3})
    return pd.DataFrame(rows)


def test_prim_recovers_the_box_that_holds_by_construction():
    found = discovery.analyse(synthetic_runs(), SPEC)
    (f,) = found.found
    box = f.boxes[0]
    assert set(box["restricted"]) == {"info.report_delay_hours", "compensation.payout_share"}
    lo_delay, hi_delay = box["limits"]["info.report_delay_hours"]
    lo_share, hi_share = box["limits"]["compensation.payout_share"]
    assert lo_delay == pytest.approx(DELAY, abs=96 * 0.05)  # within 5% of the range
    assert hi_share == pytest.approx(SHARE, abs=0.5 * 0.05)
    assert hi_delay == pytest.approx(f.cases["info.report_delay_hours"].max())  # open above
    assert lo_share == pytest.approx(f.cases["compensation.payout_share"].min())
    assert box["coverage"] >= 0.9 and box["density"] >= 0.9
    assert box["density_target_met"]
    # the report states it in words, in both languages
    (en,), (zh,) = (discovery.box_sentences(found, lang, {})[0] for lang in ("en", "zh"))
    assert "`info.report_delay_hours` ≥ " in en and "`compensation.payout_share` ≤ " in en
    assert f"coverage {box['coverage']:.2f}, density {box['density']:.2f}" in en
    assert "覆盖率" in zh and "密度" in zh and "报告延迟" in zh
    # CART and the feature scores point at the same two inputs
    top = f.scores.sort_values("rank")["parameter"].head(2)
    assert set(top) == {"info.report_delay_hours", "compensation.payout_share"}
    best_leaf = f.cart.sort_values("density", ascending=False).iloc[0]
    assert best_leaf["density"] >= 0.9


def test_no_box_where_the_condition_holds_nowhere_or_everywhere():
    runs = synthetic_runs(points=40, reps=2)
    for holds in ("higher", "lower"):  # +-1000 is never / always exceeded
        spec = copy.deepcopy(SPEC)
        spec["conditions"][0] |= {"holds": holds, "threshold": 1000}
        (f,) = discovery.analyse(runs, spec).found
        assert f.boxes == [] and f.base_rate in (0.0, 1.0)


def test_same_results_same_boxes_bit_for_bit():
    runs = synthetic_runs(seed=8, points=60, reps=2)
    tables = []
    for _ in range(2):
        found = discovery.analyse(runs.copy(), SPEC)
        f = found.found[0]
        tables.append((discovery.boxes_table(found).to_csv(), f.cart.to_csv(),
                       f.scores.to_csv(), f.trajectory.to_csv()))
    assert tables[0] == tables[1]


def test_regret_on_a_hand_checked_table():
    # two draws (point 0, replications 0 and 1) and one at point 1; three regimes
    runs = pd.DataFrame({
        "regime": ["a", "b", "c"] * 3,
        "point": [0, 0, 0, 0, 0, 0, 1, 1, 1],
        "replication": [0, 0, 0, 1, 1, 1, 0, 0, 0],
        "total_loss": [10.0, 7.0, 9.0,    # b best; regrets 3, 0, 2
                       4.0, 6.0, 4.0,     # a and c tie for best; regrets 0, 2, 0
                       5.0, 8.0, 11.0]})  # a best; regrets 0, 3, 6
    draws, summary = discovery.regret(runs, "total_loss", ["a", "b", "c"])
    s = summary.set_index("regime")
    assert s.loc["a", "mean_regret"] == pytest.approx(1.0)
    assert s.loc["b", "mean_regret"] == pytest.approx(5 / 3)
    assert s.loc["c", "mean_regret"] == pytest.approx(8 / 3)
    assert s.loc["a", "max_regret"] == 3 and s.loc["c", "max_regret"] == 6
    assert s.loc["a", "share_best"] == pytest.approx(2 / 3)
    assert s.loc["b", "share_best"] == pytest.approx(1 / 3)
    assert s.loc["c", "share_best"] == pytest.approx(1 / 3)
    assert (s["n_draws"] == 3).all()
    got = draws.set_index(["point", "replication", "regime"])["regret"]
    assert got[(0, 1, "b")] == 2 and got[(1, 0, "c")] == 6


# --- the block in a scenario ------------------------------------------------------------------
SMALL = {
    "name": "discovery_small", "seed": 4, "replications": 2,
    "regimes": [{"regime": "territorial", "ignore_sweep": ["info.relay_hours"]},
                "coordinated"],
    "params": {"region.n_cities": 4, "time.horizon_days": 8, "hazard.magnitude": 60},
    "sweep": {"lhs": {"samples": 8, "bounds": {"info.relay_hours": [0.5, 48],
                                              "trust.initial": [0.2, 0.9]}}},
    "record": {"series": False},
    "discovery": {"conditions": [
        {"name": "no_cut", "regime": "coordinated", "outcome": "spillover_loss",
         "holds": "not_lower", "label": "<script>alert(1)</script> fails",
         "label_zh": "<b>协同</b>失灵"},
        {"name": "cut_small", "regime": "coordinated", "outcome": "spillover_loss",
         "holds": "higher", "threshold": -0.5, "relative": True}]},
    "charts": ["discovery_tradeoff", "discovery_boxes", "regret"],
}


def test_ignore_sweep_keeps_the_regimes_own_settings():
    sc = load(SMALL)
    runs = list(sc.runs())
    terr = [r for r in runs if r.regime == "territorial"]
    coord = [r for r in runs if r.regime == "coordinated"]
    assert {r.overrides["info.relay_hours"] for r in terr} == \
        {sc.regimes[0].settings["info.relay_hours"]}
    assert all(r.overrides["trust.initial"] == r.params["trust.initial"] for r in terr)
    assert len({r.overrides["info.relay_hours"] for r in coord}) == 8
    # the point's values stay on every row, so the regimes pair at each point
    assert all("info.relay_hours" in r.params for r in terr)


def _write(tmp_path, data: dict, name: str = "s.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def test_discovery_block_errors_name_file_line_key_and_suggest(tmp_path, capsys):
    data = copy.deepcopy(SMALL)
    data["discovery"] = {"conditons": [], "per": "draws", "min_density": 2,
                         "conditions": [{"regime": "coordinatd", "outcome": "spilover_loss",
                                         "holds": "not_lowr", "cty": "x"}],
                         "inputs": ["trust.inital"], "regret": {"outcom": "total_loss"}}
    path = _write(tmp_path, data)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    lines = yaml.compose(path.read_text(encoding="utf-8"))  # noqa: F841 (the file parses)
    for expected in ("discovery.conditons: unknown key (did you mean 'conditions'?)",
                     "discovery.conditions[0].regime: expected one of the study's regimes",
                     "(did you mean 'coordinated'?)",
                     "discovery.conditions[0].outcome:", "(did you mean 'spillover_loss'?)",
                     "discovery.conditions[0].holds:", "(did you mean 'not_lower'?)",
                     "discovery.conditions[0].cty: unknown key (did you mean 'city'?)",
                     "discovery.inputs[0]: expected a swept parameter",
                     "(did you mean 'trust.initial'?)",
                     "discovery.per:", "(did you mean 'draw'?)",
                     "discovery.min_density: expected a number in (0, 1]",
                     "discovery.regret.outcom: unknown key (did you mean 'outcome'?)"):
        assert expected in err, expected
    assert f"{path}:" in err and "Traceback" not in err
    # every message carries a line number of the file
    assert all(line.startswith(f"error: {path}:") and line.split(":")[2].strip().isdigit()
               for line in err.strip().splitlines())


def test_discovery_needs_a_sweep_and_a_known_city():
    data = copy.deepcopy(SMALL)
    del data["sweep"]
    data["discovery"]["inputs"] = ["info.relay_hours"]
    with pytest.raises(ScenarioError) as exc:
        load(data)
    assert "scenario discovery needs a sweep" in str(exc.value)
    data = copy.deepcopy(SMALL)
    data["discovery"]["conditions"][0] |= {"city": "Atlantis", "outcome": "net_burden"}
    with pytest.raises(ScenarioError) as exc:
        load(data)
    assert "discovery.conditions[0].city" in str(exc.value)
    data["discovery"]["conditions"][0]["outcome"] = "total_loss"  # not an account
    with pytest.raises(ScenarioError) as exc:
        load(data)
    assert "expected a per-city account" in str(exc.value)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return run_study(SMALL, out=tmp_path_factory.mktemp("disc") / "small", langs=("en", "zh"))


def test_a_study_with_the_block_writes_tables_charts_and_escaped_report(small):
    folder = small.path
    for name in ("boxes.csv", "trajectory.csv", "cart.csv", "feature_scores.csv",
                 "cases.csv", "regret.csv", "regret_draws.csv", "spec.json"):
        assert (folder / "discovery" / name).is_file(), name
    for stem in ("discovery_tradeoff", "discovery_boxes", "regret"):
        for suffix in ("", "_zh"):
            for fmt in ("png", "pdf"):
                assert (folder / "figures" / f"{stem}{suffix}.{fmt}").is_file()
    cases = pd.read_csv(folder / "discovery" / "cases.csv", encoding="utf-8-sig")
    assert set(cases["condition"]) == {"no_cut", "cut_small"}
    assert len(cases) == 2 * 8 * 2
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    zh = (folder / "report_zh.html").read_text(encoding="utf-8")
    assert "<b>协同</b>" not in zh and "&lt;b&gt;协同" in zh
    assert "Scenario discovery" in (folder / "report.md").read_text(encoding="utf-8")
    assert "情景发现" in (folder / "report_zh.md").read_text(encoding="utf-8")
    assert "遗憾值" in (folder / "report_zh.md").read_text(encoding="utf-8")


def test_discover_verb_applies_another_block_without_running(small, tmp_path, capsys):
    before = sorted(p.name for p in (small.path / "runs").iterdir())
    other = {"discovery": {"conditions": [{"name": "costlier", "regime": "coordinated",
                                           "outcome": "coordination_cost",
                                           "holds": "higher"}], "regret": False}}
    path = _write(tmp_path, other, "other.yaml")
    assert main(["discover", str(small.path), "--from", str(path), "--lang", "en"]) == 0
    spec = json.loads((small.path / "discovery" / "spec.json").read_text(encoding="utf-8"))
    assert [c["name"] for c in spec["conditions"]] == ["costlier"]
    assert not (small.path / "discovery" / "regret.csv").exists()
    assert sorted(p.name for p in (small.path / "runs").iterdir()) == before
    report = (small.path / "report.md").read_text(encoding="utf-8")
    assert "coordination cost" in report
    capsys.readouterr()
    bad = _write(tmp_path, {"discovery": {"conditions": [{"regime": "coordinated",
                                                          "outcome": "total_los",
                                                          "holds": "higher"}]}}, "bad.yaml")
    assert main(["discover", str(small.path), "--from", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:" in err and "(did you mean 'total_loss'?)" in err
    # back to the study's own block
    assert main(["discover", str(small.path), "--lang", "en"]) == 0
    spec = json.loads((small.path / "discovery" / "spec.json").read_text(encoding="utf-8"))
    assert [c["name"] for c in spec["conditions"]] == ["no_cut", "cut_small"]


def test_the_shipped_study_runs_at_reduced_size(tmp_path):
    """scenarios/when_coordination_fails.yaml, with fewer points, replications and days:
    it validates, runs, writes boxes.csv and states its conditions in both languages."""
    data = yaml.safe_load((ROOT / "scenarios" / "when_coordination_fails.yaml")
                          .read_text(encoding="utf-8"))
    assert data["params"]["region.kind"] in ("jingjinji", "yangtze_delta", "greater_bay")
    assert "lhs" in data["sweep"]
    data["sweep"]["lhs"]["samples"] = 10
    data["params"]["time.horizon_days"] = 60
    data["replications"] = 2
    data["charts"] = ["discovery_boxes"]
    res = run_study(data, out=tmp_path / "wcf", langs=("en", "zh"))
    assert (res.path / "discovery" / "boxes.csv").is_file()
    en = (res.path / "report.md").read_text(encoding="utf-8")
    zh = (res.path / "report_zh.md").read_text(encoding="utf-8")
    for cond in data["discovery"]["conditions"]:
        assert cond["label"] in en or cond["label"][:1].upper() + cond["label"][1:] in en
        assert cond["label_zh"] in zh
    assert "Robust regime choice" in en and "稳健的模式选择" in zh
    assert open_results(res.path).manifest["scenario"]["discovery"]["min_density"] == 0.5


def test_per_point_judges_the_mean_difference_of_each_point():
    runs = synthetic_runs(seed=5, points=60, reps=3)
    spec = copy.deepcopy(SPEC) | {"per": "point"}
    (f,) = discovery.analyse(runs, spec).found
    assert len(f.cases) == 60 and (f.cases["n_draws"] == 3).all()
    inside = (f.cases["info.report_delay_hours"] > DELAY) & \
        (f.cases["compensation.payout_share"] < SHARE)
    assert (f.cases["holds"] == inside).all()  # every draw of a point agrees in sign
    assert set(f.boxes[0]["restricted"]) == {"info.report_delay_hours",
                                             "compensation.payout_share"}


def test_ignore_sweep_must_name_swept_parameters():
    data = copy.deepcopy(SMALL)
    data["regimes"][0]["ignore_sweep"] = ["info.relay_hour", "hazard.magnitude"]
    with pytest.raises(ScenarioError) as exc:
        load(data)
    text = str(exc.value)
    assert "regimes[0].ignore_sweep: expected a swept parameter" in text
    assert "(did you mean 'info.relay_hours'?)" in text and "'hazard.magnitude'" in text
    data["regimes"][0]["ignore_sweep"] = "yes"
    with pytest.raises(ScenarioError, match="expected true, false or a list"):
        load(data)
