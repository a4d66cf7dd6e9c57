"""Map elements: text and script placed as they are (never through Jinja), JSON safe to inline.

Also the feature group that carries its legend entries.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import branca
import folium
import jinja2

from atlas.webmap.legend import LegendEntry


class Text(branca.element.Element):
    """Text placed as it is: never compiled or rendered as a Jinja template.

    branca turns every rendered element into a new Jinja template and renders it again: text
    holding ``{{ … }}`` (a planner's site name, say) would be evaluated on the server, and
    compiling a large layer costs more than drawing it. This element only substitutes its text.
    """

    _template = jinja2.Template("{{ this.text }}")

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "AtlasText"
        self.text = text


class Script(branca.element.MacroElement):
    """A piece of JavaScript placed after its parent's creation: ``prefix`` + parent + ``suffix``.

    The parent's JavaScript name is only known when the map is rendered (streamlit-folium renames
    it), so the code is split around it. Rendered as :class:`Text` (see there why).
    """

    _template = jinja2.Template(
        "{% macro script(this, kwargs) %}{{ this.prefix }}{{ this._parent.get_name() }}"
        "{{ this.suffix }}{% endmacro %}")

    def __init__(self, prefix: str, suffix: str) -> None:
        super().__init__()
        self._name = "AtlasScript"
        self.prefix, self.suffix = prefix, suffix

    def render(self, **kwargs: Any) -> str:
        """Add this script to the figure as plain text (no Jinja pass over its content)."""
        parent = self._parent.get_name() if self._parent is not None else ""
        self.get_root().script.add_child(  # type: ignore[attr-defined]
            Text(f"{self.prefix}{parent}{self.suffix}"), name=self.get_name())
        return ""


class PlainMacro(branca.element.MacroElement):
    """A folium element whose rendered parts are placed as text, never compiled again.

    branca's ``MacroElement.render`` wraps what each of an element's macros (header, html,
    script) produced in a new ``Element``, whose constructor compiles it as a Jinja template: a
    ``{{ … }}`` or ``{% … %}`` that came from data (a planner's layer name in the layer switcher)
    is then evaluated on the server (and a stray ``{{`` breaks the export). This render does the
    same placing with :class:`Text`. Every element of ours that carries data derives from it.
    """

    def render(self, **kwargs: Any) -> str:
        """Place this element's header, html and script parts as text; render its children."""
        figure = self.get_root()
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = macros.get(part)
            if macro is not None:
                getattr(figure, part).add_child(Text(macro(self, kwargs)), name=self.get_name())
        for child in list(self._children.values()):
            child.render(**kwargs)
        return ""


class AtlasGroup(folium.FeatureGroup, PlainMacro):
    """A feature group that knows its legend entries (its name is data: see :class:`PlainMacro`)."""

    def __init__(self, name: str, legend: Sequence[LegendEntry] = (), *, control: bool = True) -> None:
        super().__init__(name=name, show=True, control=control)
        self.legend = list(legend)


class AtlasLayerControl(folium.LayerControl, PlainMacro):
    """Leaflet's layer switcher; the layer names it lists are data (see :class:`PlainMacro`)."""


def js_json(obj: Any) -> str:
    """JSON for inlining in a script.

    No ``<`` (so no ``</script>``), and no ``_`` or ``'`` that streamlit-folium's renaming of
    folium variables would rewrite: all three occur only inside JSON strings, where the escapes
    mean the same characters.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("_", "\\u005f").replace("'", "\\u0027")
