"""Where every parameter's default comes from: a reference, or an assumption with its range.

`SOURCES` maps each dotted parameter path of sim.params to a `Source`: the BibTeX key of the
reference that supports the default (docs/references.bib, explained in docs/sources.md), or
None for an assumption, with a note and, for numbers, the plausible range [low, high] a study
should sweep when a conclusion depends on it. The plausible range is narrower than the range the
schema accepts (which only guards against nonsense input). `python run.py list` and
docs/parameters.md show it beside each parameter.

Kept apart from sim/params.py so that the schema (the model's code) and the evidence behind it
can be reviewed separately; tests/test_sources.py fails, naming the paths, when a parameter has
no entry here or an entry cites a key missing from docs/references.bib.

`CITY_STATS` transcribes the city statistics the project relies on (2020 census population,
2023 GDP) so that tests can check the presets in sim/regions/data/ against them point by point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIB = ROOT / "docs" / "references.bib"


@dataclass(frozen=True)
class Source:
    """The evidence behind one parameter's default."""

    source: str | None  # BibTeX key in docs/references.bib, or None for an assumption
    note: str
    range: tuple[float, float] | None = None  # plausible [low, high] (numbers only)

    def short(self) -> str:
        """One line for listings: 'lai2020' or 'assumption, plausible [0.1, 0.5]'."""
        rng = f"[{self.range[0]:g}, {self.range[1]:g}]" if self.range else ""
        if self.source:
            return self.source + (f", plausible {rng}" if rng else "")
        if self.note.startswith("setting"):
            return "model setting" + (f" {rng}" if rng else "")
        if self.note.startswith("choice"):
            return "modelling choice"
        return "assumption" + (f", plausible {rng}" if rng else "")


def _a(low: float, high: float, note: str) -> Source:
    """An assumption with its plausible range."""
    return Source(None, note, (low, high))


def _s(key: str, note: str, rng: tuple[float, float] | None = None) -> Source:
    """A default supported by a reference."""
    return Source(key, note, rng)


def _set(low: float, high: float, note: str) -> Source:
    """A numerical or study-design setting, not an empirical quantity."""
    return Source(None, "setting: " + note, (low, high))


def _choice(note: str, key: str | None = None) -> Source:
    """A switch between modelling alternatives (no value to source)."""
    return Source(key, "choice: " + note)


