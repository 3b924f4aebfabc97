"""The chart catalogue on a small real study: every chart, both languages, no warnings, glyphs
in the font, units on the axes, n in the note, journal widths, and quiet or loud skipping."""

import re
import shutil
import warnings
from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.colors import to_hex
from matplotlib.image import AxesImage
from matplotlib.text import Text
from PIL import Image

from sim import bands, fonts, maps, plots
from sim.cli import main
from sim.metrics import OUTCOMES
from sim.model import ACCOUNTS as BURDEN_ACCOUNTS
from sim.params import BY_PATH
from sim.study import run_study

# Two regimes, two ablation variants, a 3 x 2 grid sweep and per-step series: every chart.
STUDY = {
    "name": "charts",
    "description": "chart test study",
    "seed": 5,
    "replications": 3,
    "regimes": ["territorial", "coordinated",
                {"name": "coordinated_no_platform", "regime": "coordinated",
                 "label": "Coordinated without platform", "label_zh": "无信息平台的综合协调",
                 "set": {"info.relay_hours": 24}},  # an ablation by its name
                {"name": "selfish_origin", "regime": "coordinated",
                 "label": "Coordinated, origin sizes control locally",
                 "label_zh": "综合协调（发生地只顾本地）",
                 # an ablation by its settings: one mechanism set to the baseline's value
                 "set": {"responsibility.external_weight": 0.0}}],
    "params": {"region.n_cities": 4, "time.horizon_days": 8},
    "sweep": {"region.reach_hours": [12, 24, 36], "hazard.magnitude": [50, 100]},
    "record": {"series": True, "cities": True},
    # scenario discovery over the grid (charts discovery_tradeoff, discovery_boxes, regret)
    "discovery": {"conditions": [
        {"name": "platform_matters", "regime": "coordinated_no_platform",
         "versus": "coordinated", "outcome": "total_loss", "holds": "higher"},
        {"name": "weak_cut", "regime": "coordinated", "outcome": "spillover_loss",
         "holds": "higher", "threshold": -0.5, "relative": True}], "mass_min": 0.1},
}
LANGS = ("en", "zh")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return run_study(STUDY, out=tmp_path_factory.mktemp("plots") / "charts", charts=False)


@pytest.fixture(scope="module")
def drawn(study):
    """Every chart in both languages, drawn with warnings turned into errors."""
    written = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for lang in LANGS:
            written[lang] = plots.draw(study, list(plots.CHART_NAMES), lang,
                                       formats=plots.ALL_FORMATS)
    return written


