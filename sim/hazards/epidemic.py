"""Contagion spillover through mobility: a metapopulation SEIR on a commuting network.

Situation 1 of the article (hazard spreads with people): each city is a well-mixed population and
cities are coupled only through the share of time their residents spend in other cities. The
module is pure numpy so the model can step it for every city at once; only the set-up helper
:func:`shortest_effective_distance` loops (over cities, not per step).

Conventions used throughout (the model must respect them):

* Populations and compartments are **persons** (not millions). Stochastic mode needs whole
  persons; populations are rounded to integers there.
* Time is in **days** (``dt_days``, ``incubation_days``, ``infectious_days``). A 6-hour model step
  is ``dt_days=0.25``.
* Mobility ``P`` is row-stochastic: ``P[i, j]`` is the share of city *i*'s residents who are in
  city *j* on a typical day (commuting/visiting; ``i != j``) and ``P[i, i]`` the share who stay.
  It is a *time share*, independent of the step length: residents always return home, so no
  disease state ever migrates (the commuting model of Balcan et al. 2010, PNAS 107:21484).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

__all__ = [
    "MetapopSEIR",
    "effective_distance",
    "gravity_flows",
    "shortest_effective_distance",
]


def gravity_flows(
    population: ArrayLike,
    dist_km: ArrayLike,
    mobility_rate: float | ArrayLike,
    distance_exponent: float = 2.0,
    min_distance_km: float = 1.0,
) -> FloatArray:
    """Daily commuting shares from a gravity model.

    Why gravity: with no observed flow data, flows ∝ pop_j / d_ij^γ reproduce the broad pattern of
    intercity travel (big, near cities attract most) with one free parameter per city, the share
    of residents who leave at all (``mobility_rate``), which is what travel restrictions act on.

    ``P[i, j]`` (``i != j``) = ``mobility_rate_i * (pop_j / d_ij**γ) / Σ_k≠i (pop_k / d_ik**γ)``,
    so each row's off-diagonal sum is exactly ``mobility_rate_i`` and ``P[i, i] = 1 − rate_i``.
    Distances below ``min_distance_km`` are clipped so coincident cities do not blow up. A city
    with no reachable partner (n = 1, or all others empty) keeps everyone at home.
    """
    pop = np.asarray(population, dtype=float)
    dist = np.asarray(dist_km, dtype=float)
    n = pop.shape[0]
    if pop.ndim != 1 or dist.shape != (n, n):
        raise ValueError(f"population must be (n,), dist_km (n, n); got {pop.shape}, {dist.shape}")
    if np.any(pop < 0):
        raise ValueError("population must be non-negative")
    rate = np.broadcast_to(np.asarray(mobility_rate, dtype=float), (n,))
    if np.any(rate < 0) or np.any(rate > 1):
        raise ValueError("mobility_rate must lie in [0, 1]")

    attraction = pop[None, :] / np.maximum(dist, min_distance_km) ** distance_exponent
    np.fill_diagonal(attraction, 0.0)
    row_sum = attraction.sum(axis=1)
    has_partner = row_sum > 0
    scale = np.divide(rate, row_sum, out=np.zeros(n), where=has_partner)
    flows = attraction * scale[:, None]
    np.fill_diagonal(flows, 1.0 - flows.sum(axis=1))
    return flows


def effective_distance(P: ArrayLike, outflow_normalised: bool = True) -> FloatArray:
    """Effective distance of Brockmann & Helbing (2013, Science 342:1337).

    Direction convention: B&H write ``P_mn`` for the fraction of the flux *leaving n* that goes to
    *m*. Our mobility matrix is row = origin, so B&H's ``P_mn`` is our ``P[n, m]``. The result
    keeps B&H's index order: ``D[m, n] = 1 − ln P_mn`` is the effective length of the hop
    **from n to m** (column = origin, row = destination), i.e. ``D[m, n] = 1 − ln P[n, m]``.

    Why outflow-normalised by default: B&H define ``P_mn = F_mn / Σ_m F_mn``, the share of the
    travellers leaving n (staying at home excluded), so the overall mobility level drops out and
    only the *routing* of traffic matters for arrival order. Pass ``outflow_normalised=False`` to
    use the raw shares of residents instead (adds −ln(rate_n) to every hop from n).

    Missing links are infinitely long; the diagonal is 0 (staying costs nothing).
    """
    flows = np.asarray(P, dtype=float)
    n = flows.shape[0]
    if flows.shape != (n, n):
        raise ValueError(f"P must be square, got {flows.shape}")
    off = flows.copy()
    np.fill_diagonal(off, 0.0)
    if outflow_normalised:
        out = off.sum(axis=1, keepdims=True)
        off = np.divide(off, out, out=np.zeros_like(off), where=out > 0)
    with np.errstate(divide="ignore"):
        hop = 1.0 - np.log(off)  # hop[n, m]: from n to m; log(0) = -inf -> +inf length
    dist = hop.T.copy()
    np.fill_diagonal(dist, 0.0)
    return dist


def shortest_effective_distance(
    P: ArrayLike, source: int, outflow_normalised: bool = True
) -> FloatArray:
    """Length of the shortest effective-distance path from ``source`` to every city.

    B&H show arrival times of a contagion are nearly linear in this quantity, which is why the
    model can use it to explain *who is hit next* independently of geography. Dijkstra with a
    dense O(n²) scan: a Python loop over n, fine for set-up on tens to hundreds of cities.
    Unreachable cities get ``inf``.
    """
    dist = effective_distance(P, outflow_normalised=outflow_normalised)
    n = dist.shape[0]
    if not 0 <= source < n:
        raise IndexError(f"source {source} out of range for {n} cities")
    best = np.full(n, np.inf)
    best[source] = 0.0
    done = np.zeros(n, dtype=bool)
    for _ in range(n):
        candidates = np.where(done, np.inf, best)
        u = int(np.argmin(candidates))
        if not np.isfinite(candidates[u]):
            break
        done[u] = True
        # dist[:, u] = hops from u to every m
        np.minimum(best, best[u] + dist[:, u], out=best)
    return best


class _Compartment:
    """One row of a model's state array, read and written in place (so ``m.S = x`` and
    ``m.R += x`` keep working and never detach a compartment from the state)."""

    def __init__(self, row: int) -> None:
        self.row = row

    def __get__(self, obj: MetapopSEIR | None, owner: type | None = None):
        return self if obj is None else obj._state[self.row]

    def __set__(self, obj: MetapopSEIR, value: ArrayLike) -> None:
        obj._state[self.row] = value


class MetapopSEIR:
    """SEIR in every city, coupled by commuting (force of infection mixes where people are).

    Force of infection on residents of i (per day)::

        λ_i = β · Σ_j P̃[i, j] · τ_j · (Σ_k P̃[k, j] I_k) / (Σ_k P̃[k, j] N_k)

    where P̃ is P with each row's off-diagonal part scaled by ``travel_factor`` (the stay share
    absorbs the rest) and τ_j is ``transmission_factor`` of the city **where contact happens**.
    Why at location j: local measures (closures, masks, distancing) are decided by the city that
    has territorial authority (属地管理) and they act on everyone present, commuters included.

    Discrete time: each step S→E, E→I, I→R happen with probability ``1 − exp(−rate·dt)`` (binomial
    draws in stochastic mode, their expectations otherwise). To keep R0 and the final size
    z = 1 − exp(−R0·z) exact at any step length, the per-step transmission is
    ``R0 · (1 − exp(−dt/infectious_days))`` (expected infections per infective per step, which
    times the mean number of steps infectious equals R0); its per-day equivalent ``self.beta``
    tends to ``R0 / infectious_days`` as dt → 0.

    Persons are conserved per city (residents stay residents): S+E+I+R == population, exactly in
    stochastic mode (integer counts held in float arrays) and to rounding otherwise.

    Deterministic mode never reaches zero on its own and lets fractions of a person seed every
    connected city, so it has no invasion threshold: use stochastic mode for questions about
    whether contagion crosses a border at all. Once fewer than ``extinct_below`` persons are E or
    I in the whole region, they are moved to R so the outbreak ends and quiet steps are free.
    """

    S, E, I, R = (_Compartment(k) for k in range(4))  # noqa: E741 (the standard names)

    def __init__(
        self,
        population: ArrayLike,
        R0: float,
        incubation_days: float,
        infectious_days: float,
        dt_days: float,
        P: ArrayLike | None = None,
        stochastic: bool = False,
        extinct_below: float = 1e-6,
    ) -> None:
        pop = np.atleast_1d(np.asarray(population, dtype=float)).copy()
        if pop.ndim != 1 or np.any(pop < 0):
            raise ValueError("population must be a 1-d array of non-negative person counts")
        if stochastic:
            pop = np.rint(pop)
        n = pop.shape[0]
        flows = np.eye(n) if P is None else np.asarray(P, dtype=float)
        if flows.flags.writeable:  # a read-only P (the run's mobility) is shared, not copied:
            flows = flows.copy()  # every live epidemic reads the one N x N matrix
        if flows.shape != (n, n):
            raise ValueError(f"P must be ({n}, {n}), got {flows.shape}")
        if np.any(flows < -1e-12) or not np.allclose(flows.sum(axis=1), 1.0, atol=1e-9):
            raise ValueError("P must be non-negative with rows summing to 1")
        if R0 < 0 or incubation_days < 0 or infectious_days <= 0 or dt_days <= 0:
            raise ValueError("need R0 >= 0, incubation_days >= 0, infectious_days > 0, dt_days > 0")

        self.n = n
        self.stochastic = stochastic
        self.extinct_below = float(extinct_below)
        self.population = pop
        self.P = flows
        self.R0 = float(R0)
        self.dt_days = float(dt_days)
        self.incubation_days = float(incubation_days)
        self.infectious_days = float(infectious_days)
        # Per-step transition probabilities (incubation 0 = E lasts exactly one step).
        self.p_onset = 1.0 if incubation_days == 0 else float(-np.expm1(-dt_days / incubation_days))
        self.p_recover = float(-np.expm1(-dt_days / infectious_days))
        self.beta_step = self.R0 * self.p_recover
        self.beta = self.beta_step / self.dt_days  # per day; -> R0 / infectious_days as dt -> 0

        self._outflow = 1.0 - np.diag(flows)
        self._pop_present = pop @ flows  # Σ_k P[k, j] N_k without travel restrictions
        # Travel factors change only when a city changes its restrictions, so the mixing they
        # give is kept until they do: (key, P̃, people present, whether every city has some).
        self._mixing: tuple[tuple, FloatArray, FloatArray, bool] | None = None

        # S, E, I, R are rows of one array so a step moves everyone with a few whole-array
        # operations, and the three transitions are drawn in one binomial call (rows in the
        # order S→E, E→I, I→R: the same draws, in the same order, as three calls).
        self._state = np.zeros((4, n))
        self._state[0] = pop
        self._p = np.empty((3, n))  # per-step probabilities of the three transitions
        self._p[1] = self.p_onset
        self._p[2] = self.p_recover
        self._flows = np.zeros((5, n))  # rows 1-3: S→E, E→I, I→R; rows 0 and 4 stay 0
        self._delta = np.empty((4, n))
        self.cumulative_infections = np.zeros(n)

    # ------------------------------------------------------------------ set-up
    def seed(self, city: int, n_infected: float) -> None:
        """Move ``n_infected`` susceptible residents of ``city`` straight to I (index cases)."""
        if n_infected < 0 or n_infected > self.S[city]:
            raise ValueError(f"cannot seed {n_infected} in city {city} (S = {self.S[city]})")
        if self.stochastic and n_infected != int(n_infected):
            raise ValueError("stochastic mode needs a whole number of index cases")
        self.S[city] -= n_infected
        self.I[city] += n_infected
        self.cumulative_infections[city] += n_infected

    def end_in(self, cities: ArrayLike) -> None:
        """End the outbreak in ``cities``: whoever is exposed or infectious there recovers (an
        expected-value outbreak contained below one person is none)."""
        self.R[cities] += self.E[cities] + self.I[cities]
        self.E[cities] = 0.0
        self.I[cities] = 0.0

    # ------------------------------------------------------------------ dynamics
    def mixing_matrix(self, travel_factor: float | ArrayLike = 1.0) -> FloatArray:
        """P̃: P with each city's outflow scaled by ``travel_factor`` (stay share absorbs rest).

        The result is shared with later calls with the same factors: read it, do not write it."""
        return self._mixing_for(travel_factor)[1]

    def _mixing_for(self, travel_factor: float | ArrayLike) -> tuple:
        """P̃ and the people present in each city under it, rebuilt only when the factors
        change: they change when a city imposes or lifts restrictions, not every step."""
        f = np.asarray(travel_factor, dtype=float)
        key = f.shape, f.tobytes()
        if self._mixing is not None and self._mixing[0] == key:
            return self._mixing
        if f.ndim == 0 and f == 1.0:
            mixed, present = self.P, self._pop_present
        else:
            f = np.broadcast_to(f, (self.n,))
            if np.any(f < 0) or np.any(f * self._outflow > 1.0 + 1e-12):
                raise ValueError("travel_factor must be >= 0 and keep each outflow share <= 1")
            mixed = self.P * f[:, None]
            np.fill_diagonal(mixed, 1.0 - f * self._outflow)
            mixed.setflags(write=False)
            present = self.population @ mixed
        self._mixing = (key, mixed, present, bool(np.all(present > 0)))
        return self._mixing

    def infection_probability(
        self,
        transmission_factor: float | ArrayLike = 1.0,
        travel_factor: float | ArrayLike = 1.0,
    ) -> FloatArray:
        """Per-step probability that a susceptible resident of each city is infected."""
        _, mixed, present, everywhere = self._mixing_for(travel_factor)
        infectious_present = self.I @ mixed
        if everywhere:
            prevalence_at = infectious_present / present
        else:
            prevalence_at = np.divide(
                infectious_present, present, out=np.zeros(self.n), where=present > 0
            )
        prevalence_at *= np.asarray(transmission_factor, dtype=float)
        return -np.expm1(-self.beta_step * (mixed @ prevalence_at))

    def step(
        self,
        rng: np.random.Generator | None = None,
        transmission_factor: float | ArrayLike = 1.0,
        travel_factor: float | ArrayLike = 1.0,
    ) -> FloatArray:
        """Advance one step of ``dt_days``; return new infections (S→E) per city of residence.

        ``transmission_factor`` (scalar or per city, 1 = no local measures) scales contacts made
        in each city; ``travel_factor`` (scalar or per city, 1 = no restrictions, 0 = closed)
        scales the outflow of each city's residents. ``rng`` is required in stochastic mode.
        """
        state = self._state
        if not np.count_nonzero(state[1:3]):
            return np.zeros(self.n)  # quiet period: nothing can change
        self._p[0] = self.infection_probability(transmission_factor, travel_factor)
        flows = self._flows
        if self.stochastic:
            if rng is None:
                raise ValueError("stochastic mode needs an rng")
            flows[1:4] = rng.binomial(state[:3].astype(np.int64), self._p)
        else:
            np.multiply(state[:3], self._p, out=flows[1:4])
        # Each compartment gains the flow in and loses the flow out: S −= S→E, E += S→E − E→I, …
        np.subtract(flows[:4], flows[1:], out=self._delta)
        state += self._delta
        new_e = flows[1].copy()
        self.cumulative_infections += new_e
        if not self.stochastic and self.E.sum() + self.I.sum() < self.extinct_below:
            self.R += self.E + self.I
            state[1:3] = 0.0
        return new_e

    def release(self) -> None:
        """Drop what only a running outbreak needs (the mixing under travel cuts, N x N):
        called once the outbreak is over and its incident closed."""
        self._mixing = None

    # ------------------------------------------------------------------ read-outs
    @property
    def active(self) -> bool:
        """True while anyone is exposed or infectious (the model can skip quiet cities)."""
        return bool(np.count_nonzero(self._state[1:3]))

    @property
    def attack_rate(self) -> FloatArray:
        """Share of each city's residents ever infected (seeds included)."""
        return np.divide(
            self.cumulative_infections,
            self.population,
            out=np.zeros(self.n),
            where=self.population > 0,
        )
