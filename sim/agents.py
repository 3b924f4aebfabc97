"""The actors: cities, the standing coordinating body and the central government.

Agents own their decisions; the numbers they decide on live in the model's numpy arrays, and
each city reads and writes only its own slot (`self.idx`). Decisions happen per incident, not
per step, so they can be plain Python without slowing the step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim import events
from sim.mechanisms import communication, evaluation, learning, responsibility
from sim.mechanisms.accountability import detection_prob
from sim.mechanisms.common import NEVER
from sim.mechanisms.evaluation import evaluation_stake

if TYPE_CHECKING:
    from sim.model import Incident, RiskModel

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

        Below the reporting threshold the origin would rather stay silent ("no need to report
        while it stays inside our boundary", 瞒报); otherwise it would rather hold the report
        back by info.report_delay_hours (迟报). It reports at once, and at all, only when what
        it expects to lose by hiding (its belief in being found out x the penalty, plus the
        evaluation stake of the criterion hiding fails) outweighs its private cost of
        disclosure, drawn per incident. Hiding is found out with the supervision's detection
        probability and sanctioned; the city's belief is learned from its own experience.
        """
        m, p = self.model, self.model.p
        cost = p["reporting.disclosure_cost"] * incident.u_cost
        deterrence = m.audit_belief[self.idx] * p["accountability.penalty"]
        typical = p[f"{incident.spec.kind}.magnitude"]
        silent = (incident.spec.magnitude < p["info.report_threshold"] * typical
                  and deterrence + evaluation_stake(p, "honesty") < cost)
        delay = p["info.report_delay_hours"]
        late = delay > 0 and deterrence + evaluation_stake(p, "timeliness") < cost
        if not silent and not late:
            return detected_step
        incident.concealed = True
        incident.silent = silent
        if incident.u_audit[self.idx] < detection_prob(p, bool(m.in_supervision[self.idx])):
            incident.sanction = p["accountability.penalty"]
        return NEVER if silent else detected_step + m.hours_to_steps(delay)

    def will_cooperate(self, draw: float) -> bool:
        """Whether the city fulfils its duty this time: its learned propensity (学习机制)."""
        return draw < self.model.cooperation[self.idx]

    def choose_source_control(self, incident: Incident, efforts: np.ndarray,
                              spared: np.ndarray, plan_cost: np.ndarray, w: float,
                              duty_weight: float, scope: np.ndarray
                              ) -> tuple[float, float, float]:
        """Source-control effort a in [0, 1] as origin (发生地) when it weighs the losses of
        the cities in its duty's `scope` by `w`, and what its duty to the region (weight
        `duty_weight`) costs the city itself against its selfish choice, whether or not it
        keeps it, and the effort it would choose alone, with no duty, refund or assistance.

        `spared[k, j]` is the loss that effort `efforts[k]` held from now on would spare city
        j, and `plan_cost[k]` what holding it would cost (a cost rate x the days it is held).
        The city picks the effort that maximises own + w * others spared (weighted by its
        safety goal, 目标协同), minus the share of the cost it pays itself. w = 0 is the Nash
        choice of a city that sweeps only its own doorstep (自扫门前雪), w = 1 the regional
        optimum the responsibility rule asks of the origin. The fund's refund (利益机制) and the
        affected cities' assistance (波及地为辅) lower the share it pays. With linear damage and
        w = 0 this gives a = s_own * a_optimum / own_cost_share, so a refund of the external
        share 1 - s_own restores the optimum (Pigou).
        """
        p = self.model.p
        safety = self.model.safety_weight[self.idx]
        share = responsibility.own_cost_share(p, bool(self.model.in_fund[self.idx]),
                               bool(self.model.in_list[self.idx]))
        own = safety * spared[:, self.idx] - share * plan_cost
        # Costs others carry count with the same weight as others' losses, so an origin that
        # answers for the region (w = 1) is not pushed past the regional optimum.
        external = safety * (spared @ scope) - (1.0 - share) * plan_cost

        def best(weight: float) -> int:
            return int(np.argmax(own + weight * external))

        k_duty, k_selfish = best(duty_weight), best(0.0)
        k = k_duty if w == duty_weight else best(w)
        # alone: no duty, no refund, no assistance (自扫门前雪 outside any arrangement). What
        # the region's arrangement makes the origin do beyond that is the help others see,
        # even where a refund has made that effort pay for the origin itself.
        k_alone = int(np.argmax(safety * spared[:, self.idx] - plan_cost))
        return (float(efforts[k]), max(0.0, float(own[k_selfish] - own[k_duty])),
                float(efforts[k_alone]))

    def will_assist(self, draw: float, origin: int) -> bool:
        """An affected city keeps its assist duty (波及地为辅) if it is willing and trusts the
        origin enough (信任机制)."""
        return bool(responsibility.willing_to_assist(self.model, np.array([self.idx]),
                                                     np.array([draw]), origin)[0])

    def learn(self, kept: bool, cost: float, refund: float, assessed: float,
              sanction: float) -> None:
        """Bush-Mosteller update of the propensity to keep duties after one of `cost`
        (sim.mechanisms.learning: what keeping it brought, reciprocity included)."""
        learning.update_propensity(self.model, self.idx, cost, refund, assessed, sanction)

    def learn_detection(self, caught: bool) -> None:
        """After hiding a report, revise the belief in being found out (own experience)."""
        learning.learn_detection(self.model, self.idx, caught)

    def tell_partners(self, incident: Incident, report_step: int) -> None:
        """Spontaneous cooperation: warn only the partner cities, directly, and only those the
        partnership still holds with: mutual trust at least trust.partner_threshold."""
        m = self.model
        i = self.idx
        at = report_step + m.hours_to_steps(m.p["info.partner_hours"])
        threshold = m.p["trust.partner_threshold"]
        holds = m.partners[i] & (m.trust[i] >= threshold) & (m.trust[:, i] >= threshold)
        incident.told = holds if incident.told is None else incident.told | holds
        m.warn_cities(incident, at, only=holds.nonzero()[0], by=i, how="partners")

    def receive_warning(self, incident: Incident, step: int, by: int | str | None = None,
                        how: str = "") -> None:
        """Note the first time this city learns of the incident; it is ready after activation.
        A warning about a city it distrusts is acted on later (信任机制), and a city that has
        not been hit for a long time is slow to believe it (侥幸心理). (`receive_warnings`
        does the same for many cities at once.)"""
        communication.receive_warnings(self.model, incident, np.array([self.idx]), step, by,
                                       how)


