"""The legend: one entry per thing drawn, its swatch, and the escaped HTML of the whole box."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from atlas import palette
from atlas.i18n import t
from atlas.webmap.config import TIP_CHARS
from atlas.webmap.popups import clip_text


@dataclass(frozen=True)
class LegendEntry:
    """One legend line: ``kind`` is point, ring, polygon, area, proxy_area or ramp."""

    label: str
    color: str = "#333333"
    kind: str = "point"
    ramp: tuple[tuple[str, str], ...] = ()
    note: str = ""


def swatch(e: LegendEntry) -> str:
    """The small symbol drawn before a legend label."""
    c = html.escape(e.color)
    base = "display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:-1px;"
    styles = {
        "point": f"border-radius:50%;background:{c};opacity:.9",
        "ring": f"border-radius:50%;border:1.5px dotted {c};width:10px;height:10px",
        "polygon": f"border:1.5px solid {c};background:rgba(0,0,0,.04);width:10px;height:10px",
        "area": f"border:1.5px solid {c};background:{c}55;width:10px;height:10px",
        # hatched like the map draws it, solid outline (a dotted one is an error ring)
        "proxy_area": (f"border:2px solid {c};width:9px;height:9px;background:repeating-linear-gradient("
                       f"135deg,{c}aa 0 1.3px,{c}1f 1.3px 4px)"),
    }
    return f"<span style='{base}{styles.get(e.kind, styles['point'])}'></span>"


def _ramp_html(e: LegendEntry) -> str:
    steps = "".join(f"<div><span style='display:inline-block;width:18px;height:10px;"
                    f"background:{html.escape(c)};margin-right:6px;opacity:.8'></span>"
                    f"{html.escape(lab)}</div>" for c, lab in e.ramp)
    return (f"<div style='margin-top:4px'><b>{html.escape(clip_text(e.label, TIP_CHARS))}</b>{steps}"
            + (f"<div style='color:#555'>{html.escape(e.note)}</div>" if e.note else "")
            + "</div>")


def legend_html(entries: Sequence[LegendEntry], *, lang: str = "zh", notes: Sequence[str] = ()) -> str:
    """The legend's inner HTML; every label is escaped (and shown at most ``TIP_CHARS`` long)."""
    seen: set[tuple[str, str, str]] = set()
    lines, ring = [], False
    for e in entries:
        if e.kind == "ring":
            ring = True
            continue
        if (e.label, e.color, e.kind) in seen:
            continue
        seen.add((e.label, e.color, e.kind))
        label = html.escape(clip_text(e.label, TIP_CHARS))
        lines.append(_ramp_html(e) if e.kind == "ramp" else f"<div>{swatch(e)}{label}</div>")
    if ring:
        mark = swatch(LegendEntry("", str(palette.ERROR_RING["color"]), "ring"))
        lines.append(f"<div>{mark}{html.escape(t('approx_legend', lang))}</div>")
    lines += [f"<div style='color:#555;margin-top:4px'>{html.escape(n)}</div>" for n in notes]
    return f"<b>{html.escape(t('layers', lang))}</b>" + "".join(lines) if lines else ""
