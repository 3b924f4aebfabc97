"""The study report: Markdown and self-contained HTML, English and Chinese, from a real study."""

import base64
import re

import pytest

from sim.report import number, write_report
from sim.study import run_study
from tests.conftest import SMALL


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    res = run_study(dict(SMALL, record={"series": True}),
                    out=tmp_path_factory.mktemp("report") / "small", charts=True)
    return res, write_report(res, langs=("en", "zh"))


def test_report_files_exist_in_both_languages(report):
    res, written = report
    assert sorted(p.name for p in written) == ["report.html", "report.md", "report_zh.html",
                                               "report_zh.md"]
    assert all(p.parent == res.path and p.stat().st_size > 0 for p in written)


def test_markdown_has_the_setup_headline_tables_and_every_figure(report):
    res, _ = report
    md = (res.path / "report.md").read_text(encoding="utf-8")
    for sentence in res.headline():
        assert sentence in md
    figures = sorted((res.path / "figures").glob("*.png"))
    english = [p for p in figures if not p.stem.endswith("_zh")]
    assert len(english) == len(SMALL["charts"])
    for png in english:
        assert f"figures/{png.name}" in md
    for words in ("test study", "Territorial", "Coordinated", "`region.reach_hours` ∈ {12, 36}",
                  "4 per regime and sweep point (16 runs in all)", "Root seed: 11",
                  "kuayu 0.1.0", "git commit", "Paired differences against Territorial",
                  "| Total loss (100 million CNY) |"):
        assert words in md, words
    assert re.search(r"\| -?\d[\d.,]* \[-?\d[\d.,]*, -?\d[\d.,]*\] \|", md)  # mean [95% CI]


def test_html_is_self_contained_with_the_figures_inlined(report):
    res, _ = report
    page = (res.path / "report.html").read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == len(SMALL["charts"])
    assert all(base64.b64decode(data).startswith(b"\x89PNG") for data in images)
    assert "<style>" in page and "<table>" in page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)  # no external assets
    assert "<link" not in page and "<script" not in page


def test_chinese_report_is_translated(report):
    res, _ = report
    md = (res.path / "report_zh.md").read_text(encoding="utf-8")
    for words in ("研究设置", "主要结论", "各治理模式的结果", "与属地管理的配对差值", "图1.",
                  "总损失（亿元）", "与属地管理相比，综合协调·协同共治·属地管理使波及地损失"):
        assert words in md, words
    for png in (res.path / "figures").glob("*_zh.png"):
        assert f"figures/{png.name}" in md
    page = (res.path / "report_zh.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "data:image/png;base64," in page
    assert "Figure" not in md and "What was run" not in md


def test_numbers_keep_about_three_significant_digits():
    assert number(10.4321) == "10.4"
    assert number(0.020254) == "0.0203"
    assert number(1234.5) == "1,234"
    assert number(float("nan")) == "–"


SIGN = {"name": "sign", "seed": 3, "replications": 8, "regimes": ["territorial", "coordinated"],
        # a spill that harms less than the default (half_damage 5 t/h, not 0.3), so that
        # control is a matter of degree and the refund moves it
        "params": {"region.n_cities": 5, "time.horizon_days": 10,
                   "river_spill.half_damage": 5.0},
        "sweep": {"compensation.payout_share": [0.0, 1.0]}, "charts": [],
        "record": {"series": False},
        "report": {"outcomes": ["origin_loss", "source_control_cost", "total_loss"],
                   "headline": ["origin_loss"]}}


@pytest.fixture(scope="module")
def sign_study(tmp_path_factory):
    """A real sweep across which the difference changes sign: without refunds the coordinated
    origin's loss is lower than the territorial one, with full refunds it is higher."""
    res = run_study(SIGN, out=tmp_path_factory.mktemp("sign") / "sign", charts=False)
    return res, write_report(res, langs=("en", "zh"))


def test_a_sweep_whose_difference_changes_sign_is_reported_per_point(sign_study):
    import pandas as pd

    res, _ = sign_study
    table = pd.read_csv(res.path / "differences.csv")
    rows = table[table["outcome"] == "origin_loss"]
    assert list(rows["pooled"]) == [False, False, True]
    assert list(rows["compensation.payout_share"].iloc[:2]) == [0.0, 1.0]
    at0, at1 = rows["pct_change"].iloc[0], rows["pct_change"].iloc[1]
    assert at0 < 0 < at1 and rows["ci_high"].iloc[0] < 0 < rows["ci_low"].iloc[1]
    md = (res.path / "report.md").read_text(encoding="utf-8")
    assert "> At compensation payout share = 0, Coordinated cuts origin loss by" in md
    assert "> At compensation payout share = 1, Coordinated raises origin loss by" in md
    assert ("> The sign of the difference changes across the sweep: Coordinated cuts origin "
            "loss against Territorial at compensation payout share = 0, and raises it at "
            "compensation payout share = 1") in md
    assert "### Paired differences against Territorial by sweep point: origin loss" in md
    # the headline the command line prints is the report's
    assert all(f"> {line}" in md for line in res.headline())
    zh = (res.path / "report_zh.md").read_text(encoding="utf-8")
    assert "差异的方向随参数点而变" in zh and "在补偿比例 = 1时，与属地管理相比" in zh


def test_the_report_outcomes_come_from_the_scenario(sign_study):
    res, _ = sign_study
    md = (res.path / "report.md").read_text(encoding="utf-8")
    table = md.split("### Outcomes by regime")[1].split("###")[0]
    assert "| Origin loss (100 million CNY) |" in table
    assert "| Source control cost (100 million CNY) |" in table
    assert "Spillover loss" not in table and "Warning lead time" not in table


def test_the_regime_table_shows_swept_settings_as_swept(sign_study):
    res, _ = sign_study
    md = (res.path / "report.md").read_text(encoding="utf-8")
    row = next(line for line in md.splitlines() if line.startswith("| `coordinated` |"))
    assert "`compensation.payout_share` = swept (see Sweep)" in row
    assert "`compensation.payout_share` = 0.3" not in md


def test_csv_tables_open_in_excel_with_chinese(sign_study):
    res, _ = sign_study
    for name in ("runs.csv", "summary.csv", "differences.csv"):
        assert (res.path / name).read_bytes().startswith(b"\xef\xbb\xbf"), name


def test_markdown_report_neutralises_html_in_user_strings():
    from sim.report import Doc, to_markdown

    doc = Doc()
    doc.add("p", 'Regime <script>alert(1)</script> & `code <kept>`')
    doc.add("table", ["a"], [["<b>x</b>"]], set())
    md = to_markdown(doc)
    assert "<script>" not in md and "&lt;script&gt;" in md and "&amp;" in md
    assert "`code <kept>`" in md and "&lt;b&gt;x&lt;/b&gt;" in md
