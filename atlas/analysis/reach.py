"""Polygons of the street a walker reaches: buffered reachable edge parts, fast and nested.

A service area is the union of the reachable parts of streets, each widened by the street
half-width (round ends, 16 segments per circle like a GEOS ``quad_segs=4`` buffer). Every
piece (a whole edge, a part of one, the site's access line) is drawn as its buffer directly,
all at once in numpy: its Minkowski sum with one fixed 16-gon (:func:`hulls`). Unioning
buffers with GEOS dominated the time of a service area; the union is done by Clipper2 (Vatti
clipping on 64-bit integer coordinates, through ``manifold3d``'s ``CrossSection``, which takes
numpy rings in metres and keeps eight decimals), in one call per area: about half the time of
Clipper 1 (``pyclipper``) on the same pieces, which also needed every point as a Python list.

Dense networks: the buffer of all streets of a square of the network is kept once computed
(per-network cache), and an area that reaches every street of a square takes it as it is,
the largest such square first, so that only streets at the area's edge are buffered again.

Graduated areas (5/10/15 minutes) come from one set of node distances, and each band is drawn
on its own, strictly nested by construction (:func:`band_polygons`): each smaller band's
16-gon is :data:`NEST_GAP_M` smaller. A piece of a smaller band lies within a piece of each
larger band on the same street, so its Minkowski sum lies inside the larger one's with that
margin, which covers every rounding (10 nm in Clipper2), also after the conversion to WGS84:
no band is clipped against another.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import manifold3d
import numpy as np
import shapely

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from atlas.network import WalkNetwork

#: Segments per circle of the round ends, as GEOS's ``quad_segs=4``.
ARC_SEGMENTS = 16
#: Largest gap, as a share of the radius, between an arc and its chords.
ARC_FRACTION = 1.0 - np.cos(np.pi / ARC_SEGMENTS)

#: Each smaller band's half-width is this much (m) narrower than the next larger one's, so
#: that it lies at least 9.8 mm inside it whatever the rounding (a band loses 0.01 m² per metre
#: of its outline).
NEST_GAP_M = 0.01

#: Sides (m) of the squares whose streets' buffers are kept once computed whole, largest first
#: (each square is four of the next): an area that reaches every street of a square takes its
#: buffer as it is, the largest such square first, and only the streets of squares reached in
#: part are buffered again (dense networks: far fewer overlaps to resolve; the smaller squares
#: catch the dense blocks at an area's edge, the larger ones merge its middle into few pieces).
CELL_LEVELS_M = (300.0, 150.0, 75.0, 37.5)
#: Dense networks get smaller squares too (each side half the last, at most two more sizes)
#: while their smallest squares hold more streets than this on average: Monaco's 37.5 m squares
#: hold 4.1 and it gains 18.75 m ones (its areas take 0.8 of the time), Andorra's hold 2.1.
CELL_EDGES_FINEST = 2.5

#: Points of square buffers kept per network, at most (16 bytes each: 32 MB).
CELL_CACHE_POINTS = 2_000_000


class CellCache(dict[tuple[int, float], list["NDArray[np.float64]"]]):
    """Square buffers by (square, half-width), the oldest dropped beyond ``max_points``.

    A plain dict (kept in insertion order): looked up some twenty times per area, where an
    ordered dict's move to the end on every hit cost more than what it saved. Sessions share a
    network, so additions hold a lock (lookups need none).
    """

    def __init__(self, max_points: int) -> None:
        super().__init__()
        self.max_points = max_points
        self.points = 0
        self._lock = threading.Lock()

    def put(self, key: tuple[int, float], contours: list[NDArray[np.float64]]) -> None:
        """Keep ``contours`` for ``key``, dropping the oldest beyond the limit."""
        with self._lock:
            self.points += sum(map(len, contours)) - sum(map(len, self.get(key, [])))
            self[key] = contours
            while self.points > self.max_points and len(self) > 1:
                self.points -= sum(map(len, self.pop(next(iter(self)))))


@dataclass(frozen=True)
class Cells:
    """A network's nodes in local metres and its edges grouped into squares (cells).

    ``xy`` are the nodes' coordinates in metres from ``origin`` (the median node, so that
    Clipper2's eight decimals are 10 nm anywhere). Cells are squares of each size in
    :data:`CELL_LEVELS_M` (and smaller ones on dense networks), numbered across sizes;
    ``cell_of_edge[level]`` is the cell holding each edge's midpoint, and cell ``k`` has edges
    ``cell_edges[cell_ptr[k]:cell_ptr[k + 1]]`` and lies in the larger cell ``cell_parent[k]``
    (the largest cells: one past the last cell);
    ``cell_polys`` keeps, per cell and half-width, the buffer of all its edges once some area
    has needed it whole.
    """

    origin: tuple[float, float]
    xy: NDArray[np.float64]
    cell_of_edge: NDArray[np.int64]
    cell_edges: NDArray[np.int64]
    cell_ptr: NDArray[np.int64]
    cell_parent: NDArray[np.int64]
    cell_rank: NDArray[np.int64]
    cell_polys: CellCache = field(default_factory=lambda: CellCache(CELL_CACHE_POINTS), compare=False)


_CELLS: weakref.WeakKeyDictionary[WalkNetwork, Cells] = weakref.WeakKeyDictionary()


def cells_of(net: WalkNetwork) -> Cells:
    """The network's cells (computed once per network object, then kept with it)."""
    found = _CELLS.get(net)
    if found is None:
        found = _CELLS[net] = _build_cells(net)
    return found


