"""Planners' own layers: saved in the user-data store, versioned, usable like shipped layers.

Every layer lives in the user-data GeoPackage (:mod:`atlas.store`): one row in ``atlas_layers``,
one row in ``atlas_versions`` per save, the rows of each version in ``atlas_features``. A save is
one transaction, so a failure at any step leaves the last committed version current; a new
import or edit adds a version and never overwrites an earlier one. :func:`user_catalogue` turns
the newest versions into :class:`atlas.data.catalogue.Layer` entries plus frames, so the map, service
areas, coverage and exports treat them like the shipped layers. Point layers hold sites; area and
line layers (polygons or lines from a GeoJSON/GeoPackage) keep their shapes.

Layers saved by earlier versions of the atlas as ``layers/<key>/vNNNN-<time>.csv`` files are
migrated into the store once, in one transaction (the old folder is renamed
``layers.migrated`` only after the migration committed).

Also here: placing an unplaced row by a map click and geocoding an address (online, Nominatim via
osmnx, at most one request per second). Candidate 科普 venues in OSM data: :mod:`atlas.data.venues`.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atlas import settings, store
from atlas.data.geodata import SITE_COLUMNS, in_ningbo_extent, sites_from_frame, validate_geoframe
from atlas.data.venues import VENUE_TAGS, venues_from_osm_file, venues_to_sites
from atlas.errors import NetworkUnavailableError, StorageError, ValidationError
from atlas.geo.projection import metric_crs_for
from atlas.io.storage import safe_name

if TYPE_CHECKING:
    from atlas.data.catalogue import Layer

#: Geometry kinds a user layer can have (the catalogue's ``geometry`` values).
KINDS = ("point", "polygon", "line")

_MIGRATED_KEY = "migrated_legacy_layers"


@dataclass(frozen=True)
class SavedVersion:
    """What a save committed: the layer's key and name, the version number and row counts."""

    key: str
    name: str
    n: int
    rows: int
    placed: int


def geometry_kind(sites: gpd.GeoDataFrame) -> str:
    """The layer kind of a frame: ``point`` (points or unplaced rows), ``polygon`` or ``line``.

    Raises
    ------
    atlas.errors.ValidationError
        If the frame mixes polygons, lines and points.

    """
    geoms = sites.geometry.to_numpy() if "geometry" in sites else np.array([])
    present = geoms[~shapely.is_missing(geoms)] if len(geoms) else geoms
    types = set(shapely.get_type_id(present[~shapely.is_empty(present)]).tolist()) if len(present) else set()
    kinds = {0: "point", 4: "point", 1: "line", 5: "line", 2: "linearring", 3: "polygon", 6: "polygon"}
    found = {kinds.get(t, "other") for t in types}
    if not found or found == {"point"}:
        return "point"
    if len(found) == 1 and found <= {"polygon", "line"}:
        return found.pop()
    raise ValidationError("一个图层只能含一种几何类型（点、线或面）",
                          "A layer holds one kind of geometry (points, lines or areas)")


def _checked_frame(name: str, sites: gpd.GeoDataFrame, kind: str) -> pd.DataFrame:
    df = pd.DataFrame(sites[list(SITE_COLUMNS)])
    checked = sites_from_frame(df, name=str(name)[:60])  # validates before anything is written
    if kind != "point":
        shapes = gpd.GeoDataFrame(df, geometry=sites.geometry.to_numpy(), crs=settings.CRS_WGS84)
        validate_geoframe(shapes, name=str(name)[:60], id_column="id")
        checked = checked.set_geometry(sites.geometry.to_numpy())
    return checked


