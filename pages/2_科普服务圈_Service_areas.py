"""15-minute science service circles: walking service areas around 科普 sites."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import shapely
import streamlit as st

from atlas.datum import to_wgs84
from atlas.errors import AtlasError
from atlas.i18n import stage_label, t
from atlas.network import build_network, resolve_area
from atlas.service_area import METHOD_PROXY
from atlas.webmap import basemap_datum
from ui import analysis, common, mapview
from ui.cards import md_escape
from ui.tables import show_table, site_names

lang = common.page("sa_title")
layers = common.catalogue()
frames = common.layer_frames()
districts = common.districts()
basemap, tdt_key = common.basemap_picker(lang)

mode = st.radio(t("sa_area_mode", lang), ["district", "bbox", "draw"], horizontal=True, key="sa_mode",
                format_func=lambda m: t(f"sa_mode_{m}", lang))
name = st.selectbox(t("sa_area", lang), districts.name_zh.tolist(), key="sa_district",
                    format_func=lambda n: n if lang == "zh" else
                    str(districts.set_index("name_zh").loc[n, "name_en"]),
                    disabled=mode != "district")
area: object = name
if mode == "bbox":
    area = "bbox:" + st.text_input(t("sa_bbox", lang), value="121.52,29.84,121.58,29.89", key="sa_bbox")
elif mode == "draw":
    st.caption(t("sa_draw_hint", lang))
    draw_base = mapview.base(lang=lang, basemap=basemap, tianditu_key=tdt_key, draw=True)
    drawn = mapview.show(draw_base, [mapview.view_overlay(v, lang=lang) for v in mapview.catalogue_views(
        ["districts", "kepu_sites"], lang=lang, datum=basemap_datum(basemap))], key="sa_draw_map",
        height=420, lang=lang, returned_objects=["last_active_drawing"])
    shape = (drawn or {}).get("last_active_drawing")
    if shape:
        geom = shapely.geometry.shape(shape["geometry"])
        if basemap_datum(basemap) != "wgs84":  # drawn over GCJ-02 tiles: back to WGS84
            geom = shapely.transform(geom, lambda xy: np.column_stack(
                to_wgs84(xy[:, 0], xy[:, 1], datum=basemap_datum(basemap))))
        st.session_state["sa_drawn"] = geom
    area = st.session_state.get("sa_drawn")
    if area is None:
        st.info(t("sa_draw_hint", lang))
        st.stop()
try:
    label, area_geom = resolve_area(area, districts=districts)
except AtlasError as exc:
    st.error(exc.message(lang))
    st.stop()
network = common.cached_network_for(label)

st.subheader(t("sa_network_status", lang))
if network is None:
    st.warning(t("sa_no_network", lang))
else:
    st.success(f"{t('sa_network_ok', lang)}: {md_escape(network.describe(lang))}")

with st.expander(t("sa_build", lang), expanded=network is None):
    bar = st.progress(0.0)

    def report(stage: str, frac: float) -> None:
        bar.progress(min(max(frac, 0.0), 1.0), text=stage_label(stage, lang))

    def run_build(**kw: object) -> None:
        try:
            net, _path = build_network(area, progress=report, **kw)  # type: ignore[arg-type]
        except AtlasError as exc:
            st.error(exc.message(lang))
            return
        st.success(t("sa_built", lang) + md_escape(net.describe(lang)))
        st.rerun()

    path = st.text_input(t("sa_local_path", lang), key="sa_path")
    if st.button(t("sa_build_file", lang), disabled=not path):
        run_build(osm_file=Path(path).expanduser())
    upload = st.file_uploader(t("sa_upload", lang), type=["pbf", "osm", "bz2", "gz", "xml"], key="sa_upload")
    if upload is not None and st.button(t("sa_build_upload", lang), key="sa_build_upload"):
        suffix = "".join(Path(upload.name).suffixes[-2:]) or ".osm"
        with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as fh:
            fh.write(upload.getbuffer())
        run_build(osm_file=Path(fh.name))
    if st.button(t("sa_download", lang)):
        run_build(online=True)

point_layers = [lyr for lyr in layers if lyr.geometry == "point"]
chosen = st.multiselect(t("sa_layers", lang), [lyr.id for lyr in point_layers],
                        default=["kepu_sites"], key="sa_layers",
                        format_func=lambda i: next(lyr.title(lang) for lyr in point_layers if lyr.id == i))
cols = st.columns(3)
preset = cols[0].radio(t("sa_budget", lang), ["walk", "800", "1000"], horizontal=True,
                       format_func=lambda p: t("sa_walk", lang) if p == "walk" else f"{p} m")
minutes = cols[1].slider(t("sa_minutes", lang), 5, 30, 15, disabled=preset != "walk")
speed = cols[2].slider(t("sa_speed", lang), 3.0, 6.0, 4.5, 0.1, disabled=preset != "walk")

opts = {"minutes": float(minutes), "speed_kmh": float(speed)}
if preset != "walk":
    opts["metres"] = float(preset)
# computed once per area, layers, network and options, for every session (ui/analysis.py)
key = (shapely.to_wkb(area_geom), tuple(chosen), analysis.layers_token(tuple(chosen)),
       common.cached_network_record(label), analysis.options_key(opts))
areas = analysis.service_areas(*key)
if areas is None:
    st.info(t("sa_no_sites", lang))
else:
    if (areas.method == METHOD_PROXY).any():
        st.warning(t("sa_method_proxy", lang))
    flagged = areas[areas.flag != ""]
    if not flagged.empty:
        names = site_names(frames, lang)
        st.warning(t("sa_flagged", lang, m=150) + " "
                   + md_escape("、".join(names.get(i, i) for i in flagged.site_id)))

overlay = analysis.service_areas_overlay(*key, lang, basemap)
base = mapview.base(lang=lang, basemap=basemap, tianditu_key=tdt_key)
if base.error:
    st.error(base.error)
views = mapview.catalogue_views(["districts", *chosen], lang=lang, datum=basemap_datum(basemap))
overlays = [mapview.view_overlay(v, lang=lang) for v in views] + ([overlay] if overlay else [])
mapview.show(base, overlays, key="sa_map", height=600, lang=lang, fit=tuple(area_geom.bounds))
if areas is not None:
    st.subheader(t("sa_results", lang))
    show_table(areas[["site_id", "method", "metres", "area_km2", "snap_m", "flag"]], lang,
               names=site_names(frames, lang))
