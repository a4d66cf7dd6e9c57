"""Zipped Shapefiles on the Import page: real round trips, Chinese encodings and coordinate
systems, and hostile zips (bombs, escaping paths, links, passwords, archives in archives).

Every fixture is written here with geopandas/pyogrio and zipped with :mod:`zipfile`; hostile zips
are patched byte by byte where :mod:`zipfile` would not write them.
"""

from __future__ import annotations

import io
import re
import struct
import tempfile
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from atlas.data.geodata import load_districts
from atlas.errors import UploadError
from atlas.importing import guess_mapping, read_table, to_sites, validate
from atlas.readers import LayerChoiceError, Limits, open_zip
from atlas.readers.archive import ZipUpload
from atlas.userlayers import load_user_layer, save_user_layer
from tests import hostile_files as hf

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "5_导入_Import.py")
NAMES = ["宁波市科学技术局", "天一阁博物院", "宁波科学探索中心", "鄞州区图书馆"]


@pytest.fixture(scope="module")
def districts():
    return load_districts()


def _venues(n: int = 4, *, seed: int = 0) -> gpd.GeoDataFrame:
    s = hf.sites(n, seed=seed)
    return gpd.GeoDataFrame({"名称": [NAMES[i % len(NAMES)] + (str(i) if i >= len(NAMES) else "")
                                    for i in range(n)], "类别": s.category.tolist()},
                            geometry=shapely.points(s.lon, s.lat), crs="EPSG:4326")


def _parts(gdf: gpd.GeoDataFrame, *, encoding: str = "UTF-8", cpg: str | None = "keep",
           prj: bool = True, stem: str = "venues") -> dict[str, bytes]:
    """The files of a Shapefile written by pyogrio: ``{".shp": bytes, ...}``.

    ``cpg``: "keep" the .cpg GDAL writes, None for none, or the text to write instead.
    """
    with tempfile.TemporaryDirectory() as d:
        gdf.to_file(Path(d) / f"{stem}.shp", encoding=encoding, engine="pyogrio")
        parts = {p.suffix.lower(): p.read_bytes() for p in Path(d).iterdir()}
    if cpg is None:
        parts.pop(".cpg", None)
    elif cpg != "keep":
        parts[".cpg"] = cpg.encode()
    if not prj:
        parts.pop(".prj", None)
    return parts


def _zip(entries: dict[str, bytes], *, level: int = 6) -> bytes:
    return hf.zipped(entries, level=level)


def _shapefile_zip(parts: dict[str, bytes], *, folder: str = "", stem: str = "venues") -> bytes:
    return _zip({f"{folder}{stem}{suffix}": blob for suffix, blob in parts.items()})


def _lonlat(df) -> np.ndarray:
    return np.c_[df.geom_lon.astype(float), df.geom_lat.astype(float)]


# --- round trips ---------------------------------------------------------------------------------


def test_points_round_trip_through_the_import_flow(districts, tmp_path):
    g = _venues(6)
    df = read_table(_shapefile_zip(_parts(g), folder="导出/"), "科普场所.zip")
    info = df.attrs["read_info"]
    assert (info.format, info.encoding, info.layer) == ("shapefile", "utf-8", "venues")
    assert df["名称"].tolist() == g["名称"].tolist() and df["类别"].tolist() == g["类别"].tolist()
    assert np.allclose(_lonlat(df), shapely.get_coordinates(g.geometry.to_numpy()), atol=1e-8)
    assert set(df.geom_kind) == {"point"} and not info.notes  # UTF-8 with .cpg and .prj: nothing to say
    mapping = guess_mapping(df).mapping
    assert mapping["name"] == "名称"
    result = validate(df, mapping, datum="wgs84", districts=districts)
    assert result.counts().get("ok") == 6
    sites = to_sites(result, layer_name="科普场所")
    saved = save_user_layer("科普场所", sites, folder=tmp_path)
    back = load_user_layer(saved.key, folder=tmp_path)
    assert back.name_zh.tolist() == g["名称"].tolist()
    assert np.allclose(back[["lon", "lat"]].to_numpy(float), _lonlat(df), atol=1e-7)


