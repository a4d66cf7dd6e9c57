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

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from atlas import readers, settings
from atlas.datum import DATUMS, to_wgs84
from atlas.errors import UploadError, ValidationError
from atlas.geodata import CATEGORIES, SITE_COLUMNS, in_ningbo_extent, sites_from_frame
from atlas.projection import MetricFrame

if TYPE_CHECKING:
    from atlas.network import WalkNetwork

ROLES = ("name", "lon", "lat", "address", "district", "category", "level")

#: Known column names by role, matched as whole tokens (English) or whole words and word
#: endings (Chinese: "场馆名称" is a name, "百度经度" a longitude), never as substrings of other
#: words ("name" is not in "Unnamed: 1", "site" not in "Website").
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("名称", "名字", "site name", "name", "title", "site", "venue"),
    "lon": ("经度", "东经", "lon", "lng", "long", "longitude", "x"),
    "lat": ("纬度", "北纬", "lat", "latitude", "y"),
    "address": ("地址", "address", "addr"),
    "district": ("区县", "区县市", "县市区", "所在区", "区域", "行政区", "district", "county"),
    "category": ("类别", "类型", "分类", "种类", "category", "type", "kind"),
    "level": ("级别", "等级", "level", "grade"),
}
_HEADER_PATTERNS = HEADER_ALIASES  # the name older callers used

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

    def display_table(self, lang: str = "zh", *, max_chars: int = 200) -> pd.DataFrame:
        """Every row as the page shows it: reasons in ``lang``, cells cut to ``max_chars`` ("…").

        Only the display is cut (a cell may hold up to :data:`atlas.settings.MAX_CELL_CHARS`
        characters, and the whole table travels to the browser on every rerun); the rows that
        are saved keep their full values. Headers and statuses are put in words by
        :func:`atlas.fmt.table` (``ui.tables.show_table``).
        """
        view = self.table[[c for c in self.table.columns if not str(c).startswith("_")]].copy()
        view["reasons"] = view.reasons.map(lambda rs: "; ".join(reason_text(r, lang) for r in rs))
        for c in view.columns:
            if not (pd.api.types.is_numeric_dtype(view[c]) or pd.api.types.is_bool_dtype(view[c])):
                text = view[c].astype(str)
                long = text.str.len().to_numpy() > max_chars
                if long.any():
                    view.loc[long, c] = text[long].str.slice(0, max_chars - 1) + "…"
        return view

    def error_report(self, lang: str = "zh") -> pd.DataFrame:
        """Rejected and flagged rows with their reasons in ``lang`` (for download)."""
        flagged = self.table[self.table.reasons.map(len) > 0].copy()
        flagged = flagged.drop(columns=[c for c in flagged.columns if str(c).startswith("_")])
        flagged["reasons_text"] = flagged.reasons.map(lambda rs: "; ".join(reason_text(r, lang) for r in rs))
        return flagged.drop(columns=["reasons"])


def reason_text(code: str, lang: str = "zh") -> str:
    """Bilingual text of a reason code."""
    _, zh, en = REASONS[code]
    return en if lang == "en" else zh


# --- reading ------------------------------------------------------------------------------

