"""Import planners' own lists (any Chinese datum), check them row by row, keep the good rows.

The steps are ui/importer.py: reading and checking run in a worker process with a time and memory
budget; what reading detected is shown; an ambiguous column mapping must be confirmed; the datum
is the planner's choice, with what the column names suggest beside it, and is checked against
every reference available.
"""

from __future__ import annotations

import streamlit as st

from atlas.guard import warm_up
from ui import auth, common, importer, my_layers, osm_venues

lang = common.page("imp_title")
if not auth.can_edit():  # viewers do not get this page in the navigation; saving checks anyway
    auth.viewer_note(lang)
    st.stop()
warm_up()  # the worker server loads pandas while the planner picks a file

up = importer.uploader(lang)
if up is not None:
    df, fk = importer.read(up, lang)
    mapping = importer.mapping_widgets(df, fk, lang)
    datum, default_cat, err_m = importer.answers(mapping, fk, lang)
    result = importer.check(df, mapping, datum=datum, default_cat=default_cat, fk=fk, lang=lang)
    shapes = importer.show_check(result, fk, lang)
    importer.save(result, up.name, fk, datum=datum, err_m=err_m, shapes=shapes, lang=lang)

st.divider()
my_layers.my_layers(lang)
st.divider()
osm_venues.osm_venues(lang, importer.saved_text)
