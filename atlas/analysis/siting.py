"""Where new 科普 sites would close the gaps best: maximal and set covering.

Candidates (gap-cluster centres, a planner's list, OSM venues) get a sparse candidate x demand
coverage matrix from budget-limited shortest paths. Then:

* :func:`mclp` — maximal covering: add ``k`` sites (existing ones fixed) to cover the most
  still-uncovered people;
* :func:`lscp` — set covering: the fewest sites that lift coverage to a target %;
* :func:`greedy` — largest marginal gain first, for instances too large for the exact models.

The exact models are built with PuLP and solved with HiGHS (CBC as a fallback). Why PuLP here
and not spopt's ``MCLP``/``LSCP`` classes: those take a dense demand x facility cost matrix,
which at city scale (10^5 demand points x 10^3 candidates) does not fit in memory; our matrix
is sparse and the models only need its non-zeros. The formulations are spopt's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from atlas import settings
from atlas.analysis.service_area import METHOD_NETWORK, Snap, node_distances, sites_xy, snap
from atlas.coverage import demand_xy
from atlas.data.names import district_name
from atlas.errors import ValidationError
from atlas.geo.projection import metric_crs_for

if TYPE_CHECKING:
    import pulp
    from numpy.typing import NDArray

    from atlas.coverage import Coverage
    from atlas.network import WalkNetwork


def coverage_matrix(net: WalkNetwork, demand: gpd.GeoDataFrame, cand_xy: NDArray[np.float64], *,
                    budget: float, snap_limit_m: float = settings.SNAP_LIMIT_M
                    ) -> tuple[sparse.csr_matrix, NDArray[np.bool_]]:
    """Sparse boolean matrix: which demand points each candidate reaches within ``budget``.

    ``cand_xy`` are candidate positions in the network's CRS (``net.crs``).

    Returns
    -------
    tuple
        (matrix of shape (n_candidates, n_demand), mask of candidates that snapped).

    """
    edge = demand.edge.to_numpy()
    half = net.length[edge] / 2.0
    s = snap(net, cand_xy)
    ok = s.access_m <= snap_limit_m
    # demand points by edge end node: demand i is reached if min(d[u], d[v]) + half <= budget
    n = net.n_nodes
    rows_u = sparse.csr_matrix((np.ones(len(edge)), (net.u[edge], np.arange(len(edge)))),
                               shape=(n, len(edge)))
    rows_v = sparse.csr_matrix((np.ones(len(edge)), (net.v[edge], np.arange(len(edge)))),
                               shape=(n, len(edge)))
    rows, cols = [], []
    limit = budget + float(half.max(initial=0.0))
    pos_by_edge: dict[int, list[int]] = {}
    for i, e in enumerate(edge):
        pos_by_edge.setdefault(int(e), []).append(i)
    for j in np.flatnonzero(ok):
        one = Snap(s.edge[j:j + 1], s.t[j:j + 1], s.access_m[j:j + 1], s.point_x[j:j + 1],
                   s.point_y[j:j + 1])
        d = node_distances(net, one, limit=limit)[0]
        reached = np.flatnonzero(np.isfinite(d))
        cand_pts = np.unique(np.concatenate([rows_u[reached].indices, rows_v[reached].indices]))
        if len(cand_pts):
            e = edge[cand_pts]
            dd = np.minimum(d[net.u[e]], d[net.v[e]]) + half[cand_pts]
            hit = cand_pts[dd <= budget]
        else:
            hit = cand_pts
        own = [i for i in pos_by_edge.get(int(s.edge[j]), [])
               if s.access_m[j] + abs(s.t[j] - 0.5) * net.length[s.edge[j]] <= budget]
        hit = np.union1d(hit, np.asarray(own, dtype=np.int64))
        rows.extend([j] * len(hit))
        cols.extend(hit.tolist())
    m = sparse.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)),
                          shape=(len(cand_xy), len(edge)))
    return m, ok


@dataclass(frozen=True)
class SitingResult:
    """Chosen candidates and what they add.

    Attributes
    ----------
    chosen : numpy.ndarray
        Candidate indices in the order picked (greedy) or by gain (exact).
    gains : numpy.ndarray
        Marginal population each chosen site adds, in that order.
    covered_population : float
        Population covered by existing plus chosen sites.
    objective : float
        Population newly covered by the chosen sites.
    method : str
        ``greedy``, ``mclp-highs``, ``lscp-highs`` (or ``-cbc``).
    status : str
        Solver status.

    """

    chosen: NDArray[np.int64]
    gains: NDArray[np.float64]
    covered_population: float
    objective: float
    method: str
    status: str = "Optimal"


def _marginal_order(a: sparse.csr_matrix, w: NDArray[np.float64], uncovered: NDArray[np.bool_],
                    chosen: list[int]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Order chosen sites by marginal gain (greedy over the chosen set) and return gains."""
    left = uncovered.copy()
    order, gains = [], []
    pool = list(chosen)
    while pool:
        g = [float(w[a[j].indices[left[a[j].indices]]].sum()) for j in pool]
        k = int(np.argmax(g))
        j = pool.pop(k)
        order.append(j)
        gains.append(g[k])
        left[a[j].indices] = False
    return np.asarray(order, dtype=np.int64), np.asarray(gains)


