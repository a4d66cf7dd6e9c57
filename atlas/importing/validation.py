"""Check every row of an imported list and give it reasons; nothing is saved here.

:func:`validate` runs one small check after another, each adding its reason code to the rows it
flags (in the order the checks run, which is the order the page lists them): the name, the
coordinates (readable, not swapped, inside Ningbo once converted from the stated datum), the
stated district, the category, and duplicates.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from atlas.data.geodata import CATEGORIES, in_ningbo_extent
from atlas.errors import ValidationError
from atlas.geo.datum import DATUMS, to_wgs84
from atlas.geo.projection import MetricFrame
from atlas.importing.categories import GUESS, guess_categories
from atlas.importing.cells import district_at, parse_numbers, stated_district, zone_hosts
from atlas.importing.result import REASONS, ImportResult

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

DUPLICATE_RADIUS_M = 100.0  # same name within this distance of an earlier row: a duplicate
CITY_BUFFER_DEG = 0.02  # points this close outside the outline still count as in Ningbo

Reasons = list[list[str]]  # each row's reason codes


def validate(df: pd.DataFrame, mapping: dict[str, str | None], *, datum: str,
             districts: gpd.GeoDataFrame, default_category: str = "kepu_site",
             outline: shapely.Geometry | None = None) -> ImportResult:
    """Check every row and give it reasons; nothing is saved here.

    Parameters
    ----------
    df : pandas.DataFrame
        From :func:`atlas.importing.read_table`.
    mapping : dict
        Role -> column (``name`` required; ``lon``/``lat`` optional for address-only lists).
    datum : {"wgs84", "gcj02", "bd09", "cgcs2000"}
        The datum the user says the coordinates are in.
    districts : geopandas.GeoDataFrame
        District polygons (WGS84) with ``name_zh``.
    default_category : str
        Category for rows without one, or ``"guess"``: read it from the row's name
        (:func:`atlas.importing.categories.guess_categories`); a name that says nothing leaves
        the row unclassified, flagged ``category_not_guessed`` (a warning).
    outline : shapely geometry, optional
        Ningbo's outline (WGS84); default: the union of ``districts``.

    Returns
    -------
    ImportResult

    """
    _check_request(df, mapping, datum)
    reasons: Reasons = [[] for _ in range(len(df))]
    names = df[str(mapping["name"])].astype(str).str.strip()
    _flag(reasons, _missing_names(names), "missing_name")
    raw_lon, raw_lat, good, no_coords = _check_coordinates(df, mapping, reasons)
    city = outline if outline is not None else shapely.union_all(districts.geometry.to_numpy())
    lon, lat, placed = _place(raw_lon, raw_lat, good, datum=datum, city=city, reasons=reasons)
    district = _check_districts(df, mapping.get("district"), lon, lat, placed, districts=districts,
                                reasons=reasons)
    category = _check_categories(df, mapping.get("category"), default_category, reasons, names=names)
    _flag(reasons, _duplicates(names.to_numpy(), lon, lat, placed), "duplicate")
    _flag(reasons, no_coords, "no_coordinates")
    table = _result_table(df, lon=lon, lat=lat, district=district, category=category,
                          reasons=reasons, status=_status(reasons, no_coords))
    return ImportResult(table, dict(mapping), datum)


def _check_request(df: pd.DataFrame, mapping: dict[str, str | None], datum: str) -> None:
    """Refuse an unknown datum, a mapping without a name column or naming absent columns."""
    if datum not in DATUMS:
        to_wgs84(0, 0, datum=datum)  # raises the bilingual DatumError
    if not mapping.get("name"):
        raise ValidationError("请指定名称列", "Choose the name column")
    absent = [str(c)[:40] for c in mapping.values() if c and c not in df.columns]
    if absent:
        raise ValidationError(f"表中没有这些列：{'、'.join(absent)}",
                              f"The table has no columns {', '.join(absent)}")


def _flag(reasons: Reasons, mask: np.ndarray, code: str) -> None:
    """Add ``code`` to the reasons of the rows in ``mask``."""
    for i in np.flatnonzero(mask):
        reasons[i].append(code)


#: What spreadsheets and databases write for "no value", and Excel's error values: not names.
NO_NAME = {"nan", "none", "null", "n/a", "na", "nil", "-", "--", "—", "/", "／", "无", "空", "暂无", "未知",
           "#n/a", "#ref!", "#value!", "#div/0!", "#name?", "#null!", "#num!", "#getting_data", "#spill!",
           "#calc!"}


def _missing_names(names: pd.Series) -> np.ndarray:
    """Rows without a name (empty, a placeholder for nothing, or a spreadsheet error value)."""
    return (names == "").to_numpy() | names.str.lower().isin(NO_NAME).to_numpy()


def _has_text(df: pd.DataFrame, column: str | None) -> np.ndarray:
    """Rows whose cell in ``column`` holds anything (none when there is no such column)."""
    if not column:
        return np.zeros(len(df), bool)
    return df[column].astype(str).str.strip().ne("").to_numpy()


def _check_coordinates(df: pd.DataFrame, mapping: dict[str, str | None], reasons: Reasons
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The coordinates as written; flags unreadable and swapped ones.

    Returns raw lon, raw lat, the rows with usable coordinates and the rows with none at all.
    """
    n = len(df)
    raw_lon, fixed_lon = parse_numbers(df[mapping["lon"]]) if mapping.get("lon") else _none(n)
    raw_lat, fixed_lat = parse_numbers(df[mapping["lat"]]) if mapping.get("lat") else _none(n)
    no_coords = ~_has_text(df, mapping.get("lon")) & ~_has_text(df, mapping.get("lat"))
    both = np.isfinite(raw_lon) & np.isfinite(raw_lat)
    _flag(reasons, ~no_coords & ~both, "invalid_coordinates")
    _flag(reasons, both & (fixed_lon | fixed_lat), "coordinates_repaired")
    swapped = both & ~in_ningbo_extent(raw_lon, raw_lat) & in_ningbo_extent(raw_lat, raw_lon)
    _flag(reasons, swapped, "swapped_lonlat")
    # metres of a projected CRS (UTM 51N in Ningbo: x ~ 3e5-8e5, y ~ 3.2e6-3.5e6), not degrees
    metres = both & ((np.abs(raw_lon) > 360) | (np.abs(raw_lat) > 360)) & (np.abs(raw_lon) >= 1e3) \
        & (np.abs(raw_lat) >= 1e3)
    _flag(reasons, metres, "projected_metres")
    return raw_lon, raw_lat, both & ~swapped & ~metres, no_coords


