from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import prcoords
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst
from pyproj import Geod

from atlas.data.geodata import load_districts, load_sites
from atlas.errors import StorageError, UploadError, ValidationError
from atlas.geo.datum import from_wgs84
from atlas.geo.datumcheck import FAR_ROW_M, DatumCheck, check_fit, datum_report, datum_verdict
from atlas.importing import (
    REASONS,
    datum_from_headers,
    guess_columns,
    guess_mapping,
    read_table,
    references_by_name,
    suggest_datum,
    to_sites,
    validate,
)
from atlas.importing.datums import NAMES_FIT_M, STREETS_FIT_M
from atlas.userlayers import (
    list_user_layers,
    load_user_layer,
    place_row,
    save_user_layer,
    user_catalogue,
    venues_from_osm_file,
    venues_to_sites,
)
from tests import hostile_files as hf
from tests.conftest import shared_file

FIX = Path(__file__).parent / "fixtures" / "import"
GEOD = Geod(ellps="WGS84")
TRUTH = {  # WGS84 truth of the fixture rows (see make_import_fixtures.py)
    "宁波市青少年宫(高新发展中心)": (121.626418, 29.888531),
    "奉化区溪口博物馆": (121.279666, 29.685872),
    "余姚市公共文化中心": (121.170754, 30.045316),
    "杭州湾青少年学生实践基地": (121.171681, 30.326977),
    "宁波大学(本部)": (121.633168, 29.911141),
}


@pytest.fixture(scope="module")
def districts():
    return load_districts()


def _import(name, districts, datum="gcj02"):
    df = read_table((FIX / name).read_bytes(), name)
    return validate(df, guess_columns(list(df.columns)), datum=datum, districts=districts)


@pytest.mark.parametrize("name", ["list_utf8.csv", "list_utf8_bom.csv", "list_gbk.csv",
                                  "list_gb18030.csv", "list.xlsx"])
def test_every_encoding_and_format_reads_the_same_rows(name, districts):
    r = _import(name, districts)
    assert r.mapping["name"] == "名称" and r.mapping["lon"] == "经度" and r.mapping["lat"] == "纬度"
    assert r.counts() == {"ok": 5, "unplaced": 1}
    names = r.table[r.mapping["name"]].tolist()
    assert "奉化区溪口博物馆" in names
    if name == "list_gb18030.csv":
        assert names[0].startswith("㙟")


@pytest.mark.parametrize("name", ["list_wgs84.geojson", "list_wgs84.gpkg"])
def test_geo_formats_keep_their_positions(name, districts):
    r = _import(name, districts, datum="wgs84")
    assert r.counts() == {"ok": 5}
    for _, row in r.ok.iterrows():
        lon, lat = TRUTH[row["name"]]
        assert GEOD.inv(lon, lat, row.lon_wgs84, row.lat_wgs84)[2] < 0.01


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_chinese_datums_land_within_5_m_of_truth(datum, districts):
    rows = []
    for name, (lon, lat) in TRUTH.items():
        c = prcoords.wgs_gcj((lat, lon)) if datum == "gcj02" else prcoords.wgs_bd((lat, lon))
        rows.append({"名称": name, "经度": c.lon, "纬度": c.lat})
    data = pd.DataFrame(rows).to_csv(index=False).encode("utf-8")
    df = read_table(data, "x.csv")
    r = validate(df, guess_columns(list(df.columns)), datum=datum, districts=districts)
    for _, row in r.ok.iterrows():
        lon, lat = TRUTH[row["名称"]]
        assert GEOD.inv(lon, lat, row.lon_wgs84, row.lat_wgs84)[2] < 5.0