def _feature_rows(conn: store.StoreConnection, version_id: int, frame: gpd.GeoDataFrame
                  ) -> list[tuple[Any, ...]]:
    text = frame[list(store.TEXT_COLUMNS)].astype(str).to_numpy().tolist()
    reals = frame[list(store.REAL_COLUMNS)].astype(float).to_numpy()
    reals_l = [[None if not math.isfinite(v) else float(v) for v in r] for r in reals]
    geoms = [conn.geometry_value(g) for g in frame.geometry.to_numpy()]
    return [(version_id, *t, *r, g) for t, r, g in zip(text, reals_l, geoms, strict=True)]


def _insert_feature_sql(conn: store.StoreConnection) -> str:
    params = ", ".join(["?"] * (1 + len(store.TEXT_COLUMNS) + len(store.REAL_COLUMNS)))
    return (f"INSERT INTO atlas_features (version_id, {', '.join(store.TEXT_COLUMNS)}, "
            f"{', '.join(store.REAL_COLUMNS)}, geom) VALUES ({params}, {conn.geom_param})")


def _layer_key(conn: store.StoreConnection, name: str, kind: str) -> str:
    """The key of the layer called ``name``, created (with a unique key) if it does not exist."""
    row = conn.execute("SELECT key, kind FROM atlas_layers WHERE name = ?", (name,)).fetchone()
    if row is not None:
        if row[1] != kind:
            raise ValidationError(
                f"图层“{name[:60]}”已存在且几何类型不同，请换一个名称",
                f"A layer named '{name[:60]}' exists with another geometry kind: choose another name")
        return str(row[0])
    base = safe_name(name)
    key, i = base, 1
    while conn.execute("SELECT 1 FROM atlas_layers WHERE key = ?", (key,)).fetchone():
        i += 1
        key = f"{base}-{i}"
    conn.execute("INSERT INTO atlas_layers (key, name, kind, created) VALUES (?, ?, ?, ?)",
                 (key, name, kind, store.now_utc()))
    return key


def _write_version(conn: store.StoreConnection, name: str, frame: gpd.GeoDataFrame, kind: str,
                   note: str, *, created: str | None = None, saved_by: str = "") -> SavedVersion:
    key = _layer_key(conn, name, kind)
    n = int(conn.execute("SELECT COALESCE(MAX(n), 0) + 1 FROM atlas_versions WHERE layer_key = ?",
                         (key,)).fetchone()[0])
    placed = int(frame.lon.notna().sum())
    cur = conn.execute(
        "INSERT INTO atlas_versions (layer_key, n, created, note, rows, placed, saved_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING version_id",
        (key, n, created or store.now_utc(), str(note)[:500], len(frame), placed, str(saved_by)[:200]))
    version_id = int(cur.fetchone()[0])
    conn.executemany(_insert_feature_sql(conn), _feature_rows(conn, version_id, frame))
    geoms = frame.geometry.to_numpy()
    present = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)] if len(geoms) else geoms
    if len(present):
        conn.note_extent("atlas_features", shapely.total_bounds(present))
    return SavedVersion(key=key, name=name, n=n, rows=len(frame), placed=placed)


def save_user_layer(name: str, sites: gpd.GeoDataFrame, *, folder: Path | str | None = None,
                    note: str = "", user: str = "") -> SavedVersion:
    """Save a new version of a user layer, in one transaction (earlier versions are kept).

    Parameters
    ----------
    name : str
        The planner's name for the layer (any text; it is data, never a path).
    sites : geopandas.GeoDataFrame
        Rows in the site schema (from :func:`atlas.importing.to_sites`); points, or polygons or
        lines for an area or line layer.
    folder : pathlib.Path, optional
        User data folder or ``postgresql://`` URL (default: :func:`atlas.store.location`).
    note : str
        Stored with the version.
    user : str
        Who saves it (recorded as the version's ``saved_by``; "" when sign-in is off). The
        caller checks the user's role first (:func:`atlas.auth.require_editor`).

    Returns
    -------
    SavedVersion

    Raises
    ------
    atlas.errors.ValidationError
        If the rows break the site schema (nothing is written).
    atlas.errors.StorageError
        If writing fails; the last committed version stays current and nothing is half-written.

    """
    name = str(name).strip()[:200]
    if not name:
        raise ValidationError("请填写图层名称", "Give the layer a name")
    kind = geometry_kind(sites)
    frame = _checked_frame(name, sites, kind)
    _ensure_migrated(folder)
    with store.transaction(folder) as conn:
        return _write_version(conn, name, frame, kind, note, saved_by=user)


