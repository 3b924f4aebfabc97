"""The scenario file reference: every key a scenario accepts, with its type, default, meaning
and an example, and the generator of docs/scenarios.md.

What a scenario *accepts* is decided by sim.scenario (TOP_KEYS, REGIME_KEYS, SWEEP_KINDS,
SAMPLE_OPTIONS, the record keys, CHARTS); this module documents it, and `accepted()` reads those
names back from sim.scenario so that tests/test_scenario_docs.py can check that the table below
covers exactly them (a new key without documentation fails), that every example validates,
and that docs/scenarios.md is what `markdown()` generates:

    python -m sim.scenario_schema > docs/scenarios.md

An example is a fragment of a scenario (a mapping of top-level keys): added to a minimal
scenario ({name: example}) it must pass sim.scenario.load.
"""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass
from typing import Any

import yaml

from sim import calibration, scenario, uncertainty
from sim.regimes import REGIMES
from sim.runner import MAX_TRUST_CITIES
from sim.scenario import CHARTS, DEFAULT_MAX_RUNS, SWEEP_KINDS, TOP_KEYS

REQUIRED = "(required)"


@dataclass(frozen=True)
class Key:
    """One key of a scenario file. `path` says where it sits: `name` (top level),
    `regimes[].label` (a key of an entry of the list), `sweep.lhs.samples` (an option of a
    sweep kind), `charts[]: heatmap` (a value of a list)."""

    path: str
    type: str  # what the value must be, in words
    default: str  # what applies when the key is absent (REQUIRED if it may not be)
    doc: str  # what it means
    example: dict[str, Any]  # a scenario fragment that uses the key (validated by the tests)

    @property
    def name(self) -> str:
        """The key's own name (the last part of the path)."""
        last = self.path.split(": ")[-1] if ": " in self.path else self.path.split(".")[-1]
        return last.removesuffix("[]")


def _fmt(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False,
                          width=10_000).strip().removesuffix("...").strip()


PRESETS = ", ".join(f"`{r}`" for r in REGIMES)
LATE = {"name": "coordinated_late", "regime": "coordinated"}

