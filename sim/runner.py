"""Execute a plan of runs: chunks to an executor, Parquet chunks on disk, resume, shards.

Each chunk of runs is computed by a worker and written by that worker as one Parquet file
(atomically: write a temporary file, then rename), so the parent never holds all runs, a killed
sweep keeps every finished chunk, and running the same command again computes only the missing
ones. Chunk boundaries depend only on the plan, never on the number of workers, and every run's
result depends only on its own seed, so results are identical for any worker count or executor.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import sim
from sim.model import SERIES, RiskModel
from sim.scenario import RunSpec, Scenario, seed_sequence

RUNS_DIR = "runs"
SERIES_DIR = "series"
MANIFEST = "manifest.json"


class StudyConflict(Exception):
    """The results folder holds results of a different scenario."""


@dataclass
class Progress:
    """Runs done, rate and time left on one terminal line (silent when quiet)."""

    total: int
    done: int = 0
    quiet: bool = False

    def __post_init__(self) -> None:
        self.start = time.perf_counter()
        self.live = not self.quiet and sys.stderr.isatty()

    def advance(self, n: int) -> None:
        self.done += n
        if not self.live:
            return
        elapsed = time.perf_counter() - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        eta = time.strftime("%H:%M:%S", time.gmtime(left)) if math.isfinite(left) else "--:--:--"
        width = 30
        filled = int(width * self.done / max(1, self.total))
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                         f"runs  {rate:,.1f} runs/s  {eta} left ")
        sys.stderr.flush()

    def close(self) -> None:
        if self.live:
            sys.stderr.write("\n")


def run_one(spec: RunSpec, root_seed: int, record_series: bool) -> tuple[dict, RiskModel]:
    """One model run: its row of outcomes, and the finished model (for its series)."""
    model = RiskModel(regime=spec.preset, params=spec.overrides,
                      rng=seed_sequence(root_seed, spec.seed), record_series=record_series)
    outcomes = model.run()
    row = {"run_id": spec.run_id, "regime": spec.regime, "point": spec.point,
           "replication": spec.replication, **spec.params, **outcomes}
    return row, model


def run_chunk(chunk_id: int, specs: list[RunSpec], root_seed: int, record_series: bool,
              out_dir: str) -> tuple[int, int, float]:
    """Worker task: run a chunk and write its Parquet files; returns (chunk, runs, seconds)."""
    start = time.perf_counter()
    rows, series = [], []
    for spec in specs:
        row, model = run_one(spec, root_seed, record_series)
        rows.append(row)
        if model.series is not None:
            n = len(model.series)
            block = {"run_id": np.full(n, spec.run_id), "step": np.arange(n),
                     "hour": np.arange(1, n + 1) * model.step_hours}
            block.update({name: model.series[:, k] for k, name in enumerate(SERIES)})
            series.append(block)
    out = Path(out_dir)
    if series:
        merged = {k: np.concatenate([b[k] for b in series]) for k in series[0]}
        _atomic_parquet(pa.table(merged), out / SERIES_DIR / f"chunk-{chunk_id:06d}.parquet")
    _atomic_parquet(pa.Table.from_pylist(rows), out / RUNS_DIR / f"chunk-{chunk_id:06d}.parquet")
    return chunk_id, len(rows), time.perf_counter() - start


def _atomic_parquet(table: pa.Table, path: Path) -> None:
    tmp = path.with_suffix(f".tmp-{os.getpid()}")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def chunk_size_for(n_runs: int) -> int:
    """Runs per chunk: a function of the plan only, so chunk files match across resumes."""
    return max(1, min(500, math.ceil(n_runs / 64)))


def plan_chunks(scenario: Scenario) -> list[list[RunSpec]]:
    runs = list(scenario.runs())
    size = chunk_size_for(len(runs))
    return [runs[i:i + size] for i in range(0, len(runs), size)]


def done_chunks(out_dir: Path) -> set[int]:
    """Chunks already on disk (complete files only: temporaries are never renamed in)."""
    folder = out_dir / RUNS_DIR
    if not folder.is_dir():
        return set()
    return {int(p.stem.split("-")[1]) for p in folder.glob("chunk-*.parquet")}


def prepare(scenario: Scenario, out_dir: Path, overwrite: bool) -> None:
    """Create the results folder, or check that an existing one holds this same scenario."""
    manifest = out_dir / MANIFEST
    if manifest.exists():
        try:
            old = json.loads(manifest.read_text(encoding="utf-8")).get("fingerprint")
        except (OSError, json.JSONDecodeError):
            old = None
        if old != scenario.fingerprint():
            if not overwrite:
                raise StudyConflict(
                    f"{out_dir} holds results of a different version of scenario "
                    f"'{scenario.name}'; pass --overwrite to replace them, or --out DIR for a "
                    "new folder")
            for sub in (RUNS_DIR, SERIES_DIR):
                shutil.rmtree(out_dir / sub, ignore_errors=True)
    elif out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise StudyConflict(f"{out_dir} exists and is not a kuayu results folder; choose "
                            "another --out or pass --overwrite")
    for sub in (RUNS_DIR, SERIES_DIR):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    for stale in (out_dir / RUNS_DIR).glob("*.tmp-*"):
        stale.unlink()
    for stale in (out_dir / SERIES_DIR).glob("*.tmp-*"):
        stale.unlink()


def execute(scenario: Scenario, out_dir: Path, workers: int = 1, executor: Executor | None = None,
            shard: tuple[int, int] | None = None, overwrite: bool = False,
            quiet: bool = False, command: Iterable[str] = ()) -> dict[str, Any]:
    """Run every missing chunk of the plan (or of one shard) and write the manifest.

    Returns the manifest. Raises StudyConflict for a folder holding another scenario, and
    lets KeyboardInterrupt through after the finished chunks are safely on disk.
    """
    out_dir = Path(out_dir)
    prepare(scenario, out_dir, overwrite)
    chunks = plan_chunks(scenario)
    mine = [i for i in range(len(chunks)) if shard is None or i % shard[1] == shard[0]]
    finished = done_chunks(out_dir)
    todo = [i for i in mine if i not in finished]
    manifest = write_manifest(scenario, out_dir, len(chunks), command, status="running")

    def task(i: int) -> tuple:
        return (i, chunks[i], scenario.seed, scenario.record_series, str(out_dir))

    progress = Progress(sum(len(chunks[i]) for i in mine), quiet=quiet)
    progress.advance(sum(len(chunks[i]) for i in mine if i in finished))
    started = time.perf_counter()
    own_pool = None
    try:
        if executor is None and workers > 1 and len(todo) > 1:
            own_pool = executor = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        if executor is None:
            for i in todo:
                progress.advance(run_chunk(*task(i))[1])
        else:
            futures = [executor.submit(run_chunk, *task(i)) for i in todo]
            try:
                for fut in as_completed(futures):
                    progress.advance(fut.result()[1])
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    finally:
        progress.close()
        if own_pool is not None:
            own_pool.shutdown(wait=True, cancel_futures=True)
    complete = len(done_chunks(out_dir)) == len(chunks)
    manifest = write_manifest(scenario, out_dir, len(chunks), command,
                              status="complete" if complete else "partial",
                              seconds=time.perf_counter() - started, previous=manifest)
    return manifest


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             cwd=Path(sim.__file__).parent, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def write_manifest(scenario: Scenario, out_dir: Path, n_chunks: int, command: Iterable[str],
                   status: str, seconds: float = 0.0, previous: dict | None = None) -> dict:
    """manifest.json: what ran, with which code and seeds, how long it took."""
    import importlib.metadata as md

    def version(pkg: str) -> str | None:
        try:
            return md.version(pkg)
        except md.PackageNotFoundError:
            return None

    sessions = list((previous or {}).get("sessions", []))
    if status != "running":
        sessions.append({"finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                         "seconds": round(seconds, 3), "command": list(command)})
    manifest = {
        "name": scenario.name,
        "status": status,
        "fingerprint": scenario.fingerprint(),
        "scenario_file": scenario.source,
        "scenario": scenario.resolved(),
        "seeds": {"root": scenario.seed, "replications": scenario.replications,
                  "rule": "replication r uses numpy.random.SeedSequence(root, spawn_key=(r,)), "
                          "split into hazard, sensing and behaviour streams"},
        "runs": {"total": scenario.n_runs, "chunks": n_chunks,
                 "chunks_done": len(done_chunks(out_dir))},
        "versions": {"kuayu": sim.__version__, "python": platform.python_version(),
                     **{p: version(p) for p in ("mesa", "numpy", "pandas", "pyarrow",
                                                 "matplotlib")}},
        "git_commit": _git_commit(),
        "command": list(command),
        "sessions": sessions,
    }
    tmp = out_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str),
                   encoding="utf-8")
    os.replace(tmp, out_dir / MANIFEST)
    return manifest
