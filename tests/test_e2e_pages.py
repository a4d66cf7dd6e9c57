"""End-to-end: a page opens at its top, and something is on screen before it has loaded.

* **At the top.** The main area is scrolled to the bottom of one page, then another page is
  opened through the sidebar, through a task link at the bottom of the Indicators page, by its
  address (a bookmark) and with the browser's Back button: each opens with its title in view.
* **The page asked for wins.** A map's value (a move, its "tiles failed" report) sent in the same
  moment as a click on another page's link does not pull the session back to the map's page.
* **At once.** A session's first run shows the atlas's name and "加载中…"/"Loading…" before the
  engine is imported and the data loaded (seconds on a server just started; see
  scripts/bench_first_text.py for the times); the page's title replaces it. The order is checked
  here (the first text the page shows), not a time.
"""

from __future__ import annotations

import pytest

from tests.e2e_support import map_page_ready, needs_chromium, running_app, settle

pytestmark = [pytest.mark.e2e, needs_chromium]

#: The first non-empty text of the main area, and whether "loading" text is still on the page.
FIRST_TEXT = """
window.__first = null;
new MutationObserver(() => {
  const main = document.querySelector('[data-testid=stMain]');
  if (window.__first === null && main && main.innerText.trim()) window.__first = main.innerText.trim();
}).observe(document, {subtree: true, childList: true, characterData: true});
"""
_SCROLL = "() => { const m = document.querySelector('[data-testid=stMain]'); return m ? m.scrollTop : -1; }"
_TO_BOTTOM = "() => { const m = document.querySelector('[data-testid=stMain]'); m.scrollTop = 1e9; }"


def _open(browser, url, *, width=1280, height=720):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.add_init_script(FIRST_TEXT)
    page.goto(url)
    page.locator("[data-testid=stSidebarNav]").wait_for(timeout=120_000)
    settle(page, timeout_ms=180_000)
    if page.get_by_text("Page not found").count():
        page.keyboard.press("Escape")
        settle(page)
    return page


def _at_top(page, what: str) -> None:
    page.wait_for_timeout(1500)  # late layout (maps, charts) after the run
    settle(page, timeout_ms=180_000)
    assert page.evaluate(_SCROLL) == 0, f"{what}: scrolled to {page.evaluate(_SCROLL)}"
    assert page.locator("[data-testid=stMain] h1").first.is_visible(), what


def _scroll_down(page) -> None:
    page.evaluate(_TO_BOTTOM)
    page.wait_for_timeout(300)
    assert page.evaluate(_SCROLL) > 0  # the page is taller than the window


@pytest.mark.parametrize(("start", "then"), [("/indicators", "/coverage"), ("/coverage", "/tasks"),
                                             ("/tasks", "/indicators")])
def test_a_page_opened_from_the_sidebar_starts_at_its_top(app_url, browser, start, then):
    page = _open(browser, app_url + start)
    _scroll_down(page)
    page.locator(f"[data-testid=stSidebarNav] a[href$='{then}']").first.click()
    settle(page, timeout_ms=180_000)
    _at_top(page, f"{start} -> {then}")
    page.go_back()  # and back again
    settle(page, timeout_ms=180_000)
    _at_top(page, f"back to {start}")
    page.close()


def test_a_task_link_and_a_bookmark_open_at_the_top(app_url, browser):
    page = _open(browser, app_url + "/indicators")
    page.locator("[data-testid=stMain] a[href*='task=']").first.wait_for(state="attached", timeout=120_000)
    settle(page, timeout_ms=180_000)
    links = [a for a in page.locator("[data-testid=stMain] a[href*='task=']").all() if a.is_visible()]
    assert links
    links[-1].scroll_into_view_if_needed()
    assert page.evaluate(_SCROLL) > 0
    links[-1].click()
    settle(page, timeout_ms=180_000)
    assert "task=" in page.url
    _at_top(page, "task link")
    page.close()
    for path in ("/coverage", "/indicators"):
        page = _open(browser, app_url + path, width=1440, height=900)
        _at_top(page, f"bookmark {path}")
        page.close()


def test_a_server_just_started_shows_the_atlas_name_and_loading_first(browser, tmp_path):
    """(On a warm server the run is quick: Streamlit sends the placeholder and the title in one
    message, and the title is the first text; a server just started takes seconds.)"""
    with running_app(tmp_path / "user", tmp_path / "cache") as url:
        page = _open(browser, url + "/coverage")  # a new session starts in Chinese
        _first_run_then_title(page)


def _first_run_then_title(page) -> None:
    first = page.evaluate("() => window.__first")
    assert first.startswith("宁波科创空间图谱") and "加载中…" in first, first
    text = page.locator("[data-testid=stMain]").inner_text()
    assert "加载中" not in text  # the title took its place
    assert page.locator("[data-testid=stMain] h1").first.inner_text().strip() == "覆盖缺口与新增科普点"
    page.locator("[data-testid=stSidebar]").get_by_text("English", exact=True).click()
    settle(page, timeout_ms=180_000)
    assert "Loading" not in page.locator("[data-testid=stMain]").inner_text()  # later runs: none
    page.close()


_BOXES = """() => { const d = document.querySelector('iframe').contentDocument;
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const scale = d.querySelector('.leaflet-control-scale');
  const others = [d.getElementById('atlas-attribution'), ...d.querySelectorAll('.leaflet-control')]
    .filter(e => e && e !== scale && !e.contains(scale) && e.offsetWidth > 0);
  return {scale: scale && box(scale), others: others.map(e => [e.id || e.className, box(e)])}; }"""