# --- top-level keys ---------------------------------------------------------------------------
TOP: tuple[Key, ...] = (
    Key("name", "text: letters (of any script), digits, `_` and `-`, at most 64, starting "
        "with a letter or digit", REQUIRED,
        "Names the results folder (`results/<name>/`) and the study in reports; `长三角研究` "
        "is as good a name as `yangtze_study`. Spaces, dots, slashes and the other characters "
        "some file system refuses are not allowed, nor the device names Windows reserves "
        "(`CON`, `NUL`, `COM1` ...), so the folder name is safe on every OS. Results of a "
        "changed scenario are never mixed with old ones under the same name: the run is refused "
        "unless you pass `--overwrite` or choose another `--out`.",
        {"name": "my_study"}),
    Key("description", "text", "empty",
        "Shown at the top of the report. Say what the study asks.",
        {"description": "Does a shared warning platform protect the cities downstream?"}),
    Key("extends", "path of a scenario file, relative to this file", "none",
        "Start from another scenario: its keys apply unless this file sets them, except "
        "`params`, which are merged path by path (this file wins). Chains are allowed, cycles "
        "are refused, and so are chains of more than 20 files and anything but a regular "
        "`.yaml`/`.yml` file of at most 10 MB. Read only from files, not from a mapping passed "
        "to `sim.run_study`.",
        {"extends": "quickstart.yaml"}),
    Key("seed", "integer in [0, 2^63 - 1]", "0",
        "Root seed. Replication r of every regime and sweep point gets the same seed derived "
        "from it (common random numbers, so comparisons are paired); the same seed gives the "
        "same results bit for bit, whatever `--workers`. Command line: `--seed N`.",
        {"seed": 20240601}),
    Key("replications", f"integer in [1, {scenario.HARD_MAX_RUNS:,}]", "10",
        "Runs per regime and sweep point. Command line: `--replications N`.",
        {"replications": 30}),
    Key("regimes", "non-empty list of preset names or regime entries (next table)",
        "`[territorial, coordinated]`",
        f"The regimes to compare. A name is one of the presets {PRESETS} (`python run.py list` "
        "prints their settings side by side); a mapping is a preset with overrides and its own "
        "name and labels. Regime names must be unique. The order fixes colours and markers "
        "in every chart.",
        {"regimes": ["territorial", "coordinated",
                     {**LATE, "set": {"info.report_delay_hours": 24}}]}),
    Key("baseline", "the name of one of the study's regimes",
        "`territorial` if the study has it, else the first regime",
        "Paired differences (`differences.csv`, the quotable sentence) are taken against this "
        "regime.",
        {"regimes": ["territorial", "coordinated"], "baseline": "territorial"}),
    Key("params", "mapping of parameter paths to values (nested mappings allowed)",
        "`{}`: every parameter at its default",
        "Fixed parameter values for every run, by dotted path; `hazard: {magnitude: 50}` and "
        "`hazard.magnitude: 50` mean the same. Every path, its default, range and unit is in "
        "[parameters.md](parameters.md). They apply on top of each regime's settings, so a "
        "path set here overrides the presets (use a regime's `set` to change one regime "
        "only). Command line: `--set path=value` (repeatable) overrides this mapping.",
        {"params": {"region.n_cities": 8, "hazard.magnitude": 50}}),
    Key("sweep", "mapping of parameter paths to values, or of sweep kinds to their bodies",
        "no sweep: one point, the `params`",
        "Parameters to vary. Paths at the top (`sweep: {region.reach_hours: [12, 24]}`) form a "
        "factorial grid; otherwise the keys are sweep kinds (tables below). Several kinds in "
        "one sweep are crossed (every point of one with every point of the other), except "
        "`morris` and `sobol`, which must be the only kind. A parameter may be swept in one "
        "place only, and not also be given with `--set`.",
        {"sweep": {"region.reach_hours": [12, 24, 48, 72]}}),
    Key("record", "mapping with the keys of the record table below", "`{series: true, "
        "cities: false, events: false}`",
        "What to keep besides one row of outcomes per run.",
        {"record": {"series": True}}),
    Key("charts", "list of chart names (chart table below)",
        "every chart of the catalogue, each drawn if the study's data allow it",
        "Charts to draw after the run (PNG and PDF, English and `_zh` Chinese). A chart "
        "listed here that the study cannot draw is skipped with a warning that says why; "
        "`python run.py plot RESULTS --chart NAME` draws any chart later. See "
        "[charts.md](charts.md).",
        {"charts": ["regime_comparison", "sweep_response", "timeseries"]}),
    Key("chart_options", "mapping of chart name to a mapping of its options", "`{}`: each "
        "chart's own choice",
        "What a chart shows. Options per chart: "
        + "; ".join(f"`{c}`: " + (", ".join(f"`{k}` ({v})" for k, v in o.items()) or "none")
                    for c, o in scenario.CHART_OPTIONS.items())
        + ". Kinds: outcomes = a list of outcome names, outcome = one, panels = a list of "
        "time-series panels (" + ", ".join(scenario.TIMESERIES_PANELS) + "), path = a swept "
        "parameter, account = a per-city account, int = an integer >= 0. Redrawing with "
        "`python run.py plot` uses the same options.",
        {"chart_options": {"timeseries": {"panels": ["mean_trust", "cooperation"]},
                           "regime_comparison": {"outcomes": ["total_loss", "mean_trust"]}}}),
    Key("report", "mapping with `outcomes` and/or `headline`, each a list of outcome names",
        "`outcomes`: total loss, spillover loss and share, warning lead time, response "
        "delay, coordination cost, Gini of net burden; `headline`: spillover loss, total loss",
        "What the report speaks of: `outcomes` are the rows of its tables (summary and "
        "paired differences, per sweep point when there is a sweep); `headline` are the "
        "outcomes of the sentences to quote (printed after a run, at the top of the report). "
        "Outcome names: `python run.py list`.",
        {"report": {"outcomes": ["total_loss", "spillover_loss", "warned_in_time"],
                    "headline": ["spillover_loss"]}}),
    Key("discovery", "mapping with the keys of the discovery table below", "none",
        "Scenario discovery: where in the swept space a condition on paired outcomes holds "
        "(PRIM boxes with coverage and density, a CART tree, feature scores; EMA Workbench), "
        "and each regime's regret. Needs a sweep (usually `lhs`). Writes `discovery/` "
        "(boxes.csv ...), the charts `discovery_tradeoff`, `discovery_boxes` and `regret`, "
        "and a report section; see [discovery.md](discovery.md).",
        {"sweep": {"lhs": {"samples": 20, "bounds": {"info.report_delay_hours": [0, 96]}}},
         "discovery": {"conditions": [{"regime": "coordinated", "outcome": "spillover_loss",
                                       "holds": "not_lower"}]}}),
    Key("calibrate", "mapping with the keys of the calibration table below", "none",
        "What `python run.py calibrate FILE.yaml` fits: named parameters within bounds, "
        "fitted to target statistics (an outcome's mean, or a documented timeline item of an "
        "incident replay) with optuna's TPE sampler, paired replications and a seed; writes "
        "`<name>/calibration/`. `run.py run` ignores it (it only validates it). See "
        "[calibration.md](calibration.md).",
        {"calibrate": {"parameters": {"river_spill.magnitude": [20, 200]},
                       "targets": [{"outcome": "total_loss", "value": 2.5}]}}),
    Key("uncertain", "mapping with the keys of the uncertainty table below", "none",
        "Parameters we do not know well, drawn from their plausible ranges (sim/sources.py, "
        "shown by `python run.py list`) by a seeded Latin hypercube; every regime runs at "
        "every draw with the same seeds, and the report says in how many draws each regime "
        "beats the baseline and by how much (uncertainty.csv, figures/uncertainty.png). "
        "The draws multiply the plan: regimes x sweep points x draws x replications.",
        {"uncertain": {"parameters": ["region.attenuation"], "draws": 10}}),
    Key("max_runs", f"integer in [1, {scenario.HARD_MAX_RUNS:,}]", f"{DEFAULT_MAX_RUNS}",
        "A safety limit: a plan (regimes x sweep points x replications) larger than this is "
        "refused before anything runs, unless you raise it here or pass `--yes`. It cannot "
        f"lift the hard limits: at most {scenario.HARD_MAX_POINTS:,} sweep points and "
        f"{scenario.HARD_MAX_RUNS:,} runs in one study, even with `--yes` (see "
        "[engine.md](engine.md#input-limits)).",
        {"max_runs": 500000}),
)

