"""Draw a print-ready map and save it: the steps in order (see :func:`render_static_map`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from atlas.i18n import t
from atlas.io.storage import atomic_write
from atlas.labels import boxes_of
from atlas.staticmap.furniture import panel_scale
from atlas.staticmap.inset import dense_core, draw_inset
from atlas.staticmap.labelling import label_map
from atlas.staticmap.layout import Frame, layout
from atlas.staticmap.legend import draw_legends, legend_handles, wrap_segments
from atlas.staticmap.scene import GapClasses, Scene, build_scene
from atlas.staticmap.sidebar import SIDEBAR_PANEL_IN, Sidebar, place_sidebar
from atlas.staticmap.style import (
    HEADER_IN,
    INSET_MARKER,
    MAIN_MARKER,
    MARGIN_IN,
    PRESETS,
    ExportError,
    cjk_font,
)
from atlas.staticmap.symbols import draw_map
from atlas.staticmap.titles import attribution_lines, header_footer, map_subtitle, map_title

if TYPE_CHECKING:
    from matplotlib.font_manager import FontProperties

    from atlas.data.catalogue import Layer


def render_static_map(layers: list[Layer], frames: Mapping[str, gpd.GeoDataFrame], path: str | Path,
                      *, title: str | None = None, subtitle: str | None = None, lang: str = "zh",
                      preset: str = "a4-landscape", dpi: int = 300,
                      visible: Iterable[str] | None = None, districts: Iterable[str] | None = None,
                      areas: gpd.GeoDataFrame | None = None, cells: gpd.GeoDataFrame | None = None,
                      recommended: gpd.GeoDataFrame | None = None, sources: Iterable[str] = (),
                      notes: Iterable[str] = (), today: date | None = None, inset: bool = True,
                      record: dict[str, Any] | None = None, sidebar: Sidebar | None = None,
                      gap_classes: GapClasses | None = None, beside: str | None = None,
                      also: Iterable[str | Path] = ()) -> Path:
    """Draw a print-ready map and save it as PNG or PDF (by ``path``'s suffix).

    Parameters
    ----------
    layers, frames : list of Layer, mapping
        The catalogue and each layer's features (WGS84), as for the web map.
    path : str or pathlib.Path
        Output ``.png`` (raster at ``dpi``) or ``.pdf`` (vector).
    title, subtitle : str, optional
        Printed at the top; by default they follow the filter (:func:`map_title`,
        :func:`map_subtitle`).
    lang : {"zh", "en"}
        Language of labels, legend and notes.
    preset : {"a4-portrait", "a4-landscape", "slide-16x9"}
        Page size.
    dpi : int
        Raster resolution for PNG (300 for print).
    visible : iterable of str, optional
        Layer ids to draw (default: each layer's ``visible`` flag).
    districts : iterable of str, optional
        Focus on these districts: the map frames them, labels and counts their sites; the
        neighbours are drawn faintly for context.
    areas : geopandas.GeoDataFrame, optional
        Service areas with a ``method`` column; straight-line proxies are hatched and named so.
    cells : geopandas.GeoDataFrame, optional
        Coverage cells with an ``uncovered`` column (the gap map), clipped to the boundary.
    recommended : geopandas.GeoDataFrame, optional
        Recommended new sites (stars).
    sources, notes : iterable of str
        Further source lines and method notes for the footer.
    today : datetime.date, optional
        Date printed on the map (default today).
    inset : bool
        Add an inset of the densest cluster of sites on maps without a district filter.
    record : dict, optional
        Filled with what labelling did: per axes ("main", "inset") the label boxes, reserved
        boxes and the names left out for want of space (display pixels at 100 dpi).
    sidebar : Sidebar, optional
        Key figures and a table printed beside the map (a briefing page: the margin is wider).
    gap_classes : GapClasses, optional
        The cells' own classes (a ``fill`` column on ``cells``) and their legend, instead of the
        graduated people-per-km² shading (e.g. by area when people are placed by area).
    beside : str, optional
        The data file that goes with the page (e.g. "atlas.gpkg"): per-feature sources say
        they are listed there. Without one they give their number only.
    also : iterable of str or pathlib.Path
        The same page saved to these paths too (``.png`` or ``.pdf`` each), drawn once: a PNG
        and a PDF of one page cost one drawing of it.

    Returns
    -------
    pathlib.Path
        ``path``.

    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    # Every text on a map may come from a planner (titles, imported names, layer names): "$...$"
    # must print as typed, not as mathtext (an unbalanced "$$" made the export fail). Set for
    # the process, not in an rc_context: rcParams are global, and a context's exit in one
    # session's thread would restore them under another session's render.
    matplotlib.rcParams["text.parse_math"] = False
    import matplotlib.pyplot as plt

    out = _checked_output(path, preset)
    copies = [_checked_output(p, preset) for p in also]
    font = cjk_font()
    scene = build_scene(layers, frames, lang=lang, visible=visible, districts=districts,
                        areas=areas, cells=cells, recommended=recommended, gap_classes=gap_classes)
    if not _has_content(scene):
        raise ExportError(t("map_nothing_to_draw", "zh"), t("map_nothing_to_draw", "en"))
    today = today or date.today()
    core = dense_core(scene) if inset and not scene.focus_names else None
    title = title or map_title(scene.focus_labels, lang)
    subtitle = _wrapped_subtitle(scene, subtitle, preset=preset, lang=lang, today=today)
    frame = layout(preset, scene.extent, band=core is not None,
                   header=HEADER_IN + 0.17 * subtitle.count("\n"),
                   panel_in=SIDEBAR_PANEL_IN[preset] if sidebar is not None else None)
    try:
        done = _compose(frame, scene, font, title=title, subtitle=subtitle, lang=lang,
                        sources=sources, notes=list(notes), today=today, core=core, sidebar=sidebar,
                        beside=beside, measure=record is not None)
        if record is not None:
            record.update(done)
        for target in (out, *copies):
            _save(frame, target, title=title, dpi=dpi)
    finally:
        plt.close(frame.fig)
    return out


def _checked_output(path: str | Path, preset: str) -> Path:
    """The output path, once the preset is known and the suffix is .png or .pdf."""
    if preset not in PRESETS:
        raise ExportError(f"未知版式 {preset!r}", f"Unknown page preset {preset!r}")
    p = Path(path)
    if p.suffix.lower() not in (".png", ".pdf"):
        raise ExportError("静态地图只支持 .png 或 .pdf", "Static maps are .png or .pdf only")
    return p


def _has_content(scene: Scene) -> bool:
    """Whether the map shows anything in focus: a feature, the district layer or an analysis."""
    return bool(any(bool(g.focus.any()) for _, g in scene.points) or scene.polygons
                or (scene.district_layer is not None and not scene.districts.empty)
                or (scene.areas is not None and len(scene.areas))
                or (scene.cells is not None and len(scene.cells)) or scene.recommended is not None)


def _wrapped_subtitle(scene: Scene, subtitle: str | None, *, preset: str, lang: str,
                      today: date) -> str:
    """The subtitle (by default a briefing line), broken into lines the title band's width."""
    w_in = PRESETS[preset][0] - 2 * MARGIN_IN
    return wrap_segments(subtitle if subtitle is not None else map_subtitle(scene, lang, today=today),
                         w_in * 72 / 9.5 * 0.97)


def drawn_layers(scene: Scene) -> list[tuple[Layer, gpd.GeoDataFrame]]:
    """Every layer the map draws, with its features (the footer names each one's source)."""
    out: list[tuple[Layer, gpd.GeoDataFrame]] = []
    if scene.district_layer is not None and not scene.districts.empty:
        out.append((scene.district_layer, scene.districts))
    return out + list(scene.polygons) + [(lyr, g) for lyr, g in scene.points if len(g)]


def _save(frame: Frame, path: Path, *, title: str, dpi: int) -> None:
    """Write the figure atomically: PNG at ``dpi``, or PDF with embedded TrueType text and a title."""
    import matplotlib

    fmt_ = path.suffix.lower().lstrip(".")
    meta = {"Title": title} if fmt_ == "pdf" else None

    def write(tmp: Path) -> None:
        with matplotlib.rc_context({"pdf.fonttype": 42, "hatch.linewidth": 0.5}):
            frame.fig.savefig(tmp, format=fmt_, dpi=dpi, metadata=meta)

    atomic_write(path, write)


def _compose(frame: Frame, scene: Scene, font: FontProperties, *, title: str, subtitle: str,
             lang: str, sources: Iterable[str], notes: list[str], today: date,
             core: tuple[float, float, float, float] | None, sidebar: Sidebar | None = None,
             beside: str | None = None, measure: bool = True) -> dict[str, Any]:
    """Draw the map, inset, labels, sidebar, legends, title and footer on ``frame``.

    Returns the labelling record: per axes, label boxes, reserved boxes and dropped names; with
    ``measure``, also where every text of the page ended up (one more drawing of the page).
    """
    ax = frame.ax
    info = draw_map(ax, scene, marker_size=MAIN_MARKER)
    record = _inset_and_labels(frame, scene, font, core)
    if sidebar is not None:
        frame.panel = place_sidebar(frame, sidebar, font)
    drawn = [lyr for lyr, g in scene.points if bool(g.focus.any())]
    draw_legends(frame, legend_handles(drawn, info, scene, lang), scene, font, lang)
    panel_scale(frame, font, scene.crs, lang)
    if scene.cells is not None and scene.gap_classes is None:
        notes = [*notes, t("gap_note", lang)]
    header_footer(frame, font, title=title, subtitle=subtitle, lang=lang, crs=scene.crs,
                  attributions=attribution_lines(drawn_layers(scene), lang, sources, beside=beside),
                  notes=notes, today=today)
    record["legend"] = info
    if measure:
        record.update(_text_record(frame))
    return record


def _text_record(frame: Frame) -> dict[str, Any]:
    """Where the map box, the legends and every text of the page ended up (figure fractions)."""
    fig = frame.fig
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    to_fig = fig.transFigure.inverted()

    def frac(artist: Any) -> tuple[float, float, float, float]:
        bb = artist.get_window_extent(renderer).transformed(to_fig)
        return (float(bb.x0), float(bb.y0), float(bb.x1), float(bb.y1))

    legend_texts = [(txt.get_text(), frac(txt)) for lg in fig.legends
                    for txt in [lg.get_title(), *lg.get_texts()] if txt.get_text()]
    return {"map_box": tuple(frame.ax.get_position().bounds),  # x0, y0, w, h
            "legend_boxes": [tuple(lg.get_window_extent(renderer).transformed(to_fig).bounds)
                             for lg in fig.legends],
            "legend_texts": legend_texts,
            "page_texts": [(txt.get_text(), frac(txt)) for txt in fig.texts if txt.get_text()],
            "panel": frame.panel}


def _inset_and_labels(frame: Frame, scene: Scene, font: FontProperties,
                      core: tuple[float, float, float, float] | None) -> dict[str, Any]:
    """The inset of ``core`` (if any) with its labels, then the main map's labels around it.

    Returns the labelling record of each axes ("inset", "main").
    """
    ax = frame.ax
    record: dict[str, Any] = {}
    reserved = np.zeros((0, 4))
    if core is not None:
        inset_ax, inset_art = draw_inset(frame, scene, core, font)
        frame.fig.canvas.draw()
        own = boxes_of(inset_art[1:], inset_ax)  # inset title and scale bar
        record["inset"] = label_map(inset_ax, scene, font, size=5.8, marker_size=INSET_MARKER,
                                    reserved=own) | {"reserved": own}
        (ix0, ix1), (iy0, iy1) = inset_ax.get_xlim(), inset_ax.get_ylim()
        core = (ix0, iy0, ix1, iy1)  # what the inset finally shows is named there only
        record["inset"].update(bounds=core, caption=inset_art[-1].get_text())
        reserved = boxes_of([inset_ax.get_window_extent(), *inset_art[:1]], ax)
    frame.fig.canvas.draw()
    record["main"] = label_map(ax, scene, font, size=6.5, marker_size=MAIN_MARKER,
                               reserved=reserved, exclude=core) | {"reserved": reserved}
    return record
