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
    "infections": ("persons", "People infected by epidemics, index cases included "
                   "(what Lai et al. 2020 count)", "感染人数"),
    "detection_delay": ("h", "Hazard start to detection by the origin", "发现延迟"),
    "report_delay": ("h", "Detection to the origin's report (NaN: never reported)", "报告延迟"),
    "warning_lead_time": ("h", "Mean warning lead before arrival in reached cities other than "
                          "the origin, pooled over every incident and kind", "预警提前量"),
    "warning_lead_median": ("h", "Median of the same leads", "预警提前量中位数"),
    "warned_in_time": ("", "Share of reached downstream cities ready before arrival",
                       "及时预警比例"),
    "response_delay": ("h", "Hazard start to the origin's source control", "响应延迟"),
    "source_control": ("", "Mean source-control effort a in [0, 1] of origins", "源头控制力度"),
    "source_control_ratio": ("", "Effort / regional optimum per incident, weighted by the "
                             "cost of the incident's optimum plan", "源头控制充分度"),
    "source_control_cost": ("100 million CNY", "Cost of source control (gamma a^2/2 per day "
                            "held), whoever paid it: origin, assisting cities, centre",
                            "源头控制成本"),
    "central_cost": ("100 million CNY", "Source control paid by the centre under its unified "
                     "command", "中央承担成本"),
    "outside_money": ("100 million CNY", "Fund payouts met by the centre or third parties",
                      "外部资金"),
    "social_cost": ("100 million CNY", "Loss plus source control, whoever carried them: the "
                    "real cost to society (transfers cancel)", "社会总成本"),
    "mass_captured": ("t", "Pollutant mass captured at spill sources", "源头截获量"),
    "cities_affected": ("", "Cities any hazard reached (including origins)", "受影响城市数"),
    "concealment_rate": ("", "Share of detected incidents whose report was held back or "
                         "withheld", "瞒报迟报率"),
    "sanctions": ("100 million CNY", "Penalties for hidden reports and shirked duties",
                  "问责处罚总额"),
    "cooperation_rate": ("", "Share of duties kept (origin's source control for the region, "
                         "affected cities' assistance); NaN when no duty arose (see duties)",
                         "履责率"),
    "duties": ("", "Duties that arose (the denominator of cooperation_rate)", "责任事项数"),
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

# The same, per hazard kind, so a reader can see what each kind contributes (spillover from a
# rare epidemic and from a river spill are different stories).
HAZARD_KINDS = ("river_spill", "river_flood", "plume", "accident", "cascade", "epidemic")
KIND_ZH = {"river_spill": "水污染", "river_flood": "洪水", "plume": "烟羽", "accident": "事故",
           "cascade": "基础设施级联", "epidemic": "疫情"}
_PER_KIND = {
    "incidents": ("", "Incidents of this kind", "事件数"),
    "total_loss": ("100 million CNY", "Loss from incidents of this kind", "总损失"),
    "spillover_loss": ("100 million CNY", "Spillover loss from incidents of this kind",
                       "波及地损失"),
    "warning_lead_time": ("h", "Mean warning lead in reached cities, this kind", "预警提前量"),
    "warning_lead_median": ("h", "Median warning lead in reached cities, this kind",
                            "预警提前量中位数"),
    "warned_in_time": ("", "Share of reached cities ready before arrival, this kind",
                       "及时预警比例"),
}
for _kind in HAZARD_KINDS:
    for _name, (_unit, _en, _zh) in _PER_KIND.items():
        OUTCOMES[f"{_name}_{_kind}"] = (_unit, f"{_en}: {_kind}", f"{_zh}（{KIND_ZH[_kind]}）")


def _mean(values) -> float:
    v = [x for x in values if x == x]  # drop NaN
    return float(np.mean(v)) if v else float("nan")


