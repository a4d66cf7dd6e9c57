"""Who saved what: every saved layer version and scenario set records its user."""

from __future__ import annotations

import sqlite3

from atlas import store
from atlas.analysis.scenarios import Scenario, load_scenarios, save_scenario, save_scenarios, scenario_history
from atlas.userlayers import list_user_layers, save_user_layer
from tests.test_storage import make_sites


def test_layer_versions_record_who_saved_them(tmp_path):
    save_user_layer("学校", make_sites(5), folder=tmp_path, user="zhang")
    save_user_layer("学校", make_sites(6, seed=1), folder=tmp_path, user="李 四")
    save_user_layer("学校", make_sites(7, seed=2), folder=tmp_path)  # sign-in off: nobody
    (rec,) = list_user_layers(folder=tmp_path)
    assert [v["saved_by"] for v in rec["versions"]] == ["zhang", "李 四", ""]
    assert [v["rows"] for v in rec["versions"]] == [5, 6, 7]
    assert all(v["created"].endswith("Z") for v in rec["versions"])


def test_scenario_history_says_who_saved_which_set(tmp_path):
    a = Scenario("方案A")
    a.add_site(121.55, 29.87, label="候选1")
    save_scenario(a, folder=tmp_path, user="wang")
    save_scenario(Scenario("方案B"), folder=tmp_path, user="zhao")
    save_scenarios([Scenario("方案C")], folder=tmp_path)
    hist = scenario_history(folder=tmp_path)
    assert [(h["saved_by"], h["names"]) for h in hist] == [
        ("", ["方案C"]), ("zhao", ["方案A", "方案B"]), ("wang", ["方案A"])]
    assert [h["version"] for h in hist] == sorted((h["version"] for h in hist), reverse=True)
    assert [s.name for s in load_scenarios(folder=tmp_path)] == ["方案C"]
    assert len(scenario_history(folder=tmp_path, limit=1)) == 1


def test_a_store_written_before_saved_by_existed_gets_the_column(tmp_path):
    save_user_layer("旧图层", make_sites(3), folder=tmp_path)
    save_scenario(Scenario("旧方案"), folder=tmp_path)
    with sqlite3.connect(store.store_path(tmp_path)) as conn:  # the schema of older releases
        conn.execute("DROP VIEW atlas_current_features")  # (no view either)
        conn.execute("ALTER TABLE atlas_versions DROP COLUMN saved_by")
        conn.execute("ALTER TABLE atlas_scenario_versions DROP COLUMN saved_by")
    conn.close()
    save_user_layer("旧图层", make_sites(4, seed=3), folder=tmp_path, user="editor1")
    (rec,) = list_user_layers(folder=tmp_path)
    assert [(v["rows"], v["saved_by"]) for v in rec["versions"]] == [(3, ""), (4, "editor1")]
    assert [h["saved_by"] for h in scenario_history(folder=tmp_path)] == [""]
