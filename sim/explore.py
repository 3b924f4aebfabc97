"""Explore one run in the browser (`python run.py explore SCENARIO.yaml`): a Mesa SolaraViz page.

The page runs the scenario's first sweep point on one seed (replication 0 of the study by
default, so it is the very run the study recorded) under two regimes side by side, stepped
together: the same incidents, the same detection luck (common random numbers), different
governance. Panels (docs/explore.md):

- the region map (区域地图) per regime: cities at their longitude and latitude on the real
  outlines where the region is real (sim.basemap), rivers as arrows, the hazard's intensity
  now as each city's fill, and each city's state: warned (已预警), in emergency mode (应急状态),
  hit (受波及);
- the outcome plots (结果曲线): loss so far, cities warned and reached, hazard intensity;
- the event log (事件日志) of the current step: the model's own `model.events` when the model
  keeps one (`RiskModel(..., record_events=True)`), otherwise what the incidents' state says
  happened at this step (detected, reported, warned, activated, arrived, escalated), plus the
  state of every incident so far;
- a summary (对比) of the two runs so far and the difference.

Mesa's SolaraViz gives the play / step / reset buttons and the model parameters (a regime
selector per side, the seed and sliders for the main mechanism parameters; a change applies on
Reset). Everything is computed from the model's own attributes at each step (`series`,
`intensity`, the incidents), so the page needs no per-step DataCollector.

`Pair` is the Mesa model the page drives; `dashboard(scenario)` returns the page (it also
displays in a Jupyter notebook); `Page` is what `solara run sim.explore` serves (the scenario
comes from the environment variables that `run.py explore` sets).
"""

from __future__ import annotations

import functools
import html
import inspect
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim import basemap, plots
from sim.maps import RIVER_COLOUR, label_cities, map_frame
from sim.mechanisms.common import NEVER
from sim.model import SERIES, RiskModel
from sim.params import lookup, resolve
from sim.regimes import REGIMES, regime_settings
from sim.scenario import RegimeSpec, Scenario, load, seed_sequence

ENV_SCENARIO = "KUAYU_EXPLORE_SCENARIO"  # set by `run.py explore`: the scenario file
ENV_SET = "KUAYU_EXPLORE_SET"  # and its --set overrides, as JSON
ENV_LANG = "KUAYU_EXPLORE_LANG"  # and the page's language
NONE = "none"  # the right-hand side left empty: one regime alone
WARNED, EMERGENCY, HIT = "#0072B2", "#009E73", "#D55E00"  # Okabe-Ito blue, green, vermilion
INTENSITY_CMAP = "YlOrRd"

# Sliders for the main mechanism settings that no regime preset sets (a slider over a setting a
# regime fixes would erase the difference between regimes): path -> (min, max, step).
SLIDERS: dict[str, tuple[float, float, float]] = {
    "sensing.monitoring_prob": (0.0, 1.0, 0.05),
    "preparedness.activation_hours": (0.0, 48.0, 1.0),
    "protection.reduction": (0.0, 0.9, 0.05),
    "warning.reduction_at_24h": (0.0, 0.9, 0.05),
    "reporting.disclosure_cost": (0.0, 10.0, 0.5),
    "source_control.cost": (1.0, 100.0, 1.0),
    "trust.initial": (0.0, 1.0, 0.05),
    "learning.initial_cooperation": (0.0, 1.0, 0.05),
}

