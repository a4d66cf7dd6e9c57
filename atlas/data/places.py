"""Names for areas that have none (coverage gaps): the nearest known place, honestly labelled.

No 街道/township or 社区 boundaries are available offline, so an area is named after the best
named points the atlas ships, looked up **within the area's own district**, best source first:

1. **科普画廊 rows** (``geodata/kepu_galleries.csv``): each row names the 街道/镇 and the
   社区/村 hosting the gallery. An area near one reads "近 横溪镇 金峨村（最近已知社区，约 2.3 km）".
   Rows whose point lies in another district than the row states are not used (their names
   belong to the other district).
2. **OpenStreetMap schools and hospitals** (``geodata/osm_landmarks.csv``, ODbL): they cover
   every district, also 奉化区 and 宁海县 where the gallery source has no rows.
   "近 古林镇卫生院（OSM 医院，约 1.8 km）".
3. Otherwise the 街道/镇 most of its people lie nearest to (by the galleries, within
   :data:`STREET_RADIUS_M`): "北仑区 白峰镇、春晓镇一带（按最近画廊推断）", or else the part of
   the district seen from its centre: "宁海县西南部（附近无已知地名）".

A name is a pointer to where the area is, not a boundary: it always says what the named place is
and how far away it is. The 街道/镇 an area's people lie nearest to (by the galleries' street
attribute, within the same reach) are listed too (``streets``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from atlas import settings
from atlas.data.names import place_name, with_english_names
from atlas.geo.projection import MetricFrame, metric_crs_for

#: A named place farther than this from an area does not name it (m).
NAME_RADIUS_M = 3000.0

#: A cell is counted in the 街道/镇 of the nearest gallery of its district within this reach (m):
#: galleries stand at the seat of their 村/社区, a few km apart in the hills.
STREET_RADIUS_M = 6000.0

#: Kinds of named points, best first: (zh, en) words for what they are.
KINDS: dict[str, tuple[str, str]] = {
    "community": ("最近已知社区", "nearest known community"),
    "school": ("OSM 学校", "OSM school"),
    "hospital": ("OSM 医院", "OSM hospital"),
}

#: Compass words for the part of a district (zh, en), by 45° sector from the east, anticlockwise.
_PARTS = (("东", "east"), ("东北", "north-east"), ("北", "north"), ("西北", "north-west"),
          ("西", "west"), ("西南", "south-west"), ("南", "south"), ("东南", "south-east"))

#: ``name_source`` of an area named after its district's part (no place near).
DISTRICT_PART = "district_part"

#: ``name_source`` of an area named after the 街道/镇 its people lie nearest to.
STREETS = "streets"


@dataclass(frozen=True)
class Places:
    """Named points to name areas by.

    Attributes
    ----------
    table : pandas.DataFrame
        ``kind`` (a key of :data:`KINDS`), ``name_zh`` (as it is read: "横溪镇 金峨村" or
        "古林镇卫生院"), ``name_en`` (in English: "Jin'e Village, Hengxi Town", "Gulin Town
        Health Centre"), ``street`` (街道/镇, galleries only, else ""), ``district`` (where the
        point lies), ``lon``, ``lat`` (WGS84).
    district_en : dict of str to str
        English district names.

    """

    table: pd.DataFrame
    district_en: dict[str, str]

    def __post_init__(self) -> None:
        if "name_en" not in self.table.columns:  # English names from the Chinese ones
            t = self.table
            object.__setattr__(self, "table", t.assign(name_en=[
                _english(str(z), str(s)) for z, s in zip(t.name_zh, t.street, strict=True)]))


def _english(name_zh: str, street: str) -> str:
    """A place's English name: "Jin'e Village, Hengxi Town" for 横溪镇 金峨村 (street 横溪镇)."""
    community = name_zh.removeprefix(street).strip() if street else ""
    if not community:
        return place_name(name_zh, "en")
    return f"{place_name(community, 'en')}, {place_name(street, 'en')}"


