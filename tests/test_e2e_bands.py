"""End-to-end: the Service areas page with 5/10/15-minute bands shows who lives within each band.

In a real browser, in Chinese and in English: the band-shares table is there with a column per
band, its answer columns in view at 1280×720 without scrolling sideways, labelled as straight-line
estimates and bounds (no walking network is cached here), and the page holds no text of the
other language.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from atlas.coverage.bands import band_header
from atlas.i18n import t
from tests.e2e_support import close_page_not_found, needs_chromium, settle
from tests.test_e2e_language import _TEXT_JS, _offending
from tests.test_e2e_tables import _measure, app_url, browser  # the same server and browser fixtures

pytestmark = [pytest.mark.e2e, needs_chromium]
__all__ = ["app_url", "browser"]  # fixtures used by name

#: Screenshots go here when the folder's parent exists (a developer's machine), else nowhere.
SHOTS = Path(os.environ.get("ATLAS_SHOTS", "/work/shots/b"))


def _bands_page(browser: Any, url: str, size: tuple[int, int]) -> Any:
    """The Service areas page with 5/10/15-minute bands chosen, in Chinese."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.route(re.compile("openstreetmap.org|autonavi.com|tianditu.gov.cn"), lambda r: r.abort())
    page.goto(url + "/service_areas")
    page.wait_for_selector("[data-testid=stMain]", timeout=90_000)
    settle(page, timeout_ms=240_000)
    close_page_not_found(page)
    page.locator("[data-testid=stSlider]").last.wait_for(timeout=240_000)  # the page's first run is done
    settle(page, timeout_ms=240_000)
    page.get_by_text(t("sa_bands", "zh"), exact=True).click()
    settle(page, timeout_ms=240_000)
    _bands_shown(page, "zh")
    return page


def _bands_shown(page: Any, lang: str) -> None:
    page.get_by_text(t("bands_title", lang), exact=True).wait_for(timeout=240_000)
    # 4.5 km/h, as chosen by default: the 5-minute circles are drawn 375 m ÷ 1.3 = 288 m wide
    assert "375 m ÷ 1.3 = 288 m" in page.locator("[data-testid=stMain]").inner_text()
    page.wait_for_timeout(2000)
    settle(page, timeout_ms=120_000)


def test_service_areas_page_shows_band_shares_in_one_language(app_url, browser):
    """In Chinese with the bands chosen, then in English after the switch (the bands are kept)."""
    page = _bands_page(browser, app_url, (1280, 720))
    for lang in ("zh", "en"):
        if lang == "en":
            page.set_viewport_size({"width": 1280, "height": 720})
            page.locator("[data-testid=stSidebar]").get_by_text("English", exact=True).click()
            settle(page, timeout_ms=120_000)
            _bands_shown(page, lang)
        _check_bands(page, lang)
    page.close()


def _check_bands(page: Any, lang: str) -> None:
    assert page.locator("[data-testid='stException']").count() == 0  # (the page names the OSM folder)
    text = page.evaluate(_TEXT_JS)
    assert t("bands_title", lang) in text
    assert t("bands_bounds_note", lang, detour="1.3")[:20] in text  # offline: estimates and bounds
    assert t("bands_by_area", lang) in text  # people spread by area are said to be so
    bad = _offending(text, lang)
    assert not bad, "other-language text:\n" + "\n".join(bad[:40])
    # the band table: a column per band and figure, every one in view at 1280 px
    title = page.get_by_text(t("bands_title", lang), exact=True)
    title.scroll_into_view_if_needed()
    seen = _measure(page, page.locator("[data-testid=stDataFrame]").last)
    if SHOTS.parent.is_dir():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"service_areas_bands_table_{lang}_1280x720.png"))
    headers = [band_header(m, lang) for m in (5.0, 10.0, 15.0)]
    for h in headers:
        assert h in seen["shown"], f"{h!r} is out of view; in view: {seen['shown']}"
    assert not seen["scrolls"], seen
    if SHOTS.parent.is_dir():
        page.set_viewport_size({"width": 1440, "height": 900})
        page.wait_for_timeout(800)
        page.screenshot(path=str(SHOTS / f"service_areas_bands_table_{lang}_1440x900.png"))
        page.locator("iframe[title='streamlit_folium.st_folium']").last.scroll_into_view_if_needed()
        page.wait_for_timeout(2500)
        page.screenshot(path=str(SHOTS / f"service_areas_bands_map_{lang}_1440x900.png"))
