"""Write a synthetic, Ningbo-sized street network as a real .osm.pbf (for timing ``build-network``).

No OSM extract of Ningbo can be downloaded on the build machine, so this writes one of the same
order of size: a street grid over the whole city outline (``geodata/city_outline.geojson``),
dense in the urban core round 三江口 (``--core-spacing``, default 90 m, within ``--core-km``
of 121.55° E, 29.875° N) and sparser elsewhere (``--spacing``, default 250 m), each block
side with ``--shape-nodes`` intermediate nodes (OSM ways bend), 5 % of the block sides left
out, ways of up to 10 blocks, and a mix of highway tags (residential, footway, tertiary,
service, path, and motorway/trunk that the walking filter drops). Only streets are written
(no buildings or land use), so a real extract of the same file size holds fewer streets: times
measured on this file are on the high side for a real extract of the same size.

Usage::

    python scripts/make_synthetic_osm.py OUT.osm.pbf [--spacing 250] [--core-spacing 90]

It prints the file size, nodes and ways written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas.data.geodata import load_city_outline
from atlas.geo.projection import MetricFrame

CORE = (121.55, 29.875)
TAGS = ("residential", "residential", "footway", "tertiary", "service", "path", "secondary",
        "unclassified", "motorway", "trunk")


def _grid(outline: shapely.Geometry, spacing: float, keep: shapely.Geometry | None,
          drop: shapely.Geometry | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid intersections (metric x, y) and which lie inside ``outline`` (and ``keep``, not ``drop``)."""
    x0, y0, x1, y1 = outline.bounds
    gx, gy = np.meshgrid(np.arange(x0, x1, spacing), np.arange(y0, y1, spacing))
    inside = shapely.contains_xy(outline, gx, gy)
    if keep is not None:
        inside &= shapely.contains_xy(keep, gx, gy)
    if drop is not None:
        inside &= ~shapely.contains_xy(drop, gx, gy)
    return gx, gy, inside


def _ways(gx: np.ndarray, gy: np.ndarray, inside: np.ndarray, ids: np.ndarray, rng: np.random.Generator,
          shape_nodes: int, first_shape_id: int) -> tuple[list[list[int]], list[tuple[float, float]]]:
    """Ways along rows and columns (runs of up to 10 kept block sides) and their shape nodes (x, y)."""
    ways: list[list[int]] = []
    shapes: list[tuple[float, float]] = []
    t = np.linspace(0, 1, shape_nodes + 2)[1:-1]
    for X, Y, IN, ID in ((gx, gy, inside, ids), (gx.T, gy.T, inside.T, ids.T)):
        keep = IN[:, :-1] & IN[:, 1:] & (rng.random((IN.shape[0], IN.shape[1] - 1)) > 0.05)
        for r in np.flatnonzero(keep.any(axis=1)):
            way: list[int] = []
            for c in range(keep.shape[1]):
                if not keep[r, c] or len(way) >= 10 * (shape_nodes + 1):  # a gap, or 10 blocks done
                    if len(way) > 1:
                        ways.append(way)
                    way = []
                if keep[r, c]:
                    way += [] if way else [int(ID[r, c])]
                    for f in t:
                        shapes.append((X[r, c] + f * (X[r, c + 1] - X[r, c]),
                                       Y[r, c] + f * (Y[r, c + 1] - Y[r, c])))
                        way.append(first_shape_id + len(shapes) - 1)
                    way.append(int(ID[r, c + 1]))
            if len(way) > 1:
                ways.append(way)
    return ways, shapes


#: Zhejiang's bounding box (lon/lat), for ``--province``.
PROVINCE = (118.0, 27.0, 123.0, 31.2)


