"""Many areas at once: service areas and coverage per area, partitioned on ``dask.distributed``.

One task per area. Each task runs in a worker, independently of the others:

1. resolve the area (a district, a bounding box, or a whole OSM extract) and its UTM zone;
2. load its walking network from the cache, or build it from the area's extract and cache it;
3. compute the sites' walking service areas and the coverage of demand (people on streets for
   Ningbo's districts, street length elsewhere), in the area's own metric CRS;
4. write its own results (``areas/<name>/``: GeoParquet files, then ``done.json`` last).

The driver submits the tasks to a ``LocalCluster`` (default) or to an existing cluster
(``scheduler="tcp://host:port"``) through the same code path, shows progress as tasks finish,
keeps going when one area fails, and merges every finished area into one GeoPackage and one
GeoParquet per table (``service_areas``, ``coverage``), each row recording its ``area`` and
``crs``. A re-run skips areas already done with the same inputs and options.

A remote cluster's workers must see the same paths (extracts, sites, cache and output folder),
e.g. on a shared file system, and have the atlas installed.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atlas import settings
from atlas.errors import AtlasError, ClusterUnreachableError, ValidationError
from atlas.io.storage import atomic_write, atomic_write_text

Progress = Callable[[str, float], None]
#: Site sources besides a file path: OSM venues (museums, libraries...) in the area's extract.
SITES_OSM_VENUES = "osm-venues"
TABLES = ("service_areas", "coverage")


@dataclass(frozen=True)
class BatchArea:
    """One area of a batch.

    Attributes
    ----------
    name : str
        Unique name (letters, digits, ``_-.``; Chinese allowed): the results' folder and the
        ``area`` column.
    area : str or tuple, optional
        A district (name or adcode), ``"bbox:minlon,minlat,maxlon,maxlat"`` or a bbox tuple;
        ``None`` for the whole extent of ``osm_file``.
    osm_file : str, optional
        Local OSM extract to build the network from when it is not cached.
    sites : str
        A layer id of the catalogue (default ``kepu_sites``), ``"osm-venues"`` (venues in the
        extract), or a GeoJSON/GeoPackage/GeoParquet/CSV (``lon``, ``lat``) file in WGS84.

    """

    name: str
    area: str | tuple[float, float, float, float] | None = None
    osm_file: str | None = None
    sites: str = "kepu_sites"


@dataclass(frozen=True)
class BatchOptions:
    """Options shared by every area (budget(s) as in :func:`atlas.analysis.service_area.budgets`).

    ``minutes`` (or ``metres``) may be one value or several bands, e.g. ``(5, 10, 15)``: the
    service areas then have one row per site and band, and coverage one row per district and
    band.
    """

    minutes: float | tuple[float, ...] = settings.WALK_MINUTES
    speed_kmh: float = settings.WALK_SPEED_KMH
    metres: float | tuple[float, ...] | None = None
    buffer_m: float = settings.NETWORK_BUFFER_M
    cache: str | None = None


@dataclass
class BatchResult:
    """What a batch did: per-area status, and the merged files."""

    status: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> list[str]:
        """Names of areas that failed."""
        return [n for n, s in self.status.items() if s.get("status") == "failed"]


def _fingerprint(area: BatchArea, options: BatchOptions) -> str:
    """Hash of everything an area's result depends on (inputs' sizes and dates included)."""
    def stamp(p: str | None) -> list[Any]:
        if p is None or not Path(p).exists():
            return [p]
        st = Path(p).stat()
        return [str(Path(p).resolve()), st.st_size, st.st_mtime_ns]

    raw = json.dumps([asdict(area), asdict(options), stamp(area.osm_file), stamp(area.sites)],
                     sort_keys=True, default=str)
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


def area_dir(out: str | Path, name: str) -> Path:
    """Folder of one area's results."""
    return Path(out) / "areas" / name


def _resolve(area: BatchArea) -> Any:
    from atlas.network import Area, file_extent, resolve

    if area.area is not None:
        return resolve(area.area)
    if area.osm_file is None:
        raise ValidationError(f"范围 {area.name} 既没有区域也没有 OSM 文件",
                              f"Area {area.name} has neither an area nor an OSM file")
    extent = file_extent(area.osm_file)
    if extent is None:
        raise ValidationError(f"OSM 文件 {Path(area.osm_file).name} 中没有数据",
                              f"The OSM file {Path(area.osm_file).name} holds no data")
    name = Path(area.osm_file).name
    return Area(f"extract:{name}", shapely.box(*extent), f"文件 {name} 的范围", f"the extent of {name}")


