"""Execute a plan of runs: chunks to an executor, Parquet chunks on disk, resume, shards.

Each chunk of runs is computed by a worker and written by that worker as one Parquet file
(atomically: write a temporary file, then rename), so the parent never holds all runs, a killed
sweep keeps every finished chunk, and running the same command again computes only the missing
ones. Chunk boundaries depend only on the plan, never on the number of workers, and every run's
result depends only on its own seed, so results are identical for any worker count or executor.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import math
import multiprocessing
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import sim
from sim.model import ACCOUNTS, SERIES, RiskModel
from sim.scenario import RunSpec, Scenario, seed_sequence

RUNS_DIR = "runs"
SERIES_DIR = "series"
CITIES_DIR = "cities"  # per-city series of replication 0 (record: {cities: true})
ACCOUNTS_DIR = "accounts"  # per-city loss and money at the end of every run
TRUST_DIR = "trust"  # the final city x city trust matrix of every run
CHUNK_DIRS = (RUNS_DIR, SERIES_DIR, CITIES_DIR, ACCOUNTS_DIR, TRUST_DIR)
MAX_TRUST_CITIES = 30  # larger regions keep no trust matrix (n^2 rows per run)
MANIFEST = "manifest.json"


class StudyConflict(Exception):
    """The results folder holds results of a different scenario."""


class IncompleteResults(Exception):
    """A merge found chunks that no shard has computed yet."""


class WorkerLost(Exception):
    """A worker died (killed, out of memory) before finishing its chunk; finished chunks are
    safe on disk and running the same command again computes the rest."""


class ExecutorUnavailable(Exception):
    """The executor asked for cannot be used (dask not installed, scheduler unreachable)."""


@dataclass
class Progress:
    """Runs done, rate and time left (silent when quiet): tqdm's auto bar, so it shows in a
    terminal, in a Jupyter notebook, and in a pipe or log file (one line every 15 s there)."""

    total: int
    done: int = 0
    quiet: bool = False

    def __post_init__(self) -> None:
        self.start = time.perf_counter()
        self.bar = None
        if not self.quiet:
            from tqdm.auto import tqdm

            tty = sys.stderr.isatty()
            self.bar = tqdm(total=self.total, unit="run", file=sys.stderr, smoothing=0.1,
                            mininterval=0.2 if tty else 15.0, dynamic_ncols=tty,
                            ascii=not tty, leave=True)

    def advance(self, n: int) -> None:
        self.done += n
        if self.bar is not None and n:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_one(spec: RunSpec, root_seed: int, record_series: bool,
            record_cities: bool = False) -> tuple[dict, RiskModel]:
    """One model run: its row of outcomes, and the finished model (for its series)."""
    model = RiskModel(regime=spec.preset, params=spec.overrides,
                      rng=seed_sequence(root_seed, spec.seed), record_series=record_series,
                      record_cities=record_cities)
    outcomes = model.run()
    row = {"run_id": spec.run_id, "regime": spec.regime, "point": spec.point,
           "replication": spec.replication, **spec.params, **outcomes}
    return row, model


def run_chunk(chunk_id: int, specs: list[RunSpec], root_seed: int, record_series: bool,
              out_dir: str, record_cities: bool = False) -> tuple[int, int, float]:
    """Worker task: run a chunk and write its Parquet files; returns (chunk, runs, seconds).

    Every run keeps its per-city accounts (accounts/chunk-*.parquet) and, for regions of up to
    MAX_TRUST_CITIES cities, its final trust matrix (trust/chunk-*.parquet); replication 0 of
    every regime and sweep point keeps its region (accounts/regions-<chunk>.json, by run id),
    for maps. With record_cities, replication 0 also keeps its per-city series
    (cities/chunk-*.parquet) and its region and incidents (cities/region-<run>.json), for maps
    and timelines of single runs. Everything is written before the runs file, whose presence
    marks the chunk as done."""
    start = time.perf_counter()
    out = Path(out_dir)
    rows, series, cities, accounts, trust, regions = [], [], [], [], [], {}
    for spec in specs:
        row, model = run_one(spec, root_seed, record_series,
                             record_cities and spec.replication == 0)
        rows.append(row)
        accounts.append(accounts_block(spec.run_id, model))
        if model.n <= MAX_TRUST_CITIES:
            trust.append(trust_block(spec.run_id, model.trust))
        if spec.replication == 0:  # the map of each regime and sweep point (rivers, names)
            regions[str(spec.run_id)] = model.region_record()
        if model.series is not None:
            n = len(model.series)
            block = {"run_id": np.full(n, spec.run_id), "step": np.arange(n),
                     "hour": np.arange(1, n + 1) * model.step_hours}
            block.update({name: model.series[:, k] for k, name in enumerate(SERIES)})
            series.append(block)
        if getattr(model, "city_series", None) is not None:
            steps, n_cities, _ = model.city_series.shape
            cities.append({"run_id": np.full(steps * n_cities, spec.run_id),
                           "step": np.repeat(np.arange(steps), n_cities),
                           "city": np.tile(np.arange(n_cities), steps),
                           "intensity": model.city_series[:, :, 0].ravel(),
                           "loss": model.city_series[:, :, 1].ravel()})
            _atomic_text(json.dumps(model.region_record(), ensure_ascii=False),
                         out / CITIES_DIR / f"region-{spec.run_id:06d}.json")
    name = f"chunk-{chunk_id:06d}.parquet"
    if regions:
        _atomic_text(json.dumps(regions, ensure_ascii=False),
                     out / ACCOUNTS_DIR / f"regions-{chunk_id:06d}.json")
    _atomic_parquet(pa.table(_concat(accounts)), out / ACCOUNTS_DIR / name)
    if trust:
        _atomic_parquet(pa.table(_concat(trust)), out / TRUST_DIR / name)
    if cities:
        _atomic_parquet(pa.table(_concat(cities)), out / CITIES_DIR / name)
    if series:
        _atomic_parquet(pa.table(_concat(series)), out / SERIES_DIR / name)
    # The runs file comes last: its presence is what marks the chunk as done.
    _atomic_parquet(pa.Table.from_pylist(rows), out / RUNS_DIR / name)
    return chunk_id, len(rows), time.perf_counter() - start


def accounts_block(run_id: int, model: RiskModel) -> dict:
    """One row per city: who it is (index, id, names, size, place) and its accounts at the end
    of the run (sim.model.ACCOUNTS, 100 million CNY; net_burden = the sum of the others, with
    fund payouts counted negative)."""
    n, region = model.n, model.region
    block = {"run_id": np.full(n, run_id, dtype=np.int64), "city": np.arange(n, dtype=np.int32),
             "city_id": np.array(region.ids, dtype=object),
             "name_en": np.array(region.names_en, dtype=object),
             "name_zh": np.array(region.names_zh, dtype=object),
             "population_m": np.asarray(region.population_m, dtype=float),
             "lon": np.asarray(region.lon, dtype=float), "lat": np.asarray(region.lat, dtype=float)}
    values = model.city_accounts()
    block.update({name: np.asarray(values[name], dtype=float) for name in ACCOUNTS})
    return block


def trust_block(run_id: int, matrix: np.ndarray) -> dict:
    """The trust matrix in long form: T[truster, trusted], diagonal included."""
    n = matrix.shape[0]
    return {"run_id": np.full(n * n, run_id, dtype=np.int64),
            "truster": np.repeat(np.arange(n, dtype=np.int32), n),
            "trusted": np.tile(np.arange(n, dtype=np.int32), n),
            "trust": np.asarray(matrix, dtype=float).ravel()}


def _concat(blocks: list[dict]) -> dict:
    return {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}


def _atomic_text(text: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _atomic_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp-{os.getpid()}")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def chunk_size_for(n_runs: int) -> int:
    """Runs per chunk: a function of the plan only, so chunk files match across resumes."""
    return max(1, min(500, math.ceil(n_runs / 64)))


def plan_chunks(scenario: Scenario) -> list[list[RunSpec]]:
    """Every chunk of the plan as a list (small plans; the engine itself uses iter_chunks)."""
    return [specs for _, specs in iter_chunks(scenario)]


def iter_chunks(scenario: Scenario) -> Iterator[tuple[int, list[RunSpec]]]:
    """(chunk id, runs) in plan order, made one at a time so the parent never holds the plan."""
    size = chunk_size_for(scenario.n_runs)
    runs = scenario.runs()
    for chunk_id in itertools.count():
        specs = list(itertools.islice(runs, size))
        if not specs:
            return
        yield chunk_id, specs


def chunk_count(n_runs: int) -> int:
    return math.ceil(n_runs / chunk_size_for(n_runs))


def chunk_runs(n_runs: int, chunk_id: int) -> int:
    """Number of runs in one chunk (the last one may be short)."""
    size = chunk_size_for(n_runs)
    return max(0, min(size, n_runs - chunk_id * size))


def done_chunks(out_dir: Path) -> set[int]:
    """Chunks already on disk (complete files only: temporaries are never renamed in)."""
    folder = Path(out_dir) / RUNS_DIR
    if not folder.is_dir():
        return set()
    return {int(p.stem.split("-")[1]) for p in folder.glob("chunk-*.parquet")}


def prepare(scenario: Scenario, out_dir: Path, overwrite: bool,
            shard: tuple[int, int] | None = None) -> None:
    """Create the results folder, or check that an existing one holds this same scenario.

    Shards of one study may start at the same moment in one folder (a job array): a folder that
    holds only another shard's runs/ and series/ is accepted, and a shard never deletes
    temporary files, which may be another shard's chunk being written.
    """
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
            for sub in CHUNK_DIRS:
                shutil.rmtree(out_dir / sub, ignore_errors=True)
    elif out_dir.exists() and not overwrite and any(
            p.name not in CHUNK_DIRS and not p.name.startswith(MANIFEST + ".tmp")
            for p in out_dir.iterdir()):
        raise StudyConflict(f"{out_dir} exists and is not a kuayu results folder; choose "
                            "another --out or pass --overwrite")
    for sub in (RUNS_DIR, SERIES_DIR):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    if shard is None:
        _remove_temporaries(out_dir)


def _remove_temporaries(out_dir: Path) -> None:
    """Half-written chunks of a killed run (never renamed in, so never read)."""
    for sub in CHUNK_DIRS:
        for stale in (out_dir / sub).glob("*.tmp-*"):
            stale.unlink(missing_ok=True)


def _ignore_sigint() -> None:
    """Worker initializer: Ctrl-C is the parent's to handle (it stops the workers itself), so a
    worker never prints a traceback of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def process_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """Spawned worker processes, stopped at once when the run is interrupted or fails: the
    chunks they were computing are not on disk and are simply computed again on resume."""
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint,
                               mp_context=multiprocessing.get_context("spawn"))
    try:
        yield pool
    except BaseException:
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                proc.terminate()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Processes started inside ignore Ctrl-C (an ignored signal stays ignored across exec)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def dask_executor(address: str | None = None, workers: int = 1) -> Iterator[Executor]:
    """A concurrent.futures Executor on a dask.distributed cluster: the scheduler at `address`
    (e.g. tcp://10.0.0.5:8786, or a SLURMCluster's), or else a local cluster of `workers`
    processes. Workers write the chunks themselves, so they must see the results folder
    (a shared file system on a cluster)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ExecutorUnavailable(
            'the dask executor needs dask.distributed, which is not installed; install the '
            'optional extra with: pip install -e ".[dask]"') from None
    with contextlib.ExitStack() as stack:
        if address is None:
            # Its processes start with Ctrl-C ignored (inherited): the parent stops them.
            with _sigint_ignored():
                cluster = stack.enter_context(LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=logging.ERROR))
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(address, timeout=20))
            except (OSError, TimeoutError, ValueError) as exc:
                raise ExecutorUnavailable(
                    f"cannot reach the dask scheduler at {address!r} ({exc}); check that it "
                    "is running and the address (tcp://HOST:PORT) is right") from None
        yield client.get_executor(pure=False)


def _window(executor: Executor, workers: int) -> int:
    """Chunks in flight: enough to keep every worker busy, few enough that the parent holds
    a bounded part of the plan however large it is."""
    if isinstance(executor, ProcessPoolExecutor):
        return 2 * executor._max_workers + 2
    client = getattr(executor, "_client", None)  # dask.distributed's ClientExecutor
    capacity = workers
    if client is not None:
        with contextlib.suppress(Exception):
            capacity = max(capacity, sum(client.nthreads().values()))
    return max(64, 2 * capacity + 2)


def _worker_died(exc: BaseException) -> bool:
    # BrokenProcessPool (a process pool), KilledWorker (dask gave up after retries).
    return isinstance(exc, BrokenExecutor) or type(exc).__name__ == "KilledWorker"


def _drain(executor: Executor, tasks: Iterator[tuple], window: int, progress: Progress) -> None:
    """Submit run_chunk tasks, at most `window` at a time, until all are done."""
    pending: set = set()
    try:
        for args in tasks:
            while len(pending) >= window:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    progress.advance(fut.result()[1])
            pending.add(executor.submit(run_chunk, *args))
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                progress.advance(fut.result()[1])
    except BaseException:
        for fut in pending:
            fut.cancel()
        raise


def execute(scenario: Scenario, out_dir: Path, workers: int = 1, executor: Executor | None = None,
            shard: tuple[int, int] | None = None, overwrite: bool = False,
            quiet: bool = False, command: Iterable[str] = ()) -> dict[str, Any]:
    """Run every missing chunk of the plan (or of one shard) and write the manifest.

    Returns the manifest. Raises StudyConflict for a folder holding another scenario and
    WorkerLost when a worker process dies; lets KeyboardInterrupt through. In every case the
    finished chunks are safely on disk and the manifest says how far the run got.
    """
    out_dir = Path(out_dir)
    prepare(scenario, out_dir, overwrite, shard)
    n_runs = scenario.n_runs
    n_chunks = chunk_count(n_runs)
    mine = [i for i in range(n_chunks) if shard is None or i % shard[1] == shard[0]]
    finished = done_chunks(out_dir)
    todo = set(mine) - finished
    if not todo and len(finished) >= n_chunks and (done := _complete(out_dir, scenario)):
        # nothing to run: the manifest keeps its sessions and timings, and takes the new
        # labels, charts and report choices, which do not change results
        shown = json.loads(json.dumps(scenario.resolved(), default=str))
        restyled = done.get("scenario") != shown
        if restyled:
            done = {**done, "scenario": shown}
            _write_json(out_dir / MANIFEST, done)
        return {**done, "nothing_to_run": True, "restyled": restyled}
    manifest = write_manifest(scenario, out_dir, n_chunks, command, status="running")
    where = str(out_dir.resolve())  # workers may run elsewhere (a dask cluster)
    cities = bool(getattr(scenario, "record_cities", False))
    tasks = ((i, specs, scenario.seed, scenario.record_series, where, cities)
             for i, specs in iter_chunks(scenario) if i in todo)

    progress = Progress(sum(chunk_runs(n_runs, i) for i in mine), quiet=quiet)
    progress.advance(sum(chunk_runs(n_runs, i) for i in mine if i in finished))
    started = time.perf_counter()
    status, lost = "partial", None
    try:
        if executor is None and workers > 1 and len(todo) > 1:
            with process_pool(min(workers, len(todo))) as pool:
                _drain(pool, tasks, _window(pool, workers), progress)
        elif executor is None:
            for args in tasks:
                progress.advance(run_chunk(*args)[1])
        else:
            _drain(executor, tasks, _window(executor, workers), progress)
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    except BaseException as exc:
        if not _worker_died(exc):
            status = "failed"
            raise
        lost = exc
    finally:
        progress.close()
        n_done = len(done_chunks(out_dir))
        manifest = write_manifest(scenario, out_dir, n_chunks, command,
                                  status="complete" if n_done >= n_chunks else status,
                                  seconds=time.perf_counter() - started, previous=manifest)
    if lost is not None:
        raise WorkerLost(
            "a worker process died before finishing its chunk (killed, or out of memory?): "
            f"{type(lost).__name__}: {str(lost).rstrip('.')}. {n_done} of {n_chunks} chunks "
            f"are finished and saved in {out_dir}; run the same command again to compute the "
            "rest (with fewer --workers if memory is short)."
            + ("" if n_done > len(finished) or executor is not None else
               " If no worker ever started: a script that calls sim.run_study(workers=N) "
               "must do so under `if __name__ == \"__main__\":` (workers are spawned and "
               "import the script).")) from None
    return manifest


def _complete(out_dir: Path, scenario: Scenario) -> dict[str, Any] | None:
    """The manifest of a finished run of this very scenario in out_dir, else None."""
    try:
        manifest = read_manifest(out_dir)
    except (FileNotFoundError, StudyConflict):
        return None
    same = manifest.get("fingerprint") == scenario.fingerprint()
    return manifest if same and manifest.get("status") == "complete" else None


def read_manifest(folder: Path) -> dict[str, Any]:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{folder} is not a results folder (no {MANIFEST})")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StudyConflict(f"{path} cannot be read ({exc})") from None


def _ranges(ids: list[int]) -> str:
    """[0, 1, 2, 5, 7, 8] -> '0-2, 5, 7-8'."""
    parts, start = [], None
    for k, i in enumerate(ids):
        if start is None:
            start = i
        if k + 1 == len(ids) or ids[k + 1] != i + 1:
            parts.append(str(start) if start == i else f"{start}-{i}")
            start = None
    return ", ".join(parts)


def merge(folders: Iterable[str | Path], command: Iterable[str] = ()) -> dict[str, Any]:
    """Join the shards of one study into the first folder and mark it complete.

    Shards that ran into the same folder need nothing but this check; shards that ran into
    separate folders (same scenario fingerprint required) have their chunk files copied into
    the first. Refuses, changing nothing, when any chunk is missing from all folders
    (IncompleteResults) or a folder holds another scenario (StudyConflict). Returns the
    first folder's updated manifest.
    """
    folders = [Path(f) for f in folders]
    target = folders[0]
    manifests = [read_manifest(f) for f in folders]
    first = manifests[0]
    others = []
    for folder, m in zip(folders[1:], manifests[1:], strict=True):
        if m.get("fingerprint") != first.get("fingerprint"):
            what = (f"scenario '{m.get('name')}', not '{first.get('name')}'"
                    if m.get("name") != first.get("name") else
                    f"another version of scenario '{m.get('name')}' (other settings, seed or "
                    "replications)")
            raise StudyConflict(f"cannot merge {folder} into {target}: it holds {what}; only "
                                "shards of the same scenario can be merged")
        if folder.resolve() != target.resolve() and folder.resolve() not in \
                [o.resolve() for o in others]:
            others.append(folder)
    n_chunks = int(first["runs"]["chunks"])
    have = done_chunks(target).union(*(done_chunks(f) for f in others))
    missing = sorted(set(range(n_chunks)) - have)
    if missing:
        raise IncompleteResults(
            f"cannot merge {', '.join(map(str, folders))}: {len(missing)} of {n_chunks} chunks "
            f"are missing: {_ranges(missing)}. Run the shards that compute them (the same "
            "command with --shard i/N), then merge again.")
    copied = 0
    for folder in others:
        for sub in CHUNK_DIRS:
            if not (folder / sub).is_dir():
                continue
            (target / sub).mkdir(parents=True, exist_ok=True)
            for src in sorted((folder / sub).glob("*-*.*")):
                if ".tmp-" in src.name:
                    continue
                dst = target / sub / src.name
                if not dst.exists():
                    tmp = dst.with_suffix(f".tmp-{os.getpid()}")
                    shutil.copyfile(src, tmp)
                    os.replace(tmp, dst)
                    copied += sub == RUNS_DIR
    _remove_temporaries(target)
    sessions = [s for m in manifests for s in m.get("sessions", [])]
    sessions.append({"finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "seconds": 0.0,
                     "command": list(command),
                     "merged": [str(f) for f in folders], "chunks_copied": copied})
    manifest = dict(first, status="complete", sessions=sessions,
                    runs=dict(first["runs"], chunks_done=len(done_chunks(target))))
    _write_json(target / MANIFEST, manifest)
    return manifest


def _write_json(path: Path, data: dict) -> None:
    """Atomically, with a temporary name of this process (shards may write at once)."""
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str),
                   encoding="utf-8")
    os.replace(tmp, path)


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
    _write_json(out_dir / MANIFEST, manifest)
    return manifest
