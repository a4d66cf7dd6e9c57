"""Cell values of an imported list: numbers as planners write them, district names, districts of points."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely


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
