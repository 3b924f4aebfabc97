"""RiskModel: cities, a coordinating body and the central government facing cross-border hazards.

`RiskModel.step` follows the schedule of docs/model.md (ODD §3): hazards, sensing,
reporting, information flow, activation and effort, losses, escalation, closing incidents;
each mechanism of the article is a module of sim/mechanisms/ that the step calls. Per-city
state is held in numpy arrays; agents decide, arrays carry the numbers. The model knows
nothing of YAML, files or executors.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np

from sim import events, metrics
from sim.agents import CentralGovernment, City, CoordinatingBody
from sim.hazards.events import EventSpec, schedule
from sim.hazards.kinds import KINDS, Epidemic, Hazard, World
from sim.mechanisms import (
    communication,
    compensation,
    escalation,
    evaluation,
    learning,
    participation,
    preparedness,
    reserve,
    responsibility,
    trust,
)
from sim.mechanisms.accountability import detection_prob
from sim.mechanisms.common import DECIDE_EVERY_HOURS, NEVER
from sim.params import resolve
from sim.regimes import regime_settings
from sim.regions import build_region

SERIES = ("intensity_total", "loss_step", "cities_warned", "cities_reached", "incidents_live",
          "mean_trust", "cooperation", "compensation_paid")
# What the DataCollector collects at every step (cheap: the step's series row), by position.
STEP_REPORTERS = tuple(enumerate(SERIES))
# Per-city money and loss at the end of a run (100 million CNY), in net_burden's terms.
ACCOUNTS = ("loss", "source_control_cost", "assist_cost", "fund_in", "fund_out", "sanctions",
            "evaluation", "bilateral", "net_burden")
# Monitoring strength by city tier, relative to a large city (bigger cities watch more).
TIER_MONITORING = {"megacity": 1.6, "supercity": 1.3, "large": 1.0, "medium": 0.8, "small": 0.6}


def _by(steps: np.ndarray, t: int) -> np.ndarray:
    """Which of these steps (NEVER = -1, or a step >= 0) have come by step t: one unsigned
    comparison, NEVER reading as the largest number (the same as steps >= 0 & steps <= t)."""
    return steps.view(np.uint64) <= t


def _seed_sequence(rng: Any) -> np.random.SeedSequence:
    """Turn whatever a caller passes as `rng` into a SeedSequence we can split into streams."""
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        return np.random.SeedSequence(int(rng.integers(2**63)))
    return np.random.SeedSequence(rng)


class Collector(mesa.DataCollector):
    """Mesa's DataCollector with a column for every outcome (sim.metrics.OUTCOMES) besides
    the step reporters: NaN in every row but the last of a finished run, where RiskModel puts
    the run's outcomes. So every row has the same columns whether the run ended or not, and
    collecting costs no outcome computation."""

    def __init__(self, model_reporters: dict):
        super().__init__(model_reporters=model_reporters)
        self._outcome_columns = [name for name in metrics.OUTCOMES if name not in model_reporters]
        for name in self._outcome_columns:
            self.model_vars[name] = []

    def collect(self, model) -> None:
        super().collect(model)
        for name in self._outcome_columns:
            self.model_vars[name].append(math.nan)


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
    silent: bool = False  # concealed by not reporting at all (瞒报), not only late (迟报)
    # Behaviour draws of this incident, made up front so regimes stay paired draw by draw.
    u_cost: float = 1.0  # disclosure cost factor
    u_audit: np.ndarray | None = None  # per city: is a broken rule found out?
    u_coop: np.ndarray | None = None  # per city: keeps its duty?
    u_lenient: np.ndarray | None = None  # per city x criterion: lenient assessor passes it?
    duty_from: int = NEVER  # when the responsibility list's duties apply
    origin_coop: bool = True  # the origin keeps its duty to the region
    origin_duty: bool = False  # the origin had such a duty in this incident
    origin_duty_cost: float = 0.0  # what keeping it cost the origin itself
    assist_asked: np.ndarray = field(init=False)  # assist duty per city (1e8 CNY)
    assist_given: np.ndarray = field(init=False)
    teams: np.ndarray = field(init=False)  # cities where a reserve team works
    teams_step: int = NEVER
    # Source control is paid as a rate while it is held (docs/model.md §6.1).
    effort: float = 0.0  # effort in force
    steps_unpaid: int = 0  # steps the effort in force acted on the source, not yet paid
    cost_rate: float = 0.0  # cost of the effort in force per step, whoever pays (1e8 CNY)
    central_share: float = 0.0  # part of cost_rate the centre pays (unified command)
    assist_rate: np.ndarray | None = None  # per city: assist duty per step
    assist_given_rate: np.ndarray | None = None
    sacrifice_rate: float = 0.0  # per step: what keeping its duty costs the origin itself
    benefit_rate: np.ndarray | float = 0.0  # per step and city: what keeping it spares others
    duty_benefit: np.ndarray | float = 0.0  # summed: what the origin's kept duty spared others
    benefit_key: np.ndarray | None = None  # who benefits, for a fund paid by benefit
    control_cost: float = 0.0  # all source control paid in this incident, by anyone
    central_cost: float = 0.0  # the centre's part of it
    optimum_cost: float = 0.0  # summed plan cost of the regional optimum (a weight)
    stake: float = 0.0  # expected loss still to come at the effort in force
    external_weight: float = 0.0  # weight the origin gave others' losses at its last decision
    index: int = -1  # position in model.incidents (the event log refers to it)
    told: np.ndarray | None = None  # partners the origin warned directly (spontaneous)

    def __post_init__(self) -> None:
        self.informed = np.full(self.n, NEVER, dtype=np.int64)
        self.ready = np.full(self.n, NEVER, dtype=np.int64)
        self.arrival = np.full(self.n, NEVER, dtype=np.int64)
        self.lead_hours = np.zeros(self.n)
        self.vulnerability = np.ones(self.n)
        self.loss = np.zeros(self.n)
        self.assist_asked = np.zeros(self.n)
        self.assist_given = np.zeros(self.n)
        self.teams = np.zeros(0, dtype=np.int64)

    @property
    def origin(self) -> int:
        return self.spec.origin


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()  # finding the loaded BLAS once: 10 us a run, not 0.8 ms


def one_blas_thread():
    """A context in which numpy's BLAS uses one thread (RiskModel.run)."""
    return _blas_controller().limit(limits=1, user_api="blas")


