"""RiskModel: cities, a coordinating body and the central government facing cross-border hazards.

`RiskModel.step` follows the schedule of MODEL_SKETCH.md: hazards, sensing, reporting,
information flow, activation and effort, losses. Per-city state is held in numpy arrays; agents
decide, arrays carry the numbers. The model knows nothing of YAML, files or executors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np

from sim import metrics
from sim.agents import CentralGovernment, City, CoordinatingBody
from sim.hazards.events import EventSpec, schedule
from sim.hazards.kinds import EFFORTS, KINDS, Epidemic, Hazard, World
from sim.params import resolve
from sim.regimes import regime_settings
from sim.regions import build_region

NEVER = -1
SERIES = ("intensity_total", "loss_step", "cities_warned", "cities_reached", "incidents_live",
          "mean_trust", "cooperation", "compensation_paid")
# Per-city money and loss at the end of a run (100 million CNY), in net_burden's terms.
ACCOUNTS = ("loss", "source_control_cost", "assist_cost", "fund_in", "fund_out", "sanctions",
            "net_burden")
# Monitoring strength by city tier, relative to a large city (bigger cities watch more).
TIER_MONITORING = {"megacity": 1.6, "supercity": 1.3, "large": 1.0, "medium": 0.8, "small": 0.6}
DECIDE_EVERY_HOURS = 24.0


def _seed_sequence(rng: Any) -> np.random.SeedSequence:
    """Turn whatever a caller passes as `rng` into a SeedSequence we can split into streams."""
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        return np.random.SeedSequence(int(rng.integers(2**63)))
    return np.random.SeedSequence(rng)


@dataclass
class Incident:
    """One event and the response to it: who knew what, when, and what it cost."""

    spec: EventSpec
    hazard: Hazard
    n: int
    detect_lag: int  # steps of monitoring luck once the hazard is detectable
    detected_step: int = NEVER
    report_step: int = NEVER
    decided: bool = False
    next_decision: int = NEVER
    informed: np.ndarray = field(init=False)
    ready: np.ndarray = field(init=False)
    arrival: np.ndarray = field(init=False)
    lead_hours: np.ndarray = field(init=False)
    vulnerability: np.ndarray = field(init=False)
    loss: np.ndarray = field(init=False)
    efforts: list[float] = field(default_factory=list)
    optima: list[float] = field(default_factory=list)
    detectable_since: int = NEVER
    live: bool = True
    concealed: bool = False  # the origin held its report back or stayed silent
    sanction: float = 0.0  # penalty paid when the concealment was found out
    escalated_step: int = NEVER  # the body called in the centre
    central_command: bool = False
    central_step: int = NEVER  # the centre took unified command

    def __post_init__(self) -> None:
        self.informed = np.full(self.n, NEVER, dtype=np.int64)
        self.ready = np.full(self.n, NEVER, dtype=np.int64)
        self.arrival = np.full(self.n, NEVER, dtype=np.int64)
        self.lead_hours = np.zeros(self.n)
        self.vulnerability = np.ones(self.n)
        self.loss = np.zeros(self.n)

    @property
    def origin(self) -> int:
        return self.spec.origin


class RiskModel(mesa.Model):
    """One run of the cross-jurisdiction risk model.

    Parameters can be given as a dict of dotted paths (`params`) or as keywords, where a double
    underscore stands for the dot (`river_spill__magnitude=50`), so `mesa.batch_run` can sweep
    them. `rng` may be an int, a `numpy.random.SeedSequence` or a Generator. It is split into
    independent streams (hazards, sensing, behaviour) so that every regime compared on the same
    seed faces the same incidents and the same detection luck (common random numbers).
    """

    def __init__(self, regime: str = "coordinated", params: dict[str, Any] | None = None,
                 rng: Any = None, record_series: bool = True, record_cities: bool = False,
                 **overrides: Any):
        hazard_ss, sensing_ss, behaviour_ss = _seed_sequence(rng).spawn(3)
        super().__init__(rng=np.random.default_rng(behaviour_ss))
        self.hazard_rng = np.random.default_rng(hazard_ss)
        self._hazard_ss = hazard_ss  # each incident's own stream is spawned from it
        self.sensing_rng = np.random.default_rng(sensing_ss)
        self.regime = regime
        flat = {k.replace("__", "."): v for k, v in overrides.items()}
        self.p = p = resolve(regime_settings(regime), params or {}, flat)

        self.step_hours = p["time.step_hours"]
        self.n_steps = max(1, math.ceil(p["time.horizon_days"] * 24 / self.step_hours))
        self.region = region = build_region(p, self.hazard_rng)
        n = self.n = region.n

        # Agents (Mesa 3.5: creating an Agent registers it in model.agents).
        self.cities = [City(self, i, region.ids[i], region.names_en[i], region.names_zh[i])
                       for i in range(n)]
        self.body = CoordinatingBody(self)
        self.centre = CentralGovernment(self)

        # Per-city state.
        self.loss_rate = region.gdp_tn_cny * 1e4 * self.step_hours / (365 * 24)  # 1e8 CNY/step
        per_6h = np.minimum(0.99, p["sensing.monitoring_prob"] * np.array(
            [TIER_MONITORING[t] for t in region.tiers]))
        self.activation_hours = np.full(n, p["preparedness.activation_hours"])
        self.protection = np.full(n, p["protection.reduction"])
        for city, settings in p["region.city_overrides"].items():
            try:
                j = region.index(city)
            except ValueError as exc:
                raise ValueError(f"region.city_overrides: {exc}") from None
            per_6h[j] = settings.get("monitoring_prob", per_6h[j])
            self.activation_hours[j] = settings.get("activation_hours", self.activation_hours[j])
            self.protection[j] = settings.get("protection", self.protection[j])
        self.monitoring = 1.0 - (1.0 - per_6h) ** (self.step_hours / 6.0)  # chance per step
        self.loss = np.zeros(n)
        self.intensity = np.zeros(n)
        # Money per city (1e8 CNY): effort paid, assistance sent, paid into and received from
        # the compensation fund. The fund's books must balance (tests check it).
        self.cost_paid = np.zeros(n)
        self.assist_paid = np.zeros(n)
        self.fund_in = np.zeros(n)
        self.fund_out = np.zeros(n)
        self.fund_outside = 0.0  # third-party / central incentive money
        # Pairwise trust T[i, j]: how much city i trusts city j's promises (信任机制).
        self.trust = np.full((n, n), p["trust.initial"])
        np.fill_diagonal(self.trust, 1.0)
        # Each city's propensity to fulfil its duties (学习机制 adapts it across incidents).
        self.cooperation = np.full(n, p["learning.initial_cooperation"])
        self.world = World(region, p, self.step_hours, self.loss_rate)

        # Incidents: the whole schedule is drawn now (common random numbers).
        self.pending = schedule(p, region, self.n_steps, self.step_hours, self.hazard_rng)
        self.pending.reverse()  # pop() from the end gives the earliest
        self.incidents: list[Incident] = []

        self.record_series = record_series
        self.series = np.zeros((self.n_steps, len(SERIES))) if record_series else None
        # Per-city intensity and loss per step, for maps and timelines of single runs.
        self.city_series = (np.zeros((self.n_steps, n, 2), dtype=np.float32) if record_cities
                            else None)
        self.datacollector = mesa.DataCollector(
            model_reporters={name: (lambda m, k=name: m.outcomes()[k])
                             for name in metrics.OUTCOMES})
        self._outcomes: dict[str, float] | None = None
        self._loss_step = 0.0
        self._partners: np.ndarray | None = None

    # --- helpers -------------------------------------------------------------------------
    def hours_to_steps(self, hours: float) -> int:
        return round(hours / self.step_hours)

    def warn_cities(self, incident: Incident, at_step: int, only=None) -> None:
        """Cities (all, or the indices in `only`) learn of the incident at `at_step`."""
        for j in range(self.n) if only is None else only:
            self.cities[j].receive_warning(incident, at_step)

    @property
    def partners(self) -> np.ndarray:
        """Partner matrix for spontaneous cooperation: near neighbours and river neighbours."""
        if self._partners is None:
            near = self.world.distance_km <= self.p["info.partner_km"]
            for e in self.region.rivers:
                near[e.src, e.dst] = near[e.dst, e.src] = True
            np.fill_diagonal(near, False)
            self._partners = near
        return self._partners

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
        self.start_incidents(t)
        live = [inc for inc in self.incidents if inc.live]
        if live:  # quiet periods cost nothing
            for inc in live:
                self.move_hazard(inc)
                self.sense(inc, t)
                self.report(inc, t)
                self.size_source_control(inc, t)
            self.count_losses(live, t)
            self.escalate(live, t)
            for inc in live:
                inc.live = not inc.hazard.done
                if not inc.live:
                    self.update_trust(inc)
        if self.series is not None:
            self.series[t] = self._series_row(t, live)
        if self.city_series is not None and live:
            self.city_series[t, :, 0] = self.intensity
            self.city_series[t, :, 1] = self._city_loss
        if t + 1 >= self.n_steps:
            self.running = False
            self.datacollector.collect(self)

    def start_incidents(self, t: int) -> None:
        """1a. New events start (scripted, or drawn from rates)."""
        while self.pending and self.pending[-1].start_step <= t:
            spec = self.pending.pop()
            cls = KINDS[spec.kind]
            # An incident's own random stream: one incident ending early in one regime cannot
            # shift the draws of another (common random numbers hold incident by incident).
            own = np.random.default_rng(self._hazard_ss.spawn(1)[0])
            hazard = (cls(self.world, spec.origin, spec.magnitude, own)
                      if cls is Epidemic else cls(self.world, spec.origin, spec.magnitude))
            prob = self.monitoring[spec.origin]
            lag = int(self.sensing_rng.geometric(prob)) - 1 if prob > 0 else 10**9
            self.incidents.append(Incident(spec, hazard, self.n, lag))

    def move_hazard(self, inc: Incident) -> None:
        """1b. The hazard evolves locally and travels along its channel."""
        if isinstance(inc.hazard, Epidemic):
            inc.hazard.measures = (inc.ready >= 0) & (inc.ready <= self.t)
        inc.hazard.step()

    def sense(self, inc: Incident, t: int) -> None:
        """2. Sensing: the origin detects by monitoring; other cities see the hazard arrive."""
        hz = inc.hazard
        new = hz.arrived() & (inc.arrival == NEVER)
        for j in np.flatnonzero(new):
            inc.arrival[j] = t
            ready = inc.ready[j]
            lead = (t - ready) * self.step_hours if 0 <= ready <= t else 0.0
            inc.lead_hours[j] = lead
            inc.vulnerability[j] = 1.0 - float(self.warning_reduction(np.array(lead)))
        for j in np.flatnonzero(hz.noticed() & (inc.informed == NEVER)):
            self.cities[j].receive_warning(inc, t)  # seeing it arrive is a warning too
        if inc.detectable_since == NEVER and hz.detectable():
            inc.detectable_since = t
        if inc.detected_step == NEVER and inc.detectable_since != NEVER and \
                t >= inc.detectable_since + inc.detect_lag:
            inc.detected_step = t
            self.cities[inc.origin].receive_warning(inc, t)

    def report(self, inc: Incident, t: int) -> None:
        """3-4. Reporting and information flow: the origin reports; the route relays it."""
        if t == inc.detected_step:
            inc.report_step = self.cities[inc.origin].decide_report(inc, t)
        if t == inc.report_step:
            route = self.p["info.route"]
            if route == "partners":
                self.cities[inc.origin].tell_partners(inc, t)
            else:
                (self.body if route == "platform" else self.centre).relay(inc, t)

    def size_source_control(self, inc: Incident, t: int) -> None:
        """5-6. Activation and effort: in emergency mode the origin sizes source control, and
        revisits it daily as the incident unfolds."""
        ready = inc.ready[inc.origin]
        if ready == NEVER or t < ready or (inc.decided and t < inc.next_decision):
            return
        inc.decided = True
        inc.next_decision = t + max(1, self.hours_to_steps(DECIDE_EVERY_HOURS))
        spared = inc.hazard.spared(EFFORTS)
        if not spared.any():  # nothing left that effort could change
            inc.next_decision = self.n_steps
            return
        effort = self.cities[inc.origin].choose_source_control(inc, EFFORTS, spared)
        cost = self.control_cost_scale(inc) * EFFORTS**2 / 2
        inc.hazard.control = effort
        inc.efforts.append(effort)
        inc.optima.append(float(EFFORTS[np.argmax(spared.sum(axis=1) - cost)]))
        self.settle_costs(inc, spared[round(effort * (len(EFFORTS) - 1))], effort)

    def control_cost_scale(self, inc: Incident) -> float:
        """gamma of source control for this incident: the centre's resources cut it once it
        has taken unified command."""
        gamma = self.p["source_control.cost"]
        return gamma / self.p["escalation.resource_factor"] if inc.central_command else gamma

    def settle_costs(self, inc: Incident, spared: np.ndarray, effort: float) -> None:
        """8. Money: who pays for source control. The fund refunds `payout_share` of the cost
        (collected from the cities by GDP or by benefit, plus outside incentives); affected
        cities carry `assist_share` in proportion to what the effort spares them."""
        p = self.p
        total = self.control_cost_scale(inc) * effort**2 / 2
        if total <= 0:
            return
        payout = total * p["compensation.payout_share"]
        others = spared.copy()
        others[inc.origin] = 0.0
        assist = total * p["responsibility.assist_share"] if others.sum() > 0 else 0.0
        self.cost_paid[inc.origin] += total - payout - assist
        if assist > 0:
            self.assist_paid += assist * others / others.sum()
        if payout > 0:
            outside = payout * p["compensation.outside_share"]
            self.fund_outside += outside
            key = spared if p["compensation.funding"] == "benefit" and spared.sum() > 0 \
                else self.region.gdp_tn_cny
            self.fund_in += (payout - outside) * key / key.sum()
            self.fund_out[inc.origin] += payout

    def count_losses(self, live: list[Incident], t: int) -> None:
        """7. Losses: exposure x vulnerability x damage(intensity), less local protection.

        Damage shares of overlapping incidents add up to at most a city's whole output."""
        shares = []
        for inc in live:
            protect = np.where((inc.ready >= 0) & (inc.ready <= t), 1.0 - self.protection, 1.0)
            shares.append(inc.hazard.damage() * inc.vulnerability * protect)
        total = np.sum(shares, axis=0)
        scale = np.where(total > 1.0, 1.0 / np.maximum(total, 1e-300), 1.0)
        self.intensity = np.sum([inc.hazard.intensity for inc in live], axis=0)
        city_loss = np.zeros(self.n)
        for inc, share in zip(live, shares, strict=True):
            loss = share * scale * self.loss_rate + inc.hazard.extra_loss
            inc.loss += loss
            city_loss += loss
        self._city_loss = city_loss
        self._loss_step = float(city_loss.sum())

    def escalate(self, live: list[Incident], t: int) -> None:
        """10. When the live incidents together exceed what the body can handle, it escalates;
        the centre takes unified command after a delay, with extra resources."""
        severity = sum(inc.spec.magnitude / self.p[f"{inc.spec.kind}.magnitude"]
                       for inc in live if inc.detected_step >= 0)
        if severity > self.p["escalation.body_capacity"]:
            for inc in live:
                if inc.detected_step >= 0 and inc.escalated_step == NEVER:
                    self.body.escalate(inc, t)
        for inc in live:
            if inc.central_step == t:
                self.centre.take_command(inc, t)

    def update_trust(self, inc: Incident) -> None:
        """9. Promises kept or broken: an honest, timely report keeps the origin's promise to
        every city; exponential update of what the others think of it."""
        lam = self.p["trust.learning_rate"]
        kept = 0.0 if inc.concealed else 1.0
        column = self.trust[:, inc.origin]
        column[:] = (1.0 - lam) * column + lam * kept
        column[inc.origin] = 1.0

    def _series_row(self, t: int, live: list[Incident]) -> tuple:
        """Cities warned of / reached by at least one live incident (each city counted once)."""
        warned = np.zeros(self.n, dtype=bool)
        reached = np.zeros(self.n, dtype=bool)
        for inc in live:
            warned |= (inc.informed >= 0) & (inc.informed <= t)
            reached |= inc.arrival >= 0
        row = (float(self.intensity.sum()) if live else 0.0, self._loss_step if live else 0.0,
               int(warned.sum()), int(reached.sum()), len(live), self.mean_trust(),
               float(self.cooperation.mean()), float(self.fund_out.sum()))
        self._loss_step = 0.0
        return row

    def mean_trust(self) -> float:
        """Mean trust between distinct cities (1 for a single city)."""
        n = self.n
        return float((self.trust.sum() - n) / (n * (n - 1))) if n > 1 else 1.0

    def city_accounts(self) -> dict[str, np.ndarray]:
        """Per city, in 100 million CNY: loss, what it paid, what it received, and the net
        burden (loss + costs + fund contributions + sanctions - payouts; see ACCOUNTS)."""
        sanctions = np.zeros(self.n)
        for inc in self.incidents:
            sanctions[inc.origin] += inc.sanction
        out = {"loss": self.loss_by_city(), "source_control_cost": self.cost_paid.copy(),
               "assist_cost": self.assist_paid.copy(), "fund_in": self.fund_in.copy(),
               "fund_out": self.fund_out.copy(), "sanctions": sanctions}
        out["net_burden"] = metrics.net_burden(self)
        return out

    def loss_by_city(self) -> np.ndarray:
        return np.sum([inc.loss for inc in self.incidents], axis=0) if self.incidents else \
            np.zeros(self.n)

    def region_record(self) -> dict:
        """The region as plain data, saved beside per-city series so maps need no model."""
        r = self.region
        return {"name": r.name, "ids": list(r.ids), "names_en": list(r.names_en),
                "names_zh": list(r.names_zh), "lat": r.lat.tolist(), "lon": r.lon.tolist(),
                "population_m": r.population_m.tolist(), "gdp_tn_cny": r.gdp_tn_cny.tolist(),
                "rivers": [[e.src, e.dst] for e in r.rivers],
                "incidents": [{"kind": i.spec.kind, "origin": i.spec.origin,
                               "start_step": i.spec.start_step,
                               "detected_step": i.detected_step, "report_step": i.report_step,
                               "informed": i.informed.tolist(), "arrival": i.arrival.tolist()}
                              for i in self.incidents[:20]],
                "step_hours": self.step_hours}

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
