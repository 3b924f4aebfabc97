"""Global sensitivity analysis: morris and sobol sweeps in the scenario language, the indices
on functions whose answer is known, clear errors, and a real study from sweep to chart."""

import math
import shutil
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.text import Text
from PIL import Image

from sim import plots, sensitivity
from sim.cli import main
from sim.scenario import ScenarioError, load
from sim.study import merge_results, run_study

BOUNDS = {"info.relay_hours": [0.5, 24.0], "trust.initial": [0.2, 1.0],
          "preparedness.activation_hours": [1.0, 13.0]}


def _scenario(kind: str, options: dict, bounds=None, seed: int = 7, **top) -> dict:
    return {"name": "sa", "seed": seed, "replications": 2, "regimes": ["coordinated"],
            "params": {"region.n_cities": 4, "time.horizon_days": 4},
            "sweep": {kind: {**options, "bounds": bounds or BOUNDS}}, **top}


def _synthetic_runs(scenario, model, replications: int, noise=None) -> pd.DataFrame:
    """A results table as the engine writes it (regime, point, replication, the swept values,
    outcomes), with total_loss = model(point) + noise(point, replication)."""
    rows = []
    for point_id, point in enumerate(scenario.points):
        for rep in range(replications):
            eps = noise(point_id, rep) if noise else 0.0
            rows.append({"regime": "coordinated", "point": point_id, "replication": rep,
                         **point, "total_loss": model(point) + eps})
    return pd.DataFrame(rows)


# --- the indices, on functions whose answer is known ------------------------------------------
def test_morris_ranks_a_linear_model_by_its_coefficients_times_ranges():
    sc = load(_scenario("morris", {"trajectories": 20, "levels": 4}))
    # effects over the ranges: 0.1 x 23.5 h = 2.35, 10 x 0.8 = 8, none
    coef = {"info.relay_hours": 0.1, "trust.initial": -10.0, "preparedness.activation_hours": 0.0}

    def model(p):
        return 100 + sum(c * p[k] for k, c in coef.items())

    # noise that averages to exactly 0 over the replications of each point but differs from
    # point to point: a single replication would give the no-effect parameter a large mu*
    def noise(point, rep):
        return (-1) ** rep * 5.0 * math.sin(3.7 * point + 1.0)

    runs = _synthetic_runs(sc, model, replications=4, noise=noise)
    table = sensitivity.analyse(runs, sc.swept, sc.design, ["total_loss"]).set_index(
        "parameter")
    assert set(table["method"]) == {"morris"}
    for path, c in coef.items():
        lo, hi = BOUNDS[path]
        # an elementary effect is the change over the whole range: |c| (hi - lo)
        assert table.loc[path, "mu_star"] == pytest.approx(abs(c) * (hi - lo), abs=1e-9)
        assert table.loc[path, "mu"] == pytest.approx(c * (hi - lo), abs=1e-9)
        assert table.loc[path, "sigma"] == pytest.approx(0, abs=1e-9)  # linear: no spread
    assert table.loc["trust.initial", "mu_star"] > table.loc["info.relay_hours", "mu_star"]
    assert table.loc["preparedness.activation_hours", "mu_star"] == pytest.approx(0, abs=1e-9)
    assert list(table.sort_values("rank").index) == [
        "trust.initial", "info.relay_hours", "preparedness.activation_hours"]
    lo, hi = table["mu_star_ci_low"], table["mu_star_ci_high"]
    assert ((lo <= table["mu_star"] + 1e-12) & (table["mu_star"] <= hi + 1e-12)).all()

    # the same model seen through one replication only is noisy: averaging is what helps
    single = sensitivity.analyse(runs[runs["replication"] == 0], sc.swept, sc.design,
                                 ["total_loss"]).set_index("parameter")
    assert single.loc["preparedness.activation_hours", "mu_star"] > 1.0


def test_morris_sees_interactions_in_sigma():
    sc = load(_scenario("morris", {"trajectories": 30}))
    runs = _synthetic_runs(sc, lambda p: p["info.relay_hours"] * p["trust.initial"], 1)
    table = sensitivity.analyse(runs, sc.swept, sc.design, ["total_loss"]).set_index(
        "parameter")
    assert table.loc["info.relay_hours", "sigma"] > 0.1 * table.loc["info.relay_hours",
                                                                     "mu_star"]
    assert table.loc["preparedness.activation_hours", "mu_star"] == pytest.approx(0, abs=1e-9)


