"""Template injection and HTML escaping, as a class: every user-supplied string that reaches the web
map or the exported HTML (atlas.webmap, atlas.io.export.save_html) is shown as text, never evaluated.

The strings: an imported layer's name, its rows' names and addresses, zone names of an uploaded
boundary file (imported as an area layer), candidate sites on the coverage and service-area
overlays, gap-cell zones, legend labels and the map title. Each is tried with each payload:
Jinja (the server renders folium's templates), HTML and script (the browser parses popups,
tooltips, labels, the legend and the layer switcher as HTML), a JavaScript template literal and a
very long string. A rendered map is compared with the same map made from a harmless string: the
payload adds no tag and no handler, and it appears, escaped and whole (or clipped for display),
where it belongs.
"""

from __future__ import annotations

import html
import json
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from atlas import webmap
from atlas.data.geodata import load_districts
from atlas.data.zoning import read_zones
from atlas.importing import guess_mapping, read_table, to_sites, validate
from atlas.io.export import save_html
from atlas.userlayers import save_user_layer, user_catalogue
from atlas.webmap import POPUP_CHARS, TIP_CHARS, TITLE_CHARS, build_map, clip_text

LONG = "<img src=x onerror=alert(1)>{{ 7*7 }}" + "长" * 30_000 + "</script><script>alert(1)</script>"
PAYLOADS = {
    "jinja-expression": "{{ 7*7 }}",
    "jinja-statement": "{% if true %}X{% endif %}",
    "jinja-python": "{{ cycler.__init__.__globals__.os.getpid() }}",  # runs code on the server if evaluated
    "close-script": "</script><script>alert(1)</script>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "js-template": "${7*7}",
    "very-long": LONG,
}
SAFE = "安全名称"
#: What a payload must never add to a page, raw or once the script's \\uXXXX escapes are read (as
#: escaped text, "&lt;img src=x onerror=…" is harmless).
LIVE = ("<script", "</script", "<img")


def _decoded(text: str) -> str:
    """``text`` with JSON/JS ``\\uXXXX`` escapes read (what a script's strings hold at run time)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def _assert_inert(text: str, baseline: str, payload: str, shown: dict[str, str]) -> None:
    """``text`` (made with ``payload``) adds nothing live to ``baseline`` (made with SAFE), and shows
    each ``shown`` string (plain text as it should read) escaped."""
    dec, base = _decoded(text), _decoded(baseline)
    for frag in LIVE:
        assert text.count(frag) == baseline.count(frag), frag
        assert dec.count(frag) == base.count(frag), frag
    for where, plain in shown.items():
        assert html.escape(plain) in dec, f"{where}: {plain[:60]!r} not shown as escaped text"
    if payload.startswith("{"):  # Jinja evaluated would leave "49" / "X" instead of the text
        assert payload in dec


@pytest.fixture(scope="module")
def districts():
    return load_districts()


def _import_points(name: str, *, districts, folder) -> None:
    """A planner's CSV whose names and addresses are ``name``, imported as the layer ``name``."""
    df = pd.DataFrame({"名称": [name, name + "乙"], "经度": [121.5412, 121.5601], "纬度": [29.8174, 29.8702],
                       "地址": [name, "宁波市某路1号"], "类别": ["科技馆", "科技馆"]})
    table = read_table(df.to_csv(index=False).encode("utf-8"), "points.csv")
    r = validate(table, guess_mapping(table).mapping, datum="wgs84", districts=districts)
    assert r.counts() == {"ok": 2}
    save_user_layer(name, to_sites(r, layer_name="points"), folder=folder)


def _boundary_file(zone: str) -> bytes:
    """A boundary file (GeoJSON) of two zones, the first named ``zone``."""
    feats = [{"type": "Feature", "properties": {"名称": n},
              "geometry": json.loads(shapely.to_geojson(shapely.box(x, 29.85, x + 0.01, 29.86)))}
             for n, x in ((zone, 121.54), ("第二单元", 121.56))]
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False).encode("utf-8")


def _import_zones(zone: str, *, districts, folder) -> None:
    """The boundary file imported as an area layer named ``zone`` (its zones keep their names)."""
    data = _boundary_file(zone)
    assert read_zones(data, "zones.geojson").zone.tolist()[0] == zone  # the coverage page reads the same
    table = read_table(data, "zones.geojson")
    r = validate(table, guess_mapping(table).mapping, datum="wgs84", districts=districts)
    save_user_layer("单元 " + zone, to_sites(r, layer_name="zones", shapes="keep"), folder=folder)


def _user_export(text: str, *, districts, folder) -> str:
    _import_points(text, districts=districts, folder=folder)
    _import_zones(text, districts=districts, folder=folder)
    layers, frames = user_catalogue(folder=folder)
    m = build_map(layers, frames, basemap="none", layer_control=True, title=text)
    return save_html(m, folder / "atlas.html").read_text(encoding="utf-8")


