"""Names in the reader's language: one function per kind of name.

Cards, map popups, tooltips, labels, tables and exports all name things through these, so a
district reads "Haishu" in English everywhere (not 海曙区 on a card and Haishu on the map), a
site its ``name_en``, a plan task its English title and a responsible unit its English name.
The English task titles and unit names are the project's own translation (see
``geodata/plan_tasks.json.provenance.toml``); a name with no English form is given as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or not str(value).strip()


def display_name(row: Mapping[str, Any], lang: str, *, zh: str = "name_zh", en: str = "name_en") -> str:
    """A feature's name in ``lang``: its English name in English when it has one, else its Chinese."""
    if lang == "en" and not _blank(row.get(en)):
        return str(row[en])
    return "" if _blank(row.get(zh)) else str(row[zh])


@cache
def _district_en() -> dict[str, str]:
    from atlas.geodata import load_districts

    d = load_districts()
    return dict(zip(d.name_zh.astype(str), d.name_en.astype(str), strict=True))


def district_name(name_zh: Any, lang: str) -> str:
    """A district's name in ``lang`` (pinyin in English, as on the maps); other text as given."""
    text = "" if _blank(name_zh) else str(name_zh)
    return _district_en().get(text, text) if lang == "en" else text


@cache
def _units_en() -> dict[str, str]:
    from atlas.geodata import load_plan

    return dict(load_plan().get("units_en", {}))


def unit_name(unit: str, lang: str) -> str:
    """A responsible unit of the plan in ``lang``."""
    return _units_en().get(unit, unit) if lang == "en" else unit


def units_text(units: Iterable[str], lang: str) -> str:
    """Responsible units in ``lang``, joined as the language joins a list."""
    return (", " if lang == "en" else "、").join(unit_name(u, lang) for u in units)


def task_title(task: Mapping[str, Any], lang: str) -> str:
    """A plan task's title in ``lang``."""
    return display_name(task, lang, zh="title_zh", en="title_en")


def project_title(task: Mapping[str, Any], lang: str) -> str:
    """The title of a task's project (one of the plan's six) in ``lang``."""
    return display_name(task, lang, zh="project_zh", en="project_en")
