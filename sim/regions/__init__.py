"""Sets of cities the model runs on: synthetic generators and (later) real presets.

A region is plain data (names, positions, sizes, river edges); the model turns it into numpy
state. Keeping it separate lets the same hazard run on any region.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# State Council 2014 city-size classes by (urban) resident population, in millions.
TIER_THRESHOLDS_M = ((10.0, "megacity"), (5.0, "supercity"), (1.0, "large"), (0.5, "medium"))
TIER_ZH = {"megacity": "超大城市", "supercity": "特大城市", "large": "大城市", "medium": "中等城市",
           "small": "小城市"}


def tier_of(population_m: float) -> str:
    """Size class (超大/特大/大/中/小) by the 2014 thresholds."""
    for threshold, name in TIER_THRESHOLDS_M:
        if population_m >= threshold:
            return name
    return "small"


@dataclass(frozen=True)
class RiverEdge:
    """A directed river reach from city `src` (upstream) to city `dst` (downstream)."""

    src: int
    dst: int
    travel_hours: float
    attenuation: float


@dataclass(frozen=True)
class Region:
    name: str
    ids: tuple[str, ...]
    names_en: tuple[str, ...]
    names_zh: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    population_m: np.ndarray
    gdp_tn_cny: np.ndarray
    rivers: tuple[RiverEdge, ...] = field(default_factory=tuple)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def tiers(self) -> tuple[str, ...]:
        return tuple(tier_of(p) for p in self.population_m)


def river_chain(n: int, reach_hours: float, attenuation: float, population_m: float,
                gdp_tn_cny: float) -> Region:
    """`n` equal cities in a row along one river, ~50 km apart, flowing west to east."""
    ids = tuple(f"c{i}" for i in range(n))
    lon = 115.0 + 0.5 * np.arange(n)
    return Region(
        name="river_chain",
        ids=ids,
        names_en=tuple(f"City {i}" for i in range(n)),
        names_zh=tuple(f"城市{i}" for i in range(n)),
        lat=np.full(n, 30.0),
        lon=lon,
        population_m=np.full(n, float(population_m)),
        gdp_tn_cny=np.full(n, float(gdp_tn_cny)),
        rivers=tuple(RiverEdge(i, i + 1, reach_hours, attenuation) for i in range(n - 1)),
    )


def build_region(p: dict) -> Region:
    """The region described by resolved parameters `p`."""
    kind = p["region.kind"]
    if kind == "river_chain":
        return river_chain(p["region.n_cities"], p["region.reach_hours"], p["region.attenuation"],
                           p["region.population_m"], p["region.gdp_tn_cny"])
    raise ValueError(f"unknown region kind {kind!r}")
