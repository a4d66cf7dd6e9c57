"""The legend margin: the layer legend and, when gaps are drawn, the graduated gap legend."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from atlas import palette
from atlas.i18n import t

if TYPE_CHECKING:
    from matplotlib.font_manager import FontProperties

    from atlas.data.catalogue import Layer
    from atlas.staticmap.layout import Frame
    from atlas.staticmap.scene import Scene


def wrap_segments(text: str, width: float, sep: str = " · ") -> str:
    """Like :func:`wrap_label`, but breaking between ``sep``-joined parts first ("A · B · C")."""
    lines: list[str] = []
    for part in text.split(sep):
        cand = f"{lines[-1]}{sep}{part}" if lines else part
        if lines and len(wrap_label(cand, width).split("\n")) == 1:
            lines[-1] = cand
        else:
            lines += wrap_label(part, width).split("\n")
    return "\n".join(lines)


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


def _capital(text: str) -> str:
    """A legend entry starts with a capital ("straight-line …" → "Straight-line …")."""
    return text[:1].upper() + text[1:]


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
    dense = info.get("dense", {})
    for lyr in layers_drawn:
        label = lyr.legend_en if lang == "en" else lyr.legend_zh
        if lyr.id in dense:  # drawn as small dots: said so, with how many
            size, n = dense[lyr.id]
            marker = str(lyr.style.get("marker", "o"))
            hs.append(Line2D([], [], marker="o" if marker in (".", ",") else marker, linestyle="",
                             markersize=max(2.5, float(size) ** 0.5),
                             markerfacecolor=str(lyr.style.get("color")),
                             markeredgecolor="#333333", markeredgewidth=0.3,
                             label=t("legend_dense", lang, label=label, n=n)))
            continue
        hs.append(Line2D([], [], marker=str(lyr.style.get("marker", "o")), linestyle="", markersize=6,
                         markerfacecolor=str(lyr.style.get("color")), markeredgecolor="#222222",
                         markeredgewidth=0.5, label=label))
    if info["approx"]:
        hs.append(Line2D([], [], marker="o", linestyle="", markersize=6, markerfacecolor="white",
                         markeredgecolor="#555555", markeredgewidth=1.2, label=t("legend_hollow", lang)))
    if info["rings"] or info.get("rings_left_out"):
        ring = palette.ERROR_RING
        label = t("legend_error_ring", lang)
        if info.get("rings_left_out"):
            label += t("legend_ring_cap", lang, km=f"{info['ring_cap_m'] / 1000:.1f}")
        hs.append(Patch(facecolor="none", edgecolor=str(ring["color"]), linestyle=(0, (1.5, 2.5)),
                        linewidth=0.9, label=label))
    for method in sorted(info["methods"]):
        st = palette.SERVICE_AREA[method]
        key = "sa_method_proxy" if method == "euclidean-proxy" else "legend_service_area"
        hs.append(Patch(facecolor=str(st["fill_color"]), alpha=min(1.0, float(st["fill_opacity"]) * 2.2),
                        edgecolor=str(st["color"]), hatch=st["hatch"], label=_capital(t(key, lang))))
    hs += band_handles(info.get("bands", []), lang)
    if scene.recommended is not None:
        hs.append(Line2D([], [], marker="*", linestyle="", markersize=11,
                         markerfacecolor=palette.RECOMMENDED_COLOUR, markeredgecolor="white",
                         label=t("cov_reco", lang)))
    return hs


def band_handles(bands: list[tuple[float, str, bool]], lang: str) -> list[Any]:
    """One legend entry per walking band drawn (smallest first), named in ``lang``.

    ``bands`` is what :func:`atlas.staticmap.symbols.draw_map` drew: (minutes, colour, proxy).
    A straight-line proxy band is hatched and named as one.
    """
    from matplotlib.patches import Patch

    from atlas.staticmap.symbols import band_alpha

    alpha = min(1.0, 2.0 * band_alpha(len(bands)))
    hatch = palette.SERVICE_AREA["euclidean-proxy"]["hatch"]
    return [Patch(facecolor=c, alpha=alpha, edgecolor=c, hatch=hatch if proxy else None,
                  label=_capital(t("sa_band_proxy" if proxy else "sa_band", lang, m=f"{m:g}")))
            for m, c, proxy in bands]


def fit_label(text: str, width_pt: float, font: FontProperties, size: float) -> str:
    """Break ``text`` into lines at most ``width_pt`` wide as set in ``font`` at ``size`` (measured).

    Breaks at spaces when the text has them, else between any two characters; a single word
    wider than the line is broken between characters.
    """
    from matplotlib.textpath import TextToPath

    prop = font.copy()
    prop.set_size(size)
    measure = TextToPath()

    def wide(s: str) -> float:
        return float(measure.get_text_width_height_descent(s, prop, ismath=False)[0])

    spaced = " " in text
    tokens = text.split(" ") if spaced else list(text)
    lines: list[str] = []
    line = ""
    for tok in tokens:
        cand = f"{line} {tok}" if spaced and line else line + tok
        if not line or wide(cand) <= width_pt or (not spaced and tok in "，。、）)：；"):
            line = cand
            continue
        lines.append(line)
        line = tok
    lines.append(line)
    out: list[str] = []
    for ln in lines:  # a word longer than a line: break it between characters
        out += [ln] if wide(ln) <= width_pt or not spaced else fit_label(ln.replace(" ", "\u2009"), width_pt,
                                                                     font, size).split("\n")
    return "\n".join(x.replace("\u2009", " ") for x in out if x)


def draw_legends(frame: Frame, handles: list[Any], scene: Scene, font: FontProperties,
                 lang: str) -> None:
    """The layer legend and, when gaps are drawn, the graduated gap legend with its unit.

    Labels are wrapped to the margin's width as measured in the font (:func:`fit_label`); a
    legend still too wide is set with narrower lines, one too tall for its margin with more
    columns (portrait pages) or a smaller font. Nothing is drawn outside the margin, over the
    other legend, the scale bar or the north arrow.
    """
    labels = [h.get_label() for h in handles]
    gaps = scene.cells is not None and not scene.cells.empty
    width_pt = frame.panel[2] * frame.width_in * 72
    side = frame.portrait and frame.wide_panel  # legends side by side, in columns
    if side and gaps:  # the gap legend takes the right third, left of the north arrow
        width_pt = (width_pt - 0.06 * frame.width_in * 72) * 0.64
    sizes = (8.0, 7.5, 7.0, 6.5, 6.0) if frame.portrait else (9.0, 8.5, 8.0, 7.5, 7.0, 6.5)
    attempts = [(size, ncol) for size in sizes for ncol in ((2, 3) if side else (1,))]
    legends: list[Any] = []
    for i, (size, ncol) in enumerate(attempts):
        # per column: the handle, its gap to the text and the gap to the next column (4.4 em)
        line_pt = width_pt / ncol - 4.4 * size - 2.0
        for _narrower in range(3):
            for h, lab in zip(handles, labels, strict=True):
                h.set_label(fit_label(lab, line_pt, font, size))
            legends = _place_legends(frame, handles, scene, font, lang, size=size, ncol=ncol)
            fit = _fits(frame, legends)
            last = i == len(attempts) - 1 and (fit == "tall" or _narrower == 2)
            if fit == "ok" or last:
                break  # the last try stays even if it does not fit (the tests say if it comes)
            for lg in legends:
                lg.remove()
            legends = []
            if fit == "tall":
                break  # narrower lines would make it taller: more columns or a smaller font
            line_pt *= 0.85
        if legends:
            break
    for lg in frame.fig.legends:
        lg.get_title().set_fontweight("bold")


def _fits(frame: Frame, legends: list[Any]) -> str:
    """Whether the legends fit: "ok", else "wide" or "tall".

    They fit when each lies inside the legend margin, clear of the others, of the scale bar and
    of the north arrow (both at the margin's foot: :func:`atlas.staticmap.furniture.panel_scale`).
    """
    from matplotlib.transforms import Bbox

    fig = frame.fig
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    px, py, pw, _ph = frame.panel
    furniture = [Bbox.from_extents(px, py, px + 0.82 * pw, py + 0.05),  # scale bar and its label
                 Bbox.from_extents(px + pw - 0.055, py, px + pw, py + 0.1)]  # north arrow
    boxes = [lg.get_window_extent(renderer).transformed(fig.transFigure.inverted()) for lg in legends]
    if any(bb.x1 > px + pw + 1e-3 for bb in boxes) or any(
            a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:]):
        return "wide"
    if any(bb.y0 < py or any(bb.overlaps(f) for f in furniture) for bb in boxes):
        return "tall"
    return "ok"


def _place_legends(frame: Frame, handles: list[Any], scene: Scene, font: FontProperties, lang: str,
                   *, size: float, ncol: int = 1) -> list[Any]:
    """Draw the layer legend (and the gap legend) at font ``size``; returns them."""
    from matplotlib.patches import Patch

    px, py, pw, ph = frame.panel
    fig = frame.fig
    top = py + ph
    prop, title_prop = font.copy(), font.copy()
    prop.set_size(size)  # (a legend's ``fontsize`` is ignored when it is given ``prop``)
    title_prop.set_size(size + 1.0)
    kw = {"frameon": False, "prop": prop, "title_fontproperties": title_prop, "borderaxespad": 0,
          "handlelength": 1.6, "labelspacing": 0.55, "alignment": "left"}
    gap = None
    gap_title = palette.gap_units(lang)
    if scene.cells is not None and not scene.cells.empty and scene.gap_classes is not None:
        gap_title = scene.gap_classes.title
        gap = [Patch(facecolor=c, alpha=palette.GAP_OPACITY, edgecolor="none", label=lab)
               for lab, c in scene.gap_classes.entries][::-1]  # listed in the order given
    elif scene.cells is not None and not scene.cells.empty:
        gap = [Patch(facecolor=c, alpha=palette.GAP_OPACITY, edgecolor="none", label=lab)
               for lab, c in palette.gap_legend(lang)]
    out = []
    if frame.portrait and frame.wide_panel:
        leg = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(px, top), ncol=ncol,
                         title=t("layers", lang), **kw)
        out.append(leg)
        if gap:
            out.append(fig.legend(handles=gap[::-1], loc="upper right", bbox_to_anchor=(px + pw - 0.06, top),
                                  title=gap_title, **kw))
    else:
        leg = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(px, top),
                         title=t("layers", lang), **kw)
        out.append(leg)
        if gap:
            renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
            bb = leg.get_window_extent(renderer).transformed(fig.transFigure.inverted())
            out.append(fig.legend(handles=gap[::-1], loc="upper left", bbox_to_anchor=(px, bb.y0 - 0.03),
                                  title=gap_title, **kw))
    return out
