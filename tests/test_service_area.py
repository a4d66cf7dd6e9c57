from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import pyproj
import pyrosm
import pytest
import shapely

from atlas.analysis.service_area import (
    METHOD_NETWORK,
    METHOD_PROXY,
    budget_metres,
    node_distances,
    proxy_areas,
    service_areas,
    sites_xy,
    snap,
)
from atlas.coverage import coverage
from atlas.errors import ValidationError
from atlas.geo.projection import split_at_antimeridian
from atlas.network import WalkNetwork, read_osm_file, synthetic_grid, to_networkx

FIXTURES = Path(__file__).parent / "fixtures"


def sites_at(lons, lats, ids=None):
    ids = ids or [f"s{i}" for i in range(len(lons))]
    return gpd.GeoDataFrame({"id": ids}, geometry=shapely.points(lons, lats), crs="EPSG:4326")


def reference_edge_points(net, site_xy, budget, step=10.0):
    """Independent reference: networkx Dijkstra from a virtual node on the snapped edge, then
    the walking distance of points every ``step`` metres along every edge."""
    g = to_networkx(net)
    s = snap(net, site_xy[None, :])
    e, t, acc = int(s.edge[0]), float(s.t[0]), float(s.access_m[0])
    u, v, L = int(net.u[e]), int(net.v[e]), float(net.length[e])
    g.add_edge("site", u, length=acc + t * L)
    g.add_edge("site", v, length=acc + (1 - t) * L)
    dist = nx.single_source_dijkstra_path_length(g, "site", weight="length")
    xs, ys, ds = [], [], []
    for k in range(net.n_edges):
        a, b, Lk = int(net.u[k]), int(net.v[k]), float(net.length[k])
        da, db = dist.get(a, np.inf), dist.get(b, np.inf)
        n = max(2, int(Lk // step) + 1)
        f = np.linspace(0, 1, n)
        d = np.minimum(da + f * Lk, db + (1 - f) * Lk)
        if k == e:  # the site's own edge: direct along it
            d = np.minimum(d, acc + np.abs(f - t) * Lk)
        xs.append(net.x[a] + f * (net.x[b] - net.x[a]))
        ys.append(net.y[a] + f * (net.y[b] - net.y[a]))
        ds.append(d)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ds)


def metric_polygon(area_row):
    return gpd.GeoSeries([area_row.geometry], crs="EPSG:4326").to_crs(area_row.crs).iloc[0]


@pytest.fixture(scope="module")
def helsinki():
    return read_osm_file(pyrosm.get_data("helsinki_pbf"))


def test_budget_presets():
    assert budget_metres() == pytest.approx(1125.0)
    assert budget_metres(metres=800) == 800
    assert budget_metres(minutes=10, speed_kmh=6) == pytest.approx(1000)
    with pytest.raises(ValidationError):
        budget_metres(minutes=0)


@pytest.mark.parametrize("node", [10, 777, 2500, 4100])
def test_reachable_points_are_inside_on_real_osm(helsinki, node):
    net = helsinki
    lon, lat = net.lon[node] + 0.0003, net.lat[node] + 0.0002
    sites = sites_at([lon], [lat])
    area = service_areas(net, sites)
    row = area.iloc[0]
    assert row.method == METHOD_NETWORK and row.flag == ""
    poly = metric_polygon(row)
    x, y, d = reference_edge_points(net, sites_xy(sites, crs=net.crs)[0], 1125.0)
    reach = d <= 1125.0
    assert reach.sum() > 50
    inside = shapely.contains_xy(poly, x, y)
    assert inside[reach].all(), f"{(~inside[reach]).sum()} reachable points outside"
    # Points beyond the budget may be inside only because a reachable street runs within the
    # street half-width of them (Helsinki maps sidewalks as separate, parallel footways): each
    # must lie within 25 m (+ 10 m sampling step, since the exact cut falls between samples,
    # + 0.5 m simplification) of a reachable point or of the site's access path.
    far_inside = (d > 1125.0) & inside
    sxy = sites_xy(sites, crs=net.crs)[0]
    sn = snap(net, sxy[None, :])
    f = np.linspace(0, 1, 20)
    ax = sxy[0] + f * (sn.point_x[0] - sxy[0])
    ay = sxy[1] + f * (sn.point_y[0] - sxy[1])
    tree = shapely.STRtree(shapely.points(np.r_[x[reach], ax], np.r_[y[reach], ay]))
    _, gap = tree.query_nearest(shapely.points(x[far_inside], y[far_inside]), return_distance=True)
    assert (gap <= 25.0 + 10.0 + 0.5).all(), gap.max()


def test_far_points_outside_on_a_grid_and_polygon_is_not_a_hull():
    net = synthetic_grid(40, spacing_m=100.0)
    c = net.n_nodes // 2
    sites = sites_at([net.lon[c]], [net.lat[c]])
    row = service_areas(net, sites).iloc[0]
    poly = metric_polygon(row)
    x, y, d = reference_edge_points(net, sites_xy(sites, crs=net.crs)[0], 1125.0)
    inside = shapely.contains_xy(poly, x, y)
    assert inside[d <= 1125.0].all()
    assert not inside[d > 1125.0 + 25.0 + 0.001].any()  # polygons are drawn on a millimetre grid
    # a convex hull of the reached streets would be far larger than the street-buffer polygon
    hull = shapely.convex_hull(poly)
    assert poly.area < 0.8 * hull.area


def test_areas_do_not_jump_the_river():
    net = read_osm_file(FIXTURES / "river_bridge.osm")
    # site on the south bank, ~1.45 km east of the only bridge
    sites = sites_at([121.514], [29.8030])
    row = service_areas(net, sites).iloc[0]
    across = shapely.Point(121.514, 29.8060)  # 330 m away straight across the water
    assert not row.geometry.contains(across)
    assert row.geometry.contains(shapely.Point(121.514, 29.8015))
    proxy = proxy_areas(sites).iloc[0]
    assert proxy.geometry.contains(across)  # a straight-line circle would wrongly cover it
    # from the bridge's south end the north bank is reached
    row2 = service_areas(net, sites_at([121.5005], [29.8030])).iloc[0]
    assert row2.geometry.contains(shapely.Point(121.5000, 29.8075))


def test_areas_grow_monotonically_with_minutes(helsinki):
    sites = sites_at([helsinki.lon[1234]], [helsinki.lat[1234]])
    polys = [metric_polygon(service_areas(helsinki, sites, minutes=m).iloc[0]) for m in (5, 10, 15, 20)]
    areas = [p.area for p in polys]
    assert areas == sorted(areas) and areas[0] < areas[-1]
    for small, big in itertools.pairwise(polys):
        assert small.difference(big).area < 1e-3 * small.area


def test_graduated_bands_come_from_one_search_and_are_strictly_nested(helsinki, monkeypatch):
    from scipy.sparse import csgraph

    rng = np.random.default_rng(3)
    nodes = rng.choice(helsinki.n_nodes, 6, replace=False)
    sites = sites_at(list(helsinki.lon[nodes] + 2e-4), list(helsinki.lat[nodes]))
    calls = []
    real = csgraph.dijkstra
    monkeypatch.setattr(csgraph, "dijkstra", lambda *a, **k: calls.append(1) or real(*a, **k))
    bands = service_areas(helsinki, sites, minutes=[15, 5, 10])
    assert len(calls) == len(sites)  # one search per site, to the largest budget
    assert list(bands.minutes) == [5.0, 10.0, 15.0] * len(sites)
    assert list(bands.site_id) == [s for s in sites.id for _ in range(3)]
    assert bands.metres.tolist() == pytest.approx([375.0, 750.0, 1125.0] * len(sites))
    monkeypatch.setattr(csgraph, "dijkstra", real)
    for crs in ("EPSG:4326", helsinki.crs):  # nested as returned, and in metres
        g = bands.to_crs(crs).geometry.to_numpy().reshape(len(sites), 3)
        assert shapely.covers(g[:, 1], g[:, 0]).all() and shapely.covers(g[:, 2], g[:, 1]).all()
    # each band is the area a single-budget call gives, less the nesting gap (1 cm narrower per
    # smaller band) and the arcs' chords where streets meet (joins drawn another way)
    for m in (5, 10, 15):
        alone = service_areas(helsinki, sites, minutes=m)
        assert bands[bands.minutes == m].area_km2.to_numpy() == pytest.approx(alone.area_km2.to_numpy(),
                                                                              rel=1e-3)
    assert (bands.area_km2.to_numpy().reshape(-1, 3) > 0).all()


def test_a_band_that_enters_a_street_by_centimetres_lies_within_the_next():
    """The smallest piece of a street (a band ending centimetres in) is drawn turned as its
    whole street, so it lies within the larger band's piece at every angle of the street (its
    own rounded ends would turn it by up to a milliradian: 2.5 cm at 25 m)."""
    from atlas.geo.projection import MetricFrame

    crs, x0, y0 = "EPSG:32631", 380_000.0, 4_710_000.0
    for angle in np.linspace(0.01, 1.5, 25):
        xy = np.array([[x0, y0], [x0 + 100 * np.cos(angle), y0 + 100 * np.sin(angle)]])
        lon, lat = MetricFrame(crs).to_lonlat(xy[:, 0], xy[:, 1])
        net = WalkNetwork(np.arange(2), lon, lat, xy[:, 0].copy(), xy[:, 1].copy(), np.array([0]),
                          np.array([1]), np.array([100.0]), {"source_kind": "synthetic"}, crs=crs)
        sites = sites_at([lon[0] + 1e-7], [lat[0]])
        for short in (0.05, 0.2, 0.45):
            g = service_areas(net, sites, metres=[short, 60.0]).to_crs(crs).geometry.to_numpy()
            assert g[0].area > 0 and shapely.covers(g[1], g[0]), (angle, short)


def test_bands_in_metres_and_bad_band_lists(helsinki):
    sites = sites_at([helsinki.lon[1234]], [helsinki.lat[1234]])
    out = service_areas(helsinki, sites, metres=[1000, 800])
    assert out.metres.tolist() == [800.0, 1000.0]
    assert out.minutes.tolist() == pytest.approx([800 / 75, 1000 / 75])
    for bad in ([], [5, -1], [5, float("nan")], ["abc"]):
        with pytest.raises(ValidationError) as err:
            service_areas(helsinki, sites, minutes=bad)
        assert err.value.message("zh") and err.value.message("en")


def test_far_site_is_flagged_not_crashed(helsinki):
    c = 1234
    sites = sites_at([helsinki.lon[c], helsinki.lon[c] + 0.02], [helsinki.lat[c], helsinki.lat[c] - 0.02],
                     ids=["near", "far"])
    out = service_areas(helsinki, sites).set_index("site_id")
    assert out.loc["far", "flag"] == "snap_too_far" and out.loc["far", "geometry"].is_empty
    assert out.loc["far", "snap_m"] > 150
    assert out.loc["near", "flag"] == "" and out.loc["near", "area_km2"] > 0.1
    assert set(out.method) == {METHOD_NETWORK}  # never a proxy circle mixed in


def test_proxy_is_labelled_and_sized():
    sites = sites_at([121.55], [29.87])
    p = proxy_areas(sites).iloc[0]
    assert p.method == METHOD_PROXY and "straight line" in p.network_source
    r = np.sqrt(metric_polygon(p).area / np.pi)
    assert r == pytest.approx(1125 / 1.3, rel=0.01)


def test_preview_is_labelled(helsinki):
    sites = sites_at([helsinki.lon[1234]], [helsinki.lat[1234]])
    out = service_areas(helsinki, sites, preview=True)
    assert (out.method == "network-concave-preview").all()


def test_unplaced_sites_and_wrong_crs_are_rejected():
    sites = gpd.GeoDataFrame({"id": ["a"]}, geometry=[None], crs="EPSG:4326")
    with pytest.raises(ValidationError):
        sites_xy(sites, crs="EPSG:32651")
    with pytest.raises(ValidationError, match="WGS84"):
        sites_xy(sites_at([121.5], [29.8]).to_crs("EPSG:32651"), crs="EPSG:32651")


# --- true metres anywhere ------------------------------------------------------------------

GEOD = pyproj.Geod(ellps="WGS84")


def street_line(path):
    """The fixture's main street (way 1) as a WGS84 line, read independently with osmium."""
    for way in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations():
        if isinstance(way, osmium.osm.Way) and way.id == 1:
            return shapely.LineString([(n.location.lon, n.location.lat) for n in way.nodes])
    raise AssertionError("no way 1")


@pytest.mark.parametrize("name", ["50n", "60n", "118e", "fiji", "chukotka", "capetown", "equator",
                                  "svalbard", "north86"])
def test_service_area_along_a_straight_street_reaches_the_budget(name):
    path = FIXTURES / f"geodesic_streets_{name}.osm"
    net = read_osm_file(path)
    line = street_line(path)
    lons, lats = np.asarray(line.coords).T
    # a site on the street 2,020 m from its start (between two nodes, 500 m from the side street)
    lon, lat, _ = GEOD.fwd(lons[0], lats[0], GEOD.inv(lons[0], lats[0], lons[1], lats[1])[0], 2020.0)
    hw = 1.0
    row = service_areas(net, sites_at([float(lon)], [float(lat)]), half_width_m=hw).iloc[0]
    assert row.snap_m < 0.5
    # the street as WGS84 parts on either side of the antimeridian, like the area (Fiji, Chukotka)
    reached = row.geometry.intersection(split_at_antimeridian(line))  # the street inside the area
    along = GEOD.geometry_length(reached)  # geodesic metres on the ellipsoid
    assert along == pytest.approx(2 * (1125.0 + hw), rel=0.01)
    # and the area's reported size is its true (geodesic) size
    assert row.area_km2 * 1e6 == pytest.approx(abs(GEOD.geometry_area_perimeter(row.geometry)[0]),
                                               rel=0.005)
    assert row.crs == net.crs


@pytest.mark.parametrize(("lon", "lat"), [(11.5, 50.0), (24.9, 60.2), (118.5, 30.0), (121.55, 29.87)])
def test_proxy_circles_are_true_size_anywhere(lon, lat):
    row = proxy_areas(sites_at([lon], [lat])).iloc[0]
    true_area = abs(GEOD.geometry_area_perimeter(row.geometry)[0])
    assert true_area == pytest.approx(row.area_km2 * 1e6, rel=0.005)
    # a 16-segment-per-quadrant circle of radius 1,125 / 1.3 m
    assert true_area == pytest.approx(np.pi * (1125 / 1.3) ** 2, rel=0.005)


# --- edge weights that keep their meaning ---------------------------------------------------

def with_parallel_and_zero_edges(net, seed=0):
    """The network with extra parallel edges (longer and shorter copies of real ones) and some
    zero-length edges, as a MultiGraph network may have them."""
    rng = np.random.default_rng(seed)
    m = net.n_edges
    longer = rng.choice(m, 60, replace=False)
    shorter = rng.choice(m, 60, replace=False)
    u = np.concatenate([net.u, net.u[longer], net.u[shorter]])
    v = np.concatenate([net.v, net.v[longer], net.v[shorter]])
    length = np.concatenate([net.length, 1.7 * net.length[longer], 0.4 * net.length[shorter]])
    length[rng.choice(m, 40, replace=False)] = 0.0
    return WalkNetwork(net.node_osmid, net.lon, net.lat, net.x, net.y, u, v, length,
                       dict(net.meta), crs=net.crs)


def networkx_distances(net, s, limit):
    """Multi-source Dijkstra with networkx on a MultiGraph of every edge, from virtual nodes
    joined to each site's snapped edge."""
    g = nx.MultiGraph()
    g.add_nodes_from(range(net.n_nodes))
    g.add_weighted_edges_from(zip(net.u.tolist(), net.v.tolist(), net.length.tolist(), strict=True))
    for i, (e, t, acc) in enumerate(zip(s.edge, s.t, s.access_m, strict=True)):
        g.add_edge(("site", i), int(net.u[e]), weight=acc + t * net.length[e])
        g.add_edge(("site", i), int(net.v[e]), weight=acc + (1 - t) * net.length[e])
    ref = nx.multi_source_dijkstra_path_length(g, [("site", i) for i in range(len(s.edge))],
                                               cutoff=limit)
    out = np.full(net.n_nodes, np.inf)
    for node, d in ref.items():
        if not isinstance(node, tuple):
            out[node] = d
    return out


def test_parallel_and_zero_length_edges_give_networkx_distances():
    net = with_parallel_and_zero_edges(synthetic_grid(30))
    rng = np.random.default_rng(1)
    k = rng.choice(net.n_nodes, 12, replace=False)
    xy = np.column_stack([net.x[k] + rng.uniform(-30, 30, 12), net.y[k] + rng.uniform(-30, 30, 12)])
    xy[:4] = np.column_stack([net.x[k[:4]], net.y[k[:4]]])  # some sites exactly on nodes
    s = snap(net, xy)
    ref = networkx_distances(net, s, 1125.0)
    multi = node_distances(net, s, limit=1125.0, min_only=True)
    assert np.array_equal(np.isfinite(multi), np.isfinite(ref))
    fin = np.isfinite(ref)
    assert np.abs(multi[fin] - ref[fin]).max() < 1e-4
    # per site: the same as the multi-source pass, node for node
    per = node_distances(net, s, limit=1125.0).min(axis=0)
    assert np.array_equal(np.isfinite(per), fin) and np.abs(per[fin] - ref[fin]).max() < 1e-4
    # and coverage (one pass) agrees with the per-site service distances at edge midpoints
    demand = gpd.GeoDataFrame({"edge": np.arange(net.n_edges), "population": 1.0},
                              geometry=shapely.points(net.lon[net.u], net.lat[net.u]), crs="EPSG:4326")
    sites = gpd.GeoDataFrame({"id": [f"s{i}" for i in range(len(xy))]},
                             geometry=shapely.points(*net.frame.to_lonlat(xy[:, 0], xy[:, 1])),
                             crs="EPSG:4326")
    cov = coverage(net, demand, sites)
    assert cov.crs == net.crs and cov.covered.sum() > 100
