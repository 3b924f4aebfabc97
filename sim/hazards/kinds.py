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

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.hazards.dependency import cascade, dependency_matrix
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
        p = self.p
        return gravity_flows(self.region.population_m * 1e6, self.distance_km,
                             p["epidemic.mobility_rate"], p["epidemic.distance_exponent"])

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
    def proximity(self) -> np.ndarray:
        k = np.exp(-self.distance_km / self.p["accident.radius_km"])
        np.fill_diagonal(k, 0.0)
        return k

    def saturating(self, kind: str, intensity: np.ndarray) -> np.ndarray:
        """Damage share max_loss_share * I / (I + half_damage) of the kind."""
        h = self.p[f"{kind}.half_damage"]
        return self.p[f"{kind}.max_loss_share"] * intensity / (intensity + h)


class Hazard:
    """One incident's physical process (base class)."""

    kind = ""
    channel = ""

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
        return self.intensity > 0.01 * self.world.p[f"{self.kind}.half_damage"]

    def noticed(self) -> np.ndarray:
        """Cities that see the hazard without being told (most hazards: once it arrives)."""
        return self.arrived()

    def _spared_saturating(self, efforts: np.ndarray, rate: float, share: np.ndarray,
                           steps: float, local_share: np.ndarray | None = None) -> np.ndarray:
        """Loss spared per city if the source emitted `rate` per step for `steps` more steps,
        reaching city j with `share[j]`, cut by (1 - effort)."""
        w = self.world
        c = (1.0 - efforts)[:, None] * (rate * share)[None, :]
        if local_share is not None:  # part of the intensity the effort does not touch
            c = c + (efforts[:, None] * rate * local_share[None, :])
        loss = w.loss_rate[None, :] * steps * w.saturating(self.kind, c)
        return loss[0] - loss


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
        self.share = self.river.arrival_profile(origin)[1]

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

    def spared(self, efforts: np.ndarray) -> np.ndarray:
        return self._spared_saturating(efforts, self.rate / self.world.step_hours, self.share,
                                       self.remaining / self.rate)


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
        self.share = self.river.arrival_profile(origin)[1]
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

    def spared(self, efforts: np.ndarray) -> np.ndarray:
        left = self.hydrograph[self.k:]
        rate = float(left.mean()) if len(left) else 0.0
        return self._spared_saturating(efforts, rate, self.share, len(left), self.local)


class Plume(Hazard):
    kind, channel = "plume", "plume"

    def __init__(self, world: World, origin: int, magnitude: float):
        super().__init__(world, origin, magnitude)
        self.reach, self.lag = world.plume[0][origin], world.plume[1][origin]
        self.decay = 0.5 ** (world.step_hours / world.p["plume.half_life_hours"])
        self.source = magnitude
        self.buffer = np.zeros((int(self.lag.max()) + 2, world.n))
        self.t = 0

    @property
    def done(self) -> bool:
        return self.source == 0.0 and not self.buffer.any()

    def step(self) -> None:
        size = len(self.buffer)
        emitted = self.source * (1.0 - self.control)
        self.source *= self.decay
        if self.source < 1e-3 * max(self.magnitude, 1e-9):
            self.source = 0.0  # burnt out: without this the tail keeps the plume alive for years
        if emitted > 0:
            self.buffer[(self.t + self.lag) % size, np.arange(self.world.n)] += emitted * self.reach
        self.intensity = self.buffer[self.t % size].copy()
        self.buffer[self.t % size] = 0.0
        self.t += 1

    def spared(self, efforts: np.ndarray) -> np.ndarray:
        return self._spared_saturating(efforts, self.source, self.reach,
                                       1.0 / max(1e-9, 1.0 - self.decay))


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

    def spared(self, efforts: np.ndarray) -> np.ndarray:
        w = self.world
        horizon = max(self.days, w.p["accident.duration_days"] - self.age_days)
        mean = self.severity * np.exp(self._growth(efforts) * horizon / 2)
        level = np.minimum(mean, self.cap)[:, None]
        c = np.maximum(0.0, level - w.p["accident.threshold"]) * self.kernel[None, :]
        c[:, self.origin] = level[:, 0]
        loss = w.loss_rate[None, :] * (horizon / self.days) * w.saturating(self.kind, c)
        return loss[0] - loss


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
        self.intensity = cascade(self.direct, self.W, self.world.p["cascade.threshold"])
        self.direct[self.origin] *= max(0.0, 1.0 - self.repair * (1.0 + 2.0 * self.control))

    def damage(self) -> np.ndarray:
        return self.world.p["cascade.max_loss_share"] * self.intensity

    def arrived(self) -> np.ndarray:
        return self.intensity > 0.01

    def spared(self, efforts: np.ndarray) -> np.ndarray:
        w = self.world
        reach = cascade(self.direct, self.W, w.p["cascade.threshold"])
        steps = 1.0 / (self.repair * (1.0 + 2.0 * efforts))
        loss = (w.p["cascade.max_loss_share"] * reach * w.loss_rate)[None, :] * steps[:, None] / 2
        return loss[0] - loss