def _figure(study, name, lang, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plots.render(name, study, lang, **options)
        assert fig is not None, name
        with plt.rc_context(plots.rc(lang)):
            fig.canvas.draw()  # missing glyphs and layout problems warn at draw time
    return fig


def _texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def test_every_chart_is_written_as_pdf_and_300_dpi_png_and_svg_on_request(study, drawn):
    for lang in LANGS:
        names = {p.name for p in drawn[lang]}
        for chart in plots.CHART_NAMES:
            stem = chart if lang == "en" else f"{chart}_zh"
            assert {f"{stem}.pdf", f"{stem}.svg", f"{stem}.png"} <= names
            folder = study.path / "figures"
            assert (folder / f"{stem}.pdf").read_bytes().startswith(b"%PDF")
            assert b"<svg" in (folder / f"{stem}.svg").read_bytes()[:2000]
            with Image.open(folder / f"{stem}.png") as png:
                assert png.info["dpi"] == pytest.approx((300, 300), abs=0.5)


def test_figures_fit_a_journal_column(study, drawn):
    widths = {"tradeoff": plots.SINGLE}
    for lang in LANGS:
        for chart in plots.CHART_NAMES:
            stem = chart if lang == "en" else f"{chart}_zh"
            with Image.open(study.path / "figures" / f"{stem}.png") as png:
                inches = png.size[0] / 300
            column = widths.get(chart, plots.DOUBLE)
            assert 0.85 * column <= inches <= column + 0.02, (stem, inches)


@pytest.mark.parametrize("chart", plots.CHART_NAMES)
def test_chinese_text_is_translated_and_set_in_a_font_with_its_glyphs(study, chart):
    fig = _figure(study, chart, "zh")
    cjk = Path(fonts.cjk_font_path()).resolve()
    texts = _texts(fig)
    assert any(re.search(r"[\u4e00-\u9fff]", t.get_text()) for t in texts)
    for t in texts:
        text = t.get_text()
        assert fonts.font_covers(text), f"{chart}: no glyph for some of {text!r}"
        with plt.rc_context(plots.rc("zh")):  # the family list the figure was drawn with
            used = font_manager.findfont(t.get_fontproperties(), fallback_to_default=False)
        assert Path(str(used)).resolve() == cjk, text
        assert not re.findall(r"[A-Za-z]{2,}", text), f"{chart}: untranslated {text!r}"
    plt.close(fig)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("chart", plots.CHART_NAMES)
def test_every_chart_states_n_and_labels_its_axes_with_units(study, chart, lang):
    fig = _figure(study, chart, lang)
    texts = [t.get_text() for t in _texts(fig)]
    note = next(t for t in texts if "n = " in t)
    meaning = {"en": ("95% CI", "median", "mean"), "zh": ("95%置信区间", "中位数", "均值")}
    if chart.startswith("incident_"):  # one run per regime: no band to explain
        assert "n = 1" in note
    else:
        assert any(word in note for word in meaning[lang]), note
    open_paren = "(" if lang == "en" else "（"
    labels = [ax.get_xlabel() for ax in fig.axes] + [ax.get_ylabel() for ax in fig.axes]
    labels = [label for label in labels if label]
    assert labels
    unitless = {plots.param_label(p, lang) for p in STUDY["sweep"] if not BY_PATH[p].unit}
    unitless |= {plots.outcome_label(o, lang) for o, (unit, *_) in OUTCOMES.items() if not unit}
    for label in labels:
        if label.replace("\n", " ") not in unitless:
            assert open_paren in label, f"{chart}: no unit in {label!r}"
    plt.close(fig)


def test_the_same_regime_has_the_same_colour_in_every_chart(study):
    style = plots.Style(study.manifest["scenario"]["regimes"], "en")
    for chart in ("sweep_response", "timeseries", "tradeoff"):
        fig = _figure(study, chart, "en")
        (legend,) = fig.legends
        for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True):
            regime = next(r for r in style.order if style.label(r) == text.get_text())
            colour = to_hex(handle.get_color() if hasattr(handle, "get_color")
                            else handle[0].get_color())
            assert colour.lower() == style.of(regime)["color"].lower(), (chart, regime)
        plt.close(fig)


def test_heatmap_panels_share_one_colour_blind_safe_scale(study):
    fig = _figure(study, "heatmap", "en")
    images = [a for a in fig.findobj(AxesImage)]
    assert len(images) == len(STUDY["regimes"])
    assert len({(im.norm.vmin, im.norm.vmax) for im in images}) == 1
    assert {im.get_cmap().name for im in images} <= {"viridis", "cividis"}
    annotations = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert len(annotations) == len(images) * 3 * 2  # every cell annotated
    plt.close(fig)


def test_timeseries_shows_the_middle_sweep_point_and_says_so(study):
    fig = _figure(study, "timeseries", "en")
    note = next(t.get_text() for t in _texts(fig) if "n = " in t.get_text())
    flat = note.replace("\n", " ")
    assert "n = 3 runs per regime and sweep point" in flat
    point = ", ".join(plots.param_value(p, v, "en") for p, v in
                      (("region.reach_hours", 24.0), ("hazard.magnitude", 50.0)))
    assert f"{point} (the middle of 6)" in flat
    plt.close(fig)
    other = _figure(study, "timeseries", "en", point=0)
    assert "region reach = 12 h" in " ".join(t.get_text() for t in _texts(other))
    plt.close(other)


