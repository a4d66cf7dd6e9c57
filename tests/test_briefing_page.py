"""The coverage briefing page and the words of every static map (issue 17, item 6).

Every layout x language of every kind of static map (the plain city map, a district briefing
map, the coverage briefing page of a district and of the city) is rendered and its words read
back: titles, legends, footer, sidebar and labels are in the reader's language only, no label
is cut off with "…", and no two site labels on a page say the same thing.
"""

from __future__ import annotations

import re
from datetime import date

import geopandas as gpd
import pytest
from pypdf import PdfReader

from atlas import fmt
from atlas.analysis.demand import proxy_demand
from atlas.analysis.supply import supply_sites
from atlas.coverage.brief import briefing_inputs, render_coverage_briefing
from atlas.coverage.summary import coverage_summary
from atlas.data.catalogue import layer_frame, load_catalogue, read_source
from atlas.data.geodata import load_districts, load_population
from atlas.staticmap import PRESETS, build_scene, render_static_map

#: Latin words a Chinese page may hold: codes and proper names (CRS, datums, OSM, units).
LATIN_OK = {"WGS", "UTM", "EPSG", "GCJ", "BD", "OpenStreetMap", "ODbL", "cnmaps", "data", "km", "m"}
CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")
DAY = date(2026, 12, 6)


@pytest.fixture(scope="module")
def world():
    cat = load_catalogue()
    frames = {lyr.id: layer_frame(lyr, read_source(lyr.source)) for lyr in cat}
    dists, pop = load_districts(), load_population()
    inputs = {scope: briefing_inputs(scope, frames=frames, districts=dists, population=pop)
              for scope in ("鄞州区", None)}
    return cat, frames, inputs


def _words(rec: dict) -> dict[str, list[str]]:
    """Every text of a rendered page by role: page (title, sidebar, footer), legend, labels."""
    labels = [txt.get_text() for part in ("main", "inset") if part in rec
              for txt in rec[part]["sites"]]
    districts = {part: [txt.get_text() for txt in rec[part]["districts"]]
                 for part in ("main", "inset") if part in rec}
    caption = [rec["inset"]["caption"]] if "inset" in rec else []
    return {"page": [s for s, _ in rec["page_texts"]] + caption,
            "legend": [s for s, _ in rec["legend_texts"]], "sites": labels,
            "districts": [d for ds in districts.values() for d in ds],
            "dup_districts": [d for ds in districts.values() for d in ds if ds.count(d) > 1]}


def _foreign(text: str, lang: str) -> list[str]:
    """The words of ``text`` in the other script (Latin words beyond codes in zh, CJK in en)."""
    if lang == "en":
        return CJK.findall(text)
    # a single letter is a name or a code ("方案 A", "51N"), not an English word
    return [w for w in re.findall(r"[A-Za-z][A-Za-z]+", text) if w not in LATIN_OK]


def _check_page(rec: dict, lang: str) -> None:
    words = _words(rec)
    for role in ("page", "legend", "sites", "districts"):
        for text in words[role]:
            assert not _foreign(text, lang), (role, text, _foreign(text, lang))
            assert "…" not in text and "..." not in text, (role, text)  # nothing cut off
    sites = [s.replace("\n", "") for s in words["sites"]]
    assert len(sites) == len(set(sites)), sorted(s for s in sites if sites.count(s) > 1)
    assert not words["dup_districts"], words["dup_districts"]
    page = "\n".join(words["page"])
    assert "见数据表" not in page and "in the data tables" not in page  # no table is named that


