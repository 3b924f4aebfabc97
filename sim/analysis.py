"""Tables from a results folder: summaries with confidence intervals, paired differences and
mechanism attribution for ablation studies (definitions in docs/charts.md).

Every regime faced the same hazards in replication r (common random numbers), so the
difference to the baseline is taken run by run before averaging: its confidence interval is
much narrower than the difference of two independent means.

Confidence intervals are 95%: Student t by default, or a percentile bootstrap with a fixed
seed (so the same results give the same table, bit for bit) with ``ci="bootstrap"``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.metrics import OUTCOMES
from sim.regimes import REGIMES

if TYPE_CHECKING:
    from sim.study import Results

CI_METHODS = ("t", "bootstrap")
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20240601  # fixed: a table must not change when it is recomputed

# 97.5% quantiles of Student's t for 1..9 degrees of freedom (Cornish-Fisher beyond).
_T975 = (12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622)
_Z975 = 1.959963984540054


def t975(dof: int) -> float:
    """97.5% quantile of Student's t: table below 10 degrees of freedom, then the
    Cornish-Fisher expansion to 1/dof^4 (error below 1e-5 from 10 on)."""
    if dof <= 0:
        return float("nan")
    if dof <= len(_T975):
        return _T975[dof - 1]
    z, n = _Z975, float(dof)
    return (z + (z**3 + z) / (4 * n)
            + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * n**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * n**3)
            + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * n**4))


def _valid(values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return v[~np.isnan(v)]


def bootstrap_ci(values, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
                 level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean, ignoring NaN; the fixed seed makes it
    reproducible."""
    v = _valid(values)
    if len(v) < 2:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, len(v), size=(resamples, len(v)))].mean(axis=1)
    tail = 100 * (1 - level) / 2
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return (float(lo), float(hi))


def mean_ci(values, ci: str = "t") -> tuple[float, float, float]:
    """Mean and its 95% confidence interval (``ci``: "t" or "bootstrap"), ignoring NaN."""
    if ci not in CI_METHODS:
        raise ValueError(f"unknown CI method {ci!r}: expected one of {', '.join(CI_METHODS)}")
    v = _valid(values)
    if len(v) == 0:
        return (math.nan, math.nan, math.nan)
    m = float(v.mean())
    if len(v) < 2:
        return (m, math.nan, math.nan)
    if ci == "bootstrap":
        return (m, *bootstrap_ci(v))
    half = t975(len(v) - 1) * float(v.std(ddof=1)) / math.sqrt(len(v))
    return (m, m - half, m + half)


def outcome_columns(runs: pd.DataFrame) -> list[str]:
    return [c for c in OUTCOMES if c in runs.columns]


def group_columns(runs: pd.DataFrame, swept: list[str]) -> list[str]:
    return ["regime", *[c for c in swept if c in runs.columns]]


def summary(runs: pd.DataFrame, swept: list[str], ci: str = "t") -> pd.DataFrame:
    """One row per regime (and sweep point) and outcome: n, mean, CI, median, sd."""
    keys = group_columns(runs, swept)
    records = []
    for group, frame in runs.groupby(keys, sort=False, dropna=False):
        group = group if isinstance(group, tuple) else (group,)
        for outcome in outcome_columns(runs):
            v = frame[outcome].to_numpy(dtype=float)
            m, lo, hi = mean_ci(v, ci)
            valid = v[~np.isnan(v)]
            records.append({**dict(zip(keys, group, strict=True)), "outcome": outcome,
                            "n": len(valid), "mean": m, "ci_low": lo, "ci_high": hi,
                            "median": float(np.median(valid)) if len(valid) else math.nan,
                            "sd": float(valid.std(ddof=1)) if len(valid) > 1 else math.nan,
                            "ci_method": ci})
    return pd.DataFrame.from_records(records)


def _pair_keys(runs: pd.DataFrame, swept: list[str]) -> list[str]:
    """What matches a run with its pair in another regime: the sweep point and the replication
    (the point id too, when there is one: the draws of an `uncertain:` block are points that
    share the swept values)."""
    return [*[c for c in swept if c in runs.columns],
            *(["point"] if "point" in runs.columns else []), "replication"]


def _paired(runs: pd.DataFrame, swept: list[str], regime: str, baseline: str) -> pd.DataFrame:
    """Rows of `regime` and `baseline` matched by sweep point and replication (index),
    with columns '<outcome>' (regime) and '<outcome>_base'."""
    keys = _pair_keys(runs, swept)
    cols = outcome_columns(runs)
    a = runs.loc[runs["regime"] == regime, [*keys, *cols]].set_index(keys)
    b = runs.loc[runs["regime"] == baseline, [*keys, *cols]].set_index(keys)
    return a.join(b.add_suffix("_base"), how="inner")


