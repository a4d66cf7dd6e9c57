"""The Import page's OSM venue finder: candidate 科普 venues in an OSM extract become a layer.

The extract is one of the configured OSM folder's files, offered by name, or an upload
(:mod:`ui.osm_extracts`, shared with the Service areas page): a user never names a server path.
An upload is searched in a worker process with a time and memory budget (:mod:`atlas.guard`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from atlas import settings
from atlas.data.venues import venues_from_osm_file, venues_to_sites
from atlas.errors import AtlasError
from atlas.guard import run_guarded
from atlas.i18n import t
from atlas.userlayers import save_user_layer
from ui import auth
from ui.osm_extracts import extract_path, osm_files, uploaded_copy
from ui.tables import editor

#: Extracts osmium reads (GraphML networks hold no venues).
VENUE_SUFFIXES = tuple(s for s in settings.OSM_SUFFIXES if s != ".graphml")


def osm_venues(lang: str, saved_text: Any) -> None:
    """Find candidate 科普 venues in an OSM extract; the ticked ones become a layer.

    ``saved_text(version, lang)`` words a successful save (as for imported lists).
    """
    st.subheader(t("imp_osm", lang))
    folder = settings.OSM_DIR
    files = osm_files(folder, suffixes=VENUE_SUFFIXES)
    if files:
        name = st.selectbox(t("imp_osm_file", lang), files, key="imp_osm_file")
        if name and st.button(t("imp_osm_find", lang), key="imp_osm_find"):
            _find(lambda: venues_from_osm_file(extract_path(str(name), suffixes=VENUE_SUFFIXES)),
                  str(name), lang)
    else:
        st.info(t("imp_osm_dir_empty", lang))  # the server's folder is not shown
    up = st.file_uploader(t("imp_osm_upload", lang), type=["pbf", "osm", "bz2", "gz"], key="imp_osm_upload")
    if up is not None and st.button(t("imp_osm_find_upload", lang), key="imp_osm_find_upload"):
        _find(lambda: _search_upload(up.name, up.getvalue()), up.name, lang)
    venues = st.session_state.get("imp_venues")
    if venues is not None:
        _promote(venues, lang, saved_text)


def _search_upload(name: str, data: bytes) -> Any:
    """Venues of an uploaded extract, searched in a worker with a time and memory budget."""
    with uploaded_copy(name, data) as path:
        return run_guarded(venues_from_osm_file, path, step=("查找场所", "finding venues"))


def _find(search: Any, source: str, lang: str) -> None:
    """Run one search; keep its venues and the extract's name in the session, or say what failed."""
    try:
        st.session_state["imp_venues"] = search()
        st.session_state["imp_venues_src"] = source
    except AtlasError as exc:
        st.error(exc.message(lang))


def _promote(venues: Any, lang: str, saved_text: Any) -> None:
    """The venues found, each with a tick; the ticked ones are saved as a layer."""
    table = venues.drop(columns="geometry").assign(keep=True)
    edited = editor(table, lang, key="imp_venue_editor", disabled=["osm_id", "name", "kind", "lon", "lat"])
    keep = venues[np.asarray(edited["keep"], dtype=bool)]
    vname = st.text_input(t("imp_layer_name", lang), value=t("imp_osm_layer", lang), key="imp_venue_name")
    if st.button(t("imp_osm_promote", lang), key="imp_osm_promote", disabled=keep.empty):
        try:
            user = auth.editor_name()
            saved = save_user_layer(vname, venues_to_sites(keep, source=st.session_state["imp_venues_src"]),
                                    user=user)
            st.success(saved_text(saved.n, lang))
        except AtlasError as exc:
            st.error(exc.message(lang))
