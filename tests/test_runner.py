"""The sweep engine: same results for any worker count, resume without loss or duplicates."""

import os

import numpy as np
import pandas as pd
import pytest

from sim import runner
from sim.model import ACCOUNTS
from sim.runner import StudyConflict
from sim.scenario import load
from sim.study import merge_results, open_results, run_study
from tests.conftest import SMALL


def _runs(path) -> pd.DataFrame:
    return open_results(path).runs


def test_results_identical_for_one_and_two_workers(tmp_path):
    one = run_study(SMALL, out=tmp_path / "w1", workers=1, charts=False)
    two = run_study(SMALL, out=tmp_path / "w2", workers=2, charts=False)
    pd.testing.assert_frame_equal(one.runs, two.runs, check_exact=True)
    pd.testing.assert_frame_equal(one.series, two.series, check_exact=True)
    _same_city_tables(one, two)


def _same_city_tables(a, b) -> None:
    """The per-city accounts, trust matrices and regions of two results folders are equal."""
    pd.testing.assert_frame_equal(a.accounts, b.accounts, check_exact=True)
    pd.testing.assert_frame_equal(a.trust, b.trust, check_exact=True)
    assert a.regions == b.regions


def test_resume_after_a_kill_loses_and_duplicates_nothing(tmp_path):
    full = run_study(SMALL, out=tmp_path / "full", charts=False).runs
    out = tmp_path / "resumed"
    run_study(SMALL, out=out, charts=False)
    chunks = sorted((out / runner.RUNS_DIR).glob("chunk-*.parquet"))
    for lost in chunks[::2]:  # a killed sweep: some chunks never written ...
        lost.unlink()
    (out / runner.RUNS_DIR / "chunk-000999.tmp-123").write_bytes(b"half")  # ... one half-written
    again = run_study(SMALL, out=out, charts=False)
    assert again.manifest["status"] == "complete"
    pd.testing.assert_frame_equal(again.runs, full, check_exact=True)
    assert again.runs["run_id"].is_unique
    _same_city_tables(again, open_results(tmp_path / "full"))
    assert not again.accounts.duplicated(["run_id", "city"]).any()
    assert not list((out / runner.RUNS_DIR).glob("*.tmp-*"))


def test_shards_merge_to_the_same_table_as_one_run(tmp_path):
    full = run_study(SMALL, out=tmp_path / "full", charts=False).runs
    out = tmp_path / "sharded"
    first = run_study(SMALL, out=out, shard=(0, 2), charts=False)
    assert first.manifest["status"] == "partial"
    second = run_study(SMALL, out=out, shard=(1, 2), charts=False)
    assert second.manifest["status"] == "complete"
    pd.testing.assert_frame_equal(second.runs, full, check_exact=True)


def test_changed_scenario_is_refused_unless_overwrite(tmp_path):
    out = tmp_path / "s"
    run_study(SMALL, out=out, charts=False)
    changed = dict(SMALL, seed=12)
    with pytest.raises(StudyConflict, match="overwrite=True"):
        run_study(changed, out=out, charts=False)
    res = run_study(changed, out=out, charts=False, overwrite=True)
    assert res.manifest["scenario"]["seed"] == 12


def test_manifest_records_seeds_versions_and_counts(tmp_path):
    res = run_study(SMALL, out=tmp_path / "m", charts=False)
    m = res.manifest
    assert m["seeds"]["root"] == 11
    assert m["runs"]["total"] == 16 == m["runs"]["chunks_done"] * runner.chunk_size_for(16)
    assert m["versions"]["mesa"].startswith("3.")
    assert m["status"] == "complete"


def test_paired_comparison_uses_the_same_seed_per_replication(tmp_path):
    sc = load(SMALL)
    seeds = {}
    for spec in sc.runs():
        seeds.setdefault((spec.point, spec.replication), set()).add(spec.seed)
    assert all(len(s) == 1 for s in seeds.values())
    assert os.path.basename(str(tmp_path))


def test_shards_in_separate_folders_merge_with_their_per_city_tables(tmp_path):
    full = run_study(SMALL, out=tmp_path / "full", charts=False)
    first = run_study(SMALL, out=tmp_path / "a", shard=(0, 2), charts=False)
    run_study(SMALL, out=tmp_path / "b", shard=(1, 2), charts=False)
    assert len(first.accounts) < len(full.accounts)  # each shard holds only its own runs
    merged = merge_results([tmp_path / "a", tmp_path / "b"], charts=False)
    pd.testing.assert_frame_equal(merged.runs, full.runs, check_exact=True)
    _same_city_tables(merged, full)


def _rerun(spec, seed):
    """The finished model of one run of the plan, computed again."""
    return runner.run_one(spec, seed, record_series=False)[1]


