"""The export page's steps (pages/4_导出_Export.py): the view to export, then each format.

Every choice is keyed on a stable value (layer id, district code name, preset code) and shown
through ``format_func`` in the reader's language; :mod:`ui.memory` keeps the choices across a
language switch and a visit to another page. Static maps (PNG, PDF) and the GeoPackage are made
on a click and kept in the session *with the inputs they were made from*: when any input
changes the download is withdrawn and the result marked out of date. The HTML map is built only
when downloaded, once per view for everyone (:func:`ui.analysis.export_html`); CSV and GeoJSON
per layer are written when downloaded and, like every export here, follow the district filter.
The briefing pack is the ``export-briefing`` command run in a child process
(:func:`atlas.io.briefing.pack_zip`), once per set of inputs and day for every session.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import geopandas as gpd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from atlas.analysis.scenarios import Scenario
from atlas.analysis.service_area import areas_for
from atlas.data.names import district_name
from atlas.errors import AtlasError
from atlas.i18n import t
from atlas.io.downloads import layer_csv, layer_geojson
from atlas.io.export import (
    PRESETS,
    ExportError,
    export_name,
    in_districts,
    render_static_map,
    save_html,
    write_geopackage,
)
from atlas.staticmap import briefing_subtitle, district_mask, map_title
from atlas.webmap import areas_group, band_overlays, build_map
from ui import analysis, common, memory

PAGE = "export"
WIDGETS = ("ex_layers", "ex_districts", "ex_title", "ex_sub", "ex_preset", "ex_areas", "ex_bands")
#: The walking bands of graduated circles (minutes).
BANDS = (5.0, 10.0, 15.0)
MADE = "ex_made"  # kind -> {"inputs": ..., "data": bytes, "file": str}


@dataclass(frozen=True)
class View:
    """What the planner chose to export: layers, districts, titles, page preset, circles."""

    visible: tuple[str, ...]
    districts: tuple[str, ...]
    title: str
    subtitle: str
    preset: str
    with_areas: bool
    bands: bool = False  # the circles as nested 5/10/15-minute bands

    @property
    def minutes(self) -> tuple[float, ...]:
        """The circles' walking times: the bands, or the 15-minute circle alone."""
        return BANDS if self.bands else (BANDS[-1],)


district_label = district_name  # the Export page's name for atlas.data.names.district_name


def choose_view(lang: str) -> View:
    """The layer and district choice, titles (empty = automatic), page preset and circles."""
    layers = common.catalogue()
    titles = {lyr.id: lyr.title(lang) for lyr in layers}
    names = common.districts().name_zh.tolist()
    memory.restore(PAGE, lang, {
        "ex_layers": [lyr.id for lyr in layers if lyr.visible], "ex_districts": [],
        "ex_title": "", "ex_sub": "", "ex_preset": "a4-landscape", "ex_areas": False, "ex_bands": False,
    }, options={"ex_layers": list(titles), "ex_districts": names, "ex_preset": list(PRESETS)})
    visible = st.multiselect(t("layers", lang), list(titles), key="ex_layers",
                             format_func=titles.__getitem__)
    chosen = st.multiselect(t("district_filter", lang), names, key="ex_districts",
                            format_func=partial(district_label, lang=lang),
                            placeholder=t("export_unfiltered", lang))
    # empty = automatic: the title names the chosen districts, the subtitle says what is shown
    title = st.text_input(t("export_map_title", lang), key="ex_title",
                          placeholder=map_title([district_label(n, lang) for n in chosen], lang),
                          help=t("export_title_auto", lang))
    subtitle = st.text_input(t("export_subtitle", lang), key="ex_sub",
                             placeholder=auto_subtitle(visible, chosen, lang,
                                                       with_areas=bool(st.session_state["ex_areas"]),
                                                       bands=bool(st.session_state["ex_bands"])),
                             help=t("export_title_auto", lang))
    preset = st.selectbox(t("export_preset", lang), sorted(PRESETS), key="ex_preset",
                          format_func=lambda p: t(f"preset_{p}", lang))
    a1, a2 = st.columns(2)
    with_areas = a1.checkbox(t("export_with_areas", lang), key="ex_areas")
    bands = a2.checkbox(t("export_bands", lang), key="ex_bands", disabled=not with_areas)
    memory.remember(PAGE, lang, WIDGETS)
    return View(tuple(visible), tuple(chosen), title, subtitle, str(preset), bool(with_areas),
                bool(with_areas and bands))


