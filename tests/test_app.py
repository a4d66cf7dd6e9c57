"""Streamlit AppTest runs of every page (no browser)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_support import run_page as _run
from ui.cards import md_escape

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
MAP = "pages/0_地图_Map.py"




@pytest.mark.parametrize("page", ["streamlit_app.py", *PAGES])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_runs_without_exception(page, lang):
    at = _run(page, lang=lang)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def test_map_page_search_shows_card_with_tasks_and_accuracy():
    at = _run(MAP)
    at.text_input(key="search").input("科学探索").run()
    assert not at.exception
    md = " ".join(m.value for m in at.markdown)
    assert "宁波科学探索中心" in md
    assert "加强科学传播和科学普及" in md and "市科协" in md  # task 23 and its lead unit
    assert "±300 m" in md
    assert any("近似" in w.value for w in at.warning)  # estimate is flagged


def test_map_page_layer_toggle_and_task_link():
    at = _run(MAP)
    at.checkbox(key="show_kepu_sites").uncheck().run()
    assert not at.exception
    at2 = AppTest.from_file(str(ROOT / MAP), default_timeout=120)
    at2.query_params["task"] = "23"
    at2.run()
    assert not at2.exception
    assert any("任务 23" in i.value for i in at2.info)


def _map_args(at: AppTest) -> dict:
    import json

    (el,) = [e for e in at.get("component_instance") if e.proto.component_name.endswith("st_folium")]
    return json.loads(el.proto.json_args)


def test_a_layer_toggle_rebuilds_no_other_layer_and_keeps_the_base_map():
    import streamlit as st

    from atlas import webmap

    builds: list[tuple[str, str]] = []
    webmap.BUILD_HOOKS.append(lambda kind, name: builds.append((kind, name)))
    try:
        st.cache_resource.clear()
        at = _run(MAP)
        shown = [k.removeprefix("show_") for k in at.session_state if k.startswith("show_")
                 and at.session_state[k]]
        layer_builds = sorted(n for k, n in builds if k == "layer")
        assert layer_builds == sorted(shown) and len(shown) >= 8  # each visible layer once
        before = _map_args(at)
        builds.clear()
        at.checkbox(key="show_kepu_sites").uncheck().run()
        off = _map_args(at)
        at.checkbox(key="show_kepu_sites").check().run()
        assert [b for b in builds if b[0] == "layer"] == []  # nothing rebuilt: specs are cached
        assert off["script"] == before["script"] and off["key"] == before["key"]  # same base map
        assert len(off["feature_group"]) < len(before["feature_group"])  # only overlays changed
        assert "科普场馆" not in off["feature_group"] and "科普场馆" in before["feature_group"]
        # a layer whose spec is not cached yet: exactly that one is built
        at.checkbox(key="show_universities").uncheck().run()
        st.cache_resource.clear()
        at.run()
        builds.clear()
        at.checkbox(key="show_universities").check().run()
        assert [n for k, n in builds if k == "layer"] == ["universities"]
    finally:
        webmap.BUILD_HOOKS.clear()


def _folium_args(which: str) -> dict:
    """Component arguments for the same map drawn by st_folium (reference) or by ui.mapview."""
    def script(which: str):
        import streamlit as st  # noqa: F401
        from streamlit_folium import st_folium

        from atlas import webmap
        from ui import common, mapview

        views = mapview.catalogue_views(["districts", "kepu_sites"], lang="zh", datum="wgs84")
        overlays = [mapview.view_overlay(v, lang="zh") for v in views]
        fit = (121.0, 29.5, 121.9, 30.1)
        if which == "mapview":
            mapview.show(mapview.base(lang="zh", basemap="none", tianditu_key=None), overlays, key="k",
                         height=500, lang="zh", fit=fit, returned_objects=["last_object_clicked"])
        else:
            attributions = sorted({x.attribution for x in common.catalogue() if x.attribution})
            m, _ = webmap.base_map(lang="zh", basemap="none", asset_url=mapview.asset_url(),
                                   attributions=attributions)
            legend = [e for o in overlays for e in o.legend]
            sources = [o.attribution for o in overlays if o.attribution]
            st_folium(m, key="k", height=500, use_container_width=True,
                      feature_group_to_add=[*(o.group() for o in overlays),
                                            webmap.ui_script(legend=legend, lang="zh", fit=fit,
                                                             attributions=sources)],
                      returned_objects=["last_object_clicked"])

    at = AppTest.from_function(script, args=(which,), default_timeout=120).run()
    assert not at.exception, at.exception
    return _map_args(at)


def test_the_fast_map_path_gives_streamlit_folium_what_st_folium_would():
    """ui.mapview calls streamlit-folium's component with cached strings instead of st_folium:
    the arguments must stay the same (this catches a streamlit-folium upgrade that changes them)."""
    import re

    ref, ours = _folium_args("st_folium"), _folium_args("mapview")
    assert ref.keys() == ours.keys()
    for k in ref:
        if k == "feature_group":
            assert re.sub(r"\s+", "", ours[k]) == re.sub(r"\s+", "", ref[k])
        else:
            assert ours[k] == ref[k], k


def test_map_click_on_a_marker_opens_its_card():
    at = _run(MAP)
    # what streamlit-folium returns for a click on 宁波博物馆's marker (tooltip text + position)
    at.session_state["_map_click"] = None
    from ui import mapview

    views = mapview.catalogue_views(["kepu_sites"], lang="zh", datum="wgs84")
    (v,) = views
    i = v.ids.index("K02")
    out = {"last_object_clicked": {"lat": v.lat[i] + 1e-4, "lng": v.lon[i]},
           "last_object_clicked_tooltip": v.tips[i]}
    assert mapview.clicked_feature(out, views, state_key="_t") == ("kepu_sites", "K02")


def test_tasks_page_links_every_task_with_features_to_the_map():
    at = _run("pages/1_规划任务_Tasks.py")
    md = " ".join(m.value for m in at.markdown)
    assert "(/?task=23)" in md and "(/?task=2)" in md
    assert len(at.expander) == 24


SA_PAGE = "pages/2_科普服务圈_Service_areas.py"


def test_service_area_page_offline_shows_labelled_proxies():
    at = _run(SA_PAGE)
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "直线近似" in warnings and "euclidean-proxy" not in warnings  # Chinese words only
    df = at.dataframe[0].value  # a table for people: headers and methods in words
    assert set(df["计算方法"]) == {"直线近似（非步行网络）"}


def test_service_area_page_uses_a_cached_network(tmp_path):
    from atlas.network import build_network

    _net, _ = build_network("鄞州区", osm_file=ROOT / "tests/fixtures/yinzhou_grid.osm")
    at = _run(SA_PAGE, sa_layers=["kepu_sites"])  # the bases only (galleries are in by default)
    at.selectbox(key="sa_district").select("鄞州区").run()
    assert not at.exception
    assert any(md_escape("yinzhou_grid.osm") in s.value for s in at.success)
    df = at.dataframe[0].value.set_index("站点")  # K02 shown by its name
    assert set(df["计算方法"]) == {"步行路网"}  # never mixed with proxies
    assert df.loc["宁波博物馆", "提示"] == "" and df.loc["宁波博物馆", "面积（km²）"] > 0.5
    assert (df.drop(index="宁波博物馆")["提示"] == "离道路过远，未计算").all()


COV_PAGE = "pages/3_覆盖缺口_Coverage.py"


def _pct(metric) -> float:
    return float(metric.value.strip("≤≈ %"))


def _table(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_coverage_page_offline_shows_bounds_and_a_labelled_estimate():
    at = _run(COV_PAGE)
    assert not at.exception
    assert any("界限" in w.value for w in at.warning)
    assert any(i.value.startswith("至多") and "估计" in i.value for i in at.info)
    m = {x.label: x for x in at.metric}
    upper, est = _pct(m["至多（直线上限）"]), _pct(m["估计值（直线×绕行系数）"])
    assert m["至多（直线上限）"].value.startswith("≤") and m["估计值（直线×绕行系数）"].value.startswith("≈")
    # people spread by area: what is certain is an area, the head count is labelled as what it is
    gap_label = "确定在范围外的面积"
    assert 0 < est < upper < 100 and float(m[gap_label].value.removesuffix(" km²").replace(",", "")) > 0
    assert any(c.value.startswith("按面积折算约 ") and c.value.endswith(" 人") for c in at.caption)
    by = _table(at, "覆盖率上限（%）")
    assert "覆盖率下限（%）" not in by  # nothing is certainly inside offline: no empty column
    assert any("直线上下界" in i.value or "直线上限" in i.value for i in at.info)
    acc = "可达性（每万人可达科普点，距离加权）"
    scores = _table(at, acc).set_index("范围")
    silent = ["奉化区", "宁海县"]  # the gallery source lists no row there: no score, not a low one
    assert scores.drop(index=silent)[acc].notna().all() and scores.loc[silent, acc].isna().all()
    # no recommendation from area-uniform population: it would be arbitrary
    from atlas.coverage.summary import demand_label

    assert not any(demand_label("area-uniform", "zh", column="gap_population") in d.value.columns
                   for d in at.dataframe)
    assert sum("需要步行路网" in c.value for c in [*at.caption, *at.info]) == 1  # said once
    at.radio(key="cov_supply").set_value("bases").run()
    assert _pct(at.metric[0]) < upper  # 14 bases reach far fewer people than 1,197 points


def test_coverage_page_with_network_and_scenario_round_trip():
    from atlas.analysis.scenarios import Scenario, load_scenarios
    from atlas.network import build_network

    build_network("鄞州区", osm_file=ROOT / "tests/fixtures/yinzhou_grid.osm")
    at = _run(COV_PAGE)
    at.selectbox(key="cov_scope").select("鄞州区").run()
    assert not at.exception
    assert any(md_escape("yinzhou_grid.osm") in s.value for s in at.success)
    before = _pct(at.metric[0])
    # add a candidate in the grid's far corner (what a map click does), save, reload
    scen = at.session_state["scenario"]
    scen.add_site(121.5512, 29.8274, label="角落候选")
    at.run()
    after = _pct(at.metric[0])
    assert after > before
    reco = next(d.value for d in at.dataframe
                if any(str(c).startswith("新增覆盖人口") for c in d.value.columns))
    gain = next(c for c in reco.columns if str(c).startswith("新增覆盖人口"))  # says how people were placed
    assert len(reco) == 3 and (reco[gain] > 0).all()
    assert reco["累计覆盖率（%）"].is_monotonic_increasing
    at.text_input(key="cov_scen_name").input("测试方案").run()
    at.button[0].click().run()
    assert not at.exception
    saved = load_scenarios()
    assert [s.name for s in saved] == ["测试方案"] and saved[0].sites[0]["name"] == "角落候选"
    assert isinstance(saved[0], Scenario)


def test_export_page_generates_a_pdf_and_a_geopackage():
    at = _run("pages/4_导出_Export.py")
    at.button(key="ex_pdf_make").click().run()
    assert not at.exception
    assert at.session_state["ex_made"]["pdf"]["data"].startswith(b"%PDF")
    at.button(key="ex_gpkg_make").click().run()
    assert at.session_state["ex_made"]["gpkg"]["data"].startswith(b"SQLite format 3")


IMP_PAGE = "pages/5_导入_Import.py"


def _datum(at):
    """The import page's datum choice (its key is scoped to the uploaded file)."""
    return next(r for r in at.radio if r.key.startswith("imp_datum_"))


