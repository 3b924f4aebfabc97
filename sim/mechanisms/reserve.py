"""Pooled reserve (资源协同): teams dispatched where the loss at stake is largest.

"资源协同。主要是推进不同城市间应急物资、应急装备的协同……在应急状态下能够迅速调配" — teams
go, with shared base information, to the cities with the most
loss at stake, otherwise to those nearest the origin; they return when the incident ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import events

if TYPE_CHECKING:
    from sim.model import Incident, RiskModel


def dispatch_reserve(m: RiskModel, inc: Incident, report_step: int, speed: float = 1.0) -> None:
    """The pooled reserve (资源协同): free teams go to the cities with the most loss at
    stake when cities share base information on resources, else to those nearest the
    origin; they work there from dispatch_hours (x the body's speed) until the end."""
    k = min(m.teams_free, m.p["reserve.teams"])
    if k <= 0 or inc.teams.size:
        return
    if m.p["info.share_resources"]:
        stake = inc.hazard.spared(np.array([1.0]))[0] + inc.hazard.damage() * m.loss_rate
        order = np.argsort(-stake, kind="stable")
    else:
        order = np.argsort(m.world.distance_km[inc.origin], kind="stable")
    inc.teams = np.sort(order[:k])
    inc.teams_step = report_step + m.hours_to_steps(
        m.p["reserve.dispatch_hours"] * speed)
    m.teams_free -= k
    if m.record_events:
        route = m.p["info.route"]
        by = {"platform": "body", "hierarchy": "centre"}.get(route, inc.origin)
        for j in inc.teams:
            events.record(m, inc.teams_step, "teams_sent", by, j, inc, 1.0)


def release(m: RiskModel, inc: Incident) -> None:
    """The incident's teams come home to the pool."""
    m.teams_free += inc.teams.size

