"""Texts of the Coverage page (gaps, bounds, population sources, zones, E2SFCA)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "cov_title": ("覆盖缺口与新增科普点", "Coverage gaps and where to add science-popularisation sites"),
    "cov_gap_layer": ("未覆盖人口（H3 格）", "Uncovered population (H3 cells)"),
    "cov_uncovered": ("未覆盖人口", "Uncovered population"),
    "cov_pct": ("15分钟覆盖率", "Covered within budget"),
    "cov_covered_pop": ("覆盖人口", "Population covered"),
    "cov_mode_proxy": ("全市直线近似（无步行路网）：人口按面积均匀分布，距离为直线×绕行系数。"
                       "仅供参考，不是步行覆盖。",
                       "Whole-city straight-line proxy (no walking network): population spread "
                       "evenly over area, distance = straight line x detour factor. Indicative "
                       "only; not walking coverage."),
    "cov_mode_network": ("基于步行路网与街道人口分布",
                         "On the walking network, population placed on streets"),
    "cov_scope": ("分析范围", "Scope"),
    "cov_city_proxy": ("全市（直线近似）", "Whole city (straight-line proxy)"),
    "cov_by_district": ("分区县覆盖", "Coverage by district"),
    "cov_gaps": ("缺口片区", "Gap clusters"),
    "cov_gaps_by_area": ("按面积排序：人口按面积均摊时，输入数据只确定面积；人数是按面积折算的约数。",
                         "Ranked by area: with people spread evenly by area, the inputs hold only the "
                         "area; head counts are that area's share, approximately."),
    "cov_gaps_by_people": ("按人口排序（确定缺口中的人口，估计值）。",
                           "Ranked by people (people in the certain gaps, an estimate)."),
    "cov_certain_gap_area": ("确定在范围外的面积", "Area certainly outside"),
    "cov_class_gap": ("确定在范围外（直线距离也超出）",
                      "Certainly outside (beyond it even in a straight line)"),
    "cov_class_gap_layer": ("确定缺口（面积）", "Certain gaps (area)"),
    "cov_class_band": ("不确定带：直线上限以内、估计范围以外", "Uncertain: within the straight-line bound, "
                       "outside the estimate"),
    "cov_class_band_layer": ("不确定带（上下界之间）", "Uncertain band (between the bounds)"),
    "cov_reco_none": ("无推荐（原因见地图上方）。", "No recommendation (why: see above the map)."),
    "cov_no_candidates": ("尚无候选点：在地图上点击即可添加。",
                          "No candidates yet: click the map to add one."),
    "cov_col_number": ("编号", "No."),
    "cov_col_label": ("名称（可修改）", "Name (editable)"),
    "cov_col_lon": ("经度", "Longitude"),
    "cov_col_lat": ("纬度", "Latitude"),
    "cov_gap_details": ("缺口片区的 H3 格与中心坐标", "Gap clusters: H3 cells and centre coordinates"),
    "cov_reco": ("推荐新增科普点", "Recommended new science-popularisation sites"),
    "cov_k": ("新增数量", "Sites to add"),
    "cov_reco_disabled": ("直线近似模式下不做选址推荐（人口按面积均摊，推荐没有意义）：需要步行路网。",
                          "No site recommendation in the straight-line mode (people are spread by "
                          "area, so it would mean nothing): it needs a walking network."),
    "cov_change": ("假设站点带来的变化（与不加相比）", "What the hypothetical sites change (against none)"),
    "cov_added_areas": ("新增站点的服务圈", "Service areas of the added sites"),
    "cov_quantiles": ("到最近科普点的距离（人口加权分位数，米）",
                      "Distance to the nearest science-popularisation site "
                      "(population-weighted quantiles, m)"),
    "cov_click_hint": ("在地图上点击即可添加候选点到当前情景。",
                       "Click the map to add a candidate site to the current scenario."),
    "cov_scenario": ("情景", "Scenario"),
    "cov_scenario_name": ("情景名称", "Scenario name"),
    "cov_save": ("保存情景", "Save scenario"),
    "cov_saved": ("已保存：", "Saved: "),
    "cov_load": ("载入已保存情景", "Load a saved scenario"),
    "cov_load_btn": ("载入所选情景", "Load the chosen scenario"),
    "cov_clear": ("清空候选点", "Clear candidates"),
    "cov_added": ("已添加的候选点", "Added candidates"),
    "cov_download": ("下载", "Download"),
    "cov_flagged": ("以下站点离道路过远，未计入：", "Too far from any street, not counted: "),
    "cov_supply": ("科普点集合", "Science-popularisation points in play"),
    "cov_extra_layers": ("另加点图层（如导入的名单）", "Also include point layers (e.g. imported lists)"),
    "cov_pop_source": ("人口分布来源", "Population source"),
    "pop_src_area-uniform": ("按面积均匀分布（近似，最后手段）", "Area-uniform (approximate, last resort)"),
    "pop_src_upload": ("上传人口栅格 GeoTIFF 或网格表", "Upload a population GeoTIFF or cell table"),
    "pop_src_worldpop": ("WorldPop 100 米栅格（需联网下载）", "WorldPop 100 m raster (download, online)"),
    "pop_src_zones": ("街道/社区人口表 + 边界文件", "Population by subdistrict/community + boundary file"),
    "pop_upload": ("人口文件（GeoTIFF、CSV、XLSX；CSV 需经度、纬度、人口列）",
                   "Population file (GeoTIFF, CSV, XLSX; tables need lon, lat, population columns)"),
    "pop_worldpop_button": ("下载 WorldPop 并使用", "Download WorldPop and use it"),
    "pop_table_upload": ("人口表（CSV、XLSX）", "Population table (CSV, XLSX)"),
    "pop_zone_column": ("名称列（与边界文件相同）", "Name column (as in the boundary file)"),
    "pop_value_column": ("人口列", "Population column"),
    "pop_need_file": ("尚未提供人口文件：暂按面积均匀分布。",
                      "No population file yet: area-uniform is used."),
    "pop_reconciliation": ("与2024年官方区县人口核对",
                           "Reconciliation with the official 2024 district totals"),
    "cov_upper": ("至多（直线上限）", "At most (straight-line upper bound)"),
    "cov_certain_gap": ("确定在范围外的人口", "People certainly outside"),
    "cov_estimate": ("估计值（直线×绕行系数）", "Estimate (straight line × detour factor)"),
    "cov_bounds_note": ("无步行路网时只有界限是确定的：步行距离不短于直线距离，所以直线距离也超出预算的人"
                        "一定在15分钟圈外（确定缺口）；直线圈内的人最多有这么多（上限）；直线×绕行系数只是估计值。"
                        "下限需要步行路网。",
                        "Without a walking network only bounds are certain: a walk is never shorter "
                        "than the straight line, so people beyond the budget even in a straight line "
                        "are certainly outside (certain gaps); those within straight-line circles are "
                        "at most this many (upper bound); straight line × detour factor is only an "
                        "estimate. A lower bound needs a walking network."),
    "cov_certain_gaps_layer": ("确定缺口（直线距离也超出）",
                               "Certain gaps (beyond the budget in a straight line)"),
    "cov_zones": ("按自定义分区统计（街道、社区、规划单元）",
                  "By your own zones (subdistricts, communities, planning units)"),
    "cov_zones_upload": ("边界文件（GeoJSON、GeoPackage、zip 压缩的 Shapefile）",
                         "Boundary file (GeoJSON, GeoPackage, zipped shapefile)"),
    "cov_zones_datum": ("边界文件坐标系", "Datum of the boundary file"),
    "no_population": ("无人口", "no population"),
    "acc_title": ("可达性（E2SFCA，每万人可达科普点，按距离衰减加权）",
                  "Accessibility (E2SFCA: science-popularisation points within reach per 10,000 residents, "
                  "distance-weighted)"),
    "acc_decay": ("距离衰减", "Distance decay"),
    "acc_decay_gaussian": ("高斯（默认）", "Gaussian (default)"),
    "acc_decay_bands": ("分段 1.00/0.68/0.22", "Bands 1.00/0.68/0.22"),
    "acc_show": ("地图显示可达性（代替缺口）", "Show accessibility on the map (instead of the gaps)"),
    "acc_layer": ("可达性（每万人）", "Accessibility (per 10,000 residents)"),
    "cov_gallery_note": ("科普画廊为2021年快照（宁波市科普画廊管理系统，BD-09 转 WGS84，"
                         "位置为所在村委会/社区，误差约300米）。坐标落在所填区县之外的行已标记、未改正。",
                         "Galleries are a 2021 snapshot (Ningbo's gallery system, BD-09 to WGS84; points "
                         "are the host village committees/communities, ~300 m). Rows whose point lies in "
                         "another district are flagged, not fixed."),
    "cov_gallery_counts": ("科普画廊：按街道/镇计数", "Galleries per subdistrict/town"),
    "cov_candidates": ("候选点来源", "Candidate sites from"),
    "cov_cand_gaps": ("缺口片区中心（自动）", "Gap-cluster centres (automatic)"),
    "cov_remove": ("移除候选点", "Remove candidates"),
    "cov_remove_btn": ("移除所选候选点", "Remove the chosen candidates"),
    "pop_area_uniform": ("人口按面积均匀分布（近似）", "population spread evenly by area (approximate)"),
}