def test_every_validation_reason_is_triggered(districts):
    r = _import("problems.csv", districts, datum="wgs84")
    t = r.table.set_index("名称", drop=False)
    got = {c for rs in r.table.reasons for c in rs}
    assert got == set(REASONS) - {"category_not_guessed"}, set(REASONS) - got  # that one: below
    assert "swapped_lonlat" in t.loc["经纬度填反", "reasons"]
    assert "outside_ningbo" in t.loc["在上海", "reasons"]
    assert "invalid_coordinates" in t.loc["坐标非数字", "reasons"]
    assert "unknown_category" in t.loc["未知类别", "reasons"]
    assert "district_mismatch" in t.loc["区县不符", "reasons"]
    assert "unknown_district" in t.loc["区县不明", "reasons"]
    assert t.loc["功能区场馆", "reasons"] == ["functional_zone"]
    assert t.loc["投影坐标", "reasons"] == ["projected_metres"]
    assert t.loc["度分秒", "reasons"] == ["coordinates_repaired"] and t.loc["度分秒", "status"] == "ok"
    assert abs(t.loc["度分秒", "lon_wgs84"] - (121 + 33 / 60 + 18 / 3600)) < 1e-9
    dup = r.table[r.table["名称"] == "重复场馆"]
    # first and third rows are 20 m apart: the third is the duplicate; the second is 4.8 km away
    assert [("duplicate" in rs) for rs in dup.reasons] == [False, False, True]
    assert t.loc["只有地址", "status"] == "unplaced"
    assert t.loc["区县不符", "status"] == "ok"  # a warning, kept
    report = r.error_report("en")
    assert "longitude and latitude look swapped" in " ".join(report["Problems"])


def test_nothing_half_imported_and_valid_rows_are_kept(districts, tmp_path):
    r = _import("problems.csv", districts, datum="wgs84")
    sites = to_sites(r, layer_name="测试")
    assert len(sites) == len(r.ok)
    assert set(sites.position_status) == {"sourced", "unplaced"}
    assert (sites[sites.position_status == "sourced"].est_error_m == 50).all()
    saved = save_user_layer("测试 <b>层</b>/../x", sites, folder=tmp_path)
    assert saved.n == 1 and saved.rows == len(sites)
    assert sorted(p.name for p in tmp_path.iterdir())[0] == "atlas_user.gpkg"  # no path from the name
    back = load_user_layer(list_user_layers(folder=tmp_path)[0]["key"], folder=tmp_path)
    assert len(back) == len(sites) and back.name_zh.tolist() == sites.name_zh.tolist()


def test_a_new_import_keeps_the_previous_version_and_a_crash_loses_nothing(districts, tmp_path,
                                                                           monkeypatch):
    r = _import("list_utf8.csv", districts)
    v1 = save_user_layer("科协名单", to_sites(r, layer_name="v1"), folder=tmp_path)
    v2 = save_user_layer("科协名单", to_sites(r, layer_name="v2"), folder=tmp_path)
    assert (v1.n, v2.n) == (1, 2) and v1.key == v2.key
    import atlas.userlayers

    def crash(*args, **kwargs):
        raise OSError("power cut (simulated)")

    monkeypatch.setattr(atlas.userlayers, "_feature_rows", crash)
    with pytest.raises(StorageError):
        save_user_layer("科协名单", to_sites(r, layer_name="v3"), folder=tmp_path)
    monkeypatch.undo()
    recs = list_user_layers(folder=tmp_path)
    assert [v["n"] for v in recs[0]["versions"]] == [1, 2]
    assert len(load_user_layer(v1.key, folder=tmp_path)) == 6


def test_user_layers_join_the_catalogue_and_unplaced_rows_can_be_placed(districts, tmp_path):
    r = _import("list_utf8.csv", districts)
    sites = to_sites(r, layer_name="清单")
    save_user_layer("清单", sites, folder=tmp_path)
    layers, frames = user_catalogue(folder=tmp_path)
    assert len(layers) == 1 and layers[0].geometry == "point"
    frame = frames[layers[0].id]
    unplaced = frame[frame.position_status == "unplaced"]
    assert len(unplaced) == 1
    placed = place_row(frame, unplaced.id.iloc[0], 121.5430, 29.8174)
    row = placed.set_index("id").loc[unplaced.id.iloc[0]]
    assert row.position_status == "estimate" and row.position_method == "placed-by-click"
    assert row.district == "鄞州区"
    with pytest.raises(ValidationError):
        place_row(frame, unplaced.id.iloc[0], 116.4, 39.9)  # Beijing


def test_datum_check_flags_a_wrong_choice(districts):
    sites = load_sites()
    r = _import("list_utf8.csv", districts, datum="wgs84")  # the file is really GCJ-02
    refs = references_by_name(r, sites)
    assert len(refs["raw_lon"]) >= 4
    s = suggest_datum(refs["raw_lon"], refs["raw_lat"], refs["ref_lon"], refs["ref_lat"], chosen="wgs84")
    assert s["suggest"] == "gcj02" and s["median_m"]["wgs84"] > 400 and s["median_m"]["gcj02"] < 50
    ok = suggest_datum(refs["raw_lon"], refs["raw_lat"], refs["ref_lon"], refs["ref_lat"], chosen="gcj02")
    assert ok["suggest"] is None


