"""Texts of the Indicators page's progress section (recorded values, trajectory, files)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "prog_title": ("2027 年目标进展", "Progress towards the 2027 targets"),
    "prog_intro": ("选择一个目标：基期值（规划原文）、历年记录值与 2027 年目标连成轨迹。"
                   "记录值保存在用户数据中，每次保存为一个新版本，旧版本保留。",
                   "Pick a target: the baseline (the plan's words), each year's recorded value and the 2027 "
                   "target as one trajectory. Recorded values are kept in the user data; every save is a new "
                   "version and earlier ones are kept."),
    "prog_pick": ("目标", "Target"),
    "prog_district": ("范围", "Area"),
    "prog_city": ("全市", "Whole city"),
    "prog_year": ("年份", "Year"),
    "prog_value": ("数值", "Value"),
    "prog_kind_baseline": ("基期值（规划原文）", "Baseline (plan text)"),
    "prog_kind_recorded": ("记录值", "Recorded"),
    "prog_kind_imported": ("导入值", "Imported"),
    "prog_kind_measured": ("图谱测量值", "Measured by the atlas"),
    "prog_kind_target": ("2027 年目标", "2027 target"),
    "prog_kind_projection": ("最近两年直线外推", "Line through the last two years"),
    "prog_range": ("区间（下限–上限）", "Range (low–high)"),
    "prog_status_on_track": ("进度正常", "On track"),
    "prog_status_behind": ("落后于目标", "Behind"),
    "prog_status_uncertain": ("无法判断", "Uncertain"),
    "prog_status_not_enough_data": ("数据不足", "Not enough data"),
    "prog_status_no_target": ("规划未给出数值", "No figure in the plan"),
    "prog_explain_on_track": ("按 {y0}–{y1} 年两点的直线外推，2027 年约为 {p}，达到目标 {goal}。",
                              "The straight line through {y0} and {y1} reaches about {p} in 2027, "
                              "which meets the target {goal}."),
    "prog_explain_behind": ("按 {y0}–{y1} 年两点的直线外推，2027 年约为 {p}，达不到目标 {goal}。",
                            "The straight line through {y0} and {y1} reaches about {p} in 2027, "
                            "short of the target {goal}."),
    "prog_explain_range": ("按 {y0}–{y1} 年区间两端分别外推，2027 年约为 {lo} 至 {hi}；目标 {goal}。",
                           "Projecting both ends of the ranges of {y0} and {y1} gives about {lo} to {hi} "
                           "in 2027; the target is {goal}."),
    "prog_explain_not_enough_data": ("至少需要两个年份的数值才能判断进度（目前有 {n} 个）。",
                                     "Two years with a value are needed to judge progress (there are {n})."),
    "prog_explain_no_target": ("规划没有给出该指标 2027 年的数值，只能记录，无法判断进度。",
                               "The plan gives this indicator no 2027 figure: values can be recorded, "
                               "but progress cannot be judged."),
    "prog_rule": ("“进度正常 / 落后”只比较最近两个年份的直线外推与 2027 年目标，不是预测。",
                  "\"On track / behind\" only compares the straight line through the last two years, "
                  "extended to 2027, with the target. It is not a forecast."),
    "prog_record": ("记录一个数值", "Record a value"),
    "prog_low": ("下限（可选）", "Low (optional)"),
    "prog_high": ("上限（可选）", "High (optional)"),
    "prog_low_short": ("下限", "Low"),
    "prog_high_short": ("上限", "High"),
    "prog_source": ("来源（出处）", "Source"),
    "prog_date": ("发布或测量日期", "Date published or measured"),
    "prog_note": ("备注", "Note"),
    "prog_save": ("保存", "Save"),
    "prog_saved": ("已保存为第 {v} 版。", "Saved as version {v}."),
    "prog_history": ("该目标的全部记录（含旧版本）", "Every saved row of this target (earlier versions too)"),
    "prog_no_history": ("该目标还没有记录值。", "No value recorded for this target yet."),
    "prog_districts": ("区县对比（{year} 年）", "Districts compared ({year})"),
    "prog_measure_title": ("记录图谱当前的测量值", "Record what the atlas measures now"),
    "prog_measure_help": ("把图谱能测量的 {n} 个目标的当前值（科普基地数、区域创新极、有省级高新园区的区县、"
                          "15 分钟覆盖率上下界，含各区县）记为今天（{day}）的测量值。查看页面不会自动保存。",
                          "Save the current value of the {n} targets the atlas measures (science "
                          "popularisation bases, innovation poles, districts with a provincial park, "
                          "the 15-minute coverage bounds, also per district) as measured today ({day}). "
                          "Viewing the page saves nothing."),
    "prog_measure_button": ("记录今天的测量值", "Record today's measurements"),
    "prog_files": ("导入与导出记录值", "Import and export recorded values"),
    "prog_export_csv": ("导出 CSV", "Export CSV"),
    "prog_export_xlsx": ("导出 XLSX", "Export XLSX"),
    "prog_files_help": ("列：指标编号、年份、区县（空或“全市”为全市）、数值（或下限/上限）、来源、"
                        "日期（YYYY-MM-DD）、备注；中英文表头均可。任何一行有问题时不保存任何数据。",
                        "Columns: target_id, year, district (empty or \"city\" for the whole city), "
                        "value (or low/high), source, observed_on (YYYY-MM-DD), note; Chinese or English "
                        "headers. If any row has a problem, nothing is saved."),
    "prog_import_file": ("选择 CSV 或 XLSX 文件", "Choose a CSV or XLSX file"),
    "prog_import_button": ("导入", "Import"),
    "prog_imported": ("已导入 {n} 行，保存为第 {v} 版。", "Imported {n} rows, saved as version {v}."),
    "prog_col_latest": ("最新记录", "Latest value"),
    "prog_col_status": ("进展", "Progress"),
    "prog_not_in_plan": ("规划未给出", "not in the plan"),
    "prog_col_kind": ("方式", "How"),
    "prog_col_saved": ("保存时间", "Saved"),
    "prog_col_version": ("版本", "Version"),
    "prog_col_by": ("保存人", "Saved by"),
    "prog_range_title": ("15分钟覆盖率：直线上下界与估计值",
                         "15-minute coverage: straight-line bounds and estimate"),
    "prog_range_note": ("条形为下限至上限的区间，竖线为估计值（估计，不是测量）。",
                        "Bars run from the lower to the upper bound; the tick is the estimate (an estimate, "
                        "not a measurement)."),
}
