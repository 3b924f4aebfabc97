"""Incident replays: the model's timeline against the documented record.

A record (sim/records/*.yaml) holds what is documented about a real incident: when the origin's
report came out, when each downstream city was warned, when the hazard reached it and how long
it stayed, each as a window of hours after the event with its tolerance and its source (keys
of docs/references.bib, explained in docs/sources.md §B). A study whose scripted event matches a
record (`match:` — region, hazard kind and origin) and that recorded per-city data
(`record: {cities: true}`) gets a "model vs record" table (`replay.csv`), a chart
(`figures/replay.png`, `replay_zh.png`) and a section in its report:

    from sim import open_results
    from sim.replay import compare
    compare(open_results("results/replay_songhua_2005"))   # one row per city and quantity

The model's timeline is read from replication 0 of each regime at the first sweep point (the
run the incident charts show): a river spill is deterministic once the origin has detected it,
so one run is the timeline. The first regime of the study is the one compared with the record
(the scenarios call it `as_recorded`); the others are counterfactuals shown beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

if TYPE_CHECKING:
    from sim.study import Results

RECORDS = Path(__file__).resolve().parent / "records"
WHAT = ("reported", "warned", "arrival", "exposure")
RECORD_KEYS = ("name", "title", "title_zh", "match", "t0", "t0_note", "t0_note_zh", "sources",
               "items")
ITEM_KEYS = ("city", "what", "window_h", "tolerance_h", "record", "record_zh", "source")
FILE = "replay.csv"
CHART = "replay"

WORDS = {
    "en": {"reported": "origin's report", "warned": "warned", "arrival": "arrival",
           "exposure": "exposure (h)", "none": "no documented time", "no_record": " (no record)",
           "days": "Days after the event", "hours": "Hours the hazard stayed",
           "record": "Record (window)", "tolerance": "tolerance",
           "when": "When", "how_long": "How long",
           "note": "Grey bar: documented window (an arrow marks an open side); thin line: "
                   "window widened by the tolerance. Markers: the model, one per regime "
                   "(replication 0, first sweep point); the first regime, outlined, is the one "
                   "compared with the record."},
    "zh": {"reported": "发生地报告", "warned": "获得预警", "arrival": "到达",
           "exposure": "暴露时长（小时）", "none": "无记录时间", "no_record": "（无记录）",
           "days": "事件发生后天数", "hours": "风险持续小时数",
           "record": "记录（区间）", "tolerance": "容差",
           "when": "时间", "how_long": "持续时间",
           "note": "灰色粗条：记录区间（箭头表示单侧开放）；细线：加上容差后的区间。"
                   "标记：模型结果，每种治理模式一个（第0次重复、第一个参数点）；"
                   "带黑边者为与记录对照的第一种治理模式。"},
}


class RecordError(ValueError):
    """A record file that cannot be used: the message names the file, the key and the fix."""


@dataclass(frozen=True)
class Item:
    """One documented fact: `what` happened at `city` between `low` and `high` hours after the
    event (None = not documented on that side)."""

    city: str
    what: str
    low: float | None
    high: float | None
    tolerance: float
    record: str
    record_zh: str
    source: str

    def deviation(self, hours: float | None) -> float:
        """Hours by which `hours` falls outside the documented window (0 inside, inf if the
        model has no value)."""
        if hours is None or not math.isfinite(hours):
            return math.inf
        if self.low is not None and hours < self.low:
            return self.low - hours
        if self.high is not None and hours > self.high:
            return hours - self.high
        return 0.0

    def within(self, hours: float | None) -> bool:
        return self.deviation(hours) <= self.tolerance

    def window_text(self) -> str:
        lo = "…" if self.low is None else f"{self.low:g}"
        hi = "…" if self.high is None else f"{self.high:g}"
        return f"{lo}" if lo == hi else f"{lo}–{hi}"


@dataclass(frozen=True)
class Record:
    name: str
    title: str
    title_zh: str
    match: dict[str, Any]
    t0: str
    t0_note: str
    t0_note_zh: str
    sources: tuple[str, ...]
    items: tuple[Item, ...]
    path: Path

    def matches(self, params: dict[str, Any]) -> bool:
        return all(str(params.get(k)) == str(v) for k, v in self.match.items())


def _fail(path: Path, where: str, expected: str, found: Any) -> RecordError:
    return RecordError(f"{path}: {where}: expected {expected}, found {found!r}")


def load_record(path: str | Path) -> Record:
    """Read and check one record file (safe YAML); RecordError says what is wrong and where."""
    from sim.params import suggest
    from sim.sources import bib_keys

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RecordError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise _fail(path, "top level", "a mapping", data)
    for key in data:
        if key not in RECORD_KEYS:
            raise RecordError(f"{path}: {key}: unknown key{suggest(str(key), RECORD_KEYS)}; "
                              f"expected {', '.join(RECORD_KEYS)}")
    for key in ("name", "title", "t0"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise _fail(path, key, "a non-empty text", data.get(key))
    match = data.get("match")
    if not isinstance(match, dict) or not match:
        raise _fail(path, "match", "a mapping of parameter paths to values", match)
    keys = bib_keys()
    sources = data.get("sources") or []
    items = data.get("items")
    if not isinstance(items, list) or not items:
        raise _fail(path, "items", "a non-empty list", items)
    out = []
    for i, item in enumerate(items):
        at = f"items[{i}]"
        if not isinstance(item, dict):
            raise _fail(path, at, "a mapping", item)
        for key in item:
            if key not in ITEM_KEYS:
                raise RecordError(f"{path}: {at}.{key}: unknown key"
                                  f"{suggest(str(key), ITEM_KEYS)}; expected "
                                  f"{', '.join(ITEM_KEYS)}")
        if item.get("what") not in WHAT:
            raise _fail(path, f"{at}.what", f"one of {', '.join(WHAT)}", item.get("what"))
        window = item.get("window_h")
        if (not isinstance(window, list) or len(window) != 2
                or any(v is not None and (isinstance(v, bool) or not isinstance(v, int | float))
                       for v in window) or window == [None, None]
                or (None not in window and window[0] > window[1])):
            raise _fail(path, f"{at}.window_h", "[earliest, latest] hours (null for an open "
                        "side, earliest <= latest)", window)
        tol = item.get("tolerance_h")
        if isinstance(tol, bool) or not isinstance(tol, int | float) or tol < 0:
            raise _fail(path, f"{at}.tolerance_h", "a number of hours >= 0", tol)
        source = item.get("source")
        if not isinstance(source, str) or (keys is not None and source not in keys):
            raise _fail(path, f"{at}.source", "a key of docs/references.bib", source)
        out.append(Item(str(item.get("city")), item["what"],
                        None if window[0] is None else float(window[0]),
                        None if window[1] is None else float(window[1]), float(tol),
                        str(item.get("record", "")), str(item.get("record_zh", "")), source))
    bad = [s for s in sources if keys is not None and s not in keys]
    if bad:
        raise _fail(path, "sources", "keys of docs/references.bib", bad)
    return Record(data["name"], data["title"], str(data.get("title_zh") or data["title"]),
                  dict(match), data["t0"], str(data.get("t0_note", "")),
                  str(data.get("t0_note_zh") or data.get("t0_note", "")), tuple(sources),
                  tuple(out), path)


def records() -> list[Record]:
    """Every shipped record."""
    return [load_record(p) for p in sorted(RECORDS.glob("*.yaml"))]


def record_for(params: dict[str, Any]) -> Record | None:
    """The record whose event these resolved parameters script, or None."""
    return next((r for r in records() if r.matches(params)), None)


# --- the model's timeline ------------------------------------------------------------------------
def timeline(region: dict, frame: pd.DataFrame, threshold: float) -> dict[tuple[str, str], float]:
    """Hours after the event's start, per (city id, what), of one recorded run: when the
    origin reported, when each city was warned and reached, and how many hours the hazard's
    intensity stayed above `threshold` there (the model's own arrival threshold)."""
    out: dict[tuple[str, str], float] = {}
    if not region.get("incidents"):
        return out
    inc = region["incidents"][0]
    hours, start = float(region["step_hours"]), int(inc["start_step"])
    ids = region["ids"]

    def since(step: int) -> float | None:
        return (step - start) * hours if step >= 0 else None

    origin = int(inc["origin"])
    if (r := since(int(inc["report_step"]))) is not None:
        out[(ids[origin], "reported")] = r
    for j, cid in enumerate(ids):
        for what, steps in (("warned", inc["informed"]), ("arrival", inc["arrival"])):
            if (v := since(int(steps[j]))) is not None:
                out[(cid, what)] = v
        present = frame.loc[frame["city"] == j, "intensity"].to_numpy()
        n = int(np.count_nonzero(present > threshold))
        if n:
            out[(cid, "exposure")] = n * hours
    return out


def _params(results: Results, regime: str) -> dict[str, Any]:
    from sim.params import resolve

    sc = results.manifest["scenario"]
    settings = next(r["settings"] for r in sc["regimes"] if r["name"] == regime)
    point = (sc.get("sweep_points") or [{}])[0]
    return resolve(settings, sc.get("params") or {}, point)


def study_record(results: Results) -> Record | None:
    """The record this study replays (its first regime's event), or None."""
    regimes = results.manifest["scenario"]["regimes"]
    return record_for(_params(results, regimes[0]["name"]))


def compare(results: Results) -> pd.DataFrame | None:
    """The model-vs-record table, or None when the study replays no record or recorded no
    per-city data. One row per documented item, then one per reached city without a
    documented arrival; a column of model hours per regime (`model:<regime>`), and for the
    first regime the deviation from the window and whether it is within tolerance."""
    record = study_record(results)
    data = results.cities
    if record is None or data is None:
        return None
    frame, regions = data
    sc = results.manifest["scenario"]
    order = [r["name"] for r in sc["regimes"]]
    runs = results.runs
    recorded = runs[runs["run_id"].isin(frame["run_id"].unique())]
    if recorded.empty:
        return None
    point = recorded["point"].min() if "point" in recorded else 0
    kind = record.match.get("hazard.kind", "river_spill")
    lines: dict[str, dict] = {}
    for regime in order:
        rows = recorded[(recorded["regime"] == regime) & (recorded.get("point", 0) == point)]
        if rows.empty:
            continue
        run_id = int(rows["run_id"].iloc[0])
        threshold = 0.01 * _params(results, regime)[f"{kind}.half_damage"]
        lines[regime] = timeline(regions[run_id], frame[frame["run_id"] == run_id], threshold)
    if not lines or order[0] not in lines:
        return None
    region = regions[int(recorded["run_id"].iloc[0])]
    names = dict(zip(region["ids"], zip(region["names_en"], region["names_zh"], strict=True),
                     strict=True))
    first = order[0]
    table = []
    for item in record.items:
        if item.city not in names:
            raise RecordError(f"{record.path}: city {item.city!r} is not in region "
                              f"{region['name']!r} (cities: {', '.join(region['ids'])})")
        model = lines[first].get((item.city, item.what))
        table.append({"city": item.city, "city_en": names[item.city][0],
                      "city_zh": names[item.city][1], "what": item.what,
                      "record": item.record, "record_zh": item.record_zh,
                      "low_h": item.low, "high_h": item.high, "tolerance_h": item.tolerance,
                      "source": item.source, "deviation_h": item.deviation(model),
                      "within": item.within(model),
                      **{f"model:{r}": lines[r].get((item.city, item.what)) for r in lines}})
    documented = {(i.city, i.what) for i in record.items}
    origin = region["ids"][int(region["incidents"][0]["origin"])]
    for cid in region["ids"]:
        if cid == origin or (cid, "arrival") in documented or (cid, "arrival") not in lines[first]:
            continue
        table.append({"city": cid, "city_en": names[cid][0], "city_zh": names[cid][1],
                      "what": "arrival", "record": "", "record_zh": "", "low_h": None,
                      "high_h": None, "tolerance_h": None, "source": "", "deviation_h": None,
                      "within": None,
                      **{f"model:{r}": lines[r].get((cid, "arrival")) for r in lines}})
    return pd.DataFrame(table)


# --- chart -------------------------------------------------------------------------------------
def chart(table: pd.DataFrame, regimes: list[dict], lang: str = "en"):
    """Model vs record: documented windows (grey) and each regime's model value (markers),
    times in days on the left, exposure durations in hours on the right."""
    import matplotlib.pyplot as plt

    from sim import plots

    w = WORDS[lang]
    style = plots.Style(regimes, lang)
    order = [r["name"] for r in regimes if f"model:{r['name']}" in table]
    when = table[table["what"] != "exposure"].reset_index(drop=True)
    long = table[table["what"] == "exposure"].reset_index(drop=True)
    panels = [(when, 24.0, w["days"], w["when"])] + (
        [(long, 1.0, w["hours"], w["how_long"])] if len(long) else [])
    rows = max(len(when), 1) + (len(long) if len(long) else 0)
    with plt.rc_context(plots.rc(lang)):
        fig = plt.figure(figsize=(7.2, 1.2 + 0.34 * rows), layout="constrained")
        axes = fig.subplots(len(panels), 1, squeeze=False,
                            height_ratios=[max(len(p[0]), 1) for p in panels])[:, 0]
        handles = {}
        for ax, (part, scale, xlabel, _title) in zip(axes, panels, strict=True):
            labels = []
            top = 0.0
            for y, row in part.iterrows():
                city = row["city_zh"] if lang == "zh" else row["city_en"]
                label = city if row["what"] == "exposure" else f"{city} · {w[row['what']]}"
                labels.append(label if pd.notna(row["tolerance_h"]) else
                              label + w["no_record"])
                lo, hi, tol = row["low_h"], row["high_h"], row["tolerance_h"]
                if pd.notna(tol):
                    # an open side runs to the start of the event (or twice the window)
                    a = (lo if pd.notna(lo) else 0.0) / scale
                    b = (hi if pd.notna(hi) else 2 * lo) / scale
                    t = tol / scale
                    left = 0.0 if pd.isna(lo) else a - t
                    ax.plot([left, b + t], [y, y], color="#9a9a9a", linewidth=1.0,
                            solid_capstyle="butt", zorder=1)
                    ax.barh(y, max(b - a, 0.02 * max(b, 1)), left=a, height=0.45,
                            color="#c8c8c8", edgecolor="#7f7f7f", linewidth=0.6, zorder=2)
                    if pd.isna(lo):
                        ax.plot(a, y, marker="<", color="#7f7f7f", markersize=5, zorder=3)
                    if pd.isna(hi):
                        ax.plot(b, y, marker=">", color="#7f7f7f", markersize=5, zorder=3)
                    top = max(top, b + t)
                for k, regime in enumerate(order):
                    value = row.get(f"model:{regime}")
                    if value is None or pd.isna(value):
                        continue
                    st = style.of(regime)
                    offset = (k - (len(order) - 1) / 2) * 0.16
                    h = ax.plot(value / scale, y + offset, marker=st["marker"],
                                color=st["color"], markersize=5.5 if k == 0 else 4.5,
                                markeredgecolor="black" if k == 0 else st["color"],
                                markeredgewidth=0.6, linestyle="none", zorder=4)[0]
                    handles.setdefault(regime, h)
                    top = max(top, value / scale)
            ax.set_yticks(range(len(part)), labels)
            ax.set_ylim(len(part) - 0.5, -0.5)
            ax.set_xlim(-0.02 * top - 0.1 / scale, top * 1.06 + 0.5 / scale)
            ax.set_xlabel(xlabel)
            ax.grid(axis="y", visible=False)
        present = [r for r in order if r in handles]
        plots.entries_on_top(fig, [handles[r] for r in present],
                             [style.label(r) for r in present])
        plots.note(fig, w["note"])
    return fig


def draw(results: Results, table: pd.DataFrame, lang: str = "en") -> Path:
    """Write figures/replay.{png,pdf} (replay_zh.* for Chinese); return the PNG."""
    from sim import plots

    fig = chart(table, results.manifest["scenario"]["regimes"], lang)
    return plots.save(fig, results.path / "figures", CHART, lang)[0]


# --- report section ------------------------------------------------------------------------------
TEXT = {
    "en": {"h2": "Model vs record: {title}",
           "intro": "The documented timeline of the incident against the model's (replication "
                    "0 of each regime), in hours after {t0}. {note} \"Within tolerance\" says "
                    "whether the first regime ({first}) falls inside the documented window "
                    "widened by the stated tolerance; the other regimes are counterfactuals. "
                    "Sources: {sources} (docs/sources.md §B).",
           "city": "City", "what": "What", "record": "Record", "window": "Window (h)",
           "tol": "± (h)", "ok": "Within tolerance", "yes": "yes", "no": "NO",
           "summary": "{k} of {n} documented items within tolerance.",
           "caption": "Model vs record: documented windows and the model's timeline per regime.",
           "missing": "This study scripts the event of record {name} but recorded no per-city "
                      "data: add `record: {{cities: true}}` to compare it with the record."},
    "zh": {"h2": "模型与记录对照：{title}",
           "intro": "事件的记录时间线与模型时间线（各治理模式第0次重复）对照，单位为{t0}之后"
                    "的小时数。{note}“在容差内”指第一种治理模式（{first}）是否落在记录区间加减"
                    "容差以内；其余治理模式为反事实情形。来源：{sources}（docs/sources.md §B）。",
           "city": "城市", "what": "事项", "record": "记录", "window": "区间（小时）",
           "tol": "±（小时）", "ok": "在容差内", "yes": "是", "no": "否",
           "summary": "{n}项记录中有{k}项在容差内。",
           "caption": "模型与记录对照：记录区间与各治理模式的模型时间线。",
           "missing": "本研究模拟了记录 {name} 的事件，但未保存分城市数据：请在情景中加入 "
                      "`record: {{cities: true}}` 以便与记录对照。"},
}


def _hours(v: Any) -> str:
    return "–" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:g}"


