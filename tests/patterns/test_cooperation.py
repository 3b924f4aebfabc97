"""Repeated-game patterns of cooperation between cities (docs/sources.md §A).

Sources: Ostrom (1990) and Fehr & Gächter (2000) — in repeated public-good dilemmas
cooperation decays without sanctions and is sustained with them; Macy & Flache (2002) —
Bush-Mosteller learners lock into mutual cooperation or mutual defection depending on where
they start (path dependence). Ten years of river spills on a six-city chain, several seeds.
"""

import numpy as np
import pytest

from sim.model import RiskModel

TEN_YEARS = {"time.horizon_days": 3650, "hazard.rates": {"river_spill": 0.5},
             "region.n_cities": 6}
NO_ENFORCEMENT = {"compensation.payout_share": 0.0, "accountability.duty_penalty": 0.0,
                  "accountability.audit_prob": 0.0, "accountability.peer_audit_prob": 0.0,
                  "accountability.penalty": 0.0, "evaluation.assessor": "none"}
# Moderate enforcement: supervision as in the coordinated regime, but a shirker found out
# pays its duty's cost only once more, and there are no refunds and no assessment. Enough to
# hold cooperation where there is trust, not to create it.
MODERATE = {"compensation.payout_share": 0.0, "evaluation.assessor": "none",
            "accountability.duty_penalty": 1.0}
SEEDS = range(6)


def _end_state(params: dict) -> dict[str, float]:
    runs = [RiskModel("coordinated", params={**TEN_YEARS, **params}, rng=s).run()
            for s in SEEDS]
    return {k: float(np.mean([r[k] for r in runs]))
            for k in ("cooperation_propensity", "cooperation_rate", "mean_trust")}


@pytest.fixture(scope="module")
def enforced():
    return _end_state({})


def test_cooperation_decays_without_sanctions():
    end = _end_state(NO_ENFORCEMENT)
    assert end["cooperation_propensity"] < 0.3  # from 0.9 at the start
    assert end["cooperation_rate"] < 0.5
    assert end["mean_trust"] < 0.3  # broken promises erode trust (from 0.6)


def test_cooperation_sustained_with_sanctions_and_compensation(enforced):
    assert enforced["cooperation_propensity"] > 0.9
    assert enforced["cooperation_rate"] > 0.9
    assert enforced["mean_trust"] > 0.8


def test_path_dependence_from_low_trust():
    low = _end_state({**MODERATE, "trust.initial": 0.1})
    high = _end_state({**MODERATE, "trust.initial": 0.9})
    assert high["cooperation_propensity"] > 0.9
    assert low["cooperation_propensity"] < 0.4  # the same sanctions do not restore it
    assert low["mean_trust"] < 0.4 < 0.9 < high["mean_trust"]


def test_strong_enforcement_can_restore_cooperation_from_low_trust(enforced):
    """The full coordinated regime (refunds, third-party assessment, duty penalty x2) pulls
    even a distrustful region back to cooperation: path dependence is not destiny."""
    low = _end_state({"trust.initial": 0.1})
    assert low["cooperation_propensity"] > 0.9
    assert low["mean_trust"] > 0.6
