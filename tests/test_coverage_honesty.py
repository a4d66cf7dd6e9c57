"""Coverage figures say what they stand on: gaps cut at districts and named, people labelled as
the estimate they are, districts without supply data shown as such (review session 3: 3, 4, 5)."""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from atlas import fmt
from atlas.analysis.accessibility import accessibility
from atlas.analysis.demand import proxy_demand
from atlas.analysis.supply import districts_without_data, supply_sites
from atlas.coverage.summary import SUPPLY_DATA_MISSING, coverage_summary, demand_label
from atlas.data.geodata import load_districts, load_population
from atlas.data.places import DISTRICT_PART, Places, load_places, name_areas
from atlas.geo.projection import MetricFrame

SILENT = {"奉化区", "宁海县"}  # the 科普画廊 source lists no row for these (its provenance says so)


@pytest.fixture(scope="module")
def city():
    """The default offline analysis of the coverage page: area-uniform demand, bases + galleries."""
    demand = proxy_demand(load_districts(), load_population())
    sites = supply_sites("both")
    return demand, sites, coverage_summary(demand, sites, supply="both")


# --- (5) districts without supply data ---------------------------------------------------------

def test_the_supply_knows_where_its_source_is_silent():
    assert set(districts_without_data("galleries")) == SILENT
    assert set(districts_without_data("both")) == SILENT
    assert districts_without_data("bases") == {}
    assert set(supply_sites("galleries").attrs["districts_without_data"]) == SILENT


def test_silent_districts_read_no_data_not_worst_covered(city):
    demand, _, s = city
    by = s.by_district().set_index("zone")
    for d in SILENT:
        assert by.loc[d, "status"] == SUPPLY_DATA_MISSING
        assert by.loc[[d], ["pct_upper", "pct_estimate", "certain_gap_population"]].isna().all(axis=None)
        assert by.loc[d, "population"] == demand.population[demand.district == d].sum()
        assert "科普画廊" in by.loc[d, "note"]
    assert (by.drop(index=list(SILENT)).status == "ok").all()
    assert by.drop(index=list(SILENT)).note.isna().all()
    en = s.by_district(lang="en").set_index("zone")
    assert "Ninghai" in en.loc["宁海县", "note"] and "no row" in en.loc["宁海县", "note"]


def test_city_figures_leave_the_silent_districts_out_and_say_so(city):
    demand, sites, s = city
    c = s.city()
    known = ~demand.district.isin(SILENT)
    assert c.population == pytest.approx(demand.population[known].sum())
    assert c.certain_gap_population == pytest.approx(s.by_district().certain_gap_population.sum())
    assert "奉化区" in c.note and "宁海县" in c.note and "奉化区" in s.headline("zh")
    # the same analysis told that every source is complete counts them (the old figure, kept as a check)
    naive = coverage_summary(demand, sites, supply="both", supply_missing={}).city()
    assert naive.population == pytest.approx(demand.population.sum()) and pd.isna(naive.note)
    assert naive.certain_gap_population > c.certain_gap_population + 1_000_000


def test_a_zone_partly_in_a_silent_district_counts_its_known_people_and_names_the_rest(city):
    s = city[2]
    zones = gpd.GeoDataFrame({"zone": ["奉化-鄞州", "鄞州"]}, crs="EPSG:4326", geometry=[
        shapely.box(121.30, 29.62, 121.60, 29.72), shapely.box(121.55, 29.80, 121.60, 29.85)])
    t = s.by_zone(zones).set_index("zone")
    assert t.loc["奉化-鄞州", "status"] == "ok" and "奉化区" in t.loc["奉化-鄞州", "note"]
    assert 0 < t.loc["奉化-鄞州", "pct_upper"] <= 100 and pd.isna(t.loc["鄞州", "note"])


def test_no_gap_and_no_access_score_is_claimed_where_the_data_is_missing(city):
    _, sites, s = city
    gaps = s.gaps()
    assert not set(gaps.district) & SILENT
    cells = s.cells()
    assert cells[cells.district.isin(SILENT)].no_data.all()
    assert (cells[cells.no_data].uncovered == 0).all()
    acc = accessibility(s, sites)
    a = acc.by_district().set_index("zone")
    assert (a.loc[list(SILENT), "status"] == SUPPLY_DATA_MISSING).all()
    assert a.loc[list(SILENT), "score_per_10k"].isna().all()
    assert acc.points().loc[lambda p: p.district.isin(SILENT), "score_per_10k"].isna().all()


