"""The chart catalogue. Charts read only a results folder, so they can be redrawn at will.

Publication defaults: Okabe-Ito colours (colour-blind safe) with a marker and line style per
regime so a chart reads in greyscale, the same regime in the same colour everywhere, a note
stating n and what the band means, and every figure saved as PDF, SVG and 300-dpi PNG in
English or Chinese (the Chinese font ships with the package, see sim.fonts).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim import fonts
from sim.analysis import mean_ci
from sim.metrics import OUTCOMES
from sim.params import BY_PATH

OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
             "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1)), (0, (1, 1)), "-")
UNIT_ZH = {"h": "小时", "d": "天", "t": "吨", "100 million CNY": "亿元", "t/step": "吨/步",
           "million": "百万人", "trillion CNY": "万亿元", "1/step": "每步"}
WORDS = {
    "en": {"regime": "Regime", "days": "Days since start", "n_note": "n = {n} runs per {what}; "
           "{band}", "band_ci": "band: 95% CI of the mean", "box_note": "box: quartiles; "
           "whiskers: 5-95%; dot and bar: mean and 95% CI",
           "ts_band": "line: median; bands: 50% and 90% of runs", "regime_point": "regime",
           "cum_loss": "Cumulative loss", "intensity": "Hazard intensity (sum over cities)",
           "warned": "Cities warned", "point": "regime and point"},
    "zh": {"regime": "治理模式", "days": "事件开始后天数", "n_note": "每个{what}n = {n}次运行；"
           "{band}", "band_ci": "阴影：均值的95%置信区间", "box_note": "箱体：四分位数；须线："
           "5%–95%；圆点与误差线：均值及其95%置信区间",
           "ts_band": "实线：中位数；阴影：50%与90%的运行", "regime_point": "治理模式",
           "cum_loss": "累计损失", "intensity": "风险强度（各城市之和）", "warned": "已预警城市数",
           "point": "治理模式与参数点"},
}
CHART_NAMES = ("regime_comparison", "sweep_response", "timeseries")
FORMATS = ("pdf", "svg", "png")


def outcome_label(name: str, lang: str) -> str:
    unit, _en, zh = OUTCOMES[name]
    if lang == "zh":
        return f"{zh}（{UNIT_ZH.get(unit, unit)}）" if unit else zh
    text = name.replace("_", " ").capitalize()
    return f"{text} ({unit})" if unit else text


def param_label(path: str, lang: str) -> str:
    p = BY_PATH.get(path)
    if p is None:
        return path
    if lang == "zh":
        return f"{p.zh}（{UNIT_ZH.get(p.unit, p.unit)}）" if p.unit else p.zh
    return f"{path} ({p.unit})" if p.unit else path


class Style:
    """Colours, markers and labels of the study's regimes, fixed by their order."""

    def __init__(self, regimes: list[dict], lang: str):
        self.lang = lang
        self.order = [r["name"] for r in regimes]
        self.labels = {r["name"]: (r["label_zh"] if lang == "zh" else r["label"])
                       for r in regimes}

    def of(self, regime: str) -> dict:
        k = self.order.index(regime) % len(OKABE_ITO)
        return {"color": OKABE_ITO[k], "marker": MARKERS[k], "linestyle": LINESTYLES[k]}

    def label(self, regime: str) -> str:
        return self.labels.get(regime, regime)

    def word(self, key: str) -> str:
        return WORDS[self.lang][key]


def rc(lang: str) -> dict:
    base = fonts.rc_for(lang)
    base.update({"font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "legend.fontsize": 7,
                 "xtick.labelsize": 7, "ytick.labelsize": 7, "axes.spines.top": False,
                 "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.25,
                 "grid.linewidth": 0.5, "lines.linewidth": 1.4, "savefig.bbox": "tight",
                 "savefig.dpi": 300, "figure.dpi": 100})
    return base


def note(fig, text: str) -> None:
    fig.text(0.01, -0.02, text, fontsize=6.5, color="#444444", ha="left", va="top")


def regime_comparison(runs: pd.DataFrame, style: Style, outcomes=None):
    """Box plot per regime of each outcome, with the mean and its 95% CI marked."""
    outcomes = outcomes or ["total_loss", "spillover_loss", "warning_lead_time"]
    outcomes = [o for o in outcomes if o in runs]
    fig, axes = plt.subplots(1, len(outcomes), figsize=(7.2, 2.6), squeeze=False)
    regimes = [r for r in style.order if r in set(runs["regime"])]
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        for k, regime in enumerate(regimes):
            v = runs.loc[runs["regime"] == regime, outcome].dropna().to_numpy(dtype=float)
            if not len(v):
                continue
            st = style.of(regime)
            ax.boxplot(v, positions=[k], widths=0.5, whis=(5, 95), showfliers=False,
                       patch_artist=True, boxprops={"facecolor": st["color"], "alpha": 0.25,
                                                    "edgecolor": st["color"]},
                       medianprops={"color": st["color"]},
                       whiskerprops={"color": st["color"]}, capprops={"color": st["color"]})
            m, lo, hi = mean_ci(v)
            ax.errorbar([k], [m], yerr=[[m - lo], [hi - m]] if np.isfinite(lo) else None,
                        fmt=st["marker"], color=st["color"], markersize=5, capsize=3,
                        markeredgecolor="black", markeredgewidth=0.5, zorder=3)
        ax.set_xticks(range(len(regimes)), [style.label(r) for r in regimes],
                      rotation=15 if len(regimes) > 2 else 0)
        ax.set_ylabel(outcome_label(outcome, style.lang))
        ax.grid(axis="x", visible=False)
    n = int(runs.groupby("regime").size().min())
    note(fig, style.word("n_note").format(n=n, what=style.word("regime_point"),
                                          band=style.word("box_note")))
    fig.tight_layout()
    return fig


