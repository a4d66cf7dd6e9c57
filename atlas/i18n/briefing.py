"""Texts of the coverage briefing page and of every static map's furniture (footer, north arrow)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "attr_per_feature_in": ("逐条注明来源（{n} 个，见{where}）", "a source per feature ({n}, in {where})"),
    "map_date": ("制图日期", "Date"),
    "map_crs": ("坐标系", "CRS"),
    "map_north": ("北", "N"),
    "brief_title": ("15分钟科普服务圈覆盖简报", "15-minute science service coverage"),
    "brief_city": ("宁波市全域", "Ningbo, whole city"),
    "brief_no_figure": ("无覆盖数值（无人口或缺少供给数据）",
                        "No coverage figure (no people or no supply data)"),
    "brief_network_pct": ("15分钟步行可达（步行路网）", "Within a 15-minute walk (walking network)"),
    "brief_col_district": ("区县", "District"),
    "brief_col_upper": ("至多", "At most"),
    "brief_col_estimate": ("估计", "Estimate"),
    "brief_col_pct": ("覆盖率", "Covered"),
    "brief_col_gap_km2": ("确定在外面积", "Certainly outside (area)"),
    "brief_col_gap_people": ("确定在外人口", "Certainly outside (people)"),
    "brief_table_caption": ("各区县覆盖情况", "Coverage by district"),
    "brief_gap_title": ("覆盖缺口", "Coverage gap"),
    "brief_gap_title_area": ("覆盖缺口（按面积）", "Coverage gap (by area)"),
    "brief_no_data_class": ("覆盖情况未知（供给数据缺失）", "Unknown (no supply data there)"),
    "brief_note_area": ("人口按面积均摊：缺口按面积分类绘制（不按人口密度分级），已裁剪至区界",
                        "people spread by area: gaps drawn in classes by area (not graded by "
                        "density), clipped to the boundary"),
    "brief_note_classes": ("缺口按确定在外与不确定带分类绘制，已裁剪至区界",
                           "gaps drawn as certainly outside and the uncertain band, clipped to the "
                           "boundary"),
    "brief_supply": ("供给：{supply}", "Supply: {supply}"),
    "brief_budget": ("步行 15 分钟（{m}）", "15-minute walk ({m})"),
    "brief_how_bounds": ("无步行路网：直线上限与估计值",
                         "No walking network: straight-line bound and estimate"),
    "brief_how_network": ("步行路网计算", "Computed on the walking network"),
    "export_brief_title": ("覆盖简报页", "Coverage briefing page"),
    "export_brief_help": ("一页简报：缺口地图与所选科普点的15分钟服务圈（含画廊），覆盖率上限与估计值，"
                          "以及各区县覆盖表；数值与“覆盖缺口”页相同。版式同上。",
                          "One page: the gap map with the chosen points' 15-minute circles "
                          "(galleries included), the coverage bound and estimate, and the table "
                          "by district; the figures are the Coverage page's. Page layout as above."),
    "export_brief_scenario": ("包含“覆盖缺口”页方案中的假设站点（{badge}）",
                              "Include the hypothetical sites of the Coverage page's scenario ({badge})"),
    "export_brief_scope": ("简报范围", "Briefing area"),
    "export_brief_fmt": ("简报页 {fmt}", "briefing page {fmt}"),
    "export_brief_png": ("下载简报页 PNG（300 dpi）", "Download the briefing page, PNG (300 dpi)"),
    "export_brief_pdf": ("下载简报页 PDF（矢量）", "Download the briefing page, PDF (vector)"),
    "legend_ring_cap": ("（大于 {km} 千米的未画出）", " (rings over {km} km not drawn)"),
}