def compute(m: RiskModel) -> dict[str, float]:
    """Outcomes over all incidents of the run (delays averaged over incidents)."""
    hours = m.step_hours
    incidents = m.incidents
    total = origin = 0.0
    affected = np.zeros(m.n, dtype=bool)
    detection, report, response = [], [], []
    kinds = {k: {"loss": 0.0, "spill": 0.0, "leads": [], "n": 0} for k in HAZARD_KINDS}
    ratios, weights, efforts, captured, infections = [], [], [], 0.0, 0.0
    for inc in incidents:
        start = inc.spec.start_step
        loss, own = float(inc.loss.sum()), float(inc.loss[inc.origin])
        total += loss
        origin += own
        affected |= inc.arrival >= 0
        if inc.detected_step >= 0:
            detection.append((inc.detected_step - start) * hours)
            report.append((inc.report_step - inc.detected_step) * hours
                          if inc.report_step >= 0 else float("nan"))
        if inc.efforts:
            response.append((inc.ready[inc.origin] - start) * hours)
            efforts += inc.efforts
            opt = float(np.mean(inc.optima))
            if opt > 0 and inc.optimum_cost > 0:
                ratios.append(float(np.mean(inc.efforts)) / opt)
                weights.append(inc.optimum_cost)
        reached = inc.arrival >= 0
        reached[inc.origin] = False
        k = kinds[inc.spec.kind]
        k["n"] += 1
        k["loss"] += loss
        k["spill"] += loss - own
        k["leads"].extend(inc.lead_hours[reached])
        captured += getattr(inc.hazard, "captured", 0.0)
        infections += getattr(inc.hazard, "infections", 0.0)
    spill = total - origin
    leads = [x for k in kinds.values() for x in k["leads"]]
    detected = [inc for inc in incidents if inc.detected_step >= 0]
    sanctions = float(m.sanctions_by_city().sum())
    burden = net_burden(m)
    control = float(sum(inc.control_cost for inc in incidents))
    out = {
        "total_loss": total,
        "origin_loss": origin,
        "spillover_loss": spill,
        "spillover_share": spill / total if total > 0 else 0.0,
        "infections": infections,
        "detection_delay": _mean(detection),
        "report_delay": _mean(report),
        "warning_lead_time": _mean(leads),
        "warning_lead_median": float(np.median(leads)) if leads else float("nan"),
        "warned_in_time": _mean([x > 0 for x in leads]),
        "response_delay": _mean(response),
        "source_control": _mean(efforts),
        "source_control_ratio": (float(np.average(ratios, weights=weights)) if ratios
                                 else float("nan")),
        "source_control_cost": control,
        "central_cost": float(m.central_paid),
        "outside_money": float(m.fund_outside),
        "social_cost": total + control,
        "mass_captured": float(captured),
        "cities_affected": int(affected.sum()),
        "incidents": len(incidents),
        "concealment_rate": _mean([inc.concealed for inc in detected]),
        "sanctions": float(sanctions),
        "assist_cost": float(m.assist_paid.sum()),
        "compensation_paid": float(m.fund_out.sum()),
        "coordination_cost": control + sanctions,
        "cooperation_rate": float(m.duties[0] / m.duties[1]) if m.duties[1] else float("nan"),
        "duties": int(m.duties[1]),
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
    for kind, k in kinds.items():
        out[f"incidents_{kind}"] = k["n"]
        out[f"total_loss_{kind}"] = k["loss"]
        out[f"spillover_loss_{kind}"] = k["spill"]
        out[f"warning_lead_time_{kind}"] = _mean(k["leads"])
        out[f"warning_lead_median_{kind}"] = (float(np.median(k["leads"])) if k["leads"]
                                              else float("nan"))
        out[f"warned_in_time_{kind}"] = _mean([x > 0 for x in k["leads"]])
    return out


def centre_account(m: RiskModel) -> float:
    """What the centre carried: its share of source control and the assessment rewards it
    paid, less the sanctions it collected."""
    return float(m.central_paid + m.evaluation.sum() - m.sanctions_by_city().sum())


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
