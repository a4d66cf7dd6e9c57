"""What the coverage map and the gap table show: cells in classes, gaps ranked by what is held.

* :func:`band_cells`: per display H3 cell, the people and land **certainly outside** every
  circle and in the **uncertain band** (offline: within the straight-line upper bound but outside
  the estimate's circles). The map draws the two as their own classes.
* :func:`rank_gaps`: the gap clusters with their area (km², true metres), ranked by area when
  people are placed by area (:attr:`atlas.coverage.summary.CoverageSummary.by_area`), by people
  otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

from atlas import settings

if TYPE_CHECKING:
    from atlas.coverage.summary import CoverageSummary

#: Columns of :func:`band_cells`.
BAND_COLUMNS: tuple[str, ...] = ("h3", "district", "population", "area_km2", "gap", "gap_km2", "band",
                                 "band_km2", "no_data")

#: Class of a display cell (:func:`band_cells` ``cls``): certainly outside, uncertain band, neither.
GAP, BAND, NONE = "gap", "band", ""


def band_cells(summary: CoverageSummary, *, resolution: int | None = None) -> gpd.GeoDataFrame:
    """Display cells with what is certainly outside and what is uncertain, and the cell's class.

    Parameters
    ----------
    summary : CoverageSummary
        The coverage (its demand needs an ``h3`` column).
    resolution : int, optional
        Aggregate to this coarser H3 resolution (the city map uses 7).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`BAND_COLUMNS` (people and km² certainly outside: ``gap``/``gap_km2``; in the
        uncertain band: ``band``/``band_km2``), ``cls`` (:data:`GAP` where most of the cell's
        land, or people when people are known, is certainly outside; :data:`BAND` where most is
        certainly outside or uncertain; "" otherwise) and the cells' polygons (WGS84). With a
        walking network nothing is uncertain. Demand without supply data is never a gap.

    """
    d = summary.demand
    ids = d.h3.to_numpy()
    if resolution is not None:
        ids = np.array([h3.cell_to_parent(c, resolution) if h3.get_resolution(c) > resolution else c
                        for c in ids], dtype=object)
    known = ~summary.no_supply_data
    gap = summary.certainly_outside & known
    band = summary.possibly_within & ~summary.estimate_within & ~summary.certainly_within & known
    pop, area = d.population.to_numpy(dtype=float), np.nan_to_num(summary.areas, nan=0.0)
    df = pd.DataFrame({"h3": ids, "district": d.district.to_numpy(), "population": pop, "area_km2": area,
                       "gap": np.where(gap, pop, 0.0), "gap_km2": np.where(gap, area, 0.0),
                       "band": np.where(band, pop, 0.0), "band_km2": np.where(band, area, 0.0),
                       "no_data": ~known})
    g = df.groupby("h3", sort=True).agg(
        district=("district", "first"), population=("population", "sum"), area_km2=("area_km2", "sum"),
        gap=("gap", "sum"), gap_km2=("gap_km2", "sum"), band=("band", "sum"), band_km2=("band_km2", "sum"),
        no_data=("no_data", "max")).reset_index()
    whole, part, both = ((g.area_km2, g.gap_km2, g.gap_km2 + g.band_km2) if summary.by_area
                         else (g.population, g.gap, g.gap + g.band))
    g["cls"] = np.select([(part > 0) & (2 * part >= whole), (both > 0) & (2 * both >= whole)],
                         [GAP, BAND], NONE)
    polys = [shapely.Polygon([(lo, la) for la, lo in h3.cell_to_boundary(c)]) for c in g.h3]
    return gpd.GeoDataFrame(g, geometry=polys, crs=settings.CRS_WGS84)


def rank_gaps(gaps: gpd.GeoDataFrame, *, crs: str, by_area: bool) -> gpd.GeoDataFrame:
    """Gap clusters with ``area_km2`` (their cells' land, true metres in ``crs``), ranked.

    Ranked by area when people are placed by area (the inputs hold no head count per place), by
    people otherwise; ``rank`` is renumbered 1, 2, ….
    """
    if gaps.empty:
        return gaps.assign(area_km2=pd.Series(dtype=float))
    area = gaps.geometry.to_crs(crs).area.to_numpy() / 1e6
    out = gaps.assign(area_km2=area)
    keys = ["area_km2", "population"] if by_area else ["population", "area_km2"]
    out = out.sort_values(keys, ascending=False, kind="stable").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    cols = [c for c in out.columns if c not in ("area_km2", "geometry")]
    at = cols.index("population") + 1 if "population" in cols else len(cols)
    if by_area:
        at -= 1  # the area, which ranks them, comes before the head count
    cols.insert(at, "area_km2")
    return gpd.GeoDataFrame(out[[*cols, "geometry"]], geometry="geometry", crs=gaps.crs)
