"""Downloads as briefing tables: what a planner can paste into a briefing without fixing it first.

Every table a page offers for download goes through :func:`briefing_table` (CSV) or
:func:`briefing_geojson` (GeoJSON), so that every download follows the same rules:

* people as whole numbers, rounded as the page shows them (to 100, :func:`atlas.fmt.people`);
* percentages to 0.1, areas and other numbers to at most 2 decimals, coordinates to at most 6
  (about 0.1 m: more than any position the atlas holds);
* CSV headers in the reader's language (:func:`atlas.fmt.header`, or the page's own headers,
  e.g. people columns that say how people were placed); GeoJSON keeps ASCII field names (GIS
  tools expect them) and carries the readable header of each field in a ``field_aliases``
  member (GeoJSON allows foreign members);
* codes in words (methods, statuses, where a gap's name comes from), places by name (district,
  gap name, street), codes such as H3 ids only beside a name;
* figures that include hypothetical sites carry the scenario's badge
  (:func:`atlas.analysis.scenarios.badge`) in a ``scenario`` column / property.

:func:`check_csv` and :func:`check_geojson` state the rules as code; the tests walk every
download producer of every page through them.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atlas import fmt, settings
from atlas.plan.citations import citations

#: Columns holding coordinates (at most :data:`COORD_DECIMALS` decimals).
COORD_DECIMALS = 6
#: Decimals of any other number that is neither people (whole) nor a percentage (0.1).
OTHER_DECIMALS = 2

def _citations(v: Any, lang: str) -> str:
    return ("; " if lang == "en" else "；").join(c.text + (f" {c.url}" if c.url else "")
                                                 for c in citations(v, lang))


def _category(v: Any, lang: str) -> str:
    from atlas.data.geodata import CATEGORIES

    return CATEGORIES.get(str(v), (str(v), str(v)))[lang == "en"]


#: Code columns shown in words, with the function that words them.
_WORDED: dict[str, Callable[[Any, str], str]] = {
    "method": fmt.method_label, "status": fmt.method_label, "flag": fmt.method_label,
    "access_method": fmt.method_label,
    "level": fmt.level_label, "position_method": fmt.position_method, "note": fmt.readable_note,
    "source": _citations, "dataset_source": _citations, "category": _category,
}


@dataclass(frozen=True)
class Download:
    """One file a page offers: its button label, file name, MIME type and how to make it."""

    label: str
    file_name: str
    mime: str
    make: Callable[[], bytes]


def _population_method(v: Any, lang: str) -> str:
    from atlas.coverage.text import demand_label

    return demand_label(str(v), lang, form="qualifier")


def _round_numbers(df: pd.DataFrame) -> pd.DataFrame:
    """People whole (as shown: to 100), percentages 0.1, coordinates 6, other numbers 2 decimals."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        if col in fmt.PEOPLE_COLUMNS:
            out[col] = s.map(fmt.round_people).astype("Int64")
        elif col in fmt.PCT_COLUMNS:
            out[col] = s.map(lambda v: fmt.round_half_up(v, 1))
        elif col in fmt.COORD_COLUMNS:
            out[col] = s.astype(float).round(COORD_DECIMALS)
        elif pd.api.types.is_integer_dtype(s):
            continue
        else:
            out[col] = s.map(lambda v: fmt.round_half_up(v, OTHER_DECIMALS))
    return out


def _words(df: pd.DataFrame, lang: str, own: Collection[str] = ()) -> pd.DataFrame:
    """Codes in words (methods, statuses, population methods); names in ``lang`` where both are there.

    ``own`` columns are a planner's own text (a source, a note), given as written.
    """
    out = df.copy()
    for col, word in {**_WORDED, "population_method": _population_method}.items():
        if col in out.columns and col not in own:
            out[col] = out[col].map(lambda v, w=word: fmt.MISSING if fmt._missing(v) else w(v, lang))
    if "name_source" in out.columns:
        from atlas.data.places import SOURCE_WORDS

        out["name_source"] = out.name_source.map(lambda c: SOURCE_WORDS.get(str(c), (c, c))[lang == "en"])
    if lang == "en" and "name_en" in out.columns and "name" in out.columns:
        out["name"] = out.name_en.where(out.name_en.astype(bool), out.name)
    return out.drop(columns=[c for c in ("name_en",) if c in out.columns and "name" in out.columns])


