"""Command-line entry points: ``atlas`` and the stand-alone ``build-network``/``export-briefing``.

``atlas batch``, ``atlas build-network`` and ``atlas export-briefing`` are the same commands;
``atlas store copy`` copies the user store (e.g. into PostGIS); ``atlas users`` manages the local
accounts of ``ATLAS_AUTH=local``.
"""

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
                    "bbox:minlon,minlat,maxlon,maxlat; minlon > maxlon crosses the antimeridian) "
                    "from a local OSM file, a GraphML street graph or a download, "
                    "and store it in the atlas's network cache.")
    ap.add_argument("--area", help="e.g. 鄞州区, Yinzhou, 330212 or bbox:121.5,29.8,121.6,29.9")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--osm-file", type=Path, help="local .osm / .osm.pbf / .osm.bz2 / .osm.gz "
                     "extract (a .graphml is read as --graphml)")
    src.add_argument("--graphml", type=Path,
                     help="GraphML street graph (osmnx.save_graphml, projected or not)")
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
    """``export-briefing``: write a whole briefing pack (see :func:`atlas.io.briefing.build_pack`)."""
    from atlas.io.briefing import build_pack
    from atlas.staticmap import PRESETS

    ap = argparse.ArgumentParser(prog="export-briefing", description=(
        "Write a briefing pack: a coverage briefing page per district and for the city (PNG 300 "
        "dpi + PDF: gaps, circles, figures and table), its coverage table, a city map, an "
        "interactive HTML map and a GeoPackage of all data."))
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--lang", choices=["zh", "en"], default="zh")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="a4-landscape")
    ap.add_argument("--districts", nargs="*", help="district names (default: all ten)")
    ap.add_argument("--dpi", type=int, default=300)
    ap.add_argument("--supply", choices=["bases", "galleries", "both"], default="both",
                    help="科普 points whose circles and coverage the briefing pages show (default both)")
    ap.add_argument("--minutes", type=float, nargs="+", default=None,
                    help="walking bands of the circles, e.g. --minutes 5 10 15 (nested on every map, with "
                         "coverage_bands.csv; default: the 15-minute circle)")
    args = ap.parse_args(argv)
    bar, report = _tqdm_progress(args.lang)
    try:
        files = build_pack(args.out, lang=args.lang, preset=args.preset, districts=args.districts,
                           dpi=args.dpi, supply=args.supply, progress=report, minutes=args.minutes)
    except AtlasError as exc:
        bar.close()
        print(f"error: {exc.message(args.lang)}", file=sys.stderr)
        return 2
    bar.close()
    for f in files:
        print(f"{f.stat().st_size:>10,}  {f}")
    return 0


def _batch_areas(args: argparse.Namespace) -> tuple[list[Any], dict[str, Any]]:
    """Areas and options from a TOML spec and/or ``--area`` arguments."""
    import tomllib

    from atlas.batch import BatchArea
    from atlas.data.geodata import load_districts

    areas: list[BatchArea] = []
    opts: dict[str, Any] = {}
    if args.spec is not None:
        spec = tomllib.loads(args.spec.read_text(encoding="utf-8"))
        base = args.spec.resolve().parent
        opts = dict(spec.get("options", {}))

        def path(v: str | None) -> str | None:
            return None if v is None else str((base / v).resolve()) if not Path(v).is_absolute() else v

        for rec in spec.get("area", []):
            sites = rec.get("sites", args.sites)
            if Path(sites).suffix:
                sites = path(sites)
            area = rec.get("area")
            areas.append(BatchArea(str(rec["name"]), tuple(area) if isinstance(area, list) else area,
                                   path(rec.get("osm_file", args.osm_file and str(args.osm_file))), sites))
    names = [str(a) for a in args.area or []]
    if "all-districts" in names:
        names = [n for n in names if n != "all-districts"] + load_districts().name_zh.tolist()
    osm = str(args.osm_file.resolve()) if args.osm_file else None
    for n in names:
        label = n[5:].replace(",", "_") if n.startswith("bbox:") else n
        areas.append(BatchArea(label if not n.startswith("bbox:") else f"bbox_{label}", n, osm, args.sites))
    if not names and args.spec is None and osm:  # the whole extract
        areas.append(BatchArea(Path(osm).name.split(".")[0], None, osm, args.sites))
    return areas, opts


