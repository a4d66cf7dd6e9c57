"""The map's browser files: vendored Leaflet 1.9.4 (BSD-2), Leaflet.draw 1.0.4 (MIT), atlas.js.

Served as links (the app serves ``atlas/static``; browsers cache them) or inlined as data:
URLs, so that an exported HTML file opens without a network.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

import folium

from atlas.webmap.config import STATIC

_JS_FILES = (("leaflet", "leaflet/leaflet.js"), ("atlas", "atlas/atlas.js"))
_CSS_FILES = (("leaflet_css", "leaflet/leaflet.css"),)


def data_url(path: Path, mime: str) -> str:
    """The file at ``path`` as a base64 data: URL."""
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


@lru_cache(maxsize=16)
def file_version(rel: str) -> str:
    """A short hash of a static file's content (a cache-busting ``?v=``)."""
    return hashlib.sha1((STATIC / rel).read_bytes()).hexdigest()[:12]


def _link(base_url: str | None, rel: str, mime: str) -> str:
    if base_url is None:
        return data_url(STATIC / rel, mime)
    return f"{base_url}{rel}?v={file_version(rel)}"


@lru_cache(maxsize=4)
def map_assets(base_url: str | None = None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Return the map's JS and CSS links: vendored Leaflet 1.9.4 (BSD-2) and the atlas runtime.

    Parameters
    ----------
    base_url : str, optional
        Where ``atlas/static`` is served (the app serves it, and browsers cache it). ``None``
        inlines the files as data: URLs, so that an exported HTML file opens without a network.

    Returns
    -------
    tuple
        (js, css) lists of (name, url), as folium's ``default_js`` / ``default_css``.

    """
    return ([(n, _link(base_url, rel, "text/javascript")) for n, rel in _JS_FILES],
            [(n, _link(base_url, rel, "text/css")) for n, rel in _CSS_FILES])


@lru_cache(maxsize=1)
def draw_assets() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Leaflet.draw 1.0.4 (MIT, vendored) as data: URLs, its sprite images inlined in the CSS."""
    base = STATIC / "leaflet-draw"
    css = (base / "leaflet.draw.css").read_text(encoding="utf-8")
    for name, mime in (("spritesheet.svg", "image/svg+xml"), ("spritesheet-2x.png", "image/png"),
                       ("spritesheet.png", "image/png")):
        css = css.replace(f"url('images/{name}')", f"url('{data_url(base / 'images' / name, mime)}')")
    css_url = "data:text/css;base64," + base64.b64encode(css.encode("utf-8")).decode()
    return ([("leaflet_draw_js", data_url(base / "leaflet.draw.js", "text/javascript"))],
            [("leaflet_draw_css", css_url)])


def add_draw_control(m: folium.Map, *, asset_url: str | None = None) -> folium.Map:
    """Let the user draw one rectangle or polygon (the area to analyse); works offline.

    ``asset_url``: where ``atlas/static`` is served (default: inlined, see :func:`map_assets`).
    """
    from folium.plugins import Draw

    draw = Draw(export=False, position="topleft",
                draw_options={"polyline": False, "circle": False, "marker": False,
                              "circlemarker": False, "rectangle": True, "polygon": True},
                edit_options={"edit": False, "remove": True})
    if asset_url is None:
        draw.default_js, draw.default_css = draw_assets()
    else:
        draw.default_js = [("leaflet_draw_js", _link(asset_url, "leaflet-draw/leaflet.draw.js", ""))]
        draw.default_css = [("leaflet_draw_css", _link(asset_url, "leaflet-draw/leaflet.draw.css", ""))]
    draw.add_to(m)
    return m
