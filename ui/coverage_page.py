"""The coverage page's steps (pages/3_覆盖缺口_Coverage.py): demand, supply, figures, map, tables.

Every figure comes from :func:`atlas.coverage.summary.coverage_summary` (network value, or
offline bounds and a labelled estimate) and :mod:`atlas.analysis.accessibility` (E2SFCA on the same
matrix). The analyses are computed once per input for every session (:mod:`ui.analysis`); the
steps here only choose the inputs and draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from atlas import fmt
from atlas.analysis.accessibility import DECAYS
from atlas.analysis.scenarios import Scenario, clean_label, sites_frame
from atlas.analysis.supply import KIND_OF_LAYER, SUPPLY_CHOICES, supply_label, supply_sites
from atlas.coverage.summary import METHOD_BOUNDS
from atlas.coverage.text import approx_people
from atlas.data.names import district_name
from atlas.errors import AtlasError
from atlas.i18n import t
from atlas.webmap import Overlay, basemap_datum, points_overlay
from ui import analysis, common, mapview, scenario_panel
from ui.cards import md_escape
from ui.coverage_inputs import population_input
from ui.tables import show_table, site_names

if TYPE_CHECKING:
    from atlas.analysis.accessibility import Accessibility
    from atlas.coverage import Coverage
    from atlas.coverage.summary import CoverageSummary
    from atlas.data.catalogue import Layer


@dataclass(frozen=True)
class Demand:
    """Where people are: the scope, its demand points and what they were made from."""

    scope: str
    frame: gpd.GeoDataFrame
    key: tuple[Any, ...]
    network: Any
    reconciliation: pd.DataFrame | None

    @property
    def city(self) -> bool:
        """True for the whole city (gap shading at H3 resolution 7)."""
        return self.scope == "city"


@dataclass(frozen=True)
class Supply:
    """Which 科普 points are in play: bases, galleries or both, extra layers, the scenario's sites."""

    choice: str
    extra_ids: tuple[str, ...]
    scenario: Scenario
    added: gpd.GeoDataFrame
    point_layers: tuple[Layer, ...]
    badge: str = ""

    @property
    def layer_ids(self) -> tuple[str, ...]:
        """The layers whose points are in play."""
        return (*SUPPLY_CHOICES[self.choice][0], *self.extra_ids)


@dataclass(frozen=True)
class Run:
    """One coverage computation and the inputs it was made from."""

    demand: Demand
    supply: Supply
    summary: CoverageSummary
    sites: gpd.GeoDataFrame
    key: tuple[Any, ...]
    frames: dict[str, gpd.GeoDataFrame]
    names: dict[str, str]
    base: CoverageSummary
    base_key: tuple[Any, ...]

    @property
    def bounds(self) -> bool:
        """True offline: the figures are straight-line bounds and an estimate."""
        return bool(self.summary.method == METHOD_BOUNDS)


@dataclass(frozen=True)
class Findings:
    """What a run finds: coverage, display cells, gap clusters, E2SFCA, recommended sites."""

    coverage: Coverage
    cells: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    decay: str
    show_access: bool
    access: Accessibility
    reco: gpd.GeoDataFrame
    reco_info: dict[str, Any]


def demand_source(lang: str) -> Demand:
    """The scope picker, then demand: a cached walking network's streets, or a population source.

    Without a network the page says it shows bounds, and the planner picks a population source
    (area-uniform by default).
    """
    districts = common.districts()
    city = t("cov_city_proxy", lang)
    scope = st.selectbox(t("cov_scope", lang), ["city", *districts.name_zh.tolist()], key="cov_scope",
                         format_func=lambda s: city if s == "city" else district_name(s, lang))
    adcode = None if scope == "city" else districts.set_index("name_zh").loc[scope, "adcode"]
    rec = None if adcode is None else common.cached_network_record(f"district:{adcode}")
    net = common.network_at(*rec) if rec else None
    if net is not None:
        st.success(f"{t('cov_mode_network', lang)} — {md_escape(net.describe(lang))}")
        return Demand(scope, common.network_demand(*rec, scope), ("network", rec, scope), net, None)
    st.warning(t("cov_bounds_note", lang))
    scope_d = districts if scope == "city" else districts[districts.name_zh == scope]
    demand, reconciliation = population_input(lang, districts=scope_d, population=common.population())
    if demand is not None:
        return Demand(scope, demand, ("upload", analysis.frame_key(demand)), None, reconciliation)
    demand = common.city_proxy_demand()
    if scope != "city":
        demand = demand[demand.district == scope]
    return Demand(scope, demand, ("area-uniform", scope), None, reconciliation)


