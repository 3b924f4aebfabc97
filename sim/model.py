"""RiskModel: cities, a coordinating body and the central government facing cross-border hazards.

`RiskModel.step` follows the schedule of docs/model.md: hazards, sensing, reporting,
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
from sim.agents import (
    CentralGovernment,
    City,
    CoordinatingBody,
    detection_prob,
    evaluation_stake,
    leniency,
)
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
            "evaluation", "bilateral", "net_burden")
POLLUTING = ("river_spill",)  # kinds whose crossing a river border fails the Xin'an standard
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
        self._behaviour_ss = behaviour_ss
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
        self.audit_belief = np.full(n, detection_prob(p))
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
        self._slow_row: tuple | None = None  # cached series values; None = recompute

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
                    self.close_incident(inc)
        if self.p["compensation.bilateral"] and (
                (t + 1) % self.steps_per_year == 0 or t + 1 >= self.n_steps):
            self.settle_bilateral(t)
        if self.series is not None:
            self.series[t] = self._series_row(t, live)
        if self.city_series is not None and live:
            self.city_series[t, :, 0] = self.intensity
            self.city_series[t, :, 1] = self._city_loss
        if t + 1 >= self.n_steps:
            for inc in self.incidents:
                if inc.live:  # still going at the horizon: pay what was held until now
                    self.pay_control(inc)
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
            inc = Incident(spec, hazard, self.n, lag)
            draws = np.random.default_rng(self._behaviour_ss.spawn(1)[0])
            inc.u_cost = float(draws.lognormal(-0.125, 0.5))
            inc.u_audit = draws.random(self.n)
            inc.u_coop = draws.random(self.n)
            inc.u_lenient = draws.random((self.n, 3))
            inc.origin_coop = self.cities[spec.origin].will_cooperate(inc.u_coop[spec.origin])
            self.incidents.append(inc)

    def move_hazard(self, inc: Incident) -> None:
        """1b. The hazard evolves locally and travels along its channel."""
        if isinstance(inc.hazard, Epidemic):
            inc.hazard.ready = (inc.ready >= 0) & (inc.ready <= self.t)
        if inc.cost_rate > 0 and inc.hazard.source_active():
            inc.steps_unpaid += 1  # control acts on the source this step: it is paid for
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
            if hz.warnable:
                inc.vulnerability[j] = 1.0 - float(self.warning_reduction(np.array(lead)))
        for j in np.flatnonzero(hz.noticed() & ((inc.informed == NEVER) | (inc.informed > t))):
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
            if self.p["info.partners"] and not inc.silent:
                # Partnerships on top of the route: partners hear of it directly, at once,
                # whatever the origin reports upward (only silence hides it from them too).
                self.cities[inc.origin].tell_partners(inc, t)
        if t == inc.report_step:
            route = self.p["info.route"]
            if route == "partners":
                self.cities[inc.origin].tell_partners(inc, t)
                self.dispatch_reserve(inc, t)  # partners lend each other teams
            else:
                (self.body if route == "platform" else self.centre).relay(inc, t)

    def size_source_control(self, inc: Incident, t: int) -> None:
        """5-6. Activation and effort: in emergency mode the origin sizes source control for
        the rest of the incident, weighing the loss each effort would spare against its cost
        rate x the days it would be held, and revisits the plan daily as the incident unfolds
        (and when its duty to the region starts). It pays only for the time an effort is in
        force, so the cost it weighs is the cost it pays if it keeps the plan."""
        ready = inc.ready[inc.origin]
        if ready == NEVER or t < ready or (inc.decided and t < inc.next_decision):
            return
        inc.decided = True
        inc.next_decision = t + max(1, self.hours_to_steps(DECIDE_EVERY_HOURS))
        if inc.duty_from == NEVER:  # without a clear list, duties take negotiating first
            inc.duty_from = ready + self.hours_to_steps(
                (1.0 - self.p["responsibility.list_clarity"])
                * self.p["responsibility.negotiation_hours"])
        if inc.duty_from > t:  # the duty's start prompts a decision of its own
            inc.next_decision = min(inc.next_decision, inc.duty_from)
        self.pay_control(inc)
        spared = inc.hazard.spared(EFFORTS) * self.damage_outlook(inc, t)[None, :]
        days = inc.hazard.control_days(EFFORTS)
        if not spared.any() or not days.any():  # nothing left that effort could change
            inc.next_decision = self.n_steps
            self.set_effort(inc, 0.0, spared[0], 0.0, t)
            inc.stake = inc.hazard.at_stake()
            return
        duty = self.p["responsibility.external_weight"]
        w = 0.0
        if inc.central_command:
            w = 1.0  # ordered by the centre: no choice, no duty of its own to keep
        elif t >= inc.duty_from and duty > 0:
            inc.origin_duty = True
            w = duty if inc.origin_coop else 0.0
        inc.external_weight = w
        plan_cost = self.control_cost_scale(inc) * EFFORTS**2 / 2 * days
        scope = self.duty_scope(inc.origin)
        effort, sacrifice, selfish = self.cities[inc.origin].choose_source_control(
            inc, EFFORTS, spared, plan_cost, w, duty, scope)
        k = round(effort * (len(EFFORTS) - 1))
        k_opt = int(np.argmax(spared.sum(axis=1) - plan_cost))
        inc.efforts.append(effort)
        inc.optima.append(float(EFFORTS[k_opt]))
        inc.optimum_cost += float(plan_cost[k_opt])
        per_step = self.step_hours / 24.0 / days[k] if days[k] > 0 else 0.0
        inc.sacrifice_rate = inc.benefit_rate = 0.0
        if inc.origin_duty and not inc.central_command:
            inc.sacrifice_rate = sacrifice * per_step
            if w > 0:  # what keeping the duty spares the others, against the selfish choice
                gain = spared[k] - spared[round(selfish * (len(EFFORTS) - 1))]
                inc.benefit_rate = np.where(scope, np.maximum(gain, 0.0), 0.0) * per_step
        self.set_effort(inc, effort, spared[k], w, t)
        inc.stake = float(inc.hazard.at_stake())

    def damage_outlook(self, inc: Incident, t: int) -> np.ndarray:
        """Per city, the share of a hazard's damage that will still hurt it: less local
        protection where the city will be in emergency mode when the hazard arrives, less what
        its warning lead buys (recorded where it has arrived, expected from the travel time
        where it has not), less a reserve team's protection. Decisions weigh spared loss
        through it, so what they expect to spare is what the losses will show."""
        eta = t + inc.hazard.steps_to_arrival()
        ready_by = (inc.ready >= 0) & (inc.ready <= np.where(inc.arrival >= 0, t, eta))
        out = np.where(ready_by, 1.0 - self.protection, 1.0)
        if inc.hazard.warnable:
            lead = np.where(ready_by & (inc.arrival < 0), (eta - inc.ready) * self.step_hours, 0.0)
            out *= np.where(inc.arrival >= 0, inc.vulnerability,
                            1.0 - self.warning_reduction(np.maximum(lead, 0.0)))
        if inc.teams.size:
            out[inc.teams] *= 1.0 - self.p["reserve.protection"]
        return out

    def duty_scope(self, origin: int) -> np.ndarray:
        """Cities whose losses the origin's duty covers and who owe assistance: the whole
        region, or only its partners under bilateral agreements (responsibility.scope)."""
        if self.p["responsibility.scope"] == "partners":
            scope = self.partners[origin].copy()
        else:
            scope = np.ones(self.n, dtype=bool)
        scope[origin] = False
        return scope

    def set_effort(self, inc: Incident, effort: float, spared: np.ndarray, w: float,
                   t: int) -> None:
        """Put an effort in force from step t: its cost per step and who pays it. Affected
        cities in the duty's scope owe `assist_share` of the cost in proportion to what the
        effort spares them (波及地为辅); those unwilling or distrustful do not pay and the
        origin carries their part; under unified command the centre pays its share."""
        inc.effort = effort
        inc.hazard.control = effort
        inc.hazard.external = w
        inc.cost_rate = self.control_cost_scale(inc) * effort**2 / 2 * self.step_hours / 24.0
        inc.central_share = self.p["escalation.central_share"] if inc.central_command else 0.0
        inc.assist_rate = inc.assist_given_rate = None
        inc.benefit_key = spared
        if inc.cost_rate <= 0:
            return
        others = np.where(self.duty_scope(inc.origin), spared, 0.0)
        share = self.p["responsibility.assist_share"]
        if share > 0 and others.sum() > 0:
            asked = inc.cost_rate * (1.0 - inc.central_share) * share * others / others.sum()
            idx = np.flatnonzero(asked)
            willing = np.array([self.cities[j].will_assist(inc.u_coop[j], inc.origin)
                                for j in idx], dtype=bool)
            given = np.zeros(self.n)
            given[idx[willing]] = asked[idx[willing]]
            inc.assist_rate, inc.assist_given_rate = asked, given

    def pay_control(self, inc: Incident) -> None:
        """8. Money: pay for the steps the effort in force acted on the source: the centre its
        share, the assisting cities theirs, the origin the rest. The fund refunds
        `payout_share` of what each city paid, collected from the cities by GDP or by benefit,
        plus outside incentives (利益机制)."""
        steps, inc.steps_unpaid = inc.steps_unpaid, 0
        if steps <= 0 or inc.cost_rate <= 0:
            return
        self._slow_row = None
        total = inc.cost_rate * steps
        central = total * inc.central_share
        inc.control_cost += total
        inc.central_cost += central
        self.central_paid += central
        paid = np.zeros(self.n)  # by the cities: assistance, and the origin the rest
        if inc.assist_rate is not None:
            inc.assist_asked += inc.assist_rate * steps
            inc.assist_given += inc.assist_given_rate * steps
            paid += inc.assist_given_rate * steps
            self.assist_paid += paid
        paid[inc.origin] = total - central - paid.sum()
        self.cost_paid[inc.origin] += paid[inc.origin]  # gross; refunds are in fund_out
        inc.origin_duty_cost += inc.sacrifice_rate * steps
        inc.duty_benefit = inc.duty_benefit + inc.benefit_rate * steps
        p = self.p
        refund = paid * p["compensation.payout_share"]
        payout = float(refund.sum())
        if payout > 0:
            outside = payout * p["compensation.outside_share"]
            self.fund_outside += outside
            key = inc.benefit_key
            if p["compensation.funding"] != "benefit" or key is None or key.sum() <= 0:
                key = self.region.gdp_tn_cny
            self.fund_in += (payout - outside) * key / key.sum()
            self.fund_out += refund

    def control_cost_scale(self, inc: Incident) -> float:
        """gamma of source control for this incident, per day at full effort: the centre's
        resources cut it once it has taken unified command."""
        gamma = self.p["source_control.cost"]
        return gamma / self.p["escalation.resource_factor"] if inc.central_command else gamma

    def count_losses(self, live: list[Incident], t: int) -> None:
        """7. Losses: exposure x vulnerability x damage(intensity), less local protection.

        Damage shares of overlapping incidents add up to at most a city's whole output."""
        shares = []
        total = np.zeros(self.n)
        intensity = np.zeros(self.n)
        for inc in live:
            ready = (inc.ready >= 0) & (inc.ready <= t)
            share = inc.hazard.damage() * inc.vulnerability
            if ready.any():
                share = share * np.where(ready, 1.0 - self.protection, 1.0)
            if inc.teams.size and t >= inc.teams_step:
                share[inc.teams] *= 1.0 - self.p["reserve.protection"]
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
        self._city_loss = city_loss
        self.last_hit[city_loss > 0] = t
        self._loss_step = float(city_loss.sum())

    def escalate(self, live: list[Incident], t: int) -> None:
        """10. Once a day the body weighs the expected loss still to come of the reported
        incidents it handles against its capacity; when they exceed it, it hands the largest
        to the centre until what it keeps fits (上报中央). The centre takes unified command
        after a delay, with extra resources."""
        if t % self._decide_steps == 0:
            handled = [inc for inc in live if 0 <= inc.report_step <= t
                       and inc.escalated_step == NEVER]
            if handled:
                for inc in handled:
                    inc.stake = inc.hazard.at_stake()
                held = sum(inc.stake for inc in handled)
                capacity = self.p["escalation.body_capacity"]
                for inc in sorted(handled, key=lambda i: -i.stake):
                    if held <= capacity:
                        break
                    self.body.escalate(inc, t)
                    held -= inc.stake
        for inc in live:
            if inc.central_step == t:
                self.centre.take_command(inc, t)

    def dispatch_reserve(self, inc: Incident, report_step: int, speed: float = 1.0) -> None:
        """The pooled reserve (资源协同): free teams go to the cities with the most loss at
        stake when cities share base information on resources, else to those nearest the
        origin; they work there from dispatch_hours (x the body's speed) until the end."""
        k = min(self.teams_free, self.p["reserve.teams"])
        if k <= 0 or inc.teams.size:
            return
        if self.p["info.share_resources"]:
            stake = inc.hazard.spared(np.array([1.0]))[0] + inc.hazard.damage() * self.loss_rate
            order = np.argsort(-stake, kind="stable")
        else:
            order = np.argsort(self.world.distance_km[inc.origin], kind="stable")
        inc.teams = np.sort(order[:k])
        inc.teams_step = report_step + self.hours_to_steps(
            self.p["reserve.dispatch_hours"] * speed)
        self.teams_free -= k

    def complacency_factor(self, i: int, step: int) -> float:
        """侥幸心理: activation slows by up to (1 + strength) the longer city i was not hit."""
        strength = self.p["complacency.strength"]
        if strength <= 0:
            return 1.0
        days = (step - self.last_hit[i]) * self.step_hours / 24.0
        return 1.0 + strength * (1.0 - math.exp(-days / self.p["complacency.memory_days"]))

    def close_incident(self, inc: Incident) -> None:
        """9, 11, 12. When an incident ends: duties kept or shirked are sanctioned, assessed,
        and learned from; trust follows the promises; the reserve teams come home."""
        p = self.p
        self._slow_row = None
        self.pay_control(inc)
        self.teams_free += inc.teams.size
        duties: dict[int, bool] = {}
        costs: dict[int, float] = {}
        if inc.origin_duty:
            duties[inc.origin] = inc.origin_coop
            costs[inc.origin] = inc.origin_duty_cost
        for j in np.flatnonzero(inc.assist_asked > 0):
            duties[int(j)] = bool(inc.assist_given[j] > 0)
            costs[int(j)] = float(inc.assist_asked[j])
        self.record_help(inc, duties, costs)
        self.duties[0] += sum(duties.values())
        self.duties[1] += len(duties)
        for city, money in self.body.evaluate(inc, duties).items():
            self.evaluation[city] += money
        catch = detection_prob(p) * p["responsibility.list_clarity"]
        stake = evaluation_stake(p, "cooperation")
        lenient = leniency(p)
        for j, kept in duties.items():
            cost = costs[j]
            if kept:
                sanction, assessed = catch * p["accountability.duty_penalty"] * cost, stake
            else:
                caught = inc.u_audit[j] < catch
                sanction = p["accountability.duty_penalty"] * cost if caught else 0.0
                self.duty_sanctions[j] += sanction
                # penalised instead of rewarded, unless a lenient assessor passed it
                assessed = 2.0 * p["evaluation.reward"] if stake and \
                    inc.u_lenient[j, 2] >= lenient else 0.0
            self.cities[j].learn(kept, cost, p["compensation.payout_share"] * cost, assessed,
                                 sanction)
        if inc.concealed:
            self.cities[inc.origin].learn_detection(inc.u_audit[inc.origin] < detection_prob(p))
        # Promises: the origin's (report honestly; keep its duty) is seen by every city; an
        # affected city's assist duty by the origin.
        origin_kept = not inc.concealed and (inc.origin_coop or not inc.origin_duty)
        self.update_trust(np.arange(self.n), inc.origin, origin_kept)
        for j, kept in duties.items():
            if j != inc.origin:
                self.update_trust(np.array([inc.origin]), j, kept)
        if inc.spec.kind in POLLUTING:
            for k, e in enumerate(self.region.rivers):
                if inc.arrival[e.src] >= 0 and inc.arrival[e.dst] >= 0:
                    self.breached[k] = True

    def record_help(self, inc: Incident, duties: dict[int, bool],
                    costs: dict[int, float]) -> None:
        """Who helped whom in this incident, and what duties cost, discounted over time."""
        fade = math.exp(-(self.t + 1 - self._help_step) * self.step_hours / 24.0
                        / self.p["learning.memory_days"])
        self._help_step = self.t + 1
        self.gave *= fade
        self.duty_costs *= fade
        if inc.origin_duty and inc.origin_coop:
            self.gave[inc.origin] += inc.duty_benefit
        self.gave[:, inc.origin] += inc.assist_given
        for j, cost in costs.items():
            self.duty_costs[j] += cost

    def update_trust(self, observers: np.ndarray, target: int, kept: bool) -> None:
        """9. A promise of `target` kept or broken, seen by `observers` (信任机制): exponential
        smoothing, or a Beta reputation of the counts."""
        p = self.p
        self._slow_row = None
        observers = observers[observers != target]
        if p["trust.model"] == "beta":
            (self.kept if kept else self.broken)[observers, target] += 1.0
            w = p["trust.prior_weight"]
            self.trust[observers, target] = (
                (self.kept[observers, target] + p["trust.initial"] * w)
                / (self.kept[observers, target] + self.broken[observers, target] + w))
        else:
            lam = p["trust.learning_rate"]
            self.trust[observers, target] = ((1.0 - lam) * self.trust[observers, target]
                                             + lam * float(kept))

    def settle_bilateral(self, t: int) -> None:
        """8. The Xin'an rule, once a year (pro rata for a last, partial year): on each river
        border the downstream city pays the upstream one if no pollution crossed it, and the
        upstream city pays the downstream one otherwise (新安江模式)."""
        steps = (t + 1) % self.steps_per_year or self.steps_per_year
        amount = self.p["compensation.bilateral_amount"] * steps / self.steps_per_year
        for k, e in enumerate(self.region.rivers):
            payer, payee = (e.src, e.dst) if self.breached[k] else (e.dst, e.src)
            self.bilateral[payer] += amount
            self.bilateral[payee] -= amount
        self.breached[:] = False

    def _series_row(self, t: int, live: list[Incident]) -> tuple:
        """Cities warned of / reached by at least one live incident (each city counted once)."""
        warned = reached = 0
        if len(live) == 1:
            inc = live[0]
            warned = int(np.count_nonzero((inc.informed >= 0) & (inc.informed <= t)))
            reached = int(np.count_nonzero(inc.arrival >= 0))
        elif live:
            w = np.zeros(self.n, dtype=bool)
            r = np.zeros(self.n, dtype=bool)
            for inc in live:
                w |= (inc.informed >= 0) & (inc.informed <= t)
                r |= inc.arrival >= 0
            warned, reached = int(np.count_nonzero(w)), int(np.count_nonzero(r))
        if self._slow_row is None:  # trust, cooperation and money change only now and then
            self._slow_row = (self.mean_trust(), float(self.cooperation.mean()),
                              float(self.fund_out.sum()))
        row = (float(self.intensity.sum()) if live else 0.0, self._loss_step if live else 0.0,
               warned, reached, len(live), *self._slow_row)
        self._loss_step = 0.0
        return row

    def mean_trust(self) -> float:
        """Mean trust between distinct cities (1 for a single city)."""
        n = self.n
        return float((self.trust.sum() - n) / (n * (n - 1))) if n > 1 else 1.0

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
