"""Walking networks: get one for any area the atlas knows, cache it, load it fast.

A :class:`WalkNetwork` is a set of arrays: nodes and undirected straight edges, in true metres
in the UTM zone of the network's area (:attr:`WalkNetwork.crs`). One module per concern:

* :mod:`atlas.network.model` — the model, its shortest-path matrix (:func:`edge_csr`: parallel
  edges collapsed to their minimum, zero lengths kept) and conversions from arrays and osmnx;
* :mod:`atlas.network.osmfile` — local files: ``.osm``/``.osm.xml``/``.osm.bz2``/``.osm.gz``/
  ``.osm.pbf`` read with pyosmium (and residential buildings from the same file);
* :mod:`atlas.network.graphml` — GraphML street graphs (osmnx's, projected or not);
* :mod:`atlas.network.download` — osmnx ``graph_from_polygon`` with
  :data:`atlas.osmfilter.WALK_FILTERS` and osmnx's HTTP cache (online machines);
* :mod:`atlas.network.cache` — ``.npz`` files under :data:`atlas.settings.CACHE_DIR`;
* :mod:`atlas.network.build` — areas (district, bbox, polygon) and :func:`build_network`;
* :mod:`atlas.network.synthetic` — synthetic grids for benchmarks and tests.

Networks are clipped like osmnx's ``truncate_by_edge=True`` (nodes inside the area plus their
direct neighbours) and reduced to the largest connected component by default. Everything public
is re-exported here, so ``from atlas.network import build_network`` keeps working.
"""

from atlas.network.build import (
    Area,
    area_for_network,
    build_network,
    resolve,
    resolve_area,
)
from atlas.network.cache import (
    CACHE_FORMAT,
    buildings_path,
    cache_dir,
    cache_key,
    cache_network,
    cached_networks,
    find_cached,
    find_cached_path,
    load_buildings,
    load_network,
    save_network,
)
from atlas.network.download import download
from atlas.network.graphml import GRAPHML_SUFFIXES, read_graphml
from atlas.network.model import (
    RESIDENTIAL_HIGHWAYS,
    ZERO_LENGTH_M,
    Progress,
    WalkNetwork,
    clip_by_edge,
    edge_csr,
    from_arrays,
    from_networkx,
    largest_component_of,
    to_networkx,
)
from atlas.network.osmfile import (
    OSM_SUFFIXES,
    RESIDENTIAL_BUILDINGS,
    buildings_from_osm_file,
    file_extent,
    osm_format,
    read_osm_file,
)
from atlas.network.synthetic import synthetic_grid

__all__ = [
    "CACHE_FORMAT",
    "GRAPHML_SUFFIXES",
    "OSM_SUFFIXES",
    "RESIDENTIAL_BUILDINGS",
    "RESIDENTIAL_HIGHWAYS",
    "ZERO_LENGTH_M",
    "Area",
    "Progress",
    "WalkNetwork",
    "area_for_network",
    "build_network",
    "buildings_from_osm_file",
    "buildings_path",
    "cache_dir",
    "cache_key",
    "cache_network",
    "cached_networks",
    "clip_by_edge",
    "download",
    "edge_csr",
    "file_extent",
    "find_cached",
    "find_cached_path",
    "from_arrays",
    "from_networkx",
    "largest_component_of",
    "load_buildings",
    "load_network",
    "osm_format",
    "read_graphml",
    "read_osm_file",
    "resolve",
    "resolve_area",
    "save_network",
    "synthetic_grid",
    "to_networkx",
]
