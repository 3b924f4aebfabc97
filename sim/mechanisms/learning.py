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
    for j, kept in duties.items():
        cost = costs[j]
        peer = bool(m.in_supervision[j])
        sanction = accountability.duty_sanction(p, inc, j, kept, cost, peer)
        if not kept:
            m.duty_sanctions[j] += sanction
            if m.record_events and sanction > 0:
                events.record(m, m.t, "sanction", "centre", j, inc, sanction, "shirked duty")
        refund = p["compensation.payout_share"] * cost if m.in_fund[j] else 0.0
        update_propensity(m, j, cost, refund, evaluation.duty_assessment(p, inc, j, kept),
                          sanction)
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
    for j, cost in costs.items():
        m.duty_costs[j] += cost
