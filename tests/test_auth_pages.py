"""The role check holds in the pages themselves, not only by hiding buttons (AppTest, offline)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from atlas import settings
from atlas.accounts import add_user, remove_user, set_password, set_role
from atlas.analysis.scenarios import scenario_history
from atlas.i18n import t
from ui import auth as ui_auth

PAGES = Path(__file__).resolve().parent.parent / "pages"
COV_PAGE = str(PAGES / "3_覆盖缺口_Coverage.py")
IMPORT_PAGE = str(PAGES / "5_导入_Import.py")
SA_PAGE = str(PAGES / "2_科普服务圈_Service_areas.py")


def _account(name: str, role: str) -> str:
    """A local account in the test's accounts file; returns its name."""
    add_user(name, "a long password", role=role)
    return name


def _page(path: str, user: str | None, *, lang: str = "zh") -> AppTest:
    """Run a page for a session signed in as local account ``user`` (``None``: nobody)."""
    at = AppTest.from_file(path, default_timeout=240)
    at.session_state["lang"] = lang
    if user is not None:
        at.session_state["_atlas_signed_in_user"] = ui_auth.sign_in_record(user)
    at.run()
    assert not at.exception
    return at


def _save_buttons(at: AppTest, lang: str = "zh") -> list:
    return [b for b in at.button if b.label == t("cov_save", lang)]


@pytest.mark.parametrize("viewer", [True, False])
def test_a_viewer_or_nobody_cannot_save_a_scenario_even_through_a_shown_button(monkeypatch, viewer):
    monkeypatch.setattr(settings, "AUTH_MODE", "local")
    at = _page(COV_PAGE, _account("li", "viewer") if viewer else None)
    assert not _save_buttons(at)
    assert any(t("auth_viewer_note", "zh") in c.value for c in at.caption)
    monkeypatch.setattr(ui_auth, "can_edit", lambda: True)  # a page that forgot to hide the button
    at.text_input(key="cov_scen_name").input("偷偷保存").run()
    _save_buttons(at)[0].click().run()
    assert any("只有编辑者可以导入和保存" in e.value for e in at.error)
    assert scenario_history() == []  # nothing was written


def test_an_editor_saves_a_scenario_with_their_name_and_the_history_shows_it(monkeypatch):
    monkeypatch.setattr(settings, "AUTH_MODE", "local")
    at = _page(COV_PAGE, _account("zhang", "editor"), lang="en")
    at.text_input(key="cov_scen_name").input("Plan A").run()
    _save_buttons(at, "en")[0].click().run()
    assert not at.error
    (saved,) = scenario_history()
    assert saved["saved_by"] == "zhang" and saved["names"] == ["Plan A"]
    at.run()
    history = next(d.value for d in at.dataframe if "Saved by" in d.value.columns)
    assert list(history["Saved by"]) == ["zhang"]
    assert list(history["Scenarios in the set"]) == ["Plan A"]


def test_saves_without_sign_in_read_as_such_in_the_history(monkeypatch):
    at = _page(COV_PAGE, None)  # sign-in off (the default): everyone edits, nobody is recorded
    at.text_input(key="cov_scen_name").input("单机方案").run()
    _save_buttons(at)[0].click().run()
    at.run()
    history = next(d.value for d in at.dataframe if "保存人" in d.value.columns)
    assert list(history["保存人"]) == ["（未登录）"]


def test_the_import_page_shows_a_viewer_nothing_to_import(monkeypatch):
    monkeypatch.setattr(settings, "AUTH_MODE", "local")
    at = _page(IMPORT_PAGE, _account("li", "viewer"), lang="en")
    assert [i.value for i in at.info] == [t("auth_viewer_note", "en")]
    assert not at.get("file_uploader") and not at.button


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_viewer_cannot_build_a_network_even_through_a_shown_button(monkeypatch, lang):
    from ui import service_areas_page

    monkeypatch.setattr(settings, "AUTH_MODE", "local")
    builds = []
    monkeypatch.setattr(service_areas_page, "build_network", lambda *a, **k: builds.append(k))
    at = _page(SA_PAGE, _account("li", "viewer"), lang=lang)
    download = t("sa_download", lang)
    assert not [b for b in at.button if b.label == download]
    assert t("sa_build_editors", lang) in [i.value for i in at.info]
    monkeypatch.setattr(ui_auth, "can_edit", lambda: True)  # a page that forgot to hide the button
    at.run()
    next(b for b in at.button if b.label == download).click().run()
    assert builds == []
    assert any(("只有编辑者" if lang == "zh" else "editors") in e.value for e in at.error)


@pytest.mark.parametrize("change", ["role", "remove", "password"])
def test_an_administrators_change_applies_to_a_session_at_once(monkeypatch, change):
    monkeypatch.setattr(settings, "AUTH_MODE", "local")
    at = _page(COV_PAGE, _account("zhang", "editor"))
    assert _save_buttons(at)
    {"role": lambda: set_role("zhang", "viewer"), "remove": lambda: remove_user("zhang"),
     "password": lambda: set_password("zhang", "another long password")}[change]()
    at.run()
    assert not _save_buttons(at)
    signed_in = "_atlas_signed_in_user" in at.session_state
    assert signed_in == (change == "role")  # removed or new password: signed out
