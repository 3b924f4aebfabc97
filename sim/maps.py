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
from matplotlib.colors import CenteredNorm, Normalize, SymLogNorm
from matplotlib.lines import Line2D
from matplotlib.patheffects import withStroke

from sim import basemap, chunks
from sim.chunks import Chunks

CITIES_DIR = "cities"
NEVER = -1
WORDS = {
    "en": {"days": "Time since the incident started (d)",
           "loss_axis": "Loss from this incident (100 million CNY)",
           "warning": "Warning received", "arrival": "Hazard arrives",
           "event": "Origin: detected, reported; region: escalated, central command",
           "detected": "Detected by the origin", "reported": "Reported to the region",
           "escalated": "Escalated to the centre", "central": "Central command",
           "tl_note": "n = 1 run per regime (replication 0: every regime faces the same "
                      "incidents); triangle: the city is warned; circle: the hazard arrives; "
                      "solid line: warned before arrival, dotted: after; diamonds: the "
                      "origin's and the region's steps; bars: the city's loss from this "
                      "incident",
           "not_shown": "{k} more cities the incident reached or warned are not shown "
                        "(the smallest losses)",
           "never": "cities never warned or reached are not shown",
           "map_note": "n = 1 run per regime (replication 0: every regime faces the same "
                       "incidents); circle area: population; colour: the city's loss from "
                       "this incident; star: origin; thick dark edge: warned before the hazard "
                       "arrived; thick vermilion edge: reached without a warning in time; "
                       "grey hollow: not reached",
           "panel": "{regime}\nreached {r}, warned in time {w}",
           "in_time": "Warned in time", "late": "Reached, not warned in time",
           "unreached": "Not reached", "origin": "Origin"},
    "zh": {"days": "事件开始后时间（天）",
           "loss_axis": "本次事件造成的损失（亿元）",
           "warning": "收到预警", "arrival": "风险到达",
           "event": "发生地：发现、报告；区域：上报升级、上级统一指挥",
           "detected": "发生地发现", "reported": "向区域报告",
           "escalated": "上报上级", "central": "上级统一指挥",
           "tl_note": "每种治理模式n = 1次运行（第0次重复：各治理模式面对相同的事件）；"
                      "三角：城市收到预警；圆点：风险到达；实线：到达前已预警，虚线：到达后才预警；"
                      "菱形：发生地与区域的处置节点；条形：该城市在本次事件中的损失",
           "not_shown": "另有{k}个受波及或收到预警的城市损失较小，未列出",
           "never": "未收到预警且未受波及的城市未列出",
           "map_note": "每种治理模式n = 1次运行（第0次重复：各治理模式面对相同的事件）；"
                       "圆面积：人口；颜色：该城市在本次事件中的损失；星形：发生地；"
                       "粗深色边框：风险到达前已预警；粗橙红色边框：受波及但未及时预警；"
                       "灰色空心：未受波及",
           "panel": "{regime}\n受波及{r}个，及时预警{w}个",
           "in_time": "及时预警", "late": "受波及但未及时预警",
           "unreached": "未受波及", "origin": "发生地"},
}
MAX_TIMELINE_CITIES = 15  # rows of a timeline; the rest are named in the note
LATE_COLOUR = "#D55E00"


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


def reference_runs(sel: pd.DataFrame, regions: dict[int, dict], order: list[str],
                   baseline: str | None) -> list[tuple[str, int]]:
    """(regime, run id) of replication 0 of each regime among the runs `sel` whose region
    was recorded, the baseline first, then the study's order."""
    first = sel[sel["replication"] == 0] if "replication" in sel else sel
    picks = []
    for regime in order:
        ids = [int(i) for i in first.loc[first["regime"] == regime, "run_id"] if int(i) in regions]
        if ids:
            picks.append((regime, ids[0]))
    picks.sort(key=lambda p: p[0] != baseline)
    return picks


def chosen_incident(runs: pd.DataFrame, regions: dict | None, style, point=None, kind=None,
                    origin=None, rank: int = 1, baseline: str | None = None):
    """(Chosen incident, runs of the point, chosen point, number of points), or None."""
    from sim import incidents, plots

    if not regions or (picked := plots.at_point(runs, point)) is None:
        return None
    sel, at, k = picked
    picks = reference_runs(sel, regions, style.order, baseline)
    if not picks:
        return None
    chosen = incidents.pick(picks, regions, kind, origin, rank)
    return (chosen, sel, at, k) if chosen is not None else None


