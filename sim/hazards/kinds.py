"""Hazard kinds: each declares its channel, its local dynamics and its damage function.

A hazard instance is one incident's physical process. Every step it returns the intensity in
every city (numpy, one entry per city) and the share of each city's output it destroys before
warning and protection are applied. `control` in [0, 1] is the origin's source-control effort
(containment, detention, firefighting, repair, lockdown), chosen by the origin city agent, and
`spared(efforts)` projects, for each effort level, the loss each city would be spared: the
origin weighs that projection when it decides how much to control (and whose losses count).

| kind        | channel (situation)             | local dynamics                     |
|-------------|---------------------------------|------------------------------------|
| river_spill | river (1: the hazard spans)     | source leaks mass at a fixed rate  |
| river_flood | river (1)                       | triangular hydrograph              |
| plume       | wind kernel (2: wide exposure)  | source decays with a half-life     |
| epidemic    | mobility (public health)        | metapopulation SEIR                |
| cascade     | dependency (3: remote exposure) | services restored at a repair rate |
| accident    | proximity, only past threshold  | grows unless handled               |
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.hazards.dependency import cascade, dependency_matrix, single_suppliers
from sim.hazards.epidemic import MetapopSEIR, gravity_flows
from sim.hazards.plume import haversine_km, plume_operator
from sim.hazards.river import RiverChannel
from sim.regions import Region

EFFORTS = np.linspace(0.0, 1.0, 101)


@dataclass
class World:
    """What every hazard of a run shares: the region, time, parameters and derived operators."""

    region: Region
    p: dict
    step_hours: float
    loss_rate: np.ndarray  # output per step per city, 1e8 CNY

    @property
    def n(self) -> int:
        return self.region.n

    @cached_property
    def distance_km(self) -> np.ndarray:
        return haversine_km(self.region.lat, self.region.lon)

    @cached_property
    def plume(self) -> tuple[np.ndarray, np.ndarray]:
        p = self.p
        a, lag_h = plume_operator(self.region.lat, self.region.lon, p["plume.wind_from_deg"],
                                  p["plume.wind_speed_kmh"], p["plume.decay_km"],
                                  p["plume.spread_deg"])
        lag = np.where(np.isfinite(lag_h), np.round(lag_h / self.step_hours), 0).astype(np.int64)
        return a, lag

    @cached_property
    def mobility(self) -> np.ndarray:
        """Commuting shares (N x N), read-only: every epidemic of the run shares this one."""
        p = self.p
        flows = gravity_flows(self.region.population_m * 1e6, self.distance_km,
                              p["epidemic.mobility_rate"], p["epidemic.distance_exponent"])
        flows.setflags(write=False)
        return flows

    @cached_property
    def dependency(self) -> np.ndarray:
        """Who relies on whom: the region's own layer, else each city on its nearest larger
        neighbour (a water source, a grid node, a supply hub)."""
        edges = list(self.region.dependencies)
        if not edges and self.n > 1:
            pop, d = self.region.population_m, self.distance_km.copy()
            share = self.p["cascade.dependency_share"]
            for j in range(self.n):
                larger = np.flatnonzero(pop > pop[j])
                if len(larger):
                    edges.append((int(larger[np.argmin(d[j, larger])]), j, share))
        return dependency_matrix(self.n, edges)

    @cached_property
    def dependency_links(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The layer as one (supplier, share) per city when no city has two suppliers: the
        cascade then gathers instead of multiplying by an N x N matrix (same numbers)."""
        return single_suppliers(self.dependency)

    @cached_property
    def proximity(self) -> np.ndarray:
        k = np.exp(-self.distance_km / self.p["accident.radius_km"])
        np.fill_diagonal(k, 0.0)
        return k

    def saturating(self, kind: str, intensity: np.ndarray) -> np.ndarray:
        """Damage share max_loss_share * I / (I + half_damage) of the kind."""
        curve = self._damage_curves.get(kind)
        if curve is None:
            curve = self._damage_curves[kind] = (self.p[f"{kind}.max_loss_share"],
                                                 self.p[f"{kind}.half_damage"])
        return curve[0] * intensity / (intensity + curve[1])

    @cached_property
    def _damage_curves(self) -> dict[str, tuple[float, float]]:
        """(max_loss_share, half_damage) per kind, looked up once per run."""
        return {}


