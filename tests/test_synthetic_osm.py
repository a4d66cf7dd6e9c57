"""The synthetic Ningbo street network used to time build-network is a real, connected .osm.pbf."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import osmium

from atlas.network import build_network

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "make_synthetic_osm.py"


def _module():
    spec = importlib.util.spec_from_file_location("make_synthetic_osm", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_a_small_synthetic_extract_builds_a_connected_district_network(tmp_path):
    out = tmp_path / "small.osm.pbf"
    nodes, ways = _module().write(out, spacing=1500.0, core_spacing=400.0, core_km=6.0, shape_nodes=2)
    counts = osmium.FileProcessor(str(out))
    seen_nodes = seen_ways = 0
    highways = set()
    for obj in counts:
        if obj.is_node():
            seen_nodes += 1
        elif obj.is_way():
            seen_ways += 1
            highways.add(obj.tags.get("highway"))
    assert (seen_nodes, seen_ways) == (nodes, ways)
    assert {"motorway", "footway", "residential"} <= highways  # the walking filter has work to do
    net, _ = build_network("江北区", osm_file=out, cache=tmp_path / "cache")
    # most of the district's grid is one walkable component (shared intersection nodes)
    assert net.n_nodes > 1000