WORDS = {
    "en": {"day": "day {d:.2f} ({t} of {n} steps)", "start": "not started (press Step or Play)",
           "intensity": "Hazard intensity now", "warned": "Warned", "emergency": "Emergency mode",
           "hit": "Hit (hazard arrived)", "origin": "Origin of an incident",
           "river": "River (upstream → downstream)",
           "map_note": "the incidents still going (or else the last one); circle area: "
                       "population",
           "loss": "Loss so far\n(100 million CNY)", "cities": "Cities",
           "warned_line": "warned", "reached_line": "reached",
           "intensity_axis": "Hazard intensity\n(sum over cities)", "days": "Day",
           "events": "Event log of step {t} (counted from 0; it ends on day {d:.2f})",
           "no_events": "nothing happened at this step", "incidents": "Incidents so far",
           "from_model": "from the model's event log (model.events)",
           "derived": "derived from the incidents' state (the model keeps no event log)",
           "summary": "The two runs so far", "regime": "Regime", "loss_total": "Loss",
           "spill": "Spillover loss", "reached_n": "Cities reached",
           "in_time": "Ready before arrival", "incidents_n": "Incidents",
           "difference": "{b} minus {a}", "same_seed": "same seed (replication {r}), same "
           "incidents: the difference is the regime's", "units": "loss in 100 million CNY",
           "cols": ["step", "hour", "event", "actor", "target", "incident", "amount",
                    "detail"],
           "inc_cols": ["incident", "kind", "origin", "day started", "detected (day)",
                        "reported (day)", "warned", "reached", "in emergency mode", "loss",
                        "live"],
           "event_words": {"started": "incident started", "activated": "emergency mode",
                           "arrived": "hazard arrived", "escalation": "escalated to the centre",
                           "central_command": "central command"},
           "actors": {"body": "the region's body", "centre": "the centre"},
           "param": "{en}", "left": "Regime (left)", "right": "Regime (right)",
           "replication": "Replication (seed)", "lang": "Language"},
    "zh": {"day": "第{d:.2f}天（已{t}步，共{n}步）", "start": "尚未开始（点击 Step 或 ▶）",
           "intensity": "当前风险强度", "warned": "已预警", "emergency": "应急状态",
           "hit": "受波及（风险已到达）", "origin": "事件发生地", "river": "河流（上游 → 下游）",
           "map_note": "显示进行中的事件（若无，则为最近一次事件）；圆面积：人口",
           "loss": "累计损失（亿元）", "cities": "城市数",
           "warned_line": "已预警", "reached_line": "受波及",
           "intensity_axis": "风险强度（各城市合计）", "days": "天",
           "events": "事件日志：第{t}步（从0计，至第{d:.2f}天）", "no_events": "本步无事件",
           "incidents": "已发生的事件",
           "from_model": "来自模型的事件日志（model.events）",
           "derived": "由各事件的状态推得（模型未记录事件日志）",
           "summary": "两次运行至今", "regime": "治理模式", "loss_total": "损失",
           "spill": "外溢损失", "reached_n": "受波及城市", "in_time": "到达前已进入应急状态",
           "incidents_n": "事件数", "difference": "{b}减{a}",
           "same_seed": "同一随机种子（第{r}次重复）、相同事件：差异来自治理模式",
           "units": "损失单位：亿元",
           "cols": ["步", "小时", "事件", "主体", "对象", "事件编号", "数额", "说明"],
           "inc_cols": ["事件编号", "类型", "发生地", "开始（天）", "发现（天）", "报告（天）",
                        "已预警", "受波及", "应急状态", "损失", "进行中"],
           "event_words": {"started": "事件开始", "detected": "发现", "reported": "报告",
                           "warned": "收到预警", "activated": "进入应急状态",
                           "arrived": "风险到达", "escalation": "上报中央",
                           "central_command": "中央统一指挥"},
           "actors": {"body": "区域协调机构", "centre": "中央"},
           "param": "{zh}", "left": "治理模式（左）", "right": "治理模式（右）",
           "replication": "重复编号（随机种子）", "lang": "语言"},
}
UNITS = {"river_spill": "t/h", "river_flood": "m³/s"}


def regime_options(scenario: Scenario) -> dict[str, RegimeSpec]:
    """The scenario's regimes (with their own settings), then the presets it does not use."""
    options = {r.key: r for r in scenario.regimes}
    for name, preset in REGIMES.items():
        if name not in options:
            options[name] = RegimeSpec(name, name, preset.label_en, preset.label_zh, {})
    return options


def slider_paths(scenario: Scenario) -> dict[str, tuple[float, float, float]]:
    """The sliders this scenario gets: the main mechanism settings, the hazard's magnitude and
    the swept numeric settings, less any that a regime on offer sets."""
    fixed = {k for r in regime_options(scenario).values() for k in r.settings}
    fixed |= {k for r in regime_options(scenario).values() for k in regime_settings(r.regime)}
    p = point_params(scenario)
    out = {}
    kind = p["hazard.kind"]
    if f"{kind}.magnitude" in p:
        value = float(p[f"{kind}.magnitude"])
        top = max(4 * value, 1.0)
        out[f"{kind}.magnitude"] = (0.0, top, _nice_step(top))
    for path in scenario.swept:
        values = [pt[path] for pt in scenario.points]
        if lookup(path).kind in ("float", "int") and len(set(values)) > 1:
            lo, hi = float(min(values)), float(max(values))
            step = 1.0 if lookup(path).kind == "int" else _nice_step(hi - lo)
            out[path] = (lo, hi, step)
    out.update(SLIDERS)
    return {k: v for k, v in out.items() if k not in fixed}


