"""Areas and building a network for one: resolve an area, buffer it, read or download, cache."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely

from atlas import settings
from atlas.errors import EmptyAreaError, EmptyNetworkError, NetworkUnavailableError, ValidationError
from atlas.geo.projection import MetricFrame, metric_crs_for
from atlas.io.storage import atomic_write
from atlas.network.cache import buildings_path, cache_network
from atlas.network.download import download
from atlas.network.graphml import GRAPHML_SUFFIXES, read_graphml
from atlas.network.model import Progress, WalkNetwork, _noop, from_arrays
from atlas.network.osmfile import buildings_from_osm_file, file_extent, read_osm_file

if TYPE_CHECKING:
    import geopandas as gpd


def area_for_network(polygon: shapely.Geometry, *, buffer_m: float = settings.NETWORK_BUFFER_M
                     ) -> shapely.Geometry:
    """Buffer a WGS84 area by ``buffer_m`` metres so service areas near its edge are not cut.

    The buffer is measured in the area's own UTM zone.
    """
    frame = MetricFrame.for_data(polygon)
    return frame.geometry_to_lonlat(frame.geometry_to_metric(polygon).buffer(buffer_m))


@dataclass(frozen=True)
class Area:
    """An area a network is built for.

    Attributes
    ----------
    label : str
        Stable key (``district:<adcode>``, ``bbox:...``, ``polygon:<hash>``) used by the cache.
    polygon : shapely geometry
        The area in WGS84.
    name_zh, name_en : str
        What to call it in messages (e.g. 海曙区 / Haishu).

    """

    label: str
    polygon: shapely.Geometry
    name_zh: str
    name_en: str

    def name(self, lang: str = "zh") -> str:
        """The area's name in ``lang``."""
        return self.name_en if lang == "en" else self.name_zh

    @property
    def crs(self) -> str:
        """The metric CRS of the area (UTM zone of its centre)."""
        return metric_crs_for(self.polygon)


def resolve(area: str | shapely.Geometry | tuple[float, float, float, float] | Area, *,
            districts: gpd.GeoDataFrame | None = None) -> Area:
    """Turn an area description into an :class:`Area`.

    Parameters
    ----------
    area : str, shapely geometry, bbox tuple or Area
        A district (Chinese/English name or adcode), ``"bbox:minlon,minlat,maxlon,maxlat"``, a
        (minlon, minlat, maxlon, maxlat) tuple (``minlon > maxlon``: across the antimeridian,
        as in GeoJSON), or a polygon (e.g. drawn by the user).
    districts : geopandas.GeoDataFrame, optional
        District boundaries (default: the shipped ones).

    Returns
    -------
    Area

    Raises
    ------
    atlas.errors.UnknownDistrictError
        For a name that is no district.
    atlas.errors.ValidationError
        For a malformed bounding box or an empty/invalid polygon.

    """
    from atlas.data.geodata import load_districts, resolve_district

    if isinstance(area, Area):
        return area
    if isinstance(area, shapely.Geometry):
        if area.is_empty or not area.is_valid:
            raise ValidationError("所画范围无效或为空", "The drawn area is empty or invalid")
        return Area("polygon:" + hashlib.sha1(area.wkb).hexdigest()[:10], area, "所画范围",
                    "the drawn area")
    if isinstance(area, tuple) or (isinstance(area, str) and area.startswith("bbox:")):
        try:
            vals = (tuple(float(x) for x in area[5:].split(",")) if isinstance(area, str)
                    else tuple(float(x) for x in area))
            x0, y0, x1, y1 = vals
        except (ValueError, TypeError) as exc:
            raise ValidationError("范围格式应为 minlon,minlat,maxlon,maxlat",
                                  "A bbox must be minlon,minlat,maxlon,maxlat") from exc
        return _bbox_area(x0, y0, x1, y1)
    d = districts if districts is not None else load_districts()
    row = resolve_district(str(area), d)
    return Area(f"district:{row['adcode']}", row.geometry, str(row["name_zh"]),
                str(row.get("name_en", row["name_zh"])))


def _bbox_area(x0: float, y0: float, x1: float, y1: float) -> Area:
    """The :class:`Area` of a WGS84 bounding box; ``x0 > x1`` crosses the antimeridian (GeoJSON)."""
    if not (all(-180 <= x <= 180 for x in (x0, x1)) and x0 != x1 and -90 <= y0 < y1 <= 90):
        raise ValidationError("范围应为经纬度（WGS84），且最小值须小于最大值",
                              "A bbox is WGS84 lon/lat, with minimums below maximums")
    text = f"{x0:.5f},{y0:.5f},{x1:.5f},{y1:.5f}"
    polygon = (shapely.box(x0, y0, x1, y1) if x0 < x1 else  # crossing 180°: one box on each side
               shapely.MultiPolygon([shapely.box(x0, y0, 180, y1), shapely.box(-180, y0, x1, y1)]))
    return Area(f"bbox:{text}", polygon, f"矩形范围 {text}", f"bbox {text}")


def resolve_area(area: str | shapely.Geometry | tuple[float, float, float, float], *,
                 districts: gpd.GeoDataFrame | None = None) -> tuple[str, shapely.Geometry]:
    """(label, WGS84 polygon) of an area: see :func:`resolve`."""
    a = resolve(area, districts=districts)
    return a.label, a.polygon


def _not_covered(source: str, extent: tuple[float, float, float, float], area: Area
                 ) -> EmptyNetworkError:
    x0, y0, x1, y1 = extent
    where = f"{x0:.3f}–{x1:.3f}°E, {y0:.3f}–{y1:.3f}°N"
    return EmptyNetworkError(
        f"文件 {source} 的范围（{where}）与{area.name_zh}不重叠：请使用覆盖该范围的 OSM 文件。",
        f"The file's extent ({source}: {where}) does not overlap {area.name_en}: "
        "use an OSM extract that covers it.")