def briefing_table(df: pd.DataFrame, lang: str = "zh", *, headers: Mapping[str, str] | None = None,
                   badge: str = "", own: Collection[str] = ()) -> pd.DataFrame:
    """A table for people: rounded numbers, codes in words, headers in ``lang`` (see module doc).

    ``headers`` overrides the header of some columns (column -> header); ``badge`` (a scenario's,
    :func:`atlas.analysis.scenarios.badge`) adds a ``scenario`` column saying the figures include
    hypothetical sites; ``own`` columns are a planner's own text, not worded.
    """
    out = pd.DataFrame(df).drop(columns=[c for c in ("geometry",) if c in df.columns])
    out = _round_numbers(_words(out, lang, own))
    if badge:
        out["scenario"] = badge
    names: list[str] = []
    for c in out.columns:
        h = (headers or {}).get(str(c)) or fmt.header(str(c), lang)
        while h in names:
            h = h + "′"
        names.append(h)
    out.columns = names
    return out


def csv_bytes(table: pd.DataFrame) -> bytes:
    """``table`` as CSV in UTF-8 with BOM (Excel shows Chinese); formulas neutralised."""
    from atlas.io.export import neutralise_formulas

    return neutralise_formulas(table).to_csv(index=False).encode("utf-8-sig")


def briefing_csv(df: pd.DataFrame, lang: str = "zh", *, headers: Mapping[str, str] | None = None,
                 badge: str = "") -> bytes:
    """:func:`briefing_table` of ``df`` as CSV bytes."""
    return csv_bytes(briefing_table(df, lang, headers=headers, badge=badge))


def _round_geometry(geoms: np.ndarray) -> np.ndarray:
    """Coordinates rounded to :data:`COORD_DECIMALS` decimals."""
    return shapely.transform(geoms, lambda xy: np.round(xy, COORD_DECIMALS))


def briefing_geojson(gdf: gpd.GeoDataFrame, lang: str = "zh", *, headers: Mapping[str, str] | None = None,
                     badge: str = "") -> bytes:
    """GeoJSON (WGS84) with the rules of :func:`briefing_table`, ASCII field names and ``field_aliases``."""
    g = gdf.to_crs(settings.CRS_WGS84) if gdf.crs is not None else gdf
    props = _round_numbers(_words(pd.DataFrame(g.drop(columns=g.geometry.name)), lang))
    if badge:
        props["scenario"] = badge
    out = gpd.GeoDataFrame(props, geometry=_round_geometry(g.geometry.to_numpy()), crs=settings.CRS_WGS84)
    doc = json.loads(out.to_json(na="null", ensure_ascii=False, drop_id=True))
    doc["field_aliases"] = {str(c): (headers or {}).get(str(c)) or fmt.header(str(c), lang)
                            for c in props.columns}
    if badge:  # also on an empty collection: the file says what it was made from
        doc["scenario"] = badge
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


# --- the rules, as code ------------------------------------------------------------------------

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _decimals(v: float) -> int:
    text = repr(float(v))
    if "e" in text or "." not in text:
        return 0
    return len(text.split(".")[1].rstrip("0"))


def _number_problems(name: str, values: pd.Series, *, people: bool, coord: bool) -> list[str]:
    nums = pd.to_numeric(values, errors="coerce").dropna()
    nums = nums[np.isfinite(nums.astype(float))]
    if nums.empty:
        return []
    limit = 0 if people else COORD_DECIMALS if coord else OTHER_DECIMALS
    worst = max(_decimals(float(v)) for v in nums)
    return [f"{name}: {worst} decimals (at most {limit})"] if worst > limit else []


