"""The 科普画廊 layer: built through the import path, counts match the source, flags kept."""

from __future__ import annotations

import importlib.util

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from atlas.analysis.supply import gallery_counts, supply_sites
from atlas.data.catalogue import layer_frame, load_catalogue, read_source
from atlas.data.geodata import load_districts
from atlas.data.provenance import read_provenance
from atlas.errors import ValidationError
from atlas.settings import GEODATA_DIR, PROJECT_ROOT
from tests.conftest import shared_file

ZONE_PARENTS = {"杭州湾新区": {"慈溪市"}, "高新区": {"鄞州区", "镇海区"}}


@pytest.fixture(scope="module")
def galleries():
    layers = {lyr.id: lyr for lyr in load_catalogue()}
    lyr = layers["kepu_galleries"]
    return layer_frame(lyr, read_source(lyr.source))


def test_layer_is_its_own_and_keeps_street_and_community(galleries):
    assert len(galleries) == 1183
    assert set(galleries.category) == {"kepu_gallery"}
    assert galleries.geometry.notna().all() and galleries.id.is_unique
    assert (galleries.street != "").all() and (galleries.community != "").all()
    bases = supply_sites("bases")
    assert not set(bases.id) & set(galleries.id)
    assert set(galleries.functional_zone) == {"", "杭州湾新区", "高新区"}


def test_counts_per_district_match_the_source_except_flagged_rows(galleries):
    src = pd.read_csv(shared_file("reference/kepu_galleries_2021_bd09.csv"))
    # by the district the row states (functional zones kept as labels): exactly the source
    claimed = galleries.district_claimed.value_counts().sort_index()
    assert claimed.to_dict() == src.district.value_counts().sort_index().to_dict()
    # by the district the point lies in: the source's count for every row not flagged
    ok = galleries[~galleries.flag.str.contains("point_in_other_district")]
    parent = ok.district_claimed.map(lambda d: ZONE_PARENTS.get(d, {d}))
    assert all(found in p for found, p in zip(ok.district, parent, strict=True))
    flagged = galleries[galleries.flag.str.contains("point_in_other_district")]
    assert 1 <= len(flagged) <= 10  # the README expects about six data-entry slips
    assert all(found not in ZONE_PARENTS.get(c, {c})
               for found, c in zip(flagged.district, flagged.district_claimed, strict=True))
    # points really lie in the district recorded for them
    d = load_districts().set_index("name_zh")
    for name, grp in galleries.groupby("district"):
        assert shapely.contains_xy(d.loc[name].geometry.buffer(1e-6), grp.geometry.x, grp.geometry.y).all()
    # per-street counts come from the attribute
    by_street = galleries.groupby(["district_claimed", "street"]).size()
    assert by_street.sum() == len(src)
    assert by_street.to_dict() == src.groupby(["district", "street"]).size().to_dict()
    assert not (galleries.district_claimed.isin(["奉化区", "宁海县"])).any()
    counts = gallery_counts(galleries)
    assert counts.galleries.sum() == len(src) and counts.flagged.sum() == (galleries.flag != "").sum()
    assert counts.set_index(["district", "street"]).galleries.to_dict() == by_street.to_dict()


def test_points_are_bd09_converted_not_raw(galleries):
    src = pd.read_csv(shared_file("reference/kepu_galleries_2021_bd09.csv"))
    row = galleries.source_row.astype(int).to_numpy() - 2
    raw = src.iloc[row]
    from atlas.geo.datum import from_wgs84

    bx, by = from_wgs84(galleries.geometry.x.to_numpy(), galleries.geometry.y.to_numpy(), datum="bd09")
    assert np.allclose(bx, raw.lon_bd09, atol=1e-7) and np.allclose(by, raw.lat_bd09, atol=1e-7)
    # BD-09 is ~1 km off WGS84 in Ningbo: the stored points are not the raw numbers
    assert (np.abs(raw.lon_bd09.to_numpy() - galleries.geometry.x.to_numpy()) > 0.005).all()


def test_provenance_names_source_commit_crs_history_and_no_licence():
    rec = read_provenance(GEODATA_DIR / "kepu_galleries.csv")
    assert rec["source_commit"].startswith("dfb3ca91") and rec["source_repo"] == "easyMan-zzy/gallery_service"
    assert "BD-09" in rec["original_crs"] and len(rec["crs_history"]) >= 2
    assert "none stated" in rec["licence"]
    assert set(rec["districts_without_rows"]) == {"奉化区", "宁海县"}


def test_districts_without_rows_are_silent_in_the_data_and_stray_points_are_recorded(galleries):
    rec = read_provenance(GEODATA_DIR / "kepu_galleries.csv")
    silent = set(rec["districts_without_rows"])
    assert not silent & set(galleries.district_claimed)  # no row names them
    strays = galleries[galleries.district.isin(silent)]  # points that lie there anyway
    assert len(strays) == len(rec["points_in_districts_without_rows"]) == 1
    assert (strays.flag.str.contains("point_in_other_district")).all()
    assert f"source row {int(strays.source_row.iloc[0])}" in rec["points_in_districts_without_rows"][0]


def test_build_script_reproduces_the_shipped_table():
    shared_file("reference/kepu_galleries_2021_bd09.csv")
    script = PROJECT_ROOT / "scripts" / "build_galleries.py"
    spec = importlib.util.spec_from_file_location("build_galleries", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    table, counts = mod.build()
    assert counts == {"ok": 1183}
    shipped = pd.read_csv(GEODATA_DIR / "kepu_galleries.csv", dtype=str, keep_default_na=False)
    assert table.id.tolist() == shipped.id.tolist()
    assert table.flag.tolist() == shipped.flag.tolist()
    assert np.allclose(table.lon.astype(float), shipped.lon.astype(float))


@pytest.mark.parametrize(("choice", "kinds"), [("bases", {"base"}), ("galleries", {"gallery"}),
                                                ("both", {"base", "gallery"})])
def test_supply_choice_returns_one_schema(choice, kinds):
    s = supply_sites(choice)
    assert set(s.supply_kind) == kinds and s.crs.to_epsg() == 4326
    assert (s.capacity == 1.0).all() and not s.geometry.is_empty.any()
    assert s.attrs["choice"] == choice


def test_supply_capacity_and_added_sites():
    frames = {"kepu_sites": gpd.GeoDataFrame(
        {"id": ["a", "b", "c"], "name_zh": ["A", "B", "C"], "annual_visits": ["50000", "", "x"]},
        geometry=[shapely.Point(121.5, 29.9), shapely.Point(121.6, 29.9), None], crs="EPSG:4326")}
    added = gpd.GeoDataFrame({"id": ["new001"], "name_zh": ["候选点"]},
                             geometry=[shapely.Point(121.55, 29.88)], crs="EPSG:4326")
    s = supply_sites("bases", frames=frames, capacity="annual_visits", added=added)
    assert s.capacity.tolist() == [50000.0, 1.0, 1.0]
    assert s.capacity_source.tolist() == ["annual_visits", "default", "default"]
    assert s.attrs["n_unplaced"] == 1 and s.supply_kind.tolist() == ["base", "base", "added"]
    with pytest.raises(ValidationError):
        supply_sites("everything")
