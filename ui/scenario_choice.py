"""Which sites the Indicators page counts: the plan as it stands, unless a scenario is chosen there.

A what-if scenario made on the Coverage page never changes the Indicators page by itself: the
page shows the plan's state, and a planner who wants a scenario's figures picks it here; then
every coverage figure on the page carries the scenario's badge (:func:`atlas.analysis.scenarios.badge`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import streamlit as st

from atlas.analysis.scenarios import Scenario, load_scenarios
from atlas.errors import AtlasError
from atlas.i18n import t
from ui.cards import md_escape

#: The choice "the plan as it stands" (no hypothetical site).
PLAN = ""
#: The choice "this session's scenario" (the one being edited on the Coverage page).
SESSION = "\x00session"


@dataclass(frozen=True)
class Choice:
    """The hypothetical sites counted (WGS84 lon/lat pairs) and their badge ("" for the plan)."""

    sites: tuple[tuple[float, float], ...] = ()
    badge: str = ""


def _options() -> dict[str, Scenario]:
    out: dict[str, Scenario] = {}
    current = st.session_state.get("scenario")
    if isinstance(current, Scenario) and current.sites:
        out[SESSION] = current
    # saved scenarios unreadable: the plan and this session's scenario are still offered
    with contextlib.suppress(AtlasError):
        out.update({s.name: s for s in load_scenarios() if s.sites})
    return out


def choose(lang: str, *, key: str = "dash_scenario") -> Choice:
    """A picker (the plan by default) and, when a scenario is picked, its badge on the page."""
    options = _options()

    def label(k: str) -> str:
        if k == PLAN:
            return t("dash_plan_state", lang)
        s = options[k]
        what = t("dash_session_scenario", lang) if k == SESSION else t("dash_saved_scenario", lang)
        return f"{what}: {s.badge(lang)}" if lang == "en" else f"{what}：{s.badge(lang)}"

    keys = [PLAN, *options]
    if st.session_state.get(key) not in keys:
        st.session_state.pop(key, None)
    pick = st.selectbox(t("dash_scenario", lang), keys, key=key, format_func=label)
    if pick == PLAN or pick not in options:
        st.caption(t("dash_plan_state_note", lang))
        return Choice()
    scen = options[pick]
    badge = scen.badge(lang)
    st.warning("⚑ " + md_escape(badge))
    return Choice(tuple((float(s["lon"]), float(s["lat"])) for s in scen.sites), badge)
