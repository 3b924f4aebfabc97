"""Communication (沟通机制): sensing, reporting and the routes warnings take.

"依托统一信息平台，实现预警信息的常态化沟通" — the origin detects,
reports upward, late or not at all (迟报, 瞒报), and the route relays the warning: up and
down the hierarchy, directly between partner cities, or through the coordinating body's
shared platform (信息平台).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim import events
from sim.hazards.kinds import Hazard
from sim.mechanisms import preparedness, reserve
from sim.mechanisms.common import NEVER

if TYPE_CHECKING:
    from sim.model import Incident, RiskModel


def warn_cities(m: RiskModel, incident: Incident, at_step: int, only=None,
                by: int | str | None = None, how: str = "") -> None:
    """Cities (all, or the indices in `only`) learn of the incident at `at_step` (from `by`,
    by route `how`, for the event log)."""
    receive_warnings(m, incident, np.arange(m.n) if only is None else only, at_step, by, how)


def receive_warnings(m: RiskModel, incident: Incident, cities: np.ndarray, step: int,
                     by: int | str | None = None, how: str = "") -> None:
    """City.receive_warning (sim.agents) for every city in `cities` (distinct indices) at
    once: each one notes the first time it learns of the incident and is ready after its
    activation time, longer for a warning about a city it distrusts and for a city long
    untouched. Element by element the same arithmetic as one city at a time, so the same
    numbers to the bit."""
    cities = np.asarray(cities, dtype=np.int64)
    informed = incident.informed[cities]
    new = cities[(informed == NEVER) | (step < informed)]
    if not new.size:
        return
    hours = m.activation_hours[new] * preparedness.complacency_factors(m, new, step)
    other = new != incident.origin
    hours[other] += (1.0 - m.trust[new[other], incident.origin]) * m.p["trust.delay_hours"]
    incident.informed[new] = step
    incident.ready[new] = step + np.rint(hours / m.step_hours).astype(np.int64)
    if m.record_events:
        for i, h in zip(new.tolist(), hours.tolist(), strict=True):
            key = (incident.index, i)
            events.replace(m, (*key, "warned"), events.record(
                m, step, "warned", i if by is None else by, i, incident, detail=how))
            events.replace(m, (*key, "activated"), events.record(
                m, int(incident.ready[i]), "activated", i, inc=incident,
                amount=h, detail=f"after {h:.3g} h"))


def partner_matrix(m: RiskModel) -> np.ndarray:
    """Partner matrix for spontaneous cooperation: near neighbours and river neighbours."""
    if m._partners is None:
        near = m.world.distance_km <= m.p["info.partner_km"]
        for e in m.region.rivers:
            near[e.src, e.dst] = near[e.dst, e.src] = True
        np.fill_diagonal(near, False)
        if not m.in_partners.all():  # a partnership needs both cities in (participation)
            near &= np.outer(m.in_partners, m.in_partners)
        m._partners = near
    return m._partners


def warning_reduction(m: RiskModel, lead_hours: np.ndarray) -> np.ndarray:
    """Damage reduction from warning lead time: r_max * (1 - exp(-L / tau)), with tau set
    so that 24 h of warning gives `warning.reduction_at_24h`."""
    r24, rmax = m.p["warning.reduction_at_24h"], m.p["warning.max_reduction"]
    if r24 <= 0 or rmax <= 0:
        return np.zeros_like(lead_hours)
    tau = -24.0 / math.log(1.0 - min(r24 / rmax, 0.999999))
    return rmax * (1.0 - np.exp(-lead_hours / tau))


def sense(m: RiskModel, inc: Incident, t: int) -> None:
    """2. Sensing: the origin detects by monitoring; other cities see the hazard arrive."""
    hz = inc.hazard
    arrived = hz.arrived()
    new = (arrived & (inc.arrival == NEVER)).nonzero()[0]
    if new.size:
        inc.arrival[new] = t
        if m.record_events:
            for j in new.tolist():
                events.record(m, t, "arrived", j, inc=inc)
        ready = inc.ready[new]
        lead = np.where((ready >= 0) & (ready <= t), (t - ready) * m.step_hours, 0.0)
        inc.lead_hours[new] = lead
        if hz.warnable:
            inc.vulnerability[new] = 1.0 - warning_reduction(m, lead)
    noticed = arrived if type(hz).noticed is Hazard.noticed else hz.noticed()
    # not informed by step t: NEVER (-1) or later than t, i.e. above t read as unsigned
    seen = (noticed & (inc.informed.view(np.uint64) > t)).nonzero()[0]
    if seen.size:  # seeing it arrive is a warning too
        receive_warnings(m, inc, seen, t, None, "saw it arrive")
    if inc.detectable_since == NEVER and hz.detectable():
        inc.detectable_since = t
    if inc.detected_step == NEVER and inc.detectable_since != NEVER and \
            t >= inc.detectable_since + inc.detect_lag:
        inc.detected_step = t
        if m.record_events:
            events.record(m, t, "detected", inc.origin, inc=inc)
        m.cities[inc.origin].receive_warning(inc, t, inc.origin, "detected it")


def report(m: RiskModel, inc: Incident, t: int) -> None:
    """3-4. Reporting and information flow: the origin reports; the route relays it."""
    if t == inc.detected_step:
        inc.report_step = m.cities[inc.origin].decide_report(inc, t)
        if m.record_events:
            log_report_decision(m, inc, t)
        if m.p["info.partners"] and not inc.silent:
            # Partnerships on top of the route: partners hear of it directly, at once,
            # whatever the origin reports upward (only silence hides it from them too).
            m.cities[inc.origin].tell_partners(inc, t)
    if t == inc.report_step:
        route = m.p["info.route"]
        if m.record_events and t != inc.detected_step:
            events.record(m, t, "reported", inc.origin, inc=inc,
                          amount=(t - inc.detected_step) * m.step_hours, detail="late")
        if route == "partners":
            if m.record_events:
                events.record(m, t, "relayed", inc.origin, inc=inc, detail="partners")
            m.cities[inc.origin].tell_partners(inc, t)
            reserve.dispatch_reserve(m, inc, t)  # partners lend each other teams
        elif route == "platform" and not m.in_platform[inc.origin]:
            outside_platform(m, inc, t)
        else:
            (m.body if route == "platform" else m.centre).relay(inc, t)


def outside_platform(m: RiskModel, inc: Incident, t: int) -> None:
    """An origin outside the platform reports up the hierarchy: every city hears of it (and
    the body, which then sends the reserve) after participation.outside_relay_hours."""
    at = t + m.hours_to_steps(m.p["participation.outside_relay_hours"])
    if m.record_events:
        events.record(m, t, "relayed", "centre", inc=inc,
                      detail="hierarchy (origin outside the platform)")
    warn_cities(m, inc, at, by="centre", how="hierarchy (origin outside the platform)")
    reserve.dispatch_reserve(m, inc, at, m.body.speed())


def log_report_decision(m: RiskModel, inc: Incident, t: int) -> None:
    """The origin's choice at detection: report now, hold back (迟报) or stay silent (瞒报),
    and the sanction if the superior finds it out."""
    if inc.report_step == t:
        events.record(m, t, "reported", inc.origin, inc=inc, amount=0.0, detail="on time")
    elif inc.silent:
        events.record(m, t, "silent", inc.origin, inc=inc)
    else:
        events.record(m, t, "held_back", inc.origin, inc=inc,
                      amount=(inc.report_step - t) * m.step_hours)
    if inc.sanction > 0:
        events.record(m, t, "sanction", "centre", inc.origin, inc, inc.sanction,
                      "silent" if inc.silent else "report held back")