@pytest.mark.parametrize(("lon", "lat", "datum"), [
    ("lon_bd09", "lat_bd09", "bd09"), ("bd_lng", "bd_lat", "bd09"), ("bdLng", "bdLat", "bd09"),
    ("BD09_LNG", "BD09_LAT", "bd09"), ("百度经度", "百度纬度", "bd09"), ("经度（百度）", "纬度", "bd09"),
    ("gcj02_lng", "gcj02_lat", "gcj02"), ("经度(高德)", "纬度(高德)", "gcj02"),
    ("AMap lon", "AMap lat", "gcj02"), ("腾讯经度", "腾讯纬度", "gcj02"),
    ("wgs84_lon", "wgs84_lat", "wgs84"), ("GPS经度", "GPS纬度", "wgs84"),
    ("天地图经度", "天地图纬度", "cgcs2000"), ("CGCS2000_X", None, "cgcs2000"),
    # no datum named, or two named, or projected metres (BD-09 Mercator): no suggestion
    ("经度", "纬度", None), ("longitude", "latitude", None), ("x", "y", None), (None, None, None),
    ("lng_bd09", "lat_gcj02", None), ("bd09mc_x", "bd09mc_y", None), ("bdlng", "amplitude", None),
])
def test_coordinate_headers_that_name_a_datum_suggest_it(lon, lat, datum):
    assert datum_from_headers([lon, lat]) == datum


def test_the_real_baidu_gallery_list_suggests_bd09_from_its_headers():
    path = shared_file("reference/kepu_galleries_2021_bd09.csv")
    df = read_table(path.read_bytes(), path.name)
    m = guess_mapping(df).mapping
    assert (m["lon"], m["lat"]) == ("lon_bd09", "lat_bd09")
    assert datum_from_headers([m["lon"], m["lat"]]) == "bd09"


def test_bad_uploads_get_clear_messages():
    with pytest.raises(UploadError, match="Unsupported"):
        read_table(b"abc", "list.pdf")
    with pytest.raises(UploadError, match="too large"):
        read_table(b"x" * 2000, "a.csv", max_bytes=1000)
    with pytest.raises(UploadError, match="Too many rows"):
        read_table(("名称\n" + "a\n" * 20).encode(), "a.csv", max_rows=10)
    with pytest.raises(UploadError, match="Not a valid XLSX"):
        read_table(b"PK\x03\x04 not really a workbook", "a.xlsx")
    with pytest.raises(UploadError, match="decode"):
        read_table(b"name\n\x81\xff\xff" * 3, "a.csv")


def test_osm_venue_discovery_on_real_extract():
    venues = venues_from_osm_file(shared_file("reference/osm_extracts/monaco.osm.gz"))
    assert (venues.kind == "tourism=museum").sum() >= 3
    with pytest.raises(ValidationError, match="outside Ningbo"):
        venues_to_sites(venues, source="monaco.osm.gz")  # never promoted into a Ningbo layer


def test_osm_venues_in_ningbo_are_promoted(tmp_path):
    osm = tmp_path / "venues.osm"
    osm.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
        '<node id="1" version="1" lat="29.8174" lon="121.5412"><tag k="tourism" v="museum"/>'
        '<tag k="name" v="测试博物馆"/></node>\n'
        '<node id="2" version="1" lat="29.8600" lon="121.6230"/>'
        '<node id="3" version="1" lat="29.8610" lon="121.6230"/>'
        '<node id="4" version="1" lat="29.8610" lon="121.6240"/>\n'
        '<node id="5" version="1" lat="29.8000" lon="121.5000"><tag k="amenity" v="cafe"/></node>\n'
        '<way id="9" version="1"><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="2"/>'
        '<tag k="amenity" v="library"/><tag k="name" v="测试图书馆"/></way>\n</osm>\n',
        encoding="utf-8")
    venues = venues_from_osm_file(osm)
    assert sorted(venues.kind) == ["amenity=library", "tourism=museum"]  # the cafe is not a venue
    sites = venues_to_sites(venues, source="venues.osm")
    assert (sites.category == "kepu_site").all() and sites.source.str.contains("ODbL").all()
    assert set(sites.district) == {"鄞州区"}


