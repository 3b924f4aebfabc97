"""Preparedness and complacency (侥幸心理).

"部分存在侥幸心理的城市管理者，往往会选择采取消极、懈怠的态度" — a city long untouched
is slower to act on a warning.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model import RiskModel


def complacency_factor(m: RiskModel, i: int, step: int) -> float:
    """侥幸心理: activation slows by up to (1 + strength) the longer city i was not hit."""
    return float(complacency_factors(m, np.array([i]), step)[0])


def complacency_factors(m: RiskModel, cities: np.ndarray, step: int) -> np.ndarray:
    """complacency_factor for every city in `cities` at once. The exponential is math.exp's,
    as for one city (numpy's vectorised exp may differ in the last bit), taken once per
    distinct value: cities hit at the same step share it."""
    strength = m.p["complacency.strength"]
    if strength <= 0:
        return np.ones(len(cities))
    days = (step - m.last_hit[cities]) * m.step_hours / 24.0
    x = -days / m.p["complacency.memory_days"]
    if x.size <= 64:  # few cities: one exp each costs less than finding the distinct ones
        decay = np.array([math.exp(v) for v in x.tolist()])
    else:
        x, where = np.unique(x, return_inverse=True)
        decay = np.array([math.exp(v) for v in x.tolist()])[where]
    return 1.0 + strength * (1.0 - decay)