# --- (3) gaps cut at district boundaries, named ------------------------------------------------

def test_gaps_never_cross_a_district_and_never_exceed_its_people(city):
    demand, _, s = city
    gaps = s.gaps()
    people = demand.groupby("district").population.sum()
    assert (gaps.population <= gaps.district.map(people) + 1e-6).all()
    # the cells of a gap all belong to its district
    cell_district = dict(zip(demand.h3, demand.district, strict=True))
    for g in gaps.head(15).itertuples():
        inside = h3.geo_to_cells(g.geometry.__geo_interface__, 8)
        assert {cell_district[c] for c in inside if c in cell_district} <= {g.district}, g.rank
    assert gaps.population.sum() == pytest.approx(s.city().certain_gap_population)


def test_a_blob_spanning_two_districts_becomes_two_gaps():
    cells = list(h3.grid_disk(h3.latlng_to_cell(29.87, 121.55, 8), 3))  # 37 neighbouring cells
    lat, lon = np.array([h3.cell_to_latlng(c) for c in cells]).T
    district = np.where(lon < 121.55, "西区", "东区")
    dem = gpd.GeoDataFrame({"h3": cells, "district": district, "population": 100.0, "method": "area-uniform"},
                           geometry=shapely.points(lon, lat), crs="EPSG:4326")
    far = gpd.GeoDataFrame({"id": ["s"]}, geometry=[shapely.Point(122.5, 30.5)], crs="EPSG:4326")
    gaps = coverage_summary(dem, far).gaps(places=None)
    assert sorted(gaps.district) == ["东区", "西区"]
    assert gaps.set_index("district").population.to_dict() == {
        d: 100.0 * (district == d).sum() for d in ("东区", "西区")}


def _places(rows):
    t = pd.DataFrame(rows, columns=["kind", "name_zh", "street", "district", "lon", "lat"])
    return Places(t, {"甲区": "Jia"})


def test_a_gap_is_named_after_the_nearest_known_place_of_its_own_district():
    frame = MetricFrame("EPSG:32651")
    x0, y0 = 350_000.0, 3_305_000.0
    lon, lat = frame.to_lonlat(np.array([x0, x0 + 400]), np.array([y0, y0]))
    cells = pd.DataFrame({"cluster": [0, 0], "district": "甲区", "cell_lon": lon, "cell_lat": lat,
                          "w": [10.0, 30.0]})
    plon, plat = frame.to_lonlat(np.array([x0 + 400, x0 + 2400, x0 + 600]), np.array([y0 + 2000, y0, y0]))
    places = _places([("community", "横溪镇 金峨村", "横溪镇", "甲区", plon[0], plat[0]),
                      ("school", "某小学", "", "甲区", plon[1], plat[1]),
                      ("community", "别区 某村", "别镇", "乙区", plon[2], plat[2])])  # nearer, other district
    row = name_areas(cells, np.array([0]), places=places).iloc[0]
    assert row.name_source == "community" and row["name"] == "近 横溪镇 金峨村（最近已知社区，约 2.0 km）"
    assert row.near_km == 2.0
    assert row.name_en == "near Jin'e Village, Hengxi Town (nearest known community, ~2.0 km)"
    assert row.streets == "横溪镇"
    # no community in reach: the school names it; nothing in reach: the part of the district
    only_school = _places([("school", "某小学", "", "甲区", plon[1], plat[1])])
    assert name_areas(cells, np.array([0]), places=only_school).iloc[0].name_source == "school"
    far = name_areas(cells, np.array([0]), places=_places([]), centres={"甲区": (lon[0] + 0.1, lat[0])})
    assert far.iloc[0].name_source == DISTRICT_PART and far.iloc[0]["name"] == "甲区西部（附近无已知地名）"
    assert far.iloc[0].name_en == "west Jia (no known place nearby)" and np.isnan(far.iloc[0].near_km)


