"""The GeoPackage backend of the user-data store (the default): one SQLite file on the app's disk.

Why SQLite rather than files: a save is one transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``), so
a failure at any step rolls back to the last committed state. Concurrent writers from two
sessions or processes on one machine are serialised by SQLite's lock (WAL journal, a busy
timeout). The GeoPackage tables (``gpkg_spatial_ref_sys``, ``gpkg_contents``,
``gpkg_geometry_columns``) are written by hand rather than through GDAL because GDAL's writer
cannot take part in our transaction; the geometry blobs follow the GeoPackage 1.4 binary format
(header + WKB).
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import shapely

from atlas import store

#: Connection class; a seam for fault-injection tests (e.g. a connection whose file is full).
CONNECTION_FACTORY: type[sqlite3.Connection] = sqlite3.Connection

#: Errors a failed statement raises.
ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, OSError, MemoryError)

_GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
_GPKG_USER_VERSION = 10400  # GeoPackage 1.4

_WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
    'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]]'
)

_GPKG_TABLES = """
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
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name))
"""

_TYPES = {"{id}": "INTEGER PRIMARY KEY AUTOINCREMENT", "{real}": "REAL", "{geom}": "GEOMETRY"}


_ATTR = {"TEXT": "text", "REAL": "real", "INTEGER": "integer"}


class GpkgConnection(store.StoreConnection):
    """A connection to the GeoPackage store file."""

    kind = "gpkg"
    types = _TYPES
    geom_param = "?"
    errors = ERRORS

    def geometry_value(self, geom: shapely.Geometry | None) -> bytes | None:
        """A GeoPackage geometry blob."""
        return geometry_to_blob(geom if geom is not None and not shapely.is_empty(geom) else None)

    def read_geometry(self, value: Any) -> shapely.Geometry | None:
        """Decode a GeoPackage geometry blob."""
        return blob_to_geometry(value)

    def note_extent(self, table: str, bounds: Sequence[float]) -> None:
        """Widen ``gpkg_contents``' extent of ``table`` (what GIS tools zoom to)."""
        x0, y0, x1, y1 = (float(b) for b in bounds)
        self.execute(
            "UPDATE gpkg_contents SET last_change = ?, min_x = min(COALESCE(min_x, ?), ?), "
            "min_y = min(COALESCE(min_y, ?), ?), max_x = max(COALESCE(max_x, ?), ?), "
            "max_y = max(COALESCE(max_y, ?), ?) WHERE table_name = ?",
            (store.now_utc(), x0, x0, y0, y0, x1, x1, y1, y1, table))

    def columns(self) -> dict[str, set[str]]:
        """Tables and their columns (one statement)."""
        rows = self.execute("SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p "
                            "WHERE m.type IN ('table', 'view')").fetchall()
        out: dict[str, set[str]] = {}
        for t, c in rows:
            out.setdefault(t, set()).add(c)
        return out

    def column_types(self, table: str) -> dict[str, str]:
        """Declared SQLite types, as ``text``, ``real`` or ``integer``."""
        rows = self.execute("SELECT name, type FROM pragma_table_info(?) ORDER BY cid", (table,))
        return {c: _ATTR.get(str(t).upper(), "text") for c, t in rows.fetchall()}

    def table_description(self, table: str) -> str:
        """``gpkg_contents.description``."""
        row = self.execute("SELECT description FROM gpkg_contents WHERE table_name = ?",
                           (table,)).fetchone()
        return str(row[0] or "") if row else ""

    def create_table(self, table: store.TableDef) -> None:
        """Create the table, register it in the GeoPackage tables, and index it."""
        if "gpkg_contents" not in self.columns():
            self._init_geopackage()
        self.create_relation(table)
        geom = table.geometry_columns
        self.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
                     "srs_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                     (table.name, "features" if geom else "attributes", table.name,
                      table.description, 4326 if geom else None))
        for c in geom:
            self.execute("INSERT INTO gpkg_geometry_columns VALUES (?, ?, 'GEOMETRY', 4326, 0, 0) "
                         "ON CONFLICT DO NOTHING", (table.name, c))

    def _init_geopackage(self) -> None:
        for statement in _GPKG_TABLES.split(";"):
            self.execute(statement)
        self.execute(f"PRAGMA application_id = {_GPKG_APPLICATION_ID}")
        self.execute(f"PRAGMA user_version = {_GPKG_USER_VERSION}")
        self.executemany(
            "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian"),
             ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic"),
             ("WGS 84 geodetic", 4326, "EPSG", 4326, _WGS84_WKT, "longitude/latitude WGS84")])

    def add_column(self, table: store.TableDef, column: str) -> None:
        """``ALTER TABLE ... ADD COLUMN`` with the declared definition."""
        decl = dict(table.columns)[column]
        self.execute(f"ALTER TABLE {table.name} ADD COLUMN {column} {self.declaration(decl)}")

    def begin_write(self) -> None:
        """``BEGIN IMMEDIATE``: take SQLite's write lock now (waiting up to the busy timeout)."""
        self.execute("BEGIN IMMEDIATE")

    def describe(self, exc: BaseException) -> str:
        """SQLite's message (it names no file) or the error's class."""
        return describe(exc)


def describe(exc: BaseException) -> str:
    """A failure's description: SQLite's own message (it names no file), else the error's class."""
    return str(exc)[:120] if isinstance(exc, sqlite3.Error) else type(exc).__name__


def connect(path: Path) -> GpkgConnection:
    """Open (creating if needed) the store file at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = sqlite3.connect(path, timeout=store.BUSY_TIMEOUT_S, isolation_level=None,
                          factory=CONNECTION_FACTORY)
    conn = GpkgConnection(raw)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        raw.close()
        raise
    return conn


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
