"""The walking network model: :class:`WalkNetwork`, its shortest-path matrix, conversions.

A :class:`WalkNetwork` is a set of arrays: nodes (OSM id, lon/lat, x/y in metres) and
undirected straight edges (u, v, length in metres). Metres are true metres: x/y are in the UTM
zone of the network's area (:func:`atlas.geo.projection.metric_crs_for`), recorded as
:attr:`WalkNetwork.crs`. OSM ways are kept as node-to-node segments (no topological
simplification), so every edge is a straight line; that makes reachable parts of edges an exact
linear interpolation (see :mod:`atlas.analysis.service_area`), and osmnx graphs are exploded to the same
form by :func:`from_networkx`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from atlas.errors import EmptyNetworkError, ValidationError
from atlas.geo.projection import MetricFrame, is_metric_crs, metric_crs_for

if TYPE_CHECKING:
    import networkx as nx
    from numpy.typing import NDArray


Progress = Callable[[str, float], None]
#: Highway classes whose length stands in for where people live when no buildings are known.
RESIDENTIAL_HIGHWAYS = frozenset({"residential", "living_street"})



#: Weight (metres) that stands for a zero-length edge in a CSR matrix. OSM has ways whose
#: consecutive nodes share a position; networkx walks such an edge at no cost, but
#: ``scipy.sparse.csgraph`` treats a stored zero as a *missing* edge as soon as any sparse
#: operation (addition, ``eliminate_zeros``, format conversion) has dropped it, which cut real
#: networks apart (Andorra: hundreds of reachable nodes reported unreachable). A micrometre is
#: far below what any street is measured to, so distances differ from networkx by at most a
#: micrometre per zero-length edge on a path, and the edge is never lost.
ZERO_LENGTH_M = 1e-6


def _noop(_stage: str, _frac: float) -> None:
    return None


def edge_csr(rows: NDArray[np.int64], cols: NDArray[np.int64], weights: NDArray[np.float64], *,
             shape: tuple[int, int], row_offset: int = 0) -> sparse.csr_matrix:
    """A directed CSR matrix of edge weights that means what networkx means by them.

    Every shortest-path matrix of the engine is built here, so that two facts of sparse
    matrices never change a distance:

    * a CSR built from (row, col) pairs *sums* duplicate entries, so two parallel edges of
      100 m would become one of 200 m: parallel edges are collapsed to their *minimum*, the
      one a shortest path takes (as networkx does on a MultiGraph);
    * zeros are missing edges to ``scipy.sparse.csgraph``: zero weights become
      :data:`ZERO_LENGTH_M`.

    Self-loops are dropped (they never shorten a path). The matrix is assembled directly from
    sorted, de-duplicated arrays, with no sparse arithmetic that could drop entries.

    A block of rows appended below another matrix (the virtual site nodes of
    :func:`atlas.analysis.service_area.node_distances`) passes ``row_offset``: row ``r`` of the block is
    node ``r + row_offset`` of the whole graph, and only that is compared with the column to
    find a self-loop (a site listed i-th is not node i).

    Parameters
    ----------
    rows, cols : numpy.ndarray
        Edge tails and heads (one entry per direction; add both for an undirected edge).
    weights : numpy.ndarray
        Edge lengths in metres (>= 0).
    shape : tuple of int
        Matrix shape.
    row_offset : int
        The graph node of row 0 (default 0: a square matrix of the whole graph).

    Returns
    -------
    scipy.sparse.csr_matrix

    """
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    w = np.maximum(np.asarray(weights, dtype=np.float64), ZERO_LENGTH_M)
    keep = r + row_offset != c
    r, c, w = r[keep], c[keep], w[keep]
    order = np.lexsort((w, c, r))  # by row, then column, then weight: the minimum comes first
    r, c, w = r[order], c[order], w[order]
    first = np.ones(len(r), dtype=bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    r, c, w = r[first], c[first], w[first]
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=shape[0]), out=indptr[1:])
    return sparse.csr_matrix((w, c, indptr), shape=shape)


@dataclass(eq=False)
class WalkNetwork:
    """An undirected walking network as arrays (see module docstring).

    Attributes
    ----------
    node_osmid : numpy.ndarray
        OSM node ids (int64), or synthetic ids for synthetic grids.
    lon, lat : numpy.ndarray
        WGS84 coordinates of nodes.
    x, y : numpy.ndarray
        Node coordinates in metres, in :attr:`crs`.
    u, v : numpy.ndarray
        Edge end-node indices (int64 positions into the node arrays), each edge stored once.
    length : numpy.ndarray
        Edge lengths in metres (straight segments in :attr:`crs`).
    residential : numpy.ndarray
        Per edge: True where the way is ``highway=residential|living_street`` (used to place
        people along streets where they live).
    meta : dict
        ``source_kind`` (download / file / graphml / synthetic), ``source`` (URL or file
        name), ``source_date``, ``built_at``, ``area_label``, ``crs``, ``attribution``.
    crs : str
        The metric CRS of ``x``/``y``/``length`` (e.g. ``"EPSG:32651"`` for Ningbo); taken from
        ``meta["crs"]`` when not given. A network without one is refused.

    """

    node_osmid: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    u: NDArray[np.int64]
    v: NDArray[np.int64]
    length: NDArray[np.float64]
    meta: dict[str, Any] = field(default_factory=dict)
    residential: NDArray[np.bool_] | None = None
    crs: str = ""

    def __post_init__(self) -> None:
        if self.residential is None:
            self.residential = np.zeros(len(self.u), dtype=bool)
        self.crs = self.crs or str(self.meta.get("crs") or "")
        if not self.crs or not is_metric_crs(self.crs):
            raise ValidationError(
                f"路网没有记录米制投影坐标系（{self.crs or '无'}），无法计算距离",
                f"The network records no metric CRS ({self.crs or 'none'}): distances cannot be measured")
        if self.meta.get("crs") != self.crs:
            self.meta = {**self.meta, "crs": self.crs}

    @property
    def frame(self) -> MetricFrame:
        """WGS84 <-> :attr:`crs` conversions for this network's data."""
        return MetricFrame(self.crs)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.x)

    @property
    def n_edges(self) -> int:
        """Number of (undirected) edges."""
        return len(self.u)

    @cached_property
    def csr(self) -> sparse.csr_matrix:
        """Symmetric CSR adjacency matrix of edge lengths (both directions; see :func:`edge_csr`)."""
        n = self.n_nodes
        return edge_csr(np.concatenate([self.u, self.v]), np.concatenate([self.v, self.u]),
                        np.concatenate([self.length, self.length]), shape=(n, n))

    @cached_property
    def incidence(self) -> sparse.csr_matrix:
        """Node-to-edge incidence (n_nodes x n_edges): the edges touching each node."""
        m = self.n_edges
        rows = np.concatenate([self.u, self.v])
        cols = np.concatenate([np.arange(m), np.arange(m)])
        return sparse.csr_matrix((np.ones(2 * m, dtype=np.int8), (rows, cols)),
                                 shape=(self.n_nodes, m))

    @cached_property
    def edge_lines(self) -> NDArray[np.object_]:
        """Edges as shapely LineStrings in :attr:`crs`."""
        coords = np.stack([np.column_stack([self.x[self.u], self.y[self.u]]),
                           np.column_stack([self.x[self.v], self.y[self.v]])], axis=1)
        return shapely.linestrings(coords)

    @cached_property
    def edge_tree(self) -> shapely.STRtree:
        """Spatial index of :attr:`edge_lines` (for snapping sites to the nearest edge)."""
        return shapely.STRtree(self.edge_lines)

    def describe(self, lang: str = "zh") -> str:
        """One line saying what this network is and where it came from."""
        m = self.meta
        kind = {"download": ("OSM 在线下载", "downloaded from OSM"),
                "file": ("本地 OSM 文件", "local OSM file"),
                "graphml": ("GraphML 文件", "GraphML file"),
                "synthetic": ("合成网格", "synthetic grid")}.get(
            str(m.get("source_kind")), (str(m.get("source_kind")),) * 2)[lang == "en"]
        line = (f"{kind}: {m.get('source', '')} · {m.get('source_date', '')} · "
                f"{self.n_nodes:,} nodes / {self.n_edges:,} edges · {self.crs}")
        pct = m.get("extent_covers_pct")
        if pct is not None and float(pct) < 99:
            line += (f" · the file covers only {float(pct):.0f} % of the area" if lang == "en"
                     else f" · 文件仅覆盖该范围的 {float(pct):.0f}%")
        notes = {"missing_nodes": ("{:,} way nodes missing from the file (their segments left out)",
                                   "文件缺少 {:,} 个路线节点（相关路段未计入）"),
                 "unplaced_nodes": ("{:,} nodes without a position left out",
                                    "{:,} 个无坐标节点未计入"),
                 "not_walkable": ("{:,} edges not walkable left out", "{:,} 条不可步行的边未计入")}
        for key, (en, zh) in notes.items():
            if m.get(key):
                line += " · " + (en if lang == "en" else zh).format(int(m[key]))
        return line


