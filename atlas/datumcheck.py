"""Is the datum the planner chose plausible? Evidence for any list, and honesty when there is none.

A list in GCJ-02 (AMap) declared as WGS84 lands about 500 m off in Ningbo (east-south-east);
one in BD-09 about 1 km. Nothing here converts anything: each check measures how well the
points fit some reference under each datum, and suggests another datum only when it fits
clearly better. Three references, used when available:

1. **names** — rows whose name is a shipped site with a sourced position
   (:func:`atlas.importing.suggest_datum`);
2. **streets** — the nearest walkable street of a cached walking network, for the points inside
   it (:func:`atlas.importing.suggest_datum_by_streets`): venues sit on or near streets;
3. **land and district lines** — any list: under each datum, how many points fall outside the
   city's land outline (in the sea or a neighbouring city) or just across the line of the
   district the row states. Only points near a coast or a district line can tell the datums
   apart; when there are too few of them, the check says it could not decide.

When none of them applies, the report says that no check was possible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from atlas.datum import to_wgs84
from atlas.importing.cells import district_at, numbers, stated_district
from atlas.importing.datums import references_by_name, suggest_datum, suggest_datum_by_streets
from atlas.importing.result import ImportResult

if TYPE_CHECKING:
    import geopandas as gpd

    from atlas.network import WalkNetwork

_CANDIDATES = ("wgs84", "gcj02", "bd09")
_LABELS = {"wgs84": "WGS84", "gcj02": "GCJ-02", "bd09": "BD-09", "cgcs2000": "CGCS2000"}
#: Fewest points whose position relative to a coast or district line changes with the datum
#: before the land/district check may speak.
MIN_SENSITIVE = 3


@dataclass
class DatumCheck:
    """One check's outcome: ``method`` (names, streets, land, none), a suggestion and why."""

    method: str
    suggest: str | None
    n: int
    zh: str
    en: str
    detail: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "zh") -> str:
        """The outcome in ``lang``."""
        return self.en if lang == "en" else self.zh


@dataclass
class DatumReport:
    """All checks that could be made; ``suggest`` is the first conclusive suggestion, if any."""

    chosen: str
    checks: list[DatumCheck]

    @property
    def suggest(self) -> str | None:
        """A datum that fits clearly better than the chosen one, or None."""
        return next((c.suggest for c in self.checks if c.suggest), None)

    @property
    def checked(self) -> bool:
        """Whether any check could be made at all."""
        return any(c.method != "none" for c in self.checks)


def _key(chosen: str) -> str:
    return "wgs84" if chosen == "cgcs2000" else chosen


def land_border_check(raw_lon: np.ndarray, raw_lat: np.ndarray, *, chosen: str,
                      districts: gpd.GeoDataFrame, claimed: np.ndarray | None = None,
                      outline: shapely.Geometry | None = None) -> DatumCheck:
    """Count, under each datum, the points off the land outline or across their stated district line.

    Parameters
    ----------
    raw_lon, raw_lat : numpy.ndarray
        The coordinates as written in the list.
    chosen : str
        The datum the planner chose.
    districts : geopandas.GeoDataFrame
        District polygons (WGS84) with ``name_zh``; their union is the land outline unless
        ``outline`` is given.
    claimed : numpy.ndarray of str, optional
        The district each row states ("" when none or unknown).
    outline : shapely geometry, optional
        The land outline (default: the union of ``districts``).

    """
    land = outline if outline is not None else shapely.union_all(districts.geometry.to_numpy())
    shapely.prepare(land)
    bad: dict[str, np.ndarray] = {}
    for d in _CANDIDATES:
        lon, lat = to_wgs84(raw_lon, raw_lat, datum=d)
        off_land = ~shapely.contains_xy(land, lon, lat)
        across = np.zeros(len(lon), bool)
        if claimed is not None:
            found = district_at(lon, lat, districts)
            across = (claimed != "") & (found != "") & (found != claimed)
        bad[d] = off_land | across
    stacked = np.vstack([bad[d] for d in _CANDIDATES])
    sensitive = int((stacked.any(axis=0) & ~stacked.all(axis=0)).sum())
    counts = {d: int(bad[d].sum()) for d in _CANDIDATES}
    key = _key(chosen)
    best = min(_CANDIDATES, key=lambda d: counts[d])
    detail = {"bad": counts, "sensitive": sensitive}
    n = len(raw_lon)
    if sensitive < MIN_SENSITIVE:
        return DatumCheck("land", None, n,
                          f"海岸线/区县界比对无法判断：只有 {sensitive} 个点靠近海岸或区县界",
                          f"Coast/district-line check inconclusive: only {sensitive} points lie near "
                          "a coast or a district line", detail)
    if best != key and counts[key] - counts[best] >= MIN_SENSITIVE and counts[best] <= 0.5 * counts[key]:
        return DatumCheck(
            "land", best, n,
            f"按 {_LABELS[chosen]} 有 {counts[key]} 个点落在海中、市外或所填区县之外，按 {_LABELS[best]} "
            f"只有 {counts[best]} 个：坐标系可能选错了",
            f"Under {_LABELS[chosen]}, {counts[key]} points fall in the sea, outside the city or across "
            f"their stated district line; under {_LABELS[best]} only {counts[best]}: the datum may be wrong",
            detail)
    return DatumCheck("land", None, n,
                      f"海岸线/区县界比对：所选坐标系看来合理（{sensitive} 个点可供判断）",
                      f"Coast/district-line check: the chosen datum looks right ({sensitive} points "
                      "could tell)",
                      detail)


