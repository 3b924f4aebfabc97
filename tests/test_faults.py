"""Fault injection: results that cannot be silently wrong (issue 13).

Each test plants one fault a user, a cluster or an attacker could cause (an input file edited
between a shard and its resume, a chunk copied, truncated, foreign or stray, a symbolic link in
a results folder, hostile YAML, impossible region values, a plan too large to build, a damaged
manifest, a full disk, a second run on one folder) and checks that kuayu either repairs it
(recomputing what is damaged) or refuses with exit code 2 and a message naming what is wrong,
never a traceback and never a wrong table with exit code 0.

Tests that would hang or eat memory without their fix run in a child process with a timeout
and a memory limit.
"""

import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from sim import runner, safeio
from sim.cli import main as cli_main
from sim.study import open_results, run_study
from tests.conftest import ROOT, SMALL, write_yaml

# SMALL has 16 runs in 16 chunks of one run each; TINY is cheaper still.
TINY = dict(SMALL, name="tiny", replications=2, sweep={"region.reach_hours": [12, 36]},
            params={"region.n_cities": 3, "time.horizon_days": 2})
RUN = ["--quiet", "--no-charts"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """TINY run once, whole: the table every repaired folder must give."""
    out = tmp_path_factory.mktemp("reference") / "tiny"
    return run_study(TINY, out=out, charts=False).runs


def main(argv) -> int:
    return cli_main([str(a) for a in argv])


def _cli(args, timeout=60, memory=2_000_000_000):
    """run.py in a child process, with a timeout and an address-space limit (so that a
    regression fails fast instead of hanging or eating the machine's memory)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run([sys.executable, "run.py", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False,
                          preexec_fn=limit if sys.platform.startswith("linux") else None,
                          env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})


def _study(tmp_path, data=TINY):
    path = write_yaml(tmp_path / "study.yaml", data)
    return path, tmp_path / "out"


# --- 1. the region file is part of the study's identity ---------------------------------------
CITIES = ("id,name_zh,name_en,lat,lon,population_m,gdp_tn_cny\n"
          "a,甲,A,30.0,115.0,2.0,0.2\nb,乙,B,30.0,115.5,3.0,0.3\nc,丙,C,30.0,116.0,{c},0.4\n")
RIVERS = "from,to,travel_hours,attenuation\na,b,12,0.9\nb,c,{hours},0.9\n"


def _region_study(tmp_path, c="3.5", hours="12"):
    (tmp_path / "cities.csv").write_text(CITIES.format(c=c), encoding="utf-8")
    (tmp_path / "cities_rivers.csv").write_text(RIVERS.format(hours=hours), encoding="utf-8")
    data = dict(TINY, params={"region.kind": "file", "region.file": str(tmp_path / "cities.csv"),
                              "time.horizon_days": 2})
    return _study(tmp_path, data)


def test_a_region_file_edited_between_shard_and_resume_is_refused_naming_it(tmp_path, capsys):
    path, out = _region_study(tmp_path)
    assert main([str(path), "--out", out, "--shard", "0/2", *RUN]) == 0
    (tmp_path / "cities.csv").write_text(CITIES.format(c="35.0"), encoding="utf-8")
    capsys.readouterr()
    assert main([str(path), "--out", out, "--shard", "1/2", *RUN]) == 2
    err = capsys.readouterr().err
    assert "cities.csv has changed since it was run" in err and "--overwrite" in err
    assert "Traceback" not in err
    # By the user's choice, the study is computed again, all of it on the new region.
    assert main([str(path), "--out", out, "--overwrite", *RUN]) == 0
    fresh = run_study(str(path), out=tmp_path / "fresh", charts=False).runs
    pd.testing.assert_frame_equal(open_results(out / "tiny").runs, fresh, check_exact=True)


def test_a_region_file_edited_while_the_study_runs_stops_it(tmp_path, monkeypatch, capsys):
    path, out = _region_study(tmp_path)
    real, calls = runner.run_chunk, []

    def edit_before_the_fourth(*args):
        calls.append(args[0])
        if len(calls) == 4:
            (tmp_path / "cities.csv").write_text(CITIES.format(c="35.0"), encoding="utf-8")
        return real(*args)

    monkeypatch.setattr(runner, "run_chunk", edit_before_the_fourth)
    assert main([str(path), "--out", out, *RUN]) == 2
    err = capsys.readouterr().err
    assert "cities.csv changed while the study was running" in err and "Traceback" not in err
    folder = out / "tiny"
    assert runner.done_chunks(folder) == {0, 1, 2}
    assert json.loads((folder / "manifest.json").read_text())["status"] == "interrupted"


def test_a_rivers_file_edited_changes_the_fingerprint_too(tmp_path):
    from sim.scenario import load

    path, _ = _region_study(tmp_path)
    before = load(path).fingerprint()
    (tmp_path / "cities_rivers.csv").write_text(RIVERS.format(hours="30"), encoding="utf-8")
    assert load(path).fingerprint() != before


# --- 2 and 7. chunks are verified against the plan --------------------------------------------
def _folder(tmp_path):
    out = tmp_path / "out" / "tiny"
    run_study(TINY, out=out, charts=False)
    return out


def _chunk(folder, i, sub="runs", ext="parquet"):
    return folder / sub / f"chunk-{i:06d}.{ext}"


@pytest.mark.parametrize("fault", ["copied-over", "truncated", "zero-byte", "record-missing",
                                   "series-truncated"])
def test_a_damaged_chunk_is_refused_by_plot_and_recomputed_by_a_resume(
        fault, tmp_path, reference, capsys):
    folder = _folder(tmp_path)
    target = _chunk(folder, 2)
    if fault == "copied-over":  # the copy has other run ids: 2 duplicates, 2 runs lost
        shutil.copyfile(_chunk(folder, 1), target)
    elif fault == "truncated":
        target.write_bytes(target.read_bytes()[:100])
    elif fault == "zero-byte":
        target.write_bytes(b"")
    elif fault == "record-missing":  # killed between the runs file and its record
        _chunk(folder, 2, ext="json").unlink()
    else:
        series = _chunk(folder, 2, "series")
        series.write_bytes(series.read_bytes()[:-10])
    assert main(["plot", folder]) == 2
    err = capsys.readouterr().err
    assert "chunk 2" in err and "run the study again" in err and "Traceback" not in err
    path = write_yaml(tmp_path / "tiny.yaml", TINY)
    assert main([str(path), "--out", tmp_path / "out", *RUN]) == 0
    err = capsys.readouterr().err
    assert "chunk 2 is damaged and will be computed again" in err
    pd.testing.assert_frame_equal(open_results(folder).runs, reference, check_exact=True)
    assert pd.read_csv(folder / "runs.csv")["run_id"].tolist() == list(range(8))


def test_a_chunk_and_its_record_copied_over_another_are_caught(tmp_path, reference, capsys):
    folder = _folder(tmp_path)
    for ext in ("parquet", "json"):
        shutil.copyfile(_chunk(folder, 1, ext=ext), _chunk(folder, 2, ext=ext))
    with pytest.raises(runner.DamagedResults, match="chunk 2"):
        open_results(folder)
    run_study(TINY, out=folder, charts=False)
    pd.testing.assert_frame_equal(open_results(folder).runs, reference, check_exact=True)


def test_a_foreign_chunk_is_refused_by_run_plot_and_merge(tmp_path, capsys):
    folder = _folder(tmp_path)
    other = tmp_path / "other" / "tiny"
    run_study(dict(TINY, seed=99), out=other, charts=False)
    for ext in ("parquet", "json"):
        shutil.copyfile(_chunk(other, 3, ext=ext), _chunk(folder, 3, ext=ext))
    before = _chunk(folder, 3).read_bytes()
    path = write_yaml(tmp_path / "tiny.yaml", TINY)
    for argv in ([str(path), "--out", tmp_path / "out", *RUN], ["plot", folder],
                 ["merge", folder, "--no-charts"]):
        assert main([str(a) for a in argv]) == 2
        err = capsys.readouterr().err
        assert "chunk 3" in err and "another study" in err and "Traceback" not in err
    assert _chunk(folder, 3).read_bytes() == before  # refused, not silently replaced
    # Chunks beyond the plan (of a larger study) are foreign too.
    shutil.copyfile(_chunk(folder, 1), _chunk(folder, 40))
    with pytest.raises(runner.DamagedResults, match="not part of this plan"):
        open_results(folder)


def test_stray_files_are_ignored_and_reported(tmp_path, reference, capsys):
    folder = _folder(tmp_path)
    shutil.copyfile(_chunk(folder, 1), folder / "runs" / "chunk-000001 (copy).parquet")
    shutil.copyfile(_chunk(folder, 1, "series"), folder / "series" / "chunk-1.parquet")
    assert main(["plot", folder, "--chart", "regime_comparison", "--lang", "en"]) == 0
    err = capsys.readouterr().err
    assert "ignored (not chunks of this study): runs/chunk-000001 (copy).parquet" in err
    res = open_results(folder)
    pd.testing.assert_frame_equal(res.runs, reference, check_exact=True)
    assert res.series["run_id"].nunique() == 8
    assert main(["merge", folder, "--no-charts"]) == 0
    assert pd.read_csv(folder / "runs.csv")["run_id"].tolist() == list(range(8))


def test_stray_per_city_files_are_not_read_into_maps(tmp_path):
    out = tmp_path / "tiny"
    run_study(dict(TINY, record={"series": True, "cities": True}), out=out, charts=False)
    shutil.copyfile(_chunk(out, 0, "cities"), out / "cities" / "chunk-000000 (copy).parquet")
    frame, regions = open_results(out).cities
    assert not frame.duplicated(["run_id", "step", "city"]).any()
    assert sorted(regions) == sorted(frame["run_id"].unique())


def test_a_folder_of_an_older_kuayu_is_still_read(tmp_path, reference):
    folder = _folder(tmp_path)
    for record in (folder / "runs").glob("chunk-*.json"):
        record.unlink()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del manifest["format"]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    pd.testing.assert_frame_equal(open_results(folder).runs, reference, check_exact=True)


def test_plot_of_an_unfinished_study_says_so(tmp_path, capsys):
    out = tmp_path / "tiny"
    run_study(TINY, out=out, shard=(0, 2), charts=False)
    assert main(["plot", out, "--chart", "regime_comparison", "--lang", "en"]) == 0
    assert "holds 4 of 8 chunks (status 'partial')" in capsys.readouterr().err


def test_merge_replaces_a_damaged_chunk_with_a_good_copy_from_another_shard(tmp_path, reference):
    a, b = tmp_path / "a", tmp_path / "b"
    run_study(TINY, out=a, charts=False)  # complete, then damaged
    run_study(TINY, out=b, shard=(0, 2), charts=False)
    _chunk(a, 2).write_bytes(b"")
    assert main(["merge", str(a), str(b), "--no-charts"]) == 0
    pd.testing.assert_frame_equal(open_results(a).runs, reference, check_exact=True)


def test_merge_lists_a_chunk_damaged_everywhere(tmp_path, capsys):
    a = tmp_path / "a"
    run_study(TINY, out=a, shard=(0, 2), charts=False)
    _chunk(a, 2).write_bytes(b"")
    assert main(["merge", str(a), "--no-charts"]) == 2
    err = capsys.readouterr().err
    assert "5 of 8 chunks are missing: 1-3, 5, 7" in err
    assert "chunk 2: runs/chunk-000002.parquet has 0 bytes" in err


# --- 3. nothing is written through a symbolic link --------------------------------------------
@pytest.mark.parametrize("link", ["runs", "figures", "report.html", "runs.csv"])
def test_a_link_planted_in_a_results_folder_is_refused(link, tmp_path, capsys):
    folder = _folder(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "precious.txt"
    victim.write_text("keep me", encoding="utf-8")
    planted = folder / link
    if planted.is_dir():
        shutil.rmtree(planted)
    elif planted.exists():
        planted.unlink()
    planted.symlink_to(outside if "." not in link else victim)
    path = write_yaml(tmp_path / "tiny.yaml", TINY)
    for argv in (["plot", folder], [path, "--out", tmp_path / "out", "--quiet"],
                 ["merge", folder]):
        assert main([str(a) for a in argv]) == 2
        err = capsys.readouterr().err
        assert "symbolic link" in err and "Traceback" not in err
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in outside.iterdir()) == ["precious.txt"]


def test_results_files_are_as_readable_as_the_umask_allows(tmp_path):
    folder = _folder(tmp_path)
    mask = os.umask(0)
    os.umask(mask)
    for path in (folder / "manifest.json", _chunk(folder, 0), _chunk(folder, 0, ext="json"),
                 folder / "runs.csv"):
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path


def test_atomic_writes_replace_a_link_instead_of_following_it(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    folder = tmp_path / "res"
    folder.mkdir()
    (folder / "table.csv").symlink_to(victim)
    safeio.atomic_text(folder / "table.csv", "new", root=folder)
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not (folder / "table.csv").is_symlink()
    (folder / "sub").symlink_to(tmp_path)
    with pytest.raises(safeio.UnsafeFolder, match="symbolic link"):
        safeio.atomic_text(folder / "sub" / "victim.txt", "x", root=folder)
    assert victim.read_text(encoding="utf-8") == "keep me"


# --- 5. bounded input -------------------------------------------------------------------------
LAUGHS = ("name: x\nl0: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
          + "".join(f"l{i}: &{chr(97 + i)} [{', '.join(['*' + chr(96 + i)] * 10)}]\n"
                    for i in range(1, 9))
          + "description: *i\n")


@pytest.mark.parametrize(("text", "expected"), [
    (LAUGHS, "expands to more than 1,000,000 values"),
    ("name: x\ndescription: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 50 levels"),
    ("name: x\nseed: " + "7" * 5000 + "\n", "an integer of 5,000 digits"),
    ("name: x\nseed: 99999999999999999999\n", "does not fit in 64 bits"),
    ('name: x\ndescription: "\\ud800"\n', "lone surrogate"),
    ("name: x\nparams: {region.n_cities: .inf}\n", "region.n_cities: expected an integer in"),
    ("name: x\nparams: {hazard.magnitude: 1.0e+400}\n", "(a finite number), found inf"),
    ("name: x\nsweep: {morris: {trajectories: 4, levels: 1000000000, "
     "bounds: {hazard.magnitude: [20, 100]}}}\n", "levels: expected at most 100 levels"),
    ("name: x\nmax_runs: 1000000000000\n", "max_runs: expected an integer >= 1 and at most"),
    ("name: 长三角研究\nregimes: [territorial, {name: CON, regime: coordinated}]\n",
     "'CON' is a device name on Windows"),
])
def test_hostile_yaml_is_refused_quickly_with_a_short_message(text, expected, tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    start = time.monotonic()
    proc = _cli(["validate", path], timeout=60)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert expected in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert len(proc.stderr) < 5000 and time.monotonic() - start < 30


def test_a_lone_surrogate_from_python_is_refused_before_anything_is_written(tmp_path):
    from sim.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="lone surrogate"):
        run_study(dict(TINY, description="bad \ud800 text"), out=tmp_path / "o", charts=False)
    assert not (tmp_path / "o").exists()


def test_billion_laughs_through_set_is_refused(tmp_path):
    path = write_yaml(tmp_path / "tiny.yaml", TINY)
    value = LAUGHS.split("\n", 1)[1].replace("\n", ", ").replace("description: *i", "z: *i")
    proc = _cli([path, "--set", f"region.file={{{value}}}", "--dry-run"], timeout=60)
    assert proc.returncode == 2 and "expands to more than" in proc.stderr, proc.stderr[-2000:]
    assert len(proc.stderr) < 5000


def test_extends_refuses_devices_fifos_long_chains_and_other_files(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    cases = {"extends: /dev/zero\n": "expected a scenario file (.yaml or .yml)",
             "extends: pipe.yaml\n": "expected a regular scenario file",
             "extends: /etc/passwd\n": "expected a scenario file (.yaml or .yml)"}
    for i in range(30):
        write_yaml(tmp_path / f"p{i}.yaml", f"extends: p{i + 1}.yaml\n" if i < 29 else "name: x\n")
    cases["extends: p0.yaml\n"] = "a chain of more than 20 files"
    (tmp_path / "big.yaml").write_bytes(b"# " + b"x" * safeio.MAX_FILE_BYTES + b"\n")
    cases["extends: big.yaml\n"] = "more than the 10,000,000 kuayu reads"
    paths = []
    for k, text in enumerate(cases):
        paths.append(tmp_path / f"case{k}.yaml")
        paths[-1].write_text("name: x\n" + text, encoding="utf-8")
    proc = _cli(["validate", *paths], timeout=60)  # one child process for all of them
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    lines = proc.stderr.splitlines()
    for expected in cases.values():
        assert expected in proc.stderr, (expected, lines)
    assert "root:" not in proc.stderr and len(lines) == len(cases)


def test_a_chinese_study_name_runs_in_a_folder_of_that_name(tmp_path):
    data = dict(TINY, name="长三角研究", replications=1, sweep={"region.reach_hours": [12]})
    path, out = _study(tmp_path, data)
    assert main([str(path), "--out", str(out), *RUN]) == 0
    assert (out / "长三角研究" / "runs.csv").exists()


# --- 4. region values are range-checked -------------------------------------------------------
@pytest.mark.parametrize(("cities", "rivers", "expected"), [
    ({"c": "nan"}, {}, "cities.csv:4: cities[2].population_m: expected a population in "
                       "millions, a finite number in (0, 1000], found nan"),
    ({"c": "inf"}, {}, "cities[2].population_m"),
    ({"c": "-3"}, {}, "cities[2].population_m"),
    ({"gdp": "-0.4"}, {}, "cities.csv:4: cities[2].gdp_tn_cny: expected a GDP"),
    ({"gdp": "nan"}, {}, "cities[2].gdp_tn_cny"),
    ({"lat": "nan"}, {}, "cities[2].lat: expected a latitude in degrees"),
    ({"lat": "95"}, {}, "cities[2].lat"),
    ({"lon": "-200"}, {}, "cities[2].lon"),
    ({}, {"hours": "nan"}, "cities_rivers.csv:3: rivers[1].travel_hours: expected a travel"),
    ({}, {"hours": "inf"}, "rivers[1].travel_hours"),
])
def test_impossible_region_values_are_refused_before_anything_runs(
        cities, rivers, expected, tmp_path, capsys):
    row = {"c": "3.5", "gdp": "0.4", "lat": "30.0", "lon": "116.0", **cities}
    text = CITIES.replace("c,丙,C,30.0,116.0,{c},0.4",
                          f"c,丙,C,{row['lat']},{row['lon']},{row['c']},{row['gdp']}")
    path, out = _region_study(tmp_path, hours=rivers.get("hours", "12"))
    (tmp_path / "cities.csv").write_text(text, encoding="utf-8")
    assert main([str(path), "--out", str(out), *RUN]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err, err
    assert not out.exists()


def test_a_dependency_share_outside_zero_one_is_refused(tmp_path, capsys):
    region = {"name": "r", "cities": [
        {"id": "a", "lat": 30, "lon": 115, "population_m": 2, "gdp_tn_cny": 0.2},
        {"id": "b", "lat": 30, "lon": 116, "population_m": 3, "gdp_tn_cny": 0.3}],
        "dependencies": [{"supplier": "a", "dependent": "b", "share": 50}]}
    write_yaml(tmp_path / "r.yaml", region)
    data = dict(TINY, params={"region.kind": "file", "region.file": str(tmp_path / "r.yaml")})
    path, _ = _study(tmp_path, data)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "r.yaml:14: dependencies[0].share: expected a share of the dependent's services, " \
           "a finite number in [0, 1], found 50" in err, err


# --- 6. plans are bounded before they are built -----------------------------------------------
def test_a_huge_dry_run_is_counted_not_built(tmp_path):
    path = write_yaml(tmp_path / "tiny.yaml", TINY)
    proc = _cli([path, "--replications", "10000000", "--yes", "--dry-run"], timeout=60,
                memory=1_500_000_000)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "runs:         40,000,000" in proc.stdout
    proc = _cli([path, "--replications", "30000000", "--yes", "--dry-run"], timeout=60)
    assert proc.returncode == 2 and "even with --yes" in proc.stderr


def test_max_runs_in_the_file_does_not_lift_the_hard_limit(tmp_path):
    text = ("name: x\nmax_runs: 50000000\nsweep:\n"
            "  region.reach_hours: {from: 1, to: 1000, num: 3000}\n"
            "  region.attenuation: {from: 0, to: 1, num: 3000}\n")
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    proc = _cli(["validate", path], timeout=60, memory=1_500_000_000)
    assert proc.returncode == 2 and "9,000,000 points" in proc.stderr, proc.stderr[-2000:]


# --- 9. damaged folders and I/O errors are exit-2 messages ------------------------------------
def _edited(change):
    def edit(manifest: dict) -> str:
        change(manifest)
        return json.dumps(manifest)
    return edit


@pytest.mark.parametrize("manifest", [
    "{not json", "[1, 2]", '{"name": "x"}', "", "\x00\xff",
    _edited(lambda m: m["runs"].update(chunks=9)),
    _edited(lambda m: m["runs"].update(total="8")),
    _edited(lambda m: m.update(sessions=3)),
    _edited(lambda m: m.pop("fingerprint")),
    _edited(lambda m: m["scenario"].pop("baseline")),
    _edited(lambda m: m["scenario"].update(swept="hazard.magnitude")),
], ids=lambda m: m if isinstance(m, str) else "edited")
def test_a_damaged_or_foreign_manifest_is_a_clear_error(manifest, tmp_path, capsys):
    folder = _folder(tmp_path)
    if callable(manifest):
        manifest = manifest(json.loads((folder / "manifest.json").read_text(encoding="utf-8")))
    (folder / "manifest.json").write_text(manifest, encoding="utf-8")
    for argv in (["plot", folder], ["merge", folder]):
        assert main([str(a) for a in argv]) == 2
        err = capsys.readouterr().err
        assert "manifest" in err and "Traceback" not in err, err


def test_out_naming_a_regular_file_is_a_clear_error(tmp_path, capsys):
    path = write_yaml(tmp_path / "tiny.yaml", TINY)
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert main([str(path), "--out", str(tmp_path / "file"), *RUN]) == 2
    err = capsys.readouterr().err
    assert "Not a directory" in err or "not a folder" in err
    assert "Traceback" not in err


def test_a_full_disk_stops_cleanly_and_leaves_no_temporary_file(tmp_path, monkeypatch, capsys):
    import errno

    path = write_yaml(tmp_path / "tiny.yaml", TINY)
    real, calls = safeio.atomic_write, []

    def full_after_some(target, write, root=None):
        calls.append(target)
        if len(calls) > 12 and target.suffix == ".parquet":  # removing the failed temporary
            def write(fh):  # file frees its space, so the small manifest can still be written
                fh.write(b"partial")
                raise OSError(errno.ENOSPC, "No space left on device")
        return real(target, write, root)

    monkeypatch.setattr(safeio, "atomic_write", full_after_some)
    assert main([str(path), "--out", str(tmp_path / "out"), *RUN]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    folder = tmp_path / "out" / "tiny"
    assert json.loads((folder / "manifest.json").read_text())["status"] == "interrupted"
    assert not list(folder.rglob("*.tmp-*"))
    monkeypatch.setattr(safeio, "atomic_write", real)
    assert main([str(path), "--out", str(tmp_path / "out"), *RUN]) == 0


# --- locks ------------------------------------------------------------------------------------
def test_a_live_lock_refuses_a_second_run_and_a_stale_one_is_taken_over(tmp_path, capsys):
    folder = _folder(tmp_path)
    path = write_yaml(tmp_path / "tiny.yaml", TINY)
    argv = [str(path), "--out", str(tmp_path / "out"), *RUN]
    with safeio.folder_lock(folder):  # this process: alive
        assert main(argv) == 2
        assert "being written by another kuayu process" in capsys.readouterr().err
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (folder / safeio.LOCK).write_text(json.dumps(
        {"pid": dead.pid, "host": os.uname().nodename, "since": "then"}), encoding="utf-8")
    assert main(argv) == 0
    assert "no longer running; taking it over" in capsys.readouterr().err
    assert not (folder / safeio.LOCK).exists()


def test_two_runs_started_together_on_one_folder_never_mix(tmp_path):
    big = dict(TINY, replications=30)
    path = write_yaml(tmp_path / "big.yaml", big)
    argv = [sys.executable, "run.py", str(path), "--out", str(tmp_path / "o"), *RUN]
    procs = [subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [(p.communicate(timeout=300)[1], p.returncode)[::-1] for p in procs]
    for rc, err in results:
        assert rc in (0, 2) and "Traceback" not in err, err
        assert rc == 0 or "being written by another kuayu process" in err, err
    assert 0 in [rc for rc, _ in results]
    whole = run_study(big, out=tmp_path / "whole", charts=False).runs
    pd.testing.assert_frame_equal(open_results(tmp_path / "o" / "tiny").runs, whole,
                                  check_exact=True)


def test_shards_share_a_folder_but_not_with_a_whole_run(tmp_path, capsys):
    folder = tmp_path / "out" / "tiny"
    folder.mkdir(parents=True)
    path = write_yaml(tmp_path / "tiny.yaml", TINY)
    with runner.study_lock(folder, (1, 2)):
        assert main([str(path), "--out", str(tmp_path / "out"), "--shard", "0/2", *RUN]) == 0
        assert main([str(path), "--out", str(tmp_path / "out"), *RUN]) == 2
        assert "being written" in capsys.readouterr().err


# --- kill -9 and Ctrl-C -----------------------------------------------------------------------
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX process groups")
def test_kill_9_at_random_moments_of_a_two_worker_sweep_then_resume(tmp_path, reference):
    big = dict(TINY, replications=40)
    path = write_yaml(tmp_path / "big.yaml", big)
    folder = tmp_path / "o" / "tiny"
    argv = [sys.executable, "run.py", str(path), "--workers", "2", "--out", str(tmp_path / "o"),
            *RUN]
    for delay in (0.5, 2.5):  # during start-up / imports, then mid-sweep
        proc = subprocess.Popen(argv, cwd=ROOT, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    whole = run_study(big, out=tmp_path / "whole", charts=False).runs
    pd.testing.assert_frame_equal(open_results(folder).runs, whole, check_exact=True)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_workers_die_with_their_parent(tmp_path):
    import psutil

    big = dict(TINY, replications=400)
    path = write_yaml(tmp_path / "big.yaml", big)
    folder = tmp_path / "o" / "tiny"
    proc = subprocess.Popen([sys.executable, "run.py", str(path), "--workers", "2", "--out",
                             str(tmp_path / "o"), *RUN], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not runner.done_chunks(folder) and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = [c for c in psutil.Process(proc.pid).children(recursive=True)]
        assert workers
        os.kill(proc.pid, signal.SIGKILL)  # the parent only
        proc.wait(timeout=10)
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, "workers outlived their parent"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals")
def test_ctrl_c_while_modules_load_exits_130_without_a_traceback(tmp_path):
    path = write_yaml(tmp_path / "tiny.yaml", TINY)
    proc = subprocess.Popen([sys.executable, "run.py", str(path), "--out", str(tmp_path / "o"),
                             *RUN], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(0.3)  # Python is up, sim is importing numpy, pandas, mesa ...
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (130, -signal.SIGINT), err
    assert "Traceback" not in err


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")
def test_ctrl_c_while_dask_starts_is_held_then_stops_the_run():
    """Processes started inside _sigint_ignored never see Ctrl-C, but the parent must: a
    Ctrl-C pressed meanwhile used to be dropped (SIG_IGN) and the run went on."""
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with runner._sigint_ignored():
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(50):  # not interrupted half-way through start-up
                time.sleep(0.001)
            reached.append("inside")
        reached.append("after")  # raised as soon as the block ends
    assert reached == ["inside"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
