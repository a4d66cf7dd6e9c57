"""The user-data store: one GeoPackage (SQLite) file per user-data folder, written in transactions.

Everything a planner saves (imported layers and their versions, what-if scenarios) lives in
``<user data folder>/atlas_user.gpkg``:

- ``atlas_layers`` (one row per layer: key, display name, geometry kind),
- ``atlas_versions`` (one row per saved version: layer key, number, time, who saved it, note,
  counts),
- ``atlas_features`` (the rows of every version in the site schema, with a GeoPackage geometry
  column, so QGIS or GDAL can open the file and see every feature of every version),
- ``atlas_scenario_versions`` (each save of the scenario set, as JSON, with time and who saved it),
- ``atlas_meta`` (migration markers),
- plain attribute tables other modules declare (:class:`Table`), e.g. the plan indicators'
  recorded values (:mod:`atlas.progress`).

Why SQLite rather than files: a save is one transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``), so
a failure at any step (disk full, a bad row, a killed process) rolls back to the last committed
version; there is never a version without its metadata or a layer without a version. Concurrent
writers from two sessions or processes are serialised by SQLite's lock (WAL journal, a busy
timeout), and version numbers are allocated inside the write transaction, so they never collide.

The GeoPackage tables (``gpkg_spatial_ref_sys``, ``gpkg_contents``, ``gpkg_geometry_columns``) are
written by hand rather than through GDAL because GDAL's writer cannot take part in our
transaction; the geometry blobs follow the GeoPackage 1.4 binary format (header + WKB).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import struct
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import shapely

from atlas import settings
from atlas.errors import StorageError

STORE_NAME = "atlas_user.gpkg"

#: SQLite waits this long for another writer's lock before giving up (seconds).
BUSY_TIMEOUT_S = 30.0

#: Connection class; a seam for fault-injection tests (a subclass failing at a chosen statement).
CONNECTION_FACTORY: type[sqlite3.Connection] = sqlite3.Connection

_GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
_GPKG_USER_VERSION = 10400  # GeoPackage 1.4

_WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
    'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]]'
)

TEXT_COLUMNS = (
    "id", "name_zh", "name_en", "category", "district", "district_claimed", "district_check",
    "functional_zone", "position_status", "position_method", "policy_tasks",
    "membership_verified", "level", "address", "source", "note",
)
REAL_COLUMNS = ("lon", "lat", "est_error_m")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT
  (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
  srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id)
  REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name));
CREATE TABLE IF NOT EXISTS atlas_layers (
  key TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
  created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS atlas_versions (
  version_id INTEGER PRIMARY KEY AUTOINCREMENT,
  layer_key TEXT NOT NULL REFERENCES atlas_layers(key), n INTEGER NOT NULL,
  created TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', rows INTEGER NOT NULL,
  placed INTEGER NOT NULL, saved_by TEXT NOT NULL DEFAULT '', UNIQUE (layer_key, n));
CREATE TABLE IF NOT EXISTS atlas_features (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  version_id INTEGER NOT NULL REFERENCES atlas_versions(version_id),
  {", ".join(f"{c} TEXT" for c in TEXT_COLUMNS)},
  {", ".join(f"{c} REAL" for c in REAL_COLUMNS)},
  geom GEOMETRY);
CREATE INDEX IF NOT EXISTS atlas_features_version ON atlas_features(version_id);
CREATE TABLE IF NOT EXISTS atlas_scenario_versions (
  version_id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL, data TEXT NOT NULL,
  saved_by TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS atlas_meta (key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL);
"""

_CONTENTS = (
    ("atlas_features", "features", "atlas_features", "Rows of every saved user-layer version", 4326),
    ("atlas_layers", "attributes", "atlas_layers", "User layers", None),
    ("atlas_versions", "attributes", "atlas_versions", "Saved versions of user layers", None),
    ("atlas_scenario_versions", "attributes", "atlas_scenario_versions", "Saved scenario sets", None),
    ("atlas_meta", "attributes", "atlas_meta", "Store metadata", None),
)


def store_path(folder: Path | None = None) -> Path:
    """Path of the store file in ``folder`` (default :data:`atlas.settings.USER_DATA_DIR`)."""
    return (Path(folder) if folder is not None else settings.USER_DATA_DIR) / STORE_NAME


