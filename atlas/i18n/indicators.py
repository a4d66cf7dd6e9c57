"""Texts of the Indicators page."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "dash_title": ("规划指标", "Plan indicators"),
    "dash_scenario": ("覆盖率按哪些站点计算", "Coverage counts which sites"),
    "dash_plan_state": ("规划现状（不含假设站点）", "The plan as it stands (no hypothetical site)"),
    "dash_plan_state_note": ("本页覆盖率按规划现状计算；覆盖缺口页添加的假设站点不计入，除非在此选择该情景。",
                             "Coverage here is the plan as it stands: hypothetical sites added on the "
                             "Coverage page count only if their scenario is chosen here."),
    "dash_session_scenario": ("本次会话的情景", "This session's scenario"),
    "dash_saved_scenario": ("已保存的情景", "Saved scenario"),
    "dash_targets": ("规划量化目标", "Quantitative targets"),
    "dash_measured": ("图谱可测量", "Measured by the atlas"),
    "dash_not_measurable": ("图谱无法测量", "Not measurable"),
    "dash_tasks_without": ("无上图要素的任务", "Tasks without a feature"),
    "dash_targets_table": ("2027年目标与现状", "2027 targets and where things stand"),
    "dash_only_measurable": ("只看图谱可测量的目标", "Only targets the atlas can measure"),
    "dash_no_figure": ("（未给出数值）", "(no figure given)"),
    "dash_task": ("任务", "Task"),
    "dash_col_where": ("出处", "Where"),
    "dash_col_indicator": ("指标", "Indicator"),
    "dash_col_target": ("2027年目标", "2027 target"),
    "dash_col_baseline": ("基期值", "Baseline"),
    "dash_col_now": ("现状（图谱）", "Now (atlas)"),
    "dash_col_how": ("测量方式", "How measured"),
    "dash_col_detail": ("说明", "Notes"),
    "dash_col_quote": ("规划原文", "Plan text"),
    "dash_kepu_levels": ("图谱列出的科普基地（按级别）",
                         "Science-popularisation bases the atlas lists, by level"),
    "dash_districts": ("区县对比", "Districts compared"),
    "dash_districts_note": ("点击表头排序；条形长度按各列最大值缩放。"
                            "覆盖率为无步行路网时的直线上下界与估计值。"
                            "源数据缺失的区县不给数值（“数据缺失”），不参与排序；各区县数值相同的指标不画图。",
                            "Click a header to sort; bars scale to each column's largest value. "
                            "Coverage without a walking network is straight-line bounds and an estimate. "
                            "Districts whose source data is missing show no value (\"no data in source\"), "
                            "not a rank; an indicator equal in every district gets no chart."),
    "dash_ind_population": ("常住人口", "Residents"),
    "dash_ind_kepu_sites": ("科普场馆（已定位）", "Science-popularisation sites (positioned)"),
    "dash_ind_kepu_per_100k": ("每十万人科普场馆", "Science-popularisation sites per 100,000 residents"),
    "dash_ind_galleries": ("科普画廊", "Science galleries"),
    "dash_ind_hightech_parks": ("高新区与园区", "High-tech zones and parks"),
    "dash_ind_poles": ("区域创新极候选", "Innovation pole candidates"),
    "dash_ind_labs_universities": ("实验室与高校", "Labs and universities"),
    "dash_ind_pct_estimate": ("15分钟覆盖率（估计）", "15-minute coverage (estimate)"),
    "dash_ind_pct_upper": ("15分钟覆盖率（上限）", "15-minute coverage (at most)"),
    "dash_tasks": ("各任务的上图要素", "Each task's features on the map"),
    "dash_n_targets": ("量化目标 {n} 项", "{n} quantitative targets"),
    "dash_on_map": ("地图上查看 {n} 个要素", "{n} features on the map"),
    "dash_on_map_one": ("地图上查看 {n} 个要素", "{n} feature on the map"),
    "dash_n_targets_one": ("量化目标 {n} 项", "{n} quantitative target"),
    "dash_only_unplaced_one": ("只有 {n} 个无坐标要素，尚未上图。",
                               "Only {n} feature without a position: not on the map yet."),
    "dash_no_data": ("数据缺失", "no data in source"),
    "dash_details": ("现状说明", "What the current values stand for"),
    "dash_unplaced": ("另有 {n} 个无坐标要素", "{n} more without a position"),
    "dash_only_unplaced": ("只有 {n} 个无坐标要素，尚未上图。",
                           "Only {n} features without a position: none on the map yet."),
}
