"""A user's own region: a YAML file in the preset schema, or a CSV of cities (plus an optional
`<name>_rivers.csv` beside it with from,to,travel_hours,attenuation)."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from sim.regions import Region
from sim.regions.presets import region_from_mapping

CITY_COLUMNS = ("id", "name_zh", "name_en", "lat", "lon", "population_m", "gdp_tn_cny")
RIVER_COLUMNS = ("from", "to", "travel_hours", "attenuation")


def load_region_file(path: str) -> Region:
    file = Path(path)
    if not path:
        raise ValueError("region.file: expected the path of a .yaml or .csv file of cities "
                         "(needed because region.kind is 'file')")
    if not file.is_file():
        raise ValueError(f"region.file: file not found: {path}")
    if file.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ValueError(f"{path}: not valid YAML: {exc}") from None
        return region_from_mapping(data, str(file))
    if file.suffix.lower() == ".csv":
        cities = _read_csv(file, CITY_COLUMNS, numeric=("lat", "lon", "population_m",
                                                        "gdp_tn_cny"))
        data = {"name": file.stem, "cities": cities, "sources": {"file": str(file)}}
        rivers = file.with_name(f"{file.stem}_rivers.csv")
        if rivers.exists():
            data["rivers"] = _read_csv(rivers, RIVER_COLUMNS,
                                       numeric=("travel_hours", "attenuation"))
        return region_from_mapping(data, str(file))
    raise ValueError(f"region.file: expected a .yaml or .csv file, found {path}")


def _read_csv(file: Path, columns: tuple[str, ...], numeric: tuple[str, ...]) -> list[dict]:
    with file.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{file}: missing columns {missing}; expected {', '.join(columns)}")
        rows = []
        for line, row in enumerate(reader, start=2):
            for col in numeric:
                try:
                    row[col] = float(row[col])
                except (TypeError, ValueError):
                    raise ValueError(f"{file}:{line}: {col}: expected a number, found "
                                     f"{row[col]!r}") from None
            rows.append(row)
    return rows
