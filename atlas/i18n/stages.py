"""Progress stages reported by the engine (``progress(stage, fraction)``).

Network building, briefing packs and batches report them; pages and command lines show them
with :func:`atlas.i18n.stage_label`.
"""

from __future__ import annotations

STAGES: dict[str, tuple[str, str]] = {
    "read": ("读取 OSM 文件", "Reading the OSM file"),
    "build": ("构建路网", "Building the network"),
    "buildings": ("读取住宅建筑", "Reading residential buildings"),
    "download": ("下载 OSM 数据", "Downloading OSM data"),
    "cache": ("写入缓存", "Saving to the cache"),
    "done": ("完成", "Done"),
    "failed": ("失败：", "Failed: "),
    "city map": ("全市地图", "City map"),
    "data": ("数据表", "Data tables"),
    "html": ("交互网页", "Interactive HTML"),
    "batch_start": ("启动计算集群", "Starting the cluster"),
    "batch_area": ("已完成范围", "Areas finished"),
    "batch_merge": ("合并结果", "Merging results"),
}
