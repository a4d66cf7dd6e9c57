"""The dynamic, non-layer part of a map: legend, attribution, a one-time fit, highlight rings."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from atlas import palette
from atlas.webmap.base import attribution_text
from atlas.webmap.elements import AtlasGroup, Script, js_json
from atlas.webmap.legend import LegendEntry, legend_html


def ui_code(*, legend: Sequence[LegendEntry] = (), lang: str = "zh", notes: Sequence[str] = (),
            fit: tuple[float, float, float, float] | None = None,
            highlight: Sequence[tuple[float, float, float]] = (),
            attributions: Sequence[str] | None = None,
            legend_max_share: float | None = None) -> tuple[str, str]:
    """The dynamic, non-layer part of an app map: legend, a one-time fit, highlight rings.

    Parameters
    ----------
    legend : sequence of LegendEntry
        What is shown (approximate-ring entries are merged into one).
    lang : {"zh", "en"}
        Language of the legend.
    notes : sequence of str
        Extra legend lines (plain text, escaped here).
    fit : tuple, optional
        (minlon, minlat, maxlon, maxlat) to zoom to once (again only when it changes).
    highlight : sequence of tuple
        (lat, lon, radius px) of features to ring.
    attributions : sequence of str, optional
        Sources of the layers shown (OpenStreetMap's is always added); default: leave the base's.
    legend_max_share : float, optional
        A map that fills its frame (the page sizes the frame from the window), whose legend
        starts folded to its title when, open, it would cover more of the map than this share
        (until the planner opens it); default: a map of the frame's given height, legend open.

    Returns
    -------
    tuple of str
        JavaScript before and after the name of the feature group that holds the rings.

    """
    share = "" if legend_max_share is None else f", {js_json(legend_max_share)}"
    code = "" if legend_max_share is None else "atlas.fill();"  # a map that fits the window
    code += f"atlas.legend({js_json(legend_html(legend, lang=lang, notes=notes))}{share});"
    if attributions is not None:
        code += f"atlas.attribution({js_json(attribution_text(attributions, lang))});"
    if fit is not None:
        b = [[fit[1], fit[0]], [fit[3], fit[2]]]
        code += f"atlas.fit({js_json(hashlib.sha1(repr(fit).encode()).hexdigest()[:12])}, {js_json(b)});"
    marks = js_json([list(h) for h in highlight])
    return code + "atlas.highlight(", f", {marks}, {js_json(palette.RECOMMENDED_COLOUR)});"


def ui_script(**kwargs: Any) -> AtlasGroup:
    """:func:`ui_code` as a feature group (same arguments)."""
    group = AtlasGroup("atlas-ui", control=False)
    Script(*ui_code(**kwargs)).add_to(group)
    return group
