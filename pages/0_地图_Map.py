"""Ningbo Innovation Atlas: the map page (browse every layer, search, feature cards)."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_folium import st_folium

from atlas.datum import to_wgs84
from atlas.errors import AtlasError
from atlas.i18n import t
from atlas.webmap import basemap_datum, build_map
from ui import common
from ui.cards import md_escape, site_card

lang = common.language()
st.title(t("app_title", lang))
st.caption(t("app_subtitle", lang))

layers = common.catalogue()
frames = common.layer_frames()
sites = common.sites()
tasks = common.tasks_by_number()
basemap, tdt_key = common.basemap_picker(lang)

st.sidebar.subheader(t("layers", lang))
visible = [lyr.id for lyr in layers
           if st.sidebar.checkbox(lyr.title(lang), value=lyr.visible, key=f"show_{lyr.id}")]
district_names = common.districts().name_zh.tolist()
chosen_districts = st.sidebar.multiselect(t("district_filter", lang), district_names,
                                          key="district_filter")

task_param = st.query_params.get("task")
task = int(task_param) if task_param and task_param.isdigit() and 1 <= int(task_param) <= 24 else None
if task is not None:
    st.info(t("task_filter_active", lang, n=task) + f" — {md_escape(tasks[task]['title_zh'])}")
    if st.button(t("clear_filter", lang)):
        st.query_params.clear()
        st.rerun()

query = st.text_input(t("search", lang), key="search").strip()
placed = sites[~sites.geometry.isna()]
highlight: list[str] = []
selected_id = st.query_params.get("site")
if query:
    q = query.lower()
    hits = sites[sites.name_zh.str.lower().str.contains(q, regex=False)
                 | sites.name_en.str.lower().str.contains(q, regex=False)]
    if hits.empty:
        st.warning(t("search_none", lang))
    else:
        highlight = hits.id.tolist()
        selected_id = st.selectbox(
            t("pick_feature", lang), hits.id.tolist(), key="search_pick",
            format_func=lambda i: str(hits.set_index("id").loc[i, "name_zh"]),
        )

if "innovation_poles" in visible:
    st.info(t("poles_unverified", lang), icon="ℹ️")

col_map, col_card = st.columns([3, 2])
with col_map:
    try:
        fmap = build_map(layers, frames, lang=lang, basemap=basemap, tianditu_key=tdt_key,
                         visible=visible, districts=chosen_districts or None, task=task,
                         highlight_ids=highlight or ([selected_id] if selected_id else []),
                         tasks=tasks)
    except AtlasError as exc:
        st.error(exc.message(lang))
        fmap = build_map(layers, frames, lang=lang, basemap="none", visible=visible, tasks=tasks)
    out = st_folium(fmap, height=640, use_container_width=True, key="atlas_map",
                    returned_objects=["last_object_clicked"])
clicked = (out or {}).get("last_object_clicked")
if clicked and not query:
    lon, lat = float(clicked["lng"]), float(clicked["lat"])
    if basemap_datum(basemap) != "wgs84":  # overlays were shifted: shift the click back
        wl, wa = to_wgs84(lon, lat, datum=basemap_datum(basemap))
        lon, lat = float(wl), float(wa)
    d = np.hypot(placed.geometry.x - lon, (placed.geometry.y - lat))
    if len(d) and d.min() < 0.005:
        selected_id = placed.id.iloc[int(np.argmin(d.to_numpy()))]

with col_card:
    st.subheader(t("feature_card", lang))
    ids = sites.id.tolist()
    # A new selection (search, map click, ?site=) moves the card; otherwise the user's pick stays.
    if selected_id in ids and selected_id != st.session_state.get("_last_selected"):
        st.session_state["card_pick"] = selected_id
    st.session_state["_last_selected"] = selected_id
    pick = st.selectbox(t("pick_feature", lang), ["", *ids], key="card_pick",
                        format_func=lambda i: "—" if not i else
                        f"{i} {sites.set_index('id').loc[i, 'name_zh']}")
    if pick:
        site_card(sites.set_index("id").loc[pick].to_dict() | {"id": pick}, tasks, lang)
    unplaced = sites[sites.geometry.isna()]
    with st.expander(f"{t('unplaced_count', lang)}: {len(unplaced)}"):
        st.dataframe(unplaced[["id", "name_zh", "category", "district_claimed", "level", "note"]],
                     hide_index=True, width="stretch")