def list_user_layers(*, folder: Path | str | None = None) -> list[dict[str, Any]]:
    """Saved user layers: ``key``, ``name``, ``kind`` and ``versions`` (oldest first).

    Each version is a dict with ``n``, ``created`` (UTC), ``saved_by`` ("" if saved without
    sign-in), ``rows``, ``placed`` and ``note``.
    """
    _ensure_migrated(folder)
    with store.reading(folder) as conn:
        layers = conn.execute("SELECT key, name, kind FROM atlas_layers ORDER BY key").fetchall()
        versions = conn.execute("SELECT layer_key, n, created, saved_by, rows, placed, note "
                                "FROM atlas_versions ORDER BY layer_key, n").fetchall()
    by_key: dict[str, list[dict[str, Any]]] = {}
    for k, n, created, saved_by, rows, placed, note in versions:
        by_key.setdefault(k, []).append({"n": n, "created": created, "saved_by": saved_by,
                                         "rows": rows, "placed": placed, "note": note})
    return [{"key": k, "name": nm, "kind": kind, "versions": by_key[k]}
            for k, nm, kind in layers if by_key.get(k)]


def load_user_layer(key: str, *, folder: Path | str | None = None, version: int | None = None
                    ) -> gpd.GeoDataFrame:
    """Load one version (default the newest) of a user layer.

    Parameters
    ----------
    key : str
        The layer's key (from :func:`list_user_layers`).
    folder : pathlib.Path, optional
        User data folder or ``postgresql://`` URL (default: :func:`atlas.store.location`).
    version : int, optional
        A version number ``n``; default the newest committed version.

    Raises
    ------
    atlas.errors.StorageError
        If the layer or version does not exist or cannot be read.

    """
    _ensure_migrated(folder)
    with store.reading(folder) as conn:
        found = conn.execute("SELECT kind, name FROM atlas_layers WHERE key = ?", (str(key),)).fetchone()
        q = ("SELECT version_id FROM atlas_versions WHERE layer_key = ? "
             + ("AND n = ?" if version is not None else "ORDER BY n DESC LIMIT 1"))
        vid = conn.execute(q, (str(key), version) if version is not None else (str(key),)).fetchone()
        if found is None or vid is None:
            k = str(key)[:60]
            raise StorageError(f"没有名为 {k} 的用户图层（或该版本）",
                               f"No user layer {k} (or no such version)")
        cols = [*store.TEXT_COLUMNS, *store.REAL_COLUMNS]
        rows = conn.execute(f"SELECT {', '.join(cols)}, {conn.geom_select('geom')} FROM atlas_features "
                            "WHERE version_id = ? ORDER BY fid", (vid[0],)).fetchall()
        read_geometry = conn.read_geometry
    df = pd.DataFrame([r[:-1] for r in rows], columns=cols)
    try:
        gdf = sites_from_frame(df[list(SITE_COLUMNS)], name=str(found[1])[:60])
        if found[0] != "point":
            gdf = gdf.set_geometry([read_geometry(r[-1]) for r in rows], crs=settings.CRS_WGS84)
    except (ValueError, shapely.errors.GEOSException) as exc:
        k = str(key)[:60]
        raise StorageError(f"无法读取用户图层 {k}", f"Cannot read user layer {k}") from exc
    return gdf


def user_data_signature(*, folder: Path | str | None = None) -> tuple[int, int]:
    """A value that changes whenever a layer version is committed (for page caches)."""
    _ensure_migrated(folder)
    with store.reading(folder) as conn:
        row = conn.execute("SELECT COALESCE(MAX(version_id), 0), count(*) FROM atlas_versions").fetchone()
    return int(row[0]), int(row[1])


