"""Walking networks: get one for any area the atlas knows, cache it, load it fast.

A :class:`WalkNetwork` is a set of arrays: nodes (OSM id, lon/lat, x/y in metres) and
undirected straight edges (u, v, length in metres). Metres are true metres: x/y are in the UTM
zone of the network's area (:func:`atlas.projection.metric_crs_for`), recorded as
:attr:`WalkNetwork.crs`, stored with the cached network and used by every metric operation.
OSM ways are kept as node-to-node segments (no topological simplification), so every edge is a
straight line. That makes reachable part
edges an exact linear interpolation (see :mod:`atlas.service_area`) and GraphML input is
exploded to the same form.

Sources:

* **download** — osmnx ``graph_from_polygon`` with :data:`atlas.osmfilter.WALK_FILTERS` as its
  ``custom_filter`` and osmnx's HTTP cache (online machines);
* **file** — a local ``.osm``, ``.osm.xml``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf``, read with
  pyosmium. Why pyosmium rather than pyrosm: one C++ reader handles every format (so XML and PBF
  of the same data give the same graph by construction), it streams a province-size PBF without
  loading it into pandas, and it applies the same Python tag filter as the other paths;
* **graphml** — a GraphML file saved by osmnx.

Networks are clipped like osmnx's ``truncate_by_edge=True`` (nodes inside the area plus their
direct neighbours), reduced to the largest connected component by default, and cached as
``.npz`` (arrays + JSON metadata) under :data:`atlas.settings.CACHE_DIR`, keyed by area, source
and date. Loading a 1M-edge network from the cache takes well under a second.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from atlas import settings
from atlas.errors import EmptyNetworkError, NetworkUnavailableError, ValidationError
from atlas.osmfilter import WALK_FILTERS, way_matches
from atlas.projection import MetricFrame, is_metric_crs, metric_crs_for, utm_crs
from atlas.storage import atomic_write

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx
    from numpy.typing import NDArray

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]
#: Highway classes whose length stands in for where people live when no buildings are known.
RESIDENTIAL_HIGHWAYS = frozenset({"residential", "living_street"})
OSM_SUFFIXES = (".osm", ".osm.xml", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".xml")


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
             shape: tuple[int, int]) -> sparse.csr_matrix:
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

    Parameters
    ----------
    rows, cols : numpy.ndarray
        Edge tails and heads (one entry per direction; add both for an undirected edge).
    weights : numpy.ndarray
        Edge lengths in metres (>= 0).
    shape : tuple of int
        Matrix shape.

    Returns
    -------
    scipy.sparse.csr_matrix

    """
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    w = np.maximum(np.asarray(weights, dtype=np.float64), ZERO_LENGTH_M)
    keep = r != c
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
        return (f"{kind}: {m.get('source', '')} · {m.get('source_date', '')} · "
                f"{self.n_nodes:,} nodes / {self.n_edges:,} edges")


def from_arrays(node_osmid: Any, lon: Any, lat: Any, edges_osmid: Any, *,
                meta: dict[str, Any], largest_component: bool = True,
                residential: Any = None, crs: str | None = None) -> WalkNetwork:
    """Build a :class:`WalkNetwork` from node coordinates and edges given as OSM-id pairs.

    Parallel edges and self-loops are dropped; coordinates are projected to ``crs``.

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


def _clip_by_edge(lon: NDArray[np.float64], lat: NDArray[np.float64], edges: NDArray[np.int64],
                  polygon: shapely.Geometry | None) -> NDArray[np.bool_]:
    """Mask of edges to keep: osmnx ``truncate_by_edge`` semantics on node-to-node edges.

    Nodes inside the polygon are kept, and so are their direct neighbours; an edge is kept
    when both its ends are kept.
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


