"""The coverage briefing page: the gap map, the supply's circles, the figures and the table.

One page (PNG or PDF; 16:9 slide, A4 landscape or portrait; Chinese or English) a planner can
put in front of a vice-mayor: the district (or the whole city) with every 科普 point of the
chosen supply and its 15-minute circles, what is certainly outside them, the headline figures
and the district table beside the map. Every figure comes from
:func:`atlas.coverage.summary.coverage_summary` (the Coverage page's function) and is formatted
by :mod:`atlas.fmt`; offline they are bounds and a labelled estimate, never one bare figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from atlas import fmt, settings
from atlas.analysis.service_area import areas_for
from atlas.analysis.supply import SUPPLY_CHOICES, supply_label, supply_sites
from atlas.coverage.cells import BAND, GAP
from atlas.coverage.summary import METHOD_BOUNDS, CoverageSummary, coverage_summary
from atlas.coverage.text import approx_people
from atlas.data.catalogue import Layer
from atlas.data.names import district_name
from atlas.i18n import t
from atlas.staticmap import map_title, render_static_map
from atlas.staticmap.scene import GapClasses
from atlas.staticmap.sidebar import Sidebar
from atlas.staticmap.titles import month_label
from atlas.webmap.shading import CLASS_COLOURS

if TYPE_CHECKING:
    from atlas.analysis.scenarios import Scenario

#: Colour of a scenario's hypothetical sites (magenta stars: never a real site's symbol).
SCENARIO_COLOUR = "#CC3311"

#: Colour of cells whose coverage is unknown (the supply source lists no row in their district).
NO_DATA_COLOUR = "#BBBBBB"
#: How far (degrees, ~1.5 km) outside the area a site may stand and still reach into it.
REACH_DEG = 0.015


@dataclass
class BriefingInputs:
    """What one briefing page shows: the scope, its coverage and the circles drawn."""

    scope: str | None  # a district's name_zh, or None for the whole city
    summary: CoverageSummary
    areas: gpd.GeoDataFrame
    supply: str
    badge: str = ""
    network: Any = None  # the district's walking network, when one is cached
    added: gpd.GeoDataFrame | None = None  # a scenario's hypothetical sites (drawn as their own layer)


def briefing_inputs(scope: str | None, *, frames: dict[str, gpd.GeoDataFrame],
                    districts: gpd.GeoDataFrame, population: pd.DataFrame, supply: str = "both",
                    scenario: Scenario | None = None, lang: str = "zh",
                    minutes: Sequence[float] | None = None) -> BriefingInputs:
    """Coverage of a district (its cached walking network when there is one) or of the city.

    The demand and the summary are made as on the Coverage page: street demand on a cached
    network, else each district's residents spread by area (:func:`atlas.analysis.demand.proxy_demand`),
    and :func:`atlas.coverage.summary.coverage_summary` of ``supply`` plus the hypothetical
    sites of ``scenario``, if any: the page then carries its badge
    (:func:`atlas.analysis.scenarios.badge`, in ``lang``). The circles are those of every supply point
    that can reach into the scope: 15-minute circles, or nested bands with ``minutes`` (e.g.
    5, 10, 15: the coverage figures stay those of the 15-minute budget).
    """
    from atlas.analysis.demand import demand_points, proxy_demand
    from atlas.analysis.scenarios import sites_frame
    from atlas.data.geodata import resolve_district
    from atlas.network import find_cached_path, load_buildings, load_network

    net = None
    if scope is None:
        demand = proxy_demand(districts, population)
        shape = districts.union_all()
    else:
        row = resolve_district(scope, districts)
        scope = str(row["name_zh"])
        one = districts[districts.name_zh == scope]
        path = find_cached_path(f"district:{row['adcode']}")
        net = load_network(path) if path is not None else None
        if net is not None and path is not None:
            demand = demand_points(net, one, population, buildings=load_buildings(path))
        else:
            demand = proxy_demand(one, population)
        shape = one.union_all()
    added = sites_frame(scenario, lang) if scenario is not None and scenario.sites else None
    sites = supply_sites(supply, frames=frames, added=added)
    summary = coverage_summary(demand, sites, network=net, supply=supply)
    near = sites[sites.within(shape.buffer(REACH_DEG))]
    walk: float | list[float] = (list(minutes) if minutes is not None and len(minutes) > 1
                                 else settings.WALK_MINUTES)
    areas = areas_for(near, network=net, minutes=walk) if len(near) else gpd.GeoDataFrame(  # type: ignore[arg-type]
        {"method": []}, geometry=[], crs="EPSG:4326")
    badge = scenario.badge(lang) if added is not None and scenario is not None else ""
    return BriefingInputs(scope, summary, areas, supply, badge, net, added)


def _bounds(summary: CoverageSummary) -> bool:
    return bool(summary.method == METHOD_BOUNDS)


def key_figures(summary: CoverageSummary, lang: str) -> tuple[tuple[str, str], ...]:
    """The headline figures (value, label): bounds and a labelled estimate offline."""
    c = summary.city()
    if c.status != "ok":
        return ((fmt.MISSING, t("brief_no_figure", lang)),)
    gap = _gap_figure(summary, c, lang)
    if _bounds(summary):
        return (("≤ " + fmt.pct(c.pct_upper), t("cov_upper", lang)),
                ("≈ " + fmt.pct(c.pct_estimate), t("cov_estimate", lang)), gap)
    return ((fmt.pct(c.pct_upper), t("brief_network_pct", lang)), gap)


def _gap_figure(summary: CoverageSummary, row: pd.Series, lang: str) -> tuple[str, str]:
    """What is certainly outside: the area, or the people (with how they were placed).

    When people are placed by area the inputs hold the area: it is the figure, and the head
    count it stands for is said as such ("按面积折算约 …").
    """
    if "certain_gap_area_km2" in row.index:
        return (fmt.km2(row["certain_gap_area_km2"]),
                f"{t('cov_certain_gap_area', lang)} · {approx_people(row['certain_gap_population'], lang)}")
    q = summary.demand_label(lang, form="qualifier")
    key = "cov_certain_gap" if _bounds(summary) else "cov_uncovered"
    qual = f" ({q})" if lang == "en" else f"（{q}）"
    return fmt.people(row["certain_gap_population"]), t(key, lang) + qual


def district_table(summary: CoverageSummary, lang: str) -> pd.DataFrame:
    """The coverage-by-district table as text (with the city's row when there are several)."""
    from atlas.data.geodata import load_districts

    by = summary.by_district(lang)
    order = {n: i for i, n in enumerate(load_districts().name_zh)}  # the districts' own order
    by = by.iloc[sorted(range(len(by)), key=lambda i: (order.get(by.zone.iloc[i], len(order)), i))]
    rows = [by]
    if len(by) > 1:
        rows.append(summary.city(name=t("all_districts", lang), lang=lang).to_frame().T)
    df = pd.concat(rows, ignore_index=True)
    bounds = _bounds(summary)
    area = "certain_gap_area_km2" in df.columns
    out = pd.DataFrame({t("brief_col_district", lang): [district_name(z, lang) for z in df.zone]})
    if bounds:
        out[t("brief_col_upper", lang)] = ["≤ " + fmt.pct(v) if _known(v) else fmt.MISSING
                                           for v in df.pct_upper]
        out[t("brief_col_estimate", lang)] = ["≈ " + fmt.pct(v) if _known(v) else fmt.MISSING
                                              for v in df.pct_estimate]
    else:
        out[t("brief_col_pct", lang)] = [fmt.pct(v) for v in df.pct_upper]
    out[t("brief_col_gap_km2" if area else "brief_col_gap_people", lang)] = [
        fmt.km2(v) if area else fmt.people(v)
        for v in (df.certain_gap_area_km2 if area else df.certain_gap_population)]
    return out


def _known(v: Any) -> bool:
    return v is not None and not pd.isna(v)


def gap_layer(summary: CoverageSummary, *, city: bool, lang: str
              ) -> tuple[gpd.GeoDataFrame, GapClasses | None]:
    """The gap cells in their classes, as on the Coverage page's map, and their legend.

    Offline, or when people are placed by area, the cells are drawn in the classes of
    :meth:`atlas.coverage.summary.CoverageSummary.band_cells` (certainly outside; the uncertain
    band between the straight-line bounds) in the web map's colours, not graded by people per
    km²: the inputs hold no head count per place. With a network and a real population the
    graduated people-per-km² shading is kept (``None``: the map's default classes). Cells whose
    supply source lists no row are a class of their own (coverage unknown) in both cases.
    """
    res = 7 if city else None
    if not _bounds(summary) and not summary.by_area:
        cells = summary.cells(resolution=res)
        unknown = cells.no_data.astype(bool) if "no_data" in cells else pd.Series(False, index=cells.index)
        if not unknown.any():
            return cells, None
        return cells[unknown].assign(fill=NO_DATA_COLOUR), GapClasses(
            t("brief_gap_title", lang), ((t("brief_no_data_class", lang), NO_DATA_COLOUR),))
    cells = summary.band_cells(resolution=res)
    unknown = cells.no_data.astype(bool).to_numpy()
    cls = cells.cls.astype(str).to_numpy()
    fill = [NO_DATA_COLOUR if nd else CLASS_COLOURS.get(c, "") for c, nd in zip(cls, unknown, strict=True)]
    entries = [(t("cov_class_gap", lang), CLASS_COLOURS[GAP])]
    if (cls[~unknown] == BAND).any():
        entries.append((t("cov_class_band", lang), CLASS_COLOURS[BAND]))
    if unknown.any():
        entries.append((t("brief_no_data_class", lang), NO_DATA_COLOUR))
    title = t("brief_gap_title_area" if summary.by_area else "brief_gap_title", lang)
    return cells.assign(fill=fill), GapClasses(title, tuple(entries))


def sidebar(inputs: BriefingInputs, lang: str) -> Sidebar:
    """Figures, notes and the district table of a briefing page."""
    s = inputs.summary
    notes = [s.demand_label(lang, form="sentence")]
    missing = s.supply_note(lang=lang)
    if missing:
        notes.append(missing)
    highlight = district_name(inputs.scope, lang) if inputs.scope else t("all_districts", lang)
    return Sidebar(figures=key_figures(s, lang), table=district_table(s, lang),
                   notes=tuple(n for n in notes if n), badge=inputs.badge, highlight=highlight,
                   caption=t("brief_table_caption", lang))


def briefing_title(scope: str | None, lang: str) -> str:
    """"鄞州区 · 15分钟科普服务圈覆盖简报" / "Ningbo (whole city) · 15-minute …"."""
    where = district_name(scope, lang) if scope else t("brief_city", lang)
    return map_title([where], lang, base=t("brief_title", lang))


def briefing_subtitle(inputs: BriefingInputs, lang: str, *, today: date) -> str:
    """Supply, walking budget, how the figures were made, and the month."""
    s = inputs.summary
    how = t("brief_how_bounds", lang) if _bounds(s) else t("brief_how_network", lang)
    parts = [t("brief_supply", lang, supply=supply_label(inputs.supply, lang)),
             t("brief_budget", lang, m=fmt.metres(s.budget)), how, month_label(today, lang)]
    return " · ".join(parts)


def scenario_layer(badge: str) -> Layer:
    """A map layer for a scenario's hypothetical sites, named by the scenario's badge."""
    return Layer(id="scenario_sites", title_zh=badge, title_en=badge, source="user", geometry="point",
                 order=99, visible=True, style={"color": SCENARIO_COLOUR, "marker": "*"},
                 popup_fields=("name_zh",), tooltip="name_zh", legend_zh=badge, legend_en=badge,
                 attribution=badge)


def render_coverage_briefing(inputs: BriefingInputs, path: str | Path, *, layers: list[Layer],
                             frames: dict[str, gpd.GeoDataFrame], lang: str = "zh",
                             preset: str = "slide-16x9", dpi: int = 300, today: date | None = None,
                             beside: str | None = None, record: dict[str, Any] | None = None,
                             also: Iterable[str | Path] = ()) -> Path:
    """Draw the coverage briefing page of ``inputs`` and save it (PNG or PDF by suffix).

    ``also``: the same page saved to these paths too, drawn once (see ``render_static_map``).

    The map shows the scope's districts, every point of the supply (galleries as small dots
    when they are part of it) with their circles, and the gaps; beside it the headline
    figures, how people were placed, and the district table. A scenario's badge heads the side.
    """
    today = today or date.today()
    cells, classes = gap_layer(inputs.summary, city=inputs.scope is None, lang=lang)
    visible = ["districts", *(lid for lid in SUPPLY_CHOICES[inputs.supply][0] if lid in frames)]
    if inputs.added is not None and len(inputs.added):
        layer = scenario_layer(inputs.badge)
        layers, frames = [*layers, layer], {**frames, layer.id: inputs.added.assign(
            name_en=inputs.added.name_zh, district=inputs.scope or "")}
        visible.append(layer.id)
    notes = [t("brief_note_area" if inputs.summary.by_area else "brief_note_classes", lang)] \
        if (classes is not None and len(classes.entries) > 1) or inputs.summary.by_area else []
    return render_static_map(layers, frames, path, title=briefing_title(inputs.scope, lang),
                             subtitle=briefing_subtitle(inputs, lang, today=today), lang=lang,
                             preset=preset, dpi=dpi, visible=visible,
                             districts=[inputs.scope] if inputs.scope else None, areas=inputs.areas,
                             cells=cells, notes=notes, today=today, record=record,
                             sidebar=sidebar(inputs, lang), gap_classes=classes, beside=beside,
                             also=also)
