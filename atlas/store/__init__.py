"""The user-data store: one interface, two backends (a GeoPackage file or a PostGIS database).

Everything a planner saves (imported layers and their versions, what-if scenarios, recorded
values) lives in tables declared here with :class:`Table`:

- ``atlas_layers`` (one row per layer: key, display name, geometry kind),
- ``atlas_versions`` (one row per saved version: layer key, number, time, who saved it, note,
  counts),
- ``atlas_features`` (the rows of every version in the site schema, with a geometry column in
  WGS84, so QGIS or GDAL can open the store and see every feature of every version),
- ``atlas_scenario_versions`` (each save of the scenario set, as JSON, with time and who saved it),
- ``atlas_meta`` (migration markers),
- the view ``atlas_current_features``: each layer's newest version, with the layer's name, the
  version number and who saved it (what a GIS user opens).

Where: by default one GeoPackage file, ``<user data folder>/atlas_user.gpkg``
(:mod:`atlas.store.gpkg`); with ``ATLAS_DATABASE_URL=postgresql://...`` (or a ``postgresql://``
URL passed as ``folder``) a PostGIS database (:mod:`atlas.store.pg`), which several app processes
can share and a GIS team can open from QGIS.

Guarantees, the same on both: a save is one transaction taken under one write lock per store
(SQLite's ``BEGIN IMMEDIATE``; a PostgreSQL advisory lock), so a failure at any step (a full disk,
a bad row, a killed process, a dropped connection) rolls back to the last committed state, two
writers never interleave, and version numbers allocated inside the transaction never collide.

Other modules declare plain attribute tables with :class:`Table` and read and write them through
:func:`ensure_table`, :func:`insert_rows`, :func:`select_rows` and :func:`max_value` (no SQL
outside this package; :mod:`atlas.store.attributes`), e.g. the plan indicators' recorded values.
The store's own tables (:class:`TableDef`) are written with ``?`` SQL through the connection
:func:`transaction` and :func:`reading` yield; it says how to pass and read a geometry
(:meth:`StoreConnection.geom_param`, :meth:`StoreConnection.geom_select`). A column added to a
declaration later is added to older stores (the store's own tables when a store is opened,
attribute tables when next written).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import shapely

from atlas import settings
from atlas.errors import StorageError

STORE_NAME = "atlas_user.gpkg"

#: A writer waits this long for another writer's lock before giving up (seconds).
BUSY_TIMEOUT_S = 30.0

#: Called with every statement's SQL before it runs: a seam for fault-injection tests (a hook that
#: raises the backend's own error at a chosen statement). ``None`` in the app.
STATEMENT_HOOK: Callable[[str], None] | None = None

_COMMITS = [0]  # write transactions this process committed (see local_commits)

#: Where a location is a database rather than a folder.
_URL = re.compile(r"^postgres(ql)?://", re.IGNORECASE)

TEXT_COLUMNS = (
    "id", "name_zh", "name_en", "category", "district", "district_claimed", "district_check",
    "functional_zone", "position_status", "position_method", "policy_tasks",
    "membership_verified", "level", "address", "source", "note",
)
REAL_COLUMNS = ("lon", "lat", "est_error_m")


@dataclass(frozen=True)
class TableDef:
    """A table of the store's own, declared once for both backends.

    Column declarations are SQL with three portable type words: ``{id}`` (an integer key the
    store assigns), ``{real}`` (a double-precision number) and ``{geom}`` (a WGS84 geometry); the
    rest (``TEXT``, ``INTEGER``, ``NOT NULL``, ``DEFAULT ''``, ``REFERENCES t(c)``) means the same
    in SQLite and PostgreSQL. A column added to a declaration later must have a default (it is
    added to older stores with ``ALTER TABLE``).

    Parameters
    ----------
    name : str
        Table name (lower case, ``atlas_`` prefix by convention).
    columns : tuple of (str, str)
        ``(column name, declaration)`` pairs.
    constraints : tuple of str
        Table constraints, e.g. ``"UNIQUE (layer_key, n)"``.
    indexes : tuple of str
        Columns (comma-separated lists) to index, one index per entry.
    description : str
        What the table holds (shown by GIS tools reading the GeoPackage).
    view : str
        For a view: its ``SELECT`` (portable SQL); ``columns`` then name what it selects.

    """

    name: str
    columns: tuple[tuple[str, str], ...]
    constraints: tuple[str, ...] = ()
    indexes: tuple[str, ...] = ()
    description: str = ""
    view: str = ""

    @property
    def column_names(self) -> tuple[str, ...]:
        """Every column, in declaration order."""
        return tuple(c for c, _ in self.columns)

    @property
    def geometry_columns(self) -> tuple[str, ...]:
        """The columns declared ``{geom}``."""
        return tuple(c for c, d in self.columns if "{geom}" in d)

    @property
    def id_column(self) -> str | None:
        """The column declared ``{id}`` (the key the store assigns), if any."""
        return next((c for c, d in self.columns if "{id}" in d), None)


_TABLES: dict[str, TableDef] = {}


def _declare(table: TableDef) -> TableDef:
    """Declare one of the store's own tables (other modules declare theirs with :class:`Table`).

    Every store gets it (and any column it lacks) when next opened. Tables are created in
    declaration order (a table may reference one declared earlier).

    Raises
    ------
    ValueError
        If the name is not a plain lower-case identifier or is taken by another declaration.

    """
    names = [table.name, *table.column_names]
    if not all(re.fullmatch(r"[a-z_][a-z0-9_]*", n) for n in names):
        raise ValueError(f"table and column names must be lower-case identifiers: {names}")
    known = _TABLES.get(table.name)
    if known is not None and known != table:
        raise ValueError(f"table {table.name} is already declared differently")
    _TABLES[table.name] = table
    return table


def tables(*, views: bool = False) -> tuple[TableDef, ...]:
    """Every declared table (and view, if asked), in declaration order."""
    return tuple(t for t in _TABLES.values() if views or not t.view)


_declare(TableDef("atlas_layers", (
    ("key", "TEXT NOT NULL PRIMARY KEY"), ("name", "TEXT NOT NULL UNIQUE"),
    ("kind", "TEXT NOT NULL"), ("created", "TEXT NOT NULL")), description="User layers"))
_declare(TableDef("atlas_versions", (
    ("version_id", "{id}"), ("layer_key", "TEXT NOT NULL REFERENCES atlas_layers(key)"),
    ("n", "INTEGER NOT NULL"), ("created", "TEXT NOT NULL"), ("note", "TEXT NOT NULL DEFAULT ''"),
    ("rows", "INTEGER NOT NULL"), ("placed", "INTEGER NOT NULL"),
    ("saved_by", "TEXT NOT NULL DEFAULT ''")),
    constraints=("UNIQUE (layer_key, n)",), description="Saved versions of user layers"))
_declare(TableDef("atlas_features", (
    ("fid", "{id}"), ("version_id", "INTEGER NOT NULL REFERENCES atlas_versions(version_id)"),
    *((c, "TEXT") for c in TEXT_COLUMNS), *((c, "{real}") for c in REAL_COLUMNS),
    ("geom", "{geom}")),
    indexes=("version_id",), description="Rows of every saved user-layer version"))
_declare(TableDef("atlas_scenario_versions", (
    ("version_id", "{id}"), ("created", "TEXT NOT NULL"), ("data", "TEXT NOT NULL"),
    ("saved_by", "TEXT NOT NULL DEFAULT ''")), description="Saved scenario sets"))
_declare(TableDef("atlas_meta", (
    ("key", "TEXT NOT NULL PRIMARY KEY"), ("value", "TEXT NOT NULL")), description="Store metadata"))

_CURRENT_COLUMNS = ("fid", "version_id", *TEXT_COLUMNS, *REAL_COLUMNS, "geom")
_declare(TableDef("atlas_current_features", (
    *((c, "{geom}" if c == "geom" else "") for c in _CURRENT_COLUMNS),
    ("layer_key", ""), ("layer_name", ""), ("layer_kind", ""), ("version", ""),
    ("version_created", ""), ("saved_by", "")),
    description="The newest version of every user layer: one row per feature (for GIS tools)",
    view=(f"SELECT {', '.join('f.' + c for c in _CURRENT_COLUMNS)}, l.key AS layer_key, "
          "l.name AS layer_name, l.kind AS layer_kind, v.n AS version, "
          "v.created AS version_created, v.saved_by AS saved_by "
          "FROM atlas_features f JOIN atlas_versions v ON v.version_id = f.version_id "
          "JOIN atlas_layers l ON l.key = v.layer_key WHERE v.n = "
          "(SELECT MAX(v2.n) FROM atlas_versions v2 WHERE v2.layer_key = v.layer_key)")))


class StoreConnection:
    """A connection to one store: SQL with ``?`` parameters, the same on both backends.

    Backends subclass it (:mod:`atlas.store.gpkg`, :mod:`atlas.store.pg`); code using the store
    only calls the methods below.
    """

    #: ``"gpkg"`` or ``"postgis"``.
    kind = ""
    #: The backend's SQL for the portable type words ``{id}``, ``{real}``, ``{geom}``.
    types: ClassVar[Mapping[str, str]] = {}
    #: The SQL that takes a geometry parameter (its value from :meth:`geometry_value`).
    geom_param = "?"
    #: Errors of the driver and the system that a failed statement raises.
    errors: tuple[type[BaseException], ...] = (OSError, MemoryError)

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def _sql(self, sql: str) -> str:
        return sql

    def declaration(self, decl: str) -> str:
        """A :class:`TableDef` column declaration in the backend's SQL."""
        for word, sql in self.types.items():
            decl = decl.replace(word, sql)
        return decl

    def _params(self, params: Sequence[Any]) -> tuple[Any, ...]:
        # PostgreSQL text cannot hold NUL (SQLite can); a NUL is never meaningful in a planner's
        # text, so both backends keep the same text, with U+FFFD in its place
        return tuple(p.replace("\x00", "\ufffd") if isinstance(p, str) else p for p in params)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; returns a cursor (``fetchone``, ``fetchall``, ``fetchmany``)."""
        if STATEMENT_HOOK is not None:
            STATEMENT_HOOK(sql)
        return self.raw.execute(self._sql(sql), self._params(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each parameter row."""
        if STATEMENT_HOOK is not None:
            STATEMENT_HOOK(sql)
        if rows:
            self.raw.cursor().executemany(self._sql(sql), [self._params(r) for r in rows])

    def geom_select(self, column: str) -> str:
        """The SQL selecting ``column`` as a value :meth:`read_geometry` decodes."""
        return column

    def geometry_value(self, geom: shapely.Geometry | None) -> Any:
        """The parameter value of a geometry (``None`` for a missing or empty one)."""
        raise NotImplementedError

    def read_geometry(self, value: Any) -> shapely.Geometry | None:
        """Decode a value selected with :meth:`geom_select`."""
        raise NotImplementedError

    def note_extent(self, table: str, bounds: Sequence[float]) -> None:
        """Widen the extent a GIS tool sees for ``table`` to include ``bounds`` (if kept)."""

    def columns(self) -> dict[str, set[str]]:
        """The tables of the store and their columns."""
        raise NotImplementedError

    def column_types(self, table: str) -> dict[str, str]:
        """The columns of an attribute table and their :class:`Table` types, in order."""
        raise NotImplementedError

    def table_description(self, table: str) -> str:
        """The description a table was created with."""
        raise NotImplementedError

    def create_table(self, table: TableDef) -> None:
        """Create ``table`` and its indexes (inside the caller's write transaction)."""
        raise NotImplementedError

    def create_relation(self, table: TableDef) -> None:
        """The part of :meth:`create_table` both backends share: the table (or view) and indexes."""
        cols = [f"{c} {self.declaration(d)}" for c, d in table.columns]
        if table.view:
            self.execute(f"DROP VIEW IF EXISTS {table.name}")
            self.execute(f"CREATE VIEW {table.name} AS {table.view}")
        else:
            self.execute(f"CREATE TABLE IF NOT EXISTS {table.name} "
                         f"({', '.join([*cols, *table.constraints])})")
        for i, idx in enumerate(table.indexes):
            self.execute(f"CREATE INDEX IF NOT EXISTS {table.name}_i{i} ON {table.name}({idx})")

    def add_column(self, table: TableDef, column: str) -> None:
        """Add a declared column to an existing table."""
        raise NotImplementedError

    def begin_write(self) -> None:
        """Start a write transaction holding the store's write lock."""
        raise NotImplementedError

    def commit(self) -> None:
        """Commit the write transaction."""
        self.execute("COMMIT")

    def rollback(self) -> None:
        """Roll the write transaction back."""
        self.execute("ROLLBACK")

    def after_explicit_ids(self, table: TableDef) -> None:
        """After rows were inserted with explicit ``{id}`` values: new ids continue above them."""

    def close(self) -> None:
        """Close the connection."""
        self.raw.close()

    def describe(self, exc: BaseException) -> str:
        """A short description of a failure, naming no server path, host or password."""
        return type(exc).__name__


