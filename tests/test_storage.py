"""The user-data store: every write step can fail without losing or half-writing anything."""

from __future__ import annotations

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
from atlas.errors import StorageError, ValidationError
from atlas.geodata import SITE_COLUMNS, sites_from_frame
from atlas.scenarios import Scenario, load_scenarios, save_scenario, save_scenarios
from atlas.userlayers import (
    list_user_layers,
    load_user_layer,
    save_user_layer,
    user_catalogue,
    user_data_signature,
)

ROOT = Path(__file__).resolve().parent.parent


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


def state(folder: Path) -> dict:
    """Everything a reader can see in the store (to compare before and after a failed write)."""
    layers = list_user_layers(folder=folder)
    out = {"layers": [(r["key"], r["name"], [(v["n"], v["rows"]) for v in r["versions"]])
                      for r in layers],
           "scenarios": [s.name for s in load_scenarios(folder=folder)]}
    with sqlite3.connect(store.store_path(folder)) as c:
        out["features"] = c.execute("SELECT count(*) FROM atlas_features").fetchone()[0]
        out["orphans"] = c.execute("SELECT count(*) FROM atlas_features f LEFT JOIN atlas_versions v "
                                   "USING (version_id) WHERE v.version_id IS NULL").fetchone()[0]
        out["empty_layers"] = c.execute("SELECT count(*) FROM atlas_layers l WHERE NOT EXISTS "
                                        "(SELECT 1 FROM atlas_versions v WHERE v.layer_key = l.key)"
                                        ).fetchone()[0]
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return out


class _Counting(sqlite3.Connection):
    """A connection that counts statements and raises at statement number ``fail_at``."""

    fail_at: int | None = None
    count = 0

    def _tick(self, sql: str) -> None:
        type(self).count += 1
        if type(self).count == type(self).fail_at:
            raise sqlite3.OperationalError(f"disk I/O error (injected at statement {self.count}: {sql[:30]})")

    def execute(self, sql, *args):
        self._tick(sql)
        return super().execute(sql, *args)

    def executemany(self, sql, *args):
        self._tick(sql)
        return super().executemany(sql, *args)


def _statements(monkeypatch, action) -> int:
    monkeypatch.setattr(store, "CONNECTION_FACTORY", _Counting)
    _Counting.fail_at, _Counting.count = None, 0
    action()
    n = _Counting.count
    monkeypatch.setattr(store, "CONNECTION_FACTORY", sqlite3.Connection)
    return n


@pytest.mark.parametrize("what", ["new version", "new layer", "area layer", "scenario"])
def test_a_failure_at_any_write_step_leaves_the_last_committed_state(tmp_path, monkeypatch, what):
    folder = tmp_path / "u"
    save_user_layer("清单", make_sites(40), folder=folder, note="v1")
    save_scenarios([Scenario("方案A")], folder=folder)
    actions = {
        "new version": lambda: save_user_layer("清单", make_sites(55, seed=1), folder=folder),
        "new layer": lambda: save_user_layer("新图层", make_sites(30, seed=2), folder=folder),
        "area layer": lambda: save_user_layer("园区范围", make_areas(12), folder=folder),
        "scenario": lambda: save_scenario(Scenario("方案B"), folder=folder),
    }
    action = actions[what]
    # count the statements of one successful save, on a copy of the store
    probe = tmp_path / "probe"
    probe.mkdir()
    with sqlite3.connect(store.store_path(folder)) as src, \
            sqlite3.connect(store.store_path(probe)) as dst:
        src.backup(dst)
    probe_actions = {
        "new version": lambda: save_user_layer("清单", make_sites(55, seed=1), folder=probe),
        "new layer": lambda: save_user_layer("新图层", make_sites(30, seed=2), folder=probe),
        "area layer": lambda: save_user_layer("园区范围", make_areas(12), folder=probe),
        "scenario": lambda: save_scenario(Scenario("方案B"), folder=probe),
    }
    steps = _statements(monkeypatch, probe_actions[what])
    assert steps >= 5
    before = state(folder)
    monkeypatch.setattr(store, "CONNECTION_FACTORY", _Counting)
    for k in range(1, steps + 1):
        _Counting.fail_at, _Counting.count = k, 0
        with pytest.raises(StorageError) as err:
            action()
        assert "injected" in str(err.value) or "disk I/O" in str(err.value)
        assert str(folder) not in str(err.value)  # no server path in the message
        monkeypatch.setattr(store, "CONNECTION_FACTORY", sqlite3.Connection)
        assert state(folder) == before, f"failure at statement {k} of {steps} changed the store"
        monkeypatch.setattr(store, "CONNECTION_FACTORY", _Counting)
    monkeypatch.setattr(store, "CONNECTION_FACTORY", sqlite3.Connection)
    action()  # and without a fault the same save works
    after = state(folder)
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

    monkeypatch.setattr(store, "CONNECTION_FACTORY", Full)
    with pytest.raises(StorageError, match="nothing saved before was changed"):
        save_user_layer("清单", make_sites(5000, seed=3), folder=folder)
    monkeypatch.setattr(store, "CONNECTION_FACTORY", sqlite3.Connection)
    assert state(folder) == before
    back = load_user_layer("清单", folder=folder)
    assert back.name_zh.tolist() == make_sites(20).name_zh.tolist()


