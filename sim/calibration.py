"""Calibration as a command (校准): fit named parameters to target statistics with optuna.

A scenario's `calibrate:` block names the parameters to fit (with their bounds), the targets
(an outcome's mean, or a timeline item of an incident replay: when a city was warned or reached,
how long the hazard stayed, when the origin reported), a budget of trials, the replications per
trial and a seed:

    calibrate:
      parameters: {info.report_delay_hours: [0, 480], river_spill.release_hours: [6, 120]}
      targets:
        - {timeline: jilin.reported}          # the documented window of sim/records/*.yaml
        - {timeline: harbin.exposure}
        - {outcome: total_loss, value: 2.5, scale: 0.25}
      trials: 40
      replications: 4
      seed: 0

`python run.py calibrate scenarios/replay_songhua_2005.yaml` then runs trial after trial:
optuna's TPE sampler proposes values, the model runs `replications` times with the same seeds
in every trial (replication r uses the study's seed of replication r: common random numbers, so
two trials differ only by their parameters), and the trial's objective is the weighted sum of
squared misses, each in units of its target's scale:

- a target with a `value`: ((model - value) / scale)^2, the model being the mean over the
  replications (scale defaults to 10% of the value);
- a timeline item of the record: (hours outside the documented window / its tolerance)^2, zero
  inside the window;
- a target the model never reaches (a city never warned, an outcome always NaN): MISSED.

Fitted value: the best trial's. Uncertainty: the range of the parameter over the accepted trials,
those whose objective is within 1 of the best (a miss of one scale unit on one target: under
Gaussian errors with sd = scale, the 68% profile interval); with fewer than three such trials,
the best decile of trials (at least three). Everything lands in <results>/calibration/: fit.csv,
targets.csv, trials.csv, the optuna storage (optuna.db, SQLite: a calibration interrupted or
given a larger budget continues where it stopped), the charts figures/calibration_fit.* and
figures/calibration_trials.* (English and _zh) and report.md / report.html (and _zh). A study
report of the same folder (`run.py run`) includes the calibration section when fit.csv is there.

The sampler of trial k is seeded from (seed, k), so the same seed gives the same trials and the
same fit, whether the calibration ran at once or was interrupted and resumed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim import safeio

if TYPE_CHECKING:
    from sim.scenario import Scenario

FOLDER = "calibration"
KEYS = ("parameters", "targets", "trials", "replications", "seed", "regime")
TARGET_KEYS = ("outcome", "timeline", "value", "scale", "weight")
DEFAULT_TRIALS = 40
DEFAULT_REPLICATIONS = 4
MAX_TRIALS = 100_000
MISSED = 1e4  # the objective's term for a target the model never reaches
RELATIVE_SCALE = 0.1  # default scale of a target with a value: 10% of it
MIN_BAND = 3  # trials behind an uncertainty band
CHARTS = ("calibration_fit", "calibration_trials")
LOCK = ".kuayu-calibration.lock"


# --- the block of a scenario ---------------------------------------------------------------------
def check(block: Any, regimes: list, params: dict[str, Any], points: list[dict[str, Any]],
          swept: list[str], bad) -> dict[str, Any] | None:
    """Validate a scenario's `calibrate:` block (reporting through `bad(path, message)`) and
    return it normalised, or None when it has problems."""
    from sim.params import BY_PATH, resolve, suggest
    from sim.scenario import _bounds, block_keys

    at = "calibrate"
    form = ("{parameters: {path: [low, high]}, targets: [{outcome: name, value: v} or "
            "{timeline: city.what}], trials: n, replications: r, seed: s}")
    ok = block_keys(block, at, KEYS, ("parameters", "targets"), form, bad)
    if ok is None:
        return None
    keys = [r.key for r in regimes]
    regime = block.get("regime", keys[0] if keys else None)
    if keys and regime not in keys:
        bad(f"{at}.regime", f"expected one of the study's regimes {keys}, found {regime!r}"
                            f"{suggest(str(regime), keys)}")
        ok = False

    def integer(key: str, default: int, low: int, high: int) -> int | None:
        value = block.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            bad(f"{at}.{key}", f"expected an integer in [{low}, {high:,}], found {value!r}")
            return None
        return value

    trials = integer("trials", DEFAULT_TRIALS, 1, MAX_TRIALS)
    reps = integer("replications", DEFAULT_REPLICATIONS, 1, 10_000)
    seed = integer("seed", 0, 0, 2**63 - 1)
    bounds = None
    if "parameters" in block:
        bounds = _bounds(block["parameters"], f"{at}.parameters", bad)
        for path in bounds or {}:
            if path in swept:
                bad(f"{at}.parameters.{path}", "this parameter is swept by the scenario; a "
                                               "calibration fits it, so remove it from the "
                                               "sweep")
                ok = False
    if None in (trials, reps, seed, bounds) or not ok or not keys:
        _targets(block.get("targets"), None, bad)  # still report the targets' problems
        return None
    spec = next(r for r in regimes if r.key == regime)
    try:
        base = resolve(spec.settings, params, points[0])
    except ValueError:
        return None  # reported by the scenario's own checks
    targets = _targets(block.get("targets"), base, bad)
    if targets is None:
        return None
    return {"regime": regime, "parameters": {p: [lo, hi] for p, (lo, hi) in bounds.items()},
            "kinds": {p: BY_PATH[p].kind for p in bounds},
            "targets": targets, "trials": trials, "replications": reps, "seed": seed}


def _targets(entries: Any, base: dict[str, Any] | None, bad) -> list[dict] | None:
    """The targets, normalised: kind (outcome/timeline), name, value or window, scale."""
    from sim.metrics import OUTCOMES
    from sim.params import suggest
    from sim.replay import WHAT
    from sim.scenario import unknown_keys

    at = "calibrate.targets"
    if not isinstance(entries, list) or not entries:
        if entries is not None:
            bad(at, "expected a non-empty list of {outcome: name, value: v, scale: s} or "
                    f"{{timeline: city.what}}, found {entries!r}")
        return None
    record, region = None, None
    if base is not None:
        from sim.regions import build_region
        from sim.replay import record_for

        try:
            record = record_for(base)
            region = build_region(base, np.random.default_rng(0))
        except ValueError:
            return None  # the region's problem is reported by the scenario's own checks
    out: list[dict] = []
    ok = True
    for i, entry in enumerate(entries):
        where = f"{at}[{i}]"
        if not isinstance(entry, dict):
            bad(where, f"expected a mapping such as {{outcome: total_loss, value: 2.5}}, "
                       f"found {entry!r}")
            ok = False
            continue
        ok = unknown_keys(entry, where, TARGET_KEYS, bad) and ok
        kinds = [k for k in ("outcome", "timeline") if k in entry]
        if len(kinds) != 1:
            bad(where, "expected exactly one of outcome: (an outcome's mean) or timeline: "
                       f"(city.what of an incident), found {sorted(entry)}")
            ok = False
            continue
        kind = kinds[0]
        name = entry[kind]
        target: dict[str, Any] = {"kind": kind, "name": str(name), "weight": 1.0}
        for key in ("value", "scale", "weight"):
            if key not in entry:
                continue
            v = entry[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) \
                    or (key != "value" and v <= 0):
                bad(f"{where}.{key}", f"expected a finite number{'' if key == 'value' else ' > 0'}"
                                      f", found {v!r}")
                ok = False
            else:
                target[key] = float(v)
        if kind == "outcome":
            if name not in OUTCOMES:
                bad(f"{where}.outcome", "expected an outcome (python run.py list shows them), "
                                        f"found {name!r}{suggest(str(name), OUTCOMES)}")
                ok = False
                continue
            if "value" not in entry:
                bad(where, f"missing value: the target of outcome {name} (its mean)")
                ok = False
                continue
        else:
            parts = str(name).rsplit(".", 1)
            if len(parts) != 2 or parts[1] not in WHAT:
                bad(f"{where}.timeline", f"expected city.what with what one of "
                                         f"{', '.join(WHAT)} (e.g. harbin.arrival), found "
                                         f"{name!r}")
                ok = False
                continue
            city, what = parts
            if region is not None:
                try:
                    city = region.ids[region.index(city)]
                except ValueError as exc:
                    bad(f"{where}.timeline", str(exc))
                    ok = False
                    continue
                target["name"] = f"{city}.{what}"
                j = region.ids.index(city)
                target["city_en"], target["city_zh"] = region.names_en[j], region.names_zh[j]
            if "value" not in entry and region is not None:
                item = None if record is None else next(
                    (it for it in record.items if (it.city, it.what) == (city, what)), None)
                if item is None:
                    have = [] if record is None else [f"{it.city}.{it.what}"
                                                     for it in record.items]
                    why = (f"the record {record.name} documents {', '.join(have)}"
                           if record else "the study replays no documented incident "
                                          "(sim/records/*.yaml)")
                    bad(f"{where}.timeline", f"no documented {what} at {city}: {why}; give "
                                             f"the target a value: {{timeline: {name}, value: "
                                             f"hours, scale: hours}}"
                                             f"{suggest(f'{city}.{what}', have)}")
                    ok = False
                    continue
                if "scale" in entry:
                    bad(f"{where}.scale", "a documented item is scored by its own tolerance "
                                          f"({item.tolerance:g} h in {record.path.name}); give a "
                                          "value too, or leave scale out")
                    ok = False
                    continue
                target.update({"low": item.low, "high": item.high,
                               "tolerance": item.tolerance, "source": item.source,
                               "record": record.name})
        if "value" in target and "scale" not in target:
            if target["value"] == 0:
                bad(where, "missing scale: a target of 0 needs its scale (the miss that "
                           "counts as one unit)")
                ok = False
                continue
            target["scale"] = abs(target["value"]) * RELATIVE_SCALE
        out.append(target)
    names = [t["name"] for t in out]
    for name in {n for n in names if names.count(n) > 1}:
        bad(at, f"target {name} is given twice")
        ok = False
    return out if ok else None


def needs_timeline(config: dict) -> bool:
    return any(t["kind"] == "timeline" for t in config["targets"])


# --- one trial -------------------------------------------------------------------------------
def replicate(preset: str, overrides: dict[str, Any], root_seed: int, replication: int,
              timeline: bool) -> dict[str, float]:
    """One run of a trial: its outcomes and (with `timeline`) the hours of its first incident's
    timeline as 'city.what' (sim.replay.timeline)."""
    from sim.params import resolve
    from sim.replay import timeline as line_of
    from sim.runner import run_one
    from sim.scenario import RunSpec

    spec = RunSpec(0, preset, preset, 0, replication, replication, {}, overrides)
    row, model = run_one(spec, root_seed, False, timeline)
    out = {k: float(v) for k, v in row.items()
           if isinstance(v, int | float) and not isinstance(v, bool)}
    if timeline:
        steps, n, _ = model.city_series.shape
        frame = pd.DataFrame({"city": np.tile(np.arange(n), steps),
                              "intensity": model.city_series[:, :, 0].ravel()})
        p = resolve(overrides)
        threshold = 0.01 * p[f"{p['hazard.kind']}.half_damage"] \
            if f"{p['hazard.kind']}.half_damage" in p else 0.0
        for (city, what), hours in line_of(model.region_record(), frame, threshold).items():
            out[f"{city}.{what}"] = float(hours)
    return out


def _replicate_args(args: tuple) -> dict[str, float]:
    return replicate(*args)


def statistic(target: dict, runs: list[dict[str, float]]) -> float:
    """The model's value of a target over a trial's replications: the mean where present."""
    values = np.array([r.get(target["name"], math.nan) for r in runs], dtype=float)
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else math.nan


def term(target: dict, model: float) -> float:
    """A target's contribution to the objective (weighted squared miss in scale units)."""
    if not math.isfinite(model):
        return MISSED * target["weight"]
    if "value" in target:
        miss = (model - target["value"]) / target["scale"]
    else:
        lo, hi = target.get("low"), target.get("high")
        out = (lo - model if lo is not None and model < lo else
               model - hi if hi is not None and model > hi else 0.0)
        miss = out / max(target["tolerance"], 1e-9)
    return target["weight"] * miss * miss


