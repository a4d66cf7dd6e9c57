"""Title, subtitle and footer (date, CRS, notes, attributions) of a static map."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from atlas.i18n import t
from atlas.staticmap.style import FOOTER_IN, MARGIN_IN

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.font_manager import FontProperties

    from atlas.data.catalogue import Layer
    from atlas.staticmap.layout import Frame
    from atlas.staticmap.scene import Scene

#: Site categories of the plan's innovation carriers and of science-popularisation facilities.
INNOVATION = frozenset({"port", "innovation_pole", "district_hub", "hightech_park", "lab", "university"})
KEPU = frozenset({"kepu_site", "kepu_gallery"})
#: How an imported layer's coordinates came (``position_method`` ``import:<datum>``).
DATUMS = {"wgs84": "WGS84", "gcj02": "GCJ-02→WGS84", "bd09": "BD-09→WGS84"}


def map_title(districts: Iterable[str] | None, lang: str = "zh", *, base: str | None = None) -> str:
    """The map title for the current filter: "江北区 · 宁波科创空间图谱" (city: just the base).

    ``districts`` are the names as the reader sees them (English names on English maps:
    :attr:`Scene.focus_labels`).
    """
    base = base or t("app_title", lang)
    names = list(districts or [])
    if not names:
        return base
    sep = "、" if lang != "en" else ", "
    return f"{sep.join(names)} · {base}"


def month_label(day: date, lang: str) -> str:
    """"2026年11月" / "November 2026"."""
    return day.strftime("%B %Y") if lang == "en" else f"{day.year}年{day.month}月"


def briefing_subtitle(drawn: Sequence[tuple[Layer, gpd.GeoDataFrame]], lang: str, *,
                      today: date | None = None, service_areas: bool = False,
                      gaps: bool = False, bands: Sequence[float] = ()) -> str:
    """A briefing subtitle: what the map is about, then the month ("科创载体与科普设施分布 · 2026年11月").

    The topic follows the categories of the features drawn (``drawn``: each layer with the
    features it shows): innovation carriers, 科普 facilities or both, else the layers' own
    titles; then the service areas (their ``bands`` when graduated: "5/10/15 分钟分级服务圈")
    and gap shading when they are on the map.
    """
    cats: set[str] = set()
    titles = []
    for lyr, g in drawn:
        if len(g):
            titles.append(lyr.title(lang))
            if "category" in g:
                cats |= set(g["category"].dropna().astype(str))
    innov, kepu = bool(cats & INNOVATION), bool(cats & KEPU)
    if innov or kepu:
        topic = t("sub_topic_both" if innov and kepu else "sub_topic_innov" if innov else "sub_topic_kepu",
                  lang)
    else:
        topic = ("、" if lang != "en" else ", ").join(titles[:2]) or t("sub_topic_districts", lang)
    parts = [topic]
    if service_areas and len(bands) > 1:  # graduated: "5/10/15 分钟步行圈"
        parts.append(t("sub_service_bands", lang, bands="/".join(f"{m:g}" for m in sorted(bands))))
    elif service_areas:
        parts.append(t("sub_service_areas", lang))
    if gaps:
        parts.append(t("sub_gaps", lang))
    return " · ".join([*parts, month_label(today or date.today(), lang)])


def map_subtitle(scene: Scene, lang: str, *, today: date | None = None) -> str:
    """The default subtitle of a map (:func:`briefing_subtitle` of what ``scene`` shows in focus)."""
    from atlas.staticmap.symbols import area_bands

    drawn = [(lyr, g[g.focus] if "focus" in g else g) for lyr, g in [*scene.points, *scene.polygons]]
    return briefing_subtitle(drawn, lang, today=today,
                             service_areas=scene.areas is not None and len(scene.areas) > 0,
                             gaps=scene.cells is not None and len(scene.cells) > 0,
                             bands=area_bands(scene.areas))


def crs_words(crs: str, lang: str) -> str:
    """A CRS as a reader names it: "WGS 84 / UTM zone 51N (EPSG:32651)" / "WGS 84 / UTM 第51N带（…）"."""
    import pyproj

    c = pyproj.CRS(crs)
    if lang == "en":
        return f"{c.name} ({crs})"
    zone = c.utm_zone
    if zone:
        return f"{c.name.split(' / ')[0]} / UTM 第{zone}带（{crs}）"
    if c.is_geographic:
        return f"{c.name} 经纬度（{crs}）"
    return f"{c.name}（{crs}）"


def layer_attributions(drawn: Sequence[tuple[Layer, gpd.GeoDataFrame]], lang: str, *,
                       beside: str | None = None) -> list[str]:
    """One source line for every layer drawn, declared or derived from its features.

    A layer that declares no ``attribution`` is named by its features' ``source`` column:
    a planner's import says so, with the datum it came in; shipped lists that share a source
    file are grouped, with their one source or the number of per-feature sources (with where
    they are listed only when that table goes with the page: ``beside``, e.g. "atlas.gpkg").
    """
    out = [lyr.credit(lang) for lyr, _ in drawn if lyr.attribution]
    groups: dict[str, list[tuple[Layer, gpd.GeoDataFrame]]] = {}
    for lyr, g in drawn:
        if not lyr.attribution:
            groups.setdefault(lyr.id if lyr.source == "user" else lyr.source, []).append((lyr, g))
    out += [_derived(group, lang, beside=beside) for group in groups.values()]
    return out


def _derived(group: list[tuple[Layer, gpd.GeoDataFrame]], lang: str, *, beside: str | None) -> str:
    """The source line of layers that declare none (see :func:`layer_attributions`)."""
    colon = ": " if lang == "en" else "："
    lyr, g = group[0]
    if lyr.source == "user":
        methods = set(g.position_method.dropna().astype(str)) if "position_method" in g else set()
        datums = sorted({DATUMS.get(m.split(":")[1], m.split(":")[1]) for m in methods
                         if m.startswith("import:") and m.count(":") >= 1})
        how = ("，" if lang != "en" else ", ").join([t("attr_user_import", lang), *datums])
        return f"{lyr.title(lang)} ({how})" if lang == "en" else f"{lyr.title(lang)}（{how}）"
    titles = [x.title(lang) for x, _ in group]
    names = ("、" if lang != "en" else ", ").join(titles) if len(titles) <= 2 else \
        t("attr_n_layers", lang, n=len(titles))
    sources = sorted({str(s).strip() for _, f in group if "source" in f
                      for s in f["source"].dropna() if str(s).strip()})
    if len(sources) == 1:
        return f"{names}{colon}{sources[0]}"
    if sources:
        how = t("attr_per_feature_in", lang, n=len(sources), where=beside) if beside else \
            t("attr_per_feature", lang, n=len(sources))
        return f"{names}{colon}{how}"
    return f"{names}{colon}{lyr.source}"


def attribution_lines(drawn: Sequence[tuple[Layer, gpd.GeoDataFrame]], lang: str,
                      extra: Iterable[str] = (), *, beside: str | None = None) -> list[str]:
    """Each drawn layer's attribution, then ``extra`` sources, then OSM's, without repeats."""
    out = [*layer_attributions(drawn, lang, beside=beside), *extra, t("attr_osm", lang)]
    return list(dict.fromkeys(out))


def _fit_width(text: object, width_px: float, *, smallest: float) -> None:
    """Shrink a figure text's font until it is at most ``width_px`` wide (not below ``smallest``)."""
    from matplotlib.text import Text

    assert isinstance(text, Text)
    fig = text.get_figure()
    renderer = fig.canvas.get_renderer()  # type: ignore[union-attr]
    for _ in range(6):
        w = text.get_window_extent(renderer).width
        size = float(text.get_fontsize())
        if w <= width_px or size <= smallest:
            return
        text.set_fontsize(max(smallest, size * width_px / w * 0.98))


