"""Candidate 科普 venues in OSM data (museums, libraries, science centres, ...), as site rows.

Read from a local OSM extract with pyosmium; a planner reviews the candidates before they are
promoted into a layer (:func:`venues_to_sites`). Source: © OpenStreetMap contributors (ODbL).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atlas import settings
from atlas.data.geodata import sites_from_frame
from atlas.errors import ValidationError

#: OSM tags of candidate 科普 venues.
VENUE_TAGS: dict[str, tuple[str, ...]] = {
    "tourism": ("museum", "zoo", "aquarium", "gallery"),
    "amenity": ("library", "planetarium", "arts_centre", "community_centre", "science_centre"),
    "leisure": ("garden",),
}


def _is_venue(tags: dict[str, str]) -> str:
    for k, vals in VENUE_TAGS.items():
        v = tags.get(k)
        if v in vals:
            if k == "leisure" and tags.get("garden:type") != "botanical":
                continue
            return f"{k}={v}"
    if tags.get("community_centre") == "youth_centre":
        return "community_centre=youth_centre"
    return ""


def venues_from_osm_file(path: str | Path, *, polygon: shapely.Geometry | None = None
                         ) -> gpd.GeoDataFrame:
    """Candidate 科普 venues in a local OSM file, as points (ways: their node centroid).

    Museums, libraries, science centres and planetaria, zoos, aquaria, botanical gardens, arts,
    youth and community centres.

    Returns
    -------
    geopandas.GeoDataFrame
        ``osm_id``, ``name``, ``kind``, geometry (WGS84). Source: © OpenStreetMap contributors.

    """
    import osmium

    p = Path(path)
    if not p.exists():
        raise ValidationError(f"找不到 OSM 文件：{p.name}", f"OSM file not found: {p.name}")
    rows = []
    fp = osmium.FileProcessor(str(p), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    for obj in fp.with_filter(osmium.filter.KeyFilter("tourism", "amenity", "leisure",
                                                      "community_centre")):
        tags = {t.k: t.v for t in obj.tags}
        kind = _is_venue(tags)
        if not kind:
            continue
        if isinstance(obj, osmium.osm.Node):
            if not obj.location.valid():
                continue
            x, y = obj.location.lon, obj.location.lat
            oid = f"n{obj.id}"
        elif isinstance(obj, osmium.osm.Way):
            locs = [(n.location.lon, n.location.lat) for n in obj.nodes if n.location.valid()]
            if not locs:
                continue
            x, y = np.mean(locs, axis=0)
            oid = f"w{obj.id}"
        else:
            continue
        rows.append({"osm_id": oid, "name": tags.get("name:zh", tags.get("name", "")), "kind": kind,
                     "lon": float(x), "lat": float(y)})
    df = pd.DataFrame(rows, columns=["osm_id", "name", "kind", "lon", "lat"])
    gdf = gpd.GeoDataFrame(df, geometry=shapely.points(df.lon, df.lat), crs=settings.CRS_WGS84)
    if polygon is not None and len(gdf):
        gdf = gdf[gdf.within(polygon)]
    return gdf.reset_index(drop=True)


def venues_to_sites(venues: gpd.GeoDataFrame, *, source: str) -> gpd.GeoDataFrame:
    """Promote reviewed OSM venues into site-schema rows (category 科普 candidate, task 23)."""
    from atlas.data.geodata import load_districts

    d = load_districts()
    joined = gpd.sjoin(venues, d[["name_zh", "geometry"]].rename(columns={"name_zh": "admin"}),
                       how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    df = pd.DataFrame({
        "id": [f"O{i + 1:05d}" for i in range(len(venues))],
        "name_zh": venues.name.replace("", "（无名）").to_numpy(),
        "name_en": "", "category": "kepu_site",
        "district": joined["admin"].fillna("").to_numpy(), "district_claimed": "",
        "district_check": "n/a", "functional_zone": "",
        "lon": venues.geometry.x.to_numpy(), "lat": venues.geometry.y.to_numpy(),
        "position_status": "sourced", "position_method": "osm", "est_error_m": 50.0,
        "policy_tasks": "23", "membership_verified": False, "level": "",
        "address": "",
        "source": [f"© OpenStreetMap contributors (ODbL), {source}, {o}" for o in venues.osm_id],
        "note": venues.kind.to_numpy(),
    })
    return sites_from_frame(df, name="osm venues")