def user_catalogue(*, folder: Path | str | None = None) -> tuple[list[Layer], dict[str, gpd.GeoDataFrame]]:
    """Catalogue entries and frames for every saved user layer (newest version)."""
    from atlas.data.catalogue import Layer
    from atlas.palette import new_layer_colours

    layers, frames = [], {}
    records = list_user_layers(folder=folder)
    colours = new_layer_colours(len(records))  # never a catalogue colour
    for i, rec in enumerate(records):
        lid = "user_" + "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in rec["key"]).lower()
        lid = f"{lid}_{i}"
        try:
            frames[lid] = load_user_layer(rec["key"], folder=folder)
        except StorageError:
            continue
        title = str(rec["name"])
        color = colours[i]
        style: dict[str, Any] = {"color": color, "radius": 7}
        if rec["kind"] != "point":
            style.update(fill_color=color, fill_opacity=0.2, weight=2)
        layers.append(Layer(
            id=lid, title_zh=f"我的图层：{title}", title_en=f"My layer: {title}", source="user",
            geometry=rec["kind"], order=100 + i, visible=True, style=style,
            popup_fields=("name_zh", "category", "district", "position_status", "est_error_m",
                          "level", "address", "source"),
            tooltip="name_zh", legend_zh=f"我的图层：{title}", legend_en=f"My layer: {title}",
            attribution="", path=f"{store.STORE_NAME}:{rec['key']}"))
    return layers, frames


# --- one-time migration of the legacy file layout ----------------------------------------------

def _legacy_versions(root: Path) -> list[tuple[str, Path, dict[str, Any]]]:
    out = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        for csv in sorted(p for p in d.iterdir() if re.match(r"v\d{4}-.*\.csv$", p.name)):
            meta: dict[str, Any] = {}
            with contextlib.suppress(OSError, ValueError):
                meta = json.loads(csv.with_suffix(".json").read_text(encoding="utf-8"))
            out.append((d.name, csv, meta if isinstance(meta, dict) else {}))
    return out


def _ensure_migrated(folder: Path | str | None) -> None:
    """Move layers saved as ``layers/<key>/vNNNN-*.csv`` into the store, once, in one transaction.

    A version whose file cannot be read is skipped (and named in the migration record); the
    old files stay where they are until the migration has committed.
    """
    where = store.location(folder)
    if not isinstance(where, Path) or not (root := where / "layers").is_dir():
        return
    with store.transaction(folder) as conn:
        if conn.execute("SELECT 1 FROM atlas_meta WHERE key = ?", (_MIGRATED_KEY,)).fetchone():
            return
        skipped: list[str] = []
        names: dict[str, str] = {}
        for key, csv, meta in _legacy_versions(root):
            # a version saved without its metadata (the old non-atomic save) takes the layer's name
            name = str(meta.get("name") or names.get(key) or key)[:200]
            names.setdefault(key, name)
            try:
                frame = sites_from_frame(pd.read_csv(csv, dtype=str, keep_default_na=False),
                                         name=key)
            except (OSError, ValueError, pd.errors.ParserError):
                skipped.append(f"{key}/{csv.name}")
                continue
            created = datetime_from_legacy(csv.name)
            _write_version(conn, names[key], frame, "point", str(meta.get("note", "migrated")),
                           created=created)
        conn.execute("INSERT INTO atlas_meta (key, value) VALUES (?, ?)",
                     (_MIGRATED_KEY, json.dumps({"at": store.now_utc(), "skipped": skipped},
                                                ensure_ascii=False)))
    with contextlib.suppress(OSError):
        root.rename(root.with_name("layers.migrated"))


