"""The Python API speaks Python: errors in keyword terms, did-you-mean for chart names and
options, a readable Results, and validation of a river hazard without rivers."""

import pytest

from sim import plots
from sim.runner import StudyConflict
from sim.scenario import ScenarioError, load
from sim.study import run_study
from tests.conftest import SMALL, write_yaml


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return run_study(dict(SMALL, charts=[]), out=tmp_path_factory.mktemp("api") / "small")


def test_a_conflict_from_run_study_names_the_keyword_not_the_flag(small):
    other = dict(SMALL, seed=12, charts=[])
    with pytest.raises(StudyConflict) as err:
        run_study(other, out=small.path)
    text = str(err.value)
    assert "overwrite=True" in text and "--overwrite" not in text and "--out" not in text


def test_a_bad_argument_is_blamed_on_the_argument_not_a_line_of_the_file(tmp_path):
    path = write_yaml(tmp_path / "small.yaml", SMALL)
    with pytest.raises(ScenarioError) as err:
        load(path, replications="5")
    (problem,) = err.value.problems
    assert problem.startswith("replications='5' (argument): expected an integer >= 1")
    assert "small.yaml" not in problem


def test_a_misspelt_chart_name_gets_a_did_you_mean(small):
    with pytest.raises(plots.ChartError, match="did you mean 'regime_comparison'"):
        small.plot(["regime_comparsion"])


def test_a_misspelt_plot_option_is_a_chart_error_with_a_did_you_mean(small):
    with pytest.raises(plots.ChartError, match=r"no option 'outcome'.*did you mean "
                                               r"'outcomes'.*its options: outcomes"):
        plots.render("regime_comparison", small, "en", outcome="total_loss")
    fig = plots.render("regime_comparison", small, "en", outcomes=["total_loss"])
    assert fig is not None


def test_results_read_well_in_a_console_and_a_notebook(small):
    text = repr(small)
    assert text.startswith("<Results 'small' at ") and "16 runs" in text
    assert "regimes territorial, coordinated (baseline territorial)" in text
    assert "2 sweep points over region.reach_hours" in text
    page = small._repr_html_()
    assert "<table>" in page and "At region reach = 12 h, Coordinated cuts" in page
    assert small.plot.__doc__ and "notebook" in small.plot.__doc__


def test_a_river_hazard_in_a_region_without_rivers_is_a_validation_error():
    with pytest.raises(ScenarioError) as err:
        load({"name": "dry", "params": {"region.kind": "grid", "hazard.kind": "river_spill"}})
    assert "hazard.kind: river_spill travels along rivers, but region 'grid' has none" \
        in str(err.value)
    with pytest.raises(ScenarioError, match=r"hazard\.rates: river_flood travels along rivers"):
        load({"name": "dry", "params": {"region.kind": "grid", "hazard.kind": "none",
                                        "hazard.rates": {"river_flood": 1.0}}})
    load({"name": "wet", "params": {"region.kind": "grid", "hazard.kind": "plume"}})


def test_region_file_is_read_beside_the_scenario_file(tmp_path, monkeypatch):
    import shutil

    from tests.conftest import ROOT

    folder = tmp_path / "study"
    folder.mkdir()
    for name in ("river_valley.csv", "river_valley_rivers.csv"):
        shutil.copy(ROOT / "examples" / name, folder / name)
    path = write_yaml(folder / "valley.yaml", {
        "name": "valley", "params": {"region.kind": "file", "region.file": "river_valley.csv",
                                     "hazard.origin": "shanyang"}})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    scenario = load(path)
    assert scenario.params["region.file"] == (folder / "river_valley.csv").as_posix()
    missing = write_yaml(folder / "missing.yaml", {
        "name": "missing", "params": {"region.kind": "file", "region.file": "nowhere.csv"}})
    with pytest.raises(ScenarioError, match=r"nowhere\.csv"):
        load(missing)


def test_regimes_keep_the_scenarios_order_in_tables_and_sentences(tmp_path):
    order = ["superior_led", "coordinated", "territorial", "spontaneous"]
    res = run_study({"name": "order", "seed": 1, "replications": 2, "regimes": order,
                     "baseline": "territorial", "charts": [],
                     "params": {"region.n_cities": 4, "time.horizon_days": 5}},
                    out=tmp_path / "order")
    assert list(res.summary["regime"].unique()) == order
    assert list(res.differences["regime"].unique()) == [r for r in order if r != "territorial"]
    assert [line.split(" cuts")[0] for line in res.headline()] == [
        "Superior-led", "Coordinated", "Spontaneous"]


def test_a_city_may_be_named_by_id_english_or_chinese_name(tmp_path):
    outcomes = []
    for origin in ("shanghai", "Shanghai", "上海"):
        res = run_study({"name": "names", "seed": 2, "replications": 1, "charts": [],
                         "regimes": ["territorial", "coordinated"],
                         "params": {"region.kind": "yangtze_delta", "hazard.kind": "plume",
                                    "hazard.origin": origin, "time.horizon_days": 3}},
                        out=tmp_path / origin)
        outcomes.append(res.runs["total_loss"].tolist())
    assert outcomes[0] == outcomes[1] == outcomes[2]
    with pytest.raises(ScenarioError, match=r"unknown city 'Shanghia'.*did you mean"):
        load({"name": "typo", "params": {"region.kind": "yangtze_delta",
                                         "hazard.kind": "plume", "hazard.origin": "Shanghia"}})
