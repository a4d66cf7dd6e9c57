"""Bilingual UI strings (Chinese first). ``t(key, lang)`` returns the text in ``lang``."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "app_title": ("宁波科创空间图谱", "Ningbo Innovation Atlas"),
    "app_subtitle": ("“315”科技创新体系·六大工程（2023–2027）空间要素",
                     "Spatial elements of the '315' S&T innovation plan, six projects 2023-2027"),
    "language": ("语言 / Language", "语言 / Language"),
    "basemap": ("底图", "Basemap"),
    "basemap_osm": ("OpenStreetMap（在线）", "OpenStreetMap (online)"),
    "basemap_tianditu": ("天地图（需密钥）", "Tianditu (key needed)"),
    "basemap_amap": ("高德（GCJ-02，叠加层已偏移对齐）", "AMap (GCJ-02; overlays shifted to match)"),
    "basemap_none": ("无底图（离线，仅边界）", "No tiles (offline, boundaries only)"),
    "tianditu_key": ("天地图密钥", "Tianditu key"),
    "tianditu_key_missing": ("未填写天地图密钥，已改用无底图模式。",
                             "No Tianditu key given: showing the no-tiles mode."),
    "layers": ("图层", "Layers"),
    "district_filter": ("区县筛选", "District filter"),
    "all_districts": ("全市", "Whole city"),
    "search": ("按名称搜索（中/英）", "Search by name (zh/en)"),
    "search_none": ("没有匹配的要素。", "No matching feature."),
    "feature_card": ("要素详情", "Feature details"),
    "pick_feature": ("在地图上点击要素，或在上方搜索。", "Click a feature on the map, or search above."),
    "selection_filtered": ("所选要素不在当前区县筛选范围内，已从地图上隐藏。",
                           "The selected feature is outside the district filter and hidden on the map."),
    "search_pick": ("搜索结果：选一个查看详情", "Search results: choose one to see its details"),
    "tasks": ("规划任务", "Plan tasks"),
    "lead_unit": ("牵头单位", "Lead unit"),
    "units": ("责任单位", "Responsible units"),
    "targets": ("2027年量化目标", "Quantitative 2027 targets"),
    "source": ("来源", "Source"),
    "accuracy": ("定位精度", "Positional accuracy"),
    "est_error": ("估计误差", "Estimated error"),
    "approx_legend": ("虚线圈 = 近似位置及其误差半径",
                      "Dashed ring = approximate position and its error radius"),
    "membership_unverified": ("名单归属未核实", "Membership not verified"),
    "not_named": ("规划未直接点名", "Not named by a task of the plan"),
    "unplaced_count": ("无坐标、未上图的要素", "Features without a position (not mapped)"),
    "show_on_map": ("在地图上查看", "Show on map"),
    "features_for_task": ("该任务涉及的要素", "Features this task names"),
    "no_features_for_task": ("该任务没有上图要素。", "No mapped feature for this task."),
    "district": ("区县", "District"),
    "category": ("类别", "Category"),
    "note": ("备注", "Note"),
    "level": ("级别", "Level"),
    "task_filter_active": ("仅显示任务 {n} 涉及的要素", "Showing only the features of task {n}"),
    "clear_filter": ("清除筛选", "Clear filter"),
    "attribution": ("数据来源", "Data sources"),
    "poles_unverified": ("十大区域创新极的名单未公开：图中为候选（各区县），均标注“未核实”。",
                         "The list of the ten regional innovation poles is not public: the map "
                         "shows candidates (one per district), each marked unverified."),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
}


def t(key: str, lang: str = "zh", **fmt: object) -> str:
    """Return the UI string ``key`` in ``lang`` ("zh" or "en"), formatted with ``fmt``."""
    zh, en = STRINGS[key]
    text = en if lang == "en" else zh
    return text.format(**fmt) if fmt else text

#: Bilingual labels of data columns shown in popups, cards and exports.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "id": ("编号", "ID"),
    "name_zh": ("名称", "Name (zh)"),
    "name_en": ("英文名", "Name (en)"),
    "category": ("类别", "Category"),
    "district": ("所在区县", "District"),
    "district_claimed": ("资料所称区县", "District per source"),
    "district_check": ("区县核对", "District check"),
    "functional_zone": ("功能区", "Functional zone"),
    "policy_tasks": ("规划任务", "Plan tasks"),
    "position_status": ("定位状态", "Position status"),
    "position_method": ("定位方法", "Position method"),
    "est_error_m": ("估计误差（米）", "Estimated error (m)"),
    "membership_verified": ("归属已核实", "Membership verified"),
    "level": ("级别", "Level"),
    "address": ("地址", "Address"),
    "street": ("街道/镇", "Street/town"),
    "community": ("社区/村", "Community/village"),
    "flag": ("核对提示", "Check flag"),
    "source_row": ("来源表行号", "Row in the source"),
    "source": ("来源", "Source"),
    "note": ("备注", "Note"),
    "adcode": ("行政区划代码", "Admin code"),
    "area_km2": ("图上面积（km²）", "Mapped area (km²)"),
    "official_area_km2": ("官方陆域面积（km²）", "Official land area (km²)"),
    "streets": ("涉及街道/镇（按最近画廊推断）", "Streets/towns (by the nearest galleries)"),
    "near_km": ("到所称地点（km）", "To the place named (km)"),
    "name_source": ("命名依据", "Named after"),
    "no_data": ("无供给数据", "No supply data"),
}


def field_label(col: str, lang: str = "zh") -> str:
    """Return the bilingual label of a data column (the column name if unknown)."""
    zh, en = FIELD_LABELS.get(col, (col, col))
    return en if lang == "en" else zh

STRINGS.update({
    "sa_title": ("15分钟科普服务圈", "15-minute science service circle"),
    "sa_area": ("分析范围（区县）", "Area (district)"),
    "sa_network_status": ("路网状态", "Network status"),
    "sa_no_network": ("该范围没有步行路网：下面显示的是直线近似圈（euclidean-proxy），不是步行服务圈。",
                      "No walking network for this area: the circles below are straight-line "
                      "approximations (euclidean-proxy), not walking service areas."),
    "sa_network_ok": ("使用步行路网计算", "Computed on the walking network"),
    "sa_build": ("构建或加载路网", "Build or load a network"),
    "sa_local_file": ("服务器 OSM 文件夹中的文件（.osm / .osm.pbf / .osm.gz / .osm.bz2 / .graphml）",
                      "A file in the server's OSM folder (.osm / .osm.pbf / .osm.gz / .osm.bz2 / .graphml)"),
    "sa_osm_dir_empty": ("服务器 OSM 文件夹里还没有文件：把 .osm / .osm.pbf / .osm.gz / .osm.bz2 / .graphml "
                         "文件放入 {folder}（可用环境变量 ATLAS_OSM_DIR 指定别的文件夹），或在下面上传。",
                         "The server's OSM folder has no file yet: put .osm / .osm.pbf / .osm.gz / .osm.bz2 "
                         "/ .graphml files in {folder} (set ATLAS_OSM_DIR to use another folder), or upload "
                         "one below."),
    "sa_build_file": ("从本地文件构建", "Build from local file"),
    "sa_upload": ("或上传 OSM 文件", "Or upload an OSM file"),
    "sa_build_upload": ("用上传的文件构建", "Build from the uploaded file"),
    "sa_download": ("在线下载（需联网，经 osmnx）", "Download (online, via osmnx)"),
    "sa_built": ("路网已构建并缓存：", "Network built and cached: "),
    "sa_layers": ("站点图层", "Site layers"),
    "sa_budget": ("服务半径", "Budget"),
    "sa_walk": ("步行时间 × 速度", "Walking time x speed"),
    "sa_minutes": ("步行时间（分钟）", "Walking time (minutes)"),
    "sa_speed": ("步行速度（公里/小时）", "Walking speed (km/h)"),
    "sa_no_sites": ("该范围内没有已定位的站点。", "No positioned site in this area."),
    "sa_flagged": ("以下站点离最近道路超过 {m} 米，未计算服务圈：",
                   "These sites are more than {m} m from any street; no area computed:"),
    "sa_method_network": ("步行网络服务圈", "walking service area"),
    "sa_method_proxy": ("直线近似圈（非步行网络）", "straight-line approximation (not a walking area)"),
    "sa_results": ("服务圈结果", "Service areas"),
    "sa_proxy_radius": ("直线近似：半径 = {budget} ÷ {detour} = {radius}（步行预算 ÷ 绕行系数）",
                        "Straight-line approximation: radius = {budget} ÷ {detour} = {radius} "
                        "(walking budget ÷ detour factor)"),
    "sa_summary": ("共 {n} 处站点有服务圈，合计覆盖 {area}（重叠部分只计一次）。",
                   "{n} sites have a service area; together they cover {area} (overlaps counted once)."),
})

STRINGS.update({
    "cov_title": ("覆盖缺口与新增科普点", "Coverage gaps and where to add 科普 sites"),
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
    "cov_gaps": ("缺口片区（按人口排序）", "Gap clusters (by population)"),
    "cov_gap_details": ("缺口片区的 H3 格与中心坐标", "Gap clusters: H3 cells and centre coordinates"),
    "cov_reco": ("推荐新增科普点", "Recommended new 科普 sites"),
    "cov_k": ("新增数量", "Sites to add"),
    "cov_reco_disabled": ("直线近似模式下不做选址推荐（人口按面积均摊，推荐没有意义）：需要步行路网。",
                          "No site recommendation in the straight-line mode (people are spread by "
                          "area, so it would mean nothing): it needs a walking network."),
    "cov_change": ("新增站点的效果（与不加相比）", "Effect of the added sites (against none)"),
    "cov_change_estimate": ("（直线估计值）", " (straight-line estimate)"),
    "cov_added_areas": ("新增站点的服务圈", "Service areas of the added sites"),
    "cov_quantiles": ("到最近科普点的距离（人口加权分位数，米）",
                      "Distance to the nearest 科普 site (population-weighted quantiles, m)"),
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
})

STRINGS.update({  # coverage bounds, supply choice, population sources, zones, E2SFCA (issue 12)
    "cov_supply": ("科普点集合", "科普 points in play"),
    "cov_extra_layers": ("另加点图层（如导入的名单）", "Also include point layers (e.g. imported lists)"),
    "cov_pop_source": ("人口分布来源", "Population source"),
    "pop_src_area-uniform": ("按面积均匀分布（近似，最后手段）", "Area-uniform (approximate, last resort)"),
    "pop_src_upload": ("上传人口栅格 GeoTIFF 或网格表", "Upload a population GeoTIFF or cell table"),
    "pop_src_worldpop": ("WorldPop 100 米栅格（需联网下载）", "WorldPop 100 m raster (download, online)"),
    "pop_src_zones": ("街道/社区人口表 + 边界文件", "Population by 街道/社区 + boundary file"),
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
                  "By your own zones (街道, 社区, planning units)"),
    "cov_zones_upload": ("边界文件（GeoJSON、GeoPackage、zip 压缩的 Shapefile）",
                         "Boundary file (GeoJSON, GeoPackage, zipped shapefile)"),
    "cov_zones_datum": ("边界文件坐标系", "Datum of the boundary file"),
    "no_population": ("无人口", "no population"),
    "acc_title": ("可达性（E2SFCA，每万人可达科普点，按距离衰减加权）",
                  "Accessibility (E2SFCA: 科普 points within reach per 10,000 residents, distance-weighted)"),
    "acc_decay": ("距离衰减", "Distance decay"),
    "acc_decay_gaussian": ("高斯（默认）", "Gaussian (default)"),
    "acc_decay_bands": ("分段 1.00/0.68/0.22", "Bands 1.00/0.68/0.22"),
    "acc_show": ("地图显示可达性", "Show accessibility on the map"),
    "acc_layer": ("可达性（每万人）", "Accessibility (per 10,000 residents)"),
    "cov_gallery_note": ("科普画廊为2021年快照（宁波市科普画廊管理系统，BD-09 转 WGS84，"
                         "位置为所在村委会/社区，误差约300米）。奉化区、宁海县在来源中没有记录：是缺数据，不是没有画廊。"
                         "坐标落在所填区县之外的行已标记、未改正。",
                         "Galleries are a 2021 snapshot (Ningbo's gallery system, BD-09 to WGS84; points "
                         "are the host 村委会/社区, ~300 m). 奉化区 and 宁海县 have no rows in the source: "
                         "missing data, not missing galleries. Rows whose point lies in another district "
                         "are flagged, not fixed."),
    "cov_gallery_counts": ("科普画廊：按街道/镇计数", "Galleries per 街道/镇"),
})

STRINGS.update({
    "cov_reco_needs_network": ("选址推荐需要步行路网（以便按街道分布人口）："
                               "直线近似模式下人口按面积均匀分布，推荐没有意义，因此不给出。",
                               "Site recommendations need a walking network (to place people on "
                               "streets): in the straight-line proxy mode population is spread "
                               "evenly over area, so no recommendation is made."),
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
})

STRINGS.update({
    "imp_title": ("导入我的站点清单", "Import my list of sites"),
    "imp_upload": ("上传文件（CSV / XLSX / GeoJSON / GeoPackage）",
                   "Upload a file (CSV / XLSX / GeoJSON / GeoPackage)"),
    "imp_mapping": ("列对应", "Column mapping"),
    "imp_none": ("（无）", "(none)"),
    "imp_datum": ("坐标系（请按数据来源选择；系统不会自动转换）",
                  "Coordinate datum (as the data came; nothing is converted behind your back)"),
    "imp_default_cat": ("类别列为空时的类别", "Category of rows with an empty category cell"),
    "imp_cat_none": ("这份表没有类别列：类别", "This file has no category column: category"),
    "imp_cat_guess": ("按名称推断（请核对）", "Read from the names (check them)"),
    "imp_cat_unknown": ("无法推断（未归类）", "no guess (unclassified)"),
    "imp_cat_guessed": ("按名称推断的类别，请核对：{counts}。不对时请在上方选择一个类别。",
                        "Categories read from the names, please check: {counts}. "
                        "If they are wrong, choose one category above."),
    "imp_error_m": ("位置估计误差（米）", "Positional error of the list (m)"),
    "imp_check": ("检查结果", "Check"),
    "imp_suggest": ("坐标系可能选错了：按 {best} 处理明显更吻合。",
                    "The datum is probably wrong: {best} fits clearly better."),
    "imp_datum_hint": ("列名提示坐标系为 {datum}", "Column names suggest {datum}"),
    "datum_name_wgs84": ("WGS84（GPS）", "WGS84 (GPS)"),
    "datum_name_gcj02": ("GCJ-02（高德/腾讯）", "GCJ-02 (AMap/Tencent)"),
    "datum_name_bd09": ("BD-09（百度）", "BD-09 (Baidu)"),
    "datum_name_cgcs2000": ("CGCS2000（天地图）", "CGCS2000 (Tianditu)"),
    "imp_all_swapped": ("{n}/{total} 行经纬度疑似填反：请交换经度/纬度列。",
                        "{n}/{total} rows look like longitude and latitude are swapped: "
                        "swap the longitude/latitude columns."),
    "imp_all_metres": ("{n}/{total} 行坐标数值像投影坐标（米），不是经纬度：请换成经纬度后再导入。",
                       "{n}/{total} rows hold values that look like projected coordinates (metres), "
                       "not degrees: convert them to longitude/latitude first."),
    "imp_keep_datum": ("我已核对：坐标系确为 {chosen}，不按 {best} 处理（否则请在上方改选坐标系）",
                       "I have checked: the datum is {chosen}, not {best} (otherwise change it above)"),
    "imp_datum_ok": ("所选坐标系看来正确。", "The chosen datum looks right."),
    "imp_datum_unknown": ("无法确认坐标系，请按数据来源核对。",
                          "The datum could not be confirmed: check the source."),
    "imp_read_as": ("读取方式", "Read as"),
    "imp_delimiter": ("分隔符", "delimiter"),
    "imp_header_row": ("表头在第 {row} 行", "header on row {row}"),
    "imp_layer_pick": ("选择要读取的图层/工作表", "Layer or sheet to read"),
    "imp_confirm": ("我已核对以上列对应", "I have checked the column mapping above"),
    "imp_confirm_needed": ("列对应需要确认：", "Please confirm the column mapping: "),
    "imp_shapes": ("线和面要素", "Lines and areas"),
    "imp_shapes_point": ("化为代表点（误差半径取自要素范围）",
                         "As representative points (error radius from each shape's extent)"),
    "imp_shapes_keep": ("保留形状，保存为线/面图层", "Keep the shapes, as a line or area layer"),
    "imp_shapes_mixed": ("文件混有点、线、面：只能化为代表点；如需保留形状，请按类型拆分文件。",
                         "The file mixes points, lines and areas: they can only become points; "
                         "split the file by kind to keep the shapes."),
    "imp_rows": ("逐行检查", "Row-by-row check"),
    "imp_layer_name": ("图层名称", "Layer name"),
    "imp_save": ("保存有效行为我的图层", "Save the valid rows as my layer"),
    "imp_saved": ("已保存（新版本，旧版本保留）：", "Saved (new version; earlier ones kept): "),
    "imp_saved_first": ("已保存为新图层：", "Saved as a new layer: "),
    "imp_report": ("下载问题行报告（CSV）", "Download the problem rows (CSV)"),
    "imp_my_layers": ("我的图层", "My layers"),
    "imp_versions": ("版本", "versions"),
    "imp_unplaced": ("待定位的行（点击地图放置）", "Rows to place (click the map)"),
    "imp_place_pick": ("选择要放置的行", "Row to place"),
    "imp_placed": ("已放置并保存为新版本。", "Placed and saved as a new version."),
    "imp_geocode": ("在线地理编码（Nominatim）", "Geocode online (Nominatim)"),
    "imp_osm": ("从 OSM 发现候选科普场所", "Discover candidate 科普 venues in OSM"),
    "imp_osm_path": ("本地 OSM 文件路径", "Local OSM file path"),
    "imp_osm_find": ("查找", "Find"),
    "imp_osm_promote": ("将选中的场所保存为我的图层", "Save the selected venues as my layer"),
    "imp_n_rows": ("{n} 行", "{n} rows"),
    "imp_role_name": ("名称", "name"),
    "imp_role_lon": ("经度", "longitude"),
    "imp_role_lat": ("纬度", "latitude"),
    "imp_role_address": ("地址", "address"),
    "imp_role_district": ("区县", "district"),
    "imp_role_category": ("类别", "category"),
    "imp_role_level": ("级别", "level"),
})

STRINGS.update({
    "cov_candidates": ("候选点来源", "Candidate sites from"),
    "cov_cand_gaps": ("缺口片区中心（自动）", "Gap-cluster centres (automatic)"),
})

STRINGS.update({
    "export_with_areas": ("地图中包含科普场馆的15分钟服务圈（无路网时为标注的直线近似）",
                          "Include the 科普 sites' 15-minute circles (labelled straight-line "
                          "proxies where no network exists)"),
    "cov_remove": ("移除候选点", "Remove candidates"),
    "cov_remove_btn": ("移除所选候选点", "Remove the chosen candidates"),
})

STRINGS.update({
    "pop_area_uniform": ("人口按面积均匀分布（近似）", "population spread evenly by area (approximate)"),
})

STRINGS.update({
    "sa_area_mode": ("范围类型", "Area type"),
    "sa_mode_district": ("区县", "District"),
    "sa_mode_bbox": ("矩形范围（经纬度）", "Bounding box (lon/lat)"),
    "sa_mode_draw": ("在地图上画", "Draw on the map"),
    "sa_bbox": ("最小经度,最小纬度,最大经度,最大纬度（WGS84）", "minlon,minlat,maxlon,maxlat (WGS84)"),
    "sa_draw_hint": ("用左侧工具画一个矩形或多边形作为分析范围。",
                     "Draw a rectangle or polygon with the tools on the left."),
})

#: Progress stages reported by the engine (``progress(stage, fraction)``): network building,
#: briefing packs and batches. Pages and command lines show them with :func:`stage_label`.
STAGES: dict[str, tuple[str, str]] = {
    "read": ("读取 OSM 文件", "Reading the OSM file"),
    "build": ("构建路网", "Building the network"),
    "buildings": ("读取住宅建筑", "Reading residential buildings"),
    "download": ("下载 OSM 数据", "Downloading OSM data"),
    "cache": ("写入缓存", "Saving to the cache"),
    "done": ("完成", "Done"),
    "city map": ("全市地图", "City map"),
    "data": ("数据表", "Data tables"),
    "html": ("交互网页", "Interactive HTML"),
    "batch_start": ("启动计算集群", "Starting the cluster"),
    "batch_area": ("已完成范围", "Areas finished"),
    "batch_merge": ("合并结果", "Merging results"),
}


def stage_label(stage: str, lang: str = "zh") -> str:
    """The label of a progress stage in ``lang``; unknown stages (e.g. a district name) as given."""
    zh, en = STAGES.get(stage, (stage, stage))
    return en if lang == "en" else zh


STRINGS.update({  # web map (issue 10/11): offline tiles, gap legend, map page
    "basemap_offline": ("底图瓦片无法加载（可能处于离线网络）：已改为无底图显示。可在侧栏选择“无底图”。",
                        "Basemap tiles cannot be loaded (offline network?): showing no tiles. "
                        "Choose “No tiles” in the sidebar."),
    "gap_clipped": ("已按区县边界裁剪", "clipped to the district boundary"),
})

STRINGS.update({  # static maps and human output (issue 11)
    "inset_title": ("放大图", "Inset"),
    "legend_hollow": ("空心符号 = 近似位置", "Hollow symbol = approximate position"),
    "legend_error_ring": ("点线圈 = 位置误差半径", "Dotted ring = position error radius"),
    "legend_service_area": ("15分钟步行服务圈（路网）", "15-minute walking service area (network)"),
    "gap_note": ("缺口着色按未覆盖人口密度分级，已裁剪至区界",
                 "gap shading graded by uncovered residents per km², clipped to the boundary"),
    "export_title_auto": ("留空则按区县筛选自动生成", "Leave empty to follow the district filter"),
})

STRINGS.update({  # plan indicators dashboard (issue 11)
    "dash_title": ("规划指标", "Plan indicators"),
    "dash_targets": ("规划量化目标", "Quantitative targets"),
    "dash_measured": ("图谱可测量", "Measured by the atlas"),
    "dash_not_measurable": ("图谱无法测量", "Not measurable from the atlas"),
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
    "dash_kepu_levels": ("图谱列出的科普基地（按级别）", "科普 bases the atlas lists, by level"),
    "dash_districts": ("区县对比", "Districts compared"),
    "dash_districts_note": ("点击表头排序；条形长度按各列最大值缩放。"
                            "覆盖率为无步行路网时的直线上下界与估计值。"
                            "源数据缺失的区县不给数值（“数据缺失”），不参与排序；各区县数值相同的指标不画图。",
                            "Click a header to sort; bars scale to each column's largest value. "
                            "Coverage without a walking network is straight-line bounds and an estimate. "
                            "Districts whose source data is missing show no value (\"no data in source\"), "
                            "not a rank; an indicator equal in every district gets no chart."),
    "dash_ind_population": ("常住人口", "Residents"),
    "dash_ind_kepu_sites": ("科普场馆（已定位）", "科普 sites (positioned)"),
    "dash_ind_kepu_per_100k": ("每十万人科普场馆", "科普 sites per 100,000 residents"),
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
})

STRINGS.update({  # export page and static maps (review session 3: export)
    "sub_topic_both": ("科创载体与科普设施分布", "Innovation sites and science-popularisation facilities"),
    "sub_topic_innov": ("科创载体分布", "Innovation sites"),
    "sub_topic_kepu": ("科普设施分布", "Science-popularisation facilities"),
    "sub_topic_districts": ("行政区划", "Administrative divisions"),
    "sub_service_areas": ("15分钟科普服务圈", "15-minute science service circles"),
    "sub_gaps": ("覆盖缺口", "coverage gaps"),
    "attr_user_import": ("用户导入", "imported by the user"),
    "attr_n_layers": ("{n} 个名录图层", "{n} list layers"),
    "attr_per_feature": ("逐条注明来源（{n} 个，见数据表）",
                         "a source per feature ({n}, in the data tables)"),
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
})
