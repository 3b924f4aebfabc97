"""Quantile bands of per-step series across runs (the time-series and trust charts), computed
chunk by chunk so that a study of 10^5 runs is drawn in the memory of a few hundred.

A study's series are read one results chunk at a time (only the columns the chart needs).
While the values of the runs shown fit in EXACT_VALUES numbers, they are kept and the bands are
exact (numpy's linear percentiles, the same as before this module). Past that, the values are
dropped and read again into a histogram of BINS bins per step, between that step's smallest and
largest value across runs: each quantile is then within one bin, 1/BINS of that step's range,
of the exact one, and the chart's note says so. Memory is then fixed by steps x BINS, whatever
the number of runs.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.chunks import Chunks

QUANTILES = (5, 25, 50, 75, 95)
EXACT_VALUES = 20_000_000  # numbers kept for exact quantiles (160 MB of float64)
BINS = 512
# a panel: (series column, how it is read: "value", "cumsum" or "increments")
Panels = dict[str, tuple[str, str]]


@dataclass(frozen=True)
class Bands:
    """Per regime and panel, QUANTILES across runs at every step."""
    day: np.ndarray  # (steps,) days since the start of the run
    q: dict[tuple[str, str], np.ndarray]  # (regime, panel) -> (len(QUANTILES), steps)
    runs: dict[str, int]  # regime -> runs pooled
    exact: bool  # False: from histograms of `bins` bins per step (within 1/bins of the range)
    bins: int = BINS


def _panel_arrays(frame: pd.DataFrame, panels: Panels) -> tuple[np.ndarray, np.ndarray,
                                                                 dict[str, np.ndarray]]:
    """One chunk's runs as arrays: run ids, hours by step, and per panel a (runs, steps)
    array (NaN past the end of a shorter run)."""
    frame = frame.sort_values(["run_id", "step"])
    wide = {}
    for name, (col, how) in panels.items():
        a = frame.pivot(index="run_id", columns="step", values=col).to_numpy(dtype=float)
        if how == "cumsum":
            a = np.cumsum(a, axis=1)
        elif how == "increments":  # what was added at each step, added up
            rises = np.diff(a, axis=1, prepend=0.0)
            a = np.cumsum(np.clip(rises, 0.0, None), axis=1)
        wide[name] = a
    hours = frame.pivot(index="run_id", columns="step", values="hour").to_numpy(dtype=float)
    ids = frame["run_id"].drop_duplicates().to_numpy()
    return ids, np.nanmax(hours, axis=0), wide


def _pad(a: np.ndarray, steps: int) -> np.ndarray:
    if a.shape[-1] >= steps:
        return a
    pad = np.full((*a.shape[:-1], steps - a.shape[-1]), np.nan)
    return np.concatenate([a, pad], axis=-1)


def _chunks(source: Chunks, regime_of: pd.Series, panels: Panels
            ) -> Iterator[tuple[np.ndarray, dict[str, dict[str, np.ndarray]]]]:
    """Per chunk: hours by step and, per regime, per panel, the (runs, steps) values of the
    runs in regime_of (run_id -> regime)."""
    columns = sorted({col for col, _how in panels.values()})
    for frame in source.read(columns):
        frame = frame[frame["run_id"].isin(regime_of.index)]
        if frame.empty:
            continue
        ids, hours, wide = _panel_arrays(frame, panels)
        regimes = regime_of.loc[ids].to_numpy()
        by = {r: {name: a[regimes == r] for name, a in wide.items()}
              for r in pd.unique(regimes)}
        yield hours, by


def series_bands(series: pd.DataFrame | Chunks, regime_of: pd.Series, panels: Panels,
                 exact_values: int | None = None, bins: int | None = None) -> Bands | None:
    """QUANTILES across the runs of `regime_of` (run_id -> regime) of each panel at every
    step, read chunk by chunk; None if none of those runs has series. `exact_values` and
    `bins` default to the module's EXACT_VALUES and BINS."""
    exact_values = EXACT_VALUES if exact_values is None else exact_values
    bins = BINS if bins is None else bins
    source = Chunks.of(series)
    if source is None:
        return None
    kept: dict[tuple[str, str], list[np.ndarray]] = {}
    lo: dict[tuple[str, str], np.ndarray] = {}
    hi: dict[tuple[str, str], np.ndarray] = {}
    runs: dict[str, int] = {}
    hours = np.zeros(0)
    held, exact = 0, True
    for chunk_hours, by in _chunks(source, regime_of, panels):  # pass 1: range, exact values
        hours = _pad(hours, len(chunk_hours))
        hours[:len(chunk_hours)] = np.where(np.isnan(hours[:len(chunk_hours)]), chunk_hours,
                                            hours[:len(chunk_hours)])
        for regime, arrays in by.items():
            runs[regime] = runs.get(regime, 0) + len(next(iter(arrays.values())))
            for name, a in arrays.items():
                key = (regime, name)
                with _quiet():
                    a_lo, a_hi = np.nanmin(a, axis=0), np.nanmax(a, axis=0)
                steps = max(len(a_lo), len(lo.get(key, ())))
                old_lo, old_hi = (_pad(lo.get(key, np.zeros(0)), steps),
                                  _pad(hi.get(key, np.zeros(0)), steps))
                lo[key] = np.fmin(old_lo, _pad(a_lo, steps))
                hi[key] = np.fmax(old_hi, _pad(a_hi, steps))
                if exact:
                    kept.setdefault(key, []).append(a)
                    held += a.size
        if exact and held > exact_values:
            exact, kept = False, {}
    if not runs:
        return None
    steps = len(hours)
    if exact:
        q = {key: _exact(np.concatenate([_pad(a, steps) for a in arrays], axis=0))
             for key, arrays in kept.items()}
    else:
        q = _from_histograms(source, regime_of, panels, lo, hi, steps, bins)
    return Bands(day=hours / 24.0, q=q, runs=runs, exact=exact, bins=bins)


