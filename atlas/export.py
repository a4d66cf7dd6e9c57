"""Briefing exports: static maps, self-contained HTML and GIS data.

Outputs: print-ready PNG (300 dpi) and vector PDF maps, self-contained HTML, and GIS data
(GeoPackage, GeoJSON, CSV with BOM).

Static maps are drawn with matplotlib in the UTM zone of what they show (EPSG:32651 for Ningbo;
:func:`atlas.projection.metric_crs_for`), so the scale bar is true, from the same
layer catalogue and styles as the app, with a Chinese title, legend, scale bar, north arrow,
date, data sources and attribution. Approximate sites are hollow with a dashed ring of their
error radius; straight-line proxy areas are dashed and named as such in the legend. Chinese
text uses the Noto Sans CJK SC face explicitly (Debian ``fonts-noto-cjk``, installed by the
README's set-up); a missing font is a clear error, never boxes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from atlas import settings
from atlas.errors import AtlasError, ValidationError
from atlas.i18n import stage_label, t
from atlas.projection import crs_label, metric_crs_for
from atlas.provenance import read_provenance
from atlas.storage import atomic_write

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.font_manager import FontProperties

    from atlas.catalogue import Layer

#: Page presets (inches): A4 portrait/landscape and a 16:9 slide.
PRESETS: dict[str, tuple[float, float]] = {
    "a4-portrait": (8.27, 11.69),
    "a4-landscape": (11.69, 8.27),
    "slide-16x9": (40 / 3, 7.5),  # 4000 x 2250 px at 300 dpi
}

#: Font files searched for the CJK face, most likely first.
CJK_FONT_FILES: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
CJK_FAMILIES: tuple[str, ...] = ("Noto Sans CJK SC", "WenQuanYi Micro Hei")


class ExportError(AtlasError):
    """An export could not be produced (missing font, bad preset, unwritable path)."""


def cjk_font() -> FontProperties:
    """Return FontProperties for a CJK face that matplotlib can use, registering it if needed.

    Raises
    ------
    ExportError
        If no CJK font is installed (the message says how to install one).

    """
    from matplotlib import font_manager as fm

    for f in CJK_FONT_FILES:
        if Path(f).exists() and not any(e.fname == f for e in fm.fontManager.ttflist):
            fm.fontManager.addfont(f)
    names = {e.name: e.fname for e in fm.fontManager.ttflist}
    for fam in CJK_FAMILIES:
        if fam in names:
            return fm.FontProperties(family=fam)
    raise ExportError("未找到中文字体：请安装 fonts-noto-cjk（sudo apt-get install fonts-noto-cjk）",
                      "No Chinese font found: install fonts-noto-cjk (sudo apt-get install fonts-noto-cjk)")


def _nice_length(width_m: float) -> float:
    target = width_m / 5.0
    exp = 10 ** math.floor(math.log10(target))
    return float(max(m * exp for m in (1, 2, 5) if m * exp <= target))


def _scale_bar(ax: Axes, font: FontProperties) -> None:
    from matplotlib.patches import Rectangle

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    bx, by = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    h = 0.008 * (y1 - y0)
    for i in range(4):
        ax.add_patch(Rectangle(
            (bx + i * length / 4, by), length / 4, h, facecolor="black" if i % 2 == 0 else "white",
            edgecolor="black", linewidth=0.6, zorder=20))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(bx, by + 1.8 * h, "0", fontproperties=font, fontsize=7, ha="center", zorder=20)
    ax.text(bx + length, by + 1.8 * h, label, fontproperties=font, fontsize=7, ha="center", zorder=20)


def _map_crs(frames: Iterable[gpd.GeoDataFrame | None]) -> str:
    """The metric CRS of a map: the UTM zone of the centre of everything it draws."""
    b = np.array([g.to_crs(settings.CRS_WGS84).total_bounds for g in frames
                  if g is not None and not g.empty and g.geometry.notna().any()]).reshape(-1, 4)
    b = b[np.isfinite(b).all(axis=1)]
    if not len(b):
        return metric_crs_for(settings.NINGBO_BBOX)
    return metric_crs_for((b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()))


def _north_arrow(ax: Axes, font: FontProperties) -> None:
    ax.annotate("N 北", xy=(0.955, 0.95), xytext=(0.955, 0.84), xycoords="axes fraction",
                ha="center", va="center", fontproperties=font, fontsize=9, zorder=20,
                arrowprops={"facecolor": "black", "width": 3, "headwidth": 9, "headlength": 9})


def _attributions(layers: Iterable[Layer], shown: set[str], extra: Iterable[str] = ()) -> list[str]:
    out = [lyr.attribution for lyr in layers if lyr.id in shown and lyr.attribution]
    out += list(extra)
    out.append(settings.ATTRIBUTION_OSM)
    return list(dict.fromkeys(out))


def render_static_map(
    layers: list[Layer],
    frames: Mapping[str, gpd.GeoDataFrame],
    path: str | Path,
    *,
    title: str,
    subtitle: str = "",
    lang: str = "zh",
    preset: str = "a4-landscape",
    dpi: int = 300,
    visible: Iterable[str] | None = None,
    districts: Iterable[str] | None = None,
    areas: gpd.GeoDataFrame | None = None,
    cells: gpd.GeoDataFrame | None = None,
    recommended: gpd.GeoDataFrame | None = None,
    sources: Iterable[str] = (),
    today: date | None = None,
) -> Path:
    """Draw a print-ready map and save it as PNG or PDF (by ``path``'s suffix).

    Parameters
    ----------
    layers, frames : list of Layer, mapping
        The catalogue and each layer's features (WGS84), as for the web map.
    path : str or pathlib.Path
        Output ``.png`` (raster at ``dpi``) or ``.pdf`` (vector).
    title, subtitle : str
        Printed at the top (Chinese by default).
    lang : {"zh", "en"}
        Language of legend and notes.
    preset : {"a4-portrait", "a4-landscape", "slide-16x9"}
        Page size.
    dpi : int
        Raster resolution for PNG (300 for print).
    visible : iterable of str, optional
        Layer ids to draw (default: each layer's ``visible`` flag).
    districts : iterable of str, optional
        Zoom to these districts and draw only their sites.
    areas : geopandas.GeoDataFrame, optional
        Service areas; ``euclidean-proxy`` rows are dashed and labelled as approximations.
    cells : geopandas.GeoDataFrame, optional
        Coverage cells with an ``uncovered`` column (the gap map).
    recommended : geopandas.GeoDataFrame, optional
        Recommended new sites (stars).
    sources : iterable of str
        Further source lines for the footer.
    today : datetime.date, optional
        Date printed on the map (default today).

    Returns
    -------
    pathlib.Path
        ``path``.

    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle, Patch

    if preset not in PRESETS:
        raise ExportError(f"未知版式 {preset!r}", f"Unknown page preset {preset!r}")
    p = Path(path)
    if p.suffix.lower() not in (".png", ".pdf"):
        raise ExportError("静态地图只支持 .png 或 .pdf", "Static maps are .png or .pdf only")
    font = cjk_font()
    shown = set(visible) if visible is not None else {lyr.id for lyr in layers if lyr.visible}
    dset = set(districts) if districts else None
    outline = frames.get("districts")
    if dset is not None and outline is not None and "name_zh" in outline.columns:
        outline = outline[outline.name_zh.isin(dset)]
    metric = _map_crs([outline] if outline is not None and not outline.empty and "districts" in shown
                      else [frames[i] for i in shown if i in frames])
    fig = plt.figure(figsize=PRESETS[preset])
    ax = fig.add_axes((0.03, 0.11, 0.70, 0.77))
    handles: list[Any] = []
    extent = None
    for lyr in layers:
        if lyr.id not in shown or lyr.id not in frames:
            continue
        gdf = frames[lyr.id]
        if lyr.geometry == "point":
            gdf = gdf[~gdf.geometry.isna()]
            if dset is not None and "district" in gdf.columns:
                gdf = gdf[gdf.district.isin(dset)]
        else:  # areas and lines (a planner's layer may hold rows without a shape)
            gdf = gdf[~gdf.geometry.isna() & ~gdf.geometry.is_empty]
            key = "district" if "district" in gdf.columns else "name_zh"
            if dset is not None and key in gdf.columns:
                gdf = gdf[gdf[key].isin(dset)]
        if gdf.empty:
            continue
        g = gdf.to_crs(metric)
        color = str(lyr.style.get("color", "#333333"))
        label = lyr.legend_en if lang == "en" else lyr.legend_zh
        if lyr.geometry == "line":  # a planner's line layer
            g.plot(ax=ax, color=color, linewidth=1.6, zorder=3)
            handles.append(Line2D([], [], color=color, linewidth=1.6, label=label))
        elif lyr.geometry == "polygon":
            g.plot(ax=ax, facecolor=lyr.style.get("fill_color", color),
                   alpha=float(lyr.style.get("fill_opacity", 0.15)) + 0.1, edgecolor="none", zorder=1)
            g.boundary.plot(ax=ax, color=color, linewidth=0.8, zorder=2)
            if lyr.id == "districts":
                extent = g.total_bounds
                for _, r in g.iterrows():
                    c = r.geometry.representative_point()
                    ax.text(c.x, c.y, r["name_zh"] if lang == "zh" else r.get("name_en", ""),
                            fontproperties=font, fontsize=7, color="#444444", ha="center", zorder=3)
            handles.append(Patch(facecolor=lyr.style.get("fill_color", color), edgecolor=color,
                                 label=label))
        else:
            approx = (g.position_status != "sourced").to_numpy() if "position_status" in g else \
                np.zeros(len(g), bool)
            err = g.est_error_m.fillna(0).to_numpy() if "est_error_m" in g else np.zeros(len(g))
            for x, y, e in zip(g.geometry.x[approx], g.geometry.y[approx], err[approx], strict=True):
                if e > 0:
                    ax.add_patch(Circle((x, y), e, fill=False, linestyle="--", linewidth=0.6,
                                        edgecolor=color, alpha=0.7, zorder=4))
            ax.scatter(g.geometry.x[~approx], g.geometry.y[~approx], s=22, color=color,
                       edgecolor="black", linewidth=0.4, zorder=6)
            ax.scatter(g.geometry.x[approx], g.geometry.y[approx], s=22, facecolor="white",
                       edgecolor=color, linewidth=1.2, zorder=6)
            handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor=color,
                                  markeredgecolor="black", label=label))
    if cells is not None and not cells.empty:
        c = cells[cells.uncovered > 0].to_crs(metric)
        if not c.empty:
            # the 95th percentile maps to a strong (not saturated) red: uniform proxy demand
            # reads as a light wash, street-based demand shows its hot spots
            c.plot(ax=ax, column="uncovered", cmap="Reds", alpha=0.5, linewidth=0, zorder=3,
                   vmin=0.0, vmax=1.6 * float(c.uncovered.quantile(0.95)) or None)
            handles.append(Patch(facecolor="#de2d26", alpha=0.6, label=t("cov_gap_layer", lang)))
    if areas is not None and not areas.empty:
        a = areas[~areas.geometry.is_empty].to_crs(metric)
        proxy = a[a.method == "euclidean-proxy"]
        net_a = a[a.method != "euclidean-proxy"]
        if not net_a.empty:
            net_a.plot(ax=ax, facecolor="#d62828", alpha=0.22, edgecolor="#d62828", linewidth=0.5,
                       zorder=4)
            handles.append(Patch(facecolor="#d62828", alpha=0.3, label=t("sa_method_network", lang)))
        if not proxy.empty:
            proxy.boundary.plot(ax=ax, color="#d62828", linestyle="--", linewidth=0.8, zorder=4)
            handles.append(Line2D([], [], color="#d62828", linestyle="--",
                                  label=t("sa_method_proxy", lang)))
    if recommended is not None and not recommended.empty:
        r = recommended.to_crs(metric)
        ax.scatter(r.geometry.x, r.geometry.y, marker="*", s=160, color="#2a9d8f",
                   edgecolor="black", linewidth=0.5, zorder=8)
        handles.append(Line2D([], [], marker="*", linestyle="", markersize=12,
                              markerfacecolor="#2a9d8f", markeredgecolor="black",
                              label=t("cov_reco", lang)))
    handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="white",
                          markeredgecolor="#555555", label=t("approx_legend", lang)))
    if extent is not None:
        x0, y0, x1, y1 = extent
        pad = 0.03 * max(x1 - x0, y1 - y0)
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_aspect("equal")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_linewidth(0.6)
    _scale_bar(ax, font)
    _north_arrow(ax, font)
    fig.text(0.03, 0.955, title, fontproperties=font, fontsize=16, weight="bold", va="top")
    if subtitle:
        fig.text(0.03, 0.915, subtitle, fontproperties=font, fontsize=10, color="#444444", va="top")
    leg = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.75, 0.88), frameon=False,
                     prop=font, fontsize=8, title=t("layers", lang), title_fontproperties=font)
    leg.get_title().set_fontsize(9)
    today = today or date.today()
    footer = [f"{'制图日期' if lang == 'zh' else 'Date'}: {today.isoformat()} · "
              f"{'坐标系' if lang == 'zh' else 'CRS'}: {crs_label(metric)}",
              f"{t('attribution', lang)}: " + " · ".join(_attributions(layers, shown, sources)),
              t("approx_legend", lang)]
    fig.text(0.03, 0.075, "\n".join(footer), fontproperties=font, fontsize=6.5, color="#333333",
             va="top", wrap=True)

    def _save(tmp: Path) -> None:
        fmt = p.suffix.lower().lstrip(".")
        with matplotlib.rc_context({"pdf.fonttype": 42}):
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata={"Title": title} if fmt == "pdf" else None)

    try:
        atomic_write(p, _save)
    finally:
        plt.close(fig)
    return p