class Hazard:
    """One incident's physical process (base class).

    Decisions read two projections, both for every effort level a held from now on:
    `projected_loss(efforts)[k, j]`, the loss still to come in city j, and
    `control_days(efforts)[k]`, how many days that effort would have to be paid for. The origin
    weighs the loss spared (`spared`) against a cost rate x those days, so the cost it weighs is
    the cost it will pay if it keeps the plan (docs/model.md §6.1).
    """

    kind = ""
    channel = ""
    # Warning lead time cuts the damage of an arriving hazard (people and goods moved, intakes
    # closed: the WMO rule). For contagion, a warning acts through earlier measures instead.
    warnable = True

    def __init__(self, world: World, origin: int, magnitude: float):
        self.world = world
        self.origin = origin
        self.magnitude = magnitude
        self.control = 0.0
        self.intensity = np.zeros(world.n)
        self.extra_loss = np.zeros(world.n)  # losses not reduced by warning (measure costs)

    def detectable(self) -> bool:
        """Whether the origin's monitoring can notice the hazard yet."""
        return True

    def damage(self) -> np.ndarray:
        return self.world.saturating(self.kind, self.intensity)

    def arrived(self) -> np.ndarray:
        """Cities the hazard has reached (1% of its half-damage intensity)."""
        return self.intensity > self._arrival_intensity

    @cached_property
    def _arrival_intensity(self) -> float:
        return 0.01 * self.world.p[f"{self.kind}.half_damage"]

    def noticed(self) -> np.ndarray:
        """Cities that see the hazard without being told (most hazards: once it arrives)."""
        return self.arrived()

    def projected_loss(self, efforts: np.ndarray) -> np.ndarray:
        """Loss still to come per city (rows: efforts) if the effort were held to the end."""
        raise NotImplementedError

    def spared(self, efforts: np.ndarray) -> np.ndarray:
        """Loss each effort would spare each city against no control from now on."""
        loss = self.projected_loss(np.concatenate([[0.0], efforts]))
        return loss[0] - loss[1:]

    def steps_to_arrival(self) -> np.ndarray:
        """Steps from now until the hazard reaches each city that it has not reached yet (0:
        it spreads at once, or no travel time is known); decisions use it to judge how much
        warning the cities downstream or downwind will have had."""
        return np.zeros(self.world.n)

    def at_stake(self) -> float:
        """Expected loss still to come at the current effort (what escalation weighs)."""
        return float(self.projected_loss(np.array([self.control])).sum())

    def source_active(self) -> bool:
        """Whether source control still acts on something (it is paid only while it does)."""
        return not self.done

    def release(self) -> None:
        """Free what only a running hazard needs (buffers of mass or cases in transit, cached
        projections) once its incident has closed; what outcomes and records read stays."""

    def control_days(self, efforts: np.ndarray) -> np.ndarray:
        """Days an effort held from now on would be paid for: while the source is active."""
        return np.full(len(efforts), self._source_days())

    def _source_days(self) -> float:
        raise NotImplementedError

    def _loss_saturating(self, efforts: np.ndarray, rate: float, share: np.ndarray,
                         steps: float, local_share: np.ndarray | None = None) -> np.ndarray:
        """Loss per city if the source emitted `rate` per step for `steps` more steps, reaching
        city j with `share[j]`, cut by (1 - effort)."""
        w = self.world
        c = (1.0 - efforts)[:, None] * (rate * share)[None, :]
        if local_share is not None:  # part of the intensity the effort does not touch
            c = c + (efforts[:, None] * rate * local_share[None, :])
        return w.loss_rate[None, :] * steps * w.saturating(self.kind, c)