def read_table(data: bytes, filename: str, *, max_bytes: int = settings.MAX_UPLOAD_BYTES,
               max_rows: int = settings.MAX_UPLOAD_ROWS, layer: str | None = None,
               max_cell_chars: int = settings.MAX_CELL_CHARS) -> pd.DataFrame:
    """Read an uploaded file into a table of strings (geometry files add ``geom_*`` columns).

    Delimiter, encoding, header row (title rows skipped), merged cells and empty columns are
    handled by :mod:`atlas.readers`; what was found is in ``df.attrs["read_info"]``
    (:class:`atlas.readers.ReadInfo`) and spreadsheet row numbers in ``df.attrs["source_rows"]``.

    Parameters
    ----------
    data : bytes
        File content.
    filename : str
        Original name (only its extension is used; never used as a path).
    max_bytes, max_rows, max_cell_chars : int
        Limits; they are enforced while reading, before the expensive work.
    layer : str, optional
        The layer (GeoPackage) or sheet (XLSX) to read; a GeoPackage with several layers with
        data raises :class:`atlas.readers.LayerChoiceError` (its ``options``) when not given.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    atlas.errors.UploadError
        For an unsupported, malformed, empty or too large file (never with a server path).

    """
    if len(data) > max_bytes:
        raise UploadError(f"文件过大（{len(data) / 1e6:.1f} MB，上限 {max_bytes / 1e6:.0f} MB）",
                          f"File too large ({len(data) / 1e6:.1f} MB; limit {max_bytes / 1e6:.0f} MB)")
    ext = Path(str(filename)).suffix.lower()
    limits = readers.Limits(max_bytes=max_bytes, max_rows=max_rows, max_cell_chars=max_cell_chars)
    info = readers.ReadInfo(format=ext.lstrip("."))
    try:
        if ext in (".csv", ".txt"):
            text, info.encoding = readers.decode(data, limits=limits)
            info.delimiter = readers.sniff_delimiter(text)
            rows, numbers = readers.csv_rows(text, delimiter=info.delimiter, limits=limits)
            df = readers.table_from_rows(rows, numbers, info=info, is_header_cell=is_header_cell,
                                         limits=limits)
        elif ext in (".xlsx", ".xlsm"):
            rows, numbers = readers.xlsx_rows(data, sheet=layer, limits=limits, info=info)
            df = readers.table_from_rows(rows, numbers, info=info, is_header_cell=is_header_cell,
                                         limits=limits)
        elif ext in (".geojson", ".json", ".gpkg"):
            df = readers.geo_table(data, ext, layer=layer, limits=limits, info=info)
            _coordinates_from_properties(df, info)
        else:
            raise UploadError(f"不支持的文件类型：{ext[:12] or '（无扩展名）'}"
                              "（支持 CSV、XLSX、GeoJSON、GeoPackage）",
                              f"Unsupported file type: {ext[:12] or '(none)'} "
                              "(CSV, XLSX, GeoJSON, GeoPackage)")
    except UploadError:
        raise
    except MemoryError as exc:
        raise UploadError("文件解析所需内存过多，已停止", "Reading the file needs too much memory; stopped"
                          ) from exc
    except Exception as exc:  # any parser failure is the user's file, not our bug
        detail = readers.clean_detail(f"{type(exc).__name__}: {exc}")
        raise UploadError(f"文件无法读取：{detail}", f"The file cannot be read: {detail}") from exc
    if df.empty:
        raise UploadError("文件中没有数据行", "The file has no data rows")
    if len(df) > max_rows:
        raise readers.too_many_rows(max_rows)
    df.columns = [str(c).strip() for c in df.columns]
    df.attrs["read_info"] = info
    return df


def _coordinates_from_properties(df: pd.DataFrame, info: readers.ReadInfo) -> None:
    """Geometry wins; a feature without geometry takes lon/lat from its properties, if it has any."""
    props = [c for c in df.columns if not c.startswith(("geom_", "_"))]
    g = guess_columns(props)
    if not (g["lon"] and g["lat"]):
        return
    missing = df.geom_lon.eq("") & df[g["lon"]].astype(str).str.strip().ne("")
    if missing.any():
        df.loc[missing, "geom_lon"] = df.loc[missing, g["lon"]].astype(str).str.strip()
        df.loc[missing, "geom_lat"] = df.loc[missing, g["lat"]].astype(str).str.strip()
        df.loc[missing, "geom_kind"] = "properties"
        info.note(f"{int(missing.sum())} 个要素没有几何，使用了其属性中的经纬度",
                  f"{int(missing.sum())} features without geometry took lon/lat from their properties")
    placed = df.geom_lon.ne("") & ~missing
    if placed.any() and df.loc[placed, g["lon"]].astype(str).str.strip().eq("").any():
        info.note("属性中的经纬度为空或不同时，以要素的几何位置为准",
                  "Where the lon/lat properties are empty or differ, the feature's geometry is used")