def _render(kind: str, world, tmp_path, preset: str, lang: str) -> dict:
    cat, frames, inputs = world
    rec: dict = {}
    out = tmp_path / f"{kind}_{preset}_{lang}.png"
    if kind == "city_map":
        render_static_map(cat, frames, out, lang=lang, preset=preset, dpi=30, today=DAY, record=rec)
    elif kind == "district_map":
        brief = inputs["鄞州区"]
        render_static_map(cat, frames, out, lang=lang, preset=preset, dpi=30, today=DAY, record=rec,
                          districts=["鄞州区"], areas=brief.areas, cells=brief.summary.cells())
    else:
        scope = "鄞州区" if kind == "brief_district" else None
        render_coverage_briefing(inputs[scope], out, layers=cat, frames=frames, lang=lang,
                                 preset=preset, dpi=30, today=DAY, record=rec)
    return rec


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("kind", ["city_map", "district_map", "brief_district", "brief_city"])
def test_every_layout_and_language_reads_in_its_own_language(world, tmp_path, kind, preset, lang):
    rec = _render(kind, world, tmp_path, preset, lang)
    _check_page(rec, lang)
    footer = next(s for s, _ in rec["page_texts"] if s.startswith(("制图日期", "Date")))
    assert ("UTM 第51N带" in footer) if lang == "zh" else ("UTM zone 51N" in footer)
    assert "via" not in footer.split() or lang == "en"
    if kind.startswith("brief"):  # a briefing page's legend and table stay inside the page
        for text, (x0, y0, x1, y1) in rec["page_texts"]:
            assert min(x0, y0) >= -1e-3 and max(x1, y1) <= 1 + 1e-3, (text, (x0, y0, x1, y1))


def _coverage_page_summary(scope: str | None):
    """The summary the Coverage page makes offline: city proxy demand, cut to the scope."""
    demand = proxy_demand(load_districts(), load_population())
    if scope is not None:
        demand = demand[demand.district == scope]
    return coverage_summary(demand, supply_sites("both"), supply="both")


@pytest.mark.parametrize("scope", ["鄞州区", None])
def test_the_page_prints_the_coverage_page_figures_with_bounds_and_estimate(world, tmp_path, scope):
    cat, frames, inputs = world
    lang = "zh" if scope else "en"
    out = render_coverage_briefing(inputs[scope], tmp_path / "b.pdf", layers=cat, frames=frames,
                                   lang=lang, preset="a4-landscape", today=DAY)
    text = PdfReader(str(out)).pages[0].extract_text()
    city = _coverage_page_summary(scope).city()
    upper, estimate = fmt.pct(city.pct_upper), fmt.pct(city.pct_estimate)
    assert f"≤ {upper}" in text and f"≈ {estimate}" in text  # bounds and a labelled estimate
    assert ("至多（直线上限）" in text and "估计值" in text) if lang == "zh" else \
        ("At most" in text and "Estimate" in text)
    by = _coverage_page_summary(scope).by_district()
    for _, row in by.iterrows():  # the district table: each district's figures, as on the page
        if row.status == "ok":
            assert f"≤ {fmt.pct(row.pct_upper)}" in text and f"≈ {fmt.pct(row.pct_estimate)}" in text
    if scope is None:  # galleries are part of the supply: drawn, with their count
        assert "1,183" in text and "Whole city" in text
        assert "Fenghua" in text and "Unknown" in text  # no gallery data there: said, not 0 %


def _points(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy([r["lon"] for r in rows],
                                                              [r["lat"] for r in rows]), crs="EPSG:4326")


