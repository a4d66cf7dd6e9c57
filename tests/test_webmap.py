from __future__ import annotations

import re

import pandas as pd
import pytest

from atlas import settings
from atlas.catalogue import layer_frame, load_catalogue, read_source
from atlas.datum import from_wgs84
from atlas.errors import ValidationError
from atlas.geodata import load_plan, sites_from_frame
from atlas.webmap import build_map, popup_html

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _frames(sites=None):
    cat = load_catalogue()
    out = {}
    for lyr in cat:
        src = sites if (sites is not None and lyr.source == "sites.csv") else read_source(lyr.source)
        out[lyr.id] = layer_frame(lyr, src)
    return cat, out


def _evil_sites():
    df = pd.read_csv(settings.GEODATA_DIR / "sites.csv", dtype=str, keep_default_na=False)
    i = df.index[df.id == "K11"][0]
    df.loc[i, "name_zh"] = EVIL
    df.loc[i, "note"] = EVIL
    return sites_from_frame(df)


def test_user_strings_are_escaped_in_popups_and_tooltips():
    cat, frames = _frames(_evil_sites())
    html = build_map(cat, frames, basemap="none").get_root().render()
    assert "<script>alert(" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html or "\\u0026lt;script\\u0026gt;" in html


def test_popup_lists_tasks_and_lead_units():
    tasks = {t["task"]: t for t in load_plan()["tasks"]}
    row = {"name_zh": "测试", "policy_tasks": "5;7", "est_error_m": 150.0,
           "position_status": "estimate"}
    html = popup_html(row, ["name_zh", "est_error_m", "position_status"], tasks=tasks)
    assert "构建高能级实验室梯队" in html and "市科技局" in html and "±150 m" in html


def test_approximate_points_get_dashed_error_rings():
    cat, frames = _frames()
    html = build_map(cat, frames, basemap="none", visible=["kepu_sites"]).get_root().render()
    kepu = frames["kepu_sites"]
    n_est = int((kepu.position_status == "estimate").sum())
    assert n_est > 0
    assert len(re.findall(r"L\.circle\(", html)) == n_est
    assert html.count('"dashArray": "6 6"') == n_est


def test_amap_basemap_shifts_overlays_to_gcj02():
    cat, frames = _frames()
    k = frames["kepu_sites"].set_index("id").loc["K11"]
    lon, lat = k.geometry.x, k.geometry.y
    gx, gy = from_wgs84(lon, lat, datum="gcj02")
    html_amap = build_map(cat, frames, basemap="amap", visible=["kepu_sites"]).get_root().render()
    html_osm = build_map(cat, frames, basemap="osm", visible=["kepu_sites"]).get_root().render()
    assert f"[{float(gy)!r}, {float(gx)!r}]" in html_amap
    assert f"[{lat!r}, {lon!r}]" in html_osm and "autonavi" in html_amap


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
