"""Coverage figures for pages, exports and the dashboard: one function, never a bare guess.

:func:`coverage_summary` is the single source of every coverage figure the atlas shows.

* **With a walking network** (``method = "network"``) the share of people within the walking
  budget is a value: lower bound = upper bound = estimate.
* **Without one** (``method = "straight-line-bounds"``) only bounds are certain. Walking is never
  shorter than the straight line, so

  - a demand point farther than the budget in a straight line from every site is **certainly
    outside** (``certain_gap_population``);
  - the share within the budget in a straight line is an **upper bound** (``pct_upper``:
    "at most X % within 15 minutes");
  - nothing is certainly inside (``pct_lower`` is NaN: a river or a wall can make any
    straight-line neighbour unreachable);
  - circles of radius budget / detour factor (1.3) give an **estimate** (``pct_estimate``),
    always labelled as one.

A demand point may stand for people spread over an area (an H3 cell, a raster pixel): its
``extent_m`` column (metres, 0 when absent) is the radius that area reaches from the point, and
the bounds hold wherever in it the people live (certainly outside only if the whole area is
beyond the budget). Likewise a site's stated positional error (``est_error_m``, e.g. 300 m for
galleries placed at their host 村委会) is allowed for: the bounds hold wherever within that
error the site really is. The estimate uses the points as recorded. Percentages of zones
without population are NaN with ``status = "no_population"``, never 0 %.

Two things every figure says about itself:

* **how people were placed** (:attr:`CoverageSummary.demand_method`, worded by
  :func:`demand_label`): the default offline population is each district's total spread evenly
  by area, an estimate, and the head counts say so wherever they are shown;
* **where the supply data is missing**: a supply source that lists no row for a district (the
  科普画廊 source has none for 奉化区 and 宁海县, recorded in its provenance) leaves that
  district's coverage unknown, not zero. Such districts get ``status = "supply_data_missing"``,
  NaN percentages and a ``note``; the figures of larger areas (the city) leave their people out
  and say so (:attr:`CoverageSummary.supply_missing`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from atlas import settings
from atlas.analysis.odmatrix import (
    SiteDemandMatrix,
    demand_crs,
    lonlat_xy,
    network_crs,
    straight_line_matrix,
)
from atlas.analysis.service_area import METHOD_NETWORK, budget_metres
from atlas.coverage import Coverage, coverage
from atlas.coverage.text import DEMAND_WORDS, by_area, demand_label
from atlas.coverage.text import headline as headline_text
from atlas.errors import ValidationError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from atlas.network import WalkNetwork

METHOD_BOUNDS = "straight-line-bounds"

#: ``status`` of a zone whose supply source lists no row there: its coverage is unknown.
SUPPLY_DATA_MISSING = "supply_data_missing"

#: Columns of every per-zone table (:meth:`CoverageSummary.by_district`, ``by_zone``, ``city``).
TABLE_COLUMNS: tuple[str, ...] = (
    "zone", "population", "pct_lower", "pct_upper", "pct_estimate", "certain_gap_population",
    "uncertain_population", "status", "method", "note",
)

#: Added after ``zone`` when people are placed by area (:attr:`CoverageSummary.by_area`): what is
#: certain is an area (km²).
AREA_COLUMNS: tuple[str, ...] = ("area_km2", "certain_gap_area_km2")

__all__ = ["AREA_COLUMNS", "DEMAND_WORDS", "METHOD_BOUNDS", "SUPPLY_DATA_MISSING", "TABLE_COLUMNS",
           "CoverageSummary", "assign_zones", "coverage_summary", "demand_label", "site_errors"]

@dataclass
class CoverageSummary:
    """Coverage of demand by a set of sites, as bounds (offline) or a network value.

    Build it with :func:`coverage_summary`; see the module docstring for what each figure means.

    Attributes
    ----------
    method : str
        ``network`` or ``straight-line-bounds``.
    budget_m : float
        Walking budget in metres.
    detour_factor : float
        Used for the straight-line estimate only.
    supply : str
        Which sites: ``bases``, ``galleries``, ``both`` or ``custom``.
    n_sites : int
        Sites in play.
    demand : geopandas.GeoDataFrame
        The demand points (``population``, ``district``, optional ``extent_m``).
    distance : numpy.ndarray
        Per demand point: walking distance to the nearest site (network; inf beyond the
        budget), or straight-line distance (bounds; a lower bound of the walking distance;
        inf beyond the budget plus the point's extent).
    crs : str
        Metric CRS of the distances.
    flagged_sites : list of str
        Network sites too far from every street to count.
    lower_distance : numpy.ndarray or None
        Bounds only: straight-line distance to the nearest place a site may really be (its
        recorded point minus its positional error); what the bounds use.
    supply_missing : dict of str to tuple of str
        District -> the supply layers whose source lists no row there
        (:func:`atlas.analysis.supply.districts_without_data`): coverage there is unknown.

    """

    method: str
    budget_m: float
    detour_factor: float
    supply: str
    n_sites: int
    demand: gpd.GeoDataFrame
    distance: NDArray[np.float64]
    crs: str
    flagged_sites: list[str] = field(default_factory=list)
    lower_distance: NDArray[np.float64] | None = field(default=None, repr=False)
    matrix: SiteDemandMatrix | None = field(default=None, repr=False)
    _net: WalkNetwork | None = field(default=None, repr=False)
    _tree: cKDTree | None = field(default=None, repr=False)
    _xy: NDArray[np.float64] | None = field(default=None, repr=False)
    _err_max: float = field(default=0.0, repr=False)
    _cov: tuple[tuple[int, int, int], Coverage] | None = field(default=None, repr=False)
    supply_missing: dict[str, tuple[str, ...]] = field(default_factory=dict)

    # --- what the figures stand on -------------------------------------------------------
    @property
    def demand_method(self) -> str:
        """How people were placed: the demand's ``method`` (``mixed`` if several, ``""`` if unstated)."""
        if "method" not in self.demand.columns or self.demand.empty:
            return ""
        methods = self.demand["method"].astype(str).unique()
        return str(methods[0]) if len(methods) == 1 else "mixed"

    def demand_label(self, lang: str = "zh", *, form: str = "noun", column: str | None = None) -> str:
        """:func:`demand_label` of this summary's demand (headers, metric labels, captions)."""
        return demand_label(self.demand_method, lang, form=form, column=column)

    @property
    def by_area(self) -> bool:
        """True when people were placed by area: what is certain is an area; gaps rank by area.

        A ``mixed`` demand counts as placed by area when any of its points is.
        """
        if "method" not in self.demand.columns or self.demand.empty:
            return False
        return any(by_area(str(m)) for m in self.demand["method"].astype(str).unique())

    @property
    def areas(self) -> NDArray[np.float64]:
        """Land (km²) each demand point stands for: its ``area_km2``, else its H3 cell's area, else NaN."""
        if "area_km2" in self.demand.columns:
            return self.demand.area_km2.to_numpy(dtype=float)
        if self.by_area and "h3" in self.demand.columns:
            return np.array([h3.cell_area(str(c), "km^2") for c in self.demand.h3], dtype=float)
        return np.full(len(self.demand), np.nan)

    @property
    def no_supply_data(self) -> NDArray[np.bool_]:
        """Demand in districts whose supply source lists no row: coverage there is unknown."""
        if not self.supply_missing or "district" not in self.demand.columns:
            return np.zeros(len(self.demand), bool)
        return self.demand.district.isin(list(self.supply_missing)).to_numpy()

    def supply_note(self, districts: list[str] | None = None, lang: str = "zh") -> str:
        """Why ``districts`` (default: all with demand here) have no coverage figure, or ""."""
        from atlas.analysis.supply import missing_note

        present = set(self.demand.district[self.no_supply_data]) if len(self.demand) else set()
        names = sorted(present if districts is None else set(districts) & present)
        layers = sorted({lyr for d in names for lyr in self.supply_missing[d]})
        return missing_note(names, layers, lang) if names else ""

    # --- per demand point ---------------------------------------------------------------
    @property
    def extent(self) -> NDArray[np.float64]:
        """Radius (m) of the area each demand point stands for (0 when not given)."""
        if "extent_m" in self.demand.columns:
            return self.demand.extent_m.to_numpy(dtype=float)
        return np.zeros(len(self.demand))

    @property
    def possibly_within(self) -> NDArray[np.bool_]:
        """Demand that may be within the budget (upper bound); exact with a network."""
        if self.method == METHOD_NETWORK or self.lower_distance is None:
            return self.distance <= self.budget_m
        return self.lower_distance - self.extent <= self.budget_m

    @property
    def certainly_outside(self) -> NDArray[np.bool_]:
        """Demand certainly beyond the budget of every site."""
        return ~self.possibly_within

    @property
    def certainly_within(self) -> NDArray[np.bool_]:
        """Demand certainly within the budget: only known with a network."""
        if self.method == METHOD_NETWORK:
            return self.distance <= self.budget_m
        return np.zeros(len(self.distance), bool)

    @property
    def estimate_within(self) -> NDArray[np.bool_]:
        """Demand within the budget by the estimate (straight line x detour factor offline)."""
        if self.method == METHOD_NETWORK:
            return self.distance <= self.budget_m
        return self.distance * self.detour_factor <= self.budget_m

    # --- tables -------------------------------------------------------------------------
    def table(self, groups: NDArray[np.object_], *, zones: list[str] | None = None,
              lang: str = "zh") -> pd.DataFrame:
        """Figures per group label (one per demand point); ``zones`` lists every zone to show.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`TABLE_COLUMNS`, one row per zone (zones without people included,
            with NaN percentages and ``status = "no_population"``). A zone lying wholly in
            districts without supply data has ``status = "supply_data_missing"``, NaN
            percentages and certain gap, and a ``note`` (in ``lang``); a zone partly there
            counts only its people with data (``population``) and its note names the rest.

        """
        pop = self.demand.population.to_numpy(dtype=float)
        known = ~self.no_supply_data
        df = pd.DataFrame({
            "zone": np.asarray(groups, dtype=object), "population": pop,
            "known": np.where(known, pop, 0.0),
            "lower": np.where(self.certainly_within & known, pop, 0.0),
            "upper": np.where(self.possibly_within & known, pop, 0.0),
            "estimate": np.where(self.estimate_within & known, pop, 0.0),
            "gap": np.where(self.certainly_outside & known, pop, 0.0),
            "area": self.areas, "gap_area": np.where(self.certainly_outside & known, self.areas, 0.0),
        })
        sums = ["population", "known", "lower", "upper", "estimate", "gap", "area", "gap_area"]
        g = df.groupby("zone", sort=True)[sums].sum(min_count=1)
        if zones is not None:
            g = g.reindex(pd.Index(list(dict.fromkeys(zones)), name="zone"), fill_value=0.0)
        g = g.reset_index()
        out = self._finish(g)
        if (~known).any():
            no_data = df.assign(district=self.demand.district.to_numpy())[~known]
            lacking = no_data[no_data.population > 0].groupby("zone").district.unique()
            out["note"] = [self.supply_note(list(lacking.get(z, [])), lang) or np.nan for z in out.zone]
        return out

    def _finish(self, g: pd.DataFrame) -> pd.DataFrame:
        people, has = g.population > 0, g.known > 0
        missing = people & ~has
        denom = g.known.where(has)
        population = g.population.where(missing, g.known)  # with data, except where none has
        out = pd.DataFrame({
            "zone": g.zone.astype(str), "population": population,
            "pct_lower": 100.0 * g.lower / denom if self.method == METHOD_NETWORK else np.nan,
            "pct_upper": 100.0 * g.upper / denom,
            "pct_estimate": 100.0 * g.estimate / denom,
            "certain_gap_population": g.gap.where(~missing),
            "uncertain_population": population - g.gap - g.lower,
            "status": np.select([~people, missing], ["no_population", SUPPLY_DATA_MISSING], "ok"),
            "method": self.method,
            "note": np.nan,  # missing unless there is something to say (reads "—" in tables)
        })[list(TABLE_COLUMNS)]
        if self.by_area:
            out.insert(1, "area_km2", g.area.to_numpy())
            out.insert(2, "certain_gap_area_km2", g.gap_area.where(~missing).to_numpy())
        return out.reset_index(drop=True)

    def by_district(self, lang: str = "zh") -> pd.DataFrame:
        """Figures per district (the demand's ``district`` column); notes in ``lang``.

        ``lang`` may be given by position, like :meth:`headline`'s (cached callers pass args).
        """
        return self.table(self.demand.district.to_numpy(dtype=object), lang=lang)

    def by_zone(self, zones: gpd.GeoDataFrame, *, name_column: str = "zone", lang: str = "zh"
                ) -> pd.DataFrame:
        """Figures per planner's zone (polygons, WGS84); demand outside every zone is left out.

        Every zone gets a row; zones holding no people say so (``status``), not 0 %.
        """
        label = assign_zones(self.demand, zones, name_column=name_column)
        inside = label != ""
        low = self.lower_distance[inside] if self.lower_distance is not None else None
        sub = replace(self, demand=self.demand[inside], distance=self.distance[inside], lower_distance=low,
                      matrix=None)
        return sub.table(label[inside], zones=zones[name_column].astype(str).tolist(), lang=lang)

    def city(self, *, name: str = "全市", lang: str = "zh") -> pd.Series:
        """Figures for all demand together (one row of the same columns).

        People in districts without supply data are left out of every figure (``note`` says so).
        """
        return self.table(np.full(len(self.demand), name, dtype=object), lang=lang).iloc[0]

    # --- words --------------------------------------------------------------------------
    def headline(self, lang: str = "zh") -> str:
        """The city figure as one qualified sentence (:func:`atlas.coverage.text.headline`)."""
        return headline_text(self.method, dict(self.city(lang=lang)), demand=self.demand_method,
                             budget_m=self.budget_m, detour_factor=self.detour_factor, lang=lang)

    # --- maps and updates ---------------------------------------------------------------
    @property
    def budget(self) -> float:
        """Walking budget in metres (the name :class:`atlas.coverage.Coverage` uses)."""
        return self.budget_m

    def cells(self, *, resolution: int | None = None) -> gpd.GeoDataFrame:
        """H3 cells with population and uncovered population (certain gaps offline)."""
        return self.coverage().cells(resolution=resolution)

    def band_cells(self, *, resolution: int | None = None) -> gpd.GeoDataFrame:
        """Display cells certainly outside and in the uncertain band (:mod:`atlas.coverage.cells`)."""
        from atlas.coverage.cells import band_cells

        return band_cells(self, resolution=resolution)

    def gaps(self, *, min_population: float = 0.0, places: Any = "shipped") -> gpd.GeoDataFrame:
        """Gap clusters, cut at district boundaries and named (:meth:`atlas.coverage.Coverage.gaps`).

        Offline these are the certain gaps; districts without supply data have none. Each has its
        ``area_km2``; they are ranked by area when people are placed by area (:attr:`by_area`),
        by people otherwise (:func:`atlas.coverage.cells.rank_gaps`).
        """
        from atlas.coverage.cells import rank_gaps

        gaps = self.coverage().gaps(min_population=min_population, places=places)
        return rank_gaps(gaps, crs=self.crs, by_area=self.by_area)

    def coverage(self) -> Coverage:
        """A :class:`atlas.coverage.Coverage` for cells and gap maps.

        Offline its ``covered`` is "possibly within" (upper bound), so its ``gaps()`` are the
        certain gaps; its ``method`` says ``straight-line-bounds``. Demand in districts without
        supply data is its ``no_data``: never a gap, marked in ``cells()``.
        """
        key = (id(self.distance), id(self.lower_distance), id(self.demand))
        if self._cov is None or self._cov[0] != key:
            self._cov = (key, Coverage(self.distance, self.possibly_within, self.budget_m, self.method,
                                       self.demand, list(self.flagged_sites), crs=self.crs,
                                       no_data=self.no_supply_data))
        return self._cov[1]

    def with_added_sites(self, sites: gpd.GeoDataFrame) -> CoverageSummary:
        """The summary after adding sites: only the new sites' distances are computed.

        Offline, an added site's positional error is capped at the largest of the base sites.
        """
        if len(sites) == 0:
            return self
        if self.method == METHOD_NETWORK:
            if self._net is None:
                raise ValidationError("缺少路网，无法增量更新", "No network to update with")
            from atlas.analysis.odmatrix import network_matrix

            new = network_matrix(self._net, self.demand, lonlat_xy(sites, crs=self.crs), cutoff=self.budget_m)
        else:
            assert self._xy is not None and self._tree is not None and self.matrix is not None
            # added sites (a planner's clicks) state no error; one larger than every base site's
            # is capped there, so that the kept matrix's cutoff still holds
            err = np.minimum(site_errors(sites), self._err_max)
            new = straight_line_matrix(lonlat_xy(sites, crs=self.crs), self._xy,
                                       cutoff=self.matrix.cutoff, crs=self.crs, demand_tree=self._tree)
            low = self.lower_distance if self.lower_distance is not None else self.distance
            return replace(self, distance=np.minimum(self.distance, new.nearest()),
                           lower_distance=np.minimum(low, new.nearest(minus=err)),
                           n_sites=self.n_sites + len(sites), matrix=self.matrix.append(new))
        matrix = self.matrix.append(new) if self.matrix is not None else None
        return replace(self, distance=np.minimum(self.distance, new.nearest()),
                       n_sites=self.n_sites + len(sites), matrix=matrix)


def assign_zones(demand: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *, name_column: str = "zone"
                 ) -> NDArray[np.object_]:
    """The zone (``name_column`` value) each demand point lies in, ``""`` outside all zones.

    Where zones overlap, the first listed wins.
    """
    if name_column not in zones.columns:
        raise ValidationError(f"分区文件没有名称列 {name_column}", f"The zones have no column {name_column}")
    z = zones.to_crs(settings.CRS_WGS84) if zones.crs is not None else zones
    tree = shapely.STRtree(z.geometry.to_numpy())
    pts, hit = tree.query(demand.geometry.to_numpy(), predicate="intersects")
    out = np.full(len(demand), "", dtype=object)
    order = np.lexsort((-hit, pts))  # for each point, the first zone last -> it wins below
    names = z[name_column].astype(str).to_numpy()
    out[pts[order]] = names[hit[order]]
    return out


def _near_network(net: WalkNetwork, sites: gpd.GeoDataFrame, *, margin_m: float) -> NDArray[np.bool_]:
    """Sites inside the network's bounding box grown by ``margin_m`` (the rest are out of its area)."""
    if len(sites) == 0:
        return np.zeros(0, bool)
    pad_lat = margin_m / 110_574.0
    pad_lon = margin_m / (111_320.0 * max(np.cos(np.radians(float(np.mean(net.lat)))), 0.1))
    x, y = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
    return ((x >= net.lon.min() - pad_lon) & (x <= net.lon.max() + pad_lon)
            & (y >= net.lat.min() - pad_lat) & (y <= net.lat.max() + pad_lat))


def coverage_summary(demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *,
                     network: WalkNetwork | None = None, minutes: float = settings.WALK_MINUTES,
                     speed_kmh: float = settings.WALK_SPEED_KMH, metres: float | None = None,
                     detour_factor: float = settings.DETOUR_FACTOR, supply: str = "custom",
                     snap_limit_m: float = settings.SNAP_LIMIT_M, position_error: bool = True,
                     supply_missing: Mapping[str, Sequence[str]] | None = None) -> CoverageSummary:
    """Coverage of ``demand`` by ``sites``: network value, or straight-line bounds and estimate.

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        Demand points (WGS84) with ``population`` and ``district``; network demand also has
        ``edge``; optional ``extent_m`` (see the module docstring).
    sites : geopandas.GeoDataFrame
        Positioned sites (WGS84), e.g. from :func:`atlas.analysis.supply.supply_sites`.
    network : WalkNetwork, optional
        The walking network ``demand`` was built on; without one, bounds are computed.
    minutes, speed_kmh, metres : float
        Budget (:func:`atlas.analysis.service_area.budget_metres`).
    detour_factor : float
        Straight-line estimate: walking = straight line x this (offline only).
    supply : str
        Label of the site set (``bases``, ``galleries``, ``both``, ``custom``).
    snap_limit_m : float
        Network sites farther from every street are left out and listed.
    position_error : bool
        Offline bounds allow for each site's ``est_error_m`` (default). The estimate and the
        network value use the recorded points.
    supply_missing : mapping of district to layer ids, optional
        Districts whose supply source lists no row (coverage unknown there). Default: what
        ``sites.attrs["districts_without_data"]`` says (:func:`atlas.analysis.supply.supply_sites` sets
        it from the layers' provenance); pass ``{}`` to treat every district as covered by data.

    Returns
    -------
    CoverageSummary

    Examples
    --------
    >>> s = coverage_summary(demand, supply_sites("galleries"), supply="galleries")  # doctest: +SKIP
    >>> s.headline("en"), s.by_district()                                            # doctest: +SKIP

    """
    budget = budget_metres(minutes=minutes, speed_kmh=speed_kmh, metres=metres)
    if detour_factor < 1:
        raise ValidationError("绕行系数应不小于 1", "The detour factor must be at least 1")
    missing = sites.attrs.get("districts_without_data", {}) if supply_missing is None else supply_missing
    result = _summary(demand, sites, network=network, budget=budget, detour_factor=float(detour_factor),
                      supply=supply, snap_limit_m=snap_limit_m, position_error=position_error)
    result.supply_missing = {str(d): tuple(v) for d, v in dict(missing).items()}
    return result


def _summary(demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *, network: WalkNetwork | None,
             budget: float, detour_factor: float, supply: str, snap_limit_m: float,
             position_error: bool) -> CoverageSummary:
    """The distances behind :func:`coverage_summary`: network pass, or straight-line matrix."""
    if network is not None:
        near = _near_network(network, sites, margin_m=snap_limit_m)  # others cannot reach it
        cov = coverage(network, demand, sites[near], metres=budget, snap_limit_m=snap_limit_m)
        d = np.where(cov.distance <= budget, cov.distance, np.inf)  # the search stops at the budget
        return CoverageSummary(METHOD_NETWORK, budget, float(detour_factor), supply, len(sites), demand,
                               d, network_crs(network), cov.flagged_sites, _net=network)
    crs = demand_crs(demand)
    xy = lonlat_xy(demand, crs=crs)
    tree = cKDTree(xy)
    extent = demand.extent_m.to_numpy(dtype=float) if "extent_m" in demand.columns else np.zeros(len(demand))
    err = site_errors(sites) if position_error else np.zeros(len(sites))
    # the matrix reaches every pair the bounds and the E2SFCA catchment (budget / detour) need
    cutoff = budget + float(extent.max(initial=0.0)) + float(err.max(initial=0.0))
    m = straight_line_matrix(lonlat_xy(sites, crs=crs), xy, cutoff=cutoff, crs=crs, demand_tree=tree)
    return CoverageSummary(METHOD_BOUNDS, budget, float(detour_factor), supply, len(sites), demand,
                           m.nearest(), crs, lower_distance=m.nearest(minus=err), matrix=m, _tree=tree,
                           _xy=xy, _err_max=float(err.max(initial=0.0)))


def site_errors(sites: gpd.GeoDataFrame) -> NDArray[np.float64]:
    """Each site's stated positional error in metres (``est_error_m``; 0 where not stated)."""
    if "est_error_m" not in sites.columns:
        return np.zeros(len(sites))
    v = pd.to_numeric(sites.est_error_m, errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(v) & (v > 0), v, 0.0)
