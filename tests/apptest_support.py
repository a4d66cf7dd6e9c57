"""Running a page of the app with Streamlit's AppTest (shared by the page tests)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def run_page(path: str, **state: object) -> AppTest:
    """Run the page at ``path`` (relative to the project root) with ``state`` in its session."""
    at = AppTest.from_file(str(ROOT / path), default_timeout=120)
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()
