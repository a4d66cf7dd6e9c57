"""Every distance routine of the engine against networkx, on random small networks (hypothesis).

The reference is built independently of the engine's shortest-path code: each street of the
random network becomes a chain in a networkx MultiGraph, split at every point something sits
on it (a site's snap point, a demand point at its middle), with the pieces' lengths in
proportion; a site is a node joined to its snap point by its access distance. Distances are
then plain networkx Dijkstra. The networks are drawn to contain what broke distances before:
nodes sharing a position (zero-length edges), edges given length 0, parallel edges (equal or
not), isolated parts, sites on nodes, several sites on one street, and sites whose position in
the list equals the index of a node at an end of their street.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlas.analysis.odmatrix import network_matrix
from atlas.analysis.reach import reach
from atlas.analysis.service_area import Snap, node_distances, snap
from atlas.analysis.siting import coverage_matrix
from atlas.coverage import demand_distances
from atlas.geo.projection import MetricFrame
from atlas.network import WalkNetwork

CRS = "EPSG:32631"  # Andorra's UTM zone
X0, Y0 = 380_000.0, 4_710_000.0
GRID_M = 60.0
#: Distances differ from networkx by at most a micrometre per zero-length edge on a path.
TOL_M = 1e-4

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def networks(draw: st.DrawFn) -> WalkNetwork:
    """A small network on a 5 x 5 grid of positions (nodes may share one), with parallel edges,
    edges of length 0, and lengths that may differ from the straight line (a parallel edge
    longer or shorter than its twin)."""
    n = draw(st.integers(2, 9))
    pos = draw(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=n, max_size=n))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
                          .filter(lambda p: p[0] != p[1]), min_size=1, max_size=14))
    twins = draw(st.lists(st.integers(0, len(pairs) - 1), max_size=4))  # parallel edges
    pairs = pairs + [pairs[i][::-1] if i % 2 else pairs[i] for i in twins]
    factor = draw(st.lists(st.sampled_from([1.0, 1.0, 1.0, 1.0, 1.5, 0.5, 0.0]),
                           min_size=len(pairs), max_size=len(pairs)))
    xy = np.array(pos, dtype=float) * GRID_M + [X0, Y0]
    u = np.array([p[0] for p in pairs], dtype=np.int64)
    v = np.array([p[1] for p in pairs], dtype=np.int64)
    length = np.hypot(*(xy[u] - xy[v]).T) * np.array(factor)
    lon, lat = MetricFrame(CRS).to_lonlat(xy[:, 0], xy[:, 1])
    return WalkNetwork(np.arange(n, dtype=np.int64), lon, lat, xy[:, 0].copy(), xy[:, 1].copy(), u, v,
                       length, {"source_kind": "synthetic"}, crs=CRS)


def on_edge(net: WalkNetwork, e: int, t: float, off: float = 0.0) -> tuple[float, float]:
    """A point at fraction ``t`` along edge ``e``, moved ``off`` metres sideways."""
    ax, ay, bx, by = net.x[net.u[e]], net.y[net.u[e]], net.x[net.v[e]], net.y[net.v[e]]
    dx, dy = bx - ax, by - ay
    norm = float(np.hypot(dx, dy)) or 1.0
    return ax + t * dx - off * dy / norm, ay + t * dy + off * dx / norm


@st.composite
def sites_on(draw: st.DrawFn, net: WalkNetwork) -> np.ndarray:
    """Site positions (metres): anywhere, on nodes, several on one street, and, when drawn,
    the i-th site on a street ending at node i (a site's list position equal to a node index)."""
    out: list[tuple[float, float]] = []
    if draw(st.booleans()):  # the i-th site on a street that ends at node i
        for i in range(net.n_nodes):
            touching = np.flatnonzero((net.u == i) | (net.v == i))
            if len(touching) == 0:
                break
            e = int(touching[draw(st.integers(0, len(touching) - 1))])
            out.append(on_edge(net, e, draw(st.floats(0, 1)), draw(st.floats(-20, 20))))
    fracs = st.floats(0, 1)
    for kind in draw(st.lists(st.sampled_from(["anywhere", "node", "street", "same-street"]),
                              min_size=0 if out else 1, max_size=5)):
        if kind == "anywhere":
            out.append((X0 + draw(st.floats(-80, 320)), Y0 + draw(st.floats(-80, 320))))
        elif kind == "node":
            i = draw(st.integers(0, net.n_nodes - 1))
            out.append((float(net.x[i]), float(net.y[i])))
        else:
            e = draw(st.integers(0, net.n_edges - 1))
            for _ in range(1 if kind == "street" else draw(st.integers(2, 3))):
                out.append(on_edge(net, e, draw(fracs), draw(st.floats(-15, 15))))
    return np.array(out, dtype=float)


@dataclass
class Case:
    net: WalkNetwork
    xy: np.ndarray
    snap: Snap
    demand_edge: np.ndarray
    limit: float


@st.composite
def cases(draw: st.DrawFn) -> Case:
    net = draw(networks())
    xy = draw(sites_on(net))
    demand_edge = np.array(draw(st.lists(st.integers(0, net.n_edges - 1), min_size=1, max_size=12)),
                           dtype=np.int64)  # repeats: several demand points on one street
    limit = draw(st.floats(20.0, 500.0))
    return Case(net, xy, snap(net, xy), demand_edge, limit)


def reference_graph(c: Case) -> tuple[nx.MultiGraph, list, list]:
    """The split MultiGraph, the site nodes and the demand nodes (see module docstring)."""
    net, s = c.net, c.snap
    marks: dict[int, set[float]] = {}
    for e, t in zip(s.edge.tolist(), s.t.tolist(), strict=True):
        marks.setdefault(e, set()).add(t)
    for e in c.demand_edge.tolist():
        marks.setdefault(e, set()).add(0.5)

    def point(e: int, t: float) -> object:
        return int(net.u[e]) if t == 0 else int(net.v[e]) if t == 1 else ("p", e, t)

    g = nx.MultiGraph()
    g.add_nodes_from(range(net.n_nodes))
    for e in range(net.n_edges):
        ts = sorted({0.0, 1.0} | marks.get(e, set()))
        for a, b in itertools.pairwise(ts):
            g.add_edge(point(e, a), point(e, b), length=(b - a) * float(net.length[e]))
    sources = []
    for i, (e, t, acc) in enumerate(zip(s.edge.tolist(), s.t.tolist(), s.access_m.tolist(), strict=True)):
        g.add_edge(("site", i), point(e, t), length=acc)
        sources.append(("site", i))
    return g, sources, [point(int(e), 0.5) for e in c.demand_edge]


def as_array(found: dict, keys: list, limit: float) -> np.ndarray:
    d = np.array([found.get(k, np.inf) for k in keys], dtype=float)
    return np.where(d <= limit, d, np.inf)


def assert_same(ours: np.ndarray, ref: np.ndarray, limit: float) -> None:
    """Same reach (ignoring values within TOL_M of the limit) and the same distances."""
    ours = np.where(ours <= limit, ours, np.inf)
    clear = ~(np.abs(ref - limit) < TOL_M) & ~(np.abs(ours - limit) < TOL_M)
    assert np.array_equal(np.isfinite(ours)[clear], np.isfinite(ref)[clear]), (ours, ref)
    both = np.isfinite(ours) & np.isfinite(ref)
    assert np.all(np.abs(ours[both] - ref[both]) < TOL_M), (ours, ref)


def per_site_reference(c: Case) -> tuple[np.ndarray, np.ndarray]:
    """Per site: distances to every node and to every demand point (inf beyond the limit)."""
    g, sources, dem = reference_graph(c)
    nodes = list(range(c.net.n_nodes))
    to_nodes, to_demand = [], []
    for src in sources:
        found = nx.single_source_dijkstra_path_length(g, src, cutoff=c.limit, weight="length")
        to_nodes.append(as_array(found, nodes, c.limit))
        to_demand.append(as_array(found, dem, c.limit))
    k = len(sources)
    return (np.array(to_nodes).reshape(k, c.net.n_nodes), np.array(to_demand).reshape(k, len(dem)))


@SETTINGS
@given(cases())
def test_snap_is_to_the_nearest_street(c: Case):
    lines = c.net.edge_lines
    for i, (x, y) in enumerate(c.xy):
        nearest = shapely.distance(shapely.Point(x, y), lines).min()
        assert c.snap.access_m[i] == pytest.approx(nearest, abs=1e-6)
        assert np.hypot(x - c.snap.point_x[i], y - c.snap.point_y[i]) == pytest.approx(nearest, abs=1e-6)


@SETTINGS
@given(cases())
def test_multi_source_node_distances_equal_networkx(c: Case):
    g, sources, _ = reference_graph(c)
    found = nx.multi_source_dijkstra_path_length(g, sources, cutoff=c.limit, weight="length")
    ref = as_array(found, list(range(c.net.n_nodes)), c.limit)
    assert_same(node_distances(c.net, c.snap, limit=c.limit, min_only=True), ref, c.limit)


@SETTINGS
@given(cases())
def test_per_site_node_distances_equal_networkx(c: Case):
    ref, _ = per_site_reference(c)
    ours = node_distances(c.net, c.snap, limit=c.limit)
    for i in range(len(c.xy)):
        assert_same(ours[i], ref[i], c.limit)


@SETTINGS
@given(cases())
def test_demand_distances_equal_networkx(c: Case):
    """Coverage's one-pass distance to the nearest site, for demand at street midpoints."""
    _, ref = per_site_reference(c)
    demand = gpd.GeoDataFrame({"edge": c.demand_edge}, geometry=[shapely.Point()] * len(c.demand_edge))
    ours, ok = demand_distances(c.net, demand, c.xy, limit=c.limit, snap_limit_m=1e9)
    assert ok.all()
    assert_same(ours, ref.min(axis=0), c.limit)


@SETTINGS
@given(cases())
def test_site_demand_matrix_equals_networkx(c: Case):
    """The sparse matrix coverage bounds and accessibility read, and the siting matrix."""
    _, ref = per_site_reference(c)
    demand = gpd.GeoDataFrame({"edge": c.demand_edge}, geometry=[shapely.Point()] * len(c.demand_edge))
    m = network_matrix(c.net, demand, c.xy, cutoff=c.limit, snap_limit_m=1e9)
    dense = np.where(m.dist.toarray() > 0, m.dist.toarray(), np.inf)
    for i in range(len(c.xy)):
        assert_same(dense[i], np.maximum(ref[i], 1e-3), c.limit)  # stored >= 1 mm
    within, ok = coverage_matrix(c.net, demand, c.xy, budget=c.limit, snap_limit_m=1e9)
    clear = np.abs(ref - c.limit) >= TOL_M
    assert ok.all() and np.array_equal(within.toarray()[clear], np.isfinite(ref)[clear])


def test_a_site_listed_at_the_index_of_its_streets_end_keeps_both_ends():
    """The issue's reproduction: three nodes 100 m apart, one site 10 m from node 0, first."""
    xy = np.array([[X0, Y0], [X0 + 100, Y0], [X0 + 200, Y0]])
    lon, lat = MetricFrame(CRS).to_lonlat(xy[:, 0], xy[:, 1])
    net = WalkNetwork(np.arange(3), lon, lat, xy[:, 0], xy[:, 1], np.array([0, 1]), np.array([1, 2]),
                      np.array([100.0, 100.0]), {}, crs=CRS)
    s = snap(net, np.array([[X0 + 10, Y0]]))
    assert node_distances(net, s, limit=1000, min_only=True) == pytest.approx([10, 90, 190])


def interval_length(intervals: list[tuple[float, float]]) -> float:
    """Total length of a union of intervals."""
    total, end = 0.0, -np.inf
    for a, b in sorted(intervals):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


@SETTINGS
@given(cases())
def test_reachable_street_equals_networkx(c: Case):
    """What a service area is drawn from: the reachable length of every street, per site."""
    g, sources, _ = reference_graph(c)
    dist = node_distances(c.net, c.snap, limit=c.limit)
    for i, src in enumerate(sources):
        found = nx.single_source_dijkstra_path_length(g, src, cutoff=c.limit, weight="length")
        r = reach(c.net, dist[i], c.limit, own_edge=int(c.snap.edge[i]), own_t=float(c.snap.t[i]),
                  access=float(c.snap.access_m[i]))
        for e in range(c.net.n_edges):
            length = float(c.net.length[e])
            on_e = {float(t) for k, t in zip(c.snap.edge, c.snap.t, strict=True) if k == e}
            marks = sorted({0.0, 1.0} | on_e | ({0.5} if e in c.demand_edge else set()))
            ref: list[tuple[float, float]] = []
            for a, b in itertools.pairwise(marks):
                na = c.net.u[e] if a == 0 else c.net.v[e] if a == 1 else ("p", e, a)
                nb = c.net.u[e] if b == 0 else c.net.v[e] if b == 1 else ("p", e, b)
                da, db = found.get(int(na) if a in (0, 1) else na, np.inf), found.get(
                    int(nb) if b in (0, 1) else nb, np.inf)
                ref += [(a * length, min(b * length, a * length + c.limit - da))] if da <= c.limit else []
                ref += [(max(a * length, b * length - (c.limit - db)), b * length)] if db <= c.limit else []
            ours = [(0.0, length)] if r.full[e] else [
                (s0, s1) for k, s0, s1 in zip(r.part_edge, r.part_s0, r.part_s1, strict=True) if k == e]
            assert interval_length(ours) == pytest.approx(interval_length(ref), abs=TOL_M), (e, ours, ref)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_graduated_bands_are_strictly_nested_and_each_its_own_area(c: Case):
    """On the same adversarial networks: 5/10/15-style bands (a third, two thirds and all of the
    limit) nest exactly, as returned (WGS84) and in metres, and each band is the area a call
    with that budget alone gives, up to the nesting gap and the arcs' chords (half a metre of
    the outline at most)."""
    from atlas.analysis.reach import ARC_FRACTION, NEST_GAP_M
    from atlas.analysis.service_area import service_areas

    lon, lat = MetricFrame(CRS).to_lonlat(c.xy[:, 0], c.xy[:, 1])
    sites = gpd.GeoDataFrame({"id": [str(i) for i in range(len(c.xy))]},
                             geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    budgets = [c.limit / 3, 2 * c.limit / 3, c.limit]
    bands = service_areas(c.net, sites, metres=budgets)
    ok = (bands.flag == "").to_numpy().reshape(-1, 3)[:, 0]
    for crs in ("EPSG:4326", CRS):
        g = bands.to_crs(crs).geometry.to_numpy().reshape(-1, 3)[ok]
        for small, big in ((g[:, 0], g[:, 1]), (g[:, 1], g[:, 2])):
            assert (shapely.is_empty(small) | shapely.covers(big, small)).all()
    metric = bands.to_crs(CRS).geometry.to_numpy().reshape(-1, 3)
    for j, b in enumerate(budgets):
        alone = service_areas(c.net, sites, metres=[b]).to_crs(CRS).geometry.to_numpy()
        tol = (ARC_FRACTION * 25.0 + 2 * NEST_GAP_M) * shapely.length(alone) + 1e-6
        assert (shapely.area(shapely.symmetric_difference(metric[:, j], alone)) <= tol).all()
