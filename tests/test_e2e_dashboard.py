"""End-to-end: the plan-indicators page in real headless Chromium, with a screenshot to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e_support import ARTIFACTS, CHROMIUM

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


def test_dashboard_page_shows_targets_districts_and_tasks(app_url, browser):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(app_url)  # as a planner would: open the app, pick the page in the sidebar
    page.get_by_role("link", name="规划指标").click()
    page.get_by_role("heading", name="规划指标").wait_for(timeout=90_000)
    page.get_by_text("各任务的上图要素").wait_for(timeout=60_000)
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)
    page.locator("[data-testid='stVegaLiteChart'], .vega-embed").first.wait_for(timeout=60_000)
    body = page.locator("body").inner_text()
    assert "规划量化目标" in body and "该任务没有上图要素" in body
    # a task with features links to the map filtered to that task
    assert page.locator("[data-testid=stPageLink] a[href$='?task=23']").count() == 1
    assert page.locator("[data-testid=stPageLink] a[href$='?task=24']").count() == 0  # task 24 has none
    assert page.get_by_text("Page not found").count() == 0
    page.wait_for_timeout(1500)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "e2e_dashboard_first_view.png"))
    # Streamlit scrolls inside its own container: a tall window shows the whole page at once
    page.set_viewport_size({"width": 1440, "height": 4200})
    page.wait_for_timeout(2500)
    shot = ARTIFACTS / "e2e_dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    page.close()