def test_import_page_gcj02_list_to_saved_layer_to_coverage():
    from atlas.userlayers import list_user_layers

    data = (ROOT / "tests/fixtures/import/list_gbk.csv").read_bytes()
    at = _run(IMP_PAGE)
    at.file_uploader(key="imp_file").set_value(("科协名单.csv", data, "text/csv")).run()
    assert not at.exception
    assert any("数据" in i.value or "坐标系" in i.value for i in at.info)  # asks for the datum first
    _datum(at).set_value("gcj02").run()
    assert not at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["有效"] == "5" and values["无坐标"] == "1" and values["有错误"] == "0"
    assert any("坐标系看来正确" in s.value for s in at.success)
    _datum(at).set_value("wgs84").run()  # a wrong choice is flagged
    assert any("坐标系可能选错了" in w.value for w in at.warning)
    _datum(at).set_value("gcj02").run()
    at.button(key="imp_save_btn").click().run()
    assert not at.exception
    layers = list_user_layers()
    assert len(layers) == 1 and layers[0]["name"] == "科协名单"
    # the list is now a layer like any other: coverage runs on it
    cov = _run(COV_PAGE)
    lid = next(o for o in cov.multiselect(key="cov_layers").options if "科协名单" in o)
    cov.multiselect(key="cov_layers").set_value([lid]).run()
    assert not cov.exception
    assert _pct(cov.metric[0]) > 0


