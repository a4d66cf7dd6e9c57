"""Evidence about the datum of an imported list; nothing here converts anything.

:func:`suggest_datum` and :func:`suggest_datum_by_streets` measure how well the points fit
reference positions under each datum (combined into one report by :mod:`atlas.geo.datumcheck`);
:func:`datum_from_headers` reads what the coordinate columns' names say ("百度经度", "lon_bd09").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely

from atlas.geo.datum import to_wgs84
from atlas.geo.projection import MetricFrame
from atlas.importing.cells import numbers
from atlas.importing.columns import header_tokens
from atlas.importing.result import ImportResult

if TYPE_CHECKING:
    from atlas.network import WalkNetwork

#: Median offset (m) to same-named references within which the chosen datum fits them; another
#: datum is suggested only when the chosen one is further off (and the other clearly better).
NAMES_FIT_M: float = 150.0
#: Median distance (m) to the nearest street within which the chosen datum fits the streets.
STREETS_FIT_M: float = 60.0


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
    med = {d: float(np.median(offsets_m(raw_lon, raw_lat, ref_lon, ref_lat, datum=d)))
           for d in ("wgs84", "gcj02", "bd09")}
    key = "wgs84" if chosen == "cgcs2000" else chosen
    best = min(med, key=lambda d: med[d])
    suggest = best if best != key and med[key] > NAMES_FIT_M and med[best] < 0.5 * med[key] else None
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
    suggest = best if best != key and med[key] > STREETS_FIT_M and med[best] < 0.5 * med[key] else None
    return {"median_m": med, "best": best, "suggest": suggest, "n": len(raw_lon)}


def references_by_name(result: ImportResult, sites: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """Raw coordinates of imported rows whose name matches a shipped site with a sourced position.

    Returns
    -------
    dict
        ``raw_lon``, ``raw_lat``, ``ref_lon``, ``ref_lat`` arrays, with each row's number
        (``row``, as the page shows it) and ``name`` (possibly all empty).

    """
    m = result.mapping
    empty = {k: np.zeros(0) for k in ("raw_lon", "raw_lat", "ref_lon", "ref_lat")}
    empty |= {"row": np.zeros(0, int), "name": np.zeros(0, object)}
    if not (m.get("lon") and m.get("lat") and m.get("name")):
        return empty
    ref = sites[(sites.position_status == "sourced") & sites.geometry.notna()]
    ref_by_name = {str(n): g for n, g in zip(ref.name_zh, ref.geometry, strict=True)}
    t = result.table
    names = t[m["name"]].astype(str).str.strip()
    rows = t["row"].to_numpy() if "row" in t.columns else np.arange(1, len(t) + 1)
    out: dict[str, list[Any]] = {k: [] for k in empty}
    for row, name, lo, la in zip(rows, names, numbers(t[m["lon"]]), numbers(t[m["lat"]]), strict=True):
        g = ref_by_name.get(name)
        if g is not None and np.isfinite(lo) and np.isfinite(la):
            for k, v in zip(empty, (lo, la, g.x, g.y, row, name), strict=True):
                out[k].append(v)
    return {k: np.array(v, dtype=empty[k].dtype) for k, v in out.items()}


def offsets_m(raw_lon: np.ndarray, raw_lat: np.ndarray, ref_lon: np.ndarray, ref_lat: np.ndarray, *,
              datum: str) -> np.ndarray:
    """Each point's distance (true metres) to its reference, its coordinates read in ``datum``."""
    if not len(raw_lon):
        return np.zeros(0)
    frame = MetricFrame.for_data((ref_lon, ref_lat))
    rx, ry = frame.to_metric(ref_lon, ref_lat)
    x, y = frame.to_metric(*to_wgs84(raw_lon, raw_lat, datum=datum))
    return np.hypot(np.asarray(x) - rx, np.asarray(y) - ry)


#: Words in a coordinate column's name that say which datum it is in: English words as whole
#: words ("lon_bd09", "bdLng", "gcj02_lat"; "bd09" reads as "bd" "09"), Chinese words anywhere
#: in the name ("百度经度", "经度（高德）").
DATUM_WORDS: dict[str, tuple[str, ...]] = {
    "bd09": ("bd", "baidu", "bmap", "百度"),
    "gcj02": ("gcj", "amap", "gaode", "autonavi", "tencent", "高德", "腾讯", "火星"),
    "wgs84": ("wgs", "gps", "osm"),
    "cgcs2000": ("cgcs", "tianditu", "天地图"),
}
#: Words of projected coordinates (BD-09 Mercator "bd09mc"): metres, not a datum of degrees.
_PROJECTED_WORDS = ("mc", "mercator", "墨卡托")


def _header_datums(header: str) -> set[str]:
    """The datums one column name names (none for projected coordinates)."""
    tokens = header_tokens(header, brackets=True)
    chinese = "".join(t for t in tokens if not t.isascii())

    def says(word: str) -> bool:
        return word in tokens if word.isascii() else word in chinese

    if any(says(w) for w in _PROJECTED_WORDS):
        return set()
    return {d for d, words in DATUM_WORDS.items() if any(says(w) for w in words)}


def datum_from_headers(headers: Iterable[str | None]) -> str | None:
    """The datum the coordinate columns' names point to, if they name one and do not disagree.

    A hint for the planner, who still chooses the datum: "百度经度"/"百度纬度", "lon_bd09" or
    "bd_lng" point to BD-09, "gcj02_lat" or "经度(高德)" to GCJ-02, "wgs84_lon" or "GPS经度" to
    WGS84, "天地图经度" to CGCS2000.

    Parameters
    ----------
    headers : iterable of str or None
        The names of the columns mapped to longitude and latitude (``None`` for an unmapped role).

    Returns
    -------
    str or None
        ``"wgs84"``, ``"gcj02"``, ``"bd09"`` or ``"cgcs2000"``; ``None`` when no name names a
        datum or the names name different ones.

    """
    named: set[str] = set()
    for h in headers:
        if h:
            named |= _header_datums(h)
    return named.pop() if len(named) == 1 else None
