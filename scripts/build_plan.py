"""Build geodata/plan_tasks.json from the plan's full text (../shared/plan/*.txt).

The plan 《宁波市贯彻“315”科技创新体系加快建设“六大工程”实施方案（2023-2027年）》(征求意见稿)
has six projects (工程) and 24 numbered tasks. For each task we keep: number, short title, its
project, the full text, the responsible units (责任单位 or 牵头单位; the first is the lead
unit, as the plan itself states) and the clauses that carry a quantitative target.

Usage:  python scripts/build_plan.py
"""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas import settings
from atlas.data.provenance import dumps, provenance_path
from atlas.io.storage import atomic_write_json, atomic_write_text

PLAN_DIR = settings.PROJECT_ROOT.parent / "shared" / "plan"

PROJECT_EN = {
    "全域科创深化提升工程": "Deepening region-wide innovation",
    "战略科技力量起势工程": "Building strategic S&T forces",
    "创新链产业链深度融合工程": "Fusing innovation and industrial chains",
    "开放创新网络拓展工程": "Expanding the open innovation network",
    "创新人才集聚赋能工程": "Gathering and empowering innovative talent",
    "改革创新提质增效工程": "Reform for quality and efficiency of innovation",
}

_TASK = re.compile(r"^(\d{1,2})\.(.+?)。(.*)$")
_PROJECT = re.compile(r"^(?:（[一二三四五六]）)?实施(.+工程)$")
_UNITS = re.compile(r"（(责任单位|牵头单位)：(.+)）")
_LEAD_NOTE = "。列第一位的为牵头单位，下同"
_OUTSIDE_PARENS_SEP = re.compile(r"、(?![^（]*）)")
_TARGET_WORDS = re.compile(
    r"\d[\d.,，]*\s*(?:%|家|个|名|万|人|项|亿|件|所|位|倍|次)|达到|超过|突破|以上|不少于"
)


#: English titles of the 24 tasks: the project's own translation (the plan has none).
TITLE_EN: dict[int, str] = {
1: "Raise the city's innovation standing",
2: "Build the Yongjiang Sci-Tech Innovation Zone to world-class standards",
3: "Create multi-node county-level S&T innovation highlands",
4: "Strengthen the innovation pull of provincial high-tech zones",
5: "Build a high-level tier of laboratories",
6: "Foster high-level technology innovation centres",
7: "Improve the system for building and developing industrial technology research institutes",
8: "Strengthen universities' lead in S&T innovation",
9: "Speed up the cultivation of tiers of technology enterprises",
10: "Deepen breakthroughs in key core technologies",
11: "Open up major innovation application scenarios",
12: "Create new industrial tracks",
13: "Become an important node of the global innovation network",
14: "Deepen collaboration among innovation actors",
15: "Open up the pathways for transferring research results",
16: "Protect intellectual property along the whole chain",
17: "Renew the Yongjiang Talent Programme",
18: "Speed up the training of professional and technical talent",
19: "Unleash young talent's innovation and creativity",
20: "Build the best ecosystem for S&T innovation talent",
21: "Improve new mechanisms for managing research",
22: "Deepen digital empowerment of R&D and innovation",
23: "Strengthen science communication and science popularisation",
24: "Vigorously promote a culture of innovation",
}

