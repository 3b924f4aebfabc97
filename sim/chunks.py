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
    """The rows of the runs in `run_ids` (few: one run's cities, replication 0), gathered."""
    found = list(table.of_runs(run_ids, columns))
    if not found:
        return pd.DataFrame(columns=list(dict.fromkeys(["run_id", *columns])))
    return pd.concat(found, ignore_index=True)


def group_means(table: Chunks, sel: pd.DataFrame, by: list[str], columns: list[str]
                ) -> pd.DataFrame | None:
    """Mean of `columns` by `by` (columns of the table or of `sel`, e.g. regime and city) over
    the rows of the runs in `sel`, added up chunk by chunk; None if no run has rows."""
    extra = [c for c in by if c not in table.columns and c != "run_id"]
    own = [c for c in by if c in table.columns and c != "run_id"]
    sums = counts = None
    for frame in table.of_runs(sel["run_id"], [*own, *columns]):
        if extra:
            frame = frame.merge(sel[["run_id", *extra]], on="run_id")
        group = frame.groupby(by, sort=True)[columns]
        s, c = group.sum(), group.count()
        sums = s if sums is None else sums.add(s, fill_value=0.0)
        counts = c if counts is None else counts.add(c, fill_value=0)
    if sums is None:
        return None
    return (sums / counts).sort_index()


def group_spread(table: Chunks, run_ids, by: str, columns: list[str]) -> pd.DataFrame | None:
    """Per value of `by`, the largest minus the smallest of each column over the runs (e.g.
    whether city i sits in the same place in every run); None if no run has rows."""
    lo = hi = None
    for frame in table.of_runs(run_ids, [by, *columns]):
        group = frame.groupby(by)[columns]
        a, b = group.min(), group.max()
        lo = a if lo is None else np.fmin(lo, a.reindex(lo.index.union(a.index)))
        hi = b if hi is None else np.fmax(hi, b.reindex(hi.index.union(b.index)))
    return None if lo is None else hi - lo


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
        frame = frame.sort_values(["run_id", row, col])
        for run_id, rows_ in frame.groupby("run_id", sort=True):
            g = owner[int(run_id)]
            n = int(rows_[row].max()) + 1
            if g in broken or len(rows_) != n * n or (g in sums and sums[g].shape[0] != n):
                broken.add(g)
                continue
            m = rows_[value].to_numpy(dtype=float).reshape(n, n)
            sums[g] = m if g not in sums else sums[g] + m
            count[g] = count.get(g, 0) + 1
            first[g] = min(first.get(g, int(run_id)), int(run_id))
    return {g: (sums[g] / count[g], count[g], first[g]) for g in groups
            if g in sums and g not in broken}
