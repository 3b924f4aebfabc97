"""Global sensitivity analysis: which swept parameters move an outcome, and how much.

A study whose sweep is a ``morris`` or ``sobol`` sample (sim.scenario draws it with SALib from
the scenario's root seed) is analysed here from its results folder:

* **Morris screening** (elementary effects): for every regime, outcome and parameter, mu*
  (the mean absolute elementary effect: how much the outcome changes when the parameter moves
  across its range), its 95% confidence interval (bootstrap over trajectories), mu (the signed
  mean) and sigma (the spread of the effects: non-linearity or interactions). Cheap, for
  ranking 8-20 parameters.
* **Sobol indices** (Saltelli's sample): S1 (the share of the outcome's variance due to the
  parameter alone) and ST (including all its interactions), each with a 95% confidence
  interval (bootstrap over base samples). Costlier, for the few parameters that matter.
* A **full factorial grid** over two or more swept parameters gets the exact variance
  decomposition over its grid (every combination weighted equally), with 95% confidence
  intervals from a bootstrap over replications; so the chart also works for ordinary sweeps.

Every index is computed from the mean of the outcome over the replications of each sample
point. The model is stochastic: averaging R replications divides the noise variance by R, and
replication r of every point uses the same seed (common random numbers), so the difference
between two points of a Morris trajectory is mostly the parameter's effect and not noise.
Noise that remains shows up as sigma (Morris) or as ST above S1 (Sobol).

``sensitivity.csv`` (written with the other tables when the study has a morris or sobol sweep)
holds one row per method, regime, outcome and parameter; ``chart()`` draws the ``sensitivity``
chart. See docs/sensitivity.md.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim import safeio
from sim.analysis import BOOTSTRAP_SEED, outcome_columns

if TYPE_CHECKING:
    from sim.study import Results

METHODS = ("morris", "sobol", "grid")
CHART_OUTCOMES = ("total_loss", "spillover_loss")
CONF_LEVEL = 0.95
RESAMPLES = 1000
SEED = BOOTSTRAP_SEED  # fixed and non-zero: the same results give the same table, bit for bit
TABLE = "sensitivity.csv"
COMMON = ["method", "regime", "outcome", "parameter", "rank", "low", "high", "n_points",
          "n_per_point"]
COLUMNS = {
    "morris": ["mu_star", "mu_star_ci_low", "mu_star_ci_high", "mu", "sigma"],
    "sobol": ["S1", "S1_ci_low", "S1_ci_high", "ST", "ST_ci_low", "ST_ci_high"],
    "grid": ["S1", "S1_ci_low", "S1_ci_high", "ST", "ST_ci_low", "ST_ci_high"],
}
SECOND_ORDER = ["S2", "S2_ci_low", "S2_ci_high"]
# parameter units that sim.plots.UNIT_ZH does not translate (only the ranges on this chart
# show parameter units)
UNIT_ZH_MORE = {"1/city/yr": "每城每年", "1/d": "每天", "deg": "度", "index": "指数",
                "km/h": "千米/小时", "m3/s": "立方米/秒", "per 6 h": "每6小时", "persons": "人",
                "promises": "次承诺", "t/h": "吨/小时", "teams": "支队伍",
                "typical incidents": "个典型事件", "x duty cost": "倍履责成本"}


# --- the indices -------------------------------------------------------------------------------
def _problem(bounds: dict[str, Any]) -> dict[str, Any]:
    return {"num_vars": len(bounds), "names": list(bounds),
            "bounds": [[float(lo), float(hi)] for lo, hi in bounds.values()]}


def morris_indices(X: np.ndarray, Y: np.ndarray, bounds: dict[str, Any], levels: int
                   ) -> pd.DataFrame:
    """Morris mu*, its 95% CI, mu and sigma of each parameter (SALib.analyze.morris).

    X holds the sample points in the order they were drawn (one row per point, columns in the
    order of `bounds`), Y the outcome at each point. Effects are in the outcome's unit for a
    move across the parameter's whole range ([low, high] of `bounds`). The CI's lower end is
    clipped at 0 (mu* is a mean of absolute values)."""
    from SALib.analyze import morris

    res = morris.analyze(_problem(bounds), np.asarray(X, dtype=float),
                         np.asarray(Y, dtype=float), num_resamples=RESAMPLES,
                         conf_level=CONF_LEVEL, num_levels=levels, seed=SEED)
    mu_star = np.asarray(res["mu_star"], dtype=float)
    half = np.asarray(res["mu_star_conf"], dtype=float)
    return pd.DataFrame({"parameter": list(bounds), "mu_star": mu_star,
                         "mu_star_ci_low": np.maximum(0.0, mu_star - half),
                         "mu_star_ci_high": mu_star + half,
                         "mu": np.asarray(res["mu"], dtype=float),
                         "sigma": np.asarray(res["sigma"], dtype=float)})


def sobol_indices(Y: np.ndarray, bounds: dict[str, Any], second_order: bool = False
                  ) -> pd.DataFrame:
    """Sobol S1 and ST with 95% CIs (SALib.analyze.sobol) from the outcome at the points of a
    Saltelli sample, in the order they were drawn; with `second_order`, one more row per pair
    of parameters ("a × b") with S2."""
    from SALib.analyze import sobol

    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a constant outcome: 0/0, NaN
        res = sobol.analyze(_problem(bounds), np.asarray(Y, dtype=float),
                            calc_second_order=second_order, num_resamples=RESAMPLES,
                            conf_level=CONF_LEVEL, seed=SEED)
    out = {"parameter": list(bounds)}
    for key in ("S1", "ST"):
        value = np.asarray(res[key], dtype=float)
        half = np.asarray(res[f"{key}_conf"], dtype=float)
        out |= {key: value, f"{key}_ci_low": value - half, f"{key}_ci_high": value + half}
    table = pd.DataFrame(out)
    if second_order:
        names, rows = list(bounds), []
        for i, j in zip(*np.triu_indices(len(names), 1), strict=True):
            s2, half = float(res["S2"][i, j]), float(res["S2_conf"][i, j])
            rows.append({"parameter": f"{names[i]} × {names[j]}", "S2": s2,
                         "S2_ci_low": s2 - half, "S2_ci_high": s2 + half})
        table = pd.concat([table, pd.DataFrame(rows, columns=["parameter", *SECOND_ORDER])],
                          ignore_index=True)
    return table


def _anova(cube: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-order and total variance shares of every grid axis of `cube` (leading axis:
    bootstrap copies; then one axis per parameter), all cells weighted equally."""
    axes = tuple(range(1, cube.ndim))
    total = cube.var(axis=axes)
    s1, st = [], []
    for ax in axes:
        others = tuple(a for a in axes if a != ax)
        main = cube.mean(axis=others, keepdims=True) if others else cube
        s1.append(main.var(axis=axes))
        st.append(cube.var(axis=ax, keepdims=True).mean(axis=axes))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.array(s1) / total, np.array(st) / total


