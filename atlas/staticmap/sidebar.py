"""Key figures and a table beside the map: the side of a coverage briefing page.

The figures and the table are set as page text (searchable in a PDF), at the top of the legend
margin on landscape pages and in its left part on portrait pages; the legends take what is left
(:func:`place_sidebar` returns that room). Text is wrapped to the room it has, never cut off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from atlas.staticmap.legend import fit_label

if TYPE_CHECKING:
    from matplotlib.font_manager import FontProperties
    from matplotlib.text import Text

    from atlas.staticmap.layout import Frame

#: The legend margin of a briefing page (inches): wider (landscape) or taller (portrait) than a
#: plain map's, to hold the figures and the table.
SIDEBAR_PANEL_IN = {"slide-16x9": 4.3, "a4-landscape": 3.9, "a4-portrait": 4.1}
#: Share of a portrait page's margin the figures and table take (the legends get the rest).
PORTRAIT_SHARE = 0.56
BADGE_COLOUR = "#B8860B"


@dataclass(frozen=True)
class Sidebar:
    """What a briefing page prints beside its map.

    Attributes
    ----------
    figures : tuple of (value, label)
        Key figures, e.g. ("≤ 61.3 %", "至多（直线上限）"), set large with their label below.
    table : pandas.DataFrame
        Text cells with headers in the reader's language; the first column names the rows.
    notes : tuple of str
        Small lines under the figures (how people were placed, what the figures stand on).
    badge : str
        A scenario badge ("含 5 个假设站点 · 方案 A"), in a box above everything; "" for none.
    highlight : str, optional
        The first-column value of the row set in bold (the district of the page, or the city).
    caption : str
        The table's caption (above it).

    """

    figures: tuple[tuple[str, str], ...]
    table: pd.DataFrame
    notes: tuple[str, ...] = ()
    badge: str = ""
    highlight: str | None = None
    caption: str = ""


def sidebar_room(frame: Frame) -> tuple[float, float, float, float]:
    """Where the sidebar goes (figure fractions x0, y0, w, h): the margin's top or left part."""
    px, py, pw, ph = frame.panel
    if frame.portrait:
        return (px, py, pw * PORTRAIT_SHARE, ph)
    return (px, py, pw, ph)


def place_sidebar(frame: Frame, side: Sidebar, font: FontProperties) -> tuple[float, float, float, float]:
    """Draw ``side`` in the legend margin; returns the room left for the legends (figure fractions)."""
    x0, y0, w, h = sidebar_room(frame)
    fig = frame.fig
    width_pt = w * frame.width_in * 72
    y = y0 + h
    if side.badge:
        y = _text(frame, x0, y, fit_label(side.badge, width_pt - 8, font, 8.5), font, size=8.5,
                  weight="bold", color="white",
                  bbox={"boxstyle": "round,pad=0.3", "facecolor": BADGE_COLOUR, "edgecolor": "none"}) - 0.012
    y = _figures(frame, x0, y, width_pt, side.figures, font)
    for note in side.notes:
        y = _text(frame, x0, y, fit_label(note, width_pt, font, 6.8), font, size=6.8, color="#444444")
    y -= 0.014
    if side.caption:
        y = _text(frame, x0, y, fit_label(side.caption, width_pt, font, 8), font, size=8, weight="bold")
    y = draw_table(frame, x0, y - 0.004, width_pt, side.table, font, highlight=side.highlight)
    fig.canvas.draw()
    if frame.portrait:
        px, py, pw, ph = frame.panel
        gap = 0.03
        frame.wide_panel = False  # the legends stack in the right part
        return (x0 + w + gap, py, pw - w - gap, ph)
    px, py, pw, _ph = frame.panel
    return (px, py, pw, max(0.0, y - 0.025 - py))


def _text(frame: Frame, x: float, top: float, s: str, font: FontProperties, *, size: float,
          **kw: object) -> float:
    """A page text whose top is at ``top``; returns its bottom (figure fraction)."""
    t = frame.fig.text(x, top, s, fontproperties=font, fontsize=size, va="top", linespacing=1.25,
                       **kw)  # type: ignore[arg-type]
    return _bottom(frame, t)


