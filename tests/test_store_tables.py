"""The store's generic attribute tables: declared once, written in transactions, read in order."""

from __future__ import annotations

import sqlite3

import pytest

from atlas import store

T = store.Table("atlas_test_things", (("name", "text"), ("value", "real"), ("n", "integer")),
                "things for a test")


def test_rows_round_trip_in_insertion_order(tmp_path):
    with store.reading(tmp_path) as conn:
        assert store.select_rows(conn, T) == []  # reading does not create the table
        assert store.max_value(conn, T, "n") is None
    with store.transaction(tmp_path) as conn:
        assert store.insert_rows(conn, T, [{"name": "甲", "value": 1.5, "n": 2}, {"name": "b"}]) == 2
    with store.reading(tmp_path) as conn:
        rows = store.select_rows(conn, T)
        assert [(r["name"], r["value"], r["n"]) for r in rows] == [("甲", 1.5, 2), ("b", None, None)]
        assert rows[0]["row_id"] < rows[1]["row_id"]
        assert store.select_rows(conn, T, where={"name": "b"})[0]["name"] == "b"
        assert store.max_value(conn, T, "n") == 2
        listed = conn.execute("SELECT data_type FROM gpkg_contents WHERE table_name = ?",
                              (T.name,)).fetchone()
    assert listed == ("attributes",)  # QGIS lists it as a table


def test_a_failed_transaction_leaves_nothing(tmp_path):
    with store.transaction(tmp_path) as conn:
        store.insert_rows(conn, T, [{"name": "kept"}])
    with pytest.raises(RuntimeError), store.transaction(tmp_path) as conn:
        store.insert_rows(conn, T, [{"name": "lost"}])
        raise RuntimeError("a failure after the insert")
    with store.reading(tmp_path) as conn:
        assert [r["name"] for r in store.select_rows(conn, T)] == ["kept"]


def test_a_column_declared_later_is_added(tmp_path):
    with store.transaction(tmp_path) as conn:
        store.insert_rows(conn, T, [{"name": "old"}])
    wider = store.Table(T.name, (*T.columns, ("who", "text")))
    with store.transaction(tmp_path) as conn:
        store.insert_rows(conn, wider, [{"name": "new", "who": "张三"}])
    with store.reading(tmp_path) as conn:
        assert [(r["name"], r["who"]) for r in store.select_rows(conn, wider)] == [
            ("old", None), ("new", "张三")]


def test_bad_declarations_and_columns_are_refused(tmp_path):
    for name, cols in [("things", (("a", "text"),)), ("atlas_x; DROP TABLE atlas_layers", (("a", "text"),)),
                       ("atlas_x", (("a b", "text"),)), ("atlas_x", (("a", "blob"),)),
                       ("atlas_x", (("row_id", "integer"),))]:
        with pytest.raises(ValueError):
            store.Table(name, cols)
    with store.reading(tmp_path) as conn, pytest.raises(ValueError):
        store.select_rows(conn, T, where={"name = name OR 1": 1})
    with store.reading(tmp_path) as conn, pytest.raises(ValueError):
        store.max_value(conn, T, "nope")
    assert sqlite3.connect(store.store_path(tmp_path)).execute(
        "SELECT count(*) FROM sqlite_master WHERE name = 'atlas_layers'").fetchone() == (1,)
