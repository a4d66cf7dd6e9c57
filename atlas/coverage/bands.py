"""Who lives within 5, 10 and 15 minutes' walk: coverage figures per walking band.

:func:`band_shares` is the one source of per-band figures for every page, download and briefing
pack. Each band is :meth:`atlas.coverage.summary.CoverageSummary.table` of the same distances at
the band's budget, so a band's figures mean what the coverage page's do: with a walking network
the share within the band is a value (exact node distances, as
:func:`atlas.coverage.band_shares` gives for a :class:`~atlas.coverage.Coverage`); offline it is
a straight-line upper bound and a labelled estimate, never one bare figure. Districts whose
supply source lists no row stay unknown, and how people were placed is the summary's.

The bands are nested (each band's people include the smaller band's), so for every district
``5 min <= 10 min <= 15 min`` for the lower bound, the upper bound and the estimate alike.
:func:`band_view` turns the long table into the one people read: a row per district (and the
total), a column per band.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from atlas import fmt, settings
from atlas.analysis.service_area import budget_metres
from atlas.data.names import district_name
from atlas.errors import ValidationError
from atlas.i18n import t

if TYPE_CHECKING:
    from atlas.coverage.summary import CoverageSummary

#: The walking bands planners ask for (minutes).
BAND_MINUTES: tuple[float, ...] = (5.0, 10.0, 15.0)

#: ``zone`` of the city-wide rows of :func:`band_shares` (named in the reader's language by
#: :func:`band_view` and the downloads).
CITY = "__city__"

def bands_within(budget_m: float, *, minutes: Sequence[float] = BAND_MINUTES,
                 speed_kmh: float = settings.WALK_SPEED_KMH) -> tuple[float, ...]:
    """The bands (minutes, ascending) whose walking budget fits within ``budget_m`` metres."""
    return tuple(m for m in sorted(float(x) for x in minutes)
                 if budget_metres(minutes=m, speed_kmh=speed_kmh) <= budget_m + 1e-6)


def band_shares(summary: CoverageSummary, minutes: Sequence[float] = BAND_MINUTES, *,
                speed_kmh: float = settings.WALK_SPEED_KMH, lang: str = "zh",
                city: bool = True) -> pd.DataFrame:
    """Coverage figures within each walking band, per district and for all demand together.

    Parameters
    ----------
    summary : atlas.coverage.summary.CoverageSummary
        A coverage computed for the largest band or more (its distances are exact, or bound
        the walk, up to its budget).
    minutes : sequence of float
        The bands, in minutes of walking at ``speed_kmh`` (any order; listed ascending).
    speed_kmh : float
        Walking speed.
    lang : {"zh", "en"}
        Language of the notes (districts without supply data).
    city : bool
        Add a row per band for all demand together (``zone`` = :data:`CITY`).

    Returns
    -------
    pandas.DataFrame
        One row per band and district (then the city row), smallest band first: ``zone``,
        ``minutes``, ``metres``, then the columns of
        :meth:`~atlas.coverage.summary.CoverageSummary.table` (``pct_lower``, ``pct_upper``,
        ``pct_estimate``, ``certain_gap_population``, ``status``, ``method``, ``note`` ...).

    Raises
    ------
    atlas.errors.ValidationError
        If no band is given, or a band's budget exceeds the summary's (its figures would not
        hold there).

    """
    bands = sorted({float(m) for m in minutes})
    if not bands:
        raise ValidationError("没有步行圈", "No walking band given")
    frames = []
    for m in bands:
        b = budget_metres(minutes=m, speed_kmh=speed_kmh)
        if b > summary.budget_m + 1e-6:
            raise ValidationError(f"{m:g} 分钟步行圈（{b:,.0f} 米）超过覆盖计算的距离 "
                                  f"{summary.budget_m:,.0f} 米",
                                  f"The {m:g}-minute band ({b:,.0f} m) exceeds the coverage budget "
                                  f"{summary.budget_m:,.0f} m")
        at = replace(summary, budget_m=b, _cov=None)
        rows = [at.by_district(lang)]
        if city:
            rows.append(at.city(name=CITY, lang=lang).to_frame().T)
        g = pd.concat(rows, ignore_index=True)
        g.insert(1, "minutes", m)
        g.insert(2, "metres", b)
        frames.append(g)
    out = pd.concat(frames, ignore_index=True)
    numeric = [c for c in out.columns if c not in ("zone", "status", "method", "note")]
    out[numeric] = out[numeric].apply(pd.to_numeric, errors="coerce")
    return out


def zone_names(zones: pd.Series, lang: str, *, total: str | None = None) -> list[str]:
    """Zones of :func:`band_shares` in ``lang``: districts by name, the all-demand row as ``total``.

    ``total`` defaults to the whole city ("全市" / "Whole city").
    """
    label = total if total is not None else t("all_districts", lang)
    return [label if z == CITY else district_name(z, lang) for z in zones]


def band_header(minutes: float, lang: str) -> str:
    """Header of one band's column: "5 分钟步行" / "5-min walk"."""
    return f"{minutes:g}-min walk" if lang == "en" else f"{minutes:g} 分钟步行"


def band_cell(row: pd.Series, lang: str) -> str:
    """One band's figure for one zone as people read it.

    With a walking network the share ("27.5 %"); offline the estimate and the straight-line
    upper bound ("约 27.5 %，至多 61.0 %" / "≈ 27.5 %, at most 61.0 %"); unknown: "—".
    """
    if row["method"] == "network":
        return fmt.pct(row["pct_upper"])
    if not np.isfinite(float(row["pct_upper"])):
        return fmt.MISSING
    est, up = fmt.pct(row["pct_estimate"]), fmt.pct(row["pct_upper"])
    return f"≈ {est}, at most {up}" if lang == "en" else f"约 {est}，至多 {up}"


def band_view(shares: pd.DataFrame, lang: str = "zh", *, total: str | None = None) -> pd.DataFrame:
    """The band figures as people read them: a row per district (the total last), a column per band.

    Each cell is :func:`band_cell`: the share on a walking network, offline the estimate with its
    upper bound, never one bare figure. Zones are named in ``lang`` (the all-demand row as
    ``total``, left out when there is only one district); unknown figures read "—".
    """
    order = list(dict.fromkeys(shares.zone))
    if len([z for z in order if z != CITY]) == 1:
        order = [z for z in order if z != CITY]
    out = pd.DataFrame({fmt.header("zone", lang): zone_names(pd.Series(order), lang, total=total)})
    for m in sorted(shares.minutes.unique()):
        band = shares[shares.minutes == m].set_index("zone").reindex(order)
        out[band_header(float(m), lang)] = [band_cell(r, lang) for _, r in band.iterrows()]
    return out


def band_table(shares: pd.DataFrame, lang: str = "zh", *, total: str | None = None) -> pd.DataFrame:
    """The long band table for downloads: zones named in ``lang``, every figure kept."""
    return shares.assign(zone=zone_names(shares.zone, lang, total=total))