# --- interactive HTML ---------------------------------------------------------------------

def save_html(fmap: Any, path: str | Path) -> Path:
    """Save a folium map (from :func:`atlas.webmap.build_map`) as one self-contained HTML file.

    Leaflet and jQuery are inlined by :mod:`atlas.webmap`, so the file opens offline.
    """
    text = fmap.get_root().render()
    if re.search(r"<script[^>]+src=\"https?://", text):
        raise ExportError("HTML 仍引用了外部脚本", "The HTML still references an external script")
    return atomic_write(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


# --- data ---------------------------------------------------------------------------------

_FORMULA = re.compile(r"^[=+\-@\t\r]")


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells starting with = + - @ (or tab/CR) with ' so spreadsheets show them as text.

    Numbers are left alone; only string cells are touched. Returns a copy.
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and _FORMULA.match(v) else v)
    return out


def with_provenance(gdf: gpd.GeoDataFrame, source_file: str) -> gpd.GeoDataFrame:
    """Add ``dataset``, ``dataset_source``, ``dataset_licence`` columns from the provenance record."""
    out = gdf.copy()
    try:
        rec = read_provenance(settings.GEODATA_DIR / source_file)
    except AtlasError:
        rec = {"source": "", "licence": ""}
    out["dataset"] = source_file
    out["dataset_source"] = str(rec.get("source", ""))
    out["dataset_licence"] = str(rec.get("licence", ""))
    return out