def _nice_step(span: float) -> float:
    raw = span / 40 if span > 0 else 1.0
    mag = 10 ** np.floor(np.log10(raw))
    return float(min((1, 2, 5, 10), key=lambda m: abs(m * mag - raw)) * mag)


def point_params(scenario: Scenario, regime: RegimeSpec | None = None) -> dict[str, Any]:
    """Every setting of the scenario's first sweep point (under `regime`, or the first)."""
    regime = regime or scenario.regimes[0]
    return resolve(regime_settings(regime.regime),
                   {**regime.settings, **scenario.params, **scenario.points[0]})


def _keeps_events() -> bool:
    return "record_events" in inspect.signature(RiskModel.__init__).parameters


class Pair(mesa.Model):
    """Two runs of a scenario's first sweep point on the same seed, stepped together.

    `left` and `right` name regimes (the scenario's or presets; `right="none"` shows one run);
    `replication` picks the seed as the study does (replication r of every regime shares it);
    other keywords are settings by dotted path with `__` for the dot, applied to both runs on
    top of the scenario (`sensing__monitoring_prob=0.3`). `scenario` is Mesa's own scenario
    object, which SolaraViz passes on reset; it is not used.
    """

    def __init__(self, study: Scenario | str | Path | None = None, left: str | None = None,
                 right: str | None = None, replication: int = 0, lang: str = "en",
                 scenario: Any = None, rng: Any = None, **settings: Any):
        super().__init__()
        if study is None:
            study = load(Path(__file__).resolve().parent.parent / "scenarios" /
                         "quickstart.yaml")
        self.study = study if isinstance(study, Scenario) else load(study)
        options = regime_options(self.study)
        keys = [r.key for r in self.study.regimes]
        left = left or keys[0]
        right = right or (keys[-1] if len(keys) > 1 else NONE)
        for side in (left, right):
            if side not in options and not (side == NONE and side is right):
                raise ValueError(f"unknown regime {side!r}: expected one of "
                                 + ", ".join(options))
        self.lang = lang if lang in WORDS else "en"
        self.replication = int(replication)
        self.settings = {k.replace("__", "."): v for k, v in settings.items()}
        self.sides = [left] if right == NONE else [left, right]
        self.options = options
        self.runs: dict[str, RiskModel] = {}
        extra = {"record_events": True} if _keeps_events() else {}
        for key in dict.fromkeys(self.sides):
            spec = options[key]
            self.runs[key] = RiskModel(
                regime=spec.regime,
                params={**spec.settings, **self.study.params, **self.study.points[0],
                        **self.settings},
                rng=seed_sequence(self.study.seed, self.replication), record_series=True,
                **extra)
        first = self.runs[left]
        self.region = first.region
        self.n_steps = first.n_steps
        self.step_hours = first.step_hours
        self.peak = 0.0  # the highest city intensity seen so far: one colour scale over time
        self.running = True

    @property
    def t(self) -> int:
        """The last step done (-1 before the first)."""
        return self.steps - 1

    def step(self) -> None:
        for run in self.runs.values():
            if run.running:
                run.step()
        self.peak = max([self.peak, *(float(r.intensity.max()) for r in self.runs.values())])
        self.running = any(r.running for r in self.runs.values())

    def label(self, key: str) -> str:
        spec = self.options[key]
        return spec.label_zh if self.lang == "zh" else spec.label


# --- what each panel reads from a RiskModel --------------------------------------------------
@dataclass
class CityState:
    warned: np.ndarray  # bool per city
    emergency: np.ndarray
    hit: np.ndarray
    intensity: np.ndarray
    origins: list[int]


def city_state(run: RiskModel, t: int) -> CityState:
    """Each city's state after step t in the incidents still going (when none is, in the
    last one, so the end of an incident stays on the map until the next starts)."""
    n = run.n
    warned, emergency, hit = (np.zeros(n, dtype=bool) for _ in range(3))
    shown = [inc for inc in run.incidents if inc.live] or run.incidents[-1:]
    for inc in shown:
        warned |= (inc.informed >= 0) & (inc.informed <= t)
        emergency |= (inc.ready >= 0) & (inc.ready <= t)
        hit |= (inc.arrival >= 0) & (inc.arrival <= t)
    live = any(inc.live for inc in run.incidents)
    intensity = run.intensity.copy() if live and t >= 0 else np.zeros(n)
    return CityState(warned, emergency, hit, intensity, sorted({inc.origin for inc in shown}))


