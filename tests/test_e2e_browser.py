"""End-to-end: the real app in real headless Chromium (Debian's /usr/bin/chromium)."""

from __future__ import annotations

import re

import pytest

from tests.e2e_support import (
    ARTIFACTS,
    chromium,
    click_when_still,
    kept_map_frame,
    needs_chromium,
    running_app,
    settle,
)

pytestmark = [pytest.mark.e2e, needs_chromium]


@pytest.fixture(scope="module")
def user_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("user")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, user_dir):
    with running_app(user_dir, tmp_path_factory.mktemp("cache")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


# Reads every popup's content as text (HTML that was not escaped would not show as text), then
# opens each popup so that any injected markup would be put into the page and run. atlas.js makes
# a feature's popup when it is first clicked: atlas.popupOf makes each one as a click would.
_POPUPS_JS = """() => {
    const key = Object.keys(window).find(k => k.startsWith('map_'));
    const out = [];
    window[key].eachLayer(l => { if (window.atlas && l._atlasRow) window.atlas.popupOf(l); });
    window[key].eachLayer(l => {
        const p = l.getPopup && l.getPopup();
        if (!p) return;
        const c = p.getContent();  // an HTML string: parsed inertly (nothing in it runs), then read as text
        out.push(typeof c === 'string' ? new DOMParser().parseFromString(c, 'text/html').body.textContent
                                       : c.innerText);
    });
    window[key].eachLayer(l => { if (l.getPopup && l.getPopup()) l.openPopup(); });
    return out;
}"""


def _popup_texts_opening_all(target):
    """Popup texts of the folium map in ``target`` (a page or a frame); opens every popup."""
    return target.evaluate(_POPUPS_JS)


_TILE_HOSTS = ("openstreetmap.org", "autonavi.com", "tianditu.gov.cn")


def _offline_tiles(page):
    """Tile servers are out of reach (as on this machine and in CI): make that certain."""
    page.route(re.compile("|".join(re.escape(h) for h in _TILE_HOSTS)), lambda route: route.abort())


def _shot(page, name, *, full_page=False):
    """Screenshot into artifacts/; ``full_page``: the whole page (Streamlit scrolls an inner
    container, so the window is made as tall as the content for the picture)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    if full_page:
        height = page.evaluate("() => Math.max(...[...document.querySelectorAll('section, div')]"
                               ".map(e => e.scrollHeight))")
        page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 5000)})
        page.wait_for_timeout(800)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    assert path.stat().st_size > 20_000
    return path


_MARKER_XY = """(name) => {
    let p = null;
    window.map.eachLayer(l => {
        if (p || !l.getLatLng || !l.getTooltip || !l.getTooltip()) return;
        const c = l.getTooltip().getContent();
        if (typeof c === 'string' && c.startsWith(name)) {
            const q = window.map.latLngToContainerPoint(l.getLatLng()); p = [q.x, q.y]; }
    });
    return p;
}"""


# true when the map in the page draws a marker whose tooltip starts with the given name
_FRAME_HAS = """(name) => {
    const f = document.querySelector("iframe[title='streamlit_folium.st_folium']");
    const w = f && f.contentWindow;
    if (!w || !w.map) return false;
    let found = false;
    w.map.eachLayer(l => { const t = l.getTooltip && l.getTooltip();
        if (t && typeof t.getContent() === 'string' && t.getContent().startsWith(name)) found = true; });
    return found;
}"""


def _frame_of(page):
    return kept_map_frame(page)  # offline: the map drawn again with no tiles, not the first one


def _legend_text(page):
    return _frame_of(page).locator("#atlas-legend").inner_text()


def _open_map(browser, app_url, *, height=900, width=1440, path=""):
    """A new page on the app's map, tiles out of reach, once the map has drawn its legend.

    Tiles cannot load: the first map says so, and the app draws the maps without tiles (a new
    map); the page is returned once that one has drawn its legend.
    """
    page = browser.new_page(viewport={"width": width, "height": height})
    _offline_tiles(page)
    page.goto(app_url + path)
    return page, _settled_offline_map(page)


def _settled_offline_map(page):
    """The map frame once the app has fallen back to no tiles and drawn the map again (a bound
    of 2 minutes: a fresh server's first run on a machine running other tests at once)."""
    page.locator("[data-testid=stSidebar] [data-testid=stCaptionContainer]").filter(
        has_text=re.compile("瓦片无法加载|tiles cannot be loaded")).wait_for(timeout=120_000)
    chosen = page.locator("[data-testid=stSidebar] [data-testid=stSelectbox] input").first.input_value()
    assert re.match("无底图|No tiles", chosen), chosen  # the basemap choice reads what is drawn
    settle(page)
    frame = _frame_of(page)
    frame.locator("#atlas-legend").wait_for(timeout=60_000)
    return frame


def test_map_first_view_labels_offline_notice_toggle_and_search(app_url, browser):
    page, frame = _open_map(browser, app_url)
    # the whole map is in the first view of a 1440x900 screen
    box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 900, box
    legend = _legend_text(page)
    assert "科普场馆" in legend and "近似位置" in legend
    # sources of the layers shown, not of every layer (the galleries are off at first)
    attribution = frame.locator("#atlas-attribution").inner_text()
    assert "OpenStreetMap" in attribution and "cnmaps" in attribution and "科普画廊" not in attribution
    # tiles cannot load here: the basemap choice then reads "no tiles" and says why; none is drawn
    assert "瓦片无法加载" in page.locator("[data-testid=stSidebar]").inner_text()
    assert frame.evaluate("() => document.querySelectorAll('.leaflet-tile-pane img').length") == 0
    # district labels always; site labels only once zoomed in, and never overlapping
    assert frame.locator(".atlas-label-district").count() == 10
    assert frame.locator(".atlas-label-site").count() == 0
    frame.evaluate("() => { window.map.setView([29.87, 121.56], 13, {animate: false}); }")
    frame.locator(".atlas-label-site").first.wait_for(timeout=10_000)
    boxes = frame.evaluate("""() => [...document.querySelectorAll('.atlas-label')].map(e => {
        const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""")
    assert len(boxes) > 3
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            overlap_x = min(a[2], b[2]) - max(a[0], b[0])
            overlap_y = min(a[3], b[3]) - max(a[1], b[1])
            assert overlap_x <= 2 or overlap_y <= 2, (a, b)
    _shot(page, "e2e_map_zoomed_labels")
    frame.evaluate("() => { window.map.setView([29.87, 121.55], 9, {animate: false}); }")
    # toggle the 科普 layer off in the sidebar: its legend entry goes away, the map stays
    page.get_by_text("科普场馆", exact=True).first.click()
    page.wait_for_function(
        "() => { const f = document.querySelector(\"iframe[title='streamlit_folium.st_folium']\");"
        " const l = f && f.contentDocument && f.contentDocument.querySelector('#atlas-legend');"
        " return l && !l.innerText.includes('科普场馆'); }", timeout=30_000)
    assert _frame_of(page).evaluate("() => !!window.atlas")  # same iframe: not reloaded
    page.get_by_text("科普场馆", exact=True).first.click()
    page.wait_for_function(_FRAME_HAS, arg="宁波博物馆", timeout=30_000)  # sent back as a reference
    # a map that lost the layers it was sent (a rebuilt iframe) asks for them again
    _frame_of(page).evaluate("() => { window.atlas._forget(); }")
    page.get_by_text("高校", exact=True).first.click()
    page.wait_for_function(_FRAME_HAS, arg="宁波博物馆", timeout=30_000)
    _frame_of(page).wait_for_function(  # labels are placed just after the layers come back
        "() => document.querySelectorAll('.atlas-label-district').length === 10", timeout=10_000)
    page.get_by_text("高校", exact=True).first.click()
    # search a site: the card shows its name and its plan task
    box = page.get_by_label("按名称搜索（中/英）")
    box.fill("甬江实验室")
    box.press("Enter")
    page.get_by_text("构建高能级实验室梯队", exact=False).first.wait_for(timeout=30_000)
    assert page.get_by_role("heading", name="甬江实验室").count() >= 1
    page.wait_for_timeout(1000)
    _shot(page, "e2e_map")
    page.close()


#: A screen shorter than the map's least height (the map then reaches below the fold).
SHORT = 540


def test_first_click_on_a_marker_opens_its_card_without_moving_the_page(app_url, browser):
    # a short screen: the map reaches below the fold, where focusing it used to scroll the page
    page, frame = _open_map(browser, app_url, height=SHORT)
    page.wait_for_timeout(500)
    for name in ("河姆渡遗址博物馆", "中国港口博物馆"):
        frame.evaluate("() => { window.map.closePopup(); }")
        page.wait_for_timeout(400)  # the popup fades out
        xy = frame.evaluate(_MARKER_XY, name)
        box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
        # the marker is visible and the map reaches below the fold; click as a user would
        assert xy and box["y"] + xy[1] < SHORT < box["y"] + box["height"], (xy, box)
        before = page.evaluate("() => window.scrollY")
        page.mouse.move(box["x"] + xy[0], box["y"] + xy[1])
        page.mouse.down()
        page.wait_for_timeout(200)
        assert page.evaluate("() => window.scrollY") == before  # no jump on mouse-down
        page.mouse.up()
        page.get_by_role("heading", name=name).wait_for(timeout=30_000)
    _shot(page, "e2e_map_click_card")
    # a gallery (a layer outside the site list) gets a card of its own
    name = _isolated_gallery()
    page.get_by_text("科普画廊（社区/村，2021）", exact=True).first.click()
    page.wait_for_function(_FRAME_HAS, arg=name, timeout=30_000)
    frame = _frame_of(page)
    frame.evaluate("() => { window.map.closePopup(); }")
    page.wait_for_timeout(400)
    frame.evaluate("""(name) => { window.map.eachLayer(l => { const t = l.getTooltip && l.getTooltip();
        if (t && typeof t.getContent() === 'string' && t.getContent().startsWith(name))
            window.map.setView(l.getLatLng(), 13, {animate: false}); }); }""", name)
    xy = frame.evaluate(_MARKER_XY, name)
    box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
    page.get_by_role("heading", name=name).wait_for(timeout=30_000)
    assert page.get_by_text("科普画廊（社区/村，2021）", exact=False).count() >= 2  # toggle and card
    page.close()


def _isolated_gallery():
    """The name of the gallery farthest from every other point (so that a click finds it alone)."""
    import numpy as np

    from atlas.data.catalogue import layer_frame, load_catalogue, read_source

    frames = [layer_frame(x, read_source(x.source)) for x in load_catalogue() if x.geometry == "point"]
    frames = [f[~f.geometry.isna()] for f in frames]
    g = next(f for f in frames if len(f) and (f.get("category") == "kepu_gallery").all())
    pts = np.concatenate([np.column_stack([f.geometry.x, f.geometry.y]) for f in frames if len(f)])
    gx = np.column_stack([g.geometry.x, g.geometry.y])
    d = np.sqrt(((gx[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
    d[d == 0] = np.inf
    return str(g.name_zh.iloc[int(np.argmax(d.min(axis=1)))])


SHOT_NAMES = {"规划任务": "tasks", "科普服务圈": "service_areas", "覆盖缺口": "coverage", "导出": "export",
              "导入": "import"}


def test_every_page_renders_and_is_screenshotted(app_url, browser):
    page, _ = _open_map(browser, app_url)
    for nav, title, check in (
        ("规划任务", "规划任务", None),
        ("科普服务圈", "15分钟科普服务圈", "直线近似"),
        ("覆盖缺口", "覆盖缺口", "范围外"),
        ("导出", "导出简报", None),
        ("导入", "导入", None),
    ):
        page.locator("[data-testid=stSidebarNav] a", has_text=nav).first.click()
        page.locator("h1", has_text=title).first.wait_for(timeout=60_000)
        if check:  # the page's map legend lists its overlay (service circles; graduated gap shading)
            page.wait_for_function(
                "(t) => [...document.querySelectorAll(\"iframe[title='streamlit_folium.st_folium']\")]"
                ".some(f => { const d = f.contentDocument;"
                " const l = d && d.querySelector('#atlas-legend');"
                " return l && l.textContent.includes(t); })", arg=check, timeout=60_000)
        page.wait_for_timeout(1500)
        assert page.locator("[data-testid=stException]").count() == 0
        _shot(page, "e2e_page_" + SHOT_NAMES[nav], full_page=True)
    page.close()


EVIL = '<img src=x onerror="window.PWNED=1"><script>window.PWNED=2</script>'


def test_exported_html_opens_offline_and_shows_evil_names_as_text(browser, tmp_path):
    import pandas as pd

    from atlas import settings
    from atlas.data.catalogue import layer_frame, load_catalogue, read_source
    from atlas.data.geodata import sites_from_frame
    from atlas.io.export import save_html
    from atlas.webmap import build_map

    df = pd.read_csv(settings.GEODATA_DIR / "sites.csv", dtype=str, keep_default_na=False)
    df.loc[df.id == "K11", "name_zh"] = EVIL
    sites = sites_from_frame(df)
    cat = load_catalogue()
    frames = {lyr.id: layer_frame(lyr, sites if lyr.source == "sites.csv" else read_source(lyr.source))
              for lyr in cat}
    ARTIFACTS.mkdir(exist_ok=True)
    out = save_html(build_map(cat, frames, basemap="none", layer_control=True),
                    ARTIFACTS / "export_offline.html")
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    external: list[str] = []

    def block(route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            external.append(url)
            route.abort()

    page.route("**/*", block)
    page.goto(out.as_uri())
    page.locator(".leaflet-container").wait_for(timeout=30_000)
    legend = page.locator("#atlas-legend").inner_text()
    for lyr in cat:
        if lyr.visible:  # layers off by default (the 1,183 galleries) are in the layer list only
            assert lyr.legend_zh in legend
    control = page.locator(".leaflet-control-layers").inner_text()
    assert "科普场馆" in control
    texts = _popup_texts_opening_all(page)
    assert any(EVIL in t for t in texts), "the evil name must appear as literal text"
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.PWNED") is None
    assert external == []
    page.screenshot(path=str(ARTIFACTS / "export_offline.png"))
    page.close()



def test_imported_names_with_html_show_as_text_in_the_app_map(app_url, browser, user_dir):
    import pandas as pd

    from atlas.data.geodata import load_districts
    from atlas.importing import guess_columns, read_table, to_sites, validate
    from atlas.userlayers import save_user_layer

    csv = pd.DataFrame({"名称": [EVIL], "经度": [121.5412], "纬度": [29.8174]}).to_csv(index=False).encode()
    df = read_table(csv, "evil.csv")
    r = validate(df, guess_columns(list(df.columns)), datum="wgs84", districts=load_districts())
    assert r.counts() == {"ok": 1}
    save_user_layer("<b>恶意</b>图层", to_sites(r, layer_name="evil"), folder=user_dir)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    frame = kept_map_frame(page)
    frame.wait_for_selector("#atlas-legend", timeout=30_000)
    assert "<b>恶意</b>图层" in frame.locator("#atlas-legend").inner_text()  # title shown as text
    texts = _popup_texts_opening_all(frame)
    assert any(EVIL in t for t in texts)
    page.wait_for_timeout(500)
    assert frame.evaluate("() => window.PWNED") is None
    assert page.evaluate("() => window.PWNED") is None
    page.close()


def test_exported_html_shows_hostile_layer_names_and_title_as_text(browser, tmp_path):
    """Layer names, row names and the title with Jinja, HTML and script payloads: Chromium shows
    them as text in the layer switcher, legend, title and popups, and nothing runs."""
    import pandas as pd

    from atlas.data.geodata import load_districts
    from atlas.importing import guess_mapping, read_table, to_sites, validate
    from atlas.io.export import save_html
    from atlas.userlayers import save_user_layer, user_catalogue
    from atlas.webmap import build_map

    payloads = ["{{ 7*7 }}", "{% if true %}X{% endif %}", "</script><script>window.PWNED=3</script>",
                '<img src=x onerror="window.PWNED=4">', "${7*7}"]
    districts = load_districts()
    for i, p in enumerate(payloads):
        df = pd.DataFrame({"名称": [p], "经度": [121.54 + i / 100], "纬度": [29.87], "地址": [p]})
        table = read_table(df.to_csv(index=False).encode("utf-8"), "evil.csv")
        r = validate(table, guess_mapping(table).mapping, datum="wgs84", districts=districts)
        save_user_layer(p, to_sites(r, layer_name="evil"), folder=tmp_path)
    layers, frames = user_catalogue(folder=tmp_path)
    title = payloads[0] + payloads[3]
    out = save_html(build_map(layers, frames, basemap="none", layer_control=True, title=title),
                    tmp_path / "hostile.html")
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(out.as_uri())
    page.locator(".leaflet-container").wait_for(timeout=30_000)
    control = page.locator(".leaflet-control-layers-overlays").inner_text()
    legend = page.locator("#atlas-legend").inner_text()
    for p in payloads:
        assert f"我的图层：{p}" in control and f"我的图层：{p}" in legend
    assert page.locator("#atlas-title").inner_text() == title and page.title() == title
    texts = _popup_texts_opening_all(page)
    assert all(any(p in t for t in texts) for p in payloads)
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.PWNED") is None and dialogs == []
    page.close()


def test_straight_line_circles_show_hatched_and_walking_areas_flat_in_chromium(browser, tmp_path):
    """A straight-line circle must be easy to see and unlike a walking area: in the drawn map its
    inside is hatched (lines: varying pixels) and as dark as a walking area's flat tint, or darker."""
    import io

    import numpy as np
    from PIL import Image

    from atlas.analysis.service_area import proxy_areas
    from atlas.data.geodata import load_sites
    from atlas.io.export import save_html
    from atlas.webmap import areas_group, build_map

    sites = load_sites()
    two = sites[sites.id.isin(["K11", "K01"])].dropna(subset=["lon"])
    proxy = proxy_areas(two.iloc[:1])
    walking = proxy_areas(two.iloc[1:]).assign(method="network")
    b = two.total_bounds
    m = build_map([], {}, basemap="none", extra_groups=[areas_group(proxy), areas_group(walking)],
                  fit=(b[0] - 0.02, b[1] - 0.02, b[2] + 0.02, b[3] + 0.02))
    out = save_html(m, tmp_path / "areas.html")
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    page.goto(out.as_uri())
    page.locator(".leaflet-container").wait_for(timeout=30_000)
    page.wait_for_timeout(800)
    xy = page.evaluate("""(pts) => {
        const key = Object.keys(window).find(k => k.startsWith('map_'));
        return pts.map(p => window[key].latLngToContainerPoint([p[1], p[0]])).map(q => [q.x, q.y]);
    }""", [[float(g.x), float(g.y)] for g in two.geometry])
    img = np.asarray(Image.open(io.BytesIO(page.locator(".leaflet-container").screenshot())).convert("L"),
                     dtype=float)
    page.close()

    def patch(x, y, r=12):  # beside the site (its marker is not drawn here), inside its circle
        return img[int(y) - r - 20:int(y) + r - 20, int(x) - r:int(x) + r]

    background = float(np.median(img[:40, -200:]))
    hatched, flat = patch(*xy[0]), patch(*xy[1])
    assert hatched.std() > 20 and flat.std() < 3  # lines versus an even tint
    assert background - hatched.mean() >= 0.9 * (background - flat.mean()) > 5  # at least as visible


def test_areas_get_their_tooltip_and_popup_when_hovered_and_clicked(browser, tmp_path):
    """atlas.js makes an area's tooltip and popup on first hover and click (a coverage map has
    thousands of cells): a real mouse still gets both, with the area's own text."""
    from atlas.data.catalogue import layer_frame, load_catalogue, read_source
    from atlas.io.export import save_html
    from atlas.webmap import build_map

    cat = load_catalogue()
    frames = {lyr.id: layer_frame(lyr, read_source(lyr.source)) for lyr in cat}
    out = save_html(build_map(cat, frames, basemap="none", visible=["districts"]), tmp_path / "d.html")
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(out.as_uri())
    page.locator(".leaflet-container").wait_for(timeout=30_000)
    district = frames["districts"].set_index("name_zh").geometry["鄞州区"].representative_point()
    xy = page.evaluate("""(p) => {
        const key = Object.keys(window).find(k => k.startsWith('map_'));
        let bound = 0; window[key].eachLayer(l => { if (l._atlasRow && (l._tooltip || l._popup)) bound++; });
        const q = window[key].latLngToContainerPoint([p[1], p[0]]); return [q.x, q.y, bound]; }""",
                       [district.x, district.y])
    assert xy[2] == 0  # nothing made before it is wanted
    box = page.locator(".leaflet-container").bounding_box()
    page.mouse.move(box["x"] + xy[0] - 3, box["y"] + xy[1] - 3)
    page.mouse.move(box["x"] + xy[0], box["y"] + xy[1], steps=3)
    page.locator(".leaflet-tooltip:not(.atlas-label)", has_text="鄞州区").wait_for(timeout=5_000)
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
    page.locator(".leaflet-popup-content", has_text="鄞州区").wait_for(timeout=5_000)
    page.close()


def test_gap_shading_is_a_few_paths_and_each_cell_keeps_its_tooltip(browser, tmp_path):
    """Hundreds of shaded cells are drawn as one path per colour; hovering a cell still shows that
    cell's own tooltip (found under the mouse), and a cell of another colour shows its own."""
    import geopandas as gpd
    import h3
    import numpy as np
    import shapely

    from atlas.io.export import save_html
    from atlas.webmap import build_map, cells_group

    cells = sorted(h3.grid_disk(h3.latlng_to_cell(29.87, 121.55, 8), 8))  # 217 cells
    rng = np.random.default_rng(3)
    uncovered = rng.choice([50.0, 400.0, 2000.0, 9000.0], len(cells))
    gdf = gpd.GeoDataFrame({"h3": cells, "district": [f"单元{i}" for i in range(len(cells))],
                            "uncovered": uncovered},
                           geometry=[shapely.Polygon([(lo, la) for la, lo in h3.cell_to_boundary(c)])
                                     for c in cells], crs="EPSG:4326")
    b = gdf.total_bounds
    out = save_html(build_map([], {}, basemap="none", extra_groups=[cells_group(gdf)], fit=tuple(b)),
                    tmp_path / "cells.html")
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(out.as_uri())
    page.locator(".leaflet-container").wait_for(timeout=30_000)
    paths = page.evaluate("""() => { const key = Object.keys(window).find(k => k.startsWith('map_'));
        let n = 0; window[key].eachLayer(l => { if (l instanceof L.Polygon) n++; }); return n; }""")
    assert paths == len(set(uncovered.tolist())) < len(cells) / 20
    box = page.locator(".leaflet-container").bounding_box()
    for i in (0, 100, 216):
        c = gdf.geometry.iloc[i].centroid
        xy = page.evaluate("""(p) => { const key = Object.keys(window).find(k => k.startsWith('map_'));
            const q = window[key].latLngToContainerPoint([p[1], p[0]]); return [q.x, q.y]; }""", [c.x, c.y])
        page.mouse.move(box["x"] + xy[0] - 2, box["y"] + xy[1] - 2)
        page.mouse.move(box["x"] + xy[0], box["y"] + xy[1], steps=2)
        tip = page.locator(".leaflet-tooltip")
        tip.filter(has_text=f"单元{i} ·").wait_for(timeout=5_000)
        page.wait_for_timeout(300)  # a tooltip closed on the way fades out over 200 ms
        assert tip.count() == 1
    page.close()


# --- a map that fits (issue 19) -------------------------------------------------------------

def _city_bounds():
    from atlas.data.geodata import load_city_outline

    return [float(x) for x in load_city_outline().total_bounds]


_VIEW_JS = """() => { const b = window.map.getBounds(), s = window.map.getSize();
    return {w: b.getWest(), s: b.getSouth(), e: b.getEast(), n: b.getNorth(), zoom: window.map.getZoom(),
            x: s.x, y: s.y, cx: window.map.getCenter().lng, cy: window.map.getCenter().lat}; }"""


@pytest.mark.parametrize("size", [(1440, 900), (1280, 720)])
def test_first_view_shows_the_whole_city_on_screen(app_url, browser, size):
    page, frame = _open_map(browser, app_url, width=size[0], height=size[1])
    page.wait_for_timeout(1000)
    v = frame.evaluate(_VIEW_JS)
    w, s, e, n = _city_bounds()
    # the whole city outline is inside the map's view...
    assert v["w"] <= w and v["e"] >= e and v["s"] <= s and v["n"] >= n, (v, (w, s, e, n))
    # ...and fills it (not a view of half a province around it)
    assert (n - s) / (v["n"] - v["s"]) > 0.8 or (e - w) / (v["e"] - v["w"]) > 0.8, v
    # the map itself is on screen, and takes most of the page's width
    box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
    main = page.evaluate("""() => { const e = document.querySelector('[data-testid=stMainBlockContainer]');
        const c = getComputedStyle(e);
        return e.clientWidth - parseFloat(c.paddingLeft) - parseFloat(c.paddingRight); }""")
    assert box["y"] >= 0 and box["y"] + box["height"] <= size[1] + 1, box
    assert box["width"] >= 0.65 * main, (box, main)
    # the map's own size is the iframe's (it fills it)
    assert abs(v["y"] - box["height"]) <= 2 and abs(v["x"] - box["width"]) <= 2, (v, box)
    if size == (1280, 720):  # the legend: folded to its title, opens and folds with a click
        share = frame.evaluate("""() => { const r = document.getElementById('atlas-legend')
            .getBoundingClientRect(); const s = window.map.getSize();
            return r.width * r.height / (s.x * s.y); }""")
        assert share < 0.15, share
        assert not frame.locator("#atlas-legend").get_by_text("科普场馆").is_visible()
        frame.locator("#atlas-legend .atlas-legend-toggle").click()
        frame.locator("#atlas-legend").get_by_text("科普场馆").wait_for(timeout=5_000)
        frame.locator("#atlas-legend b").first.click()
        assert not frame.locator("#atlas-legend").get_by_text("科普场馆").is_visible()
    _shot(page, f"e2e_map_first_view_{size[0]}x{size[1]}")
    page.close()


_RINGS_JS = """() => { const out = []; window.map.eachLayer(l => {
    if (l instanceof L.CircleMarker && !l.options.interactive && l.options.weight === 3 && !l.options.fill)
        out.push([l.getLatLng().lat, l.getLatLng().lng]); }); return out; }"""


def test_a_search_pick_rings_and_zooms_to_that_one_feature(app_url, browser):
    from atlas.data.geodata import load_sites

    sites = load_sites()
    placed = sites[~sites.geometry.isna()]
    hits = placed[placed.name_zh.str.contains("宁波")]
    assert len(hits) >= 3  # a query with several matches
    page, frame = _open_map(browser, app_url)
    settle(page)
    box = page.get_by_label("按名称搜索（中/英）")
    box.fill("宁波")
    box.press("Enter")
    settle(page)
    pick = page.locator("[data-testid=stSelectbox]").filter(has_text="搜索结果")
    pick.click()
    options = page.locator("[role=option]")
    options.first.wait_for(timeout=10_000)
    target = options.nth(2).inner_text().strip()
    options.nth(2).click()
    page.get_by_role("heading", name=target).wait_for(timeout=30_000)
    settle(page)
    row = placed[placed.name_zh == target].iloc[0]
    frame = _frame_of(page)
    frame.wait_for_function("() => window.map.getZoom() >= 12", timeout=10_000)
    rings = frame.evaluate(_RINGS_JS)
    assert len(rings) >= 1 and all(abs(r[0] - row.geometry.y) < 1e-4 and abs(r[1] - row.geometry.x) < 1e-4
                                   for r in rings), (rings, target)
    v = frame.evaluate(_VIEW_JS)
    assert v["w"] < row.geometry.x < v["e"] and v["s"] < row.geometry.y < v["n"], v
    _shot(page, "e2e_map_search_pick")
    page.close()


def test_a_task_link_opens_the_map_in_the_same_tab_zoomed_to_the_tasks_features(app_url, browser):
    from atlas.data.geodata import load_sites, parse_tasks

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    _offline_tiles(page)
    page.goto(app_url)  # the map first: the app learns that tiles cannot load here
    _settled_offline_map(page)
    page.locator("[data-testid=stSidebarNav] a", has_text="规划任务").first.click()
    page.locator("h1", has_text="规划任务").first.wait_for(timeout=60_000)
    settle(page)
    task = 2  # 甬江科创区: features in a few districts, not the whole city
    expander = page.locator("[data-testid=stExpander]").filter(has_text="以世界一流标准打造甬江科创区").first
    expander.locator("summary").click()
    link = expander.locator("[data-testid=stPageLink] a").filter(has_text="在地图上查看").first
    click_when_still(page, link)  # the expander is still opening
    page.wait_for_url(re.compile(rf"\?task={task}$"), timeout=30_000)
    assert len(context.pages) == 1  # the same tab
    settle(page)
    frame = _frame_of(page)
    frame.locator("#atlas-legend").wait_for(timeout=30_000)
    sites = load_sites()
    feats = sites[~sites.geometry.isna() & sites.policy_tasks.map(lambda v: task in parse_tasks(v))]
    frame.wait_for_function("() => window.map.getZoom() > 10", timeout=10_000)
    v = frame.evaluate(_VIEW_JS)
    x0, y0, x1, y1 = feats.total_bounds
    assert v["w"] <= x0 and v["e"] >= x1 and v["s"] <= y0 and v["n"] >= y1, (v, feats.total_bounds)
    _w, s, _e, n = _city_bounds()
    assert (v["n"] - v["s"]) < 0.6 * (n - s), v  # zoomed in: not the whole city
    assert "仅显示任务 2 涉及的要素" in page.locator("[data-testid=stMain]").inner_text()
    context.close()


def test_an_offline_notice_never_covers_an_open_popup(browser, tmp_path):
    from atlas.data.catalogue import layer_frame, load_catalogue, read_source
    from atlas.io.export import save_html
    from atlas.webmap import build_map

    cat = load_catalogue()
    frames = {lyr.id: layer_frame(lyr, read_source(lyr.source)) for lyr in cat}
    out = save_html(build_map(cat, frames, basemap="osm"), tmp_path / "osm.html")
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
    page.goto(out.as_uri())
    page.locator("#atlas-offline").wait_for(state="visible", timeout=30_000)
    # a popup of the northernmost feature, opened at the top of the map (under the notice)
    page.evaluate("""() => { const key = Object.keys(window).find(k => k.startsWith('map_'));
        const m = window[key]; let top = null;
        m.eachLayer(l => { if (l._atlasRow && l.getLatLng
                               && (!top || l.getLatLng().lat > top.getLatLng().lat)) top = l; });
        m.setView(top.getLatLng(), 12, {animate: false});
        m.panBy([0, 300], {animate: false});
        window.atlas.popupOf(top); top.openPopup(); }""")
    page.locator(".leaflet-popup").wait_for(timeout=5_000)
    page.wait_for_timeout(500)
    popup = page.locator(".leaflet-popup-content").bounding_box()
    notice = page.locator("#atlas-offline")
    if notice.is_visible():
        nb = notice.bounding_box()
        assert nb["y"] + nb["height"] <= popup["y"] or nb["y"] >= popup["y"] + popup["height"] or \
            nb["x"] + nb["width"] <= popup["x"] or nb["x"] >= popup["x"] + popup["width"], (nb, popup)
    page.evaluate("() => { window[Object.keys(window).find(k => k.startsWith('map_'))].closePopup(); }")
    page.wait_for_timeout(300)
    assert notice.is_visible()  # back once the popup is closed
    page.close()
