"""The chart catalogue. Charts read only a results folder, so they can be redrawn at will.

Publication defaults: Okabe-Ito colours (colour-blind safe) with a marker and line style per
regime so a chart reads in greyscale, the same regime in the same colour everywhere, a note
under every chart stating n and what the band or box means, axes labelled with units, every
figure one journal column (3.5 in) or two (7.2 in) wide and saved as 300-dpi PNG and PDF (SVG
on request),
in English or Chinese (the Chinese font ships with the package, see sim.fonts).

A chart whose data is absent (no sweep, no series, no cost outcome) is not drawn: each chart
function returns None, and `unavailable()` says why. `draw()` skips such charts quietly when
they come from the default list, and refuses with a ChartError naming the reason when they
were asked for by name. The catalogue is described in docs/charts.md.
"""

from __future__ import annotations

import functools
import math
import unicodedata
import warnings
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator

from sim import bands, chunks, fonts, maps
from sim.analysis import mean_ci
from sim.chunks import Chunks
from sim.metrics import OUTCOMES
from sim.params import BY_PATH
from sim.scenario import CHARTS

_MPL = tuple(int(p) for p in matplotlib.__version__.split(".")[:2])
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
             "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1)), (0, (1, 1)), "-")
UNIT_ZH = {"h": "小时", "d": "天", "t": "吨", "100 million CNY": "亿元", "t/step": "吨/步",
           "million": "百万人", "trillion CNY": "万亿元", "1/step": "每步", "km": "千米"}
TOTAL_COST = "coordination_cost"  # the model's own total, when it reports one
SINGLE, DOUBLE = 3.5, 7.2  # journal column widths, inches
SEQUENTIAL_CMAP = "cividis"  # colour-blind safe and monotone in lightness
NOTE_SIZE = 6.5
MAX_GRID_VALUES = 15  # a heat map needs a grid sweep, not a cloud of sampled points
WORDS = {
    "en": {
        "regime": "Regime", "sep": "; ",
        "time": "Time since model start (d)",
        "cum_loss": "Cumulative loss (100 million CNY)",
        "warned": "Warnings received, cumulative (cities × incidents)",
        "cost": "Coordination cost (100 million CNY)",
        "n_regime": "n = {n} runs per regime",
        "n_point": "n = {n} runs per regime and sweep point",
        "n_plotted": "n = {n} runs per plotted point",
        "pooled": "pooled over {k} sweep points",
        "averaged": "averaged over {what}",
        "box": "box: quartiles; whiskers: 5-95%; dot and bar: mean and 95% CI",
        "band_ci": "band: 95% CI of the mean",
        "ts_band": "line: median; bands: middle 50%/90% of runs",
        "ts_sketch": "quantiles read from {bins}-bin histograms per step (within {error:.2g}% "
                     "of the step's range across runs)",
        "at_point": "sweep point {desc} (the middle of {k})",
        "at_chosen": "sweep point {desc}",
        "cell": "cell: mean of n = {n} runs per regime and point",
        "cost_is": "cost = {cols}",
        "cross": "dots: single runs; cross: mean and 95% CI of both",
        "plus": " + ",
    },
    "zh": {
        "regime": "治理模式", "sep": "；",
        "time": "模拟时间（天）",
        "cum_loss": "累计损失（亿元）",
        "warned": "累计收到预警次数（城市×事件）",
        "cost": "协同成本（亿元）",
        "n_regime": "每种治理模式 n = {n} 次运行",
        "n_point": "每种治理模式、每个参数点 n = {n} 次运行",
        "n_plotted": "每个数据点 n = {n} 次运行",
        "pooled": "合并{k}个参数点",
        "averaged": "对{what}取平均",
        "box": "箱体：四分位数；须线：5%–95%；圆点与误差线：均值及其95%置信区间",
        "band_ci": "阴影：均值的95%置信区间",
        "ts_band": "实线：中位数；阴影：居中50%/90%的运行",
        "ts_sketch": "分位数按每步{bins}格直方图估算"
                     "（误差不超过该步各次运行取值范围的{error:.2g}%）",
        "at_point": "参数点 {desc}（{k}个参数点的中间一个）",
        "at_chosen": "参数点 {desc}",
        "cell": "格内数值：每种治理模式、每个参数点 n = {n} 次运行的均值",
        "cost_is": "成本 = {cols}",
        "cross": "散点：单次运行；十字：两者的均值及其95%置信区间",
        "plus": " + ",
    },
}
# words of the trust, burden and region-map charts
WORDS["en"].update({
    "trust_axis": "Mean trust between cities (0–1)",
    "cooperation_axis": "Mean cooperation propensity (0–1)",
    "compensation_axis": "Compensation paid, cumulative (100 million CNY)",
    "truster": "Trusting city (row)", "trusted": "Trusted city (column)",
    "trust_bar": "Trust at the end of the run (0–1)",
    "trust_note": "matrices: mean over n = {n} runs per regime of the trust of the row city "
                  "in the column city at the end of the run (diagonal, a city's trust in "
                  "itself, left blank)",
    "trust_no_series": "mean trust over time not shown: it needs record: {series: true}",
    "amount": "Amount (100 million CNY)",
    "loss": "Loss", "source_control_cost": "Source control",
    "assist_cost": "Assistance to the origin", "fund_in": "Fund contributions",
    "sanctions": "Sanctions", "fund_out": "Fund payouts received",
    "evaluation": "Assessment rewards and penalties",
    "bilateral": "Bilateral (Xin'an) transfers",
    "net_burden": "Net burden",
    "gini": "Gini {m:.2f} [{lo:.2f}, {hi:.2f}]",
    "burden_note": "bars: mean over n = {n} runs per regime of what each city lost or paid "
                   "(right of 0) and what it received (left of 0); diamond: net burden, the "
                   "bars right of 0 minus those left of 0; Gini: mean and 95% CI over runs "
                   "of the Gini of net burden per capita across cities (CI cut to [0, 1])",
    "gini1": "Gini {m:.2f}",
    "outside": "fund payouts paid from outside the region (no city's cost), mean per run in "
               "100 million CNY: {items}",
})
WORDS["zh"].update({
    "trust_axis": "城市间平均信任（0–1）",
    "cooperation_axis": "平均履责倾向（0–1）",
    "compensation_axis": "累计补偿支出（亿元）",
    "truster": "信任方城市（行）", "trusted": "被信任城市（列）",
    "trust_bar": "运行结束时的信任度（0–1）",
    "trust_note": "矩阵：每种治理模式 n = {n} 次运行结束时行城市对列城市信任度的均值"
                  "（对角线即城市对自身的信任，留空）",
    "trust_no_series": "未绘平均信任随时间的变化：需在情景文件中记录逐步序列",
    "amount": "金额（亿元）",
    "loss": "损失", "source_control_cost": "源头控制成本",
    "assist_cost": "协助发生地成本", "fund_in": "补偿基金缴费",
    "sanctions": "问责处罚", "fund_out": "获得的基金补偿",
    "evaluation": "考核奖惩",
    "bilateral": "横向生态补偿（新安江模式）",
    "net_burden": "净负担",
    "gini": "基尼系数 {m:.2f} [{lo:.2f}, {hi:.2f}]",
    "burden_note": "条形：每种治理模式 n = {n} 次运行的均值，0右侧为各城市的损失与支出，"
                   "0左侧为其所获收入；菱形：净负担，即0右侧各项之和减去0左侧各项之和；"
                   "基尼系数：各次运行人均净负担基尼系数的均值及其95%置信区间（截取在[0, 1]内）",
    "gini1": "基尼系数 {m:.2f}",
    "outside": "来自区域外部的基金补偿（不计入任何城市的成本），每次运行均值（亿元）：{items}",
})
CHART_NAMES = CHARTS  # one catalogue: sim.scenario validates the names users write
FORMATS = ("png", "pdf")  # the default; "svg" on request (draw(formats=...), plot --svg)
ALL_FORMATS = ("png", "pdf", "svg")


class ChartError(ValueError):
    """An unknown chart name, or a chart asked for by name that this study cannot draw."""


