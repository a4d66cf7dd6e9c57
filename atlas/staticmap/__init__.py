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

One module per concern: :mod:`~atlas.staticmap.style` (presets, sizes, the CJK font),
:mod:`~atlas.staticmap.scene` (what the map shows, in metres), :mod:`~atlas.staticmap.layout`
(the page), :mod:`~atlas.staticmap.symbols` (the layers), :mod:`~atlas.staticmap.labelling`,
:mod:`~atlas.staticmap.inset`, :mod:`~atlas.staticmap.legend`, :mod:`~atlas.staticmap.furniture`
(scale bars, north arrow), :mod:`~atlas.staticmap.titles` (title, subtitle, footer) and
:mod:`~atlas.staticmap.render` (:func:`render_static_map`, the steps in order). Everything public
is re-exported here.
"""

from atlas.staticmap.inset import dense_core
from atlas.staticmap.labelling import label_map
from atlas.staticmap.layout import Frame
from atlas.staticmap.legend import wrap_label
from atlas.staticmap.render import render_static_map
from atlas.staticmap.scene import Scene, build_scene, district_mask
from atlas.staticmap.style import (
    CJK_FAMILIES,
    CJK_FONT_FILES,
    FOOTER_IN,
    HEADER_IN,
    INSET_MARKER,
    MAIN_MARKER,
    MARGIN_IN,
    MAX_LABELS_PER_LAYER,
    PANEL_IN,
    PRESETS,
    ExportError,
    cjk_font,
)
from atlas.staticmap.symbols import draw_map
from atlas.staticmap.titles import briefing_subtitle, map_subtitle, map_title

__all__ = [
    "CJK_FAMILIES",
    "CJK_FONT_FILES",
    "FOOTER_IN",
    "HEADER_IN",
    "INSET_MARKER",
    "MAIN_MARKER",
    "MARGIN_IN",
    "MAX_LABELS_PER_LAYER",
    "PANEL_IN",
    "PRESETS",
    "ExportError",
    "Frame",
    "Scene",
    "briefing_subtitle",
    "build_scene",
    "cjk_font",
    "dense_core",
    "district_mask",
    "draw_map",
    "label_map",
    "map_subtitle",
    "map_title",
    "render_static_map",
    "wrap_label",
]
