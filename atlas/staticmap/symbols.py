"""The layers on the map: districts, areas and lines, gap cells, service areas and site symbols."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from atlas import palette
from atlas.staticmap.style import CONTEXT_ALPHA

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from atlas.staticmap.scene import Scene


def _draw_districts(ax: Axes, scene: Scene) -> None:
    """District fills and outlines (focus districts strong, the others as context)."""
    d = scene.districts
    if d.empty:
        return
    style = scene.district_layer.style if scene.district_layer else {}
    edge = str(style.get("color", "#555555"))
    fill = str(style.get("fill_color", "#f2f2f2"))
    if (~d.focus).any():
        d[~d.focus].plot(ax=ax, facecolor="#ececec", edgecolor="#b0b0b0", linewidth=0.5, zorder=1)
    if d.focus.any():
        d[d.focus].plot(ax=ax, facecolor=fill, edgecolor="none", zorder=1)
        d[d.focus].boundary.plot(ax=ax, color=edge, linewidth=1.0, zorder=5)


def _draw_cells(ax: Axes, scene: Scene) -> None:
    if scene.cells is not None and not scene.cells.empty:
        scene.cells.plot(ax=ax, color=scene.cells["fill"].tolist(), alpha=palette.GAP_OPACITY,
                         linewidth=0, zorder=2)


def _draw_areas(ax: Axes, scene: Scene) -> set[str]:
    """Service areas in their own style (filled, translucent); returns the methods drawn.

    Graduated areas (several ``minutes`` bands) are drawn by :func:`_draw_bands` instead.
    """
    drawn: set[str] = set()
    if scene.areas is None or area_bands(scene.areas):
        return drawn
    for method, style in palette.SERVICE_AREA.items():
        a = scene.areas[scene.areas.method == method] if "method" in scene.areas else \
            scene.areas.iloc[:0]
        if a.empty:
            continue
        a.plot(ax=ax, facecolor=str(style["fill_color"]), alpha=float(style["fill_opacity"]),
               edgecolor="none", zorder=3)
        a.plot(ax=ax, facecolor="none", edgecolor=str(style["color"]), linewidth=float(style["weight"]),
               hatch=style["hatch"], alpha=0.8, zorder=3)
        drawn.add(method)
    return drawn


def area_bands(areas: Any) -> list[float]:
    """The walking bands (minutes, ascending) of graduated service areas; [] for one budget."""
    if areas is None or "minutes" not in areas or areas.empty:
        return []
    bands = sorted({float(m) for m in areas.minutes.dropna()})
    return bands if len(bands) > 1 else []


def _draw_bands(ax: Axes, scene: Scene) -> list[tuple[float, str, bool]]:
    """Graduated service areas, nested: the largest band first, each smaller one over it.

    Colours are the web map's (:func:`atlas.palette.band_colours`, the smallest band darkest);
    straight-line proxies are hatched. Returns (minutes, colour, proxy) per band drawn,
    smallest first (for the legend).
    """
    bands = area_bands(scene.areas)
    if not bands:
        return []
    assert scene.areas is not None
    colours = palette.band_colours(len(bands))
    proxy_style = palette.SERVICE_AREA["euclidean-proxy"]
    out = []
    for i in reversed(range(len(bands))):  # largest first: smaller bands lie on top
        a = scene.areas[scene.areas.minutes == bands[i]]
        proxy = bool((a.method == "euclidean-proxy").any()) if "method" in a else False
        a.plot(ax=ax, facecolor=colours[i], alpha=band_alpha(len(bands)), edgecolor="none", zorder=3)
        a.plot(ax=ax, facecolor="none", edgecolor=colours[i], linewidth=0.9,
               hatch=proxy_style["hatch"] if proxy else None, alpha=0.9, zorder=3)
        out.append((bands[i], colours[i], proxy))
    return out[::-1]


def band_alpha(n: int) -> float:
    """Fill opacity of each of ``n`` nested bands: where all overlap, about 0.5 in all."""
    return float(1.0 - 0.5 ** (1.0 / max(n, 1)))


def point_size(ax: Axes, g: Any, *, marker_size: float) -> float:
    """Symbol size (points²) of a dense layer on ``ax``: small enough to keep its points apart.

    The diameter is 0.7 of the median distance between neighbouring points as drawn (display
    points at the map's scale), between 1.6 pt and 0.6 of a named site's symbol: 1,183
    galleries are fine dots at city scale, grow as the map zooms in, and never outsize the
    plan's sites.
    """
    from scipy.spatial import cKDTree

    if len(g) < 2:
        return marker_size
    xy = np.column_stack([g.geometry.x.to_numpy(), g.geometry.y.to_numpy()])
    disp = ax.transData.transform(xy) * 72.0 / ax.get_figure().dpi  # type: ignore[union-attr]
    dist, _ = cKDTree(disp).query(disp, k=2)
    nn = dist[:, 1][dist[:, 1] > 0]
    if not len(nn):
        return marker_size
    d = float(np.clip(0.7 * np.median(nn), 1.6, 0.6 * np.sqrt(marker_size)))
    return d * d


def _draw_points(ax: Axes, scene: Scene, *, size: float) -> dict[str, Any]:
    """Every point layer: sourced filled, approximate hollow with a dotted error ring.

    Layers of many small points (not named, :func:`atlas.staticmap.scene.named`) are drawn
    first, beneath the plan's named sites, as dots sized by their density on this map.
    Returns for the legend: any approximate point drawn, any error ring drawn, and the size
    and number of each dense layer.
    """
    from atlas.staticmap.scene import named

    out: dict[str, Any] = {"approx": False, "rings": False, "dense": {}, "ring_cap_m": ring_cap(ax),
                           "rings_left_out": 0}
    layers = sorted(scene.points, key=lambda p: named(*p))  # dense layers first (stable order)
    for lyr, g in layers:
        if not named(lyr, g):
            s = point_size(ax, g[g.focus] if g.focus.any() else g, marker_size=size)
            out["dense"][lyr.id] = (s, int(g.focus.sum()))
            _draw_dense(ax, lyr, g, size=s)
            continue
        approx, rings, left_out = _draw_named(ax, lyr, g, size=size, cap_m=out["ring_cap_m"])
        out["approx"] = out["approx"] or approx
        out["rings"] = out["rings"] or rings
        out["rings_left_out"] += left_out
    if scene.recommended is not None:
        r = scene.recommended
        ax.scatter(r.geometry.x, r.geometry.y, marker="*", s=size * 6, color=palette.RECOMMENDED_COLOUR,
                   edgecolor="white", linewidth=0.8, zorder=9)
    return out


def _draw_dense(ax: Axes, lyr: Any, g: Any, *, size: float) -> None:
    """A dense layer: plain dots under everything named (no rings: their error is the layer's)."""
    color = str(lyr.style.get("color", "#333333"))
    marker = str(lyr.style.get("marker", "o"))
    marker = "o" if marker in (".", ",") else marker  # the size is set here, not by the marker
    for focus in (False, True):
        sub = g[g.focus == focus]
        if not sub.empty:
            ax.scatter(sub.geometry.x, sub.geometry.y, s=size, marker=marker, color=color,
                       alpha=0.85 if focus else CONTEXT_ALPHA, edgecolor="#333333",
                       linewidth=0.15 if size < 10 else 0.3, zorder=6)


def ring_cap(ax: Axes) -> float:
    """The largest error ring drawn on ``ax`` (metres): 3 % of the map's width, at least 100 m.

    A ring of several kilometres (an indicative centre known to ±5 km) would dominate a district
    map and say less than its hollow symbol does; such sites keep the hollow symbol and the
    legend says which rings were left out.
    """
    x0, x1 = ax.get_xlim()
    return float(max(100.0, 0.03 * abs(x1 - x0)))


def _draw_named(ax: Axes, lyr: Any, g: Any, *, size: float, cap_m: float) -> tuple[bool, bool, int]:
    """A layer of named sites: sourced filled, approximate hollow with a dotted error ring.

    Rings larger than ``cap_m`` are left out (counted in the result: approx, rings, left out).
    """
    from matplotlib.patches import Circle

    ring = palette.ERROR_RING
    any_approx = any_ring = False
    left_out = 0
    color = str(lyr.style.get("color", "#333333"))
    marker = str(lyr.style.get("marker", "o"))
    for focus in (False, True):
        sub = g[g.focus == focus]
        if sub.empty:
            continue
        alpha = 1.0 if focus else CONTEXT_ALPHA
        approx = (sub.position_status != "sourced").to_numpy() if "position_status" in sub \
            else np.zeros(len(sub), bool)
        err = sub.est_error_m.fillna(0).to_numpy(dtype=float) if "est_error_m" in sub \
            else np.zeros(len(sub))
        x, y = sub.geometry.x.to_numpy(), sub.geometry.y.to_numpy()
        for xi, yi, e in zip(x[approx], y[approx], err[approx], strict=True):
            if e > cap_m and focus:
                left_out += 1
            elif e > 0 and focus:
                ax.add_patch(Circle((xi, yi), e, fill=False, linestyle=(0, (1.5, 2.5)),
                                    linewidth=float(ring["weight"]), edgecolor=str(ring["color"]),
                                    alpha=float(ring["opacity"]), zorder=4))
                any_ring = True
        ax.scatter(x[~approx], y[~approx], s=size, marker=marker, color=color, alpha=alpha,
                   edgecolor="#222222", linewidth=0.5, zorder=7)
        ax.scatter(x[approx], y[approx], s=size * 1.5, marker=marker, facecolor="none",
                   edgecolor="#333333", linewidth=0.4, alpha=alpha, zorder=7)
        ax.scatter(x[approx], y[approx], s=size, marker=marker, facecolor="white",
                   edgecolor=color, linewidth=1.4, alpha=alpha, zorder=7)
        any_approx = any_approx or bool(approx.any() and focus)
    return any_approx, any_ring, left_out


def _draw_polygons(ax: Axes, scene: Scene) -> None:
    """Area and line layers other than the districts (e.g. a planner's zones or routes)."""
    for lyr, g in scene.polygons:
        color = str(lyr.style.get("color", "#333333"))
        if lyr.geometry == "line":
            g.plot(ax=ax, color=color, linewidth=1.6, zorder=3)
            continue
        g.plot(ax=ax, facecolor=str(lyr.style.get("fill_color", color)),
               alpha=float(lyr.style.get("fill_opacity", 0.15)) + 0.1, edgecolor="none", zorder=2)
        g.boundary.plot(ax=ax, color=color, linewidth=0.8, zorder=2)


def draw_map(ax: Axes, scene: Scene, *, marker_size: float) -> dict[str, Any]:
    """Draw every layer of ``scene`` on ``ax``; returns what was drawn (for the legend)."""
    _draw_districts(ax, scene)
    _draw_polygons(ax, scene)
    _draw_cells(ax, scene)
    methods = _draw_areas(ax, scene)
    bands = _draw_bands(ax, scene)
    points = _draw_points(ax, scene, size=marker_size)
    ax.set_xlabel("")
    ax.set_ylabel("")
    return {"methods": methods, "bands": bands, **points}
