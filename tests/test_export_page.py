"""The export page (Streamlit AppTest, no browser; the browser side of the language switch is in
tests/test_e2e_export.py): choices survive a language switch and a page switch, nothing is made
without a layer, a made file never outlives its inputs, names say what a file is, layer data
follows the district filter, the briefing pack is one click."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pyogrio
import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "4_导出_Export.py")
TODAY = date.today().isoformat()


def _page(lang: str = "zh") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state["lang"] = lang
    return at.run()


def _english(at: AppTest) -> AppTest:
    return at.radio(key="lang_radio").set_value("English").run()


def _made(at: AppTest, kind: str) -> dict:
    return at.session_state["ex_made"][kind]


def _downloads(at: AppTest) -> list[str]:
    return [str(w.key) for w in at.get("download_button")]


def test_a_map_that_cannot_be_made_is_said_and_the_layer_data_is_still_offered(monkeypatch):
    from atlas.staticmap import style

    # a machine without a CJK font: the static map is refused with a bilingual ExportError
    monkeypatch.setattr(style, "CJK_FONT_FILES", ())
    monkeypatch.setattr(style, "CJK_FAMILIES", ("No Such CJK Font",))
    at = _page("en")
    at.button(key="ex_png_make").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "No Chinese font found: install fonts-noto-cjk (sudo apt-get install fonts-noto-cjk)"]
    assert "png" not in at.session_state["ex_made"]
    labels = [w.proto.label for w in at.get("download_button")]
    csv = [x for x in labels if x.startswith("CSV: ")]
    assert len(csv) >= 2 and len(csv) == len([x for x in labels if x.startswith("GeoJSON: ")])
    assert at.button(key="ex_pdf_make").proto.disabled is False  # the other formats stay on offer


def test_every_choice_survives_a_language_switch_and_is_sent_again_in_the_new_labels():
    at = _page()
    at.multiselect(key="ex_layers").set_value(["districts", "kepu_sites"])
    at.multiselect(key="ex_districts").set_value(["鄞州区"])
    at.selectbox(key="ex_preset").set_value("slide-16x9")
    at.checkbox(key="ex_areas").check()
    at.text_input(key="ex_title").input("我的标题")
    at.run()
    assert at.multiselect(key="ex_layers").proto.set_value is False  # a plain run sends nothing
    _english(at)
    assert not at.exception
    layers, dists = at.multiselect(key="ex_layers"), at.multiselect(key="ex_districts")
    preset = at.selectbox(key="ex_preset")
    assert layers.value == ["districts", "kepu_sites"] and dists.value == ["鄞州区"]
    assert preset.value == "slide-16x9" and at.checkbox(key="ex_areas").value
    assert at.text_input(key="ex_title").value == "我的标题"
    # the browser holds a choice as its label: the server sends it again in the English labels
    assert layers.proto.set_value and list(layers.proto.raw_values) == [
        "District boundaries", "Science-popularisation sites"]
    assert dists.proto.set_value and list(dists.proto.raw_values) == ["Yinzhou"]
    assert preset.proto.set_value and preset.proto.raw_value == "Slide 16:9"
    assert list(preset.proto.options) == ["A4 landscape", "A4 portrait", "Slide 16:9"]
    at.radio(key="lang_radio").set_value("中文").run()
    assert list(at.multiselect(key="ex_districts").proto.raw_values) == ["鄞州区"]
    assert at.selectbox(key="ex_preset").proto.raw_value == "幻灯片 16:9"
    assert list(at.selectbox(key="ex_preset").proto.options) == ["A4 横版", "A4 竖版", "幻灯片 16:9"]


def test_choices_come_back_after_a_visit_to_another_page():
    app = str(Path(PAGE).parent.parent / "streamlit_app.py")
    at = AppTest.from_file(app, default_timeout=180)
    at.switch_page("pages/4_导出_Export.py").run()
    at.multiselect(key="ex_layers").set_value(["universities"])
    at.multiselect(key="ex_districts").set_value(["江北区", "镇海区"]).run()
    at.switch_page("pages/1_规划任务_Tasks.py").run()
    assert "ex_layers" not in at.session_state  # Streamlit drops the widgets of a page not drawn
    at.switch_page("pages/4_导出_Export.py").run()
    assert not at.exception
    assert at.multiselect(key="ex_layers").value == ["universities"]
    assert at.multiselect(key="ex_districts").value == ["江北区", "镇海区"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_nothing_is_made_without_a_layer_and_the_page_says_why(lang):
    at = _page(lang)
    at.multiselect(key="ex_layers").set_value([]).run()
    assert [w.value for w in at.warning] == [
        {"zh": "请至少选择一个图层：不选图层时不生成地图。",
         "en": "Choose at least one layer: no map is made without one."}[lang]]
    for key in ("ex_png_make", "ex_pdf_make", "ex_gpkg_make"):
        assert at.button(key=key).proto.disabled
    assert next(w for w in at.get("download_button") if "HTML" in w.proto.label).proto.disabled


def test_the_engine_refuses_a_map_with_nothing_on_it_in_both_languages(tmp_path):
    from atlas.data.catalogue import layer_frame, load_catalogue, read_source
    from atlas.io.export import ExportError, render_static_map

    cat = load_catalogue()
    frames = {lyr.id: layer_frame(lyr, read_source(lyr.source)) for lyr in cat}
    with pytest.raises(ExportError) as no_layer:
        render_static_map(cat, frames, tmp_path / "m.png", visible=[], districts=["鄞州区"])
    assert "请至少选择一个图层" in no_layer.value.zh and "choose at least one layer" in no_layer.value.en
    # layers chosen but none of their features in the chosen district: refused as well
    empty = next(lid for lid, g in frames.items() if lid != "districts" and "district" in g
                 and not (g.district == "象山县").any())
    with pytest.raises(ExportError):
        render_static_map(cat, frames, tmp_path / "m.png", visible=[empty], districts=["象山县"])
    assert not (tmp_path / "m.png").exists()


def test_a_made_map_is_named_for_what_it_shows_and_withdrawn_when_the_view_changes():
    at = _page()
    at.multiselect(key="ex_districts").set_value(["鄞州区"]).run()
    at.button(key="ex_png_make").click().run()
    made = _made(at, "png")
    assert made["file"] == f"鄞州区_a4-landscape_zh_{TODAY}.png"
    assert made["data"].startswith(b"\x89PNG") and "ex_png_download" in _downloads(at)
    _english(at)  # the language changed: the Chinese map is not offered as the English one
    assert "ex_png_download" not in _downloads(at) and not _made(at, "png")["data"]
    assert "⚠ Out of date: generate again (the inputs changed)" in [c.value for c in at.caption]
    at.button(key="ex_png_make").click().run()
    assert _made(at, "png")["file"] == f"Yinzhou_a4-landscape_en_{TODAY}.png"
    assert "ex_png_download" in _downloads(at)
    at.multiselect(key="ex_districts").set_value([]).run()
    assert "ex_png_download" not in _downloads(at)
    at.button(key="ex_png_make").click().run()
    assert _made(at, "png")["file"] == f"Whole_city_a4-landscape_en_{TODAY}.png"


@pytest.mark.parametrize("change", ["districts", "layers", "preset", "areas", "title", "subtitle"])
def test_every_input_change_withdraws_the_made_file(change):
    at = _page()
    at.button(key="ex_gpkg_make").click().run()
    assert "ex_gpkg_download" in _downloads(at)
    {"districts": lambda: at.multiselect(key="ex_districts").set_value(["北仑区"]),
     "layers": lambda: at.multiselect(key="ex_layers").set_value(["districts"]),
     "preset": lambda: at.selectbox(key="ex_preset").set_value("a4-portrait"),
     "areas": lambda: at.checkbox(key="ex_areas").check(),
     "title": lambda: at.text_input(key="ex_title").input("新标题"),
     "subtitle": lambda: at.text_input(key="ex_sub").input("新副标题")}[change]()
    at.run()
    assert "ex_gpkg_download" not in _downloads(at)
    assert "⚠ 已过期，请重新生成（输入已改变）" in [c.value for c in at.caption]


def test_layer_data_and_the_geopackage_follow_the_district_filter(tmp_path):
    at = _page()
    at.multiselect(key="ex_layers").set_value(["districts", "kepu_sites", "universities"])
    at.multiselect(key="ex_districts").set_value(["鄞州区"]).run()
    assert "按区县筛选：鄞州区（只含其中的要素）" in [c.value for c in at.caption]
    labels = [w.proto.label for w in at.get("download_button")]
    assert "CSV：区县边界（1 条）" in labels and "GeoJSON：区县边界（1 条）" in labels
    at.button(key="ex_gpkg_make").click().run()
    gpkg = tmp_path / "x.gpkg"
    gpkg.write_bytes(_made(at, "gpkg")["data"])
    assert _made(at, "gpkg")["file"] == f"鄞州区_{TODAY}.gpkg"
    for name, _ in pyogrio.list_layers(gpkg):
        g = pyogrio.read_dataframe(gpkg, layer=name)
        assert len(g) and set(g["district" if "district" in g else "name_zh"]) == {"鄞州区"}, name


def test_the_default_subtitle_is_a_briefing_line_shown_as_the_fields_hint():
    at = _page()
    month = f"{date.today().year}年{date.today().month}月"
    assert at.text_input(key="ex_sub").proto.placeholder == f"科创载体与科普设施分布 · {month}"
    at.multiselect(key="ex_layers").set_value(["kepu_sites"]).run()
    assert at.text_input(key="ex_sub").proto.placeholder == f"科普设施分布 · {month}"
    at.checkbox(key="ex_areas").check().run()
    assert at.text_input(key="ex_sub").proto.placeholder == f"科普设施分布 · 15分钟科普服务圈 · {month}"
    _english(at)
    assert at.text_input(key="ex_sub").proto.placeholder == (
        f"Science-popularisation facilities · 15-minute science service circles · "
        f"{date.today():%B %Y}")


def test_the_briefing_pack_is_one_click_and_built_once_for_everyone(monkeypatch):
    from atlas.io import briefing

    # the app gives a one-district pack 3 minutes; a machine running other tests at the same
    # time (parallel workers) may take longer: the same pack, given 15 minutes, at 40 dpi (what
    # is checked here is which files, for whom and how often, not the print quality: 300 dpi
    # took 86 s of a test worker)
    built = briefing.pack_zip
    monkeypatch.setattr(briefing, "pack_zip", lambda **kw: built(**{**kw, "time_s": 900.0, "dpi": 40}))
    at = _page()
    at.multiselect(key="ex_districts").set_value(["江北区"]).run()
    at.button(key="ex_pack_make").click().run(timeout=900)
    assert not at.exception and not at.error
    pack = _made(at, "pack")["data"]
    names = set(zipfile.ZipFile(io.BytesIO(pack)).namelist())
    assert {"330205_江北区.png", "330205_江北区.pdf", "330205_江北区_coverage.csv", "city.png",
            "city.pdf", "atlas.gpkg", "atlas.html", "coverage_by_district.csv"} <= names
    assert not any(n.startswith("330212") for n in names)  # only the chosen district
    assert "ex_pack_download" in _downloads(at)
    other = _page()  # another planner, same inputs: the same pack, not built again
    other.multiselect(key="ex_districts").set_value(["江北区"]).run()
    other.button(key="ex_pack_make").click().run()
    assert _made(other, "pack")["data"] is pack
    other.multiselect(key="ex_districts").set_value(["江北区", "镇海区"]).run()
    assert "ex_pack_download" not in _downloads(other)  # made for other inputs: withdrawn


def test_a_pack_the_command_refuses_comes_back_as_its_message():
    from atlas.io.briefing import pack_zip
    from atlas.io.export import ExportError

    with pytest.raises(ExportError) as exc:
        pack_zip(districts=["不存在区"], dpi=40, lang="en")
    assert "不存在区" in exc.value.en and "Traceback" not in exc.value.en and "/" not in exc.value.en


def test_the_coverage_briefing_page_is_made_for_the_chosen_district_and_withdrawn_on_a_change():
    from pypdf import PdfReader

    at = _page()
    at.multiselect(key="ex_districts").set_value(["鄞州区"]).run()
    at.button(key="ex_brief_pdf_make").click().run()
    assert not at.exception
    made = _made(at, "brief_pdf")
    assert made["file"] == f"鄞州区_coverage_a4-landscape_zh_{TODAY}.pdf"
    text = PdfReader(io.BytesIO(made["data"])).pages[0].extract_text()
    assert "鄞州区 · 15分钟科普服务圈覆盖简报" in text
    assert "至多（直线上限）" in text and "各区县覆盖情况" in text
    assert "ex_brief_pdf_download" in _downloads(at)
    at.radio(key="ex_brief_supply").set_value("bases").run()  # another supply: other figures
    assert "ex_brief_pdf_download" not in _downloads(at) and not _made(at, "brief_pdf")["data"]


def test_bands_reach_the_static_map_the_html_and_the_subtitle(monkeypatch):
    from ui import exporter

    drawn: dict = {}
    real = exporter.render_static_map

    def spy(*args, **kwargs):
        drawn["areas"] = kwargs.get("areas")
        return real(*args, **kwargs)

    monkeypatch.setattr(exporter, "render_static_map", spy)
    at = _page()
    assert at.checkbox(key="ex_bands").proto.disabled  # bands of circles only when circles are drawn
    at.multiselect(key="ex_layers").set_value(["districts", "kepu_sites"])
    at.multiselect(key="ex_districts").set_value(["海曙区"])
    at.checkbox(key="ex_areas").check().run()
    at.checkbox(key="ex_bands").check().run()
    month = f"{date.today().year}年{date.today().month}月"
    assert at.text_input(key="ex_sub").proto.placeholder == f"科普设施分布 · 5/10/15 分钟分级服务圈 · {month}"
    at.button(key="ex_png_make").click().run()
    assert not at.exception and not at.error
    assert sorted(drawn["areas"].minutes.unique()) == [5.0, 10.0, 15.0]
    html = exporter._html(("districts", "kepu_sites"), ("海曙区",), "en", exporter.BANDS).decode()
    for m in ("5", "10", "15"):
        assert f"{m}-minute walk" in html
    _english(at)
    assert at.checkbox(key="ex_bands").value  # kept across the language switch