#: English names of the responsible units: the project's own translation.
UNIT_EN: dict[str, str] = {
"宁波高新区管委会": "Ningbo National High-tech Zone Administrative Committee",
"市中级法院": "Ningbo Intermediate People's Court",
"市交通局": "Municipal Transport Bureau",
"市人力社保局": "Municipal Human Resources and Social Security Bureau",
"市住建局": "Municipal Housing and Urban-Rural Development Bureau",
"市公安局": "Municipal Public Security Bureau",
"市卫生健康委": "Municipal Health Commission",
"市发改委": "Municipal Development and Reform Commission",
"市司法局": "Municipal Justice Bureau",
"市商务局": "Municipal Commerce Bureau",
"市国资委": "Municipal State-owned Assets Supervision and Administration Commission",
"市大数据局": "Municipal Big Data Bureau",
"市委人才办": "Talent Work Office of the Municipal Party Committee",
"市委军民融合办": "Civil-Military Integration Office of the Municipal Party Committee",
"市委宣传部": "Publicity Department of the Municipal Party Committee",
"市委改革办": "Reform Office of the Municipal Party Committee",
"市市场监管局": "Municipal Market Supervision Administration",
"市总工会": "Municipal Federation of Trade Unions",
"市投资促进署": "Municipal Investment Promotion Agency",
"市教育局": "Municipal Education Bureau",
"市文化和旅游局": "Municipal Culture and Tourism Bureau",
"市服务业局": "Municipal Service Industry Bureau",
"市科协": "Municipal Association for Science and Technology",
"市科技局": "Municipal Science and Technology Bureau",
"市经信局": "Municipal Economy and Information Technology Bureau",
"市财政局": "Municipal Finance Bureau",
"有关区（县、市）政府": "the district, county and county-level city governments concerned",
"甬江实验室": "Yongjiang Laboratory",
"甬江科创区管委会": "Yongjiang Sci-Tech Innovation Zone Administrative Committee",
"相关区（县、市）政府": "the district, county and county-level city governments concerned",
}

def parse(text: str) -> list[dict[str, object]]:
    body = text.split("重点任务", 1)[1].split("保障措施", 1)[0]
    tasks: list[dict[str, object]] = []
    project = ""
    project_no = 0
    current: dict[str, object] | None = None
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            continue
        if m := _PROJECT.match(line):
            project = m.group(1)
            project_no += 1
            continue
        if m := _TASK.match(line):
            current = {"task": int(m.group(1)), "title_zh": m.group(2),
                       "title_en": TITLE_EN.get(int(m.group(1)), ""), "project_no": project_no,
                       "project_zh": project, "project_en": PROJECT_EN.get(project, ""),
                       "text": line}
            tasks.append(current)
        elif current is not None:
            current["text"] = str(current["text"]) + line
    for t in tasks:
        text_ = str(t["text"])
        m = _UNITS.search(text_)
        units = ([u.strip() for u in _OUTSIDE_PARENS_SEP.split(m.group(2).replace(_LEAD_NOTE, ""))]
                 if m else [])
        t["unit_kind"] = m.group(1) if m else ""
        t["units"] = units
        t["lead_unit"] = units[0] if units else ""
        sentences = re.split("[。；，]", _UNITS.sub("", text_.split("。", 1)[-1]))
        t["targets_2027"] = [s.strip() for s in sentences if _TARGET_WORDS.search(s)]
    return tasks


if __name__ == "__main__":
    src = next(PLAN_DIR.glob("*.txt"))
    tasks = parse(src.read_text(encoding="utf-8"))
    assert [t["task"] for t in tasks] == list(range(1, 25)), [t["task"] for t in tasks]
    out = settings.GEODATA_DIR / "plan_tasks.json"
    atomic_write_json(out, {
        "title_zh": "宁波市贯彻“315”科技创新体系加快建设“六大工程”实施方案（2023-2027年）（征求意见稿）",
        "title_en": "Ningbo's implementation plan for the '315' S&T innovation system: six major "
                    "projects, 2023-2027 (draft for comments)",
        "units_en": {u: UNIT_EN[u] for u in sorted({u for t in tasks for u in t["units"]})},
        "tasks": tasks,
    })
    atomic_write_text(provenance_path(out), dumps({
        "title": "The plan's six projects and 24 tasks, with responsible units and targets",
        "source": f"plan full text ({src.name}), parsed by scripts/build_plan.py",
        "date": str(date.today()),
        "licence": "government document (public)",
        "original_crs": "n/a (no geometry)",
        "conversion": "text parsed: task number/title/project, 责任单位 or 牵头单位 (first = lead), "
                      "clauses with quantitative targets; English task titles (title_en) and unit "
                      "names (units_en) are the project's own translation, not official ones",
        "positional_error": "n/a",
    }))
    for t in tasks:
        print(t["task"], t["project_no"], t["title_zh"], "| lead:", t["lead_unit"],
              "| targets:", len(t["targets_2027"]))