def auto_subtitle(visible: list[str], chosen: list[str], lang: str, *, with_areas: bool,
                  bands: bool = False) -> str:
    """The subtitle a map gets when the field is left empty (the map's own default)."""
    frames = common.layer_frames()
    drawn = [(lyr, frames[lyr.id][district_mask(frames[lyr.id], chosen)])
             for lyr in common.catalogue() if lyr.id in visible and lyr.id in frames
             and lyr.id != "districts"]
    return briefing_subtitle(drawn, lang, service_areas=with_areas, bands=BANDS if bands else ())


def data_token() -> tuple[str, ...]:
    """Data versions of every layer (HTML and table exports are rebuilt when one changes)."""
    return analysis.layers_token(tuple(lyr.id for lyr in common.catalogue()))


def visible_tables(view: View) -> dict[str, gpd.GeoDataFrame]:
    """The export tables of the layers in view, cut to the district filter."""
    tables = {k: v for k, v in analysis.layer_tables(data_token()).items() if k in view.visible}
    return in_districts(tables, view.districts, boundaries=common.districts())


def file_name(view: View, lang: str, suffix: str, *parts: str) -> str:
    """``鄞州区_a4-landscape_zh_2026-11-28.png``: districts, ``parts``, date (safe characters)."""
    return export_name([district_label(n, lang) for n in view.districts], day=date.today(),
                       suffix=suffix, parts=parts, whole=t("all_districts", lang))


def map_downloads(view: View, lang: str) -> None:
    """PNG, PDF, HTML and GeoPackage of the view, side by side; a refusal is shown, not raised.

    Nothing is made without a layer (the buttons are off and say why).
    """
    empty = not view.visible
    if empty:
        st.warning(t("export_no_layers", lang))
    c1, c2, c3, c4 = st.columns(4)
    inputs = (view, lang, data_token())
    for col, kind, label in ((c1, "png", "PNG"), (c2, "pdf", "PDF")):
        _made_on_click(col, kind=kind, label=label, inputs=inputs, disabled=empty, lang=lang,
                       make=partial(_static, kind, view, lang),
                       file=file_name(view, lang, f".{kind}", view.preset, lang),
                       mime="image/png" if kind == "png" else "application/pdf")
    # built only when downloaded (a callable), once per view for everyone (ui/analysis.py)
    html_key = (view.visible, view.districts, lang, view.minutes if view.with_areas else (), data_token())
    c3.download_button(t("export_html", lang), lambda: analysis.export_html(*html_key, _html),
                       file_name(view, lang, ".html", lang), "text/html", disabled=empty)
    _made_on_click(c4, kind="gpkg", label="GeoPackage", inputs=inputs, disabled=empty, lang=lang,
                   make=lambda: _bytes_of(lambda p: write_geopackage(visible_tables(view), p),
                                          "atlas.gpkg"),
                   file=file_name(view, lang, ".gpkg"), mime="application/geopackage+sqlite3")


def _made_on_click(col: DeltaGenerator, *, kind: str, label: str, inputs: tuple[Any, ...],
                   make: Callable[[], bytes], file: str, mime: str, lang: str, disabled: bool) -> None:
    """A "make" button that keeps the file with the inputs it was made from, and its download.

    A file made from other inputs (filter, layers, layout, language, titles, data) is not
    offered: it is dropped and marked out of date, so a stale map never goes out.
    """
    made = st.session_state.setdefault(MADE, {})
    if col.button(t("export_make", lang) + f" {label}", key=f"ex_{kind}_make", disabled=disabled):
        made.pop(kind, None)  # a refused map leaves no older one behind
        try:
            made[kind] = {"inputs": inputs, "data": make(), "file": file}
        except AtlasError as exc:  # said below the row; the other formats stay on offer
            st.error(exc.message(lang))
    entry = made.get(kind)
    if entry is None:
        return
    if entry["inputs"] != inputs:
        entry["data"] = b""  # the stale bytes go; the note stays until the next make
        col.caption("⚠ " + t("export_outdated", lang))
        return
    col.download_button(t(f"export_{kind}", lang), entry["data"], entry["file"], mime,
                        key=f"ex_{kind}_download")