def _exact(values: np.ndarray) -> np.ndarray:
    """QUANTILES of (runs, steps) values at every step, NaN ignored (numpy's linear rule)."""
    if not np.isnan(values).any():
        return np.percentile(values, QUANTILES, axis=0)
    with _quiet():
        return np.nanpercentile(values, QUANTILES, axis=0)


def _from_histograms(source: Chunks, regime_of: pd.Series, panels: Panels,
                     lo: dict, hi: dict, steps: int, bins: int) -> dict:
    """Pass 2: per (regime, panel), counts in `bins` bins per step between that step's lo and
    hi; each quantile is read off the counts (linear within its bin)."""
    counts = {key: np.zeros(steps * bins, dtype=np.int64) for key in lo}
    width = {key: _pad(hi[key] - lo[key], steps) / bins for key in lo}
    for _hours, by in _chunks(source, regime_of, panels):
        for regime, arrays in by.items():
            for name, a in arrays.items():
                key = (regime, name)
                n = a.shape[1]
                base, w = _pad(lo[key], steps)[:n], width[key][:n]
                with np.errstate(all="ignore"):
                    b = np.where(w > 0, np.floor((a - base) / w), 0.0)
                ok = np.isfinite(a)
                b = np.clip(np.nan_to_num(b), 0, bins - 1).astype(np.int64)
                flat = (np.arange(n) * bins + b)[ok]
                counts[key] += np.bincount(flat, minlength=steps * bins)
    out = {}
    for key, c in counts.items():
        c = c.reshape(steps, bins)
        cum = np.cumsum(c, axis=1)
        total = cum[:, -1]
        base, w, top = _pad(lo[key], steps), width[key], _pad(hi[key], steps)

        def order_stat(j: np.ndarray, c=c, cum=cum, base=base, w=w, top=top) -> np.ndarray:
            """The j-th smallest value (0-based) at every step, within one bin: the values of
            a bin are taken as spread evenly across it."""
            b = np.minimum((cum <= j[:, None]).sum(axis=1), bins - 1)
            before = np.where(b > 0, np.take_along_axis(
                cum, np.maximum(b - 1, 0)[:, None], axis=1)[:, 0], 0)
            inside = np.take_along_axis(c, b[:, None], axis=1)[:, 0]
            with np.errstate(all="ignore"):
                frac = np.clip((j - before + 0.5) / inside, 0.0, 1.0)
            return np.minimum(base + w * (b + frac), top)

        rows = []
        for p in QUANTILES:
            h = np.maximum(total - 1, 0) * p / 100.0  # numpy's linear rule: between the
            k = np.floor(h)                            # k-th and (k+1)-th smallest
            below, above = order_stat(k), order_stat(np.minimum(k + 1, np.maximum(total - 1, 0)))
            value = below + (h - k) * (above - below)
            rows.append(np.where(total > 0, value, np.nan))
        out[key] = np.vstack(rows)
    return out


@contextlib.contextmanager
def _quiet():
    """Silence numpy's 'All-NaN slice' warnings (a step no run reached gives NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