class ChartSkipped(UserWarning):
    """A chart listed in the scenario file was not drawn (the message says why)."""


# --- labels -----------------------------------------------------------------------------------
def outcome_label(name: str, lang: str) -> str:
    unit, _en, zh = OUTCOMES.get(name, ("", "", name))
    if name not in OUTCOMES and name.endswith(("_cost", "_paid")):
        unit = "100 million CNY"
    if lang == "zh":
        return f"{zh}（{UNIT_ZH.get(unit, unit)}）" if unit else zh
    text = name.replace("_", " ").capitalize()
    return f"{text} ({unit})" if unit else text


def outcome_name(name: str, lang: str) -> str:
    """The outcome's name without its unit."""
    if lang == "zh":
        return OUTCOMES[name][2] if name in OUTCOMES else name
    return name.replace("_", " ")


_UNIT_WORDS = {"h": ("hours", "hour"), "d": ("days", "day"), "km": ("km",)}


def param_name(path: str, lang: str) -> str:
    """A swept setting in words: 'compensation payout share' for compensation.payout_share
    (the unit word dropped when the unit is said), its Chinese term in Chinese."""
    p = BY_PATH.get(path)
    if lang == "zh" and p is not None and p.zh:
        return p.zh
    words = [w for w in path.replace(".", " ").replace("_", " ").split()]
    if p is not None and len(words) > 2 and words[-1] in _UNIT_WORDS.get(p.unit, ()):
        words = words[:-1]
    return " ".join(words)


def param_label(path: str, lang: str) -> str:
    """Axis label of a swept setting: 'Region reach (h)', '河段传播时间（小时）'."""
    p = BY_PATH.get(path)
    name = param_name(path, lang)
    unit = p.unit if p is not None else ""
    if lang == "zh":
        return f"{name}（{UNIT_ZH.get(unit, unit)}）" if unit else name
    name = name[:1].upper() + name[1:]
    return f"{name} ({unit})" if unit else name


def param_value(path: str, value: Any, lang: str) -> str:
    """'region reach = 24 h' (or its Chinese form)."""
    p = BY_PATH.get(path)
    name = param_name(path, lang)
    unit = p.unit if p is not None else ""
    if lang == "zh":
        unit = UNIT_ZH.get(unit, unit)
    shown = f"{value:g}" if isinstance(value, int | float | np.number) else str(value)
    return f"{name} = {shown}{' ' + unit if unit else ''}"


def _em(ch: str) -> float:
    """Rough advance width of a character in ems (CJK: 1, Latin: about 0.6)."""
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.6


def text_width_em(text: str) -> float:
    return sum(_em(c) for c in text)


_BREAK_AFTER = " ·；，、/"
_NO_LINE_START = "）》」』】，。、；：！？)]},.;:!?%"
_NO_LINE_END = "（《「『【([{"


def _units(text: str, limit: float, measure) -> list[str]:
    """Pieces of `text` that a line may end after: words ending at a space or CJK punctuation;
    a CJK phrase too wide for a line is cut into characters (never a Latin word), keeping
    closing punctuation off the start of a line and opening punctuation off its end."""
    words, cur = [], ""
    for ch in text:
        cur += ch
        if ch in _BREAK_AFTER:
            words.append(cur)
            cur = ""
    if cur:
        words.append(cur)
    units: list[str] = []
    for word in words:
        if measure(word.rstrip()) <= limit or not any(_em(c) == 1.0 for c in word):
            units.append(word)
            continue
        piece = ""
        for ch in word:
            if _em(ch) == 1.0 and piece and ch not in _NO_LINE_START \
                    and piece[-1] not in _NO_LINE_END and _em(piece[-1]) == 1.0:
                units.append(piece)
                piece = ""
            piece += ch
        units.append(piece)
    return units


def wrap(text: str, limit: float, measure=text_width_em) -> str:
    """Break `text` into lines no wider than `limit` (in the unit of `measure`, by default
    ems): at spaces and after CJK punctuation and '·', inside a run of CJK characters when it
    must; a Latin word is never cut."""
    if measure(text) <= limit:
        return text
    lines, line = [], ""
    for unit in _units(text, limit, measure):
        if line and measure((line + unit).rstrip()) > limit:
            lines.append(line.rstrip())
            line = unit.lstrip()
        else:
            line += unit
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)


def measure_in(fig, size: float):
    """Width in points of a string set in the current font at `size` points."""
    renderer = fig.canvas.get_renderer()
    prop = FontProperties(size=size)

    def width(text: str) -> float:
        w, _h, _d = renderer.get_text_width_height_descent(text, prop, ismath=False)
        return w * 72 / fig.dpi

    return width


class Style:
    """Colours, markers and labels of the study's regimes, fixed by their order."""

    def __init__(self, regimes: list[dict], lang: str):
        if lang not in WORDS:
            raise ValueError(f"unknown language {lang!r}: expected 'en' or 'zh'")
        self.lang = lang
        self.order = [r["name"] for r in regimes]
        self.labels = {r["name"]: (r.get("label_zh") or r.get("label") or r["name"])
                       if lang == "zh" else (r.get("label") or r["name"]) for r in regimes}

    def of(self, regime: str) -> dict:
        k = self.order.index(regime) % len(OKABE_ITO)
        return {"color": OKABE_ITO[k], "marker": MARKERS[k], "linestyle": LINESTYLES[k]}

    def label(self, regime: str) -> str:
        return self.labels.get(regime, regime)

    def word(self, key: str) -> str:
        return WORDS[self.lang][key]

    def present(self, frame: pd.DataFrame) -> list[str]:
        """The study's regimes that have rows in `frame`, in the study's order."""
        have = set(frame["regime"])
        return [r for r in self.order if r in have]

    def join(self, parts: list[str]) -> str:
        return self.word("sep").join(p for p in parts if p)


# Settings of a process, not of a chart: left as the caller has them.
_PROCESS_KEYS = ("backend", "interactive", "toolbar", "webagg.", "tk.", "macosx.",
                 "figure.raise_window")


@functools.cache
def _file_defaults() -> dict:
    """Matplotlib's settings as a new process reads them (its defaults and any matplotlibrc):
    every chart starts from them, so what a caller changed at run time (plt.style.use or
    rcParams in a notebook) cannot make a chart drawn in this process differ from the same
    chart drawn by a worker process."""
    return {k: v for k, v in matplotlib.rc_params().items() if not k.startswith(_PROCESS_KEYS)}


def rc(lang: str) -> dict:
    """The settings every chart is drawn with, in English ("en") or Chinese ("zh")."""
    base = {**_file_defaults(), **fonts.rc_for(lang)}
    base.update({"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 7,
                 "xtick.labelsize": 7, "ytick.labelsize": 7, "axes.spines.top": False,
                 "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.25,
                 "grid.linewidth": 0.5, "lines.linewidth": 1.4, "savefig.bbox": "tight",
                 "savefig.pad_inches": 0.03, "savefig.dpi": 300, "figure.dpi": 100,
                 "legend.frameon": False,
                 # each chart chooses its layout; save() freezes it (no engine after that)
                 "figure.autolayout": False, "figure.constrained_layout.use": False})
    return base


def note(fig, text: str) -> None:
    """The line(s) under a chart that say what is shown and how many runs it rests on."""
    limit = 0.98 * fig.get_figwidth() * 72
    fig.text(0.005, -0.01, wrap(text, limit, measure_in(fig, NOTE_SIZE)), fontsize=NOTE_SIZE,
             color="#333333", ha="left", va="top", linespacing=1.3)


def legend_on_top(fig, style: Style, regimes: list[str], handles: dict) -> None:
    """One legend above the panels (never over the data), as many columns as fit."""
    entries_on_top(fig, [handles[r] for r in regimes], [style.label(r) for r in regimes])


