"""The Coverage page shows the engine's honest figures as people read them (AppTest, offline)."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from atlas import fmt
from atlas.coverage.summary import demand_label

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
    # people placed by area: the gaps are ranked by area, which comes before the head count
    area = gaps["面积（km²）"].to_numpy()
    assert list(gaps.columns).index("面积（km²）") < list(gaps.columns).index("人口（按面积折算，约）")
    assert (area[:-1] >= area[1:]).all() and list(gaps["排序"]) == list(range(1, len(gaps) + 1))
    by = _table(at, "覆盖率上限（%）")
    status = by.set_index("范围")["状态"]
    assert status.loc["奉化区"] == fmt.method_label("supply_data_missing", "zh")
    assert any("人口按面积均摊" in c.value for c in at.caption)
    # the 奉化区/宁海县 caveat is said once on the page (the headline), not in every note
    texts = [*(c.value for c in at.caption), *(i.value for i in at.info), *(w.value for w in at.warning),
             *(m.value for m in at.markdown)]
    assert sum("奉化区" in x for x in texts) == 1, [x for x in texts if "奉化区" in x]


def test_english_district_notes_and_headers():
    at = _run("en")
    by = _table(at, "Covered, at most (%)")
    notes = by.set_index("Place")
    assert "no data in source" in set(notes["Status"])
    assert not notes.filter(like="Note").astype(str).apply(lambda s: s.str.contains("数据")).any().any()


def test_a_district_offline_shows_its_city_wide_accessibility():
    city = _table(_run(), ACC).set_index("范围")[ACC]
    one = _table(_run(cov_scope="鄞州区"), ACC).set_index("范围")[ACC]
    assert list(one.index) == ["鄞州区"]
    assert one.loc["鄞州区"] == city.loc["鄞州区"]


def test_added_sites_show_the_change_and_scenarios_save_and_load_in_one_step():
    from atlas.analysis.scenarios import Scenario, load_scenarios, save_scenario
    from atlas.i18n import t

    old = Scenario("旧方案")
    old.add_site(121.40, 29.70)
    save_scenario(old)
    at = _run()
    assert at.slider(key="cov_k").disabled and at.selectbox(key="cov_cand_src").disabled  # offline
    assert any("不做选址推荐" in c.value for c in at.caption)
    at.session_state["scenario"].add_site(121.5512, 29.8274, label="角落候选")
    at.session_state["scenario"].add_site(121.60, 29.75)
    at.run()
    badge = "含 2 个假设站点 · 方案 A"
    assert any(badge in w.value for w in at.warning)  # the figures say they include them
    change = next(i.value for i in at.info if t("cov_change", "zh") in i.value)
    # every figure's change: both bounds (offline: the upper), the estimate, what is certainly outside
    for what in ("上限", "估计", "确定在范围外的面积", "确定在范围外的人口（按面积折算）"):
        assert f"- {what}：" in change, change
    assert badge in change and "个百分点" in change
    labels = at.session_state["scenario"].labels("zh")
    assert labels == ["角落候选", "候选点 2"]  # numbered unless named
    at.text_input(key="cov_scen_name").input("测试方案").run()
    next(b for b in at.button if b.label == t("cov_save", "zh")).click().run()
    assert any("测试方案" in s.value for s in at.success)  # the saved message names it
    assert {s.name for s in load_scenarios()} == {"旧方案", "测试方案"}
    at.selectbox(key="cov_load").select("旧方案").run()  # one step: no button
    assert not at.exception
    assert at.session_state["scenario"].name == "旧方案"
    assert at.text_input(key="cov_scen_name").value == "旧方案"
    assert not any(b.label == t("cov_load_btn", "zh") for b in at.button)


def test_the_change_gives_every_figure_in_both_languages():
    from atlas.coverage.text import coverage_change

    before = {"pct_upper": 61.3, "pct_estimate": 27.7, "certain_gap_population": 662_244.0,
              "certain_gap_area_km2": 321.87}
    after = {"pct_upper": 63.94, "pct_estimate": 29.0, "certain_gap_population": 640_000.0,
             "certain_gap_area_km2": 311.2}
    zh = dict(coverage_change(before, after, "zh", demand="area-uniform"))
    assert zh == {"上限": "61.3 % → 63.9 %（+2.6 个百分点）", "估计": "27.7 % → 29.0 %（+1.3 个百分点）",
                  "确定在范围外的面积": "322 km² → 311 km²（-10.7 km²）",
                  "确定在范围外的人口（按面积折算）": "662,200 → 640,000（−22,200）"}
    en = dict(coverage_change(before, after, "en", demand="buildings"))
    assert en == {"Upper bound": "61.3 % → 63.9 % (+2.6 points)", "Estimate": "27.7 % → 29.0 % (+1.3 points)",
                  "People certainly outside": "662,200 → 640,000 (−22,200)"}
    net = dict(coverage_change(before, after, "zh", method="network", demand="buildings"))
    assert list(net) == ["覆盖率（步行路网）", "确定在范围外的人口"]


def _bomb_tif(path) -> bytes:
    """A GeoTIFF of under 1 MB that declares 200,000 × 200,000 pixels (40 G cells) over Ningbo."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=200_000, height=200_000, count=1,
                       dtype="float32", crs="EPSG:4326", transform=from_origin(121.0, 30.3, 1e-5, 1e-5),
                       tiled=True, blockxsize=1024, blockysize=1024, compress="deflate",
                       sparse_ok=True) as dst:
        dst.write(np.ones((1, 256, 256), "float32"), window=((0, 256), (0, 256)))
    return path.read_bytes()