def test_polygons_round_trip_with_their_extent(districts):
    s = hf.sites(3, seed=4)
    boxes = [shapely.box(x - 0.002, y - 0.001, x + 0.002, y + 0.001)
             for x, y in zip(s.lon, s.lat, strict=True)]
    g = gpd.GeoDataFrame({"名称": NAMES[:3]}, geometry=boxes, crs="EPSG:4326")
    df = read_table(_shapefile_zip(_parts(g)), "parks.zip")
    assert set(df.geom_kind) == {"polygon"}
    assert all(a.hausdorff_distance(b) < 1e-9 for a, b in zip(df._geometry, boxes, strict=True))
    # the farthest corner from the box's centre: half the diagonal of 0.004 x 0.002 degrees, in metres
    assert np.allclose(df.geom_extent_m.astype(float), 215, rtol=0.05)
    result = validate(df, guess_mapping(df).mapping, datum="wgs84", districts=districts)
    sites = to_sites(result, layer_name="parks", shapes="keep")
    assert sites.geometry.geom_type.tolist() == ["Polygon"] * 3


@pytest.mark.parametrize("cpg", [None, "936", "UTF-8", "UTF-16"])
def test_gbk_text_reads_right_with_or_without_a_cpg(cpg):
    """Chinese offices' .dbf files are GBK/GB18030, seldom with a .cpg; a .cpg saying UTF-8 lies."""
    g = _venues(4)
    df = read_table(_shapefile_zip(_parts(g, encoding="GB18030", cpg=cpg)), "gbk.zip")
    info = df.attrs["read_info"]
    assert list(df.columns[:2]) == ["名称", "类别"]
    assert df["名称"].tolist() == NAMES and info.encoding == "gb18030"
    notes = " ".join(en for _, en in info.notes)
    if cpg is None:
        assert "no .cpg" in notes and "GBK/GB18030" in notes
    elif cpg == "UTF-8":
        assert "The Shapefile's .cpg says UTF-8 but the text is not UTF-8: read as GBK/GB18030" in notes
    elif cpg == "UTF-16":  # not a .dbf's encoding: said, and the text read as it decodes
        assert "names an unknown encoding 'UTF-16': the text was read as GBK/GB18030" in notes
    else:
        assert "cpg" not in notes  # Esri's "936" is the GBK code page: nothing to say


def test_utf8_text_with_its_cpg_and_without_one():
    g = _venues(4)
    for cpg in ("keep", None):
        df = read_table(_shapefile_zip(_parts(g, encoding="UTF-8", cpg=cpg)), "utf8.zip")
        assert df["名称"].tolist() == NAMES and df.attrs["read_info"].encoding == "utf-8"
        assert not df.attrs["read_info"].notes


def test_text_in_neither_encoding_is_refused_clearly():
    parts = _parts(_venues(2), encoding="GB18030", cpg=None)
    parts[".dbf"] = parts[".dbf"].replace(NAMES[0].encode("gb18030"), b"\xff\xfe\x80" * 5 + b"\x81")
    with pytest.raises(UploadError) as err:
        read_table(_shapefile_zip(parts), "bad.zip")
    assert "neither UTF-8 nor GBK/GB18030" in err.value.en and "既不是 UTF-8 也不是" in err.value.zh


@pytest.mark.parametrize("epsg", [4549, 4528, 4490, 32651, 3857])
def test_a_prj_is_read_and_the_coordinates_converted(epsg):
    """CGCS2000 (degrees), its 3-degree Gauss-Krüger zone CM 120°E without and with the zone
    number (4549, 4528), UTM 51N and Web Mercator: back to the same longitudes and latitudes."""
    g = _venues(5, seed=2)
    df = read_table(_shapefile_zip(_parts(g.to_crs(epsg=epsg))), "gk.zip")
    assert np.allclose(_lonlat(df), shapely.get_coordinates(g.geometry.to_numpy()), atol=1e-7)
    notes = " ".join(en for _, en in df.attrs["read_info"].notes)
    if epsg == 4490:
        assert "converted" not in notes  # CGCS2000 longitude/latitude as it is
    else:
        assert f"(EPSG:{epsg}) to longitude/latitude" in notes
    zh = {4549: "CGCS2000 高斯-克吕格投影（中央经线 120°E，EPSG:4549）",
          4528: "CGCS2000 高斯-克吕格投影（中央经线 120°E，EPSG:4528）",
          32651: "WGS84 UTM 51N 带（EPSG:32651）", 3857: "WGS84 墨卡托投影（EPSG:3857）"}
    if epsg in zh:  # the Chinese note names the system in Chinese
        assert any(f"坐标已从 {zh[epsg]} 转换为经纬度" in z for z, _ in df.attrs["read_info"].notes)