def entries_on_top(fig, handles: list, labels: list[str], figure=None, **kwargs) -> None:
    """A legend of `handles` above the panels of `fig` (a figure or subfigure; `figure` is
    the whole figure when `fig` is a subfigure), as many columns as fit; `kwargs` go to
    Figure.legend."""
    width = measure_in(figure or fig, 7)
    # an entry is its text plus about 4.5 ems of handle and spacing
    entries = [width(s) + 4.5 * 7 for s in labels]
    limit = 0.97 * (figure or fig).get_figwidth() * 72
    ncol = len(labels)
    while ncol > 1 and any(sum(entries[i:i + ncol]) > limit
                           for i in range(0, len(entries), ncol)):
        ncol -= 1
    ncol = math.ceil(len(labels) / math.ceil(len(labels) / ncol))  # balance the rows
    fig.legend(handles, labels, loc="outside upper center", ncol=ncol, handlelength=2.2,
               columnspacing=1.5, **kwargs)


def _n_text(style: Style, counts: pd.Series, per_point: bool, n_points: int) -> str:
    n = _range(counts)
    if per_point:
        return style.word("n_point").format(n=n)
    text = style.word("n_regime").format(n=n)
    if n_points > 1:
        text += (", " if style.lang == "en" else "，") + style.word("pooled").format(k=n_points)
    return text


def _points(runs: pd.DataFrame) -> int:
    return int(runs["point"].nunique()) if "point" in runs else 1


def numeric_swept(runs: pd.DataFrame, swept: list[str]) -> list[str]:
    """Swept parameters that are numbers and take more than one value."""
    return [p for p in swept if p in runs and pd.api.types.is_numeric_dtype(runs[p])
            and runs[p].nunique() > 1]


# Outcomes that are parts of source_control_cost (who paid it) or include the loss: never
# added to it.
COST_PARTS = ("assist_cost", "central_cost", "social_cost")


def cost_columns(runs: pd.DataFrame) -> list[str]:
    """The per-run cost outcomes the trade-off chart adds up: `coordination_cost` alone when
    the model reports that total; otherwise source_control_cost and every other '*_cost'
    outcome column that is not one of its parts (COST_PARTS)."""
    if TOTAL_COST in runs.columns and pd.api.types.is_numeric_dtype(runs[TOTAL_COST]):
        return [TOTAL_COST]
    cols = [c for c in runs.columns if c.endswith("_cost") and "." not in c
            and c not in COST_PARTS and pd.api.types.is_numeric_dtype(runs[c])]
    return sorted(cols, key=lambda c: (c != "source_control_cost", c))


# --- the charts -------------------------------------------------------------------------------
def _hbox(ax, values, position: float, st: dict) -> None:
    """A horizontal box (quartiles, 5-95% whiskers) in the regime's colour."""
    kw = ({"orientation": "horizontal"} if _MPL >= (3, 10) else {"vert": False})
    ax.boxplot(values, positions=[position], widths=0.55, whis=(5, 95), showfliers=False,
               patch_artist=True, **kw,
               boxprops={"facecolor": st["color"], "alpha": 0.25, "edgecolor": st["color"]},
               medianprops={"color": st["color"]},
               whiskerprops={"color": st["color"], "linewidth": 0.9},
               capprops={"color": st["color"], "linewidth": 0.9})


def regime_comparison(runs: pd.DataFrame, style: Style, outcomes=None):
    """Horizontal box plot per regime of each outcome, with the mean and its 95% CI marked.
    Regimes run down the page in the study's order, named once on the left."""
    outcomes = outcomes or ["total_loss", "spillover_loss", "warning_lead_time"]
    outcomes = [o for o in outcomes if o in runs]
    regimes = style.present(runs)
    if not outcomes or not regimes:
        return None
    fig, axes = plt.subplots(1, len(outcomes), figsize=(DOUBLE, max(2.0, 0.9 + 0.34 *
                                                                    len(regimes))),
                             squeeze=False, sharey=True, layout="constrained")
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        for k, regime in enumerate(regimes):
            v = runs.loc[runs["regime"] == regime, outcome].dropna().to_numpy(dtype=float)
            if not len(v):
                continue
            st = style.of(regime)
            _hbox(ax, v, k, st)
            m, lo, hi = mean_ci(v)
            ax.errorbar([m], [k], xerr=[[m - lo], [hi - m]] if np.isfinite(lo) else None,
                        fmt=st["marker"], color=st["color"], ecolor="black", elinewidth=1.1,
                        markersize=5, capsize=2.5, markeredgecolor="black",
                        markeredgewidth=0.5, zorder=3)
        ax.set_xlabel(wrap(outcome_label(outcome, style.lang), DOUBLE / len(outcomes) * 72,
                           measure_in(fig, 8)))
        ax.grid(axis="y", visible=False)
    width = measure_in(fig, 7)
    axes[0][0].set_yticks(range(len(regimes)),
                          [wrap(style.label(r), 1.1 * 72, width) for r in regimes])
    axes[0][0].set_ylim(len(regimes) - 0.5, -0.5)  # first regime on top
    counts = runs.groupby("regime").size()
    note(fig, style.join([_n_text(style, counts, False, _points(runs)), style.word("box")]))
    return fig


def sweep_response(runs: pd.DataFrame, style: Style, swept: list[str], outcomes=None,
                   x: str | None = None):
    """Outcome against a swept parameter, one line per regime, band = 95% CI."""
    numeric = numeric_swept(runs, swept)
    if not numeric or (x is not None and x not in numeric):
        return None
    x = x or numeric[0]
    outcomes = outcomes or ["spillover_loss", "warning_lead_time"]
    outcomes = [o for o in outcomes if o in runs]
    regimes = style.present(runs)
    if not outcomes:
        return None
    fig, axes = plt.subplots(1, len(outcomes), figsize=(DOUBLE, 2.7), squeeze=False,
                             layout="constrained")
    handles = {}
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        for regime in regimes:
            frame = runs[runs["regime"] == regime]
            stats = [(xv, *mean_ci(g[outcome].to_numpy(dtype=float)))
                     for xv, g in frame.groupby(x)]
            xs, m, lo, hi = (np.array(c, dtype=float) for c in zip(*stats, strict=True))
            st = style.of(regime)
            (handles[regime],) = ax.plot(xs, m, color=st["color"], marker=st["marker"],
                                         linestyle=st["linestyle"], markersize=4)
            ok = np.isfinite(lo)
            ax.fill_between(xs[ok], lo[ok], hi[ok], color=st["color"], alpha=0.18, linewidth=0)
        ax.set_xlabel(param_label(x, style.lang))
        ax.set_ylabel(outcome_label(outcome, style.lang))
    legend_on_top(fig, style, regimes, handles)
    parts = [style.word("n_plotted").format(n=_range(runs.groupby(["regime", x]).size()))]
    others = [p for p in numeric if p != x]
    if others:
        sep = ", " if style.lang == "en" else "、"
        parts.append(style.word("averaged").format(
            what=sep.join(param_name(p, style.lang) for p in others)))
    parts.append(style.word("band_ci"))
    note(fig, style.join(parts))
    return fig