def test_labels_are_unique_and_never_cut_campuses_keep_their_names():
    cat = load_catalogue()
    frames = {lyr.id: layer_frame(lyr, read_source(lyr.source)) for lyr in cat}
    long_name = "宁波国家高新技术产业开发区管理委员会科技创新服务中心"
    wanli = "Zhejiang Wanli University"
    rows = [
        {"id": "a", "name_zh": "浙江万里学院(钱湖校区)", "name_en": f"{wanli} (Qianhu campus)",
         "district": "鄞州区", "lon": 121.5673, "lat": 29.819},
        {"id": "b", "name_zh": "浙江万里学院(回龙校区)", "name_en": f"{wanli} (Huilong campus)",
         "district": "鄞州区", "lon": 121.6269, "lat": 29.8294},
        {"id": "c", "name_zh": long_name, "name_en": "", "district": "鄞州区", "lon": 121.60, "lat": 29.78},
        {"id": "d", "name_zh": "同名科普馆", "name_en": "Same-name museum", "district": "鄞州区",
         "lon": 121.55, "lat": 29.75},
        {"id": "e", "name_zh": "同名科普馆", "name_en": "Same-name museum", "district": "海曙区",
         "lon": 121.50, "lat": 29.85},
    ]
    g = _points(rows)
    for lang in ("zh", "en"):
        scene = build_scene(cat, {**frames, "universities": g}, lang=lang,
                            visible=["districts", "universities"], districts=None)
        labels = list(scene.site_labels().values())
        flat = [x.replace("\n", "") for x in labels]
        assert len(flat) == len(set(flat)) == 5, flat
        assert not any("…" in x for x in labels)
        if lang == "zh":
            assert "浙江万里学院（钱湖校区）" in [x.replace("(", "（").replace(")", "）") for x in flat]
            assert long_name in flat  # whole, on several lines
            assert max(len(line) for x in labels for line in x.split("\n")) <= 9
            assert {"同名科普馆（鄞州区）", "同名科普馆（海曙区）"} <= set(flat)
        else:
            assert "Zhejiang Wanli University (Huilong campus)" in [x.replace("\n", " ") for x in labels]
            assert "Same-name museum (Yinzhou)" in [x.replace("\n", " ") for x in labels]


def test_a_ring_of_several_kilometres_is_not_drawn_and_the_legend_says_so(tmp_path):
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle

    from atlas.staticmap import MAIN_MARKER, draw_map
    from atlas.staticmap.layout import plain_axes

    cat = load_catalogue()
    frames = {lyr.id: layer_frame(lyr, read_source(lyr.source)) for lyr in cat}
    visible = ["districts", "hightech_parks", "yongjiang_ports", "universities"]
    scene = build_scene(cat, frames, lang="zh", visible=visible, districts=["鄞州区"])
    fig, ax = plt.subplots()
    try:
        plain_axes(ax, scene.extent)
        info = draw_map(ax, scene, marker_size=MAIN_MARKER)
        radii = [p.radius for p in ax.patches if isinstance(p, Circle)]
    finally:
        plt.close(fig)
    assert info["rings_left_out"] >= 1  # the 高新区's ±1.5 km centroid on a ~40 km map
    assert all(r <= info["ring_cap_m"] for r in radii)
    rec: dict = {}
    render_static_map(cat, frames, tmp_path / "m.png", districts=["鄞州区"], dpi=30, today=DAY,
                      visible=visible, record=rec)
    legend = " ".join(s for s, _ in rec["legend_texts"]).replace("\n", "")
    assert "未画出" in legend and f"{rec['legend']['ring_cap_m'] / 1000:.1f}" in legend


def test_a_scenario_s_sites_are_drawn_counted_and_the_page_carries_its_badge(world, tmp_path):
    from atlas.analysis.scenarios import Scenario

    cat, frames, inputs = world
    scen = Scenario("A")
    scen.add_site(121.70, 29.74)  # in the hills of the largest certain gap
    scen.add_site(121.78, 29.68)
    brief = briefing_inputs("鄞州区", frames=frames, districts=load_districts(),
                            population=load_population(), scenario=scen, lang="zh")
    base = inputs["鄞州区"].summary.city()
    assert brief.badge == scen.badge("zh") == "含 2 个假设站点 · 方案 A"
    assert brief.summary.city().pct_estimate > base.pct_estimate
    rec: dict = {}
    out = render_coverage_briefing(brief, tmp_path / "s.pdf", layers=cat, frames=frames, lang="zh",
                                   preset="slide-16x9", today=DAY, record=rec)
    text = PdfReader(str(out)).pages[0].extract_text()
    assert text.count("含 2 个假设站点 · 方案 A") >= 2  # above the figures and in the legend
    assert f"≈ {fmt.pct(brief.summary.city().pct_estimate)}" in text
    assert {"候选点 1", "候选点 2"} <= {t.get_text() for t in rec["main"]["sites"]}
    _check_page(rec, "zh")