def _none(n: int) -> tuple[np.ndarray, np.ndarray]:
    """No coordinate column: NaN for every row, none repaired."""
    return np.full(n, np.nan), np.zeros(n, bool)


def _place(raw_lon: np.ndarray, raw_lat: np.ndarray, good: np.ndarray, *, datum: str,
           city: shapely.Geometry, reasons: Reasons) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convert the usable coordinates to WGS84 and keep those inside the city; flags the others.

    Returns lon and lat (NaN for rows not placed) and the placed rows.
    """
    n = len(raw_lon)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    if good.any():
        lon[good], lat[good] = to_wgs84(raw_lon[good], raw_lat[good], datum=datum)
    city_buf = shapely.buffer(city, CITY_BUFFER_DEG)
    shapely.prepare(city_buf)
    inside = np.zeros(n, bool)
    inside[good] = shapely.contains_xy(city_buf, lon[good], lat[good])
    _flag(reasons, good & ~inside, "outside_ningbo")
    placed = good & inside
    return np.where(placed, lon, np.nan), np.where(placed, lat, np.nan), placed


def _check_districts(df: pd.DataFrame, column: str | None, lon: np.ndarray, lat: np.ndarray,
                     placed: np.ndarray, *, districts: gpd.GeoDataFrame, reasons: Reasons
                     ) -> np.ndarray:
    """Each row's district: where its point lies, else the one it states (flags unknown, mismatch).

    A functional zone stated as the district (高新区, 杭州湾新区, 东钱湖 …) is filed under its
    host district with a note, not flagged unknown; a zone with two hosts takes the one its
    point lies in (without a point, the first host).
    """
    found = district_at(lon, lat, districts)
    if not column:
        return found
    names = districts.name_zh.tolist()
    cells = df[column].astype(str)
    claimed = cells.map(lambda s: stated_district(s, names)).to_numpy()
    hosts = [zone_hosts(c) if k == "?" else () for c, k in zip(cells, claimed, strict=True)]
    zone = np.array([bool(h) for h in hosts])
    claimed = np.array([(f if f in h else h[0]) if h else k
                        for h, f, k in zip(hosts, found, claimed, strict=True)], dtype=object)
    _flag(reasons, zone, "functional_zone")
    _flag(reasons, claimed == "?", "unknown_district")
    _flag(reasons, placed & (claimed != "") & (claimed != "?") & (found != "") & (claimed != found),
          "district_mismatch")
    return np.where(found != "", found, np.where(claimed == "?", "", claimed))


def _check_categories(df: pd.DataFrame, column: str | None, default: str, reasons: Reasons, *,
                      names: pd.Series) -> np.ndarray:
    """Each row's category code; flags labels not recognised and names that say nothing.

    An empty cell (or every row, without a column) takes ``default``, or the category its name
    suggests when ``default`` is ``"guess"``; a name that suggests none leaves the row
    unclassified (kept, with a warning), never filed under a category it may not be.
    """
    fallback = (guess_categories(names) if default == GUESS
                else np.full(len(df), default, dtype=object))
    given = np.zeros(len(df), bool)
    cat = fallback
    if column:
        raw = df[column].astype(str).str.strip()
        given = (raw != "").to_numpy()
        cat = np.array([CATEGORY_ALIASES.get(s, CATEGORY_ALIASES.get(s.lower(), "")) if s else f
                        for s, f in zip(raw, fallback, strict=True)], dtype=object)
    _flag(reasons, (cat == "") & given, "unknown_category")
    _flag(reasons, (cat == "") & ~given, "category_not_guessed")  # kept, left unclassified
    return cat


def _duplicates(names: np.ndarray, lon: np.ndarray, lat: np.ndarray, placed: np.ndarray
                ) -> np.ndarray:
    """Placed rows with the same name as an earlier row within :data:`DUPLICATE_RADIUS_M`."""
    dup = np.zeros(len(names), bool)
    if placed.sum() <= 1:
        return dup
    idx = np.flatnonzero(placed)
    x, y = MetricFrame.for_data((lon[idx], lat[idx])).to_metric(lon[idx], lat[idx])
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(r=DUPLICATE_RADIUS_M, output_type="ndarray")
    for a, b in pairs:
        i, j = idx[a], idx[b]
        if names[i] == names[j] and names[i]:
            dup[max(i, j)] = True
    return dup


def _status(reasons: Reasons, no_coords: np.ndarray) -> np.ndarray:
    """``error`` for a row with any error reason, else ``unplaced`` without coordinates, else ``ok``."""
    severity = [{REASONS[c][0] for c in rs} for rs in reasons]
    return np.where([("error" in s) for s in severity], "error",
                    np.where(no_coords, "unplaced", "ok"))


def _result_table(df: pd.DataFrame, *, lon: np.ndarray, lat: np.ndarray, district: np.ndarray,
                  category: np.ndarray, reasons: Reasons, status: np.ndarray) -> pd.DataFrame:
    """The input with the row numbers first and what the checks found after it."""
    n = len(df)
    table = df.copy()
    source_rows = df.attrs.get("source_rows")
    if source_rows is None or len(source_rows) != n:
        source_rows = np.arange(2, n + 2)  # spreadsheet row numbers (header = row 1)
    table.attrs = {}  # what reading found is the page's business, not the result table's
    table.insert(0, "row", np.asarray(source_rows))
    table["lon_wgs84"] = lon
    table["lat_wgs84"] = lat
    table["district_found"] = district
    table["category_code"] = category
    table["reasons"] = reasons
    table["status"] = status
    return table
