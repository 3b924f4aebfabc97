"""Maps of single incidents: where the hazard was, in which city, when; who was warned when.

They read the per-city series a study records for replication 0 of every regime and sweep
point (`record: {cities: true}`), plus the region saved beside it, so they can be redrawn from
the results folder alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm

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
