#!/usr/bin/env python3
"""Speed and memory benchmarks: one command prints every figure beside its target and writes
benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/run.py            # sweeps of 10,000 runs (a few minutes)
    .venv/bin/python benchmarks/run.py --quick    # sweeps of 1,000 runs (about a minute)
    .venv/bin/python benchmarks/run.py --profile issue   # where a run of the issue's case goes

What is measured (issue 5):
  (a) model speed: runs/s on one core, for the quick-start model (scenarios/quickstart.yaml)
      and for the issue's case (Yangtze River Delta, coordinated, 365 days, one river spill and
      one epidemic; target >= 10 runs/s);
  (b) the engine: a sweep of N quick-start runs with 1 and with 2 workers: wall time (target
      <= 10 min for 10,000 runs on 2 workers), speed-up (target >= 1.7x), the parent process's
      peak RSS (target <= 500 MB) at two sizes, to see whether it stays flat as runs grow;
  (c) against the baseline, mesa.batch_run, on the same model and grid: runs/s (target >= 2x)
      and peak memory (target <= 1/5), with the same number of processes.

  (d) issue 17, each figure measured side by side in the same run: the flagship command
      (scenarios/regimes_yangtze_delta.yaml, charts included) end to end on 2 workers (target
      <= 30 s); one run of a large synthetic region (N = 1,000 cities, two years, the
      flagship's hazard rates) with this code and with the code before issue 17 (target <= 30 s
      and <= 1 GB); the river ring buffer sized by the largest reach lag against the old size
      (the sum of the lags), same arrivals; the parent's peak memory of a quick-start sweep
      with its tables, charts and report at N and 10 N runs (10 N = 100,000 in the full
      run: flat), beside reading those series whole as the charts did before.

Every measurement runs in a fresh subprocess (this file with --measure), so peak memory is
that configuration's alone. Memory is read three ways: getrusage(RUSAGE_SELF).ru_maxrss for
the parent, getrusage(RUSAGE_CHILDREN).ru_maxrss for the largest worker, and the sum of the
RSS of the parent and all its workers, sampled every 50 ms from /proc by the driver (the
"total" figure).
Figures that miss a target are reported as measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
REGIMES = ["territorial", "coordinated"]
REACH = [12, 24, 48, 72]  # the quick-start sweep: 2 regimes x 4 points = 8 runs per replication
FIXED = {"region.n_cities": 6, "river_spill.magnitude": 100, "time.horizon_days": 20}
ISSUE_CASE = {"region.kind": "yangtze_delta", "time.horizon_days": 365,
              "hazard.kind": "river_spill", "hazard.origin": "anqing", "hazard.start_day": 1,
              "hazard.events": [{"kind": "epidemic", "origin": "shanghai", "start_day": 30,
                                 "magnitude": 0}]}
MB = 1024 * 1024
FLAGSHIP = ROOT / "scenarios" / "regimes_yangtze_delta.yaml"
# A large synthetic region under the flagship's hazard rates (per city and year, so a region of
# N cities has N times the incidents of one city): the scaling case of issue 17.
LARGE_RATES = {"river_spill": 0.2, "plume": 0.2, "accident": 0.5, "cascade": 0.2,
               "epidemic": {"megacity": 0.1, "supercity": 0.05}}
BEFORE_ISSUE_17 = "cbd0367"  # the commit before the scaling work, for the side-by-side runs


# --- memory ---------------------------------------------------------------------------------
class TreeRss:
    """Peak of the summed RSS of a process and all its descendants, sampled from /proc by a
    thread of the benchmark driver (so the measured process pays nothing for it)."""

    def __init__(self, root: int, every: float = 0.05):
        self.root, self.every, self.peak, self._stop = root, every, 0, threading.Event()
        self.page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeRss:
        if Path("/proc/self/statm").exists():
            self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.thread.is_alive():
            self.thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample(self.root))
            self._stop.wait(self.every)

    def _sample(self, root: int) -> int:
        parent = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    stat = Path(entry.path, "stat").read_text()
                    parent[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
        tree, frontier = {root}, [root]
        while frontier:
            p = frontier.pop()
            kids = [c for c, pp in parent.items() if pp == p and c not in tree]
            tree.update(kids)
            frontier.extend(kids)
        total = 0
        for p in tree:
            try:
                total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * self.page
            except (OSError, ValueError, IndexError):
                continue
        return total


def _maxrss(who: int) -> float:
    """Peak RSS in MB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    value = resource.getrusage(who).ru_maxrss
    return value / MB if sys.platform == "darwin" else value / 1024


