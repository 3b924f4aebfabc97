"""The command line as a user meets it: exit codes, files written, clear errors."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from tests.conftest import ROOT, SMALL, write_yaml


def test_run_writes_rows_summary_charts_and_resolved_scenario(small_scenario, tmp_path, capsys):
    out = tmp_path / "out"
    assert main([str(small_scenario), "--out", str(out), "--quiet", "--lang", "en"]) == 0
    folder = out / "small"
    runs = pd.read_csv(folder / "runs.csv")
    assert len(runs) == 2 * 2 * 4  # regimes x sweep points x replications
    for column in ("regime", "region.reach_hours", "total_loss", "spillover_share",
                   "warning_lead_time"):
        assert column in runs.columns
    summary = pd.read_csv(folder / "summary.csv")
    assert {"mean", "ci_low", "ci_high", "n"} <= set(summary.columns)
    for name in ("regime_comparison", "sweep_response", "timeseries"):
        assert (folder / "figures" / f"{name}.png").stat().st_size > 10_000
        assert (folder / "figures" / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    assert (folder / "scenario.resolved.yaml").exists()
    assert (folder / "manifest.json").exists()
    printed = capsys.readouterr().out
    assert str(folder) in printed and "figures" in printed


def test_malformed_scenario_exits_2_naming_the_key_and_writes_nothing(tmp_path, capsys):
    bad = dict(SMALL, replicatons=3)
    path = write_yaml(tmp_path / "bad.yaml", bad)
    out = tmp_path / "out"
    assert main([str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "replicatons" in err and "did you mean 'replications'" in err
    assert str(path) in err
    assert not out.exists()


def test_bad_value_reports_file_line_path_expected_and_found(tmp_path, capsys):
    text = "name: x\nseed: 1\nparams:\n  hazard.magnitude: -3\nregimes: [territorial, cordinated]\n"
    path = write_yaml(tmp_path / "bad.yaml", text)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:4: params.hazard.magnitude: expected a number in [0, 1e+09], found -3" in err
    assert f"{path}:5: regimes[1].regime: unknown regime 'cordinated' (did you mean " \
           "'coordinated'?)" in err


def test_no_traceback_from_the_real_entry_point(tmp_path):
    path = write_yaml(tmp_path / "bad.yaml", "name: [unclosed\n")
    proc = subprocess.run([sys.executable, "run.py", str(path)], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "not valid YAML" in proc.stderr


def test_set_overrides_and_bad_set_is_a_usage_error(small_scenario, tmp_path, capsys):
    out = tmp_path / "o"
    assert main([str(small_scenario), "--out", str(out), "--quiet", "--no-charts",
                 "--set", "river_spill.magnitude=40", "--replications", "2"]) == 0
    resolved = (out / "small" / "scenario.resolved.yaml").read_text()
    assert "river_spill.magnitude: 40" in resolved
    assert main([str(small_scenario), "--out", str(out), "--set", "river_spill.magnitude"]) == 2
    assert main([str(small_scenario), "--out", str(out), "--set", "hazard.magnitud=4"]) == 2
    assert "did you mean 'hazard.magnitude'" in capsys.readouterr().err


def test_plot_redraws_from_saved_results(small_scenario, tmp_path):
    out = tmp_path / "out"
    assert main([str(small_scenario), "--out", str(out), "--quiet", "--no-charts"]) == 0
    figures = out / "small" / "figures"
    assert not figures.exists()
    assert main(["plot", str(out / "small"), "--chart", "regime_comparison", "--lang", "zh"]) == 0
    assert (figures / "regime_comparison_zh.png").exists()
    assert (figures / "regime_comparison_zh.pdf").exists()
    assert not (figures / "regime_comparison_zh.svg").exists()  # SVG only on request
    assert main(["plot", str(out / "small"), "--chart", "regime_comparison", "--svg"]) == 0
    assert (figures / "regime_comparison.svg").exists()


def test_validate_accepts_every_shipped_scenario(capsys):
    files = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    assert files
    assert main(["validate", *files]) == 0


def test_list_shows_regimes_parameters_and_outcomes(capsys):
    assert main(["list"]) == 0
    text = capsys.readouterr().out
    for word in ("territorial", "coordinated", "river_chain", "river_spill",
                 "responsibility.external_weight", "spillover_share", "发生地为主"):
        assert word in text


def test_dry_run_prints_the_plan_and_writes_nothing(small_scenario, tmp_path, capsys):
    out = tmp_path / "out"
    assert main([str(small_scenario), "--out", str(out), "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "16" in text and "estimate" in text
    assert not out.exists()


def test_workers_default_to_every_core_this_process_may_use(small_scenario, tmp_path,
                                                            monkeypatch, capsys):
    import os

    from sim import cli, runner

    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
        else os.cpu_count()
    assert runner.available_cores() == expected
    monkeypatch.setattr(cli, "_default_workers", lambda: 3)  # as on a 3-core machine
    argv = [str(small_scenario), "--out", str(tmp_path / "out"), "--dry-run"]
    assert main(argv) == 0
    assert "on 3 worker(s)" in capsys.readouterr().out
    assert main([*argv, "--workers", "1"]) == 0
    assert "on 1 worker(s)" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "the number of cores, 3 here" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"]])
def test_help_has_examples(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    assert "--set hazard.magnitude=50" in capsys.readouterr().out


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = next(line.strip() for line in readme.splitlines() if "pytest" in line
                   and line.strip().startswith("python3.12"))
    assert command in ci
    assert Path(ROOT / "scenarios" / "quickstart.yaml").exists()
