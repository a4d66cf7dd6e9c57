"""GeoJSON and GeoPackage features as text columns, with each feature's position and extent.

(Shapefiles are read by the same functions, :mod:`atlas.readers.shapefile`.)

Layers are listed first (a file with several asks which one), the feature count is checked
before reading, and GDAL's messages never reach the user with server paths.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from atlas import settings
from atlas.errors import UploadError
from atlas.readers.base import (
    LayerChoiceError,
    Limits,
    ReadInfo,
    cell_too_long,
    clean_detail,
    note,
    short,
    too_many_rows,
    unique_names,
    upload_error,
)


def list_geo_layers(path: Path, *, encoding: str | None = None) -> list[tuple[str, int]]:
    """(name, feature count) of every layer of a vector file."""
    import pyogrio

    out = []
    for name, _ in pyogrio.list_layers(path):
        info = pyogrio.read_info(path, layer=str(name), encoding=encoding)
        out.append((str(name), int(info.get("features", -1))))
    return out


def _geometry_columns(gdf: Any) -> pd.DataFrame:
    """``geom_kind``, ``geom_lon``, ``geom_lat`` and ``geom_extent_m`` of each feature (WGS84)."""
    from atlas.geo.projection import MetricFrame, metric_crs_for

    geoms = gdf.geometry.to_numpy()
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    type_id = np.where(present, shapely.get_type_id(geoms), -1)
    single_point = (type_id == 0) | ((type_id == 4) & (shapely.get_num_geometries(geoms) == 1))
    kind = np.select([~present, single_point, np.isin(type_id, (1, 2, 5)), np.isin(type_id, (3, 6))],
                     ["none", "point", "line", "polygon"], default="other")
    rep = np.array([None] * len(geoms), dtype=object)
    rep[present] = shapely.point_on_surface(geoms[present])
    line = type_id == 1  # a line's representative point is its middle, not a vertex at one end
    if line.any():
        rep[line] = shapely.line_interpolate_point(geoms[line], 0.5, normalized=True)
    lon = np.full(len(geoms), np.nan)
    lat = np.full(len(geoms), np.nan)
    lon[present] = shapely.get_x(rep[present])
    lat[present] = shapely.get_y(rep[present])
    extent = np.zeros(len(geoms))
    shaped = present & ~single_point
    if shaped.any():
        frame = MetricFrame(metric_crs_for(shapely.union_all(rep[shaped])))
        mg = frame.geometry_to_metric(geoms[shaped])
        mp = frame.geometry_to_metric(rep[shaped])
        # the farthest any part of the shape lies from its representative point
        extent[shaped] = shapely.hausdorff_distance(mp, mg)
    return pd.DataFrame({
        "geom_kind": kind,
        "geom_lon": np.where(present, np.round(lon, 8).astype(str), ""),
        "geom_lat": np.where(present, np.round(lat, 8).astype(str), ""),
        "geom_extent_m": np.where(shaped, np.round(extent, 1).astype(str), ""),
    }, index=gdf.index)


def _read_layer(path: Path, *, layer: str | None, limits: Limits, info: ReadInfo,
                encoding: str | None = None) -> Any:
    import pyogrio

    layers = list_geo_layers(path, encoding=encoding)
    info.layers = [n for n, _ in layers]
    with_data = [n for n, c in layers if c != 0]
    if layer is None and len(with_data) > 1:
        raise LayerChoiceError(
            f"文件含 {len(with_data)} 个有数据的图层（{'、'.join(with_data)[:200]}），请选择一个",
            f"The file holds {len(with_data)} layers with data ({', '.join(with_data)[:200]}); "
            "choose one", options=with_data)
    name = layer if layer is not None else (with_data or info.layers)[0]
    if name not in info.layers:
        raise UploadError(f"文件中没有图层 {name[:60]}", f"The file has no layer {name[:60]}")
    count = dict(layers)[name]
    if count > limits.max_rows:
        raise too_many_rows(limits.max_rows, count)
    info.layer = name
    gdf = pyogrio.read_dataframe(path, layer=name, max_features=limits.max_rows + 1, fid_as_index=True,
                                 encoding=encoding)
    if path.suffix == ".gpkg":
        _text_after_nul(path, name, gdf)
    return gdf


def _text_after_nul(path: Path, layer: str, gdf: Any) -> None:
    """Text GDAL cut at a NUL character, read whole from the GeoPackage's table (cleaned later).

    GDAL ends a string at its first NUL (a name "宁波<NUL>博物馆" reads as "宁波"); SQLite keeps
    the whole text, found here by the layer's primary key (the frame's index).
    """
    import sqlite3

    def quoted(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.text_factory = bytes
    try:
        cols = [(c[1].decode("utf-8", errors="replace"), c[5])
                for c in con.execute(f"PRAGMA table_info({quoted(layer)})")]
        pk = next((name for name, key in cols if key == 1), None)
        text = [name for name, _ in cols if name in gdf.columns and gdf[name].dtype.kind not in "biufcM"]
        for col in text if pk is not None else []:
            query = (f"SELECT {quoted(str(pk))}, {quoted(col)} FROM {quoted(layer)} "
                     f"WHERE instr({quoted(col)}, char(0)) > 0")
            for fid, raw in con.execute(query):
                if fid in gdf.index:
                    gdf[col] = gdf[col].astype(object)
                    whole = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
                    gdf.loc[fid, col] = whole
    except sqlite3.Error:
        return  # what GDAL read stays as it read it
    finally:
        con.close()


#: JSON escapes GDAL would lose with what follows them: NUL ends its strings, and a lone
#: surrogate takes the next character with it (a valid pair, an emoji, is kept). An escaped
#: backslash before them ("\\\\u0000", the text "\\u0000") is not an escape.
_LOSSY_ESCAPE = re.compile(
    rb"(?<!\\)((?:\\\\)*)(\\u0000|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})")


def _without_lossy_escapes(data: bytes) -> bytes:
    """The JSON text with those escapes made a zero-width space, which cleaning removes with a note.

    (:func:`atlas.readers.clean_cells` then names the rows, as for any invisible character.)
    """
    return _LOSSY_ESCAPE.sub(rb"\1\\u200b", data)


def geo_table(data: bytes, ext: str, *, layer: str | None, limits: Limits, info: ReadInfo
              ) -> pd.DataFrame:
    """Features of one layer as text columns plus geometry columns and ``_geometry`` (WGS84)."""
    if ext in (".geojson", ".json") and _LOSSY_ESCAPE.search(data):
        data = _without_lossy_escapes(data)
    with tempfile.TemporaryDirectory() as d:
        # a private temp file whose only part from the user is the whitelisted extension
        tmp = Path(d) / f"upload{ext}"
        tmp.write_bytes(data)
        gdf = read_geo_file(tmp, layer=layer, limits=limits, info=info)
    if len(info.layers) > 1:
        info.note(f"已读取图层“{info.layer}”（文件共有 {len(info.layers)} 个图层）",
                  f"Read layer '{info.layer}' (the file has {len(info.layers)} layers)")
    return geo_frame(to_wgs84(gdf, info=info), limits=limits, info=info)


def read_geo_file(path: Path, *, layer: str | None, limits: Limits, info: ReadInfo,
                  encoding: str | None = None) -> Any:
    """One layer of a vector file in a private temporary folder, as a GeoDataFrame.

    GDAL's warnings and messages name the temporary file: they are silenced, and an error's
    message reaches the user without the folder (:func:`atlas.readers.clean_detail`).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _read_layer(path, layer=layer, limits=limits, info=info, encoding=encoding)
    except UploadError:
        raise
    except Exception as exc:  # GDAL's messages name the temporary file: never show them raw
        detail = clean_detail(str(exc), tmpdir=str(path.parent))
        kind = path.suffix[1:]
        raise UploadError(f"文件无法读取（{kind} 格式有误）：{detail}",
                          f"The file cannot be read (malformed {kind}): {detail}") from exc


