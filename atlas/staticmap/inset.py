"""The inset: the densest cluster of sites, magnified in the emptiest corner of a city map."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from atlas.i18n import t
from atlas.labels import halo_text
from atlas.staticmap.furniture import scale_bar
from atlas.staticmap.layout import plain_axes
from atlas.staticmap.scene import site_xy
from atlas.staticmap.style import INSET_MARKER
from atlas.staticmap.symbols import draw_map

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.font_manager import FontProperties

    from atlas.staticmap.layout import Frame
    from atlas.staticmap.scene import Scene


def dense_core(scene: Scene, *, eps_frac: float = 0.02, min_sites: int = 4
               ) -> tuple[float, float, float, float] | None:
    """Bounds (metres) of the largest tight cluster of sites, if there is one worth an inset.

    Sites closer than ``eps_frac`` of the map's size are linked; the largest linked group with
    at least ``min_sites`` sites is the core.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    xy = site_xy(scene)
    if len(xy) < min_sites:
        return None
    x0, y0, x1, y1 = scene.extent
    eps = eps_frac * max(x1 - x0, y1 - y0)
    pairs = cKDTree(xy).query_pairs(eps, output_type="ndarray")
    if not len(pairs):
        return None
    adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(xy),) * 2)
    _, label = connected_components(adj, directed=False)
    sizes = np.bincount(label)
    if sizes.max() < min_sites:
        return None
    core = xy[label == int(np.argmax(sizes))]
    (cx0, cy0), (cx1, cy1) = core.min(axis=0), core.max(axis=0)
    pad = max(0.6 * eps, 800.0)
    half = max(cx1 - cx0, cy1 - cy0) / 2 + pad
    cx, cy = (cx0 + cx1) / 2, (cy0 + cy1) / 2
    return (cx - half, cy - half, cx + half, cy + half)


def _inset_corner(ax: Axes, scene: Scene, core: tuple[float, float, float, float]
                  ) -> tuple[float, float, float, float]:
    """Where a square inset covers least: axes fraction (x0, y0, w, h).

    Corners and edge middles at a few sizes are tried; covering land, sites or the very area
    the inset magnifies costs, and a bigger inset is preferred at equal cost.
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    bbox = ax.get_window_extent()
    land = shapely.union_all(scene.districts.geometry.to_numpy()) if len(scene.districts) else None
    pts = site_xy(scene)
    zoomed = shapely.box(*core)
    best, best_cost = (0.57, 0.57, 0.42, 0.42), math.inf
    for frac in (0.55, 0.46, 0.4, 0.34):
        w_f = frac * min(bbox.width, bbox.height) / bbox.width
        h_f = frac * min(bbox.width, bbox.height) / bbox.height
        for fx in (0.01, (1 - w_f) / 2, 0.99 - w_f):
            for fy in (0.01, (1 - h_f) / 2, 0.99 - h_f):
                bx0, by0 = x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)
                box = shapely.box(bx0, by0, bx0 + w_f * (x1 - x0), by0 + h_f * (y1 - y0))
                cost = land.intersection(box).area / box.area if land is not None else 0.0
                inside = shapely.contains_xy(box, pts[:, 0], pts[:, 1]) if len(pts) else np.zeros(0)
                cost += 0.1 * float(np.sum(inside)) + (10.0 if box.intersects(zoomed) else 0.0)
                cost -= 0.6 * frac  # bigger is better when it costs as little
                if cost < best_cost:
                    best, best_cost = (fx, fy, w_f, h_f), cost
    return best


def inset_districts(scene: Scene, bounds: tuple[float, float, float, float], *,
                    min_share: float = 0.02) -> list[str]:
    """Names (in the map's language) of the districts an inset showing ``bounds`` shows.

    A district counts when it covers at least ``min_share`` of the inset (not a sliver at its
    edge); largest first.
    """
    if not len(scene.districts):
        return []
    box = shapely.box(*bounds)
    shares = scene.districts.geometry.intersection(box).area / box.area
    shown = scene.districts.assign(share=shares.to_numpy())
    shown = shown[shown.share >= min_share].sort_values("share", ascending=False)
    return [scene.district_label(str(n)) for n in shown.name_zh]


def inset_caption(scene: Scene, inset: Axes) -> str:
    """"放大图：海曙区、江北区、鄞州区" from what the inset finally shows (after its aspect is set)."""
    inset.apply_aspect()
    (x0, x1), (y0, y1) = inset.get_xlim(), inset.get_ylim()
    names = inset_districts(scene, (x0, y0, x1, y1))
    sep, colon = (", ", ": ") if scene.lang == "en" else ("、", "：")
    return t("inset_title", scene.lang) + (colon + sep.join(names) if names else "")


def draw_inset(frame: Frame, scene: Scene, core: tuple[float, float, float, float],
               font: FontProperties) -> tuple[Axes, list[Any]]:
    """An inset of ``core`` in the emptiest corner, linked to its box on the main map."""
    ax = frame.ax
    inset = ax.inset_axes(frame.inset_rect or _inset_corner(ax, scene, core))
    plain_axes(inset, core)
    inset.set_aspect("equal", adjustable="datalim")
    for s in inset.spines.values():
        s.set_linewidth(1.0)
        s.set_edgecolor("#333333")
    inset.set_zorder(30)
    inset.apply_aspect()  # final limits first: symbol sizes and the caption follow them
    draw_map(inset, scene, marker_size=INSET_MARKER)
    ind = ax.indicate_inset_zoom(inset, edgecolor="#333333", linewidth=0.8, alpha=0.9)
    rect = getattr(ind, "rectangle", None)
    title = inset_caption(scene, inset)
    halo_text(inset, 0.02, 0.98, title, transform=inset.transAxes, fontproperties=font,
              fontsize=6.5, va="top", ha="left", zorder=40, halo=2.5)
    bar = scale_bar(inset, font, fontsize=5.5, where=(0.05, 0.05))
    return inset, [a for a in (rect, bar, inset.texts[-1]) if a is not None]
