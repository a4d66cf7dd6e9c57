"""Shared Streamlit glue: cached loaders, the language switch and basemap choice.

Loaders use ``st.cache_resource``: one copy per server, shared by every session and returned
without a copy (``st.cache_data`` would unpickle a fresh copy on every call, several times per
rerun). Callers treat the frames as read-only: filter or ``.copy()``, never assign into them.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import streamlit as st

from atlas.data.catalogue import Layer, layer_frame, load_catalogue, read_source
from atlas.data.geodata import load_districts, load_plan, load_population, load_sites
from atlas.errors import StorageError
from atlas.i18n import t
from ui import LOADING, chrome


@st.cache_resource(show_spinner=False)
def shipped_catalogue() -> list[Layer]:
    """The shipped layer catalogue, loaded once per server."""
    return load_catalogue()


def _user_signature() -> tuple[int, int]:
    """Changes whenever a user-layer version is committed to the user-data store.

    The store is asked (an SQLite query) only when its files changed on disk: several times per
    rerun this is a couple of ``stat`` calls. A PostGIS store has no file: it is asked at most
    once a second (a save in another app process shows within a second, one in this process at
    once).
    """
    from atlas import settings, store

    where = store.location()
    if store.is_database(where):
        try:
            return _db_signature(str(where))
        except StorageError:
            return (-1, -1)  # unreachable: the shipped layers only (see user_layers)
    path = store.store_path()
    stats = []
    for p in (path, path.with_name(path.name + "-wal")):
        try:
            info = p.stat()
            stats += [info.st_mtime_ns, info.st_size]
        except OSError:
            stats += [0, 0]
    return _store_signature(tuple(stats), str(settings.USER_DATA_DIR))


@functools.lru_cache(maxsize=16)
def _store_signature(stats: tuple[int, ...], folder: str) -> tuple[int, int]:
    from atlas.userlayers import user_data_signature

    return user_data_signature(folder=Path(folder))


def _database_problem() -> StorageError | None:
    """Why the store's database cannot be read now (``None``: it can, or the store is a file)."""
    from atlas import store

    where = store.location()
    if not store.is_database(where):
        return None
    try:
        _db_signature(str(where))
    except StorageError as exc:
        return exc
    return None


_DB_DOWN: dict[str, tuple[float, StorageError]] = {}  # url -> (retry after, why)


def _db_signature(url: str) -> tuple[int, int]:
    """The database store's signature, asked at most once a second.

    After a failure, asked again only after 10 s: an unreachable server does not hold every run
    for its connect timeout.
    """
    from atlas import store

    down = _DB_DOWN.get(url)
    if down is not None and down[0] > time.monotonic():
        raise down[1]
    try:
        return _database_signature(int(time.monotonic()), store.local_commits(), url)
    except StorageError as exc:
        _DB_DOWN[url] = (time.monotonic() + 10.0, exc)
        raise


@functools.lru_cache(maxsize=4)
def _database_signature(second: int, commits: int, url: str) -> tuple[int, int]:
    from atlas.userlayers import user_data_signature

    return user_data_signature(folder=url)


@st.cache_resource(show_spinner=False, max_entries=4)
def _user_layers(signature: tuple[int, int], folder: str
                 ) -> tuple[list[Layer], dict[str, gpd.GeoDataFrame]]:
    from atlas.userlayers import user_catalogue

    return user_catalogue(folder=folder)


def user_layers() -> tuple[list[Layer], dict[str, gpd.GeoDataFrame]]:
    """The planner's saved layers, re-read only when a layer version was committed.

    If the store's database cannot be reached the page still shows the shipped layers (and the
    sidebar says why, :func:`language`).
    """
    from atlas import store

    try:
        return _user_layers(_user_signature(), str(store.location()))
    except StorageError:
        if not store.is_database(store.location()):
            raise
        return [], {}  # the database is unreachable: language() says so in the sidebar


def catalogue() -> list[Layer]:
    """Shipped layers plus the planner's saved layers."""
    return [*shipped_catalogue(), *user_layers()[0]]


def layer_frames() -> dict[str, gpd.GeoDataFrame]:
    """Each layer's features: shipped and the planner's."""
    return {**shipped_frames(), **user_layers()[1]}


