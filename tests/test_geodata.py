from __future__ import annotations

import tomllib

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from atlas import settings
from atlas.data.geodata import (
    load_city_outline,
    load_districts,
    load_plan,
    load_population,
    load_sites,
    resolve_district,
    sites_from_frame,
)
from atlas.data.provenance import REQUIRED_KEYS, provenance_path, read_provenance
from atlas.errors import UnknownDistrictError, ValidationError
from atlas.geo.projection import metric_crs_for
from tests.conftest import shared_file

OFFICIAL_TOTAL = 9816.0


def test_every_geodata_file_has_complete_provenance():
    files = [p for p in settings.GEODATA_DIR.iterdir()
             if p.is_file() and not p.name.endswith(".provenance.toml")]
    assert len(files) >= 5
    for p in files:
        rec = read_provenance(p)
        assert all(rec[k] for k in REQUIRED_KEYS), p.name


def test_osm_derived_rows_carry_odbl():
    rec = tomllib.loads(provenance_path(settings.GEODATA_DIR / "sites.csv").read_text())
    sites = load_sites()
    assert (sites.position_method == "osm").any()
    assert "ODbL" in rec["licence"]


def test_districts_are_the_ten_divisions():
    d = load_districts()
    assert len(d) == 10 and d.crs.to_epsg() == 4326
    assert set(d.adcode) == {330203, 330205, 330206, 330211, 330212, 330213, 330225, 330226,
                             330281, 330282}
    assert shapely.is_valid(d.geometry.to_numpy()).all()


def _areas():
    d = load_districts()
    km2 = d.to_crs(metric_crs_for(load_districts())).area / 1e6
    return d.assign(measured=km2.to_numpy())


# Beilun and Zhenhai: AMap's outlines include reclaimed coastal land and port platforms that
# the official land-area figures predate; measured +12.3 % and +10.3 %. Kept as strict xfails
# so a better boundary source turns them green and forces this list to be revisited.
KNOWN_COASTAL_EXCESS = {"北仑区", "镇海区"}


@pytest.mark.parametrize("name", ["海曙区", "江北区", "北仑区", "镇海区", "鄞州区", "奉化区",
                                  "象山县", "宁海县", "余姚市", "慈溪市"])
def test_district_area_within_10_percent_of_official(name, request):
    if name in KNOWN_COASTAL_EXCESS:
        request.applymarker(pytest.mark.xfail(strict=True, reason="AMap outline includes reclaimed coast"))
    row = _areas().set_index("name_zh").loc[name]
    assert abs(row.measured / row.official_area_km2 - 1) < 0.10


def test_total_area_against_official_9816():
    total = _areas().measured.sum()
    assert abs(total / OFFICIAL_TOTAL - 1) < 0.10
    assert total > OFFICIAL_TOTAL  # the outline includes reclaimed land, never less than official


def test_boundaries_match_the_independent_reference():
    ref = gpd.read_file(shared_file("reference/boundaries/ningbo_districts_amap_wgs84.geojson"))
    ours = load_districts().set_index("adcode").to_crs(metric_crs_for(load_districts()))
    ref = ref.set_index("adcode").to_crs(metric_crs_for(load_districts()))
    for code, row in ref.iterrows():
        assert shapely.hausdorff_distance(ours.loc[code, "geometry"], row.geometry) < 5.0


def test_boundaries_agree_with_tianditu_within_generalisation():
    tdt = gpd.read_file(shared_file(
        "reference/boundaries/ningbo_districts_tianditu_cgcs2000_simplified.geojson"))
    ours = load_districts().to_crs(metric_crs_for(load_districts())).set_index("adcode")
    tdt = tdt.to_crs(metric_crs_for(load_districts())).set_index("adcode")
    # Tianditu's file is generalised (~1 km vertices) and leaves out reclaimed coast; measured
    # IoU 0.78 (Xiangshan) to 0.97 (Haishu). A datum error of ~500 m would drop urban IoUs sharply.
    for code, row in tdt.iterrows():
        a, b = ours.loc[code, "geometry"], row.geometry.buffer(0)
        iou = a.intersection(b).area / a.union(b).area
        assert iou > 0.75, (code, iou)
    for code in (330203, 330205):  # compact inland urban districts: tight agreement
        a, b = ours.loc[code, "geometry"], tdt.loc[code, "geometry"].buffer(0)
        assert a.intersection(b).area / a.union(b).area > 0.95


