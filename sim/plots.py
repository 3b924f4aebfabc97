"""The chart catalogue. Charts read only a results folder, so they can be redrawn at will.

Publication defaults: Okabe-Ito colours (colour-blind safe) with a marker and line style per
regime so a chart reads in greyscale, the same regime in the same colour everywhere, a note
under every chart stating n and what the band or box means, axes labelled with units, every
figure one journal column (3.5 in) or two (7.2 in) wide and saved as PDF, SVG and 300-dpi PNG,
in English or Chinese (the Chinese font ships with the package, see sim.fonts).

A chart whose data is absent (no sweep, no series, no cost outcome) is not drawn: each chart
function returns None, and `unavailable()` says why. `draw()` skips such charts quietly when
they come from the default list, and refuses with a ChartError naming the reason when they
were asked for by name. The catalogue is described in docs/charts.md.
"""

from __future__ import annotations

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

from sim import fonts, maps
from sim.analysis import mean_ci
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
        "warned": "Cities warned (number)",
        "cost": "Coordination cost (100 million CNY)",
        "n_regime": "n = {n} runs per regime",
        "n_point": "n = {n} runs per regime and sweep point",
        "n_plotted": "n = {n} runs per plotted point",
        "pooled": "pooled over {k} sweep points",
        "averaged": "averaged over {what}",
        "box": "box: quartiles; whiskers: 5-95%; dot and bar: mean and 95% CI",
        "band_ci": "band: 95% CI of the mean",
        "ts_band": "line: median; bands: middle 50%/90% of runs",
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
        "warned": "已预警城市数（个）",
        "cost": "协同成本（亿元）",
        "n_regime": "每种治理模式 n = {n} 次运行",
        "n_point": "每种治理模式、每个参数点 n = {n} 次运行",
        "n_plotted": "每个数据点 n = {n} 次运行",
        "pooled": "合并{k}个参数点",
        "averaged": "对{what}取平均",
        "box": "箱体：四分位数；须线：5%–95%；圆点与误差线：均值及其95%置信区间",
        "band_ci": "阴影：均值的95%置信区间",
        "ts_band": "实线：中位数；阴影：居中50%/90%的运行",
        "at_point": "参数点 {desc}（{k}个参数点的中间一个）",
        "at_chosen": "参数点 {desc}",
        "cell": "格内数值：每种治理模式、每个参数点 n = {n} 次运行的均值",
        "cost_is": "成本 = {cols}",
        "cross": "散点：单次运行；十字：两者的均值及其95%置信区间",
        "plus": " + ",
    },
}
CHART_NAMES = CHARTS  # one catalogue: sim.scenario validates the names users write
FORMATS = ("pdf", "svg", "png")


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


def param_label(path: str, lang: str) -> str:
    p = BY_PATH.get(path)
    if p is None:
        return path
    if lang == "zh":
        return f"{p.zh}（{UNIT_ZH.get(p.unit, p.unit)}）" if p.unit else p.zh
    return f"{path} ({p.unit})" if p.unit else path


def param_value(path: str, value: Any, lang: str) -> str:
    """'region.reach_hours = 24 h' (or its Chinese form)."""
    p = BY_PATH.get(path)
    name = (p.zh if p is not None and lang == "zh" else path)
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


def rc(lang: str) -> dict:
    base = fonts.rc_for(lang)
    base.update({"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 7,
                 "xtick.labelsize": 7, "ytick.labelsize": 7, "axes.spines.top": False,
                 "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.25,
                 "grid.linewidth": 0.5, "lines.linewidth": 1.4, "savefig.bbox": "tight",
                 "savefig.pad_inches": 0.03, "savefig.dpi": 300, "figure.dpi": 100,
                 "legend.frameon": False})
    return base


def note(fig, text: str) -> None:
    """The line(s) under a chart that say what is shown and how many runs it rests on."""
    limit = 0.98 * fig.get_figwidth() * 72
    fig.text(0.005, -0.01, wrap(text, limit, measure_in(fig, NOTE_SIZE)), fontsize=NOTE_SIZE,
             color="#333333", ha="left", va="top", linespacing=1.3)


def legend_on_top(fig, style: Style, regimes: list[str], handles: dict) -> None:
    """One legend above the panels (never over the data), as many columns as fit."""
    labels = [style.label(r) for r in regimes]
    width = measure_in(fig, 7)
    # an entry is its text plus about 4.5 ems of handle and spacing
    entries = [width(s) + 4.5 * 7 for s in labels]
    limit = 0.97 * fig.get_figwidth() * 72
    ncol = len(labels)
    while ncol > 1 and any(sum(entries[i:i + ncol]) > limit
                           for i in range(0, len(entries), ncol)):
        ncol -= 1
    ncol = math.ceil(len(labels) / math.ceil(len(labels) / ncol))  # balance the rows
    fig.legend([handles[r] for r in regimes], labels, loc="outside upper center", ncol=ncol,
               handlelength=2.2, columnspacing=1.5)


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


