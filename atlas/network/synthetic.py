"""Synthetic street grids for benchmarks and tests."""

from __future__ import annotations

from datetime import date

import numpy as np

from atlas.geo.projection import MetricFrame, metric_crs_at
from atlas.network.model import WalkNetwork, largest_component_of


def synthetic_grid(n_side: int, *, spacing_m: float = 100.0,
                   origin: tuple[float, float] = (121.40, 29.70), seed: int = 0) -> WalkNetwork:
    """A square street grid of ``n_side`` x ``n_side`` nodes (for benchmarks/tests).

    The grid is square in the metric CRS (UTM zone) of ``origin`` (default: near Ningbo), its south-west
    corner. A few edges are removed at random (5 %) so shortest paths are not trivial.
    """
    rng = np.random.default_rng(seed)
    frame = MetricFrame(metric_crs_at(*origin))
    x0, y0 = frame.to_metric(np.array([origin[0]]), np.array([origin[1]]))
    ii, jj = np.meshgrid(np.arange(n_side), np.arange(n_side), indexing="ij")
    x = (x0[0] + jj * spacing_m).ravel().astype(np.float64)
    y = (y0[0] + ii * spacing_m).ravel().astype(np.float64)
    idx = np.arange(n_side * n_side).reshape(n_side, n_side)
    h = np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()])
    v = np.column_stack([idx[:-1, :].ravel(), idx[1:, :].ravel()])
    e = np.vstack([h, v])
    e = e[rng.random(len(e)) > 0.05]
    lon, lat = frame.to_lonlat(x, y)
    length = np.hypot(x[e[:, 0]] - x[e[:, 1]], y[e[:, 0]] - y[e[:, 1]])
    net = WalkNetwork(np.arange(len(x), dtype=np.int64), np.asarray(lon), np.asarray(lat), x, y,
                      e[:, 0].astype(np.int64), e[:, 1].astype(np.int64), length,
                      {"source_kind": "synthetic", "source": f"grid {n_side}x{n_side}",
                       "source_date": date.today().isoformat()}, crs=frame.crs)
    return largest_component_of(net)
