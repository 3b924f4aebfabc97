"""The sweep engine: same results for any worker count, resume without loss or duplicates."""

import os

import pandas as pd
import pytest

from sim import runner
from sim.runner import StudyConflict
from sim.scenario import load
from sim.study import open_results, run_study
from tests.conftest import SMALL


def _runs(path) -> pd.DataFrame:
    return open_results(path).runs


def test_results_identical_for_one_and_two_workers(tmp_path):
    one = run_study(SMALL, out=tmp_path / "w1", workers=1, charts=False)
    two = run_study(SMALL, out=tmp_path / "w2", workers=2, charts=False)
    pd.testing.assert_frame_equal(one.runs, two.runs, check_exact=True)
    pd.testing.assert_frame_equal(one.series, two.series, check_exact=True)


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
    with pytest.raises(StudyConflict, match="--overwrite"):
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
