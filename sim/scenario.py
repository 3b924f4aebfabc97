"""Scenario files: YAML schema, validation with precise messages, and the plan of runs.

A scenario is read with safe loading only, checked completely before anything runs (every
problem is reported at once, with file, line, key path, what was expected and what was found),
then expanded into a plan: regimes x sweep points x replications, each run with its seed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim import safeio
from sim.params import BY_PATH, lookup, resolve, suggest
from sim.regimes import REGIMES

# Names of studies and regimes (used with fullmatch): letters of any script, digits, '_' and
# '-', starting with a letter or digit, at most 64 characters. They name folders, so the
# characters no file system accepts (/ \ : * ? " < > |, controls, spaces) are excluded by
# construction, and the device names Windows reserves are refused (name_problem).
NAME_RE = re.compile(r"[^\W_][\w-]{0,63}")
NAME_RULE = ("letters, digits, '_' or '-' (letters of any script, e.g. 长三角研究), starting "
             "with a letter or digit, at most 64 characters")
WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                    *(f"lpt{i}" for i in range(10))}
MAX_MESSAGE = 400  # characters of a value shown in an error message
TOP_KEYS = {
    "name": "the study's name; also the name of its results folder (letters, digits, _ and -)",
    "description": "free text shown in the report",
    "extends": "path of another scenario this one starts from (relative to this file)",
    "seed": "root seed (integer >= 0); every replication's seed derives from it",
    "replications": "runs per regime and sweep point (integer >= 1)",
    "regimes": "regimes to compare: names, or {name, regime, label, set}",
    "baseline": "regime the others are compared with (default: territorial if present)",
    "params": "fixed parameter values by dotted path, e.g. hazard.magnitude: 50",
    "sweep": "parameters to vary: {path: [values]} or {factorial, zip, lhs, random, points, "
             "morris, sobol}",
    "record": "what to keep: {series: true|false, cities: true|false, events: true|false}",
    "charts": "charts to draw after the run",
    "chart_options": "per chart, what it shows: {chart: {option: value}}, e.g. "
                     "{timeseries: {panels: [mean_trust, cooperation]}}",
    "max_runs": "refuse plans larger than this unless confirmed (default 200000)",
    "report": "what the report speaks of: {outcomes: [...], headline: [...]}",
    "discovery": "scenario discovery: where in the swept space a condition on paired outcomes "
                 "holds (PRIM boxes, CART, feature scores) and each regime's regret "
                 "(docs/discovery.md)",
    "calibrate": "what `run.py calibrate` fits: {parameters, targets, trials, replications, "
                 "seed, regime} (sim.calibration)",
    "uncertain": "parameters drawn from their plausible ranges: {parameters, draws, seed} "
                 "(sim.uncertainty)",
}
REPORT_KEYS = ("outcomes", "headline")
REGIME_KEYS = ("name", "regime", "label", "label_zh", "set", "ignore_sweep")
# The discovery block (sim.discovery): its keys, the keys of one condition, what `holds` may
# say and the options of `regret`.
DISCOVERY_KEYS = ("conditions", "inputs", "per", "min_density", "max_qp", "mass_min",
                  "peel_alpha", "boxes", "regret")
CONDITION_KEYS = ("name", "label", "label_zh", "regime", "versus", "outcome", "city", "holds",
                  "threshold", "relative")
HOLDS = ("higher", "not_lower", "lower", "not_higher")
DISCOVERY_PER = ("draw", "point")
REGRET_KEYS = ("outcome", "regimes")
MAX_CONDITIONS = 6
MAX_BOXES = 5
# What a scenario may choose per chart (sim.plots draws with these keyword options). Kinds:
# outcomes = a list of outcome names, outcome = one, panels = time-series panels (the names of
# sim.plots.SERIES_PANELS), path = a swept parameter, account = a per-city account,
# int = a non-negative integer, bool.
TIMESERIES_PANELS = ("cum_loss", "cities_warned", "mean_trust", "cooperation",
                     "compensation_paid")
CHART_OPTIONS: dict[str, dict[str, str]] = {
    "regime_comparison": {"outcomes": "outcomes"},
    "sweep_response": {"outcomes": "outcomes", "x": "path"},
    "timeseries": {"panels": "panels", "point": "int"},
    "heatmap": {"outcome": "outcome", "x": "path", "y": "path", "annotate": "bool"},
    "tradeoff": {"loss": "outcome"},
    "incident_map": {"point": "int", "kind": "kind", "origin": "city", "rank": "rank"},
    "incident_timeline": {"point": "int", "kind": "kind", "origin": "city", "rank": "rank"},
    "trust": {"point": "int", "annotate": "bool"},
    "burden": {"point": "int"},
    "region_map": {"point": "int", "colour": "account", "flows": "bool"},
    "sensitivity": {"outcomes": "outcomes"},
    "discovery_tradeoff": {"condition": "condition"},
    "discovery_boxes": {"condition": "condition"},
    "regret": {},
}
SWEEP_KINDS = ("factorial", "zip", "lhs", "random", "points", "morris", "sobol")
# Sample designs for global sensitivity analysis (sim.sensitivity reads their points in order,
# so such a sweep is the study's only one). The options of every sampled kind:
DESIGN_KINDS = ("morris", "sobol")
SAMPLE_OPTIONS = {
    "lhs": ("samples", "bounds", "seed"),
    "random": ("samples", "bounds", "seed"),
    "morris": ("trajectories", "levels", "bounds", "seed"),
    "sobol": ("base_samples", "second_order", "bounds", "seed"),
}
SAMPLE_FORMS = {
    "lhs": "{samples: n, bounds: {path: [low, high]}}",
    "random": "{samples: n, bounds: {path: [low, high]}}",
    "morris": "{trajectories: r, levels: 4, bounds: {path: [low, high]}}",
    "sobol": "{base_samples: N (a power of two), second_order: false, "
             "bounds: {path: [low, high]}}",
}
MORRIS_LEVELS = 4
# The chart catalogue (drawn by sim.plots; listed here so validation needs no plotting).
CHARTS = ("regime_comparison", "sweep_response", "timeseries", "heatmap", "tradeoff",
          "incident_map", "incident_timeline", "trust", "burden", "region_map",
          "sensitivity", "discovery_tradeoff", "discovery_boxes", "regret")
DEFAULT_MAX_RUNS = 200_000
MAX_RANGE_VALUES = 100_000  # one swept range; the whole plan is bounded by max_runs
HARD_MAX_POINTS = 5_000_000  # sweep points built even with --yes (memory, not patience)
HARD_MAX_RUNS = 50_000_000  # runs in one plan, even with --yes (and the most max_runs may say)
MAX_MORRIS_LEVELS = 100  # SALib builds a grid of this many levels per parameter


class ScenarioError(Exception):
    """All problems found in one scenario; str() lists them one per line."""

    def __init__(self, problems: list[str]):
        # A value is quoted in its message; a huge one is cut (the message stays readable).
        problems = [p if len(p) <= 2 * MAX_MESSAGE else
                    f"{p[:MAX_MESSAGE]} ... ({len(p) - 2 * MAX_MESSAGE + 1:,} characters left "
                    f"out) ... {p[-MAX_MESSAGE:]}" for p in problems]
        super().__init__("\n".join(problems))
        self.problems = problems


def name_problem(name: object, names: str = "the results folder") -> str | None:
    """Why `name` cannot name a study or regime (None if it can)."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        return f"expected {NAME_RULE} (it names {names}), found {name!r}"
    if unicodedata.normalize("NFC", name) != name:
        return (f"expected a name in Unicode normal form NFC (as typed on most systems), "
                f"found {name!r}; retype it")
    if name.lower() in WINDOWS_RESERVED:
        return f"{name!r} is a device name on Windows and cannot name a folder there"
    return None


