"""Print-ready static maps (PNG 300 dpi / vector PDF) for slides and briefs.

The map is drawn with matplotlib in the UTM zone of the area shown (true metres, so the scale
bar is right) from the same layer catalogue and :mod:`atlas.palette` styles as the web map.

Layout: a title band (title and subtitle follow the district filter), the map filling the rest
of the frame (its extent widened to the frame's shape, so neighbouring districts give context
instead of white bands), and a legend margin: on the right for landscape pages (16:9, A4
landscape), below the map for A4 portrait. The margin holds the layer legend, the graduated gap
legend with its unit, the scale bar and the north arrow, so nothing there can collide with a
map label. District names are always labelled; site names are labelled with collision avoidance
(adjustText). City maps get an automatic inset of their densest cluster of sites (the 三江口 /
甬江 core), placed in the emptiest corner of the map. Approximate sites are hollow with a grey
dotted ring of their error radius; service areas are filled and translucent (hatched when they
are straight-line proxies). Chinese text uses Noto Sans CJK SC explicitly (Debian
``fonts-noto-cjk``); a missing font is a clear error, never boxes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atlas import palette, settings
from atlas.errors import AtlasError
from atlas.i18n import t
from atlas.labels import boxes_of, halo_text, place_area_label, place_point_labels
from atlas.projection import crs_label, metric_crs_for
from atlas.storage import atomic_write

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.text import Text

    from atlas.catalogue import Layer

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

_HALO = "#ffffff"
MAX_LABELS_PER_LAYER = 150  # more features than this in view: the layer is not labelled
MAIN_MARKER = 26.0  # scatter size (points²) of site symbols on the main map
INSET_MARKER = 34.0
_CONTEXT_ALPHA = 0.35


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


# --- the scene: everything to draw, in metres -------------------------------------------------

@dataclass
class Scene:
    """What one map shows, projected to its metric CRS."""

    crs: str
    lang: str
    districts: gpd.GeoDataFrame  # all districts (metric), column ``focus``
    points: list[tuple[Layer, gpd.GeoDataFrame]]  # per point layer, column ``focus``
    polygons: list[tuple[Layer, gpd.GeoDataFrame]]  # other polygon layers
    district_layer: Layer | None
    cells: gpd.GeoDataFrame | None = None  # clipped gap cells with ``fill``
    areas: gpd.GeoDataFrame | None = None
    recommended: gpd.GeoDataFrame | None = None
    focus_names: list[str] = field(default_factory=list)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """Bounds (metres) of the focus districts, or of every feature if there are none."""
        focus = self.districts[self.districts.focus] if not self.districts.empty else self.districts
        if not focus.empty:
            return tuple(float(v) for v in focus.total_bounds)  # type: ignore[return-value]
        pts = [g for _, g in self.points if not g.empty]
        b = pd.concat(pts).total_bounds if pts else np.array([0.0, 0.0, 1000.0, 1000.0])
        return tuple(float(v) for v in b)  # type: ignore[return-value]


def _filter_points(gdf: gpd.GeoDataFrame, dset: set[str] | None) -> gpd.GeoDataFrame:
    g = gdf[~gdf.geometry.isna() & ~gdf.geometry.is_empty].copy()
    g["focus"] = g.district.isin(dset).to_numpy() if dset is not None and "district" in g else True
    return g


def build_scene(layers: list[Layer], frames: Mapping[str, gpd.GeoDataFrame], *, lang: str,
                visible: Iterable[str] | None, districts: Iterable[str] | None,
                areas: gpd.GeoDataFrame | None = None, cells: gpd.GeoDataFrame | None = None,
                recommended: gpd.GeoDataFrame | None = None) -> Scene:
    """Select, filter and project what a static map shows (see :func:`render_static_map`)."""
    shown = set(visible) if visible is not None else {lyr.id for lyr in layers if lyr.visible}
    dset = set(districts) if districts else None
    dlayer = next((lyr for lyr in layers if lyr.id == "districts" and lyr.id in frames), None)
    dist = frames[dlayer.id] if dlayer is not None else gpd.GeoDataFrame(
        {"name_zh": []}, geometry=[], crs=settings.CRS_WGS84)
    focus = dist.name_zh.isin(dset) if dset is not None else pd.Series(True, index=dist.index)
    crs = _map_crs([dist[focus]] if focus.any() and len(dist) else
                   [frames[i] for i in shown if i in frames])
    d = dist.to_crs(crs).assign(focus=focus.to_numpy())
    pts, polys = [], []
    for lyr in layers:
        if lyr.id not in shown or lyr.id not in frames or lyr is dlayer:
            continue
        if lyr.geometry == "point":
            g = _filter_points(frames[lyr.id], dset)
            if not g.empty:
                pts.append((lyr, g.to_crs(crs)))
        else:  # areas and lines (a planner's layer may hold rows without a shape)
            g = frames[lyr.id]
            g = g[~g.geometry.isna() & ~g.geometry.is_empty]
            key = "district" if "district" in g.columns else "name_zh"
            if dset is not None and key in g.columns:
                g = g[g[key].isin(dset)]
            if not g.empty:
                polys.append((lyr, g.to_crs(crs)))
    scene = Scene(crs=crs, lang=lang, districts=d if (dlayer and dlayer.id in shown) or dset else
                  d.iloc[:0], points=pts, polygons=polys,
                  district_layer=dlayer if dlayer is not None and dlayer.id in shown else None,
                  focus_names=sorted(dset) if dset else [])
    if dset and scene.districts.empty:  # districts hidden but used as the frame
        scene.districts = d.assign(focus=focus.to_numpy())
    boundary = shapely.union_all(d[d.focus].geometry.to_numpy()) if len(d) else None
    scene.cells = _gap_cells(cells, crs, boundary)
    if areas is not None and not areas.empty:
        scene.areas = areas[~areas.geometry.is_empty & ~areas.geometry.isna()].to_crs(crs)
    if recommended is not None and not recommended.empty:
        scene.recommended = recommended.to_crs(crs)
    return scene


def _map_crs(frames: Iterable[gpd.GeoDataFrame | None]) -> str:
    """The metric CRS of a map: the UTM zone of the centre of what it frames (true metres)."""
    b = np.array([g.to_crs(settings.CRS_WGS84).total_bounds for g in frames
                  if g is not None and not g.empty and g.geometry.notna().any()]).reshape(-1, 4)
    b = b[np.isfinite(b).all(axis=1)]
    if not len(b):
        return metric_crs_for(settings.NINGBO_BBOX)
    return metric_crs_for((b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()))


def _gap_cells(cells: gpd.GeoDataFrame | None, crs: str, boundary: Any) -> gpd.GeoDataFrame | None:
    """Uncovered cells, coloured by people per km² (from the whole cell), clipped to the boundary."""
    if cells is None or cells.empty or "uncovered" not in cells:
        return None
    c = cells[cells.uncovered > 0].to_crs(crs)
    if c.empty:
        return None
    density = c.uncovered.to_numpy() / (c.geometry.area.to_numpy() / 1e6)
    c = c.assign(density=density, fill=palette.gap_colour(density))
    if boundary is not None and not boundary.is_empty:
        c = gpd.clip(c, boundary)
        c = c[~c.geometry.is_empty]
    return c


# --- layout --------------------------------------------------------------------------------

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


def _layout(preset: str, extent: tuple[float, float, float, float], *, band: bool = False,
            header: float = HEADER_IN) -> Frame:
    """Place the map to fill the frame beside (or above) the legend margin.

    The data extent is widened (or heightened) to the map box's shape, so the map has no empty
    bands. With ``band``, that extra room goes to one side (left, or top on portrait pages) when
    it is wide enough to hold the inset there, beside the map instead of over it.
    """
    import matplotlib.pyplot as plt

    w, h = PRESETS[preset]
    portrait = h > w
    panel = PANEL_IN[preset]
    fig = plt.figure(figsize=(w, h))
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
    _plain_axes(ax, (x0, y0, x1, y1))
    return Frame(fig, ax, (prect[0] / w, prect[1] / h, prect[2] / w, prect[3] / h), portrait, w, h,
                 inset_rect)


def _plain_axes(ax: Axes, bounds: tuple[float, float, float, float]) -> None:
    """Map axes: fixed bounds, equal scale, no ticks or axis labels, a light sea-grey ground."""
    ax.set_xlim(bounds[0], bounds[2])
    ax.set_ylim(bounds[1], bounds[3])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#f7f9fb")
    for s in ax.spines.values():
        s.set_linewidth(0.6)


# --- drawing -------------------------------------------------------------------------------

def _short_name(row: Mapping[str, Any], lang: str) -> str:
    """A site's name for a map label: the main name, without bracketed remarks."""
    name = str(row.get("name_en") or "") if lang == "en" else ""
    name = name or str(row.get("name_zh") or row.get("name") or "")
    for opener in ("（", "(", " (", "/"):
        if opener in name and not name.startswith(opener):
            name = name.split(opener)[0]
    name = name.strip()
    limit = 22 if lang == "en" else 12
    return name if len(name) <= limit else name[: limit - 1] + "…"


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