def test_no_prj_with_degrees_is_read_as_degrees_and_said(districts):
    g = _venues(4, seed=3)
    df = read_table(_shapefile_zip(_parts(g, prj=False)), "noprj.zip")
    assert np.allclose(_lonlat(df), shapely.get_coordinates(g.geometry.to_numpy()), atol=1e-8)
    info = df.attrs["read_info"]
    assert any("has no .prj file" in en and "read as degrees" in en for _, en in info.notes)
    assert any("没有 .prj 文件" in zh and "已按经纬度" in zh for zh, _ in info.notes)
    # the datum is still the planner's choice: the same rows read as GCJ-02 move
    wgs = validate(df, guess_mapping(df).mapping, datum="wgs84", districts=districts).table
    gcj = validate(df, guess_mapping(df).mapping, datum="gcj02", districts=districts).table
    assert np.abs(wgs.lon_wgs84 - gcj.lon_wgs84).min() > 1e-3 and (gcj.status == "ok").all()


@pytest.mark.parametrize("epsg", [4549, 4528, 32651])
def test_no_prj_with_metres_is_refused_asking_for_the_prj(epsg):
    g = _venues(4, seed=3).to_crs(epsg=epsg)
    with pytest.raises(UploadError) as err:
        read_table(_shapefile_zip(_parts(g, prj=False)), "metres.zip")
    assert "has no .prj file" in err.value.en and "zip its .prj" in err.value.en
    assert "没有 .prj 文件" in err.value.zh and "请把 .prj 文件一起打包" in err.value.zh
    x = f"{g.geometry.x.abs().max():.0f}"[:3]
    assert x in err.value.en  # the planner sees an example of the numbers


def test_an_unreadable_prj_is_said_and_treated_as_none():
    parts = _parts(_venues(3, seed=1).to_crs(epsg=4549))
    parts[".prj"] = b"this is not a coordinate system"
    with pytest.raises(UploadError, match=r"has a \.prj file that cannot be read"):
        read_table(_shapefile_zip(parts), "badprj.zip")


# --- what a zip holds ----------------------------------------------------------------------------


def test_several_shapefiles_ask_which_one_as_a_geopackage_does():
    a, b = _venues(3, seed=1), _venues(2, seed=2)
    entries = {f"数据/学校{k}": v for k, v in _parts(a).items()}
    entries |= {f"数据/SITES{k.upper()}": v for k, v in _parts(b, encoding="GB18030", cpg=None).items()}
    data = _zip(entries)
    with pytest.raises(LayerChoiceError) as err:
        read_table(data, "two.zip")
    assert sorted(err.value.options) == ["SITES", "学校"]
    assert "2 Shapefiles" in err.value.en and "2 个 Shapefile" in err.value.zh
    df = read_table(data, "two.zip", layer="SITES")
    info = df.attrs["read_info"]
    assert len(df) == 2 and info.layer == "SITES" and sorted(info.layers) == ["SITES", "学校"]
    assert df["名称"].tolist() == NAMES[:2]  # upper-case parts, GBK without .cpg
    with pytest.raises(UploadError, match="holds no Shapefile 'nope'"):
        read_table(data, "two.zip", layer="nope")


@pytest.mark.parametrize("missing", [[".dbf"], [".shx"], [".shx", ".dbf"]])
def test_a_shapefile_missing_a_part_names_it(missing):
    parts = {k: v for k, v in _parts(_venues(2)).items() if k not in missing}
    with pytest.raises(UploadError) as err:
        read_table(_shapefile_zip(parts), "part.zip")
    assert f"The Shapefile 'venues' lacks {', '.join(missing)} (" in err.value.en
    assert f"Shapefile“venues”缺少 {'、'.join(missing)}（" in err.value.zh


