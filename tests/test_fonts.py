"""Chinese labels must render, with the font embedded, in every output format."""

from __future__ import annotations

import warnings

import matplotlib as mpl
import pytest
from matplotlib.figure import Figure

from sim import fonts

LABELS = [
    "属地管理",
    "综合协调·协同共治·属地管理",
    "平行区域自发型",
    "上级政府主导型",
    "发生地为主、波及地为辅",
    "损失",
    "亿元",
    "小时",
    "跨域风险协同治理 — 属地管理 vs 综合协调",
]
# CJK Extension B, outside the font's GBK-sized character map.
MISSING = "\U00020000"


def _figure(title: str) -> Figure:
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [0, -1, 2], label="属地管理 (territorial)")
    ax.set_title(title)
    ax.set_xlabel("时间 Time (小时 h)")
    ax.set_ylabel("损失 Loss (亿元)")
    ax.legend()
    return fig


def test_font_file_exists() -> None:
    assert fonts.cjk_font_path().is_file()


def test_register_is_idempotent() -> None:
    family = fonts.register_cjk_font()
    assert family == fonts.register_cjk_font() == "WenQuanYi Micro Hei"


@pytest.mark.parametrize("label", LABELS)
def test_font_covers_labels(label: str) -> None:
    assert fonts.font_covers(label)


def test_font_lacks_extension_b() -> None:
    assert not fonts.font_covers(MISSING)
    assert not fonts.font_covers("属地" + MISSING)


def test_missing_package_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "_FONT_MODULE", "no_such_font_package_xyz")
    hint = f"pip install {fonts.FONT_PACKAGE}"
    with pytest.raises(fonts.FontMissingError, match=hint):
        fonts.cjk_font_path()


def test_rc_for_unknown_language() -> None:
    with pytest.raises(ValueError, match="fr"):
        fonts.rc_for("fr")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_rc_for_shares_fonttypes(lang: str) -> None:
    rc = fonts.rc_for(lang)
    assert rc["pdf.fonttype"] == rc["ps.fonttype"] == 42
    assert rc["svg.fonttype"] == "path"


@pytest.mark.parametrize("fmt", ["pdf", "svg", "png"])
def test_chinese_figure_saves_without_warnings(fmt: str, tmp_path) -> None:
    out = tmp_path / f"fig.{fmt}"
    with warnings.catch_warnings(), mpl.rc_context(fonts.rc_for("zh")):
        # "Glyph ... missing from font(s)" would now raise instead of drawing a box.
        warnings.simplefilter("error")
        _figure(LABELS[-1]).savefig(out)
    data = out.read_bytes()
    if fmt == "pdf":
        # A TrueType subset embedded as a CID font: real glyphs, not a reference.
        assert b"/FontFile2" in data
        assert b"WenQuanYiMicroHei" in data
    elif fmt == "svg":
        assert b"<text" not in data  # glyphs as paths: no font needed to view it
    else:
        assert data.startswith(b"\x89PNG")


def test_missing_glyph_would_be_caught(tmp_path) -> None:
    """The warnings check above is meaningful: a glyph the font lacks does warn."""
    with mpl.rc_context(fonts.rc_for("zh")), pytest.warns(UserWarning, match="missing"):
        _figure(MISSING).savefig(tmp_path / "fig.png")
