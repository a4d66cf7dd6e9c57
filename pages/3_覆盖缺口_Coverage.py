"""Coverage gaps: who is outside every 15-minute circle, and where new 科普 sites help most."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from atlas import fmt
from atlas.coverage import coverage, proxy_coverage
from atlas.errors import AtlasError
from atlas.i18n import t
from atlas.scenarios import Scenario, load_scenarios, save_scenario
from atlas.siting import candidates_from_gaps, recommend
from atlas.webmap import build_map, cells_group, points_group
from ui import common
from ui.cards import md_escape
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
if net is None:
    st.warning(t("cov_mode_proxy", lang))
    demand = common.city_proxy_demand()
    if scope != "city":
        demand = demand[demand.district == scope]
else:
    st.success(f"{t('cov_mode_network', lang)} — {md_escape(net.describe(lang))}")
    demand = common.network_demand(*rec, scope)

preset = st.radio(t("sa_budget", lang), ["15", "800", "1000"], horizontal=True, key="cov_preset",
                  format_func=lambda p: "15 min × 4.5 km/h" if p == "15" else f"{p} m")
opts: dict[str, float] = {} if preset == "15" else {"metres": float(preset)}

# current scenario: the planner's added candidate sites
scen: Scenario = st.session_state.setdefault("scenario", Scenario("方案1"))
point_layers = [lyr for lyr in layers if lyr.geometry == "point"]
site_layers = st.multiselect(t("sa_layers", lang), [lyr.id for lyr in point_layers],
                             default=["kepu_sites"], key="cov_layers",
                             format_func=lambda i: next(x.title(lang) for x in point_layers if x.id == i))
chosen_frames = [frames[i] for i in site_layers] or [frames["kepu_sites"].iloc[:0]]
kepu = gpd.GeoDataFrame(pd.concat(chosen_frames, ignore_index=True), crs="EPSG:4326")
existing = kepu[~kepu.geometry.isna()][["id", "name_zh", "geometry"]]
added = gpd.GeoDataFrame(
    {"id": [s["id"] for s in scen.sites], "name_zh": [s["name"] for s in scen.sites]},
    geometry=gpd.points_from_xy([s["lon"] for s in scen.sites], [s["lat"] for s in scen.sites]),
    crs="EPSG:4326")
sites = gpd.GeoDataFrame(pd.concat([existing, added], ignore_index=True), crs="EPSG:4326")

try:
    cov = (coverage(net, demand, sites, **opts) if net is not None
           else proxy_coverage(demand, sites, **opts))
except AtlasError as exc:
    st.error(exc.message(lang))
    st.stop()
names = site_names(frames, lang)
if cov.flagged_sites:
    st.caption(t("cov_flagged", lang) + md_escape("、".join(names.get(i, i) for i in cov.flagged_sites)))

c1, c2, c3 = st.columns(3)
c1.metric(t("cov_pct", lang), fmt.pct(cov.pct_covered))
c2.metric(t("cov_covered_pop", lang), fmt.people(cov.covered_population))
c3.metric(t("cov_uncovered", lang), fmt.people(cov.total_population - cov.covered_population))
q = cov.distance_quantiles()
st.caption(t("cov_quantiles", lang) + ": " + " · ".join(
    f"{k} {'> ' + fmt.metres(cov.budget) if v == float('inf') else fmt.metres(v)}"
    for k, v in q.items()))

cells = cov.cells(resolution=7 if scope == "city" else None)
gaps = cov.gaps()
k = st.slider(t("cov_k", lang), 1, 10, 3, key="cov_k")
cand_source = st.selectbox(t("cov_candidates", lang), ["gaps", *[x.id for x in point_layers]],
                           key="cov_cand_src", format_func=lambda i: t("cov_cand_gaps", lang) if i == "gaps"
                           else next(x.title(lang) for x in point_layers if x.id == i))
if cand_source == "gaps":
    candidates = candidates_from_gaps(gaps, cells=cov.cells())
else:
    cf = frames[cand_source]
    candidates = cf[~cf.geometry.isna()][["id", "name_zh", "geometry"]].rename(columns={"name_zh": "name"})
reco, info = recommend(cov, candidates, k, net=net)

st.info(t("cov_click_hint", lang))
groups = [cells_group(cells, lang=lang, basemap=basemap),
          points_group(reco.assign(label=[f"#{r} +{p:,.0f}" for r, p in
                                          zip(reco["rank"], reco.marginal_population, strict=True)])
                       if len(reco) else reco, label_column="label", color="#2a9d8f",
                       name=t("cov_reco", lang), basemap=basemap),
          points_group(added, label_column="name_zh", color="#111111", name=t("cov_added", lang),
                       basemap=basemap)]
fmap = build_map(layers, frames, lang=lang, basemap=basemap, tianditu_key=tdt_key,
                 visible=["districts", *site_layers],
                 districts=None if scope == "city" else [scope], extra_groups=groups)
out = st_folium(fmap, height=620, use_container_width=True, key="cov_map",
                returned_objects=["last_clicked"])
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
    by = cov.by_district().assign(method=cov.method, budget_m=cov.budget)
    show_table(by, lang)
    st.subheader(t("cov_gaps", lang))
    show_table(gaps.head(20), lang)
with right:
    st.subheader(t("cov_reco", lang))
    if reco.empty and str(info.get("method", "")).startswith("none ("):
        st.info(t("cov_reco_needs_network", lang))
    else:
        st.caption(f"{info.get('method')} · greedy gap to optimum: "
                   f"{info.get('greedy_gap_pct', float('nan')):.2f} %")
    show_table(reco, lang, names=names)
    st.subheader(t("cov_scenario", lang))
    name = st.text_input(t("cov_scenario_name", lang), value=scen.name, key="cov_scen_name")
    show_table(added.assign(lon=added.geometry.x, lat=added.geometry.y).drop(columns="id"), lang)
    drop = st.multiselect(t("cov_remove", lang), [s["id"] for s in scen.sites], key="cov_drop",
                          format_func=lambda i: next(s["name"] for s in scen.sites if s["id"] == i))
    if drop and st.button(t("cov_remove", lang) + " ✕", key="cov_drop_btn"):
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
    if pick and st.button(t("cov_load", lang) + " ↩"):
        st.session_state["scenario"] = next(s for s in load_scenarios() if s.name == pick)
        st.rerun()

st.subheader(t("cov_download", lang))
d1, d2, d3 = st.columns(3)
d1.download_button("by_district.csv", fmt.table(by, lang).to_csv(index=False).encode("utf-8-sig"),
                   "coverage_by_district.csv", "text/csv")
d2.download_button("gaps.geojson", gaps.to_json(), "coverage_gaps.geojson", "application/geo+json")
d3.download_button("recommended.geojson", reco.to_json() if len(reco) else "{}",
                   "recommended_sites.geojson", "application/geo+json")