def _middle_point(runs: pd.DataFrame, point: int | None) -> tuple[int | None, int]:
    """The sweep point a time-series chart shows and the words that say which."""
    if "point" not in runs or runs["point"].nunique() <= 1:
        return None, 1
    ids = sorted(runs["point"].unique())
    chosen = ids[(len(ids) - 1) // 2] if point is None else point
    return (chosen, len(ids)) if chosen in ids else (None, len(ids))


# per-step series a time-series panel can show: column, how to read it, y label key
SERIES_PANELS = {
    "cum_loss": ("loss_step", "cumsum", "cum_loss"),
    # new warnings added up: the number of cities warned at a time drops to 0 whenever no
    # incident is live, which makes bands across runs unreadable over a long horizon
    "cities_warned": ("cities_warned", "increments", "warned"),
    "mean_trust": ("mean_trust", "value", "trust_axis"),
    "cooperation": ("cooperation", "value", "cooperation_axis"),
    "compensation_paid": ("compensation_paid", "value", "compensation_axis"),
}
DEFAULT_SERIES_PANELS = ("cum_loss", "cities_warned")


def at_point(runs: pd.DataFrame, point: int | None
             ) -> tuple[pd.DataFrame, int | None, int] | None:
    """The runs a one-situation chart shows: those of one sweep point (the middle one in plan
    order unless `point` names another), that point (None without a sweep) and the number of
    points; None when `point` names no point of the study."""
    chosen, k = _middle_point(runs, point)
    if point is not None and chosen is None:
        return None
    return (runs if chosen is None else runs[runs["point"] == chosen]), chosen, k


def point_words(style: Style, sel: pd.DataFrame, swept: list[str] | None, chosen: int | None,
                point: int | None, k: int) -> str:
    """'sweep point region.reach_hours = 24 h (the middle of 4)', or '' without a sweep."""
    if chosen is None:
        return ""
    values = sel.iloc[0]
    desc = (", " if style.lang == "en" else "，").join(
        param_value(p, values[p], style.lang) for p in (swept or []) if p in sel)
    return style.word("at_point" if point is None else "at_chosen").format(desc=desc, k=k)


def band_lines(ax, found: bands.Bands, panel: str, regimes: list[str], style: Style) -> dict:
    """Median line and 50%/90% bands across runs of `panel` against the day, per regime;
    returns the line of each regime (for the legend)."""
    handles = {}
    for regime in regimes:
        if (regime, panel) not in found.q:
            continue
        q = found.q[(regime, panel)]
        st = style.of(regime)
        ax.fill_between(found.day, q[0], q[4], color=st["color"], alpha=0.12, linewidth=0)
        ax.fill_between(found.day, q[1], q[3], color=st["color"], alpha=0.25, linewidth=0)
        (handles[regime],) = ax.plot(found.day, q[2], color=st["color"],
                                     linestyle=st["linestyle"])
    ax.set_xlabel(style.word("time"))
    ax.set_xlim(0, float(np.nanmax(found.day)))
    return handles


def series_bands(series, sel: pd.DataFrame, panels) -> bands.Bands | None:
    """The quantile bands of `panels` across the runs in `sel`, per regime, read chunk by chunk
    from `series` (a DataFrame or a Chunks)."""
    return bands.series_bands(series, sel.set_index("run_id")["regime"],
                              {name: SERIES_PANELS[name][:2] for name in panels})


def _band_note(style: Style, found: bands.Bands) -> str:
    """'line: median; bands: ...', and how the quantiles were read when not exactly."""
    text = style.word("ts_band")
    if not found.exact:
        text += (", " if style.lang == "en" else "，") + style.word("ts_sketch").format(
            bins=found.bins, error=100.0 / found.bins)
    return text


def timeseries(series: pd.DataFrame | Chunks | None, runs: pd.DataFrame,
               style: Style,
               swept: list[str] | None = None, point: int | None = None, panels=None):
    """Median and 50%/90% bands across runs of per-step series over time (default: cumulative
    loss and cities warned; `panels` may add or choose mean_trust, cooperation and
    compensation_paid), at one sweep point (the middle one unless `point` names another):
    pooling points would mix different scenarios into one band."""
    panels = list(panels or DEFAULT_SERIES_PANELS)
    unknown = [p for p in panels if p not in SERIES_PANELS]
    if unknown:
        raise ValueError(f"unknown time-series panel {', '.join(map(repr, unknown))}; expected "
                         f"some of {', '.join(SERIES_PANELS)}")
    source = Chunks.of(series)
    if source is None or not {SERIES_PANELS[p][0] for p in panels} <= source.columns:
        return None
    if (picked := at_point(runs, point)) is None:
        return None
    sel, chosen, k = picked
    found = series_bands(source, sel, panels)
    if found is None:
        return None
    regimes = [r for r in style.present(sel) if r in found.runs]
    ncols = min(len(panels), 3)
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(DOUBLE, 0.5 + 2.2 * nrows), squeeze=False,
                             layout="constrained")
    handles = {}
    for ax, name in zip(axes.ravel(), panels, strict=False):
        handles = band_lines(ax, found, name, regimes, style)
        ax.set_ylabel(wrap(style.word(SERIES_PANELS[name][2]), 2.2 * 72, measure_in(fig, 8)))
        if name == "cities_warned":
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if name in ("mean_trust", "cooperation"):
            ax.set_ylim(-0.02, 1.02)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    legend_on_top(fig, style, regimes, handles)
    parts = [_n_text(style, sel.groupby("regime").size(), chosen is not None, 1),
             point_words(style, sel, swept, chosen, point, k), _band_note(style, found)]
    note(fig, style.join(parts))
    return fig


def _grid_params(runs: pd.DataFrame, swept: list[str]) -> list[str]:
    return [p for p in numeric_swept(runs, swept) if runs[p].nunique() <= MAX_GRID_VALUES]


def heatmap(runs: pd.DataFrame, style: Style, swept: list[str], outcome: str | None = None,
            x: str | None = None, y: str | None = None, annotate: bool = True):
    """Mean of an outcome over a two-parameter sweep, one panel per regime, one colour scale."""
    grid = _grid_params(runs, swept)
    x = x or next((p for p in grid if p != y), None)
    y = y or next((p for p in grid if p != x), None)
    if x is None or y is None or x == y or x not in grid or y not in grid:
        return None
    outcome = outcome or next((o for o in ("spillover_loss", "total_loss") if o in runs), None)
    if outcome is None or outcome not in runs:
        return None
    regimes = style.present(runs)
    xs, ys = sorted(runs[x].unique()), sorted(runs[y].unique())
    means = {r: runs[runs["regime"] == r].pivot_table(index=y, columns=x, values=outcome,
                                                      aggfunc="mean")
             .reindex(index=ys, columns=xs).to_numpy(dtype=float) for r in regimes}
    finite = np.concatenate([m[np.isfinite(m)] for m in means.values()])
    if not len(finite):
        return None
    norm = Normalize(float(finite.min()), float(finite.max()))
    cmap = plt.get_cmap(SEQUENTIAL_CMAP)
    ncols = {1: 1, 2: 2, 3: 3, 4: 2}.get(len(regimes), 3)
    nrows = math.ceil(len(regimes) / ncols)
    width = DOUBLE if len(regimes) > 1 else SINGLE
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, 0.4 + 2.1 * nrows), squeeze=False,
                             layout="constrained", sharex=True, sharey=True)
    size = 6.5 if max(len(xs), len(ys)) <= 5 else 5.5
    show = annotate and len(xs) <= 8 and len(ys) <= 8
    top = float(np.abs(finite).max())
    decimals = max(0, 2 - math.floor(math.log10(top))) if top > 0 else 0
    image = None
    for k, ax in enumerate(axes.ravel()):
        if k >= len(regimes):
            ax.set_visible(False)
            continue
        regime, m = regimes[k], means[regimes[k]]
        image = ax.imshow(m, origin="lower", cmap=cmap, norm=norm, aspect="auto",
                          interpolation="nearest")
        ax.set_title(wrap(style.label(regime), 0.85 * width / ncols * 72, measure_in(fig, 8)))
        ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs])
        ax.set_yticks(range(len(ys)), [f"{v:g}" for v in ys])
        ax.grid(False)
        for side in ("top", "right"):
            ax.spines[side].set_visible(True)
        if show:
            for i in range(len(ys)):
                for j in range(len(xs)):
                    if np.isfinite(m[i, j]):
                        r, g, b, _ = cmap(norm(m[i, j]))
                        dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5
                        ax.text(j, i, f"{m[i, j]:.{decimals}f}", ha="center", va="center",
                                fontsize=size, color="white" if dark else "black")
        if k % ncols == 0:
            ax.set_ylabel(param_label(y, style.lang))
        if k >= len(regimes) - ncols:
            ax.set_xlabel(param_label(x, style.lang))
            ax.tick_params(labelbottom=True)
    bar = fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.9, pad=0.02, aspect=25)
    bar.set_label(outcome_label(outcome, style.lang))
    bar.ax.tick_params(labelsize=7)
    counts = runs.groupby(["regime", x, y]).size()
    parts = [style.word("cell").format(n=_range(counts))]
    others = [p for p in numeric_swept(runs, swept) if p not in (x, y)]
    if others:
        sep = ", " if style.lang == "en" else "、"
        parts.append(style.word("averaged").format(
            what=sep.join(param_name(p, style.lang) for p in others)))
    note(fig, style.join(parts))
    return fig


