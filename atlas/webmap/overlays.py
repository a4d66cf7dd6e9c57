"""Analysis overlays: service areas and marked points (candidate or recommended sites).

An :class:`Overlay` is immutable (a spec string, a name, legend entries), so apps cache and share
it; :meth:`Overlay.group` makes the folium group for one map. Gap and accessibility shading is in
:mod:`atlas.webmap.shading`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from atlas import palette
from atlas.i18n import t
from atlas.webmap.config import LABEL_MIN_ZOOM, TIP_CHARS
from atlas.webmap.elements import AtlasGroup
from atlas.webmap.geometry import display_geometry, round_coords, shift
from atlas.webmap.hooks import built
from atlas.webmap.legend import LegendEntry
from atlas.webmap.popups import clip_text
from atlas.webmap.specs import group_name, keyed, layer_group


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
            return AtlasGroup(group_name(self.name))
        return layer_group(self.spec, name=self.name, legend=self.legend)


def areas_overlay(areas: gpd.GeoDataFrame, *, lang: str = "zh", color: str | None = None,
                  name: str | None = None, basemap: str = "osm") -> Overlay:
    """Service areas: filled and translucent (never dashed like error rings).

    Styles come from :data:`atlas.palette.SERVICE_AREA`; straight-line proxies are lighter and
    labelled as such in their tooltips and legend entry.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Output of :func:`atlas.analysis.service_area.service_areas` or
        :func:`~atlas.analysis.service_area.proxy_areas`.
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
    from atlas.analysis.service_area import METHOD_PROXY

    shown = shift(areas[~areas.geometry.is_empty], basemap)
    proxy = bool((shown.method == METHOD_PROXY).any()) if not shown.empty else False
    label = t("sa_method_proxy" if proxy else "sa_method_network", lang)
    built("overlay", "areas")
    sty = palette.SERVICE_AREA["euclidean-proxy" if proxy else "network"]
    line = color or str(sty["color"])
    tips = [html.escape(f"{clip_text(str(sid), TIP_CHARS)} · {label} · {m:,.0f} m · {a:.2f} km²")
            for sid, m, a in zip(shown.site_id, shown.metres, shown.area_km2, strict=True)]
    spec = {"id": "areas", "kind": "polygon", "fields": [], "style": _area_style(sty, color),
            "rows": [[g, tip, None, None, None, None] for g, tip in
                     zip(display_geometry(shown.geometry.to_numpy()), tips, strict=True)]}
    entry = LegendEntry(name or label, line, "proxy_area" if proxy else "area")
    return Overlay(keyed(spec), name or label, (entry,))


def band_overlays(areas: gpd.GeoDataFrame, *, lang: str = "zh", basemap: str = "osm") -> list[Overlay]:
    """Graduated service areas (one row per site and band): one overlay per band.

    Largest band first, so that the smaller ones are drawn over it; colours on a sequential
    scale (:func:`atlas.palette.band_colours`), the smallest band darkest. The first overlay
    carries the legend of all bands, smallest first.
    """
    from dataclasses import replace

    values = sorted({float(m) for m in areas.minutes})
    colours = palette.band_colours(len(values))
    names = [t("sa_band", lang, m=f"{m:g}") for m in values]
    legend = tuple(LegendEntry(n, c, "area") for n, c in zip(names, colours, strict=True))
    out = []
    for m, c, n in reversed(list(zip(values, colours, names, strict=True))):
        out.append(replace(areas_overlay(areas[areas.minutes == m], lang=lang, color=c, name=n,
                                         basemap=basemap), legend=()))
    return [replace(out[0], legend=legend), *out[1:]] if out else out


def _area_style(sty: dict[str, Any], color: str | None) -> dict[str, Any]:
    """The web style of service areas: a flat tint, or a hatch over it (straight-line proxies)."""
    out: dict[str, Any] = {"color": color or str(sty["color"]),
                           "weight": float(sty.get("web_weight", sty["weight"])),
                           "fill_color": color or str(sty["fill_color"]),
                           "fill_opacity": float(sty["fill_opacity"]), "dash": sty["dash_array"]}
    if sty.get("hatch"):
        out["hatch"] = {"color": color or str(sty.get("hatch_color", sty["color"])),
                        "opacity": float(sty.get("hatch_opacity", 0.5)), "spacing": 6, "width": 1.3}
    return out


def areas_group(areas: gpd.GeoDataFrame, **kwargs: Any) -> AtlasGroup:
    """:func:`areas_overlay` as a folium group (same arguments)."""
    return areas_overlay(areas, **kwargs).group()


def points_overlay(points: gpd.GeoDataFrame, *, lang: str = "zh", label_column: str = "name",
                   color: str = "#111111", name: str = "", basemap: str = "osm") -> Overlay:
    """Simple labelled markers (candidate or recommended sites); labels are escaped."""
    shown = shift(points[~points.geometry.isna()], basemap)
    built("overlay", "points")
    tips = ([html.escape(clip_text(str(v), TIP_CHARS)) for v in shown[label_column].tolist()]
            if len(shown) else [])
    x, y = round_coords(shown.geometry.x.to_numpy()), round_coords(shown.geometry.y.to_numpy())
    if shown.empty:  # nothing to draw, nothing to list in the legend
        return Overlay(None, name)
    spec = {"id": "points", "kind": "point", "fields": [],
            "style": {"color": color, "radius": 8.0, "weight": 3.0, "fill_color": "#ffffff",
                      "fill_opacity": 0.9},
            "rows": [[a, b, tip, 0, 0, None, None, tip] for a, b, tip in zip(x, y, tips, strict=True)],
            "label": {"min_zoom": LABEL_MIN_ZOOM, "cls": "site", "rank": 50}}
    return Overlay(keyed(spec), name, (LegendEntry(name, color, "point"),) if name else ())


def points_group(points: gpd.GeoDataFrame, **kwargs: Any) -> AtlasGroup:
    """:func:`points_overlay` as a folium group (same arguments)."""
    return points_overlay(points, **kwargs).group()