def budget(lang: str) -> dict[str, float]:
    """The walking budget: 15 minutes at 4.5 km/h, or 800 / 1,000 m (coverage options)."""
    preset = st.radio(t("sa_budget", lang), ["15", "800", "1000"], horizontal=True, key="cov_preset",
                      format_func=lambda p: "15 min × 4.5 km/h" if p == "15" else f"{p} m")
    return {} if preset == "15" else {"metres": float(preset)}


def supply_choice(lang: str) -> Supply:
    """Bases, galleries or both, plus the planner's point layers, plus the scenario's sites.

    The scenario's name follows its name field (the badge names it as typed).
    """
    scen = scenario_panel.current()
    typed = clean_label(st.session_state.get("cov_scen_name", ""))
    if typed:
        scen.name = typed
    point_layers = tuple(lyr for lyr in common.catalogue() if lyr.geometry == "point")
    s1, s2 = st.columns(2)
    choice = s1.radio(t("cov_supply", lang), list(SUPPLY_CHOICES), index=2, horizontal=True,
                      key="cov_supply", format_func=lambda c: supply_label(c, lang))
    extra_ids = s2.multiselect(t("cov_extra_layers", lang),
                               [x.id for x in point_layers if x.id not in KIND_OF_LAYER], key="cov_layers",
                               format_func=lambda i: next(x.title(lang) for x in point_layers if x.id == i))
    added = sites_frame(scen, lang)
    return Supply(str(choice), tuple(extra_ids), scen, added, point_layers, scen.badge(lang))


def compute(demand: Demand, supply: Supply, opts: dict[str, float], lang: str) -> Run:
    """Coverage of the demand by the supply (stops the page with a message if it cannot be done).

    The base coverage (without the scenario's sites) is computed once per input for every
    session; a scenario only adds its sites to it (:func:`ui.analysis.coverage_with`).
    """
    frames = common.layer_frames()
    extra_ids = supply.extra_ids
    try:
        base_sites = analysis.supply(supply.choice, extra_ids, analysis.layers_token(extra_ids))
        sites = supply_sites(supply.choice, frames=frames, added=supply.added,
                             extra={i: frames[i] for i in extra_ids}) if len(supply.added) else base_sites
        base = analysis.coverage_base(demand.key, analysis.sites_key(supply.layer_ids, supply.added.iloc[:0]),
                                      supply.choice, analysis.options_key(opts), demand.frame, base_sites,
                                      demand.network)
        key = (demand.key, analysis.sites_key(supply.layer_ids, supply.added), supply.choice,
               analysis.options_key(opts))
        summary = analysis.coverage_with(key, base, supply.added)
    except AtlasError as exc:
        st.error(exc.message(lang))
        st.stop()
    base_key = (demand.key, analysis.sites_key(supply.layer_ids, supply.added.iloc[:0]), supply.choice,
                analysis.options_key(opts))
    return Run(demand, supply, summary, sites, key, frames, site_names(frames, lang), base, base_key)


