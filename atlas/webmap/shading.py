"""H3 cells shaded on the map: coverage gaps, the uncertain band, and E2SFCA access.

Gaps are shaded by uncovered people per km², or as one class where people are placed by area;
the uncertain band of offline bounds is its own class; E2SFCA classes break at round numbers.
"""

from __future__ import annotations

import html
import itertools
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from atlas import palette
from atlas.i18n import t
from atlas.webmap.config import TIP_CHARS
from atlas.webmap.elements import AtlasGroup
from atlas.webmap.geometry import display_geometry, shift
from atlas.webmap.hooks import built
from atlas.webmap.legend import LegendEntry
from atlas.webmap.overlays import Overlay
from atlas.webmap.popups import clip_text
from atlas.webmap.specs import keyed

#: Sequential ramp of E2SFCA scores (ColorBrewer BuGn, 5 classes); grey = nobody's site in reach.
ACCESS_COLOURS: tuple[str, ...] = ("#edf8fb", "#b2e2e2", "#66c2a4", "#2ca25f", "#006d2c")
ACCESS_NONE = "#bdbdbd"

#: Class colours of :func:`class_overlay`: certainly outside (the gap ramp's darkest but one) and
#: the uncertain band between the straight-line bounds (a purple no other layer uses).
CLASS_COLOURS: dict[str, str] = {"gap": "#EC7014", "band": "#9E9AC8"}