def greedy(a: sparse.csr_matrix, weights: NDArray[np.float64], k: int, *,
           covered: NDArray[np.bool_] | None = None) -> SitingResult:
    """Greedy maximal covering: repeatedly add the candidate with the largest marginal gain.

    Parameters
    ----------
    a : scipy.sparse.csr_matrix
        Candidate x demand coverage matrix.
    weights : numpy.ndarray
        Population of each demand point.
    k : int
        Sites to add.
    covered : numpy.ndarray of bool, optional
        Demand already covered by existing sites (fixed).

    Returns
    -------
    SitingResult

    """
    w = np.asarray(weights, dtype=float)
    cov = np.zeros(a.shape[1], bool) if covered is None else covered.copy()
    chosen: list[int] = []
    gains: list[float] = []
    a = a.tocsr()
    for _ in range(min(k, a.shape[0])):
        gain = a.astype(float) @ np.where(cov, 0.0, w)
        if chosen:
            gain[chosen] = -1.0
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            break
        chosen.append(j)
        gains.append(float(gain[j]))
        cov[a[j].indices] = True
    base = 0.0 if covered is None else float(w[covered].sum())
    return SitingResult(np.asarray(chosen, dtype=np.int64), np.asarray(gains),
                        float(w[cov].sum()), float(w[cov].sum()) - base, "greedy")


def _solve(prob: pulp.LpProblem, time_limit: float) -> tuple[str, str]:
    import pulp  # imported when a model is solved, not with the module (pages load faster)

    for name, solver in (("highs", pulp.HiGHS(msg=False, timeLimit=time_limit)),
                         ("cbc", pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit))):
        if solver.available():
            prob.solve(solver)
            return name, pulp.LpStatus[prob.status]
    raise ValidationError("没有可用的线性规划求解器（HiGHS/CBC）", "No LP solver (HiGHS/CBC) is available")


def _model_parts(a: sparse.csr_matrix, w: NDArray[np.float64], cov: NDArray[np.bool_]
                 ) -> tuple[NDArray[np.int64], sparse.csc_matrix]:
    """Demand points worth modelling: uncovered and reachable by some candidate."""
    reach = np.asarray(a.sum(axis=0)).ravel() > 0
    idx = np.flatnonzero(reach & ~cov & (w > 0))
    return idx, a[:, idx].tocsc()


def mclp(a: sparse.csr_matrix, weights: NDArray[np.float64], k: int, *,
         covered: NDArray[np.bool_] | None = None, time_limit: float = 60.0) -> SitingResult:
    """Maximal covering location problem (exact): add ``k`` sites to cover the most people.

    max sum(w_i y_i)  s.t.  y_i <= sum_j a_ji x_j,  sum_j x_j <= k,  x binary, 0 <= y <= 1.
    Existing coverage is fixed: already-covered demand is left out of the model.
    """
    w = np.asarray(weights, dtype=float)
    cov = np.zeros(a.shape[1], bool) if covered is None else covered
    idx, sub = _model_parts(a.tocsr(), w, cov)
    import pulp

    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{j}", cat="Binary") for j in range(a.shape[0])]
    y = [pulp.LpVariable(f"y{i}", lowBound=0, upBound=1) for i in range(len(idx))]
    prob += pulp.lpSum(float(w[i]) * y[n] for n, i in enumerate(idx))
    for n in range(len(idx)):
        col = sub.indices[sub.indptr[n]:sub.indptr[n + 1]]
        prob += y[n] <= pulp.lpSum(x[j] for j in col)
    prob += pulp.lpSum(x) <= k
    solver, status = _solve(prob, time_limit)
    chosen = [j for j in range(a.shape[0]) if (x[j].value() or 0) > 0.5]
    base = float(w[cov].sum())
    order, gains = _marginal_order(a.tocsr(), w, ~cov, chosen)
    new = float(gains.sum())
    return SitingResult(order, gains, base + new, new, f"mclp-{solver}", status)