def _names(region: dict, lang: str) -> list[str]:
    return region["names_zh" if lang == "zh" else "names_en"]


def title(fig, chosen, style) -> str:
    """The chart's title: which incident it follows and how it was chosen."""
    from sim import plots

    return plots.wrap(chosen.describe(style.lang, style.labels), 0.95 * plots.DOUBLE * 72,
                      plots.measure_in(fig, 8))


def timeline_rows(chosen) -> tuple[list[int], int]:
    """The cities a timeline shows: the origin, then those any regime warned or reached,
    by arrival in the reference run (warning where never reached); at most
    MAX_TIMELINE_CITIES (the largest losses); and how many were left out."""
    first = chosen.first
    n = len(first["arrival"])
    origin = int(first["origin"])
    touched = [c for c in range(n) if c != origin and any(
        inc["arrival"][c] >= 0 or inc["informed"][c] >= 0 for inc in chosen.records.values())]
    loss = {c: max((inc.get("loss") or [0.0] * n)[c] for inc in chosen.records.values())
            for c in touched}
    kept = sorted(touched, key=lambda c: -loss[c])[:MAX_TIMELINE_CITIES - 1]
    big = 10**9

    def when(c: int) -> tuple:
        a = [inc["arrival"][c] for inc in chosen.records.values() if inc["arrival"][c] >= 0]
        w = [inc["informed"][c] for inc in chosen.records.values() if inc["informed"][c] >= 0]
        return (min(a) if a else big, min(w) if w else big, c)

    return [origin, *sorted(kept, key=when)], len(touched) - len(kept)


def incident_timeline(runs: pd.DataFrame, regions: dict | None, style,
                      swept: list[str] | None = None, point: int | None = None,
                      kind: str | None = None, origin: str | int | None = None, rank: int = 1,
                      baseline: str | None = None):
    """One incident, followed in every regime: per city, when the warning came (triangle)
    and when the hazard arrived (circle), days since the incident started, with the origin's
    detection and report and the region's escalation as the top rows; on the right, each
    city's loss from this incident. The incident is the largest by loss in the baseline's
    run (replication 0) at one sweep point, or the `rank`-th largest, among those of `kind`
    and from `origin` when given; the title says which."""
    from sim import plots

    got = chosen_incident(runs, regions, style, point, kind, origin, rank, baseline)
    if got is None:
        return None
    chosen, sel, at, k = got
    words = WORDS[style.lang]
    regimes = [r for r in style.order if r in chosen.records]
    region = chosen.regions[chosen.reference]
    hours = region["step_hours"]
    cities, left_out = timeline_rows(chosen)
    names = _names(region, style.lang)
    steps = [("detected", "detected_step"), ("reported", "report_step")]
    steps += [(w, key) for w, key in (("escalated", "escalated_step"),
                                      ("central", "central_step"))
              if any(inc.get(key, NEVER) >= 0 for inc in chosen.records.values())]
    labels = [words[w] for w, _ in steps] + [names[c] for c in cities]
    m = len(regimes)
    rows = len(labels)
    row_h = min(0.16 + 0.09 * m, 8.0 / rows)
    fig, (ax, bars) = plt.subplots(1, 2, figsize=(plots.DOUBLE, 1.3 + rows * row_h),
                                   sharey=True, width_ratios=[3, 1.2], layout="constrained")
    height = 0.8 / m
    start = chosen.first["start_step"]
    handles = {}
    for j, regime in enumerate(regimes):
        st = style.of(regime)
        inc = chosen.records[regime]
        off = (j - (m - 1) / 2) * height

        def day(step: int) -> float:
            return (step - start) * hours / 24 if step >= 0 else np.nan

        ev = np.array([day(inc.get(key, NEVER)) for _w, key in steps])
        ax.plot(ev, np.arange(len(steps)) + off, linestyle="none", marker="D", markersize=3.5,
                color=st["color"], markeredgecolor="black", markeredgewidth=0.4,
                gid=f"events:{regime}", zorder=4)
        ys = len(steps) + np.arange(len(cities)) + off
        warned = np.array([day(inc["informed"][c]) for c in cities])
        arrived = np.array([day(inc["arrival"][c]) for c in cities])
        for y, w, a in zip(ys, warned, arrived, strict=True):
            if np.isfinite(w) and np.isfinite(a):
                ax.plot([w, a], [y, y], color=st["color"], linewidth=0.9,
                        linestyle="-" if w < a else ":", zorder=2)
        (handles[regime],) = ax.plot(warned, ys, linestyle="none", marker="v", markersize=4,
                                     color=st["color"], markeredgecolor="black",
                                     markeredgewidth=0.3, gid=f"warning:{regime}", zorder=3)
        ax.plot(arrived, ys, linestyle="none", marker="o", markersize=3.6,
                markerfacecolor="white", markeredgecolor=st["color"], markeredgewidth=1.1,
                gid=f"arrival:{regime}", zorder=3)
        loss = np.asarray(inc.get("loss") or [np.nan] * len(inc["arrival"]), dtype=float)
        bars.barh(ys, loss[cities], height=height * 0.9, color=st["color"], alpha=0.8,
                  gid=f"loss:{regime}")
    for a in (ax, bars):
        a.set_ylim(rows - 0.5, -0.5)
        a.grid(axis="y", visible=False)
        a.axhline(len(steps) - 0.5, color="#999999", linewidth=0.6)
    ax.set_yticks(range(rows), labels, fontsize=7 if rows <= 14 else 6)
    ax.set_xlabel(words["days"])
    ax.set_xlim(left=min(0.0, ax.get_xlim()[0]))
    bars.set_xlabel(plots.wrap(words["loss_axis"], 1.6 * 72, plots.measure_in(fig, 8)))
    bars.tick_params(labelleft=False)
    shapes = [Line2D([], [], linestyle="none", marker="v", color="#777777", markersize=4),
              Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
                     markeredgecolor="#777777", markersize=3.6)]
    plots.entries_on_top(fig, [handles[r] for r in regimes] + shapes,
                         [style.label(r) for r in regimes] + [words["warning"], words["arrival"]],
                         title=title(fig, chosen, style), title_fontsize=8)
    parts = [words["tl_note"], words["not_shown"].format(k=left_out) if left_out else
             words["never"], plots.point_words(style, sel, swept, at, point, k)]
    plots.note(fig, style.join(parts))
    return fig


