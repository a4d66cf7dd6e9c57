"""The scene: what one static map shows, selected, filtered and projected to true metres."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atlas import palette, settings
from atlas.geo.projection import metric_crs_for
from atlas.staticmap.style import MAX_LABELS_PER_LAYER

if TYPE_CHECKING:
    from atlas.data.catalogue import Layer


@dataclass(frozen=True)
class GapClasses:
    """Gap cells drawn in classes of their own (a ``fill`` column) and how the legend names them.

    ``title`` heads the legend; ``entries`` are (label, colour), in the order listed.
    """

    title: str
    entries: tuple[tuple[str, str], ...]


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
    gap_classes: GapClasses | None = None
    _labels: dict[tuple[str, Any], str] | None = field(default=None, repr=False)

    def site_labels(self) -> dict[tuple[str, Any], str]:
        """Each named site's label, unique on the page (:func:`atlas.staticmap.labelling.site_labels`)."""
        if self._labels is None:
            from atlas.staticmap.labelling import site_labels

            self._labels = site_labels(self)
        return self._labels

    def district_label(self, name_zh: str) -> str:
        """A district's name in the map's language (its ``name_en`` in English, when known)."""
        if self.lang != "en" or "name_en" not in self.districts:
            return name_zh
        hit = self.districts.loc[self.districts.name_zh == name_zh, "name_en"]
        return str(hit.iloc[0]) if len(hit) and str(hit.iloc[0] or "").strip() else name_zh

    @property
    def focus_labels(self) -> list[str]:
        """The focus districts' names in the map's language (title, subtitle, file names)."""
        return [self.district_label(n) for n in self.focus_names]

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """Bounds (metres) of the focus districts, or of every feature if there are none."""
        focus = self.districts[self.districts.focus] if not self.districts.empty else self.districts
        if not focus.empty:
            return tuple(float(v) for v in focus.total_bounds)  # type: ignore[return-value]
        pts = [g for _, g in self.points if not g.empty]
        b = pd.concat(pts).total_bounds if pts else np.array([0.0, 0.0, 1000.0, 1000.0])
        return tuple(float(v) for v in b)  # type: ignore[return-value]


def district_mask(gdf: gpd.GeoDataFrame, names: Iterable[str] | None, *,
                  boundaries: gpd.GeoDataFrame | None = None) -> np.ndarray:
    """Which rows of ``gdf`` belong to the districts ``names`` (all rows when ``names`` is empty).

    By the rows' ``district`` column (sites, galleries, a planner's layers), else by
    ``name_zh`` for the district layer itself, else, given the districts' ``boundaries``,
    by position (rows that touch one of them). One rule for maps and for data downloads.
    """
    dset = set(names or ())
    if not dset:
        return np.ones(len(gdf), dtype=bool)
    if "district" in gdf.columns:
        return gdf["district"].isin(dset).to_numpy()
    if "name_zh" in gdf.columns and "adcode" in gdf.columns:  # the district layer
        return gdf["name_zh"].isin(dset).to_numpy()
    if boundaries is not None and len(boundaries):
        shape = shapely.union_all(boundaries[boundaries.name_zh.isin(dset)].to_crs(gdf.crs)
                                  .geometry.to_numpy())
        geoms = gdf.geometry.to_numpy()
        return np.array([g is not None and not g.is_empty and g.intersects(shape) for g in geoms],
                        dtype=bool)
    return np.ones(len(gdf), dtype=bool)


def _filter_points(gdf: gpd.GeoDataFrame, dset: set[str] | None) -> gpd.GeoDataFrame:
    g = gdf[~gdf.geometry.isna() & ~gdf.geometry.is_empty].copy()
    g["focus"] = district_mask(g, dset) if "district" in g else True
    return g


def build_scene(layers: list[Layer], frames: Mapping[str, gpd.GeoDataFrame], *, lang: str,
                visible: Iterable[str] | None, districts: Iterable[str] | None,
                areas: gpd.GeoDataFrame | None = None, cells: gpd.GeoDataFrame | None = None,
                recommended: gpd.GeoDataFrame | None = None,
                gap_classes: GapClasses | None = None) -> Scene:
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
            if dset is not None:
                g = g[district_mask(g, dset, boundaries=dist)]
            if not g.empty:
                polys.append((lyr, g.to_crs(crs)))
    scene = Scene(crs=crs, lang=lang, districts=d if (dlayer and dlayer.id in shown) or dset else
                  d.iloc[:0], points=pts, polygons=polys,
                  district_layer=dlayer if dlayer is not None and dlayer.id in shown else None,
                  focus_names=_in_order(dset, dist))
    if dset and scene.districts.empty:  # districts hidden but used as the frame
        scene.districts = d.assign(focus=focus.to_numpy())
    boundary = shapely.union_all(d[d.focus].geometry.to_numpy()) if len(d) else None
    scene.cells = _gap_cells(cells, crs, boundary, own=gap_classes is not None)
    scene.gap_classes = gap_classes if scene.cells is not None else None
    if areas is not None and not areas.empty:
        scene.areas = areas[~areas.geometry.is_empty & ~areas.geometry.isna()].to_crs(crs)
    if recommended is not None and not recommended.empty:
        scene.recommended = recommended.to_crs(crs)
    return scene


def _in_order(dset: set[str] | None, dist: gpd.GeoDataFrame) -> list[str]:
    """The chosen districts in the districts' own order (by code), unknown names last."""
    if not dset:
        return []
    known = [n for n in dist.name_zh if n in dset]
    return known + sorted(dset - set(known))


def _map_crs(frames: Iterable[gpd.GeoDataFrame | None]) -> str:
    """The metric CRS of a map: the UTM zone of the centre of what it frames (true metres)."""
    b = np.array([g.to_crs(settings.CRS_WGS84).total_bounds for g in frames
                  if g is not None and not g.empty and g.geometry.notna().any()]).reshape(-1, 4)
    b = b[np.isfinite(b).all(axis=1)]
    if not len(b):
        return metric_crs_for(settings.NINGBO_BBOX)
    return metric_crs_for((b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()))


def _gap_cells(cells: gpd.GeoDataFrame | None, crs: str, boundary: Any, *, own: bool = False
               ) -> gpd.GeoDataFrame | None:
    """Uncovered cells, coloured by people per km² (from the whole cell), clipped to the boundary.

    With ``own`` classes the cells come with their ``fill`` (cells without one are not drawn).
    """
    if cells is None or cells.empty or ("fill" if own else "uncovered") not in cells:
        return None
    if own:
        c = cells[cells["fill"].astype(str).str.len() > 0].to_crs(crs)
    else:
        c = cells[cells.uncovered > 0].to_crs(crs)
        if not c.empty:
            density = c.uncovered.to_numpy() / (c.geometry.area.to_numpy() / 1e6)
            c = c.assign(density=density, fill=palette.gap_colour(density))
    if c.empty:
        return None
    if boundary is not None and not boundary.is_empty:
        c = gpd.clip(c, boundary)
        c = c[~c.geometry.is_empty]
    return c


def named(lyr: Layer, g: gpd.GeoDataFrame) -> bool:
    """Whether a point layer's sites are named on maps (not a layer of many small points)."""
    return bool(lyr.style.get("label", True)) and len(g) <= MAX_LABELS_PER_LAYER


def site_xy(scene: Scene) -> np.ndarray:
    """Positions of the named sites (the symbols labels avoid and the inset looks for)."""
    xy = [np.column_stack([g.geometry.x, g.geometry.y]) for lyr, g in scene.points
          if len(g) and named(lyr, g)]
    return np.concatenate(xy) if xy else np.zeros((0, 2))
