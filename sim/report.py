"""A report of one study, in Markdown and self-contained HTML, in English and Chinese.

    from sim.report import write_report
    write_report(sim.open_results("results/quickstart"), langs=("en", "zh"))

writes results/<name>/report.md and report.html (report_zh.md and report_zh.html for Chinese):
what was run (scenario, regimes, sweep, replications, seed, software version and git commit),
the sentence to quote, the key tables (means with 95% CIs, paired differences against the
baseline, mechanism attribution when the study has ablation variants) and every figure with a
caption. The HTML inlines the PNG figures as data URIs and uses no external assets, so it can
be mailed or archived as one file. Like the charts, the report reads only the results folder.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim import analysis, discovery, plots, replay

if TYPE_CHECKING:
    from sim.study import Results

MAIN_OUTCOMES = ("total_loss", "spillover_loss", "spillover_share", "warning_lead_time",
                 "response_delay", "coordination_cost", "net_burden_gini")
HEADLINE_OUTCOMES = ("spillover_loss", "total_loss")
MAX_POINT_ROWS = 12  # beyond this, the by-point tables stay in summary.csv


def report_outcomes(results: Results) -> list[str]:
    """The outcomes of the report's tables: the scenario's `report: {outcomes: [...]}`, or
    MAIN_OUTCOMES; those the study has."""
    chosen = (results.manifest["scenario"].get("report") or {}).get("outcomes")
    runs = results.runs
    return [o for o in (chosen or MAIN_OUTCOMES) if o in runs]


def headline_outcomes(results: Results) -> list[str]:
    """The outcomes of the sentences to quote: `report: {headline: [...]}`, else
    HEADLINE_OUTCOMES among the report's outcomes (else the first of them)."""
    report = results.manifest["scenario"].get("report") or {}
    runs = results.runs
    if report.get("headline"):
        return [o for o in report["headline"] if o in runs] or list(HEADLINE_OUTCOMES[:1])
    tables = report_outcomes(results)
    return [o for o in HEADLINE_OUTCOMES if o in tables and o in runs] or tables[:1] \
        or list(HEADLINE_OUTCOMES[:1])

