"""Map colours and symbol styles in one place: the web map and the static maps read them here.

* **Catalogue layers** keep their colour in their ``layers/*.toml`` file. Those colours come from
  Okabe & Ito's colour-blind-safe set plus Paul Tol's indigo and wine; the choice is checked by
  :func:`min_distance` (CAM02-UCS distance under simulated deutan, protan and tritan vision).
* **New layers** (a planner's imports) get :func:`new_layer_colours`: colours that no catalogue
  layer uses and that stay as far as possible from all catalogue colours and from each other,
  under normal and simulated colour-vision deficiency.
* **Service areas** (the 15-minute circle) are filled and translucent with a solid outline
  (:data:`SERVICE_AREA`); straight-line proxies are hatched. **Error rings** of approximate
  positions are thin grey dotted rings without fill (:data:`ERROR_RING`): the two never look alike.
* **Gap shading** is graduated, in people per km² not covered, on a fixed yellow-orange-brown
  scale (:data:`GAP_BREAKS`, :data:`GAP_COLOURS`), so that maps at different scales and H3
  resolutions can be compared and the 科普 blue reads on top of it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atlas import settings

#: CVD-safe colours that new layers may take first (Tol's muted and bright schemes), in order.
#: Anything the catalogue already uses is skipped.
EXTRA_COLOURS: tuple[str, ...] = (
    "#CC6677", "#44AA99", "#999933", "#AA4499", "#88CCEE", "#117733", "#DDCC77", "#4477AA",
    "#EE6677", "#228833", "#66CCEE", "#CCBB44", "#AA3377",
)

#: The colour-vision conditions a palette is checked under (None = normal vision).
CVD_TYPES: tuple[str | None, ...] = (None, "deuteranomaly", "protanomaly", "tritanomaly")

#: Style of service areas (15-minute circles) by method, shared by the web and static maps.
#: ``hatch`` is for matplotlib; ``dash_array`` for Leaflet outlines (None = solid).
SERVICE_AREA: dict[str, dict[str, Any]] = {
    "network": {"color": "#0072B2", "fill_color": "#0072B2", "fill_opacity": 0.18, "weight": 1.2,
                "dash_array": None, "hatch": None},
    "euclidean-proxy": {"color": "#0072B2", "fill_color": "#56B4E9", "fill_opacity": 0.12,
                        "weight": 1.0, "dash_array": None, "hatch": "////",
                        # the web map draws the hatch itself (diagonal lines over the light fill)
                        # and a heavier solid outline, so that a proxy reads at a glance
                        "hatch_color": "#0072B2", "hatch_opacity": 0.55, "web_weight": 2.0},
}

#: Sequential blues (ColorBrewer "Blues", dark to light) for graduated service areas.
BAND_RAMP: tuple[str, ...] = ("#08306B", "#08519C", "#2171B5", "#4292C6", "#6BAED6", "#9ECAE1")


def band_colours(n: int) -> list[str]:
    """``n`` colours for walking bands, smallest band (nearest) first and darkest."""
    if n <= 1:
        return [str(SERVICE_AREA["network"]["color"])] * max(n, 0)
    idx = np.round(np.linspace(1, len(BAND_RAMP) - 1, n)).astype(int)
    return [BAND_RAMP[i] for i in idx]


#: Style of the ring drawn at the estimated error radius of an approximate position.
ERROR_RING: dict[str, Any] = {"color": "#666666", "weight": 0.8, "dash_array": "2 4",
                                 "fill": False, "opacity": 0.8}

#: Colour of recommended new sites (stars) and the outline of highlighted features.
RECOMMENDED_COLOUR = "#000000"

#: Upper class limits of the gap shading, people not covered per km² (the last class is open).
GAP_BREAKS: tuple[float, ...] = (250.0, 1000.0, 2500.0, 10000.0)

#: ColorBrewer YlOrBr, one colour per class (len(GAP_BREAKS) + 1); never red.
GAP_COLOURS: tuple[str, ...] = ("#FFF7BC", "#FEE391", "#FEC44F", "#EC7014", "#993404")

#: Fill opacity of the gap shading (web and static).
GAP_OPACITY = 0.6


@lru_cache(maxsize=8)
def _catalogue_colours(layers_dir: str) -> tuple[str, ...]:
    out = []
    for p in sorted(Path(layers_dir).glob("*.toml")):
        try:
            style = tomllib.loads(p.read_text(encoding="utf-8")).get("style", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue  # the catalogue loader reports bad files; colours just skip them
        out += [str(style[k]).upper() for k in ("color", "fill_color") if k in style]
    return tuple(dict.fromkeys(out))


def catalogue_colours(*, layers_dir: Path | None = None) -> tuple[str, ...]:
    """Every colour (``color`` and ``fill_color``) used by a layer file, upper-case ``#RRGGBB``."""
    return _catalogue_colours(str(layers_dir if layers_dir is not None else settings.LAYERS_DIR))


def _rgb(colours: Iterable[str]) -> np.ndarray:
    from matplotlib.colors import to_rgb

    return np.array([to_rgb(c) for c in colours], dtype=float).reshape(-1, 3)


def _ucs(rgb: np.ndarray, cvd: str | None) -> np.ndarray:
    """CAM02-UCS coordinates of sRGB colours as seen with ``cvd`` (None = normal vision)."""
    from colorspacious import cspace_convert

    if cvd is not None:
        rgb = np.clip(cspace_convert(rgb, {"name": "sRGB1+CVD", "cvd_type": cvd, "severity": 100},
                                     "sRGB1"), 0.0, 1.0)
    return np.asarray(cspace_convert(rgb, "sRGB1", "CAM02-UCS"))


