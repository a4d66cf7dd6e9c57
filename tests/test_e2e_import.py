"""End-to-end: the import page clicked through in real headless Chromium, with hostile files.

Every file is made by tests/hostile_files.py (or here, for the two header layouts that need the
user's confirmation) and uploaded through the page's own file input; the assertions are on what
the planner sees: what reading detected, the layer picker, the confirmation gate, the refusals in
Chinese and English, the datum warning, the saved layer on the map page, and never a traceback or
a server path.
"""

from __future__ import annotations

import re

import pytest

from tests import hostile_files as hf
from tests.e2e_support import (
    ARTIFACTS,
    assert_clean,
    chromium,
    kept_map_frame,
    main_text,
    needs_chromium,
    running_app,
    settle,
)

pytestmark = [pytest.mark.e2e, needs_chromium]

@pytest.fixture(scope="module")
def user_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("user")


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, user_dir, browser):
    with running_app(user_dir, tmp_path_factory.mktemp("cache")) as url:
        # The first session of a fresh server that opens a page other than the main one gets
        # Streamlit's "Page not found" dialog (st.navigation registers its pages on the first
        # run; streamlit/streamlit#9624), which makes the page inert: open the main page first.
        p = browser.new_page()
        p.goto(url)
        p.locator("[data-testid='stSidebarNav']").wait_for(timeout=90_000)
        p.close()
        yield url


@pytest.fixture
def page(app_url, browser):
    """A fresh session on the import page."""
    p = browser.new_page(viewport={"width": 1400, "height": 1000})
    p.goto(f"{app_url}/import")
    p.locator("[data-testid='stFileUploader'] input[type=file]").first.wait_for(
        state="attached", timeout=90_000)
    settle(p)
    if p.get_by_text("Page not found").count():  # streamlit/streamlit#9624 (see app_url): the
        p.keyboard.press("Escape")  # page itself did load; the dialog only makes it inert
        settle(p)
    yield p
    p.close()


@pytest.fixture
def upload(page, tmp_path):
    """Put a file into the page's uploader; wait for ``wait_for`` (a text) and the run to finish.

    The file goes through a path (Playwright sends a buffer through its driver pipe: 32 MB took
    47 s; a path is handed to Chromium as is).
    """
    def put(data: bytes, name: str, *, wait_for: str | None = None, timeout_ms: int = 60_000) -> str:
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}" / name
        path.parent.mkdir()
        path.write_bytes(data)
        page.locator("[data-testid='stFileUploader'] input[type=file]").first.set_input_files(str(path))
        if wait_for is not None:
            page.get_by_text(wait_for, exact=False).first.wait_for(timeout=timeout_ms)
        settle(page, timeout_ms=timeout_ms)
        return main_text(page)

    return put


def choose_datum(page, label: str) -> str:
    page.get_by_text(label, exact=True).first.click()
    settle(page)
    return main_text(page)


