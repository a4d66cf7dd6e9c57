"""Place names in the English UI: pinyin for the name, English for its kind, never a Chinese character."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlas import settings as atlas_settings
from atlas.data.names import place_columns, place_name, with_english_names
from atlas.data.places import gap_table, load_places
from atlas.data.romanize import romanize

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


@pytest.mark.parametrize(("zh", "en"), [
    ("韩岭小学", "Hanling Primary School"),
    ("咸祥镇", "Xianxiang Town"),
    ("五乡镇", "Wuxiang Town"),  # a one-character name keeps its generic: not "Wu Township Town"
    ("古林镇卫生院", "Gulin Town Health Centre"),
    ("集士港镇广德湖小学", "Jishigang Town Guangdehu Primary School"),
    ("宁海县第一中学", "Ninghai No. 1 Middle School"),  # the district by its own English name
    ("浙江万里学院（钱湖校区）", "Zhejiang Wanli College (Qianhu Campus)"),
    ("杭州湾新区", "Hangzhouwan New Area"),
    ("西安路", "Xi'an Road"),  # syllables apart where they would run together
    ("长春", "Changchun"),  # pypinyin's phrases read polyphones in context (not "Zhangchun")
    ("滕头生态旅游区", "Tengtou Shengtai Lüyou District"),
    ("横溪镇、东吴镇", "Hengxi Town, Dongwu Town"),
    ("KB 12号楼", "KB 12 Haolou"),  # Latin letters and digits kept as they are
])
def test_names_read_as_on_road_signs(zh, en):
    assert place_name(zh, "en") == en
    assert place_name(zh, "zh") == zh  # Chinese stays Chinese


#: Characters of names: generics, numerals, full-width punctuation, Latin, rare and unreadable Han.
NAME_CHARS = list("韩岭小学镇村区县市新第一二（）、，：“”《》 AB12路街道社区居委会㐀丨")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(NAME_CHARS), max_size=30))
def test_any_name_comes_out_without_chinese(text):
    out = romanize(text, known={"宁海县": "Ninghai"})
    assert not CJK.search(out), (text, out)
    assert out == out.strip() and "  " not in out


def test_every_shipped_place_has_an_english_name_without_chinese():
    for f in ("sites.csv", "kepu_galleries.csv", "osm_landmarks.csv"):
        df = pd.read_csv(atlas_settings.GEODATA_DIR / f, dtype=str, keep_default_na=False)
        assert (df.name_en.str.strip() != "").all(), f
        assert not df.name_en.str.contains(CJK).any(), df[df.name_en.str.contains(CJK)].name_en.head()
    table = load_places().table
    assert not table.name_en.str.contains(CJK).any()
    assert (table.name_en.str.strip() != "").all()


def test_curated_english_names_are_kept_and_a_missing_one_is_romanised():
    df = pd.DataFrame({"name_zh": ["宁波大学", "韩岭小学"], "name_en": ["Ningbo University (official)", ""]})
    named = with_english_names(df).name_en.tolist()
    assert named == ["Ningbo University (official)", "Hanling Primary School"]
    assert with_english_names(df[["name_zh"]]).columns.tolist() == ["name_zh", "name_en"]


def test_table_columns_name_places_in_english_and_keep_a_planners_own_zone():
    df = pd.DataFrame({"district": ["鄞州区", "杭州湾新区"], "streets": ["横溪镇、东吴镇", ""],
                       "zone": ["鄞州区", "我的片区"]})
    en = place_columns(df, "en")
    assert en.district.tolist() == ["Yinzhou", "Hangzhouwan New Area"]
    assert en.streets.tolist() == ["Hengxi Town, Dongwu Town", ""]
    assert en.zone.tolist() == ["Yinzhou", "我的片区"]  # a planner's own name stays as typed
    assert place_columns(df, "zh").equals(df)


def test_gap_table_in_english_has_no_chinese():
    gaps = pd.DataFrame({"rank": [1], "name": ["近 韩岭小学（OSM 学校，约 1.5 km）"],
                         "name_en": ["near Hanling Primary School (OSM school, ~1.5 km)"],
                         "district": ["鄞州区"],
                         "streets": ["横溪镇、东吴镇、塘溪镇"], "name_source": ["school"]})
    table = gap_table(gaps, "en")
    cells = [str(v) for v in table.to_numpy().ravel()]
    assert not [c for c in cells if CJK.search(c)], cells
    assert table.streets.iloc[0] == "Hengxi Town, Dongwu Town, Tangxi Town"
