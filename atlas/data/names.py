"""Names in the reader's language: one function per kind of name.

Cards, map popups, tooltips, labels, tables and exports all name things through these, so a
district reads "Haishu" in English everywhere (not 海曙区 on a card and Haishu on the map), a
site its ``name_en``, a plan task its English title and a responsible unit its English name.
The English task titles and unit names are the project's own translation (see
``geodata/plan_tasks.json.provenance.toml``). A place name with no English form in the geodata
(a 街道/镇, 社区/村, an OpenStreetMap school) is romanised by :func:`place_name` (pinyin for the
name, English for its kind: "Hanling Primary School"); a planner's own names stay as typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import pandas as pd


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or not str(value).strip()


def display_name(row: Mapping[str, Any], lang: str, *, zh: str = "name_zh", en: str = "name_en") -> str:
    """A feature's name in ``lang``: its English name in English when it has one, else its Chinese."""
    if lang == "en" and not _blank(row.get(en)):
        return str(row[en])
    return "" if _blank(row.get(zh)) else str(row[zh])


@cache
def _district_en() -> dict[str, str]:
    from atlas.data.geodata import load_districts

    d = load_districts()
    return dict(zip(d.name_zh.astype(str), d.name_en.astype(str), strict=True))


def district_name(name_zh: Any, lang: str) -> str:
    """A district's name in ``lang`` (pinyin in English, as on the maps); other text as given."""
    text = "" if _blank(name_zh) else str(name_zh)
    return _district_en().get(text, text) if lang == "en" else text


def place_name(name_zh: Any, lang: str) -> str:
    """A place name of the geodata in ``lang``.

    In English: districts by their own English names, the rest romanised
    (:func:`atlas.data.romanize.romanize`): 横溪镇 -> "Hengxi Town", 宁海县第一中学 -> "Ninghai No. 1
    Middle School". Lists joined by 、 come back joined by ", ".
    """
    text = "" if _blank(name_zh) else str(name_zh)
    if lang != "en" or not text:
        return text
    from atlas.data.romanize import romanize

    return romanize(text, known=_district_en())


#: Table columns holding districts (by their Chinese name; "/" between several; a planner's own
#: zone as typed), and places of the geodata (a district, a functional zone, streets/towns).
DISTRICT_COLUMNS = ("zone", "district_claimed", "scope")
STREET_COLUMNS = ("district", "street", "streets")


def place_columns(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``table`` with its district and street columns named in ``lang`` (a copy in English).

    Any other value (a planner's own zone, an English name) is kept as it is.
    """
    if lang != "en":
        return table
    out = table.copy()
    for col in DISTRICT_COLUMNS:
        if col in out.columns:
            out[col] = out[col].map(lambda v: "/".join(district_name(x, lang) for x in v.split("/"))
                                    if isinstance(v, str) else v)
    for col in STREET_COLUMNS:
        if col in out.columns:
            out[col] = out[col].map(lambda v: place_name(v, lang) if isinstance(v, str) else v)
    return out


def with_english_names(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with a ``name_en`` beside ``name_zh``: the given English name, else :func:`place_name`.

    For the geodata build scripts (shipped tables carry their English names); a planner's own
    layers are never passed through it.
    """
    out = table.copy()
    given = (out["name_en"].fillna("").astype(str) if "name_en" in out.columns
             else pd.Series("", index=out.index))
    english = [g if g.strip() else place_name(z, "en") for g, z in zip(given, out["name_zh"], strict=True)]
    if "name_en" in out.columns:
        out["name_en"] = english
    else:
        out.insert(list(out.columns).index("name_zh") + 1, "name_en", english)
    return out


@cache
def _units_en() -> dict[str, str]:
    from atlas.data.geodata import load_plan

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
