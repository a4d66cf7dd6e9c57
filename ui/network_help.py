"""Where a real walking network comes from: sources, folder or upload, and build times (Service areas)."""

from __future__ import annotations

import streamlit as st

from atlas import settings
from atlas.i18n import t


def extract_help(lang: str) -> None:
    """Where to get an OSM extract, where to put it (or upload it) and how long a build takes."""
    limit = int(st.get_option("server.maxUploadSize"))
    with st.container(border=True):
        st.markdown(f"**{t('sa_extract_title', lang)}**")
        st.markdown(t("sa_extract_where", lang))
        folder = str(settings.OSM_DIR).replace("`", "")  # set by the administrator; shown as code
        st.markdown(t("sa_extract_put", lang, folder=f"`{folder}`", limit=limit))
        st.markdown(t("sa_extract_time", lang))
