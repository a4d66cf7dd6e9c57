"""Build geodata/sites.csv from the curated reference lists in ../shared/reference.

Inputs (read-only, build time only): sites.csv (69 candidate sites, WGS84 where positioned) and
kepu_bases.csv (19 named 科普 bases without coordinates). Output: one table the app ships,
with each site's administrative district computed from geodata/districts.geojson, its position
status (sourced / estimate / unplaced), estimated error, plan tasks and whether its membership
in the named programme is verified. Nothing is geocoded or guessed here.

Usage:  python scripts/build_sites.py
"""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas import settings
from atlas.data.names import with_english_names
from atlas.data.provenance import dumps, provenance_path
from atlas.io.storage import atomic_write, atomic_write_text

SHARED = settings.PROJECT_ROOT.parent / "shared" / "reference"

# kepu_bases.csv rows that are the same venue as a positioned row of sites.csv: their level is
# attached to that row instead of adding an unplaced duplicate (matched by name and address).
KEPU_SAME_AS = {"宁波市博物馆 (宁波博物馆)": "K02", "天一阁 (天一阁博物院)": "K04",
                "梁祝文化园蝶艺馆": "K08", "宁波科学探索中心": "K01", "中国港口博物馆": "K05"}

_UNVERIFIED_MEMBERSHIP = re.compile(
    r"MEMBERSHIP|status not verified|existence/official name NOT verified|designation level"
    r".{0,20}not verified|Not one of the plan's named|not independently verified",
    re.IGNORECASE,
)

DISTRICTS = ("海曙区", "江北区", "北仑区", "镇海区", "鄞州区", "奉化区", "象山县", "宁海县",
             "余姚市", "慈溪市")
FUNCTIONAL_ZONES = {"高新区": "宁波国家高新区", "前湾新区": "宁波前湾新区"}


def _claimed_district(text: str) -> str:
    text = str(text or "")
    hits = [d for d in DISTRICTS if d in text]
    return hits[0] if len(hits) == 1 else ""


def _zone(text: str) -> str:
    return next((v for k, v in FUNCTIONAL_ZONES.items() if k in str(text or "")), "")


def build() -> pd.DataFrame:
    s = pd.read_csv(SHARED / "sites.csv", dtype=str).fillna("")
    k = pd.read_csv(SHARED / "kepu_bases.csv", dtype=str).fillna("")

    out = pd.DataFrame({
        "id": s.id,
        "name_zh": s.name_zh,
        "name_en": s.name_en,
        "category": s.category,
        "district_claimed": s.district,
        "functional_zone": s.district.map(_zone),
        "lon": pd.to_numeric(s.lon, errors="coerce"),
        "lat": pd.to_numeric(s.lat, errors="coerce"),
        "position_method": s.crs_source,
        "est_error_m": pd.to_numeric(s.est_error_m, errors="coerce"),
        "policy_tasks": s.policy_ref.str.replace(" ", ""),
        "membership_verified": ~(s.note.str.contains(_UNVERIFIED_MEMBERSHIP)
                                 | s.category.eq("innovation_pole")),
        "level": "",
        "address": "",
        "source": s.source_url_or_ref,
        "note": s.note,
    })
    # Levels from kepu_bases for venues already positioned.
    for name, sid in KEPU_SAME_AS.items():
        row = k[k.name_zh == name]
        if len(row):
            out.loc[out.id == sid, "level"] = row.level.iloc[0]
            out.loc[out.id == sid, "address"] = row.address.iloc[0]
    extra = k[~k.name_zh.isin(list(KEPU_SAME_AS))].reset_index(drop=True)
    unplaced = pd.DataFrame({
        "id": [f"KB{i + 1:02d}" for i in range(len(extra))],
        "name_zh": extra.name_zh,
        "name_en": "",
        "category": "kepu_site",
        "district_claimed": extra.district,
        "functional_zone": extra.district.map(_zone),
        "lon": np.nan,
        "lat": np.nan,
        "position_method": "none",
        "est_error_m": np.nan,
        "policy_tasks": "23",
        "membership_verified": extra.level.str.fullmatch(r"(national|provincial|municipal)"),
        "level": extra.level,
        "address": extra.address,
        "source": extra.source_url,
        "note": extra.note,
    })
    out = pd.concat([out, unplaced], ignore_index=True)
    placed = out.lon.notna() & out.lat.notna()
    out["position_status"] = np.select(
        [~placed, out.position_method.eq("approx")], ["unplaced", "estimate"], "sourced"
    )
    # Administrative district from the shipped boundaries (the truth for filtering);
    # the claimed district is kept beside it and a mismatch is flagged, not corrected.
    districts = gpd.read_file(settings.GEODATA_DIR / "districts.geojson")
    pts = gpd.GeoDataFrame(out[placed], geometry=gpd.points_from_xy(out.lon[placed], out.lat[placed]),
                           crs=settings.CRS_WGS84)
    joined = gpd.sjoin(pts, districts[["name_zh", "geometry"]].rename(columns={"name_zh": "admin"}),
                       how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    out["district"] = out.district_claimed.map(_claimed_district)
    out.loc[joined.index, "district"] = joined["admin"].fillna("")
    claimed = out.district_claimed.map(_claimed_district)
    out["district_check"] = np.where(
        ~placed | claimed.eq(""), "n/a", np.where(claimed.eq(out.district), "ok", "mismatch")
    )
    cols = ["id", "name_zh", "name_en", "category", "district", "district_claimed",
            "district_check", "functional_zone", "lon", "lat", "position_status",
            "position_method", "est_error_m", "policy_tasks", "membership_verified", "level",
            "address", "source", "note"]
    return out[cols]


if __name__ == "__main__":
    df = with_english_names(build())  # a site with no English name gets its romanised one
    out = settings.GEODATA_DIR / "sites.csv"
    atomic_write(out, lambda p: df.to_csv(p, index=False, encoding="utf-8"))
    atomic_write_text(provenance_path(out), dumps({
        "title": "Atlas sites: ports, poles, hubs, high-tech parks, labs, universities, 科普 sites",
        "source": "curated reference lists sites.csv and kepu_bases.csv (project shared reference, "
                  "compiled from the plan, government and news pages, Wikipedia and an OSM "
                  "extract); each row names its own source in the `source` column",
        "date": str(date.today()),
        "licence": "facts compiled from public sources; rows positioned from OSM are "
                   "© OpenStreetMap contributors, ODbL",
        "original_crs": "WGS84 (rows marked gcj02-converted / bd09-converted were converted "
                        "from AMap / Baidu coordinates during curation)",
        "conversion": "none at build time; district = containing division in districts.geojson",
        "positional_error": "per row in est_error_m (100 m to 5 km); position_status says "
                            "sourced / estimate / unplaced",
        "crs": settings.CRS_WGS84,
        "built_by": "scripts/build_sites.py",
    }))
    print(df.groupby(["category", "position_status"]).size().unstack(fill_value=0))
    print("district mismatches:", (df.district_check == "mismatch").sum())
