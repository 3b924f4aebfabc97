"""A user's own region: a YAML file in the preset schema, or a CSV of cities (plus an optional
`<name>_rivers.csv` beside it with from,to,travel_hours,attenuation).

Both are read within the limits of sim.safeio (regular files of at most 10 MB, bounded YAML)
and every value is checked by sim.regions.presets.region_from_mapping, with the file and the
line of the row or key at fault."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from sim import safeio
from sim.regions import Region
from sim.regions.presets import region_from_mapping

CITY_COLUMNS = ("id", "name_zh", "name_en", "lat", "lon", "population_m", "gdp_tn_cny")
RIVER_COLUMNS = ("from", "to", "travel_hours", "attenuation")


def load_region_file(path: str) -> Region:
    file = Path(path)
    if not path:
        raise ValueError("region.file: expected the path of a .yaml or .csv file of cities "
                         "(needed because region.kind is 'file')")
    if not file.exists():
        raise ValueError(f"region.file: file not found: {path}")
    suffix = file.suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        raise ValueError(f"region.file: expected a .yaml or .csv file, found {path}")
    try:
        text = safeio.read_text(file, what="region file")
    except safeio.InputError as exc:
        raise ValueError(f"region.file: {exc}") from None
    if suffix in (".yaml", ".yml"):
        from sim.scenario import _Lines

        try:
            data = safeio.load_yaml(text, str(file))
        except safeio.InputError as exc:
            raise ValueError(str(exc)) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark else ""
            raise ValueError(f"{path}{where}: not valid YAML: "
                             f"{getattr(exc, 'problem', None) or exc}") from None
        return region_from_mapping(data, str(file), _Lines(text).at)
    lines: dict[str, int] = {}
    cities = _read_csv(file, text, CITY_COLUMNS, ("lat", "lon", "population_m", "gdp_tn_cny"),
                       "cities", lines)
    data = {"name": file.stem, "cities": cities, "sources": {"file": str(file)}}
    rivers = file.with_name(f"{file.stem}_rivers.csv")
    if rivers.exists():
        try:
            rivers_text = safeio.read_text(rivers, what="rivers file")
        except safeio.InputError as exc:
            raise ValueError(f"region.file: {exc}") from None
        data["rivers"] = _read_csv(rivers, rivers_text, RIVER_COLUMNS,
                                   ("travel_hours", "attenuation"), "rivers", lines)
    where = {"cities": str(file), "rivers": str(rivers)}

    def line_of(key: str) -> int | None:
        return lines.get(key.split(".")[0])

    return region_from_mapping(data, str(file), line_of, files=where)


def _read_csv(file: Path, text: str, columns: tuple[str, ...], numeric: tuple[str, ...],
              key: str, lines: dict[str, int]) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"{file}:1: missing columns {missing}; expected {', '.join(columns)}")
    rows = []
    for i, row in enumerate(reader):
        line = reader.line_num
        lines[f"{key}[{i}]"] = line
        for col in numeric:
            try:
                row[col] = float(row[col])
            except (TypeError, ValueError):
                raise ValueError(f"{file}:{line}: {col}: expected a number, found "
                                 f"{row[col]!r}") from None
        rows.append(row)
    return rows