def test_timeseries_of_a_study_too_large_to_hold_says_how_its_bands_were_read(study,
                                                                             monkeypatch):
    """Past the memory budget the bands come from histograms (sim/bands.py) and the note says
    so; the median stays within one bin of the exact one."""
    exact = _figure(study, "timeseries", "en")
    monkeypatch.setattr(bands, "EXACT_VALUES", 10)
    for lang, words in (("en", "512-bin histograms per step"), ("zh", "512格直方图")):
        sketch = _figure(study, "timeseries", lang)
        assert words in " ".join(t.get_text() for t in _texts(sketch)).replace("\n", " ")
        if lang == "en":
            for a, b in zip(exact.axes, sketch.axes, strict=True):
                lo, hi = a.get_ylim()
                for line_a, line_b in zip(a.get_lines(), b.get_lines(), strict=True):
                    assert np.allclose(line_a.get_ydata(), line_b.get_ydata(),
                                       atol=(hi - lo) / 512)
        plt.close(sketch)
    assert "histogram" not in " ".join(t.get_text() for t in _texts(exact))
    plt.close(exact)


def _without(study, drop_series=False, drop_sweep=False, drop_costs=False, charts=None,
             name="stand-in"):
    """A stand-in results folder with some data taken away."""
    runs = study.runs
    manifest = {"scenario": dict(study.manifest["scenario"])}
    if drop_sweep:
        runs = runs[runs["point"] == 0].drop(columns=STUDY["sweep"].keys())
        manifest["scenario"]["swept"] = []
        manifest["scenario"].pop("discovery", None)  # discovery needs a sweep
    if drop_costs:
        runs = runs.drop(columns=[c for c in runs if c.endswith("_cost")])
    if charts is not None:
        manifest["scenario"]["charts"] = charts
    return SimpleNamespace(runs=runs, series=None if drop_series else study.series,
                           manifest=manifest, path=study.path / name, name=name,
                           cities=None)  # the stand-in folder records no per-city series


