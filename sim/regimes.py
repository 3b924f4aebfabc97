"""Coordination regimes: each is nothing but a named preset of mechanism settings.

A scenario starts from a regime and may override any single setting, so an ablation
("coordinated without the platform") is one line of YAML.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Regime:
    name: str
    label_en: str
    label_zh: str
    doc: str
    settings: dict[str, Any]


# Expected loss still to come (100 million CNY) past which the superior's routine hands an
# incident to the centre when no standing body exists: only extreme events (about the top 1%
# of the flagship's incidents), and late (escalation.delay_hours).
TERRITORIAL_CAPACITY = 200.0

REGIMES: dict[str, Regime] = {
    r.name: r
    for r in (
        Regime(
            "territorial",
            "Territorial",
            "属地管理",
            "Each city answers only for its own territory: the origin reports upward, late and "
            "only past a threshold; the superior relays warnings down; source control is sized "
            "to the origin's own losses (自扫门前雪).",
            {
                "info.route": "hierarchy",
                "info.report_delay_hours": 48.0,
                "info.report_threshold": 0.2,
                "info.relay_hours": 24.0,
                "responsibility.external_weight": 0.0,
                "responsibility.assist_share": 0.0,
                "accountability.audit_prob": 0.0,
                "accountability.penalty": 0.0,
                "compensation.payout_share": 0.0,
                "compensation.outside_share": 0.0,
                "escalation.body_capacity": TERRITORIAL_CAPACITY,
                "escalation.delay_hours": 96.0,
                "accountability.peer_audit_prob": 0.0,
                "accountability.duty_penalty": 0.0,
                "responsibility.list_clarity": 0.0,
                "evaluation.assessor": "none",
                "reserve.teams": 0,
                "info.share_resources": False,
                "body.offices": False,
                "trust.partner_threshold": 0.0,
            },
        ),
        Regime(
            "spontaneous",
            "Spontaneous",
            "平行区域自发型",
            "Territorial management with voluntary partnerships on top: reports still go up "
            "the hierarchy (late, past a threshold) and the centre still comes at extreme "
            "severity, but neighbouring partner cities warn each other directly at detection, "
            "weigh each other's losses (not the rest of the region's) and help each other "
            "under bilateral agreements; partnerships hold only while both sides trust each "
            "other.",
            {
                "info.route": "hierarchy",
                "info.partners": True,
                "info.partner_hours": 2.0,
                "info.report_delay_hours": 48.0,
                "info.report_threshold": 0.2,
                "info.relay_hours": 24.0,
                "responsibility.scope": "partners",
                "responsibility.external_weight": 1.0,
                "responsibility.assist_share": 0.1,
                "accountability.audit_prob": 0.0,
                "accountability.penalty": 0.0,
                "compensation.payout_share": 0.0,
                "compensation.outside_share": 0.0,
                "escalation.body_capacity": TERRITORIAL_CAPACITY,
                "escalation.delay_hours": 96.0,
                "accountability.peer_audit_prob": 0.3,
                "accountability.duty_penalty": 1.0,
                "responsibility.list_clarity": 0.5,
                "evaluation.assessor": "none",
                "reserve.teams": 0,
                "info.share_resources": False,
                "body.offices": False,
                "trust.partner_threshold": 0.3,
            },
        ),
        Regime(
            "superior_led",
            "Superior-led",
            "上级政府主导型",
            "The common superior government commands: reports go up and orders come down the "
            "hierarchy to every city; the superior makes the origin control for the region.",
            {
                "info.route": "hierarchy",
                "info.report_delay_hours": 24.0,
                "info.report_threshold": 0.0,
                "info.relay_hours": 12.0,
                "responsibility.external_weight": 1.0,
                "responsibility.assist_share": 0.0,
                "accountability.audit_prob": 0.6,
                "accountability.penalty": 10.0,
                "compensation.payout_share": 0.3,
                "compensation.outside_share": 1.0,
                "escalation.body_capacity": 0.0,
                "escalation.delay_hours": 12.0,
                "accountability.peer_audit_prob": 0.0,
                "accountability.duty_penalty": 2.0,
                "responsibility.list_clarity": 0.8,
                "evaluation.assessor": "superior",
                "reserve.teams": 2,
                "info.share_resources": False,
                "body.offices": False,
                "trust.partner_threshold": 0.0,
            },
        ),
        Regime(
            "coordinated",
            "Coordinated",
            "综合协调·协同共治·属地管理",
            "A standing coordinating body runs a shared information platform; the origin reports "
            "at once and leads source control for the whole region (发生地为主、波及地为辅).",
            {
                "info.route": "platform",
                "info.report_delay_hours": 24.0,
                "info.report_threshold": 0.0,
                "info.relay_hours": 2.0,
                "responsibility.external_weight": 1.0,
                "responsibility.assist_share": 0.2,
                "accountability.audit_prob": 0.8,
                "accountability.penalty": 10.0,
                "compensation.payout_share": 0.3,
                "compensation.outside_share": 0.3,
                "escalation.body_capacity": 50.0,
                "escalation.delay_hours": 24.0,
                "accountability.peer_audit_prob": 0.3,
                "accountability.duty_penalty": 2.0,
                "responsibility.list_clarity": 1.0,
                "evaluation.assessor": "third_party",
                "reserve.teams": 3,
                "info.share_resources": True,
                "body.offices": True,
                "trust.partner_threshold": 0.0,
            },
        ),
    )
}


def regime_settings(name: str) -> dict[str, Any]:
    """The settings of regime `name` (KeyError with a hint if unknown)."""
    from sim.params import suggest

    if name not in REGIMES:
        raise KeyError(f"unknown regime {name!r}{suggest(name, REGIMES)}")
    return dict(REGIMES[name].settings)
