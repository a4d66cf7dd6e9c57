"""15-minute science service circles: walking service areas around 科普 sites.

The steps are ui/service_areas_page.py; the circles are computed once per area, layers, network
and options for every session (ui/analysis.py).
"""

from __future__ import annotations

from ui import common
from ui import service_areas_page as sa

lang = common.page("sa_title")
basemap, tdt_key = common.basemap_picker(lang)

area = sa.choose_area(lang, basemap=basemap, tianditu_key=tdt_key)
label, area_geom = sa.resolve(area, lang)
sa.network_panel(area, label, lang)
chosen, opts = sa.options(lang)
key = sa.areas_key(area_geom, label, chosen, opts)
areas = sa.service_areas(key, lang)
sa.areas_map(key, chosen, area_geom, lang, basemap=basemap, tianditu_key=tdt_key)
sa.results_table(key, areas, lang)
shares = sa.band_shares(area, area_geom, label, chosen, opts, areas, lang)
sa.downloads(areas, shares, lang)