def cost_columns(runs: pd.DataFrame) -> list[str]:
    """The per-run cost outcomes the trade-off chart adds up: `coordination_cost` alone when
    the model reports that total; otherwise source_control_cost and every other '*_cost'
    outcome column (assist_cost, ...)."""
    if TOTAL_COST in runs.columns and pd.api.types.is_numeric_dtype(runs[TOTAL_COST]):
        return [TOTAL_COST]
    cols = [c for c in runs.columns if c.endswith("_cost") and "." not in c
            and pd.api.types.is_numeric_dtype(runs[c])]
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
            what=sep.join(param_label(p, style.lang) for p in others)))
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


def timeseries(series: pd.DataFrame | None, runs: pd.DataFrame, style: Style,
               swept: list[str] | None = None, point: int | None = None):
    """Median and 50%/90% bands across runs of cumulative loss and cities warned over time, at
    one sweep point (the middle one unless `point` names another): pooling points would mix
    different scenarios into one band."""
    if series is None or series.empty or not {"loss_step", "cities_warned"} <= set(series):
        return None
    chosen, k = _middle_point(runs, point)
    if point is not None and chosen is None:
        return None
    sel = runs if chosen is None else runs[runs["point"] == chosen]
    data = series.merge(sel[["run_id", "regime"]], on="run_id")
    if data.empty:
        return None
    data = data.sort_values(["run_id", "step"])
    data["cum_loss"] = data.groupby("run_id")["loss_step"].cumsum()
    data["day"] = data["hour"] / 24.0
    regimes = style.present(data)
    panels = [("cum_loss", style.word("cum_loss")), ("cities_warned", style.word("warned"))]
    fig, axes = plt.subplots(1, 2, figsize=(DOUBLE, 2.7), squeeze=False, layout="constrained")
    handles = {}
    for ax, (col, label) in zip(axes[0], panels, strict=True):
        for regime in regimes:
            wide = data[data["regime"] == regime].pivot(index="day", columns="run_id",
                                                        values=col)
            q = np.nanpercentile(wide.to_numpy(dtype=float), [5, 25, 50, 75, 95], axis=1)
            st = style.of(regime)
            ax.fill_between(wide.index, q[0], q[4], color=st["color"], alpha=0.12, linewidth=0)
            ax.fill_between(wide.index, q[1], q[3], color=st["color"], alpha=0.25, linewidth=0)
            (handles[regime],) = ax.plot(wide.index, q[2], color=st["color"],
                                         linestyle=st["linestyle"])
        ax.set_xlabel(style.word("time"))
        ax.set_ylabel(label)
        ax.set_xlim(0, float(data["day"].max()))
        if col == "cities_warned":
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    legend_on_top(fig, style, regimes, handles)
    parts = [_n_text(style, sel.groupby("regime").size(), chosen is not None, 1)]
    if chosen is not None:
        values = sel.iloc[0]
        desc = (", " if style.lang == "en" else "，").join(
            param_value(p, values[p], style.lang) for p in (swept or []) if p in sel)
        key = "at_point" if point is None else "at_chosen"
        parts.append(style.word(key).format(desc=desc, k=k))
    parts.append(style.word("ts_band"))
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
            what=sep.join(param_label(p, style.lang) for p in others)))
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


# --- availability and drawing -----------------------------------------------------------------
def unavailable(name: str, runs: pd.DataFrame, series: pd.DataFrame | None,
                swept: list[str], incidents_recorded: bool = True,
                design: dict | None = None) -> str | None:
    """Why chart `name` cannot be drawn for this study (None if it can); `design` is the
    scenario's morris or sobol sweep, if any."""
    if name == "sensitivity":
        from sim import sensitivity

        return sensitivity.unavailable(runs, swept, design)
    if name == "sweep_response" and not numeric_swept(runs, swept):
        return ("it needs a sweep over a numeric parameter with two or more values; this study "
                + (f"sweeps {', '.join(swept)} (not numeric)" if swept else "has no sweep"))
    if name == "timeseries" and (series is None or series.empty):
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
    if name in ("incident_map", "incident_timeline") and not incidents_recorded:
        return ("it needs per-city series; set record: {cities: true} in the scenario and "
                "re-run")
    if name == "tradeoff":
        if "total_loss" not in runs:
            return "it needs the total_loss outcome"
        if not cost_columns(runs):
            return ("it needs a cost outcome (coordination_cost, source_control_cost or another "
                    "*_cost column)")
    return None


def render(name: str, results, lang: str = "en", **options):
    """Figure of chart `name` for a results folder (None when its data is absent).

    `options` go to the chart function, e.g. heatmap(outcome="total_loss") or
    timeseries(point=0)."""
    manifest = results.manifest["scenario"]
    style = Style(manifest["regimes"], lang)
    swept = manifest.get("swept", [])
    runs = results.runs
    with plt.rc_context(rc(lang)):
        if name == "sensitivity":
            from sim import sensitivity

            return sensitivity.chart(results, style, **options)
        if name == "regime_comparison":
            return regime_comparison(runs, style, **options)
        if name == "sweep_response":
            return sweep_response(runs, style, swept, **options)
        if name == "timeseries":
            return timeseries(results.series, runs, style, swept, **options)
        if name == "heatmap":
            return heatmap(runs, style, swept, **options)
        if name == "tradeoff":
            return tradeoff(runs, style, **options)
        if name == "incident_map":
            return maps.incident_map(runs, results.cities, style, **options)
        if name == "incident_timeline":
            return maps.incident_timeline(runs, results.cities, style, **options)
    raise ChartError(f"unknown chart {name!r}; expected one of {', '.join(CHART_NAMES)}")