def read_osm_file(path: str | Path, *, polygon: shapely.Geometry | None = None,
                  largest_component: bool = True, progress: Progress | None = None,
                  filters: tuple[str, ...] = WALK_FILTERS, prefilter: bool = True,
                  crs: str | None = None) -> WalkNetwork:
    """Build a walking network from a local OSM file (XML, bz2/gz XML or PBF).

    Parameters
    ----------
    path : str or pathlib.Path
        The OSM file.
    polygon : shapely geometry, optional
        Area (WGS84) to clip to; ``None`` keeps the whole file.
    largest_component : bool
        Keep only the largest connected component.
    progress : callable, optional
        Called with (stage, fraction done).
    filters : tuple of str
        Overpass-style way filters (default :data:`atlas.osmfilter.WALK_FILTERS`).
    prefilter : bool
        With a polygon, skip ways with no node within the polygon's bounding box (plus 0.02
        degree) while streaming, so a province extract is not held in memory to clip one
        district. The result is the same as clipping afterwards (tested).
    crs : str, optional
        Metric CRS; default: the UTM zone of the polygon's centre, or of the nodes' centre
        without a polygon.

    Returns
    -------
    WalkNetwork

    Raises
    ------
    atlas.errors.ValidationError
        If the file is missing or not an OSM file.
    atlas.errors.EmptyNetworkError
        If no walkable way falls in the area.

    """
    import osmium

    p = Path(path)
    report = progress or _noop
    if not p.exists():
        raise ValidationError(f"找不到 OSM 文件：{p.name}", f"OSM file not found: {p.name}")
    if not p.name.lower().endswith(OSM_SUFFIXES):
        raise ValidationError(f"不是 OSM 文件（应为 .osm / .osm.pbf / .osm.bz2）：{p.name}",
                              f"Not an OSM file (.osm / .osm.pbf / .osm.bz2 expected): {p.name}")
    node_ids: list[int] = []
    node_lon: list[float] = []
    node_lat: list[float] = []
    seen: set[int] = set()
    edges: list[tuple[int, int]] = []
    res_flags: list[bool] = []
    size = max(p.stat().st_size, 1)
    margin = 0.02
    box = (tuple(np.asarray(shapely.bounds(polygon)) + np.array([-margin, -margin, margin, margin]))
           if polygon is not None and prefilter else None)
    report("read", 0.0)
    ways = 0
    try:
        fp = osmium.FileProcessor(str(p), osmium.osm.NODE | osmium.osm.WAY).with_locations()
        for way in fp.with_filter(osmium.filter.EntityFilter(osmium.osm.WAY)).with_filter(
                osmium.filter.KeyFilter("highway")):
            ways += 1
            if ways % 20000 == 0:
                report("read", min(0.95, ways * 200 / size))
            if not isinstance(way, osmium.osm.Way):
                continue
            tags = {t.k: t.v for t in way.tags}
            if not way_matches(tags, filters):
                continue
            if box is not None and not any(
                    box[0] <= nd.location.lon <= box[2] and box[1] <= nd.location.lat <= box[3]
                    for nd in way.nodes if nd.location.valid()):
                continue
            refs: list[int | None] = []
            for nd in way.nodes:
                loc = nd.location
                if not loc.valid():
                    refs.append(None)
                    continue
                if nd.ref not in seen:
                    seen.add(nd.ref)
                    node_ids.append(nd.ref)
                    node_lon.append(loc.lon)
                    node_lat.append(loc.lat)
                refs.append(nd.ref)
            pairs = [(a, b) for a, b in itertools.pairwise(refs) if a is not None and b is not None]
            edges.extend(pairs)
            res_flags.extend([tags.get("highway") in RESIDENTIAL_HIGHWAYS] * len(pairs))
    except RuntimeError as exc:
        raise ValidationError(f"无法读取 OSM 文件 {p.name}：{exc}",
                              f"Cannot read OSM file {p.name}: {exc}") from exc
    report("build", 0.96)
    ids = np.asarray(node_ids, dtype=np.int64)
    lon = np.asarray(node_lon)
    lat = np.asarray(node_lat)
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    res = np.asarray(res_flags, dtype=bool)
    if polygon is not None and len(e):
        order = np.argsort(ids)
        idx = order[np.searchsorted(ids[order], e)]
        keep = _clip_by_edge(lon, lat, idx, polygon)
        e, res = e[keep], res[keep]
    meta = {"source_kind": "file", "source": p.name,
            "source_date": datetime.fromtimestamp(p.stat().st_mtime, UTC).date().isoformat(),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "attribution": settings.ATTRIBUTION_OSM, "filters": list(filters)}
    if crs is None and polygon is not None:
        crs = metric_crs_for(polygon)
    net = from_arrays(ids, lon, lat, e, meta=meta, largest_component=largest_component,
                      residential=res, crs=crs)
    report("done", 1.0)
    return net