def test_export_page_can_include_labelled_circles():
    at = _run("pages/4_导出_Export.py")
    at.checkbox(key="ex_areas").check().run()
    at.button(key="ex_pdf_make").click().run()
    assert not at.exception
    import io

    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(at.session_state["ex_made"]["pdf"]["data"])).pages[0].extract_text()
    assert "直线近似圈" in text  # no network here: the circles are labelled as proxies


def test_untrusted_layer_names_are_escaped_in_the_import_page(tmp_path):
    from atlas.data.geodata import load_districts
    from atlas.importing import guess_columns, read_table, to_sites, validate
    from atlas.userlayers import save_user_layer

    data = (ROOT / "tests/fixtures/import/list_utf8.csv").read_bytes()
    df = read_table(data, "x.csv")
    r = validate(df, guess_columns(list(df.columns)), datum="gcj02", districts=load_districts())
    evil = "[点我](http://evil.example) ![x](http://evil.example/a.png)"
    save_user_layer(evil, to_sites(r, layer_name="x"))
    at = _run(IMP_PAGE)
    assert not at.exception
    md = [m.value for m in at.markdown if "点我" in m.value]
    assert md and all("](http" not in m for m in md)  # shown as text, not as a link or image


def test_service_area_page_bbox_and_draw_modes():
    from atlas.network import build_network

    at = _run(SA_PAGE)
    at.radio(key="sa_mode").set_value("bbox").run()
    at.text_input(key="sa_bbox").input("121.53,29.80,121.56,29.83").run()
    assert not at.exception
    df = at.dataframe[0].value
    assert "宁波博物馆" in set(df["站点"]) and set(df["计算方法"]) == {"直线近似（非步行网络）"}
    at.text_input(key="sa_bbox").input("121.56,29.80,121.53").run()  # malformed
    assert any("minlon,minlat,maxlon,maxlat" in e.value for e in at.error)
    # a network built for exactly this box is found and used
    build_network("bbox:121.53,29.80,121.56,29.83", osm_file=ROOT / "tests/fixtures/yinzhou_grid.osm")
    at.text_input(key="sa_bbox").input("121.53,29.80,121.56,29.83").run()
    assert set(at.dataframe[0].value["计算方法"]) == {"步行路网"}
    at.radio(key="sa_mode").set_value("draw").run()
    assert not at.exception
    assert any("画一个矩形" in i.value for i in at.info)


