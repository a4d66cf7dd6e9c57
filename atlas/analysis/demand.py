"""Where people live: district populations spread onto the walking network (dasymetric).

Demand points sit at the midpoints of network edges. Each district's resident population is
shared among the edges inside it in proportion to a weight, best source first:

1. ``buildings`` — floor area of residential building footprints (area x ``building:levels``,
   1 level where untagged), each building assigned to its nearest edge;
2. ``residential-streets`` — length of ``highway=residential|living_street`` edges;
3. ``all-streets`` — length of all walkable edges.

A district's total is kept exactly when the network covers the whole district. When it covers
only part, the district's population is first scaled by the covered share of its area
(recorded in ``district_share``), so a partial network is not credited with the whole district.
The method used is recorded per point and per district.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

from atlas import settings
from atlas.errors import ValidationError
from atlas.geo.projection import metric_crs_for
from atlas.network.osmfile import RESIDENTIAL_BUILDINGS, buildings_from_osm_file

if TYPE_CHECKING:
    from atlas.network import WalkNetwork

METHODS = ("buildings", "residential-streets", "all-streets")
#: Re-exported: building footprints are read with the network, from the same OSM file.
__all__ = ["METHODS", "RESIDENTIAL_BUILDINGS", "buildings_from_osm_file", "demand_points",
           "h3_cells", "network_footprint", "proxy_demand"]


def network_footprint(net: WalkNetwork, *, resolution: int = 8) -> shapely.Geometry:
    """The area a network covers, in the network's CRS (true square metres).

    The union of the H3 cells (res 8, ~0.7 km2) holding its nodes. Coarse on purpose: it only
    scales district populations for partial networks, and buffering every edge would cost
    seconds at city scale.
    """
    cells = set(h3_cells(net.lon, net.lat, resolution=resolution).tolist())
    shape = h3.cells_to_geo(list(cells))
    geom = shapely.geometry.shape(shape)
    return gpd.GeoSeries([geom], crs=settings.CRS_WGS84).to_crs(net.crs).iloc[0]


def h3_cells(lon: np.ndarray, lat: np.ndarray, *, resolution: int = settings.H3_RESOLUTION
             ) -> np.ndarray:
    """H3 cell ids (strings) of WGS84 points."""
    return np.array([h3.latlng_to_cell(float(b), float(a), resolution) for a, b in
                     zip(lon, lat, strict=True)], dtype=object)


def demand_points(net: WalkNetwork, districts: gpd.GeoDataFrame, population: pd.DataFrame, *,
                  buildings: gpd.GeoDataFrame | None = None,
                  resolution: int = settings.H3_RESOLUTION) -> gpd.GeoDataFrame:
    """Spread district populations onto the network's edges.

    Parameters
    ----------
    net : WalkNetwork
        The walking network.
    districts : geopandas.GeoDataFrame
        District polygons (WGS84) with a ``name_zh`` column.
    population : pandas.DataFrame
        ``district_zh`` and ``resident_pop_2024`` columns.
    buildings : geopandas.GeoDataFrame, optional
        Residential building footprints (WGS84 polygons; optional ``building:levels``).
    resolution : int
        H3 resolution of the ``h3`` column.

    Returns
    -------
    geopandas.GeoDataFrame
        One point per edge with population > 0: ``edge``, ``x``, ``y`` (in ``net.crs``),
        ``district``, ``population``, ``method``, ``district_share``, ``h3``; WGS84 geometry.

    Raises
    ------
    atlas.errors.ValidationError
        If a district has no population figure, or the network lies in no district.

    """
    pop = population.set_index("district_zh")["resident_pop_2024"]
    missing = sorted(set(districts.name_zh) - set(pop.index))
    if missing:
        raise ValidationError(f"缺少这些区县的人口：{missing}", f"No population for districts: {missing}")
    mx = 0.5 * (net.x[net.u] + net.x[net.v])
    my = 0.5 * (net.y[net.u] + net.y[net.v])
    mlon = 0.5 * (net.lon[net.u] + net.lon[net.v])
    mlat = 0.5 * (net.lat[net.u] + net.lat[net.v])
    district = np.full(net.n_edges, "", dtype=object)
    metric_d = districts.to_crs(net.crs)
    for name, geom in zip(metric_d.name_zh, metric_d.geometry, strict=True):
        shapely.prepare(geom)
        district[(district == "") & shapely.contains_xy(geom, mx, my)] = name
    if (district == "").all():
        raise ValidationError("路网不在任何区县内", "The network lies in no district")
    weight = np.zeros(net.n_edges)
    method = np.full(net.n_edges, "", dtype=object)
    bld_w = _building_weights(net, buildings) if buildings is not None and len(buildings) else None
    res = net.residential if net.residential is not None else np.zeros(net.n_edges, bool)
    footprint = network_footprint(net)
    shares: dict[str, float] = {}
    for name, geom in zip(metric_d.name_zh, metric_d.geometry, strict=True):
        in_d = district == name
        if not in_d.any():
            continue
        if bld_w is not None and bld_w[in_d].sum() > 0:
            w, m = bld_w[in_d], "buildings"
        elif res[in_d].any():
            w, m = np.where(res[in_d], net.length[in_d], 0.0), "residential-streets"
        else:
            w, m = net.length[in_d].astype(float), "all-streets"
        share = min(1.0, geom.intersection(footprint).area / geom.area)
        share = 1.0 if share > 0.98 else share
        shares[name] = share
        weight[in_d] = float(pop[name]) * share * w / w.sum()
        method[in_d] = m
    keep = weight > 0
    out = gpd.GeoDataFrame({
        "edge": np.flatnonzero(keep), "x": mx[keep], "y": my[keep],
        "district": district[keep], "population": weight[keep], "method": method[keep],
        "district_share": [shares[d] for d in district[keep]],
        "h3": h3_cells(mlon[keep], mlat[keep], resolution=resolution),
    }, geometry=shapely.points(mlon[keep], mlat[keep]), crs=settings.CRS_WGS84)
    return out


def _building_weights(net: WalkNetwork, buildings: gpd.GeoDataFrame) -> np.ndarray:
    """Floor area of buildings, summed onto their nearest edge."""
    b = buildings.to_crs(net.crs)
    levels = pd.to_numeric(b.get("building:levels", pd.Series(1, index=b.index)), errors="coerce")
    floor = b.geometry.area.to_numpy() * np.clip(np.nan_to_num(levels.to_numpy(), nan=1.0), 1, 100)
    _, nearest = net.edge_tree.query_nearest(b.geometry.centroid.to_numpy(), all_matches=False)
    w = np.zeros(net.n_edges)
    np.add.at(w, nearest, floor)
    return w


def proxy_demand(districts: gpd.GeoDataFrame, population: pd.DataFrame, *,
                 resolution: int = 8) -> gpd.GeoDataFrame:
    """Demand with no network: each district's population spread evenly over its H3 cells.

    Used only with straight-line proxy coverage, and labelled ``area-uniform``. ``x``/``y``
    are in the UTM zone of the districts (:func:`atlas.geo.projection.metric_crs_for`). ``extent_m``
    is each cell's radius: its people may live anywhere in it; ``area_km2`` its land (true km²
    in the same UTM zone), the quantity the inputs really hold.
    """
    pop = population.set_index("district_zh")["resident_pop_2024"]
    rows = []
    for name, geom in zip(districts.name_zh, districts.geometry, strict=True):
        cells = sorted(h3.geo_to_cells(geom.__geo_interface__, resolution))
        if not cells:
            continue
        lat, lon = np.array([h3.cell_to_latlng(c) for c in cells]).T
        rows.append(pd.DataFrame({"h3": cells, "lon": lon, "lat": lat, "district": name,
                                  "population": float(pop[name]) / len(cells)}))
    df = pd.concat(rows, ignore_index=True)
    gdf = gpd.GeoDataFrame(df, geometry=shapely.points(df.lon, df.lat), crs=settings.CRS_WGS84)
    crs = metric_crs_for(districts)
    metric = gdf.to_crs(crs)
    gdf["x"], gdf["y"] = metric.geometry.x.to_numpy(), metric.geometry.y.to_numpy()
    hexes = gpd.GeoSeries([shapely.Polygon([(lo, la) for la, lo in h3.cell_to_boundary(c)]) for c in gdf.h3],
                          crs=settings.CRS_WGS84)
    gdf["area_km2"] = hexes.to_crs(crs).area.to_numpy() / 1e6
    gdf["method"] = "area-uniform"
    gdf["district_share"] = 1.0
    gdf["edge"] = -1
    gdf["extent_m"] = cell_radius_m(gdf.h3.to_numpy())
    return gdf


def cell_radius_m(cells: np.ndarray) -> np.ndarray:
    """Distance (m) from each H3 cell's centre to its farthest vertex: how far its people may be.

    Coverage bounds (:mod:`atlas.coverage.summary`) use it as the demand point's ``extent_m``.
    """
    out = np.empty(len(cells))
    for i, c in enumerate(cells):
        centre = h3.cell_to_latlng(c)
        out[i] = max(h3.great_circle_distance(centre, v, "m") for v in h3.cell_to_boundary(c))
    return out

