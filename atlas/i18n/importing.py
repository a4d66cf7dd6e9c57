"""Texts of the Import page."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "imp_title": ("导入我的站点清单", "Import my list of sites"),
    "imp_upload": ("上传文件（CSV / XLSX / GeoJSON / GeoPackage / Shapefile 压缩包）",
                   "Upload a file (CSV / XLSX / GeoJSON / GeoPackage / zipped Shapefile)"),
    "imp_upload_help": ("可导入：CSV 或 TXT（任意常用分隔符和编码）、XLSX、GeoJSON、GeoPackage，以及 "
                        "Shapefile 压缩包（.zip，内含 .shp、.shx、.dbf，最好还有 .prj 和 .cpg；"
                        "没有 .cpg 时按 UTF-8 或 GBK/GB18030 读取，没有 .prj 时只接受经纬度坐标）。"
                        "压缩包中只有一个 CSV、XLSX、GeoJSON 或 GeoPackage 文件时也会读取它。",
                        "Read: CSV or TXT (any common delimiter and encoding), XLSX, GeoJSON, GeoPackage "
                        "and zipped Shapefiles (a .zip holding .shp, .shx, .dbf, best with .prj and .cpg; "
                        "without a .cpg the text is read as UTF-8 or GBK/GB18030, without a .prj only "
                        "longitude/latitude coordinates are accepted). A zip holding one CSV, XLSX, "
                        "GeoJSON or GeoPackage file is read too."),
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
    "imp_versions": ("{n} 个版本", "{n} versions"),
    "imp_versions_one": ("{n} 个版本", "{n} version"),
    "imp_unplaced": ("待定位的行（点击地图放置）", "Rows to place (click the map)"),
    "imp_place_pick": ("选择要放置的行", "Row to place"),
    "imp_placed": ("已放置并保存为新版本。", "Placed and saved as a new version."),
    "imp_geocode": ("在线地理编码（Nominatim）", "Geocode online (Nominatim)"),
    "imp_osm": ("从 OSM 发现候选科普场所", "Discover candidate science-outreach venues in OSM"),
    "imp_osm_file": ("服务器 OSM 文件夹中的文件（.osm / .osm.pbf / .osm.gz / .osm.bz2）",
                     "A file in the server's OSM folder (.osm / .osm.pbf / .osm.gz / .osm.bz2)"),
    "imp_osm_dir_empty": ("服务器的 OSM 文件夹里还没有文件：请管理员把 .osm / .osm.pbf / .osm.gz / "
                          ".osm.bz2 文件"
                          "放入该文件夹（环境变量 ATLAS_OSM_DIR），或在下面上传。",
                          "The server's OSM folder has no files yet: an administrator puts .osm / .osm.pbf / "
                          ".osm.gz / .osm.bz2 files there (ATLAS_OSM_DIR), or upload one below."),
    "imp_osm_upload": ("或上传 OSM 文件", "Or upload an OSM file"),
    "imp_osm_find": ("查找", "Find"),
    "imp_osm_find_upload": ("在上传的文件中查找", "Find in the uploaded file"),
    "imp_osm_layer": ("OSM 候选科普场所", "OSM candidate venues"),
    "imp_osm_promote": ("将选中的场所保存为我的图层", "Save the selected venues as my layer"),
    "imp_n_rows": ("{n} 行", "{n} rows"),
    "imp_role_name": ("名称", "name"),
    "imp_role_lon": ("经度", "longitude"),
    "imp_role_lat": ("纬度", "latitude"),
    "imp_role_address": ("地址", "address"),
    "imp_role_district": ("区县", "district"),
    "imp_role_category": ("类别", "category"),
    "imp_role_level": ("级别", "level"),
    # reading a zip (atlas.readers.archive) and a Shapefile (atlas.readers.shapefile)
    "zip_damaged": ("压缩包已损坏或不完整（可能没有下载完），无法读取：请重新导出或下载后再上传",
                    "The zip is damaged or incomplete (perhaps a download cut short) and cannot be read: "
                    "export or download it again"),
    "zip_empty": ("压缩包中没有文件", "The zip holds no files"),
    "zip_too_many": ("压缩包中的文件过多（{n:,} 个，上限 {limit:,} 个）：请只打包 Shapefile 的各个文件",
                     "The zip holds too many entries ({n:,}; limit {limit:,}): zip only the Shapefile's "
                     "files"),
    "zip_too_big": ("压缩包解压后过大（超过上限 {limit:,.0f} MB）",
                    "The zip unpacks to too much (more than the limit of {limit:,.0f} MB)"),
    "zip_member_too_big": ("压缩包中的 {name} 过大（{mb:,.1f} MB，上限 {limit:,.0f} MB）",
                           "{name} in the zip is too large ({mb:,.1f} MB; limit {limit:,.0f} MB)"),
    "zip_encrypted": ("压缩包有密码保护（{name}）：请解压后不设密码重新打包",
                      "The zip is password-protected ({name}): unzip it and zip it again without a "
                      "password"),
    "zip_method": ("压缩包中的 {name} 使用了无法解压的压缩方式：请用普通 zip 格式（Deflate）重新打包",
                   "{name} in the zip uses a compression method that cannot be unpacked: zip the files "
                   "again as an ordinary zip (Deflate)"),
    "zip_unsafe": ("压缩包中有不安全的条目（{name}：绝对路径、“..”或符号链接），已拒绝："
                   "请只把文件本身重新打包",
                   "The zip holds an unsafe entry ({name}: an absolute path, '..' or a symbolic link); "
                   "refused: zip the files themselves again"),
    "zip_twice": ("压缩包中 {name} 出现了不止一次：请重新打包", "The zip holds {name} more than once: zip "
                  "the files again"),
    "zip_nested": ("压缩包里还有压缩包（{name}），不会再解压：请先解压它，再只把 Shapefile 的文件"
                   "（.shp、.shx、.dbf、.prj）打包上传",
                   "The zip holds another archive ({name}), which is not unpacked: unpack it and upload a "
                   "zip of the Shapefile's files (.shp, .shx, .dbf, .prj)"),
    "zip_nothing": ("压缩包中没有 Shapefile（.shp、.shx、.dbf）或其他可导入的文件（CSV、XLSX、GeoJSON、"
                    "GeoPackage）；其中有：{names}",
                    "The zip holds no Shapefile (.shp, .shx, .dbf) nor another file the atlas reads "
                    "(CSV, XLSX, GeoJSON, GeoPackage); it holds: {names}"),
    "zip_several": ("压缩包中有多个可导入的文件（{names}）：请单独上传其中一个",
                    "The zip holds several files the atlas reads ({names}): upload one of them on its own"),
    "zip_read_member": ("已读取压缩包中的文件 {name}", "Read {name} from the zip"),
    "shp_bare": ("Shapefile 由多个文件组成：请把 .shp、.shx、.dbf 和 .prj（及 .cpg）一起压缩为 .zip 后上传",
                 "A Shapefile is several files: zip .shp, .shx, .dbf and .prj (and .cpg) together and "
                 "upload the .zip"),
    "shp_missing": ("Shapefile“{name}”缺少 {missing}（Shapefile 至少需要 .shp、.shx、.dbf 三个文件，"
                    "坐标系在 .prj 中）：请把这些文件一起打包后上传",
                    "The Shapefile '{name}' lacks {missing} (a Shapefile needs at least .shp, .shx and .dbf, "
                    "and its coordinate system is in .prj): zip them together and upload again"),
    "shp_skipped": ("压缩包中的 Shapefile“{name}”缺少 {missing}，未读取",
                    "The Shapefile '{name}' in the zip lacks {missing} and was not read"),
    "shp_choose": ("压缩包中有 {n} 个 Shapefile（{names}），请选择一个",
                   "The zip holds {n} Shapefiles ({names}); choose one"),
    "shp_no_layer": ("压缩包中没有 Shapefile“{name}”", "The zip holds no Shapefile '{name}'"),
    "shp_read_layer": ("已读取 Shapefile“{name}”（压缩包共有 {n} 个 Shapefile）",
                       "Read the Shapefile '{name}' (the zip holds {n} Shapefiles)"),
    "shp_prj_missing": ("没有 .prj 文件（坐标系）", "has no .prj file (coordinate system)"),
    "shp_prj_unreadable": ("的 .prj 文件无法识别", "has a .prj file that cannot be read"),
    "shp_prj_degrees": ("Shapefile {why}：所有坐标都在经纬度范围内，已按经纬度（度）读取；请在下方按数据来源"
                        "选择坐标系",
                        "The Shapefile {why}: all coordinates lie within longitude/latitude ranges and were "
                        "read as degrees; choose their datum below as the data came"),
    "shp_prj_metres": ("Shapefile {why}，而其坐标（如 {x}, {y}）不是经纬度，像是以米为单位的投影坐标"
                       "（如 CGCS2000 高斯-克吕格或 UTM）：请把 .prj 文件一起打包后重新上传",
                       "The Shapefile {why}, and its coordinates (e.g. {x}, {y}) are not longitude/latitude "
                       "but look like projected metres (e.g. CGCS2000 Gauss-Krüger or UTM): zip its .prj "
                       "with it and upload again"),
    "shp_cpg_unknown": ("Shapefile 的 .cpg 写明的编码“{cpg}”无法识别：文字已按 {enc} 读取",
                        "The Shapefile's .cpg names an unknown encoding '{cpg}': the text was read as {enc}"),
    "shp_cpg_wrong": ("Shapefile 的 .cpg 写明编码为 {cpg}，但文字不是 {cpg}：已按 {enc} 读取",
                      "The Shapefile's .cpg says {cpg} but the text is not {cpg}: read as {enc}"),
    "shp_gb18030": ("Shapefile 没有 .cpg（编码）文件，文字不是 UTF-8：已按 GBK/GB18030 读取",
                    "The Shapefile has no .cpg (encoding) file and its text is not UTF-8: read as "
                    "GBK/GB18030"),
    "shp_undecodable": ("Shapefile 属性表（.dbf）的文字既不是 UTF-8 也不是 GBK/GB18030：请在 QGIS 中"
                        "另存为 UTF-8 编码，或附上写明编码的 .cpg 文件",
                        "The Shapefile's attribute text (.dbf) is neither UTF-8 nor GBK/GB18030: save it as "
                        "UTF-8 in QGIS, or add a .cpg naming its encoding"),
    "geo_converted": ("坐标已从 {crs} 转换为经纬度（WGS84）",
                      "Coordinates converted from {crs} to longitude/latitude (WGS84)"),
    "geo_crs_failed": ("无法把文件的坐标系 {crs} 转换为经纬度：请在 QGIS 中另存为 WGS84 或 CGCS2000 经纬度",
                       "The file's coordinate system {crs} cannot be converted to longitude/latitude: "
                       "save it as WGS84 or CGCS2000 longitude/latitude in QGIS"),
}
