"""Analyses shared by every session: computed once per input, not once per rerun or per session.

Results are cached with ``st.cache_resource`` (no copy on a hit): pages treat them as read-only.
Keys are cheap values (ids, data versions, WKB, option tuples), never data frames.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from atlas import settings
from atlas.webmap import Overlay, areas_overlay, band_overlays
from ui import common, mapview


def layers_token(layer_ids: tuple[str, ...]) -> tuple[str, ...]:
    """Data versions of the given layers (see :func:`ui.mapview.data_token`)."""
    return tuple(mapview.data_token(i) for i in layer_ids)


def point_sites(layer_ids: tuple[str, ...]) -> gpd.GeoDataFrame:
    """The positioned features of the given point layers, in one frame (WGS84)."""
    frames = common.layer_frames()
    chosen = [frames[i] for i in layer_ids if i in frames]
    if not chosen:
        return frames["kepu_sites"].iloc[:0]
    sites = gpd.GeoDataFrame(pd.concat(chosen, ignore_index=True), crs="EPSG:4326")
    return sites[~sites.geometry.isna()]


@st.cache_resource(show_spinner=False, max_entries=64)
def service_areas(area_wkb: bytes, layer_ids: tuple[str, ...], token: tuple[str, ...],
                  network: tuple[str, float] | None, options: tuple[tuple[str, Any], ...]
                  ) -> gpd.GeoDataFrame | None:
    """Service areas of the chosen layers' sites in an area (network or labelled proxies).

    Parameters
    ----------
    area_wkb : bytes
        The area (WKB, WGS84); sites within ~500 m of it count.
    layer_ids, token : tuple of str
        Point layers and their data versions (:func:`layers_token`).
    network : tuple, optional
        (path, mtime) of the area's cached walking network, if any.
    options : tuple of (str, float)
        ``minutes``, ``speed_kmh`` and optionally ``metres``.

    """
    from atlas.analysis.service_area import areas_for

    area = shapely.from_wkb(area_wkb)
    sites = point_sites(layer_ids)
    sites = sites[sites.within(area.buffer(0.005))]
    if sites.empty:
        return None
    net = common.network_at(*network) if network else None
    return areas_for(sites, network=net, **dict(options))


@st.cache_resource(show_spinner=False, max_entries=64)
def service_areas_union_km2(area_wkb: bytes, layer_ids: tuple[str, ...], token: tuple[str, ...],
                            network: tuple[str, float] | None, options: tuple[tuple[str, Any], ...]
                            ) -> float:
    """The area (km²) the service areas of :func:`service_areas` cover together (overlaps once)."""
    areas = service_areas(area_wkb, layer_ids, token, network, options)
    if areas is None or areas.empty:
        return 0.0
    crs = str(areas["crs"].iloc[0]) if "crs" in areas.columns else None
    from atlas.geo.projection import metric_crs_for

    metric = areas.to_crs(crs or metric_crs_for(areas))
    return float(shapely.union_all(metric.geometry.to_numpy()).area / 1e6)


@st.cache_resource(show_spinner=False, max_entries=64)
def service_areas_overlay(area_wkb: bytes, layer_ids: tuple[str, ...], token: tuple[str, ...],
                          network: tuple[str, float] | None, options: tuple[tuple[str, Any], ...],
                          lang: str, basemap: str) -> tuple[Overlay, ...]:
    """The map overlays of :func:`service_areas` (same key, plus language and basemap).

    One overlay, or one per band of graduated areas (largest first, drawn under the smaller).
    """
    areas = service_areas(area_wkb, layer_ids, token, network, options)
    if areas is None:
        return ()
    if areas.minutes.nunique() > 1:
        return tuple(band_overlays(areas, lang=lang, basemap=basemap))
    return (areas_overlay(areas, lang=lang, basemap=basemap),)


@st.cache_resource(show_spinner=False, max_entries=32)
def area_band_summary(area_wkb: bytes, district: str | None, layer_ids: tuple[str, ...],
                      token: tuple[str, ...], network: tuple[str, float] | None,
                      options: tuple[tuple[str, Any], ...]) -> Any:
    """Coverage of an area's people by the chosen layers' sites, up to the largest band (or None).

    People are those of ``district`` (street demand on its cached ``network``, else spread by
    area) or, for a box or drawn area, those spread by area within it; sites are every
    positioned site of the chosen layers, in or outside the area (people walk across borders).
    None when there are no people, no sites or fewer than two bands.
    """
    from atlas.analysis.supply import KIND_OF_LAYER, supply_sites
    from atlas.coverage.summary import coverage_summary

    opts = dict(options)
    minutes = tuple(opts.get("minutes", ()))
    frames = common.layer_frames()
    shipped = [i for i in layer_ids if i in KIND_OF_LAYER and i in frames]
    choice = "both" if len(shipped) == 2 else "galleries" if shipped == ["kepu_galleries"] else "bases"
    sites = supply_sites(choice, frames={i: frames[i] for i in shipped},
                         extra={i: frames[i] for i in layer_ids if i not in KIND_OF_LAYER and i in frames})
    net = common.network_at(*network) if network is not None and district is not None else None
    if net is not None and network is not None and district is not None:
        demand = common.network_demand(*network, district)
    else:
        demand = common.city_proxy_demand()
        demand = (demand[demand.district == district] if district else
                  demand[demand.intersects(shapely.from_wkb(area_wkb))])
    if demand.empty or sites.empty or len(minutes) < 2:
        return None
    return coverage_summary(demand, sites, network=net, supply=choice, minutes=max(minutes),
                            speed_kmh=float(opts.get("speed_kmh", settings.WALK_SPEED_KMH)))


@st.cache_resource(show_spinner=False, max_entries=64)
def area_band_shares(key: tuple[Any, ...], lang: str) -> tuple[pd.DataFrame, Any] | None:
    """(:func:`atlas.coverage.bands.band_shares`, summary) of :func:`area_band_summary` ``(*key)``."""
    from atlas.coverage.bands import band_shares

    summary = area_band_summary(*key)
    if summary is None:
        return None
    opts = dict(key[-1])
    return band_shares(summary, tuple(opts["minutes"]), lang=lang,
                       speed_kmh=float(opts.get("speed_kmh", settings.WALK_SPEED_KMH))), summary


def options_key(options: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """A hashable, ordered form of analysis options (a list of bands becomes a tuple)."""
    return tuple(sorted((k, tuple(float(x) for x in v) if isinstance(v, list | tuple) else float(v))
                        for k, v in options.items()))


@st.cache_resource(show_spinner=False, max_entries=16)
def export_html(visible: tuple[str, ...], districts: tuple[str, ...], lang: str, minutes: tuple[float, ...],
                token: tuple[str, ...], _make: Any) -> bytes:
    """The standalone HTML export of a view, made by ``_make`` once per view and data version.

    ``_make`` (the page's builder) is not part of the cache key.
    """
    return _make(visible, districts, lang, minutes)


@st.cache_resource(show_spinner=False, max_entries=8)
def layer_tables(token: tuple[str, ...]) -> dict[str, gpd.GeoDataFrame]:
    """Every layer's export table (:func:`atlas.io.export.layer_tables`), once per data version."""
    from atlas.io.export import layer_tables as tables

    return tables(common.catalogue(), common.layer_frames())


# ------------------------------------------------------------------------------------------
# coverage page: one computation per input for every session
# ------------------------------------------------------------------------------------------

def frame_key(frame: pd.DataFrame) -> str:
    """A content hash of a frame (for data a planner uploaded: no cheaper identity exists)."""
    cols = [c for c in frame.columns if c != "geometry"]
    return str(int(pd.util.hash_pandas_object(frame[cols], index=False).sum()))


def sites_key(point_layers: tuple[str, ...], added: gpd.GeoDataFrame) -> tuple[Any, ...]:
    """Identity of a site set: its layers with their data versions, and the scenario's sites."""
    scen = tuple(zip(added["id"].astype(str), shapely.get_x(added.geometry.to_numpy()).round(7),
                     shapely.get_y(added.geometry.to_numpy()).round(7), strict=True)) if len(added) else ()
    return point_layers, layers_token(point_layers), scen


@st.cache_resource(show_spinner=False, max_entries=16)
def supply(choice: str, extra: tuple[str, ...], token: tuple[str, ...]) -> gpd.GeoDataFrame:
    """The 科普 points of a supply choice plus extra layers (:func:`atlas.analysis.supply.supply_sites`)."""
    from atlas.analysis.supply import supply_sites

    frames = common.layer_frames()
    return supply_sites(choice, frames=frames, extra={i: frames[i] for i in extra})


@st.cache_resource(show_spinner=False, max_entries=32)
def coverage_base(demand_key: tuple[Any, ...], layers_key: tuple[Any, ...], supply: str,
                  options: tuple[tuple[str, Any], ...], _demand: gpd.GeoDataFrame,
                  _sites: gpd.GeoDataFrame, _network: Any) -> Any:
    """Coverage of the chosen layers' sites (no scenario sites), once per input for everyone.

    Arguments starting with ``_`` are the data the keys stand for (not hashed). The network
    matrix E2SFCA needs is built here too, inside the cache's lock, so sessions never race on it.
    """
    from atlas.analysis.accessibility import accessibility
    from atlas.coverage.summary import coverage_summary

    s = coverage_summary(_demand, _sites, network=_network, supply=supply, **dict(options))
    if s.matrix is None:
        accessibility(s, _sites)
    return s


@st.cache_resource(show_spinner=False, max_entries=64)
def coverage_with(key: tuple[Any, ...], _base: Any, _added: gpd.GeoDataFrame) -> Any:
    """The base coverage plus a scenario's added sites (incremental), once per scenario."""
    return _base.with_added_sites(_added) if len(_added) else _base


@st.cache_resource(show_spinner=False, max_entries=64)
def coverage_tables(key: tuple[Any, ...], resolution: int | None, _summary: Any
                    ) -> tuple[Any, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(Coverage, display cells at ``resolution``, gap clusters ranked as the inputs allow) of a summary."""
    cov = _summary.coverage()
    return cov, cov.cells(resolution=resolution), _summary.gaps()


@st.cache_resource(show_spinner=False, max_entries=64)
def accessibility_of(key: tuple[Any, ...], decay: str, _summary: Any, _sites: gpd.GeoDataFrame) -> Any:
    """E2SFCA of a summary's sites with a distance decay."""
    from atlas.analysis.accessibility import accessibility

    return accessibility(_summary, _sites, decay=decay)


@st.cache_resource(show_spinner=False, max_entries=64)
def recommendation(key: tuple[Any, ...], k: int, source: tuple[str, str], _cov: Any, _gaps: Any,
                   _candidates: gpd.GeoDataFrame | None, _network: Any) -> tuple[gpd.GeoDataFrame, dict]:
    """Recommended sites (greedy and, when small enough, MCLP) for a coverage and candidates.

    ``source`` is ("gaps", "") or (layer id, its data version); ``_candidates`` the layer's sites
    (None for gap centres, made here).
    """
    from atlas.analysis.siting import candidates_from_gaps, recommend

    cands = candidates_from_gaps(_gaps, cells=_cov.cells()) if _candidates is None else _candidates
    return recommend(_cov, cands, k, net=_network)


@st.cache_resource(show_spinner=False, max_entries=16)
def scope_outline(names: tuple[str, ...]) -> shapely.Geometry:
    """The union of the named districts (where gap shading is cut)."""
    d = common.districts()
    return shapely.union_all(d[d.name_zh.isin(names)].geometry.to_numpy())


@st.cache_resource(show_spinner=False, max_entries=64)
def gap_overlay(key: tuple[Any, ...], resolution: int | None, scope: tuple[str, ...], lang: str,
                basemap: str, name: str | None, _cells: gpd.GeoDataFrame) -> Overlay:
    """The gap shading of a coverage, cut at the scope's boundary."""
    from atlas.webmap import cells_overlay

    return cells_overlay(_cells, lang=lang, basemap=basemap, name=name, clip=scope_outline(scope))


@st.cache_resource(show_spinner=False, max_entries=64)
def access_overlay(key: tuple[Any, ...], decay: str, resolution: int, lang: str, basemap: str,
                   _acc: Any) -> Overlay:
    """The E2SFCA map layer of :func:`accessibility_of` (same key and decay)."""
    from atlas.webmap import access_overlay as overlay

    return overlay(_acc.cells(resolution=resolution), lang=lang, basemap=basemap, name=_acc.label(lang))


@st.cache_resource(show_spinner=False, max_entries=64)
def added_areas_overlay(key: tuple[Any, ...], lang: str, basemap: str, budget_m: float,
                        _added: gpd.GeoDataFrame, _network: Any) -> Overlay:
    """The service areas of a scenario's added sites (walking, or labelled straight-line circles)."""
    from atlas.analysis.service_area import areas_for
    from atlas.i18n import t
    from atlas.webmap import areas_overlay

    areas = areas_for(_added, network=_network, metres=float(budget_m))
    return areas_overlay(areas, lang=lang, color="#111111", name=t("cov_added_areas", lang), basemap=basemap)


@st.cache_resource(show_spinner=False, max_entries=64)
def coverage_band_shares(key: tuple[Any, ...], minutes: tuple[float, ...], lang: str, _summary: Any
                         ) -> pd.DataFrame:
    """:func:`atlas.coverage.bands.band_shares` of a coverage page's summary (``key`` identifies it)."""
    from atlas.coverage.bands import band_shares

    return band_shares(_summary, minutes, lang=lang)


@st.cache_resource(show_spinner=False, max_entries=256)
def derived(key: tuple[Any, ...], method: str, args: tuple[Any, ...], _obj: Any) -> Any:
    """``_obj.method(*args)`` once per key (the key identifies ``_obj``); callers do not mutate it."""
    return getattr(_obj, method)(*args)


@st.cache_resource(show_spinner=False, max_entries=4)
def gallery_counts() -> pd.DataFrame:
    """Galleries per 街道/镇 (:func:`atlas.analysis.supply.gallery_counts`) of the shipped gallery layer."""
    from atlas.analysis.supply import gallery_counts as counts

    return counts(common.layer_frames()["kepu_galleries"])


@st.cache_resource(show_spinner=False, max_entries=64)
def band_cells(key: tuple[Any, ...], resolution: int | None, _summary: Any) -> gpd.GeoDataFrame:
    """Display cells certainly outside and in the uncertain band (:func:`atlas.coverage.cells.band_cells`)."""
    return _summary.band_cells(resolution=resolution)


@st.cache_resource(show_spinner=False, max_entries=64)
def class_overlays(key: tuple[Any, ...], resolution: int | None, scope: tuple[str, ...], lang: str,
                   basemap: str, by_area: bool, _cells: gpd.GeoDataFrame) -> list[Overlay]:
    """Offline classes on the map: certainly outside (when people are placed by area) and the uncertain band.

    Each has its own colour and legend line; tooltips give the land and, as what it is, the
    head count (:func:`atlas.coverage.text.approx_people`).
    """
    from atlas import fmt
    from atlas.coverage.text import approx_people
    from atlas.i18n import t
    from atlas.webmap.shading import class_overlay

    out = []
    kinds = (("gap", "gap_km2", "gap"), ("band", "band_km2", "band"))[0 if by_area else 1:]
    for cls, km2, people in kinds:
        tips = [f"{d} · {t(f'cov_class_{cls}', lang)}: {fmt.km2(a)}"
                + (f" · {approx_people(p, lang)}" if by_area else f" · {fmt.people(p)}")
                for d, a, p in zip(_cells.district, _cells[km2], _cells[people], strict=True)]
        out.append(class_overlay(_cells, cls, lang=lang, basemap=basemap, tips=tips,
                                 clip=scope_outline(scope),
                                 name=t(f"cov_class_{cls}_layer", lang), legend=t(f"cov_class_{cls}", lang)))
    return out