class CoordinatingBody(mesa.Agent):
    """The standing coordinating body (综合性协调机构): the hub of the shared platform; it
    dispatches the pooled reserve, runs the assessment and calls in the centre when risks
    exceed its capacity."""

    model: RiskModel

    def speed(self) -> float:
        """Specialised offices per risk type make the body faster (专门办公室)."""
        p = self.model.p
        return p["body.office_speedup"] if p["body.offices"] else 1.0

    def escalate(self, incident: Incident, step: int) -> None:
        m = self.model
        incident.escalated_step = step
        incident.central_step = step + m.hours_to_steps(m.p["escalation.delay_hours"])
        if m.record_events:
            events.record(m, step, "escalation", "body", inc=incident, amount=incident.stake,
                          detail="expected loss to come beyond the body's capacity")

    def relay(self, incident: Incident, report_step: int) -> None:
        """Warn every member of the platform after its latency; cities outside it hear of it
        up and down the hierarchy (participation.outside_relay_hours)."""
        m = self.model
        at = report_step + m.hours_to_steps(m.p["info.relay_hours"] * self.speed())
        if m.record_events:
            events.record(m, report_step, "relayed", "body", inc=incident, detail="platform")
        if m.in_platform.all():
            m.warn_cities(incident, at, by="body", how="platform")
        else:
            m.warn_cities(incident, at, only=m.in_platform.nonzero()[0], by="body",
                          how="platform")
            m.warn_cities(incident, report_step + m.hours_to_steps(
                m.p["participation.outside_relay_hours"]),
                only=(~m.in_platform).nonzero()[0], by="centre",
                how="hierarchy (outside the platform)")
        m.dispatch_reserve(incident, report_step, self.speed())

    def evaluate(self, incident: Incident, duties: dict[int, bool]) -> dict[int, float]:
        """Assess the incident's cities on the measured criteria (评估机制,
        sim.mechanisms.evaluation); returns the money per city."""
        return evaluation.assess(self.model.p, incident, duties)


class CentralGovernment(mesa.Agent):
    """The superior level: under territorial rules reports go up to it and come back down; when
    a risk exceeds the body's capacity it takes unified command."""

    model: RiskModel

    def take_command(self, incident: Incident, step: int) -> None:
        """Unified command: effort is sized for the whole region with the centre's resources,
        and every city is warned."""
        m = self.model
        if m.record_events:
            events.record(m, step, "central_command", "centre", inc=incident)
        m.warn_cities(incident, step, by="centre", how="unified command")
        incident.central_command = True
        incident.next_decision = step  # re-decide source control now

    def relay(self, incident: Incident, report_step: int) -> None:
        """Pass an upward report back down the hierarchy to every city (up, then down); the
        superior dispatches its own reserve."""
        m = self.model
        if m.record_events:
            events.record(m, report_step, "relayed", "centre", inc=incident, detail="hierarchy")
        m.warn_cities(incident, report_step + m.hours_to_steps(m.p["info.relay_hours"]),
                      by="centre", how="hierarchy")
        m.dispatch_reserve(incident, report_step)
