"""Conclusions under parameter uncertainty (参数不确定性下的结论).

A study's `uncertain:` block draws the parameters we do not know well from their plausible
ranges (sim/sources.py: `SOURCES[path].range`, or ranges given in the block) by a seeded Latin
hypercube, and runs every regime at every draw, with the same seeds:

    uncertain:
      parameters: [region.attenuation, river_spill.half_damage]   # their documented ranges
      # or {region.attenuation: [0.6, 0.95]}                       # ranges of your own
      draws: 20
      seed: 0

Each draw is one more sweep point (crossed with the study's sweep, if any): the plan is regimes
x sweep points x draws x replications. The draws' values are columns of runs.csv like swept
parameters, but tables and charts pool over them (the study's mean over what we do not know);
this module then asks, per regime, outcome and sweep point, how the comparison with the
baseline fares across the draws: for each draw the paired difference (regime - baseline, mean
over the replications, which share their seeds), then the share of draws in which the regime
beats the baseline (lower for losses, costs and delays; higher for warning lead, trust and
cooperation), the median difference and its 5-95% range over the draws. The report shows it in
a table and the chart figures/uncertainty.png (uncertainty_zh.png); uncertainty.csv has the
summary, uncertainty_draws.csv every draw.

Kept apart from the sweep kinds of sim/scenario.py: its sampler (`latin_hypercube`) is its own,
so a study may both sweep a parameter it controls and draw those it does not know.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim import safeio

if TYPE_CHECKING:
    from sim.study import Results

KEYS = ("parameters", "draws", "seed")
MAX_DRAWS = 100_000
FILE = "uncertainty.csv"
DRAWS_FILE = "uncertainty_draws.csv"
CHART = "uncertainty"
# Outcomes where more is better; every other outcome is better lower (losses, costs, delays,
# concealment, inequality).
HIGHER_IS_BETTER = ("warning_lead_time", "warning_lead_median", "warned_in_time",
                    "mass_captured", "cooperation_rate", "cooperation_propensity",
                    "mean_trust", "min_trust", "source_control", "source_control_ratio")


def higher_is_better(outcome: str) -> bool:
    from sim.metrics import HAZARD_KINDS

    for kind in HAZARD_KINDS:
        outcome = outcome.removesuffix(f"_{kind}")
    return outcome in HIGHER_IS_BETTER


def latin_hypercube(bounds: dict[str, tuple[float, float]], n: int, root_seed: int,
                    seed: int) -> list[dict[str, float]]:
    """n points over the bounds, one in each of n equal strata of every range (strata paired at
    random across parameters), from a generator seeded by (root seed, seed)."""
    rng = np.random.default_rng([root_seed, seed, 23])
    d = len(bounds)
    strata = np.argsort(rng.random((d, n)), axis=1).T  # a random permutation per parameter
    u = (strata + rng.random((n, d))) / n
    lo = np.array([b[0] for b in bounds.values()], dtype=float)
    hi = np.array([b[1] for b in bounds.values()], dtype=float)
    rows = lo + u * (hi - lo)
    return [{p: float(v) for p, v in zip(bounds, row, strict=True)} for row in rows]


def check(block: Any, regimes: list, swept: list[str], design: dict | None, root_seed: int,
          bad) -> dict[str, Any] | None:
    """Validate an `uncertain:` block (reporting through `bad(path, message)`); return
    {parameters: {path: [low, high]}, draws, seed, values: [{path: value}, ...]} or None."""
    from sim.params import BY_PATH, suggest
    from sim.scenario import block_keys, coerce
    from sim.sources import SOURCES

    at = "uncertain"
    form = "{parameters: [path, ...] or {path: [low, high]}, draws: n, seed: s}"
    ok = block_keys(block, at, KEYS, ("parameters", "draws"), form, bad)
    if ok is None:
        return None
    draws, seed = block.get("draws"), block.get("seed", 0)
    if "draws" in block and (isinstance(draws, bool) or not isinstance(draws, int)
                             or not 2 <= draws <= MAX_DRAWS):
        bad(f"{at}.draws", f"expected an integer in [2, {MAX_DRAWS:,}], found {draws!r}")
        ok = False
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        bad(f"{at}.seed", f"expected an integer >= 0, found {seed!r}")
        ok = False
    spec = block.get("parameters")
    if isinstance(spec, list):
        if not spec:
            bad(f"{at}.parameters", "expected at least one parameter path")
            return None
        entries = {}
        for i, path in enumerate(spec):
            where = f"{at}.parameters[{i}]"
            if not isinstance(path, str) or path not in BY_PATH:
                bad(where, f"unknown parameter{suggest(str(path), BY_PATH)}")
                ok = False
            elif path in entries:
                bad(where, f"{path} is listed twice")
                ok = False
            elif SOURCES.get(path) is None or SOURCES[path].range is None \
                    or BY_PATH[path].kind not in ("float", "int"):
                bad(where, f"{path} has no documented plausible range (sim/sources.py); "
                           f"give one: parameters: {{{path}: [low, high]}}")
                ok = False
            else:
                entries[path] = (list(SOURCES[path].range), where)
    elif isinstance(spec, dict) and spec:
        entries = {str(p): (r, f"{at}.parameters.{p}") for p, r in spec.items()}
    else:
        if "parameters" in block:
            bad(f"{at}.parameters", f"expected a list of parameter paths or a mapping "
                                    f"{{path: [low, high]}}, found {spec!r}")
        return None
    bounds: dict[str, tuple[float, float]] = {}
    for path, (pair, where) in entries.items():
        if path not in BY_PATH:
            bad(where, f"unknown parameter{suggest(path, BY_PATH)}")
            ok = False
            continue
        if BY_PATH[path].kind not in ("float", "int"):
            bad(where, f"expected a numeric parameter; {path} is {BY_PATH[path].expected()}")
            ok = False
            continue
        if not (isinstance(pair, list | tuple) and len(pair) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in pair) and pair[0] < pair[1]):
            bad(where, f"expected [low, high] with low < high, found {pair!r}")
            ok = False
            continue
        try:
            for v in pair:
                coerce(path, v)
        except ValueError as exc:
            bad(where, str(exc))
            ok = False
            continue
        if path in swept:
            bad(where, f"{path} is also swept; a parameter is either swept (a setting you "
                       "choose) or uncertain (one you do not know), not both")
            ok = False
            continue
        from sim.params import DEFAULTS

        values = {r.key: r.settings.get(path, DEFAULTS[path]) for r in regimes}
        if len({repr(v) for v in values.values()}) > 1:  # the regimes differ in it
            shown = ", ".join(f"{k} {v!r}" for k, v in values.items())
            bad(where, f"the regimes set {path} differently ({shown}); a draw would override "
                       "their own values, so the comparison would no longer be of the regimes")
            ok = False
            continue
        bounds[path] = (float(pair[0]), float(pair[1]))
    if design is not None:
        bad(at, f"a {design['method']} sweep analyses its points in the order they are drawn; "
                "run the uncertainty draws in a study of their own")
        ok = False
    if not ok or not bounds:
        return None
    values = latin_hypercube(bounds, draws, root_seed, seed)
    for point in values:
        for path in point:
            if BY_PATH[path].kind == "int":
                point[path] = round(point[path])
    return {"parameters": {p: list(b) for p, b in bounds.items()}, "draws": draws,
            "seed": seed, "values": values}


def cross(points: list[dict[str, Any]], block: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The plan's points: every sweep point with every draw (draw d of sweep point s is point
    s * draws + d)."""
    if not block:
        return points
    return [{**p, **d} for p in points for d in block["values"]]