def test_an_incomplete_shapefile_beside_a_complete_one_is_skipped_with_a_note():
    entries = {f"venues{k}": v for k, v in _parts(_venues(2)).items()}
    entries["lookup.dbf"] = _parts(_venues(1))[".dbf"]
    df = read_table(_zip(entries), "z.zip")
    assert len(df) == 2
    notes = df.attrs["read_info"].notes
    assert ("压缩包中的 Shapefile“lookup”缺少 .shp、.shx，未读取",
            "The Shapefile 'lookup' in the zip lacks .shp, .shx and was not read") in notes


def test_a_zip_holding_one_other_file_reads_it_as_that_file():
    s = hf.sites(3, seed=6)
    rows = zip(s.name, s.lon, s.lat, strict=True)
    text = "名称,经度,纬度\n" + "".join(f"{n},{x},{y}\n" for n, x, y in rows)
    df = read_table(_zip({"清单/list.csv": text.encode("gb18030"), "__MACOSX/._list.csv": b"x",
                          "清单/说明.txt": "请核对".encode()}), "l.zip")
    assert df["名称"].tolist() == list(s.name) and df.attrs["read_info"].encoding == "gb18030"
    assert any("Read 清单/list.csv from the zip" in en for _, en in df.attrs["read_info"].notes)
    gj = _venues(2).to_json().encode()
    df = read_table(_zip({"v.geojson": gj}), "g.zip")
    assert df["名称"].tolist() == NAMES[:2] and df.attrs["read_info"].format == "geojson"
    for entries, says in [
        ({"a.csv": text.encode(), "b.geojson": gj}, "several files the atlas reads (a.csv, b.geojson)"),
        ({"说明.docx": b"x", "a.kml": b"y"}, "holds no Shapefile (.shp, .shx, .dbf) nor another file"),
        ({"data.csv": _zip({"x.csv": text.encode()})}, "holds another archive (data.csv)"),
    ]:
        with pytest.raises(UploadError) as err:
            read_table(_zip(entries), "z.zip")
        assert says in err.value.en, err.value.en
        assert err.value.zh != err.value.en and "压缩包" in err.value.zh


def test_a_zipped_workbook_or_geopackage_reads_as_that_file_with_its_choices():
    data, name, truth = hf.xlsx_sheets(layout="list_on_sheet3", seed=2)
    df = read_table(_zip({name: data}), "book.zip")
    info = df.attrs["read_info"]
    assert info.format == "xlsx" and info.sheet == truth["sheet"] and len(df) == len(truth["names"])
    data, name, truth = hf.gpkg_layers(layers=2, n=3)
    packed = _zip({f"gis/{name}": data})
    with pytest.raises(LayerChoiceError) as err:
        read_table(packed, "gpkg.zip")
    assert err.value.options == truth["layers"]
    df = read_table(packed, "gpkg.zip", layer="layer_1")
    assert len(df) == truth["rows"]["layer_1"] and df.attrs["read_info"].format == "gpkg"


@pytest.mark.parametrize("ext", [".shp", ".dbf", ".shx", ".prj"])
def test_a_shapefile_part_alone_asks_for_the_zip(ext):
    with pytest.raises(UploadError) as err:
        read_table(_parts(_venues(2))[ext], f"venues{ext}")
    assert "zip .shp, .shx, .dbf and .prj" in err.value.en and "压缩为 .zip" in err.value.zh


def test_gbk_member_names_without_the_utf8_flag_read_as_chinese():
    parts = _parts(_venues(2))
    data = _zip({f"ABCDEF{k}": v for k, v in parts.items()})  # ASCII names: no UTF-8 flag
    data = data.replace(b"ABCDEF", "科普场".encode("gbk"))  # as Chinese Windows writes them
    upload = open_zip(data, limits=Limits())
    assert list(upload.shapefiles) == ["科普场"]
    assert read_table(data, "win.zip").attrs["read_info"].layer == "科普场"


