"""The legend margin: the layer legend and, when gaps are drawn, the graduated gap legend."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from atlas import palette
from atlas.i18n import t

if TYPE_CHECKING:
    from matplotlib.font_manager import FontProperties

    from atlas.catalogue import Layer
    from atlas.staticmap.layout import Frame
    from atlas.staticmap.scene import Scene


def wrap_label(text: str, width: float) -> str:
    """Break ``text`` into lines of at most ``width`` em (CJK characters 1 em, others 0.55).

    Breaks at spaces when the text has them, else between any two characters.
    """
    spaced = " " in text
    tokens = [w + " " for w in text.split(" ")] if spaced else list(text)
    lines, line, used = [], "", 0.0
    for tok in tokens:
        w = sum(1.0 if ord(ch) > 0x2E80 else 0.55 for ch in tok)
        if line and used + w > width and tok not in "，。、）)：；":  # no line starts with these
            lines.append(line.rstrip())
            line, used = "", 0.0
        line += tok
        used += w
    lines.append(line.rstrip())
    return "\n".join(x for x in lines if x)


def legend_handles(layers_drawn: list[Layer], info: dict[str, Any], scene: Scene, lang: str
                   ) -> list[Any]:
    """Legend entries for what was drawn (``info`` from :func:`atlas.staticmap.draw_map`)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    hs: list[Any] = []
    if scene.district_layer is not None and not scene.districts.empty:
        s = scene.district_layer.style
        dl = scene.district_layer
        hs.append(Patch(facecolor=str(s.get("fill_color", "#f2f2f2")), edgecolor=str(s.get("color")),
                        label=dl.legend_en if lang == "en" else dl.legend_zh))
    for lyr, _g in scene.polygons:
        label = lyr.legend_en if lang == "en" else lyr.legend_zh
        color = str(lyr.style.get("color", "#333333"))
        hs.append(Line2D([], [], color=color, linewidth=1.6, label=label) if lyr.geometry == "line"
                  else Patch(facecolor=str(lyr.style.get("fill_color", color)), edgecolor=color,
                             alpha=0.6, label=label))
    for lyr in layers_drawn:
        hs.append(Line2D([], [], marker=str(lyr.style.get("marker", "o")), linestyle="", markersize=6,
                         markerfacecolor=str(lyr.style.get("color")), markeredgecolor="#222222",
                         markeredgewidth=0.5, label=lyr.legend_en if lang == "en" else lyr.legend_zh))
    if info["approx"]:
        hs.append(Line2D([], [], marker="o", linestyle="", markersize=6, markerfacecolor="white",
                         markeredgecolor="#555555", markeredgewidth=1.2, label=t("legend_hollow", lang)))
    if info["rings"]:
        ring = palette.ERROR_RING
        hs.append(Patch(facecolor="none", edgecolor=str(ring["color"]), linestyle=(0, (1.5, 2.5)),
                        linewidth=0.9, label=t("legend_error_ring", lang)))
    for method in sorted(info["methods"]):
        st = palette.SERVICE_AREA[method]
        key = "sa_method_proxy" if method == "euclidean-proxy" else "legend_service_area"
        hs.append(Patch(facecolor=str(st["fill_color"]), alpha=min(1.0, float(st["fill_opacity"]) * 2.2),
                        edgecolor=str(st["color"]), hatch=st["hatch"], label=t(key, lang)))
    if scene.recommended is not None:
        hs.append(Line2D([], [], marker="*", linestyle="", markersize=11,
                         markerfacecolor=palette.RECOMMENDED_COLOUR, markeredgecolor="white",
                         label=t("cov_reco", lang)))
    return hs


def draw_legends(frame: Frame, handles: list[Any], scene: Scene, font: FontProperties,
                 lang: str) -> None:
    """The layer legend and, when gaps are drawn, the graduated gap legend with its unit."""
    from matplotlib.patches import Patch

    px, py, pw, ph = frame.panel
    fig = frame.fig
    top = py + ph
    size = 7.0 if frame.portrait else 7.5
    em = pw * frame.width_in * 72 / size * (0.32 if frame.portrait else 1.0) - 3.0
    for h in handles:
        h.set_label(wrap_label(h.get_label(), em))
    kw = {"frameon": False, "prop": font, "title_fontproperties": font, "borderaxespad": 0,
          "handlelength": 1.6, "labelspacing": 0.55, "alignment": "left"}
    gap = None
    if scene.cells is not None and not scene.cells.empty:
        gap = [Patch(facecolor=c, alpha=palette.GAP_OPACITY, edgecolor="none", label=lab)
               for lab, c in palette.gap_legend(lang)]
    if frame.portrait:
        leg = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(px, top), ncol=2,
                         title=t("layers", lang), fontsize=7, **kw)
        if gap:
            fig.legend(handles=gap[::-1], loc="upper right", bbox_to_anchor=(px + pw, top),
                       title=palette.gap_units(lang), fontsize=7, **kw)
    else:
        leg = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(px, top),
                         title=t("layers", lang), fontsize=7.5, **kw)
        if gap:
            fig.canvas.draw()
            bb = leg.get_window_extent().transformed(fig.transFigure.inverted())
            fig.legend(handles=gap[::-1], loc="upper left", bbox_to_anchor=(px, bb.y0 - 0.03),
                       title=palette.gap_units(lang), fontsize=7.5, **kw)
    leg.get_title().set_fontsize(8.5)
    for lg in fig.legends:
        lg.get_title().set_fontweight("bold")