def unknown_keys(block: dict, at: str, allowed, bad) -> bool:
    """Report every key of `block` outside `allowed` as `at.key` (with a did-you-mean);
    True when there was none. One wording for every block of a scenario."""
    ok = True
    for key in block:
        if key not in allowed:
            bad(f"{at}.{key}", f"unknown key{suggest(str(key), allowed)}; expected "
                               + ", ".join(allowed))
            ok = False
    return ok


def outside(values: list, allowed, at: str, expected: str, bad, indexed: bool = True) -> bool:
    """Report each value not in `allowed` (as `at[j]`, or `at` when not `indexed`) with a
    did-you-mean; True when every value was allowed."""
    ok = True
    for j, value in enumerate(values):
        if value not in allowed:
            bad(f"{at}[{j}]" if indexed else at,
                f"expected {expected}, found {value!r}{suggest(str(value), allowed)}")
            ok = False
    return ok


def block_keys(block: Any, at: str, allowed, required, form: str, bad) -> bool | None:
    """The common start of a block's check: a non-empty mapping (else None), its unknown keys,
    its missing required keys (each message quotes `form`). True when all were fine."""
    if not isinstance(block, dict) or not block:
        bad(at, f"expected {form}, found {block!r}")
        return None
    ok = unknown_keys(block, at, allowed, bad)
    for key in required:
        if key not in block:
            bad(at, f"missing {key}; expected {form}")
            ok = False
    return ok


def coerce(path: str, value: Any) -> Any:
    """The parameter's coerce (sim.params), refusing infinite numbers and numbers too large to
    be one (an OverflowError is a ValueError here)."""
    if isinstance(value, float) and math.isinf(value) and \
            BY_PATH[path].kind in ("float", "int"):
        raise ValueError(f"expected {BY_PATH[path].expected()} (a finite number), found "
                         f"{value!r}")
    try:
        return BY_PATH[path].coerce(value)
    except OverflowError:
        raise ValueError(f"expected {BY_PATH[path].expected()}, found a number too large "
                         f"({str(value)[:40]})") from None


@dataclass(frozen=True)
class RegimeSpec:
    key: str  # column value in results
    regime: str  # preset it starts from
    label: str
    label_zh: str
    settings: dict[str, Any]
    # swept paths whose sweep values this regime does not take (it keeps its own settings);
    # its rows still carry the point's values, so it pairs with the others at that point
    ignore_sweep: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunSpec:
    run_id: int
    regime: str  # the study's name for the regime (a preset or a named variant)
    preset: str  # the preset it starts from
    point: int
    replication: int
    seed: int
    params: dict[str, Any]  # the point's swept values (the full set is resolved in the worker)
    overrides: dict[str, Any]  # regime settings + fixed params + point values


@dataclass
class Scenario:
    name: str
    description: str
    seed: int
    replications: int
    regimes: list[RegimeSpec]
    baseline: str
    params: dict[str, Any]
    points: list[dict[str, Any]]
    swept: list[str]
    record_series: bool
    charts: list[str]
    source: str = "<dict>"
    raw: dict[str, Any] = field(default_factory=dict)
    record_cities: bool = False
    record_events: bool = False  # the event log of replication 0 of every regime and point
    design: dict[str, Any] | None = None  # a morris or sobol sweep, for sim.sensitivity
    chart_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Files the runs read (region files), by absolute path, with their SHA-256: part of the
    # fingerprint, so an edited region file never mixes with results computed on the old one.
    inputs: dict[str, str] = field(default_factory=dict)
    report: dict[str, list[str]] = field(default_factory=dict)
    discovery: dict[str, Any] | None = None  # sim.discovery's block, validated
    calibrate: dict[str, Any] | None = None  # the `calibrate:` block (sim.calibration)
    uncertain: dict[str, Any] | None = None  # the `uncertain:` block (sim.uncertainty)

    @property
    def n_runs(self) -> int:
        return len(self.regimes) * len(self.points) * self.replications

    def fingerprint(self) -> str:
        """Hash of everything that changes results: the resolved settings, the bytes of every
        file the runs read (region files) and the model's version. A changed scenario never
        mixes with old results (labels, charts and description do not count)."""
        from sim import __version__

        key = {"seed": self.seed, "replications": self.replications, "params": self.params,
               "points": self.points, "record_series": self.record_series,
               "record_cities": self.record_cities,
               # only when on, so the studies that record no events keep their fingerprint
               **({"record_events": True} if self.record_events else {}),
               "regimes": [(r.key, r.regime, r.settings, *([list(r.ignore_sweep)]
                                                            if r.ignore_sweep else []))
                           for r in self.regimes],
               "inputs": sorted(self.inputs.values()), "model": __version__}
        return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()

    def runs(self):
        """Every run of the plan in a fixed order. Replication r of every regime and point gets
        the same seed (common random numbers), so comparisons are paired."""
        run_id = 0
        for point_id, point in enumerate(self.points):
            for reg in self.regimes:
                applied = ({k: v for k, v in point.items() if k not in reg.ignore_sweep}
                           if reg.ignore_sweep else point)
                for rep in range(self.replications):
                    yield RunSpec(run_id, reg.key, reg.regime, point_id, rep, rep, point,
                                  {**reg.settings, **self.params, **applied})
                    run_id += 1

    def resolved(self) -> dict[str, Any]:
        """The scenario as it will run (after extends and overrides), for the results folder."""
        return {
            "name": self.name, "description": self.description, "seed": self.seed,
            "replications": self.replications, "baseline": self.baseline,
            "regimes": [{"name": r.key, "regime": r.regime, "label": r.label,
                         "label_zh": r.label_zh, "settings": r.settings,
                         **({"ignore_sweep": list(r.ignore_sweep)} if r.ignore_sweep else {})}
                        for r in self.regimes],
            "params": self.params, "sweep_points": self.points, "swept": self.swept,
            "record": {"series": self.record_series, "cities": self.record_cities,
                       "events": self.record_events},
            "charts": self.charts,
            "chart_options": self.chart_options,
            **({"report": self.report} if self.report else {}),
            **({"design": self.design} if self.design else {}),
            **({"discovery": self.discovery} if self.discovery else {}),
            **({"uncertain": self.uncertain} if self.uncertain else {}),
            **({"calibrate": self.calibrate} if self.calibrate else {}),
            "defaults": resolve(),
        }


def seed_sequence(root_seed: int, replication: int) -> np.random.SeedSequence:
    """The replication's child of the root seed (same as SeedSequence(root).spawn(...)[r])."""
    return np.random.SeedSequence(root_seed, spawn_key=(replication,))