def location(folder: Path | str | None = None) -> Path | str:
    """Where the store is: a database URL or a user-data folder.

    ``folder`` may be a folder, a ``postgresql://`` URL, or ``None``: then
    :data:`atlas.settings.DATABASE_URL` if set, else :data:`atlas.settings.USER_DATA_DIR`.
    """
    if folder is None:
        return settings.DATABASE_URL or settings.USER_DATA_DIR
    if isinstance(folder, str) and _URL.match(folder):
        return folder
    return Path(folder)


def local_commits() -> int:
    """How many write transactions this process has committed.

    A cheap cache key for a page; another process's commits are seen only by asking the store.
    """
    return _COMMITS[0]


def is_database(where: Path | str) -> bool:
    """Whether a :func:`location` is a database URL (rather than a folder)."""
    return isinstance(where, str)


def store_path(folder: Path | str | None = None) -> Path:
    """Path of the GeoPackage store file in ``folder`` (default the user-data folder)."""
    where = location(folder)
    return (where if isinstance(where, Path) else settings.USER_DATA_DIR) / STORE_NAME


def now_utc() -> str:
    """Current UTC time as ISO 8601 text (what the store records)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _connect(where: Path | str) -> StoreConnection:
    if isinstance(where, str):
        from atlas.store import pg as store_pg

        return store_pg.connect(where)
    from atlas.store import gpkg as store_gpkg

    return store_gpkg.connect(where / STORE_NAME)


def _lacking(conn: StoreConnection) -> list[tuple[TableDef, list[str] | None]]:
    """Declared tables the store lacks (``None``) or lacks columns of (the list).

    A view that is missing or selects other columns than declared is made again (``None``).
    """
    have = conn.columns()
    out: list[tuple[TableDef, list[str] | None]] = []
    for t in tables(views=True):
        if t.name not in have or (t.view and set(t.column_names) != have[t.name]):
            out.append((t, None))
        elif missing := [c for c in t.column_names if c not in have[t.name]]:
            out.append((t, missing))
    return out


def _ensure_schema(conn: StoreConnection) -> None:
    """Create what the store lacks of the declared tables, in one write transaction."""
    if not _lacking(conn):
        return
    conn.begin_write()
    try:
        for table, missing in _lacking(conn):  # re-checked under the write lock
            if missing is None:
                conn.create_table(table)
            else:
                for column in missing:
                    conn.add_column(table, column)
        conn.commit()
    except BaseException:
        with contextlib.suppress(*conn.errors):
            conn.rollback()
        raise


def _fail(exc: BaseException, detail: str, *, writing: bool) -> StorageError:
    if writing:
        return StorageError(f"保存失败，原有数据未改动（{detail}）",
                            f"Saving failed; nothing saved before was changed ({detail})")
    return StorageError(f"无法读取已保存的数据（{detail}）", f"Cannot read the saved data ({detail})")


def _open(where: Path | str, *, writing: bool) -> StoreConnection:
    from atlas.store import gpkg as store_gpkg
    from atlas.store import pg as store_pg

    try:
        conn = _connect(where)
    except (*store_gpkg.ERRORS, *store_pg.driver_errors()) as exc:
        if isinstance(where, str):  # the driver's text names host and user: not shown
            raise StorageError("无法连接用户数据库：已保存的图层、情景和记录暂不可用",
                               "Cannot connect to the user database: saved layers, scenarios and "
                               "records are unavailable for now") from exc
        raise _fail(exc, store_gpkg.describe(exc), writing=writing) from exc
    try:
        _ensure_schema(conn)
    except conn.errors as exc:
        conn.close()
        raise _fail(exc, conn.describe(exc), writing=writing) from exc
    except BaseException:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def reading(folder: Path | str | None = None) -> Iterator[StoreConnection]:
    """A connection for reading the store (each statement sees a committed state).

    Raises
    ------
    atlas.errors.StorageError
        If the store cannot be opened or read.

    """
    conn = _open(location(folder), writing=False)
    try:
        yield conn
    except conn.errors as exc:
        raise _fail(exc, conn.describe(exc), writing=False) from exc
    finally:
        with contextlib.suppress(*conn.errors):
            conn.close()


@contextlib.contextmanager
def transaction(folder: Path | str | None = None) -> Iterator[StoreConnection]:
    """One write transaction: everything done inside commits together or not at all.

    The store's write lock is taken at the start, so two writers never interleave (the second
    waits up to :data:`BUSY_TIMEOUT_S`). Any exception inside rolls back; errors of the
    database or the file system become a bilingual :class:`atlas.errors.StorageError`; other
    exceptions (a programming error, ``KeyboardInterrupt``) are re-raised after the rollback.
    """
    conn = _open(location(folder), writing=True)
    try:
        conn.begin_write()
        try:
            yield conn
            conn.commit()
            _COMMITS[0] += 1
        except BaseException:
            with contextlib.suppress(*conn.errors):
                conn.rollback()
            raise
    except conn.errors as exc:
        raise _fail(exc, conn.describe(exc), writing=True) from exc
    finally:
        with contextlib.suppress(*conn.errors):
            conn.close()


# --- Plain attribute tables (a generic API other modules declare their tables through) -----


# Attribute tables declared by other modules (atlas.store.attributes), re-exported here.
from atlas.store.attributes import Table, ensure_table, insert_rows, max_value, select_rows  # noqa: E402

__all__ = [
    "BUSY_TIMEOUT_S", "REAL_COLUMNS", "STATEMENT_HOOK", "STORE_NAME", "TEXT_COLUMNS",
    "StoreConnection", "Table", "TableDef", "ensure_table", "insert_rows", "is_database",
    "local_commits", "location", "max_value", "now_utc", "reading", "select_rows", "store_path", "tables",
    "transaction",
]
