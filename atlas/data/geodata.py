"""Load and validate the curated geodata the atlas ships (``geodata/``).

Every loader returns a fresh object (callers may mutate it) and validates what it read: schema,
CRS, unique ids, valid geometry inside Ningbo's extent. Apps cache the results themselves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atlas import settings
from atlas.errors import UnknownDistrictError, ValidationError

#: Site categories and their bilingual labels.
CATEGORIES: dict[str, tuple[str, str]] = {
    "port": ("甬江科创区及四港", "Yongjiang zone and its four ports"),
    "innovation_pole": ("区域创新极（候选）", "Regional innovation poles (candidates)"),
    "district_hub": ("县域科创载体", "County innovation hubs"),
    "hightech_park": ("高新区与高新园区", "High-tech zones and parks"),
    "lab": ("实验室与研究院", "Labs and research institutes"),
    "university": ("高校", "Universities"),
    "kepu_site": ("科普场馆", "Science-popularisation sites"),
    "kepu_gallery": ("科普画廊", "Community science galleries"),
}

#: Position status values: how far a site's point can be trusted.
POSITION_STATUS: dict[str, tuple[str, str]] = {
    "sourced": ("有来源坐标", "sourced position"),
    "estimate": ("估计位置（近似）", "estimated position (approximate)"),
    "unplaced": ("无坐标（未上图）", "no position (not mapped)"),
}

SITE_COLUMNS: tuple[str, ...] = (
    "id", "name_zh", "name_en", "category", "district", "district_claimed", "district_check",
    "functional_zone", "lon", "lat", "position_status", "position_method", "est_error_m",
    "policy_tasks", "membership_verified", "level", "address", "source", "note",
)


def _dir(geodata_dir: Path | None) -> Path:
    return Path(geodata_dir) if geodata_dir is not None else settings.GEODATA_DIR


def in_ningbo_extent(lon: Any, lat: Any) -> np.ndarray:
    """Return a boolean array: which points fall inside Ningbo's bounding box."""
    x0, y0, x1, y1 = settings.NINGBO_BBOX
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    return (lon_a >= x0) & (lon_a <= x1) & (lat_a >= y0) & (lat_a <= y1)