# --- entries of `regimes:` --------------------------------------------------------------------
REGIME: tuple[Key, ...] = (
    Key("regimes[].name", "text: letters, digits, `_` and `-`", "the preset's name (`regime`)",
        "The regime's name in the results (the `regime` column, `baseline`, file names). "
        "Written alone (`{name: coordinated}`), it is also the preset.",
        {"regimes": ["territorial", {**LATE, "set": {"info.report_delay_hours": 24}}]}),
    Key("regimes[].regime", f"one of {PRESETS}", "the entry's `name`",
        "The preset the entry starts from.",
        {"regimes": ["territorial", {"name": "coordinated_no_fund", "regime": "coordinated",
                                     "set": {"compensation.payout_share": 0}}]}),
    Key("regimes[].label", "text", "the preset's English label for a preset, else `name`",
        "Name of the regime in English charts and reports.",
        {"regimes": ["territorial", {**LATE, "label": "Coordinated, 24 h report delay",
                                     "set": {"info.report_delay_hours": 24}}]}),
    Key("regimes[].label_zh", "text", "the preset's Chinese label for a preset, else `label`",
        "Name of the regime in Chinese charts and reports (`--lang zh`).",
        {"regimes": ["territorial", {**LATE, "label": "Coordinated, 24 h report delay",
                                     "label_zh": "综合协调（报告延迟24小时）",
                                     "set": {"info.report_delay_hours": 24}}]}),
    Key("regimes[].set", "mapping of parameter paths to values", "`{}`: the preset as it is",
        "Settings of this regime only, on top of its preset (any path of "
        "[parameters.md](parameters.md)). The study's `params` and sweep apply on top of "
        "these, so do not fix there what a regime changes.",
        {"regimes": ["territorial", {"name": "territorial_fund", "regime": "territorial",
                                     "set": {"compensation.payout_share": 0.3,
                                             "compensation.outside_share": 0.3}}]}),
    Key("regimes[].ignore_sweep", "true, false or a list of swept parameter paths", "false",
        "The sweep's values do not apply to this regime (all swept paths with `true`, or "
        "those listed): it keeps its own settings, so that sweeping the coordinated "
        "regime's mechanisms does not change the baseline it is compared with. Its rows "
        "still carry the point's values, so it pairs with the other regimes at each point.",
        {"regimes": [{"regime": "territorial", "ignore_sweep": True}, "coordinated"],
         "sweep": {"info.relay_hours": [2, 24]}}),
)

# --- sweep kinds and their options ------------------------------------------------------------
BOUNDS = {"hazard.magnitude": [20, 100], "info.report_delay_hours": [0, 48]}


def _sweep(kind: str, body) -> dict[str, Any]:
    return {"sweep": {kind: body}}


SWEEP: tuple[Key, ...] = (
    Key("sweep.factorial", "mapping of parameter paths to values (value forms below)", "—",
        "Every combination of the values: 3 x 2 values give 6 points. Writing the paths "
        "directly under `sweep:` means the same.",
        _sweep("factorial", {"region.reach_hours": [12, 24, 48],
                             "hazard.magnitude": {"from": 50, "to": 100, "step": 50}})),
    Key("sweep.zip", "mapping of parameter paths to lists of equal length", "—",
        "The i-th values of every path together: n values give n points.",
        _sweep("zip", {"region.n_cities": [4, 6, 8], "region.spacing_km": [40, 55, 70]})),
    Key("sweep.points", "non-empty list of mappings of parameter paths to values", "—",
        "Points written out one by one.",
        _sweep("points", [{"hazard.magnitude": 30, "region.reach_hours": 12},
                          {"hazard.magnitude": 90, "region.reach_hours": 48}])),
    Key("sweep.lhs", "mapping: `samples`, `bounds`, `seed`", "—",
        "A Latin hypercube sample of `samples` points over the bounds (each range cut into "
        "`samples` strata, each stratum used once); integer parameters are rounded.",
        _sweep("lhs", {"samples": 20, "bounds": BOUNDS})),
    Key("sweep.random", "mapping: `samples`, `bounds`, `seed`", "—",
        "`samples` points drawn uniformly over the bounds; integer parameters are rounded.",
        _sweep("random", {"samples": 20, "bounds": BOUNDS})),
    Key("sweep.morris", "mapping: `trajectories`, `levels`, `bounds`, `seed`", "—",
        "A Morris (elementary effects) screening design: `trajectories` x (k + 1) points for "
        "k parameters, drawn with SALib. Ranks many parameters cheaply; the study writes "
        "`sensitivity.csv` and can draw the `sensitivity` chart. Must be the sweep's only kind.",
        _sweep("morris", {"trajectories": 10, "bounds": BOUNDS})),
    Key("sweep.sobol", "mapping: `base_samples`, `second_order`, `bounds`, `seed`", "—",
        "A Sobol (Saltelli) design for variance-based indices S1 and ST: `base_samples` x "
        "(k + 2) points, or x (2k + 2) with `second_order`, drawn with SALib; written to "
        "`sensitivity.csv`. Must be the sweep's only kind.",
        _sweep("sobol", {"base_samples": 16, "bounds": BOUNDS})),
)


def _bounds(kind: str, body: dict) -> Key:
    return Key(f"sweep.{kind}.bounds", "mapping of numeric parameter paths to `[low, high]`",
               REQUIRED,
               "The parameters sampled and their ranges; low < high, both within the "
               "parameter's own range.",
               _sweep(kind, {**body, "bounds": {"region.reach_hours": [6, 72]}}))


def _seed(kind: str, body: dict) -> Key:
    return Key(f"sweep.{kind}.seed", "integer >= 0", "0",
               "Combined with the scenario's root `seed` to draw the sample: change it for "
               "another sample with the same seeds of the runs.",
               _sweep(kind, {**body, "seed": 3}))


