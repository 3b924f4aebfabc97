"""The sweep engine under stress: dask, shards in separate folders, Ctrl-C and killed workers.

Every path must give the table a single uninterrupted run gives, bit for bit, and must leave
finished chunks intact with a clear message (never a traceback).
"""

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim import runner
from sim.cli import main
from sim.scenario import load
from sim.study import open_results, run_study
from tests.conftest import ROOT, SMALL, write_yaml


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """SMALL run once, in one process: the table every other path must reproduce."""
    out = tmp_path_factory.mktemp("reference") / "small"
    res = run_study(SMALL, out=out, workers=1, charts=False)
    return res.runs, res.series


def _same(path, reference) -> None:
    res = open_results(path)
    assert res.manifest["status"] == "complete"
    assert res.runs["run_id"].is_unique
    pd.testing.assert_frame_equal(res.runs, reference[0], check_exact=True)
    pd.testing.assert_frame_equal(res.series, reference[1], check_exact=True)


# --- shards and merge -------------------------------------------------------------------------
def test_shards_in_separate_folders_merge_to_the_same_table_as_one_run(reference, tmp_path,
                                                                       capsys):
    path = write_yaml(tmp_path / "small.yaml", SMALL)
    folders = []
    for i in range(3):
        out = tmp_path / f"shard{i}"
        assert main([str(path), "--shard", f"{i}/3", "--out", str(out), "--quiet",
                     "--no-charts"]) == 0
        folders.append(str(out / "small"))
    assert "merge" in capsys.readouterr().out  # the shard says what to do next
    # Two of three shards are not enough: refused, listing the missing chunks, nothing changed.
    before = sorted(os.listdir(os.path.join(folders[0], "runs")))
    assert main(["merge", folders[0], folders[1], "--no-charts"]) == 2
    err = capsys.readouterr().err
    assert "chunks are missing: 2, 5, 8, 11, 14" in err and "Traceback" not in err
    assert sorted(os.listdir(os.path.join(folders[0], "runs"))) == before
    assert main(["merge", *folders, "--no-charts"]) == 0
    _same(folders[0], reference)
    merged = tmp_path / "shard0" / "small"
    assert pd.read_csv(merged / "runs.csv").shape[0] == 16
    manifest = json.loads((merged / "manifest.json").read_text())
    assert manifest["runs"]["chunks_done"] == manifest["runs"]["chunks"] == 16
    assert manifest["sessions"][-1]["chunks_copied"] == 16 - 6


def test_shards_in_one_folder_are_finalised_by_merge(reference, tmp_path, capsys):
    out = tmp_path / "same"
    run_study(SMALL, out=out, shard=(0, 2), charts=False)
    assert main(["merge", str(out), "--no-charts"]) == 2
    assert "8 of 16 chunks are missing: 1, 3, 5, 7, 9, 11, 13, 15" in capsys.readouterr().err
    assert not (out / "runs.csv").exists()
    # Shards of a job array that end at the same moment may each see the other's chunks
    # missing, so none of them writes the tables: hide a chunk while the last shard runs.
    (out / "runs" / "chunk-000000.parquet").rename(out / "chunk-0.keep")
    run_study(SMALL, out=out, shard=(1, 2), charts=False)
    assert not (out / "runs.csv").exists()
    (out / "chunk-0.keep").rename(out / "runs" / "chunk-000000.parquet")
    assert main(["merge", str(out), "--no-charts"]) == 0
    assert (out / "summary.csv").exists() and (out / "differences.csv").exists()
    _same(out, reference)


