"""Population where people live: demand points from a raster, a cell table or a zone table.

Demand sources, best first (:data:`SOURCES`):

1. ``buildings`` — OSM residential floor area on the walking network (:mod:`atlas.analysis.demand`);
2. ``raster`` — a population GeoTIFF (WorldPop 100 m fetched when online by
   :func:`download_worldpop`, or any GeoTIFF the planner has; read with rasterio) or a table
   of cells (lon, lat, population);
3. ``zone-table`` — a planner's population by 街道/社区 joined to their own boundary file;
4. ``area-uniform`` — district totals spread evenly (:func:`atlas.analysis.demand.proxy_demand`),
   labelled, the last resort.

Every source is reconciled to the official 2024 district totals (``geodata/population.csv``):
each district's cells are scaled so they add up to its official figure, and
:func:`reconcile` returns the table that shows it (source total, official total, factor). A
district a source does not reach falls back to area-uniform, and the table says so.

Each demand point carries ``extent_m``, the radius of the area its people live in (half a
pixel's diagonal, an H3 cell's radius), which the coverage bounds respect.
"""

from __future__ import annotations

import shutil
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

from atlas import settings
from atlas.errors import UploadError, ValidationError

if TYPE_CHECKING:
    from numpy.typing import NDArray

SOURCES: tuple[str, ...] = ("buildings", "raster", "zone-table", "area-uniform")

#: WorldPop 100 m unconstrained population counts per country and year (GeoTIFF, WGS84, people
#: per pixel; CC BY 4.0). Override per call, or with env ``ATLAS_WORLDPOP_URL``.
WORLDPOP_URL = ("https://data.worldpop.org/GIS/Population/Global_2000_2020/{year}/{ISO}/"
                "{iso}_ppp_{year}.tif")
WORLDPOP_ATTRIBUTION = "WorldPop (www.worldpop.org), CC BY 4.0"

Progress = Callable[[str, float], None]


# --- reading cells --------------------------------------------------------------------------

def read_raster_cells(path: str | Path, *, bounds: tuple[float, float, float, float] | None = None
                      ) -> pd.DataFrame:
    """Populated pixels of a population-count GeoTIFF as cells.

    Parameters
    ----------
    path : str or pathlib.Path
        A single-band raster of people per pixel, in any CRS rasterio knows.
    bounds : tuple, optional
        (min lon, min lat, max lon, max lat) in WGS84: only this window is read.

    Returns
    -------
    pandas.DataFrame
        ``lon``, ``lat`` (pixel centres, WGS84), ``population`` (> 0) and ``extent_m`` (half the
        pixel's diagonal in metres).

    Raises
    ------
    atlas.errors.UploadError
        If the file is not a readable raster.

    """
    import rasterio
    from rasterio.errors import RasterioError
    from rasterio.warp import transform, transform_bounds
    from rasterio.windows import from_bounds

    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise UploadError("栅格没有坐标系", "The raster has no coordinate reference system")
            window = None
            if bounds is not None:
                b = transform_bounds(settings.CRS_WGS84, src.crs, *bounds, densify_pts=21)
                full = rasterio.windows.Window(0, 0, src.width, src.height)
                window = from_bounds(*b, transform=src.transform).round_offsets().round_lengths()
                try:
                    window = window.intersection(full)
                except rasterio.errors.WindowError:
                    return _empty_cells()
            _check_pixels(window or rasterio.windows.Window(0, 0, src.width, src.height))
            band = src.read(1, window=window, masked=True)
            tr = src.window_transform(window) if window is not None else src.transform
            crs = src.crs
    except RasterioError as exc:
        raise UploadError(f"无法读取栅格：{exc}"[:300], f"Cannot read the raster: {exc}"[:300]) from exc
    vals = np.ma.filled(band.astype(float), 0.0)
    vals[~np.isfinite(vals)] = 0.0
    rows, cols = np.nonzero(vals > 0)
    if len(rows) == 0:
        return _empty_cells()
    xs, ys = rasterio.transform.xy(tr, rows, cols, offset="center")
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if crs.to_epsg() == 4326:
        lon, lat = xs, ys
    else:
        tx, ty = transform(crs, settings.CRS_WGS84, xs, ys)
        lon, lat = np.asarray(tx, dtype=float), np.asarray(ty, dtype=float)
    return pd.DataFrame({"lon": lon, "lat": lat, "population": vals[rows, cols],
                         "extent_m": _half_diagonal_m(tr, crs, np.asarray(lat))})


