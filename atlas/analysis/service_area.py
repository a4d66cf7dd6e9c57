"""Walking service areas (15分钟科普服务圈) on a :class:`atlas.network.WalkNetwork`.

Method, per site:

1. **Snap** the site to the nearest *edge* (shapely STRtree), at fraction ``t`` along it; the
   straight access distance counts against the budget. Sites farther than ``snap_limit_m``
   from every edge are flagged and get no area (never a circle in disguise).
2. **Shortest paths** from a virtual node joined to the edge's two ends (weights
   ``access + t*L`` and ``access + (1-t)*L``) with ``scipy.sparse.csgraph.dijkstra`` and a
   ``limit`` equal to the budget, on the network's CSR matrix (compiled code).
3. **Reachable parts of edges** (:func:`atlas.analysis.reach.reach`): from an end reached with
   distance ``d`` the walker covers ``budget - d`` metres of each incident edge; the two ends'
   pieces merge when they meet; the site's own edge is covered ``budget - access`` metres
   either way from the snap point. Edges are straight (see :mod:`atlas.network`), so cutting a
   piece is linear interpolation, vectorised over all edges at once.
4. The pieces are **buffered** by the street half-width (default 25 m) into one polygon: each
   piece's Minkowski sum with one fixed 16-gon, all united by Clipper2
   (:mod:`atlas.analysis.reach`). No convex hull; a concave-hull preview exists and is labelled
   as such.

Graduated bands (``minutes=[5, 10, 15]``) share one search per site (to the largest budget),
and each smaller area lies within the larger (:func:`atlas.analysis.reach.band_polygons`).

With no network, :func:`proxy_areas` gives straight-line circles of radius
``budget / detour_factor`` with ``method = "euclidean-proxy"``; the two are never mixed in one
result.

Every distance, buffer and area is in true metres: in the network's own CRS
(:attr:`atlas.network.WalkNetwork.crs`, the UTM zone of its area), or for proxies in the UTM
zone of the sites. Each result row records that CRS in its ``crs`` column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from atlas import settings
from atlas.analysis.reach import band_polygons, reach, to_local, touching
from atlas.errors import EmptyNetworkError, ValidationError
from atlas.geo.projection import MetricFrame, metric_crs_for
from atlas.network import edge_csr

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from atlas.network import WalkNetwork

METHOD_NETWORK = "network"
METHOD_PROXY = "euclidean-proxy"
METHOD_CONCAVE = "network-concave-preview"
#: Sites whose node distances are held at once (8 x 1M nodes x 8 bytes = 64 MB).
SITE_CHUNK = 8



def budget_metres(*, minutes: float = settings.WALK_MINUTES,
                  speed_kmh: float = settings.WALK_SPEED_KMH, metres: float | None = None) -> float:
    """Walking budget in metres: ``metres`` if given, else minutes x speed (15 min x 4.5 km/h = 1,125 m).

    Raises
    ------
    atlas.errors.ValidationError
        For a non-positive budget.

    """
    b = float(metres) if metres is not None else float(minutes) * float(speed_kmh) * 1000.0 / 60.0
    if not np.isfinite(b) or b <= 0:
        raise ValidationError("步行时间、速度或距离须为正数", "Minutes, speed and distance must be positive")
    return b


@dataclass(frozen=True)
class Snap:
    """Where sites join the network (arrays of one entry per site)."""

    edge: NDArray[np.int64]
    t: NDArray[np.float64]
    access_m: NDArray[np.float64]
    point_x: NDArray[np.float64]
    point_y: NDArray[np.float64]


def sites_xy(sites: gpd.GeoDataFrame, *, crs: str) -> NDArray[np.float64]:
    """Metric coordinates, in ``crs``, of point sites given in WGS84 (shape (n, 2)).

    Raises
    ------
    atlas.errors.ValidationError
        If the sites are not in WGS84 or some have no position.

    """
    if sites.crs is None or sites.crs.to_epsg() != 4326:
        raise ValidationError("站点坐标系应为 WGS84 (EPSG:4326)", "Sites must be in WGS84 (EPSG:4326)")
    geoms = sites.geometry.to_numpy()
    if shapely.is_missing(geoms).any() or shapely.is_empty(geoms).any():
        raise ValidationError("有站点没有坐标：请先排除未定位的站点",
                              "Some sites have no position: leave unplaced sites out first")
    x, y = MetricFrame(crs).to_metric(shapely.get_x(geoms), shapely.get_y(geoms))
    return np.column_stack([x, y]).astype(np.float64)


def snap(net: WalkNetwork, xy: NDArray[np.float64]) -> Snap:
    """Snap metric points to their nearest edge.

    Returns
    -------
    Snap
        Edge index, fraction ``t`` from the edge's ``u`` end, access distance and snap point.

    """
    pts = shapely.points(xy)
    idx, dist = net.edge_tree.query_nearest(pts, return_distance=True, all_matches=False)
    order = np.argsort(idx[0])
    edge = idx[1][order].astype(np.int64)
    dist = dist[order]
    ux, uy = net.x[net.u[edge]], net.y[net.u[edge]]
    vx, vy = net.x[net.v[edge]], net.y[net.v[edge]]
    dx, dy = vx - ux, vy - uy
    l2 = dx * dx + dy * dy
    t = np.where(l2 > 0, ((xy[:, 0] - ux) * dx + (xy[:, 1] - uy) * dy) / np.where(l2 > 0, l2, 1), 0.0)
    t = np.clip(t, 0.0, 1.0)
    return Snap(edge, t, dist.astype(np.float64), ux + t * dx, uy + t * dy)


def _augmented(net: WalkNetwork, s: Snap) -> sparse.csr_matrix:
    """The network's CSR matrix plus one virtual source node per site (edges out of it only).

    The sites' rows go through :func:`atlas.network.edge_csr` like the network's own (a site
    snapped onto a node has a zero-length access edge, which must not vanish) and are appended
    to the network's matrix by concatenation: no sparse arithmetic that would drop entries.
    """
    n, k = net.n_nodes, len(s.edge)
    length = net.length[s.edge]
    rows = np.repeat(np.arange(k), 2)
    cols = np.column_stack([net.u[s.edge], net.v[s.edge]]).ravel()
    w = np.column_stack([s.access_m + s.t * length, s.access_m + (1 - s.t) * length]).ravel()
    base = net.csr
    extra = edge_csr(rows, cols, w, shape=(k, n + k), row_offset=n)
    return sparse.csr_matrix((np.concatenate([base.data, extra.data]),
                              np.concatenate([base.indices, extra.indices]),
                              np.concatenate([base.indptr, extra.indptr[1:] + base.indptr[-1]])),
                             shape=(n + k, n + k))


def node_distances(net: WalkNetwork, s: Snap, *, limit: float, min_only: bool = False
                   ) -> NDArray[np.float64]:
    """Walking distances from sites to every node (inf beyond ``limit``).

    Parameters
    ----------
    net : WalkNetwork
        The network.
    s : Snap
        The sites' snaps.
    limit : float
        Budget in metres (search stops there).
    min_only : bool
        If True, one multi-source pass: distance from the *nearest* site (shape (n_nodes,)).

    Returns
    -------
    numpy.ndarray
        Shape (n_sites, n_nodes), or (n_nodes,) with ``min_only``.

    """
    n, k = net.n_nodes, len(s.edge)
    if min_only:  # one pass from virtual sources joined to every site's edge
        g = _augmented(net, s)
        d = csgraph.dijkstra(g, directed=True, indices=np.arange(n, n + k), limit=limit,
                             min_only=True)
        return np.asarray(d[:n])
    # Per site: searches from the snapped edge's two ends, offset by the distance to each end.
    # Same result as the virtual node, without rebuilding the matrix for every site.
    out = np.empty((k, n))
    length = net.length[s.edge]
    for i in range(k):  # one site at a time keeps memory at O(n)
        ends = [int(net.u[s.edge[i]]), int(net.v[s.edge[i]])]
        off = np.array([s.access_m[i] + s.t[i] * length[i],
                        s.access_m[i] + (1 - s.t[i]) * length[i]])
        if off.min() > limit:
            out[i] = np.inf
            continue
        d = csgraph.dijkstra(net.csr, directed=True, indices=ends, limit=limit - off.min())
        d += off[:, None]  # in place, and the minimum straight into the output: each pass over
        best = np.minimum(d[0], d[1], out=out[i])  # all nodes costs as much as the search
        best[best > limit] = np.inf
    return out


def _to_wgs84(geoms: list[shapely.Geometry], crs: str) -> list[shapely.Geometry]:
    # MetricFrame splits areas crossing the antimeridian into their parts on either side
    return list(MetricFrame(crs).geometry_to_lonlat(np.array(geoms, dtype=object)))


def budgets(*, minutes: float | Sequence[float] = settings.WALK_MINUTES,
            speed_kmh: float = settings.WALK_SPEED_KMH,
            metres: float | Sequence[float] | None = None) -> tuple[list[float], list[float]]:
    """Walking budgets in metres and in minutes, smallest first (one or several bands).

    ``minutes`` or ``metres`` may be one value or a list (e.g. ``[5, 10, 15]``); ``metres``
    wins when given. Repeated values count once.

    Raises
    ------
    atlas.errors.ValidationError
        For an empty list or a non-positive value.

    """
    given = metres if metres is not None else minutes
    values: list[object] = [given] if np.isscalar(given) else list(given)  # type: ignore[arg-type]
    if not values:
        raise ValidationError("请至少给出一个步行时间或距离", "Give at least one walking time or distance")
    try:
        floats = sorted({float(v) for v in values})  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError("步行时间或距离须为数字",
                              "Walking times and distances must be numbers") from None
    per_min = float(speed_kmh) * 1000.0 / 60.0
    if metres is not None:
        out_m = [budget_metres(metres=m) for m in floats]
        return out_m, [m / per_min for m in out_m]
    return [budget_metres(minutes=m, speed_kmh=speed_kmh) for m in floats], floats


def service_areas(net: WalkNetwork, sites: gpd.GeoDataFrame, *,
                  minutes: float | Sequence[float] = settings.WALK_MINUTES,
                  speed_kmh: float = settings.WALK_SPEED_KMH, metres: float | Sequence[float] | None = None,
                  snap_limit_m: float = settings.SNAP_LIMIT_M,
                  half_width_m: float = settings.STREET_HALF_WIDTH_M,
                  id_column: str = "id", preview: bool = False) -> gpd.GeoDataFrame:
    """Walking service areas of point sites on a network, for one budget or graduated bands.

    Each site gets one budget-limited shortest-path search (to the largest budget); every
    band's area comes from it, and each smaller area lies within the larger ones
    (:func:`atlas.analysis.reach.band_polygons`).

    Parameters
    ----------
    net : WalkNetwork
        The walking network (must cover the sites).
    sites : geopandas.GeoDataFrame
        Point sites in WGS84 with an id column.
    minutes : float or list of float
        Walking time(s), e.g. ``15`` or ``[5, 10, 15]`` (default 15).
    speed_kmh : float
        Walking speed (default 4.5 km/h).
    metres : float or list of float, optional
        Budget(s) as distances (override minutes x speed; e.g. the 800 m / 1,000 m presets).
    snap_limit_m : float
        Sites farther than this from every edge are flagged and get no area.
    half_width_m : float
        Street half-width used to buffer reachable edge parts.
    id_column : str
        Column identifying sites.
    preview : bool
        If True, return fast concave hulls of reached nodes (``method`` =
        ``network-concave-preview``), not exact areas.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per site and budget (sites in their order, budgets smallest first):
        ``site_id``, ``minutes``, ``speed_kmh``, ``metres``, ``method``, ``area_km2``,
        ``snap_m``, ``flag`` ("" or "snap_too_far"), ``network_source``, ``network_date``,
        ``crs`` (the metric CRS of the computation), geometry (WGS84; empty when flagged).

    """
    metres_b, minutes_b = budgets(minutes=minutes, speed_kmh=speed_kmh, metres=metres)
    if net.n_edges == 0:
        raise EmptyNetworkError("路网中没有道路：无法计算步行服务圈",
                                "The network has no streets: no walking service area can be computed")
    xy = sites_xy(sites, crs=net.crs)
    s = snap(net, xy)
    ok = s.access_m <= snap_limit_m
    nb = len(metres_b)
    geoms: list[shapely.Geometry] = [shapely.Polygon()] * (len(sites) * nb)
    ok_idx = np.flatnonzero(ok)
    for start in range(0, len(ok_idx), SITE_CHUNK):  # memory: SITE_CHUNK x n_nodes distances
        idx = ok_idx[start:start + SITE_CHUNK]
        sub = Snap(s.edge[idx], s.t[idx], s.access_m[idx], s.point_x[idx], s.point_y[idx])
        dist = node_distances(net, sub, limit=metres_b[-1])
        for j, i in enumerate(idx):
            site = (xy[i], (sub.point_x[j], sub.point_y[j]), int(sub.edge[j]), float(sub.t[j]),
                    float(sub.access_m[j]))
            geoms[i * nb:(i + 1) * nb] = (_preview(net, dist[j], metres_b, half_width_m) if preview
                                          else _site_bands(net, dist[j], metres_b, site, half_width_m))
    area_km2 = [g.area / 1e6 for g in geoms]
    return gpd.GeoDataFrame({
        "site_id": np.repeat(sites[id_column].astype(str).to_numpy(), nb),
        "minutes": np.tile(minutes_b, len(sites)),
        "speed_kmh": float(speed_kmh),
        "metres": np.tile(metres_b, len(sites)),
        "method": METHOD_CONCAVE if preview else METHOD_NETWORK,
        "area_km2": area_km2,
        "snap_m": np.repeat(s.access_m, nb),
        "flag": np.repeat(np.where(ok, "", "snap_too_far"), nb),
        "network_source": str(net.meta.get("source", "")),
        "network_date": str(net.meta.get("source_date", "")),
        "crs": net.crs,
    }, geometry=_to_wgs84(geoms, net.crs), crs=settings.CRS_WGS84)


def _site_bands(net: WalkNetwork, dist: NDArray[np.float64], budgets_m: list[float],
                site: tuple, half_width_m: float) -> list[shapely.Geometry]:
    """One site's nested areas, one per budget (its distances searched to the largest)."""
    xy, snap_xy, edge, t, access = site
    access_line = to_local(net, np.array([[xy, snap_xy]]))
    cand = touching(net, dist)
    reaches = [reach(net, dist, b, own_edge=edge, own_t=t, access=access, cand=cand) for b in budgets_m]
    extra = [access_line if access <= b else None for b in budgets_m]
    return band_polygons(net, reaches, half_width_m=half_width_m, extra=extra)


