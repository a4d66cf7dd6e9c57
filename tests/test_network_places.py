"""True metres at the places where "UTM zone of the bounding box's centre" goes wrong.

Across the antimeridian (Fiji, Chukotka) the centre of a bounding box is 180° away from the
data; beyond 84° N / 80° S there is no UTM zone; across the equator the hemisphere must not
matter. Fixtures are streets of known geodesic length made by
tests/fixtures/make_geodesic_streets.py; areas are geodesic squares measured with pyproj.Geod.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from atlas.analysis.service_area import proxy_areas, service_areas
from atlas.errors import ValidationError
from atlas.geo.projection import (
    POLAR_NORTH,
    POLAR_SOUTH,
    MetricFrame,
    centre_longitude,
    metric_crs_at,
    metric_crs_for,
    split_at_antimeridian,
)
from atlas.network import build_network, download, read_osm_file, resolve
from tests.overpass_stub import StubOverpass

FIXTURES = Path(__file__).parent / "fixtures"
GEOD = pyproj.Geod(ellps="WGS84")
FIJI = FIXTURES / "geodesic_streets_fiji.osm"


def geodesic_square(lon0: float, lat0: float, side: float) -> shapely.Polygon:
    """A square of geodesic sides (metres) from its south-west corner, longitudes continuous."""
    pts = [(lon0, lat0)]
    for az in (90.0, 0.0, 270.0):
        lon, lat, _ = GEOD.fwd(*pts[-1], az, side)
        pts.append((float(lon), float(lat)))
    xs = np.unwrap(np.radians([p[0] for p in pts]))
    return shapely.Polygon(list(zip(np.degrees(xs), [p[1] for p in pts], strict=True)))


def geodesic_area(geom: shapely.Geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(shapely.segmentize(geom, 0.0002))[0])


@pytest.mark.parametrize(("data", "crs"), [
    ((-179.9, -17.0, 179.9, -16.0), "EPSG:32701"),  # Fiji as bounds of both sides: centre 180°
    ((179.5, -17.0, -179.5, -16.0), "EPSG:32701"),  # GeoJSON bbox across the antimeridian
    ((np.array([179.99, -179.98]), np.array([-16.8, -16.8])), "EPSG:32701"),
    (shapely.MultiPolygon([shapely.box(179.5, 64.9, 180, 65.1), shapely.box(-180, 64.9, -179.9, 65.1)]),
     "EPSG:32660"),  # Chukotka, more of it west of 180°
    ((170.0, 64.0, -175.0, 66.0), "EPSG:32660"),  # wide Chukotka box: centre 177.5° E
    ((121.0, 29.0, 122.0, 30.0), "EPSG:32651"),  # Ningbo
    ((109.3, -0.05, 109.4, 0.03), "EPSG:32749"),  # across the equator, centre south
    ((109.3, -0.03, 109.4, 0.05), "EPSG:32649"),  # across the equator, centre north
    ((18.3, -34.0, 18.5, -33.8), "EPSG:32734"),  # Cape Town
    ((15.5, 78.1, 15.8, 78.3), "EPSG:32633"),  # Svalbard, still UTM
    ((20.0, 84.5, 40.0, 85.5), POLAR_NORTH),  # beyond UTM's 84° N
    ((-180.0, 89.9, 180.0, 90.0), POLAR_NORTH),  # the North Pole itself
    ((166.0, -78.0, 167.0, -77.5), "EPSG:32758"),  # McMurdo: UTM reaches 80° S
    ((0.0, -90.0, 180.0, -89.9), POLAR_SOUTH),  # the South Pole station
])
def test_metric_crs_for_the_place(data, crs):
    assert metric_crs_for(data) == crs


def test_a_geodataframe_across_the_antimeridian_is_centred_there():
    pts = gpd.GeoSeries(shapely.points([179.95, 179.99, -179.97], [-16.8, -16.79, -16.81]), crs=4326)
    # the shortest arc holding them runs from 179.95° E to 179.97° W: centre 179.99° E, zone 60
    assert metric_crs_for(gpd.GeoDataFrame(geometry=pts)) == "EPSG:32760"
    assert metric_crs_for(pts.to_crs("EPSG:3832")) == "EPSG:32760"  # PDC Mercator, converted first
    assert centre_longitude([170.0, -170.0, 175.0]) == pytest.approx(180.0, abs=1e-9) or \
        centre_longitude([170.0, -170.0, 175.0]) == pytest.approx(-180.0, abs=1e-9)
    assert centre_longitude([10.0, 20.0]) == 15.0
    with pytest.raises(ValidationError):
        metric_crs_for((np.array([np.nan]), np.array([np.nan])))


@pytest.mark.parametrize(("lon", "lat"), [(179.99, -16.8), (179.93, 65.0), (109.33, -0.03),
                                          (18.42, -33.92), (15.6, 78.2)])
def test_maps_in_the_chosen_crs_are_north_up(lon, lat):
    """In the zone of the data, north is up and east is right (a bounding box's centre picked
    zone 31 for Fiji and Chukotka: the far side of the globe, where maps come out upside down)."""
    frame = MetricFrame(metric_crs_for((lon - 0.02, lat - 0.02, lon + 0.02, lat + 0.02)))
    x, y = frame.to_metric([lon, lon, lon + 0.001], [lat, lat + 0.001, lat])
    assert y[1] > y[0] and abs(x[1] - x[0]) < 0.05 * (y[1] - y[0])
    assert x[2] > x[0]


@pytest.mark.parametrize(("lon", "lat"), [(179.99, -16.8), (179.9, 65.0), (-179.99, 50.0),
                                          (109.3, -0.01), (15.6, 78.2), (30.0, 85.5), (10.0, 89.9),
                                          (40.0, -88.0)])
def test_areas_are_true_size_anywhere(lon, lat):
    square = geodesic_square(lon, lat, 2000.0)  # may cross 180° or even the pole's meridians
    true_area = geodesic_area(square)
    assert true_area == pytest.approx(4e6, rel=0.15)  # near a pole four turns do not close a square
    wgs = split_at_antimeridian(shapely.transform(square, lambda p: np.column_stack(
        [(p[:, 0] + 180) % 360 - 180, p[:, 1]])))
    frame = MetricFrame.for_data(wgs)
    metric = frame.geometry_to_metric(shapely.segmentize(wgs, 0.0002))
    assert metric.area == pytest.approx(true_area, rel=0.005)
    back = frame.geometry_to_lonlat(metric)  # WGS84 again: parts on either side of 180°
    assert all(g.bounds[2] - g.bounds[0] < 90 for g in getattr(back, "geoms", [back]))  # no jump
    assert geodesic_area(back) == pytest.approx(true_area, rel=0.005)


def test_the_polar_crs_beats_ups_at_the_pole():
    """Universal Polar Stereographic is 0.6 % short at the pole; the polar CRS is exact there."""
    lon, lat = [0.0, 0.0], [89.99, 89.98]
    true = GEOD.inv(lon[0], lat[0], lon[1], lat[1])[2]
    for crs, tol in ((POLAR_NORTH, 1e-4), ("EPSG:32661", 0.007)):
        x, y = MetricFrame(crs).to_metric(lon, lat)
        err = abs(np.hypot(x[1] - x[0], y[1] - y[0]) / true - 1)
        assert err < tol and (crs != "EPSG:32661" or err > 0.005)
    assert metric_crs_at(0.0, 84.0) != POLAR_NORTH and metric_crs_at(0.0, 84.01) == POLAR_NORTH


def test_a_bbox_across_the_antimeridian_is_a_valid_area():
    a = resolve("bbox:179.9,-16.9,-179.9,-16.7")
    assert a.polygon.geom_type == "MultiPolygon" and a.crs == "EPSG:32701"
    assert a.polygon.is_valid and all(-180 <= v <= 180 for v in a.polygon.bounds[::2])
    with pytest.raises(ValidationError):
        resolve("bbox:179.9,-16.9,179.9,-16.7")  # no width


def test_network_and_service_areas_across_the_antimeridian(tmp_path):
    net, _ = build_network((179.995, -16.9, -179.995, -16.7), osm_file=FIJI, cache=tmp_path,
                           buffer_m=0)
    assert net.crs == "EPSG:32701"
    assert (net.lon > 179).any() and (net.lon < -179).any()
    # every segment of the street inside the box (and its direct neighbours), nothing else
    full = read_osm_file(FIJI)
    box = shapely.MultiPolygon([shapely.box(179.995, -16.9, 180, -16.7),
                                shapely.box(-180, -16.9, -179.995, -16.7)])
    inside = shapely.contains_xy(box, full.lon, full.lat)
    assert net.n_nodes == int(inside.sum()) + 2
    _, _, true = GEOD.inv(net.lon[net.u], net.lat[net.u], net.lon[net.v], net.lat[net.v])
    assert net.length.sum() == pytest.approx(true.sum(), rel=0.001)
    assert 1000 < net.length.sum() < 1300  # ~0.0100° of longitude at 16.8° S, plus two segments
    # a site on the street, 30 m east of 180°: its walking area reaches both sides of the line
    i = int(np.argmin(np.abs(net.lon + 179.9997)))
    sites = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(net.lon[i], net.lat[i])], crs=4326)
    row = service_areas(net, sites, metres=400, half_width_m=10).iloc[0]
    parts = list(getattr(row.geometry, "geoms", [row.geometry]))
    assert len(parts) == 2 and all(p.bounds[2] - p.bounds[0] < 0.01 for p in parts)
    assert geodesic_area(row.geometry) == pytest.approx(row.area_km2 * 1e6, rel=0.005)
    assert row.area_km2 * 1e6 == pytest.approx(800 * 20 + np.pi * 100, rel=0.02)
    circle = proxy_areas(sites).iloc[0]
    assert geodesic_area(circle.geometry) == pytest.approx(circle.area_km2 * 1e6, rel=0.005)


def test_download_across_the_antimeridian_asks_each_side(tmp_path):
    area = shapely.MultiPolygon([shapely.box(179.99, -16.82, 180, -16.78),
                                 shapely.box(-180, -16.82, -179.99, -16.78)])
    with StubOverpass(str(FIJI)) as stub:
        net = download(area, overpass_url=stub.url, cache_folder=tmp_path)
        assert stub.hits == 4  # two walking filters, on each side of 180°
    local = read_osm_file(FIJI, polygon=area)
    assert net.crs == local.crs == "EPSG:32701"
    assert net.length.sum() == pytest.approx(local.length.sum(), rel=1e-9)
    assert net.length.sum() > 2000


@pytest.mark.parametrize("name", ["southpole", "north86"])
def test_service_areas_near_a_pole_are_valid_and_true_size(name):
    """Near a pole straight edges curve in longitude/latitude and an area may hold the pole
    itself (the South Pole station's street passes 213 m from it): each comes back as a valid
    WGS84 polygon of the right geodesic size."""
    net = read_osm_file(FIXTURES / f"geodesic_streets_{name}.osm")
    near = int(np.argmin(90 - np.abs(net.lat)))
    sites = gpd.GeoDataFrame({"id": ["near", "start"]}, crs=4326, geometry=shapely.points(
        [net.lon[near], net.lon[5]], [net.lat[near], net.lat[5]]))
    for half_width in (25.0, 300.0):  # 300 m: the pole's own area lies in the first site's
        rows = service_areas(net, sites, metres=500, half_width_m=half_width)
        for row in rows.itertuples():
            assert row.geometry.is_valid and row.area_km2 > 0.02
            assert geodesic_area(row.geometry) == pytest.approx(row.area_km2 * 1e6, rel=0.005)
    pole = shapely.Point(0.0, 90.0 if name == "north86" else -90.0)
    holds_pole = rows.geometry.iloc[0].buffer(1e-9).intersects(pole)
    assert holds_pole == (name == "southpole")