LHS = {"samples": 20, "bounds": BOUNDS}
MORRIS = {"trajectories": 10, "bounds": BOUNDS}
SOBOL = {"base_samples": 16, "bounds": BOUNDS}
SWEEP_OPTIONS: tuple[Key, ...] = (
    *(k for kind in ("lhs", "random") for k in (
        Key(f"sweep.{kind}.samples", "integer >= 1", REQUIRED, "Number of points.",
            _sweep(kind, {**LHS, "samples": 50})),
        _bounds(kind, LHS), _seed(kind, LHS))),
    Key("sweep.morris.trajectories", "integer >= 2", REQUIRED,
        "Number of trajectories r (10 to 50 is usual); each has k + 1 points.",
        _sweep("morris", {**MORRIS, "trajectories": 20})),
    Key("sweep.morris.levels", f"even integer in [2, {scenario.MAX_MORRIS_LEVELS}]",
        str(getattr(scenario, "MORRIS_LEVELS", 4)),
        "Grid levels p of each range; a step moves a parameter by p / (2 (p - 1)) of its "
        "range. An integer parameter needs high - low >= p - 1.",
        _sweep("morris", {**MORRIS, "levels": 6})),
    _bounds("morris", MORRIS), _seed("morris", MORRIS),
    Key("sweep.sobol.base_samples", "power of two >= 2", REQUIRED,
        "Base sample size N (a Sobol sequence is balanced only at powers of two).",
        _sweep("sobol", {**SOBOL, "base_samples": 32})),
    Key("sweep.sobol.second_order", "true or false", "false",
        "Also estimate the second-order indices S2 of every pair of parameters (2k + 2 points "
        "per base sample instead of k + 2).",
        _sweep("sobol", {**SOBOL, "second_order": True})),
    _bounds("sobol", SOBOL), _seed("sobol", SOBOL),
)

# The values of one path in `factorial`, `zip` or a plain sweep (not keys, but forms of value).
VALUES: tuple[Key, ...] = (
    Key("[v1, v2, ...]", "non-empty list of values the parameter accepts", "—",
        "These values, in this order (numbers, names, true/false: whatever the parameter "
        "takes).",
        {"sweep": {"info.route": ["hierarchy", "platform"]}}),
    Key("{from, to, step}", "three numbers", "—",
        "from, from + step, ... up to `to` (included when a step lands on it); a negative "
        "step counts down.",
        {"sweep": {"hazard.magnitude": {"from": 20, "to": 100, "step": 40}}}),
    Key("{from, to, num}", "two numbers and an integer >= 1", "—",
        "`num` evenly spaced values from `from` to `to`, both included.",
        {"sweep": {"region.attenuation": {"from": 0.5, "to": 1.0, "num": 6}}}),
)

# --- record -----------------------------------------------------------------------------------
RECORD: tuple[Key, ...] = (
    Key("record.series", "true or false", "true",
        "Keep per-step series of every run (`series/`): what the `timeseries` chart and the "
        "mean trust over time need. Costs disk space on large plans.",
        {"record": {"series": False}}),
    Key("record.cities", "true or false", "false",
        "Keep, for replication 0 of every regime and point, the intensity and loss of every "
        "city at every step (`cities/`), for your own analysis. (The incidents of replication "
        "0, which `incident_map`, `incident_timeline` and incidents.csv use, are always kept.)",
        {"record": {"series": True, "cities": True}}),
    Key("record.events", "true or false", "false",
        "Keep, for replication 0 of every regime and point, the event log of the run "
        "(`events/`): every decision and message with its step, actor, target, incident and "
        "amount (detected, reported, warned, activated, source control set, assistance, fund "
        "payments, sanctions, evaluation, trust changes, escalation, central command; the "
        "vocabulary is in docs/events.md). Read it with `sim.open_results(...).events`; the "
        "report summarises it for the incident the incident charts follow.",
        {"record": {"events": True}}),
)

# --- discovery --------------------------------------------------------------------------------
_DISC_SWEEP = {"sweep": {"lhs": {"samples": 20, "bounds": {
    "info.report_delay_hours": [0, 96], "compensation.payout_share": [0, 0.5]}}}}
_COND = {"regime": "coordinated", "outcome": "spillover_loss", "holds": "not_lower"}


def _disc(**block) -> dict[str, Any]:
    return {**_DISC_SWEEP, "discovery": {"conditions": [_COND], **block}}


def _cond(**keys) -> dict[str, Any]:
    return {**_DISC_SWEEP, "discovery": {"conditions": [{**_COND, **keys}]}}


