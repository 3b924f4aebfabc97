"""Pattern: arrival order follows effective distance (docs/sources.md §A.3).

Source: Brockmann & Helbing (2013, Science 342:1337), "The hidden geometry of complex,
network-driven contagion phenomena": with the effective distance d_mn = 1 − ln P_mn along the
mobility network (P_mn the share of travellers leaving n who go to m), arrival times of a
contagion are close to linear in the shortest effective distance from the origin (R² ≈ 0.9 for
SARS 2003 and H1N1 2009), while geographic distance predicts them poorly. Here: twelve random
layouts of 15 cities with gravity mobility; arrival = the first whole infective.
"""

from __future__ import annotations

import numpy as np

from sim.hazards.epidemic import MetapopSEIR, gravity_flows, shortest_effective_distance
from tests.patterns.helpers import planar_distances, spearman


def test_arrival_order_follows_effective_distance():
    """Brockmann & Helbing 2013: arrival time ranks with effective, not geographic, distance,
    and is close to linear in it."""
    rho_eff, rho_geo, linear = [], [], []
    for layout in range(12):
        rng = np.random.default_rng(layout)
        n = 15
        dist = planar_distances(rng.uniform(0, 1000, (n, 2)))
        pop = np.exp(rng.uniform(np.log(1e5), np.log(1e7), n))
        P = gravity_flows(pop, dist, 1e-3)
        model = MetapopSEIR(pop, 2.0, 3, 5, dt_days=0.25, P=P)
        model.seed(0, 10)
        arrival = np.full(n, np.inf)
        for step in range(4000):
            model.step()
            arrival[(model.I >= 1.0) & np.isinf(arrival)] = step
            if np.all(np.isfinite(arrival)):
                break
        others = np.arange(1, n)
        eff = shortest_effective_distance(P, 0)
        rho_eff.append(spearman(arrival[others], eff[others]))
        rho_geo.append(spearman(arrival[others], dist[0, others]))
        linear.append(np.corrcoef(arrival[others], eff[others])[0, 1])
    rho_eff, rho_geo, linear = np.array(rho_eff), np.array(rho_geo), np.array(linear)
    assert rho_eff.mean() >= 0.8
    assert rho_eff.mean() > rho_geo.mean() + 0.3
    assert np.mean(rho_eff > rho_geo) >= 11 / 12  # effective distance wins in (nearly) every layout
    assert linear.mean() >= 0.9  # B&H: arrival time is close to linear in effective distance
