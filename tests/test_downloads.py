"""Every download of every page is a briefing table: one test walks all producers.

Rules (:mod:`atlas.io.downloads`): people whole (as shown), other numbers at most 2 decimals,
coordinates at most 6; headers in the reader's language (GeoJSON: ASCII fields with a readable
alias); places named; figures with hypothetical sites carry the scenario's badge.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from atlas import fmt
from atlas.analysis.accessibility import accessibility
from atlas.analysis.demand import proxy_demand
from atlas.analysis.scenarios import Scenario, sites_frame
from atlas.analysis.siting import candidates_from_gaps, recommend
from atlas.analysis.supply import supply_sites
from atlas.coverage.summary import coverage_summary
from atlas.data.geodata import load_districts, load_population
from atlas.io.downloads import (
    check_csv,
    check_geojson,
    coverage_downloads,
    layer_csv,
    layer_geojson,
)

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("zh", "en")


def _headers(lang: str, summary=None) -> tuple[set[str], set[str]]:
    """Headers of people columns (as the page words them) and of coordinate columns, in ``lang``."""
    people = {fmt.header(c, lang) for c in fmt.PEOPLE_COLUMNS}
    if summary is not None:
        people |= {summary.demand_label(lang, column=c) for c in fmt.PEOPLE_COLUMNS}
    return people, {fmt.header(c, lang) for c in fmt.COORD_COLUMNS}


def _check(name: str, data: bytes, lang: str, summary=None) -> list[str]:
    if name.endswith(".geojson"):
        return check_geojson(data)
    people, coords = _headers(lang, summary)
    return check_csv(data, lang, people_headers=people, coord_headers=coords)


@pytest.fixture(scope="module")
def yinzhou():
    """鄞州区 offline (people spread by area) with a 3-site scenario, and the same people made uneven."""
    demand = proxy_demand(load_districts(), load_population())
    demand = demand[demand.district == "鄞州区"]
    sites = supply_sites("both")
    scen = Scenario()
    for lon, lat in ((121.70, 29.70), (121.64, 29.74), (121.80, 29.66)):
        scen.add_site(lon, lat)
    factor = np.random.default_rng(3).gamma(0.5, 2.0, len(demand))
    uneven = demand.assign(population=demand.population * factor, method="raster:test")
    return demand, uneven, sites, scen


def _coverage_files(demand, sites, scen, lang):
    base = coverage_summary(demand, sites, supply="both")
    added = sites_frame(scen, lang)
    s = base.with_added_sites(added)
    all_sites = gpd.GeoDataFrame(pd.concat([sites, added.assign(capacity=1.0)], ignore_index=True),
                                 crs="EPSG:4326")
    acc = accessibility(s, all_sites)
    cov = s.coverage()
    reco, _ = recommend(cov, candidates_from_gaps(s.gaps(), cells=cov.cells()), 3)
    by = s.by_district(lang)
    zones = by.copy()  # a per-zone table has the same columns
    return s, coverage_downloads(s, gaps=s.gaps(), access=acc, reco=reco, by=by, acc_by=acc.by_district(),
                                 zones=zones, lang=lang, badge=scen.badge(lang))


@pytest.mark.parametrize("lang", LANGS)
def test_every_coverage_download_is_a_briefing_table(yinzhou, lang):
    demand, uneven, sites, scen = yinzhou
    for people in (demand, uneven):  # by area (no recommendation) and with a real-looking population
        s, files = _coverage_files(people, sites, scen, lang)
        assert len(files) == 6
        for f in files:
            data = f.make()
            assert not _check(f.file_name, data, lang, s), (f.file_name, _check(f.file_name, data, lang, s))
            text = data.decode("utf-8-sig")
            assert scen.badge(lang) in text, f.file_name  # figures with hypothetical sites say so
            assert ("hypothetical" in f.label) is False and f.label  # a label in the reader's words
    # the gap tables name their places and give what ranks them (area, offline by area)
    s, files = _coverage_files(demand, sites, scen, lang)
    gaps = pd.read_csv(io.BytesIO(next(f for f in files if f.file_name == "coverage_gaps.csv").make()),
                       encoding="utf-8-sig")
    for col in ("name", "district", "streets", "area_km2"):
        assert fmt.header(col, lang) in gaps.columns
    area = gaps[fmt.header("area_km2", lang)].to_numpy()
    assert (area[:-1] >= area[1:]).all()
    people_col = s.demand_label(lang, column="population")
    assert people_col in gaps.columns and (gaps[people_col] % 100 == 0).all()
    doc = json.loads(next(f for f in files if f.file_name == "coverage_gaps.geojson").make())
    assert doc["field_aliases"]["population"] == people_col
    assert doc["features"][0]["properties"]["rank"] == 1


@pytest.mark.parametrize("lang", LANGS)
def test_export_page_layer_downloads_are_briefing_tables(lang):
    from atlas.data.catalogue import layer_frame, load_catalogue, read_source
    from atlas.io.export import layer_tables

    cat = load_catalogue()
    sources = {lyr.source: read_source(lyr.source) for lyr in cat}
    tables = layer_tables(cat, {lyr.id: layer_frame(lyr, sources[lyr.source]) for lyr in cat})
    assert {"districts", "kepu_galleries", "kepu_sites"} <= set(tables)
    for lid, gdf in tables.items():
        assert not _check(f"{lid}.csv", layer_csv(gdf, lang), lang), lid
        assert not _check(f"{lid}.geojson", layer_geojson(gdf, lang), lang), lid
    galleries = pd.read_csv(io.BytesIO(layer_csv(tables["kepu_galleries"], lang)), encoding="utf-8-sig")
    assert fmt.header("district", lang) in galleries and fmt.header("street", lang) in galleries


@pytest.mark.parametrize("lang", LANGS)
def test_import_problem_report_is_a_briefing_table(lang):
    from atlas.importing import guess_columns, read_table, validate
    from atlas.io.export import neutralise_formulas

    df = read_table((ROOT / "tests/fixtures/import/problems.csv").read_bytes(), "problems.csv")
    r = validate(df, guess_columns(list(df.columns)), datum="wgs84", districts=load_districts())
    report = neutralise_formulas(r.error_report(lang)).to_csv(index=False).encode("utf-8-sig")
    assert len(pd.read_csv(io.BytesIO(report), encoding="utf-8-sig"))  # the fixture has problems
    people, coords = _headers(lang)
    own = frozenset(str(c) for c in df.columns)  # the planner's own columns come back as in their file
    assert not check_csv(report, lang, people_headers=people, coord_headers=coords, own_headers=own)


@pytest.mark.parametrize("lang", LANGS)
def test_briefing_pack_tables_are_briefing_tables(yinzhou, lang):
    """The briefing pack's coverage CSVs (per district and the city's) follow the download rules."""
    from atlas.io.briefing import coverage_table
    from atlas.io.downloads import csv_bytes

    demand, uneven, sites, _ = yinzhou
    for people in (demand, uneven):
        s = coverage_summary(people, sites, supply="both")
        data = csv_bytes(coverage_table(s, lang=lang))
        assert not _check("coverage.csv", data, lang, s), _check("coverage.csv", data, lang, s)
        table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
        assert table[fmt.header("zone", lang)].tolist() == ["鄞州区" if lang == "zh" else "Yinzhou"]
        assert s.demand_label(lang, column="population") in table.columns


@pytest.mark.parametrize("lang", LANGS)
def test_indicator_value_downloads_are_briefing_tables(tmp_path, lang):
    """The Indicators page's recorded values: headers, districts and how-recorded in ``lang``,
    values to 2 decimals, the planner's source and note as written."""
    from datetime import date

    from atlas.io.downloads import values_downloads
    from atlas.plan import progress
    from atlas.plan.indicators import load_targets

    targets, districts = load_targets(), load_districts()
    rows = [{"target_id": "T23a", "year": 2024, "district": d, "value": v, "source": "年报 2024",
             "observed_on": "2025-03-01", "note": n}
            for d, v, n in (("", "150.123456", "=1+1"), ("海曙区", "12", "source: stats"))]
    progress.save_values(rows, targets=targets, districts=districts, folder=tmp_path, today=date(2026, 1, 1))
    files = values_downloads(progress.load_values(folder=tmp_path), targets, districts, lang)
    assert [f.file_name for f in files] == ["plan_values.csv", "plan_values.xlsx"]
    data = files[0].make()
    assert not _check(files[0].file_name, data, lang), _check(files[0].file_name, data, lang)
    for table in (pd.read_csv(io.BytesIO(data), encoding="utf-8-sig"),
                  pd.read_excel(io.BytesIO(files[1].make()))):
        csv = table.to_csv(index=False).encode()
        assert not check_csv(csv, lang, people_headers=set(), coord_headers=set())
        value, how, where, note = (progress.HEADERS[k][lang == "en"]
                                   for k in ("value", "kind", "district", "note"))
        assert sorted(table[value]) == [12.0, 150.12]
        assert set(table[how]) == {"记录值" if lang == "zh" else "Recorded"}
        assert set(table[where]) == ({"全市", "海曙区"} if lang == "zh" else {"Whole city", "Haishu"})
        assert set(table[note]) == {"'=1+1", "source: stats"}  # as written, formulas neutralised


def test_the_checks_catch_what_the_issue_found():
    """The rules fail on what planners were given before: raw floats, program headers, 14 decimals."""
    raw = pd.DataFrame({"population_method": ["area-uniform"], "score_per_10k": [0.123456],
                        "population": [1267000.0]})
    people, coords = _headers("zh")
    problems = check_csv(raw.to_csv(index=False).encode(), "zh", people_headers=people | {"population"},
                         coord_headers=coords)
    assert any("program identifier" in p for p in problems) and any("decimals" in p for p in problems)
    assert any("whole numbers" in p for p in problems)
    gdf = gpd.GeoDataFrame({"population": [754869.2456479691], "lon": [121.66915412345678]},
                           geometry=gpd.points_from_xy([121.66915412345678], [29.7435161234]),
                           crs="EPSG:4326")
    problems = check_geojson(gdf.to_json().encode())
    assert any("coordinates" in p for p in problems) and any("alias" in p for p in problems)
    assert any("population" in p and "decimals" in p for p in problems)
