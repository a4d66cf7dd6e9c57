"""The whole map in one call (exports, tests, simple pages): catalogue layers, overlays, legend."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np

from atlas.i18n import t
from atlas.webmap.base import base_map, fit_view
from atlas.webmap.basemaps import basemap_datum
from atlas.webmap.config import TITLE_CHARS
from atlas.webmap.controls import ui_script
from atlas.webmap.elements import AtlasGroup, AtlasLayerControl, Text
from atlas.webmap.geometry import shift
from atlas.webmap.legend import LegendEntry
from atlas.webmap.popups import clip_text
from atlas.webmap.specs import filter_frame, layer_group, layer_legend, layer_spec

if TYPE_CHECKING:
    from atlas.data.catalogue import Layer

Bounds = tuple[float, float, float, float]


def build_map(
    layers: list[Layer],
    frames: Mapping[str, gpd.GeoDataFrame],
    *,
    lang: str = "zh",
    basemap: str = "osm",
    tianditu_key: str | None = None,
    visible: Iterable[str] | None = None,
    districts: Iterable[str] | None = None,
    task: int | None = None,
    highlight_ids: Iterable[str] = (),
    tasks: Mapping[int, Mapping[str, Any]] | None = None,
    extra_groups: Iterable[folium.FeatureGroup] = (),
    layer_control: bool = False,
    fit: Bounds | None = None,
    asset_url: str | None = None,
    title: str | None = None,
) -> folium.Map:
    """Build a folium map of the catalogue's layers, self-contained (for HTML exports).

    Parameters
    ----------
    layers : list of Layer
        The catalogue (draw order is respected).
    frames : mapping
        Each layer's features by layer id (from :func:`atlas.data.catalogue.layer_frame`), WGS84.
    lang : {"zh", "en"}
        Language of titles, popups and the legend.
    basemap : {"osm", "tianditu", "amap", "none"}
        Tile source. With "amap" every overlay is shifted to GCJ-02 to line up with AMap's tiles;
        "none" draws no tiles (offline). "tianditu" without a key falls back to "none".
    tianditu_key : str, optional
        The user's Tianditu key.
    visible : iterable of str, optional
        Layer ids shown; default: each layer's ``visible`` flag.
    districts : iterable of str, optional
        Keep only sites in these districts (Chinese names) and zoom to them.
    task : int, optional
        Keep only features whose ``policy_tasks`` name this task.
    highlight_ids : iterable of str
        Site ids drawn with a highlight ring (search results, a chosen feature).
    tasks : mapping, optional
        Plan tasks by number, to list a feature's tasks and lead units in its popup.
    extra_groups : iterable of folium.FeatureGroup
        Further overlays (service areas, coverage) added after the catalogue layers.
    layer_control : bool
        Add Leaflet's layer switcher (for standalone HTML; the app has its own toggles).
    fit : tuple, optional
        (minlon, minlat, maxlon, maxlat) to zoom to, overriding the automatic extent.
    asset_url : str, optional
        Where the app serves ``atlas/static``; default: everything inlined (works offline).
    title : str, optional
        The planner's title: the page's title and a line at the top of the map (plain text,
        escaped here).

    Returns
    -------
    folium.Map

    """
    shown = set(visible) if visible is not None else {lyr.id for lyr in layers if lyr.visible}
    attributions = [lyr.credit(lang) for lyr in layers if lyr.attribution and lyr.id in shown]
    m, used = base_map(lang=lang, basemap=basemap, tianditu_key=tianditu_key, asset_url=asset_url,
                       attributions=attributions)
    groups, legend, bounds = map_layers(layers, frames, shown=shown, lang=lang, datum=basemap_datum(used),
                                        districts=districts, task=task, tasks=tasks)
    for g in [*groups, *extra_groups]:
        g.add_to(m)
        legend += getattr(g, "legend", [])
    highlight = set(highlight_ids)
    marks, hb = (highlight_marks(layers, frames, highlight, shown=shown, datum=basemap_datum(used))
                 if highlight else ([], None))
    notes = [t("basemap_amap", lang)] if used == "amap" else []
    ui_script(legend=legend, lang=lang, notes=notes, highlight=marks).add_to(m)
    if layer_control:  # after every group: its script refers to them
        AtlasLayerControl(collapsed=False, position="bottomright").add_to(m)
    if title and title.strip():
        add_title(m, title.strip())
    view = fit or hb or bounds
    if view is not None:
        pad = 0.01
        fit_view(m, [[view[1] - pad, view[0] - pad], [view[3] + pad, view[2] + pad]], max_zoom=14)
    return m


def add_title(m: folium.Map, title: str) -> None:
    """Show ``title`` (plain text, escaped here) at the top of the map and as the page's title."""
    text = html.escape(clip_text(title, TITLE_CHARS))
    root = m.get_root()
    root.title = text  # type: ignore[attr-defined]
    root.html.add_child(Text(  # type: ignore[attr-defined]
        "<div id='atlas-title' style='position:fixed;top:8px;left:50%;transform:translateX(-50%);"
        "z-index:9999;background:rgba(255,255,255,0.92);padding:3px 10px;border:1px solid #999;"
        f"border-radius:4px;font-size:15px;font-weight:600;max-width:60%'>{text}</div>"))


