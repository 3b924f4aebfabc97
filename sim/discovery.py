"""Scenario discovery and robust regime choice: under which conditions does coordination fail?

A study whose scenario has a ``discovery:`` block (sim.scenario.check_discovery validates it)
and a sweep over uncertain parameters (an ``lhs`` sample, usually) is analysed here from its
results folder, with the scenario-discovery tools of the EMA Workbench (ema-workbench 3,
BSD; Kwakkel 2017) run on plain DataFrames:

* A **condition** compares two regimes in the same draw (the same replication at the same
  sweep point, so both faced the same incidents: common random numbers), e.g. "coordinated's
  spillover loss is not lower than territorial's", or one city's account ("Shanghai's net
  burden under coordinated is higher than under territorial"). Each draw is a case; the
  condition holds in it or not (``per: point`` takes the mean difference over a point's
  replications instead).
* **PRIM** (``ema_workbench.analysis.prim``, Friedman and Fisher 1999; Bryant and Lempert
  2010) peels the swept space down to boxes where the condition holds densely. Each box has a
  *coverage* (the share of all the cases where the condition holds that fall in the box),
  a *density* (the share of the box's cases where it holds) and the dimensions it restricts.
  Peeling trades coverage for density; the box chosen on that trajectory is the one of
  largest coverage whose density reaches ``min_density`` (else the one that maximises
  coverage x density, and the report says so). Up to ``boxes`` boxes are found in turn, each
  among the cases the earlier ones left.
* **CART** (``ema_workbench.analysis.cart``, a scikit-learn tree of depth at most 3) splits
  the same cases into leaves; its leaves where the condition holds most are a second,
  independent description (trees split one dimension at a time, PRIM peels gently).
* **Feature scores** (``ema_workbench.analysis.feature_scoring``, extra trees with a fixed
  seed) rank every input by how much it tells about the condition.
* **Regret** (``regret:``): in every draw, each regime's loss minus the best regime's loss in
  that draw, its distribution per regime and the share of draws in which each regime is best.

Everything is deterministic: PRIM and the box choice have no randomness, CART and the extra
trees use fixed seeds, so the same results give the same tables bit for bit.

Outputs (``write``): ``discovery/boxes.csv`` (one row per condition, box and input),
``discovery/trajectory.csv`` (the peeling trajectories), ``discovery/cart.csv`` (the tree's
leaves), ``discovery/feature_scores.csv``, ``discovery/cases.csv`` (every case with its
difference and whether the condition holds), ``discovery/regret.csv`` (per regime) and
``discovery/regret_draws.csv``; the charts ``discovery_tradeoff``, ``discovery_boxes`` and
``regret`` (sim.plots draws them, English and Chinese) and a section of the report
(``add_section``). See docs/discovery.md.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.study import Results

FOLDER = "discovery"
SPEC_FILE = "spec.json"  # the discovery block the tables of discovery/ were computed from
SEED = 20240601  # CART and the extra trees: fixed, so the same results give the same tables
CART_DEPTH = 3  # a tree a reader can follow
TREES = 200  # extra trees for the feature scores
CHARTS = ("discovery_tradeoff", "discovery_boxes", "regret")


def charts_of(spec: dict) -> tuple[str, ...]:
    """The discovery charts a block allows (regret only with a regret: entry)."""
    return tuple(c for c in CHARTS if c != "regret" or spec.get("regret"))


class DiscoveryError(ValueError):
    """A discovery block that cannot be applied to these results (the message says why)."""


# --- the cases ------------------------------------------------------------------------------
def _city_rows(accounts: pd.DataFrame, city) -> pd.DataFrame:
    """The accounts of one city (by index, id, English or Chinese name)."""
    if isinstance(city, int) and "city" in accounts:
        rows = accounts[accounts["city"] == city]
    else:
        rows = pd.DataFrame()
        for column in ("city_id", "name_en", "name_zh"):
            if column in accounts:
                rows = accounts[accounts[column].astype(str) == str(city)]
                if len(rows):
                    break
    if rows.empty:
        raise DiscoveryError(f"city {city!r} is not in the per-city accounts of this study")
    return rows


def _values(runs: pd.DataFrame, accounts: pd.DataFrame | None, cond: dict) -> pd.Series:
    """The condition's outcome per run (indexed like `runs`)."""
    if "city" not in cond:
        if cond["outcome"] not in runs:
            raise DiscoveryError(f"outcome {cond['outcome']!r} is not in runs.csv")
        return runs[cond["outcome"]].astype(float)
    if accounts is None:
        raise DiscoveryError("a condition on a city needs the per-city accounts (accounts/), "
                             "which this results folder lacks")
    rows = _city_rows(accounts, cond["city"]).set_index("run_id")[cond["outcome"]]
    return runs["run_id"].map(rows).astype(float)


