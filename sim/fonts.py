"""The CJK font for Chinese chart labels: from a dependency, never from the system.

A fresh machine has no Chinese font, so matplotlib would draw empty boxes. The font
comes from the PyPI package ``paperang-p2-fonts-cjk``: WenQuanYi Micro Hei 0.2.0-beta
(Apache-2.0), byte-identical to Debian's ``fonts-wqy-microhei``, 2.3 MB, with every
GB2312 and GBK hanzi. It beats the Noto Sans CJK packages because its outlines are
TrueType: matplotlib embeds every Type 42 font as ``/FontFile2``, right for TrueType,
but a CFF-flavoured OpenType font there makes PDFs that Ghostscript and MuPDF render
with wrong glyphs.
"""

from __future__ import annotations

import base64
import functools
import io
from importlib import resources
from pathlib import Path
from typing import Any

from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

FONT_PACKAGE = "paperang-p2-fonts-cjk"
_FONT_MODULE = "paperang_p2_fonts_cjk"
_FONT_FILE = ("fonts", "wqy-microhei.ttc")

# Shared by both languages, so an English and a Chinese figure differ only in text.
# Type 42 keeps real, selectable TrueType text in PDF/PS; SVG text becomes paths, so the
# SVG looks the same on a machine without the font.
_FONTTYPES: dict[str, Any] = {
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "path",
}


class FontMissingError(RuntimeError):
    """The package that ships the CJK font is not installed."""


def cjk_font_path() -> Path:
    """Return the CJK font file; FontMissingError names the package if it is absent."""
    try:
        path = Path(str(resources.files(_FONT_MODULE).joinpath(*_FONT_FILE)))
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise FontMissingError(
            f"Chinese chart labels need the CJK font of the {FONT_PACKAGE!r} "
            f"package: pip install {FONT_PACKAGE}"
        )
    return path


@functools.cache
def register_cjk_font() -> str:
    """Add the font to matplotlib's font manager (once) and return its family name."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(path)
    # Face 0 of the collection is the proportional one ("WenQuanYi Micro Hei").
    return FT2Font(path).family_name


@functools.cache
def _codepoints() -> frozenset[int]:
    """Code points the font maps to a glyph (face 0's character map)."""
    return frozenset(FT2Font(cjk_font_path()).get_charmap())


def font_covers(text: str) -> bool:
    """Tell whether every non-space character of ``text`` has a glyph in the font."""
    cmap = _codepoints()
    return all(ord(ch) in cmap for ch in text if not ch.isspace())


def rc_for(lang: str) -> dict[str, Any]:
    """Return rcParams for figures labelled in ``lang`` ("en" or "zh")."""
    if lang == "en":
        return {
            "font.family": "sans-serif",
            "font.sans-serif": ["DejaVu Sans"],
            "axes.unicode_minus": True,
            **_FONTTYPES,
        }
    if lang == "zh":
        return {
            "font.family": "sans-serif",
            # The CJK font has Latin glyphs too, so mixed labels use one typeface.
            "font.sans-serif": [register_cjk_font(), "DejaVu Sans"],
            # ASCII hyphen for minus, the usual CJK setting (this font has U+2212).
            "axes.unicode_minus": False,
            **_FONTTYPES,
        }
    raise ValueError(f"unknown language {lang!r}: expected 'en' or 'zh'")


def subset_font(text: str) -> bytes:
    """The CJK font (face 0) cut down to the characters of ``text``, as TrueType bytes: what a
    web page needs to show its Chinese on a machine without a Chinese font. The same text
    gives the same bytes (no timestamp is written). The font is read lazily: only the glyphs
    kept are decoded (the same bytes, a tenth of the time of decoding all 65k glyphs)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]
    options.hinting = False
    options.notdef_outline = True
    options.drop_tables = [*options.drop_tables, "FFTM"]  # FontForge's timestamps
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep the licence (Apache-2.0)
    out = io.BytesIO()
    with TTFont(str(cjk_font_path()), fontNumber=0, recalcTimestamp=False,
                lazy=True) as font:  # lazy: the file stays open until the font is saved
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes={ord(ch) for ch in text if not ch.isspace()} | {0x20})
        subsetter.subset(font)
        font.save(out)
    return out.getvalue()


def font_face_css(text: str, family: str = "kuayu-cjk") -> str:
    """A CSS @font-face rule that embeds subset_font(text) as a data URI."""
    data = base64.b64encode(subset_font(text)).decode("ascii")
    return (f'@font-face {{ font-family: "{family}"; font-style: normal; font-weight: 400; '
            f'src: url("data:font/ttf;base64,{data}") format("truetype"); }}')
