"""The user-data store: every write step can fail without losing or half-writing anything.

Every test taking ``where`` runs against both backends: the GeoPackage file (a temp folder) and
PostGIS (a fresh schema in a throw-away PostgreSQL cluster this test run starts, see
:mod:`tests.pg_support`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from atlas import store
from atlas.analysis.scenarios import Scenario, load_scenarios, save_scenario, save_scenarios
from atlas.data.geodata import SITE_COLUMNS, sites_from_frame
from atlas.errors import StorageError, ValidationError
from atlas.store import gpkg as store_gpkg
from atlas.userlayers import (
    list_user_layers,
    load_user_layer,
    save_user_layer,
    user_catalogue,
    user_data_signature,
)
from tests.pg_support import fresh_schema, read_with_gdal

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def where(store_at):
    """A fresh store on each backend (see tests.pg_support.store_at)."""
    return store_at


def _driver_error(where) -> type[Exception]:
    if isinstance(where, str):
        import psycopg

        return psycopg.errors.DiskFull
    return sqlite3.OperationalError


def make_sites(n: int, *, seed: int = 0, unplaced_every: int | None = 7):
    """A site-schema frame of n rows in Ningbo (every k-th row unplaced)."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(121.45, 121.65, n)
    lat = rng.uniform(29.80, 29.95, n)
    unplaced = (np.arange(n) % unplaced_every == 3) if unplaced_every else np.zeros(n, bool)
    df = pd.DataFrame(dict.fromkeys(SITE_COLUMNS, ""), index=range(n))
    df["id"] = [f"U{i + 1:05d}" for i in range(n)]
    df["name_zh"] = [f"场馆{seed}-{i}" for i in range(n)]
    df["category"] = "kepu_site"
    df["lon"] = np.where(unplaced, np.nan, lon)
    df["lat"] = np.where(unplaced, np.nan, lat)
    df["position_status"] = np.where(unplaced, "unplaced", "sourced")
    df["position_method"] = "import:wgs84"
    df["est_error_m"] = np.where(unplaced, np.nan, 50.0)
    df["membership_verified"] = False
    return sites_from_frame(df, name="test")


def make_areas(n: int):
    """An area layer: n squares of increasing size, with their representative points."""
    sites = make_sites(n, unplaced_every=None)
    squares = [shapely.box(x, y, x + 0.001 * (i + 1), y + 0.001 * (i + 1))
               for i, (x, y) in enumerate(zip(sites.lon, sites.lat, strict=True))]
    return sites.set_geometry(squares, crs="EPSG:4326")


def state(where) -> dict:
    """Everything a reader can see in the store (to compare before and after a failed write)."""
    layers = list_user_layers(folder=where)
    out = {"layers": [(r["key"], r["name"], [(v["n"], v["rows"]) for v in r["versions"]])
                      for r in layers],
           "scenarios": [s.name for s in load_scenarios(folder=where)]}
    with store.reading(where) as c:
        out["features"] = c.execute("SELECT count(*) FROM atlas_features").fetchone()[0]
        out["orphans"] = c.execute("SELECT count(*) FROM atlas_features f LEFT JOIN atlas_versions v "
                                   "USING (version_id) WHERE v.version_id IS NULL").fetchone()[0]
        out["empty_layers"] = c.execute("SELECT count(*) FROM atlas_layers l WHERE NOT EXISTS "
                                        "(SELECT 1 FROM atlas_versions v WHERE v.layer_key = l.key)"
                                        ).fetchone()[0]
        if c.kind == "gpkg":
            assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return out


class _Fault:
    """A statement hook: counts statements and raises the driver's error at number ``fail_at``."""

    def __init__(self, error: type[Exception], fail_at: int | None = None) -> None:
        self.error, self.fail_at, self.count = error, fail_at, 0

    def __call__(self, sql: str) -> None:
        self.count += 1
        if self.count == self.fail_at:
            raise self.error(f"disk I/O error (injected at statement {self.count}: {sql[:30]})")


