"""The page: the map filling the frame beside (or above) the legend margin, plain map axes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from atlas.staticmap.style import FOOTER_IN, HEADER_IN, MARGIN_IN, PANEL_IN, PRESETS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@dataclass
class Frame:
    """Figure, map axes and the legend margin (figure fractions)."""

    fig: Figure
    ax: Axes
    panel: tuple[float, float, float, float]  # x0, y0, w, h
    portrait: bool
    width_in: float
    height_in: float
    inset_rect: tuple[float, float, float, float] | None = None  # axes fraction, if reserved
    wide_panel: bool = True  # a portrait page's margin spans the page (legends side by side)


def _no_redraw(*args: object, **kwargs: object) -> None:
    """A figure canvas's ``draw_idle`` for a page drawn offscreen (see :func:`layout`)."""


def layout(preset: str, extent: tuple[float, float, float, float], *, band: bool = False,
           header: float = HEADER_IN, panel_in: float | None = None) -> Frame:
    """Place the map to fill the frame beside (or above) the legend margin.

    The data extent is widened (or heightened) to the map box's shape, so the map has no empty
    bands. With ``band``, that extra room goes to one side (left, or top on portrait pages) when
    it is wide enough to hold the inset there, beside the map instead of over it. ``panel_in``
    sets the legend margin's width (landscape) or height (portrait) in inches.
    """
    import matplotlib.pyplot as plt

    w, h = PRESETS[preset]
    portrait = h > w
    panel = PANEL_IN[preset] if panel_in is None else float(panel_in)
    fig = plt.figure(figsize=(w, h))
    # geopandas asks for a redraw of the whole figure after each layer it plots (draw_idle draws at
    # once on an offscreen canvas): ten full draws of every layer drawn so far, a third of a
    # page's time. The page is drawn when its texts are measured and when it is saved.
    fig.canvas.draw_idle = _no_redraw  # type: ignore[method-assign]
    if portrait:
        box = (MARGIN_IN, FOOTER_IN + panel, w - 2 * MARGIN_IN, h - header - FOOTER_IN - panel)
        prect = (MARGIN_IN, FOOTER_IN, w - 2 * MARGIN_IN, panel - 0.1)
    else:
        box = (MARGIN_IN, FOOTER_IN, w - 2 * MARGIN_IN - panel - 0.15, h - header - FOOTER_IN)
        prect = (w - MARGIN_IN - panel, FOOTER_IN, panel, h - header - FOOTER_IN)
    ax = fig.add_axes((box[0] / w, box[1] / h, box[2] / w, box[3] / h))
    x0, y0, x1, y1 = extent
    pad = 0.04 * max(x1 - x0, y1 - y0, 1.0)
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    want = box[2] / box[3]
    inset_rect = None
    if (x1 - x0) / (y1 - y0) < want:  # widen
        grow = want * (y1 - y0) - (x1 - x0)
        frac = grow / (x1 - x0 + grow)
        if band and frac >= 0.25:
            x0 -= grow
            side = min(frac * box[2], box[3]) * 0.96
            inset_rect = (0.01, 0.5 - side / box[3] / 2, side / box[2], side / box[3])
        else:
            x0, x1 = x0 - grow / 2, x1 + grow / 2
    else:  # heighten
        grow = (x1 - x0) / want - (y1 - y0)
        frac = grow / (y1 - y0 + grow)
        if band and frac >= 0.25:
            y1 += grow
            side = min(frac * box[3], box[2]) * 0.96
            inset_rect = (0.5 - side / box[2] / 2, 0.99 - side / box[3], side / box[2], side / box[3])
        else:
            y0, y1 = y0 - grow / 2, y1 + grow / 2
    plain_axes(ax, (x0, y0, x1, y1))
    return Frame(fig, ax, (prect[0] / w, prect[1] / h, prect[2] / w, prect[3] / h), portrait, w, h,
                 inset_rect)


def plain_axes(ax: Axes, bounds: tuple[float, float, float, float]) -> None:
    """Map axes: fixed bounds, equal scale, no ticks or axis labels, a light sea-grey ground."""
    ax.set_xlim(bounds[0], bounds[2])
    ax.set_ylim(bounds[1], bounds[3])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#f7f9fb")
    for s in ax.spines.values():
        s.set_linewidth(0.6)