class Epidemic(Hazard):
    """Contagion carried by commuters: containment and travel restrictions at the origin are its
    source control; measures in cities in emergency mode cut local transmission."""

    kind, channel = "epidemic", "mobility"

    def __init__(self, world: World, origin: int, magnitude: float,
                 rng: np.random.Generator | None = None):
        super().__init__(world, origin, magnitude)
        p = world.p
        self.rng = rng
        self.seir = MetapopSEIR(world.region.population_m * 1e6, p["epidemic.r0"],
                                p["epidemic.incubation_days"], p["epidemic.infectious_days"],
                                world.step_hours / 24.0, world.mobility,
                                stochastic=p["epidemic.stochastic"])
        self.seir.seed(origin, max(1.0, round(magnitude)))
        self.measures = np.zeros(world.n, dtype=bool)
        self.new_cases = np.zeros(world.n)
        # Outbound travel restrictions protect only other cities: the origin imposes them in
        # proportion to the weight it gives their losses (none under 自扫门前雪).
        self._external = p["responsibility.external_weight"]
        # Levers (transmission, travel, measure costs) change only when measures or the
        # origin's control change, so they are rebuilt then, not every step.
        self._levers_key: tuple[bytes, float] | None = None
        self._spared: tuple[bytes, np.ndarray] | None = None
        self._update_reach()

    @property
    def done(self) -> bool:
        return not self.seir.active

    def detectable(self) -> bool:
        return bool(self._noticed[self.origin])

    def step(self) -> None:
        # Measures are in force where a ready city has cases (warning makes them start on day 1).
        self.measures = self.measures & self._arrived
        key = (self.measures.tobytes(), self.control)
        if key != self._levers_key:
            self._levers_key = key
            self._set_levers()
        self.new_cases = self.seir.step(self.rng, self._transmission, self._travel)
        self.intensity = self.seir.I / self.seir.population * 1e5  # per 100,000 residents
        self._update_reach()

    def _set_levers(self) -> None:
        p = self.world.p
        transmission = np.where(self.measures, 1.0 - p["epidemic.measure_effect"], 1.0)
        transmission[self.origin] *= 1.0 - self.control * p["epidemic.containment_effect"]
        travel = np.ones(self.world.n)
        travel[self.origin] = 1.0 - p["epidemic.travel_cut"] * self.control * self._external
        extra_loss = np.where(self.measures, p["epidemic.measure_cost_share"], 0.0) \
            * self.world.loss_rate
        for a in (transmission, travel, extra_loss):
            a.setflags(write=False)
        self._transmission, self._travel, self.extra_loss = transmission, travel, extra_loss

    def _update_reach(self) -> None:
        """Who has had cases, worked out once per step (the model asks several times)."""
        ever = self.seir.population - self.seir.S
        self._arrived = ever >= 1.0
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

    def spared(self, efforts: np.ndarray) -> np.ndarray:
        """Final-size projection: containment lowers the origin's R0, travel cuts lower the
        chance that infected travellers seed each other city.

        The projection depends on the efforts only (not on the epidemic's state), so it is
        worked out once and shared by the daily decisions: read it, do not write it."""
        key = efforts.tobytes()
        if self._spared is None or self._spared[0] != key:
            self._spared = (key, self._project(efforts))
        return self._spared[1]

    def _project(self, efforts: np.ndarray) -> np.ndarray:
        w, p, seir = self.world, self.world.p, self.seir
        r0 = p["epidemic.r0"] * (1.0 - efforts * p["epidemic.containment_effect"])
        z = _final_size(r0)
        n_origin = seir.population[self.origin]
        travellers = w.mobility[self.origin][None, :] * n_origin * z[:, None] \
            * (1.0 - p["epidemic.travel_cut"] * efforts * self._external)[:, None] \
            * p["epidemic.infectious_days"]
        invade = 1.0 - np.exp(-travellers * max(0.0, 1.0 - 1.0 / p["epidemic.r0"]))
        invade[:, self.origin] = 1.0
        zj = np.where(np.arange(w.n) == self.origin, z[:, None], _final_size(
            np.array([p["epidemic.r0"]]))[0])
        loss = invade * zj * seir.population[None, :] * p["epidemic.case_cost"]
        spared = loss[0] - loss
        spared.setflags(write=False)
        return spared


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
