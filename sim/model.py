"""RiskModel: cities, a coordinating body and the central government facing a cross-border hazard.

`RiskModel.step` follows the schedule of MODEL_SKETCH.md: hazards, sensing, reporting,
information flow, activation, effort, losses. Per-city state is held in numpy arrays; agents
decide, arrays carry the numbers. The model knows nothing of YAML, files or executors.
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np

from sim import metrics
from sim.agents import CentralGovernment, City, CoordinatingBody
from sim.hazards.river import RiverChannel
from sim.hazards.spill import SpillSource
from sim.params import resolve
from sim.regimes import regime_settings
from sim.regions import build_region

NEVER = -1
SERIES = ("intensity_total", "loss_step", "cities_warned", "cities_reached")


def _seed_sequence(rng: Any) -> np.random.SeedSequence:
    """Turn whatever a caller passes as `rng` into a SeedSequence we can split into streams."""
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        return np.random.SeedSequence(int(rng.integers(2**63)))
    return np.random.SeedSequence(rng)


class RiskModel(mesa.Model):
    """One run of the cross-jurisdiction risk model.

    Parameters can be given as a dict of dotted paths (`params`) or as keywords, where a double
    underscore stands for the dot (`hazard__magnitude=50`), so `mesa.batch_run` can sweep them.
    `rng` may be an int, a `numpy.random.SeedSequence` or a Generator. It is split into three
    independent streams (hazards, sensing, behaviour) so that every regime compared on the same
    seed faces the same hazards and the same detection luck (common random numbers).
    """

    def __init__(self, regime: str = "coordinated", params: dict[str, Any] | None = None,
                 rng: Any = None, record_series: bool = True, **overrides: Any):
        hazard_ss, sensing_ss, behaviour_ss = _seed_sequence(rng).spawn(3)
        super().__init__(rng=np.random.default_rng(behaviour_ss))
        self.hazard_rng = np.random.default_rng(hazard_ss)
        self.sensing_rng = np.random.default_rng(sensing_ss)
        self.regime = regime
        flat = {k.replace("__", "."): v for k, v in overrides.items()}
        self.p = resolve(regime_settings(regime), params or {}, flat)
        p = self.p

        self.step_hours = p["time.step_hours"]
        self.n_steps = max(1, math.ceil(p["time.horizon_days"] * 24 / self.step_hours))
        self.region = region = build_region(p)
        n = self.n = region.n
        if not 0 <= p["hazard.origin"] < n:
            raise ValueError(f"hazard.origin: expected a city index below {n}, "
                             f"found {p['hazard.origin']}")

        # Agents (Mesa 3.5: creating an Agent registers it in model.agents).
        self.cities = [City(self, i, region.ids[i], region.names_en[i], region.names_zh[i])
                       for i in range(n)]
        self.body = CoordinatingBody(self)
        self.centre = CentralGovernment(self)

        # Per-city state.
        self.loss_rate = region.gdp_tn_cny * 1e4 * self.step_hours / (365 * 24)  # 1e8 CNY/step
        self.loss = np.zeros(n)
        self.informed_step = np.full(n, NEVER, dtype=np.int64)
        self.ready_step = np.full(n, NEVER, dtype=np.int64)
        self.arrival_step = np.full(n, NEVER, dtype=np.int64)
        self.lead_hours = np.zeros(n)
        self.vulnerability = np.ones(n)
        self.intensity = np.zeros(n)

        # The incident.
        self.river = RiverChannel(region, self.step_hours)
        self.source = SpillSource(n, p["hazard.origin"], self.hours_to_steps(
            p["hazard.start_day"] * 24), p["hazard.magnitude"],
            self.hours_to_steps(p["hazard.release_hours"]))
        self.origin = self.cities[p["hazard.origin"]]
        # Detection luck is drawn up front so every regime sees the same draw (CRN).
        prob = p["sensing.monitoring_prob"]
        self.detected_step = (self.source.start_step + int(self.sensing_rng.geometric(prob)) - 1
                              if prob > 0 else NEVER)
        self.report_step = NEVER
        self.reported = False
        self.control_chosen = False
        self.control_optimum = 0.0
        self.exported = 0.0  # mass that left the region past its most downstream cities
        self._sinks = np.setdiff1d(np.arange(n), self.river.src)
        self._loss_step = 0.0
        self._reach_lag, self._reach_share = self.river.arrival_profile(self.origin.idx)

        self.record_series = record_series
        self.series = np.zeros((self.n_steps, len(SERIES))) if record_series else None
        self.datacollector = mesa.DataCollector(
            model_reporters={name: (lambda m, k=name: m.outcomes()[k])
                             for name in metrics.OUTCOMES})
        self._outcomes: dict[str, float] | None = None

    # --- helpers -------------------------------------------------------------------------
    def hours_to_steps(self, hours: float) -> int:
        return round(hours / self.step_hours)

    def warn_cities(self, at_step: int) -> None:
        """Every city learns of the hazard at `at_step` (if it had not already)."""
        for city in self.cities:
            city.receive_warning(at_step)

    def warning_reduction(self, lead_hours: np.ndarray) -> np.ndarray:
        """Damage reduction from warning lead time: r_max * (1 - exp(-L / tau)), with tau set
        so that 24 h of warning gives `warning.reduction_at_24h`."""
        r24, rmax = self.p["warning.reduction_at_24h"], self.p["warning.max_reduction"]
        if r24 <= 0 or rmax <= 0:
            return np.zeros_like(lead_hours)
        tau = -24.0 / math.log(1.0 - min(r24 / rmax, 0.999999))
        return rmax * (1.0 - np.exp(-lead_hours / tau))

    @property
    def t(self) -> int:
        """Index of the current step (0-based)."""
        return self.steps - 1

    # --- one step ----------------------------------------------------------------------------
    def step(self) -> None:
        t = self.t
        if self.source.active or self.river.in_transit > 0:  # quiet periods cost nothing
            self.move_hazard(t)
            self.sense(t)
            self.report(t)
            self.activate_source_control(t)
            self.count_losses(t)
        else:
            self.intensity[:] = 0.0
        if self.series is not None:
            self.series[t] = (self.intensity.sum(), self._loss_step,
                              int(((self.informed_step >= 0) & (self.informed_step <= t)).sum()),
                              int((self.arrival_step >= 0).sum()))
        self._loss_step = 0.0
        if t + 1 >= self.n_steps:
            self.running = False
            self.datacollector.collect(self)

    def move_hazard(self, t: int) -> None:
        """1. Hazards: the source leaks and the river carries the slug downstream."""
        self.intensity[:] = self.river.step(self.source.release(t))
        self.exported += float(self.intensity[self._sinks].sum())

    def sense(self, t: int) -> None:
        """2. Sensing: the origin detects by monitoring; other cities see the slug arrive."""
        threshold = 0.01 * self.p["hazard.half_damage"]
        new = (self.intensity > threshold) & (self.arrival_step == NEVER)
        for j in np.flatnonzero(new):
            self.arrival_step[j] = t
            ready = self.ready_step[j]
            lead = (t - ready) * self.step_hours if 0 <= ready <= t else 0.0
            self.lead_hours[j] = lead
            self.vulnerability[j] = 1.0 - float(self.warning_reduction(np.array(lead)))
            self.cities[j].receive_warning(t)  # seeing it arrive is a warning too
        if t == self.detected_step:
            self.origin.receive_warning(t)

    def report(self, t: int) -> None:
        """3-4. Reporting and information flow: the origin reports; the route relays it."""
        if t == self.detected_step and not self.reported:
            self.reported = True
            self.report_step = self.origin.decide_report(t, self.source.magnitude) or NEVER
        if t == self.report_step:
            relay = self.body if self.p["info.route"] == "platform" else self.centre
            relay.relay(t)

    def activate_source_control(self, t: int) -> None:
        """5-6. Activation and effort: once in emergency mode the origin sizes source control."""
        if self.control_chosen or self.ready_step[self.origin.idx] != t:
            return
        self.control_chosen = True
        p = self.p
        # Projected loss in each city for each effort level, if the rest of the source leaked
        # at its rate: the slug passes city j with the surviving share of the origin's outflow.
        efforts = np.linspace(0.0, 1.0, 201)
        steps_left = self.source.remaining / self.source.rate
        c = (1.0 - efforts)[:, None] * (self.source.rate * self._reach_share)[None, :]
        loss = (self.loss_rate * p["damage.max_loss_share"] * steps_left)[None, :] \
            * c / (c + p["hazard.half_damage"])
        spared = loss[0] - loss  # (effort, city): loss that effort spares each city
        self.source.control = self.origin.choose_source_control(efforts, spared)
        cost = p["source_control.cost"] * efforts**2 / 2
        self.control_optimum = float(efforts[np.argmax(spared.sum(axis=1) - cost)])

    def count_losses(self, t: int) -> None:
        """7. Losses: exposure x vulnerability x damage(intensity), less local protection."""
        c = self.intensity
        damage = c / (c + self.p["hazard.half_damage"])
        ready = (self.ready_step >= 0) & (self.ready_step <= t)
        protect = np.where(ready, 1.0 - self.p["protection.reduction"], 1.0)
        step_loss = self.loss_rate * self.p["damage.max_loss_share"] * damage \
            * self.vulnerability * protect
        self.loss += step_loss
        self._loss_step = float(step_loss.sum())

    # --- results -------------------------------------------------------------------------
    def run(self) -> dict[str, float]:
        """Run to the horizon and return the outcomes."""
        while self.running:
            self.step()
        return self.outcomes()

    def outcomes(self) -> dict[str, float]:
        if self._outcomes is None or self.running:
            out = metrics.compute(self)
            if not self.running:
                self._outcomes = out
            return out
        return self._outcomes
