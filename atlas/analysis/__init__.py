"""The analyses: walking service areas, distance matrices, who is reached, and where to add sites.

- :mod:`~atlas.analysis.service_area` and :mod:`~atlas.analysis.reach`: walking service areas
  (5/10/15-minute bands) on a walking network, or labelled straight-line proxies without one;
- :mod:`~atlas.analysis.odmatrix`: sparse site × demand distance matrices;
- :mod:`~atlas.analysis.supply`, :mod:`~atlas.analysis.demand`, :mod:`~atlas.analysis.population`:
  the 科普 points in play, and where people live;
- :mod:`~atlas.analysis.accessibility`: E2SFCA scores beyond in/out;
- :mod:`~atlas.analysis.siting` and :mod:`~atlas.analysis.scenarios`: where new sites would close
  the gaps best, and the planners' what-if sets of candidate sites.

Coverage (who is within each band, per district and street) is :mod:`atlas.coverage`.
"""
