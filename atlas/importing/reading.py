"""Read an uploaded list into a table of strings (the formats themselves are :mod:`atlas.readers`)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from atlas import readers, settings
from atlas.errors import UploadError
from atlas.importing.columns import guess_columns, header_roles, is_header_cell


def read_table(data: bytes, filename: str, *, max_bytes: int = settings.MAX_UPLOAD_BYTES,
               max_rows: int = settings.MAX_UPLOAD_ROWS, layer: str | None = None,
               max_cell_chars: int = settings.MAX_CELL_CHARS) -> pd.DataFrame:
    """Read an uploaded file into a table of strings (geometry files add ``geom_*`` columns).

    Delimiter, encoding, header row (title rows skipped), merged cells and empty columns are
    handled by :mod:`atlas.readers`; what was found is in ``df.attrs["read_info"]``
    (:class:`atlas.readers.ReadInfo`) and spreadsheet row numbers in ``df.attrs["source_rows"]``.

    Parameters
    ----------
    data : bytes
        File content.
    filename : str
        Original name (only its extension is used; never used as a path).
    max_bytes, max_rows, max_cell_chars : int
        Limits; they are enforced while reading, before the expensive work.
    layer : str, optional
        The layer (GeoPackage), Shapefile (zip) or sheet (XLSX) to read; a GeoPackage with
        several layers with data or a zip with several Shapefiles raises
        :class:`atlas.readers.LayerChoiceError` (its ``options``) when not given.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    atlas.errors.UploadError
        For an unsupported, malformed, empty or too large file (never with a server path).

    """
    if len(data) > max_bytes:
        raise UploadError(f"文件过大（{len(data) / 1e6:.1f} MB，上限 {max_bytes / 1e6:.0f} MB）",
                          f"File too large ({len(data) / 1e6:.1f} MB; limit {max_bytes / 1e6:.0f} MB)")
    ext = _format_of(data, Path(str(filename)).suffix.lower())
    limits = readers.Limits(max_bytes=max_bytes, max_rows=max_rows, max_cell_chars=max_cell_chars)
    info = readers.ReadInfo(format=ext.lstrip("."))
    named = Path(str(filename)).suffix.lower()
    if ext != named:
        kind = {".geojson": "GeoJSON", ".gpkg": "GeoPackage"}.get(ext, ext[1:].upper())
        info.note(f"文件扩展名是 {named[:12] or '（无）'}，内容却是 {kind}：已按 {kind} 读取",
                  f"The file is named {named[:12] or '(none)'} but holds {kind}; read as {kind}")
    try:
        df = _read_format(data, ext, layer=layer, limits=limits, info=info)
    except UploadError:
        raise
    except MemoryError as exc:
        raise UploadError("文件解析所需内存过多，已停止", "Reading the file needs too much memory; stopped"
                          ) from exc
    except Exception as exc:  # any parser failure is the user's file, not our bug
        detail = readers.clean_detail(f"{type(exc).__name__}: {exc}")
        raise UploadError(f"文件无法读取：{detail}", f"The file cannot be read: {detail}") from exc
    if df.empty:
        raise UploadError("文件中没有数据行", "The file has no data rows")
    if len(df) > max_rows:
        raise readers.too_many_rows(max_rows)
    df.columns = [str(c).strip() for c in df.columns]
    df = readers.clean_cells(df, info)
    df = split_coordinate_pairs(df, info)
    df.attrs["read_info"] = info
    return df


def _read_format(data: bytes, ext: str, *, layer: str | None, limits: readers.Limits,
                 info: readers.ReadInfo) -> pd.DataFrame:
    """The file read by the reader of its format (by extension); what was found goes to ``info``."""
    if ext in (".csv", ".txt"):
        text, info.encoding = readers.decode(data, limits=limits, info=info)
        info.delimiter = readers.sniff_delimiter(text)
        rows, numbers = readers.csv_rows(text, delimiter=info.delimiter, limits=limits)
        return readers.table_from_rows(rows, numbers, info=info, is_header_cell=is_header_cell,
                                       limits=limits)
    if ext in (".xlsx", ".xlsm"):
        rows, numbers = readers.xlsx_rows(data, sheet=layer, limits=limits, info=info, score=sheet_score)
        return readers.table_from_rows(rows, numbers, info=info, is_header_cell=is_header_cell,
                                       limits=limits)
    if ext in (".geojson", ".json", ".gpkg"):
        df = readers.geo_table(data, ext, layer=layer, limits=limits, info=info)
        _coordinates_from_properties(df, info)
        return df
    if ext == ".zip":
        return _read_zip(data, layer=layer, limits=limits, info=info)
    if ext in _SHAPE_PARTS:
        raise readers.upload_error("shp_bare")
    if ext in _SAVE_AS:
        zh, en = _SAVE_AS[ext]
        kind = {".geojson": "GeoJSON", ".gpkg": "GeoPackage"}.get(ext, ext[1:].upper())
        raise UploadError(f"不支持 {kind} 文件：{zh}", f"{kind} files are not supported: {en}")
    raise UploadError(f"不支持的文件类型：{ext[:12] or '（无扩展名）'}"
                      "（支持 CSV、XLSX、GeoJSON、GeoPackage、Shapefile 压缩包）",
                      f"Unsupported file type: {ext[:12] or '(none)'} "
                      "(CSV, XLSX, GeoJSON, GeoPackage, zipped Shapefile)")


def _read_zip(data: bytes, *, layer: str | None, limits: readers.Limits, info: readers.ReadInfo
              ) -> pd.DataFrame:
    """A zip's Shapefile, or the one other file it holds read as an upload of that file.

    The zip is checked before anything is unpacked (:func:`atlas.readers.open_zip`); a file in it
    that is a zip again (whatever its name) is refused, never unpacked in turn.
    """
    upload = readers.open_zip(data, limits=limits)
    if upload.shapefiles:
        df = readers.shapefile_table(upload, layer=layer, limits=limits, info=info)
        _coordinates_from_properties(df, info)
        return df
    others = upload.others
    if len(others) > 1:  # a read-me beside a list is not a second list
        others = {k: v for k, v in others.items() if not k.lower().endswith(".txt")} or others
    if len(others) != 1:
        names = list(others) or upload.names
        listed = ("、".join(names)[:200], ", ".join(names)[:200])
        raise readers.upload_error("zip_several" if others else "zip_nothing", names=listed)
    name, entry = next(iter(others.items()))
    readers.check_member_size(entry, max_bytes=limits.max_bytes)
    inner = upload.read(entry, max_bytes=limits.max_bytes)
    ext = _format_of(inner, Path(name).suffix.lower())
    if ext == ".zip":
        raise readers.upload_error("zip_nested", name=name[:60])
    info.format = ext.lstrip(".")
    readers.note(info, "zip_read_member", name=name[:60])
    return _read_format(inner, ext, layer=layer, limits=limits, info=info)


_PAIR_HEADER = re.compile(r"坐标|经纬度|lnglat|lonlat|latlng|latlon|coordinates?|location", re.IGNORECASE)


def sheet_score(rows: list[list[str]]) -> float:
    """How much a sheet's first rows look like a list of places: its best header-like row.

    A row naming a name column counts 2, longitude and latitude together 3, a column of both
    coordinates ("坐标", "经纬度") 2, and each other known role 1; a long sentence (instructions)
    counts nothing.
    """
    best = 0.0
    for row in rows[:readers.HEADER_WINDOW]:
        cells = [c for c in row if c.strip() and len(c) <= 40]
        roles: set[str] = set().union(*(header_roles(c) for c in cells)) if cells else set()
        pair = any(_PAIR_HEADER.search(c) and len(c) <= 12 for c in cells)
        score = 2 * ("name" in roles) + 3 * ({"lon", "lat"} <= roles) + 2 * pair + len(roles)
        best = max(best, float(score))
    return best


def _format_of(data: bytes, ext: str) -> str:
    """The format the bytes are, when the extension says another the atlas reads.

    Web systems export a workbook as "list.csv", or a CSV as "list.xlsx"; the content decides
    (an XLSX is a zip holding ``xl/workbook.xml``, a GeoPackage an SQLite file, GeoJSON an
    object with ``"type"``). Other files keep their extension (and are refused by it).
    """
    if ext not in (".csv", ".txt", ".xlsx", ".xlsm", ".geojson", ".json", ".gpkg", ".zip"):
        return ext
    head = data[:2048]
    if head.startswith(b"PK\x03\x04"):
        return ext if ext in (".xlsx", ".xlsm") else ".xlsx" if b"xl/" in data[:1 << 16] else ".zip"
    if head.startswith(b"SQLite format 3\x00"):
        return ".gpkg"
    if ext == ".zip":  # not a zip: said so when it is opened
        return ext
    if ext in (".xlsx", ".xlsm", ".gpkg"):  # not a zip or SQLite: text of some kind
        stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if stripped.startswith(b"{") and b'"type"' in head:
            return ".geojson"
        if b"\x00" not in head[:512] and (b"," in head or b"\t" in head or b";" in head):
            return ".csv"
    return ext


#: Formats planners may have, and how to save them as one the atlas reads.
_SAVE_AS = {
    ".xls": ("请在 Excel 或 WPS 中另存为 .xlsx 或 CSV", "save it as .xlsx or CSV in Excel or WPS"),
    ".et": ("请在 WPS 中另存为 .xlsx 或 CSV", "save it as .xlsx or CSV in WPS"),
    ".ods": ("请另存为 .xlsx 或 CSV", "save it as .xlsx or CSV"),
    ".kml": ("请在 QGIS 中另存为 GeoPackage 或 GeoJSON", "save it as GeoPackage or GeoJSON in QGIS"),
    ".kmz": ("请在 QGIS 中另存为 GeoPackage 或 GeoJSON", "save it as GeoPackage or GeoJSON in QGIS"),
}
#: A Shapefile's parts uploaded one by one: the message asks for them zipped together.
_SHAPE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_PAIR = re.compile(r"^\s*[(\[（【]?\s*(-?\d{1,3}\.\d+)\s*(?:[,，;；/]\s*|\s+)"
                   r"(-?\d{1,3}\.\d+)\s*[)\]）】]?\s*$")


def split_coordinate_pairs(df: pd.DataFrame, info: readers.ReadInfo) -> pd.DataFrame:
    """A column holding both coordinates in one cell ("121.55,29.87") split into two columns.

    Only for a table without a longitude/latitude column of its own (nor a geometry), and only
    when most filled cells (60 %) of the column are two decimal numbers whose order is clear: longitude
    first (73-136 then 3-54, as AMap and Baidu write them) or latitude first. The new columns are
    named after the source column ("经度（坐标）") and placed after it; a note says so.
    """
    cols = [c for c in df.columns if not str(c).startswith(("_", "geom_"))]
    named = guess_columns(cols)
    if (named["lon"] and named["lat"]) or ("geom_lon" in df.columns and df.geom_lon.ne("").any()):
        return df
    for c in cols:
        cells = df[c].astype(str)
        parts = cells.str.extract(_PAIR)
        a, b = (pd.to_numeric(parts[k], errors="coerce").to_numpy(dtype=float) for k in (0, 1))
        filled = cells.str.strip().ne("").to_numpy()
        ok = np.isfinite(a)
        if not filled.any() or ok[filled].mean() < 0.6:
            continue
        lon_first = float(((a[ok] >= 73) & (a[ok] <= 136) & (b[ok] >= 3) & (b[ok] <= 54)).mean())
        lat_first = float(((b[ok] >= 73) & (b[ok] <= 136) & (a[ok] >= 3) & (a[ok] <= 54)).mean())
        if max(lon_first, lat_first) < 0.8:
            continue
        order = (0, 1) if lon_first >= lat_first else (1, 0)
        out = df.copy()
        at = list(df.columns).index(c) + 1
        for j, (label, k) in enumerate(zip(("经度", "纬度"), order, strict=True)):
            # a cell that is not a pair stays as written in both columns: flagged, never guessed
            values = parts[k].where(parts[k].notna(), cells)
            out.insert(at + j, readers.unique_names([*map(str, out.columns), f"{label}（{c}）"])[-1], values)
        words = ("经度,纬度", "lon,lat") if order == (0, 1) else ("纬度,经度", "lat,lon")
        info.note(f"“{c}”列的坐标写在一格里（{words[0]}），已拆分为经度、纬度两列",
                  f"Column '{c}' holds both coordinates in one cell ({words[1]}); split into longitude "
                  "and latitude")
        out.attrs = df.attrs
        return out
    return df


def _coordinates_from_properties(df: pd.DataFrame, info: readers.ReadInfo) -> None:
    """Geometry wins; a feature without geometry takes lon/lat from its properties, if it has any."""
    props = [c for c in df.columns if not c.startswith(("geom_", "_"))]
    g = guess_columns(props)
    if not (g["lon"] and g["lat"]):
        return
    missing = df.geom_lon.eq("") & df[g["lon"]].astype(str).str.strip().ne("")
    if missing.any():
        df.loc[missing, "geom_lon"] = df.loc[missing, g["lon"]].astype(str).str.strip()
        df.loc[missing, "geom_lat"] = df.loc[missing, g["lat"]].astype(str).str.strip()
        df.loc[missing, "geom_kind"] = "properties"
        info.note(f"{int(missing.sum())} 个要素没有几何，使用了其属性中的经纬度",
                  f"{int(missing.sum())} features without geometry took lon/lat from their properties")
    placed = df.geom_lon.ne("") & ~missing
    if placed.any() and df.loc[placed, g["lon"]].astype(str).str.strip().eq("").any():
        info.note("属性中的经纬度为空或不同时，以要素的几何位置为准",
                  "Where the lon/lat properties are empty or differ, the feature's geometry is used")