def table_rows(table: pd.DataFrame, regimes: list[dict], lang: str
               ) -> tuple[list[str], list[list[str]], list[int]]:
    """(header, rows, numeric columns) of the model-vs-record table in a language."""
    from sim import plots

    t, w = TEXT[lang], WORDS[lang]
    style = plots.Style(regimes, lang)
    order = [r["name"] for r in regimes if f"model:{r['name']}" in table]
    rows = []
    for _, r in table.iterrows():
        documented = pd.notna(r["tolerance_h"])
        window = Item("", "", None if pd.isna(r["low_h"]) else r["low_h"],
                      None if pd.isna(r["high_h"]) else r["high_h"], 0, "", "", "")
        rows.append([r["city_zh"] if lang == "zh" else r["city_en"], w[r["what"]],
                     (r["record_zh"] if lang == "zh" else r["record"]) or w["none"],
                     window.window_text() if documented else "–",
                     _hours(r["tolerance_h"]) if documented else "–",
                     *[_hours(None if pd.isna(r[f"model:{g}"]) else float(r[f"model:{g}"]))
                       for g in order],
                     (t["yes"] if r["within"] else t["no"]) if documented else "–"])
    header = [t["city"], t["what"], t["record"], t["window"], t["tol"],
              *[style.label(g) for g in order], t["ok"]]
    return header, rows, list(range(3, 5 + len(order)))