def _label_districts(ax: Axes, scene: Scene, font: FontProperties, *, size: float,
                     obstacles: np.ndarray) -> list[Text]:
    """District names, always: focus districts bold, neighbours grey, off the site symbols."""
    view = shapely.box(ax.get_xlim()[0], ax.get_ylim()[0], ax.get_xlim()[1], ax.get_ylim()[1])
    texts: list[Text] = []
    d = scene.districts
    for _, r in d.sort_values("focus", ascending=False).iterrows():
        name = str(r.get("name_en") or r["name_zh"]) if scene.lang == "en" else str(r["name_zh"])
        taken = np.vstack([obstacles, boxes_of(texts, ax)]) if texts else obstacles
        txt = place_area_label(ax, r.geometry.intersection(view), name, font,
                               size=size if r.focus else size * 0.85, obstacles=taken, zorder=12,
                               color="#333333" if r.focus else "#8a8a8a",
                               weight="bold" if r.focus else "normal", halo=2.2)
        if txt is not None:
            texts.append(txt)
    return texts


def _named(lyr: Layer, g: gpd.GeoDataFrame) -> bool:
    """Whether a point layer's sites are named on maps (not a layer of many small points)."""
    return bool(lyr.style.get("label", True)) and len(g) <= MAX_LABELS_PER_LAYER


