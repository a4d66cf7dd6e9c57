"""China-datum conversion: WGS84 <-> GCJ-02 (AMap, Tencent) <-> BD-09 (Baidu).

The formulas are those of the public-domain ``prcoords`` library (CC0), ported to numpy.
Why our own port: prcoords converts one (lat, lon) tuple at a time in pure Python, while the
atlas converts whole GeoDataFrames, boundary polygons with tens of thousands of vertices and
50,000-row uploads; the vectorised port is about two orders of magnitude faster and gives the
same numbers (``tests/test_datum.py`` checks it against prcoords point by point). The inverse
transforms iterate the forward formula to a fixed point (Caijun's method, as prcoords'
``*_bored`` functions) to ~1e-9 degree, far below the ~1 m noise of GCJ-02 itself.

All functions take and return longitude first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import numpy as np
import shapely

from atlas.errors import DatumError

if TYPE_CHECKING:
    import geopandas as gpd
    from numpy.typing import ArrayLike, NDArray

Datum = Literal["wgs84", "gcj02", "bd09", "cgcs2000"]

#: Datums the atlas understands. CGCS2000 equals WGS84 to within a few centimetres at the scale
#: of city planning, so it is treated as WGS84 (no shift).
DATUMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09", "cgcs2000")



def datum_label(datum: str, lang: str = "zh") -> str:
    """A datum code (:data:`DATUMS`) as planners name it, in ``lang`` ("GCJ-02 (AMap/Tencent)")."""
    from atlas.i18n import t

    return t(f"datum_name_{datum}", lang) if datum in DATUMS else datum

_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
_BD_DLAT = 0.0060
_BD_DLON = 0.0065
_MAX_ITER = 30
_TOL_DEG = 1e-10



def _check_datum(datum: str) -> str:
    key = str(datum).lower().replace("-", "").replace("_", "").replace(" ", "")
    aliases = {"wgs84": "wgs84", "epsg4326": "wgs84", "gcj02": "gcj02", "gcj": "gcj02",
               "amap": "gcj02", "bd09": "bd09", "bd": "bd09", "baidu": "bd09",
               "cgcs2000": "cgcs2000", "epsg4490": "cgcs2000"}
    if key not in aliases:
        raise DatumError(
            f"未知坐标系 {datum!r}：请选择 WGS84、GCJ-02（高德）、BD-09（百度）或 CGCS2000",
            f"Unknown datum {datum!r}: choose WGS84, GCJ-02 (AMap), BD-09 (Baidu) or CGCS2000",
        )
    return aliases[key]


def _wgs_to_gcj(lon: NDArray[np.float64], lat: NDArray[np.float64]
                ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    dlat_m = (-100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
              + (2 * np.sin(x * 6 * pi) + 2 * np.sin(x * 2 * pi) + 2 * np.sin(y * pi)
                 + 4 * np.sin(y / 3 * pi) + 16 * np.sin(y / 12 * pi)
                 + 32 * np.sin(y / 30 * pi)) * 20 / 3)
    dlon_m = (300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
              + (2 * np.sin(x * 6 * pi) + 2 * np.sin(x * 2 * pi) + 2 * np.sin(x * pi)
                 + 4 * np.sin(x / 3 * pi) + 15 * np.sin(x / 12 * pi)
                 + 30 * np.sin(x / 30 * pi)) * 20 / 3)
    rad_lat = np.radians(lat)
    magic = 1 - _GCJ_EE * np.sin(rad_lat) ** 2
    lat_arc = np.radians((_GCJ_A * (1 - _GCJ_EE)) / magic**1.5)
    lon_arc = np.radians(_GCJ_A * np.cos(rad_lat) / np.sqrt(magic))
    return lon + dlon_m / lon_arc, lat + dlat_m / lat_arc


def _gcj_to_bd(lon: NDArray[np.float64], lat: NDArray[np.float64]
               ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r = np.hypot(lon, lat) + 0.00002 * np.sin(np.radians(lat) * 3000)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(np.radians(lon) * 3000)
    return r * np.cos(theta) + _BD_DLON, r * np.sin(theta) + _BD_DLAT


def _wgs_to_bd(lon: NDArray[np.float64], lat: NDArray[np.float64]
               ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return _gcj_to_bd(*_wgs_to_gcj(lon, lat))


_Pair = tuple["NDArray[np.float64]", "NDArray[np.float64]"]


def _invert(fwd: Callable[[NDArray[np.float64], NDArray[np.float64]], _Pair],
            lon: NDArray[np.float64], lat: NDArray[np.float64]) -> _Pair:
    """Invert ``fwd`` by fixed-point iteration, starting from the shifted input."""
    glon, glat = fwd(lon, lat)
    wlon, wlat = lon - (glon - lon), lat - (glat - lat)
    for _ in range(_MAX_ITER):
        flon, flat = fwd(wlon, wlat)
        dlon, dlat = flon - lon, flat - lat
        wlon, wlat = wlon - dlon, wlat - dlat
        if np.all(np.abs(dlon[np.isfinite(dlon)]) < _TOL_DEG) and np.all(
            np.abs(dlat[np.isfinite(dlat)]) < _TOL_DEG
        ):
            break
    return wlon, wlat


def _as_arrays(lon: ArrayLike, lat: ArrayLike
               ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def to_wgs84(lon: ArrayLike, lat: ArrayLike, *, datum: str
             ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert coordinates in ``datum`` to WGS84.

    Parameters
    ----------
    lon, lat : array-like
        Longitudes and latitudes in degrees (scalars or arrays of the same shape).
    datum : {"wgs84", "gcj02", "bd09", "cgcs2000"}
        The datum the input is in. Aliases "amap" (GCJ-02) and "baidu" (BD-09) are accepted.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitudes and latitudes. NaN stays NaN.

    Raises
    ------
    atlas.errors.DatumError
        If ``datum`` is not one the atlas knows.

    """
    d = _check_datum(datum)
    x, y = _as_arrays(lon, lat)
    if d in ("wgs84", "cgcs2000"):
        return x.copy(), y.copy()
    if d == "gcj02":
        return _invert(_wgs_to_gcj, x, y)
    return _invert(_wgs_to_bd, x, y)