def test_fifty_thousand_rows_import(districts):
    rng = np.random.default_rng(0)
    n = 50_000
    lon = rng.uniform(121.45, 121.65, n)
    lat = rng.uniform(29.80, 29.95, n)
    df = pd.DataFrame({"名称": [f"场馆{i}" for i in range(n)], "经度": lon, "纬度": lat})
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    table = read_table(buf.getvalue().encode("utf-8"), "big.csv")
    r = validate(table, guess_columns(list(table.columns)), datum="gcj02", districts=districts)
    assert len(r.table) == n and r.counts().get("ok", 0) > 0.95 * n


# --- a list without a category column: categories read from names, never a silent default ----

GALLERY_NAMES = ["百两村办公楼", "街道办事处", "青少年宫路社区居委会", "横街镇镇政府", "天沁家园"]


def test_categories_are_read_from_names_and_unguessable_rows_are_flagged():
    from atlas.importing import GUESS, guess_categories

    names = pd.Series([*GALLERY_NAMES, "宁波科技馆", "甬江实验室", "宁波大学", "宁波市青少年宫", "联南"])
    assert guess_categories(names).tolist() == ["kepu_gallery"] * 5 + [
        "kepu_site", "lab", "university", "kepu_site", ""]
    districts = load_districts()
    df = pd.DataFrame({"名称": names, "经度": 121.55, "纬度": 29.87})
    r = validate(df, guess_columns(list(df.columns)), datum="wgs84", districts=districts,
                 default_category=GUESS)
    assert r.table.category_code.tolist()[:5] == ["kepu_gallery"] * 5
    assert r.table.status.tolist()[-1] == "ok" and r.table.reasons.iloc[-1] == ["category_not_guessed"]
    assert r.table.category_code.iloc[-1] == ""  # unclassified, not filed as a venue
    chosen = validate(df, guess_columns(list(df.columns)), datum="wgs84", districts=districts,
                      default_category="kepu_gallery")
    assert set(chosen.table.category_code) == {"kepu_gallery"}


@pytest.mark.parametrize(("stated", "lon", "lat", "filed"), [
    ("高新区", 121.62, 29.88, "鄞州区"),            # the zone's point in one of its two hosts
    ("杭州湾新区", 121.26, 30.30, "慈溪市"),
    ("前湾新区(慈溪代管)", 121.26, 30.30, "慈溪市"),  # as sites.csv writes it
    ("东钱湖旅游度假区", None, None, "鄞州区"),      # no point: the host district
])
def test_a_functional_zone_as_district_is_filed_under_its_host_with_a_note(stated, lon, lat, filed):
    from atlas.importing import reason_text

    df = pd.DataFrame({"名称": ["某科普点"], "经度": [lon], "纬度": [lat], "区县": [stated],
                       "地址": ["某路 1 号"]})
    r = validate(df, guess_columns(list(df.columns)), datum="wgs84", districts=load_districts())
    reasons = r.table.reasons.iloc[0]
    assert "unknown_district" not in reasons and "district_mismatch" not in reasons
    assert "functional_zone" in reasons and r.table.district_found.iloc[0] == filed
    assert "功能区" in reason_text("functional_zone", "zh")


def test_a_zone_point_outside_its_hosts_is_still_a_mismatch_and_unknown_names_stay_unknown():
    df = pd.DataFrame({"名称": ["甲", "乙"], "经度": [121.43, 121.55], "纬度": [30.20, 29.87],
                       "区县": ["高新区", "火星区"]})
    r = validate(df, guess_columns(list(df.columns)), datum="wgs84", districts=load_districts())
    assert "district_mismatch" in r.table.reasons.iloc[0]  # a 慈溪 point stated as 高新区
    assert "unknown_district" in r.table.reasons.iloc[1]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_problem_report_reads_in_the_readers_language(districts, lang):
    """Headers in the reader's language, categories by name, statuses in words, 6-decimal
    coordinates; the list's own columns keep their names."""
    r = _import("problems.csv", districts, datum="wgs84")
    report = r.error_report(lang)
    cols = list(report.columns)
    assert "名称" in cols and "经度" in cols  # the file's own headers
    if lang == "zh":
        assert {"经度（WGS84）", "识别的类别", "状态", "问题"} <= set(cols)
    else:
        assert {"Longitude (WGS84)", "Category (as read)", "Status", "Problems"} <= set(cols)
    assert not [c for c in cols if c in ("category_code", "lon_wgs84", "reasons", "status")]
    cat = set(report[cols[cols.index("识别的类别" if lang == "zh" else "Category (as read)")]])
    assert "kepu_site" not in cat and ("科普场馆" if lang == "zh" else "Science-popularisation sites") in cat
    lon = report["经度（WGS84）" if lang == "zh" else "Longitude (WGS84)"].dropna()
    assert len(lon) and all(round(x, 6) == x and len(repr(x).split(".")[1]) <= 6 for x in lon)


