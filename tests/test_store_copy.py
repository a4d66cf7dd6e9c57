"""``atlas store copy``: a GeoPackage store moves into PostGIS (and back) whole, with its ids."""

from __future__ import annotations

import subprocess
import sys

import pyogrio
import pytest
import shapely

from atlas import store
from atlas.analysis.scenarios import Scenario, load_scenarios, save_scenario, scenario_history
from atlas.cli import main
from atlas.errors import ValidationError
from atlas.store.copying import copy_store
from atlas.userlayers import list_user_layers, load_user_layer, save_user_layer
from tests.pg_support import fresh_schema, gdal_source, read_with_gdal
from tests.test_storage import make_areas, make_sites

RECORDED = store.Table("atlas_test_recorded", (("target", "text"), ("value", "real"),
                                               ("year", "integer"), ("saved_by", "text")),
                       "recorded values (test)")


def _fill(folder) -> None:
    save_user_layer("科普场馆", make_sites(40), folder=folder, user="wang")
    save_user_layer("科普场馆", make_sites(41, seed=1), folder=folder, note="第二版")
    save_user_layer("园区 <b>范围</b>", make_areas(6), folder=folder, user="li")
    a = Scenario("方案A")
    a.add_site(121.55, 29.87, label="候选")
    save_scenario(a, folder=folder, user="zhao")
    save_scenario(Scenario("方案B"), folder=folder)
    with store.transaction(folder) as conn:
        store.insert_rows(conn, RECORDED, [{"target": "科普场馆数", "value": 12.5, "year": 2024,
                                            "saved_by": "wang"}, {"target": "x", "year": 2025}])


def _everything(where) -> dict:
    layers = list_user_layers(folder=where)
    frames = {(r["key"], v["n"]): load_user_layer(r["key"], folder=where, version=v["n"])
              for r in layers for v in r["versions"]}
    with store.reading(where) as conn:
        recorded = store.select_rows(conn, RECORDED)
    return {"layers": layers, "scenarios": [(s.name, s.sites) for s in load_scenarios(folder=where)],
            "history": scenario_history(folder=where), "recorded": recorded,
            "frames": {k: (f.drop(columns="geometry").to_json(),
                           shapely.to_wkb(f.geometry.to_numpy()).tolist()) for k, f in frames.items()}}


def test_a_geopackage_store_copies_into_postgis_and_back_unchanged(postgres, tmp_path, capsys):
    folder = tmp_path / "gpkg"
    _fill(folder)
    before = _everything(folder)
    with fresh_schema(postgres) as (url, _):
        assert main(["store", "copy", "--from", str(folder), "--to", url, "--lang", "en"]) == 0
        printed = capsys.readouterr().out
        assert "atlas_features\t87" in printed and "atlas_test_recorded\t2" in printed
        assert _everything(url) == before
        # ids continue after the copied ones: a new save in PostGIS neither collides nor renumbers
        v = save_user_layer("科普场馆", make_sites(3, seed=7), folder=url, user="new")
        assert v.n == 3 and save_scenario(Scenario("方案C"), folder=url) > before["history"][0]["version"]
        # QGIS's reader (GDAL) sees the copied area layer as polygons in EPSG:4326
        gdf = pyogrio.read_dataframe(read_with_gdal(url, "atlas_features", tmp_path))
        polys = gdf[gdf.geometry.geom_type == "Polygon"]
        assert len(polys) == 6 and gdf.crs.to_epsg() == 4326
        info = subprocess.run(["ogrinfo", "-ro", "-so", gdal_source(url), "atlas_features"],
                              capture_output=True, text=True, timeout=60, check=True).stdout
        assert "Feature Count: 90" in info and 'ID["EPSG",4326]' in info
        # a target that holds data is refused and left as it was
        with pytest.raises(ValidationError, match="already holds data"):
            copy_store(folder, url)
        assert [len(r["versions"]) for r in list_user_layers(folder=url)] == [1, 3]
        # and back from PostGIS into a new GeoPackage
        back = tmp_path / "back"
        counts = copy_store(url, back)
        assert counts["atlas_versions"] == 4 and counts["atlas_test_recorded"] == 2
        assert _everything(back)["recorded"] == before["recorded"]
        assert pyogrio.read_info(store.store_path(back), layer="atlas_features")["features"] == 90


def test_copy_refuses_what_it_cannot_do_and_names_no_server_path(tmp_path, capsys):
    empty = tmp_path / "nothing"
    assert main(["store", "copy", "--from", str(empty), "--to", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "没有用户数据库" in err and str(tmp_path) not in err
    save_user_layer("a", make_sites(2), folder=tmp_path / "s")
    with pytest.raises(ValidationError):
        copy_store(tmp_path / "s", tmp_path / "s")
    # an unreachable database: a clear message without host, user or password
    url = "postgresql://planner:s3cret@127.0.0.1:1/atlas"
    r = subprocess.run([sys.executable, "-m", "atlas.cli", "store", "copy", "--from",
                        str(tmp_path / "s"), "--to", url, "--lang", "en"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Cannot connect to the user database" in r.stderr
    assert "s3cret" not in r.stderr and "planner" not in r.stderr and "Traceback" not in r.stderr