def now_utc() -> str:
    """Current UTC time as ISO 8601 text (what the store records)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _init_schema(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA application_id = {_GPKG_APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {_GPKG_USER_VERSION}")
        conn.executemany(
            "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
            [("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian"),
             ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic"),
             ("WGS 84 geodetic", 4326, "EPSG", 4326, _WGS84_WKT, "longitude/latitude WGS84")])
        conn.executemany(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description,"
            " srs_id) VALUES (?, ?, ?, ?, ?)", _CONTENTS)
        conn.execute("INSERT OR IGNORE INTO gpkg_geometry_columns VALUES "
                     "('atlas_features', 'geom', 'GEOMETRY', 4326, 0, 0)")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


#: Columns added after the first release of the store: (table, column, definition). A store
#: written before gets them once (``ALTER TABLE``); older rows read as saved by nobody ('').
_ADDED_COLUMNS = (
    ("atlas_versions", "saved_by", "TEXT NOT NULL DEFAULT ''"),
    ("atlas_scenario_versions", "saved_by", "TEXT NOT NULL DEFAULT ''"),
)


def _missing_columns(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    missing = []
    for table, column, definition in _ADDED_COLUMNS:
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            missing.append((table, column, definition))
    return missing


def _add_columns(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table, column, definition in _missing_columns(conn):  # re-checked under the lock
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _open(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                           factory=CONNECTION_FACTORY)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        has_schema = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'atlas_scenario_versions'").fetchone()[0]
        if not has_schema:
            _init_schema(conn)
        elif _missing_columns(conn):
            _add_columns(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _fail(exc: BaseException, *, writing: bool) -> StorageError:
    # the message never carries the server's path: sqlite3 errors name no file, and we add none
    detail = type(exc).__name__ if not isinstance(exc, sqlite3.Error) else str(exc)[:120]
    if writing:
        return StorageError(f"保存失败，原有数据未改动（{detail}）",
                            f"Saving failed; nothing saved before was changed ({detail})")
    return StorageError(f"无法读取已保存的数据（{detail}）", f"Cannot read the saved data ({detail})")


@contextlib.contextmanager
def reading(folder: Path | None = None) -> Iterator[sqlite3.Connection]:
    """A connection for reading the store (a consistent snapshot per statement).

    Raises
    ------
    atlas.errors.StorageError
        If the store cannot be opened or read.

    """
    try:
        conn = _open(store_path(folder))
    except (sqlite3.Error, OSError) as exc:
        raise _fail(exc, writing=False) from exc
    try:
        yield conn
    except sqlite3.Error as exc:
        raise _fail(exc, writing=False) from exc
    finally:
        conn.close()


@contextlib.contextmanager
def transaction(folder: Path | None = None) -> Iterator[sqlite3.Connection]:
    """One write transaction: everything done inside commits together or not at all.

    ``BEGIN IMMEDIATE`` takes the write lock at the start, so two writers never interleave
    (the second waits up to :data:`BUSY_TIMEOUT_S`). Any exception inside rolls back; errors of
    SQLite or the file system become a bilingual :class:`atlas.errors.StorageError`; other
    exceptions (a programming error, ``KeyboardInterrupt``) are re-raised after the rollback.
    """
    try:
        conn = _open(store_path(folder))
    except (sqlite3.Error, OSError) as exc:
        raise _fail(exc, writing=True) from exc
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
    except (sqlite3.Error, OSError, MemoryError) as exc:
        raise _fail(exc, writing=True) from exc
    finally:
        conn.close()


# --- Plain attribute tables (a generic API other modules declare their tables through) -----

_TYPES = {"text": "TEXT", "real": "REAL", "integer": "INTEGER"}


@dataclass(frozen=True)
class Table:
    """A plain attribute table of the store (no geometry), declared by the module that owns it.

    Every table gets a ``row_id`` key numbered in insertion order. Modules read and write it only
    through :func:`ensure_table`, :func:`insert_rows`, :func:`select_rows` and :func:`max_value`,
    so the SQL (placeholders, column types) stays in this module, whatever the backend.

    Parameters
    ----------
    name : str
        Table name (``atlas_`` + lowercase letters, digits, underscores).
    columns : tuple of (name, type)
        Column names and types (``"text"``, ``"real"`` or ``"integer"``).
    description : str
        What the table holds (written to ``gpkg_contents``, which QGIS shows).

    """

    name: str
    columns: tuple[tuple[str, str], ...]
    description: str = ""

    def __post_init__(self) -> None:
        names = [self.name, *(c for c, _ in self.columns)]
        if not self.name.startswith("atlas_") or not all(_IDENT.fullmatch(n) for n in names) \
                or any(t not in _TYPES for _, t in self.columns) or "row_id" in names[1:]:
            raise ValueError(f"invalid table declaration: {self.name}")

    @property
    def column_names(self) -> tuple[str, ...]:
        """The declared columns' names, in order (without ``row_id``)."""
        return tuple(c for c, _ in self.columns)


