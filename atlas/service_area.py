"""Walking service areas (15分钟科普服务圈) on a :class:`atlas.network.WalkNetwork`.

Method, per site:

1. **Snap** the site to the nearest *edge* (shapely STRtree), at fraction ``t`` along it; the
   straight access distance counts against the budget. Sites farther than ``snap_limit_m``
   from every edge are flagged and get no area (never a circle in disguise).
2. **Shortest paths** from a virtual node joined to the edge's two ends (weights
   ``access + t*L`` and ``access + (1-t)*L``) with ``scipy.sparse.csgraph.dijkstra`` and a
   ``limit`` equal to the budget, on the network's CSR matrix (compiled code).
3. **Reachable parts of edges**: from an end reached with distance ``d`` the walker covers
   ``budget - d`` metres of each incident edge; the two ends' pieces merge when they meet; the
   site's own edge is covered ``budget - access`` metres either way from the snap point.
   Edges are straight (see :mod:`atlas.network`), so cutting a piece is linear interpolation:
   the same as ``shapely.ops.substring`` on a 2-point line, vectorised over all edges at once.
4. The pieces are **buffered** by the street half-width (default 25 m) into one polygon.
   No convex hull; a concave-hull preview exists and is labelled as such.

With no network, :func:`proxy_areas` gives straight-line circles of radius
``budget / detour_factor`` with ``method = "euclidean-proxy"``; the two are never mixed in one
result.

Every distance, buffer and area is in true metres: in the network's own CRS
(:attr:`atlas.network.WalkNetwork.crs`, the UTM zone of its area), or for proxies in the UTM
zone of the sites. Each result row records that CRS in its ``crs`` column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from atlas import settings
from atlas.errors import EmptyNetworkError, ValidationError
from atlas.network import edge_csr
from atlas.projection import MetricFrame, metric_crs_for

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
        best = np.minimum(d[0] + off[0], d[1] + off[1])
        best[best > limit] = np.inf
        out[i] = best
    return out


def reachable_pieces(net: WalkNetwork, dist: NDArray[np.float64], budget: float, *,
                     own_edge: int | None = None, own_t: float = 0.0, access: float = 0.0
                     ) -> NDArray[np.float64]:
    """Segments (x0, y0, x1, y1) of every edge part within ``budget`` of the source.

    Parameters
    ----------
    net : WalkNetwork
        The network.
    dist : numpy.ndarray
        Distance from the source to each node.
    budget : float
        Metres.
    own_edge, own_t, access : optional
        The edge the source snapped to, its fraction along it and the access distance.

    Returns
    -------
    numpy.ndarray
        Shape (m, 4).

    """
    reached = np.flatnonzero(dist <= budget)
    cand = np.unique(net.incidence[reached].indices)  # only edges touching reached nodes
    du, dv, L = dist[net.u[cand]], dist[net.v[cand]], net.length[cand]
    a = budget - du
    b = budget - dv
    reach_u = np.isfinite(du) & (a > 0)
    reach_v = np.isfinite(dv) & (b > 0)
    full = reach_u & reach_v & (np.where(reach_u, a, 0) + np.where(reach_v, b, 0) >= L)
    full |= reach_u & (a >= L)
    full |= reach_v & (b >= L)
    starts = [np.zeros(int(full.sum()))]
    ends = [L[full]]
    edges = [cand[full]]
    pu = reach_u & ~full
    starts.append(np.zeros(int(pu.sum())))
    ends.append(a[pu])
    edges.append(cand[pu])
    pv = reach_v & ~full
    starts.append(L[pv] - b[pv])
    ends.append(L[pv])
    edges.append(cand[pv])
    if own_edge is not None and budget > access:
        r = budget - access
        Lo = net.length[own_edge]
        starts.append(np.array([max(0.0, own_t * Lo - r)]))
        ends.append(np.array([min(Lo, own_t * Lo + r)]))
        edges.append(np.array([own_edge]))
    e = np.concatenate(edges)
    s0 = np.concatenate(starts)
    s1 = np.concatenate(ends)
    Le = np.where(net.length[e] > 0, net.length[e], 1.0)
    ux, uy = net.x[net.u[e]], net.y[net.u[e]]
    dx, dy = net.x[net.v[e]] - ux, net.y[net.v[e]] - uy
    f0, f1 = s0 / Le, s1 / Le
    return np.column_stack([ux + f0 * dx, uy + f0 * dy, ux + f1 * dx, uy + f1 * dy])


def pieces_polygon(pieces: NDArray[np.float64], *, half_width_m: float,
                   extra: list[shapely.Geometry] | None = None) -> shapely.Geometry:
    """Union of buffered segments: the service-area polygon (in the network's CRS).

    Segments are first merged into chains (``line_merge``) and their collinear vertices
    dropped (``simplify`` at 0.5 m, far below the 25 m half-width); each chain is buffered and
    the buffers are unioned with GEOS's cascaded union. Buffering all segments as one
    MultiLineString gives the same polygon but is ~100x slower on dense OSM footway networks.
    """
    lines = list(shapely.linestrings(pieces.reshape(-1, 2, 2))) + (extra or [])
    if not lines:
        return shapely.Polygon()
    chains = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(lines)))
    chains = shapely.simplify(chains, 0.5)
    return shapely.union_all(shapely.buffer(chains, half_width_m, quad_segs=4))


def _to_wgs84(geoms: list[shapely.Geometry], crs: str) -> list[shapely.Geometry]:
    # MetricFrame splits areas crossing the antimeridian into their parts on either side
    return list(MetricFrame(crs).geometry_to_lonlat(np.array(geoms, dtype=object)))


def service_areas(net: WalkNetwork, sites: gpd.GeoDataFrame, *, minutes: float = settings.WALK_MINUTES,
                  speed_kmh: float = settings.WALK_SPEED_KMH, metres: float | None = None,
                  snap_limit_m: float = settings.SNAP_LIMIT_M,
                  half_width_m: float = settings.STREET_HALF_WIDTH_M,
                  id_column: str = "id", preview: bool = False) -> gpd.GeoDataFrame:
    """Walking service areas of point sites on a network.

    Parameters
    ----------
    net : WalkNetwork
        The walking network (must cover the sites).
    sites : geopandas.GeoDataFrame
        Point sites in WGS84 with an id column.
    minutes, speed_kmh : float
        Walking budget as time and speed (defaults 15 min, 4.5 km/h).
    metres : float, optional
        Budget as a distance (overrides minutes x speed; e.g. the 800 m / 1,000 m presets).
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
        One row per site: ``site_id``, ``minutes``, ``speed_kmh``, ``metres``, ``method``,
        ``area_km2``, ``snap_m``, ``flag`` ("" or "snap_too_far"), ``network_source``,
        ``network_date``, ``crs`` (the metric CRS of the computation), geometry (WGS84; empty
        when flagged).

    """
    budget = budget_metres(minutes=minutes, speed_kmh=speed_kmh, metres=metres)
    if net.n_edges == 0:
        raise EmptyNetworkError("路网中没有道路：无法计算步行服务圈",
                                "The network has no streets: no walking service area can be computed")
    xy = sites_xy(sites, crs=net.crs)
    s = snap(net, xy)
    ok = s.access_m <= snap_limit_m
    geoms: list[shapely.Geometry] = [shapely.Polygon()] * len(sites)
    ok_idx = np.flatnonzero(ok)
    for start in range(0, len(ok_idx), SITE_CHUNK):  # memory: SITE_CHUNK x n_nodes distances
        idx = ok_idx[start:start + SITE_CHUNK]
        sub = Snap(s.edge[idx], s.t[idx], s.access_m[idx], s.point_x[idx], s.point_y[idx])
        dist = node_distances(net, sub, limit=budget)
        for j, i in enumerate(idx):
            if preview:
                reached = np.flatnonzero(np.isfinite(dist[j]))
                pts = shapely.multipoints(np.column_stack([net.x[reached], net.y[reached]]))
                geoms[i] = shapely.buffer(shapely.concave_hull(pts, ratio=0.3), half_width_m)
                continue
            pieces = reachable_pieces(net, dist[j], budget, own_edge=int(sub.edge[j]),
                                      own_t=float(sub.t[j]), access=float(sub.access_m[j]))
            access_line = shapely.linestrings([[xy[i, 0], xy[i, 1]], [sub.point_x[j], sub.point_y[j]]])
            geoms[i] = pieces_polygon(pieces, half_width_m=half_width_m, extra=[access_line])
    area_km2 = [g.area / 1e6 for g in geoms]
    return gpd.GeoDataFrame({
        "site_id": sites[id_column].astype(str).to_numpy(),
        "minutes": budget / (speed_kmh * 1000 / 60) if metres is not None else float(minutes),
        "speed_kmh": float(speed_kmh),
        "metres": budget,
        "method": METHOD_CONCAVE if preview else METHOD_NETWORK,
        "area_km2": area_km2,
        "snap_m": s.access_m,
        "flag": np.where(ok, "", "snap_too_far"),
        "network_source": str(net.meta.get("source", "")),
        "network_date": str(net.meta.get("source_date", "")),
        "crs": net.crs,
    }, geometry=_to_wgs84(geoms, net.crs), crs=settings.CRS_WGS84)


def proxy_areas(sites: gpd.GeoDataFrame, *, minutes: float = settings.WALK_MINUTES,
                speed_kmh: float = settings.WALK_SPEED_KMH, metres: float | None = None,
                detour_factor: float = settings.DETOUR_FACTOR, id_column: str = "id",
                crs: str | None = None) -> gpd.GeoDataFrame:
    """Straight-line stand-ins when no walking network is available (labelled as such).

    Radius = budget / ``detour_factor`` (1,125 m / 1.3 ≈ 865 m by default), drawn in ``crs``
    (default: the UTM zone of the sites, :func:`atlas.projection.metric_crs_for`). ``method``
    is ``"euclidean-proxy"`` on every row; exports and the app label these as approximations.
    """
    if detour_factor < 1:
        raise ValidationError("绕行系数应不小于 1", "The detour factor must be at least 1")
    budget = budget_metres(minutes=minutes, speed_kmh=speed_kmh, metres=metres)
    crs = crs or metric_crs_for(sites)
    xy = sites_xy(sites, crs=crs)
    radius = budget / detour_factor
    geoms = list(shapely.buffer(shapely.points(xy), radius, quad_segs=16))
    return gpd.GeoDataFrame({
        "site_id": sites[id_column].astype(str).to_numpy(),
        "minutes": budget / (speed_kmh * 1000 / 60) if metres is not None else float(minutes),
        "speed_kmh": float(speed_kmh),
        "metres": budget,
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
