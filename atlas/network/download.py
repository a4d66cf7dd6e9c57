"""Downloading a walking network through osmnx (Overpass), with osmnx's HTTP cache."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import shapely

from atlas import settings
from atlas.errors import EmptyNetworkError, NetworkUnavailableError
from atlas.network.model import Progress, WalkNetwork, _noop, from_networkx
from atlas.osmfilter import WALK_FILTERS
from atlas.projection import metric_crs_for


def download(polygon: shapely.Geometry, *, overpass_url: str | None = None,
             cache_folder: Path | None = None, largest_component: bool = True,
             progress: Progress | None = None, crs: str | None = None) -> WalkNetwork:
    """Download a walking network for ``polygon`` through osmnx (Overpass), with its HTTP cache.

    Parameters
    ----------
    polygon : shapely geometry
        Area in WGS84 (buffer it first: see :func:`area_for_network`).
    overpass_url : str, optional
        Overpass endpoint (default: osmnx's setting).
    cache_folder : pathlib.Path, optional
        osmnx's HTTP cache folder (default ``CACHE_DIR/http``).
    largest_component : bool
        Keep only the largest connected component.
    progress : callable, optional
        Called with (stage, fraction done).
    crs : str, optional
        Metric CRS (default: the UTM zone of the polygon's centre).

    Returns
    -------
    WalkNetwork

    Raises
    ------
    atlas.errors.NetworkUnavailableError
        If the Overpass server cannot be reached (e.g. offline).

    """
    import osmnx as ox
    import requests

    report = progress or _noop
    url = overpass_url or ox.settings.overpass_url
    try:  # fail fast when offline: osmnx would otherwise sleep 60 s before its first request
        requests.get(url.rstrip("/") + "/status", timeout=5)
    except requests.exceptions.RequestException as exc:
        raise NetworkUnavailableError(
            f"无法连接 OSM 下载服务（{url}）：本机可能离线。请改用本地 .osm.pbf 文件。",
            f"Cannot reach the OSM download service ({url}); this machine may be offline. "
            "Use a local .osm.pbf file instead.") from exc
    saved = (ox.settings.overpass_url, ox.settings.cache_folder, ox.settings.use_cache,
             ox.settings.log_console)
    try:
        ox.settings.overpass_url = url
        ox.settings.cache_folder = str(cache_folder or (settings.CACHE_DIR / "http"))
        ox.settings.use_cache = True
        report("download", 0.05)
        g = ox.graph_from_polygon(polygon, custom_filter=list(WALK_FILTERS), simplify=False,
                                  retain_all=True, truncate_by_edge=True)
    except (requests.exceptions.RequestException, ConnectionError, OSError) as exc:
        raise NetworkUnavailableError(
            f"无法连接 OSM 下载服务（{url}）：本机可能离线。请改用本地 .osm.pbf 文件。",
            f"Cannot reach the OSM download service ({url}); this machine may be offline. "
            "Use a local .osm.pbf file instead.") from exc
    except ValueError as exc:  # osmnx raises on an empty response
        raise EmptyNetworkError(f"该范围内没有可步行的道路：{exc}",
                                f"No walkable ways in this area: {exc}") from exc
    finally:
        (ox.settings.overpass_url, ox.settings.cache_folder, ox.settings.use_cache,
         ox.settings.log_console) = saved
    report("build", 0.9)
    meta = {"source_kind": "download", "source": url, "source_date": date.today().isoformat(),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "attribution": settings.ATTRIBUTION_OSM, "filters": list(WALK_FILTERS)}
    net = from_networkx(g, meta=meta, largest_component=largest_component,
                        crs=crs or metric_crs_for(polygon))
    report("done", 1.0)
    return net