def distances(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """Worst-case perceptual distance between colours of ``a`` and ``b`` (matrix len(a) x len(b)).

    The distance is CAM02-UCS ΔE (about 1 = just noticeable; 20 = clearly different hues), taken
    as the smallest over normal vision and the three simulated full colour-vision deficiencies.
    """
    ra, rb = _rgb(a), _rgb(b)
    out = np.full((len(ra), len(rb)), np.inf)
    for cvd in CVD_TYPES:
        ua, ub = _ucs(ra, cvd), _ucs(rb, cvd)
        out = np.minimum(out, np.linalg.norm(ua[:, None, :] - ub[None, :, :], axis=-1))
    return out


def min_distance(colours: Sequence[str]) -> float:
    """Smallest worst-case distance between any two of ``colours`` (see :func:`distances`)."""
    d = distances(colours, colours)
    np.fill_diagonal(d, np.inf)
    return float(d.min()) if len(colours) > 1 else float("inf")


@lru_cache(maxsize=1)
def _candidate_grid() -> tuple[str, ...]:
    """A grid of mid-light sRGB colours (not too pale for a marker, not near-black)."""
    levels = np.linspace(0.0, 1.0, 7)
    out = []
    for r in levels:
        for g in levels:
            for b in levels:
                lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
                if 0.15 <= lum <= 0.75 and max(r, g, b) - min(r, g, b) >= 0.3:  # no greys
                    out.append("#{:02X}{:02X}{:02X}".format(*(round(255 * v) for v in (r, g, b))))
    return tuple(out)


def new_layer_colours(n: int, *, taken: Iterable[str] | None = None) -> list[str]:
    """Colours for ``n`` new layers, none of them used by the catalogue (or ``taken``).

    Each pick is the candidate farthest (worst case over colour-vision deficiencies) from the
    catalogue colours and the picks before it, among :data:`EXTRA_COLOURS` (preferred on near
    ties) and a grid of mid-light colours. Deterministic: the i-th
    user layer always gets the same colour.

    Parameters
    ----------
    n : int
        How many colours.
    taken : iterable of str, optional
        Colours to avoid (default: :func:`catalogue_colours` of the shipped catalogue, plus
        the service-area, error-ring, recommended and gap-shading colours).

    Returns
    -------
    list of str
        ``#RRGGBB`` colours, all different and none in ``taken``.

    """
    if n <= 0:
        return []
    avoid = [c.upper() for c in (taken if taken is not None else reserved_colours())]
    return list(_pick(n, tuple(avoid)))


@lru_cache(maxsize=32)
def _pick(n: int, avoid: tuple[str, ...]) -> tuple[str, ...]:
    extras = [c for c in EXTRA_COLOURS if c not in avoid]
    cands = extras + [c for c in _candidate_grid() if c not in avoid and c not in extras]
    chosen: list[str] = []
    # distance of every candidate to everything avoided so far (worst case over CVD types)
    nearest = distances(cands, list(avoid)).min(axis=1) if avoid else np.full(len(cands), np.inf)
    for _ in range(n):
        # farthest-point pick; a curated extra wins over a grid colour less than ΔE 2 farther
        score = nearest + np.where(np.arange(len(cands)) < len(extras), 2.0, 0.0)
        score[[cands.index(c) for c in chosen]] = -np.inf
        i = int(np.argmax(score))
        chosen.append(cands[i])
        nearest = np.minimum(nearest, distances(cands, [cands[i]])[:, 0])
    return tuple(chosen)


def reserved_colours() -> tuple[str, ...]:
    """Colours new layers must not take: the catalogue's and the analysis overlays'."""
    fixed = [str(SERVICE_AREA[m][k]).upper() for m in SERVICE_AREA for k in ("color", "fill_color")]
    return tuple(dict.fromkeys([*catalogue_colours(), *fixed, RECOMMENDED_COLOUR,
                                str(ERROR_RING["color"]).upper(), *GAP_COLOURS]))


def gap_class(density: Iterable[float] | np.ndarray | pd.Series) -> np.ndarray:
    """Class index (0 … len(GAP_BREAKS)) of uncovered densities in people per km²."""
    return np.searchsorted(np.asarray(GAP_BREAKS), np.asarray(density, dtype=float), side="right")


def gap_colour(density: Iterable[float] | np.ndarray | pd.Series) -> list[str]:
    """Fill colour of each uncovered density (people per km²)."""
    return [GAP_COLOURS[i] for i in gap_class(density)]


def gap_legend(lang: str = "zh") -> list[tuple[str, str]]:
    """(label, colour) of each gap class, lowest first, e.g. ``("1,000–2,500", "#FEC44F")``."""
    edges = [0.0, *GAP_BREAKS]
    out = []
    for i, colour in enumerate(GAP_COLOURS):
        if i < len(GAP_BREAKS):
            label = f"{edges[i]:,.0f}–{edges[i + 1]:,.0f}" if i else f"< {edges[1]:,.0f}"
        else:
            label = f"≥ {edges[-1]:,.0f}"
        out.append((label, colour))
    return out


def gap_units(lang: str = "zh") -> str:
    """The unit of the gap shading, for legend titles."""
    return "未覆盖人口密度（人/km²）" if lang != "en" else "Uncovered residents per km²"


def uncovered_density(cells: pd.DataFrame) -> np.ndarray:
    """People not covered per km² of each H3 cell (``h3`` and ``uncovered`` columns)."""
    import h3

    area = np.array([h3.cell_area(str(c), unit="km^2") for c in cells["h3"]], dtype=float)
    return np.asarray(cells["uncovered"], dtype=float) / np.where(area > 0, area, np.nan)
