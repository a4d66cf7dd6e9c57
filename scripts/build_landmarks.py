"""Build geodata/osm_landmarks.csv: named OpenStreetMap schools and hospitals of Ningbo.

The atlas names coverage gaps after known places (atlas/data/places.py). The 科普画廊 rows give
街道/镇 and 社区/村 names, but their source lists no row for 奉化区 and 宁海县; named schools
and hospitals from OpenStreetMap cover every district (宁海 57 schools, 9 hospitals; 奉化 29
and 4), and their names often carry the town's (古林镇卫生院, 集士港镇广德湖小学).

Each polygon becomes one point inside it (shapely's representative point), with the district
that point lies in (geodata/districts.geojson) beside the district OpenStreetMap's extract
states (``county_osm``). Malls and commercial land (the third file of the extract) are left
out: their names ("快件投递站", shop brands) do not name a neighbourhood.

Input (build time only): ../shared/reference/osm_pois/ningbo_{school,hospital}_boundaries.geojson
(OpenStreetMap amenity=school / amenity=hospital polygons, Aug 2025, WGS84).

Usage:  python scripts/build_landmarks.py
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas import settings
from atlas.data.geodata import load_districts
from atlas.data.names import with_english_names
from atlas.data.provenance import dumps, provenance_path
from atlas.io.storage import atomic_write, atomic_write_text

SRC_DIR = settings.PROJECT_ROOT.parent / "shared" / "reference" / "osm_pois"
OUT = settings.GEODATA_DIR / "osm_landmarks.csv"

#: kind -> extract file (OSM tag).
FILES: dict[str, tuple[str, str]] = {
    "school": ("ningbo_school_boundaries.geojson", "amenity=school"),
    "hospital": ("ningbo_hospital_boundaries.geojson", "amenity=hospital"),
}
EXTRACT = ("github qingwalashi/nignbohub (crawl_ningbo.py: OSM features of Ningbo by tag, WGS84 JSON), "
           "commit 15e16dd, Aug 2025; project copy shared/reference/osm_pois")

#: A polygon's representative point lies within it; the polygon is at most this far across for
#: schools and hospitals, so the point names the place to well within the naming radius.
EST_ERROR_M = 150.0

COLUMNS = ("id", "kind", "name_zh", "name_en", "district", "county_osm", "lon", "lat", "est_error_m",
           "source")


def build(src_dir: Path = SRC_DIR) -> pd.DataFrame:
    """Read the extracts; one row per named polygon with its point and district."""
    districts = load_districts()
    parts = []
    for kind, (name, tag) in FILES.items():
        g = gpd.read_file(src_dir / name).to_crs(settings.CRS_WGS84)
        g = g[g.geometry.notna() & ~g.geometry.is_empty & g["name"].astype(str).str.strip().astype(bool)]
        pt = shapely.point_on_surface(g.geometry.to_numpy())
        parts.append(pd.DataFrame({"kind": kind, "name_zh": g["name"].astype(str).str.strip().to_numpy(),
                                   "county_osm": g["county"].astype(str).to_numpy(),
                                   "lon": shapely.get_x(pt).round(6), "lat": shapely.get_y(pt).round(6),
                                   "source": f"OpenStreetMap {tag} ({name})"}))
    df = pd.concat(parts, ignore_index=True).drop_duplicates(["kind", "name_zh", "lon", "lat"])
    pts = gpd.GeoDataFrame(df, geometry=shapely.points(df.lon, df.lat), crs=settings.CRS_WGS84)
    hit = gpd.sjoin(pts, districts[["name_zh", "geometry"]].rename(columns={"name_zh": "district"}),
                    how="left", predicate="within")
    hit = hit[~hit.index.duplicated(keep="first")]
    df["district"] = hit.district.fillna("").to_numpy()
    df = df[df.district != ""].sort_values(["district", "kind", "name_zh"], kind="stable")
    df.insert(0, "id", [f"L{i:04d}" for i in range(1, len(df) + 1)])
    df["est_error_m"] = EST_ERROR_M
    return with_english_names(df)[list(COLUMNS)].reset_index(drop=True)


def provenance(table: pd.DataFrame) -> dict[str, object]:
    """The provenance record written beside the table."""
    per = table.groupby(["district", "kind"]).size().unstack(fill_value=0)
    return {
        "title": "Named OpenStreetMap schools and hospitals of Ningbo (to name places) / 宁波 OSM 学校与医院",
        "source": f"OpenStreetMap, amenity=school and amenity=hospital polygons with a name, via {EXTRACT}",
        "date": str(date.today()),
        "licence": "© OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)",
        "attribution": "© OpenStreetMap contributors (ODbL)",
        "original_crs": "WGS84 (EPSG:4326), as extracted from OpenStreetMap",
        "conversion": "polygon -> shapely.point_on_surface (a point inside it); district = containing "
                      "division in districts.geojson (rows outside every division dropped); built by "
                      "scripts/build_landmarks.py",
        "crs": "EPSG:4326",
        "positional_error": f"{EST_ERROR_M:.0f} m (a point inside the school or hospital grounds)",
        "rows": len(table),
        "rows_by_district": [f"{d}: {int(r.get('school', 0))} schools, {int(r.get('hospital', 0))} hospitals"
                             for d, r in per.iterrows()],
        "use": "names for coverage gaps (atlas/data/places.py) where no 科普画廊 row is near, "
               "e.g. in 奉化区 and "
               "宁海县 where the gallery source has no rows; not a map layer",
        "name_en": "no English name in the source: name_zh romanised by atlas.data.romanize (pinyin for the "
                   "name, English for its kind, GB/T 16159 style)",
        "note": "Partial: only polygons mapped in OSM with a name (no museums, libraries; malls left out). "
                "county_osm is the district the extract states; district is where the point lies.",
        "built_by": "scripts/build_landmarks.py",
    }


if __name__ == "__main__":
    table = build()
    atomic_write(OUT, lambda p: table.to_csv(p, index=False, encoding="utf-8"))
    atomic_write_text(provenance_path(OUT), dumps(provenance(table)))
    mism = table[table.district != table.county_osm]
    print(f"{len(table)} landmarks; {len(mism)} lie in another district than OSM's extract states")
    print(table.groupby(["district", "kind"]).size().unstack(fill_value=0).to_string())
