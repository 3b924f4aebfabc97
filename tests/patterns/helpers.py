"""Shared tools of the pattern tests: analytic oracles, rank statistics, toy geographies, and
the settings that switch the model's behavioural mechanisms to neutral.

Why a neutral baseline: each pattern test isolates one mechanism. The model also has learning,
trust, complacency, a reserve, assessment and escalation, whose defaults may change as the model
grows; pinning them here keeps every pattern test meaning what its docstring says.
"""

from __future__ import annotations

import numpy as np

from sim.hazards.epidemic import MetapopSEIR

# Every mechanism that is not under test, off or at its textbook value.
NEUTRAL: dict = {
    "complacency.strength": 0.0,  # act on a warning in activation_hours, however long since a hit
    "trust.initial": 1.0,  # full trust: no extra delay in acting on others' warnings
    "trust.delay_hours": 0.0,
    "learning.initial_cooperation": 1.0,  # every city keeps its duties ...
    "learning.rate": 0.0,  # ... and does not learn otherwise within the run
    "responsibility.list_clarity": 1.0,  # duties hold from the start, no negotiation
    "goals.safety_weight": 1.0,  # a yuan of loss weighs as a yuan of cost
    "escalation.body_capacity": 1e9,  # the centre never takes command
    "reserve.teams": 0,
    "evaluation.assessor": "none",
    "body.offices": False,
    "info.share_resources": False,
    "compensation.bilateral": False,
    "compensation.payout_share": 0.0,
    "compensation.outside_share": 0.0,
    "responsibility.assist_share": 0.0,
    "accountability.audit_prob": 0.0,
    "accountability.peer_audit_prob": 0.0,
    "accountability.penalty": 0.0,
    "accountability.duty_penalty": 0.0,
    "info.report_threshold": 0.0,  # every incident is reported ...
    "info.report_delay_hours": 0.0,  # ... at once, unless a test forces a delay
}


def final_size(r0: float) -> float:
    """Root z in (0, 1] of z = 1 − exp(−R0·z) by bisection (R0 > 1): an oracle independent of
    the model's own solver."""
    lo, hi = 1e-12, 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid - 1.0 + np.exp(-r0 * mid) < 0.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def ranks(x: np.ndarray) -> np.ndarray:
    """Ranks with ties averaged (what Spearman's rho needs)."""
    order = np.argsort(x, kind="stable")
    r = np.empty(len(x))
    r[order] = np.arange(len(x), dtype=float)
    _, inverse = np.unique(x, return_inverse=True)
    return (np.bincount(inverse, r) / np.bincount(inverse))[inverse]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def planar_distances(xy: np.ndarray) -> np.ndarray:
    return np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=-1))


def ring(n: int, radius_km: float) -> np.ndarray:
    """Distances between n cities evenly spaced on a circle."""
    angle = 2 * np.pi * np.arange(n) / n
    return planar_distances(radius_km * np.c_[np.cos(angle), np.sin(angle)])


def run_out(model: MetapopSEIR, rng: np.random.Generator | None = None, max_steps: int = 20_000):
    """Step until the outbreak is over (deterministic: fewer than 1e-3 persons E+I)."""
    for step in range(max_steps):
        if model.E.sum() + model.I.sum() < (0.5 if model.stochastic else 1e-3):
            return step
        model.step(rng)
    raise AssertionError("outbreak did not end")
