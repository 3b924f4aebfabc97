"""Outcome measures of one run: what policy studies report (docs/sources.md §D).

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
    "source_control": ("", "Mean source-control effort a in [0, 1] of origins", "源头控制力度"),
    "source_control_ratio": ("", "Mean effort / mean regional optimum", "源头控制充分度"),
    "source_control_cost": ("100 million CNY", "Cost of source control, gamma a^2/2 a day, "
                            "before refunds",
                            "源头控制成本"),
    "mass_captured": ("t", "Pollutant mass captured at spill sources", "源头截获量"),
    "cities_affected": ("", "Cities any hazard reached (including origins)", "受影响城市数"),
    "concealment_rate": ("", "Share of detected incidents whose report was held back or "
                         "withheld", "瞒报迟报率"),
    "sanctions": ("100 million CNY", "Penalties for hidden reports and shirked duties",
                  "问责处罚总额"),
    "cooperation_rate": ("", "Share of duties kept (origin's source control for the region, "
                         "affected cities' assistance)", "履责率"),
    "cooperation_propensity": ("", "Mean propensity of cities to keep their duties at the end",
                               "合作倾向"),
    "evaluation_net": ("100 million CNY", "Assessment rewards minus penalties paid to cities",
                       "评估奖惩净额"),
    "bilateral_transfers": ("100 million CNY", "Money moved by the Xin'an bilateral rule",
                            "横向补偿转移额"),
    "assist_cost": ("100 million CNY", "Cost carried by affected cities assisting the origin",
                    "波及地协助成本"),
    "compensation_paid": ("100 million CNY", "Paid out by the regional compensation fund",
                          "补偿支出"),
    "coordination_cost": ("100 million CNY", "Source control, assistance and sanctions",
                          "协同成本"),
    "escalations": ("", "Incidents the body escalated to the centre", "上报中央次数"),
    "central_delay": ("h", "Incident start to the centre's unified command", "中央介入时间"),
    "mean_trust": ("", "Mean pairwise trust between cities at the end", "平均信任"),
    "min_trust": ("", "Lowest pairwise trust at the end", "最低信任"),
    "net_burden_gini": ("", "Gini of net burden per capita across cities (loss + costs + "
                        "contributions + sanctions - compensation - rewards)", "净负担基尼系数"),
    "net_burden_gini_gdp": ("", "Gini of net burden per unit of GDP across cities",
                            "净负担基尼系数(按GDP)"),
    "incidents": ("", "Incidents that started during the run", "事件数"),
}


def _mean(values) -> float:
    v = [x for x in values if x == x]  # drop NaN
    return float(np.mean(v)) if v else float("nan")


def compute(m: RiskModel) -> dict[str, float]:
    """Outcomes over all incidents of the run (delays averaged over incidents)."""
    hours = m.step_hours
    incidents = m.incidents
    total = origin = 0.0
    affected = np.zeros(m.n, dtype=bool)
    detection, report, response, leads, in_time = [], [], [], [], []
    efforts, optima, captured = [], [], 0.0
    for inc in incidents:
        start = inc.spec.start_step
        total += float(inc.loss.sum())
        origin += float(inc.loss[inc.origin])
        affected |= inc.arrival >= 0
        if inc.detected_step >= 0:
            detection.append((inc.detected_step - start) * hours)
            report.append((inc.report_step - inc.detected_step) * hours
                          if inc.report_step >= 0 else float("nan"))
        if inc.efforts:
            response.append((inc.ready[inc.origin] - start) * hours)
        others = np.ones(m.n, dtype=bool)
        others[inc.origin] = False
        reached = others & (inc.arrival >= 0)
        leads.extend(inc.lead_hours[reached])
        in_time.extend(inc.lead_hours[reached] > 0)
        efforts += inc.efforts
        optima += inc.optima
        captured += getattr(inc.hazard, "captured", 0.0)
    spill = total - origin
    mean_opt = _mean(optima)
    detected = [inc for inc in incidents if inc.detected_step >= 0]
    sanctions = float(m.sanctions_by_city().sum())
    burden = net_burden(m)
    return {
        "total_loss": total,
        "origin_loss": origin,
        "spillover_loss": spill,
        "spillover_share": spill / total if total > 0 else 0.0,
        "detection_delay": _mean(detection),
        "report_delay": _mean(report),
        "warning_lead_time": _mean(leads),
        "warned_in_time": _mean(in_time),
        "response_delay": _mean(response),
        "source_control": _mean(efforts),
        "source_control_ratio": _mean(efforts) / mean_opt if mean_opt > 0 else float("nan"),
        "source_control_cost": float(m.cost_paid.sum() + m.assist_paid.sum()),
        "mass_captured": float(captured),
        "cities_affected": int(affected.sum()),
        "incidents": len(incidents),
        "concealment_rate": _mean([inc.concealed for inc in detected]),
        "sanctions": float(sanctions),
        "assist_cost": float(m.assist_paid.sum()),
        "compensation_paid": float(m.fund_out.sum()),
        "coordination_cost": float(m.cost_paid.sum() + m.assist_paid.sum() + sanctions),
        "cooperation_rate": float(m.duties[0] / m.duties[1]) if m.duties[1] else float("nan"),
        "cooperation_propensity": float(m.cooperation.mean()),
        "evaluation_net": float(m.evaluation.sum()),
        "bilateral_transfers": float(np.abs(m.bilateral).sum() / 2),
        "escalations": sum(inc.escalated_step >= 0 for inc in incidents),
        "central_delay": _mean([(inc.central_step - inc.spec.start_step) * hours
                                for inc in incidents if inc.central_command]),
        "mean_trust": m.mean_trust(),
        "min_trust": float(m.trust.min()),
        "net_burden_gini": gini(burden / m.region.population_m),
        "net_burden_gini_gdp": gini(burden / m.region.gdp_tn_cny),
    }


def net_burden(m: RiskModel) -> np.ndarray:
    """Per city: loss + own costs + assistance + fund contributions + sanctions - payouts."""
    return (m.loss_by_city() + m.cost_paid + m.assist_paid + m.fund_in - m.fund_out
            + m.sanctions_by_city() - m.evaluation + m.bilateral)


def gini(x: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, 1 = one city bears everything)."""
    x = np.sort(np.clip(np.asarray(x, dtype=float), 0.0, None))
    if x.sum() <= 0 or len(x) < 2:
        return 0.0
    k = np.arange(1, len(x) + 1)
    return float((2 * (k * x).sum() / (len(x) * x.sum())) - (len(x) + 1) / len(x))