def write_csv(gdf: pd.DataFrame, path: str | Path) -> Path:
    """CSV in UTF-8 with BOM (Excel shows Chinese), lon/lat for points, WKT otherwise."""
    df = pd.DataFrame(gdf).copy()
    if isinstance(gdf, gpd.GeoDataFrame):
        geom = gdf.geometry
        is_pt = geom.geom_type.eq("Point").fillna(False)
        df["lon"] = np.where(is_pt, geom.x.where(is_pt), np.nan) if is_pt.any() else np.nan
        df["lat"] = np.where(is_pt, geom.y.where(is_pt), np.nan) if is_pt.any() else np.nan
        df["wkt"] = np.where(is_pt | geom.isna(), "", geom.to_wkt().fillna(""))
        df = df.drop(columns=[gdf.geometry.name])
    df = neutralise_formulas(df)
    return atomic_write(Path(path), lambda tmp: df.to_csv(tmp, index=False, encoding="utf-8-sig"))


def write_geojson(gdf: gpd.GeoDataFrame, path: str | Path) -> Path:
    """GeoJSON (WGS84)."""
    g = gdf.to_crs(settings.CRS_WGS84)
    return atomic_write(Path(path), lambda tmp: tmp.write_text(g.to_json(ensure_ascii=False),
                                                                encoding="utf-8"))