# --- reading -----------------------------------------------------------------------------------
class _Lines:
    """Line numbers of keys in a YAML document, by key path (for error messages)."""

    def __init__(self, text: str):
        self.lines: dict[str, int] = {}
        self.duplicates: list[tuple[str, int]] = []
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            node = None
        if node is not None:
            self._walk(node, "")

    def _walk(self, node, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for k, v in node.value:
                sub = f"{path}.{k.value}" if path else str(k.value)
                if k.value in seen:  # PyYAML would silently keep the last one
                    self.duplicates.append((sub, k.start_mark.line + 1))
                seen.add(k.value)
                self.lines.setdefault(sub, k.start_mark.line + 1)
                self._walk(v, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                sub = f"{path}[{i}]"
                self.lines.setdefault(sub, v.start_mark.line + 1)
                self._walk(v, sub)

    def at(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = re.sub(r"(\[\d+\]|\.[^.\[]+|^[^.\[]+)$", "", path)
        return None


def read_yaml(path: Path) -> tuple[dict[str, Any], _Lines]:
    """Safe-load a scenario file within the limits of sim.safeio (a regular file of at most
    10 MB, bounded nesting and alias expansion, 64-bit integers, UTF-8 text); syntax errors
    become a ScenarioError with the line."""
    try:
        text = safeio.read_text(path, what="scenario file")
        data = safeio.load_yaml(text, str(path))
    except safeio.InputError as exc:
        raise ScenarioError([str(exc)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError([f"{path}{where}: not valid YAML: {problem}"]) from None
    if not isinstance(data, dict):
        raise ScenarioError([f"{path}: expected a mapping of keys (name:, regimes:, ...), "
                             f"found {type(data).__name__}"])
    return data, _Lines(text)


def load(source: str | Path | dict, overrides: dict[str, Any] | None = None,
         replications: int | None = None, seed: int | None = None,
         confirm_large: bool = False) -> Scenario:
    """Read, merge (`extends`), override and validate a scenario. Raises ScenarioError."""
    if isinstance(source, dict):
        data, lines, where = dict(source), _Lines(""), "<dict>"
    else:
        path = Path(source)
        data, lines = read_yaml(path)
        where = str(path)
        _region_file_beside(data, path)
        data = _extend(data, path, seen={path.resolve()})
    return _validate(data, lines, where, overrides or {}, replications, seed, confirm_large)


def _region_file_beside(data: dict, path: Path) -> None:
    """A relative `region.file` is read beside the scenario file (like `extends`); one that is
    not there but is in the working directory (the older rule) still works."""
    params = data.get("params")
    if not isinstance(params, dict):
        return
    key = "region.file" if "region.file" in params else None
    if key is None and isinstance(params.get("region"), dict) and "file" in params["region"]:
        params, key = params["region"], "file"
    value = params.get(key) if key else None
    if not isinstance(value, str) or not value or Path(value).is_absolute():
        return
    beside = path.parent / value
    if beside.exists() or not Path(value).exists():
        params[key] = beside.as_posix() if path.parent != Path(".") else value


def _extend(data: dict, path: Path, seen: set[Path]) -> dict:
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        return data
    if not isinstance(parent_ref, str) or not parent_ref:
        raise ScenarioError([f"{path}: extends: expected a file path, found {parent_ref!r}"])
    if Path(parent_ref).suffix.lower() not in (".yaml", ".yml"):
        # Only scenario files: an error about another kind of file would quote its contents.
        raise ScenarioError([f"{path}: extends: expected a scenario file (.yaml or .yml), "
                             f"found {parent_ref!r}"])
    parent = (path.parent / parent_ref).resolve()
    if parent in seen:
        raise ScenarioError([f"{path}: extends: circular reference to {parent_ref}"])
    if len(seen) > safeio.MAX_EXTENDS:
        raise ScenarioError([f"{path}: extends: a chain of more than {safeio.MAX_EXTENDS} "
                             "files; extend fewer levels"])
    base, _ = read_yaml(parent)
    base = _extend(base, parent, seen | {parent})
    merged = dict(base)
    for key, value in data.items():
        if key == "params" and isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**_flatten(base[key]), **_flatten(value)}
        else:
            merged[key] = value
    return merged


def _flatten(tree: dict, prefix: str = "") -> dict[str, Any]:
    """{'hazard': {'magnitude': 5}} and {'hazard.magnitude': 5} mean the same."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and path not in BY_PATH:
            out.update(_flatten(value, path))
        else:
            out[path] = value
    return out


def _validate(data, lines, where, overrides, replications, seed, confirm_large) -> Scenario:
    problems: list[str] = []

    def bad(path: str, message: str) -> None:
        line = lines.at(path)
        loc = f"{where}:{line}" if line else where
        problems.append(f"{loc}: {path}: {message}")

    try:  # a mapping from Python (not read through sim.safeio) may hold a lone surrogate
        json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError as exc:
        problems.append(f"{where}: text with a lone surrogate "
                        f"(\\u{ord(exc.object[exc.start]):04x}), which cannot be written as "
                        "UTF-8")
    except (TypeError, ValueError, RecursionError):
        pass  # reported key by key below
    for path, line in lines.duplicates:
        problems.append(f"{where}:{line}: {path}: duplicate key; YAML would keep only the last "
                        "one, so remove or rename one of them")
    for key in data:
        if key not in TOP_KEYS:
            bad(str(key), f"unknown key{suggest(str(key), TOP_KEYS)}; expected one of "
                          + ", ".join(TOP_KEYS))

    name = data.get("name")
    if name is None:
        bad("name", "missing; expected a name such as 'quickstart'")
    elif name_problem(name):
        bad("name", name_problem(name))
    description = data.get("description", "")
    if not isinstance(description, str):
        bad("description", f"expected text, found {description!r}")

    def integer(key: str, default: int, low: int, given: int | None, high: int) -> int:
        value = data.get(key, default) if given is None else given
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            if given is None:
                bad(key, f"expected an integer >= {low}, found {value!r}")
            else:  # an argument of load() / run_study(), not a line of the file
                problems.append(f"{key}={value!r} (argument): expected an integer >= {low}, "
                                f"found {type(value).__name__} {value!r}")
            return default
        if value > high:
            bad(key, f"expected an integer >= {low} and at most {high:,}, found {value:,}")
            return default
        return value

    root_seed = integer("seed", 0, 0, seed, 2**63 - 1)
    reps = integer("replications", 10, 1, replications, HARD_MAX_RUNS)
    max_runs = integer("max_runs", DEFAULT_MAX_RUNS, 1, None, HARD_MAX_RUNS)

    params = _check_params(data.get("params", {}), "params", bad)
    for path, value in overrides.items():
        try:
            lookup(path)
            params[path] = coerce(path, value)
        except KeyError as exc:
            problems.append(f"--set {path}: {exc.args[0]}")
        except ValueError as exc:
            problems.append(f"--set {path}: {exc}")

    regimes = _check_regimes(data.get("regimes", ["territorial", "coordinated"]), bad)
    keys = [r.key for r in regimes]
    baseline = data.get("baseline", "territorial" if "territorial" in keys else
                        (keys[0] if keys else ""))
    if regimes and baseline not in keys:
        bad("baseline", f"expected one of the study's regimes {keys}, found {baseline!r}"
                        f"{suggest(str(baseline), keys)}")

    # The file's max_runs raises the soft limit, never the hard ones (memory: HARD_MAX_POINTS
    # sweep points are held; HARD_MAX_RUNS runs are planned, even with --yes).
    limit = HARD_MAX_POINTS if confirm_large else min(max_runs, HARD_MAX_POINTS)
    points, swept, design = _check_sweep(data.get("sweep"), bad, root_seed, limit)
    for path in swept:
        if path in overrides:
            problems.append(f"--set {path}: this parameter is swept by the scenario; "
                            "remove it from the sweep or from --set")
    regimes = _resolve_ignore_sweep(data.get("regimes"), regimes, swept, bad)
    record = data.get("record", {})
    kept = {"series": True, "cities": False, "events": False}
    if not isinstance(record, dict):
        bad("record", f"expected a mapping such as {{series: true}}, found {record!r}")
    else:
        for key, value in record.items():
            if key not in kept:
                bad(f"record.{key}", f"unknown key{suggest(str(key), kept)}; expected "
                                     "series, cities or events")
            elif not isinstance(value, bool):
                bad(f"record.{key}", f"expected true or false, found {value!r}")
            else:
                kept[key] = value
    charts = data.get("charts", list(CHARTS))
    if not isinstance(charts, list):
        bad("charts", f"expected a list of chart names, found {charts!r}")
        charts = []
    for i, chart in enumerate(charts):
        if chart not in CHARTS:
            bad(f"charts[{i}]", f"unknown chart {chart!r}{suggest(str(chart), CHARTS)}; "
                                f"expected one of {', '.join(CHARTS)}")

    chart_options = _check_chart_options(data.get("chart_options", {}), swept, bad)
    report = _check_report(data.get("report", {}), bad)
    discovery = (check_discovery(data["discovery"], bad, [r.key for r in regimes], baseline,
                                 swept) if "discovery" in data else None)
    uncertain = calibrate = None
    if "uncertain" in data:  # draws of what we do not know, crossed with the sweep
        from sim import uncertainty

        uncertain = uncertainty.check(data["uncertain"], regimes, swept, design, root_seed, bad)
        if uncertain is not None and not _too_many(len(points) * uncertain["draws"], limit,
                                                   "uncertain.draws", bad):
            points = uncertainty.cross(points, uncertain)
    if "calibrate" in data:
        from sim import calibration

        calibrate = calibration.check(data["calibrate"], regimes, params, points, swept, bad)

    if not problems:  # participation names cities: check them against each regime's region
        _check_participation(data, regimes, params, points, overrides, bad, problems)
    # Every combination must resolve (contradictions between settings show up here).
    if not problems:
        seen: set[str] = set()
        for reg in regimes:
            for point in points[:1000]:
                applied = {k: v for k, v in point.items() if k not in reg.ignore_sweep}
                try:
                    _check_world(resolve(reg.settings, params, applied))
                except ValueError as exc:
                    if str(exc) not in seen:  # a region file's problem is said once
                        problems.append(f"{where}: regime {reg.key}: {exc}")
                    seen.add(str(exc))
                    break
        if discovery and regimes and not problems:
            _check_discovery_cities(discovery, resolve(regimes[0].settings, params, points[0]),
                                    bad)
        total = len(regimes) * len(points) * reps
        if total > HARD_MAX_RUNS:
            problems.append(f"{where}: the plan has {total:,} runs, more than kuayu plans in "
                            f"one study ({HARD_MAX_RUNS:,}, even with --yes); split it into "
                            "several studies (e.g. one per regime or sweep range)")
        elif total > max_runs and not confirm_large:
            problems.append(f"{where}: the plan has {total:,} runs, more than max_runs "
                            f"({max_runs:,}); raise max_runs in the file or pass --yes")
    if problems:
        raise ScenarioError(problems)
    return Scenario(name, description, root_seed, reps, regimes, baseline, params, points,
                    swept, kept["series"], charts, where, data, record_cities=kept["cities"],
                    record_events=kept["events"],
                    design=design, chart_options=chart_options, report=report,
                    inputs=_input_files(regimes, params, points, swept), discovery=discovery,
                    calibrate=calibrate, uncertain=uncertain)


def _check_participation(data, regimes, params, points, overrides, bad, problems) -> None:
    """Unknown cities or groups in participation.* (with a did-you-mean), reported at the
    key where they were given: a regime's set, params, --set or the sweep."""
    from sim.mechanisms.participation import problems as unknown
    from sim.regions import build_region

    entries = data.get("regimes", [])
    said: set[tuple[str, str]] = set()
    for i, reg in enumerate(regimes):
        entry = entries[i] if isinstance(entries, list) and i < len(entries) else {}
        own = _flatten(entry.get("set") or {}) if isinstance(entry, dict) else {}
        for point in points[:1000]:
            p = resolve(reg.settings, params, point)
            try:
                region = build_region(p, np.random.default_rng(0))
            except ValueError:
                break  # the region itself is wrong: the world check says so
            found = unknown(p, region)
            for at, message in found:
                path = ".".join(at.split(".")[:2]).split("[")[0]
                if path in point:
                    key = (f"sweep ({path})", message)
                elif path in overrides:
                    key = (f"--set {path}", message)
                elif path in own:
                    key = (f"regimes[{i}].set.{at}", message)
                else:
                    key = (f"params.{at}", message)
                if key in said:
                    continue
                said.add(key)
                if key[0].startswith(("sweep", "--set")):
                    problems.append(f"{key[0]}: {at}: {message}")
                else:
                    bad(*key)
            if found:
                break


def _input_files(regimes, params, points, swept) -> dict[str, str]:
    """The region files the runs will read (and a CSV's rivers file), with their SHA-256."""
    sources = [r.settings for r in regimes] + [params]
    if "region.file" in swept:
        sources += points
    names = {v for src in sources if isinstance(v := src.get("region.file"), str) and v}
    out = {}
    for name in sorted(names):
        file = Path(name)
        for f in (file, file.with_name(f"{file.stem}_rivers.csv")):
            if f.is_file():
                out[str(f.resolve())] = safeio.sha256(f)
    return out


def _check_report(report, bad) -> dict[str, list[str]]:
    """report: {outcomes: [...], headline: [...]}, lists of known outcome names."""
    from sim.metrics import OUTCOMES

    if not isinstance(report, dict):
        bad("report", f"expected a mapping such as {{outcomes: [total_loss]}}, found {report!r}")
        return {}
    kept: dict[str, list[str]] = {}
    for key, value in report.items():
        if key not in REPORT_KEYS:
            bad(f"report.{key}", f"unknown key{suggest(str(key), REPORT_KEYS)}; expected "
                                 + " or ".join(REPORT_KEYS))
        elif not isinstance(value, list) or not value:
            bad(f"report.{key}", f"expected a non-empty list of outcome names, found {value!r}")
        else:
            for i, v in enumerate(value):
                if v not in OUTCOMES:
                    bad(f"report.{key}[{i}]", "expected an outcome (python run.py list shows "
                                              f"them), found {v!r}{suggest(str(v), OUTCOMES)}")
            kept[key] = [str(v) for v in value]
    return kept


def _check_chart_options(options, swept: list[str], bad) -> dict[str, dict[str, Any]]:
    """chart_options: known charts, known options, values of the right kind."""
    from sim.metrics import OUTCOMES
    from sim.model import ACCOUNTS

    if not isinstance(options, dict):
        bad("chart_options", f"expected a mapping of chart name to options, found {options!r}")
        return {}
    from sim.hazards.kinds import KINDS

    names = {"outcomes": OUTCOMES, "outcome": OUTCOMES, "panels": TIMESERIES_PANELS,
             "account": ACCOUNTS, "path": swept, "kind": KINDS}
    kept: dict[str, dict[str, Any]] = {}
    for chart, opts in options.items():
        at = f"chart_options.{chart}"
        if chart not in CHART_OPTIONS:
            bad(at, f"unknown chart{suggest(str(chart), CHART_OPTIONS)}; expected one of "
                    f"{', '.join(CHART_OPTIONS)}")
            continue
        allowed = CHART_OPTIONS[chart]
        if not isinstance(opts, dict):
            bad(at, f"expected a mapping of option to value, found {opts!r}")
            continue
        for key, value in opts.items():
            kind = allowed.get(key)
            if kind is None:
                bad(f"{at}.{key}", f"unknown option{suggest(str(key), allowed)}; expected "
                                   f"{', '.join(allowed) or 'none (this chart has no options)'}")
                continue
            values = value if kind in ("outcomes", "panels") else [value]
            if kind in ("outcomes", "panels") and (not isinstance(value, list) or not value):
                bad(f"{at}.{key}", f"expected a non-empty list, found {value!r}")
                continue
            if kind in ("int", "rank") and (isinstance(value, bool)
                                           or not isinstance(value, int)
                                           or value < (1 if kind == "rank" else 0)):
                bad(f"{at}.{key}", f"expected an integer >= {1 if kind == 'rank' else 0}, "
                                   f"found {value!r}")
            elif kind == "city" and (isinstance(value, bool)
                                     or not isinstance(value, str | int)):
                bad(f"{at}.{key}", f"expected a city (id, English or Chinese name), found "
                                   f"{value!r}")
            elif kind == "bool" and not isinstance(value, bool):
                bad(f"{at}.{key}", f"expected true or false, found {value!r}")
            elif kind == "condition" and not isinstance(value, str):
                bad(f"{at}.{key}", f"expected the name of a discovery condition, found "
                                   f"{value!r}")
            elif kind in names:
                what = {"outcomes": "an outcome (python run.py list shows them)",
                        "outcome": "an outcome (python run.py list shows them)",
                        "panels": "one of " + ", ".join(TIMESERIES_PANELS),
                        "account": "one of " + ", ".join(ACCOUNTS),
                        "path": "a swept parameter (" + (", ".join(swept) or "none") + ")",
                        "kind": "a hazard kind (" + ", ".join(KINDS) + ")"}[kind]
                for v in (v for v in values if v not in names[kind]):
                    bad(f"{at}.{key}", f"expected {what}, found {v!r}"
                                       f"{suggest(str(v), names[kind])}")
            kept.setdefault(chart, {})[key] = value
    return kept


def _check_world(p: dict[str, Any]) -> None:
    """Settings that only make sense together: the region must exist and hold every named
    origin city; warning calibration must be attainable."""
    from sim.regions import build_region

    region = build_region(p, np.random.default_rng(0))
    try:
        region.index(p["hazard.origin"])
    except ValueError as exc:
        raise ValueError(f"hazard.origin: {exc}") from None
    for city in p["region.city_overrides"]:
        try:
            region.index(city)
        except ValueError as exc:
            raise ValueError(f"region.city_overrides: {exc}") from None
    for i, event in enumerate(p["hazard.events"]):
        try:
            region.index(event["origin"])
        except ValueError as exc:
            raise ValueError(f"hazard.events[{i}].origin: {exc}") from None
    if not region.rivers:  # a river hazard in a region without rivers never spreads
        from sim.hazards.kinds import KINDS

        used = {"hazard.kind": [p["hazard.kind"]],
                "hazard.events": [e["kind"] for e in p["hazard.events"]],
                "hazard.rates": list(p["hazard.rates"])}
        for key, kinds in used.items():
            river = sorted({k for k in kinds if getattr(KINDS.get(k), "channel", "") == "river"})
            if river:
                raise ValueError(f"{key}: {', '.join(river)} travels along rivers, but region "
                                 f"{region.name!r} has none, so it would cause no "
                                 "spillover; choose a region with rivers (`python run.py "
                                 "list` shows them) or another hazard kind")
    if p["warning.reduction_at_24h"] >= p["warning.max_reduction"] > 0:
        raise ValueError("warning.reduction_at_24h must be below warning.max_reduction "
                         f"({p['warning.reduction_at_24h']} >= {p['warning.max_reduction']})")


def _check_params(tree, at: str, bad) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(tree, dict):
        bad(at, f"expected a mapping of parameter paths to values, found {tree!r}")
        return out
    for path, value in _flatten(tree).items():
        full = f"{at}.{path}"
        if path not in BY_PATH:
            bad(full, f"unknown parameter{suggest(path, BY_PATH)}; "
                      "see `python run.py list` for every parameter")
            continue
        try:
            out[path] = coerce(path, value)
        except ValueError as exc:
            bad(full, str(exc))
    return out


def _check_regimes(entries, bad) -> list[RegimeSpec]:
    if not isinstance(entries, list) or not entries:
        bad("regimes", f"expected a non-empty list of regimes, found {entries!r}")
        return []
    specs: list[RegimeSpec] = []
    for i, entry in enumerate(entries):
        at = f"regimes[{i}]"
        if isinstance(entry, str):
            entry = {"regime": entry}
        if not isinstance(entry, dict):
            bad(at, f"expected a regime name or a mapping, found {entry!r}")
            continue
        unknown_keys(entry, at, REGIME_KEYS, bad)
        base = entry.get("regime", entry.get("name"))
        if not isinstance(base, str) or base not in REGIMES:
            bad(f"{at}.regime", f"unknown regime {base!r}{suggest(str(base), REGIMES)}; "
                                f"expected one of {', '.join(REGIMES)}")
            continue
        key = entry.get("name", base)
        if name_problem(key, "files and columns"):
            bad(f"{at}.name", name_problem(key, "files and columns"))
            continue
        if key in [s.key for s in specs]:
            bad(f"{at}.name", f"duplicate regime name {key!r}; give each variant its own name")
            continue
        preset = REGIMES[base]
        settings = dict(preset.settings)
        settings.update(_check_params(entry.get("set", {}), f"{at}.set", bad))
        label = entry.get("label", preset.label_en if key == base else key)
        label_zh = entry.get("label_zh", preset.label_zh if key == base else label)
        specs.append(RegimeSpec(key, base, str(label), str(label_zh), settings))
    return specs


def _values(spec, at: str, bad) -> list | None:
    """A list of values, or a range {from, to, step} / {from, to, num}."""
    if isinstance(spec, list):
        if not spec:
            bad(at, "empty list: a sweep needs at least one value")
            return None
        return spec
    if isinstance(spec, dict) and set(spec) <= {"from", "to", "step", "num"} and \
            {"from", "to"} <= set(spec) and len(spec) == 3:
        lo, hi = spec["from"], spec["to"]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                   for v in spec.values()):
            bad(at, f"expected numbers in the range (finite), found {spec!r}")
            return None
        if "num" in spec:
            if spec["num"] < 1 or spec["num"] != int(spec["num"]):
                bad(f"{at}.num", f"expected an integer >= 1, found {spec['num']!r}")
                return None
            if spec["num"] > MAX_RANGE_VALUES:
                bad(f"{at}.num", f"{spec['num']:,} values is more than a sweep can hold "
                                 f"({MAX_RANGE_VALUES:,}); the plan would exceed max_runs")
                return None
            return [float(v) for v in np.linspace(lo, hi, int(spec["num"]))]
        step = spec["step"]
        if step == 0 or (hi - lo) / step < 0:
            bad(f"{at}.step", f"a step of {step!r} never gets from {lo!r} to {hi!r}")
            return None
        count = int(np.floor((hi - lo) / step + 1e-9)) + 1
        if count > MAX_RANGE_VALUES:
            bad(f"{at}.step", f"the range has {count:,} values, more than a sweep can hold "
                              f"({MAX_RANGE_VALUES:,}); the plan would exceed max_runs")
            return None
        values = [lo + k * step for k in range(count)]
        return [round(v, 12) if isinstance(v, float) else v for v in values]
    bad(at, "expected a list of values or a range {from: a, to: b, step: s} (or num: n), "
            f"found {spec!r}")
    return None


def _check_path_values(path: str, values: list, at: str, bad) -> list | None:
    if path not in BY_PATH:
        bad(at, f"unknown parameter{suggest(path, BY_PATH)}")
        return None
    out = []
    for i, value in enumerate(values):
        try:
            out.append(coerce(path, value))
        except ValueError as exc:
            bad(f"{at}[{i}]", str(exc))
            return None
    return out


def _too_many(count: int, limit: int, at: str, bad) -> bool:
    """Refuse a sweep before building it when it alone exceeds the plan limit."""
    if count <= limit:
        return False
    bad(at, f"the sweep has {count:,} points, more than max_runs ({limit:,}) allows; raise "
            "max_runs in the file or pass --yes (at most "
            f"{HARD_MAX_POINTS:,} points can be built)")
    return True


def _check_sweep(sweep, bad, root_seed: int, limit: int = DEFAULT_MAX_RUNS
                 ) -> tuple[list[dict[str, Any]], list[str], dict[str, Any] | None]:
    """Expand the sweep into a list of points (dicts of path -> value), the swept paths and,
    for a morris or sobol sweep, its design (what sim.sensitivity needs to analyse it)."""
    if sweep is None:
        return [{}], [], None
    if not isinstance(sweep, dict) or not sweep:
        bad("sweep", f"expected a mapping of parameters to values, found {sweep!r}")
        return [{}], [], None
    if not set(sweep) & set(SWEEP_KINDS):
        misspelt = [k for k in sweep if str(k) not in BY_PATH and isinstance(sweep[k], dict)
                    and suggest(str(k), SWEEP_KINDS) and not suggest(str(k), BY_PATH)]
        for kind in misspelt:
            bad(f"sweep.{kind}", f"unknown sweep kind{suggest(str(kind), SWEEP_KINDS)}; "
                                 f"expected one of {', '.join(SWEEP_KINDS)} (or only parameter "
                                 "paths)")
        if misspelt:
            return [{}], [], None
        sweep = {"factorial": sweep}
    designs = [k for k in sweep if k in DESIGN_KINDS]
    if designs and len(sweep) > 1:
        others = ", ".join(f"sweep.{k}" for k in sweep if k != designs[0])
        bad(f"sweep.{designs[0]}", f"a {designs[0]} sweep must be the study's only sweep (its "
                                   "points are analysed in the order they are drawn); found "
                                   f"also {others}: fix those values in params, or run them "
                                   "as separate studies")
        return [{}], [], None
    blocks: list[list[dict[str, Any]]] = []
    swept: list[str] = []
    design: dict[str, Any] | None = None
    for kind, body in sweep.items():
        at = f"sweep.{kind}"
        if kind not in SWEEP_KINDS:
            bad(at, f"unknown sweep kind{suggest(str(kind), SWEEP_KINDS)}; expected one of "
                    f"{', '.join(SWEEP_KINDS)} (or only parameter paths)")
            continue
        if kind == "points":
            block = _points(body, at, bad)
        elif kind in ("factorial", "zip"):
            block = _grid(kind, body, at, bad, limit)
        elif kind in DESIGN_KINDS:
            block, design = _design(kind, body, at, bad, root_seed, limit)
        else:
            block = _sample(kind, body, at, bad, root_seed, limit)
        if block is None:
            continue
        paths = list(dict.fromkeys(path for point in block for path in point))
        for path in paths:
            if path in swept:
                bad(at, f"{path} is swept twice; sweep each parameter in one place only")
        swept.extend(p for p in paths if p not in swept)
        blocks.append(block)
    if not blocks:
        return [{}], swept, None
    if _too_many(math.prod(len(b) for b in blocks), limit, "sweep", bad):
        return [{}], swept, None
    points = [dict(itertools.chain.from_iterable(p.items() for p in combo))
              for combo in itertools.product(*blocks)]
    return points, swept, design


def _grid(kind: str, body, at: str, bad, limit: int = DEFAULT_MAX_RUNS
          ) -> list[dict[str, Any]] | None:
    if not isinstance(body, dict) or not body:
        bad(at, f"expected a mapping of parameter paths to values, found {body!r}")
        return None
    columns: dict[str, list] = {}
    for path, spec in body.items():
        values = _values(spec, f"{at}.{path}", bad)
        if values is not None:
            checked = _check_path_values(str(path), values, f"{at}.{path}", bad)
            if checked is not None:
                columns[str(path)] = checked
    if len(columns) != len(body):
        return None
    if kind == "zip":
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            bad(at, f"zipped parameters need lists of equal length, found lengths "
                    f"{sorted(lengths)}")
            return None
        return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(),
                                                                     strict=True)]
    if _too_many(math.prod(len(v) for v in columns.values()), limit, at, bad):
        return None
    return [dict(zip(columns, row, strict=True)) for row in itertools.product(*columns.values())]


def _options(kind: str, body, at: str, bad, required: tuple[str, ...]) -> bool:
    """The options mapping of a sampled sweep: a mapping, no unknown keys (with a did-you-mean),
    every required key present."""
    form = SAMPLE_FORMS[kind]
    if not isinstance(body, dict):
        bad(at, f"expected {form}, found {body!r}")
        return False
    ok, meant = True, set()
    for key in body:
        if key not in SAMPLE_OPTIONS[kind]:
            hint = suggest(str(key), SAMPLE_OPTIONS[kind])
            bad(f"{at}.{key}", f"unknown option{hint}; a {kind} sweep takes "
                               + ", ".join(SAMPLE_OPTIONS[kind]))
            meant |= {k for k in SAMPLE_OPTIONS[kind] if hint and repr(k) in hint}
            ok = False
    missing = [k for k in required if k not in body and k not in meant]  # said once
    if missing:
        bad(at, f"expected {form}, found {body!r} (missing {', '.join(missing)})")
        ok = False
    return ok


def _integer_option(body, key: str, at: str, bad, low: int, default: int | None = None
                    ) -> int | None:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        bad(f"{at}.{key}", f"expected an integer >= {low}, found {value!r}")
        return None
    return value


def _bounds(bounds, at: str, bad) -> dict[str, tuple[float, float]] | None:
    """{path: [low, high]} over numeric parameters, both ends within the parameter's range."""
    if not isinstance(bounds, dict) or not bounds:
        bad(at, f"expected a mapping of paths to [low, high], found {bounds!r}")
        return None
    out: dict[str, tuple[float, float]] = {}
    for path, pair in bounds.items():
        where = f"{at}.{path}"
        if path not in BY_PATH:
            bad(where, "unknown parameter" + suggest(str(path), BY_PATH))
        elif BY_PATH[path].kind not in ("float", "int"):
            bad(where, f"expected a numeric parameter; {path} is not numeric "
                       f"({BY_PATH[path].expected()})")
        elif not (isinstance(pair, list) and len(pair) == 2 and
                  all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair)
                  and pair[0] < pair[1]):
            bad(where, f"expected [low, high] with low < high, found {pair!r}")
        else:
            errors = []
            for v in pair:
                try:
                    coerce(path, v)
                except ValueError as exc:
                    errors.append(str(exc))
            for error in errors:
                bad(where, error)
            if not errors:
                out[str(path)] = (pair[0], pair[1])
    return out if len(out) == len(bounds) else None


