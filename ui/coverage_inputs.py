"""Widgets of the coverage page that take a planner's files: population sources and zones.

Results are kept in the session per file (name, size, scope), so a rerun does not re-read an
upload. Files are read in a worker process within a time and memory budget
(:func:`atlas.guard.run_guarded`, as imports are), so a hostile file cannot hang or exhaust the
server. Errors are shown in the user's language and leave the previous state untouched.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from atlas import settings
from atlas.errors import AtlasError
from atlas.geo.datum import DATUMS, datum_label
from atlas.i18n import t

POP_SOURCES = ("area-uniform", "upload", "worldpop", "zones")


def guarded(fn: Any, /, *args: Any, step: tuple[str, str], **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` in a worker within the import budget (read at call time)."""
    from atlas.guard import run_guarded

    return run_guarded(fn, *args, time_s=settings.IMPORT_TIME_BUDGET_S,
                       memory_bytes=settings.IMPORT_MEMORY_BYTES, step=step, **kwargs)


def _memo(key: tuple[Any, ...], build: Any) -> Any:
    store = st.session_state.setdefault("_cov_memo", {})
    if key not in store:
        if len(store) > 8:
            store.clear()
        store[key] = build()
    return store[key]


def population_input(lang: str, *, districts: gpd.GeoDataFrame, population: pd.DataFrame
                     ) -> tuple[gpd.GeoDataFrame | None, pd.DataFrame | None]:
    """The population source picker; returns (demand, reconciliation) or (None, None) for area-uniform."""
    from atlas.analysis import population as popmod

    src = st.radio(t("cov_pop_source", lang), POP_SOURCES, key="cov_pop_src",
                   format_func=lambda k: t(f"pop_src_{k}", lang))
    scope = tuple(districts.name_zh)
    try:
        if src == "upload":
            f = st.file_uploader(t("pop_upload", lang), type=["tif", "tiff", "csv", "xlsx"],
                                 key="cov_pop_file")
            if f is not None:
                return _memo(("upload", f.name, f.size, scope), lambda: guarded(
                    popmod.demand_from_upload, f.getvalue(), f.name, districts=districts,
                    population=population, step=("读取人口文件", "reading the population file")))
        elif src == "worldpop":
            url = popmod.worldpop_url()
            st.caption(f"{popmod.WORLDPOP_ATTRIBUTION} · {url}")
            if st.button(t("pop_worldpop_button", lang), key="cov_worldpop"):
                bar = st.progress(0.0)
                path = popmod.download_worldpop(
                    url, progress=lambda _s, x: bar.progress(min(max(x, 0.0), 1.0)))
                st.session_state["cov_worldpop_path"] = str(path)
            path = st.session_state.get("cov_worldpop_path")
            if path:
                return _memo(("worldpop", path, scope), lambda: guarded(
                    popmod.raster_demand, path, districts=districts, population=population,
                    label="WorldPop 100 m", step=("读取 WorldPop 栅格", "reading the WorldPop raster")))
        elif src == "zones":
            return _zone_table_input(lang, districts=districts, population=population)
    except AtlasError as exc:
        st.error(exc.message(lang))
        return None, None
    if src != "area-uniform":
        st.info(t("pop_need_file", lang))
    return None, None


def _zone_table_input(lang: str, *, districts: gpd.GeoDataFrame, population: pd.DataFrame
                      ) -> tuple[gpd.GeoDataFrame | None, pd.DataFrame | None]:
    from atlas.analysis.population import zone_table_demand
    from atlas.importing import read_table

    a, b = st.columns(2)
    tf = a.file_uploader(t("pop_table_upload", lang), type=["csv", "xlsx"], key="cov_pop_table")
    zones = zones_input(lang, key="cov_pop_zones", container=b)
    if tf is None or zones is None:
        return None, None
    table = _memo(("table", tf.name, tf.size), lambda: guarded(
        read_table, tf.getvalue(), tf.name, step=("读取人口表", "reading the population table")))
    cols = list(table.columns)
    zc = a.selectbox(t("pop_zone_column", lang), cols, key="cov_pop_zc")
    pc = a.selectbox(t("pop_value_column", lang), cols, index=min(1, len(cols) - 1), key="cov_pop_pc")
    zones = zones.assign(**{zc: zones.zone}) if zc not in zones.columns else zones
    return _memo(("zone-table", tf.name, tf.size, zc, pc, tuple(zones.zone), tuple(districts.name_zh)),
                 lambda: guarded(zone_table_demand, table, zones, zone_column=zc, population_column=pc,
                                 districts=districts, population=population,
                                 step=("按分区分配人口", "placing the zone table's people")))


def zones_input(lang: str, *, key: str, container: Any = None) -> gpd.GeoDataFrame | None:
    """A boundary-file upload with its datum; returns the zones (WGS84) or None."""
    from atlas.data.zoning import read_zones

    box = container if container is not None else st
    f = box.file_uploader(t("cov_zones_upload", lang), type=["geojson", "json", "gpkg", "zip"], key=key)
    datum = box.selectbox(t("cov_zones_datum", lang), list(DATUMS), key=f"{key}_datum",
                          format_func=partial(datum_label, lang=lang))
    if f is None:
        return None
    try:
        zones: gpd.GeoDataFrame = _memo(("zones", f.name, f.size, datum),
                                        lambda: guarded(read_zones, f.getvalue(), f.name, datum=datum,
                                                        step=("读取边界文件", "reading the boundary file")))
    except AtlasError as exc:
        box.error(exc.message(lang))
        return None
    return zones