def test_sites_load_with_position_status_and_tasks():
    s = load_sites()
    counts = s.position_status.value_counts()
    assert counts["sourced"] >= 18 and counts["estimate"] >= 40 and counts["unplaced"] >= 6
    placed = s[s.position_status != "unplaced"]
    assert placed.geometry.notna().all() and (placed.est_error_m > 0).all()
    assert s[s.position_status == "unplaced"].geometry.isna().all()
    outline = load_city_outline().geometry.iloc[0].buffer(0.02)
    assert placed.geometry.within(outline).all()
    # every innovation pole is flagged unverified
    assert not s[s.category == "innovation_pole"].membership_verified.any()
    # the 科普 target task is named by the 科普 sites
    assert s[s.category == "kepu_site"].policy_tasks.str.contains("23").all()


def test_site_district_is_the_containing_division():
    s = load_sites()
    d = load_districts()
    placed = s[s.position_status != "unplaced"]
    joined = gpd.sjoin(placed, d[["name_zh", "geometry"]].rename(columns={"name_zh": "admin"}),
                       predicate="within")
    assert len(joined) == len(placed)
    assert (joined.district == joined.admin).all()


def _good_frame():
    return pd.read_csv(settings.GEODATA_DIR / "sites.csv", dtype=str, keep_default_na=False)


@pytest.mark.parametrize(("mutate", "needle"), [
    (lambda df: df.assign(id="X"), "duplicate"),
    (lambda df: df.drop(columns=["category"]), "missing columns"),
    (lambda df: df.assign(category="castle"), "unknown categories"),
    (lambda df: df.assign(policy_tasks="25"), "1-24"),
    (lambda df: df.assign(lon=df.lon.where(df.lon == "", "131.0")), "outside Ningbo"),
    (lambda df: df.assign(est_error_m=""), "est_error_m"),
])
def test_bad_site_tables_are_rejected_with_clear_messages(mutate, needle):
    with pytest.raises(ValidationError) as exc:
        sites_from_frame(mutate(_good_frame()), name="bad.csv")
    assert needle in exc.value.en and "bad.csv" in exc.value.en and exc.value.zh


def test_wrong_crs_is_rejected(tmp_path):
    d = load_districts().to_crs(metric_crs_for(load_districts()))
    d.to_file(tmp_path / "districts.geojson", driver="GeoJSON")
    with pytest.raises(ValidationError, match="WGS84"):
        load_districts(geodata_dir=tmp_path)


def test_plan_has_24_tasks_with_units_and_targets():
    plan = load_plan()
    tasks = {t["task"]: t for t in plan["tasks"]}
    assert len(tasks) == 24
    assert tasks[23]["lead_unit"] == "市科协"
    assert any("200家" in x for x in tasks[23]["targets_2027"])
    assert tasks[2]["lead_unit"] == "甬江科创区管委会"
    assert "有关区（县、市）政府" in tasks[1]["units"]
    assert {t["project_no"] for t in plan["tasks"]} == set(range(1, 7))
    assert all(t["units"] for t in plan["tasks"])


def test_population_totals_the_bulletin():
    p = load_population()
    assert p.resident_pop_2024.sum() == 9_777_000
    assert set(p.district_zh) == set(load_districts().name_zh)


def test_unknown_district_is_a_bilingual_error():
    d = load_districts()
    assert resolve_district("Yinzhou", d).name_zh == "鄞州区"
    assert resolve_district("330212", d).name_zh == "鄞州区"
    with pytest.raises(UnknownDistrictError) as exc:
        resolve_district("江东区", d)
    assert "未知区县" in exc.value.zh