class RiverSpill(Hazard):
    kind, channel = "river_spill", "river"

    def __init__(self, world: World, origin: int, magnitude: float):
        super().__init__(world, origin, magnitude)
        p = world.p
        steps = max(1, round(p["river_spill.release_hours"] / world.step_hours))
        self.rate = magnitude / steps
        self.remaining = magnitude
        self.captured = 0.0
        self.released = 0.0
        self.river = RiverChannel(world.region, world.step_hours,
                                  np.full(world.n, p["region.interception"]))
        self.lag, self.share = self.river.arrival_profile(origin)

    @property
    def done(self) -> bool:
        return self.remaining <= 0.0 and self.river.in_transit <= 0.0

    def step(self) -> None:
        inflow = np.zeros(self.world.n)
        if self.remaining > 0.0:
            leak = min(self.rate, self.remaining)
            self.remaining -= leak
            self.captured += leak * self.control
            self.released += leak * (1.0 - self.control)
            inflow[self.origin] = leak * (1.0 - self.control)
        # Intensity is a flux (t/h), so damage does not depend on the step length.
        self.intensity = self.river.step(inflow) / self.world.step_hours

    def release(self) -> None:
        self.river.release()

    def projected_loss(self, efforts: np.ndarray) -> np.ndarray:
        return self._loss_saturating(efforts, self.rate / self.world.step_hours, self.share,
                                     self.remaining / self.rate if self.rate > 0 else 0.0)

    def _source_days(self) -> float:
        leaking = math.ceil(self.remaining / self.rate - 1e-9) if self.rate > 0 else 0
        return leaking * self.world.step_hours / 24

    def source_active(self) -> bool:
        return self.remaining > 0.0

    def steps_to_arrival(self) -> np.ndarray:
        return np.maximum(0, self.lag - self.river.t)

    def at_stake(self) -> float:
        """What the leak still to come will do, plus what the pollutant already in the river
        will do to the cities it has not reached yet: a spill on its way to ten cities
        downstream is a large incident even once its source is stopped."""
        ahead = np.where(self.steps_to_arrival() > 0, self.share, 0.0)
        released = self._loss_saturating(np.zeros(1), self.rate / self.world.step_hours, ahead,
                                         self.released / self.rate if self.rate > 0 else 0.0)
        return super().at_stake() + float(released.sum())


