"""Execute a plan of runs: chunks to an executor, Parquet chunks on disk, resume, shards.

Each chunk of runs is computed by a worker and written by that worker as Parquet files
(atomically: a temporary file, then a rename; never through a symbolic link, never outside the
results folder) and, last, its record (runs/chunk-N.json: the plan's fingerprint, the chunk's
run ids, each file's size and SHA-256). So the parent never holds all runs, a killed sweep keeps
every finished chunk, and running the same command again computes only the missing or damaged
ones; resume, plot and merge verify every chunk against its record and the plan (scan_chunks).
Chunk boundaries depend only on the plan, never on the number of workers, and every run's
result depends only on its own seed, so results are identical for any worker count or executor.
A results folder is written by one process at a time (or by the shards of one job array): see
study_lock.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import itertools
import json
import logging
import math
import multiprocessing
import os
import platform
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import sim
from sim import safeio
from sim.model import ACCOUNTS, SERIES, RiskModel
from sim.scenario import RunSpec, Scenario, seed_sequence

RUNS_DIR = "runs"
SERIES_DIR = "series"
CITIES_DIR = "cities"  # per-city series of replication 0 (record: {cities: true})
ACCOUNTS_DIR = "accounts"  # per-city loss and money at the end of every run
TRUST_DIR = "trust"  # the final city x city trust matrix of every run
EVENTS_DIR = "events"  # the event log of replication 0 (record: {events: true})
CHUNK_DIRS = (RUNS_DIR, SERIES_DIR, CITIES_DIR, ACCOUNTS_DIR, TRUST_DIR, EVENTS_DIR)
MAX_TRUST_CITIES = 30  # larger regions keep no trust matrix (n^2 rows per run)
MANIFEST = "manifest.json"
FORMAT = 2  # manifest "format": every chunk has a record runs/chunk-N.json (checked on reading)
CHUNK_RE = re.compile(r"chunk-(\d{6})\.parquet")
RECORD_RE = re.compile(r"chunk-(\d{6})\.json")
# Every name a chunk folder may hold (anything else is a stray file: reported, never read).
KNOWN_RE = re.compile(r"chunk-\d{6}\.(parquet|json)|regions?-\d{6}\.json")
log = logging.getLogger("kuayu")


class StudyConflict(Exception):
    """The results folder holds results of a different scenario."""


class IncompleteResults(Exception):
    """A merge found chunks that no shard has computed yet."""


class InputChanged(StudyConflict):
    """An input file (a region file) changed while the study was running."""


class DamagedResults(StudyConflict):
    """A results folder whose chunks cannot be trusted (damaged, or of another plan) or whose
    manifest cannot be read (a StudyConflict: callers that catch that keep working)."""


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
            record_cities: bool = False, record_events: bool = False
            ) -> tuple[dict, RiskModel]:
    """One model run: its row of outcomes, and the finished model (for its series)."""
    model = RiskModel(regime=spec.preset, params=spec.overrides,
                      rng=seed_sequence(root_seed, spec.seed), record_series=record_series,
                      record_cities=record_cities, record_events=record_events,
                      collect_steps=False)
    outcomes = model.run()
    row = {"run_id": spec.run_id, "regime": spec.regime, "point": spec.point,
           "replication": spec.replication, **spec.params, **outcomes}
    return row, model


def run_chunk(chunk_id: int, specs: list[RunSpec], root_seed: int, record_series: bool,
              out_dir: str, record_cities: bool = False, plan: str = "",
              inputs: dict[str, str] | None = None, record_events: bool = False
              ) -> tuple[int, int, float]:
    """Worker task: run a chunk and write its Parquet files; returns (chunk, runs, seconds).

    Every run keeps its per-city accounts (accounts/chunk-*.parquet) and, for regions of up to
    MAX_TRUST_CITIES cities, its final trust matrix (trust/chunk-*.parquet); replication 0 of
    every regime and sweep point keeps its region (accounts/regions-<chunk>.json, by run id),
    for maps. With record_cities, replication 0 also keeps its per-city series
    (cities/chunk-*.parquet) and its region and incidents (cities/region-<run>.json), for maps
    and timelines of single runs. With record_events, replication 0 also keeps its event log
    (events/chunk-*.parquet, sim.events). Every file is written atomically, inside `out_dir` only;
    the chunk's record (runs/chunk-N.json: the plan's fingerprint, its run ids and every
    file's size and SHA-256) comes last, and only a chunk whose record checks out counts as
    done (scan_chunks). The input files the runs read (`inputs`: path -> SHA-256, as
    fingerprinted) are checked before and after the runs: a region file edited while the study
    runs stops it (InputChanged) instead of giving it runs on two regions."""
    start = time.perf_counter()
    out = Path(out_dir)
    _check_inputs(inputs)
    files: dict[str, dict] = {}

    def put(rel: str, write) -> None:
        path = safeio.atomic_write(out / rel, write, root=out)
        files[rel] = {"bytes": path.stat().st_size, "sha256": safeio.sha256(path)}

    def text(rel: str, value: str) -> None:
        put(rel, lambda fh: fh.write(value.encode("utf-8")))

    def table(rel: str, columns: dict | list) -> None:
        data = pa.Table.from_pylist(columns) if isinstance(columns, list) else pa.table(columns)
        put(rel, lambda fh: pq.write_table(data, fh))
    rows, series, cities, accounts, trust, regions, logs = [], [], [], [], [], {}, []
    for spec in specs:
        first = spec.replication == 0
        row, model = run_one(spec, root_seed, record_series, record_cities and first,
                             record_events and first)
        if record_events and first:
            logs.append(events_block(spec.run_id, model.events))
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
            text(f"{CITIES_DIR}/region-{spec.run_id:06d}.json",
                 json.dumps(model.region_record(), ensure_ascii=False))
    name = f"chunk-{chunk_id:06d}.parquet"
    if regions:
        text(f"{ACCOUNTS_DIR}/regions-{chunk_id:06d}.json",
             json.dumps(regions, ensure_ascii=False))
    table(f"{ACCOUNTS_DIR}/{name}", _concat(accounts))
    if trust:
        table(f"{TRUST_DIR}/{name}", _concat(trust))
    if cities:
        table(f"{CITIES_DIR}/{name}", _concat(cities))
    if series:
        table(f"{SERIES_DIR}/{name}", _concat(series))
    if logs:
        table(f"{EVENTS_DIR}/{name}", _concat(logs))
    table(f"{RUNS_DIR}/{name}", rows)
    _check_inputs(inputs)
    # The record comes last: a chunk is done when its record is there and every file matches.
    record = {"format": FORMAT, "plan": plan, "chunk": chunk_id,
              "run_ids": [specs[0].run_id, specs[-1].run_id], "runs": len(specs),
              "files": files}
    safeio.atomic_text(record_path(out, chunk_id), json.dumps(record, indent=1), root=out)
    return chunk_id, len(rows), time.perf_counter() - start


def _check_inputs(inputs: dict[str, str] | None) -> None:
    for path, digest in (inputs or {}).items():
        if os.path.isfile(path) and safeio.sha256(Path(path)) != digest:
            raise InputChanged(f"{path} changed while the study was running, so its runs would "
                               "mix two versions of it; the chunks finished before are kept. "
                               "Run the study again: it will ask for --overwrite to start over "
                               "on the new file")


def record_path(out_dir: Path, chunk_id: int) -> Path:
    """The record of a chunk: its plan, run ids and files (size, SHA-256)."""
    return Path(out_dir) / RUNS_DIR / f"chunk-{chunk_id:06d}.json"


def accounts_block(run_id: int, model: RiskModel) -> dict:
    """One row per city: who it is (index, id, names, size, place), its accounts at the end
    of the run (sim.model.ACCOUNTS, 100 million CNY; net_burden = the sum of the others, with
    fund payouts counted negative) and the mechanisms it took part in (in_platform, in_fund,
    in_responsibility, in_partners, in_supervision)."""
    n, region = model.n, model.region
    block = {"run_id": np.full(n, run_id, dtype=np.int64), "city": np.arange(n, dtype=np.int32),
             "city_id": np.array(region.ids, dtype=object),
             "name_en": np.array(region.names_en, dtype=object),
             "name_zh": np.array(region.names_zh, dtype=object),
             "population_m": np.asarray(region.population_m, dtype=float),
             "lon": np.asarray(region.lon, dtype=float), "lat": np.asarray(region.lat, dtype=float)}
    values = model.city_accounts()
    block.update({name: np.asarray(values[name], dtype=float) for name in ACCOUNTS})
    # who took part in which mechanism (participation; every city unless the scenario says)
    block.update({f"in_{name}": np.asarray(mask, dtype=bool)
                  for name, mask in model.members.items()})
    return block


def events_block(run_id: int, log: list[dict]) -> dict:
    """A run's event log as columns, in time order (stable: same-step events keep the order
    the model decided them). The actor is text ("3" for city 3, "body", "centre"); a missing
    target, incident or amount is -1, -1 and NaN (sim.study.Results.events restores them)."""
    log = sorted(log, key=lambda e: e["step"])
    nan = float("nan")
    return {"run_id": np.full(len(log), run_id, dtype=np.int64),
            "step": np.array([e["step"] for e in log], dtype=np.int64),
            "hour": np.array([e["hour"] for e in log], dtype=float),
            "event": np.array([e["event"] for e in log], dtype=object),
            "actor": np.array([str(e["actor"]) for e in log], dtype=object),
            "target": np.array([-1 if e["target"] is None else e["target"] for e in log],
                               dtype=np.int64),
            "incident": np.array([-1 if e["incident"] is None else e["incident"]
                                  for e in log], dtype=np.int64),
            "amount": np.array([nan if e["amount"] is None else e["amount"] for e in log],
                               dtype=float),
            "detail": np.array([e["detail"] for e in log], dtype=object)}


def trust_block(run_id: int, matrix: np.ndarray) -> dict:
    """The trust matrix in long form: T[truster, trusted], diagonal included."""
    n = matrix.shape[0]
    return {"run_id": np.full(n * n, run_id, dtype=np.int64),
            "truster": np.repeat(np.arange(n, dtype=np.int32), n),
            "trusted": np.tile(np.arange(n, dtype=np.int32), n),
            "trust": np.asarray(matrix, dtype=float).ravel()}


def _concat(blocks: list[dict]) -> dict:
    return {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}


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


@dataclass
class ChunkScan:
    """What a results folder holds, chunk by chunk, checked against the plan."""

    good: set[int]  # record present, of this plan, every file whole and unchanged
    damaged: dict[int, str]  # chunk -> why (truncated, missing file, changed, no record)
    foreign: dict[int, str]  # chunk -> why (another plan, or outside this plan)
    stray: list[Path]  # files that are no chunk of any study (never read)
    records: dict[int, dict]  # the records of the good chunks

    def problems(self, ids: Iterable[int] | None = None) -> list[str]:
        want = None if ids is None else set(ids)
        return [f"chunk {i}: {why}" for i, why in sorted({**self.damaged, **self.foreign}.items())
                if want is None or i in want]


def _expected_ids(n_runs: int, chunk_id: int) -> list[int]:
    first = chunk_id * chunk_size_for(n_runs)
    return [first, first + chunk_runs(n_runs, chunk_id) - 1]


def scan_chunks(out_dir: Path, plan: str, n_runs: int, deep: bool = True) -> ChunkScan:
    """Check every chunk of a results folder against the plan (its fingerprint and run count).

    A chunk is good when its record runs/chunk-N.json exists, names this plan, chunk N and
    the run ids the plan gives chunk N, and every file it lists is there with the recorded
    size (and, if `deep`, the recorded SHA-256). A record of another plan, or a chunk number
    the plan does not have, is foreign; anything else wrong (a zero-byte or truncated file, a
    file copied over another, a runs file without its record) is damaged. Files whose names
    are no chunk's are stray. Temporary files (being written, or left by a kill) are skipped.
    """
    out_dir = Path(out_dir)
    n_chunks = chunk_count(n_runs)
    scan = ChunkScan(set(), {}, {}, [], {})
    records: dict[int, Path] = {}
    tables: set[int] = set()
    for sub in CHUNK_DIRS:
        folder = out_dir / sub
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir()):
            name = entry.name
            if ".tmp-" in name:
                continue
            if sub == RUNS_DIR and (m := RECORD_RE.fullmatch(name)):
                records[int(m.group(1))] = entry
            elif sub == RUNS_DIR and (m := CHUNK_RE.fullmatch(name)):
                tables.add(int(m.group(1)))
            elif not KNOWN_RE.fullmatch(name) or not entry.is_file() or entry.is_symlink():
                scan.stray.append(entry)
    for chunk in sorted(set(records) | tables):
        name = f"{RUNS_DIR}/chunk-{chunk:06d}"
        if chunk >= n_chunks:
            scan.foreign[chunk] = f"{name}.parquet is not part of this plan ({n_chunks} chunks)"
            continue
        if chunk not in records:
            scan.damaged[chunk] = f"{name}.parquet has no record {name}.json (unfinished)"
            continue
        try:
            record = json.loads(records[chunk].read_text(encoding="utf-8"))
            if not isinstance(record, dict) or not isinstance(record.get("files"), dict):
                raise ValueError("not a chunk record")
        except (OSError, ValueError) as exc:
            scan.damaged[chunk] = f"{name}.json cannot be read ({exc})"
            continue
        if record.get("plan") != plan:
            scan.foreign[chunk] = (f"{name}.json belongs to another study or version of it "
                                   f"(plan {str(record.get('plan'))[:12]}, not {plan[:12]})")
            continue
        if record.get("chunk") != chunk or record.get("run_ids") != _expected_ids(n_runs, chunk):
            scan.damaged[chunk] = (f"{name}.json describes chunk {record.get('chunk')!r} runs "
                                   f"{record.get('run_ids')!r}, not runs "
                                   f"{_expected_ids(n_runs, chunk)}")
            continue
        why = _check_files(out_dir, record["files"], deep)
        if f"{name}.parquet" not in record["files"]:
            why = why or f"{name}.json does not list {name}.parquet"
        if why:
            scan.damaged[chunk] = why
        else:
            scan.good.add(chunk)
            scan.records[chunk] = record
    return scan


def _check_files(out_dir: Path, files: dict, deep: bool) -> str | None:
    for rel, meta in files.items():
        parts = Path(rel).parts
        if len(parts) != 2 or parts[0] not in CHUNK_DIRS or not KNOWN_RE.fullmatch(parts[1]):
            return f"its record lists {rel!r}, which is no chunk file"
        path = out_dir / rel
        try:
            size = path.lstat().st_size if not path.is_symlink() else -1
        except OSError:
            return f"{rel} is missing"
        if size < 0:
            return f"{rel} is a symbolic link"
        if not isinstance(meta, dict) or size != meta.get("bytes"):
            written = meta.get("bytes") if isinstance(meta, dict) else None
            written = f"{written:,}" if isinstance(written, int) else repr(written)
            return (f"{rel} has {size:,} bytes, not the {written} written (truncated or "
                    "replaced)")
        if deep and safeio.sha256(path) != meta.get("sha256"):
            return f"{rel} has changed since it was written (its SHA-256 differs)"
    return None


def done_chunks(out_dir: Path, plan: str | None = None, n_runs: int | None = None,
                deep: bool = False) -> set[int]:
    """Chunks finished and intact (scan_chunks); the plan is read from the manifest when not
    given. A folder of an older kuayu (no chunk records) counts its runs files."""
    out_dir = Path(out_dir)
    if plan is None or n_runs is None:
        try:
            manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
            plan, n_runs = manifest["fingerprint"], int(manifest["runs"]["total"])
            legacy = manifest.get("format") is None
        except (OSError, ValueError, KeyError, TypeError):
            return set()
        if legacy:
            return {int(m.group(1)) for p in (out_dir / RUNS_DIR).glob("chunk-*.parquet")
                    if (m := CHUNK_RE.fullmatch(p.name))}
    return scan_chunks(out_dir, plan, n_runs, deep).good


def discard_chunk(out_dir: Path, chunk_id: int, n_runs: int) -> None:
    """Remove every file of a chunk (record first, so it never looks done meanwhile)."""
    out_dir = Path(out_dir)
    record_path(out_dir, chunk_id).unlink(missing_ok=True)
    name = f"chunk-{chunk_id:06d}.parquet"
    for sub in CHUNK_DIRS:
        (out_dir / sub / name).unlink(missing_ok=True)
    (out_dir / ACCOUNTS_DIR / f"regions-{chunk_id:06d}.json").unlink(missing_ok=True)
    first, last = _expected_ids(n_runs, chunk_id) if chunk_id < chunk_count(n_runs) else (0, -1)
    for run_id in range(first, last + 1):
        (out_dir / CITIES_DIR / f"region-{run_id:06d}.json").unlink(missing_ok=True)


def _changes(old: dict, scenario: Scenario) -> str:
    """What differs between the study in a folder (its manifest) and `scenario`, in words."""
    before, now = old.get("inputs") or {}, scenario.inputs
    changed = [f for f in sorted(set(before) | set(now)) if before.get(f) != now.get(f)]
    if changed:
        return ("its input file" + ("s " if len(changed) > 1 else " ") + ", ".join(changed)
                + (" have" if len(changed) > 1 else " has") + " changed since it was run")
    version = (old.get("versions") or {}).get("kuayu")
    if version != sim.__version__:
        return f"it was computed by kuayu {version}, this is kuayu {sim.__version__}"
    return "its settings, sweep, seed or replications differ"


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
            old = json.loads(manifest.read_text(encoding="utf-8"))
            old = old if isinstance(old, dict) else {}
        except (OSError, ValueError):
            old = {}
        if old.get("fingerprint") != scenario.fingerprint():
            if not overwrite:
                raise StudyConflict(
                    f"{out_dir} holds results of a different version of scenario "
                    f"'{scenario.name}': {_changes(old, scenario)}; pass --overwrite to "
                    "replace them, or --out DIR for a new folder")
            for sub in CHUNK_DIRS:
                shutil.rmtree(out_dir / sub, ignore_errors=True)
    elif out_dir.exists() and not overwrite and any(
            p.name not in CHUNK_DIRS and p.name != "calibration"  # run.py calibrate's
            and not p.name.startswith(MANIFEST + ".tmp")
            and not p.name.startswith(safeio.LOCK) for p in out_dir.iterdir()):
        raise StudyConflict(f"{out_dir} exists and is not a kuayu results folder; choose "
                            "another --out or pass --overwrite")
    for sub in (RUNS_DIR, SERIES_DIR):
        safeio.check_inside(out_dir, out_dir / sub / "x")
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    if shard is None:
        _remove_temporaries(out_dir)


def _remove_temporaries(out_dir: Path) -> None:
    """Half-written chunks of a killed run (never renamed in, so never read)."""
    for sub in CHUNK_DIRS:
        for stale in (out_dir / sub).glob("*.tmp-*"):
            stale.unlink(missing_ok=True)


def _ignore_sigint(parent: int | None = None) -> None:
    """Worker initializer: Ctrl-C is the parent's to handle (it stops the workers itself), so a
    worker never prints a traceback of its own. On Linux a worker is also killed the moment its
    parent dies (kill -9, the OOM killer), instead of idling on for a minute or more. A worker
    started by share() is born with Ctrl-C blocked, so one pressed while it imports cannot
    interrupt it either: ignored from here on, the signal is unblocked again."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # share() starts workers with Ctrl-C blocked
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if parent is not None and sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            pr_set_pdeathsig = 1
            ctypes.CDLL(None).prctl(pr_set_pdeathsig, int(signal.SIGKILL))
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one, so a job
    given 4 cores of a 64-core node gets 4): the command line's default number of workers."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def process_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """Spawned worker processes, stopped at once when the run is interrupted or fails: the
    chunks they were computing are not on disk and are simply computed again on resume."""
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint,
                               initargs=(os.getpid(),),
                               mp_context=multiprocessing.get_context("spawn"))
    try:
        with borrowed(pool):
            yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def borrowed(pool: ProcessPoolExecutor) -> Iterator[ProcessPoolExecutor]:
    """A process_pool lent for one piece of work (the runs, then the charts): if that work is
    interrupted or fails, the pool's processes are stopped at once, before the caller writes
    its manifest or releases its lock, as with a pool of its own; the lender shuts it down."""
    try:
        yield pool
    except BaseException:
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                proc.terminate()
        raise


def lent_or_own(pool: ProcessPoolExecutor | None, workers: int):
    """The caller's pool, borrowed, or else a process_pool of `workers` of its own."""
    return borrowed(pool) if pool is not None else process_pool(workers)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Processes started inside never see Ctrl-C (SIGINT is blocked in the threads that start
    them, and a blocked signal stays blocked across fork and exec), while this process notes a
    Ctrl-C pressed meanwhile and raises KeyboardInterrupt once the block ends: start-up can be
    interrupted, never half-way, and never ends as if nothing happened."""
    if threading.current_thread() is not threading.main_thread() or \
            not hasattr(signal, "pthread_sigmask"):
        yield
        return
    pressed: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        time.sleep(0)  # let a signal that was pending reach the recorder
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt


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


def in_hand(pool: ProcessPoolExecutor) -> int:
    """Tasks a process pool holds at a time while this process works beside it (share): one
    running and one queued in all, so a worker never waits and the last tasks wait little."""
    return pool._max_workers + 1


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


def share(executor: Executor, fn: Callable, tasks: Iterable[tuple], window: int,
          done: Callable[[Any], Any], local: Callable | None = None) -> None:
    """Run fn(*task) for the tasks on `executor`, at most `window` in its hands at a time,
    and give each result that comes back to `done`, in the order they finish.

    With `local`, this process is one of the workers: it takes tasks from the same list and
    runs local(*task) itself, while a feeder thread keeps the executor's hands full (so a
    worker never waits for this process to finish a long task). Every core works from the
    first second: a spawned worker spends about a second importing numpy, pandas and Mesa,
    and a small sweep on two workers was slower than on one. The first `window` tasks are
    handed over here, on the calling thread, with Ctrl-C held: a pool starts its processes
    on them, so the workers are born deaf to Ctrl-C (this process stops them: borrowed), and
    their parent-death signal follows this thread, not the feeder, which ends first."""
    tasks = iter(tasks)
    if local is None:
        _through(executor, fn, tasks, window, done)
        return
    lock = threading.Lock()  # both threads take tasks from the one iterator

    def take() -> tuple | None:
        with lock:
            return next(tasks, None)

    back: queue.SimpleQueue = queue.SimpleQueue()  # finished futures, an error, None at the end
    stop = threading.Event()
    pending: set = set()

    def hand_over() -> None:
        """Fill the executor's hands up to `window` tasks."""
        while len(pending) < window and (task := take()) is not None:
            pending.add(executor.submit(fn, *task))

    try:
        with _sigint_ignored():
            hand_over()
    except BaseException:
        for fut in pending:
            fut.cancel()
        raise

    def feed() -> None:
        nonlocal pending
        try:
            while not stop.is_set():
                hand_over()
                if not pending:
                    break
                ready, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                for fut in ready:
                    back.put(fut)
        except BaseException as exc:  # the pool broke (a worker died) or was shut down
            back.put(exc)
        finally:
            for fut in pending:
                fut.cancel()
            back.put(None)

    def collect(block: bool) -> bool:
        """Hand over what came back; False once the feeder has ended."""
        while True:
            try:
                item = back.get(timeout=0.2) if block else back.get_nowait()
            except queue.Empty:
                if block:
                    continue
                return True
            if item is None:
                return False
            if isinstance(item, BaseException):
                raise item
            done(item.result())

    feeder = threading.Thread(target=feed, name="kuayu-feeder", daemon=True)
    feeder.start()
    try:
        feeding = True
        while (task := take()) is not None:
            local(*task)
            feeding = feeding and collect(block=False)
        if feeding:
            collect(block=True)
    finally:
        stop.set()
        feeder.join()


