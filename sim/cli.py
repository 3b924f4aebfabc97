"""Command line: run / plot / validate / list / merge / validate-model / explore. A thin layer over
sim.study (and sim.explore for the dashboard).

Errors a user can fix (a bad scenario, input beyond a limit, a folder of another study or with
damaged or foreign chunks, a link inside a results folder, another run writing the folder, a full
disk, a missing font package) are printed as one clear message each and exit with code 2, never
as a traceback. A worker that
dies exits with code 1 and Ctrl-C with 130; both keep every finished chunk and say how to
resume.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import yaml

from sim import __version__, safeio

VERBS = ("run", "plot", "validate", "list", "merge", "validate-model", "explore",
         "discover", "calibrate")
EPILOG = """examples:
  python run.py scenarios/quickstart.yaml
  python run.py scenarios/quickstart.yaml --replications 5 --workers 2 --out /tmp/res
  python run.py scenarios/quickstart.yaml --set hazard.magnitude=50 --set time.horizon_days=10
  python run.py scenarios/quickstart.yaml --dry-run
  python run.py scenarios/quickstart.yaml --executor dask --scheduler tcp://10.0.0.5:8786
  python run.py scenarios/quickstart.yaml --shard 0/4 --out /scratch/shard0
  python run.py merge /scratch/shard0/quickstart /scratch/shard1/quickstart ...
  python run.py plot results/quickstart --lang zh
  python run.py discover results/when_coordination_fails
  python run.py discover results/when_coordination_fails --from my_conditions.yaml
  python run.py validate scenarios/*.yaml
  python run.py list
  python run.py validate-model --no-patterns
  python run.py calibrate scenarios/replay_songhua_2005.yaml --trials 40
  python run.py explore scenarios/quickstart.yaml --port 8765
"""


class UsageError(Exception):
    """A mistake on the command line: exit code 2 with the message."""


def _parse_set(items: list[str]) -> dict:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise UsageError(f"--set {item!r}: expected key.path=value, e.g. "
                             "--set hazard.magnitude=50")
        key, raw = item.split("=", 1)
        try:
            out[key.strip()] = safeio.load_yaml(raw, f"--set {key.strip()}") if raw.strip() \
                else raw
        except safeio.InputError as exc:
            raise UsageError(str(exc)) from None
        except yaml.YAMLError:
            out[key.strip()] = raw
    return out


def _parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard {text!r}: expected i/N, e.g. --shard 0/4") from None
    if n < 1 or not 0 <= i < n:
        raise UsageError(f"--shard {text!r}: expected 0 <= i < N")
    return i, n


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="kuayu (跨域): simulate how cities coordinate on risks that cross their "
                    "borders. The verb defaults to 'run'.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"kuayu {__version__}")
    sub = parser.add_subparsers(dest="verb",
                                metavar="{run,plot,validate,list,merge,validate-model,"
                                        "explore,discover,calibrate}")

    run = sub.add_parser("run", help="run a scenario (the default verb)", epilog=EPILOG,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("scenario", help="scenario YAML file, e.g. scenarios/quickstart.yaml")
    run.add_argument("--out", metavar="DIR", default="results",
                     help="folder that receives <scenario name>/ (default: results), "
                          "e.g. --out /tmp/myresults")
    run.add_argument("--workers", type=int, default=None, metavar="N",
                     help="worker processes (with the process pool, this one included; "
                          "default: the number of cores, "
                          f"{_default_workers()} here); results are identical for any N, "
                          "e.g. --workers 2")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a parameter by dotted path (repeatable), "
                          "e.g. --set hazard.magnitude=50")
    run.add_argument("--replications", type=int, metavar="N",
                     help="replications per regime and sweep point (overrides the file), "
                          "e.g. --replications 5")
    run.add_argument("--seed", type=int, metavar="N",
                     help="root seed (overrides the file), e.g. --seed 7")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--overwrite", action="store_true",
                     help="replace results of a different version of this scenario")
    run.add_argument("--dry-run", action="store_true",
                     help="print the plan (runs, estimated time, folder) and stop")
    run.add_argument("--yes", action="store_true", help="confirm a plan larger than max_runs")
    run.add_argument("--shard", metavar="i/N",
                     help="run only slice i of N (for job arrays), e.g. --shard 0/4; "
                          "then `run.py merge` the results")
    run.add_argument("--executor", choices=("process", "dask"), default=None,
                     help="process: this process and --workers - 1 local processes "
                          "(default); dask: a "
                          "dask.distributed cluster (optional extra: pip install -e \".[dask]\"),"
                          " local with --workers processes unless --scheduler is given")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="address of a running dask scheduler (implies --executor dask), "
                          "e.g. --scheduler tcp://10.0.0.5:8786")
    run.add_argument("--lang", action="append", choices=("en", "zh"),
                     help="chart language (repeatable; default: en and zh)")
    run.add_argument("--no-charts", action="store_true", help="write tables but no charts")

    plot = sub.add_parser("plot", help="redraw charts from a results folder without re-running")
    plot.add_argument("results", help="results folder, e.g. results/quickstart")
    plot.add_argument("--chart", action="append", metavar="NAME",
                      help="chart to draw (repeatable; default: the study's charts)")
    plot.add_argument("--svg", action="store_true",
                      help="also write SVG (PNG and PDF are always written)")
    plot.add_argument("--lang", action="append", choices=("en", "zh"),
                      help="language (repeatable; default: en and zh)")

    discover = sub.add_parser(
        "discover", help="scenario discovery on a finished study: PRIM boxes, CART, feature "
                         "scores and regret (docs/discovery.md)",
        description="Find where in the swept parameter space a condition on paired outcomes "
                    "holds (e.g. coordinated's spillover loss is not lower than "
                    "territorial's), with the EMA Workbench's PRIM, CART and feature scoring, "
                    "and each regime's regret. Uses the study's own discovery: block, or the "
                    "one in --from FILE.yaml (nothing is run again). Writes discovery/ "
                    "(boxes.csv ...), the charts discovery_tradeoff, discovery_boxes and "
                    "regret, and the report.")
    discover.add_argument("results", metavar="RESULTS_DIR",
                          help="results folder, e.g. results/when_coordination_fails")
    discover.add_argument("--from", dest="source", metavar="FILE.yaml",
                          help="a YAML file with a discovery: block (a scenario file or a "
                               "file with that key alone), e.g. --from my_conditions.yaml")
    discover.add_argument("--lang", action="append", choices=("en", "zh"),
                          help="chart and report language (repeatable; default: en and zh)")

    validate = sub.add_parser("validate", help="check scenario files without running them")
    validate.add_argument("scenarios", nargs="+", help="scenario YAML files")

    sub.add_parser("list", help="show regimes, regions, hazard kinds, parameters, outcomes")

    merge = sub.add_parser(
        "merge", help="join the shards of a study (--shard i/N) and write its tables and charts",
        description="Shards that ran into the same folder: check that every chunk is there and "
                    "write the tables and charts. Shards that ran into separate folders: copy "
                    "their chunks into the first folder (same scenario required), then the "
                    "same. Refuses, changing nothing, while any chunk is missing.")
    merge.add_argument("results", nargs="+", metavar="RESULTS_DIR",
                       help="results folder(s) of the shards, e.g. results/quickstart; the "
                            "first one receives the merged study")
    merge.add_argument("--lang", action="append", choices=("en", "zh"),
                       help="chart language (repeatable; default: en and zh)")
    merge.add_argument("--no-charts", action="store_true", help="write tables but no charts")
    model = sub.add_parser(
        "validate-model", help="regenerate docs/validation.md: replays against the record "
                               "and the pattern tests",
        description="Run every replay (scenarios/replay_*.yaml) and the pattern tests "
                    "(tests/patterns/), and rewrite the generated parts of docs/validation.md "
                    "(model-vs-record tables and charts, pattern results) in place.")
    model.add_argument("--replications", type=int, default=2, metavar="N",
                       help="replications per regime of each replay (default 2; the timeline "
                            "compared with the record is replication 0's)")
    model.add_argument("--no-patterns", action="store_true",
                       help="leave the pattern-test table and figures as they are (the tests "
                            "run in the test suite)")
    explore = sub.add_parser(
        "explore", help="watch one run in the browser: two regimes side by side (a Mesa "
                        "SolaraViz page)",
        description="Serve a page (Mesa's SolaraViz) that runs the scenario's first sweep\n"
                    "point on one seed under two regimes side by side, step by step: the\n"
                    "region map with the hazard and each city's state, the outcome plots, the\n"
                    "event log of the current step, a regime selector and sliders for the\n"
                    "main mechanism settings (docs/explore.md). Stop it with Ctrl-C.",
        epilog="example:\n  python run.py explore scenarios/quickstart.yaml --port 8765\n"
               "  then open http://127.0.0.1:8765 in a browser",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    explore.add_argument("scenario", help="scenario YAML file, e.g. scenarios/quickstart.yaml")
    explore.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                         help="override a parameter by dotted path (repeatable), "
                              "e.g. --set hazard.magnitude=50")
    explore.add_argument("--port", type=int, default=8765, metavar="N",
                         help="port to serve on (default 8765), e.g. --port 8800")
    explore.add_argument("--host", default="127.0.0.1",
                         help="address to listen on (default 127.0.0.1, this machine only; "
                              "0.0.0.0 lets other machines connect)")
    explore.add_argument("--open", action="store_true", help="open the page in a browser")
    explore.add_argument("--lang", choices=("en", "zh"), default="en",
                         help="language of the page's labels and charts (default en; the "
                              "charts can be switched on the page)")
    cal = sub.add_parser(
        "calibrate", help="fit the parameters of a scenario's calibrate: block to its targets",
        description="Fit the parameters named in the scenario's `calibrate:` block to its "
                    "targets with optuna's TPE sampler (paired replications, seeded); writes "
                    "<out>/<name>/calibration/ (fit.csv, targets.csv, trials.csv, charts, "
                    "report). Interrupted or given a larger --trials, it continues where it "
                    "stopped. See docs/calibration.md.")
    cal.add_argument("scenario", help="scenario YAML file with a calibrate: block")
    cal.add_argument("--out", metavar="DIR", default="results",
                     help="folder that receives <scenario name>/calibration/ (default: results)")
    cal.add_argument("--trials", type=int, metavar="N",
                     help="budget of trials (overrides the block's trials), e.g. --trials 60")
    cal.add_argument("--workers", type=int, default=None, metavar="N",
                     help="processes running a trial's replications (default: the number of "
                          f"cores, {_default_workers()} here; the fit is the same for any N)")
    cal.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a fixed parameter by dotted path (repeatable)")
    cal.add_argument("--seed", type=int, metavar="N",
                     help="root seed of the runs (overrides the file)")
    cal.add_argument("--restart", action="store_true",
                     help="drop the earlier trials of this calibration and start again")
    cal.add_argument("--quiet", action="store_true", help="no progress bar")
    cal.add_argument("--lang", action="append", choices=("en", "zh"),
                     help="chart and report language (repeatable; default: en and zh)")
    cal.add_argument("--no-charts", action="store_true",
                     help="write the tables but no charts or report")
    return parser


def main(argv: list[str] | None = None) -> int:
    """The command line; Ctrl-C at any moment (even while modules load) exits 130."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("\ninterrupted: finished runs are saved; run the same command again to resume.",
              file=sys.stderr)
        return 130


def _main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in VERBS and not argv[0].startswith("-"):
        argv.insert(0, "run")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verb is None:
        parser.print_help()
        return 2
    import logging

    from sim.fonts import FontMissingError
    from sim.runner import (
        DamagedResults,
        ExecutorUnavailable,
        IncompleteResults,
        StudyConflict,
        WorkerLost,
    )
    from sim.safeio import InputError, UnsafeFolder
    from sim.scenario import ScenarioError

    # Notes of the engine (a damaged chunk computed again, stray files ignored, a stale lock
    # taken over) go to stderr as "warning: ...".
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("warning: %(message)s"))
    log = logging.getLogger("kuayu")
    log.addHandler(handler)
    log.propagate = False
    try:
        return {"run": cmd_run, "plot": cmd_plot, "validate": cmd_validate,
                "list": cmd_list, "merge": cmd_merge, "discover": cmd_discover,
                "validate-model": cmd_validate_model,
                "explore": cmd_explore, "calibrate": cmd_calibrate}[args.verb](args, argv)
    except ScenarioError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    except (UsageError, StudyConflict, FontMissingError, FileNotFoundError, IncompleteResults,
            ExecutorUnavailable, DamagedResults, UnsafeFolder, InputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `python run.py list | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # not a folder, read-only, disk full, permission denied ...
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}; nothing already saved was damaged (run "
              "the same command again once this is fixed)", file=sys.stderr)
        return 2
    except WorkerLost as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        log.removeHandler(handler)


def _default_workers() -> int:
    """--workers when not given: every core this process may use (results do not depend on
    it, only the wall time does)."""
    from sim.runner import available_cores

    return available_cores()


def _workers(args) -> int:
    if args.workers is None:
        args.workers = _default_workers()
    return args.workers


def cmd_run(args, argv) -> int:
    from sim import study
    from sim.scenario import load

    if _workers(args) < 1:
        raise UsageError(f"--workers {args.workers}: expected 1 or more")
    if args.replications is not None and args.replications < 1:
        raise UsageError(f"--replications {args.replications}: expected 1 or more")
    shard = _parse_shard(args.shard)
    scenario = load(args.scenario, _parse_set(args.set), args.replications, args.seed,
                    confirm_large=args.yes)
    out_dir = Path(args.out) / scenario.name
    if args.dry_run:
        return _dry_run(scenario, out_dir, args.workers)
    langs = tuple(args.lang or ("en", "zh"))
    with _executor(args) as executor:
        res = study.run_study(scenario, out=out_dir, workers=args.workers, shard=shard,
                              executor=executor, overwrite=args.overwrite, quiet=args.quiet,
                              charts=not args.no_charts, langs=langs,
                              command=("run.py", *argv))
    status = res.manifest["status"]
    if status != "complete":
        runs = res.manifest["runs"]
        print(f"shard done: {runs['chunks_done']}/{runs['chunks']} chunks of {scenario.name} "
              f"in {out_dir}; run the remaining shards, then `python run.py merge {out_dir}` "
              "(adding the other shards' folders if they ran elsewhere).")
        return 0
    if res.nothing_to_run:
        print(f"Nothing to run: all {scenario.n_runs} runs of '{scenario.name}' are already in "
              f"{out_dir}/ (--overwrite runs them again; `python run.py plot {out_dir}` "
              "redraws the charts).")
        return 0
    for line in res.headline():
        print(line)
    print(f"\n{scenario.n_runs} runs of '{scenario.name}' done.")
    tables = [f.name for f in sorted(out_dir.glob("*.csv")) if f.name != "runs.csv"]
    print(f"Results: {out_dir}/  ("
          + ("" if args.no_charts else "report.html, report.md, ") + "runs.csv, "
          + ", ".join([*tables, "manifest.json"]) + ")")
    if not args.no_charts:
        print(f"Charts:  {out_dir / 'figures'}/  (PNG and PDF)")
    return 0


def cmd_calibrate(args, argv) -> int:
    from sim import calibration
    from sim.scenario import load

    if _workers(args) < 1:
        raise UsageError(f"--workers {args.workers}: expected 1 or more")
    if args.trials is not None and not 1 <= args.trials <= calibration.MAX_TRIALS:
        raise UsageError(f"--trials {args.trials}: expected 1 to {calibration.MAX_TRIALS:,}")
    scenario = load(args.scenario, _parse_set(args.set), None, args.seed)
    if not scenario.calibrate:
        raise UsageError(f"{args.scenario}: no calibrate: block; add one (docs/calibration.md "
                         "shows how), e.g. calibrate: {parameters: {info.report_delay_hours: "
                         "[0, 480]}, targets: [{timeline: harbin.warned}]}")
    out_dir = Path(args.out) / scenario.name
    res = calibration.run(scenario, out_dir, workers=args.workers, quiet=args.quiet,
                          trials=args.trials, charts=not args.no_charts,
                          langs=tuple(args.lang or ("en", "zh")), restart=args.restart)
    for line in calibration.summary_lines(res):
        print(line)
    print(f"\n{len(res.trials)} trials ({res.ran} run now) of '{scenario.name}'.")
    print(f"Results: {res.path}/  (fit.csv, targets.csv, trials.csv"
          + ("" if args.no_charts else ", report.html, report.md, figures/") + ")")
    return 0


def _executor(args):
    """The executor asked for: None for the default process pool (run_study makes it), or a
    dask executor, local or on the cluster at --scheduler (closed when the run ends)."""
    import contextlib

    if args.executor == "process" and args.scheduler:
        raise UsageError("--scheduler needs --executor dask (or leave --executor out)")
    if args.executor != "dask" and not args.scheduler:
        return contextlib.nullcontext(None)
    from sim.runner import dask_executor

    return dask_executor(args.scheduler, workers=args.workers)


def _dry_run(scenario, out_dir: Path, workers: int) -> int:
    import itertools

    from sim.runner import chunk_size_for, run_one

    n_runs = scenario.n_runs  # counted, never built: a plan may be far larger than memory
    probe = list(itertools.islice(scenario.runs(), 5))
    start = time.perf_counter()
    for spec in probe:
        run_one(spec, scenario.seed, scenario.record_series)
    per_run = (time.perf_counter() - start) / len(probe)
    est = per_run * n_runs / max(1, workers)
    print(f"plan for '{scenario.name}' ({scenario.source}):")
    print(f"  regimes:      {', '.join(r.key for r in scenario.regimes)}"
          f" (baseline {scenario.baseline})")
    print(f"  sweep points: {len(scenario.points)}"
          + (f" over {', '.join(scenario.swept)}" if scenario.swept else ""))
    print(f"  replications: {scenario.replications} (root seed {scenario.seed})")
    print(f"  runs:         {n_runs:,} in chunks of {chunk_size_for(n_runs)}")
    print(f"  estimate:     {est:,.1f} s on {workers} worker(s) "
          f"({per_run * 1000:.1f} ms per run, timed on {len(probe)} runs)")
    print(f"  results in:   {out_dir}/")
    return 0


def plots_formats() -> tuple[str, ...]:
    from sim.plots import FORMATS

    return FORMATS


def cmd_plot(args, argv) -> int:
    from sim.plots import ChartError
    from sim.study import open_results

    res = open_results(args.results)
    total = res.manifest["runs"]["chunks"]
    if res.chunks_done < total:
        print(f"warning: {res.path} holds {res.chunks_done} of {total} chunks (status "
              f"{res.manifest.get('status')!r}); the charts show only the finished runs. Run "
              "the study (or its remaining shards) to complete it.", file=sys.stderr)
    written = []
    try:
        for lang in args.lang or ("en", "zh"):
            written += res.plot(args.chart, lang,
                                formats=(*plots_formats(), "svg") if args.svg else None)
    except ChartError as exc:
        raise UsageError(str(exc)) from None
    print(f"{len(written)} files written to {res.path / 'figures'}/")
    return 0


def cmd_validate(args, argv) -> int:
    from sim.scenario import ScenarioError, load

    failed = 0
    for path in args.scenarios:
        try:
            sc = load(path)
        except ScenarioError as exc:
            failed += 1
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
        else:
            draws = sc.uncertain["draws"] if sc.uncertain else 1
            points = (f"{len(sc.points) // draws} points x {draws} draws" if draws > 1
                      else f"{len(sc.points)} points")
            print(f"ok: {path} ({sc.n_runs:,} runs: {len(sc.regimes)} regimes x "
                  f"{points} x {sc.replications} replications"
                  + (", calibrate: block ok" if sc.calibrate else "") + ")")
    return 2 if failed else 0


def cmd_merge(args, argv) -> int:
    from sim.study import merge_results

    langs = tuple(args.lang or ("en", "zh"))
    res = merge_results(args.results, charts=not args.no_charts, langs=langs,
                        command=("run.py", *argv))
    copied = res.manifest["sessions"][-1].get("chunks_copied", 0)
    for line in res.headline():
        print(line)
    print(f"\n{len(res.runs)} runs of '{res.name}' merged"
          + (f" ({copied} chunks copied from {len(args.results) - 1} other folder(s))"
             if len(args.results) > 1 else "") + ".")
    print(f"Results: {res.path}/  (runs.csv, summary.csv, differences.csv, manifest.json)")
    if not args.no_charts:
        print(f"Charts:  {res.path / 'figures'}/  (PNG and PDF)")
    return 0


def cmd_discover(args, argv) -> int:
    from sim import discovery
    from sim.report import write_report
    from sim.scenario import ScenarioError, read_discovery
    from sim.study import open_results

    res = open_results(args.results)
    sc = res.manifest["scenario"]
    if res.manifest.get("status") != "complete":
        raise UsageError(f"{res.path}: the study is not complete ({res.chunks_done} of "
                         f"{res.manifest['runs']['chunks']} chunks); run it to the end first")
    if args.source:
        spec = read_discovery(args.source, [r["name"] for r in sc["regimes"]],
                              sc["baseline"], sc.get("swept", []))
    else:
        spec = sc.get("discovery")
        if not spec:
            raise UsageError(f"{res.path}: the scenario of this study has no discovery: "
                             "block; pass --from FILE.yaml with one (docs/discovery.md)")
    try:
        written = discovery.write(res, spec)
    except discovery.DiscoveryError as exc:
        raise ScenarioError([f"{args.source or res.path}: discovery: {exc}"]) from None
    langs = tuple(args.lang or ("en", "zh"))
    for lang in langs:
        written += res.plot(list(discovery.charts_of(spec)), lang)
    write_report(res, langs)
    found = discovery.of(res, spec)
    labels = res.labels
    for lines in discovery.box_sentences(found, "en", labels):
        for line in lines:
            print(line)
    print(f"\n{len(written)} files written to {res.path / discovery.FOLDER}/ and "
          f"{res.path / 'figures'}/; the report is {res.path / 'report.html'}")
    return 0


def cmd_list(args, argv) -> int:
    from sim.catalogue import describe

    print(describe())
    return 0


def cmd_validate_model(args, argv) -> int:
    from sim.replay import RecordError
    from sim.validation import DOC, regenerate

    if args.replications < 1:
        raise UsageError(f"--replications {args.replications}: expected 1 or more")
    try:
        names = regenerate(replications=args.replications, patterns=not args.no_patterns)
    except RecordError as exc:
        raise UsageError(str(exc)) from None
    print(f"{DOC}: regenerated {', '.join(names)}")
    return 0


def cmd_explore(args, argv) -> int:
    import json
    import socket

    from sim.scenario import load

    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: expected a port number between 1 and 65535")
    overrides = _parse_set(args.set)
    scenario = load(args.scenario, overrides)  # a bad scenario stops here, with exit code 2
    # Solara reports usage to its authors unless told not to; a study's page has no business
    # calling out (and offline it would only wait).
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    try:
        import solara  # noqa: F401
        from mesa.visualization import SolaraViz  # noqa: F401
    except ImportError as exc:
        raise UsageError(f"explore needs Mesa's visualisation ({exc.name} is missing): "
                         'pip install "mesa[viz]" (or pip install -e . again)') from None
    with socket.socket() as probe:
        try:
            probe.bind((args.host, args.port))
        except OSError as exc:
            raise UsageError(f"cannot serve on {args.host}:{args.port} ({exc.strerror}); "
                             f"choose another port, e.g. --port {args.port + 1}") from None
    from sim import explore

    if not explore.assets_bundled():
        print("note: the page's scripts will come from cdn.jsdelivr.net (this needs internet); "
              'offline, install them first: pip install -e ".[offline]"', file=sys.stderr)
    os.environ[explore.ENV_SCENARIO] = str(Path(args.scenario).resolve())
    os.environ[explore.ENV_SET] = json.dumps(overrides)
    os.environ[explore.ENV_LANG] = args.lang
    print(f"exploring '{scenario.name}' (first sweep point, seed of replication 0): "
          f"http://{args.host}:{args.port}  (Ctrl-C stops)", flush=True)
    from solara.__main__ import cli

    options = ["run", "sim.explore", "--host", args.host, "--port", str(args.port),
               "--production", "--open" if args.open else "--no-open"]
    cli.main(options, prog_name="run.py explore", standalone_mode=False)
    return 0