def to_wgs84(gdf: Any, *, info: ReadInfo) -> Any:
    """The features in WGS84 (CGCS2000 longitude/latitude kept as they are); a note names the CRS."""
    if gdf.crs is None or gdf.crs.to_epsg() in (4326, 4490):
        return gdf
    crs = crs_label(gdf.crs)
    try:
        out = gdf.to_crs(settings.CRS_WGS84)
    except Exception as exc:  # a CRS pyproj cannot transform (an engineering or local one)
        raise upload_error("geo_crs_failed", crs=crs) from exc
    note(info, "geo_converted", crs=crs)
    return out


#: Geodetic datums by a word of their name, as Chinese planners call them.
_DATUMS_ZH = (("China 2000", "CGCS2000"), ("CGCS", "CGCS2000"), ("New Beijing", "新北京 54"),
              ("Beijing 1954", "北京 54"), ("Xian 1980", "西安 80"), ("1984", "WGS84"), ("WGS", "WGS84"))


def crs_label(crs: Any) -> tuple[str, str]:
    """A coordinate system's name in Chinese and English, with its EPSG code when it has one.

    English: the name pyproj gives ("CGCS2000 / 3-degree Gauss-Kruger CM 120E (EPSG:4549)");
    Chinese: its datum and projection as Chinese planners name them ("CGCS2000 高斯-克吕格投影
    （中央经线 120°E，EPSG:4549）").
    """
    epsg = crs.to_epsg()
    code = f"EPSG:{epsg}" if epsg else ""
    name = str(crs.name) if crs.name and crs.name != "unknown" else "the file's coordinate system"
    en = short(f"{name} ({code})" if code else name, 80)
    datum = crs.geodetic_crs.datum.name if crs.geodetic_crs is not None else ""
    words = [zh for word, zh in _DATUMS_ZH if word in datum][:1]
    op = crs.coordinate_operation if crs.is_projected else None
    method = op.method_name if op is not None else ""
    centre = [p.value for p in op.params if p.name == "Longitude of natural origin"] if op else []
    if crs.utm_zone:
        words.append(f"UTM {crs.utm_zone} 带")
    elif method == "Transverse Mercator" and centre:
        meridian = f"中央经线 {abs(centre[0]):g}°{'E' if centre[0] >= 0 else 'W'}"
        code = f"{meridian}，{code}" if code else meridian
        words.append("高斯-克吕格投影")
    elif "Mercator" in method:
        words.append("墨卡托投影")
    else:
        words.append("投影坐标系" if crs.is_projected else "经纬度坐标系")
    zh = " ".join(words) + (f"（{code}）" if code else "")
    return short(zh, 80), en


