"""The model's behaviour a user relies on: determinism, regime effects, Nash source control."""

import mesa
import numpy as np
import pytest

from sim.model import RiskModel


def test_same_seed_gives_identical_results():
    a = RiskModel(regime="territorial", rng=42)
    b = RiskModel(regime="territorial", rng=42)
    np.testing.assert_equal(a.run(), b.run())  # NaN == NaN here, bit for bit otherwise
    assert np.array_equal(a.series, b.series)


def test_different_seeds_differ():
    results = {tuple(RiskModel(regime="coordinated", rng=s).run().values()) for s in range(8)}
    assert len(results) > 1


def test_regimes_face_the_same_hazard_draws_for_the_same_seed():
    for seed in range(5):
        t = RiskModel(regime="territorial", rng=seed).run()
        c = RiskModel(regime="coordinated", rng=seed).run()
        assert t["detection_delay"] == c["detection_delay"]


def _mean(regime: str, key: str, n: int = 30, **kw) -> float:
    return float(np.nanmean([RiskModel(regime=regime, rng=s, **kw).run()[key] for s in range(n)]))


def test_coordinated_lowers_downstream_loss_with_a_margin():
    terr = _mean("territorial", "spillover_loss")
    coord = _mean("coordinated", "spillover_loss")
    assert coord < 0.85 * terr, (terr, coord)


def test_coordinated_warns_downstream_cities_earlier():
    coordinated = _mean("coordinated", "warning_lead_time")
    assert coordinated > _mean("territorial", "warning_lead_time") + 24


def test_origin_controls_for_itself_under_territorial_and_for_the_region_when_coordinated():
    # Linear damage (huge half-damage) makes the Nash analysis exact: a_nash = s_origin * a_opt.
    kw = {"river_spill.half_damage": 1e5, "source_control.cost": 0.002,
          "protection.reduction": 0.0, "warning.reduction_at_24h": 0.0, "reserve.teams": 0,
          "region.attenuation": 0.8}
    terr = RiskModel(regime="territorial", rng=0, **kw)
    coord = RiskModel(regime="coordinated", rng=0, **kw)
    terr.run()
    coord.run()
    shares = 0.8 ** np.arange(6)
    s_origin = 1.0 / shares.sum()
    a_terr, a_coord = terr.incidents[0].efforts[0], coord.incidents[0].efforts[0]
    assert 0.1 < a_coord < 1.0
    assert a_coord == pytest.approx(coord.incidents[0].optima[0])
    assert a_terr / a_coord == pytest.approx(s_origin, abs=0.03)


def test_warning_reduction_matches_its_calibration():
    m = RiskModel()
    r = m.warning_reduction(np.array([0.0, 24.0, 1e6]))
    assert r[0] == 0.0
    assert r[1] == pytest.approx(0.30)
    assert r[2] == pytest.approx(0.50)


def test_keyword_overrides_use_double_underscore_or_dots():
    a = RiskModel(river_spill__magnitude=10.0)
    b = RiskModel(**{"river_spill.magnitude": 10.0})
    assert a.p["river_spill.magnitude"] == b.p["river_spill.magnitude"] == 10.0


def test_bad_parameter_is_rejected_with_its_path():
    with pytest.raises(ValueError, match=r"hazard\.magnitude"):
        RiskModel(hazard__magnitude=-5)
    with pytest.raises(ValueError, match="unknown city 'nowhere'"):
        RiskModel(hazard__origin="nowhere")
    with pytest.raises(ValueError, match=r"did you mean 'hazard\.magnitude'"):
        RiskModel(hazard__magnitud=5)


def test_mesa_batch_run_drives_the_model():
    rows = mesa.batch_run(RiskModel, parameters={"regime": ["territorial", "coordinated"],
                                                 "region__reach_hours": [12.0, 48.0]},
                          rng=[7], number_processes=1, display_progress=False, max_steps=200)
    assert len(rows) == 4
    assert {r["regime"] for r in rows} == {"territorial", "coordinated"}
    assert all(r["total_loss"] > 0 for r in rows)
    assert len(list(RiskModel().agents)) == 6 + 2