def _tokens(header: str) -> list[str]:
    h = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(header))  # camelCase -> two words
    h = re.sub(r"[（(\[【].*?[)）\]】]", " ", h).lower()  # units and datums in brackets
    return re.findall(r"[a-z]+|\d+|[\u4e00-\u9fff]+", h)


def header_roles(header: str) -> dict[str, int]:
    """Roles a column name may play, with a score: 2 = the whole name is an alias, 1 = a token is.

    English aliases match whole tokens (or token sequences: "site name"); Chinese aliases match
    a whole word or its ending ("场馆名称", "百度经度"). ``x``/``y`` count only on their own.
    """
    toks = _tokens(header)
    joined = " ".join(toks)
    out: dict[str, int] = {}
    for role, aliases in HEADER_ALIASES.items():
        for a in aliases:
            if joined == a or "".join(toks) == a:
                out[role] = 2
                break
            if a in ("x", "y"):
                if toks in (["point", a], ["coord", a], [a, "coord"]):
                    out[role] = max(out.get(role, 0), 1)
                continue
            if a.isascii():
                words = a.split()
                if any(toks[i:i + len(words)] == words for i in range(len(toks))):
                    out[role] = max(out.get(role, 0), 1)
            elif any(t.endswith(a) for t in toks):
                out[role] = max(out.get(role, 0), 1)
    return out


def is_header_cell(text: str) -> bool:
    """Whether a cell reads like a known column name (used to find the header row)."""
    return bool(header_roles(text)) and len(str(text)) <= 40


def guess_columns(columns: list[str]) -> dict[str, str | None]:
    """Guess which column plays each role from the column names alone.

    Each role takes the best-scoring unused column (whole-name matches first, then token
    matches, leftmost on a tie). :func:`guess_mapping` also looks at the values and says when
    the guess is ambiguous.
    """
    return guess_mapping_from_names([str(c) for c in columns])[0]


def guess_mapping_from_names(columns: list[str]) -> tuple[dict[str, str | None], dict[str, list[str]]]:
    """The mapping by names, and for each role the columns that tie for it (ambiguous when > 1)."""
    scores = {c: header_roles(c) for c in columns}
    out: dict[str, str | None] = {}
    ties: dict[str, list[str]] = {}
    used: set[str] = set()
    for role in ROLES:
        cands = [(sc[role], c) for c, sc in scores.items() if role in sc and c not in used]
        if not cands:
            out[role] = None
            continue
        top = max(sc for sc, _ in cands)
        best = [c for sc, c in cands if sc == top]
        out[role] = best[0]
        used.add(best[0])
        if len(best) > 1:
            ties[role] = best
    return out, ties


@dataclass
class ColumnGuess:
    """The guessed mapping and why it may need the user's confirmation.

    ``ambiguous`` maps a role to the columns that fit it equally well (or to the one column
    whose values do not fit); ``inferred`` lists roles guessed from the values because no
    column name fits; ``notes`` are bilingual explanations.
    """

    mapping: dict[str, str | None]
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    inferred: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def needs_confirmation(self) -> bool:
        """True when the page must ask the user to confirm the mapping."""
        return bool(self.ambiguous or self.inferred or not self.mapping.get("name"))


_URL = re.compile(r"^(https?://|www\.)", re.I)


def _shares(values: pd.Series) -> tuple[float, float, float, np.ndarray]:
    v = values.astype(str).str.strip()
    v = v[v != ""]
    if v.empty:
        return 0.0, 0.0, 0.0, np.zeros(0)
    num = _num(v)
    ok = np.isfinite(num)
    frac = np.mod(np.abs(num[ok]), 1) > 0
    return (float(ok.mean()), float(v.str.match(_URL).mean()),
            float(frac.mean()) if ok.any() else 0.0, num[ok])


