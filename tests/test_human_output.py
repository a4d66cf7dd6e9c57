"""Human output: one figure is the same in the app and the exports; names not ids; citations."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from atlas import fmt
from atlas.coverage.text import siting_note
from tests.apptest_support import run_page as _run

ROOT = Path(__file__).resolve().parent.parent
COV_PAGE = "pages/3_覆盖缺口_Coverage.py"




def test_coverage_tables_are_for_people():
    at = _run(COV_PAGE)
    assert not at.exception
    for df in at.dataframe:
        table = df.value
        assert not [c for c in table.columns if re.fullmatch(r"[a-z_0-9]+", str(c))], table.columns
        people = [c for c in table.columns if str(c).endswith("（人）")]
        for c in people:  # rounded to hundreds
            assert (table[c].dropna() % 100 == 0).all(), c
        for c in [c for c in table.columns if "（%）" in str(c)]:
            assert (table[c].dropna().round(1) == table[c].dropna()).all(), c


def test_english_tables_have_english_headers():
    at = _run(COV_PAGE, lang="en")
    cols = list(at.dataframe[0].value.columns)
    assert "Place" in cols and "Covered, at most (%)" in cols
    assert "People (≈, by area)" in cols


def test_map_page_card_cites_sources_and_keeps_english_notes_out_of_chinese():
    at = _run("pages/0_地图_Map.py")
    at.text_input(key="search").input("宁波大学").run()
    assert not at.exception
    at.selectbox(key="search_pick").select("E02" if "E02" in at.selectbox(key="search_pick").options
                                           else at.selectbox(key="search_pick").options[1]).run()
    md = " ".join(m.value for m in at.markdown)
    assert "github:" not in md and "@15e16dd" not in md
    text = " ".join(t.value for t in at.text)
    assert not re.search(r"[A-Za-z]{6,} [A-Za-z]{3,} [A-Za-z]{3,}", text), text  # no English notes
    # the picker shows names, not ids
    opts = at.selectbox(key="search_pick").options
    assert not any(re.fullmatch(r"[A-Z]{1,2}\d{2}", str(o)) for o in opts if o != "—")


def test_card_citations_link_and_read_as_names():
    from ui.cards import citation_markdown

    src = ("github:qingwalashi/nignbohub@15e16dd (OSM extract, Aug 2025, WGS84) "
           "ningbo_cbd_boundaries.json feature 天一广场 (polygon centroid)")
    md = citation_markdown(src, "zh")
    assert "OpenStreetMap" in md and "(<https://github.com/qingwalashi/nignbohub/tree/15e16dd>)" in md
    assert "github:" not in md and "polygon centroid" not in md
    gov = citation_markdown("https://kjj.ningbo.gov.cn/art/2024/3/15/art_1229589543_4369825.html", "zh")
    assert gov.startswith("[宁波市科学技术局](<https://kjj.ningbo.gov.cn/")
    en = citation_markdown("http://daily.cnnb.com.cn/x.htm (mirror of news article)", "en")
    assert "Ningbo Daily" in en and "mirror of news article" in en
    assert citation_markdown("javascript:alert(1) (note)", "zh") == ""  # no link, no English note


def test_unplaced_table_has_names_and_readable_levels():
    from atlas.data.geodata import load_sites
    from ui.tables import unplaced_table

    s = load_sites()
    table = unplaced_table(s[s.geometry.isna()], "zh")
    assert not table["name"].str.fullmatch(r"[A-Z]{1,2}\d{2}").any()
    assert "国家级（自称，未核实）" in set(table["level"])
    assert "note" not in table or not table["note"].str.contains("claimed").any()


@pytest.mark.parametrize(("value", "text"), [
    (3790.5759, "3,800"), (1072000.0000000002, "1,072,000"), (37.0, "< 100"), (0.0, "0"),
])
def test_people_are_rounded_to_hundreds(value, text):
    assert fmt.people(value) == text


@pytest.mark.parametrize(("value", "text"), [(1.9662921, "2.0 %"), (1.4044943, "1.4 %"), (0.01, "< 0.1 %")])
def test_percentages_to_one_decimal(value, text):
    assert fmt.pct(value) == text


def test_export_page_title_follows_the_district_filter():
    import io

    from pypdf import PdfReader

    at = _run("pages/4_导出_Export.py")
    at.multiselect(key="ex_districts").select("江北区").run()
    at.button(key="ex_pdf_make").click().run()
    assert not at.exception
    text = PdfReader(io.BytesIO(at.session_state["ex_made"]["pdf"]["data"])).pages[0].extract_text()
    assert "江北区 · 宁波科创空间图谱" in text


# --- no table cell reads "None" or "nan", on any page, in either language ------------------------

NOT_TEXT = {"none", "nan", "<na>", "null", "nat"}
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


def _zones_geojson(tmp_path) -> bytes:
    """Three zones: two in 海曙/江北, one at sea off 北仑 in no district (status "no_population")."""
    import geopandas as gpd
    import shapely

    boxes = [shapely.box(121.52, 29.88, 121.56, 29.91), shapely.box(121.56, 29.88, 121.60, 29.91),
             shapely.box(122.00, 29.75, 122.01, 29.76)]
    z = gpd.GeoDataFrame({"name": ["甲街道", "乙街道", "海上"]}, geometry=boxes, crs="EPSG:4326")
    z.to_file(tmp_path / "z.geojson", driver="GeoJSON")
    return (tmp_path / "z.geojson").read_bytes()


def _with_missing_values(at: AppTest, page: str, tmp_path) -> AppTest:
    """Put a page in a state whose tables hold missing values (the class this test is about)."""
    if page.startswith("pages/0_"):
        at.toggle(key="show_unplaced").set_value(True).run()  # sites without a position
    elif page.startswith("pages/3_"):
        at.file_uploader(key="cov_zone_file").set_value(
            ("zones.geojson", _zones_geojson(tmp_path), "application/geo+json")).run()
    elif page.startswith("pages/5_"):
        data = (ROOT / "tests/fixtures/import/problems.csv").read_bytes()
        at.file_uploader(key="imp_file").set_value(("problems.csv", data, "text/csv")).run()
        next(r for r in at.radio if str(r.key).startswith("imp_datum_")).set_value("wgs84").run()
    return at


def _cell_texts(el) -> list[tuple[str, str]]:
    """(column, text a person sees) of every cell of a shown table: missing cells read as the
    table's placeholder (Streamlit's default placeholder is "None")."""
    df = el.value
    placeholder = el.proto.placeholder if el.proto.HasField("placeholder") else "None"
    return [(str(c), placeholder if pd.isna(v) else str(v)) for c in df.columns for v in df[c]]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_table_cell_reads_none_or_nan(page, lang, tmp_path):
    at = _with_missing_values(_run(page, lang=lang), page, tmp_path)
    assert not at.exception, at.exception
    texts = [(i, c, x) for i, el in enumerate([*at.dataframe, *at.table]) for c, x in _cell_texts(el)]
    assert not [x for x in texts if x[2].strip().lower() in NOT_TEXT], page
    assert not [c for _, c, _ in texts if c.strip().lower() in NOT_TEXT | {""}]
    if page == COV_PAGE:  # a zone without residents says so (not 0 %, not a blank)
        zone = next(d.value for d in at.dataframe if ("范围" if lang == "zh" else "Place") in d.value.columns
                    and "海上" in set(d.value.iloc[:, 0]))
        row = zone.set_index(zone.columns[0]).loc["海上"]
        assert ("无人口" if lang == "zh" else "no population") in set(row.astype(str))
        assert all(pd.isna(v) for k, v in row.items() if "%" in str(k))


def test_missing_values_stay_missing_through_the_formatter_and_read_as_a_dash():
    """Words made from codes (method, status, category, site names) never turn a missing value
    into the text "None" or "nan"; as text, every missing value reads "—"."""
    raw = pd.DataFrame({"site_id": ["K02", "K99", None], "method": ["network", "ok", None],
                        "status": [None, "ok", None], "category": [float("nan"), "kepu_base", None],
                        "pct_upper": [pd.NA, 12.34, None], "population": [None, 1234.0, None],
                        "district": [None, "鄞州区", None]})
    shown = fmt.table(raw, "en", names={"K02": "Ningbo Museum"})
    assert list(shown.isna().sum(axis=1)) == [5, 0, 7]
    assert list(shown.iloc[0].dropna()) == ["Ningbo Museum", "walking network"]
    text = fmt.table(raw, "zh", names={"K02": "宁波博物馆"}, keep_numeric=False)
    assert set(text.iloc[0]) == {"宁波博物馆", "步行路网", fmt.MISSING}
    assert set(text.iloc[2]) == {fmt.MISSING}
    assert not text.isin(["None", "nan", "<NA>"]).any().any()


def test_how_sites_were_recommended_reads_in_words():
    assert siting_note({"method": "greedy"}, "zh") == "贪心算法"
    assert siting_note({"method": "mclp-highs", "greedy_gap_pct": 0.0}, "en") == \
        "maximal covering model, exact (highs) · greedy result 0.0 % below the optimum"
    assert "nan" not in siting_note({"method": "none", "greedy_gap_pct": float("nan")}, "en")
