"""Accountability (责任追究) and supervision (监督): breaches found out and sanctioned.

"对信息上报不及时、不完全，甚至刻意隐瞒……以及不积极参与跨域联合协作……给予严厉的责任追究和处罚"
— a late or concealed report and a shirked duty are found out with the
detection probability of vertical audit (the superior) and horizontal supervision (peer
cities) together; a duty can be enforced only as far as the responsibility list makes it clear.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model import Incident


def detection_prob(p: dict, peer: bool = True) -> float:
    """Chance a broken rule is found out: vertical and horizontal supervision together (only
    vertical for a city outside horizontal supervision, `peer` False: participation)."""
    vertical = p["accountability.audit_prob"]
    horizontal = p["accountability.peer_audit_prob"] if peer else 0.0
    return 1.0 - (1.0 - vertical) * (1.0 - horizontal)


def duty_catch(p: dict, peer: bool = True) -> float:
    """Chance a shirked duty is found out: only a clear duty can be enforced (责任清单)."""
    return detection_prob(p, peer) * p["responsibility.list_clarity"]


def duty_sanction(p: dict, inc: Incident, city: int, kept: bool, cost: float,
                  peer: bool = True) -> float:
    """The sanction a city weighs for its duty of `cost`: expected if it kept the duty, as
    paid if it shirked (0 when it got away with it: a lucky shirker learns to shirk)."""
    catch = duty_catch(p, peer)
    if kept:
        return catch * p["accountability.duty_penalty"] * cost
    return p["accountability.duty_penalty"] * cost if inc.u_audit[city] < catch else 0.0


def duty_sanctions(p: dict, inc: Incident, cities: np.ndarray, kept: np.ndarray,
                   cost: np.ndarray, peer: np.ndarray) -> np.ndarray:
    """duty_sanction for every city in `cities` at once (the same arithmetic per city)."""
    catch = np.where(peer, duty_catch(p, True), duty_catch(p, False))
    penalty = p["accountability.duty_penalty"]
    return np.where(kept, catch * penalty * cost,
                    np.where(inc.u_audit[cities] < catch, penalty * cost, 0.0))