def cell_sides(mx: NDArray[np.float64], my: NDArray[np.float64]) -> tuple[float, ...]:
    """Sides of the cells: :data:`CELL_LEVELS_M`, then up to two halves more.

    A half is added while the smallest squares hold more than :data:`CELL_EDGES_FINEST` of the
    edges (midpoints ``mx``, ``my``) on average.
    """
    sides = list(CELL_LEVELS_M)
    while len(sides) < len(CELL_LEVELS_M) + 2 and len(mx) > CELL_EDGES_FINEST * len(
            np.unique(np.floor(mx / sides[-1]) * 2 ** 31 + np.floor(my / sides[-1]))):
        sides.append(sides[-1] / 2)
    return tuple(sides)


def _build_cells(net: WalkNetwork, sides: tuple[float, ...] | None = None) -> Cells:
    """Number every edge's square at each size (default :func:`cell_sides`), largest first."""
    origin = (float(np.round(np.median(net.x))), float(np.round(np.median(net.y))))
    xy = np.column_stack([net.x - origin[0], net.y - origin[1]])
    mx, my = (net.x[net.u] + net.x[net.v]) / 2, (net.y[net.u] + net.y[net.v]) / 2
    mx, my = mx - (mx.min() if len(mx) else 0.0), my - (my.min() if len(my) else 0.0)
    sides = sides or cell_sides(mx, my)
    gx, gy = np.floor(mx / sides[-1]), np.floor(my / sides[-1])
    cells, ranks, first = [], [], 0
    for side in sides:  # same grid origin at every size
        f = side / sides[-1]
        ix, iy = np.floor(gx / f).astype(np.int64), np.floor(gy / f).astype(np.int64)
        _, at, cell = np.unique(ix * (2 ** 31) + iy, return_index=True, return_inverse=True)
        cells.append(cell.ravel().astype(np.int64) + first)
        ranks.append((ix[at] % 2) * 2 + iy[at] % 2)  # its quarter of the next larger square
        first = int(cells[-1].max()) + 1 if len(cell) else first
    cell_of_edge = np.stack(cells)
    flat = cell_of_edge.ravel()
    order = np.argsort(flat, kind="stable") % max(net.n_edges, 1)
    cell_ptr = np.concatenate([[0], np.cumsum(np.bincount(flat, minlength=first))]).astype(np.int64)
    parent = np.full(first, first, dtype=np.int64)
    parent[cell_of_edge[1:].ravel()] = cell_of_edge[:-1].ravel()
    return Cells(origin, xy, cell_of_edge, order.astype(np.int64), cell_ptr, parent,
                 np.concatenate(ranks).astype(np.int64))


@dataclass(frozen=True)
class Reach:
    """What one site reaches within one budget: whole edges and parts of edges.

    ``full`` marks edges walked end to end (``full_edges`` lists them); ``part_edge``,
    ``part_s0`` and ``part_s1`` are parts of edges, from ``s0`` to ``s1`` metres measured from
    the edge's ``u`` end.
    """

    full: NDArray[np.bool_]
    full_edges: NDArray[np.int64]
    part_edge: NDArray[np.int64]
    part_s0: NDArray[np.float64]
    part_s1: NDArray[np.float64]