SOURCES: dict[str, Source] = {
    # --- time and region ---
    "time.step_hours": _set(1, 24, "resolution; 6 h resolves river reaches of a day or more"),
    "time.horizon_days": _set(10, 3650, "length of a study: one incident (weeks) to years"),
    "region.kind": _choice("synthetic layouts or the presets of sim/regions/data/, each sourced "
                           "field by field (docs/regions.md)"),
    "region.file": _choice("a user's own region"),
    "region.n_cities": _set(2, 30, "synthetic regions; real clusters have 4-27 cities "
                                   "(census2020 presets)"),
    "region.spacing_km": _a(30, 150, "distance between neighbouring prefecture seats in the "
                                     "shipped presets (geonames) is mostly 50-150 km"),
    "region.reach_hours": _a(8, 140, "the preset river edges span 8 h (Zhenjiang-Yangzhou) to "
                                     "136 h (Jilin-Songyuan, winter); see docs/regions.md"),
    "region.attenuation": _a(0.3, 0.96, "the preset edges span 0.31-0.96 (docs/regions.md, "
                                        "river_method); an assumption, not a measurement"),
    "region.population_m": _s("census2020", "mean population of a prefecture-level city in the "
                                            "presets is 2-10 million", (1, 12)),
    "region.gdp_tn_cny": _s("gdp2023", "mean 2023 GDP of a prefecture-level city in the "
                                       "presets is 0.1-1 trillion CNY", (0.1, 1.5)),
    "region.size_sigma": _a(0, 1, "the presets' populations have a log-sd of about 0.5-0.8 "
                                  "(census2020)"),
    "region.core_ratio": _a(2, 10, "a megacity is 2-10 times its satellites (census2020: "
                                   "Beijing 21.9 M vs Langfang 5.5 M, Chengde 3.4 M)"),
    "region.city_overrides": _choice("per-city settings, empty by default"),
    "region.interception": _a(0, 0.8, "Changzhi 2012: 30 of 38.7 t (78%) held back at the "
                                      "source (changzhi2013); section interception is "
                                      "usually far less"),
    # --- hazards ---
    "hazard.kind": _choice("the article's three situations and its risk types", "zhang2024"),
    "hazard.origin": _choice("which city is the origin (发生地)"),
    "hazard.start_day": _set(0, 30, "when the scripted event starts"),
    "hazard.magnitude": _set(0, 0, "0 = the kind's default magnitude"),
    "hazard.events": _choice("extra scripted events, none by default"),
    "hazard.rates": _choice("stochastic event rates, none by default: a study states and "
                            "sweeps its own"),
    "hazard.magnitude_sigma": _a(0.3, 1.5, "spread of event sizes; disaster size "
                                           "distributions are heavy-tailed"),
    "river_spill.magnitude": _s("songhua2005", "about 100 t of benzene compounds entered the "
                                               "Songhua in 2005 (8.7 t of aniline at Changzhi "
                                               "2012, changzhi2013)", (5, 200)),
    "river_spill.release_hours": _s("songhua2005", "an 80 km slick moving at about 2 km/h "
                                                   "takes about 40 h to pass a city; Zhenjiang "
                                                   "2012 about 12 h (zhenjiang2012)", (12, 48)),
    "river_spill.half_damage": _s("songhua2005", "flux (t/h) at which damage is half its "
                                                 "maximum; 0.3 makes the Songhua replay cost "
                                                 "Harbin 0.4 days of output, within the "
                                                 "0.38-1.9 days of its 4.75-day water cut",
                                  (0.1, 2)),
    "river_spill.max_loss_share": _a(0.1, 0.6, "share of output lost with the water cut "
                                               "(Harbin 2005 cut its water for 4 days, "
                                               "songhua2005)"),
    "river_flood.magnitude": _a(1000, 20000, "peak excess discharge (m3/s) of a large river "
                                             "flood"),
    "river_flood.duration_hours": _a(24, 240, "flood hydrographs last days"),
    "river_flood.attenuation_power": _a(0.1, 0.6, "flood waves attenuate less than slugs"),
    "river_flood.half_damage": _a(1000, 10000, "excess discharge at half damage (m3/s)"),
    "river_flood.max_loss_share": _a(0.2, 0.8, "Zhengzhou 2021: 120 bn CNY direct loss in "
                                               "Henan (zhengzhou2021)"),
    "plume.magnitude": _a(10, 1000, "index of source strength"),
    "plume.half_life_hours": _a(6, 72, "a fire or release burning down"),
    "plume.wind_from_deg": _set(0, 360, "direction of the scenario's wind"),
    "plume.wind_speed_kmh": _a(5, 40, "typical surface winds"),
    "plume.decay_km": _a(30, 300, "distance over which a plume thins by e"),
    "plume.spread_deg": _a(10, 45, "angular spread of a plume"),
    "plume.half_damage": _a(5, 50, "intensity index at half damage"),
    "plume.max_loss_share": _a(0.1, 0.6, "output share lost under a saturating plume"),
    "epidemic.magnitude": _a(1, 100, "initial infections when an outbreak starts"),
    "epidemic.r0": _a(1.5, 4, "basic reproduction number of a novel respiratory pathogen"),
    "epidemic.incubation_days": _a(2, 7, "mean latent period"),
    "epidemic.infectious_days": _a(3, 10, "mean infectious period"),
    "epidemic.mobility_rate": _a(0.0005, 0.01, "share of residents travelling between cities "
                                               "per day; the invasion threshold depends on it "
                                               "(colizza2007)"),
    "epidemic.distance_exponent": _s("brockmann2013", "gravity-model exponent; effective "
                                                      "distance follows the flows", (1, 3)),
    "epidemic.stochastic": _choice("binomial or expected-value SEIR"),
    "epidemic.measure_effect": _s("lai2020", "0.8 (R0 = 2.5 to 0.5) is chosen so that "
                                             "acting earlier cuts infections as lai2020 "
                                             "found; Wuhan's strictest measures cut Rt from "
                                             "3.8 to 0.3, about 0.92 (pan2020)",
                                  (0.4, 0.9)),
    "epidemic.measure_cost_share": _a(0.005, 0.1, "output lost while local measures are in "
                                                  "force"),
    "epidemic.containment_effect": _a(0.1, 0.6, "extra cut at the origin at full effort"),
    "epidemic.travel_cut": _s("tian2020", "the Wuhan shutdown cut outbound travel and delayed "
                                          "arrival elsewhere by about 2.9 days", (0.5, 0.95)),
    "epidemic.case_cost": _a(0.00002, 0.001, "loss per infection, 100 million CNY "
                                             "(2,000-100,000 CNY)"),
    "epidemic.detect_cases": _a(10, 500, "infections before monitoring notices an outbreak"),
    "cascade.magnitude": _a(0.2, 0.9, "share of critical services knocked out"),
    "cascade.repair_hours": _a(12, 168, "time to restore services"),
    "cascade.dependency_share": _a(0.1, 0.5, "share of services relying on a neighbour"),
    "cascade.threshold": _a(0.01, 0.2, "service loss a city's buffers absorb"),
    "cascade.max_loss_share": _a(0.2, 0.7, "output share lost with all services down"),
    "accident.magnitude": _a(1, 50, "index of initial severity"),
    "accident.growth_per_day": _a(0.1, 1, "growth of an uncontrolled incident"),
    "accident.duration_days": _a(1, 14, "days an incident runs its course"),
    "accident.threshold": _a(5, 50, "severity beyond which it spills over"),
    "accident.radius_km": _a(50, 300, "distance scale of spill-over"),
    "accident.half_damage": _a(5, 50, "severity at half damage"),
    "accident.max_loss_share": _s("tianjin2016", "output share lost at saturating severity; "
                                                 "0.03 puts the largest uncontrolled accidents "
                                                 "of the flagship near Tianjin 2015's 68.66 "
                                                 "亿 (sc2007 classes: 特别重大 from 1 亿)",
                                  (0.01, 0.1)),
    # --- damage, warning, sensing ---
    "warning.reduction_at_24h": _s("gca2019", "24 hours' warning cuts damage by about 30%",
                                   (0.2, 0.4)),
    "warning.max_reduction": _a(0.3, 0.7, "upper bound of what warning alone can save"),
    "protection.reduction": _a(0.1, 0.4, "damage cut by local protection in emergency mode"),
    "sensing.monitoring_prob": _a(0.2, 0.9, "chance per 6 h that a large city notices a "
                                            "hazard on its territory"),
    "preparedness.activation_hours": _a(1, 24, "switch from normal to emergency state "
                                               "(process synergy, zhang2024)"),
    "complacency.strength": _a(0, 3, "侥幸心理 is named by the article (zhang2024); its "
                                     "strength has no anchor"),
    "complacency.memory_days": _a(90, 1825, "how fast alertness fades after a hit"),
    # --- communication ---
    "info.route": _choice("hierarchy, partners or a shared platform: the article's regimes; any "
                          "communication beats strict hierarchy (jasss2010)", "zhang2024"),
    "info.partners": _choice("spontaneous cooperation: the origin also warns its partners "
                             "directly, on top of territorial reporting", "zhang2024"),
    "info.partner_hours": _a(0.5, 24, "a hotline between partner cities' emergency offices"),
    "info.partner_km": _a(50, 300, "distance of spontaneous partners (adjacent cities)"),
    "info.report_delay_hours": _s("changzhi2013", "reports held back for 5 days at Changzhi "
                                                  "2012 and about 10 days at Songhua 2005 "
                                                  "(songhua2005); 0 = at once", (0, 240)),
    "info.report_threshold": _s("changzhi2013", "'no need to report while it stays inside our "
                                                "boundary': small incidents go unreported",
                                (0, 0.5)),
    "info.share_resources": _choice("基础信息共享 of the communication mechanism", "zhang2024"),
    "info.relay_hours": _s("changzhi2013", "Shanxi province told Handan the same day it "
                                           "learnt of the spill (hours); a platform relays in "
                                           "minutes to hours", (0.5, 24)),
    # --- responsibility, accountability ---
    "responsibility.external_weight": _s("sigman2002", "free riding: an origin that weighs only "
                                                       "its own share under-provides; 1 = the "
                                                       "regional optimum", (0, 1)),
    "source_control.cost": _a(2, 100, "cost scale gamma of gamma*a^2/2 per day at full "
                                      "effort, 100 million CNY: no budget anchor found; the "
                                      "flagship spends about 0.07% of GDP a year on it "
                                      "(docs/calibration.md)"),
    "responsibility.scope": _choice("whom the origin's duty covers: the region (a list the body "
                                    "fixes) or its partners (bilateral agreements)",
                                    "zhang2024"),
    "goals.income_elasticity": _s("viscusi2017", "income elasticity of the value of a "
                                                 "statistical life; 0 = every city alike",
                                  (0, 1.1)),
    "responsibility.list_clarity": _choice("责任清单 (jjj2017): 1 = a list that fixes duties",
                                           "jjj2017"),
    "responsibility.negotiation_hours": _a(12, 168, "time to agree duties without a list"),
    "goals.safety_weight": _a(0.5, 1.5, "目标协同: weight of safety against growth"),
    "responsibility.assist_share": _a(0, 0.3, "波及地为辅: share the affected cities carry"),
    "accountability.audit_prob": _a(0, 1, "chance a late report is found out: no anchor; "
                                          "sweep it"),
    "accountability.penalty": _a(0, 20, "sanction for a hidden report, 100 million CNY: a "
                                        "money stand-in for political accountability (问责); "
                                        "the legal fine after Songhua was 0.01 (songhua2005)"),
    "accountability.peer_audit_prob": _a(0, 0.5, "horizontal supervision"),
    "accountability.duty_penalty": _a(0, 3, "sanction as a multiple of the duty's cost"),
    "reporting.disclosure_cost": _a(0.5, 10, "private cost of reporting at once (reputation, "
                                             "investment, the superior's displeasure), 100 "
                                             "million CNY: no anchor found; sweep it"),
    # --- escalation, body, reserve ---
    "escalation.body_capacity": _set(0, 1e9, "1e9 = the body never calls in the centre; 0 = "
                                             "the superior commands every incident"),
    "escalation.central_share": _a(0.3, 1, "share of control cost the centre's teams and "
                                           "funds carry under unified command"),
    "escalation.delay_hours": _s("zhengzhou2021", "Henan's Level I response came days into the "
                                                  "rainstorm (03:00 21 Jul)", (12, 96)),
    "escalation.resource_factor": _a(1, 5, "the centre's extra resources"),
    "body.offices": _choice("专门办公室 per risk type (zhang2024)", "zhang2024"),
    "body.office_speedup": _a(0.3, 1, "speed-up from specialised offices"),
    "reserve.teams": _a(0, 5, "teams in the pooled reserve"),
    "reserve.protection": _a(0.1, 0.4, "extra damage cut where a team works"),
    "reserve.dispatch_hours": _a(4, 48, "time until dispatched teams work"),
    # --- evaluation ---
    "evaluation.assessor": _choice("评估机制: self, superior or third-party assessment",
                                   "zhang2024"),
    "evaluation.timeliness": _choice("criteria of the assessment (zhang2016)", "zhang2016"),
    "evaluation.honesty": _choice("criteria of the assessment (zhang2016)", "zhang2016"),
    "evaluation.cooperation": _choice("criteria of the assessment (zhang2016)", "zhang2016"),
    "evaluation.reward": _a(0.05, 1, "reward or penalty per criterion, 100 million CNY"),
    "evaluation.self_leniency": _a(0.3, 0.9, "chance a self-assessment passes a failure"),
    # --- trust, learning ---
    "trust.initial": _s("ledyard1995", "contributions start at about 40-60% in public-goods "
                                       "games", (0.4, 0.8)),
    "trust.learning_rate": _a(0.1, 0.5, "weight of the latest promise"),
    "trust.model": _choice("exponential smoothing or Beta reputation (josang2002)",
                           "josang2002"),
    "trust.prior_weight": _a(1, 10, "Beta prior weight in promises"),
    "trust.reciprocity": _s("nowak2006", "direct reciprocity: help returned by the cities "
                                         "a city has helped sustains cooperation", (0, 2)),
    "trust.assist_threshold": _a(0, 0.5, "trust needed to assist"),
    "trust.partner_threshold": _a(0, 0.5, "trust needed to stay partners"),
    "trust.delay_hours": _a(0, 24, "extra delay acting on a distrusted warning"),
    "learning.initial_cooperation": _a(0.5, 1, "initial propensity to keep duties"),
    "learning.memory_days": _a(180, 3650, "how long past help counts in a city's reckoning"),
    "learning.rate": _s("chaudhuri2011", "without sanctions contributions decay over about "
                                         "10 rounds", (0.05, 0.5)),
    # --- compensation ---
    "compensation.payout_share": _s("sigman2002", "the Pigouvian share 1 - s_i restores the "
                                                  "optimum (water2024a)", (0, 1)),
    "compensation.outside_share": _s("xinan_comp", "the centre paid 0.3 of a 0.5 bn pool in "
                                                   "round 1, nothing in round 3; 1 = the "
                                                   "superior pays all (superior-led)", (0, 1)),
    "compensation.funding": _choice("by GDP or by benefit (区域间共补)", "zhang2024"),
    "compensation.bilateral": _choice("the Xin'an rule (新安江模式)", "xinan_comp"),
    "compensation.bilateral_amount": _s("xinan_comp", "Zhejiang and Anhui pay each other 0.1 "
                                                      "bn CNY (= 1 in 100 million CNY) a year",
                                        (0.5, 2)),
    # --- participation (参与): who takes part in which mechanism ---
    "participation.groups": _choice("names for groups of cities in the participation lists"),
    "participation.coordination": _choice("跨域城市共同体: a city may stay out of the "
                                          "coordinated system (default: every city in)",
                                          "zhang2024"),
    "participation.platform": _choice("信息平台 membership; the Jing-Jin-Ji joint mechanism "
                                      "grew member by member (default: every city in)",
                                      "jjj2017"),
    "participation.fund": _choice("区域间共补 membership: only members pay in and are "
                                  "refunded (default: every city in)", "zhang2024"),
    "participation.responsibility": _choice("责任清单 coverage (default: every city on the "
                                            "list)", "jjj2017"),
    "participation.partners": _choice("who forms partnerships (default: every city may)"),
    "participation.supervision": _choice("横向监督 coverage (default: every city)",
                                         "zhang2024"),
    "participation.outside_relay_hours": _s("changzhi2013", "up and down the hierarchy, as "
                                                            "info.relay_hours under territorial "
                                                            "rules (24 h)", (6, 96)),
}