def test_shipped_gaps_carry_names_that_point_to_real_places(city):
    _, _, s = city
    gaps = s.gaps()
    assert gaps.name.str.len().gt(0).all() and gaps.name_en.str.len().gt(0).all()
    # people spread by area: the area, which ranks the gaps, comes before the head count
    assert list(gaps.columns[:6]) == ["rank", "name", "name_en", "district", "area_km2", "population"]
    assert set(gaps.name_source) <= {"community", "school", "hospital", "streets", DISTRICT_PART}
    places = load_places().table
    frame = MetricFrame("EPSG:32651")
    for g in gaps[gaps.name_source.isin(["community", "school", "hospital"])].head(20).itertuples():
        named = places[(places.district == g.district) & (places.kind == g.name_source)
                       & places.name_zh.map(lambda n, g=g: f"近 {n}（" in g.name)]
        assert len(named), g.name  # the place named is one of its district's own
        px, py = frame.to_metric(named.lon.to_numpy(), named.lat.to_numpy())
        cx, cy = frame.to_metric(np.array([g.lon]), np.array([g.lat]))
        assert np.hypot(px - cx, py - cy).min() < 3000 + 6000  # near the gap, not across the city
    # galleries whose point lies in another district than their row states never name a place
    assert not places.name_zh.str.contains("五兴村").any()


def test_bases_only_gaps_in_ninghai_are_named_without_borrowing_another_districts_names():
    demand = proxy_demand(load_districts(), load_population())
    s = coverage_summary(demand[demand.district == "宁海县"], supply_sites("bases"), supply="bases")
    gaps = s.gaps()
    assert len(gaps) and (gaps.district == "宁海县").all()
    top = gaps.iloc[0]
    assert top.name_source in {"school", "hospital", "streets", DISTRICT_PART}
    assert top.population <= 713_000 + 1e-6


# --- (4) the way people were placed is said, one rounding ------------------------------------

def test_area_uniform_people_are_labelled_as_an_estimate(city):
    _, _, s = city
    assert s.demand_method == "area-uniform"
    assert demand_label("area-uniform", "zh") == "按面积折算的人口（估计）"
    assert demand_label("area-uniform", "en") == "people if spread evenly by area (estimate)"
    assert s.demand_label("zh", column="certain_gap_population") == "确定在外人口（按面积折算，约）"
    assert s.demand_label("en", column="population") == "People (≈, by area)"
    assert s.demand_label("zh", column="district") == fmt.header("district", "zh")
    assert "按面积折算的人口（估计）" in s.headline("zh")
    assert "people if spread evenly by area (estimate)" in s.headline("en")
    assert "山区" in demand_label("area-uniform", "zh", form="sentence")
    assert demand_label("raster:WorldPop 100 m", "zh", form="qualifier") == "按人口栅格分配，估计"


def test_the_headline_rounds_people_and_shares_as_the_metrics_do(city):
    _, _, s = city
    c = s.city()
    zh = s.headline("zh")
    # placed by area: what is certain is the area; the head count reads as what it is
    assert f"确定在范围外的面积 {fmt.km2(c.certain_gap_area_km2)}（按面积折算约 " \
           f"{fmt.people(c.certain_gap_population)} 人）" in zh
    assert f"至多 {fmt.pct(c.pct_upper)} " in zh and f"估计约 {fmt.pct(c.pct_estimate)}" in zh
    assert f"{c.certain_gap_population:,.0f}" not in zh  # the unrounded figure is gone


def test_a_network_demand_names_its_own_method():
    frame = MetricFrame("EPSG:32651")
    lon, lat = frame.to_lonlat(np.array([500_000.0, 502_000.0]), np.array([3_300_000.0] * 2))
    dem = gpd.GeoDataFrame({"population": [5.0, 5.0], "district": ["A", "B"],
                            "method": ["buildings", "all-streets"]},
                           geometry=shapely.points(lon, lat), crs="EPSG:4326")
    site = gpd.GeoDataFrame({"id": ["s"]}, geometry=[shapely.Point(lon[0], lat[0])], crs="EPSG:4326")
    s = coverage_summary(dem, site)
    assert s.demand_method == "mixed" and "各区县分配方法不一" in s.headline("zh")
    one = coverage_summary(dem.iloc[:1], site)
    assert one.demand_method == "buildings" and "按住宅建筑面积分配的人口（估计）" in one.headline("zh")


# --- E2SFCA: one computation per district, rounded to what the data supports -----------------

