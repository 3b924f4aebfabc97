"""Fingerprints of a few runs (outcomes, per-city accounts, series, trust), to check that a
change to the model leaves results bit for bit as they were.

    python benchmarks/golden.py write /tmp/golden.json   # before the change
    python benchmarks/golden.py check /tmp/golden.json   # after it: exit 1 on any difference

Extra keyword arguments for RiskModel (e.g. record_events=True) can follow as key=value, to
check that a switch that only observes the model changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import sys

import numpy as np

from sim.model import RiskModel
from sim.regimes import REGIMES

CASES = {
    "chain": {},
    "delta": {"region.kind": "yangtze_delta", "time.horizon_days": 365, "hazard.kind": "none",
              "compensation.bilateral": True,
              "hazard.rates": {"river_spill": 0.2, "plume": 0.2, "accident": 0.5,
                               "cascade": 0.2, "epidemic": {"megacity": 0.1,
                                                            "supercity": 0.05}}},
    "jingjinji": {"region.kind": "jingjinji", "time.horizon_days": 365, "hazard.kind": "none",
                  "trust.model": "beta",
                  "hazard.rates": {"plume": 0.3, "accident": 0.5, "cascade": 0.2}},
}


def digest(m: RiskModel) -> str:
    h = hashlib.sha256()
    out = m.outcomes()
    h.update(json.dumps({k: repr(v) for k, v in sorted(out.items())}).encode())
    for name, values in sorted(m.city_accounts().items()):
        h.update(name.encode() + np.asarray(values, dtype=float).tobytes())
    if m.series is not None:
        h.update(m.series.tobytes())
    h.update(m.trust.tobytes() + m.cooperation.tobytes())
    return h.hexdigest()


def fingerprints(**kwargs) -> dict[str, str]:
    out = {}
    for case, params in CASES.items():
        for regime in REGIMES:
            for seed in (0, 1):
                m = RiskModel(regime, params=params, rng=seed, **kwargs)
                m.run()
                out[f"{case}/{regime}/{seed}"] = digest(m)
    return out


def main(argv: list[str]) -> int:
    mode, path, *extra = argv
    kwargs = {k: v == "True" if v in ("True", "False") else v
              for k, v in (a.split("=", 1) for a in extra)}
    found = fingerprints(**kwargs)
    if mode == "write":
        with open(path, "w") as fh:
            json.dump(found, fh, indent=1)
        print(f"wrote {len(found)} fingerprints to {path}")
        return 0
    with open(path) as fh:
        expected = json.load(fh)
    bad = [k for k in expected if found.get(k) != expected[k]]
    print(f"{len(expected) - len(bad)} of {len(expected)} runs identical"
          + (f"; differ: {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
