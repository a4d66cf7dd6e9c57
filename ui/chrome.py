"""The page's frame: its spacing, Streamlit's widget texts in the page's language, page changes.

Streamlit writes some texts of its widgets itself, in English: the file uploader's "Drag and
drop files here", "Upload" and "200MB per file", the multiselect's "Select all" and "No options
to select", the "Press Enter to apply" hint. Where a widget takes the text as a parameter
(``placeholder``) the pages pass it; the rest are put into the page's language here, once per
page: a small script in the page replaces exactly these texts as Streamlit draws them (and puts
the English back when the planner switches to English), in text and in the placeholder,
``aria-label`` and ``title`` attributes (the password field's "Show password"). Nothing else in
the page is touched.

A second small script (``page_change.js``) makes the page the planner asked for win: a map's value
(its report, a move) sent while a page change away from the map's page is under way is held back
(Streamlit would run the old page again for it, and the page asked for was lost), and a page
opened from another starts at its top (see the script's header).
"""

from __future__ import annotations

import functools
import json

import streamlit as st

from atlas.webmap.config import STATIC

#: Streamlit's own English texts and their Chinese, whole texts only (trimmed).
WIDGET_TEXTS_ZH: dict[str, str] = {
    "Choose options": "请选择",
    "Choose an option": "请选择",
    "Select all": "全选",
    "No options to select": "没有可选项",
    "No options to select.": "没有可选项。",
    "No results": "没有匹配项",
    "Drag and drop file here": "将文件拖放到这里",
    "Drag and drop a file here": "将文件拖放到这里",
    "Drag and drop files here": "将文件拖放到这里",
    "Upload": "上传",
    "Browse files": "选择文件",
    "Press Enter to apply": "按回车键确认",
    "Press Enter to submit form": "按回车键提交",
    "Clear all": "全部清除",
    "Running...": "运行中…",
    "Stop": "停止",
    "Show password": "显示密码",
    "Hide password": "隐藏密码",
    "Clear entry": "清除输入",
    "Page not found": "页面未找到",
    "The page that you have requested does not seem to exist. Running the app's main page.":
        "所请求的页面不存在，已打开首页。",
}

#: Texts with a number or a list in them: (regular expression, replacement).
WIDGET_PATTERNS_ZH: tuple[tuple[str, str], ...] = (
    (r"^(\d+(?:\.\d+)?\s?[KMG]?B) per file • (.+)$", "单个文件不超过 $1 · $2"),
    (r"^(\d+(?:\.\d+)?\s?[KMG]?B) per file$", "单个文件不超过 $1"),
    (r"^(\d+) matches$", "$1 项匹配"),
    (r"^You have requested page /(.+), but no corresponding file was found in the app's pages/ directory\. "
     r"Running the app's main page\.$", "未找到页面 /$1，已打开首页。"),
)

#: Less room above the page's title (Streamlit leaves 6rem), so that a map fits the window.
PAGE_CSS = ("[data-testid='stMainBlockContainer']{padding-top:2.6rem;padding-bottom:2rem}"
            "h1{padding-top:0.2rem}")

#: The scripts that do it (run in the page, see their headers).
SCRIPT = STATIC / "atlas" / "widget_texts.js"
PAGE_CHANGE_SCRIPT = STATIC / "atlas" / "page_change.js"


@functools.cache
def _script() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (PAGE_CHANGE_SCRIPT, SCRIPT))


def frame(lang: str) -> None:
    """Put the page's spacing and Streamlit's widget texts in ``lang``; follow page changes."""
    cfg = {"lang": lang, "texts": WIDGET_TEXTS_ZH, "patterns": [list(p) for p in WIDGET_PATTERNS_ZH]}
    call = f"window.atlasWidgetTexts({json.dumps(cfg, ensure_ascii=False)});".replace("<", "\\u003c")
    st.html(f"<style>{PAGE_CSS}</style><script>{_script()}\n{call}</script>", unsafe_allow_javascript=True)
