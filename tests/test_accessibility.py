"""E2SFCA: equals PySAL access on a small case; invariants on real layers; modes labelled."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from atlas.analysis.accessibility import LUO_QI_BANDS, accessibility, decay_weights, e2sfca
from atlas.analysis.demand import demand_points
from atlas.analysis.odmatrix import straight_line_matrix
from atlas.coverage.summary import coverage_summary
from atlas.errors import ValidationError
from atlas.geo.projection import MetricFrame
from atlas.network import synthetic_grid
from tests.test_coverage_summary import halves, pts


@pytest.fixture(scope="module")
def small_case():
    rng = np.random.default_rng(42)
    demand_xy = rng.uniform(0, 4000, (40, 2))
    site_xy = rng.uniform(500, 3500, (6, 2))
    pop = rng.integers(50, 2000, 40).astype(float)
    cap = np.array([1.0, 3.0, 1.0, 2.0, 5.0, 1.0])
    return demand_xy, site_xy, pop, cap


@pytest.mark.parametrize("decay", ["gaussian", "bands"])
def test_e2sfca_equals_pysal_access(small_case, decay):
    access = pytest.importorskip("access")
    demand_xy, site_xy, pop, cap = small_case
    budget = 1125.0
    m = straight_line_matrix(site_xy, demand_xy, cutoff=budget, crs="EPSG:32651")
    ours, _ = e2sfca(m, pop, cap, budget=budget, decay=decay)
    d = np.hypot(*(site_xy[:, None, :] - demand_xy[None, :, :]).transpose(2, 0, 1))
    s, i = np.nonzero(d <= budget)
    cost = pd.DataFrame({"origin": [f"d{k}" for k in i], "dest": [f"s{k}" for k in s], "cost": d[s, i]})
    dem = pd.DataFrame({"id": [f"d{k}" for k in range(len(pop))], "pop": pop})
    sup = pd.DataFrame({"id": [f"s{k}" for k in range(len(cap))], "cap": cap})
    fn = (access.weights.gaussian(budget / 2) if decay == "gaussian" else
          access.weights.step_fn({f * budget: w for f, w in LUO_QI_BANDS}))
    acc = access.Access(demand_df=dem, demand_index="id", demand_value="pop", supply_df=sup,
                        supply_index="id", supply_value="cap", cost_df=cost, cost_origin="origin",
                        cost_dest="dest", cost_name="cost")
    theirs = acc.enhanced_two_stage_fca(name="e2", weight_fn=fn, max_cost=budget + 1e-6)["e2_cap"]
    theirs = theirs.reindex([f"d{k}" for k in range(len(pop))]).fillna(0.0).to_numpy()
    assert (ours > 0).sum() > 10 and (ours == 0).sum() > 0  # a real case: some in reach, some not
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-15)


def test_decay_weights():
    d = np.array([0.0, 300.0, 562.5, 1000.0, 1125.0, 1126.0])
    g = decay_weights(d, budget=1125.0)
    assert g[0] == 1.0 and g[-1] == 0.0 and np.all(np.diff(g) <= 0)
    assert g[2] == pytest.approx(np.exp(-0.5)) and g[4] == pytest.approx(np.exp(-2.0))
    assert decay_weights(d, budget=1125.0, decay="bands").tolist() == [1.0, 1.0, 0.68, 0.22, 0.22, 0.0]
    with pytest.raises(ValidationError):
        decay_weights(d, budget=1125.0, decay="cubic")


def test_scores_conserve_capacity_on_real_layers():
    from atlas.analysis.demand import proxy_demand
    from atlas.analysis.supply import supply_sites
    from atlas.data.geodata import load_districts, load_population

    d = load_districts()
    one = d[d.name_zh.isin(["江北区", "镇海区"])]
    dem = proxy_demand(one, load_population())
    sites = supply_sites("galleries")
    sites = sites[sites.district.isin(["江北区", "镇海区"])]
    s = coverage_summary(dem, sites, supply="galleries")
    a = accessibility(s, sites)
    assert a.method == "straight-line" and "估计" in a.label("zh") and "estimate" in a.label("en")
    pop = dem.population.to_numpy()
    reached_capacity = sites.capacity.to_numpy()[a.site_ratio > 0].sum()
    assert (pop * a.score).sum() == pytest.approx(reached_capacity)
    t = a.by_district().set_index("zone")
    assert set(t.index) == {"江北区", "镇海区"} and (t.score_per_10k > 0).all()
    # nobody with a positive score lies beyond budget / detour of every site
    assert np.all(a.score[s.distance * s.detour_factor > s.budget_m] == 0)
    cells = a.cells(resolution=7)
    assert cells.population.sum() == pytest.approx(pop.sum())
    from atlas.webmap import access_group

    g = access_group(cells, lang="en", name=a.label("en"))
    assert g.legend[0].kind == "ramp" and len(g.legend[0].ramp) == 6 and "estimate" in g.layer_name


def test_network_scores_are_labelled_and_zones_without_people_say_so():
    net = synthetic_grid(30)
    d, p = halves(net)
    dem = demand_points(net, d, p)
    k = np.random.default_rng(3).choice(net.n_nodes, 4, replace=False)
    sites = pts(net.lon[k], net.lat[k]).assign(capacity=[1.0, 2.0, 1.0, 1.0])
    s = coverage_summary(dem, sites, network=net, metres=600)
    a = accessibility(s, sites, decay="bands")
    assert a.method == "network" and "步行路网" in a.label("zh")
    assert (a.score[s.distance > 600] == 0).all() and (a.score[s.distance <= 600] > 0).all()
    frame = MetricFrame("EPSG:32651")
    far = shapely.box(*frame.geometry_to_lonlat(shapely.box(0, 0, 100, 100)).bounds)
    zones = gpd.GeoDataFrame({"zone": ["W", "E", "far"]}, geometry=[*d.geometry, far], crs="EPSG:4326")
    t = a.by_zone(zones).set_index("zone")
    assert t.loc["far", "status"] == "no_population" and np.isnan(t.loc["far", "score_per_10k"])
    assert t.loc["W", "population"] == pytest.approx(10_000)
