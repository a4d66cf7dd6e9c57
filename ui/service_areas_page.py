"""The service-areas page's steps (pages/2_科普服务圈_Service_areas.py): area, network, circles.

Walking service areas around 科普 sites are computed on a cached walking network where one
exists for the area, and are labelled straight-line proxies where none does; they are computed
once per area, layers, network and options for every session (:mod:`ui.analysis`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
import streamlit as st

from atlas import fmt, settings
from atlas.analysis.service_area import METHOD_PROXY
from atlas.data.names import district_name
from atlas.errors import AtlasError
from atlas.geo.datum import to_wgs84
from atlas.i18n import stage_label, t
from atlas.network import build_network, resolve_area
from atlas.webmap import basemap_datum
from ui import analysis, auth, common, mapview, memory, network_help
from ui import band_shares as band_table
from ui.cards import md_escape
from ui.osm_extracts import osm_files, uploaded_copy
from ui.tables import show_table, site_names

#: Columns of the results table, in order (graduated bands add ``minutes`` after the site).
RESULT_COLUMNS = ["site_id", "method", "metres", "area_km2", "snap_m", "flag"]
#: The page's name for :mod:`ui.memory` (its choices survive a language switch).
PAGE = "service_areas"
#: The bands of the "5/10/15 minutes" choice.
BANDS_MINUTES = (5.0, 10.0, 15.0)


def choose_area(lang: str, *, basemap: str, tianditu_key: str | None) -> object:
    """A district, a lon/lat box (``"bbox:..."``) or a shape drawn on the map (WGS84).

    Stops the page with a hint while the draw mode has no shape yet.
    """
    districts = common.districts()
    carry_district(districts.name_zh.tolist())
    mode = st.radio(t("sa_area_mode", lang), ["district", "bbox", "draw"], horizontal=True, key="sa_mode",
                    format_func=lambda m: t(f"sa_mode_{m}", lang))
    name = st.selectbox(t("sa_area", lang), districts.name_zh.tolist(), key="sa_district",
                        format_func=lambda n: n if lang == "zh" else
                        str(districts.set_index("name_zh").loc[n, "name_en"]),
                        disabled=mode != "district")
    if mode == "bbox":
        return "bbox:" + st.text_input(t("sa_bbox", lang), value="121.52,29.84,121.58,29.89", key="sa_bbox")
    if mode == "draw":
        return drawn_area(lang, basemap=basemap, tianditu_key=tianditu_key)
    return name


def carry_district(names: list[str]) -> None:
    """Start on the district chosen on the Map page (its filter, key ``district_filter``).

    Only before the planner picks one here; with several chosen there, the first is taken.
    The Map page's widget state is still there during the first run of this page.
    """
    carried = [n for n in (st.session_state.get("district_filter") or []) if n in names]
    if carried and "sa_district" not in st.session_state:
        st.session_state["sa_district"] = carried[0]


def drawn_area(lang: str, *, basemap: str, tianditu_key: str | None) -> shapely.Geometry:
    """The last shape drawn on a map of districts and 科普 sites, back in WGS84 (kept in the session)."""
    st.caption(t("sa_draw_hint", lang))
    datum = basemap_datum(basemap)
    draw_base = mapview.base(lang=lang, basemap=basemap, tianditu_key=tianditu_key, draw=True)
    drawn = mapview.show(draw_base, [mapview.view_overlay(v, lang=lang) for v in mapview.catalogue_views(
        ["districts", "kepu_sites"], lang=lang, datum=datum)], key="sa_draw_map",
        height=420, lang=lang, returned_objects=["last_active_drawing"])
    shape = (drawn or {}).get("last_active_drawing")
    if shape:
        geom = shapely.geometry.shape(shape["geometry"])
        if datum != "wgs84":  # drawn over GCJ-02 tiles: back to WGS84
            geom = shapely.transform(geom, lambda xy: np.column_stack(
                to_wgs84(xy[:, 0], xy[:, 1], datum=datum)))
        st.session_state["sa_drawn"] = geom
    area = st.session_state.get("sa_drawn")
    if area is None:
        st.info(t("sa_draw_hint", lang))
        st.stop()
    return area


def resolve(area: object, lang: str) -> tuple[str, shapely.Geometry]:
    """(cache label, WGS84 geometry) of an area; a bad area stops the page with its message."""
    try:
        return resolve_area(area, districts=common.districts())
    except AtlasError as exc:
        st.error(exc.message(lang))
        st.stop()


def network_panel(area: object, label: str, lang: str) -> None:
    """Which walking network the area has, and how to build one (file, upload or download)."""
    network = common.cached_network_for(label)
    st.subheader(t("sa_network_status", lang))
    if network is None:
        st.warning(t("sa_no_network", lang))
    else:
        st.success(f"{t('sa_network_ok', lang)}: {md_escape(network.describe(lang))}")
    with st.expander(t("sa_build", lang), expanded=network is None):
        network_help.extract_help(lang)
        if not auth.can_edit():  # a build takes the server minutes and replaces the cached network
            st.info(t("sa_build_editors", lang))
            return
        bar = st.progress(0.0)
        folder = settings.OSM_DIR
        files = osm_files(folder)
        if files:
            name = st.selectbox(t("sa_local_file", lang), files, key="sa_osm_file")
            if st.button(t("sa_build_file", lang), disabled=not name):
                _build(area, lang, bar, osm_file=folder / str(name))
        else:
            st.info(t("sa_osm_dir_empty", lang, folder=md_escape(str(folder))))
        upload = st.file_uploader(t("sa_upload", lang), type=["pbf", "osm", "bz2", "gz", "xml", "graphml"],
                                  key="sa_upload")
        if upload is not None and st.button(t("sa_build_upload", lang), key="sa_build_upload"):
            _build_upload(area, lang, bar, upload.name, upload.getbuffer())
        if st.button(t("sa_download", lang)):
            _build(area, lang, bar, online=True)


def _build_upload(area: object, lang: str, bar: Any, name: str, data: Any) -> None:
    """Build from an uploaded file through a temporary copy, removed whatever happens."""
    with uploaded_copy(name, data) as path:
        _build(area, lang, bar, osm_file=path)


def _build(area: object, lang: str, bar: Any, **kw: Any) -> None:
    """Build and cache the area's network with progress, then rerun.

    A failure ends the progress bar with its reason (where it stopped, "failed: ..."), and says
    it again as an error below: a bar is never left standing at its last stage.
    """
    done = [0.0]

    def report(stage: str, frac: float) -> None:
        done[0] = min(max(frac, 0.0), 1.0)
        bar.progress(done[0], text=stage_label(stage, lang))

    try:
        auth.editor_name()  # viewers never build (the button is not shown to them either)
        net, _path = build_network(area, progress=report, **kw)  # type: ignore[arg-type]
    except AtlasError as exc:
        bar.progress(done[0], text=f"{stage_label('failed', lang)}{md_escape(exc.message(lang))}")
        st.error(exc.message(lang))
        return
    st.success(t("sa_built", lang) + md_escape(net.describe(lang)))
    st.rerun()


def options(lang: str) -> tuple[list[str], dict[str, Any]]:
    """The point layers whose sites get circles, and the budget: walking time and speed, or metres.

    The choices survive a language switch (:mod:`ui.memory`).
    """
    titles = {lyr.id: lyr.title(lang) for lyr in common.catalogue() if lyr.geometry == "point"}
    default = [i for i in ("kepu_sites", "kepu_galleries") if i in titles]  # bases and galleries
    presets = ["walk", "bands", "800", "1000"]
    memory.restore(PAGE, lang, {"sa_layers": default, "sa_preset": "walk", "sa_minutes": 15, "sa_speed": 4.5},
                   options={"sa_layers": list(titles), "sa_preset": presets})
    chosen = st.multiselect(t("sa_layers", lang), list(titles), key="sa_layers",
                            format_func=titles.__getitem__)
    cols = st.columns(3)
    preset = cols[0].radio(t("sa_budget", lang), presets, horizontal=True, key="sa_preset",
                           format_func=lambda p: t(f"sa_{p}", lang) if p in ("walk", "bands") else f"{p} m")
    minutes = cols[1].slider(t("sa_minutes", lang), 5, 30, key="sa_minutes", disabled=preset != "walk")
    speed = cols[2].slider(t("sa_speed", lang), 3.0, 6.0, step=0.1, key="sa_speed",
                           disabled=preset not in ("walk", "bands"))
    memory.remember(PAGE, lang, ("sa_layers", "sa_preset", "sa_minutes", "sa_speed"))
    opts: dict[str, Any] = {"minutes": float(minutes), "speed_kmh": float(speed)}
    if preset == "bands":
        opts["minutes"] = BANDS_MINUTES
        st.caption(t("sa_bands_note", lang))
    elif preset != "walk":
        opts["metres"] = float(preset)
    return chosen, opts


def areas_key(area: shapely.Geometry, label: str, chosen: list[str], opts: dict[str, Any]
              ) -> tuple[Any, ...]:
    """The key service areas are computed once for: area, layers and their data, network, options."""
    return (shapely.to_wkb(area), tuple(chosen), analysis.layers_token(tuple(chosen)),
            common.cached_network_record(label), analysis.options_key(opts))


def service_areas(key: tuple[Any, ...], lang: str) -> Any:
    """The service areas of ``key`` (None when no site is in the area), with warnings about them.

    Straight-line proxies and sites too far from any street are said so, by name (once per
    site, whatever the number of bands).
    """
    areas = analysis.service_areas(*key)
    if areas is None:
        st.info(t("sa_no_sites", lang))
        return None
    if (areas.method == METHOD_PROXY).any():
        st.warning(t("sa_method_proxy", lang))
        st.caption(proxy_radius_note(float(areas.metres.iloc[0]), lang))
    flagged = areas[areas.flag != ""]
    if not flagged.empty:
        names = site_names(common.layer_frames(), lang)
        st.warning(t("sa_flagged", lang, m=150) + " "
                   + md_escape("、".join(names.get(i, i) for i in flagged.site_id.unique())))
    return areas


def proxy_radius_note(budget: float, lang: str, *, detour: float = settings.DETOUR_FACTOR) -> str:
    """The straight-line radius drawn in proxy mode: "直线近似：半径 = 1,125 m ÷ 1.3 = 865 m"."""
    radius = fmt.budget(budget / detour)
    return t("sa_proxy_radius", lang, budget=fmt.budget(budget), detour=f"{detour:g}", radius=radius)


def summary_line(key: tuple[Any, ...], areas: Any, lang: str) -> str:
    """How many sites have a circle and the area the circles cover together (overlaps once)."""
    km2 = analysis.service_areas_union_km2(*key)
    n = fmt.count(areas.site_id[areas.flag == ""].nunique())  # sites too far from a street have none
    if areas.minutes.nunique() > 1:  # nested bands: the largest one's union is the union of all
        return t("sa_summary_bands", lang, n=n, m=f"{areas.minutes.max():g}", area=fmt.km2(km2))
    return t("sa_summary", lang, n=n, area=fmt.km2(km2))


def areas_map(key: tuple[Any, ...], chosen: list[str], area: shapely.Geometry, lang: str, *,
              basemap: str, tianditu_key: str | None) -> None:
    """Districts, the chosen layers and their circles, fitted to the area."""
    circles = list(analysis.service_areas_overlay(*key, lang, basemap))
    base = mapview.base(lang=lang, basemap=basemap, tianditu_key=tianditu_key)
    if base.error:
        st.error(base.error)
    views = mapview.catalogue_views(["districts", *chosen], lang=lang, datum=basemap_datum(basemap))
    overlays = [mapview.view_overlay(v, lang=lang) for v in views] + circles
    mapview.show(base, overlays, key="sa_map", height=600, lang=lang, fit=tuple(area.bounds))


def results_table(key: tuple[Any, ...], areas: Any, lang: str) -> None:
    """A summary line, then each site's method, walking distance or radius, area and note.

    Straight-line circles show the radius drawn (budget ÷ detour factor), never a walking distance.
    """
    if areas is None:
        return
    st.markdown(summary_line(key, areas, lang))
    st.subheader(t("sa_results", lang))
    cols = RESULT_COLUMNS if areas.minutes.nunique() <= 1 else ["site_id", "minutes", *RESULT_COLUMNS[1:]]
    table = areas[cols]
    if (areas.method == METHOD_PROXY).all():  # a circle: its radius, not a walking distance
        table = table.assign(metres=areas.metres / settings.DETOUR_FACTOR).rename(
            columns={"metres": "radius_m"})
    show_table(table, lang, names=site_names(common.layer_frames(), lang))


def band_shares(area: object, area_geom: shapely.Geometry, label: str, chosen: list[str],
                opts: dict[str, Any], areas: Any, lang: str) -> tuple[Any, Any] | None:
    """With graduated areas, the share of the area's people within each band, per district.

    The people are the district's (or those within a box or drawn area); every site of the
    chosen layers counts. Returns (shares, summary) for the downloads, or None.
    """
    if areas is None or areas.minutes.nunique() <= 1:
        return None
    district = area if isinstance(area, str) and not area.startswith("bbox:") else None
    network = common.cached_network_record(label)
    key = (shapely.to_wkb(area_geom), district, tuple(chosen), analysis.layers_token(tuple(chosen)),
           network, analysis.options_key(opts))
    got = analysis.area_band_shares(key, lang)
    if got is None:
        return None
    scope = district_name(district, lang) if district else t("bands_scope_area", lang)
    band_table.show(got[0], got[1], lang, scope=scope, total=t("bands_total", lang), say_missing=True,
                    network_areas=network is not None and district is None)
    return got


def downloads(areas: Any, shares: tuple[Any, Any] | None, lang: str) -> None:
    """The service areas (CSV, GeoJSON, GeoPackage: a row per site and band) and the band shares."""
    if areas is None:
        return
    from atlas.io.downloads import band_shares_download, service_area_downloads

    st.subheader(t("sa_downloads", lang))
    files = service_area_downloads(areas, lang, names=site_names(common.layer_frames(), lang))
    if shares is not None:
        files.append(band_shares_download(shares[0], shares[1], lang, total=t("bands_total", lang)))
    for col, d in zip(st.columns(len(files)), files, strict=True):
        col.download_button(d.label, d.make, d.file_name, d.mime, key=f"sa_dl_{d.file_name}")