def lscp(a: sparse.csr_matrix, weights: NDArray[np.float64], target_pct: float, *,
         covered: NDArray[np.bool_] | None = None, time_limit: float = 60.0) -> SitingResult:
    """Set covering (exact): the fewest new sites lifting coverage to ``target_pct`` %.

    min sum_j x_j  s.t.  y_i <= sum_j a_ji x_j,  sum_i w_i y_i >= target - existing.

    Raises
    ------
    atlas.errors.ValidationError
        If the target cannot be reached even with every candidate.

    """
    w = np.asarray(weights, dtype=float)
    cov = np.zeros(a.shape[1], bool) if covered is None else covered
    total = float(w.sum())
    need = target_pct / 100.0 * total - float(w[cov].sum())
    if need <= 0:
        return SitingResult(np.zeros(0, dtype=np.int64), np.zeros(0), float(w[cov].sum()), 0.0,
                            "lscp", "already met")
    idx, sub = _model_parts(a.tocsr(), w, cov)
    if float(w[idx].sum()) + 1e-9 < need:
        best = 100.0 * (float(w[cov].sum()) + float(w[idx].sum())) / total
        raise ValidationError(f"即使启用全部候选点，覆盖率也只能达到 {best:.1f}%",
                              f"Even with every candidate, coverage only reaches {best:.1f} %")
    import pulp

    prob = pulp.LpProblem("lscp", pulp.LpMinimize)
    x = [pulp.LpVariable(f"x{j}", cat="Binary") for j in range(a.shape[0])]
    y = [pulp.LpVariable(f"y{i}", lowBound=0, upBound=1) for i in range(len(idx))]
    prob += pulp.lpSum(x)
    for n in range(len(idx)):
        col = sub.indices[sub.indptr[n]:sub.indptr[n + 1]]
        prob += y[n] <= pulp.lpSum(x[j] for j in col)
    prob += pulp.lpSum(float(w[i]) * y[n] for n, i in enumerate(idx)) >= need
    solver, status = _solve(prob, time_limit)
    chosen = [j for j in range(a.shape[0]) if (x[j].value() or 0) > 0.5]
    order, gains = _marginal_order(a.tocsr(), w, ~cov, chosen)
    new = float(gains.sum())
    return SitingResult(order, gains, float(w[cov].sum()) + new, new, f"lscp-{solver}", status)


def recommended_sites(result: SitingResult, candidates: gpd.GeoDataFrame, total_population: float
                      ) -> gpd.GeoDataFrame:
    """The chosen candidates as a table: rank, marginal gain, cumulative coverage %."""
    out = candidates.iloc[result.chosen].copy()
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out["marginal_population"] = result.gains
    base = result.covered_population - result.objective
    out["cumulative_pct"] = 100.0 * (base + np.cumsum(result.gains)) / total_population
    out["method"] = result.method
    return out.reset_index(drop=True)


def proxy_coverage_matrix(demand: gpd.GeoDataFrame, cand_xy: NDArray[np.float64], *, radius: float,
                          crs: str) -> sparse.csr_matrix:
    """Straight-line candidate x demand matrix (for the no-network proxy mode).

    ``cand_xy`` and ``radius`` are in metres in ``crs``; demand positions are converted there.
    """
    from scipy.spatial import cKDTree

    tree = cKDTree(demand_xy(demand, crs=crs))
    hits = tree.query_ball_point(cand_xy, r=radius)
    rows = np.repeat(np.arange(len(cand_xy)), [len(h) for h in hits])
    cols = (np.concatenate([np.asarray(h, dtype=np.int64) for h in hits]) if len(hits)
            else np.zeros(0, dtype=np.int64))
    return sparse.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)),
                             shape=(len(cand_xy), len(demand)))


