from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from atlas.batch import BatchArea, BatchOptions, area_dir, run_batch
from atlas.cli import main
from atlas.errors import ClusterUnreachableError
from tests.conftest import shared_file

FIXTURES = Path(__file__).parent / "fixtures"


def tables(out: Path) -> dict[str, gpd.GeoDataFrame]:
    res = {}
    for t in ("service_areas", "coverage"):
        g = gpd.read_parquet(out / f"{t}.parquet")
        keys = ["area", "site_id"] if t == "service_areas" else ["area", "district"]
        res[t] = g.sort_values(keys).reset_index(drop=True)
    return res


@pytest.mark.slow
def test_batch_on_a_local_cluster_equals_one_process(tmp_path):
    andorra = str(shared_file("reference/osm_extracts/andorra.osm.gz"))
    monaco = str(shared_file("reference/osm_extracts/monaco.osm.gz"))
    areas = [BatchArea("andorra", osm_file=andorra, sites="osm-venues"),
             BatchArea("monaco", osm_file=monaco, sites="osm-venues"),
             BatchArea("haishu", area="海曙区", osm_file=monaco)]  # a file that is elsewhere
    seen = []
    dist = run_batch(areas, out=tmp_path / "dask", options=BatchOptions(cache=str(tmp_path / "c1")),
                     n_workers=2, progress=lambda s, f: seen.append(s))
    assert {n: s["status"] for n, s in dist.status.items()} == {
        "andorra": "done", "monaco": "done", "haishu": "failed"}
    assert "does not overlap Haishu" in dist.status["haishu"]["en"]
    assert {"batch_start", "batch_area", "batch_merge", "done"} <= set(seen)
    one = run_batch(areas, out=tmp_path / "one", options=BatchOptions(cache=str(tmp_path / "c2")),
                    inline=True)
    assert one.failed == ["haishu"]
    a, b = tables(tmp_path / "dask"), tables(tmp_path / "one")
    for t in a:
        assert len(a[t]) > 0
        pd.testing.assert_frame_equal(a[t].drop(columns="geometry"), b[t].drop(columns="geometry"))
        assert a[t].geometry.geom_equals_exact(b[t].geometry, 1e-9).all()
    sa = a["service_areas"]
    assert dict(sa.groupby("area")["crs"].first()) == {"andorra": "EPSG:32631", "monaco": "EPSG:32632"}
    assert (sa.method == "network").all() and (sa.area_km2 > 0.1).all()
    cov = a["coverage"].set_index("area")
    assert cov.loc["monaco", "pct_covered"] > 50 and cov.loc["andorra", "demand_method"] == "street-length"
    # one GeoPackage with both tables, each row with its area and CRS
    gpkg = tmp_path / "dask" / "batch.gpkg"
    assert {name for name, _ in pyogrio.list_layers(gpkg)} == {"service_areas", "coverage"}
    back = gpd.read_file(gpkg, layer="service_areas")
    assert len(back) == len(sa) and set(back["crs"]) == {"EPSG:32631", "EPSG:32632"}
    assert set(back["area"]) == {"andorra", "monaco"} and back.crs == "EPSG:4326"


def test_failed_area_keeps_the_others_and_a_rerun_skips_done_areas(tmp_path):
    street = str(FIXTURES / "geodesic_streets_50n.osm")
    sites = tmp_path / "sites.csv"
    sites.write_text("id,lon,lat\na,11.5262,50.0091\nb,11.5400,50.0160\n", encoding="utf-8")
    areas = [BatchArea("street", osm_file=street, sites=str(sites)),
             BatchArea("nowhere", osm_file=str(tmp_path / "missing.osm.pbf"))]
    opts = BatchOptions(cache=str(tmp_path / "cache"))
    first = run_batch(areas, out=tmp_path / "out", options=opts, inline=True)
    assert first.status["street"]["status"] == "done" and first.failed == ["nowhere"]
    assert "not found" in first.status["nowhere"]["en"]
    done = area_dir(tmp_path / "out", "street") / "done.json"
    stamp = done.stat().st_mtime_ns
    again = run_batch(areas, out=tmp_path / "out", options=opts, inline=True)
    assert again.status["street"]["status"] == "skipped" and done.stat().st_mtime_ns == stamp
    assert len(gpd.read_parquet(tmp_path / "out" / "service_areas.parquet")) == 2
    # other options: computed again
    third = run_batch(areas[:1], out=tmp_path / "out", options=BatchOptions(cache=opts.cache, metres=800),
                      inline=True)
    assert third.status["street"]["status"] == "done"
    assert set(gpd.read_parquet(tmp_path / "out" / "service_areas.parquet").metres) == {800.0}