def header_footer(frame: Frame, font: FontProperties, *, title: str, subtitle: str, lang: str,
                  crs: str, attributions: list[str], notes: list[str], today: date) -> None:
    """Title and subtitle in the top band; date, CRS, notes and attributions in the footer.

    A title too long for the page's width is set smaller (never off the page).
    """
    fig = frame.fig
    x = MARGIN_IN / frame.width_in
    width_px = (frame.width_in - 2 * MARGIN_IN) * fig.dpi
    head = fig.text(x, 1 - 0.22 / frame.height_in, title, fontproperties=font, fontsize=16,
                    weight="bold", va="top")
    _fit_width(head, width_px, smallest=10)
    if subtitle:
        fig.text(x, 1 - 0.58 / frame.height_in, subtitle, fontproperties=font, fontsize=9.5,
                 color="#444444", va="top")
    colon = ": " if lang == "en" else "："
    footer = [f"{t('map_date', lang)}{colon}{today.isoformat()} · {t('map_crs', lang)}{colon}"
              f"{crs_words(crs, lang)}" + ("".join(f" · {n}" for n in notes)),
              f"{t('attribution', lang)}{colon}" + " · ".join(attributions)]
    fig.text(x, (FOOTER_IN - 0.12) / frame.height_in, "\n".join(footer), fontproperties=font,
             fontsize=6.3, color="#333333", va="top", wrap=True, linespacing=1.5)
