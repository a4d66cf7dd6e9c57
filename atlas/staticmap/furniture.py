"""Scale bars in true metres (the map is drawn in UTM) and the north arrow."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from atlas.i18n import t

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.font_manager import FontProperties

    from atlas.staticmap.layout import Frame


def _nice_length(width_m: float) -> float:
    target = width_m / 5.0
    exp = 10 ** math.floor(math.log10(target))
    return float(max(m * exp for m in (1, 2, 5) if m * exp <= target))


def scale_bar(ax: Axes, font: FontProperties, *, fontsize: float = 7,
              where: tuple[float, float] = (0.04, 0.05)) -> Any:
    """A four-segment scale bar in true metres (the map is drawn in UTM) at axes fraction ``where``.

    Returns the artist (an AnchoredOffsetbox) so labels can avoid it.
    """
    from matplotlib.offsetbox import AnchoredOffsetbox, AuxTransformBox, TextArea, VPacker
    from matplotlib.patches import Rectangle

    x0, x1 = ax.get_xlim()
    length = _nice_length(x1 - x0)
    bar = AuxTransformBox(ax.transData)
    h = (x1 - x0) * 0.006
    for i in range(4):
        bar.add_artist(Rectangle((i * length / 4, 0), length / 4, h, linewidth=0.5,
                                 facecolor="black" if i % 2 == 0 else "white", edgecolor="black"))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    text = TextArea(f"0          {label}", textprops={"fontproperties": font, "fontsize": fontsize})
    box = AnchoredOffsetbox(loc="lower left", child=VPacker(children=[text, bar], align="left", pad=0,
                                                              sep=1.5),
                            bbox_to_anchor=where, bbox_transform=ax.transAxes, frameon=True,
                            borderpad=0.2, pad=0.3)
    box.patch.set_facecolor((1, 1, 1, 0.85))
    box.patch.set_edgecolor("none")
    box.set_zorder(45)
    ax.add_artist(box)
    return box


def panel_scale(frame: Frame, font: FontProperties, crs: str, lang: str) -> None:
    """Scale bar (same scale as the map) and north arrow at the foot of the legend margin."""
    from matplotlib.patches import FancyArrow, Rectangle

    ax = frame.ax
    x0, x1 = ax.get_xlim()
    m_per_fig = (x1 - x0) / ax.get_position().width  # metres per figure-width fraction
    length = _nice_length(x1 - x0)
    px, py, pw, _ph = frame.panel
    bw = length / m_per_fig
    sax = frame.fig.add_axes((px + 0.01, py + 0.012, min(bw, pw * 0.8), 0.012), zorder=5)
    sax.set_xlim(0, bw)
    sax.set_ylim(0, 1)
    sax.axis("off")
    for i in range(4):
        sax.add_patch(Rectangle((i * bw / 4, 0), bw / 4, 1, facecolor="black" if i % 2 == 0 else "white",
                                edgecolor="black", linewidth=0.6))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    fig = frame.fig
    fig.text(px + 0.01, py + 0.03, "0", fontproperties=font, fontsize=7, ha="center")
    fig.text(px + 0.01 + bw, py + 0.03, label, fontproperties=font, fontsize=7, ha="center")
    ax_n = fig.add_axes((px + pw - 0.05, py + 0.005, 0.04, 0.09))
    ax_n.axis("off")
    ax_n.add_patch(FancyArrow(0.5, 0.05, 0, 0.45, width=0.1, head_width=0.4, head_length=0.22,
                              color="black", transform=ax_n.transAxes))
    ax_n.text(0.5, 1.0, t("map_north", lang), transform=ax_n.transAxes, ha="center",
              va="top", fontproperties=font, fontsize=8)