def _network(area: BatchArea, a: Any, options: BatchOptions) -> tuple[Any, Path]:
    """The area's network from the cache (same area and source file), else built and cached."""
    from atlas.network import build_network, cached_networks, load_network

    cache = Path(options.cache) if options.cache else settings.CACHE_DIR
    source = Path(area.osm_file).name if area.osm_file else None
    for rec in cached_networks(cache=cache):
        if rec.get("area_label") == a.label and (source is None or rec.get("source") == source) \
                and int(rec.get("format", 1)) >= 2:
            return load_network(rec["path"]), Path(rec["path"])
    if area.osm_file is None:
        raise ValidationError(f"{a.name_zh}没有缓存的路网，也没有给出 OSM 文件",
                              f"No cached network for {a.name_en}, and no OSM file given")
    buffer_m = 0.0 if area.area is None else options.buffer_m
    return build_network(a, osm_file=area.osm_file, cache=cache, buffer_m=buffer_m)


def _sites(area: BatchArea, polygon: shapely.Geometry) -> gpd.GeoDataFrame:
    """The area's sites (WGS84 points with an ``id``), inside its polygon."""
    spec = area.sites
    if spec == SITES_OSM_VENUES:
        from atlas.userlayers import venues_from_osm_file

        if area.osm_file is None:
            raise ValidationError("osm-venues 需要 OSM 文件", "osm-venues needs an OSM file")
        v = venues_from_osm_file(area.osm_file, polygon=polygon)
        sites = gpd.GeoDataFrame({"id": v.osm_id.to_numpy(), "name": v.name.to_numpy()},
                                 geometry=v.geometry.to_numpy(), crs=settings.CRS_WGS84)
    elif Path(spec).suffix.lower() in (".geojson", ".json", ".gpkg", ".parquet", ".csv"):
        sites = _read_sites_file(Path(spec))
    else:
        from atlas.data.catalogue import layer_frame, load_catalogue, read_source

        layers = {lyr.id: lyr for lyr in load_catalogue()}
        if spec not in layers:
            raise ValidationError(f"未知的站点来源：{spec}", f"Unknown site source: {spec}")
        sites = layer_frame(layers[spec], read_source(layers[spec].source))
    sites = sites[sites.geometry.notna() & ~sites.geometry.is_empty]
    return sites[sites.within(polygon)].reset_index(drop=True)


def _read_sites_file(p: Path) -> gpd.GeoDataFrame:
    if not p.exists():
        raise ValidationError(f"找不到站点文件：{p.name}", f"Sites file not found: {p.name}")
    if p.suffix.lower() == ".csv":
        df = pd.read_csv(p)
        gdf = gpd.GeoDataFrame(df, geometry=shapely.points(df.lon, df.lat), crs=settings.CRS_WGS84)
    elif p.suffix.lower() == ".parquet":
        gdf = gpd.read_parquet(p)
    else:
        gdf = gpd.read_file(p)
    if "id" not in gdf.columns:
        gdf["id"] = [f"s{i}" for i in range(len(gdf))]
    return gdf.to_crs(settings.CRS_WGS84)


def street_demand(net: Any, polygon: shapely.Geometry) -> gpd.GeoDataFrame:
    """Demand where no population is known: every street's length (metres) at its midpoint.

    Coverage is then the share of street length within reach (``method`` ``street-length``).
    """
    from atlas.analysis.demand import h3_cells

    mlon = 0.5 * (net.lon[net.u] + net.lon[net.v])
    mlat = 0.5 * (net.lat[net.u] + net.lat[net.v])
    shapely.prepare(polygon)
    keep = shapely.contains_xy(polygon, mlon, mlat) & (net.length > 0)
    x = 0.5 * (net.x[net.u] + net.x[net.v])
    y = 0.5 * (net.y[net.u] + net.y[net.v])
    return gpd.GeoDataFrame({
        "edge": np.flatnonzero(keep), "x": x[keep], "y": y[keep], "district": "",
        "population": net.length[keep].astype(float), "method": "street-length",
        "district_share": 1.0, "h3": h3_cells(mlon[keep], mlat[keep]),
    }, geometry=shapely.points(mlon[keep], mlat[keep]), crs=settings.CRS_WGS84)


