"""Trust (信任机制): promises kept or broken move pairwise trust.

"信任的本质是承诺被兑现的程度" — every city sees whether the origin reported honestly and kept its
duty; the origin sees whether each affected city assisted. Exponential smoothing or a Beta
reputation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import events

if TYPE_CHECKING:
    from sim.model import Incident, RiskModel


def update_trust(m: RiskModel, observers: np.ndarray, target: int, kept: bool,
                 inc: Incident | None = None) -> None:
    """9. A promise of `target` kept or broken, seen by `observers` (信任机制): exponential
    smoothing, or a Beta reputation of the counts."""
    p = m.p
    m._slow_row = None
    observers = observers[observers != target]
    before = m.trust[observers, target].copy() if m.record_events else None
    if p["trust.model"] == "beta":
        (m.kept if kept else m.broken)[observers, target] += 1.0
        w = p["trust.prior_weight"]
        m.trust[observers, target] = (
            (m.kept[observers, target] + p["trust.initial"] * w)
            / (m.kept[observers, target] + m.broken[observers, target] + w))
    else:
        lam = p["trust.learning_rate"]
        m.trust[observers, target] = ((1.0 - lam) * m.trust[observers, target]
                                         + lam * float(kept))
    if before is not None and observers.size:
        change = float((m.trust[observers, target] - before).mean())
        events.record(m, m.t, "trust_change", target,
                      int(observers[0]) if observers.size == 1 else None, inc, change,
                      detail=f"promise {'kept' if kept else 'broken'}, seen by "
                             f"{observers.size} {'city' if observers.size == 1 else 'cities'}")


def mean_trust(m: RiskModel) -> float:
    """Mean trust between distinct cities (1 for a single city)."""
    n = m.n
    return float((m.trust.sum() - n) / (n * (n - 1))) if n > 1 else 1.0


def observe_promises(m: RiskModel, inc: Incident, duties: dict[int, bool]) -> None:
    """The origin's promise (report honestly and on time; keep its duty if it had one) is seen
    by every city; an affected city's assist duty by the origin. Partners the origin warned
    directly at detection were told on time, whatever it reported upward: to them only its
    duty counts."""
    duty_kept = inc.origin_coop or not inc.origin_duty
    origin_kept = not inc.concealed and duty_kept
    if inc.told is None or origin_kept == duty_kept:
        update_trust(m, np.arange(m.n), inc.origin, origin_kept, inc)
    else:
        update_trust(m, np.flatnonzero(~inc.told), inc.origin, origin_kept, inc)
        update_trust(m, np.flatnonzero(inc.told), inc.origin, duty_kept, inc)
    others = [(j, kept) for j, kept in duties.items() if j != inc.origin]
    if others:
        targets, kept = zip(*others, strict=True)
        update_trust_in(m, inc.origin, np.array(targets, dtype=np.int64),
                        np.array(kept, dtype=bool), inc)


def update_trust_in(m: RiskModel, observer: int, targets: np.ndarray, kept: np.ndarray,
                    inc: Incident | None = None) -> None:
    """update_trust by one observer of many targets at once (distinct cities, not the
    observer), each with its own promise kept or broken: the same arithmetic per pair."""
    p = m.p
    m._slow_row = None
    before = m.trust[observer, targets].copy() if m.record_events else None
    if p["trust.model"] == "beta":
        m.kept[observer, targets[kept]] += 1.0
        m.broken[observer, targets[~kept]] += 1.0
        w = p["trust.prior_weight"]
        m.trust[observer, targets] = (
            (m.kept[observer, targets] + p["trust.initial"] * w)
            / (m.kept[observer, targets] + m.broken[observer, targets] + w))
    else:
        lam = p["trust.learning_rate"]
        m.trust[observer, targets] = ((1.0 - lam) * m.trust[observer, targets]
                                      + lam * kept.astype(float))
    if before is not None:
        change = m.trust[observer, targets] - before
        for j, ok, d in zip(targets.tolist(), kept.tolist(), change.tolist(), strict=True):
            events.record(m, m.t, "trust_change", j, observer, inc, d,
                          detail=f"promise {'kept' if ok else 'broken'}, seen by 1 city")

