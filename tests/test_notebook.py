"""examples/notebook.ipynb runs from top to bottom with a kernel of this environment, fast, and
shows what it says it shows (tables, an inline chart, one incident, two regimes on one seed)."""

import json
import sys
import time

import pytest

from tests.conftest import ROOT

nbformat = pytest.importorskip("nbformat", reason="the test extra installs nbformat")
nbclient = pytest.importorskip("nbclient", reason="the test extra installs nbclient")
pytest.importorskip("ipykernel", reason="the test extra installs ipykernel")

NOTEBOOK = ROOT / "examples" / "notebook.ipynb"


def test_notebook_runs_fast_and_shows_tables_chart_incident_and_paired_regimes(
        tmp_path, monkeypatch):
    # a kernel spec pointing at this very interpreter, so the notebook runs in this venv
    spec = tmp_path / "kernels" / "kuayu-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "kuayu (test)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "commit the notebook without outputs"
    start = time.perf_counter()
    nbclient.NotebookClient(nb, kernel_name="kuayu-test", timeout=120,
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    took = time.perf_counter() - start
    assert took < 60, f"the notebook took {took:.0f} s (keep it under a minute)"

    texts, images = [], 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error"
            if out.output_type == "stream":
                texts.append(out.text)
            elif "data" in out:
                texts.append(out.data.get("text/plain", ""))
                images += "image/png" in out.data
    text = "\n".join(texts)
    assert images >= 1  # the chart, drawn inline
    assert "Coordinated cuts spillover loss" in text  # the headline sentences
    assert "cities_reached_elsewhere" in text and "warned_day" in text  # one incident
    assert "warned" in text and "difference" in text  # the two regimes on one seed
    last = nb.cells[-1].outputs[0].data["text/plain"]  # paired differences per travel time
    assert "count" in last and "12.0" in last and "48.0" in last