def _infer_coordinates(df: pd.DataFrame, cols: list[str], guess: ColumnGuess) -> None:
    lon_c, lat_c = [], []
    for c in cols:
        numeric, _, fractional, nums = _shares(df[c])
        if numeric < 0.8 or fractional < 0.5 or not len(nums):
            continue
        if ((nums >= 73) & (nums <= 136)).mean() > 0.8:
            lon_c.append(c)
        elif ((nums >= 3) & (nums <= 54)).mean() > 0.8:
            lat_c.append(c)
    for role, cands in (("lon", lon_c), ("lat", lat_c)):
        if not guess.mapping.get(role) and cands:
            guess.mapping[role] = cands[0]
            guess.inferred.append(role)
    if {"lon", "lat"} & set(guess.inferred):
        lon, lat = guess.mapping["lon"], guess.mapping["lat"]
        guess.notes.append((f"没有列名像经度/纬度，按数值推测为 {lon} / {lat}",
                            f"No column is named like lon/lat; guessed {lon} / {lat} from the values"))


def _check_name_column(df: pd.DataFrame, cols: list[str], guess: ColumnGuess) -> None:
    name = guess.mapping.get("name")
    if name:
        numeric, url, _, _ = _shares(df[name])
        if numeric + url >= 0.5:
            guess.ambiguous["name"] = [name]
            guess.notes.append((f"名称列“{name}”的内容大多是数字或网址，请确认",
                                f"The name column '{name}' holds mostly numbers or URLs: please confirm"))
        return
    taken = {c for c in guess.mapping.values() if c}
    best, best_score = None, 0.0
    for c in cols:
        if c in taken:
            continue
        numeric, url, _, _ = _shares(df[c])
        text = df[c].astype(str).str.strip()
        filled = float(text.ne("").mean())
        distinct = text[text != ""].nunique() / max(1, int(text.ne("").sum()))  # names rarely repeat
        score = filled * (1 - numeric - url) * distinct
        if score > best_score + 1e-9:
            best, best_score = c, score
    if best is not None and best_score >= 0.3:
        guess.mapping["name"] = best
        guess.inferred.append("name")
        guess.notes.append((f"没有列名像“名称”，按内容推测为“{best}”，请确认",
                            f"No column is named like a name; guessed '{best}' from its values: "
                            "please confirm"))


def guess_mapping(df: pd.DataFrame) -> ColumnGuess:
    """Guess the column mapping from names and values, and say when the user must confirm it.

    Geometry files map lon/lat to the geometry's position (``geom_lon``/``geom_lat``): the
    geometry wins over coordinate properties.
    """
    sample = df.head(2000)
    cols = [c for c in df.columns if not str(c).startswith(("_", "geom_"))]
    mapping, ties = guess_mapping_from_names(cols)
    guess = ColumnGuess(mapping=mapping, ambiguous=dict(ties))
    for role, cands in ties.items():
        guess.notes.append((f"“{role}”可对应多列：{'、'.join(cands)}，已选 {cands[0]}，请确认",
                            f"Several columns fit '{role}': {', '.join(cands)}; chose {cands[0]}: "
                            "please confirm"))
    if "geom_lon" in df.columns and df.geom_lon.ne("").any():
        guess.mapping["lon"], guess.mapping["lat"] = "geom_lon", "geom_lat"
        guess.ambiguous.pop("lon", None)
        guess.ambiguous.pop("lat", None)
    else:
        for role in ("lon", "lat"):
            c = guess.mapping.get(role)
            if c and _shares(sample[c])[0] < 0.5 and sample[c].astype(str).str.strip().ne("").any():
                guess.ambiguous[role] = [c]
                guess.notes.append((f"“{c}”列的内容大多不是数字，请确认坐标列",
                                    f"Column '{c}' holds mostly non-numbers: please confirm the coordinates"))
        _infer_coordinates(sample, [c for c in cols if c not in {mapping.get("name")}], guess)
    _check_name_column(sample, cols, guess)
    return guess


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
    absent = [str(c)[:40] for c in mapping.values() if c and c not in df.columns]
    if absent:
        raise ValidationError(f"表中没有这些列：{'、'.join(absent)}",
                              f"The table has no columns {', '.join(absent)}")
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
    source_rows = df.attrs.get("source_rows")
    if source_rows is None or len(source_rows) != n:
        source_rows = np.arange(2, n + 2)  # spreadsheet row numbers (header = row 1)
    table.attrs = {}  # what reading found is the page's business, not the result table's
    table.insert(0, "row", np.asarray(source_rows))
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