def select_option(page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label``."""
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def selected(page, label: str) -> str:
    """The value shown by the selectbox labelled ``label``."""
    return str(page.get_by_role("combobox", name=label, exact=True).input_value())


def switch_to_english(page) -> None:
    page.locator("[data-testid='stSidebar']").get_by_text("English", exact=True).click()
    settle(page)


def metric(page, label: str) -> int:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return int(box.locator("[data-testid='stMetricValue']").inner_text().replace(",", ""))


# --- good files: detected, checked, saved, on the map ------------------------------------------------

def test_semicolon_csv_and_polygon_geojson_save_and_show_on_the_map(page, upload, app_url):
    data, _, truth = hf.csv_delimited(delimiter=";", n=20, seed=3)
    text = upload(data, "分号清单.csv", wait_for="分隔符")
    assert "20 行 · 分号清单.csv · CSV · UTF-8 · 分隔符: 分号 · 表头在第 1 行" in text
    assert "我已核对以上列对应" not in text  # plain Chinese headers need no confirmation
    text = choose_datum(page, "WGS84（GPS）")
    assert "检查结果" in text
    assert metric(page, "有效") == len(truth["names"]) and metric(page, "有错误") == 0
    assert "所选坐标系看来正确" in text or "无法确认坐标系" in text  # a datum verdict is always given
    assert_clean(page)
    # the page after a successful check, down to the save button (Streamlit scrolls its main
    # area itself, so a tall window is what shows all of it)
    page.set_viewport_size({"width": 1400, "height": 1750})
    page.locator("[data-testid='stDataFrame'] canvas").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="保存有效行为我的图层").wait_for(timeout=30_000)
    page.wait_for_timeout(1000)  # the grid paints its cells after it is attached
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "e2e_import.png"))
    name_box = page.get_by_label("图层名称")
    name_box.fill("E2E分号清单")
    name_box.press("Enter")
    settle(page)
    page.get_by_role("button", name="保存有效行为我的图层").click()
    page.get_by_text("已保存为新图层：v1").wait_for(timeout=30_000)
    settle(page)
    assert "E2E分号清单" in main_text(page).split("我的图层", 1)[1]

    # an area layer: polygons kept as shapes. Nothing of the first file's answers carries over:
    # the datum is asked again, and the layer name is this file's (not a new version of the first)
    data, _, truth = hf.geojson_shapes(n=4, kinds=("polygon",), seed=5)
    text = upload(data, "areas.geojson", wait_for="GEOJSON")
    assert "检查结果" not in text
    assert page.get_by_label("图层名称").count() == 0
    text = choose_datum(page, "WGS84（GPS）")
    assert page.get_by_label("图层名称").input_value() == "areas"
    assert "线和面要素" in text and "化为代表点" in text
    page.get_by_text("保留形状，保存为线/面图层").click()
    settle(page)
    name_box = page.get_by_label("图层名称")
    name_box.fill("E2E面图层")
    name_box.press("Enter")
    settle(page)
    page.get_by_role("button", name="保存有效行为我的图层").click()
    page.get_by_text("已保存为新图层：v1").wait_for(timeout=30_000)
    assert_clean(page)

    # both layers are on the map page, in the legend and as sidebar toggles
    page.goto(app_url)
    page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", timeout=90_000)
    frame = page.frame_locator("iframe[title='streamlit_folium.st_folium']").first
    legend = frame.locator("#atlas-legend")
    legend.wait_for(timeout=60_000)
    assert "我的图层：E2E分号清单" in legend.inner_text()
    assert "我的图层：E2E面图层" in legend.inner_text()
    # the map page may rerun once more (a basemap whose tiles failed falls back to "no tiles"),
    # redrawing the sidebar: wait for each toggle rather than reading the sidebar mid-run
    sidebar = page.locator("[data-testid='stSidebar']")
    for name in ("我的图层：E2E分号清单", "我的图层：E2E面图层"):
        sidebar.get_by_text(name).first.wait_for(timeout=60_000)
    assert_clean(page)


# --- reading: title rows, URL column, confirmation, layers, merged cells ------------------------------

def _csv(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def test_title_rows_and_a_website_column_need_confirmation_every_time(page, upload):
    s = hf.sites(8, seed=7)
    rows = [f"https://example.org/v/{i},{s.name[i]},{s.lon[i]},{s.lat[i]}" for i in range(len(s))]
    data = _csv(["2024年宁波市科普场所名单", "（内部资料）", "Website,场馆,经度,纬度", *rows])
    text = upload(data, "titled.csv", wait_for="表头在第 3 行")
    assert "跳过表头上方的 2 行标题" in text
    assert "没有列名像“名称”，按内容推测为“场馆”，请确认" in text  # not the Website column
    assert "我已核对以上列对应" in text
    assert "坐标系（请按数据来源选择" not in text  # the page stops at the gate
    assert selected(page, "名称") == "场馆"
    page.get_by_text("我已核对以上列对应").click()
    settle(page)
    text = choose_datum(page, "WGS84（GPS）")
    assert metric(page, "有效") == 8

    # a second file needing confirmation: the earlier tick must not carry over
    data = _csv(["名称,Name,经度,纬度",
                 *[f"{s.name[i]},{s.name[i]}x,{s.lon[i]},{s.lat[i]}" for i in range(8)]])
    text = upload(data, "two_names.csv", wait_for="可对应多列")
    assert "我已核对以上列对应" in text
    box = page.locator("[data-testid='stCheckbox']").filter(has_text="我已核对以上列对应")
    assert box.locator("input").is_checked() is False
    assert "检查结果" not in text
    assert_clean(page)


def test_multi_layer_geopackage_asks_which_layer(page, upload):
    data, name, truth = hf.gpkg_layers(layers=3, n=4, seed=2)
    text = upload(data, name, wait_for="请选择一个")
    assert "文件含 3 个有数据的图层（layer_0、layer_1、layer_2）" in text
    assert selected(page, "选择要读取的图层/工作表") == ""  # nothing read yet, nothing preselected
    select_option(page, "选择要读取的图层/工作表", "layer_0")  # the first one is a choice too
    page.get_by_text("已读取图层“layer_0”").wait_for(timeout=30_000)
    assert f"{truth['rows']['layer_0']} 行 · multi.gpkg · GPKG" in main_text(page)
    select_option(page, "选择要读取的图层/工作表", "layer_1")
    page.get_by_text("已读取图层“layer_1”").wait_for(timeout=30_000)
    assert f"{truth['rows']['layer_1']} 行 · multi.gpkg · GPKG" in main_text(page)
    choose_datum(page, "WGS84（GPS）")
    assert metric(page, "有效") == truth["rows"]["layer_1"]
    assert_clean(page)


def test_merged_cells_are_repaired_and_said_so(page, upload):
    data, name, _ = hf.xlsx_merged_category(n=12, seed=4)
    text = upload(data, name, wait_for="合并单元格")
    assert "已修复 3 处合并单元格：合并值已填入被合并的 9 个单元格" in text
    assert "12 行 · merged.xlsx · XLSX · 表头在第 1 行" in text
    choose_datum(page, "WGS84（GPS）")
    assert metric(page, "有效") == 12 and metric(page, "有错误") == 0
    assert_clean(page)


# --- refusals and warnings, in Chinese and English ----------------------------------------------------

def test_hostile_workbooks_are_refused_in_chinese_and_english(page, upload):
    data, name, _ = hf.xlsx_big_cell(mib=64)
    text = upload(data, name, wait_for="内容过长")
    assert "表格中有单元格内容过长（上限 32,767 字符）" in text
    assert "检查结果" not in text
    assert_clean(page)
    data, name, _ = hf.xlsx_million_rows(rows=200_010)
    text = upload(data, name, wait_for="行数过多", timeout_ms=90_000)
    assert re.search(r"行数过多（超过上限 200,000 行", text)
    assert_clean(page)
    switch_to_english(page)
    text = main_text(page)
    assert "Too many rows (more than the limit of 200,000" in text
    data, name, _ = hf.xlsx_big_cell(mib=1)
    text = upload(data, name, wait_for="too long")
    assert "A cell in the workbook is too long (limit 32,767 characters)" in text
    data, name, _ = hf.malformed_geo(kind="gpkg")
    text = upload(data, name, wait_for="cannot be read")
    assert_clean(page)


def test_a_gcj02_list_declared_wgs84_is_flagged(page, upload):
    data, name, _ = hf.gcj_near_lines(n=80, seed=1)
    upload(data, name, wait_for="分隔符")
    text = choose_datum(page, "WGS84（GPS）")
    assert "坐标系可能选错了：按 GCJ-02 处理明显更吻合" in text
    assert re.search(r"按 WGS84 有 \d+ 个点落在海中、市外或所填区县之外，按 GCJ-02 只有 \d+ 个", text)
    switch_to_english(page)
    text = main_text(page)
    assert "80 rows · unknown_places.csv · CSV · UTF-8 · delimiter: comma · header on row 1" in text
    assert "The datum is probably wrong: GCJ-02 fits clearly better." in text
    assert metric(page, "valid") == 80
    text = choose_datum(page, "GCJ-02 (AMap/Tencent)")  # the datum names follow the language too
    assert "The datum is probably wrong" not in text
    assert_clean(page)


def _shot(page, name: str) -> None:
    """Screenshots of the page at the two planners' window sizes (kept out of the repo)."""
    from pathlib import Path

    out = Path("/work/shots/c")
    if out.parent.is_dir():
        out.mkdir(exist_ok=True)
        for w, h in ((1440, 900), (1280, 720)):
            page.set_viewport_size({"width": w, "height": h})
            page.get_by_text("的距离", exact=False).or_(page.get_by_text("Distance to", exact=False)) \
                .first.scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            page.screenshot(path=str(out / f"{name}_{w}x{h}.png"))


def test_a_row_far_from_its_namesake_is_named_in_a_warning(page, upload):
    from pyproj import Geod

    from atlas.data.geodata import load_sites
    from atlas.geo.datum import from_wgs84

    ref = load_sites().set_index("name_zh").geometry
    far = Geod(ellps="WGS84").fwd(ref["宁波博物馆"].x, ref["宁波博物馆"].y, 90, 7145)[:2]
    pts = [("宁波博物馆", *far), ("宁波图书馆(新馆)", ref["宁波图书馆(新馆)"].x, ref["宁波图书馆(新馆)"].y)]
    lines = ["名称,经度,纬度"]
    for name, lon, lat in pts:
        glon, glat = from_wgs84(lon, lat, datum="gcj02")
        lines.append(f"{name},{float(glon):.6f},{float(glat):.6f}")
    upload(("\n".join(lines) + "\n").encode(), "两个场馆.csv", wait_for="分隔符")
    text = choose_datum(page, "GCJ-02（高德/腾讯）")
    assert "看来正确" not in text
    assert re.search(r"与同名已知地点的中位偏差为 3,\d{3} 米（按 GCJ-02）", text)
    assert re.search(r"第 2 行「宁波博物馆」7,1\d\d 米", text)
    _shot(page, "datum_far_row_zh")
    switch_to_english(page)
    text = main_text(page)
    assert "looks right" not in text and re.search(r"row 2 “宁波博物馆” 7,1\d\d m", text)
    _shot(page, "datum_far_row_en")
    assert_clean(page)


# --- the largest allowed cells: stored whole, shown short, the map stays usable -----------------------

_TOOLTIPS_JS = """() => {
    const out = [];
    window.map.eachLayer(l => {
        const t = l.getTooltip && l.getTooltip();
        if (t) { const c = t.getContent(); out.push(typeof c === 'string' ? c : c.innerText); }
    });
    return out;
}"""


def test_a_thousand_names_of_32000_characters_import_and_map(page, upload, app_url, user_dir):
    from atlas.userlayers import list_user_layers, load_user_layer
    from atlas.webmap import TIP_CHARS

    s = hf.sites(1000, seed=11)
    s["name"] = [f"长名{i}-" + "A" * 31_990 for i in range(len(s))]
    data = s.rename(columns={"name": "名称", "lon": "经度", "lat": "纬度", "address": "地址"}).to_csv(
        index=False).encode("utf-8")
    text = upload(data, "long_names.csv", wait_for="1,000 行", timeout_ms=90_000)
    choose_datum(page, "WGS84（GPS）")
    assert metric(page, "有效") == 1000
    page.get_by_role("button", name="保存有效行为我的图层").click()
    page.get_by_text("已保存为新图层：v1").wait_for(timeout=60_000)
    text = assert_clean(page)
    assert "A" * 1000 not in text  # no 32,000-character name printed on the page
    key = next(r["key"] for r in list_user_layers(folder=user_dir) if r["name"] == "long_names")
    assert load_user_layer(key, folder=user_dir).name_zh.tolist() == s.name.tolist()  # stored whole

    page.goto(app_url)
    inner = kept_map_frame(page)  # offline: not the first map, whose tiles failed and was replaced
    inner.wait_for_function("() => { const l = document.querySelector('#atlas-legend');"
                            " return l && l.innerText.includes('long_names'); }", timeout=60_000)
    tips = inner.evaluate(_TOOLTIPS_JS)
    long_tips = [t for t in tips if t.startswith("长名")]
    assert len(long_tips) == 1000 and max(map(len, long_tips)) <= TIP_CHARS
    assert_clean(page)
