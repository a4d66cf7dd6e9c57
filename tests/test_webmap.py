from __future__ import annotations

import html
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from atlas import palette, settings, webmap
from atlas.data.catalogue import layer_frame, load_catalogue, read_source
from atlas.data.geodata import load_districts, load_plan, sites_from_frame
from atlas.errors import ValidationError
from atlas.geo.datum import from_wgs84
from atlas.webmap import build_map, layer_spec, popup_html

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
_ADD = re.compile(r"atlas\.addLayer\([A-Za-z0-9_]+, (\{.*?\})\);\n", re.S)


def _frames(sites=None):
    cat = load_catalogue()
    out = {}
    for lyr in cat:
        src = sites if (sites is not None and lyr.source == "sites.csv") else read_source(lyr.source)
        out[lyr.id] = layer_frame(lyr, src)
    return cat, out


def _specs(html: str) -> dict[str, dict]:
    """The layer specs a rendered map carries, by layer id."""
    return {s["id"]: s for s in (json.loads(m) for m in _ADD.findall(html))}


def _label(r: list) -> str:
    """A point row's label as atlas.js reads it (1: the same as its tooltip)."""
    return r[2] if r[7] == 1 else r[7]


def _vals(spec: dict, r: list) -> list[str]:
    """A row's popup values as atlas.js reads them (a value every row shares is sent once)."""
    same = spec.get("same", {})
    col = 5 if spec["kind"] == "point" else 2
    return [v or same.get(str(i), "") for i, v in enumerate(r[col])]


def _evil_sites():
    df = pd.read_csv(settings.GEODATA_DIR / "sites.csv", dtype=str, keep_default_na=False)
    i = df.index[df.id == "K11"][0]
    df.loc[i, "name_zh"] = EVIL
    df.loc[i, "note"] = EVIL
    return sites_from_frame(df)


def test_user_strings_are_escaped_in_popups_tooltips_and_labels():
    cat, frames = _frames(_evil_sites())
    html = build_map(cat, frames, basemap="none").get_root().render()
    assert "<script>alert(" not in html and "<img src=x" not in html
    row = next(r for r in _specs(html)["kepu_sites"]["rows"] if "alert" in r[2])
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    assert row[2].startswith(escaped)  # tooltip
    assert _label(row) == escaped + "&lt;img src=x onerror=alert(1)&gt;"  # label
    assert escaped in row[5][0]  # popup values: the name ...
    # in English the tooltip is the English name: the row is found by its note
    html_en = build_map(cat, frames, basemap="none", lang="en").get_root().render()
    row_en = next(r for r in _specs(html_en)["kepu_sites"]["rows"] if "alert" in r[5][-1])
    assert escaped in row_en[5][-1]  # ... and the note (notes are shown to English readers)


def test_template_syntax_in_names_is_never_evaluated_on_the_server():
    # branca renders every element through Jinja: "{{ 7*7 }}" in a name would come out as "49"
    df = pd.read_csv(settings.GEODATA_DIR / "sites.csv", dtype=str, keep_default_na=False)
    df.loc[df.id == "K11", "name_zh"] = "{{ 7*7 }}{% if true %}X{% endif %}"
    cat, frames = _frames(sites_from_frame(df))
    html = build_map(cat, frames, basemap="none").get_root().render()
    assert "{{ 7*7 }}{% if true %}X{% endif %}" in html and "49X" not in html


def test_spec_json_cannot_close_the_script_or_be_renamed_by_streamlit_folium():
    text = webmap._js_json({"a_b": "</script><b>it's_x</b>"})
    assert "<" not in text and "_" not in text and "'" not in text
    assert json.loads(text) == {"a_b": "</script><b>it's_x</b>"}


def test_popup_lists_tasks_and_lead_units():
    tasks = {t["task"]: t for t in load_plan()["tasks"]}
    row = {"name_zh": "测试", "policy_tasks": "5;7", "est_error_m": 150.0,
           "position_status": "estimate"}
    html = popup_html(row, ["name_zh", "est_error_m", "position_status"], tasks=tasks)
    assert "构建高能级实验室梯队" in html and "市科技局" in html and "±150 m" in html


