"""Shared fixtures: a small, fast scenario written to a temporary folder."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

SMALL = {
    "name": "small",
    "description": "test study",
    "seed": 11,
    "replications": 4,
    "regimes": ["territorial", "coordinated"],
    "params": {"region.n_cities": 4, "time.horizon_days": 8},
    "sweep": {"region.reach_hours": [12, 36]},
    "charts": ["regime_comparison", "sweep_response", "timeseries"],
}


@pytest.fixture(autouse=True)
def one_worker_by_default(monkeypatch):
    """`run.py` uses every core unless told otherwise; tests that call the command line in
    this process (and patch the engine to interrupt it) run it in this process, as with
    --workers 1. tests/test_cli.py checks the real default."""
    monkeypatch.setattr("sim.cli._default_workers", lambda: 1)


@pytest.fixture
def small_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL), encoding="utf-8")
    return path


def write_yaml(path: Path, data) -> Path:
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path