# --- every widget on a page has its own label -------------------------------------------------

def _show_every_widget(at: AppTest, page: str) -> AppTest:
    """Put a page in a state that shows its conditional widgets (pickers and buttons that follow
    a search, an upload, a selection or a saved scenario)."""
    if page == MAP:
        at.text_input(key="search").input("宁波").run()  # the search results picker
    elif page == SA_PAGE:
        osm = (ROOT / "tests/fixtures/yinzhou_grid.osm").read_bytes()
        at.file_uploader(key="sa_upload").set_value(("grid.osm", osm, "application/xml")).run()
        from atlas import settings

        settings.OSM_DIR.mkdir(parents=True, exist_ok=True)
        (settings.OSM_DIR / "grid.osm").write_bytes(osm)  # the folder's file picker
        at.run()
    elif page == COV_PAGE:
        from atlas.analysis.scenarios import Scenario, save_scenario

        saved = Scenario("旧方案")
        saved.add_site(121.55, 29.87)
        save_scenario(saved)
        at.session_state["scenario"].add_site(121.5512, 29.8274, label="候选")
        at.run()
        at.multiselect(key="cov_drop").set_value([at.multiselect(key="cov_drop").options[0]]).run()
        at.selectbox(key="cov_load").select("旧方案").run()
    elif page == IMP_PAGE:
        data = (ROOT / "tests/fixtures/import/list_gbk.csv").read_bytes()
        at.file_uploader(key="imp_file").set_value(("科协名单.csv", data, "text/csv")).run()
        _datum(at).set_value("gcj02").run()
    return at


