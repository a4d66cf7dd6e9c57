"""The app's maps, fast: a base map that stays in the browser and cached layers sent to it.

* Each layer's spec (pre-serialised, simplified for display) is built once per layer, data
  version, language, datum and filter, and shared by every session and rerun
  (``st.cache_resource``: the strings are immutable, so no copy is made on a hit).
* The base map (tiles, legend box, runtime) does not depend on the layers: it is rendered to
  strings once per basemap and language, and its iframe stays in the browser; layers travel as
  streamlit-folium dynamic feature groups, so a toggle redraws only the overlays and the map keeps
  its view.
* A rerun therefore renders no folium object at all: it joins cached strings and hands them to
  streamlit-folium's component, with the arguments ``st_folium`` would give it (a test compares
  the two, see tests/test_app.py).
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
from atlas.webmap import LegendEntry, Overlay
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


# ------------------------------------------------------------------------------------------
# cached layers
# ------------------------------------------------------------------------------------------

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
    b = gdf.total_bounds
    return LayerView(
        layer_id=layer_id, spec=spec, legend=tuple(webmap.layer_legend(layer, gdf, lang=lang)),
        bounds=(float(b[0]), float(b[1]), float(b[2]), float(b[3])),
        tips=tuple(webmap.tooltip_texts(layer, gdf, lang=lang)), ids=ids,
        lon=tuple(gdf.geometry.x.tolist()) if point else (),
        lat=tuple(gdf.geometry.y.tolist()) if point else (),
    )


def catalogue_views(visible: Iterable[str], *, lang: str, datum: str, districts: Sequence[str] | None = None,
                    task: int | None = None) -> list[LayerView]:
    """Views of the visible catalogue layers, in draw order (cached)."""
    shown = set(visible)
    dset = tuple(sorted(districts)) if districts else None
    shipped = {lyr.id for lyr in common.shipped_catalogue()}
    user_token = repr(common._user_signature())
    views = []
    for lyr in common.catalogue():
        if lyr.id in shown:
            v = layer_view(lyr.id, "shipped" if lyr.id in shipped else user_token, lang, datum, dset, task)
            if v is not None:
                views.append(v)
    return views


def extent(views: Sequence[LayerView], *, points_only: bool = False
           ) -> tuple[float, float, float, float] | None:
    """Bounding box of the views' features.

    ``points_only``: of the point layers' features (a plan task's, without the district
    outlines drawn with them).
    """
    b = np.array([v.bounds for v in views if v.bounds is not None and (v.lon or not points_only)])
    if not len(b):
        return None
    return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())


def view_overlay(view: LayerView, *, lang: str) -> Overlay:
    """A cached layer view as an overlay for :func:`show`."""
    layer = next(x for x in common.catalogue() if x.id == view.layer_id)
    return Overlay(view.spec, layer.title(lang), view.legend, layer.credit(lang))


def view_group(view: LayerView, *, lang: str) -> webmap.AtlasGroup:
    """A folium group drawing one cached layer view (for :func:`atlas.webmap.build_map`)."""
    return view_overlay(view, lang=lang).group()


# ------------------------------------------------------------------------------------------
# the base map, rendered once
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BaseMap:
    """A base map rendered to the strings streamlit-folium's component takes."""

    script: str
    header: str
    html: str
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]
    used: str
    error: str | None


@st.cache_resource(show_spinner=False, max_entries=32)
def _base(lang: str, basemap: str, tianditu_key: str | None, attributions: tuple[str, ...],
          draw: bool) -> BaseMap:
    from streamlit_folium import _get_header, _get_html, _get_map_string

    from atlas.errors import AtlasError

    error = None
    try:
        m, used = webmap.base_map(lang=lang, basemap=basemap, tianditu_key=tianditu_key,
                                  asset_url=asset_url(), attributions=attributions)
    except AtlasError as exc:
        m, used = webmap.base_map(lang=lang, basemap="none", asset_url=asset_url(), attributions=attributions)
        error = exc.message(lang)
    if draw:
        webmap.add_draw_control(m, asset_url=asset_url())
    m.get_root().render()
    m.render()
    html, header, script = _get_html(m), _get_header(m), _get_map_string(m)
    css, js = [], []
    for el in [m, *_descendants(m)]:
        css += [href for _, href in getattr(el, "default_css", [])]
        js += [src for _, src in getattr(el, "default_js", [])]
    return BaseMap(script, header, html, tuple(dict.fromkeys(css)), tuple(dict.fromkeys(js)), used, error)


