"""The Python API for notebooks: one call runs a study, one call opens a results folder.

    import sim
    res = sim.run_study("scenarios/quickstart.yaml", overrides={"hazard.magnitude": 50})
    res.summary          # pandas DataFrame
    res.plot(lang="zh")  # redraw charts

The command line is a thin layer over these two functions.
"""

from __future__ import annotations

import contextlib
import functools
import json
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import yaml

from sim import analysis, runner, safeio
from sim.chunks import Chunks
from sim.scenario import Scenario, load

DEFAULT_ROOT = Path("results")


class Results:
    """A results folder: run rows, per-step series, tables and charts, loaded on demand."""

    nothing_to_run = False  # set by run_study when every run was already in the folder

    def __init__(self, path: str | Path):
        self.path = Path(path)
        # The manifest is checked (DamagedResults if unreadable or foreign) and so is every
        # chunk (sizes and SHA-256 against its record): chunks of another plan, or missing or
        # damaged chunks of a study marked complete, are refused; only verified chunks are read.
        self.manifest: dict[str, Any] = runner.read_manifest(self.path)
        safeio.refuse_links(self.path)  # nothing written for it may leave the folder
        self._scan = runner.check_folder(self.path, self.manifest)
        self._runs: pd.DataFrame | None = None
        self._series: pd.DataFrame | None = None

    def __repr__(self) -> str:
        sc = self.manifest["scenario"]
        runs = self.manifest.get("runs", {})
        sweep = (f", {len(sc.get('sweep_points') or [])} sweep points over "
                 f"{', '.join(self.swept)}" if self.swept else "")
        return (f"<Results {self.name!r} at {self.path}: {runs.get('total', '?')} runs, "
                f"{self.manifest.get('status', '?')}; regimes "
                f"{', '.join(r['name'] for r in sc['regimes'])} (baseline {self.baseline})"
                f"{sweep}; {sc.get('replications')} replications>")

    def _repr_html_(self) -> str:
        """A notebook's view: what was run, and the sentences to quote."""
        import html

        lines = "".join(f"<li>{html.escape(line)}</li>" for line in self.headline())
        sc = self.manifest["scenario"]
        rows = [("folder", str(self.path)), ("runs", str(self.manifest.get("runs", {})
                                                           .get("total", "?"))),
                ("status", self.manifest.get("status", "?")),
                ("regimes", ", ".join(r.get("label") or r["name"] for r in sc["regimes"])),
                ("baseline", self.baseline), ("swept", ", ".join(self.swept) or "nothing"),
                ("replications", str(sc.get("replications")))]
        table = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                        f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
                        for k, v in rows)
        return (f"<div><strong>kuayu results: {html.escape(self.name)}</strong>"
                f"<table>{table}</table>" + (f"<ul>{lines}</ul>" if lines else "") + "</div>")

    @property
    def name(self) -> str:
        return self.manifest["name"]

    @property
    def swept(self) -> list[str]:
        return self.manifest["scenario"].get("swept", [])

    @property
    def baseline(self) -> str:
        return self.manifest["scenario"]["baseline"]

    @property
    def runs(self) -> pd.DataFrame:
        """One row per run (parameters and outcomes), sorted by run id."""
        if self._runs is None:
            self._runs = _read_chunks(self._files(runner.RUNS_DIR)).sort_values(
                "run_id", ignore_index=True)
            self._check_run_ids(self._runs)
        return self._runs

    @property
    def chunks_done(self) -> int:
        """Chunks of the plan that are on disk and verified (of manifest['runs']['chunks'])."""
        return len(self._scan.good)

    def _files(self, sub: str) -> list[Path]:
        """The verified chunk files of one kind (runs, series, ...), in chunk order."""
        names = [f"chunk-{i:06d}.parquet" for i in sorted(self._scan.good)]
        if self._scan.records:
            names = [n for n in names if f"{sub}/{n}" in
                     self._scan.records[int(n[6:12])]["files"]]
        return [p for n in names if (p := self.path / sub / n).is_file()]

    def _check_run_ids(self, runs: pd.DataFrame) -> None:
        """A complete study has every run of its plan exactly once."""
        total = int(self.manifest["runs"]["total"])
        ids = runs["run_id"].to_numpy()
        if self.manifest.get("status") == "complete" and (
                len(ids) != total or (ids != range(total)).any()):
            raise runner.DamagedResults(
                f"{self.path}: the chunks hold {len(ids):,} rows for {total:,} runs "
                f"({int(pd.Series(ids).duplicated().sum()):,} duplicated run ids); run the "
                "study again to recompute the damaged chunks")

    @property
    def series(self) -> pd.DataFrame | None:
        """Per-step series of every run (long format), or None if not recorded. All of it is
        loaded: for a large study read `chunks("series")` one chunk at a time instead."""
        if self._series is None and self._files(runner.SERIES_DIR):
            self._series = _read_chunks(self._files(runner.SERIES_DIR)).sort_values(
                ["run_id", "step"], ignore_index=True)
        return self._series

    def chunks(self, table: str) -> Chunks | None:
        """A per-run table ("series", "accounts" or "trust") as the charts read it: one chunk
        file at a time, only the columns asked for (so a study of any size is drawn in flat
        memory); None if not recorded."""
        files = self._files(_TABLES[table])
        if not files:
            return None
        always = ["run_id", "step", "hour"] if table == "series" else ["run_id"]

        def read(columns: list[str]):
            for f in files:
                yield pq.read_table(f, columns=list(dict.fromkeys([*always, *columns]))
                                    ).to_pandas()

        return Chunks(frozenset(pq.read_schema(files[0]).names), read)

    @functools.cached_property
    def accounts(self) -> pd.DataFrame | None:
        """Per-city accounts at the end of every run (one row per run and city: run_id, city,
        city_id, name_en, name_zh, population_m, lon, lat and sim.model.ACCOUNTS), or None
        for a results folder written before they were recorded."""
        files = self._files(runner.ACCOUNTS_DIR)
        if not files:
            return None
        return _read_chunks(files).sort_values(["run_id", "city"], ignore_index=True)

    @functools.cached_property
    def events(self) -> pd.DataFrame | None:
        """The event log of the recorded runs (replication 0 of every regime and sweep point,
        `record: {events: true}`), one row per event in time order: run_id, regime, point,
        step, hour, event (sim.events.VOCABULARY), actor (a city index, "body" or "centre"),
        target (a city index or <NA>), incident (index into the run's incidents, as in
        incidents.csv, or <NA>), amount (NaN when none), detail, and the actor's and
        target's English names (actor_name, target_name). None if not recorded."""
        files = self._files(runner.EVENTS_DIR)
        if not files:
            return None
        frame = _read_chunks(files)
        frame = frame.sort_values(["run_id", "step"], kind="stable", ignore_index=True)
        runs = self.runs[["run_id", "regime", "point"]]
        frame = frame.merge(runs, on="run_id", how="left")
        frame["actor"] = [int(a) if a.isdigit() else a for a in frame["actor"]]
        for col in ("target", "incident"):
            frame[col] = frame[col].astype("Int64").where(frame[col] >= 0)
        names = {int(k): r["names_en"] for k, r in (self.regions or {}).items()}

        def name(run_id, who) -> str:
            if isinstance(who, str):
                return who
            if who is None or who is pd.NA:
                return ""
            run_names = names.get(int(run_id))
            return run_names[int(who)] if run_names else str(who)

        frame["actor_name"] = [name(r, a) for r, a in zip(frame["run_id"], frame["actor"],
                                                          strict=True)]
        frame["target_name"] = [name(r, t) for r, t in zip(frame["run_id"], frame["target"],
                                                           strict=True)]
        order = ["run_id", "regime", "point", "step", "hour", "event", "actor", "target",
                 "incident", "amount", "detail", "actor_name", "target_name"]
        return frame[order]

    @functools.cached_property
    def trust(self) -> pd.DataFrame | None:
        """The final trust matrix of every run in long form (run_id, truster, trusted, trust:
        how much city `truster` trusts city `trusted`), or None if not recorded."""
        files = self._files(runner.TRUST_DIR)
        if not files:
            return None
        return _read_chunks(files).sort_values(["run_id", "truster", "trusted"],
                                                ignore_index=True)

    def trust_matrix(self, run_id: int):
        """The n x n trust matrix of one run (numpy), T[i, j] = trust of city i in city j."""
        if self.trust is None:
            raise LookupError(f"{self.path} holds no trust matrices")
        rows = self.trust[self.trust["run_id"] == run_id]
        if rows.empty:
            raise LookupError(f"no trust matrix for run {run_id} in {self.path}")
        n = int(rows["truster"].max()) + 1
        return rows["trust"].to_numpy(dtype=float).reshape(n, n)

    def holds(self, table: str) -> bool:
        """True if the folder holds `table` ("series", "accounts", "trust" or "regions"),
        checked without reading it (a study of 10^5 runs holds millions of account rows)."""
        if table == "regions":
            return any((self.path / runner.ACCOUNTS_DIR / f"regions-{i:06d}.json").is_file()
                       for i in sorted(self._scan.good))
        return bool(self._files(_TABLES[table]))

    def columns(self, table: str, names: list[str]) -> pd.DataFrame | None:
        """Only the columns `names` (those it has) of a per-run table ("runs", "accounts",
        "trust"), read from every verified chunk; None if the folder does not hold it."""
        files = self._files(_TABLES[table])
        if not files:
            return None
        have = set(pq.read_schema(files[0]).names)
        wanted = [n for n in names if n in have]
        return pd.concat([pq.read_table(f, columns=wanted).to_pandas() for f in files],
                         ignore_index=True)

    @functools.cached_property
    def regions(self) -> dict[int, dict] | None:
        """The region (names, places, sizes, rivers, incidents) of replication 0 of every regime
        and sweep point, by run id, or None if not recorded."""
        files = [p for i in sorted(self._scan.good)
                 if (p := self.path / runner.ACCOUNTS_DIR / f"regions-{i:06d}.json").is_file()]
        if not files:
            return None
        out: dict[int, dict] = {}
        for f in files:
            out.update({int(k): v for k, v in json.loads(f.read_text(encoding="utf-8")).items()})
        return out

    @functools.cached_property
    def cities(self):
        """Per-city series and regions of the recorded runs (what sim.maps.load gives, read
        from the verified chunks only), or None."""
        files = self._files(runner.CITIES_DIR)
        if not files:
            return None
        frame = pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)
        regions = {}
        for run_id in sorted(frame["run_id"].unique()):
            path = self.path / runner.CITIES_DIR / f"region-{int(run_id):06d}.json"
            if path.is_file():
                regions[int(run_id)] = json.loads(path.read_text(encoding="utf-8"))
        return frame, regions

    @property
    def summary(self) -> pd.DataFrame:
        return analysis.summary(self.runs, self.swept)

    @property
    def differences(self) -> pd.DataFrame:
        return analysis.paired_differences(self.runs, self.swept, self.baseline)

    def write_tables(self) -> list[Path]:
        """runs.csv, summary.csv and differences.csv beside the Parquet chunks (each written
        atomically: the last shards of a job array may finish, and finalise, at once)."""
        out = [self.path / "runs.csv", self.path / "summary.csv"]
        _atomic_csv(self.runs, out[0])
        _atomic_csv(self.summary, out[1])
        diffs = self.differences
        if not diffs.empty:
            out.append(self.path / "differences.csv")
            _atomic_csv(diffs, out[-1])
        from sim import discovery, incidents, sensitivity  # sensitivity.csv: morris or sobol

        return (out + analysis.write_attribution(self) + sensitivity.write(self)
                + incidents.write(self) + discovery.write(self))

    def plot(self, charts: list[str] | None = None, lang: str = "en",
             formats: tuple[str, ...] | None = None) -> list[Path]:
        """Draw the study's charts (or those named) into figures/ in one language ("en" or
        "zh"), as PNG and PDF (`formats` may add "svg"); returns the files written. In a
        Jupyter notebook the PNGs are also shown below the cell.

            res.plot()                                  # the scenario's charts, English
            res.plot(["incident_timeline"], lang="zh")  # one chart, Chinese
            res.plot(["heatmap"], formats=("png", "pdf", "svg"))
        """
        from sim import plots

        written = plots.draw(self, charts, lang, formats=formats)
        _show_inline([p for p in written if p.suffix == ".png"])
        return written

    @property
    def labels(self) -> dict[str, str]:
        """The regimes' English labels (their names where they have none)."""
        return {r["name"]: r.get("label") or r["name"]
                for r in self.manifest["scenario"]["regimes"]}

    def headline(self, outcome: str | None = None, lang: str = "en") -> list[str]:
        """The sentences to quote (per sweep point when there is a sweep) about `outcome`,
        by default the first of the scenario's `report: {headline: [...]}`."""
        from sim.report import headline_outcomes

        diffs = self.differences
        if diffs.empty:
            return []
        labels = self.labels
        if lang != "en":
            labels = {r["name"]: r.get(f"label_{lang}") or r.get("label") or r["name"]
                      for r in self.manifest["scenario"]["regimes"]}
        outcome = outcome or headline_outcomes(self)[0]
        return analysis.headline(diffs, outcome, lang, labels)


