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

The report's conclusion is one function of its evidence, :func:`datum_verdict`: green ("looks
right") only when some check fits the chosen datum and none contradicts it; a median offset to
same-named references beyond :data:`~atlas.importing.datums.NAMES_FIT_M`, or any such row more
than :data:`FAR_ROW_M` off, is a warning that names the rows with their distances.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from atlas.geo.datum import to_wgs84
from atlas.importing.cells import district_at, numbers, stated_district
from atlas.importing.datums import (
    NAMES_FIT_M,
    STREETS_FIT_M,
    offsets_m,
    references_by_name,
    suggest_datum,
    suggest_datum_by_streets,
)
from atlas.importing.result import ImportResult

if TYPE_CHECKING:
    import geopandas as gpd

    from atlas.network import WalkNetwork

_CANDIDATES = ("wgs84", "gcj02", "bd09")
_LABELS = {"wgs84": "WGS84", "gcj02": "GCJ-02", "bd09": "BD-09", "cgcs2000": "CGCS2000"}
#: Fewest points whose position relative to a coast or district line changes with the datum
#: before the land/district check may speak.
MIN_SENSITIVE = 3
#: A row this far (m) from its same-named reference is named in a warning even when the median fits.
FAR_ROW_M = 500.0
#: At most this many far rows are named; the rest are counted.
LISTED_ROWS = 10


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

    @property
    def verdict(self) -> Verdict:
        """The conclusion of the checks (:func:`datum_verdict`)."""
        return datum_verdict(self.chosen, self.checks)


@dataclass(frozen=True)
class Verdict:
    """What the checks conclude: ``level`` ``"ok"`` (green), ``"warn"`` or ``"unknown"``.

    ``rows`` are the rows named in a warning: (row number, name, metres to the same-named
    reference under the chosen datum), farthest first.
    """

    level: str
    zh: str
    en: str
    rows: tuple[tuple[int, str, float], ...] = ()

    def message(self, lang: str = "zh") -> str:
        """The conclusion in ``lang``."""
        return self.en if lang == "en" else self.zh


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


def names_check(refs: dict[str, np.ndarray], *, chosen: str) -> DatumCheck:
    """Against shipped sites of the same name: the medians by datum and each row's offset.

    ``refs`` is :func:`atlas.importing.references_by_name`'s answer; ``detail["rows"]`` holds
    (row number, name, metres to the reference under the chosen datum) for every matched row.
    """
    s = suggest_datum(refs["raw_lon"], refs["raw_lat"], refs["ref_lon"], refs["ref_lat"], chosen=chosen)
    off = offsets_m(refs["raw_lon"], refs["raw_lat"], refs["ref_lon"], refs["ref_lat"], datum=_key(chosen))
    s["rows"] = [(int(r), str(n), float(d)) for r, n, d in zip(refs["row"], refs["name"], off, strict=True)]
    what = (f"与 {s['n']} 个同名已知地点比对：中位偏差",
            f"Against {s['n']} known places of the same name: median offset")
    return _median_check("names", s, chosen, what)


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
        checks.append(names_check(refs, chosen=chosen))
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


def check_fit(check: DatumCheck, chosen: str) -> str:
    """Whether one check's evidence fits the chosen datum, contradicts it or cannot tell.

    The answer (``"fits"``, ``"misfit"``, ``"open"``) is read from the check's numbers alone.
    names: the median offset within ``NAMES_FIT_M`` and no row beyond ``FAR_ROW_M`` fits,
    anything else is a misfit; streets: a median within ``STREETS_FIT_M`` fits; land and
    district lines: enough points near a line and none of the other datums with fewer points
    astray fits. A check that suggests another datum is a misfit.
    """
    key, d = _key(chosen), check.detail
    if check.suggest:
        return "misfit"
    if check.method == "names":
        far = any(off > FAR_ROW_M for _r, _n, off in d.get("rows", []))
        return "misfit" if far or d["median_m"][key] > NAMES_FIT_M else "fits"
    if check.method == "streets":
        return "fits" if d["median_m"][key] <= STREETS_FIT_M else "open"
    if check.method == "land":
        bad = d["bad"]
        return "fits" if d["sensitive"] >= MIN_SENSITIVE and bad[key] <= min(bad.values()) else "open"
    return "open"


