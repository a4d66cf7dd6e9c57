"""Time and peak memory of the importer on the largest hostile uploads (rows, cell size).

Each case is read the way the import page reads it: in a worker process with the time and memory
budget (atlas.guard), and the worker's own time and peak resident memory are reported. A plain
50,000-row CSV is measured in the same run as the baseline (other load on the machine affects
both), and the ratios are printed.

Usage: python scripts/bench_hostile.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas.errors import AtlasError
from atlas.guard import measured, run_guarded
from atlas.importing import read_table
from tests import hostile_files


def _case(label: str, data: bytes, name: str) -> tuple[float, float]:
    t0 = time.perf_counter()
    try:
        df, secs, before, peak = run_guarded(measured, read_table, data, name)
        outcome = f"refused: {df[2]}" if isinstance(df, tuple) else f"read {len(df):,} rows"
    except AtlasError as exc:  # the worker was stopped (time or memory budget)
        secs, before, peak, outcome = time.perf_counter() - t0, 0, 0, f"stopped: {exc.en}"
    wall = time.perf_counter() - t0
    print(f"{label:<34} {len(data) / 1e6:8.2f} MB  wall {wall:6.2f} s  worker {secs:6.2f} s  "
          f"peak RSS {peak / 2**20:7.0f} MiB (start {before / 2**20:5.0f} MiB)  {outcome}")
    return wall, peak


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller cases (CI smoke run)")
    args = ap.parse_args()
    rows = 300_000 if args.quick else 1_048_575
    run_guarded(read_table, b"a,b\n1,2\n", "warm.csv")  # start the worker server once
    base_data, base_name, _ = hostile_files.csv_delimited(n=50_000)
    base_wall, _ = _case("baseline: 50,000-row CSV", base_data, base_name)
    cases = [
        (f"XLSX with {rows:,} data rows", hostile_files.xlsx_million_rows(rows=rows)),
        ("XLSX declaring 1,048,576 x 16,384", hostile_files.xlsx_declared_rows()),
        ("XLSX with one 64 MiB cell", hostile_files.xlsx_big_cell(mib=64)),
        ("XLSX with one 200 MiB cell", hostile_files.xlsx_big_cell(mib=200)),
        ("XLSX with one 1 GiB cell", hostile_files.xlsx_big_cell(mib=1024)),
    ]
    for label, (data, name, _) in cases:
        wall, _ = _case(label, data, name)
        print(f"{'':<34} ratio to baseline: {wall / base_wall:5.1f}x")


if __name__ == "__main__":
    main()
