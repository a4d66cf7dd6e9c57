"""End-to-end: the export page in real headless Chromium (what AppTest cannot show: the browser
keeps a widget's choice as its *label*, so a re-labelled option must be re-sent by the server)."""

from __future__ import annotations

import pytest

from tests.e2e_support import ARTIFACTS, assert_clean, needs_chromium, settle

pytestmark = [pytest.mark.e2e, needs_chromium]


def _chips(page, label):
    """The chosen options of the multiselect labelled ``label``, as the browser shows them."""
    box = page.locator("[data-testid=stMultiSelect]", has_text=label).first
    return [t.strip() for t in box.locator("[data-tag] > span[title]").all_inner_texts()]


def test_choices_survive_a_language_switch_in_the_browser(app_url, browser):
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.goto(app_url)  # as a planner would: open the app, pick the page in the sidebar
    settle(page)  # a page change in the map's first seconds (before its failed-tiles report) holds
    page.get_by_role("link", name="导出").click()
    page.locator("h1", has_text="导出简报").wait_for(timeout=90_000)
    settle(page)
    zh_layers = _chips(page, "图层")
    assert "科普场馆" in zh_layers and len(zh_layers) >= 5
    page.locator("[data-testid=stSidebar]").get_by_text("English", exact=True).click()
    page.locator("h1", has_text="Briefing exports").wait_for(timeout=60_000)
    settle(page)
    en_layers = _chips(page, "Layers")
    assert len(en_layers) == len(zh_layers), en_layers
    assert "Science-popularisation sites" in en_layers and "科普场馆" not in en_layers
    # the next click sends the choice back as the browser holds it: it must still be whole
    page.get_by_text("Include the science-popularisation sites' 15-minute circles", exact=False).click()
    settle(page)
    assert _chips(page, "Layers") == en_layers
    page.get_by_role("button", name="Generate PNG").click()
    page.get_by_role("button", name="Download PNG (300 dpi)").wait_for(timeout=120_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "e2e_export_en.png"))
    assert_clean(page)
    page.close()
