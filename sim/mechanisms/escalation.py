"""Escalation to the centre (中央介入): the body hands over what exceeds its capacity.

"当出现重特大跨域风险，超出综合性协调机构的应对处置范围和能力时，中央相关机构应及时干预" —
once a day the body weighs the expected loss still to come of the incidents it handles against
its capacity and hands the largest to the centre until what it keeps fits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.mechanisms.common import NEVER

if TYPE_CHECKING:
    from sim.model import Incident, RiskModel


def escalate(m: RiskModel, live: list[Incident], t: int) -> None:
    """10. Once a day the body weighs the expected loss still to come of the reported
    incidents it handles against its capacity; when they exceed it, it hands the largest
    to the centre until what it keeps fits (上报中央). The centre takes unified command
    after a delay, with extra resources."""
    if t % m._decide_steps == 0:
        handled = [inc for inc in live if inc.report_step >= 0
                   and known_from(m, inc) <= t and inc.escalated_step == NEVER]
        if handled:
            for inc in handled:
                inc.stake = inc.hazard.at_stake()
            held = sum(inc.stake for inc in handled)
            capacity = m.p["escalation.body_capacity"]
            for inc in sorted(handled, key=lambda i: -i.stake):
                if held <= capacity:
                    break
                m.body.escalate(inc, t)
                held -= inc.stake
    for inc in live:
        if inc.central_step == t:
            m.centre.take_command(inc, t)


def known_from(m: RiskModel, inc: Incident) -> int:
    """When the body learns of a reported incident: at the report, or, from an origin outside
    the platform (participation.platform), once the hierarchy has passed it on."""
    if m.in_platform[inc.origin] or m.p["info.route"] != "platform":
        return inc.report_step
    return inc.report_step + m.hours_to_steps(m.p["participation.outside_relay_hours"])
