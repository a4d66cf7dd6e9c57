"""The band-shares table both the Service areas and the Coverage pages show (one function).

The figures come from :func:`atlas.coverage.bands.band_shares`; this only draws them, with what
they are: values on a walking network, or offline a labelled estimate and a straight-line upper
bound; shares of people placed by area said to be so; a scenario's badge when they include
hypothetical sites.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from atlas.coverage.bands import band_view
from atlas.coverage.summary import METHOD_BOUNDS
from atlas.i18n import t
from ui.cards import md_escape
from ui.tables import show_table


def show(shares: pd.DataFrame, summary: Any, lang: str, *, badge: str = "", scope: str = "",
         total: str | None = None, say_missing: bool = False, network_areas: bool = False) -> None:
    """Heading, the scenario badge, what the figures are, then the table (a row per district).

    ``total`` names the all-demand row (default: the whole city); ``say_missing`` says why a
    district reads "—" (its supply source lists no row), on pages that do not say it already;
    ``network_areas`` says that the circles are walking areas while the shares are not.
    """
    st.subheader(t("bands_title", lang))
    if badge:
        st.caption("⚑ " + md_escape(badge))
    if summary.method == METHOD_BOUNDS:
        key = "bands_straight_line_area" if network_areas else "bands_bounds_note"
        st.caption(t(key, lang, detour=f"{summary.detour_factor:g}"))
    else:
        st.caption(t("bands_network_note", lang))
    if summary.by_area:
        st.caption(t("bands_by_area", lang))
    if say_missing and summary.supply_note(lang=lang):
        st.caption(md_escape(summary.supply_note(lang=lang)))
    if scope:
        st.caption(t("bands_scope", lang, scope=md_escape(scope)))
    show_table(band_view(shares, lang, total=total), lang, key=f"bands_{lang}")