def places_from_frames(galleries: pd.DataFrame, landmarks: pd.DataFrame, *,
                       district_en: dict[str, str] | None = None) -> Places:
    """Places from a gallery table (``street``, ``community``, ``flag``) and a landmark table."""
    g = galleries
    if "flag" in g.columns:
        g = g[~g.flag.fillna("").astype(str).str.contains("point_in_other_district")]
    street = g.street.fillna("").astype(str).str.strip()
    community = g.community.fillna("").astype(str).str.strip()
    lm = with_english_names(landmarks)
    rows = [pd.DataFrame({"kind": "community", "name_zh": (street + " " + community).str.strip().to_numpy(),
                          "name_en": [_english(f"{s} {c}".strip(), s)
                                      for c, s in zip(community, street, strict=True)],
                          "street": street.to_numpy(), "district": g.district.astype(str).to_numpy(),
                          "lon": g.lon.to_numpy(float), "lat": g.lat.to_numpy(float)}),
            pd.DataFrame({"kind": lm.kind.astype(str).to_numpy(),
                          "name_zh": lm.name_zh.astype(str).to_numpy(),
                          "name_en": lm.name_en.astype(str).to_numpy(), "street": "",
                          "district": lm.district.astype(str).to_numpy(),
                          "lon": lm.lon.to_numpy(float), "lat": lm.lat.to_numpy(float)})]
    table = pd.concat(rows, ignore_index=True)
    table = table[np.isfinite(table.lon) & np.isfinite(table.lat) & (table.name_zh != "")]
    return Places(table.reset_index(drop=True), dict(district_en or {}))


@functools.lru_cache(maxsize=2)
def _shipped(geodata_dir: Path) -> Places:
    # read once per process: shipped files only change with a new release of the atlas
    gal = pd.read_csv(geodata_dir / "kepu_galleries.csv", keep_default_na=False, encoding="utf-8",
                      dtype={"street": str, "community": str, "flag": str})
    gal = gal[gal.category == "kepu_gallery"]
    lm = pd.read_csv(geodata_dir / "osm_landmarks.csv", keep_default_na=False, encoding="utf-8")
    pop = pd.read_csv(geodata_dir / "population.csv", dtype=str, encoding="utf-8")
    return places_from_frames(gal, lm, district_en=dict(zip(pop.district_zh, pop.district_en, strict=True)))


def load_places(*, geodata_dir: Path | None = None) -> Places:
    """The named points the atlas ships: gallery communities, then OSM schools and hospitals."""
    return _shipped(Path(geodata_dir) if geodata_dir is not None else settings.GEODATA_DIR)