def check_csv(data: bytes, lang: str, *, people_headers: set[str], coord_headers: set[str],
              own_headers: frozenset[str] = frozenset()) -> list[str]:
    """What is wrong with a downloaded CSV as a briefing table (empty when nothing is).

    Headers in ``lang`` (no program identifiers such as ``score_per_10k``; in English no
    Chinese header), people columns whole numbers, coordinates ≤ 6 decimals, others ≤ 2.
    ``own_headers`` are a planner's own columns, given back as they were in their file.
    """
    df = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    problems = []
    for h in [c for c in df.columns if c not in own_headers]:
        if _IDENT.match(h) and ("_" in h or h[0].islower()):
            problems.append(f"header {h!r} is a program identifier")
        if lang == "en" and _CJK.search(h):
            problems.append(f"header {h!r} is not English")
        if lang == "zh" and not _CJK.search(h) and h not in {"H3"}:
            problems.append(f"header {h!r} is not Chinese")
        vals = df[h].replace({"": None, fmt.MISSING: None, "< 100": None})
        if h in people_headers and vals.dropna().str.contains(r"[.eE]").any():
            problems.append(f"{h}: people not written as whole numbers")
        problems += _number_problems(h, vals, people=h in people_headers, coord=h in coord_headers)
    return problems


def check_geojson(data: bytes) -> list[str]:
    """What is wrong with a downloaded GeoJSON as a briefing file (empty when nothing is).

    ASCII field names, each with a readable alias; people whole; coordinates ≤ 6 decimals;
    other numbers ≤ 2.
    """
    doc = json.loads(data.decode("utf-8"))
    problems: list[str] = []
    aliases = doc.get("field_aliases", {})
    feats = doc.get("features", [])
    fields = {k for f in feats for k in (f.get("properties") or {})}
    for k in sorted(fields):
        if not _IDENT.match(k):
            problems.append(f"field {k!r} is not an ASCII identifier")
        if not aliases.get(k) or (aliases[k] == k and "_" in k):
            problems.append(f"field {k!r} has no readable alias")
        vals = pd.Series([(f.get("properties") or {}).get(k) for f in feats], dtype=object)
        vals = vals[vals.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))]
        problems += _number_problems(k, vals, people=k in fmt.PEOPLE_COLUMNS, coord=k in fmt.COORD_COLUMNS)
    coords: list[float] = []
    for f in feats:
        geom = f.get("geometry")
        if geom:
            coords += np.asarray(shapely.get_coordinates(shapely.geometry.shape(geom))).ravel().tolist()
    worst = max((_decimals(c) for c in coords if math.isfinite(c)), default=0)
    if worst > COORD_DECIMALS:
        problems.append(f"coordinates with {worst} decimals (at most {COORD_DECIMALS})")
    return problems


# --- the coverage page's downloads ---------------------------------------------------------------

#: (zh, en) labels of the coverage page's download buttons.
_COVERAGE_LABELS: dict[str, tuple[str, str]] = {
    "by_district": ("分区县覆盖与可达性（CSV）", "Coverage and accessibility by district (CSV)"),
    "gaps": ("缺口片区（GeoJSON）", "Gap clusters (GeoJSON)"),
    "gaps_csv": ("缺口片区（CSV）", "Gap clusters (CSV)"),
    "e2sfca": ("可达性：每个人口点（CSV）", "Accessibility per population point (CSV)"),
    "recommended": ("推荐新增科普点（GeoJSON）", "Recommended new sites (GeoJSON)"),
    "by_zone": ("按自定义分区统计（CSV）", "By your own zones (CSV)"),
}


def access_points(access: Any) -> pd.DataFrame:
    """E2SFCA per demand point, places first: district, H3 cell beside it, lon/lat, people, score."""
    pts = access.points()
    g = pts.geometry
    out = pd.DataFrame(pts.drop(columns=g.name))
    out.insert(1 if "district" in out.columns else 0, "lon", shapely.get_x(g.to_numpy()))
    out.insert(2 if "district" in out.columns else 1, "lat", shapely.get_y(g.to_numpy()))
    first = [c for c in ("district", "h3", "lon", "lat") if c in out.columns]
    return out[[*first, *[c for c in out.columns if c not in first]]]


