"""Ningbo Innovation Atlas: the map page (browse every layer, search, feature cards).

The map, its layer toggles, the search box and the card are one fragment: a toggle, a search or
a click reruns only them, and the map in the browser keeps its base and view (see ui/mapview).
"""

from __future__ import annotations

import streamlit as st

from atlas.i18n import t
from atlas.webmap import basemap_datum
from ui import common, mapview
from ui.cards import md_escape, site_card
from ui.perf import profile_fragment
from ui.tables import show_table, unplaced_table

lang = common.language()
basemap, tdt_key = common.basemap_picker(lang)
st.title(t("app_title", lang))
st.caption(t("app_subtitle", lang))

task_param = st.query_params.get("task")
task = int(task_param) if task_param and task_param.isdigit() and 1 <= int(task_param) <= 24 else None
if task is not None:
    tasks = common.tasks_by_number()
    c1, c2 = st.columns([5, 1])
    c1.info(t("task_filter_active", lang, n=task) + f" — {md_escape(tasks[task]['title_zh'])}")
    if c2.button(t("clear_filter", lang)):
        st.query_params.clear()
        st.rerun()


@st.fragment
@profile_fragment
def map_panel() -> None:
    """Layer toggles and district filter (sidebar), map, search and card."""
    layers = common.catalogue()
    sites = common.sites()
    names = dict(zip(sites.id, sites.name_zh, strict=True))
    with st.sidebar:
        st.subheader(t("layers", lang))
        visible = [lyr.id for lyr in layers
                   if st.checkbox(lyr.title(lang), value=lyr.visible, key=f"show_{lyr.id}")]
        chosen = st.multiselect(t("district_filter", lang), common.districts().name_zh.tolist(),
                                key="district_filter")
    col_map, col_card = st.columns([3, 2], gap="small")
    with col_card:
        query = st.text_input(t("search", lang), key="search").strip()
        highlight = _search(sites, query, names)
    datum = basemap_datum(basemap)
    views = mapview.catalogue_views(visible, lang=lang, datum=datum, districts=chosen or None, task=task)
    with col_map:
        base = mapview.base(lang=lang, basemap=basemap, tianditu_key=tdt_key)
        if base.error:
            st.error(base.error)
        marks, hit_box = _marks(views, highlight)
        fit = hit_box if query and hit_box else mapview.extent(views) if (chosen or task) else None
        out = mapview.show(base, [mapview.view_overlay(v, lang=lang) for v in views], key="atlas_map",
                           height=560, lang=lang, fit=fit, highlight=marks,
                           notes=[t("basemap_amap", lang)] if base.used == "amap" else [],
                           returned_objects=["last_object_clicked", "last_object_clicked_tooltip"])
    clicked = mapview.clicked_feature(out, views, state_key="_map_click")
    with col_card:
        _card(sites, names, clicked, highlight if query else [], visible)


def _search(sites, query: str, names: dict[str, str]) -> list[str]:
    if not query:
        return []
    q = query.lower()
    hits = sites[sites.name_zh.str.lower().str.contains(q, regex=False)
                 | sites.name_en.str.lower().str.contains(q, regex=False)]
    if hits.empty:
        st.warning(t("search_none", lang))
        return []
    ids = hits.id.tolist()
    pick = st.selectbox(t("search_pick", lang), ids, key="search_pick", format_func=names.__getitem__)
    st.session_state["_search_pick"] = pick
    return ids


def _marks(views, ids: list[str]) -> tuple[list[tuple[float, float, float]], tuple | None]:
    wanted = set(ids)
    marks = [(v.lat[i], v.lon[i], 7.0) for v in views for i, x in enumerate(v.ids) if x in wanted and v.lon]
    if not marks:
        return [], None
    lats, lons = [m[0] for m in marks], [m[1] for m in marks]
    r = 0.01
    return marks, (min(lons) - r, min(lats) - r, max(lons) + r, max(lats) + r)


def _card(sites, names: dict[str, str], clicked, hits: list[str], visible: list[str]) -> None:
    tasks = common.tasks_by_number()
    st.subheader(t("feature_card", lang))
    ids = sites.id.tolist()
    # A new selection (search pick, map click, ?site=) moves the card; otherwise the user's pick stays.
    selected = st.query_params.get("site")
    if hits:
        selected = st.session_state.get("_search_pick", hits[0])
    if clicked is not None:
        # a feature of a layer that is not the site list (galleries, a planner's layer) has its own card
        site_layers = {x.id for x in common.shipped_catalogue() if x.source == "sites.csv"}
        other = clicked[0] not in site_layers
        selected = None if other else clicked[1]
        st.session_state["_other_feature"] = clicked if other else None
    elif hits:
        st.session_state["_other_feature"] = None
    if selected in ids and selected != st.session_state.get("_last_selected"):
        st.session_state["card_pick"] = selected
    st.session_state["_last_selected"] = selected
    pick = st.selectbox(t("pick_feature", lang), ["", *ids], key="card_pick",
                        format_func=lambda i: "—" if not i else names[i])
    if pick != st.session_state.get("_last_pick") and clicked is None:  # chosen from the list
        st.session_state["_other_feature"] = None
    st.session_state["_last_pick"] = pick
    other = st.session_state.get("_other_feature")
    if other:
        mapview.feature_card(*other, lang=lang)
    elif pick:
        row = sites.loc[sites.id == pick].iloc[0]
        site_card(row.to_dict() | {"id": pick}, tasks, lang)
    if "innovation_poles" in visible:
        st.caption("ℹ️ " + t("poles_unverified", lang))
    unplaced = sites[sites.geometry.isna()]
    # the table only when asked for: a data grid is the heaviest thing a first view would load
    if st.toggle(f"{t('unplaced_count', lang)}: {len(unplaced)}", key="show_unplaced"):
        show_table(unplaced_table(unplaced, lang), lang)


map_panel()