TEXT = {
    "en": {
        "title": "Study report: {name}",
        "setup": "What was run",
        "scenario": "Scenario", "description": "Description", "file": "file",
        "regimes": "Regimes", "baseline": "Baseline (paired differences are taken against it)",
        "params": "Fixed parameters", "none": "none (model defaults)",
        "sweep": "Sweep", "no_sweep": "none (one parameter point)",
        "points": "{k} points over {params}",
        "replications": "Replications", "reps": "{r} per regime and sweep point "
                                                "({n} runs in all)",
        "seed": "Root seed", "software": "Software",
        "commit": "git commit", "unknown": "unknown", "finished": "finished",
        "result": "Main result",
        "no_result": "No paired comparison: the study has a single regime.",
        "tables": "Key tables",
        "summary": "Outcomes by regime",
        "summary_note": "Mean [95% CI] over {n} runs per regime{pooled}. CI: {method}.",
        "pooled": ", pooled over {k} sweep points",
        "by_point": "{outcome} by sweep point",
        "by_point_note": "Mean [95% CI] over {n} runs per regime and point.",
        "diffs": "Paired differences against {base}",
        "diffs_note": "Each regime minus {base}, run by run over runs with the same seed and "
                      "sweep point (common random numbers); mean [95% CI], percent of the "
                      "baseline mean, and the paired effect size d_z = mean difference / sd "
                      "of the differences.",
        "attr": "Mechanism attribution",
        "attr_note": "Share of the improvement of {full} over {base} lost when one mechanism "
                     "is switched off: (variant - full) / (baseline - full), from means over "
                     "matched runs; 95% CI by paired bootstrap. Shares need not add up to 1 "
                     "(mechanisms interact). Marked * where the improvement itself is not "
                     "significant (the share is then not interpretable).",
        "figures": "Figures", "figure": "Figure {k}.", "files": "files",
        "outcome": "Outcome", "regime": "Regime", "point": "Sweep point",
        "difference": "Difference [95% CI]", "change": "Change [95% CI]", "dz": "d_z",
        "pairs": "Pairs", "mechanism": "Mechanism (variant)", "share": "Share [95% CI]",
        "improvement": "Improvement (baseline - full)",
        "t": "Student t", "bootstrap": "percentile bootstrap (2,000 resamples, fixed seed)",
        "footer": "Written by kuayu {version} from {path}. Tables: summary.csv, "
                  "differences.csv{attr} in the same folder.",
        "swept": "swept (see Sweep)",
        "pooled_k": "pooled over {k} sweep points",
        "pooled_note": " Pooled rows average over sweep points whose differences may differ "
                       "in size and sign: see the differences by sweep point.",
        "diffs_by_point": "Paired differences against {base} by sweep point: {outcome}",
        "diffs_point_note": "Each regime minus the baseline at one sweep point, run by run "
                            "over the runs of that point; differences.csv has every outcome.",
        "diffs_many_note": "{m} of the study's {k} sweep points where the difference is "
                           "significant (95% CI excludes 0), largest change first; "
                           "differences.csv has every point and outcome.",
        "label": "Label", "preset": "Starts from",
        "settings": "Settings changed", "is_baseline": "(baseline)", "same": "(none)",
        "vs": "against {ref}",
        "settings_note": "Settings that differ from the baseline, or for a variant from the "
                         "preset it starts from. Every setting of every regime is in "
                         "scenario.resolved.yaml and manifest.json.",
        "colon": ": ", "comma": ", ", "paren": " ({})",
    },
    "zh": {
        "title": "研究报告：{name}",
        "setup": "研究设置",
        "scenario": "情景", "description": "说明", "file": "文件",
        "regimes": "治理模式", "baseline": "基准模式（配对差值以其为参照）",
        "params": "固定参数", "none": "无（使用模型默认值）",
        "sweep": "参数扫描", "no_sweep": "无（单一参数点）",
        "points": "{params}，共{k}个参数点",
        "replications": "重复次数", "reps": "每种治理模式、每个参数点{r}次（共{n}次运行）",
        "seed": "根随机种子", "software": "软件版本",
        "commit": "git 提交", "unknown": "未知", "finished": "完成于",
        "result": "主要结论",
        "no_result": "本研究只有一种治理模式，没有配对比较。",
        "tables": "主要表格",
        "summary": "各治理模式的结果",
        "summary_note": "均值［95%置信区间］，每种治理模式{n}次运行{pooled}。置信区间：{method}。",
        "pooled": "（合并{k}个参数点）",
        "by_point": "各参数点的{outcome}",
        "by_point_note": "均值［95%置信区间］，每种治理模式、每个参数点{n}次运行。",
        "diffs": "与{base}的配对差值",
        "diffs_note": "各治理模式减去{base}，按相同随机种子、相同参数点逐次配对（共同随机数）；"
                      "给出均值［95%置信区间］、相对基准均值的百分比，以及配对效应量 "
                      "d_z = 平均差值 / 差值的标准差。",
        "attr": "机制贡献分解",
        "attr_note": "关闭某一机制后，{full}相对{base}的改进损失的比例："
                     "（变体 − 完整模式）/（基准 − 完整模式），按配对运行的均值计算；"
                     "95%置信区间来自配对自助法。各机制份额之和不必为1（机制之间有交互）。"
                     "标 * 者表示改进本身不显著，此时份额无法解释。",
        "figures": "图", "figure": "图{k}.", "files": "文件",
        "outcome": "结果变量", "regime": "治理模式", "point": "参数点",
        "difference": "差值［95%置信区间］", "change": "变化率［95%置信区间］", "dz": "d_z",
        "pairs": "配对数", "mechanism": "机制（变体）", "share": "份额［95%置信区间］",
        "improvement": "改进量（基准 − 完整模式）",
        "t": "t 分布", "bootstrap": "百分位自助法（2000次重抽样，固定种子）",
        "footer": "由 kuayu {version} 根据 {path} 生成。表格文件：同一文件夹中的 summary.csv、"
                  "differences.csv{attr}。",
        "swept": "参数扫描（见“参数扫描”）",
        "pooled_k": "合并{k}个参数点",
        "pooled_note": "合并行是对各参数点取平均，而各参数点的差值大小乃至方向可能不同："
                       "见各参数点的配对差值。",
        "diffs_by_point": "各参数点与{base}的配对差值：{outcome}",
        "diffs_point_note": "在每个参数点上，各治理模式减去基准模式，按该参数点的运行逐次配对；"
                            "全部结果变量见 differences.csv。",
        "diffs_many_note": "本研究{k}个参数点中差值显著（95%置信区间不含0）的{m}个，"
                           "按变化幅度从大到小排列；全部参数点与结果变量见 differences.csv。",
        "label": "名称", "preset": "基于", "settings": "改变的设置",
        "is_baseline": "（基准模式）", "same": "（无）", "vs": "相对于{ref}",
        "settings_note": "列出与基准模式不同的设置；变体则列出与其所基于的预设模式不同的设置。"
                         "各治理模式的全部设置见 scenario.resolved.yaml 与 manifest.json。",
        "colon": "：", "comma": "，", "paren": "（{}）",
    },
}

STYLESHEET = """
body { font-family: -apple-system, "Segoe UI", "Helvetica Neue", Arial, "PingFang SC",
       "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei",
       sans-serif; color: #1a1a1a; max-width: 58rem; margin: 2rem auto; padding: 0 1.2rem;
       line-height: 1.55; font-size: 15px; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #0072B2; padding-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; color: #0b3d61; }
h3 { font-size: 1.05rem; margin-top: 1.6rem; }
table { border-collapse: collapse; margin: .6rem 0 .4rem; font-size: .88rem; }
th, td { border-bottom: 1px solid #d9d9d9; padding: .3rem .7rem; text-align: left;
         vertical-align: top; }
th { background: #f3f6f9; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
p.note, figcaption { color: #555; font-size: .85rem; }
blockquote { margin: 1rem 0; padding: .6rem 1rem; background: #f3f8fc;
             border-left: 4px solid #0072B2; }
figure { margin: 1.4rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
code { font-size: .85em; background: #f4f4f4; padding: 0 .25em; border-radius: 3px; }
footer { margin-top: 3rem; color: #777; font-size: .8rem; border-top: 1px solid #ddd;
         padding-top: .6rem; }
"""