def nonnegative(runs: pd.DataFrame, outcome: str) -> bool:
    """True if the outcome cannot be negative (every value in the study is >= 0): then a
    regime's value is at least -100% of the baseline's, and percentage CIs are cut there."""
    v = _valid(runs[outcome]) if outcome in runs else np.array([])
    return bool(len(v) and (v >= 0).all())


def _difference_row(d: np.ndarray, b: np.ndarray, ci: str, floor: bool) -> dict:
    m, lo, hi = mean_ci(d, ci)
    valid = d[~np.isnan(d)]
    sd = float(valid.std(ddof=1)) if len(valid) > 1 else math.nan
    base_mean = float(np.nanmean(b)) if len(b) and not np.isnan(b).all() else math.nan
    pct_lo = 100 * lo / base_mean if base_mean else math.nan
    if floor and base_mean > 0 and np.isfinite(pct_lo):
        pct_lo = max(pct_lo, -100.0)  # a quantity >= 0 cannot fall by more than all of it
    return {"n_pairs": len(valid), "mean_diff": m, "ci_low": lo, "ci_high": hi,
            "baseline_mean": base_mean,
            "pct_change": 100 * m / base_mean if base_mean else math.nan,
            "pct_ci_low": pct_lo,
            "pct_ci_high": 100 * hi / base_mean if base_mean else math.nan,
            "effect_size_dz": m / sd if sd and sd > 0 else math.nan, "ci_method": ci}


def paired_differences(runs: pd.DataFrame, swept: list[str], baseline: str,
                       ci: str = "t", per_point: bool = True) -> pd.DataFrame:
    """Each regime minus the baseline, replication by replication (same seed, same point).

    With a sweep of two or more points there is one row per regime, sweep point and outcome
    (the swept values in their own columns, `pooled` false) and then, per regime and outcome,
    one row pooled over every point (`pooled` true, swept columns empty): a pooled mean hides
    a difference that changes with the swept setting, so it is marked as such. Without a sweep
    (or with per_point=False) there is one row per regime and outcome. Percentage CIs of an
    outcome that cannot be negative are cut at -100%.
    """
    keys = [c for c in swept if c in runs.columns]
    outcomes = outcome_columns(runs)
    floors = {o: nonnegative(runs, o) for o in outcomes}
    points = runs.groupby(keys, sort=False, dropna=False).ngroups if keys else 1
    by_point = per_point and points > 1
    records = []
    for regime in [r for r in runs["regime"].unique() if r != baseline]:
        pairs = _paired(runs, swept, regime, baseline)
        groups: list[tuple[dict, pd.DataFrame, bool]] = []
        if by_point:
            flat = pairs.reset_index()
            for values, frame in flat.groupby(keys, sort=False, dropna=False):
                values = values if isinstance(values, tuple) else (values,)
                groups.append((dict(zip(keys, values, strict=True)), frame, False))
        groups.append(({k: math.nan for k in keys} if by_point else {}, pairs, by_point))
        for where, frame, pooled in groups:
            for outcome in outcomes:
                d = (frame[outcome] - frame[f"{outcome}_base"]).to_numpy(dtype=float)
                b = frame[f"{outcome}_base"].to_numpy(dtype=float)
                records.append({"regime": regime, "baseline": baseline, **where,
                                "pooled": pooled, "outcome": outcome,
                                **_difference_row(d, b, ci, floors[outcome])})
    return pd.DataFrame.from_records(records)


def pooled_rows(diffs: pd.DataFrame) -> pd.DataFrame:
    """The rows of paired_differences() over the whole study: the pooled rows of a sweep, or
    every row without one."""
    if diffs.empty or "pooled" not in diffs or not diffs["pooled"].any():
        return diffs
    return diffs[diffs["pooled"]]


def point_rows(diffs: pd.DataFrame) -> pd.DataFrame:
    """The per-point rows of paired_differences() (empty without a sweep)."""
    if diffs.empty or "pooled" not in diffs or not diffs["pooled"].any():
        return diffs.iloc[0:0]
    return diffs[~diffs["pooled"]]