def geo_frame(gdf: Any, *, limits: Limits, info: ReadInfo) -> pd.DataFrame:
    """A GeoDataFrame's attributes as text columns, its geometry columns and ``_geometry``."""
    if len(gdf) > limits.max_rows:
        raise too_many_rows(limits.max_rows)
    props = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    if len(props.columns) > limits.max_columns:
        raise UploadError(f"列数过多（{len(props.columns):,} 列，上限 {limits.max_columns}）",
                          f"Too many columns ({len(props.columns):,}; limit {limits.max_columns})")
    props = props.astype(object).where(props.notna(), "").map(
        lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))
    for j, c in enumerate(props.columns):
        lengths = props[c].str.len()
        if len(lengths) and lengths.max() > limits.max_cell_chars:
            raise cell_too_long(int(np.argmax(lengths.to_numpy())) + 1, j + 1, limits.max_cell_chars)
    props.columns = unique_names([str(c).strip() or f"列{j + 1}" for j, c in enumerate(props.columns)])
    geo = _geometry_columns(gdf)
    info.geometry_counts = {str(k): int(v) for k, v in geo.geom_kind.value_counts().items()}
    out = pd.concat([props.reset_index(drop=True), geo.reset_index(drop=True)], axis=1)
    out["_geometry"] = gdf.geometry.to_numpy()
    out.attrs["source_rows"] = np.arange(1, len(out) + 1)  # feature numbers
    return out
