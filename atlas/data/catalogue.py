"""The layer catalogue: one declarative TOML file per map layer in ``layers/``.

A layer file names its source in ``geodata/`` (or the user data folder), an optional filter,
its geometry kind, style, popup/tooltip fields, legend entry, default visibility and draw
order. Adding a layer means adding a file. A bad file fails with a message naming the file
and the field.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from atlas import settings
from atlas.data.geodata import load_districts, load_sites, validate_geoframe
from atlas.errors import CatalogueError

GEOMETRIES = ("point", "polygon", "line")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Layer:
    """One map layer, as declared in its TOML file."""

    id: str
    title_zh: str
    title_en: str
    source: str
    geometry: str
    order: int
    visible: bool
    style: dict[str, Any]
    popup_fields: tuple[str, ...]
    tooltip: str
    legend_zh: str
    legend_en: str
    filter: dict[str, tuple[str, ...]] = field(default_factory=dict)
    attribution: str = ""
    path: str = ""
    attribution_en: str = ""

    def title(self, lang: str = "zh") -> str:
        """Return the layer's title in ``lang``."""
        return self.title_en if lang == "en" else self.title_zh

    def credit(self, lang: str = "zh") -> str:
        """The layer's source line in ``lang`` (``attribution``, or ``attribution_en`` in English)."""
        return (self.attribution_en or self.attribution) if lang == "en" else self.attribution


def _err(path: Path, fld: str, zh: str, en: str) -> CatalogueError:
    return CatalogueError(f"图层文件 {path.name} 字段 `{fld}`：{zh}",
                          f"Layer file {path.name}, field `{fld}`: {en}")


def _require(data: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Path) -> Any:
    if key not in data:
        raise _err(path, key, "缺失", "is missing")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise _err(path, key, f"类型应为 {names}", f"must be of type {names}")
    return value


def parse_layer(path: Path, *, geodata_dir: Path | None = None) -> Layer:
    """Parse and validate one layer file.

    Parameters
    ----------
    path : pathlib.Path
        A ``.toml`` file.
    geodata_dir : pathlib.Path, optional
        Where the layer's ``source`` must exist (default :data:`atlas.settings.GEODATA_DIR`).

    Returns
    -------
    Layer

    Raises
    ------
    atlas.errors.CatalogueError
        Naming the file and the offending field.

    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _err(path, "(file)", f"不是有效的 TOML：{exc}", f"is not valid TOML: {exc}") from exc
    lid = _require(data, "id", str, path)
    if not _ID.match(lid):
        raise _err(path, "id", "只能用小写字母、数字和下划线", "must be lowercase letters, digits, _")
    title_zh = _require(data, "title_zh", str, path)
    title_en = _require(data, "title_en", str, path)
    source = _require(data, "source", str, path)
    gdir = Path(geodata_dir) if geodata_dir is not None else settings.GEODATA_DIR
    if "/" in source or "\\" in source or source.startswith("."):
        raise _err(path, "source", "只能是 geodata/ 中的文件名", "must be a file name in geodata/")
    if not (gdir / source).exists():
        raise _err(path, "source", f"文件不存在：{source}", f"file not found: {source}")
    geometry = _require(data, "geometry", str, path)
    if geometry not in GEOMETRIES:
        raise _err(path, "geometry", f"应为 {GEOMETRIES} 之一", f"must be one of {GEOMETRIES}")
    order = _require(data, "order", int, path)
    visible = _require(data, "visible", bool, path)
    style = _require(data, "style", dict, path)
    color = _require(style, "color", str, path) if "color" in style else None
    if color is None or not _HEX.match(color):
        raise _err(path, "style.color", "应为 #RRGGBB 颜色", "must be a #RRGGBB colour")
    popup = _require(data, "popup", dict, path)
    fields = _require(popup, "fields", list, path)
    if not fields or not all(isinstance(f, str) for f in fields):
        raise _err(path, "popup.fields", "应为非空字符串列表", "must be a non-empty list of strings")
    tooltip = _require(popup, "tooltip", str, path)
    legend = _require(data, "legend", dict, path)
    flt = data.get("filter", {})
    if not isinstance(flt, dict) or not all(isinstance(v, list) for v in flt.values()):
        raise _err(path, "filter", "应为 列名 = [取值…] 的表", "must map column names to lists of values")
    return Layer(
        id=lid, title_zh=title_zh, title_en=title_en, source=source, geometry=geometry,
        order=order, visible=visible, style=dict(style), popup_fields=tuple(fields),
        tooltip=tooltip, legend_zh=str(legend.get("label_zh", title_zh)),
        legend_en=str(legend.get("label_en", title_en)),
        filter={k: tuple(str(x) for x in v) for k, v in flt.items()},
        attribution=str(data.get("attribution", "")), path=str(path),
        attribution_en=str(data.get("attribution_en", "")),
    )


def load_catalogue(*, layers_dir: Path | None = None,
                   geodata_dir: Path | None = None) -> list[Layer]:
    """Load every layer file in ``layers_dir``, sorted by draw order.

    Raises
    ------
    atlas.errors.CatalogueError
        If a file is malformed, no layer is found, or two files share an id.

    """
    ldir = Path(layers_dir) if layers_dir is not None else settings.LAYERS_DIR
    layers = [parse_layer(p, geodata_dir=geodata_dir) for p in sorted(ldir.glob("*.toml"))]
    if not layers:
        raise CatalogueError(f"{ldir} 中没有图层文件", f"No layer files in {ldir}")
    seen: dict[str, str] = {}
    for lyr in layers:
        if lyr.id in seen:
            raise CatalogueError(
                f"图层文件 {Path(lyr.path).name} 字段 `id`：与 {seen[lyr.id]} 重复（{lyr.id}）",
                f"Layer file {Path(lyr.path).name}, field `id`: duplicates {seen[lyr.id]} ({lyr.id})",
            )
        seen[lyr.id] = Path(lyr.path).name
    return sorted(layers, key=lambda x: x.order)


def read_source(source: str, *, geodata_dir: Path | None = None) -> gpd.GeoDataFrame:
    """Read a layer source from ``geodata/`` with the matching validated loader."""
    if source.endswith(".csv"):  # site tables (sites.csv, kepu_galleries.csv)
        return load_sites(geodata_dir=geodata_dir, source=source)
    if source == "districts.geojson":
        return load_districts(geodata_dir=geodata_dir)
    gdir = Path(geodata_dir) if geodata_dir is not None else settings.GEODATA_DIR
    return validate_geoframe(gpd.read_file(gdir / source), name=source)


def layer_frame(layer: Layer, source_frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Apply a layer's filter to its source frame and check its popup fields exist.

    Parameters
    ----------
    layer : Layer
        The layer.
    source_frame : geopandas.GeoDataFrame
        The layer's source, as returned by :func:`read_source`.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer's features (a copy).

    """
    missing = [f for f in (*layer.popup_fields, layer.tooltip) if f not in source_frame.columns]
    if missing:
        raise CatalogueError(
            f"图层文件 {Path(layer.path).name} 字段 `popup`：数据中没有列 {missing}",
            f"Layer file {Path(layer.path).name}, field `popup`: columns not in data: {missing}",
        )
    mask = pd.Series(True, index=source_frame.index)
    for col, values in layer.filter.items():
        if col not in source_frame.columns:
            raise CatalogueError(
                f"图层文件 {Path(layer.path).name} 字段 `filter.{col}`：数据中没有该列",
                f"Layer file {Path(layer.path).name}, field `filter.{col}`: no such column",
            )
        mask &= source_frame[col].astype(str).isin(values)
    return source_frame[mask].copy()
