"""Where a Chromium session's CPU goes during the app tour (``scripts/bench_app.py --profile DIR``).

One new session (a Chromium context) does the tour (map → coverage → service areas → export)
while three recorders run; each gives one table:

1. **Processes** (``/proc``): CPU seconds of each Chromium process type, sampled before the
   context closes (the tab's renderer; the browser, GPU and network processes it shares with
   other sessions; the browser's own WebUI renderers, which every new context wakes).
2. **Renderer main thread** (a Chromium trace, ``devtools.timeline`` and ``toplevel``): CPU of
   each event minus its children (self time), by frame (the Streamlit page, each map iframe) and
   kind of work (script, compile, style & layout, paint, parsing HTML, GC, other); the other
   threads' task CPU (raster and compile workers, compositor, GPU/viz, browser).
3. **Scripts** (V8's sampling profiler through the Chrome DevTools Protocol): self time per
   script file (Streamlit's chunks, streamlit-folium's bundle, Leaflet, atlas.js), samples
   outside JavaScript (``(program)``: native work; ``(garbage collector)``).

Also: how many map iframes the tour created, the bytes of map scripts each fetched, and the size
of the layer code (feature groups) each map evaluated.

The raw trace (``tour.trace.json``, opens in chrome://tracing or ui.perfetto.dev) and CPU profile
(``tour.cpuprofile``, opens in DevTools) are written to DIR.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

TICK = os.sysconf("SC_CLK_TCK")
TRACE_CATEGORIES = ["toplevel", "devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute",
                    "blink", "cc", "loading"]
MAP_FRAME = "streamlit_folium"

#: Kinds of main-thread work, by event name (first match wins); the rest is "other".
KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("GC", ("GC", "BlinkGC", "ThreadState::", "Sweep")),
    ("compile", ("v8.compile", "V8.Compile", "v8.parseOnBackground", "v8.produceCache", "V8.Parse",
                 "v8.compileModule", "v8.deserialize", "CacheScript")),
    ("style & layout", ("UpdateLayoutTree", "Layout", "UpdateStyleAndLayout", "recalcStyle", "RecalcStyle",
                        "ShapeText", "rebuildLayoutTree", "HitTest", "IntersectionObserver")),
    ("paint", ("Paint", "Layerize", "UpdateLayer", "Commit", "CompositeLayers", "Canvas", "Decode",
               "Raster", "LayerTreeHost", "CompositingInputs")),
    ("parse HTML/CSS", ("ParseHTML", "ParseAuthorStyleSheet", "TextResourceDecoder", "RuleSet::")),
    ("script", ("FunctionCall", "EvaluateScript", "v8.callFunction", "v8.run", "TimerFire", "EventDispatch",
                "FireAnimationFrame", "RunMicrotasks", "v8.evaluateModule", "V8.", "Microtask",
                "FireIdleCallback", "PostMessage")),
)


# --------------------------------------------------------------------------------------------
# processes
# --------------------------------------------------------------------------------------------

def chromium_processes() -> dict[int, tuple[float, float, list[bytes]]]:
    """(own CPU s, CPU s of reaped children, command line) of each Chromium process this one started."""
    table: dict[int, tuple[int, str, float, float, list[bytes]]] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            head, rest = (proc / "stat").read_text().rsplit(")", 1)
            f = rest.split()
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").split()
            table[int(proc.name)] = (int(f[1]), head.split("(", 1)[1], (int(f[11]) + int(f[12])) / TICK,
                                     (int(f[13]) + int(f[14])) / TICK, cmd)
    mine, grew = {os.getpid()}, True
    while grew:  # descendants of this process
        grew = False
        for pid, (ppid, *_rest) in table.items():
            if ppid in mine and pid not in mine:
                mine.add(pid)
                grew = True
    return {pid: table[pid][2:] for pid in mine - {os.getpid()}
            if pid in table and "chrom" in table[pid][1].lower()}


def chromium_cpu() -> dict[int, tuple[str, float]]:
    """(process type, user+system CPU seconds) of each live Chromium process this process started.

    Chromium rewrites its command line into one string; the type is its ``--type=`` (the
    browser process has none), renderers of the browser's own pages are ``renderer (WebUI)``.
    """
    return {pid: (_process_type(cmd), own) for pid, (own, _reaped, cmd) in chromium_processes().items()}


def _process_type(cmd: list[bytes]) -> str:
    kind = next((a[7:].decode() for a in cmd if a.startswith(b"--type=")), "browser")
    sub = next((a.split(b"=", 1)[1].decode().split(".")[-1] for a in cmd
                if a.startswith(b"--utility-sub-type=")), "")
    if kind == "renderer" and (b"--top-chrome-webui" in cmd or b"--webui-renderer" in cmd):
        return "renderer (WebUI: the browser's own pages)"
    if sub == "TracingService":
        return "utility (TracingService: the profiler itself)"
    return f"{kind} ({sub})" if sub else kind


def cpu_delta(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds per process type between two :func:`chromium_cpu` samples."""
    out: collections.Counter[str] = collections.Counter()
    for pid, (kind, cpu) in after.items():
        out[kind] += cpu - before.get(pid, (kind, 0.0))[1]
    return dict(out)


