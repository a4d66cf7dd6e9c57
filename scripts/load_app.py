"""Load the atlas with N sessions that speak Streamlit's own protocol (not N browsers).

Each session does what a browser does on the wire: ``GET /`` (which gives it nginx's route
cookie behind :mod:`serve_many`), opens the ``/_stcore/stream`` websocket, and asks for script
runs with protobuf ``BackMsg.rerun_script`` messages, reading ``ForwardMsg`` replies until the
run's ``script_finished``. The tour: map, Coverage, Service areas, map. Sessions arrive
``--gap`` seconds apart. A browser's paint needs JavaScript; this client does not run it, so the
CPU it costs is a small fraction of N Chromium tabs' and the server, not the client, is measured.

Measured, with the load average and the CPUs' busy share during the run (the machine is
shared):

  * page times: from the rerun request to its ``script_finished`` (all deltas received), per page;
  * server CPU per session: user+system time of the app processes (and nginx, PostgreSQL),
    from /proc, over the whole load, divided by the sessions;
  * optionally a real browser's first map paint in headless Chromium, started when half the
    sessions have arrived (``--browser``), measured as in ``scripts/bench_app.py``.

Usage:
  python scripts/load_app.py --processes 1 --sessions 50                # one process, no proxy
  python scripts/load_app.py --processes 2 --sessions 100 --browser     # 2 behind nginx + PostGIS
  python scripts/load_app.py --table 50,100 --processes-list 1,2 --browser   # the whole table
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

TOUR = ("map", "coverage", "service_areas", "map")
TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def proc_cpu(pids: list[int]) -> float:
    """User + system CPU seconds of processes, their live children and the children they reaped.

    (PostgreSQL forks a backend per connection and reaps it: its time lands in the postmaster's.)
    """
    roots = set(pids)
    total = 0.0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            f = _stat(int(d.name))
            pid, ppid = int(d.name), int(f[1])
            if pid in roots:
                total += sum(int(x) for x in f[11:15]) / TICK
            elif ppid in roots:
                total += (int(f[11]) + int(f[12])) / TICK
    return total


def pid_listening(port: int, name: str) -> list[int]:
    """The process called ``name`` whose command line names ``port`` (the cluster's postmaster)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            with contextlib.suppress(OSError):
                if (d / "comm").read_text().strip() == name and \
                        f"-p {port}" in (d / "cmdline").read_text().replace("\0", " "):
                    out.append(int(d.name))
    return out


class Session:
    """One Streamlit session over the websocket protocol."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pages: dict[str, str] = {}  # url path ("map" for the default) -> page_script_hash
        self.ws: Any = None
        self.received: list[bytes] = []  # the last run's messages, as sent

    async def open(self) -> None:
        """``GET /`` (keeping its cookies, as a browser does), then the websocket."""
        import websockets

        def get() -> list[str]:
            with urlopen(Request(self.url + "/"), timeout=120) as r:
                return [c.split(";")[0] for c in r.headers.get_all("Set-Cookie") or []]

        cookies = await asyncio.to_thread(get)
        host = self.url.split("://", 1)[1]
        self.ws = await websockets.connect(
            f"ws://{host}/_stcore/stream", subprotocols=["streamlit"],  # type: ignore[list-item]
            additional_headers={"Cookie": "; ".join(cookies), "Origin": self.url},
            max_size=None, open_timeout=120, ping_interval=None)

    async def run(self, page: str) -> float:
        """Ask for a run of ``page``; seconds until its ``script_finished``."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = ""
        state.page_script_hash = self.pages.get(page, "")
        self.received = []
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        while True:
            data = await self.ws.recv()
            self.received.append(data)
            fwd = ForwardMsg()
            fwd.ParseFromString(data)
            kind = fwd.WhichOneof("type")
            if kind == "navigation":
                for p in fwd.navigation.app_pages:
                    self.pages[p.url_pathname or "map"] = p.page_script_hash
            elif kind == "script_finished" and \
                    fwd.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                if fwd.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                    raise RuntimeError(f"run of {page} ended with status {fwd.script_finished}")
                return time.perf_counter() - t0

    async def close(self) -> None:
        """Close the websocket."""
        if self.ws is not None:
            await self.ws.close()


async def one_session(url: str, delay: float, limit: float) -> dict[str, Any]:
    """One user's tour; its page times, or the error that ended it."""
    await asyncio.sleep(delay)
    rec: dict[str, Any] = {"pages": []}
    s = Session(url)
    try:
        async with asyncio.timeout(limit):
            t0 = time.perf_counter()
            await s.open()
            rec["connect_s"] = time.perf_counter() - t0
            for page in TOUR:
                rec["pages"].append((page, await s.run(page)))
    except Exception as exc:  # a failed session is counted, not fatal to the load
        rec["error"] = f"{type(exc).__name__}: {str(exc)[:100]}"
    finally:
        with contextlib.suppress(Exception):
            await s.close()
    return rec


async def browser_first_paint(url: str) -> float:
    """A real browser's first map paint (headless Chromium), as ``scripts/bench_app.py`` measures."""
    import bench_app
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=bench_app.CHROMIUM,
                                          args=bench_app.CHROMIUM_ARGS)
        try:
            ctx = await browser.new_context(viewport=bench_app.VIEWPORT)  # type: ignore[arg-type]
            page = await ctx.new_page()
            t0 = time.perf_counter()
            await page.goto(url, timeout=180_000, wait_until="commit")
            await bench_app.until(bench_app.page_ready(page, "map"), timeout=180,
                                  what="first map paint", poll=0.05)
            return time.perf_counter() - t0
        finally:
            await browser.close()


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of values; NaN for none."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


async def load(url: str, n: int, *, gap: float, limit: float, pids: list[int],
               other: list[int], browser: bool) -> dict[str, Any]:
    """n sessions arriving ``gap`` s apart; their page times and the servers' CPU.

    ``pids``: the app processes; ``other``: nginx and the PostgreSQL postmaster (0 if none).
    """
    import bench_app

    phase = bench_app.Load(f"{n} sessions")
    c0, o0 = proc_cpu(pids), proc_cpu(other)
    tasks = [asyncio.create_task(one_session(url, i * gap, limit)) for i in range(n)]
    paint: float | None = None
    paint_error = ""
    if browser:
        await asyncio.sleep(n * gap / 2)  # half the sessions have arrived and are touring
        try:
            paint = await browser_first_paint(url)
        except Exception as exc:
            paint_error = f"{type(exc).__name__}: {str(exc)[:100]}"
    recs = await asyncio.gather(*tasks)
    machine = phase.done()
    ok = [r for r in recs if "error" not in r]
    by_page: dict[str, list[float]] = {}
    for r in ok:
        for page, s in r["pages"]:
            by_page.setdefault(page, []).append(s)
    return {
        "sessions": n, "ok": len(ok), "errors": sorted({r["error"] for r in recs if "error" in r}),
        "map_p50_s": pct(by_page.get("map", []), 0.5), "map_p95_s": pct(by_page.get("map", []), 0.95),
        "page_p95_s": {k: round(pct(v, 0.95), 2) for k, v in by_page.items()},
        "app_cpu_per_session_s": (proc_cpu(pids) - c0) / n,
        "proxy_db_cpu_per_session_s": (proc_cpu(other) - o0) / n,
        "browser_first_paint_s": paint, "browser_error": paint_error, **machine,
    }


@contextlib.contextmanager
def app(processes: int, database: bool) -> Iterator[tuple[str, list[int], list[int]]]:
    """One app process (no proxy), or several behind nginx; the store in PostGIS if asked."""
    import tempfile

    import serve_many

    from tests.pg_support import postgres_cluster

    with tempfile.TemporaryDirectory(prefix="atlas-load-") as tmp, contextlib.ExitStack() as stack:
        env = dict(os.environ, ATLAS_USER_DIR=f"{tmp}/user", ATLAS_CACHE_DIR=f"{tmp}/cache")
        other: list[int] = []
        if database:
            env["ATLAS_DATABASE_URL"] = db = stack.enter_context(postgres_cluster())
            other += pid_listening(int(db.rsplit(":", 1)[1].split("/")[0]), "postgres")
        if processes == 1:
            port = serve_many.free_port()
            proc = serve_many.start_app(port, env, Path(tmp) / "app.log")
            stack.callback(proc.wait, timeout=30)
            stack.callback(proc.terminate)
            url = f"http://127.0.0.1:{port}"
            if not serve_many.healthy(url, 120):
                raise SystemExit("the app did not start")
            yield url, [proc.pid], other
        else:
            farm = stack.enter_context(serve_many.serving(processes, env=env))
            yield farm.url, farm.pids(), [*other, *([farm.nginx.pid] if farm.nginx else [])]


def warm(url: str, sessions: int = 2) -> None:
    """A few tours before measuring: imports, data and caches loaded in every process."""
    asyncio.run(_warm(url, sessions))


async def _warm(url: str, sessions: int) -> None:
    recs = await asyncio.gather(*(one_session(url, 0.0, 300) for _ in range(sessions)))
    bad = [r["error"] for r in recs if "error" in r]
    if bad:
        raise SystemExit(f"warm-up failed: {bad}")


def row(processes: int, res: dict[str, Any]) -> str:
    """One line of the table."""
    paint = res["browser_first_paint_s"]
    return (f"{processes:>9} {res['sessions']:>8} {res['ok']:>4} {res['map_p50_s']:>8.2f} "
            f"{res['map_p95_s']:>8.2f} {res['app_cpu_per_session_s']:>12.2f} "
            f"{res['proxy_db_cpu_per_session_s']:>10.3f} "
            f"{(f'{paint:.1f}' if paint is not None else '-'):>7} {res['loadavg_1m']:>7.1f} "
            f"{res['cpu_busy_pct']:>5}%")


HEADER = ("processes sessions   ok  map p50  map p95  app CPU/ses  nginx+pg  paint  load1m  busy\n"
          "                            (s)      (s)       (s)        (s)      (s)")


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="load an app already running here instead of starting one")
    ap.add_argument("--processes-list", default="1", help="e.g. 1,2: app processes per row")
    ap.add_argument("--table", default="50", help="e.g. 50,100: sessions per row")
    ap.add_argument("--gap", type=float, default=0.2, help="seconds between arrivals")
    ap.add_argument("--limit", type=float, default=300.0, help="seconds a session may take")
    ap.add_argument("--browser", action="store_true", help="measure a real browser's first paint")
    ap.add_argument("--no-database", action="store_true",
                    help="keep the GeoPackage store even with several processes")
    ap.add_argument("--json", type=Path, help="write every figure here")
    args = ap.parse_args(argv)
    results = []
    print(HEADER, flush=True)
    for processes in [int(x) for x in args.processes_list.split(",")]:
        ctx: contextlib.AbstractContextManager[tuple[str, list[int], list[int]]] = (
            contextlib.nullcontext((args.url, [], [])) if args.url
            else app(processes, database=processes > 1 and not args.no_database))
        with ctx as (url, pids, other):
            warm(url, sessions=2 * processes)
            for n in [int(x) for x in args.table.split(",")]:
                res = asyncio.run(load(url, n, gap=args.gap, limit=args.limit, pids=pids,
                                       other=other, browser=args.browser))
                res["processes"] = processes
                results.append(res)
                print(row(processes, res), flush=True)
                if res["errors"] or res["browser_error"]:
                    print(f"          errors: {res['errors']} {res['browser_error']}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
