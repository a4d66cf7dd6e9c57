"""Briefing exports: self-contained HTML and GIS data (GeoPackage, GeoJSON, CSV with BOM).

Static PNG/PDF maps live in :mod:`atlas.staticmap` (re-exported here); whole briefing packs in
:mod:`atlas.io.briefing`. Machine data keeps its column names and precision; tables for people go
through :func:`atlas.fmt.table` first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from atlas import settings
from atlas.data.provenance import read_provenance
from atlas.errors import AtlasError, ValidationError
from atlas.io.storage import atomic_write, safe_name
from atlas.staticmap import PRESETS, ExportError, cjk_font, render_static_map
from atlas.staticmap.scene import district_mask

if TYPE_CHECKING:
    from atlas.data.catalogue import Layer

__all__ = ["PRESETS", "ExportError", "cjk_font", "export_name", "in_districts", "layer_tables",
           "neutralise_formulas", "render_static_map", "save_html", "with_provenance", "write_csv",
           "write_geojson", "write_geopackage"]

# --- interactive HTML ---------------------------------------------------------------------

def save_html(fmap: Any, path: str | Path) -> Path:
    """Save a folium map (from :func:`atlas.webmap.build_map`) as one self-contained HTML file.

    Leaflet and jQuery are inlined by :mod:`atlas.webmap`, so the file opens offline.
    """
    text = fmap.get_root().render()
    if re.search(r"<script[^>]+src=\"https?://", text):
        raise ExportError("HTML 仍引用了外部脚本", "The HTML still references an external script")
    return atomic_write(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


# --- data ---------------------------------------------------------------------------------

_FORMULA = re.compile(r"^[=+\-@\t\r]")


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells starting with = + - @ (or tab/CR) with ' so spreadsheets show them as text.

    Numbers are left alone; only string cells are touched. Returns a copy.
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and _FORMULA.match(v) else v)
    return out


def with_provenance(gdf: gpd.GeoDataFrame, source_file: str) -> gpd.GeoDataFrame:
    """Add ``dataset``, ``dataset_source``, ``dataset_licence`` columns from the provenance record."""
    out = gdf.copy()
    try:
        rec = read_provenance(settings.GEODATA_DIR / source_file)
    except AtlasError:
        rec = {"source": "", "licence": ""}
    out["dataset"] = source_file
    out["dataset_source"] = str(rec.get("source", ""))
    out["dataset_licence"] = str(rec.get("licence", ""))
    return out


def write_csv(gdf: pd.DataFrame, path: str | Path) -> Path:
    """CSV in UTF-8 with BOM (Excel shows Chinese), lon/lat for points, WKT otherwise."""
    df = pd.DataFrame(gdf).copy()
    if isinstance(gdf, gpd.GeoDataFrame):
        geom = gdf.geometry
        is_pt = geom.geom_type.eq("Point").fillna(False)
        df["lon"] = np.where(is_pt, geom.x.where(is_pt), np.nan) if is_pt.any() else np.nan
        df["lat"] = np.where(is_pt, geom.y.where(is_pt), np.nan) if is_pt.any() else np.nan
        df["wkt"] = np.where(is_pt | geom.isna(), "", geom.to_wkt().fillna(""))
        df = df.drop(columns=[gdf.geometry.name])
    df = neutralise_formulas(df)
    return atomic_write(Path(path), lambda tmp: df.to_csv(tmp, index=False, encoding="utf-8-sig"))


def write_geojson(gdf: gpd.GeoDataFrame, path: str | Path) -> Path:
    """GeoJSON (WGS84)."""
    g = gdf.to_crs(settings.CRS_WGS84)
    return atomic_write(Path(path), lambda tmp: tmp.write_text(g.to_json(ensure_ascii=False),
                                                                encoding="utf-8"))


def write_geopackage(tables: Mapping[str, gpd.GeoDataFrame], path: str | Path) -> Path:
    """One GeoPackage, one table per entry (WGS84), written atomically.

    Raises
    ------
    atlas.errors.ValidationError
        For a table name that is not a plain identifier.

    """
    import pyogrio

    for name in tables:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
            raise ValidationError(f"表名无效：{name!r}", f"Invalid table name: {name!r}")

    def _write(tmp: Path) -> None:
        tmp.unlink(missing_ok=True)
        for name, gdf in tables.items():
            g = gdf.to_crs(settings.CRS_WGS84)
            g = g[[c for c in g.columns if c == g.geometry.name or g[c].dtype != object
                   or g[c].map(lambda v: v is None or isinstance(v, str)).all()]]
            pyogrio.write_dataframe(g, tmp, layer=name, driver="GPKG", append=tmp.exists())

    return atomic_write(Path(path), _write)


def layer_tables(layers: list[Layer], frames: Mapping[str, gpd.GeoDataFrame]
                 ) -> dict[str, gpd.GeoDataFrame]:
    """Every catalogue layer as an export table with provenance columns (unplaced rows dropped)."""
    out = {}
    for lyr in layers:
        if lyr.id not in frames:
            continue
        g = frames[lyr.id]
        g = g[~g.geometry.isna()]
        out[lyr.id] = with_provenance(g, lyr.source)
    return out


def in_districts(tables: Mapping[str, gpd.GeoDataFrame], districts: Iterable[str] | None, *,
                 boundaries: gpd.GeoDataFrame | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Each table cut to the rows in ``districts`` (all rows when none are given).

    The same rule as the static map's (:func:`atlas.staticmap.scene.district_mask`): by the
    rows' ``district``, the district layer by its name, other shapes by position against
    ``boundaries``.
    """
    names = list(districts or [])
    if not names:
        return dict(tables)
    return {k: g[district_mask(g, names, boundaries=boundaries)] for k, g in tables.items()}


def export_name(places: Sequence[str], *, day: date, suffix: str, parts: Sequence[str] = (),
                whole: str = "全市") -> str:
    """A file name people can tell apart: ``鄞州区_a4-landscape_zh_2026-11-28.png``.

    ``places`` are the districts shown (in the reader's language; ``whole`` when none), then
    ``parts`` (page preset, language, layer...), then the day; made safe for any file system.
    """
    place = "-".join(places) if places else whole
    stem = "_".join(safe_name(x, max_len=60) for x in (place, *parts) if x)
    return f"{stem}_{day.isoformat()}{suffix}"
