"""What `python run.py list` prints: regimes side by side, regions, hazards, parameters,
outcomes and charts, all read from the code's own tables so the listing cannot drift."""

from __future__ import annotations

from sim.metrics import OUTCOMES
from sim.params import BY_PATH, PARAMS
from sim.plots import CHART_NAMES
from sim.regimes import REGIMES
from sim.sources import short as source_of


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
    out += ["", "PARAMETERS (dotted path = default [range] unit: meaning 中文 {source}; "
            "references in docs/sources.md)"]
    group = None
    for p in PARAMS:
        if p.group != group:
            group = p.group
            out.append(f"  [{group}]")
        rng = ("{" + ", ".join(p.choices) + "}") if p.choices else (
            f"[{_fmt(p.low)}, {_fmt(p.high)}]" if p.low is not None else "")
        unit = f" {p.unit}" if p.unit else ""
        shown = "all" if p.kind == "members" else _fmt(p.default)
        out.append(f"    {p.path} = {shown} {rng}{unit}: {p.doc} {p.zh} "
                   f"{{{source_of(p.path)}}}")
    out += ["", "OUTCOMES (one column per run)"]
    for name, (unit, doc, zh) in OUTCOMES.items():
        out.append(f"  {name:<22} {('(' + unit + ')') if unit else '':<18} {doc} {zh}")
    out += ["", "CHARTS", "  " + ", ".join(CHART_NAMES)]
    return "\n".join(out)


def markdown() -> str:
    """docs/parameters.md: every parameter, regime and outcome, generated from the code."""
    out = ["# Parameters, regimes and outcomes", "",
           "Generated from the code by `python -m sim.catalogue > docs/parameters.md`; a test "
           "fails when it is out of date. Every path works in a scenario's `params:`, in a "
           "regime's `set:`, in `sweep:` and on the command line as `--set path=value`. "
           "The keys of a scenario file itself are in [scenarios.md](scenarios.md); what each "
           "mechanism does, with its equations, in [model.md](model.md#6-submodels). The "
           "source column gives the reference behind each default (a key of "
           "[references.bib](references.bib), explained in [sources.md](sources.md)) or marks "
           "it an assumption with the range a study should sweep.", "",
           "## Regimes", "", "| setting | " + " | ".join(REGIMES) + " |",
           "|---|" + "---|" * len(REGIMES)]
    paths = sorted({p for r in REGIMES.values() for p in r.settings})
    for path in paths:
        out.append(f"| `{path}` | " + " | ".join(
            _fmt(r.settings.get(path, BY_PATH[path].default)) for r in REGIMES.values()) + " |")
    out.append("")
    for r in REGIMES.values():
        out.append(f"- **{r.name}** ({r.label_zh}): {r.doc}")
    group = None
    for p in PARAMS:
        if p.group != group:
            group = p.group
            out += ["", f"## `{group}`", "",
                    "| path | default | range | unit | meaning | 中文 | source |",
                    "|---|---|---|---|---|---|---|"]
        rng = (", ".join(p.choices) if p.choices else
               f"[{_fmt(p.low)}, {_fmt(p.high)}]" if p.low is not None else p.expected())
        default = ("all" if p.kind == "members" else  # {} = every city takes part
                   _fmt(p.default) if p.default not in ("", [], {}) else "(none)")
        out.append(f"| `{p.path}` | {default} | {rng} | {p.unit} | {p.doc} | {p.zh} | "
                   f"{source_of(p.path)} |")
    out += ["", "## Outcomes (one column per run)", "", "| name | unit | meaning | 中文 |",
            "|---|---|---|---|"]
    for name, (unit, doc, zh) in OUTCOMES.items():
        out.append(f"| `{name}` | {unit} | {doc} | {zh} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
