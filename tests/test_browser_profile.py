"""The browser-profile tables of scripts/bench_app.py --profile, on a small hand-made trace."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


@pytest.fixture(scope="module")
def bp():
    sys.path.insert(0, str(SCRIPTS))
    try:
        yield importlib.import_module("browser_profile")
    finally:
        sys.path.remove(str(SCRIPTS))


def _x(name, ts, dur, tdur=None, tid=1, **data):
    e = {"ph": "X", "pid": 10, "tid": tid, "name": name, "ts": ts, "dur": dur, "args": {"data": data}}
    if tdur is not None:
        e["tdur"] = tdur
    return e


TRACE = [
    {"ph": "M", "pid": 10, "name": "process_name", "args": {"name": "Renderer"}},
    {"ph": "M", "pid": 10, "tid": 1, "name": "thread_name", "args": {"name": "CrRendererMain"}},
    {"ph": "M", "pid": 10, "tid": 2, "name": "thread_name", "args": {"name": "Compositor"}},
    {"ph": "I", "pid": 1, "tid": 1, "name": "TracingStartedInBrowser", "ts": 0,
     "args": {"data": {"frames": [{"frame": "TOP", "url": "http://127.0.0.1:8501/"}]}}},
    {"ph": "I", "pid": 1, "tid": 1, "name": "FrameCommittedInBrowser", "ts": 1,
     "args": {"data": {"frame": "MAP", "url": "http://127.0.0.1:8501/component/streamlit_folium.st_folium/index.html"}}},
    # a task of 10 ms CPU: 6 ms of page script, of which 2 ms is a nested layout
    _x("ThreadControllerImpl::RunTask", 0, 12_000, 10_000),
    _x("FunctionCall", 100, 6_000, 6_000, frame="TOP", url="http://127.0.0.1:8501/static/js/index.abc.js"),
    _x("Layout", 1_000, 2_000, 2_000),
    # the map iframe's script, with a GC inside, and a paint without a frame
    _x("ThreadControllerImpl::RunTask", 20_000, 5_000, 5_000),
    _x("FunctionCall", 20_100, 4_000, 4_000, frame="MAP", url="http://127.0.0.1:8501/component/x/leaflet.js"),
    _x("MinorGC", 21_000, 1_000, 1_000),
    _x("ThreadControllerImpl::RunTask", 30_000, 3_000, 3_000, tid=2),
]


def test_main_thread_self_time_by_frame_and_kind(bp):
    out = bp.trace_breakdown(TRACE)
    main = {k: round(v * 1000, 3) for k, v in out["main"].items()}
    assert main["Streamlit page | script"] == 4.0  # 6 ms minus the nested layout
    assert main["Streamlit page | style & layout"] == 2.0  # inherits the page's frame
    assert main["map iframe(s) | script"] == 3.0 and main["map iframe(s) | GC"] == 1.0
    assert sum(main.values()) == pytest.approx(15.0)  # both tasks' CPU, nothing counted twice
    assert out["threads"] == {"Renderer / CrRendererMain": 0.015, "Renderer / Compositor": 0.003}
    assert out["map_iframes"] == 1


def test_cpu_profile_self_time_by_script(bp):
    profile = {"nodes": [{"id": 1, "callFrame": {"functionName": "(root)", "url": ""}},
                         {"id": 2, "callFrame": {"functionName": "(program)", "url": ""}},
                         {"id": 3, "callFrame": {"functionName": "f", "url": "http://h/static/js/react-dom.X1.js"}},
                         {"id": 4, "callFrame": {"functionName": "g", "url": "http://h/c/atlas/atlas.js?v=1"}}],
               "samples": [2, 3, 3, 4], "timeDeltas": [1000, 2000, 2000, 500]}
    want = {"(program)": 0.001, "Streamlit: react-dom": 0.004, "atlas.js": 0.0005}
    assert bp.profile_by_script(profile) == want


def test_process_types_from_chromium_command_lines(bp):
    assert bp._process_type([b"/usr/lib/chromium/chromium", b"--type=renderer", b"--top-chrome-webui"]) \
        .startswith("renderer (WebUI")
    network = [b"chromium", b"--type=utility", b"--utility-sub-type=network.mojom.NetworkService"]
    assert bp._process_type(network) == "utility (NetworkService)"
    assert bp._process_type([b"chromium", b"--headless"]) == "browser"
    assert bp.cpu_delta({1: ("renderer", 1.0)}, {1: ("renderer", 3.5), 2: ("gpu-process", 0.5)}) == \
        {"renderer": 2.5, "gpu-process": 0.5}


def test_the_benchmark_script_compiles():
    import py_compile

    py_compile.compile(str(SCRIPTS / "bench_app.py"), doraise=True)