def _range(counts: pd.Series) -> str:
    lo, hi = int(counts.min()), int(counts.max())
    return str(lo) if lo == hi else f"{lo}–{hi}"


def tradeoff(runs: pd.DataFrame, style: Style, loss: str = "total_loss"):
    """Total loss against total coordination cost: one cloud of runs per regime, with the
    regime's mean and its 95% CI on both axes as a cross."""
    costs = cost_columns(runs)
    if loss not in runs or not costs:
        return None
    regimes = style.present(runs)
    cost = runs[costs].sum(axis=1, min_count=1)
    fig, ax = plt.subplots(figsize=(SINGLE, 3.0), layout="constrained")
    handles = {}
    for regime in regimes:
        rows = (runs["regime"] == regime).to_numpy()
        cx, ly = cost[rows].to_numpy(dtype=float), runs.loc[rows, loss].to_numpy(dtype=float)
        st = style.of(regime)
        ax.scatter(cx, ly, s=7, marker=st["marker"], color=st["color"], alpha=0.3,
                   linewidths=0, zorder=2)
        mx, xlo, xhi = mean_ci(cx)
        my, ylo, yhi = mean_ci(ly)
        handles[regime] = ax.errorbar(
            [mx], [my], xerr=[[mx - xlo], [xhi - mx]] if np.isfinite(xlo) else None,
            yerr=[[my - ylo], [yhi - my]] if np.isfinite(ylo) else None, fmt=st["marker"],
            color=st["color"], markersize=6, capsize=2.5, elinewidth=1.2,
            markeredgecolor="black", markeredgewidth=0.6, zorder=4)
    ax.set_xlabel(style.word("cost"))
    ax.set_ylabel(outcome_label(loss, style.lang))
    legend_on_top(fig, style, regimes, handles)
    plus = style.word("plus")
    parts = [_n_text(style, runs.groupby("regime").size(), False, _points(runs)),
             style.word("cost_is").format(cols=plus.join(outcome_name(c, style.lang)
                                                         for c in costs)),
             style.word("cross")]
    note(fig, style.join(parts))
    return fig


# --- who trusts whom, who pays ----------------------------------------------------------------
def city_names(accounts: pd.DataFrame | Chunks | None, run_id: int, n: int, lang: str
               ) -> list[str]:
    """Names of the cities of one run in the chart's language (numbers 1..n if unknown)."""
    if (accounts := Chunks.of(accounts)) is not None:
        column = "name_zh" if lang == "zh" else "name_en"
        rows = chunks.rows(accounts, [run_id], ["city", column]).sort_values("city")
        if len(rows) == n and column in rows:
            return rows[column].astype(str).tolist()
    return [str(i + 1) for i in range(n)]


def mean_trust_matrices(trust: pd.DataFrame | Chunks, sel: pd.DataFrame, regimes: list[str]
                        ) -> dict[str, tuple[np.ndarray, int, int]]:
    """Per regime: the mean over its runs in `sel` of the final trust matrix, the number of
    runs, and the first run's id (for the city names); read chunk by chunk."""
    groups = {r: sel.loc[sel["regime"] == r, "run_id"].tolist() for r in regimes}
    found = chunks.mean_matrices(Chunks.of(trust), {r: ids for r, ids in groups.items() if ids},
                                 "truster", "trusted", "trust")
    return {r: found[r] for r in regimes if r in found}


def _ticks_fit(fig, names: list[str], pitch_pt: float, size: float) -> bool:
    width = measure_in(fig, size)
    return max(width(t) for t in names) <= 0.9 * pitch_pt


def trust_chart(trust: pd.DataFrame | None, accounts: pd.DataFrame | None,
                series: pd.DataFrame | None, runs: pd.DataFrame, style: Style,
                swept: list[str] | None = None, point: int | None = None,
                annotate: bool | None = None):
    """Who trusts whom at the end: the mean final trust matrix of each regime (rows: trusting
    city, columns: trusted city, one colour scale 0-1), and below it mean trust between cities
    over time (median and 50%/90% bands), at one sweep point (the middle one unless `point`
    names another)."""
    if (trust := Chunks.of(trust)) is None or (picked := at_point(runs, point)) is None:
        return None
    sel, chosen, k = picked
    mats = mean_trust_matrices(trust, sel, style.present(sel))
    if not mats:
        return None
    regimes = list(mats)
    n = max(m.shape[0] for m, _c, _r in mats.values())
    names = city_names(accounts, mats[regimes[0]][2], n, style.lang)
    most = 4 if n <= 14 else 2  # panels side by side, so that the names stay readable
    nrows = math.ceil(len(regimes) / most)
    ncols = math.ceil(len(regimes) / nrows)  # balanced rows: 3 + 2, not 4 + 1
    source = Chunks.of(series)
    data = (series_bands(source, sel[sel["regime"].isin(regimes)], ["mean_trust"])
            if source is not None and "mean_trust" in source.columns else None)
    side = min(2.1 if n <= 14 else 2.6, (DOUBLE - 1.4) / ncols)  # inches per heat map
    heat_h, time_h = nrows * side + 0.9, (2.0 if data is not None else 0.0)
    fig = plt.figure(figsize=(DOUBLE, heat_h + time_h), layout="constrained")
    top, bottom = (fig.subfigures(2, 1, height_ratios=[heat_h, time_h])
                   if data is not None else (fig, None))
    axes = top.subplots(nrows, ncols, squeeze=False)
    cmap = plt.get_cmap(SEQUENTIAL_CMAP).with_extremes(bad="white")
    norm = Normalize(0.0, 1.0)
    size = 6.5 if n <= 10 else 5.5 if n <= 20 else 5.0
    pitch = side * 72 / n
    upright = _ticks_fit(fig, names, pitch, size)
    # names too wide to stand side by side: Chinese ones stacked character by character
    # (read top-down), others turned a quarter
    stacked = not upright and style.lang == "zh"
    columns = ["\n".join(t) for t in names] if stacked else names
    show = (n <= 8 and pitch >= 14) if annotate is None else annotate
    image = None
    for idx, ax in enumerate(axes.ravel()):
        if idx >= len(regimes):
            ax.set_visible(False)
            continue
        regime = regimes[idx]
        m = mats[regime][0].copy()
        np.fill_diagonal(m, np.nan)
        image = ax.imshow(m, cmap=cmap, norm=norm, interpolation="nearest")
        ax.set_title(wrap(style.label(regime), 0.95 * side * 72, measure_in(fig, 8)))
        bottom_row = idx >= len(regimes) - ncols
        ax.set_xticks(range(n), columns if bottom_row else [""] * n, fontsize=size,
                      rotation=0 if upright or stacked else 90, linespacing=1.0)
        ax.set_yticks(range(n), names if idx % ncols == 0 else [""] * n, fontsize=size)
        ax.tick_params(length=1.5, pad=1.5)
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_linewidth(0.5)
        if idx % ncols == 0:
            ax.set_ylabel(style.word("truster"))
        if bottom_row:
            ax.set_xlabel(style.word("trusted"))
        if show:
            for i in range(n):
                for j in range(n):
                    if i != j and np.isfinite(m[i, j]):
                        r, g, b, _ = cmap(norm(m[i, j]))
                        dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5
                        ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=5,
                                color="white" if dark else "black")
    bar = top.colorbar(image, ax=axes.ravel().tolist(), shrink=0.85, pad=0.02, aspect=22)
    bar.set_label(wrap(style.word("trust_bar"), 0.8 * heat_h * 72, measure_in(fig, 8)))
    bar.ax.tick_params(labelsize=7)
    counts = pd.Series({r: c for r, (_m, c, _r) in mats.items()})
    parts = [style.word("trust_note").format(n=_range(counts)),
             point_words(style, sel, swept, chosen, point, k)]
    if bottom is not None:
        ax = bottom.subplots()
        handles = band_lines(ax, data, "mean_trust", regimes, style)
        ax.set_ylabel(wrap(style.word("trust_axis"), 1.6 * 72, measure_in(fig, 8)))
        entries_on_top(bottom, [handles[r] for r in regimes],
                       [style.label(r) for r in regimes], figure=fig)
        parts.append(_band_note(style, data))
    else:
        parts.append(style.word("trust_no_series"))
    note(fig, style.join(parts))
    return fig


