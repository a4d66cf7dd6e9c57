"""Command-line entry points: ``build-network`` and ``export-briefing``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from atlas.errors import AtlasError


def _tqdm_progress(lang: str = "zh") -> tuple[Any, Callable[[str, float], None]]:
    from tqdm import tqdm

    from atlas.i18n import stage_label

    bar = tqdm(total=100, unit="%", bar_format="{l_bar}{bar}| {n:.0f}%  {postfix}")

    def report(stage: str, frac: float) -> None:
        bar.set_postfix_str(stage_label(stage, lang))
        bar.n = round(100 * frac)
        bar.refresh()

    return bar, report


def build_network_main(argv: list[str] | None = None) -> int:
    """``build-network``: build or download a walking network for an area and cache it."""
    from atlas import settings
    from atlas.network import build_network, cached_networks

    ap = argparse.ArgumentParser(
        prog="build-network",
        description="Build a walking network for an area (district name, adcode or "
                    "bbox:minlon,minlat,maxlon,maxlat) from a local OSM file or a download, "
                    "and store it in the atlas's network cache.")
    ap.add_argument("--area", help="e.g. 鄞州区, Yinzhou, 330212 or bbox:121.5,29.8,121.6,29.9")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--osm-file", type=Path, help="local .osm / .osm.pbf / .osm.bz2 extract")
    src.add_argument("--graphml", type=Path, help="osmnx GraphML file")
    src.add_argument("--download", action="store_true", help="download through osmnx (online)")
    ap.add_argument("--overpass-url", help="Overpass endpoint for --download")
    ap.add_argument("--buffer-m", type=float, default=settings.NETWORK_BUFFER_M,
                    help="buffer around the area in metres (default %(default)s)")
    ap.add_argument("--cache", type=Path, default=None,
                    help=f"cache folder (default {settings.CACHE_DIR})")
    ap.add_argument("--list", action="store_true", help="list cached networks and exit")
    ap.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of progress and errors")
    args = ap.parse_args(argv)
    if args.list:
        for rec in cached_networks(cache=args.cache):
            print(f"{rec.get('area_label')}\t{rec.get('source_kind')}\t{rec.get('source')}\t"
                  f"{rec.get('source_date')}\t{rec['nodes']:,} nodes\t{rec['edges']:,} edges\t"
                  f"{rec.get('crs')}\t{rec['path']}")
        return 0
    if not args.area:
        ap.error("--area is required (or use --list)")
    bar, report = _tqdm_progress(args.lang)
    try:
        net, path = build_network(args.area, osm_file=args.osm_file, graphml=args.graphml,
                                  online=args.download, overpass_url=args.overpass_url,
                                  buffer_m=args.buffer_m, cache=args.cache,
                                  progress=report)
    except AtlasError as exc:
        bar.close()
        print(f"error: {exc.message(args.lang)}", file=sys.stderr)
        return 2
    bar.close()
    print(net.describe(args.lang))
    print(f"cached: {path}")
    return 0


def export_briefing_main(argv: list[str] | None = None) -> int:
    """``export-briefing``: a briefing pack (one map per district + tables)."""
    from atlas.export import export_briefing_cli

    return export_briefing_cli(argv)


if __name__ == "__main__":
    raise SystemExit(build_network_main())
