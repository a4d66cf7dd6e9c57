from __future__ import annotations

import shutil

import pytest

from atlas import settings
from atlas.data.catalogue import layer_frame, load_catalogue, parse_layer, read_source
from atlas.errors import CatalogueError


def test_shipped_catalogue_loads_in_draw_order_and_covers_every_category():
    cat = load_catalogue()
    assert [lyr.order for lyr in cat] == sorted(lyr.order for lyr in cat)
    ids = {lyr.id for lyr in cat}
    assert {"districts", "yongjiang_ports", "innovation_poles", "county_hubs", "hightech_parks",
            "labs_institutes", "universities", "kepu_sites"} <= ids
    categories: set[str] = set()  # of every shipped site table (sites.csv, kepu_galleries.csv)
    covered = set()
    for lyr in cat:
        source = read_source(lyr.source)
        frame = layer_frame(lyr, source)
        assert len(frame) > 0, lyr.id
        covered |= set(lyr.filter.get("category", ()))
        if "category" in source.columns:
            categories |= set(source.category)
    assert "kepu_gallery" in categories
    assert covered == categories


@pytest.fixture
def layers_dir(tmp_path):
    d = tmp_path / "layers"
    shutil.copytree(settings.LAYERS_DIR, d)
    return d


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("old", "new", "field"), [
    ('id = "kepu_sites"', "", "id"),
    ('color = "#0072B2"', 'color = "red"', "style.color"),
    ('source = "sites.csv"', 'source = "nowhere.csv"', "source"),
    ('source = "sites.csv"', 'source = "../secrets.csv"', "source"),
    ('geometry = "point"', 'geometry = "blob"', "geometry"),
    ("order = 60", 'order = "sixty"', "order"),
    ("visible = true", 'visible = "yes"', "visible"),
    ('tooltip = "name_zh"', "", "tooltip"),
])
def test_bad_layer_file_names_file_and_field(layers_dir, old, new, field):
    f = layers_dir / "60_kepu_sites.toml"
    _edit(f, old, new)
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(layers_dir=layers_dir)
    assert "60_kepu_sites.toml" in exc.value.en and f"`{field}`" in exc.value.en
    assert "60_kepu_sites.toml" in exc.value.zh


def test_invalid_toml_and_duplicate_ids(layers_dir):
    bad = layers_dir / "99_broken.toml"
    bad.write_text("id = [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"99_broken\.toml"):
        load_catalogue(layers_dir=layers_dir)
    bad.unlink()
    shutil.copy(layers_dir / "60_kepu_sites.toml", layers_dir / "61_copy.toml")
    with pytest.raises(CatalogueError, match="duplicates"):
        load_catalogue(layers_dir=layers_dir)


def test_popup_field_missing_from_data_is_reported(layers_dir):
    f = layers_dir / "60_kepu_sites.toml"
    _edit(f, 'fields = ["name_zh"', 'fields = ["no_such_column", "name_zh"')
    lyr = parse_layer(f)
    with pytest.raises(CatalogueError, match="no_such_column"):
        layer_frame(lyr, read_source(lyr.source))


def test_adding_a_layer_is_adding_a_file(layers_dir):
    (layers_dir / "70_pilot.toml").write_text(
        'id = "pilot"\ntitle_zh = "试点"\ntitle_en = "Pilot"\nsource = "sites.csv"\n'
        'geometry = "point"\norder = 70\nvisible = false\n[filter]\ndistrict = ["鄞州区"]\n'
        '[style]\ncolor = "#123456"\n[popup]\nfields = ["name_zh"]\ntooltip = "name_zh"\n'
        '[legend]\nlabel_zh = "试点"\nlabel_en = "Pilot"\n', encoding="utf-8")
    cat = load_catalogue(layers_dir=layers_dir)
    pilot = next(lyr for lyr in cat if lyr.id == "pilot")
    frame = layer_frame(pilot, read_source("sites.csv"))
    assert len(frame) > 0 and set(frame.district) == {"鄞州区"}
