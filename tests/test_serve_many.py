"""Several app processes behind nginx (scripts/serve_many.py), sharing one PostGIS store.

Started by the test itself: a throw-away PostgreSQL + PostGIS cluster, two ``streamlit run``
processes and nginx, all on free ports of 127.0.0.1. Sessions speak Streamlit's own websocket
protocol (scripts/load_app.py) through nginx.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import shutil
import sys
import time
from pathlib import Path
from urllib.request import Request, urlopen

import pytest

from atlas.userlayers import save_user_layer
from tests.pg_support import fresh_schema
from tests.test_storage import make_sites

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import load_app  # noqa: E402
import serve_many  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                                reason="nginx is not installed (scripts/setup.sh test installs it)")


@pytest.fixture(scope="module")
def farm(tmp_path_factory, postgres):
    """Two app processes behind nginx, their store in a PostGIS schema; yields (farm, its URL)."""
    tmp = tmp_path_factory.mktemp("farm")
    with fresh_schema(postgres) as (db, _):
        env = dict(os.environ, ATLAS_USER_DIR=str(tmp / "user"), ATLAS_CACHE_DIR=str(tmp / "cache"),
                   ATLAS_DATABASE_URL=db)
        with serve_many.serving(2, env=env, show_upstream=True) as f:
            yield f, db


def _get(url: str, cookie: str = "") -> tuple[int, str, str]:
    with urlopen(Request(url, headers={"Cookie": cookie} if cookie else {}), timeout=60) as r:
        route = next((c.split(";")[0] for c in r.headers.get_all("Set-Cookie") or []
                      if c.startswith("atlas_route=")), "")
        return r.status, route, r.headers.get("X-Atlas-Upstream", "")


def test_nginx_serves_the_app_and_keeps_each_browser_on_one_process(farm):
    f, _ = farm
    upstreams = {}
    for _ in range(24):  # new browsers spread over both processes
        status, route, upstream = _get(f.url + "/")
        assert status == 200 and route.startswith("atlas_route=")
        upstreams[route] = upstream
    assert set(upstreams.values()) == {f"127.0.0.1:{p}" for p in f.ports}
    for route, upstream in list(upstreams.items())[:6]:  # a browser's later requests: same process
        for _ in range(3):
            status, again, seen = _get(f.url + "/_stcore/health", route)
            assert (status, again, seen) == (200, "", upstream)


def test_streamlit_front_end_files_come_from_nginx_compressed(farm):
    f, _ = farm
    js = sorted((serve_many.streamlit_static() / "static" / "js").glob("index.*.js"))[0]
    req = Request(f"{f.url}/static/js/{js.name}", headers={"Accept-Encoding": "gzip"})
    with urlopen(req, timeout=60) as r:
        body = r.read()
        assert r.status == 200 and r.headers.get("Content-Encoding") == "gzip"
        assert r.headers.get("X-Atlas-Upstream") is None  # no app process was asked
        assert "max-age=604800" in r.headers.get("Cache-Control", "")
    assert gzip.decompress(body) == js.read_bytes()


def _tour(url: str, layer: str, sessions: int = 8) -> list[tuple[str, bool]]:
    """Sessions through nginx: (the process each reached, whether its map page lists ``layer``)."""
    names = (layer.encode(), json.dumps(layer).strip('"').encode())  # raw or JSON-escaped

    async def tour() -> list[tuple[str, bool]]:
        seen = []
        for _ in range(sessions):
            s = load_app.Session(url)
            await s.open()
            try:
                assert await s.run("map") < 120
                upstream = s.ws.response.headers.get("X-Atlas-Upstream", "")
                seen.append((upstream, any(name in m for m in s.received for name in names)))
                assert await s.run("coverage") < 120 and s.pages.get("coverage")
            finally:
                await s.close()
        return seen

    return asyncio.run(tour())


def test_websocket_sessions_through_nginx_share_the_postgis_store(farm):
    f, db = farm
    both = {f"127.0.0.1:{p}" for p in f.ports}
    save_user_layer("共享图层测试", make_sites(12), folder=db, user="editor1")
    seen = _tour(f.url, "共享图层测试")
    # every session, on either process, saw the layer saved in PostGIS
    assert all(found for _, found in seen) and {u for u, _ in seen} == both, seen
    # a save while both processes run (and have the store's layers cached) shows on both
    save_user_layer("第二个图层", make_sites(5, seed=3), folder=db, user="editor2")
    time.sleep(1.5)
    seen = _tour(f.url, "第二个图层")
    assert all(found for _, found in seen) and {u for u, _ in seen} == both, seen


def test_the_map_page_still_works_when_the_database_is_down(tmp_path):
    dead = f"postgresql://planner:s3cret@127.0.0.1:{serve_many.free_port()}/atlas"
    env = dict(os.environ, ATLAS_USER_DIR=str(tmp_path / "user"),
               ATLAS_CACHE_DIR=str(tmp_path / "cache"), ATLAS_DATABASE_URL=dead)
    port = serve_many.free_port()
    proc = serve_many.start_app(port, env, tmp_path / "app.log")
    try:
        url = f"http://127.0.0.1:{port}"
        assert serve_many.healthy(url, 120)

        async def map_page() -> bytes:
            s = load_app.Session(url)
            await s.open()
            try:
                assert await s.run("map") < 120  # the run finished successfully
                return b"".join(s.received)
            finally:
                await s.close()

        received = asyncio.run(map_page())
        assert "无法连接用户数据库".encode() in received  # one warning, in the page's language
        assert b"Cannot connect" not in received
        assert b"s3cret" not in received and b"planner" not in received
        assert "科普场馆".encode() in received  # the shipped layers are still there
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_an_app_whose_port_is_taken_before_it_binds_starts_on_another(tmp_path, monkeypatch):
    """A port found free can be taken before the app binds it, by a server that answers health
    checks: the farm must not count that server as its app, but start the app elsewhere."""
    import http.server
    import threading

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    taken = other.server_address[1]
    real = serve_many.free_port
    ports = iter([taken])
    monkeypatch.setattr(serve_many, "free_port", lambda: next(ports, None) or real())
    env = dict(os.environ, ATLAS_USER_DIR=str(tmp_path / "user"), ATLAS_CACHE_DIR=str(tmp_path / "cache"))
    farm = serve_many.Farm(url="", ports=[], run=tmp_path)
    try:
        serve_many._start_apps(farm, 1, env, 120)
        assert farm.ports and farm.ports[0] != taken
        assert serve_many.listening(farm.apps[0], farm.ports[0], 5)
    finally:
        farm.stop()
        other.shutdown()