def _switcher(text: str) -> list[str]:
    """The layer names the exported page's layer switcher lists (as the HTML it inserts)."""
    keys = re.findall(r'^\s*("(?:[^"\\]|\\.)*")\s*:\s*feature_group_[0-9a-f]+,\s*$', text, re.M)
    return [json.loads(k) for k in keys]


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_imported_layer_zone_and_title_strings_stay_text_in_the_exported_html(payload, districts, tmp_path):
    text = _user_export(payload, districts=districts, folder=tmp_path / "evil")
    baseline = _user_export(SAFE, districts=districts, folder=tmp_path / "safe")
    stored = payload.strip()[:200]  # a layer's name is stored at most 200 characters long
    _assert_inert(text, baseline, payload, {
        "tooltip and label": clip_text(payload, TIP_CHARS),
        "popup (address)": clip_text(payload, POPUP_CHARS),
        "zone name": clip_text(payload, TIP_CHARS),
        "legend": clip_text("我的图层：" + stored, TIP_CHARS),
        "title": clip_text(payload, TITLE_CHARS),
    })
    names = _switcher(text)
    assert html.escape(clip_text("我的图层：" + stored, TIP_CHARS)) in names
    assert html.escape(clip_text("我的图层：单元 " + stored, TIP_CHARS)) in names
    assert f"<title>{html.escape(clip_text(payload, TITLE_CHARS))}</title>" in text
    assert len(text) < len(baseline) + 10_000  # a long name is shown short, never whole


def _analysis_map(text: str) -> tuple[str, list[webmap.Overlay]]:
    """Candidate sites (named ``text``), their straight-line circles, gap cells of a zone named
    ``text`` and accessibility shading, the overlays named "1 ``text``" to "4 ``text``"; the
    exported page and the overlays the app sends."""
    from atlas.analysis.service_area import proxy_areas

    pts = gpd.GeoDataFrame({"id": [text, "C2"], "name_zh": [text, "候选二"]},
                           geometry=shapely.points([121.55, 121.57], [29.87, 29.88]), crs="EPSG:4326")
    cells = gpd.GeoDataFrame({"h3": ["a", "b"], "district": [text, "海曙区"], "uncovered": [5000.0, 100.0],
                              "population": [8000.0, 900.0], "score_per_10k": [0.5, 0.0]},
                             geometry=[shapely.box(121.54, 29.86, 121.55, 29.87),
                                       shapely.box(121.56, 29.86, 121.57, 29.87)], crs="EPSG:4326")
    overlays = [webmap.points_overlay(pts, label_column="name_zh", name="1 " + text),
                webmap.areas_overlay(proxy_areas(pts), name="2 " + text),
                webmap.cells_overlay(cells, name="3 " + text), webmap.access_overlay(cells, name="4 " + text)]
    m = build_map([], {}, basemap="none", layer_control=True, extra_groups=[o.group() for o in overlays])
    return m.get_root().render(), overlays


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_candidate_and_zone_strings_on_analysis_overlays_stay_text(payload):
    text, overlays = _analysis_map(payload)
    baseline, _ = _analysis_map(SAFE)
    tip = clip_text(payload, TIP_CHARS)
    names = {f"layer {i}": clip_text(f"{i} {payload}", TIP_CHARS) for i in range(1, 5)}
    _assert_inert(text, baseline, payload, {"candidate label": tip, **names})
    assert sorted(_switcher(text)) == sorted(html.escape(n) for n in names.values())
    # what the app sends to its map (ui.mapview joins these strings): the same escaped text
    specs = {json.loads(o.spec)["id"]: json.loads(o.spec) for o in overlays if o.spec}
    assert specs["points"]["rows"][0][2] == html.escape(tip)  # tooltip and label
    assert specs["areas"]["rows"][0][1].startswith(html.escape(tip) + " · ")  # the circle's site
    assert specs["cells"]["rows"][0][1].startswith(html.escape(tip) + " · ")  # the gap cell's zone
    before, after = webmap.ui_code(legend=[e for o in overlays for e in o.legend], notes=[payload])
    code = _decoded(before + after)
    assert not any(f in code for f in LIVE)  # legend entries of the candidates and their circles:
    assert html.escape(names["layer 1"]) in code and html.escape(names["layer 2"]) in code
    assert html.escape(payload) in code  # a note is shown whole


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_legend_labels_and_notes_are_escaped(payload):
    ramp = webmap.LegendEntry(payload, kind="ramp", ramp=(("#ffffff", payload),), note=payload)
    out = webmap.legend_html([webmap.LegendEntry(payload, "#123456", "area"), ramp], notes=[payload])
    assert not any(f in out for f in ("<script", "<img", "</script"))
    assert html.escape(clip_text(payload, TIP_CHARS)) in out and html.escape(payload) in out


def test_every_element_of_an_exported_map_that_carries_data_is_placed_as_text():
    """The class behind the Jinja payloads: branca compiles what an element's macros produce as a
    new template. Every element of ours that holds a data string is a PlainMacro (or Text)."""
    layers, frames = [], {}
    m = build_map(layers, frames, basemap="none", layer_control=True, title="t",
                  extra_groups=[webmap.Overlay(None, "n").group()])

    def walk(el):
        yield el
        for c in el._children.values():
            yield from walk(c)

    kinds = {type(e).__name__: e for e in walk(m)}
    assert isinstance(kinds["AtlasGroup"], webmap.PlainMacro)
    assert isinstance(kinds["AtlasLayerControl"], webmap.PlainMacro)
    # a stray Jinja delimiter in a name no longer breaks the export
    bad = build_map([], {}, basemap="none", layer_control=True, title="{{ 未闭合",
                    extra_groups=[webmap.Overlay(None, "{% 坏 %}{{").group()]).get_root().render()
    assert "{{ 未闭合" in bad and "{% 坏 %}{{" in _decoded(bad)
