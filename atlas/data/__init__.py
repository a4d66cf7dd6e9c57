"""The curated data the atlas ships, and names for what it shows.

- :mod:`~atlas.data.geodata`, :mod:`~atlas.data.catalogue`, :mod:`~atlas.data.provenance`: the
  geodata files, the declarative layer catalogue (``layers/``) and each file's provenance;
- :mod:`~atlas.data.names`, :mod:`~atlas.data.romanize`, :mod:`~atlas.data.places`: names in the
  reader's language, pinyin for names with no English form, names for areas that have none;
- :mod:`~atlas.data.venues`: candidate 科普 venues in OSM data;
- :mod:`~atlas.data.zoning`: a planner's own zoning from an uploaded boundary file.
"""
