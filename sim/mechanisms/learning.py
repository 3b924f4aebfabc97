"""Learning (学习机制): whether keeping duties and hiding reports pays, across incidents.

"及时地发现问题，针对性地改进问题，为之后的城市跨域风险治理积累有益经验" — Bush-Mosteller
reinforcement of the propensity to keep duties, crediting what cooperation returns (direct
reciprocity, "维系跨域风险治理活动的稳定性、持续性"); cities also learn how likely hiding is to
be found out.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim import events
from sim.mechanisms import accountability, evaluation

if TYPE_CHECKING:
    from sim.model import Incident, RiskModel


def learn_from_duties(m: RiskModel, inc: Incident, duties: dict[int, bool],
                      costs: dict[int, float]) -> None:
    """After an incident every city that had a duty weighs what keeping it brought: the
    fund's refund, the assessment, the sanction (expected if kept, as paid if shirked) and
    what cooperation returned to it. A shirker found out pays its sanction here."""
    p = m.p
    if duties:  # every duty at once: each city's numbers are its own, in the same arithmetic
        cities = np.fromiter(duties, dtype=np.int64, count=len(duties))
        kept = np.fromiter(duties.values(), dtype=bool, count=len(duties))
        cost = np.fromiter(map(costs.__getitem__, duties), dtype=float, count=len(duties))
        sanction = accountability.duty_sanctions(p, inc, cities, kept, cost,
                                                 m.in_supervision[cities])
        shirked = ~kept
        m.duty_sanctions[cities[shirked]] += sanction[shirked]
        if m.record_events:
            for j, paid in zip(cities[shirked].tolist(), sanction[shirked].tolist(),
                               strict=True):
                if paid > 0:
                    events.record(m, m.t, "sanction", "centre", j, inc, paid, "shirked duty")
        refund = np.where(m.in_fund[cities], p["compensation.payout_share"] * cost, 0.0)
        update_propensities(m, cities, cost, refund,
                            evaluation.duty_assessments(p, inc, cities, kept), sanction)
    if inc.concealed:
        origin = inc.origin
        learn_detection(m, origin, inc.u_audit[origin] < accountability.detection_prob(
            p, bool(m.in_supervision[origin])))


def update_propensity(m: RiskModel, i: int, cost: float, refund: float, assessed: float,
                      sanction: float) -> None:
    """Bush-Mosteller update of city i's propensity to cooperate after a duty of `cost`.

    The city weighs what keeping the duty brought against what it cost, in units of the
    cost: the refund, the evaluation stake, the sanction, and what cooperation returns to it
    (互惠). Reciprocity is direct: it counts what the cities it has itself helped gave it in
    return (loss their kept duties spared it, assistance), weighted by its trust in each, per
    yuan of its own duties (all discounted over learning.memory_days). So cooperation lasts
    among neighbours who help each other and trust each other, and decays where help flows
    one way (upstream to downstream) unless refunds, rewards or sanctions make it pay. A
    positive balance moves the propensity q towards 1 by rate x balance x (1 - q), a negative
    one towards 0.
    """
    p = m.p
    rate = p["learning.rate"]
    if rate <= 0 or cost <= 1e-9:
        return
    helped = m.gave[i] > 0
    helped[i] = False
    mutual = float((m.trust[i] * m.gave[:, i])[helped].sum())
    payback = p["trust.reciprocity"] * mutual / max(m.duty_costs[i], cost)
    balance = (refund + assessed + sanction - cost) / cost + payback
    s = float(np.clip(balance, -1.0, 1.0))
    q = m.cooperation[i]
    m.cooperation[i] = q + rate * s * ((1.0 - q) if s > 0 else q)


def update_propensities(m: RiskModel, cities: np.ndarray, cost: np.ndarray,
                        refund: np.ndarray, assessed: np.ndarray, sanction: np.ndarray) -> None:
    """update_propensity for every city in `cities` (distinct) at once. What cooperation
    returned to each city is a sum over the cities it helped, taken city by city as
    update_propensity takes it (a sum over another grouping could differ in the last bit)."""
    p = m.p
    rate = p["learning.rate"]
    if rate <= 0:
        return
    learns = cost > 1e-9
    cities, cost = cities[learns], cost[learns]
    if not cities.size:
        return
    helped = m.gave[cities] > 0
    helped[np.arange(cities.size), cities] = False
    given = m.trust[cities] * m.gave[:, cities].T  # given[k, i]: trust x what i gave city k
    mutual = np.array([float(row[mask].sum()) for row, mask in zip(given, helped, strict=True)])
    payback = p["trust.reciprocity"] * mutual / np.maximum(m.duty_costs[cities], cost)
    balance = (refund[learns] + assessed[learns] + sanction[learns] - cost) / cost + payback
    s = np.clip(balance, -1.0, 1.0)
    q = m.cooperation[cities]
    m.cooperation[cities] = q + rate * s * np.where(s > 0, 1.0 - q, q)


def learn_detection(m: RiskModel, i: int, caught: bool) -> None:
    """After hiding a report, city i revises its belief in being found out (own experience;
    a lucky escape teaches 侥幸心理)."""
    rate = m.p["learning.rate"]
    m.audit_belief[i] += rate * (float(caught) - m.audit_belief[i])


def record_help(m: RiskModel, inc: Incident, duties: dict[int, bool],
                costs: dict[int, float]) -> None:
    """Who helped whom in this incident, and what duties cost, discounted over time."""
    fade = math.exp(-(m.t + 1 - m._help_step) * m.step_hours / 24.0
                    / m.p["learning.memory_days"])
    m._help_step = m.t + 1
    m.gave *= fade
    m.duty_costs *= fade
    if inc.origin_duty and inc.origin_coop:
        m.gave[inc.origin] += inc.duty_benefit
    m.gave[:, inc.origin] += inc.assist_given
    if costs:  # distinct cities: one addition each, as one by one
        m.duty_costs[np.fromiter(costs, dtype=np.int64, count=len(costs))] += \
            np.fromiter(costs.values(), dtype=float, count=len(costs))