def _demand(a: Any, net: Any, path: Path, name: str) -> gpd.GeoDataFrame:
    from atlas.analysis.demand import demand_points
    from atlas.data.geodata import load_districts, load_population
    from atlas.network import load_buildings

    if a.label.startswith("district:"):
        d = load_districts()
        one = d[d.adcode.astype(str) == a.label.split(":", 1)[1]]
        return demand_points(net, one, load_population(), buildings=load_buildings(path))
    return street_demand(net, a.polygon).assign(district=name)


def compute_area(area: BatchArea, options: BatchOptions
                 ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Service areas and coverage of one area, in one process (what a batch task computes).

    Returns
    -------
    tuple
        (service areas, coverage by district), both WGS84 with ``area`` and ``crs`` columns;
        with several bands, one row per site and band, and per district and band (``minutes``,
        ``budget_m``).

    """
    from atlas.analysis.service_area import budgets, service_areas
    from atlas.coverage import band_shares, coverage

    a = _resolve(area)
    net, path = _network(area, a, options)
    sites = _sites(area, a.polygon)
    if len(sites):
        areas = service_areas(net, sites, minutes=options.minutes, speed_kmh=options.speed_kmh,
                              metres=options.metres)
    else:
        areas = gpd.GeoDataFrame({"site_id": pd.Series(dtype=str)}, geometry=[], crs=settings.CRS_WGS84)
    demand = _demand(a, net, path, area.name)
    metres_b, minutes_b = budgets(minutes=options.minutes, speed_kmh=options.speed_kmh, metres=options.metres)
    cov = coverage(net, demand, sites, speed_kmh=options.speed_kmh, metres=metres_b[-1])
    by = band_shares(cov, metres_b, minutes=minutes_b).rename(
        columns={"within": "covered", "pct_within": "pct_covered", "metres": "budget_m"})
    by.insert(list(by.columns).index("pct_covered"), "uncovered", by.population - by.covered)
    table = gpd.GeoDataFrame(by.assign(
        demand_method=str(demand.method.iloc[0]) if len(demand) else "",
        n_sites=len(sites), n_sites_flagged=len(cov.flagged_sites),
        network_source=str(net.meta.get("source", "")), network_date=str(net.meta.get("source_date", "")),
        n_nodes=net.n_nodes, n_edges=net.n_edges),
        geometry=[a.polygon] * len(by), crs=settings.CRS_WGS84)
    for t in (areas, table):
        t.drop(columns=["area", "crs"], errors="ignore", inplace=True)
        t.insert(0, "crs", net.crs)
        t.insert(0, "area", area.name)
    return areas, table


def _write_parquet(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    """GeoParquet, written atomically."""
    def write(tmp: Path) -> None:
        gdf.to_parquet(tmp)

    return atomic_write(path, write)


def run_area(area: BatchArea, out: str, options: BatchOptions) -> dict[str, Any]:
    """One batch task: compute an area and write its results (``done.json`` written last).

    An expected failure (bad input, file elsewhere, no network) is written to ``error.json``
    and returned as ``status="failed"`` with its bilingual message; results already written by
    other areas are never touched.
    """
    folder = area_dir(out, area.name)
    folder.mkdir(parents=True, exist_ok=True)
    fp = _fingerprint(area, options)
    t0 = time.perf_counter()
    try:
        areas, table = compute_area(area, options)
    except AtlasError as exc:
        failed = {"name": area.name, "status": "failed", "zh": exc.zh, "en": exc.en, "fingerprint": fp}
        atomic_write_text(folder / "error.json", json.dumps(failed, ensure_ascii=False))
        return failed
    for name, gdf in (("service_areas", areas), ("coverage", table)):
        _write_parquet(gdf, folder / f"{name}.parquet")
    (folder / "error.json").unlink(missing_ok=True)
    rec: dict[str, Any] = {"name": area.name, "status": "done", "fingerprint": fp,
                           "crs": str(table["crs"].iloc[0]), "n_sites": int(areas.site_id.nunique()),
                           "seconds": round(time.perf_counter() - t0, 2)}
    atomic_write_text(folder / "done.json", json.dumps(rec, ensure_ascii=False))
    return rec


def _already_done(out: Path, area: BatchArea, options: BatchOptions) -> dict[str, Any] | None:
    p = area_dir(out, area.name) / "done.json"
    if not p.exists():
        return None
    rec = json.loads(p.read_text(encoding="utf-8"))
    return rec if rec.get("fingerprint") == _fingerprint(area, options) else None


def merge(out: str | Path, names: Iterable[str]) -> list[Path]:
    """Merge finished areas into ``batch.gpkg`` and ``<table>.parquet`` (GeoParquet)."""
    from atlas.io.export import write_geopackage

    outdir = Path(out)
    tables: dict[str, gpd.GeoDataFrame] = {}
    for t in TABLES:
        parts = [gpd.read_parquet(area_dir(outdir, n) / f"{t}.parquet") for n in names
                 if (area_dir(outdir, n) / "done.json").exists()]
        parts = [p for p in parts if len(p)]
        tables[t] = (gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=settings.CRS_WGS84)
                     if parts else gpd.GeoDataFrame({"area": [], "crs": []}, geometry=[],
                                                    crs=settings.CRS_WGS84))
    files = [write_geopackage(tables, outdir / "batch.gpkg")]
    for t, gdf in tables.items():
        files.append(_write_parquet(gdf, outdir / f"{t}.parquet"))
    return files


def _check_names(areas: list[BatchArea]) -> None:
    names = [a.name for a in areas]
    bad = [n for n in names if not n or n in (".", "..") or "/" in n or "\\" in n]
    if bad or len(set(names)) != len(names):
        raise ValidationError("每个范围须有唯一且可作文件夹名的名称",
                              "Every area needs a unique name usable as a folder name")


def run_batch(areas: Iterable[BatchArea], *, out: str | Path, options: BatchOptions | None = None,
              scheduler: str | None = None, n_workers: int = 2, memory_limit: str = "auto",
              inline: bool = False, progress: Progress | None = None,
              connect_timeout_s: float | None = None) -> BatchResult:
    """Compute every area on a dask cluster and merge the results.

    Parameters
    ----------
    areas : iterable of BatchArea
        The areas (unique names).
    out : str or pathlib.Path
        Output folder (per-area results, ``batch.gpkg``, ``service_areas.parquet``,
        ``coverage.parquet``, ``status.json``).
    options : BatchOptions, optional
        Budget, buffer and cache folder (default: the settings).
    scheduler : str, optional
        Address of an existing dask scheduler (``tcp://host:port``); default: a new
        ``LocalCluster`` of ``n_workers`` single-threaded worker processes.
    connect_timeout_s : float, optional
        Seconds to wait for that scheduler (default ``settings.BATCH_CONNECT_TIMEOUT_S``).
    n_workers : int
        Workers of the local cluster.
    memory_limit : str
        Memory limit per local worker (dask syntax, e.g. ``"4GB"``; default ``"auto"``).
    inline : bool
        Run the tasks one after another in this process, without dask (for comparison).
    progress : callable, optional
        Called with (stage, fraction): ``batch_start``, ``batch_area`` (as areas finish),
        ``batch_merge``, ``done``.

    Returns
    -------
    BatchResult

    """
    report = progress or (lambda _s, _f: None)
    todo = list(areas)
    _check_names(todo)
    opts = options or BatchOptions()
    opts = BatchOptions(**{**asdict(opts), "cache": str(Path(opts.cache or settings.CACHE_DIR).resolve())})
    outdir = Path(out).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    result = BatchResult()
    pending = []
    for a in todo:
        prev = _already_done(outdir, a, opts)
        if prev is not None:
            result.status[a.name] = {**prev, "status": "skipped"}
        else:
            pending.append(a)
    report("batch_start", 0.0)
    if pending:
        run = _run_inline if inline else _run_dask
        kw: dict[str, Any] = {"connect_timeout_s": connect_timeout_s} if not inline else {}
        run(pending, outdir, opts, result, scheduler=scheduler, n_workers=n_workers,
            memory_limit=memory_limit, report=lambda f: report("batch_area", 0.05 + 0.85 * f), **kw)
    report("batch_merge", 0.92)
    result.files = merge(outdir, [a.name for a in todo])
    result.files.append(atomic_write_text(outdir / "status.json",
                                          json.dumps(result.status, ensure_ascii=False, indent=1)))
    report("done", 1.0)
    return result


def _run_inline(pending: list[BatchArea], outdir: Path, opts: BatchOptions, result: BatchResult,
                **kw: Any) -> None:
    for i, a in enumerate(pending):
        result.status[a.name] = run_area(a, str(outdir), opts)
        kw["report"]((i + 1) / len(pending))


#: Why a scheduler address failed, in both languages (see :func:`connect`).
_WHY = {"no handshake": ("没有收到调度器的握手应答", "no handshake"),
        "connection closed": ("对方关闭了连接", "the connection was closed"),
        "not a host:port address": ("地址不是 主机:端口 形式", "not a host:port address"),
        "the address accepts but says nothing": ("该地址接受连接但没有应答",
                                                 "the address accepts but says nothing"),
        "connection refused or unreachable": ("连接被拒绝或无法到达", "connection refused or unreachable")}


def connect(scheduler: str, *, timeout_s: float | None = None) -> Any:
    """A dask ``Client`` of the scheduler at ``scheduler``, or a clear error within ``timeout_s``.

    Something else listening at the address (a port that accepts and never answers, another
    service) used to hang the batch for minutes and end in a raw ``CommClosedError``. A dask
    scheduler speaks first on a new connection (its handshake), so the address is first probed
    for that within the timeout, then the client connects with the same timeout.

    Raises
    ------
    atlas.errors.ClusterUnreachableError
        When no dask scheduler answers there in time, naming the address (zh and en).

    """
    import dask
    from dask.distributed import Client

    timeout = float(settings.BATCH_CONNECT_TIMEOUT_S if timeout_s is None else timeout_s)

    def fail(why: str, exc: BaseException | None) -> ClusterUnreachableError:
        zh, en = _WHY[why]
        return ClusterUnreachableError(
            f"{timeout:g} 秒内未能连接到 dask 调度器 {scheduler}（{zh}）：请确认地址和端口，"
            "并确认那里运行的是 `dask scheduler`",
            f"No dask scheduler answered at {scheduler} within {timeout:g} s ({en}): check the "
            "address and port, and that `dask scheduler` runs there" + (
                f" [{type(exc).__name__}]" if exc is not None else ""))

    _probe(scheduler, timeout, fail)
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        with dask.config.set({"distributed.comm.timeouts.connect": f"{timeout}s"}):
            return pool.submit(Client, scheduler, timeout=f"{timeout}s").result(timeout=2 * timeout)
    except concurrent.futures.TimeoutError as exc:
        raise fail("no handshake", exc) from exc
    except (OSError, TimeoutError, ValueError) as exc:  # CommClosedError is an OSError (IOError)
        raise fail("no handshake", exc) from exc
    finally:
        pool.shutdown(wait=False)


def _probe(scheduler: str, timeout: float, fail: Callable[[str, BaseException | None], Exception]) -> None:
    """Check that something at a ``tcp://`` address speaks first, as a dask scheduler does."""
    if not scheduler.startswith("tcp://"):
        return
    host, _, port = scheduler[6:].rstrip("/").rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as sock:
            sock.settimeout(timeout)
            if not sock.recv(1):
                raise fail("connection closed", None)
    except ValueError as exc:
        raise fail("not a host:port address", exc) from exc
    except TimeoutError as exc:
        raise fail("the address accepts but says nothing", exc) from exc
    except OSError as exc:
        raise fail("connection refused or unreachable", exc) from exc


def _run_dask(pending: list[BatchArea], outdir: Path, opts: BatchOptions, result: BatchResult, *,
              scheduler: str | None, n_workers: int, memory_limit: str,
              report: Callable[[float], None], connect_timeout_s: float | None = None) -> None:
    """Submit one task per area; collect as they finish (a crashed task fails only its area)."""
    import contextlib
    import logging

    from dask.distributed import Client, LocalCluster, as_completed

    with contextlib.ExitStack() as stack:
        if scheduler:
            client = stack.enter_context(connect(scheduler, timeout_s=connect_timeout_s))
        else:
            cluster = stack.enter_context(LocalCluster(
                # ":0": any free port for dask's status page (8787 may be another cluster's)
                n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                memory_limit=memory_limit, silence_logs=logging.ERROR))
            client = stack.enter_context(Client(cluster))
        futures = {client.submit(run_area, a, str(outdir), opts, pure=False,
                                 key=f"atlas-area-{a.name}-{_fingerprint(a, opts)}"): a
                   for a in pending}
        for i, fut in enumerate(as_completed(futures), start=1):
            a = futures[fut]
            try:
                result.status[a.name] = fut.result()
            except Exception as exc:  # a worker crash or bug: this area fails, the others go on
                result.status[a.name] = {"name": a.name, "status": "failed",
                                         "zh": f"计算出错：{type(exc).__name__}",
                                         "en": f"Computation failed: {type(exc).__name__}: {exc}"}
            report(i / len(pending))
