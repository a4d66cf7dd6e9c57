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

from atlas.webmap import Overlay, areas_overlay
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
                  network: tuple[str, float] | None, options: tuple[tuple[str, float], ...]
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
    from atlas.service_area import areas_for

    area = shapely.from_wkb(area_wkb)
    sites = point_sites(layer_ids)
    sites = sites[sites.within(area.buffer(0.005))]
    if sites.empty:
        return None
    net = common.network_at(*network) if network else None
    return areas_for(sites, network=net, **dict(options))


@st.cache_resource(show_spinner=False, max_entries=64)
def service_areas_overlay(area_wkb: bytes, layer_ids: tuple[str, ...], token: tuple[str, ...],
                          network: tuple[str, float] | None, options: tuple[tuple[str, float], ...],
                          lang: str, basemap: str) -> Overlay | None:
    """The map overlay of :func:`service_areas` (same key, plus language and basemap)."""
    areas = service_areas(area_wkb, layer_ids, token, network, options)
    return None if areas is None else areas_overlay(areas, lang=lang, basemap=basemap)


def options_key(options: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    """A hashable, ordered form of analysis options."""
    return tuple(sorted((k, float(v)) for k, v in options.items()))


@st.cache_resource(show_spinner=False, max_entries=16)
def export_html(visible: tuple[str, ...], districts: tuple[str, ...], lang: str, with_areas: bool,
                token: tuple[str, ...], _make: Any) -> bytes:
    """The standalone HTML export of a view, made by ``_make`` once per view and data version.

    ``_make`` (the page's builder) is not part of the cache key.
    """
    return _make(visible, districts, lang, with_areas)


@st.cache_resource(show_spinner=False, max_entries=8)
def layer_tables(token: tuple[str, ...]) -> dict[str, gpd.GeoDataFrame]:
    """Every layer's export table (:func:`atlas.export.layer_tables`), once per data version."""
    from atlas.export import layer_tables as tables

    return tables(common.catalogue(), common.layer_frames())