def write_geopackage(tables: Mapping[str, gpd.GeoDataFrame], path: str | Path) -> Path:
    """One GeoPackage, one table per entry (WGS84), written atomically.

    Raises
    ------
    atlas.errors.ValidationError
        For a table name that is not a plain identifier.

    """
    import pyogrio

    for name in tables:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
            raise ValidationError(f"表名无效：{name!r}", f"Invalid table name: {name!r}")

    def _write(tmp: Path) -> None:
        tmp.unlink(missing_ok=True)
        for name, gdf in tables.items():
            g = gdf.to_crs(settings.CRS_WGS84)
            g = g[[c for c in g.columns if c == g.geometry.name or g[c].dtype != object
                   or g[c].map(lambda v: v is None or isinstance(v, str)).all()]]
            pyogrio.write_dataframe(g, tmp, layer=name, driver="GPKG", append=tmp.exists())

    return atomic_write(Path(path), _write)


def layer_tables(layers: list[Layer], frames: Mapping[str, gpd.GeoDataFrame]
                 ) -> dict[str, gpd.GeoDataFrame]:
    """Every catalogue layer as an export table with provenance columns (unplaced rows dropped)."""
    out = {}
    for lyr in layers:
        if lyr.id not in frames:
            continue
        g = frames[lyr.id]
        g = g[~g.geometry.isna()]
        out[lyr.id] = with_provenance(g, lyr.source)
    return out


