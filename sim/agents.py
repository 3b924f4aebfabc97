"""The actors: cities, the standing coordinating body and the central government.

Agents own their decisions; the numbers they decide on live in the model's numpy arrays, and
each city reads and writes only its own slot (`self.idx`). Decisions happen per incident, not
per step, so they can be plain Python without slowing the step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from sim.model import Incident, RiskModel

NEVER = -1


def own_cost_share(p: dict) -> float:
    """Share of source-control cost the origin pays itself after refund and assistance."""
    return max(0.0, 1.0 - p["compensation.payout_share"] - p["responsibility.assist_share"])


class City(mesa.Agent):
    """A city government: first responsible and first responder on its own territory (属地管理)."""

    model: RiskModel

    def __init__(self, model: RiskModel, idx: int, city_id: str, name_en: str, name_zh: str):
        super().__init__(model)
        self.idx = idx
        self.city_id = city_id
        self.name_en = name_en
        self.name_zh = name_zh

    def decide_report(self, incident: Incident, detected_step: int) -> int:
        """When the origin reports what it detected (NEVER = it stays silent).

        An origin below the reporting threshold stays silent ("no need to report while it stays
        inside our boundary"). Otherwise it reports at once only if the expected sanction
        (audit probability x penalty, 责任追究) outweighs its private cost of disclosure, drawn
        per incident; else it holds the report back by info.report_delay_hours (迟报).
        Either way of hiding is found out with the audit probability and sanctioned.
        """
        m, p = self.model, self.model.p
        cost = p["reporting.disclosure_cost"] * m.rng.lognormal(-0.125, 0.5)
        audit_draw = m.rng.random()  # drawn every time so regimes stay paired
        typical = p[f"{incident.spec.kind}.magnitude"]
        silent = incident.spec.magnitude < p["info.report_threshold"] * typical
        delay = p["info.report_delay_hours"]
        honest = p["accountability.audit_prob"] * p["accountability.penalty"] >= cost
        if not silent and (delay <= 0 or honest):
            return detected_step
        incident.concealed = True
        if audit_draw < p["accountability.audit_prob"]:
            incident.sanction = p["accountability.penalty"]
        return NEVER if silent else detected_step + m.hours_to_steps(delay)

    def choose_source_control(self, incident: Incident, efforts: np.ndarray,
                              spared: np.ndarray) -> float:
        """Source-control effort a in [0, 1] as origin (发生地).

        `spared[k, j]` is the loss that effort `efforts[k]` would spare city j. The city picks
        the effort that maximises own + w * others spared, minus the share of the cost
        gamma * a^2 / 2 it pays itself. w is the weight it gives to other cities' losses: w = 0
        is the Nash choice of a city that sweeps only its own doorstep (自扫门前雪), w = 1 the
        regional optimum the responsibility rule asks of the origin. The fund's refund
        (利益机制) and the affected cities' assistance (波及地为辅) lower the share it pays.
        With linear damage and w = 0 this gives a = s_own * a_optimum / own_cost_share, so a
        refund of the external share 1 - s_own restores the optimum (Pigou).
        """
        p = self.model.p
        # Under the centre's unified command effort is sized for the whole region.
        w = 1.0 if incident.central_command else p["responsibility.external_weight"]
        gamma = self.model.control_cost_scale(incident)
        weight = np.full(spared.shape[1], w)
        weight[self.idx] = 1.0
        # Costs others carry count with the same weight as others' losses, so an origin that
        # already answers for the region (w = 1) is not pushed past the regional optimum.
        share = own_cost_share(p)
        cost_weight = share + w * (1.0 - share)
        value = spared @ weight - cost_weight * gamma * efforts**2 / 2
        return float(efforts[int(np.argmax(value))])

    def tell_partners(self, incident: Incident, report_step: int) -> None:
        """Spontaneous cooperation: warn only the partner cities, directly."""
        m = self.model
        at = report_step + m.hours_to_steps(m.p["info.relay_hours"])
        m.warn_cities(incident, at, only=np.flatnonzero(m.partners[self.idx]))

    def receive_warning(self, incident: Incident, step: int) -> None:
        """Note the first time this city learns of the incident; it is ready after activation.
        A warning about a city it distrusts is acted on later (信任机制)."""
        m = self.model
        i = self.idx
        if incident.informed[i] == NEVER or step < incident.informed[i]:
            hours = m.activation_hours[i]
            if i != incident.origin:
                hours += (1.0 - m.trust[i, incident.origin]) * m.p["trust.delay_hours"]
            incident.informed[i] = step
            incident.ready[i] = step + m.hours_to_steps(hours)


class CoordinatingBody(mesa.Agent):
    """The standing coordinating body (综合性协调机构): the hub of the shared platform; it calls
    in the centre when risks exceed its capacity."""

    model: RiskModel

    def escalate(self, incident: Incident, step: int) -> None:
        m = self.model
        incident.escalated_step = step
        incident.central_step = step + m.hours_to_steps(m.p["escalation.delay_hours"])

    def relay(self, incident: Incident, report_step: int) -> None:
        """Warn every city through the platform after its latency."""
        self.model.warn_cities(incident, report_step + self.model.hours_to_steps(
            self.model.p["info.relay_hours"]))


class CentralGovernment(mesa.Agent):
    """The superior level: under territorial rules reports go up to it and come back down; when
    a risk exceeds the body's capacity it takes unified command."""

    model: RiskModel

    def take_command(self, incident: Incident, step: int) -> None:
        """Unified command: effort is sized for the whole region with the centre's resources,
        and every city is warned."""
        m = self.model
        m.warn_cities(incident, step)
        incident.central_command = True
        incident.next_decision = step  # re-decide source control now

    def relay(self, incident: Incident, report_step: int) -> None:
        """Pass an upward report back down the hierarchy to every city (up, then down)."""
        self.model.warn_cities(incident, report_step + self.model.hours_to_steps(
            self.model.p["info.relay_hours"]))