def layer_data(view: View, lang: str) -> None:
    """CSV and GeoJSON of each layer in view, cut to the district filter, written when downloaded."""
    st.subheader(t("export_layer_data", lang))
    st.caption(t("export_filtered", lang, names=("、" if lang != "en" else ", ").join(
        district_label(n, lang) for n in view.districts)) if view.districts
        else t("export_unfiltered", lang))
    titles = {lyr.id: lyr.title(lang) for lyr in common.catalogue()}
    for lid, gdf in visible_tables(view).items():
        b, c = st.columns(2)
        what = {"title": titles[lid], "n": len(gdf)}  # each button says whose data it is
        csv, gj = file_name(view, lang, ".csv", lid), file_name(view, lang, ".geojson", lid)
        b.download_button(t("export_csv_of", lang, **what), partial(layer_csv, gdf, lang), csv, "text/csv",
                          key=f"csv_{lid}", disabled=gdf.empty)
        c.download_button(t("export_geojson_of", lang, **what), partial(layer_geojson, gdf, lang), gj,
                          "application/geo+json", key=f"gj_{lid}", disabled=gdf.empty)


@st.cache_resource(show_spinner=False)
def _pack_slot() -> threading.BoundedSemaphore:
    """One briefing pack is built at a time per server (each takes a core for 15 s – 2 min)."""
    return threading.BoundedSemaphore(1)


@st.cache_resource(show_spinner=False, max_entries=3)
def _pack(districts: tuple[str, ...], lang: str, preset: str, day: str,
          networks: tuple[Any, ...], minutes: tuple[float, ...] = ()) -> bytes:
    """The briefing pack of these inputs, built once per day for every session (a ZIP, ≤ 30 MB)."""
    from atlas.io.briefing import pack_zip

    slot = _pack_slot()
    if not slot.acquire(timeout=5.0):
        raise ExportError(t("export_pack_busy", "zh"), t("export_pack_busy", "en"))
    try:
        return pack_zip(lang=lang, preset=preset, districts=districts or None,
                        time_s=120.0 + 60.0 * (len(districts) or 10), minutes=minutes or None)
    finally:
        slot.release()


def pack_download(view: View, lang: str) -> None:
    """Build the whole briefing pack for the chosen districts (all when none) and offer it."""
    st.subheader(t("export_pack_title", lang))
    st.caption(t("export_pack_help", lang))
    names = view.districts
    networks = tuple(common.cached_network_record(f"district:{code}") for code in
                     common.districts().set_index("name_zh").loc[list(names), "adcode"]) if names else ()
    bands = view.minutes if view.bands else ()  # the pack's circles follow the circles chosen above
    inputs = (names, lang, view.preset, date.today().isoformat(), networks, bands)
    made = st.session_state.setdefault(MADE, {})
    if st.button(t("export_pack", lang), key="ex_pack_make"):
        where = "、".join(district_label(n, lang) for n in names) or t("all_districts", lang)
        try:
            with st.spinner(t("export_pack_running", lang, districts=where)):
                made["pack"] = {"inputs": inputs, "data": _pack(*inputs), "file": ""}
        except AtlasError as exc:
            made.pop("pack", None)
            st.error(exc.message(lang))
    entry = made.get("pack")
    if entry is None:
        return
    if entry["inputs"] != inputs:
        entry["data"] = b""
        st.caption("⚠ " + t("export_outdated", lang))
        return
    st.download_button(t("export_pack_download", lang), entry["data"],
                       file_name(view, lang, ".zip", "briefing", view.preset, lang), "application/zip",
                       key="ex_pack_download")