def test_a_hostile_population_raster_gets_a_message_and_nothing_crashes(tmp_path):
    data = _bomb_tif(tmp_path / "bomb.tif")
    assert len(data) < 1_000_000
    for lang in ("zh", "en"):
        at = _run(lang)
        at.radio(key="cov_pop_src").set_value("upload").run()
        at.file_uploader(key="cov_pop_file").set_value(("bomb.tif", data, "image/tiff")).run()
        assert not at.exception
        assert at.error, "a refusal is shown"
        text = " ".join(e.value for e in at.error)
        cjk = re.search(r"[\u4e00-\u9fff]", text)
        assert (not cjk) if lang == "en" else cjk
        assert "Traceback" not in text and "/tmp" not in text
        assert at.metric  # the page goes on with area-uniform people


def test_uploads_run_within_the_guard_budget(monkeypatch):
    from atlas import settings

    monkeypatch.setattr(settings, "IMPORT_MEMORY_BYTES", 1024**2)  # 1 MiB more than the worker maps
    csv = "lon,lat,population\n" + "".join(f"121.{5000 + i},29.{8000 + i},{i}\n" for i in range(3000))
    at = _run("en")
    at.radio(key="cov_pop_src").set_value("upload").run()
    at.file_uploader(key="cov_pop_file").set_value(("cells.csv", csv.encode(), "text/csv")).run()
    assert not at.exception
    # in-process the budget would not apply and the file would be read; in the worker it cannot be
    assert any("memory" in e.value for e in at.error), [e.value for e in at.error]
    monkeypatch.setattr(settings, "IMPORT_MEMORY_BYTES", 2 * 1024**3)
    at.file_uploader(key="cov_pop_file").set_value(("cells2.csv", csv.encode(), "text/csv")).run()
    assert not at.exception and not at.error  # the same file within the usual budget is read


def test_band_shares_table_is_the_engines_and_badged_with_a_scenario():
    from atlas.coverage.bands import band_header, band_shares, band_view
    from atlas.i18n import t

    at = _run()
    head = band_header(5.0, "zh")
    shown = _table(at, head)
    assert list(shown.columns) == ["范围", *(band_header(m, "zh") for m in (5.0, 10.0, 15.0))]
    # the page's figures are the engine's for the same inputs (city, offline, bases + galleries)
    from atlas.analysis.demand import proxy_demand
    from atlas.analysis.supply import supply_sites
    from atlas.coverage.summary import coverage_summary
    from atlas.data.geodata import load_districts, load_population

    engine = coverage_summary(proxy_demand(load_districts(), load_population()), supply_sites("both"),
                              supply="both")
    assert shown.equals(band_view(band_shares(engine, lang="zh"), "zh"))
    assert any(c.value == t("bands_by_area", "zh") for c in at.caption)
    at.session_state["scenario"].add_site(121.5512, 29.8274)
    at.run()
    assert not at.exception
    assert any(m.value == t("bands_title", "zh") for m in at.subheader)
    badge = at.session_state["scenario"].badge("zh")
    assert any(c.value == "⚑ " + badge for c in at.caption)
    from atlas.analysis.scenarios import sites_frame

    added = engine.with_added_sites(sites_frame(at.session_state["scenario"], "zh"))
    assert _table(at, head).equals(band_view(band_shares(added, lang="zh"), "zh"))  # the site counts