def _site_xy(scene: Scene) -> np.ndarray:
    """Positions of the named sites (the symbols labels avoid and the inset looks for)."""
    xy = [np.column_stack([g.geometry.x, g.geometry.y]) for lyr, g in scene.points
          if len(g) and _named(lyr, g)]
    return np.concatenate(xy) if xy else np.zeros((0, 2))


def _draw_cells(ax: Axes, scene: Scene) -> None:
    if scene.cells is not None and not scene.cells.empty:
        scene.cells.plot(ax=ax, color=scene.cells["fill"].tolist(), alpha=palette.GAP_OPACITY,
                         linewidth=0, zorder=2)


def _draw_areas(ax: Axes, scene: Scene) -> set[str]:
    """Service areas in their own style (filled, translucent); returns the methods drawn."""
    drawn: set[str] = set()
    if scene.areas is None:
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


def _draw_points(ax: Axes, scene: Scene, *, size: float) -> tuple[bool, bool]:
    """Every point layer: sourced filled, approximate hollow with a dotted error ring.

    Returns (any approximate point drawn, any error ring drawn) for the legend.
    """
    from matplotlib.patches import Circle

    ring = palette.ERROR_RING
    any_approx = any_ring = False
    for lyr, g in scene.points:
        color = str(lyr.style.get("color", "#333333"))
        marker = str(lyr.style.get("marker", "o"))
        for focus in (False, True):
            sub = g[g.focus == focus]
            if sub.empty:
                continue
            alpha = 1.0 if focus else _CONTEXT_ALPHA
            approx = (sub.position_status != "sourced").to_numpy() if "position_status" in sub \
                else np.zeros(len(sub), bool)
            err = sub.est_error_m.fillna(0).to_numpy(dtype=float) if "est_error_m" in sub \
                else np.zeros(len(sub))
            x, y = sub.geometry.x.to_numpy(), sub.geometry.y.to_numpy()
            for xi, yi, e in zip(x[approx], y[approx], err[approx], strict=True):
                if e > 0 and focus:
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
    if scene.recommended is not None:
        r = scene.recommended
        ax.scatter(r.geometry.x, r.geometry.y, marker="*", s=size * 6, color=palette.RECOMMENDED_COLOUR,
                   edgecolor="white", linewidth=0.8, zorder=9)
    return any_approx, any_ring


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
    approx, rings = _draw_points(ax, scene, size=marker_size)
    ax.set_xlabel("")
    ax.set_ylabel("")
    return {"methods": methods, "approx": approx, "rings": rings}


