"""Title, subtitle and footer (date, CRS, notes, attributions) of a static map."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from atlas import settings
from atlas.i18n import t
from atlas.projection import crs_label
from atlas.staticmap.style import FOOTER_IN, MARGIN_IN

if TYPE_CHECKING:
    from matplotlib.font_manager import FontProperties

    from atlas.catalogue import Layer
    from atlas.staticmap.layout import Frame
    from atlas.staticmap.scene import Scene


def map_title(districts: Iterable[str] | None, lang: str = "zh", *, base: str | None = None) -> str:
    """The map title for the current filter: "江北区 · 宁波科创空间图谱" (city: just the base)."""
    base = base or t("app_title", lang)
    names = list(districts or [])
    if not names:
        return base
    sep = "、" if lang != "en" else ", "
    return f"{sep.join(names)} · {base}"


def map_subtitle(scene: Scene, lang: str) -> str:
    """What the map shows: the area, then each point layer with its number of features."""
    area = (("、" if lang != "en" else ", ").join(scene.focus_names) if scene.focus_names
            else t("all_districts", lang))
    counts = []
    for lyr, g in scene.points:
        n = int(g.focus.sum())
        if n:
            counts.append(f"{lyr.title(lang)} {n}")
    return f"{area} · " + " · ".join(counts) if counts else area


def attribution_lines(layers: Iterable[Layer], shown: set[str], extra: Iterable[str] = ()
                      ) -> list[str]:
    """Each shown layer's attribution, then ``extra`` sources, then OSM's, without repeats."""
    out = [lyr.attribution for lyr in layers if lyr.id in shown and lyr.attribution]
    out += list(extra)
    out.append(settings.ATTRIBUTION_OSM)
    return list(dict.fromkeys(out))


def header_footer(frame: Frame, font: FontProperties, *, title: str, subtitle: str, lang: str,
                  crs: str, attributions: list[str], notes: list[str], today: date) -> None:
    """Title and subtitle in the top band; date, CRS, notes and attributions in the footer."""
    fig = frame.fig
    x = MARGIN_IN / frame.width_in
    fig.text(x, 1 - 0.22 / frame.height_in, title, fontproperties=font, fontsize=16,
             weight="bold", va="top")
    if subtitle:
        fig.text(x, 1 - 0.58 / frame.height_in, subtitle, fontproperties=font, fontsize=9.5,
                 color="#444444", va="top")
    footer = [f"{'制图日期' if lang != 'en' else 'Date'}: {today.isoformat()} · "
              f"{'坐标系' if lang != 'en' else 'CRS'}: {crs_label(crs)}"
              + ("".join(f" · {n}" for n in notes)),
              f"{t('attribution', lang)}: " + " · ".join(attributions)]
    fig.text(x, (FOOTER_IN - 0.12) / frame.height_in, "\n".join(footer), fontproperties=font,
             fontsize=6.3, color="#333333", va="top", wrap=True, linespacing=1.5)
