"""Shared pieces of the browser tests: a real streamlit server on a free port, headless Chromium,
and helpers to wait for a rerun and to read what the user sees."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]

#: Skip marker for machines without Debian's chromium.
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")

#: What must never reach a user: tracebacks, exception reprs and server paths.
LEAKS = re.compile(r"Traceback|File \"|line \d+, in |/tmp/|/work/|/home/|/root/|/usr/|site-packages|"
                   r"\.py\b|Errno|Exception:|Error:")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_app(user_dir: Path, cache_dir: Path, *, env: dict[str, str] | None = None,
                port: int | None = None) -> Iterator[str]:
    """The atlas app served by streamlit on 127.0.0.1; yields its URL, stops it afterwards.

    ``env`` adds environment variables (e.g. the sign-in settings ``ATLAS_AUTH``...); ``port``
    is a free port chosen by the caller (default: one found here).
    """
    port = port or free_port()
    env = dict(os.environ, ATLAS_USER_DIR=str(user_dir), ATLAS_CACHE_DIR=str(cache_dir), **(env or {}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start within 60 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def settle(page: Any, *, timeout_ms: int = 60_000) -> None:
    """Wait until the app has finished its current run (Streamlit's "running" widget is gone)."""
    page.wait_for_timeout(600)  # a rerun triggered just now shows its widget after a moment
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stMain\"]')"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')", timeout=timeout_ms)


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


def click_map_at(page: Any, lat: float, lon: float) -> None:
    """Click the page's (last) map where ``lat, lon`` is, as a planner would, and wait for the rerun.

    The click waits for the map the app keeps: a map whose tiles failed is replaced by one with
    no tiles (a rerun), and the map's frame is found again if a rerun replaced it while it was read.
    """
    from playwright.sync_api import Error

    for attempt in range(6):
        settle(page, timeout_ms=180_000)
        iframe = page.locator("iframe[title='streamlit_folium.st_folium']").last
        iframe.wait_for(timeout=180_000)  # a fresh server's first coverage run takes a while
        try:
            iframe.scroll_into_view_if_needed()
            frame = next(f for f in reversed(page.frames) if "streamlit_folium" in f.url)
            if frame.wait_for_function(_MAP_STATE, timeout=90_000).json_value() == "replaced":
                if not frame.is_detached():
                    page.wait_for_event("framedetached", predicate=lambda f, old=frame: f == old,
                                        timeout=90_000)
                continue
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
    else:
        raise AssertionError("the map was replaced at every try: no click made")
    page.wait_for_timeout(1500)
    settle(page, timeout_ms=120_000)
