"""The plan's tasks and 2027 targets, each linking to its features on the map."""

from __future__ import annotations

import streamlit as st

from atlas.geodata import parse_tasks
from atlas.i18n import t
from atlas.indicators import load_targets
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
        st.subheader(f"{task['project_no']}. {task['project_en'] if lang == 'en' else project}")
    n = int(task["task"])
    feats = sites[sites.policy_tasks.map(lambda v, n=n: n in parse_tasks(v))]
    with st.expander(f"{n}. {task['title_zh']}  ({len(feats)})"):
        st.markdown(f"**{t('lead_unit', lang)}**: {md_escape(task['lead_unit'])}")
        st.markdown(f"**{t('units', lang)}**: {md_escape('、'.join(task['units']))}")
        mine = targets[targets.task == n]
        if len(mine):  # the extracted targets: indicator, 2027 value with its unit, the plan's words
            st.markdown(f"**{t('targets', lang)}**")
            for r in mine.itertuples():
                name = r.indicator_en if lang == "en" else r.indicator_zh
                st.markdown(f"- {md_escape(name)}: **{md_escape(target_text(r, lang))}** "
                            f"（{md_escape(r.quote)}）")
        st.page_link("pages/6_规划指标_Indicators.py", label=f"{t('dash_title', lang)} →")
        placed = feats[~feats.geometry.isna()]
        if placed.empty:
            st.caption(t("no_features_for_task", lang))
        else:
            st.markdown(f"**{t('features_for_task', lang)}**: "
                        + "、".join(md_escape(x) for x in placed.name_zh))
            common.task_map_link(n, t("show_on_map", lang))
