"""Incident replays: the model's timeline against the documented record, within tolerance."""

from __future__ import annotations

import pytest
import yaml

from sim import replay
from sim.params import resolve
from sim.regions import build_region
from sim.scenario import load
from sim.study import run_study
from tests.conftest import ROOT, write_yaml

REPLAYS = ("replay_songhua_2005", "replay_changzhi_2012", "replay_zhenjiang_2012")


@pytest.fixture(scope="module", params=REPLAYS)
def study(request, tmp_path_factory):
    res = run_study(ROOT / "scenarios" / f"{request.param}.yaml", replications=2,
                    out=tmp_path_factory.mktemp("replay") / request.param, charts=True,
                    langs=("en", "zh"))
    return request.param, res, replay.compare(res)


def test_every_documented_item_is_within_its_tolerance(study):
    name, _, table = study
    assert table is not None, name
    documented = table[table["tolerance_h"].notna()]
    assert len(documented) >= 4
    late = documented[~documented["within"].astype(bool)]
    assert late.empty, (f"{name}: model outside the record's tolerance:\n"
                        + late[["city", "what", "low_h", "high_h", "tolerance_h",
                                "model:as_recorded"]].to_string())
    # the check can fail: a value a day beyond the widened window is refused
    item = replay.load_record(replay.study_record(study[1]).path).items[0]
    edge = item.high if item.high is not None else item.low
    assert not item.within(edge + item.tolerance + 24)


def test_the_recorded_reporting_behaviour_is_scripted(study):
    """The origin's report comes out when the record says, not at once."""
    name, _, table = study
    row = table[table["what"] == "reported"].iloc[0]
    assert row["model:as_recorded"] >= 100, name
    assert row["model:honest_report"] == 0 and row["model:coordinated"] <= 6


def test_counterfactuals_warn_downstream_earlier_and_save_loss(study):
    name, res, table = study
    warned = table[table["what"] == "warned"]
    assert len(warned)
    for _, row in warned.iterrows():
        assert row["model:honest_report"] < row["model:as_recorded"], (name, row["city"])
        assert row["model:coordinated"] <= row["model:honest_report"], (name, row["city"])
    loss = res.runs.groupby("regime")["spillover_loss"].mean()
    assert loss["honest_report"] < loss["as_recorded"], name
    assert loss["coordinated"] < loss["as_recorded"], name


def test_report_has_the_model_vs_record_table_and_chart_in_both_languages(study):
    _, res, _ = study
    md = (res.path / "report.md").read_text(encoding="utf-8")
    zh = (res.path / "report_zh.md").read_text(encoding="utf-8")
    assert "## Model vs record" in md and "## 模型与记录对照" in zh
    assert "figures/replay.png" in md and "figures/replay_zh.png" in zh
    assert "within tolerance" in md
    for stem in ("replay", "replay_zh"):
        for fmt in ("png", "pdf"):  # the default formats (plots.FORMATS)
            assert (res.path / "figures" / f"{stem}.{fmt}").stat().st_size > 0
    assert (res.path / replay.FILE).exists()


def test_records_match_their_scenarios_and_regions():
    records = replay.records()
    assert {r.name for r in records} == {n.removeprefix("replay_") for n in REPLAYS}
    for name in REPLAYS:
        sc = load(ROOT / "scenarios" / f"{name}.yaml")
        params = resolve(sc.regimes[0].settings, sc.params)
        record = replay.record_for(params)
        assert record is not None and record.name == name.removeprefix("replay_")
        region = build_region(params, None)
        for item in record.items:
            assert item.city in region.ids, (name, item.city)
    # a study of another event is no replay
    assert replay.record_for(resolve({"region.kind": "songhua", "hazard.origin": "harbin"})) \
        is None


def _record(tmp_path, **change):
    data = yaml.safe_load((replay.RECORDS / "songhua_2005.yaml").read_text(encoding="utf-8"))
    for key, value in change.items():
        if key.startswith("item_"):
            data["items"][0][key[5:]] = value
        else:
            data[key] = value
    return write_yaml(tmp_path / "rec.yaml", yaml.safe_dump(data, allow_unicode=True))


@pytest.mark.parametrize("change, words", [
    ({"titel": "x"}, "titel: unknown key (did you mean 'title'?)"),
    ({"item_what": "arival"}, "items[0].what: expected one of reported, warned, arrival"),
    ({"item_window_h": [30, 10]}, "items[0].window_h: expected [earliest, latest]"),
    ({"item_tolerance_h": -1}, "items[0].tolerance_h: expected a number of hours >= 0"),
    ({"item_source": "wikipedia"}, "items[0].source: expected a key of docs/references.bib"),
])
def test_a_bad_record_file_is_refused_with_a_clear_message(tmp_path, change, words):
    path = _record(tmp_path, **change)
    with pytest.raises(replay.RecordError) as err:
        replay.load_record(path)
    assert str(path) in str(err.value) and words in str(err.value)


def test_validation_page_shows_this_replay_as_the_code_produces_it(study):
    """docs/validation.md is regenerated by `python run.py validate-model`; its block for each
    replay must be what the model gives now."""
    from sim import validation

    name, res, table = study
    text = validation.DOC.read_text(encoding="utf-8")
    expected = replay.markdown(name, table, res.manifest["scenario"]["regimes"])
    assert validation.block(text, name) == expected, \
        "docs/validation.md is out of date: run `python run.py validate-model`"
    assert (ROOT / "docs" / "figures" / f"{name}.png").exists()


def test_generated_blocks_are_replaced_in_place():
    from sim.validation import block, replace_block

    text = ("# V\n\n<!-- generated:x -->\nold\n<!-- /generated:x -->\n\n"
            "## What the model does not capture")
    text = replace_block(text, "x", "new")
    assert block(text, "x") == "new" and "old" not in text
    text = replace_block(text, "y", "added")
    assert block(text, "y") == "added" and text.index("added") < text.index("## What the")
