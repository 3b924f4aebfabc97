"""Sets of cities the model runs on: synthetic generators, real presets and users' own files.

A region is plain data (names, positions, sizes, river and dependency edges); the model turns it
into numpy state. Keeping it separate lets every hazard kind run on every region.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# State Council 2014 city-size classes (国发〔2014〕51号) by resident population, millions. The
# notice counts urban-district residents; presets give whole prefectures, so tiers are a proxy.
TIER_THRESHOLDS_M = ((10.0, "megacity"), (5.0, "supercity"), (1.0, "large"), (0.5, "medium"))
TIER_ZH = {"megacity": "超大城市", "supercity": "特大城市", "large": "大城市", "medium": "中等城市",
           "small": "小城市"}
TIERS = tuple(TIER_ZH)


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
    # (supplier, dependent, share): share of the dependent's critical services from the supplier
    dependencies: tuple[tuple[int, int, float], ...] = field(default_factory=tuple)
    sources: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def tiers(self) -> tuple[str, ...]:
        return tuple(tier_of(p) for p in self.population_m)

    def index(self, city: int | str) -> int:
        """Index of a city given by index, id, English name (any case) or Chinese name;
        ValueError naming the known ids otherwise."""
        if isinstance(city, int | np.integer) and not isinstance(city, bool):
            if 0 <= city < self.n:
                return int(city)
            raise ValueError(f"expected a city index below {self.n}, found {city}")
        text = str(city)
        if text.isdigit() and int(text) < self.n:
            return int(text)
        if text in self.ids:
            return self.ids.index(text)
        for names in (self.names_en, self.names_zh):  # Shanghai, 北京
            folded = [str(n).casefold() for n in names]
            if text.strip().casefold() in folded:
                return folded.index(text.strip().casefold())
        from sim.params import suggest

        raise ValueError(f"unknown city {text!r} in region {self.name}{suggest(text, self.ids)};"
                         f" expected one of {', '.join(self.ids)}")


def build_region(p: dict, rng: np.random.Generator) -> Region:
    """The region described by resolved parameters `p` (`rng` draws synthetic layouts)."""
    from sim.regions import files, presets, synthetic

    kind = p["region.kind"]
    if kind in synthetic.GENERATORS:
        return synthetic.GENERATORS[kind](p, rng)
    if kind == "file":
        return files.load_region_file(p["region.file"])
    return presets.load_preset(kind)
