"""Every incident of the recorded runs, as tables, and the rule that picks one to draw.

Replication 0 of every regime and sweep point keeps its region and its incidents
(accounts/regions-*.json, written by sim.runner from RiskModel.region_record). From them:

* incidents.csv: one row per incident and run: kind, origin, magnitude, start, detection,
  report, escalation and central command (days since the model start), whether the report was
  held back, how many cities it reached and how many were warned before it arrived, its loss
  (total and outside the origin) and its costs (source control and central command, 1e8 CNY,
  when the model records them per incident; empty otherwise);
* incident_cities.csv: one row per incident, run and city: when the warning came, when the
  hazard arrived (days since the incident started), the lead (hours) and the loss.

`pick()` chooses the incident a single-incident chart follows: the largest by loss in the
baseline's run (or the `rank`-th largest), optionally among those of one `kind` or `origin`,
and the same incident in the other regimes' runs (same kind, origin and start: every regime
faces the same incidents in replication r).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.study import Results

NEVER = -1
KIND_WORDS = {
    "en": {"river_spill": "river spill", "river_flood": "river flood", "plume": "air plume",
           "epidemic": "epidemic", "cascade": "infrastructure cascade",
           "accident": "industrial accident"},
    "zh": {"river_spill": "水污染事件", "river_flood": "流域洪水", "plume": "大气污染扩散",
           "epidemic": "传染病疫情", "cascade": "基础设施连锁故障", "accident": "生产安全事故"},
}


def _day(step: int, hours: float) -> float:
    """Days since the model start at the start of `step` (NaN for never)."""
    return step * hours / 24.0 if step is not None and step >= 0 else math.nan


def _cost(record: dict, key: str) -> float:
    value = record.get(key)
    return float(value) if value is not None else math.nan


def _reference_runs(results: Results) -> pd.DataFrame:
    runs = results.runs
    return runs[runs["replication"] == 0] if "replication" in runs else runs


def table(results: Results) -> pd.DataFrame:
    """One row per incident of every recorded run (replication 0 of each regime and point)."""
    regions = getattr(results, "regions", None) or {}
    runs = _reference_runs(results)
    swept = [p for p in results.swept if p in runs]
    rows = []
    for _, run in runs.iterrows():
        region = regions.get(int(run["run_id"]))
        if not region:
            continue
        hours = region["step_hours"]
        for k, inc in enumerate(region.get("incidents", [])):
            origin = int(inc["origin"])
            arrival = np.asarray(inc["arrival"])
            informed = np.asarray(inc["informed"])
            loss = np.asarray(inc.get("loss", [math.nan] * len(arrival)), dtype=float)
            reached = arrival >= 0
            in_time = reached & (informed >= 0) & (informed < arrival)
            others = np.arange(len(arrival)) != origin
            rows.append({
                "run_id": int(run["run_id"]), "regime": run["regime"],
                **({"point": int(run["point"])} if "point" in run else {}),
                **{p: run[p] for p in swept}, "incident": k, "kind": inc["kind"],
                "origin": origin, "origin_en": region["names_en"][origin],
                "origin_zh": region["names_zh"][origin],
                "magnitude": inc.get("magnitude", math.nan),
                "start_day": _day(inc["start_step"], hours),
                "detected_day": _day(inc["detected_step"], hours),
                "report_day": _day(inc["report_step"], hours),
                "escalated_day": _day(inc.get("escalated_step", NEVER), hours),
                "central_day": _day(inc.get("central_step", NEVER), hours),
                "concealed": inc.get("concealed"),
                "cities_reached": int(reached.sum()),
                "cities_reached_elsewhere": int((reached & others).sum()),
                "warned_in_time_elsewhere": int((in_time & others).sum()),
                "loss": float(loss.sum()),
                "spillover_loss": float(loss[others].sum()),
                "control_cost": _cost(inc, "control_cost"),
                "central_cost": _cost(inc, "central_cost"),
            })
    return pd.DataFrame.from_records(rows)


def city_table(results: Results) -> pd.DataFrame:
    """One row per incident, recorded run and city: warning and arrival (days since the
    incident started; empty for never), lead (hours) and loss."""
    regions = getattr(results, "regions", None) or {}
    rows = []
    for _, run in _reference_runs(results).iterrows():
        region = regions.get(int(run["run_id"]))
        if not region:
            continue
        hours = region["step_hours"]
        for k, inc in enumerate(region.get("incidents", [])):
            start = inc["start_step"]
            loss = inc.get("loss") or [math.nan] * len(inc["arrival"])
            for city, (w, a, x) in enumerate(zip(inc["informed"], inc["arrival"], loss,
                                                 strict=True)):
                rows.append({
                    "run_id": int(run["run_id"]), "regime": run["regime"], "incident": k,
                    "city": city, "city_en": region["names_en"][city],
                    "city_zh": region["names_zh"][city],
                    "warned_day": (w - start) * hours / 24 if w >= 0 else math.nan,
                    "arrival_day": (a - start) * hours / 24 if a >= 0 else math.nan,
                    "lead_hours": (a - w) * hours if a >= 0 and w >= 0 else math.nan,
                    "loss": float(x)})
    return pd.DataFrame.from_records(rows)


def write(results: Results) -> list[Path]:
    """incidents.csv and incident_cities.csv (UTF-8 with a byte-order mark), when the
    results folder holds incidents."""
    out = []
    for name, frame in (("incidents.csv", table(results)),
                        ("incident_cities.csv", city_table(results))):
        if frame.empty:
            continue
        path = results.path / name
        tmp = path.with_name(f"{name}.tmp-{os.getpid()}")
        frame.to_csv(tmp, index=False, encoding="utf-8-sig")
        os.replace(tmp, path)
        out.append(path)
    return out


@dataclass
class Chosen:
    """The incident a chart follows: its record in each regime's run, and how it was chosen."""

    records: dict[str, dict]  # regime -> incident record (the region's "incidents" entry)
    regions: dict[str, dict]  # regime -> region record of that run
    reference: str  # the regime whose run ranked the incidents
    rank: int
    of: int  # incidents that met the filters

    @property
    def first(self) -> dict:
        return self.records[self.reference]

    def describe(self, lang: str, labels: dict[str, str]) -> str:
        """'River spill from Guangzhou, day 12.3, magnitude 100: the largest by loss of 37
        incidents in Territorial's run'."""
        inc, region = self.first, self.regions[self.reference]
        kind = KIND_WORDS[lang].get(inc["kind"], inc["kind"])
        names = region["names_zh" if lang == "zh" else "names_en"]
        day = (inc["start_step"]) * region["step_hours"] / 24
        who = labels.get(self.reference, self.reference)
        if lang == "zh":
            head = f"{names[inc['origin']]}{kind}（第{day:.1f}天开始）："
            if self.of == 1:
                return head + f"{who}运行中唯一的一起事件"
            order = "损失最大" if self.rank == 1 else f"损失第{self.rank}大"
            return head + f"{who}运行中{self.of}起事件里{order}的一起"
        head = (f"{kind[:1].upper()}{kind[1:]} from {names[inc['origin']]}, starting on day "
                f"{day:.1f}: ")
        if self.of == 1:
            return head + f"the only incident in the {who} run"
        order = "the largest" if self.rank == 1 else f"the {_ordinal(self.rank)} largest"
        return head + f"{order} by loss of {self.of} incidents in the {who} run"


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _key(inc: dict) -> tuple:
    return (inc["kind"], int(inc["origin"]), int(inc["start_step"]))


