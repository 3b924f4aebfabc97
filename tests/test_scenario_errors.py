"""A corpus of broken scenarios: each is refused with exit code 2, a message that names the
problem, no traceback, and nothing written.

Each case is a YAML text, a substring the error message must contain ("{path}" stands for the
scenario file, "{dir}" for its folder), optional extra command-line arguments and optional
extra files (for `extends`). Cases marked xfail are validation bugs in sim/scenario.py that
are still open: they must start passing (strict) once it is fixed.
"""

import os
import resource
import subprocess
import sys

import pytest
import yaml

from sim.cli import main
from tests.conftest import ROOT, SMALL

GOOD = "name: x\nparams: {region.n_cities: 4, time.horizon_days: 2}\nreplications: 2\n"


def case(id_, text, expected, *, argv=(), files=None, bug=None):
    marks = [pytest.mark.xfail(reason=bug, strict=True)] if bug else []
    return pytest.param(text, expected, tuple(argv), files or {}, id=id_, marks=marks)


CASES = [
    # --- not YAML, or not a scenario at all
    case("syntax-unclosed-bracket", "name: [unclosed\n", "{path}:2: not valid YAML"),
    case("syntax-bad-indentation", "name: x\nparams:\n  a: 1\n b: 2\n",
         "{path}:4: not valid YAML"),
    case("syntax-colon-in-value", "name: x\nseed: 1: 2\n", "mapping values are not allowed"),
    case("syntax-tab-indentation", "name: x\nparams:\n\thazard.magnitude: 3\n",
         "{path}:3: not valid YAML: found character '\\t'"),
    case("syntax-unhashable-key", "name: x\n? [a, b]\n: 1\n", "not valid YAML"),
    case("tag-python-object-apply",
         'name: x\ndescription: !!python/object/apply:os.system ["touch {dir}/PWNED"]\n',
         "could not determine a constructor for the tag"),
    case("tag-python-name", "name: !!python/name:os.system\n",
         "could not determine a constructor for the tag"),
    case("tag-python-object-new", "name: !!python/object/new:os.system [echo hi]\n",
         "could not determine a constructor"),
    case("document-is-a-list", "- name: x\n- seed: 1\n", "expected a mapping of keys"),
    case("document-is-a-scalar", "quickstart\n", "expected a mapping of keys"),
    case("empty-file", "", "expected a mapping of keys"),
    case("only-comments", "# a study, one day\n", "expected a mapping of keys"),
    # --- wrong types
    case("replications-not-a-number", GOOD + "seed: 1\nreplications: ten\n",
         "replications: expected an integer >= 1, found 'ten'"),
    case("seed-a-float", "name: x\nseed: 1.5\n", "seed: expected an integer >= 0, found 1.5"),
    case("seed-a-bool", "name: x\nseed: true\n", "seed: expected an integer >= 0, found True"),
    case("name-a-number", "name: 123\n", "name: expected letters, digits"),
    case("description-a-list", "name: x\ndescription: [a]\n", "description: expected text"),
    case("params-a-list", "name: x\nparams: [1, 2]\n", "params: expected a mapping"),
    case("regimes-a-string", "name: x\nregimes: coordinated\n",
         "regimes: expected a non-empty list"),
    case("int-parameter-a-float", "name: x\nparams: {region.n_cities: 4.5}\n",
         "{path}:2: params.region.n_cities: expected an integer in [2, 1000], found 4.5"),
    case("number-parameter-a-bool", "name: x\nparams: {hazard.magnitude: true}\n",
         "params.hazard.magnitude: expected a number"),
    case("name-missing", "seed: 1\n", "name: missing"),
    # --- unknown keys and paths, with did-you-mean
    case("top-level-typo", GOOD + "replicatons: 3\n",
         "{path}:4: replicatons: unknown key (did you mean 'replications'?)"),
    case("parameter-typo", "name: x\nparams:\n  hazard.magnitud: 3\n",
         "{path}:3: params.hazard.magnitud: unknown parameter (did you mean "
         "'hazard.magnitude'?)"),
    case("nested-parameter-typo", "name: x\nparams:\n  region:\n    n_citys: 3\n",
         "did you mean 'region.n_cities'?"),
    case("sweep-parameter-typo", "name: x\nsweep:\n  region.reach_hour: [1, 2]\n",
         "sweep.factorial.region.reach_hour: unknown parameter (did you mean "
         "'region.reach_hours'?)"),
    case("regime-key-typo", "name: x\nregimes: [{name: c2, regime: coordinated, sett: {}}]\n",
         "regimes[0].sett: unknown key (did you mean 'set'?)"),
    case("regime-set-typo",
         "name: x\nregimes: [{name: c2, regime: coordinated, set: {info.relay_hour: 2}}]\n",
         "regimes[0].set.info.relay_hour: unknown parameter (did you mean 'info.relay_hours'?)"),
    case("points-parameter-typo", "name: x\nsweep: {points: [{region.reach_hour: 3}]}\n",
         "did you mean 'region.reach_hours'?"),
    case("choice-typo", "name: x\nparams: {hazard.kind: rivr_spill}\n",
         "did you mean 'river_spill'?"),
    # --- participation (参与): cities and groups are checked against the region
    case("participation-unknown-city",
         "name: x\nparams:\n  region.kind: jingjinji\n  participation:\n"
         "    platform: {exclude: [bejing]}\n",
         "{path}:5: params.participation.platform.exclude[0]: unknown city or group 'bejing' "
         "in region jingjinji (did you mean 'beijing'?)"),
    case("participation-unknown-city-in-a-regime",
         "name: x\nparams: {region.kind: jingjinji}\nregimes:\n  - territorial\n"
         "  - {name: out, regime: coordinated, set: {participation.fund: [tianjin, chengdee]}}\n",
         "{path}:5: regimes[1].set.participation.fund.only[1]: unknown city or group "
         "'chengdee' in region jingjinji (did you mean 'chengde'?)"),
    case("participation-unknown-city-in-a-group",
         "name: x\nparams:\n  region.kind: jingjinji\n  participation.groups:\n"
         "    north: [zhangjiakou, chengdu]\n",
         "{path}:5: params.participation.groups.north[1]: unknown city 'chengdu' in region "
         "jingjinji (did you mean 'chengde'?)"),
    case("participation-key-typo",
         "name: x\nparams:\n  participation.fund: {excude: [c1]}\n",
         "{path}:3: params.participation.fund: excude: unknown key (did you mean 'exclude'?)"),
    case("participation-only-and-exclude",
         "name: x\nparams:\n  participation.fund: {only: [c1], exclude: [c2]}\n",
         "params.participation.fund: give only or exclude, not both"),
    case("participation-not-a-list",
         "name: x\nparams:\n  participation.platform: {only: 3.5}\n",
         "params.participation.platform: only: expected a list of cities or groups, found 3.5"),
    case("record-events-not-a-bool", GOOD + "record: {events: yes please}\n",
         "record.events: expected true or false, found 'yes please'"),
    # --- values out of range
    case("negative-magnitude", "name: x\nseed: 1\nparams:\n  hazard.magnitude: -3\n",
         "{path}:4: params.hazard.magnitude: expected a number in [0, 1e+09], found -3"),
    case("too-few-cities", "name: x\nparams: {region.n_cities: 1}\n",
         "params.region.n_cities: expected an integer in [2, 1000], found 1"),
    case("nan-parameter", "name: x\nparams: {region.reach_hours: .nan}\n",
         "params.region.reach_hours: expected a number in [0.5, 2000], found NaN"),
    case("sweep-value-out-of-range", "name: x\nsweep:\n  region.reach_hours: [12, 0.1]\n",
         "sweep.factorial.region.reach_hours[1]: expected a number in [0.5, 2000], found 0.1"),
    case("zero-replications", "name: x\nreplications: 0\n", "replications: expected an integer"),
    case("negative-seed", "name: x\nseed: -1\n", "seed: expected an integer >= 0, found -1"),
    case("zero-max-runs", "name: x\nmax_runs: 0\n", "max_runs: expected an integer >= 1"),
    # --- regimes and baseline
    case("unknown-regime", "name: x\nregimes: [territorial, cordinated]\n",
         "{path}:2: regimes[1].regime: unknown regime 'cordinated' (did you mean "
         "'coordinated'?)"),
    case("duplicate-regime", "name: x\nregimes: [territorial, territorial]\n",
         "duplicate regime name 'territorial'"),
    case("duplicate-variant-name",
         "name: x\nregimes: [{name: c, regime: coordinated}, {name: c, regime: territorial}]\n",
         "regimes[1].name: duplicate regime name 'c'"),
    case("empty-regimes", "name: x\nregimes: []\n", "regimes: expected a non-empty list"),
    case("bad-baseline", "name: x\nbaseline: coordinatd\n",
         "baseline: expected one of the study's regimes"),
    case("baseline-not-in-study", "name: x\nregimes: [coordinated]\nbaseline: territorial\n",
         "found 'territorial'"),
    case("regime-given-as-a-list", "name: x\nregimes: [{regime: [coordinated]}]\n",
         "regimes[0].regime"),
    # --- sweeps
    case("empty-sweep-list", "name: x\nsweep:\n  region.reach_hours: []\n",
         "sweep.factorial.region.reach_hours: empty list"),
    case("empty-points", "name: x\nsweep: {points: []}\n", "sweep.points: expected a non-empty"),
    case("sweep-not-a-mapping", "name: x\nsweep: [1, 2]\n", "sweep: expected a mapping"),
    case("range-step-zero", "name: x\nsweep:\n  region.reach_hours: {from: 1, to: 5, step: 0}\n",
         "region.reach_hours.step: a step of 0 never gets from 1 to 5"),
    case("range-wrong-direction",
         "name: x\nsweep:\n  region.reach_hours: {from: 10, to: 1, step: 1}\n",
         "a step of 1 never gets from 10 to 1"),
    case("range-not-numbers", "name: x\nsweep:\n  region.reach_hours: {from: a, to: 1, step: 1}\n",
         "expected numbers in the range"),
    case("range-num-zero", "name: x\nsweep:\n  region.reach_hours: {from: 1, to: 5, num: 0}\n",
         "region.reach_hours.num: expected an integer >= 1, found 0"),
    case("range-missing-step", "name: x\nsweep:\n  region.reach_hours: {from: 1, to: 5}\n",
         "expected a list of values or a range"),
    case("range-step-nan",
         "name: x\nsweep:\n  region.reach_hours: {from: 1, to: 10, step: .nan}\n",
         "region.reach_hours"),
    case("range-to-infinity",
         "name: x\nsweep:\n  region.reach_hours: {from: 1, to: .inf, step: 1}\n",
         "region.reach_hours"),
    case("range-too-many-values",
         "name: x\nsweep:\n  region.reach_hours: {from: 1, to: 10, num: 4611686018427387904}\n",
         "max_runs"),
    case("zip-length-mismatch",
         "name: x\nsweep:\n  zip: {region.reach_hours: [1, 2], region.n_cities: [3, 4, 5]}\n",
         "sweep.zip: zipped parameters need lists of equal length, found lengths [2, 3]"),
    case("lhs-low-equals-high",
         "name: x\nsweep:\n  lhs: {samples: 3, bounds: {region.reach_hours: [5, 5]}}\n",
         "sweep.lhs.bounds.region.reach_hours: expected [low, high] with low < high"),
    case("lhs-low-above-high",
         "name: x\nsweep:\n  lhs: {samples: 3, bounds: {region.reach_hours: [9, 1]}}\n",
         "expected [low, high] with low < high, found [9, 1]"),
    case("lhs-zero-samples",
         "name: x\nsweep:\n  lhs: {samples: 0, bounds: {region.reach_hours: [1, 5]}}\n",
         "sweep.lhs.samples: expected an integer >= 1, found 0"),
    case("random-without-bounds", "name: x\nsweep:\n  random: {samples: 3}\n",
         "sweep.random: expected {samples: n, bounds:"),
    case("lhs-seed-not-a-number",
         "name: x\nsweep:\n  lhs: {samples: 3, seed: abc, bounds: {region.reach_hours: [1, 5]}}\n",
         "sweep.lhs.seed"),
    case("unknown-sweep-kind",
         "name: x\nsweep:\n  factorial: {region.reach_hours: [1]}\n"
         "  zipp: {region.n_cities: [3]}\n",
         "sweep.zipp: unknown sweep kind (did you mean 'zip'?)"),
    case("swept-twice",
         "name: x\nsweep:\n  factorial: {region.reach_hours: [1, 2]}\n"
         "  zip: {region.reach_hours: [3]}\n",
         "region.reach_hours is swept twice"),
    # --- names that would escape the results folder
    case("name-parent-traversal", "name: ../x\n", "name: expected letters, digits"),
    case("name-with-slash", "name: a/b\n", "name: expected letters, digits"),
    case("name-absolute", "name: /etc\n", "name: expected letters, digits"),
    case("name-hidden", "name: .hidden\n", "name: expected letters, digits"),
    case("name-trailing-newline", 'name: "quick\\n"\n', "names the results folder"),
    case("regime-name-traversal", "name: x\nregimes: [{name: ../evil, regime: coordinated}]\n",
         "regimes[0].name: expected letters, digits"),
    case("regime-name-with-slash", "name: x\nregimes: [{name: a/b, regime: coordinated}]\n",
         "regimes[0].name: expected letters, digits"),
    # --- plan size
    case("plan-larger-than-max-runs", GOOD + "max_runs: 3\n",
         "the plan has 4 runs, more than max_runs (3); raise max_runs in the file or pass --yes"),
    # --- extends
    case("extends-missing-file", "extends: nowhere.yaml\nname: x\n",
         "{dir}/nowhere.yaml: file not found"),
    case("extends-not-a-path", "name: x\nextends: 5\n", "extends: expected a file path"),
    case("extends-itself", "extends: case.yaml\nname: x\n", "circular reference"),
    case("extends-circular", "extends: a.yaml\nname: x\n", "circular reference",
         files={"a.yaml": "extends: b.yaml\nname: a\n", "b.yaml": "extends: a.yaml\nname: b\n"}),
    case("extends-broken-parent", "extends: a.yaml\nname: x\n", "{dir}/a.yaml:2: not valid YAML",
         files={"a.yaml": "name: [\n"}),
    # --- command line overrides
    case("set-unknown-key", GOOD, "--set hazard.magnitud: unknown parameter 'hazard.magnitud' "
         "(did you mean 'hazard.magnitude'?)", argv=["--set", "hazard.magnitud=4"]),
    case("set-out-of-range", GOOD, "--set hazard.magnitude: expected a number in [0, 1e+09]",
         argv=["--set", "hazard.magnitude=-1"]),
    case("set-swept-parameter", GOOD + "sweep: {region.reach_hours: [1, 2]}\n",
         "--set region.reach_hours: this parameter is swept", argv=["--set",
                                                                    "region.reach_hours=3"]),
    # --- record and charts
    case("record-series-an-int", "name: x\nrecord: {series: 1}\n",
         "record.series: expected true or false, found 1"),
    case("record-series-a-string", "name: x\nrecord: {series: 'yes'}\n",
         "record.series: expected true or false, found 'yes'"),
    case("record-typo", "name: x\nrecord: {serie: true}\n",
         "record.serie: unknown key (did you mean 'series'?)"),
    case("record-not-a-mapping", "name: x\nrecord: [series]\n", "record: expected a mapping"),
    case("unknown-chart", "name: x\ncharts: [timeseris]\n",
         "charts[0]: unknown chart 'timeseris' (did you mean 'timeseries'?)"),
    case("charts-not-a-list", "name: x\ncharts: timeseries\n",
         "charts: expected a list of chart names"),
    # --- settings that contradict each other
    case("unknown-origin-city", "name: x\nparams: {hazard.origin: harbn}\n",
         "hazard.origin: unknown city 'harbn'"),
    # --- chart_options
    case("chart-options-unknown-chart", "name: x\nchart_options: {heatmapp: {}}\n",
         "{path}:2: chart_options.heatmapp: unknown chart (did you mean 'heatmap'?)"),
    case("chart-options-unknown-option",
         "name: x\nchart_options:\n  timeseries: {pannels: [mean_trust]}\n",
         "{path}:3: chart_options.timeseries.pannels: unknown option (did you mean 'panels'?)"),
    case("chart-options-misspelt-outcome",
         "name: x\nchart_options:\n  regime_comparison: {outcomes: [mean_trst]}\n",
         "chart_options.regime_comparison.outcomes: expected an outcome (python run.py list "
         "shows them), found 'mean_trst' (did you mean 'mean_trust'?)"),
    case("chart-options-panel-not-a-list",
         "name: x\nchart_options:\n  timeseries: {panels: mean_trust}\n",
         "chart_options.timeseries.panels: expected a non-empty list, found 'mean_trust'"),
    case("chart-options-unswept-axis",
         "name: x\nchart_options:\n  heatmap: {x: hazard.magnitude}\n",
         "chart_options.heatmap.x: expected a swept parameter (none), found 'hazard.magnitude'"),
]


