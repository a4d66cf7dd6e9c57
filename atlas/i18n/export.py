"""Texts of the Export page and of static maps (titles, legends, attributions)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "export_title": ("导出简报", "Briefing exports"),
    "export_map_title": ("地图标题", "Map title"),
    "export_subtitle": ("副标题", "Subtitle"),
    "export_preset": ("版式", "Page preset"),
    "export_png": ("下载 PNG（300 dpi）", "Download PNG (300 dpi)"),
    "export_pdf": ("下载 PDF（矢量）", "Download PDF (vector)"),
    "export_html": ("下载交互式 HTML（离线可用）", "Download interactive HTML (works offline)"),
    "export_gpkg": ("下载 GeoPackage（全部图层）", "Download GeoPackage (all layers)"),
    "export_layer_data": ("单个图层数据", "Single-layer data"),
    "export_make": ("生成", "Generate"),
    "export_with_areas": ("地图中包含科普场馆的15分钟服务圈（无路网时为标注的直线近似）",
                          "Include the science-popularisation sites' 15-minute circles (labelled "
                          "straight-line proxies where no network exists)"),
    "inset_title": ("放大图", "Inset"),
    "legend_hollow": ("空心符号 = 近似位置", "Hollow symbol = approximate position"),
    "legend_error_ring": ("点线圈 = 位置误差半径", "Dotted ring = position error radius"),
    "legend_service_area": ("15分钟步行服务圈（路网）", "15-minute walking service area (network)"),
    "gap_note": ("缺口着色按未覆盖人口密度分级，已裁剪至区界",
                 "gap shading graded by uncovered residents per km², clipped to the boundary"),
    "export_title_auto": ("留空则按区县筛选自动生成", "Leave empty to follow the district filter"),
    "sub_topic_both": ("科创载体与科普设施分布", "Innovation sites and science-popularisation facilities"),
    "sub_topic_innov": ("科创载体分布", "Innovation sites"),
    "sub_topic_kepu": ("科普设施分布", "Science-popularisation facilities"),
    "sub_topic_districts": ("行政区划", "Administrative divisions"),
    "sub_service_areas": ("15分钟科普服务圈", "15-minute science service circles"),
    "sub_service_bands": ("{bands} 分钟分级服务圈", "{bands}-minute service bands"),
    "export_bands": ("分 5/10/15 分钟三级（颜色越深越近）", "As 5/10/15-minute bands (darker is nearer)"),
    "sub_gaps": ("覆盖缺口", "coverage gaps"),
    "attr_user_import": ("用户导入", "imported by the user"),
    "attr_n_layers": ("{n} 个名录图层", "{n} list layers"),
    "attr_per_feature": ("逐条注明来源（{n} 个）", "a source per feature ({n})"),
    "map_nothing_to_draw": ("地图上没有可画的内容：请至少选择一个图层（所选区县内须有要素）",
                            "Nothing to draw: choose at least one layer with features in the chosen "
                            "districts"),
    "legend_dense": ("{label}（{n:,} 处，小点）", "{label} ({n:,}, small dots)"),
    "preset_a4-landscape": ("A4 横版", "A4 landscape"),
    "preset_a4-portrait": ("A4 竖版", "A4 portrait"),
    "preset_slide-16x9": ("幻灯片 16:9", "Slide 16:9"),
    "export_no_layers": ("请至少选择一个图层：不选图层时不生成地图。",
                         "Choose at least one layer: no map is made without one."),
    "export_outdated": ("已过期，请重新生成（输入已改变）",
                        "Out of date: generate again (the inputs changed)"),
    "export_filtered": ("按区县筛选：{names}（只含其中的要素）",
                        "Follows the district filter: {names} (features in them only)"),
    "export_unfiltered": ("全市（未按区县筛选）", "Whole city (no district filter)"),
    "export_csv_of": ("CSV：{title}（{n:,} 条）", "CSV: {title} ({n:,})"),
    "export_geojson_of": ("GeoJSON：{title}（{n:,} 条）", "GeoJSON: {title} ({n:,})"),
    "export_pack_title": ("整套简报包", "Briefing pack"),
    "export_pack": ("生成整套简报包（ZIP）", "Build the briefing pack (ZIP)"),
    "export_pack_download": ("下载简报包（ZIP）", "Download the briefing pack (ZIP)"),
    "export_pack_help": ("与命令 export-briefing 相同：全市地图，所选区县（未选则全部区县）的地图与覆盖表，"
                         "交互网页和 GeoPackage。一个区约需 15 秒，全市约需 1–2 分钟；"
                         "相同输入当天只生成一次。",
                         "The same as the export-briefing command: a city map, a map and coverage "
                         "table for each chosen district (all ten when none is chosen), the "
                         "interactive HTML and a GeoPackage. About 15 s per district, 1–2 minutes "
                         "for the whole city; built once a day per set of inputs."),
    "export_pack_running": ("正在生成简报包：{districts}（在后台进程中运行，不影响其他用户）…",
                            "Building the briefing pack: {districts} (in a background process; "
                            "other users are not held up)…"),
    "export_pack_busy": ("服务器正在生成另一个简报包，请稍后再试。",
                         "The server is building another briefing pack: try again in a moment."),
    "export_pack_failed": ("简报包生成失败：{why}", "The briefing pack could not be built: {why}"),
    "export_pack_crashed": ("内部错误，详见服务器日志", "an internal error (see the server log)"),
    "export_pack_timeout": ("简报包生成超时（超过 {s} 秒）已停止：请少选几个区县再试。",
                            "Building the pack took longer than {s} s and was stopped: choose fewer "
                            "districts and try again."),
}
