"""Build the interactive Leaflet map (through folium) from the layer catalogue.

A layer becomes one compact *spec* (a JSON document: style, escaped tooltip and popup values,
labels) that ``atlas/static/atlas/atlas.js`` draws as one canvas-rendered Leaflet layer. Specs are
plain strings, so callers cache them per layer, style and filter and reuse them across reruns and
sessions; a map is then a small base (tiles, legend box, runtime) plus one feature group per
visible layer. The same pieces make the app's map and the standalone HTML export.

Every string that reaches HTML (popups, tooltips, labels, legend) goes through
:func:`html.escape`: site names and notes may come from planners' uploads. Approximate points are
drawn hollow with a dashed ring of their estimated error radius; sourced points are filled;
service areas are filled and translucent, never dashed.

One module per concern:

=============  ==================================================================
config         view, display precision, label zooms, text limits, asset folder
hooks          ``BUILD_HOOKS``: observers of spec and base-map builds
assets         Leaflet, Leaflet.draw and atlas.js as links or inlined data: URLs
basemaps       tile layers (OSM, Tianditu, AMap, none) and their datum
elements       branca elements placed without Jinja; inlinable JSON; ``AtlasGroup``
base           the base map (tiles, legend box, attribution, runtime)
popups         popup values, tooltips and labels as text
geometry       display geometry (simplified, rounded, datum-shifted)
specs          catalogue layer specs, their groups and legend entries
legend         legend entries and the legend's HTML
controls       legend, attribution, fit and highlight code of an app map
overlays       ``Overlay``; service areas and marked points
shading        gap and accessibility shading of H3 cells
build          ``build_map``: the whole map in one call
=============  ==================================================================
"""

from __future__ import annotations

from atlas.webmap.assets import add_draw_control, map_assets
from atlas.webmap.assets import draw_assets as _draw_assets
from atlas.webmap.assets import file_version as _file_version
from atlas.webmap.base import base_map
from atlas.webmap.basemaps import BASEMAPS, basemap_datum
from atlas.webmap.build import add_title, build_map, highlight_marks, map_layers
from atlas.webmap.config import (
    DENSE_LAYER,
    DISPLAY_DECIMALS,
    DISPLAY_TOLERANCE_DEG,
    LABEL_MIN_ZOOM,
    LABEL_MIN_ZOOM_DENSE,
    NINGBO_VIEW,
    POPUP_CHARS,
    TIP_CHARS,
    TITLE_CHARS,
)
from atlas.webmap.config import STATIC as _STATIC
from atlas.webmap.controls import ui_code, ui_script
from atlas.webmap.elements import AtlasGroup, AtlasLayerControl, PlainMacro, Script, Text
from atlas.webmap.elements import js_json as _js_json
from atlas.webmap.geometry import display_geometry
from atlas.webmap.hooks import BUILD_HOOKS
from atlas.webmap.hooks import built as _built
from atlas.webmap.legend import LegendEntry, legend_html
from atlas.webmap.overlays import (
    Overlay,
    areas_group,
    areas_overlay,
    band_overlays,
    points_group,
    points_overlay,
)
from atlas.webmap.popups import clip_text, label_texts, popup_html, tooltip_texts
from atlas.webmap.popups import format_value as _fmt
from atlas.webmap.shading import (
    ACCESS_COLOURS,
    ACCESS_NONE,
    access_group,
    access_overlay,
    cells_group,
    cells_overlay,
)
from atlas.webmap.specs import filter_frame, group_name, layer_group, layer_legend, layer_spec

__all__ = [
    "ACCESS_COLOURS",
    "ACCESS_NONE",
    "BASEMAPS",
    "BUILD_HOOKS",
    "DENSE_LAYER",
    "DISPLAY_DECIMALS",
    "DISPLAY_TOLERANCE_DEG",
    "LABEL_MIN_ZOOM",
    "LABEL_MIN_ZOOM_DENSE",
    "NINGBO_VIEW",
    "POPUP_CHARS",
    "TIP_CHARS",
    "TITLE_CHARS",
    "_STATIC",
    "AtlasGroup",
    "AtlasLayerControl",
    "LegendEntry",
    "Overlay",
    "PlainMacro",
    "Script",
    "Text",
    "_built",
    "_draw_assets",
    "_file_version",
    "_fmt",
    "_js_json",
    "access_group",
    "access_overlay",
    "add_draw_control",
    "add_title",
    "areas_group",
    "areas_overlay",
    "band_overlays",
    "base_map",
    "basemap_datum",
    "build_map",
    "cells_group",
    "cells_overlay",
    "clip_text",
    "display_geometry",
    "filter_frame",
    "group_name",
    "highlight_marks",
    "label_texts",
    "layer_group",
    "layer_legend",
    "layer_spec",
    "legend_html",
    "map_assets",
    "map_layers",
    "points_group",
    "points_overlay",
    "popup_html",
    "tooltip_texts",
    "ui_code",
    "ui_script",
]