# --- hostile zips --------------------------------------------------------------------------------


def _patch_sizes(data: bytes, size: int) -> bytes:
    """Every entry's declared uncompressed size set to ``size`` (local and central headers)."""
    out = bytearray(data)
    for sig, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = out.find(sig)
        while pos >= 0:
            out[pos + at:pos + at + 4] = struct.pack("<I", size)
            pos = out.find(sig, pos + 4)
    return bytes(out)


def _no_unpacking(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("an entry was unpacked")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(monkeypatch):
    honest = _zip({"venues.shp": b"\0" * (300 * 1024 * 1024), "venues.shx": b"", "venues.dbf": b""}, level=1)
    assert len(honest) < 2_000_000
    lying_up = _patch_sizes(_zip({"venues.shp": b"\0" * 1000, "venues.shx": b"", "venues.dbf": b""}),
                            0xFFFF_FFF0)
    _no_unpacking(monkeypatch)
    for data in (honest, lying_up):
        with pytest.raises(UploadError) as err:
            read_table(data, "bomb.zip")
        assert "unpacks to too much" in err.value.en and "解压后过大" in err.value.zh


def test_declared_sizes_that_lie_low_do_not_unpack_more_than_they_say():
    """A header declaring 100 bytes for 200 MB: no more than 100 bytes come out, and the check
    sum then fails: refused as damaged, quickly, without the 200 MB."""
    parts = _parts(_venues(2))
    data = _zip({"venues.shp": parts[".shp"] + b"\0" * (200 * 1024 * 1024), "venues.shx": parts[".shx"],
                 "venues.dbf": parts[".dbf"]}, level=1)
    lying = bytearray(data)
    for sig, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # the first entry only
        pos = lying.find(sig)
        lying[pos + at:pos + at + 4] = struct.pack("<I", 100)
    start = time.perf_counter()
    with pytest.raises(UploadError, match="damaged or incomplete"):
        read_table(bytes(lying), "lying.zip")
    assert time.perf_counter() - start < 20  # (a generous bound: it is a fraction of a second)


def test_the_bytes_actually_unpacked_are_counted_against_the_limit():
    data = _zip({"a.csv": b"x" * 3_000_000})
    upload = ZipUpload(zipfile.ZipFile(io.BytesIO(data)), Limits(max_decoded_bytes=2_000_000))
    with pytest.raises(UploadError, match="unpacks to too much"):
        upload.read(upload.zf.infolist()[0])
    assert upload.unpacked <= 2_000_000 + (1 << 20)  # stopped within one chunk of the limit


@pytest.mark.parametrize("name", ["../../venues.shp", "data/../../venues.shp", "/tmp/venues.shp",
                                  "C:/venues.shp", "\\\\server\\venues.shp", "..\\venues.shp"])
def test_entries_that_would_escape_a_folder_are_refused(name, monkeypatch):
    parts = _parts(_venues(2))
    data = _zip({name: parts[".shp"], "venues.shx": parts[".shx"], "venues.dbf": parts[".dbf"]})
    _no_unpacking(monkeypatch)
    with pytest.raises(UploadError) as err:
        read_table(data, "escape.zip")
    assert "unsafe entry" in err.value.en and "不安全" in err.value.zh


def test_a_symbolic_link_entry_is_refused(monkeypatch):
    parts = _parts(_venues(2))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("venues.shp", parts[".shp"])
        zf.writestr("venues.shx", parts[".shx"])
        link = zipfile.ZipInfo("venues.dbf")
        link.create_system = 3
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
    _no_unpacking(monkeypatch)
    with pytest.raises(UploadError, match="symbolic link"):
        read_table(buf.getvalue(), "link.zip")


def test_a_password_protected_zip_is_refused(monkeypatch):
    data = bytearray(_shapefile_zip(_parts(_venues(2))))
    for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # the "encrypted" flag of every entry
        pos = data.find(sig)
        while pos >= 0:
            data[pos + at] |= 0x1
            pos = data.find(sig, pos + 4)
    _no_unpacking(monkeypatch)
    with pytest.raises(UploadError) as err:
        read_table(bytes(data), "secret.zip")
    assert "password-protected" in err.value.en and "密码" in err.value.zh


def test_a_compression_method_that_cannot_be_unpacked_is_named(monkeypatch):
    data = bytearray(_shapefile_zip(_parts(_venues(2))))
    for sig, at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # Deflate64, as Windows writes big files
        pos = data.find(sig)
        while pos >= 0:
            data[pos + at:pos + at + 2] = struct.pack("<H", 9)
            pos = data.find(sig, pos + 4)
    _no_unpacking(monkeypatch)
    with pytest.raises(UploadError) as err:
        read_table(bytes(data), "deflate64.zip")
    assert "compression method that cannot be unpacked" in err.value.en and "压缩方式" in err.value.zh


def test_a_zip_inside_the_zip_is_refused():
    inner = _shapefile_zip(_parts(_venues(2)))
    for entries in ({"inner.zip": inner}, {"a/INNER.ZIP": inner, "readme.txt": b"x"},
                    {**{f"v{k}": v for k, v in _parts(_venues(2)).items()}, "old.rar": b"Rar!"}):
        with pytest.raises(UploadError) as err:
            read_table(_zip(entries), "nested.zip")
        assert "holds another archive" in err.value.en and "压缩包里还有压缩包" in err.value.zh


def test_damaged_truncated_and_empty_zips_get_clear_messages():
    good = _shapefile_zip(_parts(_venues(3)))
    corrupt = bytearray(good)
    start = corrupt.find(b"PK\x03\x04") + 60  # inside the first entry's compressed data
    corrupt[start:start + 40] = b"\xff" * 40
    for data in (good[: len(good) // 2], good[:-10], b"PK\x03\x04" + b"\0" * 50, bytes(corrupt)):
        with pytest.raises(UploadError) as err:
            read_table(data, "cut.zip")
        assert "damaged or incomplete" in err.value.en and "已损坏或不完整" in err.value.zh
    for entries in ({}, {"__MACOSX/._venues.shp": b"x", "folder/": b""}):
        with pytest.raises(UploadError) as err:
            read_table(_zip(entries), "empty.zip")
        assert err.value.en == "The zip holds no files" and err.value.zh == "压缩包中没有文件"


def test_thousands_of_entries_are_refused_from_the_directory(monkeypatch):
    data = _zip({f"f{i}.txt": b"" for i in range(5000)})
    _no_unpacking(monkeypatch)
    with pytest.raises(UploadError) as err:
        read_table(data, "many.zip")
    assert "too many entries (5,000; limit 200)" in err.value.en and "文件过多" in err.value.zh


def test_gdal_messages_never_show_a_server_path_and_the_temp_folder_goes(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    parts = _parts(_venues(2))
    parts[".shp"] = parts[".shp"][:120]  # cut inside the second point
    bad = [_shapefile_zip(parts), _shapefile_zip(_parts(_venues(2, seed=1).to_crs(epsg=4549), prj=False))]
    for data in bad:
        with pytest.raises(UploadError) as err:
            read_table(data, "x.zip")
        assert str(tmp_path) not in str(err.value) and "/tmp" not in str(err.value)
        assert "layer.shp" not in str(err.value)
    read_table(_shapefile_zip(_parts(_venues(2))), "ok.zip")
    assert list(tmp_path.iterdir()) == []  # every private folder was removed, failed or not


def test_a_failed_upload_leaves_the_saved_layer_as_it_was(tmp_path, districts):
    df = read_table(_shapefile_zip(_parts(_venues(3))), "v.zip")
    result = validate(df, guess_mapping(df).mapping, datum="wgs84", districts=districts)
    saved = save_user_layer("venues", to_sites(result, layer_name="venues"), folder=tmp_path)
    before = load_user_layer(saved.key, folder=tmp_path)
    for data in (b"PK\x03\x04broken", _zip({"../venues.shp": b"x"}), _zip({"venues.shp": b"x"})):
        with pytest.raises(UploadError):
            read_table(data, "venues.zip")
    after = load_user_layer(saved.key, folder=tmp_path)
    assert after.equals(before)


def test_planners_zones_read_gbk_shapefiles_through_the_same_checks():
    """The Coverage page's zones (atlas.data.zoning) unpack a zip as the importer does."""
    from atlas.data.zoning import read_zones

    s = hf.sites(2, seed=7)
    boxes = [shapely.box(x - 0.01, y - 0.01, x + 0.01, y + 0.01) for x, y in zip(s.lon, s.lat, strict=True)]
    g = gpd.GeoDataFrame({"街道": ["白云街道", "望春街道"]}, geometry=boxes, crs="EPSG:4326")
    zones = read_zones(_shapefile_zip(_parts(g.to_crs(epsg=4549), encoding="GB18030", cpg=None)), "z.zip")
    assert zones.zone.tolist() == ["白云街道", "望春街道"]
    assert max(a.hausdorff_distance(b) for a, b in zip(zones.geometry, boxes, strict=True)) < 1e-6
    parts = _parts(g)
    two = {f"{stem}{k}": v for k, v in parts.items() for stem in ("a", "b")}
    for entries, says in [({"../z.shp": parts[".shp"]}, "unsafe entry"),
                          ({"z.zip": _shapefile_zip(parts)}, "holds another archive"),
                          (two, "several Shapefiles (a, b)")]:
        with pytest.raises(UploadError, match=re.escape(says)):
            read_zones(_zip(entries), "z.zip")


# --- the page ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "says"), [("zh", "读取方式"), ("en", "Read as")])
def test_the_import_page_takes_a_zipped_shapefile_and_shows_its_preview(lang, says):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["lang"] = lang
    at.run()
    up = at.file_uploader(key="imp_file")
    assert {".zip", ".shp"} <= set(up.proto.type)
    assert "Shapefile" in up.label and ".zip" in up.help
    data = _shapefile_zip(_parts(_venues(4), encoding="GB18030", cpg=None))
    up.set_value(("科普场所.zip", data, "application/zip")).run()
    assert not at.exception and not at.error
    caption = " ".join(c.value for c in at.caption)
    assert f"{says}:" in caption and "Shapefile" in caption and "GBK/GB18030" in caption
    gbk = "已按 GBK/GB18030 读取" if lang == "zh" else "read as GBK/GB18030"
    assert any(gbk in i.value for i in at.info)
    [datum] = [r for r in at.radio if str(r.key).startswith("imp_datum_")]
    assert datum.value is None  # the datum is asked, as for any upload
    datum.set_value("wgs84").run()
    assert not at.exception and at.metric[0].value == "4"
    cells = " ".join(" ".join(map(str, d.value.to_numpy().ravel())) for d in at.dataframe)
    assert all(n in cells for n in NAMES)
    name = next(w for w in at.text_input if str(w.key).startswith("imp_name_"))
    assert name.value == "科普场所"


def test_the_import_page_asks_which_shapefile_of_several():
    entries = {f"学校{k}": v for k, v in _parts(_venues(3, seed=1)).items()}
    entries |= {f"场馆{k}": v for k, v in _parts(_venues(2, seed=2)).items()}
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.file_uploader(key="imp_file").set_value(("two.zip", _zip(entries), "application/zip")).run()
    picker = next(w for w in at.selectbox if str(w.key).startswith("imp_layer_"))
    assert picker.value is None and sorted(picker.options) == ["场馆", "学校"]
    picker.set_value("场馆").run()
    assert not at.exception
    assert any("2 行" in c.value for c in at.caption)


def test_names_from_the_zip_reach_the_page_escaped():
    """Shapefile names are the zip's (anyone's) text: markup in them shows as text."""
    names = ["**粗体**", "[链接](http://example.com)"]
    entries = {f"{n}{k}": v for n in names for k, v in _parts(_venues(2)).items()}
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.file_uploader(key="imp_file").set_value(("x.zip", _zip(entries), "application/zip")).run()
    assert not at.exception
    [warning] = at.warning
    assert r"\*\*粗体\*\*" in warning.value and r"\[链接\]\(http://example\.com\)" in warning.value
    picker = next(w for w in at.selectbox if str(w.key).startswith("imp_layer_"))
    assert sorted(picker.options) == sorted(names)  # options are plain text, shown as written
