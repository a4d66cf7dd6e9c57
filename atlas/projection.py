"""Metric CRS chosen for the place, and WGS84 <-> metric conversion: one place for all of it.

Metres must be true metres wherever the data is. Like osmnx's ``projection.project_graph``, the
metric CRS of a dataset is the UTM zone of its centroid (WGS84 / UTM, EPSG:326zz north of the
equator, 327zz south of it). Ningbo (120.9-122.3 E) falls in zone 51N, EPSG:32651; Zhejiang
west of 120 E is in zone 50N, Andorra in 31N, Monaco in 32N.

Use :func:`metric_crs_for` once, where a dataset enters the engine, carry the result with the
data (e.g. ``WalkNetwork.crs``), and convert through a :class:`MetricFrame` built from it::

    frame = MetricFrame(metric_crs_for(polygon))
    x, y = frame.to_metric(lon, lat)

No module may assume a fixed metric CRS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj
import shapely

from atlas.errors import ValidationError

if TYPE_CHECKING:
    import geopandas as gpd
    from numpy.typing import NDArray

#: Storage CRS of everything the atlas keeps: WGS84 longitude/latitude.
WGS84 = "EPSG:4326"


def utm_crs(lon: float, lat: float) -> str:
    """The WGS84 / UTM zone CRS (``"EPSG:326zz"`` or ``"EPSG:327zz"``) containing a point.

    Parameters
    ----------
    lon, lat : float
        WGS84 longitude and latitude in degrees.

    Returns
    -------
    str
        An EPSG code string.

    Raises
    ------
    atlas.errors.ValidationError
        If the point is not a finite WGS84 position.

    """
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError(f"无法为坐标 ({lon}, {lat}) 选择投影：不是有效的经纬度",
                              f"Cannot choose a projection for ({lon}, {lat}): not a WGS84 position")
    zone = min(math.floor((lon + 180.0) / 6.0) + 1, 60)
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def metric_crs_for(data: Any) -> str:
    """The metric CRS for a dataset: the UTM zone of its centroid.

    Parameters
    ----------
    data : shapely geometry, GeoDataFrame/GeoSeries, (minlon, minlat, maxlon, maxlat) or (lon, lat) arrays
        WGS84 data. GeoPandas objects in another CRS are converted first.

    Returns
    -------
    str
        E.g. ``"EPSG:32651"`` for Ningbo.

    """
    if isinstance(data, shapely.Geometry):
        minx, miny, maxx, maxy = shapely.bounds(data)
    elif hasattr(data, "total_bounds"):
        gdf = data if data.crs is None or pyproj.CRS(data.crs).equals(pyproj.CRS(WGS84)) \
            else data.to_crs(WGS84)
        minx, miny, maxx, maxy = gdf.total_bounds
    elif isinstance(data, tuple) and len(data) == 2:
        lon = np.asarray(data[0], dtype=np.float64)
        lat = np.asarray(data[1], dtype=np.float64)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any():
            raise ValidationError("没有有效坐标，无法选择投影", "No valid coordinates to choose a projection")
        minx, maxx = float(lon[ok].min()), float(lon[ok].max())
        miny, maxy = float(lat[ok].min()), float(lat[ok].max())
    else:
        minx, miny, maxx, maxy = (float(v) for v in data)
    return utm_crs((float(minx) + float(maxx)) / 2.0, (float(miny) + float(maxy)) / 2.0)


@lru_cache(maxsize=64)
def is_metric_crs(crs: str) -> bool:
    """True if ``crs`` is a projected CRS whose axes are in metres (e.g. a UTM zone)."""
    try:
        c = pyproj.CRS(crs)
    except pyproj.exceptions.CRSError:
        return False
    return bool(c.is_projected) and all(a.unit_name in ("metre", "meter") for a in c.axis_info)


def crs_label(crs: str) -> str:
    """A short human name of a CRS with its code, e.g. ``"WGS 84 / UTM zone 51N (EPSG:32651)"``."""
    return f"{pyproj.CRS(crs).name} ({crs})"


@lru_cache(maxsize=64)
def _transformer(src: str, dst: str) -> pyproj.Transformer:
    # Transformers are immutable and expensive to build: one per CRS pair, shared (thread-safe
    # in pyproj >= 3.1 when used from one thread at a time per call; pyproj copies context).
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


@dataclass(frozen=True)
class MetricFrame:
    """Conversions between WGS84 and one metric CRS (metres).

    Parameters
    ----------
    crs : str
        The metric CRS, normally from :func:`metric_crs_for`.

    """

    crs: str

    def to_metric(self, lon: Any, lat: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """WGS84 longitudes/latitudes to x/y in metres (arrays)."""
        x, y = _transformer(WGS84, self.crs).transform(lon, lat)
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def to_lonlat(self, x: Any, y: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """x/y in metres to WGS84 longitudes/latitudes (arrays)."""
        lon, lat = _transformer(self.crs, WGS84).transform(x, y)
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)

    def geometry_to_metric(self, geom: shapely.Geometry) -> shapely.Geometry:
        """A WGS84 shapely geometry (or array of them) in this metric CRS."""
        return shapely.transform(geom, lambda xy: np.column_stack(self.to_metric(xy[:, 0], xy[:, 1])))

    def geometry_to_lonlat(self, geom: shapely.Geometry) -> shapely.Geometry:
        """A metric shapely geometry (or array of them) in WGS84."""
        return shapely.transform(geom, lambda xy: np.column_stack(self.to_lonlat(xy[:, 0], xy[:, 1])))

    def gdf_to_metric(self, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """A GeoDataFrame in this metric CRS (a new frame)."""
        return gdf.to_crs(self.crs)

    @classmethod
    def for_data(cls, data: Any) -> MetricFrame:
        """The frame of :func:`metric_crs_for` ``(data)``."""
        return cls(metric_crs_for(data))