def _check_pixels(window: Any) -> None:
    # A GeoTIFF of a few kilobytes can declare billions of (sparse or compressed) pixels: refuse
    # before the read allocates them, on what would be read (the window over the area).
    n = int(window.width) * int(window.height)
    if n > settings.MAX_RASTER_PIXELS:
        raise UploadError(
            f"栅格在所选范围内有 {n:,} 个像元，超过上限 {settings.MAX_RASTER_PIXELS:,}："
            "请先裁剪到宁波范围或降低分辨率",
            f"The raster has {n:,} pixels over the area, more than the limit of "
            f"{settings.MAX_RASTER_PIXELS:,}: clip it to Ningbo or coarsen it first")


def _empty_cells() -> pd.DataFrame:
    return pd.DataFrame({"lon": [], "lat": [], "population": [], "extent_m": []})


def _half_diagonal_m(tr: Any, crs: Any, lat: NDArray[np.float64]) -> NDArray[np.float64]:
    """Half a pixel's diagonal in metres (geographic pixels shrink east-west with latitude)."""
    dx, dy = abs(tr.a), abs(tr.e)
    if crs.is_geographic:
        wx = dx * 111_320.0 * np.cos(np.radians(lat))
        wy = np.full(len(lat), dy * 110_574.0)
    else:
        f = crs.linear_units_factor[1] if crs.linear_units_factor else 1.0
        wx, wy = np.full(len(lat), dx * f), np.full(len(lat), dy * f)
    return 0.5 * np.hypot(wx, wy)


def read_cell_table(df: pd.DataFrame, *, cell_size_m: float = 100.0) -> pd.DataFrame:
    """Cells from a planner's table: longitude, latitude (WGS84) and population columns.

    Headers are recognised in Chinese or English (经度/lon, 纬度/lat, 人口/population).
    ``cell_size_m`` is the side of the cells the rows stand for.
    """
    norm = {c: str(c).strip().lower() for c in df.columns}

    def pick(*names: str) -> str:
        hit = next((c for c in df.columns if norm[c] in names), None)
        if hit is None:
            raise UploadError(f"人口表缺少列：{names[0]}", f"The population table lacks a column: {names[1]}")
        return hit

    lon = pd.to_numeric(df[pick("经度", "lon", "lng", "longitude", "x")], errors="coerce")
    lat = pd.to_numeric(df[pick("纬度", "lat", "latitude", "y")], errors="coerce")
    pop = pd.to_numeric(df[pick("人口", "population", "pop", "value")], errors="coerce")
    ok = lon.notna() & lat.notna() & pop.notna() & (pop > 0)
    if not ok.any():
        raise UploadError("人口表中没有有效的行", "The population table has no valid rows")
    return pd.DataFrame({"lon": lon[ok].to_numpy(), "lat": lat[ok].to_numpy(),
                         "population": pop[ok].to_numpy(), "extent_m": cell_size_m / np.sqrt(2.0)})


# --- from cells to reconciled demand ---------------------------------------------------------

