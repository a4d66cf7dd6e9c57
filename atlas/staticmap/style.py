"""Page presets, frame sizes, symbol sizes and the CJK font: the static map's settings in one place."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from atlas.errors import AtlasError

if TYPE_CHECKING:
    from matplotlib.font_manager import FontProperties


#: Page presets (inches): A4 portrait/landscape and a 16:9 slide.
PRESETS: dict[str, tuple[float, float]] = {
    "a4-portrait": (8.27, 11.69),
    "a4-landscape": (11.69, 8.27),
    "slide-16x9": (40 / 3, 7.5),  # 4000 x 2250 px at 300 dpi
}

#: Font files searched for the CJK face, most likely first.
CJK_FONT_FILES: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
CJK_FAMILIES: tuple[str, ...] = ("Noto Sans CJK SC", "WenQuanYi Micro Hei")

#: Frame geometry in inches: outer margin, title band, footer band, legend margin.
MARGIN_IN = 0.3
HEADER_IN = 0.85
FOOTER_IN = 0.62
PANEL_IN = {"slide-16x9": 3.2, "a4-landscape": 2.7, "a4-portrait": 2.2}
MAX_LABELS_PER_LAYER = 150  # more features than this in view: the layer is not labelled
MAIN_MARKER = 26.0  # scatter size (points²) of site symbols on the main map
INSET_MARKER = 34.0
CONTEXT_ALPHA = 0.35


class ExportError(AtlasError):
    """An export could not be produced (missing font, bad preset, unwritable path)."""


def cjk_font() -> FontProperties:
    """Return FontProperties for a CJK face that matplotlib can use, registering it if needed.

    Raises
    ------
    ExportError
        If no CJK font is installed (the message says how to install one).

    """
    from matplotlib import font_manager as fm

    for f in CJK_FONT_FILES:
        if Path(f).exists() and not any(e.fname == f for e in fm.fontManager.ttflist):
            fm.fontManager.addfont(f)
    names = {e.name: e.fname for e in fm.fontManager.ttflist}
    for fam in CJK_FAMILIES:
        if fam in names:
            return fm.FontProperties(family=fam)
    raise ExportError("未找到中文字体：请安装 fonts-noto-cjk（sudo apt-get install fonts-noto-cjk）",
                      "No Chinese font found: install fonts-noto-cjk (sudo apt-get install fonts-noto-cjk)")
