"""Benchmark the importer on a realistic large list: read + validate + convert + save, timed.

Builds a 50,000-row GCJ-02 CSV in GB18030 (as a district office's Excel export might be), with
Chinese headers, addresses and a few problem rows, then times each stage.

Usage: python scripts/bench_import.py [--rows 50000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas.data.geodata import load_districts
from atlas.geo.datum import from_wgs84
from atlas.importing import guess_columns, read_table, to_sites, validate
from atlas.userlayers import save_user_layer


def make(n: int) -> bytes:
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(121.45, 121.65, n), rng.uniform(29.80, 29.95, n)
    glon, glat = from_wgs84(lon, lat, datum="gcj02")
    df = pd.DataFrame({"序号": np.arange(1, n + 1), "场馆名称": [f"社区科普点{i:05d}" for i in range(n)],
                       "经度": np.round(glon, 6).astype(str), "纬度": np.round(glat, 6).astype(str),
                       "所在区县": rng.choice(["海曙区", "江北区", "鄞州区", "镇海区"], n),
                       "类别": rng.choice(["科普场馆", "科普基地", "图书馆"], n),
                       "详细地址": [f"某街道{i % 300}号" for i in range(n)]})
    df.loc[::1000, "经度"] = ""  # address-only rows
    return df.to_csv(index=False).encode("gb18030")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000)
    args = ap.parse_args()
    data = make(args.rows)
    districts = load_districts()
    t0 = time.perf_counter()
    df = read_table(data, "big.csv")
    t1 = time.perf_counter()
    r = validate(df, guess_columns(list(df.columns)), datum="gcj02", districts=districts)
    t2 = time.perf_counter()
    sites = to_sites(r, layer_name="bench")
    t3 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        save_user_layer("bench", sites, folder=Path(d))
    t4 = time.perf_counter()
    print(f"{args.rows:,} rows, {len(data) / 1e6:.1f} MB GB18030 CSV, GCJ-02: {r.counts()}")
    print(f"read {t1 - t0:.2f} s | validate+convert {t2 - t1:.2f} s | to sites {t3 - t2:.2f} s | "
          f"save {t4 - t3:.2f} s | total {t4 - t0:.2f} s")


if __name__ == "__main__":
    main()
