"""Real city clusters shipped as YAML data files (sim/regions/data/), every figure sourced."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import yaml

from sim.regions import Region, RiverEdge

DATA = Path(__file__).parent / "data"
PRESETS = ("jingjinji", "yangtze_delta", "greater_bay", "songhua", "xinan", "zhuozhang",
           "yangtze_mainstem")


@cache
def load_preset(name: str) -> Region:
    """The preset `name` (cached: presets are read once per process)."""
    path = DATA / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return region_from_mapping(data, str(path))


# What each number of a region must be: (low, high, low inclusive?, what it is).
RANGES = {
    "lat": (-90.0, 90.0, True, "a latitude in degrees"),
    "lon": (-180.0, 180.0, True, "a longitude in degrees"),
    "population_m": (0.0, 1000.0, False, "a population in millions"),
    "gdp_tn_cny": (0.0, 1000.0, False, "a GDP in trillion CNY"),
    "travel_hours": (0.0, 10_000.0, False, "a travel time in hours"),
    "attenuation": (0.0, 1.0, True, "a share kept along the reach"),
    "share": (0.0, 1.0, True, "a share of the dependent's services"),
}


def _number_problem(key: str, value) -> str | None:
    """Why `value` is not an acceptable `key` (RANGES), or None."""
    low, high, closed, what = RANGES[key]
    bound = f"{'[' if closed else '('}{low:g}, {high:g}]"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"expected {what}, a number in {bound}, found {value!r}"
    if not math.isfinite(value) or value > high or value < low or (value == low and not closed):
        return f"expected {what}, a finite number in {bound}, found {value!r}"
    return None


def region_from_mapping(data: dict, where: str, line_of=None, files: dict | None = None
                        ) -> Region:
    """Build a Region from the preset schema (docs/regions.md); ValueError names every problem:
    the file, the line (when `line_of(key path)` knows it), the key path, what was expected
    and what was found. Numbers are range-checked (RANGES): a NaN, infinite, negative or
    impossible value never reaches the model."""
    problems: list[str] = []

    def bad(key: str, message: str) -> None:
        file = (files or {}).get(key.split("[")[0], where)
        line = line_of(key) if line_of else None
        problems.append(f"{file}{f':{line}' if line else ''}: {key}: {message}")

    cities = data.get("cities") if isinstance(data, dict) else None
    if not isinstance(cities, list) or not cities:
        raise ValueError(f"{where}: cities: expected a non-empty list of cities")
    rows = []
    for i, city in enumerate(cities):
        if not isinstance(city, dict):
            bad(f"cities[{i}]", f"expected a mapping, found {city!r}")
            continue
        row = {}
        for key in ("id", "lat", "lon", "population_m", "gdp_tn_cny"):
            value = city.get(key)
            if key == "id":
                if not isinstance(value, str) or not value.strip():
                    bad(f"cities[{i}].id", f"expected text, found {value!r}")
            elif (why := _number_problem(key, value)) is not None:
                bad(f"cities[{i}].{key}", why)
            row[key] = value
        rows.append((row, city))
    if problems:
        raise ValueError("\n".join(problems))
    ids = [r["id"] for r, _ in rows]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"{where}: cities: duplicate ids {dup}")
    index = {cid: k for k, cid in enumerate(ids)}
    rivers = []
    for k, edge in enumerate(data.get("rivers") or []):
        at = f"rivers[{k}]"
        if not isinstance(edge, dict) or edge.get("from") not in index or \
                edge.get("to") not in index:
            bad(at, f"expected from/to (known city ids), travel_hours and attenuation, "
                    f"found {edge!r}")
            continue
        if edge["from"] == edge["to"]:
            bad(at, f"a river reach from {edge['from']!r} to itself")
        for key in ("travel_hours", "attenuation"):
            if (why := _number_problem(key, edge.get(key))) is not None:
                bad(f"{at}.{key}", why)
        if not problems:
            rivers.append(RiverEdge(index[edge["from"]], index[edge["to"]],
                                    float(edge["travel_hours"]), float(edge["attenuation"])))
    if problems:
        raise ValueError("\n".join(problems))
    _check_acyclic(len(ids), rivers, where)
    deps = []
    for k, edge in enumerate(data.get("dependencies") or []):
        at = f"dependencies[{k}]"
        if not isinstance(edge, dict) or edge.get("supplier") not in index or \
                edge.get("dependent") not in index:
            bad(at, f"expected supplier, dependent (city ids) and share, found {edge!r}")
            continue
        if (why := _number_problem("share", edge.get("share"))) is not None:
            bad(f"{at}.share", why)
            continue
        deps.append((index[edge["supplier"]], index[edge["dependent"]], float(edge["share"])))
    if problems:
        raise ValueError("\n".join(problems))
    return Region(
        name=str(data.get("name", Path(where).stem)), ids=tuple(ids),
        names_en=tuple(str(c.get("name_en", r["id"])) for r, c in rows),
        names_zh=tuple(str(c.get("name_zh", c.get("name_en", r["id"]))) for r, c in rows),
        lat=np.array([r["lat"] for r, _ in rows], float),
        lon=np.array([r["lon"] for r, _ in rows], float),
        population_m=np.array([r["population_m"] for r, _ in rows], float),
        gdp_tn_cny=np.array([r["gdp_tn_cny"] for r, _ in rows], float),
        rivers=tuple(rivers), dependencies=tuple(deps), sources=data.get("sources") or {})


def _check_acyclic(n: int, rivers: list[RiverEdge], where: str) -> None:
    """Rivers flow downhill: a cycle is a data error, not a model state."""
    indeg = np.zeros(n, int)
    for e in rivers:
        indeg[e.dst] += 1
    queue = [i for i in range(n) if indeg[i] == 0]
    seen = 0
    while queue:
        node = queue.pop()
        seen += 1
        for e in rivers:
            if e.src == node:
                indeg[e.dst] -= 1
                if indeg[e.dst] == 0:
                    queue.append(e.dst)
    if seen != n:
        raise ValueError(f"{where}: rivers: the river edges form a cycle")