def grid_indices(runs: pd.DataFrame, params: list[str], outcome: str,
                 resamples: int = RESAMPLES) -> pd.DataFrame:
    """Exact variance shares over a full factorial grid: S1 = Var(E[Y | x_i]) / Var(Y) and
    ST = E[Var(Y | x_~i)] / Var(Y), with Y the mean over replications of each grid point and
    every point weighted equally; 95% CI from a percentile bootstrap over replications (fixed
    seed). `runs` holds one regime's rows."""
    levels = [sorted(runs[p].unique()) for p in params]
    shape = tuple(len(v) for v in levels)
    groups = runs.groupby(params, sort=True)[outcome]
    rng = np.random.default_rng(SEED)
    cube = np.full((resamples + 1, *shape), np.nan)
    for key, values in groups:
        key = key if isinstance(key, tuple) else (key,)
        idx = tuple(lv.index(k) for lv, k in zip(levels, key, strict=True))
        v = values.to_numpy(dtype=float)
        v = v[~np.isnan(v)]
        if not len(v):
            continue
        cube[(0, *idx)] = v.mean()
        cube[(slice(1, None), *idx)] = v[rng.integers(0, len(v), (resamples, len(v)))].mean(1)
    s1, st = _anova(cube)
    tail = 100 * (1 - CONF_LEVEL) / 2
    out: dict[str, Any] = {"parameter": params}
    for key, values in (("S1", s1), ("ST", st)):
        boot = values[:, 1:]
        ok = np.isfinite(boot).all(axis=1)
        lo, hi = np.full(len(params), np.nan), np.full(len(params), np.nan)
        if ok.any():
            lo[ok], hi[ok] = np.percentile(boot[ok], [tail, 100 - tail], axis=1)
        out |= {key: values[:, 0], f"{key}_ci_low": lo, f"{key}_ci_high": hi}
    return pd.DataFrame(out)


