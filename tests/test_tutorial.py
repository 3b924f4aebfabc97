"""docs/tutorial.md must keep working: every `python run.py ...` command of its bash blocks
runs (with 2 replications and a short horizon) in a copy of the repository's scenarios and
examples, its Python snippet runs after them, and the files it shows are the files shipped."""

import os
import re
import shlex
import shutil
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import pytest

from sim import cli
from tests.conftest import ROOT

TUTORIAL = ROOT / "docs" / "tutorial.md"
TINY = ["--replications", "2", "--set", "time.horizon_days=5", "--quiet", "--lang", "en"]


def blocks(lang: str) -> list[str]:
    """The fenced code blocks of the tutorial in a language, in order."""
    text = TUTORIAL.read_text(encoding="utf-8")
    return re.findall(rf"^```{lang}\n(.*?)^```$", text, flags=re.S | re.M)


def commands() -> list[list[str]]:
    """The arguments of every `python run.py` line of the tutorial's bash blocks."""
    out = []
    for block in blocks("bash"):
        for line in block.splitlines():
            if line.startswith("python run.py"):
                out.append(shlex.split(line, comments=True)[2:])
    return out


def tiny(argv: list[str]) -> list[str]:
    """A run made small (2 replications, 5 days); other verbs as they are."""
    if argv and argv[0] in cli.VERBS and argv[0] != "run":
        return argv
    return argv + TINY


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A copy of scenarios/ and examples/ in which the tutorial's commands have run, in
    order; yields (folder, [(argv, exit code, output)])."""
    where = tmp_path_factory.mktemp("tutorial")
    for folder in ("scenarios", "examples"):
        shutil.copytree(ROOT / folder, where / folder)
    done = []
    before = Path.cwd()
    os.chdir(where)  # region.file and results/ are relative to where one runs
    try:
        for argv in commands():
            out = StringIO()
            with redirect_stdout(out):
                code = cli.main(tiny(argv))
            done.append((argv, code, out.getvalue()))
        yield where, done
    finally:
        os.chdir(before)


def test_the_tutorial_has_the_commands_it_describes():
    verbs = [" ".join(a[:2]) for a in commands()]
    for expected in ("scenarios/quickstart.yaml", "list", "validate examples/big_spill.yaml",
                     "examples/river_valley.yaml", "plot results/river_valley"):
        assert any(v.startswith(expected) for v in verbs), expected


def test_every_command_of_the_tutorial_works(workdir):
    where, done = workdir
    for argv, code, output in done:
        assert code == 0, f"python run.py {shlex.join(argv)} exited with {code}:\n{output}"
    assert (where / "results" / "spill200" / "quickstart" / "report.md").exists()
    assert (where / "results" / "big_spill" / "summary.csv").exists()


def test_the_region_example_runs_and_draws_its_charts(workdir):
    where, done = workdir
    valley = where / "results" / "river_valley"
    assert (valley / "report.html").exists() and (valley / "differences.csv").exists()
    assert (valley / "attribution.csv").exists()  # coordinated_no_platform is an ablation
    for chart in ("regime_comparison", "incident_timeline", "burden", "timeseries"):
        assert (valley / "figures" / f"{chart}.png").exists(), chart
        assert (valley / "figures" / f"{chart}_zh.png").exists(), chart
    runs = [d for d in done if d[0] == ["examples/river_valley.yaml"]]
    assert runs and "Coordinated, no platform" in runs[0][2]  # labels, not code names


def test_the_python_snippet_runs(workdir):
    where, _ = workdir
    (snippet,) = blocks("python")
    before = Path.cwd()
    os.chdir(where)
    try:
        with redirect_stdout(StringIO()):
            exec(compile(snippet, str(TUTORIAL), "exec"), {})
    finally:
        os.chdir(before)
    small = where / "results" / "river_valley_small"
    assert (small / "differences.csv").exists()
    assert (where / "results" / "river_valley" / "figures" / "regime_comparison_zh.pdf").exists()


def test_the_files_shown_are_the_files_shipped():
    text = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "examples").iterdir()
            if p.is_file()}
    for block in blocks("csv"):
        assert block in text.values(), f"no file of examples/ reads:\n{block}"
    for block in blocks("yaml"):
        assert any(block in t for t in text.values()), f"no file of examples/ holds:\n{block}"


def test_links_and_figures_exist():
    text = TUTORIAL.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if not target.startswith("http"):
            assert (TUTORIAL.parent / target).resolve().exists(), target
    figures = re.findall(r"\]\((figures/tutorial-[^)]+\.png)\)", text)
    assert len(figures) >= 2
    for figure in figures:
        assert (TUTORIAL.parent / figure).stat().st_size < 100_000, f"{figure} is too large"


# --- the numbers the tutorial quotes come from fresh full runs --------------------------------
@pytest.fixture(scope="module")
def full_runs(tmp_path_factory):
    """The quick start and the valley example at full size (no charts), as the tutorial ran
    them; yields (folder, {scenario: printed output})."""
    where = tmp_path_factory.mktemp("tutorial_full")
    for folder in ("scenarios", "examples"):
        shutil.copytree(ROOT / folder, where / folder)
    printed = {}
    before = Path.cwd()
    os.chdir(where)
    try:
        for scenario in ("scenarios/quickstart.yaml", "examples/river_valley.yaml"):
            out = StringIO()
            with redirect_stdout(out):
                assert cli.main([scenario, "--quiet", "--no-charts"]) == 0
            printed[scenario] = out.getvalue()
        yield where, printed
    finally:
        os.chdir(before)


def _shown(output: str) -> list[str]:
    """The sentences to quote that a run prints (the tutorial must show them as they are)."""
    return [line for line in output.splitlines()
            if "paired runs)." in line or "across the sweep" in line]


def test_the_output_the_tutorial_prints_is_what_the_runs_print(full_runs):
    _, printed = full_runs
    shown = [_shown(b) for b in blocks("text")]
    for scenario, output in printed.items():
        assert _shown(output) in shown, (
            f"docs/tutorial.md no longer shows what {scenario} prints; it prints:\n{output}")
        done = next(line for line in output.splitlines() if line.endswith(" done."))
        assert done in TUTORIAL.read_text(encoding="utf-8") or scenario.startswith("examples")


def test_the_numbers_in_the_tutorials_prose_are_the_runs(full_runs):
    import pandas as pd

    where, _ = full_runs
    text = " ".join(TUTORIAL.read_text(encoding="utf-8").split())
    quick = pd.read_csv(where / "results" / "quickstart" / "differences.csv")
    lead = quick[(quick["outcome"] == "warning_lead_time") & ~quick["pooled"]]
    lead = lead.set_index("region.reach_hours")["mean_diff"]
    assert (f"({lead[12.0]:.1f} hours earlier on the fastest river, 12 hours between cities, "
            f"and {lead[72.0]:.1f} hours earlier on the slowest, 72 hours)") in text
    valley = where / "results" / "river_valley"
    d = pd.read_csv(valley / "differences.csv")
    row = d[(d["regime"] == "coordinated") & (d["outcome"] == "spillover_loss")].iloc[0]
    minus = "\u2212"
    assert (f"{minus}{-row['mean_diff']:.2f} (100 million CNY), {minus}{-row['pct_change']:.1f}% "
            f"[{minus}{-row['pct_ci_low']:.1f}%, {minus}{-row['pct_ci_high']:.1f}%], "
            f"{int(row['n_pairs'])} pairs") in text
    a = pd.read_csv(valley / "attribution.csv")
    share = a[(a["mechanism"] == "platform") & (a["outcome"] == "spillover_loss")].iloc[0]
    assert (f"a share of {share['share']:.2f} [95% CI {share['ci_low']:.2f}, "
            f"{share['ci_high']:.2f}] of the spillover loss it saves") in text
    assert (f"here {share['share']:.2f} of the spillover loss saved, 95% CI "
            f"{share['ci_low']:.2f}–{share['ci_high']:.2f}") in text
    # "keeps about two thirds of its advantage": the share lost without the platform is near 1/3
    assert 0.25 <= share["share"] <= 0.42
