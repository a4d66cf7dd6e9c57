"""Plain attribute tables other modules declare and use through the store (no SQL elsewhere).

A :class:`Table` names its columns and their kinds (text, real, integer); :func:`ensure_table`
creates it (or adds columns declared since) inside a write transaction, :func:`insert_rows`,
:func:`select_rows` and :func:`max_value` write and read it, on either backend.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from atlas.store import _TABLES, StoreConnection, TableDef

_ATTR_TYPES = {"text": "TEXT", "real": "{real}", "integer": "INTEGER"}
_IDENT = re.compile(r"[a-z][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class Table:
    """A plain attribute table of the store (no geometry), declared by the module that owns it.

    Every table gets a ``row_id`` key numbered in insertion order. Modules read and write it only
    through :func:`ensure_table`, :func:`insert_rows`, :func:`select_rows` and :func:`max_value`,
    so the SQL (placeholders, column types) stays in the store, the same on both backends.

    Parameters
    ----------
    name : str
        Table name (``atlas_`` + lowercase letters, digits, underscores).
    columns : tuple of (name, type)
        Column names and types (``"text"``, ``"real"`` or ``"integer"``).
    description : str
        What the table holds (shown by QGIS: ``gpkg_contents``, a PostgreSQL table comment).

    """

    name: str
    columns: tuple[tuple[str, str], ...]
    description: str = ""

    def __post_init__(self) -> None:
        names = [self.name, *(c for c, _ in self.columns)]
        if not self.name.startswith("atlas_") or not all(_IDENT.fullmatch(n) for n in names) \
                or any(t not in _ATTR_TYPES for _, t in self.columns) or "row_id" in names[1:] \
                or self.name in _TABLES:
            raise ValueError(f"invalid table declaration: {self.name}")

    @property
    def column_names(self) -> tuple[str, ...]:
        """The declared columns' names, in order (without ``row_id``)."""
        return tuple(c for c, _ in self.columns)

    def definition(self) -> TableDef:
        """The table as the backends create it: ``row_id`` then the declared columns."""
        return TableDef(self.name, (("row_id", "{id}"),
                                    *((c, _ATTR_TYPES[t]) for c, t in self.columns)),
                        description=self.description)


def ensure_table(conn: StoreConnection, table: Table) -> None:
    """Create ``table`` if the store does not have it yet (inside :func:`transaction`).

    Columns added to a declaration later are added to an existing table (NULL in its old rows).
    """
    have = conn.columns()
    definition = table.definition()
    if table.name not in have:
        conn.create_table(definition)
        return
    for c in table.column_names:
        if c not in have[table.name]:
            conn.add_column(definition, c)


def insert_rows(conn: StoreConnection, table: Table, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert rows (mappings by column name; missing columns are NULL); returns how many."""
    ensure_table(conn, table)
    names = table.column_names
    values = [tuple(r.get(c) for c in names) for r in rows]
    conn.executemany(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "
                     f"({', '.join('?' * len(names))})", values)
    return len(values)


def select_rows(conn: StoreConnection, table: Table, *, where: Mapping[str, Any] | None = None
                ) -> list[dict[str, Any]]:
    """All rows of ``table`` (matching ``where``: column = value), in insertion order, with ``row_id``.

    A table never written yet has no rows (it is not created by reading).
    """
    where = dict(where or {})
    if any(c not in table.column_names for c in where):
        raise ValueError(f"unknown column in {sorted(where)}")
    have = conn.columns().get(table.name)
    if have is None:
        return []
    names = ("row_id", *(c for c in table.column_names if c in have))
    sql = f"SELECT {', '.join(names)} FROM {table.name}"
    if where:
        sql += " WHERE " + " AND ".join(f"{c} = ?" for c in where)
    rows = conn.execute(sql + " ORDER BY row_id", tuple(where.values())).fetchall()
    return [dict.fromkeys(table.column_names) | dict(zip(names, r, strict=True)) for r in rows]


def max_value(conn: StoreConnection, table: Table, column: str) -> Any:
    """The largest value of ``column`` (None for an empty or unwritten table), e.g. to number versions.

    Inside :func:`transaction` the answer holds until the commit (the write lock is held).
    """
    if column not in table.column_names:
        raise ValueError(f"unknown column {column}")
    if column not in conn.columns().get(table.name, set()):
        return None
    return conn.execute(f"SELECT max({column}) FROM {table.name}").fetchone()[0]