# --- formatting -------------------------------------------------------------------------------
def number(x: float, decimals: int | None = None) -> str:
    """About three significant digits, never in e-notation for ordinary magnitudes."""
    if x is None or not math.isfinite(x):
        return "–"
    if decimals is None:
        decimals = _decimals(abs(x))
    return f"{x:,.{decimals}f}"


def _decimals(magnitude: float) -> int:
    if magnitude == 0 or not math.isfinite(magnitude):
        return 2
    return int(min(4, max(0, 2 - math.floor(math.log10(magnitude)))))


def mean_ci_text(m: float, lo: float, hi: float) -> str:
    if not math.isfinite(m):
        return "–"
    d = _decimals(max(abs(m), abs(lo) if math.isfinite(lo) else 0,
                      abs(hi) if math.isfinite(hi) else 0))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return number(m, d)
    return f"{number(m, d)} [{number(lo, d)}, {number(hi, d)}]"


def pct_text(m: float, lo: float, hi: float) -> str:
    if not math.isfinite(m):
        return "–"
    return f"{m:+.1f}% [{lo:+.1f}%, {hi:+.1f}%]"


def _value(v: Any, inner: bool = False) -> str:
    """A setting as a reader wants it: 0.2 rather than 0.2000, {plume: 0.2} rather than a
    table of equal per-tier rates."""
    if isinstance(v, bool) or v is None:
        return str(v).lower()
    if isinstance(v, int | float):
        return f"{v:g}"
    if isinstance(v, dict):
        values = list(v.values())
        if inner and values and all(x == values[0] for x in values) \
                and not isinstance(values[0], dict):
            return _value(values[0])
        return "{" + ", ".join(f"{k}: {_value(x, True)}" for k, x in v.items()) + "}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return str(v)


# --- the document -----------------------------------------------------------------------------
class Doc:
    """A list of blocks that render to Markdown and to HTML alike."""

    def __init__(self):
        self.blocks: list[tuple] = []

    def add(self, kind: str, *args) -> None:
        self.blocks.append((kind, *args))


