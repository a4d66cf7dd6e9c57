"""Reading street graphs saved as GraphML (``osmnx.save_graphml`` and similar) into a network.

``osmnx.load_graphml`` expects exactly what osmnx wrote and fails with a bare ``KeyError`` or
``ValueError`` on anything else, so the file is parsed with networkx and every attribute is
checked here, with a bilingual message for each way a file can be wrong:

* not GraphML at all, cut short, or empty;
* not a street graph (nodes without ``x``/``y`` positions, no edges);
* projected: a graph saved after ``osmnx.project_graph`` has ``x``/``y`` in metres and its CRS in
  the graph's ``crs`` attribute; it is brought back to WGS84 (edge geometries too). Positions
  outside longitude/latitude with no ``crs`` are refused rather than guessed;
* ``length`` missing, or text: lengths are never taken from the file but measured in true
  metres on the (exploded, straight) segments, so they cannot be wrong or missing;
* parallel edges, and two-way streets stored once per direction, collapse to one edge;
* edges of roads people cannot walk (a drive graph's motorways) are left out by the same
  filter as every other source (:mod:`atlas.osmfilter`), where the edge says its ``highway``;
  osmnx keeps no ``foot=*`` tag by default, so a cycleway open to walkers is judged as osmnx's
  own walk filter judges it (left out).
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj
import shapely

from atlas import settings
from atlas.errors import EmptyAreaError, EmptyNetworkError, ValidationError
from atlas.geo.projection import WGS84
from atlas.network.model import WalkNetwork, from_networkx, highway_values
from atlas.osmfilter import WALK_FILTERS, way_matches

if TYPE_CHECKING:
    import networkx as nx

GRAPHML_SUFFIXES = (".graphml", ".graphml.gz", ".graphml.bz2")
#: Edge attributes the walking filter reads (osmnx keeps these from OSM by default).
_FILTER_KEYS = ("highway", "access", "area", "service", "foot", "sidewalk")


def _parse(p: Path) -> nx.MultiDiGraph:
    import networkx as nx

    if not p.is_file():
        raise ValidationError(f"找不到文件：{p.name}", f"File not found: {p.name}")
    if p.stat().st_size == 0:
        raise ValidationError(f"文件 {p.name} 是空的（0 字节）", f"The file {p.name} is empty (0 bytes)")
    try:
        g = nx.read_graphml(p, force_multigraph=True)
    except (ET.ParseError, nx.NetworkXError, ValueError, KeyError, TypeError, EOFError, OSError) as exc:
        detail = str(exc).strip()[:160]
        raise ValidationError(f"{p.name} 不是有效的 GraphML 文件（可能不完整或已损坏）。（{detail}）",
                              f"{p.name} is not a valid GraphML file (cut short or corrupt?). "
                              f"({detail})") from exc
    return g if g.is_directed() else g.to_directed()


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _to_wgs84(g: nx.MultiDiGraph, name: str, x: np.ndarray, y: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, pyproj.Transformer | None]:
    """Node longitudes/latitudes from the graph's ``x``/``y`` and its ``crs`` attribute."""
    crs_text = g.graph.get("crs")
    ok = np.isfinite(x) & np.isfinite(y)
    if crs_text is None:
        if ((np.abs(x[ok]) > 180) | (np.abs(y[ok]) > 90)).any():
            raise ValidationError(
                f"{name} 的节点坐标不是经纬度，且文件没有记录坐标系（crs）：无法确定位置",
                f"The node positions in {name} are not longitude/latitude and the file records "
                "no CRS (graph attribute 'crs'): their place cannot be known")
        return x, y, None
    try:
        crs = pyproj.CRS(str(crs_text))
    except pyproj.exceptions.CRSError as exc:
        raise ValidationError(f"{name} 记录的坐标系（{str(crs_text)[:60]}）无法识别",
                              f"The CRS recorded in {name} ({str(crs_text)[:60]}) is not a known "
                              "coordinate system") from exc
    if crs.equals(pyproj.CRS(WGS84)):
        return x, y, None
    tr = pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)
    lon, lat = tr.transform(x, y)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), tr


