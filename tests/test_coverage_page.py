"""The Coverage page shows the engine's honest figures as people read them (AppTest, offline)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from atlas import fmt
from atlas.coverage_summary import demand_label

COV_PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "3_覆盖缺口_Coverage.py")
ACC = "可达性（每万人可达科普点，距离加权）"


def _run(lang: str = "zh", **widgets: str) -> AppTest:
    at = AppTest.from_file(COV_PAGE, default_timeout=240)
    at.session_state["lang"] = lang
    at.run()
    for key, value in widgets.items():
        at.selectbox(key=key).select(value).run()
    assert not at.exception
    return at


def _table(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_gaps_are_named_districts_in_words_and_people_headers_say_how_placed():
    at = _run()
    gaps = _table(at, "名称")
    assert not gaps.empty and gaps["名称"].str.contains("近 |一带|附近").all()
    assert "经度" not in gaps.columns  # coordinates and H3 cells are secondary (an expander)
    assert demand_label("area-uniform", "zh", column="population") in gaps.columns
    by = _table(at, "覆盖率上限（%）")
    status = by.set_index("范围")["状态"]
    assert status.loc["奉化区"] == fmt.method_label("supply_data_missing", "zh")
    assert any("人口按面积均摊" in c.value for c in at.caption)


def test_english_district_notes_and_headers():
    at = _run("en")
    by = _table(at, "Covered, at most (%)")
    notes = by.set_index("Area")
    assert "no data in source" in set(notes["Status"])
    assert not notes.filter(like="Note").astype(str).apply(lambda s: s.str.contains("数据")).any().any()


def test_a_district_offline_shows_its_city_wide_accessibility():
    city = _table(_run(), ACC).set_index("范围")[ACC]
    one = _table(_run(cov_scope="鄞州区"), ACC).set_index("范围")[ACC]
    assert list(one.index) == ["鄞州区"]
    assert one.loc["鄞州区"] == city.loc["鄞州区"]