def test_sobol_first_order_indices_of_an_additive_function_match_the_variance_shares():
    bounds = {"trust.initial": [0.0, 1.0], "learning.initial_cooperation": [0.0, 1.0],
              "responsibility.assist_share": [0.0, 1.0]}
    sc = load(_scenario("sobol", {"base_samples": 1024}, bounds), confirm_large=True)
    assert len(sc.points) == 1024 * (3 + 2)
    a, b = 1.0, 2.0  # Var(a U) = a^2 / 12: shares 1/5, 4/5, 0
    runs = _synthetic_runs(sc, lambda p: a * p["trust.initial"]
                           + b * p["learning.initial_cooperation"], 1)
    table = sensitivity.analyse(runs, sc.swept, sc.design, ["total_loss"]).set_index(
        "parameter")
    expected = {"trust.initial": 0.2, "learning.initial_cooperation": 0.8,
                "responsibility.assist_share": 0.0}
    for path, share in expected.items():
        assert table.loc[path, "S1"] == pytest.approx(share, abs=0.05), path
        assert table.loc[path, "ST"] == pytest.approx(share, abs=0.05), path  # additive
        assert table.loc[path, "S1_ci_low"] <= table.loc[path, "S1"] <= \
            table.loc[path, "S1_ci_high"]
    assert table.loc["learning.initial_cooperation", "rank"] == 1


def test_sobol_second_order_adds_one_row_per_pair():
    sc = load(_scenario("sobol", {"base_samples": 64, "second_order": True}))
    assert len(sc.points) == 64 * (2 * 3 + 2)
    runs = _synthetic_runs(sc, lambda p: p["info.relay_hours"] * p["trust.initial"], 1)
    table = sensitivity.analyse(runs, sc.swept, sc.design, ["total_loss"])
    pairs = table[table["S2"].notna()]
    assert len(pairs) == 3 and "info.relay_hours × trust.initial" in set(pairs["parameter"])


def test_grid_indices_are_the_exact_anova_of_a_full_factorial():
    sc = load({"name": "g", "regimes": ["coordinated"],
               "sweep": {"info.relay_hours": [1, 2, 3], "trust.initial": [0.2, 0.6]}})
    a, b = 2.0, 5.0
    runs = _synthetic_runs(sc, lambda p: a * p["info.relay_hours"] + b * p["trust.initial"], 3)
    table = sensitivity.analyse(runs, sc.swept, None, ["total_loss"]).set_index("parameter")
    v1, v2 = a**2 * np.var([1, 2, 3]), b**2 * np.var([0.2, 0.6])
    assert set(table["method"]) == {"grid"}
    assert table.loc["info.relay_hours", "S1"] == pytest.approx(v1 / (v1 + v2))
    assert table.loc["trust.initial", "ST"] == pytest.approx(v2 / (v1 + v2))
    # an interaction makes ST exceed S1
    inter = _synthetic_runs(sc, lambda p: p["info.relay_hours"] * p["trust.initial"], 3)
    t2 = sensitivity.analyse(inter, sc.swept, None, ["total_loss"])
    assert (t2["ST"] > t2["S1"] + 1e-6).all()


def test_a_sweep_that_is_neither_a_design_nor_a_grid_has_no_indices():
    sc = load(_scenario("lhs", {"samples": 5}))
    runs = _synthetic_runs(sc, lambda p: p["trust.initial"], 1)
    assert sensitivity.analyse(runs, sc.swept, sc.design).empty
    reason = sensitivity.unavailable(runs, sc.swept, sc.design)
    assert "morris or sobol sweep" in reason and "not a full grid" in reason
    sc = load(_scenario("morris", {"trajectories": 3}))
    missing = _synthetic_runs(sc, lambda p: 0, 1)
    with pytest.raises(ValueError, match="hold 11 of the design's 12 sample points"):
        sensitivity.analyse(missing[missing["point"] != 5], sc.swept, sc.design)