def _widget_labels(at: AppTest) -> list[tuple[str, str]]:
    """(widget type, label) of every widget on the page, sidebar included."""
    from streamlit.testing.v1.element_tree import Widget

    def walk(node):
        if isinstance(node, Widget):
            yield type(node).__name__, node.proto.label
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    return [*walk(at.main), *walk(at.sidebar)]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_two_widgets_on_a_page_share_a_label(page, lang):
    """Two widgets labelled alike (or alike but for a trailing arrow or cross) cannot be told
    apart by a planner, a screen reader or a browser test."""
    import re
    from collections import Counter

    at = _show_every_widget(_run(page, lang=lang), page)
    assert not at.exception, at.exception
    labels = _widget_labels(at)
    assert labels and all(label.strip() for _, label in labels), labels
    same = Counter(re.sub(r"[\W_]+$", "", label.strip()) for _, label in labels)
    assert not [x for x in labels if same[re.sub(r"[\W_]+$", "", x[1].strip())] > 1], page
    if page == MAP:  # one feature picker: the search results (the card has none of its own)
        assert [s.key for s in at.selectbox if s.key in ("search_pick", "card_pick")] == ["search_pick"]


def test_a_click_on_a_feature_of_the_coverage_map_adds_one_candidate():
    """What streamlit-folium sends for a click on a district (its popup keeps the click from the
    map itself): the click's position is a candidate, taken once."""
    from streamlit_folium import generate_js_hash

    at = _run(COV_PAGE)
    key = generate_js_hash(_map_args(at)["script"], "cov_map", False)
    at.session_state[key] = {"last_clicked": None, "last_object_clicked": {"lat": 29.80, "lng": 121.56}}
    at.run()
    assert not at.exception, at.exception
    (site,) = at.session_state["scenario"].sites
    assert (site["lon"], site["lat"]) == (121.56, 29.80)
    at.run()  # the map sends the same value again on the next rerun: not a new click
    assert len(at.session_state["scenario"].sites) == 1


# --- in Chromium: a click inside a district reaches the page -------------------------------------

def _click_map_at(page, lat: float, lon: float) -> None:
    """Click the page's (last) map where ``lat, lon`` is, as a planner would."""
    from tests.e2e_support import click_map_at

    click_map_at(page, lat, lon)


@pytest.mark.e2e
def test_in_chromium_a_click_inside_a_district_adds_a_candidate_and_places_an_imported_row(tmp_path):
    """District polygons cover the city and open a popup on a click, which Leaflet keeps from the
    map's own click: the Coverage and Import pages read the click on a feature too."""
    import re

    from atlas.data.geodata import load_districts
    from atlas.importing import guess_columns, read_table, to_sites, validate
    from atlas.userlayers import list_user_layers, load_user_layer, save_user_layer
    from tests.e2e_support import CHROMIUM, assert_clean, chromium, running_app

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    df = read_table((ROOT / "tests/fixtures/import/list_gbk.csv").read_bytes(), "list.csv")
    r = validate(df, guess_columns(list(df.columns)), datum="gcj02", districts=load_districts())
    sites = to_sites(r, layer_name="名单")
    save_user_layer("名单", sites)
    (unplaced,) = sites.loc[sites.position_status == "unplaced", "name_zh"]
    lat, lon = 29.80, 121.56  # in 鄞州区, on no marker
    with running_app(tmp_path / "user", tmp_path / "cache") as url, chromium() as browser:
        first = browser.new_page()  # a fresh server's first session must open the main page
        first.goto(url)
        first.locator("[data-testid='stSidebarNav']").wait_for(timeout=90_000)
        first.close()
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.route(re.compile(r"https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
        page.goto(f"{url}/coverage")
        _click_map_at(page, lat, lon)
        frame = next(f for f in reversed(page.frames) if "streamlit_folium" in f.url)
        frame.get_by_text("已添加的候选点").wait_for(timeout=60_000)  # the legend names the new layer
        assert_clean(page)
        page.goto(f"{url}/import")
        _click_map_at(page, lat, lon)
        assert_clean(page)
    row = load_user_layer(list_user_layers()[0]["key"]).set_index("name_zh").loc[unplaced]
    assert row.position_method == "placed-by-click"
    # where the click was, to 2 screen pixels (0.0055° each at the city view's zoom 8)
    assert abs(row.geometry.x - lon) < 0.011 and abs(row.geometry.y - lat) < 0.011
