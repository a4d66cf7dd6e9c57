"""Polygons of the street a walker reaches: buffered reachable edge parts, fast and nested.

A service area is the union of the reachable parts of streets, each widened by the street
half-width (round ends and joins, 16 segments per circle like a GEOS ``quad_segs=4`` buffer).
Unioning hundreds of buffered pieces with GEOS dominated the time of a service area, so the
offset and its union are done in one pass by the Clipper library (``pyclipper``: Vatti
clipping on integer coordinates, here millimetres from the network's centre). Paths are
whole *chains* of the network (runs of edges through nodes of degree 2, a per-network cache)
wherever a chain is reached in full, so that the offset works on few long paths instead of
many two-point segments.

Graduated areas (5/10/15 minutes) come from one set of node distances; each smaller area is
then intersected with the next larger one and drawn :data:`NEST_GAP_M` inside it, so that
contours are strictly nested (each smaller one within the larger, also after the conversion to
WGS84).
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
#: Largest gap (m) between an arc and its chords: 16 segments per circle at 25 m, as GEOS's
#: ``quad_segs=4``; scaled with the half-width so every width gets 16 segments per circle.
ARC_FRACTION = 1.0 - np.cos(np.pi / 16)

#: Each smaller band is drawn at least this far (m) inside the next larger one, so that the
#: nesting survives rounding and the conversion to WGS84 (a square metre loses 0.01 m² at most
#: along a 1 km shared edge).
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
    ``cell_edges[cell_ptr[k]:cell_ptr[k + 1]]``; ``cell_polys`` keeps, per cell and half-width,
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
    return Chains(edges_a, np.asarray(nodes, dtype=np.int64), eptr_a, chain_of_edge, origin, ixy,
                  cell_of_edge, order.astype(np.int64), cell_ptr)


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


def reach_shapes(net: WalkNetwork, r: Reach, *, half_width_m: float) -> tuple[list[Path], list[Path]]:
    """What to draw of a reach: open paths to buffer, and buffers of whole cells (Clipper units).

    Edges of cells reached in full are represented by their cell's kept buffer (computed on
    first use); the other whole edges as runs along their chains; parts of edges as segments.
    """
    ch = chains_of(net)
    rest = r.full_edges
    closed: list[Path] = []
    for level in ch.cell_of_edge:  # largest squares first
        c = level[rest]
        cells, counts = np.unique(c, return_counts=True)
        whole = cells[counts == np.diff(ch.cell_ptr)[cells]]
        if len(whole):
            for k in whole.tolist():
                closed += _cell_polygon(net, ch, k, half_width_m)
            rest = rest[~np.isin(c, whole)]
    full = r.full
    if len(rest) < len(r.full_edges):
        full = np.zeros(net.n_edges, dtype=bool)
        full[rest] = True
    paths = _runs(ch, full, rest)
    if len(r.part_edge):
        e = r.part_edge
        length = np.where(net.length[e] > 0, net.length[e], 1.0)
        a, b = ch.ixy[net.u[e]].astype(float), ch.ixy[net.v[e]].astype(float)
        f0, f1 = (r.part_s0 / length)[:, None], (r.part_s1 / length)[:, None]
        seg = np.round(np.stack([a + f0 * (b - a), a + f1 * (b - a)], axis=1)).astype(np.int64)
        paths += seg.tolist()
    return paths, closed


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
    """The buffer of every edge of cell ``k`` (contours, kept with the network's chains)."""
    key = (k, float(half_width_m))
    found = ch.cell_polys.get(key)
    if found is None:
        e = ch.cell_edges[ch.cell_ptr[k]:ch.cell_ptr[k + 1]]
        segs = np.stack([ch.ixy[net.u[e]], ch.ixy[net.v[e]]], axis=1).tolist()
        found = _contours(_offset(segs, [], half_width_m))
        ch.cell_polys.put(key, found)
    return found


def to_units(net: WalkNetwork, xy: NDArray[np.float64]) -> Path:
    """Metric points (n, 2) in the network's CRS as one integer path."""
    ox, oy = chains_of(net).origin
    return np.round((np.asarray(xy, dtype=float) - [ox, oy]) * SCALE).astype(np.int64).tolist()


def _offset(paths: list[Path], closed: list[Path], half_width_m: float) -> pyclipper.PyPolyNode:
    """Open ``paths`` buffered by the half-width, united with ready ``closed`` polygons."""
    if not closed:
        off = pyclipper.PyclipperOffset(2.0, max(ARC_FRACTION * half_width_m * SCALE, 1.0))
        off.AddPaths(paths, pyclipper.JT_ROUND, pyclipper.ET_OPENROUND)
        return off.Execute2(half_width_m * SCALE)
    polys = list(closed)
    if paths:
        off = pyclipper.PyclipperOffset(2.0, max(ARC_FRACTION * half_width_m * SCALE, 1.0))
        off.AddPaths(paths, pyclipper.JT_ROUND, pyclipper.ET_OPENROUND)
        polys += off.Execute(half_width_m * SCALE)
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


def _within(tree: pyclipper.PyPolyNode, outer: pyclipper.PyPolyNode) -> pyclipper.PyPolyNode | None:
    """``tree`` clipped to ``outer`` and shrunk by :data:`NEST_GAP_M`; None when nothing is left."""
    small, big = _contours(tree), _contours(outer)
    if not small or not big:
        return None
    pc = pyclipper.Pyclipper()
    pc.AddPaths(small, pyclipper.PT_SUBJECT, True)
    pc.AddPaths(big, pyclipper.PT_CLIP, True)
    inside = pc.Execute(pyclipper.CT_INTERSECTION, pyclipper.PFT_NONZERO, pyclipper.PFT_NONZERO)
    if not inside:
        return None
    off = pyclipper.PyclipperOffset(2.0)
    off.AddPaths(inside, pyclipper.JT_MITER, pyclipper.ET_CLOSEDPOLYGON)
    tree = off.Execute2(-NEST_GAP_M * SCALE)
    return tree if tree.Childs else None


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
    # (a shapely Polygon per ring cost half as much as the clipping)
    closed = list(itertools.chain.from_iterable(r + r[:1] for r in rings))
    ox, oy = chains_of(net).origin
    coords = np.array(closed, dtype=float) / SCALE + [ox, oy]
    ring_off = np.concatenate([[0], np.cumsum([len(r) + 1 for r in rings])])
    poly_off = np.concatenate([[0], np.cumsum(per_poly)])
    multi = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, coords,
                                      (ring_off, poly_off, np.array([0, len(per_poly)])))[0]
    return multi.geoms[0] if len(per_poly) == 1 else multi


def nested_polygons(net: WalkNetwork, shapes_by_band: list[tuple[list[Path], list[Path]]], *,
                    half_width_m: float) -> list[shapely.Geometry]:
    """One polygon per band (bands in increasing budget), each within the next larger one.

    Parameters
    ----------
    net : WalkNetwork
        The network (for its Clipper origin).
    shapes_by_band : list of (open paths, closed polygons)
        Per band, what is reached (:func:`reach_shapes`).
    half_width_m : float
        Street half-width (m).

    Returns
    -------
    list of shapely geometries
        In the network's CRS, same order as ``paths_by_band``.

    """
    trees: list[pyclipper.PyPolyNode | None] = [None] * len(shapes_by_band)
    outer = None
    for i in range(len(shapes_by_band) - 1, -1, -1):
        paths, closed = shapes_by_band[i]
        tree = _offset(paths, closed, half_width_m) if paths or closed else None
        if tree is not None and outer is not None:
            tree = _within(tree, outer)
        trees[i] = outer = tree
    return [shapely.Polygon() if t is None else to_polygon(net, t) for t in trees]
