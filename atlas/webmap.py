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
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import branca
import folium
import geopandas as gpd
import jinja2
import numpy as np
import shapely

from atlas import fmt, palette, settings
from atlas.datum import gdf_from_wgs84
from atlas.errors import ValidationError
from atlas.geodata import CATEGORIES, POSITION_STATUS, parse_tasks
from atlas.i18n import field_label, t

if TYPE_CHECKING:
    from atlas.catalogue import Layer

BASEMAPS: tuple[str, ...] = ("osm", "tianditu", "amap", "none")
_TIANDITU_KEY = re.compile(r"^[0-9A-Za-z]{16,64}$")
_NINGBO_CENTER = (29.87, 121.55)
#: Whole-city view ((south, west), (north, east)).
NINGBO_VIEW: tuple[tuple[float, float], tuple[float, float]] = ((29.2, 121.0), (30.35, 122.0))

#: Display simplification of polygons (degrees, ~50 m); analysis and exports keep full detail.
DISPLAY_TOLERANCE_DEG: float = 0.0005
#: Coordinates sent to the browser are rounded to this many decimals (1e-5 degree ~ 1 m).
DISPLAY_DECIMALS: int = 5
#: Site labels appear from this zoom level (where they start to fit), or from
#: ``LABEL_MIN_ZOOM_DENSE`` for layers of more than ``DENSE_LAYER`` points; the browser then
#: drops any label that would collide with one already placed.
LABEL_MIN_ZOOM: int = 11
LABEL_MIN_ZOOM_DENSE: int = 14
DENSE_LAYER: int = 200
#: Longest tooltip or map label, and longest popup value, shown (characters; longer text ends in
#: "…"). Only the display is shortened, never the data: a planner's name may be as long as a
#: cell may hold (settings.MAX_CELL_CHARS), and 1,000 such names would otherwise put ~100 MB of
#: text into every map sent to a browser (and into every cached layer spec).
TIP_CHARS: int = 80
POPUP_CHARS: int = 500

#: Observers called as ``hook(kind, name)`` each time a layer spec or a base map is *built* (not
#: served from a cache). Tests and benchmarks count rebuilds through it.
BUILD_HOOKS: list[Callable[[str, str], None]] = []

_STATIC = Path(__file__).resolve().parent / "static"
_JS_FILES = (("leaflet", "leaflet/leaflet.js"), ("atlas", "atlas/atlas.js"))
_CSS_FILES = (("leaflet_css", "leaflet/leaflet.css"),)


def _built(kind: str, name: str) -> None:
    for hook in list(BUILD_HOOKS):
        hook(kind, name)


# ------------------------------------------------------------------------------------------
# assets
# ------------------------------------------------------------------------------------------

