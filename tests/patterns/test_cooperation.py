"""Repeated-game patterns of cooperation between cities (docs/sources.md §A).

Sources: Ostrom (1990) and Fehr & Gächter (2000) — in repeated public-good dilemmas
cooperation decays without sanctions and is sustained with them, and lasts without them among
neighbours who trust and help each other; Macy & Flache (2002) — Bush-Mosteller learners lock
into mutual cooperation or mutual defection depending on where they start (path dependence).
Ten years of river spills on a six-city chain, where help flows one way (upstream to
downstream), and of accidents on a nine-city grid of equal neighbours, where it flows both ways.
"""

import numpy as np
import pytest

from sim.model import RiskModel

TEN_YEARS = {"time.horizon_days": 3650, "hazard.rates": {"river_spill": 0.5},
             "region.n_cities": 6}
NO_ENFORCEMENT = {"compensation.payout_share": 0.0, "accountability.duty_penalty": 0.0,
                  "accountability.audit_prob": 0.0, "accountability.peer_audit_prob": 0.0,
                  "accountability.penalty": 0.0, "evaluation.assessor": "none"}
SEEDS = range(6)


def _end_state(params: dict) -> dict[str, float]:
    runs = [RiskModel("coordinated", params={**TEN_YEARS, **params}, rng=s).run()
            for s in SEEDS]
    return {k: float(np.mean([r[k] for r in runs]))
            for k in ("cooperation_propensity", "cooperation_rate", "mean_trust")}


@pytest.fixture(scope="module")
def enforced():
    return _end_state({})


@pytest.fixture(scope="module")
def small_spills():
    return _end_state({**NO_ENFORCEMENT, "river_spill.magnitude": 10.0})


def test_cooperation_decays_without_sanctions_where_help_flows_one_way(small_spills):
    """Spills of Changzhi's size (10 t): keeping a duty costs more than the help it earns
    back, and without sanctions or refunds cooperation decays and trust erodes."""
    assert small_spills["cooperation_propensity"] < 0.4  # from 0.9 at the start
    assert small_spills["mean_trust"] < 0.3  # broken promises erode trust (from 0.6)


def test_reciprocity_holds_more_cooperation_when_the_stakes_are_high(small_spills):
    """Nowak's rule (sources.md §A.2): reciprocity sustains cooperation when the benefit of
    help outweighs its cost. Spills of Songhua's size (100 t, the default) spare the cities
    downstream ten times as much for the same duty, and more cooperation survives."""
    large = _end_state(NO_ENFORCEMENT)
    assert large["cooperation_propensity"] > small_spills["cooperation_propensity"] + 0.15


def test_cooperation_sustained_with_sanctions_and_compensation(enforced):
    assert enforced["cooperation_propensity"] > 0.9
    assert enforced["cooperation_rate"] > 0.9
    assert enforced["mean_trust"] > 0.8


# Equal neighbours on a grid, accidents that spill over to each other, no sanctions, no
# refunds, no assessment, honest reports: only reciprocity and trust are at work.
NEIGHBOURS = {"time.horizon_days": 3650, "hazard.kind": "none", **NO_ENFORCEMENT,
              "info.report_delay_hours": 0.0, "region.kind": "grid", "region.n_cities": 9,
              "hazard.rates": {"accident": 0.5}}
LOW_START = {"trust.initial": 0.1, "learning.initial_cooperation": 0.2}
HIGH_START = {"trust.initial": 0.9, "learning.initial_cooperation": 0.9}


def test_cooperation_survives_among_trusted_neighbours_without_sanctions():
    end = _end_state({**NEIGHBOURS, **HIGH_START})
    assert end["cooperation_propensity"] > 0.9
    assert end["mean_trust"] > 0.9


def test_path_dependence_from_low_trust():
    """The same neighbours, the same rules: starting distrustful and unwilling, they lock into
    defection; starting trusting and willing, into cooperation."""
    low = _end_state({**NEIGHBOURS, **LOW_START})
    high = _end_state({**NEIGHBOURS, **HIGH_START})
    assert low["cooperation_propensity"] < 0.3 < 0.9 < high["cooperation_propensity"]
    assert low["mean_trust"] < 0.3 < 0.9 < high["mean_trust"]


def test_compensation_and_evaluation_restore_cooperation_where_help_flows_one_way():
    """利益机制 and 评估机制 without sanctions: on the river, from a distrustful, unwilling
    start, refunds and a third-party assessment bring cooperation back; neither the river's
    reciprocity nor refunds alone do."""
    bare = _end_state({**NO_ENFORCEMENT, **LOW_START})
    refunds = _end_state({**NO_ENFORCEMENT, **LOW_START, "compensation.payout_share": 0.3})
    both = _end_state({**NO_ENFORCEMENT, **LOW_START, "compensation.payout_share": 0.3,
                       "evaluation.assessor": "third_party"})
    assert bare["cooperation_propensity"] < 0.1
    assert refunds["cooperation_propensity"] < 0.1
    assert both["cooperation_propensity"] > 0.8


def test_strong_enforcement_can_restore_cooperation_from_low_trust(enforced):
    """The full coordinated regime (refunds, third-party assessment, duty penalty x2) pulls
    even a distrustful region back to cooperation: path dependence is not destiny."""
    low = _end_state({"trust.initial": 0.1})
    assert low["cooperation_propensity"] > 0.9
    assert low["mean_trust"] > 0.6
