"""Widget choices that survive a language switch and a visit to another page.

Three ways a planner's choice was lost (the export page's layer list emptied itself):

* **Language switch.** The browser keeps a select widget's choice as the option's *label*
  (``format_func``'s text). When the labels change with the language, the browser still
  shows the old labels, matches none of the new ones, and sends back an empty choice at the
  next click. Keying widgets on stable ids is not enough: the server must send the choice
  again, in the new labels, on the run where the language changed.
* **Page switch.** Streamlit forgets a widget's value when its page is not drawn.
* **A request sent before the switch's answer.** A rerun the browser asks for before it has the
  page in the new language (a map's own report, a quick click) carries the choices in the old
  labels; Streamlit keeps a label it cannot read as the value, and the widget then drops it (the
  Service areas page lost its layers, and with them its circles, this way). A value that is not
  one of the widget's options is not the planner's choice: the remembered one is given back.

:func:`restore` (before a page's widgets are drawn) and :func:`remember` (after) fix them for
any widget, whatever its kind: the page's choices are kept under one session key, per page,
as stable values (ids, codes, text), and given back to the widgets when Streamlit has no value
for them or when the language changed since they were last drawn. Widgets using this take
their initial value from ``restore``'s defaults, never from their own ``default``/``value``
argument (Streamlit warns when both are set).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import streamlit as st

MEMORY_KEY = "_widget_memory"


def _valid(value: Any, options: Collection[Any] | None) -> Any:
    """``value`` without choices that are no longer offered (e.g. a deleted layer)."""
    if options is None:
        return value
    if isinstance(value, list | tuple):
        return [v for v in value if v in options]
    return value if value in options else None


def _readable(value: Any, options: Collection[Any] | None) -> bool:
    """Whether ``value`` is made of ``options`` only (not a label of another language)."""
    whole = list(value) if isinstance(value, list | tuple) else value
    return options is None or _valid(value, options) == whole


def restore(page: str, lang: str, defaults: Mapping[str, Any], *,
            options: Mapping[str, Collection[Any]] | None = None) -> None:
    """Give the widgets ``defaults``' keys their remembered (or default) values before they are drawn.

    Parameters
    ----------
    page : str
        The page's name (each page remembers its own widgets).
    lang : str
        The language the page is drawn in now.
    defaults : mapping
        Widget key -> value on a first visit.
    options : mapping, optional
        Widget key -> the options it offers now; remembered choices outside them are dropped
        (a single choice falls back to its default), and a value outside them (a label the
        browser sent in the other language) is replaced by the remembered choice.

    """
    memory = st.session_state.setdefault(MEMORY_KEY, {}).setdefault(page, {})
    relabelled = memory.get("_lang") not in (None, lang)
    offered = options or {}
    for key, default in defaults.items():
        if key in st.session_state and not relabelled and _readable(st.session_state[key], offered.get(key)):
            continue  # Streamlit has the value and the browser shows it in the current labels
        value = _valid(memory.get(key, default), offered.get(key))
        st.session_state[key] = default if value is None else value


def remember(page: str, lang: str, keys: Collection[str]) -> None:
    """After the widgets are drawn: keep their values (and the language they were drawn in)."""
    memory = st.session_state.setdefault(MEMORY_KEY, {}).setdefault(page, {})
    for key in keys:
        if key in st.session_state:
            value = st.session_state[key]
            memory[key] = list(value) if isinstance(value, list | tuple) else value
    memory["_lang"] = lang
