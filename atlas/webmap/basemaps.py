"""Basemap tiles: OpenStreetMap, Tianditu (with the user's key), AMap (GCJ-02), or none."""

from __future__ import annotations

import re
from collections.abc import Callable

import folium

from atlas.errors import ValidationError

BASEMAPS: tuple[str, ...] = ("osm", "tianditu", "amap", "none")
_TIANDITU_KEY = re.compile(r"^[0-9A-Za-z]{16,64}$")


def basemap_datum(basemap: str) -> str:
    """Return the datum overlays must be drawn in for ``basemap`` (AMap tiles are GCJ-02)."""
    return "gcj02" if basemap == "amap" else "wgs84"


def _osm(m: folium.Map, key: str | None) -> str:
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=False).add_to(m)
    return "osm"


def _tianditu(m: folium.Map, key: str | None) -> str:
    key = (key or "").strip()
    if not key:
        return "none"
    if not _TIANDITU_KEY.match(key):
        raise ValidationError("天地图密钥格式不对（应为字母和数字）",
                              "The Tianditu key is malformed (letters and digits only)")
    for lyr in ("vec", "cva"):
        folium.TileLayer(
            tiles=(f"https://t{{s}}.tianditu.gov.cn/{lyr}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                   f"&VERSION=1.0.0&LAYER={lyr}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                   f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"),
            attr="天地图 Tianditu", name=f"Tianditu {lyr}", subdomains="01234567",
            control=False, overlay=lyr == "cva",
        ).add_to(m)
    return "tianditu"


def _amap(m: folium.Map, key: str | None) -> str:
    folium.TileLayer(
        tiles=("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
               "&style=8&x={x}&y={y}&z={z}"),
        attr="© 高德 AMap (GCJ-02)", name="AMap", subdomains="1234", control=False,
    ).add_to(m)
    return "amap"


_TILES: dict[str, Callable[[folium.Map, str | None], str]] = {
    "osm": _osm, "tianditu": _tianditu, "amap": _amap, "none": lambda m, key: "none"}


def add_tiles(m: folium.Map, basemap: str, *, tianditu_key: str | None) -> str:
    """Add the basemap's tile layers; return the basemap actually used.

    Tianditu without a key falls back to "none".

    Raises
    ------
    atlas.errors.ValidationError
        On an unknown basemap or a malformed Tianditu key.

    """
    add = _TILES.get(basemap)
    if add is None:
        raise ValidationError(f"未知底图 {basemap!r}", f"Unknown basemap {basemap!r}")
    return add(m, tianditu_key)
