"""The pieces of a service area and their assembly (atlas.analysis.reach), checked against shapely.

Every piece is the Minkowski sum of its segment and one fixed 16-gon: exact (the convex hull
of the 16-gon at both ends, as shapely computes it), counter-clockwise, nested for a piece
within a piece and a smaller 16-gon, and sharing its corners exactly with the pieces that
meet it at a node. The union's rings become shapely polygons with every hole in its own
outer ring, islands in holes included.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from atlas.analysis.reach import ARC_SEGMENTS, NEST_GAP_M, UNIT_GON, hulls, to_polygon, union

HW = 25.0
coord = st.floats(-500.0, 500.0, allow_nan=False, allow_infinity=False)
# directions that are exact multiples of the 16-gon's step (ties between two corners) as well
# as arbitrary ones, and zero-length segments
on_step = st.integers(0, ARC_SEGMENTS - 1).map(lambda k: k * 2 * np.pi / ARC_SEGMENTS)
angle = st.one_of(on_step, st.floats(-np.pi, np.pi, allow_nan=False))
length = st.one_of(st.just(0.0), st.floats(1e-6, 1.0), st.floats(1.0, 400.0))


def segment(x: float, y: float, a: float, n: float) -> tuple[np.ndarray, np.ndarray]:
    p = np.array([[x, y]])
    return p, p + n * np.array([[np.cos(a), np.sin(a)]])


@settings(max_examples=300, deadline=None)
@given(coord, coord, angle, length)
def test_a_piece_is_the_exact_minkowski_sum_of_its_segment_and_the_16gon(x, y, a, n):
    p, q = segment(x, y, a, n)
    ring = hulls(p, q, HW)[0]
    assert ring.shape == (ARC_SEGMENTS + 2, 2)
    exact = shapely.convex_hull(shapely.multipoints(np.concatenate([p + HW * UNIT_GON, q + HW * UNIT_GON])))
    ours = shapely.Polygon(ring)
    assert shapely.is_valid(ours) and shapely.is_ccw(shapely.LinearRing(ring))
    assert shapely.area(shapely.symmetric_difference(ours, exact)) <= 1e-6 * max(exact.area, 1.0)
    # never beyond the exact round buffer, and at most 1 - cos(pi/16) of the half-width inside it
    line = shapely.LineString(np.concatenate([p, q])) if n > 0 else shapely.Point(p[0])
    assert shapely.distance(line, shapely.points(ring)).max() <= HW + 1e-9
    assert ours.buffer(1e-7).covers(line.buffer(HW * np.cos(np.pi / ARC_SEGMENTS) - 1e-6, quad_segs=16))


@settings(max_examples=200, deadline=None)
@given(coord, coord, angle, length, st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_a_smaller_piece_of_the_same_street_lies_inside_with_the_nesting_gap(x, y, a, n, f0, f1):
    """A part of a street (a band's part) with a 1 cm smaller 16-gon lies 9.8 mm inside the whole
    street's piece, whatever the direction (the bands nest without clipping)."""
    p, q = segment(x, y, a, n)
    lo, hi = sorted((f0, f1))
    big = shapely.Polygon(hulls(p, q, HW)[0])
    part = hulls(p + lo * (q - p), p + hi * (q - p), HW - NEST_GAP_M)[0]
    margin = NEST_GAP_M * np.cos(np.pi / ARC_SEGMENTS)
    assert shapely.contains(big, shapely.points(part)).all()
    assert shapely.distance(big.exterior, shapely.points(part)).min() >= margin - 1e-9


def test_pieces_meeting_at_a_node_share_their_corners_there():
    """The round ends of streets at one node are the same 16 numbers, whichever way each street
    runs (Clipper then unites them without crossings between almost equal arcs)."""
    rng = np.random.default_rng(3)
    node = np.array([[1234.5678, -987.654]])
    far = node + rng.uniform(-300, 300, size=(40, 2))
    into, out_of = hulls(far, np.repeat(node, 40, axis=0), HW), hulls(np.repeat(node, 40, axis=0), far, HW)
    corners = {tuple(c) for c in node + HW * UNIT_GON}
    near = [r[np.abs(r - node).sum(axis=1) <= HW + 1e-9] for r in np.concatenate([into, out_of])]
    for ring in near:
        assert {tuple(c) for c in ring} <= corners


def _rings(geom: shapely.Geometry) -> list[np.ndarray]:
    """A polygon's rings as a union returns them: shells counter-clockwise, holes clockwise."""
    out = []
    for poly in getattr(geom, "geoms", [geom]):
        poly = shapely.orient_polygons(poly)
        out += [np.asarray(poly.exterior.coords)[:-1]] + [np.asarray(h.coords)[:-1] for h in poly.interiors]
    return out


def test_rings_become_polygons_with_each_hole_in_its_own_shell():
    """An island in a hole of another polygon, with its own hole, and a third polygon apart:
    each hole goes to the smallest shell around it, in any order of the rings."""

    big = shapely.Polygon(shapely.box(0, 0, 100, 100).exterior, [shapely.box(20, 20, 80, 80).exterior])
    island = shapely.Polygon(shapely.box(30, 30, 70, 70).exterior, [shapely.box(45, 45, 55, 55).exterior])
    apart = shapely.Polygon(shapely.box(200, 0, 260, 60).exterior, [shapely.box(210, 10, 220, 20).exterior])
    want = shapely.MultiPolygon([big, island, apart])
    rings = _rings(want)
    for order in (list(range(len(rings))), list(reversed(range(len(rings)))), [3, 0, 5, 1, 4, 2]):
        got = to_polygon([rings[i] - 500.0 for i in order], origin=(500.0, 500.0))
        assert got.is_valid and got.geom_type == "MultiPolygon" and len(got.geoms) == 3
        assert shapely.equals(got, want)
        assert sorted(len(p.interiors) for p in got.geoms) == [1, 1, 1]


def test_the_union_of_pieces_is_shapelys_union():
    """Clipper2's union of many overlapping pieces (and a square with a hole that a piece fills
    in part) is the area shapely's union gives, to its 10 nm precision."""
    rng = np.random.default_rng(11)
    a = rng.uniform(0, 600, size=(150, 2))
    b = a + rng.normal(0, 60, size=(150, 2))
    pieces = list(hulls(a, b, HW))
    frame = shapely.orient_polygons(shapely.Polygon(shapely.box(-200, -200, 900, 900).exterior,
                                                    [shapely.box(-150, -150, 850, 850).exterior]))
    pieces += [np.asarray(frame.exterior.coords)[:-1], np.asarray(frame.interiors[0].coords)[:-1]]
    got = union(pieces)
    want = shapely.union_all([shapely.Polygon(p) for p in pieces[:-2]] + [frame])
    area = sum(0.5 * np.sum(r[:, 0] * np.roll(r[:, 1], -1) - np.roll(r[:, 0], -1) * r[:, 1]) for r in got)
    assert area == pytest.approx(want.area, rel=1e-9)


def test_the_cell_cache_keeps_its_limit_and_its_count_under_concurrent_sessions():
    """Sessions share a network's kept cell buffers: puts from many threads at once (the same
    keys too) never raise, never hold more than the limit, and the count is the points held."""
    import sys
    import threading

    from atlas.analysis.reach import CellCache

    cache = CellCache(max_points=5_000)
    ring = np.zeros((50, 2))
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        try:
            rng = np.random.default_rng(seed)
            for k in rng.integers(0, 400, size=2_000):
                cache.put((int(k), 25.0), [ring, ring[:int(k) % 40 + 3]])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors
    assert cache.points == sum(len(c) for rings in cache.values() for c in rings)
    assert cache.points <= cache.max_points and len(cache) > 1


def _sites_near_middle(net, dx, dy):
    """Point sites (WGS84) at offsets ``dx``, ``dy`` (m) from the middle of ``net``."""
    import geopandas as gpd

    from atlas.geo.projection import MetricFrame

    lon, lat = MetricFrame(net.crs).to_lonlat(net.x.mean() + np.asarray(dx), net.y.mean() + np.asarray(dy))
    return gpd.GeoDataFrame({"id": [str(i) for i in range(len(lon))]},
                            geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def _metric_areas(net, sites, **budgets):
    from atlas.analysis.service_area import service_areas

    return service_areas(net, sites, **budgets).to_crs(net.crs).geometry.to_numpy()


def _assert_same_areas(got, want):
    for a, b in zip(got, want, strict=True):
        assert a.area > 0 and shapely.area(shapely.symmetric_difference(a, b)) < 1e-6 * a.area


@pytest.mark.parametrize(("spacing", "sides"), [(100.0, 4), (25.0, 5), (4.0, 6)])
def test_dense_networks_get_smaller_cells_and_the_same_areas(spacing, sides):
    """Squares of 18.75 m (and 9.375 m) are added only where the 37.5 m ones hold more than
    2.5 streets on average; with or without them an area is the same (within Clipper2's 10 nm
    per vertex)."""
    from atlas.analysis import reach as r
    from atlas.network.synthetic import synthetic_grid

    net = synthetic_grid(40, spacing_m=spacing)
    assert r.cells_of(net).cell_of_edge.shape[0] == sides
    sites = _sites_near_middle(net, [0.3 * spacing], [0.0])
    metres = [10 * spacing, 25 * spacing]
    got = _metric_areas(net, sites, metres=metres)
    r._CELLS[net] = r._build_cells(net, r.CELL_LEVELS_M)  # only the four fixed sizes
    _assert_same_areas(got, _metric_areas(net, sites, metres=metres))


def test_quarters_of_a_square_are_kept_united_and_give_the_same_areas(monkeypatch):
    """Two or three whole quarters of a square are drawn as one kept buffer (a negative key):
    the areas are those drawn quarter by quarter."""
    from atlas.analysis import reach as r
    from atlas.network.synthetic import synthetic_grid

    net = synthetic_grid(60, spacing_m=30.0, seed=4)
    sites = _sites_near_middle(net, [7.0, -400.0, 300.0], [3.0, 250.0, -500.0])
    grouped = _metric_areas(net, sites, minutes=[5, 10, 15])
    assert any(k < 0 for k, _ in r.cells_of(net).cell_polys)
    monkeypatch.setattr(r, "_sibling_groups", lambda g, cells: cells.tolist())
    r._CELLS.pop(net)
    alone = _metric_areas(net, sites, minutes=[5, 10, 15])
    assert not any(k < 0 for k, _ in r.cells_of(net).cell_polys)
    _assert_same_areas(grouped, alone)
