"""Maps of single incidents: where the hazard was, in which city, when; who was warned when.

They read the per-city series a study records for replication 0 of every regime and sweep
point (`record: {cities: true}`), plus the region saved beside it, so they can be redrawn from
the results folder alone.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.colors import CenteredNorm, LogNorm, Normalize, SymLogNorm
from matplotlib.lines import Line2D
from matplotlib.patheffects import withStroke

CITIES_DIR = "cities"
WORDS = {
    "en": {"day": "day {d:.1f}", "intensity": "Hazard intensity (relative to the peak)",
           "note": "n = 1 run per regime (replication 0, same seed, same hazard). Circle area: "
                   "population; colour: intensity; arrows: rivers.",
           "days": "Time since start (days)",
           "tl_note": "n = 1 run per regime (replication 0). Bars: hazard above 1% of its peak; "
                      "triangle: warning received; dot: arrival."},
    "zh": {"day": "第{d:.1f}天", "intensity": "风险强度（相对峰值）",
           "note": "每种模式n = 1次运行（第0次重复，同一随机种子、同一风险）。"
                   "圆面积：人口；颜色：强度；箭头：河流。",
           "days": "事件开始后时间（天）",
           "tl_note": "每种模式n = 1次运行（第0次重复）。条：风险超过峰值的1%；"
                      "三角：收到预警；圆点：风险到达。"},
}


RIVER_COLOUR = "#56B4E9"
FLOW_COLOUR = "#3A3A3A"
MIN_FLOW_SHARE = 0.05  # compensation flows below this share of the widest are not drawn
MAX_FLOWS = 12  # and at most this many, the largest, per panel (a map, not a hairball)
MAP_WORDS = {
    "en": {"net_burden": "Net burden (100 million CNY)",
           "loss": "Loss (100 million CNY)",
           "log_scale": "colour scale linear within ±{t} and logarithmic beyond",
           "what_net_burden": "mean net burden (what a city lost or paid minus what it "
                              "received)",
           "what_loss": "mean loss",
           "river": "River (upstream → downstream)",
           "flow": "Compensation (payer → recipient)",
           "pop": "{v:g} million people",
           "map_note": "n = {n} runs per regime, mean; circle area: population; colour: {what}",
           "river_note": "blue arrows: rivers, upstream to downstream",
           "flow_note": "grey curved arrows: compensation (fund contributions and payouts, "
                        "bilateral transfers), each net payer's net payment split over the net "
                        "recipients in proportion to what they receive, width proportional to "
                        "the amount (widest {w:.3g} × 100 million CNY per run; flows below 5% "
                        "of that, and beyond the 12 largest of a panel, not drawn)",
           "no_flows": "no compensation payments in these runs",
           "outside": "paid into the fund from outside the region (not drawn), mean per run "
                      "in 100 million CNY: {items}",
           "varies": "the layout differs between replications (a drawn synthetic region), so "
                     "only replication 0 is shown"},
    "zh": {"net_burden": "净负担（亿元）",
           "loss": "损失（亿元）",
           "log_scale": "色标在±{t}以内为线性，以外为对数",
           "what_net_burden": "平均净负担（损失与各项支出减去所获收入）",
           "what_loss": "平均损失",
           "river": "河流（上游 → 下游）",
           "flow": "补偿资金流向（付出方 → 受偿方）",
           "pop": "{v:g}万人",
           "map_note": "每种治理模式 n = {n} 次运行的均值；圆面积：人口；颜色：{what}",
           "river_note": "蓝色箭头：河流，由上游指向下游",
           "flow_note": "灰色弧形箭头：补偿资金流向（基金缴费与补偿、横向生态补偿），每个净付出"
                        "城市的净付出按各净受偿城市所获补偿的比例分配，线宽与金额成正比（最宽为"
                        "每次运行{w:.3g}亿元；不足其5%的及每幅图最大的12条以外的未绘出）",
           "no_flows": "这些运行中没有补偿资金往来",
           "outside": "来自区域外部的基金资金（未绘出），每次运行均值（亿元）：{items}",
           "varies": "各次重复的区域布局不同（随机生成的合成区域），故只显示第0次重复"},
}


def load(path: Path) -> tuple[pd.DataFrame, dict[int, dict]] | None:
    """Per-city series and the region of each recorded run, or None if none were recorded."""
    folder = Path(path) / CITIES_DIR
    files = sorted(folder.glob("chunk-*.parquet"))
    if not files:
        return None
    frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    regions = {int(p.stem.split("-")[1]): json.loads(p.read_text(encoding="utf-8"))
               for p in folder.glob("region-*.json")}
    return frame, regions


def _first_runs(runs: pd.DataFrame, frame: pd.DataFrame, order: list[str]) -> list[tuple]:
    recorded = runs[runs["run_id"].isin(frame["run_id"].unique())]
    point = recorded["point"].min() if "point" in recorded else 0
    picks = []
    for regime in order:
        rows = recorded[(recorded["regime"] == regime) & (recorded.get("point", 0) == point)]
        if len(rows):
            picks.append((regime, int(rows["run_id"].iloc[0])))
    return picks


def _recorded(runs: pd.DataFrame, data, style):
    """(frame, regions, picks, words) for the recorded runs, or None when there are none."""
    if data is None:
        return None
    frame, regions = data
    picks = _first_runs(runs, frame, style.order)
    return (frame, regions, picks, WORDS[style.lang]) if picks else None


def incident_map(runs: pd.DataFrame, data, style, snapshots: int = 4):
    """Small multiples: one row per regime, columns at moments of the incident."""
    if (recorded := _recorded(runs, data, style)) is None:
        return None
    frame, regions, picks, words = recorded
    active = frame[frame["intensity"] > 0]
    if active.empty:
        return None
    hours = regions[picks[0][1]]["step_hours"]
    peak = float(active["intensity"].max())
    # Snapshots when the hazard peaks in successive cities of the first regime's run, so a
    # slug that takes days between cities is caught in each of them.
    first_run = active[(active["run_id"] == picks[0][1]) & (active["intensity"] > peak * 1e-3)]
    peaks = np.unique(first_run.loc[first_run.groupby("city")["intensity"].idxmax(), "step"])
    if len(peaks) == 0:
        return None
    steps = peaks[np.unique(np.linspace(0, len(peaks) - 1, snapshots).round().astype(int))]
    norm = LogNorm(vmin=peak * 1e-3, vmax=peak)
    fig, axes = plt.subplots(len(picks), len(steps), figsize=(7.2, 1.9 * len(picks) + 0.6),
                             squeeze=False)
    scatter = None
    for row, (regime, run_id) in enumerate(picks):
        region = regions[run_id]
        lat, lon = np.array(region["lat"]), np.array(region["lon"])
        size = 12 + 140 * np.array(region["population_m"]) / max(region["population_m"])
        run = frame[frame["run_id"] == run_id]
        for col, step in enumerate(steps):
            ax = axes[row][col]
            for a, b in region["rivers"]:
                ax.annotate("", xy=(lon[b], lat[b]), xytext=(lon[a], lat[a]),
                            arrowprops={"arrowstyle": "-|>", "color": "#56B4E9", "lw": 1.0,
                                        "shrinkA": 4, "shrinkB": 4})
            now = run[run["step"] == step].set_index("city")["intensity"]
            value = np.array([now.get(i, 0.0) for i in range(len(lat))])
            ax.scatter(lon, lat, s=size, facecolors="none", edgecolors="#999999", linewidths=0.5)
            hit = value > peak * 1e-3
            scatter = ax.scatter(lon[hit], lat[hit], s=size[hit], c=value[hit], cmap="cividis",
                                 norm=norm, edgecolors="black", linewidths=0.4)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_aspect("equal", adjustable="datalim")
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(True)
                spine.set_color("#cccccc")
            if row == 0:
                ax.set_title(words["day"].format(d=(step + 1) * hours / 24), fontsize=8)
            if row == 0 and col == 0:  # name the cities once
                names = region["names_zh"] if style.lang == "zh" else region["names_en"]
                for x, y, name in zip(lon, lat, names, strict=True):
                    ax.annotate(name, (x, y), xytext=(0, -7), textcoords="offset points",
                                ha="center", va="top", fontsize=5, color="#333333")
            if col == 0:  # a row title, not an axis label: the map has no axes
                ax.text(-0.08, 0.5, style.label(regime), transform=ax.transAxes, rotation=90,
                        ha="right", va="center", fontsize=8)
    if scatter is not None:
        bar = fig.colorbar(scatter, ax=axes, shrink=0.8, pad=0.02)
        bar.set_label(words["intensity"])
        bar.set_ticks([peak * 1e-3, peak * 1e-2, peak * 1e-1, peak])
        bar.set_ticklabels(["0.001", "0.01", "0.1", "1"])
    fig.text(0.01, 0.0, words["note"], fontsize=6.5, color="#444444", ha="left", va="top")
    return fig


def incident_timeline(runs: pd.DataFrame, data, style):
    """Per city: when the hazard was there, when the warning came, when it arrived."""
    if (recorded := _recorded(runs, data, style)) is None:
        return None
    frame, regions, picks, words = recorded
    region = regions[picks[0][1]]
    n = len(region["ids"])
    names = region["names_zh"] if style.lang == "zh" else region["names_en"]
    hours = region["step_hours"]
    fig, ax = plt.subplots(figsize=(7.2, 0.9 + 0.32 * n * len(picks) / 1.5))
    height = 0.8 / len(picks)
    present = 0.01 * float(frame["intensity"].max())  # 1% of the peak counts as present
    for k, (regime, run_id) in enumerate(picks):
        st = style.of(regime)
        run = frame[(frame["run_id"] == run_id) & (frame["intensity"] > present)]
        inc = regions[run_id]["incidents"][0] if regions[run_id]["incidents"] else None
        for city in range(n):
            y = city + (k - (len(picks) - 1) / 2) * height
            days = (run.loc[run["city"] == city, "step"].to_numpy() + 1) * hours / 24
            if len(days):
                ax.broken_barh([(days.min(), days.max() - days.min() + hours / 24)],
                               (y - height / 2, height * 0.9), color=st["color"], alpha=0.35)
            if inc is not None:
                if inc["informed"][city] >= 0:
                    ax.plot((inc["informed"][city] + 1) * hours / 24, y, marker="v",
                            color=st["color"], markersize=4, linestyle="none")
                if inc["arrival"][city] >= 0:
                    ax.plot((inc["arrival"][city] + 1) * hours / 24, y, marker="o",
                            color="black", markersize=2.5, linestyle="none")
        ax.plot([], [], color=st["color"], linewidth=5, alpha=0.5, label=style.label(regime))
    ax.set_yticks(range(n), names)
    ax.invert_yaxis()
    ax.set_xlabel(words["days"])
    ax.legend(frameon=False, loc="lower right", fontsize=7)
    fig.text(0.01, 0.0, words["tl_note"], fontsize=6.5, color="#444444", ha="left", va="top")
    fig.tight_layout()
    return fig


def compensation_flows(fund_in: np.ndarray, fund_out: np.ndarray,
                       bilateral: np.ndarray | None = None) -> np.ndarray:
    """F[i, j]: what city i's net payment contributes to city j's net receipt, splitting each
    net payer's payment over the net recipients in proportion to what they receive (the fund
    pools the money, so this is one reading of who pays whom). Payments are fund
    contributions and, when given, bilateral (Xin'an) transfers paid minus received; receipts
    are fund payouts. The rest of the receipts, sum(F) < sum(net receipts), came from outside
    the region."""
    net = np.asarray(fund_out, dtype=float) - np.asarray(fund_in, dtype=float)
    if bilateral is not None:
        net = net - np.asarray(bilateral, dtype=float)
    pay, receive = np.clip(-net, 0.0, None), np.clip(net, 0.0, None)
    total = receive.sum()
    if total <= 0 or pay.sum() <= 0:
        return np.zeros((len(net), len(net)))
    share = min(1.0, pay.sum() / total)  # contributors cannot fund more than is received
    return np.outer(pay / pay.sum(), receive) * share


def drawn_flows(flows: np.ndarray, widest: float) -> list[tuple[int, int]]:
    """(payer, recipient) of the flows a map draws: at least MIN_FLOW_SHARE of the widest
    flow of the chart, at most MAX_FLOWS of them, the largest first."""
    i, j = np.nonzero(flows >= MIN_FLOW_SHARE * widest) if widest > 0 else ((), ())
    order = np.argsort(-flows[i, j], kind="stable")[:MAX_FLOWS]
    return [(int(i[k]), int(j[k])) for k in order]


def _nice(value: float) -> float:
    """value rounded to one significant figure."""
    if value <= 0:
        return 0.0
    mag = 10 ** np.floor(np.log10(value))
    return float(round(value / mag) * mag)


def colour_scale(values: np.ndarray, signed: bool):
    """(cmap, norm, words key of the scale) for values coloured on one scale in every panel:
    a diverging red-blue scale centred on 0 when `signed` values take both signs, else the
    sequential cividis; symmetric-logarithmic when a few cities dwarf the rest (the largest
    more than 10 times the median), so that the others do not all look alike."""
    size = np.abs(values[np.isfinite(values)])
    top = float(size.max()) if len(size) else 0.0
    top = top if top > 0 else 1.0
    middle = float(np.median(size)) if len(size) else top
    skewed = top > 10 * max(middle, 1e-12 * top)
    both = signed and values.min() < 0 < values.max()
    cmap = plt.get_cmap("RdBu_r" if both else "cividis")
    low = -top if both else min(0.0, float(values.min()))
    if skewed:
        step = _nice(max(middle, top / 1000))
        return cmap, SymLogNorm(linthresh=step, vmin=low, vmax=top, base=10), "log_scale"
    return cmap, (CenteredNorm(0.0, top) if both else Normalize(low, top)), ""


def symlog_ticks(norm) -> list[float]:
    """0, the linear threshold and its powers of ten up to the end of the scale, both signs
    when the scale has both."""
    t, top = float(norm.linthresh), float(norm.vmax)
    up = [t * 10**k for k in range(12) if t * 10**k <= top * 1.0001]
    down = [-v for v in reversed(up)] if norm.vmin < 0 else []
    return [*down, 0.0, *up]


def region_map(runs: pd.DataFrame, accounts: pd.DataFrame | None, regions: dict | None,
               style, swept: list[str] | None = None, point: int | None = None,
               colour: str = "net_burden", flows: bool = True):
    """The region once per regime: cities at their longitude and latitude, circle area by
    population, colour by mean net burden (or `colour="loss"`) on one scale for all panels,
    rivers as blue arrows from upstream to downstream and compensation through the fund as
    grey curved arrows from payers to recipients, at one sweep point (the middle one unless
    `point` names another); the mean is over the replications."""
    from sim import plots

    if accounts is None or colour not in ("net_burden", "loss") or \
            (picked := plots.at_point(runs, point)) is None:
        return None
    sel, chosen, k = picked
    data = accounts.merge(sel[["run_id", "regime", "replication"]], on="run_id")
    if data.empty:
        return None
    words = MAP_WORDS[style.lang]
    varies = bool((data.groupby("city")[["lon", "lat", "population_m"]].nunique() > 1)
                  .to_numpy().any())
    if varies:  # a drawn layout: city i is elsewhere in every replication
        data = data[data["replication"] == 0]
        sel = sel[sel["replication"] == 0]
    regimes = [r for r in style.present(sel) if r in set(data["regime"])]
    money = [c for c in ("fund_in", "fund_out", "bilateral") if c in data]
    means = data.groupby(["regime", "city"])[
        list(dict.fromkeys([colour, *money, "lon", "lat", "population_m"]))].mean()
    first = data[data["regime"] == regimes[0]]
    first = first[first["run_id"] == first["run_id"].min()].sort_values("city")
    names = first["name_zh" if style.lang == "zh" else "name_en"].astype(str).tolist()
    rivers = {}
    for regime in regimes:
        ids = sel.loc[(sel["regime"] == regime) & (sel["replication"] == 0), "run_id"]
        record = next((regions[int(i)] for i in ids if regions and int(i) in regions), None)
        rivers[regime] = record["rivers"] if record else []
    flow = {r: compensation_flows(means.loc[r, "fund_in"].to_numpy(),
                                  means.loc[r, "fund_out"].to_numpy(),
                                  means.loc[r, "bilateral"].to_numpy() if "bilateral" in means
                                  else None) for r in regimes}
    widest = max(float(f.max()) for f in flow.values()) if flows else 0.0

    cmap, norm, scale = colour_scale(means[colour].to_numpy(dtype=float),
                                     signed=colour == "net_burden")
    lon, lat = means["lon"].to_numpy(dtype=float), means["lat"].to_numpy(dtype=float)
    top_pop = float(means["population_m"].max())
    area = 14 + 220 * means["population_m"] / top_pop  # points^2, one scale for all panels
    squash = float(np.cos(np.radians(lat.mean())))
    dx = (np.ptp(lon) * squash) or 1.0
    reach = max(dx, float(np.ptp(lat)))  # the region's extent, degrees of latitude
    ratio = float(np.clip((np.ptp(lat) + 0.25 * dx) / (1.25 * dx), 0.35, 1.3))
    ncols = 1 if len(regimes) == 1 else 2
    nrows = math.ceil(len(regimes) / ncols)
    flat = ratio < 0.6  # a wide region: the colour bar goes under the maps
    width = (plots.DOUBLE - (0.2 if flat else 0.9)) / ncols
    height = min(width * ratio, 2.5)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, layout="constrained",
                             figsize=(plots.DOUBLE if ncols > 1 else plots.SINGLE + 0.9,
                                      nrows * (height + 0.3) + (1.3 if flat else 0.8)))
    label_size = 5.5 if len(names) <= 15 else 4.5
    for idx, ax in enumerate(axes.ravel()):
        if idx >= len(regimes):
            ax.set_visible(False)
            continue
        regime = regimes[idx]
        m = means.loc[regime]
        x, y = m["lon"].to_numpy(dtype=float), m["lat"].to_numpy(dtype=float)
        s = area.loc[regime].to_numpy(dtype=float)
        radius = np.sqrt(s) / 2  # points
        for a, b in rivers[regime]:
            ax.annotate("", xy=(x[b], y[b]), xytext=(x[a], y[a]),
                        arrowprops={"arrowstyle": "-|>", "color": RIVER_COLOUR, "lw": 1.0,
                                    "shrinkA": radius[a] + 1, "shrinkB": radius[b] + 1,
                                    "mutation_scale": 7})
        if flows and widest > 0:
            f = flow[regime]
            for i, j in drawn_flows(f, widest):
                lw = 0.4 + 1.8 * f[i, j] / widest
                ax.annotate("", xy=(x[j], y[j]), xytext=(x[i], y[i]), zorder=3,
                            arrowprops={"arrowstyle": "-|>", "color": FLOW_COLOUR, "lw": lw,
                                        "alpha": 0.7, "connectionstyle": "arc3,rad=0.3",
                                        "shrinkA": radius[i] + 1, "shrinkB": radius[j] + 2,
                                        "mutation_scale": 6 + lw})
        ax.scatter(x, y, s=s, c=m[colour].to_numpy(dtype=float), cmap=cmap, norm=norm,
                   edgecolors="black", linewidths=0.5, zorder=4)
        ax.set_aspect(1 / squash, adjustable="datalim")
        # one frame for every panel, with room for the names under the lowest circles
        ax.set_xlim(lon.min() - 0.08 * reach / squash, lon.max() + 0.08 * reach / squash)
        ax.set_ylim(lat.min() - 0.14 * reach, lat.max() + 0.08 * reach)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_color("#cccccc")
        ax.set_title(plots.wrap(style.label(regime), 0.95 * width * 72, plots.measure_in(fig, 8)))
        if idx == 0:  # name the cities once
            for xi, yi, r, name in zip(x, y, radius, names, strict=True):
                ax.annotate(name, (xi, yi), xytext=(0, -r - 1.5), textcoords="offset points",
                            ha="center", va="top", fontsize=label_size, color="#222222",
                            zorder=5, path_effects=[withStroke(linewidth=1.6,
                                                               foreground="white")])
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=axes.ravel().tolist(),
                       location="bottom" if flat else "right", shrink=0.6 if flat else 0.8,
                       pad=0.02, aspect=30 if flat else 25)
    bar.set_label(words[colour])
    if isinstance(norm, SymLogNorm):  # plain numbers, not powers of ten in mathtext
        ticks = symlog_ticks(norm)
        minus = "\u2212" if matplotlib.rcParams["axes.unicode_minus"] else "-"
        bar.set_ticks(ticks, labels=[f"{v:g}".replace("-", minus) for v in ticks])
        bar.minorticks_off()
    bar.ax.tick_params(labelsize=6.5)
    refs = sorted({_nice(top_pop), _nice(top_pop / 4)} - {0.0})
    handles, labels = [], []
    if any(rivers.values()):
        handles.append(Line2D([], [], color=RIVER_COLOUR, lw=1.0))
        labels.append(words["river"])
    if widest > 0:
        handles.append(Line2D([], [], color=FLOW_COLOUR, lw=1.6, alpha=0.7))
        labels.append(words["flow"])
    for v in refs:
        handles.append(Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
                              markeredgecolor="black", markeredgewidth=0.5,
                              markersize=float(np.sqrt(14 + 220 * v / top_pop))))
        labels.append(words["pop"].format(v=v if style.lang == "en" else v * 100))
    plots.entries_on_top(fig, handles, labels, labelspacing=0.9)
    parts = [words["map_note"].format(n=plots._range(sel.groupby("regime").size()),
                                      what=words[f"what_{colour}"]),
             words["river_note"] if any(rivers.values()) else "",
             words[scale].format(t=f"{getattr(norm, 'linthresh', 0):g}") if scale else "",
             words["flow_note"].format(w=widest) if widest > 0 else
             words["no_flows"] if flows else "",
             plots.point_words(style, sel, swept, chosen, point, k)]
    books = data.groupby(["regime", "run_id"])[["fund_in", "fund_out"]].sum()
    outside = (books["fund_out"] - books["fund_in"]).groupby(level=0).mean()
    items = [f"{style.label(r)} {outside[r]:.3g}" for r in regimes if outside.get(r, 0) > 1e-9]
    if flows and items:
        parts.append(words["outside"].format(items=(", " if style.lang == "en" else "，")
                                             .join(items)))
    if varies:
        parts.append(words["varies"])
    plots.note(fig, style.join(parts))
    return fig
