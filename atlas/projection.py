"""WGS84 <-> metric (EPSG:32651) projection: one place for every module's metric work."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj
import shapely

from atlas import settings

if TYPE_CHECKING:
    from numpy.typing import NDArray

_TO_METRIC = pyproj.Transformer.from_crs(settings.CRS_WGS84, settings.CRS_METRIC, always_xy=True)
_TO_LONLAT = pyproj.Transformer.from_crs(settings.CRS_METRIC, settings.CRS_WGS84, always_xy=True)


def to_metric(lon: Any, lat: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """WGS84 longitudes/latitudes to EPSG:32651 x/y in metres (arrays)."""
    x, y = _TO_METRIC.transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def to_lonlat(x: Any, y: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """EPSG:32651 x/y in metres to WGS84 longitudes/latitudes (arrays)."""
    lon, lat = _TO_LONLAT.transform(x, y)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def geometry_to_metric(geom: shapely.Geometry) -> shapely.Geometry:
    """A WGS84 shapely geometry in EPSG:32651."""
    return shapely.transform(geom, lambda xy: np.column_stack(to_metric(xy[:, 0], xy[:, 1])))


def geometry_to_lonlat(geom: shapely.Geometry) -> shapely.Geometry:
    """An EPSG:32651 shapely geometry in WGS84."""
    return shapely.transform(geom, lambda xy: np.column_stack(to_lonlat(xy[:, 0], xy[:, 1])))