def pick(picks: list[tuple[str, int]], regions: dict[int, dict], kind: str | None = None,
         origin: str | int | None = None, rank: int = 1) -> Chosen | None:
    """The incident to draw among the runs `picks` ((regime, run id), the reference regime
    first): the `rank`-th largest by total loss in the reference run, among incidents of
    `kind` and from `origin` (a city id, English or Chinese name, or index) if given."""
    regime0, run0 = picks[0]
    region = regions.get(run0)
    if not region or not region.get("incidents"):
        return None
    found = region["incidents"]
    if kind is not None:
        found = [i for i in found if i["kind"] == kind]
    if origin is not None:
        index = city_index(region, origin)
        found = [i for i in found if int(i["origin"]) == index]
    if not found or rank < 1 or rank > len(found):
        return None
    order = sorted(range(len(found)), key=lambda k: (-sum(found[k].get("loss") or [0.0]),
                                                      found[k]["start_step"]))
    target = found[order[rank - 1]]
    records, kept = {}, {}
    for regime, run_id in picks:
        other = regions.get(run_id) or {}
        match = next((i for i in other.get("incidents", []) if _key(i) == _key(target)), None)
        if match is not None:
            records[regime], kept[regime] = match, other
    return Chosen(records, kept, regime0, rank, len(found))


def city_index(region: dict, city: str | int) -> int | None:
    """The index of a city given by index, id, English or Chinese name (None if unknown)."""
    if isinstance(city, int) and not isinstance(city, bool):
        return city if 0 <= city < len(region["ids"]) else None
    text = str(city).strip()
    for names in (region["ids"], region["names_en"], region["names_zh"]):
        lowered = [str(n).lower() for n in names]
        if text.lower() in lowered:
            return lowered.index(text.lower())
    return int(text) if text.isdigit() and int(text) < len(region["ids"]) else None
