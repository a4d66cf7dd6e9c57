"""Map labels without collisions, for the static maps.

A greedy candidate-position labeller, as in cartographic label placement (Imhof; Christensen,
Marks & Shieber 1995): each site tries eight positions around its symbol, then the same eight
farther out with a leader line, and takes the first whose box is inside the map and overlaps no
symbol, no label already placed and no reserved box (inset, scale bar, district names). A label
that finds no free place is left out rather than drawn over something. Area names (districts)
go to the most interior free point of their polygon.

Why not adjustText: its force-directed moves do not guarantee that nothing overlaps (static
obstacles are only pushed against) and its result depends on iteration counts; this one is
deterministic, and the guarantee is what :func:`overlaps` lets the tests check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.font_manager import FontProperties
    from matplotlib.text import Text

#: Candidate directions around a symbol, best first: right, upper right, lower right, left,
#: upper left, lower left, above, below.
DIRECTIONS: tuple[tuple[float, float], ...] = (
    (1, 0), (0.7, 0.7), (0.7, -0.7), (-1, 0), (-0.7, 0.7), (-0.7, -0.7), (0, 1), (0, -1))


@dataclass
class Placed:
    """Labels drawn and the sites that got none (indices into the input)."""

    texts: list[Text]
    boxes: np.ndarray  # display boxes (x0, y0, x1, y1) of the labels drawn
    dropped: list[int]


def halo_text(ax: Axes, x: float, y: float, text: str, *, halo: float = 0.0, **kw: Any) -> Text:
    """``ax.text`` with a white halo that stays real text in a PDF.

    Matplotlib draws a text with path effects as outlines (unsearchable, uncopyable in a PDF),
    so the halo is a second, stroke-only copy underneath and the label itself is plain text.
    """
    from matplotlib import patheffects

    if halo > 0:
        under = {**kw, "zorder": kw.get("zorder", 10) - 0.5, "color": "white"}
        ax.text(x, y, text, path_effects=[patheffects.Stroke(linewidth=halo, foreground="white")],
                **under).set_gid("halo")
    return ax.text(x, y, text, **kw)


def _renderer(ax: Axes) -> Any:
    return ax.get_figure().canvas.get_renderer()  # type: ignore[union-attr]


def text_size(ax: Axes, text: str, font: FontProperties, size: float) -> tuple[float, float]:
    """Width and height (display pixels) of ``text`` as it will be drawn."""
    probe = ax.text(0, 0, text, fontproperties=font, fontsize=size)
    bb = probe.get_window_extent(_renderer(ax))
    probe.remove()
    return float(bb.width), float(bb.height)


def boxes_of(artists: Sequence[Any], ax: Axes) -> np.ndarray:
    """Display boxes (x0, y0, x1, y1) of artists or matplotlib Bboxes."""
    from matplotlib.transforms import BboxBase

    r = _renderer(ax)
    out = []
    for a in artists:
        bb = a if isinstance(a, BboxBase) else a.get_window_extent(r)
        out.append((bb.x0, bb.y0, bb.x1, bb.y1))
    return np.array(out, dtype=float).reshape(-1, 4)


def overlaps(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Which of ``boxes`` overlap ``box`` (all display (x0, y0, x1, y1))."""
    if not len(boxes):
        return np.zeros(0, dtype=bool)
    return ((boxes[:, 0] < box[2]) & (boxes[:, 2] > box[0])
            & (boxes[:, 1] < box[3]) & (boxes[:, 3] > box[1]))


def _inside(box: np.ndarray, frame: np.ndarray) -> bool:
    return bool(box[0] >= frame[0] and box[1] >= frame[1] and box[2] <= frame[2] and box[3] <= frame[3])


def _candidate(px: float, py: float, w: float, h: float, d: tuple[float, float], gap: float
               ) -> np.ndarray:
    """The box of a label of size (w, h) placed in direction ``d`` at ``gap`` from (px, py)."""
    dx, dy = d
    cx = px + dx * gap + (w / 2 if dx > 0 else -w / 2 if dx < 0 else 0.0)
    cy = py + dy * gap + (h / 2 if dy > 0 else -h / 2 if dy < 0 else 0.0)
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