@contextlib.contextmanager
def _another(where, tmp_path):
    """A second empty store on the same backend as ``where``."""
    if isinstance(where, str):
        with fresh_schema(where.split("?")[0]) as (url, _):
            yield url
    else:
        yield tmp_path / "another"


def _saves(where):
    return {
        "new version": lambda: save_user_layer("清单", make_sites(55, seed=1), folder=where),
        "new layer": lambda: save_user_layer("新图层", make_sites(30, seed=2), folder=where),
        "area layer": lambda: save_user_layer("园区范围", make_areas(12), folder=where),
        "scenario": lambda: save_scenario(Scenario("方案B"), folder=where),
    }


def _prepare(where):
    save_user_layer("清单", make_sites(40), folder=where, note="v1")
    save_scenarios([Scenario("方案A")], folder=where)


@pytest.mark.parametrize("what", ["new version", "new layer", "area layer", "scenario"])
def test_a_failure_at_any_write_step_leaves_the_last_committed_state(where, tmp_path, monkeypatch,
                                                                      what):
    _prepare(where)
    # count the statements of one successful save, on another store in the same state
    with _another(where, tmp_path) as probe:
        _prepare(probe)
        counter = _Fault(_driver_error(where))
        monkeypatch.setattr(store, "STATEMENT_HOOK", counter)
        _saves(probe)[what]()
        monkeypatch.setattr(store, "STATEMENT_HOOK", None)
    steps = counter.count
    assert steps >= 5
    before = state(where)
    for k in range(1, steps + 1):
        monkeypatch.setattr(store, "STATEMENT_HOOK", _Fault(_driver_error(where), k))
        with pytest.raises(StorageError) as err:
            _saves(where)[what]()
        assert "nothing saved before was changed" in str(err.value) or k <= 3, (k, err.value)
        assert str(where) not in str(err.value)  # no server path or URL in the message
        monkeypatch.setattr(store, "STATEMENT_HOOK", None)
        assert state(where) == before, f"failure at statement {k} of {steps} changed the store"
    _saves(where)[what]()  # and without a fault the same save works
    after = state(where)
    assert after != before and after["orphans"] == 0 and after["empty_layers"] == 0


def test_disk_full_mid_save_keeps_the_previous_version(tmp_path, monkeypatch):
    folder = tmp_path / "u"
    save_user_layer("清单", make_sites(20), folder=folder)
    before = state(folder)
    with sqlite3.connect(store.store_path(folder)) as c:
        pages = c.execute("PRAGMA page_count").fetchone()[0]

    class Full(sqlite3.Connection):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            super().execute(f"PRAGMA max_page_count = {pages + 2}")  # a real SQLITE_FULL

    monkeypatch.setattr(store_gpkg, "CONNECTION_FACTORY", Full)
    with pytest.raises(StorageError, match="nothing saved before was changed"):
        save_user_layer("清单", make_sites(5000, seed=3), folder=folder)
    monkeypatch.setattr(store_gpkg, "CONNECTION_FACTORY", sqlite3.Connection)
    assert state(folder) == before
    back = load_user_layer("清单", folder=folder)
    assert back.name_zh.tolist() == make_sites(20).name_zh.tolist()


