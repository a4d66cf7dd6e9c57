"""Shared pieces of the browser tests: a real streamlit server on a free port, headless Chromium,
and helpers to wait for a rerun and to read what the user sees."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import serve_many  # noqa: E402

ARTIFACTS = ROOT / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]

#: Skip marker for machines without Debian's chromium.
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")

#: What must never reach a user: tracebacks, exception reprs and server paths.
LEAKS = re.compile(r"Traceback|File \"|line \d+, in |/tmp/|/work/|/home/|/root/|/usr/|site-packages|"
                   r"\.py\b|Errno|Exception:|Error:")


#: A TCP port free on 127.0.0.1 now; whether a server process itself answers on its port
#: (the product's own multi-process launcher decides both the same way).
free_port = serve_many.free_port


@contextmanager
def running_app(user_dir: Path, cache_dir: Path, *, env: dict[str, str] | None = None,
                port: int | None = None) -> Iterator[str]:
    """The atlas app served by streamlit on 127.0.0.1; yields its URL, stops it afterwards.

    ``env`` adds environment variables (e.g. the sign-in settings ``ATLAS_AUTH``...); ``port``
    is a free port chosen by the caller (default: one found here). A port found free can be
    taken by another process before streamlit binds it (parallel test workers, other servers on
    the machine): the server is used only once its own process listens on the port (a health
    answer from someone else's server does not count); a server that could not bind is started
    again on another port (unless the caller chose the port).
    """
    env = dict(os.environ, ATLAS_USER_DIR=str(user_dir), ATLAS_CACHE_DIR=str(cache_dir), **(env or {}))
    tries = 1 if port else 4
    for _ in range(tries):
        chosen = port or free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
             "--server.port", str(chosen), "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            if serve_many.listening(proc, chosen, 90.0):
                yield f"http://127.0.0.1:{chosen}"
                return
            if proc.poll() is None:
                break  # alive but silent: not a port taken by another server
        finally:
            _stop(proc)
    pytest.fail(f"streamlit did not start within 90 s (on {tries} port(s) at most)")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=20)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright; its pages' script runs are watched (see
    :func:`settle`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        watched = _WatchedBrowser(b)
        OPEN_BROWSERS.append(watched)
        try:
            yield watched
        finally:
            OPEN_BROWSERS.remove(watched)
            b.close()


#: The browsers of this process now open (a failed test's report describes their pages).
OPEN_BROWSERS: list[_WatchedBrowser] = []


def describe_pages(folder: Path) -> str:
    """For a failed browser test: every page still open, its address, run state, text (its first
    1,500 and last 1,000 characters) and a screenshot saved in ``folder`` (the report names it)."""
    out = []
    pages = [pg for b in OPEN_BROWSERS for ctx in b.contexts for pg in ctx.pages if not pg.is_closed()]
    for i, pg in enumerate(pages):
        shot = folder / f"page{i}.png"
        try:
            pg.screenshot(path=str(shot), timeout=15_000)
        except Exception as exc:  # the report says why (a crashed page, a hung renderer)
            shot = Path(f"(no screenshot: {type(exc).__name__})")
        try:
            text = str(pg.locator("body").inner_text(timeout=10_000))
            text = text if len(text) <= 2500 else f"{text[:1500]}\n[…]\n{text[-1000:]}"
        except Exception as exc:
            text = f"(no text: {type(exc).__name__})"
        watch = getattr(pg, "atlas_runs", None)
        out.append(f"--- page {i}: {pg.url}\nruns: {watch!r}\nscreenshot: {shot}\n{text}")
    return "\n".join(out) or "(no page open)"


class _WatchedBrowser:
    """A Playwright browser whose every page gets a :class:`RunWatch` (the rest as is)."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def new_page(self, **kw: Any) -> Any:
        page = self._browser.new_page(**kw)
        RunWatch.attach(page)
        return page

    def new_context(self, **kw: Any) -> Any:
        ctx = self._browser.new_context(**kw)
        ctx.on("page", RunWatch.attach)
        return ctx

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


class RunWatch:
    """What a page's Streamlit session is doing, read from its websocket messages.

    The browser asks for a script run (a ``rerun_script`` message: a page opened, a widget
    changed) and the server says when that run has finished (``script_finished``; a run stopped
    early for the next one does not count). Files go up by HTTP before their run is asked for.
    A page is idle when every run asked for has finished and no upload is under way: a real
    condition, whatever the load on the machine (the server may take seconds to start a run).
    """

    def __init__(self) -> None:
        self.tick = 0  # a clock of the messages seen
        self.asked = 0  # tick of the last run asked for
        self.finished = 0  # tick of the last run finished
        self.running = False
        self.uploads = 0
        self.sessions = 0  # websockets of Streamlit sessions opened
        self.last = time.monotonic()  # when the last message went either way

    @classmethod
    def attach(cls, page: Any) -> None:
        watch = cls()
        page.atlas_runs = watch
        page.set_default_timeout(60_000)  # a click or a wait on a busy machine (parallel workers)
        page.on("websocket", watch._socket)
        page.on("request", lambda r: watch._upload(r, +1))
        page.on("requestfinished", lambda r: watch._upload(r, -1))
        page.on("requestfailed", lambda r: watch._upload(r, -1))

    def _upload(self, request: Any, step: int) -> None:
        if "/_stcore/upload_file" in request.url and request.method in ("PUT", "POST"):
            self.uploads = max(0, self.uploads + step)

    def _socket(self, ws: Any) -> None:
        if "/_stcore/stream" in ws.url:
            self.sessions += 1
            ws.on("framesent", self._sent)
            ws.on("framereceived", self._received)

    def _sent(self, payload: bytes | str) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        if isinstance(payload, bytes | bytearray):
            msg = BackMsg()
            msg.ParseFromString(bytes(payload))
            if msg.WhichOneof("type") == "rerun_script":
                self.tick += 1
                self.asked = self.tick
                self.last = time.monotonic()

    def _received(self, payload: bytes | str) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if not isinstance(payload, bytes | bytearray):
            return
        msg = ForwardMsg()
        msg.ParseFromString(bytes(payload))
        kind = msg.WhichOneof("type")
        self.tick += 1
        self.last = time.monotonic()
        if kind == "new_session":
            self.running = True
        elif kind == "session_status_changed":
            self.running = msg.session_status_changed.script_is_running
        elif kind == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            self.finished = self.tick
            self.running = False

    def __repr__(self) -> str:
        return (f"RunWatch(sessions={self.sessions}, asked={self.asked}, finished={self.finished}, "
                f"tick={self.tick}, running={self.running}, uploads={self.uploads}, "
                f"silent={time.monotonic() - self.last:.1f}s, idle={self.idle()})")

    def idle(self) -> bool:
        """Every run asked for has finished; or the server has said nothing for 5 s after the
        last ask while not running (a request it folded into a run under way, e.g. a map
        fragment's while the whole page reran: no run of its own follows)."""
        answered = self.finished > self.asked or time.monotonic() - self.last > 5.0
        return self.sessions > 0 and not self.running and self.uploads == 0 and answered


def settle(page: Any, *, timeout_ms: int = 120_000) -> None:
    """Wait until the app has finished every script run asked for (see :class:`RunWatch`) and the
    page shows its result (Streamlit's "running" widget and stale elements are gone)."""
    page.wait_for_timeout(250)  # a widget's change is sent after the frontend's debounce
    page.wait_for_selector("[data-testid='stMain']", state="attached", timeout=timeout_ms)
    watch = getattr(page, "atlas_runs", None)
    deadline = time.monotonic() + timeout_ms / 1000
    while watch is not None and not watch.idle():
        if time.monotonic() > deadline:
            raise AssertionError(f"the app did not finish its run within {timeout_ms / 1000:.0f} s "
                                 f"(running={watch.running}, uploads={watch.uploads})")
        page.wait_for_timeout(100)  # Playwright delivers the websocket's messages meanwhile
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')", timeout=timeout_ms)


def map_page_ready(page: Any, *, timeout_ms: int = 120_000) -> None:
    """Wait until the map page, opened first, has made its own rerun for failed tiles (offline):
    the map then drawn (with no tiles) is the one the page keeps, and the basemap choice reads
    "no tiles". (A page change made before that rerun is no longer undone by it: see
    atlas/static/atlas/page_change.js and test_e2e_pages.)
    """
    page.locator("[data-testid='stSidebar']").get_by_text("瓦片无法加载", exact=False).first.wait_for(
        timeout=timeout_ms)
    settle(page, timeout_ms=timeout_ms)


def main_text(page: Any) -> str:
    """Everything the page's main area shows, as text."""
    return str(page.locator("[data-testid='stMain']").first.inner_text())


def assert_clean(page: Any) -> str:
    """The page shows no traceback, exception box or server path; returns the whole page text."""
    text = str(page.locator("body").inner_text())
    assert page.locator("[data-testid='stException']").count() == 0, text[:2000]
    leak = LEAKS.search(text)
    assert leak is None, f"leaked {leak.group(0)!r}: …{text[max(0, leak.start() - 200):leak.end() + 200]}…"
    return text


#: In a map's frame: "ready" once its basemap question is settled (tiles drawn, or none asked
#: for), "replaced" when its tiles failed (the app then reruns with "no tiles" and a new map, and a
#: click on the old one would be lost), false while it is still loading.
_MAP_STATE = ("() => { const m = window.map; if (!m || !(m.getSize().x > 0)) return false;"
              " if (window.ATLAS_BASEMAP_FAILED) return 'replaced';"
              " return (m.getContainer().classList.contains('atlas-notiles')"
              " || !!document.querySelector('.leaflet-tile-loaded')) && 'ready'; }")


def close_page_not_found(page: Any) -> None:
    """Close Streamlit's "Page not found" modal, shown over the right page when a new session
    opens a page other than the default by its address (streamlit/streamlit#9992, st.navigation);
    any other modal over the page is an error."""
    dialog = page.locator("[data-testid='stDialog'], [role='dialog']")
    if dialog.count() == 0 or not dialog.first.is_visible():
        return
    text = dialog.first.inner_text()
    assert "Page not found" in text, f"a modal covers the page: {text[:300]}"
    page.keyboard.press("Escape")
    dialog.first.wait_for(state="hidden", timeout=10_000)


def click_when_still(page: Any, locator: Any, *, timeout_ms: int = 10_000) -> None:
    """Click ``locator`` once it has stayed in place for 300 ms.

    An expander opens with an animation: a click on a link inside it while it still moved landed
    beside the link, and nothing happened (the server heard nothing for 30 s; CI, twice).
    """
    locator.wait_for(timeout=timeout_ms)
    deadline, last = time.monotonic() + timeout_ms / 1000, None
    while time.monotonic() < deadline:
        box = locator.bounding_box()
        if box is not None and box == last:
            break
        last = box
        page.wait_for_timeout(300)
    locator.click()


def kept_map_frame(page: Any, *, timeout_ms: int = 180_000) -> Any:
    """The frame of the page's (last) map once it is the map the app keeps, settled.

    Offline, a map whose tiles failed is replaced by one with no tiles (the app's own rerun), and
    a frame read meanwhile is detached under the test ("Frame was detached"): the map's frame is
    looked for again until one has settled its basemap question without failing.
    """
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            settle(page, timeout_ms=timeout_ms)
            page.locator("iframe[title='streamlit_folium.st_folium']").last.wait_for(timeout=timeout_ms)
            frame = next(f for f in reversed(page.frames)
                         if "streamlit_folium" in f.url and not f.is_detached())
            if frame.wait_for_function(_MAP_STATE, timeout=90_000).json_value() != "replaced":
                return frame
            if not frame.is_detached():
                page.wait_for_event("framedetached", predicate=lambda f, old=frame: f == old,
                                    timeout=90_000)
        except (Error, StopIteration):
            if time.monotonic() > deadline:
                raise
            page.wait_for_timeout(1000)


def click_map_at(page: Any, lat: float, lon: float) -> None:
    """Click the page's (last) map where ``lat, lon`` is, as a planner would, and wait for the rerun.

    The click waits for the map the app keeps: a map whose tiles failed is replaced by one with
    no tiles (a rerun), and the map's frame is found again if a rerun replaced it while it was read.
    """
    from playwright.sync_api import Error

    for attempt in range(6):
        frame = kept_map_frame(page)
        iframe = page.locator("iframe[title='streamlit_folium.st_folium']").last
        try:
            iframe.scroll_into_view_if_needed()
            close_page_not_found(page)  # a modal would take the click
            x, y = frame.evaluate(f"() => {{ const p = window.map.latLngToContainerPoint([{lat}, {lon}]);"
                                  " return [p.x, p.y]; }")
            box = iframe.bounding_box()
        except Error:
            if attempt == 5:
                raise
            page.wait_for_timeout(2000)
            continue
        page.mouse.click(box["x"] + x, box["y"] + y)
        break
    page.wait_for_timeout(1500)
    settle(page, timeout_ms=120_000)