def tally(run: RiskModel, t: int) -> dict[str, float]:
    """Totals so far: loss, spillover loss (outside each incident's origin), cities reached
    beyond the origin, those of them in emergency mode before the hazard arrived (the model's
    warned_in_time counts the same way), incidents."""
    loss = spill = 0.0
    reached = in_time = 0
    for inc in run.incidents:
        loss += float(inc.loss.sum())
        spill += float(inc.loss.sum() - inc.loss[inc.origin])
        got = (inc.arrival >= 0) & (inc.arrival <= t)
        got[inc.origin] = False
        reached += int(got.sum())
        early = got & (inc.ready >= 0) & (inc.ready < inc.arrival)
        in_time += int(early.sum())
    return {"loss": loss, "spill": spill, "reached": reached, "in_time": in_time,
            "incidents": len(run.incidents)}


def step_events(run: RiskModel, t: int) -> tuple[list[dict], bool]:
    """The events of step t as dicts (step, hour, event, actor, target, incident, amount,
    detail) and whether they come from the model's own log (`run.events`, kept when the model
    runs with `record_events=True`); otherwise `derived_events`."""
    events = getattr(run, "events", None)
    if events is not None and getattr(run, "record_events", True):
        return [dict(e) for e in events if e.get("step") == t], True
    return derived_events(run, t), False


def derived_events(run: RiskModel, t: int) -> list[dict]:
    """What the incidents' state says happened at step t, in the event log's own words
    (started, detected, reported, warned, activated, arrived, escalation, central_command):
    actor and target are city indices or "body" / "centre", `incident` the incident's index,
    `hour` the hours since the model start at the start of the step."""
    hour = t * run.step_hours
    out = []

    def add(event, actor=None, target=None, k=0, amount=None, detail=""):
        out.append({"step": t, "hour": hour, "event": event, "actor": actor, "target": target,
                    "incident": k, "amount": amount, "detail": detail})

    for k, inc in enumerate(run.incidents):
        origin = int(inc.origin)
        if inc.spec.start_step == t:
            add("started", origin, None, k, float(inc.spec.magnitude), inc.spec.kind)
        if inc.detected_step == t:
            add("detected", origin, None, k)
        if inc.report_step == t:
            add("reported", origin, "body", k, None, "late" if inc.concealed else "on time")
        for j in np.flatnonzero(inc.informed == t):
            add("warned", None, int(j), k)
        for j in np.flatnonzero(inc.ready == t):
            add("activated", int(j), None, k)
        for j in np.flatnonzero(inc.arrival == t):
            add("arrived", int(j), None, k)
        if inc.escalated_step == t:
            add("escalation", "body", "centre", k)
        if inc.central_step == t:
            add("central_command", "centre", origin, k)
    return out


def shown_events(events: list[dict], run: RiskModel, lang: str = "en") -> list[list]:
    """Event rows for the page: cities by name, the body and the centre and the event in
    words of the language (Chinese from the model's vocabulary where it has one)."""
    w = WORDS[lang]
    names = run.region.names_zh if lang == "zh" else run.region.names_en
    try:
        from sim.events import VOCABULARY  # the model's own log, where it exists
    except ImportError:
        VOCABULARY = {}

    def who(x):
        if x is None or x == "":
            return ""
        if isinstance(x, (int, np.integer)) and 0 <= x < len(names):
            return names[int(x)]
        return w["actors"].get(str(x), str(x))

    def what(event):
        if lang == "zh":
            return w["event_words"].get(event) or (VOCABULARY.get(event, ("", event))[1])
        return w["event_words"].get(event, str(event).replace("_", " "))

    return [[e.get("step"), e.get("hour"), what(e.get("event")), who(e.get("actor")),
             who(e.get("target")), e.get("incident"), e.get("amount"), e.get("detail", "")]
            for e in events]


def incident_rows(run: RiskModel, t: int, lang: str = "en") -> list[list]:
    """One row per incident so far: kind, origin, days started / detected / reported, cities
    warned, reached and in emergency mode by now, loss so far, still live."""
    names = run.region.names_zh if lang == "zh" else run.region.names_en
    day = run.step_hours / 24

    def when(step):
        return "" if step == NEVER or step > t else f"{(step + 1) * day:.2f}"

    rows = []
    for k, inc in enumerate(run.incidents):
        rows.append([k, inc.spec.kind, names[inc.origin], f"{inc.spec.start_step * day:.2f}",
                     when(inc.detected_step), when(inc.report_step),
                     int(((inc.informed >= 0) & (inc.informed <= t)).sum()),
                     int(((inc.arrival >= 0) & (inc.arrival <= t)).sum()),
                     int(((inc.ready >= 0) & (inc.ready <= t)).sum()),
                     round(float(inc.loss.sum()), 3), bool(inc.live)])
    return rows