def nice_breaks(values: np.ndarray, n: int = 5) -> list[float]:
    """``n - 1`` class breaks near the quantiles of ``values``, at round numbers (1, 2, 2.5, 5 × 10^k).

    Equal breaks after rounding are merged, so fewer classes may come back.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if not len(v):
        return []
    out: list[float] = []
    for q in np.quantile(v, np.linspace(0, 1, n + 1)[1:-1]):
        if q <= 0:
            continue
        k = 10.0 ** np.floor(np.log10(q))
        steps = np.array([1.0, 2.0, 2.5, 5.0, 10.0]) * k
        r = float(steps[np.argmin(np.abs(steps - q))])
        if not out or r > out[-1]:
            out.append(r)
    return out


def _number(x: float) -> str:
    """A class break as read: no trailing zeros ("2.5", "10", "0.05")."""
    return f"{x:,.4f}".rstrip("0").rstrip(".")


def _clipped(cells: gpd.GeoDataFrame, clip: shapely.Geometry | None) -> gpd.GeoDataFrame:
    """``cells`` cut at ``clip`` if given; empty cells dropped."""
    geoms = cells.geometry.to_numpy()
    if clip is not None:
        shapely.prepare(clip)
        geoms = np.where(shapely.contains_properly(clip, geoms), geoms, shapely.intersection(geoms, clip))
    keep = ~shapely.is_empty(geoms)
    return gpd.GeoDataFrame(cells.drop(columns="geometry"), geometry=geoms, crs=cells.crs)[keep]


def cells_overlay(cells: gpd.GeoDataFrame, *, lang: str = "zh", value: str = "uncovered",
                  basemap: str = "osm", name: str | None = None,
                  clip: shapely.Geometry | None = None) -> Overlay:
    """H3 cells shaded by uncovered people per km² (the gap map), on the palette's fixed classes.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        From :meth:`atlas.coverage.Coverage.cells` (``h3``, ``district`` and ``value`` columns).
    lang : {"zh", "en"}
        Language of tooltips and legend.
    value : str
        Column of uncovered people.
    basemap : str
        The basemap in use (overlays are shifted to GCJ-02 over AMap).
    name : str, optional
        Layer name.
    clip : shapely geometry, optional
        Cut the shading at this boundary (the districts analysed), WGS84.

    Returns
    -------
    Overlay
        One layer for all cells, with a graduated legend entry (people per km²).

    """
    shown = cells[cells[value] > 0]
    title = name or t("cov_gap_layer", lang)
    if shown.empty:
        return Overlay(None, title)
    built("overlay", "cells")
    # colours from the whole cell's density (its people over its full area), before any cut
    shown = shown.assign(_fill=palette.gap_colour(palette.uncovered_density(
        shown.rename(columns={value: "uncovered"}))))
    shown = shift(_clipped(shown, clip), basemap)
    tips = [html.escape(f"{clip_text(str(d), TIP_CHARS)} · {t('cov_uncovered', lang)}: {v:,.0f}")
            for d, v in zip(shown.district, shown[value], strict=True)]
    spec = {"id": "cells", "kind": "polygon", "fields": [],
            "style": {"color": palette.GAP_COLOURS[-1], "weight": 0.3, "fill_opacity": palette.GAP_OPACITY},
            "rows": [[g, tip, None, None, None, None, c] for g, tip, c in
                     zip(display_geometry(shown.geometry.to_numpy()), tips, shown["_fill"].tolist(),
                         strict=True)]}
    ramp = tuple((c, lab) for lab, c in palette.gap_legend(lang))
    entry = LegendEntry(palette.gap_units(lang), kind="ramp", ramp=ramp,
                        note=t("gap_clipped", lang) if clip is not None else "")
    return Overlay(keyed(spec), title, (entry,))


def class_overlay(cells: gpd.GeoDataFrame, cls: str, *, lang: str = "zh", basemap: str = "osm",
                  name: str, legend: str, tips: list[str], clip: shapely.Geometry | None = None) -> Overlay:
    """The cells of one class (``cells.cls == cls``, :func:`atlas.coverage.cells.band_cells`) in one colour.

    Used where a density ramp would say nothing (people placed by area: every gap cell has the
    same density) and for the uncertain band, which gets its own legend line (never mixed into
    the gap colours). ``tips`` are the plain-text tooltips of ``cells``' rows (escaped here).
    """
    keep = (cells["cls"] == cls).to_numpy()
    shown = cells[keep]
    if shown.empty:
        return Overlay(None, name)
    built("overlay", f"class-{cls}")
    colour = CLASS_COLOURS[cls]
    shown = shift(_clipped(shown.assign(_tip=np.asarray(tips, dtype=object)[keep]), clip), basemap)
    spec = {"id": f"class_{cls}", "kind": "polygon", "fields": [],
            "style": {"color": colour, "weight": 0.3, "fill_opacity": palette.GAP_OPACITY},
            "rows": [[g, html.escape(clip_text(str(tip), 3 * TIP_CHARS)), None, None, None, None, colour]
                     for g, tip in zip(display_geometry(shown.geometry.to_numpy()), shown["_tip"],
                                       strict=True)]}
    note = t("gap_clipped", lang) if clip is not None else ""
    entry = LegendEntry(legend, color=colour, kind="area", note=note)
    return Overlay(keyed(spec), name, (entry,))


def cells_group(cells: gpd.GeoDataFrame, **kwargs: Any) -> AtlasGroup:
    """:func:`cells_overlay` as a folium group (same arguments)."""
    return cells_overlay(cells, **kwargs).group()


def access_overlay(cells: gpd.GeoDataFrame, *, lang: str = "zh", basemap: str = "osm",
                   name: str | None = None) -> Overlay:
    """H3 cells shaded by E2SFCA score per 10,000 residents (quintiles; grey = none in reach).

    ``cells`` come from :meth:`atlas.analysis.accessibility.Accessibility.cells`; cells without people
    are not drawn. One layer for all cells, with a graduated legend; tooltips are escaped.
    """
    shown = cells[cells.population > 0]
    title = name or t("acc_layer", lang)
    if shown.empty:
        return Overlay(None, title)
    built("overlay", "access")
    score = shown.score_per_10k.fillna(0.0).to_numpy()
    pos = score[score > 0]
    edges = np.asarray(nice_breaks(pos, len(ACCESS_COLOURS)))
    colours = np.asarray(ACCESS_COLOURS[len(ACCESS_COLOURS) - len(edges) - 1:], dtype=object)
    cls = np.searchsorted(edges, score, side="right")
    fill = np.where(score > 0, colours[cls], ACCESS_NONE)
    shown = shift(shown, basemap)
    unit = "per 10,000" if lang == "en" else "每万人"
    tips = [html.escape(f"{s:.2f} {unit} · {t('pop_value_column', lang)} {p:,.0f}")
            for s, p in zip(score, shown.population, strict=True)]
    spec = {"id": "access", "kind": "polygon", "fields": [],
            "style": {"color": ACCESS_COLOURS[-1], "weight": 0.3, "fill_opacity": 0.6},
            "rows": [[g, tip, None, None, None, None, c] for g, tip, c in
                     zip(display_geometry(shown.geometry.to_numpy()), tips, fill, strict=True)]}
    labels = ([f"< {_number(edges[0])}"] if len(edges) else ["> 0"]) + [
        f"{_number(a)}–{_number(b)}" for a, b in itertools.pairwise(edges)] + (
        [f"≥ {_number(edges[-1])}"] if len(edges) else [])
    ramp = ((ACCESS_NONE, "0"), *zip(colours.tolist(), labels, strict=True))
    entry = LegendEntry(f"E2SFCA ({unit})", kind="ramp", ramp=tuple(ramp))
    return Overlay(keyed(spec), title, (entry,))


def access_group(cells: gpd.GeoDataFrame, **kwargs: Any) -> AtlasGroup:
    """:func:`access_overlay` as a folium group (same arguments)."""
    return access_overlay(cells, **kwargs).group()