def from_networkx(graph: nx.MultiDiGraph, *, meta: dict[str, Any],
                  largest_component: bool = True, crs: str | None = None) -> WalkNetwork:
    """Convert an osmnx graph (unprojected, lon/lat ``x``/``y``) into a :class:`WalkNetwork`.

    Edge geometries, where present (simplified graphs), are exploded into straight segments with
    synthetic negative ids for their interior vertices, so every edge is a straight line.
    """
    ids: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    for n, d in graph.nodes(data=True):
        ids.append(int(n))
        lons.append(float(d["x"]))
        lats.append(float(d["y"]))
    edges: list[tuple[int, int]] = []
    res: list[bool] = []
    next_id = -1
    for a, b, d in graph.edges(data=True):
        hw = d.get("highway")
        is_res = any(h in RESIDENTIAL_HIGHWAYS for h in (hw if isinstance(hw, list) else [hw]))
        geom = d.get("geometry")
        if geom is None or len(geom.coords) <= 2:
            edges.append((int(a), int(b)))
            res.append(is_res)
            continue
        chain = [int(a)]
        for cx, cy in list(geom.coords)[1:-1]:
            ids.append(next_id)
            lons.append(cx)
            lats.append(cy)
            chain.append(next_id)
            next_id -= 1
        chain.append(int(b))
        edges.extend(itertools.pairwise(chain))
        res.extend([is_res] * (len(chain) - 1))
    return from_arrays(ids, lons, lats, edges, meta=meta, largest_component=largest_component,
                       residential=res, crs=crs)


def read_graphml(path: str | Path, *, largest_component: bool = True,
                 crs: str | None = None) -> WalkNetwork:
    """Load a network from an osmnx GraphML file (slow at city scale: cache the result)."""
    import osmnx as ox

    p = Path(path)
    if not p.exists():
        raise ValidationError(f"找不到文件：{p.name}", f"File not found: {p.name}")
    g = ox.load_graphml(p)
    meta = {"source_kind": "graphml", "source": p.name,
            "source_date": datetime.fromtimestamp(p.stat().st_mtime, UTC).date().isoformat(),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "attribution": settings.ATTRIBUTION_OSM}
    return from_networkx(g, meta=meta, largest_component=largest_component, crs=crs)


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


# --- areas --------------------------------------------------------------------------------

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


# --- cache ---------------------------------------------------------------------------------

def cache_key(area_label: str, source: str, source_date: str) -> str:
    """Cache key of a network: area + source + date."""
    raw = f"{area_label}|{source}|{source_date}"
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]


#: Version of the ``.npz`` layout. 2: ``meta["crs"]`` is the metric CRS chosen for the area
#: (version 1 files always said EPSG:32651, whatever their location).
CACHE_FORMAT = 2


def save_network(net: WalkNetwork, path: str | Path) -> Path:
    """Save a network as ``.npz`` (atomic write), with its CRS and the cache format in ``meta``."""
    p = Path(path)
    meta = {**net.meta, "crs": net.crs, "format": CACHE_FORMAT}

    def _write(tmp: Path) -> None:
        with tmp.open("wb") as fh:
            np.savez(fh, node_osmid=net.node_osmid, lon=net.lon, lat=net.lat, x=net.x, y=net.y,
                     u=net.u, v=net.v, length=net.length,
                     residential=np.asarray(net.residential, dtype=bool),
                     meta=np.array(json.dumps(meta, ensure_ascii=False)))

    return atomic_write(p, _write)