def shape_kinds(result: ImportResult) -> dict[str, int]:
    """Kept rows by geometry kind (``point``, ``line``, ``polygon``, ...); empty for plain tables."""
    if "geom_kind" not in result.table.columns:
        return {}
    return {str(k): int(v) for k, v in result.ok.geom_kind.value_counts().items()}


def _kept_shapes(ok: pd.DataFrame, datum: str) -> np.ndarray:
    from atlas.datum import gdf_to_wgs84

    geoms = ok["_geometry"].to_numpy() if "_geometry" in ok.columns else np.array([None] * len(ok))
    keep = np.array([g is not None and not shapely.is_empty(g) for g in geoms], dtype=bool)
    keep &= ok.lon_wgs84.notna().to_numpy()  # only rows validated inside Ningbo keep a shape
    out = np.array([None] * len(ok), dtype=object)
    if keep.any():
        g = gpd.GeoDataFrame(geometry=list(geoms[keep]), crs=settings.CRS_WGS84)
        out[keep] = gdf_to_wgs84(g, datum=datum).geometry.make_valid().to_numpy()
    return out


def to_sites(result: ImportResult, *, layer_name: str, est_error_m: float = 50.0,
             id_prefix: str = "U", shapes: str = "point") -> gpd.GeoDataFrame:
    """Keepable rows in the atlas's site schema (placed and unplaced), ready to save.

    Parameters
    ----------
    result : ImportResult
        From :func:`validate`.
    layer_name : str
        Recorded in each row's ``source``.
    est_error_m : float
        Positional error the planner attributes to the list (default 50 m: AMap/Baidu POI
        accuracy plus the datum conversion's residual).
    id_prefix : str
        Prefix of the generated ids.
    shapes : {"point", "keep"}
        For lines and polygons from a geometry file: ``"point"`` reduces each to a
        representative point whose error radius is the shape's extent (the farthest any part
        lies from the point, at least ``est_error_m``); ``"keep"`` keeps the shapes, for an area
        or line layer (all kept shapes must then be of one kind).

    Returns
    -------
    geopandas.GeoDataFrame

    """
    ok = result.ok
    m = result.mapping

    def col(role: str) -> pd.Series:
        c = m.get(role)
        return ok[c].astype(str).str.strip() if c else pd.Series([""] * len(ok), index=ok.index)

    placed = ok.lon_wgs84.notna()
    err = np.full(len(ok), float(est_error_m))
    method = np.full(len(ok), f"import:{result.datum}", dtype=object)
    if "geom_extent_m" in ok.columns and shapes == "point":
        extent = pd.to_numeric(ok.geom_extent_m, errors="coerce").to_numpy()
        shaped = np.isfinite(extent)
        err[shaped] = np.maximum(err[shaped], extent[shaped])
        method[shaped] = f"import:{result.datum}:representative-point"
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
        "position_method": np.where(placed, method, "none"),
        "est_error_m": np.where(placed, err, np.nan),
        "policy_tasks": np.where(ok.category_code.eq("kepu_site"), "23", ""),
        "membership_verified": False,
        "level": col("level").to_numpy(),
        "address": col("address").to_numpy(),
        "source": f"user import: {layer_name}",
        "note": "",
    })
    sites = sites_from_frame(df[list(SITE_COLUMNS)], name=layer_name)
    if shapes == "keep":
        sites = sites.set_geometry(_kept_shapes(ok, result.datum), crs=settings.CRS_WGS84)
    return sites