def test_approximate_points_get_error_rings_in_the_palette_style():
    cat, frames = _frames()
    html = build_map(cat, frames, basemap="none", visible=["kepu_sites"]).get_root().render()
    spec = _specs(html)["kepu_sites"]
    kepu = frames["kepu_sites"].dropna(subset=["lon"])
    approx = [r for r in spec["rows"] if r[4]]
    assert len(approx) == int((kepu.position_status == "estimate").sum()) > 0
    est = kepu.set_index("id").est_error_m[kepu.position_status.to_numpy() == "estimate"]
    assert sorted(r[3] for r in approx) == sorted(round(e) for e in est)
    assert spec["ring"]["dash"] == palette.ERROR_RING["dash_array"]
    assert spec["ring"]["color"] == palette.ERROR_RING["color"]


def test_amap_basemap_shifts_overlays_to_gcj02():
    cat, frames = _frames()
    k = frames["kepu_sites"].set_index("id").loc["K11"]
    gx, gy = from_wgs84(k.geometry.x, k.geometry.y, datum="gcj02")
    html_amap = build_map(cat, frames, basemap="amap", visible=["kepu_sites"]).get_root().render()
    html_osm = build_map(cat, frames, basemap="osm", visible=["kepu_sites"]).get_root().render()
    pos = {_label(r): (r[0], r[1]) for r in _specs(html_amap)["kepu_sites"]["rows"]}
    assert pos[k.name_zh] == pytest.approx((float(gx), float(gy)), abs=1e-5)
    pos = {_label(r): (r[0], r[1]) for r in _specs(html_osm)["kepu_sites"]["rows"]}
    assert pos[k.name_zh] == pytest.approx((k.geometry.x, k.geometry.y), abs=1e-5)
    assert "autonavi" in html_amap and "autonavi" not in html_osm


def test_no_tiles_mode_and_task_filter():
    cat, frames = _frames()
    html = build_map(cat, frames, basemap="none", task=23).get_root().render()
    assert "openstreetmap" not in html.lower().split("atlas-attribution")[0]
    # only task-23 sites are drawn: no university marker (universities are tasks 8/none)
    assert "宁波大学(本部)" not in html and "宁波科学探索中心" in html


def test_tianditu_key_is_validated_and_missing_key_falls_back():
    cat, frames = _frames()
    with pytest.raises(ValidationError):
        build_map(cat, frames, basemap="tianditu", tianditu_key='abc";alert(1);"')
    html = build_map(cat, frames, basemap="tianditu", tianditu_key="").get_root().render()
    assert 'window.ATLAS_BASEMAP = "none"' in html


def test_district_filter_keeps_only_that_district():
    cat, frames = _frames()
    html = build_map(cat, frames, basemap="none", districts=["余姚市"]).get_root().render()
    assert "余姚市公共文化中心" in html and "宁波科学探索中心" not in html
    assert [r[1] for r in _specs(html)["districts"]["rows"]] == ["余姚市"]


def test_draw_control_is_offline():
    from atlas.webmap import add_draw_control

    cat, frames = _frames()
    m = add_draw_control(build_map(cat, frames, basemap="none", visible=["districts"]))
    html = m.get_root().render()
    assert "cdnjs" not in html and "L.Control.Draw" in html
    import base64

    from atlas.webmap import _draw_assets

    css = base64.b64decode(_draw_assets()[1][0][1].split(",", 1)[1]).decode()
    assert "images/spritesheet" not in css and css.count("data:image/") == 4  # sprites inlined


def test_served_assets_are_links_with_a_content_version():
    js, css = webmap.map_assets("../x/")
    assert [u.split("?")[0] for _, u in js] == ["../x/leaflet/leaflet.js", "../x/atlas/atlas.js"]
    assert all(re.search(r"\?v=[0-9a-f]{12}$", u) for _, u in [*js, *css])
    inline, _ = webmap.map_assets(None)
    assert all(u.startswith("data:text/javascript;base64,") for _, u in inline)


