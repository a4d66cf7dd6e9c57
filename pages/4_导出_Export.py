"""Briefing exports for the current view: static map, interactive HTML, GIS data and the whole
briefing pack (ui/exporter.py)."""

from __future__ import annotations

from ui import common, exporter

lang = common.page("export_title")
view = exporter.choose_view(lang)
exporter.map_downloads(view, lang)
exporter.briefing_download(view, lang)
exporter.layer_data(view, lang)
exporter.pack_download(view, lang)