def _bottom(frame: Frame, t: Text) -> float:
    renderer = frame.fig.canvas.get_renderer()  # type: ignore[attr-defined]
    bb = t.get_window_extent(renderer).transformed(frame.fig.transFigure.inverted())
    return float(bb.y0)


def _figures(frame: Frame, x0: float, top: float, width_pt: float,
             figures: tuple[tuple[str, str], ...], font: FontProperties) -> float:
    """Key figures side by side (two or three per row): value large, label small below."""
    if not figures:
        return top
    per_row = min(len(figures), 3)
    col_w = width_pt / per_row
    col_frac = col_w / (frame.width_in * 72)
    bottom = top
    for start in range(0, len(figures), per_row):
        row_bottom = top
        for k, (value, label) in enumerate(figures[start:start + per_row]):
            x = x0 + k * col_frac
            size = 15.0
            t = frame.fig.text(x, top, value, fontproperties=font, fontsize=size, weight="bold",
                               va="top", color="#1a1a1a")
            renderer = frame.fig.canvas.get_renderer()  # type: ignore[attr-defined]
            while t.get_window_extent(renderer).width * 72 / frame.fig.dpi > col_w - 6 and size > 9:
                size -= 1
                t.set_fontsize(size)
            b = _bottom(frame, t) - 0.004
            b = _text(frame, x, b, fit_label(label, col_w - 6, font, 6.8), font, size=6.8, color="#444444")
            row_bottom = min(row_bottom, b)
        top = row_bottom - 0.014
        bottom = top
    return bottom


def draw_table(frame: Frame, x0: float, top: float, width_pt: float, table: pd.DataFrame,
               font: FontProperties, *, highlight: str | None = None, size: float = 7.0) -> float:
    """A text table: headers wrapped to their column, numbers right-aligned, a rule under the head.

    Column widths follow the widest cell (the first column takes what the others leave). Returns
    the table's bottom (figure fraction).
    """
    from matplotlib.lines import Line2D
    from matplotlib.textpath import TextToPath

    fig = frame.fig
    prop = font.copy()
    prop.set_size(size)
    measure = TextToPath()

    def wide(s: str) -> float:
        return float(measure.get_text_width_height_descent(s, prop, ismath=False)[0])

    cols = [str(c) for c in table.columns]
    cells = [[str(v) for v in row] for row in table.itertuples(index=False)]
    body = [max([wide(r[j]) for r in cells] + [wide(w) for w in cols[j].split()]) + 6
            for j in range(len(cols))]  # no header word is broken
    rest = sum(body[1:])
    first = max(body[0], width_pt - rest) if rest < width_pt else body[0]
    widths = [first, *body[1:]]
    scale = min(1.0, width_pt / sum(widths))
    widths = [w * scale for w in widths]
    pt_to_fig = 1.0 / (frame.width_in * 72)
    heads = [fit_label(c, max(w - 4, 12), font, size) for c, w in zip(cols, widths, strict=True)]
    n_head = max(h.count("\n") + 1 for h in heads)
    line = size * 1.35 / (frame.height_in * 72)
    edges = [x0]
    for w in widths:
        edges.append(edges[-1] + w * pt_to_fig)
    for j, h in enumerate(heads):
        right = j > 0
        fig.text(edges[j + 1] - 2 * pt_to_fig if right else edges[j], top, h, fontproperties=font,
                 fontsize=size, va="top", ha="right" if right else "left", weight="bold",
                 color="#333333", linespacing=1.15)
    y = top - n_head * line * 1.02 - 0.004
    fig.add_artist(Line2D([x0, edges[-1]], [y, y], color="#555555", linewidth=0.6,
                          transform=fig.transFigure))
    y -= 0.004
    for row in cells:
        bold = highlight is not None and row[0] == highlight
        for j, v in enumerate(row):
            right = j > 0
            fig.text(edges[j + 1] - 2 * pt_to_fig if right else edges[j], y, v, fontproperties=font,
                     fontsize=size, va="top", ha="right" if right else "left",
                     weight="bold" if bold else "normal", color="#1a1a1a")
        y -= line
    fig.add_artist(Line2D([x0, edges[-1]], [y, y], color="#999999", linewidth=0.4,
                          transform=fig.transFigure))
    return y