def headline(run: Run, lang: str) -> None:
    """Notes on the supply, the scenario badge, the qualified headline and the city figures.

    Offline the figures are bounds and an estimate; when people are placed by area what is
    certain is an area (km²), and head counts read "按面积折算约 …". Each caveat is said once.
    """
    if "kepu_galleries" in SUPPLY_CHOICES[run.supply.choice][0]:
        st.caption(t("cov_gallery_note", lang))
    if run.summary.flagged_sites:
        st.caption(t("cov_flagged", lang)
                   + md_escape("、".join(run.names.get(i, i) for i in run.summary.flagged_sites)))
    scenario_panel.show_badge(run.supply.badge)
    (st.info if run.bounds else st.success)(analysis.derived(run.key, "headline", (lang,), run.summary))
    city = analysis.derived(run.key, "city", (), run.summary)
    q = run.summary.demand_label(lang, form="qualifier")
    qual = (f" ({q})" if lang == "en" else f"（{q}）") if q else ""
    c1, c2, c3 = st.columns(3)
    if run.bounds:
        c1.metric(t("cov_upper", lang), "≤ " + fmt.pct(city.pct_upper))
        if run.summary.by_area:
            c2.metric(t("cov_certain_gap_area", lang), fmt.km2(city.certain_gap_area_km2))
            c2.caption(approx_people(city.certain_gap_population, lang))
        else:
            c2.metric(t("cov_certain_gap", lang) + qual, fmt.people(city.certain_gap_population))
        c3.metric(t("cov_estimate", lang), "≈ " + fmt.pct(city.pct_estimate))
    else:
        c1.metric(t("cov_pct", lang), fmt.pct(city.pct_upper))
        c2.metric(t("cov_covered_pop", lang) + qual,
                  fmt.people(city.population - city.certain_gap_population))
        c3.metric(t("cov_uncovered", lang) + qual, fmt.people(city.certain_gap_population))
    sentence = run.summary.demand_label(lang, form="sentence")
    if sentence:
        st.caption(sentence)
    if len(run.supply.added):
        before = analysis.derived(run.base_key, "city", (), run.base)
        scenario_panel.show_change(before, city, method=run.summary.method, demand=run.summary.demand_method,
                                   badge=run.supply.badge, lang=lang)
    if run.demand.reconciliation is not None:
        with st.expander(t("pop_reconciliation", lang)):
            show_table(run.demand.reconciliation, lang)


def findings(run: Run, lang: str) -> Findings:
    """Gaps (with walking-distance quantiles on a network), E2SFCA and recommended sites."""
    cov, cells, gaps = analysis.coverage_tables(run.key, 7 if run.demand.city else None, run.summary)
    if not run.bounds:
        q = cov.distance_quantiles()
        st.caption(t("cov_quantiles", lang) + ": " + " · ".join(
            f"{k} {'> ' + fmt.metres(cov.budget) if v == float('inf') else fmt.metres(v)}"
            for k, v in q.items()))
    a1, a2 = st.columns(2)
    decay = a1.radio(t("acc_decay", lang), DECAYS, horizontal=True, key="cov_decay",
                     format_func=lambda d: t(f"acc_decay_{d}", lang))
    show_acc = a2.toggle(t("acc_show", lang), value=False, key="cov_show_acc")
    acc = accessibility(run, str(decay))
    reco, info = recommendation(run, cov, gaps, lang)
    return Findings(cov, cells, gaps, str(decay), bool(show_acc), acc, reco, info)


def accessibility(run: Run, decay: str) -> Accessibility:
    """E2SFCA of the run; a district offline shows its scores from the city-wide run.

    A run on one district's people alone reads higher near its border (people beyond it share
    its sites but are not counted), so the district's figure is the city run's, restricted.
    """
    if run.demand.key != ("area-uniform", run.demand.scope) or run.demand.city:
        return analysis.accessibility_of(run.key, decay, run.summary, run.sites)
    supply = run.supply
    city_key = ("area-uniform", "city")
    base_sites = analysis.supply(supply.choice, supply.extra_ids, analysis.layers_token(supply.extra_ids))
    opts = run.key[3]
    base = analysis.coverage_base(city_key, analysis.sites_key(supply.layer_ids, supply.added.iloc[:0]),
                                  supply.choice, opts, common.city_proxy_demand(), base_sites, None)
    key = (city_key, *run.key[1:])
    city = analysis.coverage_with(key, base, supply.added)
    acc = analysis.accessibility_of(key, decay, city, run.sites)
    return analysis.derived((key, decay, "restrict"), "restrict", ((run.demand.scope,),), acc)


