"""The plan-indicators dashboard: every target extracted, measured where the atlas can, honestly."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from atlas.geodata import load_districts, load_plan, load_population, load_sites, parse_tasks
from atlas.indicators import (
    MEASURES,
    NOT_MEASURABLE,
    district_indicators,
    kepu_by_level,
    load_targets,
    measure_coverage,
    measure_targets,
    task_features,
)

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT.parent / "shared" / "plan" / "000_9f57162ee72e85ac.txt"
if not PLAN.exists():  # worktrees sit one level deeper than the main checkout
    PLAN = Path("/work/shared/plan/000_9f57162ee72e85ac.txt")

# Numbers with units in the plan that are not targets, and why.
NOT_TARGETS = {
    "2023-2027年": "the plan's period",
    "10年": "a policy term (不低于10年的长期使用权), not a target",
    "5%": "a criterion for firms (研发费用占营业收入比重高于5%的企业), not a target",
    "26县": "山区26县: the counties meant, not a target",
}
# Targets the plan states twice (发展目标 and a task), kept once under the task: token -> id.
STATED_TWICE = {"25名": ("T17a", 25)}


def _plan_text() -> str:
    if not PLAN.exists():
        pytest.skip("the plan text (shared/plan) is not available")
    return PLAN.read_text(encoding="utf-8")


def test_every_quote_is_the_plans_own_words():
    text = _plan_text()
    targets = load_targets()
    missing = [r.id for r in targets.itertuples() if r.quote not in text]
    assert not missing


def test_every_number_with_a_unit_in_the_plan_is_a_target_or_explained():
    text = _plan_text()
    body = text.split("发展目标", 1)[1]
    quotes = " ".join(load_targets().quote)
    units = "%|％|家|个|名|人年|人|项|亿元|万家|万名|万人次|万元/人|件|种|条|县|年"
    pattern = re.compile(rf"\d[\d.]*\s*(?:{units})|[十百千万]+(?:大|家|项|亿)")
    targets = load_targets().set_index("id")
    unexplained = []
    for m in pattern.finditer(body):
        token = m.group(0)
        if token in quotes or any(token in k or k in token for k in NOT_TARGETS):
            continue
        if token in STATED_TWICE:
            tid, value = STATED_TWICE[token]
            assert targets.loc[tid, "target_2027"] == value
            continue
        unexplained.append((token, body[max(0, m.start() - 12):m.end() + 6]))
    assert not unexplained, unexplained


def test_task_23_targets_are_extracted_with_units():
    t = load_targets().set_index("id")
    assert (t.loc["T23a", "target_2027"], t.loc["T23a", "unit_zh"], t.loc["T23a", "comparator"]) == \
        (200, "家", "≥")
    assert (t.loc["T23c", "target_2027"], t.loc["T23c", "unit_zh"]) == (1000, "万人次/年")
    assert (t.loc["T23d", "target_2027"], t.loc["T23d", "comparator"]) == (20, ">")
    assert np.isnan(t.loc["T23b", "target_2027"])  # the plan sets the circle, not a share
    assert t.loc["T09h", "baseline"] == 0  # 世界500强: 零的突破
    assert set(t.measure) <= {*MEASURES, "none"}
    assert len(t) >= 60


def test_measurements_say_how_and_never_pass_bounds_off_as_a_value():
    sites, districts = load_sites(), load_districts()
    targets = load_targets()
    m = measure_targets(targets, sites=sites, districts=districts, coverage_city=None)
    assert m["T09a"] is NOT_MEASURABLE and m["T23c"] is NOT_MEASURABLE
    poles = m["T03a"]
    assert poles.how == "count" and poles.high == 11 and poles.low == 0  # candidates, none verified
    kepu = m["T23a"]
    n_kepu = int((sites.category == "kepu_site").sum())
    assert kepu.value == n_kepu and "下限" in kepu.detail("zh")
    parks = m["T04d"]
    assert parks.low < parks.high <= 10 and "镇海区" in parks.detail("zh")
    assert m["T23b"].how == "none"  # no coverage computed: not measured, not zero
    offline = measure_coverage({"method": "straight-line-bounds", "pct_lower": np.nan, "pct_upper": 4.2,
                                "pct_estimate": 1.9, "certain_gap_population": 8_312_345.0})
    assert offline.how == "straight-line-bounds"
    assert offline.text("%", "zh") == "至多 4.2 %" and "8,312,300" in offline.detail("zh")
    assert "估计" in offline.detail("zh")
    net = measure_coverage({"method": "network", "pct_lower": 3.0, "pct_upper": 3.0, "pct_estimate": 3.0,
                            "certain_gap_population": 1.0})
    assert net.how == "network" and net.text("%", "en") == "3.0–3.0 %"


def test_tasks_without_features_are_counted_from_the_data():
    plan, sites = load_plan(), load_sites()
    f = task_features(plan, sites)
    named = {n for v in sites.policy_tasks for n in parse_tasks(v)}
    assert set(f.task[(f.placed + f.unplaced) > 0]) == named
    assert int(((f.placed + f.unplaced) == 0).sum()) == 24 - len(named) == 15
    assert f.set_index("task").loc[23, "placed"] == int(sites[sites.geometry.notna()].policy_tasks
                                                        .map(lambda v: 23 in parse_tasks(v)).sum())


def test_district_indicators_add_up():
    sites, districts, pop = load_sites(), load_districts(), load_population()
    d = district_indicators(sites, districts, pop)
    placed = sites[sites.geometry.notna()]
    in_districts = placed[placed.district.isin(districts.name_zh)]
    assert d.kepu_sites.sum() == int((in_districts.category == "kepu_site").sum())
    assert d.population.sum() == pop.resident_pop_2024.sum()
    levels = kepu_by_level(sites)
    assert levels["count"].sum() == int((sites.category == "kepu_site").sum())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dashboard_page_runs_and_marks_every_target(lang):
    at = AppTest.from_file(str(ROOT / "pages/6_规划指标_Indicators.py"), default_timeout=120)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    n_targets = len(load_targets())
    key = "规划量化目标" if lang == "zh" else "Quantitative targets"
    assert metrics[key] == str(n_targets)
    table = at.dataframe[0].value
    how = "测量方式" if lang == "zh" else "How measured"
    assert len(table) == n_targets and table[how].notna().all()
    md = " ".join(m.value for m in at.markdown)
    assert md.count("(/?task=") == 8  # the tasks with features on the map link to them
    assert ("该任务没有上图要素" if lang == "zh" else "No mapped feature") in md


def test_measured_targets_lead_the_table_and_the_toggle_keeps_only_them():
    at = AppTest.from_file(str(ROOT / "pages/6_规划指标_Indicators.py"), default_timeout=120)
    at.run()
    table = at.dataframe[0].value
    how = table["测量方式"].tolist()
    n = sum(h != "无法由图谱测量" for h in how)
    assert n >= 3 and all(h != "无法由图谱测量" for h in how[:n])
    at.toggle(key="dash_only").set_value(True).run()
    assert len(at.dataframe[0].value) == n


def test_the_15_minute_circle_is_measured_as_bounds_offline():
    at = AppTest.from_file(str(ROOT / "pages/6_规划指标_Indicators.py"), default_timeout=300)
    at.run()
    table = at.dataframe[0].value.set_index("指标")
    row = table.loc["15分钟科普服务圈（常住人口覆盖率）"]
    assert row["测量方式"] == "直线距离上下界（无步行路网）"
    assert row["现状（图谱）"].startswith("至多 ") and "估计" in row["说明"]  # never one bare number
    districts = at.dataframe[2].value
    assert {"pct_upper", "pct_estimate"} <= set(districts.columns)
    assert (districts.pct_estimate <= districts.pct_upper + 1e-9).all()