# --- the comparison across draws ---------------------------------------------------------------
def _block(results: Results) -> dict | None:
    return results.manifest["scenario"].get("uncertain")


def per_draw(results: Results, outcomes: list[str]) -> pd.DataFrame:
    """One row per regime (but the baseline), sweep point, draw and outcome: the paired
    difference regime - baseline, mean over the replications of that draw."""
    block = _block(results)
    runs = results.runs
    n = int(block["draws"])
    base = results.baseline
    cols = [o for o in outcomes if o in runs]
    frame = runs.assign(draw=runs["point"] % n, sweep_point=runs["point"] // n)
    keys = ["sweep_point", "draw", "replication"]
    b = frame[frame["regime"] == base].set_index(keys)[cols]
    rows = []
    for regime in [r for r in frame["regime"].unique() if r != base]:
        a = frame[frame["regime"] == regime].set_index(keys)[cols]
        diff = (a - b.reindex(a.index)).groupby(level=["sweep_point", "draw"]).mean()
        for (sp, d), row in diff.iterrows():
            for o in cols:
                rows.append({"regime": regime, "baseline": base, "sweep_point": int(sp),
                             "draw": int(d), **block["values"][int(d)], "outcome": o,
                             "mean_diff": float(row[o])})
    return pd.DataFrame(rows)


def summary(draws: pd.DataFrame) -> pd.DataFrame:
    """Per regime, sweep point and outcome: draws, share of draws in which the regime beats
    the baseline, median and 5-95% of the paired difference over the draws."""
    rows = []
    for (regime, sp, outcome), g in draws.groupby(["regime", "sweep_point", "outcome"],
                                                  sort=False):
        d = g["mean_diff"].to_numpy(dtype=float)
        d = d[np.isfinite(d)]
        up = higher_is_better(outcome)
        better = (d > 0) if up else (d < 0)
        rows.append({"regime": regime, "baseline": g["baseline"].iloc[0],
                     "sweep_point": sp, "outcome": outcome, "draws": len(d),
                     "better": "higher" if up else "lower",
                     "share_better": float(better.mean()) if len(d) else math.nan,
                     "median_diff": float(np.median(d)) if len(d) else math.nan,
                     "p05_diff": float(np.quantile(d, 0.05)) if len(d) else math.nan,
                     "p95_diff": float(np.quantile(d, 0.95)) if len(d) else math.nan})
    return pd.DataFrame(rows)


def compare(results: Results) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """(summary over the draws, every draw) for the report's headline outcomes, or None for a
    study without an `uncertain:` block."""
    if not _block(results):
        return None
    from sim.report import headline_outcomes  # (matplotlib with it: not for every study)

    draws = per_draw(results, headline_outcomes(results))
    return None if draws.empty else (summary(draws), draws)


def write(results: Results) -> list[Path]:
    """uncertainty.csv and uncertainty_draws.csv in the results folder (none without an
    `uncertain:` block)."""
    tables = compare(results)
    if tables is None:
        return []
    out = []
    for frame, name in zip(tables, (FILE, DRAWS_FILE), strict=True):
        out.append(safeio.atomic_write(results.path / name, lambda fh, f=frame: f.to_csv(
            fh, index=False, encoding="utf-8-sig"), root=results.path))
    return out


# --- chart ---------------------------------------------------------------------------------
WORDS = {
    "en": {"diff": "Regime − {base}: {outcome}",
           "beats": "better in {k} of {n} draws ({pct:.0f}%)",
           "note": "Each dot: one draw of the uncertain parameters ({params}; {n} draws, Latin "
                   "hypercube), the paired difference regime − {base} averaged over {reps} "
                   "replications with the same seeds. Bar: 5–95% of the draws; tick: median. "
                   "{better}",
           "better_lower": "Left of 0: the regime beats the baseline.",
           "better_mixed": "Lower is better except for {up}, where higher is better.",
},
    "zh": {"diff": "治理模式 − {base}：{outcome}",
           "beats": "{n}次抽样中{k}次更优（{pct:.0f}%）",
           "note": "每个点为不确定参数的一次抽样（{params}；共{n}次，拉丁超立方抽样），"
                   "点值为该治理模式减去{base}的配对差值（{reps}次相同种子的重复的均值）。"
                   "横条：5–95%的抽样；竖线：中位数。{better}",
           "better_lower": "0 的左侧表示该治理模式优于基准。",
           "better_mixed": "数值越低越好，{up}除外（越高越好）。",
},
}


def point_words(results: Results, sweep_point: int, lang: str) -> str:
    """The swept values of a sweep point, e.g. 'region reach = 24 h'."""
    from sim import plots

    sc = results.manifest["scenario"]
    n = int(sc["uncertain"]["draws"])
    point = (sc.get("sweep_points") or [{}])[sweep_point * n]
    sep = "，" if lang == "zh" else ", "
    return sep.join(plots.param_value(p, point[p], lang) for p in sc.get("swept", [])
                    if p in point) or str(sweep_point)


def chart(results: Results, table: pd.DataFrame, draws: pd.DataFrame, lang: str = "en"):
    """One panel per outcome; one row per regime (and sweep point): the draws' paired
    differences, their 5-95% bar and median, and the share of draws the regime is better."""
    import matplotlib.pyplot as plt

    from sim import plots

    w = WORDS[lang]
    regimes = results.manifest["scenario"]["regimes"]
    style = plots.Style(regimes, lang)
    base = style.label(results.baseline)
    outcomes = list(dict.fromkeys(table["outcome"]))
    points = sorted(table["sweep_point"].unique())
    order = [r for r in style.order if r in set(table["regime"])]
    rows = [(r, sp) for r in order for sp in points]
    block = _block(results)
    with plt.rc_context(plots.rc(lang)):
        fig = plt.figure(figsize=(7.2, 0.9 + (0.42 * len(rows) + 0.5) * len(outcomes)),
                         layout="constrained")
        axes = fig.subplots(len(outcomes), 1, squeeze=False)[:, 0]
        rng = np.random.default_rng(0)  # vertical jitter of the dots (display only)
        for ax, outcome in zip(axes, outcomes, strict=True):
            labels = []
            for y, (regime, sp) in enumerate(rows):
                st = style.of(regime)
                d = draws[(draws["regime"] == regime) & (draws["sweep_point"] == sp)
                          & (draws["outcome"] == outcome)]["mean_diff"].to_numpy(float)
                s = table[(table["regime"] == regime) & (table["sweep_point"] == sp)
                          & (table["outcome"] == outcome)].iloc[0]
                ax.scatter(d, y + 0.14 + rng.uniform(-0.1, 0.1, len(d)), s=9, color=st["color"],
                           marker=st["marker"], alpha=0.55, linewidths=0, zorder=2)
                ax.plot([s["p05_diff"], s["p95_diff"]], [y - 0.14] * 2, color=st["color"],
                        linewidth=2.4, solid_capstyle="butt", zorder=3)
                ax.plot([s["median_diff"]] * 2, [y - 0.27, y - 0.01], color="black",
                        linewidth=1.4, zorder=4)
                label = style.label(regime) + (f" · {point_words(results, sp, lang)}"
                                               if len(points) > 1 else "")
                labels.append(plots.wrap(label, 150) + "\n" + w["beats"].format(
                    k=round(s["share_better"] * s["draws"]), n=int(s["draws"]),
                    pct=100 * s["share_better"]))
            ax.axvline(0, color="#4d4d4d", linewidth=0.8, zorder=1)
            ax.set_yticks(range(len(rows)), labels)
            ax.set_ylim(len(rows) - 0.5, -0.5)
            ax.grid(axis="y", visible=False)
            ax.set_xlabel(w["diff"].format(outcome=plots.outcome_label(outcome, lang),
                                           base=base))
        ups = [plots.outcome_name(o, lang) for o in outcomes if higher_is_better(o)]
        better = (w["better_mixed"].format(up=("、" if lang == "zh" else ", ").join(ups))
                  if ups else w["better_lower"])
        reps = results.manifest["scenario"].get("replications", "?")
        plots.note(fig, w["note"].format(
            params=("、" if lang == "zh" else ", ").join(
                plots.param_name(p, lang) for p in block["parameters"]),
            n=block["draws"], base=base, reps=reps, better=better))
    return fig


def draw(results: Results, table: pd.DataFrame, draws: pd.DataFrame, lang: str) -> Path:
    from sim import plots

    fig = chart(results, table, draws, lang)
    folder = results.path / "figures"
    safeio.check_inside(results.path, folder / "x")
    return plots.save(fig, folder, CHART, lang)[0]


# --- report section ---------------------------------------------------------------------------
TEXT = {
    "en": {"h2": "Conclusions under parameter uncertainty",
           "intro": "{params} are not known well, so each was drawn from its plausible range "
                    "({ranges}) in {n} Latin-hypercube draws (seed {seed}); every regime ran "
                    "at every draw with the same seeds. Per draw, the paired difference "
                    "against {base} (mean over {reps} replications); below, over the draws: "
                    "in how many the regime is better, and by how much.",
           "regime": "Regime", "outcome": "Outcome", "point": "Sweep point",
           "share": "Better in (share of draws)", "median": "Median difference",
           "range": "5–95% of draws",
           "caption": "Paired difference against the baseline in each draw of the uncertain "
                      "parameters.",
           "files": "Every draw: uncertainty_draws.csv; this table: uncertainty.csv.",
           "of": "{k} of {n} ({pct:.0f}%)"},
    "zh": {"h2": "参数不确定性下的结论",
           "intro": "{params}的取值并不确定，因此在其合理范围（{ranges}）内进行{n}次拉丁超立方"
                    "抽样（种子{seed}）；每种治理模式在每次抽样下以相同的随机种子运行。"
                    "每次抽样计算相对{base}的配对差值（{reps}次重复的均值）；下表汇总全部抽样："
                    "该治理模式在多少次抽样中更优，以及差值大小。",
           "regime": "治理模式", "outcome": "结果指标", "point": "参数点",
           "share": "更优的抽样比例", "median": "差值中位数", "range": "抽样的5–95%",
           "caption": "不确定参数的每次抽样下，相对基准的配对差值。",
           "files": "每次抽样的结果：uncertainty_draws.csv；本表：uncertainty.csv。",
           "of": "{n}次中{k}次（{pct:.0f}%）"},
}


def table_rows(results: Results, table: pd.DataFrame, lang: str
               ) -> tuple[list[str], list[list[str]], list[int]]:
    """(header, rows, numeric columns) of the report's table over the draws."""
    from sim import plots
    from sim.report import number

    t = TEXT[lang]
    style = plots.Style(results.manifest["scenario"]["regimes"], lang)
    several = table["sweep_point"].nunique() > 1
    rows = []
    for _, s in table.iterrows():
        rows.append([style.label(s["regime"]), plots.outcome_label(s["outcome"], lang),
                     *([point_words(results, int(s["sweep_point"]), lang)] if several else []),
                     t["of"].format(k=round(s["share_better"] * s["draws"]),
                                    n=int(s["draws"]), pct=100 * s["share_better"]),
                     number(s["median_diff"]),
                     f"{number(s['p05_diff'])} to {number(s['p95_diff'])}" if lang == "en"
                     else f"{number(s['p05_diff'])} 至 {number(s['p95_diff'])}"])
    header = [t["regime"], t["outcome"], *([t["point"]] if several else []), t["share"],
              t["median"], t["range"]]
    k = 3 if several else 2
    return header, rows, [k, k + 1, k + 2]


def add_section(doc, results: Results, lang: str) -> None:
    """The report section of a study with an `uncertain:` block (nothing otherwise); also
    writes uncertainty.csv, uncertainty_draws.csv and the chart."""
    from sim import plots

    block = _block(results)
    if not block:
        return
    tables = compare(results)
    if tables is None:
        return
    table, draws = tables
    t = TEXT[lang]
    style = plots.Style(results.manifest["scenario"]["regimes"], lang)
    sep = "、" if lang == "zh" else ", "
    doc.add("h2", t["h2"])
    doc.add("p", t["intro"].format(
        params=sep.join(plots.param_name(p, lang) for p in block["parameters"]),
        ranges=sep.join(f"{plots.param_name(p, lang)} {lo:g}–{hi:g}"
                        for p, (lo, hi) in block["parameters"].items()),
        n=block["draws"], seed=block["seed"], base=style.label(results.baseline),
        reps=results.manifest["scenario"].get("replications", "?")))
    doc.add("table", *table_rows(results, table, lang))
    doc.add("note", t["files"])
    png = draw(results, table, draws, lang)
    doc.add("figure", png, t["caption"], png.relative_to(results.path).as_posix())
