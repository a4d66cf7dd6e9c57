"""Briefing exports for the current view: static map, interactive HTML and GIS data."""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import streamlit as st

from atlas.errors import AtlasError
from atlas.export import (
    PRESETS,
    render_static_map,
    save_html,
    write_csv,
    write_geojson,
    write_geopackage,
)
from atlas.i18n import t
from atlas.service_area import areas_for
from atlas.staticmap import map_title
from atlas.webmap import areas_group, build_map
from ui import analysis, common

lang = common.language()
st.title(t("export_title", lang))
layers = common.catalogue()
frames = common.layer_frames()
districts = common.districts()

visible = st.multiselect(t("layers", lang), [lyr.id for lyr in layers],
                         default=[lyr.id for lyr in layers if lyr.visible], key="ex_layers",
                         format_func=lambda i: next(lyr.title(lang) for lyr in layers if lyr.id == i))
chosen = st.multiselect(t("district_filter", lang), districts.name_zh.tolist(), key="ex_districts")
# empty = automatic: the title names the chosen districts, the subtitle counts what is shown
title = st.text_input(t("export_map_title", lang), value="", key="ex_title",
                      placeholder=map_title(chosen, lang), help=t("export_title_auto", lang))
subtitle = st.text_input(t("export_subtitle", lang), value="", key="ex_sub",
                         placeholder=t("export_title_auto", lang))
preset = st.selectbox(t("export_preset", lang), sorted(PRESETS), index=sorted(PRESETS).index("a4-landscape"),
                      key="ex_preset")
with_areas = st.checkbox(t("export_with_areas", lang), value=False, key="ex_areas")


def _areas(chosen: tuple[str, ...]) -> gpd.GeoDataFrame | None:
    """15-minute circles of the 科普 sites in view: on the district's cached network when one
    district with a network is chosen, else labelled straight-line proxies."""
    kepu = common.layer_frames()["kepu_sites"]
    sites = kepu[~kepu.geometry.isna()]
    if chosen:
        sites = sites[sites.district.isin(chosen)]
    if sites.empty:
        return None
    net = None
    if len(chosen) == 1:
        code = districts.set_index("name_zh").loc[chosen[0], "adcode"]
        net = common.cached_network_for(f"district:{code}")
    return areas_for(sites, network=net)
st.caption(t("export_pack_hint", lang))


def _static(kind: str, visible: tuple[str, ...], chosen: tuple[str, ...], title: str,
            subtitle: str, preset: str, lang: str, areas: bool) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        out = render_static_map(common.catalogue(), common.layer_frames(), Path(d) / f"map.{kind}",
                                title=title.strip() or None, subtitle=subtitle.strip() or None,
                                lang=lang, preset=preset,
                                visible=visible, districts=chosen or None,
                                areas=_areas(chosen) if areas else None)
        return out.read_bytes()


def _file(writer, name: str, *args) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        return writer(*args, Path(d) / name).read_bytes()


def _html(visible: tuple[str, ...], chosen: tuple[str, ...], lang: str, with_areas: bool) -> bytes:
    area_frame = _areas(chosen) if with_areas else None
    fmap = build_map(common.catalogue(), common.layer_frames(), lang=lang, basemap="none", visible=visible,
                     districts=chosen or None, layer_control=True, tasks=common.tasks_by_number(),
                     extra_groups=[areas_group(area_frame, lang=lang)] if area_frame is not None else [])
    return _file(lambda p: save_html(fmap, p), "atlas.html")


args = (tuple(visible), tuple(chosen), title, subtitle, preset, lang, with_areas)
c1, c2, c3, c4 = st.columns(4)
try:
    if c1.button(t("export_make", lang) + " PNG", key="ex_png_make"):
        st.session_state["ex_png"] = _static("png", *args)
    if "ex_png" in st.session_state:
        c1.download_button(t("export_png", lang), st.session_state["ex_png"], "atlas_map.png", "image/png")
    if c2.button(t("export_make", lang) + " PDF", key="ex_pdf_make"):
        st.session_state["ex_pdf"] = _static("pdf", *args)
    if "ex_pdf" in st.session_state:
        c2.download_button(t("export_pdf", lang), st.session_state["ex_pdf"], "atlas_map.pdf",
                           "application/pdf")
    # built only when downloaded (a callable), once per view for everyone (ui/analysis.py)
    html_key = (tuple(visible), tuple(chosen), lang, with_areas,
                analysis.layers_token(tuple(lyr.id for lyr in layers)))
    c3.download_button(t("export_html", lang), lambda: analysis.export_html(*html_key, _html),
                       "atlas_map.html", "text/html")
    tables = {k: v for k, v in analysis.layer_tables(html_key[-1]).items() if k in visible}
    if c4.button(t("export_make", lang) + " GeoPackage", key="ex_gpkg_make"):
        st.session_state["ex_gpkg"] = _file(lambda p: write_geopackage(tables, p), "atlas.gpkg")
    if "ex_gpkg" in st.session_state:
        c4.download_button(t("export_gpkg", lang), st.session_state["ex_gpkg"], "atlas.gpkg",
                           "application/geopackage+sqlite3")
except AtlasError as exc:
    st.error(exc.message(lang))

st.subheader(t("export_layer_data", lang))
for lid, gdf in tables.items():
    a, b, c = st.columns([2, 1, 1])
    a.write(f"{next(lyr.title(lang) for lyr in layers if lyr.id == lid)} ({len(gdf)})")
    b.download_button("CSV", lambda g=gdf, n=f"{lid}.csv": _file(lambda p: write_csv(g, p), n),
                      f"{lid}.csv", "text/csv", key=f"csv_{lid}")
    c.download_button("GeoJSON", lambda g=gdf, n=f"{lid}.geojson": _file(lambda p: write_geojson(g, p), n),
                      f"{lid}.geojson", "application/geo+json", key=f"gj_{lid}")
