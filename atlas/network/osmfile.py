"""Reading local files: OSM extracts (XML, bz2/gz XML, PBF) with pyosmium, and osmnx GraphML.

Why pyosmium rather than pyrosm: one C++ reader handles every format (so XML and PBF of the same
data give the same graph by construction), it streams a province-size PBF without loading it into
pandas, and it applies the same Python tag filter (:mod:`atlas.osmfilter`) as the download path.
Residential building footprints for dasymetric demand (:mod:`atlas.demand`) are read here too,
from the same file.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely

from atlas import settings
from atlas.errors import ValidationError
from atlas.network.model import RESIDENTIAL_HIGHWAYS, Progress, WalkNetwork, _noop, from_arrays, from_networkx
from atlas.osmfilter import WALK_FILTERS, way_matches
from atlas.projection import metric_crs_for

if TYPE_CHECKING:
    import geopandas as gpd
    from numpy.typing import NDArray


OSM_SUFFIXES = (".osm", ".osm.xml", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".xml")


def _clip_by_edge(lon: NDArray[np.float64], lat: NDArray[np.float64], edges: NDArray[np.int64],
                  polygon: shapely.Geometry | None) -> NDArray[np.bool_]:
    """Mask of edges to keep: osmnx ``truncate_by_edge`` semantics on node-to-node edges.

    Nodes inside the polygon are kept, and so are their direct neighbours; an edge is kept
    when both its ends are kept.
    """
    if polygon is None:
        return np.ones(len(edges), dtype=bool)
    shapely.prepare(polygon)
    inside = shapely.contains_xy(polygon, lon, lat)
    keep = inside.copy()
    touching = inside[edges[:, 0]] | inside[edges[:, 1]]
    keep[edges[touching, 0]] = True
    keep[edges[touching, 1]] = True
    return keep[edges[:, 0]] & keep[edges[:, 1]]


def _check_osm_path(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise ValidationError(f"找不到 OSM 文件：{p.name}", f"OSM file not found: {p.name}")
    if not p.name.lower().endswith(OSM_SUFFIXES):
        raise ValidationError(f"不是 OSM 文件（应为 .osm / .osm.pbf / .osm.bz2）：{p.name}",
                              f"Not an OSM file (.osm / .osm.pbf / .osm.bz2 expected): {p.name}")
    return p


def read_osm_file(path: str | Path, *, polygon: shapely.Geometry | None = None,
                  largest_component: bool = True, progress: Progress | None = None,
                  filters: tuple[str, ...] = WALK_FILTERS, prefilter: bool = True,
                  crs: str | None = None) -> WalkNetwork:
    """Build a walking network from a local OSM file (XML, bz2/gz XML or PBF).

    Parameters
    ----------
    path : str or pathlib.Path
        The OSM file.
    polygon : shapely geometry, optional
        Area (WGS84) to clip to; ``None`` keeps the whole file.
    largest_component : bool
        Keep only the largest connected component.
    progress : callable, optional
        Called with (stage, fraction done); stages ``read``, ``build``, ``done``.
    filters : tuple of str
        Overpass-style way filters (default :data:`atlas.osmfilter.WALK_FILTERS`).
    prefilter : bool
        With a polygon, skip ways with no node within the polygon's bounding box (plus 0.02
        degree) while streaming, so a province extract is not held in memory to clip one
        district. The result is the same as clipping afterwards (tested).
    crs : str, optional
        Metric CRS; default: the UTM zone of the polygon's centre, or of the nodes' centre
        without a polygon.

    Returns
    -------
    WalkNetwork

    Raises
    ------
    atlas.errors.ValidationError
        If the file is missing or not an OSM file.
    atlas.errors.EmptyNetworkError
        If no walkable way falls in the area.

    """
    p = _check_osm_path(path)
    report = progress or _noop
    box = None
    if polygon is not None and prefilter:
        x0, y0, x1, y1 = (float(b) for b in shapely.bounds(polygon))
        box = (x0 - 0.02, y0 - 0.02, x1 + 0.02, y1 + 0.02)
    report("read", 0.0)
    ids, lon, lat, e, res = _stream_ways(p, filters=filters, box=box, report=report)
    report("build", 0.96)
    if polygon is not None and len(e):
        order = np.argsort(ids)
        idx = order[np.searchsorted(ids[order], e)]
        keep = _clip_by_edge(lon, lat, idx, polygon)
        e, res = e[keep], res[keep]
    meta = {"source_kind": "file", "source": p.name,
            "source_date": datetime.fromtimestamp(p.stat().st_mtime, UTC).date().isoformat(),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "attribution": settings.ATTRIBUTION_OSM, "filters": list(filters)}
    if crs is None and polygon is not None:
        crs = metric_crs_for(polygon)
    net = from_arrays(ids, lon, lat, e, meta=meta, largest_component=largest_component,
                      residential=res, crs=crs)
    report("done", 1.0)
    return net


def _stream_ways(p: Path, *, filters: tuple[str, ...], box: tuple[float, ...] | None,
                 report: Progress) -> tuple[NDArray[np.int64], NDArray[np.float64],
                                            NDArray[np.float64], NDArray[np.int64], NDArray[np.bool_]]:
    """Stream the walkable ways of an OSM file: node ids, lon, lat, edges (id pairs), residential."""
    import osmium

    node_ids: list[int] = []
    node_lon: list[float] = []
    node_lat: list[float] = []
    seen: set[int] = set()
    edges: list[tuple[int, int]] = []
    res_flags: list[bool] = []
    size = max(p.stat().st_size, 1)
    ways = 0
    try:
        fp = osmium.FileProcessor(str(p), osmium.osm.NODE | osmium.osm.WAY).with_locations()
        for way in fp.with_filter(osmium.filter.EntityFilter(osmium.osm.WAY)).with_filter(
                osmium.filter.KeyFilter("highway")):
            ways += 1
            if ways % 20000 == 0:
                report("read", min(0.95, ways * 200 / size))
            if not isinstance(way, osmium.osm.Way):
                continue
            tags = {t.k: t.v for t in way.tags}
            if not way_matches(tags, filters):
                continue
            if box is not None and not any(
                    box[0] <= nd.location.lon <= box[2] and box[1] <= nd.location.lat <= box[3]
                    for nd in way.nodes if nd.location.valid()):
                continue
            refs: list[int | None] = []
            for nd in way.nodes:
                loc = nd.location
                if not loc.valid():
                    refs.append(None)
                    continue
                if nd.ref not in seen:
                    seen.add(nd.ref)
                    node_ids.append(nd.ref)
                    node_lon.append(loc.lon)
                    node_lat.append(loc.lat)
                refs.append(nd.ref)
            pairs = [(a, b) for a, b in itertools.pairwise(refs) if a is not None and b is not None]
            edges.extend(pairs)
            res_flags.extend([tags.get("highway") in RESIDENTIAL_HIGHWAYS] * len(pairs))
    except RuntimeError as exc:
        raise ValidationError(f"无法读取 OSM 文件 {p.name}：{exc}",
                              f"Cannot read OSM file {p.name}: {exc}") from exc
    return (np.asarray(node_ids, dtype=np.int64), np.asarray(node_lon, dtype=np.float64),
            np.asarray(node_lat, dtype=np.float64), np.asarray(edges, dtype=np.int64).reshape(-1, 2),
            np.asarray(res_flags, dtype=bool))


def file_extent(path: str | Path, *, scan: bool = True) -> tuple[float, float, float, float] | None:
    """The WGS84 extent (minlon, minlat, maxlon, maxlat) of the data in an OSM file.

    The file header's bounding box when it has one (PBF extracts usually do); otherwise, with
    ``scan``, the extent of its nodes (one streaming pass), else None. Also None for a file with
    no node.
    """
    import osmium

    p = _check_osm_path(path)
    try:
        reader = osmium.io.Reader(str(p), osmium.osm.osm_entity_bits.NOTHING)
        box = reader.header().box()
        reader.close()
        if box.valid():
            return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
        if not scan:
            return None
        lo = [np.inf, np.inf]
        hi = [-np.inf, -np.inf]
        for node in osmium.FileProcessor(str(p), osmium.osm.NODE):
            if not isinstance(node, osmium.osm.Node):
                continue
            loc = node.location
            if loc.valid():
                lo = [min(lo[0], loc.lon), min(lo[1], loc.lat)]
                hi = [max(hi[0], loc.lon), max(hi[1], loc.lat)]
    except RuntimeError as exc:
        raise ValidationError(f"无法读取 OSM 文件 {p.name}：{exc}",
                              f"Cannot read OSM file {p.name}: {exc}") from exc
    return (lo[0], lo[1], hi[0], hi[1]) if np.isfinite(lo[0]) else None


def read_graphml(path: str | Path, *, largest_component: bool = True,
                 crs: str | None = None) -> WalkNetwork:
    """Load a network from an osmnx GraphML file (slow at city scale: cache the result)."""
    import osmnx as ox

    p = Path(path)
    if not p.exists():
        raise ValidationError(f"找不到文件：{p.name}", f"File not found: {p.name}")
    g = ox.load_graphml(p)
    meta = {"source_kind": "graphml", "source": p.name,
            "source_date": datetime.fromtimestamp(p.stat().st_mtime, UTC).date().isoformat(),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "attribution": settings.ATTRIBUTION_OSM}
    return from_networkx(g, meta=meta, largest_component=largest_component, crs=crs)


#: ``building=*`` values counted as homes.
RESIDENTIAL_BUILDINGS = frozenset({
    "residential", "apartments", "house", "detached", "semidetached_house", "terrace",
    "dormitory", "bungalow", "farm",
})


def buildings_from_osm_file(path: str | Path, *, polygon: shapely.Geometry | None = None
                            ) -> gpd.GeoDataFrame:
    """Residential building footprints (closed ways) from a local OSM file, with their levels.

    Returns
    -------
    geopandas.GeoDataFrame
        ``osm_id``, ``building``, ``building:levels`` and polygon geometry (WGS84);
        © OpenStreetMap contributors.

    """
    import geopandas as gpd
    import osmium

    rows, geoms = [], []
    fp = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    for way in fp.with_filter(osmium.filter.EntityFilter(osmium.osm.WAY)).with_filter(
            osmium.filter.KeyFilter("building")):
        if not isinstance(way, osmium.osm.Way):
            continue
        kind = way.tags.get("building")
        if kind not in RESIDENTIAL_BUILDINGS:
            continue
        pts = [(n.location.lon, n.location.lat) for n in way.nodes if n.location.valid()]
        if len(pts) < 4 or pts[0] != pts[-1]:
            continue
        rows.append({"osm_id": f"w{way.id}", "building": kind,
                     "building:levels": way.tags.get("building:levels", "")})
        geoms.append(shapely.Polygon(pts))
    gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs=settings.CRS_WGS84) if rows else \
        gpd.GeoDataFrame({"osm_id": [], "building": [], "building:levels": []}, geometry=[],
                         crs=settings.CRS_WGS84)
    if len(gdf):
        gdf["geometry"] = shapely.make_valid(gdf.geometry.to_numpy())  # OSM rings can self-touch
    if polygon is not None and len(gdf):
        gdf = gdf[gdf.intersects(polygon)]
    return gdf.reset_index(drop=True)
