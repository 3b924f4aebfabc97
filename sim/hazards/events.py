"""The incident schedule of a run: scripted events and stochastic ones, drawn up front.

Drawing the whole schedule at the start from the hazard stream means that every regime compared
on the same seed faces exactly the same incidents (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.regions import Region


@dataclass(frozen=True)
class EventSpec:
    start_step: int
    kind: str
    origin: int
    magnitude: float
    scripted: bool


def schedule(p: dict, region: Region, n_steps: int, step_hours: float,
             rng: np.random.Generator) -> list[EventSpec]:
    """All events of the run, ordered by start."""
    def size(kind: str, magnitude: float) -> float:
        return magnitude if magnitude > 0 else p[f"{kind}.magnitude"]

    def at(day: float) -> int:
        return round(day * 24 / step_hours)

    events = []
    if p["hazard.kind"] != "none":
        events.append(EventSpec(at(p["hazard.start_day"]), p["hazard.kind"],
                                region.index(p["hazard.origin"]),
                                size(p["hazard.kind"], p["hazard.magnitude"]), True))
    for e in p["hazard.events"]:
        events.append(EventSpec(at(e["start_day"]), e["kind"], region.index(e["origin"]),
                                size(e["kind"], e["magnitude"]), True))
    years = n_steps * step_hours / (24 * 365)
    tiers = region.tiers
    sigma = p["hazard.magnitude_sigma"]
    for kind in sorted(p["hazard.rates"]):
        rate = np.array([p["hazard.rates"][kind][t] for t in tiers])
        counts = rng.poisson(rate * years)
        origins = np.repeat(np.arange(region.n), counts)
        starts = rng.integers(0, n_steps, len(origins))
        scale = rng.lognormal(-sigma**2 / 2, sigma, len(origins)) if sigma > 0 else \
            np.ones(len(origins))
        events += [EventSpec(int(s), kind, int(o), float(p[f"{kind}.magnitude"] * k), False)
                   for s, o, k in zip(starts, origins, scale, strict=True)]
    # A magnitude of 0 is no hazard at all: nothing to simulate, nothing to report.
    events = [e for e in events if e.magnitude > 0]
    events.sort(key=lambda e: (e.start_step, e.kind, e.origin))
    return events