_IDENT = re.compile(r"[a-z][a-z0-9_]{0,62}")


def ensure_table(conn: sqlite3.Connection, table: Table) -> None:
    """Create ``table`` (and its ``gpkg_contents`` entry) if the store does not have it yet.

    Call it inside :func:`transaction`; columns added to a declaration later are added to an
    existing table (as NULL in its old rows).
    """
    cols = ", ".join(f"{c} {_TYPES[t]}" for c, t in table.columns)
    conn.execute(f"CREATE TABLE IF NOT EXISTS {table.name} "
                 f"(row_id INTEGER PRIMARY KEY AUTOINCREMENT, {cols})")
    have = {r[1] for r in conn.execute(f"PRAGMA table_info({table.name})")}
    for c, t in table.columns:
        if c not in have:
            conn.execute(f"ALTER TABLE {table.name} ADD COLUMN {c} {_TYPES[t]}")
    conn.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
                 "description, srs_id) VALUES (?, 'attributes', ?, ?, NULL)",
                 (table.name, table.name, table.description))


def _has_table(conn: sqlite3.Connection, table: Table) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        (table.name,)).fetchone() is not None


def insert_rows(conn: sqlite3.Connection, table: Table, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert rows (mappings by column name; missing columns are NULL); returns how many."""
    ensure_table(conn, table)
    names = table.column_names
    values = [tuple(r.get(c) for c in names) for r in rows]
    conn.executemany(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "
                     f"({', '.join('?' * len(names))})", values)
    return len(values)


def select_rows(conn: sqlite3.Connection, table: Table, *, where: Mapping[str, Any] | None = None
                ) -> list[dict[str, Any]]:
    """All rows of ``table`` (matching ``where``: column = value), in insertion order, with ``row_id``.

    A table never written yet has no rows (it is not created by reading).
    """
    where = dict(where or {})
    if any(c not in table.column_names for c in where):
        raise ValueError(f"unknown column in {sorted(where)}")
    if not _has_table(conn, table):
        return []
    names = ("row_id", *table.column_names)
    sql = f"SELECT {', '.join(names)} FROM {table.name}"
    if where:
        sql += " WHERE " + " AND ".join(f"{c} = ?" for c in where)
    rows = conn.execute(sql + " ORDER BY row_id", tuple(where.values())).fetchall()
    return [dict(zip(names, r, strict=True)) for r in rows]


def max_value(conn: sqlite3.Connection, table: Table, column: str) -> Any:
    """The largest value of ``column`` (None for an empty or unwritten table), e.g. to number versions.

    Inside :func:`transaction` the answer holds until the commit (the write lock is held).
    """
    if column not in table.column_names:
        raise ValueError(f"unknown column {column}")
    if not _has_table(conn, table):
        return None
    return conn.execute(f"SELECT max({column}) FROM {table.name}").fetchone()[0]


# --- GeoPackage geometry blobs --------------------------------------------------------------

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def geometry_to_blob(geom: shapely.Geometry | None, *, srs_id: int = 4326) -> bytes | None:
    """Encode a geometry as a GeoPackage binary blob (little-endian header, no envelope)."""
    if geom is None:
        return None
    empty = bool(shapely.is_empty(geom))
    flags = 0b1 | (0b10000 if empty else 0)
    wkb = shapely.to_wkb(geom, byte_order=1, output_dimension=2)
    return b"GP\x00" + bytes([flags]) + struct.pack("<i", srs_id) + wkb


def blob_to_geometry(blob: bytes | None) -> shapely.Geometry | None:
    """Decode a GeoPackage binary blob (any envelope) into a shapely geometry."""
    if blob is None:
        return None
    data = bytes(blob)
    if data[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    flags = data[3]
    start = 8 + _ENVELOPE_BYTES.get((flags >> 1) & 0b111, 0)
    return shapely.from_wkb(data[start:])


__all__ = [
    "BUSY_TIMEOUT_S", "CONNECTION_FACTORY", "REAL_COLUMNS", "STORE_NAME", "TEXT_COLUMNS", "Table",
    "blob_to_geometry", "ensure_table", "geometry_to_blob", "insert_rows", "max_value", "now_utc",
    "reading", "select_rows", "store_path", "transaction",
]