# The per-run tables of a results folder and the folder of each one's chunks.
_TABLES = {"runs": runner.RUNS_DIR, "series": runner.SERIES_DIR,
           "accounts": runner.ACCOUNTS_DIR, "trust": runner.TRUST_DIR}


def _show_inline(pngs: list[Path]) -> None:
    """In a Jupyter notebook, show the PNGs just drawn below the cell (nothing elsewhere)."""
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return
    for png in pngs:
        display(Image(filename=str(png)))


def _atomic_csv(table: pd.DataFrame, path: Path) -> None:
    """Write a table as CSV, UTF-8 with a byte-order mark so that Excel shows Chinese."""
    safeio.atomic_write(path, lambda fh: table.to_csv(fh, index=False, encoding="utf-8-sig"),
                        root=path.parent)


def _write_resolved(out_dir: Path, resolved: dict[str, Any]) -> None:
    safeio.atomic_text(out_dir / "scenario.resolved.yaml",
                       yaml.safe_dump(resolved, allow_unicode=True, sort_keys=False),
                       root=out_dir)


@functools.lru_cache(maxsize=1)
def _opened(path: str) -> Results:
    """A worker's copy of the results folder it draws from (one pool draws one study)."""
    return Results(path)


def _draw(path: str, name: str, lang: str, options: dict) -> list[str]:
    """Worker task: draw one chart of a results folder in one language."""
    from sim import plots

    return [str(p) for p in plots.draw_one(_opened(path), name, lang, options=options)]