class RiverFlood(Hazard):
    """A flood wave. Detention at the origin (source control) stores water on the origin's own
    land: it spares the cities downstream, not the origin itself — the classic conflict."""

    kind, channel = "river_flood", "river"

    def __init__(self, world: World, origin: int, magnitude: float):
        super().__init__(world, origin, magnitude)
        p = world.p
        n_steps = max(2, round(p["river_flood.duration_hours"] / world.step_hours))
        peak = max(1, n_steps // 3)
        rise = np.arange(1, peak + 1) / peak
        fall = np.arange(n_steps - peak, 0, -1) / (n_steps - peak + 1)
        self.hydrograph = magnitude * np.concatenate([rise, fall])
        self.k = 0
        self.river = RiverChannel(world.region, world.step_hours,
                                  np.full(world.n, p["region.interception"]),
                                  attenuation_power=p["river_flood.attenuation_power"])
        self.lag, self.share = self.river.arrival_profile(origin)
        self.local = np.zeros(world.n)
        self.local[origin] = 1.0

    @property
    def done(self) -> bool:
        return self.k >= len(self.hydrograph) and self.river.in_transit <= 0.0

    def step(self) -> None:
        q = self.hydrograph[self.k] if self.k < len(self.hydrograph) else 0.0
        self.k += 1
        inflow = np.zeros(self.world.n)
        inflow[self.origin] = q * (1.0 - self.control)
        self.intensity = self.river.step(inflow)
        self.intensity[self.origin] += q * self.control  # detained water floods the origin

    def projected_loss(self, efforts: np.ndarray) -> np.ndarray:
        """Step by step over the hydrograph still to come (damage saturates, so a mean
        discharge would misjudge what detention spares)."""
        loss = np.zeros((len(efforts), self.world.n))
        for q in self.hydrograph[self.k:]:
            loss += self._loss_saturating(efforts, q, self.share, 1.0, self.local)
        return loss

    def _source_days(self) -> float:
        return max(0, len(self.hydrograph) - self.k) * self.world.step_hours / 24

    def release(self) -> None:
        self.river.release()

    def source_active(self) -> bool:
        return self.k < len(self.hydrograph)

    def steps_to_arrival(self) -> np.ndarray:
        return np.maximum(0, self.lag - self.river.t)


class Plume(Hazard):
    kind, channel = "plume", "plume"

    def __init__(self, world: World, origin: int, magnitude: float):
        super().__init__(world, origin, magnitude)
        self.reach, self.lag = world.plume[0][origin], world.plume[1][origin]
        self.decay = 0.5 ** (world.step_hours / world.p["plume.half_life_hours"])
        self.source = magnitude
        self.buffer = np.zeros((int(self.lag.max()) + 2, world.n))
        self.t = 0
        # The last step at which some city still has plume on its way (a non-zero entry in
        # the ring): so `done` need not scan the whole ring every step.
        self._pending_until = -1

    @property
    def done(self) -> bool:
        return self.source == 0.0 and self._pending_until < self.t

    def step(self) -> None:
        size = len(self.buffer)
        emitted = self.source * (1.0 - self.control)
        self.source *= self.decay
        if self.source < 1e-3 * max(self.magnitude, 1e-9):
            self.source = 0.0  # burnt out: without this the tail keeps the plume alive for years
        if emitted > 0:
            dose = emitted * self.reach
            self.buffer[(self.t + self.lag) % size, np.arange(self.world.n)] += dose
            reached = dose != 0.0  # what is read back at step t + lag (and zeroed then)
            if reached.any():
                self._pending_until = max(self._pending_until,
                                          self.t + int(self.lag[reached].max()))
        self.intensity = self.buffer[self.t % size].copy()
        self.buffer[self.t % size] = 0.0
        self.t += 1

    def projected_loss(self, efforts: np.ndarray) -> np.ndarray:
        return self._loss_saturating(efforts, self.source, self.reach, self._steps_left())

    def release(self) -> None:
        if self.done:  # an empty ring: one row of zeros says the same
            self.buffer = np.zeros((1, self.world.n))

    def _steps_left(self) -> float:
        """Mean remaining life of the source in steps (0 once it has burnt out)."""
        return 0.0 if self.source == 0.0 else 1.0 / max(1e-9, 1.0 - self.decay)

    def _source_days(self) -> float:
        return self._steps_left() * self.world.step_hours / 24

    def source_active(self) -> bool:
        return self.source > 0.0

    def steps_to_arrival(self) -> np.ndarray:
        return np.maximum(0, self.lag - self.t)


class Accident(Hazard):
    """A local accident or social-security incident: it grows while badly handled and spills
    over to neighbours only past a threshold."""

    kind, channel = "accident", "proximity"

    def __init__(self, world: World, origin: int, magnitude: float):
        super().__init__(world, origin, magnitude)
        self.severity = magnitude
        self.days = world.step_hours / 24.0
        self.kernel = world.proximity[origin]
        self.cap = 50.0 * max(magnitude, world.p["accident.threshold"])
        self.age_days = 0.0

    @property
    def done(self) -> bool:
        return self.severity < 0.01 * max(self.magnitude, 1e-9)

    def _growth(self, effort) -> np.ndarray | float:
        g = self.world.p["accident.growth_per_day"]
        return g * (1.0 - 2.0 * np.asarray(effort)) - 0.5 * np.asarray(effort)

    def step(self) -> None:
        rate = self._growth(self.control) if self.age_days < self.world.p[
            "accident.duration_days"] else -1.0  # run its course: subsides by e each day
        self.age_days += self.days
        self.severity = min(self.cap, self.severity * np.exp(rate * self.days))
        excess = max(0.0, self.severity - self.world.p["accident.threshold"])
        self.intensity = excess * self.kernel
        self.intensity[self.origin] = self.severity

    def _horizon_days(self) -> float:
        return max(self.days, self.world.p["accident.duration_days"] - self.age_days)

    def projected_loss(self, efforts: np.ndarray) -> np.ndarray:
        w = self.world
        horizon = self._horizon_days()
        mean = self.severity * np.exp(self._growth(efforts) * horizon / 2)
        level = np.minimum(mean, self.cap)[:, None]
        c = np.maximum(0.0, level - w.p["accident.threshold"]) * self.kernel[None, :]
        c[:, self.origin] = level[:, 0]
        return w.loss_rate[None, :] * (horizon / self.days) * w.saturating(self.kind, c)

    def _source_days(self) -> float:
        return self._horizon_days()


class Cascade(Hazard):
    """Infrastructure or cyber failure in the origin cascading through the dependency layer."""

    kind, channel = "cascade", "dependency"

    def __init__(self, world: World, origin: int, magnitude: float):
        super().__init__(world, origin, magnitude)
        self.direct = np.zeros(world.n)
        self.direct[origin] = min(1.0, magnitude)
        self.repair = world.step_hours / world.p["cascade.repair_hours"]
        self.W = world.dependency

    @property
    def done(self) -> bool:
        return self.direct[self.origin] < 1e-3

    def step(self) -> None:
        self.intensity = cascade(self.direct, self.W, self.world.p["cascade.threshold"],
                                 links=self.world.dependency_links)
        self.direct[self.origin] *= max(0.0, 1.0 - self.repair * (1.0 + 2.0 * self.control))

    def damage(self) -> np.ndarray:
        return self.world.p["cascade.max_loss_share"] * self.intensity

    def arrived(self) -> np.ndarray:
        return self.intensity > 0.01

    def _repair_steps(self, efforts: np.ndarray) -> np.ndarray:
        return 1.0 / (self.repair * (1.0 + 2.0 * efforts))

    def projected_loss(self, efforts: np.ndarray) -> np.ndarray:
        w = self.world
        reach = cascade(self.direct, self.W, w.p["cascade.threshold"], links=w.dependency_links)
        steps = self._repair_steps(efforts)
        return (w.p["cascade.max_loss_share"] * reach * w.loss_rate)[None, :] * steps[:, None] / 2

    def control_days(self, efforts: np.ndarray) -> np.ndarray:
        """Repair crews are paid until services are back: faster repair, shorter bill."""
        return self._repair_steps(efforts) * self.world.step_hours / 24


class Epidemic(Hazard):
    """Contagion carried by commuters: containment and travel restrictions at the origin are its
    source control; measures in cities in emergency mode cut local transmission."""

    kind, channel = "epidemic", "mobility"
    warnable = False  # a warning lets measures start earlier; it does not cheapen an infection

    def __init__(self, world: World, origin: int, magnitude: float,
                 rng: np.random.Generator | None = None):
        super().__init__(world, origin, magnitude)
        p = world.p
        self.rng = rng
        self.seir = MetapopSEIR(world.region.population_m * 1e6, p["epidemic.r0"],
                                p["epidemic.incubation_days"], p["epidemic.infectious_days"],
                                world.step_hours / 24.0, world.mobility,
                                stochastic=p["epidemic.stochastic"])
        # Whole index cases in stochastic mode: fewer than half a case is no epidemic at all.
        seeds = round(magnitude) if p["epidemic.stochastic"] else max(0.0, magnitude)
        if seeds > 0:
            self.seir.seed(origin, min(seeds, self.seir.S[origin]))
        self.measures = np.zeros(world.n, dtype=bool)
        self.ready = np.zeros(world.n, dtype=bool)  # cities in emergency mode (set by the model)
        self.new_cases = np.zeros(world.n)
        # Outbound travel restrictions protect only other cities: the origin imposes them in
        # proportion to the weight it actually gives their losses in this incident (none under
        # 自扫门前雪, full under the centre's command); the model sets it at each decision.
        self.external = 0.0
        self.steps_done = 0
        # Levers (transmission, travel, measure costs) change only when measures or the
        # origin's control change, so they are rebuilt then, not every step.
        self._levers_key: tuple[bytes, float, float] | None = None
        self._projection: tuple[tuple, np.ndarray, np.ndarray] | None = None
        self._update_reach()

    @property
    def done(self) -> bool:
        return not self.seir.active

    @property
    def infections(self) -> float:
        """Everyone infected so far, index cases included (the `infections` outcome)."""
        return float(self.seir.cumulative_infections.sum())

    def detectable(self) -> bool:
        return bool(self._noticed[self.origin])

    def step(self) -> None:
        # Measures are in force where a ready city has people infected now (warning makes them
        # start with the first imported case) and are lifted when its local outbreak is over:
        # acting earlier then shortens what the measures cost as well as the case count.
        if not self.seir.stochastic:
            # Expected values never reach zero: a city that has brought its outbreak under one
            # person infected under measures has none left, or lifting them would let the
            # fraction regrow and switch them on and off every few steps.
            over = self.measures & ~self._local
            if over.any():
                self.seir.end_in(over)
                self._update_reach()
        self.measures = self.ready & self._local
        key = (self.measures.tobytes(), self.control, self.external)
        if key != self._levers_key:
            self._levers_key = key
            self._set_levers()
        self.new_cases = self.seir.step(self.rng, self._transmission, self._travel)
        self.intensity = self.seir.I / self.seir.population * 1e5  # per 100,000 residents
        self.steps_done += 1
        self._update_reach()

    def release(self) -> None:
        self._projection = None
        self.seir.release()

    def _set_levers(self) -> None:
        p = self.world.p
        transmission = np.where(self.measures, 1.0 - p["epidemic.measure_effect"], 1.0)
        transmission[self.origin] *= 1.0 - self.control * p["epidemic.containment_effect"]
        travel = np.ones(self.world.n)
        travel[self.origin] = 1.0 - p["epidemic.travel_cut"] * self.control * self.external
        extra_loss = np.where(self.measures, p["epidemic.measure_cost_share"], 0.0) \
            * self.world.loss_rate
        for a in (transmission, travel, extra_loss):
            a.setflags(write=False)
        self._transmission, self._travel, self.extra_loss = transmission, travel, extra_loss

    def _update_reach(self) -> None:
        """Who has had cases, worked out once per step (the model asks several times)."""
        ever = self.seir.population - self.seir.S
        self._ever = ever
        self._arrived = ever >= 1.0
        self._local = self.seir.E + self.seir.I >= 1.0
        self._noticed = ever >= self.world.p["epidemic.detect_cases"]
        self._arrived.setflags(write=False)
        self._noticed.setflags(write=False)

    def damage(self) -> np.ndarray:
        return self.new_cases * self.world.p["epidemic.case_cost"] / self.world.loss_rate

    def arrived(self) -> np.ndarray:
        return self._arrived

    def noticed(self) -> np.ndarray:
        """An epidemic is seen only once enough cases have accumulated; a warning lets a city
        screen travellers and act from the first imported case."""
        return self._noticed

    def control_days(self, efforts: np.ndarray) -> np.ndarray:
        """Containment has to be held until the origin's outbreak is over: while it grows,
        log(infections to come / infections now) / log R generations up and as many down;
        once R < 1, the 1 / (1 - R) generations of a dying chain. Capped at two years."""
        p, seir = self.world.p, self.seir
        o = self.origin
        active = float(seir.E[o] + seir.I[o])
        if not seir.active or active <= 0:
            return np.zeros(len(efforts))
        r = p["epidemic.r0"] * (1.0 - p["epidemic.measure_effect"] * self.ready[o]) \
            * (1.0 - efforts * p["epidemic.containment_effect"])
        generation = p["epidemic.incubation_days"] + p["epidemic.infectious_days"]
        to_come = self.projected_loss(efforts)[:, o] / p["epidemic.case_cost"]
        growing = r > 1.0
        ratio = np.maximum(1.0, to_come / active)
        up = np.log(ratio) / np.log(np.where(growing, r, 2.0))
        gens = np.where(growing, 2.0 * up + 1.0, 1.0 / np.maximum(1.0 - r, 1e-3))
        return np.minimum(730.0, generation * gens)

    def projected_loss(self, efforts: np.ndarray) -> np.ndarray:
        """Final-size projection from the present state: containment lowers the origin's R0,
        travel cuts lower the chance that infected travellers seed each other city; infections
        already counted are not projected again, so the stake falls as the epidemic runs its
        course and is 0 once it is over. Worked out once per step and effort grid (read it,
        do not write it)."""
        key = (self.steps_done, self.external, self.ready.tobytes())
        cached = self._projection
        if cached is not None and cached[0] == key:
            grid, loss = cached[1], cached[2]
            if efforts.shape == grid.shape and np.array_equal(efforts, grid):
                return loss
            # Each row is worked out from its own effort alone, so the rows of efforts already
            # projected in this state (a decision asks for the grid, then for a part of it)
            # are read off, not projected again: the same numbers to the bit.
            rows = np.minimum(np.searchsorted(grid, efforts), len(grid) - 1)
            if np.array_equal(grid[rows], efforts):
                part = loss[rows]
                part.setflags(write=False)
                return part
        loss = self._project(efforts)
        self._projection = (key, np.array(efforts, dtype=float), loss)
        return loss

    def _project(self, efforts: np.ndarray) -> np.ndarray:
        """Infections still to come per city, from each city's present state and effective R
        (its measures where it is in emergency mode; the origin's containment on top): the
        final-size relation ln(s0 / s_inf) = R (s0 - s_inf + i0) where the epidemic has
        arrived, and invasion chance x z(R) where it has not yet (travellers from the origin,
        fewer under travel cuts). It assumes measures hold until a city's outbreak is over;
        a resurgence from imported cases after they are lifted is not foreseen."""
        w, p, seir = self.world, self.world.p, self.seir
        n = w.n
        if not seir.active:
            loss = np.zeros((len(efforts), n))
            loss.setflags(write=False)
            return loss
        pop = seir.population
        o, k = self.origin, len(efforts)
        r_city = p["epidemic.r0"] * np.where(self.ready, 1.0 - p["epidemic.measure_effect"], 1.0)
        # Only the origin's R depends on the effort: other cities are worked out once and
        # broadcast over the efforts, and each city only by the formula that applies to it
        # (arrived: final size from its state; not yet: invasion chance x z(R)). Element by
        # element the arithmetic is the one of the whole (efforts x cities) grid, so the
        # projection is the same to the bit at a hundredth of the work.
        r_origin = r_city[o] * (1.0 - efforts * p["epidemic.containment_effect"])
        s0 = np.divide(seir.S, pop, out=np.zeros(n), where=pop > 0)
        i0 = np.divide(seir.E + seir.I, pop, out=np.zeros(n), where=pop > 0)
        infections = np.empty((k, n))
        here = self._arrived.nonzero()[0]
        if here.size:  # the arrived cities but the origin, then the origin at every effort
            others = here[here != o]
            m = others.size
            mine = k if self._arrived[o] else 0
            left = _susceptible_left(np.concatenate([s0[others], np.full(mine, s0[o])]),
                                     np.concatenate([i0[others], np.full(mine, i0[o])]),
                                     np.concatenate([r_city[others], r_origin[:mine]]))
            infections[:, others] = (np.maximum(0.0, s0[others] - left[:m]) * pop[others])[None, :]
            if mine:
                infections[:, o] = np.maximum(0.0, s0[o] - left[m:]) * pop[o]
        later = (~self._arrived).nonzero()[0]
        if later.size:
            # What depends on R alone is worked out per city, then for the origin per effort;
            # the travellers depend on the effort only through the travel cut, so when that
            # is the same for every effort (no weight on others) one row serves them all.
            is_o = later == o
            cut = 1.0 - p["epidemic.travel_cut"] * efforts * self.external
            rows = 1 if not is_o.any() and np.all(cut == cut[0]) else k

            def per_effort(f) -> np.ndarray:
                out = np.broadcast_to(f(r_city[later]), (rows, later.size)).copy()
                if is_o.any():
                    out[:, is_o] = f(r_origin)[:, None]
                return out

            invasion_r = per_effort(lambda r: np.maximum(0.0, 1.0 - 1.0 / np.maximum(r, 1e-9)))
            travellers = w.mobility[o, later][None, :] * pop[o] \
                * (1.0 - s0[o] + i0[o]) * cut[:rows, None] * p["epidemic.infectious_days"]
            invade = 1.0 - np.exp(-travellers * invasion_r)
            infections[:, later] = invade * per_effort(_final_size) * pop[later]
        loss = infections * p["epidemic.case_cost"]
        loss.setflags(write=False)
        return loss


def _susceptible_left(s0: np.ndarray, i0: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Share of residents still susceptible when an epidemic now at (s0, i0) ends: the
    smallest root of s = s0 exp(-R (s0 - s + i0)), by fixed-point iteration from 0."""
    c = s0 * np.exp(-r * (s0 + i0))
    shape = np.broadcast(s0, r).shape
    c = np.broadcast_to(c, shape).ravel()
    r = np.broadcast_to(r, shape).ravel()
    out = np.empty(c.size)
    todo = np.arange(c.size)  # elements still iterating (each one's sequence is its own)
    s = prev = np.zeros(c.size)
    done, rounds, block = 0, 200, 8
    while done < rounds and todo.size:
        for _ in range(block):
            prev2, prev = prev, s
            s = c * np.exp(r * s)
        done += block
        # An element with s_k == s_(k-2) repeats with period 1 or 2 from now on, so its value
        # after all the rounds is known: set it aside (the same bits as iterating to the end).
        settled = s == prev2
        if done < rounds and settled.any():
            out[todo[settled]] = (s if (rounds - done) % 2 == 0 else prev)[settled]
            keep = ~settled
            todo, c, r, s, prev = todo[keep], c[keep], r[keep], s[keep], prev[keep]
    out[todo] = s
    return np.minimum(out.reshape(shape), s0)


def _solve_final_size(r0: np.ndarray) -> np.ndarray:
    """Solve z = 1 - exp(-R0 z) by fixed-point iteration (0 where R0 <= 1)."""
    z = np.where(r0 > 1, 0.8, 0.0)
    for _ in range(2000):
        z = np.where(r0 > 1, 1.0 - np.exp(-r0 * z), 0.0)
    return z


_R0_GRID = np.linspace(0.0, 20.0, 4001)
_Z_GRID = _solve_final_size(_R0_GRID)


def _final_size(r0: np.ndarray) -> np.ndarray:
    """Final epidemic size z(R0), read off a table solved once at import (decisions are daily)."""
    return np.interp(np.asarray(r0, dtype=float), _R0_GRID, _Z_GRID)


KINDS: dict[str, type[Hazard]] = {k.kind: k for k in (RiverSpill, RiverFlood, Plume, Accident,
                                                      Cascade, Epidemic)}
