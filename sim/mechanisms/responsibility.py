"""Responsibility (责任): the origin leads, the affected cities assist; goals per city.

"构建'发生地为主、波及地为辅'的城市跨域风险协同治理责任框架" — the
origin sizes source control for the cities its duty covers (the region under a
responsibility list, 责任清单; its partners under bilateral agreements), weighing the loss it
spares against the cost rate it pays; affected cities owe part of the cost. Goals differ by
city (目标协同: "不同城市在经济发展水平……存在着差异，这决定了他们参与跨域风险协同治理
的目标偏好可能会不太一致"). Sanctions for broken duties (责任追究) are in `accountability`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import events
from sim.hazards.kinds import EFFORTS
from sim.mechanisms import communication, compensation
from sim.mechanisms.common import DECIDE_EVERY_HOURS, NEVER

if TYPE_CHECKING:
    from sim.model import Incident, RiskModel


def own_cost_share(p: dict, fund: bool = True, assisted: bool = True) -> float:
    """Share of source-control cost the origin pays itself after refund and assistance (no
    refund outside the fund, no assistance off the responsibility list: participation)."""
    return max(0.0, 1.0 - (p["compensation.payout_share"] if fund else 0.0)
               - (p["responsibility.assist_share"] if assisted else 0.0))


def control_cost_scale(m: RiskModel, inc: Incident) -> float:
    """gamma of source control for this incident, per day at full effort. Effort is a share
    of the source (of the leak captured, the wave detained, the emission cut), so holding it
    on a source twice the typical size takes twice the means: gamma grows with the
    incident's size against its kind's default (not for epidemics, whose measures cost by
    the population they cover). The centre's resources cut it once it commands."""
    gamma = m.p["source_control.cost"]
    kind = inc.spec.kind
    if kind != "epidemic":
        gamma *= inc.spec.magnitude / m.p[f"{kind}.magnitude"]
    return gamma / m.p["escalation.resource_factor"] if inc.central_command else gamma


def size_source_control(m: RiskModel, inc: Incident, t: int) -> None:
    """5-6. Activation and effort: in emergency mode the origin sizes source control for
    the rest of the incident, weighing the loss each effort would spare against its cost
    rate x the days it would be held, and revisits the plan daily as the incident unfolds
    (and when its duty to the region starts). It pays only for the time an effort is in
    force, so the cost it weighs is the cost it pays if it keeps the plan."""
    ready = inc.ready[inc.origin]
    if ready == NEVER or t < ready or (inc.decided and t < inc.next_decision):
        return
    inc.decided = True
    inc.next_decision = t + max(1, m.hours_to_steps(DECIDE_EVERY_HOURS))
    if inc.duty_from == NEVER:  # without a clear list, duties take negotiating first
        inc.duty_from = ready + m.hours_to_steps(
            (1.0 - m.p["responsibility.list_clarity"])
            * m.p["responsibility.negotiation_hours"])
    if inc.duty_from > t:  # the duty's start prompts a decision of its own
        inc.next_decision = min(inc.next_decision, inc.duty_from)
    compensation.pay_control(m, inc)
    spared = inc.hazard.spared(EFFORTS) * damage_outlook(m, inc, t)[None, :]
    days = inc.hazard.control_days(EFFORTS)
    if not spared.any() or not days.any():  # nothing left that effort could change
        inc.next_decision = m.n_steps
        set_effort(m, inc, 0.0, spared[0], 0.0, t)
        inc.stake = inc.hazard.at_stake()
        return
    duty = m.p["responsibility.external_weight"]
    w = 0.0
    if inc.central_command:
        w = 1.0  # ordered by the centre: no choice, no duty of its own to keep
    elif t >= inc.duty_from and duty > 0 and m.in_list[inc.origin]:
        inc.origin_duty = True
        w = duty if inc.origin_coop else 0.0
    inc.external_weight = w
    plan_cost = control_cost_scale(m, inc) * EFFORTS**2 / 2 * days
    scope = duty_scope(m, inc.origin)
    effort, sacrifice, alone = m.cities[inc.origin].choose_source_control(
        inc, EFFORTS, spared, plan_cost, w, duty, scope)
    k = round(effort * (len(EFFORTS) - 1))
    k_opt = int(np.argmax(spared.sum(axis=1) - plan_cost))
    inc.efforts.append(effort)
    inc.optima.append(float(EFFORTS[k_opt]))
    inc.optimum_cost += float(plan_cost[k_opt])
    per_step = m.step_hours / 24.0 / days[k] if days[k] > 0 else 0.0
    inc.sacrifice_rate = inc.benefit_rate = 0.0
    if inc.origin_duty and not inc.central_command:
        inc.sacrifice_rate = sacrifice * per_step
        if w > 0:  # what keeping the duty spares the others, against acting alone
            gain = spared[k] - spared[round(alone * (len(EFFORTS) - 1))]
            inc.benefit_rate = np.where(scope, np.maximum(gain, 0.0), 0.0) * per_step
    set_effort(m, inc, effort, spared[k], w, t)
    inc.stake = float(inc.hazard.at_stake())


