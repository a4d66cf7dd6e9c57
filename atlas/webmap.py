"""Build the interactive folium map from the layer catalogue.

Every string that reaches HTML (popups, tooltips, legend) goes through :func:`html.escape`:
site names and notes may come from planners' uploads. Approximate points are drawn hollow with a
dashed ring of their estimated error radius; sourced points are filled.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import branca
import folium
import geopandas as gpd
import numpy as np
import shapely

from atlas import settings
from atlas.datum import gdf_from_wgs84
from atlas.errors import ValidationError
from atlas.geodata import CATEGORIES, POSITION_STATUS, parse_tasks
from atlas.i18n import field_label, t

if TYPE_CHECKING:
    from atlas.catalogue import Layer

BASEMAPS: tuple[str, ...] = ("osm", "tianditu", "amap", "none")
_TIANDITU_KEY = re.compile(r"^[0-9A-Za-z]{16,64}$")
_NINGBO_CENTER = (29.87, 121.55)


_STATIC = Path(__file__).resolve().parent / "static"


def _data_url(path: Path, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


@lru_cache(maxsize=1)
def _offline_assets() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Return the map's JS and CSS as data: URLs of vendored files.

    Folium links Leaflet, jQuery, Bootstrap and icon fonts from CDNs; the atlas must work
    offline (and its exported HTML must open without a network), so the map loads only vendored
    Leaflet 1.9.4 (BSD-2) and jQuery 3.7.1 (MIT; folium builds popups with it), which is all our
    markers, GeoJSON, popups and layer control need.
    """
    js = [("leaflet", _data_url(_STATIC / "leaflet" / "leaflet.js", "text/javascript")),
          ("jquery", _data_url(_STATIC / "jquery" / "jquery.min.js", "text/javascript"))]
    css = [("leaflet_css", _data_url(_STATIC / "leaflet" / "leaflet.css", "text/css"))]
    return js, css


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


