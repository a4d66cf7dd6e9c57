"""Texts of the Service areas page."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "sa_title": ("15分钟科普服务圈", "15-minute science service circle"),
    "sa_area": ("分析范围（区县）", "Area (district)"),
    "sa_network_status": ("路网状态", "Network status"),
    "sa_no_network": ("该范围没有步行路网：下面显示的是直线近似圈，不是步行服务圈。",
                      "No walking network for this area: the circles below are straight-line "
                      "approximations (euclidean-proxy), not walking service areas."),
    "sa_network_ok": ("使用步行路网计算", "Computed on the walking network"),
    "sa_build": ("构建或加载路网", "Build or load a network"),
    "sa_build_editors": ("构建或下载路网需由编辑者进行（构建会占用服务器数分钟，并替换已缓存的路网）。",
                         "Building or downloading a network is for editors (a build takes the server "
                         "minutes and replaces the cached network)."),
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
    "sa_bands": ("5/10/15 分钟分级", "5/10/15-minute bands"),
    "sa_band": ("{m} 分钟步行圈", "{m}-minute walk"),
    "sa_band_proxy": ("{m} 分钟直线近似圈", "{m}-minute straight-line approximation"),
    "sa_bands_note": ("三级服务圈来自同一次步行搜索：小圈完全在大圈之内，颜色越深离站点越近。",
                      "The three bands come from one walking search: each smaller area lies within the "
                      "larger one, and darker is nearer the site."),
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
    "sa_summary_bands": ("共 {n} 处站点有服务圈；{m} 分钟圈合计覆盖 {area}（重叠部分只计一次）。",
                         "{n} sites have service areas; their {m}-minute areas together cover {area} "
                         "(overlaps counted once)."),
    "sa_area_mode": ("范围类型", "Area type"),
    "sa_mode_district": ("区县", "District"),
    "sa_mode_bbox": ("矩形范围（经纬度）", "Bounding box (lon/lat)"),
    "sa_mode_draw": ("在地图上画", "Draw on the map"),
    "sa_bbox": ("最小经度,最小纬度,最大经度,最大纬度（WGS84）", "minlon,minlat,maxlon,maxlat (WGS84)"),
    "sa_draw_hint": ("用左侧工具画一个矩形或多边形作为分析范围。",
                     "Draw a rectangle or polygon with the tools on the left."),
    "bands_title": ("5/10/15 分钟步行范围内的人口占比", "Share of people within 5, 10 and 15 minutes' walk"),
    "bands_network_note": ("步行路网上的数值；每一圈都包含更小的圈（5 分钟 ≤ 10 分钟 ≤ 15 分钟）。",
                           "Values on the walking network; each band includes the smaller ones "
                           "(5 min ≤ 10 min ≤ 15 min)."),
    "bands_bounds_note": ("没有步行路网，这些不是步行结果：“估计”为直线距离 × 绕行系数 {detour} 的估计值，"
                          "“上限”为直线上限（步行不会比直线更近，实际不会更高）。",
                          "No walking network, so these are not walking results: “estimate” is the "
                          "straight line × detour factor {detour}, an estimate; “at most” is the "
                          "straight-line upper bound (walking is never shorter, so the real share is "
                          "no higher)."),
    "bands_straight_line_area": ("框选或手绘范围的人口只能按面积均摊，这些占比按直线距离计算，"
                                 "不是步行结果：“估计”为直线距离 × 绕行系数 {detour} 的估计值，"
                                 "“上限”为直线上限（实际不会更高）。",
                                 "People of a box or drawn area can only be spread by area, so these shares "
                                 "are measured in straight lines, not walking results: “estimate” is the "
                                 "straight line × detour factor {detour}, an estimate; “at most” is the "
                                 "straight-line upper bound (the real share is no higher)."),
    "bands_by_area": ("人口按面积均摊：占比是按面积折算的人口占比（约），不是实际居住人口的占比。",
                      "People are spread evenly by area: each share is ≈ the share of people if spread "
                      "evenly by area, not of where people really live."),
    "bands_scope": ("人口：{scope}；站点：所选图层的全部已定位站点（范围外的也算，居民可以走过去）。",
                    "People: {scope}; sites: every positioned site of the chosen layers (those outside "
                    "the area count too: residents can walk there)."),
    "bands_scope_area": ("所选范围内", "within the chosen area"),
    "bands_total": ("合计（所选范围）", "Total (chosen area)"),
    "bands_csv": ("5/10/15 分钟人口占比（CSV）", "Share within 5/10/15 minutes (CSV)"),
    "sa_downloads": ("下载服务圈", "Download the service areas"),
    "sa_dl_csv": ("服务圈（CSV）", "Service areas (CSV)"),
    "sa_dl_geojson": ("服务圈（GeoJSON）", "Service areas (GeoJSON)"),
    "sa_dl_gpkg": ("服务圈（GeoPackage）", "Service areas (GeoPackage)"),
}