def touching(net: WalkNetwork, dist: NDArray[np.float64], budget: float = np.inf) -> NDArray[np.int64]:
    """Edges with an end within ``budget`` (all reached ends when not given)."""
    nodes = np.flatnonzero(dist <= budget) if np.isfinite(budget) else np.flatnonzero(np.isfinite(dist))
    inc = net.incidence
    return np.unique(inc.indices[_ranges(inc.indptr[nodes], inc.indptr[nodes + 1])])


def _ranges(start: NDArray[np.int64], stop: NDArray[np.int64]) -> NDArray[np.int64]:
    """Concatenated ``arange(start[i], stop[i])``: a gather of CSR rows.

    Sparse row indexing cost more than the search itself on small areas.
    """
    n = stop - start
    ends = np.cumsum(n)
    return np.repeat(start - ends + n, n) + np.arange(int(ends[-1]) if len(ends) else 0)


def reach(net: WalkNetwork, dist: NDArray[np.float64], budget: float, *, own_edge: int | None = None,
          own_t: float = 0.0, access: float = 0.0, cand: NDArray[np.int64] | None = None) -> Reach:
    """The edges and edge parts within ``budget`` of a source whose node distances are ``dist``.

    From an end reached at distance ``d`` the walker covers ``budget - d`` metres of each edge
    there; the two ends' parts make the whole edge when they meet. The source's own edge is
    covered ``budget - access`` metres either way from its snap point (fraction ``own_t``).
    ``cand`` may list edges to look at (a superset of those touching reached nodes, e.g. from
    :func:`touching` for the largest of several budgets).
    """
    if cand is None:
        cand = touching(net, dist, budget)
    du, dv, length = dist[net.u[cand]], dist[net.v[cand]], net.length[cand]
    a = np.where(np.isfinite(du), budget - du, -1.0)
    b = np.where(np.isfinite(dv), budget - dv, -1.0)
    reach_u, reach_v = a >= 0, b >= 0
    whole = (reach_u & (a >= length)) | (reach_v & (b >= length)) | (
        reach_u & reach_v & (a + b >= length))
    full = np.zeros(net.n_edges, dtype=bool)
    full_edges = cand[whole]
    full[full_edges] = True
    pu, pv = reach_u & ~whole & (a > 0), reach_v & ~whole & (b > 0)
    edge = [cand[pu], cand[pv]]
    s0 = [np.zeros(int(pu.sum())), length[pv] - b[pv]]
    s1 = [a[pu], length[pv]]
    if own_edge is not None and budget > access and not full[own_edge]:
        r = budget - access
        lo = float(net.length[own_edge])
        edge.append(np.array([own_edge]))
        s0.append(np.array([max(0.0, own_t * lo - r)]))
        s1.append(np.array([min(lo, own_t * lo + r)]))
    return Reach(full, full_edges, np.concatenate(edge), np.concatenate(s0), np.concatenate(s1))


def reach_shapes(net: WalkNetwork, r: Reach, *, half_width_m: float,
                 extra: NDArray[np.float64] | None = None,
                 whole: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None
                 ) -> list[NDArray[np.float64]]:
    """The closed pieces whose union is a reach's area (local metres, see :class:`Cells`).

    Edges of cells reached in full are represented by their largest such cell's kept buffer
    (computed on first use); every other whole edge, every part of an edge and every segment
    of ``extra`` (shape (k, 2, 2), e.g. the site's access line) is its buffer (:func:`hulls`).
    ``whole`` may give the reach's largest whole cells and its other whole edges (from
    :func:`whole_cells`).
    """
    g = cells_of(net)
    cells, rest = whole or whole_cells(g, [r])[0]
    e = r.part_edge
    a, b = g.xy[net.u[e]], g.xy[net.v[e]]
    length = np.where(net.length[e] > 0, net.length[e], 1.0)
    f0, f1 = (r.part_s0 / length)[:, None], (r.part_s1 / length)[:, None]
    more = np.empty((0, 2, 2)) if extra is None else extra
    pieces = hulls(np.concatenate([g.xy[net.u[rest]], a + f0 * (b - a), more[:, 0]]),
                   np.concatenate([g.xy[net.v[rest]], a + f1 * (b - a), more[:, 1]]), half_width_m)
    out = list(pieces)
    for k in _sibling_groups(g, cells):
        out += _kept(net, g, k, half_width_m)
    return out