def _write(tmp_path, text, files):
    for name, body in files.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    path = tmp_path / "case.yaml"
    path.write_text(text.replace("{dir}", str(tmp_path)), encoding="utf-8")
    return path


def test_the_corpus_is_large():
    assert len(CASES) >= 30


@pytest.mark.parametrize(("text", "expected", "argv", "files"), CASES)
def test_broken_scenario_is_refused_clearly_and_writes_nothing(text, expected, argv, files,
                                                               tmp_path, capsys):
    path = _write(tmp_path, text, files)
    expected = expected.replace("{path}", str(path)).replace("{dir}", str(tmp_path))
    if not argv:  # `validate` takes no overrides
        assert main(["validate", str(path)]) == 2
        err = capsys.readouterr().err
        assert expected in err, err
        assert err.startswith("error: ") and "Traceback" not in err
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet", "--no-charts", *argv]) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert "Traceback" not in err
    assert not out.exists(), "a refused scenario must write nothing"
    assert not (tmp_path / "PWNED").exists(), "a YAML tag ran a command"


def test_a_plan_larger_than_max_runs_is_accepted_with_yes(tmp_path, capsys):
    path = _write(tmp_path, GOOD + "max_runs: 3\n", {})
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--dry-run"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert main(["run", str(path), "--out", str(out), "--dry-run", "--yes"]) == 0
    assert "4 in chunks" in capsys.readouterr().out
    assert main(["run", str(path), "--out", str(out), "--yes", "--quiet", "--no-charts"]) == 0
    assert (out / "x" / "runs.csv").exists()


