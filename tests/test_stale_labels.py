"""A rerun the browser asks for before it has a language switch's answer keeps the choices.

The browser holds a choice widget's value as its label. After a click on "English", a request it
sends before the English page arrives (the Service areas map's report that its tiles failed, a
quick second click) still carries the Chinese labels, which the English page cannot read:
Streamlit kept them as values and the widgets dropped them. The Service areas page lost its
layers this way, and with them its circles and its table (a browser test waited 240 s for it).
Here the stale request is made by hand: the widget states of the Chinese page, with the language
switch already on "English".
"""

from __future__ import annotations

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.testing.v1 import AppTest

from atlas.fmt import header
from tests.apptest_support import run_page


def _stale_rerun(at: AppTest, to: str = "English") -> AppTest:
    """Switch the language, then rerun with the states the page had before the switch."""
    stale = WidgetStates()
    stale.CopyFrom(at._tree.get_widget_states())  # the page as the browser drew it before the switch
    radio = next(w for w in stale.widgets if w.id.endswith("-lang_radio"))
    radio.string_value = to
    at.sidebar.radio(key="lang_radio").set_value(to).run()
    assert not at.exception
    return at._run(stale)  # AppTest's run with given widget states (what a browser's request carries)


@pytest.mark.parametrize(("page", "keys"), [
    ("pages/2_科普服务圈_Service_areas.py", ("sa_layers", "sa_preset", "basemap_select")),
    ("pages/4_导出_Export.py", ("ex_layers", "ex_preset")),
])
def test_a_request_in_the_old_labels_keeps_every_choice(page, keys):
    at = run_page(page, lang="zh", basemap="none")
    chosen = {k: at.session_state[k] for k in keys}
    assert chosen.get("basemap_select", "none") == "none" and all(chosen.values())
    _stale_rerun(at)
    assert not at.exception
    assert {k: at.session_state[k] for k in keys} == chosen
    assert at.title[0].value in ("15-minute science service circle", "Briefing exports")


def test_the_service_areas_table_stays_after_a_request_in_the_old_labels():
    at = run_page("pages/2_科普服务圈_Service_areas.py", lang="zh")
    assert len(at.dataframe) == 1
    _stale_rerun(at)
    assert len(at.dataframe) == 1 and header("site_id", "en") in at.dataframe[0].value.columns
    _stale_rerun(at, "中文")  # and back: English labels on the Chinese page
    assert at.multiselect(key="sa_layers").value == ["kepu_sites", "kepu_galleries"]
    assert len(at.dataframe) == 1
