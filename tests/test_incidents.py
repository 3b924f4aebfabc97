"""Every incident is recorded and tabled; the single-incident charts follow one named incident
and draw exactly its record."""

import math
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sim import incidents, maps, plots
from sim.scenario import ScenarioError, load
from sim.study import run_study

# Two kinds of random hazards over a year on a six-city river: dozens of incidents per run.
STUDY = {
    "name": "many",
    "seed": 17,
    "replications": 2,
    "regimes": ["territorial", "coordinated"],
    "params": {"region.n_cities": 6, "time.horizon_days": 365, "hazard.kind": "none",
               "hazard.rates": {"river_spill": 3.0, "plume": 3.0}},
    "record": {"series": True},
    "charts": [],
}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return run_study(STUDY, out=tmp_path_factory.mktemp("incidents") / "many", charts=False)


def _region(study, regime):
    runs = study.runs
    run_id = int(runs.loc[(runs["regime"] == regime) & (runs["replication"] == 0),
                          "run_id"].iloc[0])
    return run_id, study.regions[run_id]


def test_every_incident_of_a_recorded_run_is_in_the_incident_table(study):
    table = pd.read_csv(study.path / "incidents.csv")
    assert (study.path / "incidents.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    for regime in ("territorial", "coordinated"):
        run_id, region = _region(study, regime)
        rows = table[table["run_id"] == run_id]
        assert len(rows) == len(region["incidents"]) > 20  # no longer cut at 20
        assert set(rows["kind"]) == {"river_spill", "plume"}
        first = region["incidents"][0]
        row = rows.iloc[0]
        hours = region["step_hours"]
        assert row["start_day"] == pytest.approx(first["start_step"] * hours / 24)
        assert row["loss"] == pytest.approx(sum(first["loss"]))
        assert row["origin_en"] == region["names_en"][first["origin"]]
    # per city: warning and arrival of every incident
    cities = pd.read_csv(study.path / "incident_cities.csv")
    assert len(cities) == sum(len(study.regions[r]["incidents"]) * 6
                              for r in set(table["run_id"]))


def test_the_incident_table_has_cost_columns_even_before_the_model_records_them(study):
    table = incidents.table(study)
    assert {"control_cost", "central_cost"} <= set(table.columns)


def _lines(fig, gid):
    return next(line for ax in fig.axes for line in ax.get_lines() if line.get_gid() == gid)


def test_the_timeline_draws_the_largest_incident_of_the_baseline_and_names_it(study):
    fig = plots.render("incident_timeline", study, "en")
    _, base = _region(study, "territorial")
    biggest = max(base["incidents"], key=lambda i: sum(i["loss"]))
    origin = base["names_en"][biggest["origin"]]
    kind = incidents.KIND_WORDS["en"][biggest["kind"]]
    (legend,) = fig.legends
    title = legend.get_title().get_text().replace("\n", " ")
    assert title.startswith(f"{kind[0].upper()}{kind[1:]} from {origin}, starting on day "
                            f"{biggest['start_step'] * base['step_hours'] / 24:.1f}")
    assert "the largest by loss of" in title and "in the Territorial run" in title
    # the markers are the incident's record, in every regime, on the rows named
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    for regime in ("territorial", "coordinated"):
        _, region = _region(study, regime)
        inc = next(i for i in region["incidents"]
                   if (i["kind"], i["origin"], i["start_step"])
                   == (biggest["kind"], biggest["origin"], biggest["start_step"]))
        hours = region["step_hours"]
        warned = _lines(fig, f"warning:{regime}")
        arrived = _lines(fig, f"arrival:{regime}")
        rows = np.rint(warned.get_ydata()).astype(int)
        for y, w, a in zip(rows, warned.get_xdata(), arrived.get_xdata(), strict=True):
            city = region["names_en"].index(names[y])
            expect_w = (inc["informed"][city] - inc["start_step"]) * hours / 24
            expect_a = (inc["arrival"][city] - inc["start_step"]) * hours / 24
            assert (math.isnan(w) and inc["informed"][city] < 0) or w == pytest.approx(expect_w)
            assert (math.isnan(a) and inc["arrival"][city] < 0) or a == pytest.approx(expect_a)
        assert names[rows[0]] == region["names_en"][inc["origin"]]  # the origin comes first
    plt.close(fig)


def test_chart_options_choose_the_incident_by_kind_origin_and_rank(study):
    _, base = _region(study, "territorial")
    plumes = [i for i in base["incidents"] if i["kind"] == "plume"]
    second = sorted(plumes, key=lambda i: -sum(i["loss"]))[1]
    origin = base["names_en"][second["origin"]]
    fig = plots.render("incident_timeline", study, "en", kind="plume", rank=2)
    title = fig.legends[0].get_title().get_text().replace("\n", " ")
    assert title.startswith(f"Air plume from {origin}") and "the 2nd largest" in title
    plt.close(fig)
    # a city by its Chinese name
    spills = [i for i in base["incidents"] if i["kind"] == "river_spill"]
    where = spills[0]["origin"]
    fig = plots.render("incident_map", study, "zh", kind="river_spill",
                       origin=base["names_zh"][where])
    title = fig.legends[0].get_title().get_text().replace("\n", "")
    assert title.startswith(f"{base['names_zh'][where]}水污染事件")
    plt.close(fig)


def test_the_incident_map_colours_each_city_by_its_loss_from_that_incident(study):
    fig = plots.render("incident_map", study, "en")
    _, region = _region(study, "coordinated")
    base = _region(study, "territorial")[1]
    biggest = max(base["incidents"], key=lambda i: sum(i["loss"]))
    inc = next(i for i in region["incidents"] if i["start_step"] == biggest["start_step"]
               and i["origin"] == biggest["origin"] and i["kind"] == biggest["kind"])
    drawn = []
    for ax in fig.axes:
        for coll in ax.collections:
            if (coll.get_gid() or "").endswith(":coordinated"):
                drawn += list(coll.get_array())
    reached = [x for x, a in zip(inc["loss"], inc["arrival"], strict=True) if a >= 0]
    assert sorted(drawn) == pytest.approx(sorted(reached))
    plt.close(fig)


def test_city_names_on_the_map_never_overlap(study):
    fig = plots.render("incident_map", study, "en")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in fig.axes[0].texts if t.get_text()]
    assert len(boxes) == 6
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    plt.close(fig)


def test_incident_charts_draw_without_warnings_in_both_languages(study, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for lang in ("en", "zh"):
            plots.draw(study, ["incident_map", "incident_timeline"], lang, out_dir=tmp_path)


def test_a_city_is_found_by_index_id_english_or_chinese_name(study):
    _, region = _region(study, "territorial")
    for key in (2, region["ids"][2], region["names_en"][2], region["names_zh"][2]):
        assert incidents.city_index(region, key) == 2
    assert incidents.city_index(region, "Atlantis") is None


def test_a_bad_incident_option_is_a_validation_error():
    bad = dict(STUDY, chart_options={"incident_map": {"kind": "plumes", "rank": 0}})
    with pytest.raises(ScenarioError) as err:
        load(bad)
    text = str(err.value)
    assert "chart_options.incident_map.kind" in text and "did you mean 'plume'" in text
    assert "chart_options.incident_map.rank: expected an integer >= 1" in text


def test_maps_module_keeps_the_timeline_rows_short():
    assert maps.MAX_TIMELINE_CITIES <= 15