def _part(lon: float, lat: float, centre: tuple[float, float] | None) -> tuple[str, str]:
    """Compass part of a district (zh, en) the point lies in, seen from the district's centre."""
    if centre is None:
        return "", ""
    dx = (lon - centre[0]) * np.cos(np.radians(lat))
    dy = lat - centre[1]
    if np.hypot(dx, dy) < 0.01:  # within ~1 km of the centre
        return "中部", "central"
    return _PARTS[int(((np.degrees(np.arctan2(dy, dx)) + 22.5) % 360) // 45)]


class _Lookup:
    """Nearest named point of one kind in one district, with the trees built once per pair."""

    def __init__(self, places: Places, frame: MetricFrame) -> None:
        self.places, self.frame = places, frame
        self._trees: dict[tuple[str, str], tuple[pd.DataFrame, cKDTree | None]] = {}

    def pool(self, district: str, kind: str) -> tuple[pd.DataFrame, cKDTree | None]:
        key = (district, kind)
        if key not in self._trees:
            t = self.places.table
            pool = t[(t.district == district) & (t.kind == kind)].reset_index(drop=True)
            tree = None
            if len(pool):
                px, py = self.frame.to_metric(pool.lon.to_numpy(float), pool.lat.to_numpy(float))
                tree = cKDTree(np.column_stack([px, py]))
            self._trees[key] = (pool, tree)
        return self._trees[key]

    def nearest(self, xy: np.ndarray, district: str, kind: str, radius_m: float
                ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """(pool, index of the nearest row within ``radius_m`` or -1, distance) for each point."""
        pool, tree = self.pool(district, kind)
        if tree is None or len(xy) == 0:
            return pool, np.full(len(xy), -1), np.full(len(xy), np.inf)
        d, i = tree.query(xy, distance_upper_bound=radius_m)
        return pool, np.where(np.isfinite(d), i, -1), d


def _words(kind: str, name: str, km: float, lang: str) -> str:
    what = KINDS[kind][lang == "en"]
    if lang == "en":
        return f"near {name} ({what}, ~{km:.1f} km)"
    return f"近 {name}（{what}，约 {km:.1f} km）"


def streets_text(streets: str, lang: str) -> str:
    """Streets/towns joined by 、 (as :func:`name_areas` gives them) in ``lang``."""
    return place_name(streets, lang)


def name_areas(cells: pd.DataFrame, areas: np.ndarray, *, places: Places,
               centres: dict[str, tuple[float, float]] | None = None,
               radius_m: float = NAME_RADIUS_M) -> pd.DataFrame:
    """Name areas made of cells, after the nearest known place of their district.

    Parameters
    ----------
    cells : pandas.DataFrame
        One row per cell: ``cluster`` (the area it belongs to), ``district``, ``cell_lon``,
        ``cell_lat`` (WGS84 centre) and ``w`` (its people).
    areas : numpy.ndarray
        The areas (``cluster`` values) to name, in the order of the result.
    places : Places
        Named points (:func:`load_places`).
    centres : dict, optional
        District -> (lon, lat) of its centre, for the district-part fallback.
    radius_m : float
        Places farther than this from an area's anchor do not name it.

    Returns
    -------
    pandas.DataFrame
        One row per area: ``name`` (zh), ``name_en``, ``streets`` (up to three 街道/镇 its people
        lie nearest to, from galleries within ``radius_m``; "" if none), ``near_km`` (distance
        from the area's anchor to the named place; NaN for a district part) and ``name_source``
        (``community``, ``school``, ``hospital``, ``streets`` or ``district_part``). The anchor is
        the area's cell nearest to its population-weighted centre (a concave area's centre may
        lie outside it).

    """
    lon, lat = cells.cell_lon.to_numpy(float), cells.cell_lat.to_numpy(float)
    frame = MetricFrame(metric_crs_for((lon, lat)))
    x, y = frame.to_metric(lon, lat)
    c = cells.assign(x=x, y=y)
    c = c.assign(wx=c.w * c.x, wy=c.w * c.y)
    s = c.groupby("cluster")[["w", "wx", "wy"]].sum()
    c = c.assign(off=np.hypot(c.x - c.cluster.map(s.wx / s.w), c.y - c.cluster.map(s.wy / s.w)))
    anchor = c.loc[c.groupby("cluster").off.idxmin()].set_index("cluster")
    look = _Lookup(places, frame)
    streets = _streets(c, look=look, radius_m=max(radius_m, STREET_RADIUS_M))
    rows = []
    for a in areas:
        r = anchor.loc[a]
        district = str(r.district)
        row = {"name": "", "name_en": "", "streets": streets.get(a, ""), "near_km": np.nan,
               "name_source": DISTRICT_PART}
        for kind in KINDS:  # best source first; the first kind with a place in reach names it
            pool, i, d = look.nearest(np.array([[r.x, r.y]]), district, kind, radius_m)
            if i[0] >= 0:
                p, km = pool.iloc[int(i[0])], float(d[0]) / 1000.0
                row.update(name=_words(kind, p.name_zh, km, "zh"), name_en=_words(kind, p.name_en, km, "en"),
                           near_km=round(km, 1), name_source=kind)
                break
        if row["name_source"] == DISTRICT_PART and row["streets"]:
            row.update(name=f"{district} {row['streets']}一带（按最近画廊推断）",
                       name_en=f"around {streets_text(str(row['streets']), 'en')}, "
                               f"{places.district_en.get(district, district)} (by the nearest galleries)",
                       name_source=STREETS)
        if row["name_source"] == DISTRICT_PART:
            zh, en = _part(float(r.cell_lon), float(r.cell_lat), (centres or {}).get(district))
            den = places.district_en.get(district, district)
            row.update(name=f"{district}{zh}{'部' if zh and zh != '中部' else ''}（附近无已知地名）",
                       name_en=f"{en + ' ' if en else ''}{den} (no known place nearby)")
        rows.append(row)
    return pd.DataFrame(rows, columns=["name", "name_en", "streets", "near_km", "name_source"])


def _streets(cells: pd.DataFrame, *, look: _Lookup, radius_m: float, top: int = 3,
             min_share: float = 0.1) -> dict[object, str]:
    """Per area: the 街道/镇 its people lie nearest to (galleries of its district within reach)."""
    found = []
    for district, part in cells.groupby("district"):
        pool, i, _ = look.nearest(part[["x", "y"]].to_numpy(), str(district), "community", radius_m)
        ok = i >= 0
        found.append(pd.DataFrame({"cluster": part.cluster.to_numpy()[ok], "w": part.w.to_numpy()[ok],
                                   "street": pool.street.to_numpy()[i[ok]]}))
    if not found:
        return {}
    f = pd.concat(found, ignore_index=True)
    f = f[f.street != ""]
    total = cells.groupby("cluster").w.sum()
    by = f.groupby(["cluster", "street"]).w.sum().reset_index()
    by = by[by.w >= min_share * by.cluster.map(total)].sort_values(["cluster", "w"], ascending=[True, False])
    return {k: "、".join(g.street.head(top)) for k, g in by.groupby("cluster")}


#: ``name_source`` codes in words (zh, en).
SOURCE_WORDS: dict[str, tuple[str, str]] = {
    "community": ("科普画廊所在社区/村", "community of a science gallery"),
    "school": ("OSM 学校", "OSM school"),
    "hospital": ("OSM 医院", "OSM hospital"),
    STREETS: ("最近画廊所属街道/镇", "streets of the nearest galleries"),
    DISTRICT_PART: ("区县方位（附近无已知地名）", "part of the district (no known place near)"),
}


def gap_table(gaps: pd.DataFrame, lang: str = "zh", *, places: Places | None = None) -> pd.DataFrame:
    """Gaps as people read them: name and district in ``lang``, H3 details last.

    Where the name comes from is given in words. Feed the result to :func:`atlas.fmt.table`
    (or the app's ``show_table``).

    Parameters
    ----------
    gaps : pandas.DataFrame
        From :meth:`atlas.coverage.Coverage.gaps` (named).
    lang : {"zh", "en"}
        Language of the names and words.
    places : Places, optional
        For English district names (default: the shipped ones).

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``name``, ``district``, ``area_km2`` and ``population`` (in the gaps' order: the
        one they are ranked by first), ``streets``, ``near_km``, ``name_source``,
        ``n_cells``, ``lon``, ``lat`` (the columns present; no geometry).

    """
    en = lang == "en"
    out = pd.DataFrame(gaps).drop(columns=[c for c in ("geometry", "name_en") if c in gaps.columns])
    if en and "name_en" in gaps.columns:
        out["name"] = gaps["name_en"].to_numpy()
    if en and "district" in out.columns:
        names = (places or load_places()).district_en
        out["district"] = out.district.map(lambda d: names.get(str(d), d))
    if en and "streets" in out.columns:
        out["streets"] = out.streets.map(lambda v: streets_text(v, "en") if isinstance(v, str) else v)
    if "name_source" in out.columns:
        out["name_source"] = out.name_source.map(lambda c: SOURCE_WORDS.get(str(c), (c, c))[en])
    figures = [c for c in gaps.columns if c in ("area_km2", "population")]  # the ranking one first
    order = ["rank", "name", "district", *figures, "streets", "near_km", "name_source", "n_cells", "lon",
             "lat"]
    return out[[c for c in order if c in out.columns] + [c for c in out.columns if c not in order]]
