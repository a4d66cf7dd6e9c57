"""A briefing pack in one go: per-district maps and tables, a city map, HTML and data.

A district's coverage counts every 科普 site its residents can reach, wherever the site is:
people near a district boundary walk to the next district's museum too. (Counting only the
district's own sites made the briefing disagree with the app: 江北 1.40 % against 1.97 %.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from atlas.analysis.siting import candidates_from_gaps, recommend
from atlas.coverage.bands import band_shares
from atlas.coverage.brief import BriefingInputs, briefing_inputs, render_coverage_briefing
from atlas.coverage.summary import CoverageSummary
from atlas.data.catalogue import layer_frame, load_catalogue, read_source
from atlas.data.geodata import load_districts, load_plan, load_population, resolve_district
from atlas.errors import AtlasError
from atlas.i18n import t
from atlas.io.downloads import band_shares_table, csv_bytes, district_coverage_table
from atlas.io.export import ExportError, layer_tables, save_html, write_geopackage
from atlas.io.storage import atomic_write
from atlas.staticmap import map_title, render_static_map
from atlas.webmap import areas_group, band_overlays, build_map, cells_group

if TYPE_CHECKING:
    from atlas.data.catalogue import Layer

Progress = Callable[[str, float], None]


def district_analysis(name: str, *, frames: dict[str, gpd.GeoDataFrame],
                      districts: gpd.GeoDataFrame, population: pd.DataFrame, k: int = 3,
                      supply: str = "both"
                      ) -> tuple[CoverageSummary, gpd.GeoDataFrame, gpd.GeoDataFrame, str]:
    """Coverage of one district's residents by the 科普 sites, service areas, recommended sites.

    Every placed 科普 site of ``supply`` (bases, galleries or both, as in the app) counts, in or
    outside the district; the service areas drawn are those of the sites that can reach into
    the district. Uses the district's cached walking network when there is one; offline the
    figures are bounds (:func:`atlas.coverage.summary.coverage_summary`, the app's function).
    Returns (summary, areas, recommended, method); ``summary.cells()``/``gaps()`` feed maps.
    """
    brief = briefing_inputs(name, frames=frames, districts=districts, population=population,
                            supply=supply)
    return (brief.summary, brief.areas, recommended_sites(brief, k=k), brief.summary.method)


def recommended_sites(brief: BriefingInputs, *, k: int = 3) -> gpd.GeoDataFrame:
    """``k`` new sites that would cover most of the gaps of a briefing's coverage (greedy)."""
    cov = brief.summary.coverage()
    reco, _ = recommend(cov, candidates_from_gaps(cov.gaps(), cells=cov.cells()), k, net=brief.network)
    return reco


def coverage_table(summary: CoverageSummary, *, lang: str = "zh") -> pd.DataFrame:
    """The coverage-by-district table as people read it (the app shows the same figures).

    A briefing table (:func:`atlas.io.downloads.district_coverage_table`): headers and districts
    in ``lang``, people rounded to 100, percentages to 0.1, the method in words; offline the
    bounds and the labelled estimate, never one figure.
    """
    return district_coverage_table(summary, lang)


def _write_table(table: pd.DataFrame, path: Path) -> Path:
    """A briefing table as CSV (:func:`atlas.io.downloads.csv_bytes`), written atomically."""
    data = csv_bytes(table)
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def build_pack(out: str | Path, *, lang: str = "zh", preset: str = "a4-landscape",
               districts: Iterable[str] | None = None, dpi: int = 300, supply: str = "both",
               progress: Progress | None = None, minutes: Sequence[float] | None = None) -> list[Path]:
    """Write a briefing pack into ``out`` and return the files written.

    Contents: ``city.png``/``city.pdf`` (all layers), ``city_coverage.png``/``.pdf`` (the
    city's coverage briefing page), per district its coverage briefing page
    ``<adcode>_<name>.png``/``.pdf`` (:func:`atlas.coverage.brief.render_coverage_briefing`:
    gaps, the ``supply``'s circles, figures and table) and ``_coverage.csv``, ``atlas.html``
    (self-contained interactive map),
    ``atlas.gpkg`` (every layer, service areas, coverage cells, recommended sites),
    ``coverage_by_district.csv``. CSV tables are for people (headers in ``lang``, rounded
    figures); the GeoPackage keeps raw columns and full precision.

    With several ``minutes`` (e.g. 5, 10, 15) the circles are nested walking bands on every
    map and in the data (a ``minutes`` column), and ``coverage_bands.csv`` gives each district's
    people within each band (:func:`atlas.coverage.bands.band_shares`, the app's figures).
    """
    report = progress or (lambda _s, _f: None)
    outdir = Path(out)
    outdir.mkdir(parents=True, exist_ok=True)
    layers = load_catalogue()
    frames = {lyr.id: layer_frame(lyr, read_source(lyr.source)) for lyr in layers}
    dists = load_districts()
    pop = load_population()
    names = [resolve_district(n, dists)["name_zh"] for n in districts] if districts else \
        dists.name_zh.tolist()
    plan = load_plan()
    files: list[Path] = []
    report("city map", 0.02)
    files += [outdir / "city.png", outdir / "city.pdf"]  # one drawing, saved as both
    render_static_map(layers, frames, files[-2], title=map_title(None, lang),
                      subtitle=plan["title_en" if lang == "en" else "title_zh"],
                      lang=lang, preset=preset, dpi=dpi, beside="atlas.gpkg", also=files[-1:])
    report("city coverage", 0.04)
    city = briefing_inputs(None, frames=frames, districts=dists, population=pop, supply=supply)
    files += [outdir / "city_coverage.png", outdir / "city_coverage.pdf"]
    render_coverage_briefing(city, files[-2], layers=layers, frames=frames, lang=lang, preset=preset,
                             dpi=dpi, beside="atlas.gpkg", also=files[-1:])
    parts: dict[str, list[pd.DataFrame]] = {"areas": [], "cells": [], "reco": [], "rows": [],
                                            "html_cells": [], "bands": []}
    for i, name in enumerate(names):
        report(name, 0.05 + 0.8 * i / max(len(names), 1))
        files += _district_pages(name, outdir, layers=layers, frames=frames, districts=dists,
                                 population=pop, lang=lang, preset=preset, dpi=dpi, supply=supply,
                                 parts=parts, minutes=minutes)
    report("data", 0.88)
    files.append(_write_table(pd.concat(parts["rows"], ignore_index=True),
                              outdir / "coverage_by_district.csv"))
    if parts["bands"]:
        files.append(_write_table(pd.concat(parts["bands"], ignore_index=True),
                                  outdir / "coverage_bands.csv"))
    tables = layer_tables(layers, frames)
    for key, table in (("service_areas", "areas"), ("coverage_cells", "cells"),
                       ("recommended_sites", "reco")):
        tables[key] = gpd.GeoDataFrame(pd.concat(parts[table], ignore_index=True), crs="EPSG:4326")
    files.append(write_geopackage(tables, outdir / "atlas.gpkg"))
    report("html", 0.95)
    fmap = build_map(layers, frames, lang=lang, basemap="none", layer_control=True,
                     extra_groups=[*_area_groups(tables["service_areas"], lang),
                                   cells_group(gpd.GeoDataFrame(pd.concat(parts["html_cells"],
                                                                          ignore_index=True),
                                                                crs="EPSG:4326"), lang=lang)],
                     tasks={int(x["task"]): x for x in plan["tasks"]})
    files.append(save_html(fmap, outdir / "atlas.html"))
    report("done", 1.0)
    return files


def _district_pages(name: str, outdir: Path, *, layers: list[Layer], frames: dict[str, gpd.GeoDataFrame],
                    districts: gpd.GeoDataFrame, population: pd.DataFrame, lang: str, preset: str,
                    dpi: int, supply: str, parts: dict[str, list[pd.DataFrame]],
                    minutes: Sequence[float] | None = None) -> list[Path]:
    """One district's coverage briefing page (PNG + PDF) and table; collects its data in ``parts``.

    With several ``minutes`` its circles are nested bands and its people within each band join
    ``parts["bands"]``.
    """
    brief = briefing_inputs(name, frames=frames, districts=districts, population=population,
                            supply=supply, minutes=minutes)
    cov, areas, method = brief.summary, brief.areas, brief.summary.method
    reco = recommended_sites(brief)
    code = int(districts.set_index("name_zh").loc[name, "adcode"])
    files = [outdir / f"{code}_{name}.png", outdir / f"{code}_{name}.pdf"]
    render_coverage_briefing(brief, files[0], layers=layers, frames=frames, lang=lang, preset=preset,
                             dpi=dpi, beside="atlas.gpkg", also=files[1:])
    table = coverage_table(cov, lang=lang)
    files.append(_write_table(table, outdir / f"{code}_{name}_coverage.csv"))
    parts["rows"].append(table)
    if minutes is not None and len(minutes) > 1:
        parts["bands"].append(band_shares_table(band_shares(cov, minutes, lang=lang, city=False), cov, lang))
    parts["areas"].append(areas.assign(district=name))
    parts["cells"].append(cov.cells().assign(method=method))
    parts["html_cells"].append(cov.cells(resolution=7).assign(method=method))
    parts["reco"].append(reco.assign(district_name=name))
    return files


def _area_groups(areas: gpd.GeoDataFrame, lang: str) -> list[Any]:
    """The HTML map's service areas: one group, or one per walking band (the app's band overlays)."""
    if "minutes" in areas and areas.minutes.nunique() > 1:
        return [o.group() for o in band_overlays(areas, lang=lang)]
    return [areas_group(areas, lang=lang)]


def zip_folder(folder: str | Path) -> bytes:
    """Every file under ``folder`` in one ZIP (paths relative to it), as bytes."""
    import io

    root = Path(folder)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for f in sorted(p for p in root.rglob("*") if p.is_file()):
            zf.write(f, f.relative_to(root).as_posix())
    return buf.getvalue()


def pack_zip(*, lang: str = "zh", preset: str = "a4-landscape", districts: Iterable[str] | None = None,
             dpi: int = 300, time_s: float = 600.0, supply: str = "both",
             minutes: Sequence[float] | None = None) -> bytes:
    """A briefing pack (:func:`build_pack`) as a ZIP, built by ``export-briefing`` in a child process.

    A pack takes 10–60 s of CPU (one district to the whole city). In a child process, at lower
    priority (``nice``) and with a time limit, it never holds a server's interpreter lock, so
    other sessions stay responsive while it runs, and its memory goes back to the system when
    it ends. The child runs the command line's code (:func:`atlas.cli.export_briefing_main`),
    so the app's pack and the command's pack are the same.

    Raises
    ------
    ExportError
        When the command fails (its own message, in ``lang``) or runs out of ``time_s``.

    """
    names = list(districts or [])
    with tempfile.TemporaryDirectory(prefix="atlas-pack-") as d:
        cmd = [sys.executable, "-m", "atlas.cli", "export-briefing", "--out", d, "--lang", lang,
               "--preset", preset, "--dpi", str(int(dpi)), "--supply", supply] + (
                   ["--districts", *names] if names else []) + (
                   ["--minutes", *(f"{float(m):g}" for m in minutes)] if minutes else [])
        if shutil.which("nice"):
            cmd = ["nice", "-n", "10", *cmd]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
               "MPLBACKEND": "Agg"}
        try:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=time_s,
                                  check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise ExportError(t("export_pack_timeout", "zh", s=int(time_s)),
                              t("export_pack_timeout", "en", s=int(time_s))) from exc
        if done.returncode != 0:
            raise _pack_error(done.stderr, lang)
        return zip_folder(d)


def _pack_error(stderr: str, lang: str) -> AtlasError:
    """The command's own message (its ``error:`` line); anything else without a trace or a path."""
    said = [ln[len("error: "):] for ln in stderr.splitlines() if ln.startswith("error: ")]
    why = said[-1] if said else t("export_pack_crashed", lang)
    return ExportError(t("export_pack_failed", "zh", why=why), t("export_pack_failed", "en", why=why))
