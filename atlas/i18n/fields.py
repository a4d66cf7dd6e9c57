"""Labels of data columns shown in popups, cards, tables and exports."""

from __future__ import annotations

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
