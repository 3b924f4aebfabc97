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