def test_merge_refuses_shards_of_another_scenario(tmp_path, capsys):
    run_study(SMALL, out=tmp_path / "a", shard=(0, 2), charts=False)
    run_study(dict(SMALL, seed=12), out=tmp_path / "b", shard=(1, 2), charts=False)
    assert main(["merge", str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "another version of scenario 'small'" in err
    assert not list((tmp_path / "a" / "runs").glob("chunk-000001*"))
    assert main(["merge", str(tmp_path / "nothing")]) == 2
    assert "not a results folder" in capsys.readouterr().err


def test_per_city_series_of_replication_zero_survive_workers_and_merge(tmp_path):
    study = dict(SMALL, record={"series": True, "cities": True})
    one = run_study(study, out=tmp_path / "one", charts=False)
    for i in range(2):
        run_study(study, out=tmp_path / f"s{i}", shard=(i, 2), charts=False, workers=2)
    assert main(["merge", str(tmp_path / "s0"), str(tmp_path / "s1"), "--no-charts"]) == 0
    recorded = one.runs.loc[one.runs["replication"] == 0, "run_id"].tolist()
    for folder in (tmp_path / "one", tmp_path / "s0"):
        cities = pd.concat([pd.read_parquet(f) for f in
                            sorted((folder / "cities").glob("chunk-*.parquet"))])
        assert sorted(cities["run_id"].unique()) == recorded
        assert sorted(int(p.stem[7:]) for p in (folder / "cities").glob("region-*.json")) \
            == recorded
        assert {"run_id", "step", "city", "intensity", "loss"} <= set(cities.columns)
    a = pd.read_parquet(tmp_path / "one" / "cities" / "chunk-000004.parquet")
    b = pd.read_parquet(tmp_path / "s0" / "cities" / "chunk-000004.parquet")
    pd.testing.assert_frame_equal(a, b, check_exact=True)


# --- interruptions ----------------------------------------------------------------------------
def test_ctrl_c_after_some_chunks_then_resume_loses_and_duplicates_nothing(
        reference, tmp_path, monkeypatch, capsys):
    path = write_yaml(tmp_path / "small.yaml", SMALL)
    argv = [str(path), "--out", str(tmp_path / "o"), "--quiet", "--no-charts"]
    real, calls = runner.run_chunk, []

    def interrupted_after_five(*args):
        if len(calls) == 5:
            raise KeyboardInterrupt
        calls.append(args[0])
        return real(*args)

    monkeypatch.setattr(runner, "run_chunk", interrupted_after_five)
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert "run the same command again" in err
    folder = tmp_path / "o" / "small"
    assert runner.done_chunks(folder) == set(calls) == {0, 1, 2, 3, 4}
    assert json.loads((folder / "manifest.json").read_text())["status"] == "interrupted"
    monkeypatch.setattr(runner, "run_chunk", real)
    assert main(argv) == 0
    _same(folder, reference)


REAL_RUN_CHUNK = runner.run_chunk


def dying_chunk(chunk_id, *args):
    """A chunk that kills the worker process running it (as the OOM killer would); the
    parent, which runs chunks too, computes its own."""
    if os.environ.get("KUAYU_TEST_PARENT") != str(os.getpid()):
        os._exit(9)
    return REAL_RUN_CHUNK(chunk_id, *args)


def test_a_killed_worker_keeps_finished_chunks_and_says_how_to_resume(
        reference, tmp_path, monkeypatch, capsys):
    path = write_yaml(tmp_path / "small.yaml", SMALL)
    argv = [str(path), "--out", str(tmp_path / "o"), "--workers", "2", "--quiet",
            "--no-charts"]
    real = runner.run_chunk
    monkeypatch.setenv("KUAYU_TEST_PARENT", str(os.getpid()))  # the workers inherit it
    monkeypatch.setattr(runner, "run_chunk", dying_chunk)  # sent to workers by reference
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "worker process died" in err and "run the same command again" in err
    assert "Traceback" not in err
    folder = tmp_path / "o" / "small"
    kept = sorted((folder / "runs").glob("chunk-*.parquet"))
    assert len(runner.done_chunks(folder)) < runner.chunk_count(load(SMALL).n_runs)
    for chunk in kept:  # every file left behind is whole
        assert pq.read_table(chunk).num_rows == 1
    monkeypatch.setattr(runner, "run_chunk", real)
    assert main(argv) == 0
    _same(folder, reference)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")
def test_ctrl_c_on_a_worker_pool_exits_130_at_once_without_traceback(tmp_path):
    """The terminal sends SIGINT to the whole process group: parent and workers."""
    big = dict(SMALL, replications=4000, params={"region.n_cities": 4,
                                                 "time.horizon_days": 4})
    path = write_yaml(tmp_path / "big.yaml", big)
    folder = tmp_path / "o" / "small"
    proc = subprocess.Popen([sys.executable, "run.py", str(path), "--workers", "2", "--out",
                             str(tmp_path / "o"), "--quiet", "--no-charts"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not runner.done_chunks(folder) and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        start = time.monotonic()
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert time.monotonic() - start < 10
    assert "run the same command again" in err and "Traceback" not in err
    done = runner.done_chunks(folder)
    assert 0 < len(done) < 64
    for i in done:
        pq.read_table(folder / "runs" / f"chunk-{i:06d}.parquet")
    assert json.loads((folder / "manifest.json").read_text())["status"] == "interrupted"


# --- dask (last, so its local cluster is gone before the other tests run) -----------------
@pytest.fixture(scope="module")
def dask_scheduler():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_dask_executor_gives_the_same_results_as_one_worker(dask_scheduler, reference,
                                                           tmp_path):
    from distributed import Client

    with Client(dask_scheduler) as client:
        run_study(SMALL, out=tmp_path / "api", executor=client.get_executor(), charts=False)
    _same(tmp_path / "api", reference)


def test_cli_runs_on_a_dask_scheduler(dask_scheduler, reference, tmp_path, capsys):
    path = write_yaml(tmp_path / "small.yaml", SMALL)
    assert main([str(path), "--scheduler", dask_scheduler, "--out", str(tmp_path / "cli"),
                 "--quiet", "--no-charts"]) == 0
    _same(tmp_path / "cli" / "small", reference)


def test_dask_missing_is_a_clear_usage_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    path = write_yaml(tmp_path / "small.yaml", SMALL)
    assert main([str(path), "--executor", "dask", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert 'pip install -e ".[dask]"' in err and "Traceback" not in err


def test_scheduler_with_the_process_executor_is_refused(tmp_path, capsys):
    path = write_yaml(tmp_path / "small.yaml", SMALL)
    assert main([str(path), "--executor", "process", "--scheduler", "tcp://127.0.0.1:1",
                 "--out", str(tmp_path / "o")]) == 2
    assert "--executor dask" in capsys.readouterr().err


def test_cli_starts_a_local_dask_cluster(reference, tmp_path):
    pytest.importorskip("distributed")
    path = write_yaml(tmp_path / "small.yaml", SMALL)
    assert main([str(path), "--executor", "dask", "--workers", "2", "--out",
                 str(tmp_path / "local"), "--quiet", "--no-charts"]) == 0
    _same(tmp_path / "local" / "small", reference)