def _clean_graph(g: nx.MultiDiGraph, name: str, filters: tuple[str, ...]) -> tuple[nx.MultiDiGraph,
                                                                                  dict[str, int]]:
    """A tidy copy: integer ids, WGS84 ``x``/``y``, shapely geometries, walkable edges only."""
    import networkx as nx

    nodes = list(g.nodes(data=True))
    if not nodes:
        raise EmptyNetworkError(f"{name} 中没有街道图（没有节点）",
                                f"{name} holds no street graph (no nodes)")
    x = np.array([_number(d.get("x")) for _, d in nodes])
    y = np.array([_number(d.get("y")) for _, d in nodes])
    placed = np.isfinite(x) & np.isfinite(y)
    if not placed.any():
        raise ValidationError(f"{name} 不是街道图：节点没有 x/y 坐标",
                              f"{name} is not a street graph: its nodes have no x/y positions")
    lon, lat, tr = _to_wgs84(g, name, x, y)
    try:
        ids = [int(n) for n, _ in nodes]
    except (TypeError, ValueError):
        ids = []
    if len(set(ids)) != len(nodes):  # not OSM ids: number the nodes instead
        ids = list(range(1, len(nodes) + 1))
    new_id = {n: i for (n, _), i in zip(nodes, ids, strict=True)}
    out = nx.MultiDiGraph(crs=WGS84)
    out.add_nodes_from((i, {"x": float(lon[k]), "y": float(lat[k])})
                       for k, i in enumerate(ids) if placed[k])
    counts = {"edges": 0, "not_walkable": 0, "unplaced_nodes": int((~placed).sum()),
              "unplaced_edges": 0}
    tagged = any(d.get("highway") is not None for *_, d in g.edges(data=True))
    for a, b, d in g.edges(data=True):
        counts["edges"] += 1
        if not (new_id[a] in out and new_id[b] in out):
            counts["unplaced_edges"] += 1
            continue
        if not _walkable(d, filters, tagged=tagged):
            counts["not_walkable"] += 1
            continue
        attrs = {"highway": highway_values(d.get("highway"))}
        if d.get("geometry"):
            attrs["geometry"] = _geometry(d["geometry"], name, tr)
        out.add_edge(new_id[a], new_id[b], **attrs)
    return out, counts


def _walkable(d: dict[str, Any], filters: tuple[str, ...], *, tagged: bool) -> bool:
    """The walking filter on an edge's tags; an edge merged from several ways passes if one would.

    In a graph from OSM (``tagged``: some edge has a ``highway``) an edge without one is no
    street (``osmnx.graph_from_xml`` keeps building outlines, rivers...); in a graph with no
    ``highway`` anywhere (made by hand or by other tools) every edge is taken as a street.
    """
    if d.get("highway") is None:
        return not tagged
    values = {k: highway_values(d[k]) or [""] for k in _FILTER_KEYS if d.get(k) is not None}
    return any(way_matches(dict(zip(values, combo, strict=True)), filters)
               for combo in itertools.islice(itertools.product(*values.values()), 64))


def _geometry(wkt: Any, name: str, tr: pyproj.Transformer | None) -> shapely.Geometry:
    try:
        geom = wkt if isinstance(wkt, shapely.Geometry) else shapely.from_wkt(str(wkt))
    except shapely.errors.GEOSException as exc:
        raise ValidationError(f"{name} 中有无法读取的边几何（{str(wkt)[:40]}）",
                              f"{name} has an edge geometry that cannot be read ({str(wkt)[:40]})") from exc
    if tr is not None:
        geom = shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    return geom


def read_graphml(path: str | Path, *, polygon: shapely.Geometry | None = None,
                 largest_component: bool = True, crs: str | None = None,
                 filters: tuple[str, ...] = WALK_FILTERS) -> WalkNetwork:
    """Load a walking network from a GraphML street graph (slow at city scale: cache the result).

    Parameters
    ----------
    path : str or pathlib.Path
        The GraphML file (``.graphml``, or ``.graphml.gz``/``.bz2``).
    polygon : shapely geometry, optional
        WGS84 area to clip to (osmnx ``truncate_by_edge`` semantics).
    largest_component : bool
        Keep only the largest connected component.
    crs : str, optional
        Metric CRS of the network (default: the UTM zone of its nodes).
    filters : tuple of str
        Walking filters applied to edges that carry OSM tags.

    Returns
    -------
    WalkNetwork
        ``meta`` records edges left out as not walkable and nodes without a position.

    Raises
    ------
    atlas.errors.ValidationError
        If the file is missing, empty, not GraphML, not a street graph or of unknown CRS.
    atlas.errors.EmptyNetworkError
        If it has no (walkable) edge; :class:`atlas.errors.EmptyAreaError` if none in ``polygon``.

    """
    p = Path(path)
    g, counts = _clean_graph(_parse(p), p.name, filters)
    if counts["edges"] == 0:
        raise EmptyNetworkError(f"{p.name} 中的街道图没有边（道路）",
                                f"The street graph in {p.name} has no edges")
    if g.number_of_edges() == 0 and not counts["not_walkable"]:
        raise ValidationError(f"{p.name} 中每条边都连到没有 x/y 坐标的节点：无法确定道路位置",
                              f"Every edge in {p.name} touches a node without x/y position: "
                              "the streets cannot be placed")
    if g.number_of_edges() == 0:
        raise EmptyNetworkError(
            f"{p.name} 中的 {counts['edges']:,} 条边都不可步行（如高速公路）",
            f"No edge in {p.name} ({counts['edges']:,}) is walkable (motorways and the like)")
    meta: dict[str, Any] = {
        "source_kind": "graphml", "source": p.name,
        "source_date": datetime.fromtimestamp(p.stat().st_mtime, UTC).date().isoformat(),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "attribution": settings.ATTRIBUTION_OSM,
        **{k: v for k, v in counts.items() if k in ("not_walkable", "unplaced_nodes") and v}}
    try:
        return from_networkx(g, meta=meta, largest_component=largest_component, crs=crs,
                             polygon=polygon)
    except EmptyNetworkError as exc:
        if polygon is None:
            raise
        raise EmptyAreaError("该范围内没有可步行的道路", "No walkable ways in this area") from exc
