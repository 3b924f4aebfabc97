"""Every mechanism of the coordinated regime is alive in the study users run.

The shipped ablation (scenarios/ablation_coordinated.yaml: Jing-Jin-Ji, three years of plumes,
accidents and cascades) switches one mechanism off at a time. Each must move the outcome it
exists for, in the documented direction (docs/model.md), with a paired 95% CI against the full
coordinated regime that excludes 0. Run as shipped, at 30 replications (about a minute on two
workers); the figures in its header come from the same run.

Horizontal supervision is the exception, and the test says so: in the coordinated preset the
superior's audit (0.8) already finds almost every breach, so peer supervision (0.3) adds too
little to change any decision. It is alive where vertical audit is weak (tests/test_mechanisms.py).
"""

from pathlib import Path

import pandas as pd
import pytest

from sim.analysis import paired_differences
from sim.study import run_study

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "ablation_coordinated.yaml"

# variant: (outcome it exists for, sign of "switched off minus coordinated")
EXPECTED = {
    "coordinated_no_platform": ("warning_lead_time", -1),
    "coordinated_no_offices": ("total_loss", +1),
    "coordinated_no_origin_lead": ("spillover_loss", +1),
    "coordinated_no_list": ("spillover_loss", +1),
    "coordinated_no_assistance": ("source_control_ratio", -1),
    "coordinated_no_accountability": ("concealment_rate", +1),
    "coordinated_no_evaluation": ("cooperation_rate", -1),
    # 利益机制 reconciles interests: in the preset, where duties are kept anyway, it shows in
    # how fairly the burden falls (a river-chain study shows it raising cooperation)
    "coordinated_no_compensation": ("net_burden_gini_gdp", +1),
    "coordinated_no_incentives": ("cooperation_propensity", -1),
    "coordinated_no_reserve": ("total_loss", +1),
    "coordinated_no_learning": ("cooperation_propensity", -1),
    "coordinated_no_escalation": ("total_loss", +1),
}


@pytest.fixture(scope="module")
def against_coordinated(tmp_path_factory) -> pd.DataFrame:
    res = run_study(SCENARIO, out=tmp_path_factory.mktemp("liveness") / "ablation",
                    workers=2, charts=False)
    diffs = paired_differences(res.runs, [], "coordinated")
    return diffs.set_index(["regime", "outcome"])


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_switching_a_mechanism_off_moves_its_outcome(against_coordinated, variant):
    outcome, sign = EXPECTED[variant]
    row = against_coordinated.loc[(variant, outcome)]
    low, high = sign * row["ci_low"], sign * row["ci_high"]
    assert min(low, high) > 0, (f"{variant}: {outcome} changes by {row['mean_diff']:+.4g} "
                                f"[{row['ci_low']:+.4g}, {row['ci_high']:+.4g}], expected "
                                f"{'a rise' if sign > 0 else 'a fall'} with a CI excluding 0")


def test_every_variant_of_the_shipped_ablation_is_checked(against_coordinated):
    variants = set(against_coordinated.index.get_level_values("regime"))
    assert variants - {"territorial"} == set(EXPECTED) | {"coordinated_no_supervision"}


def test_peer_supervision_is_redundant_under_the_presets_vertical_audit(against_coordinated):
    row = against_coordinated.loc[("coordinated_no_supervision", "concealment_rate")]
    assert row["mean_diff"] == 0.0
