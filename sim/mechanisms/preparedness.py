"""Preparedness and complacency (侥幸心理).

"部分存在侥幸心理的城市管理者，往往会选择采取消极、懈怠的态度" — a city long untouched
is slower to act on a warning.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model import RiskModel


def complacency_factor(m: RiskModel, i: int, step: int) -> float:
    """侥幸心理: activation slows by up to (1 + strength) the longer city i was not hit."""
    strength = m.p["complacency.strength"]
    if strength <= 0:
        return 1.0
    days = (step - m.last_hit[i]) * m.step_hours / 24.0
    return 1.0 + strength * (1.0 - math.exp(-days / m.p["complacency.memory_days"]))