def test_versions_names_and_geometry_round_trip(where, tmp_path):
    v1 = save_user_layer("测试 <b>层</b>/../x", make_sites(30), folder=where, note="first")
    v2 = save_user_layer("测试 <b>层</b>/../x", make_sites(31, seed=5), folder=where)
    assert (v1.n, v2.n) == (1, 2) and v1.key == v2.key and "/" not in v1.key
    if not isinstance(where, str):
        assert not [p for p in where.iterdir() if p.name != store.STORE_NAME and "-wal" not in p.name
                    and "-shm" not in p.name]  # nothing but the store: no file named after the layer
    rec = list_user_layers(folder=where)[0]
    assert rec["name"] == "测试 <b>层</b>/../x" and [v["n"] for v in rec["versions"]] == [1, 2]
    assert len(load_user_layer(rec["key"], folder=where)) == 31
    old = load_user_layer(rec["key"], folder=where, version=1)
    assert old.name_zh.tolist() == make_sites(30).name_zh.tolist()
    assert np.allclose(old.lon.to_numpy(float), make_sites(30).lon.to_numpy(float), rtol=0,
                       atol=1e-12, equal_nan=True)  # full double precision, unplaced rows stay NaN
    areas = make_areas(5)
    save_user_layer("园区", areas, folder=where)
    layers, frames = user_catalogue(folder=where)
    kinds = {lyr.title_zh: lyr.geometry for lyr in layers}
    assert kinds["我的图层：园区"] == "polygon"
    back = next(frames[lyr.id] for lyr in layers if lyr.geometry == "polygon")
    assert shapely.equals_exact(back.geometry.to_numpy(), areas.geometry.to_numpy(), tolerance=1e-9).all()
    with pytest.raises(ValidationError, match="geometry kind"):
        save_user_layer("园区", make_sites(3), folder=where)  # a point version of an area layer
    # GDAL (what QGIS uses) reads every version's features, in WGS84, from the file or PostGIS
    source = (store.store_path(where) if not isinstance(where, str)
              else read_with_gdal(where, "atlas_features", tmp_path))
    gdf = pyogrio.read_dataframe(source, layer="atlas_features")
    placed = make_sites(30).lon.notna().sum() + make_sites(31).lon.notna().sum() + 5
    assert len(gdf) == 30 + 31 + 5 and gdf.geometry.notna().sum() == placed
    assert gdf.crs.to_epsg() == 4326
    polys = gdf[gdf.geometry.geom_type == "Polygon"]
    assert shapely.equals_exact(polys.geometry.to_numpy(), areas.geometry.to_numpy(), tolerance=1e-9).all()
    assert sorted(polys.name_zh) == sorted(areas.name_zh)
    # and a view of every layer's newest version, by name, for a GIS user
    current = pyogrio.read_dataframe(
        store.store_path(where) if not isinstance(where, str)
        else read_with_gdal(where, "atlas_current_features", tmp_path), layer="atlas_current_features")
    assert current.groupby("layer_name").version.unique().map(list).to_dict() == {
        "测试 <b>层</b>/../x": [2], "园区": [1]}
    assert len(current) == 31 + 5 and current.crs.to_epsg() == 4326
    assert user_data_signature(folder=where)[1] == 3


def test_legacy_files_are_migrated_once_and_kept_until_the_migration_commits(tmp_path, monkeypatch):
    legacy = tmp_path / "layers" / "科协名单"
    legacy.mkdir(parents=True)
    a, b = make_sites(8), make_sites(9, seed=1)
    pd.DataFrame(a[list(SITE_COLUMNS)]).to_csv(legacy / "v0001-20240101T000000Z.csv", index=False)
    (legacy / "v0001-20240101T000000Z.json").write_text(json.dumps({"name": "科协 名单"}), "utf-8")
    # the old non-atomic save's failure: a version without its metadata
    pd.DataFrame(b[list(SITE_COLUMNS)]).to_csv(legacy / "v0002-20240102T000000Z.csv", index=False)
    (legacy / "v0003-20240103T000000Z.csv").write_text("id,name_zh\n\"broken", "utf-8")
    (legacy / ".v0004-x.csv.tmp.csv").write_text("half a file", "utf-8")
    (tmp_path / "scenarios.json").write_text(json.dumps(
        {"version": 1, "scenarios": [{"name": "旧方案", "sites": []}]}, ensure_ascii=False), "utf-8")
    # a failure during the migration: nothing committed, the old files still in place
    monkeypatch.setattr(store, "STATEMENT_HOOK", _Fault(sqlite3.OperationalError, 22))
    with pytest.raises(StorageError):
        list_user_layers(folder=tmp_path)
    monkeypatch.setattr(store, "STATEMENT_HOOK", None)
    assert (legacy / "v0001-20240101T000000Z.csv").exists()
    recs = list_user_layers(folder=tmp_path)
    assert [(r["name"], [v["rows"] for v in r["versions"]]) for r in recs] == [("科协 名单", [8, 9])]
    assert recs[0]["versions"][0]["created"] == "2024-01-01T00:00:00Z"
    assert not (tmp_path / "layers").exists() and (tmp_path / "layers.migrated").is_dir()
    assert [s.name for s in load_scenarios(folder=tmp_path)] == ["旧方案"]
    with sqlite3.connect(store.store_path(tmp_path)) as c:
        skipped = json.loads(c.execute("SELECT value FROM atlas_meta WHERE key = "
                                       "'migrated_legacy_layers'").fetchone()[0])["skipped"]
    assert skipped == ["科协名单/v0003-20240103T000000Z.csv"]
    # once only: a second call adds nothing even if the old folder reappears
    (tmp_path / "layers.migrated").rename(tmp_path / "layers")
    assert [len(r["versions"]) for r in list_user_layers(folder=tmp_path)] == [2]


