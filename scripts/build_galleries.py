"""Build geodata/kepu_galleries.csv: Ningbo's 1,183 community 科普画廊 through the import path.

The list is brought in exactly as a planner would bring in a Baidu list: ``atlas.importing``
reads the file, guesses its columns, validates every row with the datum stated as BD-09 and
turns the valid rows into the atlas's site schema. The script then only adds what the generic
importer does not know about this source:

* ``street`` (街道/镇) and ``community`` (社区/村 hosting the gallery), kept as published;
* the functional-zone labels 杭州湾新区 and 高新区, kept as labels (``functional_zone``) with
  the county-level division the point lies in as ``district``;
* ``flag``: rows whose point lies in another district than the row states (the importer's
  ``district_mismatch``, and for functional-zone rows a point outside the zone's parent
  divisions), and rows sharing their point (within 5 m) with another row. Flagged rows
  are kept and shown as they are; nothing is "fixed".

Input (build time only): ../shared/reference/kepu_galleries_2021_bd09.csv.

Usage:  python scripts/build_galleries.py
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas import settings
from atlas.data.geodata import load_districts, sites_from_frame
from atlas.data.names import with_english_names
from atlas.data.provenance import dumps, provenance_path
from atlas.geo.projection import MetricFrame
from atlas.importing import guess_columns, read_table, to_sites, validate
from atlas.io.storage import atomic_write, atomic_write_text

SRC = settings.PROJECT_ROOT.parent / "shared" / "reference" / "kepu_galleries_2021_bd09.csv"
OUT = settings.GEODATA_DIR / "kepu_galleries.csv"

SOURCE_REPO = "easyMan-zzy/gallery_service"
SOURCE_FILE = "src/main/resources/static/front/js/subSystemConfig/city_ningbo.js"
SOURCE_COMMIT = "dfb3ca91ccff50b8b76205d5a88728632cc46bf0"
SOURCE_DATE = "2021-06-17"

#: Functional zones the source lists apart, and the county-level divisions they lie in
#: (高新区: 新明/梅墟 streets in 鄞州区, 贵驷 in 镇海区 on the Amap boundaries).
ZONE_PARENTS: dict[str, tuple[str, ...]] = {"杭州湾新区": ("慈溪市",), "高新区": ("鄞州区", "镇海区")}

#: The hosts are mostly the 村委会/社区/街道办, not the board itself (shared README: 50-300 m).
EST_ERROR_M = 300.0

#: Two galleries of different communities closer than this share one copied coordinate.
SHARED_M = 5.0

#: Districts the source lists no row for (its city_ningbo.js marks them empty). Coverage there is
#: unknown: atlas.analysis.supply.districts_without_data reads this from the provenance record.
DISTRICTS_WITHOUT_ROWS = ("奉化区", "宁海县")


def _shared_points(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Rows whose point is within :data:`SHARED_M` of another row's (copied coordinates)."""
    x, y = MetricFrame.for_data((lon, lat)).to_metric(lon, lat)
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(r=SHARED_M, output_type="ndarray")
    out = np.zeros(len(lon), bool)
    out[pairs.ravel()] = True
    return out


def build(src: Path = SRC) -> tuple[pd.DataFrame, dict[str, int]]:
    """Import the source list; return the layer table and the import's row counts."""
    raw = read_table(src.read_bytes(), src.name)
    raw["name"] = raw.community_or_village.str.strip() + "科普画廊（" + raw.street.str.strip() + "）"
    mapping = guess_columns(list(raw.columns))
    assert mapping["lon"] == "lon_bd09" and mapping["lat"] == "lat_bd09", mapping
    result = validate(raw, mapping, datum="bd09", districts=load_districts(),
                      default_category="kepu_gallery")
    if len(result.errors):
        raise SystemExit(f"rows rejected by the importer:\n{result.error_report('en')}")
    sites = to_sites(result, layer_name="科普画廊 2021", est_error_m=EST_ERROR_M, id_prefix="G")
    ok = result.ok.reset_index(drop=True)
    claimed = ok.district.str.strip().to_numpy()
    zone = np.where(np.isin(claimed, list(ZONE_PARENTS)), claimed, "")
    found = sites.district.to_numpy()
    zone_slip = np.array([bool(z) and f not in ZONE_PARENTS[z] for z, f in zip(zone, found, strict=True)])
    mismatch = (sites.district_check == "mismatch").to_numpy() | zone_slip
    shared = _shared_points(sites.lon.to_numpy(), sites.lat.to_numpy())
    flag = np.where(mismatch, "point_in_other_district", "")
    flag = np.where(shared, np.where(flag == "", "", flag + ";") + "point_shared", flag)
    out = sites.drop(columns="geometry")
    out["functional_zone"] = zone
    out["district_check"] = np.where(mismatch, "mismatch", np.where(zone != "", "zone", "ok"))
    out["source"] = (f"宁波市科普画廊管理系统 city_ningbo.js (github {SOURCE_REPO}@{SOURCE_COMMIT[:8]}, "
                     f"{SOURCE_DATE}), BD-09")
    out["position_method"] = "import:bd09 (host 村委会/社区/街道办)"
    out["street"] = ok.street.str.strip().to_numpy()
    out["community"] = ok.community_or_village.str.strip().to_numpy()
    out["source_row"] = ok.row.to_numpy()
    out["flag"] = flag
    out["note"] = np.where(mismatch, "坐标落在所填区县之外（原始数据录入问题，未改正）/ point lies outside "
                           "the stated district (data-entry slip in the source; left as published)", "")
    out.loc[shared, "note"] = (out.loc[shared, "note"] + np.where(out.loc[shared, "note"] == "", "", " · ")
                               + f"与另一画廊坐标相同（{SHARED_M:.0f} 米内）/ same point as another gallery "
                               f"(within {SHARED_M:.0f} m)")
    out["policy_tasks"] = "23"  # plan task 23: the 15-minute science service circle
    out["membership_verified"] = True  # listed by the 科协's own gallery system
    sites_from_frame(out, name=OUT.name)  # the shipped table must load as it will be read
    return out, result.counts()