def _scenario_charts() -> tuple[str, ...]:
    """The chart names a scenario file may list (sim.scenario.CHARTS)."""
    from sim.scenario import CHARTS

    return tuple(CHARTS)


def _default_list(names: list[str]) -> bool:
    """True if `names` is the scenario's default chart list (the user chose none by name)."""
    return set(names) == set(_scenario_charts()) or set(names) == set(CHART_NAMES)


def draw(results, charts: list[str] | None = None, lang: str = "en",
         out_dir: Path | None = None, options: dict[str, dict] | None = None) -> list[Path]:
    """Draw the study's charts into `<results>/figures/` (suffix _zh for Chinese).

    `charts` names charts explicitly: any of them that this study cannot draw is a ChartError
    (raised before anything is written) that says why. Without `charts`, the scenario's list is
    drawn; charts from the default list that the data does not allow are skipped quietly, and
    ones the scenario file listed by name are skipped with a ChartSkipped warning.
    `options` maps a chart name to keyword options of its function (see docs/charts.md).
    """
    manifest = results.manifest["scenario"]
    explicit = charts is not None and len(charts) > 0
    names = list(dict.fromkeys(charts if explicit else
                               (manifest.get("charts") or list(CHART_NAMES))))
    known = _scenario_charts()
    unknown = [n for n in names if n not in CHART_NAMES and n not in known]
    if unknown:
        raise ChartError(f"unknown chart {', '.join(map(repr, unknown))}; expected one of "
                         f"{', '.join(CHART_NAMES)}")
    swept = manifest.get("swept", [])
    # a name the scenario schema accepts but this catalogue does not draw (yet)
    reasons = {n: "it is not in the chart catalogue of sim.plots yet"
               for n in names if n not in CHART_NAMES}
    reasons |= {n: r for n in names if n in CHART_NAMES
                and (r := unavailable(n, results.runs, results.series, swept,
                                      results.cities is not None,
                                      design=manifest.get("design")))}
    if explicit and reasons:
        raise ChartError("; ".join(f"chart {n!r} cannot be drawn for {results.name}: {r}"
                                   for n, r in reasons.items()))
    if reasons and not _default_list(names):
        for n, r in reasons.items():
            warnings.warn(f"chart {n!r} not drawn: {r}", ChartSkipped, stacklevel=2)
    out_dir = Path(out_dir) if out_dir is not None else results.path / "figures"
    written = []
    for name in names:
        if name in reasons:
            continue
        fig = render(name, results, lang, **(options or {}).get(name, {}))
        if fig is None:
            continue
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = name if lang == "en" else f"{name}_{lang}"
        with plt.rc_context(rc(lang)):
            for fmt in FORMATS:
                path = out_dir / f"{stem}.{fmt}"
                # fixed metadata so that the same results give the same files
                fig.savefig(path, metadata=_metadata(fmt))
                written.append(path)
        plt.close(fig)
    return written


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
        "timeseries": "Cumulative loss and cities warned over time (median and 50%/90% bands) "
                      "at one sweep point.",
        "heatmap": "Mean outcome over the two-parameter sweep, one panel per regime, shared "
                   "colour scale.",
        "tradeoff": "Total loss against coordination cost: single runs and the regime mean with "
                    "its 95% CI.",
        "incident_map": "One incident per regime on the region's map: intensity by city at "
                        "moments of the incident.",
        "incident_timeline": "One incident per regime: when the hazard was in each city, when "
                             "the warning came, when it arrived.",
    },
    "zh": {
        "sensitivity": "结果对扫描参数的敏感性：莫里斯法的μ*与σ，或索博尔一阶与总效应指数，"
                       "及其95%置信区间（影响最大者在上）。",
        "regime_comparison": "各治理模式的结果分布，标出均值及其95%置信区间。",
        "sweep_response": "结果随扫描参数的变化：各治理模式的均值及其95%置信区间。",
        "timeseries": "单个参数点上累计损失与已预警城市数随时间的变化（中位数及50%/90%区间）。",
        "heatmap": "双参数扫描下结果的均值热图：每种治理模式一幅，色标统一。",
        "tradeoff": "总损失与协调成本的权衡：单次运行及各治理模式均值的95%置信区间。",
        "incident_map": "每种治理模式一次事件在区域地图上的演变：各城市不同时刻的风险强度。",
        "incident_timeline": "每种治理模式一次事件：风险在各城市存在的时间、"
                             "收到预警与风险到达的时刻。",
    },
}