def test_scenarios_round_trip_validate_and_keep_versions(where):
    a = Scenario("方案A")
    a.add_site(121.55, 29.87, label="<b>社区中心</b>")
    b = Scenario("plan B", minutes=10)
    n1 = save_scenarios([a, b], folder=where)
    back = load_scenarios(folder=where)
    assert [s.name for s in back] == ["方案A", "plan B"] and back[0].sites == a.sites
    assert back[1].minutes == 10
    a.add_site(121.56, 29.88)
    n2 = save_scenario(a, folder=where)
    assert n2 > n1 and [len(s.sites) for s in load_scenarios(folder=where)] == [0, 2]
    with pytest.raises(ValidationError):
        a.add_site(10.0, 50.0)
    with pytest.raises(ValidationError):
        save_scenarios([a, Scenario("方案A")], folder=where)


_WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from tests.test_storage import make_sites
    from atlas.analysis.scenarios import Scenario, save_scenario
    from atlas.userlayers import save_user_layer
    folder, who, n = sys.argv[1], sys.argv[2], int(sys.argv[3])  # a folder or a database URL
    for i in range(n):
        save_user_layer("共享图层", make_sites(200 + i, seed=i), folder=folder, note=who)
        save_user_layer("图层" + who, make_sites(50, seed=i), folder=folder, note=who)
        save_scenario(Scenario(who + str(i)), folder=folder)
    print("done", who)
""")


def test_two_processes_saving_at_once_never_corrupt_the_store(where, tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(_WRITER.format(root=str(ROOT)), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, str(script), str(where), who, "12"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for who in ("A", "B")]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    st = state(where)
    layers = {name: versions for _, name, versions in st["layers"]}
    shared = layers["共享图层"]
    assert [n for n, _ in shared] == list(range(1, 25))  # 24 versions, numbered without gaps
    assert sorted(rows for _, rows in shared) == sorted([200 + i for i in range(12)] * 2)
    assert len(layers["图层A"]) == len(layers["图层B"]) == 12
    for n, rows in shared:
        assert len(load_user_layer("共享图层", folder=where, version=n)) == rows
    # save_scenario reads and writes under one lock: neither process lost the other's scenarios
    assert sorted(st["scenarios"]) == sorted(f"{w}{i}" for w in "AB" for i in range(12))


def test_a_process_killed_mid_save_leaves_a_consistent_store(where, tmp_path):
    save_user_layer("大图层", make_sites(100), folder=where)
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from tests.test_storage import make_sites
        from atlas.userlayers import save_user_layer
        big = make_sites(30000, seed=9)
        print("ready", flush=True)
        while True:
            save_user_layer("大图层", big, folder={str(where)!r})
    """), encoding="utf-8")
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.stdout.readline().strip() == "ready"
    time.sleep(1.5)
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    st = state(where)  # SQLite's integrity_check passes
    versions = st["layers"][0][2]
    assert versions[0] == (1, 100)
    assert st["orphans"] == 0
    for n, rows in versions:
        assert len(load_user_layer("大图层", folder=where, version=n)) == rows
    # the killed writer's lock died with it: the next save neither waits nor collides
    t0 = time.monotonic()
    v = save_user_layer("大图层", make_sites(7), folder=where)
    assert v.n == len(versions) + 1 and time.monotonic() - t0 < store.BUSY_TIMEOUT_S / 2