def _descendants(el: Any) -> Iterable[Any]:
    for child in getattr(el, "_children", {}).values():
        yield child
        yield from _descendants(child)


def base(*, lang: str, basemap: str, tianditu_key: str | None, draw: bool = False) -> BaseMap:
    """The base map for a basemap choice.

    A malformed Tianditu key falls back to no tiles, and ``error`` says why.
    """
    attributions = tuple(sorted({lyr.credit(lang) for lyr in common.catalogue() if lyr.attribution}))
    return _base(lang, basemap, tianditu_key or None, attributions, draw)


# ------------------------------------------------------------------------------------------
# drawing
# ------------------------------------------------------------------------------------------

def _group_js(i: int, prefix: str, suffix: str) -> str:
    """One dynamic feature group, as streamlit-folium's ``_get_feature_group_string`` writes it."""
    var = f"feature_group_feature_group_{i}"
    return (f"\nvar {var} = L.featureGroup({{}});\n{prefix}{var}{suffix}\n{var}.addTo(map_div);\n"
            f"map_div.addLayer({var});\nwindow.feature_group = window.feature_group || [];\n"
            f"window.feature_group.push({var});\n")


_DEFAULTS = {"last_clicked": None, "last_object_clicked": None, "last_object_clicked_count": None,
             "last_object_clicked_tooltip": None, "last_object_clicked_popup": None, "all_drawings": None,
             "last_active_drawing": None, "last_circle_radius": None, "last_circle_polygon": None,
             "selected_layers": None, "selected_tags": None, "last_geocoder_result": None}


def _foreign_js(group: Any, i: int) -> str:
    """A folium feature group made elsewhere, as streamlit-folium writes it (rendered per call)."""
    import folium
    from streamlit_folium import _get_feature_group_string

    m = folium.Map(tiles=None)
    m.get_root().render()
    return str(_get_feature_group_string(group, m, i))


#: A map that fills the window (``show(fill=...)``) starts with its legend folded when, open, the
#: legend would cover more than this share of it (a small screen).
LEGEND_MAX_SHARE = 0.12


def show(base_map: BaseMap, overlays: Sequence[Any], *, key: str, height: int, lang: str,
         fit: tuple[float, float, float, float] | None = None, notes: Sequence[str] = (),
         highlight: Sequence[tuple[float, float, float]] = (),
         returned_objects: Sequence[str] = (), fill: str | None = None) -> dict[str, Any] | None:
    """Draw ``overlays`` on ``base_map``; return what the map sent back (streamlit-folium's dict).

    ``overlays`` are :class:`~atlas.webmap.Overlay` (cached strings) or, from pages that make
    their own, folium feature groups.

    The legend is made of the overlays' entries; ``fit`` is applied once, then again only when
    it changes (a toggle keeps the planner's view). ``fill``: a CSS height for the map instead
    of ``height`` pixels, e.g. ``"calc(100vh - 200px)"`` (a map that fits the window; the map
    fits its view again when the window changes, and its legend starts folded where it would
    cover more than :data:`LEGEND_MAX_SHARE` of the map).

    A map that cannot load its basemap's tiles says so, and the basemap choice becomes "no
    tiles" (:func:`ui.common.tiles_failed`).
    """
    from streamlit_folium import generate_js_hash

    hash_key = generate_js_hash(base_map.script, key, False)
    shipped = _shipped(hash_key)
    legend = [e for o in overlays for e in getattr(o, "legend", ())]
    parts = []
    for o in overlays:  # our overlays are cached strings; a folium group from elsewhere is rendered
        if not isinstance(o, Overlay):
            parts.append(_foreign_js(o, len(parts)))
        elif o.spec is not None:
            parts.append(_group_js(len(parts), "atlas.addLayer(", f", {_ship(o.spec, shipped)});"))
    sources = [a for o in overlays if (a := getattr(o, "attribution", ""))]
    ui = webmap.ui_code(legend=legend, lang=lang, notes=notes, fit=fit or _city_view(), highlight=highlight,
                        attributions=sources, legend_max_share=LEGEND_MAX_SHARE if fill else None)
    feature_group = "".join([*parts, _group_js(len(parts), *ui)])

    def on_change() -> None:
        st.session_state[key] = st.session_state.get(hash_key, {})

    wanted = list(returned_objects)
    box = st.container(key=f"{key}_box")
    if fill:
        box.html(f"<style>.st-key-{key}_box iframe{{height:{fill} !important}}</style>")
    with box:
        out = _draw(base_map, hash_key, height, wanted, feature_group, on_change)
    failed = (st.session_state.get(hash_key) or {}).get("atlas_tiles_failed")
    seen = st.session_state.get("_tiles_seen")
    if failed and failed.get("basemap") == base_map.used and failed.get("n") != seen:
        st.session_state["_tiles_seen"] = failed.get("n")  # each report once (a later choice may work)
        common.tiles_failed(base_map.used)
    return out