DISCOVERY: tuple[Key, ...] = (
    Key("discovery.conditions", f"list of 1 to {scenario.MAX_CONDITIONS} conditions (next "
        "table)", REQUIRED,
        "What to look for: each condition compares two regimes in every draw (the same "
        "replication at the same sweep point) and holds or not; discovery finds where in the "
        "swept space it holds.", _disc()),
    Key("discovery.inputs", "list of swept parameter paths", "every swept parameter",
        "The dimensions PRIM and CART may restrict.",
        _disc(inputs=["info.report_delay_hours"])),
    Key("discovery.per", "`draw` or `point`", "`draw`",
        "A case is one draw (replication x point), or one point with the mean difference "
        "over its replications (less noise, fewer cases).", _disc(per="point")),
    Key("discovery.min_density", "number in (0, 1]", "0.8",
        "The box chosen on PRIM's peeling trajectory is the one of largest coverage whose "
        "density reaches this; if none does, the one that maximises coverage x density (the "
        "report says so).", _disc(min_density=0.7)),
    Key("discovery.max_qp", "number in (0, 1]", "0.05",
        "Restrictions of the chosen box whose quasi-p value exceeds this are dropped, the "
        "weakest first (1 keeps every restriction PRIM made).", _disc(max_qp=0.1)),
    Key("discovery.mass_min", "number in (0, 0.5)", "0.05",
        "PRIM stops peeling when a box would hold less than this share of the cases; also "
        "the smallest leaf of the CART tree.", _disc(mass_min=0.1)),
    Key("discovery.peel_alpha", "number in (0, 0.5]", "0.05",
        "Share of the cases PRIM peels off at each step (smaller: a finer trajectory).",
        _disc(peel_alpha=0.1)),
    Key("discovery.boxes", f"integer from 1 to {scenario.MAX_BOXES}", "2",
        "At most this many boxes per condition, each found among the cases the earlier ones "
        "left.", _disc(boxes=1)),
    Key("discovery.regret", "`{outcome, regimes}` or `false`",
        "`{outcome: total_loss}` over every regime (none with a single regime)",
        "Robust regime choice: in each draw, every regime's outcome minus the least of the "
        "regimes' (less is better); its distribution and the share of draws each regime is "
        "best. `false` turns it off.", _disc(regret={"outcome": "spillover_loss"})),
    Key("discovery.regret.outcome", "an outcome where less is better", "`total_loss`",
        "The loss regret is measured in.", _disc(regret={"outcome": "social_cost"})),
    Key("discovery.regret.regimes", "list of two or more of the study's regimes",
        "every regime", "The regimes compared.",
        _disc(regret={"regimes": ["territorial", "coordinated"]})),
    Key("discovery.conditions[].name", "text: letters, digits, `_` and `-`",
        "`condition_1`, `condition_2`, ...", "Names the condition in the CSV files.",
        _cond(name="no_spillover_cut")),
    Key("discovery.conditions[].label", "text", "made from the condition's parts",
        "The condition in words in English reports and charts, e.g. *coordination fails to "
        "cut spillover loss*.", _cond(label="coordination fails to cut spillover loss")),
    Key("discovery.conditions[].label_zh", "text", "made from the condition's parts",
        "The same in Chinese.", _cond(label_zh="协同未能减少波及地损失")),
    Key("discovery.conditions[].regime", "one of the study's regimes", REQUIRED,
        "The regime whose outcome is compared.", _cond(regime="coordinated")),
    Key("discovery.conditions[].versus", "one of the study's regimes", "the `baseline`",
        "The regime it is compared with, in the same draw.", _cond(versus="territorial")),
    Key("discovery.conditions[].outcome", "an outcome, or with `city` a per-city account "
        "(`net_burden`, `loss`, ...)", REQUIRED, "What is compared.",
        _cond(outcome="total_loss")),
    Key("discovery.conditions[].city", "a city of the region: id, English or Chinese name",
        "none (a study-wide outcome)",
        "Compare one city's account (from the per-city accounts), e.g. whether a small "
        "city's net burden rises under coordination.",
        {**_DISC_SWEEP, "params": {"region.kind": "jingjinji", "hazard.kind": "plume"},
         "discovery": {"conditions": [
            {**_COND, "city": "Zhangjiakou", "outcome": "net_burden", "holds": "higher"}]}}),
    Key("discovery.conditions[].holds", "`higher`, `not_lower`, `lower` or `not_higher`",
        REQUIRED, "The condition: regime − versus is > (higher), ≥ (not_lower), < (lower) or "
        "≤ (not_higher) the threshold.", _cond(holds="higher")),
    Key("discovery.conditions[].threshold", "number (the outcome's unit, or a share with "
                                            "`relative`)", "0",
        "What the difference is compared with.", _cond(holds="higher", threshold=1.5)),
    Key("discovery.conditions[].relative", "true or false", "false",
        "Compare (regime − versus) / |versus| instead: `{holds: higher, threshold: -0.5, "
        "relative: true}` = the regime cuts the outcome by less than 50%.",
        _cond(holds="higher", threshold=-0.5, relative=True)),
)

# --- charts -----------------------------------------------------------------------------------
_CHART_DOCS = {
    "regime_comparison": ("distribution of each outcome per regime (box, 5–95% whiskers, mean "
                          "with 95% CI)", "always"),
    "sweep_response": ("an outcome against a swept parameter, one line per regime with its "
                       "95% CI band", "a sweep over a numeric parameter"),
    "timeseries": ("cumulative loss and cities warned over time", "`record: {series: true}`"),
    "heatmap": ("mean outcome over a grid of two parameters, one panel per regime",
                "a grid sweep over two numeric parameters (2 to 15 values each)"),
    "tradeoff": ("total loss against coordination cost, per regime", "a cost outcome"),
    "incident_map": ("one incident (named in the title) on the region's map, one panel per "
                     "regime: each city's loss from it and whether it was warned in time",
                     "a hazard (incidents of replication 0 are always kept)"),
    "incident_timeline": ("one incident (named in the title) in every regime: per city, when "
                          "the warning came and the hazard arrived, and its loss",
                          "a hazard (incidents of replication 0 are always kept)"),
    "trust": ("trust between cities at the end of the runs (matrix per regime) and mean "
              "trust over time", f"regions of up to {MAX_TRUST_CITIES} cities; the time "
              "panel needs `record: {series: true}`"),
    "burden": ("who pays: each city's losses, costs and compensation, its net burden and the "
               "Gini coefficient of net burden per capita", "always (per-city accounts)"),
    "region_map": ("the region coloured by loss or net burden, with compensation flows",
                   "always (per-city accounts)"),
    "sensitivity": ("sensitivity indices of the swept parameters (Morris mu*, Sobol S1 and "
                    "ST)", "a `morris` or `sobol` sweep, or a factorial sweep over two or "
                    "more parameters"),
    "discovery_tradeoff": ("scenario discovery: coverage against density along PRIM's peeling "
                           "trajectory, per condition, with the chosen box",
                           "a `discovery:` block"),
    "discovery_boxes": ("scenario discovery: the range of each restricted input that the "
                        "chosen boxes keep, with coverage and density", "a `discovery:` block"),
    "regret": ("each regime's regret over the draws and the share of draws it is best",
               "a `discovery:` block with `regret` (the default)"),
}
CHART_SWEEPS = {"sweep_response": {"sweep": {"region.reach_hours": [12, 24, 48]}},
                "heatmap": {"sweep": {"region.reach_hours": [12, 24, 48],
                                      "hazard.magnitude": [50, 100]}},
                "timeseries": {"record": {"series": True}},
                "incident_map": {},
                "incident_timeline": {},
                "sensitivity": _sweep("morris", MORRIS),
                "discovery_tradeoff": _disc(), "discovery_boxes": _disc(), "regret": _disc()}
