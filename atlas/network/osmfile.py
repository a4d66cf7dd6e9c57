"""Reading local OSM extracts (XML, bz2/gz XML, PBF) with pyosmium.

Why pyosmium rather than pyrosm: one C++ reader handles every format (so XML and PBF of the same
data give the same graph by construction), it streams a province-size PBF without loading it into
pandas, and it applies the same Python tag filter (:mod:`atlas.osmfilter`) as the download path.
Residential building footprints for dasymetric demand (:mod:`atlas.analysis.demand`) are read here too,
from the same file. GraphML files are read by :mod:`atlas.network.graphml`.

A file is read for what its first bytes say it is (:func:`osm_format`), and every way a file can
fail says so in words (:func:`read_osm_file`): empty, cut short, corrupt, not OSM at all, no
streets, no walkable street, ways whose nodes are missing, or streets elsewhere.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from atlas import settings
from atlas.errors import EmptyAreaError, EmptyNetworkError, ValidationError
from atlas.geo.projection import metric_crs_for
from atlas.network.model import RESIDENTIAL_HIGHWAYS, Progress, WalkNetwork, _noop, from_arrays
from atlas.osmfilter import WALK_FILTERS, way_matches

if TYPE_CHECKING:
    import geopandas as gpd
    from numpy.typing import NDArray


OSM_SUFFIXES = (".osm", ".osm.xml", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".xml")


def _check_osm_path(path: str | Path) -> Path:
    p = Path(path)
    if not p.is_file():
        raise ValidationError(f"找不到 OSM 文件：{p.name}", f"OSM file not found: {p.name}")
    if not p.name.lower().endswith(OSM_SUFFIXES):
        raise ValidationError(f"不是 OSM 文件（应为 .osm / .osm.pbf / .osm.bz2）：{p.name}",
                              f"Not an OSM file (.osm / .osm.pbf / .osm.bz2 expected): {p.name}")
    return p


def osm_format(path: str | Path) -> str:
    """The osmium format of an OSM file, from its first bytes (not its name).

    A download saved under the wrong name (a ``.osm`` that is really PBF, an ``.osm.gz`` that
    is plain XML) is read for what it is.

    Returns
    -------
    str
        ``"pbf"``, ``"osm.gz"``, ``"osm.bz2"`` or ``"osm"`` (XML).

    Raises
    ------
    atlas.errors.ValidationError
        If the file is empty or is neither OSM XML nor PBF (e.g. a web page or an error text).

    """
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(64)
    except OSError as exc:  # unreadable: permissions, a folder, a vanished mount
        raise ValidationError(f"无法打开文件 {p.name}（{exc.strerror or exc}）",
                              f"Cannot open the file {p.name} ({exc.strerror or exc})") from exc
    if not head:
        raise ValidationError(f"文件 {p.name} 是空的（0 字节）", f"The file {p.name} is empty (0 bytes)")
    if head.startswith(b"\x1f\x8b"):
        return "osm.gz"
    if head.startswith(b"BZh"):
        return "osm.bz2"
    if b"OSMHeader" in head[4:32]:
        return "pbf"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"<?xml", b"<osm")):
        return "osm"
    raise ValidationError(
        f"{p.name} 不是 OSM 数据（既不是 OSM XML，也不是 PBF）：可能是网页或错误信息，请检查下载。",
        f"{p.name} is not OSM data (neither OSM XML nor PBF): perhaps a web page or an error "
        "message saved instead. Check the download.")


def _osm_input(p: Path) -> Any:
    """An osmium input for ``p`` in the format its contents have."""
    import osmium

    return osmium.io.File(str(p), osm_format(p))


def _unreadable(p: Path, exc: Exception) -> ValidationError:
    """A clear message for a file osmium failed on: cut short, corrupt or not OSM."""
    detail = str(exc).strip()[:160]
    if any(k in detail for k in ("EOF", "gzip error", "bzip2 error", "no element found",
                                 "unclosed token")):
        return ValidationError(
            f"OSM 文件 {p.name} 不完整或已损坏：文件在中途结束或无法解压（下载或复制可能中断），"
            f"请重新获取该文件。（{detail}）",
            f"The OSM file {p.name} is incomplete or corrupt: it ends part-way or cannot be "
            f"decompressed (an interrupted download or copy?). Get the file again. ({detail})")
    return ValidationError(f"OSM 文件 {p.name} 已损坏或不是有效的 OSM 数据，无法读取。（{detail}）",
                           f"The OSM file {p.name} is corrupt or not valid OSM data. ({detail})")


@dataclass
class _Ways:
    """What streaming a file's ways found: the walkable graph, and counts for the messages."""

    ids: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    edges: NDArray[np.int64]
    residential: NDArray[np.bool_]
    highway_ways: int = 0
    walkable_ways: int = 0
    located_segments: int = 0
    missing_nodes: int = 0