def parse_tasks(value: Any) -> list[int]:
    """Parse a ``policy_tasks`` cell (``"5;7"``, ``"23"``, empty) into task numbers."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    parts = [p.strip() for p in str(value).replace(",", ";").split(";")]
    return [int(p) for p in parts if p.isdigit()]


def validate_geoframe(gdf: gpd.GeoDataFrame, *, name: str, id_column: str | None = None,
                      required: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    """Check a GeoDataFrame against the atlas's rules and return it.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Data to check.
    name : str
        File or layer name used in messages.
    id_column : str, optional
        Column whose values must be unique and non-empty.
    required : tuple of str
        Columns that must exist.

    Returns
    -------
    geopandas.GeoDataFrame
        The same frame.

    Raises
    ------
    atlas.errors.ValidationError
        On a missing column, wrong CRS, duplicate id, invalid geometry or a feature outside
        Ningbo's extent.

    """
    missing = [c for c in required if c not in gdf.columns]
    if missing:
        raise ValidationError(f"{name} 缺少列：{', '.join(missing)}",
                              f"{name} is missing columns: {', '.join(missing)}")
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        raise ValidationError(f"{name} 的坐标系应为 WGS84 (EPSG:4326)，实为 {gdf.crs}",
                              f"{name} must be in WGS84 (EPSG:4326), not {gdf.crs}")
    if id_column is not None:
        ids = gdf[id_column].astype(str)
        dup = ids[ids.duplicated()].unique().tolist()
        if dup or (ids.str.strip() == "").any():
            raise ValidationError(f"{name} 的 {id_column} 有重复或空值：{dup[:5]}",
                                  f"{name} has duplicate or empty {id_column}: {dup[:5]}")
    geoms = gdf.geometry.to_numpy()
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    invalid = present & ~shapely.is_valid(geoms)
    if invalid.any():
        bad = gdf.index[invalid].tolist()[:5]
        raise ValidationError(f"{name} 含无效几何（行 {bad}）", f"{name} has invalid geometry (rows {bad})")
    if present.any():
        b = shapely.bounds(geoms[present])
        x0, y0, x1, y1 = settings.NINGBO_BBOX
        outside = (b[:, 0] < x0) | (b[:, 2] > x1) | (b[:, 1] < y0) | (b[:, 3] > y1)
        if outside.any():
            bad = gdf.index[present][outside].tolist()[:5]
            raise ValidationError(f"{name} 有要素超出宁波范围（行 {bad}）",
                                  f"{name} has features outside Ningbo's extent (rows {bad})")
    return gdf


def load_districts(*, geodata_dir: Path | None = None) -> gpd.GeoDataFrame:
    """Load the 10 county-level divisions (WGS84 polygons with official areas).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns adcode, name_zh, name_en, area_km2, official_area_km2, official_area_source,
        source, geometry.

    """
    path = _dir(geodata_dir) / "districts.geojson"
    gdf = gpd.read_file(path)
    return validate_geoframe(gdf, name=path.name, id_column="adcode",
                             required=("adcode", "name_zh", "name_en", "area_km2"))


def load_city_outline(*, geodata_dir: Path | None = None) -> gpd.GeoDataFrame:
    """Load the municipality outline (one multipolygon)."""
    path = _dir(geodata_dir) / "city_outline.geojson"
    return validate_geoframe(gpd.read_file(path), name=path.name)


def sites_from_frame(df: pd.DataFrame, *, name: str = "sites") -> gpd.GeoDataFrame:
    """Turn a sites table (lon/lat columns, WGS84) into a validated GeoDataFrame.

    Unplaced rows (no lon/lat) keep an empty geometry so that they can be listed and counted
    but are never drawn.

    Parameters
    ----------
    df : pandas.DataFrame
        A table with at least the columns of :data:`SITE_COLUMNS`.
    name : str
        Name used in messages.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326.

    """
    missing = [c for c in SITE_COLUMNS if c not in df.columns]
    if missing:
        raise ValidationError(f"{name} 缺少列：{', '.join(missing)}",
                              f"{name} is missing columns: {', '.join(missing)}")
    df = df.copy()
    for col in ("lon", "lat", "est_error_m"):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    text_cols = [c for c in SITE_COLUMNS if c not in ("lon", "lat", "est_error_m",
                                                       "membership_verified")]
    df[text_cols] = df[text_cols].fillna("").astype(str)
    df["membership_verified"] = df["membership_verified"].astype(str).str.lower().isin(
        ["true", "1", "yes"])
    unknown = sorted(set(df.category) - set(CATEGORIES))
    if unknown:
        raise ValidationError(f"{name} 含未知类别：{unknown}", f"{name} has unknown categories: {unknown}")
    bad_status = sorted(set(df.position_status) - set(POSITION_STATUS))
    if bad_status:
        raise ValidationError(f"{name} 含未知定位状态：{bad_status}",
                              f"{name} has unknown position_status values: {bad_status}")
    placed = df.lon.notna() & df.lat.notna()
    if (placed != (df.position_status != "unplaced")).any():
        raise ValidationError(f"{name}：有坐标的行与 position_status 不一致",
                              f"{name}: rows with coordinates disagree with position_status")
    if (placed & ~(df.est_error_m > 0)).any():
        raise ValidationError(f"{name}：有坐标的行必须给出估计误差 est_error_m",
                              f"{name}: every positioned row needs est_error_m > 0")
    bad_tasks = [t for v in df.policy_tasks for t in parse_tasks(v) if not 1 <= t <= 24]
    if bad_tasks:
        raise ValidationError(f"{name}：任务编号应在 1–24 之间：{bad_tasks}",
                              f"{name}: task numbers must be 1-24: {bad_tasks}")
    geom = np.array([None] * len(df), dtype=object)
    geom[placed.to_numpy()] = shapely.points(df.lon[placed], df.lat[placed])
    gdf = gpd.GeoDataFrame(df, geometry=list(geom), crs=settings.CRS_WGS84)
    return validate_geoframe(gdf, name=name, id_column="id")


def load_sites(*, geodata_dir: Path | None = None, source: str = "sites.csv") -> gpd.GeoDataFrame:
    """Load a table of sites the atlas ships (placed and unplaced).

    Parameters
    ----------
    geodata_dir : pathlib.Path, optional
        Folder of the shipped data.
    source : str
        A site table in that folder: ``sites.csv`` (the curated sites) or another table in
        the site schema, e.g. ``kepu_galleries.csv``; extra columns are kept.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per site, columns :data:`SITE_COLUMNS` (plus the table's own) and geometry
        (empty when unplaced).

    """
    path = _dir(geodata_dir) / source
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return sites_from_frame(df, name=path.name)


def load_plan(*, geodata_dir: Path | None = None) -> dict[str, Any]:
    """Load the plan (title and its 24 tasks) as a dict."""
    path = _dir(geodata_dir) / "plan_tasks.json"
    plan: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    numbers = [t["task"] for t in plan["tasks"]]
    if numbers != list(range(1, 25)):
        raise ValidationError(f"{path.name} 应含任务 1–24", f"{path.name} must hold tasks 1-24")
    return plan


def load_tasks(*, geodata_dir: Path | None = None) -> pd.DataFrame:
    """Load the plan's tasks as a table indexed by task number."""
    return pd.DataFrame(load_plan(geodata_dir=geodata_dir)["tasks"]).set_index("task")


def load_population(*, geodata_dir: Path | None = None) -> pd.DataFrame:
    """Load resident population by district (2024), keyed by ``district_zh``."""
    path = _dir(geodata_dir) / "population.csv"
    df = pd.read_csv(path)
    if df.district_zh.duplicated().any() or (df.resident_pop_2024 <= 0).any():
        raise ValidationError(f"{path.name} 有重复区县或非正人口",
                              f"{path.name} has duplicate districts or non-positive population")
    return df


def district_names(*, geodata_dir: Path | None = None) -> list[str]:
    """Return the Chinese names of the 10 county-level divisions."""
    return load_districts(geodata_dir=geodata_dir).name_zh.tolist()


def resolve_district(name: str, districts: gpd.GeoDataFrame) -> pd.Series:
    """Find a district row by Chinese name, English name or adcode.

    Raises
    ------
    atlas.errors.UnknownDistrictError
        If nothing matches.

    """
    key = str(name).strip()
    hit = districts[(districts.name_zh == key) | (districts.name_en.str.lower() == key.lower())
                    | (districts.adcode.astype(str) == key)]
    if hit.empty:
        known = "、".join(districts.name_zh)
        raise UnknownDistrictError(f"未知区县：{key}（可选：{known}）",
                                   f"Unknown district: {key} (known: {', '.join(districts.name_en)})")
    return hit.iloc[0]
