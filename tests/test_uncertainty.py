"""`uncertain:` draws parameters from their plausible ranges (seeded Latin hypercube) and the
report compares the regimes across the draws, paired within each draw."""

import numpy as np
import pandas as pd
import pytest
import yaml

from sim import uncertainty
from sim.scenario import ScenarioError, load
from sim.sources import SOURCES
from sim.study import run_study

STUDY = {"name": "unc", "seed": 3, "replications": 2,
         "regimes": ["territorial", "coordinated"],
         "params": {"region.n_cities": 4, "time.horizon_days": 8},
         "uncertain": {"parameters": ["region.attenuation",
                                      {"river_spill.half_damage": [2, 10]}][:1],
                       "draws": 5, "seed": 1},
         "charts": ["regime_comparison"]}


def test_latin_hypercube_uses_every_stratum_once_and_is_seeded():
    bounds = {"a": (0.0, 1.0), "b": (10.0, 30.0)}
    rows = uncertainty.latin_hypercube(bounds, 8, 1, 0)
    for path, (lo, hi) in bounds.items():
        strata = sorted(int((r[path] - lo) / (hi - lo) * 8) for r in rows)
        assert strata == list(range(8)), path
    assert rows == uncertainty.latin_hypercube(bounds, 8, 1, 0)
    assert rows != uncertainty.latin_hypercube(bounds, 8, 1, 1)
    assert rows != uncertainty.latin_hypercube(bounds, 8, 2, 0)


def test_listed_parameters_are_drawn_from_their_documented_range_and_cross_the_sweep():
    sc = load({**STUDY, "sweep": {"region.reach_hours": [12, 36]}})
    lo, hi = SOURCES["region.attenuation"].range
    assert sc.uncertain["parameters"] == {"region.attenuation": [lo, hi]}
    assert len(sc.points) == 2 * 5 and sc.n_runs == 2 * 10 * 2
    draws = [p["region.attenuation"] for p in sc.points]
    assert draws[:5] == draws[5:]  # the same draws at every sweep point
    assert all(lo <= d <= hi for d in draws)
    assert [p["region.reach_hours"] for p in sc.points] == [12] * 5 + [36] * 5
    given = load({**STUDY, "uncertain": {"parameters": {"region.attenuation": [0.6, 0.7]},
                                         "draws": 4}})
    assert all(0.6 <= p["region.attenuation"] <= 0.7 for p in given.points)


def test_the_report_says_in_how_many_draws_the_regime_beats_the_baseline(tmp_path):
    res = run_study(STUDY, out=tmp_path / "unc", langs=("en", "zh"))
    table = pd.read_csv(tmp_path / "unc" / "uncertainty.csv", encoding="utf-8-sig")
    draws = pd.read_csv(tmp_path / "unc" / "uncertainty_draws.csv", encoding="utf-8-sig")
    # recompute from runs.csv: per draw, the mean over replications of the paired difference
    runs = res.runs
    for outcome in table["outcome"]:
        t = runs[runs["regime"] == "territorial"].set_index(["point", "replication"])[outcome]
        c = runs[runs["regime"] == "coordinated"].set_index(["point", "replication"])[outcome]
        per_draw = (c - t).groupby(level="point").mean().to_numpy()
        mine = draws[draws["outcome"] == outcome].sort_values("draw")["mean_diff"].to_numpy()
        np.testing.assert_allclose(mine, per_draw)
        row = table[table["outcome"] == outcome].iloc[0]
        assert row["draws"] == 5
        assert row["share_better"] == pytest.approx((per_draw < 0).mean())
        assert row["median_diff"] == pytest.approx(np.median(per_draw))
        assert row["p05_diff"] == pytest.approx(np.quantile(per_draw, 0.05))
    # pairs are matched within a draw, never across draws
    diffs = res.differences
    assert (diffs.loc[diffs["outcome"] == "total_loss", "n_pairs"] == 5 * 2).all()
    report = (tmp_path / "unc" / "report.md").read_text(encoding="utf-8")
    assert "## Conclusions under parameter uncertainty" in report
    assert "figures/uncertainty.png" in report and "of 5 (" in report
    assert (tmp_path / "unc" / "figures" / "uncertainty_zh.pdf").is_file()
    assert "参数不确定性下的结论" in (tmp_path / "unc" / "report_zh.md").read_text(
        encoding="utf-8")


def test_higher_is_better_for_warnings_and_trust_lower_for_losses():
    assert uncertainty.higher_is_better("warned_in_time")
    assert uncertainty.higher_is_better("warning_lead_time_river_spill")
    assert not uncertainty.higher_is_better("total_loss")
    assert not uncertainty.higher_is_better("response_delay")


def _error(tmp_path, block, **extra) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({**STUDY, **extra, "uncertain": block}, sort_keys=False),
                    encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load(path)
    return str(exc.value)


def test_bad_uncertain_blocks_are_refused_with_file_line_and_key(tmp_path):
    msg = _error(tmp_path, {"parameters": ["region.attenuation"], "drawz": 4})
    assert "bad.yaml:" in msg and "uncertain.drawz: unknown key" in msg
    assert "did you mean 'draws'" in msg
    msg = _error(tmp_path, {"parameters": ["region.atenuation"], "draws": 4})
    assert "uncertain.parameters[0]" in msg and "did you mean 'region.attenuation'" in msg
    msg = _error(tmp_path, {"parameters": ["region.reach_hours"], "draws": 4},
                 sweep={"region.reach_hours": [12, 24]})
    assert "also swept" in msg
    msg = _error(tmp_path, {"parameters": ["info.report_delay_hours"], "draws": 4},
                 regimes=["territorial", {"name": "late", "regime": "coordinated",
                                          "set": {"info.report_delay_hours": 24}}])
    assert "the regimes set info.report_delay_hours differently" in msg and "late 24" in msg
    msg = _error(tmp_path, {"parameters": ["region.kind"], "draws": 4})
    assert "no documented plausible range" in msg
    msg = _error(tmp_path, {"parameters": {"region.attenuation": [0.9, 0.1]}, "draws": 4})
    assert "low < high" in msg
    msg = _error(tmp_path, {"parameters": ["region.attenuation"], "draws": 1})
    assert "uncertain.draws" in msg
