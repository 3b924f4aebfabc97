"""Draw the figures of docs/validation.md from the model, with the settings of the pattern tests.

Run from the repository root (about half a minute on one core):

    .venv/bin/python docs/figures/make_validation_figures.py

Writes validation-*.png beside this file. Each figure runs the scenario its pattern test runs
(the settings are imported from tests/patterns/), so the figures show what the tests check.
Colours are Okabe-Ito (colour-blind safe); every line also differs in marker or style.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sim.hazards.epidemic import MetapopSEIR, gravity_flows  # noqa: E402
from sim.model import RiskModel  # noqa: E402
from sim.plots import OKABE_ITO  # noqa: E402
from tests.patterns import test_delay_loss as delay  # noqa: E402
from tests.patterns import test_free_riding as free_riding  # noqa: E402
from tests.patterns import test_information_sharing as sharing  # noqa: E402
from tests.patterns import test_invasion_threshold as invasion  # noqa: E402
from tests.patterns.helpers import ring, run_out  # noqa: E402

OUT = Path(__file__).resolve().parent
BLUE, VERMILION, GREEN = OKABE_ITO[0], OKABE_ITO[1], OKABE_ITO[2]
STYLE = {"figure.dpi": 110, "font.size": 8.5, "axes.spines.top": False,
         "axes.spines.right": False, "axes.titlesize": 9, "legend.frameon": False}


def save(fig, name: str) -> None:
    fig.tight_layout()
    fig.savefig(OUT / name)
    plt.close(fig)
    print(OUT / name)


def dress(ax, title: str, ylabel: str, xlabel: str | None = None,
          ylim: tuple[float, float] | None = None, legend: str | None = "best") -> None:
    """Title, axis labels (with units) and a small legend."""
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylim:
        ax.set_ylim(*ylim)
    if legend:
        ax.legend(fontsize=7, loc=legend)


def mean_ci(x: np.ndarray) -> tuple[float, float]:
    """Mean and the half-width of its normal 95% interval."""
    return float(x.mean()), float(1.96 * x.std(ddof=1) / np.sqrt(len(x)))


def free_riding_figure() -> None:
    labels, nash, refunded, optimum, shares = [], [], [], [], []
    for label, (att, n, origin, sigma) in free_riding.CHAINS.items():
        region = {"region.attenuation": att, "region.n_cities": n, "hazard.origin": origin,
                  "region.size_sigma": sigma, "responsibility.external_weight": 0.0}
        a, a_star, model = free_riding.first_effort(region)
        s = free_riding.origin_share(model, att, origin)
        labels.append(label.replace(", ", "\n"))
        nash.append(a)
        optimum.append(a_star)
        shares.append(s)
        refunded.append(free_riding.first_effort(
            {**region, "compensation.payout_share": 1.0 - s})[0])
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    ax.bar(x - 0.27, nash, 0.27, color=VERMILION, label="Nash: origin weighs only its own loss")
    ax.bar(x, refunded, 0.27, color=BLUE, hatch="//", edgecolor="white",
           label="Nash + refund of the external share 1 − s")
    ax.bar(x + 0.27, optimum, 0.27, color=GREEN, label="regional optimum a*")
    ax.scatter(x - 0.27, np.array(shares) * np.array(optimum), marker="_", s=300, color="black",
               zorder=3, label="theory: s_origin · a*")
    ax.set_xticks(x, labels)
    dress(ax, "Free riding and the Pigouvian refund (linear damage, first decision)",
          "source-control effort a (0-1)", ylim=(0, 1), legend="upper left")
    save(fig, "validation-free-riding.png")


def invasion_figure() -> None:
    r_stars = np.array([0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0])
    pop = np.full(invasion.N_CITIES, invasion.POP)
    dist = ring(invasion.N_CITIES, 300.0)
    unit = invasion.invasion_number(gravity_flows(pop, dist, 1e-3))
    share, regional = [], []
    for r_star in r_stars:
        P = gravity_flows(pop, dist, 1e-3 * r_star / unit)
        counts = []
        for seq in np.random.SeedSequence([7, int(100 * r_star)]).spawn(invasion.RUNS):
            rng = np.random.default_rng(seq)
            model = MetapopSEIR(pop, invasion.R0, 3, 5, dt_days=1.0, P=P, stochastic=True)
            model.seed(0, invasion.INDEX_CASES)
            run_out(model, rng)
            counts.append(int(np.sum(model.attack_rate[1:] > 0.01)))
        counts = np.array(counts)
        share.append(np.mean(counts > 0))
        regional.append(np.mean(counts >= (invasion.N_CITIES - 1) / 2))
    share, regional = np.array(share), np.array(regional)
    fine = np.geomspace(r_stars[0], r_stars[-1], 200)
    take_off = 1.0 - invasion.R0 ** -invasion.INDEX_CASES
    err = 1.96 * np.sqrt(share * (1 - share) / invasion.RUNS)
    fig, ax = plt.subplots(figsize=(5.2, 3.0))
    ax.plot(fine, take_off * (1 - np.exp(-fine)), color=BLUE,
            label="theory: (1 − R0^−k)(1 − e^−R*)")
    ax.errorbar(r_stars, share, yerr=err, fmt="o", color=BLUE, capsize=2,
                label="model: another city invaded")
    ax.plot(r_stars, regional, "s--", color=VERMILION, label="model: half the cities or more")
    ax.axvline(1.0, color="grey", lw=0.8, ls=":")
    ax.set_xscale("log")
    dress(ax, "Mobility invasion threshold (10 cities of 50,000, R0 = 2)",
          f"share of {invasion.RUNS} runs", "invasion number R* (set by the mobility rate)",
          legend="upper left")
    save(fig, "validation-invasion.png")


def delay_figure() -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.6, 3.0))
    # Epidemic: what acting 1-3 weeks earlier than 21 days cuts, as the pattern test runs it.
    late = delay.DELAY_DAYS[-1]
    outcomes = {}
    for d in delay.DELAY_DAYS:
        runs = [RiskModel(regime="coordinated", rng=seed,
                          params={**delay.CONTAGION, "preparedness.activation_hours": 24.0 * d}
                          ).run() for seed in range(delay.REPLICATIONS)]
        outcomes[d] = {k: np.mean([r[k] for r in runs]) for k in ("infections", "total_loss")}
    weeks = np.array(sorted(delay.LAI_CUT))
    lai = np.array([delay.LAI_CUT[w] for w in weeks]) * 100
    cut = {k: np.array([100 * (1 - outcomes[late - 7 * w][k] / outcomes[late][k])
                        for w in weeks]) for k in ("infections", "total_loss")}
    left.fill_between(weeks, lai - 100 * delay.TOLERANCE, lai + 100 * delay.TOLERANCE,
                      color=BLUE, alpha=0.15, lw=0, label="Lai et al. 2020 ± 15 points")
    left.plot(weeks, lai, "o-", color=BLUE, label="Lai et al. 2020: fewer cases")
    left.plot(weeks, cut["infections"], "s--", color=VERMILION, label="model: fewer infections")
    left.plot(weeks, cut["total_loss"], "^:", color="black", label="model: less loss")
    left.set_xticks(weeks)
    dress(left, f"Epidemic: acting earlier ({delay.REPLICATIONS} paired runs)",
          "cut against 3 weeks of delay (%)", "weeks earlier", ylim=(0, 100),
          legend="lower right")
    # River: loss with lead time L against loss with neither warning nor protection.
    bare = delay._river(0, delay.RELAY_HOURS[-1], **{"protection.reduction": 0.0})
    raw = bare.incidents[0].loss
    points = []
    for relay in delay.RELAY_HOURS:
        m = delay._river(0, relay)
        inc = m.incidents[0]
        for j in range(1, m.n):
            points.append((inc.lead_hours[j], inc.loss[j] / raw[j]))
    lead, ratio = np.array(points).T
    hours = np.linspace(0, lead.max(), 200)
    protect = 1.0 - delay.RIVER["protection.reduction"]
    right.plot(hours, (1 - bare.warning_reduction(hours)) * protect, color=BLUE,
               label="(1 − r(L))(1 − protection)")
    right.scatter(lead, ratio, s=10, color=VERMILION, marker="o", zorder=3,
                  label="model: downstream city, one run")
    right.axvline(24, color="grey", lw=0.8, ls=":")
    dress(right, "River spill: 24 h of warning cuts damage by 30%",
          "loss / loss unwarned, unprotected", "warning lead time L before arrival (h)",
          ylim=(0, 1.05), legend="upper right")
    save(fig, "validation-delay.png")


def sharing_figure() -> None:
    runs = sharing._per_city(24.0)
    hier, plat = runs["hierarchy"][0].mean(axis=0), runs["platform"][0].mean(axis=0)
    x = np.arange(sharing.N)
    labels = [("origin" if j == sharing.ORIGIN else f"{j - sharing.ORIGIN:+d}".replace("-", "−"))
              for j in x]
    fig, ax = plt.subplots(figsize=(5.2, 3.0))
    ax.bar(x - 0.2, hier, 0.4, color=VERMILION, label="hierarchy (up and down, 24 h)")
    ax.bar(x + 0.2, plat, 0.4, color=BLUE, hatch="//", edgecolor="white",
           label="shared platform (2 h)")
    ax.set_xticks(x, labels)
    dress(ax, f"Who gains from sharing: river spill, {sharing.REPLICATIONS} runs",
          "mean loss (100 million CNY)",
          "city, in reaches downstream (+) or upstream (−) of the spill")
    save(fig, "validation-sharing.png")


def main() -> None:
    with plt.rc_context(STYLE):
        free_riding_figure()
        invasion_figure()
        delay_figure()
        sharing_figure()


if __name__ == "__main__":
    main()