def test_every_problem_is_reported_at_once(tmp_path, capsys):
    text = ("name: ../x\nreplicatons: 3\nparams: {hazard.magnitude: -1}\n"
            "regimes: [territorial, cordinated]\ncharts: [timeseris]\n")
    path = _write(tmp_path, text, {})
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    for word in ("name:", "replicatons", "hazard.magnitude", "cordinated", "timeseris"):
        assert word in err
    assert err.count("error: ") == 5


def test_a_non_numeric_lhs_bound_is_not_suggested_as_its_own_correction(tmp_path, capsys):
    path = _write(tmp_path, "name: x\nsweep:\n  lhs: {samples: 3, bounds: {hazard.kind: [1, 5]}}\n",
                  {})
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "hazard.kind" in err and "numeric" in err
    assert "did you mean 'hazard.kind'" not in err


def test_a_duplicate_key_is_refused(tmp_path, capsys):
    path = _write(tmp_path, "name: x\nseed: 1\nseed: 2\n", {})
    assert main(["validate", str(path)]) == 2
    assert f"{path}:3: seed: duplicate key" in capsys.readouterr().err


def test_a_valid_dict_scenario_still_passes(tmp_path):
    path = _write(tmp_path, yaml.safe_dump(SMALL), {})
    assert main(["validate", str(path)]) == 0


HUGE = {
    "factorial-product": "name: x\nsweep:\n"
                         "  region.reach_hours: {from: 1, to: 1000, num: 1000}\n"
                         "  region.attenuation: {from: 0, to: 1, num: 1000}\n"
                         "  region.spacing_km: {from: 1, to: 1000, num: 1000}\n",
    "lhs-samples": "name: x\nsweep:\n"
                   "  lhs: {samples: 1000000000, bounds: {region.reach_hours: [1, 5]}}\n",
}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS as a safety net")
@pytest.mark.parametrize("kind", sorted(HUGE))
def test_a_sweep_too_large_to_expand_is_refused_before_it_is_built(kind, tmp_path):
    path = _write(tmp_path, HUGE[kind], {})

    def limit_memory():  # so that, while the bug lasts, the child fails fast instead of
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))  # eating RAM

    proc = subprocess.run([sys.executable, "run.py", "validate", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False,
                          preexec_fn=limit_memory, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert proc.returncode == 2, proc.stderr[-500:]
    assert "max_runs" in proc.stderr and "Traceback" not in proc.stderr
