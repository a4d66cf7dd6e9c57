"""Coverage figures in words: how people were placed, the headline, what added sites change.

One function per sentence, for every place it is shown (pages, briefing exports, downloads).
The figures come from :mod:`atlas.coverage.summary`.

When people are **placed by area** (:data:`PLACED_BY_AREA`: each district's residents spread
evenly over its land, the offline default), the inputs hold where the land is, not where the
people are. Then what is certain is an *area* (km² certainly beyond every circle), gaps are
ranked and shaded by area, and every head count reads as what it is: "按面积折算约 662,200 人" /
"≈ 662,200 people if spread evenly by area". With a real population (a raster, a zone table,
buildings on a network) head counts rank the gaps again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from atlas import fmt, settings
from atlas.errors import ValidationError

#: Demand methods that place people by area alone: the inputs hold no head count per place.
PLACED_BY_AREA = frozenset({"area-uniform"})

#: How a demand source placed people (``method`` column of the demand), as a qualifier
#: (zh, en). Keys are the method codes, or their prefix before ":" (``raster:WorldPop``).
DEMAND_WORDS: dict[str, tuple[str, str]] = {
    "area-uniform": ("按面积折算", "if spread evenly by area"),
    "buildings": ("按住宅建筑面积分配", "spread by residential floor area"),
    "residential-streets": ("按居住道路长度分配", "spread along residential streets"),
    "all-streets": ("按道路长度分配", "spread along streets"),
    "zone-table": ("按分区人口表分配", "spread from a zone table"),
    "cells": ("按上传的格网人口", "from the uploaded grid"),
    "raster": ("按人口栅格分配", "spread by a population raster"),
    "mixed": ("各区县分配方法不一", "spread by several methods"),
    "": ("分配方法未说明", "placement not stated"),
}

#: Header of each people column, with ``{q}`` for the demand qualifier (zh, en).
PEOPLE_HEADERS: dict[str, tuple[str, str]] = {
    "population": ("人口（{q}，估计）", "People ({q}, estimate)"),
    "certain_gap_population": ("确定未覆盖人口（{q}，估计）", "People certainly not covered ({q}, estimate)"),
    "uncertain_population": ("不确定人口（{q}，估计）", "People uncertain ({q}, estimate)"),
    "covered": ("已覆盖人口（{q}，估计）", "People covered ({q}, estimate)"),
    "uncovered": ("未覆盖人口（{q}，估计）", "People not covered ({q}, estimate)"),
    "gap_population": ("缺口人口（{q}，估计）", "People in the gap ({q}, estimate)"),
    "marginal_population": ("新增覆盖人口（{q}，估计）", "People newly covered ({q}, estimate)"),
}

#: Headers of the people columns when people are placed by area (the count is area × density).
AREA_PEOPLE_HEADERS: dict[str, tuple[str, str]] = {
    "population": ("人口（按面积折算，约）", "People (≈, by area)"),
    "certain_gap_population": ("确定在外人口（按面积折算，约）", "People certainly outside (≈, by area)"),
    "uncertain_population": ("不确定人口（按面积折算，约）", "People uncertain (≈, by area)"),
    "covered": ("已覆盖人口（按面积折算，约）", "People covered (≈, by area)"),
    "uncovered": ("未覆盖人口（按面积折算，约）", "People not covered (≈, by area)"),
    "gap_population": ("缺口人口（按面积折算，约）", "People in the gap (≈, by area)"),
    "marginal_population": ("新增覆盖人口（按面积折算，约）", "People newly covered (≈, by area)"),
}


def by_area(method: str) -> bool:
    """True when ``method`` (or one of the methods of a ``mixed`` demand) places people by area."""
    return method in PLACED_BY_AREA or method.split(":", 1)[0] in PLACED_BY_AREA


def demand_label(method: str, lang: str = "zh", *, form: str = "noun", column: str | None = None) -> str:
    """How people were placed, in words, for every place a head count is shown (one function).

    Parameters
    ----------
    method : str
        The demand's method code (:attr:`atlas.coverage.summary.CoverageSummary.demand_method`):
        ``area-uniform``, ``buildings``, ``residential-streets``, ``all-streets``, ``zone-table``,
        ``raster:…``, ``cells:…``, ``mixed``.
    lang : {"zh", "en"}
        Language of the words.
    form : {"noun", "qualifier", "sentence"}
        ``noun``: "按面积折算的人口（估计）" / "people if spread evenly by area (estimate)"
        (metric labels); ``qualifier``: "按面积折算，估计" (inside brackets); ``sentence``: a
        caption saying what it means for the figures.
    column : str, optional
        A people column (``population``, ``certain_gap_population``, ``uncertain_population``,
        ``covered``, ``uncovered``, ``gap_population``, ``marginal_population``): its header;
        other columns get :func:`atlas.fmt.header`.

    Returns
    -------
    str

    """
    key = method if method in DEMAND_WORDS else method.split(":", 1)[0]
    zh, en = DEMAND_WORDS.get(key, DEMAND_WORDS[""])
    q = en if lang == "en" else zh
    if column is not None:
        if column not in PEOPLE_HEADERS:
            return fmt.header(column, lang)
        if by_area(method):
            return AREA_PEOPLE_HEADERS[column][lang == "en"]
        return PEOPLE_HEADERS[column][lang == "en"].format(q=q)
    if form == "qualifier":
        return f"{q}, estimate" if lang == "en" else f"{q}，估计"
    if form == "sentence":
        if by_area(method):
            return ("People are spread evenly by area: each district's residents over all its land "
                    "(hills as dense as the centre). What is certain is an area; head counts are that "
                    "area times the district's density, and gaps are ranked by area."
                    if lang == "en" else
                    "人口按面积均摊：各区县的常住人口平均分到区县的每一处（山区与城区一样密）。"
                    "确定的只是面积；人数是面积乘以区县平均密度的折算值，缺口按面积排序。")
        return f"Head counts are estimates ({q})." if lang == "en" else f"人数为估计值（{q}）。"
    if form != "noun":
        raise ValidationError(f"未知的说法：{form}", f"Unknown form: {form}")
    return f"people {q} (estimate)" if lang == "en" else f"{q}的人口（估计）"


def approx_people(x: Any, lang: str = "zh") -> str:
    """A head count placed by area, as what it is: "按面积折算约 662,200 人" / "≈ 662,200 people …"."""
    n = fmt.people(x)
    return f"≈ {n} people if spread evenly by area" if lang == "en" else f"按面积折算约 {n} 人"


def headline(method: str, city: Mapping[str, Any], *, demand: str, budget_m: float, detour_factor: float,
             lang: str = "zh") -> str:
    """The city figure as one qualified sentence (bounds and estimate offline).

    ``city`` is a city row (:meth:`atlas.coverage.summary.CoverageSummary.city`), ``method`` the
    summary's method (``network`` or ``straight-line-bounds``), ``demand`` how people were placed
    (its ``demand_method``). Figures are rounded as everywhere
    else; how people were placed is said; districts without supply data are named as left out.
    """
    en = lang == "en"
    if city["status"] == "supply_data_missing":
        return f"{city['note']}." if en else f"{city['note']}。"
    if city["status"] != "ok":
        return "No population in the area" if en else "没有人口数据"
    mins = budget_m / (settings.WALK_SPEED_KMH * 1000 / 60)
    reach = (f"{budget_m:,.0f} m ({mins:.0f} min) walk" if en
             else f" {budget_m:,.0f} 米（{mins:.0f} 分钟）步行范围内")
    people = (f" Head counts: {demand_label(demand, lang)}." if en
              else f"人数为{demand_label(demand, lang)}。")
    note = city.get("note")
    left_out = (f" {note}." if en else f"{note}。") if isinstance(note, str) and note else ""
    if method == "network":
        if en:
            return (f"{fmt.pct(city['pct_upper'])} of people within {reach} on the walking network."
                    + people + left_out)
        return f"步行路网：{fmt.pct(city['pct_upper'])} 的人口在{reach}。" + people + left_out
    gap_en, gap_zh = certainly_outside(city, "en"), certainly_outside(city, "zh")
    if en:
        return (f"At most {fmt.pct(city['pct_upper'])} within {reach} (straight-line upper bound); "
                f"{gap_en}; estimate ≈ {fmt.pct(city['pct_estimate'])} (straight line × "
                f"{detour_factor:g}: an estimate, no walking network)." + people + left_out)
    return (f"至多 {fmt.pct(city['pct_upper'])} 的人口在{reach}（直线上限）；{gap_zh}；"
            f"估计约 {fmt.pct(city['pct_estimate'])}（直线×{detour_factor:g}，估计值，无步行路网）。"
            + people + left_out)


def certainly_outside(city: Mapping[str, Any], lang: str = "zh") -> str:
    """What is certainly outside, stated for what is certain (one phrase for every page).

    With an area (``certain_gap_area_km2``, present when people are placed by area) the area is
    certain and the head count is its share: "确定在范围外的面积 322 km²（按面积折算约 662,200 人）";
    otherwise "确定在范围外 662,200 人".
    """
    people = city.get("certain_gap_population")
    area = city.get("certain_gap_area_km2")
    if area is not None and not fmt._missing(area):
        if lang == "en":
            return f"{fmt.km2(area)} certainly outside ({approx_people(people, 'en')})"
        return f"确定在范围外的面积 {fmt.km2(area)}（{approx_people(people, 'zh')}）"
    return (f"{fmt.people(people)} people certainly outside" if lang == "en"
            else f"确定在范围外 {fmt.people(people)} 人")


def _pct_step(before: Any, after: Any, lang: str) -> str:
    """"61.3 % → 63.9 %（+2.6 个百分点）" of one percentage (the difference of the shown figures)."""
    if fmt._missing(before) or fmt._missing(after):
        return fmt.MISSING
    dp = fmt.round_half_up(after, 1) - fmt.round_half_up(before, 1)
    points = fmt._fixed(dp, 1, sign=True).replace(",", "")
    unit = "points" if lang == "en" else "个百分点"
    return (f"{fmt.pct(before)} → {fmt.pct(after)} ({points} {unit})" if lang == "en"
            else f"{fmt.pct(before)} → {fmt.pct(after)}（{points} {unit}）")


def coverage_change(before: Mapping[str, Any], after: Mapping[str, Any], lang: str = "zh", *,
                    method: str = "straight-line-bounds", demand: str = "") -> list[tuple[str, str]]:
    """What added sites change, figure by figure: [(what, "before → after (change)"), …].

    ``before`` and ``after`` are city rows without and with the added sites. Offline: the upper
    bound, the estimate and what is certainly outside (area and its head count when people are
    placed by area, else people); with a network: the share covered and the people outside.
    One function for every place the change is shown.
    """
    en = lang == "en"
    rows: list[tuple[str, str]] = []
    if method == "network":
        rows.append(("Covered (walking network)" if en else "覆盖率（步行路网）",
                     _pct_step(before["pct_upper"], after["pct_upper"], lang)))
    else:
        for col, words in (("pct_upper", ("上限", "Upper bound")), ("pct_estimate", ("估计", "Estimate"))):
            rows.append((words[en], _pct_step(before[col], after[col], lang)))
    if by_area(demand) and "certain_gap_area_km2" in after:
        a0, a1 = before["certain_gap_area_km2"], after["certain_gap_area_km2"]
        d = fmt.round_half_up(a1, 1) - fmt.round_half_up(a0, 1)
        rows.append(("Area certainly outside" if en else "确定在范围外的面积",
                     f"{fmt.km2(a0)} → {fmt.km2(a1)} ({fmt._fixed(d, 1, sign=True)} km²)" if en
                     else f"{fmt.km2(a0)} → {fmt.km2(a1)}（{fmt._fixed(d, 1, sign=True)} km²）"))
    p0, p1 = before["certain_gap_population"], after["certain_gap_population"]
    dp = fmt.round_people(p1) - fmt.round_people(p0)
    sign = "+" if dp > 0 else "−" if dp < 0 else "±"
    what = ("People certainly outside" + (" (if spread evenly by area)" if by_area(demand) else "") if en
            else "确定在范围外的人口" + ("（按面积折算）" if by_area(demand) else ""))
    rows.append((what, f"{fmt.people(p0)} → {fmt.people(p1)} ({sign}{fmt.people(abs(dp))})" if en
                 else f"{fmt.people(p0)} → {fmt.people(p1)}（{sign}{fmt.people(abs(dp))}）"))
    return rows


def siting_note(info: Mapping[str, Any], lang: str = "zh") -> str:
    """How recommended sites were chosen, in words (and the greedy result's gap to the optimum).

    ``info`` is the second item :func:`atlas.analysis.siting.recommend` returns.
    """
    method = str(info.get("method", ""))
    if method.startswith("mclp"):
        solver = method.removeprefix("mclp").strip("-")
        zh = "最大覆盖模型精确解" + (f"（{solver}）" if solver else "")
        en = "maximal covering model, exact" + (f" ({solver})" if solver else "")
    elif method == "greedy":
        zh, en = "贪心算法", "greedy"
    else:
        zh, en = "无候选点", "no candidate sites"
    text = en if lang == "en" else zh
    gap = info.get("greedy_gap_pct")
    if fmt._missing(gap):
        return text
    return text + (f" · greedy result {fmt.pct(gap)} below the optimum" if lang == "en"
                   else f" · 贪心解比最优解少 {fmt.pct(gap)}")
