"""Coverage gaps: who is outside every 15-minute circle, and where new 科普 sites help most.

Every figure comes from atlas.coverage_summary.coverage_summary (network value, or offline
bounds + a labelled estimate) and atlas.accessibility (E2SFCA on the same matrix).
"""

from __future__ import annotations

import geopandas as gpd
import streamlit as st

from atlas import fmt
from atlas.accessibility import DECAYS
from atlas.coverage_summary import METHOD_BOUNDS
from atlas.errors import AtlasError
from atlas.i18n import t
from atlas.scenarios import Scenario, load_scenarios, save_scenario
from atlas.supply import KIND_OF_LAYER, SUPPLY_CHOICES, supply_label, supply_sites
from atlas.webmap import basemap_datum, points_overlay
from ui import analysis, common, mapview
from ui.cards import md_escape
from ui.coverage_inputs import population_input, zones_input
from ui.tables import show_table, site_names

lang = common.language()
st.title(t("cov_title", lang))
layers = common.catalogue()
frames = common.layer_frames()
districts = common.districts()
basemap, tdt_key = common.basemap_picker(lang)

scopes = ["city", *districts.name_zh.tolist()]
scope = st.selectbox(t("cov_scope", lang), scopes, key="cov_scope",
                     format_func=lambda s: t("cov_city_proxy", lang) if s == "city" else s)
rec = None
if scope != "city":
    row = districts.set_index("name_zh").loc[scope]
    rec = common.cached_network_record(f"district:{row['adcode']}")
net = common.network_at(*rec) if rec else None
reconciliation = None
if net is None:
    st.warning(t("cov_bounds_note", lang))
    scope_d = districts if scope == "city" else districts[districts.name_zh == scope]
    demand, reconciliation = population_input(lang, districts=scope_d, population=common.population())
    if demand is None:
        demand = common.city_proxy_demand()
        if scope != "city":
            demand = demand[demand.district == scope]
        demand_key: tuple = ("area-uniform", scope)
    else:
        demand_key = ("upload", analysis.frame_key(demand))
else:
    st.success(f"{t('cov_mode_network', lang)} — {md_escape(net.describe(lang))}")
    demand = common.network_demand(*rec, scope)
    demand_key = ("network", rec, scope)

preset = st.radio(t("sa_budget", lang), ["15", "800", "1000"], horizontal=True, key="cov_preset",
                  format_func=lambda p: "15 min × 4.5 km/h" if p == "15" else f"{p} m")
opts: dict[str, float] = {} if preset == "15" else {"metres": float(preset)}

# which 科普 points are in play: bases, galleries or both, plus the planner's layers and scenario
scen: Scenario = st.session_state.setdefault("scenario", Scenario("方案1"))
point_layers = [lyr for lyr in layers if lyr.geometry == "point"]
s1, s2 = st.columns(2)
choice = s1.radio(t("cov_supply", lang), list(SUPPLY_CHOICES), index=2, horizontal=True, key="cov_supply",
                  format_func=lambda c: supply_label(c, lang))
extra_ids = s2.multiselect(t("cov_extra_layers", lang),
                           [x.id for x in point_layers if x.id not in KIND_OF_LAYER], key="cov_layers",
                           format_func=lambda i: next(x.title(lang) for x in point_layers if x.id == i))
added = gpd.GeoDataFrame(
    {"id": [s["id"] for s in scen.sites], "name_zh": [s["name"] for s in scen.sites]},
    geometry=gpd.points_from_xy([s["lon"] for s in scen.sites], [s["lat"] for s in scen.sites]),
    crs="EPSG:4326")
try:
    base_sites = analysis.supply(choice, tuple(extra_ids), analysis.layers_token(tuple(extra_ids)))
    sites = supply_sites(choice, frames=frames, added=added, extra={i: frames[i] for i in extra_ids}) \
        if len(added) else base_sites
    # computed once per input for every session (ui/analysis.py); a scenario adds its sites only
    layer_ids = (*SUPPLY_CHOICES[choice][0], *extra_ids)
    base = analysis.coverage_base(demand_key, analysis.sites_key(layer_ids, added.iloc[:0]), choice,
                                  analysis.options_key(opts), demand, base_sites, net)
    ckey = (demand_key, analysis.sites_key(layer_ids, added), choice, analysis.options_key(opts))
    summary = analysis.coverage_with(ckey, base, added)