def _to_points(bounds: dict[str, tuple[float, float]], rows) -> list[dict[str, Any]]:
    """Rows of parameter values (in the order of `bounds`) as sweep points; integer
    parameters are rounded."""
    points = []
    for row in rows:
        point = {}
        for path, value in zip(bounds, row, strict=True):
            point[path] = round(value) if BY_PATH[path].kind == "int" else float(value)
        points.append(point)
    return points


def _sample(kind: str, body, at: str, bad, root_seed: int, limit: int = DEFAULT_MAX_RUNS
            ) -> list[dict[str, Any]] | None:
    """Latin hypercube or plain random samples over bounds {samples: n, bounds: {p: [lo, hi]}}."""
    if not _options(kind, body, at, bad, ("samples", "bounds")):
        return None
    n = _integer_option(body, "samples", at, bad, 1)
    if n is None or _too_many(n, limit, f"{at}.samples", bad):
        return None
    bounds = _bounds(body["bounds"], f"{at}.bounds", bad)
    seed = _integer_option(body, "seed", at, bad, 0, 0)
    if bounds is None or seed is None:
        return None
    rng = np.random.default_rng([root_seed, seed, 7])
    d = len(bounds)
    if kind == "lhs":
        u = (rng.permuted(np.tile(np.arange(n), (d, 1)), axis=1).T + rng.random((n, d))) / n
    else:
        u = rng.random((n, d))
    lo, hi = (np.array(v, dtype=float) for v in zip(*bounds.values(), strict=True))
    return _to_points(bounds, lo + u * (hi - lo))