def _province_grid(frame: MetricFrame, spacing: float, city_box: tuple[float, float, float, float],
                   first_id: int) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """A plain street grid over the province's box outside the city's box (no shape nodes).

    Returns metric x, y of its nodes (ids from ``first_id``) and its ways (runs of 10 blocks).
    """
    x0, y0 = frame.to_metric(np.array([PROVINCE[0]]), np.array([PROVINCE[1]]))
    x1, y1 = frame.to_metric(np.array([PROVINCE[2]]), np.array([PROVINCE[3]]))
    gx, gy = np.meshgrid(np.arange(x0[0], x1[0], spacing), np.arange(y0[0], y1[0], spacing))
    lon, lat = frame.to_lonlat(gx.ravel(), gy.ravel())
    cx0, cy0, cx1, cy1 = city_box
    outside = ~((lon >= cx0) & (lon <= cx1) & (lat >= cy0) & (lat <= cy1))
    inside = outside.reshape(gx.shape)
    ids = np.full(gx.shape, -1, dtype=np.int64)
    ids[inside] = np.arange(first_id, first_id + int(inside.sum()))
    ways: list[list[int]] = []
    for grid in (ids, ids.T):
        for line in grid:
            ok = np.flatnonzero(line >= 0)
            if len(ok) < 2:
                continue
            breaks = np.flatnonzero(np.diff(ok) > 1) + 1
            for run in np.split(ok, breaks):
                ways += [line[run[i:i + 11]].tolist() for i in range(0, len(run) - 1, 10)]
    return gx[inside], gy[inside], ways


def write(out: Path, *, spacing: float, core_spacing: float, core_km: float, shape_nodes: int,
          seed: int = 0, province_spacing: float | None = None) -> tuple[int, int]:
    """Write the network; returns (nodes, ways).

    With ``province_spacing``, a plain grid of that block side also covers Zhejiang's bounding
    box outside the city's (so the file is province-sized, as a Zhejiang extract is).
    """
    import osmium

    rng = np.random.default_rng(seed)
    frame = MetricFrame("EPSG:32651")
    outline = frame.geometry_to_metric(shapely.union_all(load_city_outline().geometry.to_numpy()))
    cx, cy = frame.to_metric(np.array([CORE[0]]), np.array([CORE[1]]))
    core = shapely.Point(cx[0], cy[0]).buffer(core_km * 1000)
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    all_ways: list[list[int]] = []
    next_id = 1
    for grid in (_grid(outline, core_spacing, core, None), _grid(outline, spacing, None, core)):
        gx, gy, inside = grid
        ids = np.zeros(gx.shape, dtype=np.int64)
        ids[inside] = np.arange(next_id, next_id + int(inside.sum()))
        xs.append(gx[inside])
        ys.append(gy[inside])
        next_id += int(inside.sum())
        ways, shapes = _ways(gx, gy, inside, ids, rng, shape_nodes, next_id)
        if shapes:
            sx, sy = np.asarray(shapes).T
            xs.append(sx)
            ys.append(sy)
            next_id += len(shapes)
        all_ways += ways
    if province_spacing:
        px, py, ways = _province_grid(frame, province_spacing, tuple(shapely.bounds(
            frame.geometry_to_lonlat(outline)).tolist()), next_id)
        xs.append(px)
        ys.append(py)
        all_ways += [w for w in ways if len(w) > 1]
    x, y = np.concatenate(xs), np.concatenate(ys)
    lon, lat = frame.to_lonlat(x + rng.normal(0, 3.0, len(x)), y + rng.normal(0, 3.0, len(y)))
    out.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(out)) as w:
        for i, (lo, la) in enumerate(zip(lon.tolist(), lat.tolist(), strict=True), start=1):
            w.add_node(osmium.osm.mutable.Node(id=i, location=(lo, la)))
        for j, nodes in enumerate(all_ways, start=1):
            tag = TAGS[int(rng.integers(len(TAGS)))]
            w.add_way(osmium.osm.mutable.Way(id=j, nodes=nodes, tags={"highway": tag}))
    return len(x), len(all_ways)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--spacing", type=float, default=250.0, help="block side outside the core (m)")
    ap.add_argument("--core-spacing", type=float, default=90.0, help="block side in the core (m)")
    ap.add_argument("--core-km", type=float, default=15.0, help="radius of the dense core (km)")
    ap.add_argument("--shape-nodes", type=int, default=2, help="intermediate nodes per block side")
    ap.add_argument("--province", type=float, default=None, metavar="SPACING",
                    help="also cover Zhejiang's box outside the city with a grid of this block side (m)")
    args = ap.parse_args()
    nodes, ways = write(args.out, spacing=args.spacing, core_spacing=args.core_spacing,
                        core_km=args.core_km, shape_nodes=args.shape_nodes, province_spacing=args.province)
    size = args.out.stat().st_size
    print(f"{args.out.name}: {size / 1e6:.1f} MB, {nodes:,} nodes, {ways:,} ways")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