# --- mechanism attribution -------------------------------------------------------------------
def ablations(regimes: list[dict], baseline: str) -> list[dict]:
    """Find ablation variants among the study's regimes (the manifest's `regimes` entries).

    A regime V that changes its preset is the ablation of a full regime F (F is not the
    baseline) for one mechanism if
      * it is named `<F>_no_<mechanism>`, or
      * it starts from the same preset as F and differs from F only in settings of one
        mechanism group (the part of the path before the dot, e.g. `info`), each set back to
        the baseline's value or switched to false ("off").
    Returns one dict per variant: variant, full, mechanism, label, label_zh.
    """
    by_name = {r["name"]: r for r in regimes}
    base = by_name.get(baseline, {}).get("settings", {})

    def by_name_rule(v: dict, f: dict) -> str | None:
        prefix = f"{f['name']}_no_"
        return v["name"][len(prefix):] if v["name"].startswith(prefix) else None

    def by_settings_rule(v: dict, f: dict) -> str | None:
        if v.get("regime") != f.get("regime"):
            return None
        fs, vs = f.get("settings", {}), v.get("settings", {})
        changed = [k for k in set(fs) | set(vs) if fs.get(k) != vs.get(k)]
        groups = {k.split(".", 1)[0] for k in changed}
        off = all(vs.get(k) == base.get(k) or vs.get(k) is False for k in changed)
        return groups.pop() if len(groups) == 1 and off else None

    found = []
    for v in regimes:
        preset = REGIMES.get(v.get("regime", v["name"]))
        if v["name"] == baseline or (preset and v.get("settings") == preset.settings):
            continue  # a regime as preset changes nothing, so it is a full regime, not a variant
        fulls = [f for f in regimes if f["name"] not in (baseline, v["name"])]
        for rule in (by_name_rule, by_settings_rule):
            hit = next(((f, m) for f in fulls if (m := rule(v, f))), None)
            if hit:
                found.append({"variant": v["name"], "full": hit[0]["name"], "mechanism": hit[1],
                              "label": v.get("label", v["name"]),
                              "label_zh": v.get("label_zh", v.get("label", v["name"]))})
                break
    return found