def _design(kind: str, body, at: str, bad, root_seed: int, limit: int = DEFAULT_MAX_RUNS
            ) -> tuple[list[dict[str, Any]] | None, dict[str, Any] | None]:
    """A Morris (elementary effects) or Sobol (Saltelli) sample over bounds, drawn with SALib
    from a seed derived from the scenario's root seed, and the design that sim.sensitivity
    needs to analyse it.

    morris: {trajectories: r, levels: p (even, default 4), bounds, seed}: r * (k + 1) points.
    sobol: {base_samples: N (a power of two), second_order: false, bounds, seed}:
           N * (k + 2) points, or N * (2k + 2) with second_order: true.
    """
    required = ("trajectories", "bounds") if kind == "morris" else ("base_samples", "bounds")
    if not _options(kind, body, at, bad, required):
        return None, None
    bounds = _bounds(body["bounds"], f"{at}.bounds", bad)
    seed = _integer_option(body, "seed", at, bad, 0, 0)
    k = len(bounds) if bounds else 0
    if kind == "morris":
        r = _integer_option(body, "trajectories", at, bad, 2)
        levels = _integer_option(body, "levels", at, bad, 2, MORRIS_LEVELS)
        if levels is not None and levels > MAX_MORRIS_LEVELS:
            bad(f"{at}.levels", f"expected at most {MAX_MORRIS_LEVELS} levels (4 to 10 is "
                                f"usual), found {levels:,}")
            levels = None
        if levels is not None and levels % 2:
            bad(f"{at}.levels", f"expected an even number of levels (4, 6, 8, ...): the Morris "
                                f"step is levels / (2 (levels - 1)) of the range, found {levels}")
            levels = None
        if None in (r, levels, bounds, seed):
            return None, None
        if _too_many(r * (k + 1), limit, f"{at}.trajectories", bad):
            return None, None
        narrow = [p for p, (lo, hi) in bounds.items()
                  if BY_PATH[p].kind == "int" and hi - lo < levels - 1]
        for p in narrow:
            bad(f"{at}.bounds.{p}", f"{p} is an integer: its {levels} levels round to the same "
                                    f"value unless high - low >= {levels - 1}, found "
                                    f"{list(bounds[p])}")
        if narrow:
            return None, None
        design = {"method": "morris", "trajectories": r, "levels": levels}
    else:
        n = body["base_samples"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 2 or n & (n - 1):
            hint = ""
            if isinstance(n, int) and not isinstance(n, bool) and n > 2:
                below = 2 ** (n.bit_length() - 1)
                hint = f"; try {below} or {2 * below}"
            bad(f"{at}.base_samples", "expected a power of two >= 2 (a Sobol sequence is "
                                      f"balanced only at powers of two), found {n!r}{hint}")
            n = None
        second = body.get("second_order", False)
        if not isinstance(second, bool):
            bad(f"{at}.second_order", f"expected true or false, found {second!r}")
            second = None
        if None in (n, second, bounds, seed):
            return None, None
        if _too_many(n * ((2 * k if second else k) + 2), limit, f"{at}.base_samples", bad):
            return None, None
        design = {"method": "sobol", "base_samples": n, "second_order": second}
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": k, "names": list(bounds),
               "bounds": [[float(lo), float(hi)] for lo, hi in bounds.values()]}
    # one integer seed, derived from the root seed as the lhs/random samples are
    salt = 11 if kind == "morris" else 13
    rng_seed = int(np.random.SeedSequence([root_seed, seed, salt]).generate_state(1)[0])
    if kind == "morris":
        rows = morris_sample.sample(problem, r, num_levels=levels, seed=rng_seed)
    else:
        rows = sobol_sample.sample(problem, n, calc_second_order=second, seed=rng_seed)
    design |= {"bounds": {p: [lo, hi] for p, (lo, hi) in bounds.items()}, "seed": seed}
    return _to_points(bounds, rows), design


