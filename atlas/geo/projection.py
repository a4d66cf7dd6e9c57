"""Metric CRS chosen for the place, and WGS84 <-> metric conversion: one place for all of it.

Metres must be true metres wherever the data is. Like osmnx's ``projection.project_graph``, the
metric CRS of a dataset is the UTM zone of its centre (WGS84 / UTM, EPSG:326zz north of the
equator, 327zz south of it). Ningbo (120.9-122.3 E) falls in zone 51N, EPSG:32651; Zhejiang
west of 120 E is in zone 50N, Andorra in 31N, Monaco in 32N.

The centre is taken so that it is right everywhere on the globe, not only in Ningbo:

* **Longitude** is the middle of the shortest arc of longitude holding all the data, so data
  that crosses the antimeridian (Fiji, Chukotka: longitudes 179.9 and -179.9) is centred at
  180°, not at 0° (the middle of its bounding box, ten thousand kilometres away). A bounding
  box with ``minlon > maxlon`` crosses the antimeridian (the GeoJSON convention); so does one
  more than 180° wide, as no metric CRS serves half the globe.
* **Latitude**: UTM is defined from 80° S to 84° N. Beyond, the CRS is the Lambert azimuthal
  equal-area projection centred on the pole, WGS 84 / NSIDC EASE-Grid 2.0 North (EPSG:6931) or
  South (EPSG:6932): scale is exact at the pole and within 0.4 % out to 80°, where Universal
  Polar Stereographic (EPSG:32661, scale 0.994 at the pole) would be 0.6 % short. An area across
  the equator takes the hemisphere of its centre; UTM northings simply continue across it.

:meth:`MetricFrame.geometry_to_lonlat` returns geometries that cross the antimeridian split into
parts on either side of it (as GeoJSON asks), never as a ring jumping from 179.9 to -179.9.

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


#: Latitudes beyond which UTM is not defined (and the polar CRS below is used instead).
UTM_NORTH_LIMIT, UTM_SOUTH_LIMIT = 84.0, -80.0
#: Polar metric CRSs: WGS 84 / NSIDC EASE-Grid 2.0 North and South (Lambert azimuthal
#: equal-area centred on the pole).
POLAR_NORTH, POLAR_SOUTH = "EPSG:6931", "EPSG:6932"
#: Longest edge (metres) converted to longitude/latitude from a polar CRS.
POLAR_SEGMENT_M = 5.0


def metric_crs_at(lon: float, lat: float) -> str:
    """The metric CRS for data centred at (lon, lat): its UTM zone, or a polar CRS beyond UTM.

    Parameters
    ----------
    lon, lat : float
        WGS84 longitude and latitude of the data's centre, in degrees.

    Returns
    -------
    str
        :func:`utm_crs` from 80° S to 84° N, else :data:`POLAR_NORTH` / :data:`POLAR_SOUTH`.

    Raises
    ------
    atlas.errors.ValidationError
        If the point is not a finite WGS84 position.

    """
    crs = utm_crs(lon, lat)  # validates
    if lat > UTM_NORTH_LIMIT:
        return POLAR_NORTH
    if lat < UTM_SOUTH_LIMIT:
        return POLAR_SOUTH
    return crs


def _wrap(lon: Any) -> Any:
    """Longitudes brought into [-180, 180)."""
    return (np.asarray(lon, dtype=np.float64) + 180.0) % 360.0 - 180.0


def centre_longitude(lon: Any) -> float:
    """The middle of the shortest arc of longitude that holds every value of ``lon``.

    Data crossing the antimeridian (longitudes near 180 and near -180) is centred near 180°;
    other data at the middle of its longitude range.

    Parameters
    ----------
    lon : array-like
        Finite longitudes in degrees (any range; wrapped first).

    Returns
    -------
    float
        A longitude in [-180, 180).

    """
    lons = np.unique(_wrap(lon))
    if lons.size == 0:
        raise ValidationError("没有有效坐标，无法选择投影", "No valid coordinates to choose a projection")
    if lons[-1] - lons[0] <= 180.0:
        return float(lons[0] + lons[-1]) / 2.0
    # the arc is the circle less its widest gap between neighbouring longitudes
    gaps = np.append(np.diff(lons), lons[0] + 360.0 - lons[-1])
    i = int(np.argmax(gaps))
    first, last = lons[(i + 1) % lons.size], lons[i]
    width = (last - first) % 360.0
    return float(_wrap(first + width / 2.0))


def _bbox_centre_longitude(minx: float, maxx: float) -> float:
    """Centre longitude of a bounding box; ``minx > maxx`` or a width over 180° crosses 180°."""
    if minx > maxx:  # GeoJSON: a box crossing the antimeridian
        return float(_wrap(minx + ((maxx - minx) % 360.0) / 2.0))
    if maxx - minx > 180.0:
        return float(_wrap((minx + maxx) / 2.0 + 180.0))
    return (minx + maxx) / 2.0


def metric_crs_for(data: Any) -> str:
    """The metric CRS for a dataset: the UTM zone of its centre (polar CRS beyond UTM).

    See the module docstring for how the centre is found across the antimeridian and the poles.

    Parameters
    ----------
    data : shapely geometry, GeoDataFrame/GeoSeries, (minlon, minlat, maxlon, maxlat) or (lon, lat) arrays
        WGS84 data. GeoPandas objects in another CRS are converted first. A bounding box with
        ``minlon > maxlon`` crosses the antimeridian.

    Returns
    -------
    str
        E.g. ``"EPSG:32651"`` for Ningbo.

    Raises
    ------
    atlas.errors.ValidationError
        For data with no valid coordinate.

    """
    if _is_bbox(data):
        minx, miny, maxx, maxy = (float(v) for v in data)
        return metric_crs_at(_bbox_centre_longitude(minx, maxx), (miny + maxy) / 2.0)
    lon, lat = _coordinates(data)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        raise ValidationError("没有有效坐标，无法选择投影", "No valid coordinates to choose a projection")
    lon, lat = lon[ok], lat[ok]
    return metric_crs_at(centre_longitude(lon), (float(lat.min()) + float(lat.max())) / 2.0)


def _is_bbox(data: Any) -> bool:
    """True for a plain (minlon, minlat, maxlon, maxlat) sequence of four numbers."""
    if not isinstance(data, tuple | list | np.ndarray) or len(data) != 4:
        return False
    return all(isinstance(v, int | float | np.number) for v in data)


def _coordinates(data: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """WGS84 longitudes and latitudes of every vertex of ``data`` (see :func:`metric_crs_for`)."""
    if isinstance(data, tuple) and len(data) == 2:
        return (np.asarray(data[0], dtype=np.float64).ravel(),
                np.asarray(data[1], dtype=np.float64).ravel())
    if hasattr(data, "total_bounds"):
        gdf = data if data.crs is None or pyproj.CRS(data.crs).equals(pyproj.CRS(WGS84)) \
            else data.to_crs(WGS84)
        minx, miny, maxx, maxy = (float(v) for v in gdf.total_bounds)
        if maxx - minx <= 180.0:  # no question where the centre is: skip reading every vertex
            return np.array([minx, maxx]), np.array([miny, maxy])
        data = np.asarray(gdf.geometry.to_numpy())
    if isinstance(data, shapely.Geometry | np.ndarray):
        xy = shapely.get_coordinates(data)
        return xy[:, 0], xy[:, 1]
    raise ValidationError("无法从该数据选择投影",
                          f"Cannot choose a projection for {type(data).__name__} data")


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


def split_at_antimeridian(geom: shapely.Geometry) -> shapely.Geometry:
    """A WGS84 geometry whose coordinates jump across the antimeridian, as parts on either side.

    Projecting back from a metric CRS gives longitudes in [-180, 180], so a street or service
    area crossing 180° comes back with vertices at 179.9 and -179.9 joined by edges that run
    the wrong way round the globe. Here each line and ring is first made continuous (its
    longitudes unwrapped vertex by vertex); a ring that winds once round a pole (an area
    holding the pole) is closed along the pole's latitude. The geometry is then cut at ±180°
    and each piece moved back into [-180, 180] (the GeoJSON convention, RFC 7946 §3.1.9).
    Geometries spanning at most 180° of longitude, and points, are returned unchanged.
    Written here rather than taken from the ``antimeridian`` package: with continuous
    longitudes the cut is one shapely intersection per side.
    """
    xy = shapely.get_coordinates(geom)
    if len(xy) == 0 or xy[:, 0].max() - xy[:, 0].min() <= 180.0 or shapely.get_dimensions(geom) == 0:
        return geom
    dim = shapely.get_dimensions(geom)
    cont = shapely.union_all([_continuous(part) for part in shapely.get_parts(geom)])
    lo, hi = shapely.bounds(cont)[[0, 2]]
    parts = []
    for shift in np.arange(-360.0 * np.ceil((hi - 180.0) / 360.0), 360.0 * np.ceil((-180.0 - lo) / 360.0) + 1,
                           360.0):
        piece = shapely.intersection(cont, shapely.box(-180.0 - shift, -90.0, 180.0 - shift, 90.0))
        piece = shapely.transform(piece, lambda p, s=shift: p + np.array([s, 0.0]))
        # a cut can leave slivers of lower dimension (a point where a ring touches 180°): drop them
        parts += [q for q in shapely.get_parts(piece) if shapely.get_dimensions(q) == dim]
    return shapely.union_all(parts)


def _unwrapped(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Coordinates with longitudes made continuous along the sequence."""
    return np.column_stack([np.degrees(np.unwrap(np.radians(xy[:, 0]))), xy[:, 1]])


