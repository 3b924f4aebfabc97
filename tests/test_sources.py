"""Every number has a source: parameters (sim/sources.py), presets' city data, documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sim import sources
from sim.params import BY_PATH, PARAMS

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "sim" / "regions" / "data"
PRESETS = sorted(DATA.glob("*.yaml"))
NUMERIC = ("float", "int")


def test_every_parameter_has_a_source_or_an_assumption_with_its_range():
    missing = sources.missing(BY_PATH)
    assert not missing, ("parameters without an entry in sim/sources.py (add a Source: a "
                         "references.bib key, or an assumption with its plausible range): "
                         + ", ".join(missing))
    stale = [p for p in sources.SOURCES if p not in BY_PATH]
    assert not stale, f"sim/sources.py has entries for unknown parameters: {stale}"
    keys = sources.bib_keys()
    bad = {p: s.source for p, s in sources.SOURCES.items() if s.source and s.source not in keys}
    assert not bad, f"sources not in docs/references.bib: {bad}"
    for p in PARAMS:
        entry = sources.SOURCES[p.path]
        assert entry.note.strip(), p.path
        if p.kind in NUMERIC:
            # a number needs its plausible range unless a reference fixes it
            assert entry.range is not None or entry.source, p.path
        if entry.range is not None:
            low, high = entry.range
            assert low <= high, p.path
            assert low <= p.default <= high, (f"{p.path}: default {p.default} outside its "
                                              f"plausible range {entry.range}")


def test_regime_presets_stay_within_the_documented_ranges():
    """A preset value outside its parameter's plausible range needs the range (and its note)
    widened in sim/sources.py, with the reason."""
    from sim.regimes import REGIMES

    outside = [f"{r.name}: {path} = {v} not in {sources.SOURCES[path].range}"
               for r in REGIMES.values() for path, v in r.settings.items()
               if path in sources.SOURCES and sources.SOURCES[path].range
               and isinstance(v, int | float) and not isinstance(v, bool)
               and not sources.SOURCES[path].range[0] <= v <= sources.SOURCES[path].range[1]]
    assert not outside, "; ".join(outside)


def test_listing_and_parameter_docs_show_the_source():
    from sim.catalogue import describe, markdown

    listing = describe()
    assert "river_spill.magnitude = 100" in listing
    line = next(x for x in listing.splitlines() if "warning.reduction_at_24h =" in x)
    assert "gca2019" in line
    line = next(x for x in listing.splitlines() if "accountability.penalty =" in x)
    assert "assumption, plausible [0, 20]" in line
    md = markdown()
    assert "| source |" in md and "[sources.md](sources.md)" in md
    row = next(x for x in md.splitlines() if x.startswith("| `info.report_delay_hours` | 0 "))
    assert "changzhi2013" in row


def test_sources_md_explains_every_bib_key_and_cites_nothing_missing():
    text = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    keys = sources.bib_keys()
    unexplained = sorted(k for k in keys if f"`{k}`" not in text)
    assert not unexplained, f"docs/sources.md does not explain: {unexplained}"


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_preset_city_data_checked_point_by_point(path):
    """Each city field names a source the file defines; values that cite the census or the
    2023 communiqués equal the compiled statistics where those list the city, and a field
    that cannot be checked against them is marked approximate."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    defined = set(data.get("sources") or {})
    for city in data["cities"]:
        cid, src = city["id"], city.get("source") or {}
        approx = set(city.get("approximate") or [])
        for field in ("population", "gdp", "position"):
            assert src.get(field) in defined, f"{path.name}: {cid}.{field}: no source"
        stats = sources.CITY_STATS.get(cid)
        for field, value, k in (("population", city["population_m"], 0),
                                ("gdp", city["gdp_tn_cny"], 1)):
            if stats and src[field] in ("census2020", "gdp2023"):
                assert value == pytest.approx(stats[k], abs=0.005), f"{path.name}: {cid}.{field}"
            elif (field != "gdp" or cid not in sources.CITY_STATS_APPROX_GDP) and (
                    not stats or value != pytest.approx(stats[k], abs=0.005)):
                assert field in approx, (f"{path.name}: {cid}.{field} = {value} cannot be "
                                         "checked against the compiled statistics and is not "
                                         "marked approximate")
        coords = sources.CITY_COORDS.get(cid)
        if coords:
            assert (city["lat"], city["lon"]) == pytest.approx(coords, abs=0.005), cid
        elif "position" not in approx:
            assert src["position"] in ("geonames", "lit_b_coords"), cid
    for edge in data.get("rivers") or []:
        assert edge.get("source") and edge.get("approximate") is True, (path.name, edge)


def test_no_document_or_code_points_outside_the_repository():
    pattern = re.compile(r"LITERATURE\.md|ARTICLE_NOTES|MODEL_SKETCH|ARCHITECTURE\.md|"
                         r"\.\./shared|/work/shared|shared/domain|shared/design")
    files = [*ROOT.glob("*.md"), *(ROOT / "docs").glob("*.md"), *(ROOT / "sim").rglob("*.py"),
             *(ROOT / "sim").rglob("*.yaml"), *(ROOT / "scenarios").glob("*.yaml"),
             *(ROOT / "tests").rglob("*.py"), ROOT / "CITATION.cff"]
    here = Path(__file__).resolve()
    hits = [f"{f.relative_to(ROOT)}:{n}" for f in files if f.resolve() != here
            for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
            if pattern.search(line)]
    assert not hits, "references to files users do not have (cite docs/sources.md): " + \
        ", ".join(hits)


def test_citation_gives_the_article_in_full():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    article = next(r for r in cff["references"] if r["type"] == "article")
    assert article["authors"][0]["family-names"] == "Zhang"
    assert "城市跨域风险协同治理的模式与路径" in article["title"]
    assert article["year"] == 2024 and article.get("month") == 6
    assert article.get("institution") or article.get("publisher")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "城市跨域风险协同治理的模式与路径" in readme and "docs/sources.md" in readme
