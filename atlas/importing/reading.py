"""Read an uploaded list into a table of strings (the formats themselves are :mod:`atlas.readers`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from atlas import readers, settings
from atlas.errors import UploadError
from atlas.importing.columns import guess_columns, is_header_cell


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
        The layer (GeoPackage) or sheet (XLSX) to read; a GeoPackage with several layers with
        data raises :class:`atlas.readers.LayerChoiceError` (its ``options``) when not given.

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
    ext = Path(str(filename)).suffix.lower()
    limits = readers.Limits(max_bytes=max_bytes, max_rows=max_rows, max_cell_chars=max_cell_chars)
    info = readers.ReadInfo(format=ext.lstrip("."))
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
    df.attrs["read_info"] = info
    return df


def _read_format(data: bytes, ext: str, *, layer: str | None, limits: readers.Limits,
                 info: readers.ReadInfo) -> pd.DataFrame:
    """The file read by the reader of its format (by extension); what was found goes to ``info``."""
    if ext in (".csv", ".txt"):
        text, info.encoding = readers.decode(data, limits=limits)
        info.delimiter = readers.sniff_delimiter(text)
        rows, numbers = readers.csv_rows(text, delimiter=info.delimiter, limits=limits)
        return readers.table_from_rows(rows, numbers, info=info, is_header_cell=is_header_cell,
                                       limits=limits)
    if ext in (".xlsx", ".xlsm"):
        rows, numbers = readers.xlsx_rows(data, sheet=layer, limits=limits, info=info)
        return readers.table_from_rows(rows, numbers, info=info, is_header_cell=is_header_cell,
                                       limits=limits)
    if ext in (".geojson", ".json", ".gpkg"):
        df = readers.geo_table(data, ext, layer=layer, limits=limits, info=info)
        _coordinates_from_properties(df, info)
        return df
    raise UploadError(f"不支持的文件类型：{ext[:12] or '（无扩展名）'}"
                      "（支持 CSV、XLSX、GeoJSON、GeoPackage）",
                      f"Unsupported file type: {ext[:12] or '(none)'} "
                      "(CSV, XLSX, GeoJSON, GeoPackage)")


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