def export_briefing_cli(argv: list[str] | None = None) -> int:
    """``export-briefing``: write a whole briefing pack (see :func:`atlas.briefing.build_pack`)."""
    import argparse
    import sys

    from atlas.briefing import build_pack

    ap = argparse.ArgumentParser(prog="export-briefing", description=(
        "Write a briefing pack: one map per district (PNG 300 dpi + PDF) with its coverage "
        "table, a city map, an interactive HTML map and a GeoPackage of all data."))
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--lang", choices=["zh", "en"], default="zh")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="a4-landscape")
    ap.add_argument("--districts", nargs="*", help="district names (default: all ten)")
    ap.add_argument("--dpi", type=int, default=300)
    args = ap.parse_args(argv)
    from tqdm import tqdm

    bar = tqdm(total=100, unit="%", bar_format="{l_bar}{bar}| {n:.0f}%  {postfix}")

    def report(stage: str, frac: float) -> None:
        bar.set_postfix_str(stage_label(stage, args.lang))
        bar.n = round(100 * frac)
        bar.refresh()

    try:
        files = build_pack(args.out, lang=args.lang, preset=args.preset, districts=args.districts,
                           dpi=args.dpi, progress=report)
    except AtlasError as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar.close()
    for f in files:
        print(f"{f.stat().st_size:>10,}  {f}")
    return 0