def datum_verdict(chosen: str, checks: list[DatumCheck]) -> Verdict:
    """The one conclusion of the datum checks, made from their evidence only.

    Green (``"ok"``) only when at least one check fits the chosen datum and none contradicts it
    (:func:`check_fit`). A contradiction is a warning: another datum fits clearly better, or the
    rows are too far from the known places of the same name -- then the warning names those rows
    (beyond ``NAMES_FIT_M`` when the median is, else beyond ``FAR_ROW_M``), each with its
    distance. Otherwise the datum could not be confirmed (``"unknown"``).

    Parameters
    ----------
    chosen : str
        The datum the planner chose.
    checks : list of DatumCheck
        The evidence (:func:`datum_report`).

    Returns
    -------
    Verdict

    """
    fits = [check_fit(c, chosen) for c in checks]
    if "misfit" not in fits:
        if "fits" in fits:
            return Verdict("ok", "所选坐标系看来正确：与可比对的参照相符。",
                           "The chosen datum looks right: it fits the references it could be compared with.")
        return Verdict("unknown", "无法确认坐标系，请按数据来源核对（高德/腾讯为 GCJ-02，百度为 BD-09）。",
                       "The datum could not be confirmed: check the source (AMap/Tencent: GCJ-02, Baidu: "
                       "BD-09).")
    zh, en = [], []
    if best := next((c.suggest for c in checks if c.suggest), None):
        zh.append(f"坐标系可能选错了：按 {_LABELS[best]} 处理明显更吻合。")
        en.append(f"The datum is probably wrong: {_LABELS[best]} fits clearly better.")
    names = next((c for c in checks if c.method == "names"), None)
    rows: tuple[tuple[int, str, float], ...] = ()
    if names is not None and check_fit(names, chosen) == "misfit":
        rows, z, e = _far_rows(names, chosen)
        zh.append(z)
        en.append(e)
    return Verdict("warn", "".join(zh), " ".join(en), rows)


def _far_rows(names: DatumCheck, chosen: str) -> tuple[tuple[tuple[int, str, float], ...], str, str]:
    """The rows too far from their same-named references, and the sentences that name them."""
    med = names.detail["median_m"][_key(chosen)]
    limit = NAMES_FIT_M if med > NAMES_FIT_M else FAR_ROW_M
    far = sorted((r for r in names.detail["rows"] if r[2] > limit), key=lambda r: -r[2])
    shown = far[:LISTED_ROWS]
    zh_rows = "；".join(f"第 {r} 行「{_short(n)}」{off:,.0f} 米" for r, n, off in shown)
    en_rows = "; ".join(f"row {r} “{_short(n)}” {off:,.0f} m" for r, n, off in shown)
    if len(far) > len(shown):
        zh_rows += f"；另有 {len(far) - len(shown)} 行"
        en_rows += f"; {len(far) - len(shown)} more rows"
    if med > NAMES_FIT_M:
        zh = (f"与同名已知地点的中位偏差为 {med:,.0f} 米（按 {_LABELS[chosen]}），"
              f"超过 {NAMES_FIT_M:,.0f} 米：所选坐标系未得到证实。与同名地点的距离：{zh_rows}。")
        en = (f"The median offset from known places of the same name is {med:,.0f} m under "
              f"{_LABELS[chosen]}, more than {NAMES_FIT_M:,.0f} m: the chosen datum is not confirmed. "
              f"Distance to the place of the same name: {en_rows}.")
    else:
        zh = (f"中位偏差 {med:,.0f} 米与所选坐标系相符，但 {len(far)} 行与同名已知地点相距超过 "
              f"{FAR_ROW_M:,.0f} 米，请核对：{zh_rows}。")
        en = (f"The median offset of {med:,.0f} m fits the chosen datum, but {len(far)} rows lie more than "
              f"{FAR_ROW_M:,.0f} m from the known place of the same name; please check: {en_rows}.")
    return tuple(shown), zh, en


def _short(name: str, limit: int = 30) -> str:
    """A row's name for a sentence: one line, at most ``limit`` characters."""
    flat = " ".join(name.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
