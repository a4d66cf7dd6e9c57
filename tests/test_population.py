"""Population rasters drive demand; totals reconciled; the download path against 127.0.0.1."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin

from atlas.analysis.demand import proxy_demand
from atlas.analysis.population import (
    cells_demand,
    download_worldpop,
    raster_demand,
    read_cell_table,
    read_raster_cells,
    worldpop_url,
    zone_table_demand,
)
from atlas.analysis.supply import supply_sites
from atlas.coverage.summary import coverage_summary
from atlas.data.geodata import load_districts, load_population
from atlas.errors import UploadError, ValidationError

RES = 0.001  # degrees (~100 m)


def write_raster(path: Path, data: np.ndarray, *, west: float, north: float, crs: str = "EPSG:4326",
                 res: float = RES, nodata: float | None = -99.0) -> Path:
    with rasterio.open(path, "w", driver="GTiff", height=data.shape[0], width=data.shape[1], count=1,
                       dtype="float32", crs=crs, transform=from_origin(west, north, res, res),
                       nodata=nodata) as dst:
        dst.write(data.astype("float32"), 1)
    return path


@pytest.fixture(scope="module")
def jiangbei():
    d = load_districts()
    return d[d.name_zh.isin(["江北区", "镇海区"])].reset_index(drop=True), load_population()


@pytest.fixture
def raster(tmp_path, jiangbei):
    """People only in a 10 x 10 block around the first gallery of 江北区, plus nodata cells."""
    dists, _ = jiangbei
    g = supply_sites("galleries")
    site = g[g.district == "江北区"].geometry.iloc[0]
    x0, y0, x1, y1 = dists.total_bounds
    w, h = int((x1 - x0) / RES) + 1, int((y1 - y0) / RES) + 1
    data = np.zeros((h, w))
    r, c = int((y1 - site.y) / RES), int((site.x - x0) / RES)
    data[r - 5:r + 5, c - 5:c + 5] = 50.0
    data[0, 0] = -99.0  # nodata is not population
    return write_raster(tmp_path / "pop.tif", data, west=x0, north=y1), site


def test_raster_cells_are_pixel_centres_with_their_people(tmp_path):
    data = np.array([[1.0, 0.0, 2.0], [0.0, -99.0, 3.5]])
    p = write_raster(tmp_path / "t.tif", data, west=121.5, north=29.9)
    cells = read_raster_cells(p)
    assert cells.population.tolist() == [1.0, 2.0, 3.5]
    assert np.allclose(cells.lon, [121.5005, 121.5025, 121.5025])
    assert np.allclose(cells.lat, [29.8995, 29.8995, 29.8985])
    assert np.allclose(cells.extent_m, 0.5 * np.hypot(RES * 111_320 * np.cos(np.radians(cells.lat)),
                                                      RES * 110_574), rtol=1e-6)
    # the same people in a projected raster land at the same places
    from atlas.geo.projection import MetricFrame

    f = MetricFrame("EPSG:32651")
    x, y = f.to_metric(121.5, 29.9)
    q = write_raster(tmp_path / "utm.tif", np.array([[0.0, 7.0]]), west=float(x), north=float(y),
                     crs="EPSG:32651", res=100.0)
    u = read_raster_cells(q)
    lon, lat = f.to_lonlat(float(x) + 150.0, float(y) - 50.0)
    assert u.population.tolist() == [7.0] and np.allclose([u.lon[0], u.lat[0]], [lon, lat])
    assert u.extent_m[0] == pytest.approx(0.5 * np.hypot(100, 100))
    with pytest.raises(UploadError):
        read_raster_cells(write_bytes(tmp_path / "bad.tif", b"not a tiff"))


def write_bytes(p: Path, b: bytes) -> Path:
    p.write_bytes(b)
    return p


def test_raster_drives_demand_and_totals_reconcile(raster, jiangbei):
    path, _ = raster
    dists, pop = jiangbei
    dem, rec = raster_demand(path, districts=dists, population=pop, label="test")
    official = pop.set_index("district_zh").resident_pop_2024
    got = dem.groupby("district").population.sum()
    for name in ("江北区", "镇海区"):
        assert got[name] == pytest.approx(official[name])
    r = rec.set_index("district")
    assert r.loc["江北区", "source_total"] == pytest.approx(100 * 50.0)
    assert r.loc["江北区", "factor"] == pytest.approx(official["江北区"] / 5000.0)
    # 镇海区 has nobody in the raster: filled area-uniform and said so
    assert r.loc["镇海区", "method"] == "area-uniform" and np.isnan(r.loc["镇海区", "factor"])
    jb = dem[dem.district == "江北区"]
    assert set(jb.method) == {"raster:test"} and len(jb) == 100 and (jb.extent_m < 100).all()
    # everyone of 江北 lives within ~700 m of one gallery: coverage follows the raster, not the area
    sites = supply_sites("galleries")
    by_r = coverage_summary(dem, sites).by_district().set_index("zone")
    by_a = coverage_summary(proxy_demand(dists, pop), sites).by_district().set_index("zone")
    assert by_r.loc["江北区", "pct_estimate"] == pytest.approx(100.0)
    assert by_r.loc["江北区", "pct_upper"] > by_a.loc["江北区", "pct_upper"]


def test_cell_table_and_zone_table_sources(jiangbei):
    dists, pop = jiangbei
    c = read_cell_table(pd.DataFrame({"经度": ["121.55", "121.56", "x"], "纬度": ["29.93", "29.93", "1"],
                                      "人口": ["10", "30", "5"]}), cell_size_m=200)
    assert c.population.tolist() == [10.0, 30.0] and c.extent_m.iloc[0] == pytest.approx(200 / np.sqrt(2))
    dem, _ = cells_demand(c, districts=dists, population=pop, method="cells")
    assert dem[dem.district == "江北区"].population.sum() == pytest.approx(518_000)
    with pytest.raises(UploadError):
        read_cell_table(pd.DataFrame({"a": [1]}))
    # zones: 江北区 split in two "streets" with 100 and 300 people; it is fully covered -> scaled
    jb = dists[dists.name_zh == "江北区"].geometry.iloc[0]
    import shapely

    mid = (jb.bounds[0] + jb.bounds[2]) / 2
    west = jb.intersection(shapely.box(jb.bounds[0] - 1, 0, mid, 90))
    east = jb.intersection(shapely.box(mid, 0, jb.bounds[2] + 1, 90))
    import geopandas as gpd

    zones = gpd.GeoDataFrame({"街道": ["西", "东"]}, geometry=[west, east], crs="EPSG:4326")
    table = pd.DataFrame({"街道": ["西", "东", "无此街道"], "人口": [100, 300, 5]})
    dz, rz = zone_table_demand(table, zones, zone_column="街道", population_column="人口",
                               districts=dists, population=pop)
    r = rz.set_index("district")
    assert r.loc["江北区", "source_total"] == pytest.approx(400, rel=0.01)
    assert dz[dz.district == "江北区"].population.sum() == pytest.approx(518_000)
    w = dz[(dz.district == "江北区") & (dz.lon < mid)].population.sum()
    assert w / 518_000 == pytest.approx(0.25, abs=0.02)
    with pytest.raises(ValidationError):
        zone_table_demand(table.assign(街道="?"), zones, zone_column="街道", population_column="人口",
                          districts=dists, population=pop)


class _Handler(http.server.BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {}
    hits: ClassVar[list[str]] = []

    def do_GET(self):
        self.hits.append(self.path)
        body = self.files.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for i in range(0, len(body), 4096):
            self.wfile.write(body[i:i + 4096])

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    _Handler.hits.clear()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_download_with_progress_cache_and_clean_failures(server, tmp_path, jiangbei):
    data = np.zeros((40, 60))
    data[10:20, 10:20] = 3.0
    tif = write_raster(tmp_path / "src.tif", data, west=121.50, north=29.95)
    _Handler.files = {"/GIS/2020/CHN/chn_ppp_2020.tif": tif.read_bytes(), "/junk.tif": b"<html>no</html>"}
    url = worldpop_url(iso3="CHN", year=2020, template=server + "/GIS/{year}/{ISO}/{iso}_ppp_{year}.tif")
    seen: list[tuple[str, float]] = []
    cache = tmp_path / "cache"
    path = download_worldpop(url, cache_dir=cache, progress=lambda s, f: seen.append((s, f)), chunk=1024)
    assert path.read_bytes() == tif.read_bytes() and seen[-1] == ("done", 1.0)
    fr = [f for s, f in seen if s == "download"]
    assert len(fr) > 1 and fr == sorted(fr) and fr[-1] == pytest.approx(1.0)
    again = download_worldpop(url, cache_dir=cache)
    assert again == path and _Handler.hits.count("/GIS/2020/CHN/chn_ppp_2020.tif") == 1
    dists, pop = jiangbei
    dem, _ = raster_demand(path, districts=dists, population=pop, label="WorldPop stand-in")
    assert (dem.method == "raster:WorldPop stand-in").any()
    for bad in ("/missing.tif", "/junk.tif"):
        with pytest.raises(UploadError):
            download_worldpop(server + bad, cache_dir=cache)
        assert not list(cache.glob(Path(bad).name + "*"))


def test_a_tiny_raster_declaring_billions_of_pixels_is_refused_before_it_is_read(tmp_path, jiangbei):
    # 200,000 x 200,000 sparse pixels in a file of a few kilobytes: reading it would need 160 GB
    p = tmp_path / "bomb.tif"
    with rasterio.open(p, "w", driver="GTiff", width=200_000, height=200_000, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(121.0, 30.5, 1e-5, 1e-5), tiled=True,
                       compress="deflate", sparse_ok=True) as dst:
        dst.write(np.ones((256, 256), dtype="float32"), 1, window=rasterio.windows.Window(0, 0, 256, 256))
    assert p.stat().st_size < 5_000_000
    with pytest.raises(UploadError) as e:
        read_raster_cells(p)
    assert "more than the limit" in e.value.message("en") and "超过上限" in e.value.message("zh")
    # a window over a small area of the same file is within the limit and is read
    cells = read_raster_cells(p, bounds=(121.0, 30.497, 121.003, 30.5))
    assert len(cells) == 256 * 256 and cells.population.sum() == pytest.approx(256 * 256)
