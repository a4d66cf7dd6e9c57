"""An independent exact reference for walking distances and service areas on raw OSM extracts.

Built from the raw OSM file, without atlas.network: every walkable way segment (including
OSM's zero-length and parallel segments) becomes an edge of a networkx MultiGraph, with its
length measured in the extract's own UTM zone through pyproj directly. Shortest paths are
networkx Dijkstra; a service area is the reachable street sampled every 5 m, joined and
buffered like ours. Used by tests/test_exactness.py and scripts/bench_service_areas.py.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
import osmium
import pyproj
import shapely

from atlas.network import WalkNetwork
from atlas.osmfilter import way_matches

BUDGET = 1125.0
HALF_WIDTH = 25.0
STEP = 5.0


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


def reference_polygon(ref: Reference, net: WalkNetwork, s, i: int, site_xy, *,
                      budget: float = BUDGET, half_width: float = HALF_WIDTH) -> shapely.Geometry:
    """Exact-reference service area: networkx from the snapped site, every reached edge sampled
    every 5 m, reachable samples joined and buffered by the street half-width."""
    h, sources = with_sites(ref.graph, net, s)
    dist = nx.single_source_dijkstra_path_length(h, sources[i], cutoff=budget, weight="length")
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
        ok = walk <= budget
        for k in np.flatnonzero(ok[:-1] & ok[1:]):
            parts.append(shapely.LineString(pts[k:k + 2]))
        parts += [shapely.Point(p) for p in pts[ok]]
    parts.append(shapely.LineString([site_xy, (s.point_x[i], s.point_y[i])]))
    return shapely.union_all(shapely.buffer(parts, half_width, quad_segs=4))
