"""What a feature says: popup values in words, tooltips and map labels (plain text, clipped).

Every function here returns plain text or escaped HTML; callers escape plain text before it
reaches HTML (see :mod:`atlas.webmap.specs`).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from atlas import fmt
from atlas.data.geodata import CATEGORIES, POSITION_STATUS, parse_tasks
from atlas.data.names import district_name, task_title, unit_name
from atlas.i18n import field_label, t
from atlas.plan.citations import citations
from atlas.webmap.config import POPUP_CHARS, TIP_CHARS

if TYPE_CHECKING:
    from atlas.data.catalogue import Layer


def clip_text(text: str, limit: int) -> str:
    """``text`` shortened to at most ``limit`` characters for display (ending in "…" if cut)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _sources(value: Any, lang: str) -> str:
    sep = "; " if lang == "en" else "；"
    return sep.join(c.text for c in citations(value, lang))


#: Columns shown in words: levels, position methods, curation notes, sources as citations.
_WORDED: dict[str, Callable[[Any, str], str]] = {
    "level": lambda v, lang: fmt.level_label(v, lang) if str(v).strip() else "",
    "position_method": fmt.position_method,
    "note": fmt.readable_note,
    "source": _sources,
}


def format_value(value: Any, col: str, lang: str) -> str:
    """One popup value as plain text: codes in words, numbers formatted, long text clipped."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if col == "category":
        return CATEGORIES.get(str(value), (str(value), str(value)))[lang == "en"]
    if col == "position_status":
        return POSITION_STATUS.get(str(value), (str(value), str(value)))[lang == "en"]
    if col == "membership_verified":
        return t("yes" if bool(value) else "no", lang)
    if col == "est_error_m":
        return f"±{float(value):,.0f} m"
    if col in ("district", "district_claimed"):  # named as the maps and cards name districts
        return "/".join(district_name(v, lang) for v in str(value).split("/"))
    if col in _WORDED:  # the words the cards and tables use (atlas.fmt), not the stored codes
        return clip_text(_WORDED[col](value, lang), POPUP_CHARS)
    if isinstance(value, float):
        return f"{value:,.2f}"
    return clip_text(str(value), POPUP_CHARS)


def task_item(n: int, task: Mapping[str, Any], lang: str) -> str:
    """One plan task of a popup as escaped HTML: number, title and lead unit."""
    return (f"{n}. {html.escape(task_title(task, lang))} — {html.escape(t('lead_unit', lang))}: "
            f"{html.escape(unit_name(str(task['lead_unit']), lang))}")


def popup_html(row: Mapping[str, Any], fields: Iterable[str], *, lang: str = "zh",
               tasks: Mapping[int, Mapping[str, Any]] | None = None) -> str:
    """Return the escaped HTML of one feature's popup (the markup ``atlas.js`` builds too).

    Parameters
    ----------
    row : mapping
        The feature's attributes.
    fields : iterable of str
        Columns to show, in order.
    lang : {"zh", "en"}
        Label language.
    tasks : mapping, optional
        Plan tasks by number; when given, each task the feature names is listed with its lead
        unit.

    Returns
    -------
    str
        HTML in which every value is escaped.

    """
    rows = "".join(f"<tr><th>{html.escape(field_label(c, lang))}</th><td>{html.escape(v)}</td></tr>"
                   for c in fields if (v := format_value(row.get(c), c, lang)))
    extra = ""
    if tasks is not None and "policy_tasks" in row:
        items = "".join(f"<li>{task_item(n, tasks[n], lang)}</li>"
                        for n in parse_tasks(row.get("policy_tasks")) if n in tasks)
        extra = (f"<div><b>{html.escape(t('tasks', lang))}</b><ul>{items}</ul></div>" if items
                 else f"<div><i>{html.escape(t('not_named', lang))}</i></div>")
    return f"<div class='atlas-popup'><table>{rows}</table>{extra}</div>"


def popup_values(gdf: gpd.GeoDataFrame, fields: Sequence[str], lang: str) -> list[list[str]]:
    """Each feature's popup values, escaped, one list per feature."""
    cols = [[html.escape(format_value(v, c, lang)) for v in gdf[c].tolist()] for c in fields]
    return [list(r) for r in zip(*cols, strict=True)] if cols else [[] for _ in range(len(gdf))]


def approximate(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Which features have an approximate position (not ``sourced``)."""
    if "position_status" not in gdf:
        return np.zeros(len(gdf), dtype=bool)
    return (gdf["position_status"].astype(str) != "sourced").to_numpy()


def tooltip_texts(layer: Layer, gdf: gpd.GeoDataFrame, *, lang: str = "zh") -> list[str]:
    """Each feature's tooltip as plain text (the map shows it escaped; a click returns it).

    Approximate points say so, with their error radius.
    """
    names = label_texts(layer, gdf, lang=lang)  # the name in the reader's language
    if layer.geometry != "point":
        return names
    err = np.nan_to_num(gdf["est_error_m"].to_numpy(dtype=float)) if "est_error_m" in gdf else None
    out = []
    for i, approx in enumerate(approximate(gdf)):
        e = float(err[i]) if err is not None else 0.0
        if not approx:
            out.append(names[i])
        elif lang == "zh":
            out.append(f"{names[i]}（{t('accuracy', lang)}: ±{e:,.0f} m）")
        else:
            out.append(f"{names[i]} (approximate, ±{e:,.0f} m)")
    return out


def label_texts(layer: Layer, gdf: gpd.GeoDataFrame, *, lang: str = "zh") -> list[str]:
    """Each feature's map label as plain text: its English name in English where it has one."""
    base = ([clip_text(str(v), TIP_CHARS) for v in gdf[layer.tooltip].tolist()] if layer.tooltip in gdf
            else [""] * len(gdf))
    if lang != "en" or "name_en" not in gdf:
        return base
    return [clip_text(en, TIP_CHARS) if isinstance(en, str) and en.strip() else b
            for en, b in zip(gdf["name_en"].tolist(), base, strict=True)]
