"""Interest and compensation (利益机制): who pays for source control, the fund, Xin'an.

"利益补偿机制旨在化解这一问题，它通过调和参与者之间的利益冲突，保障主体间的利益关系" — costs
are paid as they are incurred, by the centre under its
command, by assisting cities and by the origin; the regional fund refunds part of them from
the cities (by GDP or by benefit) and outside money; the Xin'an rule (新安江模式) settles each
river border once a year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import events

if TYPE_CHECKING:
    from sim.model import Incident, RiskModel


def pay_control(m: RiskModel, inc: Incident) -> None:
    """8. Money: pay for the steps the effort in force acted on the source: the centre its
    share, the assisting cities theirs, the origin the rest. The fund refunds
    `payout_share` of what each city paid, collected from the cities by GDP or by benefit,
    plus outside incentives (利益机制)."""
    steps, inc.steps_unpaid = inc.steps_unpaid, 0
    if steps <= 0 or inc.cost_rate <= 0:
        return
    m._slow_row = None
    total = inc.cost_rate * steps
    central = total * inc.central_share
    inc.control_cost += total
    inc.central_cost += central
    m.central_paid += central
    paid = np.zeros(m.n)  # by the cities: assistance, and the origin the rest
    if inc.assist_rate is not None:
        inc.assist_asked += inc.assist_rate * steps
        inc.assist_given += inc.assist_given_rate * steps
        paid += inc.assist_given_rate * steps
        m.assist_paid += paid
    paid[inc.origin] = total - central - paid.sum()
    m.cost_paid[inc.origin] += paid[inc.origin]  # gross; refunds are in fund_out
    inc.origin_duty_cost += inc.sacrifice_rate * steps
    inc.duty_benefit = inc.duty_benefit + inc.benefit_rate * steps
    p = m.p
    # only the fund's members are refunded and pay in (participation.fund)
    refund = paid * p["compensation.payout_share"] * m.in_fund
    payout = float(refund.sum())
    if payout > 0:
        outside = payout * p["compensation.outside_share"]
        m.fund_outside += outside
        key = inc.benefit_key
        if p["compensation.funding"] != "benefit" or key is None or \
                (key * m.in_fund).sum() <= 0:
            key = m.region.gdp_tn_cny
        key = key * m.in_fund
        m.fund_in += (payout - outside) * key / key.sum()
        m.fund_out += refund
        if m.record_events:
            events.record(m, m.t, "fund_collected", "body", inc=inc, amount=payout - outside,
                          detail=f"from members by {p['compensation.funding']}; "
                                 f"outside money {outside:.4g}")
            for j in np.flatnonzero(refund):
                events.record(m, m.t, "fund_paid", "body", j, inc, refund[j])


def settle_bilateral(m: RiskModel, t: int) -> None:
    """8. The Xin'an rule, once a year (pro rata for a last, partial year): on each river
    border the downstream city pays the upstream one if no pollution crossed it, and the
    upstream city pays the downstream one otherwise (新安江模式)."""
    steps = (t + 1) % m.steps_per_year or m.steps_per_year
    amount = m.p["compensation.bilateral_amount"] * steps / m.steps_per_year
    for k, e in enumerate(m.region.rivers):
        payer, payee = (e.src, e.dst) if m.breached[k] else (e.dst, e.src)
        m.bilateral[payer] += amount
        m.bilateral[payee] -= amount
        if m.record_events:
            events.record(m, t, "bilateral_paid", payer, payee, amount=amount,
                          detail="pollution crossed the border" if m.breached[k]
                          else "clean border")
    m.breached[:] = False


POLLUTING = ("river_spill",)  # kinds whose crossing a river border fails the Xin'an standard


def mark_breaches(m: RiskModel, inc: Incident) -> None:
    """A polluting incident that crossed a river border fails that border's standard for
    the year (settled by settle_bilateral)."""
    if inc.spec.kind in POLLUTING:
        for k, e in enumerate(m.region.rivers):
            if inc.arrival[e.src] >= 0 and inc.arrival[e.dst] >= 0:
                m.breached[k] = True

