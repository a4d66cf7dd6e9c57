"""A planner's own zoning (街道, 社区, planning units) from an uploaded boundary file.

:func:`read_zones` reads GeoJSON, GeoPackage or a zipped shapefile in any of the import datums
(WGS84, GCJ-02, BD-09, CGCS2000; a projected CRS stated in the file is converted), keeps its
polygons, picks a name column and returns zones in WGS84 that
:meth:`atlas.coverage.summary.CoverageSummary.by_zone` and
:meth:`atlas.analysis.accessibility.Accessibility.by_zone` report on.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from atlas import settings
from atlas.errors import UploadError
from atlas.geo.datum import gdf_to_wgs84

_NAME_HINTS = ("名称", "街道", "社区", "乡镇", "镇街", "单元", "name", "zone", "unit", "title")
_EXTS = (".geojson", ".json", ".gpkg", ".zip")


def _read(data: bytes, ext: str, *, max_features: int) -> gpd.GeoDataFrame:
    if ext == ".zip":
        return _read_zipped_shapefile(data, max_features=max_features)
    # a private temp file whose only part from the user is the whitelisted extension
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d) / f"zones{ext}"
        tmp.write_bytes(data)
        return _bounded_read(tmp, max_features=max_features)


def _read_zipped_shapefile(data: bytes, *, max_features: int) -> gpd.GeoDataFrame:
    """A zipped Shapefile, checked and unpacked as the importer does it.

    (:mod:`atlas.readers.archive`; the text decoded as its .cpg says, or as UTF-8 or
    GBK/GB18030: :mod:`atlas.readers.shapefile`.)
    """
    from atlas import readers

    # the limit as set now (tests and deployments may lower it), not as imported
    upload = readers.open_zip(data, limits=readers.Limits(max_decoded_bytes=settings.MAX_DECODED_BYTES))
    if not upload.shapefiles:
        raise UploadError("zip 中没有 .shp 文件（请上传 zip 压缩的 Shapefile）",
                          "The zip holds no .shp file (upload a zipped shapefile)")
    info = readers.ReadInfo(format="shapefile")
    try:
        name = readers.choose_shapefile(upload, layer=None, info=info)
    except readers.LayerChoiceError as exc:
        names = "、".join(exc.options)[:200]
        raise UploadError(f"zip 中有多个 Shapefile（{names}）：请只打包分区边界那一个",
                          f"The zip holds several Shapefiles ({', '.join(exc.options)[:200]}): "
                          "zip the boundary one alone") from exc
    with readers.unpacked_shapefile(upload, name, info=info) as (path, encoding):
        return _bounded_read(path, max_features=max_features, encoding=encoding)


def _bounded_read(path: Path, *, max_features: int, encoding: str | None = None) -> gpd.GeoDataFrame:
    import pyogrio

    # one bounded read: at most one feature past the limit is materialised (GeoJSON would
    # be parsed twice by counting first); the full count is read only to refuse
    gdf = pyogrio.read_dataframe(path, max_features=max_features + 1, encoding=encoding)
    if len(gdf) > max_features:
        n = int(pyogrio.read_info(path, encoding=encoding).get("features", -1))
        raise UploadError(f"边界文件要素过多（{n:,}，上限 {max_features:,}）",
                          f"Too many features in the boundary file ({n:,}; limit {max_features:,})")
    return gdf


def guess_name_column(gdf: gpd.GeoDataFrame) -> str | None:
    """The column most likely to hold zone names (Chinese or English hints, else the first text)."""
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    norm = {c: re.sub(r"[\s_]", "", str(c)).lower() for c in cols}
    for hint in _NAME_HINTS:
        hit = next((c for c in cols if hint in norm[c]), None)
        if hit is not None:
            return hit
    return next((c for c in cols if gdf[c].dtype == object), None)


def read_zones(data: bytes, filename: str, *, datum: str = "wgs84", name_column: str | None = None,
               max_bytes: int = settings.MAX_UPLOAD_BYTES, max_zones: int = 20_000) -> gpd.GeoDataFrame:
    """Zones from an uploaded boundary file.

    Parameters
    ----------
    data : bytes
        The file.
    filename : str
        Original name (only its extension is used).
    datum : {"wgs84", "gcj02", "bd09", "cgcs2000"}
        Datum of lon/lat coordinates (AMap lists are GCJ-02, Baidu's BD-09). A file in a
        projected CRS is converted from that CRS instead.
    name_column : str, optional
        Column of zone names (default: guessed).
    max_bytes, max_zones : int
        Limits; larger files are refused with a clear message.

    Returns
    -------
    geopandas.GeoDataFrame
        ``zone`` (unique names), the file's other columns and polygon geometry in WGS84.

    Raises
    ------
    atlas.errors.UploadError
        For an unsupported, unreadable or empty file, no polygons, or zones outside Ningbo.

    """
    if len(data) > max_bytes:
        raise UploadError(f"文件过大（上限 {max_bytes / 1e6:.0f} MB）",
                          f"File too large (limit {max_bytes / 1e6:.0f} MB)")
    ext = Path(str(filename)).suffix.lower()
    if ext not in _EXTS:
        raise UploadError(f"不支持的边界文件类型：{ext or '（无）'}"
                          "（支持 GeoJSON、GeoPackage、zip 压缩的 Shapefile）",
                          f"Unsupported boundary file: {ext or '(none)'} "
                          "(GeoJSON, GeoPackage, zipped shapefile)")
    try:
        gdf = _read(data, ext, max_features=max_zones)
    except UploadError:
        raise
    except Exception as exc:  # any parser failure is the user's file
        raise UploadError(f"边界文件无法读取：{type(exc).__name__}"[:300],
                          f"The boundary file cannot be read: {type(exc).__name__}"[:300]) from exc
    geoms = gdf.geometry.to_numpy()
    poly = ~shapely.is_missing(geoms) & np.isin(shapely.get_type_id(geoms), [3, 6])
    gdf = gdf[poly].copy()
    if gdf.empty:
        raise UploadError("边界文件中没有面要素", "The boundary file holds no polygons")
    if len(gdf) > max_zones:
        raise UploadError(f"分区过多（{len(gdf):,}，上限 {max_zones:,}）",
                          f"Too many zones ({len(gdf):,}; limit {max_zones:,})")
    gdf = _to_wgs84(gdf, datum)
    gdf["geometry"] = shapely.make_valid(gdf.geometry.to_numpy())
    _check_extent(gdf)
    col = name_column or guess_name_column(gdf)
    if col is not None and col not in gdf.columns:
        raise UploadError(f"边界文件没有列 {col}", f"The boundary file has no column {col}")
    names = gdf[col].astype(str).str.strip() if col else None
    gdf.insert(0, "zone", _unique(names.tolist() if names is not None else
                                  [f"分区 {i + 1}" for i in range(len(gdf))]))
    return gdf.reset_index(drop=True)


def _to_wgs84(gdf: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    if gdf.crs is not None and not gdf.crs.is_geographic:
        return gdf.to_crs(settings.CRS_WGS84)  # a stated projected CRS (e.g. CGCS2000 / GK zones)
    return gdf_to_wgs84(gdf.set_crs(settings.CRS_WGS84, allow_override=True), datum=datum)


def _check_extent(gdf: gpd.GeoDataFrame) -> None:
    x0, y0, x1, y1 = settings.NINGBO_BBOX
    b = gdf.total_bounds
    if not (b[2] >= x0 and b[0] <= x1 and b[3] >= y0 and b[1] <= y1):
        raise UploadError("分区不在宁波范围内（坐标系是否正确？）",
                          "The zones are not in Ningbo (is the coordinate system right?)")


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        n = n or "?"
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out
