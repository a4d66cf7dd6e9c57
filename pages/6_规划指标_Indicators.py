"""Plan indicators: every quantitative 2027 target, its trajectory and what the atlas measures."""

from __future__ import annotations

import streamlit as st

from atlas.i18n import t
from atlas.plan import progress
from atlas.plan.indicators import (
    district_indicators,
    kepu_by_level,
    load_targets,
    measure_targets,
    task_features,
)
from ui import auth, common, dashboard, progress_view, scenario_choice
from ui.tables import show_table

lang = common.page("dash_title")
plan = common.plan()
st.caption(plan["title_en"] if lang == "en" else plan["title_zh"])
sites, districts = common.sites(), common.districts()
targets = load_targets()
scenario = scenario_choice.choose(lang)  # the plan's state unless a scenario is chosen here
cov_city, cov_districts = dashboard.coverage_figures(scenario.sites)
measured = measure_targets(targets, sites=sites, districts=districts, coverage_city=cov_city)
features = task_features(plan, sites)
values = progress.load_values()
can_edit = auth.can_edit()

save = progress_view.saver(targets, districts, auth.editor_name)


dashboard.show_summary(targets, measured, features, lang)
st.subheader(t("prog_title", lang))
progress_view.show_progress(targets, values, districts, lang)
if can_edit:
    progress_view.record_form(str(st.session_state["prog_target"]), districts, targets, lang, save=save)
else:
    auth.viewer_note(lang)

st.subheader(t("dash_targets_table", lang))
only = st.toggle(t("dash_only_measurable", lang), value=False, key="dash_only")
table = dashboard.targets_table(targets, measured, common.tasks_by_number(), lang,
                                progress_view.status_columns(targets, values, lang))
if only:
    table = table.head(sum(m.how != "none" for m in measured.values()))  # measured rows come first
dashboard.show_targets(table, targets, measured, lang)

if can_edit and not scenario.sites:  # what is recorded as measured is the plan's state, never a what-if
    with st.expander(t("prog_measure_title", lang), expanded=False):
        progress_view.measure_now(measured, lang, save=save,
                                  district_coverage=progress_view.district_coverage(cov_districts),
                                  district_counts=progress_view.district_counts(sites, targets))
with st.expander(t("prog_files", lang), expanded=False):
    progress_view.files_panel(values, targets, districts, lang, can_edit=can_edit, save=save)

st.subheader(t("dash_kepu_levels", lang))
show_table(kepu_by_level(sites, lang), lang)

st.subheader(t("dash_districts", lang))
st.caption(t("dash_districts_note", lang))
galleries = common.layer_frames().get("kepu_galleries")
dashboard.show_districts(district_indicators(sites, districts, common.population(), galleries=galleries,
                                             coverage=cov_districts, lang=lang,
                                             galleries_missing=dashboard.galleries_missing()), lang)

st.subheader(t("dash_tasks", lang))
dashboard.show_tasks(features, targets, lang)