# --- drawing ---------------------------------------------------------------------------------
def _frame(lon: np.ndarray, lat: np.ndarray) -> tuple[tuple[float, float, float, float], float]:
    squash = float(np.cos(np.radians(lat.mean())))
    reach = max((np.ptp(lon) * squash) or 1.0, float(np.ptp(lat)), 0.5)
    box = (round(float(lon.min()) - 0.12 * reach / squash, 3),
           round(float(lon.max()) + 0.12 * reach / squash, 3),
           round(float(lat.min()) - 0.16 * reach, 3), round(float(lat.max()) + 0.12 * reach, 3))
    return box, squash


def _draw_base(ax, box) -> bool:
    found = basemap.lines(box)  # cached by box
    if found is None:
        return False
    ax.set_facecolor(basemap.SEA)
    if found["land"] is not None:
        ax.add_collection(PathCollection([found["land"]], facecolors=basemap.LAND,
                                         edgecolors="none", zorder=0.1))
    for key, colour, width, z in (("prefecture", basemap.PREFECTURE, 0.35, 0.2),
                                  ("province", basemap.PROVINCE, 0.7, 0.3),
                                  ("coast", basemap.COAST, 0.6, 0.4)):
        if found[key]:
            ax.add_collection(LineCollection(found[key], colors=colour, linewidths=width,
                                             zorder=z))
    return True


def map_figure(pair: Pair) -> Figure:
    """The region per regime, side by side, at the pair's current step."""
    w = WORDS[pair.lang]
    region = pair.region
    lon, lat = np.asarray(region.lon, float), np.asarray(region.lat, float)
    box, squash = _frame(lon, lat)
    ratio = float(np.clip((box[3] - box[2]) / ((box[1] - box[0]) * squash), 0.2, 1.2))
    ncols = len(pair.sides)
    width = 7.0
    fig = Figure(figsize=(width, width / ncols * ratio + 1.3), layout="constrained")
    FigureCanvasAgg(fig)
    with plt_rc(pair.lang):
        axes = fig.subplots(1, ncols, squeeze=False)[0]
        area = 30 + 320 * np.asarray(region.population_m) / float(np.max(region.population_m))
        radius = np.sqrt(area) / 2
        real = basemap.wanted(region.name, lon, lat)
        norm = Normalize(0, pair.peak or 1.0)
        names = list(region.names_zh if pair.lang == "zh" else region.names_en)
        t = pair.t
        stamp = (w["day"].format(d=(t + 1) * pair.step_hours / 24, t=t + 1, n=pair.n_steps)
                 if t >= 0 else w["start"])
        for ax, key in zip(axes, pair.sides, strict=True):
            run = pair.runs[key]
            state = city_state(run, t)
            if real:
                _draw_base(ax, box)
            for edge in region.rivers:
                a, b = edge.src, edge.dst
                ax.annotate("", xy=(lon[b], lat[b]), xytext=(lon[a], lat[a]), zorder=2,
                            arrowprops={"arrowstyle": "-|>", "color": RIVER_COLOUR, "lw": 1.4,
                                        "shrinkA": radius[a] + 2, "shrinkB": radius[b] + 2,
                                        "mutation_scale": 8})
            ax.scatter(lon, lat, s=area, c=state.intensity, cmap=INTENSITY_CMAP, norm=norm,
                       edgecolors=np.where(state.warned, WARNED, "#7F7F7F"),
                       linewidths=np.where(state.warned, 2.2, 0.6), zorder=4)
            if state.emergency.any():
                ax.scatter(lon[state.emergency], lat[state.emergency],
                           s=(np.sqrt(area[state.emergency]) + 7) ** 2, facecolors="none",
                           edgecolors=EMERGENCY, linewidths=1.6, zorder=3.5)
            if state.hit.any():
                ax.scatter(lon[state.hit], lat[state.hit], marker="x", s=28, color=HIT,
                           linewidths=1.6, zorder=5)
            if state.origins:
                o = state.origins
                ax.scatter(lon[o], lat[o], marker="*", s=70, color="black", zorder=6)
            ax.set_xlim(box[0], box[1])
            ax.set_ylim(box[2], box[3])
            ax.set_aspect(1 / squash, adjustable="box")
            map_frame(ax)
            so_far = tally(run, t)
            ax.set_title(f"{pair.label(key)}\n{stamp} · {w['loss_total']} "
                         f"{so_far['loss']:.3g}", fontsize=8.5)
        label_cities(axes[0], lon, lat, names, radius, 6.5 if len(names) <= 15 else 5)
        bar = fig.colorbar(plt_scalar(norm), ax=list(axes), location="bottom", shrink=0.5,
                           aspect=35, pad=0.02)
        kind = pair.runs[pair.sides[0]].p["hazard.kind"]
        bar.set_label(f"{w['intensity']} ({UNITS.get(kind, '-')})", fontsize=8)
        bar.ax.tick_params(labelsize=7)
        handles = [Line2D([], [], ls="none", marker="o", mfc="white", mec=WARNED, mew=2.2,
                          ms=8),
                   Line2D([], [], ls="none", marker="o", mfc="none", mec=EMERGENCY, mew=1.6,
                          ms=10),
                   Line2D([], [], ls="none", marker="x", color=HIT, mew=1.6, ms=6),
                   Line2D([], [], ls="none", marker="*", color="black", ms=8)]
        labels = [w["warned"], w["emergency"], w["hit"], w["origin"]]
        if region.rivers:
            handles.append(Line2D([], [], color=RIVER_COLOUR, lw=1.4))
            labels.append(w["river"])
        fig.legend(handles, labels, loc="outside upper center", ncols=len(labels),
                   fontsize=7, frameon=False, columnspacing=1.6, handletextpad=0.3)
        note = w["map_note"] + ("; " if pair.lang == "en" else "；") + basemap.SOURCE[
            pair.lang] if real else w["map_note"]
        fig.text(0.01, -0.02, plots.wrap(note, width * 72 * 0.98, plots.measure_in(fig, 5.5)),
                 fontsize=5.5, color="#555555", va="top")
    return fig


