"""The event log of one run (事件日志): every decision and message, who made it, to whom.

`RiskModel(..., record_events=True)` keeps `model.events`, a list of dicts with the keys of
FIELDS. Off by default; when off, every hook is one attribute test and nothing is stored.
A message that takes time (a warning relayed through the hierarchy, a team sent) is logged at
the step it arrives; a warning or activation superseded by an earlier one is taken out again,
so each city has at most one `warned` and one `activated` per incident. The list is in the
order the model decided things; sort by step for a timeline (the results folder does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model import Incident, RiskModel

FIELDS = ("step", "hour", "event", "actor", "target", "incident", "amount", "detail")

# event -> (who the actor is, what the target and the amount are, 中文)
VOCABULARY: dict[str, tuple[str, str]] = {
    "started": ("an incident starts in the origin (actor); amount: its magnitude", "事件发生"),
    "detected": ("the origin (actor) detects the hazard on its territory", "发现"),
    "reported": ("the origin (actor) reports upward; detail: on time or late (amount: hours "
                 "held back)", "报告"),
    "held_back": ("the origin (actor) decides to hold its report back (迟报); amount: hours",
                  "迟报"),
    "silent": ("the origin (actor) decides not to report at all (瞒报)", "瞒报"),
    "relayed": ("a report is passed on (actor: body, centre or the origin to its partners); "
                "detail: the route", "转发"),
    "warned": ("a city (target) learns of the incident from the actor (body, centre, a "
               "partner city, or itself when it sees the hazard arrive); detail: the route",
               "预警"),
    "activated": ("a city (actor) is in emergency mode", "进入应急状态"),
    "arrived": ("the hazard reaches a city (actor)", "风险到达"),
    "teams_sent": ("the pooled reserve (actor: body, centre or origin) has a team at work in a "
                   "city (target)", "调派救援队"),
    "source_control_set": ("the origin (actor) sets source-control effort (amount, 0 to 1); "
                           "detail: the weight it gives others' losses", "源头控制"),
    "assistance_asked": ("the origin (actor) asks an affected city (target) to carry part of "
                         "the cost; amount: 100 million CNY per day", "请求协助"),
    "assistance_given": ("an affected city (actor) pays its part to the origin (target); "
                         "amount: per day", "提供协助"),
    "assistance_refused": ("an affected city (actor) does not pay its part (unwilling or "
                           "distrustful)", "拒绝协助"),
    "fund_collected": ("the fund (actor: body) collects from its members; amount: from the "
                       "cities, 100 million CNY", "基金筹资"),
    "fund_paid": ("the fund (actor: body) refunds a member (target); amount", "基金补偿"),
    "duty_kept": ("a city (actor) kept its duty in this incident; amount: what it cost",
                  "履责"),
    "duty_shirked": ("a city (actor) did not keep its duty; amount: what it would have cost",
                     "失职"),
    "sanction": ("the superior (actor: centre) sanctions a city (target) found out; amount",
                 "问责处罚"),
    "evaluation": ("the assessor's reward (amount > 0) or penalty (< 0) for a city (target), "
                   "paid by the superior (actor: centre)", "评估奖惩"),
    "trust_change": ("trust in a city (actor) moves after it kept or broke a promise; target: "
                     "the one city that saw it, or none when every city did; amount: mean "
                     "change", "信任变化"),
    "escalation": ("the body (actor) hands the incident to the centre; amount: expected loss "
                   "still to come", "上报中央"),
    "central_command": ("the centre (actor) takes unified command", "中央统一指挥"),
    "bilateral_paid": ("the Xin'an rule: a city (actor) pays a river neighbour (target); "
                       "amount", "横向补偿"),
    "ended": ("the incident ends; actor: its origin; amount: its total loss", "事件结束"),
}


def record(m: RiskModel, step: int, event: str, actor: Any, target: int | None = None,
           inc: Incident | None = None, amount: float | None = None, detail: str = ""
           ) -> dict:
    """Append one event to m.events (callers test m.record_events first)."""
    entry = {"step": int(step), "hour": float(step * m.step_hours), "event": event,
             "actor": actor if isinstance(actor, str) else int(actor),
             "target": None if target is None else int(target),
             "incident": None if inc is None else inc.index,
             "amount": None if amount is None else float(amount), "detail": detail}
    m.events.append(entry)
    return entry


def replace(m: RiskModel, key: tuple, entry: dict) -> None:
    """Keep one event per key (incident, city, kind): a warning superseded by an earlier one
    is taken out of the log."""
    old = m._event_slots.get(key)
    if old is not None:
        for k in range(len(m.events) - 1, -1, -1):
            if m.events[k] is old:
                del m.events[k]
                break
    m._event_slots[key] = entry
