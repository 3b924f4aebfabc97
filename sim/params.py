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
    kind: str  # "float" | "int" | "bool" | "choice" | "str"
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
       "Which set of cities: a synthetic river chain (cities in a row along one river).",
       "区域", choices=("river_chain",)),
    _P("region.n_cities", 6, "int", "Number of cities in a synthetic region.", "城市数量", "",
       2, 500),
    _P("region.reach_hours", 24.0, "float",
       "River travel time from one city's reach to the next downstream.", "河段传播时间", "h",
       0.5, 2000),
    _P("region.attenuation", 0.85, "float",
       "Share of a pollutant slug that survives one reach (dilution, degradation).",
       "河段衰减系数", "", 0.0, 1.0),
    _P("region.population_m", 5.0, "float", "Population of each synthetic city.", "人口",
       "million", 0.01, 50),
    _P("region.gdp_tn_cny", 0.5, "float", "Annual GDP of each synthetic city.", "地区生产总值",
       "trillion CNY", 0.001, 10),
    # --- hazard -------------------------------------------------------------------------------
    _P("hazard.kind", "river_spill", "choice",
       "Hazard kind of the scripted event: a pollutant spill carried downstream by the river.",
       "风险类型", choices=("river_spill",)),
    _P("hazard.origin", 0, "int", "Index of the origin city (发生地), 0 = most upstream.",
       "发生地", "", 0, 499),
    _P("hazard.start_day", 1.0, "float", "When the spill starts.", "事件开始时间", "d", 0, 3650),
    _P("hazard.magnitude", 100.0, "float", "Mass spilled at the source.", "泄漏量", "t",
       0.0, 1e7),
    _P("hazard.release_hours", 24.0, "float",
       "Time over which the source releases its mass (longer = slower, longer slug).",
       "释放持续时间", "h", 0.5, 2000),
    _P("hazard.half_damage", 30.0, "float",
       "Mass passing a city in one step at which damage reaches half its maximum.",
       "半损害强度", "t/step", 1e-6, 1e7),
    # --- damage and warning -------------------------------------------------------------------
    _P("damage.max_loss_share", 0.5, "float",
       "Share of a city's output lost per step at saturating hazard intensity.",
       "最大损失比例", "", 0.0, 1.0),
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
       "Chance per step that the origin city detects a hazard on its own territory.",
       "监测发现概率", "1/step", 0.0, 1.0),
    _P("preparedness.activation_hours", 6.0, "float",
       "Time an informed city needs to switch from normal to emergency mode (过程协同).",
       "应急状态切换时间", "h", 0.0, 720),
    # --- communication (沟通机制) -------------------------------------------------------------
    _P("info.route", "platform", "choice",
       "How a report reaches the other cities: 'upward' = only to the superior, who relays it "
       "down (territorial hierarchy); 'platform' = a shared risk-information platform.",
       "信息传递路径", choices=("upward", "platform")),
    _P("info.report_delay_hours", 0.0, "float",
       "Delay between the origin's detection and its report (迟报).", "报告延迟", "h", 0, 2000),
    _P("info.report_threshold_t", 0.0, "float",
       "Spilled mass below which the origin does not report at all ('no need to report "
       "while it stays inside our boundary').", "报告门槛", "t", 0, 1e7),
    _P("info.relay_hours", 2.0, "float",
       "Time from the report to the warning reaching the other cities (platform latency, or "
       "up-and-down the hierarchy).", "信息传递时间", "h", 0, 2000),
    # --- responsibility (发生地为主、波及地为辅) ---------------------------------------------
    _P("responsibility.external_weight", 1.0, "float",
       "Weight the origin city gives to losses it causes in other cities when sizing source "
       "control: 0 = only its own territory (自扫门前雪), 1 = the whole region (发生地为主).",
       "发生地对外部损失的权重", "", 0.0, 1.0),
    _P("source_control.cost", 20.0, "float",
       "Cost scale gamma of source control: effort a in [0,1] costs gamma*a^2/2.",
       "源头控制成本系数", "100 million CNY", 1e-6, 1e9),
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
