"""Cell values of an imported list: numbers as planners write them, district names, districts of points."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atlas import settings


def numbers(values: pd.Series) -> np.ndarray:
    """The cells as floats (NaN where empty or not a number); see :func:`parse_numbers`."""
    return parse_numbers(values)[0]


def parse_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    r"""The cells as floats, and which cells needed more than a plain number's reading.

    Plain numbers ("121.55", "29.8°") are read directly. The others are normalised (NFKC:
    full-width digits "１２１．５５"), may use a decimal comma ("121，55", "121,55"), a hemisphere
    ("121.55E", "北纬29.87", "S 33.9" is negative) or degrees, minutes and seconds
    ("121°33'18.5"E", "29度52分30秒", "121 33 18.5", "121°33.308'"); minutes and seconds must
    be under 60. Anything else is NaN.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The floats, and a boolean mask of the cells read by the second way.

    """
    text = values.astype(str).str.strip()
    plain = pd.to_numeric(text.str.replace("°", "", regex=False).where(text != "", None),
                          errors="coerce").to_numpy(dtype=float, copy=True)
    repaired = np.zeros(len(text), bool)
    for i in np.flatnonzero(~np.isfinite(plain) & (text != "").to_numpy()):
        v = _written_number(str(text.iat[int(i)]))
        if v is not None:
            plain[i], repaired[i] = v, True
    return plain, repaired


_HEMI = {"东经": "E", "西经": "W", "北纬": "N", "南纬": "S", "东": "E", "西": "W", "北": "N", "南": "S"}
_DMS = re.compile(
    r"^([NSEW])?\s*(-?\d+(?:\.\d+)?)\s*(?:°|º|˚|度|d|:|\s)?\s*"
    r"(?:(\d+(?:\.\d+)?)\s*(?:'|′|’|分|m|:|\s)?\s*"
    r"(?:(\d+(?:\.\d+)?)\s*(?:\"|″|′′|''|”|秒|s)?)?)?\s*([NSEW])?$", re.IGNORECASE)


def _written_number(cell: str) -> float | None:
    """One cell written as a planner may write a coordinate (see :func:`parse_numbers`), or None."""
    s = unicodedata.normalize("NFKC", cell).strip()
    for word, letter in _HEMI.items():
        s = s.replace(word, f" {letter} ")
    s = s.strip()
    if re.fullmatch(r"-?\d+[,，]\d+", s):  # a decimal comma (coordinates have no thousands)
        s = re.sub("[,，]", ".", s)
    m = _DMS.match(s)
    if not m or (m.group(1) and m.group(5)):
        return None
    deg, mins, secs = (float(g) if g else 0.0 for g in m.group(2, 3, 4))
    if mins >= 60 or secs >= 60 or (m.group(3) and "." in m.group(2)) or (m.group(4) and "." in m.group(3)):
        return None  # only the last part may have decimals ("121.55 29.87" is two numbers)
    value = abs(deg) + mins / 60 + secs / 3600
    hemi = (m.group(1) or m.group(5) or "").upper()
    return -value if deg < 0 or hemi in ("S", "W") else value


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