@st.cache_resource(show_spinner=False)
def shipped_frames() -> dict[str, gpd.GeoDataFrame]:
    """Each shipped layer's features, loaded once."""
    sources: dict[str, gpd.GeoDataFrame] = {}
    out = {}
    for lyr in shipped_catalogue():
        if lyr.source not in sources:
            sources[lyr.source] = read_source(lyr.source)
        out[lyr.id] = layer_frame(lyr, sources[lyr.source])
    return out


@st.cache_resource(show_spinner=False)
def sites() -> gpd.GeoDataFrame:
    """All shipped sites (placed and unplaced)."""
    return load_sites()


@st.cache_resource(show_spinner=False)
def districts() -> gpd.GeoDataFrame:
    """The 10 county-level divisions."""
    return load_districts()


@st.cache_resource(show_spinner=False)
def plan() -> dict[str, Any]:
    """The plan's tasks."""
    return load_plan()


@st.cache_resource(show_spinner=False)
def population() -> Any:
    """Population by district."""
    return load_population()


def tasks_by_number() -> dict[int, dict[str, Any]]:
    """Plan tasks keyed by number."""
    return {int(x["task"]): x for x in plan()["tasks"]}


#: The map page's and the indicators page's scripts (for links to them), and their addresses.
MAP_PAGE = "pages/0_地图_Map.py"
INDICATORS_PAGE = "pages/6_规划指标_Indicators.py"
_URLS = {MAP_PAGE: "/", INDICATORS_PAGE: "/indicators"}


def page_link(page: str, label: str, query: dict[str, str] | None = None) -> None:
    """A link to another page of the app that opens in the same tab.

    A page run on its own (``AppTest`` of one page) has no navigation: there the link is a
    plain Markdown link to the page's address.
    """
    from streamlit.errors import StreamlitPageNotFoundError

    try:
        st.page_link(page, label=label, query_params=query)
    except StreamlitPageNotFoundError:
        q = "?" + "&".join(f"{k}={v}" for k, v in (query or {}).items()) if query else ""
        st.markdown(f"[{label}]({_URLS.get(page, '/')}{q})")


def task_map_link(task: int, label: str) -> None:
    """A link to the map showing plan task ``task``'s features, zoomed to them, in the same tab."""
    page_link(MAP_PAGE, f"{label} →", {"task": str(task)})


def _widgets_follow_language() -> None:
    """On a language switch, hand every keyed widget its own value again.

    A widget sends the browser its chosen option as text in the page's language; after a
    switch the browser still holds the old language's text, so a keyed selectbox kept showing
    "海曙区" in English and a multiselect lost its choice (no option reads as the old text any
    more). A value set through the session state is sent again, formatted anew. Only choices
    are handed back (text, or a non-empty list of texts): buttons and uploads take no value.
    """
    for key in list(st.session_state):
        value = st.session_state.get(key)
        chosen = isinstance(value, str) or (isinstance(value, list | tuple) and len(value) > 0
                                            and all(isinstance(v, str) for v in value))
        if key != "lang_radio" and chosen:
            st.session_state[key] = value


def language() -> str:
    """Render the language switch in the sidebar and return "zh" or "en" (Chinese first)."""
    current = st.session_state.get("lang", "zh")
    choice = st.sidebar.radio(t("language"), ["中文", "English"],
                              index=0 if current == "zh" else 1, horizontal=True,
                              key="lang_radio", on_change=_widgets_follow_language)
    lang = "en" if choice == "English" else "zh"
    st.session_state["lang"] = lang
    if (problem := _database_problem()) is not None:
        st.sidebar.warning(problem.message(lang))
    with st.sidebar:
        chrome.frame(lang)
    return lang


def page(title_key: str) -> str:
    """Start a page: the language switch (sidebar), then the page's title; returns the language."""
    lang = language()
    page_title(t(title_key, lang))
    return lang


def page_title(text: str) -> None:
    """The page's title, in place of the first run's "loading…" (see streamlit_app.py)."""
    if (loading := st.session_state.pop(LOADING, None)) is not None:
        loading.empty()
    st.title(text)


#: Session key of a basemap whose tiles a map reported it could not load (see :func:`tiles_failed`).
TILES_FAILED = "_tiles_failed"


