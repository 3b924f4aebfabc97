"""Regions and hazards in the model: presets, own files, every kind on every region, channels."""

import numpy as np
import pytest
import yaml

from sim.model import RiskModel
from sim.params import BY_PATH
from sim.regions import tier_of
from sim.regions.files import load_region_file
from sim.regions.presets import DATA, PRESETS, load_preset

KINDS = ("river_spill", "river_flood", "plume", "epidemic", "cascade", "accident")


@pytest.mark.parametrize("name", PRESETS)
def test_presets_load_with_sources_and_documented_totals(name):
    region = load_preset(name)
    data = yaml.safe_load((DATA / f"{name}.yaml").read_text(encoding="utf-8"))
    assert region.population_m.sum() == pytest.approx(data["totals"]["population_m"], abs=0.01)
    for city in data["cities"]:
        assert set(city["source"]) >= {"population", "gdp", "position"}
        assert all(key in data["sources"] for key in city["source"].values())
    assert region.n == len(data["cities"])


def test_cluster_sizes_match_the_literature():
    assert load_preset("jingjinji").n == 13
    assert load_preset("yangtze_delta").n == 27
    assert load_preset("greater_bay").n == 11
    assert load_preset("jingjinji").population_m.sum() == pytest.approx(110.36, abs=0.05)


def test_tiers_follow_the_2014_thresholds():
    assert [tier_of(x) for x in (21.9, 7.0, 3.0, 0.7, 0.3)] == \
        ["megacity", "supercity", "large", "medium", "small"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("region", ["river_chain", "grid", "core_periphery", "songhua",
                                    "greater_bay"])
def test_every_kind_runs_on_every_region_with_non_negative_losses(kind, region):
    m = RiskModel(regime="coordinated", rng=1, hazard__kind=kind, region__kind=region,
                  time__horizon_days=15)
    out = m.run()
    assert out["total_loss"] > 0
    assert all((inc.loss >= 0).all() for inc in m.incidents)
    assert 0 <= out["spillover_share"] <= 1


def test_plume_reaches_downwind_cities_not_upwind_ones_and_decays_with_distance():
    # A chain west to east; the origin in the middle; wind from the west blows east.
    kw = dict(region__kind="river_chain", region__n_cities=7, hazard__kind="plume",
              hazard__origin=3, time__horizon_days=10, plume__wind_from_deg=270.0)
    m = RiskModel(regime="territorial", rng=0, **kw)
    m.run()
    exposure = m.incidents[0].loss
    assert exposure[:3].sum() == 0.0
    assert exposure[4] > exposure[5] > exposure[6] > 0


def test_river_hazards_never_reach_upstream_cities():
    for kind in ("river_spill", "river_flood"):
        m = RiskModel(rng=2, hazard__kind=kind, hazard__origin=2, time__horizon_days=15)
        m.run()
        assert (m.incidents[0].arrival[:2] == -1).all()
        assert (m.incidents[0].arrival[2:] >= 0).all()


def test_epidemic_conserves_people():
    m = RiskModel(rng=4, hazard__kind="epidemic", region__kind="jingjinji",
                  time__horizon_days=60)
    m.run()
    seir = m.incidents[0].hazard.seir
    assert np.allclose(seir.S + seir.E + seir.I + seir.R, seir.population)


def test_scripted_and_stochastic_events_overlap_and_are_shared_across_regimes():
    kw = dict(region__kind="jingjinji", hazard__kind="river_spill", time__horizon_days=365,
              hazard__rates={"accident": 1.0, "plume": {"megacity": 2.0}},
              hazard__events=[{"kind": "cascade", "origin": "tianjin", "start_day": 1}])
    a = RiskModel(regime="territorial", rng=9, **kw)
    b = RiskModel(regime="coordinated", rng=9, **kw)
    a.run()
    b.run()
    specs_a = [inc.spec for inc in a.incidents]
    assert specs_a == [inc.spec for inc in b.incidents]
    kinds = {s.kind for s in specs_a}
    assert {"river_spill", "cascade", "accident", "plume"} <= kinds
    assert len(specs_a) > 10


def test_quiet_periods_cost_almost_nothing():
    import time

    start = time.perf_counter()
    RiskModel(hazard__kind="none", time__horizon_days=3650).run()
    assert time.perf_counter() - start < 5.0  # ~14,600 empty steps; generous for slow CI


def test_own_region_from_csv_with_rivers(tmp_path):
    (tmp_path / "mine.csv").write_text(
        "id,name_zh,name_en,lat,lon,population_m,gdp_tn_cny\n"
        "up,上游,Up,30,115,2,0.2\nmid,中游,Mid,30,115.5,3,0.3\ndown,下游,Down,30,116,4,0.4\n",
        encoding="utf-8")
    (tmp_path / "mine_rivers.csv").write_text(
        "from,to,travel_hours,attenuation\nup,mid,12,0.9\nmid,down,12,0.9\n", encoding="utf-8")
    region = load_region_file(str(tmp_path / "mine.csv"))
    assert region.ids == ("up", "mid", "down") and len(region.rivers) == 2
    m = RiskModel(rng=0, region__kind="file", region__file=str(tmp_path / "mine.csv"),
                  hazard__origin="up")
    assert m.run()["cities_affected"] == 3


def test_own_region_errors_name_the_file_and_the_field(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name_zh,name_en,lat,lon,population_m,gdp_tn_cny\n"
                   "a,甲,A,30,115,lots,0.2\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.csv:2: population_m: expected a number"):
        load_region_file(str(bad))
    cyc = tmp_path / "cyc.yaml"
    cyc.write_text(yaml.safe_dump({"cities": [
        {"id": "a", "lat": 30, "lon": 115, "population_m": 1, "gdp_tn_cny": 0.1},
        {"id": "b", "lat": 30, "lon": 116, "population_m": 1, "gdp_tn_cny": 0.1}],
        "rivers": [{"from": "a", "to": "b", "travel_hours": 5, "attenuation": 0.9},
                   {"from": "b", "to": "a", "travel_hours": 5, "attenuation": 0.9}]}))
    with pytest.raises(ValueError, match="cycle"):
        load_region_file(str(cyc))
    with pytest.raises(ValueError, match="file not found"):
        load_region_file(str(tmp_path / "missing.csv"))


def test_step_length_is_configurable_and_results_scale_sensibly():
    six = RiskModel(rng=0, time__step_hours=6.0).run()
    three = RiskModel(rng=0, time__step_hours=3.0).run()
    assert three["total_loss"] == pytest.approx(six["total_loss"], rel=0.25)
    assert BY_PATH["time.step_hours"].default == 6.0


def test_a_scenario_can_override_a_citys_derived_capacities():
    base = dict(regime="coordinated", region__kind="songhua", hazard__origin="jilin")
    derived = RiskModel(rng=0, **base)
    tuned = RiskModel(rng=0, region__city_overrides={
        "jilin": {"monitoring_prob": 0.0}, "harbin": {"activation_hours": 48, "protection": 0}},
        **base)
    assert derived.monitoring[0] > 0 and tuned.monitoring[0] == 0.0
    assert tuned.activation_hours[2] == 48 and tuned.protection[2] == 0.0
    assert np.isnan(tuned.run()["detection_delay"])  # Jilin never notices its own spill
    with pytest.raises(ValueError, match=r"unknown city 'harbn'.*did you mean 'harbin'"):
        RiskModel(region__kind="songhua", region__city_overrides={"harbn": {"protection": 0.1}})
    with pytest.raises(ValueError, match="did you mean 'protection'"):
        RiskModel(region__kind="songhua", region__city_overrides={"harbin": {"protect": 0.1}})
