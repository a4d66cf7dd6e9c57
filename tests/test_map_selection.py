"""The map page has one selected feature: the last search pick or map click wins, survives
layer toggles, and the card says so when the district filter hides it (review finding 9)."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
MAP = "pages/0_地图_Map.py"


def _click(at: AppTest, layer: str, fid: str) -> None:
    """Send what streamlit-folium returns for a click on feature ``fid`` of ``layer``."""
    from streamlit_folium import generate_js_hash

    from ui import mapview

    (el,) = [e for e in at.get("component_instance") if e.proto.component_name.endswith("st_folium")]
    key = generate_js_hash(json.loads(el.proto.json_args)["script"], "atlas_map", False)
    (v,) = mapview.catalogue_views([layer], lang="zh", datum="wgs84")
    i = v.ids.index(fid)
    at.session_state[key] = {"last_clicked": None,
                             "last_object_clicked": {"lat": v.lat[i], "lng": v.lon[i]},
                             "last_object_clicked_tooltip": v.tips[i]}
    at.run()


def _card(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown if m.value.startswith("###"))


def test_last_click_wins_survives_a_layer_toggle_and_a_hiding_filter_is_said():
    from atlas.data.geodata import load_sites

    sites = load_sites()
    at = AppTest.from_file(str(ROOT / MAP), default_timeout=120).run()
    at.text_input(key="search").input("甬江实验室").run()
    lab = sites[sites.name_zh.str.contains("甬江实验室")].iloc[0]
    assert lab.name_zh in _card(at)
    other = sites[(sites.category == "kepu_site") & sites.geometry.notna()
                  & (sites.district != lab.district)].iloc[0]
    _click(at, "kepu_sites", other.id)
    assert not at.exception, at.exception
    assert other.name_zh in _card(at) and lab.name_zh not in _card(at)
    at.checkbox(key="show_kepu_galleries").check().run()  # a layer toggle: the click stays
    assert other.name_zh in _card(at) and lab.name_zh not in _card(at)
    at.multiselect(key="district_filter").set_value([lab.district]).run()  # hides the clicked one
    assert other.name_zh not in _card(at)
    assert any("区县筛选" in i.value for i in at.info)
    at.multiselect(key="district_filter").set_value([other.district]).run()
    assert other.name_zh in _card(at)


def test_search_ring_on_a_gcj02_basemap_is_shifted_like_the_markers():
    """Review finding 8: on AMap tiles the overlays are drawn in GCJ-02; the ring must be too."""
    import math

    from atlas.geo.datum import from_wgs84
    from ui import mapview
    from ui.map_page import search_marks

    (v,) = mapview.catalogue_views(["labs_institutes"], lang="zh", datum="gcj02")
    i = v.ids.index("L01")
    (wgs,), _ = search_marks([v], ("", "L01"))
    (gcj,), box = search_marks([v], ("", "L01"), datum="gcj02")
    assert (wgs[0], wgs[1]) == (v.lat[i], v.lon[i])
    lon, lat = from_wgs84([v.lon[i]], [v.lat[i]], datum="gcj02")
    assert (gcj[0], gcj[1]) == (float(lat[0]), float(lon[0]))
    shift_m = math.hypot((gcj[1] - wgs[1]) * 96_000, (gcj[0] - wgs[0]) * 111_000)
    assert 300 < shift_m < 800  # the GCJ offset in Ningbo, ~500 m
    assert box is not None and box[0] < gcj[1] < box[2] and box[1] < gcj[0] < box[3]