def recommendation(run: Run, cov: Coverage, gaps: gpd.GeoDataFrame, lang: str
                   ) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """How many sites to add and where candidates come from; the recommended sites."""
    point_layers = run.supply.point_layers
    proxy = run.bounds and run.demand.network is None  # people spread by area: no recommendation
    if proxy:
        st.caption(t("cov_reco_disabled", lang))
    k = st.slider(t("cov_k", lang), 1, 10, 3, key="cov_k", disabled=proxy)
    cand_source = st.selectbox(t("cov_candidates", lang), ["gaps", *[x.id for x in point_layers]],
                               key="cov_cand_src", disabled=proxy,
                               format_func=lambda i: t("cov_cand_gaps", lang) if i == "gaps"
                               else next(x.title(lang) for x in point_layers if x.id == i))
    if cand_source == "gaps":
        candidates, source = None, ("gaps", "")
    else:
        cf = run.frames[cand_source]
        candidates = cf[~cf.geometry.isna()][["id", "name_zh", "geometry"]].rename(
            columns={"name_zh": "name"})
        source = (cand_source, analysis.layers_token((cand_source,))[0])
    return analysis.recommendation(run.key, k, source, cov, gaps, candidates, run.demand.network)


def _overlays(run: Run, found: Findings, lang: str, basemap: str) -> list[Overlay]:
    """Gaps (or E2SFCA instead, never blended), the uncertain band, recommended and added sites.

    Offline the uncertain band (within the straight-line bound, outside the estimate) is its own
    class; where people are placed by area the gaps are one class too (a density ramp would show
    one colour).
    """
    scope = run.demand.scope
    resolution = 7 if run.demand.city else None
    scope_names = tuple(common.districts().name_zh) if run.demand.city else (scope,)
    if found.show_access:
        groups = [analysis.access_overlay(run.key, found.decay, 7 if run.demand.city else 8, lang,
                                          basemap, found.access)]
    else:
        groups = [] if run.summary.by_area else [analysis.gap_overlay(
            run.key, resolution, scope_names, lang, basemap,
            t("cov_certain_gaps_layer", lang) if run.bounds else None, found.cells)]
        if run.bounds:
            groups += analysis.class_overlays(run.key, resolution, scope_names, lang, basemap,
                                              run.summary.by_area,
                                              analysis.band_cells(run.key, resolution, run.summary))
    reco = found.reco
    groups += [points_overlay(reco.assign(label=[f"#{r} +{p:,.0f}" for r, p in
                                                 zip(reco["rank"], reco.marginal_population, strict=True)])
                              if len(reco) else reco, label_column="label", color="#2a9d8f",
                              name=t("cov_reco", lang), basemap=basemap),
               points_overlay(run.supply.added, label_column="name_zh", color="#111111",
                              name=t("cov_added", lang), basemap=basemap)]
    if len(run.supply.added):
        groups.append(analysis.added_areas_overlay(run.key, lang, basemap, run.summary.budget_m,
                                                   run.supply.added, run.demand.network))
    return groups


def coverage_map(run: Run, found: Findings, lang: str, *, basemap: str, tianditu_key: str | None) -> None:
    """The map of supply, gaps and candidates; a click adds a candidate site to the scenario."""
    st.info(t("cov_click_hint", lang))
    groups = _overlays(run, found, lang, basemap)
    scope = run.demand.scope
    visible = ["districts", *run.supply.layer_ids]
    views = mapview.catalogue_views(visible, lang=lang, datum=basemap_datum(basemap),
                                    districts=None if run.demand.city else [scope])
    base_map = mapview.base(lang=lang, basemap=basemap, tianditu_key=tianditu_key)
    if base_map.error:
        st.error(base_map.error)
    fit = None if run.demand.city else mapview.extent([v for v in views if v.layer_id == "districts"])
    out = mapview.show(base_map, [*(mapview.view_overlay(v, lang=lang) for v in views), *groups],
                       key="cov_map", height=620, lang=lang, fit=fit,
                       returned_objects=list(common.CLICK_FIELDS))
    click = common.new_click_wgs84(out, basemap=basemap, key="cov")
    if click is not None:
        lon, lat = click
        try:
            run.supply.scenario.add_site(lon, lat)
            st.rerun()
        except AtlasError as exc:
            st.error(exc.message(lang))