def damage_outlook(m: RiskModel, inc: Incident, t: int) -> np.ndarray:
    """Per city, the share of a hazard's damage that will still hurt it: less local
    protection where the city will be in emergency mode when the hazard arrives, less what
    its warning lead buys (recorded where it has arrived, expected from the travel time
    where it has not), less a reserve team's protection. Decisions weigh spared loss
    through it, so what they expect to spare is what the losses will show."""
    eta = t + inc.hazard.steps_to_arrival()
    ready_by = (inc.ready >= 0) & (inc.ready <= np.where(inc.arrival >= 0, t, eta))
    out = np.where(ready_by, m._unprotected, 1.0)
    if inc.hazard.warnable:
        lead = np.where(ready_by & (inc.arrival < 0), (eta - inc.ready) * m.step_hours, 0.0)
        out *= np.where(inc.arrival >= 0, inc.vulnerability,
                        1.0 - communication.warning_reduction(m, np.maximum(lead, 0.0)))
    if inc.teams.size:
        out[inc.teams] *= 1.0 - m.p["reserve.protection"]
    return out


def duty_scope(m: RiskModel, origin: int) -> np.ndarray:
    """Cities whose losses the origin's duty covers and who owe assistance: the whole
    region, or only its partners under bilateral agreements (responsibility.scope)."""
    if m.p["responsibility.scope"] == "partners":
        scope = communication.partner_matrix(m)[origin].copy()
    else:
        scope = np.ones(m.n, dtype=bool)
    if not m.in_list.all():  # duties to and from cities off the list: territorial rules
        scope &= m.in_list & m.in_list[origin]
    scope[origin] = False
    return scope


def set_effort(m: RiskModel, inc: Incident, effort: float, spared: np.ndarray, w: float,
               t: int) -> None:
    """Put an effort in force from step t: its cost per step and who pays it. Affected
    cities in the duty's scope owe `assist_share` of the cost in proportion to what the
    effort spares them (波及地为辅); those unwilling or distrustful do not pay and the
    origin carries their part; under unified command the centre pays its share."""
    if m.record_events and (effort != inc.effort or not inc.efforts[:-1]):
        events.record(m, t, "source_control_set", inc.origin, inc=inc, amount=effort,
                      detail=f"weight on others' losses {w:g}"
                             + (", under central command" if inc.central_command else ""))
    changed = effort != inc.effort
    inc.effort = effort
    inc.hazard.control = effort
    inc.hazard.external = w
    inc.cost_rate = control_cost_scale(m, inc) * effort**2 / 2 * m.step_hours / 24.0
    inc.central_share = m.p["escalation.central_share"] if inc.central_command else 0.0
    inc.assist_rate = inc.assist_given_rate = None
    inc.benefit_key = spared.copy()  # a row of the decision matrix: do not keep it alive
    if inc.cost_rate <= 0:
        return
    others = np.where(duty_scope(m, inc.origin), spared, 0.0)
    share = m.p["responsibility.assist_share"]
    if share > 0 and others.sum() > 0:
        asked = inc.cost_rate * (1.0 - inc.central_share) * share * others / others.sum()
        idx = asked.nonzero()[0]
        willing = willing_to_assist(m, idx, inc.u_coop[idx], inc.origin)
        given = np.zeros(m.n)
        given[idx[willing]] = asked[idx[willing]]
        inc.assist_rate, inc.assist_given_rate = asked, given
        if m.record_events and changed:
            per_day = 24.0 / m.step_hours
            for j, ok in zip(idx, willing, strict=True):
                events.record(m, t, "assistance_asked", inc.origin, j, inc, asked[j] * per_day)
                events.record(m, t, "assistance_given" if ok else "assistance_refused", j,
                              inc.origin, inc, asked[j] * per_day if ok else 0.0)


def willing_to_assist(m: RiskModel, cities: np.ndarray, draws: np.ndarray,
                      origin: int) -> np.ndarray:
    """City.will_assist (sim.agents) for every city in `cities` (with its draw in `draws`)
    at once."""
    return ((draws < m.cooperation[cities])
            & (m.trust[cities, origin] >= m.p["trust.assist_threshold"]))


def duties_of(inc: Incident) -> tuple[dict[int, bool], dict[int, float]]:
    """The duties an incident created, kept or not, and what each cost its city: the
    origin's duty to the region (its sacrifice against its selfish choice) and every
    affected city's assist duty (what it was asked to pay)."""
    duties: dict[int, bool] = {}
    costs: dict[int, float] = {}
    if inc.origin_duty:
        duties[inc.origin] = inc.origin_coop
        costs[inc.origin] = inc.origin_duty_cost
    asked = (inc.assist_asked > 0).nonzero()[0]
    cities = asked.tolist()
    duties.update(zip(cities, (inc.assist_given[asked] > 0).tolist(), strict=True))
    costs.update(zip(cities, inc.assist_asked[asked].tolist(), strict=True))
    return duties, costs

