"""Documentation that is generated from the code must match the code."""

from sim.catalogue import markdown
from tests.conftest import ROOT


def test_parameter_reference_is_up_to_date():
    text = (ROOT / "docs" / "parameters.md").read_text(encoding="utf-8")
    assert text == markdown(), "run: python -m sim.catalogue > docs/parameters.md"


def test_every_parameter_has_a_chinese_term_and_a_meaning():
    from sim.params import PARAMS

    for p in PARAMS:
        assert p.doc and p.zh, p.path


def test_readme_flagship_command_names_a_scenario_that_ci_runs():
    """The README's first command runs a ready study; CI runs that same study at reduced size."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    prefix = "python3.12 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/python run.py "
    command = next(line.strip() for line in readme.splitlines() if line.startswith(prefix))
    scenario = command[len(prefix):]
    assert scenario.startswith("scenarios/") and scenario.endswith(".yaml"), command
    assert (ROOT / scenario).exists(), scenario
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f"run.py {scenario} --replications" in ci


def test_readme_lists_every_ready_scenario():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        assert f"`{path.stem}`" in readme, f"README's scenario list lacks {path.stem}"


def test_the_readmes_quotable_sentence_is_what_the_flagship_prints(tmp_path):
    """The sentence the README quotes comes from a full run of the flagship (about 80 s)."""
    from sim.study import run_study

    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    res = run_study(ROOT / "scenarios" / "regimes_yangtze_delta.yaml", out=tmp_path / "flag",
                    workers=2, charts=False)
    coordinated = next(s for s in res.headline() if s.startswith("Coordinated "))
    quoted = coordinated.replace("Coordinated", "coordinated", 1).replace(
        "Territorial", "territorial").rstrip(".")
    assert f'*"{quoted}"*' in readme, f"README should quote: {quoted}"


def test_readme_performance_figures_are_those_of_benchmarks_results():
    """Every number in the README's performance table is one that benchmarks/run.py wrote to
    benchmarks/RESULTS.md (re-run the benchmarks, then copy the figures)."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    results = (ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")
    section = readme.split("## Performance", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|") for line in section.splitlines() if line.startswith("| ")]
    measured = [row[2] for row in rows[1:] if len(row) > 3]  # the header row has no figures
    assert measured
    numbers = set(re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", results))
    for cell in measured:
        for number in re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", cell):
            assert number in numbers, f"README figure {number} ({cell.strip()}) not in RESULTS.md"