def candidates_from_gaps(gaps: gpd.GeoDataFrame, *, top: int = 60,
                         cells: gpd.GeoDataFrame | None = None, top_cells: int = 60
                         ) -> gpd.GeoDataFrame:
    """Candidate sites from the gap analysis.

    The population-weighted centres of the largest gap clusters and, when ``cells`` is
    given, the centres of the most populous uncovered H3 cells (useful when one large
    contiguous gap would otherwise yield a single candidate).
    """
    g = gaps.head(top)
    named = "name" in g.columns and "name_en" in g.columns  # the gaps' own names, in each language
    out = gpd.GeoDataFrame({
        "id": [f"gap{r:03d}" for r in g["rank"]],
        "name": g["name"].astype(str).to_numpy() if named else [f"缺口片区 {r}" for r in g["rank"]],
        "name_en": g["name_en"].astype(str).to_numpy() if named else [f"gap {r}" for r in g["rank"]],
        "district": g.district.to_numpy(), "gap_population": g.population.to_numpy(),
    }, geometry=shapely.points(g.lon.to_numpy(), g.lat.to_numpy()), crs=settings.CRS_WGS84)
    if cells is not None:
        c = cells[cells.uncovered > 0].nlargest(top_cells, "uncovered")
        centres = np.array([h3.cell_to_latlng(x) for x in c.h3]).reshape(-1, 2)
        extra = gpd.GeoDataFrame({
            "id": [f"cell{i:03d}" for i in range(len(c))],
            "name": [f"高缺口格 {i + 1}（{d}）" for i, d in enumerate(c.district)],
            "name_en": [f"gap cell {i + 1} ({district_name(d, 'en')})" for i, d in enumerate(c.district)],
            "district": c.district.to_numpy(), "gap_population": c.uncovered.to_numpy(),
        }, geometry=shapely.points(centres[:, 1], centres[:, 0]), crs=settings.CRS_WGS84)
        out = gpd.GeoDataFrame(pd.concat([out, extra], ignore_index=True), crs=settings.CRS_WGS84)
    return out


def recommend(cov: Coverage, candidates: gpd.GeoDataFrame, k: int, *,
              net: WalkNetwork | None = None, detour_factor: float = settings.DETOUR_FACTOR,
              exact_limit: int = 20_000) -> tuple[gpd.GeoDataFrame, dict[str, float | str]]:
    """Recommend up to ``k`` new sites among ``candidates`` for the demand of ``cov``.

    Greedy always runs; the exact MCLP also runs when the model is small enough
    (``exact_limit`` uncovered demand points), and the better answer is returned together with
    the greedy's gap to the optimum.

    Returns
    -------
    tuple
        (recommended sites with ``marginal_population`` and ``cumulative_pct``, info dict with
        ``method``, ``greedy_gap_pct`` and ``newly_covered``).

    """
    if candidates.empty or k <= 0:
        return candidates.iloc[:0], {"method": "none", "newly_covered": 0.0}
    if cov.method != METHOD_NETWORK and (cov.demand.method == "area-uniform").all():
        # People spread evenly over area say nothing about where they live: any "best" site
        # would be arbitrary. Recommend only with street-based demand.
        return candidates.iloc[:0], {"method": "none (needs a walking network)",
                                     "newly_covered": 0.0}
    if net is not None:
        a, _ = coverage_matrix(net, cov.demand, sites_xy(candidates, crs=net.crs), budget=cov.budget)
    else:
        crs = cov.crs or metric_crs_for(cov.demand)
        a = proxy_coverage_matrix(cov.demand, sites_xy(candidates, crs=crs),
                                  radius=cov.budget / detour_factor, crs=crs)
    w = cov.demand.population.to_numpy()
    g = greedy(a, w, k, covered=cov.covered)
    best = g
    info: dict[str, float | str] = {"method": "greedy"}
    idx, _ = _model_parts(a.tocsr(), w, cov.covered)
    if len(idx) <= exact_limit:
        m = mclp(a, w, k, covered=cov.covered)
        if m.objective >= g.objective:
            best = m
        info = {"method": best.method,
                "greedy_gap_pct": 100.0 * (m.objective - g.objective) / m.objective if m.objective else 0.0}
    info["newly_covered"] = best.objective
    return recommended_sites(best, candidates, cov.total_population), info