def test_a_merged_title_is_named_once_and_notes_count_in_good_english():
    from tests import hostile_files as hf

    s = hf.sites(3, seed=2)
    rows = [["宁波市社区科普画廊名单（2021年）", None, None, None], ["名称", "经度", "纬度", "类别"],
            *[[n, float(x), float(y), "科普画廊"] for n, x, y in zip(s.name, s.lon, s.lat, strict=True)]]
    data = hf.write_xlsx({"名单": rows}, merges={"名单": ["A1:D1"]})
    info = read_table(data, "titled.xlsx").attrs["read_info"]
    assert info.title_rows == ["宁波市社区科普画廊名单（2021年）"]
    notes = " ".join(en for _, en in info.notes)
    assert "Repaired 1 merged range: the merged value was filled into 3 cells" in notes
    assert notes.count("宁波市社区科普画廊名单") == 1


def test_a_header_only_file_says_so():
    with pytest.raises(UploadError, match="只有表头，没有数据行") as e:
        read_table("名称,经度,纬度\n".encode(), "header.csv")
    assert "Only a header, no data rows" in e.value.message("en")


# --- the datum verdict is made from its evidence and cannot contradict it ----------------------------

_DATUMS = ("wgs84", "gcj02", "bd09")
_metres = hst.floats(0, 20_000, allow_nan=False)


@hst.composite
def evidence(draw):
    """Random names, streets and land checks, as datum_report would make them."""
    chosen = draw(hst.sampled_from([*_DATUMS, "cgcs2000"]))
    key = "wgs84" if chosen == "cgcs2000" else chosen
    checks = []
    if draw(hst.booleans()):
        offs = draw(hst.lists(_metres, min_size=1, max_size=25))
        names = draw(hst.lists(hst.text(min_size=1, max_size=40), min_size=len(offs), max_size=len(offs)))
        rows = [(i + 2, n, o) for i, (n, o) in enumerate(zip(names, offs, strict=True))]
        med = {d: draw(_metres) for d in _DATUMS} | {key: float(np.median(offs))}
        best = min(med, key=med.__getitem__)
        sug = best if best != key and med[key] > NAMES_FIT_M and med[best] < 0.5 * med[key] else None
        checks.append(DatumCheck("names", sug, len(rows), "…", "…",
                                 {"median_m": med, "suggest": sug, "n": len(rows), "rows": rows}))
    if draw(hst.booleans()):
        med = {d: draw(hst.floats(0, 2000)) for d in _DATUMS}
        best = min(med, key=med.__getitem__)
        sug = best if best != key and med[key] > STREETS_FIT_M and med[best] < 0.5 * med[key] else None
        checks.append(DatumCheck("streets", sug, 10, "…", "…", {"median_m": med, "suggest": sug}))
    if draw(hst.booleans()):
        bad = {d: draw(hst.integers(0, 50)) for d in _DATUMS}
        sensitive = draw(hst.integers(0, 50))
        best = min(bad, key=bad.__getitem__)
        sug = best if (sensitive >= 3 and best != key and bad[key] - bad[best] >= 3
                       and bad[best] <= 0.5 * bad[key]) else None
        checks.append(DatumCheck("land", sug, 10, "…", "…", {"bad": bad, "sensitive": sensitive}))
    return chosen, checks