# --- from a results table --------------------------------------------------------------------
def grid_params(runs: pd.DataFrame, swept: list[str]) -> list[str] | None:
    """The swept parameters, if every regime's sweep points form a full factorial grid over two
    or more of them (each taking two or more values); else None."""
    params = [p for p in swept if p in runs and runs[p].nunique() > 1]
    if len(params) < 2 or "point" not in runs:
        return None
    points = runs.drop_duplicates("point")
    if math.prod(points[p].nunique() for p in params) != len(points) or \
            len(points.drop_duplicates(params)) != len(points):
        return None
    return params


def method_of(runs: pd.DataFrame, swept: list[str], design: dict | None) -> str | None:
    """'morris' or 'sobol' for a study with that sweep, 'grid' for a full factorial grid over
    two or more parameters, else None."""
    if design and design.get("method") in ("morris", "sobol"):
        return design["method"]
    return "grid" if grid_params(runs, swept) else None


def unavailable(runs: pd.DataFrame, swept: list[str], design: dict | None) -> str | None:
    """Why this study has no sensitivity indices (None if it has)."""
    if method_of(runs, swept, design):
        return None
    if not swept:
        has = "this study has no sweep"
    else:
        has = (f"this study sweeps {', '.join(swept)}, whose points are not a full grid over "
               "two or more parameters")
    return ("it needs a morris or sobol sweep (sweep: {morris: {trajectories: r, bounds: "
            "{path: [low, high]}}}, see docs/sensitivity.md) or a factorial sweep over two or "
            f"more parameters; {has}")