# charts that take longest first, so that the pool's last task is a short one
_SLOW_FIRST = ("incident_map", "region_map", "trust", "burden", "timeseries",
               "incident_timeline")


def _report(path: str, lang: str) -> None:
    """Worker task: write the report of a results folder in one language."""
    from sim.report import write_report

    write_report(_opened(path), (lang,))


def _finalise(results: Results, charts: bool, langs: tuple[str, ...],
              workers: int = 1, pool=None) -> Results:
    safeio.refuse_links(results.path)  # tables, charts and reports never leave the folder
    results.write_tables()
    from sim import uncertainty  # uncertainty.csv: a study with an `uncertain:` block

    uncertainty.write(results)
    if not charts:  # the report embeds the figures, so it comes with them
        return results
    from sim import plots
    from sim.report import write_report

    names, options = plots.planned(results)
    tasks = [(name, lang) for name in names for lang in langs]
    if workers < 2 or len(tasks) < 2:
        for name, lang in tasks:
            plots.draw_one(results, name, lang, options=options.get(name, {}))
        write_report(results, langs)
        return results
    # One chart in one language per task (the same files), longest first; this process
    # draws charts too, beside workers - 1 worker processes, then the reports likewise.
    tasks.sort(key=lambda t: _SLOW_FIRST.index(t[0]) if t[0] in _SLOW_FIRST
               else len(_SLOW_FIRST))
    path = str(results.path)

    def chart_here(path: str, name: str, lang: str, opts: dict) -> None:
        plots.draw_one(results, name, lang, options=opts)

    with runner.lent_or_own(pool, min(workers, len(tasks)) - 1) as processes:
        runner.share(processes, _draw,
                     [(path, name, lang, options.get(name, {})) for name, lang in tasks],
                     runner.in_hand(processes), lambda _: None, local=chart_here)
        # a report per language: one in hand per worker, the next one here
        runner.share(processes, _report, [(path, lang) for lang in langs], workers - 1,
                     lambda _: None, local=lambda path, lang: write_report(results, (lang,)))
    return results