# How each account enters the net burden (sim.metrics.net_burden): +1 a cost, -1 a gain.
# evaluation is the assessment rewards minus penalties a city received; bilateral the Xin'an
# transfers it paid minus those it received; both may take either sign.
BURDEN_SIGNS = {"loss": 1, "source_control_cost": 1, "assist_cost": 1, "fund_in": 1,
                "sanctions": 1, "bilateral": 1, "fund_out": -1, "evaluation": -1}
BURDEN_NEEDS = ("loss", "source_control_cost", "assist_cost", "fund_in", "fund_out",
                "sanctions", "net_burden")
# components in greys and hatches: regimes are the panels here, so no regime colour is reused
_EDGE = "#4D4D4D"
BURDEN_LOOK = {
    "loss": {"color": "#3C3C3C"},
    "source_control_cost": {"color": "#8A8A8A"},
    "assist_cost": {"color": "#C4C4C4"},
    "fund_in": {"facecolor": "white", "hatch": "/////", "edgecolor": _EDGE},
    "sanctions": {"facecolor": "#E6E6E6", "hatch": "xxx", "edgecolor": _EDGE},
    "bilateral": {"facecolor": "white", "hatch": "\\\\\\", "edgecolor": _EDGE},
    "fund_out": {"facecolor": "white", "hatch": "......", "edgecolor": _EDGE},
    "evaluation": {"facecolor": "#D0D0D0", "hatch": "++", "edgecolor": _EDGE},
}


def burden_parts(accounts: pd.DataFrame | Chunks) -> list[str]:
    """The accounts that make up the net burden in this table, in drawing order."""
    return [c for c in BURDEN_SIGNS if c in accounts]


def city_means(accounts: pd.DataFrame | Chunks, sel: pd.DataFrame, columns: list[str]
               ) -> pd.DataFrame | None:
    """Mean over the runs in `sel` of each account column, by regime and city (read chunk by
    chunk)."""
    return chunks.group_means(Chunks.of(accounts), sel, ["regime", "city"], columns)


def burden(accounts: pd.DataFrame | None, runs: pd.DataFrame, style: Style,
           swept: list[str] | None = None, point: int | None = None):
    """Who pays and who gains: per city and regime, the mean of each part of the net burden
    (what a city lost or paid to the right of zero: loss, source control, assistance, fund
    contributions, sanctions, bilateral transfers paid; what it received to the left: fund
    payouts, assessment rewards, bilateral transfers received) and the net burden itself, with
    the Gini of net burden per capita of each regime, at one sweep point (the middle one
    unless `point` names another)."""
    if (accounts := Chunks.of(accounts)) is None or \
            not set(BURDEN_NEEDS) <= accounts.columns:
        return None
    if (picked := at_point(runs, point)) is None:
        return None
    sel, chosen, k = picked
    parts = burden_parts(accounts)
    means = city_means(accounts, sel, [*parts, "net_burden"])
    if means is None:
        return None
    # each part as it enters the net burden: costs positive, gains negative
    signed = means[parts] * pd.Series(BURDEN_SIGNS)[parts]
    regimes = [r for r in style.present(sel) if r in means.index.get_level_values(0)]
    n = int(means.index.get_level_values(1).max()) + 1
    first = sel.loc[sel["regime"] == regimes[0], "run_id"].iloc[0]
    names = city_names(accounts, int(first), n, style.lang)
    shown = [c for c in parts if c == "loss" or (signed[c].abs() > 1e-12).any()]
    ncols = min(len(regimes), 4)
    nrows = math.ceil(len(regimes) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(DOUBLE, 0.7 + nrows * (0.55 + 0.17 * n)),
                             squeeze=False, sharex=True, sharey=True, layout="constrained")
    handles: dict[str, Any] = {}
    y = np.arange(n)
    panel = DOUBLE / ncols * 72
    for idx, ax in enumerate(axes.ravel()):
        if idx >= len(regimes):
            ax.set_visible(False)
            continue
        regime = regimes[idx]
        m = signed.loc[regime].reindex(range(n)).fillna(0.0)
        right, left = np.zeros(n), np.zeros(n)
        for part in shown:
            v = m[part].to_numpy(dtype=float)
            for side, start in ((np.clip(v, 0.0, None), right), (np.clip(v, None, 0.0), left)):
                if side.any():
                    handles[part] = ax.barh(y, side, left=start.copy(), height=0.72,
                                            linewidth=0.4, **BURDEN_LOOK[part])
                    start += side
        net = means.loc[regime, "net_burden"].reindex(range(n)).to_numpy(dtype=float)
        (handles["net_burden"],) = ax.plot(net, y, linestyle="none", marker="D",
                                           markersize=3.6, color="black",
                                           markeredgecolor="white", markeredgewidth=0.5,
                                           zorder=4)
        ax.axvline(0.0, color="black", linewidth=0.6, zorder=3)
        gini = sel.loc[sel["regime"] == regime, "net_burden_gini"].to_numpy(dtype=float) \
            if "net_burden_gini" in sel else np.array([])
        title = wrap(style.label(regime), 0.9 * panel, measure_in(fig, 8))
        if len(gini):
            g, lo, hi = mean_ci(gini)
            lo, hi = max(lo, 0.0), min(hi, 1.0)  # a Gini lies in [0, 1]
            title += "\n" + (style.word("gini").format(m=g, lo=lo, hi=hi) if np.isfinite(lo)
                             else style.word("gini1").format(m=g))
        ax.set_title(title)
        ax.grid(axis="y", visible=False)
        if idx >= len(regimes) - ncols:
            ax.set_xlabel(style.word("amount"))
            ax.tick_params(labelbottom=True)
    axes[0][0].set_yticks(y, names, fontsize=7 if n <= 12 else 6 if n <= 20 else 5.5)
    axes[0][0].set_ylim(n - 0.5, -0.5)  # the first city on top
    order = [c for c in shown if c in handles] + ["net_burden"]
    entries_on_top(fig, [handles[c] for c in order], [style.word(c) for c in order])
    notes = [style.word("burden_note").format(n=_range(sel.groupby("regime").size())),
             point_words(style, sel, swept, chosen, point, k)]
    # money from outside the region: a run's fund payouts beyond its contributions, mean by
    # regime (the mean of the per-city means times the cities, so read with them)
    books = means[["fund_out", "fund_in"]] if {"fund_out", "fund_in"} <= set(means) else \
        city_means(accounts, sel, ["fund_out", "fund_in"])
    outside = (books["fund_out"] - books["fund_in"]).groupby(level=0).sum()
    items = [f"{style.label(r)} {outside[r]:.3g}" for r in regimes
             if r in outside and outside[r] > 1e-9]
    if items:
        notes.append(style.word("outside").format(items=(", " if style.lang == "en" else "，")
                                                  .join(items)))
    note(fig, style.join(notes))
    return fig


