"""Evaluation (评估机制): the assessor scores what it measures, and only that.

"形成以……第三方机构阶段性评估为主，综合性协调机构与跨域城市共同体定期自评为辅的评估体系" —
after each incident the assessor (none, self, superior or a third
party) scores the origin on timeliness and honesty and every city with a duty on cooperation.
A criterion met earns `evaluation.reward`, one failed costs as much, unless a lenient assessor
passes it; the stake enters the reporting decision and the learning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.mechanisms.common import NEVER

if TYPE_CHECKING:
    from sim.model import Incident

LENIENCY = {"none": 1.0, "self": 1.0, "superior": 0.5, "third_party": 0.0}  # x self_leniency


def leniency(p: dict) -> float:
    """Chance that the assessor passes a failed criterion."""
    return p["evaluation.self_leniency"] * LENIENCY[p["evaluation.assessor"]]


def evaluation_stake(p: dict, criterion: str) -> float:
    """What meeting a measured criterion is worth against failing it: reward + the penalty
    avoided, discounted by the chance a lenient assessor would have passed the failure."""
    if p["evaluation.assessor"] == "none" or not p[f"evaluation.{criterion}"]:
        return 0.0
    return 2.0 * p["evaluation.reward"] * (1.0 - leniency(p))


def duty_assessment(p: dict, inc: Incident, city: int, kept: bool) -> float:
    """What the assessment of a duty means to the city when it learns: the stake if it kept
    the duty; the penalty and the forgone reward if it shirked and was not let off."""
    stake = evaluation_stake(p, "cooperation")
    if kept:
        return stake
    return 2.0 * p["evaluation.reward"] if stake and inc.u_lenient[city, 2] >= leniency(p) \
        else 0.0


def duty_assessments(p: dict, inc: Incident, cities: np.ndarray,
                     kept: np.ndarray) -> np.ndarray:
    """duty_assessment for every city in `cities` at once."""
    stake = evaluation_stake(p, "cooperation")
    shirked = 2.0 * p["evaluation.reward"] if stake else 0.0
    return np.where(kept, stake,
                    np.where(inc.u_lenient[cities, 2] >= leniency(p), shirked, 0.0))


def assess(p: dict, incident: Incident, duties: dict[int, bool]) -> dict[int, float]:
    """Assess the incident's cities on the measured criteria: the origin on timeliness and
    honesty, every city with a duty on cooperation. Returns the money per city."""
    money: dict[int, float] = {}
    if p["evaluation.assessor"] == "none":
        return money
    lenient = leniency(p)
    reward = p["evaluation.reward"]
    scores: list[tuple[int, int, bool]] = []  # (city, criterion, met)
    if incident.detected_step != NEVER:
        if p["evaluation.timeliness"]:
            scores.append((incident.origin, 0,
                           not (incident.concealed and not incident.silent)))
        if p["evaluation.honesty"]:
            scores.append((incident.origin, 1, not incident.silent))
    if p["evaluation.cooperation"]:
        scores += [(city, 2, kept) for city, kept in duties.items()]
    for city, criterion, met in scores:
        passed = met or incident.u_lenient[city, criterion] < lenient
        money[city] = money.get(city, 0.0) + (reward if passed else -reward)
    return money
