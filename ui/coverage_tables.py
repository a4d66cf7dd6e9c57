"""The coverage page's tables and downloads (pages/3_覆盖缺口_Coverage.py): the answer first.

By district, the gaps and E2SFCA by district take the full width so that the columns carrying
the answer are visible at 1280 px; figures that include hypothetical sites carry the scenario's
badge; downloads are briefing tables (:mod:`atlas.io.downloads`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from atlas import fmt
from atlas.coverage.text import siting_note
from atlas.data.names import district_name
from atlas.data.places import gap_table
from atlas.i18n import t
from ui import analysis, scenario_panel
from ui.cards import md_escape
from ui.coverage_inputs import zones_input
from ui.tables import show_table

if TYPE_CHECKING:
    from ui.coverage_page import Findings, Run


#: Gap table columns shown, in order (the rest, H3 details, are folded away): the answer first.
GAP_COLUMNS = ("rank", "name", "district", "area_km2", "population", "streets")


def result_tables(run: Run, found: Findings, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coverage by district, the gaps, E2SFCA by district, then recommendations and the scenario.

    The three tables take the full width, so their answer columns fit at 1280 px.

    Figures that include hypothetical sites carry the scenario's badge. Returns the by-district
    coverage and accessibility tables (for the downloads).
    """
    headers = people_headers(run, lang)
    st.subheader(t("cov_by_district", lang))
    _badge_caption(run)
    by = analysis.derived(run.key, "by_district", (lang,), run.summary)
    show_table(district_view(by, lang), lang, headers=headers)
    st.subheader(t("cov_gaps", lang))
    st.caption(t("cov_gaps_by_area" if run.summary.by_area else "cov_gaps_by_people", lang))
    _badge_caption(run)
    gaps = gap_table(found.gaps, lang).head(20)
    main_cols = [c for c in GAP_COLUMNS if c in gaps.columns]
    show_table(gaps[main_cols], lang, headers=headers)
    details = [c for c in gaps.columns if c not in main_cols]
    if details:
        with st.expander(t("cov_gap_details", lang)):
            show_table(gaps[["rank", *details]] if "rank" in gaps.columns else gaps[details], lang)
    st.subheader(t("acc_title", lang))
    st.caption(found.access.label(lang))
    _badge_caption(run)
    acc_by = analysis.derived((run.key, found.decay, "by_district"), "by_district", (), found.access)
    show_table(with_district_names(acc_by[["zone", "score_per_10k", "pct_no_access", "population", "status"]],
                                   lang), lang, headers=headers)
    left, right = st.columns(2)
    with left:
        st.subheader(t("cov_reco", lang))
        if found.reco.empty and str(found.reco_info.get("method", "")).startswith("none ("):
            st.caption(t("cov_reco_none", lang))  # why was said once, above the map
        else:
            st.caption(siting_note(found.reco_info, lang))
            reco = found.reco
            if lang == "en" and "name_en" in reco.columns:
                reco = reco.assign(name=reco.name_en)
            show_table(reco.drop(columns=["name_en"], errors="ignore"), lang, names=run.names,
                       headers=headers)
    with right:
        scenario_panel.panel(run.supply.scenario, lang)
    return by, acc_by


#: The by-district table as shown: the answer first (bounds, estimate, what is certainly outside).
DISTRICT_VIEW = ("zone", "pct_lower", "pct_upper", "pct_estimate", "certain_gap_area_km2",
                 "certain_gap_population", "area_km2", "population", "uncertain_population", "status")


def district_view(by: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The by-district table as shown: answer columns first; no column that is empty throughout.

    Districts are named in ``lang``. The method is the headline's and a missing district's note
    is said once there (the full table, notes included, is in the download).
    """
    cols = [c for c in DISTRICT_VIEW if c in by.columns and (c == "zone" or by[c].notna().any())]
    return with_district_names(by[cols], lang)


def with_district_names(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``table`` with its ``zone`` (a district) named in ``lang`` (:func:`atlas.data.names.district_name`)."""
    return table.assign(zone=[district_name(z, lang) for z in table.zone])


def _badge_caption(run: Run) -> None:
    """The scenario badge under a heading whose figures include hypothetical sites."""
    if run.supply.badge:
        st.caption("⚑ " + md_escape(run.supply.badge))


def people_headers(run: Run, lang: str) -> dict[str, str]:
    """Headers of people columns that say how people were placed (one mapping: tables and CSV)."""
    return {c: run.summary.demand_label(lang, column=c) for c in fmt.PEOPLE_COLUMNS}


def band_shares(run: Run, lang: str) -> pd.DataFrame | None:
    """Who lives within 5, 10 and 15 minutes' walk (the bands the budget holds), per district and city-wide.

    The figures are :func:`atlas.coverage.bands.band_shares` of the page's coverage: bounds and
    an estimate offline, the scenario's badge when it includes hypothetical sites. Returns the
    figures for the downloads (None when the budget holds fewer than two bands).
    """
    from atlas.coverage.bands import bands_within
    from ui import band_shares as band_table

    minutes = bands_within(run.summary.budget_m)
    if len(minutes) < 2:
        return None
    shares = analysis.coverage_band_shares(run.key, minutes, lang, run.summary)
    band_table.show(shares, run.summary, lang, badge=run.supply.badge)
    return shares


def gallery_counts(run: Run, lang: str) -> None:
    """Galleries per 街道/镇 (when the gallery layer is there), folded away."""
    if "kepu_galleries" in run.frames:
        with st.expander(t("cov_gallery_counts", lang)):
            show_table(analysis.gallery_counts(), lang)


def zones_table(run: Run, found: Findings, lang: str) -> pd.DataFrame | None:
    """Coverage and E2SFCA per zone of a planner's boundary file (None until one is given)."""
    st.subheader(t("cov_zones", lang))
    zones = zones_input(lang, key="cov_zone_file")
    if zones is None:
        return None
    table = run.summary.by_zone(zones, lang=lang).merge(
        found.access.by_zone(zones)[["zone", "score_per_10k", "pct_no_access"]], on="zone", how="left")
    show_table(table, lang, headers=people_headers(run, lang))
    return table


def downloads(run: Run, found: Findings, by: pd.DataFrame, acc_by: pd.DataFrame,
              zones: pd.DataFrame | None, lang: str, bands: pd.DataFrame | None = None) -> None:
    """The page's downloads as briefing tables (:func:`atlas.io.downloads.coverage_downloads`).

    Files are made when downloaded (callables), not on every rerun.
    """
    from atlas.io.downloads import band_shares_download, coverage_downloads

    st.subheader(t("cov_download", lang))
    _badge_caption(run)
    files = coverage_downloads(run.summary, gaps=found.gaps, access=found.access, reco=found.reco, by=by,
                               acc_by=acc_by, zones=zones, lang=lang, badge=run.supply.badge)
    if bands is not None:
        files.append(band_shares_download(bands, run.summary, lang, badge=run.supply.badge))
    for col, d in zip(st.columns(len(files)), files, strict=True):
        col.download_button(d.label, d.make, d.file_name, d.mime, key=f"cov_dl_{d.file_name}")
