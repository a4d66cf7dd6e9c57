"""Valid imported rows into the atlas's site schema (points, or the shapes of a geometry file)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atlas import settings
from atlas.data.geodata import SITE_COLUMNS, sites_from_frame
from atlas.importing.result import ImportResult


def shape_kinds(result: ImportResult) -> dict[str, int]:
    """Kept rows by geometry kind (``point``, ``line``, ``polygon``, ...); empty for plain tables."""
    if "geom_kind" not in result.table.columns:
        return {}
    return {str(k): int(v) for k, v in result.ok.geom_kind.value_counts().items()}


def _kept_shapes(ok: pd.DataFrame, datum: str) -> np.ndarray:
    from atlas.geo.datum import gdf_to_wgs84

    geoms = ok["_geometry"].to_numpy() if "_geometry" in ok.columns else np.array([None] * len(ok))
    keep = np.array([g is not None and not shapely.is_empty(g) for g in geoms], dtype=bool)
    keep &= ok.lon_wgs84.notna().to_numpy()  # only rows validated inside Ningbo keep a shape
    out = np.array([None] * len(ok), dtype=object)
    if keep.any():
        g = gpd.GeoDataFrame(geometry=list(geoms[keep]), crs=settings.CRS_WGS84)
        out[keep] = gdf_to_wgs84(g, datum=datum).geometry.make_valid().to_numpy()
    return out


def _errors_and_methods(ok: pd.DataFrame, *, datum: str, est_error_m: float, shapes: str
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Each kept row's error radius and position method.

    A line or polygon reduced to a point (``shapes="point"``) is as uncertain as its extent.
    """
    err = np.full(len(ok), float(est_error_m))
    method = np.full(len(ok), f"import:{datum}", dtype=object)
    if "geom_extent_m" in ok.columns and shapes == "point":
        extent = pd.to_numeric(ok.geom_extent_m, errors="coerce").to_numpy()
        shaped = np.isfinite(extent)
        err[shaped] = np.maximum(err[shaped], extent[shaped])
        method[shaped] = f"import:{datum}:representative-point"
    return err, method


def to_sites(result: ImportResult, *, layer_name: str, est_error_m: float = 50.0,
             id_prefix: str = "U", shapes: str = "point") -> gpd.GeoDataFrame:
    """Keepable rows in the atlas's site schema (placed and unplaced), ready to save.

    Parameters
    ----------
    result : ImportResult
        From :func:`validate`.
    layer_name : str
        Recorded in each row's ``source``.
    est_error_m : float
        Positional error the planner attributes to the list (default 50 m: AMap/Baidu POI
        accuracy plus the datum conversion's residual).
    id_prefix : str
        Prefix of the generated ids.
    shapes : {"point", "keep"}
        For lines and polygons from a geometry file: ``"point"`` reduces each to a
        representative point whose error radius is the shape's extent (the farthest any part
        lies from the point, at least ``est_error_m``); ``"keep"`` keeps the shapes, for an area
        or line layer (all kept shapes must then be of one kind).

    Returns
    -------
    geopandas.GeoDataFrame

    """
    ok = result.ok
    m = result.mapping

    def col(role: str) -> pd.Series:
        c = m.get(role)
        return ok[c].astype(str).str.strip() if c else pd.Series([""] * len(ok), index=ok.index)

    placed = ok.lon_wgs84.notna()
    err, method = _errors_and_methods(ok, datum=result.datum, est_error_m=est_error_m,
                                      shapes=shapes)
    df = pd.DataFrame({
        "id": [f"{id_prefix}{i + 1:05d}" for i in range(len(ok))],
        "name_zh": col("name").to_numpy(),
        "name_en": "",
        "category": ok.category_code.to_numpy(),
        "district": ok.district_found.to_numpy(),
        "district_claimed": col("district").to_numpy(),
        "district_check": np.where(ok.reasons.map(lambda r: "district_mismatch" in r), "mismatch", "ok"),
        "functional_zone": "",
        "lon": ok.lon_wgs84.to_numpy(), "lat": ok.lat_wgs84.to_numpy(),
        "position_status": np.where(placed, "sourced", "unplaced"),
        "position_method": np.where(placed, method, "none"),
        "est_error_m": np.where(placed, err, np.nan),
        "policy_tasks": np.where(ok.category_code.eq("kepu_site"), "23", ""),
        "membership_verified": False,
        "level": col("level").to_numpy(),
        "address": col("address").to_numpy(),
        "source": f"user import: {layer_name}",
        "note": "",
    })
    sites = sites_from_frame(df[list(SITE_COLUMNS)], name=layer_name)
    if shapes == "keep":
        sites = sites.set_geometry(_kept_shapes(ok, result.datum), crs=settings.CRS_WGS84)
    return sites
