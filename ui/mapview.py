"""The app's maps, fast: a base map that stays in the browser and cached layers sent to it.

* Each layer's spec (pre-serialised, simplified for display) is built once per layer, data
  version, language, datum and filter, and shared by every session and rerun
  (``st.cache_resource``: the strings are immutable, so no copy is made on a hit).
* The base map (tiles, legend box, runtime) does not depend on the layers, so its iframe stays in
  the browser; layers travel as streamlit-folium ``feature_group_to_add`` groups, so a toggle
  redraws only the overlays, and the map keeps its view.
* Leaflet and the atlas runtime are served as files (cached by the browser) instead of data: URLs
  re-sent with every rerun.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import streamlit as st

from atlas import webmap
from atlas.webmap import AtlasGroup, LegendEntry
from ui import common


@cache
def asset_url() -> str:
    """Serve ``atlas/static`` to the browser (as a component's files) and return its URL.

    The URL is relative to streamlit-folium's iframe (``/component/streamlit_folium.st_folium/``),
    so it also works under a ``server.baseUrlPath``.
    """
    import streamlit.components.v1 as components

    components.declare_component("atlas_static", path=str(webmap._STATIC))
    return f"../{__name__}.atlas_static/"


@dataclass(frozen=True)
class LayerView:
    """One layer as drawn: its spec, legend entries, extent and what a click on it returns."""

    layer_id: str
    spec: str
    legend: tuple[LegendEntry, ...]
    bounds: tuple[float, float, float, float] | None
    tips: tuple[str, ...]
    ids: tuple[str, ...]
    lon: tuple[float, ...]
    lat: tuple[float, ...]


def data_token(layer_id: str) -> str:
    """A version of a layer's data.

    Shipped layers never change while the app runs; the planner's layers change with each
    committed version.
    """
    shipped = {lyr.id for lyr in common.shipped_catalogue()}
    return "shipped" if layer_id in shipped else repr(common._user_signature())


@st.cache_resource(show_spinner=False, max_entries=512)
def layer_view(layer_id: str, token: str, lang: str, datum: str, districts: tuple[str, ...] | None,
               task: int | None) -> LayerView | None:
    """Build one layer's view (once per argument set, for every session)."""
    layer = next((x for x in common.catalogue() if x.id == layer_id), None)
    frames = common.layer_frames()
    if layer is None or layer_id not in frames:
        return None
    gdf = webmap.filter_frame(layer, frames[layer_id], districts=districts, task=task)
    if gdf.empty:
        return None
    spec = webmap.layer_spec(layer, gdf, lang=lang, datum=datum, tasks=common.tasks_by_number())
    point = layer.geometry == "point"
    ids = tuple(str(x) for x in gdf["id"]) if "id" in gdf else tuple(str(i) for i in gdf.index)
    return LayerView(
        layer_id=layer_id, spec=spec, legend=tuple(webmap.layer_legend(layer, gdf, lang=lang)),
        bounds=tuple(float(v) for v in gdf.total_bounds) if len(gdf) else None,  # type: ignore[arg-type]
        tips=tuple(webmap.tooltip_texts(layer, gdf, lang=lang)), ids=ids,
        lon=tuple(gdf.geometry.x.tolist()) if point else (),
        lat=tuple(gdf.geometry.y.tolist()) if point else (),
    )


def catalogue_views(visible: Iterable[str], *, lang: str, datum: str, districts: Sequence[str] | None = None,
                    task: int | None = None) -> list[LayerView]:
    """Views of the visible catalogue layers, in draw order (cached)."""
    shown = set(visible)
    dset = tuple(sorted(districts)) if districts else None
    views = []
    for lyr in common.catalogue():
        if lyr.id in shown:
            v = layer_view(lyr.id, data_token(lyr.id), lang, datum, dset, task)
            if v is not None:
                views.append(v)
    return views


def extent(views: Sequence[LayerView]) -> tuple[float, float, float, float] | None:
    """Bounding box of the views' features."""
    b = np.array([v.bounds for v in views if v.bounds is not None])
    if not len(b):
        return None
    return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())


def base(*, lang: str, basemap: str, tianditu_key: str | None) -> tuple[Any, str, str | None]:
    """The base map for a basemap choice: (map, basemap used, error message or None).

    A malformed Tianditu key falls back to no tiles, with the reason.
    """
    from atlas.errors import AtlasError

    attributions = [lyr.attribution for lyr in common.catalogue() if lyr.attribution]
    try:
        m, used = webmap.base_map(lang=lang, basemap=basemap, tianditu_key=tianditu_key,
                                  asset_url=asset_url(), attributions=attributions)
        return m, used, None
    except AtlasError as exc:
        m, used = webmap.base_map(lang=lang, basemap="none", asset_url=asset_url(), attributions=attributions)
        return m, used, exc.message(lang)


def show(base_map: Any, groups: Sequence[Any], *, key: str, height: int, lang: str,
         fit: tuple[float, float, float, float] | None = None, notes: Sequence[str] = (),
         highlight: Sequence[tuple[float, float, float]] = (),
         returned_objects: Sequence[str] = ()) -> dict[str, Any] | None:
    """Draw ``groups`` on ``base_map`` with streamlit-folium; return what the map sent back.

    The legend is made of the groups' entries; ``fit`` is applied once, then again only when it
    changes (a toggle keeps the planner's view).
    """
    from streamlit_folium import st_folium

    legend = [e for g in groups for e in getattr(g, "legend", [])]
    ui = webmap.ui_script(legend=legend, lang=lang, notes=notes,
                          fit=fit or _city_view(), highlight=highlight)
    return st_folium(base_map, key=key, height=height, use_container_width=True,
                     feature_group_to_add=[*groups, ui], returned_objects=list(returned_objects))


def _city_view() -> tuple[float, float, float, float]:
    (s, w), (n, e) = webmap.NINGBO_VIEW
    return w, s, e, n


def view_group(view: LayerView, *, lang: str) -> AtlasGroup:
    """A feature group drawing one cached layer view."""
    layer = next(x for x in common.catalogue() if x.id == view.layer_id)
    return webmap.layer_group(view.spec, name=layer.title(lang), legend=view.legend)


def clicked_feature(out: dict[str, Any] | None, views: Sequence[LayerView], *, state_key: str
                    ) -> tuple[str, str] | None:
    """(layer id, feature id) of a marker clicked since the last call, or None.

    streamlit-folium returns the clicked marker's tooltip text and the click position; the
    feature is the one with that tooltip nearest to the click (names can repeat across layers).
    """
    out = out or {}
    tip, where = out.get("last_object_clicked_tooltip"), out.get("last_object_clicked")
    if not tip or not where:
        return None
    sig = (tip, where.get("lat"), where.get("lng"))
    if st.session_state.get(state_key) == sig:
        return None
    st.session_state[state_key] = sig
    best: tuple[float, str, str] | None = None
    for v in views:
        for i, text in enumerate(v.tips):
            if text.strip() == str(tip).strip() and v.lon:
                d = math.hypot(v.lon[i] - float(where["lng"]), v.lat[i] - float(where["lat"]))
                if best is None or d < best[0]:
                    best = (d, v.layer_id, v.ids[i])
    return (best[1], best[2]) if best else None
