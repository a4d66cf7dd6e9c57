"""Polygons of the street a walker reaches: buffered reachable edge parts, fast and nested.

A service area is the union of the reachable parts of streets, each widened by the street
half-width (round ends and joins, 16 segments per circle like a GEOS ``quad_segs=4`` buffer).
Unioning hundreds of buffered pieces with GEOS dominated the time of a service area, so the
offset and its union are done in one pass by the Clipper library (``pyclipper``: Vatti
clipping on integer coordinates, here millimetres from the network's centre). Paths are
whole *chains* of the network (runs of edges through nodes of degree 2, a per-network cache)
wherever a chain is reached in full, so that the offset works on few long paths instead of
many two-point segments.

Graduated areas (5/10/15 minutes) come from one set of node distances, and each band is drawn
on its own, strictly nested by construction (:func:`band_polygons`): every piece is the convex
hull of a 16-gon, turned to the piece's street, at both ends of the piece (its Minkowski sum
with the 16-gon, as Clipper's round offset of one segment), and each smaller band's 16-gons
are :data:`NEST_GAP_M` smaller. A piece of a smaller band lies on the same street as a longer
piece of each larger band, so its hull lies inside the larger one's with that margin, which
covers every rounding (under 3 mm), also after the conversion to WGS84: no band is clipped
against another.
"""

from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyclipper
import shapely

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from atlas.network import WalkNetwork

#: Integer units per metre of the Clipper coordinates (millimetres).
SCALE = 1000.0
#: Segments per circle of the round ends and joins, as GEOS's ``quad_segs=4``.
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

Path = list[list[int]]


#: Points of cell buffers kept per network, at most (~150 bytes each as the Python lists Clipper
#: takes: about 75 MB). Kept as lists, not arrays: converting them on every use cost more than
#: the clipping on areas made mostly of cells.
CELL_CACHE_POINTS = 500_000


class CellCache(OrderedDict[tuple[int, float], list[Path]]):
    """Cell buffers by (cell, half-width), least recently used dropped beyond ``max_points``."""

    def __init__(self, max_points: int) -> None:
        super().__init__()
        self.max_points = max_points
        self.points = 0

    def get(self, key: tuple[int, float], default: list[Path] | None = None) -> list[Path] | None:  # type: ignore[override]
        """The kept buffer of ``key`` (now the most recently used), or ``default``."""
        found = super().get(key, default)
        if found is not default:
            self.move_to_end(key)
        return found

    def put(self, key: tuple[int, float], contours: list[Path]) -> None:
        """Keep ``contours`` for ``key``, dropping the least recently used beyond the limit."""
        self[key] = contours
        self.points += sum(map(len, contours))
        while self.points > self.max_points and len(self) > 1:
            _, old = self.popitem(last=False)
            self.points -= sum(map(len, old))


@dataclass(frozen=True)
class Chains:
    """A network's edges grouped into chains (maximal runs through nodes of degree 2) and cells.

    Chain ``c`` has edges ``edges[eptr[c]:eptr[c + 1]]`` in walking order, and nodes
    ``nodes[eptr[c] + c : eptr[c + 1] + c + 1]`` (one more than its edges). Cells are squares
    of each size in :data:`CELL_LEVELS_M`, numbered across sizes; ``cell_of_edge[level]`` is the
    cell holding each edge's midpoint, and cell ``k`` has edges
    ``cell_edges[cell_ptr[k]:cell_ptr[k + 1]]`` and lies in the larger cell ``cell_parent[k]``
    (the largest cells: one past the last cell); ``cell_polys`` keeps, per cell and half-width,
    the buffer of all its edges once some area has needed it whole.
    """

    edges: NDArray[np.int64]
    nodes: NDArray[np.int64]
    eptr: NDArray[np.int64]
    chain_of_edge: NDArray[np.int64]
    origin: tuple[float, float]
    ixy: NDArray[np.int64]
    cell_of_edge: NDArray[np.int64]
    cell_edges: NDArray[np.int64]
    cell_ptr: NDArray[np.int64]
    cell_parent: NDArray[np.int64]
    cell_polys: CellCache = field(default_factory=lambda: CellCache(CELL_CACHE_POINTS), compare=False)

    @property
    def n_chains(self) -> int:
        """Number of chains."""
        return len(self.eptr) - 1


_CHAINS: weakref.WeakKeyDictionary[WalkNetwork, Chains] = weakref.WeakKeyDictionary()


def chains_of(net: WalkNetwork) -> Chains:
    """The network's chains (computed once per network object, then kept with it)."""
    found = _CHAINS.get(net)
    if found is None:
        found = _CHAINS[net] = _build_chains(net)
    return found