def map_layers(layers: list[Layer], frames: Mapping[str, gpd.GeoDataFrame], *, shown: set[str],
               lang: str, datum: str, districts: Iterable[str] | None = None, task: int | None = None,
               tasks: Mapping[int, Mapping[str, Any]] | None = None,
               spec: Callable[..., str] | None = None
               ) -> tuple[list[AtlasGroup], list[LegendEntry], Bounds | None]:
    """Groups and legend entries of the catalogue layers shown, and the extent of a filter.

    ``spec`` builds a layer's spec (default :func:`~atlas.webmap.specs.layer_spec`); an app
    passes a cached one.
    """
    build = spec or (lambda lyr, gdf, **kw: layer_spec(lyr, gdf, **kw))
    dset = tuple(sorted(districts)) if districts else None
    groups: list[AtlasGroup] = []
    legend: list[LegendEntry] = []
    ext: list[Bounds] = []
    for lyr in layers:
        if lyr.id not in shown or lyr.id not in frames:
            continue
        gdf = filter_frame(lyr, frames[lyr.id], districts=dset, task=task)
        if gdf.empty:
            continue
        entries = layer_legend(lyr, gdf, lang=lang)
        groups.append(layer_group(build(lyr, gdf, lang=lang, datum=datum, tasks=tasks),
                                  name=lyr.title(lang), legend=entries))
        legend += entries
        if dset is not None or task is not None:
            ext.append(tuple(gdf.total_bounds))
    if not ext:
        return groups, legend, None
    b = np.array(ext)
    return groups, legend, (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())


def highlight_marks(layers: list[Layer], frames: Mapping[str, gpd.GeoDataFrame], ids: set[str], *,
                    shown: set[str], datum: str = "wgs84"
                    ) -> tuple[list[tuple[float, float, float]], Bounds | None]:
    """(lat, lon, radius px) of the highlighted features and their extent with ~1 km around."""
    marks: list[tuple[float, float, float]] = []
    for lyr in layers:
        gdf = frames.get(lyr.id)
        if lyr.geometry != "point" or lyr.id not in shown or gdf is None or "id" not in gdf:
            continue
        sel = gdf[gdf.id.astype(str).isin(ids) & ~gdf.geometry.isna()]
        sel = shift(sel, "amap") if datum == "gcj02" else sel
        marks += [(y, x, float(lyr.style.get("radius", 7))) for x, y in
                  zip(sel.geometry.x, sel.geometry.y, strict=True)]
    if not marks:
        return [], None
    a = np.array(marks)
    r = 0.01
    return marks, (a[:, 1].min() - r, a[:, 0].min() - r, a[:, 1].max() + r, a[:, 0].max() + r)