def test_accounts_add_up_and_round_trip(tmp_path):
    res = run_study(SMALL, out=tmp_path / "acc", charts=False)
    acc = res.accounts
    n_cities = SMALL["params"]["region.n_cities"]
    assert len(acc) == len(res.runs) * n_cities  # one row per run and city
    assert set(ACCOUNTS) <= set(acc.columns)
    # sim.metrics.net_burden: evaluation is rewards received, bilateral transfers paid
    parts = (acc["loss"] + acc["source_control_cost"] + acc["assist_cost"] + acc["fund_in"]
             + acc["sanctions"] - acc["fund_out"] - acc["evaluation"] + acc["bilateral"])
    np.testing.assert_allclose(acc["net_burden"], parts, rtol=1e-12, atol=1e-12)
    books = acc.groupby("run_id")[["loss", "fund_in", "fund_out", "sanctions"]].sum().join(
        res.runs.set_index("run_id")[["total_loss", "compensation_paid", "sanctions"]]
        .rename(columns={"sanctions": "sanctions_run"}))
    np.testing.assert_allclose(books["loss"], books["total_loss"], rtol=1e-12)
    np.testing.assert_allclose(books["fund_out"], books["compensation_paid"], rtol=1e-12)
    np.testing.assert_allclose(books["sanctions"], books["sanctions_run"], rtol=1e-12)
    assert (books["fund_in"] <= books["fund_out"] * (1 + 1e-12)).all()
    assert (books["fund_out"] > 0).any()  # the coordinated regime runs a compensation fund
    scenario = load(SMALL)
    for spec in scenario.runs():
        model = _rerun(spec, scenario.seed)
        accounts = model.city_accounts()
        rows = acc[acc["run_id"] == spec.run_id].sort_values("city")
        for name in ACCOUNTS:  # the table holds exactly what the model reported
            np.testing.assert_array_equal(rows[name].to_numpy(), accounts[name])
        # the fund's books: contributions from the cities + outside money == payouts
        assert model.fund_in.sum() + model.fund_outside == pytest.approx(
            model.fund_out.sum(), rel=1e-12, abs=1e-15)
        assert rows["name_en"].tolist() == list(model.region.names_en)


def test_trust_matrices_and_regions_round_trip(tmp_path):
    res = run_study(SMALL, out=tmp_path / "trust", charts=False)
    scenario = load(SMALL)
    firsts = set()
    for spec in scenario.runs():
        model = _rerun(spec, scenario.seed)
        np.testing.assert_array_equal(res.trust_matrix(spec.run_id), model.trust)
        if spec.replication == 0:
            firsts.add(spec.run_id)
            region = res.regions[spec.run_id]
            assert region["rivers"] == [[e.src, e.dst] for e in model.region.rivers]
            assert region["names_zh"] == list(model.region.names_zh)
    assert set(res.regions) == firsts  # replication 0 of every regime and sweep point
    assert res.trust.groupby("run_id").size().eq(SMALL["params"]["region.n_cities"] ** 2).all()
    with pytest.raises(LookupError, match="no trust matrix for run 999"):
        res.trust_matrix(999)


def test_regions_too_large_keep_no_trust_matrix(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "MAX_TRUST_CITIES", 3)
    res = run_study(SMALL, out=tmp_path / "big", charts=False)
    assert res.trust is None
    assert res.accounts is not None


def test_a_lent_pool_stops_its_workers_as_soon_as_the_work_fails():
    """run_study lends one pool to the runs and then to the charts (runner.borrowed): when the
    runs fail or are interrupted, the workers must stop at once, before the manifest is
    written and the study's lock released, as with a pool of the runs' own."""
    import time

    with runner.process_pool(1) as pool:
        pool.submit(time.sleep, 60)
        deadline = time.monotonic() + 60
        while not pool._processes and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = list(pool._processes.values())
        assert workers
        with pytest.raises(RuntimeError), runner.borrowed(pool):
            raise RuntimeError("a chunk failed")
        for proc in workers:
            proc.join(10)
            assert not proc.is_alive()  # stopped before the pool itself is shut down


def test_share_keeps_the_workers_fed_while_this_process_runs_a_long_task():
    """With `local`, the parent is one of the workers (runner.share): it takes tasks from the
    same list, while a feeder thread keeps the pool's hands full, so a worker never waits for
    the parent's long task; every task runs once, and what the pool returns is delivered."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    fed = threading.Event()
    pool_ran, here_ran, delivered = [], [], []

    def in_pool(i):
        pool_ran.append(i)
        if len(pool_ran) >= 5:
            fed.set()
        return i

    def here(i):
        here_ran.append(i)
        if len(here_ran) == 1:  # a long task: it ends only once the pool has done five
            assert fed.wait(30), "the pool was left without work while this process worked"

    with ThreadPoolExecutor(1) as pool:
        runner.share(pool, in_pool, [(i,) for i in range(20)], 2, delivered.append,
                     local=here)
    assert sorted(pool_ran + here_ran) == list(range(20))
    assert len(pool_ran) >= 5 and here_ran
    assert sorted(delivered) == sorted(pool_ran)


def test_share_raises_what_fails_here_or_in_a_worker_and_stops_feeding():
    import threading
    from concurrent.futures import ThreadPoolExecutor

    def fails(i):
        raise ValueError(f"chunk {i} failed")

    for in_pool, here in ((fails, lambda i: None), (lambda i: i, fails)):
        before = threading.active_count()
        with ThreadPoolExecutor(1) as pool, pytest.raises(ValueError, match="failed"):
            runner.share(pool, in_pool, [(i,) for i in range(200)], 2, lambda _: None,
                         local=here)
        assert threading.active_count() == before  # the feeder thread has ended


def test_share_without_local_leaves_every_task_to_the_executor():
    from concurrent.futures import ThreadPoolExecutor

    delivered = []
    with ThreadPoolExecutor(2) as pool:
        runner.share(pool, lambda i: i * i, [(i,) for i in range(20)], 3, delivered.append)
    assert sorted(delivered) == [i * i for i in range(20)]