# --- labels ----------------------------------------------------------------------------------

def _symbol_px(ax: Axes, marker_size: float) -> float:
    """Half-size in display pixels of a scatter symbol of area ``marker_size`` (points²)."""
    return float(np.sqrt(marker_size) / 2 * ax.get_figure().dpi / 72)  # type: ignore[union-attr]


def label_map(ax: Axes, scene: Scene, font: FontProperties, *, size: float, marker_size: float,
              reserved: np.ndarray, exclude: tuple[float, float, float, float] | None = None
              ) -> dict[str, Any]:
    """District names, then site names, none overlapping a symbol, a label or ``reserved``.

    Sites inside ``exclude`` (the inset's area on the main map) are named in the inset only.
    Returns the label artists and the sites that found no free place.
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    rows = []
    for lyr, g in scene.points:
        inside = g[g.focus & g.geometry.x.between(x0, x1) & g.geometry.y.between(y0, y1)]
        # a layer of many small points (e.g. 1,183 community galleries) is drawn, not named
        if _named(lyr, g):
            rows += [r for _, r in inside.iterrows()]
    if exclude is not None:
        rows = [r for r in rows if not (exclude[0] <= r.geometry.x <= exclude[2]
                                        and exclude[1] <= r.geometry.y <= exclude[3])]
    all_xy = _site_xy(scene)
    sym = _symbol_px(ax, marker_size) + 1.0
    disp = ax.transData.transform(all_xy) if len(all_xy) else np.zeros((0, 2))
    symbols = np.column_stack([disp - sym, disp + sym]) if len(disp) else np.zeros((0, 4))
    districts = _label_districts(ax, scene, font, size=size * 1.3,
                                 obstacles=np.vstack([symbols, reserved]))
    xy = np.array([(r.geometry.x, r.geometry.y) for r in rows]).reshape(-1, 2)
    names = [_short_name(r, scene.lang) for r in rows]
    placed = place_point_labels(ax, xy, names, font, size=size, symbol_px=sym,
                                obstacles=np.vstack([symbols, reserved, boxes_of(districts, ax)]),
                                color="#1a1a1a", zorder=11, halo=1.8)
    return {"districts": districts, "sites": placed.texts, "site_boxes": placed.boxes,
            "dropped": [names[i] for i in placed.dropped]}


# --- inset of the dense core ------------------------------------------------------------------

def dense_core(scene: Scene, *, eps_frac: float = 0.02, min_sites: int = 5
               ) -> tuple[float, float, float, float] | None:
    """Bounds (metres) of the largest tight cluster of sites, if there is one worth an inset.

    Sites closer than ``eps_frac`` of the map's size are linked; the largest linked group with
    at least ``min_sites`` sites is the core.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    xy = _site_xy(scene)
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
    pts = _site_xy(scene)
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