def read_osm_file(path: str | Path, *, polygon: shapely.Geometry | None = None,
                  largest_component: bool = True, progress: Progress | None = None,
                  filters: tuple[str, ...] = WALK_FILTERS, prefilter: bool = True,
                  crs: str | None = None) -> WalkNetwork:
    """Build a walking network from a local OSM file (XML, bz2/gz XML or PBF).

    The format is read from the file's contents (:func:`osm_format`). Way nodes the file does
    not hold (common in extracts clipped by other tools) leave their segments out; how many
    is recorded as ``meta["missing_nodes"]`` and said by :meth:`WalkNetwork.describe`.

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
        If the file is missing, empty, cut short, corrupt or not OSM data.
    atlas.errors.EmptyNetworkError
        If the file holds no data, no street, no walkable street, or only streets whose nodes
        are all missing (each said plainly); :class:`atlas.errors.EmptyAreaError` if it has
        walkable streets, but none in ``polygon``.

    """
    p = _check_osm_path(path)
    report = progress or _noop
    box = None
    if polygon is not None and prefilter:
        x0, y0, x1, y1 = (float(b) for b in shapely.bounds(polygon))
        box = (x0 - 0.02, y0 - 0.02, x1 + 0.02, y1 + 0.02)
    report("read", 0.0)
    w = _stream_ways(p, filters=filters, box=box, report=report)
    report("build", 0.96)
    meta: dict[str, Any] = {
        "source_kind": "file", "source": p.name,
        "source_date": datetime.fromtimestamp(p.stat().st_mtime, UTC).date().isoformat(),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "attribution": settings.ATTRIBUTION_OSM, "filters": list(filters)}
    if w.missing_nodes:
        meta["missing_nodes"] = w.missing_nodes
    if crs is None and polygon is not None:
        crs = metric_crs_for(polygon)
    try:
        net = from_arrays(w.ids, w.lon, w.lat, w.edges, meta=meta, residential=w.residential,
                          largest_component=largest_component, crs=crs, polygon=polygon)
    except EmptyNetworkError as exc:
        raise _no_ways(p, w, has_segments=bool(len(w.edges))) from exc
    report("done", 1.0)
    return net


def _no_ways(p: Path, w: _Ways, *, has_segments: bool) -> EmptyNetworkError:
    """Why a file gave no walkable edge, in words: no data, no streets, none walkable, no nodes."""
    name = p.name
    if has_segments:  # walkable streets, but not in the area
        return EmptyAreaError("该范围内没有可步行的道路", "No walkable ways in this area")
    if w.walkable_ways and not w.located_segments:
        return EmptyNetworkError(
            f"文件 {name} 中 {w.walkable_ways:,} 条可步行道路引用的节点不在文件中（只有路线，"
            "没有节点坐标），无法构建路网。请导出包含完整路线的 OSM 文件"
            "（如 osmium extract --strategy complete_ways）。",
            f"The walkable ways in {name} ({w.walkable_ways:,}) reference nodes the file does "
            "not hold (ways without node positions): no network can be built. Export the extract "
            "with complete ways (e.g. osmium extract --strategy complete_ways).")
    if w.walkable_ways:  # ways of one node, or all outside the prefilter box
        return EmptyAreaError("该范围内没有可步行的道路", "No walkable ways in this area")
    if w.highway_ways:
        return EmptyNetworkError(
            f"文件 {name} 中有 {w.highway_ways:,} 条道路，但都不可步行（如高速公路、施工中或禁止行人的道路）",
            f"The file {name} has roads ({w.highway_ways:,}), but none is walkable (motorways, "
            "roads under construction or closed to pedestrians)")
    if not _has_objects(p):
        return EmptyNetworkError(
            f"文件 {name} 中没有 OSM 数据（没有节点和路线）：文件可能是空的或下载不完整",
            f"The file {name} holds no OSM data (no nodes or ways): it is empty or was cut short")
    return EmptyNetworkError(f"文件 {name} 中没有道路（没有 highway=* 路线）",
                             f"The file {name} has no streets (no highway=* ways)")


def _has_objects(p: Path) -> bool:
    """True if the file holds at least one node, way or relation (stops at the first)."""
    import osmium

    try:
        return next(iter(osmium.FileProcessor(_osm_input(p))), None) is not None
    except RuntimeError as exc:
        raise _unreadable(p, exc) from exc


