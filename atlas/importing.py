"""Import planners' own site lists: CSV (UTF-8, UTF-8-BOM, GBK/GB18030), XLSX, GeoJSON, GeoPackage.

Flow: :func:`read_table` (size/row limits, encoding detection) -> :func:`guess_columns` (Chinese
and English headers) -> :func:`validate` (the user states the datum; every row gets reasons) ->
:func:`to_sites` (valid rows into the atlas's site schema) -> :mod:`atlas.userlayers` to save.
:func:`suggest_datum` flags a likely wrong datum by comparing the points with reference positions
the rows name (or with streets), but never converts anything by itself.

Every imported string is untrusted: it is escaped wherever it reaches HTML (:mod:`atlas.webmap`),
never used in a path (:func:`atlas.storage.safe_name`) and neutralised in CSV/XLSX exports.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from atlas import settings
from atlas.datum import DATUMS, to_wgs84
from atlas.errors import UploadError, ValidationError
from atlas.geodata import CATEGORIES, SITE_COLUMNS, in_ningbo_extent, sites_from_frame
from atlas.projection import MetricFrame

if TYPE_CHECKING:
    from atlas.network import WalkNetwork

ROLES = ("name", "lon", "lat", "address", "district", "category", "level")

_HEADER_PATTERNS: dict[str, tuple[str, ...]] = {
    "name": ("名称", "名字", "基地名称", "场馆名称", "单位名称", "name", "title", "site"),
    "lon": ("经度", "lon", "lng", "long", "longitude", "x"),
    "lat": ("纬度", "lat", "latitude", "y"),
    "address": ("地址", "详细地址", "address", "addr"),
    "district": ("区县", "所在区县", "区县市", "县市区", "所在区", "区域", "district", "county"),
    "category": ("类别", "类型", "分类", "category", "type"),
    "level": ("级别", "等级", "level", "grade"),
}

#: Category labels a list may use, mapped to the atlas's categories.
CATEGORY_ALIASES: dict[str, str] = {
    **{k: k for k in CATEGORIES},
    **{v[0]: k for k, v in CATEGORIES.items()},
    **{v[1].lower(): k for k, v in CATEGORIES.items()},
    "科普基地": "kepu_site", "科普教育基地": "kepu_site", "科普场馆": "kepu_site", "科技馆": "kepu_site",
    "博物馆": "kepu_site", "图书馆": "kepu_site", "科普": "kepu_site",
    "实验室": "lab", "研究院": "lab", "高校": "university", "大学": "university",
    "高新区": "hightech_park", "高新园区": "hightech_park",
}

#: Reason codes, their severity and bilingual text.
REASONS: dict[str, tuple[str, str, str]] = {
    "missing_name": ("error", "缺少名称", "name is missing"),
    "invalid_coordinates": ("error", "坐标无效（非数字或只有经度/纬度之一）",
                            "invalid coordinates (not numeric, or only one of lon/lat)"),
    "swapped_lonlat": ("error", "经纬度疑似填反", "longitude and latitude look swapped"),
    "outside_ningbo": ("error", "坐标不在宁波市范围内", "the point is outside Ningbo"),
    "duplicate": ("error", "与前面一行同名且相距不到 100 米", "same name as an earlier row within 100 m"),
    "unknown_category": ("error", "类别无法识别", "unknown category"),
    "district_mismatch": ("warning", "坐标所在区县与所填区县不一致",
                          "the point lies in another district than the row states"),
    "unknown_district": ("warning", "所填区县无法识别", "the stated district is not recognised"),
    "no_coordinates": ("info", "只有地址，暂不上图（待定位）", "address only: kept as unplaced"),
}


@dataclass
class ImportResult:
    """Validated rows.

    The input plus ``row``, ``lon_wgs84``, ``lat_wgs84``, ``district_found``, ``category_code``,
    ``reasons`` (list of codes) and ``status`` (ok / unplaced / error).
    """

    table: pd.DataFrame
    mapping: dict[str, str | None]
    datum: str
    suggestion: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> pd.DataFrame:
        """Rows that can be kept (placed or unplaced)."""
        return self.table[self.table.status != "error"]

    @property
    def errors(self) -> pd.DataFrame:
        """Rows that cannot be kept."""
        return self.table[self.table.status == "error"]

    def counts(self) -> dict[str, int]:
        """Rows by status."""
        return {str(k): int(v) for k, v in self.table.status.value_counts().items()}

    def error_report(self, lang: str = "zh") -> pd.DataFrame:
        """Rejected and flagged rows with their reasons in ``lang`` (for download)."""
        flagged = self.table[self.table.reasons.map(len) > 0].copy()
        flagged["reasons_text"] = flagged.reasons.map(lambda rs: "; ".join(reason_text(r, lang) for r in rs))
        return flagged.drop(columns=["reasons"])


def reason_text(code: str, lang: str = "zh") -> str:
    """Bilingual text of a reason code."""
    _, zh, en = REASONS[code]
    return en if lang == "en" else zh


# --- reading ------------------------------------------------------------------------------

def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise UploadError("无法识别文件编码（支持 UTF-8、GBK/GB18030）",
                      "Cannot decode the file (UTF-8 and GBK/GB18030 are supported)")


def read_table(data: bytes, filename: str, *, max_bytes: int = settings.MAX_UPLOAD_BYTES,
               max_rows: int = settings.MAX_UPLOAD_ROWS) -> pd.DataFrame:
    """Read an uploaded file into a table of strings (geometry files keep lon/lat columns).

    Parameters
    ----------
    data : bytes
        File content.
    filename : str
        Original name (only its extension is used; never used as a path).
    max_bytes, max_rows : int
        Limits; larger files are refused with a clear message.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    atlas.errors.UploadError
        For an unsupported, malformed, empty or too large file.

    """
    if len(data) > max_bytes:
        raise UploadError(f"文件过大（{len(data) / 1e6:.1f} MB，上限 {max_bytes / 1e6:.0f} MB）",
                          f"File too large ({len(data) / 1e6:.1f} MB; limit {max_bytes / 1e6:.0f} MB)")
    ext = Path(str(filename)).suffix.lower()
    try:
        if ext in (".csv", ".txt"):
            df = pd.read_csv(io.StringIO(_decode(data)), dtype=str, keep_default_na=False,
                             skipinitialspace=True)
        elif ext in (".xlsx", ".xlsm"):
            df = pd.read_excel(io.BytesIO(data), dtype=str, engine="openpyxl").fillna("")
        elif ext in (".geojson", ".json", ".gpkg"):
            import tempfile

            import pyogrio

            # a private temp file whose only part from the user is the whitelisted extension:
            # GDAL picks drivers by extension, and the user's file name is never used as a path
            with tempfile.TemporaryDirectory() as d:
                tmp = Path(d) / f"upload{ext}"
                tmp.write_bytes(data)
                gdf = pyogrio.read_dataframe(tmp)
            if gdf.crs is not None and gdf.crs.to_epsg() not in (4326, 4490):
                gdf = gdf.to_crs(settings.CRS_WGS84)
            pts = gdf.geometry.representative_point()
            df = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(str)
            df["lon"] = pts.x.round(8).astype(str)
            df["lat"] = pts.y.round(8).astype(str)
        else:
            raise UploadError(f"不支持的文件类型：{ext or '（无扩展名）'}"
                              "（支持 CSV、XLSX、GeoJSON、GeoPackage）",
                              f"Unsupported file type: {ext or '(none)'} (CSV, XLSX, GeoJSON, GeoPackage)")
    except UploadError:
        raise
    except Exception as exc:  # any parser failure is the user's file, not our bug
        raise UploadError(f"文件无法读取：{type(exc).__name__}: {exc}"[:300],
                          f"The file cannot be read: {type(exc).__name__}: {exc}"[:300]) from exc
    if df.empty:
        raise UploadError("文件中没有数据行", "The file has no data rows")
    if len(df) > max_rows:
        raise UploadError(f"行数过多（{len(df):,}，上限 {max_rows:,}）",
                          f"Too many rows ({len(df):,}; limit {max_rows:,})")
    df.columns = [str(c).strip() for c in df.columns]
    return df


def guess_columns(columns: list[str]) -> dict[str, str | None]:
    """Guess which column plays each role (name, lon, lat, address, district, category, level)."""
    out: dict[str, str | None] = {}
    used: set[str] = set()
    norm = {c: re.sub(r"[\s_()（）]", "", str(c)).lower() for c in columns}
    for role in ROLES:
        hit = None
        for pat in _HEADER_PATTERNS[role]:
            p = pat.lower()
            hit = next((c for c in columns if c not in used and norm[c] == p), None) or next(
                (c for c in columns if c not in used and len(p) > 1 and p in norm[c]), None)
            if hit:
                break
        out[role] = hit
        if hit:
            used.add(hit)
    return out


# --- validation ---------------------------------------------------------------------------

def _num(s: pd.Series) -> np.ndarray:
    cleaned = s.astype(str).str.strip().str.replace("，", ".", regex=False).str.replace("°", "", regex=False)
    return pd.to_numeric(cleaned.where(cleaned != "", None), errors="coerce").to_numpy(dtype=float)


def _district_of(lon: np.ndarray, lat: np.ndarray, districts: gpd.GeoDataFrame) -> np.ndarray:
    out = np.full(len(lon), "", dtype=object)
    ok = np.isfinite(lon) & np.isfinite(lat)
    for name, geom in zip(districts.name_zh, districts.geometry, strict=True):
        shapely.prepare(geom)
        m = ok & (out == "")
        m[m] = shapely.contains_xy(geom, lon[m], lat[m])
        out[m] = name
    return out


def _norm_district(text: str, names: list[str]) -> str:
    t = str(text or "").strip()
    if not t:
        return ""
    hits = [n for n in names if n in t or n.rstrip("区县市") == t.rstrip("区县市")]
    return hits[0] if len(hits) == 1 else "?"


def validate(df: pd.DataFrame, mapping: dict[str, str | None], *, datum: str,
             districts: gpd.GeoDataFrame, default_category: str = "kepu_site",
             outline: shapely.Geometry | None = None) -> ImportResult:
    """Check every row and give it reasons; nothing is saved here.

    Parameters
    ----------
    df : pandas.DataFrame
        From :func:`read_table`.
    mapping : dict
        Role -> column (``name`` required; ``lon``/``lat`` optional for address-only lists).
    datum : {"wgs84", "gcj02", "bd09", "cgcs2000"}
        The datum the user says the coordinates are in.
    districts : geopandas.GeoDataFrame
        District polygons (WGS84) with ``name_zh``.
    default_category : str
        Category for rows without one.
    outline : shapely geometry, optional
        Ningbo's outline (WGS84); default: the union of ``districts``.

    Returns
    -------
    ImportResult

    """
    if datum not in DATUMS:
        to_wgs84(0, 0, datum=datum)  # raises the bilingual DatumError
    if not mapping.get("name"):
        raise ValidationError("请指定名称列", "Choose the name column")
    n = len(df)
    names = df[mapping["name"]].astype(str).str.strip() if mapping.get("name") else pd.Series([""] * n)
    raw_lon = _num(df[mapping["lon"]]) if mapping.get("lon") else np.full(n, np.nan)
    raw_lat = _num(df[mapping["lat"]]) if mapping.get("lat") else np.full(n, np.nan)
    reasons: list[list[str]] = [[] for _ in range(n)]

    def flag(mask: np.ndarray, code: str) -> None:
        for i in np.flatnonzero(mask):
            reasons[i].append(code)

    flag((names == "").to_numpy() | names.str.lower().isin(["nan", "none"]).to_numpy(), "missing_name")
    has_lon, has_lat = np.isfinite(raw_lon), np.isfinite(raw_lat)
    def has_text(role: str) -> np.ndarray:
        c = mapping.get(role)
        return df[c].astype(str).str.strip().ne("").to_numpy() if c else np.zeros(n, bool)

    lon_text, lat_text = has_text("lon"), has_text("lat")
    no_coords = ~lon_text & ~lat_text
    invalid = ~no_coords & ~(has_lon & has_lat)
    flag(invalid, "invalid_coordinates")
    both = has_lon & has_lat
    swapped = both & ~in_ningbo_extent(raw_lon, raw_lat) & in_ningbo_extent(raw_lat, raw_lon)
    flag(swapped, "swapped_lonlat")
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    good = both & ~swapped
    if good.any():
        lon[good], lat[good] = to_wgs84(raw_lon[good], raw_lat[good], datum=datum)
    city = outline if outline is not None else shapely.union_all(districts.geometry.to_numpy())
    city_buf = shapely.buffer(city, 0.02)
    shapely.prepare(city_buf)
    inside = np.zeros(n, bool)
    inside[good] = shapely.contains_xy(city_buf, lon[good], lat[good])
    flag(good & ~inside, "outside_ningbo")
    placed = good & inside
    found = _district_of(np.where(placed, lon, np.nan), np.where(placed, lat, np.nan), districts)
    dnames = districts.name_zh.tolist()
    if mapping.get("district"):
        claimed = df[mapping["district"]].astype(str).map(lambda s: _norm_district(s, dnames)).to_numpy()
        flag(claimed == "?", "unknown_district")
        flag(placed & (claimed != "") & (claimed != "?") & (found != "") & (claimed != found),
             "district_mismatch")
        district = np.where(found != "", found, np.where(claimed == "?", "", claimed))
    else:
        district = found
    if mapping.get("category"):
        raw_cat = df[mapping["category"]].astype(str).str.strip()
        cat = raw_cat.map(lambda s: CATEGORY_ALIASES.get(s, CATEGORY_ALIASES.get(s.lower(), ""))
                          if s else default_category).to_numpy()
        flag(cat == "", "unknown_category")
    else:
        cat = np.full(n, default_category, dtype=object)
    # duplicates: same name within 100 m of an earlier row
    if placed.sum() > 1:
        idx = np.flatnonzero(placed)
        x, y = MetricFrame.for_data((lon[idx], lat[idx])).to_metric(lon[idx], lat[idx])
        pairs = cKDTree(np.column_stack([x, y])).query_pairs(r=100.0, output_type="ndarray")
        nm = names.to_numpy()
        dup = np.zeros(n, bool)
        for a, b in pairs:
            i, j = idx[a], idx[b]
            if nm[i] == nm[j] and nm[i]:
                dup[max(i, j)] = True
        flag(dup, "duplicate")
    flag(no_coords, "no_coordinates")
    severity = [{REASONS[c][0] for c in rs} for rs in reasons]
    status = np.where([("error" in s) for s in severity], "error",
                      np.where(no_coords, "unplaced", "ok"))
    table = df.copy()
    table.insert(0, "row", np.arange(2, n + 2))  # spreadsheet row numbers (header = row 1)
    table["lon_wgs84"] = np.where(placed, lon, np.nan)
    table["lat_wgs84"] = np.where(placed, lat, np.nan)
    table["district_found"] = district
    table["category_code"] = cat
    table["reasons"] = reasons
    table["status"] = status
    return ImportResult(table, dict(mapping), datum)


def suggest_datum(raw_lon: np.ndarray, raw_lat: np.ndarray, ref_lon: np.ndarray,
                  ref_lat: np.ndarray, *, chosen: str) -> dict[str, Any]:
    """Suggest the datum that makes the points land on the reference positions they name.

    For each datum the raw coordinates are converted and the median distance to the matching
    reference (e.g. shipped sites with OSM positions and the same name) is measured. A different
    datum is suggested only when it is clearly better (median < half of the chosen one's and
    the chosen one is > 150 m off). Nothing is converted here.

    Returns
    -------
    dict
        ``median_m`` by datum, ``best``, ``suggest`` (a datum or ``None``), ``n``.

    """
    frame = MetricFrame.for_data((ref_lon, ref_lat))
    rx, ry = frame.to_metric(ref_lon, ref_lat)
    med = {}
    for d in ("wgs84", "gcj02", "bd09"):
        lo, la = to_wgs84(raw_lon, raw_lat, datum=d)
        x, y = frame.to_metric(lo, la)
        med[d] = float(np.median(np.hypot(np.asarray(x) - rx, np.asarray(y) - ry)))
    key = "wgs84" if chosen == "cgcs2000" else chosen
    best = min(med, key=lambda d: med[d])
    suggest = best if best != key and med[key] > 150 and med[best] < 0.5 * med[key] else None
    return {"median_m": med, "best": best, "suggest": suggest, "n": len(raw_lon)}


def suggest_datum_by_streets(raw_lon: np.ndarray, raw_lat: np.ndarray, net: WalkNetwork, *,
                             chosen: str) -> dict[str, Any]:
    """Like :func:`suggest_datum`, with the nearest walkable street as the reference.

    Venues sit on or near streets; points systematically ~500 m off every street under the
    chosen datum but on streets under another are a strong hint.
    """
    med = {}
    for d in ("wgs84", "gcj02", "bd09"):
        lo, la = to_wgs84(raw_lon, raw_lat, datum=d)
        x, y = net.frame.to_metric(lo, la)
        _, dist = net.edge_tree.query_nearest(shapely.points(x, y), return_distance=True,
                                              all_matches=False)
        med[d] = float(np.median(dist))
    key = "wgs84" if chosen == "cgcs2000" else chosen
    best = min(med, key=lambda d: med[d])
    suggest = best if best != key and med[key] > 60 and med[best] < 0.5 * med[key] else None
    return {"median_m": med, "best": best, "suggest": suggest, "n": len(raw_lon)}


def references_by_name(result: ImportResult, sites: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """Raw coordinates of imported rows whose name matches a shipped site with a sourced position.

    Returns
    -------
    dict
        ``raw_lon``, ``raw_lat``, ``ref_lon``, ``ref_lat`` arrays (possibly empty).

    """
    m = result.mapping
    if not (m.get("lon") and m.get("lat")):
        return {k: np.zeros(0) for k in ("raw_lon", "raw_lat", "ref_lon", "ref_lat")}
    ref = sites[(sites.position_status == "sourced") & sites.geometry.notna()]
    ref_by_name = {str(n): g for n, g in zip(ref.name_zh, ref.geometry, strict=True)}
    t = result.table
    names = t[m["name"]].astype(str).str.strip()
    rl, ra, fl, fa = [], [], [], []
    for name, lo, la in zip(names, _num(t[m["lon"]]), _num(t[m["lat"]]), strict=True):
        g = ref_by_name.get(name)
        if g is not None and np.isfinite(lo) and np.isfinite(la):
            rl.append(lo)
            ra.append(la)
            fl.append(g.x)
            fa.append(g.y)
    return {"raw_lon": np.array(rl), "raw_lat": np.array(ra), "ref_lon": np.array(fl),
            "ref_lat": np.array(fa)}


def to_sites(result: ImportResult, *, layer_name: str, est_error_m: float = 50.0,
             id_prefix: str = "U") -> gpd.GeoDataFrame:
    """Keepable rows in the atlas's site schema (placed and unplaced), ready to save.

    ``est_error_m`` is the positional error the planner attributes to the list (default 50 m:
    AMap/Baidu POI accuracy plus the datum conversion's residual).
    """
    ok = result.ok
    m = result.mapping

    def col(role: str) -> pd.Series:
        c = m.get(role)
        return ok[c].astype(str).str.strip() if c else pd.Series([""] * len(ok), index=ok.index)

    placed = ok.lon_wgs84.notna()
    df = pd.DataFrame({
        "id": [f"{id_prefix}{i + 1:05d}" for i in range(len(ok))],
        "name_zh": col("name").to_numpy(),
        "name_en": "",
        "category": ok.category_code.to_numpy(),
        "district": ok.district_found.to_numpy(),
        "district_claimed": col("district").to_numpy(),
        "district_check": np.where(ok.reasons.map(lambda r: "district_mismatch" in r), "mismatch", "ok"),
        "functional_zone": "",
        "lon": ok.lon_wgs84.to_numpy(), "lat": ok.lat_wgs84.to_numpy(),
        "position_status": np.where(placed, "sourced", "unplaced"),
        "position_method": np.where(placed, f"import:{result.datum}", "none"),
        "est_error_m": np.where(placed, float(est_error_m), np.nan),
        "policy_tasks": np.where(ok.category_code.eq("kepu_site"), "23", ""),
        "membership_verified": False,
        "level": col("level").to_numpy(),
        "address": col("address").to_numpy(),
        "source": f"user import: {layer_name}",
        "note": "",
    })
    return sites_from_frame(df[list(SITE_COLUMNS)], name=layer_name)