def _draw_inset(frame: Frame, scene: Scene, core: tuple[float, float, float, float],
                font: FontProperties) -> tuple[Axes, list[Any]]:
    """An inset of ``core`` in the emptiest corner, linked to its box on the main map."""
    ax = frame.ax
    inset = ax.inset_axes(frame.inset_rect or _inset_corner(ax, scene, core))
    _plain_axes(inset, core)
    inset.set_aspect("equal", adjustable="datalim")
    for s in inset.spines.values():
        s.set_linewidth(1.0)
        s.set_edgecolor("#333333")
    inset.set_zorder(30)
    draw_map(inset, scene, marker_size=INSET_MARKER)
    ind = ax.indicate_inset_zoom(inset, edgecolor="#333333", linewidth=0.8, alpha=0.9)
    rect = getattr(ind, "rectangle", None)
    col = "name_en" if scene.lang == "en" and "name_en" in scene.districts else "name_zh"
    names = scene.districts[scene.districts.intersects(shapely.box(*core))][col].tolist() \
        if len(scene.districts) else []
    title = (t("inset_title", scene.lang) + ("：" if scene.lang != "en" else ": ")
             + ("、" if scene.lang != "en" else ", ").join(names[:4]))
    halo_text(inset, 0.02, 0.98, title, transform=inset.transAxes, fontproperties=font,
              fontsize=6.5, va="top", ha="left", zorder=40, halo=2.5)
    bar = _scale_bar(inset, font, fontsize=5.5, where=(0.05, 0.05))
    return inset, [a for a in (rect, bar, inset.texts[-1]) if a is not None]


# --- frame furniture: scale bar, north arrow, legends, title and footer -----------------------------

def _nice_length(width_m: float) -> float:
    target = width_m / 5.0
    exp = 10 ** math.floor(math.log10(target))
    return float(max(m * exp for m in (1, 2, 5) if m * exp <= target))