def cases(runs: pd.DataFrame, cond: dict, inputs: list[str], per: str = "draw",
          accounts: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per case (a draw: replication x sweep point, or a point with per='point'): the
    inputs, the two regimes' values, their difference (regime - versus) and `holds`."""
    missing = [p for p in inputs if p not in runs]
    if missing:
        raise DiscoveryError(f"the results hold no column for {', '.join(missing)}")
    value = _values(runs, accounts, cond)
    frame = runs[["regime", "point", "replication", *inputs]].assign(value=value)
    keys = ["point", "replication"]
    a = frame[frame["regime"] == cond["regime"]].set_index(keys)
    b = frame[frame["regime"] == cond["versus"]].set_index(keys)
    if a.empty or b.empty:
        raise DiscoveryError(f"the results hold no runs of {cond['regime']!r} or "
                             f"{cond['versus']!r}")
    both = a[[*inputs, "value"]].rename(columns={"value": "regime_value"}).join(
        b[["value"]].rename(columns={"value": "versus_value"}), how="inner")
    both = both.dropna(subset=["regime_value", "versus_value"]).reset_index()
    both["difference"] = both["regime_value"] - both["versus_value"]
    if cond.get("relative"):  # as a share of the other regime's value (NaN where it is 0)
        base = both["versus_value"].abs().where(both["versus_value"] != 0)
        both["difference"] = both["difference"] / base
        both = both.dropna(subset=["difference"]).reset_index(drop=True)
    if per == "point":
        both = (both.groupby("point", sort=True)
                .agg({**{p: "first" for p in inputs}, "regime_value": "mean",
                      "versus_value": "mean", "difference": "mean",
                      "replication": "size"})
                .rename(columns={"replication": "n_draws"}).reset_index())
    both["holds"] = holds(both["difference"].to_numpy(dtype=float), cond["holds"],
                          float(cond.get("threshold", 0)))
    return both.sort_values([c for c in ("point", "replication") if c in both],
                            ignore_index=True)


def holds(difference: np.ndarray, rule: str, threshold: float = 0.0) -> np.ndarray:
    """Whether regime - versus is higher (> t), not_lower (>= t), lower (< t) or not_higher
    (<= t) than the threshold t."""
    return {"higher": difference > threshold, "not_lower": difference >= threshold,
            "lower": difference < threshold, "not_higher": difference <= threshold}[rule]


def _inputs_frame(frame: pd.DataFrame, inputs: list[str]) -> pd.DataFrame:
    """The inputs as PRIM and CART want them: numbers as floats, the rest as text."""
    x = pd.DataFrame(index=range(len(frame)))
    for p in inputs:
        column = frame[p].reset_index(drop=True)
        if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
            x[p] = column.astype(str)
        else:
            x[p] = column.astype(float)
    return x


# --- PRIM, CART, feature scores --------------------------------------------------------------
def _ema():
    """The EMA Workbench's analysis modules (imported quietly: it warns that an optional
    parallel back end, which kuayu does not use, is missing)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import cart, feature_scoring, prim
        from ema_workbench.analysis.scenario_discovery_util import RuleInductionType
    return prim, cart, feature_scoring, RuleInductionType


def _choose(trajectory: pd.DataFrame, min_density: float) -> tuple[int, bool]:
    """The box chosen on a peeling trajectory: the largest coverage among boxes whose density
    reaches min_density (ties: fewer restricted dimensions, then higher density); if none
    does, the box that maximises coverage x density. Returns (index, density target met)."""
    ok = trajectory[trajectory["density"] >= min_density - 1e-12]
    if len(ok):
        best = ok.sort_values(["coverage", "res_dim", "density", "id"],
                              ascending=[False, True, False, True], kind="stable")
        return int(best.index[0]), True
    score = trajectory["coverage"] * trajectory["density"]
    return int(score.idxmax()), False


def _restricted(lims: pd.DataFrame, init: pd.DataFrame) -> list[str]:
    out = []
    for c in init.columns:
        lo, hi = lims.loc[0, c], lims.loc[1, c]
        if isinstance(lo, set):
            if lo != init.loc[0, c]:
                out.append(c)
        elif lo > init.loc[0, c] or hi < init.loc[1, c]:
            out.append(c)
    return out


def prim_boxes(x: pd.DataFrame, y: np.ndarray, min_density: float = 0.8,
               mass_min: float = 0.05, peel_alpha: float = 0.05, boxes: int = 2,
               max_qp: float | None = 0.05) -> tuple[list[dict], pd.DataFrame]:
    """PRIM boxes for the cases `x` where `y` (0/1) holds: a list of boxes (coverage,
    density, mass, cases, restricted inputs with their bounds and quasi-p values) and the
    peeling trajectory of every box (with the chosen step marked). A restriction of the
    chosen box whose quasi-p value exceeds `max_qp` is dropped, the weakest first (None keeps
    every restriction PRIM made)."""
    prim, *_ = _ema()
    y = np.asarray(y, dtype=int)
    found, trajectories = [], []
    if y.sum() == 0 or y.sum() == len(y):
        return found, pd.DataFrame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alg = prim.Prim(x, y, mass_min=mass_min, peel_alpha=peel_alpha)
        init = alg.box_init
        taken = np.zeros(len(y), dtype=bool)
        for k in range(1, boxes + 1):
            if not y[~taken].any():  # every case where it holds is in a box already
                break
            box = alg.find_box()
            if box is None:
                break
            peeled = len(box.peeling_trajectory)
            i, met = _choose(box.peeling_trajectory.reset_index(drop=True), min_density)
            box.select(i)
            dropped = []
            while max_qp is not None and len(_restricted(box.box_lims[i], init)) > 1:
                # drop the restriction least supported by its quasi-p values (Bryant and
                # Lempert 2010): ema_workbench's drop_restriction adds the wider box to the
                # trajectory, with its own coverage, density and quasi-p values
                qps = {c: min((v for v in map(_qp, q) if math.isfinite(v)), default=math.nan)
                       for c, q in box.p_values[i].items()
                       if c in _restricted(box.box_lims[i], init)}
                weak = {c: v for c, v in qps.items() if math.isfinite(v) and v > max_qp}
                if not weak:
                    break
                worst = max(sorted(weak), key=lambda c: weak[c])
                box.drop_restriction(worst, i)
                dropped.append(worst)
                i = len(box.peeling_trajectory) - 1
                box.select(i)
            trajectory = box.peeling_trajectory.reset_index(drop=True)
            chosen_met = met
            met = bool(trajectory.loc[i, "density"] >= min_density - 1e-12) if dropped else met
            lims = box.box_lims[i]
            dims = _restricted(lims, init)
            traj = trajectory[["id", "coverage", "density", "mass", "res_dim", "n", "k"]]
            trajectories.append(traj.assign(box=k, chosen=traj.index == i,
                                            peeling=traj.index < peeled))
            if not dims:  # the whole space: no box describes where the condition holds
                break
            if trajectory.loc[i, "density"] <= y.mean() and found:
                break  # a later box no denser than the whole space says nothing
            taken[box.yi] = True
            qp = box.p_values[i] if i < len(box.p_values) else {}
            row = trajectory.loc[i]
            found.append({
                "box": k, "step": int(row["id"]), "coverage": float(row["coverage"]),
                "density": float(row["density"]), "mass": float(row["mass"]),
                "res_dim": len(dims), "n_cases": int(row["n"]), "n_holds": int(row["k"]),
                "density_target_met": met, "target_met_before_drop": chosen_met,
                "limits": {c: (lims.loc[0, c], lims.loc[1, c]) for c in init.columns},
                "range": {c: (init.loc[0, c], init.loc[1, c]) for c in init.columns},
                "restricted": dims, "dropped": dropped,
                "qp": {c: list(qp.get(c, [np.nan, np.nan])) for c in dims}})
    trajectory = (pd.concat(trajectories, ignore_index=True) if trajectories
                  else pd.DataFrame())
    return found, trajectory


def _bounds_of(x: pd.DataFrame) -> pd.DataFrame:
    """The box that holds every case: min and max of numbers, the set of values of text."""
    return pd.DataFrame({c: ([set(x[c]), set(x[c])] if x[c].dtype == object
                             else [x[c].min(), x[c].max()]) for c in x.columns})


def cart_leaves(x: pd.DataFrame, y: np.ndarray, mass_min: float = 0.05) -> pd.DataFrame:
    """The leaves of a CART tree (ema_workbench's CART over a scikit-learn tree of depth at
    most CART_DEPTH, fixed seed): coverage, density, mass and the rule of each leaf."""
    _prim, cart, _fs, _rt = _ema()
    from sklearn.tree import DecisionTreeClassifier

    y = np.asarray(y, dtype=int)
    if y.sum() == 0 or y.sum() == len(y):
        return pd.DataFrame(columns=["leaf", "coverage", "density", "mass", "res_dim",
                                     "rule"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = cart.CART(x, y, mass_min=mass_min)
        # ema_workbench's build_tree() grows an unbounded tree without a seed; the same
        # classifier with a depth limit and a fixed seed keeps the leaves readable and the
        # result reproducible
        tree.clf = DecisionTreeClassifier(min_samples_leaf=max(1, int(mass_min * len(y))),
                                          max_depth=CART_DEPTH, random_state=SEED)
        tree.clf.fit(tree._x, tree.y)
        boxes, stats = tree.boxes, tree.stats
    init = _bounds_of(x)
    rows = []
    for k, (lims, st) in enumerate(zip(boxes, stats, strict=True), start=1):
        dims = _restricted(lims, init)
        rows.append({"leaf": k, "coverage": float(st["coverage"]),
                     "density": float(st["density"]), "mass": float(st["mass"]),
                     "res_dim": len(dims),
                     "limits": {c: (lims.loc[0, c], lims.loc[1, c]) for c in dims},
                     "range": {c: (init.loc[0, c], init.loc[1, c]) for c in dims}})
    return pd.DataFrame(rows)


def feature_scores(x: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    """How much each input tells about the condition: extra-trees feature importance
    (ema_workbench.analysis.feature_scoring, fixed seed), with rank 1 the most informative."""
    _prim, _cart, fs, rule = _ema()
    y = np.asarray(y, dtype=int)
    if y.sum() == 0 or y.sum() == len(y):
        return pd.DataFrame(columns=["parameter", "score", "rank"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores, _forest = fs.get_ex_feature_scores(x, y, mode=rule.CLASSIFICATION,
                                                   nr_trees=TREES, random_state=SEED)
    table = scores.reset_index()
    table.columns = ["parameter", "score"]
    table = table.sort_values(["score", "parameter"], ascending=[False, True],
                              ignore_index=True)
    table["rank"] = np.arange(1, len(table) + 1)
    return table


# --- regret ---------------------------------------------------------------------------------
def regret(runs: pd.DataFrame, outcome: str, regimes: list[str]
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each regime's regret in every draw (the same replication at the same sweep point): its
    outcome minus the least outcome of the regimes in that draw (less is better), and per
    regime the mean, median, 90th percentile and largest regret and the share of draws in
    which it is best (regret 0; regimes that tie for best all count as best). Draws where a
    regime has no value are left out."""
    rows = runs[runs["regime"].isin(regimes)]
    wide = rows.pivot_table(index=["point", "replication"], columns="regime", values=outcome,
                            aggfunc="first", dropna=False)
    wide = wide.reindex(columns=regimes).dropna()
    best = wide.min(axis=1)
    reg = wide.sub(best, axis=0)
    draws = reg.stack().rename("regret").reset_index()
    draws = draws.rename(columns={"level_2": "regime"})
    draws["value"] = wide.stack().to_numpy()
    draws["best"] = draws["regret"] == 0
    summary = pd.DataFrame({
        "regime": regimes, "outcome": outcome, "n_draws": len(wide),
        "mean_value": [wide[r].mean() for r in regimes],
        "mean_regret": [reg[r].mean() for r in regimes],
        "median_regret": [reg[r].median() for r in regimes],
        "p90_regret": [reg[r].quantile(0.9) if len(reg) else np.nan for r in regimes],
        "max_regret": [reg[r].max() for r in regimes],
        "share_best": [(reg[r] == 0).mean() if len(reg) else np.nan for r in regimes]})
    return draws[["point", "replication", "regime", "value", "regret", "best"]], summary


# --- the whole analysis ---------------------------------------------------------------------
@dataclass
class Found:
    """Scenario discovery for one condition."""

    condition: dict
    cases: pd.DataFrame
    boxes: list[dict]
    trajectory: pd.DataFrame
    cart: pd.DataFrame
    scores: pd.DataFrame

    @property
    def base_rate(self) -> float:
        return float(self.cases["holds"].mean()) if len(self.cases) else math.nan


@dataclass
class Discovery:
    spec: dict
    found: list[Found] = field(default_factory=list)
    regret_draws: pd.DataFrame | None = None
    regret: pd.DataFrame | None = None


def analyse(runs: pd.DataFrame, spec: dict, accounts: pd.DataFrame | None = None
            ) -> Discovery:
    """Every condition of a (validated) discovery block, and the regret table."""
    out = Discovery(spec)
    inputs = spec["inputs"]
    for cond in spec["conditions"]:
        table = cases(runs, cond, inputs, spec.get("per", "draw"), accounts)
        x = _inputs_frame(table, inputs)
        y = table["holds"].to_numpy(dtype=int)
        boxes, trajectory = prim_boxes(x, y, spec["min_density"], spec["mass_min"],
                                       spec["peel_alpha"], spec["boxes"],
                                       spec.get("max_qp", 0.05))
        out.found.append(Found(cond, table, boxes, trajectory,
                               cart_leaves(x, y, spec["mass_min"]), feature_scores(x, y)))
    if spec.get("regret"):
        present = [r for r in spec["regret"]["regimes"] if r in set(runs["regime"])]
        if len(present) > 1:
            out.regret_draws, out.regret = regret(runs, spec["regret"]["outcome"], present)
    return out


def spec_of(results: Results) -> dict | None:
    """The discovery block in force for a results folder: the one `python run.py discover
    --from` last applied (discovery/spec.json), else the scenario's own."""
    path = results.path / FOLDER / SPEC_FILE
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    return results.manifest["scenario"].get("discovery")


def of(results: Results, spec: dict | None = None) -> Discovery | None:
    """analyse() for a results folder (kept on the Results object once computed)."""
    spec = spec or spec_of(results)
    if not spec:
        return None
    key = json.dumps(spec, sort_keys=True, default=str)
    cached = getattr(results, "_discovery", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    found = analyse(results.runs, spec, getattr(results, "accounts", None)
                    if any("city" in c for c in spec["conditions"]) else None)
    results._discovery = (key, found)
    return found


def _fmt_limit(value) -> Any:
    return sorted(value) if isinstance(value, set) else value


def boxes_table(found: Discovery) -> pd.DataFrame:
    """boxes.csv: one row per condition, box and restricted input."""
    rows = []
    for f in found.found:
        for b in f.boxes:
            for p in b["restricted"]:
                lo, hi = b["limits"][p]
                r_lo, r_hi = b["range"][p]
                qp = b["qp"].get(p, [np.nan, np.nan])
                numeric = not isinstance(lo, set)
                rows.append({
                    "condition": f.condition["name"], "box": b["box"],
                    "coverage": b["coverage"], "density": b["density"], "mass": b["mass"],
                    "res_dim": b["res_dim"], "n_cases": b["n_cases"],
                    "n_holds": b["n_holds"], "base_rate": f.base_rate,
                    "density_target_met": b["density_target_met"], "parameter": p,
                    "low": lo if numeric else json.dumps(_fmt_limit(lo)),
                    "high": hi if numeric else "",
                    "range_low": r_lo if numeric else json.dumps(_fmt_limit(r_lo)),
                    "range_high": r_hi if numeric else "",
                    "restricts_low": bool(numeric and lo > r_lo),
                    "restricts_high": bool(numeric and hi < r_hi),
                    "qp_low": _qp(qp[0]), "qp_high": _qp(qp[1])})
    columns = ["condition", "box", "coverage", "density", "mass", "res_dim", "n_cases",
               "n_holds", "base_rate", "density_target_met", "parameter", "low", "high",
               "range_low", "range_high", "restricts_low", "restricts_high", "qp_low",
               "qp_high"]
    return pd.DataFrame(rows, columns=columns)


def _qp(value) -> float:
    """A quasi-p value (NaN where that side of the box is not restricted: ema marks it -1)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan
    return v if v >= 0 else math.nan


def write(results: Results, spec: dict | None = None) -> list[Path]:
    """The tables of discovery/ for the block in force (or `spec`, which then stays in
    force: discovery/spec.json), written atomically; [] for a study without a block."""
    from sim import safeio
    from sim.study import _atomic_csv

    chosen = spec or results.manifest["scenario"].get("discovery") or spec_of(results)
    if not chosen:
        return []
    found = of(results, chosen)
    folder = results.path / FOLDER
    safeio.check_inside(results.path, folder / SPEC_FILE)
    out = []

    def csv(name: str, table: pd.DataFrame) -> None:
        path = folder / name
        _atomic_csv(table, path)
        out.append(path)

    csv("boxes.csv", boxes_table(found))
    traj = [f.trajectory.assign(condition=f.condition["name"]) for f in found.found
            if not f.trajectory.empty]
    csv("trajectory.csv", pd.concat(traj, ignore_index=True)[
        ["condition", "box", "id", "coverage", "density", "mass", "res_dim", "n", "k",
         "peeling", "chosen"]] if traj else pd.DataFrame(columns=["condition", "box", "id"]))
    leaves = []
    for f in found.found:
        if f.cart.empty:
            continue
        t = f.cart.copy()
        t["rule"] = [rule_text(lim, "en", plain=True) for lim in t["limits"]]
        leaves.append(t.drop(columns=["limits", "range"]).assign(
            condition=f.condition["name"]))
    csv("cart.csv", pd.concat(leaves, ignore_index=True)[
        ["condition", "leaf", "coverage", "density", "mass", "res_dim", "rule"]]
        if leaves else pd.DataFrame(columns=["condition", "leaf", "rule"]))
    scores = [f.scores.assign(condition=f.condition["name"]) for f in found.found
              if not f.scores.empty]
    csv("feature_scores.csv", pd.concat(scores, ignore_index=True)[
        ["condition", "parameter", "score", "rank"]] if scores
        else pd.DataFrame(columns=["condition", "parameter", "score", "rank"]))
    csv("cases.csv", pd.concat([f.cases.assign(condition=f.condition["name"])
                                for f in found.found], ignore_index=True))
    if found.regret is not None:
        csv("regret.csv", found.regret)
        csv("regret_draws.csv", found.regret_draws)
    else:
        for name in ("regret.csv", "regret_draws.csv"):  # from an earlier block
            (folder / name).unlink(missing_ok=True)
    safeio.atomic_text(folder / SPEC_FILE, json.dumps(chosen, ensure_ascii=False, indent=1,
                                                      default=str) + "\n", root=results.path)
    out.append(folder / SPEC_FILE)
    return out


# --- words ------------------------------------------------------------------------------------
RELATION = {
    "en": {"higher": "higher than", "not_lower": "not lower than", "lower": "lower than",
           "not_higher": "not higher than"},
    "zh": {"higher": "高于", "not_lower": "不低于", "lower": "低于", "not_higher": "不高于"},
}
OPERATOR = {"higher": ">", "not_lower": "≥", "lower": "<", "not_higher": "≤"}


def condition_text(cond: dict, lang: str, labels: dict[str, str]) -> str:
    """The condition in words: its label, or one made from its parts ("coordinated's
    spillover loss is not lower than territorial's")."""
    from sim.plots import UNIT_ZH, outcome_name

    own = cond.get("label_zh" if lang == "zh" else "label") or \
        (cond.get("label") if lang == "zh" else None)
    if own:
        return str(own)
    a, b = labels.get(cond["regime"], cond["regime"]), labels.get(cond["versus"],
                                                                  cond["versus"])
    outcome = _account_name(cond["outcome"], lang) if "city" in cond else \
        outcome_name(cond["outcome"], lang)
    t = float(cond.get("threshold", 0))
    city = str(cond.get("city", ""))
    if cond.get("relative") and t:
        change = {"higher": ("rises by more than", "上升超过"),
                  "not_lower": ("rises by at least", "上升至少"),
                  "lower": ("rises by less than", "上升不足"),
                  "not_higher": ("rises by at most", "上升至多")}[cond["holds"]]
        if t < 0:
            change = {"higher": ("falls by less than", "下降不足"),
                      "not_lower": ("falls by at most", "下降至多"),
                      "lower": ("falls by more than", "下降超过"),
                      "not_higher": ("falls by at least", "下降至少")}[cond["holds"]]
        pct = f"{100 * abs(t):g}%"
        if lang == "zh":
            who = f"{city}的" if city else ""
            return f"{who}{outcome}在{a}下比{b}{change[1]}{pct}"
        who = f"{city}'s " if city else ""
        return f"{who}{outcome} under {a} {change[0]} {pct} against {b}"
    if t:
        unit = _unit(cond)
        unit = UNIT_ZH.get(unit, unit) if lang == "zh" else unit
        op = OPERATOR[cond["holds"]]
        if lang == "zh":
            who = f"{city}的" if city else ""
            return f"{who}{outcome}（{a}减{b}）{op} {t:g}{unit}"
        who = f"{city}'s " if city else ""
        return f"{who}{outcome} under {a} minus under {b} {op} {t:g}{' ' + unit if unit else ''}"
    rel = RELATION[lang][cond["holds"]]
    if lang == "zh":
        if city:
            return f"{city}在{a}下的{outcome}{rel}{b}下"
        return f"{a}下的{outcome}{rel}{b}"
    if city:
        return f"{city}'s {outcome} under {a} is {rel} under {b}"
    return f"{a}'s {outcome} is {rel} {b}'s"


def _unit(cond: dict) -> str:
    from sim.metrics import OUTCOMES

    if "city" in cond:
        return "100 million CNY"
    return OUTCOMES.get(cond["outcome"], ("",))[0]


ACCOUNT_NAMES = {"loss": "损失", "source_control_cost": "源头控制成本",
                 "assist_cost": "协助成本", "fund_in": "补偿基金缴费",
                 "fund_out": "获得的基金补偿", "sanctions": "问责处罚", "evaluation": "考核奖惩",
                 "bilateral": "横向补偿", "net_burden": "净负担"}


def _account_name(account: str, lang: str) -> str:
    if lang == "zh":
        return ACCOUNT_NAMES.get(account, account)
    return account.replace("_", " ")


def _number(v: float) -> str:
    if not math.isfinite(v):
        return "–"
    return f"{v:.3g}" if abs(v) < 1e4 else f"{v:,.0f}"


def bound_text(path: str, lo, hi, r_lo, r_hi, lang: str, plain: bool = False) -> str:
    """One restriction in words: '`info.report_delay_hours` ≥ 36.2 h', '0.1 ≤ ... ≤ 0.4'
    (with the parameter's Chinese name in Chinese); `plain` drops the code marks."""
    from sim.params import BY_PATH
    from sim.plots import UNIT_ZH

    p = BY_PATH.get(path)
    unit = p.unit if p is not None else ""
    if lang == "zh":
        unit = UNIT_ZH.get(unit, unit)
    unit = f" {unit}" if unit else ""
    name = path if plain else f"`{path}`"
    if lang == "zh" and p is not None and p.zh:
        name = f"{p.zh}（{name}）"
    if isinstance(lo, set):
        values = ", ".join(str(v) for v in sorted(lo))
        return f"{name} ∈ {{{values}}}"
    low, high = lo > r_lo, hi < r_hi
    if low and high:
        return f"{_number(lo)} ≤ {name} ≤ {_number(hi)}{unit}"
    if low:
        return f"{name} ≥ {_number(lo)}{unit}"
    return f"{name} ≤ {_number(hi)}{unit}"


def rule_text(limits: dict, lang: str, ranges: dict | None = None, plain: bool = False) -> str:
    """A box's restrictions joined by 'and' ('且' in Chinese)."""
    joiner = " and " if lang == "en" else "且"
    parts = []
    for path, (lo, hi) in limits.items():
        r_lo, r_hi = (ranges or {}).get(path, (-math.inf, math.inf))
        parts.append(bound_text(path, lo, hi, r_lo, r_hi, lang, plain))
    return joiner.join(parts)


TEXT = {
    "en": {
        "h2": "Scenario discovery: where the conditions hold",
        "intro": "Each case is one draw: a replication at one sweep point, where both regimes "
                 "faced the same incidents{per}. PRIM (EMA Workbench) peels the space of "
                 "{inputs} down to boxes where the condition holds densely: coverage is the "
                 "share of all the cases where it holds that fall in the box, density the "
                 "share of the box's cases where it holds. docs/discovery.md explains how to "
                 "read them.",
        "per_point": " (here: the mean difference over a point's {n} replications)",
        "h3": "Condition {k}: {text}",
        "base": "The condition holds in {share} of the {n} cases (base rate).",
        "sentence": "{text} when {rule}: coverage {cov}, density {dens}.",
        "sentence_more": "Box {k} (among the cases box 1 leaves): {text} when {rule}: "
                         "coverage {cov}, density {dens}.",
        "not_met": " No box on the peeling trajectory reached the density target {target}; "
                   "this box maximises coverage × density.",
        "dropped": " Dropping the restrictions on {dims}, which their quasi-p values (> {qp}) "
                   "do not support, took the density below the target {target}.",
        "no_box": "No box: the condition holds about equally across the swept space (PRIM "
                  "restricts no input), or in none or all of the cases.",
        "box_table": ["Box", "Input", "Restriction", "Sampled range", "Quasi-p"],
        "box_note": "Boxes chosen on the peeling trajectory: the largest coverage with "
                    "density ≥ {target}. Quasi-p: one-sided binomial test that the "
                    "restriction adds density (Bryant and Lempert 2010); large values mark a "
                    "restriction that could be dropped. Every box and step: "
                    "discovery/boxes.csv, discovery/trajectory.csv.",
        "cart": "CART leaves where the condition holds most (tree of depth ≤ {depth})",
        "cart_table": ["Leaf", "Rule", "Coverage", "Density", "Share of cases"],
        "cart_note": "Leaves with a density above the base rate, densest first; every leaf: "
                     "discovery/cart.csv.",
        "scores": "Feature scores",
        "scores_table": ["Rank", "Input", "Score"],
        "scores_note": "Extra-trees feature importance (scores add up to 1): how much each "
                       "input tells about whether the condition holds; "
                       "discovery/feature_scores.csv.",
        "regret_h2": "Robust regime choice: regret",
        "regret_intro": "In every draw (the same replication at the same sweep point), each "
                        "regime's {outcome} minus the least {outcome} of the regimes in that "
                        "draw; {n} draws. A robust choice has a small regret in most draws, "
                        "not only a good mean.",
        "regret_table": ["Regime", "Mean {outcome}", "Mean regret", "90th percentile",
                         "Largest regret", "Share of draws best"],
        "regret_sentence": "{best} is best in {share} of the {n} draws; its regret averages "
                           "{mean} (90th percentile {p90}); the regime with the smallest "
                           "largest regret is {minimax} ({max}).",
        "regret_note": "Regimes that tie for best in a draw all count as best, so the shares "
                       "may add up to more than 100%. Per draw: discovery/regret_draws.csv; "
                       "table: discovery/regret.csv.",
    },
    "zh": {
        "h2": "情景发现：条件在参数空间的何处成立",
        "intro": "每个案例是一次抽样：某参数点上的一次重复运行，两种治理模式面对相同的事件{per}。"
                 "耐心规则归纳法（PRIM，EMA Workbench）在{inputs}构成的空间中逐步剥离，"
                 "找出条件密集成立的参数盒：覆盖率是条件成立的全部案例中落在盒内的比例，"
                 "密度是盒内案例中条件成立的比例。解读方法见 docs/discovery.md。",
        "per_point": "（此处为每个参数点{n}次重复运行的平均差值）",
        "h3": "条件{k}：{text}",
        "base": "条件在全部{n}个案例中的{share}成立（基准比例）。",
        "sentence": "当{rule}时，{text}：覆盖率 {cov}，密度 {dens}。",
        "sentence_more": "参数盒{k}（在参数盒1之外的案例中）：当{rule}时，{text}：覆盖率 {cov}，"
                         "密度 {dens}。",
        "not_met": "剥离轨迹上没有参数盒达到密度目标 {target}；此参数盒使覆盖率×密度最大。",
        "dropped": "去掉准p值（> {qp}）不支持的限制（{dims}）后，密度低于目标 {target}。",
        "no_box": "没有参数盒：条件在扫描空间中大致均匀地成立（PRIM 未限制任何输入），"
                  "或在全部案例中都成立或都不成立。",
        "box_table": ["参数盒", "输入参数", "限制", "抽样范围", "准p值"],
        "box_note": "在剥离轨迹上选取密度 ≥ {target} 的参数盒中覆盖率最大者。准p值：限制能否提高"
                    "密度的单侧二项检验（Bryant and Lempert 2010），数值大表示该限制可以去掉。"
                    "全部参数盒与剥离步骤见 discovery/boxes.csv、discovery/trajectory.csv。",
        "cart": "分类回归树（CART）中条件最常成立的叶节点（树深 ≤ {depth}）",
        "cart_table": ["叶节点", "规则", "覆盖率", "密度", "案例比例"],
        "cart_note": "列出密度高于基准比例的叶节点，密度高者在前；"
                     "全部叶节点见 discovery/cart.csv。",
        "scores": "特征得分",
        "scores_table": ["排序", "输入参数", "得分"],
        "scores_note": "极端随机树的特征重要性（得分之和为1）：各输入参数对条件是否成立的解释力；"
                       "见 discovery/feature_scores.csv。",
        "regret_h2": "稳健的模式选择：遗憾值",
        "regret_intro": "在每次抽样（同一参数点上的同一次重复运行）中，各治理模式的{outcome}减去"
                        "该次抽样中各模式{outcome}的最小值；共{n}次抽样。稳健的选择不仅均值好，"
                        "而且在大多数抽样中遗憾值都小。",
        "regret_table": ["治理模式", "{outcome}均值", "平均遗憾值", "第90百分位数",
                         "最大遗憾值", "最优抽样比例"],
        "regret_sentence": "{best}在{n}次抽样中的{share}为最优；其遗憾值平均为 {mean}"
                           "（第90百分位数 {p90}）；最大遗憾值最小的是{minimax}（{max}）。",
        "regret_note": "同一次抽样中并列最优的模式都计为最优，因此各比例之和可能超过100%。"
                       "逐次抽样结果见 discovery/regret_draws.csv；汇总表见 discovery/regret.csv。",
    },
}


def _definition(cond: dict, lang: str, labels: dict[str, str]) -> str:
    """What is compared, whatever the label says."""
    a, b = labels.get(cond["regime"], cond["regime"]), labels.get(cond["versus"],
                                                                  cond["versus"])
    what = f"`{cond['outcome']}`" + (f" ({cond['city']})" if "city" in cond else "")
    t = float(cond.get("threshold", 0))
    op = OPERATOR[cond["holds"]]
    if lang == "zh":
        diff = f"（{a} − {b}）/ |{b}|" if cond.get("relative") else f"{a} − {b}"
        return f"判定：同一次抽样中 {what} 的{diff} {op} {t:g}。"
    diff = f"({a} − {b}) / |{b}|" if cond.get("relative") else f"{a} − {b}"
    return f"Condition: in the same draw, {what} {diff} {op} {t:g}."


def _pct(share: float, lang: str) -> str:
    return f"{100 * share:.0f}%"


def box_sentences(found: Discovery, lang: str, labels: dict[str, str]) -> list[list[str]]:
    """Per condition, the sentences that state its boxes in words."""
    t = TEXT[lang]
    out = []
    for f in found.found:
        text = condition_text(f.condition, lang, labels)
        lines = []
        for b in f.boxes:
            limits = {p: b["limits"][p] for p in b["restricted"]}
            rule = rule_text(limits, lang, b["range"])
            key = "sentence" if b["box"] == 1 else "sentence_more"
            line = t[key].format(k=b["box"], text=text, rule=rule, cov=f"{b['coverage']:.2f}",
                                 dens=f"{b['density']:.2f}")
            if lang == "en" and b["box"] == 1:
                line = _capital(line)
            if not b["density_target_met"] and b.get("target_met_before_drop"):
                line += t["dropped"].format(target=f"{found.spec['min_density']:g}",
                                            qp=f"{found.spec.get('max_qp', 0.05):g}",
                                            dims=(", " if lang == "en" else "、").join(
                                                f"`{d}`" for d in b.get("dropped", [])))
            elif not b["density_target_met"]:
                line += t["not_met"].format(target=f"{found.spec['min_density']:g}")
            lines.append(line)
        out.append(lines)
    return out


def add_section(doc, results: Results, lang: str) -> None:
    """The report's discovery and regret sections (nothing for a study without a block)."""
    from sim import plots
    from sim.report import mean_ci_text, number

    try:
        found = of(results)
    except DiscoveryError as exc:
        doc.add("h2", TEXT[lang]["h2"])
        doc.add("p", str(exc))
        return
    if found is None:
        return
    t = TEXT[lang]
    style = plots.Style(results.manifest["scenario"]["regimes"], lang)
    labels = style.labels
    inputs = found.spec["inputs"]
    comma = ", " if lang == "en" else "、"
    if found.found:
        doc.add("h2", t["h2"])
        reps = results.manifest["scenario"].get("replications")
        per = t["per_point"].format(n=reps) if found.spec.get("per") == "point" else ""
        names = comma.join(f"`{p}`" if lang == "en" else plots.param_name(p, lang)
                           for p in inputs)
        doc.add("p", t["intro"].format(per=per, inputs=names))
        sentences = box_sentences(found, lang, labels)
        for k, (f, lines) in enumerate(zip(found.found, sentences, strict=True), start=1):
            doc.add("h3", t["h3"].format(k=k, text=condition_text(f.condition, lang, labels)))
            doc.add("p", _definition(f.condition, lang, labels))
            doc.add("p", t["base"].format(share=_pct(f.base_rate, lang), n=len(f.cases)))
            for line in lines:
                doc.add("quote", line)
            if not lines:
                doc.add("p", t["no_box"])
                continue
            rows = []
            for b in f.boxes:
                for p in b["restricted"]:
                    lo, hi = b["limits"][p]
                    r_lo, r_hi = b["range"][p]
                    qp = [v for v in map(_qp, b["qp"].get(p, [])) if math.isfinite(v)]
                    rows.append([str(b["box"]), f"`{p}`",
                                 bound_text(p, lo, hi, r_lo, r_hi, lang),
                                 "–" if isinstance(r_lo, set) else
                                 f"{_number(r_lo)} – {_number(r_hi)}",
                                 comma.join(f"{v:.2g}" for v in qp) or "–"])
            doc.add("table", t["box_table"], rows, [])
            doc.add("note", t["box_note"].format(target=f"{found.spec['min_density']:g}"))
            leaves = f.cart[f.cart["density"] > f.base_rate] if not f.cart.empty else f.cart
            if len(leaves):
                leaves = leaves.sort_values(["density", "coverage"], ascending=False).head(3)
                doc.add("h3", t["cart"].format(depth=CART_DEPTH))
                doc.add("table", t["cart_table"],
                        [[str(int(r["leaf"])), rule_text(r["limits"], lang, r["range"]) or "–",
                          f"{r['coverage']:.2f}", f"{r['density']:.2f}", f"{r['mass']:.2f}"]
                         for _, r in leaves.iterrows()], [2, 3, 4])
                doc.add("note", t["cart_note"])
            if not f.scores.empty:
                doc.add("h3", t["scores"])
                doc.add("table", t["scores_table"],
                        [[str(int(r["rank"])), f"`{r['parameter']}`"
                          + ("" if lang == "en" else
                             f"（{plots.param_name(r['parameter'], lang)}）"),
                          f"{r['score']:.3f}"] for _, r in f.scores.head(8).iterrows()], [2])
                doc.add("note", t["scores_note"])
    if found.regret is not None and len(found.regret):
        r = found.regret.set_index("regime")
        outcome = str(found.regret["outcome"].iloc[0])
        name = plots.outcome_name(outcome, lang)
        n = int(found.regret["n_draws"].iloc[0])
        doc.add("h2", t["regret_h2"])
        doc.add("p", t["regret_intro"].format(outcome=name, n=n))
        best = r["share_best"].idxmax()
        minimax = r["max_regret"].idxmin()
        doc.add("quote", t["regret_sentence"].format(
            best=style.label(best), share=_pct(r.loc[best, "share_best"], lang), n=n,
            mean=number(r.loc[best, "mean_regret"]), p90=number(r.loc[best, "p90_regret"]),
            minimax=style.label(minimax), max=number(r.loc[minimax, "max_regret"])))
        header = [h.format(outcome=name) for h in t["regret_table"]]
        rows = [[style.label(g), mean_ci_text(row["mean_value"], math.nan, math.nan),
                 number(row["mean_regret"]), number(row["p90_regret"]),
                 number(row["max_regret"]), _pct(row["share_best"], lang)]
                for g, row in r.iterrows()]
        doc.add("table", header, rows, [1, 2, 3, 4, 5])
        doc.add("note", t["regret_note"])


# --- charts -----------------------------------------------------------------------------------
WORDS = {
    "en": {
        "coverage": "Coverage (0–1)",
        "density": "Density (0–1)",
        "res_dim": "Restricted inputs",
        "chosen": "chosen box\ncoverage {cov}, density {dens}",
        "target": "density target {t:g}",
        "base": "base rate {b:.2f}",
        "trade_note": "PRIM peeling trajectory of box 1 (EMA Workbench): each dot is one step of "
                      "peeling, from the whole space (right) to small dense boxes (left); "
                      "coverage = share of the cases where the condition holds that are in the "
                      "box; density = mean of the condition (1 if it holds, 0 if not) over the "
                      "box's cases; n = {n} cases ({what}); ring: the box chosen, the largest "
                      "coverage with density ≥ {t:g}, then restrictions with quasi-p > {qp:g} "
                      "dropped",
        "draws": "draws: replication × sweep point",
        "points": "sweep points, mean over replications",
        "position": "Place in the sampled range (0 = lowest value sampled, 1 = highest)",
        "box_k": "box {k}: coverage {cov}, density {dens}",
        "box_note": "bars: the range each box keeps of an input it restricts (grey: the whole "
                    "sampled range, given under the input's name; numbers: the bounds the box "
                    "sets); density = mean of the "
                    "condition over the box's cases; n = {n} cases ({what})",
        "no_box": "no box (PRIM restricts no input)",
        "nothing": "the condition holds in {share} of the cases: no box to find",
        "regret_axis": "Regret in {o} ({u})",
        "regret_axis_unitless": "Regret in {o} (outcome units)",
        "best": "best in {s} of draws",
        "regret_note": "regret = the regime's {o} minus the least {o} of the regimes in the "
                       "same draw (replication × sweep point); n = {n} draws per regime; box: "
                       "quartiles; whiskers: 5–95%; dot: mean",
        "and": " and ",
    },
    "zh": {
        "coverage": "覆盖率（0–1）",
        "density": "密度（0–1）",
        "res_dim": "受限输入参数个数",
        "chosen": "选定参数盒\n覆盖率 {cov}，密度 {dens}",
        "target": "密度目标 {t:g}",
        "base": "基准比例 {b:.2f}",
        "trade_note": "参数盒1的耐心规则归纳法剥离轨迹：每个点是一次剥离，"
                      "从整个空间（右）到小而密的参数盒（左）；"
                      "覆盖率 = 条件成立的案例中落在盒内的比例；密度 = 盒内案例条件"
                      "指标（成立为1，否则为0）的均值；n = {n} 个案例（{what}）；"
                      "圆圈：选定的参数盒，"
                      "即密度 ≥ {t:g} 者中覆盖率最大的，再去掉准p值 > {qp:g} 的限制",
        "draws": "抽样：重复运行 × 参数点",
        "points": "参数点，对重复运行取均值",
        "position": "在抽样范围中的位置（0 = 抽样最小值，1 = 最大值）",
        "box_k": "参数盒{k}：覆盖率 {cov}，密度 {dens}",
        "box_note": "条形：各参数盒在其所限制的输入参数上保留的范围"
                    "（灰色：整个抽样范围，见参数名下方；数字：参数盒设定的边界）；"
                    "密度 = 盒内案例条件指标的均值；n = {n} 个案例（{what}）",
        "no_box": "没有参数盒（未限制任何输入参数）",
        "nothing": "条件在{share}的案例中成立：无参数盒可找",
        "regret_axis": "{o}的遗憾值（{u}）",
        "regret_axis_unitless": "{o}的遗憾值（结果单位）",
        "best": "{s}的抽样中最优",
        "regret_note": "遗憾值 = 该模式的{o}减去同一次抽样（重复运行 × 参数点）中"
                       "各模式{o}的最小值；"
                       "每种治理模式 n = {n} 次抽样；箱体：四分位数；须线：5%–95%；圆点：均值",
        "and": "且",
    },
}


def unavailable(results: Results) -> str | None:
    """Why the discovery charts cannot be drawn (None if they can)."""
    spec = spec_of(results)
    if not spec:
        return ("it needs a discovery: block in the scenario (docs/discovery.md) or `python "
                "run.py discover RESULTS --from FILE.yaml`")
    return None


def _title(text: str, fig, plots, width_in: float) -> str:
    return plots.wrap(text, 0.95 * width_in * 72, plots.measure_in(fig, 8))


def _panels(n: int):
    import matplotlib.pyplot as plt

    from sim import plots

    cols = min(n, 2)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(plots.DOUBLE, 0.4 + 2.7 * rows),
                             squeeze=False, layout="constrained")
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes


def _what(found: Discovery, lang: str) -> str:
    return WORDS[lang]["points" if found.spec.get("per") == "point" else "draws"]


def tradeoff_chart(results, style, condition: str | None = None):
    """Coverage against density along the peeling trajectory of each condition's first box,
    coloured by the number of restricted inputs, with the chosen box ringed, the density
    target and the base rate marked."""
    from matplotlib.colors import BoundaryNorm
    from matplotlib.lines import Line2D

    from sim import plots

    found = of(results)
    if found is None:
        return None
    items = [f for f in found.found if condition is None or f.condition["name"] == condition]
    if not items:
        return None
    lang, w = style.lang, WORDS[style.lang]
    fig, axes = _panels(len(items))
    top = max([int(f.trajectory["res_dim"].max()) for f in items if not f.trajectory.empty],
              default=0)
    cmap = plt_cmap(plots.SEQUENTIAL_CMAP, top + 1)
    norm = BoundaryNorm(np.arange(-0.5, top + 1.5), cmap.N)
    target = float(found.spec["min_density"])
    scatter = None
    for ax, f in zip(axes.flat, items, strict=False):
        ax.set_xlim(-0.02, 1.04)
        ax.set_ylim(0, 1.04)
        ax.set_xlabel(w["coverage"])
        ax.set_ylabel(w["density"])
        ax.set_title(_title(_capital(condition_text(f.condition, lang, style.labels)), fig,
                            plots, 0.8 * plots.DOUBLE / min(len(items), 2)), loc="left")
        if f.trajectory.empty:  # it holds in none or all of the cases: nothing to peel
            ax.text(0.5, 0.5, w["nothing"].format(share=_pct(f.base_rate, lang)),
                    ha="center", va="center", transform=ax.transAxes, fontsize=7)
            continue
        whole = f.trajectory[f.trajectory["box"] == 1]
        t = whole[whole["peeling"]] if "peeling" in whole else whole
        ax.plot(t["coverage"], t["density"], color="#999999", linewidth=0.7, zorder=1)
        scatter = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap=cmap,
                             norm=norm, s=14, edgecolors="black", linewidths=0.3, zorder=3)
        chosen = whole[whole["chosen"]]
        if len(chosen):
            cx, cy = float(chosen["coverage"].iloc[0]), float(chosen["density"].iloc[0])
            dims = int(chosen["res_dim"].iloc[0])
            ax.scatter([cx], [cy], c=[dims], cmap=cmap, norm=norm, s=14, edgecolors="black",
                       linewidths=0.3, zorder=4)
            ax.scatter([cx], [cy], s=90, facecolors="none", edgecolors="#D55E00",
                       linewidths=1.4, zorder=5)
            # the label in the top right corner, which peeling leaves empty
            ax.annotate(w["chosen"].format(cov=f"{cx:.2f}", dens=f"{cy:.2f}"), (cx, cy),
                        xytext=(0.98, 0.97), textcoords="axes fraction", ha="right",
                        va="top", fontsize=6.5, color="#D55E00", linespacing=1.2,
                        arrowprops={"arrowstyle": "-", "color": "#D55E00",
                                    "linewidth": 0.6, "shrinkB": 5})
        ax.axhline(target, color="black", linestyle="--", linewidth=0.8, zorder=2)
        ax.annotate(w["target"].format(t=target), (0.01, target), xycoords=("axes fraction",
                                                                            "data"),
                    xytext=(0, 2), textcoords="offset points", fontsize=6.5, va="bottom")
        ax.axhline(f.base_rate, color="black", linestyle=":", linewidth=0.8, zorder=2)
        near = abs(target - f.base_rate) < 0.08  # keep the two labels apart
        ax.annotate(w["base"].format(b=f.base_rate), (0.45 if near else 0.01, f.base_rate),
                    xycoords=("axes fraction", "data"), xytext=(0, -2),
                    textcoords="offset points", fontsize=6.5, va="top", ha="left")
    handles = [Line2D([], [], linestyle="none", marker="o", markersize=4.5,
                      markerfacecolor=cmap(norm(k)), markeredgecolor="black",
                      markeredgewidth=0.3) for k in range(top + 1)]
    labels = [str(k) for k in range(top + 1)]
    fig.legend(handles, labels, loc="outside upper center", ncol=len(labels),
               title=w["res_dim"], title_fontsize=7, handletextpad=0.2, columnspacing=1.0)
    del scatter
    n = len(items[0].cases)
    plots.note(fig, w["trade_note"].format(n=n, what=_what(found, lang), t=target,
                                           qp=float(found.spec.get("max_qp", 0.05))))
    return fig


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def plt_cmap(name: str, n: int):
    import matplotlib

    return matplotlib.colormaps[name].resampled(max(n, 2))


def boxes_chart(results, style, condition: str | None = None):
    """For each condition, the boxes PRIM chose: one row per restricted input, a bar for the
    range each box keeps within the sampled range (0 = its lowest value, 1 = its highest),
    with the bounds written at the ends."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from sim import plots

    found = of(results)
    if found is None:
        return None
    items = [f for f in found.found if condition is None or f.condition["name"] == condition]
    if not items:
        return None
    lang, w = style.lang, WORDS[style.lang]
    rows_of = [list(dict.fromkeys(p for b in f.boxes for p in b["restricted"])) or [None]
               for f in items]
    heights = [0.55 + 0.36 * len(r) * (1 + 0.35 * max(0, len(f.boxes) - 1))
               for r, f in zip(rows_of, items, strict=True)]
    fig, axes = plt.subplots(len(items), 1, figsize=(plots.DOUBLE, 0.5 + sum(heights)),
                             squeeze=False, layout="constrained",
                             gridspec_kw={"height_ratios": heights})
    colours = plots.OKABE_ITO
    width = plots.measure_in(fig, 7)
    used_boxes = 0
    for ax, f, rows in zip(axes[:, 0], items, rows_of, strict=True):
        title = _capital(condition_text(f.condition, lang, style.labels))
        ax.set_title(_title(title, fig, plots, plots.DOUBLE), loc="left")
        ax.set_xlim(-0.02, 1.02)
        ax.grid(axis="y", visible=False)
        if rows == [None]:
            ax.set_yticks([])
            ax.text(0.5, 0.5, w["no_box"], ha="center", va="center", transform=ax.transAxes)
            ax.set_xlabel(w["position"])
            continue
        k = len(f.boxes)
        used_boxes = max(used_boxes, k)
        band = 0.7
        h = band / k
        for j, b in enumerate(f.boxes):
            for i, p in enumerate(rows):
                y = i - band / 2 + h * (j + 0.5)
                r_lo, r_hi = (float(v) for v in b["range"][p]) if p in b["range"] else (0, 1)
                ax.barh(i, 1, height=band + 0.1, left=0, color="#eeeeee", zorder=1)
                if p not in b["restricted"]:
                    continue
                lo, hi = (float(v) for v in b["limits"][p])
                span = (r_hi - r_lo) or 1.0
                a, z = (lo - r_lo) / span, (hi - r_lo) / span
                ax.barh(y, z - a, left=a, height=h * 0.85, color=colours[j], alpha=0.85,
                        zorder=2)
                if lo > r_lo:  # the bound it sets (an open side is the sampled range's end)
                    ax.annotate(_number(lo), (a, y), xytext=(-2, 0),
                                textcoords="offset points", ha="right", va="center",
                                fontsize=6.5, zorder=3)
                if hi < r_hi:
                    ax.annotate(_number(hi), (z, y), xytext=(2, 0),
                                textcoords="offset points", ha="left", va="center",
                                fontsize=6.5, zorder=3)
        ticks = []
        for p in rows:
            b = next(b for b in f.boxes if p in b["range"])
            r_lo, r_hi = b["range"][p]
            label = plots.param_label(p, lang) if lang == "zh" else p
            ticks.append("\n".join(plots.wrap(line, 1.9 * 72, width) for line in
                                   (label, f"{_number(float(r_lo))}–{_number(float(r_hi))}")))
        ax.set_yticks(range(len(rows)), ticks)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        if ax is axes[-1, 0]:  # one axis label for the panels stacked above it
            ax.set_xlabel(w["position"])
        handles = [Patch(color=colours[j], alpha=0.85) for j in range(k)]
        labels = [w["box_k"].format(k=b["box"], cov=f"{b['coverage']:.2f}",
                                    dens=f"{b['density']:.2f}") for b in f.boxes]
        ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0, 1.0 + 0.0),
                  ncol=len(labels), fontsize=6.5, borderaxespad=0.1, handlelength=1.2)
        ax.title.set_position((0, 1.0))
        ax.set_title(ax.get_title(loc="left"), loc="left", pad=14)
    n = len(items[0].cases)
    plots.note(fig, w["box_note"].format(n=n, what=_what(found, lang)))
    return fig


def regret_chart(results, style):
    """The distribution of each regime's regret over the draws (horizontal box, 5–95%
    whiskers, mean), with the share of draws in which it is best."""
    import matplotlib.pyplot as plt

    from sim import plots
    from sim.metrics import OUTCOMES

    found = of(results)
    if found is None or found.regret is None or not len(found.regret_draws):
        return None
    lang, w = style.lang, WORDS[style.lang]
    draws = found.regret_draws
    regimes = [r for r in style.order if r in set(draws["regime"])]
    outcome = str(found.regret["outcome"].iloc[0])
    summary = found.regret.set_index("regime")
    fig, ax = plt.subplots(figsize=(plots.DOUBLE, max(1.8, 0.8 + 0.42 * len(regimes))),
                           layout="constrained")
    for k, regime in enumerate(regimes):
        v = draws.loc[draws["regime"] == regime, "regret"].to_numpy(dtype=float)
        st = style.of(regime)
        plots._hbox(ax, v, k, st)
        ax.plot([v.mean()], [k], marker="o", color=st["color"], markeredgecolor="black",
                markeredgewidth=0.5, markersize=4.5, zorder=4)
        ax.annotate(w["best"].format(s=_pct(summary.loc[regime, "share_best"], lang)),
                    (1.0, k), xycoords=("axes fraction", "data"), xytext=(4, 0),
                    textcoords="offset points", ha="left", va="center", fontsize=6.5)
    ax.set_yticks(range(len(regimes)), [style.label(r) for r in regimes])
    ax.set_ylim(len(regimes) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.set_xlim(left=min(0, ax.get_xlim()[0]))
    name = plots.outcome_name(outcome, lang)
    unit = OUTCOMES.get(outcome, ("",))[0]
    if unit:
        unit = plots.UNIT_ZH.get(unit, unit) if lang == "zh" else unit
        ax.set_xlabel(w["regret_axis"].format(o=name, u=unit))
    else:
        ax.set_xlabel(w["regret_axis_unitless"].format(o=name))
    n = int(summary["n_draws"].iloc[0])
    plots.note(fig, w["regret_note"].format(o=name, n=n))
    return fig
