"""Downloading a walking network through osmnx (Overpass), with osmnx's HTTP cache.

An Overpass server that fails says so, and the failure is never remembered:

* HTTP 429 (too many requests), 504 (gateway timeout) or any other error status, a JSON answer
  with a ``remark`` (Overpass's "runtime error: Query timed out", "out of memory"), or an answer
  that is not JSON at all (a proxy's web page) stops the download at once with a bilingual
  message, through a response hook handed to osmnx in ``settings.requests_kwargs``. osmnx itself
  would sleep 55 s and retry a 429/504 for ever, and build a partial graph from a remark;
* osmnx caches every answer with status 200 and no remark, so an empty answer (no ``elements``)
  would be served from the cache for ever. After each download, answers it cached with no
  element are removed again: an empty area is asked again next time (and says so plainly now);
* a cache file osmnx left unreadable (it writes them in place) is removed and asked again.

A polygon crossing the antimeridian is downloaded one side at a time (osmnx would query the
convex hull of its parts: the whole band of latitude round the globe).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shapely

from atlas import settings
from atlas.errors import EmptyAreaError, NetworkUnavailableError
from atlas.geo.projection import metric_crs_for
from atlas.network.model import Progress, WalkNetwork, _noop, from_networkx
from atlas.osmfilter import WALK_FILTERS

if TYPE_CHECKING:
    import networkx as nx
    import requests


class OverpassRefusedError(Exception):
    """The Overpass server answered, but not with data (error status, remark, not JSON)."""

    def __init__(self, status: int, reason: str, remark: str = "") -> None:
        super().__init__(f"{status} {reason} {remark}".strip())
        self.status, self.reason, self.remark = status, reason, remark


def check_overpass_response(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
    """Raise :class:`OverpassRefusedError` unless an Overpass answer is JSON data with no remark.

    A ``requests`` response hook; other URLs than ``/interpreter`` (``/status``) pass untouched.
    """
    if not response.url.split("?")[0].rstrip("/").endswith("interpreter"):
        return
    if response.status_code >= 400:
        raise OverpassRefusedError(response.status_code, response.reason or "")
    try:
        data = response.json()
    except ValueError as exc:
        raise OverpassRefusedError(response.status_code, "not JSON", response.text[:80]) from exc
    if isinstance(data, dict) and data.get("remark"):
        raise OverpassRefusedError(response.status_code, "remark", str(data["remark"])[:200])


def _refused_error(url: str, exc: OverpassRefusedError) -> NetworkUnavailableError:
    local = ("请稍后再试，或改用本地 .osm.pbf 文件。", "Try again later, or use a local .osm.pbf file.")
    if exc.status == 429:
        zh, en = "繁忙（HTTP 429 请求过多）", "is busy (HTTP 429 Too Many Requests)"
    elif exc.status == 504:
        zh, en = ("超时（HTTP 504）：范围可能过大或服务器过载",
                  "timed out (HTTP 504 Gateway Timeout): the area may be too large or the server overloaded")
    elif exc.status >= 400:
        zh, en = f"返回错误（HTTP {exc.status}）", f"answered with an error (HTTP {exc.status} {exc.reason})"
    elif exc.reason == "remark":
        zh, en = (f"未能完成查询（{exc.remark}）", f"could not finish the query ({exc.remark})")
    else:
        zh, en = ("返回的不是 OSM 数据（可能是网页或代理页面）",
                  "did not answer with OSM data (a web page or a proxy's page?)")
    return NetworkUnavailableError(f"OSM 下载服务（{url}）{zh}。{local[0]}",
                                   f"The OSM download service ({url}) {en}. {local[1]}")


def _offline_error(url: str) -> NetworkUnavailableError:
    return NetworkUnavailableError(
        f"无法连接 OSM 下载服务（{url}）：本机可能离线。请改用本地 .osm.pbf 文件。",
        f"Cannot reach the OSM download service ({url}); this machine may be offline. "
        "Use a local .osm.pbf file instead.")


def _speaks_overpass_status(url: str) -> bool:
    """Reach ``url/status`` (fail fast when offline); True if it answers like Overpass does.

    osmnx reads that page to wait for a free slot, and sleeps 60 s when it cannot parse it.
    """
    import requests

    try:  # fail fast when offline: osmnx would otherwise sleep 60 s before its first request
        r = requests.get(url.rstrip("/") + "/status", timeout=5)
    except requests.exceptions.RequestException as exc:
        raise _offline_error(url) from exc
    lines = r.text.split("\n") if r.ok else []
    first = lines[4].split(" ")[0] if len(lines) > 4 else ""
    return first in ("Slot", "Currently") or first.isdigit()


def _forget_empty_answers(folder: Path, before: set[Path]) -> int:
    """Remove cache files added since ``before`` that hold no element or cannot be read."""
    removed = 0
    for f in set(folder.glob("*.json")) - before:
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
            keep = isinstance(data, dict) and bool(data.get("elements"))
        except (OSError, ValueError):
            keep = False
        if not keep:
            f.unlink(missing_ok=True)
            removed += 1
    return removed


def _forget_unreadable(folder: Path) -> int:
    """Remove cache files that are not JSON (osmnx writes them in place: a crash cuts them)."""
    removed = 0
    for f in folder.glob("*.json"):
        try:
            json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            f.unlink(missing_ok=True)
            removed += 1
    return removed


def _sides(polygon: shapely.Geometry) -> list[shapely.Geometry]:
    """The parts of a polygon east and west of the antimeridian, a centimetre clear of it."""
    east = shapely.intersection(polygon, shapely.box(0.0, -90.0, 180.0 - 1e-7, 90.0))
    west = shapely.intersection(polygon, shapely.box(-180.0 + 1e-7, -90.0, 0.0, 90.0))
    return [p for p in (east, west) if not p.is_empty and p.area > 0]


def _graph(polygon: shapely.Geometry) -> nx.MultiDiGraph:
    """The walking graph of a polygon from osmnx (clipped by :func:`from_networkx` later).

    Across the antimeridian, osmnx's ``graph_from_polygon`` cannot be used: it buffers the
    polygon by 500 m in UTM and converts back, which makes a ring that jumps round the globe.
    There each side is asked for with osmnx's own query and graph builder (the calls
    ``graph_from_polygon`` makes), and the sides composed; ways across the line come with both.
    """
    import networkx as nx
    import osmnx as ox
    from osmnx import _overpass
    from osmnx import graph as oxgraph
    from osmnx._errors import InsufficientResponseError

    x0, _, x1, _ = shapely.bounds(polygon)
    if x1 - x0 <= 180.0:
        return ox.graph_from_polygon(polygon, custom_filter=list(WALK_FILTERS), simplify=False,
                                     retain_all=True, truncate_by_edge=True)
    graphs = []
    for side in _sides(polygon):
        answers = list(_overpass._download_overpass_network(side, "walk", list(WALK_FILTERS)))
        try:
            graphs.append(oxgraph._create_graph(answers, bidirectional=True))
        except InsufficientResponseError:
            continue  # nothing on this side
    if not graphs:
        raise InsufficientResponseError("No data elements in server response.")
    return nx.compose_all(graphs)


def _fetch(polygon: shapely.Geometry, url: str, folder: Path) -> nx.MultiDiGraph:
    """Run osmnx with the atlas's settings; restore osmnx's settings afterwards."""
    import osmnx as ox

    hooks = {"response": [check_overpass_response]}
    names = ("overpass_url", "cache_folder", "use_cache", "requests_kwargs", "overpass_rate_limit")
    saved = {n: getattr(ox.settings, n) for n in names}
    try:
        ox.settings.overpass_url = url
        ox.settings.cache_folder = str(folder)
        ox.settings.use_cache = True
        ox.settings.requests_kwargs = {**saved["requests_kwargs"], "hooks": hooks}
        ox.settings.overpass_rate_limit = saved["overpass_rate_limit"] and _speaks_overpass_status(url)
        try:
            return _graph(polygon)
        except json.JSONDecodeError:  # a cache file cut short: forget it and ask again, once
            if not _forget_unreadable(folder):
                raise
            return _graph(polygon)
    finally:
        for n, v in saved.items():
            setattr(ox.settings, n, v)


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
        If the Overpass server cannot be reached (e.g. offline), is busy (HTTP 429), times out
        (504), reports an error (a ``remark``) or answers with something else than data.
    atlas.errors.EmptyAreaError
        If the server finds no walkable way in the area (open sea, a lake).

    """
    import osmnx as ox
    import requests
    from osmnx._errors import InsufficientResponseError

    report = progress or _noop
    url = overpass_url or ox.settings.overpass_url
    folder = Path(cache_folder or (settings.CACHE_DIR / "http"))
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.glob("*.json"))
    report("download", 0.05)
    try:
        g = _fetch(polygon, url, folder)
    except OverpassRefusedError as exc:
        raise _refused_error(url, exc) from exc
    except (requests.exceptions.RequestException, ConnectionError, OSError) as exc:
        raise _offline_error(url) from exc
    except InsufficientResponseError as exc:  # no element at all
        raise EmptyAreaError(
            "OSM 下载服务在该范围内没有找到可步行的道路（如海上或湖面）：该范围无法计算步行服务圈",
            "The download found no walkable ways in this area (open sea, a lake?): no walking "
            "service area can be computed there") from exc
    except ValueError as exc:  # any other answer osmnx cannot use
        raise NetworkUnavailableError(f"OSM 下载服务（{url}）的回答无法使用：{str(exc)[:160]}",
                                      f"The answer of the OSM download service ({url}) cannot be "
                                      f"used: {str(exc)[:160]}") from exc
    finally:
        _forget_empty_answers(folder, before)
    report("build", 0.9)
    meta = {"source_kind": "download", "source": url, "source_date": date.today().isoformat(),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "attribution": settings.ATTRIBUTION_OSM, "filters": list(WALK_FILTERS)}
    net = from_networkx(g, meta=meta, largest_component=largest_component,
                        crs=crs or metric_crs_for(polygon), polygon=polygon)
    report("done", 1.0)
    return net
