"""The parameter schema: every model setting, its default, range, unit and meaning.

One table serves the model (defaults), the scenario validator (types, ranges, "did you mean"),
`--set` overrides, `python run.py list` and the generated docs, so they cannot drift apart.
Paths are dotted (`group.name`); the same path is used in YAML, on the command line and in
result columns.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Param:
    """One model setting."""

    path: str
    default: Any
    kind: str  # "float" | "int" | "bool" | "choice" | "str" | "city" | "events" | "rates" |
    # "overrides" | "members" (who takes part in a mechanism) | "groups" (named city groups)
    doc: str
    zh: str = ""
    unit: str = ""
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = field(default_factory=tuple)

    @property
    def group(self) -> str:
        return self.path.split(".", 1)[0]

    def expected(self) -> str:
        """Human-readable description of the accepted values, for error messages."""
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind == "str":
            return "a string"
        if self.kind == "city":
            return "a city index (0, 1, ...) or a city id"
        if self.kind == "events":
            return "a list of {kind, origin, start_day, magnitude}"
        if self.kind == "rates":
            return "a mapping of hazard kind to a rate >= 0, or to {tier: rate}"
        if self.kind == "overrides":
            return "a mapping of city id to {monitoring_prob, activation_hours, protection}"
        if self.kind == "members":
            return ("all, none, a list of cities or groups, {only: [...]} or "
                    "{exclude: [...]}")
        if self.kind == "groups":
            return "a mapping of group name to a list of cities, e.g. {hebei: [baoding, ...]}"
        rng = ""
        if self.low is not None and self.high is not None:
            rng = f" in [{self.low:g}, {self.high:g}]"
        elif self.low is not None:
            rng = f" >= {self.low:g}"
        elif self.high is not None:
            rng = f" <= {self.high:g}"
        return ("an integer" if self.kind == "int" else "a number") + rng

    def coerce(self, value: Any) -> Any:
        """Return `value` converted to this parameter's type, or raise ValueError saying why."""
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
                return value.lower() in ("true", "yes")
            raise ValueError(f"expected {self.expected()}, found {value!r}")
        if self.kind == "choice":
            if value not in self.choices:
                hint = suggest(str(value), self.choices)
                raise ValueError(f"expected {self.expected()}, found {value!r}{hint}")
            return value
        if self.kind == "str":
            if not isinstance(value, str):
                raise ValueError(f"expected a string, found {value!r}")
            return value
        if self.kind == "city":
            if isinstance(value, bool) or not isinstance(value, int | str) or (
                    isinstance(value, int) and value < 0) or value == "":
                raise ValueError(f"expected {self.expected()}, found {value!r}")
            return str(value)
        if self.kind == "events":
            return _events(value)
        if self.kind == "rates":
            return _rates(value)
        if self.kind == "overrides":
            return _overrides(value)
        if self.kind == "members":
            return _members(value)
        if self.kind == "groups":
            return _groups(value)
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"expected {self.expected()}, found {value!r}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"expected {self.expected()}, found {value!r}") from None
        if self.kind == "int":
            if number != int(number):
                raise ValueError(f"expected {self.expected()}, found {value!r}")
            number = int(number)
        if number != number:  # NaN
            raise ValueError(f"expected {self.expected()}, found NaN")
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            raise ValueError(f"expected {self.expected()}, found {value!r}")
        return number


HAZARD_KINDS = ("river_spill", "river_flood", "plume", "epidemic", "cascade", "accident")
EVENT_KEYS = ("kind", "origin", "start_day", "magnitude")


def _events(value: Any) -> list[dict]:
    """Scripted events: each {kind, origin, start_day, magnitude (0 = kind default)}."""
    if not isinstance(value, list | tuple):
        raise ValueError(f"expected a list of {{kind, origin, start_day, magnitude}}, "
                         f"found {value!r}")
    out = []
    for i, event in enumerate(value):
        if not isinstance(event, dict):
            raise ValueError(f"[{i}]: expected a mapping, found {event!r}")
        for key in event:
            if key not in EVENT_KEYS:
                raise ValueError(f"[{i}].{key}: unknown key{suggest(str(key), EVENT_KEYS)}; "
                                 f"expected {', '.join(EVENT_KEYS)}")
        kind = event.get("kind")
        if kind not in HAZARD_KINDS:
            raise ValueError(f"[{i}].kind: expected one of {', '.join(HAZARD_KINDS)}, found "
                             f"{kind!r}{suggest(str(kind), HAZARD_KINDS)}")
        origin = event.get("origin", 0)
        start, size = event.get("start_day", 0.0), event.get("magnitude", 0.0)
        for key, v in (("start_day", start), ("magnitude", size)):
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                raise ValueError(f"[{i}].{key}: expected a number >= 0, found {v!r}")
        if isinstance(origin, bool) or not isinstance(origin, int | str):
            raise ValueError(f"[{i}].origin: expected a city index or id, found {origin!r}")
        out.append({"kind": kind, "origin": str(origin), "start_day": float(start),
                    "magnitude": float(size)})
    return out