def briefing_download(view: View, lang: str) -> None:
    """The coverage briefing page (PNG, PDF) of a district or the city, in the view's page preset.

    The scope is the one district chosen above (the city when none or several are chosen, or
    as picked here); the supply is bases, galleries or both, as on the Coverage page. The page
    is made on a click and withdrawn when an input changes, like the static maps.
    """
    from atlas.analysis.supply import SUPPLY_CHOICES, supply_label

    st.subheader(t("export_brief_title", lang))
    st.caption(t("export_brief_help", lang))
    names = common.districts().name_zh.tolist()
    scopes = ["", *names]
    default = view.districts[0] if len(view.districts) == 1 else ""
    c1, c2 = st.columns(2)
    scope = c1.selectbox(t("export_brief_scope", lang), scopes, index=scopes.index(default),
                         key=f"ex_brief_scope_{default}",
                         format_func=lambda n: district_label(n, lang) if n else t("all_districts", lang))
    supply = c2.radio(t("cov_supply", lang), list(SUPPLY_CHOICES), index=2, horizontal=True,
                      key="ex_brief_supply", format_func=lambda c: supply_label(c, lang))
    scen = st.session_state.get("scenario")
    with_scen = bool(scen is not None and scen.sites and st.checkbox(
        t("export_brief_scenario", lang, badge=scen.badge(lang)), key="ex_brief_scen"))
    scenario = scen if with_scen else None
    what_if = (scen.name, tuple((s["id"], s["lon"], s["lat"], str(s.get("name", ""))) for s in scen.sites)) \
        if scenario is not None else None
    inputs = (str(scope), str(supply), view.preset, lang, data_token(), date.today().isoformat(), what_if)
    b1, b2 = st.columns(2)
    label = district_label(str(scope), lang) if scope else t("all_districts", lang)
    for col, kind in ((b1, "png"), (b2, "pdf")):
        _made_on_click(col, kind=f"brief_{kind}", label=t("export_brief_fmt", lang, fmt=kind.upper()),
                       inputs=inputs, lang=lang,
                       disabled=False, make=partial(_briefing, kind, str(scope) or None, str(supply),
                                                    view.preset, lang, scenario),
                       file=export_name([label], day=date.today(), suffix=f".{kind}",
                                        parts=("coverage", view.preset, lang), whole=label),
                       mime="image/png" if kind == "png" else "application/pdf")


def _briefing(kind: str, scope: str | None, supply: str, preset: str, lang: str,
              scenario: Scenario | None) -> bytes:
    """The coverage briefing page of ``scope`` (a district, or None for the city) as bytes.

    With a ``scenario`` its hypothetical sites are drawn and counted, and the page carries its badge.
    """
    from atlas.coverage.brief import briefing_inputs, render_coverage_briefing

    inputs = briefing_inputs(scope, frames=common.layer_frames(), districts=common.districts(),
                             population=common.population(), supply=supply, scenario=scenario, lang=lang)
    return _bytes_of(lambda p: render_coverage_briefing(inputs, p, layers=common.catalogue(),
                                                        frames=common.layer_frames(), lang=lang,
                                                        preset=preset), f"brief.{kind}")


def _areas(chosen: tuple[str, ...], minutes: tuple[float, ...] = BANDS[-1:]) -> gpd.GeoDataFrame | None:
    """15-minute circles (or nested bands, ``minutes``) of the 科普 sites in view.

    On the district's cached network when one district with a network is chosen, else labelled
    straight-line proxies.
    """
    kepu = common.layer_frames()["kepu_sites"]
    sites = kepu[~kepu.geometry.isna()]
    if chosen:
        sites = sites[sites.district.isin(chosen)]
    if sites.empty:
        return None
    net = None
    if len(chosen) == 1:
        code = common.districts().set_index("name_zh").loc[chosen[0], "adcode"]
        net = common.cached_network_for(f"district:{code}")
    return areas_for(sites, network=net, minutes=list(minutes) if len(minutes) > 1 else minutes[0])


def _bytes_of(write: Callable[[Path], Path], name: str) -> bytes:
    """What ``write`` writes to a temporary file called ``name``."""
    with tempfile.TemporaryDirectory() as d:
        return write(Path(d) / name).read_bytes()


def _static(kind: str, view: View, lang: str) -> bytes:
    """The static map (``png`` or ``pdf``) of the view."""
    return _bytes_of(lambda p: render_static_map(
        common.catalogue(), common.layer_frames(), p, title=view.title.strip() or None,
        subtitle=view.subtitle.strip() or None, lang=lang, preset=view.preset,
        visible=view.visible, districts=view.districts or None,
        areas=_areas(view.districts, view.minutes) if view.with_areas else None), f"map.{kind}")


def _html(visible: tuple[str, ...], chosen: tuple[str, ...], lang: str, minutes: tuple[float, ...]) -> bytes:
    """The standalone interactive map of a view (the builder :func:`ui.analysis.export_html` calls).

    ``minutes`` are the circles' walking times (none: no circles; several: nested bands).
    """
    area_frame = _areas(chosen, minutes) if minutes else None
    groups = [] if area_frame is None else [o.group() for o in band_overlays(area_frame, lang=lang)] \
        if len(minutes) > 1 else [areas_group(area_frame, lang=lang)]
    fmap = build_map(common.catalogue(), common.layer_frames(), lang=lang, basemap="none", visible=visible,
                     districts=chosen or None, layer_control=True, tasks=common.tasks_by_number(),
                     extra_groups=groups)
    return _bytes_of(lambda p: save_html(fmap, p), "atlas.html")