def from_wgs84(lon: ArrayLike, lat: ArrayLike, *, datum: str
               ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert WGS84 coordinates to ``datum`` (e.g. to draw over AMap's GCJ-02 tiles).

    Parameters
    ----------
    lon, lat : array-like
        WGS84 longitudes and latitudes in degrees.
    datum : {"wgs84", "gcj02", "bd09", "cgcs2000"}
        Target datum.

    Returns
    -------
    tuple of numpy.ndarray
        Longitudes and latitudes in ``datum``.

    """
    d = _check_datum(datum)
    x, y = _as_arrays(lon, lat)
    if d in ("wgs84", "cgcs2000"):
        return x.copy(), y.copy()
    if d == "gcj02":
        return _wgs_to_gcj(x, y)
    return _wgs_to_bd(x, y)


def _transform_geoseries_coords(
    gdf: gpd.GeoDataFrame,
    func: Callable[[NDArray[np.float64], NDArray[np.float64]], _Pair],
) -> gpd.GeoDataFrame:
    out = gdf.copy()
    geoms = out.geometry.to_numpy()
    coords = shapely.get_coordinates(geoms)
    if len(coords):
        nx, ny = func(coords[:, 0], coords[:, 1])
        new = shapely.set_coordinates(geoms.copy(), np.column_stack([nx, ny]))
        out[out.geometry.name] = new
    return out


def gdf_to_wgs84(gdf: gpd.GeoDataFrame, *, datum: str) -> gpd.GeoDataFrame:
    """Return a copy of a lon/lat GeoDataFrame in ``datum`` converted to WGS84.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Geometries whose coordinates are longitudes/latitudes in ``datum`` (points, lines or
        polygons; every vertex is converted).
    datum : str
        Datum of the input.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with EPSG:4326 coordinates; the input is not modified.

    """
    _check_datum(datum)
    out = _transform_geoseries_coords(gdf, lambda x, y: to_wgs84(x, y, datum=datum))
    return out.set_crs("EPSG:4326", allow_override=True)


def gdf_from_wgs84(gdf: gpd.GeoDataFrame, *, datum: str) -> gpd.GeoDataFrame:
    """Return a copy of a WGS84 GeoDataFrame with coordinates shifted into ``datum``.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Geometries in EPSG:4326.
    datum : str
        Target datum (``"gcj02"`` to overlay AMap tiles).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy; its CRS stays labelled EPSG:4326 because no EPSG code exists for GCJ-02.

    """
    _check_datum(datum)
    return _transform_geoseries_coords(gdf, lambda x, y: from_wgs84(x, y, datum=datum))


def offset_signature_m(lon: ArrayLike, lat: ArrayLike) -> tuple[float, float]:
    """Return the typical GCJ-02 shift (east, north) in metres at the given WGS84 points.

    Used by the importer to recognise lists whose points are systematically off by this shift.

    Parameters
    ----------
    lon, lat : array-like
        WGS84 coordinates.

    Returns
    -------
    tuple of float
        Median eastward and northward shift in metres from WGS84 to GCJ-02.

    """
    x, y = _as_arrays(lon, lat)
    gx, gy = _wgs_to_gcj(x, y)
    east = np.radians(gx - x) * 6371000.0 * np.cos(np.radians(y))
    north = np.radians(gy - y) * 6371000.0
    return float(np.nanmedian(east)), float(np.nanmedian(north))
