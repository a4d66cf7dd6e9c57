"""Tables for people in the app: ids as names, headers in the reader's language, rounded figures.

The figures are rounded by :func:`atlas.fmt.table` (the same function the briefing CSVs use), so
a table in the app and its export agree digit for digit; numbers stay numbers, so columns sort.
Every table a page shows goes through :func:`show_table` (or :func:`editor` for the one a planner
ticks): a missing value reads :data:`atlas.fmt.MISSING` ("—"), never "None" or "nan".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from atlas import fmt

#: Text columns that carry an answer in words (an import's problems): wide enough to read.
WIDE_TEXT_COLUMNS = ("reasons",)


def _column_config(raw: pd.DataFrame, lang: str, headers: Mapping[str, str] | None = None
                   ) -> dict[str, Any]:
    """Display formats by column kind: people with thousands separators, % to 0.1, metres."""
    cfg: dict[str, Any] = {}
    for col in raw.columns:
        label = (headers or {}).get(col) or fmt.header(col, lang)
        if col in fmt.PEOPLE_COLUMNS:
            cfg[label] = st.column_config.NumberColumn(label, format="%,.0f")
        elif col in fmt.PCT_COLUMNS:  # the unit once: in the header when it has it
            cfg[label] = st.column_config.NumberColumn(label, format="%.1f" + _unit(label, "%", " %%"))
        elif col in fmt.METRE_COLUMNS or col in fmt.BUDGET_COLUMNS:
            cfg[label] = st.column_config.NumberColumn(label, format="%,.0f" + _unit(label, "米", " m"))
        elif col in WIDE_TEXT_COLUMNS or col == "name":  # a long name (a gap's) wraps no wider than this
            cfg[label] = st.column_config.TextColumn(label, width="large")
        elif col in fmt.AREA_COLUMNS:
            cfg[label] = st.column_config.NumberColumn(label, format="%.2f" + _unit(label, "km²", " km²"))
    return cfg


def _unit(label: str, unit: str, suffix: str) -> str:
    """``suffix`` for cells, unless the header already names the unit (zh "米", en "(m)")."""
    named = unit in label or (suffix.strip() == "m" and "(m)" in label)
    return "" if named else suffix


def show_table(df: pd.DataFrame, lang: str = "zh", *, names: Mapping[str, str] | None = None,
               drop: tuple[str, ...] = ("geometry",), key: str | None = None,
               headers: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Show ``df`` as people read it (see :func:`atlas.fmt.table`); returns the shown table.

    ``headers`` overrides the header of some columns (column name -> header), e.g. people
    columns that say how people were placed (:func:`atlas.coverage.summary.demand_label`).
    """
    kept = pd.DataFrame(df).drop(columns=[c for c in drop if c in df.columns])
    shown = with_headers(fmt.table(kept, lang, names=names, drop=()), kept.columns, lang, headers)
    st.dataframe(shown, hide_index=True, width="stretch", key=key, placeholder=fmt.MISSING,
                 column_config=_column_config(kept, lang, headers))
    return shown


def with_headers(table: pd.DataFrame, columns: Any, lang: str,
                 headers: Mapping[str, str] | None) -> pd.DataFrame:
    """``table`` (from :func:`atlas.fmt.table` of a frame with ``columns``) with overridden headers."""
    if not headers:
        return table
    ren = {fmt.header(str(c), lang): headers[c] for c in columns if c in headers}
    return table.rename(columns=ren)


def editor(df: pd.DataFrame, lang: str = "zh", *, key: str, disabled: list[str]) -> pd.DataFrame:
    """An editable table (ticks) with headers in ``lang`` and missing values as "—".

    The returned frame keeps ``df``'s own column names (the caller reads the ticks by name).
    """
    labels = {c: fmt.header(str(c), lang) for c in df.columns}
    return st.data_editor(df, hide_index=True, key=key, width="stretch", disabled=disabled,
                          placeholder=fmt.MISSING, column_config=labels)


def site_names(frames: Mapping[str, pd.DataFrame], lang: str = "zh") -> dict[str, str]:
    """Site id -> display name over every layer frame (for tables that carry ids)."""
    out: dict[str, str] = {}
    for g in frames.values():
        if "id" not in g.columns or "name_zh" not in g.columns:
            continue
        names = g["name_en"].where(g["name_en"].astype(bool), g["name_zh"]) \
            if lang == "en" and "name_en" in g.columns else g["name_zh"]
        out.update(dict(zip(g["id"].astype(str), names.astype(str), strict=True)))
    return out


def unplaced_table(sites: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Sites without a position as people read them: name, category, district, level, note."""
    from atlas.data.geodata import CATEGORIES

    name = sites["name_en"].where(sites["name_en"].astype(bool), sites["name_zh"]) \
        if lang == "en" else sites["name_zh"]
    out = pd.DataFrame({
        "name": name.to_numpy(),
        "category": [CATEGORIES.get(c, (c, c))[lang == "en"] for c in sites["category"]],
        "district_claimed": sites["district_claimed"].to_numpy(),
        "level": [fmt.level_label(v, lang) for v in sites["level"]],
    })
    notes = [fmt.readable_note(v, lang) for v in sites["note"]]
    if any(notes):
        out["note"] = notes
    return out