# --- availability and drawing -----------------------------------------------------------------
def unavailable(name: str, runs: pd.DataFrame,
                series: pd.DataFrame | Chunks | None,
                swept: list[str], incidents_recorded: bool = True,
                design: dict | None = None, *, accounts_recorded: bool = True,
                trust_recorded: bool = True, regions_recorded: bool = True,
                discovery: dict | None = None) -> str | None:
    """Why chart `name` cannot be drawn for this study (None if it can); `design` is the
    scenario's morris or sobol sweep, if any; the *_recorded flags say which per-city tables
    the results folder holds (see recorded())."""
    if name in ("burden", "region_map") and not accounts_recorded:
        return ("it needs the per-city accounts (accounts/ in the results folder), which "
                "this folder lacks: it was written by an older kuayu; re-run the study with "
                "--overwrite")
    if name == "region_map" and not regions_recorded:
        return ("it needs the region of each regime (accounts/regions-*.json), which this "
                "folder lacks: it was written by an older kuayu; re-run the study with "
                "--overwrite")
    if name == "trust" and not trust_recorded:
        return ("it needs the final trust matrices (trust/ in the results folder), which are "
                "kept only for regions of up to 30 cities and by kuayu versions that record "
                "them; re-run the study with --overwrite")
    if name == "sensitivity":
        from sim import sensitivity

        return sensitivity.unavailable(runs, swept, design)
    if name in ("discovery_tradeoff", "discovery_boxes", "regret"):
        if not discovery:
            return ("it needs a discovery: block in the scenario (docs/discovery.md), or "
                    "`python run.py discover RESULTS --from FILE.yaml`")
        if name == "regret" and not discovery.get("regret"):
            return "it needs regret in the discovery block (it was set to false)"
        if name != "regret" and not discovery.get("conditions"):
            return "it needs a condition in the discovery block"
        missing = [p for p in discovery.get("inputs", []) if p not in runs]
        if missing:
            return f"the results hold no column for {', '.join(missing)}"
        return None
    if name == "sweep_response" and not numeric_swept(runs, swept):
        return ("it needs a sweep over a numeric parameter with two or more values; this study "
                + (f"sweeps {', '.join(swept)} (not numeric)" if swept else "has no sweep"))
    if name == "timeseries" and Chunks.of(series) is None:
        return "it needs per-step series; set record: {series: true} in the scenario and re-run"
    if name == "heatmap" and len(grid := _grid_params(runs, swept)) < 2:
        if not swept:
            has = "this study has no sweep"
        elif len(swept) == 1:
            has = f"this study sweeps only {swept[0]}"
        else:
            has = (f"this study sweeps {', '.join(swept)}, of which "
                   + (f"only {grid[0]} qualifies" if grid else "none qualifies"))
        return ("it needs a grid sweep over two numeric parameters (each with 2 to "
                f"{MAX_GRID_VALUES} values); {has}")
    if name in ("incident_map", "incident_timeline") and not (incidents_recorded
                                                               and regions_recorded):
        return ("it needs the incidents of replication 0 (accounts/regions-*.json), which "
                "this folder lacks or which hold no incident")
    if name == "tradeoff":
        if "total_loss" not in runs:
            return "it needs the total_loss outcome"
        if not cost_columns(runs):
            return ("it needs a cost outcome (coordination_cost, source_control_cost or another "
                    "*_cost column)")
    return None


def _has_incidents(results) -> bool:
    """True if a recorded run of the results folder holds an incident."""
    regions = getattr(results, "regions", None) or {}
    return any(r.get("incidents") for r in regions.values())


def recorded(results) -> dict[str, bool]:
    """Which per-city tables a results folder holds (unavailable()'s keyword flags), asked
    without loading them where the folder can say (Results.holds)."""
    holds = getattr(results, "holds", None)
    if callable(holds):
        return {f"{t}_recorded": holds(t) for t in ("accounts", "trust", "regions")}
    return {f"{t}_recorded": getattr(results, t, None) is not None
            for t in ("accounts", "trust", "regions")}


def render(name: str, results, lang: str = "en", **options):
    """Figure of chart `name` for a results folder (None when its data is absent).

    `options` go to the chart function, e.g. heatmap(outcome="total_loss") or
    timeseries(point=0); an option the chart does not have is a ChartError that names the
    ones it has."""
    from sim.params import suggest
    from sim.scenario import CHART_OPTIONS

    if name in CHART_OPTIONS:
        allowed = list(CHART_OPTIONS[name])
        function = _chart_function(name)
        if function is not None:  # Python may also pass a chart's other keyword options
            import inspect

            allowed += [k for k, p in inspect.signature(function).parameters.items()
                        if p.default is not inspect.Parameter.empty and k not in allowed
                        and k not in ("swept", "baseline")]
        for key in options:
            if key not in allowed:
                raise ChartError(f"chart {name!r} has no option {key!r}"
                                 f"{suggest(str(key), allowed)}; its options: "
                                 f"{', '.join(allowed) or 'none'}")
    manifest = results.manifest["scenario"]
    style = Style(manifest["regimes"], lang)
    swept = manifest.get("swept", [])
    runs = results.runs
    with plt.rc_context(rc(lang)):
        if name == "sensitivity":
            from sim import sensitivity

            return sensitivity.chart(results, style, **options)
        if name in ("discovery_tradeoff", "discovery_boxes", "regret"):
            return _chart_function(name)(results, style, **options)
        if name == "regime_comparison":
            return regime_comparison(runs, style, **options)
        if name == "sweep_response":
            return sweep_response(runs, style, swept, **options)
        if name == "timeseries":
            return timeseries(_table(results, "series"), runs, style, swept, **options)
        if name == "heatmap":
            return heatmap(runs, style, swept, **options)
        if name == "tradeoff":
            return tradeoff(runs, style, **options)
        if name in ("incident_map", "incident_timeline"):
            chart = maps.incident_map if name == "incident_map" else maps.incident_timeline
            return chart(runs, getattr(results, "regions", None), style, swept,
                         baseline=results.manifest["scenario"].get("baseline"), **options)
        if name == "trust":
            return trust_chart(_table(results, "trust"), _table(results, "accounts"),
                               _table(results, "series"), runs, style, swept, **options)
        if name == "burden":
            return burden(_table(results, "accounts"), runs, style, swept, **options)
        if name == "region_map":
            return maps.region_map(runs, _table(results, "accounts"),
                                   getattr(results, "regions", None), style, swept, **options)
    raise ChartError(f"unknown chart {name!r}; expected one of {', '.join(CHART_NAMES)}")


def _table(results, name: str) -> pd.DataFrame | Chunks | None:
    """A results folder's per-run table ("series", "accounts", "trust") read one chunk at a
    time (Results.chunks); a stand-in's attribute as it is."""
    if callable(getattr(results, "chunks", None)):
        return results.chunks(name)
    return getattr(results, name, None)


def _chart_function(name: str):
    """The function that draws chart `name` (None for one drawn elsewhere)."""
    from sim import discovery, sensitivity

    return {"discovery_tradeoff": discovery.tradeoff_chart,
            "discovery_boxes": discovery.boxes_chart, "regret": discovery.regret_chart,
            "regime_comparison": regime_comparison, "sweep_response": sweep_response,
            "timeseries": timeseries, "heatmap": heatmap, "tradeoff": tradeoff,
            "incident_map": maps.incident_map, "incident_timeline": maps.incident_timeline,
            "trust": trust_chart, "burden": burden, "region_map": maps.region_map,
            "sensitivity": sensitivity.chart}.get(name)


def _scenario_charts() -> tuple[str, ...]:
    """The chart names a scenario file may list (sim.scenario.CHARTS)."""
    from sim.scenario import CHARTS

    return tuple(CHARTS)


def _default_list(names: list[str]) -> bool:
    """True if `names` is the scenario's default chart list (the user chose none by name)."""
    return set(names) == set(_scenario_charts()) or set(names) == set(CHART_NAMES)


def draw(results, charts: list[str] | None = None, lang: str = "en",
         out_dir: Path | None = None, options: dict[str, dict] | None = None,
         formats: tuple[str, ...] | None = None) -> list[Path]:
    """Draw the study's charts into `<results>/figures/` (suffix _zh for Chinese).

    `charts` names charts explicitly: any of them that this study cannot draw is a ChartError
    (raised before anything is written) that says why. Without `charts`, the scenario's list is
    drawn; charts from the default list that the data does not allow are skipped quietly, and
    ones the scenario file listed by name are skipped with a ChartSkipped warning.
    `options` maps a chart name to keyword options of its function (see docs/charts.md).
    `formats` are the file types written (default FORMATS: PNG and PDF; add "svg").
    """
    names, options = planned(results, charts, options)
    written = []
    for name in names:
        written += draw_one(results, name, lang, out_dir, options.get(name, {}), formats)
    return written