def incident_map(runs: pd.DataFrame, regions: dict | None, style,
                 swept: list[str] | None = None, point: int | None = None,
                 kind: str | None = None, origin: str | int | None = None, rank: int = 1,
                 baseline: str | None = None):
    """One incident on the region's map, one panel per regime: circle area by population,
    colour by the city's loss from this incident (one scale for all panels), the origin
    starred, the edge saying whether the city was warned before the hazard arrived. Chosen
    as in incident_timeline(); the title says which incident it is."""
    from sim import plots

    got = chosen_incident(runs, regions, style, point, kind, origin, rank, baseline)
    if got is None:
        return None
    chosen, sel, at, k = got
    words = WORDS[style.lang]
    regimes = [r for r in style.order if r in chosen.records]
    region = chosen.regions[chosen.reference]
    lon, lat = np.array(region["lon"], dtype=float), np.array(region["lat"], dtype=float)
    pop = np.array(region["population_m"], dtype=float)
    n = len(lon)
    losses = {r: np.asarray(chosen.records[r].get("loss") or np.zeros(n), dtype=float)
              for r in regimes}
    cmap, norm, scale = colour_scale(np.concatenate(list(losses.values())), signed=False)
    squash = float(np.cos(np.radians(lat.mean())))
    dx = (np.ptp(lon) * squash) or 1.0
    reach = max(dx, float(np.ptp(lat)))
    ratio = float(np.clip((np.ptp(lat) + 0.25 * dx) / (1.25 * dx), 0.35, 1.3))
    ncols = 1 if len(regimes) == 1 else 2
    nrows = math.ceil(len(regimes) / ncols)
    width = (plots.DOUBLE - 0.9) / ncols
    height = min(width * ratio, 2.6)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, layout="constrained",
                             figsize=(plots.DOUBLE if ncols > 1 else plots.SINGLE + 0.9,
                                      nrows * (height + 0.45) + 1.2))
    area = 14 + 200 * pop / pop.max()
    origin_i = int(chosen.first["origin"])
    real, drawn_base = basemap.wanted(region.get("name", ""), lon, lat), False
    for idx, ax in enumerate(axes.ravel()):
        if idx >= len(regimes):
            ax.set_visible(False)
            continue
        regime = regimes[idx]
        inc = chosen.records[regime]
        arrival, informed = np.array(inc["arrival"]), np.array(inc["informed"])
        reached = arrival >= 0
        in_time = reached & (informed >= 0) & (informed < arrival)
        for a, b in region["rivers"]:
            ax.annotate("", xy=(lon[b], lat[b]), xytext=(lon[a], lat[a]),
                        arrowprops={"arrowstyle": "-|>", "color": RIVER_COLOUR, "lw": 0.9,
                                    "shrinkA": 5, "shrinkB": 5, "mutation_scale": 6})
        ax.scatter(lon[~reached], lat[~reached], s=area[~reached], facecolors="none",
                   edgecolors="#AAAAAA", linewidths=0.6, zorder=3)
        for mask, edge, lw in ((reached & in_time, "#1A1A1A", 1.4),
                               (reached & ~in_time, LATE_COLOUR, 1.6)):
            ax.scatter(lon[mask], lat[mask], s=area[mask], c=losses[regime][mask], cmap=cmap,
                       norm=norm, edgecolors=edge, linewidths=lw, zorder=4,
                       gid=f"{'in_time' if edge != LATE_COLOUR else 'late'}:{regime}")
        ax.scatter([lon[origin_i]], [lat[origin_i]], marker="*", s=70, color="white",
                   edgecolors="black", linewidths=0.6, zorder=6)
        ax.set_aspect(1 / squash, adjustable="box")
        ax.set_xlim(lon.min() - 0.1 * reach / squash, lon.max() + 0.1 * reach / squash)
        ax.set_ylim(lat.min() - 0.12 * reach, lat.max() + 0.1 * reach)
        if real:
            drawn_base = basemap.draw(ax, (*ax.get_xlim(), *ax.get_ylim())) or drawn_base
        map_frame(ax)
        ax.set_title(words["panel"].format(regime=style.label(regime),
                                           r=int((reached & (np.arange(n) != origin_i)).sum()),
                                           w=int((in_time & (np.arange(n) != origin_i)).sum())),
                     fontsize=7.5)
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=axes.ravel().tolist(),
                       shrink=0.8, pad=0.02, aspect=25)
    bar.set_label(plots.wrap(words["loss_axis"], 2.2 * 72, plots.measure_in(fig, 8)))
    if isinstance(norm, SymLogNorm):
        ticks = symlog_ticks(norm)
        bar.set_ticks(ticks, labels=[f"{v:g}" for v in ticks])
        bar.minorticks_off()
    bar.ax.tick_params(labelsize=6.5)
    keys = [Line2D([], [], linestyle="none", marker="o", markerfacecolor="#DDDDDD",
                   markeredgecolor="#1A1A1A", markeredgewidth=1.4, markersize=6),
            Line2D([], [], linestyle="none", marker="o", markerfacecolor="#DDDDDD",
                   markeredgecolor=LATE_COLOUR, markeredgewidth=1.6, markersize=6),
            Line2D([], [], linestyle="none", marker="o", markerfacecolor="none",
                   markeredgecolor="#AAAAAA", markersize=6),
            Line2D([], [], linestyle="none", marker="*", markerfacecolor="white",
                   markeredgecolor="black", markersize=8)]
    plots.entries_on_top(fig, keys, [words["in_time"], words["late"], words["unreached"],
                                     words["origin"]], title=title(fig, chosen, style),
                         title_fontsize=8)
    parts = [words["map_note"],
             MAP_WORDS[style.lang][scale].format(t=f"{getattr(norm, 'linthresh', 0):g}")
             if scale else "", plots.point_words(style, sel, swept, at, point, k),
             basemap.SOURCE[style.lang] if drawn_base else ""]
    plots.note(fig, style.join(parts))
    label_cities(axes.ravel()[0], lon, lat, _names(region, style.lang), np.sqrt(area) / 2,
                 5.5 if n <= 15 else 4.5)  # once the layout is complete
    return fig


