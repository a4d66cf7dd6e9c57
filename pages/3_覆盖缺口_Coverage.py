"""Coverage gaps: who is outside every 15-minute circle, and where new 科普 sites help most.

Every figure comes from atlas.coverage.summary.coverage_summary (network value, or offline
bounds + a labelled estimate) and atlas.analysis.accessibility (E2SFCA on the same matrix). The steps
are ui/coverage_page.py; the analyses are computed once per input for every session
(ui/analysis.py).
"""

from __future__ import annotations

from ui import common, coverage_page, coverage_tables

lang = common.page("cov_title")
basemap, tdt_key = common.basemap_picker(lang)

demand = coverage_page.demand_source(lang)
opts = coverage_page.budget(lang)
supply = coverage_page.supply_choice(lang)
run = coverage_page.compute(demand, supply, opts, lang)
coverage_page.headline(run, lang)
found = coverage_page.findings(run, lang)
coverage_page.coverage_map(run, found, lang, basemap=basemap, tianditu_key=tdt_key)
by, acc_by = coverage_tables.result_tables(run, found, lang)
bands = coverage_tables.band_shares(run, lang)
coverage_tables.gallery_counts(run, lang)
zones = coverage_tables.zones_table(run, found, lang)
coverage_tables.downloads(run, found, by, acc_by, zones, lang, bands)
