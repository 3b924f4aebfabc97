"""Participation (参与): which cities take part in which mechanism.

"跨域城市共同体" — a coordinated regime is an agreement among cities, and a city may stay out
of part of it (Beijing outside a shared fund, a small city outside the platform). Per
mechanism, a mask of members: the platform (信息平台), the compensation fund (区域间共补), the
responsibility list (责任清单), partnerships and horizontal supervision (横向监督);
`participation.coordination` limits all of them at once, so a regime can be coordinated among
its members and territorial for the rest. Everyone takes part by default, and then every mask
is all True and the model runs exactly as without participation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sim.regions import Region

MECHANISMS = ("platform", "fund", "responsibility", "partners", "supervision")
LISTS = ("coordination", *MECHANISMS)  # the parameters participation.<name> that list cities


def _city(region: Region, name: str) -> int | None:
    try:
        return region.index(name)
    except ValueError:
        return None


def problems(p: dict[str, Any], region: Region) -> list[tuple[str, str]]:
    """Every city or group name the participation parameters use that the region does not
    know, as (key path under params, message with a did-you-mean)."""
    groups = p["participation.groups"]
    known = [*region.ids, *groups]
    out = []

    def unknown(at: str, name: str, what: str) -> None:
        from sim.params import suggest

        hint = suggest(name, known) or suggest(name.casefold(), region.ids)
        extra = f", or a group ({', '.join(groups)})" if groups and what != "city" else ""
        out.append((at, f"unknown {what} {name!r} in region {region.name}{hint}; expected a "
                        f"city of {region.name} ({', '.join(region.ids)}){extra}"))

    for group, cities in groups.items():
        if _city(region, group) is not None:
            out.append((f"participation.groups.{group}",
                        f"group name {group!r} is also a city of {region.name}; rename the "
                        "group"))
        for k, name in enumerate(cities):
            if _city(region, name) is None:
                unknown(f"participation.groups.{group}[{k}]", name, "city")
    for key in LISTS:
        for how, names in p[f"participation.{key}"].items():
            for k, name in enumerate(names):
                if name not in groups and _city(region, name) is None:
                    unknown(f"participation.{key}.{how}[{k}]", name, "city or group")
    return out


def cities(p: dict[str, Any], region: Region, names: list[str]) -> np.ndarray:
    """Indices of the cities named (ids, names, indices or groups), ValueError if unknown."""
    groups = p["participation.groups"]
    found: list[int] = []
    for name in names:
        for city in groups.get(name, [name]):
            found.append(region.index(city))
    return np.array(sorted(set(found)), dtype=np.int64)


def mask(p: dict[str, Any], region: Region, key: str) -> np.ndarray:
    """Members of participation.<key> (all True when everyone takes part)."""
    spec = p[f"participation.{key}"]
    out = np.ones(region.n, dtype=bool)
    if "only" in spec:
        out[:] = False
        out[cities(p, region, spec["only"])] = True
    elif "exclude" in spec:
        out[cities(p, region, spec["exclude"])] = False
    return out


def masks(p: dict[str, Any], region: Region) -> dict[str, np.ndarray]:
    """Members of every mechanism: its own list within participation.coordination. A
    ValueError names the parameter whose city is unknown."""
    problem = problems(p, region)
    if problem:
        at, message = problem[0]
        raise ValueError(f"{at}: {message}")
    every = mask(p, region, "coordination")
    return {key: every & mask(p, region, key) for key in MECHANISMS}
