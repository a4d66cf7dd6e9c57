"""Ningbo Innovation Atlas (宁波科创空间图谱): the Streamlit entry point and its navigation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from atlas.i18n import t
from ui import LOADING

PAGES = Path(__file__).parent / "pages"

st.set_page_config(page_title="宁波科创空间图谱 Ningbo Innovation Atlas", layout="wide")
PAGE_LIST = [  # file, title (zh, en), icon, url path
    ("0_地图_Map.py", ("地图", "Map"), "map", None),
    ("1_规划任务_Tasks.py", ("规划任务", "Plan tasks"), "checklist", "tasks"),
    ("2_科普服务圈_Service_areas.py", ("科普服务圈", "Service areas"), "directions_walk", "service_areas"),
    ("3_覆盖缺口_Coverage.py", ("覆盖缺口", "Coverage"), "analytics", "coverage"),
    ("4_导出_Export.py", ("导出", "Export"), "download", "export"),
    ("5_导入_Import.py", ("导入", "Import"), "upload_file", "import"),
    ("6_规划指标_Indicators.py", ("规划指标", "Plan indicators"), "monitoring", "indicators"),
]
# the page titles in the language chosen (the switch's new value is known before the run starts;
# after a page change the switch is drawn anew, and the language kept in the session applies)
LANG = {"English": "en", "中文": "zh"}.get(st.session_state.get("lang_radio"),
                                          str(st.session_state.get("lang", "zh")))
# Something on screen at once: a session's first run imports the engine and loads data before the
# page draws (seconds on a server just started); its name and "loading…" show until the page's title.
if "lang" not in st.session_state:
    st.session_state[LOADING] = st.empty()
    st.session_state[LOADING].markdown(f"## {t('app_title', LANG)}\n\n{t('app_loading', LANG)}")

from ui import auth  # noqa: E402  (after the placeholder: the first import takes seconds)
from ui.perf import profiled  # noqa: E402

EDITOR_PAGES = {"import"}  # pages only an editor sees (the pages' saves check the role anyway)

# Sign-in (ATLAS_AUTH; off by default): until the session has a user, every page's address shows
# the sign-in page and no page's own code runs. st.navigation is always called, so Streamlit
# never falls back to listing the pages/ folder.
user = auth.current_user()
nav = st.navigation([
    st.Page(PAGES / f if user else auth.sign_in_page, title=title[LANG == "en"],
            icon=f":material/{icon}:", default=path is None, **({"url_path": path} if path else {}))
    for f, title, icon, path in PAGE_LIST if user is None or user.can_edit or path not in EDITOR_PAGES
], position="sidebar" if user else "hidden")
if user is not None:
    auth.sidebar(user, LANG)
with profiled("run", nav.url_path or "map"):
    nav.run()
