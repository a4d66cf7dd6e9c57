"""Sparse site x demand distance matrices: the one structure coverage and accessibility read.

A :class:`SiteDemandMatrix` stores, for every (site, demand point) pair closer than a cutoff,
their distance in metres: straight-line (:func:`straight_line_matrix`, a k-d tree's sparse
distance matrix) or walking along a network (:func:`network_matrix`, one budget-limited
Dijkstra per site). Coverage bounds (:mod:`atlas.coverage.summary`) and E2SFCA scores
(:mod:`atlas.analysis.accessibility`) are both computed from it, and adding a site appends one row
instead of recomputing everything (:meth:`SiteDemandMatrix.append`).

Metres are true metres: straight-line matrices are measured in the UTM zone of the demand
(:func:`atlas.geo.projection.metric_crs_for`), network matrices in the network's CRS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from atlas import settings
from atlas.errors import ValidationError
from atlas.geo.projection import MetricFrame, metric_crs_for

if TYPE_CHECKING:
    import geopandas as gpd
    from numpy.typing import NDArray

    from atlas.network import WalkNetwork

STRAIGHT = "straight-line"
NETWORK = "network"

#: Stored distances are at least this (metres): a sparse matrix cannot tell an explicit zero
#: (site on the demand point) from "farther than the cutoff".
MIN_DISTANCE_M = 1e-3


@dataclass(frozen=True)
class SiteDemandMatrix:
    """Distances (m) of every site-demand pair within ``cutoff``; absent pairs are farther.

    Attributes
    ----------
    dist : scipy.sparse.csr_matrix
        Shape (n_sites, n_demand); stored values are distances >= :data:`MIN_DISTANCE_M`.
    method : str
        ``straight-line`` or ``network``.
    cutoff : float
        Metres; pairs farther apart are not stored.
    crs : str
        Metric CRS the distances were measured in.
    reached : numpy.ndarray of bool
        Per site: False when a network site could not be snapped (its row is empty).

    """

    dist: sparse.csr_matrix
    method: str
    cutoff: float
    crs: str
    reached: NDArray[np.bool_]

    @property
    def n_sites(self) -> int:
        """Number of sites (rows)."""
        return int(self.dist.shape[0])

    @property
    def n_demand(self) -> int:
        """Number of demand points (columns)."""
        return int(self.dist.shape[1])

    def nearest(self, *, minus: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
        """Distance from each demand point to its nearest site (inf beyond the cutoff).

        ``minus`` (one value per site, e.g. its positional error) is subtracted from every
        distance of that site first (results floored at 0).
        """
        out = np.full(self.n_demand, np.inf)
        data = self.dist.data
        if minus is not None:
            rows = np.repeat(np.arange(self.n_sites), np.diff(self.dist.indptr))
            data = np.maximum(data - np.asarray(minus, dtype=float)[rows], 0.0)
        np.minimum.at(out, self.dist.indices, data)
        return out

    def within(self, radius: float) -> sparse.csr_matrix:
        """Boolean (site, demand) matrix of pairs within ``radius`` (must not exceed the cutoff)."""
        if radius > self.cutoff + 1e-9:
            raise ValidationError(f"半径 {radius:.0f} 米超过矩阵截断距离 {self.cutoff:.0f} 米",
                                  f"Radius {radius:.0f} m exceeds the matrix cutoff {self.cutoff:.0f} m")
        d = self.dist.tocoo()
        keep = d.data <= radius
        return sparse.csr_matrix((np.ones(int(keep.sum()), dtype=bool), (d.row[keep], d.col[keep])),
                                 shape=d.shape)

    def append(self, other: SiteDemandMatrix) -> SiteDemandMatrix:
        """A matrix with ``other``'s sites added below these rows (same demand, method, CRS)."""
        if (other.n_demand != self.n_demand or other.method != self.method or other.crs != self.crs
                or other.cutoff != self.cutoff):
            raise ValidationError("两个距离矩阵的需求点、方法或坐标系不一致，无法合并",
                                  "The matrices differ in demand, method or CRS and cannot be joined")
        return SiteDemandMatrix(sparse.vstack([self.dist, other.dist], format="csr"), self.method,
                                self.cutoff, self.crs, np.concatenate([self.reached, other.reached]))


def lonlat_xy(gdf: gpd.GeoDataFrame, *, crs: str) -> NDArray[np.float64]:
    """Metric coordinates (n, 2) in ``crs`` of WGS84 point geometries.

    Raises
    ------
    atlas.errors.ValidationError
        If the frame is not WGS84 or a point is missing.

    """
    if len(gdf) and (gdf.crs is None or gdf.crs.to_epsg() != 4326):
        raise ValidationError("点的坐标系应为 WGS84 (EPSG:4326)", "Points must be in WGS84 (EPSG:4326)")
    geoms = gdf.geometry.to_numpy()
    if len(geoms) and (shapely.is_missing(geoms).any() or shapely.is_empty(geoms).any()):
        raise ValidationError("有点没有坐标：请先排除未定位的站点",
                              "Some points have no position: leave unplaced sites out first")
    x, y = MetricFrame(crs).to_metric(shapely.get_x(geoms), shapely.get_y(geoms))
    return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)]).reshape(-1, 2)


def demand_crs(demand: gpd.GeoDataFrame) -> str:
    """The metric CRS straight-line distances of ``demand`` are measured in (its UTM zone)."""
    if len(demand) == 0:
        raise ValidationError("没有需求点", "There are no demand points")
    return metric_crs_for(demand)