CHART_KEYS: tuple[Key, ...] = tuple(
    Key(f"charts[]: {name}", "chart name", when, doc,
        {**CHART_SWEEPS.get(name, {}), "charts": [name]})
    for name, (doc, when) in _CHART_DOCS.items())

# --- calibrate -------------------------------------------------------------------------------
_CAL = {"parameters": {"river_spill.magnitude": [20, 200]},
        "targets": [{"outcome": "total_loss", "value": 2.5}]}
_REPLAY = {"params": {"region.kind": "songhua", "hazard.kind": "river_spill",
                      "hazard.origin": "jilin", "time.horizon_days": 25}}


def _cal(**changes) -> dict[str, Any]:
    return {"calibrate": {**_CAL, **changes}}


CALIBRATE: tuple[Key, ...] = (
    Key("calibrate.parameters", "mapping of numeric parameter paths to `[low, high]`", REQUIRED,
        "The parameters fitted and the bounds searched (within each parameter's own range; "
        "integers stay integers). A swept parameter cannot be fitted.",
        _cal(parameters={"river_spill.magnitude": [20, 200],
                         "river_spill.half_damage": [0.1, 2]})),
    Key("calibrate.targets", "non-empty list of target entries (next table)", REQUIRED,
        "What the fit should reproduce. The objective of a trial is the sum over targets of "
        "weight x (miss / scale)^2; a documented window scores 0 inside and counts its "
        "tolerance as the unit; a target the model never reaches counts "
        f"{calibration.MISSED:g}.",
        _cal(targets=[{"outcome": "total_loss", "value": 2.5},
                      {"outcome": "spillover_share", "value": 0.6, "scale": 0.05}])),
    Key("calibrate.trials", f"integer in [1, {calibration.MAX_TRIALS:,}]",
        str(calibration.DEFAULT_TRIALS),
        "Budget of trials (parameter sets tried). Run again with a larger `--trials` to "
        "continue the same calibration.", _cal(trials=60)),
    Key("calibrate.replications", "integer >= 1", str(calibration.DEFAULT_REPLICATIONS),
        "Runs per trial; replication r has the same seed in every trial (paired), so trials "
        "differ only by their parameters.", _cal(replications=8)),
    Key("calibrate.seed", "integer >= 0", "0",
        "Seed of the TPE sampler: the same seed gives the same trials and the same fit.",
        _cal(seed=7)),
    Key("calibrate.regime", "the name of one of the study's regimes", "the first regime",
        "The regime whose runs are fitted (a replay's `as_recorded`).",
        {"regimes": ["territorial", "coordinated"], **_cal(regime="coordinated")}),
)
TARGETS: tuple[Key, ...] = (
    Key("calibrate.targets[].outcome", "an outcome name (`python run.py list`)", "—",
        "Target the outcome's mean over the trial's replications; needs `value`.",
        _cal(targets=[{"outcome": "spillover_loss", "value": 1.5}])),
    Key("calibrate.targets[].timeline", "`city.what`, what = reported, warned, arrival or "
        "exposure", "—",
        "Target a timeline item of the study's incident, in hours after its start (exposure: "
        "hours the hazard stayed). Without `value`, the documented window and tolerance of "
        "the record the study replays (sim/records/*.yaml).",
        {**_REPLAY, **_cal(targets=[{"timeline": "harbin.arrival"}])}),
    Key("calibrate.targets[].value", "number", "the record's window (timeline); required "
        "for an outcome", "The value to reproduce.",
        {**_REPLAY, **_cal(targets=[{"timeline": "harbin.arrival", "value": 260,
                                     "scale": 12}])}),
    Key("calibrate.targets[].scale", "number > 0", "10% of `value`",
        "The miss that counts as one unit (like a standard deviation).",
        _cal(targets=[{"outcome": "total_loss", "value": 2.5, "scale": 0.5}])),
    Key("calibrate.targets[].weight", "number > 0", "1", "Weight of the target's term.",
        _cal(targets=[{"outcome": "total_loss", "value": 2.5, "weight": 2}])),
)
UNCERTAIN: tuple[Key, ...] = (
    Key("uncertain.parameters", "list of numeric parameter paths, or mapping of paths to "
        "`[low, high]`", REQUIRED,
        "The uncertain parameters: listed, each is drawn from its documented plausible range "
        "(docs/parameters.md, column source); mapped, from the range given. Not swept, and "
        "not one the regimes set differently (a draw would override them).",
        {"uncertain": {"parameters": {"region.attenuation": [0.6, 0.95]}, "draws": 10}}),
    Key("uncertain.draws", f"integer in [2, {uncertainty.MAX_DRAWS:,}]", REQUIRED,
        "Number of Latin-hypercube draws (each range cut into `draws` strata, each used "
        "once).", {"uncertain": {"parameters": ["region.attenuation"], "draws": 20}}),
    Key("uncertain.seed", "integer >= 0", "0",
        "Combined with the root `seed` to draw the sample.",
        {"uncertain": {"parameters": ["region.attenuation"], "draws": 10, "seed": 3}}),
)

