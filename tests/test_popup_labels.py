"""Every popup field of every layer has a label in both languages (review: Chinese gallery
popups showed the raw column names "street" and "community")."""

from __future__ import annotations

import pytest

from atlas.data.catalogue import load_catalogue
from atlas.i18n import field_label

#: Fields whose label may be the column name itself (none today).
RAW_ON_PURPOSE: set[str] = set()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_popup_field_label_is_its_raw_column_name(lang):
    fields = [(lyr.id, f) for lyr in load_catalogue() for f in lyr.popup_fields]
    assert len({lyr for lyr, _ in fields}) >= 9  # every layer file
    raw = [(lyr, f) for lyr, f in fields if field_label(f, lang) == f and f not in RAW_ON_PURPOSE]
    assert not raw, raw
    if lang == "zh":  # a Chinese label has Chinese in it
        assert not [f for _, f in fields
                    if not any("\u4e00" <= ch <= "\u9fff" for ch in field_label(f, lang))]


@pytest.mark.parametrize(("lang", "street", "community"), [("zh", "街道/镇", "社区/村"),
                                                           ("en", "Street/town", "Community/village")])
def test_a_gallery_popup_names_street_and_community_in_words(lang, street, community):
    from atlas.data.geodata import load_sites
    from atlas.webmap.popups import popup_html

    (gal,) = [lyr for lyr in load_catalogue() if lyr.id == "kepu_galleries"]
    row = load_sites(source=gal.source).iloc[0].to_dict()
    assert row["street"] and row["community"]
    html = popup_html(row, gal.popup_fields, lang=lang)
    assert f"<th>{street}</th>" in html and f"<th>{community}</th>" in html
    assert "<th>street</th>" not in html and "<th>community</th>" not in html
