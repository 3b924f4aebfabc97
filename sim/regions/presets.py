"""Real city clusters shipped as YAML data files (sim/regions/data/), every figure sourced."""

from __future__ import annotations

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


def region_from_mapping(data: dict, where: str) -> Region:
    """Build a Region from the preset schema (docs/regions.md); ValueError names what is wrong."""
    problems = []
    cities = data.get("cities") if isinstance(data, dict) else None
    if not isinstance(cities, list) or not cities:
        raise ValueError(f"{where}: cities: expected a non-empty list of cities")
    fields = {"id": str, "lat": float, "lon": float, "population_m": float, "gdp_tn_cny": float}
    rows = []
    for i, city in enumerate(cities):
        if not isinstance(city, dict):
            problems.append(f"{where}: cities[{i}]: expected a mapping, found {city!r}")
            continue
        row = {}
        for key, typ in fields.items():
            value = city.get(key)
            ok = isinstance(value, str) if typ is str else (
                isinstance(value, int | float) and not isinstance(value, bool))
            if not ok:
                problems.append(f"{where}: cities[{i}].{key}: expected "
                                f"{'text' if typ is str else 'a number'}, found {value!r}")
            row[key] = value
        if ok and isinstance(row.get("population_m"), int | float) and row["population_m"] <= 0:
            problems.append(f"{where}: cities[{i}].population_m: expected > 0")
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
        try:
            rivers.append(RiverEdge(index[edge["from"]], index[edge["to"]],
                                    float(edge["travel_hours"]), float(edge["attenuation"])))
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{where}: rivers[{k}]: expected from/to (known city ids), "
                             f"travel_hours and attenuation, found {edge!r}") from None
        if not 0 <= rivers[-1].attenuation <= 1 or rivers[-1].travel_hours <= 0:
            raise ValueError(f"{where}: rivers[{k}]: expected travel_hours > 0 and attenuation "
                             "in [0, 1]")
    _check_acyclic(len(ids), rivers, where)
    deps = []
    for k, edge in enumerate(data.get("dependencies") or []):
        try:
            deps.append((index[edge["supplier"]], index[edge["dependent"]], float(edge["share"])))
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{where}: dependencies[{k}]: expected supplier, dependent (city "
                             f"ids) and share, found {edge!r}") from None
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
