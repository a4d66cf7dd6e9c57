"""Valhalla isochrones for scripts/bench_service_areas.py, run in a Python >= 3.12 with pyvalhalla.

pyvalhalla needs Python >= 3.12, the atlas runs on 3.11, so the benchmark calls this script
through a subprocess in a separate environment:

    python3.12 -m venv valhalla-venv && valhalla-venv/bin/pip install pyvalhalla osmium

It reads one JSON request on stdin::

    {"extract": ".../andorra.osm.gz", "workdir": ".../valhalla-tiles", "sites": [[lon, lat], ...],
     "contours": [[15], [5, 10, 15]], "speed_kmh": 4.5, "repeats": 5}

builds the extract's routing tiles once (an .osm/.osm.gz extract is converted to .osm.pbf with
osmium first), then times the pedestrian isochrones of every site for each contour list, and
writes on stdout: per contour list, the CPU milliseconds per site (the best of ``repeats``
rounds, as the benchmark times its own method) and every site's polygons as GeoJSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def tiles_for(extract: Path, workdir: Path) -> Path:
    """The Valhalla config of an extract's tiles, built under ``workdir`` on first use."""
    import osmium
    from valhalla import get_config

    name = extract.name.split(".")[0]
    root = workdir / name
    config = root / "valhalla.json"
    if config.exists():
        return config
    (root / "tiles").mkdir(parents=True, exist_ok=True)
    pbf = root / f"{name}.osm.pbf"
    if extract.suffix == ".pbf":
        pbf = extract
    else:
        with osmium.SimpleWriter(str(pbf), overwrite=True) as writer:
            for obj in osmium.FileProcessor(str(extract)):
                writer.add(obj)
    cfg = get_config(tile_extract="", tile_dir=root / "tiles", verbose=False)
    (root / "build.json").write_text(json.dumps(cfg))
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    subprocess.run(["valhalla_build_tiles", "-c", str(root / "build.json"), str(pbf)], check=True,
                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    config.write_text(json.dumps(cfg))
    return config


def main() -> None:
    from valhalla import Actor

    req = json.load(sys.stdin)
    actor = Actor(str(tiles_for(Path(req["extract"]), Path(req["workdir"]))))
    speed = float(req.get("speed_kmh", 4.5))

    def run(contours: list[float]) -> list[dict]:
        out = []
        for lon, lat in req["sites"]:
            query = {"locations": [{"lon": lon, "lat": lat}], "costing": "pedestrian",
                     "costing_options": {"pedestrian": {"walking_speed": speed}},
                     "contours": [{"time": c} for c in contours], "polygons": True}
            out.append(json.loads(actor.isochrone(json.dumps(query))))
        return out

    result = {"version": __import__("valhalla").__version__, "runs": []}
    run(req["contours"][0])  # warm the tile cache
    for contours in req["contours"]:
        best, answers = float("inf"), []
        for _ in range(int(req.get("repeats", 5))):
            t0 = time.process_time()
            answers = run(contours)
            best = min(best, time.process_time() - t0)
        polys = [{str(f["properties"]["contour"]): f["geometry"] for f in a["features"]} for a in answers]
        result["runs"].append({"contours": contours, "cpu_ms_per_site": 1000 * best / len(req["sites"]),
                               "polygons": polys})
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
