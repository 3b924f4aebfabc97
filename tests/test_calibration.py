"""`run.py calibrate`: fits named parameters to targets, recovers a known parameter from
synthetic targets, gives the same fit for the same seed (also when resumed), runs on the Songhua
replay and refuses bad calibrate: blocks clearly."""

import math

import pandas as pd
import pytest
import yaml

from sim import calibration
from sim.cli import main
from sim.scenario import ScenarioError, load
from tests.conftest import ROOT

TRUE_MAGNITUDE = 60.0
BOUNDS = [20.0, 150.0]
BASE = {"name": "synthetic", "seed": 5, "regimes": ["territorial"],
        "params": {"region.n_cities": 4, "time.horizon_days": 8}}


def _synthetic_target(reps: int) -> float:
    """The mean total loss of the model run with river_spill.magnitude = TRUE_MAGNITUDE."""
    sc = load({**BASE, "params": {**BASE["params"], "river_spill.magnitude": TRUE_MAGNITUDE}})
    spec = sc.regimes[0]
    overrides = {**spec.settings, **sc.params}
    runs = [calibration.replicate(spec.regime, overrides, sc.seed, r, False)
            for r in range(reps)]
    return sum(r["total_loss"] for r in runs) / reps


def _scenario(target: float, trials: int, seed: int = 0):
    return load({**BASE, "calibrate": {
        "parameters": {"river_spill.magnitude": BOUNDS},
        "targets": [{"outcome": "total_loss", "value": target, "scale": 0.03 * target}],
        "trials": trials, "replications": 3, "seed": seed}})


def test_calibrate_recovers_a_known_parameter_from_synthetic_targets(tmp_path):
    target = _synthetic_target(3)
    res = calibration.run(_scenario(target, 30), tmp_path / "fit", charts=False)
    fit = res.fit.set_index("parameter").loc["river_spill.magnitude"]
    # the true value lies within the stated uncertainty, and that uncertainty says something
    assert fit["low"] <= TRUE_MAGNITUDE <= fit["high"], fit.to_dict()
    assert fit["high"] - fit["low"] < 0.5 * (BOUNDS[1] - BOUNDS[0]), fit.to_dict()
    assert abs(fit["best"] - TRUE_MAGNITUDE) < 0.1 * (BOUNDS[1] - BOUNDS[0])
    assert bool(res.targets["within"].iloc[0])
    # the files say the same
    written = pd.read_csv(tmp_path / "fit" / "calibration" / "fit.csv", encoding="utf-8-sig")
    assert written["best"].iloc[0] == pytest.approx(fit["best"])
    trials = pd.read_csv(tmp_path / "fit" / "calibration" / "trials.csv", encoding="utf-8-sig")
    assert len(trials) == 30 and trials["objective"].min() == pytest.approx(fit["objective"])


def test_same_seed_same_fit_and_a_resumed_calibration_matches_an_uninterrupted_one(tmp_path):
    target = _synthetic_target(3)
    once = calibration.run(_scenario(target, 14), tmp_path / "a", charts=False)
    calibration.run(_scenario(target, 6), tmp_path / "b", charts=False)  # "interrupted"
    resumed = calibration.run(_scenario(target, 14), tmp_path / "b", charts=False)
    assert resumed.ran == 8
    pd.testing.assert_frame_equal(once.trials, resumed.trials)
    again = calibration.run(_scenario(target, 14), tmp_path / "b", charts=False)
    assert again.ran == 0  # the budget is spent: nothing runs again
    other = calibration.run(_scenario(target, 14, seed=1), tmp_path / "c", charts=False)
    assert not other.trials["river_spill.magnitude"].equals(once.trials["river_spill.magnitude"])
    restarted = calibration.run(_scenario(target, 14), tmp_path / "b", charts=False,
                                restart=True)
    assert restarted.ran == 14
    pd.testing.assert_frame_equal(once.trials, restarted.trials)


def test_workers_do_not_change_the_fit(tmp_path):
    target = _synthetic_target(3)
    one = calibration.run(_scenario(target, 5), tmp_path / "one", charts=False)
    two = calibration.run(_scenario(target, 5), tmp_path / "two", charts=False, workers=2)
    pd.testing.assert_frame_equal(one.trials, two.trials)