def _scale_bar(ax: Axes, font: FontProperties, *, fontsize: float = 7,
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


def _panel_scale(frame: Frame, font: FontProperties, crs: str, lang: str) -> None:
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
    ax_n.text(0.5, 1.0, "北 N" if lang != "en" else "N", transform=ax_n.transAxes, ha="center",
              va="top", fontproperties=font, fontsize=8)


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


def _legend_handles(layers_drawn: list[Layer], info: dict[str, Any], scene: Scene, lang: str
                    ) -> list[Any]:
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


def _legends(frame: Frame, handles: list[Any], scene: Scene, font: FontProperties, lang: str) -> None:
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


def map_title(districts: Iterable[str] | None, lang: str = "zh", *, base: str | None = None) -> str:
    """The map title for the current filter: "江北区 · 宁波科创空间图谱" (city: just the base)."""
    base = base or t("app_title", lang)
    names = list(districts or [])
    if not names:
        return base
    sep = "、" if lang != "en" else ", "
    return f"{sep.join(names)} · {base}"


def map_subtitle(scene: Scene, lang: str) -> str:
    """What the map shows: the area, then each point layer with its number of features."""
    area = (("、" if lang != "en" else ", ").join(scene.focus_names) if scene.focus_names
            else t("all_districts", lang))
    counts = []
    for lyr, g in scene.points:
        n = int(g.focus.sum())
        if n:
            counts.append(f"{lyr.title(lang)} {n}")
    return f"{area} · " + " · ".join(counts) if counts else area


def _attributions(layers: Iterable[Layer], shown: set[str], extra: Iterable[str] = ()) -> list[str]:
    out = [lyr.attribution for lyr in layers if lyr.id in shown and lyr.attribution]
    out += list(extra)
    out.append(settings.ATTRIBUTION_OSM)
    return list(dict.fromkeys(out))


def _header_footer(frame: Frame, font: FontProperties, *, title: str, subtitle: str, lang: str,
                   crs: str, attributions: list[str], notes: list[str], today: date) -> None:
    fig = frame.fig
    x = MARGIN_IN / frame.width_in
    fig.text(x, 1 - 0.22 / frame.height_in, title, fontproperties=font, fontsize=16,
             weight="bold", va="top")
    if subtitle:
        fig.text(x, 1 - 0.58 / frame.height_in, subtitle, fontproperties=font, fontsize=9.5,
                 color="#444444", va="top")
    footer = [f"{'制图日期' if lang != 'en' else 'Date'}: {today.isoformat()} · "
              f"{'坐标系' if lang != 'en' else 'CRS'}: {crs_label(crs)}"
              + ("".join(f" · {n}" for n in notes)),
              f"{t('attribution', lang)}: " + " · ".join(attributions)]
    fig.text(x, (FOOTER_IN - 0.12) / frame.height_in, "\n".join(footer), fontproperties=font,
             fontsize=6.3, color="#333333", va="top", wrap=True, linespacing=1.5)


def render_static_map(
    layers: list[Layer],
    frames: Mapping[str, gpd.GeoDataFrame],
    path: str | Path,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    lang: str = "zh",
    preset: str = "a4-landscape",
    dpi: int = 300,
    visible: Iterable[str] | None = None,
    districts: Iterable[str] | None = None,
    areas: gpd.GeoDataFrame | None = None,
    cells: gpd.GeoDataFrame | None = None,
    recommended: gpd.GeoDataFrame | None = None,
    sources: Iterable[str] = (),
    notes: Iterable[str] = (),
    today: date | None = None,
    inset: bool = True,
    record: dict[str, Any] | None = None,
) -> Path:
    """Draw a print-ready map and save it as PNG or PDF (by ``path``'s suffix).

    Parameters
    ----------
    layers, frames : list of Layer, mapping
        The catalogue and each layer's features (WGS84), as for the web map.
    path : str or pathlib.Path
        Output ``.png`` (raster at ``dpi``) or ``.pdf`` (vector).
    title, subtitle : str, optional
        Printed at the top; by default they follow the filter (:func:`map_title`,
        :func:`map_subtitle`).
    lang : {"zh", "en"}
        Language of labels, legend and notes.
    preset : {"a4-portrait", "a4-landscape", "slide-16x9"}
        Page size.
    dpi : int
        Raster resolution for PNG (300 for print).
    visible : iterable of str, optional
        Layer ids to draw (default: each layer's ``visible`` flag).
    districts : iterable of str, optional
        Focus on these districts: the map frames them, labels and counts their sites; the
        neighbours are drawn faintly for context.
    areas : geopandas.GeoDataFrame, optional
        Service areas with a ``method`` column; straight-line proxies are hatched and named so.
    cells : geopandas.GeoDataFrame, optional
        Coverage cells with an ``uncovered`` column (the gap map), clipped to the boundary.
    recommended : geopandas.GeoDataFrame, optional
        Recommended new sites (stars).
    sources, notes : iterable of str
        Further source lines and method notes for the footer.
    today : datetime.date, optional
        Date printed on the map (default today).
    inset : bool
        Add an inset of the densest cluster of sites on maps without a district filter.
    record : dict, optional
        Filled with what labelling did: per axes ("main", "inset") the label boxes, reserved
        boxes and the names left out for want of space (display pixels at 100 dpi).

    Returns
    -------
    pathlib.Path
        ``path``.

    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if preset not in PRESETS:
        raise ExportError(f"未知版式 {preset!r}", f"Unknown page preset {preset!r}")
    p = Path(path)
    if p.suffix.lower() not in (".png", ".pdf"):
        raise ExportError("静态地图只支持 .png 或 .pdf", "Static maps are .png or .pdf only")
    font = cjk_font()
    scene = build_scene(layers, frames, lang=lang, visible=visible, districts=districts,
                        areas=areas, cells=cells, recommended=recommended)
    core = dense_core(scene) if inset and not scene.focus_names else None
    title = title or map_title(scene.focus_names, lang)
    w_in = PRESETS[preset][0] - 2 * MARGIN_IN
    subtitle = wrap_label(subtitle if subtitle is not None else map_subtitle(scene, lang),
                          w_in * 72 / 9.5 * 0.97)
    frame = _layout(preset, scene.extent, band=core is not None,
                    header=HEADER_IN + 0.17 * subtitle.count("\n"))
    try:
        done = _compose(frame, scene, layers, font, title=title, subtitle=subtitle, lang=lang,
                        visible=visible, sources=sources, notes=list(notes),
                        today=today or date.today(), core=core)
        if record is not None:
            record.update(done)

        def _save(tmp: Path) -> None:
            fmt_ = p.suffix.lower().lstrip(".")
            meta = {"Title": title} if fmt_ == "pdf" else None
            with matplotlib.rc_context({"pdf.fonttype": 42, "hatch.linewidth": 0.5}):
                frame.fig.savefig(tmp, format=fmt_, dpi=dpi, metadata=meta)

        atomic_write(p, _save)
    finally:
        plt.close(frame.fig)
    return p


def _compose(frame: Frame, scene: Scene, layers: list[Layer], font: FontProperties, *,
             title: str, subtitle: str, lang: str, visible: Iterable[str] | None,
             sources: Iterable[str], notes: list[str], today: date,
             core: tuple[float, float, float, float] | None) -> dict[str, Any]:
    """Draw the map, inset, labels, legends, title and footer on ``frame``.

    Returns the labelling record: per axes, label boxes, reserved boxes and dropped names.
    """
    ax = frame.ax
    info = draw_map(ax, scene, marker_size=MAIN_MARKER)
    record: dict[str, Any] = {}
    reserved = np.zeros((0, 4))
    if core is not None:
        inset_ax, inset_art = _draw_inset(frame, scene, core, font)
        frame.fig.canvas.draw()
        own = boxes_of(inset_art[1:], inset_ax)  # inset title and scale bar
        record["inset"] = label_map(inset_ax, scene, font, size=5.8, marker_size=INSET_MARKER,
                                    reserved=own) | {"reserved": own}
        (ix0, ix1), (iy0, iy1) = inset_ax.get_xlim(), inset_ax.get_ylim()
        core = (ix0, iy0, ix1, iy1)  # what the inset finally shows is named there only
        reserved = boxes_of([inset_ax.get_window_extent(), *inset_art[:1]], ax)
    frame.fig.canvas.draw()
    record["main"] = label_map(ax, scene, font, size=6.5, marker_size=MAIN_MARKER,
                               reserved=reserved, exclude=core) | {"reserved": reserved}
    drawn = [lyr for lyr, g in scene.points if bool(g.focus.any())]
    _legends(frame, _legend_handles(drawn, info, scene, lang), scene, font, lang)
    _panel_scale(frame, font, scene.crs, lang)
    shown = set(visible) if visible is not None else {lyr.id for lyr in layers if lyr.visible}
    if scene.cells is not None:
        notes = [*notes, t("gap_note", lang)]
    _header_footer(frame, font, title=title, subtitle=subtitle,
                   lang=lang, crs=scene.crs, attributions=_attributions(layers, shown, sources),
                   notes=notes, today=today)
    record["legend"] = info
    record["map_box"] = tuple(ax.get_position().bounds)  # figure fractions x0, y0, w, h
    record["legend_boxes"] = [tuple(lg.get_window_extent().transformed(
        frame.fig.transFigure.inverted()).bounds) for lg in frame.fig.legends]
    return record