def batch_main(argv: list[str] | None = None) -> int:
    """``atlas batch``: service areas and coverage for many areas on a dask cluster."""
    from atlas import settings
    from atlas.batch import BatchOptions, run_batch

    ap = argparse.ArgumentParser(
        prog="atlas batch",
        description="Walking service areas and coverage for many areas (districts, bboxes or whole "
                    "OSM extracts, each in its own UTM zone), one dask task per area, merged into "
                    "one GeoPackage and GeoParquet files. A re-run skips areas already done.")
    ap.add_argument("spec", nargs="?", type=Path, help="TOML file: [options] and [[area]] name, "
                    "area, osm_file, sites (see README)")
    ap.add_argument("--area", action="append", help="district (or all-districts) or bbox:...; repeatable")
    ap.add_argument("--osm-file", type=Path, help="OSM extract for areas not cached (alone: the whole "
                    "extract is one area)")
    ap.add_argument("--sites", default="kepu_sites", help="layer id, osm-venues, or a point file")
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--scheduler", help="existing dask scheduler, e.g. tcp://10.0.0.5:8786 "
                    "(default: a LocalCluster on this machine)")
    ap.add_argument("--workers", type=int, default=2, help="LocalCluster workers (default 2)")
    ap.add_argument("--memory-limit", default="auto", help="per LocalCluster worker, e.g. 4GB")
    ap.add_argument("--inline", action="store_true", help="no dask: one area after another here")
    ap.add_argument("--minutes", type=float, nargs="+", default=[settings.WALK_MINUTES],
                    help="walking time, or bands, e.g. --minutes 5 10 15")
    ap.add_argument("--speed", type=float, default=settings.WALK_SPEED_KMH, help="km/h")
    ap.add_argument("--metres", type=float, nargs="+",
                    help="budget(s) as distances (override minutes x speed)")
    ap.add_argument("--buffer-m", type=float, default=settings.NETWORK_BUFFER_M)
    ap.add_argument("--cache", type=Path, help=f"network cache folder (default {settings.CACHE_DIR})")
    ap.add_argument("--lang", choices=["zh", "en"], default="zh")
    args = ap.parse_args(argv)
    try:
        areas, spec_opts = _batch_areas(args)
        if not areas:
            print("error: no area: give a spec file, --area or --osm-file", file=sys.stderr)
            return 2
        given = {"minutes": args.minutes, "speed_kmh": args.speed, "metres": args.metres,
                 "buffer_m": args.buffer_m, "cache": str(args.cache) if args.cache else None, **spec_opts}
        for k in ("minutes", "metres"):  # one value, or bands
            v = given[k]
            if isinstance(v, list | tuple):
                given[k] = float(v[0]) if len(v) == 1 else tuple(float(x) for x in v)
        opts = BatchOptions(**given)
        bar, report = _tqdm_progress(args.lang)
        result = run_batch(areas, out=args.out, options=opts, scheduler=args.scheduler,
                           n_workers=args.workers, memory_limit=args.memory_limit, inline=args.inline,
                           progress=report)
        bar.close()
    except (AtlasError, TypeError, KeyError, OSError, ValueError) as exc:
        msg = exc.message(args.lang) if isinstance(exc, AtlasError) else f"{type(exc).__name__}: {exc}"
        print(f"error: {msg}", file=sys.stderr)
        return 2
    for name, st in result.status.items():
        extra = st.get("crs", "") if st["status"] != "failed" else st.get(args.lang, st.get("en", ""))
        print(f"{st['status']:<8} {name}\t{extra}")
    for f in result.files:
        print(f"{f.stat().st_size:>10,}  {f}")
    return 1 if result.failed else 0