def _named(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``district`` columns in ``lang`` (pinyin in English, as on the maps)."""
    from atlas.data.names import district_name

    if "district" not in table.columns:
        return table
    return table.assign(district=[district_name(d, lang) for d in table.district])


def people_headers(summary: Any, lang: str) -> dict[str, str]:
    """Headers of the people columns as ``summary`` words them (how people were placed)."""
    return {c: summary.demand_label(lang, column=c) for c in fmt.PEOPLE_COLUMNS}


def district_coverage_table(summary: Any, lang: str = "zh") -> pd.DataFrame:
    """Coverage by district (the briefing pack's tables) as a briefing table in ``lang``.

    Districts named in ``lang``, people headed by how they were placed, the walking budget beside.
    """
    from atlas.data.names import district_name

    by = summary.by_district(lang).assign(budget_m=summary.budget)
    by["zone"] = [district_name(z, lang) for z in by.zone]
    return briefing_table(by, lang, headers=people_headers(summary, lang))


def coverage_downloads(summary: Any, *, gaps: gpd.GeoDataFrame, access: Any, reco: gpd.GeoDataFrame,
                       by: pd.DataFrame, acc_by: pd.DataFrame, zones: pd.DataFrame | None = None,
                       lang: str = "zh", badge: str = "") -> list[Download]:
    """Every download of the coverage page, made when clicked.

    Parameters
    ----------
    summary : atlas.coverage.summary.CoverageSummary
        The coverage shown (its people headers say how people were placed).
    gaps, access, reco, by, acc_by, zones
        The gap clusters, E2SFCA result, recommended sites, coverage and E2SFCA by district,
        and the per-zone table (None until a boundary file is given).
    lang : {"zh", "en"}
        Language of headers, labels and words.
    badge : str
        The scenario's badge when the figures include hypothetical sites ("" otherwise).

    """
    from atlas.data.places import gap_table

    en = lang == "en"
    headers = people_headers(summary, lang)
    label = {k: v[en] for k, v in _COVERAGE_LABELS.items()}
    from atlas.data.names import district_name

    merged = by.merge(acc_by[["zone", "score_per_10k", "pct_no_access"]], on="zone", how="left")
    merged["zone"] = [district_name(z, lang) for z in merged.zone]
    gap_rows = pd.DataFrame(gaps.drop(columns="geometry")) if len(gaps) else pd.DataFrame(gaps)
    out = [
        Download(label["by_district"], "coverage_by_district.csv", "text/csv",
                 lambda: briefing_csv(merged, lang, headers=headers, badge=badge)),
        Download(label["gaps_csv"], "coverage_gaps.csv", "text/csv",
                 lambda: briefing_csv(gap_table(gap_rows, lang), lang, headers=headers, badge=badge)),
        Download(label["gaps"], "coverage_gaps.geojson", "application/geo+json",
                 lambda: briefing_geojson(_named(gaps, lang), lang, headers=headers, badge=badge)),
        Download(label["e2sfca"], "e2sfca_points.csv", "text/csv",
                 lambda: briefing_csv(_named(access_points(access), lang), lang, headers=headers,
                                      badge=badge)),
        Download(label["recommended"], "recommended_sites.geojson", "application/geo+json",
                 lambda: briefing_geojson(_named(reco, lang), lang, headers=headers, badge=badge)),
    ]
    if zones is not None:
        out.append(Download(label["by_zone"], "coverage_by_zone.csv", "text/csv",
                            lambda: briefing_csv(zones, lang, headers=headers, badge=badge)))
    return out


def band_shares_table(shares: pd.DataFrame, summary: Any, lang: str = "zh", *,
                      total: str | None = None) -> pd.DataFrame:
    """Figures per walking band (:func:`atlas.coverage.bands.band_shares`) as a briefing table.

    One row per band and district (then the whole city), every figure the page's band table
    shows and more (bounds, certain gaps, status, notes), people headed by how they were placed;
    ``total`` names the all-demand row (default: the whole city).
    """
    from atlas.coverage.bands import band_table

    return briefing_table(band_table(shares, lang, total=total), lang, headers=people_headers(summary, lang))


def band_shares_download(shares: pd.DataFrame, summary: Any, lang: str = "zh", *,
                         badge: str = "", total: str | None = None) -> Download:
    """The band figures as a CSV download (with the scenario's badge when it includes hypothetical sites)."""
    from atlas.i18n import t

    def make() -> bytes:
        table = band_shares_table(shares, summary, lang, total=total)
        return csv_bytes(table.assign(**{fmt.header("scenario", lang): badge}) if badge else table)

    return Download(t("bands_csv", lang), "coverage_bands.csv", "text/csv", make)


#: Columns of a service-area download (the GeoPackage keeps every column).
AREA_COLUMNS = ("site_id", "name", "minutes", "speed_kmh", "metres", "method", "area_km2", "snap_m", "flag")


def service_area_downloads(areas: gpd.GeoDataFrame, lang: str = "zh", *,
                           names: Mapping[str, str] | None = None) -> list[Download]:
    """CSV, GeoJSON and GeoPackage of service areas, one row per site and band (``minutes``).

    Sites are named in ``lang`` (``names``: site id -> name) beside their id; the band, walking
    speed and budget of each row are columns, so graduated areas read as such in every file.
    """
    import tempfile
    from pathlib import Path

    from atlas.i18n import t
    from atlas.io.export import write_geopackage

    named = areas.assign(name=[(names or {}).get(str(i), str(i)) for i in areas.site_id])
    table = gpd.GeoDataFrame(named[[c for c in AREA_COLUMNS if c in named.columns]],
                             geometry=named.geometry.to_numpy(), crs=areas.crs)

    def gpkg() -> bytes:
        with tempfile.TemporaryDirectory() as d:
            return write_geopackage({"service_areas": named}, Path(d) / "service_areas.gpkg").read_bytes()

    return [Download(t("sa_dl_csv", lang), "service_areas.csv", "text/csv",
                     lambda: briefing_csv(pd.DataFrame(table.drop(columns="geometry")), lang)),
            Download(t("sa_dl_geojson", lang), "service_areas.geojson", "application/geo+json",
                     lambda: briefing_geojson(table, lang)),
            Download(t("sa_dl_gpkg", lang), "service_areas.gpkg", "application/geopackage+sqlite3", gpkg)]


# --- the Export page's layer data ----------------------------------------------------------------

def layer_csv(gdf: gpd.GeoDataFrame, lang: str = "zh") -> bytes:
    """A layer's rows as a briefing table (positions as lon/lat; shapes are in the GeoJSON)."""
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    g = gdf.geometry
    points = g.geom_type.eq("Point").fillna(False).to_numpy()
    if points.any() and not {"lon", "lat"} <= set(table.columns):
        table["lon"] = np.where(points, shapely.get_x(g.to_numpy()), np.nan)
        table["lat"] = np.where(points, shapely.get_y(g.to_numpy()), np.nan)
    return briefing_csv(table, lang)


def layer_geojson(gdf: gpd.GeoDataFrame, lang: str = "zh") -> bytes:
    """A layer as GeoJSON with the briefing rules (:func:`briefing_geojson`)."""
    return briefing_geojson(gdf, lang)


# --- the Indicators page's recorded values ---------------------------------------------------------

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def values_table(values: pd.DataFrame, targets: pd.DataFrame, districts: pd.DataFrame,
                 lang: str = "zh") -> pd.DataFrame:
    """The current recorded values (:func:`atlas.plan.progress.export_table`) as a briefing table.

    Headers in ``lang`` (:data:`atlas.plan.progress.HEADERS`, which the import reads back in both
    languages), values to at most 2 decimals, districts named, sources and notes as written.
    """
    from atlas.plan import progress

    table = progress.export_table(values, targets, districts, lang)
    headers = {k: v[lang == "en"] for k, v in progress.HEADERS.items()}
    return briefing_table(table, lang, headers=headers, own=("source", "note", "saved_by"))


def values_downloads(values: pd.DataFrame, targets: pd.DataFrame, districts: pd.DataFrame,
                     lang: str = "zh") -> list[Download]:
    """The Indicators page's value files (CSV and XLSX of :func:`values_table`), made when clicked."""
    from atlas.i18n import t
    from atlas.plan import progress

    def table() -> pd.DataFrame:
        return values_table(values, targets, districts, lang)

    return [
        Download(t("prog_export_csv", lang), "plan_values.csv", "text/csv", lambda: csv_bytes(table())),
        Download(t("prog_export_xlsx", lang), "plan_values.xlsx", XLSX_MIME,
                 lambda: progress.to_xlsx(table())),
    ]