def load_network(path: str | Path) -> WalkNetwork:
    """Load a network saved by :func:`save_network`.

    Files written before the CRS was chosen for the place (no ``format`` in their metadata)
    were all projected to EPSG:32651. Their WGS84 node positions are exact, so such a file is
    re-projected on load to the UTM zone of its area (x, y and edge lengths recomputed, the
    old CRS kept as ``meta["reprojected_from"]``); for Ningbo nothing changes.

    Raises
    ------
    atlas.errors.NetworkUnavailableError
        If the file is missing or is not a cached network.

    """
    p = Path(path)
    if not p.exists():
        raise NetworkUnavailableError(f"没有缓存的路网：{p.name}", f"No cached network: {p.name}")
    try:
        with np.load(p, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            arrays = {k: z[k] for k in ("node_osmid", "lon", "lat", "x", "y", "u", "v", "length")}
            res = z["residential"] if "residential" in z.files else None
    except (OSError, ValueError, KeyError) as exc:
        raise NetworkUnavailableError(
            f"缓存文件 {p.name} 不是可用的路网，请重新构建",
            f"The cache file {p.name} is not a usable network: build it again") from exc
    if int(meta.get("format", 1)) < CACHE_FORMAT:
        crs = metric_crs_for((arrays["lon"], arrays["lat"]))
        if meta.get("crs") != crs:
            log.warning("network cache %s was projected to %s; re-projecting to %s",
                        p.name, meta.get("crs"), crs)
            x, y = MetricFrame(crs).to_metric(arrays["lon"], arrays["lat"])
            u, v = arrays["u"], arrays["v"]
            arrays.update(x=x, y=y, length=np.hypot(x[u] - x[v], y[u] - y[v]))
            meta["reprojected_from"] = meta.get("crs")
        meta["crs"] = crs
    return WalkNetwork(arrays["node_osmid"], arrays["lon"], arrays["lat"], arrays["x"], arrays["y"],
                       arrays["u"], arrays["v"], arrays["length"], meta, res, crs=str(meta["crs"]))


def cache_dir(cache: Path | None = None) -> Path:
    """Folder holding cached networks."""
    return Path(cache or settings.CACHE_DIR) / "networks"


def cache_network(net: WalkNetwork, *, area_label: str, cache: Path | None = None) -> Path:
    """Store ``net`` in the cache under its area/source/date key and return the path.

    The saved copy carries ``area_label`` in its metadata; ``net`` itself is not modified.
    """
    meta = dict(net.meta, area_label=area_label)
    key = cache_key(area_label, str(meta.get("source")), str(meta.get("source_date")))
    return save_network(dataclasses.replace(net, meta=meta), cache_dir(cache) / f"{key}.npz")


def cached_networks(*, cache: Path | None = None) -> list[dict[str, Any]]:
    """List cached networks: path, area, source, date, size (newest first)."""
    out = []
    for p in sorted(cache_dir(cache).glob("*.npz")):
        try:
            with np.load(p, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                n_nodes, n_edges = len(z["x"]), len(z["u"])
        except (OSError, ValueError, KeyError):
            continue
        out.append({"path": str(p), "nodes": n_nodes, "edges": n_edges, **meta})
    return sorted(out, key=lambda r: str(r.get("built_at", "")), reverse=True)


def find_cached_path(area_label: str, *, cache: Path | None = None) -> Path | None:
    """Path of the newest cached network for ``area_label``, or None."""
    for rec in cached_networks(cache=cache):
        if rec.get("area_label") == area_label:
            return Path(rec["path"])
    return None


def find_cached(area_label: str, *, cache: Path | None = None) -> WalkNetwork | None:
    """Return the newest cached network for ``area_label``, or None."""
    p = find_cached_path(area_label, cache=cache)
    return load_network(p) if p is not None else None


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
        from atlas.demand import buildings_from_osm_file

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


def buildings_path(network_path: str | Path) -> Path:
    """Where the residential buildings cached with a network live."""
    return Path(network_path).with_suffix(".buildings.parquet")


def load_buildings(network_path: str | Path) -> gpd.GeoDataFrame | None:
    """Residential buildings cached with a network, or None when the source had none."""
    import geopandas as gpd

    p = buildings_path(network_path)
    return gpd.read_parquet(p) if p.exists() else None


def to_networkx(net: WalkNetwork) -> nx.Graph:
    """Return the network as an undirected networkx graph (for checks and small analyses)."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from((i, {"x": float(net.x[i]), "y": float(net.y[i])}) for i in range(net.n_nodes))
    g.add_weighted_edges_from(zip(net.u.tolist(), net.v.tolist(), net.length.tolist(), strict=True),
                              weight="length")
    return g


def synthetic_grid(n_side: int, *, spacing_m: float = 100.0,
                   origin: tuple[float, float] = (121.40, 29.70), seed: int = 0) -> WalkNetwork:
    """A square street grid of ``n_side`` x ``n_side`` nodes (for benchmarks/tests).

    The grid is square in the UTM zone of ``origin`` (default: near Ningbo), its south-west
    corner. A few edges are removed at random (5 %) so shortest paths are not trivial.
    """
    rng = np.random.default_rng(seed)
    frame = MetricFrame(utm_crs(*origin))
    x0, y0 = frame.to_metric(np.array([origin[0]]), np.array([origin[1]]))
    ii, jj = np.meshgrid(np.arange(n_side), np.arange(n_side), indexing="ij")
    x = (x0[0] + jj * spacing_m).ravel().astype(np.float64)
    y = (y0[0] + ii * spacing_m).ravel().astype(np.float64)
    idx = np.arange(n_side * n_side).reshape(n_side, n_side)
    h = np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()])
    v = np.column_stack([idx[:-1, :].ravel(), idx[1:, :].ravel()])
    e = np.vstack([h, v])
    e = e[rng.random(len(e)) > 0.05]
    lon, lat = frame.to_lonlat(x, y)
    length = np.hypot(x[e[:, 0]] - x[e[:, 1]], y[e[:, 0]] - y[e[:, 1]])
    net = WalkNetwork(np.arange(len(x), dtype=np.int64), np.asarray(lon), np.asarray(lat), x, y,
                      e[:, 0].astype(np.int64), e[:, 1].astype(np.int64), length,
                      {"source_kind": "synthetic", "source": f"grid {n_side}x{n_side}",
                       "source_date": date.today().isoformat()}, crs=frame.crs)
    return largest_component_of(net)