def strays(table: pd.DataFrame) -> list[str]:
    """Rows whose point lies in a district the source lists no row for (data-entry slips)."""
    s = table[table.district.isin(DISTRICTS_WITHOUT_ROWS)]
    return [f"{r.district}: source row {int(r.source_row)} ({r.street} {r.community}, listed under "
            f"{r.district_claimed})" for r in s.itertuples()]


def provenance(table: pd.DataFrame) -> dict[str, object]:
    """The provenance record written beside the table."""
    flagged = table[table.flag != ""]
    claimed = set(table.district_claimed)
    assert not claimed & set(DISTRICTS_WITHOUT_ROWS), "the source now lists rows for a 'silent' district"
    return {
        "title": "Community science galleries (科普画廊) of Ningbo, 2021 / 宁波市社区（村）科普画廊",
        "source": f"宁波市科普画廊管理系统 (sponsored by 浙江省科协/宁波市科协): github {SOURCE_REPO}, "
                  f"file {SOURCE_FILE}, commit {SOURCE_COMMIT} ({SOURCE_DATE}); rows as extracted "
                  "into the project's shared reference kepu_galleries_2021_bd09.csv",
        "source_repo": SOURCE_REPO, "source_file": SOURCE_FILE, "source_commit": SOURCE_COMMIT,
        "source_date": SOURCE_DATE,
        "date": str(date.today()),
        "licence": "none stated by the source; used as facts about public facilities, source named",
        "original_crs": "BD-09 (Baidu), as published",
        "conversion": "atlas.importing.validate(datum='bd09') -> atlas.geo.datum.to_wgs84 (BD-09 -> GCJ-02 "
                      "-> WGS84, iterative inverse to 1e-10 deg); district = containing division in "
                      "districts.geojson; built by scripts/build_galleries.py",
        "crs_history": ["BD-09 (published by the gallery system)", "WGS84 EPSG:4326 (stored)"],
        "crs": "EPSG:4326",
        "positional_error": f"{EST_ERROR_M:.0f} m per row (points are mostly the hosting "
                            "村委会/社区/街道办, not the board; source estimate 50-300 m)",
        "rows": len(table),
        "rows_flagged": len(flagged),
        "flagged_source_rows": [int(r) for r in flagged.source_row],
        "districts_without_rows": list(DISTRICTS_WITHOUT_ROWS),
        "points_in_districts_without_rows": strays(table),
        "districts_without_rows_meaning": "the source lists no gallery there: coverage there is unknown "
                                          "(shown as 'no data in source', never as 0 or as a gap); a point "
                                          "listed above is another district's row and does not count",
        "note": "奉化区 and 宁海县 have no rows in the source (marked empty there), so the layer shows "
                "no gallery there: absence of data, not of galleries. Streets follow the pre-2021 "
                "division (江东 streets under 鄞州; 新明/梅墟/贵驷 under 高新区; 杭州湾新区 listed apart). "
                "The system's own banner says 1,249 galleries open (2021-03); 1,183 have points. "
                "Flagged rows (flag column) are kept as published.",
        "name_en": "romanised from name_zh by atlas.data.romanize (pinyin for names, English for kinds)",
        "built_by": "scripts/build_galleries.py",
    }


if __name__ == "__main__":
    table, counts = build()
    table = with_english_names(table)  # pinyin names for the English UI (atlas.data.romanize)
    atomic_write(OUT, lambda p: table.to_csv(p, index=False, encoding="utf-8"))
    atomic_write_text(provenance_path(OUT), dumps(provenance(table)))
    print(f"import: {counts}; {len(table)} galleries, {int((table.flag != '').sum())} flagged")
    print(table[table.flag != ""][["source_row", "district_claimed", "district", "street", "community",
                                   "flag"]].to_string(index=False))
