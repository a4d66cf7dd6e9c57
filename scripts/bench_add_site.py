"""Benchmark: the time to recompute coverage and E2SFCA after adding one site, ~1,200 sites in play.

What the planner feels on the coverage page when a click adds a candidate. Two modes:

* offline (straight-line bounds): the whole city, area-uniform demand (H3 res 8, ~17.7k points)
  and the shipped bases + galleries (1,197 sites);
* network: a synthetic 300 x 300 street grid (90k nodes, 100 m blocks) with 1,200 sites.

For each, the baseline is a full recompute from scratch with the new site included (coverage
summary, district table and E2SFCA), measured in the same run; ours is
``CoverageSummary.with_added_sites`` on the kept sparse matrix, then the same table and E2SFCA.
Both give the same figures (checked here and in tests/test_coverage_summary.py).
Prints medians and the ratio baseline / incremental.

Usage: python scripts/bench_add_site.py [--repeat 5] [--grid 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas.analysis.accessibility import accessibility
from atlas.analysis.demand import demand_points, proxy_demand
from atlas.analysis.supply import supply_sites
from atlas.coverage.summary import coverage_summary
from atlas.data.geodata import load_districts, load_population
from atlas.network import synthetic_grid


def timed(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def compare(label: str, demand, sites, new, *, network, repeat: int) -> None:
    both = gpd.GeoDataFrame(pd.concat([sites, new], ignore_index=True), crs="EPSG:4326")

    def full():
        s = coverage_summary(demand, both, network=network)
        return s, s.by_district(), accessibility(s, both)

    base = coverage_summary(demand, sites, network=network)
    accessibility(base, sites)  # the page keeps this (matrix included) between reruns

    def incremental():
        s = base.with_added_sites(new)
        return s, s.by_district(), accessibility(s, both)

    t_full, (sf, tf, af) = timed(full, repeat)
    t_inc, (_, ti, ai) = timed(incremental, repeat)
    pd.testing.assert_frame_equal(tf, ti)
    assert np.allclose(af.score, ai.score)
    print(f"{label}: {len(sites):,} sites + 1, {len(demand):,} demand points, method {sf.method}")
    print(f"  full recompute (baseline) {t_full * 1e3:8.1f} ms")
    print(f"  after adding one site     {t_inc * 1e3:8.1f} ms   ratio baseline/incremental "
          f"{t_full / t_inc:6.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--grid", type=int, default=300)
    a = ap.parse_args()
    d, pop = load_districts(), load_population()
    demand = proxy_demand(d, pop)
    sites = supply_sites("both")
    new = gpd.GeoDataFrame({"id": ["new001"], "name_zh": ["候选点"]},
                           geometry=[shapely.Point(121.55, 29.87)], crs="EPSG:4326")
    compare("offline city, bases + galleries", demand, sites, new, network=None, repeat=a.repeat)

    net = synthetic_grid(a.grid)
    box = shapely.box(net.lon.min() - 0.01, net.lat.min() - 0.01, net.lon.max() + 0.01, net.lat.max() + 0.01)
    area = gpd.GeoDataFrame({"name_zh": ["grid"]}, geometry=[box], crs="EPSG:4326")
    dem = demand_points(net, area, pd.DataFrame({"district_zh": ["grid"], "resident_pop_2024": [500_000]}))
    k = np.random.default_rng(0).choice(net.n_nodes, 1201, replace=False)
    pts = gpd.GeoDataFrame({"id": [f"s{i}" for i in range(1201)]},
                           geometry=shapely.points(net.lon[k] + 0.0002, net.lat[k]), crs="EPSG:4326")
    compare(f"network grid {a.grid}x{a.grid}", dem, pts.iloc[:1200], pts.iloc[1200:], network=net,
            repeat=max(1, a.repeat // 2))


if __name__ == "__main__":
    main()