def _continuous(part: shapely.Geometry) -> shapely.Geometry:
    """One line or polygon with continuous longitudes (a polygon round a pole closed along it)."""
    if not isinstance(part, shapely.Polygon):
        return shapely.LineString(_unwrapped(shapely.get_coordinates(part)))
    ext = _unwrapped(np.asarray(part.exterior.coords))
    turn = ext[-1, 0] - ext[0, 0]
    if abs(turn) > 180.0:  # winds round a pole: go along the pole's latitude back to the start
        pole = 90.0 if ext[:, 1].mean() > 0 else -90.0
        ext = np.vstack([ext, [[ext[-1, 0], pole], [ext[0, 0], pole]], ext[:1]])
    holes = []
    for ring in part.interiors:
        h = _unwrapped(np.asarray(ring.coords))
        h[:, 0] += 360.0 * np.round((ext[:, 0].mean() - h[:, 0].mean()) / 360.0)
        holes.append(h)
    return shapely.make_valid(shapely.Polygon(ext, holes))


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

    def geometry_to_lonlat(self, geom: Any) -> Any:
        """A metric shapely geometry (or array of them) in WGS84.

        A geometry crossing the antimeridian comes back split into its parts east and west of
        it (see :func:`split_at_antimeridian`), never as a ring jumping across the globe. In a
        polar CRS, edges are first cut every :data:`POLAR_SEGMENT_M` metres: near a pole a
        straight edge is far from straight in longitude/latitude.
        """
        if self.crs in (POLAR_NORTH, POLAR_SOUTH):
            geom = shapely.segmentize(geom, POLAR_SEGMENT_M)
        out = shapely.transform(geom, lambda xy: np.column_stack(self.to_lonlat(xy[:, 0], xy[:, 1])))
        b = np.atleast_2d(shapely.bounds(out))
        wide = np.flatnonzero(b[:, 2] - b[:, 0] > 180.0)
        if wide.size == 0:
            return out
        if isinstance(out, shapely.Geometry):
            return split_at_antimeridian(out)
        out = np.array(out, dtype=object)
        for i in wide:
            out[i] = split_at_antimeridian(out[i])
        return out

    def gdf_to_metric(self, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """A GeoDataFrame in this metric CRS (a new frame)."""
        return gdf.to_crs(self.crs)

    @classmethod
    def for_data(cls, data: Any) -> MetricFrame:
        """The frame of :func:`metric_crs_for` ``(data)``."""
        return cls(metric_crs_for(data))