def test_versions_names_and_geometry_round_trip(tmp_path):
    v1 = save_user_layer("测试 <b>层</b>/../x", make_sites(30), folder=tmp_path, note="first")
    v2 = save_user_layer("测试 <b>层</b>/../x", make_sites(31, seed=5), folder=tmp_path)
    assert (v1.n, v2.n) == (1, 2) and v1.key == v2.key and "/" not in v1.key
    assert not [p for p in tmp_path.iterdir() if p.name != store.STORE_NAME and "-wal" not in p.name
                and "-shm" not in p.name]  # nothing but the store: no file named after the layer
    rec = list_user_layers(folder=tmp_path)[0]
    assert rec["name"] == "测试 <b>层</b>/../x" and [v["n"] for v in rec["versions"]] == [1, 2]
    assert len(load_user_layer(rec["key"], folder=tmp_path)) == 31
    old = load_user_layer(rec["key"], folder=tmp_path, version=1)
    assert old.name_zh.tolist() == make_sites(30).name_zh.tolist()
    areas = make_areas(5)
    save_user_layer("园区", areas, folder=tmp_path)
    layers, frames = user_catalogue(folder=tmp_path)
    kinds = {lyr.title_zh: lyr.geometry for lyr in layers}
    assert kinds["我的图层：园区"] == "polygon"
    back = next(frames[lyr.id] for lyr in layers if lyr.geometry == "polygon")
    assert shapely.equals_exact(back.geometry.to_numpy(), areas.geometry.to_numpy(), tolerance=1e-9).all()
    with pytest.raises(ValidationError, match="geometry kind"):
        save_user_layer("园区", make_sites(3), folder=tmp_path)  # a point version of an area layer
    # the store is a real GeoPackage: GDAL reads every version's features
    gdf = pyogrio.read_dataframe(store.store_path(tmp_path), layer="atlas_features")
    placed = make_sites(30).lon.notna().sum() + make_sites(31).lon.notna().sum() + 5
    assert len(gdf) == 30 + 31 + 5 and gdf.geometry.notna().sum() == placed
    assert user_data_signature(folder=tmp_path)[1] == 3


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
    monkeypatch.setattr(store, "CONNECTION_FACTORY", _Counting)
    _Counting.fail_at, _Counting.count = 12, 0
    with pytest.raises(StorageError):
        list_user_layers(folder=tmp_path)
    monkeypatch.setattr(store, "CONNECTION_FACTORY", sqlite3.Connection)
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


def test_scenarios_round_trip_validate_and_keep_versions(tmp_path):
    a = Scenario("方案A")
    a.add_site(121.55, 29.87, label="<b>社区中心</b>")
    b = Scenario("plan B", minutes=10)
    n1 = save_scenarios([a, b], folder=tmp_path)
    back = load_scenarios(folder=tmp_path)
    assert [s.name for s in back] == ["方案A", "plan B"] and back[0].sites == a.sites
    assert back[1].minutes == 10
    a.add_site(121.56, 29.88)
    n2 = save_scenario(a, folder=tmp_path)
    assert n2 > n1 and [len(s.sites) for s in load_scenarios(folder=tmp_path)] == [0, 2]
    with pytest.raises(ValidationError):
        a.add_site(10.0, 50.0)
    with pytest.raises(ValidationError):
        save_scenarios([a, Scenario("方案A")], folder=tmp_path)


_WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from pathlib import Path
    from tests.test_storage import make_sites
    from atlas.scenarios import Scenario, save_scenario
    from atlas.userlayers import save_user_layer
    folder, who, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    for i in range(n):
        save_user_layer("共享图层", make_sites(200 + i, seed=i), folder=folder, note=who)
        save_user_layer("图层" + who, make_sites(50, seed=i), folder=folder, note=who)
        save_scenario(Scenario(who + str(i)), folder=folder)
    print("done", who)
""")


def test_two_processes_saving_at_once_never_corrupt_the_store(tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(_WRITER.format(root=str(ROOT)), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, str(script), str(tmp_path), who, "12"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for who in ("A", "B")]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    st = state(tmp_path)
    layers = {name: versions for _, name, versions in st["layers"]}
    shared = layers["共享图层"]
    assert [n for n, _ in shared] == list(range(1, 25))  # 24 versions, numbered without gaps
    assert sorted(rows for _, rows in shared) == sorted([200 + i for i in range(12)] * 2)
    assert len(layers["图层A"]) == len(layers["图层B"]) == 12
    for n, rows in shared:
        assert len(load_user_layer("共享图层", folder=tmp_path, version=n)) == rows
    # save_scenario reads and writes under one lock: neither process lost the other's scenarios
    assert sorted(st["scenarios"]) == sorted(f"{w}{i}" for w in "AB" for i in range(12))


def test_a_process_killed_mid_save_leaves_a_consistent_store(tmp_path):
    save_user_layer("大图层", make_sites(100), folder=tmp_path)
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from tests.test_storage import make_sites
        from atlas.userlayers import save_user_layer
        big = make_sites(30000, seed=9)
        print("ready", flush=True)
        while True:
            save_user_layer("大图层", big, folder=Path({str(tmp_path)!r}))
    """), encoding="utf-8")
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.stdout.readline().strip() == "ready"
    time.sleep(1.5)
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    st = state(tmp_path)  # integrity_check passes
    versions = st["layers"][0][2]
    assert versions[0] == (1, 100)
    assert st["orphans"] == 0
    for n, rows in versions:
        assert len(load_user_layer("大图层", folder=tmp_path, version=n)) == rows