def plots_figure(pair: Pair) -> Figure:
    """Loss so far, cities warned and reached, hazard intensity: both runs on one axis each,
    over the whole horizon (the lines grow as the runs step)."""
    w = WORDS[pair.lang]
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    cols = {name: SERIES.index(name) for name in SERIES}
    t = pair.t
    days = (np.arange(pair.n_steps) + 1) * pair.step_hours / 24
    with plt_rc(pair.lang):
        axes = fig.subplots(3, 1, sharex=True)
        for k, key in enumerate(dict.fromkeys(pair.sides)):
            run = pair.runs[key]
            style = {"color": plots.OKABE_ITO[k], "linestyle": plots.LINESTYLES[k]}
            rows = run.series[: t + 1] if t >= 0 else run.series[:0]
            x = days[: len(rows)]
            axes[0].plot(x, np.cumsum(rows[:, cols["loss_step"]]), label=pair.label(key),
                         **style)
            axes[1].plot(x, rows[:, cols["cities_warned"]], **style)
            axes[1].plot(x, rows[:, cols["cities_reached"]], color=style["color"], lw=0.9,
                         ls=":")
            axes[2].plot(x, rows[:, cols["intensity_total"]], **style)
        axes[0].set_ylabel(w["loss"])
        axes[1].set_ylabel(w["cities"])
        axes[1].set_ylim(0, pair.region.n + 0.5)
        axes[2].set_ylabel(w["intensity_axis"])
        axes[2].set_xlabel(w["days"])
        axes[2].set_xlim(0, days[-1])
        for ax in axes:
            ax.set_ylim(bottom=0)
        line_kinds = [Line2D([], [], color="#555555"), Line2D([], [], color="#555555", ls=":",
                                                              lw=0.9)]
        axes[1].legend(line_kinds, [w["warned_line"], w["reached_line"]], fontsize=7,
                       loc="upper left")
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center",
                   ncols=2, fontsize=8, frameon=False)
    return fig


class plt_rc:
    """The charts' style (fonts for the language) around drawing, without touching pyplot."""

    def __init__(self, lang: str):
        self.lang = lang

    def __enter__(self):
        import matplotlib

        self._ctx = matplotlib.rc_context(plots.rc(self.lang))
        self._ctx.__enter__()
        return self

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def plt_scalar(norm):
    from matplotlib.cm import ScalarMappable

    return ScalarMappable(norm=norm, cmap=INTENSITY_CMAP)