def _build_chains(net: WalkNetwork) -> Chains:
    """Walk every chain once: from nodes of degree other than 2, then the remaining cycles."""
    u, v = net.u.tolist(), net.v.tolist()
    deg = np.bincount(np.concatenate([net.u, net.v]), minlength=net.n_nodes)
    inc = net.incidence
    ptr, idx = inc.indptr.tolist(), inc.indices.tolist()
    through = (deg == 2).tolist()
    seen = bytearray(net.n_edges)
    edges: list[int] = []
    nodes: list[int] = []
    eptr = [0]

    def walk(start: int, e: int) -> None:
        node = start
        nodes.append(node)
        while True:
            seen[e] = 1
            edges.append(e)
            node = v[e] if u[e] == node else u[e]
            nodes.append(node)
            if not through[node]:
                break
            nxt = [f for f in idx[ptr[node]:ptr[node + 1]] if not seen[f]]
            if not nxt:
                break
            e = nxt[0]
        eptr.append(len(edges))

    for n in np.flatnonzero(deg != 2).tolist():
        for e in idx[ptr[n]:ptr[n + 1]]:
            if not seen[e]:
                walk(n, e)
    for e in range(net.n_edges):  # cycles of degree-2 nodes only
        if not seen[e]:
            walk(u[e], e)
    edges_a = np.asarray(edges, dtype=np.int64)
    eptr_a = np.asarray(eptr, dtype=np.int64)
    chain_of_edge = np.empty(net.n_edges, dtype=np.int64)
    chain_of_edge[edges_a] = np.repeat(np.arange(len(eptr_a) - 1), np.diff(eptr_a))
    origin = (float(np.round(np.median(net.x))), float(np.round(np.median(net.y))))
    ixy = np.round(np.column_stack([net.x - origin[0], net.y - origin[1]]) * SCALE).astype(np.int64)
    mx, my = (net.x[net.u] + net.x[net.v]) / 2, (net.y[net.u] + net.y[net.v]) / 2
    gx, gy = np.floor((mx - mx.min()) / CELL_LEVELS_M[-1]), np.floor((my - my.min()) / CELL_LEVELS_M[-1])
    cells, first = [], 0
    for side in CELL_LEVELS_M:  # squares of each size nest in the next larger (same grid origin)
        f = side / CELL_LEVELS_M[-1]
        key = np.floor(gx / f).astype(np.int64) * (2 ** 31) + np.floor(gy / f).astype(np.int64)
        _, cell = np.unique(key, return_inverse=True)
        cells.append(cell.ravel().astype(np.int64) + first)
        first = int(cells[-1].max()) + 1
    cell_of_edge = np.stack(cells)
    flat = cell_of_edge.ravel()
    order = np.argsort(flat, kind="stable") % net.n_edges
    cell_ptr = np.concatenate([[0], np.cumsum(np.bincount(flat))]).astype(np.int64)
    parent = np.full(first, first, dtype=np.int64)
    parent[cell_of_edge[1:].ravel()] = cell_of_edge[:-1].ravel()
    return Chains(edges_a, np.asarray(nodes, dtype=np.int64), eptr_a, chain_of_edge, origin, ixy,
                  cell_of_edge, order.astype(np.int64), cell_ptr, parent)


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
                 runs: bool = True) -> tuple[list[Path], list[Path]]:
    """What to draw of a reach: open paths to buffer, and closed polygons (Clipper units).

    Edges of cells reached in full are represented by their largest such cell's kept buffer
    (computed on first use). With ``runs``, the other whole edges are runs along their chains
    and parts of edges are segments, all to be offset together (fewest points: one area).
    Without, every other whole edge is a two-point path (Clipper's round offset of one segment
    is its hull) and every part is already its own hull (:func:`hulls`, turned as its whole
    street), so that the pieces of a smaller band lie within those of a larger one (bands).
    """
    ch = chains_of(net)
    cells, in_whole = _largest_whole_cells(ch, r.full_edges)
    rest = r.full_edges[~in_whole]
    closed = [c for k in cells.tolist() for c in _cell_polygon(net, ch, k, half_width_m)]
    e = r.part_edge
    a, b = ch.ixy[net.u[e]].astype(float), ch.ixy[net.v[e]].astype(float)
    length = np.where(net.length[e] > 0, net.length[e], 1.0)
    f0, f1 = (r.part_s0 / length)[:, None], (r.part_s1 / length)[:, None]
    p0, p1 = np.round(a + f0 * (b - a)).astype(np.int64), np.round(a + f1 * (b - a)).astype(np.int64)
    if not runs:  # whole edges as segments: Clipper's round offset of one segment is its hull
        segs = np.stack([ch.ixy[net.u[rest]], ch.ixy[net.v[rest]]], axis=1).tolist()
        return segs, closed + hulls(p0, p1, half_width_m, along=b - a).tolist()
    full = np.zeros(net.n_edges, dtype=bool)
    full[rest] = True
    return _runs(ch, full, rest) + np.stack([p0, p1], axis=1).tolist(), closed