def _ratio_ci(num: np.ndarray, den: np.ndarray, resamples: int = BOOTSTRAP_RESAMPLES,
              seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """Percentile bootstrap CI of mean(num) / mean(den), resampling pairs (rows) jointly."""
    if len(num) < 2:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(num), size=(resamples, len(num)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = num[idx].mean(axis=1) / den[idx].mean(axis=1)
    ratios = ratios[np.isfinite(ratios)]
    if len(ratios) < resamples / 2:
        return (math.nan, math.nan)
    lo, hi = np.percentile(ratios, [2.5, 97.5])
    return (float(lo), float(hi))


def attribution(runs: pd.DataFrame, swept: list[str], regimes: list[dict], baseline: str,
                outcomes: list[str] | None = None) -> pd.DataFrame:
    """Each mechanism's share of the full regime's improvement over the baseline.

    share = (outcome(variant) - outcome(full)) / (outcome(baseline) - outcome(full)),
    with means over runs matched by sweep point and replication (all three regimes faced the
    same hazards). 1 means that switching the mechanism off loses the whole improvement, 0 that
    it loses none; shares need not add up to 1 (mechanisms interact). The 95% CI is a
    percentile bootstrap over the matched runs (fixed seed). Empty if the study has no
    ablation variants.
    """
    found = ablations(regimes, baseline)
    outcomes = [o for o in (outcomes or outcome_columns(runs)) if o in runs.columns]
    records = []
    keys = _pair_keys(runs, swept)
    for ab in found:
        frames = []
        for role, name in (("v", ab["variant"]), ("f", ab["full"]), ("b", baseline)):
            part = runs.loc[runs["regime"] == name, [*keys, *outcomes]].set_index(keys)
            frames.append(part.add_suffix(f"@{role}"))
        joined = frames[0].join(frames[1], how="inner").join(frames[2], how="inner")
        for outcome in outcomes:
            v, f, b = (joined[f"{outcome}@{r}"].to_numpy(dtype=float) for r in "vfb")
            ok = ~(np.isnan(v) | np.isnan(f) | np.isnan(b))
            lost, gain = v[ok] - f[ok], b[ok] - f[ok]
            if not len(gain):
                continue
            improvement = float(gain.mean())
            g_mean, g_lo, g_hi = mean_ci(gain)
            share = float(lost.mean()) / improvement if improvement else math.nan
            lo, hi = _ratio_ci(lost, gain)
            records.append({
                "mechanism": ab["mechanism"], "variant": ab["variant"], "full": ab["full"],
                "baseline": baseline, "outcome": outcome, "n_pairs": int(ok.sum()),
                "improvement": g_mean, "improvement_ci_low": g_lo, "improvement_ci_high": g_hi,
                "lost_without": float(lost.mean()), "share": share, "ci_low": lo,
                "ci_high": hi,
                # a share of an improvement that may be zero is not interpretable
                "improvement_significant": bool(np.isfinite(g_lo) and (g_lo > 0 or g_hi < 0)),
                "label": ab["label"], "label_zh": ab["label_zh"],
            })
    return pd.DataFrame.from_records(records)


def attribution_of(results: Results, outcomes: list[str] | None = None) -> pd.DataFrame:
    """attribution() for a results folder."""
    return attribution(results.runs, results.swept, results.manifest["scenario"]["regimes"],
                       results.baseline, outcomes)


def write_attribution(results: Results) -> list[Path]:
    """attribution.csv in the results folder, when the study has ablation variants."""
    table = attribution_of(results)
    if table.empty:
        return []
    path = results.path / "attribution.csv"
    table.to_csv(path, index=False, encoding="utf-8-sig")
    return [path]


# --- sentences -------------------------------------------------------------------------------
DIFF_COLUMNS = {"regime", "baseline", "pooled", "outcome", "n_pairs", "mean_diff", "ci_low",
                "ci_high", "baseline_mean", "pct_change", "pct_ci_low", "pct_ci_high",
                "effect_size_dz", "ci_method"}
MAX_POINT_SENTENCES = 6  # beyond this, the headline names the points where the sign differs


def swept_columns(diffs: pd.DataFrame) -> list[str]:
    """The swept parameters that have a column in a table of paired_differences()."""
    return [c for c in diffs.columns if c not in DIFF_COLUMNS]


def point_text(row, keys: list[str], lang: str) -> str:
    """'compensation payout share = 0.9' (or its Chinese form) for the point of `row`."""
    from sim.plots import param_value

    sep = ", " if lang == "en" else "，"
    return sep.join(param_value(k, row[k], lang) for k in keys)


def _verb(r, lang: str) -> tuple[str, int]:
    """The change of one row in words: (text with {o} for the outcome, sign: -1, 0, +1)."""
    pct, lo, hi = r["pct_change"], r["pct_ci_low"], r["pct_ci_high"]
    if lang == "zh":
        if hi < 0:
            return f"使{{o}}降低{-pct:.1f}%（95%置信区间：{-hi:.1f}%～{-lo:.1f}%", -1
        if lo > 0:
            return f"使{{o}}提高{pct:.1f}%（95%置信区间：{lo:.1f}%～{hi:.1f}%", 1
        return (f"使{{o}}变化{pct:+.1f}%（95%置信区间：{lo:+.1f}%～{hi:+.1f}%，差异不显著", 0)
    if hi < 0:
        return f"cuts {{o}} by {-pct:.1f}% [95% CI {-hi:.1f}%, {-lo:.1f}%]", -1
    if lo > 0:
        return f"raises {{o}} by {pct:.1f}% [95% CI {lo:.1f}%, {hi:.1f}%]", 1
    return f"changes {{o}} by {pct:+.1f}% [95% CI {lo:+.1f}%, {hi:+.1f}%; not significant]", 0


def _sentence(r, outcome: str, lang: str, labels: dict[str, str], prefix: str = "") -> str:
    regime = labels.get(r["regime"], r["regime"])
    base = labels.get(r["baseline"], r["baseline"])
    n = int(r["n_pairs"])
    said, _sign = _verb(r, lang)
    if lang == "zh":
        o = OUTCOMES[outcome][2] if outcome in OUTCOMES else outcome
        return f"{prefix}与{base}相比，{regime}{said.format(o=o)}；{n}对配对运行）。"
    return (f"{prefix}{regime} " + said.format(o=outcome.replace("_", " "))
            + f" against {base} ({n} paired runs).")


def _listed(values: list[str], lang: str, most: int = 4) -> str:
    sep = "; " if lang == "en" else "；"
    shown = sep.join(values[:most])
    if len(values) > most:
        shown += (f" and {len(values) - most} more points" if lang == "en"
                  else f"等{len(values)}个参数点")
    return shown


def _sign_sentence(rows: pd.DataFrame, keys: list[str], outcome: str, lang: str,
                   labels: dict[str, str]) -> str | None:
    """When a regime's difference is significant with both signs across the sweep, a sentence
    that says where it cuts and where it raises the outcome."""
    signs = [(_verb(r, lang)[1], point_text(r, keys, lang)) for _, r in rows.iterrows()
             if np.isfinite(r["pct_change"])]
    down = [p for s, p in signs if s < 0]
    up = [p for s, p in signs if s > 0]
    if not down or not up:
        return None
    r = rows.iloc[0]
    regime = labels.get(r["regime"], r["regime"])
    base = labels.get(r["baseline"], r["baseline"])
    if lang == "zh":
        o = OUTCOMES[outcome][2] if outcome in OUTCOMES else outcome
        return (f"差异的方向随参数点而变：与{base}相比，{regime}在{_listed(down, lang)}时使{o}"
                f"降低，在{_listed(up, lang)}时使{o}提高（95%置信区间不含0）。")
    return (f"The sign of the difference changes across the sweep: {regime} cuts "
            f"{outcome.replace('_', ' ')} against {base} at {_listed(down, lang)}, and raises "
            f"it at {_listed(up, lang)} (95% CIs that exclude 0).")


def headline(diffs: pd.DataFrame, outcome: str = "spillover_loss", lang: str = "en",
             labels: dict[str, str] | None = None,
             max_points: int = MAX_POINT_SENTENCES) -> list[str]:
    """Sentences a student can quote: 'coordinated cuts spillover loss by X% [CI] ...'.

    `labels` maps regime names to the words used for them (default: the names); `lang` is
    "en" or "zh". With a sweep, the sentences speak per point ('At compensation payout
    share = 0.9, ...', for up to `max_points` points), then pooled over the points (said so),
    and say where the sign of a significant difference changes across the sweep.
    """
    labels = labels or {}
    rows = diffs[diffs["outcome"] == outcome] if not diffs.empty else diffs
    points = point_rows(rows)
    if points.empty:
        return [_sentence(r, outcome, lang, labels) for _, r in rows.iterrows()
                if np.isfinite(r["pct_change"])]
    keys = swept_columns(diffs)
    lines = []
    for regime, frame in points.groupby("regime", sort=False):
        if len(frame) <= max_points:
            for _, r in frame.iterrows():
                if np.isfinite(r["pct_change"]):
                    where = point_text(r, keys, lang)
                    lines.append(_sentence(r, outcome, lang, labels,
                                           f"At {where}, " if lang == "en" else f"在{where}时，"))
        for _, r in pooled_rows(rows)[lambda t, g=regime: t["regime"] == g].iterrows():
            if np.isfinite(r["pct_change"]):
                k = len(frame)
                lines.append(_sentence(r, outcome, lang, labels,
                                       f"Pooled over all {k} sweep points, " if lang == "en"
                                       else f"合并全部{k}个参数点，"))
        if len(frame) > max_points and (spread := _range_sentence(frame, keys, outcome, lang,
                                                                  labels)):
            lines.append(spread)
        if (sign := _sign_sentence(frame, keys, outcome, lang, labels)) is not None:
            lines.append(sign)
    return lines


def _range_sentence(rows: pd.DataFrame, keys: list[str], outcome: str, lang: str,
                    labels: dict[str, str]) -> str | None:
    """Too many points for a sentence each: how far the change ranges, and at which points."""
    ok = rows[np.isfinite(rows["pct_change"])]
    if len(ok) < 2:
        return None
    lo, hi = ok.loc[ok["pct_change"].idxmin()], ok.loc[ok["pct_change"].idxmax()]
    r = ok.iloc[0]
    regime = labels.get(r["regime"], r["regime"])
    base = labels.get(r["baseline"], r["baseline"])
    if lang == "zh":
        o = OUTCOMES[outcome][2] if outcome in OUTCOMES else outcome
        return (f"在{len(ok)}个参数点上，与{base}相比，{regime}使{o}的变化从"
                f"{lo['pct_change']:+.1f}%（{point_text(lo, keys, lang)}时）到"
                f"{hi['pct_change']:+.1f}%（{point_text(hi, keys, lang)}时）不等；"
                "各参数点的结果见 differences.csv。")
    return (f"Across the {len(ok)} sweep points, {regime}'s change in "
            f"{outcome.replace('_', ' ')} against {base} ranges from "
            f"{lo['pct_change']:+.1f}% (at {point_text(lo, keys, lang)}) to "
            f"{hi['pct_change']:+.1f}% (at {point_text(hi, keys, lang)}); every point is in "
            "differences.csv.")