def _table(columns: list[str], rows: list[list]) -> str:
    """An HTML table, every value escaped (city names come from user files)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>"
                   for row in rows)
    return (f'<table class="kuayu-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


# --- Solara components ----------------------------------------------------------------------
def _solara():
    import solara

    return solara


def png(draw, pair: Pair, dpi: int = 110) -> bytes:
    """A chart of the pair as PNG bytes, drawn and rendered in the language's fonts (the
    fonts are looked up when the figure is rendered, so both happen inside the style)."""
    import io

    buffer = io.BytesIO()
    with plt_rc(pair.lang):
        draw(pair).savefig(buffer, format="png", dpi=dpi, bbox_inches="tight",
                          pad_inches=0.05)
    return buffer.getvalue()


def MapView(model: Pair):
    """区域地图: the region per regime at the current step."""
    return _solara().Image(png(map_figure, model), width="100%", classes=["kuayu-map"])


def PlotsView(model: Pair):
    """结果曲线: loss so far, cities warned and reached, hazard intensity."""
    return _solara().Image(png(plots_figure, model), width="100%", classes=["kuayu-plots"])


def _html(solara, tag: str, inner: str):
    """Plain HTML (escaped by the caller): Solara's Markdown would fetch KaTeX from a CDN and
    sets a font of its own that has no Chinese."""
    return solara.HTML(tag=tag, unsafe_innerHTML=inner, classes=[f"kuayu-{tag}"])


def EventsView(model: Pair):
    """事件日志: what happened at the current step in each run, and the incidents so far."""
    solara = _solara()
    w = WORDS[model.lang]
    t = model.t
    day = (t + 1) * model.step_hours / 24
    with solara.Column(classes=["kuayu-events"]) as main:
        _html(solara, "h3", html.escape(w["events"].format(t=t, d=day)))
        for key in dict.fromkeys(model.sides):
            run = model.runs[key]
            events, own = step_events(run, t)
            _html(solara, "p", f"<b>{html.escape(model.label(key))}</b>: "
                  + html.escape(w["from_model"] if own else w["derived"]))
            if events:
                solara.HTML(tag="div", unsafe_innerHTML=_table(
                    w["cols"], shown_events(events, run, model.lang)))
            else:
                _html(solara, "p", html.escape(w["no_events"]))
        _html(solara, "h4", html.escape(w["incidents"]))
        for key in dict.fromkeys(model.sides):
            rows = incident_rows(model.runs[key], t, model.lang)
            if rows:
                _html(solara, "p", f"<b>{html.escape(model.label(key))}</b>")
                solara.HTML(tag="div", unsafe_innerHTML=_table(w["inc_cols"], rows))
    return main


def SummaryView(model: Pair):
    """对比: the two runs so far side by side, and their difference."""
    solara = _solara()
    w = WORDS[model.lang]
    t = model.t
    keys = list(dict.fromkeys(model.sides))
    totals = {k: tally(model.runs[k], t) for k in keys}
    names = ["loss", "spill", "reached", "in_time", "incidents"]
    labels = [w["loss_total"], w["spill"], w["reached_n"], w["in_time"], w["incidents_n"]]
    columns = [w["regime"], *labels]
    rows = [[model.label(k), *(round(totals[k][n], 3) for n in names)] for k in keys]
    if len(keys) == 2:
        a, b = keys
        rows.append([w["difference"].format(a=model.label(a), b=model.label(b)),
                     *(round(totals[b][n] - totals[a][n], 3) for n in names)])
    with solara.Column() as main:
        _html(solara, "h3", html.escape(w["summary"]))
        solara.HTML(tag="div", unsafe_innerHTML=_table(columns, rows))
        _html(solara, "p", html.escape(f"{w['same_seed'].format(r=model.replication)}; "
                                       f"{w['units']}"))
    return main


COMPONENTS = [MapView, PlotsView, SummaryView, EventsView]
CSS = """
.kuayu-h3 { font-size: 18px; font-weight: 500; margin: 4px 0 8px; }
.kuayu-h4 { font-size: 15px; font-weight: 500; margin: 10px 0 6px; }
.kuayu-p { font-size: 13px; margin: 4px 0; }
.kuayu-table { border-collapse: collapse; font-size: 12px; margin-bottom: 8px; }
.kuayu-table th, .kuayu-table td { border-bottom: 1px solid #ddd; padding: 2px 6px;
  text-align: left; }
