"""Accessibility beyond in/out: enhanced two-step floating catchment (E2SFCA) scores.

For sites j with capacity S_j (default 1 per site; annual visits where a base's figure is
known) and demand points i with population P_i, with d_ij the distance and W a distance decay
that is zero beyond the walking budget d0:

1. each site's supply-to-demand ratio  R_j = S_j / sum_i P_i W(d_ij);
2. each demand point's score           A_i = sum_j R_j W(d_ij).

A_i is capacity per resident within reach, distance-weighted (shown per 10,000 residents).
Both steps are sparse products over the same site x demand distance matrix as coverage
(:class:`atlas.analysis.odmatrix.SiteDemandMatrix`); the population-weighted mean of A over all demand
equals total reachable capacity / total population, a check the tests use. The formulation
is Luo & Qi (2009), as in PySAL ``access`` (``enhanced_two_stage_fca``), which a test
reproduces exactly; ours works on the sparse matrix instead of data-frame merges.

Decay: ``gaussian`` (default) W = exp(-d^2 / (2 sigma^2)) with sigma = d0 / 2 (weight 0.61 at
half the budget, 0.14 at the budget), or ``bands``: Luo & Qi's step weights 1.00 / 0.68 / 0.22
for the three thirds of the budget. Network scores use walking distances; straight-line scores
use straight line x detour factor and are labelled as estimates. The two are never mixed.

Scores near the edge of the demand depend on the demand around them: a site on a district's
boundary shares its capacity with the people on both sides, so a run on one district's demand
alone gives its border areas more than a city-wide run does (鄞州区 1.17 against 1.10 per
10,000). A district's figure therefore comes from the widest run at hand
(:meth:`Accessibility.restrict` of the city-wide scores), and :meth:`Accessibility.label` says
which demand a run saw. Figures are rounded to two decimals (:data:`SCORE_DECIMALS`): the
inputs (people spread by area, sites' positions to 300 m) support no more. Districts whose
supply source lists no row get ``status = "supply_data_missing"`` and no score.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from atlas import settings
from atlas.analysis.odmatrix import NETWORK, SiteDemandMatrix, lonlat_xy, network_matrix
from atlas.errors import ValidationError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from atlas.coverage.summary import CoverageSummary

DECAYS = ("gaussian", "bands")

#: Luo & Qi (2009) step weights for the thirds of the catchment.
LUO_QI_BANDS: tuple[tuple[float, float], ...] = ((1 / 3, 1.0), (2 / 3, 0.68), (1.0, 0.22))

#: Zone-table columns of :meth:`Accessibility.table`.
ZONE_COLUMNS: tuple[str, ...] = ("zone", "population", "score_per_10k", "pct_no_access",
                                 "status", "method")

#: Decimals of scores per 10,000 in tables and exports (what the data supports).
SCORE_DECIMALS = 2


def decay_weights(d: NDArray[np.float64], *, budget: float, decay: str = "gaussian",
                  sigma_m: float | None = None,
                  bands: tuple[tuple[float, float], ...] = LUO_QI_BANDS) -> NDArray[np.float64]:
    """Distance-decay weights (zero beyond ``budget``).

    Parameters
    ----------
    d : numpy.ndarray
        Distances in metres.
    budget : float
        Catchment size d0 in metres.
    decay : {"gaussian", "bands"}
        Gaussian exp(-d^2/(2 sigma^2)) or step weights.
    sigma_m : float, optional
        Gaussian width (default ``budget / 2``).
    bands : tuple of (fraction of budget, weight)
        Step weights, ascending (default Luo & Qi's 1.00 / 0.68 / 0.22 by thirds).

    """
    d = np.asarray(d, dtype=float)
    if decay == "gaussian":
        s = float(sigma_m) if sigma_m is not None else budget / 2.0
        if not s > 0:
            raise ValidationError("高斯衰减宽度须为正数", "The Gaussian width must be positive")
        w = np.exp(-d * d / (2.0 * s * s))
    elif decay == "bands":
        edges = np.array([f for f, _ in bands]) * budget
        vals = np.array([v for _, v in bands] + [0.0])
        w = vals[np.searchsorted(edges, d, side="left")]
    else:
        raise ValidationError(f"未知的距离衰减：{decay}（可选 gaussian、bands）",
                              f"Unknown distance decay: {decay} (gaussian or bands)")
    return np.where(d <= budget, w, 0.0)


def e2sfca(matrix: SiteDemandMatrix, population: NDArray[np.float64], capacity: NDArray[np.float64], *,
           budget: float, scale: float = 1.0, decay: str = "gaussian", sigma_m: float | None = None,
           bands: tuple[tuple[float, float], ...] = LUO_QI_BANDS
           ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """E2SFCA on a sparse site x demand matrix.

    Parameters
    ----------
    matrix : SiteDemandMatrix
        Distances (its cutoff must reach ``budget / scale``).
    population : numpy.ndarray
        P_i per demand point.
    capacity : numpy.ndarray
        S_j per site.
    budget : float
        Catchment d0 (metres, on ``scale`` x matrix distances).
    scale : float
        Multiplier of the stored distances (the detour factor for straight-line matrices).
    decay, sigma_m, bands
        See :func:`decay_weights`.

    Returns
    -------
    tuple of numpy.ndarray
        (A_i per demand point, R_j per site; R is 0 for a site with nobody in reach).

    """
    if budget / scale > matrix.cutoff + 1e-6:
        raise ValidationError("距离矩阵的截断距离小于服务半径",
                              "The matrix cutoff is shorter than the catchment")
    pop = np.asarray(population, dtype=float)
    cap = np.asarray(capacity, dtype=float)
    if len(pop) != matrix.n_demand or len(cap) != matrix.n_sites:
        raise ValidationError("人口或容量的个数与距离矩阵不符",
                              "Population or capacity does not match the matrix")
    d = matrix.dist.tocsr()
    w = sparse.csr_matrix((decay_weights(d.data * scale, budget=budget, decay=decay, sigma_m=sigma_m,
                                         bands=bands), d.indices, d.indptr), shape=d.shape)
    reach = w @ pop  # step 1 denominator per site
    ratio = np.divide(cap, reach, out=np.zeros_like(cap), where=reach > 0)
    return np.asarray(w.T @ ratio), ratio


@dataclass(frozen=True)
class Accessibility:
    """E2SFCA scores of a demand set (see the module docstring).

    Attributes
    ----------
    score : numpy.ndarray
        A_i per demand point (capacity per resident within reach, distance-weighted).
    site_ratio : numpy.ndarray
        R_j per site.
    method : str
        ``network`` or ``straight-line`` (straight line x detour factor: an estimate).
    decay : str
        ``gaussian`` or ``bands``.
    budget_m, detour_factor : float
        The catchment and, for straight-line scores, the factor applied.
    demand : geopandas.GeoDataFrame
        The demand points.
    no_data : numpy.ndarray, optional
        Demand in districts whose supply source lists no row (no score shown there).
    scope : tuple of str
        The districts whose demand the run saw (:meth:`label` says so when it is one).

    """

    score: NDArray[np.float64]
    site_ratio: NDArray[np.float64]
    method: str
    decay: str
    budget_m: float
    detour_factor: float
    demand: gpd.GeoDataFrame
    no_data: NDArray[np.bool_] | None = None
    scope: tuple[str, ...] = ()

    @property
    def per_10k(self) -> NDArray[np.float64]:
        """Scores per 10,000 residents."""
        return self.score * 1e4

    def label(self, lang: str = "zh") -> str:
        """What the scores are: estimates or not, and which demand the run saw."""
        names = {"gaussian": ("高斯衰减", "Gaussian decay"), "bands": ("分段衰减", "banded decay")}
        decay = names[self.decay]
        if self.method == NETWORK:
            text = (f"E2SFCA, walking network, {decay[1]}, {self.budget_m:,.0f} m" if lang == "en" else
                    f"E2SFCA：步行路网，{decay[0]}，{self.budget_m:,.0f} 米")
        else:
            text = (f"E2SFCA, straight line × {self.detour_factor:g} (estimate, no walking network), "
                    f"{decay[1]}" if lang == "en" else
                    f"E2SFCA：直线×{self.detour_factor:g}（估计值，无步行路网），{decay[0]}")
        return text + self.scope_label(lang)

    def scope_label(self, lang: str = "zh") -> str:
        """Which demand the run saw, when it is one district's only ("" for wider runs)."""
        if len(self.scope) != 1:
            return ""
        if lang == "en":
            return (f"; run on {self.scope[0]}'s people only (people beyond it not counted: border areas "
                    "read higher than in a city-wide run)")
        return f"；仅按{self.scope[0]}的人口计算（区外人口未计入，边界附近的数值高于全市计算）"

    def restrict(self, districts: list[str] | tuple[str, ...]) -> Accessibility:
        """The scores of these districts' demand, as computed in this (wider) run.

        A district's figure from a city-wide run includes the people across its border who
        share its sites; use this rather than a run on the district's demand alone.
        """
        keep = self.demand.district.isin(list(districts)).to_numpy()
        nd = self.no_data[keep] if self.no_data is not None else None
        return replace(self, score=self.score[keep], demand=self.demand[keep], no_data=nd)

    def table(self, groups: NDArray[np.object_], *, zones: list[str] | None = None) -> pd.DataFrame:
        """Population-weighted mean score and share with no site in reach, per group label.

        Zones without people get NaN and ``status = "no_population"``.
        """
        pop = self.demand.population.to_numpy(dtype=float)
        known = np.ones(len(pop), bool) if self.no_data is None else ~self.no_data
        kp = np.where(known, pop, 0.0)
        df = pd.DataFrame({"zone": np.asarray(groups, dtype=object), "population": pop, "known": kp,
                           "wscore": kp * self.score, "none": np.where(self.score > 0, 0.0, kp)})
        g = df.groupby("zone", sort=True)[["population", "known", "wscore", "none"]].sum()
        if zones is not None:
            g = g.reindex(pd.Index(list(dict.fromkeys(zones)), name="zone"), fill_value=0.0)
        g = g.reset_index()
        missing = (g.population > 0) & (g.known <= 0)
        denom = g.known.where(g.known > 0)
        from atlas.coverage.summary import SUPPLY_DATA_MISSING

        return pd.DataFrame({
            "zone": g.zone.astype(str), "population": g.population.where(missing, g.known),
            "score_per_10k": (1e4 * g.wscore / denom).round(SCORE_DECIMALS),
            "pct_no_access": 100.0 * g.none / denom,
            "status": np.select([g.population <= 0, missing], ["no_population", SUPPLY_DATA_MISSING], "ok"),
            "method": self.method,
        })[list(ZONE_COLUMNS)]

    def by_district(self) -> pd.DataFrame:
        """Scores per district."""
        return self.table(self.demand.district.to_numpy(dtype=object))

    def by_zone(self, zones: gpd.GeoDataFrame, *, name_column: str = "zone") -> pd.DataFrame:
        """Scores per planner's zone; every zone gets a row."""
        from atlas.coverage.summary import assign_zones

        label = assign_zones(self.demand, zones, name_column=name_column)
        inside = label != ""
        sub = replace(self, score=self.score[inside], demand=self.demand[inside],
                      no_data=self.no_data[inside] if self.no_data is not None else None)
        return sub.table(label[inside], zones=zones[name_column].astype(str).tolist())

    def points(self) -> gpd.GeoDataFrame:
        """Per demand point, for export: ``h3``, ``district``, ``population``, ``score_per_10k``.

        People to whole persons and scores to :data:`SCORE_DECIMALS`; no score (NaN) where the
        supply data is missing.
        """
        cols = [c for c in ("h3", "district", "population", "method") if c in self.demand.columns]
        out = self.demand[cols].rename(columns={"method": "population_method"}).copy()
        if "population" in out:
            out["population"] = out.population.astype(float).round(0)
        score = self.per_10k if self.no_data is None else np.where(self.no_data, np.nan, self.per_10k)
        out["score_per_10k"] = np.round(score, SCORE_DECIMALS)
        out["access_method"] = self.method
        return gpd.GeoDataFrame(out, geometry=self.demand.geometry.to_numpy(), crs=settings.CRS_WGS84)

    def cells(self, *, resolution: int = 8) -> gpd.GeoDataFrame:
        """H3 cells with population and population-weighted mean score per 10,000 (for maps).

        Demand without supply data is left out (no score is claimed there: not even "none in reach").
        """
        dem, score = self.demand, self.per_10k
        if self.no_data is not None and self.no_data.any():
            dem, score = dem[~self.no_data], score[~self.no_data]
        if "h3" in dem.columns:
            ids = np.array([h3.cell_to_parent(c, resolution) if h3.get_resolution(c) > resolution else c
                            for c in dem.h3], dtype=object)
        else:
            g = dem.geometry
            ids = np.array([h3.latlng_to_cell(y, x, resolution) for x, y in zip(g.x, g.y, strict=True)],
                           dtype=object)
        pop = dem.population.to_numpy(dtype=float)
        df = pd.DataFrame({"h3": ids, "population": pop, "w": pop * score})
        agg = df.groupby("h3", sort=True)[["population", "w"]].sum().reset_index()
        agg["score_per_10k"] = agg.w / agg.population.where(agg.population > 0)
        polys = [shapely.Polygon([(lo, la) for la, lo in h3.cell_to_boundary(c)]) for c in agg.h3]
        return gpd.GeoDataFrame(agg.drop(columns="w").assign(method=self.method), geometry=polys,
                                crs=settings.CRS_WGS84)


def accessibility(summary: CoverageSummary, sites: gpd.GeoDataFrame, *, decay: str = "gaussian",
                  sigma_m: float | None = None, bands: tuple[tuple[float, float], ...] = LUO_QI_BANDS,
                  capacity_column: str = "capacity") -> Accessibility:
    """E2SFCA scores for the demand and sites of a coverage summary, on its matrix.

    Parameters
    ----------
    summary : CoverageSummary
        From :func:`atlas.coverage.summary.coverage_summary` for the same ``sites`` (in order).
    sites : geopandas.GeoDataFrame
        The sites, with a ``capacity_column`` (as :func:`atlas.analysis.supply.supply_sites` gives);
        without one every site counts 1.
    decay, sigma_m, bands
        See :func:`decay_weights`.
    capacity_column : str
        Column of site capacities.

    Returns
    -------
    Accessibility

    """
    m = summary.matrix
    if m is None:  # network summaries keep no matrix: build it once, budget-limited
        if summary._net is None:
            raise ValidationError("缺少距离矩阵", "No distance matrix")
        m = network_matrix(summary._net, summary.demand, lonlat_xy(sites, crs=summary.crs),
                           cutoff=summary.budget_m)
        summary.matrix = m
    if m.n_sites != len(sites):
        raise ValidationError("站点与覆盖结果不一致", "The sites differ from those of the coverage summary")
    cap = (pd.to_numeric(sites[capacity_column], errors="coerce").fillna(1.0).to_numpy(dtype=float)
           if capacity_column in sites.columns else np.ones(len(sites)))
    scale = 1.0 if m.method == NETWORK else summary.detour_factor
    score, ratio = e2sfca(m, summary.demand.population.to_numpy(dtype=float), cap, budget=summary.budget_m,
                          scale=scale, decay=decay, sigma_m=sigma_m, bands=bands)
    dem = summary.demand
    scope = tuple(sorted(dem.district.astype(str).unique())) if "district" in dem else ()
    return Accessibility(score, ratio, m.method, decay, summary.budget_m, scale, summary.demand,
                         no_data=summary.no_supply_data, scope=scope)