def _draw(base_map: BaseMap, hash_key: str, height: int, wanted: list[str], feature_group: str,
          on_change: Any) -> dict[str, Any] | None:
    """streamlit-folium's component, with the arguments ``st_folium`` would give it."""
    from streamlit_folium import _component_func

    return _component_func(  # type: ignore[no-any-return]
        script=base_map.script, header=base_map.header, html=base_map.html, id="map_div", key=hash_key,
        height=height, width=None, returned_objects=wanted,
        default={k: _DEFAULTS.get(k) for k in wanted}, zoom=None, center=None, feature_group=feature_group,
        return_on_hover=False, layer_control=None, pixelated=False, css_links=list(base_map.css_links),
        js_links=list(base_map.js_links), on_change=on_change, wrap_longitude=False)


def _shipped(hash_key: str) -> set[str]:
    """Keys of the layer specs this session's map (iframe) already holds.

    Only a fragment rerun keeps the iframe for sure: a full run starts the ledger again (the
    map may be new: a page switch, a reload), and so does the map's own report of a layer it
    does not have (``atlas_missing``, see atlas.js), after which it gets every spec again.
    """
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ledger = st.session_state.setdefault("_atlas_shipped", {})
    ctx = get_script_run_ctx()
    value = st.session_state.get(hash_key)
    report = value.get("atlas_missing") if isinstance(value, dict) else None
    seen = st.session_state.get("_atlas_missing_seen")
    if ctx is None or not ctx.fragment_ids_this_run or (report and report.get("n") != seen):
        ledger[hash_key] = set()
        if report:
            st.session_state["_atlas_missing_seen"] = report.get("n")
    return ledger.setdefault(hash_key, set())


def _ship(spec: str, shipped: set[str]) -> str:
    """The spec itself the first time this map gets it, then only a reference to its key."""
    key = spec[spec.rindex('"key":"') + 7:-2]
    if key in shipped:
        return f'{{"key":"{key}","ref":true}}'
    shipped.add(key)
    return spec


def _city_view() -> tuple[float, float, float, float]:
    (s, w), (n, e) = webmap.NINGBO_VIEW
    return w, s, e, n


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


def feature_card(layer_id: str, feature_id: str, *, lang: str) -> None:
    """A card for a feature of any point layer: its name, layer and popup fields (escaped).

    Site-list features have the full card (``ui.cards.site_card``); this covers the rest, such as
    the galleries and a planner's own layers.
    """
    from atlas.i18n import field_label
    from ui.cards import md_escape

    layer = next((x for x in common.catalogue() if x.id == layer_id), None)
    frame = common.layer_frames().get(layer_id)
    if layer is None or frame is None or "id" not in frame:
        return
    rows = frame[frame["id"].astype(str) == feature_id]
    if rows.empty:
        return
    row = rows.iloc[0]
    st.markdown(f"#### {md_escape(row.get(layer.tooltip, feature_id))}")
    st.caption(md_escape(layer.title(lang)))
    for col in layer.popup_fields:
        text = webmap._fmt(row.get(col), col, lang)
        if text and col != layer.tooltip:
            st.markdown(f"**{md_escape(field_label(col, lang))}**: {md_escape(text)}")