def _memory() -> dict:
    return {"parent_mb": _maxrss(resource.RUSAGE_SELF),
            "worker_mb": _maxrss(resource.RUSAGE_CHILDREN)}


# --- measurements (each in its own subprocess) ---------------------------------------------
def _model_runs(case: str, runs: int) -> tuple[list, int]:
    """The run specs and root seed of a model-speed case ("quickstart" or "issue")."""
    from sim.scenario import RunSpec, load

    if case == "quickstart":
        sc = load(QUICKSTART)
        specs = list(sc.runs())
        return [specs[i % len(specs)] for i in range(runs)], sc.seed
    return [RunSpec(i, "coordinated", "coordinated", 0, i, i, {}, ISSUE_CASE)
            for i in range(runs)], 20240601


def measure_model(case: str, runs: int, repeats: int) -> dict:
    """Runs/s of the bare model on one core (the engine's per-run call, series recorded)."""
    import numpy as np

    from sim.runner import run_one

    specs, root = _model_runs(case, runs)
    run_one(specs[0], root, True)  # imports and caches warmed, as in a long sweep
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for spec in specs:
            run_one(spec, root, True)
        rates.append(len(specs) / (time.perf_counter() - start))
    return {"runs_per_s": float(np.median(rates)), "runs": runs, "repeats": repeats}


def measure_engine(runs: int, workers: int, series: bool = True, grid: bool = False) -> dict:
    """A sweep of `runs` quick-start runs through sim.run_study (tables, no charts)."""
    from sim import run_study
    from sim.scenario import load

    if grid:  # the batch_run comparison's grid, without per-step series (batch_run keeps none)
        sc = load({"name": "bench_grid", "seed": 1, "replications": runs // 8,
                   "regimes": REGIMES, "params": FIXED, "sweep": {"region.reach_hours": REACH},
                   "record": {"series": series}, "charts": []})
    else:
        sc = load(QUICKSTART, replications=runs // 8)
    out = Path(tempfile.mkdtemp(prefix="kuayu-bench-"))
    try:
        start = time.perf_counter()
        res = run_study(sc, out=out / sc.name, workers=workers, charts=False, quiet=True)
        wall = time.perf_counter() - start
        assert len(res.runs) == sc.n_runs
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"runs": sc.n_runs, "workers": workers, "wall_s": wall,
            "runs_per_s": sc.n_runs / wall, **_memory()}


def measure_sweep_charts(runs: int, workers: int, keep: str | None = None) -> dict:
    """A sweep of `runs` quick-start runs on `workers` workers, then its tables, charts
    (English) and report drawn in the parent itself (run.py would hand the charts to the
    workers), so that the parent's peak RSS shows whether reading the results grows with the
    number of runs. With `keep`, the results stay in that folder."""
    from sim import run_study, study
    from sim.scenario import load

    sc = load(QUICKSTART, replications=runs // 8)
    out = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="kuayu-bench-"))
    try:
        start = time.perf_counter()
        res = run_study(sc, out=out / sc.name, workers=workers, charts=False, quiet=True)
        study._finalise(res, charts=True, langs=("en",), workers=1)
        wall = time.perf_counter() - start
        assert len(res.runs) == sc.n_runs
        simulating = sum(session["seconds"] for session in res.manifest["sessions"])
        drawn = len(list((out / sc.name / "figures").glob("*.png")))
    finally:
        if not keep:
            shutil.rmtree(out, ignore_errors=True)
    return {"runs": sc.n_runs, "wall_s": wall, "simulating_s": simulating, "charts": drawn,
            **_memory()}


def measure_series_whole(folder: str) -> dict:
    """Peak RSS of reading a results folder's series whole (Results.series), as the charts did
    before issue 17, beside the chunk-by-chunk read of measure_sweep_charts."""
    from sim.study import open_results

    res = open_results(folder)
    rows = len(res.series)
    return {"rows": rows, **_memory()}