def test_a_small_calibration_on_the_songhua_replay(tmp_path, capsys):
    """The shipped example at a small budget, from the command line: the files, the charts in
    both languages, the report; then `run` into the same folder carries the section."""
    file = ROOT / "scenarios" / "calibrate_songhua_2005.yaml"
    code = main(["calibrate", str(file), "--out", str(tmp_path), "--trials", "8", "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "info.report_delay_hours = " in out and "target harbin.exposure" in out
    folder = tmp_path / "calibrate_songhua_2005" / "calibration"
    for name in ("fit.csv", "targets.csv", "trials.csv", "optuna.db", "report.html",
                 "report_zh.html", "report.md", "figures/calibration_fit.png",
                 "figures/calibration_fit_zh.pdf", "figures/calibration_trials_zh.png"):
        assert (folder / name).is_file(), name
    targets = pd.read_csv(folder / "targets.csv", encoding="utf-8-sig")
    assert list(targets["target"]) == ["jilin.reported", "harbin.warned", "harbin.arrival",
                                       "harbin.exposure"]
    assert set(targets["source"]) == {"songhua2005"}
    assert targets[["low", "tolerance"]].notna().all().all() or \
        targets["low"].isna().sum() == 1  # Harbin's warning has only a latest time
    page = (folder / "report_zh.html").read_text(encoding="utf-8")
    assert "校准" in page and "data:image/png;base64," in page
    # the study itself, run into the same folder, keeps the calibration and reports it
    code = main(["run", str(file), "--out", str(tmp_path), "--replications", "2", "--quiet",
                 "--lang", "en"])
    assert code == 0
    report = (tmp_path / "calibrate_songhua_2005" / "report.md").read_text(encoding="utf-8")
    assert "## Calibration" in report and "calibration/figures/calibration_fit.png" in report


def test_the_calibration_report_escapes_user_text(tmp_path):
    target = _synthetic_target(1)
    sc = load({**BASE, "regimes": [{"name": "t", "regime": "territorial",
                                    "label": "<script>alert(1)</script>"}],
               "calibrate": {"parameters": {"river_spill.magnitude": BOUNDS},
                             "targets": [{"outcome": "total_loss", "value": target}],
                             "trials": 3, "replications": 1}})
    res = calibration.run(sc, tmp_path / "x", langs=("en",))
    page = (res.path / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def _error(tmp_path, block: dict, extra: dict | None = None) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({**BASE, **(extra or {}), "calibrate": block},
                                   sort_keys=False), encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load(path)
    return str(exc.value)


def test_bad_calibrate_blocks_are_refused_with_file_line_and_key(tmp_path, capsys):
    good = {"parameters": {"river_spill.magnitude": BOUNDS},
            "targets": [{"outcome": "total_loss", "value": 2.0}]}
    msg = _error(tmp_path, {**good, "trails": 10})
    assert "bad.yaml:" in msg and "calibrate.trails: unknown key" in msg
    assert "did you mean 'trials'" in msg
    msg = _error(tmp_path, {**good, "targets": [{"outcome": "total_los", "value": 1}]})
    assert "calibrate.targets[0].outcome" in msg and "did you mean 'total_loss'" in msg
    msg = _error(tmp_path, {**good, "targets": [{"outcome": "total_loss"}]})
    assert "missing value" in msg
    msg = _error(tmp_path, {**good, "parameters": {"river_spill.magnitud": [1, 2]}})
    assert "calibrate.parameters.river_spill.magnitud" in msg and "did you mean" in msg
    msg = _error(tmp_path, {**good, "parameters": {"river_spill.magnitude": [150, 20]}})
    assert "low < high" in msg
    msg = _error(tmp_path, {**good, "targets": [{"timeline": "harbin.arrival"}]})
    assert "calibrate.targets[0].timeline" in msg  # no Harbin in a synthetic chain
    replay = {"params": {"region.kind": "songhua", "hazard.kind": "river_spill",
                         "hazard.origin": "jilin", "time.horizon_days": 25}}
    msg = _error(tmp_path, {**good, "targets": [{"timeline": "songyuan.warned"}]}, replay)
    assert "no documented warned at songyuan" in msg and "give the target a value" in msg
    msg = _error(tmp_path, {**good, "regime": "territorail"})
    assert "calibrate.regime" in msg and "did you mean" in msg
    # from the command line: exit 2, the message, no traceback, nothing written
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({**BASE, "calibrate": {**good, "trails": 3}}),
                    encoding="utf-8")
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "calibrate.trails" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    # a scenario without the block
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(BASE), encoding="utf-8")
    assert main(["calibrate", str(plain), "--out", str(tmp_path / "out")]) == 2
    assert "no calibrate: block" in capsys.readouterr().err


def test_objective_terms():
    window = {"kind": "timeline", "name": "a.arrival", "low": 10.0, "high": 20.0,
              "tolerance": 5.0, "weight": 1.0}
    assert calibration.term(window, 15) == 0
    assert calibration.term(window, 25) == pytest.approx(1.0)
    assert calibration.term(window, 0) == pytest.approx(4.0)
    assert calibration.term(window, math.nan) == calibration.MISSED
    value = {"kind": "outcome", "name": "total_loss", "value": 2.0, "scale": 0.5, "weight": 2}
    assert calibration.term(value, 3.0) == pytest.approx(8.0)


def test_a_trial_cut_short_is_dropped_and_the_fit_is_the_same(tmp_path):
    """A calibration killed inside a trial leaves it RUNNING in optuna's storage; the next run
    marks it failed and ends with the trials of an uninterrupted calibration."""
    import json

    import optuna

    target = _synthetic_target(3)
    once = calibration.run(_scenario(target, 8), tmp_path / "a", charts=False)
    calibration.run(_scenario(target, 4), tmp_path / "b", charts=False)
    folder = tmp_path / "b" / "calibration"
    name = json.loads((folder / "calibration.json").read_text(encoding="utf-8"))["study"]
    storage = optuna.storages.RDBStorage(f"sqlite:///{folder / 'optuna.db'}")
    optuna.load_study(study_name=name, storage=storage).ask()  # killed before its tell
    storage.engine.dispose()
    resumed = calibration.run(_scenario(target, 8), tmp_path / "b", charts=False)
    assert resumed.ran == 4
    pd.testing.assert_frame_equal(once.trials, resumed.trials)