def _median_check(method: str, s: dict[str, Any], chosen: str, what: tuple[str, str]) -> DatumCheck:
    """A names/streets check's outcome: the median under the chosen datum (and the suggested one)."""
    med, sug, key = s["median_m"], s["suggest"], _key(chosen)
    zh = f"{what[0]} {med[key]:,.0f} 米（按 {_LABELS[chosen]}）"
    en = f"{what[1]} {med[key]:,.0f} m under {_LABELS[chosen]}"
    if sug:
        zh += f"，按 {_LABELS[sug]} 为 {med[sug]:,.0f} 米"
        en += f", {med[sug]:,.0f} m under {_LABELS[sug]}"
    return DatumCheck(method, sug, s["n"], zh, en, s)


def _raw(result: ImportResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m = result.mapping
    t = result.table
    if not (m.get("lon") and m.get("lat")):
        return np.zeros(0), np.zeros(0), np.zeros(0, bool)
    lon, lat = numbers(t[m["lon"]]), numbers(t[m["lat"]])
    usable = np.isfinite(lon) & np.isfinite(lat) & (t.status != "error").to_numpy()
    return lon, lat, usable


def datum_report(result: ImportResult, *, sites: gpd.GeoDataFrame, districts: gpd.GeoDataFrame,
                 net: WalkNetwork | None = None) -> DatumReport:
    """Every datum check that applies to an import, in order of strength.

    Parameters
    ----------
    result : ImportResult
        From :func:`atlas.importing.validate` (with the planner's chosen datum).
    sites : geopandas.GeoDataFrame
        Shipped sites (references by name).
    districts : geopandas.GeoDataFrame
        District polygons (WGS84).
    net : WalkNetwork, optional
        A cached walking network; points inside its extent are compared with its streets.

    Returns
    -------
    DatumReport

    """
    chosen = result.datum
    checks: list[DatumCheck] = []
    refs = references_by_name(result, sites)
    if len(refs["raw_lon"]):
        s = suggest_datum(refs["raw_lon"], refs["raw_lat"], refs["ref_lon"], refs["ref_lat"], chosen=chosen)
        checks.append(_median_check("names", s, chosen,
                                    (f"与 {s['n']} 个同名已知地点比对：中位偏差",
                                     f"Against {s['n']} known places of the same name: median offset")))
    lon, lat, usable = _raw(result)
    if net is not None and usable.any():
        x0, x1 = float(np.min(net.lon)), float(np.max(net.lon))
        y0, y1 = float(np.min(net.lat)), float(np.max(net.lat))
        inside = usable & (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
        if inside.sum() >= MIN_SENSITIVE:
            s = suggest_datum_by_streets(lon[inside], lat[inside], net, chosen=chosen)
            checks.append(_median_check(
                "streets", s, chosen,
                (f"与路网街道比对（{s['n']} 个点）：距最近街道中位",
                 f"Against the streets of the cached network ({s['n']} points): median distance")))
    if usable.sum() >= MIN_SENSITIVE:
        claimed = None
        dcol = result.mapping.get("district")
        if dcol:
            names = districts.name_zh.tolist()
            claimed = result.table[dcol].astype(str).map(lambda s: stated_district(s, names)).to_numpy()
            claimed = np.where(claimed == "?", "", claimed)[usable]
        checks.append(land_border_check(lon[usable], lat[usable], chosen=chosen, districts=districts,
                                        claimed=claimed))
    if not checks:
        checks.append(DatumCheck("none", None, 0, "无法检查坐标系：没有可比对的坐标",
                                 "The datum could not be checked: no coordinates to compare"))
    elif all(c.method == "land" and c.suggest is None and c.detail["sensitive"] < MIN_SENSITIVE
             for c in checks):
        checks.append(DatumCheck("none", None, 0,
                                 "无法确认坐标系：没有同名已知地点、没有覆盖这些点的路网，且靠近海岸或区县界的点太少。"
                                 "请按数据来源确认（高德/腾讯为 GCJ-02，百度为 BD-09）",
                                 "The datum could not be confirmed: no known places of the same name, no "
                                 "cached network around the points, and too few points near a coast or "
                                 "district line. Check the source (AMap/Tencent: GCJ-02, Baidu: BD-09)"))
    return DatumReport(chosen=chosen, checks=checks)