@settings(max_examples=400, deadline=None)
@given(evidence())
def test_the_datum_verdict_never_contradicts_its_evidence(ev):
    chosen, checks = ev
    key = "wgs84" if chosen == "cgcs2000" else chosen
    v = datum_verdict(chosen, checks)
    names = next((c for c in checks if c.method == "names"), None)
    far = [r for r in names.detail["rows"] if r[2] > FAR_ROW_M] if names else []
    bad_median = names is not None and names.detail["median_m"][key] > NAMES_FIT_M
    suggested = next((c.suggest for c in checks if c.suggest), None)
    if v.level == "ok":  # green: something fits, nothing contradicts
        assert not far and not bad_median and suggested is None
        assert any(check_fit(c, chosen) == "fits" for c in checks)
        assert "看来正确" in v.zh and "looks right" in v.en
    else:
        assert "看来正确" not in v.zh and "looks right" not in v.en
    if far or bad_median or suggested:
        assert v.level == "warn"
    if far or bad_median:  # the rows are named, farthest first, each with its distance
        limit = NAMES_FIT_M if bad_median else FAR_ROW_M
        expected = sorted((r for r in names.detail["rows"] if r[2] > limit), key=lambda r: -r[2])
        assert v.rows and [r[2] for r in v.rows] == [r[2] for r in expected[:len(v.rows)]]
        for row, _name, off in v.rows:
            assert f"第 {row} 行" in v.zh and f"{off:,.0f} 米" in v.zh
            assert f"row {row} " in v.en and f"{off:,.0f} m" in v.en
        if len(expected) > len(v.rows):
            assert f"另有 {len(expected) - len(v.rows)} 行" in v.zh
    if suggested:
        assert "坐标系可能选错了" in v.zh and "probably wrong" in v.en
    if not checks:
        assert v.level == "unknown"


def _named_list(rows):
    """A CSV of (name, WGS84 lon, lat) rows written in GCJ-02."""
    glon, glat = from_wgs84(np.array([r[1] for r in rows]), np.array([r[2] for r in rows]), datum="gcj02")
    df = pd.DataFrame({"名称": [r[0] for r in rows], "经度": np.round(glon, 6).astype(str),
                       "纬度": np.round(glat, 6).astype(str)})
    return df


def _sourced(sites, name):
    g = sites.set_index("name_zh").loc[name, "geometry"]
    return g.x, g.y


def test_a_row_7_km_from_its_namesake_is_named_and_the_datum_is_not_called_right(districts):
    sites = load_sites()
    museum, library = _sourced(sites, "宁波博物馆"), _sourced(sites, "宁波图书馆(新馆)")
    far = GEOD.fwd(museum[0], museum[1], 90, 7145)[:2]  # one row really is 7 km off
    df = _named_list([("宁波博物馆", *far), ("宁波图书馆(新馆)", *library)])
    r = validate(df, guess_columns(list(df.columns)), datum="gcj02", districts=districts)
    v = datum_report(r, sites=sites, districts=districts).verdict
    assert v.level == "warn" and "看来正确" not in v.zh
    assert [(row, name) for row, name, _ in v.rows] == [(2, "宁波博物馆")]
    assert abs(v.rows[0][2] - 7145) < 30
    assert "第 2 行「宁波博物馆」7,1" in v.zh and "row 2 “宁波博物馆” 7,1" in v.en
    right = _named_list([("宁波博物馆", *museum), ("宁波图书馆(新馆)", *library)])
    r = validate(right, guess_columns(list(right.columns)), datum="gcj02", districts=districts)
    assert datum_report(r, sites=sites, districts=districts).verdict.level == "ok"
    r = validate(right, guess_columns(list(right.columns)), datum="wgs84", districts=districts)
    wrong = datum_report(r, sites=sites, districts=districts).verdict
    assert wrong.level == "warn" and "GCJ-02" in wrong.zh


def test_the_land_check_alone_is_green_only_when_the_chosen_datum_is_among_the_best(districts):
    data, name, _truth = hf.gcj_near_lines(n=150, seed=1, with_district=True)
    df = read_table(data, name)
    cols = guess_columns(list(df.columns))
    for datum, level in (("gcj02", "ok"), ("wgs84", "warn")):
        r = validate(df, cols, datum=datum, districts=districts)
        report = datum_report(r, sites=load_sites(), districts=districts)
        assert report.verdict.level == level, report.checks[0].en
        land = next(c for c in report.checks if c.method == "land")
        assert (check_fit(land, datum) == "fits") == (level == "ok")
