"""Import planners' own lists (any Chinese datum), check them row by row, keep the good rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st
from streamlit_folium import st_folium

from atlas.errors import AtlasError
from atlas.export import neutralise_formulas
from atlas.geodata import CATEGORIES
from atlas.i18n import t
from atlas.importing import (
    ROLES,
    guess_columns,
    read_table,
    reason_text,
    references_by_name,
    suggest_datum,
    to_sites,
    validate,
)
from atlas.userlayers import (
    geocode,
    list_user_layers,
    load_user_layer,
    place_row,
    save_user_layer,
    venues_from_osm_file,
    venues_to_sites,
)
from atlas.webmap import build_map
from ui import common
from ui.cards import md_escape

lang = common.language()
st.title(t("imp_title", lang))
districts = common.districts()
DATUM_LABELS = {"wgs84": "WGS84 (GPS/OSM)", "gcj02": "GCJ-02 (高德/腾讯 AMap)",
                "bd09": "BD-09 (百度 Baidu)", "cgcs2000": "CGCS2000 (天地图)"}

up = st.file_uploader(t("imp_upload", lang), type=["csv", "txt", "xlsx", "geojson", "json", "gpkg"],
                      key="imp_file")
if up is not None:
    try:
        df = read_table(up.getvalue(), up.name)
    except AtlasError as exc:
        st.error(exc.message(lang))
        st.stop()
    st.caption(f"{len(df):,} rows · {md_escape(up.name)}")
    guess = guess_columns(list(df.columns))
    st.subheader(t("imp_mapping", lang))
    cols = st.columns(len(ROLES))
    options = ["", *df.columns]
    mapping = {}
    for c, role in zip(cols, ROLES, strict=True):
        pick = c.selectbox(role, options, index=options.index(guess[role]) if guess[role] else 0,
                           key=f"imp_map_{role}", format_func=lambda o: o or t("imp_none", lang))
        mapping[role] = pick or None
    a, b, c = st.columns(3)
    datum = a.radio(t("imp_datum", lang), list(DATUM_LABELS), index=None, key="imp_datum",
                    format_func=DATUM_LABELS.__getitem__)
    default_cat = b.selectbox(t("imp_default_cat", lang), list(CATEGORIES),
                              index=list(CATEGORIES).index("kepu_site"),
                              format_func=lambda k: CATEGORIES[k][lang == "en"], key="imp_cat")
    err_m = c.number_input(t("imp_error_m", lang), 1.0, 5000.0, 50.0, key="imp_err")
    if datum is None:
        st.info(t("imp_datum", lang))
        st.stop()
    try:
        result = validate(df, mapping, datum=datum, districts=districts, default_category=default_cat)
    except AtlasError as exc:
        st.error(exc.message(lang))
        st.stop()
    st.subheader(t("imp_check", lang))
    counts = result.counts()
    m1, m2, m3 = st.columns(3)
    m1.metric("ok", counts.get("ok", 0))
    m2.metric("unplaced", counts.get("unplaced", 0))
    m3.metric("error", counts.get("error", 0))
    refs = references_by_name(result, common.sites())
    if len(refs["raw_lon"]):
        s = suggest_datum(refs["raw_lon"], refs["raw_lat"], refs["ref_lon"], refs["ref_lat"], chosen=datum)
        key = "wgs84" if datum == "cgcs2000" else datum
        if s["suggest"]:
            st.warning(t("imp_suggest", lang, chosen=DATUM_LABELS[datum], best=DATUM_LABELS[s["best"]],
                         m_chosen=s["median_m"][key], m_best=s["median_m"][s["best"]]))
        else:
            st.success(t("imp_datum_ok", lang, m=s["median_m"][key], n=s["n"]))
    view = result.table.assign(reasons=result.table.reasons.map(
        lambda rs: "; ".join(reason_text(r, lang) for r in rs)))
    st.dataframe(view, hide_index=True, width="stretch", key="imp_rows")
    report = neutralise_formulas(result.error_report(lang))
    st.download_button(t("imp_report", lang), report.to_csv(index=False).encode("utf-8-sig"),
                       "import_problems.csv", "text/csv")
    name = st.text_input(t("imp_layer_name", lang), value=Path(up.name).stem, key="imp_name")
    if st.button(t("imp_save", lang), key="imp_save_btn", disabled=result.ok.empty):
        try:
            saved = save_user_layer(name, to_sites(result, layer_name=name, est_error_m=err_m),
                                    note=f"{up.name}; datum {datum}")
            st.success(t("imp_saved", lang) + f"v{saved.n}")
        except AtlasError as exc:
            st.error(exc.message(lang))

st.divider()
st.subheader(t("imp_my_layers", lang))
layers = list_user_layers()
for rec in layers:
    st.markdown(f"**{md_escape(rec['name'])}** · {len(rec['versions'])} {t('imp_versions', lang)}")
if layers:
    key = st.selectbox(t("imp_my_layers", lang), [r["key"] for r in layers], key="imp_layer_pick",
                       format_func=lambda k: next(r["name"] for r in layers if r["key"] == k))
    rec = next(r for r in layers if r["key"] == key)
    sites = load_user_layer(key)
    unplaced = sites[sites.position_status == "unplaced"]
    st.caption(f"{t('unplaced_count', lang)}: {len(unplaced)} / {len(sites)}")
    if not unplaced.empty:
        st.subheader(t("imp_unplaced", lang))
        row_id = st.selectbox(t("imp_place_pick", lang), unplaced.id.tolist(), key="imp_place_row",
                              format_func=lambda i: f"{i} {unplaced.set_index('id').loc[i, 'name_zh']}")
        addr = str(unplaced.set_index("id").loc[row_id, "address"])
        if addr and st.button(t("imp_geocode", lang), key="imp_geocode"):
            try:
                lon, lat, err = geocode(addr)
                save_user_layer(rec["name"], place_row(sites, row_id, lon, lat, est_error_m=err,
                                                       method="geocoded:nominatim"))
                st.success(t("imp_placed", lang))
            except AtlasError as exc:
                st.error(exc.message(lang))
        basemap = "none"
        fmap = build_map(common.catalogue(), common.layer_frames(), lang=lang, basemap=basemap,
                         visible=["districts"])
        out = st_folium(fmap, height=450, use_container_width=True, key="imp_map",
                        returned_objects=["last_clicked"])
        click = common.new_click_wgs84(out, basemap=basemap, key="imp")
        if click is not None:
            lon, lat = click
            try:
                save_user_layer(rec["name"], place_row(sites, row_id, lon, lat))
                st.success(t("imp_placed", lang))
                st.rerun()
            except AtlasError as exc:
                st.error(exc.message(lang))

st.divider()
st.subheader(t("imp_osm", lang))
osm_path = st.text_input(t("imp_osm_path", lang), key="imp_osm_path")
if osm_path and st.button(t("imp_osm_find", lang), key="imp_osm_find"):
    try:
        st.session_state["imp_venues"] = venues_from_osm_file(Path(osm_path).expanduser())
        st.session_state["imp_venues_src"] = Path(osm_path).name
    except AtlasError as exc:
        st.error(exc.message(lang))
venues = st.session_state.get("imp_venues")
if venues is not None:
    table = venues.drop(columns="geometry").assign(keep=True)
    edited = st.data_editor(table, hide_index=True, key="imp_venue_editor", width="stretch",
                            disabled=["osm_id", "name", "kind", "lon", "lat"])
    keep = venues[np.asarray(edited["keep"], dtype=bool)]
    vname = st.text_input(t("imp_layer_name", lang), value="OSM 候选科普场所", key="imp_venue_name")
    if st.button(t("imp_osm_promote", lang), key="imp_osm_promote", disabled=keep.empty):
        try:
            saved = save_user_layer(vname, venues_to_sites(keep, source=st.session_state["imp_venues_src"]))
            st.success(t("imp_saved", lang) + f"v{saved.n}")
        except AtlasError as exc:
            st.error(exc.message(lang))
