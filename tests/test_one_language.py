"""Every page in English shows no Chinese: tables' cells, widget options, labels and texts (AppTest).

The browser scan (tests/test_e2e_language.py) reads what is laid out on screen; a dataframe draws
its cells on a canvas, so a Chinese name in a table cell ("near 韩岭小学") escapes it. This test
reads what each page sends to the browser instead: every element's texts, every table's headers
and cells, every widget's label and (formatted) options, in the English UI.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

PAGES = sorted((Path(__file__).resolve().parent.parent / "pages").glob("*.py"))
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
#: The language switch names each language in its own words; the chrome script carries both
#: languages' widget texts to put the right one in place.
SKIP_KEYS = {"lang_radio"}


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _texts(node: Any) -> list[str]:
    """What one element (and its children) sends to the browser, as strings."""
    out: list[str] = []
    for child in getattr(node, "children", {}).values():
        out += _texts(child)
    kind = type(node).__name__
    if kind == "Dataframe":
        df = pd.DataFrame(node.value)
        out += [str(c) for c in df.columns]
        out += [v for c in df.columns for v in df[c].tolist() if isinstance(v, str)]
        return out
    proto = getattr(node, "proto", None)
    if proto is None or getattr(node, "key", None) in SKIP_KEYS or kind in ("Block", "Html"):
        return out
    if kind in ("Markdown", "UnknownElement") and "<script" in str(getattr(node, "value", "")):
        return out
    return out + _strings(MessageToDict(proto))


def offending(at: AppTest) -> list[str]:
    """The strings of a run page that hold Chinese (or full-width punctuation)."""
    return sorted({s[:160] for s in _texts(at.main) + _texts(at.sidebar) if CJK.search(s)})


def _run(page: Path, **widgets: str) -> AppTest:
    at = AppTest.from_file(str(page), default_timeout=400)
    at.session_state["lang"] = "en"
    at.run()
    for key, value in widgets.items():
        at.selectbox(key=key).select(value).run()
    assert not at.exception, at.exception
    return at


def test_the_scan_reads_table_cells_and_options():
    at = AppTest.from_string("""
import pandas as pd, streamlit as st
st.dataframe(pd.DataFrame({"Name": ["near 韩岭小学 (OSM school, ~1.5 km)"]}))
st.selectbox("District", ["鄞州区"])
st.caption("All English")
""").run()
    found = offending(at)
    assert any("韩岭" in s for s in found) and "鄞州区" in found and len(found) == 2


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem.split("_")[-1])
def test_each_page_in_english_sends_no_chinese(page):
    bad = offending(_run(page))
    assert not bad, f"{page.name}: Chinese in the English UI:\n" + "\n".join(bad[:40])


def test_a_district_coverage_in_english_names_its_gaps_in_english():
    at = _run(next(p for p in PAGES if "Coverage" in p.name), cov_scope="鄞州区")
    gaps = next(d.value for d in at.dataframe if "Name" in d.value.columns)
    assert gaps["Name"].str.contains("Hanling Primary School").any(), gaps["Name"].tolist()
    bad = offending(at)
    assert not bad, "\n".join(bad[:40])