# --------------------------------------------------------------------------------------------
# the trace
# --------------------------------------------------------------------------------------------

def _names(events: list[dict[str, Any]]) -> tuple[dict[int, str], dict[tuple[int, int], str]]:
    procs, threads = {}, {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "process_name":
            procs[e["pid"]] = str(e["args"]["name"])
        elif e.get("ph") == "M" and e.get("name") == "thread_name":
            threads[(e["pid"], e["tid"])] = str(e["args"]["name"])
    return procs, threads


def _frames(events: list[dict[str, Any]]) -> dict[str, str]:
    """URL of each frame id seen in the trace."""
    out: dict[str, str] = {}
    for e in events:
        data = (e.get("args") or {}).get("data") or {}
        if e.get("name") == "TracingStartedInBrowser":
            out.update({f["frame"]: f.get("url", "") for f in data.get("frames", [])})
        elif e.get("name") == "FrameCommittedInBrowser" and data.get("frame"):
            out[data["frame"]] = data.get("url", "")
    return out


def frame_label(url: str) -> str:
    """What a frame is: the Streamlit page, a map iframe, or something else."""
    if MAP_FRAME in url:
        return "map iframe(s)"
    if url.startswith("http"):
        return "Streamlit page"
    return "no frame recorded (promise jobs, IPC, canvas frames, compositing, the benchmark's queries)"


def script_label(url: str) -> str:
    """A script's file as a short name (Streamlit chunks keep their chunk name)."""
    name = url.split("?")[0].rsplit("/", 1)[-1]
    if not url:
        return "(no script: native work, browser APIs, evaluated code)"
    if MAP_FRAME in url and "/static/js/" in url:
        return f"streamlit-folium bundle ({name})"
    if "/static/js/" in url:
        return f"Streamlit: {name.split('.')[0]}"
    return name


def _kind(name: str) -> str:
    return next((k for k, keys in KINDS if any(x in name for x in keys)), "other")


def main_thread_self_time(events: list[dict[str, Any]], pid: int, tid: int
                          ) -> list[tuple[dict[str, Any], str | None, float]]:
    """(event, frame id, self CPU seconds) of each complete event of one thread.

    Self time is the event's thread time (``tdur``, or its duration where the trace has none)
    minus its children's; an event without a frame of its own belongs to its parent's frame.
    """
    xs = sorted((e for e in events if e.get("pid") == pid and e.get("tid") == tid and e.get("ph") == "X"
                 and "dur" in e), key=lambda e: (e["ts"], -e["dur"]))
    stack: list[list[Any]] = []
    nodes: list[list[Any]] = []
    for e in xs:
        while stack and stack[-1][0]["ts"] + stack[-1][0]["dur"] <= e["ts"]:
            stack.pop()
        parent = stack[-1] if stack else None
        args = e.get("args") or {}
        data = args.get("data") or args.get("beginData") or {}
        frame = data.get("frame") or (parent[1] if parent else None)
        cpu = float(e.get("tdur", e["dur"]))
        if parent is not None:
            parent[2] -= cpu
        node = [e, frame, cpu]
        stack.append(node)
        nodes.append(node)
    return [(e, f, max(c, 0.0) / 1e6) for e, f, c in nodes]


def trace_breakdown(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Tables from a trace: task CPU per thread; renderer main-thread self time by frame and kind."""
    procs, threads = _names(events)
    frames = _frames(events)
    per_thread: collections.Counter[str] = collections.Counter()
    for e in events:
        if e.get("ph") == "X" and e.get("name") in ("ThreadControllerImpl::RunTask", "ThreadPool_RunTask"):
            who = f"{procs.get(e['pid'], e['pid'])} / {threads.get((e['pid'], e['tid']), e['tid'])}"
            per_thread[who] += float(e.get("tdur", e.get("dur", 0))) / 1e6
    by_frame_kind: collections.Counter[tuple[str, str]] = collections.Counter()
    map_frames: set[str] = set()
    for (pid, tid), name in threads.items():
        if name != "CrRendererMain" or procs.get(pid) != "Renderer":
            continue
        for e, frame, cpu in main_thread_self_time(events, pid, tid):
            url = frames.get(frame or "", "")
            if MAP_FRAME in url:
                map_frames.add(frame or "")
            by_frame_kind[(frame_label(url), _kind(e["name"]))] += cpu
    return {"threads": dict(per_thread), "main": {f"{f} | {k}": v for (f, k), v in by_frame_kind.items()},
            "map_iframes": len(map_frames)}


def map_resources(events: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """(requests, bytes) of each file the map iframes fetched (from the trace's network events)."""
    urls: dict[str, str] = {}
    out: dict[str, list[int]] = {}
    for e in events:
        data = (e.get("args") or {}).get("data") or {}
        if e.get("name") == "ResourceSendRequest":
            urls[data.get("requestId", "")] = data.get("url", "")
        elif e.get("name") == "ResourceFinish":
            url = urls.get(data.get("requestId", ""), "")
            if "/component/" in url:
                name = url.split("?")[0].rsplit("/", 1)[-1]
                row = out.setdefault(name, [0, 0])
                row[0] += 1
                row[1] += int(data.get("encodedDataLength", 0))
    return {k: (v[0], v[1]) for k, v in out.items()}


# --------------------------------------------------------------------------------------------
# the V8 CPU profile
# --------------------------------------------------------------------------------------------

def profile_by_script(profile: dict[str, Any]) -> dict[str, float]:
    """Self seconds per script file (and per V8 pseudo-node: program, GC, idle)."""
    nodes = {n["id"]: n["callFrame"] for n in profile["nodes"]}
    out: collections.Counter[str] = collections.Counter()
    for node, dt in zip(profile["samples"], profile["timeDeltas"], strict=True):
        frame = nodes[node]
        fn = frame.get("functionName", "")
        pseudo = fn.startswith("(") and not frame["url"]
        label = f"({fn.strip('()')})" if pseudo else script_label(frame["url"])
        out[label] += dt / 1e6
    return dict(out)


# --------------------------------------------------------------------------------------------
# one profiled tour
# --------------------------------------------------------------------------------------------

_MAP_CODE = "() => ((window.__GLOBAL_DATA__ || {}).last_feature_group || '').length"


Step = tuple[str, Callable[[Any], Awaitable[Any]]]


async def profiled_tour(browser: Any, steps: Iterable[Step], new_session: Callable[[], Awaitable[Any]],
                        folder: Path) -> dict[str, Any]:
    """Run ``steps`` (name, coroutine taking the page) in a new session while tracing and profiling.

    ``new_session`` returns (context, page). Writes ``tour.trace.json`` and ``tour.cpuprofile`` to
    ``folder`` and returns the tables (see the module's docstring).
    """
    folder.mkdir(parents=True, exist_ok=True)
    ctx, page = await new_session()
    cdp = await ctx.new_cdp_session(page)
    await cdp.send("Profiler.enable")
    await cdp.send("Profiler.setSamplingInterval", {"interval": 500})
    cpu0 = chromium_cpu()
    await browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    await cdp.send("Profiler.start")
    map_code: list[tuple[str, int]] = []
    for name, step in steps:
        await step(page)
        for f in page.frames:
            if MAP_FRAME in f.url and not f.is_detached():
                with contextlib.suppress(Exception):
                    map_code.append((name, int(await f.evaluate(_MAP_CODE))))
    profile = (await cdp.send("Profiler.stop"))["profile"]
    trace = await browser.stop_tracing()
    cpu1 = chromium_cpu()
    await ctx.close()
    (folder / "tour.trace.json").write_bytes(trace)
    (folder / "tour.cpuprofile").write_text(json.dumps(profile))
    events = json.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    return {"processes": cpu_delta(cpu0, cpu1), **trace_breakdown(events),
            "scripts": profile_by_script(profile), "map_files": map_resources(events), "map_code": map_code}


def report(p: dict[str, Any], *, top: int = 14) -> str:
    """The tables of :func:`profiled_tour` as text."""
    def table(title: str, rows: dict[str, float], unit: str = "s") -> list[str]:
        total = sum(rows.values())
        out = ["", f"{title} (total {total:.2f} {unit})"]
        for k, v in sorted(rows.items(), key=lambda kv: -kv[1])[:top]:
            out.append(f"  {v:7.3f} {unit}  {100 * v / total if total else 0:5.1f} %  {k}")
        return out

    lines = ["", "Browser profile of one session's tour (map → coverage → service areas → export)"]
    lines += table("CPU per Chromium process (/proc)", p["processes"])
    lines += table("Task CPU per thread (trace)", p["threads"])
    lines += table("Renderer main thread, self CPU by frame | kind of work (trace)", p["main"])
    scripts = {k: v for k, v in p["scripts"].items() if k != "(idle)"}
    lines += table("JavaScript self time by script, and V8's native/GC samples (CPU profile)", scripts)
    lines.append(f"  map iframes created: {p['map_iframes']}; map files fetched (requests, bytes): "
                 + ", ".join(f"{k} {n}× {b / 1e3:,.0f} kB" for k, (n, b) in sorted(p["map_files"].items())))
    lines.append("  layer code evaluated by each map: "
                 + ", ".join(f"{name} {n / 1e3:,.0f} kB" for name, n in p["map_code"]))
    return "\n".join(lines)
