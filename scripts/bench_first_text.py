"""Benchmark: how long a page stays blank on a cold load, measured in headless Chromium.

For each page asked for, a fresh ``streamlit run`` on empty user and cache folders is opened
twice: the server's first session (it imports the engine and loads the data in that run) and a
new session on the now-warm server. A MutationObserver in the page records, from navigation
start: ``main`` (Streamlit's own frontend has drawn its main area: the baseline, which no app
code can bring forward), ``text`` (the first app text in it: the "loading…" placeholder of a
session's first run, or the page's title) and ``title`` (the page's own title, h1).

Prints per case the medians over the repeats and ``text - main``: how long the app itself keeps
the page blank after Streamlit has drawn it. ``--root`` measures another checkout of the app
(e.g. an older commit unpacked with ``git archive``) with the same browser in the same run.

Usage: python scripts/bench_first_text.py [--pages / /coverage] [--repeat 3] [--root DIR ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e_support import chromium, free_port  # noqa: E402

MARKS = """
window.__t = {};
const mark = k => { if (!(k in window.__t)) window.__t[k] = performance.now(); };
new MutationObserver(() => {
  const main = document.querySelector('[data-testid=stMain]');
  if (main) mark('main');
  if (main && main.innerText.trim()) mark('text');
  if (document.querySelector('[data-testid=stMain] h1')) mark('title');
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def serve(root: Path, user: str, cache: str) -> tuple[subprocess.Popen[bytes], str]:
    """``streamlit run`` of the app in ``root`` on a free port; (process, URL) once it answers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(root / "streamlit_app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=root, env=dict(os.environ, ATLAS_USER_DIR=user, ATLAS_CACHE_DIR=cache),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            with urlopen(url + "/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit(f"the app in {root} did not start")


def marks(browser: object, url: str) -> dict[str, float]:
    """Navigation-start times (ms) of the marks in one new session."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})  # type: ignore[attr-defined]
    page.add_init_script(MARKS)
    page.goto(url)
    page.wait_for_function("() => window.__t && 'title' in window.__t", timeout=180_000)
    out = dict(page.evaluate("() => window.__t"))
    page.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", nargs="+", default=["/", "/coverage"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--root", nargs="+", type=Path, default=[ROOT], help="checkouts of the app to compare")
    args = ap.parse_args()
    runs: dict[tuple[str, str, str], list[dict[str, float]]] = {}
    with chromium() as browser:
        for _ in range(args.repeat):
            for root in args.root:
                for path in args.pages:
                    with tempfile.TemporaryDirectory() as user, tempfile.TemporaryDirectory() as cache:
                        proc, url = serve(root, user, cache)
                        try:
                            for kind in ("cold server", "new session"):
                                ms = marks(browser, url + path)
                                runs.setdefault((str(root), path, kind), []).append(ms)
                        finally:
                            proc.terminate()
                            proc.wait(timeout=30)
    print(f"load average {os.getloadavg()[0]:.1f}; medians of {args.repeat} (ms from navigation start)")
    print(f"{'checkout':<24} {'page':<11} {'session':<12} {'main':>6} {'text':>6} {'title':>6} "
          f"{'text-main':>9}")
    for (root, path, kind), ms in runs.items():
        med = {k: statistics.median(m[k] for m in ms) for k in ("main", "text", "title")}
        gap = statistics.median(m["text"] - m["main"] for m in ms)
        print(f"{Path(root).name:<24} {path:<11} {kind:<12} {med['main']:>6.0f} {med['text']:>6.0f} "
              f"{med['title']:>6.0f} {gap:>9.0f}")


if __name__ == "__main__":
    main()
