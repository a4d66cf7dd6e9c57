"""Briefing exports for the current view: static map, interactive HTML and GIS data (ui/exporter.py)."""

from __future__ import annotations

import streamlit as st

from atlas.i18n import t
from ui import common, exporter

lang = common.page("export_title")
view = exporter.choose_view(lang)
st.caption(t("export_pack_hint", lang))
exporter.map_downloads(view, lang)
exporter.layer_data(view, lang)