def store_main(argv: list[str] | None = None) -> int:
    """``atlas store copy``: copy the user store (e.g. the GeoPackage into PostGIS)."""
    from atlas import settings
    from atlas.store.copying import copy_store

    ap = argparse.ArgumentParser(
        prog="atlas store",
        description="Copy every saved layer version, scenario set and recorded value, with who "
                    "saved it, into an empty store: e.g. this machine's GeoPackage into a PostGIS "
                    "database several app processes share (then set ATLAS_DATABASE_URL). Keep "
                    "passwords out of the URL: libpq reads PGPASSWORD or ~/.pgpass.")
    sub = ap.add_subparsers(dest="command", required=True)
    cp = sub.add_parser("copy", help="copy a store into an empty one")
    cp.add_argument("--from", dest="source", default=str(settings.USER_DATA_DIR),
                    help="user-data folder or postgresql:// URL (default %(default)s)")
    cp.add_argument("--to", dest="target", required=True,
                    help="postgresql://user@host/db (or a folder for a GeoPackage)")
    cp.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of messages")
    args = ap.parse_args(argv)
    try:
        counts = copy_store(args.source, args.target)
    except AtlasError as exc:
        print(f"error: {exc.message(args.lang)}", file=sys.stderr)
        return 2
    for table, n in counts.items():
        print(f"{table}\t{n:,}")
    return 0


def _read_password(args: argparse.Namespace) -> str:
    """The new password: one line from standard input, or typed twice without echo."""
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise SystemExit("error: no terminal to type the password: use --password-stdin")
    first = getpass.getpass("Password / 密码: ")
    if getpass.getpass("Again / 再输入一次: ") != first:
        raise SystemExit("error: the two passwords differ / 两次输入的密码不一致")
    return first


def users_main(argv: list[str] | None = None) -> int:
    """``atlas users``: add, change and remove the local accounts of ``ATLAS_AUTH=local``."""
    from atlas import accounts, settings

    ap = argparse.ArgumentParser(
        prog="atlas users",
        description="Local accounts for ATLAS_AUTH=local: names, roles (viewer: browse, analyse, "
                    "export; editor: also import and save) and salted Argon2id password hashes, in "
                    f"a file readable only by its owner (default {settings.AUTH_USERS_FILE}; "
                    "ATLAS_USERS_FILE). Passwords are typed without echo, or read from standard "
                    "input with --password-stdin.")
    ap.add_argument("--file", type=Path, default=None, help="the accounts file")
    ap.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of messages")
    sub = ap.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add an account")
    add.add_argument("name")
    add.add_argument("--role", choices=["viewer", "editor"], default="viewer")
    pw = sub.add_parser("passwd", help="set an account's password")
    pw.add_argument("name")
    for p in (add, pw):
        p.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input")
    role = sub.add_parser("role", help="change an account's role")
    role.add_argument("name")
    role.add_argument("role", choices=["viewer", "editor"])
    rm = sub.add_parser("remove", help="remove an account (its saves keep its name)")
    rm.add_argument("name")
    sub.add_parser("list", help="list the accounts (names, roles, dates; never hashes)")
    args = ap.parse_args(argv)
    try:
        if args.command == "list":
            for row in accounts.describe(accounts.load_accounts(path=args.file)):
                print(f"{row['name']}\t{row['role']}\tcreated {row['created']}\tchanged {row['changed']}")
            return 0
        if args.command == "add":
            accounts.add_user(args.name, _read_password(args), role=args.role, path=args.file)
        elif args.command == "passwd":
            accounts.load_accounts(path=args.file)[accounts.check_name(args.name)]  # before typing
            accounts.set_password(args.name, _read_password(args), path=args.file)
        elif args.command == "role":
            accounts.set_role(args.name, args.role, path=args.file)
        else:
            accounts.remove_user(args.name, path=args.file)
    except KeyError:
        print(f"error: {'no user' if args.lang == 'en' else '没有该用户'} {args.name!r}", file=sys.stderr)
        return 2
    except AtlasError as exc:
        print(f"error: {exc.message(args.lang)}", file=sys.stderr)
        return 2
    print("ok")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``atlas``: ``atlas batch``, ``build-network``, ``export-briefing``, ``store``, ``users``."""
    args = sys.argv[1:] if argv is None else list(argv)
    commands: dict[str, Callable[[list[str]], int]] = {
        "batch": batch_main, "build-network": build_network_main,
        "export-briefing": export_briefing_main, "store": store_main, "users": users_main}
    if not args or args[0] not in commands:
        print("usage: atlas {batch,build-network,export-briefing,store,users} ...  "
              "(atlas COMMAND -h for help)",
              file=sys.stderr if args and args[0] not in ("-h", "--help") else sys.stdout)
        return 0 if args and args[0] in ("-h", "--help") else 2
    return commands[args[0]](args[1:])


if __name__ == "__main__":
    raise SystemExit(main())