# --- the sample: sizes and reproducibility --------------------------------------------------
def test_samples_have_the_documented_size_and_come_from_the_root_seed():
    morris = load(_scenario("morris", {"trajectories": 5, "levels": 6}))
    assert len(morris.points) == 5 * (3 + 1)
    assert morris.design == {"method": "morris", "trajectories": 5, "levels": 6,
                             "bounds": BOUNDS, "seed": 0}
    assert morris.resolved()["design"] == morris.design
    assert morris.swept == list(BOUNDS)
    levels = np.linspace(0.5, 24, 6)
    for point in morris.points:  # every value is one of the 6 levels
        assert np.isclose(point["info.relay_hours"], levels).any()
    sobol = load(_scenario("sobol", {"base_samples": 8}))
    assert len(sobol.points) == 8 * (3 + 2)
    for kind, options in (("morris", {"trajectories": 4}), ("sobol", {"base_samples": 8})):
        a = load(_scenario(kind, options))
        assert load(_scenario(kind, options)).points == a.points  # reproducible
        assert load(_scenario(kind, options, seed=8)).points != a.points  # root seed
        assert load(_scenario(kind, {**options, "seed": 1})).points != a.points  # offset
        for point in a.points:
            for path, (lo, hi) in BOUNDS.items():
                assert lo <= point[path] <= hi
    grid = load({"name": "x", "sweep": {"trust.initial": [0.1, 0.2]}})
    assert grid.design is None and "design" not in grid.resolved()


def test_integer_parameters_are_rounded_to_distinct_levels():
    sc = load(_scenario("morris", {"trajectories": 4},
                        {"region.n_cities": [3, 9], "trust.initial": [0, 1]}))
    values = {p["region.n_cities"] for p in sc.points}
    assert values <= {3, 5, 7, 9} and all(isinstance(v, int) for v in values)


# --- errors ----------------------------------------------------------------------------------
ERRORS = [
    ("bounds-reversed",
     "  morris:\n    trajectories: 4\n    bounds:\n      info.relay_hours: [24, 0.5]\n",
     "{path}:8: sweep.morris.bounds.info.relay_hours: expected [low, high] with low < high, "
     "found [24, 0.5]"),
    ("bounds-outside-range",
     "  morris:\n    trajectories: 4\n    bounds:\n      trust.initial: [0, 2]\n",
     "sweep.morris.bounds.trust.initial: expected a number in [0, 1], found 2"),
    ("bounds-unknown-path",
     "  morris:\n    trajectories: 4\n    bounds:\n      info.relay_hour: [1, 2]\n",
     "{path}:8: sweep.morris.bounds.info.relay_hour: unknown parameter (did you mean "
     "'info.relay_hours'?)"),
    ("bounds-not-numeric",
     "  sobol:\n    base_samples: 8\n    bounds:\n      info.route: [0, 1]\n",
     "sweep.sobol.bounds.info.route: expected a numeric parameter"),
    ("sobol-not-a-power-of-two",
     "  sobol:\n    base_samples: 100\n    bounds: {trust.initial: [0, 1]}\n",
     "{path}:6: sweep.sobol.base_samples: expected a power of two >= 2 (a Sobol sequence is "
     "balanced only at powers of two), found 100; try 64 or 128"),
    ("sobol-base-samples-a-string",
     "  sobol:\n    base_samples: many\n    bounds: {trust.initial: [0, 1]}\n",
     "sweep.sobol.base_samples: expected a power of two >= 2"),
    ("sobol-second-order-not-a-bool",
     "  sobol:\n    base_samples: 8\n    second_order: 2\n    bounds: {trust.initial: [0, 1]}\n",
     "sweep.sobol.second_order: expected true or false, found 2"),
    ("morris-option-typo",
     "  morris:\n    trajectory: 4\n    bounds: {trust.initial: [0, 1]}\n",
     "{path}:6: sweep.morris.trajectory: unknown option (did you mean 'trajectories'?)"),
    ("morris-missing-trajectories", "  morris:\n    bounds: {trust.initial: [0, 1]}\n",
     "sweep.morris: expected {trajectories: r, levels: 4, bounds: {path: [low, high]}}"),
    ("morris-one-trajectory",
     "  morris:\n    trajectories: 1\n    bounds: {trust.initial: [0, 1]}\n",
     "sweep.morris.trajectories: expected an integer >= 2, found 1"),
    ("morris-odd-levels",
     "  morris:\n    trajectories: 4\n    levels: 5\n    bounds: {trust.initial: [0, 1]}\n",
     "sweep.morris.levels: expected an even number of levels (4, 6, 8, ...)"),
    ("morris-integer-range-too-narrow",
     "  morris:\n    trajectories: 4\n    bounds: {region.n_cities: [3, 5]}\n",
     "sweep.morris.bounds.region.n_cities: region.n_cities is an integer: its 4 levels round "
     "to the same value unless high - low >= 3"),
    ("morris-with-another-sweep",
     "  morris:\n    trajectories: 4\n    bounds: {trust.initial: [0, 1]}\n"
     "  factorial: {region.reach_hours: [12, 24]}\n",
     "sweep.morris: a morris sweep must be the study's only sweep"),
    ("sobol-kind-typo", "  sobl:\n    base_samples: 8\n",
     "sweep.sobl: unknown sweep kind (did you mean 'sobol'?)"),
    ("morris-larger-than-max-runs",
     "  morris:\n    trajectories: 1000\n    bounds: {trust.initial: [0, 1]}\nmax_runs: 100\n",
     "sweep.morris.trajectories: the sweep has 2,000 points, more than max_runs (100)"),
]


