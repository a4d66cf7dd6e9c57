"""The import page's flow across files and layers (Streamlit AppTest, no browser; the same flows in
real Chromium are in tests/test_e2e_import.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests import hostile_files as hf

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "5_导入_Import.py")


def _widget(elements, prefix: str):
    """The one widget whose (per-file) key starts with ``prefix``."""
    found = [w for w in elements if str(w.key).startswith(prefix)]
    assert len(found) == 1, [w.key for w in elements]
    return found[0]


def _ambiguous(seed: int) -> bytes:
    s = hf.sites(6, seed=seed)
    rows = [f"{n},{n}x,{x},{y}" for n, x, y in zip(s.name, s.lon, s.lat, strict=True)]
    return ("名称,Name,经度,纬度\n" + "\n".join(rows) + "\n").encode()


def test_a_second_file_asks_again_for_confirmation_datum_and_name():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.file_uploader(key="imp_file").set_value(("first.csv", _ambiguous(1), "text/csv")).run()
    _widget(at.checkbox, "imp_confirm_").check().run()
    _widget(at.radio, "imp_datum_").set_value("gcj02").run()
    assert not at.exception and at.metric[0].value == "6"
    at.file_uploader(key="imp_file").set_value(("second.csv", _ambiguous(2), "text/csv")).run()
    assert not at.exception
    assert _widget(at.checkbox, "imp_confirm_").value is False  # the gate is back
    assert not at.metric  # and nothing is checked before it is passed
    _widget(at.checkbox, "imp_confirm_").check().run()
    assert _widget(at.radio, "imp_datum_").value is None  # the datum is asked again
    _widget(at.radio, "imp_datum_").set_value("wgs84").run()
    assert _widget(at.text_input, "imp_name_").value == "second"  # not a new version of "first"


def test_the_first_layer_of_a_geopackage_can_be_chosen():
    data, name, truth = hf.gpkg_layers(layers=2, n=3)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.file_uploader(key="imp_file").set_value((name, data, "application/geopackage+sqlite3")).run()
    picker = _widget(at.selectbox, "imp_layer_")
    assert picker.value is None and picker.options == truth["layers"]
    picker.set_value("layer_0").run()
    assert not at.exception
    assert any(f"{truth['rows']['layer_0']} 行" in c.value for c in at.caption)


@pytest.mark.parametrize(("lang", "header", "hint"), [
    ("zh", "百度经度,百度纬度", "列名提示坐标系为 BD-09（百度）"),
    ("en", "lon_bd09,lat_bd09", "Column names suggest BD-09 (Baidu)"),
    ("en", "gcj02_lng,gcj02_lat", "Column names suggest GCJ-02 (AMap/Tencent)"),
    ("zh", "经度,纬度", None),
])
def test_coordinate_headers_naming_a_datum_are_a_suggestion_beside_the_choice(lang, header, hint):
    s = hf.sites(6, seed=3)
    rows = [f"{n},{x},{y}" for n, x, y in zip(s.name, s.lon, s.lat, strict=True)]
    data = (f"名称,{header}\n" + "\n".join(rows) + "\n").encode()
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["lang"] = lang
    at.run()
    at.file_uploader(key="imp_file").set_value(("list.csv", data, "text/csv")).run()
    assert not at.exception
    hints = [i.value for i in at.info if "Column names suggest" in i.value or "列名提示" in i.value]
    assert hints == ([hint] if hint else [])
    assert _widget(at.radio, "imp_datum_").value is None  # the planner still chooses
    assert not at.metric  # and nothing is checked before


def test_a_list_without_a_category_column_is_not_filed_as_venues():
    """1,183 galleries without a category column must not become 科普场馆: the names are read and
    the guesses shown for the planner to check, or the planner picks one category."""
    rows = ["百两村办公楼,121.55,29.87", "青少年宫路社区居委会,121.56,29.88", "横街镇镇政府,121.45,29.86",
            "联南,121.57,29.86"]
    data = ("名称,经度,纬度\n" + "\n".join(rows) + "\n").encode()
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.file_uploader(key="imp_file").set_value(("画廊.csv", data, "text/csv")).run()
    cat = _widget(at.selectbox, "imp_cat_")
    assert cat.value == "guess" and "没有类别列" in cat.label
    _widget(at.radio, "imp_datum_").set_value("wgs84").run()
    assert not at.exception
    guessed = [i.value for i in at.info if "按名称推断的类别" in i.value]
    assert guessed and "科普画廊 3" in guessed[0] and "无法推断（未归类） 1" in guessed[0]
    assert "科普场馆" not in guessed[0]
    assert [m.value for m in at.metric] == ["4", "0", "0"]  # the unguessable row is kept unclassified
    _widget(at.selectbox, "imp_cat_").set_value("kepu_gallery").run()
    assert [m.value for m in at.metric] == ["4", "0", "0"]
    assert not [i for i in at.info if "按名称推断的类别" in i.value]
    cells = " ".join(" ".join(map(str, d.value.to_numpy().ravel())) for d in at.dataframe)
    assert "名称看不出类别" not in cells


@pytest.mark.parametrize(("swap", "says"), [
    (True, "6/6 行经纬度疑似填反：请交换经度/纬度列"),
    (False, "6/6 行坐标数值像投影坐标（米）"),
])
def test_every_row_swapped_or_in_metres_is_the_headline_not_the_datum(swap, says):
    s = hf.sites(6, seed=5)
    if swap:
        rows = [f"{n},{y},{x}" for n, x, y in zip(s.name, s.lon, s.lat, strict=True)]
    else:  # UTM 51N metres, as a GIS export writes them
        rows = [f"{n},{300000 + 1000 * i},{3300000 + 500 * i}" for i, n in enumerate(s.name)]
    data = ("名称,经度,纬度,类别\n" + "\n".join(r + ",科普场馆" for r in rows) + "\n").encode()
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.file_uploader(key="imp_file").set_value(("list.csv", data, "text/csv")).run()
    _widget(at.radio, "imp_datum_").set_value("wgs84").run()
    assert not at.exception
    assert any(says in e.value for e in at.error), [e.value for e in at.error]
    assert not [i for i in at.info if "无法确认坐标系" in i.value]


def test_saving_against_a_datum_check_that_suggests_another_asks_for_confirmation(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_USER_DIR", str(tmp_path))
    data, name, _ = hf.gcj_near_lines(n=80, seed=1)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.file_uploader(key="imp_file").set_value((name, data, "text/csv")).run()
    _widget(at.radio, "imp_datum_").set_value("wgs84").run()
    assert any("坐标系可能选错了" in w.value for w in at.warning)
    keep = _widget(at.checkbox, "imp_keep_datum_")
    assert "WGS84" in keep.label and "GCJ-02" in keep.label and keep.value is False
    assert at.button(key="imp_save_btn").disabled  # not saved on a wrong datum by a stray click
    keep.check().run()
    assert not at.button(key="imp_save_btn").disabled
    _widget(at.radio, "imp_datum_").set_value("gcj02").run()  # the datum the check suggested
    assert not [c for c in at.checkbox if str(c.key).startswith("imp_keep_datum_")]
    assert not at.button(key="imp_save_btn").disabled