def _points(body, at: str, bad) -> list[dict[str, Any]] | None:
    if not isinstance(body, list) or not body:
        bad(at, f"expected a non-empty list of {{path: value}} mappings, found {body!r}")
        return None
    out = []
    for i, point in enumerate(body):
        if not isinstance(point, dict) or not point:
            bad(f"{at}[{i}]", f"expected a mapping of parameter paths to values, found {point!r}")
            return None
        checked = _check_params(point, f"{at}[{i}]", bad)
        if len(checked) != len(_flatten(point)):
            return None
        out.append(checked)
    return out


def _check_discovery_cities(discovery: dict[str, Any], p: dict[str, Any], bad) -> None:
    """A condition's `city` must be a city of the study's region."""
    from sim.regions import build_region

    wanted = [(i, c["city"]) for i, c in enumerate(discovery["conditions"]) if "city" in c]
    if not wanted:
        return
    region = build_region(p, np.random.default_rng(0))
    for i, city in wanted:
        try:
            region.index(city)
        except ValueError as exc:
            bad(f"discovery.conditions[{i}].city", str(exc))


def _resolve_ignore_sweep(entries, regimes: list[RegimeSpec], swept: list[str], bad
                          ) -> list[RegimeSpec]:
    """A regime's `ignore_sweep`: true (every swept path), false, or a list of swept paths;
    stored on its RegimeSpec as the paths it keeps its own settings for."""
    if not isinstance(entries, list):
        return regimes
    by_key = {r.key: r for r in regimes}
    out = dict(by_key)
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "ignore_sweep" not in entry:
            continue
        key = entry.get("name", entry.get("regime"))
        at = f"regimes[{i}].ignore_sweep"
        value = entry["ignore_sweep"]
        if key not in by_key:
            continue
        if isinstance(value, bool):
            paths = tuple(swept) if value else ()
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            if not outside(value, swept, at, "a swept parameter ("
                           f"{', '.join(swept) or 'this study sweeps nothing'})", bad,
                           indexed=False):
                continue
            paths = tuple(dict.fromkeys(value))
        else:
            bad(at, f"expected true, false or a list of swept parameters, found {value!r}")
            continue
        if paths and not swept:
            bad(at, "this study sweeps nothing, so there is no sweep to ignore")
            continue
        r = by_key[key]
        out[key] = RegimeSpec(r.key, r.regime, r.label, r.label_zh, r.settings, paths)
    return [out[r.key] for r in regimes]