def _preview(net: WalkNetwork, dist: NDArray[np.float64], budgets_m: list[float],
             half_width_m: float) -> list[shapely.Geometry]:
    """Concave hulls of the reached nodes (a labelled preview, not an exact area)."""
    out = []
    for b in budgets_m:
        reached = np.flatnonzero(dist <= b)
        pts = shapely.multipoints(np.column_stack([net.x[reached], net.y[reached]]))
        out.append(shapely.buffer(shapely.concave_hull(pts, ratio=0.3), half_width_m))
    return out


def proxy_areas(sites: gpd.GeoDataFrame, *, minutes: float | Sequence[float] = settings.WALK_MINUTES,
                speed_kmh: float = settings.WALK_SPEED_KMH, metres: float | Sequence[float] | None = None,
                detour_factor: float = settings.DETOUR_FACTOR, id_column: str = "id",
                crs: str | None = None) -> gpd.GeoDataFrame:
    """Straight-line stand-ins when no walking network is available (labelled as such).

    Radius = budget / ``detour_factor`` (1,125 m / 1.3 ≈ 865 m by default), drawn in ``crs``
    (default: the UTM zone of the sites, :func:`atlas.geo.projection.metric_crs_for`). ``method``
    is ``"euclidean-proxy"`` on every row; exports and the app label these as approximations.
    Several budgets (bands) give one row per site and budget, as :func:`service_areas`.
    """
    if detour_factor < 1:
        raise ValidationError("绕行系数应不小于 1", "The detour factor must be at least 1")
    metres_b, minutes_b = budgets(minutes=minutes, speed_kmh=speed_kmh, metres=metres)
    crs = crs or metric_crs_for(sites)
    pts = np.repeat(shapely.points(sites_xy(sites, crs=crs)), len(metres_b))
    radius = np.tile(np.asarray(metres_b) / detour_factor, len(sites))
    geoms = list(shapely.buffer(pts, radius, quad_segs=16))
    return gpd.GeoDataFrame({
        "site_id": np.repeat(sites[id_column].astype(str).to_numpy(), len(metres_b)),
        "minutes": np.tile(minutes_b, len(sites)),
        "speed_kmh": float(speed_kmh),
        "metres": np.tile(metres_b, len(sites)),
        "method": METHOD_PROXY,
        "area_km2": [g.area / 1e6 for g in geoms],
        "snap_m": np.nan,
        "flag": "",
        "network_source": f"none (straight line, detour factor {detour_factor:g})",
        "network_date": "",
        "crs": crs,
    }, geometry=_to_wgs84(geoms, crs), crs=settings.CRS_WGS84)


def areas_for(sites: gpd.GeoDataFrame, *, network: WalkNetwork | None, **options: float
              ) -> gpd.GeoDataFrame:
    """Walking service areas when a network is available, else labelled straight-line proxies.

    The two are never mixed: with a network every row is ``network`` (or flagged), without one
    every row is ``euclidean-proxy``.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Point sites (WGS84, positioned).
    network : WalkNetwork or None
        The area's walking network, if any.
    **options
        ``minutes``, ``speed_kmh``, ``metres``, plus ``snap_limit_m`` / ``half_width_m`` (network)
        or ``detour_factor`` (proxy).

    Returns
    -------
    geopandas.GeoDataFrame

    """
    if network is not None:
        kw = {k: v for k, v in options.items() if k != "detour_factor"}
        return service_areas(network, sites, **kw)  # type: ignore[arg-type]
    kw = {k: v for k, v in options.items() if k not in ("snap_limit_m", "half_width_m")}
    return proxy_areas(sites, **kw)  # type: ignore[arg-type]