KEYS: tuple[Key, ...] = (TOP + REGIME + SWEEP + SWEEP_OPTIONS + VALUES + RECORD + CHART_KEYS
                         + DISCOVERY + CALIBRATE + TARGETS + UNCERTAIN)

# A whole file, shown at the top of docs/scenarios.md (and validated by the tests).
EXAMPLE_FILE = """\
name: my_study                 # also the results folder: results/my_study/
description: Does a 24-hour reporting delay undo the coordinated regime's advantage?
seed: 1                        # root seed; replication r of every regime shares its seed
replications: 30
regimes:                       # presets, or a preset with overrides and labels
  - territorial
  - coordinated
  - {name: coordinated_late, regime: coordinated, label: "Coordinated, 24 h report delay",
     label_zh: "综合协调（报告延迟24小时）", set: {info.report_delay_hours: 24}}
baseline: territorial          # paired differences are taken against this regime
params:                        # fixed values by dotted path (docs/parameters.md)
  region.n_cities: 8
  time.horizon_days: 20
sweep:                         # a factorial grid over lists or ranges
  region.reach_hours: [12, 24, 48]
  hazard.magnitude: {from: 50, to: 150, step: 50}
record: {series: true}         # keep per-step series for time-series charts
charts: [regime_comparison, sweep_response, heatmap, timeseries]
"""


# --- what sim.scenario accepts ----------------------------------------------------------------
def _record_keys() -> tuple[str, ...]:
    """The keys `record:` accepts: sim.scenario.RECORD_KEYS if it exists, else the literal
    mapping of defaults (`kept = {...}`) in sim.scenario._validate."""
    if hasattr(scenario, "RECORD_KEYS"):
        return tuple(scenario.RECORD_KEYS)
    tree = ast.parse(inspect.getsource(scenario._validate))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                and any(isinstance(t, ast.Name) and t.id == "kept" for t in node.targets)):
            return tuple(ast.literal_eval(k) for k in node.value.keys)
    raise RuntimeError("cannot find the record keys in sim.scenario._validate (the mapping "
                       "`kept = {...}`); export them as sim.scenario.RECORD_KEYS")


def accepted() -> dict[str, set[str]]:
    """Every key path sim.scenario accepts, by section, in the notation of Key.path."""
    options = getattr(scenario, "SAMPLE_OPTIONS", {})
    return {
        "top": set(TOP_KEYS),
        "regime": {f"regimes[].{k}" for k in scenario.REGIME_KEYS},
        "sweep": {f"sweep.{k}" for k in SWEEP_KINDS},
        "sweep_options": {f"sweep.{kind}.{k}" for kind, keys in options.items() for k in keys},
        "record": {f"record.{k}" for k in _record_keys()},
        "charts": {f"charts[]: {c}" for c in CHARTS},
        "discovery": {f"discovery.{k}" for k in scenario.DISCOVERY_KEYS}
        | {f"discovery.conditions[].{k}" for k in scenario.CONDITION_KEYS}
        | {f"discovery.regret.{k}" for k in scenario.REGRET_KEYS},
        "calibrate": {f"calibrate.{k}" for k in calibration.KEYS},
        "targets": {f"calibrate.targets[].{k}" for k in calibration.TARGET_KEYS},
        "uncertain": {f"uncertain.{k}" for k in uncertainty.KEYS},
    }


def documented() -> dict[str, set[str]]:
    """The key paths documented here, by section (compare with accepted())."""
    return {"top": {k.path for k in TOP}, "regime": {k.path for k in REGIME},
            "sweep": {k.path for k in SWEEP}, "sweep_options": {k.path for k in SWEEP_OPTIONS},
            "record": {k.path for k in RECORD}, "charts": {k.path for k in CHART_KEYS},
            "discovery": {k.path for k in DISCOVERY},
            "calibrate": {k.path for k in CALIBRATE}, "targets": {k.path for k in TARGETS},
            "uncertain": {k.path for k in UNCERTAIN}}


def missing_docs() -> list[str]:
    """Problems between the table and sim.scenario: keys accepted but not documented, or
    documented but not accepted. Empty when they agree."""
    problems = []
    have, want = documented(), accepted()
    for section in want:
        for path in sorted(want[section] - have[section]):
            problems.append(f"{path}: accepted by sim.scenario but not documented in "
                            "sim/scenario_schema.py")
        for path in sorted(have[section] - want[section]):
            problems.append(f"{path}: documented in sim/scenario_schema.py but not accepted "
                            "by sim.scenario")
    return problems


