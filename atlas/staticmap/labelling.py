"""Names on the map: districts always, then sites, none over a symbol, a label or a reserved box.

Placement itself is :mod:`atlas.labels`; this module decides what is named and where it may go.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from atlas.labels import boxes_of, place_area_label, place_point_labels
from atlas.staticmap.legend import wrap_label
from atlas.staticmap.scene import named, site_xy

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.font_manager import FontProperties
    from matplotlib.text import Text

    from atlas.staticmap.scene import Scene


_OPENERS = ("（", "(", "/")


def short_name(row: Mapping[str, Any], lang: str) -> str:
    """A site's name for a map label: the main name, without bracketed remarks (never cut)."""
    name = full_name(row, lang)
    for opener in _OPENERS:
        if opener in name and not name.startswith(opener):
            name = name.split(opener)[0]
    return name.strip()


def full_name(row: Mapping[str, Any], lang: str) -> str:
    """A site's whole name in ``lang`` (its English name in English, when it has one)."""
    name = str(row.get("name_en") or "").strip() if lang == "en" else ""
    return " ".join((name or str(row.get("name_zh") or row.get("name") or "")).split())


def wrap_name(name: str, lang: str) -> str:
    """A label broken into short, even lines (at most 8 CJK characters, or about 22 letters).

    Never cut off. A bracketed part ("（钱湖校区）") starts a line of its own when the name is
    broken; a Chinese name is cut into lines of even length ("鄞州城南智 / 创大走廊", not a
    lone last character).
    """
    width = 22.0 if lang == "en" else 8.0
    if _ems(name) <= width:
        return name
    at = min((i for i in (name.find("（"), name.find("(")) if i > 0), default=-1)
    if at > 0:
        return wrap_name(name[:at].strip(), lang) + "\n" + wrap_name(name[at:].strip(), lang)
    lines = math.ceil(_ems(name) / width)
    even = _ems(name) / lines
    while len(wrap_label(name, even).split("\n")) > lines and even < width:
        even += 0.25
    return wrap_label(name, even)


def _ems(text: str) -> float:
    """Width of ``text`` in em (CJK characters 1, others 0.55), as :func:`wrap_label` counts."""
    return sum(1.0 if ord(ch) > 0x2E80 else 0.55 for ch in text)


def site_labels(scene: Scene) -> dict[tuple[str, Any], str]:
    """The label of every named site of ``scene`` (key: layer id, row index), unique on the page.

    The short name (:func:`short_name`) unless two sites share it ("浙江万里学院" for two
    campuses): those get their whole names ("浙江万里学院（钱湖校区）"). Sites whose whole
    names are the same too get their district's name; any still alike are labelled once (the
    first, focus districts first) and the others keep their symbol only. Names are wrapped onto
    lines (:func:`wrap_name`), never truncated.
    """
    rows = [(lyr.id, i, r) for lyr, g in scene.points if named(lyr, g)
            for i, r in g.sort_values("focus", ascending=False, kind="stable").iterrows()]
    short = [short_name(r, scene.lang) for _, _, r in rows]
    counts = pd.Series(short, dtype=object).value_counts() if short else pd.Series(dtype=int)
    names = [full_name(r, scene.lang) if counts.get(s, 0) > 1 else s for s, (_, _, r) in zip(short, rows,
                                                                                          strict=True)]
    counts = pd.Series(names, dtype=object).value_counts() if names else pd.Series(dtype=int)
    out: dict[tuple[str, Any], str] = {}
    seen: set[str] = set()
    for name, (lid, i, r) in zip(names, rows, strict=True):
        if counts.get(name, 0) > 1 and str(r.get("district") or ""):
            name = f"{name} ({scene.district_label(str(r['district']))})" if scene.lang == "en" else \
                f"{name}（{r['district']}）"
        label = wrap_name(name, scene.lang)
        if label in seen:
            continue
        seen.add(label)
        out[(lid, i)] = label
    return out


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
    labels = scene.site_labels()
    rows, names = [], []
    for lyr, g in scene.points:
        inside = g[g.focus & g.geometry.x.between(x0, x1) & g.geometry.y.between(y0, y1)]
        # a layer of many small points (e.g. 1,183 community galleries) is drawn, not named
        if named(lyr, g):
            keep = [(r, labels[(lyr.id, i)]) for i, r in inside.iterrows() if (lyr.id, i) in labels]
            rows += [r for r, _ in keep]
            names += [n for _, n in keep]
    if exclude is not None:
        keep_i = [k for k, r in enumerate(rows) if not (exclude[0] <= r.geometry.x <= exclude[2]
                                                       and exclude[1] <= r.geometry.y <= exclude[3])]
        rows, names = [rows[k] for k in keep_i], [names[k] for k in keep_i]
    all_xy = site_xy(scene)
    sym = _symbol_px(ax, marker_size) + 1.0
    disp = ax.transData.transform(all_xy) if len(all_xy) else np.zeros((0, 2))
    symbols = np.column_stack([disp - sym, disp + sym]) if len(disp) else np.zeros((0, 4))
    districts = _label_districts(ax, scene, font, size=size * 1.3,
                                 obstacles=np.vstack([symbols, reserved]))
    rows, names, merged = _without_district_twins(rows, names, scene, districts, reach=0.05 * (x1 - x0))
    xy = np.array([(r.geometry.x, r.geometry.y) for r in rows]).reshape(-1, 2)
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


def _without_district_twins(rows: list[Any], names: list[str], scene: Scene, district_texts: list[Text], *,
                            reach: float) -> tuple[list[Any], list[str], list[str]]:
    """Leave out site labels that would only repeat a district label drawn nearby.

    Candidate innovation poles and county hubs are named after their district ("镇海区",
    "慈溪"): beside the district's own label they read as a duplicate. A site whose short name
    is the name of a district labelled on this map, and which lies in that district (or within
    ``reach`` metres of it), keeps its symbol and loses its label. Returns the rows to label,
    their labels and the names left to the district label.
    """
    labelled = {_bare(txt.get_text()): txt.get_text() for txt in district_texts}
    if not labelled or not rows:
        return rows, names, []
    col = "name_en" if scene.lang == "en" and "name_en" in scene.districts else "name_zh"
    shapes = {_bare(str(r[col] or r["name_zh"])): r.geometry for _, r in scene.districts.iterrows()}
    keep, kept, merged = [], [], []
    for r, label in zip(rows, names, strict=True):
        bare = _bare(short_name(r, scene.lang))
        shape = shapes.get(bare)
        if bare in labelled and shape is not None and shape.distance(r.geometry) <= reach:
            merged.append(short_name(r, scene.lang))
        else:
            keep.append(r)
            kept.append(label)
    return keep, kept, merged
