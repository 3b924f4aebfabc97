"""The per-city reductions the charts read chunk by chunk (sim.chunks) give what pandas gives on
the whole table, however the runs are split into chunks."""

import numpy as np
import pandas as pd
import pytest

from sim.chunks import Chunks, group_means, group_spread, mean_matrices, rows


def _accounts(n_runs=12, n_cities=5, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "run_id": np.repeat(np.arange(n_runs), n_cities),
        "city": np.tile(np.arange(n_cities), n_runs).astype(np.int32),
        "name_en": np.tile([f"c{i}" for i in range(n_cities)], n_runs),
        "loss": rng.lognormal(size=n_runs * n_cities),
        "lon": np.tile(rng.normal(size=n_cities), n_runs),
    })
    frame.loc[7, "loss"] = np.nan  # a missing value is left out of its mean, as pandas does
    sel = pd.DataFrame({"run_id": np.arange(n_runs),
                        "regime": np.where(np.arange(n_runs) % 3 == 0, "b", "a")})
    return frame, sel


def _chunked(frame, per_chunk):
    """The table as a results folder holds it: whole runs per chunk, read chunk by chunk."""
    ids = frame["run_id"].unique()
    parts = [frame[frame["run_id"].isin(ids[i:i + per_chunk])]
             for i in range(0, len(ids), per_chunk)]
    return Chunks(frozenset(frame.columns), lambda columns: (p[columns] for p in parts))


@pytest.mark.parametrize("per_chunk", [1, 5, 12])
def test_means_and_spreads_are_pandas_whatever_the_chunks(per_chunk):
    frame, sel = _accounts()
    table = _chunked(frame, per_chunk)
    got = group_means(table, sel[sel["run_id"] != 4], ["regime", "city"], ["loss", "lon"])
    whole = frame.merge(sel[sel["run_id"] != 4], on="run_id")
    want = whole.groupby(["regime", "city"])[["loss", "lon"]].mean()
    assert list(got.index) == list(want.index) and list(got.columns) == ["loss", "lon"]
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-13)
    moved = frame.assign(lon=frame["lon"] + frame["run_id"] * (frame["city"] == 2))
    spread = group_spread(_chunked(moved, per_chunk), sel["run_id"], "city", ["lon"])
    assert spread["lon"].tolist() == [0.0, 0.0, 11.0, 0.0, 0.0]


def test_one_runs_rows_stop_the_reading_once_found():
    frame, _ = _accounts()
    read = []
    parts = [frame[frame["run_id"] == r] for r in range(12)]

    def reader(columns):
        for i, part in enumerate(parts):
            read.append(i)
            yield part[columns]

    got = rows(Chunks(frozenset(frame.columns), reader), [3], ["city", "name_en"])
    assert got["name_en"].tolist() == [f"c{i}" for i in range(5)] and read == [0, 1, 2, 3]
    assert rows(_chunked(frame, 4), [99], ["city"]).empty


@pytest.mark.parametrize("per_chunk", [1, 3])
def test_mean_matrices_are_the_mean_of_each_runs_matrix(per_chunk):
    rng = np.random.default_rng(1)
    mats = {r: rng.random((3, 3)) for r in range(6)}
    frame = pd.DataFrame([(r, i, j, m[i, j]) for r, m in mats.items()
                          for i in range(3) for j in range(3)],
                         columns=["run_id", "truster", "trusted", "trust"]).sample(
        frac=1.0, random_state=0)  # rows in any order
    frame = frame.sort_values("run_id", kind="stable")
    got = mean_matrices(_chunked(frame, per_chunk), {"a": [0, 2, 4], "b": [1, 3, 5]},
                        "truster", "trusted", "trust")
    np.testing.assert_allclose(got["a"][0], (mats[0] + mats[2] + mats[4]) / 3, rtol=1e-15)
    assert got["a"][1:] == (3, 0) and got["b"][1:] == (3, 1)


def test_rows_without_a_group_are_left_out_as_pandas_does():
    frame, sel = _accounts()
    frame["zone"] = np.where(frame["city"] == 1, None, np.where(frame["city"] < 3, "n", "s"))
    got = group_means(_chunked(frame, 5), sel, ["zone"], ["loss"])
    want = frame.groupby("zone")[["loss"]].mean()
    assert list(got.index) == ["n", "s"]
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-13)
