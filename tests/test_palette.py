"""The palette: catalogue colours apart under colour-vision deficiency; new layers never reuse them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from atlas import palette
from atlas.data.catalogue import load_catalogue


def _point_colours():
    return [str(lyr.style["color"]).upper() for lyr in load_catalogue() if lyr.geometry == "point"]


def test_catalogue_point_colours_are_distinct_under_every_colour_vision():
    cols = _point_colours()
    assert len(set(cols)) == len(cols), "two layers share a colour"
    # CAM02-UCS ΔE >= 10 between every pair, for normal, deutan, protan and tritan vision
    assert palette.min_distance(cols) >= 10.0
    # the pairs the planners could not tell apart before are now far apart
    by_id = {lyr.id: str(lyr.style["color"]) for lyr in load_catalogue()}
    for a, b in [("innovation_poles", "county_hubs"), ("hightech_parks", "universities")]:
        assert palette.distances([by_id[a]], [by_id[b]])[0, 0] >= 15.0, (a, b)


def test_distance_is_small_for_the_old_confusable_pairs():
    # the measure must be able to fail: the old orange/amber and teal/cyan pairs were close
    assert palette.distances(["#e85d04"], ["#f48c06"])[0, 0] < 10.0
    assert palette.distances(["#2a9d8f"], ["#0891b2"])[0, 0] < 10.0


def test_kepu_markers_stand_out_on_every_gap_shade():
    kepu = next(str(lyr.style["color"]) for lyr in load_catalogue() if lyr.id == "kepu_sites")
    assert palette.distances([kepu], list(palette.GAP_COLOURS)).min() >= 15.0
    # the gap scale is graduated (lightness falls class by class) and has no pure red
    from colorspacious import cspace_convert
    from matplotlib.colors import to_rgb

    lightness = [cspace_convert(to_rgb(c), "sRGB1", "CAM02-UCS")[0] for c in palette.GAP_COLOURS]
    assert all(a > b for a, b in itertools.pairwise(lightness))
    assert len(palette.GAP_COLOURS) == len(palette.GAP_BREAKS) + 1


@pytest.mark.parametrize("n", [1, 3, 6, 20])
def test_new_layer_colours_never_reuse_a_catalogue_colour(n):
    cols = palette.new_layer_colours(n)
    reserved = set(palette.reserved_colours())
    assert len(cols) == n and len(set(cols)) == n
    assert not set(cols) & reserved
    assert set(palette.catalogue_colours()) <= reserved
    d_res = palette.distances(cols, list(reserved)).min()
    if n <= 3:  # the first few are clearly apart from everything on the map
        assert d_res >= 10.0 and palette.min_distance(cols) >= 10.0
    else:
        assert d_res >= 5.0 and palette.min_distance(cols) >= 5.0
    assert palette.new_layer_colours(n) == cols  # deterministic


def test_new_layer_colours_avoid_what_is_taken():
    first = palette.new_layer_colours(1)[0]
    again = palette.new_layer_colours(1, taken=[*palette.reserved_colours(), first])
    assert again[0] != first


def test_user_layers_get_palette_colours(tmp_path):
    import pandas as pd

    from atlas.data.geodata import load_districts
    from atlas.importing import guess_columns, read_table, to_sites, validate
    from atlas.userlayers import save_user_layer, user_catalogue

    csv = pd.DataFrame({"名称": ["甲", "乙"], "经度": [121.54, 121.55], "纬度": [29.87, 29.88]})
    df = read_table(csv.to_csv(index=False).encode(), "a.csv")
    r = validate(df, guess_columns(list(df.columns)), datum="wgs84", districts=load_districts())
    for name in ("紫色图层", "第二层"):
        save_user_layer(name, to_sites(r, layer_name=name), folder=tmp_path)
    layers, _ = user_catalogue(folder=tmp_path)
    cols = [str(lyr.style["color"]).upper() for lyr in layers]
    assert cols == palette.new_layer_colours(2)
    assert not set(cols) & set(_point_colours())


def test_gap_classes_and_legend():
    dens = np.array([0, 249, 250, 999, 1000, 9999, 10000, 1e6])
    assert palette.gap_class(dens).tolist() == [0, 0, 1, 1, 2, 3, 4, 4]
    legend = palette.gap_legend("zh")
    assert [c for _, c in legend] == list(palette.GAP_COLOURS)
    assert legend[0][0] == "< 250" and legend[-1][0] == "≥ 10,000"
    assert "km²" in palette.gap_units("zh") and "km²" in palette.gap_units("en")


def test_uncovered_density_uses_the_cell_area():
    import h3
    import pandas as pd

    cell = h3.latlng_to_cell(29.87, 121.55, 8)
    d = palette.uncovered_density(pd.DataFrame({"h3": [cell], "uncovered": [1000.0]}))
    assert d[0] == pytest.approx(1000.0 / h3.cell_area(cell, unit="km^2"))


def test_service_areas_and_error_rings_look_different():
    for style in palette.SERVICE_AREA.values():
        assert float(style["fill_opacity"]) > 0  # filled
        assert style["dash_array"] is None  # solid outline
    assert palette.ERROR_RING["fill"] is False and palette.ERROR_RING["dash_array"]