def test_thousands_of_points_are_one_canvas_layer_of_compact_rows():
    layer = next(x for x in load_catalogue() if x.id == "kepu_sites")
    rng = np.random.default_rng(1)
    n = 2500
    pts = gpd.GeoDataFrame({"id": [f"G{i}" for i in range(n)], "name_zh": [f"画廊{i}" for i in range(n)],
                            "position_status": "sourced", "est_error_m": 30.0, "policy_tasks": "23"},
                           geometry=shapely.points(rng.uniform(121.3, 121.8, n), rng.uniform(29.7, 30.0, n)),
                           crs="EPSG:4326")
    for col in layer.popup_fields:
        if col not in pts:
            pts[col] = ""
    tasks = {t["task"]: t for t in load_plan()["tasks"]}
    m = build_map([layer], {layer.id: pts}, basemap="none", tasks=tasks)
    html = m.get_root().render()
    assert html.count("atlas.addLayer(") == 1  # one layer, not one script block per point
    assert '"preferCanvas": true' in html
    spec = _specs(html)["kepu_sites"]
    assert len(spec["rows"]) == n
    assert spec["label"]["min_zoom"] == webmap.LABEL_MIN_ZOOM_DENSE  # a dense layer labels late
    assert len(webmap._js_json(spec)) / n < 400  # bytes per point, popups included


def test_boundaries_are_simplified_for_display_only():
    districts = load_districts()
    shown = webmap.display_geometry(districts.geometry.to_numpy())
    full = int(shapely.get_num_coordinates(districts.geometry.to_numpy()).sum())
    sent = sum(len(shapely.get_coordinates(shapely.geometry.shape(g))) for g in shown)
    assert sent < full / 2
    # still the same places: every simplified district within ~100 m of the original
    for g, orig in zip(shown, districts.geometry, strict=True):
        assert shapely.hausdorff_distance(shapely.geometry.shape(g), orig) < 0.001
    assert int(shapely.get_num_coordinates(load_districts().geometry.to_numpy()).sum()) == full


def test_gap_shading_is_clipped_to_the_boundary_with_a_graduated_legend():
    import h3

    districts = load_districts()
    yz = districts[districts.name_zh == "鄞州区"].geometry.iloc[0]
    edge = shapely.get_coordinates(yz.exterior if yz.geom_type == "Polygon" else yz.geoms[0].exterior)[0]
    cell = h3.latlng_to_cell(edge[1], edge[0], 7)  # straddles the boundary
    poly = shapely.Polygon([(lo, la) for la, lo in h3.cell_to_boundary(cell)])
    cells = gpd.GeoDataFrame({"h3": [cell], "district": ["鄞州区"], "uncovered": [5000.0]},
                             geometry=[poly], crs="EPSG:4326")
    group = webmap.cells_group(cells, clip=yz)
    m = folium_map_with(group)
    spec = _specs(m.get_root().render())["cells"]
    shown = shapely.geometry.shape(spec["rows"][0][0])
    # cut at the boundary (up to the display simplification of ~50 m)
    assert shown.area < poly.area * 0.95
    assert shapely.difference(shown, yz.buffer(1.2 * webmap.DISPLAY_TOLERANCE_DEG)).area < 1e-9
    assert spec["rows"][0][6] == palette.gap_colour(palette.uncovered_density(cells))[0]
    entry = group.legend[0]
    assert entry.kind == "ramp" and [c for c, _ in entry.ramp] == list(palette.GAP_COLOURS)
    legend = webmap.legend_html(group.legend)
    assert "km²" in legend and "≥ 10,000" in legend


def folium_map_with(*groups):
    m, _ = webmap.base_map(basemap="none")
    for g in groups:
        g.add_to(m)
    return m


def test_service_areas_are_filled_and_listed_unlike_error_rings():
    from atlas.analysis.service_area import proxy_areas

    _, frames = _frames()
    kepu = frames["kepu_sites"].dropna(subset=["lon"]).head(3)
    group = webmap.areas_group(proxy_areas(kepu))
    spec = _specs(folium_map_with(group).get_root().render())["areas"]
    assert spec["style"]["fill_opacity"] > 0 and spec["style"]["dash"] is None
    assert spec["style"]["dash"] != palette.ERROR_RING["dash_array"]
    assert group.legend[0].kind == "proxy_area" and "直线近似" in group.legend[0].label
    legend = webmap.legend_html([*group.legend, webmap.LegendEntry("x", "#000000", "ring")])
    assert "直线近似" in legend and "近似位置" in legend and "dotted" in legend