def _largest_whole_cells(ch: Chains, full_edges: NDArray[np.int64]
                         ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """The largest whole cells, and per full edge whether it lies in a whole cell.

    A cell is whole when all its edges are full; the largest are those whose larger cell is not.
    Only the cells of the full edges are looked at: a pass over every cell of the network cost
    more than the rest of the drawing on small areas.
    """
    of_edge = ch.cell_of_edge[:, full_edges]
    cells, inv, counts = np.unique(of_edge.ravel(), return_inverse=True, return_counts=True)
    whole = counts == (ch.cell_ptr[cells + 1] - ch.cell_ptr[cells])
    parent = ch.cell_parent[cells]  # a parent of a looked-at cell is looked at too (same edges)
    j = np.minimum(np.searchsorted(cells, parent), len(cells) - 1)
    parent_whole = (cells[j] == parent) & whole[j]
    return cells[whole & ~parent_whole], whole[inv].reshape(of_edge.shape).any(axis=0)


def hulls(a: NDArray[np.int64], b: NDArray[np.int64], half_width_m: float, *,
          along: NDArray[np.float64] | None = None) -> NDArray[np.int64]:
    """Buffers of segments ``a[i]``–``b[i]`` (Clipper units): each a convex polygon of 18 points.

    The convex hull of a :data:`ARC_SEGMENTS`-gon of radius ``half_width_m`` at both ends,
    turned so that two of its corners lie on the normals of the direction ``along`` (default
    ``b - a``): the sides are exactly ``half_width_m`` from the segment, and the ends are the
    same half 16-gons as Clipper's round ends. Parts of one street given its whole direction
    get 16-gons turned alike, so a shorter part's hull lies in a longer one's.
    """
    d = (b - a).astype(float) if along is None else along
    front = np.arctan2(d[:, 1], d[:, 0])[:, None] + _HALF_TURN  # right normal round the far end
    corner = (half_width_m * SCALE) * np.stack([np.cos(front), np.sin(front)], axis=-1)
    # the near end's corners are the far end's turned half a circle: the same, negated
    return np.rint(np.concatenate([b[:, None, :] + corner, a[:, None, :] - corner], axis=1)).astype(np.int64)


#: Angles of a half 16-gon's corners from a segment's right normal round its far end.
_HALF_TURN = np.arange(ARC_SEGMENTS // 2 + 1) * (2 * np.pi / ARC_SEGMENTS) - np.pi / 2


def _runs(ch: Chains, full: NDArray[np.bool_], fe: NDArray[np.int64]) -> list[Path]:
    """Runs of consecutive whole edges along the chains that hold some (integer paths)."""
    touched = np.unique(ch.chain_of_edge[fe])
    if len(touched) == 0:
        return []
    lo, hi = ch.eptr[touched], ch.eptr[touched + 1]
    n = hi - lo
    pos = np.repeat(lo - np.concatenate([[0], np.cumsum(n)[:-1]]), n) + np.arange(int(n.sum()))
    f = full[ch.edges[pos]]
    if not f.any():
        return []
    first = np.zeros(len(pos), dtype=bool)
    first[np.concatenate([[0], np.cumsum(n)[:-1]])] = True
    last = np.zeros(len(pos), dtype=bool)
    last[np.cumsum(n) - 1] = True
    starts = np.flatnonzero(f & (first | ~np.concatenate([[False], f[:-1]])))
    ends = np.flatnonzero(f & (last | ~np.concatenate([f[1:], [False]])))
    c = ch.chain_of_edge[ch.edges[pos[starts]]]
    return [ch.ixy[ch.nodes[s + k:e + k + 2]].tolist()
            for s, e, k in zip(pos[starts].tolist(), pos[ends].tolist(), c.tolist(), strict=True)]


def _cell_polygon(net: WalkNetwork, ch: Chains, k: int, half_width_m: float) -> list[Path]:
    """The buffer of every edge of cell ``k``: the union of their hulls (kept with the chains)."""
    key = (k, float(half_width_m))
    found = ch.cell_polys.get(key)
    if found is None:
        e = ch.cell_edges[ch.cell_ptr[k]:ch.cell_ptr[k + 1]]
        found = _contours(_union(hulls(ch.ixy[net.u[e]], ch.ixy[net.v[e]], half_width_m).tolist()))
        ch.cell_polys.put(key, found)
    return found


def to_units(net: WalkNetwork, xy: NDArray[np.float64]) -> Path:
    """Metric points (n, 2) in the network's CRS as one integer path."""
    ox, oy = chains_of(net).origin
    return np.round((np.asarray(xy, dtype=float) - [ox, oy]) * SCALE).astype(np.int64).tolist()


def _offset(paths: list[Path], closed: list[Path], half_width_m: float) -> pyclipper.PyPolyNode:
    """Open ``paths`` buffered by the half-width, united with ready ``closed`` polygons."""
    if not paths:
        return _union(closed)
    off = pyclipper.PyclipperOffset(2.0, max(ARC_FRACTION * half_width_m * SCALE, 1.0))
    off.AddPaths(paths, pyclipper.JT_ROUND, pyclipper.ET_OPENROUND)
    if not closed:
        return off.Execute2(half_width_m * SCALE)
    return _union(closed + off.Execute(half_width_m * SCALE))


def _union(polys: list[Path]) -> pyclipper.PyPolyNode:
    """The union of closed polygons (outer rings counter-clockwise, holes clockwise)."""
    pc = pyclipper.Pyclipper()
    pc.AddPaths(polys, pyclipper.PT_SUBJECT, True)
    return pc.Execute2(pyclipper.CT_UNION, pyclipper.PFT_NONZERO, pyclipper.PFT_NONZERO)


def _contours(tree: pyclipper.PyPolyNode) -> list[Path]:
    out: list[Path] = []
    stack = list(tree.Childs)
    while stack:
        node = stack.pop()
        out.append(node.Contour)
        stack.extend(node.Childs)
    return out


def to_polygon(net: WalkNetwork, tree: pyclipper.PyPolyNode) -> shapely.Geometry:
    """A Clipper polygon tree as a shapely (Multi)Polygon in the network's CRS."""
    rings: list[Path] = []
    per_poly: list[int] = []
    stack = list(tree.Childs)
    while stack:
        outer = stack.pop()
        rings.append(outer.Contour)
        rings += [h.Contour for h in outer.Childs]
        per_poly.append(1 + len(outer.Childs))
        for h in outer.Childs:
            stack.extend(h.Childs)
    if not rings:
        return shapely.Polygon()
    # every ring closed by repeating its first point, all in one array and one shapely call
    # (a shapely Polygon per ring cost half as much as the clipping; np.fromiter over the flat
    # integers takes a third less than np.array over the lists of points)
    lens = np.fromiter(map(len, rings), dtype=np.int64, count=len(rings))
    n = int(lens.sum())
    flat = np.fromiter(itertools.chain.from_iterable(itertools.chain.from_iterable(rings)),
                       dtype=np.int64, count=2 * n).reshape(-1, 2)
    ends = np.cumsum(lens)
    ox, oy = chains_of(net).origin
    coords = flat[np.insert(np.arange(n), ends, ends - lens)] / SCALE + [ox, oy]
    ring_off = np.concatenate([[0], np.cumsum(lens + 1)])
    poly_off = np.concatenate([[0], np.cumsum(per_poly)])
    multi = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, coords,
                                      (ring_off, poly_off, np.array([0, len(per_poly)])))[0]
    return multi.geoms[0] if len(per_poly) == 1 else multi


def band_polygons(net: WalkNetwork, reaches: list[Reach], *, half_width_m: float,
                  extra: list[list[Path]] | None = None) -> list[shapely.Geometry]:
    """One polygon per band (reaches in increasing budget), each strictly within the next.

    One band is offset as runs along the chains (:func:`reach_shapes`). Several are each the
    union of their own pieces' hulls, band ``i`` of ``n`` at half-width ``half_width_m - (n - 1
    - i) * NEST_GAP_M``: a smaller band's pieces lie within the larger band's (same streets, at
    least as long), so nothing is clipped.

    Parameters
    ----------
    net : WalkNetwork
        The network.
    reaches : list of Reach
        Per band, what is reached; each reach contains the previous one.
    half_width_m : float
        Street half-width (m) of the largest band.
    extra : list of list of paths, optional
        Per band, two-point paths to buffer too (the site's own access line).

    Returns
    -------
    list of shapely geometries
        In the network's CRS, in the order of ``reaches`` (empty where nothing is reached).

    """
    extra = extra or [[] for _ in reaches]
    one = len(reaches) == 1
    out = []
    for i, (r, more) in enumerate(zip(reaches, extra, strict=True)):
        hw = half_width_m - (len(reaches) - 1 - i) * NEST_GAP_M
        paths, closed = reach_shapes(net, r, half_width_m=hw, runs=one)
        paths += more  # two-point paths: the same in every band, so nested like whole edges
        out.append(to_polygon(net, _offset(paths, closed, hw)) if paths or closed else shapely.Polygon())
    return out