def _read_file(osm_file: str | Path, area: Area, clip: shapely.Geometry, report: Progress
               ) -> WalkNetwork:
    """Read the area's network from a local OSM file, saying plainly when the file is elsewhere."""
    name = Path(osm_file).name
    extent = file_extent(osm_file, scan=False)  # header only: instant
    if extent is not None and not shapely.box(*extent).intersects(clip):
        raise _not_covered(name, extent, area)
    try:
        net = read_osm_file(osm_file, polygon=clip, crs=area.crs,
                            progress=lambda stage, f: report(stage, 0.75 * f))
    except EmptyAreaError as exc:  # file-level problems (no data, no streets) pass as they are
        extent = extent or file_extent(osm_file)
        if extent is not None and not shapely.box(*extent).intersects(clip):
            raise _not_covered(name, extent, area) from exc
        raise _no_streets_in(name, area) from exc
    if extent is not None:  # a file that covers part of the area: say how much
        frame = MetricFrame(area.crs)
        part = frame.geometry_to_metric(shapely.intersection(area.polygon, shapely.box(*extent)))
        net.meta["extent_covers_pct"] = round(
            100.0 * part.area / frame.geometry_to_metric(area.polygon).area, 1)
    return net


def _no_streets_in(source: str, area: Area) -> EmptyAreaError:
    return EmptyAreaError(
        f"{source} 在{area.name_zh}范围内没有可步行的道路（如水面、海上或无路地区）："
        "该范围无法计算步行服务圈",
        f"{source} has no walkable ways within {area.name_en} (water, open sea or land without "
        "paths): no walking service area can be computed there")


def _read_graphml(path: str | Path, area: Area, clip: shapely.Geometry) -> WalkNetwork:
    """The area's network from a GraphML file, saying plainly when the graph is elsewhere."""
    name = Path(path).name
    full = read_graphml(path, crs=area.crs, largest_component=False)
    if not shapely.intersects(clip, shapely.multipoints(np.column_stack([full.lon, full.lat]))):
        raise _not_covered(name, (float(full.lon.min()), float(full.lat.min()),
                                  float(full.lon.max()), float(full.lat.max())), area)
    ids = full.node_osmid
    try:
        return from_arrays(ids, full.lon, full.lat, np.column_stack([ids[full.u], ids[full.v]]),
                           meta=full.meta, residential=full.residential, crs=full.crs, polygon=clip)
    except EmptyNetworkError as exc:
        raise _no_streets_in(name, area) from exc


def build_network(area: str | shapely.Geometry | tuple[float, float, float, float] | Area, *,
                  osm_file: str | Path | None = None, graphml: str | Path | None = None,
                  online: bool = False, overpass_url: str | None = None,
                  buffer_m: float = settings.NETWORK_BUFFER_M, cache: Path | None = None,
                  progress: Progress | None = None) -> tuple[WalkNetwork, Path]:
    """Get a walking network for an area from a local file or a download, and cache it.

    The network is in the UTM zone of the area (:attr:`Area.crs`), stored with the cache.

    Parameters
    ----------
    area : str, shapely geometry, bbox tuple or Area
        See :func:`resolve`.
    osm_file : path, optional
        A local OSM extract (``.osm.pbf`` etc.); a ``.graphml`` file is read as ``graphml``.
    graphml : path, optional
        A GraphML street graph (e.g. ``osmnx.save_graphml``, projected or not).
    online : bool
        Download through osmnx when no file is given.
    overpass_url : str, optional
        Overpass endpoint for the download.
    buffer_m : float
        Buffer around the area (metres).
    cache : pathlib.Path, optional
        Cache root (default :data:`atlas.settings.CACHE_DIR`).
    progress : callable, optional
        Called with (stage, fraction done). Stages: ``read``, ``build``, ``buildings``,
        ``download``, ``cache``, ``done`` (labels: :func:`atlas.i18n.stage_label`).

    Returns
    -------
    tuple
        (network, path of the cached ``.npz``).

    Raises
    ------
    atlas.errors.NetworkUnavailableError
        If no source is given, or the download fails.
    atlas.errors.EmptyNetworkError
        If the source does not cover the area (the message says so) or has no walkable way in it.

    """
    report = progress or _noop
    a = resolve(area)
    clip = area_for_network(a.polygon, buffer_m=buffer_m)
    buildings = None
    if osm_file is not None and str(osm_file).lower().endswith(GRAPHML_SUFFIXES):
        osm_file, graphml = None, osm_file
    if osm_file is not None:
        net = _read_file(osm_file, a, clip, report)
        report("buildings", 0.8)
        buildings = buildings_from_osm_file(osm_file, polygon=clip)
    elif graphml is not None:
        net = _read_graphml(graphml, a, clip)
    elif online:
        net = download(clip, overpass_url=overpass_url, progress=report, crs=a.crs,
                       cache_folder=Path(cache or settings.CACHE_DIR) / "http")
    else:
        raise NetworkUnavailableError(
            "没有路网来源：请提供本地 OSM 文件（.osm.pbf），或在联网时下载。",
            "No network source: give a local OSM file (.osm.pbf), or download when online.")
    net.meta.update(area_label=a.label, area_name_zh=a.name_zh, area_name_en=a.name_en,
                    residential_buildings=0 if buildings is None else len(buildings))
    report("cache", 0.95)
    path = cache_network(net, area_label=a.label, cache=cache)
    if buildings is not None and len(buildings):
        # footprints from the same source, for dasymetric demand (atlas.analysis.demand)
        atomic_write(buildings_path(path), lambda tmp: buildings.to_parquet(tmp))
    report("done", 1.0)
    return net, path