def measure_batch_run(runs: int, processes: int) -> dict:
    """The same grid through mesa.batch_run, results made into a DataFrame (as users do)."""
    import mesa
    import pandas as pd

    from sim.model import RiskModel

    params = {"regime": REGIMES, "region__reach_hours": REACH, "record_series": False,
              **{k.replace(".", "__"): v for k, v in FIXED.items()}}
    start = time.perf_counter()
    rows = mesa.batch_run(RiskModel, params, number_processes=processes,
                          rng=list(range(runs // 8)), max_steps=10**9, display_progress=False)
    table = pd.DataFrame(rows)
    wall = time.perf_counter() - start
    assert len(table) == runs // 8 * 8
    return {"runs": len(table), "workers": processes, "wall_s": wall,
            "runs_per_s": len(table) / wall, **_memory()}


def measure_epidemic_share(runs: int) -> dict:
    """Milliseconds per run of the issue's case spent inside the epidemic hazard (every call
    the model makes to it) and in the rest of the model: which of the two bounds runs/s."""
    from sim.hazards.kinds import Epidemic
    from sim.runner import run_one

    inside = [0.0]

    def timed(method):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                inside[0] += time.perf_counter() - start
        return wrapper

    for name in ("step", "damage", "arrived", "noticed", "detectable", "spared"):
        setattr(Epidemic, name, timed(getattr(Epidemic, name)))
    specs, root = _model_runs("issue", runs)
    run_one(specs[0], root, True)
    inside[0] = 0.0
    start = time.perf_counter()
    for spec in specs:
        run_one(spec, root, True)
    total = (time.perf_counter() - start) / runs * 1e3
    epidemic = inside[0] / runs * 1e3
    return {"total_ms": total, "epidemic_ms": epidemic, "rest_ms": total - epidemic}


def measure_flagship(workers: int) -> dict:
    """The flagship command end to end (runs, tables and charts in both languages) as a user
    types it, in a fresh folder; wall time and how it split (from the manifest)."""
    out = Path(tempfile.mkdtemp(prefix="kuayu-bench-"))
    try:
        start = time.perf_counter()
        subprocess.run([sys.executable, "run.py", str(FLAGSHIP), "--out", str(out), "--quiet",
                        "--workers", str(workers)], cwd=ROOT, check=True,
                       capture_output=True, text=True)
        wall = time.perf_counter() - start
        manifest = json.loads(next(out.glob("*/manifest.json")).read_text())
        runs = manifest["runs"]["total"]
        simulating = sum(session["seconds"] for session in manifest["sessions"])
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"wall_s": wall, "runs": runs, "simulating_s": simulating, **_memory()}


def _large_params(n: int, days: float) -> dict:
    return {"region.kind": "river_tree", "region.n_cities": n, "time.horizon_days": days,
            "hazard.kind": "none", "hazard.rates": LARGE_RATES}


def measure_large_run(n: int, days: float, code: str = "now") -> dict:
    """One run of the large synthetic region on one core; `code` "before" runs the model of
    commit BEFORE_ISSUE_17 (checked out into a temporary folder). The schema's cap on
    region.n_cities is lifted for both, so the same region can be built whatever the cap."""
    if code == "before":
        base = Path(tempfile.mkdtemp(prefix="kuayu-before-"))
        archive = subprocess.run(["git", "archive", BEFORE_ISSUE_17, "sim"], cwd=ROOT,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
        sys.path.insert(0, str(base))
        for name in [m for m in sys.modules if m == "sim" or m.startswith("sim.")]:
            del sys.modules[name]
    import dataclasses

    import sim.params as params

    if code == "before":
        assert params.__file__.startswith(str(base)), params.__file__
    # beyond the schema's cap if need be: the point is to see how far the model scales
    params.BY_PATH["region.n_cities"] = dataclasses.replace(params.BY_PATH["region.n_cities"],
                                                            high=10**6)
    from sim.model import RiskModel

    start = time.perf_counter()
    model = RiskModel("coordinated", params=_large_params(n, days), rng=1, collect_steps=False)
    out = model.run()
    wall = time.perf_counter() - start
    return {"wall_s": wall, "incidents": len(model.incidents),
            "live_at_end": sum(inc.live for inc in model.incidents),
            "total_loss": out["total_loss"], **_memory()}


def measure_river_buffer(n: int, repeats: int) -> dict:
    """One spill down a river_tree of n cities until the river is clean, with the ring buffer
    sized by the largest reach lag (now) and by the sum of the lags (before): seconds each, and
    whether every city saw the same mass at every step."""
    import numpy as np

    from sim.hazards.river import RiverChannel
    from sim.params import resolve
    from sim.regions import build_region

    p = resolve({}, {"region.kind": "river_tree", "region.n_cities": min(n, 500)}, {})
    p["region.n_cities"] = n  # the schema's cap is the model's, not the channel's
    region = build_region(p, np.random.default_rng(1))

    def spill(old: bool) -> tuple[float, list]:
        river = RiverChannel(region, 6.0)
        if old:
            river.buffer = np.zeros((int(river.lag.sum()) + 2, river.n))
        start, seen = time.perf_counter(), []
        inflow = np.zeros(river.n)
        for t in range(10**6):
            inflow[0] = 25.0 if t < 4 else 0.0
            seen.append(river.step(inflow).copy())
            if t >= 4 and river.in_transit <= 0.0:
                break
        return time.perf_counter() - start, seen

    new = [spill(False) for _ in range(repeats)]
    old = [spill(True) for _ in range(repeats)]
    same = all(np.array_equal(a, b) for a, b in zip(new[0][1], old[0][1], strict=True))
    return {"new_s": float(np.median([x[0] for x in new])),
            "old_s": float(np.median([x[0] for x in old])), "steps": len(new[0][1]),
            "same": same and len(new[0][1]) == len(old[0][1])}


MEASURES = {"model": measure_model, "engine": measure_engine, "batch_run": measure_batch_run,
            "epidemic_share": measure_epidemic_share, "flagship": measure_flagship,
            "large_run": measure_large_run, "river_buffer": measure_river_buffer,
            "sweep_charts": measure_sweep_charts, "series_whole": measure_series_whole}


def profile_model(case: str, runs: int = 10, top: int = 25) -> None:
    """cProfile of a model-speed case: where a run's time goes, before deciding what to speed up
    (cProfile's own overhead inflates functions called very often)."""
    import cProfile
    import pstats

    from sim.runner import run_one

    specs, root = _model_runs(case, runs)
    run_one(specs[0], root, True)
    profiler = cProfile.Profile()
    profiler.enable()
    for spec in specs:
        run_one(spec, root, True)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def fresh(name: str, timeout: float | None = None, **kwargs) -> dict:
    """Run one measurement in a new Python process and return its figures (with a timeout,
    {"timeout": seconds, "total_mb": peak so far} if it had not finished by then)."""
    proc = subprocess.Popen([sys.executable, __file__, "--measure", name, json.dumps(kwargs)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    with TreeRss(proc.pid) as tree:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return {"timeout": timeout, "total_mb": tree.peak / MB}
    if proc.returncode != 0:
        raise RuntimeError(f"measurement {name} {kwargs} failed:\n{err}")
    figures = json.loads(out.strip().splitlines()[-1])
    if "parent_mb" in figures:
        figures["total_mb"] = max(tree.peak / MB, figures["parent_mb"])
    return figures


# --- the report -----------------------------------------------------------------------------
class Report:
    def __init__(self):
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, what: str, value: str, target: str = "", verdict: bool | None = None):
        mark = "" if verdict is None else ("met" if verdict else "MISSED")
        self.rows.append((what, value, target, mark))
        print(f"  {what:<58} {value:>16}   target {target or '-':<14} {mark}", flush=True)

    def section(self, title: str) -> None:
        self.rows.append((f"**{title}**", "", "", ""))
        print(f"\n{title}", flush=True)


def _issue_case_available() -> bool:
    """The issue's case needs the yangtze_delta region and river_spill and epidemic kinds."""
    out = subprocess.run([sys.executable, "run.py", "list"], capture_output=True, text=True,
                         cwd=ROOT, check=False).stdout
    lines = out.splitlines()

    def after(title: str) -> str:
        for k, line in enumerate(lines):
            if line.startswith(title) and k + 1 < len(lines):
                return lines[k + 1]
        return ""

    kinds = after("HAZARD KINDS")
    return "yangtze_delta" in after("REGIONS") and "river_spill" in kinds and "epidemic" in kinds


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return float("nan")


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import importlib.metadata as md

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=ROOT, check=False).stdout.strip()
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"mesa {md.version('mesa')}, numpy {md.version('numpy')}, "
            f"pyarrow {md.version('pyarrow')}, {platform.system()} {platform.release()}; "
            f"kuayu commit {commit or 'unknown'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="sweeps of 1,000 runs instead of 10,000 (and fewer repeats)")
    parser.add_argument("--runs", type=int, help="sweep size N (default 10,000; quick 1,000)")
    parser.add_argument("--grid-runs", type=int,
                        help="runs of the batch_run comparison (default 2,000; quick 400)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "RESULTS.md"),
                        help="where to write the markdown table")
    parser.add_argument("--profile", choices=("issue", "quickstart"),
                        help="print a cProfile of this model-speed case instead of benchmarking")
    parser.add_argument("--large-n", type=int, default=1000,
                        help="cities of the large-region run of (d) (default 1,000)")
    parser.add_argument("--large-days", type=float, default=730,
                        help="days of the large-region run of (d) (default 730)")
    parser.add_argument("--measure", nargs=2, metavar=("NAME", "JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile:
        profile_model(args.profile)
        return 0
    if args.measure:
        name, kwargs = args.measure
        print(json.dumps(MEASURES[name](**json.loads(kwargs))))
        return 0

    n = args.runs or (1_000 if args.quick else 10_000)
    n = max(8, n // 8 * 8)
    small = max(8, n // 10 // 8 * 8)
    grid = max(8, (args.grid_runs or (400 if args.quick else 2_000)) // 8 * 8)
    repeats = 2 if args.quick else 5
    started = time.perf_counter()
    rep = Report()
    print(f"kuayu benchmarks ({'quick' if args.quick else 'full'}): {_machine()}")
    load_start = _load()
    if load_start > 0.5:
        print(f"warning: load average {load_start:.2f} before starting: other processes share "
              "these cores, so speeds will be low; run on an idle machine for true figures")

    rep.section("(a) Model speed, one core")
    m = fresh("model", case="quickstart", runs=240, repeats=repeats)
    rep.add("quick-start model (6 cities, 20 days), runs/s", f"{m['runs_per_s']:,.0f}")
    if _issue_case_available():
        m = fresh("model", case="issue", runs=6 if args.quick else 20, repeats=repeats)
        rep.add("yangtze_delta, coordinated, 365 d, spill + epidemic, runs/s",
                f"{m['runs_per_s']:,.1f}", ">= 10", m["runs_per_s"] >= 10)
        split = fresh("epidemic_share", runs=6 if args.quick else 20)
        rep.add("the same: ms per run in the epidemic hazard / the rest of the model",
                f"{split['epidemic_ms']:,.0f} / {split['rest_ms']:,.0f} ms")
        rep.add("the same: runs/s if the epidemic hazard cost nothing",
                f"{1e3 / split['rest_ms']:,.1f}")
    else:
        rep.add("yangtze_delta, coordinated, 365 d, spill + epidemic, runs/s",
                "pending: needs yangtze_delta region", ">= 10")

    rep.section(f"(b) Engine: sweep of {n:,} quick-start runs")
    one = fresh("engine", runs=n, workers=1)
    two = fresh("engine", runs=n, workers=2)
    two_small = fresh("engine", runs=small, workers=2)
    rep.add("1 worker: wall time", f"{one['wall_s']:,.1f} s")
    rep.add("1 worker: runs/s", f"{one['runs_per_s']:,.0f}")
    limit = 600 * n / 10_000
    rep.add("2 workers: wall time", f"{two['wall_s']:,.1f} s",
            f"<= {limit:,.0f} s" + ("" if n == 10_000 else " (pro rata)"), two["wall_s"] <= limit)
    rep.add("2 workers: runs/s", f"{two['runs_per_s']:,.0f}")
    speedup = one["wall_s"] / two["wall_s"]
    rep.add("speed-up, 2 workers vs 1", f"{speedup:.2f}x", ">= 1.7x", speedup >= 1.7)
    rep.add("parent peak RSS, 1 worker (parent runs the model)", f"{one['parent_mb']:,.0f} MB",
            "<= 500 MB", one["parent_mb"] <= 500)
    rep.add(f"parent peak RSS, 2 workers, {small:,} runs", f"{two_small['parent_mb']:,.0f} MB",
            "<= 500 MB", two_small["parent_mb"] <= 500)
    rep.add(f"parent peak RSS, 2 workers, {n:,} runs", f"{two['parent_mb']:,.0f} MB",
            "<= 500 MB", two["parent_mb"] <= 500)
    growth = two["parent_mb"] - two_small["parent_mb"]
    rep.add(f"parent RSS growth from {small:,} to {n:,} runs",
            f"{growth:+,.0f} MB ({growth / two_small['parent_mb']:+.0%})", "flat (<= +10%)",
            growth <= 0.10 * two_small["parent_mb"])
    rep.add("largest worker peak RSS, 2 workers", f"{two['worker_mb']:,.0f} MB")
    rep.add("total peak RSS (parent + workers), 2 workers", f"{two['total_mb']:,.0f} MB")

    rep.section(f"(c) Against mesa.batch_run: same model and grid, {grid:,} runs, no series")
    for procs in (1, 2):
        ours = fresh("engine", runs=grid, workers=procs, series=False, grid=True)
        theirs = fresh("batch_run", runs=grid, processes=procs)
        label = f"{procs} process{'es' if procs > 1 else ''}"
        rep.add(f"{label}: kuayu engine, runs/s", f"{ours['runs_per_s']:,.0f}")
        rep.add(f"{label}: mesa.batch_run, runs/s", f"{theirs['runs_per_s']:,.0f}")
        ratio = ours["runs_per_s"] / theirs["runs_per_s"]
        rep.add(f"{label}: speed, engine / batch_run", f"{ratio:.2f}x", ">= 2x", ratio >= 2)
        rep.add(f"{label}: kuayu engine, total peak RSS", f"{ours['total_mb']:,.0f} MB")
        rep.add(f"{label}: mesa.batch_run, total peak RSS", f"{theirs['total_mb']:,.0f} MB")
        mem = ours["total_mb"] / theirs["total_mb"]
        rep.add(f"{label}: peak memory, engine / batch_run", f"{mem:.2f}", "<= 0.20",
                mem <= 0.20)

    if not args.quick:  # where the engine's flat memory should show: a 5x larger grid
        big = 5 * grid
        ours = fresh("engine", runs=big, workers=2, series=False, grid=True)
        theirs = fresh("batch_run", runs=big, processes=2)
        rep.add(f"{big:,} runs, 2 processes: kuayu engine, runs/s", f"{ours['runs_per_s']:,.0f}")
        rep.add(f"{big:,} runs, 2 processes: mesa.batch_run, runs/s",
                f"{theirs['runs_per_s']:,.0f}")
        ratio = ours["runs_per_s"] / theirs["runs_per_s"]
        rep.add(f"{big:,} runs, 2 processes: speed, engine / batch_run", f"{ratio:.2f}x",
                ">= 2x", ratio >= 2)
        rep.add(f"{big:,} runs, 2 processes: kuayu engine, parent / total peak RSS",
                f"{ours['parent_mb']:,.0f} / {ours['total_mb']:,.0f} MB")
        rep.add(f"{big:,} runs, 2 processes: mesa.batch_run, parent / total peak RSS",
                f"{theirs['parent_mb']:,.0f} / {theirs['total_mb']:,.0f} MB")
        mem = ours["total_mb"] / theirs["total_mb"]
        rep.add(f"{big:,} runs, 2 processes: peak memory, engine / batch_run", f"{mem:.2f}",
                "<= 0.20", mem <= 0.20)

    rep.section("(d) Issue 17: scale and the flagship, side by side")
    flag = fresh("flagship", workers=2)
    rep.add(f"flagship command end to end, 2 workers, {flag['runs']} runs + charts",
            f"{flag['wall_s']:,.1f} s", "<= 30 s", flag["wall_s"] <= 30)
    rep.add("the same: running the model (the manifest's session time) / the rest",
            f"{flag['simulating_s']:,.1f} / {flag['wall_s'] - flag['simulating_s']:,.1f} s")
    rep.add("the same: total peak RSS (parent + workers)", f"{flag['total_mb']:,.0f} MB")
    river = fresh("river_buffer", n=1000, repeats=3 if args.quick else 5)
    rep.add("river ring buffer, one spill down 1,000 cities: old (sum of lags) / new",
            f"{river['old_s'] / river['new_s']:,.0f}x")
    rep.add("the same: every arrival identical", "yes" if river["same"] else "NO", "identical",
            river["same"])
    days = args.large_days
    label = f"N = {args.large_n:,} cities, {days:g} days, one run"
    now = fresh("large_run", n=args.large_n, days=days)
    rep.add(f"{label}: this code, wall time", f"{now['wall_s']:,.1f} s", "<= 30 s",
            now["wall_s"] <= 30)
    rep.add(f"{label}: this code, peak RSS", f"{now['total_mb']:,.0f} MB", "<= 1,000 MB",
            now["total_mb"] <= 1000)
    rep.add(f"{label}: incidents (live at the end)",
            f"{now['incidents']:,} ({now['live_at_end']:,})")
    # the old code gets at least 1.5 times as long as this code took, so a stopped run still
    # bounds the speed-up from below by more than 1
    limit = max(60.0, 1.5 * now["wall_s"], min(300.0, 6 * now["wall_s"]))
    before = fresh("large_run", timeout=limit, n=args.large_n, days=days, code="before")
    if "timeout" in before:
        rep.add(f"{label}: before issue 17 ({BEFORE_ISSUE_17}), wall time",
                f"> {limit:,.0f} s (stopped)")
        rep.add(f"{label}: before issue 17, peak RSS when stopped",
                f"{before['total_mb']:,.0f} MB")
        rep.add(f"{label}: speed-up, now vs before", f"> {limit / now['wall_s']:,.1f}x")
    else:
        rep.add(f"{label}: before issue 17 ({BEFORE_ISSUE_17}), wall time",
                f"{before['wall_s']:,.1f} s")
        rep.add(f"{label}: before issue 17, peak RSS", f"{before['total_mb']:,.0f} MB")
        rep.add(f"{label}: speed-up, now vs before",
                f"{before['wall_s'] / now['wall_s']:,.1f}x")
        same = before["total_loss"] == now["total_loss"]
        rep.add(f"{label}: total loss the same to the bit", "yes" if same else "NO",
                "identical", same)

    big = 10 * n  # 10,000 quick, 100,000 full: the issue's 10^5-run sweep
    keep = Path(tempfile.mkdtemp(prefix="kuayu-bench-"))
    try:
        few = fresh("sweep_charts", runs=n, workers=2)
        many = fresh("sweep_charts", runs=big, workers=2, keep=str(keep))
        whole = fresh("series_whole", folder=str(keep / "quickstart"))
    finally:
        shutil.rmtree(keep, ignore_errors=True)
    label = "quick-start sweep on 2 workers, then tables, charts and report in the parent"
    rep.add(f"{label}: parent peak RSS, {n:,} / {big:,} runs",
            f"{few['parent_mb']:,.0f} / {many['parent_mb']:,.0f} MB")
    growth = many["parent_mb"] - few["parent_mb"]
    rep.add(f"{label}: parent RSS growth from {n:,} to {big:,} runs",
            f"{growth:+,.0f} MB ({growth / few['parent_mb']:+.0%}, "
            f"{growth * 1024 / (big - n):,.1f} KB per run)", "flat (<= +10%)",
            growth <= 0.10 * few["parent_mb"])
    rep.add(f"{label}: {big:,} runs, wall time / running the model",
            f"{many['wall_s']:,.1f} / {many['simulating_s']:,.1f} s")
    rep.add(f"the same {big:,} runs' series ({whole['rows']:,} rows) read whole, as the charts "
            "did before: peak RSS", f"{whole['parent_mb']:,.0f} MB")

    took = time.perf_counter() - started
    load_end = _load()
    command = "benchmarks/run.py" + (" --quick" if args.quick else "")
    lines = [
        "# Benchmark results", "",
        f"Measured by `.venv/bin/python {command}` on {time.strftime('%Y-%m-%d')} "
        f"in {took / 60:.1f} min.", "",
        f"Machine: {_machine()}. Load average (1 min) {load_start:.2f} before, "
        f"{load_end:.2f} after (load from other processes lowers every speed figure).", "",
        "Each configuration ran in a fresh process. *Parent* is getrusage(RUSAGE_SELF) peak "
        "RSS of the process that runs the sweep; *largest worker* is getrusage(RUSAGE_CHILDREN);"
        " *total* is the peak of the summed RSS of the parent and all its workers, sampled "
        "every 50 ms. A missed target is reported as measured.", "",
        "| measure | value | target | |", "|---|---:|---|---|",
        *[f"| {w} | {v} | {t} | {k} |" for w, v, t, k in rep.rows], "",
    ]
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print(f"\nwritten: {args.out} ({took / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
