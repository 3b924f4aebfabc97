"""Clean, quick, friendly output: PNG and PDF by default (SVG on request), a finished study
run again runs nothing and keeps its timings, progress in a pipe, a Chinese report that
carries its own font."""

import json
import re
import subprocess
import sys
from base64 import b64decode
from io import BytesIO

import pytest
from fontTools.ttLib import TTFont

from sim import plots
from sim.report import fonts_needed, write_report
from sim.study import run_study
from tests.conftest import ROOT, SMALL, write_yaml


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return run_study(SMALL, out=tmp_path_factory.mktemp("outputs") / "small", charts=True,
                     langs=("en", "zh"))


def test_figures_are_png_and_pdf_and_svg_only_on_request(small, tmp_path):
    figures = small.path / "figures"
    assert {p.suffix for p in figures.iterdir()} == {".png", ".pdf"}
    written = small.plot(["regime_comparison"], "en", formats=("png", "pdf", "svg"))
    assert sorted(p.suffix for p in written) == [".pdf", ".png", ".svg"]
    with pytest.raises(plots.ChartError, match="unknown figure format 'tiff'"):
        small.plot(["regime_comparison"], "en", formats=("tiff",))


def test_a_finished_study_run_again_runs_nothing_and_keeps_its_timings(tmp_path):
    scenario = write_yaml(tmp_path / "small.yaml", dict(SMALL, charts=["regime_comparison"]))
    out = tmp_path / "results"
    cmd = [sys.executable, str(ROOT / "run.py"), str(scenario), "--out", str(out), "--quiet",
           "--lang", "en"]
    first = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, check=True)
    assert "runs of 'small' done" in first.stdout
    manifest = (out / "small" / "manifest.json").read_text(encoding="utf-8")
    figure = out / "small" / "figures" / "regime_comparison.png"
    drawn = figure.stat().st_mtime_ns
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, check=True)
    assert again.stdout.startswith("Nothing to run: all 16 runs of 'small' are already in")
    assert (out / "small" / "manifest.json").read_text(encoding="utf-8") == manifest
    assert json.loads(manifest)["sessions"][-1]["seconds"] > 0.01
    assert figure.stat().st_mtime_ns == drawn  # nothing redrawn
    assert again.stderr == ""


def test_progress_shows_in_a_pipe(tmp_path):
    scenario = write_yaml(tmp_path / "small.yaml", dict(SMALL, charts=[]))
    proc = subprocess.run([sys.executable, str(ROOT / "run.py"), str(scenario), "--out",
                           str(tmp_path / "r"), "--no-charts"], capture_output=True, text=True,
                          cwd=tmp_path, check=True)
    assert re.search(r"16/16 \[", proc.stderr), proc.stderr  # tqdm's count, not a tty
    assert "Warning" not in proc.stderr and "warn" not in proc.stderr.lower()


def test_the_chinese_report_embeds_a_font_with_every_character_it_shows(small):
    page = (small.path / "report_zh.html").read_text(encoding="utf-8")
    (data,) = re.findall(r'url\("data:font/ttf;base64,([A-Za-z0-9+/=]+)"\)', page)
    assert 'font-family: "kuayu-cjk"' in page
    font = TTFont(BytesIO(b64decode(data)))
    cmap = font.getBestCmap()
    text = re.sub(r"<style>.*?</style>|<[^>]+>|data:[^\"]+", " ", page, flags=re.S)
    chinese = {ch for ch in text if fonts_needed(ch)}
    assert len(chinese) > 100
    assert not [ch for ch in chinese if ord(ch) not in cmap]
    assert len(data) < 600_000  # a subset, not the 2.3 MB font
    # the same report twice: the same bytes (no timestamp in the font)
    write_report(small, ("zh",))
    assert (small.path / "report_zh.html").read_text(encoding="utf-8") == page


def test_charts_drawn_in_parallel_are_the_same_files(small, tmp_path):
    """With workers > 1 the languages are drawn in separate processes: the same bytes."""
    twin = run_study(SMALL, out=tmp_path / "small", charts=True, langs=("en", "zh"),
                     workers=2)
    ours = sorted(p.name for p in (small.path / "figures").iterdir()
                  if p.suffix in (".png", ".pdf"))  # an earlier test added an SVG
    theirs = sorted(p.name for p in (twin.path / "figures").iterdir())
    assert ours == theirs and len(ours) == 2 * 2 * len(SMALL["charts"])
    for name in ours:
        assert (small.path / "figures" / name).read_bytes() == \
            (twin.path / "figures" / name).read_bytes(), name
    # the reports, one per language, were written by a worker and by this process: the
    # same bytes as written here one after the other
    pages = {p: p.read_bytes() for p in twin.path.glob("report*.*")}
    assert len(pages) == 4
    write_report(twin, ("en", "zh"))
    for page, data in pages.items():
        assert page.read_bytes() == data, page.name


def test_tables_charts_and_report_never_load_the_series_or_accounts_whole(tmp_path):
    """The parent's memory must not grow with a study's per-step series or per-city rows
    (10^5 runs hold millions): charts read the series, accounts and trust matrices one chunk at
    a time, the report reads the membership columns alone, and nobody loads a table just to
    see whether it exists."""
    charts = ["regime_comparison", "timeseries", "trust", "burden", "region_map"]
    res = run_study({**SMALL, "charts": charts}, out=tmp_path / "small", charts=True,
                    langs=("en",))
    for name in charts:
        assert (res.path / "figures" / f"{name}.png").is_file(), name
    assert (res.path / "report.html").is_file()
    assert res._series is None
    assert "accounts" not in vars(res) and "trust" not in vars(res)
    assert res.holds("accounts") and res.holds("series") and res.holds("trust")