class RiskModel(mesa.Model):
    """One run of the cross-jurisdiction risk model.

    Parameters can be given as a dict of dotted paths (`params`) or as keywords, where a double
    underscore stands for the dot (`river_spill__magnitude=50`), so `mesa.batch_run` can sweep
    them. `rng` may be an int, a `numpy.random.SeedSequence` or a Generator. It is split into
    independent streams (hazards, sensing, behaviour) so that every regime compared on the same
    seed faces the same incidents and the same detection luck (common random numbers).

    `record_events=True` keeps the event log in `model.events` (sim.events: step, hour,
    event, actor, target, incident, amount, detail). The DataCollector collects the cheap
    reporters of STEP_REPORTERS at every step and the outcomes (sim.metrics.OUTCOMES) once,
    when the run ends (NaN in earlier rows), so `mesa.batch_run` gives a row per step with
    `data_collection_period=1` and a row per run with -1; `collect_steps=False` (the study
    engine, which keeps its own series) collects only at the end.
    """

    def __init__(self, regime: str = "coordinated", params: dict[str, Any] | None = None,
                 rng: Any = None, record_series: bool = True, record_cities: bool = False,
                 record_events: bool = False, collect_steps: bool = True,
                 **overrides: Any):
        hazard_ss, sensing_ss, behaviour_ss = _seed_sequence(rng).spawn(3)
        super().__init__(rng=np.random.default_rng(behaviour_ss))
        self.hazard_rng = np.random.default_rng(hazard_ss)
        self._hazard_ss = hazard_ss  # each incident's own stream is spawned from it
        self._behaviour_ss = behaviour_ss
        self.sensing_rng = np.random.default_rng(sensing_ss)
        self.regime = regime
        flat = {k.replace("__", "."): v for k, v in overrides.items()}
        self.p = p = resolve(regime_settings(regime), params or {}, flat)

        self.step_hours = p["time.step_hours"]
        self.n_steps = max(1, math.ceil(p["time.horizon_days"] * 24 / self.step_hours))
        self.region = region = build_region(p, self.hazard_rng)
        n = self.n = region.n
        # Who takes part in which mechanism (参与); everyone unless the scenario says otherwise.
        self.members = participation.masks(p, region)
        self.in_platform = self.members["platform"]
        self.in_fund = self.members["fund"]
        self.in_list = self.members["responsibility"]
        self.in_partners = self.members["partners"]
        self.in_supervision = self.members["supervision"]
        self.everyone_in = all(mask.all() for mask in self.members.values())
        self.record_events = record_events
        self.events: list[dict] = []
        self._event_slots: dict[tuple, dict] = {}

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
        # 目标协同: richer cities weigh safety more, poorer ones growth.
        per_head = region.gdp_tn_cny / region.population_m
        self.safety_weight = np.minimum(2.0, p["goals.safety_weight"] * (
            per_head / np.median(per_head)) ** p["goals.income_elasticity"])
        self.protection = np.full(n, p["protection.reduction"])
        for city, settings in p["region.city_overrides"].items():
            try:
                j = region.index(city)
            except ValueError as exc:
                raise ValueError(f"region.city_overrides: {exc}") from None
            per_6h[j] = settings.get("monitoring_prob", per_6h[j])
            self.activation_hours[j] = settings.get("activation_hours", self.activation_hours[j])
            self.protection[j] = settings.get("protection", self.protection[j])
        self._unprotected = 1.0 - self.protection  # share of damage local protection leaves
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
        # Beta reputation counts of promises kept and broken, T[i, j] as seen by i.
        self.kept = np.zeros((n, n))
        self.broken = np.zeros((n, n))
        # Each city's propensity to fulfil its duties and its belief in being found out when
        # it hides a report (学习机制 adapts both across incidents).
        self.cooperation = np.full(n, p["learning.initial_cooperation"])
        self.audit_belief = np.where(self.in_supervision, detection_prob(p),
                                     detection_prob(p, peer=False))
        self.duties = [0, 0]  # duties kept, duties owed (cooperation rate)
        self.last_hit = np.full(n, -np.inf)  # step of each city's last loss (侥幸心理)
        # Help between cities (学习机制 credits reciprocity with it), discounted over
        # learning.memory_days: gave[i, j] = loss i's kept duties spared j plus assistance i
        # gave j; duty_costs[i] = what i's own duties cost it.
        self.gave = np.zeros((n, n))
        self.duty_costs = np.zeros(n)
        self._help_step = 0
        self.duty_sanctions = np.zeros(n)
        self.evaluation = np.zeros(n)  # assessment rewards minus penalties received
        self.bilateral = np.zeros(n)  # Xin'an transfers paid minus received
        self.breached = np.zeros(len(region.rivers), dtype=bool)  # this year, per border
        self.teams_free = p["reserve.teams"]
        self.central_paid = 0.0  # source control the centre paid under unified command
        self._decide_steps = max(1, self.hours_to_steps(DECIDE_EVERY_HOURS))
        self.steps_per_year = max(1, round(365 * 24 / self.step_hours))
        self.world = World(region, p, self.step_hours, self.loss_rate)

        # Incidents: the whole schedule is drawn now (common random numbers).
        self.pending = schedule(p, region, self.n_steps, self.step_hours, self.hazard_rng)
        self.pending.reverse()  # pop() from the end gives the earliest
        self._next_start = 0  # no event starts before this step (start_incidents)
        self.incidents: list[Incident] = []
        self._live: list[Incident] = []  # the live incidents, in the order they started

        self.record_series = record_series
        self.series = np.zeros((self.n_steps, len(SERIES))) if record_series else None
        # Per-city intensity and loss per step, for maps and timelines of single runs.
        self.city_series = (np.zeros((self.n_steps, n, 2), dtype=np.float32) if record_cities
                            else None)
        self.collect_steps = collect_steps
        self._row: tuple = (0.0,) * len(SERIES)  # this step's series values
        self.datacollector = Collector(
            model_reporters={name: (lambda m, k=k: m._row[k]) for k, name in STEP_REPORTERS})
        self._outcomes: dict[str, float] | None = None
        self._loss_step = 0.0
        self._partners: np.ndarray | None = None
        self._slow_row: tuple | None = None  # cached series values; None = recompute
        self._quiet_row: tuple = ()  # a quiet step's series row, made with _slow_row

    # --- helpers -------------------------------------------------------------------------
    def hours_to_steps(self, hours: float) -> int:
        return round(hours / self.step_hours)

    # The mechanisms live in sim/mechanisms/, one module per mechanism of the article; these
    # are the ones agents, metrics and users call on the model.
    def warn_cities(self, incident: Incident, at_step: int, only=None,
                    by: int | str | None = None, how: str = "") -> None:
        """Cities (all, or the indices in `only`) learn of the incident at `at_step` (from
        `by`, by route `how`: for the event log)."""
        communication.warn_cities(self, incident, at_step, only, by, how)

    @property
    def partners(self) -> np.ndarray:
        """Partner matrix for spontaneous cooperation: near neighbours and river neighbours."""
        return communication.partner_matrix(self)

    def warning_reduction(self, lead_hours: np.ndarray) -> np.ndarray:
        """Damage reduction from warning lead time (sim.mechanisms.communication)."""
        return communication.warning_reduction(self, lead_hours)

    def dispatch_reserve(self, inc: Incident, report_step: int, speed: float = 1.0) -> None:
        """Send the pooled reserve's free teams (sim.mechanisms.reserve)."""
        reserve.dispatch_reserve(self, inc, report_step, speed)

    def complacency_factor(self, i: int, step: int) -> float:
        """侥幸心理: how much slower city i acts (sim.mechanisms.preparedness)."""
        return preparedness.complacency_factor(self, i, step)

    def update_trust(self, observers: np.ndarray, target: int, kept: bool) -> None:
        """A promise of `target` kept or broken, seen by `observers` (sim.mechanisms.trust)."""
        trust.update_trust(self, observers, target, kept)

    def mean_trust(self) -> float:
        """Mean trust between distinct cities (1 for a single city)."""
        return trust.mean_trust(self)

    @property
    def t(self) -> int:
        """Index of the current step (0-based)."""
        return self.steps - 1

    # --- one step ----------------------------------------------------------------------------
    def step(self) -> None:
        t = self.t
        self.start_incidents(t)
        live = self._live
        if live:  # quiet periods cost nothing
            for inc in live:
                self.move_hazard(inc)  # 1. hazards move
                communication.sense(self, inc, t)  # 2. sensing
                communication.report(self, inc, t)  # 3-4. reporting, information flow
                responsibility.size_source_control(self, inc, t)  # 5-6. activation, effort
            self.count_losses(live, t)  # 7. losses
            escalation.escalate(self, live, t)  # 8. escalation to the centre
            for inc in live:
                inc.live = not inc.hazard.done
                if not inc.live:
                    self.close_incident(inc)
            self._live = [inc for inc in live if inc.live]
        if self.p["compensation.bilateral"] and (
                (t + 1) % self.steps_per_year == 0 or t + 1 >= self.n_steps):
            compensation.settle_bilateral(self, t)  # 10. the Xin'an rule
        if self.series is not None or self.collect_steps:
            self._row = self._series_row(t, live)
            if self.series is not None:
                self.series[t] = self._row
        if self.city_series is not None and live:
            self.city_series[t, :, 0] = self.intensity
            self.city_series[t, :, 1] = self._city_loss
        if t + 1 >= self.n_steps:
            for inc in self.incidents:
                if inc.live:  # still going at the horizon: pay what was held until now
                    compensation.pay_control(self, inc)
            self.running = False
        if self.collect_steps or not self.running:
            self.datacollector.collect(self)
        if not self.running:
            self._collect_outcomes()

    def _collect_outcomes(self) -> None:
        """The run's outcomes, once, in the DataCollector's last row (NaN in earlier rows)."""
        out = self.outcomes()
        for name, column in self.datacollector.model_vars.items():
            if name in out:
                column[-1] = out[name]

    def start_incidents(self, t: int) -> None:
        """1a. New events start (scripted, or drawn from rates)."""
        if t < self._next_start:
            return
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
            inc = Incident(spec, hazard, self.n, lag)
            draws = np.random.default_rng(self._behaviour_ss.spawn(1)[0])
            inc.u_cost = float(draws.lognormal(-0.125, 0.5))
            inc.u_audit = draws.random(self.n)
            inc.u_coop = draws.random(self.n)
            inc.u_lenient = draws.random((self.n, 3))
            inc.origin_coop = self.cities[spec.origin].will_cooperate(inc.u_coop[spec.origin])
            inc.index = len(self.incidents)
            self.incidents.append(inc)
            self._live.append(inc)
            if self.record_events:
                events.record(self, t, "started", spec.origin, inc=inc, amount=spec.magnitude,
                              detail=spec.kind)
        self._next_start = self.pending[-1].start_step if self.pending else self.n_steps

    def move_hazard(self, inc: Incident) -> None:
        """1b. The hazard evolves locally and travels along its channel."""
        if isinstance(inc.hazard, Epidemic):
            inc.hazard.ready = _by(inc.ready, self.t)
        if inc.cost_rate > 0 and inc.hazard.source_active():
            inc.steps_unpaid += 1  # control acts on the source this step: it is paid for
        inc.hazard.step()

    def count_losses(self, live: list[Incident], t: int) -> None:
        """7. Losses: exposure x vulnerability x damage(intensity), less local protection.

        Damage shares of overlapping incidents add up to at most a city's whole output."""
        if len(live) == 1:  # the common case, in the same arithmetic (0.0 + x is x + 0.0)
            inc = live[0]
            share = self._damage_share(inc, t)
            loss = share * (self.loss_rate / np.maximum(share, 1.0)) + inc.hazard.extra_loss
            inc.loss += loss
            self.intensity = inc.hazard.intensity + 0.0
            city_loss = loss + 0.0
        else:
            city_loss = self._overlapping_losses(live, t)
        self._city_loss = city_loss
        self.last_hit[city_loss > 0] = t
        self._loss_step = float(city_loss.sum())

    def _damage_share(self, inc: Incident, t: int) -> np.ndarray:
        """The share of each city's output the incident's hazard destroys this step."""
        share = inc.hazard.damage() * inc.vulnerability
        ready = _by(inc.ready, t)
        if np.count_nonzero(ready):
            share = share * np.where(ready, self._unprotected, 1.0)
        if inc.teams.size and t >= inc.teams_step:
            share[inc.teams] *= 1.0 - self.p["reserve.protection"]
        return share

    def _overlapping_losses(self, live: list[Incident], t: int) -> np.ndarray:
        """count_losses with several incidents live: their shares are summed and scaled."""
        shares = []
        total = np.zeros(self.n)
        intensity = np.zeros(self.n)
        for inc in live:
            share = self._damage_share(inc, t)
            shares.append(share)
            total += share
            intensity += inc.hazard.intensity
        scale = self.loss_rate / np.maximum(total, 1.0)  # shares beyond 1 are scaled down
        self.intensity = intensity
        city_loss = np.zeros(self.n)
        for inc, share in zip(live, shares, strict=True):
            loss = share * scale + inc.hazard.extra_loss
            inc.loss += loss
            city_loss += loss
        return city_loss

    def close_incident(self, inc: Incident) -> None:
        """9, 11, 12. When an incident ends: the last of its control is paid; duties kept or
        shirked are assessed, sanctioned and learned from; trust follows the promises; the
        reserve teams come home; a spill that crossed a river border fails its standard."""
        self._slow_row = None
        compensation.pay_control(self, inc)
        reserve.release(self, inc)
        duties, costs = responsibility.duties_of(inc)
        learning.record_help(self, inc, duties, costs)
        self.duties[0] += sum(duties.values())
        self.duties[1] += len(duties)
        for city, money in evaluation.assess(self.p, inc, duties).items():
            self.evaluation[city] += money
            if self.record_events:
                events.record(self, self.t, "evaluation", "centre", city, inc, money,
                              self.p["evaluation.assessor"])
        if self.record_events:
            for city, kept in duties.items():
                events.record(self, self.t, "duty_kept" if kept else "duty_shirked", city,
                              inc=inc, amount=costs[city])
        learning.learn_from_duties(self, inc, duties, costs)
        trust.observe_promises(self, inc, duties)
        compensation.mark_breaches(self, inc)
        if self.record_events:
            events.record(self, self.t, "ended", inc.origin, inc=inc, amount=inc.loss.sum())
        # What only a live incident needs goes: the hazard's buffers (the fund's key row is
        # a copy already, set_effort).
        inc.hazard.release()

    def _series_row(self, t: int, live: list[Incident]) -> tuple:
        """Cities warned of / reached by at least one live incident (each city counted once)."""
        if self._slow_row is None:  # trust, cooperation and money change only now and then
            self._slow_row = (self.mean_trust(), float(self.cooperation.mean()),
                              float(self.fund_out.sum()))
            self._quiet_row = (0.0, 0.0, 0, 0, 0, *self._slow_row)
        if not live:  # a quiet step: nothing but the slow values
            self._loss_step = 0.0
            return self._quiet_row
        warned = reached = 0
        if len(live) == 1:
            inc = live[0]
            warned = int(np.count_nonzero(_by(inc.informed, t)))
            reached = int(np.count_nonzero(inc.arrival >= 0))
        elif live:
            w = np.zeros(self.n, dtype=bool)
            r = np.zeros(self.n, dtype=bool)
            for inc in live:
                w |= _by(inc.informed, t)
                r |= inc.arrival >= 0
            warned, reached = int(np.count_nonzero(w)), int(np.count_nonzero(r))
        row = (float(self.intensity.sum()), self._loss_step, warned, reached, len(live),
               *self._slow_row)
        self._loss_step = 0.0
        return row

    def city_accounts(self) -> dict[str, np.ndarray]:
        """Per city, in 100 million CNY: loss, what it paid, what it received, and the net
        burden (loss + costs + fund contributions + sanctions - payouts; see ACCOUNTS)."""
        out = {"loss": self.loss_by_city(), "source_control_cost": self.cost_paid.copy(),
               "assist_cost": self.assist_paid.copy(), "fund_in": self.fund_in.copy(),
               "fund_out": self.fund_out.copy(), "sanctions": self.sanctions_by_city(),
               "evaluation": self.evaluation.copy(), "bilateral": self.bilateral.copy()}
        out["net_burden"] = metrics.net_burden(self)
        return out

    def sanctions_by_city(self) -> np.ndarray:
        """Penalties paid per city: for hidden reports and for shirked duties."""
        sanctions = self.duty_sanctions.copy()
        for inc in self.incidents:
            sanctions[inc.origin] += inc.sanction
        return sanctions

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
                # every incident (sim.incidents reads them; costs exist once the model
                # records them per incident)
                "incidents": [{"kind": i.spec.kind, "origin": i.spec.origin,
                               "start_step": i.spec.start_step,
                               "magnitude": float(i.spec.magnitude),
                               "detected_step": i.detected_step, "report_step": i.report_step,
                               "informed": i.informed.tolist(), "arrival": i.arrival.tolist(),
                               "loss": [float(x) for x in i.loss],
                               "concealed": bool(i.concealed),
                               "escalated_step": i.escalated_step,
                               "central_step": i.central_step,
                               "control_cost": float(getattr(i, "control_cost", float("nan"))),
                               "central_cost": float(getattr(i, "central_cost", float("nan")))}
                              for i in self.incidents],
                "step_hours": self.step_hours}

    # --- results -------------------------------------------------------------------------
    def run(self) -> dict[str, float]:
        """Run to the horizon and return the outcomes. BLAS works on one thread meanwhile:
        a matrix product split over threads adds in another order, so at 500 cities and more
        the last bits would depend on the machine's cores (and pool workers on two threads
        each would fight over the cores)."""
        with one_blas_thread():
            steps = self._direct_steps()
            if steps is not None:
                generator = self._default_schedule
                generator.pause()  # its pending event goes; resume() puts the next one back
                try:
                    while self.running:
                        self.time += 1
                        self.steps += 1
                        generator._execution_count += 1
                        steps()
                finally:
                    generator.resume()
            while self.running:
                self.step()
        return self.outcomes()

    def _direct_steps(self):
        """Mesa runs `step` as an event of its event list every time unit (a heap push and pop,
        a new Event and weak references per step: 5-10% of a run of a small region). When that
        is all the list holds, `run` advances time and the step count itself and calls the
        step directly, as Mesa would, and leaves the list as Mesa's loop would leave it (the
        next step at time + 1). Returns the model's own step function, or None when anything
        else is scheduled (then Mesa's loop runs the steps)."""
        steps = getattr(self, "_user_step", None)
        generator = getattr(self, "_default_schedule", None)
        if steps is None or generator is None or not generator.is_active or \
                getattr(generator, "_paused", True) or \
                not hasattr(generator, "_execution_count"):
            return None
        schedule = generator.schedule
        if schedule.interval != 1.0 or schedule.end is not None or schedule.count is not None \
                or generator.next_scheduled_time != self.time + 1 \
                or len(self._event_list) != 1:
            return None
        return steps

    def outcomes(self) -> dict[str, float]:
        if self._outcomes is None or self.running:
            out = metrics.compute(self)
            if not self.running:
                self._outcomes = out
            return out
        return self._outcomes
