"""Bilingual UI strings (Chinese first). ``t(key, lang)`` returns the text in ``lang``.

The message tables live in one module per page or subject (``app``, ``auth``, ``briefing``,
``coverage``, ``export``, ``importing``, ``indicators``, ``osm_extracts``, ``progress``,
``service_areas``), each a ``MESSAGES`` dict of ``key: (zh, en)``; :data:`STRINGS` merges them
and refuses a key defined twice.
"""

from __future__ import annotations

from atlas.i18n import (
    app,
    auth,
    briefing,
    coverage,
    export,
    importing,
    indicators,
    osm_extracts,
    progress,
    service_areas,
)
from atlas.i18n.fields import FIELD_LABELS
from atlas.i18n.stages import STAGES

__all__ = ["FIELD_LABELS", "STAGES", "STRINGS", "counted", "field_label", "stage_label", "t"]


def _merge(*tables: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for table in tables:
        twice = merged.keys() & table.keys()
        if twice:
            raise ValueError(f"UI string keys defined twice: {sorted(twice)}")
        merged.update(table)
    return merged


#: Every UI string, ``key: (zh, en)``.
STRINGS: dict[str, tuple[str, str]] = _merge(
    app.MESSAGES, auth.MESSAGES, briefing.MESSAGES, coverage.MESSAGES, export.MESSAGES,
    importing.MESSAGES, indicators.MESSAGES, osm_extracts.MESSAGES, progress.MESSAGES, service_areas.MESSAGES,
)


def t(key: str, lang: str = "zh", **fmt: object) -> str:
    """Return the UI string ``key`` in ``lang`` ("zh" or "en"), formatted with ``fmt``."""
    zh, en = STRINGS[key]
    text = en if lang == "en" else zh
    return text.format(**fmt) if fmt else text


def counted(key: str, lang: str, n: int) -> str:
    """A counted phrase: the singular wording (``<key>_one``) for 1 where the language has one."""
    one = f"{key}_one"
    return t(one if n == 1 and one in STRINGS else key, lang, n=n)


def field_label(col: str, lang: str = "zh") -> str:
    """Return the bilingual label of a data column (the column name if unknown)."""
    zh, en = FIELD_LABELS.get(col, (col, col))
    return en if lang == "en" else zh


def stage_label(stage: str, lang: str = "zh") -> str:
    """The label of a progress stage in ``lang``; unknown stages (e.g. a district name) as given."""
    zh, en = STAGES.get(stage, (stage, stage))
    return en if lang == "en" else zh