def test_cli_batch_with_a_spec_of_a_district_and_a_foreign_extract(tmp_path, capsys):
    sites = tmp_path / "sites.csv"
    sites.write_text("id,lon,lat\na,11.5262,50.0091\n", encoding="utf-8")
    spec = tmp_path / "batch.toml"
    spec.write_text(f"""
[options]
metres = 1000.0

[[area]]
name = "鄞州区"
area = "鄞州区"
osm_file = "{FIXTURES / 'yinzhou_grid.osm'}"

[[area]]
name = "bavaria"
osm_file = "{FIXTURES / 'geodesic_streets_50n.osm'}"
sites = "sites.csv"
""", encoding="utf-8")
    rc = main(["batch", str(spec), "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "c"),
               "--inline", "--lang", "en"])
    out = capsys.readouterr().out
    assert rc == 0, out
    status = json.loads((tmp_path / "out" / "status.json").read_text(encoding="utf-8"))
    assert status["鄞州区"]["crs"] == "EPSG:32651" and status["bavaria"]["crs"] == "EPSG:32632"
    cov = gpd.read_parquet(tmp_path / "out" / "coverage.parquet").set_index("area")
    assert cov.loc["鄞州区", "district"] == "鄞州区" and cov.loc["鄞州区", "demand_method"] != "street-length"
    assert cov.loc["bavaria", "budget_m"] == 1000.0
    assert main(["batch", "--out", str(tmp_path / "x")]) == 2  # no area
    assert main(["nonsense"]) == 2


def test_bands_through_the_cli_one_row_per_site_and_band(tmp_path):
    sites = tmp_path / "sites.csv"
    sites.write_text("id,lon,lat\na,11.5262,50.0091\nb,11.5400,50.0160\n", encoding="utf-8")
    rc = main(["batch", "--osm-file", str(FIXTURES / "geodesic_streets_50n.osm"), "--sites", str(sites),
               "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "c"), "--inline",
               "--minutes", "10", "5", "15"])
    assert rc == 0
    sa = gpd.read_parquet(tmp_path / "out" / "service_areas.parquet")
    assert sorted(sa.groupby("site_id").minutes.apply(list).tolist()) == [[5.0, 10.0, 15.0]] * 2
    for _, g in sa.groupby("site_id"):
        geoms = g.sort_values("minutes").geometry.to_numpy()
        assert all(big.covers(small) for small, big in itertools.pairwise(geoms))
    cov = gpd.read_parquet(tmp_path / "out" / "coverage.parquet").sort_values("minutes")
    assert cov.minutes.tolist() == [5.0, 10.0, 15.0] and cov.budget_m.tolist() == [375.0, 750.0, 1125.0]
    assert cov.pct_covered.is_monotonic_increasing and cov.covered.iloc[0] < cov.covered.iloc[-1]
    status = json.loads((tmp_path / "out" / "status.json").read_text(encoding="utf-8"))
    assert status[next(iter(status))]["n_sites"] == 2


@pytest.fixture
def silent_port():
    """A local port that accepts connections and never says anything."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held = []

    def accept() -> None:
        while True:
            try:
                held.append(srv.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield srv.getsockname()[1]
    srv.close()
    for c in held:
        c.close()


def test_a_scheduler_address_where_nothing_answers_fails_fast_and_says_where(tmp_path, silent_port, capsys):
    addr = f"tcp://127.0.0.1:{silent_port}"
    areas = [BatchArea("street", osm_file=str(FIXTURES / "geodesic_streets_50n.osm"))]
    t0 = time.perf_counter()
    with pytest.raises(ClusterUnreachableError) as err:
        run_batch(areas, out=tmp_path / "out", scheduler=addr, connect_timeout_s=2)
    assert time.perf_counter() - t0 < 30
    assert addr in err.value.message("zh") and "调度器" in err.value.message("zh")
    assert addr in err.value.message("en") and "says nothing" in err.value.message("en")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there any more
    rc = main(["batch", "--osm-file", str(FIXTURES / "geodesic_streets_50n.osm"),
               "--out", str(tmp_path / "x"), "--scheduler", f"tcp://127.0.0.1:{port}", "--lang", "zh"])
    assert rc == 2
    assert f"tcp://127.0.0.1:{port}" in capsys.readouterr().err
