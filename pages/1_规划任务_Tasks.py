"""The plan's tasks and 2027 targets, each linking to its features on the map."""

from __future__ import annotations

import streamlit as st

from atlas.data.geodata import parse_tasks
from atlas.data.names import display_name, project_title, task_title, unit_name, units_text
from atlas.i18n import t
from atlas.plan.indicators import load_targets
from ui import common
from ui.cards import md_escape
from ui.dashboard import target_text

lang = common.page("tasks")
plan = common.plan()
sites = common.sites()
targets = load_targets()
st.caption(plan["title_en"] if lang == "en" else plan["title_zh"])

project = None
for task in plan["tasks"]:
    if task["project_zh"] != project:
        project = task["project_zh"]
        st.subheader(f"{task['project_no']}. {project_title(task, lang)}")
    n = int(task["task"])
    feats = sites[sites.policy_tasks.map(lambda v, n=n: n in parse_tasks(v))]
    with st.expander(f"{n}. {task_title(task, lang)}  ({len(feats)})"):
        st.markdown(f"**{t('lead_unit', lang)}**: {md_escape(unit_name(task['lead_unit'], lang))}")
        st.markdown(f"**{t('units', lang)}**: {md_escape(units_text(task['units'], lang))}")
        mine = targets[targets.task == n]
        if len(mine):  # the extracted targets: indicator, 2027 value with its unit, the plan's words
            st.markdown(f"**{t('targets', lang)}**")
            for r in mine.itertuples():
                name = r.indicator_en if lang == "en" else r.indicator_zh
                quote = f"（{md_escape(r.quote)}）" if lang == "zh" else ""  # the plan's own words
                st.markdown(f"- {md_escape(name)}: **{md_escape(target_text(r, lang))}**{quote}")
        common.page_link(common.INDICATORS_PAGE, f"{t('dash_title', lang)} →")
        placed = feats[~feats.geometry.isna()]
        if placed.empty:
            st.caption(t("no_features_for_task", lang))
        else:
            names = [display_name(r, lang) for r in placed.to_dict("records")]
            st.markdown(f"**{t('features_for_task', lang)}**: "
                        + (", " if lang == "en" else "、").join(md_escape(x) for x in names))
            common.task_map_link(n, t("show_on_map", lang))
