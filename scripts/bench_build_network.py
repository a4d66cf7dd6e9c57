"""How long ``build-network`` takes: one district and the whole city, and the real small extracts.

Each build is the real command (``build-network --area ... --osm-file ...``) in a fresh process
with an empty cache, timed from outside with ``/usr/bin/time`` (wall seconds and peak memory).
Without a Ningbo extract on the machine, ``--synthetic`` writes a Ningbo-sized street network
first (:mod:`scripts.make_synthetic_osm`); pass a real extract with ``--osm-file``. The real
Andorra and Monaco extracts (``--extract``) are built whole (their bounding box) for comparison.
The machine's load is printed with the figures: on a shared machine they are noisy.

Usage::

    python scripts/bench_build_network.py --synthetic /tmp/ningbo.osm.pbf \
        --extract andorra.osm.gz --extract monaco.osm.gz
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: The district with the most area and the densest one, then the whole city (its bounding box).
AREAS = (("宁海县 (largest district, 1,902 km²)", "宁海县"),
         ("鄞州区 (dense core, 832 km²)", "鄞州区"),
         ("whole city (bbox, 10,358 km²)", "bbox:120.86,28.85,122.28,30.50"))


def timed_build(area: str, osm_file: Path, cache: Path) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak MiB, the network it built) of one build in a fresh process.

    CPU seconds (user + system) are what a build costs on an idle machine (it runs on one core);
    wall seconds also hold the waiting on a busy one.
    """
    code = "from atlas.cli import build_network_main; raise SystemExit(build_network_main())"
    cmd = ["/usr/bin/time", "-f", "%e %U %S %M", sys.executable, "-c", code, "--area", area,
           "--osm-file", str(osm_file), "--cache", str(cache), "--lang", "en"]
    env = {**os.environ, "ATLAS_CACHE_DIR": str(cache)}
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall, user, system, kib = run.stderr.strip().splitlines()[-1].split()
    lines = [ln for ln in run.stdout.splitlines() if ln.strip()]
    summary = lines[-2] if run.returncode == 0 and len(lines) > 1 else f"failed: {run.stderr[-300:]}"
    return float(wall), float(user) + float(system), int(kib) / 1024, summary


def extract_bbox(path: Path) -> str:
    """The ``bbox:`` area of an extract's own extent."""
    from atlas.network.osmfile import file_extent

    x0, y0, x1, y1 = file_extent(path) or (0.0, 0.0, 0.0, 0.0)
    return f"bbox:{x0:.5f},{y0:.5f},{x1:.5f},{y1:.5f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--synthetic", type=Path, help="write a Ningbo-sized synthetic .osm.pbf here")
    src.add_argument("--osm-file", type=Path, help="a real extract covering Ningbo")
    ap.add_argument("--extract", type=Path, action="append", default=[],
                    help="another extract to build whole (e.g. andorra.osm.gz)")
    args = ap.parse_args()
    osm = args.osm_file or args.synthetic
    if args.synthetic is not None:
        from scripts.make_synthetic_osm import write

        nodes, ways = write(args.synthetic, spacing=250.0, core_spacing=90.0, core_km=15.0,
                            shape_nodes=2)
        print(f"synthetic extract {osm.name}: {osm.stat().st_size / 1e6:.1f} MB, {nodes:,} nodes, "
              f"{ways:,} ways (streets only)")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| area | file | wall s | CPU s | peak MiB | load | network |\n|---|---|---:|---:|---:|---:|---|")
    runs = [(label, area, osm) for label, area in AREAS]
    runs += [(p.name + " (whole extract)", extract_bbox(p), p) for p in args.extract]
    for label, area, path in runs:
        with tempfile.TemporaryDirectory() as cache:
            wall, cpu, mib, summary = timed_build(area, path, Path(cache))
        print(f"| {label} | {path.name} ({path.stat().st_size / 1e6:.1f} MB) | {wall:.1f} | {cpu:.1f} | "
              f"{mib:,.0f} | {os.getloadavg()[0]:.1f} | {summary} |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
