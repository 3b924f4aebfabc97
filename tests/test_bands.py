"""Quantile bands read chunk by chunk (sim/bands.py): exact while the values fit, within one
histogram bin of exact past that, the same whatever the chunking."""

import numpy as np
import pandas as pd
import pytest

from sim import bands
from sim.chunks import Chunks

PANELS = {"level": ("x", "value"), "total": ("x", "cumsum"), "rises": ("y", "increments")}


def _series(runs: int, steps: int, seed: int = 3, short: int | None = None) -> pd.DataFrame:
    """Long-format series of `runs` runs (two regimes); run 0 stops after `short` steps."""
    rng = np.random.default_rng(seed)
    frames = []
    for run in range(runs):
        n = short if (short is not None and run == 0) else steps
        frames.append(pd.DataFrame({
            "run_id": run, "step": np.arange(n), "hour": np.arange(n) * 6.0,
            "x": rng.lognormal(0.0, 1.0, n), "y": rng.integers(0, 5, n).astype(float)}))
    return pd.concat(frames, ignore_index=True)


def _source(series: pd.DataFrame, per_chunk: int) -> Chunks:
    """The series split into chunks of whole runs, as a results folder holds them."""
    def chunks(columns):
        for start in range(0, int(series["run_id"].max()) + 1, per_chunk):
            part = series[series["run_id"].between(start, start + per_chunk - 1)]
            yield part[["run_id", "step", "hour", *columns]]
    return Chunks(frozenset(series.columns), chunks)


def _reference(series: pd.DataFrame, regime_of: pd.Series, regime: str, panel: str):
    """The quantiles the charts drew before this module: per run, then nanpercentile."""
    wide = _wide(series, regime_of, regime, panel)
    return np.nanpercentile(wide.to_numpy(dtype=float), bands.QUANTILES, axis=1)


def _wide(series: pd.DataFrame, regime_of: pd.Series, regime: str, panel: str):
    """A panel's values, steps x runs, computed with pandas as the charts did before."""
    col, how = PANELS[panel]
    rows = series[series["run_id"].map(regime_of) == regime].sort_values(["run_id", "step"])
    by_run = rows.groupby("run_id")[col]
    if how == "cumsum":
        values = by_run.cumsum()
    elif how == "increments":
        values = (by_run.diff().fillna(rows[col]).clip(lower=0)
                  .groupby(rows["run_id"]).cumsum())
    else:
        values = rows[col]
    return rows.assign(v=values).pivot(index="step", columns="run_id", values="v")


@pytest.mark.parametrize("per_chunk", [1, 4, 40])
def test_exact_bands_are_numpys_percentiles_whatever_the_chunks(per_chunk):
    series = _series(40, 30, short=12)  # one run shorter: its missing steps are ignored
    regime_of = pd.Series(np.where(np.arange(40) % 2 == 0, "a", "b"), index=np.arange(40))
    found = bands.series_bands(_source(series, per_chunk), regime_of, PANELS)
    assert found.exact and found.runs == {"a": 20, "b": 20}
    assert np.array_equal(found.day, np.arange(30) * 0.25)
    for regime in "ab":
        for panel in PANELS:
            np.testing.assert_allclose(found.q[(regime, panel)],
                                       _reference(series, regime_of, regime, panel),
                                       rtol=1e-12, atol=0)


def test_past_the_memory_budget_quantiles_are_within_one_bin_of_exact():
    series = _series(300, 40, seed=5)
    regime_of = pd.Series(np.where(np.arange(300) < 150, "a", "b"), index=np.arange(300))
    exact = bands.series_bands(_source(series, 7), regime_of, PANELS)
    sketch = bands.series_bands(_source(series, 7), regime_of, PANELS, exact_values=1000,
                                bins=64)
    assert exact.exact and not sketch.exact and sketch.bins == 64
    for (regime, panel), q in exact.q.items():
        step_range = _range(series, regime_of, regime, panel)  # across the regime's runs
        error = np.abs(sketch.q[(regime, panel)] - q)
        assert (error <= step_range / 64 * (1 + 1e-9) + 1e-12).all(), (regime, panel)
    # a coarse sketch is an approximation, not the exact path again
    assert any(not np.allclose(sketch.q[k], exact.q[k]) for k in exact.q)


def _range(series, regime_of, regime, panel) -> np.ndarray:
    wide = _wide(series, regime_of, regime, panel)
    return (wide.max(axis=1) - wide.min(axis=1)).to_numpy()


def test_runs_not_asked_for_are_left_out_and_nothing_gives_none():
    series = _series(10, 5)
    only = pd.Series(["a"] * 3, index=[0, 4, 9])
    found = bands.series_bands(series, only, {"level": ("x", "value")})
    assert found.runs == {"a": 3}
    np.testing.assert_allclose(found.q[("a", "level")],
                               _reference(series[series["run_id"].isin(only.index)],
                                          only, "a", "level"))
    assert bands.series_bands(series, pd.Series(["a"], index=[99]), PANELS) is None
    assert bands.series_bands(series.iloc[:0], only, PANELS) is None
    assert bands.series_bands(None, only, PANELS) is None


def test_the_docs_quote_the_budget_and_the_bins_in_force():
    from tests.conftest import ROOT

    for doc in ("charts.md", "engine.md"):
        text = " ".join((ROOT / "docs" / doc).read_text(encoding="utf-8").split())
        assert f"{bands.EXACT_VALUES // 10**6} million numbers" in text, doc
        assert f"{bands.BINS} bins per step" in text or f"{bands.BINS}-bin" in text, doc
        assert f"1/{bands.BINS}" in text, doc
