"""What leaves the atlas: briefing exports, downloads and safe file writes.

- :mod:`~atlas.io.export`: self-contained HTML and GIS data (GeoPackage, GeoJSON, CSV);
- :mod:`~atlas.io.downloads`: tables a planner can paste into a briefing;
- :mod:`~atlas.io.briefing`: a whole briefing pack in one go;
- :mod:`~atlas.io.storage`: atomic single-file writes and safe file-name stems.

The static maps (PNG/PDF) are :mod:`atlas.staticmap`, the interactive map :mod:`atlas.webmap`.
"""
