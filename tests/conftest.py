from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

pytest_plugins = ["tests.pg_support"]  # the PostgreSQL cluster and the two-backend store fixtures


@pytest.fixture(autouse=True)
def _user_dirs(tmp_path, monkeypatch):
    """Every test gets its own user-data and cache folders: nothing leaks between tests."""
    isolate(monkeypatch, tmp_path)


def isolate(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """User data and caches under ``folder``; no database, no sign-in from the environment."""
    monkeypatch.setenv("ATLAS_USER_DIR", str(folder / "user"))
    monkeypatch.setenv("ATLAS_CACHE_DIR", str(folder / "cache"))
    from atlas import settings

    monkeypatch.setattr(settings, "USER_DATA_DIR", folder / "user")
    monkeypatch.setattr(settings, "DATABASE_URL", "")  # never a database from the environment
    monkeypatch.delenv("ATLAS_DATABASE_URL", raising=False)
    monkeypatch.setattr(settings, "CACHE_DIR", folder / "cache")
    monkeypatch.setattr(settings, "OSM_DIR", folder / "cache" / "osm")
    for var in ("ATLAS_AUTH", "ATLAS_USERS_FILE", "ATLAS_ROLES_FILE", "ATLAS_DEFAULT_ROLE",
                "ATLAS_AUTH_HEADER"):
        monkeypatch.delenv(var, raising=False)  # sign-in off unless a test turns it on
    monkeypatch.setattr(settings, "AUTH_MODE", "off")
    monkeypatch.setattr(settings, "AUTH_USERS_FILE", folder / "user" / "users.json")
    monkeypatch.setattr(settings, "AUTH_ROLES_FILE", folder / "user" / "roles.toml")


# --- expensive inputs built once per test run and shared by the tests that read them ------------

def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every pytest-xdist worker of this run shares (the run's own temp folder)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@dataclass(frozen=True)
class Pack:
    """A briefing pack written by the ``export-briefing`` command: its exit code and folder."""

    rc: int
    out: Path


#: The shared pack's command line: every district (the command's default), at a low resolution.
PACK_ARGS = ("--dpi", "40")


@pytest.fixture(scope="session")
def briefing_pack(tmp_path_factory) -> Pack:
    """The whole briefing pack (all ten districts, zh) written once per test run by the command
    line's own code (:func:`atlas.cli.export_briefing_main`). The tests reading it are in
    tests/test_briefing_pack.py (one pytest-xdist worker); a worker that needs it while another
    builds it waits for the build (a file lock) and reads the same folder."""
    from filelock import FileLock

    from atlas.cli import export_briefing_main

    root = run_folder(tmp_path_factory)
    out, done = root / "briefing_pack", root / "briefing_pack.rc"
    with FileLock(str(root / "briefing_pack.lock")):
        if not done.exists():
            with pytest.MonkeyPatch.context() as mp:
                isolate(mp, root / "briefing_pack_home")
                rc = export_briefing_main(["--out", str(out), *PACK_ARGS])
            done.write_text(str(rc))
    return Pack(int(done.read_text()), out)


def shared_file(rel: str) -> Path:
    p = SHARED / rel
    if not p.exists():
        pytest.skip(f"../shared/{rel} is absent (read-only reference material, not shipped)")
    return p


# --- browser tests: one app server and one Chromium per test module (a module needing another
# app, e.g. with a prepared user folder, defines its own ``app_url``/``browser``) -------------

@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """A ``streamlit run`` of the app on 127.0.0.1 with fresh user and cache folders."""
    from tests.e2e_support import running_app

    with running_app(tmp_path_factory.mktemp("user"), tmp_path_factory.mktemp("cache")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright."""
    from tests.e2e_support import chromium

    with chromium() as b:
        yield b


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test's report shows every page still open: address, run state, text and
    a screenshot (see :func:`tests.e2e_support.describe_pages`)."""
    report = yield
    support = sys.modules.get("tests.e2e_support")
    if report.failed and support is not None and support.OPEN_BROWSERS:
        folder = item.config._tmp_path_factory.mktemp("e2e-failed")
        report.sections.append(("browser pages", support.describe_pages(folder)))
    return report


#: Marks of tests that take long (they start app servers and browsers, or read real OSM extracts).
LONG = ("e2e", "slow")


def pytest_collection_modifyitems(config, items):
    """On pytest-xdist workers (``--dist loadscope``: a test module runs on one worker, so its
    module fixtures, e.g. an app server and a browser, start once), the modules that take long
    (browser tests, real extracts, the briefing pack) come first, the larger first, so that no
    worker is left with a long one at the end (with ``--no-loadscope-reorder`` xdist hands the
    modules out in this order; by default it orders them by their number of tests)."""
    if not hasattr(config, "workerinput"):
        return
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)

    def long_first(module: list[pytest.Item]) -> tuple[bool, int]:
        long = any(it.get_closest_marker(m) for it in module for m in LONG) or \
            any("briefing_pack" in getattr(it, "fixturenames", ()) for it in module)
        return not long, -len(module)

    items[:] = [it for module in sorted(modules.values(), key=long_first) for it in module]
