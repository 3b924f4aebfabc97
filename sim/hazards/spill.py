"""A pollutant spill at a source: mass leaks into the river at a constant rate.

Source control (源头控制) captures a share `control` of what leaks from the moment it starts;
mass already in the river is beyond its reach, which is why early detection matters.
"""

from __future__ import annotations

import numpy as np


class SpillSource:
    def __init__(self, n_cities: int, origin: int, start_step: int, magnitude: float,
                 release_steps: int):
        self.n = n_cities
        self.origin = origin
        self.start_step = start_step
        self.magnitude = magnitude
        self.rate = magnitude / max(1, release_steps)
        self.remaining = magnitude
        self.control = 0.0
        self.captured = 0.0
        self.released = 0.0  # mass that reached the river

    @property
    def active(self) -> bool:
        return self.remaining > 0.0

    def release(self, step: int) -> np.ndarray:
        """Mass entering the river at each city this step (all of it at the origin)."""
        inflow = np.zeros(self.n)
        if step < self.start_step or self.remaining <= 0.0:
            return inflow
        leak = min(self.rate, self.remaining)
        self.remaining -= leak
        caught = leak * self.control
        self.captured += caught
        self.released += leak - caught
        inflow[self.origin] = leak - caught
        return inflow
