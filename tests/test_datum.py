from __future__ import annotations

import geopandas as gpd
import numpy as np
import prcoords
import pytest
import shapely
from pyproj import Geod

from atlas.errors import DatumError
from atlas.geo.datum import from_wgs84, gdf_from_wgs84, gdf_to_wgs84, offset_signature_m, to_wgs84

GEOD = Geod(ellps="WGS84")

# Known pairs from the curated reference (sites.csv): raw AMap/Baidu values and the WGS84
# points they were converted to during curation.
KNOWN = [
    # Tianyi Pavilion: AMap marker (GCJ-02) -> WGS84
    ("gcj02", (121.536128, 29.873289), (121.531918, 29.875829)),
    # China Port Museum: Baidu (BD-09) -> WGS84
    ("bd09", (121.914924, 29.763481), (121.904511, 29.759821)),
]


def dist_m(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


@pytest.mark.parametrize(("datum", "raw", "wgs"), KNOWN)
def test_known_pairs_both_ways(datum, raw, wgs):
    lon, lat = to_wgs84(*raw, datum=datum)
    assert dist_m(float(lon), float(lat), *wgs) < 1.0
    back = from_wgs84(*wgs, datum=datum)
    assert dist_m(float(back[0]), float(back[1]), *raw) < 1.0


def test_matches_prcoords_on_random_ningbo_points():
    rng = np.random.default_rng(7)
    lon = rng.uniform(120.9, 122.3, 300)
    lat = rng.uniform(28.9, 30.4, 300)
    glon, glat = from_wgs84(lon, lat, datum="gcj02")
    blon, blat = from_wgs84(lon, lat, datum="bd09")
    for i in range(0, 300, 7):
        g = prcoords.wgs_gcj((lat[i], lon[i]))
        b = prcoords.wgs_bd((lat[i], lon[i]))
        assert abs(g.lon - glon[i]) < 1e-9 and abs(g.lat - glat[i]) < 1e-9
        assert abs(b.lon - blon[i]) < 1e-9 and abs(b.lat - blat[i]) < 1e-9
        w = prcoords.bd_wgs_bored((blat[i], blon[i]))
        ours = to_wgs84(blon[i], blat[i], datum="bd09")
        assert dist_m(w.lon, w.lat, float(ours[0]), float(ours[1])) < 1.0


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_round_trip_under_a_metre(datum):
    rng = np.random.default_rng(1)
    lon = rng.uniform(120.9, 122.3, 2000)
    lat = rng.uniform(28.9, 30.4, 2000)
    x, y = from_wgs84(lon, lat, datum=datum)
    bl, bt = to_wgs84(x, y, datum=datum)
    err = GEOD.inv(lon, lat, bl, bt)[2]
    assert err.max() < 0.01  # the iterative inverse is far better than the 1 m target
    shift = GEOD.inv(lon, lat, x, y)[2]
    assert shift.min() > 300  # and the datums really differ here (~500 m in Ningbo)


def test_wgs84_and_cgcs2000_are_identity_and_nan_passes_through():
    lon, _ = to_wgs84([121.5, np.nan], [29.8, 29.9], datum="CGCS2000")
    assert lon[0] == 121.5 and np.isnan(lon[1])
    lon, _lat = to_wgs84([121.5, np.nan], [29.8, np.nan], datum="gcj02")
    assert np.isnan(lon[1]) and np.isfinite(lon[0])


def test_unknown_datum_is_a_clear_bilingual_error():
    with pytest.raises(DatumError) as exc:
        to_wgs84(121.5, 29.8, datum="mars")
    assert "未知坐标系" in exc.value.zh and "Unknown datum" in exc.value.en


def test_geodataframe_conversion_moves_every_vertex_and_keeps_input():
    poly = shapely.box(121.5, 29.8, 121.6, 29.9)
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[poly], crs="EPSG:4326")
    shifted = gdf_from_wgs84(gdf, datum="gcj02")
    assert gdf.geometry.iloc[0].equals(poly)  # input untouched
    back = gdf_to_wgs84(shifted, datum="gcj02")
    a = shapely.get_coordinates(back.geometry.iloc[0])
    b = shapely.get_coordinates(poly)
    assert np.abs(a - b).max() < 1e-8
    assert shapely.hausdorff_distance(shifted.geometry.iloc[0], poly) > 0.003


def test_offset_signature_is_the_gcj_shift_in_ningbo():
    east, north = offset_signature_m([121.55], [29.87])
    # Known: raw GCJ-02 in Ningbo is ~430-460 m east and ~265-295 m south of WGS84.
    assert 400 < east < 480 and -320 < north < -240
