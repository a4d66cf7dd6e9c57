"""Geometry as the browser gets it: simplified, rounded, and shifted to the basemap's datum."""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from atlas.geo.datum import gdf_from_wgs84
from atlas.webmap.basemaps import basemap_datum
from atlas.webmap.config import DISPLAY_DECIMALS, DISPLAY_TOLERANCE_DEG


def round_coords(x: Any) -> Any:
    """Coordinates rounded to :data:`DISPLAY_DECIMALS` (a list)."""
    return np.round(np.asarray(x, dtype=float), DISPLAY_DECIMALS).tolist()


def display_geometry(geoms: Any) -> list[dict[str, Any]]:
    """Simplified, rounded GeoJSON geometries for display (never for analysis or exports)."""
    arr = shapely.simplify(np.asarray(geoms, dtype=object), DISPLAY_TOLERANCE_DEG, preserve_topology=True)
    arr = shapely.set_precision(arr, 10.0 ** -DISPLAY_DECIMALS)
    return [json.loads(g) for g in shapely.to_geojson(arr)]


def shift(gdf: gpd.GeoDataFrame, basemap: str) -> gpd.GeoDataFrame:
    """``gdf`` (WGS84) in the datum of ``basemap``'s tiles (GCJ-02 for AMap)."""
    datum = basemap_datum(basemap)
    return gdf_from_wgs84(gdf, datum=datum) if datum != "wgs84" and not gdf.empty else gdf
