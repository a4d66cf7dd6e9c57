"""Layer specs: one catalogue layer as the compact JSON document ``atlas.js`` draws.

A spec holds a layer's style, its escaped tooltips, popup values and labels, and its display
geometry; it is a plain string, so callers cache it per layer, style and filter.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely

from atlas import palette
from atlas.data.geodata import parse_tasks
from atlas.geo.datum import gdf_from_wgs84
from atlas.i18n import field_label, t
from atlas.webmap.config import DENSE_LAYER, LABEL_MIN_ZOOM, LABEL_MIN_ZOOM_DENSE, TIP_CHARS
from atlas.webmap.elements import AtlasGroup, Script, js_json
from atlas.webmap.geometry import display_geometry, round_coords
from atlas.webmap.hooks import built
from atlas.webmap.legend import LegendEntry
from atlas.webmap.popups import (
    approximate,
    clip_text,
    label_texts,
    popup_values,
    task_item,
    tooltip_texts,
)

if TYPE_CHECKING:
    from atlas.data.catalogue import Layer


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
    built("layer", layer.id)
    if datum != "wgs84" and not gdf.empty:
        gdf = gdf_from_wgs84(gdf, datum=datum)
    task_lists: list[Any] = (gdf.policy_tasks.map(parse_tasks).tolist() if "policy_tasks" in gdf.columns
                             else [None] * len(gdf))
    spec: dict[str, Any] = {
        "id": layer.id, "kind": layer.geometry, "style": _layer_style(layer), "ring": _ring_style(),
        "fields": [html.escape(field_label(c, lang)) for c in layer.popup_fields],
    }
    if tasks is not None and "policy_tasks" in gdf.columns:
        used = sorted({n for ts in task_lists for n in ts if n in tasks})
        spec.update(task_titles={str(n): task_item(n, tasks[n], lang) for n in used},
                    tasks_label=html.escape(t("tasks", lang)), not_named=html.escape(t("not_named", lang)))
    rows = _point_rows if layer.geometry == "point" else _shape_rows
    spec.update(rows(layer, gdf, lang=lang, task_lists=task_lists))
    return keyed(spec)


#: Layers of at least this many rows send a popup value that every row shares once (``same``),
#: and a point's label that equals its tooltip as 1: 1,183 galleries repeat their source and their
#: name, and the app sends this text, JSON-escaped, to every map that shows them.
SHARE_MIN_ROWS: int = 20


def shared_values(values: list[list[str]]) -> tuple[list[list[str]], dict[str, str]]:
    """Popup values with those that every row shares left empty, and those values by field index."""
    if len(values) < SHARE_MIN_ROWS:
        return values, {}
    same = {str(i): v for i, v in enumerate(values[0]) if v and all(r[i] == v for r in values)}
    if not same:
        return values, {}
    cut = {int(i) for i in same}
    return [["" if i in cut else v for i, v in enumerate(r)] for r in values], same


def _point_rows(layer: Layer, gdf: gpd.GeoDataFrame, *, lang: str, task_lists: list[Any]) -> dict[str, Any]:
    """Rows ``[lon, lat, tip, error m, approximate, values, tasks, label]`` and the label rule."""
    tips = [html.escape(x) for x in tooltip_texts(layer, gdf, lang=lang)]
    labels: list[str | int] = [html.escape(x) for x in label_texts(layer, gdf, lang=lang)]
    values, same = shared_values(popup_values(gdf, layer.popup_fields, lang))
    if len(gdf) >= SHARE_MIN_ROWS:  # a label that repeats the tooltip is sent as 1
        labels = [1 if lab == tip else lab for lab, tip in zip(labels, tips, strict=True)]
    err = (np.nan_to_num(gdf["est_error_m"].to_numpy(dtype=float)) if "est_error_m" in gdf
           else np.zeros(len(gdf)))
    x, y = round_coords(gdf.geometry.x.to_numpy()), round_coords(gdf.geometry.y.to_numpy())
    rows = [[x[i], y[i], tips[i], round(float(err[i])), int(a), values[i], task_lists[i], labels[i]]
            for i, a in enumerate(approximate(gdf))]
    dense = len(gdf) > DENSE_LAYER
    out = {"rows": rows, "label": {"min_zoom": LABEL_MIN_ZOOM_DENSE if dense else LABEL_MIN_ZOOM,
                                   "cls": "site", "rank": 100 + layer.order}}
    return {**out, "same": same} if same else out


def _shape_rows(layer: Layer, gdf: gpd.GeoDataFrame, *, lang: str, task_lists: list[Any]) -> dict[str, Any]:
    """Rows ``[geometry, tip, values, tasks, label, label position]`` (district labels always)."""
    tips = [html.escape(x) for x in tooltip_texts(layer, gdf, lang=lang)]
    labels = [html.escape(x) for x in label_texts(layer, gdf, lang=lang)]
    values, same = shared_values(popup_values(gdf, layer.popup_fields, lang))
    at = shapely.get_coordinates(shapely.point_on_surface(gdf.geometry.to_numpy()))
    out: dict[str, Any] = {
        "rows": [[g, tip, v, ts, lab, round_coords(p)] for g, tip, v, ts, lab, p in
                 zip(display_geometry(gdf.geometry.to_numpy()), tips, values, task_lists, labels, at,
                     strict=True)]}
    if layer.id == "districts":
        out["label"] = {"min_zoom": 0, "cls": "district", "rank": 0}
    if same:
        out["same"] = same
    return out


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


def keyed(spec: dict[str, Any]) -> str:
    """``spec`` as inlinable JSON (:func:`~atlas.webmap.elements.js_json`) with a content ``key``."""
    body = js_json(spec)
    key = hashlib.sha1(body.encode("utf-8")).hexdigest()[:16]
    return body[:-1] + f',"key":"{key}"}}'


def group_name(name: str) -> str:
    """A layer's name as the layer switcher shows it (as HTML): escaped, at most ``TIP_CHARS`` long."""
    return html.escape(clip_text(name, TIP_CHARS))


def layer_group(spec_json: str, *, name: str, legend: Sequence[LegendEntry] = ()) -> AtlasGroup:
    """A feature group that draws one spec (from :func:`layer_spec` or the overlay builders)."""
    group = AtlasGroup(group_name(name), legend)
    Script("atlas.addLayer(", f", {spec_json});").add_to(group)
    return group


def layer_legend(layer: Layer, gdf: gpd.GeoDataFrame, *, lang: str) -> list[LegendEntry]:
    """Legend entries of one catalogue layer as shown (plus the error ring if any point is approximate)."""
    color = str(layer.style.get("color", "#333333"))
    out = [LegendEntry(layer.legend_en if lang == "en" else layer.legend_zh, color, layer.geometry)]
    if layer.geometry == "point" and "position_status" in gdf and (gdf.position_status != "sourced").any():
        out.append(LegendEntry(t("approx_legend", lang), str(palette.ERROR_RING["color"]), "ring"))
    return out