def _point_table(runs: pd.DataFrame, params: list[str], n_points: int, regime: str,
                 outcomes: list[str]) -> tuple[np.ndarray, pd.DataFrame, pd.Series]:
    """X (one row per sample point, in point order), the outcome means over replications per
    point and the number of runs per point, for one regime."""
    rows = runs[runs["regime"] == regime]
    by_point = rows.groupby("point", sort=True)
    ids = by_point.size().index.to_numpy()
    if len(ids) != n_points or (ids != np.arange(n_points)).any():
        raise ValueError(f"regime {regime}: the results hold {len(ids)} of the design's "
                         f"{n_points} sample points; a sensitivity analysis needs them all")
    X = by_point[params].first().to_numpy(dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a point where an outcome is all NaN
        means = by_point[outcomes].mean()
    return X, means, by_point.size()


def _design_points(design: dict) -> int:
    k = len(design["bounds"])
    if design["method"] == "morris":
        return design["trajectories"] * (k + 1)
    return design["base_samples"] * ((2 * k if design.get("second_order") else k) + 2)


def analyse(runs: pd.DataFrame, swept: list[str], design: dict | None = None,
            outcomes: list[str] | None = None) -> pd.DataFrame:
    """Sensitivity indices of every regime and outcome (default: every outcome column) to the
    swept parameters: Morris or Sobol for a study with that sweep (`design`, from the
    scenario), the grid decomposition for a full factorial sweep. One row per method, regime,
    outcome and parameter, ranked within regime and outcome (1 = most influential, by mu* or
    ST). Empty if the study allows none."""
    method = method_of(runs, swept, design)
    if method is None:
        return pd.DataFrame(columns=COMMON)
    outcomes = [o for o in (outcomes or outcome_columns(runs)) if o in runs]
    regimes = list(dict.fromkeys(runs["regime"]))
    frames = []
    if method == "grid":
        params = grid_params(runs, swept) or []
        n_points = int(runs["point"].nunique())
        for regime in regimes:
            rows = runs[runs["regime"] == regime]
            per_point = rows.groupby("point").size()
            for outcome in outcomes:
                t = grid_indices(rows, params, outcome)
                numeric = [pd.api.types.is_numeric_dtype(rows[p]) for p in params]
                t["low"] = [rows[p].min() if ok else np.nan
                            for p, ok in zip(params, numeric, strict=True)]
                t["high"] = [rows[p].max() if ok else np.nan
                             for p, ok in zip(params, numeric, strict=True)]
                frames.append(t.assign(regime=regime, outcome=outcome, n_points=n_points,
                                       n_per_point=int(per_point.min())))
    else:
        bounds = design["bounds"]
        params = list(bounds)
        n_points = _design_points(design)
        for regime in regimes:
            X, means, per_point = _point_table(runs, params, n_points, regime, outcomes)
            for outcome in outcomes:
                Y = means[outcome].to_numpy(dtype=float)
                if not np.isfinite(Y).all():  # e.g. a delay that never ended at some point
                    t = pd.DataFrame({"parameter": params})
                elif method == "morris":
                    t = morris_indices(X, Y, bounds, design["levels"])
                else:
                    t = sobol_indices(Y, bounds, bool(design.get("second_order")))
                t["low"] = [bounds.get(p, [np.nan])[0] for p in t["parameter"]]
                t["high"] = [bounds.get(p, [np.nan, np.nan])[1] for p in t["parameter"]]
                frames.append(t.assign(regime=regime, outcome=outcome, n_points=n_points,
                                       n_per_point=int(per_point.min())))
    columns = [*COMMON, *COLUMNS[method]]
    if method == "sobol" and design.get("second_order"):
        columns += SECOND_ORDER
    table = pd.concat(frames, ignore_index=True).reindex(columns=columns)
    table["method"] = method
    key = "mu_star" if method == "morris" else "ST"
    table["rank"] = (table.groupby(["regime", "outcome"])[key]
                     .rank(ascending=False, method="first", na_option="keep"))
    table.loc[table[key].isna(), "rank"] = np.nan
    table["rank"] = table["rank"].astype("Int64")
    return table


def of(results: Results, outcomes: list[str] | None = None) -> pd.DataFrame:
    """analyse() for a results folder."""
    scenario = results.manifest["scenario"]
    return analyse(results.runs, scenario.get("swept", []), scenario.get("design"), outcomes)


def write(results: Results) -> list[Path]:
    """sensitivity.csv in the results folder, when the study has a morris or sobol sweep
    (written atomically, like the other tables)."""
    design = results.manifest["scenario"].get("design")
    if not design:
        return []
    path = results.path / TABLE
    table = of(results)  # UTF-8 with a byte-order mark, like the other tables (Excel)
    safeio.atomic_write(path, lambda fh: table.to_csv(fh, index=False, encoding="utf-8-sig"),
                        root=results.path)
    return [path]


# --- the chart ---------------------------------------------------------------------------------
WORDS = {
    "en": {
        "effect": "Effect on {o} ({u})",
        "effect_unitless": "Effect on {o} (outcome units)",
        "share": "Share of the variance of {o} (index, 0–1)",
        "mu_star": "μ*: mean |elementary effect|, with 95% CI",
        "sigma": "σ: sd of the elementary effects",
        "S1": "$S_1$: the parameter alone",
        "ST": "$S_T$: with its interactions",
        "morris": "Morris screening: r = {r} trajectories of {k1} points on {levels} levels",
        "sobol": "Sobol indices from a Saltelli sample of N = {n} base samples ({p} points)",
        "grid": "Variance shares over the sweep grid ({p} points, each combination weighted "
                "equally)",
        "per_point": "each point: mean of n = {n} runs (common random numbers)",
        "regime_is": "{regime} regime",
        "sep": "; ",
        "signs": "+/−: raising the parameter mostly raises/lowers the outcome (the sign of μ, "
                 "the mean effect; ± mixed)",
        "morris_key": "bar: μ* = mean absolute change in the outcome when the parameter moves "
                      "across its range (under its name); whisker: 95% CI (bootstrap over "
                      "trajectories); ◇: σ (non-linearity or interactions)",
        "sobol_key": "$S_1$: share of the variance due to the parameter alone; $S_T$: "
                     "including its interactions; whiskers: 95% CI (bootstrap over {over})",
        "over_sobol": "base samples",
        "over_grid": "replications",
        "order": "ordered by {what} of {o}{regime}",
        "by_mu": "μ*",
        "by_st": "$S_T$",
        "of_regime": " ({regime})",
    },
    "zh": {
        "effect": "对{o}的影响（{u}）",
        "effect_unitless": "对{o}的影响（结果单位）",
        "share": "{o}方差份额（指数，0–1）",
        "mu_star": "μ*：基本效应绝对值的均值及其95%置信区间",
        "sigma": "σ：基本效应的标准差",
        "S1": "$S_1$：参数单独作用",
        "ST": "$S_T$：含交互作用",
        "morris": "莫里斯筛选法：r = {r} 条轨迹，每条 {k1} 个参数点，{levels} 个水平",
        "sobol": "索博尔指数：萨尔泰利抽样，N = {n} 个基础样本（共 {p} 个参数点）",
        "grid": "扫描网格上的方差分解（{p} 个参数点，各组合等权）",
        "per_point": "每个参数点取 n = {n} 次运行的均值（共同随机数）",
        "regime_is": "{regime}",
        "sep": "；",
        "signs": "+/−：提高该参数多使结果上升/下降（μ即平均效应的符号；±为方向不一）",
        "morris_key": "柱：μ*，即参数在其取值范围（参数名下方）内变动时结果变化绝对值的均值；"
                      "误差线：95%置信区间（对轨迹自助抽样）；◇：σ（非线性或交互作用）",
        "sobol_key": "$S_1$：参数单独造成的方差份额；$S_T$：含其全部交互作用；误差线：95%置信区间"
                     "（对{over}自助抽样）",
        "over_sobol": "基础样本",
        "over_grid": "重复运行",
        "order": "按{regime}{o}的{what}排序",
        "by_mu": "μ*",
        "by_st": "$S_T$",
        "of_regime": "{regime}",
    },
}


def _signs(mu: pd.Series, mu_star: pd.Series) -> list[str]:
    """'+' where raising the parameter mostly raises the outcome (mu >= mu*/2), '−' where it
    mostly lowers it, '±' where the effects have mixed signs, '' where there is no effect."""
    out = []
    for m, s in zip(mu.to_numpy(dtype=float), mu_star.to_numpy(dtype=float), strict=True):
        if not (np.isfinite(m) and np.isfinite(s)) or s <= 0:
            out.append("")
        else:
            out.append("+" if m >= s / 2 else "−" if m <= -s / 2 else "±")
    return out


def _tick(path: str, ranges: pd.DataFrame, lang: str) -> str:
    """The parameter in words and, on a second line, the range it was varied over with its
    unit: 'info relay' / '0.5–24 (h)' (param_label() if the range is not numeric)."""
    from sim.params import BY_PATH
    from sim.plots import UNIT_ZH, param_label, param_name

    label = param_label(path, lang)
    p = BY_PATH.get(path)
    if p is None or path not in ranges.index:
        return label
    try:
        lo, hi = float(ranges.loc[path, "low"]), float(ranges.loc[path, "high"])
    except (TypeError, ValueError):
        return label
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return label
    units_zh = {**UNIT_ZH_MORE, **UNIT_ZH}
    name = param_name(path, lang)
    unit = units_zh.get(p.unit, p.unit) if lang == "zh" else p.unit
    if unit:
        unit = f"（{unit}）" if lang == "zh" else f" ({unit})"
    return f"{name}\n{lo:g}–{hi:g}{unit}"


def _axis_label(outcome: str, method: str, lang: str) -> str:
    from sim.metrics import OUTCOMES
    from sim.plots import UNIT_ZH, outcome_name

    w = WORDS[lang]
    name = outcome_name(outcome, lang)
    if method != "morris":
        return w["share"].format(o=name)
    unit = OUTCOMES.get(outcome, ("",))[0]
    if not unit:
        return w["effect_unitless"].format(o=name)
    return w["effect"].format(o=name, u=UNIT_ZH.get(unit, unit) if lang == "zh" else unit)


def chart(results, style, outcomes: list[str] | None = None, regimes: list[str] | None = None,
          table: pd.DataFrame | None = None):
    """Horizontal bars, one row per parameter (most influential on top), one panel per outcome
    (default total_loss and spillover_loss): Morris mu* with its 95% CI and sigma, or Sobol
    (or grid) S1 and ST with 95% CIs; one colour per regime. None if the study has no
    sensitivity indices."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from sim import plots

    scenario = results.manifest["scenario"]
    runs = results.runs
    outcomes = [o for o in (outcomes or CHART_OUTCOMES) if o in runs]
    if not outcomes:
        return None
    if table is None:
        table = analyse(runs, scenario.get("swept", []), scenario.get("design"), outcomes)
    if table.empty:
        return None
    method = str(table["method"].iloc[0])
    table = table[table["outcome"].isin(outcomes)]
    if "S2" in table:
        table = table[table["S2"].isna()]  # pairs are in the table, not on the chart
    regimes = [r for r in (regimes or style.present(table)) if r in set(table["regime"])]
    if not regimes:
        return None
    key = "mu_star" if method == "morris" else "ST"
    first = table[(table["regime"] == regimes[0]) & (table["outcome"] == outcomes[0])]
    order = list(first.sort_values(key, ascending=False, na_position="last")["parameter"])
    lang, w = style.lang, WORDS[style.lang]
    bars = len(regimes) * (1 if method == "morris" else 2)
    slot = max(0.27, 0.11 * bars)  # inches per parameter
    height = 1.25 + slot * len(order)
    fig, axes = plt.subplots(1, len(outcomes), figsize=(plots.DOUBLE, height), squeeze=False,
                             sharey=True, layout="constrained")
    band = 0.8  # of a row's height, shared by its bars
    h = band / bars
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        rows = table[table["outcome"] == outcome]
        low_end, high_end = 0.0, 0.0
        for j, regime in enumerate(regimes):
            colour = style.of(regime)["color"]
            t = rows[rows["regime"] == regime].set_index("parameter").reindex(order)
            y = np.arange(len(order), dtype=float)
            if method == "morris":
                y = y - band / 2 + h * (j + 0.5)
                m = t["mu_star"].to_numpy(dtype=float)
                # the sign goes after the whisker or the sigma marker, whichever ends later
                ends = np.fmax(t["mu_star_ci_high"].to_numpy(dtype=float),
                               t["sigma"].to_numpy(dtype=float))
                high_end = max(high_end, float(np.nanmax(ends, initial=0)))
                err = np.vstack([m - t["mu_star_ci_low"].to_numpy(dtype=float),
                                 t["mu_star_ci_high"].to_numpy(dtype=float) - m])
                ax.barh(y, m, height=h * 0.9, color=colour, alpha=0.85, linewidth=0, zorder=2)
                ax.errorbar(m, y, xerr=err, fmt="none", ecolor="black", elinewidth=0.8,
                            capsize=1.8, zorder=3)
                ax.plot(t["sigma"].to_numpy(dtype=float), y, linestyle="none", marker="D",
                        markersize=3.6, markerfacecolor="white", markeredgecolor="black",
                        markeredgewidth=0.7, zorder=4)
                for yk, sign, end in zip(y, _signs(t["mu"], t["mu_star"]), ends, strict=True):
                    if sign and np.isfinite(end):
                        ax.annotate(sign, (end, yk), xytext=(4, 0), textcoords="offset points",
                                    ha="left", va="center", fontsize=7, zorder=5)
                continue
            for b, (index, alpha, hatch) in enumerate((("S1", 0.9, None), ("ST", 0.3, "///"))):
                yb = y - band / 2 + h * (2 * j + b + 0.5)
                v = t[index].to_numpy(dtype=float)
                lo = t[f"{index}_ci_low"].to_numpy(dtype=float)
                hi = t[f"{index}_ci_high"].to_numpy(dtype=float)
                ax.barh(yb, v, height=h * 0.9, color=colour, alpha=alpha, hatch=hatch,
                        edgecolor=colour, linewidth=0.6, zorder=2)
                ok = np.isfinite(lo) & np.isfinite(v)
                ax.errorbar(v[ok], yb[ok], xerr=np.vstack([v[ok] - lo[ok], hi[ok] - v[ok]]),
                            fmt="none", ecolor="black", elinewidth=0.8, capsize=1.5, zorder=3)
                if ok.any():
                    low_end = min(low_end, float(np.nanmin(lo[ok])))
        ax.axvline(0, color="black", linewidth=0.8, zorder=1)
        ax.spines["left"].set_visible(False)  # the line at 0 takes its place
        if method != "morris":
            ax.set_xlim(left=min(-0.02, low_end - 0.02))
        elif high_end > 0:  # room for the +/- after the whiskers
            ax.set_xlim(0, high_end * 1.1)
        ax.set_xlabel(plots.wrap(_axis_label(outcome, method, lang),
                                 plots.DOUBLE / len(outcomes) * 72,
                                 plots.measure_in(fig, 8)))
        ax.grid(axis="y", visible=False)
    width = plots.measure_in(fig, 7)
    ranges = first.set_index("parameter")[["low", "high"]]
    axes[0][0].set_yticks(range(len(order)),
                          ["\n".join(plots.wrap(line, 1.9 * 72, width)
                                     for line in _tick(p, ranges, lang).split("\n"))
                           for p in order])
    axes[0][0].set_ylim(len(order) - 0.5, -0.5)  # most influential on top
    for ax in axes[0]:
        ax.tick_params(axis="y", length=0)

    handles, labels = [], []
    if len(regimes) > 1:
        for regime in regimes:
            handles.append(Patch(color=style.of(regime)["color"]))
            labels.append(style.label(regime))
    grey = "#777777" if len(regimes) > 1 else style.of(regimes[0])["color"]
    if method == "morris":
        handles += [Patch(color=grey, alpha=0.85),
                    Line2D([], [], linestyle="none", marker="D", markersize=3.6,
                           markerfacecolor="white", markeredgecolor="black")]
        labels += [w["mu_star"], w["sigma"]]
    else:
        handles += [Patch(facecolor=grey, alpha=0.9, edgecolor=grey),
                    Patch(facecolor=grey, alpha=0.3, hatch="///", edgecolor=grey)]
        labels += [w["S1"], w["ST"]]
    fig.legend(handles, labels, loc="outside upper center", ncol=min(len(labels), 4),
               handlelength=1.6, columnspacing=1.4)

    rows = runs[runs["regime"].isin(regimes)]
    per_point = rows.groupby(["regime", "point"]).size() if "point" in rows else \
        rows.groupby("regime").size()
    n_points = int(table["n_points"].iloc[0])
    n_points = f"{n_points:,}" if lang == "en" else str(n_points)
    if method == "morris":
        design = scenario["design"]
        head = w["morris"].format(r=design["trajectories"], k1=len(design["bounds"]) + 1,
                                  levels=design["levels"])
        legend_key = w["morris_key"] + w["sep"] + w["signs"]
    elif method == "sobol":
        head = w["sobol"].format(n=f"{scenario['design']['base_samples']:,}", p=n_points)
        legend_key = w["sobol_key"].format(over=w["over_sobol"])
    else:
        head = w["grid"].format(p=n_points)
        legend_key = w["sobol_key"].format(over=w["over_grid"])
    if len(regimes) == 1:
        head = w["regime_is"].format(regime=style.label(regimes[0])) + w["sep"] + head
    what = w["by_mu"] if method == "morris" else w["by_st"]
    of_regime = w["of_regime"].format(regime=style.label(regimes[0])) \
        if len(regimes) > 1 else ""
    order_text = w["order"].format(what=what, o=plots.outcome_name(outcomes[0], lang),
                                   regime=of_regime)
    plots.note(fig, style.join([head, w["per_point"].format(n=plots._range(per_point)),
                                legend_key, order_text]))
    return fig
