"""Copy a whole user store to another place: a GeoPackage into PostGIS (or back, or elsewhere).

``atlas store copy --to postgresql://...`` moves a bureau from one app machine's file to a
shared database. Everything is copied with its ids (layer versions keep their numbers, features
their version, scenario sets their version numbers, who saved what), the store's own tables and
any attribute table another module declared (e.g. recorded indicator values). The copy is one
transaction in the target: it is all there or not at all. A target that already holds data is
refused (nothing is merged or overwritten).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import shapely

from atlas import store
from atlas.errors import StorageError, ValidationError

#: Rows read and written per batch.
CHUNK = 5000


def _attribute_tables(conn: store.StoreConnection) -> list[store.TableDef]:
    """The source's tables beyond the store's own: attribute tables other modules declared."""
    own = {t.name for t in store.tables(views=True)}
    out = []
    for name in sorted(conn.columns()):
        if name.startswith("atlas_") and name not in own:
            types = conn.column_types(name)
            cols = tuple((c, t) for c, t in types.items() if c != "row_id")
            out.append(store.Table(name, cols, description=conn.table_description(name)).definition())
    return out


def _has_rows(conn: store.StoreConnection, tables: list[store.TableDef]) -> list[str]:
    have = conn.columns()
    return [t.name for t in tables
            if t.name in have and conn.execute(f"SELECT 1 FROM {t.name} LIMIT 1").fetchone()]


def _copy_table(src: store.StoreConnection, dst: store.StoreConnection, table: store.TableDef,
                columns: list[str]) -> int:
    geom = set(table.geometry_columns)
    select = ", ".join(src.geom_select(c) if c in geom else c for c in columns)
    order = table.id_column or columns[0]
    values = ", ".join(dst.geom_param if c in geom else "?" for c in columns)
    insert = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({values})"
    gi = [i for i, c in enumerate(columns) if c in geom]
    cur = src.execute(f"SELECT {select} FROM {table.name} ORDER BY {order}")
    n, bounds = 0, []
    while batch := cur.fetchmany(CHUNK):
        rows: list[list[Any]] = [list(r) for r in batch]
        for r in rows:
            for i in gi:
                g = src.read_geometry(r[i])
                if g is not None and not shapely.is_empty(g):
                    bounds.append(shapely.bounds(g))
                r[i] = dst.geometry_value(g)
        dst.executemany(insert, rows)
        n += len(rows)
    if table.id_column:
        dst.after_explicit_ids(table)
    if bounds:
        b = np.asarray(bounds)
        dst.note_extent(table.name, (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()))
    return n


def copy_store(source: Path | str, target: Path | str) -> dict[str, int]:
    """Copy every table of the store at ``source`` into the (empty) store at ``target``.

    Parameters
    ----------
    source, target : pathlib.Path or str
        A user-data folder (its GeoPackage) or a ``postgresql://`` URL.

    Returns
    -------
    dict
        Rows copied per table.

    Raises
    ------
    atlas.errors.ValidationError
        If source and target are the same, the source holds no store, or the target already
        holds data (nothing is written).
    atlas.errors.StorageError
        If reading or writing fails (the target is left as it was).

    """
    src, dst = store.location(source), store.location(target)
    if src == dst:
        raise ValidationError("来源与目标相同", "The source and the target are the same store")
    if isinstance(src, Path):
        if not store.store_path(src).exists():
            raise ValidationError("来源文件夹中没有用户数据库", "The source folder holds no user store")
        from atlas.analysis.scenarios import load_scenarios
        from atlas.userlayers import list_user_layers

        list_user_layers(folder=src)  # files of older atlas versions are moved into the store first
        load_scenarios(folder=src)
    counts: dict[str, int] = {}
    with store.reading(src) as sconn, store.transaction(dst) as tconn:
        tables = [*store.tables(), *_attribute_tables(sconn)]
        if full := _has_rows(tconn, tables):
            raise ValidationError(f"目标数据库已有数据（{', '.join(full)}），未复制任何内容",
                                  f"The target store already holds data ({', '.join(full)}); "
                                  "nothing was copied")
        have_src, have_dst = sconn.columns(), tconn.columns()
        for table in tables:
            if table.name not in have_src:
                continue
            if table.name not in have_dst:
                tconn.create_table(table)
            columns = [c for c in table.column_names if c in have_src[table.name]]
            counts[table.name] = _copy_table(sconn, tconn, table, columns)
    if not counts:
        raise StorageError("来源中没有可复制的数据", "The source holds nothing to copy")
    return counts
