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
    m._slow_row = None
    observers = observers[observers != target]
    before = m.trust[observers, target].copy() if m.record_events else None
    _revise(m, observers, target, np.full(observers.size, bool(kept)))
    if before is not None and observers.size:
        change = float((m.trust[observers, target] - before).mean())
        events.record(m, m.t, "trust_change", target,
                      int(observers[0]) if observers.size == 1 else None, inc, change,
                      detail=f"promise {'kept' if kept else 'broken'}, seen by "
                             f"{observers.size} {'city' if observers.size == 1 else 'cities'}")


def _revise(m: RiskModel, rows, cols, kept: np.ndarray) -> None:
    """Trust of rows in cols (distinct pairs, one side a single city) after a promise kept or
    broken per pair: exponential smoothing, or a Beta reputation of the counts."""
    p = m.p
    if p["trust.model"] == "beta":
        rows_, cols_ = np.broadcast_arrays(rows, cols)
        m.kept[rows_[kept], cols_[kept]] += 1.0
        m.broken[rows_[~kept], cols_[~kept]] += 1.0
        w = p["trust.prior_weight"]
        m.trust[rows, cols] = ((m.kept[rows, cols] + p["trust.initial"] * w)
                               / (m.kept[rows, cols] + m.broken[rows, cols] + w))
    else:
        lam = p["trust.learning_rate"]
        m.trust[rows, cols] = (1.0 - lam) * m.trust[rows, cols] + lam * kept.astype(float)


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
        update_trust(m, (~inc.told).nonzero()[0], inc.origin, origin_kept, inc)
        update_trust(m, inc.told.nonzero()[0], inc.origin, duty_kept, inc)
    others = [(j, kept) for j, kept in duties.items() if j != inc.origin]
    if others:
        targets, kept = zip(*others, strict=True)
        update_trust_in(m, inc.origin, np.array(targets, dtype=np.int64),
                        np.array(kept, dtype=bool), inc)


def update_trust_in(m: RiskModel, observer: int, targets: np.ndarray, kept: np.ndarray,
                    inc: Incident | None = None) -> None:
    """update_trust by one observer of many targets at once (distinct cities, not the
    observer), each with its own promise kept or broken: the same arithmetic per pair."""
    m._slow_row = None
    before = m.trust[observer, targets].copy() if m.record_events else None
    _revise(m, observer, targets, kept)
    if before is not None:
        change = m.trust[observer, targets] - before
        for j, ok, d in zip(targets.tolist(), kept.tolist(), change.tolist(), strict=True):
            events.record(m, m.t, "trust_change", j, observer, inc, d,
                          detail=f"promise {'kept' if ok else 'broken'}, seen by 1 city")

