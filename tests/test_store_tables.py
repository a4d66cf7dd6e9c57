"""The store's generic attribute tables: declared once, written in transactions, read in order.

Every test runs against both backends: the GeoPackage file and PostGIS (a throw-away cluster).
"""

from __future__ import annotations

from datetime import date

import pytest

from atlas import store
from atlas.errors import ValidationError


@pytest.fixture
def where(store_at):
    """A fresh store on each backend (see tests.pg_support.store_at)."""
    return store_at


T = store.Table("atlas_test_things", (("name", "text"), ("value", "real"), ("n", "integer")),
                "things for a test")


def test_rows_round_trip_in_insertion_order(where):
    with store.reading(where) as conn:
        assert store.select_rows(conn, T) == []  # reading does not create the table
        assert store.max_value(conn, T, "n") is None
    with store.transaction(where) as conn:
        assert store.insert_rows(conn, T, [{"name": "甲", "value": 1.5, "n": 2}, {"name": "b"}]) == 2
    with store.reading(where) as conn:
        rows = store.select_rows(conn, T)
        assert [(r["name"], r["value"], r["n"]) for r in rows] == [("甲", 1.5, 2), ("b", None, None)]
        assert rows[0]["row_id"] < rows[1]["row_id"]
        assert store.select_rows(conn, T, where={"name": "b"})[0]["name"] == "b"
        assert store.max_value(conn, T, "n") == 2
        assert isinstance(rows[0]["value"], float) and isinstance(rows[0]["n"], int)
        if conn.kind == "gpkg":
            listed = conn.execute("SELECT data_type, description FROM gpkg_contents "
                                  "WHERE table_name = ?", (T.name,)).fetchone()
        else:
            listed = ("attributes", conn.execute("SELECT obj_description(?::regclass)",
                                                 (T.name,)).fetchone()[0])
    assert tuple(listed) == ("attributes", "things for a test")  # QGIS lists it as a table


def test_a_failed_transaction_leaves_nothing(where):
    with store.transaction(where) as conn:
        store.insert_rows(conn, T, [{"name": "kept"}])
    with pytest.raises(RuntimeError), store.transaction(where) as conn:
        store.insert_rows(conn, T, [{"name": "lost"}])
        raise RuntimeError("a failure after the insert")
    with store.reading(where) as conn:
        assert [r["name"] for r in store.select_rows(conn, T)] == ["kept"]


def test_a_column_declared_later_is_added(where):
    with store.transaction(where) as conn:
        store.insert_rows(conn, T, [{"name": "old"}])
    wider = store.Table(T.name, (*T.columns, ("who", "text")))
    with store.transaction(where) as conn:
        store.insert_rows(conn, wider, [{"name": "new", "who": "张三"}])
    with store.reading(where) as conn:
        assert [(r["name"], r["who"]) for r in store.select_rows(conn, wider)] == [
            ("old", None), ("new", "张三")]


def test_bad_declarations_and_columns_are_refused(where):
    for name, cols in [("things", (("a", "text"),)), ("atlas_x; DROP TABLE atlas_layers", (("a", "text"),)),
                       ("atlas_x", (("a b", "text"),)), ("atlas_x", (("a", "blob"),)),
                       ("atlas_x", (("row_id", "integer"),))]:
        with pytest.raises(ValueError):
            store.Table(name, cols)
    with store.reading(where) as conn, pytest.raises(ValueError):
        store.select_rows(conn, T, where={"name = name OR 1": 1})
    with store.reading(where) as conn, pytest.raises(ValueError):
        store.max_value(conn, T, "nope")
    with store.reading(where) as conn:
        assert "atlas_layers" in conn.columns()
    with pytest.raises(ValueError):
        store.Table("atlas_layers", (("a", "text"),))  # the store's own tables are not redeclared


def test_recorded_indicator_values_are_versioned_the_same_on_both_backends(where):
    from atlas.data.geodata import load_districts
    from atlas.plan import progress
    from atlas.plan.indicators import load_targets

    def row(year, value, **kw):
        return {"target_id": "T23a", "year": year, "district": "", "value": value,
                "source": "市科协年报", "observed_on": f"{year + 1}-03-01", **kw}

    kw = {"targets": load_targets(), "districts": load_districts(), "folder": where,
          "today": date(2026, 12, 1)}
    assert progress.save_values([row(2024, "150"), row(2025, "160.25")], **kw) == 1
    assert progress.save_values([row(2024, "155", note="更正\x00")], user="王工", **kw) == 2
    history = progress.load_values(folder=where)
    assert history.version.tolist() == [1, 1, 2] and history.value.tolist() == [150.0, 160.25, 155.0]
    cur = progress.current_values(history)
    assert cur[["year", "value"]].to_numpy().tolist() == [[2024, 155.0], [2025, 160.25]]
    assert cur.saved_by.tolist() == ["王工", ""]
    with pytest.raises(ValidationError):  # a bad row: nothing saved
        progress.save_values([row(2025, "170"), row(2040, "1")], **kw)
    assert len(progress.load_values(folder=where)) == 3