def add_draw_control(m: folium.Map) -> folium.Map:
    """Let the user draw one rectangle or polygon (the area to analyse); works offline."""
    from folium.plugins import Draw

    draw = Draw(export=False, position="topleft",
                draw_options={"polyline": False, "circle": False, "marker": False,
                              "circlemarker": False, "rectangle": True, "polygon": True},
                edit_options={"edit": False, "remove": True})
    draw.default_js, draw.default_css = _draw_assets()
    draw.add_to(m)
    return m


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
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def popup_html(row: Mapping[str, Any], fields: Iterable[str], *, lang: str = "zh",
               tasks: Mapping[int, Mapping[str, Any]] | None = None) -> str:
    """Return the escaped HTML of one feature's popup.

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
    rows = []
    for col in fields:
        text = _fmt(row.get(col), col, lang)
        if not text:
            continue
        rows.append("<tr><th style='text-align:left;padding-right:6px;white-space:nowrap;"
                    f"vertical-align:top'>"
                    f"{html.escape(field_label(col, lang))}</th>"
                    f"<td>{html.escape(text)}</td></tr>")
    extra = ""
    if tasks is not None and "policy_tasks" in row:
        nums = parse_tasks(row.get("policy_tasks"))
        items = [f"<li>{n}. {html.escape(str(tasks[n]['title_zh']))} — "
                 f"{html.escape(t('lead_unit', lang))}: {html.escape(str(tasks[n]['lead_unit']))}</li>"
                 for n in nums if n in tasks]
        extra = (f"<div><b>{html.escape(t('tasks', lang))}</b><ul style='margin:2px 0 0 14px;padding:0'>"
                 + "".join(items) + "</ul></div>") if items else \
            f"<div><i>{html.escape(t('not_named', lang))}</i></div>"
    return (f"<div style='font-size:12px;max-width:360px'><table>{''.join(rows)}</table>"
            f"{extra}</div>")


def _legend_html(entries: list[tuple[str, str, str]], *, lang: str, notes: list[str]) -> str:
    items = "".join(
        f"<div><span style='display:inline-block;width:12px;height:12px;border-radius:"
        f"{'50%' if kind == 'point' else '2px'};background:{html.escape(color)};margin-right:6px;"
        f"opacity:0.85'></span>{html.escape(label)}</div>"
        for label, color, kind in entries
    )
    note_html = "".join(f"<div style='color:#555;margin-top:4px'>{html.escape(n)}</div>" for n in notes)
    return (
        "<div id='atlas-legend' style='position:fixed;bottom:64px;left:12px;z-index:9999;"
        "background:rgba(255,255,255,0.92);padding:8px 10px;border:1px solid #999;"
        "border-radius:4px;font-size:12px;max-width:260px'>"
        f"<b>{html.escape(t('layers', lang))}</b>{items}{note_html}</div>"
    )


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
) -> folium.Map:
    """Build a folium map of the catalogue's layers.

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

    Returns
    -------
    folium.Map

    """
    m = folium.Map(location=_NINGBO_CENTER, zoom_start=9, tiles=None, control_scale=True,
                   prefer_canvas=True)
    m.default_js, m.default_css = _offline_assets()
    used = _add_tiles(m, basemap, tianditu_key=tianditu_key)
    datum = basemap_datum(used)
    shown = set(visible) if visible is not None else {lyr.id for lyr in layers if lyr.visible}
    district_set = set(districts) if districts else None
    highlight = set(highlight_ids)
    legend: list[tuple[str, str, str]] = []
    bounds: list[tuple[float, float, float, float]] = []
    for lyr in layers:
        if lyr.id not in shown or lyr.id not in frames:
            continue
        gdf = frames[lyr.id]
        if lyr.geometry == "point":
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
        if gdf.empty:
            continue
        if datum != "wgs84":
            gdf = gdf_from_wgs84(gdf, datum=datum)
        group = folium.FeatureGroup(name=html.escape(lyr.title(lang)), show=True)
        color = str(lyr.style.get("color", "#333333"))
        if lyr.geometry in ("polygon", "line"):
            _add_polygons(group, gdf, lyr, lang=lang, tasks=tasks)
            if district_set is not None:
                bounds.append(tuple(gdf.total_bounds))
        else:
            _add_points(group, gdf, lyr, lang=lang, tasks=tasks, highlight=highlight)
            if district_set is not None or task is not None or highlight:
                sel = gdf[gdf.id.isin(highlight)] if highlight else gdf
                if not sel.empty:
                    # fit each point with its error ring (at least ~1 km around it)
                    err = sel.get("est_error_m")
                    r = np.maximum(np.nan_to_num(err.to_numpy(dtype=float)) if err is not None
                                   else 0.0, 1000.0) / 111_000.0
                    x, y = sel.geometry.x.to_numpy(), sel.geometry.y.to_numpy()
                    bounds.append(((x - r).min(), (y - r).min(), (x + r).max(), (y + r).max()))
        group.add_to(m)
        legend.append((lyr.legend_en if lang == "en" else lyr.legend_zh, color, lyr.geometry))
    for g in extra_groups:
        g.add_to(m)
    root_html = m.get_root().html  # type: ignore[attr-defined]
    if layer_control:
        folium.LayerControl(collapsed=False, position="bottomright").add_to(m)
    notes = [t("approx_legend", lang)]
    if used == "amap":
        notes.append(t("basemap_amap", lang))
    root_html.add_child(branca.element.Element(_legend_html(legend, lang=lang, notes=notes)))
    attributions = sorted({lyr.attribution for lyr in layers if lyr.attribution and lyr.id in shown})
    attributions.append(settings.ATTRIBUTION_OSM)
    root_html.add_child(branca.element.Element(
        "<div id='atlas-attribution' style='position:fixed;bottom:2px;right:160px;z-index:9999;"
        "font-size:10px;background:rgba(255,255,255,0.8);padding:1px 4px'>"
        + html.escape(t("attribution", lang) + ": " + " · ".join(attributions)) + "</div>"))
    if fit is not None:
        bounds = [fit]
    if bounds:
        b = np.array(bounds)
        x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
        pad = 0.01
        m.fit_bounds([[y0 - pad, x0 - pad], [y1 + pad, x1 + pad]], max_zoom=14)
    else:
        m.fit_bounds([[29.2, 121.0], [30.35, 122.0]])
    root_html.add_child(branca.element.Element(
        f"<script>window.ATLAS_BASEMAP = {json.dumps(used)};</script>"))
    return m


def _add_polygons(group: folium.FeatureGroup, gdf: gpd.GeoDataFrame, lyr: Layer, *, lang: str,
                  tasks: Mapping[int, Mapping[str, Any]] | None) -> None:
    style = lyr.style
    for _, row in gdf.iterrows():
        geo = json.loads(shapely.to_geojson(row.geometry))
        layer = folium.GeoJson(
            geo,
            style_function=lambda _f, s=style: {
                "color": s.get("color", "#555555"), "weight": s.get("weight", 1.5),
                "fillColor": s.get("fill_color", s.get("color", "#555555")),
                "fillOpacity": s.get("fill_opacity", 0.1),
            },
        )
        folium.Tooltip(html.escape(str(row.get(lyr.tooltip, "")))).add_to(layer)
        folium.Popup(popup_html(row, lyr.popup_fields, lang=lang, tasks=tasks),
                     max_width=380).add_to(layer)
        layer.add_to(group)


def _add_points(group: folium.FeatureGroup, gdf: gpd.GeoDataFrame, lyr: Layer, *, lang: str,
                tasks: Mapping[int, Mapping[str, Any]] | None, highlight: set[str]) -> None:
    color = str(lyr.style.get("color", "#333333"))
    radius = float(lyr.style.get("radius", 7))
    for _, row in gdf.iterrows():
        lat, lon = row.geometry.y, row.geometry.x
        approx = str(row.get("position_status", "")) != "sourced"
        err = float(row.get("est_error_m") or 0)
        if approx and err > 0:
            folium.Circle(
                location=(lat, lon), radius=err, color=color, weight=1.2, dash_array="6 6",
                fill=False, interactive=False,
            ).add_to(group)
        tip = html.escape(str(row.get(lyr.tooltip, "")))
        if approx:
            tip += html.escape(f"（{t('accuracy', lang)}: ±{err:,.0f} m）" if lang == "zh"
                               else f" (approximate, ±{err:,.0f} m)")
        folium.CircleMarker(
            location=(lat, lon), radius=radius,
            color="#000000" if str(row.get("id")) in highlight else color,
            weight=4 if str(row.get("id")) in highlight else 2,
            fill=True, fill_color=color, fill_opacity=0.15 if approx else 0.9,
            dash_array="3 3" if approx else None,
            tooltip=folium.Tooltip(tip),
            popup=folium.Popup(popup_html(row, lyr.popup_fields, lang=lang, tasks=tasks),
                               max_width=380),
        ).add_to(group)


def areas_group(areas: gpd.GeoDataFrame, *, lang: str = "zh", color: str = "#d62828",
                name: str | None = None, basemap: str = "osm") -> folium.FeatureGroup:
    """A map layer of service areas; straight-line proxies are dashed and labelled as such.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Output of :func:`atlas.service_area.service_areas` or :func:`~atlas.service_area.proxy_areas`.
    lang : {"zh", "en"}
        Label language.
    color : str
        Fill and outline colour.
    name : str, optional
        Layer name (default: the method's label).
    basemap : str
        The basemap in use (overlays are shifted to GCJ-02 over AMap).

    Returns
    -------
    folium.FeatureGroup

    """
    from atlas.service_area import METHOD_PROXY

    datum = basemap_datum(basemap)
    shown = areas[~areas.geometry.is_empty]
    if datum != "wgs84" and not shown.empty:
        shown = gdf_from_wgs84(shown, datum=datum)
    proxy = bool((shown.method == METHOD_PROXY).any()) if not shown.empty else False
    label = t("sa_method_proxy" if proxy else "sa_method_network", lang)
    group = folium.FeatureGroup(name=html.escape(name or label), show=True)
    for _, row in shown.iterrows():
        tip = html.escape(f"{row['site_id']} · {label} · {row['metres']:,.0f} m · {row['area_km2']:.2f} km²")
        layer = folium.GeoJson(
            json.loads(shapely.to_geojson(row.geometry)),
            style_function=lambda _f, p=proxy: {
                "color": color, "weight": 1.5, "fillColor": color,
                "fillOpacity": 0.08 if p else 0.25, "dashArray": "8 6" if p else None,
            },
        )
        folium.Tooltip(tip).add_to(layer)
        layer.add_to(group)
    return group


def cells_group(cells: gpd.GeoDataFrame, *, lang: str = "zh", value: str = "uncovered",
                basemap: str = "osm", name: str | None = None) -> folium.FeatureGroup:
    """H3 cells shaded by ``value`` (uncovered population by default): the gap map.

    All cells go into one GeoJSON layer (thousands of separate layers would make the page slow);
    tooltip text is escaped before it is put in the data.
    """
    datum = basemap_datum(basemap)
    shown = cells[cells[value] > 0]
    if datum != "wgs84" and not shown.empty:
        shown = gdf_from_wgs84(shown, datum=datum)
    group = folium.FeatureGroup(name=html.escape(name or t("cov_gap_layer", lang)), show=True)
    if shown.empty:
        return group
    ramp = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"]
    vmax = float(shown[value].quantile(0.95)) or float(shown[value].max()) or 1.0
    level = np.minimum(len(ramp) - 1, (len(ramp) * shown[value].to_numpy() / (vmax * 1.0001)).astype(int))
    label = [html.escape(f"{d} · {t('cov_uncovered', lang)}: {v:,.0f}")
             for d, v in zip(shown.district, shown[value], strict=True)]
    data = gpd.GeoDataFrame({"fill": [ramp[i] for i in level], "label": label},
                            geometry=shown.geometry.to_numpy(), crs=shown.crs)
    folium.GeoJson(
        data.to_json(),
        style_function=lambda f: {"color": f["properties"]["fill"], "weight": 0.3,
                                  "fillColor": f["properties"]["fill"], "fillOpacity": 0.55},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    ).add_to(group)
    return group


def points_group(points: gpd.GeoDataFrame, *, lang: str = "zh", label_column: str = "name",
                 color: str = "#111111", name: str = "", basemap: str = "osm"
                 ) -> folium.FeatureGroup:
    """Simple labelled markers (candidate or recommended sites); labels are escaped."""
    datum = basemap_datum(basemap)
    shown = points[~points.geometry.isna()]
    if datum != "wgs84" and not shown.empty:
        shown = gdf_from_wgs84(shown, datum=datum)
    group = folium.FeatureGroup(name=html.escape(name), show=True)
    for _, row in shown.iterrows():
        folium.CircleMarker(
            location=(row.geometry.y, row.geometry.x), radius=8, color=color, weight=3,
            fill=True, fill_color="#ffffff", fill_opacity=0.9,
            tooltip=folium.Tooltip(html.escape(str(row.get(label_column, "")))),
        ).add_to(group)
    return group