def place_point_labels(ax: Axes, xy: np.ndarray, names: Sequence[str], font: FontProperties, *,
                       size: float, symbol_px: float, obstacles: np.ndarray | None = None,
                       pad_px: float = 1.5, **text_kw: Any) -> Placed:
    """Label the points ``xy`` (data coordinates of ``ax``) with ``names``; see the module notes.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes with final limits (labels are placed in display space).
    xy : numpy.ndarray
        (n, 2) data coordinates.
    names : sequence of str
        One label per point.
    font : matplotlib.font_manager.FontProperties
        Font of the labels.
    size : float
        Font size (points).
    symbol_px : float
        Half-size of each symbol in display pixels (symbols are obstacles too).
    obstacles : numpy.ndarray, optional
        (m, 4) display boxes nothing may cover.
    pad_px : float
        Clearance kept around each label.
    **text_kw
        Further :meth:`~matplotlib.axes.Axes.text` options (colour, path effects...).

    Returns
    -------
    Placed

    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    disp = ax.transData.transform(xy) if len(xy) else np.zeros((0, 2))
    fb = ax.get_window_extent(_renderer(ax))
    frame = np.array([fb.x0 + 2, fb.y0 + 2, fb.x1 - 2, fb.y1 - 2])
    sym = np.column_stack([disp - symbol_px, disp + symbol_px]) if len(disp) else np.zeros((0, 4))
    taken = np.vstack([sym, obstacles if obstacles is not None else np.zeros((0, 4))])
    # most crowded first: they have the fewest free places
    crowd = (np.linalg.norm(disp[:, None] - disp[None], axis=-1) < 60).sum(axis=1) if len(disp) else []
    order = sorted(range(len(xy)), key=lambda i: (-crowd[i], i))
    texts, boxes, dropped = [], [], []
    inv = ax.transData.inverted()
    for i in order:
        w, h = text_size(ax, names[i], font, size)
        w, h = w + 2 * pad_px, h + 2 * pad_px
        px, py = disp[i]
        hit = None
        for ring, gap in enumerate((symbol_px + 2, symbol_px + 2 + 1.6 * h, symbol_px + 2 + 3.2 * h)):
            for d in DIRECTIONS:
                box = _candidate(px, py, w, h, d, gap)
                if _inside(box, frame) and not overlaps(box, taken).any():
                    hit = (box, ring)
                    break
            if hit is not None:
                break
        if hit is None:
            dropped.append(i)
            continue
        box, ring = hit
        cx, cy = inv.transform(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
        texts.append(halo_text(ax, cx, cy, names[i], fontproperties=font, fontsize=size,
                               ha="center", va="center_baseline", **text_kw))
        if ring:
            ex = min(max(px, box[0]), box[2])
            ey = min(max(py, box[1]), box[3])
            (lx, ly), (tx, ty) = inv.transform([(px, py), (ex, ey)])
            ax.plot([lx, tx], [ly, ty], color="#777777", linewidth=0.4, zorder=text_kw.get("zorder", 10) - 1)
        taken = np.vstack([taken, box])
        boxes.append(box)
    return Placed(texts, np.array(boxes, dtype=float).reshape(-1, 4), sorted(dropped))


def place_area_label(ax: Axes, poly: Any, name: str, font: FontProperties, *, size: float,
                     obstacles: np.ndarray, grid: int = 11, **text_kw: Any) -> Text | None:
    """Write ``name`` at the most interior point of ``poly`` whose label box is free.

    ``poly`` is in data coordinates and already cut to the view. Falls back to the polygon's
    representative point when no free place exists.
    """
    if poly is None or poly.is_empty or poly.area <= 0:
        return None
    x0, y0, x1, y1 = poly.bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, grid + 2)[1:-1], np.linspace(y0, y1, grid + 2)[1:-1])
    rep = poly.representative_point()
    cand = np.vstack([[rep.x, rep.y], np.column_stack([gx.ravel(), gy.ravel()])])
    pts = shapely.points(cand)
    keep = shapely.contains(poly, pts)
    cand, pts = cand[keep], pts[keep]
    if not len(cand):
        cand = np.array([[rep.x, rep.y]])
        pts = shapely.points(cand)
    depth = shapely.distance(pts, poly.boundary)
    w, h = text_size(ax, name, font, size)
    disp = ax.transData.transform(cand)
    chosen = cand[int(np.argmax(depth))]
    for j in np.argsort(-depth):
        box = np.array([disp[j, 0] - w / 2 - 2, disp[j, 1] - h / 2 - 2,
                        disp[j, 0] + w / 2 + 2, disp[j, 1] + h / 2 + 2])
        if not overlaps(box, obstacles).any():
            chosen = cand[j]
            break
    return halo_text(ax, float(chosen[0]), float(chosen[1]), name, fontproperties=font,
                     fontsize=size, ha="center", va="center", **text_kw)