def _rates(value: Any) -> dict:
    """Stochastic event rates per city per year: {kind: rate} or {kind: {tier: rate}}."""
    from sim.regions import TIERS

    if not isinstance(value, dict):
        raise ValueError(f"expected a mapping such as {{river_spill: 0.05}}, found {value!r}")
    out: dict = {}
    for kind, rate in value.items():
        if kind not in HAZARD_KINDS:
            raise ValueError(f"{kind}: unknown hazard kind{suggest(str(kind), HAZARD_KINDS)}")
        table = rate if isinstance(rate, dict) else {t: rate for t in TIERS}
        for tier, r in table.items():
            if tier not in TIERS:
                raise ValueError(f"{kind}.{tier}: unknown city tier{suggest(str(tier), TIERS)};"
                                 f" expected {', '.join(TIERS)}")
            if isinstance(r, bool) or not isinstance(r, int | float) or not 0 <= r <= 365:
                raise ValueError(f"{kind}.{tier}: expected a rate in [0, 365] per city-year, "
                                 f"found {r!r}")
        out[kind] = {t: float(table.get(t, 0.0)) for t in TIERS}
    return out


CITY_KEYS = {"monitoring_prob": (0.0, 1.0), "activation_hours": (0.0, 720.0),
             "protection": (0.0, 0.99)}


