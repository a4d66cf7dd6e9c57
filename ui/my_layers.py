"""The Import page's list of the planner's saved layers, and placing their rows without a position.

A row is placed by geocoding its address (Nominatim) or by a click on a district map; either
saves a new version of the layer.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from atlas.errors import AtlasError
from atlas.i18n import counted, t
from atlas.userlayers import geocode, list_user_layers, load_user_layer, place_row, save_user_layer
from atlas.webmap import TIP_CHARS, build_map, clip_text
from ui import auth, common
from ui.cards import md_escape


def my_layers(lang: str) -> None:
    """The planner's saved layers; for a point layer with unplaced rows, ways to place them."""
    st.subheader(t("imp_my_layers", lang))
    try:
        layers = list_user_layers()
    except AtlasError as exc:
        st.error(exc.message(lang))
        layers = []
    for rec in layers:
        st.markdown(f"**{md_escape(rec['name'])}** · {counted('imp_versions', lang, len(rec['versions']))}")
    if not layers:
        return
    key = st.selectbox(t("imp_my_layers", lang), [r["key"] for r in layers], key="imp_layer_pick",
                       format_func=lambda k: next(r["name"] for r in layers if r["key"] == k))
    rec = next(r for r in layers if r["key"] == key)
    auth.layer_history(rec, lang)
    sites = load_user_layer(key)
    unplaced = sites[sites.position_status == "unplaced"]
    st.caption(f"{t('unplaced_count', lang)}: {len(unplaced)} / {len(sites)}")
    if not unplaced.empty and rec["kind"] == "point":
        place_unplaced(rec["name"], sites, unplaced, lang)


def place_unplaced(layer: str, sites: pd.DataFrame, unplaced: pd.DataFrame, lang: str) -> None:
    """Pick an unplaced row; place it by geocoding its address or by a click on the map."""
    st.subheader(t("imp_unplaced", lang))
    labels = dict(zip(unplaced.id, (clip_text(str(n), TIP_CHARS) for n in unplaced.name_zh),
                      strict=True))
    row_id = st.selectbox(t("imp_place_pick", lang), list(labels), key="imp_place_row",
                          format_func=labels.__getitem__)
    addr = str(unplaced.set_index("id").loc[row_id, "address"])
    if addr and st.button(t("imp_geocode", lang), key="imp_geocode"):
        try:
            user = auth.editor_name()
            lon, lat, err = geocode(addr)
            save_user_layer(layer, place_row(sites, row_id, lon, lat, est_error_m=err,
                                             method="geocoded:nominatim"), user=user)
            st.success(t("imp_placed", lang))
        except AtlasError as exc:
            st.error(exc.message(lang))
    click = _map_click(lang)
    if click is not None:
        lon, lat = click
        try:
            save_user_layer(layer, place_row(sites, row_id, lon, lat), user=auth.editor_name())
            st.success(t("imp_placed", lang))
            st.rerun()
        except AtlasError as exc:
            st.error(exc.message(lang))


def _map_click(lang: str) -> tuple[float, float] | None:
    """A district map without tiles; a new click on it in WGS84, or None."""
    basemap = "none"
    fmap = build_map(common.catalogue(), common.layer_frames(), lang=lang, basemap=basemap,
                     visible=["districts"])
    out = st_folium(fmap, height=450, use_container_width=True, key="imp_map",
                    returned_objects=list(common.CLICK_FIELDS))
    return common.new_click_wgs84(out, basemap=basemap, key="imp")
