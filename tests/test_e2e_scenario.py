"""In Chromium: hypothetical sites added on the Coverage page are a scenario, and say so.

The Coverage page's figures carry the scenario's badge; the Indicators page, in the same session,
keeps the plan's figure (the same as the Coverage page's before the sites were added) until the
scenario is chosen there, and then shows the Coverage page's figure with the same badge.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e_support import (
    ARTIFACTS,
    CHROMIUM,
    assert_clean,
    click_map_at,
    main_text,
    settle,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]

#: Points in 鄞州区's hills (certainly outside every circle today), as a planner would click them.
CLICKS = ((29.70, 121.70), (29.74, 121.64), (29.66, 121.80))

UPPER = re.compile(r"至多 (\d+\.\d) %")


def _upper(text: str) -> str:
    m = UPPER.search(text)
    assert m, text[:2000]
    return m.group(1)


def test_sites_added_on_coverage_carry_a_badge_and_leave_the_indicators_figure_alone(app_url, browser):
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.route(re.compile(r"https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
    page.goto(app_url)
    settle(page)  # a page change in the map's first seconds (before its failed-tiles report) holds
    page.get_by_role("link", name="覆盖缺口").click()
    page.get_by_text("至多（直线上限）").first.wait_for(timeout=120_000)
    settle(page, timeout_ms=120_000)
    plan = _upper(main_text(page))
    assert "假设站点" not in main_text(page)
    for lat, lon in CLICKS:
        click_map_at(page, lat, lon)
    badge = f"含 {len(CLICKS)} 个假设站点 · 方案 A"
    page.get_by_text(badge).first.wait_for(timeout=60_000)
    text = assert_clean(page)
    with_sites = _upper(text)
    assert float(with_sites) > float(plan)  # the hills' sites reach people certainly outside before
    assert "假设站点带来的变化" in text and "上限：" in text and "估计：" in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "e2e_scenario_coverage.png"))

    # the same session on the Indicators page: the plan's figure, no badge
    page.get_by_role("link", name="规划指标").click()
    page.get_by_text("覆盖率按哪些站点计算").wait_for(timeout=120_000)
    settle(page, timeout_ms=120_000)
    text = assert_clean(page)
    assert badge not in text
    assert f"至多 {plan} %" in text and f"至多 {with_sites} %" not in text

    # chosen there, the scenario's figure is the Coverage page's, with its badge
    page.locator("[data-testid='stSelectbox']").filter(has_text="覆盖率按哪些站点计算").click()
    page.get_by_role("option", name=re.compile("本次会话的情景")).click()
    page.get_by_text(badge).first.wait_for(timeout=60_000)
    settle(page, timeout_ms=120_000)
    text = assert_clean(page)
    assert f"至多 {with_sites} %" in text
    page.screenshot(path=str(ARTIFACTS / "e2e_scenario_indicators.png"))
    page.close()