def sweep_response(runs: pd.DataFrame, style: Style, swept: list[str], outcomes=None):
    """Outcome against the first swept parameter, one line per regime, band = 95% CI."""
    numeric = [p for p in swept if p in runs and pd.api.types.is_numeric_dtype(runs[p])]
    if not numeric:
        return None
    x = numeric[0]
    outcomes = outcomes or ["spillover_loss", "warning_lead_time"]
    outcomes = [o for o in outcomes if o in runs]
    fig, axes = plt.subplots(1, len(outcomes), figsize=(7.2, 2.8), squeeze=False)
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        for regime in [r for r in style.order if r in set(runs["regime"])]:
            frame = runs[runs["regime"] == regime]
            stats = [(xv, *mean_ci(g[outcome].to_numpy(dtype=float)))
                     for xv, g in frame.groupby(x)]
            if not stats:
                continue
            xs, m, lo, hi = (np.array(c, dtype=float) for c in zip(*stats, strict=True))
            st = style.of(regime)
            ax.plot(xs, m, label=style.label(regime), color=st["color"], marker=st["marker"],
                    linestyle=st["linestyle"], markersize=4)
            ax.fill_between(xs, lo, hi, color=st["color"], alpha=0.18, linewidth=0)
        ax.set_xlabel(param_label(x, style.lang))
        ax.set_ylabel(outcome_label(outcome, style.lang))
    axes[0][0].legend(title=style.word("regime"), frameon=False)
    n = int(runs.groupby(["regime", x]).size().min())
    note(fig, style.word("n_note").format(n=n, what=style.word("point"),
                                          band=style.word("band_ci")))
    fig.tight_layout()
    return fig


def timeseries(series: pd.DataFrame, runs: pd.DataFrame, style: Style):
    """Median and 50%/90% bands across runs of cumulative loss and cities warned over time."""
    if series is None or series.empty:
        return None
    data = series.merge(runs[["run_id", "regime"]], on="run_id")
    data = data.sort_values(["run_id", "step"])
    data["cum_loss"] = data.groupby("run_id")["loss_step"].cumsum()
    data["day"] = data["hour"] / 24.0
    panels = [("cum_loss", style.word("cum_loss") + ("（亿元）" if style.lang == "zh"
                                                     else " (100 million CNY)")),
              ("cities_warned", style.word("warned"))]
    fig, axes = plt.subplots(1, 2, figsize=(7.2, 2.8), squeeze=False)
    for ax, (col, label) in zip(axes[0], panels, strict=True):
        for regime in [r for r in style.order if r in set(data["regime"])]:
            wide = data[data["regime"] == regime].pivot(index="day", columns="run_id",
                                                        values=col)
            q = np.nanpercentile(wide.to_numpy(), [5, 25, 50, 75, 95], axis=1)
            st = style.of(regime)
            ax.fill_between(wide.index, q[0], q[4], color=st["color"], alpha=0.12, linewidth=0)
            ax.fill_between(wide.index, q[1], q[3], color=st["color"], alpha=0.25, linewidth=0)
            ax.plot(wide.index, q[2], color=st["color"], linestyle=st["linestyle"],
                    label=style.label(regime))
        ax.set_xlabel(style.word("days"))
        ax.set_ylabel(label)
    axes[0][0].legend(title=style.word("regime"), frameon=False)
    n = int(runs.groupby("regime").size().min())
    note(fig, style.word("n_note").format(n=n, what=style.word("regime_point"),
                                          band=style.word("ts_band")))
    fig.tight_layout()
    return fig


def draw(results, charts: list[str] | None = None, lang: str = "en",
         out_dir: Path | None = None) -> list[Path]:
    """Draw the study's charts into `<results>/figures/` (suffix _zh for Chinese)."""
    manifest = results.manifest["scenario"]
    style = Style(manifest["regimes"], lang)
    charts = charts or manifest.get("charts") or list(CHART_NAMES)
    out_dir = out_dir or results.path / "figures"
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with plt.rc_context(rc(lang)):
        for name in charts:
            if name == "regime_comparison":
                fig = regime_comparison(results.runs, style)
            elif name == "sweep_response":
                fig = sweep_response(results.runs, style, manifest.get("swept", []))
            elif name == "timeseries":
                fig = timeseries(results.series, results.runs, style)
            else:
                raise ValueError(f"unknown chart {name!r}; expected one of {CHART_NAMES}")
            if fig is None:
                continue
            stem = name if lang == "en" else f"{name}_{lang}"
            for fmt in FORMATS:
                path = out_dir / f"{stem}.{fmt}"
                fig.savefig(path)
                written.append(path)
            plt.close(fig)
    return written
