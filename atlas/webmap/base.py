"""The base map: tiles, the legend box, the attribution line and the atlas runtime.

The base does not depend on the layers shown, so an app can keep it in the browser and send
only the layers (see :func:`atlas.webmap.specs.layer_group`).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any

import folium

from atlas.i18n import t
from atlas.webmap.assets import map_assets
from atlas.webmap.basemaps import add_tiles
from atlas.webmap.config import FIT_PADDING_PX, NINGBO_CENTER, NINGBO_VIEW, ZOOM_SNAP
from atlas.webmap.elements import Script, Text, js_json
from atlas.webmap.hooks import built

_LEGEND_BOX = ("<div id='atlas-legend' style='position:fixed;bottom:44px;left:8px;z-index:9999;"
               "background:rgba(255,255,255,0.92);padding:6px 9px;border:1px solid #999;"
               "border-radius:4px;font-size:12px;max-width:270px;max-height:60%;overflow:auto;"
               "display:none'></div><div id='atlas-offline'></div>")


def attribution_text(attributions: Iterable[str], lang: str) -> str:
    """The attribution line as plain text: the sources named, OpenStreetMap's always."""
    sep = ": " if lang == "en" else "："
    return t("attribution", lang) + sep + " · ".join(sorted({*attributions, t("attr_osm", lang)}))


def fit_view(m: folium.Map, bounds: list[list[float]], *, max_zoom: int | None = None) -> None:
    """Zoom ``m`` to ``bounds`` ((south, west), (north, east)) at once, never animated.

    folium's ``fit_bounds`` animates when the map already has a view; layers added meanwhile
    are then projected and drawn twice (once more when the animation ends).
    """
    opts: dict[str, Any] = {"animate": False, "padding": [FIT_PADDING_PX, FIT_PADDING_PX]}
    if max_zoom is not None:
        opts["maxZoom"] = max_zoom
    Script("", f".fitBounds({js_json(bounds)}, {js_json(opts)});").add_to(m)


def base_map(*, lang: str = "zh", basemap: str = "osm", tianditu_key: str | None = None,
             asset_url: str | None = None,
             view: tuple[tuple[float, float], tuple[float, float]] = NINGBO_VIEW,
             attributions: Iterable[str] = ()) -> tuple[folium.Map, str]:
    """Return an empty map (tiles, legend box, attribution, runtime) and the basemap used.

    The base does not depend on the layers shown, so an app can keep it in the browser and send
    only the layers (see :func:`atlas.webmap.layer_group`).

    Raises
    ------
    atlas.errors.ValidationError
        On an unknown basemap or a malformed Tianditu key.

    """
    # atlas.init adds a metric-only scale
    m = folium.Map(location=NINGBO_CENTER, zoom_start=9, tiles=None, control_scale=False,
                   prefer_canvas=True, zoom_snap=ZOOM_SNAP, zoom_delta=2 * ZOOM_SNAP)
    m.default_js, m.default_css = map_assets(asset_url)
    used = add_tiles(m, basemap, tianditu_key=tianditu_key)
    opts = {"offline_notice": html.escape(t("basemap_offline", lang)), "basemap": used}
    Script("atlas.init(", f", {js_json(opts)});").add_to(m)
    root_html = m.get_root().html  # type: ignore[attr-defined]
    root_html.add_child(Text(_LEGEND_BOX))
    root_html.add_child(Text(
        "<div id='atlas-attribution' style='position:fixed;bottom:2px;right:160px;z-index:9999;"
        "font-size:10px;background:rgba(255,255,255,0.8);padding:1px 4px'>"
        + html.escape(attribution_text(attributions, lang)) + "</div>"))
    root_html.add_child(Text(f"<script>window.ATLAS_BASEMAP = {json.dumps(used)};</script>"))
    fit_view(m, [list(view[0]), list(view[1])])
    built("base", basemap)
    return m, used