def test_straight_line_circles_are_hatched_with_a_heavy_outline_unlike_walking_areas_and_rings():
    from atlas.analysis.service_area import proxy_areas

    _, frames = _frames()
    kepu = frames["kepu_sites"].dropna(subset=["lon"]).head(3)
    proxy = json.loads(webmap.areas_overlay(proxy_areas(kepu)).spec)["style"]
    walking = json.loads(webmap.areas_overlay(proxy_areas(kepu).assign(method="network")).spec)["style"]
    ring = json.loads(layer_spec(next(x for x in load_catalogue() if x.id == "kepu_sites"), kepu))["ring"]
    assert proxy["hatch"]["opacity"] >= 0.4 and "hatch" not in walking  # hatched, not a flat tint
    assert proxy["weight"] >= 2 * ring["weight"] and proxy["weight"] > walking["weight"]  # heavier outline
    assert proxy["dash"] is None and ring["dash"]  # solid, never dotted like an error ring
    assert ring["color"] not in (proxy["color"], proxy["hatch"]["color"])
    swatch = webmap.legend_html([webmap.LegendEntry("p", proxy["color"], "proxy_area")])
    assert "repeating-linear-gradient" in swatch and "dotted" not in swatch  # the legend draws it so too


def test_builds_are_counted_through_the_hook():
    cat, frames = _frames()
    seen: list[tuple[str, str]] = []
    webmap.BUILD_HOOKS.append(lambda kind, name: seen.append((kind, name)))
    try:
        build_map(cat, frames, basemap="none", visible=["districts", "kepu_sites"])
    finally:
        webmap.BUILD_HOOKS.clear()
    assert sorted(seen) == [("base", "none"), ("layer", "districts"), ("layer", "kepu_sites")]


def test_layer_spec_key_follows_content():
    cat, frames = _frames()
    layer = next(x for x in cat if x.id == "universities")
    a = json.loads(layer_spec(layer, frames["universities"]))
    b = json.loads(layer_spec(layer, frames["universities"]))
    c = json.loads(layer_spec(layer, frames["universities"], lang="en"))
    assert a["key"] == b["key"] != c["key"]


def test_popups_show_words_not_codes_and_citations_not_raw_sources():
    from atlas import fmt

    cat, frames = _frames()
    spec = _specs(build_map(cat, frames, basemap="none", visible=["kepu_sites"]).get_root().render())
    layer = next(x for x in cat if x.id == "kepu_sites")
    kepu = frames["kepu_sites"].dropna(subset=["lon"]).reset_index(drop=True)
    col = {c: i for i, c in enumerate(layer.popup_fields)}
    rows = {_label(r): r for r in spec["kepu_sites"]["rows"]}
    for _, site in kepu.iterrows():
        vals = _vals(spec["kepu_sites"], rows[site.name_zh])
        if site.level:
            assert vals[col["level"]] == fmt.level_label(site.level, "zh")
        assert "github:" not in vals[col["source"]] and "find_string" not in vals[col["source"]]


def test_values_every_row_shares_are_sent_once_and_read_back_whole():
    cat, frames = _frames()
    layer = next(x for x in cat if x.id == "kepu_galleries")
    gdf = webmap.filter_frame(layer, frames[layer.id])
    spec = json.loads(layer_spec(layer, gdf))
    full = [[html.escape(webmap._fmt(v, c, "zh")) for c in layer.popup_fields for v in [row[c]]]
            for _, row in gdf.iterrows()]
    assert [_vals(spec, r) for r in spec["rows"]] == full  # nothing lost
    source = layer.popup_fields.index("source")
    assert str(source) in spec["same"] and all(r[5][source] == "" for r in spec["rows"])
    labels = [r[7] for r in spec["rows"]]
    assert labels.count(1) > len(gdf) / 2  # a label that repeats the tooltip is not sent twice
    assert [_label(r) for r in spec["rows"]] == [html.escape(x) for x in webmap.label_texts(layer, gdf)]
    # small layers stay as they are
    small = json.loads(layer_spec(layer, gdf.head(webmap.specs.SHARE_MIN_ROWS - 1)))
    assert "same" not in small and 1 not in [r[7] for r in small["rows"]]