except AtlasError as exc:
    st.error(exc.message(lang))
    st.stop()
bounds = summary.method == METHOD_BOUNDS
names = site_names(frames, lang)
if "kepu_galleries" in SUPPLY_CHOICES[choice][0]:
    st.caption(t("cov_gallery_note", lang))
if summary.flagged_sites:
    st.caption(t("cov_flagged", lang) + md_escape("、".join(names.get(i, i) for i in summary.flagged_sites)))

(st.info if bounds else st.success)(analysis.derived(ckey, "headline", (lang,), summary))
city = analysis.derived(ckey, "city", (), summary)
c1, c2, c3 = st.columns(3)
if bounds:
    c1.metric(t("cov_upper", lang), "≤ " + fmt.pct(city.pct_upper))
    c2.metric(t("cov_certain_gap", lang), fmt.people(city.certain_gap_population))
    c3.metric(t("cov_estimate", lang), "≈ " + fmt.pct(city.pct_estimate))
else:
    c1.metric(t("cov_pct", lang), fmt.pct(city.pct_upper))
    c2.metric(t("cov_covered_pop", lang), fmt.people(city.population - city.certain_gap_population))
    c3.metric(t("cov_uncovered", lang), fmt.people(city.certain_gap_population))
if reconciliation is not None:
    with st.expander(t("pop_reconciliation", lang)):
        show_table(reconciliation, lang)

cov, cells, gaps = analysis.coverage_tables(ckey, 7 if scope == "city" else None, summary)
if not bounds:
    q = cov.distance_quantiles()
    st.caption(t("cov_quantiles", lang) + ": " + " · ".join(
        f"{k} {'> ' + fmt.metres(cov.budget) if v == float('inf') else fmt.metres(v)}"
        for k, v in q.items()))

a1, a2 = st.columns(2)
decay = a1.radio(t("acc_decay", lang), DECAYS, horizontal=True, key="cov_decay",
                 format_func=lambda d: t(f"acc_decay_{d}", lang))
show_acc = a2.toggle(t("acc_show", lang), value=False, key="cov_show_acc")
acc = analysis.accessibility_of(ckey, decay, summary, sites)

k = st.slider(t("cov_k", lang), 1, 10, 3, key="cov_k")
cand_source = st.selectbox(t("cov_candidates", lang), ["gaps", *[x.id for x in point_layers]],
                           key="cov_cand_src", format_func=lambda i: t("cov_cand_gaps", lang) if i == "gaps"
                           else next(x.title(lang) for x in point_layers if x.id == i))
if cand_source == "gaps":
    candidates, source = None, ("gaps", "")
else:
    cf = frames[cand_source]
    candidates = cf[~cf.geometry.isna()][["id", "name_zh", "geometry"]].rename(columns={"name_zh": "name"})
    source = (cand_source, analysis.layers_token((cand_source,))[0])
reco, info = analysis.recommendation(ckey, k, source, cov, gaps, candidates, net)

st.info(t("cov_click_hint", lang))
scope_names = tuple(districts.name_zh) if scope == "city" else (scope,)
groups = [analysis.gap_overlay(ckey, 7 if scope == "city" else None, scope_names, lang, basemap,
                               t("cov_certain_gaps_layer", lang) if bounds else None, cells)]
if show_acc:
    groups.append(analysis.access_overlay(ckey, decay, 7 if scope == "city" else 8, lang, basemap, acc))
groups += [points_overlay(reco.assign(label=[f"#{r} +{p:,.0f}" for r, p in
                                             zip(reco["rank"], reco.marginal_population, strict=True)])
                          if len(reco) else reco, label_column="label", color="#2a9d8f",
                          name=t("cov_reco", lang), basemap=basemap),
           points_overlay(added, label_column="name_zh", color="#111111", name=t("cov_added", lang),
                          basemap=basemap)]
visible = ["districts", *SUPPLY_CHOICES[choice][0], *extra_ids]
views = mapview.catalogue_views(visible, lang=lang, datum=basemap_datum(basemap),
                                districts=None if scope == "city" else [scope])
base_map = mapview.base(lang=lang, basemap=basemap, tianditu_key=tdt_key)
if base_map.error:
    st.error(base_map.error)
