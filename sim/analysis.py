"""Tables from a results folder: summaries with confidence intervals and paired differences.

Every regime faced the same hazards in replication r (common random numbers), so the
difference to the baseline is taken run by run before averaging: its confidence interval is
much narrower than the difference of two independent means.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.metrics import OUTCOMES

# Two-sided 97.5% Student t quantiles for small samples; normal beyond.
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
         9: 2.262, 10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 25: 2.060, 30: 2.042, 40: 2.021,
         60: 2.000, 120: 1.980}


def t975(dof: int) -> float:
    """97.5% quantile of Student's t (table, interpolated in 1/dof: within 0.002)."""
    if dof <= 0:
        return float("nan")
    if dof in _T975:
        return _T975[dof]
    keys = sorted(_T975)
    if dof > keys[-1]:
        return 1.96 + (_T975[120] - 1.96) * 120 / dof
    hi = next(k for k in keys if k > dof)
    lo = max(k for k in keys if k < dof)
    # interpolate linearly in 1/dof, which is close to exact for t quantiles
    w = (1 / dof - 1 / hi) / (1 / lo - 1 / hi)
    return _T975[hi] + w * (_T975[lo] - _T975[hi])


def mean_ci(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% t confidence interval, ignoring NaN."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return (math.nan, math.nan, math.nan)
    m = float(v.mean())
    if len(v) < 2:
        return (m, math.nan, math.nan)
    half = t975(len(v) - 1) * float(v.std(ddof=1)) / math.sqrt(len(v))
    return (m, m - half, m + half)


def outcome_columns(runs: pd.DataFrame) -> list[str]:
    return [c for c in OUTCOMES if c in runs.columns]


def group_columns(runs: pd.DataFrame, swept: list[str]) -> list[str]:
    return ["regime", *[c for c in swept if c in runs.columns]]


def summary(runs: pd.DataFrame, swept: list[str]) -> pd.DataFrame:
    """One row per regime (and sweep point) and outcome: n, mean, CI, median, sd."""
    keys = group_columns(runs, swept)
    records = []
    for group, frame in runs.groupby(keys, sort=False, dropna=False):
        group = group if isinstance(group, tuple) else (group,)
        for outcome in outcome_columns(runs):
            v = frame[outcome].to_numpy(dtype=float)
            m, lo, hi = mean_ci(v)
            valid = v[~np.isnan(v)]
            records.append({**dict(zip(keys, group, strict=True)), "outcome": outcome,
                            "n": len(valid), "mean": m, "ci_low": lo, "ci_high": hi,
                            "median": float(np.median(valid)) if len(valid) else math.nan,
                            "sd": float(valid.std(ddof=1)) if len(valid) > 1 else math.nan})
    return pd.DataFrame.from_records(records)


def paired_differences(runs: pd.DataFrame, swept: list[str], baseline: str) -> pd.DataFrame:
    """Each regime minus the baseline, replication by replication (same seed, same point)."""
    point_keys = [c for c in swept if c in runs.columns]
    base = runs[runs["regime"] == baseline].set_index([*point_keys, "replication"])
    records = []
    for regime, frame in runs[runs["regime"] != baseline].groupby("regime", sort=False):
        other = frame.set_index([*point_keys, "replication"])
        common = other.index.intersection(base.index)
        for outcome in outcome_columns(runs):
            d = (other.loc[common, outcome] - base.loc[common, outcome]).to_numpy(dtype=float)
            b = base.loc[common, outcome].to_numpy(dtype=float)
            m, lo, hi = mean_ci(d)
            valid = d[~np.isnan(d)]
            sd = float(valid.std(ddof=1)) if len(valid) > 1 else math.nan
            base_mean = float(np.nanmean(b)) if len(b) else math.nan
            records.append({
                "regime": regime, "baseline": baseline, "outcome": outcome,
                "n_pairs": len(valid), "mean_diff": m, "ci_low": lo, "ci_high": hi,
                "baseline_mean": base_mean,
                "pct_change": 100 * m / base_mean if base_mean else math.nan,
                "pct_ci_low": 100 * lo / base_mean if base_mean else math.nan,
                "pct_ci_high": 100 * hi / base_mean if base_mean else math.nan,
                "effect_size_dz": m / sd if sd and sd > 0 else math.nan,
            })
    return pd.DataFrame.from_records(records)


def headline(diffs: pd.DataFrame, outcome: str = "spillover_loss") -> list[str]:
    """Sentences a student can quote: 'coordinated changes spillover loss by X% [CI]'."""
    lines = []
    for _, r in diffs[diffs["outcome"] == outcome].iterrows():
        if not np.isfinite(r["pct_change"]):
            continue
        pct, lo, hi = r["pct_change"], r["pct_ci_low"], r["pct_ci_high"]
        if hi < 0:
            said = f"cuts {{o}} by {-pct:.1f}% [95% CI {-hi:.1f}%, {-lo:.1f}%]"
        elif lo > 0:
            said = f"raises {{o}} by {pct:.1f}% [95% CI {lo:.1f}%, {hi:.1f}%]"
        else:
            said = f"changes {{o}} by {pct:+.1f}% [95% CI {lo:+.1f}%, {hi:+.1f}%; not significant]"
        lines.append(f"{r['regime']} " + said.format(o=outcome.replace("_", " "))
                     + f" against {r['baseline']} ({int(r['n_pairs'])} paired runs).")
    return lines
