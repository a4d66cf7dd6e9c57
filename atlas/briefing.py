"""A briefing pack in one go: per-district maps and tables, a city map, HTML and data."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from atlas.catalogue import layer_frame, load_catalogue, read_source
from atlas.coverage import Coverage, coverage, proxy_coverage
from atlas.demand import demand_points, proxy_demand
from atlas.geodata import load_districts, load_plan, load_population, resolve_district
from atlas.i18n import t
from atlas.network import find_cached_path, load_buildings, load_network
from atlas.service_area import areas_for
from atlas.siting import candidates_from_gaps, recommend
from atlas.webmap import areas_group, build_map, cells_group

Progress = Callable[[str, float], None]


def district_analysis(name: str, *, frames: dict[str, gpd.GeoDataFrame],
                      districts: gpd.GeoDataFrame, population: pd.DataFrame, k: int = 3
                      ) -> tuple[Coverage, gpd.GeoDataFrame, gpd.GeoDataFrame, str]:
    """Coverage, service areas and recommended sites of one district's 科普 sites.

    Uses the district's cached walking network when there is one, else the labelled
    straight-line proxy. Returns (coverage, areas, recommended, method).
    """
    row = resolve_district(name, districts)
    path = find_cached_path(f"district:{row['adcode']}")
    net = load_network(path) if path is not None else None
    kepu = frames["kepu_sites"]
    sites = kepu[~kepu.geometry.isna() & (kepu.district == row["name_zh"])]
    one = districts[districts.name_zh == row["name_zh"]]
    if net is not None and path is not None:
        demand = demand_points(net, one, population, buildings=load_buildings(path))
        cov = coverage(net, demand, sites)
    else:
        demand = proxy_demand(one, population)
        cov = proxy_coverage(demand, sites)
    areas = areas_for(sites, network=net) if len(sites) else gpd.GeoDataFrame(
        {"method": []}, geometry=[], crs="EPSG:4326")
    reco, _ = recommend(cov, candidates_from_gaps(cov.gaps(), cells=cov.cells()), k, net=net)
    return cov, areas, reco, cov.method


def build_pack(out: str | Path, *, lang: str = "zh", preset: str = "a4-landscape",
               districts: Iterable[str] | None = None, dpi: int = 300,
               progress: Progress | None = None) -> list[Path]:
    """Write a briefing pack into ``out`` and return the files written.

    Contents: ``city.png``/``city.pdf`` (all layers), per district ``<adcode>_<name>.png``,
    ``.pdf`` and ``_coverage.csv``, ``atlas.html`` (self-contained interactive map),
    ``atlas.gpkg`` (every layer, service areas, coverage cells, recommended sites),
    ``coverage_by_district.csv``.
    """
    from atlas.export import (
        layer_tables,
        render_static_map,
        save_html,
        write_csv,
        write_geopackage,
    )

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
    title = t("app_title", lang)
    report("city map", 0.02)
    for suffix in (".png", ".pdf"):
        files.append(render_static_map(layers, frames, outdir / f"city{suffix}", title=title,
                                       subtitle=plan["title_en" if lang == "en" else "title_zh"],
                                       lang=lang, preset=preset, dpi=dpi))
    all_areas, all_cells, all_reco, rows, html_cells = [], [], [], [], []
    for i, name in enumerate(names):
        report(name, 0.05 + 0.8 * i / max(len(names), 1))
        cov, areas, reco, method = district_analysis(name, frames=frames, districts=dists,
                                                     population=pop)
        code = int(dists.set_index("name_zh").loc[name, "adcode"])
        cells = cov.cells()
        label = t("sa_method_proxy" if method == "euclidean-proxy" else "sa_method_network", lang)
        sub = (f"{t('cov_pct', lang)} {cov.pct_covered:.1f}% · {cov.budget:,.0f} m · {label}"
               + (f" · {t('pop_area_uniform', lang)}" if method == "euclidean-proxy" else ""))
        for suffix in (".png", ".pdf"):
            files.append(render_static_map(
                layers, frames, outdir / f"{code}_{name}{suffix}", title=f"{name} · {t('sa_title', lang)}",
                subtitle=sub, lang=lang, preset=preset, dpi=dpi, districts=[name],
                visible=["districts", "kepu_sites"], areas=areas, cells=cells, recommended=reco))
        table = cov.by_district().assign(method=method, budget_m=cov.budget)
        files.append(write_csv(table, outdir / f"{code}_{name}_coverage.csv"))
        rows.append(table)
        all_areas.append(areas.assign(district=name))
        all_cells.append(cells.assign(method=method))
        html_cells.append(cov.cells(resolution=7).assign(method=method))
        all_reco.append(reco.assign(district_name=name))
    report("data", 0.88)
    summary = pd.concat(rows, ignore_index=True)
    files.append(write_csv(summary, outdir / "coverage_by_district.csv"))
    tables = layer_tables(layers, frames)
    tables["service_areas"] = gpd.GeoDataFrame(pd.concat(all_areas, ignore_index=True), crs="EPSG:4326")
    tables["coverage_cells"] = gpd.GeoDataFrame(pd.concat(all_cells, ignore_index=True), crs="EPSG:4326")
    tables["recommended_sites"] = gpd.GeoDataFrame(pd.concat(all_reco, ignore_index=True),
                                                   crs="EPSG:4326")
    files.append(write_geopackage(tables, outdir / "atlas.gpkg"))
    report("html", 0.95)
    fmap = build_map(layers, frames, lang=lang, basemap="none", layer_control=True,
                     extra_groups=[areas_group(tables["service_areas"], lang=lang),
                                   cells_group(gpd.GeoDataFrame(pd.concat(html_cells, ignore_index=True),
                                                                crs="EPSG:4326"), lang=lang)],
                     tasks={int(x["task"]): x for x in plan["tasks"]})
    files.append(save_html(fmap, outdir / "atlas.html"))
    report("done", 1.0)
    return files