# --- docs/scenarios.md ------------------------------------------------------------------------
def example_yaml(fragment: dict[str, Any]) -> str:
    """A scenario fragment as one line of YAML per top-level key."""
    return "\n".join(f"{k}: {_fmt(v)}" for k, v in fragment.items())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def _table(keys, key_title: str = "key", default_title: str = "default") -> list[str]:
    out = [f"| {key_title} | type | {default_title} | meaning | example |",
           "|---|---|---|---|---|"]
    for k in keys:
        example = "<br>".join(f"`{_cell(line)}`" for line in example_yaml(k.example).splitlines())
        out.append(f"| `{k.path}` | {_cell(k.type)} | {_cell(k.default)} | {_cell(k.doc)} | "
                   f"{example} |")
    return out


def markdown() -> str:
    """docs/scenarios.md, generated from the tables above and sim.scenario's own names."""
    problems = missing_docs()
    if problems:
        raise RuntimeError("the scenario reference is out of step with sim.scenario:\n"
                           + "\n".join(problems))
    out = [
        "# Scenario files: the YAML reference", "",
        "Generated from the code by `python -m sim.scenario_schema > docs/scenarios.md`; a "
        "test fails when it is out of date, when `sim/scenario.py` accepts a key that is not "
        "documented here, or when an example stops validating. Every example below, added to "
        "`name: example`, is a valid scenario (the one of `extends` with `quickstart.yaml` "
        "beside it). Parameters (the dotted paths under `params:`, "
        "`set:` and `sweep:`) have their own generated reference: "
        "[parameters.md](parameters.md). For a guided start see [tutorial.md](tutorial.md).",
        "",
        "A scenario is a YAML file (UTF-8, read with safe loading only). `python run.py "
        "validate FILE.yaml` checks it without running anything; every problem is reported "
        "at once, with file, line, key path, what was expected and what was found (and *did "
        "you mean ...* for misspelt keys). The same mapping can be passed to "
        "`sim.run_study({...})` from Python.", "",
        "## A complete file", "", "```yaml", EXAMPLE_FILE.rstrip(), "```", "",
        "## Top-level keys", "", *_table(TOP), "",
        "## Regime entries (`regimes:`)", "",
        "An entry of `regimes:` is a preset name (`coordinated`) or a mapping with these keys:",
        "", *_table(REGIME), "",
        "## Sweeps (`sweep:`)", "",
        "The plan is regimes x sweep points x replications. `sweep:` maps parameter paths to "
        "values (a factorial grid) or sweep kinds to their bodies:", "",
        *_table(SWEEP, "kind"), "",
        "### Values of a swept path", "",
        "Under `factorial`, `zip` or directly under `sweep:`, each path takes one of these "
        "forms:", "", *_table(VALUES, "form"), "",
        "### Options of the sampled kinds", "",
        "The samples are drawn from the scenario's root `seed` and the kind's own `seed`, so "
        "the same file gives the same points.", "",
        *_table(SWEEP_OPTIONS, "option"), "",
        "## Record (`record:`)", "",
        "One row of outcomes per run is always kept (`runs/`, `runs.csv`), with the per-city "
        "accounts of every run (`accounts/`) and, for regions of up to "
        f"{MAX_TRUST_CITIES} cities, the final trust matrices (`trust/`). `record:` adds:", "",
        *_table(RECORD), "",
        "## Charts (`charts:`)", "",
        "The chart catalogue (what each shows and how: [charts.md](charts.md)). Each example "
        "is a study in which the chart can be drawn.", "",
        *_table(CHART_KEYS, "chart", "drawn when"), "",
        "## Scenario discovery (`discovery:`)", "",
        "Where in the swept space a condition on paired outcomes holds (PRIM boxes, a CART "
        "tree, feature scores, with the EMA Workbench), and each regime's regret; "
        "[discovery.md](discovery.md) explains how to read the results. `python run.py "
        "discover RESULTS --from FILE.yaml` applies another block to a finished study.", "",
        *_table([k for k in DISCOVERY if "conditions[]" not in k.path]), "",
        "### A condition (`discovery.conditions[]`)", "",
        *_table([k for k in DISCOVERY if "conditions[]" in k.path]), "",
        "## Calibration (`calibrate:`)", "",
        "What `python run.py calibrate FILE.yaml` fits ([calibration.md](calibration.md)). "
        "It runs the regime named by `regime` at the study's `params` and first sweep point.",
        "", *_table(CALIBRATE), "",
        "### Target entries (`calibrate.targets:`)", "",
        "Each entry has exactly one of `outcome` or `timeline`:", "", *_table(TARGETS), "",
        "## Parameter uncertainty (`uncertain:`)", "",
        "Draws of the parameters we do not know well; the report compares the regimes across "
        "the draws ([calibration.md](calibration.md#conclusions-under-parameter-uncertainty))."
        "", "", *_table(UNCERTAIN), "",
        "## Command-line and Python equivalents", "",
        "| in the file | on the command line | in Python |", "|---|---|---|",
        "| `params: {path: value}` | `--set path=value` (repeatable) | "
        "`sim.run_study(file, overrides={path: value})` |",
        "| `seed:` | `--seed N` | `sim.run_study(file, seed=N)` |",
        "| `replications:` | `--replications N` | `sim.run_study(file, replications=N)` |",
        "| `max_runs:` | `--yes` (confirm a larger plan) | "
        "`sim.run_study(file, confirm_large=True)` |",
        "| `charts:` | `python run.py plot RESULTS --chart NAME --lang zh` | "
        "`sim.open_results(RESULTS).plot([NAME], lang=\"zh\")` |",
    ]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