fit = None if scope == "city" else mapview.extent([v for v in views if v.layer_id == "districts"])
out = mapview.show(base_map, [*(mapview.view_overlay(v, lang=lang) for v in views), *groups], key="cov_map",
                   height=620, lang=lang, fit=fit, returned_objects=["last_clicked"])
click = common.new_click_wgs84(out, basemap=basemap, key="cov")
if click is not None:
    lon, lat = click
    try:
        scen.add_site(lon, lat)
        st.rerun()
    except AtlasError as exc:
        st.error(exc.message(lang))

left, right = st.columns(2)
with left:
    st.subheader(t("cov_by_district", lang))
    by = analysis.derived(ckey, "by_district", (), summary)
    show_table(by, lang)
    st.subheader(t("acc_title", lang))
    st.caption(acc.label(lang))
    acc_by = analysis.derived((ckey, decay), "by_district", (), acc)
    show_table(acc_by, lang)
    st.subheader(t("cov_gaps", lang))
    show_table(gaps.head(20), lang)
with right:
    st.subheader(t("cov_reco", lang))
    if reco.empty and str(info.get("method", "")).startswith("none ("):
        st.info(t("cov_reco_needs_network", lang))
    else:
        st.caption(fmt.siting_note(info, lang))
    show_table(reco, lang, names=names)
    st.subheader(t("cov_scenario", lang))
    name = st.text_input(t("cov_scenario_name", lang), value=scen.name, key="cov_scen_name")
    show_table(added.assign(lon=added.geometry.x, lat=added.geometry.y).drop(columns="id"), lang)
    drop = st.multiselect(t("cov_remove", lang), [s["id"] for s in scen.sites], key="cov_drop",
                          format_func=lambda i: next(s["name"] for s in scen.sites if s["id"] == i))
    if drop and st.button(t("cov_remove_btn", lang), key="cov_drop_btn"):
        scen.sites = [s for s in scen.sites if s["id"] not in drop]
        st.rerun()
    b1, b2 = st.columns(2)
    if b1.button(t("cov_save", lang)):
        scen.name = name.strip() or scen.name
        try:
            version = save_scenario(scen)
            st.success(t("cov_saved", lang) + f"v{version}")
        except AtlasError as exc:
            st.error(exc.message(lang))
    if b2.button(t("cov_clear", lang)):
        st.session_state["scenario"] = Scenario(scen.name)
        st.rerun()
    try:
        saved_names = [s.name for s in load_scenarios()]
    except AtlasError as exc:
        st.error(exc.message(lang))
        saved_names = []
    pick = st.selectbox(t("cov_load", lang), ["", *saved_names], key="cov_load")
    if pick and st.button(t("cov_load_btn", lang), key="cov_load_btn"):
        st.session_state["scenario"] = next(s for s in load_scenarios() if s.name == pick)
        st.rerun()

if "kepu_galleries" in frames:
    with st.expander(t("cov_gallery_counts", lang)):
        show_table(analysis.gallery_counts(), lang)

st.subheader(t("cov_zones", lang))
zones = zones_input(lang, key="cov_zone_file")
by_zone = None
if zones is not None:
    by_zone = summary.by_zone(zones).merge(acc.by_zone(zones)[["zone", "score_per_10k", "pct_no_access"]],
                                           on="zone", how="left")
    show_table(by_zone, lang)

st.subheader(t("cov_download", lang))
d1, d2, d3, d4 = st.columns(4)  # files are made when downloaded (callables), not on every rerun
by_csv = fmt.table(by.merge(acc_by[["zone", "score_per_10k", "pct_no_access"]], on="zone"), lang)
d1.download_button("by_district.csv", lambda: by_csv.to_csv(index=False).encode("utf-8-sig"),
                   "coverage_by_district.csv", "text/csv")
d2.download_button("gaps.geojson", lambda: gaps.to_json(), "coverage_gaps.geojson", "application/geo+json")
d3.download_button("e2sfca.csv", lambda: acc.points().drop(columns="geometry").to_csv(index=False)
                   .encode("utf-8-sig"), "e2sfca_points.csv", "text/csv")
d4.download_button("recommended.geojson", lambda: reco.to_json() if len(reco) else "{}",
                   "recommended_sites.geojson", "application/geo+json")
if by_zone is not None:
    st.download_button("by_zone.csv", fmt.table(by_zone, lang).to_csv(index=False).encode("utf-8-sig"),
                       "coverage_by_zone.csv", "text/csv")
