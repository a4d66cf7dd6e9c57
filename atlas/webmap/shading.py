"""H3 cells shaded on the map: coverage gaps (uncovered people per km²) and E2SFCA access."""

from __future__ import annotations

import html
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


def cells_group(cells: gpd.GeoDataFrame, **kwargs: Any) -> AtlasGroup:
    """:func:`cells_overlay` as a folium group (same arguments)."""
    return cells_overlay(cells, **kwargs).group()


def access_overlay(cells: gpd.GeoDataFrame, *, lang: str = "zh", basemap: str = "osm",
                   name: str | None = None) -> Overlay:
    """H3 cells shaded by E2SFCA score per 10,000 residents (quintiles; grey = none in reach).

    ``cells`` come from :meth:`atlas.accessibility.Accessibility.cells`; cells without people
    are not drawn. One layer for all cells, with a graduated legend; tooltips are escaped.
    """
    shown = cells[cells.population > 0]
    title = name or t("acc_layer", lang)
    if shown.empty:
        return Overlay(None, title)
    built("overlay", "access")
    score = shown.score_per_10k.fillna(0.0).to_numpy()
    pos = score[score > 0]
    edges = np.quantile(pos, [0.2, 0.4, 0.6, 0.8]) if len(pos) else np.zeros(4)
    cls = np.searchsorted(edges, score)
    fill = np.where(score > 0, np.asarray(ACCESS_COLOURS, dtype=object)[cls], ACCESS_NONE)
    shown = shift(shown, basemap)
    unit = "per 10,000" if lang == "en" else "每万人"
    tips = [html.escape(f"{s:.2f} {unit} · {t('pop_value_column', lang)} {p:,.0f}")
            for s, p in zip(score, shown.population, strict=True)]
    spec = {"id": "access", "kind": "polygon", "fields": [],
            "style": {"color": ACCESS_COLOURS[-1], "weight": 0.3, "fill_opacity": 0.6},
            "rows": [[g, tip, None, None, None, None, c] for g, tip, c in
                     zip(display_geometry(shown.geometry.to_numpy()), tips, fill, strict=True)]}
    bounds = [0.0, *edges.tolist(), float(pos.max()) if len(pos) else 0.0]
    ramp = ((ACCESS_NONE, "0"), *((c, f"{bounds[i]:.2f}–{bounds[i + 1]:.2f}")
                                  for i, c in enumerate(ACCESS_COLOURS)))
    entry = LegendEntry(f"E2SFCA ({unit})", kind="ramp", ramp=tuple(ramp))
    return Overlay(keyed(spec), title, (entry,))


def access_group(cells: gpd.GeoDataFrame, **kwargs: Any) -> AtlasGroup:
    """:func:`access_overlay` as a folium group (same arguments)."""
    return access_overlay(cells, **kwargs).group()
