"""Planners' own layers: saved in the user data folder, versioned, usable like shipped layers.

Each layer lives in ``USER_DATA_DIR/layers/<safe name>/`` as ``vNNNN-<time>.csv`` files in the
site schema (UTF-8), written atomically; a new import or edit adds a version and never
overwrites an earlier one. :func:`user_catalogue` turns the newest versions into
:class:`atlas.catalogue.Layer` entries plus frames, so the map, service areas, coverage and
exports treat them like the shipped layers.

Also here: placing an unplaced row by a map click, geocoding an address (online, Nominatim via
osmnx, at most one request per second), and discovering candidate 科普 venues in OSM data.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atlas import settings
from atlas.errors import NetworkUnavailableError, StorageError, ValidationError
from atlas.geodata import SITE_COLUMNS, in_ningbo_extent, sites_from_frame
from atlas.storage import atomic_write, list_versions, safe_name, versioned_path

if TYPE_CHECKING:
    from atlas.catalogue import Layer

_PALETTE = ("#6a4c93", "#1982c4", "#8ac926", "#ff595e", "#ffca3a", "#3d405b")


def _root(folder: Path | None) -> Path:
    return (Path(folder) if folder is not None else settings.USER_DATA_DIR) / "layers"


def save_user_layer(name: str, sites: gpd.GeoDataFrame, *, folder: Path | None = None,
                    note: str = "") -> Path:
    """Save a new version of a user layer (atomic; earlier versions are kept).

    Parameters
    ----------
    name : str
        The planner's name for the layer (any text; made path-safe).
    sites : geopandas.GeoDataFrame
        Rows in the site schema (from :func:`atlas.importing.to_sites`).
    folder : pathlib.Path, optional
        User data folder (default :data:`atlas.settings.USER_DATA_DIR`).
    note : str
        Stored in the version's metadata.

    Returns
    -------
    pathlib.Path
        The new version's file.

    """
    if not str(name).strip():
        raise ValidationError("请填写图层名称", "Give the layer a name")
    df = pd.DataFrame(sites[list(SITE_COLUMNS)])
    sites_from_frame(df, name=name)  # validate before writing anything
    path = versioned_path(_root(folder), safe_name(name), ".csv")
    atomic_write(path, lambda tmp: df.to_csv(tmp, index=False, encoding="utf-8"))
    meta = {"name": str(name)[:200], "rows": len(df), "note": str(note)[:500],
            "placed": int(df.lon.notna().sum())}
    atomic_write(path.with_suffix(".json"),
                 lambda tmp: tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8"))
    return path


def list_user_layers(*, folder: Path | None = None) -> list[dict[str, Any]]:
    """Saved user layers: name, folder key, versions (paths, oldest first)."""
    root = _root(folder)
    out: list[dict[str, Any]] = []
    if not root.is_dir():
        return out
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        versions = [v for v in list_versions(root, d.name) if v.suffix == ".csv"]
        if not versions:
            continue
        meta_p = versions[-1].with_suffix(".json")
        try:
            meta = json.loads(meta_p.read_text(encoding="utf-8")) if meta_p.exists() else {}
        except ValueError:
            meta = {}
        out.append({"key": d.name, "name": meta.get("name", d.name), "versions": versions})
    return out


def load_user_layer(key: str, *, folder: Path | None = None, version: int = -1) -> gpd.GeoDataFrame:
    """Load one version (default the newest) of a user layer.

    Raises
    ------
    atlas.errors.StorageError
        If the layer or version does not exist or cannot be read.

    """
    versions = [v for v in list_versions(_root(folder), safe_name(key)) if v.suffix == ".csv"]
    if not versions:
        raise StorageError(f"没有名为 {key} 的用户图层", f"No user layer named {key}")
    try:
        df = pd.read_csv(versions[version], dtype=str, keep_default_na=False)
        return sites_from_frame(df, name=versions[version].name)
    except (OSError, IndexError, ValueError) as exc:
        raise StorageError(f"无法读取用户图层 {key}：{exc}", f"Cannot read user layer {key}: {exc}") from exc


def user_catalogue(*, folder: Path | None = None) -> tuple[list[Layer], dict[str, gpd.GeoDataFrame]]:
    """Catalogue entries and frames for every saved user layer (newest version)."""
    from atlas.catalogue import Layer

    layers, frames = [], {}
    for i, rec in enumerate(list_user_layers(folder=folder)):
        lid = "user_" + "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in rec["key"]).lower()
        lid = f"{lid}_{i}"
        try:
            frames[lid] = load_user_layer(rec["key"], folder=folder)
        except StorageError:
            continue
        title = str(rec["name"])
        layers.append(Layer(
            id=lid, title_zh=f"我的图层：{title}", title_en=f"My layer: {title}", source="user",
            geometry="point", order=100 + i, visible=True,
            style={"color": _PALETTE[i % len(_PALETTE)], "radius": 7},
            popup_fields=("name_zh", "category", "district", "position_status", "est_error_m",
                          "level", "address", "source"),
            tooltip="name_zh", legend_zh=f"我的图层：{title}", legend_en=f"My layer: {title}",
            attribution="", path=str(rec["versions"][-1])))
    return layers, frames


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
    from atlas.geodata import load_districts

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
    x0, y0, x1, y1 = gdf.to_crs(settings.CRS_METRIC).total_bounds
    return float(pt.x), float(pt.y), float(max(25.0, 0.5 * np.hypot(x1 - x0, y1 - y0)))


# --- candidate venues from OSM ------------------------------------------------------------

#: OSM tags of candidate 科普 venues.
VENUE_TAGS: dict[str, tuple[str, ...]] = {
    "tourism": ("museum", "zoo", "aquarium", "gallery"),
    "amenity": ("library", "planetarium", "arts_centre", "community_centre", "science_centre"),
    "leisure": ("garden",),
}


def _is_venue(tags: dict[str, str]) -> str:
    for k, vals in VENUE_TAGS.items():
        v = tags.get(k)
        if v in vals:
            if k == "leisure" and tags.get("garden:type") != "botanical":
                continue
            return f"{k}={v}"
    if tags.get("community_centre") == "youth_centre":
        return "community_centre=youth_centre"
    return ""


def venues_from_osm_file(path: str | Path, *, polygon: shapely.Geometry | None = None
                         ) -> gpd.GeoDataFrame:
    """Candidate 科普 venues in a local OSM file, as points (ways: their node centroid).

    Museums, libraries, science centres and planetaria, zoos, aquaria, botanical gardens, arts,
    youth and community centres.

    Returns
    -------
    geopandas.GeoDataFrame
        ``osm_id``, ``name``, ``kind``, geometry (WGS84). Source: © OpenStreetMap contributors.

    """
    import osmium

    p = Path(path)
    if not p.exists():
        raise ValidationError(f"找不到 OSM 文件：{p.name}", f"OSM file not found: {p.name}")
    rows = []
    fp = osmium.FileProcessor(str(p), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    for obj in fp.with_filter(osmium.filter.KeyFilter("tourism", "amenity", "leisure",
                                                      "community_centre")):
        tags = {t.k: t.v for t in obj.tags}
        kind = _is_venue(tags)
        if not kind:
            continue
        if isinstance(obj, osmium.osm.Node):
            if not obj.location.valid():
                continue
            x, y = obj.location.lon, obj.location.lat
            oid = f"n{obj.id}"
        elif isinstance(obj, osmium.osm.Way):
            locs = [(n.location.lon, n.location.lat) for n in obj.nodes if n.location.valid()]
            if not locs:
                continue
            x, y = np.mean(locs, axis=0)
            oid = f"w{obj.id}"
        else:
            continue
        rows.append({"osm_id": oid, "name": tags.get("name:zh", tags.get("name", "")), "kind": kind,
                     "lon": float(x), "lat": float(y)})
    df = pd.DataFrame(rows, columns=["osm_id", "name", "kind", "lon", "lat"])
    gdf = gpd.GeoDataFrame(df, geometry=shapely.points(df.lon, df.lat), crs=settings.CRS_WGS84)
    if polygon is not None and len(gdf):
        gdf = gdf[gdf.within(polygon)]
    return gdf.reset_index(drop=True)


def venues_to_sites(venues: gpd.GeoDataFrame, *, source: str) -> gpd.GeoDataFrame:
    """Promote reviewed OSM venues into site-schema rows (category 科普 candidate, task 23)."""
    from atlas.geodata import load_districts

    d = load_districts()
    joined = gpd.sjoin(venues, d[["name_zh", "geometry"]].rename(columns={"name_zh": "admin"}),
                       how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    df = pd.DataFrame({
        "id": [f"O{i + 1:05d}" for i in range(len(venues))],
        "name_zh": venues.name.replace("", "（无名）").to_numpy(),
        "name_en": "", "category": "kepu_site",
        "district": joined["admin"].fillna("").to_numpy(), "district_claimed": "",
        "district_check": "n/a", "functional_zone": "",
        "lon": venues.geometry.x.to_numpy(), "lat": venues.geometry.y.to_numpy(),
        "position_status": "sourced", "position_method": "osm", "est_error_m": 50.0,
        "policy_tasks": "23", "membership_verified": False, "level": "",
        "address": "",
        "source": [f"© OpenStreetMap contributors (ODbL), {source}, {o}" for o in venues.osm_id],
        "note": venues.kind.to_numpy(),
    })
    return sites_from_frame(df, name="osm venues")