def clip_by_edge(lon: NDArray[np.float64], lat: NDArray[np.float64], edges: NDArray[np.int64],
                 polygon: shapely.Geometry | None) -> NDArray[np.bool_]:
    """Mask of edges to keep: osmnx ``truncate_by_edge`` semantics on node-to-node edges.

    Nodes inside the polygon are kept, and so are their direct neighbours; an edge is kept
    when both its ends are kept. ``edges`` holds node positions (not ids).
    """
    if polygon is None:
        return np.ones(len(edges), dtype=bool)
    shapely.prepare(polygon)
    inside = shapely.contains_xy(polygon, lon, lat)
    keep = inside.copy()
    touching = inside[edges[:, 0]] | inside[edges[:, 1]]
    keep[edges[touching, 0]] = True
    keep[edges[touching, 1]] = True
    return keep[edges[:, 0]] & keep[edges[:, 1]]


def from_arrays(node_osmid: Any, lon: Any, lat: Any, edges_osmid: Any, *,
                meta: dict[str, Any], largest_component: bool = True,
                residential: Any = None, crs: str | None = None,
                polygon: shapely.Geometry | None = None) -> WalkNetwork:
    """Build a :class:`WalkNetwork` from node coordinates and edges given as OSM-id pairs.

    Parallel edges and self-loops are dropped, and so are edges whose ends are not among the
    nodes; coordinates are projected to ``crs``.

    Parameters
    ----------
    node_osmid, lon, lat : array-like
        Nodes.
    edges_osmid : array-like of shape (m, 2)
        Edge end-node OSM ids.
    meta : dict
        Metadata stored with the network.
    largest_component : bool
        Keep only the largest connected component (default True).
    residential : array-like of bool, optional
        Per input edge: is it a residential street.
    crs : str, optional
        Metric CRS (default: the UTM zone of the nodes' centre, :func:`metric_crs_for`).
    polygon : shapely geometry, optional
        WGS84 area to clip to (:func:`clip_by_edge`).

    Returns
    -------
    WalkNetwork

    Raises
    ------
    atlas.errors.EmptyNetworkError
        If no edge remains.

    """
    ids = np.asarray(node_osmid, dtype=np.int64)
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    e = np.asarray(edges_osmid, dtype=np.int64).reshape(-1, 2)
    res = (np.zeros(len(e), dtype=bool) if residential is None
           else np.asarray(residential, dtype=bool))
    if len(e) == 0 or len(ids) == 0:
        raise EmptyNetworkError("该范围内没有可步行的道路", "No walkable ways in this area")
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    pos_u = np.searchsorted(sorted_ids, e[:, 0])
    pos_v = np.searchsorted(sorted_ids, e[:, 1])
    pos_u = np.clip(pos_u, 0, len(ids) - 1)
    pos_v = np.clip(pos_v, 0, len(ids) - 1)
    known = (sorted_ids[pos_u] == e[:, 0]) & (sorted_ids[pos_v] == e[:, 1])
    u = order[pos_u[known]]
    v = order[pos_v[known]]
    res = res[known]
    keep = clip_by_edge(lon_a, lat_a, np.column_stack([u, v]), polygon)
    u, v, res = u[keep], v[keep], res[keep]
    keep = u != v
    u, v, res = np.minimum(u[keep], v[keep]), np.maximum(u[keep], v[keep]), res[keep]
    pairs, inverse = np.unique(np.column_stack([u, v]), axis=0, return_inverse=True)
    pair_res = np.zeros(len(pairs), dtype=bool)
    np.logical_or.at(pair_res, inverse.ravel(), res)
    if len(pairs) == 0:
        raise EmptyNetworkError("该范围内没有可步行的道路", "No walkable ways in this area")
    used = np.unique(pairs)
    remap = np.full(len(ids), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    crs = crs or metric_crs_for((lon_a[used], lat_a[used]))
    x, y = MetricFrame(crs).to_metric(lon_a[used], lat_a[used])
    uu, vv = remap[pairs[:, 0]], remap[pairs[:, 1]]
    length = np.hypot(x[uu] - x[vv], y[uu] - y[vv])
    net = WalkNetwork(ids[used], lon_a[used], lat_a[used], x, y, uu, vv, length, dict(meta),
                      pair_res, crs=crs)
    return largest_component_of(net) if largest_component else net


def largest_component_of(net: WalkNetwork) -> WalkNetwork:
    """Return the largest connected component of ``net`` (a new network)."""
    n_comp, labels = csgraph.connected_components(net.csr, directed=False)
    if n_comp <= 1:
        return net
    biggest = np.bincount(labels).argmax()
    keep_nodes = labels == biggest
    remap = np.full(net.n_nodes, -1, dtype=np.int64)
    remap[keep_nodes] = np.arange(int(keep_nodes.sum()))
    keep_edges = keep_nodes[net.u]
    meta = dict(net.meta, components_dropped=int(n_comp - 1))
    return WalkNetwork(net.node_osmid[keep_nodes], net.lon[keep_nodes], net.lat[keep_nodes],
                       net.x[keep_nodes], net.y[keep_nodes], remap[net.u[keep_edges]],
                       remap[net.v[keep_edges]], net.length[keep_edges], meta,
                       None if net.residential is None else net.residential[keep_edges], crs=net.crs)


def highway_values(value: Any) -> list[str]:
    """The ``highway`` value(s) of an osmnx edge: a str, a list, or a list saved as text by GraphML."""
    if isinstance(value, list | tuple | set):
        return [str(v) for v in value]
    if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        return [v.strip().strip("'\"") for v in value[1:-1].split(",") if v.strip()]
    return [] if value is None else [str(value)]


def from_networkx(graph: nx.MultiDiGraph, *, meta: dict[str, Any], largest_component: bool = True,
                  crs: str | None = None, polygon: shapely.Geometry | None = None) -> WalkNetwork:
    """Convert an osmnx graph (unprojected, lon/lat ``x``/``y``) into a :class:`WalkNetwork`.

    Edge geometries, where present (simplified graphs), are exploded into straight segments;
    their interior vertices get synthetic negative ids. A two-way street stored once in each
    direction (as osmnx does: the same vertices, reversed) gives one chain, not two; vertices
    of other streets at the same position stay apart (a bridge over a road is not joined to
    it). Node ids must be integers (see :func:`atlas.network.graphml.read_graphml` for files
    that are not so tidy).
    """
    ids: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    for n, d in graph.nodes(data=True):
        ids.append(int(n))
        lons.append(float(d["x"]))
        lats.append(float(d["y"]))
    interior: dict[tuple[int, int, int, float, float], int] = {}
    next_id = min(-1, min(ids, default=0) - 1)
    edges: list[tuple[int, int]] = []
    res: list[bool] = []
    for a, b, d in graph.edges(data=True):
        is_res = any(h in RESIDENTIAL_HIGHWAYS for h in highway_values(d.get("highway")))
        geom = d.get("geometry")
        coords = [] if geom is None else list(geom.coords)[1:-1]
        chain = [int(a)]
        ends = (min(int(a), int(b)), max(int(a), int(b)))
        # vertices keyed by their place along the street read from its lower end (a loop: from
        # the end that reads smaller), so both directions of a street name the same vertices
        forward = int(a) < int(b) or (int(a) == int(b) and coords <= coords[::-1])
        for i, c in enumerate(coords):
            key = (*ends, i if forward else len(coords) - 1 - i, float(c[0]), float(c[1]))
            if key not in interior:
                interior[key] = next_id
                ids.append(next_id)
                lons.append(key[3])
                lats.append(key[4])
                next_id -= 1
            chain.append(interior[key])
        chain.append(int(b))
        edges.extend(itertools.pairwise(chain))
        res.extend([is_res] * (len(chain) - 1))
    return from_arrays(ids, lons, lats, edges, meta=meta, largest_component=largest_component,
                       residential=res, crs=crs, polygon=polygon)


def to_networkx(net: WalkNetwork) -> nx.Graph:
    """Return the network as an undirected networkx graph (for checks and small analyses)."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from((i, {"x": float(net.x[i]), "y": float(net.y[i])}) for i in range(net.n_nodes))
    g.add_weighted_edges_from(zip(net.u.tolist(), net.v.tolist(), net.length.tolist(), strict=True),
                              weight="length")
    return g
