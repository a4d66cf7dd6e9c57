"""Areas and building a network for one: resolve an area, buffer it, read or download, cache."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import shapely

from atlas import settings
from atlas.errors import NetworkUnavailableError, ValidationError
from atlas.network.cache import buildings_path, cache_network
from atlas.network.download import download
from atlas.network.model import Progress, WalkNetwork
from atlas.network.osmfile import buildings_from_osm_file, read_graphml, read_osm_file
from atlas.projection import MetricFrame
from atlas.storage import atomic_write

if TYPE_CHECKING:
    import geopandas as gpd


def area_for_network(polygon: shapely.Geometry, *, buffer_m: float = settings.NETWORK_BUFFER_M
                     ) -> shapely.Geometry:
    """Buffer a WGS84 area by ``buffer_m`` metres so service areas near its edge are not cut.

    The buffer is measured in the area's own UTM zone.
    """
    frame = MetricFrame.for_data(polygon)
    return frame.geometry_to_lonlat(frame.geometry_to_metric(polygon).buffer(buffer_m))


def resolve_area(area: str | shapely.Geometry | tuple[float, float, float, float], *,
                 districts: gpd.GeoDataFrame | None = None) -> tuple[str, shapely.Geometry]:
    """Turn an area description into (label, WGS84 polygon).

    Parameters
    ----------
    area : str, shapely geometry or bbox tuple
        A district (Chinese/English name or adcode), ``"bbox:minlon,minlat,maxlon,maxlat"``, a
        (minlon, minlat, maxlon, maxlat) tuple, or a polygon (e.g. drawn by the user).
    districts : geopandas.GeoDataFrame, optional
        District boundaries (default: the shipped ones).

    Returns
    -------
    tuple
        (label, polygon).

    Raises
    ------
    atlas.errors.UnknownDistrictError
        For a name that is no district.
    atlas.errors.ValidationError
        For a malformed bounding box.

    """
    from atlas.geodata import load_districts, resolve_district

    if isinstance(area, shapely.Geometry):
        if area.is_empty or not area.is_valid:
            raise ValidationError("所画范围无效或为空", "The drawn area is empty or invalid")
        return "polygon:" + hashlib.sha1(area.wkb).hexdigest()[:10], area
    if isinstance(area, tuple) or (isinstance(area, str) and area.startswith("bbox:")):
        try:
            vals = (tuple(float(x) for x in area[5:].split(",")) if isinstance(area, str)
                    else tuple(float(x) for x in area))
            x0, y0, x1, y1 = vals
        except (ValueError, TypeError) as exc:
            raise ValidationError("范围格式应为 minlon,minlat,maxlon,maxlat",
                                  "A bbox must be minlon,minlat,maxlon,maxlat") from exc
        if not (x0 < x1 and y0 < y1):
            raise ValidationError("范围的最小值须小于最大值", "bbox minimums must be below maximums")
        return f"bbox:{x0:.5f},{y0:.5f},{x1:.5f},{y1:.5f}", shapely.box(x0, y0, x1, y1)
    d = districts if districts is not None else load_districts()
    row = resolve_district(str(area), d)
    return f"district:{row['adcode']}", row.geometry


def build_network(area: str | shapely.Geometry | tuple[float, float, float, float], *,
                  osm_file: str | Path | None = None, graphml: str | Path | None = None,
                  online: bool = False, overpass_url: str | None = None,
                  buffer_m: float = settings.NETWORK_BUFFER_M, cache: Path | None = None,
                  progress: Progress | None = None) -> tuple[WalkNetwork, Path]:
    """Get a walking network for an area from a local file or a download, and cache it.

    Parameters
    ----------
    area : str, shapely geometry or bbox tuple
        See :func:`resolve_area`.
    osm_file : path, optional
        A local OSM extract (``.osm.pbf`` etc.).
    graphml : path, optional
        An osmnx GraphML file.
    online : bool
        Download through osmnx when no file is given.
    overpass_url : str, optional
        Overpass endpoint for the download.
    buffer_m : float
        Buffer around the area (metres).
    cache : pathlib.Path, optional
        Cache root (default :data:`atlas.settings.CACHE_DIR`).
    progress : callable, optional
        Called with (stage, fraction done).

    Returns
    -------
    tuple
        (network, path of the cached ``.npz``).

    Raises
    ------
    atlas.errors.NetworkUnavailableError
        If no source is given, or the download fails.

    """
    label, polygon = resolve_area(area)
    clip = area_for_network(polygon, buffer_m=buffer_m)
    buildings = None
    if osm_file is not None:
        net = read_osm_file(osm_file, polygon=clip, progress=progress)
        buildings = buildings_from_osm_file(osm_file, polygon=clip)
    elif graphml is not None:
        net = read_graphml(graphml)
    elif online:
        net = download(clip, overpass_url=overpass_url, progress=progress,
                       cache_folder=Path(cache or settings.CACHE_DIR) / "http")
    else:
        raise NetworkUnavailableError(
            "没有路网来源：请提供本地 OSM 文件（.osm.pbf），或在联网时下载。",
            "No network source: give a local OSM file (.osm.pbf), or download when online.")
    net.meta["area_label"] = label
    net.meta["residential_buildings"] = 0 if buildings is None else len(buildings)
    path = cache_network(net, area_label=label, cache=cache)
    if buildings is not None and len(buildings):
        # footprints from the same source, for dasymetric demand (atlas.demand)
        atomic_write(buildings_path(path), lambda tmp: buildings.to_parquet(tmp))
    return net, path