def datetime_from_legacy(file_name: str) -> str:
    """The save time a legacy ``vNNNN-YYYYmmddTHHMMSSZ.csv`` name records, as ISO text."""
    m = re.match(r"v\d{4}-(\d{8})T(\d{6})Z", file_name)
    if not m:
        return store.now_utc()
    d, t = m.groups()
    return f"{d[:4]}-{d[4:6]}-{d[6:]}T{t[:2]}:{t[2:4]}:{t[4:]}Z"


def place_row(sites: gpd.GeoDataFrame, row_id: str, lon: float, lat: float, *,
              est_error_m: float = 100.0, method: str = "placed-by-click") -> gpd.GeoDataFrame:
    """Return a copy of ``sites`` with one unplaced row given a position (WGS84).

    The position is marked with how it was obtained (``method``) and its error; it counts as an
    estimate, not a surveyed point.
    """
    if not (np.isfinite(lon) and np.isfinite(lat)) or not bool(in_ningbo_extent(lon, lat)):
        raise ValidationError("位置不在宁波范围内", "The position is outside Ningbo")
    df = pd.DataFrame(sites[list(SITE_COLUMNS)]).copy()
    hit = df.index[df.id == row_id]
    if len(hit) != 1:
        raise ValidationError(f"找不到行 {row_id}", f"No row {row_id}")
    i = hit[0]
    df.loc[i, ["lon", "lat"]] = [float(lon), float(lat)]
    df.loc[i, "position_status"] = "estimate"
    df.loc[i, "position_method"] = method
    df.loc[i, "est_error_m"] = float(est_error_m)
    from atlas.data.geodata import load_districts

    d = load_districts()
    inside = d[d.contains(shapely.Point(lon, lat))]
    df.loc[i, "district"] = inside.name_zh.iloc[0] if len(inside) else ""
    return sites_from_frame(df, name="edited layer")


def geocode(address: str, *, timeout: float = 10.0) -> tuple[float, float, float]:
    """Geocode an address with Nominatim (osmnx), returning (lon, lat, error radius in m).

    Respects Nominatim's usage policy: one request per second (osmnx's pause) and osmnx's
    identifying user agent. The error radius comes from the result's bounding box.

    Raises
    ------
    atlas.errors.NetworkUnavailableError
        When offline or the geocoder does not answer.
    atlas.errors.ValidationError
        When the address is not found or lies outside Ningbo.

    """
    import osmnx as ox
    import requests

    query = str(address).strip()[:200]
    if not query:
        raise ValidationError("地址为空", "The address is empty")
    saved = ox.settings.requests_timeout
    try:
        ox.settings.requests_timeout = int(timeout)
        gdf = ox.geocode_to_gdf(query if "宁波" in query else f"宁波 {query}")
    except (requests.exceptions.RequestException, ConnectionError, OSError) as exc:
        raise NetworkUnavailableError("无法连接地理编码服务（可能离线）",
                                      "Cannot reach the geocoding service (offline?)") from exc
    except Exception as exc:
        raise ValidationError(f"找不到该地址：{query}", f"Address not found: {query}") from exc
    finally:
        ox.settings.requests_timeout = saved
        time.sleep(1.0)
    geom = gdf.geometry.iloc[0]
    pt = geom.representative_point()
    if not bool(in_ningbo_extent(pt.x, pt.y)):
        raise ValidationError("地理编码结果不在宁波范围内", "The geocoded result is outside Ningbo")
    x0, y0, x1, y1 = gdf.to_crs(metric_crs_for(gdf)).total_bounds
    return float(pt.x), float(pt.y), float(max(25.0, 0.5 * np.hypot(x1 - x0, y1 - y0)))


__all__ = [
    "KINDS", "VENUE_TAGS", "SavedVersion", "geocode", "geometry_kind", "list_user_layers",
    "load_user_layer", "place_row", "save_user_layer", "user_catalogue", "user_data_signature",
    "venues_from_osm_file", "venues_to_sites",
]
