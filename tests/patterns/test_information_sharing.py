"""Pattern: information sharing pays off downstream (docs/sources.md §A.5).

Sources: in a transboundary river basin the value of exchanging information accrues mainly to
the downstream agents (Giuliani & Castelletti 2013, Water Resour. Res. 49:3912); among
emergency responders any direct communication beats strict hierarchical reporting
(JASSS 13(3):3, 2010). What the model must show: replacing the hierarchy (a report goes up to
the superior and comes back down, 24 h) by the coordinating body's shared platform (2 h)
leaves the origin and the cities upstream of it exactly as they were, cuts loss in every city
downstream, and so puts the whole regional benefit outside the origin; the benefit is largest
where the hierarchy's warning came too late to give any lead time.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import RiskModel
from tests.patterns.helpers import NEUTRAL

ORIGIN, N = 2, 8  # two cities upstream of the spill, five downstream
SPILL = {**NEUTRAL, "hazard.kind": "river_spill", "region.kind": "river_chain",
         "region.n_cities": N, "hazard.origin": ORIGIN, "time.horizon_days": 20,
         "responsibility.external_weight": 0.0}  # source control is not what is compared
ROUTES = {"hierarchy": {"info.route": "hierarchy", "info.relay_hours": 24.0},
          "platform": {"info.route": "platform", "info.relay_hours": 2.0}}
REPLICATIONS = 20


def _per_city(reach_hours: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per route: loss and warning lead (replication x city), common random numbers."""
    out = {}
    for route, settings in ROUTES.items():
        runs = [RiskModel(regime="territorial", rng=seed,
                          params={**SPILL, **settings, "region.reach_hours": reach_hours})
                for seed in range(REPLICATIONS)]
        for m in runs:
            m.run()
        out[route] = (np.array([m.incidents[0].loss for m in runs]),
                      np.array([m.incidents[0].lead_hours for m in runs]))
    return out


@pytest.mark.parametrize("reach_hours", [12.0, 24.0])
def test_the_platform_benefits_downstream_cities_and_no_one_else(reach_hours):
    runs = _per_city(reach_hours)
    (hier, hier_lead), (plat, plat_lead) = runs["hierarchy"], runs["platform"]
    gain = hier - plat  # loss the platform spares, replication x city
    upstream, downstream = np.arange(ORIGIN), np.arange(ORIGIN + 1, N)
    assert np.all(hier[:, upstream] == 0) and np.all(plat[:, upstream] == 0)
    assert np.allclose(gain[:, ORIGIN], 0.0, atol=1e-12)  # the origin knew first either way
    assert np.all(gain[:, downstream] >= -1e-12)  # earlier warning never hurts ...
    assert np.all(gain[:, downstream].mean(axis=0) > 0.01 * hier[:, downstream].mean(axis=0))
    assert np.all(plat_lead[:, downstream] >= hier_lead[:, downstream])  # ... and buys lead
    assert gain[:, downstream].sum() / gain.sum() == pytest.approx(1.0)
    # most valuable where the hierarchy left no lead time at all
    best = ORIGIN + 1 + int(np.argmax(gain[:, downstream].mean(axis=0)))
    assert np.median(hier_lead[:, best]) < 24.0
