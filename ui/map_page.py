"""The map page's steps (pages/0_地图_Map.py): the task filter, then the map panel.

The map, its layer toggles, the search box and the feature card are one fragment
(:func:`map_panel`): a toggle, a search or a click reruns only them, and the map in the browser
keeps its base and view (see :mod:`ui.mapview`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import streamlit as st

from atlas.i18n import t
from atlas.webmap import basemap_datum
from ui import common, mapview
from ui.cards import md_escape, site_card
from ui.perf import profile_fragment
from ui.tables import show_table, unplaced_table

#: A point shown as a search hit on the map: (lat, lon, radius in px).
Mark = tuple[float, float, float]


def task_filter(lang: str) -> int | None:
    """The plan task of a ``?task=N`` link (1–24), said on the page with a way to clear it."""
    task_param = st.query_params.get("task")
    task = int(task_param) if task_param and task_param.isdigit() and 1 <= int(task_param) <= 24 else None
    if task is not None:
        tasks = common.tasks_by_number()
        c1, c2 = st.columns([5, 1])
        c1.info(t("task_filter_active", lang, n=task) + f" — {md_escape(tasks[task]['title_zh'])}")
        if c2.button(t("clear_filter", lang)):
            st.query_params.clear()
            st.rerun()
    return task


@st.fragment
@profile_fragment
def map_panel(lang: str, basemap: str, tianditu_key: str | None, task: int | None) -> None:
    """Layer toggles and district filter (sidebar), map, search and card (one fragment).

    Parameters
    ----------
    lang : {"zh", "en"}
        Page language.
    basemap : str
        The sidebar's basemap choice.
    tianditu_key : str, optional
        The Tianditu key given in the sidebar, if any.
    task : int, optional
        Show only the features of this plan task.

    """
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
        highlight = search(sites, query, names, lang)
    datum = basemap_datum(basemap)
    views = mapview.catalogue_views(visible, lang=lang, datum=datum, districts=chosen or None, task=task)
    with col_map:
        base = mapview.base(lang=lang, basemap=basemap, tianditu_key=tianditu_key)
        if base.error:
            st.error(base.error)
        marks, hit_box = search_marks(views, highlight)
        fit = hit_box if query and hit_box else mapview.extent(views) if (chosen or task) else None
        out = mapview.show(base, [mapview.view_overlay(v, lang=lang) for v in views], key="atlas_map",
                           height=560, lang=lang, fit=fit, highlight=marks,
                           notes=[t("basemap_amap", lang)] if base.used == "amap" else [],
                           returned_objects=["last_object_clicked", "last_object_clicked_tooltip"])
    clicked = mapview.clicked_feature(out, views, state_key="_map_click")
    with col_card:
        card(sites, names, clicked, highlight if query else [], visible, lang)


def search(sites: gpd.GeoDataFrame, query: str, names: dict[str, str], lang: str) -> list[str]:
    """Ids of the sites whose Chinese or English name contains ``query``; a picker among them.

    The picked hit is kept in the session (``_search_pick``) for the card.
    """
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


def search_marks(views: Sequence[mapview.LayerView], ids: list[str]
                 ) -> tuple[list[Mark], tuple[float, float, float, float] | None]:
    """Map marks for the features ``ids`` in the views, and a box around them (None if none)."""
    wanted = set(ids)
    marks = [(v.lat[i], v.lon[i], 7.0) for v in views for i, x in enumerate(v.ids) if x in wanted and v.lon]
    if not marks:
        return [], None
    lats, lons = [m[0] for m in marks], [m[1] for m in marks]
    r = 0.01
    return marks, (min(lons) - r, min(lats) - r, max(lons) + r, max(lats) + r)


def card(sites: gpd.GeoDataFrame, names: dict[str, str], clicked: tuple[str, str] | None,
         hits: list[str], visible: list[str], lang: str) -> None:
    """The feature card: of the search pick, the map click, ``?site=`` or the card's own picker.

    A new selection moves the card; otherwise the planner's pick stays. A feature of a layer that
    is not the site list (galleries, a planner's layer) gets its own card. Sites without a
    position are listed on request.
    """
    tasks = common.tasks_by_number()
    st.subheader(t("feature_card", lang))
    ids = sites.id.tolist()
    selected = st.query_params.get("site")
    if hits:
        selected = st.session_state.get("_search_pick", hits[0])
    if clicked is not None:
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
    other: Any = st.session_state.get("_other_feature")
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