def _sibling_groups(g: Cells, cells: NDArray[np.int64]) -> list[int]:
    """Cells, where two or three quarters of one square stand for a group key (negative).

    A group's buffer is kept like a cell's: the quarters' buffers overlap each other by the
    half-width, and uniting them once instead of in every area saves a quarter of the union
    (Andorra). A loop: an area has a few dozen such cells, fewer than numpy's calls cost.
    """
    top = len(g.cell_parent)
    by_square: dict[int, list[tuple[int, int]]] = {}
    for k, square, rank in zip(cells.tolist(), g.cell_parent[cells].tolist(), g.cell_rank[cells].tolist(),
                               strict=True):
        by_square.setdefault(square, []).append((k, rank))
    out = []
    for square, quarters in by_square.items():
        if square == top or len(quarters) < 2:
            out += [k for k, _ in quarters]
        else:
            out.append(-1 - (square * 16 + sum(1 << rank for _, rank in quarters)))
    return out


def whole_cells(g: Cells, reaches: list[Reach]) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Per reach (each within the last), its largest whole cells and its whole edges in none.

    A cell is whole when all its edges are full; the largest are those whose larger cell is not.
    Only the cells of the last reach's full edges are looked at (a pass over every cell of the
    network cost more than the rest of the drawing on small areas), and sorted once for all.
    """
    big = reaches[-1].full_edges
    of_edge = g.cell_of_edge[:, big]
    cells, inv = np.unique(of_edge.ravel(), return_inverse=True)
    inv = inv.reshape(of_edge.shape)
    size = g.cell_ptr[cells + 1] - g.cell_ptr[cells]
    parent = g.cell_parent[cells]  # a parent of a looked-at cell is looked at too (same edges)
    j = np.minimum(np.searchsorted(cells, parent), len(cells) - 1)
    has_parent = cells[j] == parent
    out = []
    for r in reaches:
        mine = r.full[big]
        of_mine = inv[:, mine]
        whole = np.bincount(of_mine.ravel(), minlength=len(cells)) == size
        out.append((cells[whole & ~(has_parent & whole[j])], big[mine][~whole[of_mine].any(axis=0)]))
    return out


def hulls(a: NDArray[np.float64], b: NDArray[np.float64], half_width_m: float) -> NDArray[np.float64]:
    """Buffers of segments ``a[i]``–``b[i]``: each a convex counter-clockwise ring of 18 points.

    The Minkowski sum of the segment and one fixed 16-gon of corner radius ``half_width_m``
    (:data:`UNIT_GON`, the same for every piece): the 16-gon's front half at ``b`` and its back
    half at ``a``, each with the corner farthest to the side, so that the sum is exact. Being
    the same polygon everywhere: a piece of a street within a longer piece has its sum within
    the longer one's, a smaller 16-gon's sums lie within a larger one's (bands nest), and the
    round ends of the streets at one node share their corners exactly, which Clipper unites
    with far fewer crossings than 16-gons turned each to its own street (a fifth less time on
    Andorra, a third on Monaco). The sides are between ``cos(pi / 16)`` (0.981) and 1 times
    ``half_width_m`` from the street: the area never reaches beyond the exact buffer.
    """
    d = b - a
    first = np.rint((np.arctan2(d[:, 1], d[:, 0]) - np.pi / 2) / _STEP).astype(np.int64)  # right side
    k = (first[:, None] + np.arange(ARC_SEGMENTS // 2 + 1)) % ARC_SEGMENTS
    corner = half_width_m * UNIT_GON[k]
    # the back half is the front half turned half a circle (UNIT_GON's halves are negatives)
    return np.concatenate([b[:, None, :] + corner, a[:, None, :] - corner], axis=1)


def _unit_gon(n: int) -> NDArray[np.float64]:
    """Corners of the unit ``n``-gon, counter-clockwise from east.

    The second half is exactly the first negated, so that a corner reached from either side of
    a node is the same number.
    """
    t = np.arange(n // 2) * (2 * np.pi / n)
    half = np.column_stack([np.cos(t), np.sin(t)])
    return np.concatenate([half, -half])


_STEP = 2 * np.pi / ARC_SEGMENTS
#: The 16-gon every piece is the Minkowski sum of (times the half-width).
UNIT_GON = _unit_gon(ARC_SEGMENTS)


def _cell_polygon(net: WalkNetwork, g: Cells, k: int, half_width_m: float) -> list[NDArray[np.float64]]:
    """The buffer of every edge of cell ``k``, or of a group of quarters ``k < 0`` (kept)."""
    if k < 0:
        square, mask = divmod(-1 - k, 16)
        quarters = np.flatnonzero((g.cell_parent == square) & ((1 << g.cell_rank) & mask > 0))
        found = union([c for q in quarters.tolist() for c in _kept(net, g, q, half_width_m)])
    else:
        e = g.cell_edges[g.cell_ptr[k]:g.cell_ptr[k + 1]]
        found = union(list(hulls(g.xy[net.u[e]], g.xy[net.v[e]], half_width_m)))
    g.cell_polys.put((k, float(half_width_m)), found)
    return found


def _kept(net: WalkNetwork, g: Cells, k: int, half_width_m: float) -> list[NDArray[np.float64]]:
    """The kept buffer of cell or group ``k``, computed now if it is not kept."""
    found = g.cell_polys.get((k, float(half_width_m)))
    return _cell_polygon(net, g, k, half_width_m) if found is None else found


def to_local(net: WalkNetwork, xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Metric points (..., 2) in the network's CRS in local metres (see :class:`Cells`)."""
    return np.asarray(xy, dtype=float) - cells_of(net).origin