def straight_line_matrix(site_xy: NDArray[np.float64], demand_xy: NDArray[np.float64], *,
                         cutoff: float, crs: str, demand_tree: cKDTree | None = None
                         ) -> SiteDemandMatrix:
    """Straight-line distances of every site-demand pair within ``cutoff``.

    Parameters
    ----------
    site_xy, demand_xy : numpy.ndarray
        Metric coordinates (n, 2) in ``crs``.
    cutoff : float
        Metres.
    crs : str
        The CRS of the coordinates (recorded with the result).
    demand_tree : scipy.spatial.cKDTree, optional
        A tree over ``demand_xy`` built before (reused when sites are added one at a time).

    Returns
    -------
    SiteDemandMatrix

    """
    n_s, n_d = len(site_xy), len(demand_xy)
    if n_s == 0 or n_d == 0:
        return SiteDemandMatrix(sparse.csr_matrix((n_s, n_d)), STRAIGHT, float(cutoff), crs,
                                np.ones(n_s, bool))
    tree = demand_tree if demand_tree is not None else cKDTree(demand_xy)
    rec = cKDTree(site_xy).sparse_distance_matrix(tree, cutoff, output_type="ndarray")
    d = np.maximum(rec["v"], MIN_DISTANCE_M)
    m = sparse.csr_matrix((d, (rec["i"], rec["j"])), shape=(n_s, n_d))
    return SiteDemandMatrix(m, STRAIGHT, float(cutoff), crs, np.ones(n_s, bool))


def network_crs(net: WalkNetwork) -> str:
    """The metric CRS of a network's x/y (its ``crs``, else recorded in its metadata)."""
    crs = getattr(net, "crs", None) or net.meta.get("crs")
    return str(crs) if crs else metric_crs_for((net.lon, net.lat))


def network_matrix(net: WalkNetwork, demand: gpd.GeoDataFrame, site_xy: NDArray[np.float64], *,
                   cutoff: float, snap_limit_m: float = settings.SNAP_LIMIT_M) -> SiteDemandMatrix:
    """Walking distances of every site-demand pair within ``cutoff`` along a network.

    Demand points are edge midpoints (:func:`atlas.analysis.demand.demand_points`); the distance to one
    is the distance to the nearer end of its edge plus half the edge, or along the edge when
    the site snapped to that same edge, exactly as :func:`atlas.coverage.coverage`.

    Parameters
    ----------
    net : WalkNetwork
        The network the demand was built on.
    demand : geopandas.GeoDataFrame
        Demand points with an ``edge`` column.
    site_xy : numpy.ndarray
        Site coordinates (n, 2) in the network's CRS.
    cutoff : float
        Metres.
    snap_limit_m : float
        Sites farther than this from every edge get an empty row (``reached`` False).

    Returns
    -------
    SiteDemandMatrix

    """
    from atlas.analysis.service_area import Snap, node_distances, snap

    edge = demand.edge.to_numpy().astype(np.int64)
    half = net.length[edge] / 2.0
    n_s, n_d = len(site_xy), len(edge)
    crs = network_crs(net)
    if n_s == 0:
        return SiteDemandMatrix(sparse.csr_matrix((0, n_d)), NETWORK, float(cutoff), crs, np.zeros(0, bool))
    s = snap(net, np.asarray(site_xy, dtype=np.float64))
    ok = s.access_m <= snap_limit_m
    by_node = sparse.csr_matrix((np.ones(2 * n_d), (np.concatenate([net.u[edge], net.v[edge]]),
                                                    np.tile(np.arange(n_d), 2))), shape=(net.n_nodes, n_d))
    own = sparse.csr_matrix((np.ones(n_d), (edge, np.arange(n_d))), shape=(net.n_edges, n_d))
    limit = cutoff + float(half.max(initial=0.0))
    rows, cols, vals = [], [], []
    for j in np.flatnonzero(ok):
        one = Snap(s.edge[j:j + 1], s.t[j:j + 1], s.access_m[j:j + 1], s.point_x[j:j + 1], s.point_y[j:j + 1])
        d_node = node_distances(net, one, limit=limit)[0]
        cand = np.unique(by_node[np.flatnonzero(np.isfinite(d_node))].indices)
        e = edge[cand]
        dd = np.minimum(d_node[net.u[e]], d_node[net.v[e]]) + half[cand]
        mine = own[int(s.edge[j])].indices  # demand on the site's own edge: along the edge
        along = s.access_m[j] + np.abs(s.t[j] - 0.5) * net.length[s.edge[j]]
        cand = np.concatenate([cand, mine])
        dd = np.concatenate([dd, np.full(len(mine), along)])
        keep = dd <= cutoff
        rows.append(np.full(int(keep.sum()), j))
        cols.append(cand[keep])
        vals.append(np.maximum(dd[keep], MIN_DISTANCE_M))
    r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    v = np.concatenate(vals) if vals else np.zeros(0)
    # duplicates (own edge and via its ends) keep the shorter distance
    m = sparse.coo_matrix((v, (r, c)), shape=(n_s, n_d))
    m = _min_duplicates(m)
    return SiteDemandMatrix(m, NETWORK, float(cutoff), crs, ok)


def _min_duplicates(m: sparse.coo_matrix) -> sparse.csr_matrix:
    """CSR matrix keeping the smallest value of duplicate (row, col) entries (CSR would sum them)."""
    order = np.lexsort((m.data, m.col, m.row))
    r, c, v = m.row[order], m.col[order], m.data[order]
    first = np.ones(len(r), bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    return sparse.csr_matrix((v[first], (r[first], c[first])), shape=m.shape)
