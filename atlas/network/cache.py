"""The network cache: ``.npz`` files (arrays + JSON metadata, CRS included).

Files live under :data:`atlas.settings.CACHE_DIR`, keyed by area, source and date.

Loading a 1M-edge network from the cache takes well under a second.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from atlas import settings
from atlas.errors import NetworkUnavailableError
from atlas.geo.projection import MetricFrame, metric_crs_for
from atlas.io.storage import atomic_write
from atlas.network.model import WalkNetwork

if TYPE_CHECKING:
    import geopandas as gpd

log = logging.getLogger(__name__)


def cache_key(area_label: str, source: str, source_date: str) -> str:
    """Cache key of a network: area + source + date."""
    raw = f"{area_label}|{source}|{source_date}"
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]


#: Version of the ``.npz`` layout. 2: ``meta["crs"]`` is the metric CRS chosen for the area
#: (version 1 files always said EPSG:32651, whatever their location).
CACHE_FORMAT = 2


def save_network(net: WalkNetwork, path: str | Path) -> Path:
    """Save a network as ``.npz`` (atomic write), with its CRS and the cache format in ``meta``."""
    p = Path(path)
    meta = {**net.meta, "crs": net.crs, "format": CACHE_FORMAT}

    def _write(tmp: Path) -> None:
        with tmp.open("wb") as fh:
            np.savez(fh, node_osmid=net.node_osmid, lon=net.lon, lat=net.lat, x=net.x, y=net.y,
                     u=net.u, v=net.v, length=net.length,
                     residential=np.asarray(net.residential, dtype=bool),
                     meta=np.array(json.dumps(meta, ensure_ascii=False)))

    return atomic_write(p, _write)


def load_network(path: str | Path) -> WalkNetwork:
    """Load a network saved by :func:`save_network`.

    Files written before the CRS was chosen for the place (no ``format`` in their metadata)
    were all projected to EPSG:32651. Their WGS84 node positions are exact, so such a file is
    re-projected on load to the UTM zone of its area (x, y and edge lengths recomputed, the
    old CRS kept as ``meta["reprojected_from"]``); for Ningbo nothing changes.

    Raises
    ------
    atlas.errors.NetworkUnavailableError
        If the file is missing or is not a cached network.

    """
    p = Path(path)
    if not p.exists():
        raise NetworkUnavailableError(f"没有缓存的路网：{p.name}", f"No cached network: {p.name}")
    try:
        with np.load(p, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            arrays = {k: z[k] for k in ("node_osmid", "lon", "lat", "x", "y", "u", "v", "length")}
            res = z["residential"] if "residential" in z.files else None
    except (OSError, ValueError, KeyError) as exc:
        raise NetworkUnavailableError(
            f"缓存文件 {p.name} 不是可用的路网，请重新构建",
            f"The cache file {p.name} is not a usable network: build it again") from exc
    if not _consistent(arrays):
        raise NetworkUnavailableError(
            f"缓存文件 {p.name} 中的路网不完整（没有道路或数组不一致），请重新构建",
            f"The cache file {p.name} holds no complete network (no streets, or arrays that do "
            "not match): build it again")
    if int(meta.get("format", 1)) < CACHE_FORMAT:
        crs = metric_crs_for((arrays["lon"], arrays["lat"]))
        if meta.get("crs") != crs:
            log.warning("network cache %s was projected to %s; re-projecting to %s",
                        p.name, meta.get("crs"), crs)
            x, y = MetricFrame(crs).to_metric(arrays["lon"], arrays["lat"])
            u, v = arrays["u"], arrays["v"]
            arrays.update(x=x, y=y, length=np.hypot(x[u] - x[v], y[u] - y[v]))
            meta["reprojected_from"] = meta.get("crs")
        meta["crs"] = crs
    return WalkNetwork(arrays["node_osmid"], arrays["lon"], arrays["lat"], arrays["x"], arrays["y"],
                       arrays["u"], arrays["v"], arrays["length"], meta, res, crs=str(meta["crs"]))


def _consistent(a: dict[str, Any]) -> bool:
    """True if node arrays share one length, edge arrays another (> 0), and edges name nodes."""
    n, m = len(a["x"]), len(a["u"])
    if m == 0 or any(len(a[k]) != n for k in ("node_osmid", "lon", "lat", "y")):
        return False
    if any(len(a[k]) != m for k in ("v", "length")):
        return False
    ends = np.concatenate([a["u"], a["v"]])
    return bool(ends.min() >= 0 and ends.max() < n and np.isfinite(a["length"]).all())


def cache_dir(cache: Path | None = None) -> Path:
    """Folder holding cached networks."""
    return Path(cache or settings.CACHE_DIR) / "networks"


def cache_network(net: WalkNetwork, *, area_label: str, cache: Path | None = None) -> Path:
    """Store ``net`` in the cache under its area/source/date key and return the path.

    The saved copy carries ``area_label`` in its metadata; ``net`` itself is not modified.
    """
    meta = dict(net.meta, area_label=area_label)
    key = cache_key(area_label, str(meta.get("source")), str(meta.get("source_date")))
    return save_network(dataclasses.replace(net, meta=meta), cache_dir(cache) / f"{key}.npz")


def cached_networks(*, cache: Path | None = None) -> list[dict[str, Any]]:
    """List cached networks: path, area, source, date, size (newest first)."""
    out = []
    for p in sorted(cache_dir(cache).glob("*.npz")):
        try:
            with np.load(p, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                n_nodes, n_edges = len(z["x"]), len(z["u"])
        except (OSError, ValueError, KeyError):
            continue
        out.append({"path": str(p), "nodes": n_nodes, "edges": n_edges, **meta})
    return sorted(out, key=lambda r: str(r.get("built_at", "")), reverse=True)


def find_cached_path(area_label: str, *, cache: Path | None = None) -> Path | None:
    """Path of the newest cached network for ``area_label``, or None."""
    for rec in cached_networks(cache=cache):
        if rec.get("area_label") == area_label:
            return Path(rec["path"])
    return None


def find_cached(area_label: str, *, cache: Path | None = None) -> WalkNetwork | None:
    """Return the newest cached network for ``area_label``, or None."""
    p = find_cached_path(area_label, cache=cache)
    return load_network(p) if p is not None else None


def buildings_path(network_path: str | Path) -> Path:
    """Where the residential buildings cached with a network live."""
    return Path(network_path).with_suffix(".buildings.parquet")


def load_buildings(network_path: str | Path) -> gpd.GeoDataFrame | None:
    """Residential buildings cached with a network, or None when the source had none."""
    import geopandas as gpd

    p = buildings_path(network_path)
    return gpd.read_parquet(p) if p.exists() else None
