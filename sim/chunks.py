"""A results table read one chunk at a time, and the reductions the charts need from it (means
by group, one run's rows, the mean of square matrices), so that drawing a study of 10^5 runs
holds one chunk of its per-step series, accounts or trust matrices at a time, never the whole.

A chart function accepts a DataFrame (one chunk: Python users and tests) or a Chunks (a
results folder: Results.chunks(...)); Chunks.of() makes the one from the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Chunks:
    """A table's column names, and `read(columns)` yielding DataFrames of those columns (and
    run_id), each holding whole runs."""
    columns: frozenset[str]
    read: Callable[[list[str]], Iterable[pd.DataFrame]]

    @classmethod
    def of(cls, table: pd.DataFrame | Chunks | None) -> Chunks | None:
        """Chunks for an in-memory frame (one chunk), Chunks as they are, None for None or an
        empty frame."""
        if table is None or isinstance(table, Chunks):
            return table
        if table.empty:
            return None
        return cls(frozenset(table.columns), lambda columns: [table])

    def __contains__(self, column: str) -> bool:
        return column in self.columns

    def of_runs(self, run_ids, columns: list[str]) -> Iterator[pd.DataFrame]:
        """Each chunk's rows of the runs in `run_ids`, only `columns` (and run_id); chunks
        without any are skipped."""
        wanted = pd.Index(run_ids)
        cols = list(dict.fromkeys(["run_id", *[c for c in columns if c in self.columns]]))
        for frame in self.read(cols):
            frame = frame[frame["run_id"].isin(wanted)]
            if not frame.empty:
                yield frame[cols]


def rows(table: Chunks, run_ids, columns: list[str]) -> pd.DataFrame:
    """The rows of the runs in `run_ids` (few: one run's cities, replication 0), gathered; the
    reading stops once every run asked for is found (a chunk holds whole runs)."""
    wanted = set(pd.Index(run_ids).tolist())
    found = []
    for frame in table.of_runs(list(wanted), columns):
        found.append(frame)
        wanted -= set(frame["run_id"].unique().tolist())
        if not wanted:
            break
    if not found:
        return pd.DataFrame(columns=list(dict.fromkeys(["run_id", *columns])))
    return pd.concat(found, ignore_index=True)


class _Folded:
    """Sums, counts (of non-missing values), minima and maxima of some columns by group,
    folded in one chunk at a time in numpy (a pandas groupby and an aligned add per chunk
    took most of a chart's reading); a group is a tuple of key values."""

    def __init__(self, by: list[str], columns: list[str]):
        self.by, self.columns = by, columns
        self.ids: dict[tuple, int] = {}
        k = len(columns)
        self.sum, self.count = np.zeros((0, k)), np.zeros((0, k))
        self.lo, self.hi = np.zeros((0, k)), np.zeros((0, k))

    def add(self, keys: list[np.ndarray], values: np.ndarray, extremes: bool = False) -> None:
        known = np.logical_and.reduce([pd.notna(key) for key in keys])
        if not known.all():  # a row without its group is left out, as pandas' groupby does
            keys, values = [key[known] for key in keys], values[known]
        if not len(values):
            return
        codes, uniques = zip(*(pd.factorize(key) for key in keys), strict=True)
        combined = np.zeros(len(values), dtype=np.int64)
        for code, found in zip(codes, uniques, strict=True):
            combined = combined * len(found) + code
        present, inverse = np.unique(combined, return_inverse=True)
        parts = []
        for found in reversed(uniques):  # decode each group's key values
            parts.append(np.asarray(found, dtype=object)[present % len(found)])
            present = present // len(found)
        groups = list(zip(*reversed(parts), strict=True))
        gid = np.array([self._id(g) for g in groups], dtype=np.int64)
        missing = np.isnan(values)
        m = len(groups)
        for c in range(values.shape[1]):
            self.sum[gid, c] += np.bincount(inverse, np.where(missing[:, c], 0.0, values[:, c]),
                                            minlength=m)
            self.count[gid, c] += np.bincount(inverse, ~missing[:, c], minlength=m)
        if extremes:
            order = np.argsort(inverse, kind="stable")
            starts = np.flatnonzero(np.r_[True, np.diff(inverse[order]) != 0])
            self.lo[gid] = np.fmin(self.lo[gid], np.fmin.reduceat(values[order], starts))
            self.hi[gid] = np.fmax(self.hi[gid], np.fmax.reduceat(values[order], starts))

    def _id(self, group: tuple) -> int:
        i = self.ids.get(group)
        if i is None:
            i = self.ids[group] = len(self.ids)
            if i >= len(self.sum):  # grow by doubling
                grow = max(8, len(self.sum))
                k = len(self.columns)
                self.sum = np.vstack([self.sum, np.zeros((grow, k))])
                self.count = np.vstack([self.count, np.zeros((grow, k))])
                self.lo = np.vstack([self.lo, np.full((grow, k), np.nan)])
                self.hi = np.vstack([self.hi, np.full((grow, k), np.nan)])
        return i

    def frame(self, values: np.ndarray) -> pd.DataFrame | None:
        """`values` (one of the folded arrays, or a function of them) by group, sorted."""
        if not self.ids:
            return None
        keys = list(self.ids)
        index = (pd.Index([k[0] for k in keys], name=self.by[0]) if len(self.by) == 1
                 else pd.MultiIndex.from_tuples(keys, names=self.by))
        return pd.DataFrame(values[:len(keys)], index=index, columns=self.columns).sort_index()


def group_means(table: Chunks, sel: pd.DataFrame, by: list[str], columns: list[str]
                ) -> pd.DataFrame | None:
    """Mean of `columns` by `by` (columns of the table or of `sel`, e.g. regime and city) over
    the rows of the runs in `sel`, added up chunk by chunk; None if no run has rows."""
    extra = [c for c in by if c not in table.columns and c != "run_id"]
    own = [c for c in by if c in table.columns or c == "run_id"]
    lookup = sel.drop_duplicates("run_id").set_index("run_id")[extra] if extra else None
    folded = _Folded(by, columns)
    for frame in table.of_runs(sel["run_id"], [*own, *columns]):
        keys = {c: frame[c].to_numpy() for c in own}
        if extra:
            at = lookup.index.get_indexer(frame["run_id"])
            keys.update({c: lookup[c].to_numpy()[at] for c in extra})
        folded.add([keys[c] for c in by], frame[columns].to_numpy(dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        return folded.frame(folded.sum / folded.count)


def group_spread(table: Chunks, run_ids, by: str, columns: list[str]) -> pd.DataFrame | None:
    """Per value of `by`, the largest minus the smallest of each column over the runs (e.g.
    whether city i sits in the same place in every run); None if no run has rows."""
    folded = _Folded([by], columns)
    for frame in table.of_runs(run_ids, [by, *columns]):
        folded.add([frame[by].to_numpy()], frame[columns].to_numpy(dtype=float),
                   extremes=True)
    return folded.frame(folded.hi - folded.lo)


def mean_matrices(table: Chunks, groups: dict[str, list[int]], row: str, col: str, value: str
                  ) -> dict[str, tuple[np.ndarray, int, int]]:
    """Per group (e.g. regime -> its run ids): the mean over its runs of the square matrix
    `value`[row, col] of each run, the number of runs, and the smallest run id. A group whose
    runs have matrices of different sizes gets none."""
    owner = {int(r): g for g, ids in groups.items() for r in ids}
    sums: dict[str, np.ndarray] = {}
    count: dict[str, int] = {}
    first: dict[str, int] = {}
    broken: set[str] = set()
    for frame in table.of_runs(list(owner), [row, col, value]):
        runs, i, j = (frame[c].to_numpy() for c in ("run_id", row, col))
        order = np.lexsort((j, i, runs))  # each run's cells by row, then column
        runs, i, v = runs[order], i[order], frame[value].to_numpy(dtype=float)[order]
        ids, starts = np.unique(runs, return_index=True)
        for run_id, a, b in zip(ids.tolist(), starts.tolist(), [*starts[1:].tolist(), len(runs)],
                                strict=True):
            g = owner[int(run_id)]
            n = int(i[a:b].max()) + 1
            if g in broken or b - a != n * n or (g in sums and sums[g].shape[0] != n):
                broken.add(g)
                continue
            m = v[a:b].reshape(n, n)
            sums[g] = m.copy() if g not in sums else sums[g] + m  # no view into the chunk
            count[g] = count.get(g, 0) + 1
            first[g] = min(first.get(g, int(run_id)), int(run_id))
    return {g: (sums[g] / count[g], count[g], first[g]) for g in groups
            if g in sums and g not in broken}
