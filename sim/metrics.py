"""Outcome measures of one run: what policy studies report (LITERATURE.md §D).

Times are in hours from the start of the incident; a delay that never ended (a report that was
never made) is NaN, so averages across runs say how often it happened via the count of values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model import RiskModel

# name -> (unit, English meaning, Chinese term)
OUTCOMES: dict[str, tuple[str, str, str]] = {
    "total_loss": ("100 million CNY", "Loss summed over all cities", "总损失"),
    "origin_loss": ("100 million CNY", "Loss in the origin city", "发生地损失"),
    "spillover_loss": ("100 million CNY", "Loss outside the origin city", "波及地损失"),
    "spillover_share": ("", "Spillover loss / total loss", "外溢损失占比"),
    "detection_delay": ("h", "Hazard start to detection by the origin", "发现延迟"),
    "report_delay": ("h", "Detection to the origin's report (NaN: never reported)", "报告延迟"),
    "warning_lead_time": ("h", "Mean warning lead before arrival in reached downstream cities",
                          "预警提前量"),
    "warned_in_time": ("", "Share of reached downstream cities ready before arrival",
                       "及时预警比例"),
    "response_delay": ("h", "Hazard start to the origin's source control", "响应延迟"),
    "source_control": ("", "Origin's source-control effort a in [0, 1]", "源头控制力度"),
    "source_control_ratio": ("", "Effort / regional optimum", "源头控制充分度"),
    "source_control_cost": ("100 million CNY", "Cost of the origin's source control",
                            "源头控制成本"),
    "mass_captured": ("t", "Mass captured at the source", "源头截获量"),
    "cities_affected": ("", "Cities the hazard reached (including the origin)", "受影响城市数"),
}


def compute(m: RiskModel) -> dict[str, float]:
    start = m.source.start_step
    hours = m.step_hours
    total = float(m.loss.sum())
    origin = float(m.loss[m.origin.idx])
    others = np.ones(m.n, dtype=bool)
    others[m.origin.idx] = False
    reached = others & (m.arrival_step >= 0)
    ready = m.ready_step[m.origin.idx]
    a = float(m.source.control)

    def since(step: int, ref: int) -> float:
        return float((step - ref) * hours) if step >= 0 and ref >= 0 else float("nan")

    return {
        "total_loss": total,
        "origin_loss": origin,
        "spillover_loss": total - origin,
        "spillover_share": (total - origin) / total if total > 0 else 0.0,
        "detection_delay": since(m.detected_step, start),
        "report_delay": since(m.report_step, m.detected_step),
        "warning_lead_time": float(m.lead_hours[reached].mean()) if reached.any() else float("nan"),
        "warned_in_time": float((m.lead_hours[reached] > 0).mean()) if reached.any()
        else float("nan"),
        "response_delay": since(ready, start) if m.control_chosen else float("nan"),
        "source_control": a,
        "source_control_ratio": a / m.control_optimum if m.control_optimum > 0 else float("nan"),
        "source_control_cost": m.p["source_control.cost"] * a * a / 2,
        "mass_captured": float(m.source.captured),
        "cities_affected": int((m.arrival_step >= 0).sum()),
    }