def _overrides(value: Any) -> dict:
    """Per-city settings {city_id: {key: value}}; city ids are checked against the region."""
    if not isinstance(value, dict):
        raise ValueError(f"expected a mapping of city ids to settings, found {value!r}")
    out = {}
    for city, settings in value.items():
        if not isinstance(settings, dict):
            raise ValueError(f"{city}: expected a mapping such as {{monitoring_prob: 0.9}}, "
                             f"found {settings!r}")
        for key, v in settings.items():
            if key not in CITY_KEYS:
                raise ValueError(f"{city}.{key}: unknown setting{suggest(str(key), CITY_KEYS)};"
                                 f" expected {', '.join(CITY_KEYS)}")
            low, high = CITY_KEYS[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not low <= v <= high:
                raise ValueError(f"{city}.{key}: expected a number in [{low:g}, {high:g}], "
                                 f"found {v!r}")
        out[str(city)] = {k: float(v) for k, v in settings.items()}
    return out


MEMBER_KEYS = ("only", "exclude")


def _names(value: Any, at: str) -> list[str]:
    """A list of city ids, names, indices or group names (checked against the region later)."""
    if isinstance(value, str | int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ValueError(f"{at}: expected a list of cities or groups, found {value!r}"
                         if at else f"expected a list of cities or groups, found {value!r}")
    out = []
    for i, name in enumerate(value):
        if isinstance(name, bool) or not isinstance(name, str | int) or name == "" or (
                isinstance(name, int) and name < 0):
            raise ValueError(f"{at}[{i}]: expected a city (id, English or Chinese name, "
                             f"index) or a group name, found {name!r}")
        out.append(str(name))
    return out


def _members(value: Any) -> dict[str, list[str]]:
    """Who takes part in a mechanism: {} = every city, {only: [...]} or {exclude: [...]}.
    Accepts all, none, a plain list (= only) and the two mappings."""
    if value is None or value == "all" or value == {}:
        return {}
    if value == "none":
        return {"only": []}
    if isinstance(value, list | tuple):
        return {"only": _names(value, "")}
    if not isinstance(value, dict):
        raise ValueError(f"expected all, none, a list of cities, {{only: [...]}} or "
                         f"{{exclude: [...]}}, found {value!r}")
    for key in value:
        if key not in MEMBER_KEYS:
            raise ValueError(f"{key}: unknown key{suggest(str(key), MEMBER_KEYS)}; expected "
                             "only or exclude")
    if len(value) > 1:
        raise ValueError("give only or exclude, not both")
    key = next(iter(value))
    return {key: _names(value[key], f"{key}")}


GROUP_RE = r"[^\W\d][\w-]{0,63}"


def _groups(value: Any) -> dict[str, list[str]]:
    """Named groups of cities, {name: [cities]}, usable wherever participation lists cities."""
    import re

    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"expected a mapping of group name to a list of cities, found "
                         f"{value!r}")
    out = {}
    for name, cities in value.items():
        if not isinstance(name, str) or not re.fullmatch(GROUP_RE, name):
            raise ValueError(f"expected a group name (letters, digits, _ or -, starting with "
                             f"a letter), found {name!r}")
        out[name] = _names(cities, f"{name}")
    return out


def suggest(word: str, options) -> str:
    """A ' (did you mean ...?)' hint for a misspelt key or value, or ''."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


_P = Param
PARAMS: tuple[Param, ...] = (
    # --- time -------------------------------------------------------------------------------
    _P("time.step_hours", 6.0, "float", "Length of one model step.", "时间步长", "h", 0.5, 168),
    _P("time.horizon_days", 20.0, "float", "Simulated time of one run.", "模拟时长", "d", 0.25,
       3650),
    # --- region -------------------------------------------------------------------------------
    _P("region.kind", "river_chain", "choice",
       "Which cities: a synthetic layout (river_chain, river_tree, grid, random, "
       "core_periphery), a real preset (jingjinji, yangtze_delta, greater_bay, songhua, xinan, "
       "zhuozhang, yangtze_mainstem) or 'file' (your own, see region.file).",
       "区域", choices=("river_chain", "river_tree", "grid", "random", "core_periphery",
                       "jingjinji", "yangtze_delta", "greater_bay", "songhua", "xinan",
                       "zhuozhang", "yangtze_mainstem", "file")),
    _P("region.file", "", "str", "Path of your own region (.yaml or .csv) when region.kind is "
       "'file' (docs/regions.md).", "自定义区域文件"),
    _P("region.n_cities", 6, "int", "Number of cities in a synthetic region.", "城市数量", "",
       2, 1000),
    _P("region.spacing_km", 55.0, "float", "Typical distance between neighbouring synthetic "
       "cities.", "城市间距", "km", 1, 2000),
    _P("region.reach_hours", 24.0, "float",
       "River travel time from one city's reach to the next downstream (synthetic rivers).",
       "河段传播时间", "h", 0.5, 2000),
    _P("region.attenuation", 0.85, "float",
       "Share of a pollutant slug that survives one reach (dilution, degradation).",
       "河段衰减系数", "", 0.0, 1.0),
    _P("region.population_m", 5.0, "float", "Mean population of a synthetic city.", "人口",
       "million", 0.01, 50),
    _P("region.gdp_tn_cny", 0.5, "float", "Mean annual GDP of a synthetic city.",
       "地区生产总值", "trillion CNY", 0.001, 10),
    _P("region.size_sigma", 0.0, "float", "Size heterogeneity of synthetic cities: sigma of "
       "lognormal populations (0 = all equal).", "城市规模异质性", "", 0.0, 3.0),
    _P("region.core_ratio", 8.0, "float", "core_periphery: the megacity's size as a multiple "
       "of a satellite's.", "核心城市规模倍数", "", 1.0, 100.0),
    _P("region.city_overrides", {}, "overrides", "Per-city settings that replace the ones "
       "derived from size, e.g. {harbin: {monitoring_prob: 0.9, activation_hours: 2, "
       "protection: 0.4}} (keys: " + ", ".join(("monitoring_prob", "activation_hours",
                                                 "protection")) + ").", "城市个别设定"),
    _P("region.interception", 0.0, "float", "Share of river-borne hazard removed at every "
       "border section (interception works, 断面拦截).", "断面拦截比例", "", 0.0, 1.0),
    # --- hazards: the scripted event and stochastic ones --------------------------------------
    _P("hazard.kind", "river_spill", "choice",
       "Kind of the scripted event ('none' for stochastic events only).", "风险类型",
       choices=("river_spill", "river_flood", "plume", "epidemic", "cascade", "accident",
                "none")),
    _P("hazard.origin", "0", "city", "Origin city (发生地) of the scripted event: index "
       "(0 = first, the most upstream in synthetic rivers) or a city id such as 'jilin'.",
       "发生地"),
    _P("hazard.start_day", 1.0, "float", "When the scripted event starts.", "事件开始时间", "d",
       0, 3650),
    _P("hazard.magnitude", 0.0, "float", "Size of the scripted event in its kind's unit "
       "(0 = the kind's default magnitude).", "事件规模", "", 0.0, 1e9),
    _P("hazard.events", [], "events", "More scripted events: a list of {kind, origin, "
       "start_day, magnitude}.", "情景事件列表"),
    _P("hazard.rates", {}, "rates", "Stochastic events: expected events per city per year by "
       "kind, e.g. {river_spill: 0.05}, or by tier, e.g. {accident: {megacity: 0.5, small: "
       "0.1}}.", "随机事件发生率", "1/city/yr"),
    _P("hazard.magnitude_sigma", 0.5, "float", "Spread of stochastic event sizes (lognormal "
       "sigma around the kind's default magnitude).", "随机事件规模离散度", "", 0.0, 3.0),
    # --- hazard kinds -------------------------------------------------------------------------
    _P("river_spill.magnitude", 100.0, "float", "Default mass of a pollutant spill.",
       "泄漏量", "t", 0, 1e7),
    _P("river_spill.release_hours", 24.0, "float", "Time over which the source leaks its mass.",
       "释放持续时间", "h", 0.5, 2000),
    _P("river_spill.half_damage", 0.3, "float", "Pollutant flux passing a city at which damage "
       "reaches half its maximum. Calibrated so that the Songhua replay costs Harbin about "
       "half a day of its output (docs/calibration.md).", "半损害强度", "t/h", 1e-6, 1e9),
    _P("river_spill.max_loss_share", 0.5, "float", "Share of a city's output lost per step at "
       "saturating intensity (water cut, closures).", "最大损失比例", "", 0.0, 1.0),
    _P("river_flood.magnitude", 5000.0, "float", "Default peak excess discharge of a flood "
       "wave.", "洪峰超额流量", "m3/s", 0, 1e7),
    _P("river_flood.duration_hours", 72.0, "float", "Duration of the flood hydrograph.",
       "洪水历时", "h", 1, 2000),
    _P("river_flood.attenuation_power", 0.3, "float", "Flood waves attenuate less than "
       "pollutant slugs: reach attenuation is raised to this power.", "洪峰衰减指数", "",
       0.0, 1.0),
    _P("river_flood.half_damage", 3000.0, "float", "Excess discharge at which flood damage "
       "reaches half its maximum.", "洪水半损害流量", "m3/s", 1e-6, 1e9),
    _P("river_flood.max_loss_share", 0.6, "float", "Output share lost per step at the worst "
       "flooding.", "洪水最大损失比例", "", 0.0, 1.0),
    _P("plume.magnitude", 100.0, "float", "Default source strength of a plume (ash, toxic "
       "gas, smoke).", "烟羽源强", "index", 0, 1e9),
    _P("plume.half_life_hours", 24.0, "float", "Half-life of the source (a fire burning "
       "down).", "源强半衰期", "h", 0.5, 2000),
    _P("plume.wind_from_deg", 270.0, "float", "Direction the wind blows from (0 = north, "
       "90 = east, 270 = west).", "风向(来向)", "deg", 0, 360),
    _P("plume.wind_speed_kmh", 15.0, "float", "Wind speed carrying the plume.", "风速",
       "km/h", 0, 200),
    _P("plume.decay_km", 100.0, "float", "Distance over which plume intensity falls by e.",
       "衰减距离", "km", 1, 5000),
    _P("plume.spread_deg", 30.0, "float", "Angular spread of the plume around downwind.",
       "扩散角", "deg", 1, 90),
    _P("plume.half_damage", 20.0, "float", "Plume intensity at which damage is half its "
       "maximum.", "烟羽半损害强度", "index", 1e-6, 1e9),
    _P("plume.max_loss_share", 0.4, "float", "Output share lost per step under a saturating "
       "plume.", "烟羽最大损失比例", "", 0.0, 1.0),
    _P("epidemic.magnitude", 20.0, "float", "Default number of initial infections.",
       "初始感染人数", "persons", 0, 1e9),
    _P("epidemic.r0", 2.5, "float", "Basic reproduction number without measures.",
       "基本再生数", "", 0.0, 20.0),
    _P("epidemic.incubation_days", 4.0, "float", "Mean latent period.", "潜伏期", "d",
       0.1, 60),
    _P("epidemic.infectious_days", 5.0, "float", "Mean infectious period.", "传染期", "d",
       0.1, 60),
    _P("epidemic.mobility_rate", 0.002, "float", "Share of residents travelling to other "
       "cities per day (gravity model).", "城际出行率", "1/d", 0.0, 0.5),
    _P("epidemic.distance_exponent", 2.0, "float", "Distance exponent of the gravity model.",
       "引力模型距离指数", "", 0.0, 4.0),
    _P("epidemic.stochastic", True, "bool", "Binomial (stochastic) or expected-value SEIR.",
       "随机传播"),
    _P("epidemic.measure_effect", 0.8, "float", "Transmission cut by local measures in a "
       "city in emergency mode (属地防控), in force while the city has people infected. 0.8 "
       "brings R0 = 2.5 to 0.5 and is chosen so that acting 1-3 weeks earlier cuts infections "
       "as Lai et al. 2020 found; Wuhan's strictest measures did more (Rt 3.8 to 0.3, about "
       "0.92: Pan et al. 2020, JAMA 323:1915). Range 0.4-0.9 (below 0.6 measures only slow an "
       "epidemic down).",
       "防控措施降低传播比例", "", 0.0, 1.0),
    _P("epidemic.measure_cost_share", 0.02, "float", "Share of a city's output lost while its "
       "measures are in force.", "防控措施经济代价", "", 0.0, 1.0),
    _P("epidemic.containment_effect", 0.3, "float", "Extra transmission cut in the origin at "
       "full source control (containment, 源头防控).", "源头防控效果", "", 0.0, 1.0),
    _P("epidemic.travel_cut", 0.8, "float", "Cut of outbound travel from the origin at full "
       "source control (travel restrictions).", "出行限制比例", "", 0.0, 1.0),
    _P("epidemic.case_cost", 0.0001, "float", "Loss per infection (treatment, work lost, "
       "deaths valued).", "单例损失", "100 million CNY", 0.0, 100),
    _P("epidemic.detect_cases", 50.0, "float", "Cumulative infections in the origin before "
       "its monitoring can notice the outbreak.", "可发现病例数", "persons", 0.0, 1e9),
    _P("cascade.magnitude", 0.6, "float", "Default share of the origin's critical services "
       "knocked out (power, water, networks).", "服务中断比例", "", 0.0, 1.0),
    _P("cascade.repair_hours", 48.0, "float", "Mean time to restore the origin's services "
       "without extra effort.", "修复时间", "h", 1, 5000),
    _P("cascade.dependency_share", 0.3, "float", "Synthetic dependency layer: share of a "
       "city's services that rely on its nearest larger neighbour (if the region has none).",
       "依赖份额", "", 0.0, 1.0),
    _P("cascade.threshold", 0.05, "float", "Service loss below which a city does not pass "
       "failure on (buffers).", "级联阈值", "", 0.0, 1.0),
    _P("cascade.max_loss_share", 0.5, "float", "Output share lost per step with all services "
       "down.", "级联最大损失比例", "", 0.0, 1.0),
    _P("accident.magnitude", 10.0, "float", "Default initial severity of a local accident or "
       "social-security incident.", "事故初始严重度", "index", 0, 1e9),
    _P("accident.growth_per_day", 0.5, "float", "Relative growth per day of an incident nobody "
       "controls (escalation when badly handled).", "失控增长率", "1/d", 0.0, 10.0),
    _P("accident.duration_days", 5.0, "float", "Days after which an incident has run its course "
       "and subsides, handled or not.", "事件持续时间", "d", 0.1, 365),
    _P("accident.threshold", 20.0, "float", "Severity beyond which the incident spills over "
       "to neighbours.", "外溢阈值", "index", 0.0, 1e9),
    _P("accident.radius_km", 120.0, "float", "Distance scale of the spill-over to "
       "neighbouring cities.", "外溢半径", "km", 1, 5000),
    _P("accident.half_damage", 20.0, "float", "Severity at which damage is half its maximum.",
       "事故半损害强度", "index", 1e-6, 1e9),
    _P("accident.max_loss_share", 0.03, "float", "Output share lost per step at saturating "
       "severity. Calibrated so that an uncontrolled accident in a large city reaches the "
       "scale of the 2015 Tianjin port explosion (docs/calibration.md).", "事故最大损失比例", "",
       0.0, 1.0),
    # --- damage and warning -------------------------------------------------------------------
    _P("warning.reduction_at_24h", 0.30, "float",
       "Damage reduction bought by 24 h of warning before arrival (WMO: about 30%).",
       "预警减损率(24小时)", "", 0.0, 0.99),
    _P("warning.max_reduction", 0.50, "float",
       "Upper bound of the damage reduction from warning lead time.", "预警最大减损率", "",
       0.0, 0.99),
    _P("protection.reduction", 0.20, "float",
       "Damage reduction from local protection once a city is in emergency mode (属地应对).",
       "属地防护减损率", "", 0.0, 0.99),
    # --- sensing and preparedness -------------------------------------------------------------
    _P("sensing.monitoring_prob", 0.5, "float",
       "Chance per 6 hours that a large city detects a hazard on its own territory "
       "(bigger cities watch more, smaller less).",
       "监测发现概率", "per 6 h", 0.0, 1.0),
    _P("preparedness.activation_hours", 6.0, "float",
       "Time an informed city needs to switch from normal to emergency mode (过程协同).",
       "应急状态切换时间", "h", 0.0, 720),
    _P("complacency.strength", 1.0, "float",
       "侥幸心理: a city that has not been hit for a long time takes up to (1 + strength) times "
       "as long to switch to emergency mode when warned; being hit restores alertness.",
       "侥幸心理强度", "", 0.0, 20.0),
    _P("complacency.memory_days", 365.0, "float",
       "How fast alertness fades after a city was last hit: factor 1 + strength (1 - "
       "exp(-days since hit / memory)); a city never hit is fully complacent.", "风险记忆期",
       "d", 1.0, 1e5),
    # --- communication (沟通机制) -------------------------------------------------------------
    _P("info.route", "platform", "choice",
       "How a report reaches the other cities: 'hierarchy' = up to the superior, who relays it "
       "down to every city; 'partners' = the origin tells only its partner cities (within "
       "info.partner_km or on its river), with no report upward; 'platform' = a shared "
       "risk-information platform run by the coordinating body reaches every city.", "信息传递路径",
       choices=("hierarchy", "partners", "platform")),
    _P("info.partners", False, "bool",
       "Partnerships on top of the route (平行区域自发合作): at detection the origin also warns "
       "its partner cities directly, after info.partner_hours, whatever it reports upward.",
       "伙伴城市直接通报"),
    _P("info.partner_hours", 2.0, "float", "Time for a direct warning between partner cities "
       "(a hotline between their emergency offices).", "伙伴通报时间", "h", 0, 2000),
    _P("info.partner_km", 150.0, "float", "Cities this close (or linked by the river) are "
       "partners under spontaneous cooperation.", "合作伙伴距离", "km", 0, 5000),
    _P("info.report_delay_hours", 0.0, "float",
       "Delay of a report the origin holds back (迟报): an origin reports at once only when the "
       "expected sanction outweighs its private cost of disclosure.", "报告延迟", "h", 0, 2000),
    _P("info.report_threshold", 0.0, "float",
       "Size, in multiples of the kind's default magnitude, below which the origin does not "
       "report at all ('no need to report while it stays inside our boundary').", "报告门槛",
       "", 0, 1e6),
    _P("info.share_resources", False, "bool",
       "Cities share base information on their reserves and teams (基础信息共享), so the pooled "
       "reserve goes where the loss at stake is largest, not simply to the cities nearest the "
       "origin.", "应急资源信息共享"),
    _P("info.relay_hours", 2.0, "float",
       "Time from the report to the warning reaching the other cities (platform latency, or "
       "up-and-down the hierarchy).", "信息传递时间", "h", 0, 2000),
    # --- responsibility (发生地为主、波及地为辅) ---------------------------------------------
    _P("responsibility.external_weight", 1.0, "float",
       "Weight the origin city gives to losses it causes in other cities when sizing source "
       "control: 0 = only its own territory (自扫门前雪), 1 = the whole region (发生地为主).",
       "发生地对外部损失的权重", "", 0.0, 1.0),
    _P("source_control.cost", 20.0, "float",
       "Cost scale gamma of source control: effort a in [0,1] held for a day costs "
       "gamma*a^2/2; the origin weighs that rate x the days the effort would be held against "
       "the loss it spares.",
       "源头控制成本系数", "100 million CNY", 1e-6, 1e9),
    _P("responsibility.scope", "region", "choice",
       "Whose losses the origin's duty covers and who owes assistance: the whole region (the "
       "responsibility list), or only its partner cities (bilateral agreements).", "责任范围",
       choices=("region", "partners")),
    _P("responsibility.list_clarity", 1.0, "float",
       "How clearly the responsibility list (责任清单) assigns duties: the origin's duty to the "
       "region starts after (1 - clarity) x negotiation_hours, and only a clear duty can be "
       "sanctioned (the chance a shirker is sanctioned is scaled by clarity).", "责任清单清晰度",
       "", 0.0, 1.0),
    _P("responsibility.negotiation_hours", 48.0, "float",
       "Time cities need to agree who does what when there is no responsibility list.",
       "责任协商时间", "h", 0.0, 2000),
    _P("goals.safety_weight", 1.0, "float",
       "Weight a city gives to avoided losses against money spent (目标协同): 1 = a yuan of "
       "loss counts as a yuan of cost; below 1 = growth first.", "安全目标权重", "", 0.0, 2.0),
    _P("goals.income_elasticity", 0.0, "float",
       "How much a city's safety weight rises with its GDP per head (目标协同: richer cities "
       "put safety first, poorer ones growth): weight x (GDP per head / regional median)^e, "
       "capped at 2. 0 = every city weighs safety alike.", "安全目标收入弹性", "", 0.0, 3.0),
    _P("responsibility.assist_share", 0.0, "float",
       "Share of the origin's source-control cost that the affected cities carry with teams "
       "and supplies, split by the damage each is spared (波及地为辅).", "波及地协助份额", "",
       0.0, 1.0),
    # --- accountability (责任追究) and reporting ---------------------------------------------
    _P("accountability.audit_prob", 0.0, "float",
       "Chance that a late or concealed report is found out (supervision, 监督).",
       "问责发现概率", "", 0.0, 1.0),
    _P("accountability.penalty", 0.0, "float",
       "Sanction on an origin found to have reported late or stayed silent: a money stand-in "
       "for political accountability (问责) and reputation loss, not a fine.", "问责处罚",
       "100 million CNY", 0.0, 1e6),
    _P("accountability.peer_audit_prob", 0.0, "float",
       "Chance that peers find out a late report or a broken duty (horizontal supervision, "
       "横向监督); combined with audit_prob as 1 - (1 - v)(1 - h).", "横向监督发现概率", "",
       0.0, 1.0),
    _P("accountability.duty_penalty", 0.0, "float",
       "Sanction on a city found to have shirked a duty (no source control for the region, "
       "no assistance), as a multiple of the duty's cost (不参与、不作为的责任追究).",
       "失职处罚倍数", "x duty cost", 0.0, 100.0),
    _P("reporting.disclosure_cost", 2.0, "float",
       "Mean private cost to the origin of reporting at once (blame, economic disruption); "
       "each incident's cost is drawn around it.", "即时报告的私人成本", "100 million CNY",
       0.0, 1e6),
    # --- escalation (上报中央) -----------------------------------------------------------------
    _P("escalation.body_capacity", 1e9, "float",
       "Expected loss still to come that the coordinating body (or the superior's routine "
       "under territorial rules) can handle across the reported incidents it holds; once a "
       "day, past it, it hands the largest incidents to the centre until what it keeps fits.",
       "协调机构处置能力", "100 million CNY", 0.0, 1e9),
    _P("escalation.delay_hours", 48.0, "float",
       "Time from escalation until the central government takes unified command.",
       "中央介入延迟", "h", 0.0, 2000),
    _P("escalation.resource_factor", 2.0, "float",
       "Extra resources of the centre: source control costs this many times less under its "
       "command, and it directs effort for the whole region.", "中央资源倍数", "", 1.0, 100.0),
    _P("escalation.central_share", 0.5, "float",
       "Share of source-control cost the centre pays under its unified command (its teams, "
       "equipment and money); booked as central_cost. Assumption, range 0.3-1.",
       "中央承担比例", "", 0.0, 1.0),
    # --- coordinating body: offices and the pooled reserve (资源协同) -------------------------
    _P("body.offices", False, "bool",
       "The body has specialised offices per risk type (专门办公室): its warnings and dispatch "
       "take office_speedup times as long.", "专门办公室"),
    _P("body.office_speedup", 0.5, "float",
       "Factor on relay and dispatch time for a body with specialised offices.",
       "专门办公室提速系数", "", 0.05, 1.0),
    _P("reserve.teams", 0, "int",
       "Emergency teams in the pooled reserve (资源协同), dispatched per incident by whoever "
       "relays the report (the body, the superior, or the origin's partners).", "储备救援队数",
       "teams", 0, 1000),
    _P("reserve.protection", 0.2, "float",
       "Extra damage reduction in a city where a reserve team works.", "储备队减损率", "",
       0.0, 0.99),
    _P("reserve.dispatch_hours", 12.0, "float",
       "Time from the report until dispatched teams are at work.", "储备调度时间", "h",
       0.0, 2000),
    # --- evaluation (评估机制) ------------------------------------------------------------------
    _P("evaluation.assessor", "none", "choice",
       "Who assesses cities after each incident: nobody, the cities themselves, or a third "
       "party (第三方评估). Self-assessment records a failure as a success with chance "
       "self_leniency, the superior with half that chance (it too wants good figures for its "
       "region), a third party never.", "评估主体",
       choices=("none", "self", "superior", "third_party")),
    _P("evaluation.timeliness", True, "bool",
       "The assessment scores timeliness: did the origin report without holding it back "
       "(迟报)?", "评估及时性"),
    _P("evaluation.honesty", True, "bool",
       "The assessment scores honesty: did the origin report at all, even a small incident "
       "(瞒报)?", "评估真实性"),
    _P("evaluation.cooperation", True, "bool",
       "The assessment scores cooperation: did each city fulfil its duty (source control for "
       "the region, assistance)?", "评估协作性"),
    _P("evaluation.reward", 0.2, "float",
       "Reward for each criterion met, and penalty of the same size for each failed, per "
       "incident; paid by or to the superior government (奖惩).", "评估奖惩额",
       "100 million CNY", 0.0, 1e6),
    _P("evaluation.self_leniency", 0.7, "float",
       "Chance that a self-assessment records a failure as met.", "自评宽松度", "", 0.0, 1.0),
    # --- trust (信任机制) ----------------------------------------------------------------------
    _P("trust.initial", 0.6, "float", "Initial trust of every city in every other.",
       "初始信任", "", 0.0, 1.0),
    _P("trust.learning_rate", 0.3, "float", "Weight of the latest kept or broken promise in the "
       "exponential trust update T <- (1 - l) T + l [kept].", "信任更新速度", "", 0.0, 1.0),
    _P("trust.model", "exponential", "choice",
       "How trust learns from promises: exponential smoothing, or a Beta reputation "
       "(kept + a) / (kept + broken + a + b) whose prior (a, b) is trust.initial x "
       "trust.prior_weight.", "信任更新模型", choices=("exponential", "beta")),
    _P("trust.prior_weight", 4.0, "float",
       "Beta reputation: weight of the initial trust, in promises.", "信任先验权重",
       "promises", 0.01, 1e6),
    _P("trust.reciprocity", 1.0, "float",
       "Weight a city puts on what cooperation returns to it when it weighs a duty: from each "
       "other city, the help received (loss spared by its kept duties, assistance) up to the "
       "help given to it, times trust in it, per yuan of the city's own duties (互惠). 0 = "
       "it counts only refunds, rewards and sanctions.", "互惠权重", "", 0.0, 10.0),
    _P("trust.assist_threshold", 0.0, "float",
       "An affected city assists only an origin it trusts at least this much.",
       "协助所需信任", "", 0.0, 1.0),
    _P("trust.partner_threshold", 0.0, "float",
       "Under spontaneous cooperation the origin warns only partners it trusts at least this "
       "much, and who trust it as much: partnerships form and break with trust (信任联盟).",
       "伙伴关系所需信任", "", 0.0, 1.0),
    _P("trust.delay_hours", 12.0, "float", "Extra time a city takes to act on a warning from a "
       "city it does not trust at all (scaled by 1 - trust).", "不信任导致的延迟", "h",
       0.0, 500),
    # --- learning across incidents (学习机制) -----------------------------------------------
    _P("learning.initial_cooperation", 0.9, "float",
       "Each city's initial propensity to fulfil its duties (source control for the region as "
       "origin, assistance as affected city).", "初始合作倾向", "", 0.0, 1.0),
    _P("learning.rate", 0.2, "float",
       "Bush-Mosteller learning rate: after each incident a city moves its propensity to "
       "cooperate towards what cooperating paid it (refunds, rewards, sanctions avoided, "
       "reciprocity) against its cost; it also revises its belief in being found out when it "
       "held a report back. 0 = no learning.", "学习速度", "", 0.0, 1.0),
    _P("learning.memory_days", 730.0, "float",
       "How long help between cities is remembered when a city weighs what cooperation "
       "returns to it: weights fade as exp(-days / memory). Assumption, range 180-3650.",
       "互助记忆期", "d", 1.0, 1e5),
    # --- interest: compensation (利益机制) ---------------------------------------------------
    _P("compensation.payout_share", 0.0, "float",
       "Share of the origin's source-control cost refunded by the regional fund (区域间共补); "
       "1 - s_origin is the Pigouvian share that restores the regional optimum.",
       "补偿比例", "", 0.0, 1.0),
    _P("compensation.outside_share", 0.0, "float",
       "Share of the fund's payouts met by the centre or third parties (第三方激励).",
       "外部激励比例", "", 0.0, 1.0),
    _P("compensation.funding", "gdp", "choice",
       "How cities pay into the fund: by GDP share, or by the damage each was spared.",
       "补偿资金来源", choices=("gdp", "benefit")),
    _P("compensation.bilateral", False, "bool",
       "Xin'an-style rule (新安江模式) on every river border: each year the downstream city pays "
       "the upstream one bilateral_amount if no pollution from upstream crossed the border, "
       "and the upstream city pays the downstream one otherwise.", "流域上下游横向补偿"),
    _P("compensation.bilateral_amount", 1.0, "float",
       "Yearly transfer per river border under the bilateral rule.", "横向补偿额",
       "100 million CNY", 0.0, 1e6),
    # --- participation: who takes part in which mechanism (参与) ---------------------------
    _P("participation.groups", {}, "groups",
       "Named groups of cities, e.g. {hebei: [shijiazhuang, baoding, ...]}, usable in every "
       "participation list below.", "城市分组"),
    _P("participation.coordination", {}, "members",
       "Cities that take part in coordination at all: a city outside it is outside every "
       "mechanism below (a mixed regime: coordinated among members, territorial for the "
       "rest). all (default), none, a list, {only: [...]} or {exclude: [...]}; each mechanism "
       "below is limited further by its own list.", "参与协同的城市"),
    _P("participation.platform", {}, "members",
       "Members of the shared information platform (信息平台): the body relays a report to "
       "members only; a non-member hears of an incident up and down the hierarchy (after "
       "participation.outside_relay_hours), from partners or when it arrives, and its own "
       "reports go up the hierarchy.", "信息平台成员"),
    _P("participation.fund", {}, "members",
       "Members of the regional compensation fund (区域间共补): only members pay in and only "
       "members are refunded.", "补偿基金成员"),
    _P("participation.responsibility", {}, "members",
       "Cities on the responsibility list (责任清单): an origin on it owes the members "
       "source control for their losses, members assist a member origin; duties to and from "
       "cities off the list follow territorial rules (none).", "责任清单覆盖城市"),
    _P("participation.partners", {}, "members",
       "Cities that take part in partnerships (spontaneous cooperation): a partnership needs "
       "both cities in.", "伙伴合作城市"),
    _P("participation.supervision", {}, "members",
       "Cities under horizontal (peer) supervision (横向监督): outside it only the superior's "
       "audit can find out a late report or a shirked duty.", "横向监督覆盖城市"),
    _P("participation.outside_relay_hours", 24.0, "float",
       "Time for a report to go up and down the hierarchy between the platform and a city "
       "outside it (a non-member's report, a warning to a non-member).", "平台外信息传递时间",
       "h", 0.0, 2000),
)

BY_PATH: dict[str, Param] = {p.path: p for p in PARAMS}
DEFAULTS: dict[str, Any] = {p.path: p.default for p in PARAMS}


def lookup(path: str) -> Param:
    """The Param at `path`; KeyError with a 'did you mean' hint when it does not exist."""
    try:
        return BY_PATH[path]
    except KeyError:
        raise KeyError(f"unknown parameter {path!r}{suggest(path, BY_PATH)}") from None


def resolve(*layers: dict[str, Any]) -> dict[str, Any]:
    """Defaults overlaid by each layer in turn (regime preset, scenario, sweep point, --set).

    Values are coerced and range-checked; an unknown path or a bad value raises ValueError.
    """
    out = dict(DEFAULTS)
    for layer in layers:
        for path, value in layer.items():
            try:
                out[path] = lookup(path).coerce(value)
            except KeyError as exc:
                raise ValueError(exc.args[0]) from None
            except ValueError as exc:
                raise ValueError(f"{path}: {exc}") from None
    return out
