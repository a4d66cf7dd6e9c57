"""Human output in one place: rounded numbers, headers in the reader's language, citations.

Numbers are rounded to what the data supports, ids become names, and sources become
citations with their link.

Pages, static maps, briefing tables and the dashboard all format through here, so that one
figure reads the same everywhere. The GeoPackage keeps raw column names and full precision for GIS
work; every download a page offers is a briefing table (:mod:`atlas.io.downloads`, built on
:func:`table`'s rules).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from atlas.data.names import place_columns
from atlas.plan.citations import readable

#: Column kinds: how a column is rounded and shown.
PEOPLE_COLUMNS = frozenset({"population", "covered", "uncovered", "covered_population",
                            "uncovered_population", "marginal_population", "gain", "pop_low",
                            "pop_high", "covered_low", "covered_high", "gap_population",
                            "certain_gap_population", "uncertain_population", "source_total",
                            "official_total"})
PCT_COLUMNS = frozenset({"pct_covered", "pct_low", "pct_high", "greedy_gap_pct", "share_pct",
                         "cumulative_pct", "pct_lower", "pct_upper", "pct_estimate", "pct_no_access"})
#: A walking budget is a setting, shown as given (1,125 m), not rounded to 10 m; so is the
#: straight-line radius it gives (1,125 m ÷ 1.3 = 865 m), to the metre.
BUDGET_COLUMNS = frozenset({"budget_m", "radius_m"})
METRE_COLUMNS = frozenset({"metres", "distance_m", "est_error_m", "access_m", "snap_m"})
AREA_COLUMNS = frozenset({"area_km2", "official_area_km2", "certain_gap_area_km2"})
COORD_COLUMNS = frozenset({"lon", "lat", "lon_wgs84", "lat_wgs84"})

#: Bilingual headers of analysis and site columns (extends :data:`atlas.i18n.FIELD_LABELS`).
HEADERS: dict[str, tuple[str, str]] = {
    "district": ("区县", "District"),
    "population": ("常住人口（人）", "Residents"),
    "covered": ("已覆盖人口（人）", "Residents covered"),
    "uncovered": ("未覆盖人口（人）", "Residents not covered"),
    "pct_covered": ("覆盖率（%）", "Covered (%)"),
    "pct_low": ("覆盖率下限（%）", "Covered, lower bound (%)"),
    "pct_high": ("覆盖率上限（%）", "Covered, upper bound (%)"),
    "method": ("计算方法", "Method"),
    "budget_m": ("服务半径（米）", "Budget (m)"),
    "site": ("站点", "Site"),
    "site_id": ("站点", "Site"),
    "name": ("名称", "Name"),
    "metres": ("步行距离（米）", "Walking distance (m)"),
    "radius_m": ("直线半径（米）", "Straight-line radius (m)"),
    "area_km2": ("面积（km²）", "Area (km²)"),
    "certain_gap_area_km2": ("确定在范围外面积（km²）", "Area certainly outside (km²)"),
    "scenario": ("假设情景", "Scenario"),
    "h3": ("H3 格编号", "H3 cell"),
    "population_method": ("人口分配方法", "How people were placed"),
    "access_method": ("可达性计算方法", "Accessibility method"),
    "flag": ("提示", "Note"),
    "snap_m": ("到最近道路（米）", "To the nearest street (m)"),
    "minutes": ("步行时间（分钟）", "Walking time (min)"),
    "speed_kmh": ("步行速度（公里/小时）", "Walking speed (km/h)"),
    "rank": ("排序", "Rank"),
    "n_cells": ("H3 格数", "H3 cells"),
    "lon": ("经度", "Longitude"),
    "lat": ("纬度", "Latitude"),
    "marginal_population": ("新增覆盖人口（人）", "Residents newly covered"),
    "gap_population": ("缺口人口（人）", "Residents in the gap"),
    "cumulative_pct": ("累计覆盖率（%）", "Cumulative coverage (%)"),
    "zone": ("范围", "Place"),
    "pct_lower": ("覆盖率下限（%）", "Covered, at least (%)"),
    "pct_upper": ("覆盖率上限（%）", "Covered, at most (%)"),
    "pct_estimate": ("覆盖率估计（%）", "Covered, estimate (%)"),
    "certain_gap_population": ("确定未覆盖人口（人）", "Residents certainly not covered"),
    "uncertain_population": ("不确定人口（人）", "Residents uncertain"),
    "status": ("状态", "Status"),
    "reasons": ("问题", "Problems"),
    "row": ("行号", "Row"),
    "kind": ("类型", "Kind"),
    "keep": ("保留", "Keep"),
    "count": ("数量", "Count"),
    "placed": ("已定位（上图）", "Positioned (mapped)"),
    "unplaced": ("无坐标", "Without a position"),
    "lon_wgs84": ("经度（WGS84）", "Longitude (WGS84)"),
    "lat_wgs84": ("纬度（WGS84）", "Latitude (WGS84)"),
    "district_found": ("所在区县（按坐标）", "District (by position)"),
    "category_code": ("识别的类别", "Category (as read)"),
    "category": ("类别", "Category"),
    "score_per_10k": ("可达性（每万人可达科普点，距离加权）",
                      "Accessibility (sites per 10,000, distance-weighted)"),
    "pct_no_access": ("无科普点可达的人口（%）", "Residents with no site in reach (%)"),
    "street": ("街道/镇", "Street / town"),
    "galleries": ("科普画廊数", "Galleries"),
    "flagged": ("其中已标记", "Of which flagged"),
    "source_total": ("来源合计（人）", "Source total"),
    "official_total": ("2024年官方常住人口（人）", "Official 2024 residents"),
    "factor": ("缩放系数", "Scale factor"),
    "osm_id": ("OSM 编号", "OSM id"),
}

#: Method codes shown as words.
METHODS: dict[str, tuple[str, str]] = {
    "network": ("步行路网", "walking network"),
    "euclidean-proxy": ("直线近似（非步行网络）", "straight line (not a walking network)"),
    "ok": ("有效", "valid"),
    "unplaced": ("无坐标", "no position"),
    "error": ("有错误", "error"),
    "snap_too_far": ("离道路过远，未计算", "too far from any street: not computed"),
    "straight-line-bounds": ("直线上下界（无步行路网）", "straight-line bounds (no walking network)"),
    "straight-line": ("直线×绕行系数（估计值）", "straight line × detour (estimate)"),
    "no_population": ("无人口", "no population"),
    "supply_data_missing": ("数据缺失（源数据无记录）", "no data in source"),
}


#: What a missing value reads as, in every table, figure and export for people (never "None"
#: or "nan"). Where a missing value has a meaning (a zone without residents), the row says it:
#: ``status`` reads "无人口 / no population".
MISSING = "—"


def _missing(x: Any) -> bool:
    """True for None, NaN, ``pd.NA`` and ``NaT`` (a scalar with no value)."""
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    return bool(pd.api.types.is_float(x) and math.isnan(x))


def round_half_up(x: Any, ndigits: int = 0) -> float:
    """``x`` rounded to ``ndigits`` with halves away from zero (1,125 -> 1,130; -2.5 -> -3).

    Python's :func:`round` and numpy round halves to even (1,125 -> 1,120, 250 -> 200), which
    reads as a mistake to people. The float's shortest decimal form is rounded, so 0.125 is a
    half (its binary value is not exactly 0.125, but it is what a reader sees). Missing stays NaN.
    """
    if _missing(x):
        return float("nan")
    v = float(x)
    if math.isinf(v):
        return v
    q = Decimal(1).scaleb(-ndigits)
    return float(Decimal(repr(v)).quantize(q, rounding=ROUND_HALF_UP))


def _fixed(v: float, decimals: int, *, sign: bool = False) -> str:
    """``v`` with ``decimals`` decimals and thousands separators, halves up."""
    r = round_half_up(v, decimals) + 0.0  # + 0.0: no "-0"
    return f"{r:+,.{decimals}f}" if sign else f"{r:,.{decimals}f}"


def _round_series(s: pd.Series, ndigits: int) -> pd.Series:
    """A column rounded half up (see :func:`round_half_up`)."""
    return _floats(s).map(lambda v: round_half_up(v, ndigits))


def people(x: Any) -> str:
    """A head count rounded to the nearest 100 (``"7,300"``; ``"< 100"`` for 1–49; ``"—"`` if missing).

    Population figures are estimates from district totals spread over space, so more digits
    would claim a precision they do not have.
    """
    if _missing(x):
        return MISSING
    v = float(x)
    if math.isinf(v):
        return "∞"
    if 0 < abs(v) < 50:
        return "< 100"
    return _fixed(round_half_up(v, -2), 0)


def round_people(x: Any) -> float:
    """The number :func:`people` shows, as a number (for sortable tables and CSV)."""
    return float("nan") if _missing(x) else round_half_up(x, -2)


def pct(x: Any, *, sign: bool = False) -> str:
    """A percentage to 0.1 (``"1.4 %"``; ``"< 0.1 %"`` for tiny non-zero values)."""
    if _missing(x):
        return MISSING
    v = float(x)
    if 0 < abs(v) < 0.05:
        return "< 0.1 %"
    return f"{_fixed(v, 1, sign=sign).replace(',', '')} %"


def pct_range(low: Any, high: Any) -> str:
    """Bounds as one text: ``"1.4–2.0 %"`` (one value when they agree to 0.1)."""
    if _missing(low) or _missing(high):
        return pct(high if _missing(low) else low)
    a, b = _fixed(float(low), 1).replace(",", ""), _fixed(float(high), 1).replace(",", "")
    return f"{a} %" if a == b else f"{a}–{b} %"


def metres(x: Any) -> str:
    """A distance rounded to 10 m (``"1,130 m"``), or km with one decimal from 10 km on."""
    if _missing(x):
        return MISSING
    v = float(x)
    if math.isinf(v):
        return "∞"
    if abs(v) >= 10_000:
        return f"{_fixed(v / 1000, 1)} km"
    return f"{_fixed(round_half_up(v, -1), 0)} m"


def budget(x: Any) -> str:
    """A walking budget as set (``"1,125 m"``): a setting is not rounded to 10 m."""
    if _missing(x):
        return MISSING
    return f"{_fixed(float(x), 0)} m"


def km2(x: Any) -> str:
    """An area in km² with two decimals below 10 km², else whole km²."""
    if _missing(x):
        return MISSING
    v = float(x)
    return f"{_fixed(v, 2)} km²" if abs(v) < 10 else f"{_fixed(v, 0)} km²"


def count(x: Any, lang: str = "zh", *, unit_zh: str = "", unit_en: str = "") -> str:
    """A whole count with thousands separators and an optional unit (``"12 处"``)."""
    if _missing(x):
        return MISSING
    unit = unit_en if lang == "en" else unit_zh
    return _fixed(float(x), 0) + (f" {unit}" if unit else "")


def method_label(code: Any, lang: str = "zh") -> str:
    """A method or status code in words."""
    zh, en = METHODS.get(str(code), (str(code), str(code)))
    return en if lang == "en" else zh


def header(col: str, lang: str = "zh") -> str:
    """The column header of ``col`` in ``lang`` (site fields from :mod:`atlas.i18n` too)."""
    from atlas.i18n import FIELD_LABELS

    zh, en = HEADERS.get(col) or FIELD_LABELS.get(col, (col, col))
    return en if lang == "en" else zh


def table(df: pd.DataFrame, lang: str = "zh", *, names: Mapping[str, str] | None = None,
          drop: tuple[str, ...] = ("geometry",), keep_numeric: bool = True) -> pd.DataFrame:
    """A table for people: ids replaced by names, numbers rounded, headers in ``lang``.

    Parameters
    ----------
    df : pandas.DataFrame
        Any analysis table (coverage by district, service areas, gaps, recommendations...).
    lang : {"zh", "en"}
        Header and label language.
    names : mapping, optional
        Site id -> display name; ``site_id``/``id`` columns are shown as names.
    drop : tuple of str
        Columns left out (geometry by default).
    keep_numeric : bool
        Keep rounded numbers as numbers (sortable in the app; a missing value stays missing and
        the app shows it as :data:`MISSING`); False gives formatted text, missing values as
        :data:`MISSING`.

    Returns
    -------
    pandas.DataFrame
        A copy with human headers.

    """
    out = pd.DataFrame(df).drop(columns=[c for c in drop if c in df.columns]).copy()
    if {"name", "name_zh"} & set(out.columns):  # a name is there: the id adds nothing for people
        out = out.drop(columns=[c for c in ("id", "site_id") if c in out.columns])
    for col in ("site_id", "id"):
        if col in out.columns and names is not None:
            out[col] = _words(out[col], lambda v: names.get(str(v), str(v)))
    if "name" in out.columns and "name_zh" in out.columns:
        out = out.drop(columns="name_zh")
    out = place_columns(out, lang)
    for col in out.columns:
        s = out[col]
        if col in PEOPLE_COLUMNS:
            out[col] = s.map(round_people) if keep_numeric else s.map(people)
        elif col in PCT_COLUMNS:
            out[col] = _round_series(s, 1) if keep_numeric else s.map(pct)
        elif col in METRE_COLUMNS:
            out[col] = _round_series(s, -1) if keep_numeric else s.map(metres)
        elif col in BUDGET_COLUMNS:
            out[col] = _round_series(s, 0) if keep_numeric else s.map(budget)
        elif col in AREA_COLUMNS:
            out[col] = _round_series(s, 2) if keep_numeric else s.map(km2)
        elif col in COORD_COLUMNS:
            out[col] = _floats(s).round(5)  # ~1 m: more digits than any position we hold
        elif col in ("method", "status", "flag"):
            out[col] = _words(s, lambda v: method_label(v, lang))
        elif col in ("category", "category_code"):
            from atlas.data.geodata import CATEGORIES

            out[col] = _words(s, lambda v: CATEGORIES.get(str(v), (str(v), str(v)))[lang == "en"])
        if not keep_numeric:
            out[col] = out[col].map(lambda v: MISSING if _missing(v) else v)
    names_out: list[str] = []
    for c in out.columns:  # a user's own column may already carry a header's name
        h = header(c, lang)
        while h in names_out:
            h = f"{h} ({c})" if f"({c})" not in h else h + "′"
        names_out.append(h)
    out.columns = names_out
    return out


def _floats(s: pd.Series) -> pd.Series:
    """``s`` as floats, any missing value (None, ``pd.NA``) as NaN."""
    return s.where(s.notna(), None).astype(float)


def _words(s: pd.Series, word: Any) -> pd.Series:
    """``word(v)`` of every value of ``s``; a missing value stays missing (never the text "None")."""
    return s.map(lambda v: None if _missing(v) else word(v)).astype(object)


# --- 科普 base levels ---------------------------------------------------------------------------

#: Designation levels of 科普 bases, most senior first (code, zh, en).
LEVELS: tuple[tuple[str, str, str], ...] = (
    ("national", "国家级", "national"),
    ("provincial", "省级", "provincial"),
    ("provincial_or_municipal", "省级或市级（未明确）", "provincial or municipal (unspecified)"),
    ("municipal", "市级", "municipal"),
    ("district_venue", "区县级场馆", "district venue"),
    ("venue_only", "场馆（认定未核实）", "venue (designation not verified)"),
    ("none", "未记录", "not recorded"),
)


def level_code(level: Any) -> str:
    """The level code of a ``level`` cell (``"national (claimed, unverified)"`` -> ``national``)."""
    if _missing(level) or not str(level).strip():
        return "none"
    head = str(level).strip().split(" ")[0].split("(")[0].lower()
    return head if head in {c for c, _, _ in LEVELS} else "none"


def level_label(level: Any, lang: str = "zh") -> str:
    """A ``level`` cell in words, with its doubts: "国家级（自称，未核实）", "场馆（规划中）"."""
    code = level_code(level)
    zh, en = next((z, e) for c, z, e in LEVELS if c == code)
    text = str(level or "")
    notes = []
    if "claimed" in text or "unverified" in text:
        notes.append(("自称，未核实", "claimed, unverified"))
    if "planned" in text:
        notes.append(("规划中", "planned"))
    if not notes:
        return en if lang == "en" else zh
    if lang == "en":
        return f"{en.split(' (')[0]} ({'; '.join(n for _, n in notes)})"
    return f"{zh.split('（')[0]}（{'；'.join(n for n, _ in notes)}）"


#: How a position was obtained, in words.
POSITION_METHODS: dict[str, tuple[str, str]] = {
    "osm": ("OpenStreetMap", "OpenStreetMap"),
    "wikipedia": ("维基百科坐标", "Wikipedia coordinates"),
    "gcj02-converted": ("高德坐标（GCJ-02）转换", "converted from AMap (GCJ-02)"),
    "bd09-converted": ("百度坐标（BD-09）转换", "converted from Baidu (BD-09)"),
    "approx": ("估计", "estimate"),
    "none": ("无", "none"),
    "placed-by-click": ("在地图上点选", "placed by a click on the map"),
    "geocoded:nominatim": ("地址解析（Nominatim）", "geocoded (Nominatim)"),
}


def position_method(code: Any, lang: str = "zh") -> str:
    """How a position was obtained, in words (unknown codes as given)."""
    zh, en = POSITION_METHODS.get(str(code), (str(code), str(code)))
    return en if lang == "en" else zh


def readable_note(note: Any, lang: str = "zh") -> str:
    """A curation note for a reader of ``lang``: English notes are not shown in Chinese."""
    if _missing(note) or not str(note).strip():
        return ""
    return str(note) if lang == "en" else readable(str(note), lang)