def bib_keys(path: Path = BIB) -> set[str] | None:
    """The entry keys of docs/references.bib, or None when the file is not there (an install
    without the repository's docs: then citations cannot be checked)."""
    if not path.exists():
        return None
    return set(re.findall(r"^@\w+\{([^,\s]+),", path.read_text(encoding="utf-8"), re.M))


def missing(paths) -> list[str]:
    """Parameter paths without an entry here (for the test and for whoever adds parameters)."""
    return [p for p in paths if p not in SOURCES]


def short(path: str) -> str:
    """The source column of `python run.py list` and docs/parameters.md."""
    entry = SOURCES.get(path)
    return entry.short() if entry else "(no source yet: add it to sim/sources.py)"


# --- city statistics the presets are checked against ---
# Population: 2020 census, millions; GDP: 2023, trillion CNY (preliminary); (≈ ±3-5%).
# Transcribed from the project's compilation of the NBS census bulletins (census2020) and the
# municipal 2023 communiqués (gdp2023); docs/sources.md has the same table. A preset value is
# checked against these where the city is listed; other cities are marked approximate in their
# preset (tests/test_sources.py checks both).
CITY_STATS: dict[str, tuple[float, float]] = {
    # Beijing-Tianjin-Hebei
    "beijing": (21.89, 4.38), "tianjin": (13.87, 1.67), "shijiazhuang": (11.24, 0.75),
    "tangshan": (7.72, 0.91), "qinhuangdao": (3.14, 0.20), "handan": (9.41, 0.46),
    "xingtai": (7.11, 0.25), "baoding": (11.54, 0.42), "zhangjiakou": (4.12, 0.18),
    "chengde": (3.35, 0.18), "cangzhou": (7.30, 0.44), "langfang": (5.46, 0.38),
    "hengshui": (4.21, 0.19),
    # Greater Bay Area (Hong Kong and Macao GDP marked ≈ in the compilation)
    "guangzhou": (18.68, 3.04), "shenzhen": (17.56, 3.46), "hong_kong": (7.41, 2.7),
    "foshan": (9.50, 1.33), "dongguan": (10.47, 1.14), "huizhou": (6.04, 0.56),
    "zhuhai": (2.44, 0.42), "jiangmen": (4.80, 0.40), "zhongshan": (4.42, 0.38),
    "macao": (0.68, 0.35), "zhaoqing": (4.11, 0.28),
    # Yangtze River Delta, 27 central cities (plan2019)
    "shanghai": (24.87, 4.72), "nanjing": (9.31, 1.74), "wuxi": (7.46, 1.55),
    "changzhou": (5.28, 1.01), "suzhou": (12.75, 2.47), "nantong": (7.73, 1.18),
    "yangzhou": (4.56, 0.74), "zhenjiang": (3.21, 0.53), "yancheng": (6.71, 0.74),
    "taizhou_js": (4.51, 0.67), "hangzhou": (11.94, 2.01), "ningbo": (9.40, 1.65),
    "wenzhou": (9.57, 0.87), "huzhou": (3.37, 0.39), "jiaxing": (5.40, 0.71),
    "shaoxing": (5.27, 0.78), "jinhua": (7.05, 0.60), "zhoushan": (1.16, 0.21),
    "taizhou_zj": (6.62, 0.62), "hefei": (9.37, 1.27), "wuhu": (3.64, 0.47),
    "maanshan": (2.16, 0.25), "tongling": (1.31, 0.12), "anqing": (4.17, 0.29),
    "chuzhou": (3.99, 0.37), "chizhou": (1.34, 0.12), "xuancheng": (2.50, 0.19),
}
# City ids whose GDP the compilation itself marks approximate (≈).
CITY_STATS_APPROX_GDP = ("hong_kong", "macao")
# City-centre coordinates (lat, lon) of the compilation, where it gives them (GeoNames, CC BY).
CITY_COORDS: dict[str, tuple[float, float]] = {
    "beijing": (39.90, 116.41), "tianjin": (39.08, 117.20), "shijiazhuang": (38.04, 114.51),
    "tangshan": (39.63, 118.18), "qinhuangdao": (39.94, 119.60), "handan": (36.63, 114.54),
    "xingtai": (37.07, 114.50), "baoding": (38.87, 115.46), "zhangjiakou": (40.82, 114.89),
    "chengde": (40.95, 117.96), "cangzhou": (38.30, 116.84), "langfang": (39.54, 116.68),
    "hengshui": (37.74, 115.67),
    "guangzhou": (23.13, 113.26), "shenzhen": (22.54, 114.06), "hong_kong": (22.32, 114.17),
    "foshan": (23.02, 113.12), "dongguan": (23.02, 113.75), "huizhou": (23.11, 114.42),
    "zhuhai": (22.27, 113.58), "jiangmen": (22.58, 113.08), "zhongshan": (22.52, 113.39),
    "macao": (22.20, 113.55), "zhaoqing": (23.05, 112.47),
    # Xin'an River nodes (xinan_comp)
    "huangshan": (29.71, 118.32), "chunan": (29.61, 119.04),
}