def _read_chunks(files: list[Path]) -> pd.DataFrame:
    if not files:
        raise FileNotFoundError("no verified result chunks in this results folder")
    return pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)


def open_results(path: str | Path) -> Results:
    return Results(path)


def run_study(scenario: str | Path | dict | Scenario, overrides: dict[str, Any] | None = None,
              out: str | Path | None = None, workers: int = 1, executor: Executor | None = None,
              replications: int | None = None, seed: int | None = None,
              shard: tuple[int, int] | None = None, overwrite: bool = False, quiet: bool = True,
              charts: bool = True, langs: tuple[str, ...] = ("en",), confirm_large: bool = False,
              command: tuple[str, ...] = ()) -> Results:
    """Run (or resume) a study and return its Results, with tables and charts written.

    `out` is the results folder itself; by default results/<scenario name>/.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario, overrides, replications, seed, confirm_large)
    out_dir = Path(out) if out is not None else DEFAULT_ROOT / scenario.name
    # This process and one pool of workers - 1 processes run the models and then draw the
    # charts: each worker starts (and imports numpy, pandas, Mesa) once. Processes start only
    # when used.
    shared = executor is None and workers > 1
    with runner.process_pool(workers - 1) if shared else contextlib.nullcontext() as pool:
        try:
            manifest = runner.execute(scenario, out_dir, workers=workers, executor=executor,
                                      shard=shard, overwrite=overwrite, quiet=quiet,
                                      command=command, pool=pool)
        except runner.StudyConflict as exc:
            if command:  # the command line speaks in flags
                raise
            raise runner.StudyConflict(api_words(str(exc))) from None
        results = Results(out_dir)
        results.nothing_to_run = bool(manifest.get("nothing_to_run"))
        if results.nothing_to_run and not manifest.get("restyled") and \
                _finished(results, charts, langs):
            return results  # a finished study run again: nothing to run, nothing to redraw
        _write_resolved(out_dir, scenario.resolved())
        if manifest["status"] == "complete":
            _finalise(results, charts, langs, workers if executor is None else 1, pool)
    return results


def api_words(message: str) -> str:
    """A message of the runner in the words of run_study's keywords, not the flags."""
    for flag, keyword in (("pass --overwrite", "pass overwrite=True"),
                          ("--out DIR", "out=<another folder>"),
                          ("another --out", "another out= folder"),
                          ("--overwrite", "overwrite=True"), ("--out", "out=")):
        message = message.replace(flag, keyword)
    return message


def _finished(results: Results, charts: bool, langs: tuple[str, ...]) -> bool:
    """True if the tables (and, with charts, the report in every language) are written."""
    have = (results.path / "summary.csv").exists()
    if charts:
        have = have and all((results.path / ("report.html" if lang == "en" else
                                             f"report_{lang}.html")).exists()
                            for lang in langs)
    return have


def merge_results(folders: list[str | Path], charts: bool = True,
                  langs: tuple[str, ...] = ("en",), command: tuple[str, ...] = ()) -> Results:
    """Join the shards of a study (see runner.merge) into the first folder, then write its
    tables and charts, as the last shard of a complete run would have."""
    manifest = runner.merge(folders, command=command)
    out_dir = Path(folders[0])
    if not (out_dir / "scenario.resolved.yaml").exists():
        _write_resolved(out_dir, manifest["scenario"])
    return _finalise(Results(out_dir), charts, langs)