def test_charts_without_their_data_draw_nothing(study):
    bare = _without(study, drop_series=True, drop_sweep=True, drop_costs=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for chart in ("sweep_response", "timeseries", "heatmap", "tradeoff"):
            assert plots.render(chart, bare, "en") is None, chart
            assert plots.unavailable(chart, bare.runs, bare.series, []) is not None
        # the default list: what the data does not allow is skipped quietly
        written = plots.draw(bare, None, "en")
    assert {p.stem for p in written} == {"regime_comparison"}


def test_explicitly_requested_chart_that_cannot_be_drawn_says_why(study):
    one_param = _without(study, drop_sweep=True, name="one-param")
    with pytest.raises(plots.ChartError, match="two numeric parameters"):
        plots.draw(one_param, ["regime_comparison", "heatmap"], "en")
    assert not one_param.path.exists()  # refused before anything was written
    with pytest.raises(plots.ChartError, match=re.escape("record: {series: true}")):
        plots.draw(_without(study, drop_series=True), ["timeseries"], "en")
    with pytest.raises(plots.ChartError, match="unknown chart 'pie'"):
        plots.draw(study, ["pie"], "en")
    listed = _without(study, drop_sweep=True, charts=["regime_comparison", "heatmap"])
    with pytest.warns(plots.ChartSkipped, match="heatmap"):
        written = plots.draw(listed, None, "en")
    assert {p.stem for p in written} == {"regime_comparison"}


def test_tradeoff_adds_every_cost_outcome_unless_the_model_reports_the_total(study):
    runs = study.runs.drop(columns=[plots.TOTAL_COST], errors="ignore").assign(
        source_control_cost=0.25, assist_cost=0.1, transfer_cost=0.5)
    fake = SimpleNamespace(runs=runs, series=None, manifest=study.manifest, path=study.path,
                           name="x")
    # assistance is a part of source control, not added to it; other costs are
    assert plots.cost_columns(runs) == ["source_control_cost", "transfer_cost"]
    for lang in ("en", "zh"):
        words = " + ".join(plots.outcome_name(c, lang) for c in plots.cost_columns(runs))
        fig = _figure(fake, "tradeoff", lang)
        shown = "".join(t.get_text() for t in _texts(fig))
        assert re.sub(r"\s", "", words) in re.sub(r"\s", "", shown)
        xs = {round(float(x), 9) for x in fig.axes[0].collections[0].get_offsets()[:, 0]}
        assert xs == {0.75}
        plt.close(fig)
    total = runs.assign(**{plots.TOTAL_COST: 2.0})
    assert plots.cost_columns(total) == [plots.TOTAL_COST]  # a total is never added to parts


def test_wrap_never_cuts_a_word_nor_starts_a_line_with_closing_punctuation():
    text = "Coordinated, origin sizes control locally"
    assert plots.wrap(text, 5).split("\n") == ["Coordinated,", "origin", "sizes",
                                                "control", "locally"]
    zh = plots.wrap("综合协调（发生地只顾本地）", 5)
    assert all(not line.startswith(("）", "，")) for line in zh.split("\n"))
    assert zh.replace("\n", "") == "综合协调（发生地只顾本地）"
    assert plots.wrap("综合协调·协同共治·属地管理", 10).split("\n") == [
        "综合协调·协同共治·", "属地管理"]


def test_run_py_plot_reproduces_the_studys_figures(study, drawn, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(study.path, folder, ignore=shutil.ignore_patterns("figures"))
    # one language and two charts keep the test fast; the others go through the same code.
    # The study resumes (charts do not change its fingerprint): nothing to run again.
    res = run_study(dict(STUDY, charts=["regime_comparison", "timeseries"]), out=folder,
                    charts=True, langs=("zh",))
    figures = folder / "figures"
    made = sorted(p.name for p in figures.iterdir())
    assert made and len(made) == 2 * len(res.manifest["scenario"]["charts"])  # PNG, PDF
    shutil.rmtree(figures)
    assert main(["plot", str(folder), "--lang", "zh"]) == 0
    assert sorted(p.name for p in figures.iterdir()) == made


def test_a_chart_the_scenario_accepts_but_the_catalogue_lacks_is_skipped_not_fatal(
        study, monkeypatch):
    monkeypatch.setattr(plots, "_scenario_charts",
                        lambda: (*plots.CHART_NAMES, "future_chart"))
    with pytest.raises(plots.ChartError, match="not in the chart catalogue"):
        plots.draw(study, ["future_chart"], "en")
    listed = _without(study, charts=["regime_comparison", "future_chart"], name="listed")
    with pytest.warns(plots.ChartSkipped, match="future_chart"):
        written = plots.draw(listed, None, "en")
    assert {p.stem for p in written} == {"regime_comparison"}


# --- trust, burden and region map -------------------------------------------------------------
NEW_CHARTS = ("trust", "burden", "region_map")


def _at_middle_point(study):
    """The runs the one-situation charts show (the middle sweep point) with their accounts."""
    sel, chosen, _k = plots.at_point(study.runs, None)
    assert chosen == 2  # reach 24 h, magnitude 50 (plan order: reach varies slowest)
    return sel


def test_the_new_charts_are_in_the_catalogue_the_scenario_accepts():
    from sim.scenario import CHARTS

    assert set(NEW_CHARTS) <= set(CHARTS) == set(plots.CHART_NAMES)
    for lang in LANGS:
        assert all(plots.caption(name, lang) for name in NEW_CHARTS)


def test_trust_chart_shows_the_mean_final_matrix_per_regime_on_one_0_to_1_scale(study):
    sel = _at_middle_point(study)
    fig = _figure(study, "trust", "en")
    images = fig.findobj(AxesImage)
    regimes = plots.Style(study.manifest["scenario"]["regimes"], "en").order
    assert len(images) == len(regimes)
    for regime, image in zip(regimes, images, strict=True):
        assert image.get_cmap().name.startswith("cividis")
        assert (image.norm.vmin, image.norm.vmax) == (0.0, 1.0)
        shown = np.ma.filled(image.get_array(), np.nan)
        assert np.isnan(np.diag(shown)).all()  # a city's trust in itself is left blank
        ids = sel.loc[sel["regime"] == regime, "run_id"]
        expected = np.mean([study.trust_matrix(i) for i in ids], axis=0)
        off = ~np.eye(len(expected), dtype=bool)
        np.testing.assert_allclose(shown[off], expected[off], rtol=1e-12)
    # the time panel: one median line per regime, in the regime's colour
    style = plots.Style(study.manifest["scenario"]["regimes"], "en")
    lines = [ax for ax in fig.axes if ax.get_ylabel().startswith("Mean trust")]
    assert len(lines) == 1
    colours = [to_hex(line.get_color()) for line in lines[0].get_lines()]
    assert colours == [style.of(r)["color"].lower() for r in regimes]
    names = {t.get_text() for ax in fig.axes for t in ax.get_yticklabels()}
    assert "City 0" in names
    plt.close(fig)


def test_burden_chart_draws_each_citys_mean_net_burden_and_its_parts(study):
    # the chart knows how every account of the model enters the net burden
    assert set(BURDEN_ACCOUNTS) - {"net_burden"} == set(plots.BURDEN_SIGNS)
    sel = _at_middle_point(study)
    data = study.accounts.merge(sel[["run_id", "regime"]], on="run_id")
    fig = _figure(study, "burden", "en")
    style = plots.Style(study.manifest["scenario"]["regimes"], "en")
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert len(panels) == len(style.order)
    for regime, ax in zip(style.order, panels, strict=True):
        assert ax.get_title().startswith(style.label(regime).split()[0])
        assert "Gini" in ax.get_title()
        mine = data[data["regime"] == regime].groupby("city")
        (marker,) = [line for line in ax.get_lines() if line.get_marker() == "D"]
        np.testing.assert_allclose(marker.get_xdata(), mine["net_burden"].mean(), rtol=1e-12)
        # the bars right of zero (costs) and left of it (gains) add up to the net burden;
        # the loss is a cost, fund payouts a gain
        total, right = np.zeros(len(marker.get_xdata())), np.zeros(len(marker.get_xdata()))
        for bar in ax.patches:
            city = round(bar.get_y() + bar.get_height() / 2)
            total[city] += bar.get_width()
            right[city] += max(bar.get_width(), 0.0)
        np.testing.assert_allclose(total, mine["net_burden"].mean(), rtol=1e-9, atol=1e-12)
        assert (right >= mine["loss"].mean() - 1e-12).all()
        assert (right - total >= mine["fund_out"].mean() * (1 - 1e-9) - 1e-12).all()
    plt.close(fig)


def test_region_map_places_cities_colours_them_and_draws_rivers_and_flows(study):
    sel = _at_middle_point(study)
    data = study.accounts.merge(sel[["run_id", "regime"]], on="run_id")
    fig = _figure(study, "region_map", "en")
    style = plots.Style(study.manifest["scenario"]["regimes"], "en")
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == len(style.order)
    region = next(iter(study.regions.values()))
    flow = {}
    for regime in style.order:
        mine = data[data["regime"] == regime].groupby("city")
        flow[regime] = maps.compensation_flows(mine["fund_in"].mean(), mine["fund_out"].mean(),
                                               mine["bilateral"].mean())
    widest = max(f.max() for f in flow.values())
    for regime, ax in zip(style.order, panels, strict=True):
        (dots,) = ax.collections
        mine = data[data["regime"] == regime].groupby("city")
        np.testing.assert_allclose(dots.get_offsets()[:, 0], mine["lon"].mean())
        np.testing.assert_allclose(dots.get_array(), mine["net_burden"].mean(), rtol=1e-12)
        arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
        rivers = [a for a in arrows if to_hex(a.arrow_patch.get_edgecolor()) ==
                  maps.RIVER_COLOUR.lower()]
        assert len(rivers) == len(region["rivers"])
        big = (flow[regime] >= maps.MIN_FLOW_SHARE * widest).sum()
        assert len(arrows) - len(rivers) == min(big, maps.MAX_FLOWS)
    assert widest > 0  # some regime of the study pays compensation
    plt.close(fig)


def test_compensation_flows_send_each_net_payment_to_the_net_recipients():
    fund_in = np.array([1.0, 2.0, 0.5, 0.0])
    fund_out = np.array([4.0, 0.0, 0.5, 1.0])  # 2.0 of the 5.5 paid out came from outside
    flows = maps.compensation_flows(fund_in, fund_out)
    np.testing.assert_allclose(flows.sum(axis=1), [0.0, 2.0, 0.0, 0.0])  # city 1 pays 2
    receipts = np.array([3.0, 0.0, 0.0, 1.0])  # net of their own contributions
    np.testing.assert_allclose(flows.sum(axis=0), receipts * 2.0 / 4.0)
    assert np.diag(flows).sum() == 0
    assert not maps.compensation_flows(np.zeros(3), np.zeros(3)).any()
    # a bilateral transfer is a payment too: city 0 pays city 1 directly
    bilateral = maps.compensation_flows(np.zeros(2), np.zeros(2), np.array([1.5, -1.5]))
    np.testing.assert_allclose(bilateral, [[0.0, 1.5], [0.0, 0.0]])
    # a map draws the largest flows only
    many = np.arange(1.0, 21.0).reshape(4, 5)
    drawn = maps.drawn_flows(many, widest=20.0)
    assert len(drawn) == maps.MAX_FLOWS and drawn[0] == (3, 4)
    assert min(many[i, j] for i, j in drawn) == 20 - maps.MAX_FLOWS + 1


def test_timeseries_can_show_trust_cooperation_and_compensation(study):
    panels = ["cum_loss", "mean_trust", "cooperation", "compensation_paid"]
    for lang in LANGS:
        fig = _figure(study, "timeseries", lang, panels=panels)
        shown = [ax for ax in fig.axes if ax.get_visible()]
        assert len(shown) == len(panels)
        assert [ax.get_ylabel().replace("\n", " ") for ax in shown] == [
            plots.WORDS[lang][plots.SERIES_PANELS[p][2]] for p in panels]
        plt.close(fig)
    with pytest.raises(ValueError, match="unknown time-series panel 'trust'"):
        plots.render("timeseries", study, "en", panels=["trust"])


def test_a_folder_without_the_per_city_tables_draws_none_of_the_new_charts(study):
    old = SimpleNamespace(runs=study.runs, series=study.series, manifest=study.manifest,
                          path=study.path / "old", name="old", cities=None, accounts=None,
                          trust=None, regions=None)  # written by an older kuayu
    for chart, words in (("trust", "trust matrices"), ("burden", "per-city accounts"),
                         ("region_map", "per-city accounts")):
        assert plots.render(chart, old, "en") is None
        with pytest.raises(plots.ChartError, match=words):
            plots.draw(old, [chart], "en")
    assert not old.path.exists()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        written = plots.draw(old, None, "en")  # the default list skips them quietly
    assert not {p.stem for p in written} & set(NEW_CHARTS)


def test_run_py_plot_redraws_the_new_charts_from_the_results_folder(study, drawn, tmp_path):
    folder = tmp_path / "again"
    shutil.copytree(study.path, folder, ignore=shutil.ignore_patterns("figures"))
    argv = ["plot", str(folder), "--lang", "zh"]
    for chart in NEW_CHARTS:
        argv += ["--chart", chart]
    assert main(argv) == 0
    made = sorted(p.name for p in (folder / "figures").iterdir())
    assert made == sorted(f"{c}_zh.{f}" for c in NEW_CHARTS for f in plots.FORMATS)
    for chart in NEW_CHARTS:  # the same results give the same PDF, byte for byte
        assert (folder / "figures" / f"{chart}_zh.pdf").read_bytes() == \
            (study.path / "figures" / f"{chart}_zh.pdf").read_bytes()


def test_chart_options_in_the_scenario_choose_what_a_chart_shows(tmp_path):
    """A scenario's chart_options reach the chart: here trust and cooperation over time."""
    from sim.scenario import TIMESERIES_PANELS
    from sim.study import run_study

    assert set(TIMESERIES_PANELS) == set(plots.SERIES_PANELS)  # the validator knows them all
    res = run_study({"name": "opts", "regimes": ["territorial", "coordinated"],
                     "replications": 2, "params": {"time.horizon_days": 5},
                     "charts": ["timeseries"],
                     "chart_options": {"timeseries": {"panels": ["mean_trust", "cooperation"]}}},
                    out=tmp_path, quiet=True, langs=("en",))
    assert (res.path / "figures" / "timeseries.png").exists()
    written = res.plot(["timeseries"], "en", formats=("svg",))  # the options apply on redraw
    svg = written[0].read_text(encoding="utf-8")
    assert "Mean trust between cities" in svg and "Mean cooperation propensity" in svg
    assert "Cumulative loss" not in svg
    assert res.manifest["scenario"]["chart_options"] == {
        "timeseries": {"panels": ["mean_trust", "cooperation"]}}


def test_every_option_a_scenario_may_set_is_an_argument_of_its_chart():
    """chart_options are validated from sim.scenario.CHART_OPTIONS; each must reach a real
    keyword of the chart function, or a valid scenario would fail only when drawn."""
    import inspect

    from sim import discovery, maps, sensitivity
    from sim.scenario import CHART_OPTIONS

    functions = {"regime_comparison": plots.regime_comparison,
                 "sweep_response": plots.sweep_response, "timeseries": plots.timeseries,
                 "heatmap": plots.heatmap, "tradeoff": plots.tradeoff,
                 "incident_map": maps.incident_map, "incident_timeline": maps.incident_timeline,
                 "trust": plots.trust_chart, "burden": plots.burden,
                 "region_map": maps.region_map, "sensitivity": sensitivity.chart,
                 "discovery_tradeoff": discovery.tradeoff_chart,
                 "discovery_boxes": discovery.boxes_chart, "regret": discovery.regret_chart}
    assert set(functions) == set(CHART_OPTIONS) == set(plots.CHART_NAMES)
    for chart, options in CHART_OPTIONS.items():
        assert set(options) <= set(inspect.signature(functions[chart]).parameters), chart


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_png_and_pdf_are_cropped_to_the_same_box_and_laid_out_alike(tmp_path, lang):
    """save() lays a chart out once and crops every format to that box: the PDF's page is
    the PNG's size, and text that reaches past the axes (a note below) is inside both."""
    with plt.rc_context(plots.rc(lang)):
        fig, ax = plt.subplots(figsize=(plots.DOUBLE, 2.5), layout="constrained")
        ax.plot(np.arange(10))
        ax.set_title("属地管理" if lang == "zh" else "Territorial")
        plots.note(fig, "a note under the chart, " * 8)
    png, pdf = plots.save(fig, tmp_path, "box", lang)
    with Image.open(png) as image:
        width, height = (x * 72 / 300 for x in image.size)
    box = [float(x) for x in re.search(rb"/MediaBox \[([^\]]*)\]", pdf.read_bytes())
           .group(1).split()]
    assert abs(box[2] - width) < 0.5 and abs(box[3] - height) < 0.5
    assert height > 2.5 * 72  # the note below the figure is inside the box


def test_a_users_automatic_layout_setting_does_not_change_a_saved_chart(tmp_path):
    """save() freezes the chart's own layout; a matplotlibrc with figure.autolayout (or
    constrained_layout.use) must not put another layout engine back before the formats are
    written (it clipped titles and moved legends over the axes)."""
    def draw(folder):
        with plt.rc_context(plots.rc("en")):
            fig, ax = plt.subplots(figsize=(plots.DOUBLE, 2.5), layout="constrained")
            ax.plot(np.arange(10), label="a line")
            ax.set_title("Territorial")
            fig.legend(loc="outside upper center")
            plots.note(fig, "a note under the chart, " * 8)
        return plots.save(fig, folder, "auto", "en")[0]

    plain = np.asarray(Image.open(draw(tmp_path / "plain")))
    for key in ("figure.autolayout", "figure.constrained_layout.use"):
        with plt.rc_context({key: True}):
            other = np.asarray(Image.open(draw(tmp_path / key)))
        assert other.shape == plain.shape and (other == plain).all(), key


def test_a_callers_runtime_matplotlib_settings_do_not_change_a_chart(tmp_path):
    """Charts are drawn by this process and by worker processes alike (runner.share): a
    style or rcParams set at run time here (a notebook's plt.style.use) must not make the
    charts this process draws differ from those a fresh worker draws."""
    def draw(folder):
        with plt.rc_context(plots.rc("en")):
            fig, ax = plt.subplots(figsize=(plots.SINGLE, 2.2), layout="constrained")
            ax.plot(np.arange(10), np.arange(10) ** 0.5, label="a line")
            ax.set_title("Coordinated")
            ax.legend()
        return plots.save(fig, folder, "styled", "en")[0]

    plain = np.asarray(Image.open(draw(tmp_path / "plain")))
    with plt.style.context("ggplot"), plt.rc_context({"axes.facecolor": "red",
                                                       "lines.color": "green",
                                                       "font.size": 14}):
        styled = np.asarray(Image.open(draw(tmp_path / "styled")))
    assert styled.shape == plain.shape and (styled == plain).all()
