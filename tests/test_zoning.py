"""Planner's zoning uploads: any import datum, projected files, shapefiles; coverage per zone."""

from __future__ import annotations

import io
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely

from atlas.analysis.accessibility import accessibility
from atlas.analysis.demand import proxy_demand
from atlas.analysis.supply import supply_sites
from atlas.coverage.summary import coverage_summary
from atlas.data.geodata import load_districts, load_population
from atlas.data.zoning import read_zones
from atlas.errors import UploadError
from atlas.geo.datum import gdf_from_wgs84
from tests import hostile_files as hf

BOXES = [shapely.box(121.52, 29.88, 121.56, 29.91), shapely.box(121.56, 29.88, 121.60, 29.91),
         shapely.box(121.70, 29.50, 121.71, 29.51)]


def truth():
    return gpd.GeoDataFrame({"街道名称": ["甲街道", "乙街道", "甲街道"], "pop": [1, 2, 3]},
                            geometry=BOXES, crs="EPSG:4326")


def as_bytes(gdf, driver="GeoJSON", ext=".geojson", tmp_path=None):
    p = tmp_path / f"z{ext}"
    gdf.to_file(p, driver=driver)
    return p.read_bytes()


@pytest.mark.parametrize("datum", ["wgs84", "gcj02", "bd09", "cgcs2000"])
def test_zones_in_any_import_datum_come_back_in_wgs84(tmp_path, datum):
    shifted = gdf_from_wgs84(truth(), datum=datum)
    z = read_zones(as_bytes(shifted, tmp_path=tmp_path), "街道.geojson", datum=datum)
    assert z.zone.tolist() == ["甲街道", "乙街道", "甲街道 (2)"]
    err = [a.hausdorff_distance(b) for a, b in zip(z.geometry, BOXES, strict=True)]
    assert max(err) < 1e-6
    if datum in ("gcj02", "bd09"):  # read as WGS84 the same file would be ~500 m+ off
        wrong = read_zones(as_bytes(shifted, tmp_path=tmp_path), "z.geojson", datum="wgs84")
        assert wrong.geometry.iloc[0].hausdorff_distance(BOXES[0]) > 0.003


def test_projected_gpkg_and_zipped_shapefile(tmp_path):
    g = truth().to_crs("EPSG:4549")  # CGCS2000 / 3-degree Gauss-Kruger CM 120E
    z = read_zones(as_bytes(g, "GPKG", ".gpkg", tmp_path), "units.gpkg", datum="bd09")  # datum ignored
    assert max(a.hausdorff_distance(b) for a, b in zip(z.geometry, BOXES, strict=True)) < 1e-6
    shp = tmp_path / "shp"
    shp.mkdir()
    truth().rename(columns={"街道名称": "NAME"}).to_file(shp / "zones.shp", encoding="utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in shp.iterdir():
            zf.write(f, f.name)
    z2 = read_zones(buf.getvalue(), "zones.zip")
    assert z2.zone.tolist()[:2] == ["甲街道", "乙街道"]


def test_bad_boundary_files_get_clear_messages(tmp_path):
    with pytest.raises(UploadError) as e:
        read_zones(b"{not json", "z.geojson")
    assert "无法读取" in e.value.message("zh") and "cannot be read" in e.value.message("en")
    pts = gpd.GeoDataFrame({"n": ["a"]}, geometry=[shapely.Point(121.5, 29.9)], crs="EPSG:4326")
    with pytest.raises(UploadError, match=r"no polygons|没有面"):
        read_zones(as_bytes(pts, tmp_path=tmp_path), "z.geojson")
    far = gpd.GeoDataFrame({"n": ["a"]}, geometry=[shapely.box(2, 48, 3, 49)], crs="EPSG:4326")
    with pytest.raises(UploadError):
        read_zones(as_bytes(far, tmp_path=tmp_path), "z.geojson")
    with pytest.raises(UploadError):
        read_zones(b"x", "z.kml")


def test_coverage_and_e2sfca_per_uploaded_zone(tmp_path):
    d = load_districts()
    dem = proxy_demand(d[d.name_zh == "江北区"], load_population())
    sites = supply_sites("galleries")
    z = read_zones(as_bytes(gdf_from_wgs84(truth(), datum="gcj02"), tmp_path=tmp_path), "z.geojson",
                   datum="gcj02")
    s = coverage_summary(dem, sites)
    t = s.by_zone(z).set_index("zone")
    assert list(t.index) == ["甲街道", "乙街道", "甲街道 (2)"]
    assert t.loc["甲街道 (2)", "status"] == "no_population"  # in 象山's sea, not in 江北 demand
    assert np.isnan(t.loc["甲街道 (2)", "pct_upper"])
    assert (t.loc[["甲街道", "乙街道"], "population"] > 0).all()
    a = accessibility(s, sites).by_zone(z).set_index("zone")
    assert a.loc["甲街道 (2)", "status"] == "no_population" and a.loc["甲街道", "score_per_10k"] > 0


def test_hostile_boundary_files_are_refused_before_they_are_unpacked_or_read(tmp_path, monkeypatch):
    from atlas import settings

    # a zip bomb: a few hundred kilobytes that unpack to more than the decoded-bytes limit
    monkeypatch.setattr(settings, "MAX_DECODED_BYTES", 64 * 1024 * 1024)
    bomb = hf.zipped({"a.shp": b"\0" * (65 * 1024 * 1024), "a.dbf": b"", "a.shx": b""})
    assert len(bomb) < 200_000
    with pytest.raises(UploadError) as e:
        read_zones(bomb, "z.zip")
    assert "unpacks to too much" in e.value.message("en") and "解压后过大" in e.value.message("zh")
    # a zip that is not one, and a zip without a shapefile
    for blob, words in [(b"PK\x03\x04garbage", "damaged"), (hf.zipped({"readme.txt": b"hi"}), "no .shp")]:
        with pytest.raises(UploadError, match=words):
            read_zones(blob, "z.zip")
    # too many features: counted from the file's header, before the geometries are read
    many = gpd.GeoDataFrame({"n": [str(i) for i in range(60)]},
                            geometry=[shapely.box(121.5 + i * 1e-3, 29.9, 121.5005 + i * 1e-3, 29.9005)
                                      for i in range(60)], crs="EPSG:4326")
    data = as_bytes(many, driver="GPKG", ext=".gpkg", tmp_path=tmp_path)
    with pytest.raises(UploadError, match=r"Too many features in the boundary file \(60; limit 50\)"):
        read_zones(data, "z.gpkg", max_zones=50)
    assert len(read_zones(data, "z.gpkg", max_zones=60)) == 60