.vue-grid-item > div { overflow-y: auto; overflow-x: hidden; }
.v-application, .v-application .text-h6, .v-application input, .v-application label,
.v-application .v-select__selection { font-family: Roboto, sans-serif, "kuayu-cjk"; }
"""


def page_css(scenario: Scenario) -> str:
    """The page's style, with the Chinese its labels use embedded as a subset of the bundled
    CJK font (sim.fonts), so a machine without a Chinese font shows them too."""
    from sim.fonts import font_face_css

    texts = [json.dumps(WORDS["zh"], ensure_ascii=False)]
    texts += [f"{r.label_zh}" for r in regime_options(scenario).values()]
    texts += [lookup(path).zh for path in slider_paths(scenario)]
    region = Pair(study=scenario).region
    texts += list(region.names_zh)
    chinese = "".join(sorted({ch for ch in "".join(texts) if ord(ch) > 0x2E7F}))
    return font_face_css(chinese) + CSS if chinese else CSS


def model_params(scenario: Scenario, lang: str = "en") -> dict[str, Any]:
    """SolaraViz's model parameters: the scenario (fixed), a regime selector per side, the
    replication (seed), the language and a slider per main mechanism setting."""
    w = WORDS[lang]
    options = list(regime_options(scenario))
    keys = [r.key for r in scenario.regimes]
    p = point_params(scenario)
    params: dict[str, Any] = {
        "study": scenario,
        "left": {"type": "Select", "value": keys[0], "values": options, "label": w["left"]},
        "right": {"type": "Select", "value": keys[-1] if len(keys) > 1 else NONE,
                  "values": [*options, NONE], "label": w["right"]},
        "replication": {"type": "SliderInt", "value": 0, "min": 0,
                        "max": max(scenario.replications - 1, 9), "step": 1,
                        "label": w["replication"]},
        "lang": {"type": "Select", "value": lang, "values": list(WORDS), "label": w["lang"]},
    }
    for path, (lo, hi, step) in slider_paths(scenario).items():
        param = lookup(path)
        value = p[path]
        integer = param.kind == "int"
        label = plots.param_label(path, lang)
        params[path.replace(".", "__")] = {
            "type": "SliderInt" if integer else "SliderFloat", "label": label,
            "value": int(value) if integer else float(value),
            "min": min(lo, value), "max": max(hi, value), "step": step}
    return params


def dashboard(scenario: Scenario | str | Path, overrides: dict[str, Any] | None = None,
              lang: str = "en"):
    """The page for `scenario` (a Scenario or a YAML path, with --set style overrides): a
    Solara element around Mesa's SolaraViz; it renders in a Jupyter notebook and under
    `solara run`."""
    sc = scenario if isinstance(scenario, Scenario) else load(scenario, overrides or None)
    return _dashboard_component()(sc, lang)


@functools.cache
def _dashboard_component():
    from mesa.visualization import SolaraViz

    solara = _solara()

    @solara.component
    def Dashboard(scenario: Scenario, lang: str = "en"):
        model = solara.use_memo(lambda: Pair(study=scenario, lang=lang), [])
        params = solara.use_memo(lambda: model_params(scenario, lang), [])
        css = solara.use_memo(lambda: page_css(scenario), [])
        solara.Title(f"kuayu explore: {scenario.name}")
        solara.Style(css)
        SolaraViz(model, components=COMPONENTS, model_params=params,
                  name=f"kuayu explore: {scenario.name}", play_interval=200)

    return Dashboard


def assets_bundled() -> bool:
    """True when the page's scripts are installed (solara-assets), so no CDN is needed."""
    import sys

    return (Path(sys.prefix) / "share" / "solara" / "cdn" / "@widgetti" /
            "solara-vuetify-app@10.1.1").is_dir()


def scenario_from_env() -> Scenario:
    """The scenario `run.py explore` asked for (a ScenarioError if it went bad meanwhile)."""
    path = os.environ.get(ENV_SCENARIO) or str(
        Path(__file__).resolve().parent.parent / "scenarios" / "quickstart.yaml")
    overrides = json.loads(os.environ.get(ENV_SET) or "{}")
    return load(path, overrides or None)


@functools.cache
def _page():
    solara = _solara()

    @solara.component
    def Page():
        sc = solara.use_memo(scenario_from_env, [])
        lang = os.environ.get(ENV_LANG, "en")
        return dashboard(sc, lang=lang if lang in WORDS else "en")

    return Page


def __getattr__(name: str):
    # `solara run sim.explore` looks for Page; built on demand so importing this module does
    # not need solara (the tests and the notebook import the helpers without a server).
    if name == "Page":
        return _page()
    raise AttributeError(f"module 'sim.explore' has no attribute {name!r}")
