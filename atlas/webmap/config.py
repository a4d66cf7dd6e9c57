"""Settings of the web map: view, display precision, label zooms, text limits, asset folder."""

from __future__ import annotations

from pathlib import Path

NINGBO_CENTER: tuple[float, float] = (29.67, 121.57)
#: Whole-city view ((south, west), (north, east)): the bounds of geodata/city_outline.geojson
#: (慈溪's north shore to 象山's southern islands), checked against the file by a test.
NINGBO_VIEW: tuple[tuple[float, float], tuple[float, float]] = ((28.85, 120.86), (30.50, 122.28))
#: Zoom steps of a map (fractions: a whole-city view fits the map's actual size, not the nearest
#: power of two below it), and the padding around a fitted view (px).
ZOOM_SNAP: float = 0.25
FIT_PADDING_PX: int = 8

#: Display simplification of polygons (degrees, ~50 m); analysis and exports keep full detail.
DISPLAY_TOLERANCE_DEG: float = 0.0005
#: Coordinates sent to the browser are rounded to this many decimals (1e-5 degree ~ 1 m).
DISPLAY_DECIMALS: int = 5
#: Site labels appear from this zoom level (where they start to fit), or from
#: ``LABEL_MIN_ZOOM_DENSE`` for layers of more than ``DENSE_LAYER`` points; the browser then
#: drops any label that would collide with one already placed.
LABEL_MIN_ZOOM: int = 11
LABEL_MIN_ZOOM_DENSE: int = 14
DENSE_LAYER: int = 200
#: Longest tooltip or map label, and longest popup value, shown (characters; longer text ends in
#: "…"). Only the display is shortened, never the data: a planner's name may be as long as a
#: cell may hold (settings.MAX_CELL_CHARS), and 1,000 such names would otherwise put ~100 MB of
#: text into every map sent to a browser (and into every cached layer spec).
TIP_CHARS: int = 80
POPUP_CHARS: int = 500
#: Longest map title shown (characters).
TITLE_CHARS: int = 120

#: The vendored browser files (Leaflet, Leaflet.draw, the atlas runtime).
STATIC: Path = Path(__file__).resolve().parent.parent / "static"