def union(contours: list[NDArray[np.float64]]) -> list[NDArray[np.float64]]:
    """The rings of the union of counter-clockwise pieces (holes come back clockwise).

    Clipper2 through ``manifold3d`` (positive fill rule: a piece's hole stays a hole unless
    another piece covers it).
    """
    return manifold3d.CrossSection(contours, manifold3d.FillRule.Positive).to_polygons() if contours else []


def to_polygon(rings: list[NDArray[np.float64]], *, origin: tuple[float, float] = (0.0, 0.0)
               ) -> shapely.Geometry:
    """Rings of a union as a shapely (Multi)Polygon, moved by ``origin`` (local metres to CRS).

    Counter-clockwise rings are outer rings; each clockwise ring is a hole of the smallest outer
    ring around it (an island in a hole is an outer ring of its own). All rings are made in
    one shapely call (a call per ring cost as much as the union).
    """
    if not rings:
        return shapely.Polygon()
    lens = np.fromiter(map(len, rings), dtype=np.int64, count=len(rings))
    flat = np.concatenate(rings) + origin
    lr = shapely.linearrings(flat, indices=np.repeat(np.arange(len(rings)), lens))
    ccw = shapely.is_ccw(lr)
    shells, holes = lr[ccw], lr[~ccw]
    if len(shells) == 1:
        return shapely.Polygon(shells[0], holes)
    outer = shapely.polygons(shells)
    first = flat[(np.cumsum(lens) - lens)[~ccw]]  # a point of each hole (may touch its shell)
    inside = shapely.intersects_xy(outer[:, None], first[None, :, 0], first[None, :, 1])
    owner = np.argmin(np.where(inside, shapely.area(outer)[:, None], np.inf), axis=0)
    return shapely.MultiPolygon([shapely.Polygon(s, holes[owner == j]) for j, s in enumerate(shells)])


def band_polygons(net: WalkNetwork, reaches: list[Reach], *, half_width_m: float,
                  extra: list[NDArray[np.float64] | None] | None = None) -> list[shapely.Geometry]:
    """One polygon per band (reaches in increasing budget), each strictly within the next.

    Each band is the union of its own pieces (:func:`reach_shapes`), band ``i`` of ``n`` at
    half-width ``half_width_m - (n - 1 - i) * NEST_GAP_M``: a smaller band's pieces lie within
    the larger band's (same streets, at least as long), so nothing is clipped.

    Parameters
    ----------
    net : WalkNetwork
        The network.
    reaches : list of Reach
        Per band, what is reached; each reach contains the previous one.
    half_width_m : float
        Street half-width (m) of the largest band.
    extra : list of arrays, optional
        Per band, segments (k, 2, 2) in local metres to buffer too (the site's access line).

    Returns
    -------
    list of shapely geometries
        In the network's CRS, in the order of ``reaches`` (empty where nothing is reached).

    """
    extra = extra or [None] * len(reaches)
    out = []
    g = cells_of(net)
    for i, (r, more, whole) in enumerate(zip(reaches, extra, whole_cells(g, reaches), strict=True)):
        hw = half_width_m - (len(reaches) - 1 - i) * NEST_GAP_M
        rings = union(reach_shapes(net, r, half_width_m=hw, extra=more, whole=whole))
        out.append(to_polygon(rings, origin=g.origin))
    return out