def planned(results, charts: list[str] | None = None, options: dict[str, dict] | None = None
            ) -> tuple[list[str], dict[str, dict]]:
    """The charts draw() draws, in order, and their options (what draw() checks first: a
    ChartError for an unknown chart or one named that cannot be drawn, a ChartSkipped warning
    for one the scenario listed that cannot)."""
    manifest = results.manifest["scenario"]
    if options is None:  # what the scenario chose to show (chart_options)
        options = manifest.get("chart_options") or {}
    explicit = charts is not None and len(charts) > 0
    listed = manifest.get("charts")  # an empty list in the scenario means no charts
    names = list(dict.fromkeys(charts if explicit else
                               (list(CHART_NAMES) if listed is None else listed)))
    known = _scenario_charts()
    unknown = [n for n in names if n not in CHART_NAMES and n not in known]
    if unknown:
        from sim.params import suggest

        raise ChartError("; ".join(f"unknown chart {n!r}{suggest(str(n), CHART_NAMES)}"
                                   for n in unknown)
                         + f"; expected one of {', '.join(CHART_NAMES)}")
    swept = manifest.get("swept", [])
    # a name the scenario schema accepts but this catalogue does not draw (yet)
    reasons = {n: "it is not in the chart catalogue of sim.plots yet"
               for n in names if n not in CHART_NAMES}
    reasons |= {n: r for n in names if n in CHART_NAMES
                and (r := unavailable(n, results.runs, _table(results, "series"), swept,
                                      _has_incidents(results),
                                      design=manifest.get("design"), **recorded(results),
                                      discovery=_discovery_spec(results)))}
    if explicit and reasons:
        raise ChartError("; ".join(f"chart {n!r} cannot be drawn for {results.name}: {r}"
                                   for n, r in reasons.items()))
    if reasons and not _default_list(names):
        for n, r in reasons.items():
            warnings.warn(f"chart {n!r} not drawn: {r}", ChartSkipped, stacklevel=3)
    return [n for n in names if n not in reasons], dict(options or {})


def draw_one(results, name: str, lang: str = "en", out_dir: Path | None = None,
             options: dict | None = None, formats: tuple[str, ...] | None = None
             ) -> list[Path]:
    """Draw one chart planned() allows, in one language; the files written (none when its
    data turns out empty)."""
    formats = tuple(formats or FORMATS)
    if bad := [f for f in formats if f not in ALL_FORMATS]:
        raise ChartError(f"unknown figure format {', '.join(map(repr, bad))}; expected some of "
                         f"{', '.join(ALL_FORMATS)}")
    out_dir = Path(out_dir) if out_dir is not None else results.path / "figures"
    fig = render(name, results, lang, **(options or {}))
    return [] if fig is None else save(fig, out_dir, name, lang, formats)


def save(fig, folder: Path, name: str, lang: str = "en",
         formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Write `fig` as folder/name.<fmt> (name_<lang> for other languages) in every format, with
    fixed metadata so that the same results give the same files; close it; return the paths
    in the order of `formats` (the PNG first with the default FORMATS)."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = name if lang == "en" else f"{name}_{lang}"
    paths = [folder / f"{stem}.{fmt}" for fmt in formats]
    with plt.rc_context(rc(lang)):
        # Matplotlib would lay the figure out (constrained layout) and find its tight box
        # in a draw of its own before every format, and lay it out again in each: here the
        # layout is done once at the PNG's resolution and then frozen, and every format
        # is cropped to the same box (a tenth of the flagship's chart time). rc() keeps a
        # user's automatic layout settings from putting an engine back.
        fig.set_dpi(plt.rcParams["savefig.dpi"])
        fig.draw_without_rendering()
        box = fig.get_tightbbox().padded(plt.rcParams["savefig.pad_inches"])
        fig.set_layout_engine(None)
        for path, fmt in zip(paths, formats, strict=True):
            fig.savefig(path, metadata=_metadata(fmt), bbox_inches=box)
    plt.close(fig)
    return paths


def _discovery_spec(results) -> dict | None:
    """The discovery block in force for a results folder (sim.discovery.spec_of)."""
    from sim import discovery

    try:
        return discovery.spec_of(results)
    except (AttributeError, KeyError, TypeError):  # not a results folder (a test's stand-in)
        return None


def _metadata(fmt: str) -> dict | None:
    if fmt == "pdf":
        return {"CreationDate": None, "ModDate": None}
    if fmt == "svg":
        return {"Date": None}
    return None


def caption(name: str, lang: str = "en") -> str:
    """A one-line caption of chart `name`, used by the report."""
    return CAPTIONS[lang][name]


CAPTIONS = {
    "en": {
        "sensitivity": "Sensitivity of the outcomes to the swept parameters: Morris mu* and "
                       "sigma, or Sobol S1 and ST, with 95% CIs (most influential on top).",
        "regime_comparison": "Outcomes by regime: distribution over runs with the mean and its "
                             "95% CI.",
        "sweep_response": "Outcomes against the swept parameter, mean and 95% CI per regime.",
        "timeseries": "Cumulative loss and warnings received over time (median and 50%/90% "
                      "bands) at one sweep point.",
        "heatmap": "Mean outcome over the two-parameter sweep, one panel per regime, shared "
                   "colour scale.",
        "tradeoff": "Total loss against coordination cost: single runs and the regime mean with "
                    "its 95% CI.",
        "incident_map": "One incident, named in the title, on the region's map in every "
                        "regime: each city's loss from it, and whether it was warned before "
                        "the hazard arrived.",
        "incident_timeline": "One incident, named in the title, followed in every regime: when "
                             "each city was warned and when the hazard arrived, the origin's "
                             "detection and report, and each city's loss from it.",
        "trust": "Who trusts whom: mean final trust between cities per regime, and mean trust "
                 "over time (median and 50%/90% bands) at one sweep point.",
        "burden": "Who pays and who gains: mean net burden per city and its parts, per regime, "
                  "with the Gini of net burden per capita.",
        "region_map": "The region per regime: cities by population, coloured by mean net "
                      "burden, with rivers and compensation flows.",
        "discovery_tradeoff": "Scenario discovery: coverage against density along PRIM's "
                              "peeling trajectory for each condition, with the box chosen.",
        "discovery_boxes": "Scenario discovery: the boxes PRIM chose, as the range of each "
                           "restricted input they keep, with coverage and density.",
        "regret": "Robust regime choice: each regime's regret over the draws (its loss minus "
                  "the best regime's in the same draw) and the share of draws it is best.",
    },
    "zh": {
        "sensitivity": "结果对扫描参数的敏感性：莫里斯法的μ*与σ，或索博尔一阶与总效应指数，"
                       "及其95%置信区间（影响最大者在上）。",
        "regime_comparison": "各治理模式的结果分布，标出均值及其95%置信区间。",
        "sweep_response": "结果随扫描参数的变化：各治理模式的均值及其95%置信区间。",
        "timeseries": "单个参数点上累计损失与累计收到预警次数随时间的变化（中位数及50%/90%区间）。",
        "heatmap": "双参数扫描下结果的均值热图：每种治理模式一幅，色标统一。",
        "tradeoff": "总损失与协调成本的权衡：单次运行及各治理模式均值的95%置信区间。",
        "incident_map": "标题所指的一起事件在各治理模式下的区域地图：各城市在该事件中的损失，"
                        "以及风险到达前是否收到预警。",
        "incident_timeline": "标题所指的一起事件在各治理模式下的进程：各城市收到预警与风险到达的"
                             "时刻、发生地的发现与报告，以及各城市在该事件中的损失。",
        "trust": "谁信任谁：各治理模式运行结束时城市间信任度的均值矩阵，及单个参数点上平均信任"
                 "随时间的变化（中位数及50%/90%区间）。",
        "burden": "谁付出、谁受益：各治理模式下各城市的平均净负担及其构成，并给出人均净负担的"
                  "基尼系数。",
        "region_map": "各治理模式的区域地图：城市按人口标示大小、按平均净负担着色，"
                      "并绘出河流与补偿资金流向。",
        "discovery_tradeoff": "情景发现：各条件在耐心规则归纳法剥离轨迹上覆盖率与密度的权衡，"
                              "并标出选定的参数盒。",
        "discovery_boxes": "情景发现：选定参数盒在各受限输入参数上保留的范围，及其覆盖率与密度。",
        "regret": "稳健的模式选择：各治理模式在全部抽样中的遗憾值分布（其损失减去同一次抽样中"
                  "最优模式的损失），以及其为最优的抽样比例。",
    },
}

