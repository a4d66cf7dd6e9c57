"""Names on the map: districts always, then sites, none over a symbol, a label or a reserved box.

Placement itself is :mod:`atlas.labels`; this module decides what is named and where it may go.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from atlas.labels import boxes_of, place_area_label, place_point_labels
from atlas.staticmap.scene import named, site_xy

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.font_manager import FontProperties
    from matplotlib.text import Text

    from atlas.staticmap.scene import Scene


def short_name(row: Mapping[str, Any], lang: str) -> str:
    """A site's name for a map label: the main name, without bracketed remarks."""
    name = str(row.get("name_en") or "") if lang == "en" else ""
    name = name or str(row.get("name_zh") or row.get("name") or "")
    for opener in ("（", "(", " (", "/"):
        if opener in name and not name.startswith(opener):
            name = name.split(opener)[0]
    name = name.strip()
    limit = 22 if lang == "en" else 12
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _label_districts(ax: Axes, scene: Scene, font: FontProperties, *, size: float,
                     obstacles: np.ndarray) -> list[Text]:
    """District names, always: focus districts bold, neighbours grey, off the site symbols."""
    view = shapely.box(ax.get_xlim()[0], ax.get_ylim()[0], ax.get_xlim()[1], ax.get_ylim()[1])
    texts: list[Text] = []
    d = scene.districts
    for _, r in d.sort_values("focus", ascending=False).iterrows():
        name = str(r.get("name_en") or r["name_zh"]) if scene.lang == "en" else str(r["name_zh"])
        taken = np.vstack([obstacles, boxes_of(texts, ax)]) if texts else obstacles
        txt = place_area_label(ax, r.geometry.intersection(view), name, font,
                               size=size if r.focus else size * 0.85, obstacles=taken, zorder=12,
                               color="#333333" if r.focus else "#8a8a8a",
                               weight="bold" if r.focus else "normal", halo=2.2)
        if txt is not None:
            texts.append(txt)
    return texts


def _symbol_px(ax: Axes, marker_size: float) -> float:
    """Half-size in display pixels of a scatter symbol of area ``marker_size`` (points²)."""
    return float(np.sqrt(marker_size) / 2 * ax.get_figure().dpi / 72)  # type: ignore[union-attr]


def label_map(ax: Axes, scene: Scene, font: FontProperties, *, size: float, marker_size: float,
              reserved: np.ndarray, exclude: tuple[float, float, float, float] | None = None
              ) -> dict[str, Any]:
    """District names, then site names, none overlapping a symbol, a label or ``reserved``.

    Sites inside ``exclude`` (the inset's area on the main map) are named in the inset only.
    Returns the label artists and the sites that found no free place.
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    rows = []
    for lyr, g in scene.points:
        inside = g[g.focus & g.geometry.x.between(x0, x1) & g.geometry.y.between(y0, y1)]
        # a layer of many small points (e.g. 1,183 community galleries) is drawn, not named
        if named(lyr, g):
            rows += [r for _, r in inside.iterrows()]
    if exclude is not None:
        rows = [r for r in rows if not (exclude[0] <= r.geometry.x <= exclude[2]
                                        and exclude[1] <= r.geometry.y <= exclude[3])]
    all_xy = site_xy(scene)
    sym = _symbol_px(ax, marker_size) + 1.0
    disp = ax.transData.transform(all_xy) if len(all_xy) else np.zeros((0, 2))
    symbols = np.column_stack([disp - sym, disp + sym]) if len(disp) else np.zeros((0, 4))
    districts = _label_districts(ax, scene, font, size=size * 1.3,
                                 obstacles=np.vstack([symbols, reserved]))
    rows, merged = _without_district_twins(rows, scene, districts, reach=0.05 * (x1 - x0))
    xy = np.array([(r.geometry.x, r.geometry.y) for r in rows]).reshape(-1, 2)
    names = [short_name(r, scene.lang) for r in rows]
    placed = place_point_labels(ax, xy, names, font, size=size, symbol_px=sym,
                                obstacles=np.vstack([symbols, reserved, boxes_of(districts, ax)]),
                                color="#1a1a1a", zorder=11, halo=1.8)
    return {"districts": districts, "sites": placed.texts, "site_boxes": placed.boxes,
            "dropped": [names[i] for i in placed.dropped], "merged": merged}


_SUFFIXES = ("区", "县", "市", " district", " county", " city")


def _bare(name: str) -> str:
    """A place name without its administrative suffix: "镇海区" → "镇海", "Cixi City" → "cixi"."""
    n = name.strip().lower()
    for suf in _SUFFIXES:
        if n.endswith(suf) and len(n) > len(suf):
            return n[: -len(suf)].strip()
    return n


def _without_district_twins(rows: list[Any], scene: Scene, district_texts: list[Text], *,
                            reach: float) -> tuple[list[Any], list[str]]:
    """Leave out site labels that would only repeat a district label drawn nearby.

    Candidate innovation poles and county hubs are named after their district ("镇海区",
    "慈溪"): beside the district's own label they read as a duplicate. A site whose short name
    is the name of a district labelled on this map, and which lies in that district (or within
    ``reach`` metres of it), keeps its symbol and loses its label. Returns the rows to label
    and the names left to the district label.
    """
    labelled = {_bare(txt.get_text()): txt.get_text() for txt in district_texts}
    if not labelled or not rows:
        return rows, []
    col = "name_en" if scene.lang == "en" and "name_en" in scene.districts else "name_zh"
    shapes = {_bare(str(r[col] or r["name_zh"])): r.geometry for _, r in scene.districts.iterrows()}
    keep, merged = [], []
    for r in rows:
        bare = _bare(short_name(r, scene.lang))
        shape = shapes.get(bare)
        if bare in labelled and shape is not None and shape.distance(r.geometry) <= reach:
            merged.append(short_name(r, scene.lang))
        else:
            keep.append(r)
    return keep, merged
