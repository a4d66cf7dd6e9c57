"""Where things are: metric CRSs from a place's own UTM zone, and China's datums.

- :mod:`~atlas.geo.projection`: the metric CRS of the data's location and conversions to and
  from WGS84 (antimeridian and poles included);
- :mod:`~atlas.geo.datum`: GCJ-02 (AMap) and BD-09 (Baidu) to and from WGS84;
- :mod:`~atlas.geo.datumcheck`: whether the datum a planner chose for a list is plausible.
"""
