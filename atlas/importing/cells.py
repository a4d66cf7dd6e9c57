"""Cell values of an imported list: numbers as planners write them, district names, districts of points."""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atlas import settings


def numbers(values: pd.Series) -> np.ndarray:
    """The cells as floats (NaN where empty or not a number); "121，5" and "29.8°" are read too."""
    cleaned = values.astype(str).str.strip().str.replace("，", ".", regex=False).str.replace(
        "°", "", regex=False)
    return pd.to_numeric(cleaned.where(cleaned != "", None), errors="coerce").to_numpy(dtype=float)


def district_at(lon: np.ndarray, lat: np.ndarray, districts: gpd.GeoDataFrame) -> np.ndarray:
    """The ``name_zh`` of the district each point lies in ("" outside all, or for NaN)."""
    out = np.full(len(lon), "", dtype=object)
    ok = np.isfinite(lon) & np.isfinite(lat)
    for name, geom in zip(districts.name_zh, districts.geometry, strict=True):
        shapely.prepare(geom)
        m = ok & (out == "")
        m[m] = shapely.contains_xy(geom, lon[m], lat[m])
        out[m] = name
    return out


def stated_district(text: str, names: list[str]) -> str:
    """The district a cell names: one of ``names``, "" for an empty cell, "?" when not recognised."""
    t = str(text or "").strip()
    if not t:
        return ""
    hits = [n for n in names if n in t or n.rstrip("区县市") == t.rstrip("区县市")]
    return hits[0] if len(hits) == 1 else "?"


@lru_cache(maxsize=1)
def functional_zones() -> dict[str, tuple[str, ...]]:
    """Each name a list may use for a functional zone -> the districts hosting it.

    The zones (高新区, 杭州湾新区, 东钱湖 …) are ``geodata/functional_zones.csv``, sourced per row.
    """
    table = pd.read_csv(settings.GEODATA_DIR / "functional_zones.csv", dtype=str)
    out: dict[str, tuple[str, ...]] = {}
    for zone, aliases, hosts in zip(table.zone, table.aliases, table.host_districts, strict=True):
        for name in [zone, *str(aliases).split("|")]:
            out[name.strip()] = tuple(h.strip() for h in str(hosts).split("|"))
    return out


def zone_hosts(text: str) -> tuple[str, ...]:
    """The districts hosting the functional zone a cell names (empty when it names none)."""
    t = str(text or "").strip()
    zones = functional_zones()
    if t in zones:
        return zones[t]
    hits = {zones[z] for z in zones if len(z) >= 3 and z in t}
    return hits.pop() if len(hits) == 1 else ()