def summary(table: pd.DataFrame, lang: str = "en") -> str:
    documented = table[table["tolerance_h"].notna()]
    return TEXT[lang]["summary"].format(k=int(documented["within"].astype(bool).sum()),
                                        n=len(documented))


def add_section(doc, results: Results, lang: str) -> None:
    """Append the model-vs-record section to a report (sim.report.Doc) when the study replays
    a record; also writes replay.csv and the chart. Does nothing for other studies."""
    from sim import plots

    record = study_record(results)
    if record is None:
        return
    t = TEXT[lang]
    title = record.title_zh if lang == "zh" else record.title
    doc.add("h2", t["h2"].format(title=title))
    table = compare(results)
    if table is None:
        doc.add("p", t["missing"].format(name=record.name))
        return
    table.to_csv(results.path / FILE, index=False)
    regimes = results.manifest["scenario"]["regimes"]
    style = plots.Style(regimes, lang)
    note = record.t0_note_zh if lang == "zh" else record.t0_note
    doc.add("p", t["intro"].format(t0=record.t0, note=note.strip(),
                                   first=style.label(regimes[0]["name"]),
                                   sources=", ".join(record.sources)))
    doc.add("table", *table_rows(table, regimes, lang))
    doc.add("note", summary(table, lang))
    png = draw(results, table, lang)
    doc.add("figure", png, t["caption"], png.relative_to(results.path).as_posix())


def markdown(name: str, table: pd.DataFrame, regimes: list[dict]) -> str:
    """The generated block of docs/validation.md for one replay (English): the table, the count
    within tolerance and the chart (docs/figures/<name>.png)."""
    header, rows, numeric = table_rows(table, regimes, "en")
    cell = lambda x: str(x).replace("|", "\\|")  # noqa: E731
    out = ["| " + " | ".join(cell(h) for h in header) + " |",
           "|" + "|".join("---:" if i in numeric else "---" for i in range(len(header))) + "|"]
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    out += ["", f"*{summary(table)}* Model hours are those of replication 0 of each regime.", "",
            f"![Model vs record, {name}](figures/{name}.png)"]
    return "\n".join(out)