def _data_url(path: Path, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


@lru_cache(maxsize=16)
def _file_version(rel: str) -> str:
    return hashlib.sha1((_STATIC / rel).read_bytes()).hexdigest()[:12]


@lru_cache(maxsize=4)
def map_assets(base_url: str | None = None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Return the map's JS and CSS links: vendored Leaflet 1.9.4 (BSD-2) and the atlas runtime.

    Parameters
    ----------
    base_url : str, optional
        Where ``atlas/static`` is served (the app serves it, and browsers cache it). ``None``
        inlines the files as data: URLs, so that an exported HTML file opens without a network.

    Returns
    -------
    tuple
        (js, css) lists of (name, url), as folium's ``default_js`` / ``default_css``.

    """
    def link(rel: str, mime: str) -> str:
        if base_url is None:
            return _data_url(_STATIC / rel, mime)
        return f"{base_url}{rel}?v={_file_version(rel)}"

    return ([(n, link(rel, "text/javascript")) for n, rel in _JS_FILES],
            [(n, link(rel, "text/css")) for n, rel in _CSS_FILES])


@lru_cache(maxsize=1)
def _draw_assets() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Leaflet.draw 1.0.4 (MIT, vendored) as data: URLs, its sprite images inlined in the CSS."""
    base = _STATIC / "leaflet-draw"
    css = (base / "leaflet.draw.css").read_text(encoding="utf-8")
    for name, mime in (("spritesheet.svg", "image/svg+xml"), ("spritesheet-2x.png", "image/png"),
                       ("spritesheet.png", "image/png")):
        css = css.replace(f"url('images/{name}')", f"url('{_data_url(base / 'images' / name, mime)}')")
    css_url = "data:text/css;base64," + base64.b64encode(css.encode("utf-8")).decode()
    return ([("leaflet_draw_js", _data_url(base / "leaflet.draw.js", "text/javascript"))],
            [("leaflet_draw_css", css_url)])


def add_draw_control(m: folium.Map, *, asset_url: str | None = None) -> folium.Map:
    """Let the user draw one rectangle or polygon (the area to analyse); works offline.

    ``asset_url``: where ``atlas/static`` is served (default: inlined, see :func:`map_assets`).
    """
    from folium.plugins import Draw

    draw = Draw(export=False, position="topleft",
                draw_options={"polyline": False, "circle": False, "marker": False,
                              "circlemarker": False, "rectangle": True, "polygon": True},
                edit_options={"edit": False, "remove": True})
    if asset_url is None:
        draw.default_js, draw.default_css = _draw_assets()
    else:
        rel_js, rel_css = "leaflet-draw/leaflet.draw.js", "leaflet-draw/leaflet.draw.css"
        draw.default_js = [("leaflet_draw_js", f"{asset_url}{rel_js}?v={_file_version(rel_js)}")]
        draw.default_css = [("leaflet_draw_css", f"{asset_url}{rel_css}?v={_file_version(rel_css)}")]
    draw.add_to(m)
    return m


# ------------------------------------------------------------------------------------------
# base map: tiles, legend box, runtime
# ------------------------------------------------------------------------------------------

def basemap_datum(basemap: str) -> str:
    """Return the datum overlays must be drawn in for ``basemap`` (AMap tiles are GCJ-02)."""
    return "gcj02" if basemap == "amap" else "wgs84"


def _add_tiles(m: folium.Map, basemap: str, *, tianditu_key: str | None) -> str:
    """Add the basemap's tile layers; return the basemap actually used."""
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=False).add_to(m)
        return "osm"
    if basemap == "tianditu":
        key = (tianditu_key or "").strip()
        if not key:
            return "none"
        if not _TIANDITU_KEY.match(key):
            raise ValidationError("天地图密钥格式不对（应为字母和数字）",
                                  "The Tianditu key is malformed (letters and digits only)")
        for lyr in ("vec", "cva"):
            folium.TileLayer(
                tiles=(f"https://t{{s}}.tianditu.gov.cn/{lyr}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                       f"&VERSION=1.0.0&LAYER={lyr}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                       f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"),
                attr="天地图 Tianditu", name=f"Tianditu {lyr}", subdomains="01234567",
                control=False, overlay=lyr == "cva",
            ).add_to(m)
        return "tianditu"
    if basemap == "amap":
        folium.TileLayer(
            tiles=("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                   "&style=8&x={x}&y={y}&z={z}"),
            attr="© 高德 AMap (GCJ-02)", name="AMap", subdomains="1234", control=False,
        ).add_to(m)
        return "amap"
    if basemap == "none":
        return "none"
    raise ValidationError(f"未知底图 {basemap!r}", f"Unknown basemap {basemap!r}")


class Text(branca.element.Element):
    """Text placed as it is: never compiled or rendered as a Jinja template.

    branca turns every rendered element into a new Jinja template and renders it again: text
    holding ``{{ … }}`` (a planner's site name, say) would be evaluated on the server, and
    compiling a large layer costs more than drawing it. This element only substitutes its text.
    """

    _template = jinja2.Template("{{ this.text }}")

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "AtlasText"
        self.text = text


class Script(branca.element.MacroElement):
    """A piece of JavaScript placed after its parent's creation: ``prefix`` + parent + ``suffix``.

    The parent's JavaScript name is only known when the map is rendered (streamlit-folium renames
    it), so the code is split around it. Rendered as :class:`Text` (see there why).
    """

    _template = jinja2.Template(
        "{% macro script(this, kwargs) %}{{ this.prefix }}{{ this._parent.get_name() }}"
        "{{ this.suffix }}{% endmacro %}")

    def __init__(self, prefix: str, suffix: str) -> None:
        super().__init__()
        self._name = "AtlasScript"
        self.prefix, self.suffix = prefix, suffix

    def render(self, **kwargs: Any) -> str:
        """Add this script to the figure as plain text (no Jinja pass over its content)."""
        parent = self._parent.get_name() if self._parent is not None else ""
        self.get_root().script.add_child(  # type: ignore[attr-defined]
            Text(f"{self.prefix}{parent}{self.suffix}"), name=self.get_name())
        return ""


@dataclass(frozen=True)
class LegendEntry:
    """One legend line: ``kind`` is point, ring, polygon, area, proxy_area or ramp."""

    label: str
    color: str = "#333333"
    kind: str = "point"
    ramp: tuple[tuple[str, str], ...] = ()
    note: str = ""


class AtlasGroup(folium.FeatureGroup):
    """A feature group that knows its legend entries."""

    def __init__(self, name: str, legend: Sequence[LegendEntry] = (), *, control: bool = True) -> None:
        super().__init__(name=name, show=True, control=control)
        self.legend = list(legend)


def base_map(*, lang: str = "zh", basemap: str = "osm", tianditu_key: str | None = None,
             asset_url: str | None = None,
             view: tuple[tuple[float, float], tuple[float, float]] = NINGBO_VIEW,
             attributions: Iterable[str] = ()) -> tuple[folium.Map, str]:
    """Return an empty map (tiles, legend box, attribution, runtime) and the basemap used.

    The base does not depend on the layers shown, so an app can keep it in the browser and send
    only the layers (see :func:`layer_group`).

    Raises
    ------
    atlas.errors.ValidationError
        On an unknown basemap or a malformed Tianditu key.

    """
    m = folium.Map(location=_NINGBO_CENTER, zoom_start=9, tiles=None, control_scale=False,
                   prefer_canvas=True)  # atlas.init adds a metric-only scale
    m.default_js, m.default_css = map_assets(asset_url)
    used = _add_tiles(m, basemap, tianditu_key=tianditu_key)
    opts = {"offline_notice": html.escape(t("basemap_offline", lang))}
    Script("atlas.init(", f", {_js_json(opts)});").add_to(m)
    root_html = m.get_root().html  # type: ignore[attr-defined]
    root_html.add_child(Text(
        "<div id='atlas-legend' style='position:fixed;bottom:44px;left:8px;z-index:9999;"
        "background:rgba(255,255,255,0.92);padding:6px 9px;border:1px solid #999;"
        "border-radius:4px;font-size:12px;max-width:270px;max-height:60%;overflow:auto;"
        "display:none'></div><div id='atlas-offline'></div>"))
    attr = sorted(set(attributions) | {settings.ATTRIBUTION_OSM})
    root_html.add_child(Text(
        "<div id='atlas-attribution' style='position:fixed;bottom:2px;right:160px;z-index:9999;"
        "font-size:10px;background:rgba(255,255,255,0.8);padding:1px 4px'>"
        + html.escape(t("attribution", lang) + ": " + " · ".join(attr)) + "</div>"))
    root_html.add_child(Text(f"<script>window.ATLAS_BASEMAP = {json.dumps(used)};</script>"))
    m.fit_bounds([list(view[0]), list(view[1])])
    _built("base", basemap)
    return m, used


# ------------------------------------------------------------------------------------------
# layer specs
# ------------------------------------------------------------------------------------------

def clip_text(text: str, limit: int) -> str:
    """``text`` shortened to at most ``limit`` characters for display (ending in "…" if cut)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _fmt(value: Any, col: str, lang: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if col == "category":
        return CATEGORIES.get(str(value), (str(value), str(value)))[lang == "en"]
    if col == "position_status":
        return POSITION_STATUS.get(str(value), (str(value), str(value)))[lang == "en"]
    if col == "membership_verified":
        return t("yes" if bool(value) else "no", lang)
    if col == "est_error_m":
        return f"±{float(value):,.0f} m"
    if col in _WORDED:  # the words the cards and tables use (atlas.fmt), not the stored codes
        return clip_text(_WORDED[col](value, lang), POPUP_CHARS)
    if isinstance(value, float):
        return f"{value:,.2f}"
    return clip_text(str(value), POPUP_CHARS)


def _sources(value: Any, lang: str) -> str:
    sep = "; " if lang == "en" else "；"
    return sep.join(c.text for c in fmt.citations(value, lang))


#: Columns shown in words: levels, position methods, curation notes, sources as citations.
_WORDED: dict[str, Callable[[Any, str], str]] = {
    "level": lambda v, lang: fmt.level_label(v, lang) if str(v).strip() else "",
    "position_method": fmt.position_method,
    "note": fmt.readable_note,
    "source": _sources,
}


def _task_item(n: int, task: Mapping[str, Any], lang: str) -> str:
    return (f"{n}. {html.escape(str(task['title_zh']))} — {html.escape(t('lead_unit', lang))}: "
            f"{html.escape(str(task['lead_unit']))}")


def popup_html(row: Mapping[str, Any], fields: Iterable[str], *, lang: str = "zh",
               tasks: Mapping[int, Mapping[str, Any]] | None = None) -> str:
    """Return the escaped HTML of one feature's popup (the markup ``atlas.js`` builds too).

    Parameters
    ----------
    row : mapping
        The feature's attributes.
    fields : iterable of str
        Columns to show, in order.
    lang : {"zh", "en"}
        Label language.
    tasks : mapping, optional
        Plan tasks by number; when given, each task the feature names is listed with its lead
        unit.

    Returns
    -------
    str
        HTML in which every value is escaped.

    """
    rows = "".join(f"<tr><th>{html.escape(field_label(c, lang))}</th><td>{html.escape(v)}</td></tr>"
                   for c in fields if (v := _fmt(row.get(c), c, lang)))
    extra = ""
    if tasks is not None and "policy_tasks" in row:
        items = "".join(f"<li>{_task_item(n, tasks[n], lang)}</li>"
                        for n in parse_tasks(row.get("policy_tasks")) if n in tasks)
        extra = (f"<div><b>{html.escape(t('tasks', lang))}</b><ul>{items}</ul></div>" if items
                 else f"<div><i>{html.escape(t('not_named', lang))}</i></div>")
    return f"<div class='atlas-popup'><table>{rows}</table>{extra}</div>"


def _js_json(obj: Any) -> str:
    """JSON for inlining in a script.

    No ``<`` (so no ``</script>``), and no ``_`` or ``'`` that streamlit-folium's renaming of
    folium variables would rewrite: all three occur only inside JSON strings, where the escapes
    mean the same characters.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("_", "\\u005f").replace("'", "\\u0027")


def _values(gdf: gpd.GeoDataFrame, fields: Sequence[str], lang: str) -> list[list[str]]:
    cols = [[html.escape(_fmt(v, c, lang)) for v in gdf[c].tolist()] for c in fields]
    return [list(r) for r in zip(*cols, strict=True)] if cols else [[] for _ in range(len(gdf))]


def _round(x: Any) -> Any:
    return np.round(np.asarray(x, dtype=float), DISPLAY_DECIMALS).tolist()


def display_geometry(geoms: Any) -> list[dict[str, Any]]:
    """Simplified, rounded GeoJSON geometries for display (never for analysis or exports)."""
    arr = shapely.simplify(np.asarray(geoms, dtype=object), DISPLAY_TOLERANCE_DEG, preserve_topology=True)
    arr = shapely.set_precision(arr, 10.0 ** -DISPLAY_DECIMALS)
    return [json.loads(g) for g in shapely.to_geojson(arr)]


def filter_frame(layer: Layer, gdf: gpd.GeoDataFrame, *, districts: Iterable[str] | None = None,
                 task: int | None = None) -> gpd.GeoDataFrame:
    """A layer's features as shown: placed points only; district and plan-task filters."""
    district_set = set(districts) if districts else None
    if layer.geometry == "point":
        gdf = gdf[~gdf.geometry.isna() & ~gdf.geometry.is_empty]
        if district_set is not None and "district" in gdf.columns:
            gdf = gdf[gdf.district.isin(district_set)]
        if task is not None and "policy_tasks" in gdf.columns:
            gdf = gdf[gdf.policy_tasks.map(lambda v: task in parse_tasks(v))]
    else:  # areas and lines (a planner's layer may hold rows without a shape)
        gdf = gdf[~gdf.geometry.isna() & ~gdf.geometry.is_empty]
        key = "district" if "district" in gdf.columns else "name_zh"
        if district_set is not None and key in gdf.columns:
            gdf = gdf[gdf[key].isin(district_set)]
    return gdf


def layer_spec(layer: Layer, gdf: gpd.GeoDataFrame, *, lang: str = "zh", datum: str = "wgs84",
               tasks: Mapping[int, Mapping[str, Any]] | None = None) -> str:
    """Return the JSON spec ``atlas.js`` draws for one (already filtered) layer.

    Parameters
    ----------
    layer : Layer
        Its catalogue entry (style, popup fields, tooltip column).
    gdf : geopandas.GeoDataFrame
        The features to draw, WGS84 (see :func:`filter_frame`).
    lang : {"zh", "en"}
        Language of popups and tooltips.
    datum : {"wgs84", "gcj02"}
        Datum of the basemap (overlays are shifted to GCJ-02 over AMap tiles).
    tasks : mapping, optional
        Plan tasks by number, listed with their lead units in popups.

    Returns
    -------
    str
        JSON, safe to inline in a script. Its ``key`` is a hash of its content.

    """
    _built("layer", layer.id)
    if datum != "wgs84" and not gdf.empty:
        gdf = gdf_from_wgs84(gdf, datum=datum)
    tips = [html.escape(x) for x in tooltip_texts(layer, gdf, lang=lang)]
    values = _values(gdf, layer.popup_fields, lang)
    task_lists: list[Any] = (gdf.policy_tasks.map(parse_tasks).tolist() if "policy_tasks" in gdf.columns
                             else [None] * len(gdf))
    spec: dict[str, Any] = {
        "id": layer.id, "kind": layer.geometry, "style": _layer_style(layer), "ring": _ring_style(),
        "fields": [html.escape(field_label(c, lang)) for c in layer.popup_fields],
    }
    if tasks is not None and "policy_tasks" in gdf.columns:
        used = sorted({n for ts in task_lists for n in ts if n in tasks})
        spec.update(task_titles={str(n): _task_item(n, tasks[n], lang) for n in used},
                    tasks_label=html.escape(t("tasks", lang)), not_named=html.escape(t("not_named", lang)))
    labels = [html.escape(x) for x in label_texts(layer, gdf, lang=lang)]
    if layer.geometry == "point":
        err = (np.nan_to_num(gdf["est_error_m"].to_numpy(dtype=float)) if "est_error_m" in gdf
               else np.zeros(len(gdf)))
        x, y = _round(gdf.geometry.x.to_numpy()), _round(gdf.geometry.y.to_numpy())
        spec["rows"] = [[x[i], y[i], tips[i], round(float(err[i])), int(a), values[i], task_lists[i],
                         labels[i]] for i, a in enumerate(_approximate(gdf))]
        dense = len(gdf) > DENSE_LAYER
        spec["label"] = {"min_zoom": LABEL_MIN_ZOOM_DENSE if dense else LABEL_MIN_ZOOM, "cls": "site",
                         "rank": 100 + layer.order}
    else:
        at = shapely.get_coordinates(shapely.point_on_surface(gdf.geometry.to_numpy()))
        spec["rows"] = [[g, tip, v, ts, lab, _round(p)] for g, tip, v, ts, lab, p in
                        zip(display_geometry(gdf.geometry.to_numpy()), tips, values, task_lists, labels, at,
                            strict=True)]
        if layer.id == "districts":
            spec["label"] = {"min_zoom": 0, "cls": "district", "rank": 0}
    return _keyed(spec)


def _layer_style(layer: Layer) -> dict[str, Any]:
    sty, point = layer.style, layer.geometry == "point"
    return {"color": str(sty.get("color", "#333333")), "radius": float(sty.get("radius", 7)),
            "weight": float(sty.get("weight", 2 if point else 1.5)),
            "fill_color": str(sty.get("fill_color", sty.get("color", "#333333"))),
            "fill_opacity": float(sty.get("fill_opacity", 0.9 if point else 0.1))}


def _ring_style() -> dict[str, Any]:
    r = palette.ERROR_RING
    return {"color": str(r["color"]), "weight": float(r["weight"]),
            "dash": str(r["dash_array"]), "opacity": float(r.get("opacity", 1.0))}


def _approximate(gdf: gpd.GeoDataFrame) -> np.ndarray:
    if "position_status" not in gdf:
        return np.zeros(len(gdf), dtype=bool)
    return (gdf["position_status"].astype(str) != "sourced").to_numpy()


def tooltip_texts(layer: Layer, gdf: gpd.GeoDataFrame, *, lang: str = "zh") -> list[str]:
    """Each feature's tooltip as plain text (the map shows it escaped; a click returns it).

    Approximate points say so, with their error radius.
    """
    names = ([clip_text(str(v), TIP_CHARS) for v in gdf[layer.tooltip].tolist()] if layer.tooltip in gdf
             else [""] * len(gdf))
    if layer.geometry != "point":
        return names
    err = np.nan_to_num(gdf["est_error_m"].to_numpy(dtype=float)) if "est_error_m" in gdf else None
    out = []
    for i, approx in enumerate(_approximate(gdf)):
        e = float(err[i]) if err is not None else 0.0
        if not approx:
            out.append(names[i])
        elif lang == "zh":
            out.append(f"{names[i]}（{t('accuracy', lang)}: ±{e:,.0f} m）")
        else:
            out.append(f"{names[i]} (approximate, ±{e:,.0f} m)")
    return out


def label_texts(layer: Layer, gdf: gpd.GeoDataFrame, *, lang: str = "zh") -> list[str]:
    """Each feature's map label as plain text: its English name in English where it has one."""
    base = ([clip_text(str(v), TIP_CHARS) for v in gdf[layer.tooltip].tolist()] if layer.tooltip in gdf
            else [""] * len(gdf))
    if lang != "en" or "name_en" not in gdf:
        return base
    return [clip_text(en, TIP_CHARS) if isinstance(en, str) and en.strip() else b
            for en, b in zip(gdf["name_en"].tolist(), base, strict=True)]


def _keyed(spec: dict[str, Any]) -> str:
    body = _js_json(spec)
    key = hashlib.sha1(body.encode("utf-8")).hexdigest()[:16]
    return body[:-1] + f',"key":"{key}"}}'


def layer_group(spec_json: str, *, name: str, legend: Sequence[LegendEntry] = ()) -> AtlasGroup:
    """A feature group that draws one spec (from :func:`layer_spec` or the overlay builders)."""
    group = AtlasGroup(html.escape(name), legend)
    Script("atlas.addLayer(", f", {spec_json});").add_to(group)
    return group


def layer_legend(layer: Layer, gdf: gpd.GeoDataFrame, *, lang: str) -> list[LegendEntry]:
    """Legend entries of one catalogue layer as shown (plus the error ring if any point is approximate)."""
    color = str(layer.style.get("color", "#333333"))
    out = [LegendEntry(layer.legend_en if lang == "en" else layer.legend_zh, color, layer.geometry)]
    if layer.geometry == "point" and "position_status" in gdf and (gdf.position_status != "sourced").any():
        out.append(LegendEntry(t("approx_legend", lang), str(palette.ERROR_RING["color"]), "ring"))
    return out


def ui_code(*, legend: Sequence[LegendEntry] = (), lang: str = "zh", notes: Sequence[str] = (),
            fit: tuple[float, float, float, float] | None = None,
            highlight: Sequence[tuple[float, float, float]] = (),
            attributions: Sequence[str] | None = None) -> tuple[str, str]:
    """The dynamic, non-layer part of an app map: legend, a one-time fit, highlight rings.

    Parameters
    ----------
    legend : sequence of LegendEntry
        What is shown (approximate-ring entries are merged into one).
    lang : {"zh", "en"}
        Language of the legend.
    notes : sequence of str
        Extra legend lines (plain text, escaped here).
    fit : tuple, optional
        (minlon, minlat, maxlon, maxlat) to zoom to once (again only when it changes).
    highlight : sequence of tuple
        (lat, lon, radius px) of features to ring.
    attributions : sequence of str, optional
        Sources of the layers shown (OpenStreetMap's is always added); default: leave the base's.

    Returns
    -------
    tuple of str
        JavaScript before and after the name of the feature group that holds the rings.

    """
    code = f"atlas.legend({_js_json(legend_html(legend, lang=lang, notes=notes))});"
    if attributions is not None:
        text = t("attribution", lang) + ": " + " · ".join(sorted({*attributions, settings.ATTRIBUTION_OSM}))
        code += f"atlas.attribution({_js_json(text)});"
    if fit is not None:
        b = [[fit[1], fit[0]], [fit[3], fit[2]]]
        code += f"atlas.fit({_js_json(hashlib.sha1(repr(fit).encode()).hexdigest()[:12])}, {_js_json(b)});"
    marks = _js_json([list(h) for h in highlight])
    return code + "atlas.highlight(", f", {marks}, {_js_json(palette.RECOMMENDED_COLOUR)});"


def ui_script(**kwargs: Any) -> AtlasGroup:
    """:func:`ui_code` as a feature group (same arguments)."""
    group = AtlasGroup("atlas-ui", control=False)
    Script(*ui_code(**kwargs)).add_to(group)
    return group


def _swatch(e: LegendEntry) -> str:
    c = html.escape(e.color)
    base = "display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:-1px;"
    styles = {
        "point": f"border-radius:50%;background:{c};opacity:.9",
        "ring": f"border-radius:50%;border:1.5px dotted {c};width:10px;height:10px",
        "polygon": f"border:1.5px solid {c};background:rgba(0,0,0,.04);width:10px;height:10px",
        "area": f"border:1.5px solid {c};background:{c}55;width:10px;height:10px",
        "proxy_area": f"border:1.5px dotted {c};background:{c}22;width:10px;height:10px",
    }
    return f"<span style='{base}{styles.get(e.kind, styles['point'])}'></span>"


def legend_html(entries: Sequence[LegendEntry], *, lang: str = "zh", notes: Sequence[str] = ()) -> str:
    """The legend's inner HTML; every label is escaped."""
    seen: set[tuple[str, str, str]] = set()
    lines, ring = [], False
    for e in entries:
        if e.kind == "ring":
            ring = True
            continue
        if (e.label, e.color, e.kind) in seen:
            continue
        seen.add((e.label, e.color, e.kind))
        if e.kind == "ramp":
            steps = "".join(f"<div><span style='display:inline-block;width:18px;height:10px;"
                            f"background:{html.escape(c)};margin-right:6px;opacity:.8'></span>"
                            f"{html.escape(lab)}</div>" for c, lab in e.ramp)
            lines.append(f"<div style='margin-top:4px'><b>{html.escape(e.label)}</b>{steps}"
                         + (f"<div style='color:#555'>{html.escape(e.note)}</div>" if e.note else "")
                         + "</div>")
        else:
            lines.append(f"<div>{_swatch(e)}{html.escape(e.label)}</div>")
    if ring:
        swatch = _swatch(LegendEntry("", str(palette.ERROR_RING["color"]), "ring"))
        lines.append(f"<div>{swatch}{html.escape(t('approx_legend', lang))}</div>")
    lines += [f"<div style='color:#555;margin-top:4px'>{html.escape(n)}</div>" for n in notes]
    return f"<b>{html.escape(t('layers', lang))}</b>" + "".join(lines) if lines else ""


# ------------------------------------------------------------------------------------------
# overlays: service areas, gap cells, marked points
# ------------------------------------------------------------------------------------------

def _shift(gdf: gpd.GeoDataFrame, basemap: str) -> gpd.GeoDataFrame:
    datum = basemap_datum(basemap)
    return gdf_from_wgs84(gdf, datum=datum) if datum != "wgs84" and not gdf.empty else gdf


@dataclass(frozen=True)
class Overlay:
    """An analysis overlay ready to draw.

    Its spec (``None`` when there is nothing to draw), name and legend entries. Immutable, so
    apps cache and share it; :meth:`group` makes the (mutable) folium group for one map.
    """

    spec: str | None
    name: str
    legend: tuple[LegendEntry, ...] = ()
    attribution: str = ""

    def group(self) -> AtlasGroup:
        """A feature group drawing this overlay."""
        if self.spec is None:
            return AtlasGroup(html.escape(self.name))
        return layer_group(self.spec, name=self.name, legend=self.legend)


def areas_overlay(areas: gpd.GeoDataFrame, *, lang: str = "zh", color: str | None = None,
                  name: str | None = None, basemap: str = "osm") -> Overlay:
    """Service areas: filled and translucent (never dashed like error rings).

    Styles come from :data:`atlas.palette.SERVICE_AREA`; straight-line proxies are lighter and
    labelled as such in their tooltips and legend entry.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Output of :func:`atlas.service_area.service_areas` or :func:`~atlas.service_area.proxy_areas`.
    lang : {"zh", "en"}
        Label language.
    color : str, optional
        Outline and fill colour (default: the palette's).
    name : str, optional
        Layer name (default: the method's label).
    basemap : str
        The basemap in use (overlays are shifted to GCJ-02 over AMap).

    Returns
    -------
    Overlay

    """
    from atlas.service_area import METHOD_PROXY

    shown = _shift(areas[~areas.geometry.is_empty], basemap)
    proxy = bool((shown.method == METHOD_PROXY).any()) if not shown.empty else False
    label = t("sa_method_proxy" if proxy else "sa_method_network", lang)
    _built("overlay", "areas")
    sty = palette.SERVICE_AREA["euclidean-proxy" if proxy else "network"]
    line = color or str(sty["color"])
    tips = [html.escape(f"{sid} · {label} · {m:,.0f} m · {a:.2f} km²")
            for sid, m, a in zip(shown.site_id, shown.metres, shown.area_km2, strict=True)]
    spec = {"id": "areas", "kind": "polygon", "fields": [],
            "style": {"color": line, "weight": float(sty["weight"]),
                      "fill_color": color or str(sty["fill_color"]),
                      "fill_opacity": float(sty["fill_opacity"]), "dash": sty["dash_array"]},
            "rows": [[g, tip, None, None, None, None] for g, tip in
                     zip(display_geometry(shown.geometry.to_numpy()), tips, strict=True)]}
    entry = LegendEntry(name or label, line, "proxy_area" if proxy else "area")
    return Overlay(_keyed(spec), name or label, (entry,))


def areas_group(areas: gpd.GeoDataFrame, **kwargs: Any) -> AtlasGroup:
    """:func:`areas_overlay` as a folium group (same arguments)."""
    return areas_overlay(areas, **kwargs).group()


def cells_overlay(cells: gpd.GeoDataFrame, *, lang: str = "zh", value: str = "uncovered",
                  basemap: str = "osm", name: str | None = None,
                  clip: shapely.Geometry | None = None) -> Overlay:
    """H3 cells shaded by uncovered people per km² (the gap map), on the palette's fixed classes.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        From :meth:`atlas.coverage.Coverage.cells` (``h3``, ``district`` and ``value`` columns).
    lang : {"zh", "en"}
        Language of tooltips and legend.
    value : str
        Column of uncovered people.
    basemap : str
        The basemap in use (overlays are shifted to GCJ-02 over AMap).
    name : str, optional
        Layer name.
    clip : shapely geometry, optional
        Cut the shading at this boundary (the districts analysed), WGS84.

    Returns
    -------
    Overlay
        One layer for all cells, with a graduated legend entry (people per km²).

    """
    shown = cells[cells[value] > 0]
    title = name or t("cov_gap_layer", lang)
    if shown.empty:
        return Overlay(None, title)
    _built("overlay", "cells")
    fill = palette.gap_colour(palette.uncovered_density(shown.rename(columns={value: "uncovered"})))
    geoms = shown.geometry.to_numpy()
    if clip is not None:
        shapely.prepare(clip)
        geoms = np.where(shapely.contains_properly(clip, geoms), geoms, shapely.intersection(geoms, clip))
    keep = ~shapely.is_empty(geoms)
    shown = _shift(gpd.GeoDataFrame(shown.drop(columns="geometry"), geometry=geoms, crs=cells.crs)[keep],
                   basemap)
    tips = [html.escape(f"{d} · {t('cov_uncovered', lang)}: {v:,.0f}")
            for d, v in zip(shown.district, shown[value], strict=True)]
    spec = {"id": "cells", "kind": "polygon", "fields": [],
            "style": {"color": palette.GAP_COLOURS[-1], "weight": 0.3, "fill_opacity": palette.GAP_OPACITY},
            "rows": [[g, tip, None, None, None, None, c] for g, tip, c in
                     zip(display_geometry(shown.geometry.to_numpy()), tips,
                         np.asarray(fill, dtype=object)[keep], strict=True)]}
    ramp = tuple((c, lab) for lab, c in palette.gap_legend(lang))
    entry = LegendEntry(palette.gap_units(lang), kind="ramp", ramp=ramp,
                        note=t("gap_clipped", lang) if clip is not None else "")
    return Overlay(_keyed(spec), title, (entry,))


def cells_group(cells: gpd.GeoDataFrame, **kwargs: Any) -> AtlasGroup:
    """:func:`cells_overlay` as a folium group (same arguments)."""
    return cells_overlay(cells, **kwargs).group()


def points_overlay(points: gpd.GeoDataFrame, *, lang: str = "zh", label_column: str = "name",
                   color: str = "#111111", name: str = "", basemap: str = "osm") -> Overlay:
    """Simple labelled markers (candidate or recommended sites); labels are escaped."""
    shown = _shift(points[~points.geometry.isna()], basemap)
    _built("overlay", "points")
    tips = ([html.escape(clip_text(str(v), TIP_CHARS)) for v in shown[label_column].tolist()]
            if len(shown) else [])
    x, y = _round(shown.geometry.x.to_numpy()), _round(shown.geometry.y.to_numpy())
    if shown.empty:  # nothing to draw, nothing to list in the legend
        return Overlay(None, name)
    spec = {"id": "points", "kind": "point", "fields": [],
            "style": {"color": color, "radius": 8.0, "weight": 3.0, "fill_color": "#ffffff",
                      "fill_opacity": 0.9},
            "rows": [[a, b, tip, 0, 0, None, None, tip] for a, b, tip in zip(x, y, tips, strict=True)],
            "label": {"min_zoom": LABEL_MIN_ZOOM, "cls": "site", "rank": 50}}
    return Overlay(_keyed(spec), name, (LegendEntry(name, color, "point"),) if name else ())


def points_group(points: gpd.GeoDataFrame, **kwargs: Any) -> AtlasGroup:
    """:func:`points_overlay` as a folium group (same arguments)."""
    return points_overlay(points, **kwargs).group()


# ------------------------------------------------------------------------------------------
# the whole map in one call (exports, tests, simple pages)
# ------------------------------------------------------------------------------------------

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
    fit: tuple[float, float, float, float] | None = None,
    asset_url: str | None = None,
) -> folium.Map:
    """Build a folium map of the catalogue's layers, self-contained (for HTML exports).

    Parameters
    ----------
    layers : list of Layer
        The catalogue (draw order is respected).
    frames : mapping
        Each layer's features by layer id (from :func:`atlas.catalogue.layer_frame`), WGS84.
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

    Returns
    -------
    folium.Map

    """
    shown = set(visible) if visible is not None else {lyr.id for lyr in layers if lyr.visible}
    attributions = [lyr.attribution for lyr in layers if lyr.attribution and lyr.id in shown]
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
        folium.LayerControl(collapsed=False, position="bottomright").add_to(m)
    view = fit or hb or bounds
    if view is not None:
        pad = 0.01
        m.fit_bounds([[view[1] - pad, view[0] - pad], [view[3] + pad, view[2] + pad]], max_zoom=14)
    return m


def map_layers(layers: list[Layer], frames: Mapping[str, gpd.GeoDataFrame], *, shown: set[str],
               lang: str, datum: str, districts: Iterable[str] | None = None, task: int | None = None,
               tasks: Mapping[int, Mapping[str, Any]] | None = None,
               spec: Callable[..., str] | None = None
               ) -> tuple[list[AtlasGroup], list[LegendEntry], tuple[float, float, float, float] | None]:
    """Groups and legend entries of the catalogue layers shown, and the extent of a filter.

    ``spec`` builds a layer's spec (default :func:`layer_spec`); an app passes a cached one.
    """
    build = spec or (lambda lyr, gdf, **kw: layer_spec(lyr, gdf, **kw))
    dset = tuple(sorted(districts)) if districts else None
    groups: list[AtlasGroup] = []
    legend: list[LegendEntry] = []
    ext: list[tuple[float, float, float, float]] = []
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
                    ) -> tuple[list[tuple[float, float, float]], tuple[float, float, float, float] | None]:
    """(lat, lon, radius px) of the highlighted features and their extent with ~1 km around."""
    marks: list[tuple[float, float, float]] = []
    for lyr in layers:
        gdf = frames.get(lyr.id)
        if lyr.geometry != "point" or lyr.id not in shown or gdf is None or "id" not in gdf:
            continue
        sel = gdf[gdf.id.astype(str).isin(ids) & ~gdf.geometry.isna()]
        sel = _shift(sel, "amap") if datum == "gcj02" else sel
        marks += [(y, x, float(lyr.style.get("radius", 7))) for x, y in
                  zip(sel.geometry.x, sel.geometry.y, strict=True)]
    if not marks:
        return [], None
    a = np.array(marks)
    r = 0.01
    return marks, (a[:, 1].min() - r, a[:, 0].min() - r, a[:, 1].max() + r, a[:, 0].max() + r)


#: Sequential ramp of E2SFCA scores (ColorBrewer BuGn, 5 classes); grey = nobody's site in reach.
ACCESS_COLOURS: tuple[str, ...] = ("#edf8fb", "#b2e2e2", "#66c2a4", "#2ca25f", "#006d2c")
ACCESS_NONE = "#bdbdbd"


def access_group(cells: gpd.GeoDataFrame, **kwargs: Any) -> AtlasGroup:
    """:func:`access_overlay` as a folium group (same arguments)."""
    return access_overlay(cells, **kwargs).group()


def access_overlay(cells: gpd.GeoDataFrame, *, lang: str = "zh", basemap: str = "osm",
                   name: str | None = None) -> Overlay:
    """H3 cells shaded by E2SFCA score per 10,000 residents (quintiles; grey = none in reach).

    ``cells`` come from :meth:`atlas.accessibility.Accessibility.cells`; cells without people
    are not drawn. One layer for all cells, with a graduated legend; tooltips are escaped.
    """
    shown = cells[cells.population > 0]
    title = name or t("acc_layer", lang)
    if shown.empty:
        return Overlay(None, title)
    _built("overlay", "access")
    score = shown.score_per_10k.fillna(0.0).to_numpy()
    pos = score[score > 0]
    edges = np.quantile(pos, [0.2, 0.4, 0.6, 0.8]) if len(pos) else np.zeros(4)
    cls = np.searchsorted(edges, score)
    fill = np.where(score > 0, np.asarray(ACCESS_COLOURS, dtype=object)[cls], ACCESS_NONE)
    shown = _shift(shown, basemap)
    unit = "per 10,000" if lang == "en" else "每万人"
    tips = [html.escape(f"{s:.2f} {unit} · {t('pop_value_column', lang)} {p:,.0f}")
            for s, p in zip(score, shown.population, strict=True)]
    spec = {"id": "access", "kind": "polygon", "fields": [],
            "style": {"color": ACCESS_COLOURS[-1], "weight": 0.3, "fill_opacity": 0.6},
            "rows": [[g, tip, None, None, None, None, c] for g, tip, c in
                     zip(display_geometry(shown.geometry.to_numpy()), tips, fill, strict=True)]}
    bounds = [0.0, *edges.tolist(), float(pos.max()) if len(pos) else 0.0]
    ramp = ((ACCESS_NONE, "0"), *((c, f"{bounds[i]:.2f}–{bounds[i + 1]:.2f}")
                                  for i, c in enumerate(ACCESS_COLOURS)))
    entry = LegendEntry(f"E2SFCA ({unit})", kind="ramp", ramp=tuple(ramp))
    return Overlay(_keyed(spec), title, (entry,))
