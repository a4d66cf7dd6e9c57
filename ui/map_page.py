"""The map page's steps (pages/0_地图_Map.py): the task filter, then the map panel.

The map, its layer toggles, the search box and the feature card are one fragment
(:func:`map_panel`): a toggle, a search or a click reruns only them, and the map in the browser
keeps its base and view (see :mod:`ui.mapview`).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import streamlit as st

from atlas.data.names import display_name, district_name, task_title
from atlas.geo.datum import from_wgs84
from atlas.i18n import t
from atlas.webmap import basemap_datum
from ui import common, mapview
from ui.cards import md_escape, site_card
from ui.perf import profile_fragment
from ui.tables import show_table, unplaced_table

#: A point shown as a search hit on the map: (lat, lon, radius in px).
Mark = tuple[float, float, float]
#: The map's height: the window's, less what is above the map (title, caption), so that the
#: whole map, and the whole city in its first view, is on screen at 1280x720 and larger.
MAP_HEIGHT_CSS = "max(420px, calc(100vh - 190px))"


def task_filter(lang: str) -> int | None:
    """The plan task of a ``?task=N`` link (1–24), said on the page with a way to clear it."""
    task_param = st.query_params.get("task")
    task = int(task_param) if task_param and task_param.isdigit() and 1 <= int(task_param) <= 24 else None
    if task is not None:
        tasks = common.tasks_by_number()
        c1, c2 = st.columns([5, 1])
        c1.info(t("task_filter_active", lang, n=task) + f" — {md_escape(task_title(tasks[task], lang))}")
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
    names = {r["id"]: display_name(r, lang) for r in sites[["id", "name_zh", "name_en"]].to_dict("records")}
    with st.sidebar:
        st.subheader(t("layers", lang))
        visible = [lyr.id for lyr in layers
                   if st.checkbox(lyr.title(lang), value=lyr.visible, key=f"show_{lyr.id}")]
        chosen = st.multiselect(t("district_filter", lang), common.districts().name_zh.tolist(),
                                key="district_filter", format_func=lambda n: district_name(n, lang))
    col_map, col_card = st.columns([7, 3], gap="small")
    with col_card:
        query = st.text_input(t("search", lang), key="search").strip()
        pick = search(sites, query, names, lang)
    base = mapview.base(lang=lang, basemap=basemap, tianditu_key=tianditu_key)
    datum = basemap_datum(base.used)  # the basemap drawn (a failed choice falls back to WGS84)
    views = mapview.catalogue_views(visible, lang=lang, datum=datum, districts=chosen or None, task=task)
    with col_map:
        if base.error:
            st.error(base.error)
        marks, _ = search_marks(views, selection(sites), datum=datum)  # the one selected feature
        _, pick_box = search_marks(views, ("", pick), datum=datum) if pick else ([], None)
        fit = pick_box or (mapview.extent(views, points_only=task is not None) if (chosen or task) else None)
        out = mapview.show(base, [mapview.view_overlay(v, lang=lang) for v in views], key="atlas_map",
                           height=560, fill=MAP_HEIGHT_CSS, lang=lang, fit=fit, highlight=marks,
                           notes=[t("basemap_amap", lang)] if base.used == "amap" else [],
                           returned_objects=["last_object_clicked", "last_object_clicked_tooltip"])
    clicked = mapview.clicked_feature(out, views, state_key="_map_click")
    if clicked is not None:  # the last click wins over an earlier search pick
        select(clicked)
    with col_card:
        card(sites, selection(sites), visible, chosen, lang)


def search(sites: gpd.GeoDataFrame, query: str, names: dict[str, str], lang: str) -> str | None:
    """The site picked among those whose Chinese or English name contains ``query`` (None if none).

    A new query or pick selects the picked hit (see :func:`select`); the map rings that one
    feature and zooms to it.
    """
    if not query:
        return None
    q = query.lower()
    hits = sites[sites.name_zh.str.lower().str.contains(q, regex=False)
                 | sites.name_en.str.lower().str.contains(q, regex=False)]
    if hits.empty:
        st.warning(t("search_none", lang))
        return None
    ids = hits.id.tolist()
    pick = st.selectbox(t("search_pick", lang), ids, key="search_pick", format_func=names.__getitem__)
    # a new query or a new pick selects; a rerun with the same ones (a layer toggle) does not,
    # so a later map click stays selected
    if st.session_state.get("_search_seen") != (query, pick):
        st.session_state["_search_seen"] = (query, pick)
        select(("", pick))
    return str(pick)


#: Session key of the one selected feature: ("", site id) for the site list, else (layer, id).
SELECTED = "_selected"


def select(feature: tuple[str, str]) -> None:
    """Make ``feature`` (layer id, feature id) the selected one; the card shows it."""
    st.session_state[SELECTED] = feature


def selection(sites: gpd.GeoDataFrame) -> tuple[str, str] | None:
    """The selected feature: the last search pick or map click, else a ``?site=`` link's site.

    A click on a layer drawn from the site list selects the site itself (``("", id)``).
    """
    chosen: tuple[str, str] | None = st.session_state.get(SELECTED)
    if chosen is None:
        site = st.query_params.get("site")
        return ("", site) if site in set(sites.id) else None
    layer, fid = chosen
    if layer and layer in {x.id for x in common.shipped_catalogue() if x.source == "sites.csv"}:
        return ("", fid)
    return chosen


def feature_district(sites: gpd.GeoDataFrame, feature: tuple[str, str]) -> str | None:
    """The district of a selected feature (None if its layer records none)."""
    layer, fid = feature
    frame = sites if not layer else common.layer_frames().get(layer)
    if frame is None or "district" not in frame or "id" not in frame:
        return None
    rows = frame[frame["id"].astype(str) == fid]
    return str(rows["district"].iloc[0]) if len(rows) else None


def search_marks(views: Sequence[mapview.LayerView], feature: tuple[str, str] | None, *,
                 datum: str = "wgs84") -> tuple[list[Mark], tuple[float, float, float, float] | None]:
    """Map marks for ``feature`` (layer id, feature id; ``""``: the site list) and a box around it.

    A site is marked in every site-list layer that draws it; a feature of another layer in that
    layer only. The views keep WGS84 positions; on a GCJ-02 basemap the marks are shifted like
    the overlays (``datum="gcj02"``), so a ring circles its marker.
    """
    if feature is None:
        return [], None
    layer, fid = feature
    site_layers = {x.id for x in common.shipped_catalogue() if x.source == "sites.csv"}
    layers = {layer} if layer else site_layers
    marks = [(v.lat[i], v.lon[i], 7.0) for v in views if v.layer_id in layers and v.lon
             for i, x in enumerate(v.ids) if x == fid]
    if not marks:
        return [], None
    if datum != "wgs84":
        lon, lat = from_wgs84([m[1] for m in marks], [m[0] for m in marks], datum=datum)
        marks = [(float(y), float(x), r) for x, y, (_, _, r) in zip(lon, lat, marks, strict=True)]
    lats, lons = [m[0] for m in marks], [m[1] for m in marks]
    r = 0.01
    return marks, (min(lons) - r, min(lats) - r, max(lons) + r, max(lats) + r)


def card(sites: gpd.GeoDataFrame, selected: tuple[str, str] | None, visible: list[str],
         districts: Sequence[str], lang: str) -> None:
    """The card of the selected feature (the last search pick or map click).

    A site-list feature has the full card; a feature of another layer (galleries, a planner's
    layer) its own. When the district filter hides the selected feature the card says so instead.
    Sites without a position are listed on request.
    """
    st.subheader(t("feature_card", lang))
    if selected is None:
        st.caption(t("pick_feature", lang))
    elif districts and feature_district(sites, selected) not in set(districts):
        st.info(t("selection_filtered", lang))
    elif selected[0]:
        mapview.feature_card(*selected, lang=lang)
    elif selected[1] in set(sites.id):
        row = sites.loc[sites.id == selected[1]].iloc[0]
        site_card(row.to_dict() | {"id": selected[1]}, common.tasks_by_number(), lang)
    if "innovation_poles" in visible:
        st.caption("ℹ️ " + t("poles_unverified", lang))
    unplaced = sites[sites.geometry.isna()]
    # the table only when asked for: a data grid is the heaviest thing a first view would load
    if st.toggle(f"{t('unplaced_count', lang)}: {len(unplaced)}", key="show_unplaced"):
        show_table(unplaced_table(unplaced, lang), lang)
