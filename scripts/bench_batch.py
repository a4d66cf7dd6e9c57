"""Benchmark ``atlas batch``: memory a worker needs per 1M-edge network, and 1 vs 2 workers.

1. Memory: a synthetic grid of ~1M edges is cached; one batch task (load from the cache,
   service areas of 50 sites, coverage of every street) runs in a fresh process, which reports
   its peak resident memory (ru_maxrss) and its memory after imports alone.
2. Scaling: a batch of six ~200k-edge areas, each in its own UTM zone, on a LocalCluster with
   1 and with 2 single-threaded workers (cluster start-up included), and the ratio; the same
   batch in one process (no dask) as the baseline. Rounds alternate the order (other load on a
   shared machine affects both sides); medians are printed.

Usage: python scripts/bench_batch.py [--side 725] [--areas 6] [--area-side 320] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas.batch import BatchArea, BatchOptions, run_batch
from atlas.network import cache_network, resolve, synthetic_grid

ORIGINS = [(1.45, 42.45), (7.38, 43.70), (24.85, 60.15), (121.40, 29.70), (11.50, 50.00),
           (118.50, 30.00), (151.10, -33.90), (-0.20, 51.45)]

CHILD = """
import json, resource, sys, time
from atlas.batch import BatchArea, BatchOptions, run_area
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
rec = run_area(BatchArea(**json.loads(sys.argv[1])), sys.argv[2], BatchOptions(cache=sys.argv[3]))
print(json.dumps({"base_kb": base, "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "seconds": time.perf_counter() - t0, "status": rec["status"]}))
"""


def cached_area(name: str, side: int, origin: tuple[float, float], cache: Path, folder: Path,
                n_sites: int) -> BatchArea:
    """A synthetic grid cached under a bbox label, with a sites CSV: one batch area."""
    net = synthetic_grid(side, origin=origin)
    bbox = (float(net.lon.min()), float(net.lat.min()), float(net.lon.max()), float(net.lat.max()))
    area = resolve(bbox)
    cache_network(net, area_label=area.label, cache=cache)
    rng = np.random.default_rng(0)
    k = rng.choice(net.n_nodes, n_sites, replace=False)
    sites = folder / f"{name}_sites.csv"
    sites.write_text("id,lon,lat\n" + "".join(f"s{i},{net.lon[j]:.7f},{net.lat[j]:.7f}\n"
                                               for i, j in enumerate(k)), encoding="utf-8")
    print(f"  {name}: {net.n_nodes:,} nodes, {net.n_edges:,} edges, {net.crs}", flush=True)
    return BatchArea(name, area.label, None, str(sites))


def memory(side: int, d: Path) -> None:
    print(f"1. memory of one task on a {side}x{side} grid", flush=True)
    a = cached_area("big", side, ORIGINS[3], d / "cache", d, 50)
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(a.__dict__), str(d / "out"),
                          str(d / "cache")], check=True, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"  task {r['status']} in {r['seconds']:.1f} s; peak RSS {r['peak_kb'] / 1024**2:.2f} GB "
          f"(after imports {r['base_kb'] / 1024:.0f} MB)", flush=True)


def scaling(n_areas: int, side: int, d: Path, repeat: int) -> None:
    print(f"2. batch of {n_areas} areas, {side}x{side} grids, {repeat} rounds in alternating order",
          flush=True)
    areas = [cached_area(f"a{i}", side, ORIGINS[i % len(ORIGINS)], d / "cache", d, 20)
             for i in range(n_areas)]
    opts = BatchOptions(cache=str(d / "cache"))
    runs = [("one process", {"inline": True}), ("1 worker", {"n_workers": 1}),
            ("2 workers", {"n_workers": 2})]
    times: dict[str, list[float]] = {label: [] for label, _ in runs}
    for r in range(repeat):
        for label, kw in (runs if r % 2 == 0 else runs[::-1]):
            t0 = time.perf_counter()
            res = run_batch(areas, out=d / f"{label.replace(' ', '_')}_{r}", options=opts, **kw)
            times[label].append(time.perf_counter() - t0)
            assert not res.failed, res.status
            print(f"  round {r + 1} {label:<12} {times[label][-1]:6.1f} s", flush=True)
    med = {k: float(np.median(v)) for k, v in times.items()}
    print(f"  median: one process {med['one process']:.1f} s, 1 worker {med['1 worker']:.1f} s, "
          f"2 workers {med['2 workers']:.1f} s; ratio 1 worker / 2 workers: "
          f"{med['1 worker'] / med['2 workers']:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", type=int, default=725, help="725 -> ~1M edges")
    ap.add_argument("--areas", type=int, default=6)
    ap.add_argument("--area-side", type=int, default=320, help="320 -> ~200k edges")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()
    if not args.skip_memory:
        with tempfile.TemporaryDirectory() as tmp:
            memory(args.side, Path(tmp))
    with tempfile.TemporaryDirectory() as tmp:
        scaling(args.areas, args.area_side, Path(tmp), args.repeat)


if __name__ == "__main__":
    main()