# where a name may go around its circle: (dx, dy) direction, ha, va; below first
_SPOTS = ((0, -1, "center", "top"), (0, 1, "center", "bottom"), (1, 0, "left", "center"),
          (-1, 0, "right", "center"), (0.75, -0.75, "left", "top"),
          (-0.75, -0.75, "right", "top"), (0.75, 0.75, "left", "bottom"),
          (-0.75, 0.75, "right", "bottom"))


def map_frame(ax) -> None:
    """A map panel: no ticks or grid, a thin grey frame."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color("#cccccc")


def label_cities(ax, x, y, names, radius, size: float) -> list:
    """City names beside their circles, none over another name or another circle: each name,
    the most populous city first, takes the first free spot around its circle (below, above,
    right, left, then the diagonals), else the spot that overlaps least. `radius` is each
    circle's radius in points."""
    fig = ax.figure
    fig.canvas.draw()  # the layout fixes where the circles are
    renderer = fig.canvas.get_renderer()
    px = fig.dpi / 72
    centres = ax.transData.transform(np.column_stack([x, y]))
    circles = [(cx - r * px, cy - r * px, cx + r * px, cy + r * px)
               for (cx, cy), r in zip(centres, radius, strict=True)]
    placed: list[tuple[float, float, float, float]] = []
    texts = []

    def overlap(a, b) -> float:
        w = min(a[2], b[2]) - max(a[0], b[0])
        h = min(a[3], b[3]) - max(a[1], b[1])
        return w * h if w > 0 and h > 0 else 0.0

    for i in np.argsort(-np.asarray(radius), kind="stable"):
        best = None
        for dx, dy, ha, va in _SPOTS:
            gap = radius[i] + 1.2
            text = ax.annotate(names[i], (x[i], y[i]), xytext=(dx * gap, dy * gap),
                               textcoords="offset points", ha=ha, va=va, fontsize=size,
                               color="#222222", zorder=7,
                               path_effects=[withStroke(linewidth=1.6, foreground="white")])
            e = text.get_window_extent(renderer)
            box = (e.x0, e.y0, e.x1, e.y1)
            cost = sum(overlap(box, b) for b in placed) + sum(
                overlap(box, c) for k, c in enumerate(circles) if k != i)
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, text, box)
            else:
                text.remove()
            if cost == 0:
                break
        placed.append(best[2])
        texts.append(best[1])
    return texts


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

    if (accounts := Chunks.of(accounts)) is None or colour not in ("net_burden", "loss") or \
            (picked := plots.at_point(runs, point)) is None:
        return None
    sel, chosen, k = picked
    place = ["lon", "lat", "population_m"]
    spread = chunks.group_spread(accounts, sel["run_id"], "city", place)
    if spread is None:
        return None
    words = MAP_WORDS[style.lang]
    varies = bool((spread > 0).to_numpy().any())
    if varies:  # a drawn layout: city i is elsewhere in every replication
        sel = sel[sel["replication"] == 0]
    money = [c for c in ("fund_in", "fund_out", "bilateral") if c in accounts]
    means = chunks.group_means(accounts, sel, ["regime", "city"],
                               list(dict.fromkeys([colour, *money, *place])))
    regimes = [r for r in style.present(sel) if r in set(means.index.get_level_values(0))]
    first = int(sel.loc[sel["regime"] == regimes[0], "run_id"].min())
    column = "name_zh" if style.lang == "zh" else "name_en"
    names = chunks.rows(accounts, [first], ["city", column]).sort_values("city")[
        column].astype(str).tolist()
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
    name = next((regions[int(i)]["name"] for i in sel["run_id"] if regions and int(i) in regions),
                "")
    real, drawn_base = basemap.wanted(name, lon, lat) and not varies, False
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
        ax.set_aspect(1 / squash, adjustable="box")
        # one frame for every panel, with room for the names under the lowest circles
        ax.set_xlim(lon.min() - 0.08 * reach / squash, lon.max() + 0.08 * reach / squash)
        ax.set_ylim(lat.min() - 0.14 * reach, lat.max() + 0.08 * reach)
        if real:
            drawn_base = basemap.draw(ax, (*ax.get_xlim(), *ax.get_ylim())) or drawn_base
        map_frame(ax)
        ax.set_title(plots.wrap(style.label(regime), 0.95 * width * 72, plots.measure_in(fig, 8)))
        if idx == 0:  # name the cities once, when the layout is complete
            first_panel = (ax, x, y, radius)
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
    # a run's fund payouts beyond its contributions, mean by regime: the per-city means added up
    outside = (means["fund_out"] - means["fund_in"]).groupby(level=0).sum()
    items = [f"{style.label(r)} {outside[r]:.3g}" for r in regimes if outside.get(r, 0) > 1e-9]
    if flows and items:
        parts.append(words["outside"].format(items=(", " if style.lang == "en" else "，")
                                             .join(items)))
    if varies:
        parts.append(words["varies"])
    if drawn_base:
        parts.append(basemap.SOURCE[style.lang])
    plots.note(fig, style.join(parts))
    ax, x, y, radius = first_panel
    label_cities(ax, x, y, names, radius, label_size)
    return fig