def test_a_districts_access_score_is_the_same_in_the_city_run_and_labelled_in_a_district_run(city):
    demand, sites, s = city
    acc = accessibility(s, sites)
    city_row = acc.by_district().set_index("zone").loc["鄞州区"]
    restricted = acc.restrict(["鄞州区"]).by_district().set_index("zone").loc["鄞州区"]
    assert restricted.score_per_10k == city_row.score_per_10k
    assert restricted.pct_no_access == pytest.approx(city_row.pct_no_access)
    alone = accessibility(coverage_summary(demand[demand.district == "鄞州区"], sites), sites)
    assert alone.by_district().score_per_10k.iloc[0] > city_row.score_per_10k  # the edge effect
    assert "仅按鄞州区的人口计算" in alone.label("zh") and "people only" in alone.label("en")
    assert acc.scope_label("zh") == "" and "仅按" not in acc.label("zh")
    # two decimals, in the tables and in the export
    scores = acc.by_district().score_per_10k.dropna()
    assert (scores == scores.round(2)).all()
    pts = acc.points()
    assert (pts.score_per_10k.dropna() == pts.score_per_10k.dropna().round(2)).all()
    assert (pts.population == pts.population.round(0)).all()


def test_the_gap_table_reads_in_the_readers_language(city):
    from atlas.data.places import gap_table

    gaps = city[2].gaps().head(5)
    zh, en = gap_table(gaps, "zh"), gap_table(gaps, "en")
    assert list(zh.columns[:5]) == ["rank", "name", "district", "area_km2", "population"]
    assert "geometry" not in zh
    assert list(zh.name) == list(gaps.name) and list(en.name) == list(gaps.name_en)
    assert set(en.district) <= {"Haishu", "Jiangbei", "Beilun", "Zhenhai", "Yinzhou", "Xiangshan", "Yuyao",
                                "Cixi"}
    assert not set(zh.name_source) & {"community", "school", "hospital", "streets", "district_part"}
    assert list(zh.columns[-3:]) == ["n_cells", "lon", "lat"]


# --- (6) people placed by area: what is certain is an area, and gaps rank by it ---------------

def test_yinzhou_offline_gaps_rank_by_area_and_say_people_as_what_they_are(city):
    demand, sites, _ = city
    s = coverage_summary(demand[demand.district == "鄞州区"], sites, supply="both")
    assert s.by_area
    gaps = s.gaps()
    area = gaps.area_km2.to_numpy()
    assert (area[:-1] >= area[1:]).all() and list(gaps["rank"]) == list(range(1, len(gaps) + 1))
    c = s.city()
    # the gaps' areas (true km², from their outlines) add up to the area certainly outside
    assert abs(area.sum() - c.certain_gap_area_km2) < 0.01 * c.certain_gap_area_km2
    # every gap's head count is its area times the district's density: nothing more is held
    density = c.population / c.area_km2
    assert np.allclose(gaps.population, gaps.area_km2 * density, rtol=0.02)
    assert "确定在范围外的面积" in s.headline("zh") and "按面积折算约" in s.headline("zh")
    assert "certainly outside (≈" in s.headline("en") and "if spread evenly by area" in s.headline("en")
    # the map: certainly outside and the uncertain band are classes of their own
    cells = s.band_cells()
    assert set(cells.cls) == {"gap", "band", ""}
    assert abs(cells.gap_km2.sum() - c.certain_gap_area_km2) < 1e-6
    assert (cells[cells.cls == "band"].band_km2 > 0).all()


def test_with_a_real_population_gaps_rank_by_people_again(city):
    demand, sites, _ = city
    d = demand[demand.district == "鄞州区"].copy()
    rng = np.random.default_rng(7)
    d["population"] = d.population * rng.gamma(0.5, 2.0, len(d))  # uneven, as a raster would be
    d["method"] = "raster:test"
    s = coverage_summary(d, sites, supply="both")
    assert not s.by_area and "area_km2" not in s.city()
    gaps = s.gaps()
    pop = gaps.population.to_numpy()
    assert (pop[:-1] >= pop[1:]).all() and list(gaps.columns).index("population") < list(gaps.columns).index(
        "area_km2")
    assert "确定在范围外 " in s.headline("zh") and "按面积折算" not in s.headline("zh")