def basemap_picker(lang: str) -> tuple[str, str | None]:
    """Sidebar basemap choice; returns (basemap, tianditu key).

    The choice shows what the maps draw: after a map reported that the chosen tiles cannot load
    (offline), it reads "no tiles" and says why, until the planner chooses again.
    """
    options = ["osm", "tianditu", "amap", "none"]
    labels = {k: t(f"basemap_{k}", lang) for k in options}
    failed = st.session_state.get(TILES_FAILED)
    if failed and st.session_state.get("basemap") == failed:
        st.session_state["basemap"] = "none"
        st.session_state.pop("basemap_select", None)
    # the widget's state is dropped on pages without it; a label sent in the other language
    # (a request the browser made before a language switch's answer) is not a choice
    if st.session_state.get("basemap_select") not in options:
        st.session_state["basemap_select"] = st.session_state.get("basemap", "osm")
    bm = st.sidebar.selectbox(t("basemap", lang), options, format_func=labels.__getitem__,
                              key="basemap_select")
    if failed and bm == "none":
        st.sidebar.caption(t("basemap_fell_back", lang, name=labels[failed]))
    elif failed:  # the planner chose again
        st.session_state.pop(TILES_FAILED, None)
    st.session_state["basemap"] = bm
    key = None
    if bm == "tianditu":
        key = st.sidebar.text_input(t("tianditu_key", lang), type="password", key="tdt_key")
        if not key:
            st.sidebar.info(t("tianditu_key_missing", lang))
    return bm, key


def tiles_failed(basemap: str) -> None:
    """A map could not load ``basemap``'s tiles: the basemap choice becomes "no tiles" (app rerun)."""
    if basemap != "none":
        st.session_state[TILES_FAILED] = basemap
        st.rerun(scope="app")


@st.cache_resource(show_spinner=False, max_entries=4)
def network_at(path: str, mtime: float) -> Any:
    """A cached walking network, loaded once per file version."""
    from atlas.network import load_network

    return load_network(path)


def cached_network_record(area_label: str) -> tuple[str, float] | None:
    """(path, mtime) of the newest cached network for an area label, or None."""
    from atlas.network import find_cached_path

    p = find_cached_path(area_label)
    return (str(p), p.stat().st_mtime) if p is not None else None


def cached_network_for(area_label: str) -> Any:
    """The newest cached network for an area label, or None."""
    rec = cached_network_record(area_label)
    return network_at(*rec) if rec else None


@st.cache_resource(show_spinner=False)
def city_proxy_demand() -> gpd.GeoDataFrame:
    """Whole-city demand for the straight-line proxy mode (area-uniform per district)."""
    from atlas.analysis.demand import proxy_demand

    return proxy_demand(districts(), population())


@st.cache_resource(show_spinner=False, max_entries=4)
def network_demand(path: str, mtime: float, district: str) -> gpd.GeoDataFrame:
    """Street-based demand for a cached network, restricted to one district."""
    from atlas.analysis.demand import demand_points
    from atlas.network import load_buildings

    net = network_at(path, mtime)
    d = districts()
    return demand_points(net, d[d.name_zh == district], population(), buildings=load_buildings(path))


#: What a map sends back for a click anywhere: on its background, or on a feature. Leaflet stops
#: a click that opens a feature's popup (a district, a gap cell, a marker) from reaching the map,
#: so inside the city, where district polygons cover everything, only the second one changes.
CLICK_FIELDS = ("last_clicked", "last_object_clicked")


def new_click_wgs84(out: dict[str, Any] | None, *, basemap: str, key: str,
                    fields: tuple[str, ...] = CLICK_FIELDS) -> tuple[float, float] | None:
    """A map click not handled before, in WGS84 (shifted back from GCJ-02 over AMap tiles).

    The map must return ``fields`` (its ``returned_objects``). A click on a feature gives the
    click's position (a marker's: the marker's).
    """
    from atlas.geo.datum import to_wgs84
    from atlas.webmap import basemap_datum

    click = None
    for field in fields:  # every field is looked at, so that each is handled once
        value = (out or {}).get(field)
        if value and value != st.session_state.get(f"_{key}_{field}"):
            st.session_state[f"_{key}_{field}"] = value
            click = value
    if click is None:
        return None
    lon, lat = float(click["lng"]), float(click["lat"])
    datum = basemap_datum(basemap)
    if datum != "wgs84":
        wl, wa = to_wgs84(lon, lat, datum=datum)
        lon, lat = float(wl), float(wa)
    return lon, lat
