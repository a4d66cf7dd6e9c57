"""Ningbo Innovation Atlas: the map page (browse every layer, search, feature cards).

The map, its layer toggles, the search box and the card are one fragment (ui/map_page.py): a
toggle, a search or a click reruns only them, and the map in the browser keeps its base and view
(see ui/mapview).
"""

from __future__ import annotations

import streamlit as st

from atlas.i18n import t
from ui import common, map_page

lang = common.language()
basemap, tdt_key = common.basemap_picker(lang)
common.page_title(t("app_title", lang))
st.caption(t("app_subtitle", lang))
task = map_page.task_filter(lang)
map_page.map_panel(lang, basemap, tdt_key, task)