@pytest.mark.parametrize("size", [(1280, 720), (1440, 900)])
def test_the_map_scale_bar_is_clear_of_the_attribution_and_other_controls(app_url, browser, size):
    """The scale bar sat bottom-left, half under the attribution line of a narrow map."""
    page = _open(browser, app_url + "/", width=size[0], height=size[1])
    ready = ("() => { const d = (document.querySelector('iframe') || {}).contentDocument;"
             " return !!(d && d.querySelector('.leaflet-control-scale')); }")
    page.wait_for_function(ready, timeout=60_000)
    page.wait_for_timeout(2000)  # the map page may run once more when the tiles fail
    page.wait_for_function(ready, timeout=60_000)
    found = page.evaluate(_BOXES)
    sx0, sy0, sx1, sy1 = found["scale"]
    for name, (x0, y0, x1, y1) in found["others"]:
        assert x1 <= sx0 or x0 >= sx1 or y1 <= sy0 or y0 >= sy1, f"the scale bar overlaps {name}"
    page.close()


def test_a_bookmark_on_a_fresh_server_opens_its_page_without_a_page_not_found_notice(browser, tmp_path):
    """streamlit#9992: the first session of a fresh server, opened at a page's address, got an
    English "Page not found … Running the app's main page." over the right page. The page's
    script closes that stale notice; an address that is no page keeps it, in the page's language."""
    with running_app(tmp_path / "user", tmp_path / "cache") as url:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url + "/import")
        page.locator("[data-testid=stSidebarNav]").wait_for(timeout=120_000)
        settle(page, timeout_ms=180_000)
        page.wait_for_timeout(1000)
        assert page.locator("[data-testid=stMain] h1").first.inner_text().strip() == "导入我的站点清单"
        assert not page.locator("[role=dialog]").count(), page.locator("[role=dialog]").first.inner_text()
        page.goto(url + "/no_such_page")
        page.locator("[data-testid=stSidebarNav]").wait_for(timeout=120_000)
        settle(page, timeout_ms=180_000)
        page.wait_for_timeout(1000)
        notice = page.locator("[role=dialog]")
        assert notice.count(), page.locator("body").inner_text()[:500]
        assert "页面未找到" in notice.first.inner_text() and "已打开首页" in notice.first.inner_text()
        page.close()


#: In the page: follow the sidebar link to ``then`` and have the page's last map send a value (a
#: move, a click or its own report such as "tiles failed"): in the same moment ("with"), just after
#: the request for the new page went out ("after": before the server's answer, the value still
#: carries the old page), or just before the click ("before").
_CLICK_AND_MAP_VALUE = """([then, when]) => {
  const frame = [...document.querySelectorAll("iframe[title='streamlit_folium.st_folium']")].pop();
  const w = frame.contentWindow;
  const moved = {last_clicked: {lat: 29.87, lng: 121.55 + Math.random() / 100}};
  const send = () => w.Streamlit.setComponentValue(Object.assign({}, w.__GLOBAL_DATA__.previous_data, moved));
  const click = () => document.querySelector(`[data-testid=stSidebarNav] a[href$='${then}']`).click();
  if (when === "with") { click(); send(); }
  if (when === "after") { click(); setTimeout(send, 0); }
  if (when === "before") { send(); setTimeout(click, 0); }
}"""
_MAP_READY = """() => {
  const f = [...document.querySelectorAll("iframe[title='streamlit_folium.st_folium']")].pop();
  const w = f && f.contentWindow; return !!(w && w.Streamlit && w.__GLOBAL_DATA__); }"""


@pytest.mark.parametrize(("start", "when"), [("/", "with"), ("/coverage", "after"), ("/coverage", "before")])
def test_a_page_change_wins_over_a_map_value_sent_at_the_same_moment(app_url, browser, start, when):
    """A map's value sent around a click on another page's link pulled the session back: Streamlit
    runs the newest request, and a value sent after the click (before the server answered) carried
    the page the map was drawn on; one sent just before the click arrived after it (a posted
    message). On the map page, whose map is a fragment, Streamlit merged the fragment's request
    with the page change and kept its page: the new address over an empty page. The page asked
    for is shown, at its top, and stays."""
    page = _open(browser, app_url + start)
    map_page_ready(page, timeout_ms=180_000)  # the map drawn after the tiles failed (offline) is the one kept
    page.wait_for_function(_MAP_READY, timeout=120_000)
    settle(page, timeout_ms=180_000)
    _scroll_down(page)
    page.evaluate(_CLICK_AND_MAP_VALUE, ["/tasks", when])
    settle(page, timeout_ms=180_000)
    page.wait_for_timeout(2000)  # a run the map's value asked for would come now
    _at_top(page, f"{start} -> /tasks, a map value {when} the click")
    assert page.url.rstrip("/").endswith("/tasks"), page.url
    assert page.locator("[data-testid=stMain] h1").first.inner_text().strip() == "规划任务"
    assert not page.locator("iframe[title='streamlit_folium.st_folium']").count()
    page.close()


def test_a_page_change_ends_when_the_new_page_is_shown(app_url, browser):
    """A page change under way ends when the new page is shown, also with no map there to ask:
    the map's values held back meanwhile were sent 30 s later as if the change had failed, reran
    the page then shown and undid the next page change (a task's "show on the map" link, clicked
    half a minute after leaving the map, stayed on the Tasks page)."""
    page = _open(browser, app_url + "/")
    map_page_ready(page, timeout_ms=180_000)
    settle(page, timeout_ms=180_000)
    page.locator("[data-testid=stSidebarNav] a[href$='/tasks']").first.click()  # under way from here
    page.locator("[data-testid=stMain] h1", has_text="规划任务").first.wait_for(timeout=120_000)
    settle(page, timeout_ms=180_000)
    assert not page.evaluate("() => window.atlasPageChange.pending()")
    page.close()
