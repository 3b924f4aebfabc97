"""What `python run.py list` prints: regimes side by side, regions, hazards, parameters,
outcomes and charts, all read from the code's own tables so the listing cannot drift."""

from __future__ import annotations

from sim.metrics import OUTCOMES
from sim.params import BY_PATH, PARAMS
from sim.plots import CHART_NAMES
from sim.regimes import REGIMES


def _fmt(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def regimes_table() -> str:
    names = list(REGIMES)
    paths = sorted({p for r in REGIMES.values() for p in r.settings})
    width = max(len(p) for p in paths) + 2
    col = max(14, *(len(n) + 2 for n in names))
    lines = ["".ljust(width) + "".join(n.ljust(col) for n in names)]
    for path in paths:
        row = [_fmt(REGIMES[n].settings.get(path, BY_PATH[path].default)) for n in names]
        lines.append(path.ljust(width) + "".join(v.ljust(col) for v in row))
    return "\n".join(lines)


def describe() -> str:
    out = ["REGIMES (a regime is a preset of the settings below; override any of them)"]
    for r in REGIMES.values():
        out.append(f"  {r.name:<14} {r.label_zh} — {r.doc}")
    out += ["", regimes_table(), "", "REGIONS (region.kind)"]
    out.append("  " + ", ".join(BY_PATH["region.kind"].choices))
    out += ["", "HAZARD KINDS (hazard.kind)"]
    out.append("  " + ", ".join(BY_PATH["hazard.kind"].choices))
    out += ["", "PARAMETERS (dotted path = default [range] unit: meaning 中文)"]
    group = None
    for p in PARAMS:
        if p.group != group:
            group = p.group
            out.append(f"  [{group}]")
        rng = ("{" + ", ".join(p.choices) + "}") if p.choices else (
            f"[{_fmt(p.low)}, {_fmt(p.high)}]" if p.low is not None else "")
        unit = f" {p.unit}" if p.unit else ""
        out.append(f"    {p.path} = {_fmt(p.default)} {rng}{unit}: {p.doc} {p.zh}")
    out += ["", "OUTCOMES (one column per run)"]
    for name, (unit, doc, zh) in OUTCOMES.items():
        out.append(f"  {name:<22} {('(' + unit + ')') if unit else '':<18} {doc} {zh}")
    out += ["", "CHARTS", "  " + ", ".join(CHART_NAMES)]
    return "\n".join(out)
