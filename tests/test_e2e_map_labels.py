"""District labels sit on their districts, all of them, after switching the language (zh ⇄ en).

Seen on the map page: right after a switch, the district names sat about half a map-width left of
their districts and the westmost were off the map. The map's frame is new after a switch (its base
differs by language) and Leaflet centred each label by a width measured before leaflet.css had
loaded (a tooltip then is a block as wide as the map). This test switches back and forth several
times at two window sizes (the race is timing-dependent) and checks, in the map's own Leaflet
instance, each district label drawn against its district and the labels ``placeLabels`` would place.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e_support import map_page_ready, needs_chromium, settle

pytestmark = [pytest.mark.e2e, needs_chromium]

CJK = re.compile(r"[\u4e00-\u9fff]")
#: How far (px) a district label's centre may lie from its anchor (rounding of a centred box).
TOLERANCE_PX = 4

#: In the map's frame: the map's size (Leaflet's and the box's), the district labels drawn (text,
#: centre against the anchor, inside the map, over its own district) and those the plan places.
_LABELS_JS = r"""() => {
  const a = window.atlas, map = a._state.map, box = map.getContainer().getBoundingClientRect();
  const inRings = (rings, x, y) => rings.reduce((inside, ring) => {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i], [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }, false);
  const districts = {};  // label -> its district's GeoJSON geometry
  map.eachLayer(l => { const r = l._atlasRow; if (r && r.geom && r.label) districts[r.label] = r.geom; });
  const shown = [];
  a._state.labelLayer.eachLayer(l => {
    const el = l._container;
    if (!el || !el.classList.contains("atlas-label-district")) return;
    const r = el.getBoundingClientRect(), at = map.latLngToContainerPoint(l.getLatLng());
    const cx = r.left + r.width / 2 - box.left, cy = r.top + r.height / 2 - box.top;
    const ll = map.containerPointToLatLng([cx, cy]), g = districts[l.getContent()];
    const polys = !g ? [] : g.type === "Polygon" ? [g.coordinates] : g.coordinates;
    shown.push({text: el.textContent, dx: cx - at.x, dy: cy - at.y,
                inMap: r.left >= box.left && r.right <= box.right
                       && r.top >= box.top && r.bottom <= box.bottom,
                onDistrict: polys.some(p => inRings(p, ll.lng, ll.lat))});
  });
  const plan = a._labelPlan ? a._labelPlan().filter(x => x.set.cls === "district").map(x => x.it[2]) : null;
  const size = map.getSize(), c = map.getContainer();
  return {size: [size.x, size.y], box: [c.clientWidth, c.clientHeight], shown: shown, plan: plan};
}"""

#: In the map's frame: its stylesheets have loaded (until then no part of a map is where it
#: belongs) and district labels are drawn in the language asked for (the new frame's).
_DRAWN_JS = """lang => {
  const a = window.atlas;
  if (!a || !a._state.map || !a._state.labelLayer) return false;
  if (![...document.querySelectorAll('link[rel=stylesheet]')].every(l => l.sheet)) return false;
  const texts = [...document.querySelectorAll('.atlas-label-district')].map(e => e.textContent);
  return texts.length > 0 && texts.every(t => /[\\u4e00-\\u9fff]/.test(t) === (lang === 'zh'));
}"""


def _labels(page, lang: str) -> dict:
    """The district labels of the page's map once it has drawn them in ``lang``.

    After a switch the map's frame is a new one, made after the run: it is looked for until it has
    drawn its labels (a frame may be replaced or detached meanwhile).
    """
    from playwright.sync_api import Error

    for _ in range(120):
        frames = [f for f in page.frames if "streamlit_folium" in f.url and not f.is_detached()]
        try:
            if frames and frames[-1].evaluate(_DRAWN_JS, lang):
                page.wait_for_timeout(1000)  # what a planner sees once the map has settled
                return dict(frames[-1].evaluate(_LABELS_JS))
        except Error:
            pass
        page.wait_for_timeout(500)
    raise AssertionError(f"the map drew no district labels in {lang} within a minute")


def _problems(state: dict, lang: str) -> list[str]:
    """What is wrong with the labels drawn: each one off its district, out of the map, in the other
    language; a label the plan places missing or one it does not place drawn; a stale map size."""
    out = []
    if state["size"] != state["box"]:
        out.append(f"Leaflet's size {state['size']} is not the map's box {state['box']}")
    for s in state["shown"]:
        if abs(s["dx"]) > TOLERANCE_PX or abs(s["dy"]) > TOLERANCE_PX:
            out.append(f"{s['text']} is {s['dx']:+.0f}, {s['dy']:+.0f} px from its anchor")
        if not s["onDistrict"]:
            out.append(f"{s['text']} is not over its district")
        if not s["inMap"]:
            out.append(f"{s['text']} is (partly) outside the map")
        if bool(CJK.search(s["text"])) != (lang == "zh"):
            out.append(f"{s['text']} is not in {lang}")
    shown = sorted(s["text"] for s in state["shown"])
    if state["plan"] is None or sorted(state["plan"]) != shown:
        out.append(f"drawn {shown}, placed by the plan {sorted(state['plan'] or [])}")
    return out


def _open(browser, app_url, size, *, css_delay_s: float = 0.0):
    """The map page in a new session, tiles refused (offline); ``css_delay_s``: leaflet.css is
    answered that late (routing also turns the browser's cache off, so every map frame waits)."""
    import time

    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.route(re.compile("openstreetmap.org|autonavi.com|tianditu.gov.cn"), lambda r: r.abort())
    if css_delay_s:
        page.route(re.compile(r"leaflet/leaflet\.css"), lambda r: (time.sleep(css_delay_s), r.continue_()))
    page.goto(app_url)
    map_page_ready(page)  # offline: the map is drawn again with no tiles first
    return page


def _switching(page, switches) -> list[str]:
    """The problems of the labels in the first view and after each switch (radio, language)."""
    problems = [f"(zh, first view) {p}" for p in _problems(_labels(page, "zh"), "zh")]
    for i, (radio, lang) in enumerate(switches):
        page.locator("[data-testid=stSidebar]").get_by_text(radio, exact=True).click()
        settle(page, timeout_ms=120_000)
        state = _labels(page, lang)
        assert len(state["shown"]) >= 5, state  # most of the ten districts are labelled at any size
        problems += [f"(switch {i + 1} to {lang}) {p}" for p in _problems(state, lang)]
    return problems


@pytest.mark.parametrize("size", [(1280, 720), (1440, 900)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_district_labels_sit_on_their_districts_after_each_language_switch(app_url, browser, size):
    page = _open(browser, app_url, size)
    problems = _switching(page, [("English", "en"), ("中文", "zh")] * 3)
    page.close()
    assert not problems, "\n".join(problems)


def test_district_labels_sit_on_their_districts_when_the_map_stylesheet_comes_late(app_url, browser):
    """The race above made certain: leaflet.css answered 2 s after the map has drawn its labels; on
    the map page and on another page's map (the coverage map: every map runs the same atlas.js)."""
    page = _open(browser, app_url, (1280, 720), css_delay_s=2.0)
    problems = _switching(page, [("English", "en"), ("中文", "zh")])
    page.goto(app_url + "/coverage")
    settle(page, timeout_ms=180_000)
    problems += [f"(coverage map) {p}" for p in _problems(_labels(page, "zh"), "zh")]
    page.close()
    assert not problems, "\n".join(problems)


def test_district_labels_follow_a_window_resize(app_url, browser):
    """The map's box changes with the window (the page's columns reflow): Leaflet's size, the fit and
    the labels follow, each label still over its district, none lost to the old size."""
    page = _open(browser, app_url, (1440, 900))
    problems = [f"(1440x900) {p}" for p in _problems(_labels(page, "zh"), "zh")]
    for w, h in [(1280, 720), (1000, 700), (1440, 900)]:
        page.set_viewport_size({"width": w, "height": h})
        page.wait_for_timeout(1500)  # the page reflows, the map refits and places its labels
        problems += [f"({w}x{h}) {p}" for p in _problems(_labels(page, "zh"), "zh")]
    page.close()
    assert not problems, "\n".join(problems)