def read_discovery(path: str | Path, regimes: list[str], baseline: str, swept: list[str]
                   ) -> dict[str, Any]:
    """The `discovery:` block of a YAML file (a scenario, or a file with that key alone),
    validated against a finished study's regimes, baseline and swept parameters. Raises
    ScenarioError with file, line and key path."""
    data, lines = read_yaml(Path(path))
    problems: list[str] = []

    def bad(at: str, message: str) -> None:
        line = lines.at(at)
        problems.append(f"{path}:{line}: {at}: {message}" if line else
                        f"{path}: {at}: {message}")

    for at, line in lines.duplicates:
        problems.append(f"{path}:{line}: {at}: duplicate key; YAML would keep only the last "
                        "one, so remove or rename one of them")
    if "discovery" not in data:
        close = suggest("discovery", [str(k) for k in data])
        raise ScenarioError([f"{path}: expected a discovery: block (docs/discovery.md), found "
                             f"keys {', '.join(map(str, data)) or 'none'}"
                             + (f"; {close.strip(' ()')}" if close else "")])
    spec = check_discovery(data["discovery"], bad, regimes, baseline, swept)
    if problems or spec is None:
        raise ScenarioError(problems)
    return spec


def check_discovery(block, report_bad, regimes: list[str], baseline: str, swept: list[str]
                    ) -> dict[str, Any] | None:
    """The `discovery:` block (sim.discovery), every problem reported through `bad` with its
    key path; returns the block with its defaults filled in, or None if it has problems.

        discovery:
          conditions:                   # one analysis per condition
            - {regime: coordinated, outcome: spillover_loss, holds: not_lower}
          inputs: [info.report_delay_hours, ...]   # default: every swept parameter
          per: draw                     # draw (replication x point) or point (mean over reps)
          min_density: 0.8              # which box of the peeling trajectory is chosen
          mass_min: 0.05                # PRIM: smallest share of draws in a box
          peel_alpha: 0.05              # PRIM: share peeled off per step
          boxes: 2                      # at most this many boxes per condition
          regret: {outcome: total_loss} # or false
    """
    from sim.metrics import OUTCOMES
    from sim.model import ACCOUNTS

    found: list[str] = []

    def bad(path: str, message: str) -> None:
        found.append(path)
        report_bad(path, message)

    if not isinstance(block, dict):
        bad("discovery", "expected a mapping such as {conditions: [{regime: coordinated, "
                         f"outcome: spillover_loss, holds: not_lower}}]}}, found {block!r}")
        return None
    unknown_keys(block, "discovery", DISCOVERY_KEYS, bad)
    if not swept:
        bad("discovery", "scenario discovery needs a sweep over the uncertain parameters "
                         "(e.g. sweep: {lhs: {samples: 50, bounds: {...}}}); this study has "
                         "none")
    out: dict[str, Any] = {}
    conditions = block.get("conditions")
    if not isinstance(conditions, list) or not conditions:
        bad("discovery.conditions", "expected a non-empty list of conditions such as "
                                    "{regime: coordinated, outcome: spillover_loss, holds: "
                                    f"not_lower}}, found {conditions!r}")
        conditions = []
    elif len(conditions) > MAX_CONDITIONS:
        bad("discovery.conditions", f"expected at most {MAX_CONDITIONS} conditions, found "
                                    f"{len(conditions)}; split them over two scenarios")
        conditions = []
    kept, names = [], set()
    for i, cond in enumerate(conditions):
        at = f"discovery.conditions[{i}]"
        if not isinstance(cond, dict):
            bad(at, f"expected a mapping with {', '.join(CONDITION_KEYS)}, found {cond!r}")
            continue
        unknown_keys(cond, at, CONDITION_KEYS, bad)
        c: dict[str, Any] = {}
        for key in ("regime", "outcome", "holds"):
            if key not in cond:
                bad(at, f"missing {key}; a condition needs regime, outcome and holds, e.g. "
                        "{regime: coordinated, outcome: spillover_loss, holds: not_lower}")
        regime = cond.get("regime")
        if "regime" in cond and regime not in regimes:
            bad(f"{at}.regime", f"expected one of the study's regimes {regimes}, found "
                                f"{regime!r}{suggest(str(regime), regimes)}")
        versus = cond.get("versus", baseline)
        if versus not in regimes:
            bad(f"{at}.versus", f"expected one of the study's regimes {regimes}, found "
                                f"{versus!r}{suggest(str(versus), regimes)}")
        elif versus == regime:
            bad(f"{at}.versus", f"a regime cannot be compared with itself ({versus!r}); name "
                                "another regime of the study")
        city = cond.get("city")
        if city is not None and (isinstance(city, bool) or not isinstance(city, str | int)):
            bad(f"{at}.city", f"expected a city (id, English or Chinese name), found {city!r}")
        outcome = cond.get("outcome")
        known = ACCOUNTS if city is not None else OUTCOMES
        if "outcome" in cond and outcome not in known:
            what = ("a per-city account (" + ", ".join(ACCOUNTS) + ")" if city is not None
                    else "an outcome (python run.py list shows them)")
            bad(f"{at}.outcome", f"expected {what}, found {outcome!r}"
                                 f"{suggest(str(outcome), known)}")
        holds = cond.get("holds")
        if "holds" in cond and holds not in HOLDS:
            bad(f"{at}.holds", f"expected one of {', '.join(HOLDS)} (the regime's outcome "
                               f"against the other's), found {holds!r}"
                               f"{suggest(str(holds), HOLDS)}")
        threshold = cond.get("threshold", 0)
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or \
                not math.isfinite(threshold):
            bad(f"{at}.threshold", f"expected a finite number (in the outcome's unit), found "
                                   f"{threshold!r}")
        relative = cond.get("relative", False)
        if not isinstance(relative, bool):
            bad(f"{at}.relative", f"expected true or false, found {relative!r}")
        name = cond.get("name", f"condition_{i + 1}")
        if name_problem(name, "files and columns"):
            bad(f"{at}.name", name_problem(name, "files and columns"))
        elif name in names:
            bad(f"{at}.name", f"duplicate condition name {name!r}; give each its own name")
        names.add(name)
        for key in ("label", "label_zh"):
            if key in cond and not isinstance(cond[key], str):
                bad(f"{at}.{key}", f"expected text, found {cond[key]!r}")
        c = {"name": name, "regime": regime, "versus": versus, "outcome": outcome,
             "holds": holds, "threshold": threshold,
             **({"relative": True} if relative is True else {}),
             **({"city": city} if city is not None else {}),
             **{k: cond[k] for k in ("label", "label_zh") if k in cond}}
        kept.append(c)
    out["conditions"] = kept
    inputs = block.get("inputs", list(swept))
    if not isinstance(inputs, list) or not inputs or \
            not all(isinstance(v, str) for v in inputs):
        bad("discovery.inputs", f"expected a non-empty list of swept parameters, found "
                                f"{inputs!r}")
    else:
        outside(inputs, swept, "discovery.inputs",
                f"a swept parameter ({', '.join(swept) or 'none'})", bad)
        out["inputs"] = list(dict.fromkeys(inputs))
    per = block.get("per", "draw")
    if per not in DISCOVERY_PER:
        bad("discovery.per", f"expected draw (one case per replication and sweep point) or "
                             f"point (the mean over a point's replications), found {per!r}"
                             f"{suggest(str(per), DISCOVERY_PER)}")
    out["per"] = per
    for key, default, low, high, closed in (("min_density", 0.8, 0.0, 1.0, True),
                                            ("max_qp", 0.05, 0.0, 1.0, True),
                                            ("mass_min", 0.05, 0.0, 0.5, False),
                                            ("peel_alpha", 0.05, 0.0, 0.5, True)):
        value = block.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                not (low < value < high or (closed and value == high)):
            bad(f"discovery.{key}", f"expected a number in ({low:g}, {high:g}"
                                    f"{']' if closed else ')'}, found {value!r}")
        out[key] = value
    boxes = block.get("boxes", 2)
    if isinstance(boxes, bool) or not isinstance(boxes, int) or not 1 <= boxes <= MAX_BOXES:
        bad("discovery.boxes", f"expected an integer from 1 to {MAX_BOXES}, found {boxes!r}")
    out["boxes"] = boxes
    regret = block.get("regret", {"outcome": "total_loss"} if len(regimes) > 1 else False)
    if regret is False:
        out["regret"] = None
    elif not isinstance(regret, dict):
        bad("discovery.regret", f"expected {{outcome: total_loss}} (optionally regimes: "
                                f"[...]) or false, found {regret!r}")
    else:
        for key in regret:
            if key not in REGRET_KEYS:
                bad(f"discovery.regret.{key}", f"unknown key{suggest(str(key), REGRET_KEYS)}; "
                                               "expected " + " or ".join(REGRET_KEYS))
        outcome = regret.get("outcome", "total_loss")
        if outcome not in OUTCOMES:
            bad("discovery.regret.outcome", "expected an outcome where less is better (e.g. "
                                            f"total_loss), found {outcome!r}"
                                            f"{suggest(str(outcome), OUTCOMES)}")
        chosen = regret.get("regimes", regimes)
        if not isinstance(chosen, list) or len(chosen) < 2:
            bad("discovery.regret.regimes", "expected a list of two or more of the study's "
                                            f"regimes, found {chosen!r}")
        else:
            outside(chosen, regimes, "discovery.regret.regimes",
                    f"one of the study's regimes {regimes}", bad)
        if len(regimes) < 2:
            bad("discovery.regret", "regret compares regimes; this study has one (set "
                                    "regret: false)")
        out["regret"] = {"outcome": outcome,
                         "regimes": list(dict.fromkeys(chosen)) if isinstance(chosen, list)
                         else chosen}
    return None if found else out
