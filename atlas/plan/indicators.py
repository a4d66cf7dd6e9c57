"""The plan's 2027 targets against what the atlas can measure (the 规划指标 dashboard).

:func:`load_targets` reads ``geodata/plan_targets.csv``: every quantitative target in the plan's
text with its task, unit, 2027 value and baseline. :func:`measure_targets` gives each target
its current value *where the atlas can measure it*, and says how:

* ``count`` — a count of the sites the atlas lists (a lower bound of the real number where the
  atlas's list is known to be incomplete, and marked so);
* ``network`` / ``straight-line-bounds`` — the 15-minute coverage from
  :mod:`atlas.coverage.summary` (offline: bounds, never one bare number);
* ``none`` — not measurable from the atlas (enterprise counts, R&D spending, rankings...).

:func:`district_indicators` compares the districts; :func:`task_features` says which tasks have
features on the map. Pure functions over the loaded data; the page only draws.

Where a source is silent about a district (the 科普画廊 source lists no row for 奉化区 and
宁海县), its figures are missing, not zero: the gallery count and the coverage of such a district
are NaN, ``data_status`` says ``supply_data_missing`` and ``note`` says why, so that no chart
ranks it as the worst. A gallery point that lies there although its row names another district
(a data-entry slip) is counted apart (``galleries_other_rows``), not as the district's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atlas import fmt, settings
from atlas.data.geodata import parse_tasks
from atlas.data.names import district_name
from atlas.errors import ValidationError

SECTIONS: dict[str, tuple[str, str]] = {
    "goals": ("发展目标", "Development goals"),
    "tasks": ("重点任务", "Key tasks"),
    "safeguards": ("保障措施", "Safeguards"),
}
COMPARATORS = ("≥", ">", "=", "≈", "≤", "")

#: How a current value was obtained.
HOW: dict[str, tuple[str, str]] = {
    "count": ("图谱名单计数", "count of the sites the atlas lists"),
    "network": ("步行路网计算", "computed on the walking network"),
    "straight-line-bounds": ("直线距离上下界（无步行路网）", "straight-line bounds (no walking network)"),
    "none": ("无法由图谱测量", "not measurable from the atlas"),
}

#: The measures the atlas has, by the ``measure`` code of the targets file.
MEASURES = ("poles_listed", "districts_with_park", "kepu_bases_listed", "kepu_15min_coverage")


def load_targets(*, geodata_dir: Path | None = None) -> pd.DataFrame:
    """The plan's quantitative targets (``geodata/plan_targets.csv``), validated.

    Returns
    -------
    pandas.DataFrame
        One row per target: id, section, task (0 for goals and safeguards), indicator_zh/en,
        comparator, target_2027 (NaN when the plan gives no figure), unit_zh/en, baseline
        (NaN when not given), baseline_low/baseline_high (bounds where the plan's words give
        no figure), baseline_year (0 when none), baseline_source_zh/en (the plan's words),
        quote (the plan's words), measure.

    Raises
    ------
    atlas.errors.ValidationError
        For an unknown section, task, comparator or measure, or a duplicate id.

    """
    path = (Path(geodata_dir) if geodata_dir is not None else settings.GEODATA_DIR) / "plan_targets.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    bad = (df.id.duplicated() | ~df.section.isin(list(SECTIONS)) | ~df.comparator.isin(COMPARATORS)
           | ~df.measure.isin([*MEASURES, "none"])
           | ~df.task.map(lambda v: v == "" or (v.isdigit() and 1 <= int(v) <= 24)))
    if bad.any():
        ids = ", ".join(df.id[bad].tolist()[:5])
        raise ValidationError(f"{path.name} 有无效的行：{ids}", f"{path.name} has invalid rows: {ids}")
    out = df.assign(task=df.task.map(lambda v: int(v) if v else 0),
                    target_2027=pd.to_numeric(df.target_2027.replace("", np.nan)),
                    baseline=pd.to_numeric(df.baseline.replace("", np.nan)),
                    baseline_low=pd.to_numeric(df.baseline_low.replace("", np.nan)),
                    baseline_high=pd.to_numeric(df.baseline_high.replace("", np.nan)),
                    baseline_year=pd.to_numeric(df.baseline_year.replace("", "0")).astype(int))
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Measurement:
    """A current value: a number or bounds, how it was obtained, and what it stands for."""

    how: str  # a key of HOW
    value: float | None = None
    low: float | None = None
    high: float | None = None
    estimate: float | None = None  # a labelled estimate inside the bounds (offline coverage)
    detail_zh: str = ""
    detail_en: str = ""

    def text(self, unit: str = "", lang: str = "zh") -> str:
        """The value as people read it (bounds as a range, an estimate labelled as one)."""
        if self.how == "none":
            return HOW["none"][lang == "en"]
        if self.low is not None or self.high is not None:
            spec = ",.0f" if self.how == "count" else ",.1f"  # counts are whole, shares to 0.1
            lo = "?" if self.low is None or np.isnan(self.low) else format(self.low, spec)
            hi = "?" if self.high is None or np.isnan(self.high) else format(self.high, spec)
            if lo == "?":
                body = f"{'at most' if lang == 'en' else '至多'} {hi}"
            elif hi == "?":  # a lower bound alone (a list known to be incomplete)
                body = f"{'at least' if lang == 'en' else '至少'} {lo}"
            else:
                body = f"{lo}–{hi}"
        else:
            body = "—" if self.value is None else f"{self.value:,.0f}"
        return f"{body} {unit}".strip()

    def detail(self, lang: str = "zh") -> str:
        """What the value stands for and its caveats."""
        return self.detail_en if lang == "en" else self.detail_zh


NOT_MEASURABLE = Measurement("none")


def _placed(g: pd.DataFrame) -> pd.Series:
    return g.geometry.notna() if "geometry" in g else pd.Series(True, index=g.index)


def measure_poles(sites: pd.DataFrame) -> Measurement:
    """Regional innovation poles: candidates the atlas lists, and how many are verified."""
    poles = sites[sites.category == "innovation_pole"]
    verified = int(poles.membership_verified.astype(bool).sum())
    return Measurement("count", value=float(verified), low=float(verified), high=float(len(poles)),
                       detail_zh=f"图谱列出候选 {len(poles)} 个，名单已核实 {verified} 个（十大名单未公开）",
                       detail_en=f"the atlas lists {len(poles)} candidates, {verified} verified "
                                 "(the list of ten is not public)")


def measure_parks(sites: pd.DataFrame, districts: pd.DataFrame) -> Measurement:
    """Districts with a provincial high-tech park: certain (verified, not in creation) to listed."""
    parks = sites[sites.category == "hightech_park"]
    firm = parks[parks.membership_verified.astype(bool) & ~parks.name_zh.str.contains("创建")]
    names = set(districts.name_zh)
    lo = len(set(firm.district) & names)
    hi = len(set(parks.district) & names)
    missing = sorted(names - set(parks.district))
    return Measurement("count", low=float(lo), high=float(hi),
                       detail_zh=(f"{len(names)} 个区县中：{lo} 个有已核实的园区，{hi} 个有列出的园区"
                                  f"（含创建中或未核实）；没有列出园区的：{'、'.join(missing) or '无'}"),
                       detail_en=(f"of {len(names)} districts: {lo} with a verified park, {hi} with a "
                                  f"listed one (incl. in creation or unverified); none listed: "
                                  f"{', '.join(district_name(m, 'en') for m in missing) or 'none'}"))


def kepu_by_level(sites: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """科普 bases the atlas lists, by designation level: placed on the map and without position."""
    kepu = sites[sites.category == "kepu_site"]
    codes = kepu.level.map(fmt.level_code)
    placed = _placed(kepu)
    rows = []
    for code, zh, en in fmt.LEVELS:
        mask = codes == code
        if mask.any():
            rows.append({"level": en if lang == "en" else zh, "placed": int((mask & placed).sum()),
                         "unplaced": int((mask & ~placed).sum()), "count": int(mask.sum())})
    return pd.DataFrame(rows, columns=["level", "placed", "unplaced", "count"])


def measure_kepu_bases(sites: pd.DataFrame) -> Measurement:
    """科普 bases the atlas lists (a lower bound: official lists are not all available)."""
    kepu = sites[sites.category == "kepu_site"]
    n, placed = len(kepu), int(_placed(kepu).sum())
    return Measurement("count", value=float(n), low=float(n),
                       detail_zh=(f"图谱列出 {n} 处（{placed} 处已定位）：已知名单的下限，"
                                  "官方完整名单未获得；社区科普画廊不计入科普基地"),
                       detail_en=(f"the atlas lists {n} ({placed} positioned): a lower bound, the "
                                  "official full lists were not available; community galleries are "
                                  "not counted as bases"))


def measure_coverage(city: Mapping[str, Any] | None) -> Measurement:
    """The 15-minute circle from a coverage-summary city row (network value or offline bounds)."""
    if city is None:
        return Measurement("none", detail_zh="尚无覆盖计算", detail_en="no coverage computed")
    method = str(city.get("method", ""))
    how = "network" if method == "network" else "straight-line-bounds"
    lo, hi, est = (float(city.get(k, np.nan)) for k in ("pct_lower", "pct_upper", "pct_estimate"))
    from atlas.coverage.text import certainly_outside

    note_zh, note_en = (v if isinstance(v := city.get(k), str) else "" for k in ("note", "note_en"))
    left_zh = f"；{note_zh}" if note_zh else ""
    left_en = f"; {note_en or note_zh}" if note_zh or note_en else ""
    if how == "network":
        return Measurement(how, value=hi, low=lo, high=hi,
                           detail_zh="步行路网上15分钟（1,125 米）内的常住人口比例" + left_zh,
                           detail_en="share of residents within a 15-minute (1,125 m) walk on the network"
                                     + left_en)
    return Measurement(how, low=lo, high=hi, estimate=None if np.isnan(est) else est,
                       detail_zh=(f"无步行路网：至多 {fmt.pct(hi)}（直线上限）；"
                                  f"{certainly_outside(city, 'zh')}；"
                                  f"直线×绕行系数估计约 {fmt.pct(est)}（估计值）" + left_zh),
                       detail_en=(f"no walking network: at most {fmt.pct(hi)} (straight-line upper "
                                  f"bound); {certainly_outside(city, 'en')}; detour estimate about "
                                  f"{fmt.pct(est)} (an estimate)" + left_en))


def measure_targets(targets: pd.DataFrame, *, sites: pd.DataFrame, districts: pd.DataFrame,
                    coverage_city: Mapping[str, Any] | None = None) -> dict[str, Measurement]:
    """The current value of every target, by target id (``NOT_MEASURABLE`` where that is the truth).

    Parameters
    ----------
    targets : pandas.DataFrame
        From :func:`load_targets`.
    sites : pandas.DataFrame
        All listed sites (placed and unplaced), e.g. :func:`atlas.data.geodata.load_sites`.
    districts : pandas.DataFrame
        The districts (``name_zh``).
    coverage_city : mapping, optional
        The city row of a coverage summary (:mod:`atlas.coverage.summary`): ``method``,
        ``pct_lower``, ``pct_upper``, ``pct_estimate``, ``certain_gap_population``.

    """
    funcs = {
        "poles_listed": lambda: measure_poles(sites),
        "districts_with_park": lambda: measure_parks(sites, districts),
        "kepu_bases_listed": lambda: measure_kepu_bases(sites),
        "kepu_15min_coverage": lambda: measure_coverage(coverage_city),
    }
    return {str(i): funcs[str(m)]() if str(m) in funcs else NOT_MEASURABLE
            for i, m in zip(targets.id, targets.measure, strict=True)}


def task_features(plan: Mapping[str, Any], sites: pd.DataFrame) -> pd.DataFrame:
    """Per plan task: features on the map (placed), listed without a position, and its targets."""
    nums = sites.policy_tasks.map(parse_tasks)
    placed = _placed(sites)
    rows = []
    for task in plan["tasks"]:
        n = int(task["task"])
        named = nums.map(lambda v, n=n: n in v)
        rows.append({"task": n, "title_zh": task["title_zh"], "title_en": task.get("title_en", ""),
                     "project_no": task["project_no"],
                     "lead_unit": task["lead_unit"], "placed": int((named & placed).sum()),
                     "unplaced": int((named & ~placed).sum())})
    return pd.DataFrame(rows)


def district_indicators(sites: pd.DataFrame, districts: pd.DataFrame, population: pd.DataFrame, *,
                        galleries: pd.DataFrame | None = None,
                        coverage: pd.DataFrame | None = None,
                        galleries_missing: Iterable[str] = (), lang: str = "zh") -> pd.DataFrame:
    """Indicators per district for comparison (one row per district, sortable).

    Parameters
    ----------
    sites, districts, population : pandas.DataFrame
        All listed sites, the districts (``name_zh``, ``name_en``) and their population.
    galleries : pandas.DataFrame, optional
        The 科普画廊 layer (points with ``district``, the division the point lies in).
    coverage : pandas.DataFrame, optional
        A coverage-summary district table (:meth:`atlas.coverage.summary.CoverageSummary.by_district`).
    galleries_missing : iterable of str
        Districts the gallery source lists no row for (:func:`atlas.analysis.supply.districts_without_data`).
    lang : {"zh", "en"}
        Language of ``note``.

    Returns
    -------
    pandas.DataFrame
        district, district_en, population, kepu_sites (placed 科普 bases), kepu_per_100k,
        galleries (NaN where the source lists none), galleries_other_rows (points of other
        districts' rows lying there, counted only where the source lists none), hightech_parks,
        poles (candidates), labs_universities; with a coverage table pct_upper / pct_estimate /
        pct_lower / coverage_method / coverage_status; data_status (``ok`` or
        ``supply_data_missing``) and note.

    """
    pop = population.set_index("district_zh").resident_pop_2024
    placed = sites[_placed(sites)]
    out = pd.DataFrame({"district": districts.name_zh.to_numpy()})
    out["district_en"] = (districts.name_en.to_numpy() if "name_en" in districts
                          else out.district.to_numpy())
    out["population"] = out.district.map(pop).astype(float)
    silent = out.district.isin(list(galleries_missing))

    def n(cat: str | tuple[str, ...], frame: pd.DataFrame = placed) -> pd.Series:
        cats = (cat,) if isinstance(cat, str) else cat
        counts = frame[frame.category.isin(cats)].groupby("district").size()
        return out.district.map(counts).fillna(0).astype(int)

    out["kepu_sites"] = n("kepu_site")
    out["kepu_per_100k"] = (100_000 * out.kepu_sites / out.population).round(2)
    if galleries is not None and "district" in galleries:
        g = out.district.map(galleries[_placed(galleries)].groupby("district").size()).fillna(0)
        out["galleries"] = g.where(~silent)  # the source lists none here: unknown, not 0
        out["galleries_other_rows"] = g.where(silent, 0).astype(int)
    out["hightech_parks"] = n("hightech_park", sites)
    out["poles"] = n("innovation_pole", sites)
    out["labs_universities"] = n(("lab", "university"))
    if coverage is not None and len(coverage):
        cov = coverage.set_index("zone")
        for col in ("pct_lower", "pct_estimate", "pct_upper", "method", "status"):
            if col in cov:
                name = {"method": "coverage_method", "status": "coverage_status"}.get(col, col)
                out[name] = out.district.map(cov[col])
        if "status" in cov:
            silent |= out.coverage_status.eq("supply_data_missing")
    out["data_status"] = np.where(silent, "supply_data_missing", "ok")
    out["note"] = [_missing_note(r, lang) if s else "" for r, s in zip(out.itertuples(), silent, strict=True)]
    return out


def _missing_note(row: Any, lang: str) -> str:
    """Why a district has no gallery count or coverage, and what does lie there."""
    other = int(getattr(row, "galleries_other_rows", 0) or 0)
    if lang == "en":
        text = "no data in source: the gallery source lists no row for this district"
        return text + (f"; {other} point(s) of rows listed under another district lie here (data-entry "
                       "slips, not counted)" if other else "")
    text = "数据缺失：科普画廊源数据没有该区县的记录（缺数据，不是没有画廊）"
    return text + (f"；图上有 {other} 个点来自其他区县所列的行（录入问题，不计入）" if other else "")