def _stream_ways(p: Path, *, filters: tuple[str, ...], box: tuple[float, ...] | None,
                 report: Progress) -> _Ways:
    """Stream the walkable ways of an OSM file: node ids, lon, lat, edges (id pairs), residential."""
    import osmium

    node_ids: list[int] = []
    node_lon: list[float] = []
    node_lat: list[float] = []
    seen: set[int] = set()
    missing: set[int] = set()
    edges: list[tuple[int, int]] = []
    res_flags: list[bool] = []
    size = max(p.stat().st_size, 1)
    n_highway = n_walkable = n_located = 0
    try:
        fp = osmium.FileProcessor(_osm_input(p), osmium.osm.NODE | osmium.osm.WAY).with_locations()
        for way in fp.with_filter(osmium.filter.EntityFilter(osmium.osm.WAY)).with_filter(
                osmium.filter.KeyFilter("highway")):
            n_highway += 1
            if n_highway % 20000 == 0:
                report("read", min(0.95, n_highway * 200 / size))
            if not isinstance(way, osmium.osm.Way):
                continue
            tags = {t.k: t.v for t in way.tags}
            if not way_matches(tags, filters):
                continue
            n_walkable += 1
            located = [nd.location.valid() for nd in way.nodes]
            missing.update(nd.ref for nd, ok in zip(way.nodes, located, strict=True) if not ok)
            n_located += sum(a and b for a, b in itertools.pairwise(located))
            if box is not None and not any(
                    box[0] <= nd.location.lon <= box[2] and box[1] <= nd.location.lat <= box[3]
                    for nd, ok in zip(way.nodes, located, strict=True) if ok):
                continue
            refs: list[int | None] = []
            for nd, ok in zip(way.nodes, located, strict=True):
                if not ok:  # a node the file does not hold: its segments are left out
                    refs.append(None)
                    continue
                if nd.ref not in seen:
                    seen.add(nd.ref)
                    node_ids.append(nd.ref)
                    node_lon.append(nd.location.lon)
                    node_lat.append(nd.location.lat)
                refs.append(nd.ref)
            pairs = [(a, b) for a, b in itertools.pairwise(refs) if a is not None and b is not None]
            edges.extend(pairs)
            res_flags.extend([tags.get("highway") in RESIDENTIAL_HIGHWAYS] * len(pairs))
    except RuntimeError as exc:
        raise _unreadable(p, exc) from exc
    return _Ways(np.asarray(node_ids, dtype=np.int64), np.asarray(node_lon, dtype=np.float64),
                 np.asarray(node_lat, dtype=np.float64),
                 np.asarray(edges, dtype=np.int64).reshape(-1, 2), np.asarray(res_flags, dtype=bool),
                 highway_ways=n_highway, walkable_ways=n_walkable, located_segments=n_located,
                 missing_nodes=len(missing))


def file_extent(path: str | Path, *, scan: bool = True) -> tuple[float, float, float, float] | None:
    """The WGS84 extent (minlon, minlat, maxlon, maxlat) of the data in an OSM file.

    The file header's bounding box when it has one (PBF extracts usually do); otherwise, with
    ``scan``, the extent of its nodes (one streaming pass), else None. Also None for a file with
    no node.
    """
    import osmium

    p = _check_osm_path(path)
    try:
        reader = osmium.io.Reader(_osm_input(p), osmium.osm.osm_entity_bits.NOTHING)
        box = reader.header().box()
        reader.close()
        if box.valid():
            return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
        if not scan:
            return None
        lo = [np.inf, np.inf]
        hi = [-np.inf, -np.inf]
        for node in osmium.FileProcessor(_osm_input(p), osmium.osm.NODE):
            if not isinstance(node, osmium.osm.Node):
                continue
            loc = node.location
            if loc.valid():
                lo = [min(lo[0], loc.lon), min(lo[1], loc.lat)]
                hi = [max(hi[0], loc.lon), max(hi[1], loc.lat)]
    except RuntimeError as exc:
        raise _unreadable(p, exc) from exc
    return (lo[0], lo[1], hi[0], hi[1]) if np.isfinite(lo[0]) else None


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

    p = _check_osm_path(path)
    rows, geoms = [], []
    fp = osmium.FileProcessor(_osm_input(p), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    try:
        for way in fp.with_filter(osmium.filter.EntityFilter(osmium.osm.WAY)).with_filter(
                osmium.filter.KeyFilter("building")):
            if not isinstance(way, osmium.osm.Way):
                continue
            kind = way.tags.get("building")
            if kind not in RESIDENTIAL_BUILDINGS:
                continue
            pts = [(n.location.lon, n.location.lat) for n in way.nodes if n.location.valid()]
            if len(pts) < 4 or pts[0] != pts[-1]:  # a ring with a missing node is left out
                continue
            rows.append({"osm_id": f"w{way.id}", "building": kind,
                         "building:levels": way.tags.get("building:levels", "")})
            geoms.append(shapely.Polygon(pts))
    except RuntimeError as exc:
        raise _unreadable(p, exc) from exc
    gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs=settings.CRS_WGS84) if rows else \
        gpd.GeoDataFrame({"osm_id": [], "building": [], "building:levels": []}, geometry=[],
                         crs=settings.CRS_WGS84)
    if len(gdf):
        gdf["geometry"] = shapely.make_valid(gdf.geometry.to_numpy())  # OSM rings can self-touch
    if polygon is not None and len(gdf):
        gdf = gdf[gdf.intersects(polygon)]
    return gdf.reset_index(drop=True)
