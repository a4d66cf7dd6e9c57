"""Texts that tell planners where a real walking network comes from (Service areas page).

The build times are measured (``scripts/bench_build_network.py``, README "A real walking network").
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "sa_extract_title": ("哪里获取 OSM 路网数据、放在哪里、需要多久",
                         "Where to get a street network, where to put it, how long it takes"),
    "sa_extract_where": (
        "**获取**：Geofabrik 下载站（download.geofabrik.de）每日更新 OpenStreetMap 分区文件："
        "浙江省 `asia/china/zhejiang-latest.osm.pbf`，约 85 MB；全中国 `asia/china-latest.osm.pbf`，"
        "约 1.2–1.6 GB（大小为 2026 年年中一个转载这些文件的下载镜像所列的近似值，本机无法联网核实，"
        "以网站当前显示为准）。也可用 BBBike 的截取服务（extract.bbbike.org）按矩形只导出宁波，"
        "文件更小；或用 osmium 从浙江文件截取："
        "`osmium extract -b 120.86,28.85,122.28,30.50 zhejiang-latest.osm.pbf -o ningbo.osm.pbf`。"
        "数据 © OpenStreetMap 贡献者，ODbL 许可。",
        "**Get one**: Geofabrik's download server (download.geofabrik.de) has daily OpenStreetMap "
        "extracts: Zhejiang `asia/china/zhejiang-latest.osm.pbf`, about 85 MB, and all of China "
        "`asia/china-latest.osm.pbf`, about 1.2–1.6 GB (approximate sizes as listed in mid-2026 by a "
        "download mirror of these files; this machine cannot check them online; the site shows "
        "today's size). BBBike's extract service (extract.bbbike.org) exports just a rectangle round "
        "Ningbo, a smaller file; or cut Ningbo out of the Zhejiang file with osmium: "
        "`osmium extract -b 120.86,28.85,122.28,30.50 zhejiang-latest.osm.pbf -o ningbo.osm.pbf`. "
        "Data © OpenStreetMap contributors, ODbL."),
    "sa_extract_put": (
        "**放在哪里**：管理员把文件放入服务器文件夹 {folder}（环境变量 ATLAS_OSM_DIR），这里即可按文件名"
        "选择；或在下面上传（每个文件上限 {limit} MB：浙江或宁波文件可以上传，全中国文件须放入文件夹）。"
        "命令行：`build-network --area 鄞州区 --osm-file zhejiang-latest.osm.pbf`。",
        "**Where to put it**: an administrator puts the file in the server folder {folder} "
        "(environment variable ATLAS_OSM_DIR) and it is offered here by name; or upload it below (at "
        "most {limit} MB a file: a Zhejiang or Ningbo file can be uploaded, the China file must go in "
        "the folder). Command line: `build-network --area Yinzhou --osm-file zhejiang-latest.osm.pbf`."),
    "sa_extract_time": (
        "**需要多久**（实测 CPU 时间，单核；服务器繁忙时更久）：从宁波规模的文件（合成路网 6.8 MB，"
        "约 115 万个节点）构建一个区县约 7 秒，全市（67 万节点的路网）"
        "约 11 秒；从浙江全省规模的文件（合成 44 MB，900 万个节点）构建一个区县或全市都约 105–110 秒："
        "时间主要花在读完整个文件上，所以先用 osmium 截取宁波会快得多。真实的浙江文件（约 85 MB）按大小推算"
        "约需两倍（未实测）。内存峰值 0.35–0.72 GB。路网构建一次后缓存，之后直接使用。",
        "**How long it takes** (measured CPU time, one core; longer on a busy server): from a "
        "Ningbo-sized file (a synthetic 6.8 MB street network, 1.15 million nodes) one district "
        "takes about 7 s and the whole city (a 670,000-node network) about 11 s; from a Zhejiang-sized "
        "file (synthetic, 44 MB, 9 million nodes) a district or the whole city takes about 105–110 s, "
        "most of it reading the whole file, so cutting Ningbo out with osmium first is much faster. "
        "The real Zhejiang file (about 85 MB) should take about twice that (scaled by size, not "
        "measured). Peak memory 0.35–0.72 GB. A network is built once and cached."),
}
