"""Coverage of the 15-minute science service circle: who is outside every circle.

One multi-source shortest-path pass from all sites at once (scipy ``dijkstra`` with
``min_only``) gives every demand point its walking distance to the nearest site; no polygons
are unioned. Without a network, :func:`proxy_coverage` measures straight-line distance times
the detour factor and labels the result ``euclidean-proxy``.

Distances are true metres in the network's CRS, or for proxies in the UTM zone of the demand;
:attr:`Coverage.crs` records which.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from atlas import settings
from atlas.analysis.service_area import (
    METHOD_NETWORK,
    METHOD_PROXY,
    Snap,
    budget_metres,
    node_distances,
    sites_xy,
    snap,
)
from atlas.errors import ValidationError
from atlas.geo.projection import MetricFrame, metric_crs_for

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from atlas.network import WalkNetwork


@dataclass
class Coverage:
    """Result of a coverage analysis.

    Attributes
    ----------
    distance : numpy.ndarray
        Walking distance (m) from each demand point to its nearest site (inf if beyond reach).
    covered : numpy.ndarray
        ``distance <= budget``.
    budget : float
        Metres.
    method : str
        ``network`` or ``euclidean-proxy``.
    demand : geopandas.GeoDataFrame
        The demand points the figures refer to.
    flagged_sites : list of str
        Sites too far from every street to count (network method).
    crs : str
        The metric CRS the distances were measured in.
    no_data : numpy.ndarray, optional
        Demand whose coverage is unknown (its district's supply source lists no row): never
        counted as uncovered in :meth:`cells` or :meth:`gaps`.

    """

    distance: NDArray[np.float64]
    covered: NDArray[np.bool_]
    budget: float
    method: str
    demand: gpd.GeoDataFrame
    flagged_sites: list[str] = field(default_factory=list)
    crs: str = ""
    _memo: dict[object, gpd.GeoDataFrame] = field(default_factory=dict, repr=False)
    no_data: NDArray[np.bool_] | None = None

    @property
    def uncovered_people(self) -> NDArray[np.float64]:
        """People per demand point outside the budget, 0 where covered or the data is missing."""
        pop = self.demand.population.to_numpy(dtype=float)
        out = np.where(self.covered, 0.0, pop)
        return out if self.no_data is None else np.where(self.no_data, 0.0, out)

    @property
    def total_population(self) -> float:
        """Population of all demand points."""
        return float(self.demand.population.sum())

    @property
    def covered_population(self) -> float:
        """Population within the budget of at least one site."""
        return float(self.demand.population.to_numpy()[self.covered].sum())

    @property
    def pct_covered(self) -> float:
        """Share of population covered, in %."""
        tot = self.total_population
        return 100.0 * self.covered_population / tot if tot else 0.0

    def by_district(self) -> pd.DataFrame:
        """Population, covered population and % covered per district."""
        df = pd.DataFrame({"district": self.demand.district.to_numpy(),
                           "population": self.demand.population.to_numpy(),
                           "covered": np.where(self.covered, self.demand.population.to_numpy(), 0.0)})
        g = df.groupby("district", sort=True)[["population", "covered"]].sum()
        g["uncovered"] = g.population - g.covered
        g["pct_covered"] = 100.0 * g.covered / g.population
        return g.reset_index()

    def cells(self, *, resolution: int | None = None) -> gpd.GeoDataFrame:
        """H3 cells with their population, uncovered population and district.

        Parameters
        ----------
        resolution : int, optional
            Aggregate to this coarser H3 resolution (for display of large areas).

        Returns
        -------
        geopandas.GeoDataFrame
            ``h3``, ``population``, ``uncovered``, ``district``, ``no_data`` (coverage unknown:
            the district's supply source lists no row; ``uncovered`` is 0 there), polygons.

        """
        key = ("cells", resolution)
        if key not in self._memo:
            ids = self.demand.h3.to_numpy()
            if resolution is not None:
                ids = np.array([h3.cell_to_parent(c, resolution) for c in ids], dtype=object)
            pop = self.demand.population.to_numpy()
            nodata = np.zeros(len(pop), bool) if self.no_data is None else self.no_data
            df = pd.DataFrame({"h3": ids, "district": self.demand.district.to_numpy(),
                               "population": pop, "uncovered": self.uncovered_people, "no_data": nodata})
            g = df.groupby("h3", sort=True).agg(population=("population", "sum"),
                                                uncovered=("uncovered", "sum"),
                                                district=("district", "first"),
                                                no_data=("no_data", "max")).reset_index()
            polys = [shapely.Polygon([(lo, la) for la, lo in h3.cell_to_boundary(c)]) for c in g.h3]
            self._memo[key] = gpd.GeoDataFrame(g, geometry=polys, crs=settings.CRS_WGS84)
        return self._memo[key].copy()

    def gaps(self, *, min_population: float = 0.0, places: Any = "shipped") -> gpd.GeoDataFrame:
        """Gap clusters: contiguous uncovered H3 cells of one district, ranked by population.

        A cluster never crosses a district boundary (neighbouring cells of two districts are
        two gaps), so a gap's people never exceed its district's; demand whose coverage is
        unknown (:attr:`no_data`) is never a gap. Each gap is named after the nearest known
        place in its district (:func:`atlas.data.places.name_areas`): the 街道/镇 and 社区/村 of the
        nearest 科普画廊 row, else an OpenStreetMap school or hospital, else the part of the
        district, always with what the place is and how far it is.

        Parameters
        ----------
        min_population : float
            Leave out gaps with no more people than this.
        places : atlas.data.places.Places, "shipped" or None
            Named points to name the gaps by (default: the ones the atlas ships); None leaves
            the naming columns out.

        Returns
        -------
        geopandas.GeoDataFrame
            ``rank``, ``name`` (zh), ``name_en``, ``district``, ``population``, ``streets``
            (街道/镇 the gap's people lie nearest to, from the galleries), ``near_km`` and
            ``name_source`` (what names it), then the H3 details ``n_cells``, ``lon``, ``lat``
            (population-weighted centre), geometry (the cells' outline).

        """
        cells = self._gap_cells()
        cols = ["rank", "population", "district", "n_cells", "lon", "lat"]
        if places is not None:
            cols = ["rank", "name", "name_en", "district", "population", "streets", "near_km", "name_source",
                    "n_cells", "lon", "lat"]
        if cells.empty:
            return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=settings.CRS_WGS84)
        w = cells.w.to_numpy()
        df = cells.assign(wlat=cells.cell_lat * w, wlon=cells.cell_lon * w)
        agg = df.groupby("cluster").agg(population=("w", "sum"), n_cells=("w", "size"), wlat=("wlat", "sum"),
                                        wlon=("wlon", "sum"), district=("district", "first"))
        agg = agg[agg.population > min_population].sort_values("population", ascending=False, kind="stable")
        members = cells.groupby("cluster").h3.apply(list)
        geoms = [shapely.geometry.shape(h3.cells_to_geo(members[c])) for c in agg.index]
        out = gpd.GeoDataFrame({
            "rank": np.arange(1, len(agg) + 1), "population": agg.population.to_numpy(),
            "district": agg.district.to_numpy(), "n_cells": agg.n_cells.to_numpy(),
            "lon": (agg.wlon / agg.population).to_numpy(), "lat": (agg.wlat / agg.population).to_numpy(),
        }, geometry=geoms, crs=settings.CRS_WGS84)
        if places is None or out.empty:
            return out
        from atlas.data.places import load_places, name_areas

        names = name_areas(cells[cells.cluster.isin(agg.index)], agg.index.to_numpy(),
                           places=load_places() if isinstance(places, str) else places,
                           centres=self._district_centres())
        out = pd.concat([out.reset_index(drop=True), names.reset_index(drop=True)], axis=1)
        return gpd.GeoDataFrame(out[[*cols, "geometry"]], geometry="geometry", crs=settings.CRS_WGS84)

    def _gap_cells(self) -> pd.DataFrame:
        """Uncovered people per (district, H3 cell), with the cluster each belongs to.

        Clusters are the connected components of the cells' neighbourhood graph restricted to
        pairs in the same district.
        """
        df = pd.DataFrame({"district": self.demand.district.to_numpy(), "h3": self.demand.h3.to_numpy(),
                           "w": self.uncovered_people})
        cells = df[df.w > 0].groupby(["district", "h3"], sort=True).w.sum().reset_index()
        if cells.empty:
            return cells.assign(cluster=[], cell_lat=[], cell_lon=[])
        index = {(d, c): i for i, (d, c) in enumerate(zip(cells.district, cells.h3, strict=True))}
        rows, nbrs = [], []
        for i, (d, c) in enumerate(zip(cells.district, cells.h3, strict=True)):
            for nb in h3.grid_ring(c, 1):
                j = index.get((d, nb))
                if j is not None:
                    rows.append(i)
                    nbrs.append(j)
        adj = sparse.coo_matrix((np.ones(len(rows)), (rows, nbrs)), shape=(len(cells),) * 2)
        _, label = csgraph.connected_components(adj, directed=False)
        centres = np.array([h3.cell_to_latlng(c) for c in cells.h3])
        return cells.assign(cluster=label, cell_lat=centres[:, 0], cell_lon=centres[:, 1])

    def _district_centres(self) -> dict[str, tuple[float, float]]:
        """Population-weighted centre (lon, lat) of each district's demand."""
        g = self.demand.geometry
        df = pd.DataFrame({"d": self.demand.district.to_numpy(), "w": self.demand.population.to_numpy(float),
                           "x": shapely.get_x(g.to_numpy()), "y": shapely.get_y(g.to_numpy())})
        df = df.assign(wx=df.w * df.x, wy=df.w * df.y)
        s = df.groupby("d")[["w", "wx", "wy"]].sum()
        s = s[s.w > 0]
        return {str(d): (float(r.wx / r.w), float(r.wy / r.w)) for d, r in s.iterrows()}

    def distance_quantiles(self, qs: tuple[float, ...] = (0.25, 0.5, 0.75, 0.9)) -> dict[str, float]:
        """Population-weighted quantiles of the distance to the nearest site (m; inf if beyond)."""
        order = np.argsort(self.distance)
        w = self.demand.population.to_numpy()[order]
        cum = np.cumsum(w) / w.sum()
        return {f"p{int(q * 100)}": float(self.distance[order][np.searchsorted(cum, q)]) for q in qs}


def band_shares(cov: Coverage, budgets_m: Sequence[float], *,
                minutes: Sequence[float] | None = None) -> pd.DataFrame:
    """People within each walking band of the nearest site, per district (exact node distances).

    Parameters
    ----------
    cov : Coverage
        A coverage computed for the largest band (or more): distances up to its budget are exact.
    budgets_m : sequence of float
        Band budgets in metres (e.g. 375, 750, 1,125 for 5/10/15 minutes at 4.5 km/h).
    minutes : sequence of float, optional
        The same bands in minutes, for a ``minutes`` column (left out when not given).

    Returns
    -------
    pandas.DataFrame
        One row per district and band, smallest band first: ``district``, (``minutes``),
        ``metres``, ``population``, ``within`` (people within the band) and ``pct_within``.

    Raises
    ------
    atlas.errors.ValidationError
        If a band exceeds the coverage's budget (its distances would not be exact there).

    """
    order = np.argsort(np.asarray(budgets_m, dtype=float))
    bands = np.asarray(budgets_m, dtype=float)[order]
    if len(bands) and bands[-1] > cov.budget + 1e-9:
        raise ValidationError(f"步行圈 {bands[-1]:.0f} 米超过覆盖计算的距离 {cov.budget:.0f} 米",
                              f"Band {bands[-1]:.0f} m exceeds the coverage budget {cov.budget:.0f} m")
    pop = cov.demand.population.to_numpy(dtype=float)
    frames = []
    for j, b in enumerate(bands):
        df = pd.DataFrame({"district": cov.demand.district.to_numpy(), "population": pop,
                           "within": np.where(cov.distance <= b, pop, 0.0)})
        g = df.groupby("district", sort=True)[["population", "within"]].sum().reset_index()
        g.insert(1, "metres", float(b))
        if minutes is not None:
            g.insert(1, "minutes", float(np.asarray(minutes, dtype=float)[order][j]))
        g["pct_within"] = 100.0 * g.within / g.population.where(g.population > 0, np.inf)
        frames.append(g)
    cols = ["district", *(["minutes"] if minutes is not None else []), "metres", "population", "within",
            "pct_within"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def demand_distances(net: WalkNetwork, demand: gpd.GeoDataFrame, site_xy: NDArray[np.float64], *,
                     limit: float, snap_limit_m: float = settings.SNAP_LIMIT_M
                     ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Distance from each demand point (an edge midpoint) to its nearest site, in one pass.

    Returns
    -------
    tuple
        (distances, mask of sites that could be snapped within ``snap_limit_m``).

    """
    edge = demand.edge.to_numpy()
    half = net.length[edge] / 2.0
    if len(site_xy) == 0:
        return np.full(len(demand), np.inf), np.zeros(0, dtype=bool)
    s = snap(net, site_xy)
    ok = s.access_m <= snap_limit_m
    if not ok.any():
        return np.full(len(demand), np.inf), ok
    sub = Snap(s.edge[ok], s.t[ok], s.access_m[ok], s.point_x[ok], s.point_y[ok])
    d_node = node_distances(net, sub, limit=limit + float(half.max(initial=0.0)), min_only=True)
    d = np.minimum(d_node[net.u[edge]], d_node[net.v[edge]]) + half
    # demand on a site's own edge (every demand point there): straight along the edge
    along = np.full(net.n_edges, np.inf)
    np.minimum.at(along, sub.edge, sub.access_m + np.abs(sub.t - 0.5) * net.length[sub.edge])
    return np.minimum(d, along[edge]), ok


def coverage(net: WalkNetwork, demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *,
             minutes: float = settings.WALK_MINUTES, speed_kmh: float = settings.WALK_SPEED_KMH,
             metres: float | None = None, snap_limit_m: float = settings.SNAP_LIMIT_M,
             id_column: str = "id") -> Coverage:
    """Walking coverage of demand by sites on a network (one multi-source pass).

    Parameters
    ----------
    net : WalkNetwork
        The network the demand was built on.
    demand : geopandas.GeoDataFrame
        From :func:`atlas.analysis.demand.demand_points`.
    sites : geopandas.GeoDataFrame
        Point sites (WGS84).
    minutes, speed_kmh, metres : float
        Budget (see :func:`atlas.analysis.service_area.budget_metres`).
    snap_limit_m : float
        Sites farther from every street are ignored and reported.
    id_column : str
        Site id column.

    Returns
    -------
    Coverage

    """
    budget = budget_metres(minutes=minutes, speed_kmh=speed_kmh, metres=metres)
    xy = sites_xy(sites, crs=net.crs) if len(sites) else np.zeros((0, 2))
    d, ok = demand_distances(net, demand, xy, limit=budget, snap_limit_m=snap_limit_m)
    flagged = sites[id_column].astype(str)[~ok].tolist() if len(sites) else []
    return Coverage(d, d <= budget, budget, METHOD_NETWORK, demand, flagged, crs=net.crs)


def proxy_coverage(demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *,
                   minutes: float = settings.WALK_MINUTES, speed_kmh: float = settings.WALK_SPEED_KMH,
                   metres: float | None = None, detour_factor: float = settings.DETOUR_FACTOR
                   ) -> Coverage:
    """Straight-line coverage (no network): distance = straight line x detour factor.

    Labelled ``euclidean-proxy``; never presented as walking coverage. Distances are measured
    in the UTM zone of the demand (:func:`atlas.geo.projection.metric_crs_for`).
    """
    budget = budget_metres(minutes=minutes, speed_kmh=speed_kmh, metres=metres)
    crs = metric_crs_for(demand if len(demand) else sites) if len(demand) or len(sites) else ""
    if len(sites) == 0 or len(demand) == 0:
        d = np.full(len(demand), np.inf)
    else:
        tree = cKDTree(sites_xy(sites, crs=crs))
        straight, _ = tree.query(demand_xy(demand, crs=crs))
        d = straight * detour_factor
    return Coverage(d, d <= budget, budget, METHOD_PROXY, demand, crs=crs)


def demand_xy(demand: gpd.GeoDataFrame, *, crs: str) -> NDArray[np.float64]:
    """Metric coordinates of demand points in ``crs`` (from their WGS84 geometry), shape (n, 2)."""
    geoms = demand.geometry.to_numpy()
    x, y = MetricFrame(crs).to_metric(shapely.get_x(geoms), shapely.get_y(geoms))
    return np.column_stack([x, y])
