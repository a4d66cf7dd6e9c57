"""The what-if scenario on the coverage page: its badge, its numbered candidates, what they change.

Hypothetical sites belong to a named scenario (:class:`atlas.analysis.scenarios.Scenario`); every figure
that includes them carries :func:`atlas.analysis.scenarios.badge`. Candidates are numbered (候选点 1,
2, …), can be renamed and removed; the scenario is saved, cleared and loaded here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from atlas.analysis.scenarios import DEFAULT_NAME, Scenario, load_scenarios, save_scenario, site_label
from atlas.coverage.text import coverage_change
from atlas.errors import AtlasError
from atlas.i18n import t
from ui import auth
from ui.cards import md_escape


def current() -> Scenario:
    """The session's scenario (a new one named :data:`atlas.analysis.scenarios.DEFAULT_NAME` at first)."""
    scen: Scenario = st.session_state.setdefault("scenario", Scenario(DEFAULT_NAME))
    return scen


def show_badge(badge: str) -> None:
    """The scenario badge above figures that include hypothetical sites (nothing when none do)."""
    if badge:
        st.warning("⚑ " + md_escape(badge))


def show_change(before: Any, after: Any, *, method: str, demand: str, badge: str, lang: str) -> None:
    """What the hypothetical sites change, every figure: both bounds, the estimate, certainly outside."""
    rows = coverage_change(before, after, lang, method=method, demand=demand)
    sep = ": " if lang == "en" else "："
    lines = "  \n".join(f"- {md_escape(what)}{sep}{md_escape(change)}" for what, change in rows)
    st.info(f"**{t('cov_change', lang)}** · {md_escape(badge)}  \n{lines}")


def candidates(scen: Scenario, lang: str) -> None:
    """The numbered candidates: rename in the table, remove some, or all."""
    if not scen.sites:
        st.caption(t("cov_no_candidates", lang))
        return
    table = pd.DataFrame({
        "id": [s["id"] for s in scen.sites],
        t("cov_col_number", lang): [site_label({"number": s.get("number")}, lang, i)
                                    for i, s in enumerate(scen.sites)],
        t("cov_col_label", lang): [str(s.get("name") or "") for s in scen.sites],
        t("cov_col_lon", lang): [round(float(s["lon"]), 6) for s in scen.sites],
        t("cov_col_lat", lang): [round(float(s["lat"]), 6) for s in scen.sites]})
    state = "|".join(f"{s['id']}:{s.get('name') or ''}" for s in scen.sites)  # a new table: a new editor
    edited = st.data_editor(table, hide_index=True, width="stretch", key=f"cov_rename_{hash(state)}",
                            disabled=[c for c in table.columns if c != t("cov_col_label", lang)],
                            column_config={"id": None})
    renamed = dict(zip(edited["id"], edited[t("cov_col_label", lang)].fillna(""), strict=True))
    if any(str(renamed.get(s["id"], "")) != str(s.get("name") or "") for s in scen.sites):
        for sid, label in renamed.items():
            scen.rename_site(str(sid), str(label))
        st.rerun()
    labels = dict(zip([s["id"] for s in scen.sites], scen.labels(lang), strict=True))
    drop = st.multiselect(t("cov_remove", lang), list(labels), key="cov_drop", format_func=labels.__getitem__)
    if drop and st.button(t("cov_remove_btn", lang), key="cov_drop_btn"):
        for sid in drop:
            scen.remove_site(sid)
        st.rerun()


def panel(scen: Scenario, lang: str) -> None:
    """The scenario: its name, numbered candidates; save, clear and load."""
    st.subheader(t("cov_scenario", lang))
    name = st.text_input(t("cov_scenario_name", lang), value=scen.name, key="cov_scen_name")
    candidates(scen, lang)
    b1, b2 = st.columns(2)
    if auth.save_button(b1, t("cov_save", lang), lang):
        scen.name = name.strip() or scen.name
        try:
            version = save_scenario(scen, user=auth.editor_name())
            st.success(t("cov_saved", lang) + md_escape(scen.name) + f" · v{version}")
        except AtlasError as exc:
            st.error(exc.message(lang))
    if b2.button(t("cov_clear", lang)):
        st.session_state["scenario"] = Scenario(scen.name)
        st.rerun()
    try:
        saved_names = [s.name for s in load_scenarios()]
    except AtlasError as exc:
        st.error(exc.message(lang))
        saved_names = []
    st.selectbox(t("cov_load", lang), ["", *saved_names], key="cov_load", on_change=_load_picked)
    auth.scenario_history(lang)


def _load_picked() -> None:
    """Load the scenario just picked (one step: no separate button)."""
    pick = st.session_state.get("cov_load")
    if not pick:
        return
    try:
        st.session_state["scenario"] = next(s for s in load_scenarios() if s.name == pick)
        st.session_state.pop("cov_scen_name", None)  # the name field shows the loaded name
    except (AtlasError, StopIteration):
        pass