def _through(executor: Executor, fn: Callable, tasks: Iterator[tuple], window: int,
             done: Callable[[Any], Any]) -> None:
    """share() without this process among the workers (a dask cluster)."""
    pending: set = set()
    try:
        for task in tasks:
            while len(pending) >= window:
                ready, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in ready:
                    done(fut.result())
            pending.add(executor.submit(fn, *task))
        while pending:
            ready, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in ready:
                done(fut.result())
    except BaseException:
        for fut in pending:
            fut.cancel()
        raise


def shard_lock(shard: tuple[int, int] | None) -> str:
    return safeio.LOCK if shard is None else f"{safeio.LOCK}-shard-{shard[0]}-of-{shard[1]}"


def study_lock(out_dir: Path, shard: tuple[int, int] | None = None):
    """The lock of a results folder: a whole run (or a merge) excludes every other writer; a
    shard excludes a whole run and the same shard, not the other shards of a job array."""
    out_dir = Path(out_dir)
    if shard is None:
        others = tuple(p.name for p in out_dir.glob(f"{safeio.LOCK}-shard-*"))
    else:
        others = (safeio.LOCK,)
    return safeio.folder_lock(out_dir, shard_lock(shard), others, notice=log.warning)


def open_folder(out_dir: Path) -> None:
    """Make the results folder (and its parents), refusing links inside it."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a folder", str(out_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    safeio.refuse_links(out_dir)


def execute(scenario: Scenario, out_dir: Path, workers: int = 1, executor: Executor | None = None,
            shard: tuple[int, int] | None = None, overwrite: bool = False,
            quiet: bool = False, command: Iterable[str] = (),
            pool: ProcessPoolExecutor | None = None) -> dict[str, Any]:
    """Run every missing chunk of the plan (or of one shard) and write the manifest.

    Returns the manifest. Raises StudyConflict for a folder holding another scenario (or
    chunks of another plan), UnsafeFolder for a folder another process is writing or with
    links inside, and WorkerLost when a worker process dies; lets KeyboardInterrupt through.
    In every case the finished chunks are safely on disk and the manifest says how far the
    run got. Damaged chunks (truncated, changed, unfinished) are removed and computed again.
    With `workers` > 1 this process runs chunks too, beside `workers` - 1 worker processes:
    `pool` (a process_pool of that size) is used instead of a pool of its own, so that the
    caller can draw the charts on the same worker processes.
    """
    out_dir = Path(out_dir)
    open_folder(out_dir)
    with study_lock(out_dir, shard):
        return _execute(scenario, out_dir, workers, executor, shard, overwrite, quiet,
                        command, pool)


def _execute(scenario, out_dir, workers, executor, shard, overwrite, quiet, command,
             pool=None):
    prepare(scenario, out_dir, overwrite, shard)
    plan = scenario.fingerprint()
    n_runs = scenario.n_runs
    n_chunks = chunk_count(n_runs)
    mine = [i for i in range(n_chunks) if shard is None or i % shard[1] == shard[0]]
    scan = scan_chunks(out_dir, plan, n_runs, deep=True)
    _report_strays(scan)
    foreign = {i: why for i, why in scan.foreign.items() if shard is None or i in set(mine)}
    if foreign and not overwrite:
        raise StudyConflict(
            f"{out_dir} holds chunks that are not of this study: "
            + "; ".join(f"chunk {i}: {why}" for i, why in sorted(foreign.items())[:5])
            + "; pass --overwrite to replace them, or --out DIR for a new folder")
    redo = {**scan.damaged, **foreign}
    for i, why in sorted(redo.items()):
        if shard is None or i in set(mine):  # another shard's chunk may be being written
            log.warning(f"chunk {i} is damaged and will be computed again: {why}")
            discard_chunk(out_dir, i, n_runs)
    finished = scan.good
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
    manifest = write_manifest(scenario, out_dir, n_chunks, command, status="running",
                              done=len(finished))
    where = str(out_dir.resolve())  # workers may run elsewhere (a dask cluster)
    cities = bool(getattr(scenario, "record_cities", False))
    events = bool(getattr(scenario, "record_events", False))
    tasks = ((i, specs, scenario.seed, scenario.record_series, where, cities, plan,
              scenario.inputs, events) for i, specs in iter_chunks(scenario) if i in todo)

    progress = Progress(sum(chunk_runs(n_runs, i) for i in mine), quiet=quiet)
    progress.advance(sum(chunk_runs(n_runs, i) for i in mine if i in finished))
    started = time.perf_counter()
    status, lost = "partial", None
    from_workers = 0  # chunks that came back from a worker process

    def from_worker(out: tuple) -> None:
        nonlocal from_workers
        from_workers += 1
        progress.advance(out[1])

    try:
        if executor is None and workers > 1 and len(todo) > 1:
            # this process runs chunks too: workers - 1 more processes
            with lent_or_own(pool, min(workers, len(todo)) - 1) as processes:
                share(processes, run_chunk, tasks, in_hand(processes), from_worker,
                      local=lambda *args: progress.advance(run_chunk(*args)[1]))
        elif executor is None:
            for args in tasks:
                progress.advance(run_chunk(*args)[1])
        else:
            share(executor, run_chunk, tasks, _window(executor, workers),
                  lambda out: progress.advance(out[1]))
    except (KeyboardInterrupt, OSError, InputChanged):
        status = "interrupted"  # Ctrl-C, the disk (full, read-only, gone), an edited input
        raise
    except BaseException as exc:
        if not _worker_died(exc):
            status = "failed"
            raise
        lost = exc
    finally:
        progress.close()
        n_done = len(scan_chunks(out_dir, plan, n_runs, deep=False).good)
        try:
            manifest = write_manifest(scenario, out_dir, n_chunks, command,
                                      status="complete" if n_done >= n_chunks else status,
                                      seconds=time.perf_counter() - started,
                                      previous=manifest, done=n_done)
        except OSError:
            if status not in ("interrupted", "failed"):
                raise  # otherwise the first error is the one to report
    if lost is not None:
        raise WorkerLost(
            "a worker process died before finishing its chunk (killed, or out of memory?): "
            f"{type(lost).__name__}: {str(lost).rstrip('.')}. {n_done} of {n_chunks} chunks "
            f"are finished and saved in {out_dir}; run the same command again to compute the "
            "rest (with fewer --workers if memory is short)."
            + ("" if from_workers or executor is not None else
               " If no worker ever started: a script that calls sim.run_study(workers=N) "
               "must do so under `if __name__ == \"__main__\":` (workers are spawned and "
               "import the script).")) from None
    return manifest


def _report_strays(scan: ChunkScan) -> None:
    if scan.stray:
        shown = ", ".join(f"{p.parent.name}/{p.name}" for p in scan.stray[:5])
        more = f" and {len(scan.stray) - 5} more" if len(scan.stray) > 5 else ""
        log.warning(f"ignored (not chunks of this study): {shown}{more}")


def _complete(out_dir: Path, scenario: Scenario) -> dict[str, Any] | None:
    """The manifest of a finished run of this very scenario in out_dir, else None."""
    try:
        manifest = read_manifest(out_dir)
    except (FileNotFoundError, StudyConflict):
        return None
    same = manifest.get("fingerprint") == scenario.fingerprint()
    return manifest if same and manifest.get("status") == "complete" else None


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a results folder, checked: DamagedResults (exit 2) when it cannot be
    read or lacks what every kuayu manifest has."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not folder.is_dir() or (not path.is_file() and not path.is_symlink()):
        raise FileNotFoundError(f"{folder} is not a results folder (no {MANIFEST})")
    try:
        manifest = json.loads(safeio.read_text(path, limit=50 * safeio.MAX_FILE_BYTES,
                                               what="manifest"))
    except (safeio.InputError, ValueError) as exc:
        raise DamagedResults(f"{path} cannot be read ({exc}); it is damaged or not a "
                             "kuayu manifest") from None
    problems = []
    if not isinstance(manifest, dict):
        problems.append(f"expected a JSON object, found {type(manifest).__name__}")
    else:
        runs = manifest.get("runs")
        if not isinstance(manifest.get("name"), str):
            problems.append("no study name")
        if not isinstance(manifest.get("fingerprint"), str):
            problems.append("no fingerprint")
        if not isinstance(manifest.get("scenario"), dict) or \
                not isinstance(manifest["scenario"].get("baseline"), str):
            problems.append("no resolved scenario")
        if not (isinstance(runs, dict) and all(
                isinstance(runs.get(k), int) and not isinstance(runs.get(k), bool)
                and runs.get(k) >= 1 for k in ("total", "chunks"))
                and runs["chunks"] == chunk_count(runs["total"])):
            problems.append("no valid run and chunk counts")
        if not isinstance(manifest.get("sessions", []), list):
            problems.append("sessions is not a list")
        if not isinstance(manifest.get("status", ""), str):
            problems.append("status is not text")
        scenario = manifest.get("scenario")
        if isinstance(scenario, dict) and not isinstance(scenario.get("swept", []), list):
            problems.append("scenario.swept is not a list")
    if problems:
        raise DamagedResults(f"{path} is damaged or not a kuayu manifest: "
                             + ", ".join(problems))
    return manifest


def check_folder(folder: Path, manifest: dict[str, Any], deep: bool = True) -> ChunkScan:
    """Verify the chunks of a results folder against its manifest: DamagedResults if any
    chunk is of another plan, or (for a study marked complete) damaged or missing. Stray
    files are reported and ignored. For a folder of an older kuayu (no chunk records), every
    well-named runs file counts."""
    folder = Path(folder)
    plan, n_runs = manifest["fingerprint"], manifest["runs"]["total"]
    if manifest.get("format") is None:  # an older kuayu: no records to check
        ids = done_chunks(folder)
        return ChunkScan({i for i in ids if i < chunk_count(n_runs)}, {}, {}, [], {})
    scan = scan_chunks(folder, plan, n_runs, deep=deep)
    _report_strays(scan)
    if scan.foreign:
        raise DamagedResults(f"{folder} holds chunks that are not of its study ("
                             + "; ".join(scan.problems(scan.foreign)[:5]) + "): remove them, "
                             "or run the study again with --overwrite")
    missing = set(range(chunk_count(n_runs))) - scan.good
    if manifest.get("status") == "complete" and missing:
        what = "; ".join(scan.problems(missing)[:5]) or f"chunks {_ranges(sorted(missing))} " \
                                                       "are missing"
        raise DamagedResults(f"{folder} is marked complete but {len(missing)} of "
                             f"{chunk_count(n_runs)} chunks are damaged or missing ({what}); "
                             "run the study again with the same command to compute them again")
    return scan


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
    separate folders (same scenario fingerprint required) have their verified chunks copied
    into the first (a damaged chunk of the first is replaced by a good copy). Refuses,
    changing nothing, when any chunk is missing or damaged in all folders
    (IncompleteResults), a folder holds another scenario (StudyConflict) or chunks of another
    plan (DamagedResults). Returns the first folder's updated manifest.
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
                    f"another version of scenario '{m.get('name')}' (other settings, seed, "
                    "replications or input files)")
            raise StudyConflict(f"cannot merge {folder} into {target}: it holds {what}; only "
                                "shards of the same scenario can be merged")
        if folder.resolve() != target.resolve() and folder.resolve() not in \
                [o.resolve() for o in others]:
            others.append(folder)
    safeio.refuse_links(target)
    with study_lock(target):
        return _merge(folders, target, manifests, others, command)


def _merge(folders, target, manifests, others, command) -> dict[str, Any]:
    first = manifests[0]
    n_chunks = int(first["runs"]["chunks"])
    unchecked = dict(first, status="partial")  # missing chunks are listed below, not here
    scans = {target: check_folder(target, unchecked)}
    for folder, m in zip(folders[1:], manifests[1:], strict=True):
        if folder in others:
            scans[folder] = check_folder(folder, dict(m, status="partial"))
    have = set().union(*(scan.good for scan in scans.values()))
    missing = sorted(set(range(n_chunks)) - have)
    if missing:
        damaged = [p for scan in scans.values() for p in scan.problems(missing)]
        raise IncompleteResults(
            f"cannot merge {', '.join(map(str, folders))}: {len(missing)} of {n_chunks} chunks "
            f"are missing: {_ranges(missing)}"
            + (f" (damaged: {'; '.join(damaged[:3])})" if damaged else "")
            + ". Run the shards that compute them (the same command with --shard i/N), then "
            "merge again.")
    copied = 0
    for chunk in range(n_chunks):
        if chunk in scans[target].good:
            continue
        source = next(f for f in others if chunk in scans[f].good)
        record = scans[source].records.get(chunk)
        discard_chunk(target, chunk, int(first["runs"]["total"]))
        if record is None:  # an older kuayu's folder: the well-named files of the chunk
            rels = [f"{sub}/{p.name}" for sub in CHUNK_DIRS
                    for p in (source / sub).glob(f"*-{chunk:06d}.*")
                    if KNOWN_RE.fullmatch(p.name)]
        else:
            rels = list(record["files"])
        for rel in rels:
            safeio.atomic_write(target / rel, functools.partial(_copy_from, source / rel),
                                root=target)
        if record is not None:
            safeio.atomic_text(record_path(target, chunk), json.dumps(record, indent=1),
                               root=target)
        copied += 1
    _remove_temporaries(target)
    sessions = [s for m in manifests for s in m.get("sessions", []) if isinstance(s, dict)]
    sessions.append({"finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "seconds": 0.0,
                     "command": list(command),
                     "merged": [str(f) for f in folders], "chunks_copied": copied})
    manifest = dict(first, status="complete", sessions=sessions,
                    runs=dict(first["runs"], chunks_done=n_chunks))
    check_folder(target, manifest, deep=False)
    _write_json(target / MANIFEST, manifest)
    return manifest


def _copy_from(src: Path, fh) -> None:
    with open(src, "rb") as source:
        shutil.copyfileobj(source, fh)


def _write_json(path: Path, data: dict) -> None:
    """Atomically, with a temporary name of this process (shards may write at once)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    safeio.atomic_text(path, text, root=path.parent)


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             cwd=Path(sim.__file__).parent, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def write_manifest(scenario: Scenario, out_dir: Path, n_chunks: int, command: Iterable[str],
                   status: str, seconds: float = 0.0, previous: dict | None = None,
                   done: int | None = None) -> dict:
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
        "format": FORMAT,
        "fingerprint": scenario.fingerprint(),
        "scenario_file": scenario.source,
        "inputs": scenario.inputs,
        "scenario": scenario.resolved(),
        "seeds": {"root": scenario.seed, "replications": scenario.replications,
                  "rule": "replication r uses numpy.random.SeedSequence(root, spawn_key=(r,)), "
                          "split into hazard, sensing and behaviour streams"},
        "runs": {"total": scenario.n_runs, "chunks": n_chunks,
                 "chunks_done": done if done is not None else len(done_chunks(out_dir))},
        "versions": {"kuayu": sim.__version__, "python": platform.python_version(),
                     **{p: version(p) for p in ("mesa", "numpy", "pandas", "pyarrow",
                                                 "matplotlib")}},
        "git_commit": _git_commit(),
        "command": list(command),
        "sessions": sessions,
    }
    _write_json(out_dir / MANIFEST, manifest)
    return manifest
