"""The export page's steps (pages/4_导出_Export.py): the view to export, then each format.

Static maps (PNG, PDF) and the GeoPackage are made on a click and kept in the session; the HTML
map is built only when downloaded, once per view for everyone (:func:`ui.analysis.export_html`);
CSV and GeoJSON per layer are written when downloaded.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import geopandas as gpd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from atlas.errors import AtlasError
from atlas.export import (
    PRESETS,
    render_static_map,
    save_html,
    write_csv,
    write_geojson,
    write_geopackage,
)
from atlas.i18n import t
from atlas.service_area import areas_for
from atlas.staticmap import map_title
from atlas.webmap import areas_group, build_map
from ui import analysis, common


@dataclass(frozen=True)
class View:
    """What the planner chose to export: layers, districts, titles, page preset, circles."""

    visible: tuple[str, ...]
    districts: tuple[str, ...]
    title: str
    subtitle: str
    preset: str
    with_areas: bool


def choose_view(lang: str) -> View:
    """The layer and district choice, titles (empty = automatic), page preset and circles."""
    layers = common.catalogue()
    titles = {lyr.id: lyr.title(lang) for lyr in layers}
    visible = st.multiselect(t("layers", lang), list(titles),
                             default=[lyr.id for lyr in layers if lyr.visible], key="ex_layers",
                             format_func=titles.__getitem__)
    chosen = st.multiselect(t("district_filter", lang), common.districts().name_zh.tolist(),
                            key="ex_districts")
    # empty = automatic: the title names the chosen districts, the subtitle counts what is shown
    title = st.text_input(t("export_map_title", lang), value="", key="ex_title",
                          placeholder=map_title(chosen, lang), help=t("export_title_auto", lang))
    subtitle = st.text_input(t("export_subtitle", lang), value="", key="ex_sub",
                             placeholder=t("export_title_auto", lang))
    preset = st.selectbox(t("export_preset", lang), sorted(PRESETS),
                          index=sorted(PRESETS).index("a4-landscape"), key="ex_preset")
    with_areas = st.checkbox(t("export_with_areas", lang), value=False, key="ex_areas")
    return View(tuple(visible), tuple(chosen), title, subtitle, str(preset), bool(with_areas))


def data_token() -> tuple[str, ...]:
    """Data versions of every layer (HTML and table exports are rebuilt when one changes)."""
    return analysis.layers_token(tuple(lyr.id for lyr in common.catalogue()))


def visible_tables(view: View) -> dict[str, gpd.GeoDataFrame]:
    """The export tables of the layers in view."""
    return {k: v for k, v in analysis.layer_tables(data_token()).items() if k in view.visible}


def map_downloads(view: View, lang: str) -> None:
    """PNG, PDF, HTML and GeoPackage of the view, side by side; a refusal is shown, not raised."""
    c1, c2, c3, c4 = st.columns(4)
    try:
        _made_on_click(c1, view, kind="png", label="PNG", make=lambda: _static("png", view, lang),
                       file="atlas_map.png", mime="image/png", lang=lang)
        _made_on_click(c2, view, kind="pdf", label="PDF", make=lambda: _static("pdf", view, lang),
                       file="atlas_map.pdf", mime="application/pdf", lang=lang)
        # built only when downloaded (a callable), once per view for everyone (ui/analysis.py)
        html_key = (view.visible, view.districts, lang, view.with_areas, data_token())
        c3.download_button(t("export_html", lang), lambda: analysis.export_html(*html_key, _html),
                           "atlas_map.html", "text/html")
        _made_on_click(c4, view, kind="gpkg", label="GeoPackage",
                       make=lambda: _bytes_of(lambda p: write_geopackage(visible_tables(view), p),
                                              "atlas.gpkg"),
                       file="atlas.gpkg", mime="application/geopackage+sqlite3", lang=lang)
    except AtlasError as exc:
        st.error(exc.message(lang))


def _made_on_click(col: DeltaGenerator, view: View, *, kind: str, label: str,
                   make: Callable[[], bytes], file: str, mime: str, lang: str) -> None:
    """A "make" button that keeps the file in the session, and its download once made."""
    if col.button(t("export_make", lang) + f" {label}", key=f"ex_{kind}_make"):
        st.session_state[f"ex_{kind}"] = make()
    if f"ex_{kind}" in st.session_state:
        col.download_button(t(f"export_{kind}", lang), st.session_state[f"ex_{kind}"], file, mime)


def layer_data(view: View, lang: str) -> None:
    """CSV and GeoJSON of each layer in view, written when downloaded."""
    st.subheader(t("export_layer_data", lang))
    titles = {lyr.id: lyr.title(lang) for lyr in common.catalogue()}
    for lid, gdf in visible_tables(view).items():
        a, b, c = st.columns([2, 1, 1])
        a.write(f"{titles[lid]} ({len(gdf)})")
        b.download_button("CSV", partial(_bytes_of, partial(write_csv, gdf), f"{lid}.csv"),
                          f"{lid}.csv", "text/csv", key=f"csv_{lid}")
        c.download_button("GeoJSON", partial(_bytes_of, partial(write_geojson, gdf), f"{lid}.geojson"),
                          f"{lid}.geojson", "application/geo+json", key=f"gj_{lid}")


def _areas(chosen: tuple[str, ...]) -> gpd.GeoDataFrame | None:
    """15-minute circles of the 科普 sites in view.

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
    return areas_for(sites, network=net)


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
        areas=_areas(view.districts) if view.with_areas else None), f"map.{kind}")


def _html(visible: tuple[str, ...], chosen: tuple[str, ...], lang: str, with_areas: bool) -> bytes:
    """The standalone interactive map of a view (the builder :func:`ui.analysis.export_html` calls)."""
    area_frame = _areas(chosen) if with_areas else None
    fmap = build_map(common.catalogue(), common.layer_frames(), lang=lang, basemap="none", visible=visible,
                     districts=chosen or None, layer_control=True, tasks=common.tasks_by_number(),
                     extra_groups=[areas_group(area_frame, lang=lang)] if area_frame is not None else [])
    return _bytes_of(lambda p: save_html(fmap, p), "atlas.html")
