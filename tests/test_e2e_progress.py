"""End-to-end: a planner records two years of a target on the Indicators page and sees the trajectory."""

from __future__ import annotations

from pathlib import Path

import pytest

from atlas.plan import progress
from tests.e2e_support import ARTIFACTS, CHROMIUM, assert_clean, main_text, running_app, settle

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


@pytest.fixture(scope="module")
def user_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("progress_user")


@pytest.fixture(scope="module")
def progress_app(user_dir, tmp_path_factory):
    with running_app(user_dir, tmp_path_factory.mktemp("progress_cache")) as url:
        yield url


def record(page, *, year: int, value: str, source: str) -> None:
    """Open the record form (if closed), fill it in and save."""
    page.locator("[data-testid='stForm']").get_by_text("记录一个数值").wait_for()
    page.get_by_label("年份", exact=True).fill(str(year))
    page.get_by_label("数值", exact=True).fill(value)
    page.get_by_label("来源（出处）", exact=True).fill(source)
    page.get_by_role("button", name="保存").click()
    settle(page)


def test_a_recorded_value_is_on_the_trajectory(progress_app, browser, user_dir):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{progress_app}/规划指标_Indicators")
    page.get_by_role("heading", name="2027 年目标进展").wait_for(timeout=90_000)
    settle(page)
    picker = page.get_by_role("combobox", name="目标")
    picker.click()
    page.keyboard.type("T23a")
    page.keyboard.press("Enter")
    settle(page)
    assert "数据不足" in main_text(page)  # nothing recorded yet

    record(page, year=2024, value="150", source="市科协 2024 年度报告")
    text = main_text(page)
    assert "已保存为第 1 版" in text
    assert "2024 记录值 150 家" in text and "· 2027 年目标 ≥ 200 家" in text
    # the chart itself draws the point (Vega's SVG names each mark)
    page.locator("[aria-roledescription='point'][aria-label*='年份: 2024; 数值: 150']").wait_for()

    record(page, year=2025, value="171", source="市科协 2025 年度报告")
    text = assert_clean(page)
    assert "已保存为第 2 版" in text
    assert "2024 记录值 150 家 · 2025 记录值 171 家" in text
    # 150 -> 171 is +21 a year: about 213 in 2027, which meets ≥ 200
    assert "进度正常" in text and "213" in text

    # a bad entry says why and saves nothing
    record(page, year=2025, value="很多", source="")
    text = main_text(page)
    i = text.find("记录一个数值")
    assert "未保存任何数据" in text and "缺少来源" in text and "不是数字" in text, text[i:i + 900]
    saved = progress.load_values(folder=user_dir)
    assert saved.value.tolist() == [150.0, 171.0] and set(saved.kind) == {"recorded"}

    page.locator("[data-testid='stVegaLiteChart'], .vega-embed").first.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "e2e_progress_trajectory.png"))
    page.close()