# --- the calibration -------------------------------------------------------------------------
@dataclass
class Calibration:
    """What a calibration wrote: the folder, the trials and the fit."""

    path: Path
    config: dict
    trials: pd.DataFrame
    fit: pd.DataFrame
    targets: pd.DataFrame
    ran: int  # trials run by this call (0 when the budget was already spent)


def fingerprint(scenario: Scenario, config: dict) -> str:
    """What the trials' results depend on (not the budget: a larger one continues the same
    optuna study)."""
    from sim import __version__

    spec = next(r for r in scenario.regimes if r.key == config["regime"])
    key = {"config": {k: v for k, v in config.items() if k != "trials"},
           "settings": spec.settings, "regime": spec.regime, "params": scenario.params,
           "point": scenario.points[0], "seed": scenario.seed,
           "inputs": sorted(scenario.inputs.values()), "model": __version__}
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()


def run(scenario: Scenario, out_dir: str | Path, workers: int = 1, quiet: bool = True,
        trials: int | None = None, charts: bool = True, langs: tuple[str, ...] = ("en",),
        restart: bool = False) -> Calibration:
    """Run (or continue) the scenario's calibration into <out_dir>/calibration/ and write its
    tables, charts and report. `trials` overrides the budget; `restart` drops earlier trials of
    the same calibration."""
    import optuna

    from sim import runner

    config = scenario.calibrate
    if not config:
        raise ValueError(f"{scenario.source}: the scenario has no calibrate: block (see "
                         "docs/calibration.md)")
    budget = int(trials if trials is not None else config["trials"])
    out_dir = Path(out_dir)
    runner.open_folder(out_dir)
    folder = out_dir / FOLDER
    safeio.check_inside(out_dir, folder / "x")
    folder.mkdir(exist_ok=True)
    safeio.refuse_links(folder)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    spec = next(r for r in scenario.regimes if r.key == config["regime"])
    base = {**spec.settings, **scenario.params, **scenario.points[0]}
    distributions = {
        p: (optuna.distributions.IntDistribution(int(lo), int(hi))
            if config["kinds"][p] == "int" else optuna.distributions.FloatDistribution(lo, hi))
        for p, (lo, hi) in config["parameters"].items()}
    timeline = needs_timeline(config)
    name = "kuayu-" + fingerprint(scenario, config)[:16]
    with safeio.folder_lock(folder, LOCK):
        storage = optuna.storages.RDBStorage(f"sqlite:///{(folder / 'optuna.db').resolve()}")
        try:
            if restart:
                with contextlib.suppress(KeyError):
                    optuna.delete_study(study_name=name, storage=storage)
            study = optuna.create_study(study_name=name, storage=storage,
                                        direction="minimize", load_if_exists=True)
            for t in study.get_trials(deepcopy=False):  # trials of an interrupted run
                if t.state == optuna.trial.TrialState.RUNNING:
                    study.tell(t.number, state=optuna.trial.TrialState.FAIL)
            done = _complete(study)
            todo = max(0, budget - len(done))
            startup = min(10, max(3, budget // 5))
            progress = runner.Progress(total=todo * config["replications"], quiet=quiet)
            pool = runner.process_pool(workers) if workers > 1 else None
            try:
                executor = pool.__enter__() if pool is not None else None
                for _ in range(todo):
                    k = len(_complete(study))
                    seed = int(np.random.SeedSequence([config["seed"], k])
                               .generate_state(1)[0])
                    study.sampler = optuna.samplers.TPESampler(seed=seed,
                                                               n_startup_trials=startup)
                    trial = study.ask(distributions)
                    overrides = {**base, **trial.params}
                    args = [(spec.regime, overrides, scenario.seed, r, timeline)
                            for r in range(config["replications"])]
                    if executor is None:
                        runs = []
                        for a in args:
                            runs.append(replicate(*a))
                            progress.advance(1)
                    else:
                        runs = list(executor.map(_replicate_args, args))
                        progress.advance(len(args))
                    stats = {t["name"]: statistic(t, runs) for t in config["targets"]}
                    for key, value in stats.items():
                        trial.set_user_attr(key, None if not math.isfinite(value) else value)
                    study.tell(trial, sum(term(t, stats[t["name"]])
                                          for t in config["targets"]))
            finally:
                if pool is not None:
                    pool.__exit__(None, None, None)
                progress.close()
            frozen = _complete(study)[:budget]
        finally:
            storage.engine.dispose()
        table = trials_table(frozen, config)
        fit, targets = summarise(table, config)
        _csv(table, folder / "trials.csv", out_dir)
        _csv(fit, folder / "fit.csv", out_dir)
        _csv(targets, folder / "targets.csv", out_dir)
        safeio.atomic_text(folder / "calibration.json", json.dumps(
            {"scenario": scenario.name, "source": scenario.source, "study": name,
             "budget": budget, "config": config,
             "regimes": [{"name": r.key, "label": r.label, "label_zh": r.label_zh}
                         for r in scenario.regimes]},
            indent=1, ensure_ascii=False, default=str), root=out_dir)
        result = Calibration(folder, config, table, fit, targets, todo)
        if charts:
            for lang in langs:
                draw(result, lang)
            write_report(result, langs)
    return result


def _complete(study) -> list:
    import optuna

    return sorted(study.get_trials(deepcopy=False,
                                   states=(optuna.trial.TrialState.COMPLETE,)),
                  key=lambda t: t.number)


def _csv(table: pd.DataFrame, path: Path, root: Path) -> None:
    safeio.atomic_write(path, lambda fh: table.to_csv(fh, index=False, encoding="utf-8-sig"),
                        root=root)


def trials_table(frozen: list, config: dict) -> pd.DataFrame:
    """One row per complete trial, in the order they ran: trial, objective, the parameters
    and the model's value of every target."""
    rows = []
    for k, t in enumerate(frozen):
        rows.append({"trial": k, "objective": float(t.value),
                     **{p: t.params.get(p) for p in config["parameters"]},
                     **{f"model:{g['name']}": (math.nan if t.user_attrs.get(g["name"]) is None
                                               else t.user_attrs[g["name"]])
                        for g in config["targets"]}})
    table = pd.DataFrame(rows, columns=["trial", "objective", *config["parameters"],
                                        *[f"model:{g['name']}" for g in config["targets"]]])
    table["accepted"] = accepted(table)
    return table


def accepted(table: pd.DataFrame) -> pd.Series:
    """The trials behind the uncertainty: objective within 1 of the best, or else the best
    decile (at least MIN_BAND trials)."""
    if table.empty:
        return pd.Series([], dtype=bool)
    obj = table["objective"].to_numpy(dtype=float)
    near = obj <= obj.min() + 1.0
    if near.sum() >= MIN_BAND:
        return pd.Series(near, index=table.index)
    k = min(len(obj), max(MIN_BAND, math.ceil(len(obj) / 10)))
    order = np.argsort(obj, kind="stable")[:k]
    mask = np.zeros(len(obj), dtype=bool)
    mask[order] = True
    return pd.Series(mask, index=table.index)


def band_rule(table: pd.DataFrame) -> str:
    obj = table["objective"].to_numpy(dtype=float)
    return "within_1" if (obj <= obj.min() + 1.0).sum() >= MIN_BAND else "best_decile"


def summarise(table: pd.DataFrame, config: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """fit.csv (per parameter: best value, uncertainty band, bounds) and targets.csv (per
    target: what it asks, the model at the best trial and over the accepted trials)."""
    from sim.params import BY_PATH

    if table.empty:
        raise ValueError("no complete trial to summarise")
    best = table.loc[table["objective"].idxmin()]
    acc = table[table["accepted"]]
    rule = band_rule(table)
    fit = []
    for p, (lo, hi) in config["parameters"].items():
        fit.append({"parameter": p, "unit": BY_PATH[p].unit, "best": best[p],
                    "low": acc[p].min(), "high": acc[p].max(), "bound_low": lo,
                    "bound_high": hi, "band": rule, "accepted_trials": len(acc),
                    "trials": len(table), "best_trial": int(best["trial"]),
                    "objective": float(best["objective"])})
    rows = []
    for g in config["targets"]:
        col = f"model:{g['name']}"
        model = float(best[col])
        rows.append({"target": g["name"], "kind": g["kind"], "value": g.get("value"),
                     "scale": g.get("scale"), "low": g.get("low"), "high": g.get("high"),
                     "tolerance": g.get("tolerance"), "weight": g["weight"],
                     "source": g.get("source", ""), "model": model,
                     "model_low": acc[col].min(), "model_high": acc[col].max(),
                     "term": term(g, model), "within": term(g, model) <= g["weight"]})
    return pd.DataFrame(fit), pd.DataFrame(rows)


def summary_lines(result: Calibration) -> list[str]:
    """What to print after a calibration: each parameter's fit and band, each target's miss."""
    from sim.params import BY_PATH

    out = []
    for f in result.fit.to_dict("records"):
        unit = f" {BY_PATH[f['parameter']].unit}" if BY_PATH[f["parameter"]].unit else ""
        out.append(f"{f['parameter']} = {_num(f['best'])}{unit} (uncertainty "
                   f"{_num(f['low'])}–{_num(f['high'])}{unit}, searched "
                   f"{f['bound_low']:g}–{f['bound_high']:g})")
    for r in result.targets.to_dict("records"):
        out.append(f"  target {r['target']}: asks {_asks(r)}, model {_num(r['model'])} "
                   f"({'within' if r['within'] else 'NOT within'} one unit)")
    return out


def load(folder: str | Path) -> Calibration:
    """A calibration written by run(), read back from <results>/calibration/."""
    folder = Path(folder)
    if folder.name != FOLDER:
        folder = folder / FOLDER
    meta = json.loads((folder / "calibration.json").read_text(encoding="utf-8"))
    read = lambda n: pd.read_csv(folder / n, encoding="utf-8-sig")  # noqa: E731
    table = read("trials.csv")
    table["accepted"] = table["accepted"].astype(bool)
    return Calibration(folder, meta["config"], table, read("fit.csv"), read("targets.csv"), 0)


# --- words, charts and report ----------------------------------------------------------------
WORDS = {
    "en": {"objective": "Objective (sum of squared misses, symlog)", "trial": "Trial",
           "accepted": "Accepted trials (objective within 1 of the best)",
           "decile": "Accepted trials (best decile)", "best": "Best trial",
           "others": "Other trials", "target": "Target ± scale", "window": "Documented window",
           "tolerance": "± tolerance", "model_best": "Model, best trial",
           "model_range": "Model, range over accepted trials",
           "fit_note": "Each row is one target: grey, what the target asks (a value ± its "
                       "scale, or the documented window of the record, thin line widened by "
                       "its tolerance); marker, the model's mean over {reps} paired "
                       "replications at the best of {n} trials; black line, the range over "
                       "the {k} accepted trials.",
           "trials_note": "Every trial of the calibration ({n} trials of {reps} paired "
                          "replications each, TPE sampler of optuna, seed {seed}): its "
                          "objective against each parameter, shade from early (light) to late "
                          "(dark). Band: the fitted uncertainty ({rule}); star: the best "
                          "trial.",
           "within_1": "parameters of the trials whose objective is within 1 of the best",
           "best_decile": "parameters of the best decile of trials",
           "h": "h", "hours": "hours after the event"},
    "zh": {"objective": "目标函数（加权平方偏差和，对称对数坐标）", "trial": "试验",
           "accepted": "接受的试验（目标函数与最优相差不超过1）",
           "decile": "接受的试验（最优的十分之一）", "best": "最优试验",
           "others": "其他试验", "target": "目标值 ± 尺度", "window": "记录区间",
           "tolerance": "± 容差", "model_best": "模型（最优试验）",
           "model_range": "模型（接受的试验的范围）",
           "fit_note": "每行一个校准目标：灰色为目标（目标值 ± 尺度，或记录区间，细线为加上容差后的"
                       "区间）；标记为最优试验（共{n}次试验）下模型在{reps}次配对重复中的均值；"
                       "黑线为{k}次接受的试验的范围。",
           "trials_note": "校准的全部试验（{n}次试验，每次{reps}次配对重复，optuna 的 TPE 采样器，"
                          "种子{seed}）：目标函数对各参数的关系，颜色由浅（早）到深（晚）。"
                          "阴影带：拟合的不确定性（{rule}）；星号：最优试验。",
           "within_1": "目标函数与最优相差不超过1的试验的参数范围",
           "best_decile": "最优十分之一试验的参数范围",
           "h": "小时", "hours": "事件发生后小时数"},
}


def target_label(target: dict, lang: str) -> str:
    """'Harbin · arrival (h)' or 'Total loss (100 million CNY)', in a language."""
    from sim import plots
    from sim.replay import WORDS as RW

    if target["kind"] == "outcome":
        return plots.outcome_label(target["name"], lang)
    city, what = target["name"].rsplit(".", 1)
    city = target.get("city_zh" if lang == "zh" else "city_en") or city
    unit = WORDS[lang]["h"]
    word = RW[lang][what] if what != "exposure" else RW[lang]["exposure"].split("（")[0] \
        .split(" (")[0]
    return f"{city} · {word}" + (f"（{unit}）" if lang == "zh" else f" ({unit})")


def _save(fig, folder: Path, stem: str, lang: str, root: Path) -> Path:
    from sim import plots

    out = folder / "figures"
    safeio.check_inside(root, out / "x")
    return plots.save(fig, out, stem, lang)[0]


def fit_chart(result: Calibration, lang: str = "en"):
    """Fit vs target: one row (and axis) per target, in its own units."""
    import matplotlib.pyplot as plt

    from sim import plots

    w = WORDS[lang]
    targets = result.config["targets"]
    rows = result.targets.set_index("target")
    handles: dict[str, Any] = {}
    with plt.rc_context(plots.rc(lang)):
        fig = plt.figure(figsize=(7.2, 1.0 + 0.62 * len(targets)), layout="constrained")
        axes = fig.subplots(len(targets), 1, squeeze=False)[:, 0]
        for ax, g in zip(axes, targets, strict=True):
            r = rows.loc[g["name"]]
            if "value" in g:
                lo, hi, pad = g["value"] - g["scale"], g["value"] + g["scale"], 0.0
                handles["target"] = ax.barh(0, hi - lo, left=lo, height=0.5, color="#c8c8c8",
                                            edgecolor="#7f7f7f", linewidth=0.6, zorder=2)
                ax.plot([g["value"]] * 2, [-0.25, 0.25], color="#4d4d4d", linewidth=1.0,
                        zorder=3)
            else:
                pad = g["tolerance"]
                lo = g["low"] if g["low"] is not None else 0.0
                hi = g["high"] if g["high"] is not None else 2 * lo
                handles["tolerance"] = ax.plot([lo - pad if g["low"] is not None else lo,
                                                hi + pad], [0, 0], color="#9a9a9a",
                                               linewidth=1.0, zorder=1)[0]
                handles["window"] = ax.barh(0, max(hi - lo, 0.01 * max(hi, 1)), left=lo,
                                            height=0.5, color="#c8c8c8", edgecolor="#7f7f7f",
                                            linewidth=0.6, zorder=2)
            m_lo, m_hi, model = r["model_low"], r["model_high"], r["model"]
            if pd.notna(m_lo) and pd.notna(m_hi):
                handles["range"] = ax.plot([m_lo, m_hi], [0, 0], color="black", linewidth=2.2,
                                           solid_capstyle="butt", zorder=4)[0]
            if pd.notna(model):
                handles["model"] = ax.plot(model, 0, marker="o", color=plots.OKABE_ITO[0],
                                           markeredgecolor="black", markeredgewidth=0.6,
                                           markersize=6, linestyle="none", zorder=5)[0]
            values = [v for v in (lo - pad, hi + pad, model, m_lo, m_hi) if pd.notna(v)]
            span = max(values) - min(values) or max(abs(max(values)), 1.0)
            ax.set_xlim(min(values) - 0.08 * span, max(values) + 0.08 * span)
            ax.set_ylim(-0.6, 0.6)
            ax.set_yticks([0], [plots.wrap(target_label(g, lang), 150)])
            ax.grid(axis="y", visible=False)
        order = [("target", w["target"]), ("window", w["window"]),
                 ("tolerance", w["tolerance"]), ("model", w["model_best"]),
                 ("range", w["model_range"])]
        present = [(handles[k], text) for k, text in order if k in handles]
        plots.entries_on_top(fig, [h for h, _ in present], [t for _, t in present])
        plots.note(fig, w["fit_note"].format(reps=result.config["replications"],
                                             n=len(result.trials),
                                             k=int(result.trials["accepted"].sum())))
    return fig


def trials_chart(result: Calibration, lang: str = "en"):
    """Objective against each parameter, every trial a dot; the band and the best trial."""
    import matplotlib.pyplot as plt

    from sim import plots

    w = WORDS[lang]
    table = result.trials
    fit = result.fit.set_index("parameter")
    params = list(result.config["parameters"])
    cols = min(len(params), 3)
    nrows = math.ceil(len(params) / cols)
    with plt.rc_context(plots.rc(lang)):
        fig = plt.figure(figsize=(7.2 if cols > 1 else 4.8, 0.8 + 2.3 * nrows),
                         layout="constrained")
        axes = fig.subplots(nrows, cols, squeeze=False).ravel()
        best = table.loc[table["objective"].idxmin()]
        cmap = plt.get_cmap(plots.SEQUENTIAL_CMAP).reversed()
        handles = {}
        for ax, p in zip(axes, params, strict=False):
            f = fit.loc[p]
            handles["band"] = ax.axvspan(f["low"], f["high"], color=plots.OKABE_ITO[2],
                                         alpha=0.18, linewidth=0, zorder=0)
            acc = table["accepted"].to_numpy()
            sc = ax.scatter(table[p], table["objective"], c=table["trial"], cmap=cmap,
                            vmin=0, vmax=max(len(table) - 1, 1), s=14, linewidths=0.3,
                            edgecolors=np.where(acc, "black", "none"), zorder=2)
            handles["best"] = ax.plot(best[p], best["objective"], marker="*",
                                      color=plots.OKABE_ITO[1], markersize=11,
                                      markeredgecolor="black", markeredgewidth=0.5,
                                      linestyle="none", zorder=3)[0]
            ax.set_yscale("symlog", linthresh=1.0)
            ax.set_xlim(f["bound_low"], f["bound_high"])
            ax.set_ylim(bottom=0)
            ax.set_xlabel(plots.param_label(p, lang))
            ax.set_ylabel(plots.wrap(w["objective"], 170))
        for ax in axes[len(params):]:
            ax.set_visible(False)
        bar = fig.colorbar(sc, ax=axes[:len(params)].tolist(), shrink=0.8, aspect=25)
        bar.set_label(w["trial"])
        rule = str(result.fit["band"].iloc[0])
        plots.entries_on_top(fig, [handles["band"], handles["best"]],
                             [w["accepted"] if rule == "within_1" else w["decile"],
                              w["best"]])
        plots.note(fig, w["trials_note"].format(n=len(table),
                                                reps=result.config["replications"],
                                                seed=result.config["seed"], rule=w[rule]))
    return fig


def draw(result: Calibration, lang: str = "en") -> list[Path]:
    root = result.path.parent
    return [_save(fit_chart(result, lang), result.path, "calibration_fit", lang, root),
            _save(trials_chart(result, lang), result.path, "calibration_trials", lang, root)]


TEXT = {
    "en": {"title": "Calibration: {name}", "h2": "Calibration",
           "intro": "Parameters of regime {regime} fitted to {k} targets with optuna's TPE "
                    "sampler (seed {seed}): {n} trials of {reps} replications each, with the "
                    "same seeds in every trial (paired). The objective of a trial is the sum "
                    "of the targets' squared misses in units of their scale (a documented "
                    "window of the record counts zero inside and its tolerance as the unit); "
                    "the uncertainty is the range over the {acc} accepted trials ({rule}).",
           "param": "Parameter", "best": "Fitted (best trial)", "band": "Uncertainty",
           "bounds": "Searched", "target": "Target", "asks": "Target (value ± scale or "
           "window ± tolerance)", "model": "Model (best)", "range": "Model (accepted)",
           "ok": "Within one unit", "yes": "yes", "no": "NO",
           "fit_caption": "Fit vs target: what each target asks and the model at the fit.",
           "trials_caption": "The trials: objective against each parameter, fitted band and "
                             "best trial.",
           "files": "Files: calibration/fit.csv, targets.csv, trials.csv; optuna storage "
                    "calibration/optuna.db (run the same command again to continue, or with a "
                    "larger --trials to extend)."},
    "zh": {"title": "校准：{name}", "h2": "校准",
           "intro": "用 optuna 的 TPE 采样器（种子{seed}）拟合{regime}模式的参数，使之符合{k}个"
                    "目标：共{n}次试验，每次{reps}次重复，各次试验使用相同的随机种子（配对）。"
                    "每次试验的目标函数为各目标偏差（以其尺度为单位）的平方和（记录区间内偏差为零，"
                    "以容差为单位）；不确定性为{acc}次接受的试验的范围（{rule}）。",
           "param": "参数", "best": "拟合值（最优试验）", "band": "不确定性",
           "bounds": "搜索范围", "target": "目标", "asks": "目标（值 ± 尺度，或区间 ± 容差）",
           "model": "模型（最优）", "range": "模型（接受的试验）",
           "ok": "偏差在一个单位内", "yes": "是", "no": "否",
           "fit_caption": "拟合与目标对照：各目标的要求与拟合处的模型值。",
           "trials_caption": "全部试验：目标函数对各参数的关系、拟合区间与最优试验。",
           "files": "文件：calibration/fit.csv、targets.csv、trials.csv；optuna 存储为 "
                    "calibration/optuna.db（再次运行同一命令可继续，加大 --trials 可追加试验）。"},
}


def _num(v: Any) -> str:
    from sim.report import number

    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return number(float(v))


def _asks(row: dict) -> str:
    if pd.notna(row.get("value")):
        return f"{_num(row['value'])} ± {_num(row['scale'])}"
    lo = "…" if pd.isna(row.get("low")) else _num(row["low"])
    hi = "…" if pd.isna(row.get("high")) else _num(row["high"])
    window = lo if lo == hi else f"{lo}–{hi}"
    return f"{window} ± {_num(row['tolerance'])}"


def add_section(doc, result: Calibration, lang: str, heading: str = "h2",
                regime_label: str | None = None, base: Path | None = None) -> None:
    """The calibration's tables and figures as a section of a report (sim.report.Doc)."""
    from sim import plots

    t = TEXT[lang]
    cfg = result.config
    doc.add(heading, t["h2"])
    rule = str(result.fit["band"].iloc[0])
    doc.add("p", t["intro"].format(regime=regime_label or cfg["regime"],
                                   k=len(cfg["targets"]), seed=cfg["seed"],
                                   n=len(result.trials), reps=cfg["replications"],
                                   acc=int(result.trials["accepted"].sum()),
                                   rule=WORDS[lang][rule]))
    rows = [[plots.param_label(f["parameter"], lang), _num(f["best"]),
             f"{_num(f['low'])}–{_num(f['high'])}",
             f"{f['bound_low']:g}–{f['bound_high']:g}"]
            for f in result.fit.to_dict("records")]
    doc.add("table", [t["param"], t["best"], t["band"], t["bounds"]], rows, [1, 2, 3])
    targets = {g["name"]: g for g in cfg["targets"]}
    rows = [[target_label(targets[r["target"]], lang), _asks(r), _num(r["model"]),
             f"{_num(r['model_low'])}–{_num(r['model_high'])}",
             t["yes"] if bool(r["within"]) else t["no"]]
            for r in result.targets.to_dict("records")]
    doc.add("table", [t["target"], t["asks"], t["model"], t["range"], t["ok"]], rows,
            [1, 2, 3])
    figures = result.path / "figures"
    for stem, caption in (("calibration_fit", t["fit_caption"]),
                          ("calibration_trials", t["trials_caption"])):
        png = figures / (f"{stem}.png" if lang == "en" else f"{stem}_{lang}.png")
        if png.exists():
            doc.add("figure", png, caption,
                    png.relative_to(base or result.path.parent).as_posix())
    doc.add("note", t["files"])


def write_report(result: Calibration, langs: tuple[str, ...] = ("en",)) -> list[Path]:
    """calibration/report.md and report.html (report_zh.* in Chinese)."""
    from sim import report

    meta = json.loads((result.path / "calibration.json").read_text(encoding="utf-8"))
    written = []
    for lang in langs:
        label = next((r.get("label_zh" if lang == "zh" else "label") or r["name"]
                      for r in meta.get("regimes", []) if r["name"] == result.config["regime"]),
                     result.config["regime"])
        doc = report.Doc()
        doc.add("h1", TEXT[lang]["title"].format(name=meta["scenario"]))
        add_section(doc, result, lang, heading="h2", regime_label=label, base=result.path)
        stem = "report" if lang == "en" else f"report_{lang}"
        root = result.path.parent
        written.append(safeio.atomic_text(result.path / f"{stem}.md",
                                          report.to_markdown(doc), root=root))
        written.append(safeio.atomic_text(result.path / f"{stem}.html",
                                          report.to_html(doc, lang), root=root))
    return written


def study_section(doc, results, lang: str) -> None:
    """In a study's report: the calibration of the same folder, if one was run."""
    folder = results.path / FOLDER
    if not (folder / "fit.csv").exists() or not (folder / "calibration.json").exists():
        return
    try:
        result = load(folder)
    except (OSError, ValueError, KeyError):
        return
    from sim import plots

    style = plots.Style(results.manifest["scenario"]["regimes"], lang)
    add_section(doc, result, lang, heading="h2",
                regime_label=style.label(result.config["regime"]))