def build(results: Results, lang: str = "en", ci: str = "t") -> Doc:
    """The report's content for one language."""
    t = TEXT[lang]
    manifest = results.manifest
    sc = manifest["scenario"]
    style = plots.Style(sc["regimes"], lang)
    runs = results.runs
    swept = results.swept
    doc = Doc()
    doc.add("h1", t["title"].format(name=results.name))
    if sc.get("description"):
        doc.add("p", sc["description"])

    # what was run
    doc.add("h2", t["setup"])
    c, comma = t["colon"], t["comma"]
    source = manifest.get("scenario_file") or ""
    items = [f"{t['scenario']}{c}`{results.name}`"
             + (t["paren"].format(f"{t['file']} `{source}`")
                if source and not source.startswith("<") else "")]
    items.append(f"{t['baseline']}{c}{style.label(results.baseline)}"
                 + t["paren"].format(f"`{results.baseline}`"))
    params = sc.get("params") or {}
    items.append(f"{t['params']}{c}" + (comma.join(f"`{k}` = {_value(v)}"
                                                   for k, v in params.items()) or t["none"]))
    points = sc.get("sweep_points") or [{}]
    if swept:
        desc = "; ".join(_swept_values(p, _unique(pt.get(p) for pt in points), lang)
                         for p in swept)
        items.append(f"{t['sweep']}{c}" + t["points"].format(k=len(points), params=desc))
    else:
        items.append(f"{t['sweep']}{c}{t['no_sweep']}")
    n_runs = manifest.get("runs", {}).get("total", len(runs))
    items.append(f"{t['replications']}{c}"
                 + t["reps"].format(r=sc.get("replications"), n=f"{n_runs:,}"))
    items.append(f"{t['seed']}{c}{sc.get('seed')}")
    versions = manifest.get("versions", {})
    commit = manifest.get("git_commit")
    sessions = manifest.get("sessions") or []
    software = [f"kuayu {versions.get('kuayu', '?')}",
                f"{t['commit']} " + (f"`{commit[:12]}`" if commit else t["unknown"]),
                f"Python {versions.get('python', '?')}", f"Mesa {versions.get('mesa', '?')}"]
    if sessions:
        software.append(f"{t['finished']} {sessions[-1]['finished']}")
    items.append(f"{t['software']}{c}" + comma.join(software))
    doc.add("ul", items)
    doc.add("h3", t["regimes"])
    by_name = {r["name"]: r.get("settings") or {} for r in sc["regimes"]}
    rows = []
    for r in sc["regimes"]:
        own, preset = r.get("settings") or {}, r.get("regime", r["name"])
        # a variant against the preset it starts from (when the study has it), else the baseline
        ref = preset if preset != r["name"] and preset in by_name else results.baseline
        # a setting the sweep or the fixed parameters override is not the regime's to set
        changed = [f"`{k}` = {_value(v)}" for k, v in own.items()
                   if by_name.get(ref, {}).get(k) != v and k not in swept and k not in params]
        changed += [f"`{k}` = {t['swept']}" for k in own if k in swept]
        text = (t["is_baseline"] if r["name"] == results.baseline else
                (comma.join(changed) or t["same"])
                + (t["paren"].format(t["vs"].format(ref=style.label(ref)))
                   if ref != results.baseline else ""))
        rows.append([f"`{r['name']}`", style.label(r["name"]), f"`{preset}`", text])
    doc.add("table", [t["regime"], t["label"], t["preset"], t["settings"]], rows, [])
    doc.add("note", t["settings_note"])

    # the sentence to quote
    diffs = analysis.paired_differences(runs, swept, results.baseline, ci)
    doc.add("h2", t["result"])
    lines = []
    if not diffs.empty:
        for outcome in headline_outcomes(results):
            lines += analysis.headline(diffs, outcome, lang, style.labels)
    for line in lines:
        doc.add("quote", line)
    if not lines:
        doc.add("p", t["no_result"])

    # tables
    doc.add("h2", t["tables"])
    outcomes = report_outcomes(results)
    regimes = style.present(runs)
    pooled = analysis.summary(runs, [], ci)
    n_points = len(points)
    doc.add("h3", t["summary"])
    rows = []
    for outcome in outcomes:
        row = [plots.outcome_label(outcome, lang)]
        for regime in regimes:
            r = pooled[(pooled["regime"] == regime) & (pooled["outcome"] == outcome)]
            row.append(mean_ci_text(*r[["mean", "ci_low", "ci_high"]].iloc[0]) if len(r)
                       else "–")
        rows.append(row)
    doc.add("table", [t["outcome"], *[style.label(r) for r in regimes]], rows,
            list(range(1, len(regimes) + 1)))
    n = _count(runs.groupby("regime").size())
    doc.add("note", t["summary_note"].format(
        n=n, pooled=t["pooled"].format(k=n_points) if n_points > 1 else "",
        method=t[ci]))

    keys = [p for p in swept if p in runs]
    few = bool(keys) and 1 < n_points <= MAX_POINT_ROWS
    if few:
        by_point = analysis.summary(runs, swept, ci)
        for outcome in headline_outcomes(results):
            doc.add("h3", t["by_point"].format(outcome=plots.outcome_name(outcome, lang)
                                               if lang == "zh" else
                                               plots.outcome_label(outcome, lang)))
            table = by_point[by_point["outcome"] == outcome]
            rows = []
            for values, frame in table.groupby(keys, sort=False):
                values = values if isinstance(values, tuple) else (values,)
                row = [", ".join(plots.param_value(p, v, lang)
                                 for p, v in zip(keys, values, strict=True))]
                for regime in regimes:
                    r = frame[frame["regime"] == regime]
                    row.append(mean_ci_text(*r[["mean", "ci_low", "ci_high"]].iloc[0])
                               if len(r) else "–")
                rows.append(row)
            doc.add("table", [t["point"], *[style.label(r) for r in regimes]], rows,
                    list(range(1, len(regimes) + 1)))
            doc.add("note", t["by_point_note"].format(
                n=_count(runs.groupby(["regime", *keys]).size())))

    if not diffs.empty:
        base = style.label(results.baseline)
        whole = analysis.pooled_rows(diffs)
        doc.add("h3", t["diffs"].format(base=base)
                + (t["paren"].format(t["pooled_k"].format(k=n_points)) if n_points > 1
                   else ""))
        rows = []
        for regime in [r for r in regimes if r != results.baseline]:
            for outcome in outcomes:
                d = whole[(whole["regime"] == regime) & (whole["outcome"] == outcome)]
                if d.empty:
                    continue
                rows.append(_diff_row(d.iloc[0], [style.label(regime),
                                                  plots.outcome_label(outcome, lang)]))
        doc.add("table", [t["regime"], t["outcome"], t["difference"], t["change"], t["dz"],
                          t["pairs"]], rows, [2, 3, 4, 5])
        doc.add("note", t["diffs_note"].format(base=base)
                + (t["pooled_note"] if n_points > 1 else ""))
        points_only = analysis.point_rows(diffs)
        if not points_only.empty:
            for outcome in headline_outcomes(results):
                part = points_only[points_only["outcome"] == outcome]
                if part.empty:
                    continue
                doc.add("h3", t["diffs_by_point"].format(
                    base=base, outcome=plots.outcome_name(outcome, lang)))
                if few:
                    shown, note = part, t["diffs_point_note"]
                else:  # many points: those where the difference is significant, largest first
                    shown = part[(part["ci_low"] > 0) | (part["ci_high"] < 0)]
                    shown = shown.reindex(shown["pct_change"].abs()
                                          .sort_values(ascending=False).index)
                    shown = shown.groupby("regime", sort=False).head(MAX_POINT_ROWS // 2)
                    note = t["diffs_many_note"].format(k=n_points, m=len(shown))
                rows = [_diff_row(d, [style.label(d["regime"]),
                                      analysis.point_text(d, keys, lang)])
                        for _, d in shown.iterrows()]
                doc.add("table", [t["regime"], t["point"], t["difference"], t["change"],
                                  t["dz"], t["pairs"]], rows, [2, 3, 4, 5])
                doc.add("note", note)

    attr = analysis.attribution(runs, swept, sc["regimes"], results.baseline,
                                headline_outcomes(results))
    if not attr.empty:
        doc.add("h3", t["attr"])
        rows = []
        for _, a in attr.iterrows():
            mark = "" if a["improvement_significant"] else " *"
            rows.append([f"{a['mechanism']} ({style.label(a['variant'])})",
                         plots.outcome_label(a["outcome"], lang),
                         mean_ci_text(a["improvement"], a["improvement_ci_low"],
                                      a["improvement_ci_high"]) + mark,
                         mean_ci_text(a["share"], a["ci_low"], a["ci_high"]),
                         str(int(a["n_pairs"]))])
        doc.add("table", [t["mechanism"], t["outcome"], t["improvement"], t["share"],
                          t["pairs"]], rows, [2, 3, 4])
        fulls = ", ".join(dict.fromkeys(style.label(f) for f in attr["full"]))
        doc.add("note", t["attr_note"].format(full=fulls, base=style.label(results.baseline)))

    # an incident replay: the model's timeline against the documented record (sim/replay.py)
    replay.add_section(doc, results, lang)
    # scenario discovery and regret, for a study with a discovery block (sim/discovery.py)
    discovery.add_section(doc, results, lang)

    # per-city accounts when some city stays out of a mechanism (participation.*)
    add_city_section(doc, results, lang, ci)
    # the event log of the incident the incident charts follow (record: {events: true})
    add_event_section(doc, results, lang)
    # the regime comparison across draws of the uncertain parameters (`uncertain:`)
    from sim import calibration, uncertainty

    uncertainty.add_section(doc, results, lang)
    # a calibration run into the same folder (`run.py calibrate`)
    calibration.study_section(doc, results, lang)

    # figures
    figures = _figures(results, lang)
    if figures:
        doc.add("h2", t["figures"])
        for k, (name, png) in enumerate(figures, start=1):
            doc.add("figure", png, t["figure"].format(k=k) + " " + plots.caption(name, lang),
                    png.relative_to(results.path).as_posix())
    doc.add("footer", t["footer"].format(
        version=versions.get("kuayu", "?"), path=results.path.as_posix(),
        attr="".join((", " if lang == "en" else "、") + f for f in ("attribution.csv",
                                                                   replay.FILE)
                     if (results.path / f).exists())))
    return doc


# --- per-city participation and accounts ------------------------------------------------------
MEMBERSHIP = ("platform", "fund", "responsibility", "partners", "supervision")
CITY_TEXT = {
    "en": {
        "h2": "Per-city accounts and participation",
        "intro": "Net burden per city (loss + source control + assistance + fund contributions "
                 "+ sanctions - fund payouts - assessment rewards + bilateral transfers paid; "
                 "100 million CNY), mean over {n} runs per regime. Cities marked † stay out of "
                 "a mechanism in that regime: {list}.",
        "city": "City", "out": "{city} out of {what}",
        "cost_h3": "What staying out costs, against {base}",
        "cost_note": "Paired over runs with the same seed and sweep point (common random "
                     "numbers): mean [95% CI] of the change in net burden of the cities that "
                     "stay out, of every other city together, and in the region's total loss "
                     "(100 million CNY; positive = worse than {base}).",
        "who": "Regime (who stays out)", "self": "Cities out: net burden",
        "others": "Everyone else: net burden", "total": "Total loss",
        "names": {"platform": "the platform", "fund": "the fund",
                  "responsibility": "the responsibility list", "partners": "partnerships",
                  "supervision": "peer supervision"},
        "and": " and ", "sep": "; ",
    },
    "zh": {
        "h2": "各城市账户与参与情况",
        "intro": "各城市净负担（损失 + 源头控制 + 协助 + 基金缴费 + 问责处罚 − 基金补偿 − "
                 "评估奖励 + 支付的横向补偿；亿元），每种治理模式{n}次运行的均值。标 † 的城市在该"
                 "治理模式中不参与某一机制：{list}。",
        "city": "城市", "out": "{city}不参与{what}",
        "cost_h3": "不参与的代价（相对于{base}）",
        "cost_note": "按相同随机种子、相同参数点逐次配对（共同随机数）：不参与城市的净负担、"
                     "其他所有城市净负担之和、区域总损失的变化，均值［95%置信区间］"
                     "（亿元；正值表示比{base}更差）。",
        "who": "治理模式（不参与者）", "self": "不参与城市：净负担",
        "others": "其他城市：净负担", "total": "总损失",
        "names": {"platform": "信息平台", "fund": "补偿基金", "responsibility": "责任清单",
                  "partners": "伙伴合作", "supervision": "横向监督"},
        "and": "、", "sep": "；",
    },
}


def _outside(accounts: pd.DataFrame) -> dict[tuple[str, int], list[str]]:
    """(regime, city) -> the mechanisms the city stays out of (in replication 0's runs)."""
    cols = [c for c in (f"in_{m}" for m in MEMBERSHIP) if c in accounts]
    out: dict[tuple[str, int], list[str]] = {}
    if not cols:
        return out
    first = accounts.drop_duplicates(["regime", "city"])
    for _, row in first.iterrows():
        missing = [c[3:] for c in cols if not bool(row[c])]
        if missing:
            out[(row["regime"], int(row["city"]))] = missing
    return out


def add_city_section(doc: Doc, results: Results, lang: str, ci: str = "t") -> None:
    """Per-city net burden by regime, marking the cities that stay out of a mechanism, and
    what staying out costs them and the others (only for studies where some city stays out
    of something: participation.*)."""
    runs = results.runs
    keys = ["run_id", "regime"] + [c for c in ("point", "replication") if c in runs]
    columns = getattr(results, "columns", None)
    if callable(columns):  # a results folder: is anyone out? read the membership alone
        member = columns("accounts", ["run_id", "city", *(f"in_{m}" for m in MEMBERSHIP)])
        if member is None or not _outside(member.merge(runs[keys], on="run_id")):
            return
    accounts = getattr(results, "accounts", None)
    if accounts is None or "in_platform" not in accounts:
        return
    data = accounts.merge(runs[keys], on="run_id")
    outside = _outside(data)
    if not outside:
        return
    t, tt = CITY_TEXT[lang], TEXT[lang]
    style = plots.Style(results.manifest["scenario"]["regimes"], lang)
    regimes = style.present(runs)
    names = data.drop_duplicates("city").set_index("city")["name_zh" if lang == "zh"
                                                          else "name_en"]
    doc.add("h2", t["h2"])
    means = data.groupby(["regime", "city"])["net_burden"].mean()
    listed = []
    for (regime, city), what in outside.items():
        listed.append(f"{style.label(regime)}{tt['colon']}" + t["out"].format(
            city=names[city], what=t["and"].join(t["names"][w] for w in what)))
    doc.add("p", t["intro"].format(n=_count(runs.groupby("regime").size()),
                                   list=t["sep"].join(listed)))
    rows = []
    for city in sorted(names.index):
        row = [str(names[city])]
        for regime in regimes:
            mark = " †" if (regime, city) in outside else ""
            value = means.get((regime, city), math.nan)
            row.append(number(value) + mark)
        rows.append(row)
    doc.add("table", [t["city"], *[style.label(r) for r in regimes]], rows,
            list(range(1, len(regimes) + 1)))
    base = results.baseline
    pair = [c for c in ("point", "replication") if c in data]
    if not pair:
        return
    rows = []
    total = runs.set_index(["regime", *pair])["total_loss"]
    for regime in regimes:
        if regime == base:
            continue
        out_here = sorted(c for (r, c), _w in outside.items() if r == regime
                          and (base, c) not in outside)
        if not out_here:
            continue
        burden = data.assign(out=data["city"].isin(out_here)).groupby(
            ["regime", *pair, "out"])["net_burden"].sum().unstack("out")
        if regime not in burden.index.get_level_values(0) or base not in \
                burden.index.get_level_values(0):
            continue
        mine, ref = burden.loc[regime], burden.loc[base]
        both = mine.index.intersection(ref.index)
        d_out = (mine.loc[both, True] - ref.loc[both, True]).to_numpy(dtype=float)
        d_rest = (mine.loc[both, False] - ref.loc[both, False]).to_numpy(dtype=float)
        d_total = (total.loc[regime].loc[both] - total.loc[base].loc[both]).to_numpy(
            dtype=float)
        who = t["and"].join(str(names[c]) for c in out_here)
        rows.append([style.label(regime) + tt["paren"].format(who),
                     *(mean_ci_text(*analysis.mean_ci(d, ci)) for d in (d_out, d_rest,
                                                                         d_total)),
                     str(len(both))])
    if rows:
        doc.add("h3", t["cost_h3"].format(base=style.label(base)))
        doc.add("table", [t["who"], t["self"], t["others"], t["total"], tt["pairs"]], rows,
                [1, 2, 3, 4])
        doc.add("note", t["cost_note"].format(base=style.label(base)))


# --- the event log of the chosen incident -----------------------------------------------------
EVENT_TEXT = {
    "en": {
        "h2": "Event log of one incident",
        "intro": "{what}. Who did what, and when (hours since the incident started), in "
                 "replication 0 of each regime (record: {{events: true}}; every event is in "
                 "`sim.open_results(...).events`).",
        "counts": "Events by kind: how many, and the hours of the first and the last",
        "event": "Event",
        "cell": "{n} ({h} h)",
        "timeline": "Decisions in the {regime} run",
        "when": "Hour", "actor": "Actor", "target": "Target", "amount": "Amount",
        "detail": "Detail", "more": "{k} more decisions are in the events table.",
        "body": "coordinating body", "centre": "centre",
    },
    "zh": {
        "h2": "单个事件的事件日志",
        "intro": "{what}。各治理模式第0次重复运行中，谁在何时（事件开始后的小时数）做了什么"
                 "（record: {{events: true}}；全部事件见 `sim.open_results(...).events`）。",
        "counts": "各类事件：次数，以及最早与最晚一次的时间", "event": "事件",
        "cell": "{n}（第{h}小时）",
        "timeline": "{regime}运行中的决策",
        "when": "小时", "actor": "行动者", "target": "对象", "amount": "数额",
        "detail": "说明", "more": "另有{k}条决策见事件表。",
        "body": "协调机构", "centre": "中央",
    },
}
# Per-city messages and states are counted, not listed, in the timeline.
ROUTINE = ("arrived", "warned", "activated", "trust_change", "fund_paid", "fund_collected",
           "assistance_asked", "assistance_given", "assistance_refused", "teams_sent")
MAX_TIMELINE = 15


def add_event_section(doc: Doc, results: Results, lang: str) -> None:
    """For the incident the incident charts follow (chart_options.incident_timeline or
    incident_map: point, kind, origin, rank): how many events of each kind each regime's run
    had and when the first came, and the decisions in order."""
    from sim import events, maps

    log = getattr(results, "events", None)
    regions = getattr(results, "regions", None)
    if log is None or log.empty or not regions:
        return
    sc = results.manifest["scenario"]
    style = plots.Style(sc["regimes"], lang)
    options = dict((sc.get("chart_options") or {}).get("incident_timeline")
                   or (sc.get("chart_options") or {}).get("incident_map") or {})
    got = maps.chosen_incident(results.runs, regions, style, options.get("point"),
                               options.get("kind"), options.get("origin"),
                               options.get("rank", 1), results.baseline)
    if got is None:
        return
    chosen = got[0]
    t = EVENT_TEXT[lang]
    parts = {}
    for regime, record in chosen.records.items():
        region = chosen.regions[regime]
        run_id = next((k for k, v in regions.items() if v is region), None)
        index = next((k for k, inc in enumerate(region["incidents"]) if inc is record), None)
        if run_id is None or index is None:
            continue
        part = log[(log["run_id"] == run_id) & (log["incident"] == index)]
        if not part.empty:
            start = record["start_step"] * region["step_hours"]
            parts[regime] = (part.assign(since=part["hour"] - start), region)
    if not parts:
        return
    doc.add("h2", t["h2"])
    doc.add("p", t["intro"].format(what=chosen.describe(lang, style.labels)))
    regimes = [r for r in style.order if r in parts]
    kinds = [k for k in events.VOCABULARY if any((p["event"] == k).any()
                                                  for p, _ in parts.values())]
    zh = lang == "zh"
    rows = []
    for kind in kinds:
        row = [kind + (f"（{events.VOCABULARY[kind][1]}）" if zh else "")]
        for regime in regimes:
            hits = parts[regime][0]
            hits = hits[hits["event"] == kind]
            first, last = (number(float(hits["since"].agg(f)), 0) for f in ("min", "max"))
            row.append(t["cell"].format(n=len(hits), h=first if first == last
                                        else f"{first}–{last}") if len(hits) else "–")
        rows.append(row)
    doc.add("h3", t["counts"])
    doc.add("table", [t["event"], *[style.label(r) for r in regimes]], rows,
                list(range(1, len(regimes) + 1)))
    for regime in regimes:
        part, region = parts[regime]
        names = region["names_zh" if zh else "names_en"]

        def who(x, names=names) -> str:
            if isinstance(x, str):
                return t.get(x, x)
            if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
                return ""
            return str(names[int(x)])

        decisions = part[~part["event"].isin(ROUTINE)]
        rows = [[number(float(e["since"]), 0), e["event"], who(e["actor"]), who(e["target"]),
                 number(float(e["amount"])) if pd.notna(e["amount"]) else "",
                 str(e["detail"])] for _, e in decisions.head(MAX_TIMELINE).iterrows()]
        doc.add("h3", t["timeline"].format(regime=style.label(regime)))
        doc.add("table", [t["when"], t["event"], t["actor"], t["target"], t["amount"],
                          t["detail"]], rows, [0, 4])
        if len(decisions) > MAX_TIMELINE:
            doc.add("note", t["more"].format(k=len(decisions) - MAX_TIMELINE))


def _diff_row(d, first: list[str]) -> list[str]:
    return [*first, mean_ci_text(d["mean_diff"], d["ci_low"], d["ci_high"]),
            pct_text(d["pct_change"], d["pct_ci_low"], d["pct_ci_high"]),
            number(d["effect_size_dz"], 2), str(int(d["n_pairs"]))]


def _swept_values(path: str, values: list, lang: str) -> str:
    """`path` ∈ {the values}, or for many numbers (a sampled sweep) their count and range."""
    if len(values) > MAX_POINT_ROWS and all(isinstance(v, int | float)
                                            and not isinstance(v, bool) for v in values):
        lo, hi = _value(min(values)), _value(max(values))
        return (f"`{path}`：{len(values)}个取值，范围 [{lo}, {hi}]" if lang == "zh" else
                f"`{path}`: {len(values)} values in [{lo}, {hi}]")
    return f"`{path}` ∈ {{{', '.join(_value(v) for v in values)}}}"


def _unique(values) -> list:
    return list(dict.fromkeys(v for v in values if v is not None))


def _count(counts: pd.Series) -> str:
    lo, hi = int(counts.min()), int(counts.max())
    return str(lo) if lo == hi else f"{lo}–{hi}"


def _figures(results: Results, lang: str) -> list[tuple[str, Path]]:
    """The study's PNG figures in this language (drawn now if none exist yet)."""
    folder = results.path / "figures"

    def found() -> list[tuple[str, Path]]:
        stems = [(n, n if lang == "en" else f"{n}_{lang}") for n in plots.CHART_NAMES]
        return [(n, folder / f"{s}.png") for n, s in stems if (folder / f"{s}.png").exists()]

    if not found():
        plots.draw(results, lang=lang)
    return found()


# --- rendering --------------------------------------------------------------------------------
def _md_cell(text: str) -> str:
    return _md(str(text)).replace("|", "\\|").replace("\n", " ")


def _md(text: str) -> str:
    """Markdown text with raw HTML neutralised outside `code` spans: a label or description
    holding `<script>` shows as text in any Markdown viewer instead of running."""
    parts = str(text).split("`")
    return "`".join(p if k % 2 else p.replace("&", "&amp;").replace("<", "&lt;")
                    .replace(">", "&gt;") for k, p in enumerate(parts))


def to_markdown(doc: Doc) -> str:
    out: list[str] = []
    for kind, *args in doc.blocks:
        args = [_md(a) if isinstance(a, str) else
                [_md(x) for x in a] if kind == "ul" else a for a in args]
        if kind == "h1":
            out += [f"# {args[0]}", ""]
        elif kind == "h2":
            out += [f"## {args[0]}", ""]
        elif kind == "h3":
            out += [f"### {args[0]}", ""]
        elif kind == "p":
            out += [args[0], ""]
        elif kind == "note":
            out += [f"*{args[0]}*", ""]
        elif kind == "quote":
            out += [f"> {args[0]}", ""]
        elif kind == "ul":
            out += [f"- {item}" for item in args[0]] + [""]
        elif kind == "table":
            header, rows, numeric = args
            out.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
            out.append("|" + "|".join("---:" if i in numeric else "---"
                                      for i in range(len(header))) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            out.append("")
        elif kind == "figure":
            _png, caption, rel = args
            out += [f"![{caption}]({rel})", "", f"*{caption}* (`{rel}`; also "
                    f"`{Path(rel).with_suffix('.pdf').name}`)", ""]
        elif kind == "footer":
            out += ["---", "", args[0], ""]
    return "\n".join(out)


def _inline(text: str) -> str:
    """HTML of a line of Markdown-ish text: escapes, and `code` spans."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if k % 2 else p for k, p in enumerate(parts))


def to_html(doc: Doc, lang: str = "en") -> str:
    title = next((args[0] for kind, *args in doc.blocks if kind == "h1"), "kuayu report")
    body: list[str] = []
    for kind, *args in doc.blocks:
        if kind in ("h1", "h2", "h3"):
            body.append(f"<{kind}>{_inline(args[0])}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{_inline(args[0])}</p>")
        elif kind == "note":
            body.append(f'<p class="note">{_inline(args[0])}</p>')
        elif kind == "quote":
            body.append(f"<blockquote>{_inline(args[0])}</blockquote>")
        elif kind == "ul":
            body.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in args[0]) + "</ul>")
        elif kind == "table":
            header, rows, numeric = args
            head = "".join(f"<th>{_inline(h)}</th>" for h in header)
            lines = ["<tr>" + "".join(
                (f'<td class="num">{_inline(c)}</td>' if i in numeric else
                 f"<td>{_inline(c)}</td>") for i, c in enumerate(row)) + "</tr>"
                for row in rows]
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}"
                        "</tbody></table>")
        elif kind == "figure":
            png, caption, rel = args
            data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
            body.append(f'<figure><img alt="{html.escape(caption)}" '
                        f'src="data:image/png;base64,{data}">'
                        f"<figcaption>{_inline(caption)} (<code>{html.escape(rel)}</code>)"
                        "</figcaption></figure>")
        elif kind == "footer":
            body.append(f"<footer>{_inline(args[0])}</footer>")
    html_lang = "zh-CN" if lang == "zh" else "en"
    style = STYLESHEET
    words = title + "".join(_visible(b) for b in body)
    if any(fonts_needed(ch) for ch in words):
        # the Chinese characters of this page, in the font that ships with kuayu
        from sim.fonts import font_face_css

        style = font_face_css(words) + STYLESHEET.replace(
            "body { font-family: ", 'body { font-family: "kuayu-cjk", ', 1)
    return (f'<!DOCTYPE html>\n<html lang="{html_lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{style}</style>\n</head>\n"
            "<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")


def fonts_needed(ch: str) -> bool:
    """True for a character a Latin font lacks: CJK ideographs, kana, full-width forms and
    CJK punctuation."""
    code = ord(ch)
    return (0x2E80 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xFE30 <= code <= 0xFE4F
            or 0xFF00 <= code <= 0xFFEF or code in (0x2014, 0x2018, 0x2019, 0x201C, 0x201D,
                                                    0x2026, 0x00B7, 0x2013))


def _visible(fragment: str) -> str:
    """The text of an HTML fragment (tags and data URIs dropped, entities decoded)."""
    import re

    return html.unescape(re.sub(r"<[^>]*>", " ", fragment))


def write_report(results: Results, langs: tuple[str, ...] = ("en",), ci: str = "t"
                 ) -> list[Path]:
    """Write report.md and report.html (report_<lang>.* for other languages) into the results
    folder and return their paths. `ci` is "t" or "bootstrap" for the tables."""
    written = []
    for lang in langs:
        if lang not in TEXT:
            raise ValueError(f"unknown language {lang!r}: expected 'en' or 'zh'")
        doc = build(results, lang, ci)
        stem = "report" if lang == "en" else f"report_{lang}"
        md, page = results.path / f"{stem}.md", results.path / f"{stem}.html"
        md.write_text(to_markdown(doc), encoding="utf-8")
        page.write_text(to_html(doc, lang), encoding="utf-8")
        written += [md, page]
    return written
