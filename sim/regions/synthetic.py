"""Synthetic regions for controlled experiments: river chain and tree, grid, random geometric,
core-periphery. Sizes are equal, or lognormal with `region.size_sigma` (heterogeneity)."""

from __future__ import annotations

import numpy as np

from sim.regions import Region, RiverEdge

KM_PER_DEG = 111.0


def _sizes(p: dict, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Populations and GDP: equal, or lognormal around the set mean (GDP per head fixed)."""
    pop = np.full(n, float(p["region.population_m"]))
    sigma = p["region.size_sigma"]
    if sigma > 0:
        draw = rng.lognormal(-sigma**2 / 2, sigma, n)
        pop = pop * draw
    gdp = pop * p["region.gdp_tn_cny"] / p["region.population_m"]
    return pop, gdp


def _region(name: str, lat, lon, pop, gdp, rivers=(), deps=()) -> Region:
    n = len(lat)
    return Region(name, tuple(f"c{i}" for i in range(n)), tuple(f"City {i}" for i in range(n)),
                  tuple(f"城市{i}" for i in range(n)), np.asarray(lat, float),
                  np.asarray(lon, float), pop, gdp, tuple(rivers), tuple(deps),
                  {"note": "synthetic region"})


def _spacing_deg(p: dict) -> float:
    return p["region.spacing_km"] / KM_PER_DEG


def river_chain(p: dict, rng: np.random.Generator) -> Region:
    """Cities in a row along one river, flowing west to east."""
    n = p["region.n_cities"]
    pop, gdp = _sizes(p, n, rng)
    lon = 115.0 + _spacing_deg(p) * np.arange(n)
    rivers = [RiverEdge(i, i + 1, p["region.reach_hours"], p["region.attenuation"])
              for i in range(n - 1)]
    return _region("river_chain", np.full(n, 30.0), lon, pop, gdp, rivers)


def river_tree(p: dict, rng: np.random.Generator) -> Region:
    """A binary river tree whose tributaries join towards one outlet city (index n-1)."""
    n = p["region.n_cities"]
    pop, gdp = _sizes(p, n, rng)
    # Heap layout rooted at the outlet: node k's parent is (k-1)//2; flow goes child -> parent.
    depth = np.floor(np.log2(np.arange(n) + 1)).astype(int)
    order = np.arange(n) - (2**depth - 1)
    lon = 115.0 - _spacing_deg(p) * depth
    lat = 30.0 + _spacing_deg(p) * (order - (2**depth - 1) / 2)
    outlet = n - 1  # renumber so that index 0 is a headwater and n-1 the outlet
    perm = np.arange(n)[::-1]
    rivers = [RiverEdge(int(perm[k]), int(perm[(k - 1) // 2]), p["region.reach_hours"],
                        p["region.attenuation"]) for k in range(1, n)]
    assert perm[0] == outlet
    return _region("river_tree", lat[perm], lon[perm], pop, gdp, rivers)


def grid(p: dict, rng: np.random.Generator) -> Region:
    """Cities on a square grid (no river), for plume and mobility experiments."""
    n = p["region.n_cities"]
    side = int(np.ceil(np.sqrt(n)))
    k = np.arange(n)
    pop, gdp = _sizes(p, n, rng)
    return _region("grid", 30.0 + _spacing_deg(p) * (k // side),
                   115.0 + _spacing_deg(p) * (k % side), pop, gdp)


def random_geometric(p: dict, rng: np.random.Generator) -> Region:
    """Cities scattered uniformly over a square whose side keeps the mean spacing."""
    n = p["region.n_cities"]
    side = _spacing_deg(p) * np.sqrt(n)
    pop, gdp = _sizes(p, n, rng)
    return _region("random", 30.0 + side * rng.random(n), 115.0 + side * rng.random(n), pop, gdp)


URBAN_SCALING = 1.15


def core_periphery(p: dict, rng: np.random.Generator) -> Region:
    """One megacity (index 0, `region.core_ratio` times a satellite) ringed by satellites."""
    n = p["region.n_cities"]
    pop, gdp = _sizes(p, n, rng)
    # Output grows faster than population (urban scaling, GDP ~ population^1.15: Bettencourt
    # et al. 2007, PNAS 104:7301), so the megacity is also richer per head.
    pop[0] *= p["region.core_ratio"]
    gdp[0] *= p["region.core_ratio"] ** URBAN_SCALING
    angle = 2 * np.pi * np.arange(n - 1) / max(1, n - 1)
    lat = np.concatenate([[30.0], 30.0 + _spacing_deg(p) * np.sin(angle)])
    lon = np.concatenate([[115.0], 115.0 + _spacing_deg(p) * np.cos(angle)])
    deps = [(0, j, 0.3) for j in range(1, n)]  # satellites rely on the core's services
    return _region("core_periphery", lat, lon, pop, gdp, deps=deps)


GENERATORS = {"river_chain": river_chain, "river_tree": river_tree, "grid": grid,
              "random": random_geometric, "core_periphery": core_periphery}