@pytest.mark.parametrize(("sweep", "expected"), [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_a_bad_sensitivity_sweep_is_refused_with_file_line_and_key_path(sweep, expected,
                                                                        tmp_path, capsys):
    path = tmp_path / "sa.yaml"
    path.write_text("name: sa\nparams: {region.n_cities: 4}\nreplications: 2\nsweep:\n"
                    + sweep, encoding="utf-8")
    expected = expected.replace("{path}", str(path))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert "Traceback" not in err
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet", "--no-charts"]) == 2
    assert expected in capsys.readouterr().err
    assert not out.exists()


def test_every_problem_of_a_sweep_is_reported_at_once():
    with pytest.raises(ScenarioError) as caught:
        load(_scenario("sobol", {"base_samples": 12, "second_order": "no"},
                       {"trust.initial": [1, 0], "info.relay_hour": [1, 2]}))
    text = str(caught.value)
    for part in ("base_samples", "second_order", "trust.initial", "did you mean"):
        assert part in text, text


# --- a real study, end to end ----------------------------------------------------------------
TINY = {
    "name": "tiny_morris", "seed": 3, "replications": 2, "regimes": ["coordinated"],
    "params": {"region.n_cities": 4, "time.horizon_days": 6},
    "sweep": {"morris": {"trajectories": 3, "bounds": {
        "info.relay_hours": [0.5, 24], "preparedness.activation_hours": [1, 24],
        "responsibility.external_weight": [0, 1]}}},
    "record": {"series": False},
    "charts": ["sensitivity", "regime_comparison"],
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return run_study(TINY, out=tmp_path_factory.mktemp("sa") / "tiny", langs=("en", "zh"))


def test_a_morris_study_runs_end_to_end_and_writes_its_table_and_chart(tiny):
    assert len(tiny.runs) == 3 * (3 + 1) * 2
    table = pd.read_csv(tiny.path / "sensitivity.csv")
    assert list(table.columns) == [*sensitivity.COMMON, *sensitivity.COLUMNS["morris"]]
    assert set(table["parameter"]) == set(TINY["sweep"]["morris"]["bounds"])
    assert {"total_loss", "spillover_loss"} <= set(table["outcome"])
    assert (table["n_points"] == 12).all() and (table["n_per_point"] == 2).all()
    loss = table[table["outcome"] == "total_loss"]
    assert sorted(loss["rank"]) == [1, 2, 3]
    assert (loss["mu_star"] >= 0).all()
    # the table on disk is the one the API computes
    again = sensitivity.of(tiny)
    pd.testing.assert_frame_equal(again.reset_index(drop=True),
                                  table.astype(again.dtypes.to_dict()), check_dtype=False)
    for stem in ("sensitivity", "sensitivity_zh"):
        for fmt in plots.FORMATS:
            assert (tiny.path / "figures" / f"{stem}.{fmt}").stat().st_size > 0
        with Image.open(tiny.path / "figures" / f"{stem}.png") as png:
            assert png.info["dpi"] == pytest.approx((300, 300), abs=0.5)
            assert 0.85 * plots.DOUBLE <= png.size[0] / 300 <= plots.DOUBLE + 0.02
    report = (tiny.path / "report.md").read_text(encoding="utf-8")
    assert "figures/sensitivity.png" in report


def test_the_chart_orders_parameters_by_mu_star_and_says_what_it_shows(tiny):
    table = sensitivity.of(tiny, ["total_loss"]).sort_values("rank")
    for lang in ("en", "zh"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fig = plots.render("sensitivity", tiny, lang)
            with plt.rc_context(plots.rc(lang)):
                fig.canvas.draw()
        names = [plots.param_name(p, lang) for p in table["parameter"]]
        assert names[0] != table["parameter"].iloc[0]  # in words, not the dotted path
        ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        glue = " " if lang == "en" else ""
        # most influential on top; the name may wrap, the range is the last line
        assert [glue.join(t.split("\n")[:-1]) for t in ticks] == names
        relay = ticks[list(table["parameter"]).index("info.relay_hours")]
        assert relay.split("\n")[-1] == ("0.5–24 (h)" if lang == "en" else "0.5–24（小时）")
        texts = " ".join(t.get_text() for t in fig.findobj(Text) if t.get_visible())
        assert "n = 2" in texts
        assert ("95% CI" if lang == "en" else "95%置信区间") in texts
        assert len(fig.axes) == 2  # total and spillover loss
        plt.close(fig)


def test_shards_and_workers_give_the_same_indices(tiny, tmp_path):
    shards = tmp_path / "shards"
    for i in range(2):
        run_study(TINY, out=shards, shard=(i, 2), charts=False)
    merge_results([shards], charts=False)
    a = pd.read_csv(tiny.path / "sensitivity.csv")
    b = pd.read_csv(shards / "sensitivity.csv")
    pd.testing.assert_frame_equal(a, b)


def test_resume_keeps_the_design_and_a_changed_design_is_refused(tiny, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(tiny.path, folder)
    res = run_study(TINY, out=folder, charts=False)  # nothing left to run
    assert res.manifest["scenario"]["design"]["trajectories"] == 3
    changed = yaml.safe_load(yaml.safe_dump(TINY))
    changed["sweep"]["morris"]["trajectories"] = 4
    from sim.runner import StudyConflict

    with pytest.raises(StudyConflict):
        run_study(changed, out=folder, charts=False)


def test_the_chart_says_why_it_cannot_be_drawn_for_a_study_without_indices(tiny):
    from types import SimpleNamespace

    manifest = {"scenario": {**tiny.manifest["scenario"], "swept": []}}
    manifest["scenario"].pop("design")
    bare = SimpleNamespace(runs=tiny.runs[tiny.runs["point"] == 0], series=None,
                           manifest=manifest, path=tiny.path / "bare", name="bare",
                           cities=None)
    with pytest.raises(plots.ChartError, match="needs a morris or sobol sweep"):
        plots.draw(bare, ["sensitivity"], "en")
    assert sensitivity.write(bare) == []


def test_the_shipped_scenarios_are_valid_and_their_sizes_are_as_documented():
    from tests.conftest import ROOT

    morris = load(ROOT / "scenarios" / "sensitivity.yaml")
    assert morris.design["method"] == "morris"
    assert 8 <= len(morris.design["bounds"]) <= 12
    assert morris.n_runs == 30 * (12 + 1) * 20 == 7800
    sobol = load(ROOT / "scenarios" / "sensitivity_sobol.yaml")
    assert sobol.design["method"] == "sobol"
    k = len(sobol.design["bounds"])
    assert sobol.n_runs == sobol.design["base_samples"] * (k + 2) * sobol.replications
    assert set(sobol.design["bounds"]) <= set(morris.design["bounds"])
    assert sobol.params == morris.params  # the same situation