def cells_demand(cells: pd.DataFrame, *, districts: gpd.GeoDataFrame, population: pd.DataFrame,
                 method: str, resolution: int = settings.H3_RESOLUTION
                 ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Demand points from population cells, reconciled to the official district totals.

    Parameters
    ----------
    cells : pandas.DataFrame
        ``lon``, ``lat``, ``population``, ``extent_m`` (e.g. :func:`read_raster_cells`).
    districts : geopandas.GeoDataFrame
        District polygons (``name_zh``).
    population : pandas.DataFrame
        Official totals (``district_zh``, ``resident_pop_2024``).
    method : str
        Label recorded on every point (e.g. ``raster:WorldPop 2020``).
    resolution : int
        H3 resolution of the ``h3`` column (display and gap clusters).

    Returns
    -------
    tuple
        (demand GeoDataFrame as :func:`atlas.analysis.demand.proxy_demand` returns it, reconciliation
        table from :func:`reconcile`).

    """
    from atlas.coverage.summary import assign_zones

    pts = gpd.GeoDataFrame(cells.reset_index(drop=True),
                           geometry=shapely.points(cells.lon.to_numpy(), cells.lat.to_numpy()),
                           crs=settings.CRS_WGS84)
    pts["district"] = assign_zones(pts, districts, name_column="name_zh") if len(pts) else []
    pts = pts[pts.district != ""].reset_index(drop=True)
    pts["method"] = method
    pts["h3"] = [h3.latlng_to_cell(la, lo, resolution) for lo, la in zip(pts.lon, pts.lat, strict=True)]
    return reconcile(pts, districts=districts, population=population, scale_all=True)


def reconcile(demand: gpd.GeoDataFrame, *, districts: gpd.GeoDataFrame, population: pd.DataFrame,
              scale_all: bool = True, full_districts: set[str] | None = None
              ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Scale demand to the official district totals and show how.

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        Points with ``district``, ``population``, ``method``.
    districts, population
        District polygons and official totals.
    scale_all : bool
        Scale every district the demand reaches (a city-wide raster). When False, only
        ``full_districts`` (districts the source covers completely) are scaled; the others keep
        the source's figures and the table says so.
    full_districts : set of str, optional
        See ``scale_all``.

    Returns
    -------
    tuple
        (demand with reconciled ``population`` plus ``source_population``, ``extent_m``, ``x``,
        ``y``, ``district_share``, ``edge``; and a table with one row per district:
        ``district``, ``source_total``, ``official_total``, ``factor``, ``method``, ``note``).
        Districts the source does not reach are filled area-uniform (labelled).

    """
    from atlas.analysis.demand import proxy_demand

    official = population.set_index("district_zh")["resident_pop_2024"].astype(float)
    src_tot = demand.groupby("district").population.sum()
    parts, rows = [demand.assign(source_population=demand.population.to_numpy())], []
    factor = pd.Series(1.0, index=src_tot.index)
    for name in districts.name_zh:
        off = float(official.get(name, np.nan))
        got = float(src_tot.get(name, 0.0))
        method = str(demand.method.iloc[0]) if len(demand) else ""
        if got <= 0:
            fill = proxy_demand(districts[districts.name_zh == name], population)
            parts.append(fill.assign(source_population=np.nan))
            rows.append((name, 0.0, off, np.nan, "area-uniform", "来源未覆盖，按面积均匀分布 / not in the "
                         "source: area-uniform"))
            continue
        if scale_all or (full_districts is not None and name in full_districts):
            factor[name] = off / got
            rows.append((name, got, off, off / got, method, "按官方总数缩放 / scaled to the official total"))
        else:
            rows.append((name, got, off, np.nan, method, "部分覆盖，保留来源数 / partly covered: source "
                         "figures kept"))
    out = pd.concat(parts, ignore_index=True)
    own = out.source_population.notna()
    out.loc[own, "population"] = out.loc[own, "source_population"] * \
        out.loc[own, "district"].map(factor).fillna(1.0).to_numpy()
    gdf = gpd.GeoDataFrame(out, geometry="geometry", crs=settings.CRS_WGS84)
    gdf = _finish(gdf)
    table = pd.DataFrame(rows, columns=["district", "source_total", "official_total", "factor", "method",
                                        "note"])
    return gdf, table


def _finish(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns every demand frame has: metric x/y (UTM of the data), share, edge, extent."""
    from atlas.geo.projection import MetricFrame

    frame = MetricFrame.for_data(gdf)
    gdf["x"], gdf["y"] = frame.to_metric(gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy())
    gdf["district_share"] = 1.0
    gdf["edge"] = -1
    if "extent_m" not in gdf.columns:
        gdf["extent_m"] = 0.0
    gdf["extent_m"] = gdf.extent_m.fillna(0.0)
    keep = ["h3", "lon", "lat", "district", "population", "source_population", "method", "extent_m",
            "x", "y", "district_share", "edge", "geometry"]
    gdf["lon"], gdf["lat"] = gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()
    return gdf[keep][gdf.population > 0].reset_index(drop=True)


def raster_demand(path: str | Path, *, districts: gpd.GeoDataFrame, population: pd.DataFrame,
                  label: str = "raster") -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Demand from a population GeoTIFF over ``districts`` (see :func:`cells_demand`)."""
    bounds = tuple(float(v) for v in districts.to_crs(settings.CRS_WGS84).total_bounds)
    cells = read_raster_cells(path, bounds=bounds)  # type: ignore[arg-type]
    if cells.empty:
        raise ValidationError("栅格在这些区县内没有人口", "The raster holds no population in these districts")
    return cells_demand(cells, districts=districts, population=population, method=f"raster:{label}")


def zone_table_demand(table: pd.DataFrame, zones: gpd.GeoDataFrame, *, zone_column: str,
                      population_column: str, districts: gpd.GeoDataFrame, population: pd.DataFrame,
                      resolution: int = settings.H3_RESOLUTION) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Demand from population by 街道/社区 joined to the planner's boundary file.

    Each zone's people are spread evenly over the H3 cells whose centres fall in it (at least
    its representative point), then districts the zones cover completely are reconciled to the
    official totals; partly covered districts keep the table's figures.

    Raises
    ------
    atlas.errors.ValidationError
        If the table's names do not match the zones, or population is not numeric.

    """
    from atlas.analysis.demand import cell_radius_m

    pop = pd.to_numeric(table[population_column], errors="coerce")
    names = table[zone_column].astype(str).str.strip()
    by_name = dict(zip(names, pop, strict=True))
    znames = zones[zone_column].astype(str).str.strip() if zone_column in zones.columns else None
    if znames is None or not set(by_name) & set(znames):
        raise ValidationError("人口表与边界文件的名称对不上",
                              "The table's names match no zone of the boundary file")
    rows = []
    for name, geom in zip(znames, zones.to_crs(settings.CRS_WGS84).geometry, strict=True):
        p = by_name.get(name)
        if p is None or not np.isfinite(p) or p <= 0:
            continue
        cells = sorted(h3.geo_to_cells(geom.__geo_interface__, resolution)) or \
            [h3.latlng_to_cell(geom.representative_point().y, geom.representative_point().x, resolution)]
        lat, lon = np.array([h3.cell_to_latlng(c) for c in cells]).T
        rows.append(pd.DataFrame({"h3": cells, "lon": lon, "lat": lat, "population": p / len(cells)}))
    if not rows:
        raise ValidationError("人口表没有可用的人口数", "The table has no usable population figures")
    df = pd.concat(rows, ignore_index=True)
    df["extent_m"] = cell_radius_m(df.h3.to_numpy())
    from atlas.coverage.summary import assign_zones

    pts = gpd.GeoDataFrame(df, geometry=shapely.points(df.lon, df.lat), crs=settings.CRS_WGS84)
    pts["district"] = assign_zones(pts, districts, name_column="name_zh")
    pts = pts[pts.district != ""].assign(method="zone-table")
    union = shapely.union_all(zones.to_crs(settings.CRS_WGS84).geometry.to_numpy())
    full = {n for n, g in zip(districts.name_zh, districts.geometry, strict=True)
            if g.difference(union).area <= 0.02 * g.area}
    return reconcile(pts, districts=districts, population=population, scale_all=False, full_districts=full)


# --- WorldPop download ------------------------------------------------------------------------

def worldpop_url(*, iso3: str = "CHN", year: int = 2020, template: str | None = None) -> str:
    """The WorldPop 100 m GeoTIFF URL of a country and year (template: :data:`WORLDPOP_URL`)."""
    import os

    tpl = template or os.environ.get("ATLAS_WORLDPOP_URL") or WORLDPOP_URL
    return tpl.format(ISO=iso3.upper(), iso=iso3.lower(), year=int(year))


def download_worldpop(url: str, *, cache_dir: Path | None = None, progress: Progress | None = None,
                      timeout: float = 60.0, chunk: int = 1 << 20) -> Path:
    """Download a population GeoTIFF once, with progress, into the cache; return its path.

    A file already in the cache is returned without any request. The download goes to a
    temporary name and is renamed only when complete and readable by rasterio, so an
    interrupted download never leaves a broken file behind.

    Raises
    ------
    atlas.errors.UploadError
        If the download fails or the file is not a raster.

    """
    import rasterio

    folder = Path(cache_dir) if cache_dir is not None else settings.CACHE_DIR / "population"
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(urllib.parse.urlparse(url).path).name or "population.tif"
    dest = folder / name
    report = progress or (lambda _s, _f: None)
    if dest.exists():
        report("cached", 1.0)
        return dest
    part = dest.with_suffix(dest.suffix + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, part.open("wb") as out:
            total = int(resp.headers.get("Content-Length") or 0)
            done = 0
            while block := resp.read(chunk):
                out.write(block)
                done += len(block)
                report("download", done / total if total else 0.0)
        with rasterio.open(part) as src:
            src.read(1, window=rasterio.windows.Window(0, 0, 1, 1))
    except Exception as exc:  # network errors and non-raster answers alike
        part.unlink(missing_ok=True)
        raise UploadError(f"人口栅格下载失败：{type(exc).__name__}: {exc}"[:300],
                          f"Population raster download failed: {type(exc).__name__}: {exc}"[:300]) from exc
    shutil.move(str(part), dest)
    report("done", 1.0)
    return dest


def demand_from_upload(data: bytes, filename: str, *, districts: gpd.GeoDataFrame,
                       population: pd.DataFrame, cell_size_m: float = 100.0
                       ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Demand from a planner's uploaded population file: a GeoTIFF, or a cell table (CSV/XLSX).

    Returns
    -------
    tuple
        (demand, reconciliation table), as :func:`cells_demand`.

    Raises
    ------
    atlas.errors.UploadError
        For an unsupported, unreadable or too large file.

    """
    import tempfile

    ext = Path(str(filename)).suffix.lower()
    if len(data) > settings.MAX_UPLOAD_BYTES:
        raise UploadError(f"文件过大（上限 {settings.MAX_UPLOAD_BYTES / 1e6:.0f} MB）",
                          f"File too large (limit {settings.MAX_UPLOAD_BYTES / 1e6:.0f} MB)")
    if ext in (".tif", ".tiff"):
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d) / f"population{ext}"  # only the whitelisted extension comes from the user
            tmp.write_bytes(data)
            return raster_demand(tmp, districts=districts, population=population, label="uploaded GeoTIFF")
    if ext in (".csv", ".txt", ".xlsx"):
        from atlas.importing import read_table

        cells = read_cell_table(read_table(data, filename), cell_size_m=cell_size_m)
        return cells_demand(cells, districts=districts, population=population, method="cells:uploaded table")
    raise UploadError(f"不支持的人口文件类型：{ext or '（无）'}（支持 GeoTIFF、CSV、XLSX）",
                      f"Unsupported population file: {ext or '(none)'} (GeoTIFF, CSV, XLSX)")
